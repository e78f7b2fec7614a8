/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "daemon/event.h"
#include "daemon/manager-internal.h"
#include "shared/log.h"
#include "wg/wg.h"

/* The peer watches: one per peer, fed from the device every poll, the source of the peer events
 * and of STATUS=. */

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
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t now_usec = (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;

        int r = wg_device_get(b->interface, m->uapi_dir, &dev);
        if (r < 0) {
                /* Say it once per outage, not every few seconds. */
                if (m->n_up != (size_t) -1)
                        log_warning_errno(r, "Cannot read the WireGuard device %s: %m", b->interface);
                m->n_up = (size_t) -1;
                for (size_t i = 0; i < m->n_watches; i++)
                        peer_watch_sample(&m->watches[i], false, 0, 0, 0);
                manager_publish(m, NULL);
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

                if (wp && wg_endpoint_format(&wp->endpoint, endpoint) < 0)
                        endpoint[0] = '\0';
                PeerReading reading = {
                        .present = wp,
                        .last_handshake_sec = wp ? wp->last_handshake_sec : 0,
                        .endpoint = endpoint,
                };
                peer_watch_update(&m->watches[i], &reading, now, &c);
                peer_watch_sample(&m->watches[i], wp, wp ? wp->rx_bytes : 0, wp ? wp->tx_bytes : 0, now_usec);
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
        manager_publish(m, dev);
        return 0;
}

void manager_update_status(Manager *m, bool notify) {
        _cleanup_free_ char *s = NULL;

        if (m->n_up == (size_t) -1) {
                if (asprintf(&s, "cannot read WireGuard device %s", m->bridge->interface) < 0)
                        s = NULL;
        } else
                s = status_format(m->bridge, m->n_up);
        if (s && m->nas.n_targets > 0) {
                StrBuf sb = {};
                strbuf_append(&sb, s);
                nas_discovery_status(&m->nas, &sb);
                free(s);
                s = strbuf_finish(&sb);
        }
        if (s && m->refused) {
                char *t = status_format_refused(s, m->refused);
                free(s);
                s = t;
        }
        if (!s || streq_ptr(s, m->status))
                return;
        free(m->status);
        m->status = TAKE_PTR(s);
        if (notify)
                (void) sd_notifyf(false, "STATUS=%s", m->status);
}
