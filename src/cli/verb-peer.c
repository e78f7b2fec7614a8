/* SPDX-License-Identifier: MIT */
/* nfswg peer add / peer remove: a drop-in per peer, validated before it lands, applied live by
 * reloading nfswg@NAME (the daemon changes only that peer, the tunnel stays up). */
#include <getopt.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/config-edit.h"
#include "cli/help.h"
#include "cli/peer-address.h"
#include "cli/peer-client.h"
#include "cli/peer-dropin.h"
#include "cli/state-files.h"
#include "cli/unit-bus.h"
#include "shared/escape.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/parse.h"

/* Reloads nfswg@NAME when it runs. 0 when reloaded or not running (noted on stderr), -errno when
 * the reload failed. With --root the files are not the running system's: nothing to reload. */
static int reload_bridge(const CliContext *ctx, const char *name, const char *what) {
        _cleanup_free_ char *unit = NULL, *state = NULL;
        int r;

        if (!isempty(ctx->root))
                return 0;
        if (asprintf(&unit, "nfswg@%s.service", name) < 0)
                return log_oom();
        r = unit_get_active_state(unit, &state);
        if (r == -ENOMEDIUM) {
                fprintf(stderr, "Not running (no systemd here): %s takes effect when nfswg@%s starts.\n", what, name);
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to ask systemd about %s: %m", unit);
        if (!streq(state, "active") && !streq(state, "reloading")) {
                fprintf(stderr, "%s is %s: %s takes effect when it starts.\n", unit, state, what);
                return 0;
        }
        r = unit_reload(unit);
        if (r < 0)
                return r;
        fprintf(stderr, "Reloaded %s: %s is live.\n", unit, what);
        return 0;
}

/* The host as emit_client_config() should see it: b replaced by the validated new version. */
static int host_with_bridge(const Host *h, const Bridge *old, Bridge *new_b, Host *ret, Bridge ***ret_array) {
        Bridge **v = calloc(h->n_bridges ? h->n_bridges : 1, sizeof(Bridge *));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < h->n_bridges; i++)
                v[i] = h->bridges[i] == old ? new_b : h->bridges[i];
        *ret = *h;
        ret->bridges = v;
        *ret_array = v;
        return 0;
}

typedef struct AddArgs {
        const char *bridge;
        const char *peer;
        char **addresses;
        const char *public_key;
        unsigned keepalive;
        bool psk;
        bool qr;
} AddArgs;

static int parse_add_args(int argc, char *argv[], CliContext *ctx, AddArgs *a) {
        enum { ARG_ROOT = 0x100, ARG_ADDRESS, ARG_PUBLIC_KEY, ARG_KEEPALIVE, ARG_PSK, ARG_QR };
        static const struct option options[] = {
                { "root", required_argument, NULL, ARG_ROOT },
                { "address", required_argument, NULL, ARG_ADDRESS },
                { "public-key", required_argument, NULL, ARG_PUBLIC_KEY },
                { "keepalive", required_argument, NULL, ARG_KEEPALIVE },
                { "psk", no_argument, NULL, ARG_PSK },
                { "qr", no_argument, NULL, ARG_QR },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        a->keepalive = DEFAULT_KEEPALIVE;
        cli_getopt_reset(argc, argv, "nfswg peer add");
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_ROOT:
                        if (cli_set_root(ctx, optarg) < 0)
                                return EXIT_USAGE;
                        break;
                case ARG_ADDRESS:
                        if (strv_extend(&a->addresses, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_PUBLIC_KEY:
                        a->public_key = optarg;
                        break;
                case ARG_KEEPALIVE:
                        if (parse_unsigned(optarg, 0, 65535, &a->keepalive) < 0)
                                return cli_usage_error("peer add: --keepalive must be 0-65535 seconds, not '%s'.", EXCERPT(optarg));
                        break;
                case ARG_PSK:
                        a->psk = true;
                        break;
                case ARG_QR:
                        a->qr = true;
                        break;
                case 'h':
                        help_print(help_peer_add);
                        return CLI_PARSE_DONE;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 2)
                return cli_usage_error("peer add: expected NAME and PEER.");
        /* The QR code would carry a placeholder instead of the key its owner keeps. */
        if (a->qr && a->public_key)
                return cli_usage_error("peer add: --qr needs the peer's private key, which stays with the owner of "
                                       "--public-key; leave out --qr and fill the key into the printed config.");
        a->bridge = argv[optind];
        a->peer = argv[optind + 1];
        return 0;
}

/* What peer add wrote, so a failure later takes it back. */
typedef struct Written {
        char *paths[3];
} Written;

static void written_rollback(Written *w) {
        for (size_t i = ELEMENTSOF(w->paths); i > 0; i--)
                if (w->paths[i - 1]) {
                        (void) unlink(w->paths[i - 1]);
                        w->paths[i - 1] = NULL;
                }
}

static void written_keep(Written *w) {
        for (size_t i = 0; i < ELEMENTSOF(w->paths); i++)
                w->paths[i] = NULL;
}

typedef struct Secrets {
        WgKey private_key;
        WgKey psk;
        char private_b64[WG_KEY_B64_LEN + 1];
        char psk_b64[WG_KEY_B64_LEN + 2];
} Secrets;

static void secrets_wipe(Secrets *s) {
        explicit_bzero(s, sizeof *s);
}

int verb_peer_add(int argc, char *argv[], const CliContext *ctx_in) {
        CliContext ctx = *ctx_in;
        AddArgs a = {};
        _cleanup_(secrets_wipe) Secrets sec = {};
        int r;

        r = parse_add_args(argc, argv, &ctx, &a);
        _cleanup_strv_free_ char **addresses_arg = a.addresses;
        if (r != 0)
                return r == CLI_PARSE_DONE ? 0 : r;
        if ((r = cli_check_name("bridge", a.bridge)) < 0 || (r = cli_check_name("peer", a.peer)) < 0)
                return r;

        _cleanup_close_ int lock_fd = -1;
        r = config_lock(&ctx, &lock_fd);
        if (r < 0)
                return r;

        _cleanup_(host_freep) Host *h = NULL;
        const Bridge *b;
        r = cli_load_bridge(&ctx, a.bridge, &h, &b);
        if (r < 0)
                return r;
        if (b->mode == BRIDGE_MODE_CLIENT)
                return log_error_errno(EINVAL, "Bridge '%s' is in client mode: it has a [Server], not peers.", a.bridge);

        /* Addresses: as asked, or the lowest free one of each family the bridge has. */
        _cleanup_free_ IpPrefix *addrs = NULL;
        size_t n_addrs = 0;
        STRV_FOREACH(s, addresses_arg) {
                IpPrefix *p = ARRAY_PUSH(addrs, n_addrs);
                if (!p)
                        return log_oom();
                if (ip_prefix_parse(*s, true, p) < 0)
                        return log_error_errno(EINVAL, "--address %s is not an address (10.8.0.7, fd00::7 or ADDR/LEN).", EXCERPT(*s));
        }
        if (n_addrs == 0) {
                static const int families[] = { AF_INET, AF_INET6 };
                for (size_t i = 0; i < ELEMENTSOF(families); i++) {
                        IpPrefix p;
                        r = peer_address_allocate(b, families[i], &p);
                        if (r == -ENOENT)
                                continue;
                        if (r == -ENOSPC)
                                return log_error_errno(r, "Bridge '%s' has no free %s address left in its tunnel network; "
                                                       "remove a peer or widen Address= in [Bridge].",
                                                       a.bridge, families[i] == AF_INET ? "IPv4" : "IPv6");
                        if (r < 0)
                                return log_error_errno(r, "Failed to choose an address: %m");
                        IpPrefix *slot = ARRAY_PUSH(addrs, n_addrs);
                        if (!slot)
                                return log_oom();
                        *slot = p;
                }
        }

        PeerRequest req = {
                .name = a.peer,
                .addresses = addrs,
                .n_addresses = n_addrs,
                .persistent_keepalive = a.keepalive,
        };
        bool have_private = !a.public_key;
        if (a.public_key) {
                if (wg_key_from_base64(req.public_key, a.public_key) < 0)
                        return log_error_errno(EINVAL, "--public-key must be 44 characters of base64 (32 bytes), as 'wg pubkey' prints.");
        } else {
                if ((r = wg_key_generate_private(sec.private_key)) < 0 ||
                    (r = wg_key_public_from_private(req.public_key, sec.private_key)) < 0)
                        return log_error_errno(r, "Failed to generate the peer's key: %m");
                wg_key_to_base64(sec.private_b64, sec.private_key);
        }
        _cleanup_free_ char *psk_host = NULL;
        if (a.psk) {
                psk_host = peer_psk_host_path(a.bridge, a.peer);
                if (!psk_host)
                        return log_oom();
                req.preshared_key_file = psk_host;
        }

        r = peer_request_check(b, &req);
        if (r < 0)
                return r;
        WgKey own;
        if (a.public_key && server_public_key_read(&ctx, b->private_key_file, own) >= 0 &&
            memcmp(own, req.public_key, WG_KEY_LEN) == 0)
                return log_error_errno(EINVAL, "--public-key is the public key of bridge '%s' itself (of %s%s); the peer needs a "
                                       "key pair of its own (leave --public-key out and one is made).",
                                       a.bridge, ctx.root, b->private_key_file);

        _cleanup_free_ char *dropin_name = peer_dropin_filename(a.peer), *dropin_dir = NULL, *dropin = NULL;
        if (!dropin_name || asprintf(&dropin_dir, "%s%s/%s.conf.d", ctx.root, CLI_CONFIG_DIR, a.bridge) < 0 ||
            asprintf(&dropin, "%s/%s", dropin_dir, dropin_name) < 0)
                return log_oom();
        if (access(dropin, F_OK) == 0)
                return log_error_errno(EEXIST, "%s already exists; remove it or choose another peer name.", dropin);

        _cleanup_free_ char *text = peer_dropin_format(b, &req);
        if (!text)
                return log_oom();

        /* The bridge as the daemon will read it, new drop-in included, before anything is written. */
        _cleanup_(bridge_freep) Bridge *nb = NULL;
        r = config_validate_with(&ctx, a.bridge, dropin_name, text, NULL, &nb);
        if (r < 0)
                return log_error_errno(r, "Peer '%s' was not added; nothing was written.", a.peer);
        const Peer *np = bridge_find_peer(nb, a.peer);
        if (!np)
                return log_error_errno(EINVAL, "Peer '%s' did not appear in the validated config.", a.peer);

        _cleanup_free_ char *peers_dir = NULL, *client_path = peer_client_path(&ctx, a.bridge, a.peer, ".conf");
        _cleanup_free_ char *psk_path = peer_client_path(&ctx, a.bridge, a.peer, ".psk");
        _cleanup_(secret_freep) char *client = NULL;
        if (!client_path || !psk_path)
                return log_oom();

        /* Writing starts here. From now on a failure removes what was written. */
        _cleanup_(written_rollback) Written w = {};
        WgKey server_pub;
        bool created;
        r = server_key_ensure(&ctx, b->private_key_file, server_pub, &created);
        if (r < 0)
                return r;
        if (created)
                fprintf(stderr, "Created the bridge's key %s%s.\n", ctx.root, b->private_key_file);

        if (a.psk || have_private) {
                r = state_dir_ensure(&ctx, a.bridge, "peers", &peers_dir);
                if (r < 0)
                        return r;
        }
        if (a.psk) {
                if ((r = wg_key_generate_preshared(sec.psk)) < 0)
                        return log_error_errno(r, "Failed to generate a preshared key: %m");
                wg_key_to_base64(sec.psk_b64, sec.psk);
                strcat(sec.psk_b64, "\n");
                /* systemd.netdev(5): PresharedKeyFile= must be readable by systemd-network, like the
                 * private key; nobody else may read it. */
                (void) unlink_if_exists(psk_path); /* a leftover of a removed peer of that name */
                r = write_file_new(psk_path, sec.psk_b64, 0640, key_file_gid() == (gid_t) -1 ? (uid_t) -1 : 0,
                                    key_file_gid());
                if (r < 0)
                        return log_error_errno(r, "Failed to write %s: %m", psk_path);
                w.paths[0] = psk_path;
        }

        Host hv;
        _cleanup_free_ Bridge **hv_array = NULL;
        if (host_with_bridge(h, b, nb, &hv, &hv_array) < 0)
                return log_oom();
        r = peer_client_config(&ctx, &hv, nb, np, have_private ? sec.private_b64 : NULL, &client);
        if (r < 0)
                return r;
        if (have_private) {
                /* The only copy of the private key besides what is printed below. */
                r = write_file_atomic(client_path, client, 0600, 0 == geteuid() ? 0 : (uid_t) -1,
                                      0 == geteuid() ? 0 : (gid_t) -1);
                if (r < 0)
                        return log_error_errno(r, "Failed to write %s: %m", client_path);
                w.paths[1] = client_path;
        }

        r = mkdir_p(dropin_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", dropin_dir);
        r = write_file_new(dropin, text, 0644, (uid_t) -1, (gid_t) -1);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", dropin);
        w.paths[2] = dropin;

        char addr_list[256] = "";
        for (size_t i = 0; i < n_addrs; i++) {
                char s[IP_PREFIX_STRLEN];
                size_t l = strlen(addr_list);
                snprintf(addr_list + l, sizeof addr_list - l, "%s%s", i ? ", " : "", ip_prefix_format(&addrs[i], s));
        }
        _cleanup_free_ char *what = NULL;
        if (asprintf(&what, "peer '%s' (%s)", a.peer, addr_list) < 0)
                return log_oom();
        r = reload_bridge(&ctx, a.bridge, what);
        if (r < 0)
                return log_error_errno(r, "Reloading nfswg@%s failed, so peer '%s' was taken out again (%s removed).",
                                       a.bridge, a.peer, dropin);
        written_keep(&w);

        fprintf(stderr, "Added peer '%s' to bridge '%s': %s, in %s.\n", a.peer, a.bridge, addr_list, dropin);
        if (have_private)
                fprintf(stderr, "Its client config (with its private key) is kept in %s (root only).\n", client_path);
        else
                fprintf(stderr, "Its private key stays with its owner: fill it into the config below.\n");
        fputs(client, stdout);
        if (a.qr) {
                fputc('\n', stdout);
                fflush(stdout);
                /* The peer is added either way; a code that does not fit is only not shown. */
                if (peer_print_qr(client, NULL, a.bridge, a.peer) < 0)
                        fprintf(stderr, "Peer '%s' was added; only its QR code was not shown.\n", a.peer);
        }
        return 0;
}

int verb_peer_remove(int argc, char *argv[], const CliContext *ctx_in) {
        CliContext ctx = *ctx_in;
        enum { ARG_ROOT = 0x100 };
        static const struct option options[] = {
                { "root", required_argument, NULL, ARG_ROOT },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, r;

        cli_getopt_reset(argc, argv, "nfswg peer remove");
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_ROOT:
                        if (cli_set_root(&ctx, optarg) < 0)
                                return EXIT_USAGE;
                        break;
                case 'h':
                        return help_print(help_peer_remove);
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 2)
                return cli_usage_error("peer remove: expected NAME and PEER.");
        const char *name = argv[optind], *peer = argv[optind + 1];
        if ((r = cli_check_name("bridge", name)) < 0 || (r = cli_check_name("peer", peer)) < 0)
                return r;

        _cleanup_close_ int lock_fd = -1;
        r = config_lock(&ctx, &lock_fd);
        if (r < 0)
                return r;

        _cleanup_(host_freep) Host *h = NULL;
        const Bridge *b;
        r = cli_load_bridge(&ctx, name, &h, &b);
        if (r < 0)
                return r;
        const Peer *p = bridge_find_peer(b, peer);
        if (!p)
                return log_error_errno(ENOENT, "Bridge '%s' has no peer '%s'.", name, peer);

        _cleanup_free_ char *dropin_name = peer_dropin_filename(peer), *dropin = NULL;
        if (!dropin_name || asprintf(&dropin, "%s%s/%s.conf.d/%s", ctx.root, CLI_CONFIG_DIR, name, dropin_name) < 0)
                return log_oom();
        /* Only what peer add wrote is ours to remove; the administrator's files are theirs. */
        if (!streq_ptr(p->source, dropin))
                return log_error_errno(EPERM, "Peer '%s' is defined in %s:%u, not by 'nfswg peer add'; remove it there.",
                                       peer, strempty(p->source), p->line);

        _cleanup_(bridge_freep) Bridge *nb = NULL;
        r = config_validate_with(&ctx, name, NULL, NULL, dropin_name, &nb);
        if (r < 0)
                return log_error_errno(r, "Without peer '%s' the config of '%s' would not be valid (see above); nothing was changed.",
                                       peer, name);

        _cleanup_free_ char *saved = NULL;
        r = read_full_file(dropin, &saved, NULL);
        if (r < 0)
                return log_error_errno(r, "%s: cannot read: %s", dropin, read_file_strerror(r));
        if (unlink(dropin) < 0)
                return log_error_errno(errno, "Failed to remove %s: %m", dropin);

        _cleanup_free_ char *what = NULL;
        if (asprintf(&what, "the removal of peer '%s'", peer) < 0)
                return log_oom();
        r = reload_bridge(&ctx, name, what);
        if (r < 0) {
                int k = write_file_new(dropin, saved, 0644, (uid_t) -1, (gid_t) -1);
                if (k < 0)
                        log_error_errno(k, "Failed to restore %s: %m", dropin);
                return log_error_errno(r, "Reloading nfswg@%s failed, so peer '%s' was put back (%s).", name, peer, dropin);
        }

        /* The peer's secrets go with it. */
        _cleanup_free_ char *client_path = peer_client_path(&ctx, name, peer, ".conf"),
                            *psk_path = peer_client_path(&ctx, name, peer, ".psk");
        if (!client_path || !psk_path)
                return log_oom();
        (void) unlink_if_exists(client_path);
        if (p->preshared_key_file) {
                _cleanup_free_ char *ours = peer_psk_host_path(name, peer);
                if (ours && streq(p->preshared_key_file, ours))
                        (void) unlink_if_exists(psk_path);
        }
        fprintf(stderr, "Removed peer '%s' from bridge '%s'.\n", peer, name);
        return 0;
}
