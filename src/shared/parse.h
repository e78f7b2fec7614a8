/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Decimal only, no sign, no spaces, within [min, max]. -EINVAL or -ERANGE. */
int parse_unsigned(const char *s, unsigned min, unsigned max, unsigned *ret);
int parse_port(const char *s, uint16_t *ret);
/* yes/no, true/false, on/off, 1/0 as systemd accepts them. */
int parse_boolean(const char *s, bool *ret);

/* "HOST:PORT" or "[V6]:PORT"; host a DNS name or an address. Writes the host (without brackets)
 * into a newly allocated string. */
int parse_endpoint(const char *s, char **ret_host, uint16_t *ret_port);

/* "YYYY-MM-DDTHH:MM:SSZ" (ISO 8601, UTC, as Expires= stores it) into seconds since the epoch.
 * Out-of-range fields (2026-02-30) are refused: -EINVAL. */
int parse_utc_timestamp(const char *s, int64_t *ret);
#define UTC_TIMESTAMP_MAX sizeof("YYYY-MM-DDTHH:MM:SSZ")
/* The reverse; buf has UTC_TIMESTAMP_MAX bytes. */
char *format_utc_timestamp(int64_t t, char buf[static UTC_TIMESTAMP_MAX]);

bool hostname_is_valid(const char *s);
/* An interface name the kernel accepts and that needs no quoting: 1..15 bytes of [A-Za-z0-9_.-],
 * not "." or "..". */
bool ifname_is_valid(const char *s);
/* A peer or bridge name: [a-z0-9][a-z0-9-]{0,31}. */
bool name_is_valid(const char *s);
/* An absolute, normalised path (no "//", ".", "..", trailing "/"), of characters that are safe in an
 * exports line, a unit file and a shell: [A-Za-z0-9/_.+@:%-]. */
bool path_is_safe(const char *s);
/* Characters that may appear in any value written into a generated file: printable ASCII without
 * quotes, backslash, or whitespace. */
bool value_is_safe(const char *s);
