/* SPDX-License-Identifier: MIT */
#pragma once

#include "wg/wg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/endpoint.h"
#include "daemon/event.h"
#include "model/bridge.h"

/* Peer health as a pure state machine, fed with readings of the device and the wall clock.
 *
 * WireGuard re-keys a session every 120 s while traffic flows (REKEY_AFTER_TIME) and rejects a
 * session older than 180 s (REJECT_AFTER_TIME; see the protocol paper, section 6.1, and
 * wg(8)'s "latest handshake"). So a handshake younger than 180 s means the peer is up; a peer
 * that was up and has no handshake for 180 s has no usable session any more: stale (it may come
 * back on its next packet, an idle peer without PersistentKeepalive= simply goes quiet); after
 * PEER_DOWN_AFTER_SEC it is reported down. A peer that was never up produces no event. */
#define PEER_UP_WITHIN_SEC 180
#define PEER_DOWN_AFTER_SEC (3 * PEER_UP_WITHIN_SEC)

/* "[v6]:port" or "a.b.c.d:port", with the NUL. */
#define PEER_ENDPOINT_MAX WG_ENDPOINT_STRLEN

typedef enum PeerState {
        PEER_STATE_NEW,   /* not seen up since we started */
        PEER_STATE_UP,
        PEER_STATE_STALE,
        PEER_STATE_DOWN,
} PeerState;

typedef struct PeerReading {
        bool present;               /* the device lists the peer */
        int64_t last_handshake_sec; /* wall clock; 0 = never */
        const char *endpoint;       /* NULL or "" when the device knows none */
} PeerReading;

typedef struct PeerWatch {
        PeerState state;
        int64_t last_handshake_sec;
        char endpoint[PEER_ENDPOINT_MAX];
        EndpointWatch dial; /* peers with Endpoint=: re-resolve and failover (daemon/endpoint.h) */
        /* The transfer counters at the last poll (CLOCK_MONOTONIC sample_usec, 0 = none yet) and
         * the rates since the poll before, bytes/s: the status file and `nfswg status`. */
        uint64_t rx_bytes, tx_bytes, rx_rate, tx_rate, sample_usec;
} PeerWatch;

/* What one reading changed: the event to report (or _EVENT_NONE), with the handshake age (-1 for
 * never) and, for a roam, the endpoint before. */
typedef struct PeerChange {
        EventKind event;
        int64_t handshake_age;
        char old_endpoint[PEER_ENDPOINT_MAX];
} PeerChange;

const char *peer_state_to_string(PeerState s);
/* Feeds the transfer counters of one poll (present: the device lists the peer) into w's rates. */
void peer_watch_sample(PeerWatch *w, bool present, uint64_t rx_bytes, uint64_t tx_bytes, uint64_t now_usec);
void peer_watch_update(PeerWatch *w, const PeerReading *r, int64_t now_sec, PeerChange *ret);
static inline bool peer_watch_is_up(const PeerWatch *w) {
        return w->state == PEER_STATE_UP;
}

/* STATUS= text: "3 peers, 1 up, exporting /srv/nfswg" (+ ", forwarding to 192.168.50.0/24" for nas
 * and relay); client mode: "tunnel to vpn.example.com:51820 up, mounts /mnt/nfswg". n_up counts
 * the peers (client mode: whether the server) up. NULL on OOM. */
char *status_format(const Bridge *b, size_t n_up);
/* STATUS= while a newer configuration is refused (reasons: FILE:LINE lines, NULL-terminated):
 * "<status>; serving the last good configuration, newer one refused: <reasons>". Said on the status
 * line, where `systemctl status` shows it, until a reload applies. NULL on OOM. */
char *status_format_refused(const char *status, char *const *reasons);
