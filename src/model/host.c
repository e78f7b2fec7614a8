/* SPDX-License-Identifier: MIT */
/* What spans the bridges of one host: nfsd, statd and mountd are host-wide, so every bridge that
 * sets [NFS] must agree; interfaces, listen ports and tunnel networks must not clash. */
#include <dirent.h>

#include "model/bridge.h"
#include "shared/log.h"
#include "shared/macro.h"

Host *host_free(Host *h) {
        if (!h)
                return NULL;
        for (size_t i = 0; i < h->n_bridges; i++)
                bridge_free(h->bridges[i]);
        free(h->bridges);
        nfs_conf_done(&h->nfs_conf);
        free(h);
        return NULL;
}

const Bridge *host_find_bridge(const Host *h, const char *name) {
        for (size_t i = 0; i < h->n_bridges; i++)
                if (streq(h->bridges[i]->name, name))
                        return h->bridges[i];
        return NULL;
}

static bool nfs_equal(const NfsSettings *a, const NfsSettings *b) {
        return a->mountd_port == b->mountd_port && a->statd_port == b->statd_port &&
               a->statd_outgoing_port == b->statd_outgoing_port && a->lockd_port == b->lockd_port &&
               a->max_block_size == b->max_block_size;
}

/* The administrator's nfs.conf pins win over nfswg's [NFS] values (nfs.conf(5): nfswg passes no
 * option for a pinned key, so the daemon uses the file). A bridge that sets the same key explicitly
 * to another value is an error at that key: one of the two would be silently ignored. A pin that
 * equals another of the host's NFS ports is an error for every bridge that serves NFS: two daemons
 * would fight over it. */
static unsigned host_apply_nfs_conf(Host *h) {
        const NfsConf *c = &h->nfs_conf;
        unsigned errors = 0;

        for (size_t i = 0; i < h->n_bridges; i++) {
                const NfsSettings *n = &h->bridges[i]->nfs;
                const struct {
                        const char *key;
                        uint16_t value;
                        const KeyOrigin *at;
                        NfsConfKey pin;
                } keys[] = {
                        { "MountdPort", n->mountd_port, &n->mountd_at, NFS_CONF_MOUNTD_PORT },
                        { "StatdPort", n->statd_port, &n->statd_at, NFS_CONF_STATD_PORT },
                        { "StatdOutgoingPort", n->statd_outgoing_port, &n->statd_outgoing_at, NFS_CONF_STATD_OUTGOING_PORT },
                        { "LockdPort", n->lockd_port, &n->lockd_at, NFS_CONF_LOCKD_PORT },
                        { "LockdPort", n->lockd_port, &n->lockd_at, NFS_CONF_LOCKD_UDP_PORT },
                };
                for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                        const NfsConfPin *p = &c->pins[keys[k].pin];
                        if (keys[k].at->line == 0 || p->port == 0 || p->port == keys[k].value)
                                continue;
                        errors++;
                        log_error("%s:%u: %s=%u conflicts with %s=%u in %s:%u, which nfs-utils uses; "
                                  "remove %s= or make the two agree.",
                                  keys[k].at->source, keys[k].at->line, keys[k].key, keys[k].value,
                                  nfs_conf_key_name(keys[k].pin), p->port, p->source, p->line, keys[k].key);
                }
        }

        /* The [NFS] key that gives each of those ports when nfs.conf does not. */
        static const char *const nfswg_keys[_NFS_CONF_KEY_MAX] = {
                [NFS_CONF_MOUNTD_PORT] = "MountdPort",
                [NFS_CONF_STATD_PORT] = "StatdPort",
                [NFS_CONF_STATD_OUTGOING_PORT] = "StatdOutgoingPort",
                [NFS_CONF_LOCKD_PORT] = "LockdPort",
                [NFS_CONF_LOCKD_UDP_PORT] = "LockdPort",
        };
        uint16_t *ports[_NFS_CONF_KEY_MAX] = {
                [NFS_CONF_MOUNTD_PORT] = &h->nfs.mountd_port,
                [NFS_CONF_STATD_PORT] = &h->nfs.statd_port,
                [NFS_CONF_STATD_OUTGOING_PORT] = &h->nfs.statd_outgoing_port,
                [NFS_CONF_LOCKD_PORT] = &h->nfs.lockd_port,
                [NFS_CONF_LOCKD_UDP_PORT] = &h->nfs.lockd_udp_port,
        };
        for (size_t k = 0; k < _NFS_CONF_KEY_MAX; k++)
                if (c->pins[k].port)
                        *ports[k] = c->pins[k].port;

        for (size_t k = 0; k < _NFS_CONF_KEY_MAX; k++) {
                if (!c->pins[k].port)
                        continue;
                for (size_t j = 0; j < _NFS_CONF_KEY_MAX; j++) {
                        /* lockd's TCP and UDP port may be one number; two pins of nfs.conf that
                         * clash are reported once. */
                        bool lockd_pair = (k == NFS_CONF_LOCKD_PORT && j == NFS_CONF_LOCKD_UDP_PORT) ||
                                          (j == NFS_CONF_LOCKD_PORT && k == NFS_CONF_LOCKD_UDP_PORT);
                        if (j == k || lockd_pair || *ports[j] != *ports[k] || (c->pins[j].port && j < k))
                                continue;
                        for (size_t i = 0; i < h->n_bridges; i++) {
                                const Bridge *b = h->bridges[i];
                                if (!bridge_serves_nfs(b))
                                        continue;
                                errors++;
                                if (c->pins[j].port)
                                        log_error("%s:%u: %s=%u in %s:%u is also %s in %s:%u; nfs-utils' daemons "
                                                  "would fight over the port.",
                                                  b->sources[0], 1, nfs_conf_key_name(k), *ports[k], c->pins[k].source,
                                                  c->pins[k].line, nfs_conf_key_name(j), c->pins[j].source,
                                                  c->pins[j].line);
                                else
                                        log_error("%s:%u: %s=%u in %s:%u is also %s=; set %s= to another port in [NFS] "
                                                  "(nfswg.conf(5)).",
                                                  b->nfs.set ? b->nfs.source : b->sources[0], b->nfs.set ? b->nfs.line : 1,
                                                  nfs_conf_key_name(k), *ports[k], c->pins[k].source, c->pins[k].line,
                                                  nfswg_keys[j], nfswg_keys[j]);
                        }
                }
        }
        return errors;
}

int host_check(Host *h) {
        unsigned errors = 0;
        const NfsSettings *agreed = NULL;
        char buf[IP_PREFIX_STRLEN], buf2[IP_PREFIX_STRLEN];

        h->nfs = (NfsSettings) {
                .mountd_port = DEFAULT_MOUNTD_PORT,
                .statd_port = DEFAULT_STATD_PORT,
                .statd_outgoing_port = DEFAULT_STATD_OUTGOING_PORT,
                .lockd_port = DEFAULT_LOCKD_PORT,
                .lockd_udp_port = DEFAULT_LOCKD_PORT,
        };
        h->nfs_versions = 0;

        for (size_t i = 0; i < h->n_bridges; i++) {
                Bridge *b = h->bridges[i];
                const char *file = b->sources[0];

                if (b->mode != BRIDGE_MODE_CLIENT)
                        h->nfs_versions |= b->nfs_versions;
                if (b->nfs.set) {
                        if (!agreed) {
                                agreed = &b->nfs;
                                h->nfs = b->nfs;
                        } else if (!nfs_equal(agreed, &b->nfs)) {
                                errors++;
                                log_error("%s:%u: [NFS] differs from %s:%u; nfsd, mountd and statd serve the whole host, so "
                                          "every bridge that sets [NFS] must use the same values.",
                                          b->nfs.source, b->nfs.line, agreed->source, agreed->line);
                        }
                }

                /* CloseNFSOn= on another bridge's tunnel would drop NFS for that bridge's peers. */
                for (size_t j = 0; j < h->n_bridges; j++) {
                        const Bridge *o = h->bridges[j];
                        if (j != i && o->interface && strv_contains(b->close_nfs_on, o->interface)) {
                                errors++;
                                log_error("%s:%u: CloseNFSOn= names %s, the tunnel of bridge %s (%s); its peers could "
                                          "not reach NFS.",
                                          b->close_nfs_on_source, b->close_nfs_on_line, o->interface, o->name,
                                          o->sources[0]);
                        }
                }

                for (size_t j = 0; j < i; j++) {
                        const Bridge *o = h->bridges[j];
                        if (streq(b->interface, o->interface)) {
                                errors++;
                                log_error("%s:1: Interface=%s is also used by %s.", file, b->interface, o->sources[0]);
                        }
                        if (b->listen_port && b->listen_port == o->listen_port) {
                                errors++;
                                log_error("%s:1: ListenPort=%u is also used by %s.", file, b->listen_port, o->sources[0]);
                        }
                        for (size_t a = 0; a < b->n_addresses; a++)
                                for (size_t c = 0; c < o->n_addresses; c++)
                                        if (ip_prefix_overlaps(&b->addresses[a], &o->addresses[c])) {
                                                errors++;
                                                log_error("%s:1: Address=%s overlaps Address=%s of %s.", file,
                                                          ip_prefix_format(&b->addresses[a], buf),
                                                          ip_prefix_format(&o->addresses[c], buf2), o->sources[0]);
                                        }
                }

                for (size_t f = 0; f < b->n_forwards; f++) {
                        const Forward *fw = &b->forwards[f];
                        if (fw->to_bridge && !host_find_bridge(h, fw->to_bridge)) {
                                errors++;
                                log_error("%s:%u: [Forward] To=@%s names no bridge (no /etc/nfswg/%s.conf, or it is invalid).",
                                          fw->source, fw->line, fw->to_bridge, fw->to_bridge);
                        }
                }
        }

        errors += host_apply_nfs_conf(h);

        /* A pinned NFS port must not be a WireGuard listen port (lockd listens on UDP too). */
        for (size_t i = 0; i < h->n_bridges; i++) {
                const Bridge *b = h->bridges[i];
                uint16_t pins[] = { h->nfs.mountd_port, h->nfs.statd_port, h->nfs.statd_outgoing_port,
                                    h->nfs.lockd_port, NFS_PORT, RPCBIND_PORT,
                                    h->nfs.lockd_udp_port != h->nfs.lockd_port ? h->nfs.lockd_udp_port : 0 };
                for (size_t p = 0; p < ELEMENTSOF(pins); p++)
                        if (b->listen_port && b->listen_port == pins[p]) {
                                errors++;
                                log_error("%s:1: ListenPort=%u is also an NFS port of this host.", b->sources[0],
                                          b->listen_port);
                        }
        }
        return errors ? -EINVAL : 0;
}

int host_load(const char *root, Host **ret) {
        _cleanup_(host_freep) Host *h = calloc(1, sizeof *h);
        _cleanup_free_ char *dir = NULL;
        struct dirent **entries = NULL;
        int r = 0, failed = 0;

        if (!h || asprintf(&dir, "%s/etc/nfswg", strempty(root)) < 0)
                return log_oom();
        if (nfs_conf_load(root, &h->nfs_conf) < 0)
                return log_oom();

        int n = scandir(dir, &entries, NULL, alphasort);
        if (n < 0 && errno != ENOENT)
                r = log_error_errno(errno, "%s: cannot read directory: %m", dir);
        for (int i = 0; i < n; i++) {
                const char *d = entries[i]->d_name;
                size_t l = strlen(d);
                /* Whatever the entry is: reading it says why a FIFO or a directory is no bridge. */
                if (r >= 0 && d[0] != '.' && l > 5 && streq(d + l - 5, ".conf")) {
                        _cleanup_free_ char *name = strndup(d, l - 5);
                        Bridge *b = NULL;
                        if (!name) {
                                r = log_oom();
                        } else {
                                int k = bridge_load(root, name, &b);
                                if (k == -ENOMEM)
                                        r = k;
                                else if (k < 0)
                                        failed++;
                                else if (!ARRAY_PUSH(h->bridges, h->n_bridges)) {
                                        bridge_free(b);
                                        r = log_oom();
                                } else
                                        h->bridges[h->n_bridges - 1] = b;
                        }
                }
                free(entries[i]);
        }
        free(entries);
        if (r < 0)
                return r;

        if (host_check(h) < 0)
                failed++;
        *ret = TAKE_PTR(h);
        return failed ? -EINVAL : 0;
}
