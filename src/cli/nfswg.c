/* SPDX-License-Identifier: MIT */
/* nfswg: the administrator's command. Subcommands as a table of {name, fn, description}, as in
 * wireguard-tools' wg(8). */
#include <getopt.h>
#include <stdarg.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "shared/escape.h"
#include "shared/log.h"
#include "shared/parse.h"

static const Verb verbs[] = {
        { "init", verb_init, "Create /etc/nfswg/NAME.conf and the bridge's key" },
        { "peer", verb_peer, "Add, remove, list peers; print a peer's client config" },
        { "mount-hint", verb_mount_hint, "Print the mount command for a peer" },
        { "status", verb_status, "Show bridges, peers, exports and counters" },
        { "check", verb_check, "Validate a bridge's configuration" },
        { "render", verb_render, "Write every generated file under --root" },
};

static void help(FILE *f) {
        fprintf(f,
                "Usage: nfswg [--root DIR] COMMAND [ARGS...]\n"
                "\n"
                "NFS over WireGuard: manage bridges and their peers.\n"
                "\n"
                "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(f, "  %-11s %s\n", verbs[i].name, verbs[i].description);
        fprintf(f,
                "\n"
                "  init NAME [--mode MODE] [--interface IFACE] [--address ADDR/LEN] [--port PORT]\n"
                "            [--endpoint HOST:PORT] [--export PATH] [--forward NET|@BRIDGE]\n"
                "            [--server-key KEY] [--allowed-ips NET] [--close-nfs-on IFACE]\n"
                "  peer add NAME PEER [--address ADDR] [--public-key KEY] [--keepalive SEC] [--psk] [--qr]\n"
                "           [--expires DATE]\n"
                "  peer remove NAME PEER\n"
                "  peer list NAME [--json]\n"
                "  peer config NAME PEER [--qr | --qr=png FILE]\n"
                "  peer disable|enable NAME PEER\n"
                "  peer rename NAME OLD NEW\n"
                "  peer rotate-key NAME PEER [--qr]\n"
                "  mount-hint NAME PEER [--os linux|macos|windows]\n"
                "  status [NAME] [--json]\n"
                "  check NAME|FILE\n"
                "  render NAME\n"
                "\n"
                "Each command explains its options with --help (nfswg peer add --help).\n"
                "\n"
                "Options:\n"
                "  --root DIR  operate on the files under DIR instead of / (no running system is touched)\n"
                "  -h --help   show this help\n"
                "  --version   show the version\n");
}

int cli_usage_error(const char *fmt, ...) {
        va_list ap;
        fputs("nfswg: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\nTry 'nfswg --help'.\n", stderr);
        return EXIT_USAGE;
}

void cli_getopt_reset(int argc, char *argv[], const char *prog) {
        (void) argc;
        argv[0] = (char *) prog;
        optind = 0; /* glibc: 0 reinitialises getopt's state for a new argument vector */
}

int cli_set_root(CliContext *ctx, const char *dir) {
        static char root_buf[4096];
        size_t l = strlen(dir);

        if (l == 0 || l >= sizeof root_buf) {
                cli_usage_error("--root needs a directory.");
                return -EINVAL;
        }
        memcpy(root_buf, dir, l + 1);
        while (l > 0 && root_buf[l - 1] == '/')
                root_buf[--l] = '\0';
        ctx->root = root_buf;
        return 0;
}

char *cli_root_path(const CliContext *ctx, const char *path) {
        char *s;
        if (asprintf(&s, "%s%s", ctx->root, path) < 0)
                return NULL;
        return s;
}

int cli_check_name(const char *what, const char *name) {
        if (!name_is_valid(name))
                return log_error_errno(EINVAL, "Invalid %s name '%s': it must match [a-z0-9][a-z0-9-]{0,31}.",
                                       what, EXCERPT(name));
        return 0;
}

int cli_bridge_config(const CliContext *ctx, const char *name, char **ret) {
        _cleanup_free_ char *conf = NULL;
        if (asprintf(&conf, "%s" CLI_CONFIG_DIR "/%s.conf", ctx->root, name) < 0)
                return log_oom();
        if (access(conf, F_OK) < 0) {
                if (errno == ENOENT)
                        return log_error_errno(ENOENT, "There is no bridge '%s' (no %s): 'nfswg%s%s init %s' creates it.",
                                               name, conf, isempty(ctx->root) ? "" : " --root ", ctx->root, name);
                return log_error_errno(errno, "%s: %m", conf);
        }
        *ret = TAKE_PTR(conf);
        return 0;
}

int cli_load_bridge(const CliContext *ctx, const char *name, Host **ret_host, const Bridge **ret_bridge) {
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
        if (!h)
                return r < 0 ? r : -EINVAL;
        const Bridge *b = host_find_bridge(h, name);
        if (!b)
                /* The model logged why (FILE:LINE: message). */
                return log_error_errno(EINVAL, "%s: bridge '%s' is not valid.", conf, name);
        *ret_bridge = b;
        *ret_host = TAKE_PTR(h);
        return 0;
}

static const Verb *find_verb(const Verb *table, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(table[i].name, name))
                        return &table[i];
        return NULL;
}

static const Verb peer_verbs[] = {
        { "add", verb_peer_add, "Add a peer: key pair, address, client config; reload the bridge" },
        { "remove", verb_peer_remove, "Remove a peer added with 'peer add'; reload the bridge" },
        { "list", verb_peer_list, "List peers with their address, handshake and transfer" },
        { "config", verb_peer_config, "Print a peer's wg-quick config, or its QR code" },
        { "disable", verb_peer_disable, "Take a peer's access away, keeping it configured; reload the bridge" },
        { "enable", verb_peer_enable, "Give a disabled peer its access back; reload the bridge" },
        { "rename", verb_peer_rename, "Rename a peer added with 'peer add'; reload the bridge" },
        { "rotate-key", verb_peer_rotate_key, "New key pair and client config for a peer; the old key is refused" },
};

int verb_peer(int argc, char *argv[], const CliContext *ctx) {
        if (argc < 2)
                return cli_usage_error("peer: missing subcommand (add, remove, list, config, disable, enable, rename, rotate-key).");
        if (streq(argv[1], "--help") || streq(argv[1], "-h")) {
                printf("Usage: nfswg peer SUBCOMMAND ...\n\nSubcommands (each explains its options with --help):\n");
                for (size_t i = 0; i < ELEMENTSOF(peer_verbs); i++)
                        printf("  %-10s %s\n", peer_verbs[i].name, peer_verbs[i].description);
                return 0;
        }
        const Verb *v = find_verb(peer_verbs, ELEMENTSOF(peer_verbs), argv[1]);
        if (!v)
                return cli_usage_error("peer: unknown subcommand '%s'.", EXCERPT(argv[1]));
        return v->fn(argc - 1, argv + 1, ctx);
}

static int run(int argc, char *argv[]) {
        enum { ARG_ROOT = 0x100, ARG_VERSION };
        static const struct option options[] = {
                { "root", required_argument, NULL, ARG_ROOT },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        CliContext ctx = { .root = "" };
        int c;

        /* '+': stop at the verb; each verb parses its own options. */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case ARG_ROOT:
                        if (cli_set_root(&ctx, optarg) < 0)
                                return EXIT_USAGE;
                        break;
                case 'h':
                        help(stdout);
                        return 0;
                case ARG_VERSION:
                        printf("nfswg %s\n", NFSWG_VERSION);
                        return 0;
                default:
                        return EXIT_USAGE;
                }

        if (optind >= argc)
                return cli_usage_error("missing command.");

        const Verb *v = find_verb(verbs, ELEMENTSOF(verbs), argv[optind]);
        if (!v)
                return cli_usage_error("unknown command '%s'.", EXCERPT(argv[optind]));
        return v->fn(argc - optind, argv + optind, &ctx);
}

int main(int argc, char *argv[]) {
        log_set_ident("nfswg");
        log_set_target(LOG_TARGET_STDERR);
        log_set_stderr_prefix("nfswg: ");
        int r = run(argc, argv);
        if (fflush(stdout) != 0 && r == 0) {
                log_error_errno(errno, "Failed to write output: %m");
                r = -EIO;
        }
        return r < 0 ? EXIT_FAILURE : r;
}
