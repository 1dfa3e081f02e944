# run --share and --net/--forward on systems built for them ([system]
# share = yes, net = yes), in the shared system's directory (-f): x86_64
# with Debian's own kernel (its 9p, virtio and network drivers are modules,
# packed with --modules; no kernel is built) and MKDISTRO_CHECK_ARCH
# (default aarch64) with mkdistro's kernel built with the options (an
# incremental build over arch.sh's). On each: a file the host wrote is
# read in the guest and its sha256 written back, a read-only share refuses
# the guest's write, what the guest makes is the invoking user's whatever
# it chowns it to; a BusyBox httpd in the guest answers on 127.0.0.1
# through --forward, and the closed network (the default) keeps the guest
# from a server on the host's loopback that --net=open reaches. Every
# connection made is to 127.0.0.1.
. "$(dirname "$0")/lib.sh"

use_built_system
c=$(tmpdir)
a2=${MKDISTRO_CHECK_ARCH:-aarch64}

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

# links LABEL CMD...: the checks, booting with CMD (mkdistro and its
# options up to the command word's) + "run" + options.
links() {
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
		chown 1234:1234 /mnt/'"$n"'/made 2> /dev/null
		grep -c " 9p " /proc/mounts
		if echo x > /srv/ro/new; then echo ro-written; else echo ro-refused; fi
		cat /srv/ro/kept' 2> "$c/$label-share.err")
	st=$?
	expect_eq "$label: run --share exits with the command's status" 0 $st
	[ $st -eq 0 ] || tail -20 "$c/$label-share.err"
	expect_eq "$label: the guest's sha256 of the host's file is the host's" \
		"$(sha256sum < "$d/in.bin" | cut -d' ' -f1)" "$(cat "$d/sum" 2> /dev/null)"
	expect_eq "$label: both shares mounted, the read-only one refuses a write" \
		"$(printf '2\nro-refused\nkeep')" "$out"
	check "$label: nothing was written to the read-only share" [ ! -e "$ro/new" ]
	expect_eq "$label: what the guest made (and chowned) is the invoking user's" \
		"$(id -u):$(id -g) $(id -u):$(id -g)" "$(stat -c %u:%g "$d/sum" "$d/made" 2>&1 | tr '\n' ' ' | sed 's/ $//')"

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
	fetch='wget -q -T 5 -O - http://10.0.2.2:'"$hport"'/ || echo unreachable'
	expect_eq "$label: --net keeps the guest from the host's loopback server" unreachable \
		"$("$@" run --net -c "$fetch" 2> "$c/$label-closed.err")"
	expect_eq "$label: --net=open reaches it" "host page" \
		"$("$@" run --net=open -c "$fetch" 2> "$c/$label-open.err")"
	kill $hpid
	wait $hpid 2> /dev/null
	check "$label: no QEMU is left" sh -c '! pgrep -f "qemu-system.*'"$w"'/out" > /dev/null'
}

printf '[system]\nshare = yes\nnet = yes\n' > "$c/links.conf"
# x86_64 with Debian's kernel: the drivers are modules.
debian_kernel
got=$?
check "Debian's kernel package is in the test's cache" [ $got -eq 0 ]
if [ $got -eq 0 ]; then
	printf '[system]\nshare = yes\nnet = yes\n[linux]\nmodules = virtio_mmio 9pnet_virtio 9p virtio_net\n' > "$c/debian.conf"
	debian() { cmd=$1; shift; "$MKDISTRO" -f "$c/debian.conf" "$cmd" --kernel "$deb_root/boot/vmlinuz-$deb_release" --modules "$deb_root/lib/modules/$deb_release" "$@"; }
	links x86_64-debian debian
fi

# Another architecture with mkdistro's kernel built with the options.
t0=$(date +%s)
"$MKDISTRO" -f "$c/links.conf" build --arch "$a2" > "$c/$a2-build.log" 2>&1
st=$?
check "$a2: the system with share and net builds" [ $st -eq 0 ]
echo "# $a2 with share and net: built in $(($(date +%s) - t0)) s"
if [ $st -eq 0 ]; then
	own() { cmd=$1; shift; "$MKDISTRO" -f "$c/links.conf" "$cmd" --arch "$a2" "$@"; }
	links "$a2" own
fi

# The shared system as it was: no kernel work.
run_out "$MKDISTRO" build
check "the shared system builds again" [ "$status" -eq 0 ]
check "... and its kernel was not rebuilt" sh -c '! echo "$1" | grep -q "^kernel done"' - "$out"
