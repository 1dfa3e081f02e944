# The kernel's shared unpacked tree (XDG_CACHE_HOME/mkdistro/trees): when
# it is gone (a user cleaned the cache), the next build unpacks it again and
# reuses everything else; an unpacking left half done is cleaned up.
# Runs on a cache of its own, so no other build's tree is touched.
. "$(dirname "$0")/lib.sh"

use_built_system
cache=${XDG_CACHE_HOME:-$HOME/.cache}/mkdistro/sources
own=$(tmpdir)
mkdir -p "$own/mkdistro/sources" "$own/mkdistro/trees/linux-left.tmp.4242/half"
for f in "$cache"/*.tar.*; do
	ln "$f" "$own/mkdistro/sources/" 2> /dev/null || cp "$f" "$own/mkdistro/sources/"
done
kernel_before=$(sha256sum < out/vmlinuz)
old_tree=$(readlink build/src/linux)
check "build/src/linux is a link into the shared trees" [ -n "$old_tree" ]

# What a build using a cache without the tree sees: its link points nowhere.
ln -sfn "$own/mkdistro/trees/${old_tree##*/}" build/src/linux
XDG_CACHE_HOME=$own "$MKDISTRO" status > trees-status.log 2>&1
check "status reports the missing tree as a stale step" [ $? -ne 0 ]
check "status names source:linux and why" grep -q "source:linux.*stale.*missing" trees-status.log
check "the kernel step stays up to date" grep -q "^kernel .*up to date" trees-status.log
[ $? -eq 0 ] || cat trees-status.log

XDG_CACHE_HOME=$own "$MKDISTRO" -v build > trees-build.log 2>&1
status=$?
check "the build unpacks the tree again and succeeds" [ $status -eq 0 ]
[ $status -eq 0 ] || tail -30 trees-build.log
check "the tree is back, where the link points" [ -f build/src/linux/Makefile ]
expect_eq "the link points into the build's cache" "$own/mkdistro/trees/${old_tree##*/}" "$(readlink build/src/linux)"
check "the half-done unpacking was removed" [ ! -e "$own/mkdistro/trees/linux-left.tmp.4242" ]
check "its removal is logged" grep -q "linux-left.tmp.4242.*did not finish" build/logs/source-linux.log
check "the kernel was not built again" grep -q "kernel: up to date" trees-build.log
expect_eq "out/vmlinuz is unchanged" "$kernel_before" "$(sha256sum < out/vmlinuz)"

# Put the link back to the tree the other tests share.
ln -sfn "$old_tree" build/src/linux
"$MKDISTRO" status > /dev/null 2>&1
check "with the shared tree back, the build is up to date" [ $? -eq 0 ]
