#!/bin/bash
# SPDX-License-Identifier: MIT
#
# What nfswgd publishes, for real in network namespaces with wireguard-go and no systemd: the
# status file ROOT/run/nfswg-status/NAME.json (world-readable, no private key, non-zero rates while
# a ping flows, what `nfswg status` shows an unprivileged user) and the Prometheus metrics file of
# MetricsFile=, parsed by Debian's prometheus-node-exporter (textfile collector) scraped over the
# namespace's loopback: the nfswg_ metrics with the device's figures, no scrape error. Both files
# go on a real stop.
#
# Root only; exits 77 (skip) without root, wireguard-go, wg, nft, ip, python3 or setpriv.
# prometheus-node-exporter is downloaded (apt-get download) and unpacked into the test's directory,
# never installed: installing it would start a daemon listening on port 9100 of the machine. A
# failed download fails the test.
set -u
. "$(dirname "$0")/lib.sh"

need_root
need_tools wireguard-go wg nft ip python3 ping setpriv apt-get dpkg-deb
need_built "$NFSWGD"
need_built "$NFSWG"

T=$(mktemp -d /tmp/nfswg-t-metrics.XXXXXX)
chmod 755 "$T" # the unprivileged checks below read the fake root
NSB=nfswg-t-metrics-$$-b
NSC=nfswg-t-metrics-$$-c
IFB=nfmb$$
IFC=nfmc$$
IFB=${IFB:0:15}
IFC=${IFC:0:15}
PORT=51878
SCRAPE_PORT=9977

# Debian's prometheus-node-exporter, unpacked here (see above).
(cd "$T" && apt-get download prometheus-node-exporter >"$T/apt-download.log" 2>&1) ||
        die "apt-get download prometheus-node-exporter failed (apt-get update first, as tests/setup-deps does)" \
                "$T/apt-download.log"
dpkg-deb -x "$T"/prometheus-node-exporter_*.deb "$T/node-exporter" || die "cannot unpack prometheus-node-exporter"
NODE_EXPORTER=$T/node-exporter/usr/bin/prometheus-node-exporter
[ -x "$NODE_EXPORTER" ] || die "no usr/bin/prometheus-node-exporter in the downloaded package"

inb() { ip netns exec "$NSB" "$@"; }
inc() { ip netns exec "$NSC" "$@"; }
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

new_ns "$NSB" "$NSC"
veth "$NSB" "v$$b" 192.168.78.1/24 "$NSC" "v$$c" 192.168.78.2/24
start_wggo "$NSB" "$IFB"
start_wggo "$NSC" "$IFC"

CLIENT_KEY=$(wg genkey)
CLIENT_PUB=$(echo "$CLIENT_KEY" | wg pubkey)
echo "$CLIENT_KEY" >"$T/client.key"
inc wg set "$IFC" private-key "$T/client.key"
inc ip addr add 10.78.0.2/24 dev "$IFC"
inc ip link set "$IFC" up mtu 1380

R=$T/root
mkdir -p "$R/etc/nfswg" "$R/prom"
cat >"$R/etc/nfswg/t.conf" <<CONF
[Bridge]
Mode=embedded
Interface=$IFB
Address=10.78.0.1/24
ListenPort=$PORT
MetricsFile=/prom/nfswg_t.prom

[Export]
Path=/srv/nfswg
Peers=*

[Peer]
Name=client
PublicKey=$CLIENT_PUB
Address=10.78.0.2/32
CONF
chmod 644 "$R/etc/nfswg/t.conf"

exportfs_stub
start_notify_reader
NOTIFY_SOCKET=$T/notify.sock NFSWG_POLL_SEC=1 NFSWG_EXPORTFS=$T/exportfs \
        ip netns exec "$NSB" "$NFSWGD" --root "$R" --no-networkd t >>"$T/daemon.log" 2>&1 &
DAEMON=$!
DAEMONS+=("$DAEMON")
wait_notify "READY=1" 1 15 || { echo "FAIL: no READY=1"; cat "$T/daemon.log"; exit 1; }

STATUS=$R/run/nfswg-status/t.json
PROM=$R/prom/nfswg_t.prom
KEYFILE=$R/var/lib/nfswg/t/private.key
BRIDGE_PUB=$(wg pubkey <"$KEYFILE")

# jq-less: python3 prints one figure of the status file (peer 0's when KEY starts with "peer.")
status_get() {
        python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
k = sys.argv[2]
v = d["peers"][0][k[5:]] if k.startswith("peer.") else d[k]
print(json.dumps(v) if isinstance(v, (bool, dict, list)) or v is None else v)' "$STATUS" "$1"
}

check "status file appears" wait_until 5 test -s "$STATUS"
check "status directory 0755, file 0644" \
        [ "$(stat -c %a "$(dirname "$STATUS")")" = 755 -a "$(stat -c %a "$STATUS")" = 644 ]
check "status file readable by nobody" quiet nobody cat "$STATUS"
check "status file is JSON naming bridge, interface, public key" \
        [ "$(status_get bridge) $(status_get interface) $(status_get public_key)" = "t $IFB $BRIDGE_PUB" ]
check "metrics file appears, 0644" sh -c "test -s $PROM && [ \$(stat -c %a $PROM) = 644 ]"

# ---- traffic ----------------------------------------------------------------------------------
inc wg set "$IFC" peer "$BRIDGE_PUB" endpoint 192.168.78.1:$PORT allowed-ips 10.78.0.0/24
check "client pings through the tunnel" quiet inc ping -c 2 -W 2 10.78.0.1
inc ping -i 0.02 -s 1200 -c 500 -W 1 10.78.0.1 >"$T/ping.log" 2>&1 &
PING=$!
sleep 3
RX_RATE=$(status_get peer.rx_rate)
TX_RATE=$(status_get peer.tx_rate)
check "rates non-zero while the ping flows (rx $RX_RATE B/s, tx $TX_RATE B/s)" \
        [ "${RX_RATE:-0}" -gt 10000 -a "${TX_RATE:-0}" -gt 10000 ]
check "peer up in the status file" [ "$(status_get peer.up)" = true ]
"$NFSWG" --root "$R" status t >"$T/status-root.txt" 2>&1
check "nfswg status (root) shows the rate" grep -q "    rate: .*/s received, .*/s sent" "$T/status-root.txt"
"$NFSWG" --root "$R" status t --json >"$T/status-root.json" 2>&1
check "status --json carries rx_rate/tx_rate" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))["bridges"][0]["peers"][0]
assert p["rx_rate"] > 0 and p["tx_rate"] > 0, p' "$T/status-root.json"
nobody "$NFSWG" --root "$R" status t >"$T/status-nobody.txt" 2>&1
check "nfswg status as nobody: from the status file (handshake, transfer, rate)" \
        sh -c "grep -q 'latest handshake: .* ago' $T/status-nobody.txt && grep -q 'transfer: ' $T/status-nobody.txt && grep -q 'rate: ' $T/status-nobody.txt"
nobody "$NFSWG" --root "$R" peer list t --json >"$T/peers-nobody.json" 2>&1
check "peer list --json as nobody: the peer with its figures" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = d["peers"][0]
assert d["bridge"] == "t" and p["name"] == "client" and p["rx_bytes"] > 0 and p["latest_handshake"], d' "$T/peers-nobody.json"
chmod 700 "$R/etc/nfswg"
nobody "$NFSWG" --root "$R" status t >"$T/status-nobody2.txt" 2>&1; rc=$?
check "nfswg status as nobody, configuration unreadable: from the status file alone (rc $rc)" \
        sh -c "[ $rc = 0 ] && grep -q 'peer client: 10.78.0.2/32' $T/status-nobody2.txt && grep -q 'rate: ' $T/status-nobody2.txt"
chmod 755 "$R/etc/nfswg"
wait "$PING"

check "no private key in the published files" sh -c "! grep -qF '$(cat "$KEYFILE")' $STATUS $PROM"
check "no client private key either" sh -c "! grep -qF '$CLIENT_KEY' $STATUS $PROM"

# ---- node-exporter ------------------------------------------------------------------------------
# After the ping: no traffic, so two polls later the file holds what wg show says.
sleep 2.5
bg ip netns exec "$NSB" "$NODE_EXPORTER" --collector.textfile.directory="$R/prom" \
        --web.listen-address=127.0.0.1:$SCRAPE_PORT --collector.disable-defaults --collector.textfile
scrape() {
        inb python3 -c '
import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=2).read().decode())' \
                "$SCRAPE_PORT" >"$T/scrape.txt" 2>/dev/null
}
check "node-exporter answers on loopback" wait_until 10 scrape
metric() { # NAME{LABELS}: its value in the scrape
        awk -v k="$1" '$1 == k { print $2 }' "$T/scrape.txt"
}
read -r _ _ _ _ _ WG_RX WG_TX _ < <(inb wg show "$IFB" dump | tail -n +2 | grep "^$CLIENT_PUB")
WG_HS=$(inb wg show "$IFB" latest-handshakes | awk '{print $2}')
check "node_textfile_scrape_error 0" [ "$(metric node_textfile_scrape_error)" = 0 ]
check "nfswg_peer_up 1" [ "$(metric 'nfswg_peer_up{bridge="t",peer="client"}')" = 1 ]
check "nfswg_peer_receive_bytes_total = wg show ($WG_RX)" \
        [ "$(metric 'nfswg_peer_receive_bytes_total{bridge="t",peer="client"}')" = "$WG_RX" ]
check "nfswg_peer_transmit_bytes_total = wg show ($WG_TX)" \
        [ "$(metric 'nfswg_peer_transmit_bytes_total{bridge="t",peer="client"}')" = "$WG_TX" ]
HS=$(metric 'nfswg_peer_last_handshake_seconds{bridge="t",peer="client"}')
check "nfswg_peer_last_handshake_seconds = wg show ($WG_HS; node-exporter prints $HS)" \
        python3 -c "import sys; assert float('$HS') == $WG_HS"
check "nfswg_peers 1, nfswg_exports 1, nfswg_config_refused 0" \
        [ "$(metric 'nfswg_peers{bridge="t"}') $(metric 'nfswg_exports{bridge="t"}') $(metric 'nfswg_config_refused{bridge="t"}')" = "1 1 0" ]
for reason in nfs_refused forward_refused spoofed; do
        check "nfswg_firewall_dropped_packets_total{reason=$reason} present" \
                test -n "$(metric "nfswg_firewall_dropped_packets_total{bridge=\"t\",reason=\"$reason\"}")"
done
check "the metrics carry their HELP" grep -q "^# HELP nfswg_peer_up " "$T/scrape.txt"

# ---- a refused configuration shows --------------------------------------------------------------
printf '[Peer]\nName=bad\nPublicKey=nope\n' >>"$R/etc/nfswg/t.conf"
hup_daemon 10 || fail "reload: no READY=1"
check "config_refused in the status file" wait_until 5 sh -c "grep -q '\"config_refused\":true' $STATUS"
check "nfswg_config_refused 1 in the metrics file" wait_until 5 grep -q '^nfswg_config_refused{bridge="t"} 1$' "$PROM"

# ---- stop -------------------------------------------------------------------------------------
kill -TERM "$DAEMON"; wait "$DAEMON"; rc=$?; DAEMON=
check "stop: exit 0 (got $rc)" [ "$rc" = 0 ]
check "stop: status file and metrics file gone" sh -c "[ ! -e $STATUS ] && [ ! -e $PROM ]"
check "stop: no temporary files left" sh -c "[ -z \"\$(find $R/prom $R/run/nfswg-status -mindepth 1)\" ]"
check "no sanitizer reports" sh -c "! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' $T/daemon.log"

if [ "$FAILS" -gt 0 ]; then
        echo "$FAILS check(s) failed; daemon log:"
        tail -40 "$T/daemon.log"
        exit 1
fi
echo "all metrics checks passed"
