# Machine-readable results of real boots: `test` and `run -c` with
# --format tap (read by prove), junit (read by Python's xml.etree) and json
# (python3 -m json.tool, then its fields); a failing guest script in all
# three; a panicking boot in JSON; --log FILE holding the kernel's boot
# messages; --command-timeout firing on a command that runs too long.
#
# Reuses the build in $MKDISTRO_E2E_WORK when set. The panic comes from a
# kernel command line (as in faults.sh): only the initramfs steps are
# redone, never the kernel; the default system is rebuilt at the end.
. "$(dirname "$0")/lib.sh"

c=$(tmpdir)

# --- the options' rules (no boot) ----------------------------------------
run_out "$MKDISTRO" test --format yaml
expect_eq "--format yaml: exit 2" 2 "$status"
expect_eq "--format yaml: message" "mkdistro: --format 'yaml': expected tap, junit or json" "$out"
run_out "$MKDISTRO" run --format json
expect_eq "run --format without -c or --time: exit 2" 2 "$status"
run_out "$MKDISTRO" build --log "$c/x.log"
expect_eq "build --log: exit 2" 2 "$status"
run_out "$MKDISTRO" test --command-timeout 5
expect_eq "test --command-timeout: exit 2" 2 "$status"
run_out "$MKDISTRO" run --command-timeout 5
expect_eq "run --command-timeout without -c: exit 2" 2 "$status"

use_built_system

# mk NAME ARGS...: mkdistro ARGS; stdout in $c/NAME.out, stderr in
# $c/NAME.err, the exit status in $status.
mk() {
	name=$1
	shift
	"$MKDISTRO" "$@" > "$c/$name.out" 2> "$c/$name.err"
	status=$?
}

# py NAME PROGRAM ARGS...: run the Python PROGRAM; ok when it exits 0, else
# its output is shown.
py() {
	name=$1
	shift
	if pout=$(python3 -c "$@" 2>&1); then ok "$name"; else not_ok "$name"; printf '%s\n' "$pout" | sed 's/^/  /'; fi
}

# A suite of two scripts, one failing with text that needs escaping.
g=$(tmpdir)
printf 'echo fine\n' > "$g/good.sh"
printf 'echo "about to fail <&> \\"quoted\\""\nexit 1\n' > "$g/zz-bad.sh"
ndefault=$(ls "$ROOT"/tests/guest/*.sh | wc -l)
ntests=$((ndefault + 2))

# --- TAP -----------------------------------------------------------------
mk tap test --format tap "$g"
expect_eq "test --format tap: exit status 1 (a script failed)" 1 "$status"
expect_eq "TAP: version line first" "TAP version 13" "$(head -1 "$c/tap.out")"
expect_eq "TAP: the plan counts the boot and every script" "1..$((ntests + 1))" "$(sed -n 2p "$c/tap.out")"
check "TAP: the human lines went to stderr" grep -q "^FAIL $g/zz-bad.sh: exit status 1" "$c/tap.err"
if command -v prove > /dev/null; then
	prove -e cat "$c/tap.out" > "$c/prove.out" 2>&1
	pst=$?
	check "prove reads it: fails" [ $pst -ne 0 ]
	check "prove: 1 of $((ntests + 1)) subtests failed" \
		grep -q "Failed 1/$((ntests + 1)) subtests" "$c/prove.out"
	check "prove: test $((ntests + 1)) is the one" grep -q "Failed test:  *$((ntests + 1))\$" "$c/prove.out"
	[ $pst -ne 0 ] || cat "$c/prove.out"
else
	not_ok "prove is installed (package perl)"
fi
check "TAP: the failed script's output in its block" \
	grep -q '^  output: "about to fail <&> \\"quoted\\"\\n"$' "$c/tap.out"

# A passing run: prove says PASS.
mk tapok test --format tap
expect_eq "test --format tap, default suite: exit 0" 0 "$status"
prove -e cat "$c/tapok.out" > "$c/prove.out" 2>&1
check "prove: the default suite's report passes" grep -q "^Result: PASS" "$c/prove.out"

# --- JUnit -----------------------------------------------------------------
mk junit test --format junit "$g"
expect_eq "test --format junit: exit status 1" 1 "$status"
py "JUnit: parsed by xml.etree; $((ntests + 1)) testcases, 1 failure, counts agree" "
import sys, xml.etree.ElementTree as E
root = E.parse(sys.argv[1]).getroot()
assert root.tag == 'testsuites', root.tag
s = root.find('testsuite')
cases = s.findall('testcase')
failed = [c for c in cases if c.find('failure') is not None]
assert len(cases) == $ntests + 1, len(cases)
assert int(s.get('tests')) == len(cases), s.get('tests')
assert int(s.get('failures')) == len(failed) == 1, s.get('failures')
assert int(root.get('tests')) == len(cases)
bad = failed[0]
assert bad.get('name') == sys.argv[2], bad.get('name')
assert bad.find('failure').get('message') == 'exit status 1'
assert 'about to fail <&> \"quoted\"' in bad.find('system-out').text
assert cases[0].get('name') == 'boot' and float(cases[0].get('time')) > 0
props = {p.get('name'): p.get('value') for p in s.find('properties')}
assert props['accelerator'] in ('kvm', 'tcg'), props
assert float(props['prompt']) > 0, props
" "$c/junit.out" "$g/zz-bad.sh"

# --- JSON ------------------------------------------------------------------
mk json test --format json "$g"
expect_eq "test --format json: exit status 1" 1 "$status"
check "JSON: python3 -m json.tool accepts it" python3 -m json.tool "$c/json.out" /dev/null
py "JSON: the boot, $ntests tests, the failure with its output" "
import sys, json
r = json.load(open(sys.argv[1]))
assert r['boot']['result'] == 'ok', r['boot']
t = r['boot']['times']
assert t['first_output'] > 0 and t['prompt'] >= t['first_output'], t
assert t['accelerator'] in ('kvm', 'tcg'), t
assert len(r['tests']) == $ntests, len(r['tests'])
assert r['failed'] == 1 and r['passed'] == $ntests - 1 and r['exit_status'] == 1, r
bad = [x for x in r['tests'] if x['status'] == 'fail']
assert len(bad) == 1 and bad[0]['name'] == sys.argv[2], bad
assert bad[0]['exit_status'] == 1 and bad[0]['output'] == 'about to fail <&> \"quoted\"\n', bad
good = [x for x in r['tests'] if x['name'].endswith('/good.sh')][0]
assert good['status'] == 'pass' and good['duration'] >= 0, good
" "$c/json.out" "$g/zz-bad.sh"

# --- run -c: the command in the record, the console in --log ----------------
mk runjson run -c 'echo hi; uname -r; exit 3' --format json --log "$c/run.log"
expect_eq "run -c --format json: the command's exit status" 3 "$status"
check "run -c JSON: python3 -m json.tool accepts stdout" python3 -m json.tool "$c/runjson.out" /dev/null
release=$(grep -o 'Linux version [^ ]*' "$c/run.log" | head -1 | cut -d' ' -f3)
py "run -c JSON: the command's output and status in its record" "
import sys, json
r = json.load(open(sys.argv[1]))
assert r['name'] == 'mkdistro run' and r['boot']['result'] == 'ok', r
(t,) = r['tests']
assert t['status'] == 'fail' and t['exit_status'] == 3 and t['message'] == 'exit status 3', t
assert t['output'] == 'hi\n' + sys.argv[2] + '\n', (t['output'], sys.argv[2])
assert r['exit_status'] == 3
" "$c/runjson.out" "$release"
check "--log: the kernel's boot messages" grep -q "^Linux version " "$c/run.log"
check "--log: the /init line" grep -q "Run /init as init process" "$c/run.log"
check "--log: no carriage returns" sh -c '! grep -q "$(printf "\r")" "$1"' - "$c/run.log"
check "--log: no temporary file left" sh -c '! ls "$1"/run.log.tmp.* 2>/dev/null' - "$c"

mk runjunit run --time --format junit
expect_eq "run --time --format junit: exit 0" 0 "$status"
py "run --time JUnit: the boot only, passed" "
import sys, xml.etree.ElementTree as E
s = E.parse(sys.argv[1]).getroot().find('testsuite')
assert s.get('tests') == '1' and s.get('failures') == '0', s.attrib
" "$c/runjunit.out"
check "run --time: the times line still on stderr" grep -q "boot times from QEMU start" "$c/runjunit.err"

# --- a panicking boot -------------------------------------------------------
printf '[linux]\ncmdline = rdinit=/nonexistent init=/nonexistent\n' > "$c/panic.conf"
mk panic run -f "$c/panic.conf" --no-check -c true --format json --log "$c/panic.log"
expect_eq "panic: exit 250" 250 "$status"
check "panic JSON: python3 -m json.tool accepts it" python3 -m json.tool "$c/panic.out" /dev/null
py "panic JSON: class panic, its diagnosis, the console lines that prove it" "
import sys, json
r = json.load(open(sys.argv[1]))
b = r['boot']
assert b['result'] == 'panic', b
assert 'panic' in b['diagnosis'].lower(), b
assert any('Kernel panic' in l for l in b['evidence']), b['evidence']
assert b['times']['prompt'] is None, b
(t,) = r['tests']
assert t['status'] == 'fail' and t['exit_status'] is None, t
assert t['message'].startswith('not run: the boot failed'), t
assert r['exit_status'] == 250
" "$c/panic.out"
check "panic --log: written on a failed boot, with the panic" grep -q "Kernel panic" "$c/panic.log"

mk panictap test -f "$c/panic.conf" --no-check --format tap
expect_eq "panic, test --format tap: exit 250" 250 "$status"
check "panic TAP: the boot fails with its class" grep -q '^  result: "panic"$' "$c/panictap.out"
check "panic TAP: every script not run" sh -c '[ "$(grep -c "^not ok" "$1")" -eq $(($2 + 1)) ]' - \
	"$c/panictap.out" "$ndefault"

# --- the command's own limit -----------------------------------------------
t0=$(date +%s)
mk cmdlimit run -c 'sleep 100' --command-timeout 3
secs=$(($(date +%s) - t0))
expect_eq "--command-timeout: exit 253 (timeout)" 253 "$status"
check "--command-timeout: the message names the limit" \
	grep -q "the command's own limit fired: it ran for more than 3 s (--command-timeout" "$c/cmdlimit.err"
check "--command-timeout: ends long before the command would (< 60 s)" [ "$secs" -lt 60 ]

mk cmdlimitjson run -c 'echo going; sleep 100' --command-timeout 3 --format json
expect_eq "--command-timeout --format json: exit 253" 253 "$status"
py "--command-timeout JSON: timeout class, the command's partial output, the limit named" "
import sys, json
r = json.load(open(sys.argv[1]))
assert r['boot']['result'] == 'timeout', r['boot']
assert '--command-timeout' in r['boot']['diagnosis'], r['boot']
(t,) = r['tests']
assert t['output'] == 'going\n' and '--command-timeout' in t['message'], t
" "$c/cmdlimitjson.out"

# Leave the default system built for whoever uses this directory next.
"$MKDISTRO" build > build.log 2>&1
check "the default system is rebuilt" [ $? -eq 0 ]
