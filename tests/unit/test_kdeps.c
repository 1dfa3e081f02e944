/* Tests for kdeps.c: a small fake kernel tree and a BusyBox tree with
 * the Kconfig constructs the explanations have to understand, and the
 * messages compared exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kconfig.h"
#include "kdeps.h"
#include "testutil.h"
#include "util.h"

/* A small fake kernel tree with the constructs verify has to understand. */
static void make_tree(void)
{
	write_test_file(testdir_group.path, "src/Kconfig",
		 "mainmenu \"Fake $(KERNELVERSION) Kernel Configuration\"\n"
		 "source \"drivers/Kconfig\"\n"
		 "config MODULES\n"
		 "\tbool \"Enable loadable module support\"\n");
	write_test_file(testdir_group.path, "src/drivers/tty/serial/8250/Kconfig",
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
	write_test_file(testdir_group.path, "src/arch/x86/Kconfig",
		 "config ONLY_ARCH\n"
		 "\tdef_bool y\n"
		 "\tdepends on X86_64\n");
	write_test_file(testdir_group.path, "src/arch/arm/Kconfig",
		 "config ONLY_ARCH\n"
		 "\tdef_bool y\n"
		 "\tdepends on ARM_THING\n");
	write_test_file(testdir_group.path, "src/scripts/kconfig/tests/choice/Kconfig",
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
	write_test_file(testdir_group.path, "build/.config", text);
	free(text);
	struct kconfig_set f;
	assert_int_equal(kconfig_parse(frag_text, "frag", &f), 0);
	char *dc = path_join(testdir_group.path, "build/.config");
	char *src = tree[0] == '/' ? xstrdup(tree) : path_join(testdir_group.path, tree);
	struct capture c;
	capture_start(&c, 2);
	int rc = kdeps_verify(dc, &f, src, what);
	*err = capture_end(&c);
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
	char *src = path_join(testdir_group.path, "nosrc");
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
	write_test_file(testdir_group.path, "bbsrc/Config.in",
		 "menu \"Settings\"\n"
		 "config STATIC\n"
		 "\tbool \"Build static binary (no shared libs)\"\n"
		 "\tdefault n\n"
		 "\tdepends on !PIE\n"
		 "\thelp\n"
		 "\tIf you want to build a static binary...\n"
		 "\tendmenu and depends on NOT_A_DEP: help text, indented like BusyBox's\n"
		 "endmenu\n");
	write_test_file(testdir_group.path, "bbobj/shell/Config.in",
		 "config HIDDEN\n"
		 "\tdef_bool n\n");
	char *src = path_join(testdir_group.path, "bbsrc");
	char *mk = xasprintf("# Automatically generated by %s/scripts/mkmakefile: don't edit\n"
			     "KERNELSRC    := %s\n"
			     "KERNELOUTPUT := %s/bbobj\n", src, src, testdir_group.path);
	write_test_file(testdir_group.path, "bbobj/Makefile", mk);
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
	char *both = xasprintf("%s/bbsrc:%s/bbobj", testdir_group.path, testdir_group.path);
	assert_int_equal(verify("CONFIG_PIE=y\n", "CONFIG_STATIC=y\nCONFIG_HIDDEN=y\n", "BusyBox",
				both, &err), 2);
	assert_string_equal(err, want);
	free(err);
	free(both);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_ok),
		cmocka_unit_test(test_verify_no_tree),
		cmocka_unit_test(test_verify_depends),
		cmocka_unit_test(test_verify_reasons),
		cmocka_unit_test(test_verify_no_prompt_and_busybox),
	};
	return cmocka_run_group_tests(tests, testdir_group_setup, testdir_group_teardown);
}
