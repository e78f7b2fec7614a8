#!/bin/bash
# SPDX-License-Identifier: MIT
# The nftables table applied for real in fresh network namespaces and probed with real TCP
# connections over veth pairs:
#
#   ns "peer" --- veth (the tunnel's stand-in, named like Bridge.Interface) --- ns "bridge" --- veth --- ns "wan"
#     10.8.0.2 (listed), 10.8.0.66 (unlisted)        10.8.0.1 / fd00:8::1    192.0.2.1      192.0.2.2
#     fd00:8::2 (listed), fd00:8::66 (unlisted)
#
# The table governs the tunnel only: the wan keeps reaching the host's NFS ports (the host's own
# firewall decides there; tests/netns/isolation.sh covers CloseNFSOn= and anti-spoofing).
#
# Later a second bridge comes to the same host, as `systemctl start nfswg@tnft2` would bring it:
# its config, its tunnel (another veth from ns "peer2": 10.9.0.2 listed, 10.9.0.66 not) and its
# table, while the first bridge's table stays as applied. The veths are no daemon's: the test puts
# them in the link group the way networkd does from the rendered .network's Group= (the daemon
# does it itself for the devices it configures: tests/netns/daemon.sh).
#
# Needs root; exits 77 (skip) otherwise. Touches only the namespaces it creates.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_root
unshare -n true 2>/dev/null || skip "needs network namespaces"
need_tools ip nft python3
TOOL=$BUILD/tests/nfswg-nft-tool
need_built "$TOOL" "$NFSWG"

NS=nfswg-t-nft-$$
B=$NS-bridge P=$NS-peer W=$NS-wan P2=$NS-peer2
IFACE=nfswgt$$ IFACE2=nfswgu$$
IFACE=${IFACE:0:15} IFACE2=${IFACE2:0:15}
NAME=tnft NAME2=tnft2
T=$(mktemp -d /tmp/nfswg-t-nft.XXXXXX)
ROOT=$T/root

inb() { ip netns exec "$B" "$@"; }

new_ns "$B" "$P" "$W" "$P2"
veth "$B" "$IFACE" 10.8.0.1/24 "$P" tun-p 10.8.0.2/24
veth "$B" wan0 192.0.2.1/24 "$W" wan-w 192.0.2.2/24
ip -n "$B" addr add fd00:8::1/64 dev "$IFACE" nodad
ip -n "$P" addr add 10.8.0.66/24 dev tun-p
ip -n "$P" addr add fd00:8::2/64 dev tun-p nodad
ip -n "$P" addr add fd00:8::66/64 dev tun-p nodad
# the wan side may know the tunnel's addresses (reaching them from there is the host firewall's business)
ip -n "$W" route add 10.8.0.0/24 via 192.0.2.1

# Stand-ins for nfsd (2049), rpcbind (111), mountd (20048), and a non-NFS service (8080) that the
# table must leave alone. One dual-stack listener per port; connections are accepted and closed.
bg ip netns exec "$B" python3 -c '
import selectors, socket, sys
sel = selectors.DefaultSelector()
for port in (2049, 111, 20048, 8080):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port)); s.listen(64); sel.register(s, selectors.EVENT_READ)
print("listening", flush=True)
while True:
    for key, _ in sel.select():
        c, _ = key.fileobj.accept(); c.close()
'

# probe NS SRC DST PORT: a TCP connect within 1 s (a dropped SYN times out)
probe() {
        ip netns exec "$1" python3 -c '
import socket, sys
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    socket.create_connection((dst, port), timeout=1, source_address=(src, 0)).close()
except OSError:
    sys.exit(1)
' "$2" "$3" "$4"
}

mkdir -p "$ROOT/etc/nfswg"
cat >"$ROOT/etc/nfswg/$NAME.conf" <<EOF
[Bridge]
Mode=embedded
Interface=$IFACE
Address=10.8.0.1/24
Address=fd00:8::1/64
ListenPort=51820
NFSVersions=4.2 3

[NFS]
MountdPort=20048

[Export]
Path=/srv/nfswg
Peers=*

[Peer]
Name=laptop
PublicKey=YZAhfZcZrK6gUBSw/WdXUvJ0e91CSW7ZCz1OV6EsNHw=
Address=10.8.0.2/32
Address=fd00:8::2/128

[Peer]
Name=phone
PublicKey=8NzSZ1CiffUGAQgGGyDxf5lPa7URfWWpkJGbd3pMt0w=
Address=10.8.0.3/32
EOF

# link_group_as_networkd NAME IFNAME: the link group the bridge's rendered .network gives its
# tunnel (Group=), set on the stand-in as networkd would; prints the group
link_group_as_networkd() {
        local group
        "$NFSWG" --root "$ROOT" render "$1" >/dev/null || return 1
        group=$(sed -n 's/^Group=//p' "$ROOT/run/systemd/network/50-nfswg-$1.network")
        [ -n "$group" ] && ip -n "$B" link set dev "$2" group "$group" && echo "$group"
}
# The bridge's own tunnel is in the group too: the unlisted-address checks below prove the group
# does not open it.
GROUP=$(link_group_as_networkd "$NAME" "$IFACE") || die "no Group= in the rendered .network of $NAME"

# Someone else's table, there before us and untouched throughout.
inb nft -f - <<'EOF'
table inet other {
        set keep { type ipv4_addr; elements = { 198.51.100.7 } }
        chain c { type filter hook input priority 0; policy accept; ip saddr @keep accept; }
}
EOF
OTHER=$(inb nft -j list table inet other)
other_untouched() { [ "$(inb nft -j list table inet other)" = "$OTHER" ]; }

# Wait for the listener, then make sure everything connects before our table exists.
for _ in $(seq 50); do probe "$W" 192.0.2.2 192.0.2.1 8080 && break; sleep 0.1; done
for port in 2049 111 20048; do
        check "before apply: wan reaches $port" probe "$W" 192.0.2.2 192.0.2.1 $port
        check "before apply: wan reaches 10.8.0.1:$port" probe "$W" 192.0.2.2 10.8.0.1 $port
        check "before apply: unlisted tunnel address reaches $port" probe "$P" 10.8.0.66 10.8.0.1 $port
done

check "apply" inb "$TOOL" apply "$ROOT" "$NAME"
check "table exists" inb nft list table inet "nfswg_$NAME" >/dev/null

for port in 2049 111 20048; do
        check "listed peer 10.8.0.2 -> $port accepted" probe "$P" 10.8.0.2 10.8.0.1 $port
        check "listed peer fd00:8::2 -> $port accepted" probe "$P" fd00:8::2 fd00:8::1 $port
        if probe "$P" 10.8.0.66 10.8.0.1 $port; then fail "unlisted 10.8.0.66 -> $port refused"; else pass "unlisted 10.8.0.66 -> $port refused"; fi
        if probe "$P" fd00:8::66 fd00:8::1 $port; then fail "unlisted fd00:8::66 -> $port refused"; else pass "unlisted fd00:8::66 -> $port refused"; fi
        # the host's other interfaces are the host firewall's business, not the table's
        check "wan -> $port still accepted" probe "$W" 192.0.2.2 192.0.2.1 $port
done
check "wan -> non-NFS port 8080 still accepted" probe "$W" 192.0.2.2 192.0.2.1 8080
check "unlisted -> non-NFS port 8080 still accepted" probe "$P" 10.8.0.66 10.8.0.1 8080
check "loopback -> 111 accepted" probe "$B" 127.0.0.1 127.0.0.1 111
# the host talks to its own tunnel address over lo: no spoofing, however it looks
check "the host's own tunnel address over lo -> 2049 accepted" probe "$B" 10.8.0.1 10.8.0.1 2049

counter() { inb "$TOOL" counters "$NAME" | sed -n "s/^$1=//p"; }
check "nfs_accepted counted" test "$(counter accepted_packets)" -gt 0
check "nfs_refused counted" test "$(counter refused_packets)" -gt 0
check "nft shows the same counter" bash -c "ip netns exec $B nft list counter inet nfswg_$NAME nfs_refused | grep -q 'packets $(counter refused_packets) '"

# Applying again gives the identical ruleset (handles aside: a new table gets new ones).
check "apply again" inb "$TOOL" apply "$ROOT" "$NAME"
FIRST=$(inb nft -j list table inet "nfswg_$NAME" | json_strip handle)
check "apply a third time" inb "$TOOL" apply "$ROOT" "$NAME"
SECOND=$(inb nft -j list table inet "nfswg_$NAME" | json_strip handle)
check "re-apply gives the identical ruleset" test "$FIRST" = "$SECOND"
if probe "$P" 10.8.0.66 10.8.0.1 2049; then fail "re-apply keeps refusing unlisted tunnel addresses"; else pass "re-apply keeps refusing unlisted tunnel addresses"; fi

# A failing batch (the real one plus an extra peer plus a message the kernel refuses) leaves the
# ruleset exactly as it was: same handles, same counters, no extra element.
probe "$P" 10.8.0.66 10.8.0.1 2049 || true
BEFORE=$(inb nft -j list table inet "nfswg_$NAME")
check "batch-fail is refused by the kernel" inb "$TOOL" batch-fail "$ROOT" "$NAME"
AFTER=$(inb nft -j list table inet "nfswg_$NAME")
check "a failed batch leaves the ruleset identical" test "$BEFORE" = "$AFTER"
check "the extra address did not slip in" bash -c "! ip netns exec $B nft list set inet nfswg_$NAME peers4 | grep -q 10.254.254.254"

# The live path: one address in, then out again.
check "add-peer 10.8.0.66" inb "$TOOL" add-peer "$NAME" 10.8.0.66/32
check "added peer accepted" probe "$P" 10.8.0.66 10.8.0.1 2049
check "other peers untouched by add" probe "$P" 10.8.0.2 10.8.0.1 2049
check "del-peer 10.8.0.66" inb "$TOOL" del-peer "$NAME" 10.8.0.66/32
if probe "$P" 10.8.0.66 10.8.0.1 2049; then fail "removed peer refused"; else pass "removed peer refused"; fi
check "other peers untouched by del" probe "$P" 10.8.0.2 10.8.0.1 2049
if inb "$TOOL" del-peer "$NAME" 10.8.0.66/32 2>/dev/null; then fail "del of a missing address fails"; else pass "del of a missing address fails"; fi
check "peers4 back to the configured peers" bash -c \
        "ip netns exec $B nft -j list set inet nfswg_$NAME peers4 | python3 -c 'import json,sys; s=[o[\"set\"] for o in json.load(sys.stdin)[\"nftables\"] if \"set\" in o][0]; assert s[\"elem\"] == [\"10.8.0.2\", \"10.8.0.3\"], s[\"elem\"]'"

# ---- a second bridge, added after the first one's table was applied ----------------------------
# The first table is not applied again: the new tunnel is none of its business, so the new
# bridge's NFS is governed by the new bridge's table alone.
TABLE1=$(inb nft -j list table inet "nfswg_$NAME" | json_strip packets bytes)
PUB2=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
cat >"$ROOT/etc/nfswg/$NAME2.conf" <<EOF
[Bridge]
Mode=embedded
Interface=$IFACE2
Address=10.9.0.1/24
ListenPort=51821

[Export]
Path=/srv/nfswg
Peers=*

[Peer]
Name=site
PublicKey=$PUB2
Address=10.9.0.2/32
EOF
veth "$B" "$IFACE2" 10.9.0.1/24 "$P2" tun-p2 10.9.0.2/24
ip -n "$P2" addr add 10.9.0.66/24 dev tun-p2
# before its own table: the first table leaves the new tunnel alone
check "second tunnel before its table -> 2049 not the first table's business" probe "$P2" 10.9.0.66 10.9.0.1 2049
check "second bridge's link in group $GROUP, as its .network says" \
        test "$(link_group_as_networkd "$NAME2" "$IFACE2")" = "$GROUP"
check "ip link show group $GROUP lists both tunnels and nothing else" \
        test "$(ip -n "$B" -o link show group "$GROUP" | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | tr '\n' ' ')" = \
        "$(printf '%s\n' "$IFACE" "$IFACE2" | sort | tr '\n' ' ')"
check "ip -d link show: group $GROUP" bash -c "ip -n $B -d link show dev $IFACE2 | grep -q ' group $GROUP '"
check "apply the second bridge" inb "$TOOL" apply "$ROOT" "$NAME2"
for port in 2049 111; do
        check "second bridge's peer 10.9.0.2 -> $port accepted (first table not reloaded)" probe "$P2" 10.9.0.2 10.9.0.1 $port
        if probe "$P2" 10.9.0.66 10.9.0.1 $port; then fail "second tunnel's unlisted 10.9.0.66 -> $port refused"; else pass "second tunnel's unlisted 10.9.0.66 -> $port refused"; fi
        if probe "$P" 10.8.0.66 10.8.0.1 $port; then fail "first tunnel's unlisted -> $port still refused"; else pass "first tunnel's unlisted -> $port still refused"; fi
        check "first tunnel's peer -> $port still accepted" probe "$P" 10.8.0.2 10.8.0.1 $port
done
check "second table counted its peer" test "$(inb "$TOOL" counters "$NAME2" | sed -n 's/^accepted_packets=//p')" -gt 0
check "first table as applied before the second bridge came" \
        test "$(inb nft -j list table inet "nfswg_$NAME" | json_strip packets bytes)" = "$TABLE1"
check "remove the second bridge" inb "$TOOL" remove "$NAME2"

check "other table untouched" other_untouched
check "remove" inb "$TOOL" remove "$NAME"
if inb nft list table inet "nfswg_$NAME" >/dev/null 2>&1; then fail "table gone"; else pass "table gone"; fi
check "remove again (missing table is fine)" inb "$TOOL" remove "$NAME"
if inb "$TOOL" counters "$NAME" >/dev/null 2>&1; then fail "counters of a missing table fail"; else pass "counters of a missing table fail"; fi
check "unlisted tunnel address reaches 2049 again" probe "$P" 10.8.0.66 10.8.0.1 2049
check "other table untouched at the end" other_untouched

if [ "$FAILS" -gt 0 ]; then
        echo "$FAILS check(s) failed"
        exit 1
fi
echo "all checks passed"
