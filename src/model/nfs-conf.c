/* SPDX-License-Identifier: MIT */
/* The port pins of nfs.conf(5), read the way nfs-utils reads them (support/nfs/conffile.c in
 * nfs-utils 2.6: /etc/nfs.conf, then /etc/nfs.conf.d/ *.conf in versionsort(3) order, a later
 * assignment replacing an earlier one). Only what a daemon would see counts: a line nfs-utils
 * ignores (no section, no '=', an unmatched quote, an empty value, a [section "subsection"]) is
 * ignored here too, silently, as nfs-utils only warns in its own log. */
#include <dirent.h>
#include <strings.h>

#include "model/nfs-conf.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/parse.h"

/* Larger files, FIFOs and devices are not configuration: skipped rather than read without end. */
#define NFS_CONF_MAX_SIZE (1024 * 1024)
/* nfs-utils follows "include =" without a limit; a loop must not take us down with it. */
#define NFS_CONF_MAX_DEPTH 8

static const struct {
        const char *section, *key, *name;
} nfs_conf_keys[_NFS_CONF_KEY_MAX] = {
        [NFS_CONF_MOUNTD_PORT] = { "mountd", "port", "[mountd] port" },
        [NFS_CONF_STATD_PORT] = { "statd", "port", "[statd] port" },
        [NFS_CONF_STATD_OUTGOING_PORT] = { "statd", "outgoing-port", "[statd] outgoing-port" },
        [NFS_CONF_LOCKD_PORT] = { "lockd", "port", "[lockd] port" },
        [NFS_CONF_LOCKD_UDP_PORT] = { "lockd", "udp-port", "[lockd] udp-port" },
};

const char *nfs_conf_key_name(NfsConfKey k) {
        return k < _NFS_CONF_KEY_MAX ? nfs_conf_keys[k].name : NULL;
}

void nfs_conf_done(NfsConf *c) {
        for (size_t i = 0; i < _NFS_CONF_KEY_MAX; i++) {
                free(c->pins[i].source);
                free(c->pins[i].id);
        }
        *c = (NfsConf) {};
}

/* An assignment as written, before "$NAME" is looked up. */
typedef struct RawValue {
        char *value;
        char *source;
        unsigned line;
} RawValue;

typedef struct Reader {
        const char *root;
        RawValue keys[_NFS_CONF_KEY_MAX];
        char **env_names; /* [environment], in file order: the last match wins */
        char **env_values;
        bool oom;
} Reader;

/* The section a line belongs to. Entries of a [section "subsection"] never answer nfs-utils'
 * conf_get_str(), which is what the daemons call for these keys. */
typedef struct Section {
        char *name; /* NULL: before any header, or after a broken one */
        bool subsection;
} Section;

static void reader_done(Reader *r) {
        for (size_t i = 0; i < _NFS_CONF_KEY_MAX; i++) {
                free(r->keys[i].value);
                free(r->keys[i].source);
        }
        strv_free(r->env_names);
        strv_free(r->env_values);
}

static void reader_oom(Reader *r, int k) {
        if (k < 0)
                r->oom = true;
}

/* Regular files only, bounded, never blocking on a FIFO: the one reader of fileio.h. */
static int read_config_file(const char *path, char **ret) {
        return read_regular_file(path, NFS_CONF_MAX_SIZE, ret, NULL);
}

static void parse_text(Reader *r, const char *path, char *text, Section *section, unsigned depth);

static char *strip_trailing_blanks(char *s) {
        size_t l = strlen(s);
        while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t'))
                s[--l] = '\0';
        return s;
}

static void parse_section_header(Section *section, char *line) {
        free(section->name);
        *section = (Section) {};

        line += strspn(line, " \t");
        char *end = strchr(line, ']');
        if (!end)
                return; /* "non-matched ']', ignoring until next section" */
        *end = '\0';
        strip_trailing_blanks(line);

        char *quote = strchr(line, '"');
        if (quote) {
                *quote = '\0';
                strip_trailing_blanks(line);
                /* Without its closing quote the subsection is dropped and the entries belong to the
                 * plain section, as in conffile.c. */
                section->subsection = strchr(quote + 1, '"') != NULL;
        }
        section->name = strdup(line);
}

static void include_file(Reader *r, const char *path, const char *value, const Section *section, unsigned depth) {
        _cleanup_free_ char *target = NULL, *text = NULL;

        /* "-FILE": optional. nfs-utils only decides by it whether to warn; a file that cannot be
         * read is skipped either way. */
        if (value[0] == '-')
                value++;
        if (depth >= NFS_CONF_MAX_DEPTH)
                return;

        int k;
        if (value[0] == '/')
                k = asprintf(&target, "%s%s", r->root, value);
        else {
                /* Relative to the including file's directory. */
                const char *slash = strrchr(path, '/');
                k = slash ? asprintf(&target, "%.*s/%s", (int) (slash - path), path, value)
                          : asprintf(&target, "%s", value);
        }
        if (k < 0) {
                r->oom = true;
                return;
        }
        k = read_config_file(target, &text);
        if (k == -ENOMEM)
                r->oom = true;
        if (k < 0)
                return;

        /* The included file starts in the includer's section; its own headers stay its own. */
        Section inner = { .subsection = section->subsection };
        if (section->name && !(inner.name = strdup(section->name))) {
                r->oom = true;
                return;
        }
        parse_text(r, target, text, &inner, depth + 1);
        free(inner.name);
}

static void parse_assignment(Reader *r, const char *path, unsigned line_no, char *line, const Section *section,
                             unsigned depth) {
        char *eq = strchr(line, '=');
        if (!eq || !section->name)
                return;
        *eq = '\0';
        char *tag = strip_trailing_blanks(line);
        char *value = eq + 1 + strspn(eq + 1, " \t");

        if (value[0] == '"' || value[0] == '\'') {
                char *close = strchr(value + 1, value[0]);
                if (!close)
                        return; /* "unmatched quotes" */
                *close = '\0';
                value++;
        } else {
                /* An unquoted value ends at the first '#' or ';'. */
                value[strcspn(value, "#;")] = '\0';
                size_t l = strlen(value);
                while (l > 0 && strchr(" \t\r\n\v\f", value[l - 1]))
                        value[--l] = '\0';
        }
        if (isempty(tag) || isempty(value))
                return; /* conffile.c's conf_set() ignores an empty value: it does not reset */

        if (strcasecmp(tag, "include") == 0) {
                include_file(r, path, value, section, depth);
                return;
        }
        if (section->subsection)
                return;

        if (strcasecmp(section->name, "environment") == 0) {
                reader_oom(r, strv_extend(&r->env_names, tag));
                reader_oom(r, strv_extend(&r->env_values, value));
                return;
        }

        for (size_t k = 0; k < _NFS_CONF_KEY_MAX; k++) {
                if (strcasecmp(section->name, nfs_conf_keys[k].section) != 0 ||
                    strcasecmp(tag, nfs_conf_keys[k].key) != 0)
                        continue;
                RawValue *v = &r->keys[k];
                char *nv = strdup(value), *ns = strdup(path);
                if (!nv || !ns) {
                        free(nv);
                        free(ns);
                        r->oom = true;
                        return;
                }
                free(v->value);
                free(v->source);
                *v = (RawValue) { .value = nv, .source = ns, .line = line_no };
        }
}

static void parse_text(Reader *r, const char *path, char *text, Section *section, unsigned depth) {
        unsigned line_no = 1;
        char *p = text;

        while (*p && !r->oom) {
                /* A backslash before the newline continues the line (conffile.c's conf_parse()). */
                char *line = p;
                unsigned start = line_no;
                char *nl;
                for (;;) {
                        nl = strchr(p, '\n');
                        if (!nl)
                                return; /* "last line non-terminated, ignored" */
                        line_no++;
                        if (nl > line && nl[-1] == '\\') {
                                nl[-1] = ' ';
                                *nl = ' ';
                                p = nl + 1;
                                continue;
                        }
                        break;
                }
                *nl = '\0';
                p = nl + 1;

                line += strspn(line, " \t\r\n\v\f");
                if (*line == '\0' || *line == '#' || *line == ';')
                        continue;
                if (*line == '[')
                        parse_section_header(section, line + 1);
                else
                        parse_assignment(r, path, start, line, section, depth);
        }
}

static void parse_file(Reader *r, const char *path) {
        _cleanup_free_ char *text = NULL;
        int k = read_config_file(path, &text);
        if (k == -ENOMEM)
                r->oom = true;
        if (k < 0) {
                if (k != -ENOENT)
                        log_debug("%s: not read for NFS port pins: %s", path, strerror(-k));
                return;
        }
        Section section = {};
        parse_text(r, path, text, &section, 0);
        free(section.name);
}

static int dirent_is_conf(const struct dirent *d) {
        size_t l = strlen(d->d_name);
        if (d->d_name[0] == '.' || l <= 5 || !streq(d->d_name + l - 5, ".conf"))
                return 0;
        return d->d_type == DT_REG || d->d_type == DT_LNK || d->d_type == DT_UNKNOWN;
}

/* "$NAME" names an entry of [environment] (nfs-utils also tries its own process environment, which
 * for the daemons holds nothing an administrator sets). */
static const char *resolve(const Reader *r, const char *value) {
        for (unsigned hops = 0; value && value[0] == '$' && hops < 8; hops++) {
                const char *found = NULL;
                for (size_t i = 0; r->env_names && r->env_names[i]; i++)
                        if (strcasecmp(r->env_names[i], value + 1) == 0)
                                found = r->env_values[i];
                value = found;
        }
        return value && value[0] != '$' ? value : NULL;
}

int nfs_conf_load(const char *root, NfsConf *ret) {
        _cleanup_free_ char *main_file = NULL, *dir = NULL;
        Reader r = { .root = strempty(root) };
        struct dirent **entries = NULL;
        int n;

        *ret = (NfsConf) {};
        if (asprintf(&main_file, "%s/etc/nfs.conf", r.root) < 0 || asprintf(&dir, "%s/etc/nfs.conf.d", r.root) < 0)
                return -ENOMEM;

        parse_file(&r, main_file);
        n = scandir(dir, &entries, dirent_is_conf, versionsort);
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                if (!r.oom && asprintf(&path, "%s/%s", dir, entries[i]->d_name) < 0)
                        r.oom = true;
                if (!r.oom)
                        parse_file(&r, path);
                free(entries[i]);
        }
        free(entries);

        for (size_t k = 0; k < _NFS_CONF_KEY_MAX && !r.oom; k++) {
                RawValue *v = &r.keys[k];
                uint16_t port;
                const char *value = resolve(&r, v->value);
                if (!value || parse_port(value, &port) < 0)
                        continue;
                /* Every path read starts with the root (includes are made absolute under it). */
                const char *id = v->source + strlen(r.root);
                NfsConfPin *p = &ret->pins[k];
                *p = (NfsConfPin) { .port = port, .source = TAKE_PTR(v->source), .line = v->line };
                if (path_is_safe(id) && !(p->id = strdup(id)))
                        r.oom = true;
        }
        reader_done(&r);
        if (r.oom) {
                nfs_conf_done(ret);
                return -ENOMEM;
        }
        return 0;
}
