/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <sys/stat.h>

#include "shared/fileio.h"
#include "shared/macro.h"

int read_full_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return -errno;

        char *buf = NULL;
        size_t n = 0, allocated = 0;
        for (;;) {
                if (allocated - n < 4096) {
                        size_t want = allocated ? allocated * 2 : 8192;
                        char *b = realloc(buf, want);
                        if (!b) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = b;
                        allocated = want;
                }
                size_t k = fread(buf + n, 1, allocated - n - 1, f);
                n += k;
                if (k == 0) {
                        if (ferror(f)) {
                                free(buf);
                                return -EIO;
                        }
                        break;
                }
        }
        buf[n] = '\0';
        *ret = buf;
        if (ret_size)
                *ret_size = n;
        return 0;
}

static bool file_matches(const char *path, const char *content, mode_t mode, uid_t uid, gid_t gid) {
        struct stat st;
        if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
                return false;
        if ((st.st_mode & 07777) != mode)
                return false;
        if (uid != (uid_t) -1 && st.st_uid != uid)
                return false;
        if (gid != (gid_t) -1 && st.st_gid != gid)
                return false;
        if ((size_t) st.st_size != strlen(content))
                return false;
        _cleanup_free_ char *old = NULL;
        if (read_full_file(path, &old, NULL) < 0)
                return false;
        return streq(old, content);
}

/* Writes content into a new temporary file beside path: mode and owner set before the first byte,
 * so a secret is never readable by others, then fsync. *ret_tmp names it. */
static int write_temporary(const char *path, const char *content, mode_t mode, uid_t uid, gid_t gid, char **ret_tmp) {
        size_t l = strlen(path);
        _cleanup_free_ char *tmp = malloc(l + 16), *dir = strdup(path), *base = strdup(path);
        if (!tmp || !dir || !base)
                return -ENOMEM;
        snprintf(tmp, l + 16, "%s/.#%sXXXXXX", dirname(dir), basename(base));

        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;

        int r = 0;
        if (fchmod(fd, mode) < 0 || ((uid != (uid_t) -1 || gid != (gid_t) -1) && fchown(fd, uid, gid) < 0))
                r = -errno;
        for (size_t done = 0, n = strlen(content); r == 0 && done < n;) {
                ssize_t k = write(fd, content + done, n - done);
                if (k < 0 && errno != EINTR)
                        r = -errno;
                else if (k > 0)
                        done += (size_t) k;
        }
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        *ret_tmp = TAKE_PTR(tmp);
        return 0;
}

int write_file_atomic(const char *path, const char *content, mode_t mode, uid_t uid, gid_t gid) {
        _cleanup_free_ char *tmp = NULL;
        if (file_matches(path, content, mode, uid, gid))
                return 0;
        int r = write_temporary(path, content, mode, uid, gid, &tmp);
        if (r < 0)
                return r;
        if (rename(tmp, path) < 0) {
                r = -errno;
                unlink(tmp);
                return r;
        }
        return 1;
}

int write_file_new(const char *path, const char *content, mode_t mode, uid_t uid, gid_t gid) {
        _cleanup_free_ char *tmp = NULL;
        int r = write_temporary(path, content, mode, uid, gid, &tmp);
        if (r < 0)
                return r;
        /* link(2) never replaces: another writer that got there first wins, we get EEXIST. */
        if (link(tmp, path) < 0)
                r = -errno;
        unlink(tmp);
        return r;
}

int mkdir_p(const char *path, mode_t mode) {
        int r = mkdir_parents(path, mode);
        if (r < 0)
                return r;
        if (mkdir(path, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

int symlink_atomic(const char *target, const char *path) {
        char old[4096];
        ssize_t n = readlink(path, old, sizeof old - 1);
        if (n >= 0) {
                old[n] = '\0';
                if (streq(old, target))
                        return 0;
        }
        size_t l = strlen(path);
        _cleanup_free_ char *tmp = malloc(l + 16);
        if (!tmp)
                return -ENOMEM;
        snprintf(tmp, l + 16, "%s.#%d", path, (int) getpid());
        (void) unlink(tmp);
        if (symlink(target, tmp) < 0)
                return -errno;
        if (rename(tmp, path) < 0) {
                int r = -errno;
                unlink(tmp);
                return r;
        }
        return 1;
}

int unlink_if_exists(const char *path) {
        if (unlink(path) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 1;
}

gid_t systemd_network_gid(void) {
        struct group *g = getgrnam("systemd-network");
        return g ? g->gr_gid : (gid_t) -1;
}
