/* SPDX-License-Identifier: MIT */
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <time.h>

#include "daemon/rtnl.h"
#include "shared/macro.h"

static void mnl_socket_closep(struct mnl_socket **nl) {
        if (*nl)
                mnl_socket_close(*nl);
}

static int rtnl_open(struct mnl_socket **ret) {
        struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (!nl)
                return -errno;
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                int r = -errno;
                mnl_socket_close(nl);
                return r;
        }
        *ret = nl;
        return 0;
}

/* Sends one request and reads until its ACK (or, for a dump, NLMSG_DONE), calling cb on data. */
static int rtnl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        unsigned portid = mnl_socket_get_portid(nl);
        uint32_t seq = nlh->nlmsg_seq;
        int r;

        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        for (;;) {
                ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
                if (n < 0)
                        return -errno;
                r = mnl_cb_run(buf, (size_t) n, seq, portid, cb, data);
                if (r < 0)
                        return -errno;
                if (r == MNL_CB_STOP)
                        return 0;
        }
}

static struct nlmsghdr *rtnl_request(char *buf, uint16_t type, uint16_t flags) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | flags;
        nlh->nlmsg_seq = (uint32_t) time(NULL);
        return nlh;
}

/* What one RTM_NEWLINK changes of a link (RTM_DELLINK: nothing of it is used). */
typedef struct LinkChange {
        unsigned mtu;   /* 0: leave */
        bool set_group; /* IFLA_GROUP = group, 0 included */
        uint32_t group;
        bool set_up; /* IFF_UP = up */
        bool up;
} LinkChange;

/* RTM_NEWLINK or RTM_DELLINK for one link on a socket of its own, acknowledged */
static int link_talk(uint16_t type, int ifindex, const LinkChange *c) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        int r = rtnl_open(&nl);
        if (r < 0)
                return r;

        struct nlmsghdr *nlh = rtnl_request(buf, type, NLM_F_ACK);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        if (c->set_up) {
                ifi->ifi_change = IFF_UP;
                ifi->ifi_flags = c->up ? IFF_UP : 0;
        }
        if (c->mtu > 0)
                mnl_attr_put_u32(nlh, IFLA_MTU, c->mtu);
        if (c->set_group)
                mnl_attr_put_u32(nlh, IFLA_GROUP, c->group);
        return rtnl_talk(nl, nlh, NULL, NULL);
}

int rtnl_wireguard_supported(void) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        char buf[MNL_SOCKET_BUFFER_SIZE], name[IFNAMSIZ];
        int r = rtnl_open(&nl);
        if (r < 0)
                return r;

        snprintf(name, sizeof name, "nfswgt%u", (unsigned) getpid() % 1000000000u);
        struct nlmsghdr *nlh = rtnl_request(buf, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
        ifi->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "wireguard");
        mnl_attr_nest_end(nlh, info);
        r = rtnl_talk(nl, nlh, NULL, NULL);
        /* rtnetlink: an unknown kind, also after the module request failed, is EOPNOTSUPP. */
        if (r == -EOPNOTSUPP)
                return 0;
        if (r < 0 && r != -EEXIST)
                return r;

        nlh = rtnl_request(buf, RTM_DELLINK, NLM_F_ACK);
        ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
        ifi->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        (void) rtnl_talk(nl, nlh, NULL, NULL);
        return 1;
}

int rtnl_link_set(int ifindex, unsigned mtu, uint32_t group, bool up) {
        return link_talk(RTM_NEWLINK, ifindex,
                         &(LinkChange) { .mtu = mtu, .set_group = group > 0, .group = group, .set_up = true, .up = up });
}

int rtnl_link_set_group(int ifindex, uint32_t group) {
        return link_talk(RTM_NEWLINK, ifindex, &(LinkChange) { .set_group = true, .group = group });
}

static struct nlmsghdr *address_request(char *buf, uint16_t type, uint16_t flags, int ifindex, const IpPrefix *a) {
        struct nlmsghdr *nlh = rtnl_request(buf, type, flags);
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        size_t len = a->family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);

        ifa->ifa_family = (uint8_t) a->family;
        ifa->ifa_prefixlen = a->prefixlen;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = (unsigned) ifindex;
        /* On a point-to-point-less device IFA_LOCAL and IFA_ADDRESS are the same address (rtnetlink(7)). */
        mnl_attr_put(nlh, IFA_LOCAL, len, &a->addr);
        mnl_attr_put(nlh, IFA_ADDRESS, len, &a->addr);
        return nlh;
}

static int address_change(struct mnl_socket *nl, uint16_t type, int ifindex, const IpPrefix *a) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        uint16_t flags = NLM_F_ACK | (type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_REPLACE : 0);
        int r = rtnl_talk(nl, address_request(buf, type, flags, ifindex, a), NULL, NULL);
        /* Removing what is not there: EADDRNOTAVAIL. */
        return type == RTM_DELADDR && r == -EADDRNOTAVAIL ? 0 : r;
}

typedef struct AddressDump {
        int ifindex;
        IpPrefix *addrs;
        size_t n;
        bool oom;
} AddressDump;

static int address_attr_cb(const struct nlattr *attr, void *data) {
        const struct nlattr **tb = data;
        int type = mnl_attr_get_type(attr);
        if (mnl_attr_type_valid(attr, IFA_MAX) > 0)
                tb[type] = attr;
        return MNL_CB_OK;
}

static int address_dump_cb(const struct nlmsghdr *nlh, void *data) {
        AddressDump *d = data;
        const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
        const struct nlattr *tb[IFA_MAX + 1] = {};

        if ((int) ifa->ifa_index != d->ifindex || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
                return MNL_CB_OK;
        mnl_attr_parse(nlh, sizeof *ifa, address_attr_cb, tb);
        const struct nlattr *at = tb[IFA_LOCAL] ?: tb[IFA_ADDRESS];
        size_t len = ifa->ifa_family == AF_INET ? 4 : ifa->ifa_family == AF_INET6 ? 16 : 0;
        if (!at || len == 0 || mnl_attr_get_payload_len(at) != len)
                return MNL_CB_OK;

        IpPrefix *slot = ARRAY_PUSH(d->addrs, d->n);
        if (!slot) {
                d->oom = true;
                return MNL_CB_OK;
        }
        slot->family = ifa->ifa_family;
        slot->prefixlen = ifa->ifa_prefixlen;
        memcpy(&slot->addr, mnl_attr_get_payload(at), len);
        return MNL_CB_OK;
}

static int address_list(struct mnl_socket *nl, int ifindex, IpPrefix **ret, size_t *ret_n) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        AddressDump d = { .ifindex = ifindex };
        struct nlmsghdr *nlh = rtnl_request(buf, RTM_GETADDR, NLM_F_DUMP);
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        ifa->ifa_family = AF_UNSPEC;

        int r = rtnl_talk(nl, nlh, address_dump_cb, &d);
        if (r >= 0 && d.oom)
                r = -ENOMEM;
        if (r < 0) {
                free(d.addrs);
                return r;
        }
        *ret = d.addrs;
        *ret_n = d.n;
        return 0;
}

static bool prefix_in(const IpPrefix *list, size_t n, const IpPrefix *a) {
        for (size_t i = 0; i < n; i++)
                if (ip_prefix_equal(&list[i], a))
                        return true;
        return false;
}

int rtnl_address_sync(int ifindex, const IpPrefix *addrs, size_t n) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        _cleanup_free_ IpPrefix *have = NULL;
        size_t n_have = 0;
        int r = rtnl_open(&nl);
        if (r < 0)
                return r;

        r = address_list(nl, ifindex, &have, &n_have);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_have; i++)
                if (!prefix_in(addrs, n, &have[i])) {
                        r = address_change(nl, RTM_DELADDR, ifindex, &have[i]);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < n; i++)
                if (!prefix_in(have, n_have, &addrs[i])) {
                        r = address_change(nl, RTM_NEWADDR, ifindex, &addrs[i]);
                        if (r < 0)
                                return r;
                }
        return 0;
}

int rtnl_address_remove(int ifindex, const IpPrefix *addrs, size_t n) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        int r = rtnl_open(&nl);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = address_change(nl, RTM_DELADDR, ifindex, &addrs[i]);
                if (r < 0 && r != -ENODEV)
                        return r;
        }
        return 0;
}

int rtnl_link_delete(int ifindex) {
        int r = link_talk(RTM_DELLINK, ifindex, &(LinkChange) {});
        return r == -ENODEV ? 0 : r;
}

static int route_attr_cb(const struct nlattr *attr, void *data) {
        const struct nlattr **tb = data;
        if (mnl_attr_type_valid(attr, RTA_MAX) > 0)
                tb[mnl_attr_get_type(attr)] = attr;
        return MNL_CB_OK;
}

static int route_oif_cb(const struct nlmsghdr *nlh, void *data) {
        const struct nlattr *tb[RTA_MAX + 1] = {};
        if (nlh->nlmsg_type != RTM_NEWROUTE)
                return MNL_CB_OK;
        mnl_attr_parse(nlh, sizeof(struct rtmsg), route_attr_cb, tb);
        if (tb[RTA_OIF])
                *(int *) data = (int) mnl_attr_get_u32(tb[RTA_OIF]);
        /* The answer to a RTM_GETROUTE without NLM_F_DUMP is one message and no ACK. */
        return MNL_CB_STOP;
}

int rtnl_route_oif(const IpPrefix *dst, int *ret_ifindex) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        IpPrefix net = ip_prefix_network(dst);
        int oif = 0, r = rtnl_open(&nl);
        if (r < 0)
                return r;

        struct nlmsghdr *nlh = rtnl_request(buf, RTM_GETROUTE, 0);
        struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
        rtm->rtm_family = (uint8_t) net.family;
        rtm->rtm_dst_len = (uint8_t) ip_family_bits(net.family);
        mnl_attr_put(nlh, RTA_DST, ip_family_bits(net.family) / 8, &net.addr);
        r = rtnl_talk(nl, nlh, route_oif_cb, &oif);
        if (r < 0)
                return r;
        if (oif <= 0)
                return -ENETUNREACH;
        *ret_ifindex = oif;
        return 0;
}

/* ---- Routes through the tunnel ---- */

/* Our routes are the RTPROT_STATIC unicast routes of the main table through the tunnel link; the
 * kernel's prefix routes of its addresses (RTPROT_KERNEL) are left alone. */
typedef struct RouteDump {
        int ifindex;
        IpPrefix *routes;
        size_t n;
        bool oom;
} RouteDump;

static int route_dump_cb(const struct nlmsghdr *nlh, void *data) {
        RouteDump *d = data;
        const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
        const struct nlattr *tb[RTA_MAX + 1] = {};

        if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_protocol != RTPROT_STATIC || rtm->rtm_type != RTN_UNICAST ||
            rtm->rtm_table != RT_TABLE_MAIN)
                return MNL_CB_OK;
        mnl_attr_parse(nlh, sizeof *rtm, route_attr_cb, tb);
        if (!tb[RTA_OIF] || (int) mnl_attr_get_u32(tb[RTA_OIF]) != d->ifindex)
                return MNL_CB_OK;
        size_t len = rtm->rtm_family == AF_INET ? 4 : rtm->rtm_family == AF_INET6 ? 16 : 0;
        if (len == 0 || (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) != len))
                return MNL_CB_OK;

        IpPrefix *slot = ARRAY_PUSH(d->routes, d->n);
        if (!slot) {
                d->oom = true;
                return MNL_CB_OK;
        }
        *slot = (IpPrefix) { .family = rtm->rtm_family, .prefixlen = rtm->rtm_dst_len };
        if (tb[RTA_DST])
                memcpy(&slot->addr, mnl_attr_get_payload(tb[RTA_DST]), len);
        return MNL_CB_OK;
}

static int route_change(struct mnl_socket *nl, uint16_t type, int ifindex, const IpPrefix *dst) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        IpPrefix net = ip_prefix_network(dst);
        uint16_t flags = NLM_F_ACK | (type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_REPLACE : 0);
        struct nlmsghdr *nlh = rtnl_request(buf, type, flags);
        struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);

        rtm->rtm_family = (uint8_t) net.family;
        rtm->rtm_dst_len = net.prefixlen;
        rtm->rtm_table = RT_TABLE_MAIN;
        rtm->rtm_protocol = RTPROT_STATIC;
        rtm->rtm_scope = RT_SCOPE_LINK; /* no gateway: WireGuard picks the peer by AllowedIPs */
        rtm->rtm_type = RTN_UNICAST;
        if (net.prefixlen > 0)
                mnl_attr_put(nlh, RTA_DST, ip_family_bits(net.family) / 8, &net.addr);
        mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t) ifindex);
        int r = rtnl_talk(nl, nlh, NULL, NULL);
        return type == RTM_DELROUTE && r == -ESRCH ? 0 : r;
}

int rtnl_route_sync(int ifindex, const IpPrefix *routes, size_t n) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        RouteDump d = { .ifindex = ifindex };
        int r = rtnl_open(&nl);
        if (r < 0)
                return r;

        struct nlmsghdr *nlh = rtnl_request(buf, RTM_GETROUTE, NLM_F_DUMP);
        struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
        rtm->rtm_family = AF_UNSPEC;
        r = rtnl_talk(nl, nlh, route_dump_cb, &d);
        _cleanup_free_ IpPrefix *have = d.routes;
        if (r >= 0 && d.oom)
                r = -ENOMEM;
        if (r < 0)
                return r;

        for (size_t i = 0; i < d.n; i++) {
                bool wanted = false;
                for (size_t j = 0; j < n && !wanted; j++) {
                        IpPrefix w = ip_prefix_network(&routes[j]);
                        wanted = ip_prefix_equal(&w, &have[i]);
                }
                if (!wanted) {
                        r = route_change(nl, RTM_DELROUTE, ifindex, &have[i]);
                        if (r < 0)
                                return r;
                }
        }
        for (size_t j = 0; j < n; j++) {
                IpPrefix w = ip_prefix_network(&routes[j]);
                if (!prefix_in(have, d.n, &w)) {
                        r = route_change(nl, RTM_NEWROUTE, ifindex, &w);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}
