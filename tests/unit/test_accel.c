/* Tests for accel: the accelerator's overrides (the KVM probe itself boots
 * a kernel: the end-to-end tests' business). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "accel.h"
#include "arch.h"

static struct boot test_boot(void)
{
	struct boot b = {
		.arch = arch_find("x86_64"),
		.kernel = "/o/vmlinuz",
		.initrd = "/o/initrd.img",
	};
	return b;
}

static void test_accel_overrides(void **state)
{
	struct boot b = test_boot();
	b.accel = "tcg";
	setenv("MKDISTRO_ACCEL", "kvm", 1);
	assert_string_equal(accel_choose(&b), "tcg");
	b.accel = NULL;
	assert_string_equal(accel_choose(&b), "kvm");
	setenv("MKDISTRO_ACCEL", "tcg", 1);
	assert_string_equal(accel_choose(&b), "tcg");
	/* No kernel to probe with: nothing is run, TCG it is. */
	setenv("MKDISTRO_ACCEL", "bogus", 1);
	b.kernel = NULL;
	assert_string_equal(accel_choose(&b), "tcg");
	unsetenv("MKDISTRO_ACCEL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accel_overrides),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
