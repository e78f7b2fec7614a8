/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* WireGuard keys are Curve25519 points: 32 bytes, 44 characters of standard base64. */
#define WG_KEY_LEN 32
#define WG_KEY_B64_LEN 44

typedef uint8_t WgKey[WG_KEY_LEN];

/* -EINVAL unless s is exactly 44 characters of base64 decoding to 32 bytes. */
int wg_key_from_base64(WgKey key, const char *s);
void wg_key_to_base64(char out[WG_KEY_B64_LEN + 1], const WgKey key);
bool wg_key_is_zero(const WgKey key);

/* A new private key, clamped as `wg genkey` does (RFC 7748, section 5). */
int wg_key_generate_private(WgKey key);
/* A random preshared key (`wg genpsk`). */
int wg_key_generate_preshared(WgKey key);
int wg_key_public_from_private(WgKey pub, const WgKey priv);

/* Reads a key file as wg(8) writes them: base64 and an optional trailing newline. */
int wg_key_read_file(const char *path, WgKey key);

void wg_key_wipe(WgKey key);
