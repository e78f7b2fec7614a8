/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* The most read_full_file() reads of one file. A drop-in holding 10 000 peers is 1.6 MB; a file that
 * keeps growing (a log linked by mistake) stops here, and memory with it. */
#define READ_FILE_MAX (4 * 1024 * 1024)
#define READ_FILE_MAX_TEXT "4 MiB"

/* Reads a whole regular file (symlinks followed) into a NUL-terminated buffer, without ever
 * blocking: -EISDIR for a directory, -EBADFD for a FIFO, a device or a socket (found before the
 * first read, never waited on), -EFBIG beyond READ_FILE_MAX (counted while reading, so memory stays
 * bounded even when the file grows). read_file_strerror() says these in words. */
int read_full_file(const char *path, char **ret, size_t *ret_size);
/* read_full_file() with the limit max (bytes) instead of READ_FILE_MAX. */
int read_regular_file(const char *path, size_t max, char **ret, size_t *ret_size);
/* "not a regular file ...", "larger than 4 MiB ...", or strerror(3): for "PATH: cannot read: %s". */
const char *read_file_strerror(int error);

/* Writes content to path atomically: an unnamed file in the same directory (O_TMPFILE), fchmod/fchown,
 * fsync, linked and rename(2)d into place, so a writer killed half-way leaves no temporary file
 * (where the file system has no O_TMPFILE, a ".#BASE~PID" name that the next write removes).
 * uid/gid of (uid_t) -1 leave ownership as created. When the file already holds exactly
 * this content with this mode and owner it is left alone (its mtime too) and 0 is returned;
 * 1 when the file was written. */
int write_file_atomic(const char *path, const char *content, mode_t mode, uid_t uid, gid_t gid);
/* The same for bytes that may hold NULs (a PNG). */
int write_file_atomic_data(const char *path, const void *data, size_t size, mode_t mode, uid_t uid, gid_t gid);

/* Creates path with content only when it does not exist (-EEXIST otherwise), atomically: an
 * unnamed file with mode and owner set before the first byte, fsync, linkat(2) into place. */
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
