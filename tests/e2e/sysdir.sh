# A system of one's own: mkdistro init, menuconfig written back as a
# fragment, mkdistro config, mkdistro cc and env. Uses the system built by
# boot.sh as its build directory (with -f), so nothing big is rebuilt.
. "$(dirname "$0")/lib.sh"

w=${MKDISTRO_E2E_WORK:-$(tmpdir)}
cd "$w" || exit 1
d=$(tmpdir)/mysys

"$MKDISTRO" init "$d" > init.log 2>&1
check "init creates a system directory" [ $? -eq 0 ]
for f in mkdistro.conf kernel.fragment busybox.fragment .gitignore; do
	check "init wrote $f" [ -f "$d/$f" ]
done
check "init made overlay/ and programs/" sh -c '[ -d "$1/overlay" ] && [ -d "$1/programs" ]' - "$d"
check "the config explains every key" grep -q "^# PID 1" "$d/mkdistro.conf"
check "the config names the fragments" grep -qx "fragment = kernel.fragment" "$d/mkdistro.conf"
echo "# mine" >> "$d/mkdistro.conf"
"$MKDISTRO" init "$d" > init2.log 2>&1
check "init refuses to overwrite" [ $? -ne 0 ]
check "init left the existing file alone" grep -qx "# mine" "$d/mkdistro.conf"

# The new system is the seed system: everything is up to date here.
"$MKDISTRO" -f "$d/mkdistro.conf" build > sys-build.log 2>&1
check "build of the new system succeeds" [ $? -eq 0 ]
check "it is the seed system (no step ran)" sh -c '! grep -q " done in " sys-build.log'
out=$("$MKDISTRO" -f "$d/mkdistro.conf" run -c 'uname -r' 2>/dev/null)
expect_eq "run -c in the new system" "6.1.176" "$out"

# mkdistro cc: a program built by hand for the system runs in it.
mkdir -p "$d/overlay/usr/bin"
printf '#include <stdio.h>\nint main(void) { puts("built with mkdistro cc"); return 7; }\n' > "$d/hand.c"
"$MKDISTRO" -f "$d/mkdistro.conf" cc -O2 -o "$d/overlay/usr/bin/hand" "$d/hand.c" > cc.log 2>&1
check "mkdistro cc compiles" [ $? -eq 0 ]
check "its output is a static ELF" sh -c 'readelf -h "$1" > /dev/null && ! readelf -l "$1" | grep -q -e INTERP -e DYNAMIC' - "$d/overlay/usr/bin/hand"
out=$("$MKDISTRO" -f "$d/mkdistro.conf" run -c 'hand' 2>/dev/null)
status=$?
expect_eq "the program runs in the guest" "built with mkdistro cc" "$out"
expect_eq "with its exit status" 7 $status

# mkdistro env: for other build systems.
env_text=$("$MKDISTRO" -f "$d/mkdistro.conf" env 2>/dev/null)
check "env prints CC, CFLAGS, LDFLAGS and SYSROOT" sh -c 'eval "$1" && [ -x "$CC" ] && [ -n "$LDFLAGS" ] && [ -d "$SYSROOT" ]' - "$env_text"
check "CC from env builds a static program" sh -c 'eval "$1" && $CC $CFLAGS $LDFLAGS -o "$2/envbuilt" "$2/hand.c" && ! readelf -l "$2/envbuilt" | grep -q -e INTERP -e DYNAMIC' - "$env_text" "$d"

# menuconfig round trip, typed into BusyBox's menuconfig: Settings,
# exclude its first option (DESKTOP), leave, save.
"$MKDISTRO" -f "$d/mkdistro.conf" config busybox > config-before.txt 2>&1
python3 "$ROOT/tests/e2e/pty-keys.py" '\r' 'n' '\x1b\x1b' '\x1b\x1b' '\r' -- \
	"$MKDISTRO" -f "$d/mkdistro.conf" menuconfig busybox > menuconfig.log 2>&1
check "menuconfig busybox ends cleanly" [ $? -eq 0 ]
check "the change is in the fragment" grep -qx "# CONFIG_DESKTOP is not set" "$d/busybox.fragment"
check "the fragment is sorted" sh -c 'grep "CONFIG_" "$1" | sed "s/^# //" | sort -c' - "$d/busybox.fragment"
check "the fragment holds only changed symbols" sh -c '[ $(grep -c "CONFIG_" "$1") -lt 30 ]' - "$d/busybox.fragment"
"$MKDISTRO" -f "$d/mkdistro.conf" config busybox > config-after.txt 2>&1
check "config busybox shows the fragment in effect" grep -qx "# CONFIG_DESKTOP is not set" config-after.txt

# Quitting without saving changes nothing.
cp "$d/busybox.fragment" frag.before
python3 "$ROOT/tests/e2e/pty-keys.py" '\x1b\x1b' '\x1b\x1b' -- \
	"$MKDISTRO" -f "$d/mkdistro.conf" menuconfig busybox > menuconfig2.log 2>&1
check "quitting menuconfig without saving leaves the fragment alone" cmp -s frag.before "$d/busybox.fragment"
