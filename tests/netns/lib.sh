# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Sourced by the tests/netns/*.sh drivers: skip checks, results, namespaces, background processes,
# wireguard-go, the NOTIFY_SOCKET reader. What these helpers make is taken away on exit: daemons
# and background processes stopped, namespaces deleted, UAPI sockets and $T removed.

BUILD=${NFSWG_BUILD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
# shellcheck disable=SC2034 # for the drivers
NFSWG=$BUILD/src/cli/nfswg NFSWGD=$BUILD/src/daemon/nfswgd
# wireguard-go's UAPI sockets: shared by every namespace, so interface names are unique per run
WG_RUN=/run/wireguard

T=          # the script's temporary directory
FAILS=0
DAEMON=     # the nfswgd under test, or
DAEMONS=()  # every nfswgd started
PIDS=()     # background processes, each leading its own process group (bg)
NETNS=()    # made by new_ns
WG_SOCKS=() # of the devices made by start_wggo

# ---- skipping and results ------------------------------------------------------------------------
skip() { echo "SKIP: $*"; exit 77; }
need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
need_tools() {
        local p
        for p; do command -v "$p" >/dev/null || skip "$p missing"; done
}
need_tun() { [ -c /dev/net/tun ] || skip "/dev/net/tun missing"; }

# die MESSAGE [FILE...]: the test cannot go on; shows the files (logs) that may say why
die() {
        local f
        echo "FAIL: $1"
        shift
        for f; do echo "== $f"; cat "$f" 2>/dev/null; done
        exit 1
}
need_built() {
        local b
        for b; do [ -x "$b" ] || die "$b not built"; done
}

pass() { echo "ok - $*"; }
fail() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }
check() { # check DESCRIPTION COMMAND...
        local what=$1
        shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}
quiet() { "$@" >/dev/null 2>&1; }

# wait_until SECONDS COMMAND...: COMMAND every 50 ms until it succeeds; false once SECONDS passed
wait_until() {
        local n=$(($1 * 20)) i
        shift
        for ((i = 0; i < n; i++)); do
                "$@" && return 0
                sleep 0.05
        done
        return 1
}

# ---- processes -----------------------------------------------------------------------------------
# bg COMMAND...: in the background and its own process group ($! is its PID), so that stopping it
# stops what it started too: python3 may sit behind a wrapper (pyenv) that does not exec.
bg() {
        setsid "$@" &
        PIDS+=($!)
}

# signal_all SIGNAL PID...: each PID's process group, or the PID alone when it leads none
signal_all() {
        local sig=$1 p
        shift
        for p; do kill "-$sig" -- "-$p" 2>/dev/null || kill "-$sig" "$p" 2>/dev/null; done
        return 0
}

# stop_all PID...: TERM, half a second, KILL; reaps those that are our children
stop_all() {
        [ $# -gt 0 ] || return 0
        signal_all TERM "$@"
        sleep 0.5
        signal_all KILL "$@"
        wait "$@" 2>/dev/null
        return 0
}

netns_cleanup() {
        set +e
        # the daemons first: they stop while their devices are still there
        stop_all $DAEMON "${DAEMONS[@]}" "${PIDS[@]}"
        local x
        for x in "${NETNS[@]}"; do ip netns del "$x" 2>/dev/null; done
        for x in "${WG_SOCKS[@]}"; do rm -f "$x"; done
        [ -z "$T" ] || rm -rf "$T"
}
trap netns_cleanup EXIT
trap "exit 1" INT TERM HUP

# ---- namespaces and links ------------------------------------------------------------------------
in_ns() { # NS COMMAND...
        local ns=$1
        shift
        ip netns exec "$ns" "$@"
}

new_ns() { # NS...: with lo up
        local ns
        for ns; do
                NETNS+=("$ns")
                ip netns add "$ns" && ip -n "$ns" link set lo up || die "cannot create namespace $ns"
        done
}

veth() { # NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair between two namespaces, addressed and up
        ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" || die "veth $2"
        ip -n "$1" addr add "$3" dev "$2"
        ip -n "$1" link set "$2" up
        ip -n "$4" addr add "$6" dev "$5"
        ip -n "$4" link set "$5" up
}

# start_wggo NS IFNAME: wireguard-go in the foreground, so we own and stop the process; returns
# once its UAPI socket is there
start_wggo() {
        WG_SOCKS+=("$WG_RUN/$2.sock")
        bg ip netns exec "$1" env WG_PROCESS_FOREGROUND=1 wireguard-go "$2" >"$T/wggo-$2.log" 2>&1
        wait_until 5 test -S "$WG_RUN/$2.sock" || die "wireguard-go $2 did not start" "$T/wggo-$2.log"
}

# ---- a daemon under test -------------------------------------------------------------------------
# exportfs_stub: $T/exportfs (for NFSWG_EXPORTFS) records each call in $T/exportfs.log
exportfs_stub() {
        cat >"$T/exportfs" <<SH
#!/bin/sh
echo "exportfs \$*" >>"$T/exportfs.log"
SH
        chmod +x "$T/exportfs"
}

# start_notify_reader: $T/notify.sock (for NOTIFY_SOCKET) logs to $T/notify.log, one line per
# datagram: "TIME FIELD|FIELD|..."
start_notify_reader() {
        cat >"$T/notify.py" <<'PY'
import socket, sys, time
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(log, "a", buffering=1) as f:
    while True:
        data = s.recv(65536).decode(errors="replace")
        f.write("%.6f %s\n" % (time.time(), data.strip().replace("\n", "|")))
PY
        bg python3 "$T/notify.py" "$T/notify.sock" "$T/notify.log"
        wait_until 5 test -S "$T/notify.sock"
        touch "$T/notify.log"
}
notify_count() { grep -c -- "$1" "$T/notify.log"; }

# wait_notify PATTERN N [SECONDS]: until PATTERN was notified N times; false at once when $DAEMON
# is gone
wait_notify() {
        local i
        for ((i = 0; i < ${3:-10} * 20; i++)); do
                [ "$(notify_count "$1")" -ge "$2" ] && return 0
                [ -n "$DAEMON" ] && ! kill -0 "$DAEMON" 2>/dev/null && return 1
                sleep 0.05
        done
        return 1
}

# hup_daemon [SECONDS]: what `systemctl reload` does (SIGHUP to $DAEMON), then until the next READY=1
hup_daemon() {
        local n
        n=$(notify_count "READY=1")
        kill -HUP "$DAEMON"
        wait_notify "READY=1" $((n + 1)) "${1:-10}"
}

# json_strip KEY...: the JSON on stdin without those keys at any depth, keys sorted: nft -j output
# compared across re-applies (handles and counter values differ)
json_strip() {
        python3 -c '
import json, sys
drop = set(sys.argv[1:])
def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in drop}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o
print(json.dumps(strip(json.load(sys.stdin)), sort_keys=True))' "$@"
}
