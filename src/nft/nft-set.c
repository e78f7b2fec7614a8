/* SPDX-License-Identifier: MIT */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>

#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>

#include "nft/nft-internal.h"
#include "shared/macro.h"

/* Set element messages are chunked well below the 64 KiB a netlink attribute (the element list)
 * can hold, and below the room nft-builder.c makes for one message. */
#define NFT_ELEMS_PER_MSG 1024u

/* nft(8)'s datatype numbers, stored with each set so `nft list` prints its elements properly */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
#define NFT_TYPE_INET_SERVICE 13

typedef struct ElemKey {
        uint8_t data[16];
        uint32_t len;
        uint32_t flags; /* NFT_SET_ELEM_INTERVAL_END */
} ElemKey;

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

        BUILDER_APPEND(c, NFT_MSG_NEWSET, NLM_F_CREATE, nftnl_set_nlmsg_build_payload, s);
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
                BUILDER_APPEND(c, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0,
                               nftnl_set_elems_nlmsg_build_payload, s);
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

void set_prefixes(NftBuilder *c, uint16_t type, const char *set, const IpPrefix *p, size_t n) {
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

void add_interval_sets(NftBuilder *c, const char *name4, const char *name6, const PrefixLists *l) {
        add_set(c, name4, NFT_TYPE_IPADDR, 4, true);
        set_prefixes(c, NFT_MSG_NEWSETELEM, name4, l->v4, l->n_v4);
        add_set(c, name6, NFT_TYPE_IP6ADDR, 16, true);
        set_prefixes(c, NFT_MSG_NEWSETELEM, name6, l->v6, l->n_v6);
}

void add_port_set(NftBuilder *c, const char *name, const uint16_t *ports, size_t n) {
        _cleanup_free_ ElemKey *keys = NULL;

        add_set(c, name, NFT_TYPE_INET_SERVICE, 2, false);
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
        set_elems(c, NFT_MSG_NEWSETELEM, name, keys, n);
}

void prefix_lists_done(PrefixLists *l) {
        free(l->v4);
        free(l->v6);
        *l = (PrefixLists) {};
}

int prefix_lists_add(PrefixLists *l, const IpPrefix *p) {
        IpPrefix *slot = p->family == AF_INET ? ARRAY_PUSH(l->v4, l->n_v4) : ARRAY_PUSH(l->v6, l->n_v6);
        if (!slot)
                return -ENOMEM;
        *slot = *p;
        return 0;
}

int prefix_lists_add_all(PrefixLists *l, const IpPrefix *p, size_t n) {
        for (size_t i = 0; i < n; i++) {
                int r = prefix_lists_add(l, &p[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int prefix_lists_add_peers(PrefixLists *l, const Peer *const *peers, size_t n) {
        for (size_t i = 0; i < n; i++) {
                int r = prefix_lists_add_all(l, peers[i]->addresses, peers[i]->n_addresses);
                if (r < 0)
                        return r;
        }
        return 0;
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

void prefix_lists_normalize(PrefixLists *l) {
        prefixes_normalize(l->v4, &l->n_v4);
        prefixes_normalize(l->v6, &l->n_v6);
}
