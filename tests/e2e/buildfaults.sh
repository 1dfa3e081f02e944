# Faults during a build, in the built system of $MKDISTRO_E2E_WORK (boot.sh
# leaves one; alone, this script builds one first):
#   - the disk fills up while out/initrd.img is written (out/ on a small
#     tmpfs in a user and mount namespace: no root needed);
#   - a build whose output goes through `| tee` interrupted the way Ctrl-C
#     on a terminal does it (SIGINT to the whole foreground process group,
#     tee included), and again with tee gone first;
#   - kill -9 of mkdistro.
# Each must leave no process behind (make, the compilers, the step's own
# child), no stamp for the step it cut short, the build lock free, and a
# next build that redoes the step and succeeds. The step cut short is
# BusyBox's: a fragment that changes its compiler flags makes it recompile
# everything, so there is time to interrupt it while gcc runs. The system
# is built with that fragment once, after the interruptions, and then with
# the default again for the scripts that come next.
. "$(dirname "$0")/lib.sh"

use_built_system
check "ps, pgrep, setsid, flock are there (Debian procps, util-linux)" \
	sh -c 'command -v ps && command -v pgrep && command -v setsid && command -v flock' > /dev/null

c=$(tmpdir)

# --- disk full while out/initrd.img is written --------------------------
# Inside the namespace out/ is a tmpfs holding what it held except
# initrd.img, with 64 KiB to spare: the initrd step (stale, as its
# output is missing), which joins the root archive and the modules' into
# it, cannot write the image. Outside, nothing changes but
# the step's stamp, which is gone: the next build redoes the step.
if ! unshare -Urm true 2> "$c/unshare.err"; then
	echo "ok - disk full: # SKIP no user namespaces here: $(cat "$c/unshare.err")"
else
	sha_before=$(sha256sum out/initrd.img | cut -d' ' -f1)
	cp -a out "$c/out-copy"
	rm -f "$c/out-copy/initrd.img"
	kb=$(($(du -sk "$c/out-copy" | cut -f1) + 64))
	unshare -Urm sh -c '
		mount -t tmpfs -o "size=${2}k" mkdistro-e2e-full out || exit 99
		cp -a "$1/out-copy/." out/ || exit 99
		ls -A out > "$1/full.before"
		"$3" build > "$1/full.out" 2> "$1/full.err"
		echo $? > "$1/full.status"
		ls -A out > "$1/full.after"
	' - "$c" "$kb" "$MKDISTRO"
	expect_eq "disk full: the namespace and tmpfs were set up" 0 $?
	check "disk full: the build fails" [ "$(cat "$c/full.status")" -ne 0 ]
	check "disk full: the error names out/initrd.img and ENOSPC" \
		grep -q "^mkdistro: write '$w/out/initrd.img': No space left on device$" "$c/full.err"
	check "disk full: the step is reported failed" grep -q "step 'initrd' failed" "$c/full.err"
	expect_eq "disk full: no image and no temporary file in out/" \
		"$(cat "$c/full.before")" "$(cat "$c/full.after")"
	[ -s "$c/full.err" ] && sed 's/^/  | /' "$c/full.err" | head -5
	check "disk full: the initrd step has no stamp" [ ! -e build/stamps/initrd.stamp ]
	check "disk full: the real out/initrd.img is untouched" \
		[ "$(sha256sum out/initrd.img | cut -d' ' -f1)" = "$sha_before" ]
	"$MKDISTRO" build > "$c/after-full.log" 2>&1
	check "disk full: the next build succeeds" [ $? -eq 0 ]
	check "disk full: ... and redoes the initrd step" grep -q "^initrd done in" "$c/after-full.log"
	check "disk full: ... to the same image" \
		[ "$(sha256sum out/initrd.img | cut -d' ' -f1)" = "$sha_before" ]
fi

# --- interrupting the BusyBox step -----------------------------------------
printf 'CONFIG_EXTRA_CFLAGS="-DMKDISTRO_E2E_INTERRUPTED"\n' > "$c/flags.fragment"
printf '[busybox]\nfragment = flags.fragment\n' > "$c/flags.conf"

# wait_for_compiler LOG MKDISTRO-PID: wait until the BusyBox step has
# started (LOG says so), compiled a few files and runs a compiler below
# MKDISTRO-PID. 1 if that did not happen within 5 minutes.
wait_for_compiler() {
	i=0
	while [ $i -lt 600 ]; do
		if grep -q "busybox started" "$1" 2>/dev/null &&
		   [ "$(grep -c '^  CC ' build/logs/busybox.log 2>/dev/null)" -ge 3 ]; then
			for p in $(descendants "$2"); do
				case $(cat "/proc/$p/comm" 2>/dev/null) in
				cc1 | as) return 0 ;;
				esac
			done
		fi
		alive "$2" || return 1
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}

# all_gone WHAT PIDS...: within 15 s none of PIDS runs, and no process
# works in this build directory. $t0: when the signal was sent.
all_gone() {
	what=$1
	shift
	i=0
	while [ $i -lt 150 ]; do
		left=
		for p in "$@"; do
			alive "$p" && left="$left $p($(cat "/proc/$p/comm" 2>/dev/null))"
		done
		[ -z "$left" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	[ -z "$left" ] && echo "# $what: all ended $(awk -v t0="$t0" -v t1="$(date +%s.%N)" \
		'BEGIN { printf "%.1f", t1 - t0 }') s after the signal"
	expect_eq "$what: every process of the build ends (make, cc1, the step's child)" "" "$left"
	inside=$(ps -eo pid=,args= | grep -F "$w/build" | grep -v -e grep -e "ps -eo" | head -3)
	expect_eq "$what: no process left working in the build directory" "" "$inside"
	for p in $left; do
		kill -9 "${p%%(*}" 2> /dev/null
	done
}

# cut_short WHAT: the BusyBox step left no stamp, the lock is free, status
# says the step must be redone.
cut_short() {
	check "$1: the BusyBox step has no stamp" [ ! -e build/stamps/busybox.stamp ]
	check "$1: the build lock is free" flock -n build/.lock true
	"$MKDISTRO" status -f "$c/flags.conf" > "$c/status.out" 2>&1
	check "$1: status says busybox is stale" grep -q "^busybox  *stale" "$c/status.out"
}

# start_piped LOG: `mkdistro build -f flags.conf 2>&1 | tee LOG` in a
# session (and process group) of its own, as a terminal's foreground job
# is. Sets spid (the shell running the pipeline, whose pid is the group's),
# mpid (mkdistro) and tpid (tee).
start_piped() {
	rm -f "$c/pipeline.pid"
	setsid -f sh -c 'echo $$ > "$4"; "$1" build -f "$2" 2>&1 | tee "$3" > /dev/null' \
		- "$MKDISTRO" "$c/flags.conf" "$1" "$c/pipeline.pid" < /dev/null 2> /dev/null
	i=0
	mpid=
	tpid=
	while [ $i -lt 100 ] && { [ -z "$mpid" ] || [ -z "$tpid" ]; }; do
		sleep 0.1
		spid=$(cat "$c/pipeline.pid" 2> /dev/null)
		if [ -n "$spid" ]; then
			mpid=$(pgrep -P "$spid" -x mkdistro)
			tpid=$(pgrep -P "$spid" -x tee)
		fi
		i=$((i + 1))
	done
}

# wait_gone PID: until PID (not a child of ours) has ended, at most 60 s.
wait_gone() {
	i=0
	while [ $i -lt 600 ] && alive "$1"; do
		sleep 0.1
		i=$((i + 1))
	done
}

# Ctrl-C on a terminal: SIGINT to the foreground process group, which
# holds mkdistro and tee (the steps have groups of their own, which
# mkdistro stops).
log=$c/tee.log
start_piped "$log"
check "Ctrl-C: mkdistro | tee started" [ -n "$mpid" -a -n "$tpid" ]
if wait_for_compiler "$log" "$mpid"; then
	ok "Ctrl-C: the BusyBox step is compiling under mkdistro | tee"
else
	not_ok "Ctrl-C: the BusyBox step is compiling under mkdistro | tee"
	tail -20 "$log"
fi
pids=$(descendants "$mpid")
t0=$(date +%s.%N)
kill -INT "-$spid"
wait_gone "$mpid"
all_gone "Ctrl-C" $mpid $tpid $pids
kill "$spid" 2> /dev/null # the shell of the pipeline: a terminal's would stay
cut_short "Ctrl-C"

# tee goes first (SIGPIPE is ignored, so mkdistro only sees its writes
# fail), then the rest of the group gets the SIGINT.
log=$c/tee2.log
start_piped "$log"
wait_for_compiler "$log" "$mpid"
check "tee first: the BusyBox step is compiling" [ $? -eq 0 ]
pids=$(descendants "$mpid")
kill -TERM "$tpid"
sleep 2
if alive "$mpid"; then
	echo "# tee first: mkdistro goes on with its output pipe gone"
fi
t0=$(date +%s.%N)
kill -INT "-$spid" 2> /dev/null
wait_gone "$mpid"
all_gone "tee first" $mpid $pids
kill "$spid" 2> /dev/null
cut_short "tee first"

# kill -9 of mkdistro: nothing can run in it, so its children must see
# it go (the step's child has PR_SET_PDEATHSIG and stops its makes).
"$MKDISTRO" build -f "$c/flags.conf" > "$c/kill9.log" 2>&1 &
mpid=$!
wait_for_compiler "$c/kill9.log" "$mpid"
check "kill -9: the BusyBox step is compiling" [ $? -eq 0 ]
pids=$(descendants "$mpid")
t0=$(date +%s.%N)
kill -9 "$mpid"
wait "$mpid" 2> /dev/null
all_gone "kill -9" $pids
cut_short "kill -9"

# The next build, with the same inputs, redoes the step and succeeds.
"$MKDISTRO" build -f "$c/flags.conf" > "$c/again.log" 2>&1
status=$?
check "after the interruptions the build succeeds" [ $status -eq 0 ]
[ $status -eq 0 ] || tail -30 "$c/again.log"
check "... and it redid the BusyBox step" grep -q "^busybox done in" "$c/again.log"
check "... and its BusyBox works" sh -c 'build/busybox-install/bin/busybox echo fine | grep -qx fine'

# Leave the default system built for whoever uses this directory next.
"$MKDISTRO" build > build.log 2>&1
check "the default system is rebuilt" [ $? -eq 0 ]
