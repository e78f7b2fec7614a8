/* SPDX-License-Identifier: MIT */
#include <ctype.h>

#include "conf/ini.h"
#include "shared/escape.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"

ConfFile *conf_file_free(ConfFile *f) {
        if (!f)
                return NULL;
        for (size_t i = 0; i < f->n_sections; i++) {
                ConfSection *s = &f->sections[i];
                for (size_t j = 0; j < s->n_entries; j++) {
                        free(s->entries[j].key);
                        free(s->entries[j].value);
                }
                free(s->entries);
                free(s->name);
        }
        free(f->sections);
        free(f->path);
        free(f);
        return NULL;
}

static char *strip(char *s) {
        while (*s == ' ' || *s == '\t')
                s++;
        size_t l = strlen(s);
        while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r'))
                s[--l] = '\0';
        return s;
}

static bool key_is_valid(const char *k) {
        if (!*k)
                return false;
        for (const char *p = k; *p; p++)
                if (!isalnum((unsigned char) *p))
                        return false;
        return true;
}

int conf_parse_string(const char *path, const char *text, ConfFile **ret) {
        _cleanup_(conf_file_freep) ConfFile *f = calloc(1, sizeof *f);
        if (!f || !(f->path = strdup(path)))
                return -ENOMEM;

        _cleanup_free_ char *copy = strdup(text);
        if (!copy)
                return -ENOMEM;

        int errors = 0;
        unsigned lineno = 0;
        char *next = copy;
        while (next) {
                char *line = next;
                char *nl = strchr(line, '\n');
                next = nl ? nl + 1 : NULL;
                if (nl)
                        *nl = '\0';
                unsigned start = ++lineno;

                if (strchr(line, '\r')) {
                        /* A carriage return inside a value could end up in a generated file. */
                        char *cr = strchr(line, '\r');
                        if (cr[1] != '\0') {
                                log_error("%s:%u: stray carriage return in line.", path, start);
                                errors++;
                                continue;
                        }
                }

                /* systemd.syntax(7): a trailing backslash joins the next line, with the
                 * backslash replaced by a space; comment lines inside are skipped. */
                _cleanup_free_ char *joined = NULL;
                char *t = strip(line);
                while (*t && t[strlen(t) - 1] == '\\' && next) {
                        t[strlen(t) - 1] = ' ';
                        char *cont = next;
                        char *cnl = strchr(cont, '\n');
                        next = cnl ? cnl + 1 : NULL;
                        if (cnl)
                                *cnl = '\0';
                        lineno++;
                        char *c = strip(cont);
                        if (*c == '#' || *c == ';')
                                continue;
                        size_t need = strlen(t) + strlen(c) + 1;
                        char *j = malloc(need);
                        if (!j)
                                return -ENOMEM;
                        snprintf(j, need, "%s%s", t, c);
                        free(joined);
                        joined = j;
                        t = joined;
                }
                if (*t && t[strlen(t) - 1] == '\\')
                        t[strlen(t) - 1] = '\0';
                t = strip(t);

                if (*t == '\0' || *t == '#' || *t == ';')
                        continue;

                if (*t == '[') {
                        size_t l = strlen(t);
                        if (l < 3 || t[l - 1] != ']') {
                                log_error("%s:%u: invalid section header '%s'.", path, start, EXCERPT(t));
                                errors++;
                                continue;
                        }
                        t[l - 1] = '\0';
                        ConfSection *s = ARRAY_PUSH(f->sections, f->n_sections);
                        if (!s || !(s->name = strdup(t + 1)))
                                return -ENOMEM;
                        s->line = start;
                        continue;
                }

                char *eq = strchr(t, '=');
                if (!eq) {
                        log_error("%s:%u: missing '=' in line '%s'.", path, start, EXCERPT(t));
                        errors++;
                        continue;
                }
                *eq = '\0';
                char *key = strip(t), *value = strip(eq + 1);
                if (!key_is_valid(key)) {
                        log_error("%s:%u: invalid key name '%s'.", path, start, EXCERPT(key));
                        errors++;
                        continue;
                }
                if (f->n_sections == 0) {
                        log_error("%s:%u: %s= outside of any section.", path, start, EXCERPT(key));
                        errors++;
                        continue;
                }
                ConfSection *s = &f->sections[f->n_sections - 1];
                ConfEntry *e = ARRAY_PUSH(s->entries, s->n_entries);
                if (!e || !(e->key = strdup(key)) || !(e->value = strdup(value)))
                        return -ENOMEM;
                e->line = start;
        }

        *ret = TAKE_PTR(f);
        return errors;
}

int conf_parse_file(const char *path, ConfFile **ret) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r = read_full_file(path, &text, &size);
        if (r < 0)
                return log_error_errno(r, "%s: cannot read: %s", ESCAPE_PATH(path), read_file_strerror(r));
        if (strlen(text) != size) {
                log_error("%s:1: file contains a NUL byte.", path);
                ConfFile *f = calloc(1, sizeof *f);
                if (!f || !(f->path = strdup(path))) {
                        free(f);
                        return -ENOMEM;
                }
                *ret = f;
                return 1;
        }
        return conf_parse_string(path, text, ret);
}
