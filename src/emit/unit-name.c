/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "emit/emit.h"
#include "shared/strbuf.h"

static bool unit_char_is_plain(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
               c == '_' || c == '.';
}

/* systemd.unit(5) "String Escaping for Inclusion in Unit Names", the rules `systemd-escape --path`
 * applies: the path is simplified (duplicate and trailing slashes dropped), the leading slash
 * removed, "/" becomes "-", every byte outside [A-Za-z0-9:_.] and a leading "." become "\xNN";
 * the root directory is "-". */
int unit_name_from_path(const char *path, const char *suffix, char **ret) {
        _cleanup_(strbuf_done) StrBuf s = {};

        if (!path || path[0] != '/')
                return -EINVAL;

        const char *p = path;
        while (*p == '/')
                p++;
        if (*p == '\0')
                strbuf_append(&s, "-");

        bool first = true;
        while (*p) {
                const char *end = strchr(p, '/');
                size_t l = end ? (size_t) (end - p) : strlen(p);
                if ((l == 2 && p[0] == '.' && p[1] == '.') || (l == 1 && p[0] == '.'))
                        return -EINVAL; /* not a normalised path: systemd refuses it too */
                if (!first)
                        strbuf_append(&s, "-");
                for (size_t i = 0; i < l; i++) {
                        unsigned char c = (unsigned char) p[i];
                        if (unit_char_is_plain((char) c) && !(first && i == 0 && c == '.'))
                                strbuf_appendf(&s, "%c", c);
                        else
                                strbuf_appendf(&s, "\\x%02x", c);
                }
                first = false;
                p += l;
                while (*p == '/')
                        p++;
        }
        /* Like --suffix=mount; ".mount" is accepted as well. */
        if (!isempty(suffix))
                strbuf_appendf(&s, "%s%s", suffix[0] == '.' ? "" : ".", suffix);

        char *r = strbuf_finish(&s);
        if (!r)
                return -ENOMEM;
        *ret = r;
        return 0;
}
