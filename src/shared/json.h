/* SPDX-License-Identifier: MIT */
#pragma once

#include "shared/strbuf.h"

/* Appends v as a JSON string (RFC 8259: quote, backslash and control characters escaped), or
 * null for NULL: `nfswg status --json` and the daemon's status file. */
void json_string(StrBuf *s, const char *v);
