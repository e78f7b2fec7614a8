/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <inttypes.h>
#include <sys/socket.h>

#include "cli/status.h"
#include "shared/strbuf.h"

const WgPeer *status_device_peer(const WgDevice *d, const Peer *p) {
        for (size_t i = 0; d && i < d->n_peers; i++)
                if (memcmp(d->peers[i].public_key, p->public_key, WG_KEY_LEN) == 0)
                        return &d->peers[i];
        return NULL;
}

void format_age(int64_t s, char *buf, size_t size) {
        if (s < 0)
                s = 0;
        if (s < 60)
                snprintf(buf, size, "%" PRId64 " s", s);
        else if (s < 3600)
                snprintf(buf, size, "%" PRId64 " min %" PRId64 " s", s / 60, s % 60);
        else if (s < 86400)
                snprintf(buf, size, "%" PRId64 " h %" PRId64 " min", s / 3600, s % 3600 / 60);
        else
                snprintf(buf, size, "%" PRId64 " d %" PRId64 " h", s / 86400, s % 86400 / 3600);
}

void format_bytes(uint64_t bytes, char *buf, size_t size) {
        static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
        if (bytes < 1024) {
                snprintf(buf, size, "%" PRIu64 " B", bytes);
                return;
        }
        double v = (double) bytes / 1024;
        size_t u = 0;
        while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
                v /= 1024;
                u++;
        }
        snprintf(buf, size, "%.2f %s", v, units[u]);
}

void format_wg_endpoint(const WgEndpoint *e, char *buf, size_t size) {
        char t[WG_ENDPOINT_STRLEN];
        snprintf(buf, size, "%s", wg_endpoint_format(e, t) >= 0 ? t : "");
}

/* ---- JSON (RFC 8259): a tiny writer is all output needs (json_string: shared/json.h) ---- */

static void json_key(StrBuf *s, bool *first, const char *key) {
        strbuf_append(s, *first ? "" : ",");
        *first = false;
        json_string(s, key);
        strbuf_append(s, ":");
}

static void json_u64_or_null(StrBuf *s, bool present, uint64_t v) {
        if (present)
                strbuf_appendf(s, "%" PRIu64, v);
        else
                strbuf_append(s, "null");
}

static void json_peer(StrBuf *s, const StatusInput *in, const Peer *p, time_t now) {
        const WgPeer *wp = status_device_peer(in->device, p);
        char key[WG_KEY_B64_LEN + 1], a[IP_PREFIX_STRLEN], ep[INET6_ADDRSTRLEN + 16], when[32];
        bool first = true;

        strbuf_append(s, "{");
        json_key(s, &first, "name");
        json_string(s, p->name);
        json_key(s, &first, "public_key");
        wg_key_to_base64(key, p->public_key);
        json_string(s, key);
        json_key(s, &first, "addresses");
        strbuf_append(s, "[");
        for (size_t i = 0; i < p->n_addresses; i++) {
                strbuf_append(s, i ? "," : "");
                json_string(s, ip_prefix_format(&p->addresses[i], a));
        }
        strbuf_append(s, "]");

        json_key(s, &first, "endpoint");
        if (wp)
                format_wg_endpoint(&wp->endpoint, ep, sizeof ep);
        json_string(s, wp && ep[0] ? ep : NULL);

        bool handshake = wp && wp->last_handshake_sec > 0;
        json_key(s, &first, "latest_handshake");
        if (handshake) {
                struct tm tm;
                time_t t = (time_t) wp->last_handshake_sec;
                strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
                json_string(s, when);
        } else
                json_string(s, NULL);
        json_key(s, &first, "handshake_age_seconds");
        int64_t age = handshake ? (int64_t) now - wp->last_handshake_sec : 0;
        json_u64_or_null(s, handshake, (uint64_t) (age < 0 ? 0 : age));
        json_key(s, &first, "rx_bytes");
        json_u64_or_null(s, wp, wp ? wp->rx_bytes : 0);
        json_key(s, &first, "tx_bytes");
        json_u64_or_null(s, wp, wp ? wp->tx_bytes : 0);
        const StatusFilePeer *sp = status_file_peer(in->published, p->public_key);
        json_key(s, &first, "rx_rate");
        json_u64_or_null(s, sp, sp ? sp->rx_rate : 0);
        json_key(s, &first, "tx_rate");
        json_u64_or_null(s, sp, sp ? sp->tx_rate : 0);
        strbuf_append(s, "}");
}

static void json_bridge(StrBuf *s, const StatusInput *in, time_t now) {
        const Bridge *b = in->bridge;
        char a[IP_PREFIX_STRLEN];
        bool first = true;

        strbuf_append(s, "{");
        json_key(s, &first, "name");
        json_string(s, b->name);
        json_key(s, &first, "unit_state");
        json_string(s, in->unit_state ?: "unknown");
        json_key(s, &first, "interface");
        json_string(s, b->interface);
        json_key(s, &first, "listen_port");
        uint16_t port = in->device ? in->device->listen_port : b->listen_port;
        json_u64_or_null(s, port > 0, port);
        json_key(s, &first, "public_key");
        json_string(s, in->public_key);

        json_key(s, &first, "peers");
        strbuf_append(s, "[");
        for (size_t i = 0; i < b->n_peers; i++) {
                strbuf_append(s, i ? "," : "");
                json_peer(s, in, &b->peers[i], now);
        }
        strbuf_append(s, "]");

        json_key(s, &first, "exports");
        strbuf_append(s, "[");
        for (size_t i = 0; i < b->n_exports; i++) {
                const Export *e = &b->exports[i];
                bool efirst = true, cfirst = true;
                strbuf_append(s, i ? ",{" : "{");
                json_key(s, &efirst, "path");
                json_string(s, e->path);
                json_key(s, &efirst, "clients");
                strbuf_append(s, "[");
                for (size_t j = 0; j < b->n_peers; j++) {
                        if (!export_allows_peer(e, &b->peers[j]))
                                continue;
                        for (size_t k = 0; k < b->peers[j].n_addresses; k++) {
                                strbuf_append(s, cfirst ? "" : ",");
                                cfirst = false;
                                json_string(s, ip_prefix_format(&b->peers[j].addresses[k], a));
                        }
                }
                strbuf_append(s, "]}");
        }
        strbuf_append(s, "]");

        json_key(s, &first, "nft");
        if (in->counters)
                strbuf_appendf(s, "{\"accepted_packets\":%" PRIu64 ",\"refused_packets\":%" PRIu64 "}",
                               in->counters->accepted_packets, in->counters->refused_packets);
        else
                strbuf_append(s, "null");
        strbuf_append(s, "}");
}

char *status_format_peers_json(const StatusInput *v, time_t now) {
        StrBuf s = {};
        strbuf_append(&s, "{\"bridge\":");
        json_string(&s, v->bridge->name);
        strbuf_append(&s, ",\"peers\":[");
        for (size_t i = 0; i < v->bridge->n_peers; i++) {
                strbuf_append(&s, i ? "," : "");
                json_peer(&s, v, &v->bridge->peers[i], now);
        }
        strbuf_append(&s, "]}\n");
        return strbuf_finish(&s);
}

char *status_format_json(const StatusInput *v, size_t n, time_t now) {
        StrBuf s = {};
        strbuf_append(&s, "{\"bridges\":[");
        for (size_t i = 0; i < n; i++) {
                strbuf_append(&s, i ? "," : "");
                json_bridge(&s, &v[i], now);
        }
        strbuf_append(&s, "]}\n");
        return strbuf_finish(&s);
}

/* ---- text ---- */

char *status_format_text(const StatusInput *v, size_t n, time_t now) {
        StrBuf s = {};
        char a[IP_PREFIX_STRLEN], ep[INET6_ADDRSTRLEN + 16], age[48], rx[32], tx[32];

        for (size_t i = 0; i < n; i++) {
                const StatusInput *in = &v[i];
                const Bridge *b = in->bridge;
                uint16_t port = in->device ? in->device->listen_port : b->listen_port;

                strbuf_appendf(&s, "%s● %s (nfswg@%s.service: %s, %s mode)\n", i ? "\n" : "", b->name, b->name,
                               in->unit_state ?: "unknown", bridge_mode_to_string(b->mode));
                if (in->refused)
                        strbuf_appendf(&s, "  configuration: newer one REFUSED, %s: %s\n",
                                       in->refused_last_good ? "serving the last good one" : "the running one stays",
                                       in->refused);
                strbuf_appendf(&s, "  interface: %s%s\n", b->interface, in->device ? "" : " (absent)");
                if (port)
                        strbuf_appendf(&s, "  listening port: %u\n", port);
                strbuf_appendf(&s, "  public key: %s\n", in->public_key ?: "(unknown)");

                for (size_t j = 0; j < b->n_peers; j++) {
                        const Peer *p = &b->peers[j];
                        const WgPeer *wp = status_device_peer(in->device, p);
                        strbuf_appendf(&s, "  peer %s:", p->name);
                        for (size_t k = 0; k < p->n_addresses; k++)
                                strbuf_appendf(&s, "%s%s", k ? ", " : " ", ip_prefix_format(&p->addresses[k], a));
                        strbuf_append(&s, "\n");
                        if (!wp) {
                                strbuf_append(&s, "    not on the interface\n");
                                continue;
                        }
                        format_wg_endpoint(&wp->endpoint, ep, sizeof ep);
                        if (ep[0])
                                strbuf_appendf(&s, "    endpoint: %s\n", ep);
                        if (wp->last_handshake_sec > 0) {
                                format_age((int64_t) now - wp->last_handshake_sec, age, sizeof age);
                                strbuf_appendf(&s, "    latest handshake: %s ago\n", age);
                        } else
                                strbuf_append(&s, "    latest handshake: never\n");
                        format_bytes(wp->rx_bytes, rx, sizeof rx);
                        format_bytes(wp->tx_bytes, tx, sizeof tx);
                        strbuf_appendf(&s, "    transfer: %s received, %s sent\n", rx, tx);
                        const StatusFilePeer *sp = status_file_peer(in->published, p->public_key);
                        if (sp) {
                                format_bytes(sp->rx_rate, rx, sizeof rx);
                                format_bytes(sp->tx_rate, tx, sizeof tx);
                                strbuf_appendf(&s, "    rate: %s/s received, %s/s sent\n", rx, tx);
                        }
                }
                for (size_t j = 0; j < b->n_exports; j++) {
                        const Export *e = &b->exports[j];
                        size_t count = 0;
                        strbuf_appendf(&s, "  export %s%s:", e->path, e->read_only ? " (read-only)" : "");
                        for (size_t k = 0; k < b->n_peers; k++)
                                if (export_allows_peer(e, &b->peers[k]))
                                        for (size_t m = 0; m < b->peers[k].n_addresses; m++, count++)
                                                strbuf_appendf(&s, " %s", ip_prefix_format(&b->peers[k].addresses[m], a));
                        strbuf_append(&s, count ? "\n" : " (no peer yet)\n");
                }
                if (in->counters)
                        strbuf_appendf(&s, "  nftables: %" PRIu64 " NFS packets accepted, %" PRIu64 " refused\n",
                                       in->counters->accepted_packets, in->counters->refused_packets);
                else
                        strbuf_appendf(&s, "  nftables: no table %s%s\n", NFT_TABLE_PREFIX, b->name);
        }
        return strbuf_finish(&s);
}
