/* SPDX-License-Identifier: MIT */
/* What each verb's --help prints: its usage and every option it takes, one line each. nfswg(8)
 * says the same at length. */
#include <stdio.h>

#include "cli/help.h"

#define COMMON_OPTIONS \
        "  --root DIR              operate on the files under DIR instead of / (nothing running is touched)\n" \
        "  -h --help               show this help\n"

const char help_init[] =
        "Usage: nfswg init NAME [OPTIONS...]\n"
        "\n"
        "Write /etc/nfswg/NAME.conf for a new bridge (never over an existing one) and create its key.\n"
        "\n"
        "Options:\n"
        "  --mode MODE             embedded (default), nas, relay or client: what the bridge does\n"
        "  --interface IFACE       the WireGuard interface (default nfswg-NAME, or a shorter name when that is too long)\n"
        "  --address ADDR/LEN      the bridge's tunnel address, repeatable (default: the first free 10.8.N.1/24)\n"
        "  --port PORT             UDP port WireGuard listens on (default: the first free from 51820)\n"
        "  --endpoint HOST:PORT    what clients dial, written into their configs; client mode: the bridge to dial\n"
        "  --export PATH           a directory to export to all peers, repeatable (embedded default: /srv/nfswg)\n"
        "  --forward NET|@BRIDGE   nas, relay: a network (or, relay, another bridge) the peers may reach, repeatable\n"
        "  --server-key KEY        client mode: the public key of the bridge to dial\n"
        "  --allowed-ips NET       client mode: a network routed into the tunnel, repeatable\n"
        "  --close-nfs-on IFACE    CloseNFSOn=: the bridge's firewall drops NFS on IFACE, repeatable\n"
        COMMON_OPTIONS;

const char help_peer_add[] =
        "Usage: nfswg peer add NAME PEER [OPTIONS...]\n"
        "\n"
        "Add peer PEER to bridge NAME and print its client config; a running bridge is reloaded, other\n"
        "peers keep their sessions.\n"
        "\n"
        "Options:\n"
        "  --address ADDR          the peer's tunnel address, repeatable (default: the next free one of each family)\n"
        "  --public-key KEY        the peer made its own key pair: use its public key (no private key is kept)\n"
        "  --keepalive SEC         PersistentKeepalive= in seconds, 0 for none (default 25)\n"
        "  --psk                   add a preshared key (PresharedKeyFile=, 0640 root:systemd-network)\n"
        "  --qr                    also print the config as a QR code (not with --public-key)\n"
        "  --expires DATE          Expires=: access ends then; YYYY-MM-DD[ HH:MM[:SS]] local, or YYYY-MM-DDTHH:MM:SSZ\n"
        COMMON_OPTIONS;

const char help_peer_remove[] =
        "Usage: nfswg peer remove NAME PEER\n"
        "\n"
        "Remove a peer that 'peer add' added: its drop-in, stored config and preshared key; a running\n"
        "bridge is reloaded, other peers keep their sessions.\n"
        "\n"
        "Options:\n"
        COMMON_OPTIONS;

const char help_peer_list[] =
        "Usage: nfswg peer list NAME [--json]\n"
        "\n"
        "List the peers of bridge NAME: tunnel addresses, state (enabled, disabled, expired), latest\n"
        "handshake, bytes received and sent.\n"
        "\n"
        "Options:\n"
        "  --json                  print them as one JSON object (fields in nfswg(8))\n"
        COMMON_OPTIONS;

const char help_peer_config[] =
        "Usage: nfswg peer config NAME PEER [--qr | --qr=png FILE]\n"
        "\n"
        "Print the wg-quick config of peer PEER, regenerated from the bridge's current settings.\n"
        "\n"
        "Options:\n"
        "  --qr                    print it as a QR code for the WireGuard app, if it fits the terminal\n"
        "  --qr=png FILE           write the QR code as a PNG picture to FILE (mode 0600)\n"
        COMMON_OPTIONS;

const char help_mount_hint[] =
        "Usage: nfswg mount-hint NAME PEER [--os linux|macos|windows]\n"
        "\n"
        "Print the commands that mount the shares of bridge NAME on peer PEER.\n"
        "\n"
        "Options:\n"
        "  --os OS                 linux (default: mount command, fstab line, systemd unit), macos or windows\n"
        COMMON_OPTIONS;

const char help_status[] =
        "Usage: nfswg status [NAME] [--json]\n"
        "\n"
        "Show each bridge (or only NAME): unit state, interface, peers and their transfer rates,\n"
        "exports, firewall counters.\n"
        "\n"
        "Options:\n"
        "  --json                  print it as one JSON object (fields in nfswg(8))\n"
        COMMON_OPTIONS;

const char help_check[] =
        "Usage: nfswg check NAME|FILE\n"
        "\n"
        "Validate /etc/nfswg/NAME.conf with its drop-ins, or FILE, and the host's cross-bridge rules;\n"
        "print each problem as FILE:LINE: message. Writes nothing.\n"
        "\n"
        "Options:\n"
        COMMON_OPTIONS;

const char help_render[] =
        "Usage: nfswg render NAME\n"
        "\n"
        "Write every file the generator and the daemon would write for bridge NAME, below --root.\n"
        "\n"
        "Options:\n"
        COMMON_OPTIONS;

int help_print(const char *text) {
        fputs(text, stdout);
        return 0;
}

const char help_peer_disable[] =
        "Usage: nfswg peer disable NAME PEER\n"
        "\n"
        "Take the access of a peer that 'peer add' added away, keeping it configured (Disabled=yes in its\n"
        "drop-in); a running bridge is reloaded, other peers keep their sessions.\n"
        "\n"
        "Options:\n"
        COMMON_OPTIONS;

const char help_peer_enable[] =
        "Usage: nfswg peer enable NAME PEER\n"
        "\n"
        "Give a disabled peer its access back, its drop-in as before; a running bridge is reloaded.\n"
        "\n"
        "Options:\n"
        COMMON_OPTIONS;

const char help_peer_rename[] =
        "Usage: nfswg peer rename NAME OLD NEW\n"
        "\n"
        "Rename a peer that 'peer add' added: drop-in, stored config and preshared key; a running bridge\n"
        "is reloaded, the peer keeps its key, addresses and session.\n"
        "\n"
        "Options:\n"
        COMMON_OPTIONS;

const char help_peer_rotate_key[] =
        "Usage: nfswg peer rotate-key NAME PEER [--qr]\n"
        "\n"
        "Give a peer that 'peer add' added a new key pair and print its new client config; a running\n"
        "bridge is reloaded and refuses the old key from then on.\n"
        "\n"
        "Options:\n"
        "  --qr                    also print the config as a QR code\n"
        COMMON_OPTIONS;
