/* SPDX-License-Identifier: MIT */
#include <fcntl.h>

#include "daemon/sysctl.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strbuf.h"

static int sysctl_read(const char *name, char **ret) {
        _cleanup_free_ char *path = NULL;
        char *v = NULL;
        if (asprintf(&path, "/proc/sys/%s", name) < 0)
                return -ENOMEM;
        int r = read_full_file(path, &v, NULL);
        if (r < 0)
                return r;
        v[strcspn(v, "\n")] = '\0';
        *ret = v;
        return 0;
}

static int sysctl_write(const char *name, const char *value) {
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "/proc/sys/%s", name) < 0)
                return -ENOMEM;
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        size_t n = strlen(value);
        if (write(fd, value, n) != (ssize_t) n)
                return -errno ?: -EIO;
        return 0;
}

static SysctlEntry *sysctl_find(SysctlSaved *s, const char *name) {
        for (size_t i = 0; i < s->n_entries; i++)
                if (streq(s->entries[i].name, name))
                        return &s->entries[i];
        return NULL;
}

static int sysctl_remember(SysctlSaved *s, const char *name, const char *original) {
        SysctlEntry *e = ARRAY_PUSH(s->entries, s->n_entries);
        if (!e)
                return -ENOMEM;
        e->name = strdup(name);
        e->original = strdup(original);
        if (!e->name || !e->original)
                return -ENOMEM;
        return 0;
}

/* One "NAME=VALUE" line per entry. */
static int sysctl_state_save(const SysctlSaved *s) {
        if (!s->state_file)
                return 0;
        StrBuf sb = {};
        for (size_t i = 0; i < s->n_entries; i++)
                strbuf_appendf(&sb, "%s=%s\n", s->entries[i].name, s->entries[i].original);
        _cleanup_free_ char *text = strbuf_finish(&sb);
        if (!text)
                return -ENOMEM;
        int r = mkdir_parents(s->state_file, 0755);
        if (r < 0)
                return r;
        r = write_file_atomic(s->state_file, text, 0644, (uid_t) -1, (gid_t) -1);
        return r < 0 ? r : 0;
}

int sysctl_saved_init(SysctlSaved *s, const char *state_file) {
        _cleanup_free_ char *text = NULL;

        *s = (SysctlSaved) {};
        if (!state_file)
                return 0;
        s->state_file = strdup(state_file);
        if (!s->state_file)
                return -ENOMEM;

        int r = read_full_file(state_file, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                char *eq = strchr(line, '=');
                if (!eq || strstr(line, ".."))
                        continue;
                *eq = '\0';
                if (!sysctl_find(s, line) && sysctl_remember(s, line, eq + 1) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int sysctl_set(SysctlSaved *s, const char *name, const char *value) {
        if (!sysctl_find(s, name)) {
                _cleanup_free_ char *original = NULL;
                int r = sysctl_read(name, &original);
                if (r < 0)
                        return r;
                if (streq(original, value))
                        return 0; /* already so: nothing to put back */
                r = sysctl_remember(s, name, original);
                if (r < 0)
                        return r;
                r = sysctl_state_save(s);
                if (r < 0)
                        return r;
        }
        return sysctl_write(name, value);
}

void sysctl_restore(SysctlSaved *s) {
        for (size_t i = s->n_entries; i > 0; i--) {
                SysctlEntry *e = &s->entries[i - 1];
                int r = sysctl_write(e->name, e->original);
                /* The interface may be gone already, and its settings with it. */
                if (r < 0 && r != -ENOENT)
                        log_warning_errno(r, "Cannot restore %s to %s: %m", e->name, e->original);
                free(e->name);
                free(e->original);
        }
        free(s->entries);
        s->entries = NULL;
        s->n_entries = 0;
        if (s->state_file)
                (void) unlink_if_exists(s->state_file);
}

void sysctl_saved_done(SysctlSaved *s) {
        for (size_t i = 0; i < s->n_entries; i++) {
                free(s->entries[i].name);
                free(s->entries[i].original);
        }
        free(s->entries);
        free(s->state_file);
        *s = (SysctlSaved) {};
}
