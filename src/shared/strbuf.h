/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "shared/macro.h"

/* A growable text buffer for emitters. An allocation failure is remembered and reported once by
 * strbuf_finish(), so emitters can append without checking every call. */
typedef struct StrBuf {
        char *buf;
        size_t len;
        size_t allocated;
        bool oom;
} StrBuf;

void strbuf_append(StrBuf *b, const char *s);
void strbuf_appendf(StrBuf *b, const char *fmt, ...) _printf_(2, 3);
void strbuf_vappendf(StrBuf *b, const char *fmt, va_list ap) _printf_(2, 0);
/* Returns the text (caller frees) or NULL on allocation failure. Resets the buffer. */
char *strbuf_finish(StrBuf *b);
void strbuf_done(StrBuf *b);
