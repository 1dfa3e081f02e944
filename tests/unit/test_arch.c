/* Tests for the architecture table: every entry is complete and
 * consistent with itself (the console's and the FPU's kernel options are
 * requested, the image is what the make target builds), and the names,
 * directories and package lists derived from it, and the host's entry
 * (from uname). */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch.h"
#include "util.h"

/* SYM (no "=y") is requested as "SYM=y" in the entry's kconfig text. */
static int requests(const struct arch *a, const char *sym, size_t len)
{
	char *want = xasprintf("%.*s=y\n", (int)len, sym);
	const char *p = a->kconfig;
	int found = 0;
	for (; p && *p; p += strcspn(p, "\n") + 1) {
		if (!strncmp(p, want, strlen(want))) {
			found = 1;
			break;
		}
		if (!p[strcspn(p, "\n")])
			break;
	}
	free(want);
	return found;
}

static void test_entries_complete(void **state)
{
	const struct arch *a;
	size_t n = 0;
	for (size_t i = 0; (a = arch_at(i)); i++, n++) {
		const char *fields[] = { a->name, a->kernel_arch, a->kernel_target, a->kernel_image,
					 a->cross_prefix, a->musl_target, a->musl_loader, a->console,
					 a->console_kconfig, a->kconfig, a->qemu, a->qemu_pkg,
					 a->qemu_machine };
		for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
			if (!fields[k])
				fail_msg("%s: field %zu is missing", a->name ? a->name : "?", k);
		/* The host's own compiler only for the default; every other
		 * one names its prefix and Debian package. */
		if (a == arch_default()) {
			assert_string_equal(a->cross_prefix, "");
		} else {
			assert_non_null(a->cross_pkg);
			assert_true(strlen(a->cross_prefix) > 1);
			assert_int_equal(a->cross_prefix[strlen(a->cross_prefix) - 1], '-');
			assert_non_null(strstr(a->cross_pkg, "gcc-"));
		}
		/* The image is the file the make target produces. */
		const char *base = strrchr(a->kernel_image, '/');
		assert_string_equal(base ? base + 1 : a->kernel_image, a->kernel_target);
		assert_true(!strncmp(a->musl_loader, "/lib/ld-musl-", 13));
		assert_true(!strncmp(a->qemu, "qemu-system-", 12));
		assert_true(a->elf_machine > 0);
		assert_ptr_equal(arch_find(a->name), a);
	}
	assert_true(n >= 8);
	assert_null(arch_find("pdp11"));
	assert_null(arch_at(n));
}

/* What the console and the programs' float ABI need is asked of the
 * kernel: else lint would reject every build of that architecture. */
static void test_needs_requested(void **state)
{
	const struct arch *a;
	for (size_t i = 0; (a = arch_at(i)); i++) {
		for (const char *p = a->console_kconfig; *p;) {
			size_t len = strcspn(p, "\n");
			if (!requests(a, p, len))
				fail_msg("%s: console option %.*s is not in its kconfig", a->name,
					 (int)len, p);
			p += len + (p[len] == '\n');
		}
		for (size_t k = 0; k < ARCH_MAX_NEEDS && a->abi_needs[k].symbol; k++) {
			const char *sym = a->abi_needs[k].symbol;
			if (!requests(a, sym, strlen(sym)))
				fail_msg("%s: %s is not in its kconfig", a->name, sym);
			assert_non_null(a->abi_needs[k].why);
		}
		/* 32-bit user space on a 32-bit kernel: musl's time32 calls. */
		int time32 = 0;
		for (size_t k = 0; k < ARCH_MAX_NEEDS && a->abi_needs[k].symbol; k++)
			time32 |= !strcmp(a->abi_needs[k].symbol, "CONFIG_COMPAT_32BIT_TIME");
		if (!a->elf_class64 && strcmp(a->name, "x32") && !time32)
			fail_msg("%s: 32-bit, but COMPAT_32BIT_TIME is not among its needs", a->name);
		/* Every line is CONFIG_X=value. */
		for (const char *p = a->kconfig; *p; p += strcspn(p, "\n") + 1) {
			assert_true(!strncmp(p, "CONFIG_", 7));
			assert_non_null(memchr(p, '=', strcspn(p, "\n")));
			if (!p[strcspn(p, "\n")])
				break;
		}
	}
}

static void test_unique_names(void **state)
{
	const struct arch *a, *b;
	for (size_t i = 0; (a = arch_at(i)); i++)
		for (size_t j = i + 1; (b = arch_at(j)); j++)
			if (!strcmp(a->name, b->name))
				fail_msg("'%s' twice in the table", a->name);
	char *names = arch_names();
	assert_true(!strncmp(names, "x86_64, i686, aarch64, ", 23));
	free(names);
}

/* No two entries have the same ELF files (a kernel's ELF header names
 * one target), and each is found by its own. */
static void test_find_elf(void **state)
{
	const struct arch *a;
	for (size_t i = 0; (a = arch_at(i)); i++)
		if (arch_find_elf(a->elf_machine, a->elf_class64, a->elf_msb) != a)
			fail_msg("%s: its ELF machine, class and byte order find another entry", a->name);
	assert_ptr_equal(arch_find_elf(EM_MIPS, 0, 1), arch_find("mips"));
	assert_null(arch_find_elf(EM_MIPS, 1, 1));
	assert_null(arch_find_elf(EM_LOONGARCH, 1, 0));
}

static void test_dirs_and_packages(void **state)
{
	char *d = arch_build_dir(arch_default());
	assert_string_equal(d, "build");
	free(d);
	d = arch_out_dir(arch_default());
	assert_string_equal(d, "out");
	free(d);
	d = arch_build_dir(arch_find("riscv64"));
	assert_string_equal(d, "build-riscv64");
	free(d);
	d = arch_out_dir(arch_find("riscv64"));
	assert_string_equal(d, "out-riscv64");
	free(d);
	char *p = arch_packages(arch_find("riscv64"));
	assert_string_equal(p, "gcc-riscv64-linux-gnu qemu-system-misc opensbi");
	free(p);
	p = arch_packages(arch_default());
	assert_string_equal(p, "gcc qemu-system-x86");
	free(p);
}

/* The machine uname(2) reports to the code under test, or NULL for the
 * real one: this definition takes the place of the C library's. */
static const char *fake_machine;

int uname(struct utsname *u)
{
	if (syscall(SYS_uname, u) < 0)
		return -1;
	if (fake_machine)
		snprintf(u->machine, sizeof(u->machine), "%s", fake_machine);
	return 0;
}

/* The host is what uname says, in the table's names, not always x86_64;
 * a machine with no entry has none (KVM then runs no target). */
static void test_host_from_uname(void **state)
{
	static const char *const cases[][2] = {
		{ "x86_64", "x86_64" },   { "i686", "i686" },   { "i586", "i686" },
		{ "aarch64", "aarch64" }, { "armv7l", "arm" },  { "riscv64", "riscv64" },
		{ "ppc64le", "ppc64le" }, { "s390x", "s390x" }, { "m68k", "m68k" },
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		{ "mips", "mipsel" },     { "mips64", "mips64el" },
#endif
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake_machine = cases[i][0];
		const struct arch *a = arch_host();
		if (!a || strcmp(a->name, cases[i][1]))
			fail_msg("uname '%s': host '%s', expected '%s'", cases[i][0], a ? a->name : "none",
				 cases[i][1]);
	}
	fake_machine = "sparc64";
	assert_null(arch_host());
	fake_machine = "ppc64"; /* big-endian: the table has only ppc64le */
	assert_null(arch_host());
	/* The default target stays x86_64 wherever mkdistro runs. */
	fake_machine = "aarch64";
	assert_string_equal(arch_default()->name, "x86_64");
	fake_machine = NULL;
}

/* The console's driver: the architecture's own for its kind of device
 * (riscv64's ttyS needs the device-tree glue too), the generic one for
 * another device, none for a name nobody knows. */
static void test_console_symbols(void **state)
{
	const struct arch *x86 = arch_find("x86_64"), *rv = arch_find("riscv64");
	assert_string_equal(arch_console_symbols(x86, "ttyS0"), x86->console_kconfig);
	assert_string_equal(arch_console_symbols(x86, "ttyS1"),
			    "CONFIG_SERIAL_8250\nCONFIG_SERIAL_8250_CONSOLE\n");
	assert_string_equal(arch_console_symbols(rv, "ttyS2"), rv->console_kconfig);
	assert_non_null(strstr(rv->console_kconfig, "CONFIG_SERIAL_OF_PLATFORM\n"));
	assert_string_equal(arch_console_symbols(x86, "ttyAMA0"),
			    "CONFIG_SERIAL_AMBA_PL011\nCONFIG_SERIAL_AMBA_PL011_CONSOLE\n");
	assert_string_equal(arch_console_symbols(x86, "ttynull"), "CONFIG_NULL_TTY\n");
	assert_string_equal(arch_console_symbols(x86, "tty1"), "CONFIG_VT\nCONFIG_VT_CONSOLE\n");
	assert_string_equal(arch_console_symbols(x86, "hvc0"), "CONFIG_HVC_DRIVER\n");
	assert_string_equal(arch_console_symbols(arch_find("ppc64le"), "hvc0"),
			    "CONFIG_HVC_CONSOLE\n");
	assert_null(arch_console_symbols(x86, "ttyXYZ0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries_complete),
		cmocka_unit_test(test_needs_requested),
		cmocka_unit_test(test_unique_names),
		cmocka_unit_test(test_find_elf),
		cmocka_unit_test(test_dirs_and_packages),
		cmocka_unit_test(test_host_from_uname),
		cmocka_unit_test(test_console_symbols),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
