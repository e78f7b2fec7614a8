/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <net/if.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "daemon/event.h"
#include "daemon/manager-internal.h"
#include "daemon/networkd.h"
#include "shared/key-file.h"
#include "daemon/rtnl.h"
#include "daemon/system-files.h"
#include "daemon/userspace.h"
#include "nft/nft.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "wg/wg.h"

/* ---- Loading -------------------------------------------------------------------------------- */

typedef struct Captured {
        int *levels;
        size_t n_levels;
        char **lines;
} Captured;

static void capture_sink(int level, const char *message, void *userdata) {
        Captured *c = userdata;
        if (level > LOG_WARNING)
                return;
        int *slot = ARRAY_PUSH(c->levels, c->n_levels);
        if (!slot || strv_extend(&c->lines, message) < 0)
                return; /* out of memory: the line is lost, the error count is not */
        *slot = level;
}

/* Whether a message names one of the bridge's files: "ROOT/etc/nfswg/NAME.conf" followed by the
 * end of the name (":12: ...", " ", ...) or by ".d/" (a drop-in). */
static bool message_names_bridge(const char *message, const char *main_file) {
        size_t l = strlen(main_file);
        for (const char *p = strstr(message, main_file); p; p = strstr(p + 1, main_file)) {
                const char *after = p + l;
                if (strchr(":;, )", *after) || startswith(after, ".d/"))
                        return true;
        }
        return false;
}

int manager_load_config(const char *root, const char *name, bool log_now, Host **ret_host, const Bridge **ret_bridge,
                        char ***ret_reasons) {
        _cleanup_(host_freep) Host *h = NULL;
        _cleanup_free_ char *main_file = NULL;
        _cleanup_strv_free_ char **reasons = NULL;
        Captured c = {};
        int r;

        if (asprintf(&main_file, "%s/etc/nfswg/%s.conf", strempty(root), name) < 0)
                return log_oom();

        /* Collect what the loader says, to tell this bridge's problems from other bridges'. */
        log_set_sink(capture_sink, &c);
        r = host_load(root, &h);
        log_set_sink(NULL, NULL);

        const Bridge *b = h ? host_find_bridge(h, name) : NULL;
        bool ours_broken = !b;
        for (size_t i = 0; i < c.n_levels; i++)
                if (message_names_bridge(c.lines[i], main_file) && c.levels[i] <= LOG_ERR)
                        ours_broken = true;

        size_t n_about_us = 0;
        for (size_t i = 0; i < c.n_levels; i++)
                n_about_us += message_names_bridge(c.lines[i], main_file);

        for (size_t i = 0; i < c.n_levels; i++) {
                /* When nothing names our files (an unreadable directory, say), every line is ours. */
                bool about_us = message_names_bridge(c.lines[i], main_file) || (ours_broken && n_about_us == 0);
                if (about_us || !ours_broken) {
                        if (log_now)
                                log_internal(about_us ? c.levels[i] : LOG_WARNING, 0, "%s%s", c.lines[i],
                                             about_us ? "" : " (another bridge's problem; ignored by this one)");
                        if (about_us && strv_extend(&reasons, c.lines[i]) < 0)
                                r = -ENOMEM;
                }
        }
        strv_free(c.lines);
        free(c.levels);

        if (r == -ENOMEM)
                return log_oom();
        if (ours_broken) {
                if (!reasons) {
                        char *line = NULL;
                        if (access(main_file, F_OK) < 0)
                                r = asprintf(&line, "%s: no such bridge configuration.", main_file);
                        else
                                r = asprintf(&line, "%s: the configuration could not be loaded.", main_file);
                        if (r < 0 || strv_push(&reasons, line) < 0)
                                return log_oom();
                        if (log_now)
                                log_error("%s", line);
                }
                *ret_reasons = TAKE_PTR(reasons);
                return -EINVAL;
        }

        *ret_host = TAKE_PTR(h);
        *ret_bridge = b;
        *ret_reasons = NULL;
        return 0;
}

/* ---- Pieces of the lifecycle ---------------------------------------------------------------- */

static EventInfo manager_event_info(const Manager *m) {
        return (EventInfo) { .bridge = m->name, .interface = m->bridge ? m->bridge->interface : NULL,
                             .handshake_age = -1 };
}

int manager_load_key(Manager *m, const Bridge *b, WgKey ret_key, char ret_public[WG_KEY_B64_LEN + 1]) {
        _cleanup_free_ char *path = NULL;
        WgKey public;
        bool created;

        if (asprintf(&path, "%s%s", m->root, b->private_key_file) < 0)
                return log_oom();
        int r = private_key_load_or_create(path, ret_key, &created);
        if (r < 0)
                return r;
        r = wg_key_public_from_private(public, ret_key);
        if (r < 0)
                return log_error_errno(r, "Cannot derive the public key from %s: %m", path);
        wg_key_to_base64(ret_public, public);
        if (created) {
                EventInfo i = manager_event_info(m);
                i.public_key = ret_public;
                i.detail = path;
                event_emit(EVENT_KEY_CREATED, &i);
        }
        return 0;
}

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

/* What a userspace or test-mode device needs that networkd would otherwise do: MTU, addresses,
 * routes, up. */
int manager_configure_link(Manager *m, const Bridge *b) {
        _cleanup_free_ IpPrefix *routes = NULL;
        size_t n_routes = 0;

        int r = rtnl_link_set(m->ifindex, b->mtu, true);
        if (r < 0)
                return log_error_errno(r, "Cannot set MTU %u and bring %s up: %m", b->mtu, b->interface);
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

/* Makes the WireGuard device say what the bridge says, touching only peers that differ (as
 * `wg syncconf`): networkd creates a netdev from its .netdev once and never updates it. */
int manager_sync_device(Manager *m, const Bridge *b, const WgKey key, size_t *ret_changes) {
        _cleanup_(wg_device_freep) WgDevice *current = NULL, *desired = NULL, *change = NULL;
        size_t changes = 0;
        int r;

        r = wg_device_get(b->interface, m->uapi_dir, &current);
        if (r < 0)
                return log_error_errno(r, "Cannot read the WireGuard device %s: %m", b->interface);
        r = wg_device_from_bridge(b, key, &desired);
        if (r < 0)
                return log_error_errno(r, "Cannot prepare the WireGuard configuration of %s: %m", b->interface);
        manager_endpoint_keep_choice(m, b, desired);
        r = wg_device_diff(current, desired, &change, &changes);
        if (r < 0)
                return log_oom();
        if (changes > 0 || change->flags != 0) {
                r = wg_device_set(change, m->uapi_dir);
                if (r < 0)
                        return log_error_errno(r, "Cannot configure the WireGuard device %s: %m", b->interface);
        }
        log_debug("WireGuard device %s: %zu peer change(s).", b->interface, changes);
        if (ret_changes)
                *ret_changes = changes;
        return 0;
}

int manager_apply_exports(Manager *m, const RenderList *files, bool force_reload) {
        int r = system_files_write(files, SYSTEM_FILE_EXPORTS, m->root);
        if (r < 0)
                return r;
        bool changed = r > 0;

        bool listed = false;
        for (size_t i = 0; i < files->n_files; i++)
                listed = listed || system_file_kind(&files->files[i]) == SYSTEM_FILE_EXPORTS;
        if (!listed) {
                /* No [Export] (any more): a fragment from before must not stay exported. */
                _cleanup_free_ char *path = exports_fragment_path(m->root, m->name);
                if (!path)
                        return log_oom();
                r = unlink_if_exists(path);
                if (r < 0)
                        return log_error_errno(r, "Cannot remove %s: %m", path);
                changed = changed || r > 0;
                if (!changed)
                        return 0;
        }
        if (changed || force_reload)
                return exportfs_reload();
        return 0;
}

static int peer_name_cmp(const void *a, const void *b) {
        const Peer *const *x = a, *const *y = b;
        return strcmp((*x)->name, (*y)->name);
}

void manager_init_watches(Manager *m, const PeerWatch *old, const Bridge *old_bridge) {
        const Bridge *b = m->bridge;
        size_t n = b->mode == BRIDGE_MODE_CLIENT ? (b->server.set ? 1 : 0) : b->n_peers;

        PeerWatch *w = calloc(n ?: 1, sizeof *w);
        if (!w) {
                log_oom();
                return;
        }
        /* Carry state over a reload for peers that kept their name and key (by name, in O(n log n)). */
        _cleanup_free_ const Peer **by_name = NULL;
        if (old && old_bridge && b->mode != BRIDGE_MODE_CLIENT && old_bridge->n_peers > 0) {
                by_name = calloc(old_bridge->n_peers, sizeof *by_name);
                for (size_t i = 0; by_name && i < old_bridge->n_peers; i++)
                        by_name[i] = &old_bridge->peers[i];
                if (by_name)
                        qsort(by_name, old_bridge->n_peers, sizeof *by_name, peer_name_cmp);
        }
        for (size_t i = 0; by_name && i < n; i++) {
                const Peer probe = { .name = b->peers[i].name }, *pp = &probe;
                const Peer **found = bsearch(&pp, by_name, old_bridge->n_peers, sizeof *by_name, peer_name_cmp);
                if (found && memcmp((*found)->public_key, b->peers[i].public_key, sizeof(WgKey)) == 0)
                        w[i] = old[*found - old_bridge->peers];
        }
        if (old && b->mode == BRIDGE_MODE_CLIENT && n == 1)
                w[0] = old[0];
        /* A failover choice is an index into the Endpoint= list: it means nothing for another list. */
        for (size_t i = 0; old_bridge && i < n; i++) {
                bool same;
                if (b->mode == BRIDGE_MODE_CLIENT)
                        same = old_bridge->mode == BRIDGE_MODE_CLIENT &&
                               endpoints_equal(b->server.endpoints, b->server.n_endpoints, old_bridge->server.endpoints,
                                               old_bridge->server.n_endpoints);
                else {
                        const Peer *op = b->peers[i].n_endpoints > 0 ? bridge_find_peer(old_bridge, b->peers[i].name) : NULL;
                        same = !op || endpoints_equal(b->peers[i].endpoints, b->peers[i].n_endpoints, op->endpoints,
                                                      op->n_endpoints);
                }
                if (!same)
                        w[i].dial = (EndpointWatch) {};
        }
        free(m->watches);
        m->watches = w;
        m->n_watches = n;
}

/* ---- Forwarding (nas, relay) ---- */

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

/* ip-sysctl.rst: IPv4 forwards a packet when the interface it came in on has conf/IFACE/forwarding
 * set, so the tunnel (requests) and the LAN side (answers) need it, and nothing else does. The
 * host-wide switch (networkd's IPForward=, on Debian 12 for the whole host and never off again)
 * stays as the administrator left it. IPv6 has no per-interface switch for forwarding itself
 * before Linux 6.17 (force_forwarding): there conf/IFACE/forwarding only changes the host/router
 * behaviour, and IPv6 forwarding also needs net.ipv6.conf.all.forwarding=1 from the administrator. */
int manager_enable_forwarding(Manager *m, const Host *h, const Bridge *b) {
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
        if (target)
                for (int pass = 0; pass < 2; pass++) {
                        r = forwarding_enable_on(m, b->interface, pass == 0 ? AF_INET : AF_INET6);
                        if (r < 0)
                                return r;
                }

        if (b->n_forwards == 0)
                return 0;

        for (int pass = 0; pass < 2; pass++) {
                int family = pass == 0 ? AF_INET : AF_INET6;
                bool any = false;
                for (size_t i = 0; i < b->n_forwards; i++) {
                        const Forward *f = &b->forwards[i];
                        char ifname[IF_NAMESIZE] = "";

                        if (f->to_bridge) {
                                const Bridge *o = host_find_bridge(h, f->to_bridge);
                                if (!o)
                                        continue;
                                snprintf(ifname, sizeof ifname, "%s", o->interface);
                        } else {
                                int oif = 0;
                                char buf[IP_PREFIX_STRLEN];
                                if (f->to.family != family)
                                        continue;
                                r = rtnl_route_oif(&f->to, &oif);
                                if (r < 0 || !if_indextoname((unsigned) oif, ifname)) {
                                        log_warning_errno(r < 0 ? r : errno, "%s:%u: no route to [Forward] To=%s (%m); "
                                                          "not forwarding there until the next reload.", f->source,
                                                          f->line, ip_prefix_format(&f->to, buf));
                                        continue;
                                }
                        }
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

/* ---- Start ---------------------------------------------------------------------------------- */

int manager_start(Manager *m) {
        const Bridge *b = m->bridge;
        EventInfo info = manager_event_info(m);
        int r;

        info.detail = bridge_mode_to_string(b->mode);
        event_emit(EVENT_STARTED, &info);

        r = manager_load_key(m, b, m->private_key, m->public_key);
        if (r < 0)
                return r;

        r = render_daemon(m->host, b, &m->files);
        if (r < 0)
                return log_error_errno(r, "Cannot render the files of bridge %s: %m", m->name);

        if (b->backend == BACKEND_USERSPACE) {
                /* wireguard-go makes a TUN device networkd cannot create; we configure it ourselves. */
                r = wireguard_go_start(b->interface, m->uapi_dir, &m->wireguard_go);
                if (r < 0)
                        return r;
                m->link_ours = true;
                m->ifindex = (int) if_nametoindex(b->interface);
                r = manager_configure_link(m, b);
        } else if (m->no_networkd) {
                m->ifindex = (int) if_nametoindex(b->interface);
                if (m->ifindex <= 0)
                        return log_error_errno(ENODEV, "--no-networkd: interface %s does not exist; create it first "
                                               "(e.g. 'wireguard-go %s').", b->interface, b->interface);
                r = manager_configure_link(m, b);
        } else {
                r = networkd_connect(&m->bus);
                if (r < 0)
                        return r;
                r = system_files_write(&m->files, SYSTEM_FILE_NETWORKD, m->root);
                if (r < 0)
                        return r;
                r = networkd_reload(m->bus);
                if (r < 0)
                        return r;
                m->link_ours = true;
                r = networkd_wait_link(m->bus, b->interface, m->link_timeout_usec, &m->ifindex);
        }
        if (r < 0)
                return r;

        r = manager_sync_device(m, b, m->private_key, NULL);
        if (r < 0)
                return r;

        r = manager_enable_forwarding(m, m->host, b);
        if (r < 0)
                return r;

        if (b->mode != BRIDGE_MODE_CLIENT) {
                r = nft_apply_bridge(m->host, b);
                if (r < 0)
                        return log_error_errno(r, "Cannot apply the nftables table inet " NFT_TABLE_PREFIX "%s: %m",
                                               m->name);
        }

        /* Always re-export at start: after a crash the kernel's export table may lag the file. */
        r = manager_apply_exports(m, &m->files, true);
        if (r < 0)
                return r;

        manager_init_watches(m, NULL, NULL);
        (void) manager_poll(m);
        manager_update_status(m, false);
        info.detail = m->status;
        event_emit(EVENT_READY, &info);
        (void) sd_notifyf(false, "READY=1\nSTATUS=%s", m->status);
        return 0;
}

/* ---- Running -------------------------------------------------------------------------------- */

static const char *endpoint_format(const WgEndpoint *e, char buf[PEER_ENDPOINT_MAX]) {
        char a[INET6_ADDRSTRLEN];
        buf[0] = '\0';
        if (e->addr.sa_family == AF_INET && inet_ntop(AF_INET, &e->addr4.sin_addr, a, sizeof a))
                snprintf(buf, PEER_ENDPOINT_MAX, "%s:%u", a, (unsigned) ntohs(e->addr4.sin_port));
        else if (e->addr.sa_family == AF_INET6 && inet_ntop(AF_INET6, &e->addr6.sin6_addr, a, sizeof a))
                snprintf(buf, PEER_ENDPOINT_MAX, "[%s]:%u", a, (unsigned) ntohs(e->addr6.sin6_port));
        return buf;
}

static int peer_key_cmp(const void *a, const void *b) {
        const WgPeer *const *x = a, *const *y = b;
        return memcmp((*x)->public_key, (*y)->public_key, WG_KEY_LEN);
}

/* The device's peers sorted by public key, for a lookup per configured peer in O(log n): a
 * 1000-peer bridge is polled every few seconds. Public keys are not secret, so memcmp() will do. */
static const WgPeer **device_peer_index(const WgDevice *dev) {
        const WgPeer **index = calloc(dev->n_peers ?: 1, sizeof *index);
        if (!index)
                return NULL;
        for (size_t i = 0; i < dev->n_peers; i++)
                index[i] = &dev->peers[i];
        qsort(index, dev->n_peers, sizeof *index, peer_key_cmp);
        return index;
}

static const WgPeer *device_peer_lookup(const WgPeer **index, size_t n, const uint8_t *key) {
        WgPeer probe;
        const WgPeer *p = &probe;
        memcpy(probe.public_key, key, WG_KEY_LEN);
        const WgPeer **found = bsearch(&p, index, n, sizeof *index, peer_key_cmp);
        return found ? *found : NULL;
}

int manager_poll(Manager *m) {
        _cleanup_(wg_device_freep) WgDevice *dev = NULL;
        const Bridge *b = m->bridge;
        int64_t now = (int64_t) time(NULL);

        int r = wg_device_get(b->interface, m->uapi_dir, &dev);
        if (r < 0) {
                /* Say it once per outage, not every few seconds. */
                if (m->n_up != (size_t) -1)
                        log_warning_errno(r, "Cannot read the WireGuard device %s: %m", b->interface);
                m->n_up = (size_t) -1;
                return r;
        }

        _cleanup_free_ const WgPeer **index = device_peer_index(dev);
        if (!index)
                return log_oom();

        size_t n_up = 0;
        for (size_t i = 0; i < m->n_watches; i++) {
                const uint8_t *key = b->mode == BRIDGE_MODE_CLIENT ? b->server.public_key : b->peers[i].public_key;
                const char *name = b->mode == BRIDGE_MODE_CLIENT ? "server" : b->peers[i].name;
                const WgPeer *wp = device_peer_lookup(index, dev->n_peers, key);
                char endpoint[PEER_ENDPOINT_MAX] = "", public_b64[WG_KEY_B64_LEN + 1];
                PeerChange c;

                if (wp)
                        endpoint_format(&wp->endpoint, endpoint);
                PeerReading reading = {
                        .present = wp,
                        .last_handshake_sec = wp ? wp->last_handshake_sec : 0,
                        .endpoint = endpoint,
                };
                peer_watch_update(&m->watches[i], &reading, now, &c);
                manager_endpoint_check(m, i, wp, now);
                if (peer_watch_is_up(&m->watches[i]))
                        n_up++;
                if (c.event == _EVENT_NONE)
                        continue;

                wg_key_to_base64(public_b64, key);
                EventInfo info = manager_event_info(m);
                info.peer = name;
                info.public_key = public_b64;
                info.endpoint = *endpoint ? endpoint : NULL;
                info.old_endpoint = *c.old_endpoint ? c.old_endpoint : NULL;
                info.handshake_age = c.handshake_age;
                event_emit(c.event, &info);
        }
        m->n_up = n_up;
        return 0;
}

void manager_update_status(Manager *m, bool notify) {
        _cleanup_free_ char *s = NULL;

        if (m->n_up == (size_t) -1) {
                if (asprintf(&s, "cannot read WireGuard device %s", m->bridge->interface) < 0)
                        s = NULL;
        } else
                s = status_format(m->bridge, m->n_up);
        if (!s || streq_ptr(s, m->status))
                return;
        free(m->status);
        m->status = TAKE_PTR(s);
        if (notify)
                (void) sd_notifyf(false, "STATUS=%s", m->status);
}

/* ---- Stop ----------------------------------------------------------------------------------- */

void manager_stop(Manager *m, bool started) {
        const Bridge *b = m->bridge;
        EventInfo info = manager_event_info(m);
        int r;

        if (started) {
                (void) sd_notify(false, "STOPPING=1\nSTATUS=Removing exports, firewall table and link.");
                event_emit(EVENT_STOPPING, &info);
        } else
                log_info("Removing what was set up before the failure.");

        /* The order of nfswgd(8): exports first, so nfsd stops serving before the door closes. */
        r = system_files_remove(&m->files, SYSTEM_FILE_EXPORTS, m->root);
        if (r > 0)
                (void) exportfs_reload();

        if (b->mode != BRIDGE_MODE_CLIENT) {
                r = nft_remove_bridge(m->name);
                if (r < 0)
                        log_error_errno(r, "Cannot remove the nftables table inet " NFT_TABLE_PREFIX "%s: %m", m->name);
        }

        if (!m->no_networkd && b->backend == BACKEND_KERNEL)
                (void) system_files_remove(&m->files, SYSTEM_FILE_NETWORKD, m->root);

        if (m->wireguard_go > 0) {
                /* wireguard-go removes its TUN device when it exits. */
                m->child_source = sd_event_source_unref(m->child_source);
                wireguard_go_stop(m->wireguard_go);
                m->wireguard_go = 0;
        } else if (m->link_ours && m->ifindex > 0) {
                /* networkd never deletes a link whose .netdev went away (systemd issue 9627). */
                r = rtnl_link_delete(m->ifindex);
                if (r < 0)
                        log_error_errno(r, "Cannot delete the link %s: %m", b->interface);
        } else if (m->ifindex > 0) {
                /* --no-networkd with a device someone else made: it stays theirs, our routes and
                 * addresses go. */
                r = rtnl_route_sync(m->ifindex, NULL, 0);
                if (r < 0)
                        log_warning_errno(r, "Cannot remove the routes through %s: %m", b->interface);
                r = rtnl_address_remove(m->ifindex, b->addresses, b->n_addresses);
                if (r < 0)
                        log_warning_errno(r, "Cannot remove the addresses of %s: %m", b->interface);
        }

        sysctl_restore(&m->sysctls);
        if (started)
                event_emit(EVENT_STOPPED, &info);
}

void manager_done(Manager *m) {
        sd_event_source_unref(m->poll_source);
        sd_event_source_unref(m->child_source);
        sd_event_unref(m->event);
        sd_bus_flush_close_unref(m->bus);
        render_list_done(&m->files);
        host_free(m->host);
        sysctl_saved_done(&m->sysctls);
        wg_key_wipe(m->private_key);
        free(m->watches);
        free(m->status);
}
