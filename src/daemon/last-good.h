/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "model/bridge.h"

/* The last configuration of a bridge that applied, kept so that a start with a broken one (a typo
 * before a restart or a package upgrade) does not take a working bridge down: the texts of
 * NAME.conf and NAME.conf.d/ *.conf as read, under ROOT/run/nfswg/NAME/last-good/etc/nfswg/ (the
 * unit's RuntimeDirectory=, 0700, kept across restarts by RuntimeDirectoryPreserve=restart, gone on
 * stop and reboot). They name key files but hold no private key: the model has no inline key.
 *
 * Beside it, ROOT/run/nfswg/NAME/refused exists while a newer configuration is refused, for
 * `nfswg status` (src/cli/verb-status.c reads both): "live=last-good" (a start served the saved
 * copy) or "live=running" (a reload was refused), then one line per reason, FILE:LINE: message. */

#define LAST_GOOD_DIR "last-good"
#define REFUSED_FILE "refused"

/* ROOT/run/nfswg/NAME[/SUB]; NULL on OOM. */
char *bridge_runtime_path(const char *root, const char *name, const char *sub);

/* Copies b's sources (as b->sources lists them) into the last-good directory, replacing the
 * previous copy in one rename; a copy that does not load again is discarded. 0 or -errno. */
int last_good_save(const char *root, const Bridge *b);
/* Whether a saved copy exists. */
bool last_good_exists(const char *root, const char *name);
/* Loads the live host (every other bridge, quietly) with bridge NAME from the saved copy in place
 * of its refused one. The bridge's config_id stays /etc/nfswg/NAME.conf, so every file rendered
 * from it is byte-identical to what the copy rendered when it applied. -EINVAL when the copy is
 * missing or does not load (logged). */
int last_good_load(const char *root, const char *name, Host **ret_host, const Bridge **ret_bridge);
/* A real stop forgets the copy and the refusal. */
void last_good_forget(const char *root, const char *name);

/* live: "last-good" or "running"; reasons: NULL-terminated FILE:LINE lines. 0 or -errno. */
int refused_write(const char *root, const char *name, const char *live, char **reasons);
void refused_remove(const char *root, const char *name);
