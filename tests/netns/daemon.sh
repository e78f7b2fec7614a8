#!/bin/bash
# SPDX-License-Identifier: MIT
#
# nfswgd's lifecycle for real, in network namespaces, with wireguard-go for the tunnel and no
# systemd: READY/STATUS/WATCHDOG/STOPPING over a NOTIFY_SOCKET this script reads, peers and the
# nftables table in the bridge's namespace, the exports fragment under a fake root, live reloads
# (a peer added without disturbing a running ping, a broken drop-in refused), crash and restart,
# clean stop, and a clear fast failure without networkd. Prints the figures the daemon issue asks
# for (memory, start to READY, adding one peer to 1000 vs re-applying the whole table).
#
# Root only; exits 77 (skip) without root, wireguard-go, wg, nft, ip or python3.
set -u
. "$(dirname "$0")/lib.sh"

need_root
need_tools wireguard-go wg nft ip python3 ping
need_built "$NFSWGD"

T=$(mktemp -d /tmp/nfswg-t-daemon.XXXXXX)
NSB=nfswg-t-daemon-$$-b
NSC=nfswg-t-daemon-$$-c
IFB=nfdb$$          # bridge side (wireguard-go device, /run/wireguard/$IFB.sock)
IFC=nfdc$$          # client side
IFB=${IFB:0:15}
IFC=${IFC:0:15}
PORT=51877

inb() { ip netns exec "$NSB" "$@"; }
inc() { ip netns exec "$NSC" "$@"; }

# ---- namespaces, veth, wireguard-go devices -------------------------------------------------
new_ns "$NSB" "$NSC"
veth "$NSB" "v$$b" 192.168.77.1/24 "$NSC" "v$$c" 192.168.77.2/24
start_wggo "$NSB" "$IFB"
start_wggo "$NSC" "$IFC"

# The client: its own key; the bridge's public key is known once the daemon created it.
CLIENT_KEY=$(wg genkey)
CLIENT_PUB=$(echo "$CLIENT_KEY" | wg pubkey)
echo "$CLIENT_KEY" >"$T/client.key"
inc wg set "$IFC" private-key "$T/client.key"
inc ip addr add 10.77.0.2/24 dev "$IFC"
inc ip link set "$IFC" up mtu 1380

# ---- the fake root ---------------------------------------------------------------------------
R=$T/root
mkdir -p "$R/etc/nfswg/t.conf.d"
cat >"$R/etc/nfswg/t.conf" <<CONF
[Bridge]
Mode=embedded
Interface=$IFB
Address=10.77.0.1/24
ListenPort=$PORT

[Export]
Path=/srv/nfswg
Peers=*

[Peer]
Name=client
PublicKey=$CLIENT_PUB
Address=10.77.0.2/32
CONF

exportfs_stub
start_notify_reader

rotate_log() { cat "$T/daemon.log" >>"$T/all.log"; : >"$T/daemon.log"; }
wait_log() { wait_until "${2:-10}" grep -q -- "$1" "$T/daemon.log"; } # PATTERN [SECONDS]

start_bridge() { # OPTION... NAME: nfswgd in the bridge's namespace, its PID in $DAEMON
        NOTIFY_SOCKET=$T/notify.sock NFSWG_POLL_SEC=1 NFSWG_EXPORTFS=$T/exportfs \
                ip netns exec "$NSB" "$NFSWGD" --root "$R" "$@" >>"$T/daemon.log" 2>&1 &
        DAEMON=$!
}
start_daemon() { # bridge t on the device made above
        T0=$(date +%s.%N)
        WATCHDOG_USEC=1000000 start_bridge --no-networkd t
}
ready_time() { # seconds from T0 to the Nth READY=1
        awk -v t0="$T0" -v n="$1" '/READY=1/ { if (++c == n) { printf "%.3f", $1 - t0; exit } }' "$T/notify.log"
}
nft_norm() { inb nft -j list table inet nfswg_t 2>/dev/null | json_strip handle packets bytes; }
# key, preshared key, allowed IPs, keepalive: what the configuration decides (not traffic counters)
wg_peers() { inb wg show "$IFB" dump | tail -n +2 | awk '{print $1, $2, $4, $8}' | sort; }

# ---- an invalid configuration changes nothing ------------------------------------------------
cp "$R/etc/nfswg/t.conf" "$T/t.conf.good"
printf '[Peer]\nName=bad\nPublicKey=nope\nAddress=10.77.0.9/32\n' >"$R/etc/nfswg/t.conf.d/50-bad.conf"
start_daemon
wait "$DAEMON"; rc=$?; DAEMON=
check "invalid config: exit status 6, not configured (got $rc)" [ "$rc" = 6 ]
check "invalid config: the error names FILE:LINE" grep -q "t.conf.d/50-bad.conf:3:" "$T/daemon.log"
check "invalid config: no table, no exports, no key" \
        sh -c "! ip netns exec $NSB nft list table inet nfswg_t >/dev/null 2>&1 && [ ! -e $R/etc/exports.d ] && [ ! -e $R/var/lib/nfswg ]"
rm "$R/etc/nfswg/t.conf.d/50-bad.conf"
rotate_log

# ---- start -----------------------------------------------------------------------------------
start_daemon
if ! wait_notify "READY=1" 1 15; then
        echo "FAIL: no READY=1"; cat "$T/daemon.log" "$T/notify.log"; exit 1
fi
READY_S=$(ready_time 1)
pass "READY=1 after ${READY_S}s"
check "STATUS= with peers and exports" grep -q "STATUS=1 peer, 0 up, exporting /srv/nfswg" "$T/notify.log"
KEYFILE=$R/var/lib/nfswg/t/private.key
check "private key created 0640 in a 0750 directory" \
        [ "$(stat -c %a "$KEYFILE")" = 640 -a "$(stat -c %a "$(dirname "$KEYFILE")")" = 750 ]
BRIDGE_PUB=$(wg pubkey <"$KEYFILE")
check "journal/stderr names the public key, never the private one" \
        sh -c "grep -q 'public key $BRIDGE_PUB' $T/daemon.log && ! grep -qF '$(cat "$KEYFILE")' $T/daemon.log $T/notify.log"
check "wg show lists the peer" sh -c "ip netns exec $NSB wg show $IFB peers | grep -qx '$CLIENT_PUB'"
check "listen port set" [ "$(inb wg show "$IFB" listen-port)" = "$PORT" ]
check "device key is the key file's" [ "$(inb wg show "$IFB" public-key)" = "$BRIDGE_PUB" ]
check "address 10.77.0.1/24 and MTU set, link up" \
        sh -c "ip -n $NSB addr show dev $IFB | grep -q 'inet 10.77.0.1/24' && ip -n $NSB link show dev $IFB | grep -q 'mtu 1380' && ip -n $NSB link show dev $IFB | grep -q '[<,]UP[,>]'"
# the link group of every bridge's tunnel, NFSWG_LINK_GROUP (model/bridge.h), which the other
# bridges' tables let through (tests/netns/nft.sh): networkd sets it from Group=, here the daemon
check "link group 7235191 set by the daemon" sh -c "ip -n $NSB -d link show dev $IFB | grep -q ' group 7235191 '"
check "nft table inet nfswg_t exists with the peer" sh -c "ip netns exec $NSB nft list set inet nfswg_t peers4 | grep -q 10.77.0.2"
EXPORTS=$R/etc/exports.d/nfswg-t.exports
check "exports fragment written" grep -q "10.77.0.2" "$EXPORTS"
check "exportfs -r called" grep -qx "exportfs -r" "$T/exportfs.log"

# ---- a client connects -----------------------------------------------------------------------
inc wg set "$IFC" peer "$BRIDGE_PUB" endpoint 192.168.77.1:$PORT allowed-ips 10.77.0.0/24
check "client pings through the tunnel" inc ping -c 2 -W 2 10.77.0.1 >/dev/null
check "peer up reported" wait_log "peer client is up from 192.168.77.2:" 5
check "STATUS= counts it up" wait_notify "STATUS=1 peer, 1 up" 1 5
check "WATCHDOG=1 pings arrive" wait_notify "WATCHDOG=1" 2 5

# ---- reload: add a peer while a ping flows ---------------------------------------------------
HS_BEFORE=$(inb wg show "$IFB" latest-handshakes | awk '{print $2}')
inc ping -i 0.05 -c 100 -W 1 10.77.0.1 >"$T/ping.log" 2>&1 &
PING=$!
sleep 1
NEW_PUB=$(wg genkey | wg pubkey)
printf '[Peer]\nName=newbie\nPublicKey=%s\nAddress=10.77.0.3/32\n' "$NEW_PUB" >"$R/etc/nfswg/t.conf.d/peer-newbie.conf"
check "reload: RELOADING=1 then READY=1" hup_daemon 10
grep -q "RELOADING=1" "$T/notify.log" || fail "RELOADING=1 not sent"
wait "$PING"
check "reload: the running ping lost nothing" grep -q " 0% packet loss" "$T/ping.log"
check "reload: new peer in wg show" sh -c "ip netns exec $NSB wg show $IFB peers | grep -qx '$NEW_PUB'"
check "reload: new address in the nft set" sh -c "ip netns exec $NSB nft list set inet nfswg_t peers4 | grep -q 10.77.0.3"
check "reload: new address in the exports" grep -q "10.77.0.3" "$EXPORTS"
check "reload: exportfs -r called again" [ "$(grep -c "exportfs -r" "$T/exportfs.log")" -ge 2 ]
check "reload: PEER_ADDED logged" grep -q "peer newbie added" "$T/daemon.log"
HS_AFTER=$(inb wg show "$IFB" latest-handshakes | grep "^$CLIENT_PUB" | awk '{print $2}')
check "reload: the existing peer's session untouched (handshake $HS_BEFORE = $HS_AFTER)" [ "$HS_BEFORE" = "$HS_AFTER" ]
check "reload: STATUS= shows 2 peers" wait_notify "STATUS=2 peers" 1 5

# ---- reload: a broken drop-in is refused ------------------------------------------------------
NFT_BEFORE=$(nft_norm)
WG_BEFORE=$(wg_peers)
printf '[Peer]\nName=broken\nPublicKey=%s\nAddress=10.77.0.3/32\nBogus=1\n' "$(wg genkey | wg pubkey)" \
        >"$R/etc/nfswg/t.conf.d/zz-broken.conf"
check "broken reload: still READY afterwards" hup_daemon 10
check "broken reload: still running" kill -0 "$DAEMON"
check "broken reload: refusal names FILE:LINE" grep -q "reload refused.*zz-broken.conf:5:" "$T/daemon.log"
check "broken reload: nft table unchanged" [ "$NFT_BEFORE" = "$(nft_norm)" ]
check "broken reload: peers unchanged" [ "$WG_BEFORE" = "$(wg_peers)" ]
rm "$R/etc/nfswg/t.conf.d/zz-broken.conf"

# ---- crash and restart ------------------------------------------------------------------------
NFT_BEFORE=$(nft_norm)
WG_BEFORE=$(wg_peers)
kill -9 "$DAEMON"; wait "$DAEMON" 2>/dev/null; DAEMON=
# Meanwhile someone adds a stray peer and empties our set: the restart must converge anyway.
inb wg set "$IFB" peer "$(wg genkey | wg pubkey)" allowed-ips 10.77.0.99/32
inb nft flush set inet nfswg_t peers4
READY_N=$(notify_count "READY=1")
start_daemon
check "restart: READY=1" wait_notify "READY=1" $((READY_N + 1)) 15
check "restart: same nft table" [ "$NFT_BEFORE" = "$(nft_norm)" ]
check "restart: same WireGuard peers (stray one gone)" [ "$WG_BEFORE" = "$(wg_peers)" ]
check "restart: one table only" [ "$(inb nft list tables | grep -c nfswg_t)" = 1 ]
check "restart: no temporary files left" sh -c "! find $R -name '.#*' | grep -q ."

# ---- memory -----------------------------------------------------------------------------------
sleep 1
RSS=$(awk '/^Rss:/ {print $2}' "/proc/$DAEMON/smaps_rollup")
PRIV=$(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' "/proc/$DAEMON/smaps_rollup")

# ---- stop --------------------------------------------------------------------------------------
STOP_N=$(grep -c "exportfs -r" "$T/exportfs.log")
kill -TERM "$DAEMON"; wait "$DAEMON"; rc=$?; DAEMON=
check "stop: exit 0 (got $rc)" [ "$rc" = 0 ]
check "stop: STOPPING=1" grep -q "STOPPING=1" "$T/notify.log"
check "stop: table gone" sh -c "! ip netns exec $NSB nft list table inet nfswg_t >/dev/null 2>&1"
check "stop: exports fragment gone, exportfs -r called" \
        sh -c "[ ! -e $EXPORTS ] && [ \$(grep -c 'exportfs -r' $T/exportfs.log) -gt $STOP_N ]"
check "stop: our address removed from the external device" sh -c "! ip -n $NSB addr show dev $IFB | grep -q 10.77.0.1"
check "stop: the external device left link group 7235191" \
        sh -c "ip -n $NSB link show dev $IFB >/dev/null && ! ip -n $NSB -d link show dev $IFB | grep -q ' group 7235191 '"
check "stop: key kept" [ -s "$KEYFILE" ]

# ---- networkd absent ---------------------------------------------------------------------------
rotate_log
# Backend=kernel: the default, auto, takes wireguard-go on a kernel without WireGuard (see below)
printf '[Bridge]\nBackend=kernel\n' >"$R/etc/nfswg/t.conf.d/90-kernel.conf"
T0=$(date +%s.%N)
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/no-such-bus ip netns exec "$NSB" "$NFSWGD" --root "$R" t >>"$T/daemon.log" 2>&1
rc=$?
T1=$(date +%s.%N)
check "no networkd: exit 1 (got $rc)" [ "$rc" = 1 ]
ELAPSED=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", b - a }')
check "no networkd: fast (${ELAPSED}s)" awk -v e="$ELAPSED" 'BEGIN { exit !(e < 5) }'
check "no networkd: clear message" grep -q "system bus.*networkd" "$T/daemon.log"
check "no networkd: nothing left (networkd files, table, exports)" \
        sh -c "! ip netns exec $NSB nft list table inet nfswg_t >/dev/null 2>&1 && [ ! -e $EXPORTS ] && ! ls $R/run/systemd/network/* >/dev/null 2>&1"
rm "$R/etc/nfswg/t.conf.d/90-kernel.conf"

# ---- Backend=userspace: the daemon runs wireguard-go itself -----------------------------------
IFU=nfdu$$
IFU=${IFU:0:15}
cat >"$R/etc/nfswg/u.conf" <<CONF
[Bridge]
Mode=embedded
Backend=userspace
Interface=$IFU
Address=10.79.0.1/24
ListenPort=51878

[Export]
Path=/srv/nfswg
Peers=*

[Peer]
Name=client
PublicKey=$CLIENT_PUB
Address=10.79.0.2/32
CONF
wggo_pid() { awk '{print $1}' "$R/run/nfswg/u/wireguard-go" 2>/dev/null; }
READY_N=$(notify_count "READY=1")
start_bridge u
check "userspace: READY=1" wait_notify "READY=1" $((READY_N + 1)) 15
WGGO=$(wggo_pid)
[ -z "$WGGO" ] || PIDS+=("$WGGO") # detached from the daemon: the clean-up stops it if a check fails
check "userspace: wireguard-go started by the daemon, its PID in /run/nfswg/u/wireguard-go" \
        sh -c "[ -n '$WGGO' ] && pgrep -P $DAEMON -x wireguard-go | grep -qx '$WGGO'"
check "userspace: device configured" sh -c "ip netns exec $NSB wg show $IFU peers | grep -qx '$CLIENT_PUB' && ip -n $NSB addr show dev $IFU | grep -q 10.79.0.1/24"
# wireguard-go holds the tunnel and its sessions: it outlives a killed daemon (no PR_SET_PDEATHSIG)
# and the next daemon adopts it (tests/netns/restart.sh covers the restart without a crash).
kill -9 "$DAEMON"; wait "$DAEMON" 2>/dev/null; DAEMON=
check "userspace: wireguard-go outlives the killed daemon" kill -0 "$WGGO"
READY_N=$(notify_count "READY=1")
start_bridge u
check "userspace: restart after kill -9 is READY" wait_notify "READY=1" $((READY_N + 1)) 15
check "userspace: the same wireguard-go adopted" [ "$WGGO" = "$(wggo_pid)" ]
kill -TERM "$DAEMON"; wait "$DAEMON"; rc=$?; DAEMON=
check "userspace: stop exits 0 (got $rc)" [ "$rc" = 0 ]
# (a zombie still answers kill -0 until whoever adopted it reaps it: look at its state)
wggo_gone() { ! grep -qv '^State:.*Z' <(grep ^State: "/proc/$WGGO/status" 2>/dev/null); }
check "userspace: wireguard-go stopped, device gone, table gone" \
        sh -c "! ip -n $NSB link show $IFU >/dev/null 2>&1 && ! ip netns exec $NSB nft list table inet nfswg_u >/dev/null 2>&1"
check "userspace: wireguard-go gone" wait_until 3 wggo_gone
rm "$R/etc/nfswg/u.conf"

# ---- Backend=auto (the default): kernel WireGuard if this kernel makes a wireguard link ------------
# The daemon finds out by trying, as wg-quick does, and says which once (MESSAGE_ID). Without
# networkd here, kernel WireGuard ends in the "no networkd" error; wireguard-go runs as above.
IFA=nfda$$
IFA=${IFA:0:15}
cat >"$R/etc/nfswg/a.conf" <<CONF
[Bridge]
Mode=embedded
Interface=$IFA
Address=10.80.0.1/24
ListenPort=51879

[Peer]
Name=client
PublicKey=$CLIENT_PUB
Address=10.80.0.2/32
CONF
if ip netns exec "$NSB" ip link add "nfdk$$" type wireguard 2>/dev/null; then
        ip -n "$NSB" link del "nfdk$$"
        KERNEL_WG=1
else
        KERNEL_WG=0
fi
rotate_log
READY_N=$(notify_count "READY=1")
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/no-such-bus start_bridge a
if [ "$KERNEL_WG" = 1 ]; then
        wait "$DAEMON"; rc=$?; DAEMON=
        check "auto, kernel with WireGuard: chose kernel" grep -q "Backend=auto: kernel WireGuard" "$T/daemon.log"
        check "auto, kernel with WireGuard: then needs networkd (exit $rc)" [ "$rc" = 1 ]
else
        check "auto, kernel without WireGuard: READY=1" wait_notify "READY=1" $((READY_N + 1)) 15
        check "auto, kernel without WireGuard: said so once" \
                sh -c "[ \$(grep -c 'Backend=auto: userspace (wireguard-go) WireGuard' $T/daemon.log) = 1 ]"
        check "auto, kernel without WireGuard: wireguard-go runs as the daemon's child" \
                sh -c "pgrep -P $DAEMON -x wireguard-go >/dev/null"
        check "auto: device configured" sh -c "ip netns exec $NSB wg show $IFA peers | grep -qx '$CLIENT_PUB' && ip -n $NSB addr show dev $IFA | grep -q 10.80.0.1/24"
        check "auto: no networkd file written" sh -c "! ls $R/run/systemd/network/*-a.* >/dev/null 2>&1"
        check "auto: the test link is gone" sh -c "! ip -n $NSB link show | grep -q nfswgt"
        kill -TERM "$DAEMON"; wait "$DAEMON"; rc=$?; DAEMON=
        check "auto: stop exits 0 (got $rc)" [ "$rc" = 0 ]
        check "auto: device gone" sh -c "! ip -n $NSB link show $IFA >/dev/null 2>&1"
fi
rm "$R/etc/nfswg/a.conf"

# ---- nas mode: per-interface forwarding, restored on stop, also after a crash --------------------
IFN=nfdn$$
IFN=${IFN:0:15}
VB=v$$b
cat >"$R/etc/nfswg/n.conf" <<CONF
[Bridge]
Mode=nas
Backend=userspace
Interface=$IFN
Address=10.80.0.1/24
ListenPort=51879

[Forward]
To=192.168.77.0/24
Masquerade=yes
Ports=nfs

[Peer]
Name=client
PublicKey=$CLIENT_PUB
Address=10.80.0.2/32
CONF
fwd() { inb cat "/proc/sys/net/ipv4/conf/$1/forwarding"; }
check "nas: forwarding off before" [ "$(fwd "$VB")" = 0 ]
READY_N=$(notify_count "READY=1")
start_bridge n
check "nas: READY=1" wait_notify "READY=1" $((READY_N + 1)) 15
check "nas: forwarding on for the tunnel and the LAN side only" \
        sh -c "[ \$(ip netns exec $NSB cat /proc/sys/net/ipv4/conf/$IFN/forwarding) = 1 ] && [ \$(ip netns exec $NSB cat /proc/sys/net/ipv4/conf/$VB/forwarding) = 1 ] && [ \$(ip netns exec $NSB cat /proc/sys/net/ipv4/conf/lo/forwarding) = 0 ]"
kill -9 "$DAEMON"; wait "$DAEMON" 2>/dev/null; DAEMON=
READY_N=$(notify_count "READY=1")
start_bridge n
check "nas: restart after kill -9 is READY" wait_notify "READY=1" $((READY_N + 1)) 15
kill -TERM "$DAEMON"; wait "$DAEMON"; DAEMON=
check "nas: the LAN side's forwarding restored to 0 after crash + restart + stop" [ "$(fwd "$VB")" = 0 ]
check "nas: no state left in /run" [ ! -e "$R/run/nfswg/n/sysctl" ]
rm "$R/etc/nfswg/n.conf"

# ---- 1000 peers: add one vs replace the table ---------------------------------------------------
python3 - "$R/etc/nfswg/t.conf.d/peers-1000.conf" <<'PY'
import base64, os, sys
with open(sys.argv[1], "w") as f:
    for i in range(1000):
        f.write("[Peer]\nName=p%d\nPublicKey=%s\nAddress=10.78.%d.%d/32\n\n" % (
            i, base64.b64encode(os.urandom(32)).decode(), 1 + i // 250, i % 250 + 1))
PY
# the 1000 peers need a tunnel network that holds them
sed -i 's|^Address=10.77.0.1/24|Address=10.77.0.1/24\nAddress=10.78.0.1/16|' "$R/etc/nfswg/t.conf"
READY_N=$(notify_count "READY=1")
start_daemon
wait_notify "READY=1" $((READY_N + 1)) 60 || { fail "1000 peers: no READY"; tail "$T/daemon.log"; }
READY1000=$(ready_time $((READY_N + 1)))
check "1000 peers: all in the device" [ "$(inb wg show "$IFB" peers | wc -l)" -ge 1001 ]

time_hup() { # seconds from HUP to the next READY=1
        local n h0
        n=$(notify_count "READY=1")
        h0=$(date +%s.%N)
        hup_daemon 60 || { echo "FAIL"; return; }
        awk -v t0="$h0" -v n="$((n + 1))" '/READY=1/ { if (++c == n) { printf "%.3f", $1 - t0; exit } }' "$T/notify.log"
}
printf '[Peer]\nName=one-more\nPublicKey=%s\nAddress=10.77.0.50/32\n' "$(wg genkey | wg pubkey)" \
        >"$R/etc/nfswg/t.conf.d/peer-one-more.conf"
ADD1=$(time_hup)
check "1000 peers: the added peer is there" sh -c "ip netns exec $NSB nft list set inet nfswg_t peers4 | grep -q 10.77.0.50"
check "1000 peers: adding one peer did not replace the table" sh -c "! grep -q 'firewall table replaced' $T/daemon.log"
# NFSv3 changes the port set: the whole table is replaced (plus the peer diff, empty here).
sed -i 's|^ListenPort=.*|&\nNFSVersions=4.2 3|' "$R/etc/nfswg/t.conf"
FULL=$(time_hup)
check "1000 peers: full re-apply happened" grep -q "firewall table replaced" "$T/daemon.log"
# Full apply from scratch: a restart on an empty device (all 1000 peers, table, exports).
kill -TERM "$DAEMON"; wait "$DAEMON"; DAEMON=
# one `wg set` for all removals (a thousand `ip netns exec` would take a minute)
inb wg set "$IFB" $(inb wg show "$IFB" peers | sed 's/.*/peer & remove/')
check "1000 peers: device emptied for the cold start" [ -z "$(inb wg show "$IFB" peers)" ]
READY_N=$(notify_count "READY=1")
start_daemon
wait_notify "READY=1" $((READY_N + 1)) 60 || fail "1000 peers: no READY on the cold start"
COLD=$(ready_time $((READY_N + 1)))
kill -TERM "$DAEMON"; wait "$DAEMON"; DAEMON=

echo "# figures: idle RSS ${RSS} KiB, private ${PRIV} KiB; start to READY ${READY_S}s (1 peer)"
echo "# figures: 1000 peers: restart to READY ${READY1000}s, from an empty device ${COLD}s;" \
     "add one peer (HUP to READY) ${ADD1}s; reload with full table replacement ${FULL}s"

rotate_log
# Sanitizer builds (-Db_sanitize=address,undefined) report leaks and undefined behaviour here.
check "no sanitizer reports" sh -c "! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' $T/all.log"

if [ "$FAILS" -gt 0 ]; then
        echo "$FAILS check(s) failed; daemon log:"
        grep -A20 -E 'AddressSanitizer|LeakSanitizer|runtime error' "$T/all.log" | head -60
        tail -40 "$T/daemon.log"
        exit 1
fi
echo "all daemon checks passed"
