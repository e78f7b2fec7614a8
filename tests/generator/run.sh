#!/bin/bash
# SPDX-License-Identifier: MIT
# nfswg-generator as systemd runs it (systemd.generator(7)), over the golden inputs:
#   NFSWG_ROOT=CASE/input nfswg-generator NORMAL EARLY LATE
# NORMAL must equal the run/systemd/generator part of the case's expected tree, EARLY and LATE
# must stay untouched, the exit code is 0. A broken config next to a good one: exit 0, nothing
# written for it, the good one still written, and its FILE:LINE problem logged (on stderr here;
# /dev/kmsg when systemd runs it). Bridges that clash with each other: exit 0, only one kept.
# No enablement link in any output; the nfs-utils drop-ins inert; the nfs-server drop-in's
# --nfsd-max-block-size helper. Usage errors: exit 2, nothing written.
set -u

src=${NFSWG_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
golden=$src/tests/golden
gen=${NFSWG_GENERATOR:-${NFSWG_BUILD_ROOT:-$src/build}/src/generator/nfswg-generator}
[ -x "$gen" ] || { echo "SKIP: $gen is not built" >&2; exit 77; }

fail=0
failed() {
        echo "FAIL: $*" >&2
        fail=1
}
tmp=$(mktemp -d /tmp/nfswg-generator-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

tree() {
        [ -d "$1" ] || return 0
        (cd "$1" && find . ! -type d -printf '%P %y %l\n' | LC_ALL=C sort)
}

# Compares a generator output directory with an expected one: file list, bytes, link targets.
same_tree() { # LABEL EXPECTED ACTUAL
        if [ "$(tree "$2")" != "$(tree "$3")" ]; then
                failed "$1: files differ:$(diff <(tree "$2") <(tree "$3"))"
                return
        fi
        [ -d "$2" ] || return 0
        diff -r --no-dereference "$2" "$3" >&2 || failed "$1: contents differ"
}

run_generator() { # ROOT OUT -> rc; stderr in $tmp/err
        mkdir -p "$2"
        NFSWG_ROOT=$1 "$gen" "$2/normal" "$2/early" "$2/late" 2>"$tmp/err"
}

for input in "$golden"/*/input; do
        case_dir=$(dirname "$input")
        case=$(basename "$case_dir")
        out=$tmp/$case
        run_generator "$input" "$out"
        rc=$?
        [ $rc = 0 ] || failed "$case: exit $rc ($(cat "$tmp/err"))"
        [ -s "$tmp/err" ] && failed "$case: unexpected messages: $(cat "$tmp/err")"
        same_tree "$case" "$case_dir/expected/run/systemd/generator" "$out/normal"
        [ -e "$out/early" ] || [ -e "$out/late" ] && failed "$case: wrote into EARLY or LATE"
        # Running again over the same output changes nothing.
        before=$(cd "$out" && find . -printf '%P %s %T@ %i\n' | LC_ALL=C sort)
        run_generator "$input" "$out" || failed "$case: second run failed"
        [ "$before" = "$(cd "$out" && find . -printf '%P %s %T@ %i\n' | LC_ALL=C sort)" ] ||
                failed "$case: a second run changed files"
done

# A broken config beside the packaged default: only the default is generated.
for conf in "$golden"/invalid/*.conf; do
        name=$(basename "$conf" .conf)
        root=$tmp/invalid-$name/root
        out=$tmp/invalid-$name/out
        mkdir -p "$root/etc/nfswg"
        cp -a "$golden/default/input/etc/nfswg/." "$root/etc/nfswg/"
        cp "$conf" "$root/etc/nfswg/"
        run_generator "$root" "$out"
        rc=$?
        [ $rc = 0 ] || failed "invalid/$name: exit $rc, not 0"
        while read -r want; do
                [ -n "$want" ] && ! grep -qF -- "$want" "$tmp/err" &&
                        failed "invalid/$name: log lacks '$want': $(cat "$tmp/err")"
        done <"$golden/invalid/$name.expect"
        grep -qF "$root/etc/nfswg/$name.conf:" "$tmp/err" || failed "invalid/$name: log does not name the file"
        same_tree "invalid/$name" "$golden/default/expected/run/systemd/generator" "$out/normal"
done

# Two bridges that clash (same ListenPort): one is dropped, and says so; the other is generated.
root=$tmp/clash/root
mkdir -p "$root/etc/nfswg"
printf '[Bridge]\nInterface=nfswg-a\nAddress=10.1.0.1/24\nListenPort=51999\n[Export]\nPath=/srv/a\n' >"$root/etc/nfswg/a.conf"
printf '[Bridge]\nInterface=nfswg-b\nAddress=10.2.0.1/24\nListenPort=51999\n[Export]\nPath=/srv/b\n' >"$root/etc/nfswg/b.conf"
run_generator "$root" "$tmp/clash/out" || failed "clash: exit $?"
kept=$(grep -h '^After=nfswg@' "$tmp/clash/out/normal/nfs-server.service.d/50-nfswg.conf" 2>/dev/null)
[ "$kept" = "After=nfswg@a.service" ] ||
        failed "clash: expected exactly bridge a to be kept: $(tree "$tmp/clash/out/normal")"
[ "$(ls "$tmp/clash/out/normal" | grep -c '^nfswg@.*\.service\.wants$')" = 1 ] ||
        failed "clash: expected the Wants= of exactly one bridge: $(tree "$tmp/clash/out/normal")"
grep -q 'ListenPort=51999 is also used' "$tmp/err" || failed "clash: the conflict is not logged: $(cat "$tmp/err")"
grep -q 'b.conf: skipped' "$tmp/err" || failed "clash: the skipped bridge is not named: $(cat "$tmp/err")"

# A bridge whose [NFS] key contradicts the administrator's nfs.conf pin: skipped, the conflict
# logged at the key, naming the nfs.conf file; the bridge that agrees is still generated.
root=$tmp/pin/root
mkdir -p "$root/etc/nfswg" "$root/etc/nfs.conf.d"
printf '[mountd]\nport = 892\n' >"$root/etc/nfs.conf.d/local.conf"
printf '[Bridge]\nInterface=nfswg-a\nAddress=10.1.0.1/24\nListenPort=51998\n[Export]\nPath=/srv/a\n' >"$root/etc/nfswg/a.conf"
printf '[Bridge]\nInterface=nfswg-b\nAddress=10.2.0.1/24\nListenPort=51999\n[Export]\nPath=/srv/b\n[NFS]\nMountdPort=20048\n' \
        >"$root/etc/nfswg/b.conf"
run_generator "$root" "$tmp/pin/out" || failed "pin: exit $?"
grep -q "b.conf:8: MountdPort=20048 conflicts with \[mountd\] port=892 in $root/etc/nfs.conf.d/local.conf:2" "$tmp/err" ||
        failed "pin: the conflict is not logged at the key: $(cat "$tmp/err")"
kept=$(grep -h '^After=nfswg@' "$tmp/pin/out/normal/nfs-mountd.service.d/50-nfswg.conf" 2>/dev/null)
[ "$kept" = "After=nfswg@a.service" ] || failed "pin: expected exactly bridge a: $(tree "$tmp/pin/out/normal")"

# Consent: whatever the configs, the generator enables nothing (no link into a target's .wants or
# .requires, which would start a bridge, a share or nfsd without the administrator), and the
# nfs-utils drop-ins keep the packaged commands, taking options only from a bridge's environment
# file. Checked over the output of every case above.
for out in "$tmp"/*/normal "$tmp"/*/out/normal; do
        [ -d "$out" ] || continue
        enabled=$(cd "$out" && find . -path '*.target.wants/*' -o -path '*.target.requires/*' | sed 's|^\./||')
        [ -z "$enabled" ] || failed "$out: the generator enables units: $enabled"
        for d in "$out"/*.d/50-nfswg.conf; do
                [ -e "$d" ] || continue
                grep -q '^EnvironmentFile=-/run/nfswg/[a-z0-9-]*/nfs-utils.env$' "$d" ||
                        failed "$d: no EnvironmentFile=- of a bridge"
                grep -E '^ExecStart=.' "$d" | grep -vqxE 'ExecStart=/sbin/rpc.statd \$NFSWG_STATD_ARGS|ExecStart=/usr/sbin/rpc.mountd \$NFSWG_MOUNTD_ARGS' &&
                        failed "$d: an ExecStart= other than the packaged command plus our variable: $(grep '^ExecStart' "$d")"
                grep -Eq 'no-nfs-version|/bin/sh|--port' "$d" && failed "$d: changes nfs-utils host-wide: $(cat "$d")"
        done
done

# The ExecStartPre= helper of nfs-server.service's drop-in: nothing without the variable, the value
# written with it, a bad value refused, under NFSWG_ROOT.
mbs=$tmp/mbs
mkdir -p "$mbs/proc/fs/nfsd"
echo 1048576 >"$mbs/proc/fs/nfsd/max_block_size"
env -u NFSWG_MAX_BLOCK_SIZE NFSWG_ROOT=$mbs "$gen" --nfsd-max-block-size 2>"$tmp/err" || failed "max-block-size unset: exit $?"
[ "$(cat "$mbs/proc/fs/nfsd/max_block_size")" = 1048576 ] || failed "max-block-size unset: the file changed"
[ -s "$tmp/err" ] && failed "max-block-size unset: said something: $(cat "$tmp/err")"
NFSWG_MAX_BLOCK_SIZE= NFSWG_ROOT=$mbs "$gen" --nfsd-max-block-size 2>"$tmp/err" || failed "max-block-size empty: exit $?"
[ "$(cat "$mbs/proc/fs/nfsd/max_block_size")" = 1048576 ] || failed "max-block-size empty: the file changed"
NFSWG_MAX_BLOCK_SIZE=262144 NFSWG_ROOT=$mbs "$gen" --nfsd-max-block-size 2>"$tmp/err" || failed "max-block-size: exit $?"
[ "$(cat "$mbs/proc/fs/nfsd/max_block_size")" = 262144 ] || failed "max-block-size: wrote '$(cat "$mbs/proc/fs/nfsd/max_block_size")'"
for bad in 1000 3000000 "4096;x" "-1"; do
        NFSWG_MAX_BLOCK_SIZE=$bad NFSWG_ROOT=$mbs "$gen" --nfsd-max-block-size 2>"$tmp/err"
        rc=$?
        [ $rc = 1 ] || failed "max-block-size '$bad': exit $rc, not 1"
        [ "$(cat "$mbs/proc/fs/nfsd/max_block_size")" = 262144 ] || failed "max-block-size '$bad': the file changed"
done
rm "$mbs/proc/fs/nfsd/max_block_size"
NFSWG_MAX_BLOCK_SIZE=65536 NFSWG_ROOT=$mbs "$gen" --nfsd-max-block-size 2>"$tmp/err"
[ $? = 1 ] || failed "max-block-size without /proc/fs/nfsd: not exit 1"
[ -e "$mbs/proc/fs/nfsd/max_block_size" ] && failed "max-block-size created the file"

# No config at all: nothing to do, nothing written.
mkdir -p "$tmp/empty/root"
run_generator "$tmp/empty/root" "$tmp/empty/out" || failed "empty: exit $?"
[ -z "$(tree "$tmp/empty/out/normal")" ] || failed "empty: wrote $(tree "$tmp/empty/out/normal")"

# Usage errors.
for args in "" "a b" "a b c d"; do
        # shellcheck disable=SC2086
        NFSWG_ROOT=$golden/default/input "$gen" $args 2>/dev/null
        rc=$?
        [ $rc = 2 ] || failed "usage '$args': exit $rc, not 2"
done

[ $fail = 0 ] && echo "generator: all cases pass"
exit $fail
