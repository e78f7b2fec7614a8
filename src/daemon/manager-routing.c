/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <net/if.h>

#include "daemon/manager-internal.h"
#include "daemon/rtnl.h"
#include "shared/log.h"

/* What the kernel needs to carry traffic through the tunnel: the link's addresses and routes
 * (when networkd does not set them) and, in nas and relay mode, per-interface forwarding. */

static bool covered_by_address(const Bridge *b, const IpPrefix *p) {
        for (size_t i = 0; i < b->n_addresses; i++)
                if (ip_prefix_contains(&b->addresses[i], p))
                        return true;
        return false;
}

/* The networks reached through the tunnel beyond the prefix routes of its own addresses: a relay's
 * sites (the [Peer] AllowedIPs= behind each site peer), a client's [Server] AllowedIPs=. */
static int tunnel_routes(const Bridge *b, IpPrefix **ret, size_t *ret_n) {
        _cleanup_free_ IpPrefix *routes = NULL;
        size_t n = 0;

        for (size_t i = 0; i < (b->mode == BRIDGE_MODE_CLIENT ? 1 : b->n_peers); i++) {
                const IpPrefix *nets = b->mode == BRIDGE_MODE_CLIENT ? b->server.allowed_ips : b->peers[i].allowed_ips;
                size_t n_nets = b->mode == BRIDGE_MODE_CLIENT ? b->server.n_allowed_ips : b->peers[i].n_allowed_ips;
                for (size_t j = 0; j < n_nets; j++) {
                        IpPrefix net = ip_prefix_network(&nets[j]);
                        if (covered_by_address(b, &net))
                                continue;
                        IpPrefix *slot = ARRAY_PUSH(routes, n);
                        if (!slot)
                                return -ENOMEM;
                        *slot = net;
                }
        }
        *ret = TAKE_PTR(routes);
        *ret_n = n;
        return 0;
}

/* What a userspace or test-mode device needs that networkd would otherwise do: MTU, link group
 * (the .network's Group=), addresses, routes, up. */
int manager_configure_link(Manager *m, const Bridge *b) {
        _cleanup_free_ IpPrefix *routes = NULL;
        size_t n_routes = 0;
        uint32_t group = bridge_link_group(b);

        int r = rtnl_link_set(m->ifindex, b->mtu, group, true);
        if (r < 0)
                return log_error_errno(r, "Cannot set MTU %u and link group %" PRIu32 " of %s and bring it up: %m",
                                       b->mtu, group, b->interface);
        r = rtnl_address_sync(m->ifindex, b->addresses, b->n_addresses);
        if (r < 0)
                return log_error_errno(r, "Cannot set the addresses of %s: %m", b->interface);
        r = tunnel_routes(b, &routes, &n_routes);
        if (r < 0)
                return log_oom();
        r = rtnl_route_sync(m->ifindex, routes, n_routes);
        if (r < 0)
                return log_error_errno(r, "Cannot set the routes through %s: %m", b->interface);
        return 0;
}

static int forwarding_enable_on(Manager *m, const char *ifname, int family) {
        _cleanup_free_ char *name = NULL;
        if (asprintf(&name, "net/%s/conf/%s/forwarding", family == AF_INET6 ? "ipv6" : "ipv4", ifname) < 0)
                return log_oom();
        int r = sysctl_set(&m->sysctls, name, "1");
        if (r < 0)
                return log_error_errno(r, "Cannot enable forwarding on %s (%s): %m", ifname, name);
        log_debug("Forwarding enabled: %s", name);
        return 0;
}

/* Where [Forward] f leads out, for family: @OTHER's tunnel, or the interface of the route to To=.
 * false when f does not lead anywhere in that family (or has no route now: warned). */
static bool forward_out_interface(const Host *h, const Forward *f, int family, char ifname[static IF_NAMESIZE]) {
        if (f->to_bridge) {
                const Bridge *o = host_find_bridge(h, f->to_bridge);
                if (!o)
                        return false;
                snprintf(ifname, IF_NAMESIZE, "%s", o->interface);
                return true;
        }

        int oif = 0;
        char buf[IP_PREFIX_STRLEN];
        if (f->to.family != family)
                return false;
        int r = rtnl_route_oif(&f->to, &oif);
        if (r < 0 || !if_indextoname((unsigned) oif, ifname)) {
                log_warning_errno(r < 0 ? r : errno, "%s:%u: no route to [Forward] To=%s (%m); "
                                  "not forwarding there until the next reload.", f->source, f->line,
                                  ip_prefix_format(&f->to, buf));
                return false;
        }
        return true;
}

/* ip-sysctl.rst: IPv4 forwards a packet when the interface it came in on has conf/IFACE/forwarding
 * set, so the tunnel (requests) and the LAN side (answers) need it, and nothing else does. The
 * host-wide switch (networkd's IPForward=, on Debian 12 for the whole host and never off again)
 * stays as the administrator left it. IPv6 has no per-interface switch for forwarding itself
 * before Linux 6.17 (force_forwarding): there conf/IFACE/forwarding only changes the host/router
 * behaviour, and IPv6 forwarding also needs net.ipv6.conf.all.forwarding=1 from the administrator. */
int manager_enable_forwarding(Manager *m, const Host *h, const Bridge *b) {
        static const int families[] = { AF_INET, AF_INET6 };
        int r;

        if (b->mode != BRIDGE_MODE_NAS && b->mode != BRIDGE_MODE_RELAY)
                return 0;

        /* Another bridge's [Forward] To=@THIS: the answers from our sites come in on our tunnel and
         * are forwarded from there. That bridge sets it too when our link exists before it starts;
         * when ours comes later (or is made anew), only we are there to do it. */
        bool target = false;
        for (size_t i = 0; h && i < h->n_bridges && !target; i++)
                for (size_t j = 0; h->bridges[i] != b && j < h->bridges[i]->n_forwards; j++)
                        if (streq_ptr(h->bridges[i]->forwards[j].to_bridge, b->name))
                                target = true;
        for (size_t k = 0; target && k < ELEMENTSOF(families); k++) {
                r = forwarding_enable_on(m, b->interface, families[k]);
                if (r < 0)
                        return r;
        }

        if (b->n_forwards == 0)
                return 0;

        for (size_t k = 0; k < ELEMENTSOF(families); k++) {
                int family = families[k];
                bool any = false;
                for (size_t i = 0; i < b->n_forwards; i++) {
                        char ifname[IF_NAMESIZE] = "";

                        if (!forward_out_interface(h, &b->forwards[i], family, ifname))
                                continue;
                        /* Our tunnel forwards in any case: requests come in on it. */
                        any = true;
                        /* Another bridge's interface that does not exist yet: its own daemon sets it
                         * when it starts (see above). */
                        if (if_nametoindex(ifname) == 0)
                                continue;
                        r = forwarding_enable_on(m, ifname, family);
                        if (r < 0)
                                return r;
                }
                if (any) {
                        r = forwarding_enable_on(m, b->interface, family);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}
