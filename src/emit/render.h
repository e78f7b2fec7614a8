/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "model/bridge.h"

/* The set of files a piece of nfswg writes, computed completely before anything is written, so a
 * failure anywhere leaves the system untouched. */

typedef enum RenderKind {
        RENDER_FILE,
        RENDER_SYMLINK, /* content is the link target */
} RenderKind;

typedef struct RenderFile {
        char *path; /* absolute, as on the live system: "/run/systemd/network/50-nfswg-bridge.netdev" */
        char *content;
        RenderKind kind;
        mode_t mode;
        bool network_group; /* root:systemd-network (0640 files networkd reads) */
} RenderFile;

typedef struct RenderList {
        RenderFile *files;
        size_t n_files;
} RenderList;

void render_list_done(RenderList *l);

/* What nfswg-generator writes for the host, relative to its normal output directory (paths like
 * "rpc-statd.service.d/50-nfswg.conf", "nfswg@bridge.service.wants/nfs-server.service"). No
 * enablement symlinks: nothing it writes acts before a bridge is enabled or started. */
int render_generator(const Host *h, RenderList *out);
/* What the daemon of bridge b writes: its .netdev/.network under /run/systemd/network, its
 * exports fragment under /etc/exports.d and /run/nfswg/NAME/nfs-utils.env. */
int render_daemon(const Host *h, const Bridge *b, RenderList *out);
/* Everything `nfswg render` writes: the generator's files under /run/systemd/generator plus the
 * daemon's, for every bridge of the host. */
int render_all(const Host *h, RenderList *out);

/* Writes every file under root ("" for /) atomically; creates parent directories (0755). */
int render_list_write(const RenderList *l, const char *root);
