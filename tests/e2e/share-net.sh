# run --share, --net and --forward asked of systems that cannot: refused
# before anything is built or booted, naming the fix. The features
# themselves boot in arch.sh (MKDISTRO_CHECK_ARCH, built with them) and
# tests/slow/usertree.sh (x86_64, the tree's kernel built with them):
# lib.sh's check_links. Those kernels are built there anyway; a system of
# its own here would be one more cold build.
. "$(dirname "$0")/lib.sh"

use_built_system
c=$(tmpdir)

# The shared system has neither: asking is an error before any boot.
mkdir -p "$c/d"
run_out "$MKDISTRO" run --share "$c/d" -c true
expect_eq "run --share on a system without it is a usage error" 2 "$status"
check "the error names the key to set" sh -c 'case "$1" in *"set '"'"'share = yes'"'"' under [system]"*) ;; *) exit 1;; esac' sh "$out"
check "nothing was built or booted" sh -c '! printf "%s" "$1" | grep -q "boot times\|shell prompt\|started"' sh "$out"
run_out "$MKDISTRO" run --forward 8080:80 -c true
expect_eq "run --forward on a system without a network is a usage error" 2 "$status"
check "that error names net = yes" sh -c 'case "$1" in *"set '"'"'net = yes'"'"' under [system]"*) ;; *) exit 1;; esac' sh "$out"
run_out "$MKDISTRO" run --share "$c/none" -c true
check "a missing host directory is named" sh -c 'case "$1" in *"'"$c"'/none'"'"' is not a directory"*) ;; *) exit 1;; esac' sh "$out"
run_out "$MKDISTRO" run --forward 80 -c true
check "a bad --forward says how to write it" sh -c 'case "$1" in *"HOSTPORT:GUESTPORT"*) ;; *) exit 1;; esac' sh "$out"
run_out "$MKDISTRO" build --share "$c/d"
expect_eq "--share belongs to run and test" 2 "$status"

# Debian's own kernel on microvm: its 9p, virtio and network drivers are
# modules, and it has no VIRTIO_MMIO_CMDLINE_DEVICES, how microvm (without
# ACPI) names its virtio devices: check says so, before any boot.
debian_kernel
got=$?
check "Debian's kernel package is in the test's cache" [ $got -eq 0 ]
if [ $got -eq 0 ]; then
	printf '[system]\nshare = yes\nnet = yes\n[linux]\nmodules = 9p\n' > "$c/debian.conf"
	run_out "$MKDISTRO" -f "$c/debian.conf" check --kernel "$deb_root/boot/vmlinuz-$deb_release" \
		--modules "$deb_root/lib/modules/$deb_release"
	expect_eq "check of Debian's kernel for share and net fails" 1 "$status"
	check "... naming the option it lacks" sh -c 'printf "%s" "$1" | grep -q "error: CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES: not enabled in the kernel: shared directories and the network need it"' sh "$out"
	check "... and the modules as warnings" sh -c 'printf "%s" "$1" | grep -q "warning: CONFIG_9P_FS: built as a module: shared directories need it"' sh "$out"
	check "... each once" [ "$(printf '%s\n' "$out" | grep -c "CONFIG_VIRTIO_MMIO:")" -eq 1 ]
fi

# The shared system as it was: no kernel work.
run_out "$MKDISTRO" build
check "the shared system builds again" [ "$status" -eq 0 ]
check "... and its kernel was not rebuilt" sh -c '! echo "$1" | grep -q "^kernel done"' - "$out"
