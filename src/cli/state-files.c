/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>

#include "cli/state-files.h"
#include "shared/fileio.h"
#include "shared/key-file.h"
#include "shared/log.h"
#include "shared/macro.h"

gid_t key_file_gid(void) {
        return geteuid() == 0 ? systemd_network_gid() : (gid_t) -1;
}

static int mkdir_owned(const char *path, mode_t mode, gid_t gid) {
        if (mkdir(path, mode) < 0) {
                if (errno != EEXIST)
                        return -errno;
                return 0; /* an existing directory keeps what the administrator gave it */
        }
        if (gid != (gid_t) -1 && chown(path, 0, gid) < 0)
                return -errno;
        /* mkdir(2) applies the umask; the mode is part of the contract. */
        if (chmod(path, mode) < 0)
                return -errno;
        return 0;
}

int state_dir_ensure(const CliContext *ctx, const char *bridge, const char *sub, char **ret_path) {
        _cleanup_free_ char *base = cli_root_path(ctx, CLI_STATE_DIR), *dir = NULL, *subdir = NULL;
        int r;

        if (!base || asprintf(&dir, "%s/%s", base, bridge) < 0)
                return log_oom();
        r = mkdir_p(base, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", base);
        r = mkdir_owned(dir, 0750, key_file_gid());
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", dir);
        if (!sub) {
                *ret_path = TAKE_PTR(dir);
                return 0;
        }
        if (asprintf(&subdir, "%s/%s", dir, sub) < 0)
                return log_oom();
        r = mkdir_owned(subdir, 0750, key_file_gid());
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", subdir);
        *ret_path = TAKE_PTR(subdir);
        return 0;
}

int server_public_key_read(const CliContext *ctx, const char *private_key_file, WgKey ret_public) {
        _cleanup_free_ char *path = cli_root_path(ctx, private_key_file);
        WgKey priv;
        if (!path)
                return -ENOMEM;
        int r = wg_key_read_file(path, priv);
        if (r < 0)
                return r;
        r = wg_key_public_from_private(ret_public, priv);
        wg_key_wipe(priv);
        return r;
}

int server_key_ensure(const CliContext *ctx, const char *private_key_file, WgKey ret_public, bool *ret_created) {
        _cleanup_free_ char *path = cli_root_path(ctx, private_key_file);
        WgKey priv;
        if (!path)
                return log_oom();
        /* The daemon's own routine: the same modes, the same never-overwrite rule. */
        int r = private_key_load_or_create(path, priv, ret_created);
        if (r < 0)
                return r;
        r = wg_key_public_from_private(ret_public, priv);
        wg_key_wipe(priv);
        if (r < 0)
                return log_error_errno(r, "Failed to derive the public key: %m");
        return 0;
}
