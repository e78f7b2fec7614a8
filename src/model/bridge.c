/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include "model/load-context.h"
#include "shared/escape.h"
#include "shared/macro.h"
#include "shared/parse.h"

static const char *const mode_names[_BRIDGE_MODE_MAX] = {
        [BRIDGE_MODE_EMBEDDED] = "embedded",
        [BRIDGE_MODE_NAS] = "nas",
        [BRIDGE_MODE_RELAY] = "relay",
        [BRIDGE_MODE_CLIENT] = "client",
};

const char *bridge_mode_to_string(BridgeMode m) {
        return m < _BRIDGE_MODE_MAX ? mode_names[m] : NULL;
}

const char *squash_to_string(Squash s) {
        return s == SQUASH_ALL ? "all" : s == SQUASH_NONE ? "none" : "root";
}

static void endpoints_free(Endpoint *e, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(e[i].host);
        free(e);
}

static void peers_free(Peer *peers, size_t n) {
        for (size_t i = 0; i < n; i++) {
                Peer *p = &peers[i];
                free(p->name);
                free(p->addresses);
                free(p->allowed_ips);
                free(p->preshared_key_file);
                endpoints_free(p->endpoints, p->n_endpoints);
        }
        free(peers);
}

Bridge *bridge_free(Bridge *b) {
        if (!b)
                return NULL;
        free(b->name);
        free(b->config_path);
        free(b->config_id);
        strv_free(b->sources);
        free(b->interface);
        free(b->addresses);
        free(b->endpoint.host);
        free(b->private_key_file);
        free(b->metrics_file);
        strv_free(b->dns);
        strv_free(b->close_nfs_on);
        for (size_t i = 0; i < b->n_exports; i++) {
                free(b->exports[i].path);
                strv_free(b->exports[i].peers);
        }
        free(b->exports);
        peers_free(b->peers, b->n_peers);
        peers_free(b->inactive_peers, b->n_inactive_peers);
        for (size_t i = 0; i < b->n_forwards; i++) {
                free(b->forwards[i].to_bridge);
                free(b->forwards[i].nas_ports);
        }
        free(b->forwards);
        endpoints_free(b->server.endpoints, b->server.n_endpoints);
        free(b->server.allowed_ips);
        free(b->server.preshared_key_file);
        for (size_t i = 0; i < b->n_mounts; i++) {
                Mount *m = &b->mounts[i];
                free(m->what);
                free(m->what_host);
                free(m->what_path);
                free(m->where);
                free(m->options);
        }
        free(b->mounts);
        free(b);
        return NULL;
}

const Peer *bridge_find_peer(const Bridge *b, const char *name) {
        /* A [Peer] without Name= is an error reported elsewhere; it matches nothing. */
        for (size_t i = 0; i < b->n_peers; i++)
                if (b->peers[i].name && streq(b->peers[i].name, name))
                        return &b->peers[i];
        return NULL;
}

const Peer *bridge_find_peer_any(const Bridge *b, const char *name) {
        const Peer *p = bridge_find_peer(b, name);
        for (size_t i = 0; !p && i < b->n_inactive_peers; i++)
                if (b->inactive_peers[i].name && streq(b->inactive_peers[i].name, name))
                        p = &b->inactive_peers[i];
        return p;
}

int64_t bridge_now(void) {
        const char *e = getenv("NFSWG_NOW");
        if (e) {
                char *end;
                errno = 0;
                long long v = strtoll(e, &end, 10);
                if (errno == 0 && end != e && *end == 0 && v > 0)
                        return v;
        }
        return (int64_t) time(NULL);
}

/* Moves the disabled and expired peers of a valid bridge out of b->peers, so that nothing
 * downstream (netdev, exports, table, WireGuard, routes) can give them access by forgetting a
 * check. Validation ran over all of them first: their names, keys and addresses stay taken. */
static int split_inactive_peers(Bridge *b) {
        int64_t now = bridge_now();
        size_t n_inactive = 0;
        for (size_t i = 0; i < b->n_peers; i++) {
                Peer *p = &b->peers[i];
                p->expired = p->expires > 0 && p->expires <= now;
                if (!peer_is_active(p))
                        n_inactive++;
                else if (p->expires > 0 && (b->next_expiry == 0 || p->expires < b->next_expiry))
                        b->next_expiry = p->expires;
        }
        if (n_inactive == 0)
                return 0;
        Peer *inactive = calloc(n_inactive, sizeof *inactive);
        if (!inactive)
                return -ENOMEM;
        size_t k = 0, j = 0;
        for (size_t i = 0; i < b->n_peers; i++) {
                if (peer_is_active(&b->peers[i]))
                        b->peers[j++] = b->peers[i];
                else
                        inactive[k++] = b->peers[i];
        }
        b->n_peers = j;
        b->inactive_peers = inactive;
        b->n_inactive_peers = k;
        return 0;
}

bool export_allows_peer(const Export *e, const Peer *p) {
        return e->all_peers || strv_contains(e->peers, p->name);
}

char *bridge_default_private_key_file(const char *name) {
        char *p;
        if (asprintf(&p, "/var/lib/nfswg/%s/private.key", name) < 0)
                return NULL;
        return p;
}

static bool address_in_bridge(const Bridge *b, const IpPrefix *a) {
        for (size_t i = 0; i < b->n_addresses; i++)
                if (ip_prefix_contains(&b->addresses[i], a))
                        return true;
        return false;
}

static void finish_bridge_section(LoadContext *ctx) {
        Bridge *b = ctx->bridge;
        const char *file = ctx->bridge_source ?: b->sources[0];
        unsigned line = ctx->bridge_source ? ctx->bridge_line : 1;
        char buf[IP_PREFIX_STRLEN];

        if (!ctx->interface_set) {
                char name[64];
                snprintf(name, sizeof name, "nfswg-%s", b->name);
                if (!ifname_is_valid(name)) {
                        ctx->errors++;
                        log_conf_error(file, line,
                                       "Interface= must be set: the default name '%s' is longer than 15 characters.",
                                       name);
                } else if (!(b->interface = strdup(name)))
                        ctx->errors++;
        }
        if (b->n_addresses == 0) {
                ctx->errors++;
                log_conf_error(file, line, "Address= is required in [Bridge] (the bridge's tunnel address, e.g. 10.8.0.1/24).");
        }
        for (size_t i = 0; i < b->n_addresses; i++)
                for (size_t j = i + 1; j < b->n_addresses; j++)
                        if (ip_prefix_overlaps(&b->addresses[i], &b->addresses[j]) &&
                            b->addresses[i].prefixlen == b->addresses[j].prefixlen) {
                                ctx->errors++;
                                log_conf_error(file, line, "Address= %s is given twice or overlaps another Address=.",
                                               ip_prefix_format(&b->addresses[j], buf));
                        }
        if (!ctx->listen_port_set && b->mode != BRIDGE_MODE_CLIENT)
                b->listen_port = DEFAULT_LISTEN_PORT;
        if (!ctx->mtu_set)
                b->mtu = DEFAULT_MTU;
        else
                for (size_t i = 0; i < b->n_addresses; i++)
                        if (b->addresses[i].family == AF_INET6 && b->mtu < 1280) {
                                ctx->errors++;
                                log_conf_error(file, line, "MTU= %u is below 1280, the IPv6 minimum (RFC 8200), and an IPv6 Address= is set.",
                                               b->mtu);
                                break;
                        }
        if (!ctx->private_key_file_set && !(b->private_key_file = bridge_default_private_key_file(b->name)))
                ctx->errors++;
        /* The table would drop NFS on the tunnel it serves. */
        if (b->interface && strv_contains(b->close_nfs_on, b->interface)) {
                ctx->errors++;
                log_conf_error(b->close_nfs_on_source, b->close_nfs_on_line,
                               "CloseNFSOn= names %s, the bridge's own Interface=; its peers could not reach NFS.",
                               b->interface);
        }
        if (!ctx->nfs_versions_set)
                b->nfs_versions = NFS_V4_2;
        if (b->nfs_versions == 0) {
                ctx->errors++;
                log_conf_error(file, line, "NFSVersions= names no version.");
        }
}

static void finish_nfs(LoadContext *ctx) {
        NfsSettings *n = &ctx->bridge->nfs;
        if (!n->mountd_port)
                n->mountd_port = DEFAULT_MOUNTD_PORT;
        if (!n->statd_port)
                n->statd_port = DEFAULT_STATD_PORT;
        if (!n->statd_outgoing_port)
                n->statd_outgoing_port = DEFAULT_STATD_OUTGOING_PORT;
        if (!n->lockd_port)
                n->lockd_port = DEFAULT_LOCKD_PORT;
        /* LockdPort= is lockd's port for both protocols; only nfs.conf can split them (host.c). */
        n->lockd_udp_port = n->lockd_port;
        if (!n->set)
                return;

        const struct {
                const char *key;
                uint16_t port;
        } pins[] = {
                { "MountdPort", n->mountd_port },
                { "StatdPort", n->statd_port },
                { "StatdOutgoingPort", n->statd_outgoing_port },
                { "LockdPort", n->lockd_port },
        };
        for (size_t i = 0; i < ELEMENTSOF(pins); i++) {
                /* The kernel hands out ephemeral ports from net.ipv4.ip_local_port_range (Debian:
                 * 32768-60999); a pin inside it may already be taken by another socket at boot. */
                if (pins[i].port >= 32768 && pins[i].port <= 60999) {
                        ctx->errors++;
                        log_conf_error(n->source, n->line,
                                       "%s=%u lies in the kernel's ephemeral port range 32768-60999 "
                                       "(net.ipv4.ip_local_port_range); another socket may take it. Choose a port outside it.",
                                       pins[i].key, pins[i].port);
                }
                if (pins[i].port == NFS_PORT || pins[i].port == RPCBIND_PORT) {
                        ctx->errors++;
                        log_conf_error(n->source, n->line, "%s=%u collides with %s.", pins[i].key, pins[i].port,
                                       pins[i].port == NFS_PORT ? "nfsd (2049)" : "rpcbind (111)");
                }
                for (size_t j = i + 1; j < ELEMENTSOF(pins); j++)
                        if (pins[i].port == pins[j].port) {
                                ctx->errors++;
                                log_conf_error(n->source, n->line, "%s= and %s= are both %u; every pinned port must differ.",
                                               pins[i].key, pins[j].key, pins[i].port);
                        }
        }
}

/* Uniqueness across peers, in O(n log n) so a bridge of 10 000 peers loads in milliseconds:
 * sort, then compare neighbours. */
typedef struct PeerRef {
        const Peer *peer;
        size_t index;
        const IpPrefix *prefix; /* for address checks */
        InAddrUnion start, end;
} PeerRef;

static int compare_by_name(const void *a, const void *b) {
        const PeerRef *x = a, *y = b;
        int r = strcmp(x->peer->name, y->peer->name);
        return r ? r : (x->index > y->index) - (x->index < y->index);
}

static int compare_by_key(const void *a, const void *b) {
        const PeerRef *x = a, *y = b;
        int r = memcmp(x->peer->public_key, y->peer->public_key, WG_KEY_LEN);
        return r ? r : (x->index > y->index) - (x->index < y->index);
}

static int compare_by_range(const void *a, const void *b) {
        const PeerRef *x = a, *y = b;
        if (x->prefix->family != y->prefix->family)
                return x->prefix->family < y->prefix->family ? -1 : 1;
        int r = memcmp(&x->start, &y->start, sizeof x->start);
        if (r)
                return r;
        /* The wider prefix first, so it is the one an overlap is reported against. */
        r = (x->prefix->prefixlen > y->prefix->prefixlen) - (x->prefix->prefixlen < y->prefix->prefixlen);
        return r ? r : (x->index > y->index) - (x->index < y->index);
}

static void check_peers_unique(LoadContext *ctx) {
        Bridge *b = ctx->bridge;
        char buf[IP_PREFIX_STRLEN], buf2[IP_PREFIX_STRLEN];
        size_t n_addr = 0, n = 0;

        for (size_t i = 0; i < b->n_peers; i++)
                n_addr += b->peers[i].n_addresses + b->peers[i].n_allowed_ips;
        _cleanup_free_ PeerRef *refs = calloc(MAX(b->n_peers, n_addr) + 1, sizeof *refs);
        if (!refs) {
                ctx->errors++;
                log_oom();
                return;
        }

        for (size_t i = 0; i < b->n_peers; i++)
                if (b->peers[i].name)
                        refs[n++] = (PeerRef) { .peer = &b->peers[i], .index = i };
        qsort(refs, n, sizeof *refs, compare_by_name);
        for (size_t i = 1; i < n; i++)
                if (streq(refs[i].peer->name, refs[i - 1].peer->name)) {
                        const Peer *p = refs[i].peer, *q = refs[i - 1].peer;
                        ctx->errors++;
                        log_conf_error(p->source, p->line, "[Peer] Name=%s is already used at %s:%u.", p->name,
                                       q->source, q->line);
                }

        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (refs[i].peer->public_key_set)
                        refs[k++] = refs[i];
        qsort(refs, k, sizeof *refs, compare_by_key);
        for (size_t i = 1; i < k; i++)
                if (memcmp(refs[i].peer->public_key, refs[i - 1].peer->public_key, WG_KEY_LEN) == 0) {
                        const Peer *p = refs[i].peer, *q = refs[i - 1].peer;
                        ctx->errors++;
                        log_conf_error(p->source, p->line, "[Peer] %s: PublicKey= is the same as peer %s's.", p->name,
                                       q->name);
                }

        /* Addresses and routed networks of two peers must not overlap: WireGuard routes each
         * address to exactly one peer (cryptokey routing). CIDR ranges either nest or are apart,
         * so after sorting by start, a range overlaps an earlier one exactly when it starts before
         * the furthest end seen so far. */
        n = 0;
        for (size_t i = 0; i < b->n_peers; i++) {
                const Peer *p = &b->peers[i];
                if (!p->name)
                        continue;
                for (size_t a = 0; a < p->n_addresses + p->n_allowed_ips; a++) {
                        const IpPrefix *pa = a < p->n_addresses ? &p->addresses[a] : &p->allowed_ips[a - p->n_addresses];
                        PeerRef *r = &refs[n++];
                        *r = (PeerRef) { .peer = p, .index = i, .prefix = pa };
                        IpPrefix net = ip_prefix_network(pa);
                        r->start = r->end = net.addr;
                        for (unsigned bit = pa->prefixlen; bit < ip_family_bits(pa->family); bit++)
                                r->end.bytes[bit / 8] |= (uint8_t) (0x80 >> (bit % 8));
                }
        }
        qsort(refs, n, sizeof *refs, compare_by_range);
        const PeerRef *furthest = NULL;
        for (size_t i = 0; i < n; i++) {
                const PeerRef *r = &refs[i];
                if (furthest && furthest->prefix->family == r->prefix->family && furthest->peer != r->peer &&
                    memcmp(&r->start, &furthest->end, sizeof r->start) <= 0) {
                        /* Report at the peer that comes later in the files. */
                        const PeerRef *late = r->index > furthest->index ? r : furthest;
                        const PeerRef *early = late == r ? furthest : r;
                        ctx->errors++;
                        log_conf_error(late->peer->source, late->peer->line, "[Peer] %s: %s overlaps %s of peer %s.",
                                       late->peer->name, ip_prefix_format(late->prefix, buf),
                                       ip_prefix_format(early->prefix, buf2), early->peer->name);
                }
                if (!furthest || furthest->prefix->family != r->prefix->family ||
                    memcmp(&r->end, &furthest->end, sizeof r->end) > 0)
                        furthest = r;
        }
}

static void finish_peers(LoadContext *ctx) {
        Bridge *b = ctx->bridge;
        char buf[IP_PREFIX_STRLEN];

        for (size_t i = 0; i < b->n_peers; i++) {
                Peer *p = &b->peers[i];
#define PEER_ERROR(...) (ctx->errors++, log_conf_error(p->source, p->line, __VA_ARGS__))
                if (!p->name) {
                        PEER_ERROR("[Peer] needs Name=.");
                        continue;
                }
                if (!p->public_key_set)
                        PEER_ERROR("[Peer] %s needs PublicKey= (32 bytes of base64, from `wg pubkey`).", p->name);
                if (p->n_addresses == 0)
                        PEER_ERROR("[Peer] %s needs Address= (its tunnel address, e.g. 10.8.0.2/32).", p->name);
#define ADDRESS_ERROR(...) (ctx->errors++, log_conf_error(p->address_source, p->address_line, __VA_ARGS__))
                for (size_t a = 0; a < p->n_addresses; a++) {
                        IpPrefix *pa = &p->addresses[a];
                        /* A peer's tunnel address is one host: exports and firewall sets name it. */
                        if (pa->prefixlen != ip_family_bits(pa->family))
                                ADDRESS_ERROR("[Peer] %s: Address= %s must be a single address (/%u).", p->name,
                                           ip_prefix_format(pa, buf), ip_family_bits(pa->family));
                        else if (!address_in_bridge(b, pa))
                                ADDRESS_ERROR("[Peer] %s: Address= %s is outside the bridge's networks (Address= in [Bridge]).",
                                           p->name, ip_prefix_format(pa, buf));
                        for (size_t k = 0; k < b->n_addresses; k++)
                                if (b->addresses[k].family == pa->family &&
                                    memcmp(&b->addresses[k].addr, &pa->addr, ip_family_bits(pa->family) / 8) == 0)
                                        ADDRESS_ERROR("[Peer] %s: Address= %s is the bridge's own address.", p->name,
                                                   ip_prefix_format(pa, buf));
                }
#undef ADDRESS_ERROR
                if (b->mode != BRIDGE_MODE_RELAY && p->n_allowed_ips > 0)
                        PEER_ERROR("[Peer] %s: AllowedIPs= (networks behind a peer) is for Mode=relay only.", p->name);

#undef PEER_ERROR
        }
        check_peers_unique(ctx);
}

static void finish_exports(LoadContext *ctx) {
        Bridge *b = ctx->bridge;
        for (size_t i = 0; i < b->n_exports; i++) {
                Export *x = &b->exports[i];
#define EXPORT_ERROR(...) (ctx->errors++, log_conf_error(x->source, x->line, __VA_ARGS__))
                if (!x->path) {
                        EXPORT_ERROR("[Export] needs Path= (the directory to share).");
                        continue;
                }
                if (!x->all_peers && !x->peers)
                        x->all_peers = true; /* DESIGN.md: Peers=* unless restricted */
                STRV_FOREACH(n, x->peers)
                        if (!bridge_find_peer(b, *n))
                                ctx->errors++, log_conf_error(x->source, x->peers_line,"[Export] %s: Peers= names '%s', which no [Peer] defines.", x->path, *n);
                for (size_t j = 0; j < i; j++)
                        if (b->exports[j].path && streq(b->exports[j].path, x->path))
                                EXPORT_ERROR("[Export] Path=%s is already exported at %s:%u.", x->path,
                                             b->exports[j].source, b->exports[j].line);
#undef EXPORT_ERROR
        }
}

static void finish_forwards(LoadContext *ctx) {
        Bridge *b = ctx->bridge;
        for (size_t i = 0; i < b->n_forwards; i++) {
                Forward *f = &b->forwards[i];
#define FORWARD_ERROR(...) (ctx->errors++, log_conf_error(f->source, f->line, __VA_ARGS__))
                if (!f->to_bridge && f->to.family == 0)
                        FORWARD_ERROR("[Forward] needs To= (a network such as 192.168.50.0/24, or @BRIDGE).");
                if (f->to_bridge && b->mode != BRIDGE_MODE_RELAY)
                        FORWARD_ERROR("[Forward] To=@%s: forwarding to another bridge needs Mode=relay.", f->to_bridge);
                if (f->to_bridge && streq(f->to_bridge, b->name))
                        FORWARD_ERROR("[Forward] To=@%s names this bridge itself.", f->to_bridge);
                if (f->n_nas_ports > 0 && f->ports == FORWARD_PORTS_ALL)
                        FORWARD_ERROR("[Forward] NASPorts= has no effect with Ports=all.");
                for (size_t a = 0; a < b->n_addresses && f->to.family; a++)
                        if (ip_prefix_overlaps(&b->addresses[a], &f->to)) {
                                char buf[IP_PREFIX_STRLEN];
                                FORWARD_ERROR("[Forward] To=%s overlaps the tunnel network itself.",
                                              ip_prefix_format(&f->to, buf));
                        }
#undef FORWARD_ERROR
        }
}

static void server_allowed_ips_add(LoadContext *ctx, const IpPrefix *p) {
        Server *v = &ctx->bridge->server;
        for (size_t i = 0; i < v->n_allowed_ips; i++)
                if (ip_prefix_equal(&v->allowed_ips[i], p))
                        return;
        IpPrefix *slot = ARRAY_PUSH(v->allowed_ips, v->n_allowed_ips);
        if (!slot)
                ctx->errors++;
        else
                *slot = *p;
}

/* [Server] AllowedIPs= unset: what the mounts need routed into the tunnel. A What= server inside
 * the network of one of this host's Address= brings that network (the bridge's tunnel); one outside
 * them, its own /32 or /128. A server given by name cannot be placed, and without [Mount] only an
 * Address= wider than one host says where the bridge is: otherwise the key is required. (A host
 * route alone, as 'nfswg peer add' gives a peer, leaves the server unreachable.) */
static void client_default_allowed_ips(LoadContext *ctx, const char *file, unsigned line) {
        Bridge *b = ctx->bridge;
        char buf[IP_PREFIX_STRLEN];

        for (size_t i = 0; i < b->n_mounts; i++) {
                const Mount *m = &b->mounts[i];
                IpPrefix server = {};
                if (!m->what_host)
                        continue; /* reported with the [Mount] */
                if (ip_address_parse(m->what_host, &server.family, &server.addr) < 0) {
                        ctx->errors++;
                        log_conf_error(m->source, m->line,
                                       "What= names the server '%s', not its address, so which networks to route into "
                                       "the tunnel is unknown: set AllowedIPs= in [Server] (e.g. the bridge's tunnel network).",
                                       m->what_host);
                        continue;
                }
                server.prefixlen = (uint8_t) ip_family_bits(server.family);
                IpPrefix route = server;
                for (size_t j = 0; j < b->n_addresses; j++)
                        if (ip_prefix_contains(&b->addresses[j], &server)) {
                                route = ip_prefix_network(&b->addresses[j]);
                                break;
                        }
                server_allowed_ips_add(ctx, &route);
        }
        if (b->n_mounts > 0)
                return;
        for (size_t i = 0; i < b->n_addresses; i++)
                if (b->addresses[i].prefixlen < ip_family_bits(b->addresses[i].family)) {
                        IpPrefix net = ip_prefix_network(&b->addresses[i]);
                        server_allowed_ips_add(ctx, &net);
                }
        if (b->server.n_allowed_ips == 0 && b->n_addresses > 0) {
                ctx->errors++;
                log_conf_error(file, line,
                               "Mode=client needs AllowedIPs= in [Server]: Address= %s is a single host and no [Mount] "
                               "What= gives the server's address, so nothing would be routed to the bridge.",
                               ip_prefix_format(&b->addresses[0], buf));
        }
}

static void finish_client(LoadContext *ctx) {
        Bridge *b = ctx->bridge;
        const char *file = ctx->bridge_source ?: b->sources[0];
        unsigned line = ctx->bridge_source ? ctx->bridge_line : 1;

        if (b->mode != BRIDGE_MODE_CLIENT) {
                if (b->server.set || b->server.n_endpoints || b->server.n_allowed_ips) {
                        ctx->errors++;
                        log_conf_error(file, line, "[Server] is only for Mode=client.");
                }
                for (size_t i = 0; i < b->n_mounts; i++) {
                        ctx->errors++;
                        log_conf_error(b->mounts[i].source, b->mounts[i].line, "[Mount] is only for Mode=client.");
                }
                if (b->n_forwards > 0 && b->mode == BRIDGE_MODE_EMBEDDED) {
                        ctx->errors++;
                        log_conf_error(b->forwards[0].source, b->forwards[0].line,
                                       "[Forward] needs Mode=nas or Mode=relay (this bridge is Mode=embedded).");
                }
                if (b->mode == BRIDGE_MODE_NAS && b->n_forwards == 0) {
                        ctx->errors++;
                        log_conf_error(file, line, "Mode=nas needs a [Forward] section with To= (the NAS network).");
                }
                return;
        }

        if (!b->server.set) {
                ctx->errors++;
                log_conf_error(file, line, "Mode=client needs [Server] with PublicKey= (the bridge's public key).");
        }
        if (b->server.n_endpoints == 0) {
                ctx->errors++;
                log_conf_error(file, line, "Mode=client needs [Server] Endpoint= (HOST:PORT of the bridge).");
        }
        if (b->server.n_allowed_ips == 0)
                client_default_allowed_ips(ctx, file, line);
        if (b->n_peers > 0 || b->n_exports > 0 || b->n_forwards > 0) {
                ctx->errors++;
                log_conf_error(file, line, "Mode=client takes [Server] and [Mount], not [Peer], [Export] or [Forward].");
        }
        for (size_t i = 0; i < b->n_mounts; i++) {
                Mount *m = &b->mounts[i];
                if (!m->what || !m->where) {
                        ctx->errors++;
                        log_conf_error(m->source, m->line, "[Mount] needs What= (SERVER:/PATH) and Where= (a directory).");
                }
                if (!m->options && !(m->options = strdup(DEFAULT_MOUNT_OPTIONS)))
                        ctx->errors++;
                for (size_t j = 0; j < i; j++)
                        if (m->where && b->mounts[j].where && streq(m->where, b->mounts[j].where)) {
                                ctx->errors++;
                                log_conf_error(m->source, m->line, "[Mount] Where=%s is used twice.", m->where);
                        }
        }
}

void bridge_finish(LoadContext *ctx) {
        finish_bridge_section(ctx);
        finish_nfs(ctx);
        finish_peers(ctx);
        finish_exports(ctx);
        finish_forwards(ctx);
        finish_client(ctx);
}

static int bridge_new(const char *name, const char *config_path, const char *config_id, Bridge **ret) {
        Bridge *b = calloc(1, sizeof *b);
        if (!b)
                return -ENOMEM;
        if (!(b->name = strdup(name)) || !(b->config_path = strdup(config_path)) ||
            !(b->config_id = strdup(config_id))) {
                bridge_free(b);
                return -ENOMEM;
        }
        *ret = b;
        return 0;
}

/* Reads main (must exist) and the drop-ins in dropin_dir (may be missing), in lexical order. */
static int bridge_load_files(const char *name, const char *main_path, const char *config_id,
                             const char *dropin_dir, const char *text, Bridge **ret) {
        _cleanup_(bridge_freep) Bridge *b = NULL;
        LoadContext ctx = {};
        int r;

        r = bridge_new(name, main_path, config_id, &b);
        if (r < 0)
                return log_oom();
        ctx.bridge = b;

        if (!name_is_valid(name)) {
                log_error("%s:1: the bridge name '%s' (from the file name) must be 1 to 32 characters: a lowercase "
                          "letter or digit, then lowercase letters, digits or -.", ESCAPE_PATH(main_path), EXCERPT(name));
                return -EINVAL;
        }

        struct dirent **entries = NULL;
        int n_entries = dropin_dir ? scandir(dropin_dir, &entries, NULL, alphasort) : 0;
        if (n_entries < 0 && errno != ENOENT) {
                /* Unreadable drop-ins would silently take their peers away. */
                log_error_errno(errno, "%s: cannot read directory: %m", ESCAPE_PATH(dropin_dir));
                ctx.errors++;
        }
        _cleanup_strv_free_ char **paths = calloc((size_t) MAX(n_entries, 0) + 2, sizeof(char *));
        size_t n_paths = 0;
        if (paths && !(paths[n_paths++] = strdup(main_path)))
                r = -ENOMEM;
        for (int i = 0; i < n_entries; i++) {
                const char *d = entries[i]->d_name;
                size_t l = strlen(d);
                bool wanted = d[0] != '.' && l > 5 && streq(d + l - 5, ".conf");
                if (wanted && text_needs_escaping(d)) {
                        /* Every message names its file: the name must be safe to print as it is. */
                        log_error("%s/%s: a drop-in's name must be printable text; rename it.", ESCAPE_PATH(dropin_dir), EXCERPT(d));
                        ctx.errors++;
                        wanted = false;
                }
                if (paths && r >= 0 && wanted && asprintf(&paths[n_paths++], "%s/%s", dropin_dir, d) < 0) {
                        paths[--n_paths] = NULL;
                        r = -ENOMEM;
                }
                free(entries[i]);
        }
        free(entries);
        if (!paths || r < 0)
                return log_oom();

        /* The lists are built once: with one drop-in per peer, 10 000 files. */
        b->sources = calloc(n_paths + 1, sizeof(char *));
        if (!b->sources)
                return log_oom();
        for (size_t i = 0; i < n_paths; i++) {
                const char *p = paths[i];
                _cleanup_(conf_file_freep) ConfFile *f = NULL;
                if (!(b->sources[i] = strdup(p)))
                        return log_oom();
                ctx.file = b->sources[i];
                if (text && i == 0)
                        r = conf_parse_string(p, text, &f);
                else
                        r = conf_parse_file(p, &f);
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0)
                        return r;
                ctx.errors += (unsigned) r;
                r = bridge_apply_file(&ctx, f);
                if (r < 0)
                        return log_oom();
        }

        bridge_finish(&ctx);
        if (ctx.errors > 0)
                return -EINVAL;
        if (split_inactive_peers(b) < 0)
                return log_oom();
        *ret = TAKE_PTR(b);
        return 0;
}

int bridge_load(const char *root, const char *name, Bridge **ret) {
        _cleanup_free_ char *main_path = NULL, *dropins = NULL, *id = NULL;
        root = strempty(root);
        if (asprintf(&main_path, "%s/etc/nfswg/%s.conf", root, name) < 0 ||
            asprintf(&dropins, "%s/etc/nfswg/%s.conf.d", root, name) < 0 ||
            asprintf(&id, "/etc/nfswg/%s.conf", name) < 0)
                return log_oom();
        return bridge_load_files(name, main_path, id, dropins, NULL, ret);
}

int bridge_load_path(const char *path, Bridge **ret) {
        const char *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : path;
        size_t l = strlen(base);
        if (l <= 5 || !streq(base + l - 5, ".conf")) {
                log_error("%s: a bridge configuration file must be named NAME.conf.", ESCAPE_PATH(path));
                return -EINVAL;
        }
        _cleanup_free_ char *name = strndup(base, l - 5);
        _cleanup_free_ char *dropins = NULL;
        if (!name || asprintf(&dropins, "%s.d", path) < 0)
                return log_oom();
        return bridge_load_files(name, path, path, dropins, NULL, ret);
}

int bridge_load_string(const char *label, const char *name, const char *text, Bridge **ret) {
        return bridge_load_files(name, label, label, NULL, text, ret);
}
