/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/ipaddr.h"

/* The few rtnetlink(7) requests the daemon makes itself, over a libmnl socket, each ACK read:
 * what systemd-networkd would do in test mode (--no-networkd), and what it never does (deleting a
 * link whose .netdev went away: systemd issues 6600, 9627). All return 0 or -errno; they log
 * nothing, the caller knows what it was doing. */

/* Sets the MTU (0 = leave) and the link group (IFLA_GROUP, ip-link(8) "group"; 0 = leave: the
 * kernel's default group is 0 anyway) and brings the link up or down (RTM_NEWLINK, IFF_UP). */
int rtnl_link_set(int ifindex, unsigned mtu, uint32_t group, bool up);
/* Sets the link group alone, 0 included (the kernel's default group). */
int rtnl_link_set_group(int ifindex, uint32_t group);
/* Makes the link's addresses exactly addrs: adds (NLM_F_REPLACE, so again is harmless) what is
 * missing and removes other addresses of universe scope. IPv6 link-local addresses the kernel
 * manages are left alone. */
int rtnl_address_sync(int ifindex, const IpPrefix *addrs, size_t n);
/* Removes these addresses from the link; ones that are not there are fine. */
int rtnl_address_remove(int ifindex, const IpPrefix *addrs, size_t n);
/* RTM_DELLINK; a link that is gone already is success. */
int rtnl_link_delete(int ifindex);
/* Whether this kernel can make a link of kind wireguard: creates one under a name of its own and
 * deletes it again, as the kernel loads the module on demand (a sandbox that hides
 * /lib/modules does not stop that). 1 yes, 0 when the kernel does not know the kind (EOPNOTSUPP),
 * -errno when the test itself failed. */
int rtnl_wireguard_supported(void);
/* The interface the kernel would send a packet to dst's network address out of (RTM_GETROUTE,
 * as `ip route get`). -ENETUNREACH without a route. */
int rtnl_route_oif(const IpPrefix *dst, int *ret_ifindex);
/* Makes the routes through the link (main table, RTPROT_STATIC, scope link, no gateway) exactly
 * these networks: what networkd does for a .network's [Route] sections, for a link the daemon
 * configures itself. Host bits of each prefix are ignored. */
int rtnl_route_sync(int ifindex, const IpPrefix *routes, size_t n);
