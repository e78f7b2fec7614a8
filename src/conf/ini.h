/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

/* The systemd INI dialect (systemd.syntax(7)): "[Section]", "Key=value", whitespace around key and
 * value stripped, "#" and ";" start a comment only at the beginning of a line, a trailing backslash
 * continues the line. Values are kept raw; meaning is the model's business. */

typedef struct ConfEntry {
        char *key;
        char *value;
        unsigned line;
} ConfEntry;

typedef struct ConfSection {
        char *name;
        unsigned line;
        ConfEntry *entries;
        size_t n_entries;
} ConfSection;

typedef struct ConfFile {
        char *path; /* as given, used in every message */
        ConfSection *sections;
        size_t n_sections;
} ConfFile;

/* Parses text; syntax errors are logged as "PATH:LINE: message" and counted. Returns the number of
 * errors (>= 0) with *ret set, or -ENOMEM. */
int conf_parse_string(const char *path, const char *text, ConfFile **ret);
/* Reads and parses path; -errno when it cannot be read (logged). */
int conf_parse_file(const char *path, ConfFile **ret);
ConfFile *conf_file_free(ConfFile *f);
static inline void conf_file_freep(ConfFile **f) {
        conf_file_free(*f);
}
