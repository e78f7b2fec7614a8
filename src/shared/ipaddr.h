/* SPDX-License-Identifier: MIT */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef union InAddrUnion {
        struct in_addr in;
        struct in6_addr in6;
        uint8_t bytes[16];
} InAddrUnion;

/* An address with a prefix length: "10.8.0.1/24" (an interface address, host bits kept) or a
 * network "192.168.50.0/24". */
typedef struct IpPrefix {
        int family; /* AF_INET or AF_INET6 */
        InAddrUnion addr;
        uint8_t prefixlen;
} IpPrefix;

/* Longest text ip_prefix_format() produces, with the NUL. */
#define IP_PREFIX_STRLEN (INET6_ADDRSTRLEN + 4)

/* "ADDR/LEN" or, when allow_bare, "ADDR" (then /32 or /128). -EINVAL on anything else. */
int ip_prefix_parse(const char *s, bool allow_bare, IpPrefix *ret);
int ip_address_parse(const char *s, int *ret_family, InAddrUnion *ret);
const char *ip_prefix_format(const IpPrefix *p, char buf[IP_PREFIX_STRLEN]);
const char *ip_address_format(int family, const InAddrUnion *a, char buf[INET6_ADDRSTRLEN]);
unsigned ip_family_bits(int family);

/* The prefix with its host bits cleared. */
IpPrefix ip_prefix_network(const IpPrefix *p);
/* Whether every address of inner lies in outer's network. */
bool ip_prefix_contains(const IpPrefix *outer, const IpPrefix *inner);
bool ip_prefix_overlaps(const IpPrefix *a, const IpPrefix *b);
bool ip_prefix_equal(const IpPrefix *a, const IpPrefix *b);
int ip_prefix_compare(const IpPrefix *a, const IpPrefix *b);

/* Sorts the ports, dropping duplicates and 0; returns how many are left. */
size_t ports_sort_unique(uint16_t *p, size_t n);
