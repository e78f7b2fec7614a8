/* SPDX-License-Identifier: MIT */
#include "shared/json.h"

void json_string(StrBuf *s, const char *v) {
        if (!v) {
                strbuf_append(s, "null");
                return;
        }
        strbuf_append(s, "\"");
        for (const unsigned char *p = (const unsigned char *) v; *p; p++)
                switch (*p) {
                case '"':
                        strbuf_append(s, "\\\"");
                        break;
                case '\\':
                        strbuf_append(s, "\\\\");
                        break;
                case '\n':
                        strbuf_append(s, "\\n");
                        break;
                case '\t':
                        strbuf_append(s, "\\t");
                        break;
                default:
                        if (*p < 0x20)
                                strbuf_appendf(s, "\\u%04x", *p);
                        else
                                strbuf_appendf(s, "%c", *p);
                }
        strbuf_append(s, "\"");
}
