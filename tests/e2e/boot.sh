# A real build of the seed system in a fresh directory and real boots of it.
. "$(dirname "$0")/lib.sh"

# tests/run.sh shares one built system between e2e scripts through
# MKDISTRO_E2E_WORK; this script builds it (alone, it uses its own).
w=${MKDISTRO_E2E_WORK:-$(tmpdir)}
mkdir -p "$w"
cd "$w" || exit 1

# Interrupted build: SIGTERM stops every child, a second build in the same
# directory is refused while the first runs, the next run redoes the step.
"$MKDISTRO" build > int.log 2>&1 &
bpid=$!
i=0
while [ $i -lt 600 ] && ! grep -q '^kernel started\|kernel started' int.log; do sleep 1; i=$((i + 1)); done
"$MKDISTRO" build > second.log 2>&1
check "a second build in the same directory is refused" [ $? -ne 0 ]
check "the refusal says another mkdistro is building" grep -q "another mkdistro is building" second.log
kill -TERM $bpid
wait $bpid
expect_eq "interrupted build exits 128+SIGTERM" 143 $?
sleep 1
check "ps is there to look for leftovers (Debian package procps)" sh -c 'command -v ps > /dev/null'
left=$(ps -eo args | grep -F "$w/build" | grep -v grep | head -3)
expect_eq "no process of the interrupted build is left" "" "$left"
check "the interrupted kernel step has no stamp" [ ! -e build/stamps/kernel.stamp ]

"$MKDISTRO" build > build.log 2>&1
status=$?
check "mkdistro build succeeds" [ $status -eq 0 ]
[ $status -eq 0 ] || { tail -40 build.log; exit 1; }
check "the build after the interruption redid the kernel step" grep -q "^kernel done in" build.log
check "out/vmlinuz written" [ -s out/vmlinuz ]
check "out/initrd.img written" [ -s out/initrd.img ]
check "out/run-qemu.sh is executable" [ -x out/run-qemu.sh ]

# The acceptance line of the seed system.
out=$("$MKDISTRO" run -c 'uname -r; cat /proc/1/comm' 2>run.err)
status=$?
expect_eq "run -c prints the kernel release and init" "$(printf '6.1.176\ninit')" "$out"
check "run -c exits 0" [ $status -eq 0 ]
[ $status -eq 0 ] || cat run.err

"$MKDISTRO" run -c 'exit 3' > /dev/null 2>&1
expect_eq "run -c 'exit 3' exits 3" 3 $?

out=$("$MKDISTRO" run -c 'printf "%s|" "a b" '"'"'c "d"'"'"'
echo; hostname; cat /proc/mounts | cut -d" " -f2,3 | sort | tr "\n" " "' 2>/dev/null)
expect_eq "quotes, several lines, hostname, mounts" \
	"$(printf 'a b|c "d"|\nmkdistro\n/ rootfs /dev devtmpfs /dev/pts devpts /proc proc /sys sysfs /tmp tmpfs ')" "$out"

# BusyBox: static, linked against musl, no glibc inside.
bb=build/busybox-install/bin/busybox
check "busybox is an ELF without an interpreter (static)" \
	sh -c '! readelf -l "$1" | grep -q "Requesting program interpreter"' - "$bb"
check "busybox has no dynamic section" sh -c '! readelf -d "$1" 2>/dev/null | grep -q NEEDED' - "$bb"
check "busybox contains no glibc" sh -c '! grep -aq -e "GLIBC_" -e "GNU C Library" "$1"' - "$bb"
check "busybox carries musl (its strerror text)" grep -aq "No error information" "$bb"

# Only runtime files in the image.
list=$(gzip -dc out/initrd.img | cpio -it 2>/dev/null)
check "initramfs has init and bin/busybox" sh -c 'printf "%s\n" "$1" | grep -qx init && printf "%s\n" "$1" | grep -qx bin/busybox' - "$list"
check "initramfs has dev/console" sh -c 'printf "%s\n" "$1" | grep -qx dev/console' - "$list"
check "initramfs has no headers or static libraries" sh -c '! printf "%s\n" "$1" | grep -qE "\.(h|a)$"' - "$list"

# No-op rebuild: everything is up to date.
"$MKDISTRO" build > rebuild.log 2>&1
check "second build succeeds" [ $? -eq 0 ]
check "second build runs no step" sh -c '! grep -q " done in " rebuild.log'
"$MKDISTRO" status > status.log 2>&1
check "status: all up to date" [ $? -eq 0 ]

# Piped stdin, as in: printf 'uname -a\npoweroff\n' | make run
out=$(printf 'echo $((6*7))\npoweroff\n' | "$MKDISTRO" run 2>/dev/null)
check "piped session runs the lines and ends" sh -c 'printf "%s\n" "$1" | grep -qx 42' - "$out"

# out/run-qemu.sh boots on its own (plain QEMU, no mkdistro). Its console
# is a plain terminal: type only once the prompt shows, as a person would.
mkfifo qin
MKDISTRO_ACCEL=tcg timeout 300 sh out/run-qemu.sh < qin > qemu.out 2>&1 &
qpid=$!
exec 3> qin
i=0
while [ $i -lt 300 ] && ! grep -q 'mkdistro:/# ' qemu.out; do sleep 1; i=$((i + 1)); done
printf 'echo $((7*6))-ok\npoweroff\n' >&3
wait $qpid
qstatus=$?
exec 3>&-
check "out/run-qemu.sh boots to a shell and runs a line" sh -c 'tr -d "\r" < qemu.out | grep -q "^42-ok"'
check "out/run-qemu.sh ends after poweroff" [ $qstatus -eq 0 ]
