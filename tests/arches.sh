#!/bin/sh
# make check-arches: build and boot every architecture (or those named),
# then print one table: build time, kernel and initramfs size, time to the
# shell prompt, what `uname -m` said in the guest, the guest test suite.
#   tests/arches.sh [ARCH...]
# All builds share one directory (build-ARCH/ and out-ARCH/ side by side, one
# source cache), kept between runs so that a second run only boots:
# MKDISTRO_ARCHES_WORK, default ./arches-work. Ends with "N passed, N failed".
# An architecture with a known issue (mkdistro arches shows it) is built and
# booted too; its failure is in the table and the count, marked as known,
# and only unknown failures make the exit status non-zero.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MKDISTRO="$ROOT/mkdistro"
work=${MKDISTRO_ARCHES_WORK:-$ROOT/arches-work}
mkdir -p "$work" || exit 1
cd "$work" || exit 1

if [ $# -eq 0 ]; then
	set -- $("$MKDISTRO" arches | awk 'NR > 1 { print $1 }')
fi

now() { date +%s.%N; }
table=$(mktemp)
trap 'rm -f "$table"' EXIT
pass=0
fail=0
known=0
for a in "$@"; do
	echo "== $a"
	log="$work/$a.log"
	t0=$(now)
	"$MKDISTRO" build --arch "$a" > "$log" 2>&1
	brc=$?
	build=$(echo "$(now) - $t0" | bc)
	kernel=- initrd=- prompt=- machine=- result=FAIL
	if [ $brc -eq 0 ]; then
		out=$("$MKDISTRO" arches | awk -v a="$a" '$1 == a { print $5 }')
		kernel=$(stat -c %s "$out/vmlinuz" 2>/dev/null || echo -)
		initrd=$(stat -c %s "$out/initrd.img" 2>/dev/null || echo -)
		machine=$("$MKDISTRO" run --arch "$a" --time -c 'uname -m' 2>"$log.run")
		rrc=$?
		cat "$log.run" >> "$log"
		prompt=$(sed -n 's/.*shell prompt \([0-9.]*\) s.*/\1/p' "$log.run")
		rm -f "$log.run"
		machine=$(printf '%s' "$machine" | tr -d '\r' | tr '\n' ' ' | cut -c1-8)
		[ -n "$machine" ] || machine=-
		"$MKDISTRO" test --arch "$a" >> "$log" 2>&1
		trc=$?
		if [ $rrc -eq 0 ] && [ $trc -eq 0 ] && [ -n "$prompt" ]; then
			result=ok
		else
			result="FAIL (run $rrc, test $trc)"
		fi
	else
		tail -5 "$log"
	fi
	[ -n "$prompt" ] || prompt=-
	if [ "$result" = ok ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		if "$MKDISTRO" arches | grep "^$a " | grep -q "known issue"; then
			known=$((known + 1))
			result="$result, known issue"
		fi
	fi
	printf '%-8s %8.0f %10s %10s %8s %-8s %s\n' "$a" "$build" "$kernel" "$initrd" "$prompt" \
		"$machine" "$result" >> "$table"
	echo "   $result (log: $log)"
done

printf '\n%-8s %8s %10s %10s %8s %-8s %s\n' arch "build s" "kernel B" "initrd B" "prompt s" \
	"uname -m" result
cat "$table"
"$MKDISTRO" arches | grep "known issue" | sed 's/^\([^ ]*\) .*known issue: /known issue of \1: /'
echo "$pass passed, $fail failed ($known of them with a known issue)"
[ $fail -eq $known ]
