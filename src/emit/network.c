/* SPDX-License-Identifier: MIT */
#include "emit/emit.h"
#include "emit/emit-internal.h"

static bool covered_by_address(const Bridge *b, const IpPrefix *p) {
        for (size_t i = 0; i < b->n_addresses; i++)
                if (ip_prefix_contains(&b->addresses[i], p))
                        return true;
        return false;
}

/* systemd.network(5) for the tunnel link.
 *
 * Routes: networkd (252) adds no routes for WireGuard AllowedIPs= unless RouteTable= is set, and
 * the daemon adds peers live without networkd, so the routes the tunnel needs are written here,
 * where `networkctl reload` applies changes. On a bridge (embedded, nas, relay) every peer
 * address lies inside the bridge's own networks (the model checks it), so the prefix route of
 * Address= covers them, and a forwarded network is reached through the link it is attached to
 * (the LAN, or the other bridge's tunnel for To=@OTHER, which that bridge's own .network
 * covers): a route for it here would pull its traffic into the wrong tunnel. Routes are needed
 * for what lies behind a peer of this tunnel: a client's [Server] AllowedIPs=, and a relay's site
 * networks (a [Peer]'s AllowedIPs=), where its own Address= does not cover them.
 *
 * Forwarding is deliberately not switched on here: IPForward= turns it on for the whole host and
 * never back off; the daemon sets the per-interface sysctls it needs (DESIGN.md). */
char *emit_network(const Host *h, const Bridge *b) {
        _cleanup_(strbuf_done) StrBuf s = {};
        char buf[IP_PREFIX_STRLEN];

        emit_header_daemon(&s, b);
        strbuf_appendf(&s, "\n[Match]\nName=%s\n\n[Network]\n", b->interface);
        for (size_t i = 0; i < b->n_addresses; i++)
                strbuf_appendf(&s, "Address=%s\n", ip_prefix_format(&b->addresses[i], buf));
        /* A WireGuard link has no use for link-local addresses or router advertisements, and the
         * tunnel must not hold up network-online.target at boot. */
        strbuf_append(&s, "LinkLocalAddressing=no\nIPv6AcceptRA=no\n\n[Link]\nRequiredForOnline=no\n");
        /* A bridge's tunnel joins the link group every bridge's nftables table lets through and
         * leaves to that tunnel's own table (nft/nft.h). */
        if (bridge_link_group(b) != 0)
                strbuf_appendf(&s, "Group=%u\n", (unsigned) bridge_link_group(b));

        if (b->mode == BRIDGE_MODE_CLIENT && b->server.set)
                for (size_t i = 0; i < b->server.n_allowed_ips; i++) {
                        IpPrefix net = ip_prefix_network(&b->server.allowed_ips[i]);
                        if (covered_by_address(b, &net))
                                continue;
                        strbuf_appendf(&s, "\n[Route]\nDestination=%s\n", ip_prefix_format(&net, buf));
                }
        for (size_t i = 0; i < b->n_peers; i++)
                for (size_t j = 0; j < b->peers[i].n_allowed_ips; j++) {
                        const IpPrefix *net = &b->peers[i].allowed_ips[j];
                        if (covered_by_address(b, net))
                                continue;
                        strbuf_appendf(&s, "\n# behind peer %s\n[Route]\nDestination=%s\n", b->peers[i].name,
                                       ip_prefix_format(net, buf));
                }

        return strbuf_finish(&s);
}
