/* SPDX-License-Identifier: MIT */
#include "emit/emit.h"
#include "emit/emit-internal.h"

static void append_prefixes(StrBuf *s, const IpPrefix *p, size_t n, bool first) {
        char buf[IP_PREFIX_STRLEN];
        for (size_t i = 0; i < n; i++) {
                /* The network as WireGuard stores it: wg(8) clears the host bits anyway, and
                 * writing them cleared keeps `wg showconf` and this file in agreement. */
                IpPrefix net = ip_prefix_network(&p[i]);
                strbuf_appendf(s, "%s%s", first && i == 0 ? "" : ",", ip_prefix_format(&net, buf));
        }
}

static void append_allowed_ips(StrBuf *s, const IpPrefix *p, size_t n) {
        strbuf_append(s, "AllowedIPs=");
        append_prefixes(s, p, n, true);
        strbuf_append(s, "\n");
}

static void append_peer_common(StrBuf *s, const char *preshared_key_file, unsigned keepalive,
                               const Endpoint *endpoints, size_t n_endpoints) {
        char ep[ENDPOINT_STRLEN];
        if (preshared_key_file)
                strbuf_appendf(s, "PresharedKeyFile=%s\n", preshared_key_file);
        if (keepalive > 0)
                strbuf_appendf(s, "PersistentKeepalive=%u\n", keepalive);
        /* networkd takes one Endpoint= per peer; the daemon fails over to the others itself. */
        if (n_endpoints > 0)
                strbuf_appendf(s, "Endpoint=%s\n", format_endpoint(&endpoints[0], ep, sizeof ep));
}

/* systemd.netdev(5): [NetDev] Kind=wireguard, [WireGuard], one [WireGuardPeer] per peer. networkd
 * only reads this when it creates the link; the daemon keeps the live device in step itself. */
char *emit_netdev(const Bridge *b) {
        _cleanup_(strbuf_done) StrBuf s = {};
        char key[WG_KEY_B64_LEN + 1];

        emit_header_daemon(&s, b);
        strbuf_appendf(&s, "\n[NetDev]\nName=%s\nKind=wireguard\nDescription=nfswg %s %s\n", b->interface,
                       b->mode == BRIDGE_MODE_CLIENT ? "client" : "bridge", b->name);
        if (b->mtu > 0)
                strbuf_appendf(&s, "MTUBytes=%u\n", b->mtu);

        /* The key is referenced, never copied here: this file is readable by systemd-network. */
        strbuf_appendf(&s, "\n[WireGuard]\nPrivateKeyFile=%s\n", b->private_key_file);
        if (b->listen_port > 0)
                strbuf_appendf(&s, "ListenPort=%u\n", (unsigned) b->listen_port);

        if (b->mode == BRIDGE_MODE_CLIENT) {
                if (b->server.set) {
                        wg_key_to_base64(key, b->server.public_key);
                        strbuf_appendf(&s, "\n# server\n[WireGuardPeer]\nPublicKey=%s\n", key);
                        append_allowed_ips(&s, b->server.allowed_ips, b->server.n_allowed_ips);
                        append_peer_common(&s, b->server.preshared_key_file, b->server.persistent_keepalive,
                                           b->server.endpoints, b->server.n_endpoints);
                }
        } else
                for (size_t i = 0; i < b->n_peers; i++) {
                        const Peer *p = &b->peers[i];
                        wg_key_to_base64(key, p->public_key);
                        strbuf_appendf(&s, "\n# %s\n[WireGuardPeer]\nPublicKey=%s\n", p->name, key);
                        /* the peer's tunnel addresses, then the networks behind it (relay sites) */
                        strbuf_append(&s, "AllowedIPs=");
                        append_prefixes(&s, p->addresses, p->n_addresses, true);
                        append_prefixes(&s, p->allowed_ips, p->n_allowed_ips, p->n_addresses == 0);
                        strbuf_append(&s, "\n");
                        append_peer_common(&s, p->preshared_key_file, p->persistent_keepalive, p->endpoints,
                                           p->n_endpoints);
                }

        return strbuf_finish(&s);
}
