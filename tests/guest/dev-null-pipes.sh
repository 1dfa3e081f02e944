# /dev/null swallows writes and reads empty; pipes carry data between
# processes, also more than a pipe buffer.
set -e
[ -c /dev/null ] || { echo "/dev/null is not a character device"; exit 1; }
echo discarded > /dev/null
n=$(wc -c < /dev/null)
[ "$n" -eq 0 ] || { echo "/dev/null read $n bytes"; exit 1; }
got=$(echo 'hello pipe' | tr a-z A-Z | sed 's/PIPE/WORLD/')
[ "$got" = "HELLO WORLD" ] || { echo "pipe chain gave '$got'"; exit 1; }
# 200 KiB through a pipe: more than the 64 KiB a pipe buffers.
n=$(dd if=/dev/zero bs=1024 count=200 2>/dev/null | cat | wc -c)
[ "$n" -eq 204800 ] || { echo "big pipe carried $n bytes"; exit 1; }
