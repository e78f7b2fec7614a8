/* SPDX-License-Identifier: MIT */
#include <spawn.h>
#include <sys/wait.h>

#include "daemon/system-files.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"

extern char **environ;

#define EXPORTFS_PATH "/usr/sbin/exportfs"

SystemFileKind system_file_kind(const RenderFile *f) {
        if (startswith(f->path, "/run/systemd/network/"))
                return SYSTEM_FILE_NETWORKD;
        /* /run/nfswg/NAME/nfs-utils.env: this bridge's share of the host's NFS service, like its
         * exports fragment, so written at start (before READY=1, for nfs-utils' daemons ordered
         * after us) and on reload, and removed on stop, together with it. */
        if (startswith(f->path, "/etc/exports.d/") || startswith(f->path, "/run/nfswg/"))
                return SYSTEM_FILE_EXPORTS;
        return SYSTEM_FILE_OTHER;
}

int system_files_write(const RenderList *l, SystemFileKind kind, const char *root) {
        bool changed = false;

        for (size_t i = 0; i < l->n_files; i++) {
                const RenderFile *f = &l->files[i];
                _cleanup_free_ char *path = NULL;
                int r;

                if (system_file_kind(f) != kind || f->kind != RENDER_FILE)
                        continue;
                if (asprintf(&path, "%s%s", strempty(root), f->path) < 0)
                        return log_oom();
                r = mkdir_parents(path, 0755);
                if (r < 0)
                        return log_error_errno(r, "Cannot create the directory of %s: %m", path);
                r = write_file_atomic(path, f->content, f->mode, f->network_group ? 0 : (uid_t) -1,
                                      f->network_group ? systemd_network_gid() : (gid_t) -1);
                if (r < 0)
                        return log_error_errno(r, "Cannot write %s: %m", path);
                if (r > 0) {
                        log_debug("Wrote %s.", path);
                        changed = true;
                }
        }
        return changed;
}

int system_files_remove(const RenderList *l, SystemFileKind kind, const char *root) {
        bool removed = false;

        for (size_t i = 0; i < l->n_files; i++) {
                const RenderFile *f = &l->files[i];
                _cleanup_free_ char *path = NULL;

                if (system_file_kind(f) != kind)
                        continue;
                if (asprintf(&path, "%s%s", strempty(root), f->path) < 0)
                        return log_oom();
                int r = unlink_if_exists(path);
                if (r < 0)
                        return log_error_errno(r, "Cannot remove %s: %m", path);
                removed = removed || r > 0;
        }
        return removed;
}

char *exports_fragment_path(const char *root, const char *bridge_name) {
        char *p = NULL;
        if (asprintf(&p, "%s/etc/exports.d/nfswg-%s.exports", strempty(root), bridge_name) < 0)
                return NULL;
        return p;
}

int exportfs_reload(void) {
        static bool warned = false;
        const char *path = getenv("NFSWG_EXPORTFS") ?: EXPORTFS_PATH;
        char *argv[] = { (char *) path, (char *) "-r", NULL };
        pid_t pid;
        int status, r;

        if (access(path, X_OK) < 0) {
                if (!warned)
                        log_warning("%s is not available (is nfs-kernel-server installed?): "
                                    "the exports are written but not applied.", path);
                warned = true;
                return 0;
        }

        /* exportfs inherits our stdout/stderr, so its complaints land next to ours in the journal. */
        r = posix_spawn(&pid, path, NULL, NULL, argv, environ);
        if (r != 0)
                return log_error_errno(r, "Cannot run %s: %m", path);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return log_error_errno(errno, "Cannot wait for %s: %m", path);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return log_error_errno(EIO, "'%s -r' failed (%s %d).", path,
                                       WIFEXITED(status) ? "exit status" : "signal",
                                       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return 0;
}
