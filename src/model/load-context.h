/* SPDX-License-Identifier: MIT */
#pragma once

#include "conf/ini.h"
#include "model/bridge.h"
#include "shared/log.h"

/* State while turning the raw sections of one bridge's files into a Bridge. */
typedef struct LoadContext {
        Bridge *bridge;
        const char *file; /* owned by bridge->sources */
        unsigned errors;
        /* what was set, for required keys and defaults */
        bool listen_port_set;
        bool private_key_file_set;
        bool nfs_versions_set;
        bool mtu_set;
        bool interface_set;
        const char *bridge_source;
        unsigned bridge_line;
} LoadContext;

#define conf_error(ctx, line, ...)                                      \
        ({                                                              \
                (ctx)->errors++;                                        \
                log_conf_error((ctx)->file, (line), __VA_ARGS__);       \
        })

void log_conf_error(const char *file, unsigned line, const char *fmt, ...) _printf_(3, 4);

/* Parses every section of f into ctx->bridge (repeatable sections append). */
int bridge_apply_file(LoadContext *ctx, const ConfFile *f);
/* Defaults, required keys and checks across sections, after every file was applied. */
void bridge_finish(LoadContext *ctx);
