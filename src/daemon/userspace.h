/* SPDX-License-Identifier: MIT */
#pragma once

#include <sys/types.h>

/* Backend=userspace: the daemon runs wireguard-go(8) itself, in the foreground
 * (WG_PROCESS_FOREGROUND=1) as its child, and talks to it over its UAPI socket. The child gets
 * SIGTERM if the daemon dies (PR_SET_PDEATHSIG, prctl(2)), so a killed daemon leaves no stray
 * device behind and a restart can create it again. */

/* Starts `wireguard-go IFNAME` ($NFSWG_WIREGUARD_GO or wireguard-go from $PATH) and waits until
 * its link exists and its UAPI socket (uapi_dir or /var/run/wireguard) answers. 0 or -errno
 * (logged). */
int wireguard_go_start(const char *ifname, const char *uapi_dir, pid_t *ret_pid);
/* SIGTERM, then SIGKILL after 3 s; reaps the child. wireguard-go removes its device on exit. */
void wireguard_go_stop(pid_t pid);
