#!/bin/bash
# SPDX-License-Identifier: MIT
# Peer sync against userspace WireGuard (wireguard-go) over the UAPI socket, in network namespaces:
# A is the bridge, configured only through src/wg/ (nfswg-wg-tool sync reads the bridge config);
# B and C are clients configured with wg(8). Checks that `wg show` agrees with what we set, that
# adding and removing peers while B pings A through the tunnel loses no packet and leaves B's
# session alone, and that a peer added live can handshake.
# Root only; exit 77 (skip) without root, wireguard-go, wg, ip or /dev/net/tun.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_root
need_tools wireguard-go wg ip ping
need_tun
TOOL=$BUILD/tests/nfswg-wg-tool
need_built "$TOOL"

id=$$
NSA=nfswg-t-wg-a-$id NSB=nfswg-t-wg-b-$id NSC=nfswg-t-wg-c-$id
IFA=nwga$id IFB=nwgb$id IFC=nwgc$id
T=$(mktemp -d /tmp/nfswg-t-wg-XXXXXX)

inA() { ip netns exec "$NSA" "$@"; }
inB() { ip netns exec "$NSB" "$@"; }
inC() { ip netns exec "$NSC" "$@"; }

# --- the wire: A <-> B on 10.99.1.0/24, A <-> C on 10.99.2.0/24 ---
new_ns "$NSA" "$NSB" "$NSC"
veth "$NSA" va1-$id 10.99.1.1/24 "$NSB" vb-$id 10.99.1.2/24
veth "$NSA" va2-$id 10.99.2.1/24 "$NSC" vc-$id 10.99.2.2/24

# --- wireguard-go in each namespace ---
start_wggo "$NSA" "$IFA"
start_wggo "$NSB" "$IFB"
start_wggo "$NSC" "$IFC"

umask 077
for n in a b c d e; do
        wg genkey >"$T/$n.key"
        wg pubkey <"$T/$n.key" >"$T/$n.pub"
done
PUBA=$(cat "$T/a.pub") PUBB=$(cat "$T/b.pub") PUBC=$(cat "$T/c.pub")
PUBD=$(cat "$T/d.pub") PUBE=$(cat "$T/e.pub")

# --- the bridge's config, as the daemon would read it ---
ROOT=$T/root
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

sync_a() { "$TOOL" sync "$IFA" "$ROOT" t --key-file "$T/a.key" --uapi-dir "$WG_RUN"; }

# What wg(8) says about A, one peer per line: key allowed-ips keepalive.
wg_state() {
        inA wg show "$IFA" dump | tail -n +2 | awk '{ print $1, $4, $8 }' | sort
}
expect_state() { # lines "KEY ALLOWED KEEPALIVE"
        local want
        want=$(printf '%s\n' "$@" | sort)
        [ "$(wg_state)" = "$want" ] || die "wg show disagrees: want
$want
got
$(wg_state)"
}

out=$(sync_a)
echo "$out"
grep -qx "private key" <<<"$out" || die "first sync did not set the key"
grep -qx "listen port 51820" <<<"$out" || die "first sync did not set the port"
[ "$(inA wg show "$IFA" listen-port)" = 51820 ] || die "listen port"
[ "$(inA wg show "$IFA" public-key)" = "$PUBA" ] || die "public key"
expect_state "$PUBB 10.8.0.2/32 off" "$PUBD 10.8.0.4/32 15"
# Our own reading of the device agrees with wg(8).
"$TOOL" show "$IFA" --uapi-dir "$WG_RUN" >"$T/show"
grep -q "^interface $IFA public_key=$PUBA listen_port=51820 peers=2$" "$T/show" || die "show: $(cat "$T/show")"
grep -q "^peer $PUBB endpoint=(none) allowed_ips=10.8.0.2/32 handshake=never rx=0 tx=0 keepalive=0$" "$T/show" ||
        die "show: $(cat "$T/show")"
# Nothing to do the second time.
[ "$(sync_a)" = unchanged ] || die "second sync was not a no-op"

# --- tunnel addresses; B and C configured with wg(8) ---
inA ip addr add 10.8.0.1/24 dev "$IFA"
inA ip link set "$IFA" up
client() { # NS IFACE KEY ADDRESS ENDPOINT
        ip netns exec "$1" wg set "$2" private-key "$3" peer "$PUBA" endpoint "$5" allowed-ips 10.8.0.0/24
        ip -n "$1" addr add "$4" dev "$2"
        ip -n "$1" link set "$2" up
}
client "$NSB" "$IFB" "$T/b.key" 10.8.0.2/24 10.99.1.1:51820
client "$NSC" "$IFC" "$T/c.key" 10.8.0.3/24 10.99.2.1:51820

inB ping -c 3 -i 0.2 -W 2 10.8.0.1 >/dev/null || die "B cannot reach A through the tunnel"
# C is not a peer of A yet: its packets are dropped.
if inC ping -c 2 -i 0.2 -W 1 10.8.0.1 >/dev/null 2>&1; then die "C reached A before being added"; fi

hs_b() { inA wg show "$IFA" latest-handshakes | awk -v k="$PUBB" '$1 == k { print $2 }'; }
HSB=$(hs_b)
[ "$HSB" != 0 ] || die "no handshake with B"

# --- live changes while B pings A: 400 pings, 50 ms apart, outlasting every change below ---
inB ping -i 0.05 -c 400 -W 1 10.8.0.1 >"$T/ping" 2>&1 &
PING=$!
PIDS+=("$PING")
sleep 1

peer_dropin c "$PUBC" 10.8.0.3/32
out=$(sync_a)
[ "$out" = "add $PUBC" ] || die "adding C: $out"
expect_state "$PUBB 10.8.0.2/32 off" "$PUBC 10.8.0.3/32 off" "$PUBD 10.8.0.4/32 15"
# C's earlier handshake attempts were refused; wireguard-go retries every 5 s (Rekey-Timeout).
reach_c() {
        for _ in $(seq 15); do inC ping -c 1 -W 1 10.8.0.1 >/dev/null && return 0; done
        return 1
}
reach_c || die "C cannot reach A after being added"
sleep 1

rm "$ROOT/etc/nfswg/t.conf.d/d.conf"
out=$(sync_a)
[ "$out" = "remove $PUBD" ] || die "removing D: $out"
expect_state "$PUBB 10.8.0.2/32 off" "$PUBC 10.8.0.3/32 off"
sleep 1

peer_dropin d "$PUBD" "10.8.0.4/32 10.8.0.5/32" 15
out=$(sync_a)
[ "$out" = "add $PUBD" ] || die "adding D back: $out"
expect_state "$PUBB 10.8.0.2/32 off" "$PUBC 10.8.0.3/32 off" "$PUBD 10.8.0.4/32,10.8.0.5/32 15"
sleep 1

# A changed peer is updated in place, the others untouched.
peer_dropin d "$PUBD" 10.8.0.4/32 15
out=$(sync_a)
[ "$out" = "update $PUBD" ] || die "updating D: $out"
expect_state "$PUBB 10.8.0.2/32 off" "$PUBC 10.8.0.3/32 off" "$PUBD 10.8.0.4/32 15"

# set-peer / remove-peer: one peer at a time, nothing else touched.
"$TOOL" set-peer "$IFA" "$PUBE" --allowed-ips 10.8.0.9/32 --endpoint 10.99.1.2:4444 --keepalive 5 --uapi-dir "$WG_RUN"
expect_state "$PUBB 10.8.0.2/32 off" "$PUBC 10.8.0.3/32 off" "$PUBD 10.8.0.4/32 15" "$PUBE 10.8.0.9/32 5"
[ "$(inA wg show "$IFA" endpoints | awk -v k="$PUBE" '$1 == k { print $2 }')" = 10.99.1.2:4444 ] || die "endpoint of E"
"$TOOL" remove-peer "$IFA" "$PUBE" --uapi-dir "$WG_RUN"
expect_state "$PUBB 10.8.0.2/32 off" "$PUBC 10.8.0.3/32 off" "$PUBD 10.8.0.4/32 15"

kill -0 "$PING" 2>/dev/null || die "the ping ended before the last change: the test proves nothing"
wait "$PING" || true
cat "$T/ping" | tail -n 3
grep -q "400 packets transmitted, 400 received, 0% packet loss" "$T/ping" || die "B lost packets during the changes"
# B's session was never touched: same handshake as before the changes.
[ "$(hs_b)" = "$HSB" ] || die "B handshook again ($HSB -> $(hs_b)): its session was disturbed"

hs_c=$(inA wg show "$IFA" latest-handshakes | awk -v k="$PUBC" '$1 == k { print $2 }')
[ "$hs_c" != 0 ] || die "no handshake with C"
"$TOOL" show "$IFA" --uapi-dir "$WG_RUN" | grep -q "^peer $PUBC endpoint=10.99.2.2:[0-9]* allowed_ips=10.8.0.3/32 handshake=$hs_c rx=[1-9]" ||
        die "show after C's handshake: $("$TOOL" show "$IFA" --uapi-dir "$WG_RUN")"

echo "PASS"
