# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Machinery of the end-to-end ring (ring 3 in DESIGN.md), sourced by tests/vm/build-image,
# tests/vm/run and tests/vm/demo (and usable by bench/ for the in-VM benchmarks of issue 9):
#
#   vm_base_rootfs         cached Debian bookworm root directory (mmdebstrap), built once a day
#                          per recipe; prints its path
#   vm_build_deb           the .deb built from this tree (or $NFSWG_DEB); prints its path
#   vm_build_old_deb       the .deb of nfswg 0.1.0, built once from git commit $VM_OLD_COMMIT of
#                          this clone and cached; prints its path (the upgrade step of issue 13)
#   vm_next_deb DEB DIR    DEB again as version VERSION+vm2 (the upgrade step of issue 14)
#   vm_prepare_image DIR   a per-run root disk DIR/root.img: a copy of the cached rootfs, the .deb's
#                          dependencies satisfied, the .deb and the scenario put in /root; the
#                          package itself is installed by the scenario *inside the booted VM*
#                          (`apt install ./nfswg_*.deb`, as the user does), so its maintainer
#                          scripts run against a live systemd
#   vm_boot DIR N MODE     boots DIR/root.img (not a snapshot: a second boot sees the first's
#                          changes) under TCG with a hard time limit; results come back through a
#                          second raw disk holding a tar stream, unpacked into DIR/boot-N/
#
# Facts this rests on are in shared/VM.md: KVM is unusable here for a stock kernel (always TCG);
# no loop mounts (the ext4 image is made with `mke2fs -d`); results through a tar'ed raw disk.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_SRC=$(cd "$VM_DIR/../.." && pwd)
VM_CACHE=${NFSWG_VM_CACHE:-$VM_DIR/cache}

# What the image holds. Runtime libraries of the package are listed so that the per-run step does
# not need the network; `apt-get satisfy` on the .deb's Depends: catches anything new.
VM_PACKAGES=(
        systemd systemd-sysv udev kmod dbus
        linux-image-amd64 initramfs-tools
        nfs-kernel-server wireguard-tools nftables iproute2 iputils-ping procps
        libsystemd0 libsodium23 libnftnl11 libmnl0 libqrencode4 libpng16-16
)
VM_SUITE=bookworm
# The suites of the image; their sources are the host's own (vm_apt_sources), never a mirror
# written here: a machine behind a proxy, a local mirror or a snapshot gets what its apt gets.
VM_SUITES=("$VM_SUITE" "$VM_SUITE-updates" "$VM_SUITE-security")

vm_log() { printf '[vm %s] %s\n' "$(date +%T)" "$*" >&2; }
vm_die() { vm_log "FAIL: $*"; exit 1; }

vm_need() {
        local missing=() c
        for c in "$@"; do
                command -v "$c" >/dev/null 2>&1 || missing+=("$c")
        done
        ((${#missing[@]} == 0)) || vm_die "missing programs: ${missing[*]} (apt-get install qemu-system-x86 qemu-utils mmdebstrap e2fsprogs)"
}

# vm_apt_sources [ROOT]: the host's apt sources for VM_SUITES, one "deb URI SUITE COMPONENTS..."
# line each, from ROOT/etc/apt/sources.list, sources.list.d/*.list (one-line style) and
# sources.list.d/*.sources (deb822, "Enabled: no" honoured). deb-src lines and [options] are left
# out (a signed-by= path names a file of the host; mmdebstrap brings the host's keyrings itself).
# Fails when the host has none of them: the ring never falls back to a mirror of its own.
vm_apt_sources() {
        local root=${1:-} f files=() lines
        [[ -f $root/etc/apt/sources.list ]] && files+=("$root/etc/apt/sources.list")
        for f in "$root"/etc/apt/sources.list.d/*.list "$root"/etc/apt/sources.list.d/*.sources; do
                [[ -f $f ]] && files+=("$f")
        done
        ((${#files[@]})) || vm_die "no apt sources on this host ($root/etc/apt/sources.list, $root/etc/apt/sources.list.d/*.list|*.sources)"
        lines=$(for f in "${files[@]}"; do
                if [[ $f == *.sources ]]; then
                        awk '
                        function flush(   i, j, k, nt, ns, nu, t, su, u) {
                                if (tolower(F["enabled"]) != "no") {
                                        nt = split(F["types"], t, " "); ns = split(F["suites"], su, " ")
                                        nu = split(F["uris"], u, " ")
                                        for (i = 1; i <= nt; i++) if (t[i] == "deb")
                                                for (j = 1; j <= nu; j++) for (k = 1; k <= ns; k++)
                                                        print "deb", u[j], su[k], F["components"]
                                }
                                delete F; key = ""
                        }
                        /^#/ { next }
                        /^[[:space:]]*$/ { flush(); next }
                        /^[[:space:]]/ { if (key != "") F[key] = F[key] " " $0; next }
                        { key = tolower(substr($0, 1, index($0, ":") - 1))
                          F[key] = substr($0, index($0, ":") + 1)
                          gsub(/^[[:space:]]+|[[:space:]]+$/, "", F[key]) }
                        END { flush() }' "$f"
                else
                        sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f"
                fi
        done | awk -v suites="${VM_SUITES[*]}" '
                BEGIN { n = split(suites, s, " "); for (i = 1; i <= n; i++) want[s[i]] = 1 }
                $1 == "deb" && ($3 in want) { $1 = $1; if (!seen[$0]++) print }')
        [[ -n $lines ]] || vm_die "the host's apt sources (${files[*]}) have none of ${VM_SUITES[*]}"
        printf '%s\n' "$lines"
}

# Bump when build-image's customize step changes what goes into the base image.
VM_RECIPE=2

# Cache key: the package list, the host's apt sources, the recipe version, and the day of the Debian snapshot.
# bookworm-updates/-security move daily; a day-old image is rebuilt (about 2 minutes, more on a
# loaded machine), so a test never runs on a stale security fix for long.
vm_cache_key() {
        local day=${NFSWG_VM_SNAPSHOT_DAY:-$(date -u +%Y%m%d)}
        local recipe
        local sources
        sources=$(vm_apt_sources) || exit 1
        recipe=$(printf '%s\n' "${VM_PACKAGES[@]}" "$VM_SUITE" "$sources" "$VM_RECIPE" |
                 sha256sum | cut -c1-12)
        printf '%s-%s\n' "$day" "$recipe"
}

vm_base_rootfs() {
        local key dir
        key=$(vm_cache_key) || exit 1
        dir=$VM_CACHE/base-$key
        if [[ ! -e $dir/complete ]]; then
                "$VM_DIR/build-image" >&2 || vm_die "building the base image"
        fi
        [[ -e $dir/complete ]] || vm_die "base image $dir missing after build"
        printf '%s\n' "$dir/rootfs"
}

# The .deb from this tree: $NFSWG_DEB (a file) or $NFSWG_DEB_DIR (where tests/package/run.sh left it
# with NFSWG_DEB_OUT, as tests/run-all does) if given, else dpkg-buildpackage -b on a copy of the
# tree (tracked and untracked files, not ignored ones, as tests/package/run.sh copies it), with
# DEB_BUILD_OPTIONS=nocheck: ring 1 runs the unit suites already.
vm_build_deb() {
        local out=${1:?out dir}
        if [[ -n ${NFSWG_DEB:-} ]]; then
                [[ -f $NFSWG_DEB ]] || vm_die "NFSWG_DEB=$NFSWG_DEB does not exist"
                readlink -f "$NFSWG_DEB"
                return
        fi
        if [[ -n ${NFSWG_DEB_DIR:-} ]]; then
                local found
                found=$(ls "$NFSWG_DEB_DIR"/nfswg_*.deb 2>/dev/null | head -n 1)
                [[ -n $found ]] || vm_die "no nfswg_*.deb in NFSWG_DEB_DIR=$NFSWG_DEB_DIR"
                readlink -f "$found"
                return
        fi
        [[ -f $VM_SRC/debian/control ]] || vm_die "no debian/control: cannot build the .deb (or set NFSWG_DEB)"
        vm_need dpkg-buildpackage git
        local version tree
        version=$(dpkg-parsechangelog -l "$VM_SRC/debian/changelog" -S Version | sed 's/-[^-]*$//')
        rm -rf "$out/deb"
        tree=$out/deb/nfswg-$version
        mkdir -p "$tree"
        vm_log "building the .deb (dpkg-buildpackage -b, nocheck) from a copy of the tree"
        (cd "$VM_SRC" && git ls-files -z --cached --others --exclude-standard |
                while IFS= read -r -d '' f; do [[ -e $f || -L $f ]] && printf '%s\0' "$f"; done |
                tar --null -T - -cf -) | tar -C "$tree" -xf -
        (cd "$tree" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) >"$out/deb/build.log" 2>&1 ||
                { tail -n 40 "$out/deb/build.log" >&2; vm_die "dpkg-buildpackage failed (log: $out/deb/build.log)"; }
        rm -rf "$tree"
        local debs=("$out"/deb/nfswg_*.deb)
        [[ -f ${debs[0]} ]] || vm_die "no nfswg_*.deb was produced in $out/deb"
        readlink -f "${debs[0]}"
}

# nfswg 0.1.0, the release whose generator enabled every bridge and whose daemon tore everything
# down on any SIGTERM: the upgrade from it must keep its running bridges enabled and running.
VM_OLD_COMMIT=332453c

# vm_build_old_deb: git archive of VM_OLD_COMMIT, dpkg-buildpackage -b (nocheck) once, cached in
# VM_CACHE/deb-COMMIT. A clone without that commit (a shallow CI checkout) fails loudly.
vm_build_old_deb() {
        local commit=$VM_OLD_COMMIT dir=$VM_CACHE/deb-$VM_OLD_COMMIT found tmp
        found=$(ls "$dir"/nfswg_*.deb 2>/dev/null | head -n 1)
        if [[ -n $found ]]; then
                printf '%s\n' "$found"
                return
        fi
        vm_need git dpkg-buildpackage
        # A shallow clone (some CI checkouts) may still reach its origin for the history.
        if ! git -C "$VM_SRC" rev-parse -q --verify "$commit^{commit}" >/dev/null &&
                [[ $(git -C "$VM_SRC" rev-parse --is-shallow-repository 2>/dev/null) == true ]]; then
                vm_log "shallow clone: fetching the history for commit $commit"
                git -C "$VM_SRC" fetch -q --unshallow 2>&1 | tail -n 3 >&2 || true
        fi
        git -C "$VM_SRC" rev-parse -q --verify "$commit^{commit}" >/dev/null ||
                vm_die "commit $commit (nfswg 0.1.0) is not in the clone at $VM_SRC: the upgrade step needs it (a shallow clone? git fetch --unshallow)"
        tmp=$VM_CACHE/.deb-$commit-$$
        rm -rf "$tmp"
        mkdir -p "$tmp/src"
        vm_log "building the 0.1.0 .deb from commit $commit (once; cached in $dir)"
        git -C "$VM_SRC" archive "$commit" | tar -C "$tmp/src" -xf - || vm_die "git archive $commit"
        (cd "$tmp/src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1 ||
                { tail -n 40 "$tmp/build.log" >&2; vm_die "dpkg-buildpackage of commit $commit failed (log: $tmp/build.log)"; }
        found=$(ls "$tmp"/nfswg_*.deb 2>/dev/null | head -n 1)
        [[ -n $found ]] || vm_die "no nfswg_*.deb from commit $commit"
        rm -rf "$dir"
        mkdir -p "$dir"
        mv "$found" "$tmp/build.log" "$dir/"
        rm -rf "$tmp"
        ls "$dir"/nfswg_*.deb
}

# vm_next_deb DEB DIR: DEB repacked as version VERSION+vm2 into DIR/next/ (the same files, the same
# maintainer scripts: what two builds of one tree at two versions differ by is the version, and
# that is all dpkg needs to run the upgrade path). Prints its path.
vm_next_deb() {
        local deb=$1 dir=$2/next version
        version=$(dpkg-deb -f "$deb" Version) || vm_die "cannot read $deb"
        rm -rf "$dir"
        mkdir -p "$dir"
        dpkg-deb -R "$deb" "$dir/pkg" || vm_die "dpkg-deb -R $deb"
        sed -i "s/^Version: .*/Version: $version+vm2/" "$dir/pkg/DEBIAN/control"
        dpkg-deb -b "$dir/pkg" "$dir/nfswg_${version}+vm2_$(dpkg-deb -f "$deb" Architecture).deb" >/dev/null ||
                vm_die "dpkg-deb -b of the +vm2 package"
        rm -rf "$dir/pkg"
        ls "$dir"/nfswg_*+vm2_*.deb
}

# Run a command inside ROOT, with /proc and /dev from a private mount namespace (nothing leaks to
# the host's mount table, and it all goes away with the process).
vm_chroot() {
        local root=$1; shift
        unshare --mount --propagation private --fork -- sh -c '
                root=$1; shift
                mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" &&
                mount -t tmpfs tmpfs "$root/run" && exec chroot "$root" "$@"' sh "$root" "$@"
}

# vm_prepare_image DIR DEB [SCENARIO]: DIR/root.img, DIR/vmlinuz, DIR/initrd.img.
vm_prepare_image() {
        local dir=$1 deb=${2:-} scenario=${3:-$VM_DIR/scenario}
        local base root
        base=$(vm_base_rootfs) || exit 1
        root=$dir/rootfs
        rm -rf "$root"
        mkdir -p "$dir"
        vm_log "copying the cached base image"
        # Never follow a mount point (a stray /proc under the cache once filled the disk).
        ! grep -qF " $base/" /proc/self/mounts || vm_die "something is mounted under $base; unmount it first"
        cp -a --one-file-system "$base" "$root"
        if [[ -n $deb ]]; then
                local depends
                depends=$(dpkg-deb -f "$deb" Depends) || vm_die "cannot read $deb"
                if [[ -n $depends ]]; then
                        # Usually a no-op: the base image already has the runtime libraries.
                        if ! vm_chroot "$root" apt-get satisfy -y -q --no-install-recommends "$depends" >"$dir/satisfy.log" 2>&1; then
                                vm_log "the .deb needs packages outside the base image; fetching them"
                                cp /etc/resolv.conf "$root/etc/resolv.conf"
                                { vm_chroot "$root" apt-get update -q &&
                                  vm_chroot "$root" apt-get satisfy -y -q --no-install-recommends "$depends"; } >>"$dir/satisfy.log" 2>&1 ||
                                        { cat "$dir/satisfy.log" >&2; vm_die "cannot satisfy the .deb's dependencies: $depends"; }
                                vm_chroot "$root" apt-get clean
                                rm -rf "$root"/var/lib/apt/lists/* "$root/etc/resolv.conf"
                        fi
                fi
                cp "$deb" "$root/root/"
        fi
        # The packages of the upgrade steps, when tests/vm/run made them (ring mode).
        if [[ -n ${VM_OLD_DEB:-} ]]; then
                mkdir -p "$root/root/old"
                cp "$VM_OLD_DEB" "$root/root/old/"
        fi
        if [[ -n ${VM_NEXT_DEB:-} ]]; then
                mkdir -p "$root/root/next"
                cp "$VM_NEXT_DEB" "$root/root/next/"
        fi
        vm_host_nfs_service "$root"
        # A fixed machine id (mmdebstrap empties it on purpose): no first-boot handling, and both
        # boots write the same persistent journal, so step 8 reads one story.
        echo 6e667377677669726d6163680000000a >"$root/etc/machine-id"
        install -D -m 0755 "$scenario" "$root/usr/local/lib/nfswg-vm/scenario"
        # The nas and client mode steps, sourced by the scenario.
        install -D -m 0644 "$VM_DIR/modes" "$root/usr/local/lib/nfswg-vm/modes"
        # Extra scenario modes (mode-NAME files, see tests/vm/scenario), e.g. from bench/.
        if [[ -n ${NFSWG_VM_EXTRA:-} ]]; then
                cp -r "$NFSWG_VM_EXTRA"/. "$root/usr/local/lib/nfswg-vm/"
        fi
        vm_install_scenario_units "$root"
        cp "$root"/boot/vmlinuz-* "$dir/vmlinuz"
        cp "$root"/boot/initrd.img-* "$dir/initrd.img"
        vm_log "making the ext4 root disk"
        rm -f "$dir/root.img"
        mke2fs -q -F -t ext4 -L nfswg-vm -d "$root" "$dir/root.img" 3G || vm_die "mke2fs"
        rm -rf "$root"
}

# vm_host_nfs_service ROOT: the host already serves NFS to its LAN before nfswg comes (issue 13):
# an /etc/exports line for the LAN namespace of the scenario (192.168.83.0/24, step 0-lan), and
# the administrator's own nfs.conf.d: NFSv3 on, mountd pinned to 20050 (not nfswg's 20048).
vm_host_nfs_service() {
        local root=$1
        mkdir -p "$root/srv/lan" "$root/etc/nfs.conf.d"
        chown 65534:65534 "$root/srv/lan"
        echo "hello from the host's LAN share" >"$root/srv/lan/hello.txt"
        printf '# The LAN share of this host, older than nfswg.\n/srv/lan 192.168.83.0/24(rw,sync,no_subtree_check,root_squash)\n' \
                >>"$root/etc/exports"
        printf '# The administrator'"'"'s own settings, older than nfswg.\n[nfsd]\nvers3=y\n\n[mountd]\nport=20050\n' \
                >"$root/etc/nfs.conf.d/local.conf"
}

# The scenario runs as a unit of the booted system. The mode and the boot number come on the
# kernel command line (nfswg.vm=MODE), so one image serves the ring, the demo and benchmarks.
vm_install_scenario_units() {
        local root=$1
        cat >"$root/etc/systemd/system/nfswg-vm-scenario.service" <<'EOF'
# nfswg VM ring: runs tests/vm/scenario (installed as /usr/local/lib/nfswg-vm/scenario).
[Unit]
Description=nfswg end-to-end scenario
ConditionKernelCommandLine=nfswg.vm
ConditionKernelCommandLine=!nfswg.vm=demo
After=basic.target

[Service]
Type=simple
ExecStart=/usr/local/lib/nfswg-vm/scenario
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
EOF
        # The demo prints on the serial console before the login prompt shows.
        cat >"$root/etc/systemd/system/nfswg-vm-demo.service" <<'EOF'
# nfswg demo: runs tests/vm/scenario in demo mode, then hands the console to a root shell.
[Unit]
Description=nfswg demo
ConditionKernelCommandLine=nfswg.vm=demo
After=systemd-networkd.service nfs-server.service systemd-user-sessions.service
Before=serial-getty@ttyS0.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/lib/nfswg-vm/scenario
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0

[Install]
WantedBy=multi-user.target
EOF
        ln -sf /etc/systemd/system/nfswg-vm-scenario.service \
                "$root/etc/systemd/system/multi-user.target.wants/nfswg-vm-scenario.service"
        ln -sf /etc/systemd/system/nfswg-vm-demo.service \
                "$root/etc/systemd/system/multi-user.target.wants/nfswg-vm-demo.service"
}

VM_QEMU_PID=

vm_kill_qemu() {
        if [[ -n $VM_QEMU_PID ]] && kill -0 "$VM_QEMU_PID" 2>/dev/null; then
                kill "$VM_QEMU_PID" 2>/dev/null
                sleep 1
                kill -9 "$VM_QEMU_PID" 2>/dev/null
        fi
        VM_QEMU_PID=
}

# vm_boot DIR N MODE [TIMEOUT_S]: boot once, unpack the results disk into DIR/boot-N.
# Returns qemu's status (124 on timeout).
vm_boot() {
        local dir=$1 n=$2 mode=$3 limit=${4:-${NFSWG_VM_TIMEOUT:-2400}}
        local res=$dir/boot-$n
        rm -rf "$res"
        mkdir -p "$res"
        rm -f "$dir/results-$n.img" "$dir/console-$n.log"
        truncate -s 512M "$dir/results-$n.img"
        vm_log "boot $n ($mode): qemu under TCG, time limit ${limit}s, console in $dir/console-$n.log"
        # root.img: cache=unsafe, so the guest's flushes (nfsd's stable writes, dpkg's fsyncs) end in
        # the host's page cache instead of waiting for this shared machine's disk: the throw-away
        # image needs no durability, and the figures then tell what the guest does, not how busy
        # the host's disk was (an upgrade's dpkg fsyncs stalled the probe's NFS writes 2.3-2.9 s).
        local start=$SECONDS rc=0
        qemu-system-x86_64 -accel tcg -m 2048 -smp 2 -nodefaults \
                -display none -monitor none -serial "file:$dir/console-$n.log" -no-reboot \
                -kernel "$dir/vmlinuz" -initrd "$dir/initrd.img" \
                -append "root=/dev/vda rw console=ttyS0 panic=-1 loglevel=4 nfswg.vm=$mode nfswg.boot=$n" \
                -drive "file=$dir/root.img,if=virtio,format=raw,cache=unsafe" \
                -drive "file=$dir/results-$n.img,if=virtio,format=raw" \
                -nic none </dev/null >"$dir/qemu-$n.log" 2>&1 &
        VM_QEMU_PID=$!
        # A hard limit that needs no help from the guest: a hang is a failure, never a stuck CI.
        local waited=0
        while kill -0 "$VM_QEMU_PID" 2>/dev/null; do
                if ((SECONDS - start >= limit)); then
                        vm_log "boot $n: time limit of ${limit}s reached, killing qemu"
                        vm_kill_qemu
                        rc=124
                        break
                fi
                sleep 1
                waited=$((waited + 1))
        done
        if ((rc == 0)); then
                wait "$VM_QEMU_PID" || rc=$?
        fi
        VM_QEMU_PID=
        echo $((SECONDS - start)) >"$dir/boot-$n.seconds"
        vm_log "boot $n: qemu exited with $rc after $((SECONDS - start))s"
        tar -xf "$dir/results-$n.img" -C "$res" 2>"$dir/results-$n.tar.log" ||
                vm_log "boot $n: reading the results disk: $(head -c 300 "$dir/results-$n.tar.log")"
        return $rc
}

# vm_boot_interactive DIR MODE: boot with the serial console on this terminal (qemu's mon:stdio:
# Ctrl-A X quits, Ctrl-A C toggles the monitor), no time limit unless NFSWG_VM_TIMEOUT is set.
vm_boot_interactive() {
        local dir=$1 mode=$2 extra=${3:-}
        local limit=()
        [[ -n ${NFSWG_VM_TIMEOUT:-} ]] && limit=(timeout --foreground "$NFSWG_VM_TIMEOUT")
        "${limit[@]}" qemu-system-x86_64 -accel tcg -m 2048 -smp 2 -nodefaults \
                -display none -serial mon:stdio -no-reboot \
                -kernel "$dir/vmlinuz" -initrd "$dir/initrd.img" \
                -append "root=/dev/vda rw console=ttyS0 panic=-1 quiet loglevel=3 systemd.show_status=error nfswg.vm=$mode nfswg.boot=1 $extra" \
                -drive "file=$dir/root.img,if=virtio,format=raw" \
                -nic none
}
