#!/bin/bash
# SPDX-License-Identifier: MIT
#
# `nfswg peer add` / `peer remove` against a running bridge, for real: nfswgd --no-networkd in a
# network namespace with a wireguard-go device, two clients in their own namespaces configured from
# the configs nfswg prints. Without systemd the CLI (run with --root) does not reload; this script
# sends the daemon SIGHUP, which is what nfswg@.service's ExecReload= does.
#
# Proves: the added client completes a handshake and reaches the bridge's NFS port while the existing
# client's ping loses no packet; peer list / status show the live device; peer remove cuts only the
# removed client. Root only; exits 77 (skip) without root or the tools.
set -u
. "$(dirname "$0")/lib.sh"

need_root
need_tools wireguard-go wg nft ip python3 ping
for b in "$NFSWG" "$NFSWGD"; do
        [ -x "$b" ] || skip "$b not built"
done

T=$(mktemp -d /tmp/nfswg-t-cli.XXXXXX)
NAME=c$$
NSB=nfswg-t-cli-$$-b
NS1=nfswg-t-cli-$$-1
NS2=nfswg-t-cli-$$-2
IFB=nfcb$$
IF1=nfc1$$
IF2=nfc2$$
IFB=${IFB:0:15}
IF1=${IF1:0:15}
IF2=${IF2:0:15}
PORT=51879

inb() { ip netns exec "$NSB" "$@"; }
in1() { ip netns exec "$NS1" "$@"; }
in2() { ip netns exec "$NS2" "$@"; }

# ---- namespaces: the bridge with one veth to each client ---------------------------------------
new_ns "$NSB" "$NS1" "$NS2"
veth "$NSB" "v$$b1" 192.168.77.1/24 "$NS1" "v$$c1" 192.168.77.2/24
veth "$NSB" "v$$b2" 192.168.78.1/24 "$NS2" "v$$c2" 192.168.78.2/24
# the bridge's Endpoint= is 192.168.77.1, a local address of the bridge's namespace: no forwarding
in2 ip route add 192.168.77.1/32 via 192.168.78.1

start_wggo "$NSB" "$IFB"
start_wggo "$NS1" "$IF1"
start_wggo "$NS2" "$IF2"

# ---- the bridge, made by the CLI ------------------------------------------------------------------
R=$T/root
mkdir -p "$R"
"$NFSWG" --root "$R" init "$NAME" --address 10.77.0.1/24 --port "$PORT" --endpoint "192.168.77.1:$PORT" \
        >"$T/init.out" 2>&1 || { echo "FAIL: nfswg init"; cat "$T/init.out"; exit 1; }
# --no-networkd drives an existing device: the one wireguard-go made
sed -i "s|^Mode=embedded\$|&\nInterface=$IFB|" "$R/etc/nfswg/$NAME.conf"
"$NFSWG" --root "$R" check "$NAME" >/dev/null || { echo "FAIL: the edited config does not check"; exit 1; }

# configure_client NS IFNAME CONFIG: what wg-quick up would do with the printed config
configure_client() {
        local ns=$1 ifname=$2 conf=$3 addr
        addr=$(sed -n 's/^Address = //p' "$conf")
        grep -v -E '^(#|Address|MTU|DNS)' "$conf" >"$conf.wg"
        ip netns exec "$ns" wg setconf "$ifname" "$conf.wg" &&
                ip netns exec "$ns" ip addr add "$addr" dev "$ifname" &&
                ip netns exec "$ns" ip link set "$ifname" up mtu 1380 &&
                ip netns exec "$ns" ip route add 10.77.0.0/24 dev "$ifname"
}

"$NFSWG" --root "$R" peer add "$NAME" one >"$T/one.conf" 2>"$T/one.err"
check "peer add one (before the daemon starts)" grep -q "^PrivateKey = " "$T/one.conf"

# ---- the daemon ---------------------------------------------------------------------------------------
exportfs_stub
start_notify_reader

NOTIFY_SOCKET=$T/notify.sock NFSWG_POLL_SEC=1 NFSWG_EXPORTFS=$T/exportfs \
        ip netns exec "$NSB" "$NFSWGD" --root "$R" --no-networkd "$NAME" >"$T/daemon.log" 2>&1 &
DAEMON=$!
wait_notify "READY=1" 1 15 || die "the daemon did not become ready" "$T/daemon.log"
pass "daemon ready"
# Only now: the client's PersistentKeepalive= sends a handshake initiation as soon as the device is
# up, and one the bridge could not answer yet is retried only after Rekey-Timeout (5 s).
configure_client "$NS1" "$IF1" "$T/one.conf" || fail "client one configured"

# Something that answers on the NFS port (no nfsd in a namespace): a TCP listener on 2049.
cat >"$T/listen.py" <<'PY'
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.1", 2049))
s.listen(16)
while True:
    c, _ = s.accept()
    c.sendall(b"nfs\n")
    c.close()
PY
bg ip netns exec "$NSB" python3 "$T/listen.py"
sleep 0.3
nfs_reachable() { # NS
        ip netns exec "$1" python3 -c '
import socket, sys
s = socket.create_connection(("10.77.0.1", 2049), timeout=3)
sys.exit(0 if s.recv(4) == b"nfs\n" else 1)' 2>/dev/null
}

check "client one pings the bridge" quiet in1 ping -c 2 -W 2 10.77.0.1
check "client one reaches the NFS port" nfs_reachable "$NS1"
HS1=$(inb wg show "$IFB" latest-handshakes | awk -v k="$(wg pubkey <<<"$(sed -n 's/^PrivateKey = //p' "$T/one.conf")")" '$1 == k {print $2}')

# ---- peer add while client one's ping flows ------------------------------------------------------------
in1 ping -i 0.05 -c 120 -W 1 10.77.0.1 >"$T/ping1.log" 2>&1 &
PING=$!
sleep 1
"$NFSWG" --root "$R" peer add "$NAME" two >"$T/two.conf" 2>"$T/two.err"
check "peer add two" grep -q "^PrivateKey = " "$T/two.conf"
check "client two got the next address" grep -q "^Address = 10.77.0.3/32" "$T/two.conf"
check "the daemon reloads the new drop-in" hup_daemon 15
configure_client "$NS2" "$IF2" "$T/two.conf" || fail "client two configured"
check "client two completes a handshake and pings" quiet in2 ping -c 3 -W 2 10.77.0.1
TWO_PUB=$(sed -n 's/^PrivateKey = //p' "$T/two.conf" | wg pubkey)
check "the bridge saw client two's handshake" \
        sh -c "ip netns exec $NSB wg show $IFB latest-handshakes | awk '\$1 == \"$TWO_PUB\" && \$2 > 0' | grep -q ."
check "client two reaches the NFS port" nfs_reachable "$NS2"
wait "$PING"
check "client one's ping lost no packet during peer add" grep -q " 0% packet loss" "$T/ping1.log"
ONE_PUB=$(sed -n 's/^PrivateKey = //p' "$T/one.conf" | wg pubkey)
HS1_AFTER=$(inb wg show "$IFB" latest-handshakes | awk -v k="$ONE_PUB" '$1 == k {print $2}')
check "client one's session was not renegotiated ($HS1 = $HS1_AFTER)" [ "$HS1" = "$HS1_AFTER" ]

# ---- the live views ---------------------------------------------------------------------------------------
inb "$NFSWG" --root "$R" peer list "$NAME" >"$T/list.out" 2>&1
check "peer list shows both with a handshake" \
        sh -c "grep -E '^one .* ago ' $T/list.out >/dev/null && grep -E '^two .* ago ' $T/list.out >/dev/null"
inb "$NFSWG" --root "$R" status "$NAME" --json >"$T/status.json" 2>"$T/status.err"
check "status --json shows the live device and the nft counters" python3 - "$T/status.json" "$PORT" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["bridges"][0]
assert b["listen_port"] == int(sys.argv[2]), b["listen_port"]
peers = {p["name"]: p for p in b["peers"]}
for n in ("one", "two"):
    p = peers[n]
    assert p["latest_handshake"] and p["handshake_age_seconds"] is not None, p
    assert p["rx_bytes"] > 0 and p["tx_bytes"] > 0, p
    assert p["endpoint"].startswith("192.168.7"), p
assert b["nft"] is not None and b["nft"]["accepted_packets"] > 0, b["nft"]
PY

# ---- peer remove cuts only that client ------------------------------------------------------------------
in1 ping -i 0.05 -c 120 -W 1 10.77.0.1 >"$T/ping1b.log" 2>&1 &
PING=$!
sleep 1
"$NFSWG" --root "$R" peer remove "$NAME" two >"$T/remove.out" 2>&1
check "peer remove two" [ ! -e "$R/etc/nfswg/$NAME.conf.d/peer-two.conf" ]
check "the daemon reloads the removal" hup_daemon 15
check "client two is gone from the device" sh -c "! ip netns exec $NSB wg show $IFB peers | grep -qx '$TWO_PUB'"
check "client two can no longer ping" sh -c "! ip netns exec $NS2 ping -c 2 -W 1 10.77.0.1 >/dev/null"
check "client two can no longer reach the NFS port" sh -c "! ip netns exec $NS2 python3 -c '
import socket; socket.create_connection((\"10.77.0.1\", 2049), timeout=2)' 2>/dev/null"
wait "$PING"
check "client one's ping lost no packet during peer remove" grep -q " 0% packet loss" "$T/ping1b.log"
check "client one still reaches the NFS port" nfs_reachable "$NS1"

kill -TERM "$DAEMON"; wait "$DAEMON"; rc=$?; DAEMON=
check "daemon stops cleanly (exit $rc)" [ "$rc" = 0 ]

if [ "$FAILS" -gt 0 ]; then
        echo "$FAILS check(s) failed"
        for f in one.err two.err remove.out list.out status.err daemon.log; do echo "== $f"; cat "$T/$f" 2>/dev/null; done
        exit 1
fi
echo "all cli netns checks passed"
