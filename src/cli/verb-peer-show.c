/* SPDX-License-Identifier: MIT */
/* nfswg peer list / peer config / mount-hint: read-only views of a bridge's peers. */
#include <getopt.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "cli/peer-client.h"
#include "cli/status.h"
#include "emit/emit.h"
#include "shared/escape.h"
#include "shared/fileio.h"
#include "shared/log.h"

static void discard_log(int level, const char *message, void *userdata) {
}

/* The common shape: [--root DIR] and n positional arguments, plus one verb-specific option. */
typedef struct ShowArgs {
        const char *pos[3];
        size_t n_pos;
        const char *qr;     /* peer config: "" for --qr, "png" for --qr=png */
        const char *os;     /* mount-hint --os */
        bool json;          /* peer list --json */
} ShowArgs;

static int parse_show_args(int argc, char *argv[], const char *prog, const char *usage, const char *help,
                           CliContext *ctx, ShowArgs *a) {
        enum { ARG_ROOT = 0x100, ARG_QR, ARG_OS, ARG_JSON };
        static const struct option options[] = {
                { "root", required_argument, NULL, ARG_ROOT },
                { "qr", optional_argument, NULL, ARG_QR },
                { "os", required_argument, NULL, ARG_OS },
                { "json", no_argument, NULL, ARG_JSON },
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
                case ARG_QR:
                        if (!strstr(usage, "--qr"))
                                return cli_usage_error("%s: unknown option --qr.", prog + strlen("nfswg "));
                        a->qr = optarg ?: "";
                        if (!streq(a->qr, "") && !streq(a->qr, "png") && !streq(a->qr, "utf8"))
                                return cli_usage_error("%s: --qr takes no value, or =png FILE.", prog + strlen("nfswg "));
                        if (streq(a->qr, "utf8"))
                                a->qr = "";
                        break;
                case ARG_OS:
                        if (!strstr(usage, "--os"))
                                return cli_usage_error("%s: unknown option --os.", prog + strlen("nfswg "));
                        a->os = optarg;
                        break;
                case ARG_JSON:
                        if (!strstr(usage, "--json"))
                                return cli_usage_error("%s: unknown option --json.", prog + strlen("nfswg "));
                        a->json = true;
                        break;
                case 'h':
                        help_print(help);
                        return CLI_PARSE_DONE;
                default:
                        return EXIT_USAGE;
                }
        a->n_pos = (size_t) (argc - optind);
        if (a->n_pos > ELEMENTSOF(a->pos))
                return cli_usage_error("%s: too many arguments. Usage: %s %s", prog + strlen("nfswg "), prog, usage);
        for (size_t i = 0; i < a->n_pos; i++)
                a->pos[i] = argv[optind + (int) i];
        return 0;
}

static int load_peer(const CliContext *ctx, const char *bridge, const char *peer, Host **ret_h, const Bridge **ret_b,
                     const Peer **ret_p) {
        int r = cli_check_name("peer", peer);
        if (r < 0)
                return r;
        r = cli_load_bridge(ctx, bridge, ret_h, ret_b);
        if (r < 0)
                return r;
        *ret_p = bridge_find_peer_any(*ret_b, peer);
        if (!*ret_p) {
                *ret_h = host_free(*ret_h);
                return log_error_errno(ENOENT, "Bridge '%s' has no peer '%s' ('nfswg peer list %s' shows them).", bridge,
                                       peer, bridge);
        }
        return 0;
}

int verb_peer_list(int argc, char *argv[], const CliContext *ctx_in) {
        CliContext ctx = *ctx_in;
        ShowArgs a = {};
        int r;

        r = parse_show_args(argc, argv, "nfswg peer list", "NAME [--json]", help_peer_list, &ctx, &a);
        if (r != 0)
                return r == CLI_PARSE_DONE ? 0 : r;
        if (a.n_pos != 1)
                return cli_usage_error("peer list: expected NAME.");

        _cleanup_(host_freep) Host *h = NULL;
        const Bridge *b;
        r = cli_load_bridge(&ctx, a.pos[0], &h, &b);
        if (r < 0)
                return r;

        _cleanup_(wg_device_freep) WgDevice *dev = NULL;
        log_set_sink(discard_log, NULL);
        if (wg_device_get(b->interface, NULL, &dev) < 0)
                dev = NULL;
        log_set_sink(NULL, NULL);

        /* The daemon's status file: the rates, and the device's figures where this user cannot
         * read the device (status-file.h). */
        StatusFile published = {};
        _cleanup_free_ char *rel = NULL, *spath = NULL;
        if (asprintf(&rel, "/run/nfswg-status/%s.json", b->name) >= 0 && (spath = cli_root_path(&ctx, rel)) &&
            status_file_read(spath, &published) < 0)
                published = (StatusFile) {};

        time_t now = time(NULL);
        if (a.json) {
                StatusInput in = { .bridge = b, .device = dev ?: published.device,
                                   .published = published.bridge ? &published : NULL };
                _cleanup_free_ char *text = status_format_peers_json(&in, now);
                status_file_done(&published);
                if (!text)
                        return log_oom();
                fputs(text, stdout);
                return 0;
        }
        if (!dev)
                dev = TAKE_PTR(published.device);
        status_file_done(&published);
        printf("%-20s %-32s %-9s %-20s %s\n", "PEER", "ADDRESS", "STATE", "LATEST HANDSHAKE", "TRANSFER");
        for (size_t i = 0; i < bridge_n_peers_any(b); i++) {
                const Peer *p = bridge_peer_any(b, i);
                const WgPeer *wp = status_device_peer(dev, p);
                char addrs[256] = "", a1[IP_PREFIX_STRLEN], age[48] = "-", transfer[80] = "-", rx[32], tx[32];

                for (size_t j = 0; j < p->n_addresses; j++) {
                        size_t l = strlen(addrs);
                        snprintf(addrs + l, sizeof addrs - l, "%s%s", j ? "," : "", ip_prefix_format(&p->addresses[j], a1));
                }
                if (wp) {
                        if (wp->last_handshake_sec > 0) {
                                format_age((int64_t) now - wp->last_handshake_sec, age, sizeof age - 4);
                                strcat(age, " ago");
                        } else
                                snprintf(age, sizeof age, "never");
                        format_bytes(wp->rx_bytes, rx, sizeof rx);
                        format_bytes(wp->tx_bytes, tx, sizeof tx);
                        snprintf(transfer, sizeof transfer, "%s received, %s sent", rx, tx);
                }
                const char *state = p->disabled ? "disabled" : p->expired ? "expired" : "enabled";
                printf("%-20s %-32s %-9s %-20s %s\n", p->name, addrs, state, age, transfer);
        }
        return 0;
}

int verb_peer_config(int argc, char *argv[], const CliContext *ctx_in) {
        CliContext ctx = *ctx_in;
        ShowArgs a = {};
        int r;

        r = parse_show_args(argc, argv, "nfswg peer config", "NAME PEER [--qr | --qr=png FILE]", help_peer_config,
                            &ctx, &a);
        if (r != 0)
                return r == CLI_PARSE_DONE ? 0 : r;
        bool png = a.qr && streq(a.qr, "png");
        if (a.n_pos != (png ? 3u : 2u))
                return cli_usage_error(png ? "peer config: --qr=png needs NAME PEER FILE." : "peer config: expected NAME and PEER.");

        _cleanup_(host_freep) Host *h = NULL;
        const Bridge *b;
        const Peer *p;
        r = load_peer(&ctx, a.pos[0], a.pos[1], &h, &b, &p);
        if (r < 0)
                return r;

        /* The private key from the config peer add stored; regenerated around it, so a changed
         * bridge (Endpoint=, networks) shows in the config. */
        char priv[WG_KEY_B64_LEN + 1];
        const char *priv_arg = NULL;
        r = peer_stored_private_key(&ctx, b->name, p->name, priv);
        if (r >= 0) {
                WgKey k, pub;
                if (wg_key_from_base64(k, priv) >= 0 && wg_key_public_from_private(pub, k) >= 0 &&
                    memcmp(pub, p->public_key, WG_KEY_LEN) == 0)
                        priv_arg = priv;
                else
                        log_warning("Warning: the stored config of peer '%s' holds a key that does not match its PublicKey=; "
                                    "leaving a placeholder.", p->name);
                wg_key_wipe(k);
        } else if (r != -ENOENT)
                log_warning("Warning: cannot read the stored config of peer '%s' (%s); leaving a placeholder for its private key.",
                            p->name, read_file_strerror(r));

        _cleanup_(secret_freep) char *text = NULL;
        r = peer_client_config(&ctx, h, b, p, priv_arg, &text);
        explicit_bzero(priv, sizeof priv);
        if (r < 0)
                return r;
        if (!a.qr) {
                fputs(text, stdout);
                return 0;
        }
        /* A QR code is imported as it is: one with a placeholder makes a tunnel that cannot work. */
        if (!priv_arg)
                return log_error_errno(ENOKEY,
                                       "Peer '%s' has no private key on this host (it was added with --public-key, or its "
                                       "stored config does not match), so there is no QR code to show: print the config "
                                       "as text ('nfswg peer config %s %s') and fill in the key where it says REPLACE.",
                                       p->name, b->name, p->name);
        if (r > 0)
                return log_error_errno(ENOKEY,
                                       "The config of peer '%s' has a placeholder (see above), so there is no QR code to "
                                       "show: print it as text and fill it in.",
                                       p->name);
        r = peer_print_qr(text, png ? a.pos[2] : NULL, b->name, p->name);
        if (r >= 0 && png)
                fprintf(stderr, "Wrote %s (mode 0600: it holds the peer's private key).\n", ESCAPE_PATH(a.pos[2]));
        return r;
}

int verb_mount_hint(int argc, char *argv[], const CliContext *ctx_in) {
        CliContext ctx = *ctx_in;
        ShowArgs a = {};
        MountHintOs os = MOUNT_HINT_LINUX;
        int r;

        r = parse_show_args(argc, argv, "nfswg mount-hint", "NAME PEER [--os linux|macos|windows]", help_mount_hint,
                            &ctx, &a);
        if (r != 0)
                return r == CLI_PARSE_DONE ? 0 : r;
        if (a.n_pos != 2)
                return cli_usage_error("mount-hint: expected NAME and PEER.");
        if (a.os && mount_hint_os_from_string(a.os, &os) < 0)
                return cli_usage_error("mount-hint: --os must be linux, macos or windows, not '%s'.", EXCERPT(a.os));

        _cleanup_(host_freep) Host *h = NULL;
        const Bridge *b;
        const Peer *p;
        r = load_peer(&ctx, a.pos[0], a.pos[1], &h, &b, &p);
        if (r < 0)
                return r;
        if (!mount_hint_os_supported(b, os))
                return log_error_errno(EPROTONOSUPPORT,
                                       "Bridge '%s' offers no NFSv3, the only version Windows' Client for NFS speaks: "
                                       "add 3 to NFSVersions= in [Bridge] of %s%s first.",
                                       b->name, ctx.root, b->config_id);
        _cleanup_free_ char *text = emit_mount_hint(b, p, os);
        if (!text)
                return log_oom();
        fputs(text, stdout);
        return 0;
}
