/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>
#include <time.h>

#include "daemon/stop-intent.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"

#define SYSTEMD1 "org.freedesktop.systemd1"
#define SYSTEMD1_PATH "/org/freedesktop/systemd1"

/* systemd 252, src/core/job.c: job_type_collapse() turns try-restart into a JOB_RESTART for an
 * active unit (reload-or-restart of a unit without ExecReload= is a restart too), and
 * job_finish_and_invalidate() changes a JOB_RESTART into a JOB_START only once its stop phase is
 * done ("Patch restart jobs so that they become normal start jobs"). So while the main process
 * handles SIGTERM, the unit's job (src/core/dbus-unit.c, property Job) is still of type
 * "restart" (src/core/dbus-job.c, property JobType = job_type_to_string()). A stop, disable --now,
 * the package's removal and shutdown install "stop" jobs; systemctl kill and a lone SIGTERM
 * install none. The merged forms are listed too in case a manager shows one uncollapsed. */
StopIntent stop_intent_from_job_type(const char *job_type) {
        if (!job_type)
                return STOP_INTENT_STOP;
        if (streq(job_type, "restart") || streq(job_type, "try-restart") ||
            streq(job_type, "reload-or-restart") || streq(job_type, "try-reload-or-restart"))
                return STOP_INTENT_RESTART;
        return STOP_INTENT_STOP;
}

StopIntent stop_intent_from_hook_text(const char *text) {
        if (!text)
                return STOP_INTENT_STOP;
        text += strspn(text, " \t\n");
        size_t l = strcspn(text, " \t\n");
        return l == strlen("restart") && strncmp(text, "restart", l) == 0 ? STOP_INTENT_RESTART : STOP_INTENT_STOP;
}

const char *stop_intent_to_string(StopIntent i) {
        return i == STOP_INTENT_RESTART ? "restart" : "stop";
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

/* One method call within what is left of the deadline. */
static int call(sd_bus *bus, uint64_t deadline, const char *path, const char *interface, const char *member,
                sd_bus_message **reply, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        uint64_t now = now_usec();
        va_list ap;
        int r;

        if (now >= deadline)
                return -ETIMEDOUT;
        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD1, path, interface, member);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = types ? sd_bus_message_appendv(m, types, ap) : 0;
        va_end(ap);
        if (r < 0)
                return r;
        return sd_bus_call(bus, m, deadline - now, NULL, reply);
}

static int pending_job_type(const char *unit, uint64_t deadline, char **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *unit_path, *job_path, *type;
        uint32_t id;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = call(bus, deadline, SYSTEMD1_PATH, SYSTEMD1 ".Manager", "GetUnit", &reply, "s", unit);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &unit_path);
        if (r < 0)
                return r;
        _cleanup_free_ char *up = strdup(unit_path);
        if (!up)
                return -ENOMEM;
        reply = sd_bus_message_unref(reply);
        r = call(bus, deadline, up, "org.freedesktop.DBus.Properties", "Get", &reply, "ss", SYSTEMD1 ".Unit", "Job");
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "v", "(uo)", &id, &job_path);
        if (r < 0)
                return r;
        if (streq(job_path, "/")) {
                *ret = NULL;
                return 0;
        }
        _cleanup_free_ char *jp = strdup(job_path);
        if (!jp)
                return -ENOMEM;
        reply = sd_bus_message_unref(reply);
        r = call(bus, deadline, jp, "org.freedesktop.DBus.Properties", "Get", &reply, "ss", SYSTEMD1 ".Job", "JobType");
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "v", "s", &type);
        if (r < 0)
                return r;
        *ret = strdup(type);
        return *ret ? 0 : -ENOMEM;
}

StopIntent stop_intent_query(const char *name, const char **ret_why) {
        const char *hook = getenv("NFSWG_STOP_INTENT_FILE");
        _cleanup_free_ char *unit = NULL;

        if (hook) {
                _cleanup_free_ char *text = NULL;
                int r = read_full_file(hook, &text, NULL);
                *ret_why = r >= 0 ? "$NFSWG_STOP_INTENT_FILE" : "$NFSWG_STOP_INTENT_FILE absent";
                return stop_intent_from_hook_text(r >= 0 ? text : NULL);
        }

        /* Our own unit: normally nfswg@NAME.service; a daemon run by hand (a scope, a session) is
         * not a unit's main process and has no restart to wait for. When the cgroup says nothing
         * but systemd started us ($INVOCATION_ID, systemd.exec(5)), the unit is ours by name. */
        if (sd_pid_get_unit(0, &unit) < 0) {
                free(unit);
                unit = NULL;
                if (getenv("INVOCATION_ID") && asprintf(&unit, "nfswg@%s.service", name) < 0)
                        unit = NULL;
        }
        if (!unit || !startswith(unit, "nfswg@") || strlen(unit) < strlen(".service") ||
            !streq(unit + strlen(unit) - strlen(".service"), ".service")) {
                *ret_why = "not run as nfswg@NAME.service";
                return STOP_INTENT_STOP;
        }
        return stop_intent_ask_systemd(unit, ret_why);
}

StopIntent stop_intent_ask_systemd(const char *unit, const char **ret_why) {
        _cleanup_free_ char *type = NULL;
        int r = pending_job_type(unit, now_usec() + STOP_INTENT_TIMEOUT_USEC, &type);
        if (r < 0) {
                log_warning_errno(r, "Cannot ask systemd whether %s is restarting (%m): stopping for real.", unit);
                *ret_why = "systemd could not be asked";
                return STOP_INTENT_STOP;
        }
        log_debug("Pending job of %s: %s.", unit, type ?: "none");
        *ret_why = !type ? "no job pending" : "the unit's job";
        return stop_intent_from_job_type(type);
}
