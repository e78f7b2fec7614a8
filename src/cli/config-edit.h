/* SPDX-License-Identifier: MIT */
#pragma once

#include "cli/cli.h"

/* Editing a bridge's drop-in directory safely: one editor at a time, and a change is validated as
 * the daemon will read it before it lands. */

/* flock(2) on ROOT/etc/nfswg itself, held until *ret_fd is closed: concurrent `nfswg peer add` calls
 * then read, choose an address and write one after the other. The directory (not NAME.conf.d) is
 * locked because it exists whenever a bridge does, so taking the lock writes nothing. */
int config_lock(const CliContext *ctx, int *ret_fd);

/* Loads bridge NAME as it would be with the drop-in add_file (a file name in NAME.conf.d) holding
 * add_text, and/or without the drop-in skip_file; either may be NULL. The files are copied into a
 * private temporary root, so nothing under ROOT changes; messages name the real paths. */
int config_validate_with(const CliContext *ctx, const char *name, const char *add_file, const char *add_text,
                         const char *skip_file, Bridge **ret);

/* Reloads nfswg@NAME when it runs, so a changed config is live (the daemon changes only what
 * differs). 0 when reloaded or not running (noted on stderr, what names the change), -errno when
 * the reload failed. With --root the files are not the running system's: nothing to reload. */
int reload_bridge(const CliContext *ctx, const char *name, const char *what);

/* h with old replaced by new_b, for emit_client_config(): *ret shares h's bridges but its array,
 * *ret_array, is the caller's to free. */
int host_with_bridge(const Host *h, const Bridge *old, Bridge *new_b, Host *ret, Bridge ***ret_array);
