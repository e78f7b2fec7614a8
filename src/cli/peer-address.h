/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

#include "model/bridge.h"
#include "shared/ipaddr.h"

/* Choosing a peer's tunnel address: the lowest free host address of a network. */

/* The lowest address of net (a network, host bits ignored) that is neither the network address,
 * nor (IPv4) the broadcast address, nor inside any of used[] (prefixes: a peer's /32 or a wider
 * site range, the bridge's own address as a host /32 or /128). Gaps left by removed peers are
 * reused. *ret is a host prefix (/32, /128). -ENOSPC when the network is full. */
int peer_address_next_free(const IpPrefix *net, const IpPrefix *used, size_t n_used, IpPrefix *ret);

/* Every address taken on bridge b: its own addresses (as host prefixes) and all peer addresses. */
int peer_address_used(const Bridge *b, IpPrefix **ret, size_t *ret_n);

/* The next free address in b's first network of family (AF_INET, AF_INET6). -ENOENT when b has no
 * address of that family, -ENOSPC when that network is full. Logs nothing. */
int peer_address_allocate(const Bridge *b, int family, IpPrefix *ret);

/* Whether a: lies in one of b's networks, is not the network or broadcast address, and overlaps
 * neither the bridge's addresses nor any peer's. Logs why not and returns -EINVAL / -EADDRINUSE. */
int peer_address_check(const Bridge *b, const IpPrefix *a);
