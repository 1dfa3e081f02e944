#!/bin/sh
# Install the Debian packages mkdistro needs on the host. The machine's apt
# configuration is left as it is: mkdistro reads Debian's source packages
# through an apt state of its own (src/apt.c).
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

missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "mkdistro: host setup needs root. Run:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi

echo "mkdistro: installing host packages:$missing"
apt-get update -q
[ -n "$missing" ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
exit 0
