/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Reads a whole file into a NUL-terminated buffer. */
int read_full_file(const char *path, char **ret, size_t *ret_size);

/* Writes content to path atomically: a temporary file in the same directory, fchmod/fchown, fsync,
 * rename(2). uid/gid of (uid_t) -1 leave ownership as created. When the file already holds exactly
 * this content with this mode and owner it is left alone (its mtime too) and 0 is returned;
 * 1 when the file was written. */
int write_file_atomic(const char *path, const char *content, mode_t mode, uid_t uid, gid_t gid);

/* Creates path with content only when it does not exist (-EEXIST otherwise), atomically: a
 * temporary file with mode and owner set before the first byte, fsync, link(2) into place. */
int write_file_new(const char *path, const char *content, mode_t mode, uid_t uid, gid_t gid);

/* Creates the directory and its missing parents with mode. */
int mkdir_p(const char *path, mode_t mode);
int mkdir_parents(const char *path, mode_t mode);

/* Points path at target, replacing whatever link was there, atomically. 0 unchanged, 1 written. */
int symlink_atomic(const char *target, const char *path);

/* unlink(2) that treats a missing file as success. 0 nothing there, 1 removed. */
int unlink_if_exists(const char *path);

/* The "systemd-network" group, or (gid_t) -1 where it does not exist (a test root, a build host). */
gid_t systemd_network_gid(void);
