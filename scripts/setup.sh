#!/bin/sh
# Install the Debian packages mkdistro needs on the host, and enable Debian
# source entries (deb-src) derived from the machine's own apt sources, so that
# `apt-get source --download-only` can fetch the pinned source tarballs.
#
# As root: does the work. As another user: prints the exact command to run
# and exits 1. With nothing missing it prints nothing and exits 0.
#
#   sh scripts/setup.sh             what mkdistro itself and x86_64 need
#   sh scripts/setup.sh PKG...      that, and the packages named (the Makefile
#                                   passes `mkdistro packages --arch NAME`:
#                                   an architecture's cross compiler and QEMU)
set -eu

PKGS="gcc make pkg-config ca-certificates libcurl4-openssl-dev libarchive-dev
libssl-dev libinih-dev libcmocka-dev flex bison bc libelf-dev rsync cpio perl
xz-utils bzip2 gzip lz4 zstd python3 qemu-system-x86 libncurses-dev procps
clang libclang-rt-14-dev kmod gdb $*"

SRC_LIST=/etc/apt/sources.list.d/mkdistro-deb-src.sources

missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

# Source entries are needed only when sources must come from the archive;
# we cannot know that before fetching, so make sure they exist up front.
need_src=0
if ! grep -rqs '^\(Types:.*deb-src\|deb-src \)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	need_src=1
fi

[ -z "$missing" ] && [ $need_src -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "mkdistro: host setup needs root. Run:" >&2
	[ $need_src -eq 1 ] && echo "  sudo sh scripts/setup.sh" >&2
	[ -n "$missing" ] && echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi

if [ $need_src -eq 1 ]; then
	# Derive deb-src entries from the Debian entries already configured: the
	# same URIs, suites and components, for this release's own suites only
	# (third-party repositories rarely publish sources).
	. /etc/os-release
	code=${VERSION_CODENAME:-bookworm}
	tmp=$(mktemp)
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		awk -v code="$code" '
		function flush() {
			if (uris != "" && suites != "") print "Types: deb-src\nURIs: " uris "\nSuites: " suites "\nComponents: " comps (signed != "" ? "\nSigned-By: " signed : "") "\n"
			uris = suites = comps = signed = ""; isdeb = 0
		}
		function keep(s,   n, a, i, out) {
			n = split(s, a, /[ \t]+/); out = ""
			for (i = 1; i <= n; i++)
				if (a[i] == code || a[i] == code "-updates" || a[i] == code "-security")
					out = out (out == "" ? "" : " ") a[i]
			return out
		}
		/^[ \t]*$/ { if (isdeb) flush(); uris = suites = comps = signed = ""; isdeb = 0; next }
		/^Types:/ { isdeb = ($0 ~ /[ \t]deb([ \t]|$)/) }
		/^URIs:/ { uris = $2 }
		/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = keep($0) }
		/^Components:/ { sub(/^Components:[ \t]*/, ""); comps = $0 }
		/^Signed-By:/ { sub(/^Signed-By:[ \t]*/, ""); signed = $0 }
		END { if (isdeb) flush() }
		' "$f" >>"$tmp"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -e "$f" ] || continue
		awk -v code="$code" '$1 == "deb" {
			i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			s = $(i + 1)
			if (s == code || s == code "-updates" || s == code "-security") { $1 = "deb-src"; print }
		}' "$f" >>"$tmp.list"
	done
	if [ -s "$tmp" ]; then
		install -m 644 "$tmp" "$SRC_LIST"
	fi
	if [ -s "$tmp.list" ]; then
		install -m 644 "$tmp.list" "${SRC_LIST%.sources}.list"
	fi
	rm -f "$tmp" "$tmp.list"
	echo "mkdistro: enabled Debian source entries in ${SRC_LIST%.sources}.*"
fi

echo "mkdistro: installing host packages:$missing"
apt-get update -q
[ -n "$missing" ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
exit 0
