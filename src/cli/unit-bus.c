/* SPDX-License-Identifier: MIT */
#include <systemd/sd-bus.h>

#include "cli/unit-bus.h"
#include "shared/log.h"
#include "shared/macro.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define SYSTEMD_UNIT "org.freedesktop.systemd1.Unit"

static void bus_unrefp(sd_bus **b) {
        sd_bus_flush_close_unref(*b);
}
static void message_unrefp(sd_bus_message **m) {
        sd_bus_message_unref(*m);
}
static void slot_unrefp(sd_bus_slot **s) {
        sd_bus_slot_unref(*s);
}

static bool bus_error_is_absent(const sd_bus_error *e, int r) {
        /* No bus socket, or a bus without systemd (dbus-daemon in a container). */
        return r == -ENOENT || r == -ECONNREFUSED || r == -EACCES || r == -ENOMEDIUM ||
               sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

static int bus_open(sd_bus **ret) {
        int r = sd_bus_open_system(ret);
        if (r < 0)
                return -ENOMEDIUM;
        return 0;
}

int unit_get_active_state(const char *unit, char **ret) {
        _cleanup_(bus_unrefp) sd_bus *bus = NULL;
        _cleanup_(message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *path;
        int r;

        r = bus_open(&bus);
        if (r < 0)
                return r;

        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "GetUnit", &error, &reply,
                               "s", unit);
        if (r < 0) {
                bool absent = bus_error_is_absent(&error, r);
                bool not_loaded = sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit");
                sd_bus_error_free(&error);
                if (absent)
                        return -ENOMEDIUM;
                if (not_loaded) {
                        *ret = strdup("inactive");
                        return *ret ? 0 : -ENOMEM;
                }
                return r;
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;

        r = sd_bus_get_property_string(bus, SYSTEMD_DEST, path, SYSTEMD_UNIT, "ActiveState", &error, ret);
        sd_bus_error_free(&error);
        return r;
}

typedef struct JobWait {
        const char *path;
        char *result;
        bool done;
} JobWait;

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        JobWait *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        /* org.freedesktop.systemd1(5): JobRemoved(u id, o job, s unit, s result) */
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (!streq(path, w->path))
                return 0;
        w->result = strdup(result);
        w->done = true;
        return 0;
}

int unit_reload(const char *unit) {
        _cleanup_(bus_unrefp) sd_bus *bus = NULL;
        _cleanup_(message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(slot_unrefp) sd_bus_slot *slot = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        JobWait w = {};
        const char *job;
        int r;

        r = bus_open(&bus);
        if (r < 0)
                return log_error_errno(r, "Cannot reach systemd on the system bus.");

        /* The match must exist before the job does, or a fast job's signal is missed. */
        r = sd_bus_match_signal(bus, &slot, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
                                on_job_removed, &w);
        if (r < 0)
                return log_error_errno(r, "Failed to watch systemd's jobs: %m");
        /* Manager signals go to subscribed clients only (org.freedesktop.systemd1(5), Subscribe()). */
        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe", &error, NULL, "");
        if (r < 0) {
                log_error_errno(r, "Failed to subscribe to systemd: %s", error.message ?: "");
                sd_bus_error_free(&error);
                return r;
        }

        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "ReloadUnit", &error, &reply,
                               "ss", unit, "replace");
        if (r < 0) {
                log_error_errno(r, "Failed to reload %s: %s", unit, error.message ?: "");
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_read(reply, "o", &job);
        if (r < 0)
                return log_error_errno(r, "Failed to read the reload job of %s: %m", unit);
        w.path = job;

        while (!w.done) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return log_error_errno(r, "Lost the system bus while reloading %s: %m", unit);
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0)
                        return log_error_errno(r, "Lost the system bus while reloading %s: %m", unit);
        }

        (void) sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Unsubscribe", NULL, NULL, "");
        _cleanup_free_ char *result = w.result;
        if (!result)
                return log_oom();
        if (!streq(result, "done"))
                return log_error_errno(EIO, "Reloading %s finished with result '%s' (see 'journalctl -u %s').",
                                       unit, result, unit);
        return 0;
}
