#!/bin/bash
# SPDX-License-Identifier: MIT
#
# nfswgd reads only regular files, bounded (nfswg.conf(5), "Reading the configuration"): a FIFO,
# /dev/zero behind a symlink or a directory named *.conf in NAME.conf.d/ makes the start fail at
# once (exit 6) and a reload be refused with a message naming the file, while the daemon keeps
# answering (READY=1 after the refusal, watchdog pings, a later reload applies, SIGTERM stops it)
# and its memory stays small. A [Peer] with the bridge's own public key is refused the same way.
#
# Root only; exits 77 (skip) without root, wireguard-go, wg, ip or python3.
set -u
. "$(dirname "$0")/lib.sh"

need_root
need_tools wireguard-go wg ip python3
need_built "$NFSWGD"

T=$(mktemp -d /tmp/nfswg-t-reading.XXXXXX)
NSB=nfswg-t-reading-$$
IFB=nfrd$$
IFB=${IFB:0:15}

new_ns "$NSB"
start_wggo "$NSB" "$IFB"

R=$T/root
D=$R/etc/nfswg/t.conf.d
mkdir -p "$D"
cat >"$R/etc/nfswg/t.conf" <<CONF
[Bridge]
Mode=embedded
Interface=$IFB
Address=10.79.0.1/24
ListenPort=51879

[Export]
Path=/srv/nfswg
Peers=*

[Peer]
Name=client
PublicKey=$(wg genkey | wg pubkey)
Address=10.79.0.2/32
CONF

exportfs_stub
start_notify_reader

start_daemon() {
        NOTIFY_SOCKET=$T/notify.sock NFSWG_EXPORTFS=$T/exportfs WATCHDOG_USEC=1000000 \
                ip netns exec "$NSB" "$NFSWGD" --no-networkd --root "$R" t >>"$T/daemon.log" 2>&1 &
        DAEMON=$!
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON/status" 2>/dev/null; }
MAX_RSS=0
RC=

# exited_within SECONDS: the daemon ended by then (its exit status in $RC); otherwise it is killed
exited_within() {
        local i
        for ((i = 0; i < $1 * 20; i++)); do
                if ! kill -0 "$DAEMON" 2>/dev/null; then
                        wait "$DAEMON"
                        RC=$?
                        DAEMON=
                        return 0
                fi
                sleep 0.05
        done
        kill -9 "$DAEMON"
        wait "$DAEMON" 2>/dev/null
        RC=killed
        DAEMON=
        return 1
}

# hup_answered SECONDS: SIGHUP, then READY=1 again within SECONDS while the RSS stays under
# 64 MiB (the daemon is killed if it grows past that: /dev/zero read without bound)
hup_answered() {
        local n i rss
        n=$(notify_count "READY=1")
        kill -HUP "$DAEMON"
        for ((i = 0; i < $1 * 20; i++)); do
                rss=$(rss_kib)
                [ -n "$rss" ] && [ "$rss" -gt "$MAX_RSS" ] && MAX_RSS=$rss
                if [ -n "$rss" ] && [ "$rss" -gt 65536 ]; then
                        kill -9 "$DAEMON"
                        return 1
                fi
                [ "$(notify_count "READY=1")" -gt "$n" ] && return 0
                kill -0 "$DAEMON" 2>/dev/null || return 1
                sleep 0.05
        done
        return 1
}

# ---- at start: refused at once ----------------------------------------------------------------
mkfifo "$D/x.conf"
start_daemon
check "start with a FIFO drop-in: ends within 5 s" exited_within 5
check "start with a FIFO drop-in: exit 6, not configured (got $RC)" [ "$RC" = 6 ]
check "start with a FIFO drop-in: the message names the file" \
        grep -q "t.conf.d/x.conf: cannot read: not a regular file" "$T/daemon.log"
rm "$D/x.conf"
ln -s /dev/zero "$D/zero.conf"
start_daemon
check "start with a /dev/zero drop-in: ends within 5 s" exited_within 5
check "start with a /dev/zero drop-in: exit 6 (got $RC)" [ "$RC" = 6 ]
check "start with a /dev/zero drop-in: the message names the file" \
        grep -q "t.conf.d/zero.conf: cannot read: not a regular file" "$T/daemon.log"
rm "$D/zero.conf"

# ---- running: reloads refused, the daemon still answers ----------------------------------------
start_daemon
wait_notify "READY=1" 1 15 || die "no READY=1" "$T/daemon.log" "$T/notify.log"
pass "READY=1 with regular files"
RSS_IDLE=$(rss_kib)

mkfifo "$D/x.conf"
check "reload with a FIFO drop-in: READY=1 again within 5 s" hup_answered 5
check "reload with a FIFO drop-in: refused, naming the file" \
        grep -q "reload refused.*t.conf.d/x.conf: cannot read: not a regular file" "$T/daemon.log"
check "reload with a FIFO drop-in: still running" kill -0 "$DAEMON"
W=$(notify_count "WATCHDOG=1")
check "reload with a FIFO drop-in: watchdog pings go on" wait_notify "WATCHDOG=1" $((W + 2)) 5
rm "$D/x.conf"

ln -s /dev/zero "$D/zero.conf"
check "reload with a /dev/zero drop-in: READY=1 again within 5 s, RSS under 64 MiB" hup_answered 5
check "reload with a /dev/zero drop-in: refused, naming the file" \
        grep -q "reload refused.*t.conf.d/zero.conf: cannot read: not a regular file" "$T/daemon.log"
rm "$D/zero.conf"

mkdir "$D/dir.conf"
check "reload with a directory drop-in: refused" hup_answered 5
check "reload with a directory drop-in: the message says so" \
        grep -q "reload refused.*t.conf.d/dir.conf: cannot read: a directory" "$T/daemon.log"
rmdir "$D/dir.conf"

head -c 4200000 /dev/zero | tr '\0' '#' >"$D/big.conf"
check "reload with a 4.2 MB drop-in: refused" hup_answered 5
check "reload with a 4.2 MB drop-in: the message gives the limit" \
        grep -q "reload refused.*t.conf.d/big.conf: cannot read: larger than 4 MiB" "$T/daemon.log"
rm "$D/big.conf"

# the bridge's own key (created at the first start) as a peer's
OWN_PUB=$(wg pubkey <"$R/var/lib/nfswg/t/private.key")
printf '[Peer]\nName=mirror\nAddress=10.79.0.9/32\nPublicKey=%s\n' "$OWN_PUB" >"$D/mirror.conf"
check "reload with the bridge's own key as a peer's: refused" hup_answered 5
check "reload with the bridge's own key as a peer's: at FILE:LINE" \
        grep -q "reload refused.*t.conf.d/mirror.conf:4: \[Peer\] mirror: PublicKey= is this bridge's own public key" \
        "$T/daemon.log"
check "own key: not in the device" sh -c "! ip netns exec $NSB wg show $IFB peers | grep -qxF '$OWN_PUB'"
rm "$D/mirror.conf"

# a symlinked regular drop-in, and a reload that applies
NEW_PUB=$(wg genkey | wg pubkey)
printf '[Peer]\nName=newbie\nPublicKey=%s\nAddress=10.79.0.3/32\n' "$NEW_PUB" >"$T/newbie.peer"
ln -s "$T/newbie.peer" "$D/peer-newbie.conf"
check "reload after the files went away: applies" hup_answered 5
check "reload after the files went away: the symlinked peer is added" \
        sh -c "ip netns exec $NSB wg show $IFB peers | grep -qxF '$NEW_PUB'"
check "RSS stayed small (idle ${RSS_IDLE} KiB, at most ${MAX_RSS} KiB)" [ "$MAX_RSS" -lt 65536 ]

kill -TERM "$DAEMON"
check "SIGTERM: stopped within 5 s" exited_within 5
check "SIGTERM: exit 0 (got $RC)" [ "$RC" = 0 ]
check "no temporary file left in the state directory" \
        sh -c "! find '$R' -name '.#*' | grep -q ."

[ -n "${NFSWG_TEST_SHOW_LOG:-}" ] && cat "$T/daemon.log"
cat "$T/daemon.log" >>"$T/all.log"
check "no sanitizer reports" sh -c "! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' $T/all.log"
if [ "$FAILS" -gt 0 ]; then
        echo "$FAILS check(s) failed; daemon log:"
        tail -40 "$T/daemon.log"
        exit 1
fi
echo "all reading checks passed"
