/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "cli/cli.h"
#include "shared/key.h"

/* The CLI's files under /var/lib/nfswg (DESIGN.md "Files we write"): the bridge's private key
 * (0640 root:systemd-network, as the daemon creates it: systemd.netdev(5) PrivateKeyFile= must be
 * readable by networkd) and the peers' client configs (0600 root). */

/* The group that may read key files: systemd-network when it exists and we may hand files to it
 * (root), else (gid_t) -1. */
gid_t key_file_gid(void);

/* ROOT/var/lib/nfswg/NAME[/SUB]: created when missing, 0750 root:systemd-network (networkd reads
 * keys and preshared keys below it). */
int state_dir_ensure(const CliContext *ctx, const char *bridge, const char *sub, char **ret_path);

/* The bridge's public key from ROOT + private_key_file, creating the private key first when the file
 * is missing (the daemon would on its first start; the client config needs the public key now).
 * *ret_created tells whether it was made. Never overwrites. Logs errors. */
int server_key_ensure(const CliContext *ctx, const char *private_key_file, WgKey ret_public, bool *ret_created);

/* Only reads: -ENOENT when the key does not exist yet. Logs nothing. */
int server_public_key_read(const CliContext *ctx, const char *private_key_file, WgKey ret_public);
