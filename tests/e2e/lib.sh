# Helpers for end-to-end tests: sourced by tests/e2e/*.sh.
# Each check prints "ok - NAME" or "not ok - NAME"; the script's last line
# is "# exit status N" (written by the EXIT trap) so the runner can tell a
# script that stopped early from one that finished.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# MKDISTRO_BIN: another mkdistro binary to test (default: the one built here).
MKDISTRO=${MKDISTRO_BIN:-"$ROOT/mkdistro"}
failures=0
# One directory per test script, removed at its end; tmpdir() makes
# directories inside it (it runs in a subshell, so it cannot record them).
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mkdistro-test.XXXXXX")

finish() {
	rc=$?
	rm -rf "$TEST_TMP"
	[ $failures -ne 0 ] && rc=1
	echo "# exit status $rc"
}
trap finish EXIT

tmpdir() {
	mktemp -d "$TEST_TMP/d.XXXXXX"
}

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }

# check NAME COMMAND...: ok if COMMAND succeeds.
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '  expected: %s\n  actual:   %s\n' "$2" "$3" | sed -n l | sed 's/\$$//'
	fi
}

# run_status VAR COMMAND...: run, store the exit status in VAR, output in $out.
run_out() {
	out=$("$@" 2>&1)
	status=$?
}

# alive PID: the process is running (gone, or a zombie nobody has reaped
# yet, is not).
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ]
}

# descendants PID: the processes below PID (children, theirs...), one pid
# per line.
descendants() {
	ps -eo pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END {
			n = 1; q[1] = root
			for (i = 1; i <= n; i++)
				for (p in parent)
					if (parent[p] == q[i]) { q[++n] = p; print p }
		}'
}

# listeners PORT: the local addresses listening on TCP PORT, from
# /proc/net/tcp and tcp6 (state 0A), one hex address a line.
listeners() {
	awk -v p="$(printf '%04X' "$1")" 'FNR > 1 && $4 == "0A" { split($2, a, ":"); if (a[2] == p) print a[1] }' /proc/net/tcp /proc/net/tcp6
}

# free_port: a TCP port nothing listens on at 127.0.0.1.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# write_links_conf FILE: the configuration arch.sh builds the second
# architecture's system with, in the shared directory (shares and the
# network on, for check_links): the scripts that use that system after it
# (image.sh, repro.sh) take it too, or they would rebuild its kernel.
write_links_conf() {
	printf '[system]\nshare = yes\nnet = yes\n' > "$1"
}

# check_links LABEL CMD...: run --share and --net/--forward on a system
# built for them ([system] share = yes, net = yes), CMD being how to call
# mkdistro for it (CMD check, CMD run OPTIONS...). A file the host wrote is
# read in the guest and its sha256 written back, a read-only share refuses
# the guest's write, what the guest makes is the invoking user's; a BusyBox
# httpd in the guest answers on 127.0.0.1
# through --forward, and the closed network (the default) keeps the guest
# from a server on the host's loopback that --net=open reaches. Every
# connection made is to 127.0.0.1. Uses $c for its logs.
check_links() {
	label=$1
	shift
	"$@" check > "$c/$label-check.log" 2>&1
	st=$?
	check "$label: mkdistro check finds what shares and the network need" [ $st -eq 0 ]
	[ $st -eq 0 ] || cat "$c/$label-check.log"

	# A file from the host, its sha256 computed in the guest, written back.
	d=$(tmpdir)
	n=$(basename "$d")
	head -c 300000 /dev/urandom > "$d/in.bin"
	ro=$(tmpdir)
	echo keep > "$ro/kept"
	out=$("$@" run --share "$d" --share "$ro:/srv/ro:ro" -c '
		sha256sum /mnt/'"$n"'/in.bin | cut -d" " -f1 > /mnt/'"$n"'/sum
		mkdir /mnt/'"$n"'/made
		grep -c " 9p " /proc/mounts
		if (echo x > /srv/ro/new) 2> /dev/null; then echo ro-written; else echo ro-refused; fi
		cat /srv/ro/kept' 2> "$c/$label-share.err")
	st=$?
	expect_eq "$label: run --share exits with the command's status" 0 $st
	[ $st -eq 0 ] || tail -20 "$c/$label-share.err"
	expect_eq "$label: the guest's sha256 of the host's file is the host's" \
		"$(sha256sum < "$d/in.bin" | cut -d' ' -f1)" "$(cat "$d/sum" 2> /dev/null)"
	expect_eq "$label: both shares mounted, the read-only one refuses a write" \
		"$(printf '2\nro-refused\nkeep')" "$out"
	check "$label: nothing was written to the read-only share" [ ! -e "$ro/new" ]
	expect_eq "$label: what the guest made is the invoking user's" \
		"$(id -u):$(id -g) $(id -u):$(id -g)" "$(stat -c %u:%g "$d/sum" "$d/made" 2>&1 | tr '\n' ' ' | sed 's/ $//')"

	# The command channel: stdout and stderr apart, bytes as written (NULs,
	# no final newline), the status; 20 MB of output byte-exact (the
	# guest's copy through the share is the reference).
	"$@" run -c 'printf "out\000put"; printf "err\000or" >&2; exit 3' > "$c/$label-chan.out" 2> "$c/$label-chan.err"
	st=$?
	expect_eq "$label: run -c over the channel exits with the command's status" 3 $st
	check "$label: its stdout arrives byte-exact, apart" sh -c 'printf "out\000put" | cmp -s - "$1"' - "$c/$label-chan.out"
	check "$label: its stderr arrives on stderr, byte-exact" sh -c 'printf "err\000or" | cmp -s - "$1"' - "$c/$label-chan.err"
	[ $st -eq 3 ] || tail -20 "$c/$label-chan.err"
	"$@" run --share "$d" -c 'head -c 20971520 /dev/urandom | tee /mnt/'"$n"'/big' > "$c/$label-big.out" 2> "$c/$label-big.err"
	st=$?
	expect_eq "$label: 20 MB of output: the command's status" 0 $st
	check "$label: 20 MB of output arrive byte-exact" cmp -s "$d/big" "$c/$label-big.out"
	check "$label: ... all 20 MB of them" [ "$(stat -c %s "$c/$label-big.out")" -eq 20971520 ]
	[ $st -eq 0 ] || tail -20 "$c/$label-big.err"
	rm -f "$d/big" "$c/$label-big.out"
	out=$("$@" run --format json -c 'echo to-out; echo to-err >&2' 2> "$c/$label-json.err")
	check "$label: a report has the command's stdout and stderr apart" python3 -c '
import json, sys
t = json.loads(sys.argv[1])["tests"][0]
assert t["output"] == "to-out\n" and t["stderr"] == "to-err\n", t' "$out"

	# A web server in the guest, reached from the host through --forward;
	# the guest's command ends when the host says so through a share.
	port=$(free_port)
	ctl=$(tmpdir)
	"$@" run --share "$ctl:/mnt/ctl" --forward "$port:80" -c '
		ip -4 addr show eth0 | grep -o "inet [0-9.]*"
		mkdir -p /www && echo "hello from the guest" > /www/index.html
		httpd -p 80 -h /www
		while [ ! -e /mnt/ctl/done ]; do sleep 0.2; done' > "$c/$label-net.out" 2> "$c/$label-net.err" &
	pid=$!
	got=""
	for i in $(seq 1 600); do
		got=$(curl -s --max-time 2 "http://127.0.0.1:$port/") && [ -n "$got" ] && break
		alive $pid || break
		sleep 0.5
	done
	expect_eq "$label: the guest's httpd answers on 127.0.0.1:$port (--forward)" "hello from the guest" "$got"
	expect_eq "$label: the forward listens on 127.0.0.1 only" "0100007F" "$(listeners "$port")"
	touch "$ctl/done"
	wait $pid
	st=$?
	expect_eq "$label: run --forward exits with the command's status" 0 $st
	expect_eq "$label: the guest's address is 10.0.2.15" "inet 10.0.2.15" "$(cat "$c/$label-net.out")"
	[ $st -eq 0 ] || tail -20 "$c/$label-net.err"

	# A server on the host's loopback: closed to the guest by default,
	# reached with --net=open (10.0.2.2 is the host's 127.0.0.1).
	hport=$(free_port)
	mkdir -p "$c/www" && echo "host page" > "$c/www/index.html"
	python3 -m http.server --bind 127.0.0.1 --directory "$c/www" "$hport" > "$c/httpd.log" 2>&1 &
	hpid=$!
	for i in $(seq 1 50); do curl -s "http://127.0.0.1:$hport/" > /dev/null && break; sleep 0.1; done
	fetch='wget -q -T 5 -O - http://10.0.2.2:'"$hport"'/ 2> /dev/null || echo unreachable'
	expect_eq "$label: --net keeps the guest from the host's loopback server" unreachable \
		"$("$@" run --net -c "$fetch" 2> "$c/$label-closed.err")"
	expect_eq "$label: --net=open reaches it" "host page" \
		"$("$@" run --net=open -c "$fetch" 2> "$c/$label-open.err")"
	kill $hpid
	wait $hpid 2> /dev/null
	check "$label: no QEMU is left" sh -c '! pgrep -f "[q]emu-system.*$1" > /dev/null' sh "$PWD"
}

# use_built_system: cd into the shared built system ($MKDISTRO_E2E_WORK, or a
# new directory when the script runs alone, as $w) and bring it up to date;
# the script ends there when it cannot be built.
use_built_system() {
	w=${MKDISTRO_E2E_WORK:-$(tmpdir)}
	cd "$w" || exit 1
	"$MKDISTRO" build > build.log 2>&1
	status=$?
	check "the system builds (or is built)" [ $status -eq 0 ]
	[ $status -eq 0 ] || { tail -40 build.log; exit 1; }
}

# debian_kernel: Debian's own kernel package (linux-image-amd64's current
# image package), downloaded with apt-get into
# $XDG_CACHE_HOME/mkdistro/debs and unpacked beside it with dpkg-deb (no
# root, nothing installed), both reused when present. Sets $deb_root (the
# unpacked tree: boot/vmlinuz-*, lib/modules/RELEASE/) and $deb_release;
# returns 1 when the package cannot be had.
debian_kernel() {
	debs=${XDG_CACHE_HOME:-$HOME/.cache}/mkdistro/debs
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1)
	[ -n "$pkg" ] || return 1
	deb_release=${pkg#linux-image-}
	deb_root=$debs/$pkg
	[ -d "$deb_root/lib/modules/$deb_release" ] && return 0
	mkdir -p "$debs" || return 1
	ls "$debs/${pkg}_"*.deb > /dev/null 2>&1 ||
		(cd "$debs" && apt-get download "$pkg" > /dev/null 2>&1) || return 1
	# One unpacked tree (390 MB) at a time: an older package's goes.
	for old in "$debs"/linux-image-*/; do
		[ "$old" = "$deb_root/" ] || rm -rf "$old"
	done
	dpkg-deb -x "$(ls "$debs/${pkg}_"*.deb | tail -1)" "$deb_root.tmp" &&
		mv "$deb_root.tmp" "$deb_root"
}

# list_initrd DIR: the names in DIR's out/initrd.img (gzip), every archive
# of it: the root archive, then the modules' (whose size the root archive
# build/initramfs.img tells), sorted.
list_initrd() {
	gzip -dc "$1/out/initrd.img" > "$TEST_TMP/all.cpio" || return 1
	n=$(gzip -dc "$1/build/initramfs.img" | wc -c)
	(cpio -t --quiet < "$TEST_TMP/all.cpio"; tail -c +$((n + 1)) "$TEST_TMP/all.cpio" | cpio -t --quiet) |
		sort
	rm -f "$TEST_TMP/all.cpio"
}
