/* SPDX-License-Identifier: MIT */
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>

#include "nft/nft-internal.h"
#include "shared/macro.h"

/* The pinned side ports: mountd, statd, statd outgoing, lockd (TCP and UDP: nfs.conf(5) can pin
 * [lockd] udp-port apart from port; one inet_service set serves both protocols, so a separate UDP
 * port is also open over TCP to the same peers, where nothing listens). */
static size_t side_ports(const Host *h, const Bridge *b, uint16_t *ret) {
        const NfsSettings *s = h ? &h->nfs : &b->nfs;
        /* a hand-made bridge without NFS settings: the documented defaults */
        NfsSettings d = {
                .mountd_port = DEFAULT_MOUNTD_PORT,
                .statd_port = DEFAULT_STATD_PORT,
                .statd_outgoing_port = DEFAULT_STATD_OUTGOING_PORT,
                .lockd_port = DEFAULT_LOCKD_PORT,
        };
        if (s->mountd_port == 0)
                s = &d;
        ret[0] = s->mountd_port;
        ret[1] = s->statd_port;
        ret[2] = s->statd_outgoing_port;
        ret[3] = s->lockd_port;
        if (s->lockd_udp_port == 0 || s->lockd_udp_port == s->lockd_port)
                return 4;
        ret[4] = s->lockd_udp_port;
        return 5;
}

size_t nft_nfs_ports(const Host *h, const Bridge *b, uint16_t ret[static NFT_NFS_PORTS_MAX]) {
        size_t n = 0;

        ret[n++] = NFS_PORT;
        ret[n++] = RPCBIND_PORT;
        /* Only this bridge's versions count: a v4-only bridge keeps its peers off mountd, statd
         * and lockd even when the host serves NFSv3 elsewhere. */
        if (b->nfs_versions & NFS_V3)
                n += side_ports(h, b, ret + n);
        return ports_sort_unique(ret, n);
}

size_t nft_nfs_closed_ports(const Host *h, const Bridge *b, uint16_t ret[static NFT_NFS_PORTS_MAX]) {
        size_t n = 0;

        ret[n++] = NFS_PORT;
        ret[n++] = RPCBIND_PORT;
        n += side_ports(h, b, ret + n);
        return ports_sort_unique(ret, n);
}

/* What only the tunnel may claim as a source: the bridge's networks, its peers' addresses and
 * the networks routed to them. A default route (/0) is left out: it would claim every source on
 * every interface. */
static int tunnel_sources(const Bridge *b, PrefixLists *ret) {
        int r = prefix_lists_add_all(ret, b->addresses, b->n_addresses);
        if (r < 0)
                return r;
        for (size_t i = 0; i < b->n_peers; i++) {
                const Peer *p = &b->peers[i];
                r = prefix_lists_add_all(ret, p->addresses, p->n_addresses);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < p->n_allowed_ips; j++)
                        if (p->allowed_ips[j].prefixlen > 0) {
                                r = prefix_lists_add(ret, &p->allowed_ips[j]);
                                if (r < 0)
                                        return r;
                        }
        }
        prefix_lists_normalize(ret);
        return 0;
}

static void add_l4_rule(NftBuilder *c, const char *chain, const char *ifname, uint8_t proto, const char *ports,
                        const char *counter, int verdict) {
        rule_begin(c, chain);
        match_iifname(c, ifname);
        match_dport_set(c, proto, ports);
        stmt_counter(c, counter);
        stmt_verdict(c, verdict);
        rule_end(c);
}

static void add_input_rules(NftBuilder *c, const Bridge *b) {
        FOREACH_FAMILY(family) {
                rule_begin(c, "input");
                match_spoofed(c, b, family);
                stmt_counter(c, NFT_COUNTER_SPOOFED);
                stmt_verdict(c, NF_DROP);
                rule_end(c);
        }

        FOREACH_FAMILY(family)
                FOREACH_L4PROTO(proto) {
                        rule_begin(c, "input");
                        match_iifname(c, b->interface);
                        match_from_peers(c, family);
                        match_dport_set(c, proto, NFT_SET_NFS_PORTS);
                        stmt_counter(c, NFT_COUNTER_NFS_ACCEPTED);
                        stmt_verdict(c, NF_ACCEPT);
                        rule_end(c);
                }

        /* Anyone else on the tunnel, and the side ports of a v4-only bridge. */
        FOREACH_L4PROTO(proto)
                add_l4_rule(c, "input", b->interface, proto, NFT_SET_NFS_CLOSED, NFT_COUNTER_NFS_REFUSED, NF_DROP);

        /* CloseNFSOn=: the administrator asked to shut NFS on these (a VPS's public side). */
        STRV_FOREACH(ifname, b->close_nfs_on)
                FOREACH_L4PROTO(proto)
                        add_l4_rule(c, "input", *ifname, proto, NFT_SET_NFS_CLOSED, NFT_COUNTER_NFS_REFUSED, NF_DROP);
}

int nft_build_bridge_batch(const Host *h, const Bridge *b, uint32_t seq, void **ret, size_t *ret_len) {
        _cleanup_(builder_done) NftBuilder c = {};
        _cleanup_(prefix_lists_done) PrefixLists peers = {}, tunnel = {};
        uint16_t ports[NFT_NFS_PORTS_MAX], closed[NFT_NFS_PORTS_MAX];
        int r;

        if (b->mode == BRIDGE_MODE_CLIENT)
                return -EOPNOTSUPP;
        if (!b->interface)
                return -EINVAL;

        for (size_t i = 0; i < b->n_peers; i++) {
                r = prefix_lists_add_all(&peers, b->peers[i].addresses, b->peers[i].n_addresses);
                if (r < 0)
                        return r;
        }
        prefix_lists_normalize(&peers);
        r = tunnel_sources(b, &tunnel);
        if (r < 0)
                return r;
        size_t n_ports = nft_nfs_ports(h, b, ports);
        size_t n_closed = nft_nfs_closed_ports(h, b, closed);

        r = builder_init(&c, b->name, seq);
        if (r < 0)
                return r;
        /* Create if missing, so that the delete cannot fail; then delete it with all it holds and
         * create it afresh: one transaction replacing the table (nft(8), "ATOMIC RULE REPLACEMENT"). */
        add_table(&c, NFT_MSG_NEWTABLE, NLM_F_CREATE);
        add_table(&c, NFT_MSG_DELTABLE, 0);
        add_table(&c, NFT_MSG_NEWTABLE, NLM_F_CREATE);

        add_interval_sets(&c, NFT_SET_PEERS4, NFT_SET_PEERS6, &peers);
        add_interval_sets(&c, NFT_SET_TUNNEL4, NFT_SET_TUNNEL6, &tunnel);
        add_port_set(&c, NFT_SET_NFS_PORTS, ports, n_ports);
        add_port_set(&c, NFT_SET_NFS_CLOSED, closed, n_closed);
        add_counter(&c, NFT_COUNTER_NFS_ACCEPTED);
        add_counter(&c, NFT_COUNTER_NFS_REFUSED);
        add_counter(&c, NFT_COUNTER_SPOOFED);

        add_chain(&c, "input", "filter", NF_INET_LOCAL_IN, -10);
        add_input_rules(&c, b);

        /* every server mode: isolation holds whatever the host's forwarding sysctls say */
        add_forward(&c, h, b);

        return builder_finish(&c, ret, ret_len);
}

/* Both families' elements of the peers' addresses, added or removed (type) */
static int peer_set_elems(NftBuilder *c, uint16_t type, const Peer *const *peers, size_t n) {
        _cleanup_(prefix_lists_done) PrefixLists l = {};
        int r = prefix_lists_add_peers(&l, peers, n);
        if (r < 0)
                return r;
        prefix_lists_normalize(&l);
        set_prefixes(c, type, NFT_SET_PEERS4, l.v4, l.n_v4);
        set_prefixes(c, type, NFT_SET_PEERS6, l.v6, l.n_v6);
        return 0;
}

int nft_build_peer_sets_batch(const Bridge *b, const Peer *const *added, size_t n_added,
                              const Peer *const *removed, size_t n_removed, uint32_t seq,
                              void **ret, size_t *ret_len) {
        _cleanup_(builder_done) NftBuilder c = {};
        int r;

        r = builder_init(&c, b->name, seq);
        if (r < 0)
                return r;
        /* Removals first, so a peer removed and added back with the same address ends up present. */
        r = peer_set_elems(&c, NFT_MSG_DELSETELEM, removed, n_removed);
        if (r < 0)
                return r;
        r = peer_set_elems(&c, NFT_MSG_NEWSETELEM, added, n_added);
        if (r < 0)
                return r;
        return builder_finish(&c, ret, ret_len);
}

int nft_build_remove_batch(const char *bridge_name, uint32_t seq, void **ret, size_t *ret_len) {
        _cleanup_(builder_done) NftBuilder c = {};

        int r = builder_init(&c, bridge_name, seq);
        if (r < 0)
                return r;
        add_table(&c, NFT_MSG_DELTABLE, 0);
        return builder_finish(&c, ret, ret_len);
}
