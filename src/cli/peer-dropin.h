/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

#include "model/bridge.h"
#include "shared/ipaddr.h"
#include "shared/key.h"

/* The drop-in `nfswg peer add` writes for one peer: /etc/nfswg/NAME.conf.d/peer-PEER.conf. The
 * administrator's own NAME.conf is never rewritten (as systemctl edit does with units). */

typedef struct PeerRequest {
        const char *name;
        WgKey public_key;
        const IpPrefix *addresses;
        size_t n_addresses;
        unsigned persistent_keepalive; /* 0: not written */
        const char *preshared_key_file; /* as on the host, NULL: none */
        int64_t expires;                /* Expires=, seconds since the epoch; 0: not written */
} PeerRequest;

/* Whether the peer may join bridge b: a valid name, a name and public key no peer has yet, every
 * address valid and free (peer_address_check()). Logs the reason; -EINVAL or -EEXIST. */
int peer_request_check(const Bridge *b, const PeerRequest *req);

/* The drop-in's text; NULL on OOM. */
char *peer_dropin_format(const Bridge *b, const PeerRequest *req);

/* "peer-PEER.conf": the file name used for peer in NAME.conf.d/. */
char *peer_dropin_filename(const char *peer);

/* text with "Key=value" in place of its first Key= line (appended when there is none), later Key=
 * lines dropped; with value NULL every Key= line dropped. A drop-in holds one section. NULL on OOM. */
char *peer_dropin_set_key(const char *text, const char *key, const char *value);

/* --expires DATE: "YYYY-MM-DD[ HH:MM[:SS]]" in local time (a date alone is its first second), or
 * "YYYY-MM-DDTHH:MM:SSZ" in UTC. -EINVAL for anything else, or a field out of range. */
int peer_expires_parse(const char *s, int64_t *ret);
