#!/bin/bash
# SPDX-License-Identifier: MIT
#
# nas and relay modes for real, in network namespaces, with the daemon running wireguard-go itself
# (Backend=userspace) and wireguard-go + wg(8) on the far ends:
#   nas:      peer --tunnel--> bridge --veth--> lan (TCP stand-ins on 2049, 111, 20048 and 8080
#             that answer with the address they see). Ports=nfs lets only the NFS ports through,
#             masqueraded; a WireGuard peer the configuration does not list is refused; Ports=all
#             after a reload opens 8080; forwarding is switched on per interface (tunnel + LAN
#             only) and put back on stop; the forward counters move.
#   rpcbind:  nas with To= the NAS itself and no NASPorts=: a real rpcbind in the LAN namespace
#             lists a fake mountd on 20048; the daemon asks it after READY and opens 20048 (and
#             not the unregistered 20049); with rpcbind down at start, 20048 opens once it is up
#             (NFSWG_NAS_RETRY_SEC=1); a reload asks again.
#   relay:    roamer --tunnel--> relay [roam | site-a] --tunnel--> site (LAN 192.168.60.0/24):
#             only with [Forward] To=@site-a, masqueraded or routed (Masquerade=no).
#   failover: site-a's peer has two Endpoint= (two links into the site namespace); the first link
#             goes down, the daemon moves to the second, traffic resumes (time measured), and back.
#
# Root only; exits 77 (skip) without root, wireguard-go, wg, nft, ip, python3 or /dev/net/tun.
set -u
. "$(dirname "$0")/lib.sh"

need_root
need_tools wireguard-go wg nft ip python3 timeout rpcbind unshare
need_tun
RPC_TOOL=$BUILD/tests/nfswg-rpc-tool
need_built "$NFSWGD" "$RPC_TOOL"

id=$$
T=$(mktemp -d /tmp/nfswg-t-modes.XXXXXX)
NSL=nfswg-t-modes-$id-lan NSB=nfswg-t-modes-$id-bridge NSP=nfswg-t-modes-$id-peer NSU=nfswg-t-modes-$id-unlisted
NSR=nfswg-t-modes-$id-relay NSW=nfswg-t-modes-$id-roamer NSS=nfswg-t-modes-$id-site
IFB=nfmb$id IFP=nfmp$id IFU=nfmu$id IFRO=nfmr$id IFSA=nfms$id IFW=nfmw$id IFSITE=nfmx$id
NSL2=nfswg-t-modes-$id-lan2 NSB2=nfswg-t-modes-$id-bridge2 NSP2=nfswg-t-modes-$id-peer2 IFB2=nfmc$id IFP2=nfmq$id

# ---- helpers -----------------------------------------------------------------------------------
# listener NS ADDR LOG PORT...: one process accepting on every port; it logs "PORT PEER" and answers
# each connection with the peer address it sees.
cat >"$T/listen.py" <<'PY'
import selectors, socket, sys
log = open(sys.argv[1], "a", buffering=1)
sel = selectors.DefaultSelector()
for p in sys.argv[3:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[2], int(p)))
    s.listen(16)
    sel.register(s, selectors.EVENT_READ)
log.write("listening\n")
while True:
    for key, _ in sel.select():
        c, a = key.fileobj.accept()
        log.write("%d %s\n" % (key.fileobj.getsockname()[1], a[0]))
        try:
            c.sendall(("%s\n" % a[0]).encode())
        except OSError:
            pass
        c.close()
PY
# connect.py ADDR PORT TIMEOUT: prints the address the listener saw, or fails.
cat >"$T/connect.py" <<'PY'
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3]))
    print(s.recv(64).decode().strip())
except OSError as e:
    print("refused: %s" % e)
    sys.exit(1)
PY
listener() { # NS ADDR LOG PORT...
        local ns=$1 addr=$2 log=$3
        shift 3
        bg ip netns exec "$ns" python3 "$T/listen.py" "$log" "$addr" "$@" >>"$T/listeners.err" 2>&1
        wait_until 5 grep -q listening "$log" 2>/dev/null || die "listener in $ns did not start" "$T/listeners.err"
}
# seen_from NS ADDR PORT: the address the listener saw ("" when the connection failed; 2 s timeout)
seen_from() { in_ns "$1" timeout 5 python3 "$T/connect.py" "$2" "$3" 2 2>/dev/null | grep -v '^refused'; }
refused() { ! in_ns "$1" timeout 5 python3 "$T/connect.py" "$2" "$3" 2 >/dev/null 2>&1; }

# wg_device NS IFNAME KEYFILE PORT|- ADDR: a far end's wireguard-go device, keyed, addressed and up
wg_device() {
        start_wggo "$1" "$2"
        in_ns "$1" wg set "$2" private-key "$3"
        [ "$4" != - ] && in_ns "$1" wg set "$2" listen-port "$4"
        ip -n "$1" addr add "$5" dev "$2"
        ip -n "$1" link set "$2" up mtu 1380
}

newkey() { # FILE: private key, prints the public one
        umask 077; wg genkey >"$1"; umask 022
        wg pubkey <"$1"
}
# bridge_key ROOT NAME: the daemon's key made in advance, so the far ends can be configured first.
bridge_key() {
        install -d -m 0750 "$1/var/lib/nfswg/$2"
        newkey "$1/var/lib/nfswg/$2/private.key"
        chmod 0640 "$1/var/lib/nfswg/$2/private.key"
}

# start_daemon VAR NS ROOT NAME [ENV=VALUE...]: runs nfswgd, its PID in $VAR, output in $T/NAME.log
start_daemon() {
        local var=$1 ns=$2 root=$3 name=$4; shift 4
        env NFSWG_POLL_SEC=1 NFSWG_EXPORTFS=/bin/true "$@" \
                ip netns exec "$ns" "$NFSWGD" --root "$root" "$name" >>"$T/$name.log" 2>&1 &
        local pid=$!
        DAEMONS+=($pid)
        printf -v "$var" %s "$pid"
        for _ in $(seq 200); do
                grep -q "Bridge $name: ready:" "$T/$name.log" && return 0
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
        die "nfswgd $name did not become ready" "$T/$name.log"
}
stop_daemon() { # PID
        kill -TERM "$1"; wait "$1"
}
# reload_daemon PID NAME: SIGHUP, wait for the outcome; returns 1 when refused
reload_daemon() {
        local n
        n=$(grep -c "Bridge $2: \(configuration reloaded\|reload refused\)" "$T/$2.log")
        kill -HUP "$1"
        for _ in $(seq 100); do
                [ "$(grep -c "Bridge $2: \(configuration reloaded\|reload refused\)" "$T/$2.log")" -gt "$n" ] && break
                sleep 0.1
        done
        ! tail -n 5 "$T/$2.log" | grep -q "Bridge $2: reload refused"
}
wait_log() { wait_until "${3:-10}" grep -q -- "$2" "$1"; } # FILE PATTERN [SECONDS]
counter() { # NS TABLE NAME: packets
        in_ns "$1" nft list counter inet "$2" "$3" 2>/dev/null | awk '/packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
forwarding_on() { # NS: the interfaces with net.ipv4.conf.IFACE.forwarding=1, sorted, one line
        in_ns "$1" sh -c 'for f in /proc/sys/net/ipv4/conf/*/forwarding; do [ "$(cat $f)" = 1 ] && basename $(dirname $f); done' | sort | tr '\n' ' '
}

# =================================================================================================
# nas
# =================================================================================================
echo "# nas"
new_ns "$NSL" "$NSB" "$NSP" "$NSU"
veth "$NSB" vbl$id 192.168.50.1/24 "$NSL" vl$id 192.168.50.2/24
veth "$NSB" vbp$id 172.31.1.1/24 "$NSP" vp$id 172.31.1.2/24
veth "$NSB" vbu$id 172.31.2.1/24 "$NSU" vu$id 172.31.2.2/24
listener "$NSL" 192.168.50.2 "$T/lan.log" 2049 111 20048 8080

RN=$T/root-nas
mkdir -p "$RN/etc/nfswg"
BPUB=$(bridge_key "$RN" nas)
PPUB=$(newkey "$T/peer.key")
UPUB=$(newkey "$T/unlisted.key")
write_nas() { # PORTS-LINES
        cat >"$RN/etc/nfswg/nas.conf" <<CONF
[Bridge]
Mode=nas
Backend=userspace
Interface=$IFB
Address=10.50.0.1/24
ListenPort=51850

[Forward]
To=192.168.50.0/24
Masquerade=yes
$1

[Peer]
Name=laptop
PublicKey=$PPUB
Address=10.50.0.2/32
CONF
}
write_nas "Ports=nfs
NASPorts=20048"

FWD_BEFORE=$(forwarding_on "$NSB")
start_daemon DN "$NSB" "$RN" nas
check "nas: forwarding switched on for exactly the tunnel and the LAN side ($(forwarding_on "$NSB"))" \
        [ "$(forwarding_on "$NSB")" = "$(printf '%s\n' $FWD_BEFORE $IFB vbl$id | sort | tr '\n' ' ')" ]
check "nas: host-wide forwarding left alone" \
        [ "$(in_ns "$NSB" cat /proc/sys/net/ipv4/conf/all/forwarding /proc/sys/net/ipv4/ip_forward | tr -d '\n')" = 00 ]

wg_device "$NSP" "$IFP" "$T/peer.key" - 10.50.0.2/24
in_ns "$NSP" wg set "$IFP" peer "$BPUB" endpoint 172.31.1.1:51850 allowed-ips 10.50.0.0/24,192.168.50.0/24
ip -n "$NSP" route add 192.168.50.0/24 dev "$IFP"

for port in 2049 111 20048; do
        check "nas: peer reaches the NAS on $port, seen as the bridge's LAN address (masquerade)" \
                [ "$(seen_from "$NSP" 192.168.50.2 $port)" = 192.168.50.1 ]
done
check "nas: the listener logged the bridge's LAN address" grep -qx "2049 192.168.50.1" "$T/lan.log"
check "nas: the tunnel handshake is reported" wait_log "$T/nas.log" "peer laptop is up" 5
REFUSED0=$(counter "$NSB" nfswg_nas fwd_refused)
check "nas: a non-NFS port (8080) is refused with Ports=nfs" refused "$NSP" 192.168.50.2 8080
check "nas: the refusal counted (fwd_refused $REFUSED0 -> $(counter "$NSB" nfswg_nas fwd_refused))" \
        [ "$(counter "$NSB" nfswg_nas fwd_refused)" -gt "$REFUSED0" ]
check "nas: nothing reached 8080" sh -c "! grep -q '^8080 ' $T/lan.log"

# A WireGuard peer that is not in the configuration, slipped into the device behind the daemon's
# back: WireGuard lets it in, the nft peer set must not.
wg_device "$NSU" "$IFU" "$T/unlisted.key" - 10.50.0.9/24
in_ns "$NSU" wg set "$IFU" peer "$BPUB" endpoint 172.31.2.1:51850 allowed-ips 10.50.0.0/24,192.168.50.0/24
ip -n "$NSU" route add 192.168.50.0/24 dev "$IFU"
in_ns "$NSB" wg set "$IFB" peer "$UPUB" allowed-ips 10.50.0.9/32
check "nas: the unlisted peer has a tunnel (ping to the bridge)" quiet in_ns "$NSU" ping -c 1 -W 3 10.50.0.1
REFUSED0=$(counter "$NSB" nfswg_nas fwd_refused)
check "nas: the unlisted peer is refused on 2049" refused "$NSU" 192.168.50.2 2049
check "nas: ... and counted" [ "$(counter "$NSB" nfswg_nas fwd_refused)" -gt "$REFUSED0" ]
check "nas: the NAS never saw it" sh -c "! grep -q '10.50.0.9' $T/lan.log"
ACC=$(counter "$NSB" nfswg_nas fwd_accepted)
check "nas: fwd_accepted counted the peer's connections ($ACC)" [ "${ACC:-0}" -ge 3 ]

write_nas "Ports=all"
check "nas: reload to Ports=all accepted" reload_daemon "$DN" nas
# The table was replaced (the port sets changed), its counters with it.
ACC=$(counter "$NSB" nfswg_nas fwd_accepted)
check "nas: after the reload 8080 works" [ "$(seen_from "$NSP" 192.168.50.2 8080)" = 192.168.50.1 ]
check "nas: ... 2049 still does" [ "$(seen_from "$NSP" 192.168.50.2 2049)" = 192.168.50.1 ]
check "nas: fwd_accepted rose" [ "$(counter "$NSB" nfswg_nas fwd_accepted)" -gt "${ACC:-0}" ]

stop_daemon "$DN"
check "nas: after stop forwarding is as before ($(forwarding_on "$NSB"))" [ "$(forwarding_on "$NSB")" = "$FWD_BEFORE" ]
check "nas: after stop the table is gone" sh -c "! ip netns exec $NSB nft list table inet nfswg_nas >/dev/null 2>&1"
check "nas: after stop no traffic passes" refused "$NSP" 192.168.50.2 2049
# Free the CPU for the relay part: the nas part's wireguard-go and listener processes go.
stop_all "${PIDS[@]}"
PIDS=()
for ns in "$NSL" "$NSB" "$NSP" "$NSU"; do ip netns del "$ns"; done

# =================================================================================================
# nas: the NAS's NFSv3 ports from its rpcbind
# =================================================================================================
echo "# nas rpcbind"
new_ns "$NSL2" "$NSB2" "$NSP2"
veth "$NSB2" vcl$id 192.168.50.1/24 "$NSL2" vcn$id 192.168.50.2/24
veth "$NSB2" vcp$id 172.31.6.1/24 "$NSP2" vcq$id 172.31.6.2/24
# 2049 and the fake mountd's 20048, and 20049 that rpcbind does not list; rpcbind itself has 111.
listener "$NSL2" 192.168.50.2 "$T/lan2.log" 2049 20048 20049

# rpcbind_start NS: a real rpcbind, in a mount namespace of its own so that its /run/rpcbind.sock
# and lock are not the host's, with mountd 100005 v3 registered on 20048 (TCP and UDP) as an NFS
# server's rpc.mountd --port 20048 would. Its PID (a process group: stop_all takes rpcbind along)
# in RPCBIND.
rpcbind_start() { # NS [bare]: rpcbind in NS; a fake mountd on 20048 registered unless "bare"
        : >"$T/rpcbind.log"
        bg ip netns exec "$1" unshare -m sh -c '
                mount -t tmpfs nfswg-t-run /run || exit 1
                rpcbind -f &
                for i in $(seq 200); do [ -S /run/rpcbind.sock ] && break; sleep 0.05; done
                # (libtirpc'"'"'s pmap_set() leaks a few bytes: not ours to report in a sanitizer build)
                export ASAN_OPTIONS=detect_leaks=0
                if [ "$1" = bare ]; then [ -S /run/rpcbind.sock ] && echo registered
                else "$0" set 100005 3 tcp 20048 && "$0" set 100005 3 udp 20048 && echo registered; fi
                wait' "$RPC_TOOL" "${2:-}" >>"$T/rpcbind.log" 2>&1
        RPCBIND=$!
        wait_until 15 grep -q registered "$T/rpcbind.log" || die "rpcbind did not start" "$T/rpcbind.log"
}
rpc_set() { # NS PROGRAM VERSION tcp|udp PORT: register with the rpcbind running in NS (its mounts)
        local ns=$1 pid p
        shift
        for p in $(ip netns pids "$ns"); do
                [ "$(cat "/proc/$p/comm" 2>/dev/null)" = rpcbind ] && pid=$p
        done
        [ -n "${pid:-}" ] && ASAN_OPTIONS=detect_leaks=0 nsenter -t "$pid" -m -n -r "$RPC_TOOL" set "$@"
}
DISCOVERED="rpcbind of NAS 192.168.50.2 lists its NFSv3 side ports 20048;"
discovered_count() { grep -c -- "$DISCOVERED" "$T/nas2.log"; }

RN2=$T/root-nas2
mkdir -p "$RN2/etc/nfswg"
BPUB2=$(bridge_key "$RN2" nas2)
cat >"$RN2/etc/nfswg/nas2.conf" <<CONF
[Bridge]
Mode=nas
Backend=userspace
Interface=$IFB2
Address=10.50.0.1/24
ListenPort=51851

[Forward]
To=192.168.50.2/32
Masquerade=yes
Ports=nfs

[Peer]
Name=laptop
PublicKey=$PPUB
Address=10.50.0.2/32
CONF

rpcbind_start "$NSL2"
check "rpcbind: the LAN's rpcbind lists the fake mountd" \
        sh -c "ip netns exec $NSL2 rpcinfo -p 192.168.50.2 | grep -q '100005.*tcp.*20048'"
start_daemon DN2 "$NSB2" "$RN2" nas2 NFSWG_NAS_RETRY_SEC=1
wg_device "$NSP2" "$IFP2" "$T/peer.key" - 10.50.0.2/24
in_ns "$NSP2" wg set "$IFP2" peer "$BPUB2" endpoint 172.31.6.1:51851 allowed-ips 10.50.0.0/24,192.168.50.0/24
ip -n "$NSP2" route add 192.168.50.0/24 dev "$IFP2"

check "rpcbind: the daemon logs the NAS and the port it learned" wait_log "$T/nas2.log" "$DISCOVERED" 15
check "rpcbind: the table's forward port set holds 20048" \
        sh -c "ip netns exec $NSB2 nft list set inet nfswg_nas2 fwd0_ports | grep -qw 20048"
for port in 2049 20048; do
        check "rpcbind: peer reaches the NAS on $port" \
                wait_until 15 sh -c "[ \"\$(ip netns exec $NSP2 timeout 5 python3 $T/connect.py 192.168.50.2 $port 2)\" = 192.168.50.1 ]"
done
check "rpcbind: 20049 (listening, not registered) is refused" refused "$NSP2" 192.168.50.2 20049
check "rpcbind: nothing reached 20049" sh -c "! grep -q '^20049 ' $T/lan2.log"
N=$(discovered_count)
check "rpcbind: a reload accepted" reload_daemon "$DN2" nas2
check "rpcbind: ... asks rpcbind again" wait_until 15 sh -c "[ \$(grep -c -- '$DISCOVERED' $T/nas2.log) -gt $N ]"
check "rpcbind: ... and 20048 stays open" [ "$(seen_from "$NSP2" 192.168.50.2 20048)" = 192.168.50.1 ]
stop_daemon "$DN2"
stop_all "$RPCBIND"

# rpcbind down when the bridge starts: READY anyway, a warning, 2049 only; 20048 once it is up.
: >"$T/nas2.log"
start_daemon DN2 "$NSB2" "$RN2" nas2 NFSWG_NAS_RETRY_SEC=1 NFSWG_NAS_REFRESH_SEC=1
check "rpcbind down: a warning names the NAS and the error" \
        wait_log "$T/nas2.log" "cannot ask the rpcbind of NAS 192.168.50.2 (TCP port 111) for its NFSv3 ports: Connection refused" 15
check "rpcbind down: peer reaches 2049" \
        wait_until 15 sh -c "[ \"\$(ip netns exec $NSP2 timeout 5 python3 $T/connect.py 192.168.50.2 2049 2)\" = 192.168.50.1 ]"
check "rpcbind down: 20048 is refused" refused "$NSP2" 192.168.50.2 20048
sleep 2 # a few retries fail
# As a NAS boots: rpcbind answers before mountd has registered. An answer without mountd is not
# taken as final: the daemon says so once and asks again.
rpcbind_start "$NSL2" bare
check "rpcbind up, no mountd yet: the daemon says so" wait_log "$T/nas2.log" "lists no mountd" 15
sleep 1.5 # a retry or two that still find no mountd
rpc_set "$NSL2" 100005 3 tcp 20048 && rpc_set "$NSL2" 100005 3 udp 20048 || die "cannot register the fake mountd"
T0=$(date +%s.%N)
check "rpcbind up later: the daemon learns 20048" wait_log "$T/nas2.log" "$DISCOVERED" 15
UP_S=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
check "rpcbind up later: peer reaches 20048 (after ${UP_S}s, retry every 1 s)" \
        [ "$(seen_from "$NSP2" 192.168.50.2 20048)" = 192.168.50.1 ]
check "rpcbind up later: 20049 still refused" refused "$NSP2" 192.168.50.2 20049
check "rpcbind: one warning for the whole outage" [ "$(grep -c 'cannot ask the rpcbind' "$T/nas2.log")" = 1 ]
check "rpcbind: one notice while mountd was missing" [ "$(grep -c 'lists no mountd' "$T/nas2.log")" = 1 ]
# Later the NAS's lockd registers (or a NAS restart moves a port): the periodic refresh follows.
N=$(grep -c 'lists its NFSv3 side ports' "$T/nas2.log")
rpc_set "$NSL2" 100021 4 tcp 4045 || die "cannot register the fake nlockmgr"
check "rpcbind refresh: the daemon learns 4045, registered later" \
        wait_log "$T/nas2.log" "lists its NFSv3 side ports 4045 20048;" 15
check "rpcbind refresh: the table's port set holds 4045" \
        sh -c "ip netns exec $NSB2 nft list set inet nfswg_nas2 fwd0_ports | grep -qw 4045"
sleep 2.5 # refreshes that find the same ports
check "rpcbind refresh: unchanged answers are not logged again" \
        [ "$(grep -c 'lists its NFSv3 side ports' "$T/nas2.log")" = $((N + 1)) ]
stop_daemon "$DN2"
check "rpcbind: after stop the table is gone" sh -c "! ip netns exec $NSB2 nft list table inet nfswg_nas2 >/dev/null 2>&1"
stop_all "${PIDS[@]}"
PIDS=()
for ns in "$NSL2" "$NSB2" "$NSP2"; do ip netns del "$ns"; done

# =================================================================================================
# relay + failover
# =================================================================================================
echo "# relay"
new_ns "$NSR" "$NSW" "$NSS"
veth "$NSR" vrw$id 172.31.3.1/24 "$NSW" vw$id 172.31.3.2/24
veth "$NSR" vr1$id 172.31.4.1/24 "$NSS" vs1$id 172.31.4.2/24
veth "$NSR" vr2$id 172.31.5.1/24 "$NSS" vs2$id 172.31.5.2/24
# The site's LAN: a veth pair inside the site namespace (the dummy module may be missing).
ip -n "$NSS" link add lan0 type veth peer name lan1
ip -n "$NSS" addr add 192.168.60.1/24 dev lan0
ip -n "$NSS" link set lan1 up
ip -n "$NSS" link set lan0 up
listener "$NSS" 192.168.60.1 "$T/site.log" 2049 8080

RR=$T/root-relay
mkdir -p "$RR/etc/nfswg"
ROPUB=$(bridge_key "$RR" roam)
SAPUB=$(bridge_key "$RR" site-a)
WPUB=$(newkey "$T/roamer.key")
SPUB=$(newkey "$T/site.key")
cat >"$RR/etc/nfswg/site-a.conf" <<CONF
[Bridge]
Mode=relay
Backend=userspace
Interface=$IFSA
Address=10.61.0.1/24
ListenPort=51861

[Peer]
Name=gw
PublicKey=$SPUB
Address=10.61.0.2/32
AllowedIPs=192.168.60.0/24
Endpoint=172.31.4.2:51862
Endpoint=172.31.5.2:51862
PersistentKeepalive=1
CONF
write_roam() { # FORWARD-SECTION
        cat >"$RR/etc/nfswg/roam.conf" <<CONF
[Bridge]
Mode=relay
Backend=userspace
Interface=$IFRO
Address=10.60.0.1/24
ListenPort=51860
$1
[Peer]
Name=laptop
PublicKey=$WPUB
Address=10.60.0.2/32
CONF
}
write_roam "
[Forward]
To=@site-a
Masquerade=yes
Ports=all
"

# The site: answers the relay (whose address it learns from the handshake), keepalives every second
# so the relay hears from it; routes the road warriors' network back for Masquerade=no.
wg_device "$NSS" "$IFSITE" "$T/site.key" 51862 10.61.0.2/24
in_ns "$NSS" wg set "$IFSITE" peer "$SAPUB" allowed-ips 10.61.0.0/24,10.60.0.0/24 persistent-keepalive 1
ip -n "$NSS" route add 10.60.0.0/24 dev "$IFSITE"
wg_device "$NSW" "$IFW" "$T/roamer.key" - 10.60.0.2/24
in_ns "$NSW" wg set "$IFW" peer "$ROPUB" endpoint 172.31.3.1:51860 allowed-ips 10.60.0.0/24,10.61.0.0/24,192.168.60.0/24
ip -n "$NSW" route add 192.168.60.0/24 dev "$IFW"
listener "$NSW" 10.60.0.2 "$T/roamer.log" 8080

# roam first: site-a's link does not exist yet, so site-a's daemon must open forwarding on it.
start_daemon DRO "$NSR" "$RR" roam
start_daemon DSA "$NSR" "$RR" site-a NFSWG_STALE_SEC=3 NFSWG_FAILOVER_GRACE_SEC=3
check "relay: site-a's link forwards (another bridge forwards to it)" \
        [ "$(in_ns "$NSR" cat /proc/sys/net/ipv4/conf/$IFSA/forwarding)" = 1 ]
check "relay: a route to the site LAN through site-a's tunnel" \
        sh -c "ip -n $NSR route show 192.168.60.0/24 | grep -q 'dev $IFSA'"
check "relay: the site peer comes up (the relay dials it)" wait_log "$T/site-a.log" "peer gw is up" 10
SEEN=$(seen_from "$NSW" 192.168.60.1 2049)
check "relay: roam peer -> site LAN with To=@site-a, masqueraded to site-a's address (seen: $SEEN)" \
        [ "$SEEN" = 10.61.0.1 ]
check "relay: the site cannot open connections to the road warrior (site-a has no [Forward])" \
        refused "$NSS" 10.60.0.2 8080

write_roam ""
check "relay: reload without [Forward] accepted" reload_daemon "$DRO" roam
check "relay: without [Forward] the site LAN is refused" refused "$NSW" 192.168.60.1 2049

write_roam "
[Forward]
To=@site-a
Masquerade=no
Ports=all
"
check "relay: reload with Masquerade=no accepted" reload_daemon "$DRO" roam
check "relay: Masquerade=no routes: the site sees the road warrior's own address" \
        [ "$(seen_from "$NSW" 192.168.60.1 2049)" = 10.60.0.2 ]

# ---- failover ----------------------------------------------------------------------------------
echo "# failover"
endpoint_of_gw() { in_ns "$NSR" wg show "$IFSA" endpoints | awk -v k="$SPUB" '$1 == k { print $2 }'; }
check "failover: the first Endpoint= in use" [ "$(endpoint_of_gw)" = 172.31.4.2:51862 ]
# time_until_traffic: seconds until a ping from the road warrior reaches the site again
time_until_traffic() {
        local t0=$1 i
        for i in $(seq 120); do
                if in_ns "$NSW" ping -c 1 -W 1 192.168.60.1 >/dev/null 2>&1; then
                        awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
                        return 0
                fi
        done
        echo never
        return 1
}
T0=$(date +%s.%N)
ip -n "$NSS" link set vs1$id down
FAILOVER_S=$(time_until_traffic "$T0")
check "failover: traffic resumes via the second endpoint (${FAILOVER_S}s after the first went down)" \
        [ "$FAILOVER_S" != never ]
check "failover: within 20 s with stale 3 s, grace 3 s, poll 1 s" awk -v s="$FAILOVER_S" 'BEGIN { exit !(s + 0 < 20) }'
check "failover: the device uses the second Endpoint=" [ "$(endpoint_of_gw)" = 172.31.5.2:51862 ]
check "failover: ENDPOINT_FAILOVER logged with both endpoints" \
        grep -q "Bridge site-a: peer gw: no handshake via 172.31.4.2:51862, trying 172.31.5.2:51862." "$T/site-a.log"
check "failover: the site still sees the road warrior's address" [ "$(seen_from "$NSW" 192.168.60.1 2049)" = 10.60.0.2 ]
# A reload keeps the endpoint the failover chose (it does not go back to the first Endpoint=).
check "failover: reload of site-a accepted" reload_daemon "$DSA" site-a
sleep 1
check "failover: after the reload still the second Endpoint=" [ "$(endpoint_of_gw)" = 172.31.5.2:51862 ]
# And round again: the first link back, the second down: wrap around to the first.
ip -n "$NSS" link set vs1$id up
T0=$(date +%s.%N)
ip -n "$NSS" link set vs2$id down
BACK_S=$(time_until_traffic "$T0")
check "failover: wraps around to the first endpoint (${BACK_S}s)" \
        sh -c "[ '$BACK_S' != never ] && [ \"\$(ip netns exec $NSR wg show $IFSA endpoints | grep -c 172.31.4.2:51862)\" = 1 ]"

stop_daemon "$DRO"
stop_daemon "$DSA"
check "relay: after both stops forwarding is off again" \
        [ "$(forwarding_on "$NSR")" = "" ]
check "relay: no table left" sh -c "! ip netns exec $NSR nft list tables | grep -q nfswg_"
check "no sanitizer reports" sh -c "! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' $T/*.log"

echo "# figures: failover ${FAILOVER_S}s, back ${BACK_S}s (NFSWG_STALE_SEC=3 NFSWG_FAILOVER_GRACE_SEC=3 NFSWG_POLL_SEC=1, keepalive 1 s)"
if [ "$FAILS" -gt 0 ]; then
        echo "$FAILS check(s) failed"
        for f in "$T"/nas.log "$T"/nas2.log "$T"/rpcbind.log "$T"/roam.log "$T"/site-a.log; do [ -e "$f" ] && { echo "== $f"; tail -30 "$f"; }; done
        exit 1
fi
echo "all modes checks passed"
