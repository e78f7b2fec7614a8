/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>

#include "cli/state-files.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"

int file_create_new(const char *path, const char *content, mode_t mode, uid_t uid, gid_t gid) {
        _cleanup_free_ char *dir = strdup(path), *base = strdup(path), *tmp = NULL;
        if (!dir || !base)
                return -ENOMEM;
        if (asprintf(&tmp, "%s/.#%sXXXXXX", dirname(dir), basename(base)) < 0)
                return -ENOMEM;

        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = 0;
        if (fchmod(fd, mode) < 0 || ((uid != (uid_t) -1 || gid != (gid_t) -1) && fchown(fd, uid, gid) < 0)) {
                r = -errno;
                goto finish;
        }
        for (size_t done = 0, n = strlen(content); done < n;) {
                ssize_t k = write(fd, content + done, n - done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto finish;
                }
                done += (size_t) k;
        }
        if (fsync(fd) < 0 || link(tmp, path) < 0)
                r = -errno;
finish:
        unlink(tmp);
        return r;
}

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

int server_key_ensure(const CliContext *ctx, const char *bridge, const char *private_key_file, WgKey ret_public,
                      bool *ret_created) {
        _cleanup_free_ char *path = cli_root_path(ctx, private_key_file), *default_path = NULL;
        char b64[WG_KEY_B64_LEN + 2];
        WgKey priv;
        int r;

        if (!path)
                return log_oom();
        *ret_created = false;
        r = server_public_key_read(ctx, private_key_file, ret_public);
        if (r >= 0)
                return 0;
        if (r != -ENOENT)
                return log_error_errno(r, "Failed to read the bridge's key %s: %m", path);

        default_path = bridge_default_private_key_file(bridge);
        if (!default_path)
                return log_oom();
        if (streq(default_path, private_key_file)) {
                _cleanup_free_ char *dir = NULL;
                r = state_dir_ensure(ctx, bridge, NULL, &dir);
                if (r < 0)
                        return r;
        } else {
                r = mkdir_parents(path, 0755);
                if (r < 0)
                        return log_error_errno(r, "Failed to create the directory of %s: %m", path);
        }

        r = wg_key_generate_private(priv);
        if (r < 0)
                return log_error_errno(r, "Failed to generate a key: %m");
        wg_key_to_base64(b64, priv);
        strcat(b64, "\n");
        r = file_create_new(path, b64, 0640, key_file_gid() == (gid_t) -1 ? (uid_t) -1 : 0, key_file_gid());
        explicit_bzero(b64, sizeof b64);
        if (r == -EEXIST) {
                /* Another nfswg or the daemon was quicker: theirs is the key. */
                wg_key_wipe(priv);
                r = server_public_key_read(ctx, private_key_file, ret_public);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the bridge's key %s: %m", path);
                return 0;
        }
        if (r < 0) {
                wg_key_wipe(priv);
                return log_error_errno(r, "Failed to write the bridge's key %s: %m", path);
        }
        r = wg_key_public_from_private(ret_public, priv);
        wg_key_wipe(priv);
        if (r < 0)
                return log_error_errno(r, "Failed to derive the public key: %m");
        *ret_created = true;
        return 0;
}
