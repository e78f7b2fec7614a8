/* SPDX-License-Identifier: MIT */
/* The cross-platform userspace API of WireGuard implementations (wireguard-go, boringtun), as
 * https://www.wireguard.com/xplatform/ describes it: a stream on IFNAME.sock, a request "get=1" or
 * "set=1" followed by key=value lines and a blank line, a reply of key=value lines ending in
 * "errno=N" and a blank line. Keys travel as hex. No library implements this protocol, so it is
 * written here by hand, in the shape of wireguard-tools' ipc-uapi.h. */
#include <arpa/inet.h>
#include <limits.h>
#include <netdb.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "shared/log.h"
#include "shared/strbuf.h"
#include "wg/wg.h"

#define KEY_HEX_LEN (WG_KEY_LEN * 2)
#define UAPI_TIMEOUT_SEC 10

static void key_to_hex(char out[KEY_HEX_LEN + 1], const WgKey key) {
        sodium_bin2hex(out, KEY_HEX_LEN + 1, key, WG_KEY_LEN);
}

static int key_from_hex(WgKey key, const char *hex) {
        size_t n = 0;
        if (strlen(hex) != KEY_HEX_LEN)
                return -EINVAL;
        if (sodium_hex2bin(key, WG_KEY_LEN, hex, KEY_HEX_LEN, NULL, &n, NULL) < 0 || n != WG_KEY_LEN) {
                wg_key_wipe(key);
                return -EINVAL;
        }
        return 0;
}

int wg_endpoint_format(const WgEndpoint *e, char buf[WG_ENDPOINT_STRLEN]) {
        char host[NI_MAXHOST], serv[NI_MAXSERV];
        socklen_t len = e->addr.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

        if (e->addr.sa_family != AF_INET && e->addr.sa_family != AF_INET6)
                return -EAFNOSUPPORT;
        if (getnameinfo(&e->addr, len, host, sizeof host, serv, sizeof serv,
                        NI_NUMERICHOST | NI_NUMERICSERV | NI_DGRAM) != 0)
                return -EINVAL;
        /* NI_NUMERICHOST keeps a scope as "%ifname", which fits the buffer only with a short name. */
        int n = snprintf(buf, WG_ENDPOINT_STRLEN, e->addr.sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
        if (n < 0 || n >= WG_ENDPOINT_STRLEN)
                return -ENAMETOOLONG;
        return 0;
}

static int endpoint_parse(const char *s, WgEndpoint *ret) {
        struct addrinfo hints = {
                .ai_family = AF_UNSPEC,
                .ai_socktype = SOCK_DGRAM,
                .ai_protocol = IPPROTO_UDP,
                .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
        };
        struct addrinfo *res = NULL;
        char host[NI_MAXHOST];
        const char *port;
        size_t l;

        if (s[0] == '[') {
                const char *end = strchr(s, ']');
                if (!end || end[1] != ':')
                        return -EINVAL;
                l = (size_t) (end - s - 1);
                s++;
                port = end + 2;
        } else {
                const char *colon = strrchr(s, ':');
                if (!colon)
                        return -EINVAL;
                l = (size_t) (colon - s);
                port = colon + 1;
        }
        if (l == 0 || l >= sizeof host || !*port)
                return -EINVAL;
        memcpy(host, s, l);
        host[l] = '\0';
        /* The implementation reports numbers; never ask DNS while reading a device. */
        if (getaddrinfo(host, port, &hints, &res) != 0)
                return -EINVAL;
        int r = -EAFNOSUPPORT;
        if ((res->ai_family == AF_INET && res->ai_addrlen == sizeof(struct sockaddr_in)) ||
            (res->ai_family == AF_INET6 && res->ai_addrlen == sizeof(struct sockaddr_in6))) {
                *ret = (WgEndpoint) {};
                memcpy(&ret->addr, res->ai_addr, res->ai_addrlen);
                r = 0;
        }
        freeaddrinfo(res);
        return r;
}

int wg_uapi_format_set(const WgDevice *dev, char **ret) {
        StrBuf b = {};
        char hex[KEY_HEX_LEN + 1], ip[IP_PREFIX_STRLEN], ep[WG_ENDPOINT_STRLEN];
        size_t bound = 128;

        /* Reserve an upper bound up front so the buffer is never reallocated: realloc would leave
         * copies of the keys in freed memory. */
        for (size_t i = 0; i < dev->n_peers; i++)
                bound += 512 + dev->peers[i].n_allowed_ips * (IP_PREFIX_STRLEN + 16);
        b.buf = malloc(bound);
        if (!b.buf)
                return -ENOMEM;
        b.allocated = bound;

        strbuf_append(&b, "set=1\n");
        if (dev->flags & WG_DEVICE_HAS_PRIVATE_KEY) {
                key_to_hex(hex, dev->private_key);
                strbuf_appendf(&b, "private_key=%s\n", hex);
        }
        if (dev->flags & WG_DEVICE_HAS_LISTEN_PORT)
                strbuf_appendf(&b, "listen_port=%u\n", dev->listen_port);
        if (dev->flags & WG_DEVICE_REPLACE_PEERS)
                strbuf_append(&b, "replace_peers=true\n");

        for (size_t i = 0; i < dev->n_peers; i++) {
                const WgPeer *p = &dev->peers[i];

                key_to_hex(hex, p->public_key);
                strbuf_appendf(&b, "public_key=%s\n", hex);
                if (p->flags & WG_PEER_REMOVE_ME) {
                        strbuf_append(&b, "remove=true\n");
                        continue;
                }
                if (p->flags & WG_PEER_HAS_PRESHARED_KEY) {
                        key_to_hex(hex, p->preshared_key);
                        strbuf_appendf(&b, "preshared_key=%s\n", hex);
                }
                if ((p->flags & WG_PEER_HAS_ENDPOINT) && wg_endpoint_format(&p->endpoint, ep) >= 0)
                        strbuf_appendf(&b, "endpoint=%s\n", ep);
                if (p->flags & WG_PEER_HAS_KEEPALIVE)
                        strbuf_appendf(&b, "persistent_keepalive_interval=%u\n", p->persistent_keepalive);
                if (p->flags & WG_PEER_REPLACE_ALLOWEDIPS)
                        strbuf_append(&b, "replace_allowed_ips=true\n");
                for (size_t j = 0; j < p->n_allowed_ips; j++)
                        strbuf_appendf(&b, "allowed_ip=%s\n", ip_prefix_format(&p->allowed_ips[j], ip));
        }
        strbuf_append(&b, "\n");
        sodium_memzero(hex, sizeof hex);

        if (b.oom) {
                sodium_memzero(b.buf, b.allocated);
                strbuf_done(&b);
                return -ENOMEM;
        }
        *ret = strbuf_finish(&b);
        return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *ret) {
        char *end;
        unsigned long long v;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* Walks the reply line by line. line_fn sees each key=value until the blank line; the reply's
 * errno=N decides the result. */
typedef int (*UapiLineFn)(const char *key, const char *value, void *userdata);

static int uapi_walk(const char *text, UapiLineFn fn, void *userdata) {
        const char *p = text;
        bool have_errno = false;
        int result = 0;
        /* Longer than any line the protocol has: a key line is 77 bytes, an IPv6 endpoint ~70. */
        char line[256];

        for (;;) {
                const char *nl = strchr(p, '\n');
                size_t l;
                char *eq;
                int r;

                if (!nl)
                        return -EPROTO; /* ended without the blank line */
                l = (size_t) (nl - p);
                if (l == 0)
                        break;
                if (l >= sizeof line) {
                        sodium_memzero(line, sizeof line);
                        return -EPROTO;
                }
                memcpy(line, p, l);
                line[l] = '\0';
                p = nl + 1;

                eq = strchr(line, '=');
                if (!eq) {
                        sodium_memzero(line, sizeof line);
                        return -EPROTO;
                }
                *eq = '\0';
                if (streq(line, "errno")) {
                        uint64_t v;
                        if (parse_u64(eq + 1, INT_MAX, &v) < 0)
                                return -EPROTO;
                        have_errno = true;
                        result = -(int) v;
                        continue;
                }
                r = fn ? fn(line, eq + 1, userdata) : 0;
                sodium_memzero(line, sizeof line);
                if (r < 0)
                        return r;
        }
        if (!have_errno)
                return -EPROTO;
        return result;
}

int wg_uapi_parse_errno(const char *text) {
        return uapi_walk(text, NULL, NULL);
}

typedef struct GetState {
        WgDevice *dev;
        WgPeer *peer;
} GetState;

static int get_line(const char *key, const char *value, void *userdata) {
        GetState *s = userdata;
        WgDevice *d = s->dev;
        WgPeer *p = s->peer;
        uint64_t v;

        if (streq(key, "public_key")) {
                p = wg_device_push_peer(d);
                if (!p)
                        return -ENOMEM;
                s->peer = p;
                return key_from_hex(p->public_key, value) < 0 ? -EPROTO : 0;
        }
        if (!p) {
                if (streq(key, "private_key")) {
                        if (key_from_hex(d->private_key, value) < 0)
                                return -EPROTO;
                        if (!wg_key_is_zero(d->private_key)) {
                                d->flags |= WG_DEVICE_HAS_PRIVATE_KEY;
                                return wg_key_public_from_private(d->public_key, d->private_key);
                        }
                } else if (streq(key, "listen_port")) {
                        if (parse_u64(value, UINT16_MAX, &v) < 0)
                                return -EPROTO;
                        d->listen_port = (uint16_t) v;
                        d->flags |= WG_DEVICE_HAS_LISTEN_PORT;
                }
                /* fwmark and whatever later versions add: not ours to judge. */
                return 0;
        }

        if (streq(key, "preshared_key")) {
                if (key_from_hex(p->preshared_key, value) < 0)
                        return -EPROTO;
                if (!wg_key_is_zero(p->preshared_key))
                        p->flags |= WG_PEER_HAS_PRESHARED_KEY;
        } else if (streq(key, "endpoint")) {
                if (endpoint_parse(value, &p->endpoint) < 0)
                        return -EPROTO;
                p->flags |= WG_PEER_HAS_ENDPOINT;
        } else if (streq(key, "persistent_keepalive_interval")) {
                if (parse_u64(value, UINT16_MAX, &v) < 0)
                        return -EPROTO;
                p->persistent_keepalive = (uint16_t) v;
                p->flags |= WG_PEER_HAS_KEEPALIVE;
        } else if (streq(key, "last_handshake_time_sec")) {
                if (parse_u64(value, INT64_MAX, &v) < 0)
                        return -EPROTO;
                p->last_handshake_sec = (int64_t) v;
        } else if (streq(key, "rx_bytes")) {
                if (parse_u64(value, UINT64_MAX, &p->rx_bytes) < 0)
                        return -EPROTO;
        } else if (streq(key, "tx_bytes")) {
                if (parse_u64(value, UINT64_MAX, &p->tx_bytes) < 0)
                        return -EPROTO;
        } else if (streq(key, "allowed_ip")) {
                IpPrefix a;
                if (ip_prefix_parse(value, false, &a) < 0)
                        return -EPROTO;
                IpPrefix *slot = ARRAY_PUSH(p->allowed_ips, p->n_allowed_ips);
                if (!slot)
                        return -ENOMEM;
                *slot = a;
        }
        return 0;
}

int wg_uapi_parse_get(const char *ifname, const char *text, WgDevice **ret) {
        _cleanup_(wg_device_freep) WgDevice *d = NULL;
        GetState s = {};
        int r;

        d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        snprintf(d->ifname, sizeof d->ifname, "%s", ifname);
        s.dev = d;
        r = uapi_walk(text, get_line, &s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}

static int uapi_connect(const char *ifname, const char *uapi_dir) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timeval tv = { .tv_sec = UAPI_TIMEOUT_SEC };
        int fd, n;

        if (strchr(ifname, '/'))
                return -EINVAL;
        n = snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s.sock", uapi_dir ?: WG_UAPI_DIR, ifname);
        if (n < 0 || (size_t) n >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* A stuck implementation must not hang the daemon's event loop for ever. */
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

static int write_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

/* Reads one reply: everything up to and including the first blank line. Grows by copying and
 * wiping, since a get reply holds keys. */
static int read_reply(int fd, char **ret) {
        char *buf = NULL;
        size_t len = 0, size = 0;

        for (;;) {
                if (len + 1 >= size) {
                        size_t nsize = size ? size * 2 : 4096;
                        char *n = malloc(nsize);
                        if (!n) {
                                wg_secret_free(buf);
                                return -ENOMEM;
                        }
                        if (buf) {
                                memcpy(n, buf, len + 1);
                                sodium_memzero(buf, size);
                                free(buf);
                        }
                        buf = n;
                        size = nsize;
                }
                ssize_t k = recv(fd, buf + len, size - len - 1, 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = errno == EAGAIN ? -ETIMEDOUT : -errno;
                        buf[len] = '\0';
                        wg_secret_free(buf);
                        return r;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                buf[len] = '\0';
                if ((len == 1 && buf[0] == '\n') || (len >= 2 && memcmp(buf + len - 2, "\n\n", 2) == 0))
                        break;
        }
        if (!buf) {
                buf = strdup("");
                if (!buf)
                        return -ENOMEM;
        }
        buf[len] = '\0';
        *ret = buf;
        return 0;
}

int wg_uapi_get(const char *ifname, const char *uapi_dir, WgDevice **ret) {
        _cleanup_close_ int fd = -1;
        char *reply = NULL;
        int r;

        fd = uapi_connect(ifname, uapi_dir);
        if (fd < 0)
                return fd;
        r = write_all(fd, "get=1\n\n", 7);
        if (r < 0)
                return r;
        r = read_reply(fd, &reply);
        if (r < 0)
                return r;
        r = wg_uapi_parse_get(ifname, reply, ret);
        wg_secret_free(reply);
        return r;
}

int wg_uapi_set(const WgDevice *dev, const char *uapi_dir) {
        _cleanup_close_ int fd = -1;
        char *request = NULL, *reply = NULL;
        int r;

        fd = uapi_connect(dev->ifname, uapi_dir);
        if (fd < 0)
                return fd;
        r = wg_uapi_format_set(dev, &request);
        if (r < 0)
                return r;
        r = write_all(fd, request, strlen(request));
        wg_secret_free(request);
        if (r < 0)
                return r;
        r = read_reply(fd, &reply);
        if (r < 0)
                return r;
        r = wg_uapi_parse_errno(reply);
        free(reply);
        return r;
}
