/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Backend=userspace: the daemon runs wireguard-go(8) in the foreground (WG_PROCESS_FOREGROUND=1)
 * and talks to it over its UAPI socket. wireguard-go holds the tunnel (its TUN device and every
 * session live in that process), so it must outlive a daemon that exits for a restart: it runs
 * detached (its own session, no PR_SET_PDEATHSIG), its PID is kept in ROOT/run/nfswg/NAME/
 * wireguard-go, and the next daemon adopts it after checking that the PID is still wireguard-go
 * serving that interface (the UAPI socket's peer credentials name it). Under systemd it stays in
 * the unit's cgroup and KillMode=process spares it (units/nfswg@.service says why); a real stop
 * has the daemon stop it. Tracked by a pidfd (pidfd_open(2)), so a recycled PID is never
 * signalled. */

typedef struct WireguardGo {
        pid_t pid;   /* 0: none */
        int pidfd;   /* -1: none; readable when the process exits */
        char *pid_file;
} WireguardGo;

#define WIREGUARD_GO_NULL ((WireguardGo) { .pidfd = -1 })

/* Takes over the wireguard-go of IFNAME that a previous daemon left (pid_file), if it is still
 * that. 1 adopted, 0 nothing to adopt (no such interface), -errno when IFNAME exists but is not a
 * wireguard-go we know (logged). */
int wireguard_go_adopt(const char *ifname, const char *uapi_dir, const char *pid_file, WireguardGo *w);
/* Starts `wireguard-go -f IFNAME` ($NFSWG_WIREGUARD_GO or wireguard-go from $PATH), detached, and
 * waits until its link exists and its UAPI socket (uapi_dir or /var/run/wireguard) is there;
 * records its PID in pid_file. 0 or -errno (logged). */
int wireguard_go_start(const char *ifname, const char *uapi_dir, const char *pid_file, WireguardGo *w);
/* SIGTERM, then SIGKILL after 3 s; reaps it when it is our child; removes the PID file.
 * wireguard-go removes its device on exit. */
void wireguard_go_stop(WireguardGo *w);
/* Closes the pidfd and forgets the process, leaving it running (a restart). */
void wireguard_go_release(WireguardGo *w);
/* Whether the process is gone (for the loop's watch): reaps it when it is our child and returns
 * its wait status when known, -1 otherwise. */
int wireguard_go_reap(WireguardGo *w);
