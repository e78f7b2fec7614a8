/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>

/* The ports an administrator pinned for nfs-utils' daemons in /etc/nfs.conf and
 * /etc/nfs.conf.d/ *.conf (nfs.conf(5)). nfswg uses these instead of its own [NFS] values: it
 * passes no command-line option for a pinned key (an option would override the file, rpc.statd(8),
 * rpc.mountd(8)), and the firewall opens the administrator's port. */

typedef enum NfsConfKey {
        NFS_CONF_MOUNTD_PORT,         /* [mountd] port */
        NFS_CONF_STATD_PORT,          /* [statd] port */
        NFS_CONF_STATD_OUTGOING_PORT, /* [statd] outgoing-port */
        NFS_CONF_LOCKD_PORT,          /* [lockd] port (TCP) */
        NFS_CONF_LOCKD_UDP_PORT,      /* [lockd] udp-port */
        _NFS_CONF_KEY_MAX,
} NfsConfKey;

typedef struct NfsConfPin {
        uint16_t port; /* 0: not pinned */
        char *source;  /* the file that set it, as read (with the root prefix), for messages */
        char *id;      /* the same as the host knows it (without the root prefix), for generated
                        * files; NULL when it is not a path_is_safe() one */
        unsigned line;
} NfsConfPin;

typedef struct NfsConf {
        NfsConfPin pins[_NFS_CONF_KEY_MAX];
} NfsConf;

/* "[mountd] port", for messages. */
const char *nfs_conf_key_name(NfsConfKey k);

/* Reads ROOT/etc/nfs.conf, then ROOT/etc/nfs.conf.d/ *.conf in version order, later values winning,
 * as nfs-utils' conffile.c does: sections and keys case-insensitive, quotes removed, "include ="
 * followed, "$NAME" looked up in [environment], lines it ignores ignored here too. A missing,
 * unreadable or non-regular file (or one over 1 MiB) pins nothing. A value that is not a port
 * number 1..65535 pins nothing (nfs-utils would fall back to a random port; nfswg's own pin then
 * applies). Returns 0 or -ENOMEM; on error *ret is left empty. */
int nfs_conf_load(const char *root, NfsConf *ret);
void nfs_conf_done(NfsConf *c);
