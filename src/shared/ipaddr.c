/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "shared/ipaddr.h"
#include "shared/macro.h"
#include "shared/parse.h"

unsigned ip_family_bits(int family) {
        return family == AF_INET6 ? 128 : 32;
}

int ip_address_parse(const char *s, int *ret_family, InAddrUnion *ret) {
        InAddrUnion a = {};
        if (inet_pton(AF_INET, s, &a.in) == 1) {
                *ret_family = AF_INET;
        } else if (inet_pton(AF_INET6, s, &a.in6) == 1) {
                *ret_family = AF_INET6;
        } else
                return -EINVAL;
        *ret = a;
        return 0;
}

int ip_prefix_parse(const char *s, bool allow_bare, IpPrefix *ret) {
        char buf[INET6_ADDRSTRLEN + 1];
        const char *slash = strchr(s, '/');
        size_t l = slash ? (size_t) (slash - s) : strlen(s);
        IpPrefix p = {};
        unsigned len;

        if (l == 0 || l >= sizeof buf)
                return -EINVAL;
        memcpy(buf, s, l);
        buf[l] = '\0';
        if (ip_address_parse(buf, &p.family, &p.addr) < 0)
                return -EINVAL;
        if (!slash) {
                if (!allow_bare)
                        return -EINVAL;
                len = ip_family_bits(p.family);
        } else if (parse_unsigned(slash + 1, 0, ip_family_bits(p.family), &len) < 0)
                return -EINVAL;
        p.prefixlen = (uint8_t) len;
        *ret = p;
        return 0;
}

const char *ip_address_format(int family, const InAddrUnion *a, char buf[INET6_ADDRSTRLEN]) {
        return inet_ntop(family, a, buf, INET6_ADDRSTRLEN);
}

const char *ip_prefix_format(const IpPrefix *p, char buf[IP_PREFIX_STRLEN]) {
        char a[INET6_ADDRSTRLEN];
        inet_ntop(p->family, &p->addr, a, sizeof a);
        snprintf(buf, IP_PREFIX_STRLEN, "%s/%u", a, p->prefixlen);
        return buf;
}

static void mask_bits(InAddrUnion *a, int family, unsigned prefixlen) {
        unsigned bytes = ip_family_bits(family) / 8;
        for (unsigned i = 0; i < bytes; i++) {
                unsigned bit = i * 8;
                if (bit >= prefixlen)
                        a->bytes[i] = 0;
                else if (prefixlen - bit < 8)
                        a->bytes[i] &= (uint8_t) (0xff << (8 - (prefixlen - bit)));
        }
}

IpPrefix ip_prefix_network(const IpPrefix *p) {
        IpPrefix n = *p;
        mask_bits(&n.addr, n.family, n.prefixlen);
        return n;
}

bool ip_prefix_contains(const IpPrefix *outer, const IpPrefix *inner) {
        if (outer->family != inner->family || inner->prefixlen < outer->prefixlen)
                return false;
        InAddrUnion a = outer->addr, b = inner->addr;
        mask_bits(&a, outer->family, outer->prefixlen);
        mask_bits(&b, outer->family, outer->prefixlen);
        return memcmp(&a, &b, ip_family_bits(outer->family) / 8) == 0;
}

bool ip_prefix_overlaps(const IpPrefix *a, const IpPrefix *b) {
        return ip_prefix_contains(a, b) || ip_prefix_contains(b, a);
}

bool ip_prefix_equal(const IpPrefix *a, const IpPrefix *b) {
        return ip_prefix_compare(a, b) == 0;
}

int ip_prefix_compare(const IpPrefix *a, const IpPrefix *b) {
        if (a->family != b->family)
                return a->family < b->family ? -1 : 1;
        int r = memcmp(&a->addr, &b->addr, ip_family_bits(a->family) / 8);
        if (r != 0)
                return r < 0 ? -1 : 1;
        return a->prefixlen < b->prefixlen ? -1 : a->prefixlen > b->prefixlen;
}

static int port_cmp(const void *a, const void *b) {
        uint16_t x = *(const uint16_t *) a, y = *(const uint16_t *) b;
        return x < y ? -1 : x > y;
}

size_t ports_sort_unique(uint16_t *p, size_t n) {
        size_t k = 0;
        if (n == 0)
                return 0; /* p may be NULL then, which qsort(3) must not get */
        qsort(p, n, sizeof *p, port_cmp);
        for (size_t i = 0; i < n; i++)
                if (p[i] != 0 && (k == 0 || p[k - 1] != p[i]))
                        p[k++] = p[i];
        return k;
}
