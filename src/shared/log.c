/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "shared/log.h"

static LogTarget log_target = LOG_TARGET_STDERR;
static const char *log_ident = "nfswg";
static int log_max_level = LOG_INFO;
static const char *log_stderr_prefix = "";
static LogSink log_sink;
static void *log_sink_userdata;

void log_set_target(LogTarget target) {
        log_target = target;
}

LogTarget log_get_target(void) {
        return log_target;
}

void log_set_ident(const char *ident) {
        log_ident = ident;
}

void log_set_stderr_prefix(const char *prefix) {
        log_stderr_prefix = prefix ?: "";
}

void log_set_max_level(int level) {
        log_max_level = level;
}

void log_set_sink(LogSink sink, void *userdata) {
        log_sink = sink;
        log_sink_userdata = userdata;
}

void log_setup_auto(void) {
        const char *e = getenv("JOURNAL_STREAM");
        struct stat st;
        unsigned long long dev, ino;

        /* systemd.exec(5): $JOURNAL_STREAM is "DEVICE:INODE" of stderr when it is connected to journald. */
        if (e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
            (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino)
                log_target = LOG_TARGET_JOURNAL;
        else
                log_target = LOG_TARGET_STDERR;
}

static void log_write_kmsg(int level, const char *msg) {
        int fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "%s: %s\n", log_ident, msg);
                return;
        }
        dprintf(fd, "<%d>%s[%d]: %s\n", level, log_ident, (int) getpid(), msg);
        close(fd);
}

int log_internal(int level, int error, const char *fmt, ...) {
        int saved_errno = errno;
        char msg[2048];
        va_list ap;

        if (error < 0)
                error = -error;

        if (level <= log_max_level || log_sink) {
                errno = error;
                va_start(ap, fmt);
                vsnprintf(msg, sizeof msg, fmt, ap);
                va_end(ap);

                if (log_sink)
                        log_sink(level, msg, log_sink_userdata);
                else
                        switch (log_target) {
                        case LOG_TARGET_KMSG:
                                log_write_kmsg(level, msg);
                                break;
                        case LOG_TARGET_JOURNAL:
                                sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", level,
                                                "SYSLOG_IDENTIFIER=%s", log_ident,
                                                error ? "ERRNO=%i" : NULL, error, NULL);
                                break;
                        default:
                                fprintf(stderr, "%s%s\n", log_stderr_prefix, msg);
                        }
        }
        errno = saved_errno;
        return -error;
}
