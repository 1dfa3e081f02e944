# A second architecture beside x86_64 (make check: MKDISTRO_CHECK_ARCH,
# default aarch64): a cross build in the same directory as the x86_64
# system, sharing its source cache, then real boots under QEMU's TCG. It
# is built with shares and the network ([system] share = yes, net = yes:
# the default system has neither, and is built for every architecture by
# make check-arches), which lib.sh's check_links boots with.
. "$(dirname "$0")/lib.sh"

a=${MKDISTRO_CHECK_ARCH:-aarch64}
w=${MKDISTRO_E2E_WORK:-$(tmpdir)}
cd "$w" || exit 1
c=$(tmpdir)
conf=$w/links.conf
write_links_conf "$conf"
# mkdistro for the system: "its build", "its run -c true".
its() {
	cmd=$1
	shift
	"$MKDISTRO" -f "$conf" "$cmd" --arch "$a" "$@"
}

# What the user can learn before building.
run_out "$MKDISTRO" arches
check "arches lists $a" sh -c "printf '%s\n' \"\$1\" | grep -q '^$a '" sh "$out"
run_out "$MKDISTRO" build --arch pdp11
check "an unknown --arch is refused" [ $status -eq 2 ]
check "the refusal names the known architectures" sh -c 'case "$1" in *"unknown architecture; known: x86_64, "*"$2"*) ;; *) exit 1;; esac' sh "$out" "$a"
printf '[system]\narch = pdp11\n' > bad-arch.conf
run_out "$MKDISTRO" -f bad-arch.conf build
check "an unknown arch in the configuration is refused with its line" sh -c 'case "$1" in *"bad-arch.conf:2: unknown arch '"'"'pdp11'"'"'"*) ;; *) exit 1;; esac' sh "$out"
run_out "$MKDISTRO" packages --arch "$a"
check "packages names the cross compiler" sh -c 'case "$1" in *"gcc-'"$a"'-linux-gnu"*|*gcc-*-linux-gnu*) ;; *) exit 1;; esac' sh "$out"

x86_before=""
[ -f out/vmlinuz ] && x86_before=$(sha256sum < out/vmlinuz)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/mkdistro/sources
"$MKDISTRO" fetch > /dev/null 2>&1
cache_before=$(ls -l "$cache" 2>&1)

its build > "build-$a.log" 2>&1
status=$?
check "mkdistro build --arch $a succeeds" [ $status -eq 0 ]
[ $status -eq 0 ] || { tail -40 "build-$a.log"; exit 1; }
check "its kernel is in out-$a/" [ -s "out-$a/vmlinuz" ]
check "its initramfs is in out-$a/" [ -s "out-$a/initrd.img" ]
check "its steps are in build-$a/" [ -d "build-$a/stamps" ]
expect_eq "the sources came from the shared cache (nothing fetched)" "$cache_before" "$(ls -l "$cache" 2>&1)"
trees=$(dirname "$cache")/trees
check "build-$a/src/linux links to the shared kernel tree" sh -c 'case "$(readlink "$1")" in "$2"/linux-*) [ -f "$1/Makefile" ];; *) exit 1;; esac' sh "build-$a/src/linux" "$trees"
if [ -n "$x86_before" ]; then
	expect_eq "the x86_64 build uses the same kernel tree" "$(readlink build/src/linux)" "$(readlink "build-$a/src/linux")"
	check "the $a build did not unpack the kernel again" grep -q "is shared" "build-$a/logs/source-linux.log"
	expect_eq "the x86_64 system beside it is untouched" "$x86_before" "$(sha256sum < out/vmlinuz)"
	"$MKDISTRO" status > status-x86.log 2>&1
	check "the x86_64 build is still up to date" [ $? -eq 0 ]
fi
its status > "status-$a.log" 2>&1
check "the $a build is up to date" [ $? -eq 0 ]
run_out "$MKDISTRO" arches
check "arches shows out-$a as built" sh -c "printf '%s\n' \"\$1\" | grep -q '^$a .* out-$a '" sh "$out"

# Its programs are for that machine: check passes, the boot works.
its check > "check-$a.log" 2>&1
check "mkdistro check --arch $a finds nothing" [ $? -eq 0 ]
case $a in
arm) want=armv7l ;; i686) want=i686 ;; mipsel) want=mips ;; *) want=$a ;;
esac
out=$(its run --time -c 'uname -m' 2>"run-$a.err")
status=$?
expect_eq "run --arch $a -c 'uname -m' prints $want" "$want" "$out"
expect_eq "run --arch $a exits with the command's status" 0 $status
check "the shell prompt was reached" grep -q 'shell prompt [0-9.]* s' "run-$a.err"
[ $status -eq 0 ] || cat "run-$a.err"
its test > "test-$a.log" 2>&1
status=$?
check "mkdistro test --arch $a passes the guest suite" [ $status -eq 0 ]
[ $status -eq 0 ] || tail -20 "test-$a.log"

# The guest's status comes back from another architecture too.
its run -c 'exit 7' > /dev/null 2>&1
expect_eq "run --arch $a -c 'exit 7' exits 7" 7 $?

# Shares and the network on it.
check_links "$a" its
