#!/bin/bash
# SPDX-License-Identifier: MIT
# Golden trees for `nfswg --root DIR render NAME`.
#
# Each case is tests/golden/CASE/input (a fake root holding etc/nfswg/*.conf and .conf.d/, and
# maybe the administrator's etc/nfs.conf, etc/nfs.conf.d/) and
# tests/golden/CASE/expected (every file render writes beside it, with the same paths). For every
# case the input is copied to a temporary root, `render NAME` runs once per config (in name order),
# and the written files must equal expected/ byte for byte (symlinks by target), with the modes
# DESIGN.md gives; a second run must change nothing, not even an mtime.
# tests/golden/invalid/NAME.conf must make render exit 1, print NAME.expect's strings on stderr,
# and write nothing at all.
# networkd/ and exports.d/ at the top level must stay identical to the one-peer case's output, and
# the default case's input identical to the packaged etc/bridge.conf.
#
# Regenerate the expected trees and the examples after an intended change in the output:
#     NFSWG_BUILD_ROOT=build tests/golden/run.sh --regenerate
# then review `git diff tests/golden networkd exports.d`.
set -u

src=${NFSWG_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
golden=$src/tests/golden
nfswg=${NFSWG:-${NFSWG_BUILD_ROOT:-$src/build}/src/cli/nfswg}
regenerate=0
[ "${1:-}" = --regenerate ] && regenerate=1

fail=0
failed() {
        echo "FAIL: $*" >&2
        fail=1
}

tmp=$(mktemp -d /tmp/nfswg-golden.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Files render wrote: everything under the root except the inputs (nfswg's configs and the
# administrator's nfs.conf files).
inputs=(-path ./etc/nfswg -o -path ./etc/nfs.conf -o -path ./etc/nfs.conf.d -o -path ./etc/nfs-extra.conf)
written() {
        (cd "$1" && find . \( "${inputs[@]}" \) -prune -o ! -type d -print | sed 's|^\./||' | LC_ALL=C sort)
}

# "PATH MODE TYPE SIZE MTIME INODE" for every written file: a second run must leave it all alone.
snapshot() {
        (cd "$1" && find . \( "${inputs[@]}" \) -prune -o ! -type d -printf '%P %m %y %s %T@ %i %l\n' | LC_ALL=C sort)
}

# The examples shipped at the top level and the case output they are copies of.
examples=(
        "networkd/50-nfswg-bridge.netdev:one-peer/expected/run/systemd/network/50-nfswg-bridge.netdev"
        "networkd/50-nfswg-bridge.network:one-peer/expected/run/systemd/network/50-nfswg-bridge.network"
        "exports.d/nfswg-bridge.exports:one-peer/expected/etc/exports.d/nfswg-bridge.exports"
)

check_static() {
        cmp -s "$src/etc/bridge.conf" "$golden/default/input/etc/nfswg/bridge.conf" ||
                failed "tests/golden/default/input/etc/nfswg/bridge.conf differs from the packaged etc/bridge.conf"
        cmp -s "$src/etc/bridge.conf" "$golden/one-peer/input/etc/nfswg/bridge.conf" ||
                failed "tests/golden/one-peer/input/etc/nfswg/bridge.conf differs from the packaged etc/bridge.conf"
        for e in "${examples[@]}"; do
                if [ $regenerate = 1 ]; then
                        mkdir -p "$src/$(dirname "${e%%:*}")"
                        cp "$golden/${e#*:}" "$src/${e%%:*}"
                fi
                cmp -s "$src/${e%%:*}" "$golden/${e#*:}" || failed "${e%%:*} differs from tests/golden/${e#*:}"
        done
}

if [ ! -x "$nfswg" ]; then
        check_static
        echo "SKIP: $nfswg is not built; only the static checks ran" >&2
        [ $fail = 0 ] && exit 77
        exit 1
fi

for case_dir in "$golden"/*/input; do
        case_dir=$(dirname "$case_dir")
        case=$(basename "$case_dir")
        root=$tmp/$case
        mkdir -p "$root"
        cp -a "$case_dir/input/." "$root/"

        names=$(cd "$root/etc/nfswg" && ls -1 ./*.conf | sed 's|^\./||; s|\.conf$||' | LC_ALL=C sort)
        for pass in 1 2; do
                [ $pass = 2 ] && before=$(snapshot "$root")
                for name in $names; do
                        if ! "$nfswg" --root "$root" render "$name" >"$tmp/out" 2>"$tmp/err"; then
                                failed "$case: render $name exited $? ($(head -3 "$tmp/err"))"
                        fi
                done
                [ $pass = 2 ] && [ "$before" != "$(snapshot "$root")" ] &&
                        failed "$case: a second render changed files:$(diff <(echo "$before") <(snapshot "$root"))"
        done

        if [ $regenerate = 1 ]; then
                rm -rf "$case_dir/expected"
                mkdir -p "$case_dir/expected"
                (cd "$root" && written "$root" | while read -r f; do
                        mkdir -p "$case_dir/expected/$(dirname "$f")"
                        cp -P "$f" "$case_dir/expected/$f"
                done)
                chmod -R u+rwX,go+rX "$case_dir/expected"
        fi

        # Same set of files, same bytes, same link targets.
        exp_list=$(cd "$case_dir/expected" 2>/dev/null && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort)
        if [ "$exp_list" != "$(written "$root")" ]; then
                failed "$case: files differ:$(diff <(echo "$exp_list") <(written "$root"))"
                continue
        fi
        while read -r f; do
                if [ -L "$case_dir/expected/$f" ]; then
                        [ -L "$root/$f" ] && [ "$(readlink "$case_dir/expected/$f")" = "$(readlink "$root/$f")" ] ||
                                failed "$case: $f: link target differs"
                else
                        diff -u "$case_dir/expected/$f" "$root/$f" >&2 || failed "$case: $f differs"
                fi
                # Modes are not kept by git: check them against DESIGN.md here.
                if [ ! -L "$root/$f" ]; then
                        want=644
                        case $f in run/systemd/network/*) want=640 ;; esac
                        [ "$(stat -c %a "$root/$f")" = $want ] || failed "$case: $f has mode $(stat -c %a "$root/$f"), not $want"
                fi
        done <<<"$exp_list"
done

for conf in "$golden"/invalid/*.conf; do
        name=$(basename "$conf" .conf)
        root=$tmp/invalid-$name
        mkdir -p "$root/etc/nfswg"
        cp "$conf" "$root/etc/nfswg/"
        before=$(cd "$root" && find . | LC_ALL=C sort)
        "$nfswg" --root "$root" render "$name" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        [ $rc = 1 ] || failed "invalid/$name: render exited $rc, not 1"
        while read -r want; do
                [ -n "$want" ] && ! grep -qF -- "$want" "$tmp/err" &&
                        failed "invalid/$name: stderr lacks '$want': $(cat "$tmp/err")"
        done <"$golden/invalid/$name.expect"
        [ "$before" = "$(cd "$root" && find . | LC_ALL=C sort)" ] ||
                failed "invalid/$name: render wrote something:$(diff <(echo "$before") <(cd "$root" && find . | LC_ALL=C sort))"
done

check_static

[ $fail = 0 ] && echo "golden: all cases match"
exit $fail
