/* SPDX-License-Identifier: MIT */
/* libFuzzer target over the whole pure path: INI reader, model validation and every emitter.
 * Whatever the input, nothing may crash, leak or write out of bounds, and whatever the model
 * accepts must render without a newline or quote smuggled into a generated line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "emit/render.h"
#include "model/bridge.h"
#include "shared/log.h"

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
                                        if (l.files[i].kind == RENDER_FILE && strstr(l.files[i].content, "\"\n"))
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
