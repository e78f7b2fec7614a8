/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "shared/key.h"

/* A peer's client side: its wg-quick config as stored in /var/lib/nfswg/NAME/peers/PEER.conf
 * (0600 root, the only place its private key is kept) and shown as text or QR code. */

/* For text that holds a private key: wiped before it is freed. */
static inline void secret_freep(char **p) {
        if (*p) {
                explicit_bzero(*p, strlen(*p));
                free(*p);
        }
}

/* /var/lib/nfswg/NAME/peers/PEER.conf and .psk, below ROOT. */
char *peer_client_path(const CliContext *ctx, const char *bridge, const char *peer, const char *suffix);
/* The PresharedKeyFile= value nfswg peer add writes (a path on the host, without ROOT). */
char *peer_psk_host_path(const char *bridge, const char *peer);

/* The "PrivateKey = " of the stored client config. -ENOENT when there is no stored config, -EINVAL
 * when it holds no valid key. ret is wiped by the caller. */
int peer_stored_private_key(const CliContext *ctx, const char *bridge, const char *peer, char ret[WG_KEY_B64_LEN + 1]);

/* The client config of p (emit_client_config_with_psk()): the bridge's public key from its key
 * file, the preshared key read from PresharedKeyFile= when readable. Warns on stderr when the
 * bridge has no Endpoint= (the config then says so in a comment). Returns 0, or 1 when the config
 * holds a placeholder the user must fill in (no private_key_b64, an unreadable key file): such a
 * config is fine as text but useless as a QR code. */
int peer_client_config(const CliContext *ctx, const Host *h, const Bridge *b, const Peer *p,
                       const char *private_key_b64, char **ret);

/* --qr: the config without comments (qr_config_payload()) to stdout as half blocks (ANSI colours
 * when stdout is a terminal); with png_path a PNG. A code wider than the terminal is refused
 * (-EMSGSIZE, logged with the --qr=png command for bridge and peer): cut or wrapped, it does not
 * scan. */
int peer_print_qr(const char *text, const char *png_path, const char *bridge, const char *peer);
