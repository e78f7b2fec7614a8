/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <time.h>

#include "model/bridge.h"
#include "cli/status-file.h"
#include "nft/nft.h"
#include "shared/json.h"
#include "shared/strbuf.h"
#include "wg/wg.h"

/* What `nfswg status` shows, from the model and what the system reports, formatted as text or as the
 * stable JSON documented in nfswg(8):
 *
 * {"bridges":[{"name":S,"unit_state":S,"interface":S,"listen_port":N|null,"public_key":S|null,
 *   "peers":[{"name":S,"public_key":S,"addresses":[S],"endpoint":S|null,"latest_handshake":S|null,
 *             "handshake_age_seconds":N|null,"rx_bytes":N|null,"tx_bytes":N|null,
 *             "rx_rate":N|null,"tx_rate":N|null}],
 *   "exports":[{"path":S,"clients":[S]}],
 *   "nft":{"accepted_packets":N,"refused_packets":N}|null}]}
 *
 * Addresses and clients are "ADDR/LEN"; latest_handshake is UTC ISO 8601 ("2024-05-01T12:00:00Z");
 * endpoint is "ADDR:PORT" or "[V6]:PORT". A peer without a handshake, or a bridge whose interface is
 * absent, has nulls there; "nft" is null when the table is absent. rx_rate and tx_rate are bytes per
 * second over the daemon's last poll, from its status file (null without one). Keys always appear, in this
 * order. */

typedef struct StatusInput {
        const Bridge *bridge;
        const char *unit_state; /* ActiveState of nfswg@NAME.service, or "unknown" */
        const WgDevice *device; /* NULL: the interface does not exist */
        const char *public_key; /* base64, NULL when unknown */
        const NftCounters *counters; /* NULL: no table */
        /* Text only: the daemon refused a newer configuration for these reasons ("; "-joined
         * FILE:LINE messages), or NULL; refused_last_good: a start serves the last good copy. */
        const char *refused;
        bool refused_last_good;
        const StatusFile *published; /* the daemon's status file (rates), NULL when absent */
} StatusInput;

char *status_format_json(const StatusInput *v, size_t n, time_t now);
/* `nfswg peer list NAME --json`, documented in nfswg(8): the peers of v as in status --json,
 * {"bridge":S,"peers":[...]} with the same keys per peer. */
char *status_format_peers_json(const StatusInput *v, time_t now);
char *status_format_text(const StatusInput *v, size_t n, time_t now);

/* The device's peer with p's public key, or NULL. */
const WgPeer *status_device_peer(const WgDevice *d, const Peer *p);

/* "3 s", "5 min 2 s", "2 h 1 min", "4 d 2 h" */
void format_age(int64_t seconds, char *buf, size_t size);
/* "512 B", "1.50 KiB", "3.25 GiB" */
void format_bytes(uint64_t bytes, char *buf, size_t size);
/* "192.0.2.1:51820", "[2001:db8::1]:51820"; "" when the peer has no endpoint */
void format_wg_endpoint(const WgEndpoint *e, char *buf, size_t size);
