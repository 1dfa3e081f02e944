#!/bin/sh
# make bench: figures, side by side in one run, no thresholds.
#  1. cold build of the seed system (source files cached, the kernel's
#     tree not yet unpacked), steps one after another
#     (MKDISTRO_PARALLEL_STEPS=1), in a fresh directory;
#  2. the same cold build with steps side by side (the default), in
#     another fresh directory; the ratio of the two;
#  3. no-op rebuild; rebuild after changing one overlay file; rebuild after
#     changing one kernel fragment line (against the cold kernel step of
#     the serial build, where the kernel had the machine to itself);
#  4. boot times (QEMU start to first output, /init, prompt), 3 runs;
#  5. sizes of vmlinuz and initrd.img;
#  6. your kernel tree (--linux): a git repository made from the kernel's
#     tree, its cold kernel build (run -c true), then one .c file changed
#     and run -c again, the rebuild included: the ratio of the two.
#  7. shares and the network: the seed system rebuilt with share = yes and
#     net = yes (the kernel step, and the kernel's size against the seed's),
#     then boots to the prompt alternating without and with --share and
#     --net (5 each; the mean of each), and a 100 MB file read through the
#     share in the guest (MB/s, from the command's own time).
# tests/bench.sh tree DIR runs part 6 alone, in DIR, a system directory
# built already (make check's shared one, say): its kernel is built from a
# copy of its kernel tree, so a plain build there rebuilds it afterwards.
# tests/bench.sh links DIR runs part 7 alone, in DIR, a system directory
# built already, with -f DIR/links.conf (written there): its kernel
# becomes the one with shares and the network.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MKDISTRO="$ROOT/mkdistro"
w=$(mktemp -d "${TMPDIR:-/tmp}/mkdistro-bench.XXXXXX")
trap 'rm -rf "$w"' EXIT

# seconds from a plan report line: "kernel   123.4  ran"
step_time() { awk -v s="$2" '$1 == s && $2 ~ /^[0-9.]+$/ { print $2 }' "$1"; }
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

# Part 6: your kernel tree, in the built system of the current directory.
# Sets tree_cold, tree_cold_kernel, tree_edit, tree_edit_kernel.
bench_tree() {
	echo "== your kernel tree: cold, then one .c file changed"
	tree="$w/tree/linux"
	mkdir -p "$tree"
	cp -a "$(readlink -f build/src/linux)/." "$tree/"
	git -C "$tree" init -q && git -C "$tree" add -A &&
		git -C "$tree" -c user.name=bench -c user.email=bench@localhost commit -qm tree
	t0=$(now)
	"$MKDISTRO" -v run --linux "$tree" -c true > "$w/tree-cold.log" 2>&1
	tree_cold=$(elapsed "$t0" "$(now)")
	tree_cold_kernel=$(step_time "$w/tree-cold.log" kernel)
	printf '\n/* bench */\n' >> "$tree/init/main.c"
	t0=$(now)
	"$MKDISTRO" -v run --linux "$tree" -c true > "$w/tree-edit.log" 2>&1
	tree_edit=$(elapsed "$t0" "$(now)")
	tree_edit_kernel=$(step_time "$w/tree-edit.log" kernel)
}

print_tree() {
	printf '%-44s %9.1fs  (kernel step %.1fs)\n' "your tree: cold build and run -c" "$tree_cold" "$tree_cold_kernel"
	printf '%-44s %9.1fs  (kernel step %.1fs)\n' "your tree: one .c changed, to the answer" "$tree_edit" "$tree_edit_kernel"
	printf '%-44s %10.2f  (goal <= 0.15)\n' "ratio one .c changed / cold kernel of the tree" "$(echo "$tree_edit / $tree_cold_kernel" | bc -l)"
}

# Part 7: shares and the network, in the built system of the current
# directory (with -f links.conf). Sets links_build, links_kernel,
# links_size, plain_size, boot_plain, boot_links, share_mbs, serial_mbs,
# channel_mbs.
prompt_time() { sed -n 's/.*shell prompt \([0-9.]*\) s.*/\1/p'; }
bench_links() {
	echo "== shares and the network: rebuild with them, boots, 100 MB through the share"
	plain_size=$(stat -c %s out/vmlinuz)
	# run -c's output over the serial console: 2 MB (it is slow), on the
	# system without links.conf, timed in the guest.
	secs=$("$MKDISTRO" run --format json -c 'yes 0123456789abcdef | head -c 2097152' |
		python3 -c 'import json, sys; t = json.load(sys.stdin)["tests"][0]; assert len(t["output"]) == 2097152; print(t["duration"])')
	serial_mbs=$(echo "2 / $secs" | bc -l)
	printf '[system]\nshare = yes\nnet = yes\n' > links.conf
	t0=$(now)
	"$MKDISTRO" -v -f links.conf build > "$w/links-build.log" 2>&1
	links_build=$(elapsed "$t0" "$(now)")
	links_kernel=$(step_time "$w/links-build.log" kernel)
	links_size=$(stat -c %s out/vmlinuz)
	d="$w/share"
	mkdir -p "$d"
	p=0 l=0
	for i in 1 2 3 4 5; do
		a=$("$MKDISTRO" -f links.conf run --time -c true 2>&1 | prompt_time)
		b=$("$MKDISTRO" -f links.conf run --time --share "$d" --net -c true 2>&1 | prompt_time)
		echo "  without $a s, with --share --net $b s"
		p=$(echo "$p + $a" | bc -l)
		l=$(echo "$l + $b" | bc -l)
	done
	boot_plain=$(echo "$p / 5" | bc -l)
	boot_links=$(echo "$l / 5" | bc -l)
	head -c 100000000 /dev/urandom > "$d/big"
	secs=$("$MKDISTRO" -f links.conf run --share "$d" --format json -c "cat /mnt/share/big > /dev/null" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["tests"][0]["duration"])')
	share_mbs=$(echo "100 / $secs" | bc -l)
	rm -rf "$d"
	# run -c's output over the command channel, timed in the guest (the
	# serial console's was measured before the rebuild).
	secs=$("$MKDISTRO" -f links.conf run --format json -c 'yes 0123456789abcdef | head -c 20971520' |
		python3 -c 'import json, sys; t = json.load(sys.stdin)["tests"][0]; assert len(t["output"]) == 20971520; print(t["duration"])')
	channel_mbs=$(echo "20 / $secs" | bc -l)
}

print_links() {
	printf '%-44s %9.1fs  (kernel step %.1fs)\n' "rebuild with share and net" "$links_build" "$links_kernel"
	printf '%-44s %10s bytes (seed: %s)\n' "vmlinuz with share and net" "$links_size" "$plain_size"
	printf '%-44s %9.2fs\n' "boot to prompt, no share, no net (mean of 5)" "$boot_plain"
	printf '%-44s %9.2fs  (goal: within 0.2 s of it)\n' "boot to prompt, --share and --net (mean of 5)" "$boot_links"
	printf '%-44s %9.1f MB/s\n' "100 MB read through the share (9p)" "$share_mbs"
	printf '%-44s %9.2f MB/s\n' "run -c output, serial console (2 MB)" "$serial_mbs"
	printf '%-44s %9.2f MB/s\n' "run -c output, command channel (20 MB)" "$channel_mbs"
	printf '%-44s %10.1f  (goal >= 10)\n' "ratio channel / serial console" "$(echo "$channel_mbs / $serial_mbs" | bc -l)"
}

if [ "${1:-}" = links ]; then
	cd "${2:?usage: tests/bench.sh links DIR (a built system directory)}"
	[ -e out/vmlinuz ] || { echo "bench: $2 has no built system (run mkdistro build there)" >&2; exit 2; }
	bench_links
	printf '\n%-44s %10s\n' "figure" "value"
	print_links
	exit 0
fi

if [ "${1:-}" = tree ]; then
	cd "${2:?usage: tests/bench.sh tree DIR (a built system directory)}"
	[ -e build/src/linux ] || { echo "bench: $2 has no built system (run mkdistro build there)" >&2; exit 2; }
	bench_tree
	printf '\n%-44s %10s\n' "figure" "value"
	print_tree
	exit 0
fi

echo "== sources (cache fill, not timed)"
(cd "$w" && "$MKDISTRO" fetch)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/mkdistro/sources

# A cache of its own for each cold build: the source files (linked or
# copied), but not the kernel's unpacked tree, so that both builds unpack
# it, as a first build on a machine does.
own_cache() {
	mkdir -p "$1/mkdistro/sources"
	for f in "$cache"/*.tar.*; do
		ln "$f" "$1/mkdistro/sources/" 2>/dev/null || cp "$f" "$1/mkdistro/sources/"
	done
}

echo "== cold build, steps one after another ($(nproc) CPUs)"
mkdir "$w/serial"
own_cache "$w/cache-serial"
t0=$(now)
(cd "$w/serial" && XDG_CACHE_HOME="$w/cache-serial" MKDISTRO_PARALLEL_STEPS=1 "$MKDISTRO" -v build > build.log 2>&1)
serial=$(elapsed "$t0" "$(now)")
sed -n '/^step /,/^cpu/p' "$w/serial/build.log"
serial_cpu=$(awk '$1 == "cpu" { print $2 }' "$w/serial/build.log")
cold_kernel=$(step_time "$w/serial/build.log" kernel)
rm -rf "$w/serial" "$w/cache-serial"

echo "== cold build, steps side by side"
mkdir "$w/par"
own_cache "$w/cache"
# This cache stays for the rebuilds below.
export XDG_CACHE_HOME="$w/cache"
cd "$w/par"
t0=$(now)
"$MKDISTRO" -v build > build.log 2>&1
parallel=$(elapsed "$t0" "$(now)")
sed -n '/^step /,/^cpu/p' build.log

t0=$(now)
"$MKDISTRO" build > /dev/null 2>&1
noop=$(elapsed "$t0" "$(now)")

mkdir overlay
echo one > overlay/motd
printf '[initramfs]\noverlay = overlay\n' > mkdistro.conf
"$MKDISTRO" build > /dev/null 2>&1
echo two > overlay/motd
t0=$(now)
"$MKDISTRO" build > /dev/null 2>&1
overlay=$(elapsed "$t0" "$(now)")

printf 'CONFIG_PRINTK_TIME=y\n' > kernel.fragment
printf '[initramfs]\noverlay = overlay\n[linux]\nfragment = kernel.fragment\n' > mkdistro.conf
t0=$(now)
"$MKDISTRO" -v build > frag.log 2>&1
fragment=$(elapsed "$t0" "$(now)")
frag_kernel=$(step_time frag.log kernel)
frag_kconfig=$(step_time frag.log kconfig)

echo "== boot (3 runs)"
for i in 1 2 3; do
	"$MKDISTRO" run --time -c true 2>&1 | grep 'boot times' || true
done

vmlinuz_size=$(stat -c %s out/vmlinuz)
initrd_size=$(stat -c %s out/initrd.img)
rm -f mkdistro.conf
bench_links
bench_tree

printf '\n%-44s %10s\n' "figure" "value"
printf '%-44s %9.1fs\n' "cold build, steps one after another" "$serial"
printf '%-44s %9.1fs\n' "cold build, steps side by side" "$parallel"
printf '%-44s %10.2f  (goal <= 0.85)\n' "ratio side by side / one after another" "$(echo "$parallel / $serial" | bc -l)"
# Side by side can only fill the cores the serial run left idle: with
# the same CPU work spread over all job slots, the wall time cannot fall
# below CPU / slots. The ratio that bound allows, next to the goal:
printf '%-44s %9.1fs  (%s job slots)\n' "CPU time of the serial build" "$serial_cpu" "$(nproc)"
printf '%-44s %10.2f\n' "  least ratio that CPU work allows" "$(echo "$serial_cpu / $(nproc) / $serial" | bc -l)"
printf '%-44s %9.2fs  (goal < 1 s)\n' "no-op rebuild" "$noop"
printf '%-44s %9.2fs  (goal < 3 s)\n' "rebuild after one overlay file changed" "$overlay"
printf '%-44s %9.1fs\n' "rebuild after one kernel fragment line" "$fragment"
printf '%-44s %9.1fs + %.1fs kconfig\n' "  of which kernel step" "$frag_kernel" "$frag_kconfig"
printf '%-44s %9.1fs\n' "cold kernel step (one after another)" "$cold_kernel"
printf '%-44s %10.2f  (goal < 0.25)\n' "ratio fragment rebuild / cold kernel" "$(echo "$fragment / $cold_kernel" | bc -l)"
printf '%-44s %10s bytes\n' "vmlinuz" "$vmlinuz_size"
printf '%-44s %10s bytes\n' "initrd.img" "$initrd_size"
print_links
print_tree
