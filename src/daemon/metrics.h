/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/bridge.h"
#include "nft/nft.h"
#include "wg/wg.h"

/* What the daemon publishes about its bridge, without secrets, formatted (no I/O) as:
 *
 * - the status file /run/nfswg-status/NAME.json (world-readable: `nfswg status` of unprivileged
 *   users, a web page), one JSON object, one peer per line:
 *   {"bridge":S,"mode":S,"interface":S,"listen_port":N|null,"endpoint":S|null,"public_key":S|null,
 *    "device":B,"peers_up":N,"exports":N,"config_refused":B,
 *    "firewall":{"nfs_accepted_packets":N,"nfs_refused_packets":N,"forward_accepted_packets":N,
 *                "forward_refused_packets":N,"spoofed_packets":N}|null,
 *    "peers":[
 *    {"name":S,"public_key":S,"addresses":[S],"endpoint":S|null,"latest_handshake":N,"rx_bytes":N,
 *     "tx_bytes":N,"rx_rate":N,"tx_rate":N,"up":B,"state":S}]}
 *   latest_handshake is a unix time (0: never), rates are bytes per second over the last poll;
 *   there is no time of writing, so the file changes only when a figure does.
 * - the Prometheus text exposition format (version 0.0.4) for node-exporter's textfile collector,
 *   metric names as in nfswgd(8). */

typedef struct MetricsPeer {
        const char *name;
        const Peer *peer; /* its addresses; NULL for a client's server */
        char public_key[WG_KEY_B64_LEN + 1];
        char endpoint[WG_ENDPOINT_STRLEN]; /* "" when none */
        bool present;                      /* on the device */
        int64_t last_handshake_sec;        /* unix time, 0 = never */
        uint64_t rx_bytes, tx_bytes;
        uint64_t rx_rate, tx_rate; /* bytes/s */
        bool up;
        const char *state; /* peer_state_to_string() */
} MetricsPeer;

typedef struct MetricsInput {
        const Bridge *bridge;
        const char *public_key; /* base64, NULL when unknown */
        uint16_t listen_port;   /* 0: none */
        bool device;            /* the WireGuard device could be read */
        const NftCounters *counters; /* NULL: no table (client mode, or absent) */
        bool config_refused;
        const MetricsPeer *peers;
        size_t n_peers;
} MetricsInput;

/* NULL on OOM. */
char *metrics_format_status_json(const MetricsInput *in);
char *metrics_format_prometheus(const MetricsInput *in);

/* The rate of a counter between two samples, in units per second: 0 when there is no earlier
 * sample (prev_usec 0), when no time passed or when the counter went backwards (device re-made). */
uint64_t metrics_rate(uint64_t prev, uint64_t now, uint64_t prev_usec, uint64_t now_usec);
