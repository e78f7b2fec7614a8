/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>

#include "model/bridge.h"

/* The nftables table "inet nfswg_NAME", built with libnftnl and sent over one libmnl socket as
 * one batch, every ACK read: the kernel applies the batch whole or not at all, so a failure leaves
 * the previous rules in place (as systemd's firewall-util-nft). Only our own table is touched.
 *
 * What the table holds (nft(8) notation; "l4" is tcp and udp, one rule each):
 *   counter nfs_accepted, nfs_refused (and fwd_accepted, fwd_refused in nas/relay mode)
 *   set peers4 { type ipv4_addr; flags interval }   every peer's tunnel addresses
 *   set peers6 { type ipv6_addr; flags interval }
 *   set nfsports { type inet_service }              2049, 111 (+ mountd, statd, statd outgoing
 *                                                    and lockd when NFSv3 is on anywhere on the host)
 *   chain input { type filter hook input priority -10; policy accept;
 *     iifname "lo" accept
 *     iifname IFACE ip(6) saddr @peers4/6 l4 dport @nfsports counter name nfs_accepted accept
 *     iifname != IFACE meta iifgroup NFSWG_LINK_GROUP accept
 *                                                    any other bridge's tunnel, whenever it came:
 *                                                    its own table guards it (model/bridge.h)
 *     l4 dport @nfsports counter name nfs_refused drop }
 *   nas/relay only:
 *   set fwdN_4, fwdN_6 (interval), fwdN_ports         per [Forward] N: To= (or @OTHER's networks
 *                                                    and its peers' addresses), Ports=nfs ports
 *   chain forward { type filter hook forward priority -10; policy accept;
 *     ct state established,related accept
 *     iifname IFACE ip(6) saddr @peers ip(6) daddr @fwdN [l4 dport @fwdN_ports] counter name fwd_accepted accept
 *     iifname IFACE counter name fwd_refused drop }
 *   chain postrouting { type nat hook postrouting priority 100; policy accept;
 *     ip(6) saddr @peers ip(6) daddr @fwdN masquerade }   for Masquerade=yes
 *
 * Priority -10 runs our chains before the usual priority-0 filter tables of the host. That order
 * decides only who counts first: a drop in any base chain is final, an accept ends only that
 * chain (nft(8), "base chain" and "verdict statement"). So our drop keeps NFS off the WAN even
 * under an accept-all host table, and our accept cannot open what a host table drops: a host with
 * a default-drop input policy must allow the NFS ports on the tunnel interface itself.
 * Non-NFS traffic (WireGuard's UDP port included) is never dropped by the input chain. */

#define NFT_TABLE_PREFIX "nfswg_"

/* Named counters of the table */
#define NFT_COUNTER_NFS_ACCEPTED "nfs_accepted"
#define NFT_COUNTER_NFS_REFUSED "nfs_refused"
#define NFT_COUNTER_FWD_ACCEPTED "fwd_accepted"
#define NFT_COUNTER_FWD_REFUSED "fwd_refused"

/* Sets of the table */
#define NFT_SET_PEERS4 "peers4"
#define NFT_SET_PEERS6 "peers6"
#define NFT_SET_NFS_PORTS "nfsports"

/* At most this many NFS ports (2049, 111, mountd, statd, statd outgoing, lockd). */
#define NFT_NFS_PORTS_MAX 6

/* "nfswg_NAME" into buf; -ENAMETOOLONG when it does not fit. */
int nft_table_name(const char *bridge_name, char *buf, size_t size);

/* The ports of the nfsports set, ascending, without duplicates: 2049 and 111, plus the pinned
 * NFSv3 side ports (h->nfs, or b->nfs when h is NULL) when NFSv3 is enabled on the host (any
 * bridge: nfsd and mountd then listen on every address). Returns the count. */
size_t nft_nfs_ports(const Host *h, const Bridge *b, uint16_t ret[static NFT_NFS_PORTS_MAX]);

/* Builds the batch that replaces the bridge's table (add table, delete table, add table and its
 * sets, chains and rules) into a buffer for tests and benchmarks: *ret (caller frees), *ret_len.
 * Sequence numbers count up from seq; every message but the batch begin/end carries NLM_F_ACK.
 * h may be NULL (a bridge alone) unless a [Forward] names @OTHER. -EOPNOTSUPP for client mode,
 * which has no table. */
int nft_build_bridge_batch(const Host *h, const Bridge *b, uint32_t seq, void **ret, size_t *ret_len);
/* The batch of nft_update_peer_sets(): DELSETELEM for the removed peers' addresses, then
 * NEWSETELEM for the added ones; its size is O(added + removed). */
int nft_build_peer_sets_batch(const Bridge *b, const Peer *const *added, size_t n_added,
                              const Peer *const *removed, size_t n_removed, uint32_t seq,
                              void **ret, size_t *ret_len);
/* The batch that deletes the bridge's table. */
int nft_build_remove_batch(const char *bridge_name, uint32_t seq, void **ret, size_t *ret_len);

/* Sends a batch as built above over a fresh NETLINK_NETFILTER socket and reads the ACK of every
 * message that asked for one. Returns 0, or the error of the first failing message (-errno);
 * then the kernel applied nothing. */
int nft_send_batch(const void *batch, size_t len);

/* Replaces the table. 0 or -errno; on failure the old table stays. */
int nft_apply_bridge(const Host *h, const Bridge *b);
/* Adds/removes peer addresses in the allowed-peer sets only (live peer add/remove): one batch,
 * O(changes). Removing an address that is not in the set fails the batch with -ENOENT (nothing
 * changed); adding one that is there already is fine. Addresses are taken as networks (host bits
 * cleared); two peers must not share an address (the model rejects that). */
int nft_update_peer_sets(const Bridge *b, const Peer *const *added, size_t n_added,
                         const Peer *const *removed, size_t n_removed);
/* Deletes the table; a missing table is success. */
int nft_remove_bridge(const char *bridge_name);

typedef struct NftCounters {
        uint64_t accepted_packets;
        uint64_t accepted_bytes;
        uint64_t refused_packets;
        uint64_t refused_bytes;
        /* nas/relay: forwarded from the tunnel and let through / dropped; 0 in embedded mode */
        uint64_t forward_accepted_packets;
        uint64_t forward_accepted_bytes;
        uint64_t forward_refused_packets;
        uint64_t forward_refused_bytes;
} NftCounters;
/* -ENOENT when the table does not exist. */
int nft_read_counters(const char *bridge_name, NftCounters *ret);
