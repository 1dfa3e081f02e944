/* Tests for bisect: every outcome of a bisection step and the exit status
 * git bisect run gets for it, --bad-on's words, and the system directory
 * a tree gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bisect.h"
#include "qemu.h"
#include "testutil.h"
#include "util.h"

static void test_classes(void **state)
{
	unsigned set = 0;
	assert_int_equal(bisect_parse_classes("all", &set), 0);
	assert_int_equal(set, BISECT_CLASS_ALL);
	assert_int_equal(bisect_parse_classes("panic,init", &set), 0);
	assert_int_equal(set, BISECT_CLASS_PANIC | BISECT_CLASS_INIT);
	assert_int_equal(bisect_parse_classes(" stall, timeout reboot", &set), 0);
	assert_int_equal(set, BISECT_CLASS_STALL | BISECT_CLASS_TIMEOUT | BISECT_CLASS_REBOOT);

	/* An unknown word is named with the known ones; *OUT is kept. */
	struct capture cap;
	capture_start(&cap, STDERR_FILENO);
	assert_int_equal(bisect_parse_classes("panic,oops", &set), -1);
	char *err = capture_end(&cap);
	assert_non_null(strstr(err, "'oops' is not a way a boot fails"));
	assert_non_null(strstr(err, "panic, init, stall, timeout, reboot"));
	free(err);
	assert_int_equal(set, BISECT_CLASS_STALL | BISECT_CLASS_TIMEOUT | BISECT_CLASS_REBOOT);
	capture_start(&cap, STDERR_FILENO);
	assert_int_equal(bisect_parse_classes(" , ", &set), -1);
	err = capture_end(&cap);
	assert_non_null(strstr(err, "name at least one"));
	free(err);
}

/* The verdict and the start of its line for O. */
static void expect(const struct bisect_outcome *o, unsigned bad_on, int status, const char *why)
{
	char line[256];
	assert_int_equal(bisect_verdict(o, bad_on, line, sizeof(line)), status);
	if (!strstr(line, why))
		fail_msg("'%s' does not say '%s'", line, why);
}

static void test_verdicts(void **state)
{
	/* Not built: skip, whatever else. */
	expect(&(struct bisect_outcome){ .built = 0, .status = 3 }, BISECT_CLASS_ALL, BISECT_SKIP,
	       "skip: the commit does not build");
	/* Booted. */
	expect(&(struct bisect_outcome){ .built = 1 }, BISECT_CLASS_ALL, BISECT_GOOD,
	       "good: it builds and boots");
	expect(&(struct bisect_outcome){ .built = 1, .command = 1 }, BISECT_CLASS_ALL, BISECT_GOOD,
	       "and the command exited 0");
	expect(&(struct bisect_outcome){ .built = 1, .tests = 1 }, BISECT_CLASS_ALL, BISECT_GOOD,
	       "every test script passed");
	expect(&(struct bisect_outcome){ .built = 1, .command = 1, .status = 2 }, BISECT_CLASS_ALL,
	       BISECT_BAD, "bad: the guest command exited 2");
	/* A command exiting 125 or 255 is bad: only the tool skips. */
	expect(&(struct bisect_outcome){ .built = 1, .command = 1, .status = 125 }, 0, BISECT_BAD,
	       "exited 125");
	expect(&(struct bisect_outcome){ .built = 1, .tests = 1, .status = 1 }, BISECT_CLASS_ALL,
	       BISECT_BAD, "bad: 1 guest test script failed");
	expect(&(struct bisect_outcome){ .built = 1, .tests = 1, .status = 3 }, BISECT_CLASS_ALL,
	       BISECT_BAD, "3 guest test scripts failed");

	/* The kernel's failures: bad when counted, else skip. */
	static const struct {
		int failure, qemu_status;
		unsigned bit;
		const char *name;
	} kernel[] = {
		{ BOOT_PANIC, 0, BISECT_CLASS_PANIC, "(panic)" },
		{ BOOT_INIT, 0, BISECT_CLASS_INIT, "(init)" },
		{ BOOT_STALL, 137, BISECT_CLASS_STALL, "(stall)" },
		{ BOOT_TIMEOUT, 137, BISECT_CLASS_TIMEOUT, "(timeout)" },
		{ BOOT_QEMU_EXIT, 0, BISECT_CLASS_REBOOT, "(reboot)" },
	};
	for (size_t i = 0; i < sizeof(kernel) / sizeof(kernel[0]); i++) {
		struct bisect_outcome o = { .built = 1, .command = 1, .boot_failure = kernel[i].failure,
					    .qemu_status = kernel[i].qemu_status };
		expect(&o, BISECT_CLASS_ALL, BISECT_BAD, kernel[i].name);
		expect(&o, kernel[i].bit, BISECT_BAD, "bad: the boot failed");
		expect(&o, BISECT_CLASS_ALL & ~kernel[i].bit, BISECT_SKIP,
		       "which --bad-on does not count as bad");
	}
	/* The machine's or the tool's: skip, even with everything counted. */
	expect(&(struct bisect_outcome){ .built = 1, .boot_failure = BOOT_QEMU_START },
	       BISECT_CLASS_ALL, BISECT_SKIP, "skip: QEMU failed to start");
	expect(&(struct bisect_outcome){ .built = 1, .boot_failure = BOOT_ERROR }, BISECT_CLASS_ALL,
	       BISECT_SKIP, "not the kernel's");
	expect(&(struct bisect_outcome){ .built = 1, .boot_failure = BOOT_QEMU_EXIT,
					 .qemu_status = 128 + 9 },
	       BISECT_CLASS_ALL, BISECT_SKIP, "QEMU ended with status 137");
	/* The words --check names them with. */
	assert_string_equal(bisect_verdict_word(BISECT_GOOD), "good");
	assert_string_equal(bisect_verdict_word(BISECT_BAD), "bad");
	assert_string_equal(bisect_verdict_word(BISECT_SKIP), "skipped");
}

static void test_system_dir(void **state)
{
	char *a = bisect_system_dir("/c/bisect", "/home/u/src/linux");
	char *b = bisect_system_dir("/c/bisect", "/home/u/other/linux");
	char *a2 = bisect_system_dir("/c/bisect", "/home/u/src/linux");
	char *root = bisect_system_dir("/c/bisect", "/");
	assert_int_equal(strncmp(a, "/c/bisect/linux-", 16), 0);
	assert_int_equal(strlen(a), 16 + 12);
	assert_string_not_equal(a, b);
	assert_string_equal(a, a2);
	assert_int_equal(strncmp(root, "/c/bisect/tree-", 15), 0);
	free(a);
	free(b);
	free(a2);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_system_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
