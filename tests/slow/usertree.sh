# Your kernel tree (--linux): a git repository made from the catalog's
# kernel tree (a copy: the shared tree in the cache stays pristine) is
# built out of tree and booted; a one-line change to a .c file shows in the
# guest after a rebuild that compiles that file only; the tree is never
# written to; a tree configured in place is refused before anything builds.
# The tree's kernel has modules (CONFIG_MODULES=y, crc-itu-t as a module):
# they are installed into the initramfs and load in the guest, and one
# copied in through a share loads too. The system has shares and the
# network: lib.sh's check_links boots x86_64 with them here.
. "$(dirname "$0")/../e2e/lib.sh"

# The built system is used as it is: musl and BusyBox stay as they are
# (its kernel is built from the tree instead of the catalog's, so this
# test runs after the others that share it). A copy of it would not do:
# its toolchain names the system's path, so musl's users would be built
# again in the copy.
use_built_system
tree=$(tmpdir)/linux
logs=$(tmpdir)
# The tree, a fragment with a module, in a description of their own (the
# shared system's directory has none: its build directory is used).
conf=$logs/tree.conf
printf 'CONFIG_MODULES=y\nCONFIG_MODULE_UNLOAD=y\nCONFIG_CRC_ITU_T=m\n' > "$logs/modules.fragment"
# Shares and the network too: what a kernel developer boots with (and
# x86_64's boots of lib.sh's check_links, on a kernel built here anyway).
printf '[system]\nshare = yes\nnet = yes\n[linux]\nsource = %s\nfragment = modules.fragment\n' "$tree" > "$conf"
md() {
	"$MKDISTRO" -f "$conf" "$@"
}
cp -a "$(readlink -f "$w/build/src/linux")/." "$tree/"
git -C "$tree" init -q &&
	git -C "$tree" add -A &&
	git -C "$tree" -c user.name=mkdistro -c user.email=test@localhost commit -qm "the catalog's 6.1 tree"
check "the test's kernel tree is a git repository" [ $? -eq 0 ]
commit=$(git -C "$tree" rev-parse HEAD)

# What git sees of the tree, ignored files included (the kernel's own
# .gitignore'd dot files are there from the start): mkdistro must not
# change it.
before=$(git -C "$tree" status --porcelain --ignored)
untouched() {
	[ "$(git -C "$tree" status --porcelain --ignored)" = "$before" ]
}

# Configured in place: refused before any step runs, with the fix.
: > "$tree/.config"
run_out "$MKDISTRO" build --linux "$tree"
check "a tree with a .config is refused" [ $status -ne 0 ]
check "the refusal names .config and mrproper" sh -c 'printf "%s" "$1" | grep -q "configured or built in place (it has .config).*mrproper"' - "$out"
check "nothing was built for it" sh -c '[ ! -e build/linux/.mkdistro-source ] || ! grep -q "$1" build/linux/.mkdistro-source' - "$tree"
rm -f "$tree/.config"
check "the tree is clean again" untouched

# The first build of the tree, with the rest of the system.
# (grep -c exits 1 when it counts 0: the count is what is checked.)
md -v run -c 'uname -r; modprobe crc-itu-t && lsmod && rmmod crc_itu_t && echo removed; lsmod | grep -c crc_itu_t || true' > "$logs/first.log" 2>&1
status=$?
check "run with [linux] source builds the tree and boots it" [ $status -eq 0 ]
[ $status -eq 0 ] || grep -v "^[a-z:]*| " "$logs/first.log" | tail -40
# kbuild marks a kernel built from a git tree that is not at a tag with "+".
check "the guest runs the tree's kernel" grep -qx "6.1.176+" "$logs/first.log"
check "the tree is still the user's directory, not a link" sh -c '[ -d "$1" ] && [ ! -L "$1" ]' - "$tree"
check "the build wrote nothing into the tree (git status --ignored is empty)" untouched
check "musl and BusyBox were not rebuilt for the tree" sh -c 'grep -q "\] musl: up to date" "$1" && grep -q "\] busybox: up to date" "$1"' - "$logs/first.log"
# Its modules.
rel=$(cat build/linux/include/config/kernel.release)
mods=lib/modules/$rel
check "the module is installed, stripped" sh -c '[ -f "$1/kernel/lib/crc-itu-t.ko" ] && ! readelf -S "$1/kernel/lib/crc-itu-t.ko" | grep -q "\.debug_"' - "build/modules/$mods"
check "modules.dep names it" grep -qx 'kernel/lib/crc-itu-t.ko:' "build/modules/$mods/modules.dep"
check "no links to the build machine's trees" sh -c '[ ! -e "$1/build" ] && [ ! -e "$1/source" ]' - "build/modules/$mods"
list_initrd . > "$logs/initrd.txt"
check "the module is in out/initrd.img" grep -qx "$mods/kernel/lib/crc-itu-t.ko" "$logs/initrd.txt"
check "and so is /init" grep -qx init "$logs/initrd.txt"
check "modprobe crc-itu-t && lsmod in the guest: its name shows" grep -q "^crc_itu_t " "$logs/first.log"
check "rmmod removes it" sh -c 'sed -n "/^removed\$/{n;p;}" "$1" | grep -qx 0' - "$logs/first.log"
run_out md check
check "mkdistro check passes" [ "$status" -eq 0 ]
# A module copied in through a share, no initramfs rebuilt: insmod loads it.
kos=$(tmpdir)
cp "build/modules/$mods/kernel/lib/crc-itu-t.ko" "$kos/"
out=$(md run --share "$kos:/mnt/ko:ro" -c 'insmod /mnt/ko/crc-itu-t.ko && grep -c "^crc_itu_t " /proc/modules' 2> "$logs/insmod.err")
expect_eq "a module shared from the host loads with insmod" 1 "$out"
c=$logs
check_links x86_64-tree md
check "the manifest names the tree" grep -qx "tree $tree" out/manifest.txt
check "the manifest has make kernelversion" grep -qx "kernelversion 6.1.176" out/manifest.txt
check "the manifest has the commit" grep -qx "commit $commit" out/manifest.txt
check "the manifest says clean" grep -qx "dirty no" out/manifest.txt
run_out md status
check "status: up to date after the build" [ $status -eq 0 ]
short=$(printf '%.12s' "$commit")
check "status says what the tree is and what the kernel was built from" sh -c 'printf "%s" "$1" | grep -q "now git commit $2, clean; the kernel was built from git commit $2, clean"' - "$out" "$short"

# One line in one .c file.
cat >> "$tree/init/main.c" <<'EOF'

static int __init mkdistro_e2e_marker(void)
{
	pr_info("mkdistro-e2e: a line from the user's tree\n");
	return 0;
}
late_initcall(mkdistro_e2e_marker);
EOF
run_out md status
check "status: the kernel is stale after the edit" sh -c 'printf "%s" "$1" | grep -q "^kernel .*stale: linux tree files changed"' - "$out"
check "status: the configuration is not" sh -c 'printf "%s" "$1" | grep -q "^kconfig .*up to date"' - "$out"
check "status says the tree is dirty now" sh -c 'printf "%s" "$1" | grep -q "now git commit $2, dirty"' - "$out" "$short"
md -v run -c 'dmesg | grep mkdistro-e2e' > "$logs/second.log" 2>&1
status=$?
check "the rebuilt kernel boots" [ $status -eq 0 ]
[ $status -eq 0 ] || grep -v "^[a-z:]*| " "$logs/second.log" | tail -40
check "the guest's dmesg has the new line" grep -q "mkdistro-e2e: a line from the user's tree" "$logs/second.log"
# kbuild compiles the changed file and, as on every relink, the objects
# that embed the build number and time (init/version*.o, the boot code's
# version.o and misc.o); nothing else.
compiled=$(sed -n 's/^ *CC  *\([^ ]*\.o\)$/\1/p' build/logs/kernel.log |
	grep -v -e '^init/version.*\.o$' -e '^arch/[^/]*/boot/version\.o$' -e '^arch/[^/]*/boot/compressed/misc\.o$' |
	tr '\n' ' ')
expect_eq "only init/main.c was compiled again" "init/main.o " "$compiled"
check "the configuration was not redone" grep -q "kconfig: up to date" "$logs/second.log"
check "BusyBox was not rebuilt" grep -q "busybox: up to date" "$logs/second.log"
expect_eq "the tree holds only the edit" " M init/main.c" "$(git -C "$tree" status --porcelain)"
check "and no new file, ignored or not" sh -c '[ "$(git -C "$1" status --porcelain --ignored | grep -v "^ M init/main.c$")" = "$2" ]' - "$tree" "$before"
check "the manifest says dirty" grep -qx "dirty yes" out/manifest.txt

# Inside the tree, mkdistro would write build/ and out/ there: refused.
cd "$tree" || exit 1
run_out "$MKDISTRO" build --linux .
check "mkdistro refuses to run inside the tree" [ $status -ne 0 ]
check "and wrote nothing there" sh -c '[ ! -e "$1/build" ] && [ ! -e "$1/out" ]' - "$tree"

# --- git bisect run over the tree, with the README's recipe. The commits
# after the marker: c1 harmless, c2 and c3 do not build, c4 builds again,
# c5 makes the kernel panic (the marker's initcall panics), c6 after it.
# Each step rebuilds init/main.c only, in the shared system (--system).
git add init/main.c && git -c user.name=mkdistro -c user.email=test@localhost commit -qm "c0: a marker line in dmesg"
commit_as() {
	git -c user.name=mkdistro -c user.email=test@localhost commit -qam "$1" && git rev-parse HEAD
}
c0=$(git rev-parse HEAD)
echo '/* c1: a comment */' >> init/main.c
c1=$(commit_as "c1: harmless")
echo 'mkdistro_e2e_does_not_build' >> init/main.c
c2=$(commit_as "c2: does not build")
echo '/* c3: a comment */' >> init/main.c
c3=$(commit_as "c3: still does not build")
sed -i '/^mkdistro_e2e_does_not_build$/d' init/main.c
c4=$(commit_as "c4: builds again")
sed -i 's/pr_info("mkdistro-e2e: a line from the user.s tree\\n");/panic("mkdistro-e2e: the commit that panics");/' init/main.c
c5=$(commit_as "c5: panics")
echo '/* c6: a comment */' >> init/main.c
c6=$(commit_as "c6: after the panic")
check "the bisection's commits are made" sh -c 'grep -q "panic(\"mkdistro-e2e" init/main.c && [ $(git rev-list --count "$1..HEAD") -eq 6 ]' - "$c0"

bisect_run() {
	"$MKDISTRO" bisect-run --system "$w" -f "$conf" "$@"
}
guest_tests=$(tmpdir)
printf 'echo "a test that fails"\nexit 1\n' > "$guest_tests/fails.sh"

# Every exit status, provoked.
git checkout -q "$c4"
run_out bisect_run
expect_eq "bisect-run on a good commit: 0" 0 "$status"
check "... saying why, with the commit" sh -c 'printf "%s" "$1" | grep -q "bisect-run: git commit $2, clean, good: it builds and boots (exit 0)"' - "$out" "$(printf '%.12s' "$c4")"
run_out bisect_run -c 'uname -r | grep -q "^6\.1\.176"'
expect_eq "bisect-run -c CMD that succeeds: 0" 0 "$status"
run_out bisect_run -c 'exit 3'
expect_eq "bisect-run -c CMD that fails: 1" 1 "$status"
check "... naming the command's status" sh -c 'printf "%s" "$1" | grep -q "bad: the guest command exited 3"' - "$out"
run_out bisect_run --test "$guest_tests"
expect_eq "bisect-run --test DIR with a failing script: 1" 1 "$status"
check "... naming the scripts" sh -c 'printf "%s" "$1" | grep -q "^FAIL $2/fails.sh: exit status 1" && printf "%s" "$1" | grep -q "bad: 1 guest test script failed"' - "$out" "$guest_tests"
[ $status -eq 1 ] || printf '%s\n' "$out" | grep -v "^[a-z:]*| " | tail -20
run_out bisect_run --repeat 2
expect_eq "bisect-run --repeat 2 on a good commit: 0" 0 "$status"
check "... after two boots" sh -c 'printf "%s" "$1" | grep -q "boot 2 of 2: good"' - "$out"
run_out bisect_run --qemu-arg -mkdistro-no-such-option
expect_eq "QEMU that fails to start: 125 (the machine's failure)" 125 "$status"
check "... saying so" sh -c 'printf "%s" "$1" | grep -q "skip: QEMU failed to start"' - "$out"
run_out bisect_run --bad-on oops
expect_eq "a usage error: 125, not bad" 125 "$status"
check "... naming the word" sh -c 'printf "%s" "$1" | grep -q "not a way a boot fails"' - "$out"
run_out "$MKDISTRO" bisect-run --system "$w" -f "$logs/no-such.conf"
expect_eq "a missing -f FILE: 125" 125 "$status"
git checkout -q "$c2"
run_out bisect_run
expect_eq "bisect-run on a commit that does not build: 125" 125 "$status"
check "... saying so" sh -c 'printf "%s" "$1" | grep -q "skip: the commit does not build"' - "$out"
git checkout -q "$c5"
run_out bisect_run
expect_eq "bisect-run on the panicking commit: 1" 1 "$status"
check "... naming the panic" sh -c 'printf "%s" "$1" | grep -q "bad: the boot failed (panic)"' - "$out"
run_out bisect_run --bad-on init,stall
expect_eq "a panic --bad-on does not count: 125" 125 "$status"

# The bisection itself, as the README has it.
git checkout -q "$c6"
t0=$(date +%s)
git bisect start "$c6" "$c0" > "$logs/bisect.log" 2>&1 &&
	git bisect run "$MKDISTRO" bisect-run --system "$w" -f "$conf" >> "$logs/bisect.log" 2>&1
status=$?
t1=$(date +%s)
echo "# the bisection took $((t1 - t0)) s"
check "git bisect run ends" [ $status -eq 0 ]
check "it names the panicking commit as the first bad one" grep -q "^$c5 is the first bad commit" "$logs/bisect.log"
git bisect log > "$logs/bisect-steps.log"
sed 's/^/  | /' "$logs/bisect-steps.log" | grep '^  | git bisect'
check "it skipped a commit that does not build" sh -c 'grep -q "^git bisect skip \($2\|$3\)" "$1"' - "$logs/bisect-steps.log" "$c2" "$c3"
[ $status -eq 0 ] || grep -v "^[a-z:]*| " "$logs/bisect.log" | tail -40
git bisect reset > /dev/null

# --check GOOD BAD: both ends judged before a bisection, each built from a
# copy of the commit; the user's tree, its index and HEAD stay as they are.
git checkout -q "$c6"
# Both ends build cold (a copy of each commit): without shares and the
# network, which the checks above needed and these do not.
sed '/^share = \|^net = /d' "$conf" > "$logs/check.conf"
conf=$logs/check.conf
index_before=$(sha256sum < "$(git rev-parse --git-dir)/index")
head_before=$(git rev-parse HEAD)
status_before=$(git status --porcelain --ignored)
run_out bisect_run --check "$c0" "$c5"
expect_eq "bisect-run --check GOOD BAD with a good GOOD and a bad BAD: 0" 0 "$status"
check "... saying both" sh -c 'printf "%s" "$1" | grep -q "bisect-run --check: $2 is good and $3 is bad: ready for"' - "$out" "$c0" "$c5"
check "... having judged BAD by its panic" sh -c 'printf "%s" "$1" | grep -q "BAD $2 (.*): bad: the boot failed (panic)"' - "$out" "$c5"
[ $status -eq 0 ] || printf '%s\n' "$out" | grep -v "^[a-z:]*| " | tail -30
run_out bisect_run --check "$c5" "$c6"
expect_eq "bisect-run --check with a bad GOOD: 1" 1 "$status"
check "... naming the end that is wrong" sh -c 'printf "%s" "$1" | grep -q "GOOD $2 is bad, not good"' - "$out" "$c5"
run_out bisect_run --check no-such-commit "$c5"
expect_eq "bisect-run --check with a name that is no commit: 1" 1 "$status"
check "... naming it" sh -c 'printf "%s" "$1" | grep -q "no-such-commit. is not a commit of"' - "$out"
expect_eq "--check left HEAD as it was" "$head_before" "$(git rev-parse HEAD)"
expect_eq "--check left the tree's index as it was" "$index_before" "$(sha256sum < "$(git rev-parse --git-dir)/index")"
expect_eq "--check left the tree's files as they were" "$status_before" "$(git status --porcelain --ignored)"
