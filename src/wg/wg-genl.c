/* SPDX-License-Identifier: MIT */
/* The kernel's WireGuard configuration interface: generic netlink family "wireguard", described in
 * <linux/wireguard.h>. Messages are built into caller buffers and parsed from them, apart from the
 * socket, so the unit tests check the bytes without a wireguard module. */
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include <net/if.h>
#include <sodium.h>
#include <time.h>

#include "shared/log.h"
#include "wg/wg.h"

/* What libmnl >= 1.0.5 calls MNL_SOCKET_DUMP_SIZE: big enough for any message the kernel sends in
 * a dump (it sizes them to a page, at most 8 KiB). */
#define GENL_RECV_SIZE 32768

size_t wg_genl_message_max(void) {
        return MNL_SOCKET_BUFFER_SIZE;
}

static struct nlmsghdr *genl_put_header(void *buf, uint16_t type, uint16_t flags, uint32_t seq, uint8_t cmd,
                                        uint8_t version) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct genlmsghdr *g;

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = flags;
        nlh->nlmsg_seq = seq;
        g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
        g->cmd = cmd;
        g->version = version;
        return nlh;
}

struct nlmsghdr *wg_genl_build_getfamily(void *buf, uint32_t seq) {
        struct nlmsghdr *nlh = genl_put_header(buf, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, seq,
                                               CTRL_CMD_GETFAMILY, 1);
        mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
        return nlh;
}

static int family_attr_cb(const struct nlattr *attr, void *data) {
        if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID && mnl_attr_validate(attr, MNL_TYPE_U16) >= 0)
                *(int *) data = mnl_attr_get_u16(attr);
        return MNL_CB_OK;
}

int wg_genl_parse_family(const struct nlmsghdr *nlh, uint16_t *ret) {
        int id = -1;

        if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb, &id) < 0 || id < 0)
                return -ENOENT;
        *ret = (uint16_t) id;
        return 0;
}

struct nlmsghdr *wg_genl_build_get(void *buf, uint16_t family, uint32_t seq, const char *ifname) {
        struct nlmsghdr *nlh = genl_put_header(buf, family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq,
                                               WG_CMD_GET_DEVICE, WG_GENL_VERSION);
        mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
        return nlh;
}

static bool put_allowed_ip(struct nlmsghdr *nlh, size_t size, const IpPrefix *a) {
        struct nlattr *nest = mnl_attr_nest_start_check(nlh, size, 0);
        if (!nest)
                return false;
        if (!mnl_attr_put_u16_check(nlh, size, WGALLOWEDIP_A_FAMILY, (uint16_t) a->family) ||
            !mnl_attr_put_check(nlh, size, WGALLOWEDIP_A_IPADDR,
                                a->family == AF_INET6 ? sizeof(struct in6_addr) : sizeof(struct in_addr), &a->addr) ||
            !mnl_attr_put_u8_check(nlh, size, WGALLOWEDIP_A_CIDR_MASK, a->prefixlen)) {
                mnl_attr_nest_cancel(nlh, nest);
                return false;
        }
        mnl_attr_nest_end(nlh, nest);
        return true;
}

/* Puts one peer, or its continuation from *next_ip. 1: all of it went in; 0: part of its allowed
 * IPs went in (*next_ip says where to go on); -EMSGSIZE: nothing of it fits. */
static int put_peer(struct nlmsghdr *nlh, size_t size, const WgPeer *p, size_t *next_ip) {
        const size_t start = *next_ip;
        const bool continuation = start > 0;
        struct nlattr *peer_nest, *ips_nest;
        uint32_t flags = 0;

        peer_nest = mnl_attr_nest_start_check(nlh, size, 0);
        if (!peer_nest)
                return -EMSGSIZE;
        if (!mnl_attr_put_check(nlh, size, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, p->public_key))
                goto cancel;
        if (p->flags & WG_PEER_REMOVE_ME)
                flags |= WGPEER_F_REMOVE_ME;
        if (!continuation) {
                /* Only the first part may replace, or it would wipe what the earlier part added. */
                if (p->flags & WG_PEER_REPLACE_ALLOWEDIPS)
                        flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
                if ((p->flags & WG_PEER_HAS_PRESHARED_KEY) &&
                    !mnl_attr_put_check(nlh, size, WGPEER_A_PRESHARED_KEY, WG_KEY_LEN, p->preshared_key))
                        goto cancel;
                if ((p->flags & WG_PEER_HAS_ENDPOINT) && p->endpoint.addr.sa_family == AF_INET &&
                    !mnl_attr_put_check(nlh, size, WGPEER_A_ENDPOINT, sizeof p->endpoint.addr4, &p->endpoint.addr4))
                        goto cancel;
                if ((p->flags & WG_PEER_HAS_ENDPOINT) && p->endpoint.addr.sa_family == AF_INET6 &&
                    !mnl_attr_put_check(nlh, size, WGPEER_A_ENDPOINT, sizeof p->endpoint.addr6, &p->endpoint.addr6))
                        goto cancel;
                if ((p->flags & WG_PEER_HAS_KEEPALIVE) &&
                    !mnl_attr_put_u16_check(nlh, size, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p->persistent_keepalive))
                        goto cancel;
        }
        if (flags && !mnl_attr_put_u32_check(nlh, size, WGPEER_A_FLAGS, flags))
                goto cancel;

        if (!(p->flags & WG_PEER_REMOVE_ME) && start < p->n_allowed_ips) {
                ips_nest = mnl_attr_nest_start_check(nlh, size, WGPEER_A_ALLOWEDIPS);
                if (!ips_nest)
                        goto cancel;
                for (size_t i = start; i < p->n_allowed_ips; i++)
                        if (!put_allowed_ip(nlh, size, &p->allowed_ips[i])) {
                                if (i == start) /* not one went in: send the whole part next time */
                                        goto cancel;
                                mnl_attr_nest_end(nlh, ips_nest);
                                mnl_attr_nest_end(nlh, peer_nest);
                                *next_ip = i;
                                return 0;
                        }
                mnl_attr_nest_end(nlh, ips_nest);
        }
        mnl_attr_nest_end(nlh, peer_nest);
        return 1;

cancel:
        mnl_attr_nest_cancel(nlh, peer_nest);
        return -EMSGSIZE;
}

int wg_genl_build_set(void *buf, size_t buf_size, uint16_t family, uint32_t seq, const WgDevice *dev,
                      WgGenlCursor *c, struct nlmsghdr **ret) {
        struct nlmsghdr *nlh;
        bool progress = false;

        if (c->done || buf_size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr)))
                return -EINVAL;
        nlh = genl_put_header(buf, family, NLM_F_REQUEST | NLM_F_ACK, seq, WG_CMD_SET_DEVICE, WG_GENL_VERSION);
        if (!mnl_attr_put_strz_check(nlh, buf_size, WGDEVICE_A_IFNAME, dev->ifname))
                return -EMSGSIZE;

        if (!c->device_sent) {
                if ((dev->flags & WG_DEVICE_HAS_PRIVATE_KEY) &&
                    !mnl_attr_put_check(nlh, buf_size, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, dev->private_key))
                        return -EMSGSIZE;
                if ((dev->flags & WG_DEVICE_HAS_LISTEN_PORT) &&
                    !mnl_attr_put_u16_check(nlh, buf_size, WGDEVICE_A_LISTEN_PORT, dev->listen_port))
                        return -EMSGSIZE;
                /* <linux/wireguard.h>: REPLACE_PEERS belongs in the first message only. */
                if ((dev->flags & WG_DEVICE_REPLACE_PEERS) &&
                    !mnl_attr_put_u32_check(nlh, buf_size, WGDEVICE_A_FLAGS, WGDEVICE_F_REPLACE_PEERS))
                        return -EMSGSIZE;
                c->device_sent = true;
                progress = true;
        }

        if (c->peer < dev->n_peers) {
                struct nlattr *peers = mnl_attr_nest_start_check(nlh, buf_size, WGDEVICE_A_PEERS);
                bool any = false;

                while (peers && c->peer < dev->n_peers) {
                        int r = put_peer(nlh, buf_size, &dev->peers[c->peer], &c->allowed_ip);
                        if (r < 0)
                                break;
                        any = true;
                        if (r == 0)
                                break;
                        c->peer++;
                        c->allowed_ip = 0;
                }
                if (peers) {
                        if (any)
                                mnl_attr_nest_end(nlh, peers);
                        else
                                mnl_attr_nest_cancel(nlh, peers);
                }
                progress = progress || any;
        }
        if (!progress)
                return -EMSGSIZE;
        c->done = c->peer >= dev->n_peers;
        *ret = nlh;
        return 0;
}

typedef struct ParseState {
        WgDevice *dev;
        WgPeer *peer;
        IpPrefix ip;
        int family;
        bool has_ip;
        int error;
} ParseState;

static int allowed_ip_attr_cb(const struct nlattr *attr, void *data) {
        ParseState *s = data;

        switch (mnl_attr_get_type(attr)) {
        case WGALLOWEDIP_A_FAMILY:
                if (mnl_attr_validate(attr, MNL_TYPE_U16) >= 0)
                        s->family = mnl_attr_get_u16(attr);
                break;
        case WGALLOWEDIP_A_IPADDR:
                if (mnl_attr_get_payload_len(attr) == sizeof(struct in_addr)) {
                        s->ip.family = AF_INET;
                        memcpy(&s->ip.addr, mnl_attr_get_payload(attr), sizeof(struct in_addr));
                        s->has_ip = true;
                } else if (mnl_attr_get_payload_len(attr) == sizeof(struct in6_addr)) {
                        s->ip.family = AF_INET6;
                        memcpy(&s->ip.addr, mnl_attr_get_payload(attr), sizeof(struct in6_addr));
                        s->has_ip = true;
                }
                break;
        case WGALLOWEDIP_A_CIDR_MASK:
                if (mnl_attr_validate(attr, MNL_TYPE_U8) >= 0)
                        s->ip.prefixlen = mnl_attr_get_u8(attr);
                break;
        }
        return MNL_CB_OK;
}

static int allowed_ips_cb(const struct nlattr *attr, void *data) {
        ParseState *s = data;
        IpPrefix *slot;

        s->ip = (IpPrefix) {};
        s->family = AF_UNSPEC;
        s->has_ip = false;
        if (mnl_attr_parse_nested(attr, allowed_ip_attr_cb, s) < 0)
                return MNL_CB_ERROR;
        if (!s->has_ip || s->family != s->ip.family || s->ip.prefixlen > ip_family_bits(s->family)) {
                s->error = -EPROTO;
                return MNL_CB_ERROR;
        }
        slot = ARRAY_PUSH(s->peer->allowed_ips, s->peer->n_allowed_ips);
        if (!slot) {
                s->error = -ENOMEM;
                return MNL_CB_ERROR;
        }
        *slot = s->ip;
        return MNL_CB_OK;
}

static int peer_attr_cb(const struct nlattr *attr, void *data) {
        ParseState *s = data;
        WgPeer *p = s->peer;

        switch (mnl_attr_get_type(attr)) {
        case WGPEER_A_PUBLIC_KEY:
                if (mnl_attr_get_payload_len(attr) == WG_KEY_LEN)
                        memcpy(p->public_key, mnl_attr_get_payload(attr), WG_KEY_LEN);
                break;
        case WGPEER_A_PRESHARED_KEY:
                if (mnl_attr_get_payload_len(attr) == WG_KEY_LEN) {
                        memcpy(p->preshared_key, mnl_attr_get_payload(attr), WG_KEY_LEN);
                        if (!wg_key_is_zero(p->preshared_key))
                                p->flags |= WG_PEER_HAS_PRESHARED_KEY;
                }
                break;
        case WGPEER_A_ENDPOINT: {
                const struct sockaddr *sa = mnl_attr_get_payload(attr);
                size_t len = mnl_attr_get_payload_len(attr);
                if (len < sizeof(struct sockaddr))
                        break;
                if ((sa->sa_family == AF_INET && len == sizeof(struct sockaddr_in)) ||
                    (sa->sa_family == AF_INET6 && len == sizeof(struct sockaddr_in6))) {
                        memcpy(&p->endpoint, sa, len);
                        p->flags |= WG_PEER_HAS_ENDPOINT;
                }
                break;
        }
        case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
                if (mnl_attr_validate(attr, MNL_TYPE_U16) >= 0) {
                        p->persistent_keepalive = mnl_attr_get_u16(attr);
                        p->flags |= WG_PEER_HAS_KEEPALIVE;
                }
                break;
        case WGPEER_A_LAST_HANDSHAKE_TIME: {
                struct __kernel_timespec ts;
                if (mnl_attr_get_payload_len(attr) == sizeof ts) {
                        memcpy(&ts, mnl_attr_get_payload(attr), sizeof ts);
                        p->last_handshake_sec = ts.tv_sec;
                }
                break;
        }
        case WGPEER_A_RX_BYTES:
                if (mnl_attr_validate(attr, MNL_TYPE_U64) >= 0)
                        p->rx_bytes = mnl_attr_get_u64(attr);
                break;
        case WGPEER_A_TX_BYTES:
                if (mnl_attr_validate(attr, MNL_TYPE_U64) >= 0)
                        p->tx_bytes = mnl_attr_get_u64(attr);
                break;
        case WGPEER_A_ALLOWEDIPS:
                return mnl_attr_parse_nested(attr, allowed_ips_cb, s);
        }
        return MNL_CB_OK;
}

static int peers_cb(const struct nlattr *attr, void *data) {
        ParseState *s = data;
        WgDevice *d = s->dev;
        WgPeer tmp = {};
        int r;

        s->peer = &tmp;
        r = mnl_attr_parse_nested(attr, peer_attr_cb, s);
        s->peer = NULL;
        if (r >= 0 && wg_key_is_zero(tmp.public_key)) {
                s->error = -EPROTO;
                r = MNL_CB_ERROR;
        }
        if (r < 0)
                goto fail;

        /* The kernel continues a peer whose allowed IPs did not fit in the next message, repeating
         * only its public key (<linux/wireguard.h>). */
        if (d->n_peers > 0 && sodium_memcmp(d->peers[d->n_peers - 1].public_key, tmp.public_key, WG_KEY_LEN) == 0) {
                WgPeer *last = &d->peers[d->n_peers - 1];
                for (size_t i = 0; i < tmp.n_allowed_ips; i++) {
                        IpPrefix *slot = ARRAY_PUSH(last->allowed_ips, last->n_allowed_ips);
                        if (!slot) {
                                s->error = -ENOMEM;
                                r = MNL_CB_ERROR;
                                goto fail;
                        }
                        *slot = tmp.allowed_ips[i];
                }
                free(tmp.allowed_ips);
                sodium_memzero(&tmp, sizeof tmp);
                return MNL_CB_OK;
        }

        WgPeer *slot = wg_device_push_peer(d);
        if (!slot) {
                s->error = -ENOMEM;
                r = MNL_CB_ERROR;
                goto fail;
        }
        *slot = tmp;
        sodium_memzero(&tmp, sizeof tmp);
        return MNL_CB_OK;

fail:
        free(tmp.allowed_ips);
        sodium_memzero(&tmp, sizeof tmp);
        return r < 0 ? r : MNL_CB_ERROR;
}

static int device_attr_cb(const struct nlattr *attr, void *data) {
        ParseState *s = data;
        WgDevice *d = s->dev;

        switch (mnl_attr_get_type(attr)) {
        case WGDEVICE_A_IFNAME:
                if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
                        snprintf(d->ifname, sizeof d->ifname, "%s", mnl_attr_get_str(attr));
                break;
        case WGDEVICE_A_PRIVATE_KEY:
                if (mnl_attr_get_payload_len(attr) == WG_KEY_LEN) {
                        memcpy(d->private_key, mnl_attr_get_payload(attr), WG_KEY_LEN);
                        if (!wg_key_is_zero(d->private_key))
                                d->flags |= WG_DEVICE_HAS_PRIVATE_KEY;
                }
                break;
        case WGDEVICE_A_PUBLIC_KEY:
                if (mnl_attr_get_payload_len(attr) == WG_KEY_LEN)
                        memcpy(d->public_key, mnl_attr_get_payload(attr), WG_KEY_LEN);
                break;
        case WGDEVICE_A_LISTEN_PORT:
                if (mnl_attr_validate(attr, MNL_TYPE_U16) >= 0) {
                        d->listen_port = mnl_attr_get_u16(attr);
                        d->flags |= WG_DEVICE_HAS_LISTEN_PORT;
                }
                break;
        case WGDEVICE_A_PEERS:
                return mnl_attr_parse_nested(attr, peers_cb, s);
        }
        return MNL_CB_OK;
}

int wg_genl_parse_device(const struct nlmsghdr *nlh, WgDevice *dev) {
        ParseState s = { .dev = dev };

        if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct genlmsghdr))
                return -EPROTO;
        if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), device_attr_cb, &s) < 0)
                return s.error < 0 ? s.error : -EPROTO;
        return 0;
}

/* --- the socket --- */

typedef struct GenlSocket {
        struct mnl_socket *nl;
        uint32_t portid;
        uint32_t seq;
        uint16_t family;
} GenlSocket;

static void genl_socket_close(GenlSocket *g) {
        if (g->nl)
                mnl_socket_close(g->nl);
        g->nl = NULL;
}

/* Sends one request and runs cb on every reply until the ACK or NLMSG_DONE. */
static int genl_transact(GenlSocket *g, const struct nlmsghdr *nlh, mnl_cb_t cb, void *data) {
        _cleanup_free_ char *buf = NULL;
        int r;

        if (mnl_socket_sendto(g->nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        buf = malloc(GENL_RECV_SIZE);
        if (!buf)
                return -ENOMEM;
        do {
                ssize_t n = mnl_socket_recvfrom(g->nl, buf, GENL_RECV_SIZE);
                if (n < 0)
                        return -errno;
                r = mnl_cb_run(buf, (size_t) n, nlh->nlmsg_seq, g->portid, cb, data);
                if (r < 0)
                        r = errno > 0 ? -errno : -EPROTO;
                /* Replies may carry keys (a GET of our own device). */
                sodium_memzero(buf, (size_t) n);
        } while (r > 0);
        return r;
}

static int family_cb(const struct nlmsghdr *nlh, void *data) {
        return wg_genl_parse_family(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int genl_socket_open(GenlSocket *g) {
        _cleanup_free_ void *buf = NULL;
        int r;

        *g = (GenlSocket) { .seq = (uint32_t) time(NULL) };
        g->nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
        if (!g->nl)
                return -errno;
        if (mnl_socket_bind(g->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                r = -errno;
                genl_socket_close(g);
                return r;
        }
        g->portid = mnl_socket_get_portid(g->nl);

        buf = calloc(1, wg_genl_message_max());
        if (!buf) {
                genl_socket_close(g);
                return -ENOMEM;
        }
        r = genl_transact(g, wg_genl_build_getfamily(buf, ++g->seq), family_cb, &g->family);
        if (r < 0) {
                genl_socket_close(g);
                /* The controller answers ENOENT for a family nobody registered: no wireguard module. */
                return r == -ENOENT ? -EPROTONOSUPPORT : r;
        }
        return 0;
}

static int device_cb(const struct nlmsghdr *nlh, void *data) {
        int r = wg_genl_parse_device(nlh, data);
        if (r < 0) {
                errno = -r;
                return MNL_CB_ERROR;
        }
        return MNL_CB_OK;
}

static int genl_get_once(const char *ifname, WgDevice **ret) {
        _cleanup_(wg_device_freep) WgDevice *d = NULL;
        _cleanup_free_ void *buf = NULL;
        GenlSocket g;
        int r;

        d = calloc(1, sizeof *d);
        buf = calloc(1, wg_genl_message_max());
        if (!d || !buf)
                return -ENOMEM;
        snprintf(d->ifname, sizeof d->ifname, "%s", ifname);
        r = genl_socket_open(&g);
        if (r < 0)
                return r;
        r = genl_transact(&g, wg_genl_build_get(buf, g.family, ++g.seq, ifname), device_cb, d);
        genl_socket_close(&g);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}

int wg_genl_get(const char *ifname, WgDevice **ret) {
        int r;

        if (strlen(ifname) >= IFNAMSIZ)
                return -ENAMETOOLONG;
        /* NLM_F_DUMP_INTR: the peer list changed under the dump. Read it again, on a fresh socket so
         * the rest of the interrupted dump cannot mix in. */
        for (unsigned attempt = 0;; attempt++) {
                r = genl_get_once(ifname, ret);
                if (r != -EINTR || attempt >= 8)
                        return r;
        }
}

int wg_genl_set(const WgDevice *dev) {
        size_t size = wg_genl_message_max();
        WgGenlCursor c = {};
        GenlSocket g;
        uint8_t *buf;
        int r;

        if (strlen(dev->ifname) >= IFNAMSIZ)
                return -ENAMETOOLONG;
        buf = calloc(1, size);
        if (!buf)
                return -ENOMEM;
        r = genl_socket_open(&g);
        while (r >= 0 && !c.done) {
                struct nlmsghdr *nlh;
                r = wg_genl_build_set(buf, size, g.family, ++g.seq, dev, &c, &nlh);
                if (r >= 0)
                        r = genl_transact(&g, nlh, NULL, NULL);
                sodium_memzero(buf, size);
        }
        genl_socket_close(&g);
        free(buf);
        return r;
}
