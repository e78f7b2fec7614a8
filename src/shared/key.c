/* SPDX-License-Identifier: MIT */
#include <sodium.h>

#include "shared/fileio.h"
#include "shared/key.h"
#include "shared/macro.h"

static int sodium_ready(void) {
        return sodium_init() < 0 ? -EIO : 0;
}

int wg_key_from_base64(WgKey key, const char *s) {
        size_t n;
        uint8_t tmp[WG_KEY_LEN + 3];

        if (strlen(s) != WG_KEY_B64_LEN || s[WG_KEY_B64_LEN - 1] != '=')
                return -EINVAL;
        if (sodium_ready() < 0)
                return -EIO;
        if (sodium_base642bin(tmp, sizeof tmp, s, WG_KEY_B64_LEN, NULL, &n, NULL,
                              sodium_base64_VARIANT_ORIGINAL) < 0 || n != WG_KEY_LEN) {
                sodium_memzero(tmp, sizeof tmp);
                return -EINVAL;
        }
        memcpy(key, tmp, WG_KEY_LEN);
        sodium_memzero(tmp, sizeof tmp);
        return 0;
}

void wg_key_to_base64(char out[WG_KEY_B64_LEN + 1], const WgKey key) {
        sodium_bin2base64(out, WG_KEY_B64_LEN + 1, key, WG_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}

bool wg_key_is_zero(const WgKey key) {
        return sodium_is_zero(key, WG_KEY_LEN);
}

int wg_key_generate_private(WgKey key) {
        if (sodium_ready() < 0)
                return -EIO;
        randombytes_buf(key, WG_KEY_LEN);
        key[0] &= 248;
        key[31] = (key[31] & 127) | 64;
        return 0;
}

int wg_key_generate_preshared(WgKey key) {
        if (sodium_ready() < 0)
                return -EIO;
        randombytes_buf(key, WG_KEY_LEN);
        return 0;
}

int wg_key_public_from_private(WgKey pub, const WgKey priv) {
        if (sodium_ready() < 0)
                return -EIO;
        return crypto_scalarmult_curve25519_base(pub, priv) < 0 ? -EINVAL : 0;
}

int wg_key_read_file(const char *path, WgKey key) {
        char *text = NULL;
        size_t n;
        int r = read_full_file(path, &text, &n);
        if (r < 0)
                return r;
        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
                text[--n] = '\0';
        r = wg_key_from_base64(key, text);
        sodium_memzero(text, n);
        free(text);
        return r;
}

void wg_key_wipe(WgKey key) {
        sodium_memzero(key, WG_KEY_LEN);
}
