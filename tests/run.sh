#!/bin/sh
# Run the tests and end with one line "N passed, N failed".
#   tests/run.sh          unit tests, fuzz targets, then end-to-end tests
#   tests/run.sh unit     unit tests only
#   tests/run.sh fuzz     fuzz targets over their committed corpora only
#   tests/run.sh e2e      end-to-end tests only
#   tests/run.sh slow     the slow end-to-end tests (tests/slow/*.sh: kernels
#                         of their own), after make check's or on their own
# Unit tests are cmocka programs built with ASan/UBSan (obj-san/test_*).
# Fuzz targets (obj-fuzz/fuzz_*, built by `make fuzz-build`) run each input
# of tests/fuzz/corpus/NAME once, no new fuzzing: one check per target.
# End-to-end tests are tests/e2e/*.sh; each prints "ok - NAME" or
# "not ok - NAME" per check (TAP style) and exits non-zero on failure.
# A check this machine cannot run (cmocka's skip(), TAP's "ok - ... # SKIP";
# e.g. the disk-full tests need user namespaces, which a chroot forbids) is
# counted neither passed nor failed: it is listed, with its reason, before
# the last line.
set -u
cd "$(dirname "$0")/.."
what=${1:-all}
pass=0
fail=0
failed=""
skipped=""

# cmocka's count for a summary label ("PASSED  ", "FAILED  ", "SKIPPED ")
# in $out, or 0.
cmocka_count() {
	n=$(printf '%s\n' "$out" | sed -n "s/^\[  $1\] \([0-9]*\) test.*/\1/p" | tail -1)
	echo "${n:-0}"
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in obj-san/test_*; do
		[ -x "$t" ] || continue
		out=$("$t" 2>&1)
		rc=$?
		p=$(cmocka_count "PASSED  ")
		f=$(cmocka_count "FAILED  ")
		sk=$(cmocka_count "SKIPPED ")
		if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
			# Crashed or a sanitizer stopped it: count the program as failed.
			f=1
		fi
		pass=$((pass + p))
		fail=$((fail + f))
		if [ "$f" -ne 0 ]; then
			printf '%s\n' "$out"
			failed="$failed ${t#obj-san/}"
		fi
		if [ "$sk" -eq 0 ]; then
			echo "unit $(basename "$t"): $p passed, $f failed"
			continue
		fi
		echo "unit $(basename "$t"): $p passed, $f failed, $sk skipped"
		# The skipped tests' names and the reasons they printed.
		printf '%s\n' "$out" | grep -i -e 'skip' -e 'not tested' |
			grep -v -e '\] [0-9]* test(s)' -e 'SKIPPED TEST(S)' |
			awk '!seen[$0]++ { print "  " $0 }'
		skipped="$skipped ${t#obj-san/}($sk)"
	done
fi

if [ "$what" = all ] || [ "$what" = fuzz ]; then
	for c in tests/fuzz/corpus/*/; do
		name=$(basename "$c")
		bin=obj-fuzz/fuzz_$name
		n=$(ls "$c" | wc -l)
		if [ ! -x "$bin" ]; then
			echo "not ok - fuzz $name: $bin is not built (make fuzz-build; needs clang)"
			fail=$((fail + 1))
			failed="$failed fuzz-$name"
			continue
		fi
		out=$("$bin" "$c"* 2>&1)
		if [ $? -eq 0 ]; then
			echo "ok - fuzz $name: $n corpus inputs"
			pass=$((pass + 1))
		else
			printf '%s\n' "$out" | grep -v '^INFO: ' | tail -40
			echo "not ok - fuzz $name: a corpus input fails (see above)"
			fail=$((fail + 1))
			failed="$failed fuzz-$name"
		fi
	done
fi

# Run the end-to-end scripts given, counting their TAP lines. They share
# one built system, $MKDISTRO_E2E_WORK: made here (and removed at the end)
# unless the caller gives one, as .ci/run does so that make check and make
# check-slow build it once.
run_e2e() {
	for t in "$@"; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		echo "== e2e $name"
		log=$(mktemp)
		t0=$(date +%s)
		sh "$t" 2>&1 | tee "$log"
		# For keeping CI within its time: what each script took.
		echo "# e2e $name took $(($(date +%s) - t0)) s"
		rc=$(sed -n 's/^# exit status \([0-9]*\)$/\1/p' "$log" | tail -1)
		sk=$(grep -c '^ok .*# SKIP' "$log")
		p=$(($(grep -c '^ok ' "$log") - sk))
		f=$(grep -c '^not ok ' "$log")
		[ "$sk" -ne 0 ] && skipped="$skipped e2e-$name($sk)"
		if [ "${rc:-1}" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "not ok - $name ended early (status ${rc:-unknown})"
			f=1
		fi
		rm -f "$log"
		pass=$((pass + p))
		fail=$((fail + f))
		[ "$f" -ne 0 ] && failed="$failed $name"
	done
}

if [ "$what" = all ] || [ "$what" = e2e ] || [ "$what" = slow ]; then
	if [ -z "${MKDISTRO_E2E_WORK:-}" ]; then
		MKDISTRO_E2E_WORK=$(mktemp -d "${TMPDIR:-/tmp}/mkdistro-e2e.XXXXXX")
		trap 'rm -rf "$MKDISTRO_E2E_WORK"' EXIT
	fi
	export MKDISTRO_E2E_WORK
fi
if [ "$what" = all ] || [ "$what" = e2e ]; then
	# boot.sh (first in order) builds the shared system, later scripts boot it.
	run_e2e tests/e2e/boot.sh $(ls tests/e2e/*.sh | grep -v -e /boot.sh -e /lib.sh)
fi
if [ "$what" = slow ]; then
	run_e2e tests/slow/*.sh
fi

[ -n "$skipped" ] && echo "skipped (could not run on this machine, see above):$skipped"
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
