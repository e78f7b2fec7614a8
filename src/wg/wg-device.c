/* SPDX-License-Identifier: MIT */
#include <netdb.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/stat.h>
#include <time.h>

#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/parse.h"
#include "wg/wg.h"

static void wg_peer_clear(WgPeer *p) {
        free(p->allowed_ips);
        /* Wipes the preshared key with everything else. */
        sodium_memzero(p, sizeof *p);
}

void wg_device_clear(WgDevice *d) {
        if (!d)
                return;
        for (size_t i = 0; i < d->n_peers; i++)
                wg_peer_clear(&d->peers[i]);
        free(d->peers);
        d->peers = NULL;
        d->n_peers = 0;
        wg_key_wipe(d->private_key);
}

WgDevice *wg_device_free(WgDevice *d) {
        if (!d)
                return NULL;
        wg_device_clear(d);
        sodium_memzero(d, sizeof *d);
        free(d);
        return NULL;
}

void wg_secret_free(char *s) {
        if (!s)
                return;
        sodium_memzero(s, strlen(s));
        free(s);
}

static int allowed_ip_cmp(const void *a, const void *b) {
        return ip_prefix_compare(a, b);
}

void wg_peer_normalize_allowed_ips(WgPeer *p) {
        size_t n = 0;

        if (p->n_allowed_ips == 0)
                return;
        qsort(p->allowed_ips, p->n_allowed_ips, sizeof(IpPrefix), allowed_ip_cmp);
        for (size_t i = 0; i < p->n_allowed_ips; i++)
                if (n == 0 || !ip_prefix_equal(&p->allowed_ips[n - 1], &p->allowed_ips[i]))
                        p->allowed_ips[n++] = p->allowed_ips[i];
        p->n_allowed_ips = n;
}

WgPeer *wg_device_push_peer(WgDevice *d) {
        size_t n = d->n_peers;

        /* The capacity is implied by the count (4, 8, 16, ...), so a full array is known without a
         * field for it. Growing copies and wipes the old block: realloc(3) would leave the peers'
         * preshared keys behind in freed memory. */
        if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
                size_t cap = n == 0 ? 4 : n * 2;
                WgPeer *a = calloc(cap, sizeof(WgPeer));
                if (!a)
                        return NULL;
                if (n > 0) {
                        memcpy(a, d->peers, n * sizeof(WgPeer));
                        sodium_memzero(d->peers, n * sizeof(WgPeer));
                }
                free(d->peers);
                d->peers = a;
        }
        WgPeer *p = &d->peers[d->n_peers++];
        *p = (WgPeer) {};
        return p;
}

const WgPeer *wg_device_find_peer(const WgDevice *d, const WgKey public_key) {
        for (size_t i = 0; i < d->n_peers; i++)
                if (sodium_memcmp(d->peers[i].public_key, public_key, WG_KEY_LEN) == 0)
                        return &d->peers[i];
        return NULL;
}

bool wg_uapi_available(const char *ifname, const char *uapi_dir) {
        char path[4096];
        struct stat st;

        if (strchr(ifname, '/'))
                return false;
        snprintf(path, sizeof path, "%s/%s.sock", uapi_dir ?: WG_UAPI_DIR, ifname);
        return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* wireguard-tools decides the same way (ipc.c): a userspace implementation's socket wins, because
 * its tun device looks like any other link to the kernel. */
int wg_device_get(const char *ifname, const char *uapi_dir, WgDevice **ret) {
        if (wg_uapi_available(ifname, uapi_dir))
                return wg_uapi_get(ifname, uapi_dir, ret);
        return wg_genl_get(ifname, ret);
}

int wg_device_set(const WgDevice *dev, const char *uapi_dir) {
        if (wg_uapi_available(dev->ifname, uapi_dir))
                return wg_uapi_set(dev, uapi_dir);
        return wg_genl_set(dev);
}

/* Copies p into a new slot of d (allowed IPs duplicated). */
static WgPeer *device_add_peer_copy(WgDevice *d, const WgPeer *p) {
        WgPeer *n = wg_device_push_peer(d);
        if (!n)
                return NULL;
        *n = *p;
        n->allowed_ips = NULL;
        n->n_allowed_ips = 0;
        if (p->n_allowed_ips > 0) {
                n->allowed_ips = malloc(p->n_allowed_ips * sizeof(IpPrefix));
                if (!n->allowed_ips) {
                        wg_peer_clear(n);
                        d->n_peers--;
                        return NULL;
                }
                memcpy(n->allowed_ips, p->allowed_ips, p->n_allowed_ips * sizeof(IpPrefix));
                n->n_allowed_ips = p->n_allowed_ips;
        }
        return n;
}

static bool endpoint_equal(const WgEndpoint *a, const WgEndpoint *b) {
        if (a->addr.sa_family != b->addr.sa_family)
                return false;
        switch (a->addr.sa_family) {
        case AF_INET:
                return a->addr4.sin_port == b->addr4.sin_port &&
                       a->addr4.sin_addr.s_addr == b->addr4.sin_addr.s_addr;
        case AF_INET6:
                return a->addr6.sin6_port == b->addr6.sin6_port &&
                       memcmp(&a->addr6.sin6_addr, &b->addr6.sin6_addr, sizeof(struct in6_addr)) == 0 &&
                       a->addr6.sin6_scope_id == b->addr6.sin6_scope_id;
        default:
                return true;
        }
}

static bool allowed_ips_equal(const WgPeer *a, const WgPeer *b) {
        /* Both sides are normalised (sorted, unique) before this is called. */
        if (a->n_allowed_ips != b->n_allowed_ips)
                return false;
        for (size_t i = 0; i < a->n_allowed_ips; i++)
                if (!ip_prefix_equal(&a->allowed_ips[i], &b->allowed_ips[i]))
                        return false;
        return true;
}

static bool peer_needs_update(const WgPeer *current, const WgPeer *desired) {
        WgKey zero = {};
        const uint8_t *want_psk = desired->flags & WG_PEER_HAS_PRESHARED_KEY ? desired->preshared_key : zero;
        const uint8_t *have_psk = current->flags & WG_PEER_HAS_PRESHARED_KEY ? current->preshared_key : zero;

        if (!allowed_ips_equal(current, desired))
                return true;
        if ((desired->flags & WG_PEER_HAS_KEEPALIVE) &&
            current->persistent_keepalive != desired->persistent_keepalive)
                return true;
        if (sodium_memcmp(want_psk, have_psk, WG_KEY_LEN) != 0)
                return true;
        /* A peer that roamed keeps the endpoint it roamed to unless we name one (wg syncconf). */
        if ((desired->flags & WG_PEER_HAS_ENDPOINT) && !endpoint_equal(&current->endpoint, &desired->endpoint))
                return true;
        return false;
}

static int key_cmp(const void *a, const void *b) {
        return memcmp(((const WgPeer *) a)->public_key, ((const WgPeer *) b)->public_key, WG_KEY_LEN);
}

static int key_ptr_cmp(const void *a, const void *b) {
        return key_cmp(*(const WgPeer *const *) a, *(const WgPeer *const *) b);
}

/* Public keys are not secret, so plain memcmp and a binary search are fine here; the diff of a
 * 10 000-peer bridge stays O(n log n). */
static const WgPeer *find_sorted(const WgPeer *sorted, size_t n, const WgKey key) {
        WgPeer probe;
        memcpy(probe.public_key, key, WG_KEY_LEN);
        return n ? bsearch(&probe, sorted, n, sizeof(WgPeer), key_cmp) : NULL;
}

static const WgPeer *find_sorted_ptr(const WgPeer *const *sorted, size_t n, const WgKey key) {
        WgPeer probe;
        const WgPeer *probe_ptr = &probe;
        memcpy(probe.public_key, key, WG_KEY_LEN);
        const WgPeer *const *r = n ? bsearch(&probe_ptr, sorted, n, sizeof(WgPeer *), key_ptr_cmp) : NULL;
        return r ? *r : NULL;
}

static int normalized_copy(const WgDevice *d, WgDevice *ret) {
        *ret = (WgDevice) {};
        for (size_t i = 0; i < d->n_peers; i++) {
                WgPeer *p = device_add_peer_copy(ret, &d->peers[i]);
                if (!p) {
                        wg_device_clear(ret);
                        return -ENOMEM;
                }
                wg_peer_normalize_allowed_ips(p);
        }
        return 0;
}

int wg_device_diff(const WgDevice *current, const WgDevice *desired, WgDevice **ret, size_t *ret_changes) {
        _cleanup_(wg_device_freep) WgDevice *out = NULL;
        WgDevice cur = {}, want = {};
        _cleanup_free_ const WgPeer **want_sorted = NULL;
        size_t changes = 0;
        int r;

        out = calloc(1, sizeof *out);
        if (!out)
                return -ENOMEM;
        memcpy(out->ifname, desired->ifname[0] ? desired->ifname : current->ifname, sizeof out->ifname);

        if ((desired->flags & WG_DEVICE_HAS_PRIVATE_KEY) &&
            (!(current->flags & WG_DEVICE_HAS_PRIVATE_KEY) ||
             sodium_memcmp(current->private_key, desired->private_key, WG_KEY_LEN) != 0)) {
                out->flags |= WG_DEVICE_HAS_PRIVATE_KEY;
                memcpy(out->private_key, desired->private_key, WG_KEY_LEN);
        }
        if ((desired->flags & WG_DEVICE_HAS_LISTEN_PORT) &&
            (!(current->flags & WG_DEVICE_HAS_LISTEN_PORT) || current->listen_port != desired->listen_port)) {
                out->flags |= WG_DEVICE_HAS_LISTEN_PORT;
                out->listen_port = desired->listen_port;
        }

        r = normalized_copy(current, &cur);
        if (r < 0)
                return r;
        r = normalized_copy(desired, &want);
        if (r < 0) {
                wg_device_clear(&cur);
                return r;
        }

        /* Removals first, in key order (the device's order is its own), so an allowed IP that moves
         * from a removed peer to a new one ends up with the new one; then additions and changes in
         * the desired order, which is the configuration's. */
        if (cur.n_peers > 0)
                qsort(cur.peers, cur.n_peers, sizeof(WgPeer), key_cmp);
        want_sorted = calloc(want.n_peers + 1, sizeof *want_sorted);
        if (!want_sorted) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t i = 0; i < want.n_peers; i++)
                want_sorted[i] = &want.peers[i];
        if (want.n_peers > 0)
                qsort(want_sorted, want.n_peers, sizeof *want_sorted, key_ptr_cmp);
        for (size_t i = 0; i < cur.n_peers; i++) {
                if (find_sorted_ptr(want_sorted, want.n_peers, cur.peers[i].public_key))
                        continue;
                WgPeer *p = wg_device_push_peer(out);
                if (!p) {
                        r = -ENOMEM;
                        goto finish;
                }
                memcpy(p->public_key, cur.peers[i].public_key, WG_KEY_LEN);
                p->flags = WG_PEER_REMOVE_ME;
                changes++;
        }

        for (size_t i = 0; i < want.n_peers; i++) {
                const WgPeer *d = &want.peers[i], *c = find_sorted(cur.peers, cur.n_peers, d->public_key);
                WgPeer *p;

                if (c && !peer_needs_update(c, d))
                        continue;
                p = device_add_peer_copy(out, d);
                if (!p) {
                        r = -ENOMEM;
                        goto finish;
                }
                p->flags = (d->flags & (WG_PEER_HAS_PRESHARED_KEY | WG_PEER_HAS_KEEPALIVE | WG_PEER_HAS_ENDPOINT)) |
                           WG_PEER_REPLACE_ALLOWEDIPS;
                /* A key that went away is removed by setting zeros (<linux/wireguard.h>). */
                if (c && (c->flags & WG_PEER_HAS_PRESHARED_KEY) && !(d->flags & WG_PEER_HAS_PRESHARED_KEY)) {
                        p->flags |= WG_PEER_HAS_PRESHARED_KEY;
                        wg_key_wipe(p->preshared_key);
                }
                p->last_handshake_sec = 0;
                p->rx_bytes = p->tx_bytes = 0;
                changes++;
        }
        r = 0;
finish:
        wg_device_clear(&cur);
        wg_device_clear(&want);
        if (r < 0)
                return r;
        if (ret_changes)
                *ret_changes = changes;
        *ret = TAKE_PTR(out);
        return 0;
}

/* One asynchronous lookup. glibc's helper thread reads name, service and hints and writes
 * cb.ar_result for as long as the lookup runs, so all of it lives in one block that is freed only
 * once gai_error(3) says the lookup is over. */
typedef struct ResolveRequest {
        struct gaicb cb;
        struct addrinfo hints;
        char port[8];
        struct ResolveRequest *next;
        char host[]; /* cb.ar_name */
} ResolveRequest;

/* Lookups we stopped waiting for that gai_cancel(3) could not stop (EAI_NOTCANCELED: a thread
 * already runs them). Freed by resolve_reap_abandoned() once glibc is done; the lock is for the
 * rare program that resolves from several threads. */
static ResolveRequest *resolve_abandoned = NULL;
static pthread_mutex_t resolve_abandoned_lock = PTHREAD_MUTEX_INITIALIZER;

static void resolve_request_free(ResolveRequest *q) {
        if (q->cb.ar_result)
                freeaddrinfo(q->cb.ar_result);
        free(q);
}

static void resolve_reap_abandoned(void) {
        pthread_mutex_lock(&resolve_abandoned_lock);
        for (ResolveRequest **q = &resolve_abandoned; *q;) {
                ResolveRequest *done = *q;
                if (gai_error(&done->cb) == EAI_INPROGRESS) {
                        q = &done->next;
                        continue;
                }
                *q = done->next;
                log_debug("The lookup of %s:%s given up on earlier has ended; freeing it.", done->host, done->port);
                resolve_request_free(done);
        }
        pthread_mutex_unlock(&resolve_abandoned_lock);
}

static void resolve_abandon(ResolveRequest *q) {
        pthread_mutex_lock(&resolve_abandoned_lock);
        q->next = resolve_abandoned;
        resolve_abandoned = q;
        pthread_mutex_unlock(&resolve_abandoned_lock);
}

/* At exit, what glibc has finished with goes too (the rest is still referenced from the list). */
static void __attribute__((destructor)) resolve_reap_at_exit(void) {
        resolve_reap_abandoned();
}

static unsigned resolve_timeout_sec(void) {
        static bool warned = false;
        const char *s = getenv("NFSWG_RESOLVE_TIMEOUT_SEC");
        unsigned v;

        if (!s)
                return WG_RESOLVE_TIMEOUT_SEC;
        if (parse_unsigned(s, 1, 60, &v) >= 0)
                return v;
        if (!warned) {
                log_warning("NFSWG_RESOLVE_TIMEOUT_SEC=%s is not a number of seconds from 1 to 60, using %u.", s,
                            WG_RESOLVE_TIMEOUT_SEC);
                warned = true;
        }
        return WG_RESOLVE_TIMEOUT_SEC;
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/* getaddrinfo(3) with a deadline: getaddrinfo_a(3) runs the lookup in a glibc thread and
 * gai_suspend(3) waits for it at most timeout_sec. Returns getaddrinfo's result code, or
 * EAI_AGAIN with *ret_timed_out set when the deadline passed. */
static int resolve_bounded(const char *host, const struct addrinfo *hints, const char *port,
                           unsigned timeout_sec, struct addrinfo **ret, bool *ret_timed_out) {
        size_t len = strlen(host);
        ResolveRequest *q;
        int r;

        *ret_timed_out = false;
        q = calloc(1, sizeof *q + len + 1);
        if (!q)
                return EAI_MEMORY;
        memcpy(q->host, host, len + 1);
        snprintf(q->port, sizeof q->port, "%s", port);
        q->hints = *hints;
        q->cb = (struct gaicb) { .ar_name = q->host, .ar_service = q->port, .ar_request = &q->hints };

        struct gaicb *list[] = { &q->cb };
        r = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
        if (r != 0) {
                /* Not queued (no thread could be started): nothing of glibc's refers to q. */
                free(q);
                return r;
        }

        const struct gaicb *const wait_list[] = { &q->cb };
        uint64_t deadline = now_usec() + (uint64_t) timeout_sec * 1000000u;
        for (;;) {
                r = gai_error(&q->cb);
                if (r != EAI_INPROGRESS)
                        break;
                uint64_t now = now_usec();
                if (now >= deadline) {
                        /* A lookup still queued is taken back; one a thread already runs is not
                         * (EAI_NOTCANCELED), and its memory must outlive it. One that finished
                         * meanwhile (EAI_ALLDONE) has its answer. */
                        r = gai_cancel(&q->cb);
                        if (r == EAI_ALLDONE) {
                                r = gai_error(&q->cb);
                                break;
                        }
                        *ret_timed_out = true;
                        if (r == EAI_NOTCANCELED)
                                resolve_abandon(q);
                        else
                                resolve_request_free(q);
                        return EAI_AGAIN;
                }
                struct timespec left = {
                        .tv_sec = (time_t) ((deadline - now) / 1000000u),
                        .tv_nsec = (long) ((deadline - now) % 1000000u) * 1000,
                };
                /* EAI_AGAIN (timeout) and EAI_INTR (a signal) both loop back to gai_error(). */
                (void) gai_suspend(wait_list, 1, &left);
        }
        *ret = r == 0 ? TAKE_PTR(q->cb.ar_result) : NULL;
        resolve_request_free(q);
        return r;
}

/* Resolves "host:port" for the kernel, which wants an address. A numeric address needs no DNS and
 * no thread; a name is looked up with a deadline (see WG_RESOLVE_TIMEOUT_SEC in wg.h), because the
 * daemon calls this from its event loop, under a watchdog. */
int wg_endpoint_resolve(const Endpoint *e, WgEndpoint *ret) {
        struct addrinfo hints = {
                .ai_family = AF_UNSPEC,
                .ai_socktype = SOCK_DGRAM,
                .ai_protocol = IPPROTO_UDP,
                .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
        };
        struct addrinfo *res = NULL;
        char port[8];
        int r;

        resolve_reap_abandoned();
        snprintf(port, sizeof port, "%u", e->port);
        r = getaddrinfo(e->host, port, &hints, &res);
        if (r == EAI_NONAME) {
                unsigned timeout_sec = resolve_timeout_sec();
                bool timed_out;

                hints.ai_flags = AI_NUMERICSERV;
                r = resolve_bounded(e->host, &hints, port, timeout_sec, &res, &timed_out);
                if (timed_out) {
                        log_warning("Cannot resolve endpoint %s:%u (timed out after %u s), leaving it unset.",
                                    e->host, e->port, timeout_sec);
                        return -ETIMEDOUT;
                }
        }
        if (r != 0) {
                log_warning("Cannot resolve endpoint %s:%u (%s), leaving it unset.", e->host, e->port,
                            gai_strerror(r));
                return -EHOSTUNREACH;
        }
        r = -EAFNOSUPPORT;
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
                if ((ai->ai_family == AF_INET && ai->ai_addrlen == sizeof(struct sockaddr_in)) ||
                    (ai->ai_family == AF_INET6 && ai->ai_addrlen == sizeof(struct sockaddr_in6))) {
                        *ret = (WgEndpoint) {};
                        memcpy(&ret->addr, ai->ai_addr, ai->ai_addrlen);
                        r = 0;
                        break;
                }
        freeaddrinfo(res);
        if (r < 0)
                log_warning("Endpoint %s:%u resolves to no IPv4 or IPv6 address, leaving it unset.", e->host,
                            e->port);
        return r;
}

static int peer_add_allowed_ips(WgPeer *p, const IpPrefix *prefixes, size_t n, bool host_routes) {
        for (size_t i = 0; i < n; i++) {
                IpPrefix a = prefixes[i];
                IpPrefix *slot = ARRAY_PUSH(p->allowed_ips, p->n_allowed_ips);
                if (!slot)
                        return -ENOMEM;
                /* A peer's Address= is one host: it routes that address and nothing more. */
                if (host_routes)
                        a.prefixlen = (uint8_t) ip_family_bits(a.family);
                *slot = ip_prefix_network(&a);
        }
        return 0;
}

static int peer_fill(WgPeer *p, const WgKey public_key, const IpPrefix *addresses, size_t n_addresses,
                     const IpPrefix *networks, size_t n_networks, const char *psk_file, unsigned keepalive,
                     const Endpoint *endpoints, size_t n_endpoints) {
        int r;

        memcpy(p->public_key, public_key, WG_KEY_LEN);
        r = peer_add_allowed_ips(p, addresses, n_addresses, true);
        if (r < 0)
                return r;
        r = peer_add_allowed_ips(p, networks, n_networks, false);
        if (r < 0)
                return r;
        wg_peer_normalize_allowed_ips(p);

        p->flags |= WG_PEER_HAS_KEEPALIVE;
        p->persistent_keepalive = (uint16_t) (keepalive > UINT16_MAX ? UINT16_MAX : keepalive);

        if (psk_file) {
                r = wg_key_read_file(psk_file, p->preshared_key);
                if (r < 0)
                        return log_error_errno(r, "Cannot read preshared key file %s: %s", psk_file, read_file_strerror(r));
                p->flags |= WG_PEER_HAS_PRESHARED_KEY;
        }

        /* Several Endpoint= are a failover order; the first is where we start. */
        if (n_endpoints > 0 && wg_endpoint_resolve(&endpoints[0], &p->endpoint) >= 0)
                p->flags |= WG_PEER_HAS_ENDPOINT;
        return 0;
}

int wg_device_from_bridge(const Bridge *b, const WgKey private_key, WgDevice **ret) {
        _cleanup_(wg_device_freep) WgDevice *d = NULL;
        int r;

        d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        if (b->interface)
                snprintf(d->ifname, sizeof d->ifname, "%s", b->interface);
        memcpy(d->private_key, private_key, WG_KEY_LEN);
        d->flags |= WG_DEVICE_HAS_PRIVATE_KEY;
        r = wg_key_public_from_private(d->public_key, d->private_key);
        if (r < 0)
                return r;
        if (b->listen_port != 0) {
                d->flags |= WG_DEVICE_HAS_LISTEN_PORT;
                d->listen_port = b->listen_port;
        }

        if (b->mode == BRIDGE_MODE_CLIENT) {
                if (b->server.set) {
                        WgPeer *p = wg_device_push_peer(d);
                        if (!p)
                                return -ENOMEM;
                        r = peer_fill(p, b->server.public_key, NULL, 0, b->server.allowed_ips,
                                      b->server.n_allowed_ips, b->server.preshared_key_file, b->server.persistent_keepalive,
                                      b->server.endpoints, b->server.n_endpoints);
                        if (r < 0)
                                return r;
                }
        } else
                for (size_t i = 0; i < b->n_peers; i++) {
                        const Peer *bp = &b->peers[i];
                        WgPeer *p = wg_device_push_peer(d);
                        if (!p)
                                return -ENOMEM;
                        r = peer_fill(p, bp->public_key, bp->addresses, bp->n_addresses, bp->allowed_ips,
                                      bp->n_allowed_ips, bp->preshared_key_file, bp->persistent_keepalive, bp->endpoints,
                                      bp->n_endpoints);
                        if (r < 0)
                                return r;
                }

        *ret = TAKE_PTR(d);
        return 0;
}
