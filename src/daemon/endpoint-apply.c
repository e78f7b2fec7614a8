/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "daemon/endpoint.h"
#include "daemon/event.h"
#include "daemon/manager-internal.h"
#include "shared/log.h"
#include "wg/wg.h"

/* The dialled side of watch i: the [Peer] (or, client mode, the [Server]). */
static void dialled_peer(const Bridge *b, size_t i, const char **ret_name, const uint8_t **ret_key,
                         const Endpoint **ret_endpoints, size_t *ret_n) {
        if (b->mode == BRIDGE_MODE_CLIENT) {
                *ret_name = "server";
                *ret_key = b->server.public_key;
                *ret_endpoints = b->server.endpoints;
                *ret_n = b->server.n_endpoints;
        } else {
                *ret_name = b->peers[i].name;
                *ret_key = b->peers[i].public_key;
                *ret_endpoints = b->peers[i].endpoints;
                *ret_n = b->peers[i].n_endpoints;
        }
}

static bool wg_endpoint_equal(const WgEndpoint *a, const WgEndpoint *b) {
        char x[WG_ENDPOINT_STRLEN] = "", y[WG_ENDPOINT_STRLEN] = "";
        if (a->addr.sa_family != b->addr.sa_family)
                return false;
        return wg_endpoint_format(a, x) >= 0 && wg_endpoint_format(b, y) >= 0 && streq(x, y);
}

void manager_endpoint_check(Manager *m, size_t i, const WgPeer *wp, int64_t now_sec) {
        const Bridge *b = m->bridge;
        const char *name;
        const uint8_t *key;
        const Endpoint *endpoints;
        size_t n, index, old_index;

        dialled_peer(b, i, &name, &key, &endpoints, &n);
        if (n == 0)
                return;
        EndpointWatch *w = &m->watches[i].dial;
        EndpointReading reading = {
                .present = wp,
                .last_handshake_sec = wp ? wp->last_handshake_sec : 0,
                .rx_bytes = wp ? wp->rx_bytes : 0,
                .tx_bytes = wp ? wp->tx_bytes : 0,
        };
        old_index = w->index < n ? w->index : 0;
        if (!endpoint_watch_update(w, n, &reading, now_sec, &m->endpoint_policy, &index))
                return;

        char wanted[ENDPOINT_STRLEN], before[ENDPOINT_STRLEN], resolved[WG_ENDPOINT_STRLEN] = "",
                current[WG_ENDPOINT_STRLEN] = "", public_b64[WG_KEY_B64_LEN + 1];
        endpoint_to_string(&endpoints[index], wanted, sizeof wanted);
        endpoint_to_string(&endpoints[old_index], before, sizeof before);
        if (wp->endpoint.addr.sa_family != AF_UNSPEC)
                (void) wg_endpoint_format(&wp->endpoint, current);

        WgDevice change = {};
        snprintf(change.ifname, sizeof change.ifname, "%s", b->interface);
        WgPeer *p = wg_device_push_peer(&change);
        if (!p) {
                log_oom();
                return;
        }
        memcpy(p->public_key, key, WG_KEY_LEN);
        /* Looked up again each time: the reason to re-resolve is a name whose address moved. */
        int r = wg_endpoint_resolve(&endpoints[index], &p->endpoint);
        if (r < 0) {
                wg_device_clear(&change);
                return; /* logged; the next round tries the next one */
        }
        (void) wg_endpoint_format(&p->endpoint, resolved);
        if (n == 1 && wg_endpoint_equal(&p->endpoint, &wp->endpoint)) {
                log_debug("Peer %s: no handshake via %s; %s still resolves to %s.", name, current, wanted, resolved);
                wg_device_clear(&change);
                return;
        }
        /* Only the endpoint: allowed IPs, keys and the session stay as they are. */
        p->flags = WG_PEER_HAS_ENDPOINT;
        r = wg_device_set(&change, m->uapi_dir);
        wg_device_clear(&change);
        if (r < 0) {
                log_warning_errno(r, "Cannot set the endpoint of peer %s on %s to %s: %m", name, b->interface,
                                  resolved);
                return;
        }

        wg_key_to_base64(public_b64, key);
        EventInfo info = { .bridge = m->name, .interface = b->interface, .peer = name, .public_key = public_b64,
                           .endpoint = wanted, .old_endpoint = n == 1 ? (*current ? current : NULL) : before,
                           .handshake_age = wp->last_handshake_sec > 0 ? now_sec - wp->last_handshake_sec : -1 };
        /* A name is shown with the address it resolved to now. */
        _cleanup_free_ char *detail = NULL;
        if (!streq(wanted, resolved) && asprintf(&detail, "%s is %s", wanted, resolved) >= 0)
                info.detail = detail;
        event_emit(EVENT_ENDPOINT_FAILOVER, &info);
}

void manager_endpoint_keep_choice(Manager *m, const Bridge *b, WgDevice *desired) {
        const Bridge *running = m->bridge;

        if (!running || !m->watches)
                return;
        for (size_t i = 0; i < desired->n_peers; i++) {
                const char *name;
                const uint8_t *key;
                const Endpoint *endpoints;
                size_t n, j;

                if (b->mode == BRIDGE_MODE_CLIENT ? i > 0 : i >= b->n_peers)
                        break;
                dialled_peer(b, i, &name, &key, &endpoints, &n);
                if (n < 2)
                        continue;
                /* The running bridge's watch of the same peer: by name, only for peers that have a
                 * choice to keep, so a big bridge of road warriors costs nothing here. */
                if (b->mode == BRIDGE_MODE_CLIENT) {
                        if (running->mode != BRIDGE_MODE_CLIENT || m->n_watches < 1)
                                continue;
                        j = 0;
                } else {
                        const Peer *rp = bridge_find_peer(running, name);
                        if (!rp || running->mode == BRIDGE_MODE_CLIENT)
                                continue;
                        j = (size_t) (rp - running->peers);
                        if (j >= m->n_watches)
                                continue;
                }
                const char *rname;
                const uint8_t *rkey;
                const Endpoint *rendpoints;
                size_t rn;
                dialled_peer(running, j, &rname, &rkey, &rendpoints, &rn);
                size_t index = m->watches[j].dial.index;
                if (index == 0 || index >= n || memcmp(rkey, key, WG_KEY_LEN) != 0 ||
                    !endpoints_equal(endpoints, n, rendpoints, rn))
                        continue;
                WgPeer *p = &desired->peers[i];
                if (memcmp(p->public_key, key, WG_KEY_LEN) != 0)
                        continue; /* not laid out as b's peers: leave it */
                if (wg_endpoint_resolve(&endpoints[index], &p->endpoint) >= 0)
                        p->flags |= WG_PEER_HAS_ENDPOINT;
        }
}
