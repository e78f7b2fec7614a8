/* SPDX-License-Identifier: MIT */
#pragma once

#include <syslog.h>

#include "shared/macro.h"

/* Where log lines go. The generator logs to /dev/kmsg (systemd.generator(7)), the daemon to the
 * journal when stderr is connected to it, everything else to stderr. The words are the same. */
typedef enum LogTarget {
        LOG_TARGET_STDERR,
        LOG_TARGET_KMSG,
        LOG_TARGET_JOURNAL,
} LogTarget;

void log_set_target(LogTarget target);
LogTarget log_get_target(void);
void log_set_ident(const char *ident);
void log_set_max_level(int level);
/* Written before every message of LOG_TARGET_STDERR: the CLI's "nfswg: ", as cli_usage_error()
 * writes it (default: nothing). */
void log_set_stderr_prefix(const char *prefix);
/* Picks the journal if $JOURNAL_STREAM says stderr is journald's, else stderr. */
void log_setup_auto(void);

/* Tests capture what would be logged. */
typedef void (*LogSink)(int level, const char *message, void *userdata);
void log_set_sink(LogSink sink, void *userdata);

/* Logs once and returns -abs(error) (or 0 when error is 0), so "return log_error_errno(r, ...)" works. */
int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_error_errno(error, ...) log_internal(LOG_ERR, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_internal(LOG_WARNING, (error), __VA_ARGS__)
#define log_oom() log_internal(LOG_ERR, ENOMEM, "Out of memory.")
