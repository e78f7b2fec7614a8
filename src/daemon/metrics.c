/* SPDX-License-Identifier: MIT */
#include <inttypes.h>

#include "daemon/metrics.h"
#include "shared/json.h"
#include "shared/strbuf.h"

uint64_t metrics_rate(uint64_t prev, uint64_t now, uint64_t prev_usec, uint64_t now_usec) {
        if (prev_usec == 0 || now_usec <= prev_usec || now < prev)
                return 0;
        /* 128-bit product: a counter delta in the TiB times 10^6 overflows 64 bits. */
        return (uint64_t) ((unsigned __int128) (now - prev) * 1000000u / (now_usec - prev_usec));
}

static const char *bool_str(bool b) {
        return b ? "true" : "false";
}

char *metrics_format_status_json(const MetricsInput *in) {
        const Bridge *b = in->bridge;
        StrBuf s = {};
        char a[IP_PREFIX_STRLEN];
        size_t n_up = 0;

        for (size_t i = 0; i < in->n_peers; i++)
                n_up += in->peers[i].up;

        strbuf_append(&s, "{\"bridge\":");
        json_string(&s, b->name);
        strbuf_append(&s, ",\"mode\":");
        json_string(&s, bridge_mode_to_string(b->mode));
        strbuf_append(&s, ",\"interface\":");
        json_string(&s, b->interface);
        strbuf_append(&s, ",\"listen_port\":");
        if (in->listen_port)
                strbuf_appendf(&s, "%u", (unsigned) in->listen_port);
        else
                strbuf_append(&s, "null");
        strbuf_append(&s, ",\"endpoint\":");
        const Endpoint *e = b->mode == BRIDGE_MODE_CLIENT ? (b->server.n_endpoints ? &b->server.endpoints[0] : NULL)
                                                          : (b->endpoint.host ? &b->endpoint : NULL);
        if (e) {
                char *t = NULL;
                bool v6 = strchr(e->host, ':');
                if (asprintf(&t, "%s%s%s:%u", v6 ? "[" : "", e->host, v6 ? "]" : "", (unsigned) e->port) < 0)
                        t = NULL;
                json_string(&s, t ?: "");
                free(t);
        } else
                strbuf_append(&s, "null");
        strbuf_append(&s, ",\"public_key\":");
        json_string(&s, in->public_key);
        strbuf_appendf(&s, ",\"device\":%s,\"peers_up\":%zu,\"exports\":%zu,\"config_refused\":%s,\"firewall\":",
                       bool_str(in->device), n_up, b->n_exports, bool_str(in->config_refused));
        if (in->counters)
                strbuf_appendf(&s,
                               "{\"nfs_accepted_packets\":%" PRIu64 ",\"nfs_refused_packets\":%" PRIu64
                               ",\"forward_accepted_packets\":%" PRIu64 ",\"forward_refused_packets\":%" PRIu64
                               ",\"spoofed_packets\":%" PRIu64 "}",
                               in->counters->accepted_packets, in->counters->refused_packets,
                               in->counters->forward_accepted_packets, in->counters->forward_refused_packets,
                               in->counters->spoofed_packets);
        else
                strbuf_append(&s, "null");
        strbuf_append(&s, ",\"peers\":[");
        for (size_t i = 0; i < in->n_peers; i++) {
                const MetricsPeer *p = &in->peers[i];
                strbuf_append(&s, i ? ",\n{\"name\":" : "\n{\"name\":");
                json_string(&s, p->name);
                strbuf_append(&s, ",\"public_key\":");
                json_string(&s, p->public_key);
                strbuf_append(&s, ",\"addresses\":[");
                for (size_t k = 0; p->peer && k < p->peer->n_addresses; k++) {
                        strbuf_append(&s, k ? "," : "");
                        json_string(&s, ip_prefix_format(&p->peer->addresses[k], a));
                }
                strbuf_append(&s, "],\"endpoint\":");
                json_string(&s, *p->endpoint ? p->endpoint : NULL);
                strbuf_appendf(&s,
                               ",\"latest_handshake\":%" PRId64 ",\"rx_bytes\":%" PRIu64 ",\"tx_bytes\":%" PRIu64
                               ",\"rx_rate\":%" PRIu64 ",\"tx_rate\":%" PRIu64 ",\"up\":%s,\"state\":",
                               p->last_handshake_sec, p->rx_bytes, p->tx_bytes, p->rx_rate, p->tx_rate, bool_str(p->up));
                json_string(&s, p->state ?: "new");
                strbuf_append(&s, "}");
        }
        strbuf_append(&s, "]}\n");
        return strbuf_finish(&s);
}

/* A label value of the exposition format: backslash, double quote and line feed escaped. */
static void prom_label(StrBuf *s, const char *v) {
        strbuf_append(s, "\"");
        for (const char *p = v; *p; p++)
                if (*p == '\\')
                        strbuf_append(s, "\\\\");
                else if (*p == '"')
                        strbuf_append(s, "\\\"");
                else if (*p == '\n')
                        strbuf_append(s, "\\n");
                else
                        strbuf_appendf(s, "%c", *p);
        strbuf_append(s, "\"");
}

static void prom_head(StrBuf *s, const char *name, const char *type, const char *help) {
        strbuf_appendf(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_peer_metric(StrBuf *s, const MetricsInput *in, const char *name, const char *type, const char *help,
                             int what) {
        if (in->n_peers == 0)
                return;
        prom_head(s, name, type, help);
        for (size_t i = 0; i < in->n_peers; i++) {
                const MetricsPeer *p = &in->peers[i];
                strbuf_appendf(s, "%s{bridge=", name);
                prom_label(s, in->bridge->name);
                strbuf_append(s, ",peer=");
                prom_label(s, p->name);
                switch (what) {
                case 0:
                        strbuf_appendf(s, "} %" PRId64 "\n", p->last_handshake_sec);
                        break;
                case 1:
                        strbuf_appendf(s, "} %" PRIu64 "\n", p->rx_bytes);
                        break;
                case 2:
                        strbuf_appendf(s, "} %" PRIu64 "\n", p->tx_bytes);
                        break;
                default:
                        strbuf_appendf(s, "} %d\n", p->up ? 1 : 0);
                }
        }
}

static void prom_bridge_value(StrBuf *s, const MetricsInput *in, const char *name, const char *type, const char *help,
                              uint64_t v) {
        prom_head(s, name, type, help);
        strbuf_appendf(s, "%s{bridge=", name);
        prom_label(s, in->bridge->name);
        strbuf_appendf(s, "} %" PRIu64 "\n", v);
}

char *metrics_format_prometheus(const MetricsInput *in) {
        StrBuf s = {};

        prom_peer_metric(&s, in, "nfswg_peer_last_handshake_seconds", "gauge",
                         "Unix time of the latest WireGuard handshake with the peer (0: never).", 0);
        prom_peer_metric(&s, in, "nfswg_peer_receive_bytes_total", "counter", "Bytes received from the peer.", 1);
        prom_peer_metric(&s, in, "nfswg_peer_transmit_bytes_total", "counter", "Bytes sent to the peer.", 2);
        prom_peer_metric(&s, in, "nfswg_peer_up", "gauge",
                         "1 when the peer had a handshake within the last 180 seconds, else 0.", 3);
        prom_bridge_value(&s, in, "nfswg_peers", "gauge", "Peers configured on the bridge.", in->n_peers);
        prom_bridge_value(&s, in, "nfswg_exports", "gauge", "Exports of the bridge.", in->bridge->n_exports);
        if (in->counters) {
                static const char *const reasons[] = { "nfs_refused", "forward_refused", "spoofed" };
                const uint64_t values[] = { in->counters->refused_packets, in->counters->forward_refused_packets,
                                            in->counters->spoofed_packets };
                prom_head(&s, "nfswg_firewall_dropped_packets_total", "counter",
                          "Packets the bridge's nftables table dropped, by reason.");
                for (size_t i = 0; i < ELEMENTSOF(reasons); i++) {
                        strbuf_append(&s, "nfswg_firewall_dropped_packets_total{bridge=");
                        prom_label(&s, in->bridge->name);
                        strbuf_appendf(&s, ",reason=\"%s\"} %" PRIu64 "\n", reasons[i], values[i]);
                }
        }
        prom_bridge_value(&s, in, "nfswg_config_refused", "gauge",
                          "1 while a newer configuration is refused and an older one is served.", in->config_refused);
        return strbuf_finish(&s);
}
