#!/bin/bash
# SPDX-License-Identifier: MIT
# Invocation tests of nfswg under --root: every command, every error, exit codes (0 ok, 1 refused,
# 2 usage), and that a refused command writes nothing (the tree under ROOT is compared before and
# after, contents and modes included). Run by `meson test cli-run`; needs NFSWG_BUILD_ROOT.
set -u

BUILD=${NFSWG_BUILD_ROOT:?NFSWG_BUILD_ROOT must name the build directory}
NFSWG=$BUILD/src/cli/nfswg
[ -x "$NFSWG" ] || { echo "no $NFSWG"; exit 1; }

T=$(mktemp -d /tmp/nfswg-test-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
failures=0
checks=0

fail() {
        echo "FAIL: $*" >&2
        failures=$((failures + 1))
}

# run EXPECTED_RC CMD...: stdout in $T/out, stderr in $T/err
run() {
        local want=$1
        shift
        checks=$((checks + 1))
        "$@" >"$T/out" 2>"$T/err"
        local rc=$?
        if [ "$rc" != "$want" ]; then
                fail "exit $rc, expected $want: $*"
                sed 's/^/    stderr: /' "$T/err" >&2
        fi
}

# The tree under a root: paths, types, modes, owners and content hashes.
snapshot() {
        (cd "$1" && find . -printf '%p %y %m %u:%g %s\n' | sort && find . -type f -exec sha1sum {} + | sort)
}

# refused EXPECTED_RC ROOT CMD...: the command fails and ROOT is unchanged
refused() {
        local want=$1 root=$2
        shift 2
        snapshot "$root" >"$T/before"
        run "$want" "$@"
        snapshot "$root" >"$T/after"
        if ! cmp -s "$T/before" "$T/after"; then
                fail "wrote something although refused: $*"
                diff "$T/before" "$T/after" | sed 's/^/    /' >&2
        fi
}

expect_out() {
        grep -q -- "$1" "$T/out" || fail "stdout lacks '$1' (${2:-})"
}
expect_err() {
        grep -q -- "$1" "$T/err" || fail "stderr lacks '$1' (${2:-})"
}
expect_mode() {
        local m
        m=$(stat -c %a "$1" 2>/dev/null) || { fail "$1 missing"; return; }
        [ "$m" = "$2" ] || fail "$1 has mode $m, expected $2"
}

new_root() {
        local r=$T/$1
        mkdir -p "$r/etc/nfswg"
        echo "$r"
}

write_bridge() { # ROOT NAME [extra lines...]
        local root=$1 name=$2 port=${PORT:-51820} net=${NET:-10.8.0}
        shift 2
        {
                printf '[Bridge]\nMode=embedded\nAddress=%s.1/24\nListenPort=%s\nEndpoint=vpn.example.com:%s\n' "$net" "$port" "$port"
                printf '\n[Export]\nPath=/srv/nfswg\nPeers=*\n'
                for l in "$@"; do printf '%s\n' "$l"; done
        } >"$root/etc/nfswg/$name.conf"
}

# ---------------------------------------------------------------------------------------------
echo "# global usage"
R=$(new_root usage)
run 0 "$NFSWG" --help
expect_out "peer add"
run 0 "$NFSWG" --version
run 2 "$NFSWG"
run 2 "$NFSWG" frobnicate
expect_err "unknown command"
run 2 "$NFSWG" --bogus check x
run 2 "$NFSWG" --root
run 2 "$NFSWG" --root "$R" peer
run 2 "$NFSWG" --root "$R" peer frob

# ---------------------------------------------------------------------------------------------
echo "# check"
R=$(new_root check)
write_bridge "$R" bridge
refused 0 "$R" "$NFSWG" --root "$R" check bridge   # success writes nothing either
expect_out "bridge: ok"
refused 0 "$R" "$NFSWG" --root "$R" check "$R/etc/nfswg/bridge.conf"
refused 0 "$R" "$NFSWG" check --root "$R" bridge     # --root after the verb
refused 1 "$R" "$NFSWG" --root "$R" check missing
refused 1 "$R" "$NFSWG" --root "$R" check Bad_Name
refused 1 "$R" "$NFSWG" --root "$R" check "$R/etc/nfswg/nothere.conf"
refused 2 "$R" "$NFSWG" --root "$R" check
refused 2 "$R" "$NFSWG" --root "$R" check a b
refused 2 "$R" "$NFSWG" --root "$R" check --frob bridge
printf '[Bridge]\nAddress=10.9.0.1/24\nListenPort=51821\nBogusKey=1\n' >"$R/etc/nfswg/broken.conf"
refused 1 "$R" "$NFSWG" --root "$R" check broken
expect_err "broken.conf:4:"
refused 1 "$R" "$NFSWG" --root "$R" check "$R/etc/nfswg/broken.conf"
expect_err "broken.conf:4:"
rm "$R/etc/nfswg/broken.conf"
# an injection attempt: a path with a space and an option-looking value
printf '[Bridge]\nAddress=10.9.0.1/24\nListenPort=51821\n[Export]\nPath=/srv/a b\nPeers=*\n' >"$R/etc/nfswg/inject.conf"
refused 1 "$R" "$NFSWG" --root "$R" check inject
expect_err "inject.conf:5:"
rm "$R/etc/nfswg/inject.conf"
# two bridges that clash (same port): the host-wide check fails both
PORT=51820 NET=10.9.0 write_bridge "$R" other
refused 1 "$R" "$NFSWG" --root "$R" check bridge
expect_err "ListenPort=51820"
rm "$R/etc/nfswg/other.conf"

# ---------------------------------------------------------------------------------------------
echo "# render"
R=$(new_root render)
write_bridge "$R" bridge
run 0 "$NFSWG" --root "$R" render bridge
for f in run/systemd/network/50-nfswg-bridge.netdev run/systemd/network/50-nfswg-bridge.network \
         etc/exports.d/nfswg-bridge.exports run/systemd/generator/nfs-mountd.service.d/50-nfswg.conf \
         run/nfswg/bridge/nfs-utils.env; do
        [ -f "$R/$f" ] || fail "render did not write $f"
done
[ -L "$R/run/systemd/generator/nfswg@bridge.service.wants/nfs-server.service" ] || fail "render: no Wants= of nfsd"
[ -z "$(find "$R/run/systemd/generator" -path '*.target.wants/*')" ] || fail "render: the generator's part enables a unit"
snapshot "$R" >"$T/first"
find "$R" -type f -printf '%p %T@\n' | sort >"$T/first-mtime"
run 0 "$NFSWG" --root "$R" render bridge
snapshot "$R" >"$T/second"
find "$R" -type f -printf '%p %T@\n' | sort >"$T/second-mtime"
cmp -s "$T/first" "$T/second" || fail "a second render changed bytes"
cmp -s "$T/first-mtime" "$T/second-mtime" || fail "a second render rewrote unchanged files"

R=$(new_root render-bad)
printf '[Bridge]\nAddress=10.8.0.1/24\nMTU=banana\n' >"$R/etc/nfswg/bridge.conf"
refused 1 "$R" "$NFSWG" --root "$R" render bridge
expect_err "bridge.conf:3:"
[ -e "$R/run" ] && fail "render of a bad config made a directory"
refused 1 "$R" "$NFSWG" --root "$R" render missing
refused 1 "$R" "$NFSWG" --root "$R" render ../bridge
refused 2 "$R" "$NFSWG" --root "$R" render
refused 2 "$R" "$NFSWG" --root "$R" render a b
# a valid bridge next to a broken one: render refuses the whole host
R=$(new_root render-host)
write_bridge "$R" good
printf '[Bridge]\nAddress=10.9.0.1/24\nListenPort=70000\n' >"$R/etc/nfswg/bad.conf"
refused 1 "$R" "$NFSWG" --root "$R" render good

# ---------------------------------------------------------------------------------------------
echo "# init"
R=$(new_root init)
run 0 "$NFSWG" --root "$R" init bridge --endpoint vpn.example.com:51820
expect_out "nfswg peer add bridge"
expect_mode "$R/etc/nfswg/bridge.conf" 644
expect_mode "$R/var/lib/nfswg/bridge" 750
expect_mode "$R/var/lib/nfswg/bridge/private.key" 640
[ "$(wc -c <"$R/var/lib/nfswg/bridge/private.key")" = 45 ] || fail "private.key is not one base64 key line"
if [ "$(id -u)" = 0 ] && getent group systemd-network >/dev/null; then
        [ "$(stat -c %U:%G "$R/var/lib/nfswg/bridge/private.key")" = root:systemd-network ] || fail "private.key owner"
fi
if command -v wg >/dev/null; then
        pub=$(wg pubkey <"$R/var/lib/nfswg/bridge/private.key")
        expect_out "$pub"
fi
run 0 "$NFSWG" --root "$R" check bridge
key_before=$(sha1sum <"$R/var/lib/nfswg/bridge/private.key")
refused 1 "$R" "$NFSWG" --root "$R" init bridge
expect_err "already exists"
refused 1 "$R" "$NFSWG" --root "$R" init Bad
refused 1 "$R" "$NFSWG" --root "$R" init second --port 51820   # clashes with bridge
expect_err "ListenPort=51820"
refused 1 "$R" "$NFSWG" --root "$R" init second --address 10.8.0.7/24   # overlaps bridge
refused 1 "$R" "$NFSWG" --root "$R" init second --address 300.1.1.1/24
refused 1 "$R" "$NFSWG" --root "$R" init second --export relative/path
refused 1 "$R" "$NFSWG" --root "$R" init second --endpoint 'bad host:1'
refused 2 "$R" "$NFSWG" --root "$R" init second --port 0
refused 2 "$R" "$NFSWG" --root "$R" init second --mode bogus
refused 2 "$R" "$NFSWG" --root "$R" init second --mode client
refused 2 "$R" "$NFSWG" --root "$R" init second --mode nas
refused 2 "$R" "$NFSWG" --root "$R" init
refused 2 "$R" "$NFSWG" --root "$R" init a b
[ "$(sha1sum <"$R/var/lib/nfswg/bridge/private.key")" = "$key_before" ] || fail "init changed an existing key"
# defaults that avoid the existing bridge
run 0 "$NFSWG" --root "$R" init second
grep -q '^ListenPort=51821$' "$R/etc/nfswg/second.conf" || fail "second bridge did not get the next port"
grep -q '^Address=10.8.1.1/24$' "$R/etc/nfswg/second.conf" || fail "second bridge did not get the next network"
run 0 "$NFSWG" --root "$R" check second
# a key that exists already is kept
mkdir -p "$R/var/lib/nfswg/third"
wg_key="oLTCRfQhPS222kK+fCeIi6bc3KbWKzM7JNLBWvoQn1c="
echo "$wg_key" >"$R/var/lib/nfswg/third/private.key"
run 0 "$NFSWG" --root "$R" init third
[ "$(cat "$R/var/lib/nfswg/third/private.key")" = "$wg_key" ] || fail "init overwrote an existing key"
expect_out "existing"
# --close-nfs-on, and the suggestion when a public address is there (NFSWG_IFADDRS stands in for
# getifaddrs(3)); private, ULA and documentation addresses are no reason to suggest anything
NFSWG_IFADDRS="lo=127.0.0.1 lan0=192.168.1.2 wg0=fd00::1 doc0=2001:db8::1" run 0 "$NFSWG" --root "$R" init quiet
grep -q "public address" "$T/out" && fail "init suggested CloseNFSOn= without a public address"
grep -q '^CloseNFSOn' "$R/etc/nfswg/quiet.conf" && fail "init wrote CloseNFSOn= unasked"
NFSWG_IFADDRS="lan0=192.168.1.2 eth0=8.8.4.4 eth1=2a01:4f8::1" run 0 "$NFSWG" --root "$R" init vps
expect_out "a public address is on eth0 eth1: .*CloseNFSOn=eth0 eth1" "init suggests CloseNFSOn="
grep -q '^CloseNFSOn' "$R/etc/nfswg/vps.conf" && fail "the suggestion changed the config"
NFSWG_IFADDRS="eth0=8.8.4.4" run 0 "$NFSWG" --root "$R" init shut --close-nfs-on eth0 --close-nfs-on ens3
grep -q "public address" "$T/out" && fail "init suggested what --close-nfs-on already says"
[ "$(grep '^CloseNFSOn=' "$R/etc/nfswg/shut.conf" | tr '\n' ' ')" = "CloseNFSOn=eth0 CloseNFSOn=ens3 " ] ||
        fail "init --close-nfs-on: CloseNFSOn= lines"
run 0 "$NFSWG" --root "$R" check shut
refused 1 "$R" "$NFSWG" --root "$R" init own --close-nfs-on nfswg-own
expect_err "init: CloseNFSOn= names nfswg-own, the bridge's own Interface="
refused 1 "$R" "$NFSWG" --root "$R" init badif --close-nfs-on 'eth0;x'
expect_err "CloseNFSOn= names must be"
# client mode
RC=$(new_root init-client)
run 0 "$NFSWG" --root "$RC" init home --mode client --server-key T6LqaGeII0NtEfEUAgC2thr+sO9Vj/Pde3e3q9l3JEE= \
        --endpoint vpn.example.com:51820 --address 10.8.0.9/24
grep -q '^AllowedIPs=10.8.0.0/24$' "$RC/etc/nfswg/home.conf" || fail "client init: AllowedIPs"
run 0 "$NFSWG" --root "$RC" check home
# a host route as this host's address (what 'peer add' hands out): the bridge's network is not
# known, so AllowedIPs= must be given; a [Mount] with the server's address derives it
RC2=$(new_root init-client-host)
refused 1 "$RC2" "$NFSWG" --root "$RC2" init home --mode client --server-key T6LqaGeII0NtEfEUAgC2thr+sO9Vj/Pde3e3q9l3JEE= \
        --endpoint vpn.example.com:51820 --address 10.8.0.9/32
expect_err "allowed-ips"
run 0 "$NFSWG" --root "$RC2" init home --mode client --server-key T6LqaGeII0NtEfEUAgC2thr+sO9Vj/Pde3e3q9l3JEE= \
        --endpoint vpn.example.com:51820 --address 10.8.0.9/32 --allowed-ips 10.8.0.0/24
sed -i '/^AllowedIPs=/d' "$RC2/etc/nfswg/home.conf"
refused 1 "$RC2" "$NFSWG" --root "$RC2" check home
expect_err "home.conf:[0-9]*: Mode=client needs AllowedIPs="
printf '\n[Mount]\nWhat=10.8.0.1:/srv/nfswg\nWhere=/mnt/nfswg\n' >>"$RC2/etc/nfswg/home.conf"
run 0 "$NFSWG" --root "$RC2" render home
grep -qx 'AllowedIPs=10.8.0.1/32' "$RC2/run/systemd/network/50-nfswg-home.netdev" ||
        fail "client without AllowedIPs=: the mount's server is not routed into the tunnel"
printf '\n[Mount]\nWhat=nas.example.com:/srv\nWhere=/mnt/nas\n' >>"$RC2/etc/nfswg/home.conf"
refused 1 "$RC2" "$NFSWG" --root "$RC2" check home
expect_err "home.conf:[0-9]*: What= names the server 'nas.example.com'"

# ---------------------------------------------------------------------------------------------
echo "# init: names of 10 to 32 characters, --interface, the paths it prints"
RL=$(new_root init-long)
long=photos-of-the-family-2024-backup   # 32 characters: nfswg-NAME would be 38
run 0 "$NFSWG" --root "$RL" init "$long"
if1=$(sed -n 's/^Interface=//p' "$RL/etc/nfswg/$long.conf")
[ ${#if1} -ge 1 ] && [ ${#if1} -le 15 ] || fail "init $long: Interface=$if1 is not 1-15 characters"
expect_out "interface $if1"
run 0 "$NFSWG" --root "$RL" check "$long"
# the same name on another host gets the same interface; a bridge that holds it makes init pick another
RL2=$(new_root init-long2)
printf '[Bridge]\nInterface=%s\nAddress=10.9.0.1/24\nListenPort=51899\n' "$if1" >"$RL2/etc/nfswg/first.conf"
run 0 "$NFSWG" --root "$RL2" init "$long"
if2=$(sed -n 's/^Interface=//p' "$RL2/etc/nfswg/$long.conf")
[ -n "$if2" ] && [ "$if2" != "$if1" ] && [ ${#if2} -le 15 ] || fail "init did not avoid Interface=$if1 of another bridge (got '$if2')"
run 0 "$NFSWG" --root "$RL2" check "$long"
# --interface: as given; a clash or an invalid name is refused, pointing at no line of the unwritten file
run 0 "$NFSWG" --root "$RL" init tenletters --interface wg-ten
grep -qx 'Interface=wg-ten' "$RL/etc/nfswg/tenletters.conf" || fail "init --interface not written"
refused 1 "$RL" "$NFSWG" --root "$RL" init other --interface wg-ten
expect_err "Interface=wg-ten is also used"
grep -q "other.conf:[0-9]" "$T/err" && fail "init's error points at a line of other.conf, which does not exist"
refused 2 "$RL" "$NFSWG" --root "$RL" init other --interface 'a b'
refused 2 "$RL" "$NFSWG" --root "$RL" init other --interface sixteen-chars-xx
refused 1 "$RL" "$NFSWG" --root "$RL" init other --address 300.1.1.1/24
grep -q "other.conf:[0-9]" "$T/err" && fail "init's error points at a line of other.conf, which does not exist"
expect_err "^nfswg: "
# every path it prints is the one it wrote, below --root
run 0 "$NFSWG" --root "$RL" init short
expect_out "Created $RL/etc/nfswg/short.conf"
expect_out "$RL/var/lib/nfswg/short/private.key"
grep -v -F "$RL" "$T/out" | grep -q "/etc/nfswg/\|/var/lib/nfswg/" && fail "init printed a path outside --root"
# a missing bridge: the nfswg: prefix and the init command
refused 1 "$RL" "$NFSWG" --root "$RL" peer list nosuch
expect_err "^nfswg: "
expect_err "nfswg --root $RL init nosuch"
refused 1 "$RL" "$NFSWG" --root "$RL" check nosuch
expect_err "init nosuch"
# one prefix, not two
refused 2 "$RL" "$NFSWG" --root "$RL" peer config a b c d
grep -q "nfswg: nfswg" "$T/err" && fail "doubled prefix: $(head -1 "$T/err")"

# ---------------------------------------------------------------------------------------------
echo "# peer add"
R=$(new_root peer)
write_bridge "$R" bridge
run 0 "$NFSWG" --root "$R" peer add bridge laptop
D=$R/etc/nfswg/bridge.conf.d
grep -q '^Address=10.8.0.2/32$' "$D/peer-laptop.conf" || fail "first peer did not get 10.8.0.2"
grep -q '^Name=laptop$' "$D/peer-laptop.conf" || fail "drop-in lacks Name="
grep -q '^PersistentKeepalive=25$' "$D/peer-laptop.conf" || fail "drop-in lacks the default keepalive"
expect_mode "$R/var/lib/nfswg/bridge/peers/laptop.conf" 600
expect_mode "$R/var/lib/nfswg/bridge/peers" 750
expect_mode "$R/var/lib/nfswg/bridge/private.key" 640
expect_out "PrivateKey = "
expect_out "Endpoint = vpn.example.com:51820"
expect_out "AllowedIPs = 10.8.0.0/24"
cmp -s "$T/out" "$R/var/lib/nfswg/bridge/peers/laptop.conf" || fail "printed config differs from the stored one"
grep -q PrivateKey "$T/err" && fail "the private key went to stderr"
grep -q PrivateKey "$D/peer-laptop.conf" && fail "the private key is in the drop-in"
if command -v wg >/dev/null; then
        priv=$(sed -n 's/^PrivateKey = //p' "$T/out")
        pub=$(echo "$priv" | wg pubkey)
        grep -q "^PublicKey=$pub\$" "$D/peer-laptop.conf" || fail "drop-in PublicKey= does not belong to the printed private key"
        server_pub=$(wg pubkey <"$R/var/lib/nfswg/bridge/private.key")
        expect_out "PublicKey = $server_pub"
fi
run 0 "$NFSWG" --root "$R" check bridge

run 0 "$NFSWG" --root "$R" peer add bridge phone --psk --keepalive 0 --qr
grep -q '^Address=10.8.0.3/32$' "$D/peer-phone.conf" || fail "second peer did not get 10.8.0.3"
grep -q '^PresharedKeyFile=/var/lib/nfswg/bridge/peers/phone.psk$' "$D/peer-phone.conf" || fail "no PresharedKeyFile="
grep -q 'PersistentKeepalive' "$D/peer-phone.conf" && fail "--keepalive 0 still wrote PersistentKeepalive="
expect_mode "$R/var/lib/nfswg/bridge/peers/phone.psk" 640
expect_out "PresharedKey = $(cat "$R/var/lib/nfswg/bridge/peers/phone.psk")"
expect_out "█"
laptop_pub=$(sed -n 's/^PublicKey=//p' "$D/peer-laptop.conf")

refused 1 "$R" "$NFSWG" --root "$R" peer add bridge laptop
expect_err "already has a peer named 'laptop'"
refused 1 "$R" "$NFSWG" --root "$R" peer add bridge other --public-key "$laptop_pub"
expect_err "already used by peer 'laptop'"
refused 1 "$R" "$NFSWG" --root "$R" peer add bridge other --public-key abc
refused 1 "$R" "$NFSWG" --root "$R" peer add bridge other --address 10.9.0.5
expect_err "outside"
refused 1 "$R" "$NFSWG" --root "$R" peer add bridge other --address 10.8.0.2
expect_err "already used by peer 'laptop'"
refused 1 "$R" "$NFSWG" --root "$R" peer add bridge other --address 10.8.0.1
refused 1 "$R" "$NFSWG" --root "$R" peer add bridge other --address 10.8.0.255
refused 1 "$R" "$NFSWG" --root "$R" peer add bridge other --address banana
for bad in Laptop -x a_b 'a b' a23456789012345678901234567890123; do
        refused 1 "$R" "$NFSWG" --root "$R" peer add bridge -- "$bad"
        expect_err "Invalid peer name"
done
refused 1 "$R" "$NFSWG" --root "$R" peer add nobridge x
refused 2 "$R" "$NFSWG" --root "$R" peer add bridge
refused 2 "$R" "$NFSWG" --root "$R" peer add bridge x y
refused 2 "$R" "$NFSWG" --root "$R" peer add bridge x --keepalive never
refused 2 "$R" "$NFSWG" --root "$R" peer add bridge x --address
refused 2 "$R" "$NFSWG" --root "$R" peer add bridge x --frob
# a drop-in name taken by a file the administrator wrote
printf '# mine\n' >"$D/peer-taken.conf"
refused 1 "$R" "$NFSWG" --root "$R" peer add bridge taken
rm "$D/peer-taken.conf"
# an explicit address, and an external key: no private key is stored or printed
run 0 "$NFSWG" --root "$R" peer add bridge site --address 10.8.0.100 --public-key eEf4xJbysSXH+XKko52POQZeZ5KQlTtqMGeyfBoJjy8=
grep -q '^Address=10.8.0.100/32$' "$D/peer-site.conf" || fail "--address not honoured"
[ -e "$R/var/lib/nfswg/bridge/peers/site.conf" ] && fail "stored a client config without its private key"
expect_out "PrivateKey = REPLACE"

# full network: /30 has .1 (bridge) and .2 only
RF=$(new_root full)
printf '[Bridge]\nAddress=10.8.0.1/30\nListenPort=51820\n' >"$RF/etc/nfswg/tiny.conf"
run 0 "$NFSWG" --root "$RF" peer add tiny one
refused 1 "$RF" "$NFSWG" --root "$RF" peer add tiny two
expect_err "no free IPv4 address"

# dual stack: one address of each family
R6=$(new_root v6)
printf '[Bridge]\nAddress=10.8.0.1/24\nAddress=fd00:8::1/64\nListenPort=51820\nEndpoint=[2001:db8::1]:51820\n' >"$R6/etc/nfswg/dual.conf"
run 0 "$NFSWG" --root "$R6" peer add dual a
run 0 "$NFSWG" --root "$R6" peer add dual b
grep -q '^Address=fd00:8::3/128$' "$R6/etc/nfswg/dual.conf.d/peer-b.conf" || fail "IPv6 address not allocated"
grep -q '^Address=10.8.0.3/32$' "$R6/etc/nfswg/dual.conf.d/peer-b.conf" || fail "IPv4 address not allocated next to IPv6"
expect_out "Endpoint = \[2001:db8::1\]:51820"
# client mode has no peers
refused 1 "$RC" "$NFSWG" --root "$RC" peer add home x
expect_err "client mode"

# ---------------------------------------------------------------------------------------------
echo "# reading: regular files only, bounded, escaped excerpts, the bridge's own key"
RD=$(new_root reading)
write_bridge "$RD" bridge
run 0 "$NFSWG" --root "$RD" peer add bridge laptop
server_pub=$(sed -n 's/^PublicKey = //p' "$T/out")
DD=$RD/etc/nfswg/bridge.conf.d
# A FIFO, /dev/zero behind a symlink, a directory: refused at once with the file's name (timeout
# turns a hang into a failure instead of a stuck test).
mkfifo "$DD/x.conf"
start=$SECONDS
refused 1 "$RD" timeout 10 "$NFSWG" --root "$RD" check bridge
expect_err "x.conf: cannot read: not a regular file" "check, FIFO"
refused 1 "$RD" timeout 10 "$NFSWG" --root "$RD" peer add bridge tablet
expect_err "x.conf: cannot read: not a regular file" "peer add, FIFO"
refused 1 "$RD" timeout 10 "$NFSWG" --root "$RD" check "$RD/etc/nfswg/bridge.conf"
expect_err "x.conf: cannot read: not a regular file" "check FILE, FIFO"
# the generator (NFSWG_ROOT: logs to stderr) skips the bridge, promptly and saying why
GEN=$BUILD/src/generator/nfswg-generator
if [ -x "$GEN" ]; then
        checks=$((checks + 1))
        mkdir -p "$T/gen/normal" "$T/gen/early" "$T/gen/late"
        NFSWG_ROOT=$RD timeout 10 "$GEN" "$T/gen/normal" "$T/gen/early" "$T/gen/late" >"$T/out" 2>"$T/err"
        [ $? = 124 ] && fail "the generator hung on a FIFO drop-in"
        expect_err "x.conf: cannot read: not a regular file" "generator, FIFO"
        rm -rf "$T/gen"
fi
[ $((SECONDS - start)) -le 4 ] || fail "a FIFO drop-in took $((SECONDS - start)) s to refuse"
rm "$DD/x.conf"
ln -s /dev/zero "$DD/zero.conf"
refused 1 "$RD" timeout 10 "$NFSWG" --root "$RD" check bridge
expect_err "zero.conf: cannot read: not a regular file" "/dev/zero"
rm "$DD/zero.conf"
mkdir "$DD/dir.conf"
refused 1 "$RD" timeout 10 "$NFSWG" --root "$RD" check bridge
expect_err "dir.conf: cannot read: a directory"
rmdir "$DD/dir.conf"
head -c 4200000 /dev/zero | tr '\0' '#' >"$DD/big.conf"
refused 1 "$RD" timeout 10 "$NFSWG" --root "$RD" check bridge
expect_err "big.conf: cannot read: larger than 4 MiB"
rm "$DD/big.conf"
# a drop-in symlinked to a regular file keeps working
mv "$DD/peer-laptop.conf" "$RD/laptop.peer"
ln -s "$RD/laptop.peer" "$DD/peer-laptop.conf"
run 0 "$NFSWG" --root "$RD" check bridge
# input echoed to the terminal is escaped and short
printf '[Bridge]\nMode=\033]0;owned\007%s\n' "$(head -c 5000 /dev/zero | tr '\0' x)" >"$DD/esc.conf"
refused 1 "$RD" "$NFSWG" --root "$RD" check bridge
expect_err "esc.conf:2: Mode= must be one of embedded, nas, relay, client; not '\\\\x1b\]0;owned\\\\x07xxxx"
grep -q $'\033' "$T/err" && fail "an escape sequence reached stderr"
[ "$(wc -c <"$T/err")" -lt 400 ] || fail "the message quotes the whole 5 kB line"
rm "$DD/esc.conf"
refused 1 "$RD" "$NFSWG" --root "$RD" check $'bad\033[2Jname'
expect_err "Invalid bridge name 'bad\\\\x1b\[2Jname'"
refused 1 "$RD" "$NFSWG" --root "$RD" peer add bridge $'p\033]0;x\007'
expect_err "Invalid peer name 'p\\\\x1b\]0;x\\\\x07'"
refused 2 "$RD" "$NFSWG" --root "$RD" $'frob\033[2J'
expect_err "unknown command 'frob\\\\x1b\[2J'"
grep -q $'\033' "$T/err" && fail "an escape sequence reached stderr"
if [ -x "$BUILD/src/daemon/nfswgd" ]; then
        checks=$((checks + 1))
        "$BUILD/src/daemon/nfswgd" --root "$RD" $'b\033[2J' >"$T/out" 2>"$T/err" && fail "nfswgd took an invalid name"
        expect_err "'b\\\\x1b\[2J' is not a bridge name" "nfswgd"
        grep -q $'\033' "$T/err" && fail "nfswgd echoed an escape sequence"
        checks=$((checks + 1))
        NFSWG_POLL_SEC=$'5\033[2J' "$BUILD/src/daemon/nfswgd" --root "$RD" bridge >"$T/out" 2>"$T/err" &&
                fail "nfswgd took an invalid NFSWG_POLL_SEC"
        expect_err "NFSWG_POLL_SEC=5\\\\x1b\[2J is not a number of seconds" "nfswgd"
        grep -q $'\033' "$T/err" && fail "nfswgd echoed an escape sequence from its environment"
fi
# the bridge's own public key is no peer's key
refused 1 "$RD" "$NFSWG" --root "$RD" peer add bridge mirror --public-key "$server_pub"
expect_err "is the public key of bridge 'bridge' itself"
printf '[Peer]\nName=mirror\nAddress=10.8.0.9/32\nPublicKey=%s\n' "$server_pub" >"$DD/mirror.conf"
refused 1 "$RD" "$NFSWG" --root "$RD" check bridge
expect_err "mirror.conf:4: \[Peer\] mirror: PublicKey= is this bridge's own public key"
rm "$DD/mirror.conf"
run 0 "$NFSWG" --root "$RD" check bridge
# a client whose [Server] key would be its own (an existing key is kept by init)
mkdir -p "$RD/var/lib/nfswg/home"
cp "$RD/var/lib/nfswg/bridge/private.key" "$RD/var/lib/nfswg/home/private.key"
refused 1 "$RD" "$NFSWG" --root "$RD" init home --mode client --server-key "$server_pub" \
        --endpoint vpn.example.com:51820 --address 10.20.0.9/24
expect_err "home.conf:[0-9]*: \[Server\] PublicKey= is this host's own public key"

# ---------------------------------------------------------------------------------------------
echo "# peer list / config / mount-hint / status"
run 0 "$NFSWG" --root "$R" peer list bridge
expect_out "laptop"
expect_out "10.8.0.3/32"
refused 1 "$R" "$NFSWG" --root "$R" peer list nobridge
refused 2 "$R" "$NFSWG" --root "$R" peer list
refused 2 "$R" "$NFSWG" --root "$R" peer list bridge extra

refused 0 "$R" "$NFSWG" --root "$R" peer config bridge laptop
cmp -s "$T/out" "$R/var/lib/nfswg/bridge/peers/laptop.conf" || fail "peer config differs from the stored config"
refused 0 "$R" "$NFSWG" --root "$R" peer config bridge site
expect_out "PrivateKey = REPLACE"
refused 1 "$R" "$NFSWG" --root "$R" peer config bridge ghost
refused 2 "$R" "$NFSWG" --root "$R" peer config bridge laptop --qr=gif
refused 2 "$R" "$NFSWG" --root "$R" peer config bridge laptop --qr=png
refused 2 "$R" "$NFSWG" --root "$R" peer config bridge
run 0 "$NFSWG" --root "$R" peer config bridge laptop --qr
expect_out "█"
if command -v zbarimg >/dev/null; then
        run 0 "$NFSWG" --root "$R" peer config bridge laptop --qr=png "$T/laptop.png"
        expect_mode "$T/laptop.png" 600
        zbarimg --raw -q "$T/laptop.png" 2>/dev/null | sed '$d' >"$T/decoded"
        grep -v '^#' "$R/var/lib/nfswg/bridge/peers/laptop.conf" | sed '/./,$!d' >"$T/expected"
        cmp -s "$T/decoded" "$T/expected" || { fail "QR PNG does not decode to the config"; diff "$T/expected" "$T/decoded" >&2; }
fi
# no Endpoint=: the config is printed, says so, and stderr warns
RN=$(new_root noendpoint)
printf '[Bridge]\nAddress=10.8.0.1/24\nListenPort=51820\n' >"$RN/etc/nfswg/b.conf"
run 0 "$NFSWG" --root "$RN" peer add b p
expect_err "Endpoint= is not set"
expect_out "# Endpoint"
run 0 "$NFSWG" --root "$RN" peer config b p
expect_err "Endpoint= is not set"

for os in linux macos; do   # windows: see "mount-hint: the printed commands" below
        refused 0 "$R" "$NFSWG" --root "$R" mount-hint bridge laptop --os $os
        expect_out "/srv/nfswg"
done
refused 0 "$R" "$NFSWG" --root "$R" mount-hint bridge laptop
expect_out "mount -t nfs"
refused 2 "$R" "$NFSWG" --root "$R" mount-hint bridge laptop --os beos
refused 1 "$R" "$NFSWG" --root "$R" mount-hint bridge ghost
refused 2 "$R" "$NFSWG" --root "$R" mount-hint bridge

refused 0 "$R" "$NFSWG" --root "$R" status
expect_out "bridge"
expect_out "laptop"
refused 0 "$R" "$NFSWG" --root "$R" status bridge --json
if command -v python3 >/dev/null; then
        python3 - "$T/out" <<'PY' || fail "status --json is not the documented JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d) == ["bridges"]
b = d["bridges"][0]
assert list(b) == ["name", "unit_state", "interface", "listen_port", "public_key", "peers", "exports", "nft"], list(b)
assert b["name"] == "bridge" and b["listen_port"] == 51820
names = [p["name"] for p in b["peers"]]
assert names == ["laptop", "phone", "site"], names
for p in b["peers"]:
    assert list(p) == ["name", "public_key", "addresses", "endpoint", "latest_handshake",
                       "handshake_age_seconds", "rx_bytes", "tx_bytes", "rx_rate", "tx_rate"], list(p)
    assert p["rx_rate"] is None and p["tx_rate"] is None  # no daemon, no status file
assert b["peers"][0]["addresses"] == ["10.8.0.2/32"]
assert b["exports"] == [{"path": "/srv/nfswg", "clients": ["10.8.0.2/32", "10.8.0.3/32", "10.8.0.100/32"]}]
PY
fi
refused 0 "$R" "$NFSWG" --root "$R" peer list bridge --json
if command -v python3 >/dev/null; then
        python3 - "$T/out" <<'PY' || fail "peer list --json is not the documented JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d) == ["bridge", "peers"] and d["bridge"] == "bridge", d
assert [p["name"] for p in d["peers"]] == ["laptop", "phone", "site"], d
assert list(d["peers"][0]) == ["name", "public_key", "addresses", "endpoint", "latest_handshake",
                               "handshake_age_seconds", "rx_bytes", "tx_bytes", "rx_rate", "tx_rate"]
PY
fi
refused 2 "$R" "$NFSWG" --root "$R" peer config bridge laptop --json
refused 1 "$R" "$NFSWG" --root "$R" status nobridge
refused 2 "$R" "$NFSWG" --root "$R" status a b
refused 2 "$R" "$NFSWG" --root "$R" status --frob

# ---------------------------------------------------------------------------------------------
echo "# mount-hint: the printed commands pasted into bash"
RM=$(new_root mount-hint)
write_bridge "$RM" media '[Export]' 'Path=/srv/photos' 'Peers=*'
run 0 "$NFSWG" --root "$RM" peer add media laptop
# The hint run by bash with sudo, mkdir, mount and tee standing in: every command must parse, and
# the unit file tee writes must carry the name systemd derives from its Where=.
run 0 "$NFSWG" --root "$RM" mount-hint media laptop
cp "$T/out" "$T/hint"
checks=$((checks + 1))
bash -n "$T/hint" || fail "mount-hint output is not valid bash"
mkdir -p "$T/hint-units"
checks=$((checks + 1))
(
        cd "$T/hint-units" || exit 1
        sudo() { "$@"; }
        mkdir() { :; }
        mount() { printf '%s\n' "$*" >>mount.log; }
        tee() { cat >"$(basename "$1")"; }
        source "$T/hint"
) || fail "mount-hint output failed when run"
for where in /mnt/nfswg-photos /mnt/nfswg-nfswg; do
        unit=$(systemd-escape --path --suffix=mount "$where")
        checks=$((checks + 1))
        if [ ! -f "$T/hint-units/$unit" ]; then
                fail "mount-hint: no unit file named $unit (systemd-escape of $where); got: $(ls "$T/hint-units" | tr '\n' ' ')"
                continue
        fi
        grep -qx "Where=$where" "$T/hint-units/$unit" || fail "mount-hint: $unit does not say Where=$where"
        # the enable hint names the same unit, as bash reads it
        enable=$(sed -n 's/^# or with a systemd unit (then: sudo systemctl enable --now \(.*\)):$/\1/p' "$T/hint" |
                 while read -r w; do eval "printf '%s\n' $w"; done)
        grep -qxF "$unit" <<<"$enable" || fail "mount-hint: the systemctl enable hint does not name $unit as bash reads it"
done
grep -qx -- "-t nfs -o vers=4.2,proto=tcp,rsize=1048576,wsize=1048576,hard,timeo=600,nconnect=4 10.8.0.1:/srv/photos /mnt/nfswg-photos" \
        "$T/hint-units/mount.log" || fail "mount-hint: the mount command did not reach mount as written"
# Windows' client speaks NFSv3 only: a v4-only bridge gets an error, not a command that cannot work
refused 1 "$RM" "$NFSWG" --root "$RM" mount-hint media laptop --os windows
expect_err "NFSv3"
grep -q 'mount -o' "$T/out" && fail "mount-hint --os windows printed a command for a v4-only bridge"
printf '[Bridge]\nNFSVersions=4.2 3\n' >"$RM/etc/nfswg/media.conf.d/10-v3.conf"
refused 0 "$RM" "$NFSWG" --root "$RM" mount-hint media laptop --os windows
expect_out 'mount -o anon,mtype=hard \\\\10.8.0.1\\srv\\photos'
# nas mode: the NAS's address is in the command, so nothing asks to replace it
RN2=$(new_root mount-hint-nas)
printf '[Bridge]\nMode=nas\nAddress=10.8.0.1/24\nListenPort=51820\n[Forward]\nTo=192.168.50.10/32\n' >"$RN2/etc/nfswg/nas.conf"
run 0 "$NFSWG" --root "$RN2" peer add nas laptop
refused 0 "$RN2" "$NFSWG" --root "$RN2" mount-hint nas laptop
expect_out "192.168.50.10:/PATH-EXPORTED-BY-THE-NAS"
grep -q "NAS-ADDRESS" "$T/out" && fail "mount-hint (nas): asks to replace NAS-ADDRESS although the command names the NAS"
bash -n "$T/out" || fail "mount-hint (nas) output is not valid bash"

# ---------------------------------------------------------------------------------------------
echo "# QR codes: only of a complete config, only when they fit"
# no private key known (added with --public-key): the text keeps its placeholder, --qr refuses
refused 0 "$R" "$NFSWG" --root "$R" peer config bridge site
expect_out "PrivateKey = REPLACE"
refused 1 "$R" "$NFSWG" --root "$R" peer config bridge site --qr
expect_err "no private key"
grep -q "█" "$T/out" && fail "peer config --qr printed a QR code of a config without its private key"
refused 1 "$R" "$NFSWG" --root "$R" peer config bridge site --qr=png "$R/site.png"
refused 2 "$R" "$NFSWG" --root "$R" peer add bridge other --public-key eEf4xJbysSXH+XKko52POQZeZ5KQlTtqMGeyfBoJjy8= --qr
expect_err "private key"
# the terminal's width (TIOCGWINSZ, else $COLUMNS): a wider code is refused with the PNG command
qr_on_tty() { # COLS CMD...: runs CMD on a pseudo-terminal COLS wide; its output in $T/out
        local cols=$1
        shift
        checks=$((checks + 1))
        COLS=$cols script -qec "stty cols \$COLS; $(printf '%q ' "$@")" /dev/null </dev/null >"$T/out" 2>&1
}
if command -v script >/dev/null; then
        qr_on_tty 40 "$NFSWG" --root "$R" peer config bridge laptop --qr
        [ $? = 1 ] || fail "a QR code wider than a 40-column terminal was not refused"
        grep -q -- "--qr=png FILE" "$T/out" || fail "the refused QR code does not point at --qr=png"
        grep -q "█" "$T/out" && fail "a QR code wider than the terminal was printed"
        qr_on_tty 200 "$NFSWG" --root "$R" peer config bridge laptop --qr
        [ $? = 0 ] || fail "a QR code was refused on a 200-column terminal"
        grep -q "█" "$T/out" || fail "no QR code on a 200-column terminal"
        # peer add --qr: the peer is added, only the code is left out
        qr_on_tty 40 "$NFSWG" --root "$RM" peer add media narrow --qr
        [ $? = 0 ] || fail "peer add --qr on a narrow terminal did not exit 0 (the peer is added)"
        [ -e "$RM/etc/nfswg/media.conf.d/peer-narrow.conf" ] || fail "peer add --qr on a narrow terminal: no drop-in"
        grep -q "█" "$T/out" && fail "peer add --qr printed a QR code wider than the terminal"
        grep -q -- "--qr=png FILE" "$T/out" || fail "peer add --qr on a narrow terminal does not point at --qr=png"
        # no size from the terminal: $COLUMNS
        checks=$((checks + 1))
        script -qec "stty cols 0; COLUMNS=30 $NFSWG --root $R peer config bridge laptop --qr" /dev/null </dev/null \
                >"$T/out" 2>&1 && fail "a QR code wider than \$COLUMNS=30 was not refused"
fi
# not a terminal: no limit
COLUMNS=20 run 0 "$NFSWG" --root "$R" peer config bridge laptop --qr
expect_out "█"

# ---------------------------------------------------------------------------------------------
echo "# peer remove"
refused 1 "$R" "$NFSWG" --root "$R" peer remove bridge ghost
refused 2 "$R" "$NFSWG" --root "$R" peer remove bridge
refused 1 "$R" "$NFSWG" --root "$R" peer remove bridge Bad_Name
run 0 "$NFSWG" --root "$R" peer remove bridge phone
[ -e "$D/peer-phone.conf" ] && fail "remove left the drop-in"
[ -e "$R/var/lib/nfswg/bridge/peers/phone.conf" ] && fail "remove left the client config"
[ -e "$R/var/lib/nfswg/bridge/peers/phone.psk" ] && fail "remove left the preshared key"
run 0 "$NFSWG" --root "$R" check bridge
# the freed address is handed out again
run 0 "$NFSWG" --root "$R" peer add bridge tablet
grep -q '^Address=10.8.0.3/32$' "$D/peer-tablet.conf" || fail "freed address not reused"
# a peer in the administrator's own file is not ours to remove
printf '\n[Peer]\nName=admin\nPublicKey=T6LqaGeII0NtEfEUAgC2thr+sO9Vj/Pde3e3q9l3JEE=\nAddress=10.8.0.50/32\n' >>"$R/etc/nfswg/bridge.conf"
refused 1 "$R" "$NFSWG" --root "$R" peer remove bridge admin
expect_err "remove it there"
# an export naming the peer keeps it (the config without it would be invalid)
printf '\n[Export]\nPath=/srv/tablet\nPeers=tablet\n' >>"$R/etc/nfswg/bridge.conf"
run 0 "$NFSWG" --root "$R" check bridge
refused 1 "$R" "$NFSWG" --root "$R" peer remove bridge tablet

# ---------------------------------------------------------------------------------------------
echo "# 20 peer add at once"
RP=$(new_root parallel)
printf '[Bridge]\nAddress=10.8.0.1/24\nListenPort=51820\nEndpoint=vpn.example.com:51820\n' >"$RP/etc/nfswg/par.conf"
pids=()
for i in $(seq 1 20); do
        "$NFSWG" --root "$RP" peer add par "p$i" >"$T/par-$i.out" 2>"$T/par-$i.err" &
        pids+=($!)
done
for i in $(seq 1 20); do
        checks=$((checks + 1))
        wait "${pids[$((i - 1))]}" || { fail "parallel peer add p$i failed"; cat "$T/par-$i.err" >&2; }
done
n_files=$(ls "$RP/etc/nfswg/par.conf.d" | wc -l)
[ "$n_files" = 20 ] || fail "parallel: $n_files drop-ins, expected 20"
n_addr=$(cat "$RP"/etc/nfswg/par.conf.d/*.conf | sed -n 's/^Address=//p' | sort -u | wc -l)
[ "$n_addr" = 20 ] || fail "parallel: $n_addr distinct addresses, expected 20"
cat "$RP"/etc/nfswg/par.conf.d/*.conf | sed -n 's/^Address=//p' | sort -t. -k4 -n | tail -1 | grep -qx '10.8.0.21/32' ||
        fail "parallel: addresses are not 10.8.0.2-21"
run 0 "$NFSWG" --root "$RP" check par
n_keys=$(ls "$RP/var/lib/nfswg/par/peers" | wc -l)
[ "$n_keys" = 20 ] || fail "parallel: $n_keys client configs, expected 20"
ls -a "$RP/etc/nfswg/par.conf.d" "$RP/var/lib/nfswg/par/peers" | grep -q '^\.#' && fail "parallel: temporary files left behind"

# ---------------------------------------------------------------------------------------------
echo "# bash completion"
SRC=${NFSWG_SOURCE_ROOT:-$(dirname "$0")/../..}
# complete WORD...: the last word is the one being completed; prints the candidates, sorted
complete_words() {
        bash -c '
                source "$1"/completion/nfswg
                shift
                COMP_WORDS=("$@")
                COMP_CWORD=$(($# - 1))
                _nfswg
                [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
        ' _ "$SRC" "$@"
}
expect_completion() { # EXPECTED WORD...
        local want=$1 got
        shift
        checks=$((checks + 1))
        got=$(complete_words "$@")
        [ "$got" = "$want" ] || fail "completion of '$*': got '$got', expected '$want'"
}
expect_completion "check init mount-hint peer render status " nfswg ""
expect_completion "--help --root --version " nfswg --
expect_completion "add config disable enable list remove rename rotate-key " nfswg --root "$R" peer ""
expect_completion "bridge " nfswg --root "$R" peer list ""
expect_completion "admin laptop site tablet " nfswg --root "$R" peer remove bridge ""
expect_completion "tablet " nfswg --root "$R" peer config bridge t
expect_completion "laptop " nfswg --root "$R" peer disable bridge la
expect_completion "" nfswg --root "$R" peer add bridge ""
expect_completion "--psk " nfswg --root "$R" peer add bridge x --ps
expect_completion "client embedded nas relay " nfswg init x --mode ""
expect_completion "linux macos windows " nfswg --root "$R" mount-hint bridge laptop --os ""
expect_completion "laptop " nfswg --root "$R" mount-hint --os linux bridge la
expect_completion "--help --json " nfswg status --
expect_completion "par " nfswg --root "$RP" render ""

expect_completion "--interface " nfswg init x --inter

# ---------------------------------------------------------------------------------------------
echo "# per-verb --help: usage, and every option the completion offers with a line of explanation"
for verb in init "peer add" "peer remove" "peer list" "peer config" "peer disable" "peer enable" "peer rename" \
        "peer rotate-key" mount-hint status check render; do
        # shellcheck disable=SC2086 # the verb is one or two words
        run 0 "$NFSWG" $verb --help
        grep -q "^Usage: nfswg $verb" "$T/out" || fail "$verb --help: no usage line"
        # shellcheck disable=SC2086
        for opt in $(complete_words nfswg $verb --) --root; do
                checks=$((checks + 1))
                grep -Eq -- "^  (-h )?$opt( [A-Z|@=]+)* +[a-zA-Z(]" "$T/out" ||
                        fail "$verb --help does not explain $opt"
        done
done
run 0 "$NFSWG" --help
expect_out "--forward"
expect_out "--interface"

# ---------------------------------------------------------------------------------------------
echo "# peer disable / enable"
RL=$(new_root lifecycle)
write_bridge "$RL" bridge '' '[Peer]' 'Name=admin' 'PublicKey=eEf4xJbysSXH+XKko52POQZeZ5KQlTtqMGeyfBoJjy8=' 'Address=10.8.0.200/32'
run 0 "$NFSWG" --root "$RL" peer add bridge laptop
run 0 "$NFSWG" --root "$RL" peer add bridge phone
LD=$RL/etc/nfswg/bridge.conf.d
cp "$LD/peer-laptop.conf" "$T/laptop.before"
run 0 "$NFSWG" --root "$RL" peer disable bridge laptop
grep -q '^Disabled=yes$' "$LD/peer-laptop.conf" || fail "disable: no Disabled=yes in the drop-in"
run 0 "$NFSWG" --root "$RL" peer list bridge
grep -q '^laptop .* disabled ' "$T/out" || fail "peer list does not show laptop disabled"
grep -q '^phone .* enabled ' "$T/out" || fail "peer list does not show phone enabled"
run 0 "$NFSWG" --root "$RL" render bridge
grep -q '10.8.0.2/32' "$RL/etc/exports.d/nfswg-bridge.exports" && fail "a disabled peer is still exported to"
grep -q '10.8.0.3/32' "$RL/etc/exports.d/nfswg-bridge.exports" || fail "disable took another peer's export away"
grep -q "$(sed -n 's/^PublicKey=//p' "$T/laptop.before")" "$RL"/run/systemd/network/*.netdev && fail "a disabled peer is still in the netdev"
# its address stays taken: the next peer does not get 10.8.0.2
run 0 "$NFSWG" --root "$RL" peer add bridge tablet
grep -q '^Address=10.8.0.4/32$' "$LD/peer-tablet.conf" || fail "a disabled peer's address was given to another"
refused 0 "$RL" "$NFSWG" --root "$RL" peer disable bridge laptop
expect_err "already disabled"
run 0 "$NFSWG" --root "$RL" peer enable bridge laptop
cmp -s "$LD/peer-laptop.conf" "$T/laptop.before" || fail "enable did not give back the drop-in unchanged"
refused 0 "$RL" "$NFSWG" --root "$RL" peer enable bridge laptop
expect_err "already enabled"
refused 1 "$RL" "$NFSWG" --root "$RL" peer disable bridge admin
expect_err "bridge.conf:11: peer 'admin' is defined here, not by 'nfswg peer add'"
refused 1 "$RL" "$NFSWG" --root "$RL" peer disable bridge ghost
expect_err "has no peer 'ghost'"
refused 1 "$RL" "$NFSWG" --root "$RL" peer enable nobridge laptop
refused 2 "$RL" "$NFSWG" --root "$RL" peer disable bridge
refused 2 "$RL" "$NFSWG" --root "$RL" peer enable bridge laptop extra
refused 2 "$RL" "$NFSWG" --root "$RL" peer disable bridge laptop --frob
run 0 "$NFSWG" peer disable --help
expect_out "Usage: nfswg peer disable NAME PEER"

echo "# peer add --expires"
TZ=XYZ-2 run 0 "$NFSWG" --root "$RL" peer add bridge temp --expires "2030-01-02 03:04"
grep -q '^Expires=2030-01-02T01:04:00Z$' "$LD/peer-temp.conf" || fail "--expires in local time (UTC+2) not stored as UTC"
TZ=XYZ-2 run 0 "$NFSWG" --root "$RL" peer add bridge temp2 --expires 2030-01-02
grep -q '^Expires=2030-01-01T22:00:00Z$' "$LD/peer-temp2.conf" || fail "--expires DATE is not the day's first second"
run 0 "$NFSWG" --root "$RL" peer add bridge temp3 --expires 2030-01-02T03:04:05Z
grep -q '^Expires=2030-01-02T03:04:05Z$' "$LD/peer-temp3.conf" || fail "--expires in UTC not stored as given"
run 0 "$NFSWG" --root "$RL" check bridge
refused 1 "$RL" "$NFSWG" --root "$RL" peer add bridge late --expires 2001-01-01
expect_err "--expires 2001-01-01T00:00:00Z is in the past"
for bad in 2030-02-30 "2030-01-02 25:00" tomorrow 2030-01-02T03:04:05+01:00 ""; do
        refused 2 "$RL" "$NFSWG" --root "$RL" peer add bridge late --expires "$bad"
done
expect_err "--expires must be 'YYYY-MM-DD\[ HH:MM\[:SS\]\]' (local time) or 'YYYY-MM-DDTHH:MM:SSZ' (UTC)"
NFSWG_NOW=1893456000 run 0 "$NFSWG" --root "$RL" peer list bridge # 2030-01-01T00:00:00Z
grep -q '^temp .* enabled ' "$T/out" || fail "a peer before its Expires= is not listed enabled"
NFSWG_NOW=1893546000 run 0 "$NFSWG" --root "$RL" peer list bridge # 2030-01-02T01:00:00Z
grep -q '^temp2 .* expired ' "$T/out" || fail "a peer past its Expires= is not listed expired"
grep -q '^temp .* enabled ' "$T/out" || fail "temp expired early"
NFSWG_NOW=1893546000 run 0 "$NFSWG" --root "$RL" render bridge
grep -q '10.8.0.6/32' "$RL/etc/exports.d/nfswg-bridge.exports" && fail "an expired peer is still exported to"
grep -q '10.8.0.5/32' "$RL/etc/exports.d/nfswg-bridge.exports" || fail "a peer not yet expired is not exported to"

echo "# peer rotate-key"
old_pub=$(sed -n 's/^PublicKey=//p' "$LD/peer-phone.conf")
cp "$LD/peer-phone.conf" "$T/phone.before"
run 0 "$NFSWG" --root "$RL" peer rotate-key bridge phone
new_pub=$(sed -n 's/^PublicKey=//p' "$LD/peer-phone.conf")
[ -n "$new_pub" ] && [ "$new_pub" != "$old_pub" ] || fail "rotate-key did not change PublicKey="
[ "$(grep -c '^PublicKey=' "$LD/peer-phone.conf")" = 1 ] || fail "rotate-key left two PublicKey= lines"
diff <(grep -v '^PublicKey=' "$T/phone.before") <(grep -v '^PublicKey=' "$LD/peer-phone.conf") >/dev/null ||
        fail "rotate-key changed more than PublicKey="
cmp -s "$T/out" "$RL/var/lib/nfswg/bridge/peers/phone.conf" || fail "rotate-key: printed config differs from the stored one"
expect_mode "$RL/var/lib/nfswg/bridge/peers/phone.conf" 600
expect_out "Address = 10.8.0.3/32"
if command -v wg >/dev/null; then
        [ "$(sed -n 's/^PrivateKey = //p' "$T/out" | wg pubkey)" = "$new_pub" ] || fail "rotate-key: the printed private key is not the new PublicKey='s"
fi
expect_err "old key is refused"
run 0 "$NFSWG" --root "$RL" peer rotate-key bridge phone --qr
expect_out "█"
run 0 "$NFSWG" --root "$RL" check bridge
refused 1 "$RL" "$NFSWG" --root "$RL" peer rotate-key bridge admin
expect_err "bridge.conf:11: peer 'admin' is defined here"
refused 1 "$RL" "$NFSWG" --root "$RL" peer rotate-key bridge ghost
refused 2 "$RL" "$NFSWG" --root "$RL" peer rotate-key bridge
refused 2 "$RL" "$NFSWG" --root "$RL" peer rotate-key bridge phone --frob

echo "# peer rename"
run 0 "$NFSWG" --root "$RL" peer add bridge cam --psk
cp "$LD/peer-cam.conf" "$T/cam.before"
run 0 "$NFSWG" --root "$RL" peer rename bridge cam camera
[ ! -e "$LD/peer-cam.conf" ] || fail "rename left the old drop-in"
grep -q '^Name=camera$' "$LD/peer-camera.conf" || fail "rename: no Name=camera"
grep -q "^# Peer 'camera' of bridge 'bridge'" "$LD/peer-camera.conf" || fail "rename: the header names the old peer"
grep -q '^PresharedKeyFile=/var/lib/nfswg/bridge/peers/camera.psk$' "$LD/peer-camera.conf" || fail "rename: PresharedKeyFile= not renamed"
[ -e "$RL/var/lib/nfswg/bridge/peers/camera.psk" ] && [ ! -e "$RL/var/lib/nfswg/bridge/peers/cam.psk" ] || fail "rename: the .psk not moved"
[ -e "$RL/var/lib/nfswg/bridge/peers/camera.conf" ] && [ ! -e "$RL/var/lib/nfswg/bridge/peers/cam.conf" ] || fail "rename: the stored config not moved"
head -1 "$RL/var/lib/nfswg/bridge/peers/camera.conf" | grep -q "for peer camera of" || fail "rename: the stored config names the old peer"
expect_mode "$RL/var/lib/nfswg/bridge/peers/camera.conf" 600
diff <(grep -v -e '^Name=' -e '^#' -e '^PresharedKeyFile=' "$T/cam.before") \
        <(grep -v -e '^Name=' -e '^#' -e '^PresharedKeyFile=' "$LD/peer-camera.conf") >/dev/null || fail "rename changed more than the name"
run 0 "$NFSWG" --root "$RL" check bridge
run 0 "$NFSWG" --root "$RL" peer config bridge camera
expect_out "PrivateKey = "
refused 1 "$RL" "$NFSWG" --root "$RL" peer rename bridge camera laptop
expect_err "already has a peer named 'laptop'"
refused 1 "$RL" "$NFSWG" --root "$RL" peer rename bridge admin boss
expect_err "bridge.conf:11: peer 'admin' is defined here"
refused 1 "$RL" "$NFSWG" --root "$RL" peer rename bridge ghost x
refused 1 "$RL" "$NFSWG" --root "$RL" peer rename bridge camera Bad
refused 2 "$RL" "$NFSWG" --root "$RL" peer rename bridge camera
# the administrator's own [Export] Peers= names it: refused at that FILE:LINE
printf '\n[Export]\nPath=/srv/cams\nPeers=camera laptop\n' >>"$RL/etc/nfswg/bridge.conf"
run 0 "$NFSWG" --root "$RL" check bridge
line=$(grep -n '^Peers=camera laptop$' "$RL/etc/nfswg/bridge.conf" | cut -d: -f1)
refused 1 "$RL" "$NFSWG" --root "$RL" peer rename bridge camera cam2
expect_err "bridge.conf:$line: \[Export\] /srv/cams: Peers= names 'camera'; nfswg does not edit this file"

echo "$checks checks, $failures failures"
[ "$failures" = 0 ]
