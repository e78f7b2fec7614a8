/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>

/* systemd-networkd over its D-Bus API (org.freedesktop.network1(5)); libsystemd has no public
 * sd-network for this. Every call has a timeout, so a missing or wedged networkd makes the daemon
 * fail with a clear message instead of hanging. Errors are logged here, where the D-Bus error
 * name is known. */

/* Connects to the system bus and checks that org.freedesktop.network1 runs or can be activated. */
int networkd_connect(sd_bus **ret);
/* Manager.Reload: re-read .netdev/.network files (creates missing netdevs, reconfigures links whose
 * .network changed; never updates or deletes an existing netdev). */
int networkd_reload(sd_bus *bus);
/* Waits until IFNAME exists and networkd has configured it (AdministrativeState "configured",
 * OperationalState reported), at most timeout_usec. Returns its ifindex. */
int networkd_wait_link(sd_bus *bus, const char *ifname, uint64_t timeout_usec, int *ret_ifindex);
