/* SPDX-License-Identifier: MIT */
#include <inttypes.h>

#include "daemon/metrics.h"
#include "daemon/peer-watch.h"
#include "shared/strbuf.h"

const char *peer_state_to_string(PeerState s) {
        switch (s) {
        case PEER_STATE_NEW:
                return "new";
        case PEER_STATE_UP:
                return "up";
        case PEER_STATE_STALE:
                return "stale";
        case PEER_STATE_DOWN:
                return "down";
        }
        return NULL;
}

void peer_watch_update(PeerWatch *w, const PeerReading *r, int64_t now_sec, PeerChange *ret) {
        PeerChange c = { .event = _EVENT_NONE, .handshake_age = -1 };
        int64_t last = r->present ? r->last_handshake_sec : 0;
        const char *endpoint = r->present && r->endpoint ? r->endpoint : "";

        if (last > 0)
                /* A handshake stamped in the future (clock stepped back) counts as just now. */
                c.handshake_age = now_sec > last ? now_sec - last : 0;

        PeerState next;
        if (last > 0 && c.handshake_age < PEER_UP_WITHIN_SEC)
                next = PEER_STATE_UP;
        else if (w->state == PEER_STATE_NEW)
                next = PEER_STATE_NEW;
        else if (w->state == PEER_STATE_DOWN || last == 0 || c.handshake_age >= PEER_DOWN_AFTER_SEC)
                /* last == 0 after being up: the device forgot the session (re-created, peer re-added). */
                next = PEER_STATE_DOWN;
        else
                next = PEER_STATE_STALE;

        if (next == PEER_STATE_UP && w->state != PEER_STATE_UP)
                c.event = EVENT_PEER_UP;
        else if (next == PEER_STATE_UP && *w->endpoint && *endpoint && !streq(w->endpoint, endpoint)) {
                c.event = EVENT_PEER_ROAMED;
                snprintf(c.old_endpoint, sizeof c.old_endpoint, "%s", w->endpoint);
        } else if (next == PEER_STATE_STALE && w->state == PEER_STATE_UP)
                c.event = EVENT_PEER_STALE;
        else if (next == PEER_STATE_DOWN && w->state != PEER_STATE_DOWN)
                c.event = EVENT_PEER_DOWN;

        w->state = next;
        w->last_handshake_sec = last;
        /* Keep the last endpoint we knew, so a peer that comes back elsewhere can be told apart. */
        if (*endpoint)
                snprintf(w->endpoint, sizeof w->endpoint, "%s", endpoint);
        if (ret)
                *ret = c;
}

void peer_watch_sample(PeerWatch *w, bool present, uint64_t rx_bytes, uint64_t tx_bytes, uint64_t now_usec) {
        if (!present) {
                /* Off the device: its counters start again from 0 when it comes back. */
                w->rx_bytes = w->tx_bytes = w->rx_rate = w->tx_rate = w->sample_usec = 0;
                return;
        }
        w->rx_rate = metrics_rate(w->rx_bytes, rx_bytes, w->sample_usec, now_usec);
        w->tx_rate = metrics_rate(w->tx_bytes, tx_bytes, w->sample_usec, now_usec);
        w->rx_bytes = rx_bytes;
        w->tx_bytes = tx_bytes;
        w->sample_usec = now_usec;
}

static void append_list_item(StrBuf *sb, bool *first, const char *s) {
        strbuf_appendf(sb, "%s%s", *first ? "" : ", ", s);
        *first = false;
}

char *status_format(const Bridge *b, size_t n_up) {
        StrBuf sb = {};

        if (b->mode == BRIDGE_MODE_CLIENT) {
                if (b->server.n_endpoints > 0) {
                        const Endpoint *e = &b->server.endpoints[0];
                        bool v6 = strchr(e->host, ':');
                        strbuf_appendf(&sb, "tunnel to %s%s%s:%u %s", v6 ? "[" : "", e->host, v6 ? "]" : "",
                                       (unsigned) e->port, n_up > 0 ? "up" : "not connected");
                } else
                        strbuf_appendf(&sb, "tunnel %s", n_up > 0 ? "up" : "not connected");
                if (b->n_mounts > 0) {
                        bool first = true;
                        strbuf_append(&sb, ", mounts ");
                        for (size_t i = 0; i < b->n_mounts; i++)
                                append_list_item(&sb, &first, b->mounts[i].where);
                }
                return strbuf_finish(&sb);
        }

        strbuf_appendf(&sb, "%zu peer%s, %zu up", b->n_peers, b->n_peers == 1 ? "" : "s", n_up);
        if (b->n_exports > 0) {
                bool first = true;
                strbuf_append(&sb, ", exporting ");
                for (size_t i = 0; i < b->n_exports; i++)
                        append_list_item(&sb, &first, b->exports[i].path);
        }
        if (b->n_forwards > 0) {
                bool first = true;
                strbuf_append(&sb, ", forwarding to ");
                for (size_t i = 0; i < b->n_forwards; i++) {
                        char buf[IP_PREFIX_STRLEN + 1];
                        const Forward *f = &b->forwards[i];
                        if (f->to_bridge)
                                snprintf(buf, sizeof buf, "@%s", f->to_bridge);
                        else
                                ip_prefix_format(&f->to, buf);
                        append_list_item(&sb, &first, buf);
                }
        }
        return strbuf_finish(&sb);
}

char *status_format_refused(const char *status, char *const *reasons) {
        StrBuf sb = {};
        strbuf_appendf(&sb, "%s; serving the last good configuration, newer one refused:", status);
        STRV_FOREACH(r, reasons)
                strbuf_appendf(&sb, " %s", *r);
        return strbuf_finish(&sb);
}
