/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>

#include "shared/key-file.h"
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
        wg_key_to_base64(b64, key);
        strcat(b64, "\n");
        int r = write_file_new(path, b64, 0640, gid == (gid_t) -1 ? (uid_t) -1 : 0, gid);
        explicit_bzero(b64, sizeof b64);
        return r;
}

int private_key_load_or_create(const char *path, WgKey ret_key, bool *ret_created) {
        WgKey key;
        bool created = false;
        int r;

        r = wg_key_read_file(path, key);
        if (r == -ENOENT) {
                /* Only root may hand a file to the group; elsewhere (tests under --root) keep ours. */
                gid_t gid = geteuid() == 0 ? systemd_network_gid() : (gid_t) -1;

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
                return log_error_errno(r, "Cannot read the private key file %s: %s", path, read_file_strerror(r));
        }

        memcpy(ret_key, key, sizeof(WgKey));
        wg_key_wipe(key);
        if (ret_created)
                *ret_created = created;
        return 0;
}
