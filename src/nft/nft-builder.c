/* SPDX-License-Identifier: MIT */
#include <netinet/in.h>
#include <assert.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/object.h>
#include <libnftnl/table.h>

#include "nft/nft-internal.h"
#include "shared/macro.h"

/* libnftnl writes a message in place without bounds checks, so room for the largest one is made
 * before each (nft-set.c keeps element messages well below it). */
#define NFT_MSG_ROOM (96u * 1024u)

int nft_table_name(const char *bridge_name, char *buf, size_t size) {
        int n = snprintf(buf, size, NFT_TABLE_PREFIX "%s", bridge_name);
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        return 0;
}

void builder_done(NftBuilder *c) {
        if (c->rule)
                nftnl_rule_free(c->rule);
        free(c->buf);
        *c = (NftBuilder) {};
}

void builder_fail(NftBuilder *c, int error) {
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

void builder_commit(NftBuilder *c, struct nlmsghdr *nlh) {
        assert(nlh->nlmsg_len <= NFT_MSG_ROOM);
        c->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

struct nlmsghdr *msg_begin(NftBuilder *c, uint16_t type, uint16_t flags) {
        char *p = builder_room(c);
        if (!p)
                return NULL;
        /* Every message asks for an ACK, so the sender knows each one was taken (or why not). */
        return nftnl_nlmsg_build_hdr(p, type, NFPROTO_INET, flags | NLM_F_ACK, c->seq++);
}

int builder_init(NftBuilder *c, const char *bridge_name, uint32_t seq) {
        *c = (NftBuilder) { .seq = seq, .set_id = 1 };
        int r = nft_table_name(bridge_name, c->table, sizeof c->table);
        if (r < 0)
                return r;
        char *p = builder_room(c);
        if (p)
                builder_commit(c, nftnl_batch_begin(p, c->seq++));
        return 0;
}

int builder_finish(NftBuilder *c, void **ret, size_t *ret_len) {
        char *p = builder_room(c);
        if (p)
                builder_commit(c, nftnl_batch_end(p, c->seq++));
        if (c->error)
                return c->error;
        *ret_len = c->len;
        *ret = TAKE_PTR(c->buf);
        return 0;
}

void add_table(NftBuilder *c, uint16_t type, uint16_t flags) {
        struct nftnl_table *t = nftnl_table_alloc();
        if (!t)
                return builder_fail(c, -ENOMEM);
        nftnl_table_set_str(t, NFTNL_TABLE_NAME, c->table);
        nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
        BUILDER_APPEND(c, type, flags, nftnl_table_nlmsg_build_payload, t);
        nftnl_table_free(t);
}

void add_counter(NftBuilder *c, const char *name) {
        struct nftnl_obj *o = nftnl_obj_alloc();
        if (!o)
                return builder_fail(c, -ENOMEM);
        nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, c->table);
        nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
        nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_INET);
        nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
        BUILDER_APPEND(c, NFT_MSG_NEWOBJ, NLM_F_CREATE, nftnl_obj_nlmsg_build_payload, o);
        nftnl_obj_free(o);
}

void add_chain(NftBuilder *c, const char *name, const char *type, uint32_t hook, int32_t prio) {
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
        BUILDER_APPEND(c, NFT_MSG_NEWCHAIN, NLM_F_CREATE, nftnl_chain_nlmsg_build_payload, ch);
        nftnl_chain_free(ch);
}
