/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "emit/render.h"

/* The daemon's files on the host (from render_daemon()): the networkd .netdev/.network and the
 * exports fragment, and telling nfs-utils about the latter. */

typedef enum SystemFileKind {
        SYSTEM_FILE_NETWORKD, /* /run/systemd/network/... */
        SYSTEM_FILE_EXPORTS,  /* /etc/exports.d/..., /run/nfswg/NAME/nfs-utils.env */
        SYSTEM_FILE_OTHER,
} SystemFileKind;

SystemFileKind system_file_kind(const RenderFile *f);

/* Writes every file of l of that kind under root ("" = /), atomically, with its mode and group.
 * Returns 1 when one changed, 0 when all were identical already, or -errno (logged). */
int system_files_write(const RenderList *l, SystemFileKind kind, const char *root);
/* Removes them. Returns 1 when one was there, 0 when none, or -errno (logged). */
int system_files_remove(const RenderList *l, SystemFileKind kind, const char *root);

/* The exports fragment path of a bridge, for removing one that a render no longer lists. */
char *exports_fragment_path(const char *root, const char *bridge_name);

/* `exportfs -r` (exportfs(8)): re-export everything in /etc/exports and /etc/exports.d. The program
 * is $NFSWG_EXPORTFS (tests) or /usr/sbin/exportfs; when it does not exist (no nfs-kernel-server)
 * this warns once and returns 0. -errno or -EIO (it failed; its stderr reaches our log). */
int exportfs_reload(void);
