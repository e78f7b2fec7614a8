/* SPDX-License-Identifier: MIT */
/* nfswg peer disable / enable (a peer's access taken away and given back without forgetting it),
 * rotate-key (a new key pair for a peer) and rename. Only the drop-in `nfswg peer add` wrote is edited (as
 * peer remove removes only that), validated as the daemon will read it, and applied live by
 * reloading nfswg@NAME. */
#include <getopt.h>

#include "cli/cli.h"
#include "cli/config-edit.h"
#include "cli/help.h"
#include "cli/peer-client.h"
#include "cli/peer-dropin.h"
#include "cli/state-files.h"
#include "shared/escape.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/parse.h"
#include "shared/strbuf.h"

/* A peer's drop-in, read under the config lock, ready to be replaced. */
typedef struct PeerEdit {
        int lock_fd;
        Host *host;
        const Bridge *bridge;
        const Peer *peer;
        char *dropin_name; /* peer-PEER.conf */
        char *dropin;      /* ROOT/etc/nfswg/NAME.conf.d/peer-PEER.conf */
        char *text;        /* its content */
} PeerEdit;

static void peer_edit_done(PeerEdit *e) {
        closep(&e->lock_fd);
        host_free(e->host);
        free(e->dropin_name);
        free(e->dropin);
        free(e->text);
}

/* Parses "[--root DIR] NAME PEER [EXTRA...]" into pos (n_pos words expected). */
static int parse_peer_args(int argc, char *argv[], CliContext *ctx, const char *prog, const char *usage,
                           const char *help, const char **pos, size_t n_pos) {
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
                        help_print(help);
                        return CLI_PARSE_DONE;
                default:
                        return EXIT_USAGE;
                }
        if ((size_t) (argc - optind) != n_pos)
                return cli_usage_error("%s: expected %s.", prog + strlen("nfswg "), usage);
        for (size_t i = 0; i < n_pos; i++)
                pos[i] = argv[optind + i];
        return 0;
}

/* Locks the config, loads bridge NAME and reads peer PEER's drop-in. A peer defined in the
 * administrator's own files is refused at its FILE:LINE: we never edit their files. */
static int peer_edit_begin(const CliContext *ctx, const char *name, const char *peer, PeerEdit *e) {
        int r;

        *e = (PeerEdit) { .lock_fd = -1 };
        if ((r = cli_check_name("bridge", name)) < 0 || (r = cli_check_name("peer", peer)) < 0)
                return r;
        r = config_lock(ctx, &e->lock_fd);
        if (r < 0)
                return r;
        r = cli_load_bridge(ctx, name, &e->host, &e->bridge);
        if (r < 0)
                return r;
        e->peer = bridge_find_peer_any(e->bridge, peer);
        if (!e->peer)
                return log_error_errno(ENOENT, "Bridge '%s' has no peer '%s'.", name, peer);
        if (!(e->dropin_name = peer_dropin_filename(peer)) ||
            asprintf(&e->dropin, "%s%s/%s.conf.d/%s", ctx->root, CLI_CONFIG_DIR, name, e->dropin_name) < 0)
                return log_oom();
        if (!streq_ptr(e->peer->source, e->dropin))
                return log_error_errno(EPERM, "%s:%u: peer '%s' is defined here, not by 'nfswg peer add'; nfswg does not "
                                       "edit this file: change it there.",
                                       strempty(e->peer->source), e->peer->line, peer);
        r = read_full_file(e->dropin, &e->text, NULL);
        if (r < 0)
                return log_error_errno(r, "%s: cannot read: %s", e->dropin, read_file_strerror(r));
        return 0;
}

/* Replaces the drop-in by new_text (under new_name when not NULL: a rename), after validating the
 * bridge as the daemon will read it, and reloads the bridge; a failed reload puts the old file back.
 * On success *ret, when given, is the validated bridge. */
static int peer_edit_commit(const CliContext *ctx, PeerEdit *e, const char *new_name, const char *new_text,
                            const char *what, Bridge **ret) {
        _cleanup_(bridge_freep) Bridge *nb = NULL;
        _cleanup_free_ char *new_path = NULL;
        int r;

        if (!new_name)
                new_name = e->dropin_name;
        bool renamed = !streq(new_name, e->dropin_name);
        r = config_validate_with(ctx, e->bridge->name, new_name, new_text, renamed ? e->dropin_name : NULL, &nb);
        if (r < 0)
                return log_error_errno(r, "Nothing was changed: with this change the config of '%s' would not be valid (see above).",
                                       e->bridge->name);
        if (asprintf(&new_path, "%s%s/%s.conf.d/%s", ctx->root, CLI_CONFIG_DIR, e->bridge->name, new_name) < 0)
                return log_oom();
        if (renamed && access(new_path, F_OK) == 0)
                return log_error_errno(EEXIST, "%s already exists; nothing was changed.", new_path);

        r = renamed ? write_file_new(new_path, new_text, 0644, (uid_t) -1, (gid_t) -1)
                    : write_file_atomic(new_path, new_text, 0644, (uid_t) -1, (gid_t) -1);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", new_path);
        if (renamed && unlink(e->dropin) < 0) {
                r = -errno;
                (void) unlink(new_path);
                return log_error_errno(r, "Failed to remove %s: %m", e->dropin);
        }

        r = reload_bridge(ctx, e->bridge->name, what);
        if (r < 0) {
                int k = renamed ? write_file_new(e->dropin, e->text, 0644, (uid_t) -1, (gid_t) -1)
                                : write_file_atomic(e->dropin, e->text, 0644, (uid_t) -1, (gid_t) -1);
                if (k < 0)
                        log_error_errno(k, "Failed to restore %s: %m", e->dropin);
                else if (renamed)
                        (void) unlink(new_path);
                return log_error_errno(r, "Reloading nfswg@%s failed, so %s was put back as it was.", e->bridge->name,
                                       e->dropin);
        }
        if (ret)
                *ret = TAKE_PTR(nb);
        return 0;
}

static int peer_set_disabled(int argc, char *argv[], const CliContext *ctx_in, bool disable) {
        CliContext ctx = *ctx_in;
        const char *prog = disable ? "nfswg peer disable" : "nfswg peer enable";
        const char *pos[2] = {};
        _cleanup_(peer_edit_done) PeerEdit e = { .lock_fd = -1 };
        int r;

        r = parse_peer_args(argc, argv, &ctx, prog, "NAME PEER", disable ? help_peer_disable : help_peer_enable, pos, 2);
        if (r != 0)
                return r == CLI_PARSE_DONE ? 0 : r;
        r = peer_edit_begin(&ctx, pos[0], pos[1], &e);
        if (r < 0)
                return r;
        if (e.peer->disabled == disable) {
                fprintf(stderr, "Peer '%s' of bridge '%s' is already %s.\n", pos[1], pos[0], disable ? "disabled" : "enabled");
                return 0;
        }

        /* Enabling drops the key rather than writing Disabled=no: the file is as peer add wrote it. */
        _cleanup_free_ char *text = peer_dropin_set_key(e.text, "Disabled", disable ? "yes" : NULL);
        _cleanup_free_ char *what = NULL;
        if (!text || asprintf(&what, "peer '%s' %s", pos[1], disable ? "disabled" : "enabled") < 0)
                return log_oom();
        r = peer_edit_commit(&ctx, &e, NULL, text, what, NULL);
        if (r < 0)
                return r;
        fprintf(stderr, "%s peer '%s' of bridge '%s' (%s).\n", disable ? "Disabled" : "Enabled", pos[1], pos[0], e.dropin);
        if (!disable && e.peer->expired)
                fprintf(stderr, "Note: its Expires= has passed, so it still has no access; remove Expires= from %s to give it back.\n",
                        e.dropin);
        return 0;
}

int verb_peer_disable(int argc, char *argv[], const CliContext *ctx) {
        return peer_set_disabled(argc, argv, ctx, true);
}

int verb_peer_enable(int argc, char *argv[], const CliContext *ctx) {
        return peer_set_disabled(argc, argv, ctx, false);
}

/* A new client key pair: the bridge drops the old public key at the reload (WireGuard peers are
 * keyed by it), so the old key is refused from then on; the client needs the new config. */
int verb_peer_rotate_key(int argc, char *argv[], const CliContext *ctx_in) {
        CliContext ctx = *ctx_in;
        enum { ARG_ROOT = 0x100, ARG_QR };
        static const struct option options[] = {
                { "root", required_argument, NULL, ARG_ROOT },
                { "qr", no_argument, NULL, ARG_QR },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(peer_edit_done) PeerEdit e = { .lock_fd = -1 };
        bool qr = false;
        int c, r;

        cli_getopt_reset(argc, argv, "nfswg peer rotate-key");
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_ROOT:
                        if (cli_set_root(&ctx, optarg) < 0)
                                return EXIT_USAGE;
                        break;
                case ARG_QR:
                        qr = true;
                        break;
                case 'h':
                        return help_print(help_peer_rotate_key);
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 2)
                return cli_usage_error("peer rotate-key: expected NAME and PEER.");
        const char *name = argv[optind], *peer = argv[optind + 1];
        r = peer_edit_begin(&ctx, name, peer, &e);
        if (r < 0)
                return r;

        WgKey priv, pub;
        char priv_b64[WG_KEY_B64_LEN + 1], pub_b64[WG_KEY_B64_LEN + 1];
        if ((r = wg_key_generate_private(priv)) < 0 || (r = wg_key_public_from_private(pub, priv)) < 0) {
                wg_key_wipe(priv);
                return log_error_errno(r, "Failed to generate the peer's key: %m");
        }
        wg_key_to_base64(priv_b64, priv);
        wg_key_wipe(priv);
        wg_key_to_base64(pub_b64, pub);

        _cleanup_free_ char *text = peer_dropin_set_key(e.text, "PublicKey", pub_b64);
        _cleanup_free_ char *what = NULL, *client_path = peer_client_path(&ctx, name, peer, ".conf"), *old_client = NULL;
        _cleanup_(secret_freep) char *client = NULL;
        _cleanup_(bridge_freep) Bridge *nb = NULL;
        if (!text || !client_path || asprintf(&what, "the new key of peer '%s'", peer) < 0) {
                explicit_bzero(priv_b64, sizeof priv_b64);
                return log_oom();
        }

        /* The client config for the new key is made and stored before the bridge takes the key: a
         * failure later puts the old one back, and nothing is lost either way. */
        r = config_validate_with(&ctx, name, e.dropin_name, text, NULL, &nb);
        if (r >= 0) {
                Host hv;
                _cleanup_free_ Bridge **hv_array = NULL;
                const Peer *np = bridge_find_peer_any(nb, peer);
                if (!np || host_with_bridge(e.host, e.bridge, nb, &hv, &hv_array) < 0)
                        r = log_oom();
                else
                        r = peer_client_config(&ctx, &hv, nb, np, priv_b64, &client);
        } else
                log_error_errno(r, "Nothing was changed: with a new key the config of '%s' would not be valid (see above).", name);
        explicit_bzero(priv_b64, sizeof priv_b64);
        if (r < 0)
                return r;

        r = read_full_file(client_path, &old_client, NULL);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "%s: cannot read: %s", client_path, read_file_strerror(r));
        _cleanup_free_ char *peers_dir = NULL;
        r = state_dir_ensure(&ctx, name, "peers", &peers_dir);
        if (r < 0)
                return r;
        uid_t uid = geteuid() == 0 ? 0 : (uid_t) -1;
        gid_t gid = geteuid() == 0 ? 0 : (gid_t) -1;
        r = write_file_atomic(client_path, client, 0600, uid, gid);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", client_path);

        r = peer_edit_commit(&ctx, &e, NULL, text, what, NULL);
        if (r < 0) {
                int k = old_client ? write_file_atomic(client_path, old_client, 0600, uid, gid) : unlink_if_exists(client_path);
                if (k < 0)
                        log_error_errno(k, "Failed to restore %s: %m", client_path);
                if (old_client)
                        explicit_bzero(old_client, strlen(old_client));
                return r;
        }
        if (old_client)
                explicit_bzero(old_client, strlen(old_client));

        fprintf(stderr, "Peer '%s' of bridge '%s' has a new key pair; its old key is refused from now on.\n"
                        "Its new client config (with its private key) is kept in %s (root only).\n",
                peer, name, client_path);
        fputs(client, stdout);
        if (qr) {
                fputc('\n', stdout);
                fflush(stdout);
                /* The key is rotated either way; a code that does not fit is only not shown. */
                if (peer_print_qr(client, NULL, name, peer) < 0)
                        fprintf(stderr, "Peer '%s' has its new key; only its QR code was not shown.\n", peer);
        }
        return 0;
}

/* The drop-in's text for the peer's new name: Name=, the header peer add wrote, and the
 * PresharedKeyFile= peer add made (kept in the peer's name). NULL on OOM. */
static char *rename_dropin_text(const char *text, const char *bridge, const char *old, const char *new,
                                const char *old_psk, const char *new_psk, bool psk_ours) {
        _cleanup_free_ char *head_old = NULL, *head_new = NULL, *rm_old = NULL, *rm_new = NULL, *t1 = NULL;
        if (asprintf(&head_old, "# Peer '%s' of bridge '%s', written by 'nfswg peer add'.\n", old, bridge) < 0 ||
            asprintf(&head_new, "# Peer '%s' of bridge '%s', written by 'nfswg peer add'.\n", new, bridge) < 0 ||
            asprintf(&rm_old, "# Remove it with 'nfswg peer remove %s %s'.\n", bridge, old) < 0 ||
            asprintf(&rm_new, "# Remove it with 'nfswg peer remove %s %s'.\n", bridge, new) < 0)
                return NULL;
        StrBuf sb = {};
        for (const char *line = text; *line;) {
                const char *nl = strchr(line, '\n');
                size_t l = nl ? (size_t) (nl - line) + 1 : strlen(line);
                if (l == strlen(head_old) && strncmp(line, head_old, l) == 0)
                        strbuf_appendf(&sb, "%s", head_new);
                else if (l == strlen(rm_old) && strncmp(line, rm_old, l) == 0)
                        strbuf_appendf(&sb, "%s", rm_new);
                else
                        strbuf_appendf(&sb, "%.*s%s", (int) l, line, nl ? "" : "\n");
                line += l;
        }
        _cleanup_free_ char *t0 = strbuf_finish(&sb);
        if (!t0 || !(t1 = peer_dropin_set_key(t0, "Name", new)))
                return NULL;
        return psk_ours ? peer_dropin_set_key(t1, "PresharedKeyFile", new_psk) : TAKE_PTR(t1);
}

/* The stored client config's first line names the peer (emit_client_config()); the rest does not. */
static void rename_client_header(const char *path, const char *bridge, const char *old, const char *new) {
        _cleanup_(secret_freep) char *text = NULL;
        _cleanup_free_ char *from = NULL, *to = NULL;
        if (read_full_file(path, &text, NULL) < 0 || asprintf(&from, "for peer %s of nfswg bridge %s,", old, bridge) < 0 ||
            asprintf(&to, "for peer %s of nfswg bridge %s,", new, bridge) < 0)
                return;
        const char *hit = strstr(text, from), *nl = strchr(text, '\n');
        if (!hit || (nl && hit > nl))
                return;
        StrBuf sb = {};
        strbuf_appendf(&sb, "%.*s%s%s", (int) (hit - text), text, to, hit + strlen(from));
        _cleanup_(secret_freep) char *out = strbuf_finish(&sb);
        if (out)
                (void) write_file_atomic(path, out, 0600, (uid_t) -1, (gid_t) -1);
}

int verb_peer_rename(int argc, char *argv[], const CliContext *ctx_in) {
        CliContext ctx = *ctx_in;
        const char *pos[3] = {};
        _cleanup_(peer_edit_done) PeerEdit e = { .lock_fd = -1 };
        int r;

        r = parse_peer_args(argc, argv, &ctx, "nfswg peer rename", "NAME OLD NEW", help_peer_rename, pos, 3);
        if (r != 0)
                return r == CLI_PARSE_DONE ? 0 : r;
        const char *name = pos[0], *old = pos[1], *new = pos[2];
        if ((r = cli_check_name("peer", new)) < 0)
                return r;
        r = peer_edit_begin(&ctx, name, old, &e);
        if (r < 0)
                return r;
        if (streq(old, new))
                return log_error_errno(EINVAL, "Peer '%s' already has that name.", old);
        const Peer *taken = bridge_find_peer_any(e.bridge, new);
        if (taken)
                return log_error_errno(EEXIST, "Bridge '%s' already has a peer named '%s' (%s:%u).", name, new,
                                       strempty(taken->source), taken->line);
        /* An export that names the peer is in the administrator's file: renaming would leave it
         * naming nobody, and we never edit their file. */
        for (size_t i = 0; i < e.bridge->n_exports; i++) {
                const Export *x = &e.bridge->exports[i];
                if (strv_contains(x->peers, old))
                        return log_error_errno(EPERM, "%s:%u: [Export] %s: Peers= names '%s'; nfswg does not edit this file: "
                                               "rename the peer there too, or list it as '%s' there first.",
                                               strempty(x->source), x->peers_line, x->path, old, new);
        }

        _cleanup_free_ char *old_psk = peer_psk_host_path(name, old), *new_psk = peer_psk_host_path(name, new);
        _cleanup_free_ char *new_dropin = peer_dropin_filename(new), *what = NULL;
        _cleanup_free_ char *old_client = peer_client_path(&ctx, name, old, ".conf"),
                            *new_client = peer_client_path(&ctx, name, new, ".conf"),
                            *old_psk_path = peer_client_path(&ctx, name, old, ".psk"),
                            *new_psk_path = peer_client_path(&ctx, name, new, ".psk");
        if (!old_psk || !new_psk || !new_dropin || !old_client || !new_client || !old_psk_path || !new_psk_path ||
            asprintf(&what, "peer '%s' renamed '%s'", old, new) < 0)
                return log_oom();
        bool psk_ours = e.peer->preshared_key_file && streq(e.peer->preshared_key_file, old_psk);
        _cleanup_free_ char *text = rename_dropin_text(e.text, name, old, new, old_psk, new_psk, psk_ours);
        if (!text)
                return log_oom();
        if (access(new_client, F_OK) == 0 || (psk_ours && access(new_psk_path, F_OK) == 0))
                return log_error_errno(EEXIST, "%s (or its .psk) already exists, left by an earlier peer '%s'; remove it first.",
                                       new_client, new);

        /* The peer's own files take the new name first (the daemon reads the preshared key at the
         * reload); a failure later gives them the old one back. */
        bool moved_client = false, moved_psk = false;
        if (rename(old_client, new_client) >= 0)
                moved_client = true;
        else if (errno != ENOENT)
                return log_error_errno(errno, "Failed to rename %s: %m", old_client);
        if (moved_client)
                rename_client_header(new_client, name, old, new);
        r = 0;
        if (psk_ours) {
                if (rename(old_psk_path, new_psk_path) >= 0)
                        moved_psk = true;
                else if (errno != ENOENT)
                        r = log_error_errno(errno, "Failed to rename %s: %m", old_psk_path);
        }
        if (r >= 0)
                r = peer_edit_commit(&ctx, &e, new_dropin, text, what, NULL);
        if (r >= 0) {
                fprintf(stderr, "Renamed peer '%s' of bridge '%s' to '%s' (%s%s/%s.conf.d/%s).\n", old, name, new,
                        ctx.root, CLI_CONFIG_DIR, name, new_dropin);
                return 0;
        }
        if (moved_psk)
                (void) rename(new_psk_path, old_psk_path);
        if (moved_client)
                (void) rename(new_client, old_client);
        return r;
}
