/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "model/bridge.h"
#include "shared/macro.h"

/* Exit codes (DESIGN.md): 0 success, 1 the input or the system said no, 2 usage. Verbs return 0,
 * -errno (exit 1, already logged) or EXIT_USAGE. */
#define EXIT_USAGE 2
/* An option parser's "handled it, stop here" (--help was printed). */
#define CLI_PARSE_DONE (-1000)

/* Where the model reads configs and the daemon keeps keys (model/bridge.c uses the same paths,
 * DESIGN.md "Files we write"), below --root. */
#define CLI_CONFIG_DIR "/etc/nfswg"
#define CLI_STATE_DIR "/var/lib/nfswg"

typedef struct CliContext {
        const char *root; /* "" for the live system, else a directory prefix without trailing '/' */
} CliContext;

typedef int (*VerbFunction)(int argc, char *argv[], const CliContext *ctx);

typedef struct Verb {
        const char *name;
        VerbFunction fn;
        const char *description;
} Verb;

/* Logs "nfswg: message" and a hint, returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) _printf_(1, 2);

/* The first option parser of a verb: argv[0] becomes "nfswg VERB" for getopt's own messages and
 * optind is reset. */
void cli_getopt_reset(int argc, char *argv[], const char *prog);

/* --root DIR: "/" and "dir/" mean "" and "dir" (paths are appended). -EINVAL (usage logged) when
 * empty or too long. */
int cli_set_root(CliContext *ctx, const char *dir);

/* ROOT + path ("/etc/nfswg/x.conf"); NULL on OOM. */
char *cli_root_path(const CliContext *ctx, const char *path);

/* A bridge or peer name as DESIGN.md allows it ([a-z0-9][a-z0-9-]{0,31}); logs and returns
 * -EINVAL otherwise. what is "bridge" or "peer". */
int cli_check_name(const char *what, const char *name);

/* ROOT/etc/nfswg/NAME.conf in *ret when it exists; else logged (a missing one with the 'nfswg
 * init' command that creates it) and -errno. */
int cli_bridge_config(const CliContext *ctx, const char *name, char **ret);

/* Loads the host and finds bridge name in it. Errors of other bridges are logged by the model but
 * do not fail this call when NAME itself loaded; -ENOENT (logged) when NAME.conf does not exist. */
int cli_load_bridge(const CliContext *ctx, const char *name, Host **ret_host, const Bridge **ret_bridge);

int verb_check(int argc, char *argv[], const CliContext *ctx);
int verb_render(int argc, char *argv[], const CliContext *ctx);
int verb_init(int argc, char *argv[], const CliContext *ctx);
int verb_peer(int argc, char *argv[], const CliContext *ctx);
int verb_peer_add(int argc, char *argv[], const CliContext *ctx);
int verb_peer_remove(int argc, char *argv[], const CliContext *ctx);
int verb_peer_list(int argc, char *argv[], const CliContext *ctx);
int verb_peer_config(int argc, char *argv[], const CliContext *ctx);
int verb_mount_hint(int argc, char *argv[], const CliContext *ctx);
int verb_status(int argc, char *argv[], const CliContext *ctx);
