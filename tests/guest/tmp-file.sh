# A file written in /tmp reads back the same, is listed, and can be
# appended to, renamed and removed.
set -e
f=/tmp/mkdistro-smoke.$$
printf 'line one\nline two\n' > "$f"
[ "$(cat "$f")" = "$(printf 'line one\nline two')" ] || { echo "read back differs"; exit 1; }
echo three >> "$f"
[ "$(wc -l < "$f")" -eq 3 ] || { echo "append failed"; exit 1; }
mv "$f" "$f.moved"
[ -f "$f.moved" ] && [ ! -e "$f" ] || { echo "rename failed"; exit 1; }
rm "$f.moved"
[ ! -e "$f.moved" ] || { echo "remove failed"; exit 1; }
