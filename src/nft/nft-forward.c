/* SPDX-License-Identifier: MIT */
#include <netinet/in.h>
#include <linux/netfilter.h>

#include "nft/nft-internal.h"
#include "shared/macro.h"

#define FORWARD_SET_NAME_MAX 32

/* [Forward] N's sets: fwdN_4, fwdN_6 (what is "4" or "6") and fwdN_ports */
static void forward_set_name(char buf[static FORWARD_SET_NAME_MAX], size_t i, const char *what) {
        snprintf(buf, FORWARD_SET_NAME_MAX, "fwd%zu_%s", i, what);
}

/* Where [Forward] N leads: To=, or for To=@OTHER the networks of OTHER's addresses and the
 * networks its peers route to (AllowedIPs=, the sites' LANs; the peers' own tunnel addresses lie
 * in OTHER's networks already). prefix_lists_normalize() makes networks of them all. */
static int forward_destinations(const Host *h, const Forward *f, PrefixLists *ret) {
        int r;

        if (!f->to_bridge)
                return prefix_lists_add(ret, &f->to);

        const Bridge *other = h ? host_find_bridge(h, f->to_bridge) : NULL;
        if (!other)
                return -ENOENT;
        r = prefix_lists_add_all(ret, other->addresses, other->n_addresses);
        if (r < 0)
                return r;
        for (size_t i = 0; i < other->n_peers; i++) {
                const Peer *p = &other->peers[i];
                r = prefix_lists_add_all(ret, p->addresses, p->n_addresses);
                if (r < 0)
                        return r;
                r = prefix_lists_add_all(ret, p->allowed_ips, p->n_allowed_ips);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* fwdN_4, fwdN_6 and, for Ports=nfs, fwdN_ports */
static void add_forward_sets(NftBuilder *c, const Host *h, const Forward *f, size_t i) {
        _cleanup_(prefix_lists_done) PrefixLists dest = {};
        char n4[FORWARD_SET_NAME_MAX], n6[FORWARD_SET_NAME_MAX], np[FORWARD_SET_NAME_MAX];

        forward_set_name(n4, i, "4");
        forward_set_name(n6, i, "6");
        forward_set_name(np, i, "ports");

        int r = forward_destinations(h, f, &dest);
        if (r < 0)
                return builder_fail(c, r);
        prefix_lists_normalize(&dest);
        add_interval_sets(c, n4, n6, &dest);

        if (f->ports == FORWARD_PORTS_NFS) {
                _cleanup_free_ uint16_t *ports = calloc(2 + f->n_nas_ports, sizeof *ports);
                if (!ports)
                        return builder_fail(c, -ENOMEM);
                ports[0] = NFS_PORT;
                ports[1] = RPCBIND_PORT;
                /* no NASPorts=: nas_ports is NULL, which memcpy() must not get even for 0 bytes */
                if (f->n_nas_ports > 0)
                        memcpy(ports + 2, f->nas_ports, f->n_nas_ports * sizeof *ports);
                add_port_set(c, np, ports, ports_sort_unique(ports, 2 + f->n_nas_ports));
        }
}

/* ip saddr @peers4 ip daddr @fwdN_4, or the same in IPv6 */
static void match_peers_to_forward(NftBuilder *c, int family, size_t i) {
        char nd[FORWARD_SET_NAME_MAX];

        forward_set_name(nd, i, family == AF_INET ? "4" : "6");
        match_from_peers(c, family);
        match_addr_set(c, family, false, nd);
}

/* proto 0: any protocol (Ports=all) */
static void add_forward_accept(NftBuilder *c, const Bridge *b, size_t i, int family, uint8_t proto) {
        rule_begin(c, "forward");
        match_iifname(c, b->interface);
        match_peers_to_forward(c, family, i);
        if (proto != 0) {
                char np[FORWARD_SET_NAME_MAX];
                forward_set_name(np, i, "ports");
                match_dport_set(c, proto, np);
        }
        stmt_counter(c, NFT_COUNTER_FWD_ACCEPTED);
        stmt_verdict(c, NF_ACCEPT);
        rule_end(c);
}

void add_forward(NftBuilder *c, const Host *h, const Bridge *b) {
        bool masquerade = false;

        add_counter(c, NFT_COUNTER_FWD_ACCEPTED);
        add_counter(c, NFT_COUNTER_FWD_REFUSED);

        for (size_t i = 0; i < b->n_forwards && !c->error; i++) {
                add_forward_sets(c, h, &b->forwards[i], i);
                masquerade = masquerade || b->forwards[i].masquerade;
        }

        add_chain(c, "forward", "filter", NF_INET_FORWARD, -10);

        FOREACH_FAMILY(family) {
                rule_begin(c, "forward");
                match_spoofed(c, b, family);
                stmt_counter(c, NFT_COUNTER_SPOOFED);
                stmt_verdict(c, NF_DROP);
                rule_end(c);
        }

        /* Entering from the tunnel: replies to what was let into it (a connection from another
         * bridge's tunnel, below), then what a [Forward] allows, nothing else: no peer reaches
         * another peer or anything beyond unless configured. */
        rule_begin(c, "forward");
        match_iifname(c, b->interface);
        match_ct_established(c);
        stmt_verdict(c, NF_ACCEPT);
        rule_end(c);

        for (size_t i = 0; i < b->n_forwards; i++)
                FOREACH_FAMILY(family) {
                        if (b->forwards[i].ports != FORWARD_PORTS_NFS) {
                                add_forward_accept(c, b, i, family, 0);
                                continue;
                        }
                        FOREACH_L4PROTO(proto)
                                add_forward_accept(c, b, i, family, proto);
                }

        rule_begin(c, "forward");
        match_iifname(c, b->interface);
        stmt_counter(c, NFT_COUNTER_FWD_REFUSED);
        stmt_verdict(c, NF_DROP);
        rule_end(c);

        /* Leaving into the tunnel: replies to what a [Forward] let out of it, and what another
         * bridge's tunnel sends (relay's To=@OTHER: its own table's [Forward] decided, and our
         * own tunnel, in the group too, never gets here); nothing else, so no host on the other
         * networks can open a connection to a peer. */
        rule_begin(c, "forward");
        match_oifname(c, b->interface);
        match_ct_established(c);
        stmt_verdict(c, NF_ACCEPT);
        rule_end(c);

        rule_begin(c, "forward");
        match_oifname(c, b->interface);
        match_iifgroup(c, NFSWG_LINK_GROUP);
        stmt_verdict(c, NF_ACCEPT);
        rule_end(c);

        rule_begin(c, "forward");
        match_oifname(c, b->interface);
        stmt_counter(c, NFT_COUNTER_FWD_REFUSED);
        stmt_verdict(c, NF_DROP);
        rule_end(c);

        if (!masquerade)
                return;

        /* The input interface is unknown at postrouting (nft(8): iif is not available there), so
         * the peers' addresses stand for "from the tunnel". */
        add_chain(c, "postrouting", "nat", NF_INET_POST_ROUTING, 100);
        for (size_t i = 0; i < b->n_forwards; i++) {
                if (!b->forwards[i].masquerade)
                        continue;
                FOREACH_FAMILY(family) {
                        rule_begin(c, "postrouting");
                        match_peers_to_forward(c, family, i);
                        stmt_masquerade(c);
                        rule_end(c);
                }
        }
}
