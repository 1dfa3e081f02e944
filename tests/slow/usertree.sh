# Your kernel tree (--linux): a git repository made from the catalog's
# kernel tree (a copy: the shared tree in the cache stays pristine) is
# built out of tree and booted; a one-line change to a .c file shows in the
# guest after a rebuild that compiles that file only; the tree is never
# written to; a tree configured in place is refused before anything builds.
. "$(dirname "$0")/../e2e/lib.sh"

# The built system is used as it is: musl and BusyBox stay as they are
# (its kernel is built from the tree instead of the catalog's, so this
# test runs after the others that share it). A copy of it would not do:
# its toolchain names the system's path, so musl's users would be built
# again in the copy.
use_built_system
tree=$(tmpdir)/linux
logs=$(tmpdir)
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
"$MKDISTRO" -v run --linux "$tree" -c 'uname -r' > "$logs/first.log" 2>&1
status=$?
check "run --linux builds the tree and boots it" [ $status -eq 0 ]
[ $status -eq 0 ] || grep -v "^[a-z:]*| " "$logs/first.log" | tail -40
# kbuild marks a kernel built from a git tree that is not at a tag with "+".
check "the guest runs the tree's kernel" grep -qx "6.1.176+" "$logs/first.log"
check "the tree is still the user's directory, not a link" sh -c '[ -d "$1" ] && [ ! -L "$1" ]' - "$tree"
check "the build wrote nothing into the tree (git status --ignored is empty)" untouched
check "musl and BusyBox were not rebuilt for the tree" sh -c 'grep -q "\] musl: up to date" "$1" && grep -q "\] busybox: up to date" "$1"' - "$logs/first.log"
check "the manifest names the tree" grep -qx "tree $tree" out/manifest.txt
check "the manifest has make kernelversion" grep -qx "kernelversion 6.1.176" out/manifest.txt
check "the manifest has the commit" grep -qx "commit $commit" out/manifest.txt
check "the manifest says clean" grep -qx "dirty no" out/manifest.txt
run_out "$MKDISTRO" status --linux "$tree"
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
run_out "$MKDISTRO" status --linux "$tree"
check "status: the kernel is stale after the edit" sh -c 'printf "%s" "$1" | grep -q "^kernel .*stale: linux tree files changed"' - "$out"
check "status: the configuration is not" sh -c 'printf "%s" "$1" | grep -q "^kconfig .*up to date"' - "$out"
check "status says the tree is dirty now" sh -c 'printf "%s" "$1" | grep -q "now git commit $2, dirty"' - "$out" "$short"
"$MKDISTRO" -v run --linux "$tree" -c 'dmesg | grep mkdistro-e2e' > "$logs/second.log" 2>&1
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
