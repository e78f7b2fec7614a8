/* SPDX-License-Identifier: MIT */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <assert.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "nft/nft.h"
#include "shared/macro.h"

/* libnftnl writes a message in place without bounds checks, so room for the largest one is made
 * before each. Set element messages are chunked well below the 64 KiB a netlink attribute (the
 * element list) can hold. */
#define NFT_MSG_ROOM (96u * 1024u)
#define NFT_ELEMS_PER_MSG 1024u

/* nft(8)'s datatype numbers, stored with each set so `nft list` prints its elements properly */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
#define NFT_TYPE_INET_SERVICE 13

/* CT state bits as nf_conntrack_common.h: NF_CT_STATE_BIT(IP_CT_ESTABLISHED | IP_CT_RELATED) */
#define NFT_CT_STATE_ESTABLISHED_RELATED ((1u << 1) | (1u << 2))

typedef struct NftBuilder {
        char *buf;
        size_t len, allocated;
        uint32_t seq;
        uint32_t set_id;
        char table[NFT_TABLE_MAXNAMELEN];
        struct nftnl_rule *rule; /* the rule being built */
        int error;               /* first error; every step after it does nothing */
} NftBuilder;

typedef struct ElemKey {
        uint8_t data[16];
        uint32_t len;
        uint32_t flags; /* NFT_SET_ELEM_INTERVAL_END */
} ElemKey;

int nft_table_name(const char *bridge_name, char *buf, size_t size) {
        int n = snprintf(buf, size, NFT_TABLE_PREFIX "%s", bridge_name);
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        return 0;
}

static int builder_init(NftBuilder *c, const char *bridge_name, uint32_t seq) {
        *c = (NftBuilder) { .seq = seq, .set_id = 1 };
        return nft_table_name(bridge_name, c->table, sizeof c->table);
}

static void builder_done(NftBuilder *c) {
        if (c->rule)
                nftnl_rule_free(c->rule);
        free(c->buf);
        *c = (NftBuilder) {};
}

static void builder_fail(NftBuilder *c, int error) {
        if (c->error == 0)
                c->error = error;
}

static char *builder_room(NftBuilder *c) {
        if (c->error)
                return NULL;
        if (c->allocated - c->len < NFT_MSG_ROOM) {
                size_t n = c->allocated * 2 > c->len + NFT_MSG_ROOM ? c->allocated * 2 : c->len + NFT_MSG_ROOM;
                char *p = realloc(c->buf, n);
                if (!p) {
                        builder_fail(c, -ENOMEM);
                        return NULL;
                }
                /* the buffer is only appended to: zeroing each new part once keeps every byte
                 * sent defined, whatever padding libmnl leaves alone */
                memset(p + c->allocated, 0, n - c->allocated);
                c->buf = p;
                c->allocated = n;
        }
        return c->buf + c->len;
}

static void builder_commit(NftBuilder *c, struct nlmsghdr *nlh) {
        assert(nlh->nlmsg_len <= NFT_MSG_ROOM);
        c->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static struct nlmsghdr *msg_begin(NftBuilder *c, uint16_t type, uint16_t flags) {
        char *p = builder_room(c);
        if (!p)
                return NULL;
        /* Every message asks for an ACK, so the sender knows each one was taken (or why not). */
        return nftnl_nlmsg_build_hdr(p, type, NFPROTO_INET, flags | NLM_F_ACK, c->seq++);
}

static void batch_begin(NftBuilder *c) {
        char *p = builder_room(c);
        if (p)
                builder_commit(c, nftnl_batch_begin(p, c->seq++));
}

static void batch_end(NftBuilder *c) {
        char *p = builder_room(c);
        if (p)
                builder_commit(c, nftnl_batch_end(p, c->seq++));
}

static int builder_finish(NftBuilder *c, void **ret, size_t *ret_len) {
        if (c->error)
                return c->error;
        *ret_len = c->len;
        *ret = TAKE_PTR(c->buf);
        return 0;
}

static void add_table(NftBuilder *c, uint16_t type, uint16_t flags) {
        struct nftnl_table *t = nftnl_table_alloc();
        if (!t)
                return builder_fail(c, -ENOMEM);
        nftnl_table_set_str(t, NFTNL_TABLE_NAME, c->table);
        nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
        struct nlmsghdr *nlh = msg_begin(c, type, flags);
        if (nlh) {
                nftnl_table_nlmsg_build_payload(nlh, t);
                builder_commit(c, nlh);
        }
        nftnl_table_free(t);
}

static void add_counter(NftBuilder *c, const char *name) {
        struct nftnl_obj *o = nftnl_obj_alloc();
        if (!o)
                return builder_fail(c, -ENOMEM);
        nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, c->table);
        nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
        nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_INET);
        nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
        struct nlmsghdr *nlh = msg_begin(c, NFT_MSG_NEWOBJ, NLM_F_CREATE);
        if (nlh) {
                nftnl_obj_nlmsg_build_payload(nlh, o);
                builder_commit(c, nlh);
        }
        nftnl_obj_free(o);
}

static struct nftnl_set *set_new(NftBuilder *c, const char *name) {
        struct nftnl_set *s = nftnl_set_alloc();
        if (!s) {
                builder_fail(c, -ENOMEM);
                return NULL;
        }
        nftnl_set_set_str(s, NFTNL_SET_TABLE, c->table);
        nftnl_set_set_str(s, NFTNL_SET_NAME, name);
        nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
        return s;
}

static void add_set(NftBuilder *c, const char *name, uint32_t key_type, uint32_t key_len, bool interval) {
        struct nftnl_set *s = set_new(c, name);
        if (!s)
                return;
        nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
        nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
        nftnl_set_set_u32(s, NFTNL_SET_ID, c->set_id++);
        if (interval)
                nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);

        /* nft(8) reads the key's byte order from the set's user data; all ours are big endian. */
        struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(64);
        if (!ud || !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, 2 /* BYTEORDER_BIG_ENDIAN */))
                builder_fail(c, -ENOMEM);
        else
                nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
        if (ud)
                nftnl_udata_buf_free(ud);

        struct nlmsghdr *nlh = msg_begin(c, NFT_MSG_NEWSET, NLM_F_CREATE);
        if (nlh) {
                nftnl_set_nlmsg_build_payload(nlh, s);
                builder_commit(c, nlh);
        }
        nftnl_set_free(s);
}

/* One NEWSETELEM/DELSETELEM message per NFT_ELEMS_PER_MSG keys. */
static void set_elems(NftBuilder *c, uint16_t type, const char *set, const ElemKey *keys, size_t n) {
        for (size_t i = 0; i < n && !c->error; i += NFT_ELEMS_PER_MSG) {
                struct nftnl_set *s = set_new(c, set);
                if (!s)
                        return;
                for (size_t j = i; j < n && j < i + NFT_ELEMS_PER_MSG; j++) {
                        struct nftnl_set_elem *e = nftnl_set_elem_alloc();
                        if (!e) {
                                builder_fail(c, -ENOMEM);
                                break;
                        }
                        nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, keys[j].data, keys[j].len);
                        if (keys[j].flags)
                                nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, keys[j].flags);
                        nftnl_set_elem_add(s, e);
                }
                struct nlmsghdr *nlh = msg_begin(c, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
                if (nlh) {
                        nftnl_set_elems_nlmsg_build_payload(nlh, s);
                        builder_commit(c, nlh);
                }
                nftnl_set_free(s);
        }
}

/* An interval set holds a prefix as its first address and, flagged as the end, the first address
 * after it; a prefix reaching the top of the address space has no end element (open interval). */
static size_t prefix_to_keys(const IpPrefix *p, ElemKey ret[static 2]) {
        IpPrefix n = ip_prefix_network(p);
        unsigned bytes = ip_family_bits(p->family) / 8;

        ret[0] = (ElemKey) { .len = bytes };
        memcpy(ret[0].data, n.addr.bytes, bytes);

        /* last address: set the host bits, then add one with carry */
        ElemKey end = ret[0];
        for (unsigned bit = p->prefixlen; bit < bytes * 8; bit++)
                end.data[bit / 8] |= (uint8_t) (0x80 >> (bit % 8));
        int i;
        for (i = (int) bytes - 1; i >= 0; i--)
                if (++end.data[i] != 0)
                        break;
        if (i < 0)
                return 1;
        end.flags = NFT_SET_ELEM_INTERVAL_END;
        ret[1] = end;
        return 2;
}

static int prefix_cmp(const void *a, const void *b) {
        return ip_prefix_compare(a, b);
}

/* The networks of the given prefixes of one family, sorted, duplicates and prefixes inside
 * another dropped: the kernel rejects overlapping intervals. */
static void prefixes_normalize(IpPrefix *p, size_t *n) {
        size_t k = 0;

        if (*n == 0)
                return;
        for (size_t i = 0; i < *n; i++)
                p[i] = ip_prefix_network(&p[i]);
        qsort(p, *n, sizeof *p, prefix_cmp);
        /* sorted by address then length: a prefix is covered only by the last kept one, if any */
        for (size_t i = 0; i < *n; i++) {
                if (k > 0 && ip_prefix_contains(&p[k - 1], &p[i]))
                        continue;
                p[k++] = p[i];
        }
        *n = k;
}

static void set_prefixes(NftBuilder *c, uint16_t type, const char *set, const IpPrefix *p, size_t n) {
        _cleanup_free_ ElemKey *keys = NULL;
        size_t n_keys = 0;

        if (n == 0)
                return;
        keys = calloc(n * 2, sizeof *keys);
        if (!keys)
                return builder_fail(c, -ENOMEM);
        for (size_t i = 0; i < n; i++)
                n_keys += prefix_to_keys(&p[i], keys + n_keys);
        set_elems(c, type, set, keys, n_keys);
}

static void set_ports(NftBuilder *c, const char *set, const uint16_t *ports, size_t n) {
        _cleanup_free_ ElemKey *keys = NULL;

        if (n == 0)
                return;
        keys = calloc(n, sizeof *keys);
        if (!keys)
                return builder_fail(c, -ENOMEM);
        for (size_t i = 0; i < n; i++) {
                uint16_t be = htons(ports[i]);
                keys[i].len = sizeof be;
                memcpy(keys[i].data, &be, sizeof be);
        }
        set_elems(c, NFT_MSG_NEWSETELEM, set, keys, n);
}

static void add_chain(NftBuilder *c, const char *name, const char *type, uint32_t hook, int32_t prio) {
        struct nftnl_chain *ch = nftnl_chain_alloc();
        if (!ch)
                return builder_fail(c, -ENOMEM);
        nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, c->table);
        nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, name);
        nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
        nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, type);
        nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, hook);
        nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, prio);
        nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
        struct nlmsghdr *nlh = msg_begin(c, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
        if (nlh) {
                nftnl_chain_nlmsg_build_payload(nlh, ch);
                builder_commit(c, nlh);
        }
        nftnl_chain_free(ch);
}

/* Rules: rule_begin(), matches and statements in nft(8)'s order, rule_end(). */

static void rule_begin(NftBuilder *c, const char *chain) {
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

static void rule_end(NftBuilder *c) {
        if (!c->rule)
                return;
        struct nlmsghdr *nlh = msg_begin(c, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
        if (nlh) {
                nftnl_rule_nlmsg_build_payload(nlh, c->rule);
                builder_commit(c, nlh);
        }
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

/* iifname "NAME": the name, not the index, so the rule holds before the link exists and after
 * networkd recreates it. */
static void match_iifname(NftBuilder *c, const char *ifname) {
        char buf[IFNAMSIZ] = {};
        if (strlen(ifname) >= sizeof buf)
                return builder_fail(c, -ENAMETOOLONG);
        memcpy(buf, ifname, strlen(ifname));
        expr_meta(c, NFT_META_IIFNAME);
        expr_cmp(c, NFT_CMP_EQ, buf, sizeof buf);
}

static void match_u8(NftBuilder *c, uint32_t meta_key, uint8_t value) {
        expr_meta(c, meta_key);
        expr_cmp(c, NFT_CMP_EQ, &value, sizeof value);
}

/* ip saddr @set / ip6 daddr @set, with the nfproto check nft(8) adds in inet tables */
static void match_addr_set(NftBuilder *c, int family, bool source, const char *set) {
        if (family == AF_INET) {
                match_u8(c, NFT_META_NFPROTO, NFPROTO_IPV4);
                expr_payload(c, NFT_PAYLOAD_NETWORK_HEADER, source ? 12 : 16, 4);
        } else {
                match_u8(c, NFT_META_NFPROTO, NFPROTO_IPV6);
                expr_payload(c, NFT_PAYLOAD_NETWORK_HEADER, source ? 8 : 24, 16);
        }
        expr_lookup(c, set);
}

/* meta l4proto PROTO th dport @set: TCP and UDP keep the destination port at offset 2 */
static void match_dport_set(NftBuilder *c, uint8_t proto, const char *set) {
        match_u8(c, NFT_META_L4PROTO, proto);
        expr_payload(c, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
        expr_lookup(c, set);
}

static void match_ct_established(NftBuilder *c) {
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

static void stmt_counter(NftBuilder *c, const char *name) {
        struct nftnl_expr *e = expr_add(c, "objref");
        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
        nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name);
}

static void stmt_verdict(NftBuilder *c, int verdict) {
        struct nftnl_expr *e = expr_add(c, "immediate");
        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t) verdict);
}

static void stmt_masquerade(NftBuilder *c) {
        expr_add(c, "masq");
}

/* The table's content */

static int port_cmp(const void *a, const void *b) {
        uint16_t x = *(const uint16_t *) a, y = *(const uint16_t *) b;
        return x < y ? -1 : x > y;
}

static size_t ports_sort_unique(uint16_t *p, size_t n) {
        size_t k = 0;
        qsort(p, n, sizeof *p, port_cmp);
        for (size_t i = 0; i < n; i++)
                if (p[i] != 0 && (k == 0 || p[k - 1] != p[i]))
                        p[k++] = p[i];
        return k;
}

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

/* Prefixes split by family, each list normalized for an interval set. */
typedef struct PrefixLists {
        IpPrefix *v4, *v6;
        size_t n_v4, n_v6;
} PrefixLists;

static void prefix_lists_done(PrefixLists *l) {
        free(l->v4);
        free(l->v6);
        *l = (PrefixLists) {};
}

static int prefix_lists_add(PrefixLists *l, const IpPrefix *p) {
        IpPrefix *slot = p->family == AF_INET ? ARRAY_PUSH(l->v4, l->n_v4) : ARRAY_PUSH(l->v6, l->n_v6);
        if (!slot)
                return -ENOMEM;
        *slot = *p;
        return 0;
}

static int prefix_lists_add_peers(PrefixLists *l, const Peer *const *peers, size_t n) {
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < peers[i]->n_addresses; j++) {
                        int r = prefix_lists_add(l, &peers[i]->addresses[j]);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static int prefix_lists_add_bridge_peers(PrefixLists *l, const Bridge *b) {
        for (size_t i = 0; i < b->n_peers; i++) {
                const Peer *p = &b->peers[i];
                int r = prefix_lists_add_peers(l, &p, 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void prefix_lists_normalize(PrefixLists *l) {
        prefixes_normalize(l->v4, &l->n_v4);
        prefixes_normalize(l->v6, &l->n_v6);
}

/* Where [Forward] N leads: To=, or for To=@OTHER the networks of OTHER's addresses and the
 * networks its peers route to (AllowedIPs=, the sites' LANs; the peers' own tunnel addresses lie
 * in OTHER's networks already). */
static int forward_destinations(const Host *h, const Forward *f, PrefixLists *ret) {
        int r;

        if (!f->to_bridge)
                return prefix_lists_add(ret, &f->to);

        const Bridge *other = h ? host_find_bridge(h, f->to_bridge) : NULL;
        if (!other)
                return -ENOENT;
        for (size_t i = 0; i < other->n_addresses; i++) {
                IpPrefix n = ip_prefix_network(&other->addresses[i]);
                r = prefix_lists_add(ret, &n);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < other->n_peers; i++) {
                const Peer *p = &other->peers[i];
                for (size_t j = 0; j < p->n_addresses; j++) {
                        r = prefix_lists_add(ret, &p->addresses[j]);
                        if (r < 0)
                                return r;
                }
                for (size_t j = 0; j < p->n_allowed_ips; j++) {
                        r = prefix_lists_add(ret, &p->allowed_ips[j]);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static void add_interval_sets(NftBuilder *c, const char *name4, const char *name6, const PrefixLists *l) {
        add_set(c, name4, NFT_TYPE_IPADDR, 4, true);
        set_prefixes(c, NFT_MSG_NEWSETELEM, name4, l->v4, l->n_v4);
        add_set(c, name6, NFT_TYPE_IP6ADDR, 16, true);
        set_prefixes(c, NFT_MSG_NEWSETELEM, name6, l->v6, l->n_v6);
}

static void add_input_rules(NftBuilder *c, const Host *h, const Bridge *b) {
        static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };

        /* Local tools (showmount, rpcinfo, the NFS client of the host itself) talk to rpcbind and
         * mountd over lo. */
        rule_begin(c, "input");
        match_iifname(c, "lo");
        stmt_verdict(c, NF_ACCEPT);
        rule_end(c);

        /* Every bridge's table guards its own tunnel and the rest of the world; without these a
         * second bridge's peers would meet our final drop. */
        for (size_t i = 0; h && i < h->n_bridges; i++) {
                const Bridge *o = h->bridges[i];
                if (o == b || streq(o->name, b->name) || !o->interface || streq(o->interface, b->interface) ||
                    o->mode == BRIDGE_MODE_CLIENT)
                        continue;
                rule_begin(c, "input");
                match_iifname(c, o->interface);
                stmt_verdict(c, NF_ACCEPT);
                rule_end(c);
        }

        for (int f = 0; f < 2; f++)
                for (size_t p = 0; p < ELEMENTSOF(protos); p++) {
                        rule_begin(c, "input");
                        match_iifname(c, b->interface);
                        match_addr_set(c, f == 0 ? AF_INET : AF_INET6, true, f == 0 ? NFT_SET_PEERS4 : NFT_SET_PEERS6);
                        match_dport_set(c, protos[p], NFT_SET_NFS_PORTS);
                        stmt_counter(c, NFT_COUNTER_NFS_ACCEPTED);
                        stmt_verdict(c, NF_ACCEPT);
                        rule_end(c);
                }

        for (size_t p = 0; p < ELEMENTSOF(protos); p++) {
                rule_begin(c, "input");
                match_dport_set(c, protos[p], NFT_SET_NFS_PORTS);
                stmt_counter(c, NFT_COUNTER_NFS_REFUSED);
                stmt_verdict(c, NF_DROP);
                rule_end(c);
        }
}

static void add_forward(NftBuilder *c, const Host *h, const Bridge *b) {
        static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
        bool masquerade = false;

        add_counter(c, NFT_COUNTER_FWD_ACCEPTED);
        add_counter(c, NFT_COUNTER_FWD_REFUSED);

        for (size_t i = 0; i < b->n_forwards && !c->error; i++) {
                const Forward *f = &b->forwards[i];
                _cleanup_(prefix_lists_done) PrefixLists dest = {};
                char n4[32], n6[32], np[32];

                snprintf(n4, sizeof n4, "fwd%zu_4", i);
                snprintf(n6, sizeof n6, "fwd%zu_6", i);
                snprintf(np, sizeof np, "fwd%zu_ports", i);

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
                        memcpy(ports + 2, f->nas_ports, f->n_nas_ports * sizeof *ports);
                        size_t n = ports_sort_unique(ports, 2 + f->n_nas_ports);
                        add_set(c, np, NFT_TYPE_INET_SERVICE, 2, false);
                        set_ports(c, np, ports, n);
                }
                masquerade = masquerade || f->masquerade;
        }

        add_chain(c, "forward", "filter", NF_INET_FORWARD, -10);

        /* Replies to what was let through, whichever interface they come back on. */
        rule_begin(c, "forward");
        match_ct_established(c);
        stmt_verdict(c, NF_ACCEPT);
        rule_end(c);

        for (size_t i = 0; i < b->n_forwards; i++) {
                const Forward *f = &b->forwards[i];
                char np[32];
                snprintf(np, sizeof np, "fwd%zu_ports", i);

                for (int fam = 0; fam < 2; fam++) {
                        char nd[32];
                        snprintf(nd, sizeof nd, "fwd%zu_%c", i, fam == 0 ? '4' : '6');
                        for (size_t p = 0; p < (f->ports == FORWARD_PORTS_NFS ? ELEMENTSOF(protos) : 1); p++) {
                                rule_begin(c, "forward");
                                match_iifname(c, b->interface);
                                match_addr_set(c, fam == 0 ? AF_INET : AF_INET6, true,
                                               fam == 0 ? NFT_SET_PEERS4 : NFT_SET_PEERS6);
                                match_addr_set(c, fam == 0 ? AF_INET : AF_INET6, false, nd);
                                if (f->ports == FORWARD_PORTS_NFS)
                                        match_dport_set(c, protos[p], np);
                                stmt_counter(c, NFT_COUNTER_FWD_ACCEPTED);
                                stmt_verdict(c, NF_ACCEPT);
                                rule_end(c);
                        }
                }
        }

        /* Forwarding from the tunnel is closed unless a [Forward] opened it above. */
        rule_begin(c, "forward");
        match_iifname(c, b->interface);
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
                for (int fam = 0; fam < 2; fam++) {
                        char nd[32];
                        snprintf(nd, sizeof nd, "fwd%zu_%c", i, fam == 0 ? '4' : '6');
                        rule_begin(c, "postrouting");
                        match_addr_set(c, fam == 0 ? AF_INET : AF_INET6, true,
                                       fam == 0 ? NFT_SET_PEERS4 : NFT_SET_PEERS6);
                        match_addr_set(c, fam == 0 ? AF_INET : AF_INET6, false, nd);
                        stmt_masquerade(c);
                        rule_end(c);
                }
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

        r = builder_init(&c, b->name, seq);
        if (r < 0)
                return r;
        r = prefix_lists_add_bridge_peers(&peers, b);
        if (r < 0)
                return r;
        prefix_lists_normalize(&peers);
        size_t n_ports = nft_nfs_ports(h, b, ports);

        batch_begin(&c);
        /* Create if missing, so that the delete cannot fail; then delete it with all it holds and
         * create it afresh: one transaction replacing the table (nft(8), "ATOMIC RULE REPLACEMENT"). */
        add_table(&c, NFT_MSG_NEWTABLE, NLM_F_CREATE);
        add_table(&c, NFT_MSG_DELTABLE, 0);
        add_table(&c, NFT_MSG_NEWTABLE, NLM_F_CREATE);

        add_interval_sets(&c, NFT_SET_PEERS4, NFT_SET_PEERS6, &peers);
        add_set(&c, NFT_SET_NFS_PORTS, NFT_TYPE_INET_SERVICE, 2, false);
        set_ports(&c, NFT_SET_NFS_PORTS, ports, n_ports);
        add_counter(&c, NFT_COUNTER_NFS_ACCEPTED);
        add_counter(&c, NFT_COUNTER_NFS_REFUSED);

        add_chain(&c, "input", "filter", NF_INET_LOCAL_IN, -10);
        add_input_rules(&c, h, b);

        if (b->mode == BRIDGE_MODE_NAS || b->mode == BRIDGE_MODE_RELAY || b->n_forwards > 0)
                add_forward(&c, h, b);

        batch_end(&c);
        return builder_finish(&c, ret, ret_len);
}

static int build_peer_sets_family(NftBuilder *c, uint16_t type, const Peer *const *peers, size_t n) {
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

        batch_begin(&c);
        /* Removals first, so a peer removed and added back with the same address ends up present. */
        r = build_peer_sets_family(&c, NFT_MSG_DELSETELEM, removed, n_removed);
        if (r < 0)
                return r;
        r = build_peer_sets_family(&c, NFT_MSG_NEWSETELEM, added, n_added);
        if (r < 0)
                return r;
        batch_end(&c);
        return builder_finish(&c, ret, ret_len);
}

int nft_build_remove_batch(const char *bridge_name, uint32_t seq, void **ret, size_t *ret_len) {
        _cleanup_(builder_done) NftBuilder c = {};
        int r;

        r = builder_init(&c, bridge_name, seq);
        if (r < 0)
                return r;
        batch_begin(&c);
        add_table(&c, NFT_MSG_DELTABLE, 0);
        batch_end(&c);
        return builder_finish(&c, ret, ret_len);
}
