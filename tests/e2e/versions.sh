# Versions the catalog does not pin: from Debian's real archive through
# mkdistro's own apt state (a fresh one: its own cache), and from a real
# HTTP server on 127.0.0.1 with the sha256 given; a wrong hash, a
# truncated file and an unknown version refused with nothing cached; the
# machine's /etc/apt byte for byte as it was; the same as an unprivileged
# user. Only musl (1 MB) is fetched.
. "$(dirname "$0")/lib.sh"

c=$(tmpdir)
cd "$c" || exit 1
export XDG_CACHE_HOME="$c/xdg"
cache="$XDG_CACHE_HOME/mkdistro/sources"
etc_apt() { (cd /etc/apt && find . -type f -exec sha256sum {} + | sort); }
etc_before=$(etc_apt)

# Debian's archive: musl 1.2.5 (trixie), pinned from its verified .dsc.
printf '[musl]\nversion = 1.2.5\n' > musl.conf
run_out "$MKDISTRO" -f musl.conf fetch musl
expect_eq "fetch musl 1.2.5, a version the catalog does not pin" 0 "$status"
[ "$status" -eq 0 ] || printf '%s\n' "$out"
check "it came from Debian's archive, verified by apt" sh -c 'printf "%s" "$1" | grep -q "musl 1.2.5 from Debian.s archive (source package musl=1.2.5-.*), verified by apt"' - "$out"
pin=$(cat "$cache/.pins/musl-1.2.5" 2>/dev/null)
check "its pin is recorded: version, Debian version, file, sha256, size, suite" sh -c 'printf "%s" "$1" | grep -Eq "^1\.2\.5 1\.2\.5-[^ ]+ musl_1\.2\.5\.orig\.tar\.gz [0-9a-f]{64} [0-9]+ [a-z-]+/main$"' - "$pin"
sum=$(printf '%s' "$pin" | cut -d' ' -f4)
expect_eq "the cached tarball has the pinned sha256" "$sum" "$(sha256sum < "$cache/musl_1.2.5.orig.tar.gz" | cut -d' ' -f1)"
check "the apt state is mkdistro's own, with the machine's mirror" grep -q '^deb-src .* trixie main' "$XDG_CACHE_HOME/mkdistro/apt/sources.list"
run_out "$MKDISTRO" -f musl.conf versions musl --offline
check "versions lists it as in use, pinned here, cached" sh -c 'printf "%s" "$1" | grep -Eq "^musl +1\.2\.5 +Debian 1\.2\.5-.* in use, pinned here, cached$"' - "$out"
run_out "$MKDISTRO" -f musl.conf fetch musl --offline
expect_eq "offline, the pin is enough" 0 "$status"
run_out "$MKDISTRO" versions musl
check "versions asks the archive: 1.2.3 and 1.2.5 with their suites" sh -c 'printf "%s" "$1" | grep -q "^musl *1.2.3 *the catalog.s (default)" && printf "%s" "$1" | grep -Eq "^musl +1\.2\.5 +Debian 1\.2\.5-[^ ]+ \(trixie/main\)"' - "$out"

# An unknown version: the error names it and what there is; nothing cached.
printf '[busybox]\nversion = 9.9.9\n' > unknown.conf
ls -a "$cache" > "$c/cache.before"
run_out "$MKDISTRO" -f unknown.conf fetch busybox
expect_eq "an unknown version fails" 1 "$status"
check "... naming it, what the archive offers and the fix" sh -c 'printf "%s" "$1" | grep -q "unknown busybox version .9\.9\.9.: the catalog pins 1\.35\.0; Debian.s archive offers .*1\.37\.0 (1:1\.37\.0-[^,]*, trixie/main).*give the tarball.s sha256 and url under \[busybox\]"' - "$out"
check "... and caches nothing" sh -c 'ls -a "$1" | cmp -s - "$2"' - "$cache" "$c/cache.before"

# A real HTTP server on 127.0.0.1 with the tarball, and a truncated copy.
mkdir -p www
cp "$cache/musl_1.2.5.orig.tar.gz" www/musl-1.2.5.tar.gz
head -c 50000 www/musl-1.2.5.tar.gz > www/short.tar.gz
port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory www "$port" > httpd.log 2>&1 &
hpid=$!
for i in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
export XDG_CACHE_HOME="$c/xdg2"
cache2="$XDG_CACHE_HOME/mkdistro/sources"
url_conf() { printf '[musl]\nversion = %s\nsha256 = %s\nurl = http://127.0.0.1:%s/%s\n' "$1" "$2" "$port" "$3" > "$4"; }
url_conf 1.2.5 "$sum" musl-1.2.5.tar.gz url.conf
run_out "$MKDISTRO" -f url.conf fetch musl
expect_eq "fetch with [musl] sha256 and url from 127.0.0.1" 0 "$status"
good=$(printf %.12s "$sum")-musl-1.2.5.tar.gz
check "the file is cached under its hash and the URL's name, its hash the given one" sh -c '[ "$(sha256sum < "$1/$3" | cut -d" " -f1)" = "$2" ]' - "$cache2" "$sum" "$good"
check "no apt state was needed for it" [ ! -e "$XDG_CACHE_HOME/mkdistro/apt" ]
url_conf 1.2.5.1 0000000000000000000000000000000000000000000000000000000000000000 musl-1.2.5.tar.gz wrong.conf
run_out "$MKDISTRO" -f wrong.conf fetch musl
expect_eq "a wrong hash fails" 1 "$status"
check "... naming the version, the mismatch and both hashes" sh -c 'printf "%s" "$1" | grep -q "fetch .musl 1\.2\.5\.1." && printf "%s" "$1" | grep -q "sha256 mismatch" && printf "%s" "$1" | grep -q "$2"' - "$out" "$sum"
url_conf 1.2.5.2 "$sum" short.tar.gz short.conf
run_out "$MKDISTRO" -f short.conf fetch musl
expect_eq "a truncated file fails" 1 "$status"
check "... naming the version and the file" sh -c 'printf "%s" "$1" | grep -q "fetch .musl 1\.2\.5\.2." && printf "%s" "$1" | grep -q "short.tar.gz"' - "$out"
check "neither is cached, and the good file stays" sh -c '[ "$(ls "$1")" = "$2" ]' - "$cache2" "$good"
printf '[musl]\nversion = 1.2.6\nurl = http://127.0.0.1:%s/x.tar.gz\n' "$port" > nosum.conf
run_out "$MKDISTRO" -f nosum.conf fetch musl
check "a url without a sha256 is refused, naming the fix" sh -c 'printf "%s" "$1" | grep -q "needs the file.s sha256: add sha256 = HEX under \[musl\]"' - "$out"
kill $hpid
wait $hpid 2> /dev/null

# An unprivileged user: its own cache and apt state, no root.
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null; then
	u=$(tmpdir)
	cp musl.conf "$u/"
	chown -R 65534:65534 "$u"
	chmod 755 "$TEST_TMP"
	run_out setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$u" XDG_CACHE_HOME= \
		sh -c 'cd "$1" && "$2" -f musl.conf fetch musl' - "$u" "$MKDISTRO"
	expect_eq "as uid 65534: fetch musl 1.2.5 from the archive" 0 "$status"
	[ "$status" -eq 0 ] || printf '%s\n' "$out"
	check "... into that user's own cache" sh -c '[ "$(stat -c %u "$1/.cache/mkdistro/sources/musl_1.2.5.orig.tar.gz")" = 65534 ]' - "$u"
else
	echo "ok - as an unprivileged user # SKIP: not root here (this run is one)"
fi

expect_eq "the machine's /etc/apt is byte for byte as it was" "$etc_before" "$(etc_apt)"
