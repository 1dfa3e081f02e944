# A kernel image the user gives (--kernel FILE, [linux] image), booted with
# the initramfs of the built system. First the refusals of what is no
# kernel for the target, before anything is built or booted; then Debian's
# own kernel, which nobody here built, fetched by the test (its .deb
# cached): booted, checked with its configuration beside it, given, or
# missing, and the way back to the built kernel.
. "$(dirname "$0")/lib.sh"

use_built_system

# has TEXT PART: TEXT contains PART, taken literally.
has() {
	case $1 in *"$2"*) return 0 ;; esac
	return 1
}

built_kernel=$(sha256sum < out/vmlinuz)
stamps() { ls -l --time-style=full-iso build/stamps; }
stamps_before=$(stamps)
own=$(tmpdir)/vmlinuz # a kernel that fits: a copy of the built one
cp out/vmlinuz "$own"
conf=$(tmpdir)
printf 'not a kernel\n' > "$conf/notes.txt"

# Refusals: status 2 with the message. A QEMU on PATH that only records
# that it was started; an empty system directory, in which a build would
# make build/.
shim=$(tmpdir)
for q in qemu-system-x86_64 qemu-system-aarch64; do
	printf '#!/bin/sh\necho "$0 $*" >> %s/started\nexit 1\n' "$shim" > "$shim/$q"
	chmod +x "$shim/$q"
done
empty=$(tmpdir)
if [ -s "$w/out-aarch64/vmlinuz" ]; then
	arm=$w/out-aarch64/vmlinuz # the aarch64 kernel arch.sh built
else
	# An arm64 Image header: its magic "ARM\x64" at 0x38.
	arm=$shim/Image
	{ head -c 56 /dev/zero; printf 'ARMd'; head -c 4 /dev/zero; } > "$arm"
fi
refused() { # NAME FILE MESSAGE [COMMAND ARGS...]: COMMAND --kernel FILE ARGS
	name=$1 file=$2 msg=$3
	shift 3
	[ $# -gt 0 ] || set -- run -c true
	cmd=$1
	shift
	(cd "$empty" && PATH=$shim:$PATH "$MKDISTRO" "$cmd" --kernel "$file" "$@") > refused.log 2>&1
	st=$?
	expect_eq "$name: status 2" 2 $st
	check "$name: says so" grep -qF -- "$msg" refused.log
	[ $st -eq 2 ] || cat refused.log
}
refused "a kernel of another architecture" "$arm" "mkdistro: kernel '$arm' (arm64 Image) is for aarch64, the target is x86_64: add --arch aarch64"
refused "a file that is no kernel" "$conf/notes.txt" "mkdistro: kernel '$conf/notes.txt': not a kernel image"
refused "a file that is not there" "$conf/missing" "mkdistro: kernel '$conf/missing': No such file or directory"
refused "a directory" "$conf" "mkdistro: kernel '$conf': not a regular file"
secret=$(tmpdir)/vmlinuz
cp "$own" "$secret"
chmod 000 "$secret"
if [ "$(id -u)" -eq 0 ]; then
	# root reads anything: refuse as nobody (from /, where nobody may be).
	(cd / && PATH=$shim:$PATH setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$MKDISTRO" run --kernel "$secret" -c true) > refused.log 2>&1
	st=$?
	expect_eq "an unreadable file: status 2" 2 $st
	check "an unreadable file: says so" grep -qF "mkdistro: kernel '$secret': Permission denied" refused.log
else
	refused "an unreadable file" "$secret" "mkdistro: kernel '$secret': Permission denied"
fi
refused "test: a file that is no kernel" "$conf/notes.txt" "not a kernel image" test
refused "check: a kernel of another architecture" "$arm" "is for aarch64, the target is x86_64" check
refused "build: a file that is no kernel" "$conf/notes.txt" "not a kernel image" build
refused "--kernel and --linux together" "$own" "--kernel and --linux are two kernels" run --linux "$conf"
check "no QEMU was started for any of them" [ ! -e "$shim/started" ]
check "nothing was built for any of them" [ ! -e "$empty/build" ] && [ ! -e "$empty/out" ]
run_out "$MKDISTRO" fetch --kernel "$own"
expect_eq "--kernel with a command that boots no kernel: status 2" 2 $status
run_out "$MKDISTRO" check --kernel-config "$conf/notes.txt"
expect_eq "--kernel-config without a kernel image: status 2" 2 $status
run_out "$MKDISTRO" check --kernel "$own" --kernel-config "$conf/missing"
expect_eq "--kernel-config of a missing file: status 2" 2 $status
check "with the message" has "$out" "--kernel-config '$conf/missing': No such file or directory"

# [linux] image in mkdistro.conf, and --kernel over it.
printf '[linux]\nimage = %s\n' "$own" > "$conf/image.conf"
run_out "$MKDISTRO" -f "$conf/image.conf" status
check "[linux] image: status up to date" [ $status -eq 0 ]
check "without kernel steps" sh -c '! printf "%s\n" "$1" | grep -q "^kconfig \|^kernel \|^all "' - "$out"
printf '[linux]\nimage = notes.txt\n' > "$conf/bad.conf"
run_out "$MKDISTRO" -f "$conf/bad.conf" status
expect_eq "[linux] image that is no kernel: status 2" 2 $status
run_out "$MKDISTRO" -f "$conf/bad.conf" status --kernel "$own"
expect_eq "--kernel wins over [linux] image" 0 $status
printf '[linux]\nimage = %s\nsource = %s\n' "$own" "$conf" > "$conf/two.conf"
run_out "$MKDISTRO" -f "$conf/two.conf" status
expect_eq "[linux] image and source: status 2" 2 $status
check "the two kernels are named" has "$out" "[linux] source and image are two kernels"

# out/vmlinuz itself given: booted as it is, left in place.
out=$("$MKDISTRO" run --kernel out/vmlinuz -c 'uname -r' 2>run-self.err)
expect_eq "run --kernel out/vmlinuz boots the built kernel" "6.1.176" "$out"
expect_eq "and leaves it as it was" "$built_kernel" "$(sha256sum < out/vmlinuz)"
check "run-qemu.sh does not call it a copy" sh -c '! grep -q "kernel image" out/run-qemu.sh'
expect_eq "nothing was built for these (no step ran)" "$stamps_before" "$(stamps)"

# Debian's kernel package (lib.sh's debian_kernel).
debian_kernel
got=$?
check "Debian's kernel package is in the test's cache" [ $got -eq 0 ]
[ $got -eq 0 ] || exit 1
release=$deb_release
kernel=$deb_root/boot/vmlinuz-$release
config=$deb_root/boot/config-$release
check "the package holds boot/vmlinuz-$release and its config" [ -f "$kernel" ] && [ -f "$config" ]
[ -f "$kernel" ] || exit 1

# The acceptance line: Debian's kernel with mkdistro's initramfs.
out=$("$MKDISTRO" run --kernel "$kernel" --time -c 'uname -r' 2>run.err)
status=$?
expect_eq "run --kernel (Debian's) -c 'uname -r' prints $release" "$release" "$out"
expect_eq "run --kernel exits with the command's status" 0 $status
[ $status -eq 0 ] || cat run.err
echo "# $(sed -n 's/^mkdistro: boot times from QEMU start/Debian kernel boot times/p' run.err)"
expect_eq "nothing was built for it (no step ran)" "$stamps_before" "$(stamps)"
check "its configuration beside it was checked, quietly" sh -c '! grep -q "check:" "$1"' - run.err

# out/ is a whole system again: vmlinuz is a copy of the image, and both
# run-qemu.sh and the manifest say which kernel it is.
expect_eq "out/vmlinuz is a copy of the image" "$(sha256sum < "$kernel")" "$(sha256sum < out/vmlinuz)"
check "run-qemu.sh names the image" grep -q "^# vmlinuz: a copy of the kernel image $kernel\$" out/run-qemu.sh
check "run-qemu.sh gives its version" grep -q "^# (x86 bzImage: $release (" out/run-qemu.sh
sum=$(sha256sum "$kernel" | cut -d' ' -f1)
check "the manifest names the image and its sha256" \
	grep -q "^image sha256=$sum size=[0-9]* path=$kernel\$" out/manifest.txt
check "the manifest gives its version string" grep -q "^version $release (" out/manifest.txt

run_out "$MKDISTRO" status --kernel "$kernel"
check "status --kernel: up to date" [ $status -eq 0 ]
check "status --kernel lists no kernel step" sh -c '! printf "%s\n" "$1" | grep -q "^kconfig \|^kernel \|^all "' - "$out"

# check: with the configuration beside the image, given, or none.
run_out "$MKDISTRO" check --kernel "$kernel"
check "check --kernel passes" [ $status -eq 0 ]
check "check --kernel read config-$release beside it" has "$out" "'$config': no problem found"
alone=$(tmpdir)
cp "$kernel" "$alone/vmlinuz"
run_out "$MKDISTRO" check --kernel "$alone/vmlinuz" --kernel-config "$config"
check "check --kernel-config FILE passes" [ $status -eq 0 ]
check "it read the file given" has "$out" "'$config': no problem found"
grep -v '^CONFIG_RD_GZIP=' "$config" > "$alone/no-gzip.config"
run_out "$MKDISTRO" check --kernel "$alone/vmlinuz" --kernel-config "$alone/no-gzip.config"
check "a configuration without the initramfs' decompressor fails the check" [ $status -eq 1 ]
check "the fix names the image, not the fragment" has "$out" "fix: boot a kernel built with CONFIG_RD_GZIP=y instead of '$alone/vmlinuz'"
printf 'not a configuration\n' > "$alone/bad.config"
run_out "$MKDISTRO" check --kernel "$alone/vmlinuz" --kernel-config "$alone/bad.config"
check "a configuration that does not parse fails the check" [ $status -eq 1 ]
check "naming it" has "$out" "error: kernel configuration: '$alone/bad.config' does not parse"
run_out "$MKDISTRO" check --kernel "$alone/vmlinuz"
check "without a configuration check passes" [ $status -eq 0 ]
check "with a warning that it could not check it" has "$out" "warning: kernel configuration: could not check the kernel's configuration"
# ... and the boot goes on: the guest suite on Debian's kernel.
"$MKDISTRO" test --kernel "$alone/vmlinuz" > test.log 2>&1
status=$?
check "test --kernel without a configuration boots and passes the guest suite" [ $status -eq 0 ]
check "after the warning" grep -q "could not check the kernel's configuration" test.log
[ $status -eq 0 ] || tail -20 test.log

# Back to the built kernel: put back as it was, nothing rebuilt.
"$MKDISTRO" build > back.log 2>&1
status=$?
check "build without --kernel succeeds" [ $status -eq 0 ]
expect_eq "out/vmlinuz is the built kernel again" "$built_kernel" "$(sha256sum < out/vmlinuz)"
expect_eq "nothing was rebuilt (no step ran)" "$stamps_before" "$(stamps)"
check "run-qemu.sh no longer names the image" sh -c '! grep -q "kernel image" out/run-qemu.sh'
check "nor the manifest" sh -c '! grep -q "^\[kernel\]" out/manifest.txt'
"$MKDISTRO" status > back-status.log 2>&1
check "status: all up to date" [ $? -eq 0 ]

# Another architecture's Image, when arch.sh built one: given with its
# --arch, it boots there.
if [ -s out-aarch64/vmlinuz ] && [ -s out-aarch64/initrd.img ]; then
	arm_built=$(sha256sum < out-aarch64/vmlinuz)
	img=$(tmpdir)/Image
	cp out-aarch64/vmlinuz "$img"
	# With arch.sh's configuration for it, when it wrote one (lib.sh).
	arm() {
		if [ -f "$w/links.conf" ]; then "$MKDISTRO" -f "$w/links.conf" "$@"; else "$MKDISTRO" "$@"; fi
	}
	out=$(arm run --arch aarch64 --kernel "$img" -c 'uname -m' 2>run-arm.err)
	expect_eq "run --arch aarch64 --kernel Image prints aarch64" aarch64 "$out"
	[ "$out" = aarch64 ] || cat run-arm.err
	arm build --arch aarch64 > back-arm.log 2>&1
	expect_eq "the aarch64 build is back as it was" "$arm_built" "$(sha256sum < out-aarch64/vmlinuz)"
fi
