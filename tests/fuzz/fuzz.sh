#!/bin/sh
# Fuzz each target for a bounded time (what `make fuzz` runs):
#   sh tests/fuzz/fuzz.sh SECONDS SCRATCH NAME...
# obj-fuzz/fuzz_NAME starts from the committed corpus tests/fuzz/corpus/NAME
# and from SCRATCH/NAME, where it also keeps the new inputs it finds, with
# the dictionary tests/fuzz/NAME.dict when there is one. One worker, one
# target after another (a single core). A crash stops the run with exit
# status 1: the input is saved in SCRATCH/crashes/, libFuzzer's report is
# in SCRATCH/NAME.log and shown.
set -u
cd "$(dirname "$0")/../.."
secs=$1
scratch=$2
shift 2
mkdir -p "$scratch/crashes"
for t in "$@"; do
	mkdir -p "$scratch/$t"
	log=$scratch/$t.log
	dict=
	[ -f "tests/fuzz/$t.dict" ] && dict=-dict=tests/fuzz/$t.dict
	before=$(ls "$scratch/$t" | wc -l)
	echo "fuzz $t: $secs s"
	"obj-fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -print_final_stats=1 $dict \
		-artifact_prefix="$scratch/crashes/$t-" "$scratch/$t" "tests/fuzz/corpus/$t" > "$log" 2>&1
	rc=$?
	stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
	if [ $rc -ne 0 ]; then
		grep -v -e '^#[0-9]' -e '^INFO: ' "$log" | tail -40
		echo "fuzz $t: FAILED (status $rc); the input: $(ls -t "$scratch/crashes/$t-"* 2>/dev/null | head -1)"
		echo "  again: obj-fuzz/fuzz_$t INPUT (FUZZ_VERBOSE=1 shows the messages of the code under test)"
		exit 1
	fi
	after=$(ls "$scratch/$t" | wc -l)
	echo "fuzz $t: $(stat number_of_executed_units) runs, $(stat average_exec_per_sec) per second," \
		"$((after - before)) new inputs in $scratch/$t"
done
