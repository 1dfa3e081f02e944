#!/bin/sh
# make bench: a cold build of the seed system (sources already cached) in a
# fresh directory, time per step and in total, the boot times, and the
# sizes of the outputs. Figures only, no thresholds.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MKDISTRO="$ROOT/mkdistro"
w=$(mktemp -d "${TMPDIR:-/tmp}/mkdistro-bench.XXXXXX")
trap 'rm -rf "$w"' EXIT
cd "$w"

echo "== sources (cache fill, not timed)"
"$MKDISTRO" fetch

echo "== cold build, $(nproc) CPUs"
"$MKDISTRO" -v build 2>&1 | sed -n '/^step /,$p'

echo "== boot (3 runs)"
for i in 1 2 3; do
	"$MKDISTRO" run --time -c true 2>&1 | grep 'boot times'
done

echo "== sizes"
printf '%-12s %9s bytes\n' vmlinuz "$(stat -c %s out/vmlinuz)" initrd.img "$(stat -c %s out/initrd.img)"
