/* SPDX-License-Identifier: MIT */
/* Captures what the library logs, so tests can assert the exact FILE:LINE messages. */
#pragma once

#include <stdio.h>
#include <string.h>

#include "shared/log.h"

static char captured_log[65536];

static void capture_sink(int level, const char *message, void *userdata) {
        (void) level;
        (void) userdata;
        size_t l = strlen(captured_log);
        snprintf(captured_log + l, sizeof captured_log - l, "%s\n", message);
}

static inline void log_capture_start(void) {
        captured_log[0] = '\0';
        log_set_sink(capture_sink, NULL);
}

static inline bool log_captured(const char *needle) {
        return strstr(captured_log, needle) != NULL;
}
