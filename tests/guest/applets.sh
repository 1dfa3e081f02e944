# A sample of BusyBox applets runs and gives the expected answers.
fail=0
expect() {
	want=$1
	shift
	got=$("$@" 2>&1)
	if [ "$got" != "$want" ]; then
		echo "$*: got '$got', expected '$want'"
		fail=1
	fi
}
expect 3 sh -c 'printf "a\nb\nc\n" | wc -l'
expect 'b' sh -c 'printf "a\nb\nc\n" | grep b'
expect 'x-y' sh -c 'echo x_y | sed s/_/-/'
expect '6' sh -c 'echo 1 2 3 | awk "{ print \$1 + \$2 + \$3 }"'
expect "$(printf '1\n2\n3')" sh -c 'printf "3\n1\n2\n" | sort -n'
expect 'c' sh -c 'printf "a\nb\nc\n" | tail -n 1'
expect 'a' sh -c 'printf "a\nb\nc\n" | head -n 1'
expect 'b' sh -c 'echo a:b:c | cut -d: -f2'
expect '42' expr 6 \* 7
expect 'Linux' uname -s
expect 'ok' sh -c 'mkdir -p /tmp/aplt/d && touch /tmp/aplt/d/f && find /tmp/aplt -name f >/dev/null && rm -r /tmp/aplt && echo ok'
expect '0' sh -c 'date +%s >/dev/null; echo $?'
expect 'ok' sh -c 'busybox --list | grep -qx sh && echo ok'
# The network's tools, for systems with net = yes (README).
expect 'httpd nc wget' sh -c 'for a in httpd nc wget; do busybox --list | grep -qx $a && printf "%s " $a; done | sed "s/ $//"'
exit $fail
