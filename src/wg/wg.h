/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "model/bridge.h"
#include "shared/ipaddr.h"
#include "shared/key.h"

/* A WireGuard device as the kernel (generic netlink family "wireguard") or a userspace
 * implementation (the cross-platform UAPI on /run/wireguard/IFNAME.sock) reports it, and the
 * changes we ask of it. Shaped like wireguard-tools' embeddable library. */

typedef enum WgPeerFlags {
        WG_PEER_REMOVE_ME = 1u << 0,
        WG_PEER_REPLACE_ALLOWEDIPS = 1u << 1,
        WG_PEER_HAS_PRESHARED_KEY = 1u << 2,
        WG_PEER_HAS_KEEPALIVE = 1u << 3,
        WG_PEER_HAS_ENDPOINT = 1u << 4,
} WgPeerFlags;

typedef union WgEndpoint {
        struct sockaddr addr;
        struct sockaddr_in addr4;
        struct sockaddr_in6 addr6;
} WgEndpoint;

typedef struct WgPeer {
        unsigned flags;
        WgKey public_key;
        WgKey preshared_key;
        WgEndpoint endpoint;
        uint16_t persistent_keepalive;
        int64_t last_handshake_sec; /* 0 = never */
        uint64_t rx_bytes;
        uint64_t tx_bytes;
        IpPrefix *allowed_ips;
        size_t n_allowed_ips;
} WgPeer;

typedef enum WgDeviceFlags {
        WG_DEVICE_REPLACE_PEERS = 1u << 0,
        WG_DEVICE_HAS_PRIVATE_KEY = 1u << 1,
        WG_DEVICE_HAS_LISTEN_PORT = 1u << 2,
} WgDeviceFlags;

typedef struct WgDevice {
        char ifname[16];
        unsigned flags;
        WgKey private_key; /* wiped by wg_device_free() */
        WgKey public_key;
        uint16_t listen_port;
        WgPeer *peers;
        size_t n_peers;
} WgDevice;

WgDevice *wg_device_free(WgDevice *d);
static inline void wg_device_freep(WgDevice **d) {
        wg_device_free(*d);
}

/* Reads the device: UAPI socket when /run/wireguard/IFNAME.sock exists (uapi_dir overrides the
 * directory for tests, NULL = /run/wireguard), else generic netlink. */
int wg_device_get(const char *ifname, const char *uapi_dir, WgDevice **ret);
/* Applies exactly what dev says (flags decide): peers listed are added/updated/removed, peers not
 * listed are left alone unless WG_DEVICE_REPLACE_PEERS. */
int wg_device_set(const WgDevice *dev, const char *uapi_dir);

/* The device the bridge asks for: its key, port, and one peer per [Peer] with AllowedIPs = the
 * peer's tunnel addresses (+ forwarded networks of site peers). */
int wg_device_from_bridge(const Bridge *b, const WgKey private_key, WgDevice **ret);
/* The smallest change that turns current into desired (what `wg syncconf` does): removed peers
 * get WG_PEER_REMOVE_ME, new or changed peers are listed with WG_PEER_REPLACE_ALLOWEDIPS, peers
 * already right are not listed, so their sessions are not disturbed. *ret_changes counts peers. */
int wg_device_diff(const WgDevice *current, const WgDevice *desired, WgDevice **ret, size_t *ret_changes);
