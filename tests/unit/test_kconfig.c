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
#include "util.h"

static char tmpdir[] = "/tmp/test_kconfig.XXXXXX";
static int saved_stderr = -1;

/* Route stderr into a file so messages can be compared exactly. */
static void capture(void)
{
	char *p = path_join(tmpdir, "stderr");
	fflush(stderr);
	saved_stderr = dup(2);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved_stderr >= 0);
	dup2(fd, 2);
	close(fd);
	free(p);
}

static char *captured(void)
{
	char *p = path_join(tmpdir, "stderr");
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
	char *s = read_file(p, NULL);
	assert_non_null(s);
	free(p);
	return s;
}

/* After a failed assertion, give stderr back so later output is seen. */
static int uncapture(void **state)
{
	if (saved_stderr >= 0) {
		dup2(saved_stderr, 2);
		close(saved_stderr);
		saved_stderr = -1;
	}
	return 0;
}

static char *tpath(const char *rel)
{
	return path_join(tmpdir, rel);
}

static void put_file(const char *rel, const char *text)
{
	char *p = tpath(rel);
	char *d = xstrdup(p);
	*strrchr(d, '/') = '\0';
	assert_int_equal(mkdir_p(d, 0755), 0);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	free(d);
	free(p);
}

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return rm_rf(tmpdir);
}

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

	capture();
	assert_int_equal(kconfig_parse(text, "frag", &s), 0);
	char *err = captured();
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
	capture();
	assert_int_equal(kconfig_parse("CONFIG_A=y\nCONFIG_B=y\n# CONFIG_A is not set\n", "f.config",
				       &s), 0);
	char *err = captured();
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
	capture();
	assert_int_equal(kconfig_parse(text, "bad.config", &s), -1);
	char *err = captured();
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
	put_file("p/frag.config", "CONFIG_A=y\nbad\n");
	char *p = tpath("p/frag.config");
	capture();
	assert_int_equal(kconfig_parse_file(p, &s), -1);
	char *err = captured();
	char *want = xasprintf("mkdistro: %s:2: expected CONFIG_NAME=value or '# CONFIG_NAME is not set', "
			       "not 'bad'\n", p);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(p);

	p = tpath("p/none.config");
	capture();
	assert_int_equal(kconfig_parse_file(p, &s), -1);
	err = captured();
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
	put_file("apply/.config",
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
	char *p = tpath("apply/.config");
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
	char *d = tpath("apply");
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
	char *missing = tpath("apply/none");
	capture();
	assert_int_equal(kconfig_apply(missing, &f), -1);
	char *err = captured();
	char *want = xasprintf("mkdistro: read '%s': No such file or directory\n", missing);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(missing);
	kconfig_free(&f);
	free(p);
}

/* A small fake kernel tree with the constructs verify has to understand. */
static void make_tree(void)
{
	put_file("src/Kconfig",
		 "mainmenu \"Fake $(KERNELVERSION) Kernel Configuration\"\n"
		 "source \"drivers/Kconfig\"\n"
		 "config MODULES\n"
		 "\tbool \"Enable loadable module support\"\n");
	put_file("src/drivers/tty/serial/8250/Kconfig",
		 "# SPDX-License-Identifier: GPL-2.0\n"
		 "config SERIAL_8250\n"
		 "\ttristate \"8250/16550 and compatible serial support\"\n"
		 "\tdepends on !S390\n"
		 "\tselect SERIAL_CORE\n"
		 "\thelp\n"
		 "\t  This selects whether you want to include the driver.\n"
		 "\n"
		 "\t  depends on HELP_TEXT is not a dependency\n"
		 "\n"
		 "config SERIAL_8250_CONSOLE\n"
		 "\tbool \"Console on 8250/16550 and compatible serial port\"\n"
		 "\tdepends on SERIAL_8250=y\n"
		 "\tselect SERIAL_CORE_CONSOLE\n"
		 "\thelp\n"
		 "\t  If unsure, say N.\n"
		 "\t  depends on ALSO_HELP\n"
		 "\n"
		 "config SERIAL_CORE\n"
		 "\ttristate\n"
		 "\n"
		 "if TTY\n"
		 "config VT\n"
		 "\tbool \"Virtual terminal\" if EXPERT\n"
		 "\tdepends on !UML\n"
		 "endif # TTY\n"
		 "\n"
		 "menu \"Foo\"\n"
		 "\tdepends on HAS_FOO\n"
		 "config FOO_A\n"
		 "\tbool \"a\"\n"
		 "endmenu\n"
		 "\n"
		 "config LOG_SHIFT\n"
		 "\tint \"log size\"\n"
		 "\trange 12 25\n"
		 "\tdefault 17\n"
		 "\n"
		 "config LONG\n"
		 "\tbool \"long\"\n"
		 "\tdepends on PCI && \\\n"
		 "\t\t   (X86 || COMPILE_TEST) # why\n"
		 "\tdepends on MODULES\n"
		 "\n"
		 "config PLAIN\n"
		 "\tbool \"plain\"\n"
		 "\n"
		 "choice\n"
		 "\tprompt \"Compression\"\n"
		 "\tdepends on MODULES\n"
		 "config KERNEL_GZIP\n"
		 "\tbool \"gzip\"\n"
		 "config KERNEL_XZ\n"
		 "\tbool \"xz\"\n"
		 "endchoice\n"
		 "\n"
		 "comment \"Comments have dependencies of their own\"\n"
		 "\tdepends on NOT_PLAIN\n");
	put_file("src/arch/x86/Kconfig",
		 "config ONLY_ARCH\n"
		 "\tdef_bool y\n"
		 "\tdepends on X86_64\n");
	put_file("src/arch/arm/Kconfig",
		 "config ONLY_ARCH\n"
		 "\tdef_bool y\n"
		 "\tdepends on ARM_THING\n");
	put_file("src/scripts/kconfig/tests/choice/Kconfig",
		 "config SERIAL_8250_CONSOLE\n\tbool \"toy\"\n\tdepends on TOY\n");
}

static const char dotconfig_text[] =
	"#\n"
	"# Automatically generated file; DO NOT EDIT.\n"
	"# Linux/x86 6.1.176 Kernel Configuration\n"
	"#\n"
	"CONFIG_SERIAL_CORE=y\n"
	"CONFIG_LOG_SHIFT=17\n"
	"CONFIG_PCI=y\n"
	"CONFIG_MODULES=m\n"
	"CONFIG_PLAIN=y\n";

static int verify(const char *dotconfig_extra, const char *frag_text, const char *what,
		  const char *tree, char **err)
{
	char *text = xasprintf("%s%s", dotconfig_text, dotconfig_extra);
	put_file("build/.config", text);
	free(text);
	struct kconfig_set f;
	assert_int_equal(kconfig_parse(frag_text, "frag", &f), 0);
	char *dc = tpath("build/.config");
	char *src = tree[0] == '/' ? xstrdup(tree) : tpath(tree);
	capture();
	int rc = kconfig_verify(dc, &f, src, what);
	*err = captured();
	free(dc);
	free(src);
	kconfig_free(&f);
	return rc;
}

static void test_verify_ok(void **state)
{
	char *err;
	/* Requested values match; n matches absent and "is not set"; the
	 * tree is not even needed (and here does not exist yet). */
	assert_int_equal(verify("CONFIG_SERIAL_8250=y\n# CONFIG_GONE is not set\n",
				"CONFIG_SERIAL_8250=y\nCONFIG_LOG_SHIFT=17\nCONFIG_GONE=n\n"
				"# CONFIG_ABSENT is not set\nCONFIG_PCI=y\n", "kernel", "nosrc", &err), 0);
	assert_string_equal(err, "");
	free(err);
}

static void test_verify_no_tree(void **state)
{
	char *err;
	char *src = tpath("nosrc");
	assert_int_equal(verify("", "CONFIG_NOPE=y\n", "kernel", "nosrc", &err), -1);
	char *want = xasprintf("mkdistro: read '%s': No such file or directory\n"
			       "mkdistro: kernel option CONFIG_NOPE=y was dropped (now: not set): "
			       "no such option in this version\n", src);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(src);
}

static void test_verify_depends(void **state)
{
	char *err;
	make_tree();
	assert_int_equal(verify("# CONFIG_SERIAL_8250 is not set\n",
				"CONFIG_SERIAL_8250_CONSOLE=y\n", "kernel", "src", &err), 1);
	assert_string_equal(err,
		"mkdistro: kernel option CONFIG_SERIAL_8250_CONSOLE=y was dropped (now: not set): "
		"it depends on SERIAL_8250=y (SERIAL_8250 is not set)\n");
	free(err);
}

static void test_verify_reasons(void **state)
{
	char *err;
	make_tree();
	int rc = verify("CONFIG_SERIAL_8250=y\nCONFIG_VT=n\nCONFIG_LONG=m\nCONFIG_KERNEL_GZIP=y\n",
			"CONFIG_SERIAL_CORE=n\n"   /* selected by SERIAL_8250 */
			"CONFIG_VT=y\n"            /* inside if TTY */
			"CONFIG_FOO_A=y\n"         /* inside a menu with depends on */
			"CONFIG_LOG_SHIFT=30\n"    /* out of range */
			"CONFIG_LONG=y\n"          /* continued line, two depends */
			"CONFIG_ONLY_ARCH=y\n"     /* x86 only: arm's definition ignored */
			"CONFIG_PLAIN=n\n"         /* nothing to explain */
			"CONFIG_NOT_THERE=m\n"
			"CONFIG_NOT_PLAIN=y\n"     /* named only by a comment's depends */
			"CONFIG_KERNEL_XZ=y\n"     /* the choice depends on MODULES, only m */
			"CONFIG_KERNEL_GZIP=m\n",  /* m is enough for the choice */
			"kernel", "src", &err);
	assert_int_equal(rc, 11);
	assert_string_equal(err,
		"mkdistro: kernel option CONFIG_SERIAL_CORE=n was overridden (now: y): it is selected by SERIAL_8250\n"
		"mkdistro: kernel option CONFIG_VT=y was dropped (now: not set): it depends on TTY && !UML (TTY is not set)\n"
		"mkdistro: kernel option CONFIG_FOO_A=y was dropped (now: not set): it depends on HAS_FOO (HAS_FOO is not set)\n"
		"mkdistro: kernel option CONFIG_LOG_SHIFT=30 was changed (now: 17): its allowed range is 12 25\n"
		"mkdistro: kernel option CONFIG_LONG=y was changed (now: m): it depends on "
		"(PCI && (X86 || COMPILE_TEST)) && MODULES (X86 is not set, COMPILE_TEST is not set, MODULES=m)\n"
		"mkdistro: kernel option CONFIG_ONLY_ARCH=y was dropped (now: not set): "
		"it depends on X86_64 (X86_64 is not set)\n"
		"mkdistro: kernel option CONFIG_PLAIN=n was overridden (now: y): "
		"see its definition at drivers/tty/serial/8250/Kconfig:45\n"
		"mkdistro: kernel option CONFIG_NOT_THERE=m was dropped (now: not set): no such option in this version\n"
		"mkdistro: kernel option CONFIG_NOT_PLAIN=y was dropped (now: not set): no such option in this version\n"
		"mkdistro: kernel option CONFIG_KERNEL_XZ=y was dropped (now: not set): "
		"it depends on MODULES (MODULES=m)\n"
		"mkdistro: kernel option CONFIG_KERNEL_GZIP=m was changed (now: y): "
		"it is one option of a choice; the choice decides which is set\n");
	free(err);
}

static void test_verify_no_prompt_and_busybox(void **state)
{
	char *err;
	/* BusyBox: the top Config.in in the source tree, the rest generated
	 * into the O= directory, whose Makefile names the source tree. */
	put_file("bbsrc/Config.in",
		 "menu \"Settings\"\n"
		 "config STATIC\n"
		 "\tbool \"Build static binary (no shared libs)\"\n"
		 "\tdefault n\n"
		 "\tdepends on !PIE\n"
		 "\thelp\n"
		 "\tIf you want to build a static binary...\n"
		 "\tendmenu and depends on NOT_A_DEP: help text, indented like BusyBox's\n"
		 "endmenu\n");
	put_file("bbobj/shell/Config.in",
		 "config HIDDEN\n"
		 "\tdef_bool n\n");
	char *src = tpath("bbsrc");
	char *mk = xasprintf("# Automatically generated by %s/scripts/mkmakefile: don't edit\n"
			     "KERNELSRC    := %s\n"
			     "KERNELOUTPUT := %s/bbobj\n", src, src, tmpdir);
	put_file("bbobj/Makefile", mk);
	free(mk);
	free(src);
	const char *want =
		"mkdistro: BusyBox option CONFIG_STATIC=y was dropped (now: not set): it depends on !PIE (PIE=y)\n"
		"mkdistro: BusyBox option CONFIG_HIDDEN=y was dropped (now: not set): "
		"it has no prompt, so only a default or a select can set it\n";
	assert_int_equal(verify("CONFIG_PIE=y\n", "CONFIG_STATIC=y\nCONFIG_HIDDEN=y\n", "BusyBox",
				"bbobj", &err), 2);
	assert_string_equal(err, want);
	free(err);

	/* The same with both directories named. */
	char *both = xasprintf("%s/bbsrc:%s/bbobj", tmpdir, tmpdir);
	assert_int_equal(verify("CONFIG_PIE=y\n", "CONFIG_STATIC=y\nCONFIG_HIDDEN=y\n", "BusyBox",
				both, &err), 2);
	assert_string_equal(err, want);
	free(err);
	free(both);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_parse_good, uncapture),
		cmocka_unit_test_teardown(test_parse_override_warns, uncapture),
		cmocka_unit_test_teardown(test_parse_bad, uncapture),
		cmocka_unit_test_teardown(test_parse_file, uncapture),
		cmocka_unit_test_teardown(test_many_and_merge, uncapture),
		cmocka_unit_test_teardown(test_apply, uncapture),
		cmocka_unit_test_teardown(test_verify_ok, uncapture),
		cmocka_unit_test_teardown(test_verify_no_tree, uncapture),
		cmocka_unit_test_teardown(test_verify_depends, uncapture),
		cmocka_unit_test_teardown(test_verify_reasons, uncapture),
		cmocka_unit_test_teardown(test_verify_no_prompt_and_busybox, uncapture),
		cmocka_unit_test_teardown(test_minimal, uncapture),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
