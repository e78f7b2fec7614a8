/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "model/bridge.h"
#include "shared/ipaddr.h"
#include "shared/key.h"

struct nlmsghdr;

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

/* The default directory of userspace implementations' UAPI sockets (wireguard-go, boringtun):
 * https://www.wireguard.com/xplatform/ */
#define WG_UAPI_DIR "/run/wireguard"

/* Reads the device: UAPI socket when /run/wireguard/IFNAME.sock exists (uapi_dir overrides the
 * directory for tests, NULL = /run/wireguard), else generic netlink. */
int wg_device_get(const char *ifname, const char *uapi_dir, WgDevice **ret);
/* Whether a userspace implementation serves ifname: uapi_dir/IFNAME.sock exists and is a socket. */
bool wg_uapi_available(const char *ifname, const char *uapi_dir);
/* Applies exactly what dev says (flags decide): peers listed are added/updated/removed, peers not
 * listed are left alone unless WG_DEVICE_REPLACE_PEERS. */
int wg_device_set(const WgDevice *dev, const char *uapi_dir);

/* The device the bridge asks for: its key, port, and one peer per [Peer] with AllowedIPs = the
 * peer's tunnel addresses as host routes + its AllowedIPs= networks (relay sites); keepalive always
 * set (0 = off); the preshared key read from PresharedKeyFile= (a read failure fails the call);
 * the endpoint from the first Endpoint=, resolved with wg_endpoint_resolve() — a name that does
 * not resolve (in time) is logged as a warning and leaves the endpoint unset. In client mode the one peer is
 * [Server]. ifname is Interface=. */
int wg_device_from_bridge(const Bridge *b, const WgKey private_key, WgDevice **ret);
/* The smallest change that turns current into desired (what `wg syncconf` does): removed peers
 * get WG_PEER_REMOVE_ME, new or changed peers are listed with WG_PEER_REPLACE_ALLOWEDIPS, peers
 * already right are not listed, so their sessions are not disturbed. *ret_changes counts peers. */
int wg_device_diff(const WgDevice *current, const WgDevice *desired, WgDevice **ret, size_t *ret_changes);

/* Frees the peers of d and wipes every key they held; d itself stays (for stack devices). */
void wg_device_clear(WgDevice *d);
/* Sorts each peer's allowed IPs and drops duplicates (the model and the kernel may order them
 * differently; the diff compares sets). */
void wg_peer_normalize_allowed_ips(WgPeer *p);
const WgPeer *wg_device_find_peer(const WgDevice *d, const WgKey public_key);
/* Appends a zeroed peer. Only for devices whose peers were all added this way (every device this
 * layer creates): the array grows in powers of two and old blocks are wiped, not realloc'ed. */
WgPeer *wg_device_push_peer(WgDevice *d);

/* --- Userspace: the cross-platform UAPI, line-oriented key=value over a unix socket. --- */

/* The "set=1" request for dev, up to and including the terminating blank line. The text carries
 * keys: release it with wg_secret_free(). */
int wg_uapi_format_set(const WgDevice *dev, char **ret);
/* Parses a "get=1" reply (up to the blank line). A reply whose errno=N is not 0 returns -N. */
int wg_uapi_parse_get(const char *ifname, const char *text, WgDevice **ret);
/* The errno=N of a "set=1" reply: 0, -N, or -EPROTO when the reply is malformed. */
int wg_uapi_parse_errno(const char *text);
int wg_uapi_get(const char *ifname, const char *uapi_dir, WgDevice **ret);
int wg_uapi_set(const WgDevice *dev, const char *uapi_dir);

/* How long wg_endpoint_resolve() waits for a name, in seconds. glibc's resolver alone may take
 * timeout x attempts x name servers (resolv.conf(5): 5 s x 2 x up to 3, for A and AAAA), longer
 * than the daemon's WatchdogSec=, so the lookup runs in getaddrinfo_a(3) and is given up on after
 * this. The environment variable NFSWG_RESOLVE_TIMEOUT_SEC=1..60 overrides it (read on each call;
 * another value is warned about once and ignored). */
#define WG_RESOLVE_TIMEOUT_SEC 5u

/* e's address for the device. A numeric address is taken as it is, without DNS; a name is looked
 * up each time with getaddrinfo_a(3) (the first IPv4 or IPv6 answer wins), for at most
 * WG_RESOLVE_TIMEOUT_SEC. Every failure is logged as a warning naming HOST:PORT: -ETIMEDOUT when
 * the deadline passed ("timed out after N s"; a lookup glibc cannot cancel is left to finish and
 * freed by a later call), -EHOSTUNREACH when the name does not resolve, -EAFNOSUPPORT without an
 * IPv4/IPv6 answer. Callers treat them all as a failed lookup. */
int wg_endpoint_resolve(const Endpoint *e, WgEndpoint *ret);

/* "192.0.2.1:51820" or "[2001:db8::1]:51820", as wg(8) shows endpoints. */
#define WG_ENDPOINT_STRLEN (INET6_ADDRSTRLEN + 2 + 16 + 8)
int wg_endpoint_format(const WgEndpoint *e, char buf[WG_ENDPOINT_STRLEN]);

/* Wipes a NUL-terminated string holding secrets, then frees it. */
void wg_secret_free(char *s);

/* --- Kernel: generic netlink family "wireguard" (<linux/wireguard.h>), libmnl. Building and parsing
 * are apart from sending so tests can inspect the bytes. --- */

/* The largest message we send: the kernel reads each request into one socket buffer sized like
 * this (wireguard-tools uses the same bound), so big peer lists go out in several messages. */
size_t wg_genl_message_max(void);

/* Where wg_genl_build_set() stopped: the next peer and, when a peer's allowed IPs were split, the
 * next allowed IP of that peer. Start from a zeroed cursor; done once every peer went out. */
typedef struct WgGenlCursor {
        size_t peer;
        size_t allowed_ip;
        bool device_sent;
        bool done;
} WgGenlCursor;

/* CTRL_CMD_GETFAMILY for "wireguard" into buf (at least wg_genl_message_max() bytes). */
struct nlmsghdr *wg_genl_build_getfamily(void *buf, uint32_t seq);
/* The family id from a CTRL_CMD_NEWFAMILY reply; -ENOENT without CTRL_ATTR_FAMILY_ID. */
int wg_genl_parse_family(const struct nlmsghdr *nlh, uint16_t *ret);
/* WG_CMD_GET_DEVICE dump request for ifname. */
struct nlmsghdr *wg_genl_build_get(void *buf, uint16_t family, uint32_t seq, const char *ifname);
/* The next WG_CMD_SET_DEVICE message for dev into buf of buf_size bytes, continuing at cursor.
 * Device attributes go in the first message only; a peer split over messages carries its flags,
 * key material and keepalive in the first part, then only its public key and more allowed IPs
 * (no REPLACE_ALLOWEDIPS), as <linux/wireguard.h> describes. -EMSGSIZE when buf cannot hold even
 * one peer. The message carries keys: wipe buf after sending. */
int wg_genl_build_set(void *buf, size_t buf_size, uint16_t family, uint32_t seq, const WgDevice *dev,
                      WgGenlCursor *cursor, struct nlmsghdr **ret);
/* Adds one message of a WG_CMD_GET_DEVICE dump to dev (zeroed at first, then filled only by this
 * function); a peer the kernel split across messages
 * (same public key at the start of the next one) is joined back together. */
int wg_genl_parse_device(const struct nlmsghdr *nlh, WgDevice *dev);
/* -EPROTONOSUPPORT when the kernel has no "wireguard" family (no module), -ENODEV without the
 * device. */
int wg_genl_get(const char *ifname, WgDevice **ret);
int wg_genl_set(const WgDevice *dev);
