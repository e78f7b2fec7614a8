/* SPDX-License-Identifier: MIT */
#pragma once

/* What the files building the table's batch share (src/nft only; the contract is nft/nft.h):
 *   nft-builder.c  one batch in a growing buffer: framing, messages, the table, counters, chains
 *   nft-set.c      sets and their elements, prefix lists for the interval sets
 *   nft-rule.c     rules as nft(8) writes them: matches and statements
 *   nft-batch.c    nft_build_*_batch(): the table's content and the input chain
 *   nft-forward.c  the forward chain (isolation and [Forward]) and the postrouting chain */

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/rule.h>

#include "nft/nft.h"

typedef struct NftBuilder {
        char *buf;
        size_t len, allocated;
        uint32_t seq;
        uint32_t set_id;
        char table[NFT_TABLE_MAXNAMELEN];
        struct nftnl_rule *rule; /* the rule being built */
        int error;               /* first error; every step after it does nothing */
} NftBuilder;

/* nft(8)'s "ip" and "ip6", "tcp" and "udp": the table's rules come in these pairs. */
#define FOREACH_FAMILY(family) for (int _f_ = 0, family = AF_INET; _f_ < 2; _f_++, family = AF_INET6)
#define FOREACH_L4PROTO(proto) for (int _p_ = 0, proto = IPPROTO_TCP; _p_ < 2; _p_++, proto = IPPROTO_UDP)

/* nft-builder.c. A builder is one batch: builder_init() opens it, builder_finish() closes it and
 * hands the buffer on, or returns the first error of any step in between. */
int builder_init(NftBuilder *c, const char *bridge_name, uint32_t seq);
void builder_done(NftBuilder *c);
void builder_fail(NftBuilder *c, int error);
int builder_finish(NftBuilder *c, void **ret, size_t *ret_len);
struct nlmsghdr *msg_begin(NftBuilder *c, uint16_t type, uint16_t flags);
void builder_commit(NftBuilder *c, struct nlmsghdr *nlh);

/* Appends one message; build is libnftnl's nftnl_OBJECT_nlmsg_build_payload() for obj. Does
 * nothing once a step failed. */
#define BUILDER_APPEND(c, type, flags, build, obj)                              \
        do {                                                                    \
                struct nlmsghdr *_nlh_ = msg_begin((c), (type), (flags));       \
                if (_nlh_) {                                                    \
                        build(_nlh_, (obj));                                    \
                        builder_commit((c), _nlh_);                             \
                }                                                               \
        } while (false)

void add_table(NftBuilder *c, uint16_t type, uint16_t flags);
void add_counter(NftBuilder *c, const char *name);
void add_chain(NftBuilder *c, const char *name, const char *type, uint32_t hook, int32_t prio);

/* nft-set.c */

/* Prefixes split by family, each list normalized for an interval set. */
typedef struct PrefixLists {
        IpPrefix *v4, *v6;
        size_t n_v4, n_v6;
} PrefixLists;

void prefix_lists_done(PrefixLists *l);
int prefix_lists_add(PrefixLists *l, const IpPrefix *p);
int prefix_lists_add_all(PrefixLists *l, const IpPrefix *p, size_t n);
int prefix_lists_add_peers(PrefixLists *l, const Peer *const *peers, size_t n);
void prefix_lists_normalize(PrefixLists *l);

/* set name4 { type ipv4_addr; flags interval } with l's v4 prefixes, and name6 with its v6 ones */
void add_interval_sets(NftBuilder *c, const char *name4, const char *name6, const PrefixLists *l);
/* set name { type inet_service } with the given ports, ascending and unique */
void add_port_set(NftBuilder *c, const char *name, const uint16_t *ports, size_t n);
/* type is NFT_MSG_NEWSETELEM or NFT_MSG_DELSETELEM; p is normalized */
void set_prefixes(NftBuilder *c, uint16_t type, const char *set, const IpPrefix *p, size_t n);

/* nft-rule.c: rule_begin(), matches and statements in nft(8)'s order, rule_end(). */
void rule_begin(NftBuilder *c, const char *chain);
void rule_end(NftBuilder *c);
void match_iifname(NftBuilder *c, const char *ifname);
void match_iifname_not(NftBuilder *c, const char *ifname);
void match_oifname(NftBuilder *c, const char *ifname);
void match_iifgroup(NftBuilder *c, uint32_t group);
void match_addr_set(NftBuilder *c, int family, bool source, const char *set);
void match_from_peers(NftBuilder *c, int family);
/* iifname != "lo" iifname != IFACE ip(6) saddr @tunnel4/6: a tunnel source from elsewhere */
void match_spoofed(NftBuilder *c, const Bridge *b, int family);
void match_dport_set(NftBuilder *c, uint8_t proto, const char *set);
void match_ct_established(NftBuilder *c);
void stmt_counter(NftBuilder *c, const char *name);
void stmt_verdict(NftBuilder *c, int verdict);
void stmt_masquerade(NftBuilder *c);

/* nft-forward.c: the sets of every [Forward], chain forward (every server mode) and, for
 * Masquerade=yes, chain postrouting. h may be NULL unless a [Forward] names @OTHER. */
void add_forward(NftBuilder *c, const Host *h, const Bridge *b);
