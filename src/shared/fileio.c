/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>

#include "shared/fileio.h"
#include "shared/macro.h"

int read_regular_file(const char *path, size_t max, char **ret, size_t *ret_size) {
        struct stat st;

        /* O_NONBLOCK: opening a FIFO would otherwise wait for a writer. What was opened is checked
         * before the first read: a FIFO, a device or a socket is never read. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                /* open(2) says ENXIO for a socket; name it for what it is. */
                if (errno == ENXIO && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
                        return -EBADFD;
                return -errno;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;

        /* st_size is a hint only (files in /proc say 0, a file may grow while it is read): the
         * limit is counted on what read(2) returns. The buffer never grows past the limit, one byte
         * to notice a longer file and the NUL. */
        size_t allocated = MIN((size_t) st.st_size + 2, max + 2);
        allocated = MAX(allocated, MIN((size_t) 4096, max + 2));
        _cleanup_free_ char *buf = malloc(allocated);
        if (!buf)
                return -ENOMEM;
        size_t n = 0;
        for (;;) {
                if (allocated - n < 2) {
                        size_t want = MIN(allocated * 2, max + 2);
                        char *b = realloc(buf, want);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        allocated = want;
                }
                ssize_t k = read(fd, buf + n, allocated - n - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > max)
                        return -EFBIG;
        }
        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = n;
        return 0;
}

int read_full_file(const char *path, char **ret, size_t *ret_size) {
        return read_regular_file(path, READ_FILE_MAX, ret, ret_size);
}

const char *read_file_strerror(int error) {
        switch (error < 0 ? -error : error) {
        case EISDIR:
                return "a directory, not a regular file";
        case EBADFD:
                return "not a regular file (a FIFO, device or socket is never read)";
        case EFBIG:
                return "larger than " READ_FILE_MAX_TEXT ", the limit for one file";
        default:
                return strerror(error < 0 ? -error : error);
        }
}

static bool file_matches(const char *path, const void *data, size_t size, mode_t mode, uid_t uid, gid_t gid) {
        struct stat st;
        if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
                return false;
        if ((st.st_mode & 07777) != mode)
                return false;
        if (uid != (uid_t) -1 && st.st_uid != uid)
                return false;
        if (gid != (gid_t) -1 && st.st_gid != gid)
                return false;
        if ((size_t) st.st_size != size)
                return false;
        _cleanup_free_ char *old = NULL;
        size_t n;
        /* What we write may be larger than what we read as configuration (a netdev of many peers). */
        if (read_regular_file(path, size, &old, &n) < 0)
                return false;
        return n == size && memcmp(old, data, size) == 0;
}

/* ---- Temporary files ------------------------------------------------------------------------
 * A file being written has no name (O_TMPFILE, open(2)) until it is complete, so a writer killed
 * half-way leaves nothing behind. Only where the file system has no O_TMPFILE, and for the instant
 * between linkat(2) and rename(2), does it have one: ".#BASE~PID" beside the target. Each write
 * first removes such names whose writer is gone (and the ".#BASEXXXXXX" names of earlier versions,
 * which had no PID). */

typedef struct TempFile {
        int fd;
        char *dir;  /* of the target */
        char *base; /* of the target */
        char *name; /* DIR/.#BASE~PID */
        bool named; /* name exists (the fallback, or linked for the rename) */
} TempFile;

static void temp_file_done(TempFile *t) {
        if (t->named)
                (void) unlink(t->name);
        closep(&t->fd);
        free(t->dir);
        free(t->base);
        free(t->name);
        *t = (TempFile) { .fd = -1 };
}

/* Whether the name after ".#BASE" is one of ours and its writer cannot still be writing it. */
static bool temp_name_is_stale(const char *rest) {
        size_t l = strlen(rest);
        if (l == 6 && strspn(rest, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == 6)
                return true; /* mkostemp(3)'s XXXXXX, as earlier versions named them */
        if (rest[0] != '~' || l < 2 || l > 11 || strspn(rest + 1, "0123456789") != l - 1)
                return false;
        pid_t pid = (pid_t) strtol(rest + 1, NULL, 10);
        /* Our own PID: this process writes one file at a time, so the name is from an earlier
         * process that had the same PID. */
        return pid <= 0 || pid == getpid() || (kill(pid, 0) < 0 && errno == ESRCH);
}

static void temp_siblings_remove(const char *dir, const char *base) {
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return;
        DIR *d = fdopendir(dfd);
        if (!d)
                return;
        dfd = -1; /* closedir() closes it */
        size_t l = strlen(base);
        for (struct dirent *de; (de = readdir(d));) {
                const char *n = de->d_name;
                if (n[0] == '.' && n[1] == '#' && strncmp(n + 2, base, l) == 0 && temp_name_is_stale(n + 2 + l))
                        (void) unlinkat(dirfd(d), n, 0);
        }
        closedir(d);
}

/* Chooses the temporary name for path, once stale ones are gone. */
static int temp_file_prepare(const char *path, TempFile *t) {
        _cleanup_free_ char *d = strdup(path), *b = strdup(path);
        *t = (TempFile) { .fd = -1 };
        if (!d || !b || !(t->dir = strdup(dirname(d))) || !(t->base = strdup(basename(b))) ||
            asprintf(&t->name, "%s/.#%s~%d", t->dir, t->base, (int) getpid()) < 0) {
                t->name = NULL;
                return -ENOMEM;
        }
        temp_siblings_remove(t->dir, t->base);
        return 0;
}

/* Opens the file that will become path: unnamed where the file system allows. */
static int temp_file_open(const char *path, mode_t mode, TempFile *t) {
        int r = temp_file_prepare(path, t);
        if (r < 0)
                return r;

        t->fd = open(t->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
        if (t->fd >= 0)
                return 0;
        /* open(2): EOPNOTSUPP where the file system has no O_TMPFILE, EISDIR or EINVAL on kernels
         * that predate it. */
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
                return -errno;
        t->fd = open(t->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (t->fd < 0)
                return -errno;
        t->named = true;
        return 0;
}

/* Mode and owner before the first byte, so a secret is never readable by others; then fsync. */
static int temp_file_fill(TempFile *t, const void *data, size_t size, mode_t mode, uid_t uid, gid_t gid) {
        if (fchmod(t->fd, mode) < 0)
                return -errno;
        if ((uid != (uid_t) -1 || gid != (gid_t) -1) && fchown(t->fd, uid, gid) < 0)
                return -errno;
        for (size_t done = 0; done < size;) {
                ssize_t k = write(t->fd, (const char *) data + done, size - done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                done += (size_t) k;
        }
        if (fsync(t->fd) < 0)
                return -errno;
        return 0;
}

/* Gives the unnamed file a name; -EEXIST when to exists (linkat(2) never replaces). */
static int temp_file_link(TempFile *t, const char *to) {
        if (linkat(t->fd, "", AT_FDCWD, to, AT_EMPTY_PATH) >= 0)
                return 0;
        if (errno == EEXIST)
                return -EEXIST;
        /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; open(2) shows this way for everyone else. */
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", t->fd);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, to, AT_SYMLINK_FOLLOW) < 0)
                return -errno;
        return 0;
}

static int write_file_atomic_internal(const char *path, const void *data, size_t size, mode_t mode, uid_t uid,
                                      gid_t gid) {
        _cleanup_(temp_file_done) TempFile t = { .fd = -1 };
        if (file_matches(path, data, size, mode, uid, gid))
                return 0;
        int r = temp_file_open(path, mode, &t);
        if (r < 0)
                return r;
        r = temp_file_fill(&t, data, size, mode, uid, gid);
        if (r < 0)
                return r;
        if (!t.named) {
                /* rename(2) is what replaces atomically, and it needs a name to move. */
                r = temp_file_link(&t, t.name);
                if (r < 0)
                        return r;
                t.named = true;
        }
        if (rename(t.name, path) < 0)
                return -errno;
        t.named = false;
        return 1;
}

int write_file_atomic(const char *path, const char *content, mode_t mode, uid_t uid, gid_t gid) {
        return write_file_atomic_internal(path, content, strlen(content), mode, uid, gid);
}

int write_file_atomic_data(const char *path, const void *data, size_t size, mode_t mode, uid_t uid, gid_t gid) {
        return write_file_atomic_internal(path, data, size, mode, uid, gid);
}

int write_file_new(const char *path, const char *content, mode_t mode, uid_t uid, gid_t gid) {
        _cleanup_(temp_file_done) TempFile t = { .fd = -1 };
        int r = temp_file_open(path, mode, &t);
        if (r < 0)
                return r;
        r = temp_file_fill(&t, content, strlen(content), mode, uid, gid);
        if (r < 0)
                return r;
        /* Never replaces: another writer that got there first wins, we get EEXIST. */
        if (!t.named)
                return temp_file_link(&t, path);
        if (link(t.name, path) < 0)
                return -errno;
        return 0;
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
        _cleanup_(temp_file_done) TempFile t = { .fd = -1 };
        int r = temp_file_prepare(path, &t);
        if (r < 0)
                return r;
        if (symlink(target, t.name) < 0)
                return -errno;
        t.named = true;
        if (rename(t.name, path) < 0)
                return -errno;
        t.named = false;
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
