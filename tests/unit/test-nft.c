/* SPDX-License-Identifier: MIT */
/* The nftables batch, decoded message by message into text and compared whole: message types in
 * order, set elements, chains and every rule's expressions. No root, no kernel. */
#include <netinet/in.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "nft/nft.h"
#include "shared/macro.h"

/* Hand-made models */

static IpPrefix pfx(const char *s) {
        IpPrefix p;
        assert_int_equal(ip_prefix_parse(s, true, &p), 0);
        return p;
}

typedef struct TestBridge {
        Bridge b;
        Peer peers[4];
        IpPrefix addrs[4][2];
        IpPrefix allowed[4][1];
        IpPrefix bridge_addrs[2];
        Forward forwards[2];
        uint16_t nas_ports[4];
} TestBridge;

static void tb_init(TestBridge *t, const char *name, const char *iface, BridgeMode mode, const char *addr) {
        *t = (TestBridge) {};
        t->b.name = (char *) name;
        t->b.interface = (char *) iface;
        t->b.mode = mode;
        t->b.nfs_versions = NFS_V4_2;
        t->bridge_addrs[0] = pfx(addr);
        t->b.addresses = t->bridge_addrs;
        t->b.n_addresses = 1;
        t->b.peers = t->peers;
        t->b.forwards = t->forwards;
        t->b.nfs = (NfsSettings) { .mountd_port = DEFAULT_MOUNTD_PORT, .statd_port = DEFAULT_STATD_PORT,
                                   .statd_outgoing_port = DEFAULT_STATD_OUTGOING_PORT,
                                   .lockd_port = DEFAULT_LOCKD_PORT };
}

static Peer *tb_peer(TestBridge *t, const char *name, const char *a1, const char *a2) {
        size_t i = t->b.n_peers++;
        Peer *p = &t->peers[i];
        p->name = (char *) name;
        p->addresses = t->addrs[i];
        p->addresses[p->n_addresses++] = pfx(a1);
        if (a2)
                p->addresses[p->n_addresses++] = pfx(a2);
        return p;
}

/* Decoding: one line per message */

typedef struct Decoded {
        char *text;
        size_t n_msgs;
        uint32_t first_seq, last_seq;
} Decoded;

static const char *verdict_name(uint32_t v) {
        return v == NF_ACCEPT ? "accept" : v == NF_DROP ? "drop" : "?";
}

static void print_key(FILE *f, const void *data, uint32_t len) {
        char buf[INET6_ADDRSTRLEN];
        if (len == 2)
                fprintf(f, "%u", ntohs(*(const uint16_t *) data));
        else if (len == 4 || len == 16)
                fputs(inet_ntop(len == 4 ? AF_INET : AF_INET6, data, buf, sizeof buf), f);
        else
                fprintf(f, "?len%u", len);
}

/* libnftnl (1.2.4) writes the counter's name without its NUL and reads it back with strdup(), so
 * the names are taken from the message itself, in expression order. */
static size_t objref_names(const struct nlmsghdr *nlh, char names[][32], size_t max) {
        const struct nlattr *a, *le, *ea, *da;
        size_t n = 0;

        mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
                if (mnl_attr_get_type(a) != NFTA_RULE_EXPRESSIONS)
                        continue;
                mnl_attr_for_each_nested(le, a) {
                        bool objref = false;
                        mnl_attr_for_each_nested(ea, le) {
                                if (mnl_attr_get_type(ea) == NFTA_EXPR_NAME)
                                        objref = streq(mnl_attr_get_str(ea), "objref");
                                else if (mnl_attr_get_type(ea) == NFTA_EXPR_DATA && objref)
                                        mnl_attr_for_each_nested(da, ea)
                                                if (mnl_attr_get_type(da) == NFTA_OBJREF_IMM_NAME) {
                                                        assert_true(n < max);
                                                        snprintf(names[n++], 32, "%.*s", (int) mnl_attr_get_payload_len(da),
                                                                 (const char *) mnl_attr_get_payload(da));
                                                }
                        }
                }
        }
        return n;
}

static void print_expr(FILE *f, struct nftnl_expr *e, char names[][32], size_t *next_name) {
        const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
        uint32_t len;

        if (streq(name, "meta")) {
                uint32_t k = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
                assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_META_DREG), NFT_REG_1);
                fputs(k == NFT_META_IIFNAME ? " iifname" : k == NFT_META_OIFNAME ? " oifname" :
                      k == NFT_META_IIFGROUP ? " iifgroup" :
                      k == NFT_META_NFPROTO ? " nfproto" : k == NFT_META_L4PROTO ? " l4proto" : " meta?", f);
        } else if (streq(name, "cmp")) {
                const uint8_t *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
                uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
                fputs(op == NFT_CMP_EQ ? " ==" : op == NFT_CMP_NEQ ? " !=" : " ?op", f);
                if (len == 16) { /* IFNAMSIZ: the name, zero padded to the end */
                        size_t l = strnlen((const char *) d, 16);
                        for (size_t i = l; i < 16; i++)
                                assert_int_equal(d[i], 0);
                        fprintf(f, " \"%.*s\"", (int) l, d);
                } else if (len == 1)
                        fprintf(f, " %u", d[0]);
                else if (len == 4)
                        fprintf(f, " %u", *(const uint32_t *) d);
                else
                        fprintf(f, " ?len%u", len);
        } else if (streq(name, "payload")) {
                uint32_t base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
                fprintf(f, " %s+%u/%u", base == NFT_PAYLOAD_NETWORK_HEADER ? "nh" : base == NFT_PAYLOAD_TRANSPORT_HEADER ? "th" : "?",
                        nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET), nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN));
        } else if (streq(name, "lookup"))
                fprintf(f, " @%s", nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET));
        else if (streq(name, "objref")) {
                assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE), NFT_OBJECT_COUNTER);
                fprintf(f, " counter:%s", names[(*next_name)++]);
        } else if (streq(name, "immediate")) {
                assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG), NFT_REG_VERDICT);
                fprintf(f, " %s", verdict_name(nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT)));
        } else if (streq(name, "ct"))
                fprintf(f, " ct%s", nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY) == NFT_CT_STATE ? "state" : "?");
        else if (streq(name, "bitwise"))
                fprintf(f, " &%u", *(const uint32_t *) nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &len));
        else if (streq(name, "masq"))
                fputs(" masquerade", f);
        else
                fprintf(f, " %s?", name);
}

/* The element list is walked by hand: libnftnl numbers the nested elements 1, 2, 3... when it
 * builds them (the kernel ignores that type) but only accepts NFTA_LIST_ELEM when parsing. */
static void print_set_elems(FILE *f, const struct nlmsghdr *nlh) {
        const struct nlattr *a, *elem, *ea, *key;

        mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
                switch (mnl_attr_get_type(a)) {
                case NFTA_SET_ELEM_LIST_SET:
                        fprintf(f, " %s", mnl_attr_get_str(a));
                        break;
                case NFTA_SET_ELEM_LIST_ELEMENTS:
                        mnl_attr_for_each_nested(elem, a) {
                                const void *kdata = NULL;
                                uint32_t klen = 0, flags = 0;
                                mnl_attr_for_each_nested(ea, elem) {
                                        if (mnl_attr_get_type(ea) == NFTA_SET_ELEM_FLAGS)
                                                flags = ntohl(mnl_attr_get_u32(ea));
                                        else if (mnl_attr_get_type(ea) == NFTA_SET_ELEM_KEY)
                                                mnl_attr_for_each_nested(key, ea) {
                                                        assert_int_equal(mnl_attr_get_type(key), NFTA_DATA_VALUE);
                                                        kdata = mnl_attr_get_payload(key);
                                                        klen = mnl_attr_get_payload_len(key);
                                                }
                                        else
                                                fail_msg("unexpected element attribute %u", mnl_attr_get_type(ea));
                                }
                                assert_non_null(kdata);
                                fputs(flags & NFT_SET_ELEM_INTERVAL_END ? " end:" : " ", f);
                                print_key(f, kdata, klen);
                        }
                        break;
                }
        }
}

static void decode_msg(FILE *f, const struct nlmsghdr *nlh, const char *table) {
        uint16_t type = nlh->nlmsg_type;
        const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);

        if (type == NFNL_MSG_BATCH_BEGIN || type == NFNL_MSG_BATCH_END) {
                assert_int_equal(g->res_id, htons(NFNL_SUBSYS_NFTABLES));
                fputs(type == NFNL_MSG_BATCH_BEGIN ? "begin\n" : "end\n", f);
                return;
        }
        assert_int_equal(type >> 8, NFNL_SUBSYS_NFTABLES);
        assert_int_equal(g->nfgen_family, NFPROTO_INET);
        /* every message asks for its ACK */
        assert_true(nlh->nlmsg_flags & NLM_F_ACK);
        assert_true(nlh->nlmsg_flags & NLM_F_REQUEST);

        switch (type & 0xff) {
        case NFT_MSG_NEWTABLE:
        case NFT_MSG_DELTABLE: {
                struct nftnl_table *t = nftnl_table_alloc();
                assert_int_equal(nftnl_table_nlmsg_parse(nlh, t), 0);
                fprintf(f, "%s %s\n", (type & 0xff) == NFT_MSG_NEWTABLE ? "newtable" : "deltable",
                        nftnl_table_get_str(t, NFTNL_TABLE_NAME));
                nftnl_table_free(t);
                /* never EXCL: creating an existing table must not fail the batch */
                assert_false(nlh->nlmsg_flags & NLM_F_EXCL);
                return;
        }
        case NFT_MSG_NEWSET: {
                struct nftnl_set *s = nftnl_set_alloc();
                assert_int_equal(nftnl_set_nlmsg_parse(nlh, s), 0);
                assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_TABLE), table);
                uint32_t flags = nftnl_set_is_set(s, NFTNL_SET_FLAGS) ? nftnl_set_get_u32(s, NFTNL_SET_FLAGS) : 0;
                fprintf(f, "newset %s len%u%s\n", nftnl_set_get_str(s, NFTNL_SET_NAME),
                        nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), flags & NFT_SET_INTERVAL ? " interval" : "");
                nftnl_set_free(s);
                return;
        }
        case NFT_MSG_NEWSETELEM:
        case NFT_MSG_DELSETELEM:
                fputs((type & 0xff) == NFT_MSG_NEWSETELEM ? "newsetelem" : "delsetelem", f);
                print_set_elems(f, nlh);
                fputc('\n', f);
                return;
        case NFT_MSG_NEWOBJ: {
                struct nftnl_obj *o = nftnl_obj_alloc();
                assert_int_equal(nftnl_obj_nlmsg_parse(nlh, o), 0);
                assert_int_equal(nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE), NFT_OBJECT_COUNTER);
                fprintf(f, "counter %s\n", nftnl_obj_get_str(o, NFTNL_OBJ_NAME));
                nftnl_obj_free(o);
                return;
        }
        case NFT_MSG_NEWCHAIN: {
                struct nftnl_chain *c = nftnl_chain_alloc();
                assert_int_equal(nftnl_chain_nlmsg_parse(nlh, c), 0);
                fprintf(f, "chain %s %s hook%u prio%d %s\n", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
                        nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM),
                        nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), verdict_name(nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY)));
                nftnl_chain_free(c);
                return;
        }
        case NFT_MSG_NEWRULE: {
                struct nftnl_rule *r = nftnl_rule_alloc();
                assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
                assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), table);
                fprintf(f, "rule %s:", nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
                char names[4][32];
                size_t n_names = objref_names(nlh, names, 4), next_name = 0;
                struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
                for (struct nftnl_expr *e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it))
                        print_expr(f, e, names, &next_name);
                assert_int_equal(next_name, n_names);
                nftnl_expr_iter_destroy(it);
                fputc('\n', f);
                nftnl_rule_free(r);
                return;
        }
        default:
                fprintf(f, "type%u\n", type & 0xff);
        }
}

static Decoded decode(const void *batch, size_t len, uint32_t seq, const char *table) {
        Decoded d = { .first_seq = seq };
        size_t size = 0;
        FILE *f = open_memstream(&d.text, &size);
        int rem = (int) len;
        const struct nlmsghdr *nlh;

        assert_non_null(f);
        for (nlh = batch; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
                /* sequence numbers count up from seq, one per message */
                assert_int_equal(nlh->nlmsg_seq, seq + d.n_msgs);
                d.last_seq = nlh->nlmsg_seq;
                /* attribute lists are at most 64 KiB (struct nlattr's u16 length) */
                assert_true(nlh->nlmsg_len < 65536);
                decode_msg(f, nlh, table);
                d.n_msgs++;
        }
        assert_int_equal(rem, 0);
        fclose(f);
        return d;
}

static Decoded build(const Host *h, const Bridge *b) {
        void *batch = NULL;
        size_t len = 0;
        char table[64];

        assert_int_equal(nft_build_bridge_batch(h, b, 77, &batch, &len), 0);
        assert_non_null(batch);
        snprintf(table, sizeof table, "nfswg_%s", b->name);
        Decoded d = decode(batch, len, 77, table);
        free(batch);
        return d;
}

static void assert_text(const char *got, const char *expected) {
        if (!streq(got, expected))
                fprintf(stderr, "--- expected\n%s--- got\n%s", expected, got);
        assert_string_equal(got, expected);
}

/* The input chain: a tunnel source from anywhere but the tunnel and lo dropped, the peers let in
 * to nfsports, everything NFS from anyone else on the tunnel dropped; nothing about the host's
 * other interfaces. */
#define INPUT_RULES(IFACE)                                                                                  \
        "rule input: iifname != \"lo\" iifname != \"" IFACE "\" nfproto == 2 nh+12/4 @tunnel4 counter:spoofed drop\n" \
        "rule input: iifname != \"lo\" iifname != \"" IFACE "\" nfproto == 10 nh+8/16 @tunnel6 counter:spoofed drop\n" \
        "rule input: iifname == \"" IFACE "\" nfproto == 2 nh+12/4 @peers4 l4proto == 6 th+2/2 @nfsports counter:nfs_accepted accept\n" \
        "rule input: iifname == \"" IFACE "\" nfproto == 2 nh+12/4 @peers4 l4proto == 17 th+2/2 @nfsports counter:nfs_accepted accept\n" \
        "rule input: iifname == \"" IFACE "\" nfproto == 10 nh+8/16 @peers6 l4proto == 6 th+2/2 @nfsports counter:nfs_accepted accept\n" \
        "rule input: iifname == \"" IFACE "\" nfproto == 10 nh+8/16 @peers6 l4proto == 17 th+2/2 @nfsports counter:nfs_accepted accept\n" \
        "rule input: iifname == \"" IFACE "\" l4proto == 6 th+2/2 @nfsclosed counter:nfs_refused drop\n"  \
        "rule input: iifname == \"" IFACE "\" l4proto == 17 th+2/2 @nfsclosed counter:nfs_refused drop\n"

/* The forward chain's head: spoofed sources dropped, replies into the bridge from the tunnel */
#define FORWARD_HEAD(IFACE)                                                                                 \
        "chain forward filter hook2 prio-10 accept\n"                                                      \
        "rule forward: iifname != \"lo\" iifname != \"" IFACE "\" nfproto == 2 nh+12/4 @tunnel4 counter:spoofed drop\n" \
        "rule forward: iifname != \"lo\" iifname != \"" IFACE "\" nfproto == 10 nh+8/16 @tunnel6 counter:spoofed drop\n" \
        "rule forward: iifname == \"" IFACE "\" ctstate &6 != 0 accept\n"

/* ... its tail, after the [Forward] accepts: the rest from the tunnel dropped; into the tunnel
 * only replies and what another bridge's tunnel sends (group 0x6e6677) */
#define FORWARD_TAIL(IFACE)                                                                                 \
        "rule forward: iifname == \"" IFACE "\" counter:fwd_refused drop\n"                                \
        "rule forward: oifname == \"" IFACE "\" ctstate &6 != 0 accept\n"                                  \
        "rule forward: oifname == \"" IFACE "\" iifgroup == 7235191 accept\n"                              \
        "rule forward: oifname == \"" IFACE "\" counter:fwd_refused drop\n"

static void test_embedded_v4(void **state) {
        TestBridge t;
        tb_init(&t, "emb", "nfswg0", BRIDGE_MODE_EMBEDDED, "10.8.0.1/24");
        tb_peer(&t, "laptop", "10.8.0.2/32", NULL);
        tb_peer(&t, "phone", "10.8.0.3/32", NULL);

        /* embedded has a forward chain too: peers stay apart even when the host forwards; no rule
         * looks at any other interface's NFS ports, and lo is no exception needed any more */
        Decoded d = build(NULL, &t.b);
        assert_text(d.text,
                    "begin\n"
                    "newtable nfswg_emb\n"
                    "deltable nfswg_emb\n"
                    "newtable nfswg_emb\n"
                    "newset peers4 len4 interval\n"
                    "newsetelem peers4 10.8.0.2 end:10.8.0.3 10.8.0.3 end:10.8.0.4\n"
                    "newset peers6 len16 interval\n"
                    "newset tunnel4 len4 interval\n"
                    "newsetelem tunnel4 10.8.0.0 end:10.8.1.0\n"
                    "newset tunnel6 len16 interval\n"
                    "newset nfsports len2\n"
                    "newsetelem nfsports 111 2049\n"
                    "newset nfsclosed len2\n"
                    "newsetelem nfsclosed 111 2049 4045 20048 32765 32766\n"
                    "counter nfs_accepted\n"
                    "counter nfs_refused\n"
                    "counter spoofed\n"
                    "chain input filter hook1 prio-10 accept\n"
                    INPUT_RULES("nfswg0")
                    "counter fwd_accepted\n"
                    "counter fwd_refused\n"
                    FORWARD_HEAD("nfswg0")
                    FORWARD_TAIL("nfswg0")
                    "end\n");
        /* the drops all name the tunnel (or are anti-spoof): the old drop of NFS everywhere is gone */
        assert_null(strstr(d.text, "rule input: l4proto"));
        assert_null(strstr(d.text, "iifname == \"lo\""));
        free(d.text);
}

static void test_v3_pinned_ports(void **state) {
        TestBridge t;
        tb_init(&t, "v3", "nfswg-v3", BRIDGE_MODE_EMBEDDED, "10.8.0.1/24");
        t.b.nfs_versions |= NFS_V3;
        t.b.nfs = (NfsSettings) { .set = true, .mountd_port = 20048, .statd_port = 662,
                                  .statd_outgoing_port = 2020, .lockd_port = 32000 };
        tb_peer(&t, "a", "10.8.0.2/32", NULL);

        uint16_t ports[NFT_NFS_PORTS_MAX];
        size_t n = nft_nfs_ports(NULL, &t.b, ports);
        assert_int_equal(n, 6);
        uint16_t expected[] = { 111, 662, 2020, 2049, 20048, 32000 };
        assert_memory_equal(ports, expected, sizeof expected);

        Decoded d = build(NULL, &t.b);
        assert_non_null(strstr(d.text, "newsetelem nfsports 111 662 2020 2049 20048 32000\n"));
        assert_non_null(strstr(d.text, "newsetelem nfsclosed 111 662 2020 2049 20048 32000\n"));
        free(d.text);

        /* The host's agreed [NFS] gives the port numbers; only this bridge's versions decide
         * what its peers may reach: NFSv3 on another bridge of the host opens nothing here, and
         * the side ports stay closed on this v4-only tunnel. */
        Bridge *list[] = { &t.b };
        Host h = { .bridges = list, .n_bridges = 1, .nfs_versions = NFS_V3 | NFS_V4_2,
                   .nfs = { .mountd_port = 20048, .statd_port = 32765, .statd_outgoing_port = 32766, .lockd_port = 4045 } };
        t.b.nfs_versions = NFS_V4_2;
        d = build(&h, &t.b);
        assert_non_null(strstr(d.text, "newsetelem nfsports 111 2049\n"));
        assert_non_null(strstr(d.text, "newsetelem nfsclosed 111 2049 4045 20048 32765 32766\n"));
        assert_non_null(strstr(d.text, INPUT_RULES("nfswg-v3")));
        free(d.text);

        t.b.nfs_versions = NFS_V4_2 | NFS_V3;
        d = build(&h, &t.b);
        assert_non_null(strstr(d.text, "newsetelem nfsports 111 2049 4045 20048 32765 32766\n"));
        free(d.text);

        /* An administrator's [lockd] udp-port= apart from port= (nfs.conf(5)): both open to the
         * peers and both closed to everyone else. */
        h.nfs.lockd_udp_port = 4046;
        n = nft_nfs_ports(&h, &t.b, ports);
        assert_int_equal(n, 7);
        d = build(&h, &t.b);
        assert_non_null(strstr(d.text, "newsetelem nfsports 111 2049 4045 4046 20048 32765 32766\n"));
        assert_non_null(strstr(d.text, "newsetelem nfsclosed 111 2049 4045 4046 20048 32765 32766\n"));
        free(d.text);
}

/* CloseNFSOn=: NFS (2049, 111 and every pinned port, both protocols, both families: the rule
 * does not look at the family) dropped on the named interfaces, after the tunnel's rules */
static void test_close_nfs_on(void **state) {
        TestBridge t;
        tb_init(&t, "vps", "wg-vps", BRIDGE_MODE_EMBEDDED, "10.8.0.1/24");
        tb_peer(&t, "a", "10.8.0.2/32", NULL);
        char *closed[] = { (char *) "eth0", (char *) "ens3", NULL };
        t.b.close_nfs_on = closed;

        Decoded d = build(NULL, &t.b);
        assert_non_null(strstr(d.text, INPUT_RULES("wg-vps")
                                       "rule input: iifname == \"eth0\" l4proto == 6 th+2/2 @nfsclosed counter:nfs_refused drop\n"
                                       "rule input: iifname == \"eth0\" l4proto == 17 th+2/2 @nfsclosed counter:nfs_refused drop\n"
                                       "rule input: iifname == \"ens3\" l4proto == 6 th+2/2 @nfsclosed counter:nfs_refused drop\n"
                                       "rule input: iifname == \"ens3\" l4proto == 17 th+2/2 @nfsclosed counter:nfs_refused drop\n"
                                       "counter fwd_accepted\n"));
        free(d.text);

        t.b.close_nfs_on = NULL;
        d = build(NULL, &t.b);
        assert_null(strstr(d.text, "eth0"));
        free(d.text);
}

/* Anti-spoof: the bridge's networks, every peer address and a relay's site networks, never a
 * default route */
static void test_spoof_sets(void **state) {
        TestBridge t;
        tb_init(&t, "sp", "wg-sp", BRIDGE_MODE_RELAY, "10.8.0.1/24");
        t.bridge_addrs[1] = pfx("fd00:8::1/64");
        t.b.n_addresses = 2;
        Peer *p = tb_peer(&t, "office", "10.8.0.2/32", "fd00:8::2/128");
        p->allowed_ips = t.allowed[0];
        p->allowed_ips[p->n_allowed_ips++] = pfx("192.168.1.0/24");
        Peer *q = tb_peer(&t, "gw", "10.8.0.3/32", NULL);
        q->allowed_ips = t.allowed[1];
        q->allowed_ips[q->n_allowed_ips++] = pfx("::/0");

        Decoded d = build(NULL, &t.b);
        assert_non_null(strstr(d.text, "newsetelem tunnel4 10.8.0.0 end:10.8.1.0 192.168.1.0 end:192.168.2.0\n"));
        assert_non_null(strstr(d.text, "newsetelem tunnel6 fd00:8:: end:fd00:8:0:1::\n"));
        assert_non_null(strstr(d.text, INPUT_RULES("wg-sp")));
        assert_non_null(strstr(d.text, FORWARD_HEAD("wg-sp") FORWARD_TAIL("wg-sp")));
        free(d.text);
}

static void test_ipv6_and_prefixes(void **state) {
        TestBridge t;
        tb_init(&t, "six", "nfswg6", BRIDGE_MODE_EMBEDDED, "fd00:8::1/64");
        tb_peer(&t, "a", "fd00:8::2/128", "10.8.1.5/24"); /* host bits as written: the network goes in */
        tb_peer(&t, "b", "fd00:8::ffff/128", "10.8.1.77/32"); /* inside a's /24: dropped, the kernel refuses overlaps */
        tb_peer(&t, "c", "255.255.255.255/32", "fd00:9::/64"); /* the very top has no end element */

        Decoded d = build(NULL, &t.b);
        assert_non_null(strstr(d.text, "newsetelem peers4 10.8.1.0 end:10.8.2.0 255.255.255.255\n"));
        assert_non_null(strstr(d.text, "newsetelem peers6 fd00:8::2 end:fd00:8::3 fd00:8::ffff end:fd00:8::1:0 "
                                       "fd00:9:: end:fd00:9:0:1::\n"));
        assert_non_null(strstr(d.text, INPUT_RULES("nfswg6")));
        free(d.text);
}

static void test_nas_forward_masquerade(void **state) {
        TestBridge t;
        tb_init(&t, "nas", "nfswg-nas", BRIDGE_MODE_NAS, "10.8.0.1/24");
        tb_peer(&t, "a", "10.8.0.2/32", "fd00:8::2/128");
        t.nas_ports[0] = 892;
        t.nas_ports[1] = 32803;
        t.forwards[0] = (Forward) { .to = pfx("192.168.50.0/24"), .masquerade = true, .ports = FORWARD_PORTS_NFS,
                                    .nas_ports = t.nas_ports, .n_nas_ports = 2 };
        t.forwards[1] = (Forward) { .to = pfx("fd50::/64"), .masquerade = false, .ports = FORWARD_PORTS_ALL };
        t.b.n_forwards = 2;

        Decoded d = build(NULL, &t.b);
        assert_text(d.text,
                    "begin\n"
                    "newtable nfswg_nas\n"
                    "deltable nfswg_nas\n"
                    "newtable nfswg_nas\n"
                    "newset peers4 len4 interval\n"
                    "newsetelem peers4 10.8.0.2 end:10.8.0.3\n"
                    "newset peers6 len16 interval\n"
                    "newsetelem peers6 fd00:8::2 end:fd00:8::3\n"
                    "newset tunnel4 len4 interval\n"
                    "newsetelem tunnel4 10.8.0.0 end:10.8.1.0\n"
                    "newset tunnel6 len16 interval\n"
                    "newsetelem tunnel6 fd00:8::2 end:fd00:8::3\n"
                    "newset nfsports len2\n"
                    "newsetelem nfsports 111 2049\n"
                    "newset nfsclosed len2\n"
                    "newsetelem nfsclosed 111 2049 4045 20048 32765 32766\n"
                    "counter nfs_accepted\n"
                    "counter nfs_refused\n"
                    "counter spoofed\n"
                    "chain input filter hook1 prio-10 accept\n"
                    INPUT_RULES("nfswg-nas")
                    "counter fwd_accepted\n"
                    "counter fwd_refused\n"
                    "newset fwd0_4 len4 interval\n"
                    "newsetelem fwd0_4 192.168.50.0 end:192.168.51.0\n"
                    "newset fwd0_6 len16 interval\n"
                    "newset fwd0_ports len2\n"
                    "newsetelem fwd0_ports 111 892 2049 32803\n"
                    "newset fwd1_4 len4 interval\n"
                    "newset fwd1_6 len16 interval\n"
                    "newsetelem fwd1_6 fd50:: end:fd50:0:0:1::\n"
                    FORWARD_HEAD("nfswg-nas")
                    "rule forward: iifname == \"nfswg-nas\" nfproto == 2 nh+12/4 @peers4 nfproto == 2 nh+16/4 @fwd0_4 l4proto == 6 th+2/2 @fwd0_ports counter:fwd_accepted accept\n"
                    "rule forward: iifname == \"nfswg-nas\" nfproto == 2 nh+12/4 @peers4 nfproto == 2 nh+16/4 @fwd0_4 l4proto == 17 th+2/2 @fwd0_ports counter:fwd_accepted accept\n"
                    "rule forward: iifname == \"nfswg-nas\" nfproto == 10 nh+8/16 @peers6 nfproto == 10 nh+24/16 @fwd0_6 l4proto == 6 th+2/2 @fwd0_ports counter:fwd_accepted accept\n"
                    "rule forward: iifname == \"nfswg-nas\" nfproto == 10 nh+8/16 @peers6 nfproto == 10 nh+24/16 @fwd0_6 l4proto == 17 th+2/2 @fwd0_ports counter:fwd_accepted accept\n"
                    "rule forward: iifname == \"nfswg-nas\" nfproto == 2 nh+12/4 @peers4 nfproto == 2 nh+16/4 @fwd1_4 counter:fwd_accepted accept\n"
                    "rule forward: iifname == \"nfswg-nas\" nfproto == 10 nh+8/16 @peers6 nfproto == 10 nh+24/16 @fwd1_6 counter:fwd_accepted accept\n"
                    FORWARD_TAIL("nfswg-nas")
                    "chain postrouting nat hook4 prio100 accept\n"
                    "rule postrouting: nfproto == 2 nh+12/4 @peers4 nfproto == 2 nh+16/4 @fwd0_4 masquerade\n"
                    "rule postrouting: nfproto == 10 nh+8/16 @peers6 nfproto == 10 nh+24/16 @fwd0_6 masquerade\n"
                    "end\n");
        free(d.text);
}

static void test_relay_to_other_bridge(void **state) {
        TestBridge roam, site;
        tb_init(&roam, "roam", "wg-roam", BRIDGE_MODE_RELAY, "10.9.0.1/24");
        tb_peer(&roam, "laptop", "10.9.0.2/32", NULL);
        roam.forwards[0] = (Forward) { .to_bridge = (char *) "site", .ports = FORWARD_PORTS_ALL };
        roam.b.n_forwards = 1;

        tb_init(&site, "site", "wg-site", BRIDGE_MODE_RELAY, "10.10.0.1/24");
        Peer *p = tb_peer(&site, "office", "10.10.0.2/32", NULL);
        p->allowed_ips = site.allowed[0];
        p->allowed_ips[p->n_allowed_ips++] = pfx("192.168.1.0/24");

        Bridge *list[] = { &roam.b, &site.b };
        Host h = { .bridges = list, .n_bridges = 2, .nfs_versions = NFS_V4_2 };

        /* To=@site: site's tunnel network and the LAN behind its peer */
        Decoded d = build(&h, &roam.b);
        assert_non_null(strstr(d.text, "newsetelem fwd0_4 10.10.0.0 end:10.10.1.0 192.168.1.0 end:192.168.2.0\n"));
        /* the roamers reach site's networks; what site's tunnel sends into ours was let through
         * by site's table: by the link group every bridge's tunnel has (0x6e6677), never by its
         * name, so a bridge added later is covered without a reload */
        assert_non_null(strstr(d.text, INPUT_RULES("wg-roam")));
        assert_non_null(strstr(d.text, FORWARD_HEAD("wg-roam")
                                       "rule forward: iifname == \"wg-roam\" nfproto == 2 nh+12/4 @peers4 nfproto == 2 nh+16/4 @fwd0_4 counter:fwd_accepted accept\n"
                                       "rule forward: iifname == \"wg-roam\" nfproto == 10 nh+8/16 @peers6 nfproto == 10 nh+24/16 @fwd0_6 counter:fwd_accepted accept\n"
                                       FORWARD_TAIL("wg-roam") "end\n"));
        assert_null(strstr(d.text, "wg-site"));
        assert_null(strstr(d.text, "masquerade"));
        assert_null(strstr(d.text, "postrouting"));
        free(d.text);

        /* site has no [Forward]: everything forwarded from its tunnel is dropped, replies excepted
         * (to roamers' connections, which come in from roam's tunnel by the link group);
         * its input chain is the same with or without roam on the host */
        d = build(&h, &site.b);
        Decoded alone = build(NULL, &site.b);
        assert_string_equal(d.text, alone.text);
        free(alone.text);
        assert_non_null(strstr(d.text, INPUT_RULES("wg-site")));
        assert_null(strstr(d.text, "wg-roam"));
        assert_non_null(strstr(d.text, FORWARD_HEAD("wg-site") FORWARD_TAIL("wg-site") "end\n"));
        free(d.text);

        /* @OTHER needs the host to resolve it */
        void *batch = NULL;
        size_t len;
        assert_int_equal(nft_build_bridge_batch(NULL, &roam.b, 1, &batch, &len), -ENOENT);
        assert_null(batch);
}

static void test_client_mode_has_no_table(void **state) {
        TestBridge t;
        void *batch = NULL;
        size_t len;
        tb_init(&t, "cl", "wg-cl", BRIDGE_MODE_CLIENT, "10.8.0.2/24");
        assert_int_equal(nft_build_bridge_batch(NULL, &t.b, 1, &batch, &len), -EOPNOTSUPP);
        assert_null(batch);
}

static void test_peer_sets_batch(void **state) {
        TestBridge t;
        void *batch = NULL;
        size_t len, len_big;
        tb_init(&t, "emb", "nfswg0", BRIDGE_MODE_EMBEDDED, "10.8.0.1/24");
        Peer *a = tb_peer(&t, "a", "10.8.0.2/32", "fd00:8::2/128");
        Peer *b = tb_peer(&t, "b", "10.8.0.3/32", NULL);
        Peer *c = tb_peer(&t, "c", "10.8.0.9/32", NULL);
        const Peer *added[] = { a, b }, *removed[] = { c };

        assert_int_equal(nft_build_peer_sets_batch(&t.b, added, 2, removed, 1, 5, &batch, &len), 0);
        Decoded d = decode(batch, len, 5, "nfswg_emb");
        free(batch);
        /* removals first, then additions; only the changed addresses, nothing else */
        assert_text(d.text,
                    "begin\n"
                    "delsetelem peers4 10.8.0.9 end:10.8.0.10\n"
                    "newsetelem peers4 10.8.0.2 end:10.8.0.3 10.8.0.3 end:10.8.0.4\n"
                    "newsetelem peers6 fd00:8::2 end:fd00:8::3\n"
                    "end\n");
        free(d.text);

        /* O(changes): the bridge's other peers do not enter the batch */
        TestBridge big;
        tb_init(&big, "emb", "nfswg0", BRIDGE_MODE_EMBEDDED, "10.8.0.1/24");
        Peer many[300] = {};
        IpPrefix addrs[300];
        for (size_t i = 0; i < 300; i++) {
                char s[32];
                snprintf(s, sizeof s, "10.8.%zu.%zu/32", 1 + i / 200, 1 + i % 200);
                addrs[i] = pfx(s);
                many[i] = (Peer) { .name = (char *) "x", .addresses = &addrs[i], .n_addresses = 1 };
        }
        big.b.peers = many;
        big.b.n_peers = 300;
        assert_int_equal(nft_build_peer_sets_batch(&big.b, added, 2, removed, 1, 5, &batch, &len_big), 0);
        free(batch);
        assert_int_equal(len_big, len);
}

static void test_remove_batch(void **state) {
        void *batch = NULL;
        size_t len;
        assert_int_equal(nft_build_remove_batch("emb", 9, &batch, &len), 0);
        Decoded d = decode(batch, len, 9, "nfswg_emb");
        free(batch);
        assert_text(d.text, "begin\ndeltable nfswg_emb\nend\n");
        free(d.text);
}

/* Thousands of peers: element lists split over several messages, each under the netlink
 * attribute limit, all elements present exactly once. */
static void test_many_peers_chunked(void **state) {
        enum { N = 5000 };
        TestBridge t;
        tb_init(&t, "big", "nfswg0", BRIDGE_MODE_EMBEDDED, "10.0.0.1/8");
        Peer *peers = calloc(N, sizeof *peers);
        IpPrefix *addrs = calloc(N, sizeof *addrs);
        for (size_t i = 0; i < N; i++) {
                char s[32];
                snprintf(s, sizeof s, "10.%zu.%zu.%zu/32", 1 + i / 65536, (i / 256) % 256, i % 256);
                addrs[i] = pfx(s);
                peers[i] = (Peer) { .name = (char *) "p", .addresses = &addrs[i], .n_addresses = 1 };
        }
        t.b.peers = peers;
        t.b.n_peers = N;

        Decoded d = build(NULL, &t.b);
        size_t n_msgs = 0, n_elems = 0;
        for (const char *l = d.text; (l = strstr(l, "newsetelem peers4")); l++) {
                n_msgs++;
                const char *eol = strchr(l, '\n');
                for (const char *c = l; c < eol; c++)
                        n_elems += *c == ' ';
                n_elems -= 1; /* the space before the set name */
        }
        assert_true(n_msgs >= 2);
        assert_int_equal(n_elems, 2 * N);
        assert_non_null(strstr(d.text, " 10.1.0.0 end:10.1.0.1 "));
        assert_non_null(strstr(d.text, " 10.1.19.135 end:10.1.19.136\n"));
        free(d.text);
        free(peers);
        free(addrs);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_embedded_v4),
                cmocka_unit_test(test_v3_pinned_ports),
                cmocka_unit_test(test_close_nfs_on),
                cmocka_unit_test(test_spoof_sets),
                cmocka_unit_test(test_ipv6_and_prefixes),
                cmocka_unit_test(test_nas_forward_masquerade),
                cmocka_unit_test(test_relay_to_other_bridge),
                cmocka_unit_test(test_client_mode_has_no_table),
                cmocka_unit_test(test_peer_sets_batch),
                cmocka_unit_test(test_remove_batch),
                cmocka_unit_test(test_many_peers_chunked),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
