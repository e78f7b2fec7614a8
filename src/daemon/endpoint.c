/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "daemon/endpoint.h"
#include "shared/macro.h"

bool endpoint_watch_update(EndpointWatch *w, size_t n_endpoints, const EndpointReading *r, int64_t now_sec,
                           const EndpointPolicy *p, size_t *ret_index) {
        if (n_endpoints == 0 || !r->present)
                return false;
        if (w->index >= n_endpoints)
                w->index = 0;

        if (!w->started) {
                /* Counters from before we watched say nothing about now. */
                *w = (EndpointWatch) { .started = true, .index = w->index, .rx_bytes = r->rx_bytes,
                                       .tx_bytes = r->tx_bytes };
                return false;
        }

        if (r->rx_bytes > w->rx_bytes)
                w->last_rx_sec = now_sec;
        w->rx_bytes = r->rx_bytes;
        w->tx_bytes = r->tx_bytes;

        int64_t alive = MAX(r->last_handshake_sec, w->last_rx_sec);
        /* A handshake stamped ahead of our clock (clock stepped back) counts as now. */
        if (alive > 0 && now_sec - alive < p->stale_sec) {
                w->stale = false;
                w->trying_sec = 0;
                return false;
        }

        if (!w->stale) {
                /* Just went stale: what we send from now on has to start a new session. */
                w->stale = true;
                w->tx_baseline = r->tx_bytes;
                w->trying_sec = 0;
                return false;
        }
        if (w->trying_sec == 0) {
                if (r->tx_bytes > w->tx_baseline)
                        w->trying_sec = now_sec;
                else
                        w->tx_baseline = r->tx_bytes; /* counters restart when a peer is re-added */
                return false;
        }
        if (now_sec - w->trying_sec < p->grace_sec)
                return false;

        /* Given up on this one: the next (or, alone, the same name looked up again). */
        w->index = (w->index + 1) % n_endpoints;
        w->tx_baseline = r->tx_bytes;
        w->trying_sec = 0;
        *ret_index = w->index;
        return true;
}

bool endpoints_equal(const Endpoint *a, size_t n_a, const Endpoint *b, size_t n_b) {
        if (n_a != n_b)
                return false;
        for (size_t i = 0; i < n_a; i++)
                if (a[i].port != b[i].port || !streq_ptr(a[i].host, b[i].host))
                        return false;
        return true;
}

const char *endpoint_to_string(const Endpoint *e, char *buf, size_t size) {
        bool v6 = e->host && strchr(e->host, ':');
        snprintf(buf, size, "%s%s%s:%u", v6 ? "[" : "", e->host ?: "", v6 ? "]" : "", (unsigned) e->port);
        return buf;
}
