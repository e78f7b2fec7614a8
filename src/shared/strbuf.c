/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "shared/strbuf.h"

static bool strbuf_reserve(StrBuf *b, size_t extra) {
        if (b->oom)
                return false;
        if (b->len + extra + 1 <= b->allocated)
                return true;
        size_t want = b->allocated ? b->allocated : 256;
        while (want < b->len + extra + 1)
                want *= 2;
        char *n = realloc(b->buf, want);
        if (!n) {
                b->oom = true;
                return false;
        }
        b->buf = n;
        b->allocated = want;
        return true;
}

void strbuf_append(StrBuf *b, const char *s) {
        size_t l = strlen(s);
        if (!strbuf_reserve(b, l))
                return;
        memcpy(b->buf + b->len, s, l + 1);
        b->len += l;
}

void strbuf_vappendf(StrBuf *b, const char *fmt, va_list ap) {
        /* Format straight into the free space; only when it does not fit, grow and format again,
         * so the common case formats once. */
        if (!strbuf_reserve(b, 64))
                return;
        va_list aq;
        va_copy(aq, ap);
        int n = vsnprintf(b->buf + b->len, b->allocated - b->len, fmt, aq);
        va_end(aq);
        if (n < 0) {
                b->oom = true;
                return;
        }
        if ((size_t) n >= b->allocated - b->len) {
                if (!strbuf_reserve(b, (size_t) n))
                        return;
                vsnprintf(b->buf + b->len, (size_t) n + 1, fmt, ap);
        }
        b->len += (size_t) n;
}

void strbuf_appendf(StrBuf *b, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        strbuf_vappendf(b, fmt, ap);
        va_end(ap);
}

char *strbuf_finish(StrBuf *b) {
        if (b->oom) {
                strbuf_done(b);
                return NULL;
        }
        if (!b->buf && !strbuf_reserve(b, 0))
                return NULL;
        b->buf[b->len] = '\0';
        char *r = b->buf;
        *b = (StrBuf) {};
        return r;
}

void strbuf_done(StrBuf *b) {
        free(b->buf);
        *b = (StrBuf) {};
}
