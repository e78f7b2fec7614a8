#!/bin/bash
# SPDX-License-Identifier: MIT
# Endpoint lookups are bounded (src/wg/ wg_endpoint_resolve(), WG_RESOLVE_TIMEOUT_SEC): in a network
# namespace whose only name server is a socket on its own loopback that never answers (nothing
# leaves the namespace: it has no other link), and a private mount namespace whose
# /etc/resolv.conf names it with `options timeout:5 attempts:3`, glibc alone would wait 15 s and
# more; nfswg-wg-tool resolve must give up after NFSWG_RESOLVE_TIMEOUT_SEC=2 with a warning naming
# the host, while numeric endpoints (and names in /etc/hosts) resolve at once. A lookup given up on
# is freed by a later call once glibc is done with it (run under -Db_sanitize=address,undefined to
# see that path clean).
# Root only; exit 77 (skip) without root, ip, unshare, getent or python3.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_root
need_tools ip unshare mount getent timeout awk python3
TOOL=$BUILD/tests/nfswg-wg-tool
need_built "$TOOL"

id=$$
NS=nfswg-t-dns-$id
T=$(mktemp -d /tmp/nfswg-t-dns-XXXXXX)
NAME=site.example.test

# --- the black hole: a UDP socket on the namespace's loopback port 53 that takes queries and never
# answers (no reply, no ICMP port unreachable), so glibc waits its full timeouts ---
new_ns "$NS"
cat >"$T/sink.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
open(sys.argv[1], "w").close()
while True:
    time.sleep(3600)
PY
bg ip netns exec "$NS" python3 "$T/sink.py" "$T/sink.ready"
wait_until 5 test -e "$T/sink.ready" || die "the silent name server did not start"
printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:3\n' >"$T/resolv.conf"
# glibc gives up on its own after 2 s here: the lookup we abandon ends while the tool still runs
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n' >"$T/resolv-short.conf"

# in_dns CONF COMMAND...: COMMAND in the namespace, CONF bind-mounted on /etc/resolv.conf in a
# mount namespace of its own (the host's file is never touched)
in_dns() {
        local conf=$1
        shift
        ip netns exec "$NS" unshare -m --propagation private \
                sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$conf" "$@"
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
less_than() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x < y) }'; }

# The setup itself: plain getaddrinfo(3) (getent ahosts) on the name still waits after 3 s.
rc=0
in_dns "$T/resolv.conf" timeout 3 getent ahosts "$NAME" >/dev/null 2>&1 || rc=$?
check "without a deadline glibc still waits for $NAME after 3 s (rc=$rc)" test "$rc" = 124

# --- a name behind dead name servers: an error after about 2 s, not 15+ ---
rc=0
t0=$(now)
in_dns "$T/resolv.conf" env NFSWG_RESOLVE_TIMEOUT_SEC=2 "$TOOL" resolve "$NAME:51820" \
        >"$T/name.out" 2>"$T/name.err" || rc=$?
t1=$(now)
took=$(elapsed "$t0" "$t1")
echo "# resolve $NAME:51820 took $took s, rc=$rc"
check "the lookup of $NAME fails (rc=$rc)" test "$rc" = 1
check "it gives up within 8 s ($took s)" less_than "$took" 8
check "it waits about NFSWG_RESOLVE_TIMEOUT_SEC=2 ($took s)" less_than 1.9 "$took"
check "the warning names the host and the deadline" \
        grep -q "Cannot resolve endpoint $NAME:51820 (timed out after 2 s)" "$T/name.err"
check "nothing is printed for it" test ! -s "$T/name.out"

# --- numeric endpoints and /etc/hosts names need no DNS: at once ---
rc=0
t0=$(now)
in_dns "$T/resolv.conf" "$TOOL" resolve 192.0.2.1:51820 "[2001:db8::1]:4500" localhost:51820 \
        >"$T/num.out" 2>"$T/num.err" || rc=$?
t1=$(now)
took=$(elapsed "$t0" "$t1")
echo "# resolve of numeric endpoints and localhost took $took s, rc=$rc"
check "numeric endpoints resolve (rc=$rc)" test "$rc" = 0
check "IPv4 as given" grep -qx "192.0.2.1:51820 192.0.2.1:51820" "$T/num.out"
check "IPv6 as given" grep -qx "\[2001:db8::1\]:4500 \[2001:db8::1\]:4500" "$T/num.out"
check "localhost from /etc/hosts" grep -qE "^localhost:51820 (127\.0\.0\.1:51820|\[::1\]:51820)$" "$T/num.out"
check "in under 1 s ($took s)" less_than "$took" 1

# --- an abandoned lookup is freed by the next call once glibc is done with it ---
rc=0
in_dns "$T/resolv-short.conf" env NFSWG_RESOLVE_TIMEOUT_SEC=1 "$TOOL" resolve --pause 3 \
        "$NAME:51820" 192.0.2.1:51820 >"$T/reap.out" 2>"$T/reap.err" || rc=$?
check "after a timeout the next lookup still works (rc=$rc: 1 for the name)" test "$rc" = 1
check "the name timed out after 1 s" grep -q "Cannot resolve endpoint $NAME:51820 (timed out after 1 s)" "$T/reap.err"
check "the numeric one resolved" grep -qx "192.0.2.1:51820 192.0.2.1:51820" "$T/reap.out"
check "the abandoned lookup was freed" grep -q "lookup of $NAME:51820 given up on earlier has ended" "$T/reap.err"
# a sanitizer build reports leaks and invalid accesses on stderr
check "no sanitizer report" sh -c "! grep -hE 'Sanitizer|runtime error' '$T'/*.err"

for f in "$T"/*.err; do
        [ "$FAILS" = 0 ] || { echo "== $f"; cat "$f"; }
done
[ "$FAILS" = 0 ]
