# Make it yours: an overlay, special entries from a list, programs from
# programs/, all visible in the booted guest. Uses the system built by
# boot.sh (only the root filesystem steps rerun) and restores it after.
. "$(dirname "$0")/lib.sh"

w=${MKDISTRO_E2E_WORK:-$(tmpdir)}
cd "$w" || exit 1
sys=$(tmpdir)
mkdir -p "$sys/overlay/etc" "$sys/programs/multi"
echo "welcome to the custom system" > "$sys/overlay/etc/motd"
printf '#!/bin/sh\necho overlay-script-ran\n' > "$sys/overlay/usr-local-tool"
chmod 755 "$sys/overlay/usr-local-tool"
ln -s /etc/motd "$sys/overlay/motd-link"
cat > "$sys/programs/hello.c" <<'C'
#include <stdio.h>
int main(void) { puts("hello from programs/"); return 0; }
C
cat > "$sys/programs/multi/main.c" <<'C'
#include <stdio.h>
int twice(int);
int main(void) { printf("multi %d\n", twice(21)); return 0; }
C
echo 'int twice(int x) { return 2 * x; }' > "$sys/programs/multi/twice.c"
cat > "$sys/entries.txt" <<'L'
# entries that need root on the host
nod /root/mynull 0666 0 0 c 1 3
dir /srv 0750 1000 100
pipe /srv/fifo 0620 1000 100
L
cat > "$sys/mkdistro.conf" <<'C'
[system]
hostname = custom
[initramfs]
overlay = overlay
entries = entries.txt
C

"$MKDISTRO" -f "$sys/mkdistro.conf" build > custom-build.log 2>&1
status=$?
check "build with overlay, entries and programs succeeds" [ $status -eq 0 ]
[ $status -eq 0 ] || tail -30 custom-build.log
check "the kernel was not rebuilt for it" sh -c '! grep -q "^kernel done" custom-build.log'

out=$("$MKDISTRO" -f "$sys/mkdistro.conf" run -c 'hostname; cat /etc/motd; /usr-local-tool; cat /motd-link
hello; multi
stat -c "%F %t,%T %a" /root/mynull; echo x > /root/mynull && echo null-ok
stat -c "%F %a %u %g" /srv /srv/fifo' 2>custom-run.err)
expect_eq "overlay, entries and programs in the guest" "custom
welcome to the custom system
overlay-script-ran
welcome to the custom system
hello from programs/
multi 42
character special file 1,3 666
null-ok
directory 750 1000 100
fifo 620 1000 100" "$out"

# A program that does not compile fails the build with the compiler's message.
echo 'int main(void) { return undeclared_thing; }' > "$sys/programs/broken.c"
"$MKDISTRO" -f "$sys/mkdistro.conf" build > broken.log 2>&1
check "a compile error fails the build" [ $? -ne 0 ]
check "the compiler's message is shown" grep -q "undeclared_thing" broken.log
rm "$sys/programs/broken.c"

# A bad line in the entries list: file:line: message, before any work.
echo "nod /dev/x 0600 0 0 q 1 1" >> "$sys/entries.txt"
"$MKDISTRO" -f "$sys/mkdistro.conf" build > badlist.log 2>&1
check "a bad entries line fails the build" [ $? -ne 0 ]
check "the bad line is named as file:line" grep -q "entries.txt:5: device type must be c or b" badlist.log

# Back to the seed system for the scripts after this one.
"$MKDISTRO" build > restore.log 2>&1
check "the seed system builds again" [ $? -eq 0 ]
