/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/nfs-conf.h"
#include "shared/ipaddr.h"
#include "shared/key.h"

/* The validated model of one /etc/nfswg/NAME.conf (+ NAME.conf.d/ *.conf). Every string here has
 * been checked once, in src/model/, so emitters may write it without quoting: no whitespace, quote,
 * backslash, newline or leading '-' anywhere, paths absolute and normalised (path_is_safe()). */

typedef enum BridgeMode {
        BRIDGE_MODE_EMBEDDED,
        BRIDGE_MODE_NAS,
        BRIDGE_MODE_RELAY,
        BRIDGE_MODE_CLIENT,
        _BRIDGE_MODE_MAX,
} BridgeMode;

typedef enum Backend {
        BACKEND_AUTO,      /* the default: kernel when the kernel can make a wireguard link, else userspace;
                            * the daemon decides at start (nfswgd(8)) */
        BACKEND_KERNEL,    /* kernel WireGuard, device made by systemd-networkd */
        BACKEND_USERSPACE, /* wireguard-go started by the daemon, UAPI socket */
} Backend;

typedef enum Squash {
        SQUASH_ROOT,
        SQUASH_ALL,
        SQUASH_NONE,
} Squash;

typedef enum ForwardPorts {
        FORWARD_PORTS_NFS,
        FORWARD_PORTS_ALL,
} ForwardPorts;

/* Bits of Bridge.nfs_versions */
#define NFS_V3 (1u << 0)
#define NFS_V4_0 (1u << 1)
#define NFS_V4_1 (1u << 2)
#define NFS_V4_2 (1u << 3)
#define NFS_V4_ANY (NFS_V4_0 | NFS_V4_1 | NFS_V4_2)

#define NFS_PORT 2049
#define RPCBIND_PORT 111

/* The link group (ip-link(8) "group", IFLA_GROUP) of every bridge's tunnel (client mode's
 * excepted): each bridge's forward chain lets what another bridge's tunnel forwards into it
 * through by this group ("meta iifgroup", nft(8)), that tunnel's own table having decided
 * (relay's To=@OTHER), so a bridge started later needs no reload of the others. 0x6e6677 is "nfw" in ASCII: fixed, far from the small numbers
 * administrators give in /etc/iproute2/group, and within systemd.network(5)'s Group= range
 * 0...2147483647. Written in decimal (7235191) where networkd and ip(8) show it. */
#define NFSWG_LINK_GROUP 0x6e6677u

/* Defaults (DESIGN.md) */
#define DEFAULT_LISTEN_PORT 51820
/* 1500 minus 80 bytes of WireGuard over IPv6, minus 8 of PPPoE, rounded down: safe on every usual link. */
#define DEFAULT_MTU 1380
#define DEFAULT_MOUNTD_PORT 20048
#define DEFAULT_STATD_PORT 32765
#define DEFAULT_STATD_OUTGOING_PORT 32766
#define DEFAULT_LOCKD_PORT 4045
#define DEFAULT_ANON_ID 65534
#define DEFAULT_KEEPALIVE 25
/* The NFS mount options we recommend over WireGuard (nfs(5)). */
#define DEFAULT_MOUNT_OPTIONS "vers=4.2,proto=tcp,rsize=1048576,wsize=1048576,hard,timeo=600"

typedef struct Endpoint {
        char *host; /* DNS name or address, without brackets */
        uint16_t port;
} Endpoint;

typedef struct Peer {
        char *name;
        WgKey public_key;
        bool public_key_set;
        IpPrefix *addresses; /* the peer's tunnel addresses (inside the bridge's networks) */
        size_t n_addresses;
        IpPrefix *allowed_ips; /* AllowedIPs=: further networks routed to this peer (a site's LAN) */
        size_t n_allowed_ips;
        char *preshared_key_file; /* NULL when unset */
        unsigned persistent_keepalive; /* seconds, 0 = off */
        Endpoint *endpoints; /* site-to-site peers; more than one = failover order */
        size_t n_endpoints;
        const char *source; /* file and line of its [Peer] section, for messages */
        unsigned line;
        const char *address_source; /* where Address= was last set */
        unsigned address_line;
        const char *public_key_source; /* where PublicKey= was last set */
        unsigned public_key_line;
        bool disabled;   /* Disabled=yes: configured, but given no access */
        int64_t expires; /* Expires=: seconds since the epoch (UTC), 0 = never */
        bool expired;    /* expires had passed when the bridge was loaded */
} Peer;

/* Whether a peer that loaded valid is given access: neither Disabled= nor past its Expires=. */
static inline bool peer_is_active(const Peer *p) {
        return !p->disabled && !p->expired;
}

typedef struct Export {
        char *path;
        bool all_peers; /* Peers=* */
        char **peers;   /* names, NULL-terminated, when !all_peers */
        bool read_only;
        Squash squash;
        bool insecure;
        uint32_t anon_uid;
        uint32_t anon_gid;
        const char *source;
        unsigned line;
        unsigned peers_line; /* where Peers= was last set (0: not set) */
} Export;

typedef struct Forward {
        IpPrefix to;     /* when to_bridge is NULL */
        char *to_bridge; /* "@OTHER" without the '@' */
        bool masquerade;
        ForwardPorts ports;
        uint16_t *nas_ports; /* NASPorts=: extra TCP/UDP ports of the NAS (its pinned v3 ports) */
        size_t n_nas_ports;
        const char *source;
        unsigned line;
} Forward;

typedef struct Server {
        bool set;
        WgKey public_key;
        Endpoint *endpoints;
        size_t n_endpoints;
        IpPrefix *allowed_ips;
        size_t n_allowed_ips;
        unsigned persistent_keepalive;
        char *preshared_key_file;
        const char *public_key_source; /* where PublicKey= was last set */
        unsigned public_key_line;
} Server;

typedef struct Mount {
        char *what;      /* "HOST:/path" as written */
        char *what_host; /* split from what */
        char *what_path;
        char *where;
        char *options; /* never NULL after validation: DEFAULT_MOUNT_OPTIONS when unset */
        bool automount;
        const char *source;
        unsigned line;
} Mount;

/* Where a key was last set, for messages (line 0: not set, the default applies). */
typedef struct KeyOrigin {
        const char *source;
        unsigned line;
} KeyOrigin;

typedef struct NfsSettings {
        bool set; /* an [NFS] section was given */
        uint16_t mountd_port;
        uint16_t statd_port;
        uint16_t statd_outgoing_port;
        uint16_t lockd_port;     /* TCP; LockdPort= sets both */
        uint16_t lockd_udp_port; /* differs from lockd_port only where nfs.conf pins one of them */
        unsigned max_block_size; /* 0 = kernel default */
        const char *source;
        unsigned line;
        KeyOrigin mountd_at, statd_at, statd_outgoing_at, lockd_at;
} NfsSettings;

typedef struct Bridge {
        char *name;        /* NAME of NAME.conf */
        char *config_path; /* the main file as read (with --root prefix) */
        char *config_id;   /* the main file as the host knows it: /etc/nfswg/NAME.conf */
        char **sources;    /* every file read, in order, NULL-terminated (owns the strings the
                            * source fields point to) */
        BridgeMode mode;
        Backend backend;
        char *interface;
        IpPrefix *addresses;
        size_t n_addresses;
        uint16_t listen_port; /* 0 = unset (client mode: random) */
        Endpoint endpoint;    /* host NULL when unset */
        unsigned mtu;
        char *private_key_file;
        char *metrics_file; /* MetricsFile=, NULL when unset (the daemon's default applies) */
        unsigned nfs_versions; /* NFS_V* bits */
        char **dns;            /* DNS= for client configs, NULL-terminated, may be NULL */
        char **close_nfs_on;   /* CloseNFSOn=: interfaces whose NFS ports the table drops,
                                * NULL-terminated, may be NULL */
        const char *close_nfs_on_source;
        unsigned close_nfs_on_line;
        NfsSettings nfs;
        Export *exports;
        size_t n_exports;
        Peer *peers; /* the active peers: every emitter, the table and the daemon see only these */
        size_t n_peers;
        /* Peers that stay configured but have no access (Disabled=yes, or Expires= passed at load
         * time): validated with the others (names, keys, addresses stay reserved), emitted nowhere.
         * The CLI lists them; bridge_peer_any() reaches both arrays. */
        Peer *inactive_peers;
        size_t n_inactive_peers;
        int64_t next_expiry; /* the earliest Expires= of an active peer, 0 = none */
        Forward *forwards;
        size_t n_forwards;
        Server server;
        Mount *mounts;
        size_t n_mounts;
} Bridge;

/* The link group of b's tunnel: NFSWG_LINK_GROUP for a bridge, 0 (none) for a client, whose tunnel
 * has no table deciding what it forwards. */
static inline uint32_t bridge_link_group(const Bridge *b) {
        return b->mode == BRIDGE_MODE_CLIENT ? 0 : NFSWG_LINK_GROUP;
}

/* Whether the host runs the kernel NFS server for this bridge: it exports something. */
static inline bool bridge_serves_nfs(const Bridge *b) {
        return b->mode != BRIDGE_MODE_CLIENT && b->n_exports > 0;
}

/* Every bridge of a host: /etc/nfswg/ *.conf. */
typedef struct Host {
        Bridge **bridges;
        size_t n_bridges;
        /* The ports nfs-utils' daemons use: the agreed [NFS] values (defaults when no bridge sets
         * them), where the administrator pinned none in nfs.conf; their pins otherwise. */
        NfsSettings nfs;
        unsigned nfs_versions; /* union over bridges */
        NfsConf nfs_conf;      /* the administrator's pins (host_load() reads them) */
} Host;

const char *bridge_mode_to_string(BridgeMode m);
const char *squash_to_string(Squash s);

/* root is "" for the live system or a directory prefix (--root, NFSWG_ROOT). Reads
 * ROOT/etc/nfswg/NAME.conf and then ROOT/etc/nfswg/NAME.conf.d/ *.conf in lexical order. Each
 * problem is logged as "FILE:LINE: message"; returns -EINVAL after reporting all of them. */
int bridge_load(const char *root, const char *name, Bridge **ret);
/* The same for an explicit file (nfswg check FILE); NAME is the file's basename without .conf. */
int bridge_load_path(const char *path, Bridge **ret);
/* From text (tests, fuzzer): label is used as the file name in messages. */
int bridge_load_string(const char *label, const char *name, const char *text, Bridge **ret);
Bridge *bridge_free(Bridge *b);
static inline void bridge_freep(Bridge **b) {
        bridge_free(*b);
}

/* An active peer by name (NULL when there is none, or it is disabled or expired). */
const Peer *bridge_find_peer(const Bridge *b, const char *name);
/* Any configured peer by name, active or not. */
const Peer *bridge_find_peer_any(const Bridge *b, const char *name);
/* Peer i of all configured ones: the active first, then the inactive. */
static inline size_t bridge_n_peers_any(const Bridge *b) {
        return b->n_peers + b->n_inactive_peers;
}
static inline const Peer *bridge_peer_any(const Bridge *b, size_t i) {
        return i < b->n_peers ? &b->peers[i] : &b->inactive_peers[i - b->n_peers];
}
/* The time the model compares Expires= with: time(2), or $NFSWG_NOW (seconds since the epoch) for
 * tests. */
int64_t bridge_now(void);
/* A bridge's own public key (of its PrivateKeyFile=) given as a [Peer] PublicKey=, or in client mode
 * as the [Server] PublicKey=, would be a tunnel to itself: each is logged at that key's FILE:LINE,
 * and -EINVAL returned; 0 when there is none. */
int bridge_check_own_key(const Bridge *b, const WgKey own_public);
/* The same with the key read from ROOT + PrivateKeyFile=. A key file that is missing (a first start
 * creates it) or unreadable (check run by a user) is no error here: 0. The model reads no key
 * while loading (the generator never needs one); the daemon and `nfswg check` call this. */
int bridge_check_own_key_file(const char *root, const Bridge *b);
/* Whether export e is open to peer p. */
bool export_allows_peer(const Export *e, const Peer *p);
/* The default PrivateKeyFile= for NAME: /var/lib/nfswg/NAME/private.key */
char *bridge_default_private_key_file(const char *name);

/* Loads every ROOT/etc/nfswg/ *.conf and ROOT/etc/nfs.conf (+ nfs.conf.d/) and checks what spans
 * bridges: [NFS] values agree with each other and with the administrator's nfs.conf pins, interface
 * names, listen ports and tunnel networks do not clash, @OTHER in [Forward] names a bridge.
 * Returns 0, or -EINVAL after logging every problem; even then *ret is set to a Host holding the
 * bridges that loaded cleanly (the generator writes those and skips the rest). An empty or
 * missing directory is a Host with no bridges. */
int host_load(const char *root, Host **ret);
/* The cross-bridge checks alone, for a host whose bridges were loaded already. */
int host_check(Host *h);
Host *host_free(Host *h);
static inline void host_freep(Host **h) {
        host_free(*h);
}
const Bridge *host_find_bridge(const Host *h, const char *name);
