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

# clean: one architecture's directories with --arch, all of them without;
# nothing else in the directory is touched.
d=$(tmpdir)
mkdir "$d/build" "$d/out" "$d/build-riscv64" "$d/out-riscv64" "$d/build-keep"
touch "$d/build/x" "$d/out-riscv64/vmlinuz" "$d/mkdistro.conf"
(cd "$d" && "$MKDISTRO" clean --arch riscv64 > clean1.log 2>&1)
check "clean --arch riscv64 exits 0" [ $? -eq 0 ]
check "clean --arch riscv64 removes build-riscv64/ and out-riscv64/" \
	sh -c '[ ! -e "$1/build-riscv64" ] && [ ! -e "$1/out-riscv64" ]' - "$d"
check "clean --arch riscv64 leaves build/ and out/" [ -e "$d/build/x" ]
mkdir "$d/build-aarch64"
(cd "$d" && "$MKDISTRO" clean > clean2.log 2>&1)
check "clean removes every architecture's directories" \
	sh -c '[ ! -e "$1/build" ] && [ ! -e "$1/out" ] && [ ! -e "$1/build-aarch64" ]' - "$d"
check "clean leaves what is not mkdistro's" \
	sh -c '[ -d "$1/build-keep" ] && [ -f "$1/mkdistro.conf" ]' - "$d"
check "clean says what it removed" grep -q "removed build-aarch64/" "$d/clean2.log"
run_out "$MKDISTRO" clean --arch vax
check "clean --arch vax is refused" [ $status -eq 2 ]

# The architecture list and the packages each needs.
run_out "$MKDISTRO" arches
check "arches exits 0" [ $status -eq 0 ]
for a in x86_64 i686 aarch64 arm riscv64 ppc64le s390x mipsel; do
	check "arches lists $a" sh -c 'printf "%s\n" "$1" | grep -q "^$2 "' - "$out" $a
done
run_out "$MKDISTRO" packages --arch riscv64
expect_eq "packages --arch riscv64" "gcc-riscv64-linux-gnu qemu-system-misc opensbi" "$out"
run_out "$MKDISTRO" packages --arch all
check "packages --arch all names every cross compiler" \
	sh -c 'printf "%s" "$1" | grep -q "gcc-s390x-linux-gnu" && printf "%s" "$1" | grep -q "gcc-mipsel-linux-gnu"' - "$out"

# init writes the built-in defaults, also when run inside another system
# directory (whose mkdistro.conf is not the default).
d=$(tmpdir)
printf '[system]\nhostname = elsewhere\n[qemu]\nmemory = 512\n' > "$d/mkdistro.conf"
(cd "$d" && "$MKDISTRO" init new > init.log 2>&1)
check "init inside a system directory exits 0" [ $? -eq 0 ]
check "init there writes the default hostname, not the directory's" \
	grep -qx "hostname = mkdistro" "$d/new/mkdistro.conf"
check "init there writes the default memory, not the directory's" \
	grep -qx "memory = 128" "$d/new/mkdistro.conf"

# bisect-run tells git 0, 1 or 125 only: its usage errors skip (125), and
# nothing is made for a directory that is no kernel tree.
d=$(tmpdir)
run_out sh -c 'cd "$1" && XDG_CACHE_HOME="$1/cache" "$2" bisect-run' - "$d" "$MKDISTRO"
expect_eq "bisect-run outside a kernel tree: 125" 125 "$status"
check "... naming the directory" sh -c 'printf "%s" "$1" | grep -q "linux source .$2. is not a kernel source tree"' - "$out" "$d"
check "... and no system directory was made for it" [ ! -e "$d/cache/mkdistro/bisect" ]
run_out "$MKDISTRO" bisect-run --no-such-option
expect_eq "bisect-run with an unknown option: 125" 125 "$status"
run_out "$MKDISTRO" bisect-run --repeat 0
expect_eq "bisect-run --repeat 0: 125" 125 "$status"
check "... naming the option" sh -c 'printf "%s" "$1" | grep -q "repeat .0.: expected a number of boots from 1 to 1000"' - "$out"
run_out "$MKDISTRO" build --bad-on panic
expect_eq "--bad-on with build: 2" 2 "$status"
check "... saying whose option it is" sh -c 'printf "%s" "$1" | grep -q "belong to .mkdistro bisect-run."' - "$out"
run_out "$MKDISTRO" bisect-run -c true --test "$d"
expect_eq "bisect-run with -c and --test: 125" 125 "$status"
run_out "$MKDISTRO" bisect-run --check HEAD~1
expect_eq "bisect-run --check with one commit: 125" 125 "$status"
check "... asking for both ends" sh -c 'printf "%s" "$1" | grep -q -- "--check needs two commits: --check GOOD BAD"' - "$out"
run_out "$MKDISTRO" build --check
expect_eq "--check with build: 2" 2 "$status"
