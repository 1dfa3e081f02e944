# /proc, /sys and /dev are mounted with the right file systems, and /tmp
# is a tmpfs.
set -e
fstype() {
	while read -r dev dir type rest; do
		[ "$dir" = "$1" ] && t=$type
	done < /proc/mounts
	echo "${t:-none}"
}
fail=0
for want in /proc:proc /sys:sysfs /dev:devtmpfs /tmp:tmpfs; do
	dir=${want%%:*}
	type=${want#*:}
	got=$(fstype "$dir")
	if [ "$got" != "$type" ]; then
		echo "$dir: mounted as '$got', expected '$type'"
		fail=1
	fi
done
[ -r /proc/self/stat ] || { echo "/proc/self/stat not readable"; fail=1; }
[ -d /sys/kernel ] || { echo "/sys/kernel missing"; fail=1; }
exit $fail
