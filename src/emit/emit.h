/* SPDX-License-Identifier: MIT */
#pragma once

#include "model/bridge.h"

/* Pure emitters: model in, text out (caller frees; NULL only on allocation failure). No I/O.
 * Every file starts with a comment naming nfswg and the source config (Bridge.config_id), and the
 * same model always gives the same bytes. */

/* systemd.netdev(5) / systemd.network(5) for the bridge's WireGuard link. The private key is
 * referenced by PrivateKeyFile=, never inline. */
char *emit_netdev(const Bridge *b);
char *emit_network(const Host *h, const Bridge *b);

/* exports(5) fragment for /etc/exports.d/nfswg-NAME.exports: one line per export, one client
 * entry per allowed peer tunnel address. */
char *emit_exports(const Bridge *b);

/* Generator drop-ins for nfs-utils' units: inert, they take their options from the environment
 * file a running bridge writes (nfs-utils.c). */
char *emit_statd_dropin(const Host *h);
char *emit_mountd_dropin(const Host *h);
char *emit_nfs_server_dropin(const Host *h);
/* That environment file, /run/nfswg/NAME/nfs-utils.env (host-wide values: ports from Host.nfs,
 * without the ones nfs.conf pins), and its path. */
char *emit_nfs_utils_env(const Host *h, const Bridge *b);
char *nfs_utils_env_path(const char *bridge_name);

/* Client mode: systemd.mount(5) / systemd.automount(5) units for one [Mount]. */
char *emit_mount_unit(const Bridge *b, const Mount *m);
char *emit_automount_unit(const Bridge *b, const Mount *m);

/* "/mnt/nfs share" -> "mnt-nfs\x20share" + suffix, exactly as `systemd-escape --path --suffix=`. */
int unit_name_from_path(const char *path, const char *suffix, char **ret);

/* A peer's wg-quick(8) config. private_key_b64 NULL writes a placeholder line the user fills in;
 * server_public_key_b64 is the bridge's public key. AllowedIPs: the bridge's tunnel networks plus
 * forwarded networks. */
char *emit_client_config(const Host *h, const Bridge *b, const Peer *p, const char *private_key_b64,
                         const char *server_public_key_b64);
/* The same with the peer's preshared key (base64). When it is NULL and the peer has
 * PresharedKeyFile=, a placeholder line names the file whose contents go there. */
char *emit_client_config_with_psk(const Host *h, const Bridge *b, const Peer *p, const char *private_key_b64,
                                  const char *preshared_key_b64, const char *server_public_key_b64);

typedef enum MountHintOs {
        MOUNT_HINT_LINUX,
        MOUNT_HINT_MACOS,
        MOUNT_HINT_WINDOWS,
} MountHintOs;
int mount_hint_os_from_string(const char *s, MountHintOs *ret);
/* Whether the OS's NFS client can mount what the bridge offers: Windows' speaks NFSv3 only. */
bool mount_hint_os_supported(const Bridge *b, MountHintOs os);
/* The mount command, an fstab line and a systemd mount unit for peer p (Linux), the macOS
 * command with resvport (or the note that the export needs Insecure=yes), the Windows command.
 * Every word that bash would change (a unit name's \x2d, an IPv6 server's brackets) is in single
 * quotes. For an OS that is not mount_hint_os_supported(), only the explanation, no command. */
char *emit_mount_hint(const Bridge *b, const Peer *p, MountHintOs os);
