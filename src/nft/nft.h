/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>

#include "model/bridge.h"

/* The nftables table "inet nfswg_NAME", built with libnftnl and sent over one libmnl socket as
 * one batch, every ACK read: the kernel applies the batch whole or not at all, so a failure leaves
 * the previous rules in place (as systemd's firewall-util-nft). Only our own table is touched.
 *
 * The table governs what comes through the bridge's own tunnel IFACE and what claims a tunnel
 * source address anywhere else; the host's other interfaces are the host firewall's business
 * (its LAN exports, other RPC services on 111, the NLM/SM_NOTIFY callbacks it gets as an NFS
 * client keep working), unless [Bridge] CloseNFSOn= names some of them.
 *
 * What the table holds (nft(8) notation; "l4" is tcp and udp, "ip(6)" both families, one rule each):
 *   counter nfs_accepted, nfs_refused, spoofed, fwd_accepted, fwd_refused
 *   set peers4 { type ipv4_addr; flags interval }   every peer's tunnel addresses
 *   set peers6 { type ipv6_addr; flags interval }
 *   set tunnel4, tunnel6 (interval)                  what only the tunnel may claim as a source:
 *                                                    Address= networks, the peers' addresses and
 *                                                    AllowedIPs= (a relay's site networks; /0 left out)
 *   set nfsports { type inet_service }              what peers may reach: 2049, 111 (+ mountd,
 *                                                    statd, statd outgoing and lockd when THIS
 *                                                    bridge offers NFSv3)
 *   set nfsclosed { type inet_service }             2049, 111 and every pinned port, always
 *   chain input { type filter hook input priority -10; policy accept;
 *     iifname != "lo" iifname != IFACE ip(6) saddr @tunnel4/6 counter name spoofed drop
 *     iifname IFACE ip(6) saddr @peers4/6 l4 dport @nfsports counter name nfs_accepted accept
 *     iifname IFACE l4 dport @nfsclosed counter name nfs_refused drop
 *     iifname CLOSED l4 dport @nfsclosed counter name nfs_refused drop }   per CloseNFSOn= name
 *   set fwdN_4, fwdN_6 (interval), fwdN_ports         per [Forward] N: To= (or @OTHER's networks
 *                                                    and its peers' addresses), Ports=nfs ports
 *   chain forward { type filter hook forward priority -10; policy accept;
 *     iifname != "lo" iifname != IFACE ip(6) saddr @tunnel4/6 counter name spoofed drop
 *     iifname IFACE ct state established,related accept
 *     iifname IFACE ip(6) saddr @peers ip(6) daddr @fwdN [l4 dport @fwdN_ports] counter name fwd_accepted accept
 *     iifname IFACE counter name fwd_refused drop
 *     oifname IFACE ct state established,related accept
 *     oifname IFACE iifgroup NFSWG_LINK_GROUP accept  from another bridge's tunnel: its own
 *                                                    table's [Forward] decided (To=@OTHER)
 *     oifname IFACE counter name fwd_refused drop }
 *   chain postrouting { type nat hook postrouting priority 100; policy accept;
 *     ip(6) saddr @peers ip(6) daddr @fwdN masquerade }   for Masquerade=yes
 *
 * The forward chain exists in every server mode, embedded too: with the host's forwarding on (a
 * router, a container host), peers would otherwise reach each other and whatever lies beyond.
 * Entering from the tunnel, only replies and what a [Forward] allows pass; leaving into it, only
 * replies to what was let through and what another nfswg tunnel's table let through, so nobody
 * on the host's other networks can open a connection to a peer. Replies are matched per
 * direction (iifname/oifname IFACE) and never by a leading blanket "ct state established
 * accept", which would let a LAN host's connection through once the host's own rules passed its
 * first packet.
 *
 * Priority -10 runs our chains before the usual priority-0 filter tables of the host. That order
 * decides only who counts first: a drop in any base chain is final, an accept ends only that
 * chain (nft(8), "base chain" and "verdict statement"). So what our table drops no rule of the
 * administrator's own tables can reopen, and our accepts reopen nothing the administrator's
 * tables drop: a host with a default-drop input policy must allow the NFS ports (and WireGuard's
 * ListenPort) on the tunnel interface itself, and its own drops still apply to the tunnel.
 * Non-NFS traffic from the tunnel to the host (WireGuard's UDP port included) is never dropped by
 * the input chain. nfswg.conf(5), FIREWALL, says the same for administrators. */

#define NFT_TABLE_PREFIX "nfswg_"

/* Named counters of the table */
#define NFT_COUNTER_NFS_ACCEPTED "nfs_accepted"
#define NFT_COUNTER_NFS_REFUSED "nfs_refused"
#define NFT_COUNTER_FWD_ACCEPTED "fwd_accepted"
#define NFT_COUNTER_FWD_REFUSED "fwd_refused"
#define NFT_COUNTER_SPOOFED "spoofed"

/* Sets of the table */
#define NFT_SET_PEERS4 "peers4"
#define NFT_SET_PEERS6 "peers6"
#define NFT_SET_TUNNEL4 "tunnel4"
#define NFT_SET_TUNNEL6 "tunnel6"
#define NFT_SET_NFS_PORTS "nfsports"
#define NFT_SET_NFS_CLOSED "nfsclosed"

/* At most this many NFS ports (2049, 111, mountd, statd, statd outgoing, lockd TCP and UDP). */
#define NFT_NFS_PORTS_MAX 7

/* "nfswg_NAME" into buf; -ENAMETOOLONG when it does not fit. */
int nft_table_name(const char *bridge_name, char *buf, size_t size);

/* The ports of the nfsports set (what b's peers may reach), ascending, without duplicates: 2049
 * and 111, plus the pinned NFSv3 side ports (h->nfs, or b->nfs when h is NULL) when b offers
 * NFSv3. Returns the count. */
size_t nft_nfs_ports(const Host *h, const Bridge *b, uint16_t ret[static NFT_NFS_PORTS_MAX]);
/* The ports of the nfsclosed set: 2049, 111 and every pinned port, whatever the versions. */
size_t nft_nfs_closed_ports(const Host *h, const Bridge *b, uint16_t ret[static NFT_NFS_PORTS_MAX]);

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
        /* forwarded through the tunnel and let through / dropped */
        uint64_t forward_accepted_packets;
        uint64_t forward_accepted_bytes;
        uint64_t forward_refused_packets;
        uint64_t forward_refused_bytes;
        /* a tunnel source address on another interface: dropped */
        uint64_t spoofed_packets;
        uint64_t spoofed_bytes;
} NftCounters;
/* -ENOENT when the table does not exist. */
int nft_read_counters(const char *bridge_name, NftCounters *ret);
