/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

/* Kernel settings the daemon changes and puts back on stop: per-interface forwarding for nas and
 * relay bridges (net.ipv4.conf.IFACE.forwarding, ip-sysctl.rst), rather than the host-wide switch.
 * The values found before the first change are kept in a state file too, so a daemon restarted
 * after a crash restores the original values, not the ones it set itself. */

typedef struct SysctlEntry {
        char *name;      /* "net/ipv4/conf/nfswg0/forwarding", relative to /proc/sys */
        char *original;  /* value before we changed it */
} SysctlEntry;

typedef struct SysctlSaved {
        SysctlEntry *entries;
        size_t n_entries;
        char *state_file; /* NULL: remember in memory only */
} SysctlSaved;

/* Uses (and creates) state_file to remember originals across restarts. */
int sysctl_saved_init(SysctlSaved *s, const char *state_file);
/* Writes value to /proc/sys/NAME, remembering the original first. 0 or -errno (not logged). */
int sysctl_set(SysctlSaved *s, const char *name, const char *value);
/* Writes every original back (in reverse order), forgets them, removes the state file. */
void sysctl_restore(SysctlSaved *s);
void sysctl_saved_done(SysctlSaved *s);
