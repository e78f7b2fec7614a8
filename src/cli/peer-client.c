/* SPDX-License-Identifier: MIT */
#include "cli/peer-client.h"
#include "cli/qr.h"
#include "cli/state-files.h"
#include "emit/emit.h"
#include "shared/escape.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"

char *peer_client_path(const CliContext *ctx, const char *bridge, const char *peer, const char *suffix) {
        char *s;
        if (asprintf(&s, "%s%s/%s/peers/%s%s", ctx->root, CLI_STATE_DIR, bridge, peer, suffix) < 0)
                return NULL;
        return s;
}

char *peer_psk_host_path(const char *bridge, const char *peer) {
        char *s;
        if (asprintf(&s, "%s/%s/peers/%s.psk", CLI_STATE_DIR, bridge, peer) < 0)
                return NULL;
        return s;
}

int peer_stored_private_key(const CliContext *ctx, const char *bridge, const char *peer, char ret[WG_KEY_B64_LEN + 1]) {
        _cleanup_free_ char *path = peer_client_path(ctx, bridge, peer, ".conf");
        char *text = NULL;
        size_t n = 0;
        WgKey k;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_full_file(path, &text, &n);
        if (r < 0)
                return r;
        r = -EINVAL;
        for (char *line = text; line && *line;) {
                char *next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                const char *v = startswith(line, "PrivateKey");
                if (v) {
                        v += strspn(v, " \t");
                        if (*v == '=') {
                                v++;
                                v += strspn(v, " \t");
                                if (wg_key_from_base64(k, v) == 0) {
                                        memcpy(ret, v, WG_KEY_B64_LEN);
                                        ret[WG_KEY_B64_LEN] = '\0';
                                        wg_key_wipe(k);
                                        r = 0;
                                }
                                break;
                        }
                }
                line = next;
        }
        explicit_bzero(text, n);
        free(text);
        return r;
}

int peer_client_config(const CliContext *ctx, const Host *h, const Bridge *b, const Peer *p,
                       const char *private_key_b64, char **ret) {
        char server_b64[WG_KEY_B64_LEN + 1], psk_b64[WG_KEY_B64_LEN + 1];
        const char *psk = NULL;
        bool placeholder = !private_key_b64;
        WgKey key;
        int r;

        r = server_public_key_read(ctx, b->private_key_file, key);
        if (r < 0) {
                placeholder = true;
                log_warning("Warning: cannot read the bridge's key %s%s (%s); the config has a placeholder for its public key.",
                            ctx->root, b->private_key_file, read_file_strerror(r));
                snprintf(server_b64, sizeof server_b64, "REPLACE-WITH-THE-PUBLIC-KEY-OF-%s", b->name);
        } else
                wg_key_to_base64(server_b64, key);

        if (p->preshared_key_file) {
                _cleanup_free_ char *path = cli_root_path(ctx, p->preshared_key_file);
                if (!path)
                        return log_oom();
                if (wg_key_read_file(path, key) >= 0) {
                        wg_key_to_base64(psk_b64, key);
                        wg_key_wipe(key);
                        psk = psk_b64;
                } else {
                        placeholder = true;
                        log_warning("Warning: cannot read %s; the config has a placeholder for the preshared key.", path);
                }
        }

        if (!b->endpoint.host)
                log_warning("Warning: [Bridge] Endpoint= is not set in %s: the config has no Endpoint, so the client "
                            "cannot dial the bridge. Set Endpoint=HOST:PORT (what clients reach) there.",
                            b->config_id);

        char *text = emit_client_config_with_psk(h, b, p, private_key_b64, psk, server_b64);
        explicit_bzero(psk_b64, sizeof psk_b64);
        if (!text)
                return log_oom();
        *ret = text;
        return placeholder ? 1 : 0;
}

int peer_print_qr(const char *text, const char *png_path, const char *bridge, const char *peer) {
        _cleanup_(qr_bitmap_done) QrBitmap q = {};
        _cleanup_(secret_freep) char *payload = qr_config_payload(text);
        if (!payload)
                return log_oom();
        int r = qr_encode(payload, &q);
        if (r < 0)
                return log_error_errno(r, "The config does not fit in a QR code: %m");
        if (png_path) {
                r = qr_write_png(&q, png_path);
                if (r < 0)
                        return log_error_errno(r, "Failed to write %s: %m", ESCAPE_PATH(png_path));
                return 0;
        }
        /* A code cut or wrapped by the terminal does not scan; a picture always does. */
        unsigned columns = qr_terminal_columns(STDOUT_FILENO);
        if (columns > 0 && qr_utf8_columns(&q) > columns)
                return log_error_errno(EMSGSIZE,
                                       "The QR code is %zu columns wide, this terminal %u: widen the terminal, or write "
                                       "it as a picture with 'nfswg peer config %s %s --qr=png FILE'.",
                                       qr_utf8_columns(&q), columns, bridge, peer);
        _cleanup_free_ char *s = qr_format_utf8(&q, isatty(STDOUT_FILENO));
        if (!s)
                return log_oom();
        fputs(s, stdout);
        return 0;
}
