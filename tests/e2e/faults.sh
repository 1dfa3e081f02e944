# Boot faults, each injected on purpose, and what mkdistro makes of them:
# the exit status (mkdistro.1, EXIT STATUS) and the one-line diagnosis.
# Also: the checks before boot, the guest test suite, and kill -9 of
# mkdistro leaving no QEMU behind.
#
# Reuses the build in $MKDISTRO_E2E_WORK when set (boot.sh leaves one);
# otherwise builds the system in a temporary directory first. Faults come
# from configuration files with overlays or a kernel command line, which
# only redo the rootfs and initramfs steps, never the kernel; the default
# system is rebuilt at the end.
. "$(dirname "$0")/lib.sh"

use_built_system

c=$(tmpdir)

# overlay NAME INIT-TEXT: a config whose overlay replaces /init.
overlay() {
	mkdir -p "$c/$1"
	printf '%s\n' "$2" > "$c/$1/init"
	chmod 755 "$c/$1/init"
	printf '[initramfs]\noverlay = %s\n' "$1" > "$c/$1.conf"
}

# boot NAME ARGS...: run mkdistro ARGS, keep status in $status, stderr in
# $err, stdout in $out and the seconds taken in $secs.
boot() {
	t0=$(date +%s)
	out=$("$MKDISTRO" "$@" 2> "$c/err")
	status=$?
	secs=$(($(date +%s) - t0))
	err=$(cat "$c/err")
}

# has TEXT: the last stderr contains TEXT.
has() {
	case $err in *"$1"*) return 0 ;; esac
	printf '  stderr was:\n%s\n' "$err" | sed 's/^/  /'
	return 1
}

# --- success and the exit status of the command -----------------------
boot run -c 'echo fine; exit 7'
expect_eq "run -c returns the command's status" 7 "$status"
expect_eq "run -c prints the command's output" fine "$out"

# --- a broken /init: its interpreter is missing -------------------------
overlay badinterp '#!/bin/bash
echo never'
boot check -f "$c/badinterp.conf"
expect_eq "check: broken /init exits 1" 1 "$status"
check "check: names /init's missing interpreter and the fix" \
	has "error: /init: its #! interpreter '/bin/bash' is not in the image"
check "check: says what to do" has "fix: use an interpreter the image has"
boot run -f "$c/badinterp.conf" -c true
expect_eq "run: broken /init is stopped by the check (248)" 248 "$status"
boot run -f "$c/badinterp.conf" --no-check -c true
expect_eq "run --no-check: broken /init exits 251 (init failed)" 251 "$status"
check "run --no-check: diagnosis names the cause" \
	has "init could not be executed (ENOENT: the file, its #! interpreter or its ELF loader is missing): 'Failed to execute /init (error -2)'"

# --- an init that exits ------------------------------------------------
overlay exits '#!/bin/sh
echo "init here, leaving"
exit 3'
boot run -f "$c/exits.conf" -c true
expect_eq "init that exits: 251" 251 "$status"
check "init that exits: its status in the diagnosis" \
	has "init exited with status 3: 'Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300'"
check "init that exits: the console lines that prove it" has "| init here, leaving"

# --- a kernel command line that panics ---------------------------------
# rdinit= alone does not panic: without CONFIG_BLOCK the kernel stays on
# the initramfs and falls back to /sbin/init. init= then makes it panic.
printf '[linux]\ncmdline = rdinit=/nonexistent init=/nonexistent\n' > "$c/panic.conf"
boot run -f "$c/panic.conf" -c true
expect_eq "rdinit=/nonexistent is caught by the check (248)" 248 "$status"
check "check names the missing init" has "error: /nonexistent: not in the initramfs"
boot run -f "$c/panic.conf" --no-check -c true
expect_eq "kernel panic: 250" 250 "$status"
check "kernel panic: quoted" \
	has "kernel panic: the init= program could not be run: 'Kernel panic - not syncing: Requested init /nonexistent failed (error -2).'"
check "kernel panic: detected at once (< 60 s)" [ "$secs" -lt 60 ]

# --- a stalled guest, and one that never gets ready ---------------------
overlay stall '#!/bin/sh
echo "about to hang"
exec sleep 100000'
boot run -f "$c/stall.conf" --idle-timeout 3 -c true
expect_eq "stall: 252" 252 "$status"
check "stall: diagnosis with the last line" \
	has "stalled: no console output for 3 s before the shell prompt"
# A late kernel message may come after it: look in the console lines.
check "stall: the console lines show where it hung" has "| about to hang"
check "stall: ends soon after the idle timeout (< 30 s)" [ "$secs" -lt 30 ]

overlay ticks '#!/bin/sh
while :; do echo tick; sleep 1; done'
boot run -f "$c/ticks.conf" --timeout 8 --idle-timeout 60 -c true
expect_eq "timeout: 253" 253 "$status"
check "timeout: diagnosis" has "timed out after 8 s before the shell prompt"
check "timeout: ends soon after the timeout (< 40 s)" [ "$secs" -lt 40 ]

# --- QEMU that cannot start ---------------------------------------------
boot run --qemu-arg=-no-such-option -c true
expect_eq "invalid QEMU option: 249" 249 "$status"
check "invalid QEMU option: QEMU's message" has "QEMU failed to start (exit status 1): "
check "invalid QEMU option: names the option" has "-no-such-option: invalid option"

# --- guest tests --------------------------------------------------------
boot test
expect_eq "test: the default suite passes" 0 "$status"
check "test: closing line" sh -c 'printf "%s\n" "$1" | tail -1 | grep -qx "5 passed, 0 failed"' - "$out"
check "test: hostname script ran" sh -c 'printf "%s\n" "$1" | grep -q "^PASS hostname.sh "' - "$out"
[ "$status" -eq 0 ] || printf '%s\n%s\n' "$out" "$err"

g=$(tmpdir)
printf 'echo "checking the answer"\n[ "$((6 * 7))" -eq 41 ]\n' > "$g/answer.sh"
printf 'grep -q proc /proc/mounts\n' > "$g/ok.sh"
boot test "$g"
expect_eq "test DIR: a failing script exits 1" 1 "$status"
check "test DIR: the failed script is reported" \
	sh -c 'printf "%s\n" "$1" | grep -qx "FAIL $2/answer.sh: exit status 1 (.*)"' - "$out" "$g"
check "test DIR: its output below" sh -c 'printf "%s\n" "$1" | grep -qx "    | checking the answer"' - "$out"
check "test DIR: closing line" sh -c 'printf "%s\n" "$1" | tail -1 | grep -qx "6 passed, 1 failed"' - "$out"

# --- kill -9 of mkdistro leaves no QEMU running -------------------------
# The QEMU that boots is the one running the kernel of out/ (mkdistro's
# other children, gcc --version or qemu --version, are not), and it is the
# driven one, not the accelerator probe, once the command's output came.
kernel="$(pwd -P)/out/vmlinuz"
"$MKDISTRO" run -c 'echo started; sleep 100' > "$c/kill9.out" 2>&1 &
mpid=$!
q=
i=0
while [ $i -lt 300 ] && [ -z "$q" ]; do
	grep -qx started "$c/kill9.out" 2>/dev/null &&
		q=$(pgrep -P $mpid -f "qemu-system.* -kernel $kernel( |\$)" 2>/dev/null | head -1)
	[ -n "$q" ] || sleep 0.2
	i=$((i + 1))
done
check "kill -9: QEMU was running under mkdistro" [ -n "$q" ]
[ -n "$q" ] || { kill -9 $mpid; sed 's/^/  /' "$c/kill9.out"; }
kill -9 $mpid 2>/dev/null
wait $mpid 2>/dev/null
i=0
while [ -n "$q" ] && [ $i -lt 50 ] && alive "$q"; do sleep 0.1; i=$((i + 1)); done
if [ -z "$q" ]; then
	not_ok "kill -9: QEMU ends with mkdistro"
	echo "  no QEMU found to check"
elif alive "$q"; then
	not_ok "kill -9: QEMU ends with mkdistro"
	kill -9 "$q"
else
	ok "kill -9: QEMU ends with mkdistro"
fi

# Leave the default system built for whoever uses this directory next.
"$MKDISTRO" build > build.log 2>&1
check "the default system is rebuilt" [ $? -eq 0 ]
