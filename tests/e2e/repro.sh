# Reproducible to the byte: two clean builds in different directories, at
# different times, as different users, with different umask, locale and
# time zone, give the same vmlinuz and initrd.img. The second build runs as
# an unprivileged user (when the test runs as root), which also shows that
# building needs no root.
#
# Under tests/run.sh the system compared is the second architecture that
# arch.sh built (MKDISTRO_CHECK_ARCH, a cross build), which keeps make check
# at one full build per architecture plus this one; alone it is x86_64.
. "$(dirname "$0")/lib.sh"

cache=${XDG_CACHE_HOME:-$HOME/.cache}/mkdistro/sources
"$MKDISTRO" fetch > /dev/null 2>&1 || { not_ok "sources available"; exit 1; }

# The first build: the one arch.sh or boot.sh built (as the test's user,
# umask 022), when the runner shares it; else one of our own.
arch=x86_64
out=out
if [ -n "${MKDISTRO_E2E_WORK:-}" ] && [ -n "${MKDISTRO_CHECK_ARCH:-}" ] &&
   [ -d "$MKDISTRO_E2E_WORK/build-$MKDISTRO_CHECK_ARCH" ]; then
	a=$MKDISTRO_E2E_WORK
	arch=$MKDISTRO_CHECK_ARCH
	out=out-$arch
elif [ -n "${MKDISTRO_E2E_WORK:-}" ] && [ -d "$MKDISTRO_E2E_WORK/build" ]; then
	a=$MKDISTRO_E2E_WORK
else
	a=$(tmpdir)
fi
# arch.sh built it with its configuration (lib.sh's write_links_conf):
# both builds take it, in their own directories.
links=""
if [ "$arch" != x86_64 ] && [ -f "$a/links.conf" ]; then
	links=yes
fi
md_in() {
	if [ -n "$links" ]; then "$MKDISTRO" -f links.conf "$@"; else "$MKDISTRO" "$@"; fi
}
(cd "$a" && umask 022 && LC_ALL=C TZ=UTC md_in build --arch "$arch" > repro-build.log 2>&1)
check "first build succeeds" [ $? -eq 0 ] || tail -30 "$a/repro-build.log"

b=$(tmpdir)/second-build-dir
mkdir -p "$b/cache/mkdistro/sources"
cp "$cache"/*.tar.* "$b/cache/mkdistro/sources/"
[ -n "$links" ] && write_links_conf "$b/links.conf"
if [ "$(id -u)" -eq 0 ]; then
	chown -R 65534:65534 "$b"
	chmod 755 "$(dirname "$b")" "$TEST_TMP"
	as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
	who="uid 65534"
else
	as_user=""
	who="$(id -un)"
fi
(cd "$b" && umask 077 && env HOME="$b" XDG_CACHE_HOME="$b/cache" LC_ALL=C.UTF-8 LANG=de_DE.UTF-8 \
	TZ=Pacific/Auckland $as_user sh -c 'if [ -f links.conf ]; then exec "$1" -f links.conf build --arch "$2"; else exec "$1" build --arch "$2"; fi' sh "$MKDISTRO" "$arch" > build.log 2>&1)
status=$?
check "second $arch build ($who, umask 077, other locale and zone) succeeds" [ $status -eq 0 ]
[ $status -eq 0 ] || tail -30 "$b/build.log"

for f in vmlinuz initrd.img; do
	ha=$(sha256sum < "$a/$out/$f")
	hb=$(sha256sum < "$b/$out/$f")
	expect_eq "$arch $f is identical in both builds" "$ha" "$hb"
done

# A share booted by that user: what the guest writes, and chowns, is the
# user's on the host (QEMU runs as the user; the guest's chown is dropped).
if [ -n "$links" ] && [ $status -eq 0 ]; then
	s=$b/share
	mkdir -p "$s"
	[ "$(id -u)" -eq 0 ] && chown 65534:65534 "$s"
	owner=$(stat -c %u:%g "$b")
	(cd "$b" && env HOME="$b" XDG_CACHE_HOME="$b/cache" $as_user "$MKDISTRO" -f links.conf run --arch "$arch" \
		--share "$s" -c 'echo hi > /mnt/share/f && mkdir /mnt/share/d && { chown 0:0 /mnt/share/f /mnt/share/d 2> /dev/null; true; }' \
		> share.log 2>&1)
	check "run --share as $who exits 0" [ $? -eq 0 ] || tail -20 "$b/share.log"
	expect_eq "what the guest wrote and chowned to root is $who's" "$owner $owner" \
		"$(stat -c %u:%g "$s/f" "$s/d" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
fi
