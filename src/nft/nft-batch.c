/* SPDX-License-Identifier: MIT */
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>

#include "nft/nft-internal.h"
#include "shared/macro.h"

size_t nft_nfs_ports(const Host *h, const Bridge *b, uint16_t ret[static NFT_NFS_PORTS_MAX]) {
        size_t n = 0;

        ret[n++] = NFS_PORT;
        ret[n++] = RPCBIND_PORT;
        if (((h ? h->nfs_versions : 0) | b->nfs_versions) & NFS_V3) {
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
                ret[n++] = s->mountd_port;
                ret[n++] = s->statd_port;
                ret[n++] = s->statd_outgoing_port;
                ret[n++] = s->lockd_port;
        }
        return ports_sort_unique(ret, n);
}

static void add_input_rules(NftBuilder *c, const Bridge *b) {
        /* Local tools (showmount, rpcinfo, the NFS client of the host itself) talk to rpcbind and
         * mountd over lo. */
        rule_begin(c, "input");
        match_iifname(c, "lo");
        stmt_verdict(c, NF_ACCEPT);
        rule_end(c);

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

        /* Every bridge's table guards its own tunnel and the rest of the world; the other bridges'
         * tunnels, by their link group, are left to their own tables, or a second bridge's peers
         * would meet our final drop. By group and not by name, so that a bridge started after us
         * needs no reload of ours. Our own tunnel is in the group too: its traffic from anyone but
         * our peers goes on to the drop. */
        rule_begin(c, "input");
        match_iifname_not(c, b->interface);
        match_iifgroup(c, NFSWG_LINK_GROUP);
        stmt_verdict(c, NF_ACCEPT);
        rule_end(c);

        FOREACH_L4PROTO(proto) {
                rule_begin(c, "input");
                match_dport_set(c, proto, NFT_SET_NFS_PORTS);
                stmt_counter(c, NFT_COUNTER_NFS_REFUSED);
                stmt_verdict(c, NF_DROP);
                rule_end(c);
        }
}

int nft_build_bridge_batch(const Host *h, const Bridge *b, uint32_t seq, void **ret, size_t *ret_len) {
        _cleanup_(builder_done) NftBuilder c = {};
        _cleanup_(prefix_lists_done) PrefixLists peers = {};
        uint16_t ports[NFT_NFS_PORTS_MAX];
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
        size_t n_ports = nft_nfs_ports(h, b, ports);

        r = builder_init(&c, b->name, seq);
        if (r < 0)
                return r;
        /* Create if missing, so that the delete cannot fail; then delete it with all it holds and
         * create it afresh: one transaction replacing the table (nft(8), "ATOMIC RULE REPLACEMENT"). */
        add_table(&c, NFT_MSG_NEWTABLE, NLM_F_CREATE);
        add_table(&c, NFT_MSG_DELTABLE, 0);
        add_table(&c, NFT_MSG_NEWTABLE, NLM_F_CREATE);

        add_interval_sets(&c, NFT_SET_PEERS4, NFT_SET_PEERS6, &peers);
        add_port_set(&c, NFT_SET_NFS_PORTS, ports, n_ports);
        add_counter(&c, NFT_COUNTER_NFS_ACCEPTED);
        add_counter(&c, NFT_COUNTER_NFS_REFUSED);

        add_chain(&c, "input", "filter", NF_INET_LOCAL_IN, -10);
        add_input_rules(&c, b);

        if (b->mode == BRIDGE_MODE_NAS || b->mode == BRIDGE_MODE_RELAY || b->n_forwards > 0)
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
