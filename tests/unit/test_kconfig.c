#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kconfig.h"
#include "testutil.h"
#include "util.h"

static void test_parse_good(void **state)
{
	struct kconfig_set s;
	const char *text =
		"#\n"
		"# Automatically generated file; DO NOT EDIT.\n"
		"\n"
		"CONFIG_A=y\n"
		"CONFIG_B=m\n"
		"# CONFIG_C is not set\n"
		"CONFIG_STR=\"hello \\\"world\\\"\"\n"
		"CONFIG_EMPTY=\"\"\n"
		"  CONFIG_NUM = 42  \r\n"
		"CONFIG_NEG=-7\n"
		"CONFIG_HEX=0x1F\n"
		"CONFIG_D=n\n"
		"# CONFIG_E: just a comment\n"
		"# a comment\n"
		"CONFIG_A=y\n"
		"CONFIG_LAST=y"; /* no final newline */

	struct capture c;
	capture_start(&c, 2);
	assert_int_equal(kconfig_parse(text, "frag", &s), 0);
	char *err = capture_end(&c);
	assert_string_equal(err, "");
	free(err);
	assert_string_equal(s.file, "frag");
	assert_int_equal(s.n, 10);
	assert_string_equal(kconfig_get(&s, "A"), "y");
	assert_int_equal(s.syms[0].line, 15); /* the later duplicate */
	assert_string_equal(kconfig_get(&s, "B"), "m");
	assert_string_equal(kconfig_get(&s, "C"), "n");
	assert_string_equal(kconfig_get(&s, "STR"), "\"hello \\\"world\\\"\"");
	assert_string_equal(kconfig_get(&s, "EMPTY"), "\"\"");
	assert_string_equal(kconfig_get(&s, "NUM"), "42");
	assert_string_equal(kconfig_get(&s, "NEG"), "-7");
	assert_string_equal(kconfig_get(&s, "HEX"), "0x1F");
	assert_string_equal(kconfig_get(&s, "D"), "n");
	assert_string_equal(kconfig_get(&s, "LAST"), "y");
	assert_null(kconfig_get(&s, "E"));
	assert_null(kconfig_get(&s, "CONFIG_A"));
	assert_string_equal(s.syms[2].name, "C");
	assert_int_equal(s.syms[2].line, 6);
	kconfig_free(&s);
	assert_null(s.syms);
	assert_int_equal(s.n, 0);
}

static void test_parse_override_warns(void **state)
{
	struct kconfig_set s;
	struct capture c;
	capture_start(&c, 2);
	assert_int_equal(kconfig_parse("CONFIG_A=y\nCONFIG_B=y\n# CONFIG_A is not set\n", "f.config",
				       &s), 0);
	char *err = capture_end(&c);
	assert_string_equal(err, "mkdistro: f.config:3: CONFIG_A=n overrides CONFIG_A=y from line 1\n");
	free(err);
	assert_string_equal(kconfig_get(&s, "A"), "n");
	assert_int_equal(s.n, 2);
	kconfig_free(&s);
}

static void test_parse_bad(void **state)
{
	struct kconfig_set s;
	const char *text =
		"CONFIG_OK=y\n"                         /* 1 */
		"FOO=y\n"                               /* 2 */
		"CONFIG_=y\n"                           /* 3 */
		"CONFIG_X y\n"                          /* 4 */
		"CONFIG_Y=\n"                           /* 5 */
		"CONFIG_Z=yes\n"                        /* 6 */
		"CONFIG_S=\"abc\n"                      /* 7 */
		"CONFIG_T=\"abc\" x\n"                  /* 8 */
		"\n"                                    /* 9 */
		"CONFIG_U=0xZZ\n"                       /* 10 */
		"CONFIG_V=y # trailing\n"               /* 11 */
		"this line is far too long to be echoed back in full to the user\n"; /* 12 */
	struct capture c;
	capture_start(&c, 2);
	assert_int_equal(kconfig_parse(text, "bad.config", &s), -1);
	char *err = capture_end(&c);
	assert_string_equal(err,
		"mkdistro: bad.config:2: expected CONFIG_NAME=value or '# CONFIG_NAME is not set', not 'FOO=y'\n"
		"mkdistro: bad.config:3: missing name after CONFIG_\n"
		"mkdistro: bad.config:4: expected '=' after CONFIG_X\n"
		"mkdistro: bad.config:5: no value for CONFIG_Y (to turn it off write '# CONFIG_Y is not set')\n"
		"mkdistro: bad.config:6: bad value 'yes' for CONFIG_Z: expected y, m, n, a number, 0x hex or a \"string\"\n"
		"mkdistro: bad.config:7: unterminated string for CONFIG_S\n"
		"mkdistro: bad.config:8: text after the closing quote of CONFIG_T\n"
		"mkdistro: bad.config:10: bad value '0xZZ' for CONFIG_U: expected y, m, n, a number, 0x hex or a \"string\"\n"
		"mkdistro: bad.config:11: bad value 'y # trailing' for CONFIG_V: expected y, m, n, a number, 0x hex or a \"string\"\n"
		"mkdistro: bad.config:12: expected CONFIG_NAME=value or '# CONFIG_NAME is not set', not 'this line is far too long to be echoed b...'\n");
	free(err);
	assert_int_equal(s.n, 0);
	assert_null(s.syms);
	kconfig_free(&s);
}

static void test_parse_file(void **state)
{
	struct kconfig_set s;
	write_test_file(testdir_group.path, "p/frag.config", "CONFIG_A=y\nbad\n");
	char *p = testdir_path(&testdir_group, "p/frag.config");
	struct capture c;
	capture_start(&c, 2);
	assert_int_equal(kconfig_parse_file(p, &s), -1);
	char *err = capture_end(&c);
	char *want = xasprintf("mkdistro: %s:2: expected CONFIG_NAME=value or '# CONFIG_NAME is not set', "
			       "not 'bad'\n", p);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(p);

	p = testdir_path(&testdir_group, "p/none.config");
	capture_start(&c, 2);
	assert_int_equal(kconfig_parse_file(p, &s), -1);
	err = capture_end(&c);
	want = xasprintf("mkdistro: read '%s': No such file or directory\n", p);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(p);
	kconfig_free(&s);
}

static void test_many_and_merge(void **state)
{
	struct kconfig_set a = {0}, b = {0};
	char name[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "SYM_%d", i);
		kconfig_put(&a, name, i % 2 ? "y" : "n", i + 1);
	}
	assert_int_equal(a.n, 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "SYM_%d", i);
		assert_string_equal(kconfig_get(&a, name), i % 2 ? "y" : "n");
	}
	assert_null(kconfig_get(&a, "SYM_5000"));
	assert_null(kconfig_get(&a, "SYM_"));

	assert_int_equal(kconfig_parse("CONFIG_SYM_1=m\nCONFIG_NEW=\"x\"\n", "b", &b), 0);
	assert_int_equal(kconfig_merge(&a, &b), 0);
	assert_int_equal(a.n, 5001);
	assert_string_equal(kconfig_get(&a, "SYM_1"), "m");
	assert_string_equal(kconfig_get(&a, "NEW"), "\"x\"");
	assert_string_equal(a.syms[5000].name, "NEW");
	kconfig_free(&a);
	kconfig_free(&b);
}

static void test_apply(void **state)
{
	write_test_file(testdir_group.path, "apply/.config",
		 "#\n"
		 "# Automatically generated file; DO NOT EDIT.\n"
		 "#\n"
		 "CONFIG_A=y\n"
		 "# CONFIG_B is not set\n"
		 "CONFIG_C=\"old\"\n"
		 "CONFIG_KEEP=m\n"
		 "CONFIG_A=m\n"
		 "# CONFIG_KEEP2 is not set\n"
		 "CONFIG_NUM=10");
	char *p = testdir_path(&testdir_group, "apply/.config");
	assert_int_equal(chmod(p, 0640), 0);
	struct kconfig_set f;
	assert_int_equal(kconfig_parse("# CONFIG_A is not set\nCONFIG_B=y\nCONFIG_NEW=y\n"
				       "CONFIG_C=\"new text\"\nCONFIG_NUM=0x20\nCONFIG_OFF=n\n", "f", &f), 0);
	assert_int_equal(kconfig_apply(p, &f), 0);
	char *got = read_file(p, NULL);
	assert_string_equal(got,
			    "#\n"
			    "# Automatically generated file; DO NOT EDIT.\n"
			    "#\n"
			    "# CONFIG_A is not set\n"
			    "CONFIG_B=y\n"
			    "CONFIG_C=\"new text\"\n"
			    "CONFIG_KEEP=m\n"
			    "# CONFIG_KEEP2 is not set\n"
			    "CONFIG_NUM=0x20\n"
			    "CONFIG_NEW=y\n"
			    "# CONFIG_OFF is not set\n");
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	/* Read back: the applied values are what the parser sees. */
	struct kconfig_set r;
	assert_int_equal(kconfig_parse(got, p, &r), 0);
	for (size_t i = 0; i < f.n; i++)
		assert_string_equal(kconfig_get(&r, f.syms[i].name), f.syms[i].value);
	assert_string_equal(kconfig_get(&r, "KEEP"), "m");
	kconfig_free(&r);
	free(got);

	/* No temporary file is left behind. */
	char *d = testdir_path(&testdir_group, "apply");
	struct buf ls = {0};
	char *cmd = xasprintf("ls -A '%s'", d);
	FILE *fp = popen(cmd, "r");
	char line[256];
	while (fgets(line, sizeof(line), fp))
		buf_addstr(&ls, line);
	pclose(fp);
	assert_string_equal(ls.s, ".config\n");
	buf_free(&ls);
	free(cmd);
	free(d);

	/* A missing .config is an error. */
	char *missing = testdir_path(&testdir_group, "apply/none");
	struct capture c;
	capture_start(&c, 2);
	assert_int_equal(kconfig_apply(missing, &f), -1);
	char *err = capture_end(&c);
	char *want = xasprintf("mkdistro: read '%s': No such file or directory\n", missing);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(missing);
	kconfig_free(&f);
	free(p);
}

static void test_minimal(void **state)
{
	struct kconfig_set base, full;
	assert_int_equal(kconfig_parse("CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=\"x\"\n"
				       "CONFIG_D=m\nCONFIG_E=y\nCONFIG_N=0x10\n", "base", &base), 0);
	assert_int_equal(kconfig_parse("CONFIG_A=y\nCONFIG_Z=n\nCONFIG_C=\"y\"\nCONFIG_B=y\n"
				       "# CONFIG_E is not set\nCONFIG_D=m\nCONFIG_NEW=5\n"
				       "CONFIG_N=0x010\n", "full", &full), 0);
	struct buf out = {0};
	buf_addstr(&out, "# head\n");
	assert_int_equal(kconfig_minimal(&base, &full, &out), 4);
	assert_string_equal(out.s,
			    "# head\n"
			    "CONFIG_B=y\n"
			    "CONFIG_C=\"y\"\n"
			    "# CONFIG_E is not set\n"
			    "CONFIG_NEW=5\n");

	/* Applying the difference to base gives full's values. */
	struct kconfig_set diff;
	assert_int_equal(kconfig_parse(out.s, "diff", &diff), 0);
	kconfig_merge(&base, &diff);
	for (size_t i = 0; i < full.n; i++) {
		const char *v = kconfig_get(&base, full.syms[i].name);
		const char *w = full.syms[i].value;
		if (strcmp(w, "n") && strcmp(full.syms[i].name, "N"))
			assert_string_equal(v, w);
	}
	buf_free(&out);
	kconfig_free(&diff);
	kconfig_free(&base);
	kconfig_free(&full);
}

/* One writer of a symbol line; the values Kconfig reads as equal. */
static void test_lines_and_same(void **state)
{
	struct buf b = {0};
	kconfig_line(&b, "A", "y");
	kconfig_line(&b, "B", "n");
	kconfig_line(&b, "C", NULL);
	kconfig_line(&b, "S", "\"x y\"");
	assert_string_equal(b.s, "CONFIG_A=y\n# CONFIG_B is not set\n# CONFIG_C is not set\n"
				 "CONFIG_S=\"x y\"\n");
	buf_free(&b);

	struct kconfig_set s;
	assert_int_equal(kconfig_parse("CONFIG_Z=y\n# CONFIG_A is not set\nCONFIG_M=0x10\n", "s", &s),
			 0);
	kconfig_lines(&s, 0, &b);
	assert_string_equal(b.s, "CONFIG_Z=y\n# CONFIG_A is not set\nCONFIG_M=0x10\n");
	buf_free(&b);
	kconfig_lines(&s, 1, &b);
	assert_string_equal(b.s, "# CONFIG_A is not set\nCONFIG_M=0x10\nCONFIG_Z=y\n");
	buf_free(&b);
	kconfig_free(&s);
	struct kconfig_set empty = {0};
	kconfig_lines(&empty, 1, &b);
	assert_null(b.s);

	assert_true(kconfig_same("n", NULL));
	assert_true(kconfig_same(NULL, NULL));
	assert_true(kconfig_same("y", "y"));
	assert_true(kconfig_same("0x10", "0X010"));
	assert_true(kconfig_same("010", "10"));
	assert_true(kconfig_same("\"a\"", "\"a\""));
	assert_false(kconfig_same("y", NULL));
	assert_false(kconfig_same("y", "m"));
	assert_false(kconfig_same("0x10", "16"));
	assert_false(kconfig_same("\"1\"", "1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_parse_good, capture_teardown),
		cmocka_unit_test_teardown(test_parse_override_warns, capture_teardown),
		cmocka_unit_test_teardown(test_parse_bad, capture_teardown),
		cmocka_unit_test_teardown(test_parse_file, capture_teardown),
		cmocka_unit_test_teardown(test_many_and_merge, capture_teardown),
		cmocka_unit_test_teardown(test_apply, capture_teardown),
		cmocka_unit_test_teardown(test_minimal, capture_teardown),
		cmocka_unit_test_teardown(test_lines_and_same, capture_teardown),
	};
	return cmocka_run_group_tests(tests, testdir_group_setup, testdir_group_teardown);
}
