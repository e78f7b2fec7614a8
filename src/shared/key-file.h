/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "shared/key.h"

/* Reads the bridge's private key from path, creating it first when the file does not exist: a
 * clamped Curve25519 key (as `wg genkey`), base64 and a newline, file 0640 root:systemd-network in
 * a directory 0750 root:systemd-network, so systemd-networkd (which reads PrivateKeyFile= as the
 * user systemd-network) can read it and nobody else can. An existing file is never rewritten: the
 * new file is linked into place, which fails if another writer got there first, and then that
 * key is used. The key itself is never logged. 0 or -errno (logged, naming the file). */
int private_key_load_or_create(const char *path, WgKey ret_key, bool *ret_created);
