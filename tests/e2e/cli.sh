# The command line as a user types it: help, bad input, clear errors.
. "$(dirname "$0")/lib.sh"

run_out "$MKDISTRO" --help
check "--help exits 0" [ $status -eq 0 ]
check "--help lists the commands" sh -c 'printf "%s" "$1" | grep -q "^  build " && printf "%s" "$1" | grep -q "^  run "' - "$out"

run_out "$MKDISTRO"
check "no command exits 2" [ $status -eq 2 ]

run_out "$MKDISTRO" frobnicate
check "unknown command exits 2" [ $status -eq 2 ]
expect_eq "unknown command message" "mkdistro: unknown command 'frobnicate'; try 'mkdistro --help'" "$out"

run_out "$MKDISTRO" build -j zero
check "bad -j exits 2" [ $status -eq 2 ]
expect_eq "bad -j message" "mkdistro: -j 'zero': expected a number of jobs from 1 to 1024" "$out"

for c in build run fetch status clean; do
	run_out "$MKDISTRO" $c --help
	check "$c --help exits 0" [ $status -eq 0 ]
	check "$c --help shows its usage" sh -c 'printf "%s" "$1" | head -1 | grep -q "^usage: mkdistro $2 "' - "$out" $c
done

run_out "$MKDISTRO" build -c 'true'
check "-c outside run exits 2" [ $status -eq 2 ]

d=$(tmpdir)
run_out "$MKDISTRO" -f "$d/missing.conf" status
check "missing -f file exits 1" [ $status -eq 1 ]
check "missing -f file is named" sh -c 'printf "%s" "$1" | grep -q "missing.conf"' - "$out"

printf '[system]\narch = vax\n[qemu]\ncolour = blue\n' > "$d/bad.conf"
run_out "$MKDISTRO" -f "$d/bad.conf" build
check "bad config exits 1" [ $status -eq 1 ]
check "bad config: arch error has file:line" sh -c 'printf "%s" "$1" | grep -q "bad.conf:2: "' - "$out"
check "bad config: unknown key has file:line" sh -c 'printf "%s" "$1" | grep -q "bad.conf:4: .*colour"' - "$out"
check "bad config: no build work started" [ ! -e "$d/build" ]
