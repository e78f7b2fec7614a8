/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <sys/socket.h>

#include "cli/peer-address.h"
#include "shared/log.h"
#include "shared/macro.h"

/* Addresses as 128-bit integers make "next free" a walk over sorted ranges, linear in the number of
 * peers, rather than a probe per candidate address (a /16 with 10 000 peers stays instant). */
typedef unsigned __int128 u128;

typedef struct Range {
        u128 first, last;
} Range;

static u128 addr_to_u128(int family, const InAddrUnion *a) {
        unsigned n = family == AF_INET6 ? 16 : 4;
        u128 v = 0;
        for (unsigned i = 0; i < n; i++)
                v = (v << 8) | a->bytes[i];
        return v;
}

static void u128_to_addr(int family, u128 v, InAddrUnion *a) {
        unsigned n = family == AF_INET6 ? 16 : 4;
        *a = (InAddrUnion) {};
        for (unsigned i = n; i > 0; i--) {
                a->bytes[i - 1] = (uint8_t) (v & 0xff);
                v >>= 8;
        }
}

static u128 host_mask(int family, unsigned prefixlen) {
        unsigned host_bits = ip_family_bits(family) - prefixlen;
        if (host_bits == 0)
                return 0;
        if (host_bits >= 128)
                return ~(u128) 0;
        return ((u128) 1 << host_bits) - 1;
}

static Range prefix_range(const IpPrefix *p) {
        u128 m = host_mask(p->family, p->prefixlen);
        u128 v = addr_to_u128(p->family, &p->addr);
        return (Range) { .first = v & ~m, .last = (v & ~m) | m };
}

static int range_compare(const void *a, const void *b) {
        const Range *x = a, *y = b;
        if (x->first != y->first)
                return x->first < y->first ? -1 : 1;
        return 0;
}

/* The usable host addresses of a network: RFC 919 reserves the all-zeros and all-ones host parts of
 * an IPv4 network (except /31, RFC 3021, and /32); RFC 4291 section 2.6.1 makes an IPv6 subnet's
 * all-zeros address the Subnet-Router anycast address. */
static int usable_range(const IpPrefix *net, Range *ret) {
        Range r = prefix_range(net);
        unsigned bits = ip_family_bits(net->family);
        if (net->prefixlen >= bits)
                return -ENOSPC;
        if (net->family == AF_INET && net->prefixlen == 31) {
                *ret = r;
                return 0;
        }
        r.first++;
        if (net->family == AF_INET)
                r.last--;
        *ret = r;
        return 0;
}

int peer_address_next_free(const IpPrefix *net, const IpPrefix *used, size_t n_used, IpPrefix *ret) {
        Range usable;
        int r = usable_range(net, &usable);
        if (r < 0)
                return r;

        _cleanup_free_ Range *ranges = calloc(n_used ? n_used : 1, sizeof(Range));
        if (!ranges)
                return -ENOMEM;
        size_t n = 0;
        for (size_t i = 0; i < n_used; i++)
                if (used[i].family == net->family)
                        ranges[n++] = prefix_range(&used[i]);
        qsort(ranges, n, sizeof(Range), range_compare);

        u128 candidate = usable.first;
        for (size_t i = 0; i < n; i++) {
                if (ranges[i].last < candidate)
                        continue;
                if (ranges[i].first > candidate)
                        break;
                if (ranges[i].last >= usable.last)
                        return -ENOSPC;
                candidate = ranges[i].last + 1;
        }
        if (candidate > usable.last)
                return -ENOSPC;

        IpPrefix p = { .family = net->family, .prefixlen = (uint8_t) ip_family_bits(net->family) };
        u128_to_addr(net->family, candidate, &p.addr);
        *ret = p;
        return 0;
}

int peer_address_used(const Bridge *b, IpPrefix **ret, size_t *ret_n) {
        IpPrefix *l = NULL;
        size_t n = 0;

        for (size_t i = 0; i < b->n_addresses; i++) {
                IpPrefix *p = ARRAY_PUSH(l, n);
                if (!p)
                        goto oom;
                *p = b->addresses[i];
                p->prefixlen = (uint8_t) ip_family_bits(p->family);
        }
        /* A disabled or expired peer keeps its address: enabling it must not clash. */
        for (size_t i = 0; i < bridge_n_peers_any(b); i++)
                for (size_t j = 0; j < bridge_peer_any(b, i)->n_addresses; j++) {
                        IpPrefix *p = ARRAY_PUSH(l, n);
                        if (!p)
                                goto oom;
                        *p = bridge_peer_any(b, i)->addresses[j];
                }
        *ret = l;
        *ret_n = n;
        return 0;
oom:
        free(l);
        return -ENOMEM;
}

int peer_address_allocate(const Bridge *b, int family, IpPrefix *ret) {
        const IpPrefix *own = NULL;
        for (size_t i = 0; i < b->n_addresses && !own; i++)
                if (b->addresses[i].family == family)
                        own = &b->addresses[i];
        if (!own)
                return -ENOENT;

        _cleanup_free_ IpPrefix *used = NULL;
        size_t n_used;
        int r = peer_address_used(b, &used, &n_used);
        if (r < 0)
                return r;
        IpPrefix net = ip_prefix_network(own);
        return peer_address_next_free(&net, used, n_used, ret);
}

int peer_address_check(const Bridge *b, const IpPrefix *a) {
        char s[IP_PREFIX_STRLEN], t[IP_PREFIX_STRLEN];
        const IpPrefix *inside = NULL;

        ip_prefix_format(a, s);
        for (size_t i = 0; i < b->n_addresses && !inside; i++) {
                IpPrefix net = ip_prefix_network(&b->addresses[i]);
                if (ip_prefix_contains(&net, a))
                        inside = &b->addresses[i];
        }
        if (!inside)
                return log_error_errno(EINVAL, "Address %s is outside the tunnel networks of bridge '%s' ([Bridge] Address=).",
                                       s, b->name);

        IpPrefix net = ip_prefix_network(inside);
        Range usable;
        Range want = prefix_range(a);
        if (usable_range(&net, &usable) < 0 || want.first < usable.first || want.last > usable.last)
                return log_error_errno(EINVAL, "Address %s includes the network or broadcast address of %s.",
                                       s, ip_prefix_format(&net, t));

        for (size_t i = 0; i < b->n_addresses; i++) {
                IpPrefix own = b->addresses[i];
                own.prefixlen = (uint8_t) ip_family_bits(own.family);
                if (ip_prefix_overlaps(&own, a))
                        return log_error_errno(EADDRINUSE, "Address %s is the bridge's own address.", s);
        }
        for (size_t i = 0; i < bridge_n_peers_any(b); i++) {
                const Peer *q = bridge_peer_any(b, i);
                for (size_t j = 0; j < q->n_addresses; j++)
                        if (ip_prefix_overlaps(&q->addresses[j], a))
                                return log_error_errno(EADDRINUSE, "Address %s is already used by peer '%s' (%s).",
                                                       s, q->name, ip_prefix_format(&q->addresses[j], t));
        }
        return 0;
}
