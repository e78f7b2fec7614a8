/* SPDX-License-Identifier: MIT */
#pragma once

/* Talking to systemd (org.freedesktop.systemd1(5)) over the system bus, for the unit
 * nfswg@NAME.service. */

/* The unit's ActiveState ("active", "inactive", "reloading", ...; "inactive" when the unit is not
 * loaded). -ENOMEDIUM when there is no system bus or no systemd on it (a container, a build host):
 * callers say "unknown" then. Logs nothing. */
int unit_get_active_state(const char *unit, char **ret);

/* ReloadUnit(unit, "replace") and wait for the job to finish. 0 when the job's result is "done",
 * -EIO when it finished otherwise (the result is logged), -errno for bus errors (logged). */
int unit_reload(const char *unit);
