/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>

#include "model/bridge.h"
#include "nft/nft.h"
#include "wg/wg.h"

/* /run/nfswg-status/NAME.json, the status nfswgd publishes for every user (its
 * src/daemon/metrics.h documents the format: one JSON object, one peer per line). Read back by
 * `nfswg status` for the transfer rates the daemon measures between its polls, and in place of the
 * device and the table where this user cannot read those (not root). */

typedef struct StatusFilePeer {
        char *name;
        WgKey public_key;
        uint64_t rx_rate, tx_rate;
} StatusFilePeer;

typedef struct StatusFile {
        Bridge *bridge;   /* name, mode, interface, listen port and peers (name, key, addresses) */
        WgDevice *device; /* the peers' endpoint, handshake and transfer; NULL when "device" was false */
        bool has_counters;
        NftCounters counters;
        StatusFilePeer *peers;
        size_t n_peers;
        bool config_refused;
} StatusFile;

/* Parses text; -EINVAL when it is not a status file. */
int status_file_parse(const char *text, StatusFile *ret);
/* Reads path (-errno) and parses it. */
int status_file_read(const char *path, StatusFile *ret);
void status_file_done(StatusFile *f);
/* The rates of the peer with this key, or NULL. */
const StatusFilePeer *status_file_peer(const StatusFile *f, const WgKey key);
