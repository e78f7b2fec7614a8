#!/bin/bash
# SPDX-License-Identifier: MIT
# Peer sync against userspace WireGuard (wireguard-go) over the UAPI socket, in network namespaces:
# A is the bridge, configured only through src/wg/ (nfswg-wg-tool sync reads the bridge config);
# B and C are clients configured with wg(8). Checks that `wg show` agrees with what we set, that
# adding and removing peers while B pings A through the tunnel loses no packet and leaves B's
# session alone, and that a peer added live can handshake.
# Root only; exit 77 (skip) without root, wireguard-go, wg, ip or /dev/net/tun.
set -euo pipefail

[ "$(id -u)" = 0 ] || { echo "not root: skipped"; exit 77; }
for p in wireguard-go wg ip ping; do
        command -v "$p" >/dev/null || { echo "$p missing: skipped"; exit 77; }
done
[ -c /dev/net/tun ] || { echo "/dev/net/tun missing: skipped"; exit 77; }

BUILD=${NFSWG_BUILD_ROOT:?}
TOOL=$BUILD/tests/nfswg-wg-tool
[ -x "$TOOL" ] || { echo "$TOOL not built"; exit 1; }

id=$$
NSA=nfswg-t-wg-a-$id NSB=nfswg-t-wg-b-$id NSC=nfswg-t-wg-c-$id
# Interface names are unique per run: wireguard-go puts its socket in /run/wireguard/IFACE.sock,
# which every namespace shares.
IFA=nwga$id IFB=nwgb$id IFC=nwgc$id
UAPI=/run/wireguard
TMP=$(mktemp -d /tmp/nfswg-t-wg-XXXXXX)
PIDS=()

cleanup() {
        set +e
        for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
        for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
        for ns in "$NSA" "$NSB" "$NSC"; do ip netns del "$ns" 2>/dev/null; done
        rm -f "$UAPI/$IFA.sock" "$UAPI/$IFB.sock" "$UAPI/$IFC.sock"
        rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
inA() { ip netns exec "$NSA" "$@"; }
inB() { ip netns exec "$NSB" "$@"; }
inC() { ip netns exec "$NSC" "$@"; }

# --- the wire: A <-> B on 10.99.1.0/24, A <-> C on 10.99.2.0/24 ---
for ns in "$NSA" "$NSB" "$NSC"; do
        ip netns add "$ns"
        ip -n "$ns" link set lo up
done
ip link add va1-$id netns "$NSA" type veth peer name vb-$id netns "$NSB"
ip link add va2-$id netns "$NSA" type veth peer name vc-$id netns "$NSC"
ip -n "$NSA" addr add 10.99.1.1/24 dev va1-$id
ip -n "$NSA" addr add 10.99.2.1/24 dev va2-$id
ip -n "$NSB" addr add 10.99.1.2/24 dev vb-$id
ip -n "$NSC" addr add 10.99.2.2/24 dev vc-$id
for l in va1-$id va2-$id; do ip -n "$NSA" link set "$l" up; done
ip -n "$NSB" link set vb-$id up
ip -n "$NSC" link set vc-$id up

# --- wireguard-go in each namespace, in the foreground so we own and stop the process ---
start_wg() { # NS IFACE
        ip netns exec "$1" env WG_PROCESS_FOREGROUND=1 wireguard-go "$2" >"$TMP/$2.log" 2>&1 &
        PIDS+=($!)
        for _ in $(seq 50); do
                [ -S "$UAPI/$2.sock" ] && return 0
                sleep 0.1
        done
        cat "$TMP/$2.log" >&2
        fail "wireguard-go did not create $UAPI/$2.sock"
}
start_wg "$NSA" "$IFA"
start_wg "$NSB" "$IFB"
start_wg "$NSC" "$IFC"

umask 077
for n in a b c d e; do
        wg genkey >"$TMP/$n.key"
        wg pubkey <"$TMP/$n.key" >"$TMP/$n.pub"
done
PUBA=$(cat "$TMP/a.pub") PUBB=$(cat "$TMP/b.pub") PUBC=$(cat "$TMP/c.pub")
PUBD=$(cat "$TMP/d.pub") PUBE=$(cat "$TMP/e.pub")

# --- the bridge's config, as the daemon would read it ---
ROOT=$TMP/root
mkdir -p "$ROOT/etc/nfswg/t.conf.d"
cat >"$ROOT/etc/nfswg/t.conf" <<EOF
[Bridge]
Mode=embedded
Interface=$IFA
Address=10.8.0.1/24
ListenPort=51820
EOF
peer_dropin() { # NAME PUBKEY ADDRESS [KEEPALIVE]
        printf '[Peer]\nName=%s\nPublicKey=%s\nAddress=%s\nPersistentKeepalive=%s\n' "$1" "$2" "$3" "${4:-0}" \
                >"$ROOT/etc/nfswg/t.conf.d/$1.conf"
}
peer_dropin b "$PUBB" 10.8.0.2/32
peer_dropin d "$PUBD" 10.8.0.4/32 15

sync_a() { "$TOOL" sync "$IFA" "$ROOT" t --key-file "$TMP/a.key" --uapi-dir "$UAPI"; }

# What wg(8) says about A, one peer per line: key allowed-ips keepalive.
wg_state() {
        inA wg show "$IFA" dump | tail -n +2 | awk '{ print $1, $4, $8 }' | sort
}
expect_state() { # lines "KEY ALLOWED KEEPALIVE"
        local want
        want=$(printf '%s\n' "$@" | sort)
        [ "$(wg_state)" = "$want" ] || fail "wg show disagrees: want
$want
got
$(wg_state)"
}

out=$(sync_a)
echo "$out"
grep -qx "private key" <<<"$out" || fail "first sync did not set the key"
grep -qx "listen port 51820" <<<"$out" || fail "first sync did not set the port"
[ "$(inA wg show "$IFA" listen-port)" = 51820 ] || fail "listen port"
[ "$(inA wg show "$IFA" public-key)" = "$PUBA" ] || fail "public key"
expect_state "$PUBB 10.8.0.2/32 off" "$PUBD 10.8.0.4/32 15"
# Our own reading of the device agrees with wg(8).
"$TOOL" show "$IFA" --uapi-dir "$UAPI" >"$TMP/show"
grep -q "^interface $IFA public_key=$PUBA listen_port=51820 peers=2$" "$TMP/show" || fail "show: $(cat "$TMP/show")"
grep -q "^peer $PUBB endpoint=(none) allowed_ips=10.8.0.2/32 handshake=never rx=0 tx=0 keepalive=0$" "$TMP/show" ||
        fail "show: $(cat "$TMP/show")"
# Nothing to do the second time.
[ "$(sync_a)" = unchanged ] || fail "second sync was not a no-op"

# --- tunnel addresses; B and C configured with wg(8) ---
inA ip addr add 10.8.0.1/24 dev "$IFA"
inA ip link set "$IFA" up
client() { # NS IFACE KEY ADDRESS ENDPOINT
        ip netns exec "$1" wg set "$2" private-key "$3" peer "$PUBA" endpoint "$5" allowed-ips 10.8.0.0/24
        ip -n "$1" addr add "$4" dev "$2"
        ip -n "$1" link set "$2" up
}
client "$NSB" "$IFB" "$TMP/b.key" 10.8.0.2/24 10.99.1.1:51820
client "$NSC" "$IFC" "$TMP/c.key" 10.8.0.3/24 10.99.2.1:51820

inB ping -c 3 -i 0.2 -W 2 10.8.0.1 >/dev/null || fail "B cannot reach A through the tunnel"
# C is not a peer of A yet: its packets are dropped.
if inC ping -c 2 -i 0.2 -W 1 10.8.0.1 >/dev/null 2>&1; then fail "C reached A before being added"; fi

hs_b() { inA wg show "$IFA" latest-handshakes | awk -v k="$PUBB" '$1 == k { print $2 }'; }
HSB=$(hs_b)
[ "$HSB" != 0 ] || fail "no handshake with B"

# --- live changes while B pings A: 400 pings, 50 ms apart, outlasting every change below ---
inB ping -i 0.05 -c 400 -W 1 10.8.0.1 >"$TMP/ping" 2>&1 &
PING=$!
PIDS+=("$PING")
sleep 1

peer_dropin c "$PUBC" 10.8.0.3/32
out=$(sync_a)
[ "$out" = "add $PUBC" ] || fail "adding C: $out"
expect_state "$PUBB 10.8.0.2/32 off" "$PUBC 10.8.0.3/32 off" "$PUBD 10.8.0.4/32 15"
# C's earlier handshake attempts were refused; wireguard-go retries every 5 s (Rekey-Timeout).
reach_c() {
        for _ in $(seq 15); do inC ping -c 1 -W 1 10.8.0.1 >/dev/null && return 0; done
        return 1
}
reach_c || fail "C cannot reach A after being added"
sleep 1

rm "$ROOT/etc/nfswg/t.conf.d/d.conf"
out=$(sync_a)
[ "$out" = "remove $PUBD" ] || fail "removing D: $out"
expect_state "$PUBB 10.8.0.2/32 off" "$PUBC 10.8.0.3/32 off"
sleep 1

peer_dropin d "$PUBD" "10.8.0.4/32 10.8.0.5/32" 15
out=$(sync_a)
[ "$out" = "add $PUBD" ] || fail "adding D back: $out"
expect_state "$PUBB 10.8.0.2/32 off" "$PUBC 10.8.0.3/32 off" "$PUBD 10.8.0.4/32,10.8.0.5/32 15"
sleep 1

# A changed peer is updated in place, the others untouched.
peer_dropin d "$PUBD" 10.8.0.4/32 15
out=$(sync_a)
[ "$out" = "update $PUBD" ] || fail "updating D: $out"
expect_state "$PUBB 10.8.0.2/32 off" "$PUBC 10.8.0.3/32 off" "$PUBD 10.8.0.4/32 15"

# set-peer / remove-peer: one peer at a time, nothing else touched.
"$TOOL" set-peer "$IFA" "$PUBE" --allowed-ips 10.8.0.9/32 --endpoint 10.99.1.2:4444 --keepalive 5 --uapi-dir "$UAPI"
expect_state "$PUBB 10.8.0.2/32 off" "$PUBC 10.8.0.3/32 off" "$PUBD 10.8.0.4/32 15" "$PUBE 10.8.0.9/32 5"
[ "$(inA wg show "$IFA" endpoints | awk -v k="$PUBE" '$1 == k { print $2 }')" = 10.99.1.2:4444 ] || fail "endpoint of E"
"$TOOL" remove-peer "$IFA" "$PUBE" --uapi-dir "$UAPI"
expect_state "$PUBB 10.8.0.2/32 off" "$PUBC 10.8.0.3/32 off" "$PUBD 10.8.0.4/32 15"

kill -0 "$PING" 2>/dev/null || fail "the ping ended before the last change: the test proves nothing"
wait "$PING" || true
cat "$TMP/ping" | tail -n 3
grep -q "400 packets transmitted, 400 received, 0% packet loss" "$TMP/ping" || fail "B lost packets during the changes"
# B's session was never touched: same handshake as before the changes.
[ "$(hs_b)" = "$HSB" ] || fail "B handshook again ($HSB -> $(hs_b)): its session was disturbed"

hs_c=$(inA wg show "$IFA" latest-handshakes | awk -v k="$PUBC" '$1 == k { print $2 }')
[ "$hs_c" != 0 ] || fail "no handshake with C"
"$TOOL" show "$IFA" --uapi-dir "$UAPI" | grep -q "^peer $PUBC endpoint=10.99.2.2:[0-9]* allowed_ips=10.8.0.3/32 handshake=$hs_c rx=[1-9]" ||
        fail "show after C's handshake: $("$TOOL" show "$IFA" --uapi-dir "$UAPI")"

echo "PASS"
