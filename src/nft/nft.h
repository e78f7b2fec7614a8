/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>

#include "model/bridge.h"

/* The nftables table "inet nfswg_NAME", built with libnftnl and sent over one libmnl socket as
 * one batch, every ACK read: the kernel applies the batch whole or not at all, so a failure leaves
 * the previous rules in place (as systemd's firewall-util-nft). Only our own table is touched. */

#define NFT_TABLE_PREFIX "nfswg_"

/* Builds the batch that replaces the bridge's table (add table, delete table, add table and its
 * sets, chains and rules) into a buffer for tests and benchmarks: *ret (caller frees), *ret_len. */
int nft_build_bridge_batch(const Host *h, const Bridge *b, uint32_t seq, void **ret, size_t *ret_len);

/* Replaces the table. 0 or -errno; on failure the old table stays. */
int nft_apply_bridge(const Host *h, const Bridge *b);
/* Adds/removes peer addresses in the allowed-peer sets only (live peer add/remove). */
int nft_update_peer_sets(const Bridge *b, const Peer *const *added, size_t n_added,
                         const Peer *const *removed, size_t n_removed);
/* Deletes the table; a missing table is success. */
int nft_remove_bridge(const char *bridge_name);

typedef struct NftCounters {
        uint64_t accepted_packets;
        uint64_t accepted_bytes;
        uint64_t refused_packets;
        uint64_t refused_bytes;
} NftCounters;
/* -ENOENT when the table does not exist. */
int nft_read_counters(const char *bridge_name, NftCounters *ret);
