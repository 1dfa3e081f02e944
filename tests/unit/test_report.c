/* Tests for report: TAP, JUnit XML and JSON of a run's results, with
 * text that needs escaping, empty suites and failures. The JSON and XML
 * are read back by real parsers (Python's json and xml.etree). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "report.h"
#include "testutil.h"
#include "util.h"

/* Text with everything that needs escaping: quotes, backslash, the five
 * XML characters, control characters, DEL, valid UTF-8 (é, €), and bytes
 * that are not UTF-8: a lone 0xff, an overlong '/', a UTF-16 surrogate, a
 * truncated sequence at the end. */
static const char nasty[] = "a\"b\\c<d>&'e\n\tf\x01g\x7fh \xc3\xa9\xe2\x82\xac "
			    "\xff\xc0\xaf\xed\xa0\x80#x\xe2\x82";

/* The parser's reading of TEXT with the Python program PY (reads the
 * file t.out given as argv[1]; new memory); fails when it fails. */
static char *parsed(const char *py, const char *text)
{
	if (!have_program("python3")) {
		fprintf(stderr, "test_report: python3 is missing, not tested\n");
		skip();
	}
	write_test_file(".", "p.py", py);
	write_test_file(".", "t.out", text);
	struct capture c;
	capture_start(&c, 1);
	int rc = system("python3 p.py t.out");
	char *out = capture_end(&c);
	if (rc != 0)
		fail_msg("the parser refused it (status %d):\n%s\n%s", rc, text, out);
	return out;
}

static void assert_has(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("missing:\n%s\nin:\n%s", part, text);
}

/* JSON read back: the strings Python decodes, with their code points. */
static const char json_py[] =
	"import sys, json\n"
	"r = json.load(open(sys.argv[1], encoding='utf-8'))\n"
	"print(ascii(r['name']))\n"
	"print(ascii(r['boot']['result']), ascii(r['boot']['diagnosis']), ascii(r['boot']['evidence']))\n"
	"print(r['boot']['times'])\n"
	"for t in r['tests']:\n"
	"    print(ascii(t['name']), t['status'], t['exit_status'], t['duration'], ascii(t['message']), ascii(t['output']))\n"
	"print(r['passed'], r['failed'], r['exit_status'])\n";

/* What the escaped NASTY decodes to (Python's ascii()). */
#define NASTY_DECODED "'a\"b\\\\c<d>&\\'e\\n\\tf\\x01g\\x7fh \\xe9\\u20ac \\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd#x\\ufffd\\ufffd'"

static struct report_case nasty_case(void)
{
	return (struct report_case){ .name = nasty, .passed = 0, .status = 1, .seconds = 1.5,
				     .message = "exit status 1", .output = nasty };
}

static void test_json_escaping(void **state)
{
	struct report_case c = nasty_case();
	struct report r = { .name = nasty, .boot = { .result = "ok", .first_output = 0.25,
						     .init = -1, .prompt = 2, .accel = "tcg" },
			    .cases = &c, .ncases = 1, .exit_status = 1 };
	char *text = report_text(REPORT_JSON, &r);
	/* The exact escapes: control characters as \u00XX, no raw byte
	 * below 0x20 or invalid sequence left. */
	assert_has(text, "\"a\\\"b\\\\c<d>&'e\\n\\tf\\u0001g\\u007fh \xc3\xa9\xe2\x82\xac "
			 "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd#x\\ufffd\\ufffd\"");
	char *got = parsed(json_py, text);
	assert_string_equal(got, NASTY_DECODED "\n"
				 "'ok' None []\n"
				 "{'first_output': 0.25, 'init': None, 'prompt': 2.0, 'accelerator': 'tcg'}\n"
				 NASTY_DECODED " fail 1 1.5 'exit status 1' " NASTY_DECODED "\n"
				 "0 1 1\n");
	free(got);
	free(text);
}

/* JUnit read back: the suite's counts, each testcase, its failure and
 * its system-out. */
static const char junit_py[] =
	"import sys, xml.etree.ElementTree as E\n"
	"root = E.parse(sys.argv[1]).getroot()\n"
	"assert root.tag == 'testsuites', root.tag\n"
	"print('testsuites', root.get('tests'), root.get('failures'))\n"
	"for s in root.findall('testsuite'):\n"
	"    print('testsuite', ascii(s.get('name')), s.get('tests'), s.get('failures'))\n"
	"    for p in s.find('properties'):\n"
	"        print('property', p.get('name'), p.get('value'))\n"
	"    for c in s.findall('testcase'):\n"
	"        print('testcase', c.get('classname'), ascii(c.get('name')), c.get('time'))\n"
	"        f = c.find('failure')\n"
	"        if f is not None:\n"
	"            print('  failure', f.get('type'), ascii(f.get('message')))\n"
	"        o = c.find('system-out')\n"
	"        if o is not None:\n"
	"            print('  out', ascii(o.text))\n";

/* NASTY as XML gives it back: control characters that XML 1.0 cannot
 * hold and invalid bytes are U+FFFD; in an attribute, \n and \t stay. */
#define NASTY_XML "'a\"b\\\\c<d>&\\'e\\n\\tf\\ufffdg\\x7fh \\xe9\\u20ac \\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd#x\\ufffd\\ufffd'"

static void test_junit_escaping(void **state)
{
	struct report_case c = nasty_case();
	struct report r = { .name = nasty, .boot = { .result = "ok", .first_output = 0.25,
						     .init = 1, .prompt = 2, .accel = "kvm" },
			    .cases = &c, .ncases = 1, .exit_status = 1 };
	char *text = report_text(REPORT_JUNIT, &r);
	assert_has(text, "a&quot;b\\c&lt;d&gt;&amp;&apos;e&#10;&#9;f\xef\xbf\xbdg");
	char *got = parsed(junit_py, text);
	assert_string_equal(got, "testsuites 2 1\n"
				 "testsuite " NASTY_XML " 2 1\n"
				 "property accelerator kvm\n"
				 "property first_output 0.250\n"
				 "property init 1.000\n"
				 "property prompt 2.000\n"
				 "testcase mkdistro.boot 'boot' 2.000\n"
				 "testcase mkdistro.test " NASTY_XML " 1.500\n"
				 "  failure fail 'exit status 1'\n"
				 "  out " NASTY_XML "\n");
	free(got);
	free(text);
}

/* TAP: the test name on one line with '#' and '\' escaped, the YAML
 * block's values as JSON strings. */
static void test_tap_escaping(void **state)
{
	struct report_case c[] = {
		{ .name = "ok.sh", .passed = 1, .status = 0, .seconds = 0.25, .output = "" },
		{ .name = "bad # TODO\nnot a plan\\", .passed = 0, .status = 2, .seconds = 1,
		  .message = "exit status 2", .output = "line 1\nline \"2\"\n" },
	};
	struct report r = { .name = "mkdistro test", .boot = { .result = "ok", .first_output = 0.25,
							       .init = -1, .prompt = 2 },
			    .cases = c, .ncases = 2, .exit_status = 1 };
	char *text = report_text(REPORT_TAP, &r);
	assert_string_equal(text, "TAP version 13\n"
				  "1..3\n"
				  "ok 1 - boot\n"
				  "  ---\n"
				  "  result: \"ok\"\n"
				  "  times: {first_output: 0.250, init: null, prompt: 2.000, accelerator: null}\n"
				  "  ...\n"
				  "ok 2 - ok.sh\n"
				  "  ---\n"
				  "  duration_ms: 250\n"
				  "  exit_status: 0\n"
				  "  ...\n"
				  "not ok 3 - bad \\# TODO not a plan\\\\\n"
				  "  ---\n"
				  "  duration_ms: 1000\n"
				  "  exit_status: 2\n"
				  "  message: \"exit status 2\"\n"
				  "  output: \"line 1\\nline \\\"2\\\"\\n\"\n"
				  "  ...\n");
	free(text);
	/* Invalid UTF-8 in a name is U+FFFD, a control character a space. */
	c[0].name = "x\xff\x01y";
	text = report_text(REPORT_TAP, &r);
	assert_has(text, "ok 2 - x\xef\xbf\xbd y\n");
	free(text);
}

/* No test at all (run --time): the boot alone, in every format. */
/* The command channel's streams may hold NUL bytes: with their lengths,
 * they are reported whole (JSON and TAP as \u0000, XML, which cannot
 * hold it, as U+FFFD), stderr in its own field. */
static void test_nul_bytes(void **state)
{
	struct report_case c = { .name = "command", .passed = 1, .status = 0,
				 .output = "a\0b", .output_len = 3, .errors = "e\0", .errors_len = 2 };
	struct report r = { .name = "mkdistro run", .boot = { .result = "ok", .first_output = -1,
							      .init = -1, .prompt = -1 },
			    .cases = &c, .ncases = 1 };
	char *text = report_text(REPORT_JSON, &r);
	assert_has(text, "\"output\": \"a\\u0000b\", \"stderr\": \"e\\u0000\"}");
	free(text);
	text = report_text(REPORT_TAP, &r);
	assert_has(text, "  output: \"a\\u0000b\"\n  stderr: \"e\\u0000\"\n");
	free(text);
	text = report_text(REPORT_JUNIT, &r);
	assert_has(text, "<system-out>a\xef\xbf\xbd" "b</system-out>\n"
			 "      <system-err>e\xef\xbf\xbd</system-err>\n");
	free(text);
	/* Without stderr of its own (the serial console), no such field. */
	c.errors = NULL;
	text = report_text(REPORT_JSON, &r);
	assert_null(strstr(text, "stderr"));
	free(text);
}

static void test_empty_suite(void **state)
{
	struct report r = { .name = "mkdistro run", .boot = { .result = "ok", .first_output = 0.1,
							      .init = 0.5, .prompt = 1, .accel = "tcg" } };
	char *tap = report_text(REPORT_TAP, &r);
	assert_has(tap, "TAP version 13\n1..1\nok 1 - boot\n");
	assert_null(strstr(tap, "ok 2"));
	free(tap);
	char *json = report_text(REPORT_JSON, &r);
	assert_has(json, "\"tests\": [],\n");
	char *got = parsed(json_py, json);
	assert_string_equal(got, "'mkdistro run'\n'ok' None []\n"
				 "{'first_output': 0.1, 'init': 0.5, 'prompt': 1.0, 'accelerator': 'tcg'}\n"
				 "0 0 0\n");
	free(got);
	free(json);
	char *xml = report_text(REPORT_JUNIT, &r);
	got = parsed(junit_py, xml);
	assert_string_equal(got, "testsuites 1 0\n"
				 "testsuite 'mkdistro run' 1 0\n"
				 "property accelerator tcg\n"
				 "property first_output 0.100\n"
				 "property init 0.500\n"
				 "property prompt 1.000\n"
				 "testcase mkdistro.boot 'boot' 1.000\n");
	free(got);
	free(xml);
}

/* A failed boot: the class, the diagnosis and the console lines that
 * prove it; scripts not run are failures without an exit status. */
static void test_failed_boot(void **state)
{
	struct report_case c[] = {
		{ .name = "a.sh", .passed = 0, .status = -1, .message = "not run: the boot failed" },
	};
	struct report r = {
		.name = "mkdistro test",
		.boot = { .result = "panic", .diagnosis = "kernel panic: 'Kernel panic - not syncing: x'",
			  .evidence = "Run /init as init process\nKernel panic - not syncing: x\n",
			  .first_output = 0.2, .init = 0.9, .prompt = -1, .accel = "tcg" },
		.cases = c, .ncases = 1, .exit_status = 250,
	};
	char *json = report_text(REPORT_JSON, &r);
	char *got = parsed(json_py, json);
	assert_string_equal(got, "'mkdistro test'\n"
				 "'panic' \"kernel panic: 'Kernel panic - not syncing: x'\" "
				 "['Run /init as init process', 'Kernel panic - not syncing: x']\n"
				 "{'first_output': 0.2, 'init': 0.9, 'prompt': None, 'accelerator': 'tcg'}\n"
				 "'a.sh' fail None 0.0 'not run: the boot failed' ''\n"
				 "0 1 250\n");
	free(got);
	free(json);

	char *xml = report_text(REPORT_JUNIT, &r);
	got = parsed(junit_py, xml);
	assert_string_equal(got, "testsuites 2 2\n"
				 "testsuite 'mkdistro test' 2 2\n"
				 "property accelerator tcg\n"
				 "property first_output 0.200\n"
				 "property init 0.900\n"
				 "property prompt not seen\n"
				 "testcase mkdistro.boot 'boot' 0.000\n"
				 "  failure panic \"kernel panic: 'Kernel panic - not syncing: x'\"\n"
				 "  out 'Run /init as init process\\nKernel panic - not syncing: x\\n'\n"
				 "testcase mkdistro.test 'a.sh' 0.000\n"
				 "  failure fail 'not run: the boot failed'\n");
	free(got);
	free(xml);

	char *tap = report_text(REPORT_TAP, &r);
	assert_has(tap, "1..2\nnot ok 1 - boot\n  ---\n  result: \"panic\"\n"
			"  message: \"kernel panic: 'Kernel panic - not syncing: x'\"\n"
			"  evidence: \"Run /init as init process\\nKernel panic - not syncing: x\\n\"\n");
	assert_has(tap, "not ok 2 - a.sh\n  ---\n  duration_ms: 0\n  message: \"not run: the boot failed\"\n  ...\n");
	free(tap);
}

static void test_format_names(void **state)
{
	enum report_format f = REPORT_HUMAN;
	assert_int_equal(report_format_parse("tap", &f), 0);
	assert_int_equal(f, REPORT_TAP);
	assert_int_equal(report_format_parse("junit", &f), 0);
	assert_int_equal(f, REPORT_JUNIT);
	assert_int_equal(report_format_parse("json", &f), 0);
	assert_int_equal(f, REPORT_JSON);
	assert_int_equal(report_format_parse("xml", &f), -1);
	assert_int_equal(report_format_parse("", &f), -1);
	assert_int_equal(f, REPORT_JSON);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		testdir_test(test_json_escaping),
		testdir_test(test_junit_escaping),
		cmocka_unit_test(test_tap_escaping),
		cmocka_unit_test(test_nul_bytes),
		testdir_test(test_empty_suite),
		testdir_test(test_failed_boot),
		cmocka_unit_test(test_format_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
