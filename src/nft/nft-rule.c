/* SPDX-License-Identifier: MIT */
#include <netinet/in.h>
#include <assert.h>
#include <linux/netfilter.h>
#include <net/if.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "nft/nft-internal.h"
#include "shared/macro.h"

/* CT state bits as nf_conntrack_common.h: NF_CT_STATE_BIT(IP_CT_ESTABLISHED | IP_CT_RELATED) */
#define NFT_CT_STATE_ESTABLISHED_RELATED ((1u << 1) | (1u << 2))

void rule_begin(NftBuilder *c, const char *chain) {
        if (c->error)
                return;
        assert(!c->rule);
        c->rule = nftnl_rule_alloc();
        if (!c->rule)
                return builder_fail(c, -ENOMEM);
        nftnl_rule_set_str(c->rule, NFTNL_RULE_TABLE, c->table);
        nftnl_rule_set_str(c->rule, NFTNL_RULE_CHAIN, chain);
        nftnl_rule_set_u32(c->rule, NFTNL_RULE_FAMILY, NFPROTO_INET);
}

void rule_end(NftBuilder *c) {
        if (!c->rule)
                return;
        BUILDER_APPEND(c, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, nftnl_rule_nlmsg_build_payload, c->rule);
        nftnl_rule_free(TAKE_PTR(c->rule));
}

static struct nftnl_expr *expr_add(NftBuilder *c, const char *name) {
        if (c->error || !c->rule)
                return NULL;
        struct nftnl_expr *e = nftnl_expr_alloc(name);
        if (!e) {
                builder_fail(c, -ENOMEM);
                return NULL;
        }
        nftnl_rule_add_expr(c->rule, e); /* the rule owns it now */
        return e;
}

static void expr_meta(NftBuilder *c, uint32_t key) {
        struct nftnl_expr *e = expr_add(c, "meta");
        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
}

static void expr_cmp(NftBuilder *c, uint32_t op, const void *data, uint32_t len) {
        struct nftnl_expr *e = expr_add(c, "cmp");
        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
        nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

static void expr_payload(NftBuilder *c, uint32_t base, uint32_t offset, uint32_t len) {
        struct nftnl_expr *e = expr_add(c, "payload");
        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
}

static void expr_lookup(NftBuilder *c, const char *set) {
        struct nftnl_expr *e = expr_add(c, "lookup");
        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
        nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
}

/* iifname "NAME" / iifname != "NAME" / oifname "NAME": the name, not the index, so the rule holds
 * before the link exists and after networkd recreates it. */
static void match_ifname_op(NftBuilder *c, uint32_t key, uint32_t op, const char *ifname) {
        char buf[IFNAMSIZ] = {};
        if (strlen(ifname) >= sizeof buf)
                return builder_fail(c, -ENAMETOOLONG);
        memcpy(buf, ifname, strlen(ifname));
        expr_meta(c, key);
        expr_cmp(c, op, buf, sizeof buf);
}

void match_iifname(NftBuilder *c, const char *ifname) {
        match_ifname_op(c, NFT_META_IIFNAME, NFT_CMP_EQ, ifname);
}

void match_iifname_not(NftBuilder *c, const char *ifname) {
        match_ifname_op(c, NFT_META_IIFNAME, NFT_CMP_NEQ, ifname);
}

void match_oifname(NftBuilder *c, const char *ifname) {
        match_ifname_op(c, NFT_META_OIFNAME, NFT_CMP_EQ, ifname);
}

/* meta iifgroup GROUP: the kernel compares the device's group as a u32 in host byte order, as
 * nft(8) sends it (its devgroup type is host-endian). */
void match_iifgroup(NftBuilder *c, uint32_t group) {
        expr_meta(c, NFT_META_IIFGROUP);
        expr_cmp(c, NFT_CMP_EQ, &group, sizeof group);
}

static void match_u8(NftBuilder *c, uint32_t meta_key, uint8_t value) {
        expr_meta(c, meta_key);
        expr_cmp(c, NFT_CMP_EQ, &value, sizeof value);
}

/* ip saddr @set / ip6 daddr @set, with the nfproto check nft(8) adds in inet tables */
void match_addr_set(NftBuilder *c, int family, bool source, const char *set) {
        if (family == AF_INET) {
                match_u8(c, NFT_META_NFPROTO, NFPROTO_IPV4);
                expr_payload(c, NFT_PAYLOAD_NETWORK_HEADER, source ? 12 : 16, 4);
        } else {
                match_u8(c, NFT_META_NFPROTO, NFPROTO_IPV6);
                expr_payload(c, NFT_PAYLOAD_NETWORK_HEADER, source ? 8 : 24, 16);
        }
        expr_lookup(c, set);
}

/* ip saddr @peers4 / ip6 saddr @peers6 */
void match_from_peers(NftBuilder *c, int family) {
        match_addr_set(c, family, true, family == AF_INET ? NFT_SET_PEERS4 : NFT_SET_PEERS6);
}

/* The host talks to its own tunnel address over lo, with that address as the source. */
void match_spoofed(NftBuilder *c, const Bridge *b, int family) {
        match_iifname_not(c, "lo");
        match_iifname_not(c, b->interface);
        match_addr_set(c, family, true, family == AF_INET ? NFT_SET_TUNNEL4 : NFT_SET_TUNNEL6);
}

/* meta l4proto PROTO th dport @set: TCP and UDP keep the destination port at offset 2 */
void match_dport_set(NftBuilder *c, uint8_t proto, const char *set) {
        match_u8(c, NFT_META_L4PROTO, proto);
        expr_payload(c, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
        expr_lookup(c, set);
}

void match_ct_established(NftBuilder *c) {
        static const uint32_t mask = NFT_CT_STATE_ESTABLISHED_RELATED, zero = 0;
        struct nftnl_expr *e = expr_add(c, "ct");
        if (e) {
                nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
                nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
        }
        e = expr_add(c, "bitwise");
        if (e) {
                nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
                nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
                nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof mask);
                nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof mask);
                nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof zero);
        }
        expr_cmp(c, NFT_CMP_NEQ, &zero, sizeof zero);
}

void stmt_counter(NftBuilder *c, const char *name) {
        struct nftnl_expr *e = expr_add(c, "objref");
        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
        nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name);
}

void stmt_verdict(NftBuilder *c, int verdict) {
        struct nftnl_expr *e = expr_add(c, "immediate");
        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t) verdict);
}

void stmt_masquerade(NftBuilder *c) {
        expr_add(c, "masq");
}
