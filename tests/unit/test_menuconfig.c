/* Tests for menuconfig: the command that opens each component's
 * menuconfig (the kernel's with the target's compiler, from build's one
 * kernel make line) and the fragment written back from the changes,
 * sorted, one symbol per line. Nothing is built and no terminal is used. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "build.h"
#include "config.h"
#include "menuconfig.h"
#include "testbuild.h"
#include "testutil.h"
#include "util.h"

static int has_arg(char **argv, const char *arg)
{
	for (size_t i = 0; argv[i]; i++)
		if (!strcmp(argv[i], arg))
			return 1;
	return 0;
}

/* For a cross target the kernel's menuconfig gets the cross compiler:
 * its Kconfig asks the compiler (CC_VERSION_TEXT, GCC_VERSION, ...), and
 * with the host's gcc those symbols would change and land in the user's
 * fragment. It is build's kernel make line, word for word. */
static void test_kernel_command_cross(void **state)
{
	struct build *b = buildfx_build(*state, "[system]\narch = aarch64\n");
	char *cwd = (char *)"unset";
	char **argv = menuconfig_command(b, "kernel", &cwd);
	assert_non_null(argv);
	assert_null(cwd);
	char *obj = build_objdir(b, BUILD_KERNEL);
	char *o = xasprintf("O=%s", obj);
	assert_true(has_arg(argv, "ARCH=arm64"));
	assert_true(has_arg(argv, "CROSS_COMPILE=aarch64-linux-gnu-"));
	assert_true(has_arg(argv, o));
	assert_true(has_arg(argv, "menuconfig"));
	char **want = build_kernel_make(b, obj, "menuconfig", NULL);
	size_t i = 0;
	for (; want[i] && argv[i]; i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(want[i]);
	assert_null(argv[i]);
	build_argv_free(want);
	build_argv_free(argv);
	free(o);
	free(obj);
}

/* BusyBox's Kconfig asks no compiler: make menuconfig in its object
 * directory. */
static void test_busybox_command(void **state)
{
	struct build *b = buildfx_build(*state, "[system]\narch = aarch64\n");
	char *cwd = NULL;
	char **argv = menuconfig_command(b, "busybox", &cwd);
	assert_non_null(argv);
	char *obj = build_objdir(b, BUILD_BUSYBOX);
	assert_string_equal(cwd, obj);
	assert_string_equal(argv[0], "make");
	assert_string_equal(argv[1], "menuconfig");
	assert_null(argv[2]);
	build_argv_free(argv);
	free(cwd);
	free(obj);
}

static void test_unknown_component(void **state)
{
	struct build *b = buildfx_build(*state, "");
	char *cwd = (char *)"unset";
	struct capture c;
	capture_start(&c, 2);
	char **argv = menuconfig_command(b, "glibc", &cwd);
	char *err = capture_end(&c);
	assert_null(argv);
	assert_null(cwd);
	assert_string_equal(err, "mkdistro: unknown component 'glibc': use kernel or busybox\n");
	free(err);
}

/* The fragment FILE after writing back the changes CHANGES (fragment
 * text); new memory. */
static char *written_back(const char *file, const char *changes)
{
	struct kconfig_set c = {0};
	assert_int_equal(kconfig_parse(changes, "changes", &c), 0);
	assert_int_equal(menuconfig_write_back(file, &c), 0);
	kconfig_free(&c);
	char *text = read_file(file, NULL);
	assert_non_null(text);
	return text;
}

/* Changed symbols go into the fragment over what it had, every symbol
 * once, sorted, "n" written as "is not set". */
static void test_write_back_merges_sorted(void **state)
{
	static const char want[] = "# CONFIG_AIO is not set\n"
				   "# CONFIG_BLK_DEV is not set\n"
				   "CONFIG_CMDLINE=\"quiet splash\"\n"
				   "CONFIG_LOG_BUF_SHIFT=14\n"
				   "CONFIG_MODULES=y\n"
				   "CONFIG_ZRAM=y\n";
	static const char frag[] = "# my options\n"
				   "CONFIG_ZRAM=y\n"
				   "CONFIG_BLK_DEV=y\n"
				   "# CONFIG_MODULES is not set\n"
				   "CONFIG_LOG_BUF_SHIFT=14\n";
	assert_int_equal(write_file_atomic("kernel.fragment", frag, strlen(frag), 0644), 0);
	char *text = written_back("kernel.fragment", "CONFIG_BLK_DEV=n\n"
						     "CONFIG_MODULES=y\n"
						     "CONFIG_CMDLINE=\"quiet splash\"\n"
						     "# CONFIG_AIO is not set\n");
	assert_string_equal(text, want);
	free(text);
	/* The same changes again change nothing. */
	text = written_back("kernel.fragment", "CONFIG_MODULES=y\n");
	assert_string_equal(text, want);
	free(text);
}

/* A fragment file named in the configuration but not there yet is made. */
static void test_write_back_new_file(void **state)
{
	char *text = written_back("busybox.fragment", "# CONFIG_DESKTOP is not set\nCONFIG_ASH=y\n");
	assert_string_equal(text, "CONFIG_ASH=y\n# CONFIG_DESKTOP is not set\n");
	free(text);
}

/* A fragment that does not parse is left as it is, with its line named. */
static void test_write_back_bad_fragment(void **state)
{
	static const char bad[] = "CONFIG_OK=y\nnot a symbol\n";
	assert_int_equal(write_file_atomic("bad.fragment", bad, strlen(bad), 0644), 0);
	struct kconfig_set c = {0};
	assert_int_equal(kconfig_parse("CONFIG_X=y\n", "changes", &c), 0);
	struct capture cap;
	capture_start(&cap, 2);
	int rc = menuconfig_write_back("bad.fragment", &c);
	char *err = capture_end(&cap);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "bad.fragment:2"));
	free(err);
	kconfig_free(&c);
	char *text = read_file("bad.fragment", NULL);
	assert_string_equal(text, bad);
	free(text);
}

int main(void)
{
#define T(test) cmocka_unit_test_setup_teardown(test, buildfx_setup, buildfx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_kernel_command_cross),
		T(test_busybox_command),
		T(test_unknown_component),
		T(test_write_back_merges_sorted),
		T(test_write_back_new_file),
		T(test_write_back_bad_fragment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
