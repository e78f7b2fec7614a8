/* SPDX-License-Identifier: MIT */
#include <net/if.h>
#include <time.h>

#include "daemon/networkd.h"
#include "shared/log.h"
#include "shared/macro.h"

#define NETWORK1 "org.freedesktop.network1"
#define NETWORK1_PATH "/org/freedesktop/network1"
#define NETWORK1_MANAGER "org.freedesktop.network1.Manager"
#define NETWORK1_LINK "org.freedesktop.network1.Link"
/* One D-Bus call: long enough for an activation, short enough not to look like a hang. */
#define NETWORKD_CALL_TIMEOUT_USEC (10ULL * 1000 * 1000)
#define NETWORKD_POLL_USEC (200ULL * 1000)

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

int networkd_connect(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **names = NULL;
        int r, has_owner = 0;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the system bus to reach systemd-networkd (%m). "
                                          "Is D-Bus running? Without networkd, use Backend=userspace or --no-networkd.");
        (void) sd_bus_set_method_call_timeout(bus, NETWORKD_CALL_TIMEOUT_USEC);

        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", &error, &reply, "s", NETWORK1);
        if (r >= 0)
                r = sd_bus_message_read(reply, "b", &has_owner);
        if (r < 0)
                return log_error_errno(r, "Cannot talk to the system bus: %s", error.message ?: strerror(-r));
        if (!has_owner) {
                reply = sd_bus_message_unref(reply);
                r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "ListActivatableNames", &error, &reply, NULL);
                if (r >= 0)
                        r = sd_bus_message_read_strv(reply, &names);
                if (r < 0)
                        return log_error_errno(r, "Cannot list activatable D-Bus services: %s",
                                               error.message ?: strerror(-r));
                if (!strv_contains(names, NETWORK1))
                        return log_error_errno(ENOENT, "systemd-networkd is not running and cannot be "
                                               "activated (no " NETWORK1 " on the system bus). Enable it with "
                                               "'systemctl enable --now systemd-networkd', or use Backend=userspace.");
        }
        *ret = TAKE_PTR(bus);
        return 0;
}

int networkd_reload(sd_bus *bus) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, NETWORK1, NETWORK1_PATH, NETWORK1_MANAGER, "Reload", &error, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "systemd-networkd refused to reload its configuration: %s",
                                       error.message ?: strerror(-r));
        return 0;
}

static int link_object(sd_bus *bus, int ifindex, char **ret_path) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name, *path;

        int r = sd_bus_call_method(bus, NETWORK1, NETWORK1_PATH, NETWORK1_MANAGER, "GetLinkByIndex", &error, &reply,
                                   "i", ifindex);
        if (r < 0)
                /* networkd may not have seen the new link yet: it answers
                 * org.freedesktop.network1.NoSuchLink (systemd's bus-common-errors.h, mapped to
                 * ENXIO). Seen at boot in the VM ring: the device exists before networkd knows it. */
                return sd_bus_error_has_name(&error, "org.freedesktop.network1.NoSuchLink") || r == -ENXIO ? -EAGAIN : r;
        r = sd_bus_message_read(reply, "so", &name, &path);
        if (r < 0)
                return r;
        *ret_path = strdup(path);
        return *ret_path ? 0 : -ENOMEM;
}

int networkd_wait_link(sd_bus *bus, const char *ifname, uint64_t timeout_usec, int *ret_ifindex) {
        uint64_t deadline = now_usec() + timeout_usec;
        _cleanup_free_ char *admin = NULL, *oper = NULL;
        int ifindex = 0, r;

        for (;;) {
                if (ifindex <= 0)
                        ifindex = (int) if_nametoindex(ifname);
                if (ifindex > 0) {
                        _cleanup_free_ char *path = NULL;

                        r = link_object(bus, ifindex, &path);
                        if (r == 0) {
                                free(admin);
                                free(oper);
                                admin = oper = NULL;
                                r = sd_bus_get_property_string(bus, NETWORK1, path, NETWORK1_LINK,
                                                               "AdministrativeState", NULL, &admin);
                                if (r >= 0)
                                        r = sd_bus_get_property_string(bus, NETWORK1, path, NETWORK1_LINK,
                                                                       "OperationalState", NULL, &oper);
                        }
                        if (r < 0 && r != -EAGAIN)
                                return log_error_errno(r, "Cannot ask systemd-networkd about %s: %m", ifname);
                        if (r >= 0 && admin) {
                                /* networkctl(1): "failed" and "unmanaged" never become "configured". */
                                if (streq(admin, "failed"))
                                        return log_error_errno(EIO, "systemd-networkd failed to configure %s "
                                                               "(see 'journalctl -u systemd-networkd').", ifname);
                                if (streq(admin, "unmanaged"))
                                        return log_error_errno(EIO, "systemd-networkd does not manage %s: "
                                                               "no .network file matched it.", ifname);
                                if (streq(admin, "configured")) {
                                        log_info("Link %s (index %d) is configured, operational state %s.", ifname,
                                                 ifindex, strempty(oper));
                                        *ret_ifindex = ifindex;
                                        return 0;
                                }
                        }
                }
                if (now_usec() >= deadline)
                        break;
                usleep(NETWORKD_POLL_USEC);
        }

        if (ifindex <= 0)
                return log_error_errno(ETIMEDOUT, "Timed out after %llus: systemd-networkd did not create %s "
                                       "(see 'networkctl status %s' and 'journalctl -u systemd-networkd').",
                                       (unsigned long long) (timeout_usec / 1000000), ifname, ifname);
        return log_error_errno(ETIMEDOUT, "Timed out after %llus waiting for systemd-networkd to configure %s "
                               "(administrative state %s, operational state %s).",
                               (unsigned long long) (timeout_usec / 1000000), ifname, admin ?: "unknown",
                               oper ?: "unknown");
}
