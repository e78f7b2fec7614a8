#!/bin/bash
# SPDX-License-Identifier: MIT
#
# A restart is not an outage (issue 14), for real in network namespaces with wireguard-go and no
# systemd: $NFSWG_STOP_INTENT_FILE stands in for systemd's pending restart job at SIGTERM
# (nfswgd(8)). A SIGTERM for a restart leaves link, addresses, peers and sessions, the nftables
# table, the exports and /run/nfswg/NAME in place and the next daemon adopts them while a client
# pings; a SIGTERM without it removes everything. A typo followed by a restart keeps serving the
# last good configuration until a reload applies the fixed one; a first start with a typo exits 6.
# Backend=userspace: wireguard-go keeps its PID and sessions across the restart; Backend=auto then
# adopts it as it finds it.
#
# Root only; exits 77 (skip) without root, wireguard-go, wg, nft, ip, python3 or ping.
set -u
. "$(dirname "$0")/lib.sh"

need_root
need_tools wireguard-go wg nft ip python3 ping
need_built "$NFSWGD" "$NFSWG"

T=$(mktemp -d /tmp/nfswg-t-restart.XXXXXX)
NSB=nfswg-t-rst-$$-b
NSC=nfswg-t-rst-$$-c
IFB=nfrb$$
IFC=nfrc$$
IFU=nfru$$
IFB=${IFB:0:15}
IFC=${IFC:0:15}
IFU=${IFU:0:15}
PORT=51887
UPORT=51888
MAX_LOSS=3 # pings of 20/s a restart may lose (none is expected: nothing goes down)

inb() { ip netns exec "$NSB" "$@"; }
inc() { ip netns exec "$NSC" "$@"; }

new_ns "$NSB" "$NSC"
veth "$NSB" "v$$b" 192.168.87.1/24 "$NSC" "v$$c" 192.168.87.2/24
start_wggo "$NSB" "$IFB"
start_wggo "$NSC" "$IFC"

CLIENT_KEY=$(wg genkey)
CLIENT_PUB=$(echo "$CLIENT_KEY" | wg pubkey)
echo "$CLIENT_KEY" >"$T/client.key"
inc wg set "$IFC" private-key "$T/client.key"
inc ip addr add 10.87.0.2/24 dev "$IFC"
inc ip addr add 10.89.0.2/24 dev "$IFC"
inc ip link set "$IFC" up mtu 1380

R=$T/root
mkdir -p "$R/etc/nfswg/t.conf.d"
cat >"$R/etc/nfswg/t.conf" <<CONF
[Bridge]
Mode=embedded
Interface=$IFB
Address=10.87.0.1/24
ListenPort=$PORT

[Export]
Path=/srv/nfswg
Peers=*

[Peer]
Name=client
PublicKey=$CLIENT_PUB
Address=10.87.0.2/32
CONF

exportfs_stub
start_notify_reader
HOOK=$T/stop-intent
EXPORTS=$R/etc/exports.d/nfswg-t.exports
RUNDIR=$R/run/nfswg/t

start_bridge() { # OPTION... NAME
        NOTIFY_SOCKET=$T/notify.sock NFSWG_POLL_SEC=1 NFSWG_EXPORTFS=$T/exportfs NFSWG_STOP_INTENT_FILE=$HOOK \
                ip netns exec "$NSB" "$NFSWGD" --root "$R" "$@" >>"$T/daemon.log" 2>&1 &
        DAEMON=$!
}
start_t() { # bridge t, until READY=1
        local n
        n=$(notify_count "READY=1")
        start_bridge --no-networkd t
        wait_notify "READY=1" $((n + 1)) 15
}
term_daemon() { # SIGTERM, exit status in $rc
        kill -TERM "$DAEMON"
        wait "$DAEMON"
        rc=$?
        DAEMON=
}
ifindex() { inb cat "/sys/class/net/$1/ifindex" 2>/dev/null; }
handshake() { inb wg show "$1" latest-handshakes | awk -v k="$CLIENT_PUB" '$1 == k {print $2}'; }
nft_norm() { inb nft -j list table inet "nfswg_$1" 2>/dev/null | json_strip handle packets bytes; }
wg_peers() { inb wg show "$1" dump | tail -n +2 | awk '{print $1, $2, $4, $8}' | sort; }
# state NAME IF: what a restart must keep, in one text to compare
state() {
        echo "ifindex $(ifindex "$2")"
        ip -n "$NSB" -br addr show dev "$2" | awk '{$2 = ""; print}'
        wg_peers "$2"
        nft_norm "$1"
        [ "$1" = t ] && cat "$EXPORTS"
}
ping_start() { # DEST: 20 pings a second in the background until ping_stop
        ip netns exec "$NSC" ping -i 0.05 -W 1 "$1" >"$T/ping.log" 2>&1 & # exec: $! is ping
        PING=$!
        sleep 1
}
ping_lost() { # stops the ping loop and prints how many were lost
        kill -INT "$PING"
        wait "$PING" 2>/dev/null
        awk '/packets transmitted/ { print $1 - $4 }' "$T/ping.log"
}

# ---- a first start with a typo: nothing to keep, exit 6 ---------------------------------------
printf '[Peer]\nName=bad\nPublicKey=nope\nAddress=10.87.0.9/32\n' >"$R/etc/nfswg/t.conf.d/50-bad.conf"
start_bridge --no-networkd t
wait "$DAEMON"; rc=$?; DAEMON=
check "first start with a typo: exit 6 (got $rc)" [ "$rc" = 6 ]
check "first start with a typo: refusal names FILE:LINE" \
        grep -q "configuration refused, not starting.*t.conf.d/50-bad.conf:3:" "$T/daemon.log"
check "first start with a typo: nothing made" \
        sh -c "! ip netns exec $NSB nft list table inet nfswg_t >/dev/null 2>&1 && [ ! -e $EXPORTS ] && [ ! -e $RUNDIR/last-good ]"
rm "$R/etc/nfswg/t.conf.d/50-bad.conf"

# ---- start, a client connects -------------------------------------------------------------------
start_t || die "no READY=1" "$T/daemon.log"
BRIDGE_PUB=$(wg pubkey <"$R/var/lib/nfswg/t/private.key")
inc wg set "$IFC" peer "$BRIDGE_PUB" endpoint 192.168.87.1:$PORT allowed-ips 10.87.0.0/24
check "client pings through the tunnel" inc ping -c 2 -W 2 10.87.0.1 >/dev/null
check "the configuration that applied is kept in /run/nfswg/t/last-good" \
        cmp -s "$R/etc/nfswg/t.conf" "$RUNDIR/last-good/etc/nfswg/t.conf"
check "the kept copy is 0600 in a 0700 tree" \
        [ "$(stat -c %a "$RUNDIR/last-good/etc/nfswg/t.conf")" = 600 -a "$(stat -c %a "$RUNDIR/last-good")" = 700 ]

# ---- SIGTERM for a restart: everything stays, the next daemon adopts it --------------------------
BEFORE=$(state t "$IFB")
HS=$(handshake "$IFB")
ping_start 10.87.0.1
echo restart >"$HOOK"
T0=$(date +%s.%N)
term_daemon
T_EXIT=$(date +%s.%N)
check "restart: the old daemon exits 0 (got $rc)" [ "$rc" = 0 ]
check "restart: STATUS= says the bridge stays up" grep -q "STATUS=restart: leaving the bridge up for the next start" "$T/notify.log"
check "restart: the journal/stderr says so" grep -q "restart: leaving the bridge up" "$T/daemon.log"
check "restart: link, addresses, peers, table and exports all still there" [ "$BEFORE" = "$(state t "$IFB")" ]
T_START=$(date +%s.%N)
start_t
check "restart: the new daemon is READY" [ $? = 0 ]
LOST=$(ping_lost)
# the daemons' own time (the checks in between are the test's): SIGTERM to exit, start to READY=1
T_READY=$(awk '/READY=1/ { t = $1 } END { print t }' "$T/notify.log")
GAP=$(awk -v a="$T0" -v b="$T_EXIT" -v c="$T_START" -v d="$T_READY" 'BEGIN { printf "%.2f", (b - a) + (d - c) }')
check "restart: same ifindex, addresses, peers, table, exports" [ "$BEFORE" = "$(state t "$IFB")" ]
check "restart: the client's session kept (latest handshake $HS = $(handshake "$IFB"))" [ "$HS" = "$(handshake "$IFB")" ]
check "restart: ping lost $LOST (at most $MAX_LOSS)" [ "${LOST:-999}" -le "$MAX_LOSS" ]
check "restart: SIGTERM to exit plus start to READY ${GAP}s (under 2 s)" awk -v g="$GAP" 'BEGIN { exit !(g < 2) }'
check "restart: the firewall table was not removed" sh -c "! grep -q 'removing its exports' $T/daemon.log"

# ---- a typo, then a restart: the last good configuration keeps serving ----------------------------
BEFORE=$(state t "$IFB")
printf '[Peer]\nName=typo\nPublicKey=%s\nAddress=10.87.0.7/32\nBogus=1\n' "$(wg genkey | wg pubkey)" \
        >"$R/etc/nfswg/t.conf.d/60-typo.conf"
ping_start 10.87.0.1
term_daemon
check "typo + restart: the old daemon leaves the bridge up (exit $rc)" [ "$rc" = 0 ]
start_t
check "typo + restart: the new daemon is READY" [ $? = 0 ]
sleep 1
check "typo + restart: still running" kill -0 "$DAEMON"
check "typo + restart: the refusal names FILE:LINE" \
        grep -q "newer configuration refused, serving the last good one: .*t.conf.d/60-typo.conf:5:" "$T/daemon.log"
check "typo + restart: STATUS= says so" grep -q "STATUS=.*serving the last good configuration, newer one refused: .*60-typo.conf:5:" "$T/notify.log"
check "typo + restart: the bridge is as it was" [ "$BEFORE" = "$(state t "$IFB")" ]
check "typo + restart: /run/nfswg/t/refused names the file" grep -q "60-typo.conf:5:" "$RUNDIR/refused"
"$NFSWG" --root "$R" status t >"$T/status.txt" 2>&1
check "typo + restart: nfswg status shows the refusal" grep -q "configuration: newer one REFUSED, serving the last good one: .*60-typo.conf:5:" "$T/status.txt"
LOST=$(ping_lost)
check "typo + restart: ping lost $LOST (at most $MAX_LOSS)" [ "${LOST:-999}" -le "$MAX_LOSS" ]
check "typo + restart: the client's session kept" [ "$HS" = "$(handshake "$IFB")" ]
# The fix adds a peer: a reload applies it, without outage, and the refusal is over.
NEW_PUB=$(wg genkey | wg pubkey)
printf '[Peer]\nName=fixed\nPublicKey=%s\nAddress=10.87.0.7/32\n' "$NEW_PUB" >"$R/etc/nfswg/t.conf.d/60-typo.conf"
ping_start 10.87.0.1
check "fix + reload: READY" hup_daemon 10
LOST=$(ping_lost)
check "fix + reload: the new peer applied" sh -c "ip netns exec $NSB wg show $IFB peers | grep -qx '$NEW_PUB' && grep -q 10.87.0.7 $EXPORTS"
check "fix + reload: refusal over (no /run/nfswg/t/refused, STATUS= plain)" \
        sh -c "[ ! -e $RUNDIR/refused ] && tail -1 $T/notify.log | grep -q 'STATUS=2 peers' && ! tail -1 $T/notify.log | grep -q refused"
check "fix + reload: the fixed configuration is the kept copy" \
        cmp -s "$R/etc/nfswg/t.conf.d/60-typo.conf" "$RUNDIR/last-good/etc/nfswg/t.conf.d/60-typo.conf"
check "fix + reload: ping lost $LOST (at most $MAX_LOSS)" [ "${LOST:-999}" -le "$MAX_LOSS" ] || cat "$T/ping.log"

# ---- a restart that changes Interface= is a real stop (the next daemon would not know the old link)
cp "$R/etc/nfswg/t.conf" "$T/t.conf.good"
sed -i "s/^Interface=.*/Interface=nfrx$$/" "$R/etc/nfswg/t.conf"
echo restart >"$HOOK"
term_daemon
check "Interface= changed + restart: a real stop (exit $rc)" \
        sh -c "[ $rc = 0 ] && ! ip netns exec $NSB nft list table inet nfswg_t >/dev/null 2>&1 && [ ! -e $EXPORTS ] && [ ! -e $RUNDIR/last-good ]"
check "Interface= changed + restart: says why" grep -q "applies a change a running bridge cannot take (Interface= changed" "$T/daemon.log"
cp "$T/t.conf.good" "$R/etc/nfswg/t.conf"
start_t || die "no READY=1 after the Interface= round" "$T/daemon.log"

# ---- SIGTERM without a restart pending: a real stop ----------------------------------------------
rm -f "$HOOK"
term_daemon
check "stop: exit 0 (got $rc)" [ "$rc" = 0 ]
check "stop: table gone" sh -c "! ip netns exec $NSB nft list table inet nfswg_t >/dev/null 2>&1"
check "stop: exports gone" [ ! -e "$EXPORTS" ]
check "stop: our address removed" sh -c "! ip -n $NSB addr show dev $IFB | grep -q 10.87.0.1"
check "stop: nothing kept to adopt" sh -c "[ ! -e $RUNDIR/last-good ] && [ ! -e $RUNDIR/refused ]"
# and so a typo now is a first start again
printf '[Peer]\nName=bad\nPublicKey=nope\nAddress=10.87.0.9/32\n' >"$R/etc/nfswg/t.conf.d/50-bad.conf"
start_bridge --no-networkd t
wait "$DAEMON"; rc=$?; DAEMON=
check "typo after a stop: exit 6 (got $rc)" [ "$rc" = 6 ]
rm "$R/etc/nfswg/t.conf.d/50-bad.conf"

# ---- Backend=userspace: wireguard-go keeps its PID and sessions ----------------------------------
cat >"$R/etc/nfswg/u.conf" <<CONF
[Bridge]
Mode=embedded
Backend=userspace
Interface=$IFU
Address=10.89.0.1/24
ListenPort=$UPORT

[Peer]
Name=client
PublicKey=$CLIENT_PUB
Address=10.89.0.2/32
CONF
wggo_pid() { awk '{print $1}' "$R/run/nfswg/u/wireguard-go" 2>/dev/null; }
cleanup_wggo() { local p; p=$(wggo_pid); [ -z "$p" ] || kill "$p" 2>/dev/null; }
trap 'cleanup_wggo; netns_cleanup' EXIT # wireguard-go is detached from the daemon
n=$(notify_count "READY=1")
start_bridge u
check "userspace: READY=1" wait_notify "READY=1" $((n + 1)) 15
WGGO=$(wggo_pid)
check "userspace: wireguard-go's PID recorded" [ -n "$WGGO" ]
UPUB=$(inb wg show "$IFU" public-key)
inc wg set "$IFC" peer "$UPUB" endpoint 192.168.87.1:$UPORT allowed-ips 10.89.0.0/24
check "userspace: client pings through the tunnel" inc ping -c 2 -W 2 10.89.0.1 >/dev/null
UHS=$(handshake "$IFU")
UIDX=$(ifindex "$IFU")
ping_start 10.89.0.1
echo restart >"$HOOK"
term_daemon
check "userspace: restart exits 0 (got $rc)" [ "$rc" = 0 ]
check "userspace: wireguard-go outlives the daemon" kill -0 "$WGGO"
n=$(notify_count "READY=1")
start_bridge u
check "userspace: the new daemon is READY" wait_notify "READY=1" $((n + 1)) 15
LOST=$(ping_lost)
check "userspace: wireguard-go adopted, same PID ($WGGO = $(wggo_pid))" [ "$WGGO" = "$(wggo_pid)" ]
check "userspace: adoption logged" grep -q "Adopted wireguard-go for $IFU (PID $WGGO)" "$T/daemon.log"
check "userspace: same ifindex" [ "$UIDX" = "$(ifindex "$IFU")" ]
check "userspace: the client's session kept (latest handshake $UHS = $(handshake "$IFU"))" [ "$UHS" = "$(handshake "$IFU")" ]
check "userspace: ping lost $LOST (at most $MAX_LOSS)" [ "${LOST:-999}" -le "$MAX_LOSS" ]
# Backend=auto takes the backend a restart left running, here wireguard-go on a kernel that has
# WireGuard (as after a module was installed): its probe would say kernel. The change is made
# after the old daemon left, which it would otherwise take for a real stop (Backend= changed).
echo restart >"$HOOK"
term_daemon
check "auto after a restart: the old daemon exits 0 (got $rc)" [ "$rc" = 0 ]
sed -i '/^Backend=/d' "$R/etc/nfswg/u.conf"
n=$(notify_count "READY=1")
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/no-such-bus start_bridge u
check "auto after a restart: READY=1" wait_notify "READY=1" $((n + 1)) 15
check "auto after a restart: the same wireguard-go adopted ($WGGO = $(wggo_pid))" [ "$WGGO" = "$(wggo_pid)" ]
check "auto after a restart: says where the choice came from" \
        grep -q "Backend=auto: userspace (wireguard-go) WireGuard: the wireguard-go a restart left running" "$T/daemon.log"
check "auto after a restart: the client's session kept" [ "$UHS" = "$(handshake "$IFU")" ]
rm -f "$HOOK"
term_daemon
check "userspace: a real stop exits 0 (got $rc)" [ "$rc" = 0 ]
# (a zombie still answers kill -0 until whoever adopted it reaps it: look at its state)
gone() { ! ip -n "$NSB" link show "$IFU" >/dev/null 2>&1 && ! grep -qv '^State:.*Z' <(grep ^State: "/proc/$WGGO/status" 2>/dev/null); }
check "userspace: a real stop ends wireguard-go and its device" wait_until 3 gone
check "userspace: a real stop forgets wireguard-go's PID" [ ! -e "$R/run/nfswg/u/wireguard-go" ]

cat "$T/daemon.log" >>"$T/all.log"
check "no sanitizer reports" sh -c "! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' $T/all.log"
if [ "$FAILS" -gt 0 ]; then
        echo "$FAILS check(s) failed; daemon log:"
        tail -60 "$T/daemon.log"
        grep STATUS "$T/notify.log" | tail -5
        exit 1
fi
echo "all restart checks passed"
