#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The peer lifecycle against a running bridge, for real: nfswgd --no-networkd in a network namespace
# with a wireguard-go device, two clients (one, two) in their own namespaces configured from the
# configs nfswg prints. Without systemd the CLI (run with --root) does not reload; this script sends
# the daemon SIGHUP, which is what nfswg@.service's ExecReload= does.
#
# Proves: peer disable cuts client one at once (WireGuard, table, exports) while client two's ping
# loses nothing, and peer enable gives it back unchanged; Expires= a few seconds ahead cuts client
# one at that time, logged once, client two undisturbed; rotate-key refuses client two's old key at
# once and its new config works; rename keeps client two working without a lost packet. Root only; exits 77 (skip) without root
# or the tools.
set -u
. "$(dirname "$0")/lib.sh"

need_root
need_tools wireguard-go wg nft ip python3 ping
for b in "$NFSWG" "$NFSWGD"; do
        [ -x "$b" ] || skip "$b not built"
done

T=$(mktemp -d /tmp/nfswg-t-life.XXXXXX)
NAME=l$$
NSB=nfswg-t-life-$$-b
NS1=nfswg-t-life-$$-1
NS2=nfswg-t-life-$$-2
IFB=nflb$$
IF1=nfl1$$
IF2=nfl2$$
IFB=${IFB:0:15}
IF1=${IF1:0:15}
IF2=${IF2:0:15}
PORT=51878

inb() { ip netns exec "$NSB" "$@"; }
in1() { ip netns exec "$NS1" "$@"; }
in2() { ip netns exec "$NS2" "$@"; }

new_ns "$NSB" "$NS1" "$NS2"
veth "$NSB" "v$$b1" 192.168.87.1/24 "$NS1" "v$$c1" 192.168.87.2/24
veth "$NSB" "v$$b2" 192.168.88.1/24 "$NS2" "v$$c2" 192.168.88.2/24
in2 ip route add 192.168.87.1/32 via 192.168.88.1

start_wggo "$NSB" "$IFB"
start_wggo "$NS1" "$IF1"
start_wggo "$NS2" "$IF2"

R=$T/root
mkdir -p "$R"
"$NFSWG" --root "$R" init "$NAME" --address 10.87.0.1/24 --port "$PORT" --endpoint "192.168.87.1:$PORT" \
        >"$T/init.out" 2>&1 || { echo "FAIL: nfswg init"; cat "$T/init.out"; exit 1; }
sed -i "s|^Mode=embedded\$|&\nInterface=$IFB|" "$R/etc/nfswg/$NAME.conf"
D=$R/etc/nfswg/$NAME.conf.d

# configure_client NS IFNAME CONFIG: what wg-quick up would do with the printed config
configure_client() {
        local ns=$1 ifname=$2 conf=$3 addr
        addr=$(sed -n 's/^Address = //p' "$conf")
        grep -v -E '^(#|Address|MTU|DNS)' "$conf" >"$conf.wg"
        ip netns exec "$ns" wg setconf "$ifname" "$conf.wg" &&
                ip netns exec "$ns" ip addr add "$addr" dev "$ifname" &&
                ip netns exec "$ns" ip link set "$ifname" up mtu 1380 &&
                ip netns exec "$ns" ip route add 10.87.0.0/24 dev "$ifname"
}
# reconfigure_client NS IFNAME CONFIG: the new key of a rotated config on the same device
reconfigure_client() {
        local ns=$1 ifname=$2 conf=$3
        grep -v -E '^(#|Address|MTU|DNS)' "$conf" >"$conf.wg"
        ip netns exec "$ns" wg setconf "$ifname" "$conf.wg"
}
pub_of() { sed -n 's/^PrivateKey = //p' "$1" | wg pubkey; }
on_device() { inb wg show "$IFB" peers | grep -qx "$1"; }
exported_to() { grep -q "$1/32(" "$R/etc/exports.d/nfswg-$NAME.exports"; }
in_table() { inb nft list table inet "nfswg_$NAME" | grep -q "$1"; }

"$NFSWG" --root "$R" peer add "$NAME" one >"$T/one.conf" 2>"$T/one.err"
"$NFSWG" --root "$R" peer add "$NAME" two >"$T/two.conf" 2>"$T/two.err"
check "two peers added" grep -q "^PrivateKey = " "$T/two.conf"
ONE_PUB=$(pub_of "$T/one.conf")

exportfs_stub
start_notify_reader
NOTIFY_SOCKET=$T/notify.sock NFSWG_POLL_SEC=1 NFSWG_EXPORTFS=$T/exportfs \
        ip netns exec "$NSB" "$NFSWGD" --root "$R" --no-networkd "$NAME" >"$T/daemon.log" 2>&1 &
DAEMON=$!
wait_notify "READY=1" 1 15 || die "the daemon did not become ready" "$T/daemon.log"
pass "daemon ready"
configure_client "$NS1" "$IF1" "$T/one.conf" || fail "client one configured"
configure_client "$NS2" "$IF2" "$T/two.conf" || fail "client two configured"
check "client one pings the bridge" quiet in1 ping -c 2 -W 2 10.87.0.1
check "client two pings the bridge" quiet in2 ping -c 2 -W 2 10.87.0.1

# ---- disable / enable while client two's ping flows --------------------------------------------------
in2 ping -i 0.05 -c 300 -W 1 10.87.0.1 >"$T/ping2.log" 2>&1 &
PING=$!
sleep 1
cp "$D/peer-one.conf" "$T/one.dropin"
"$NFSWG" --root "$R" peer disable "$NAME" one >"$T/disable.out" 2>&1
check "peer disable one" grep -q "^Disabled=yes$" "$D/peer-one.conf"
check "the daemon reloads the disabled peer" hup_daemon 15
check "client one is gone from the device" sh -c "! ip netns exec $NSB wg show $IFB peers | grep -qx '$ONE_PUB'"
check "client one is gone from the exports" sh -c "! grep -q '10.87.0.2/32(' $R/etc/exports.d/nfswg-$NAME.exports"
check "client one is gone from the table's peer sets" sh -c "! ip netns exec $NSB nft list table inet nfswg_$NAME | grep -q '10.87.0.2'"
check "client one can no longer ping" sh -c "! ip netns exec $NS1 ping -c 2 -W 1 10.87.0.1 >/dev/null"
check "client two is still exported to" exported_to 10.87.0.3
inb "$NFSWG" --root "$R" peer list "$NAME" >"$T/list.out" 2>&1
check "peer list shows one disabled" grep -qE '^one .* disabled ' "$T/list.out"

"$NFSWG" --root "$R" peer enable "$NAME" one >"$T/enable.out" 2>&1
check "peer enable gives the drop-in back unchanged" cmp -s "$D/peer-one.conf" "$T/one.dropin"
check "the daemon reloads the enabled peer" hup_daemon 15
check "client one is back on the device" on_device "$ONE_PUB"
check "client one is exported to again" exported_to 10.87.0.2
# The client still holds the session the bridge forgot: WireGuard starts a new handshake when its
# data goes unanswered for Keepalive-Timeout + Rekey-Timeout (15 s, the WireGuard paper, 6.5).
check "client one pings again (within 20 s)" quiet in1 ping -c 1 -w 20 10.87.0.1
wait "$PING"
check "client two's ping lost no packet during disable and enable" grep -q " 0% packet loss" "$T/ping2.log"

# ---- Expires= a few seconds ahead: the daemon cuts client one at that time, by itself --------------------
AT=$(($(date +%s) + 10))
AT_UTC=$(date -u -d "@$AT" +%Y-%m-%dT%H:%M:%SZ)
echo "Expires=$AT_UTC" >>"$D/peer-one.conf"
check "the daemon reloads the peer with Expires=" hup_daemon 15
check "client one still works before its Expires=" quiet in1 ping -c 1 -w 20 10.87.0.1
in2 ping -i 0.05 -c 300 -W 1 10.87.0.1 >"$T/ping2b.log" 2>&1 &
PING=$!
check "client one is removed from the device once Expires= passed" wait_until 15 sh -c "! ip netns exec $NSB wg show $IFB peers | grep -qx '$ONE_PUB'"
GONE=$(date +%s)
check "... not before its time ($GONE >= $AT) and within 3 s ($GONE <= $((AT + 3)))" [ "$GONE" -ge "$AT" -a "$GONE" -le $((AT + 3)) ]
check "the expiry is logged once" [ "$(grep -c "peer one expired (Expires=$AT_UTC): it has no access." "$T/daemon.log")" = 1 ]
check "client one is gone from the exports" sh -c "! grep -q '10.87.0.2/32(' $R/etc/exports.d/nfswg-$NAME.exports"
check "client one can no longer ping" sh -c "! ip netns exec $NS1 ping -c 2 -W 1 10.87.0.1 >/dev/null"
check "a reload does not log the expiry again" hup_daemon 15
check "... still once" [ "$(grep -c "peer one expired" "$T/daemon.log")" = 1 ]
inb "$NFSWG" --root "$R" peer list "$NAME" >"$T/list2.out" 2>&1
check "peer list shows one expired" grep -qE '^one .* expired ' "$T/list2.out"
wait "$PING"
check "client two's ping lost no packet during the expiry" grep -q " 0% packet loss" "$T/ping2b.log"

# ---- rotate-key: the old key is refused at once, the new config works, the others lose nothing -----------
# Client one back (its Expires= taken out) to be the other peer that must not notice.
sed -i '/^Expires=/d' "$D/peer-one.conf"
check "the daemon reloads client one without Expires=" hup_daemon 15
check "client one pings again (within 20 s)" quiet in1 ping -c 1 -w 20 10.87.0.1
in1 ping -i 0.05 -c 200 -W 1 10.87.0.1 >"$T/ping1r.log" 2>&1 &
PING=$!
sleep 1
TWO_OLD=$(pub_of "$T/two.conf")
"$NFSWG" --root "$R" peer rotate-key "$NAME" two >"$T/two-new.conf" 2>"$T/rotate.out"
TWO_NEW=$(pub_of "$T/two-new.conf")
check "rotate-key printed a config with a new key" [ -n "$TWO_NEW" -a "$TWO_NEW" != "$TWO_OLD" ]
check "the daemon reloads the new key" hup_daemon 15
wait "$PING"
check "client one's ping lost no packet during two's key rotation" grep -q " 0% packet loss" "$T/ping1r.log"
check "the old key is gone from the device" sh -c "! ip netns exec $NSB wg show $IFB peers | grep -qx '$TWO_OLD'"
check "the new key is on the device" on_device "$TWO_NEW"
check "client two with its old key can no longer ping" sh -c "! ip netns exec $NS2 ping -c 2 -W 1 10.87.0.1 >/dev/null"
reconfigure_client "$NS2" "$IF2" "$T/two-new.conf" || fail "client two reconfigured with the new key"
check "client two with the new config pings" quiet in2 ping -c 1 -w 10 10.87.0.1
check "the bridge saw the new key's handshake" \
        sh -c "ip netns exec $NSB wg show $IFB latest-handshakes | awk '\$1 == \"$TWO_NEW\" && \$2 > 0' | grep -q ."
check "client two is still exported to" exported_to 10.87.0.3

# ---- rename keeps the peer working ------------------------------------------------------------------
in2 ping -i 0.05 -c 200 -W 1 10.87.0.1 >"$T/ping2c.log" 2>&1 &
PING=$!
sleep 1
"$NFSWG" --root "$R" peer rename "$NAME" two deux >"$T/rename.out" 2>&1
check "peer rename two deux" [ -e "$D/peer-deux.conf" -a ! -e "$D/peer-two.conf" ]
check "the daemon reloads the renamed peer" hup_daemon 15
check "the key is still on the device" on_device "$TWO_NEW"
check "client two (now deux) is still exported to" exported_to 10.87.0.3
wait "$PING"
check "client two's ping lost no packet during the rename" grep -q " 0% packet loss" "$T/ping2c.log"
inb "$NFSWG" --root "$R" peer list "$NAME" >"$T/list3.out" 2>&1
check "peer list shows deux" grep -qE '^deux .* enabled ' "$T/list3.out"

kill -TERM "$DAEMON"; wait "$DAEMON"; rc=$?; DAEMON=
check "daemon stops cleanly (exit $rc)" [ "$rc" = 0 ]

if [ "$FAILS" -gt 0 ]; then
        echo "$FAILS check(s) failed"
        for f in one.err two.err disable.out enable.out list.out rotate.out rename.out daemon.log; do echo "== $f"; cat "$T/$f" 2>/dev/null; done
        exit 1
fi
echo "all lifecycle netns checks passed"
