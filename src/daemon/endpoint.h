/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/bridge.h"

/* Endpoint re-resolution and failover for peers we dial (Endpoint=: relay sites, a client's
 * server), as wireguard-tools' contrib/reresolve-dns does, plus moving on to the next Endpoint=
 * when several are listed (in order, wrapping around).
 *
 * When is a peer's endpoint failing? WireGuard rejects a session older than 180 s
 * (REJECT_AFTER_TIME, protocol paper section 6.1), so a peer that neither completed a handshake
 * nor sent us a single byte for that long has no working session ("stale"). That alone is not a
 * failure: an idle tunnel is silent too. Only when we then send something (tx bytes grow: with no
 * session, what goes out is a handshake initiation) and no handshake follows within the grace
 * time (three handshake attempts at REKEY_TIMEOUT = 5 s) is the endpoint given up: the next
 * Endpoint= is resolved (getaddrinfo(3), so a DNS name is looked up afresh) and set on that one
 * peer. With one Endpoint= it is re-resolved and set only when the address changed. After a switch
 * the new endpoint gets the same grace; WireGuard's own handshake retries (every 5 s for 90 s,
 * then only when there is traffic) pace how long the daemon keeps trying.
 *
 * From the last sign of life, a dead endpoint is left after about stale + poll + grace + poll:
 * 180 + 5 + 15 + 5 s with the defaults. $NFSWG_STALE_SEC and $NFSWG_FAILOVER_GRACE_SEC override
 * both (tests). A peer whose far end sends PersistentKeepalive= is judged by its keepalives (rx
 * bytes), so the stale time may then be set far below WireGuard's re-key interval. */
#define ENDPOINT_STALE_SEC 180
#define ENDPOINT_GRACE_SEC 15

typedef struct EndpointPolicy {
        int64_t stale_sec;
        int64_t grace_sec;
} EndpointPolicy;

/* Per peer, kept in its PeerWatch (a reload keeps it while name, key and Endpoint= list stay). */
typedef struct EndpointWatch {
        bool started;         /* the first reading only sets the baselines */
        size_t index;         /* the Endpoint= in use (0 at start) */
        uint64_t rx_bytes;    /* last reading */
        uint64_t tx_bytes;    /* last reading */
        int64_t last_rx_sec;  /* when rx bytes last grew (0: not since we watch) */
        bool stale;           /* no sign of life for stale_sec */
        uint64_t tx_baseline; /* tx bytes when it became stale or the endpoint was switched */
        int64_t trying_sec;   /* when tx first grew past the baseline (0: nothing sent yet) */
} EndpointWatch;

typedef struct EndpointReading {
        bool present; /* the device lists the peer */
        int64_t last_handshake_sec; /* wall clock; 0 = never */
        uint64_t rx_bytes;
        uint64_t tx_bytes;
} EndpointReading;

/* Feeds one reading of a peer with n_endpoints Endpoint= (0: nothing to do, returns false). True
 * when the peer's endpoint should be (re)set to Endpoint= number *ret_index; the watch then counts
 * that endpoint as in place from now on, whether or not setting it succeeds (a name that does not
 * resolve is skipped the next time round). Pure: the time is passed in. */
bool endpoint_watch_update(EndpointWatch *w, size_t n_endpoints, const EndpointReading *r, int64_t now_sec,
                           const EndpointPolicy *p, size_t *ret_index);

/* Whether two Endpoint= lists are the same, in the same order. */
bool endpoints_equal(const Endpoint *a, size_t n_a, const Endpoint *b, size_t n_b);

/* "host:port", "[v6]:port" for an IPv6 literal; buf of at least ENDPOINT_STRLEN bytes. */
#define ENDPOINT_STRLEN 272
const char *endpoint_to_string(const Endpoint *e, char *buf, size_t size);
