/* SPDX-License-Identifier: MIT */
/* libFuzzer target over the whole pure path: INI reader, model validation and every emitter.
 * Whatever the input, nothing may crash, leak or write out of bounds, and whatever the model
 * accepts must render without a newline or quote smuggled into a generated line. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "emit/render.h"
#include "model/bridge.h"
#include "shared/log.h"

/* An environment file (nfs-utils.env) quotes each value itself: every line is a comment, or
 * NAME=VALUE where a quoted VALUE is one pair of quotes, opening after '=' and closing the line.
 * Any other generated file must not end a line with a quote (one smuggled in from the input). */
static bool env_line_ok(const char *line, size_t len) {
        const char *eq = memchr(line, '=', len);
        size_t quotes = 0;

        if (len == 0 || line[0] == '#')
                return true;
        if (!eq)
                return false;
        for (size_t i = 0; i < len; i++)
                quotes += line[i] == '"';
        return quotes == 0 || (quotes == 2 && eq[1] == '"' && line[len - 1] == '"');
}

static bool quotes_ok(const RenderFile *f) {
        size_t n = strlen(f->path);

        if (n < 4 || strcmp(f->path + n - 4, ".env") != 0)
                return !strstr(f->content, "\"\n");
        for (const char *p = f->content; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                if (!env_line_ok(p, len))
                        return false;
                p += len + (nl ? 1 : 0);
        }
        return true;
}

static void discard(int level, const char *message, void *userdata) {
        (void) level;
        (void) message;
        (void) userdata;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > 65536)
                return 0;
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';

        log_set_sink(discard, NULL);
        Bridge *b = NULL;
        if (bridge_load_string("fuzz.conf", "fuzz", text, &b) == 0) {
                Host h = { .bridges = &b, .n_bridges = 1 };
                if (host_check(&h) == 0) {
                        RenderList l = {};
                        if (render_all(&h, &l) == 0)
                                for (size_t i = 0; i < l.n_files; i++)
                                        if (l.files[i].kind == RENDER_FILE && !quotes_ok(&l.files[i]))
                                                abort();
                        render_list_done(&l);
                        for (size_t i = 0; i < b->n_peers; i++) {
                                free(emit_client_config(&h, b, &b->peers[i], NULL, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
                                free(emit_mount_hint(b, &b->peers[i], MOUNT_HINT_LINUX));
                                free(emit_mount_hint(b, &b->peers[i], MOUNT_HINT_MACOS));
                                free(emit_mount_hint(b, &b->peers[i], MOUNT_HINT_WINDOWS));
                        }
                }
                bridge_free(b);
        }
        free(text);
        return 0;
}
