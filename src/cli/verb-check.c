/* SPDX-License-Identifier: MIT */
/* nfswg check / nfswg render: the command-line contract of DESIGN.md that the golden and
 * generator tests rely on. Neither writes anything unless everything validated. */
#include <getopt.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "emit/render.h"
#include "shared/log.h"

/* A single positional argument, tolerating --root after the verb too. Returns 0 to go on,
 * CLI_PARSE_DONE after --help, EXIT_USAGE on bad usage. */
static int parse_one_arg(int argc, char *argv[], const char *prog, CliContext *ctx, const char **ret) {
        enum { ARG_ROOT = 0x100 };
        static const struct option options[] = {
                { "root", required_argument, NULL, ARG_ROOT },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        cli_getopt_reset(argc, argv, prog);
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_ROOT:
                        if (cli_set_root(ctx, optarg) < 0)
                                return EXIT_USAGE;
                        break;
                case 'h':
                        help_print(streq(prog, "nfswg check") ? help_check : help_render);
                        return CLI_PARSE_DONE;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 1)
                return cli_usage_error("%s: expected exactly one argument.", prog + strlen("nfswg "));
        *ret = argv[optind];
        return 0;
}

static bool arg_is_file(const char *arg) {
        size_t l = strlen(arg);
        return strchr(arg, '/') || (l > 5 && streq(arg + l - 5, ".conf"));
}

/* host_load() plus the named bridge; every error fails (render must not write a partial host). */
static int load_host_strict(const CliContext *ctx, const char *name, Host **ret) {
        _cleanup_(host_freep) Host *h = NULL;
        int r;

        r = cli_check_name("bridge", name);
        if (r < 0)
                return r;
        _cleanup_free_ char *conf = NULL;
        r = cli_bridge_config(ctx, name, &conf);
        if (r < 0)
                return r;

        r = host_load(ctx->root, &h);
        if (r < 0)
                return r; /* the model logged every problem as FILE:LINE: message */
        const Bridge *b = h ? host_find_bridge(h, name) : NULL;
        if (!b)
                return log_error_errno(EINVAL, "%s: bridge '%s' did not load.", conf, name);
        r = bridge_check_own_key_file(ctx->root, b);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(h);
        return 0;
}

int verb_check(int argc, char *argv[], const CliContext *ctx_in) {
        CliContext ctx = *ctx_in;
        const char *arg;
        int r;

        r = parse_one_arg(argc, argv, "nfswg check", &ctx, &arg);
        if (r != 0)
                return r == CLI_PARSE_DONE ? 0 : r;

        if (arg_is_file(arg)) {
                _cleanup_(bridge_freep) Bridge *b = NULL;
                r = bridge_load_path(arg, &b);
                if (r < 0)
                        return r;
                r = bridge_check_own_key_file(ctx.root, b);
                if (r < 0)
                        return r;
                printf("%s: ok\n", arg);
                return 0;
        }

        _cleanup_(host_freep) Host *h = NULL;
        r = load_host_strict(&ctx, arg, &h);
        if (r < 0)
                return r;
        printf("%s: ok\n", arg);
        return 0;
}

int verb_render(int argc, char *argv[], const CliContext *ctx_in) {
        CliContext ctx = *ctx_in;
        const char *name;
        int r;

        r = parse_one_arg(argc, argv, "nfswg render", &ctx, &name);
        if (r != 0)
                return r == CLI_PARSE_DONE ? 0 : r;

        _cleanup_(host_freep) Host *h = NULL;
        r = load_host_strict(&ctx, name, &h);
        if (r < 0)
                return r;

        /* Everything is computed before the first byte is written (render.h). */
        _cleanup_(render_list_done) RenderList list = {};
        r = render_all(h, &list);
        if (r < 0)
                return log_error_errno(r, "Failed to render bridge '%s': %m", name);
        r = render_list_write(&list, ctx.root);
        if (r < 0)
                return log_error_errno(r, "Failed to write the rendered files under '%s': %m",
                                       isempty(ctx.root) ? "/" : ctx.root);
        return 0;
}
