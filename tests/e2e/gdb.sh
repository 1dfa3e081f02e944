# run --gdb: QEMU starts stopped with its gdb stub on 127.0.0.1; the
# command mkdistro prints is the one gdb is run with here (batch mode): a
# hardware breakpoint on start_kernel is hit and named from vmlinux's
# symbols, then the guest runs its command to the end. Nothing is left
# running, and the stub listens on the loopback address only.
. "$(dirname "$0")/lib.sh"

use_built_system
c=$(tmpdir)
gdb=$(command -v gdb-multiarch || command -v gdb)
check "a gdb is installed (Debian package gdb, from scripts/setup.sh)" [ -n "$gdb" ]
[ -n "$gdb" ] || exit 1
port=$(free_port)

"$MKDISTRO" run --gdb="$port" -c 'echo from-the-guest' > "$c/run.out" 2> "$c/run.err" &
pid=$!
# The hint comes before QEMU starts; then wait for the stub to listen.
for i in $(seq 1 100); do
	grep -q "target remote" "$c/run.err" && [ -n "$(listeners "$port")" ] && break
	sleep 0.2
done
check "mkdistro says how to connect" grep -q "^  $(basename "$gdb") $w/build/linux/vmlinux -ex 'target remote 127.0.0.1:$port'\$" "$c/run.err"
expect_eq "the stub listens on 127.0.0.1 only" "0100007F" "$(listeners "$port")"
check "the guest waits: nothing printed yet" [ ! -s "$c/run.out" ]
# The connect line as printed, with the batch commands after it.
connect=$(sed -n 's/^  //p' "$c/run.err" | head -1)
eval "timeout 120 $connect -batch -nx -ex 'hbreak start_kernel' -ex continue -ex 'info symbol \$pc' -ex delete -ex continue" > "$c/gdb.log" 2>&1
st=$?
check "gdb ran the session to the guest's end" [ $st -eq 0 ]
check "the breakpoint on start_kernel was hit" grep -q "^start_kernel in section .init.text" "$c/gdb.log"
[ $st -eq 0 ] || tail -15 "$c/gdb.log"
wait $pid
st=$?
expect_eq "run --gdb -c exits with the command's status" 0 $st
expect_eq "the command ran after gdb let the guest go" "from-the-guest" "$(cat "$c/run.out")"
check "no QEMU is left" sh -c '! pgrep -f "tcp:127.0.0.1:$1" > /dev/null' - "$port"

run_out "$MKDISTRO" run --gdb=70000 -c true
expect_eq "--gdb with a port out of range: status 2" 2 $status
check "... naming the option" sh -c 'printf "%s" "$1" | grep -qF -- "--gdb='"'"'70000'"'"': expected a TCP port from 1 to 65535"' - "$out"
run_out "$MKDISTRO" bisect-run --gdb
expect_eq "bisect-run --gdb: refused (125, as bisect-run's usage errors)" 125 $status
