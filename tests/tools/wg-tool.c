/* SPDX-License-Identifier: MIT */
/* nfswg-wg-tool: the src/wg/ layer from the shell, for tests/netns/wg.sh.
 *
 *   show IFACE [--uapi-dir D]
 *   sync IFACE ROOT NAME --key-file F [--uapi-dir D]
 *   set-peer IFACE PUBKEY [--allowed-ips A,B] [--endpoint HOST:PORT] [--keepalive N] [--uapi-dir D]
 *   remove-peer IFACE PUBKEY [--uapi-dir D]
 *   resolve [--pause SEC] HOST:PORT...   (wg_endpoint_resolve(); NFSWG_RESOLVE_TIMEOUT_SEC applies)
 *
 * Exit codes: 0 done, 1 the system said no, 2 usage. */
#include <getopt.h>
#include <netdb.h>
#include <unistd.h>

#include "shared/log.h"
#include "shared/parse.h"
#include "wg/wg.h"

typedef struct Options {
        const char *uapi_dir;
        const char *key_file;
        const char *allowed_ips;
        const char *endpoint;
        long keepalive; /* -1 = unset */
} Options;

static int parse_options(int argc, char **argv, Options *o) {
        static const struct option longopts[] = {
                { "uapi-dir", required_argument, NULL, 'u' },
                { "key-file", required_argument, NULL, 'k' },
                { "allowed-ips", required_argument, NULL, 'a' },
                { "endpoint", required_argument, NULL, 'e' },
                { "keepalive", required_argument, NULL, 'p' },
                {},
        };
        int c;
        unsigned v;

        *o = (Options) { .keepalive = -1 };
        optind = 1;
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) >= 0)
                switch (c) {
                case 'u':
                        o->uapi_dir = optarg;
                        break;
                case 'k':
                        o->key_file = optarg;
                        break;
                case 'a':
                        o->allowed_ips = optarg;
                        break;
                case 'e':
                        o->endpoint = optarg;
                        break;
                case 'p':
                        if (parse_unsigned(optarg, 0, 65535, &v) < 0)
                                return -EINVAL;
                        o->keepalive = v;
                        break;
                default:
                        return -EINVAL;
                }
        return optind;
}

static int peer_cmp(const void *a, const void *b) {
        char ka[WG_KEY_B64_LEN + 1], kb[WG_KEY_B64_LEN + 1];
        wg_key_to_base64(ka, (*(const WgPeer *const *) a)->public_key);
        wg_key_to_base64(kb, (*(const WgPeer *const *) b)->public_key);
        return strcmp(ka, kb);
}

/* One line per peer, sorted by key, allowed IPs sorted: stable for shell comparisons. */
static int verb_show(int argc, char **argv) {
        _cleanup_(wg_device_freep) WgDevice *d = NULL;
        _cleanup_free_ WgPeer **sorted = NULL;
        Options o;
        int n = parse_options(argc, argv, &o), r;
        char key[WG_KEY_B64_LEN + 1];

        if (n < 0 || argc - n != 1)
                return 2;
        r = wg_device_get(argv[n], o.uapi_dir, &d);
        if (r < 0) {
                log_error_errno(r, "Cannot read WireGuard device %s: %m", argv[n]);
                return 1;
        }
        wg_key_to_base64(key, d->public_key);
        printf("interface %s public_key=%s listen_port=%u peers=%zu\n", d->ifname,
               d->flags & WG_DEVICE_HAS_PRIVATE_KEY ? key : "(none)", d->listen_port, d->n_peers);

        sorted = calloc(d->n_peers + 1, sizeof *sorted);
        if (!sorted)
                return log_oom(), 1;
        for (size_t i = 0; i < d->n_peers; i++)
                sorted[i] = &d->peers[i];
        qsort(sorted, d->n_peers, sizeof *sorted, peer_cmp);

        for (size_t i = 0; i < d->n_peers; i++) {
                WgPeer *p = sorted[i];
                char ep[WG_ENDPOINT_STRLEN] = "(none)", ip[IP_PREFIX_STRLEN];

                wg_peer_normalize_allowed_ips(p);
                wg_key_to_base64(key, p->public_key);
                if (p->flags & WG_PEER_HAS_ENDPOINT && wg_endpoint_format(&p->endpoint, ep) < 0)
                        snprintf(ep, sizeof ep, "(invalid)");
                printf("peer %s endpoint=%s allowed_ips=", key, ep);
                for (size_t j = 0; j < p->n_allowed_ips; j++)
                        printf("%s%s", j ? "," : "", ip_prefix_format(&p->allowed_ips[j], ip));
                if (p->n_allowed_ips == 0)
                        printf("(none)");
                if (p->last_handshake_sec > 0)
                        printf(" handshake=%lld", (long long) p->last_handshake_sec);
                else
                        printf(" handshake=never");
                printf(" rx=%llu tx=%llu keepalive=%u\n", (unsigned long long) p->rx_bytes,
                       (unsigned long long) p->tx_bytes, p->persistent_keepalive);
        }
        return 0;
}

static int verb_sync(int argc, char **argv) {
        _cleanup_(wg_device_freep) WgDevice *cur = NULL, *want = NULL, *change = NULL;
        _cleanup_(bridge_freep) Bridge *b = NULL;
        const char *ifname;
        Options o;
        WgKey priv;
        size_t changes = 0;
        int n = parse_options(argc, argv, &o), r;

        if (n < 0 || argc - n != 3 || !o.key_file)
                return 2;
        ifname = argv[n];
        r = bridge_load(argv[n + 1], argv[n + 2], &b);
        if (r < 0)
                return 1; /* every problem was logged as FILE:LINE */
        r = wg_key_read_file(o.key_file, priv);
        if (r < 0) {
                log_error_errno(r, "Cannot read private key file %s: %m", o.key_file);
                return 1;
        }
        r = wg_device_from_bridge(b, priv, &want);
        wg_key_wipe(priv);
        if (r < 0)
                return 1;
        snprintf(want->ifname, sizeof want->ifname, "%s", ifname);

        r = wg_device_get(ifname, o.uapi_dir, &cur);
        if (r < 0) {
                log_error_errno(r, "Cannot read WireGuard device %s: %m", ifname);
                return 1;
        }
        r = wg_device_diff(cur, want, &change, &changes);
        if (r < 0) {
                log_error_errno(r, "Cannot compute the peer changes: %m");
                return 1;
        }
        if (change->flags & WG_DEVICE_HAS_PRIVATE_KEY)
                printf("private key\n");
        if (change->flags & WG_DEVICE_HAS_LISTEN_PORT)
                printf("listen port %u\n", change->listen_port);
        for (size_t i = 0; i < change->n_peers; i++) {
                const WgPeer *p = &change->peers[i];
                char key[WG_KEY_B64_LEN + 1];
                wg_key_to_base64(key, p->public_key);
                printf("%s %s\n",
                       p->flags & WG_PEER_REMOVE_ME                     ? "remove"
                       : wg_device_find_peer(cur, p->public_key) ? "update"
                                                                       : "add",
                       key);
        }
        if (change->flags == 0 && changes == 0) {
                printf("unchanged\n");
                return 0;
        }
        r = wg_device_set(change, o.uapi_dir);
        if (r < 0) {
                log_error_errno(r, "Cannot configure WireGuard device %s: %m", ifname);
                return 1;
        }
        return 0;
}

static int parse_endpoint_arg(const char *s, WgEndpoint *ret) {
        _cleanup_free_ char *host = NULL;
        struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
        struct addrinfo *res;
        char port[8];
        uint16_t p;

        if (parse_endpoint(s, &host, &p) < 0)
                return -EINVAL;
        snprintf(port, sizeof port, "%u", p);
        if (getaddrinfo(host, port, &hints, &res) != 0)
                return -EINVAL;
        *ret = (WgEndpoint) {};
        memcpy(&ret->addr, res->ai_addr, res->ai_addrlen);
        freeaddrinfo(res);
        return 0;
}

static int verb_set_peer(int argc, char **argv) {
        WgDevice d = {};
        WgPeer peer = {};
        Options o;
        int n = parse_options(argc, argv, &o), r;

        if (n < 0 || argc - n != 2)
                return 2;
        snprintf(d.ifname, sizeof d.ifname, "%s", argv[n]);
        if (wg_key_from_base64(peer.public_key, argv[n + 1]) < 0)
                return 2;
        if (o.allowed_ips) {
                _cleanup_free_ char *list = strdup(o.allowed_ips);
                char *save = NULL;
                if (!list)
                        return 1;
                peer.flags |= WG_PEER_REPLACE_ALLOWEDIPS;
                for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                        IpPrefix *slot = ARRAY_PUSH(peer.allowed_ips, peer.n_allowed_ips);
                        if (!slot || ip_prefix_parse(t, true, slot) < 0) {
                                free(peer.allowed_ips);
                                return 2;
                        }
                }
        }
        if (o.endpoint) {
                if (parse_endpoint_arg(o.endpoint, &peer.endpoint) < 0) {
                        free(peer.allowed_ips);
                        return 2;
                }
                peer.flags |= WG_PEER_HAS_ENDPOINT;
        }
        if (o.keepalive >= 0) {
                peer.flags |= WG_PEER_HAS_KEEPALIVE;
                peer.persistent_keepalive = (uint16_t) o.keepalive;
        }
        d.peers = &peer;
        d.n_peers = 1;
        r = wg_device_set(&d, o.uapi_dir);
        free(peer.allowed_ips);
        if (r < 0) {
                log_error_errno(r, "Cannot configure WireGuard device %s: %m", d.ifname);
                return 1;
        }
        return 0;
}

static int verb_remove_peer(int argc, char **argv) {
        WgDevice d = {};
        WgPeer peer = { .flags = WG_PEER_REMOVE_ME };
        Options o;
        int n = parse_options(argc, argv, &o), r;

        if (n < 0 || argc - n != 2)
                return 2;
        snprintf(d.ifname, sizeof d.ifname, "%s", argv[n]);
        if (wg_key_from_base64(peer.public_key, argv[n + 1]) < 0)
                return 2;
        d.peers = &peer;
        d.n_peers = 1;
        r = wg_device_set(&d, o.uapi_dir);
        if (r < 0) {
                log_error_errno(r, "Cannot configure WireGuard device %s: %m", d.ifname);
                return 1;
        }
        return 0;
}

/* Prints the address wg_endpoint_resolve() gives each HOST:PORT in turn, as wg(8) shows it; its
 * warnings (and debug lines) go to stderr. --pause SEC sleeps between lookups, so a lookup given up
 * on can finish in glibc and be freed by the next call (tests/netns/dns.sh). */
static int verb_resolve(int argc, char **argv) {
        unsigned pause_sec = 0;
        int i = 1, ret = 0;

        if (argc >= 3 && streq(argv[1], "--pause")) {
                if (parse_unsigned(argv[2], 0, 60, &pause_sec) < 0)
                        return 2;
                i = 3;
        }
        if (i >= argc)
                return 2;
        log_set_max_level(LOG_DEBUG);
        for (int first = i; i < argc; i++) {
                _cleanup_free_ char *host = NULL;
                Endpoint e = {};
                WgEndpoint out = {};
                char text[WG_ENDPOINT_STRLEN];

                if (parse_endpoint(argv[i], &host, &e.port) < 0)
                        return 2;
                if (i > first && pause_sec > 0)
                        sleep(pause_sec);
                e.host = host;
                if (wg_endpoint_resolve(&e, &out) < 0 || wg_endpoint_format(&out, text) < 0) {
                        ret = 1; /* logged */
                        continue;
                }
                printf("%s %s\n", argv[i], text);
        }
        return ret;
}

static const struct {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *description;
} verbs[] = {
        { "show", verb_show, "IFACE [--uapi-dir D]: the device's peers, one line each" },
        { "sync", verb_sync, "IFACE ROOT NAME --key-file F [--uapi-dir D]: make the device match the bridge" },
        { "set-peer", verb_set_peer,
          "IFACE PUBKEY [--allowed-ips A,B] [--endpoint H:P] [--keepalive N] [--uapi-dir D]" },
        { "remove-peer", verb_remove_peer, "IFACE PUBKEY [--uapi-dir D]" },
        { "resolve", verb_resolve, "[--pause SEC] HOST:PORT...: the addresses the device would be given" },
};

int main(int argc, char **argv) {
        log_set_ident("nfswg-wg-tool");
        if (argc >= 2)
                for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                        if (streq(argv[1], verbs[i].name)) {
                                int r = verbs[i].fn(argc - 1, argv + 1);
                                if (r == 2)
                                        fprintf(stderr, "usage: %s %s %s\n", argv[0], verbs[i].name,
                                                verbs[i].description);
                                return r;
                        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(stderr, "%s %s %s\n", argv[0], verbs[i].name, verbs[i].description);
        return 2;
}
