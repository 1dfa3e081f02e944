# The hostname is set from /etc/hostname (the kernel's default is
# "(none)").
h=$(hostname)
want=$(cat /etc/hostname)
[ -n "$want" ] || { echo "/etc/hostname is empty"; exit 1; }
[ "$h" = "$want" ] || { echo "hostname is '$h', /etc/hostname says '$want'"; exit 1; }
[ "$(cat /proc/sys/kernel/hostname)" = "$want" ] || { echo "kernel hostname differs"; exit 1; }
