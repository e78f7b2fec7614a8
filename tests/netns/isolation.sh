#!/bin/bash
# SPDX-License-Identifier: MIT
# The table's contract with a host that forwards (net.ipv4.ip_forward=1, IPv6 forwarding on), in
# network namespaces, with real WireGuard tunnels (wireguard-go on every end, set up with wg(8)):
#
#   ns "a" (peer, 10.8.0.2 fd00:8::2) ---\                        /--- veth --- ns "lan" 192.168.93.2
#                                         wg  ns "bridge" (wg tunnel IFB,      fd00:93::2
#   ns "c" (peer, 10.8.0.3 fd00:8::3) ---/    10.8.0.1 fd00:8::1; lan0 192.168.93.1 fd00:93::1)
#
# The bridge is embedded mode, NFSv4 only; its table is applied with nfswg-nft-tool (as nft.sh).
#   - the peers cannot ping, TCP-connect or send UDP to each other through the bridge, either way,
#     IPv4 and IPv6, although the same works before the table exists;
#   - the LAN cannot open a connection to a peer's tunnel address (it could before);
#   - peers reach 2049 and 111 on the bridge, not the side ports (v4-only bridge);
#   - the LAN keeps reaching stand-ins on 2049, 111, 20048, 32765 and 4045 (TCP and UDP, both
#     families) while the table is applied, and loses them with CloseNFSOn=lan0;
#   - a datagram from the LAN claiming a tunnel source address is dropped (the counter moves).
#
# Root only; exits 77 (skip) without root, wireguard-go, wg, nft, ip, python3 or /dev/net/tun.
set -u
. "$(dirname "$0")/lib.sh"

need_root
need_tools wireguard-go wg nft ip python3 ping timeout
need_tun
TOOL=$BUILD/tests/nfswg-nft-tool
need_built "$TOOL"

id=$$
T=$(mktemp -d /tmp/nfswg-t-isolation.XXXXXX)
NSB=nfswg-t-iso-$id-bridge NSA=nfswg-t-iso-$id-a NSC=nfswg-t-iso-$id-c NSL=nfswg-t-iso-$id-lan
IFB=nfib$id IFA=nfia$id IFC=nfic$id
IFB=${IFB:0:15} IFA=${IFA:0:15} IFC=${IFC:0:15}
NAME=tiso ROOT=$T/root
NFS_PORTS=(2049 111 20048 32765 4045)

new_ns "$NSB" "$NSA" "$NSC" "$NSL"
veth "$NSB" wa0 192.168.91.1/24 "$NSA" wb0 192.168.91.2/24
veth "$NSB" wc0 192.168.92.1/24 "$NSC" wb0 192.168.92.2/24
veth "$NSB" lan0 192.168.93.1/24 "$NSL" lan-b 192.168.93.2/24
ip -n "$NSB" addr add fd00:93::1/64 dev lan0 nodad
ip -n "$NSL" addr add fd00:93::2/64 dev lan-b nodad
# the LAN knows the way to the tunnel's networks: the bridge is its router
ip -n "$NSL" route add 10.8.0.0/24 via 192.168.93.1
ip -n "$NSL" -6 route add fd00:8::/64 via fd00:93::1
# a router, whatever nfswg thinks of it
in_ns "$NSB" sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || die "cannot enable forwarding"

# ---- WireGuard: the bridge and two peers -------------------------------------------------------
umask 077
for n in b a c; do
        wg genkey >"$T/$n.key"
        wg pubkey <"$T/$n.key" >"$T/$n.pub"
done
umask 022
PUBB=$(cat "$T/b.pub") PUBA=$(cat "$T/a.pub") PUBC=$(cat "$T/c.pub")

wg_device() { # NS IFNAME KEYFILE ADDR4 ADDR6 [PORT]
        start_wggo "$1" "$2"
        in_ns "$1" wg set "$2" private-key "$3" ${6:+listen-port "$6"}
        ip -n "$1" addr add "$4" dev "$2"
        ip -n "$1" addr add "$5" dev "$2" nodad
        ip -n "$1" link set "$2" up mtu 1380
}
wg_device "$NSB" "$IFB" "$T/b.key" 10.8.0.1/24 fd00:8::1/64 51820
wg_device "$NSA" "$IFA" "$T/a.key" 10.8.0.2/24 fd00:8::2/64
wg_device "$NSC" "$IFC" "$T/c.key" 10.8.0.3/24 fd00:8::3/64
in_ns "$NSB" wg set "$IFB" peer "$PUBA" allowed-ips 10.8.0.2/32,fd00:8::2/128 \
        peer "$PUBC" allowed-ips 10.8.0.3/32,fd00:8::3/128
# each peer routes the whole tunnel network and the LAN through the bridge, as a client config
# with a wide AllowedIPs would
in_ns "$NSA" wg set "$IFA" peer "$PUBB" endpoint 192.168.91.1:51820 persistent-keepalive 1 \
        allowed-ips 10.8.0.0/24,fd00:8::/64,192.168.93.0/24,fd00:93::/64
in_ns "$NSC" wg set "$IFC" peer "$PUBB" endpoint 192.168.92.1:51820 persistent-keepalive 1 \
        allowed-ips 10.8.0.0/24,fd00:8::/64,192.168.93.0/24,fd00:93::/64
ip -n "$NSA" route add 192.168.93.0/24 dev "$IFA"
ip -n "$NSA" -6 route add fd00:93::/64 dev "$IFA"
ip -n "$NSC" route add 192.168.93.0/24 dev "$IFC"
ip -n "$NSC" -6 route add fd00:93::/64 dev "$IFC"

# ---- listeners and probes ----------------------------------------------------------------------
# listen.py LOG PORT...: dual-stack TCP (accept, close) and UDP (echo) on every port; logs
# "tcp|udp PORT SOURCE" per connection or datagram
cat >"$T/listen.py" <<'PY'
import selectors, socket, sys
log = open(sys.argv[1], "a", buffering=1)
sel = selectors.DefaultSelector()
for p in sys.argv[2:]:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET6, kind)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", int(p)))
        if kind == socket.SOCK_STREAM:
            s.listen(64)
        sel.register(s, selectors.EVENT_READ)
log.write("listening\n")
while True:
    for key, _ in sel.select():
        s = key.fileobj
        port = s.getsockname()[1]
        if s.type == socket.SOCK_STREAM:
            c, a = s.accept()
            log.write("tcp %d %s\n" % (port, a[0].removeprefix("::ffff:")))
            c.close()
        else:
            data, a = s.recvfrom(2048)
            log.write("udp %d %s\n" % (port, a[0].removeprefix("::ffff:")))
            s.sendto(data, a)
PY
# probe.py tcp|udp DST PORT [SRC]: a TCP connect, or a UDP datagram answered, within 1 s
cat >"$T/probe.py" <<'PY'
import socket, sys
proto, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
src = sys.argv[4] if len(sys.argv) > 4 else None
family = socket.AF_INET6 if ":" in dst else socket.AF_INET
try:
    if proto == "tcp":
        socket.create_connection((dst, port), timeout=1, source_address=(src, 0) if src else None).close()
    else:
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.settimeout(1)
        if src:
            s.bind((src, 0))
        s.sendto(b"probe", (dst, port))
        s.recvfrom(64)
except OSError:
    sys.exit(1)
PY
listener() { # NS LOG PORT...
        local ns=$1 log=$2
        shift 2
        bg ip netns exec "$ns" python3 "$T/listen.py" "$log" "$@" >>"$T/listeners.err" 2>&1
        wait_until 5 grep -q listening "$log" 2>/dev/null || die "listener in $ns did not start" "$T/listeners.err"
}
reaches() { in_ns "$1" timeout 5 python3 "$T/probe.py" "$2" "$3" "$4" ${5:+"$5"}; } # NS PROTO DST PORT [SRC]
refused() { ! reaches "$@"; }
pings() { in_ns "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; } # NS DST
no_ping() { ! pings "$@"; }
# seen LOG PROTO PORT SRC: how many times the listener logged that
seen() { grep -c "^$2 $3 $4\$" "$1"; }
counter() { in_ns "$NSB" "$TOOL" counters "$NAME" | sed -n "s/^$1=//p"; } # NAME_packets

# stand-ins for the host's own NFS service (nfsd, rpcbind, mountd, statd, lockd) and a non-NFS port
listener "$NSB" "$T/bridge.log" "${NFS_PORTS[@]}" 8080
listener "$NSA" "$T/a.log" 9000
listener "$NSC" "$T/c.log" 9000
listener "$NSL" "$T/lan.log" 9000

wait_until 10 pings "$NSA" 10.8.0.1 || die "tunnel a does not come up" "$T/wggo-$IFA.log"
wait_until 10 pings "$NSC" 10.8.0.1 || die "tunnel c does not come up" "$T/wggo-$IFC.log"

# ---- before the table: the host forwards between peers and from the LAN ------------------------
# (what the checks below refuse does work without the table: they cannot pass by accident)
check "before: a pings c" pings "$NSA" 10.8.0.3
check "before: c pings a over IPv6" pings "$NSC" fd00:8::2
check "before: a connects to c" reaches "$NSA" tcp 10.8.0.3 9000
check "before: lan connects to a's tunnel address" reaches "$NSL" tcp 10.8.0.2 9000
check "before: a reaches mountd's stand-in on the bridge" reaches "$NSA" tcp 10.8.0.1 20048
in_ns "$NSL" ip addr add 10.8.0.77/32 dev lo
in_ns "$NSL" timeout 5 python3 "$T/probe.py" udp 192.168.93.1 8080 10.8.0.77 || true
check "before: a datagram from the lan claiming 10.8.0.77 arrives" test "$(seen "$T/bridge.log" udp 8080 10.8.0.77)" -ge 1

# ---- the table ---------------------------------------------------------------------------------
mkdir -p "$ROOT/etc/nfswg"
write_conf() { # [CloseNFSOn= value]
        cat >"$ROOT/etc/nfswg/$NAME.conf" <<EOF
[Bridge]
Mode=embedded
Interface=$IFB
Address=10.8.0.1/24
Address=fd00:8::1/64
ListenPort=51820
NFSVersions=4.2
${1:+CloseNFSOn=$1}

[NFS]
MountdPort=20048
StatdPort=32765
StatdOutgoingPort=32766
LockdPort=4045

[Export]
Path=/srv/nfswg
Peers=*

[Peer]
Name=a
PublicKey=$PUBA
Address=10.8.0.2/32
Address=fd00:8::2/128

[Peer]
Name=c
PublicKey=$PUBC
Address=10.8.0.3/32
Address=fd00:8::3/128
EOF
}
write_conf ""
check "apply" in_ns "$NSB" "$TOOL" apply "$ROOT" "$NAME"

# peer to peer, both ways, both families, ping, TCP and UDP: nothing gets through
for pair in "$NSA 10.8.0.3 c" "$NSC 10.8.0.2 a" "$NSA fd00:8::3 c" "$NSC fd00:8::2 a"; do
        read -r ns dst to <<<"$pair"
        check "peer -> $dst (peer $to): no ping" no_ping "$ns" "$dst"
        check "peer -> $dst (peer $to): no TCP connection" refused "$ns" tcp "$dst" 9000
        before=$(grep -c "^udp 9000 " "$T/$to.log")
        refused "$ns" udp "$dst" 9000
        check "peer -> $dst (peer $to): no UDP datagram arrives" test "$(grep -c "^udp 9000 " "$T/$to.log")" = "$before"
done
check "fwd_refused counted the peer-to-peer drops" test "$(counter forward_refused_packets)" -gt 0

# the LAN towards a peer: no connection opens, nothing is pinged
for dst in 10.8.0.2 fd00:8::2; do
        check "lan -> peer $dst: no TCP connection" refused "$NSL" tcp "$dst" 9000
        check "lan -> peer $dst: no ping" no_ping "$NSL" "$dst"
done
before=$(grep -c "^udp 9000 " "$T/a.log")
refused "$NSL" udp 10.8.0.2 9000
check "lan -> peer: no UDP datagram arrives" test "$(grep -c "^udp 9000 " "$T/a.log")" = "$before"

# the peers and the bridge itself: NFS to the peers' own bridge, side ports closed (v4-only)
check "peer -> bridge: still pings" pings "$NSA" 10.8.0.1
check "peer -> bridge: non-NFS port 8080 still open" reaches "$NSA" tcp 10.8.0.1 8080
for port in 2049 111; do
        check "peer -> bridge $port/tcp accepted" reaches "$NSA" tcp 10.8.0.1 $port
        check "peer -> bridge [fd00:8::1]:$port/udp accepted" reaches "$NSC" udp fd00:8::1 $port
done
for port in 20048 32765 4045; do
        check "peer -> bridge $port/tcp refused (NFSv4-only bridge)" refused "$NSA" tcp 10.8.0.1 $port
        check "peer -> bridge $port/udp refused (NFSv4-only bridge)" refused "$NSA" udp 10.8.0.1 $port
done
check "nfs_refused counted the side ports" test "$(counter refused_packets)" -gt 0

# the host's LAN keeps its NFS service while the bridge runs
for port in "${NFS_PORTS[@]}"; do
        for proto in tcp udp; do
                check "lan -> bridge 192.168.93.1:$port/$proto still served" reaches "$NSL" $proto 192.168.93.1 $port
                check "lan -> bridge [fd00:93::1]:$port/$proto still served" reaches "$NSL" $proto fd00:93::1 $port
        done
done

# a tunnel source address from the LAN is dropped, and counted
spoofed=$(counter spoofed_packets)
before=$(seen "$T/bridge.log" udp 8080 10.8.0.77)
in_ns "$NSL" timeout 5 python3 "$T/probe.py" udp 192.168.93.1 8080 10.8.0.77 || true
check "lan claiming 10.8.0.77: dropped" test "$(seen "$T/bridge.log" udp 8080 10.8.0.77)" = "$before"
check "lan claiming 10.8.0.77: spoofed counter moved" test "$(counter spoofed_packets)" -gt "$spoofed"
check "lan's own address still reaches 8080" reaches "$NSL" udp 192.168.93.1 8080

# ---- CloseNFSOn=lan0: the host asked to shut NFS on that side ----------------------------------
write_conf lan0
check "apply with CloseNFSOn=lan0" in_ns "$NSB" "$TOOL" apply "$ROOT" "$NAME"
refused_before=$(counter refused_packets)
for port in "${NFS_PORTS[@]}"; do
        for proto in tcp udp; do
                check "CloseNFSOn: lan -> 192.168.93.1:$port/$proto refused" refused "$NSL" $proto 192.168.93.1 $port
                check "CloseNFSOn: lan -> [fd00:93::1]:$port/$proto refused" refused "$NSL" $proto fd00:93::1 $port
        done
done
check "CloseNFSOn: nfs_refused counted" test "$(counter refused_packets)" -gt "$refused_before"
check "CloseNFSOn: lan -> non-NFS 8080 still open" reaches "$NSL" tcp 192.168.93.1 8080
check "CloseNFSOn: peers still reach 2049" reaches "$NSA" tcp 10.8.0.1 2049

check "remove" in_ns "$NSB" "$TOOL" remove "$NAME"
check "after remove: lan -> 2049 served again" reaches "$NSL" tcp 192.168.93.1 2049

if [ "$FAILS" -gt 0 ]; then
        echo "$FAILS check(s) failed"
        exit 1
fi
echo "all checks passed"
