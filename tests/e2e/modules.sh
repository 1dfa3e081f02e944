# Kernel modules in the initramfs.
# - The seed system (no CONFIG_MODULES): an empty modules archive, no make
#   run for it, out/initrd.img the root archive alone.
# - Debian's lib/modules tree (linux-image-amd64, fetched with apt-get and
#   cached): bad selections are refused before any work; with Debian's
#   kernel (--kernel) the named modules and what they depend on,
#   decompressed, with a modules.dep of exactly those, and modprobe in the
#   guest; with the built kernel a release mismatch. In the shared system:
#   an image builds no kernel, and the system is as it was afterwards.
# A kernel built with modules of its own is in tests/slow/usertree.sh,
# which builds a kernel anyway.
. "$(dirname "$0")/lib.sh"

use_built_system
sys=$(tmpdir)

# closure TREE NAME...: the module files NAME and what they depend on,
# by kmod's modinfo (not mkdistro's code), relative to TREE, sorted.
closure() {
	t=$1
	shift
	todo=$*
	seen=" "
	while [ -n "$todo" ]; do
		set -- $todo
		m=$(echo "$1" | tr - _)
		shift
		todo=$*
		case $seen in *" $m "*) continue ;; esac
		seen="$seen$m "
		f=$(cd "$t" && find . -name "$(echo "$m" | sed 's/_/[-_]/g').ko*" | head -1)
		echo "${f#./}"
		todo="$todo $(/sbin/modinfo -F depends "$t/$f" | tr , ' ')"
	done | sort
}

# --- the seed system: nothing for modules, and no cost
check "no CONFIG_MODULES: the modules archive is empty" [ -f build/modules.img ] && [ ! -s build/modules.img ]
check "no CONFIG_MODULES: out/initrd.img is the root archive alone" cmp -s build/initramfs.img out/initrd.img
check "no CONFIG_MODULES: no make ran for the modules" sh -c '! grep -q make build/logs/modules.log'

run_out "$MKDISTRO" arches --modules /
expect_eq "--modules with a command that builds nothing: status 2" 2 "$status"
run_out "$MKDISTRO" build --modules "$sys/nonexistent"
expect_eq "--modules of a missing directory: status 2" 2 "$status"
check "... and the message names it" sh -c 'echo "$1" | grep -q "modules .*nonexistent.*No such file"' - "$out"

# --- Debian's tree
debian_kernel
got=$?
check "Debian's kernel package is in the test's cache" [ $got -eq 0 ]
if [ $got -eq 0 ]; then
	tree=$deb_root/lib/modules/$deb_release
	printf '[linux]\nmodules = 9p, crc_itu_t\n' > "$sys/debian.conf"
	printf '[linux]\nmodules = 9p nosuch-thing\n' > "$sys/unknown.conf"
	printf '[linux]\nmodules_dir = %s\n' "$tree" > "$sys/nonames.conf"

	run_out "$MKDISTRO" -f "$sys/unknown.conf" build --modules "$tree"
	check "an unknown module name is an error" [ "$status" -eq 1 ]
	check "... naming the module and the tree" sh -c 'echo "$1" | grep -q "module .nosuch_thing. is not in .$2."' - "$out" "$tree"
	check "... before any work" sh -c '! echo "$1" | grep -q "^mkdistro: step"' - "$out"
	run_out "$MKDISTRO" -f "$sys/nonames.conf" build
	check "modules_dir without names is an error" sh -c '[ $2 -eq 1 ] && echo "$1" | grep -q "name the modules"' - "$out" "$status"

	# The built kernel is not Debian's: its release does not match.
	run_out "$MKDISTRO" -f "$sys/debian.conf" build --modules "$tree"
	check "Debian's modules with the built kernel: the build fails" [ "$status" -ne 0 ]
	check "... naming both releases" sh -c 'echo "$1" | grep -q "for release .$2. (module .*), the kernel.s is .6\.1\."' - "$out" "$deb_release"

	d=$w
	vmlinuz=$deb_root/boot/vmlinuz-$deb_release
	deb() { "$MKDISTRO" -f "$sys/debian.conf" "$@" --kernel "$vmlinuz" --modules "$tree"; }
	deb build > "$sys/deb-build.log" 2>&1
	status=$?
	check "build with Debian's kernel and --modules" [ $status -eq 0 ]
	[ $status -eq 0 ] || tail -20 "$sys/deb-build.log"
	want=$(closure "$tree" 9p crc_itu_t | sed 's/\.ko.*$/.ko/')
	mods=lib/modules/$deb_release
	got=$(list_initrd "$d" | sed -n "s|^$mods/\(.*\.ko.*\)$|\1|p")
	expect_eq "exactly the named modules and what they depend on, decompressed" "$want" "$got"
	got=$(sed 's/:.*//' "$d/build/modules/$mods/modules.dep" | sort)
	expect_eq "modules.dep names what is in the initramfs" "$want" "$got"
	got=$(sed -n 's|^kernel/fs/9p/9p.ko: ||p' "$d/build/modules/$mods/modules.dep" | tr ' ' '\n' | sort)
	expect_eq "modules.dep: what 9p needs" "$(closure "$tree" 9p | grep -v 'fs/9p/9p' | sed 's/\.ko.*$/.ko/')" "$got"
	check "the initramfs is small: the selection, not the tree" [ "$(wc -c < build/modules.img)" -lt 2000000 ]
	out=$(deb run -c 'modprobe 9p && lsmod' 2>&1)
	echo "$out" | sed 's/^/  | /' | tail -8
	check "modprobe 9p with Debian's kernel: 9p and its dependencies load" \
		sh -c 'echo "$1" | grep -q "^9p " && echo "$1" | grep -q "^9pnet "' - "$out"
fi

# The shared system as it was (the failed runs above left its modules
# step to redo: no kernel work).
run_out "$MKDISTRO" build
check "the shared system builds again without modules" [ "$status" -eq 0 ]
check "... and its kernel was not rebuilt" sh -c '! echo "$1" | grep -q "^kernel done"' - "$out"
