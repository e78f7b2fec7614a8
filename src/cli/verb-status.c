/* SPDX-License-Identifier: MIT */
/* nfswg status [NAME] [--json]: the model joined with what systemd, the WireGuard device and the
 * nftables table report. Whatever is absent shows as such; status itself only fails when the
 * configuration cannot be read. */
#include <getopt.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "cli/state-files.h"
#include "cli/status.h"
#include "cli/unit-bus.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/strbuf.h"

static void discard_log(int level, const char *message, void *userdata) {
}

typedef struct Collected {
        StatusInput in;
        char *refused;
        char *unit_state;
        WgDevice *device;
        NftCounters counters;
        char public_key[WG_KEY_B64_LEN + 1];
        StatusFile file;
} Collected;

/* /run/nfswg-status/NAME.json, the daemon's status for every user (status-file.h). */
static int read_status_file(const CliContext *ctx, const char *name, StatusFile *ret) {
        _cleanup_free_ char *rel = NULL, *path = NULL;
        if (asprintf(&rel, "/run/nfswg-status/%s.json", name) < 0 || !(path = cli_root_path(ctx, rel)))
                return -ENOMEM;
        return status_file_read(path, ret);
}

/* /run/nfswg/NAME/refused, written by nfswgd while it refuses a newer configuration (its
 * src/daemon/last-good.h): "live=last-good" or "live=running", then FILE:LINE lines. */
static void read_refused(const CliContext *ctx, const char *name, Collected *c) {
        _cleanup_free_ char *rel = NULL, *path = NULL, *text = NULL;
        StrBuf sb = {};

        if (asprintf(&rel, "/run/nfswg/%s/refused", name) < 0 || !(path = cli_root_path(ctx, rel)) ||
            read_full_file(path, &text, NULL) < 0)
                return;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (startswith(line, "live="))
                        c->in.refused_last_good = streq(line + 5, "last-good");
                else if (!isempty(line))
                        strbuf_appendf(&sb, "%s%s", sb.len ? "; " : "", line);
        }
        c->refused = strbuf_finish(&sb);
        c->in.refused = c->refused && *c->refused ? c->refused : NULL;
}

/* NAME's configuration does not load, but its daemon serves the last good copy: show that one. */
static int load_last_good(const CliContext *ctx, const char *name, Host **ret_host, const Bridge **ret_bridge) {
        _cleanup_free_ char *rel = NULL, *dir = NULL, *refused = NULL;
        _cleanup_(host_freep) Host *h = calloc(1, sizeof *h);
        Bridge *b = NULL;

        if (!h || asprintf(&rel, "/run/nfswg/%s/last-good", name) < 0 || !(dir = cli_root_path(ctx, rel)) ||
            asprintf(&refused, "%s/../refused", dir) < 0)
                return -ENOMEM;
        if (access(refused, F_OK) < 0)
                return -ENOENT;
        log_set_sink(discard_log, NULL);
        int r = bridge_load(dir, name, &b);
        log_set_sink(NULL, NULL);
        if (r < 0)
                return r;
        h->bridges = calloc(1, sizeof(Bridge *));
        if (!h->bridges) {
                bridge_free(b);
                return -ENOMEM;
        }
        h->bridges[0] = b;
        h->n_bridges = 1;
        *ret_bridge = b;
        *ret_host = TAKE_PTR(h);
        return 0;
}

static void collect(const CliContext *ctx, const Bridge *b, Collected *c) {
        _cleanup_free_ char *unit = NULL;
        WgKey pub;

        c->in.bridge = b;
        read_refused(ctx, b->name, c);
        if (c->file.bridge || read_status_file(ctx, b->name, &c->file) >= 0)
                c->in.published = &c->file;
        if (asprintf(&unit, "nfswg@%s.service", b->name) >= 0 && unit_get_active_state(unit, &c->unit_state) >= 0)
                c->in.unit_state = c->unit_state;
        else
                c->in.unit_state = "unknown";

        /* Absent interfaces and tables are normal (a stopped bridge): the libraries' complaints about
         * them are not news. */
        log_set_sink(discard_log, NULL);
        if (wg_device_get(b->interface, NULL, &c->device) >= 0)
                c->in.device = c->device;
        if (nft_read_counters(b->name, &c->counters) >= 0)
                c->in.counters = &c->counters;
        log_set_sink(NULL, NULL);
        /* Not root: what the daemon published stands in for the device and the table. */
        if (!c->in.device && c->in.published)
                c->in.device = c->file.device;
        if (!c->in.counters && c->in.published && c->file.has_counters)
                c->in.counters = &c->file.counters;

        if (c->in.device && !wg_key_is_zero(c->in.device->public_key)) {
                wg_key_to_base64(c->public_key, c->in.device->public_key);
                c->in.public_key = c->public_key;
        } else if (c->device && !wg_key_is_zero(c->device->public_key)) {
                wg_key_to_base64(c->public_key, c->device->public_key);
                c->in.public_key = c->public_key;
        } else if (b->private_key_file && server_public_key_read(ctx, b->private_key_file, pub) >= 0) {
                wg_key_to_base64(c->public_key, pub);
                c->in.public_key = c->public_key;
        }
}

int verb_status(int argc, char *argv[], const CliContext *ctx_in) {
        CliContext ctx = *ctx_in;
        enum { ARG_ROOT = 0x100, ARG_JSON };
        static const struct option options[] = {
                { "root", required_argument, NULL, ARG_ROOT },
                { "json", no_argument, NULL, ARG_JSON },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        bool json = false;
        int c, r;

        cli_getopt_reset(argc, argv, "nfswg status");
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_ROOT:
                        if (cli_set_root(&ctx, optarg) < 0)
                                return EXIT_USAGE;
                        break;
                case ARG_JSON:
                        json = true;
                        break;
                case 'h':
                        return help_print(help_status);
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind > 1)
                return cli_usage_error("status: expected at most one bridge NAME.");
        const char *name = optind < argc ? argv[optind] : NULL;

        _cleanup_(host_freep) Host *h = NULL;
        const Bridge *only = NULL;
        StatusFile from_file = {};
        if (name) {
                /* Not root, or the configuration unreadable: the daemon's status file, when it runs. */
                log_set_sink(geteuid() != 0 ? discard_log : NULL, NULL);
                r = cli_load_bridge(&ctx, name, &h, &only);
                log_set_sink(NULL, NULL);
                if (r < 0 && load_last_good(&ctx, name, &h, &only) < 0) {
                        if (read_status_file(&ctx, name, &from_file) < 0) {
                                if (geteuid() != 0)
                                        (void) cli_load_bridge(&ctx, name, &h, &only); /* says why */
                                return r;
                        }
                        only = from_file.bridge;
                }
        } else {
                r = host_load(ctx.root, &h);
                if (!h)
                        return r;
                /* Broken configs were reported above; show the bridges that loaded. */
        }

        size_t n = only ? 1 : h->n_bridges;
        _cleanup_free_ Collected *v = calloc(n ? n : 1, sizeof(Collected));
        _cleanup_free_ StatusInput *in = calloc(n ? n : 1, sizeof(StatusInput));
        if (!v || !in)
                return log_oom();
        if (from_file.bridge)
                v[0].file = from_file;
        for (size_t i = 0; i < n; i++) {
                collect(&ctx, only ?: h->bridges[i], &v[i]);
                in[i] = v[i].in;
        }

        _cleanup_free_ char *text = json ? status_format_json(in, n, time(NULL)) : status_format_text(in, n, time(NULL));
        for (size_t i = 0; i < n; i++) {
                free(v[i].unit_state);
                free(v[i].refused);
                wg_device_free(v[i].device);
                status_file_done(&v[i].file);
        }
        if (!text)
                return log_oom();
        if (!json && n == 0)
                printf("No bridges: no %s%s/*.conf.\n", ctx.root, CLI_CONFIG_DIR);
        fputs(text, stdout);
        return 0;
}
