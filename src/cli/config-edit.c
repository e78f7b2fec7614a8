/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "cli/config-edit.h"
#include "shared/escape.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"

int config_lock(const CliContext *ctx, int *ret_fd) {
        _cleanup_free_ char *dir = cli_root_path(ctx, CLI_CONFIG_DIR);
        if (!dir)
                return log_oom();
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "%s: %m", dir);
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return log_error_errno(errno, "Failed to lock %s: %m", dir);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static void closedirp_(DIR **d) {
        if (*d)
                closedir(*d);
}

typedef struct TempRoot {
        char path[64];
        char **files; /* created, in order; removed in reverse */
        char **dirs;
} TempRoot;

static void temp_root_remove(TempRoot *t) {
        for (size_t i = strv_length(t->files); i > 0; i--)
                (void) unlink(t->files[i - 1]);
        for (size_t i = strv_length(t->dirs); i > 0; i--)
                (void) rmdir(t->dirs[i - 1]);
        t->files = strv_free(t->files);
        t->dirs = strv_free(t->dirs);
}

static int temp_root_mkdir(TempRoot *t, const char *path) {
        if (mkdir(path, 0700) < 0)
                return -errno;
        return strv_extend(&t->dirs, path);
}

static int temp_root_write(TempRoot *t, const char *path, const char *text) {
        int r = strv_extend(&t->files, path);
        if (r < 0)
                return r;
        /* A throwaway copy: no fsync, no rename (write_file_atomic() would do both). */
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        for (size_t done = 0, n = strlen(text); done < n;) {
                ssize_t k = write(fd, text + done, n - done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                done += (size_t) k;
        }
        return 0;
}

/* Messages from the model name the temporary copies; the administrator wants the real files. */
typedef struct SinkData {
        const char *from;
        const char *to;
} SinkData;

static void rewrite_sink(int level, const char *message, void *userdata) {
        const SinkData *d = userdata;
        size_t l = strlen(d->from);
        for (const char *p = message; *p;) {
                const char *hit = strstr(p, d->from);
                if (!hit) {
                        fputs(p, stderr);
                        break;
                }
                fwrite(p, 1, (size_t) (hit - p), stderr);
                fputs(d->to, stderr);
                p = hit + l;
        }
        fputc('\n', stderr);
}

int config_validate_with(const CliContext *ctx, const char *name, const char *add_file, const char *add_text,
                         const char *skip_file, Bridge **ret) {
        _cleanup_(temp_root_remove) TempRoot t = {};
        _cleanup_free_ char *src_main = NULL, *src_dropins = NULL, *etc = NULL, *conf_dir = NULL,
                            *dst_main = NULL, *dst_dropins = NULL;
        int r;

        const char *tmpdir = getenv("TMPDIR");
        snprintf(t.path, sizeof t.path, "%s/nfswg-check-XXXXXX",
                 tmpdir && strlen(tmpdir) < 32 && tmpdir[0] == '/' ? tmpdir : "/tmp");
        if (!mkdtemp(t.path))
                return log_error_errno(errno, "Failed to create a temporary directory: %m");
        if (strv_extend(&t.dirs, t.path) < 0)
                return log_oom();

        if (asprintf(&src_main, "%s%s/%s.conf", ctx->root, CLI_CONFIG_DIR, name) < 0 ||
            asprintf(&src_dropins, "%s%s/%s.conf.d", ctx->root, CLI_CONFIG_DIR, name) < 0 ||
            asprintf(&etc, "%s/etc", t.path) < 0 || asprintf(&conf_dir, "%s%s", t.path, CLI_CONFIG_DIR) < 0 ||
            asprintf(&dst_main, "%s/%s.conf", conf_dir, name) < 0 ||
            asprintf(&dst_dropins, "%s/%s.conf.d", conf_dir, name) < 0)
                return log_oom();

        if ((r = temp_root_mkdir(&t, etc)) < 0 || (r = temp_root_mkdir(&t, conf_dir)) < 0 ||
            (r = temp_root_mkdir(&t, dst_dropins)) < 0)
                return log_error_errno(r, "Failed to prepare %s: %m", t.path);

        _cleanup_free_ char *text = NULL;
        r = read_full_file(src_main, &text, NULL);
        if (r < 0)
                return log_error_errno(r, "%s: cannot read: %s", src_main, read_file_strerror(r));
        r = temp_root_write(&t, dst_main, text);
        if (r < 0)
                return log_error_errno(r, "Failed to copy %s: %m", src_main);

        _cleanup_(closedirp_) DIR *d = opendir(src_dropins);
        if (!d && errno != ENOENT)
                return log_error_errno(errno, "%s: %m", src_dropins);
        for (struct dirent *de; d && (de = readdir(d));) {
                size_t l = strlen(de->d_name);
                if (de->d_name[0] == '.' || l <= 5 || !streq(de->d_name + l - 5, ".conf"))
                        continue;
                if (streq_ptr(de->d_name, skip_file) || streq_ptr(de->d_name, add_file))
                        continue;
                _cleanup_free_ char *from = NULL, *to = NULL, *content = NULL;
                if (asprintf(&from, "%s/%s", src_dropins, de->d_name) < 0 ||
                    asprintf(&to, "%s/%s", dst_dropins, de->d_name) < 0)
                        return log_oom();
                r = read_full_file(from, &content, NULL);
                if (r < 0)
                        return log_error_errno(r, "%s: cannot read: %s", ESCAPE_PATH(from), read_file_strerror(r));
                r = temp_root_write(&t, to, content);
                if (r < 0)
                        return log_error_errno(r, "Failed to copy %s: %m", from);
        }
        if (add_file) {
                _cleanup_free_ char *to = NULL;
                if (asprintf(&to, "%s/%s", dst_dropins, add_file) < 0)
                        return log_oom();
                r = temp_root_write(&t, to, add_text);
                if (r < 0)
                        return log_error_errno(r, "Failed to write %s: %m", to);
        }

        SinkData sink = { .from = t.path, .to = ctx->root };
        log_set_sink(rewrite_sink, &sink);
        r = bridge_load(t.path, name, ret);
        log_set_sink(NULL, NULL);
        return r;
}
