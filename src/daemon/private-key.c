/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>

#include "daemon/private-key.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"

/* The directory holding the key: 0750 root:systemd-network, created if missing; an existing one
 * keeps the mode the administrator gave it. */
static int key_directory_prepare(const char *path, gid_t gid) {
        _cleanup_free_ char *copy = strdup(path);
        if (!copy)
                return log_oom();
        const char *dir = dirname(copy);

        int r = mkdir_parents(dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create the parents of %s: %m", dir);
        if (mkdir(dir, 0750) < 0) {
                if (errno != EEXIST)
                        return log_error_errno(errno, "Cannot create %s: %m", dir);
                return 0;
        }
        if (gid != (gid_t) -1 && chown(dir, 0, gid) < 0)
                return log_error_errno(errno, "Cannot give %s to group systemd-network: %m", dir);
        return 0;
}

static int key_file_create(const char *path, const WgKey key, gid_t gid) {
        char b64[WG_KEY_B64_LEN + 2];
        _cleanup_free_ char *tmp = NULL;
        int r = 0;

        if (asprintf(&tmp, "%s.#new", path) < 0)
                return -ENOMEM;
        (void) unlink(tmp); /* a leftover of a start that was killed half way */

        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;

        wg_key_to_base64(b64, key);
        strcat(b64, "\n");
        size_t n = strlen(b64);
        /* Mode and owner before the secret goes in, so it is never readable by others. */
        if (fchmod(fd, 0640) < 0 || (gid != (gid_t) -1 && fchown(fd, 0, gid) < 0) ||
            write(fd, b64, n) != (ssize_t) n || fsync(fd) < 0)
                r = -errno ?: -EIO;
        explicit_bzero(b64, sizeof b64);
        /* link(2) never replaces: if a key appeared meanwhile, it wins (EEXIST). */
        if (r == 0 && link(tmp, path) < 0)
                r = -errno;
        (void) unlink(tmp);
        return r;
}

int private_key_load_or_create(const char *path, WgKey ret_key, bool *ret_created) {
        WgKey key;
        bool created = false;
        int r;

        r = wg_key_read_file(path, key);
        if (r == -ENOENT) {
                gid_t gid = systemd_network_gid();

                r = key_directory_prepare(path, gid);
                if (r < 0)
                        return r;
                r = wg_key_generate_private(key);
                if (r < 0)
                        return log_error_errno(r, "Cannot generate a private key: %m");
                r = key_file_create(path, key, gid);
                wg_key_wipe(key);
                if (r < 0 && r != -EEXIST)
                        return log_error_errno(r, "Cannot write the private key file %s: %m", path);
                created = r == 0;
                r = wg_key_read_file(path, key);
        }
        if (r < 0) {
                wg_key_wipe(key);
                if (r == -EINVAL)
                        return log_error_errno(r, "%s does not hold a WireGuard private key (44 characters of base64).", path);
                return log_error_errno(r, "Cannot read the private key file %s: %m", path);
        }

        memcpy(ret_key, key, sizeof(WgKey));
        wg_key_wipe(key);
        if (ret_created)
                *ret_created = created;
        return 0;
}
