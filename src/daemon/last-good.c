/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

#include "daemon/last-good.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strbuf.h"

char *bridge_runtime_path(const char *root, const char *name, const char *sub) {
        char *p = NULL;
        if (asprintf(&p, "%s/run/nfswg/%s%s%s", strempty(root), name, sub ? "/" : "", strempty(sub)) < 0)
                return NULL;
        return p;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) (flag == FTW_DP ? rmdir(path) : unlink(path));
        return 0;
}

static void rm_tree(const char *path) {
        (void) nftw(path, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void discard_log(int level, const char *message, void *userdata) {
}

int last_good_save(const char *root, const Bridge *b) {
        _cleanup_free_ char *dir = bridge_runtime_path(root, b->name, LAST_GOOD_DIR);
        _cleanup_free_ char *tmp = bridge_runtime_path(root, b->name, LAST_GOOD_DIR ".new");
        int r;

        if (!dir || !tmp)
                return -ENOMEM;
        rm_tree(tmp);
        for (size_t i = 0; b->sources && b->sources[i]; i++) {
                _cleanup_free_ char *text = NULL, *to = NULL;
                const char *base = strrchr(b->sources[i], '/');
                base = base ? base + 1 : b->sources[i];
                /* sources[0] is NAME.conf, the rest its drop-ins in the order read. */
                if (i == 0)
                        r = asprintf(&to, "%s/etc/nfswg/%s.conf", tmp, b->name);
                else
                        r = asprintf(&to, "%s/etc/nfswg/%s.conf.d/%s", tmp, b->name, base);
                if (r < 0)
                        return -ENOMEM;
                r = read_full_file(b->sources[i], &text, NULL);
                if (r >= 0)
                        r = mkdir_parents(to, 0700);
                if (r >= 0)
                        r = write_file_atomic(to, text, 0600, (uid_t) -1, (gid_t) -1);
                if (r < 0) {
                        rm_tree(tmp);
                        return r;
                }
        }

        /* The files may have changed since they were read: keep the copy only if it still loads. */
        _cleanup_(bridge_freep) Bridge *check = NULL;
        log_set_sink(discard_log, NULL);
        r = bridge_load(tmp, b->name, &check);
        log_set_sink(NULL, NULL);
        if (r < 0) {
                rm_tree(tmp);
                return -ESTALE;
        }

        struct stat st;
        if (stat(dir, &st) == 0) {
                if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) < 0)
                        r = -errno;
        } else if (rename(tmp, dir) < 0)
                r = -errno;
        rm_tree(tmp); /* the previous copy, after the exchange */
        return r < 0 ? r : 0;
}

bool last_good_exists(const char *root, const char *name) {
        _cleanup_free_ char *dir = bridge_runtime_path(root, name, LAST_GOOD_DIR);
        _cleanup_free_ char *main_file = NULL;
        return dir && asprintf(&main_file, "%s/etc/nfswg/%s.conf", dir, name) >= 0 && access(main_file, F_OK) == 0;
}

int last_good_load(const char *root, const char *name, Host **ret_host, const Bridge **ret_bridge) {
        _cleanup_free_ char *dir = bridge_runtime_path(root, name, LAST_GOOD_DIR);
        _cleanup_(host_freep) Host *h = NULL;
        Bridge *b = NULL;
        int r;

        if (!dir)
                return log_oom();
        if (!last_good_exists(root, name))
                return -EINVAL;

        /* The other bridges as they are now (for the host-wide [NFS] values); their problems and
         * ours were reported by the load that refused ours. */
        log_set_sink(discard_log, NULL);
        (void) host_load(root, &h);
        log_set_sink(NULL, NULL);
        if (!h)
                return log_oom();
        for (size_t i = 0; i < h->n_bridges; i++)
                if (streq(h->bridges[i]->name, name)) {
                        /* Loaded but refused for a clash with another bridge: not this one. */
                        bridge_free(h->bridges[i]);
                        h->bridges[i] = h->bridges[--h->n_bridges];
                        break;
                }

        r = bridge_load(dir, name, &b);
        if (r < 0)
                return log_error_errno(EINVAL, "The saved configuration in %s does not load either.", dir);
        if (!ARRAY_PUSH(h->bridges, h->n_bridges)) {
                bridge_free(b);
                return log_oom();
        }
        h->bridges[h->n_bridges - 1] = b;
        /* A clash with another bridge's newer file is that bridge's problem: it ran before. */
        log_set_sink(discard_log, NULL);
        (void) host_check(h);
        log_set_sink(NULL, NULL);

        *ret_bridge = b;
        *ret_host = TAKE_PTR(h);
        return 0;
}

void last_good_forget(const char *root, const char *name) {
        _cleanup_free_ char *dir = bridge_runtime_path(root, name, LAST_GOOD_DIR);
        if (dir)
                rm_tree(dir);
        refused_remove(root, name);
}

int refused_write(const char *root, const char *name, const char *live, char **reasons) {
        _cleanup_free_ char *path = bridge_runtime_path(root, name, REFUSED_FILE);
        StrBuf sb = {};

        if (!path)
                return -ENOMEM;
        strbuf_appendf(&sb, "live=%s\n", live);
        STRV_FOREACH(s, reasons)
                strbuf_appendf(&sb, "%s\n", *s);
        _cleanup_free_ char *text = strbuf_finish(&sb);
        if (!text)
                return -ENOMEM;
        int r = mkdir_parents(path, 0700);
        if (r >= 0)
                r = write_file_atomic(path, text, 0644, (uid_t) -1, (gid_t) -1);
        return r < 0 ? r : 0;
}

void refused_remove(const char *root, const char *name) {
        _cleanup_free_ char *path = bridge_runtime_path(root, name, REFUSED_FILE);
        if (path)
                (void) unlink_if_exists(path);
}
