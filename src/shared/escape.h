/* SPDX-License-Identifier: MIT */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* Text from a configuration file or a command line, made safe to quote in a message that reaches a
 * terminal or the journal: at most EXCERPT_CHARS characters of it, then "…" when there was more;
 * control characters, bytes that are not UTF-8, and the code points that steer a terminal's layout
 * (C1 controls, bidirectional overrides, zero-width marks) as "\xNN" per byte; a backslash as
 * "\\". Printable UTF-8 stays as it is. A long line from a misnamed file (a symlink to a password
 * hash, say) then shows its first words, not its secret tail. */
#define EXCERPT_CHARS 40
/* Each character takes at most 4 bytes ("\xNN", or one UTF-8 sequence), plus the ellipsis. */
#define EXCERPT_SIZE (EXCERPT_CHARS * 4 + sizeof "…")

/* Writes the excerpt of s (NULL reads as "") into buf and returns buf. */
char *escape_excerpt(char buf[static EXCERPT_SIZE], const char *s);

/* For a message argument: the buffer lives until the end of the enclosing block. */
#define EXCERPT(s) escape_excerpt((char[EXCERPT_SIZE]) {}, (s))

/* Whether s holds anything escape_excerpt() would escape. */
bool text_needs_escaping(const char *s);

/* A path for a message: as it is when it is all printable text (a path may be longer than an
 * excerpt); else its directory as it is when that is printable, and the escaped excerpt of the
 * file name (or of the whole path). */
#define ESCAPE_PATH_SIZE (PATH_MAX + EXCERPT_SIZE)
const char *escape_path(char buf[static ESCAPE_PATH_SIZE], const char *s);
#define ESCAPE_PATH(s) escape_path((char[ESCAPE_PATH_SIZE]) {}, (s))
