/* SPDX-License-Identifier: MIT */
#include <stdint.h>

#include "shared/escape.h"
#include "shared/macro.h"

/* The length of the well-formed UTF-8 sequence at s (RFC 3629, section 4: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0. *ret_cp gets its code point. */
static size_t utf8_sequence(const unsigned char *s, uint32_t *ret_cp) {
        size_t n;
        uint32_t cp, min;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, cp = s[0] & 0x1f, min = 0x80;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, cp = s[0] & 0x0f, min = 0x800;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, cp = s[0] & 0x07, min = 0x10000;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0; /* also stops at the terminating NUL */
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *ret_cp = cp;
        return n;
}

/* Code points a terminal acts on instead of showing: C1 controls (0x9b is CSI on some), and the
 * format characters that reorder or hide text (Unicode's "Trojan Source" set). */
static bool code_point_steers(uint32_t cp) {
        return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
               (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

/* The length of the character at p when it is shown as it is, or 0 when it must be escaped. */
static size_t char_shown_length(const unsigned char *p) {
        uint32_t cp = 0;
        if (*p == '\\')
                return 0;
        if (*p >= 0x20 && *p < 0x7f)
                return 1;
        size_t n = *p >= 0x80 ? utf8_sequence(p, &cp) : 0;
        return n > 0 && !code_point_steers(cp) ? n : 0;
}

bool text_needs_escaping(const char *s) {
        for (const unsigned char *p = (const unsigned char *) strempty(s); *p;) {
                size_t n = char_shown_length(p);
                if (n == 0)
                        return true;
                p += n;
        }
        return false;
}

const char *escape_path(char buf[static ESCAPE_PATH_SIZE], const char *s) {
        if (!text_needs_escaping(s))
                return strempty(s);
        const char *slash = strrchr(s, '/');
        size_t dir = slash ? (size_t) (slash - s) + 1 : 0;
        if (dir > 0 && dir < PATH_MAX) {
                memcpy(buf, s, dir);
                buf[dir] = '\0';
                if (!text_needs_escaping(buf)) {
                        escape_excerpt(buf + dir, slash + 1);
                        return buf;
                }
        }
        return escape_excerpt(buf, s);
}

char *escape_excerpt(char buf[static EXCERPT_SIZE], const char *s) {
        static const char hex[] = "0123456789abcdef";
        const unsigned char *p = (const unsigned char *) strempty(s);
        char *o = buf;

        /* Each step takes one character, or one byte that gets escaped, and writes at most 4 bytes. */
        for (size_t chars = 0; *p; chars++) {
                if (chars == EXCERPT_CHARS) {
                        strcpy(o, "…");
                        return buf;
                }
                size_t n = char_shown_length(p);
                if (n > 0) {
                        memcpy(o, p, n);
                        o += n;
                        p += n;
                } else if (*p == '\\') {
                        *o++ = '\\';
                        *o++ = '\\';
                        p++;
                } else {
                        /* A control character, a stray byte, or one byte of a steering sequence:
                         * the rest of that sequence follows as bytes of its own. */
                        *o++ = '\\';
                        *o++ = 'x';
                        *o++ = hex[*p >> 4];
                        *o++ = hex[*p & 0xf];
                        p++;
                }
        }
        *o = '\0';
        return buf;
}
