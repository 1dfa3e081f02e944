/* Tests for toolchain: the specs file and wrapper written for a fake
 * sysroot, then (when the host has gcc) the wrapper used for real: headers
 * come from the sysroot and the kernel headers, the link line names only
 * the sysroot's start files and libraries and the musl loader, and a
 * program linked against a tiny fake libc in the sysroot runs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch.h"
#include "proc.h"
#include "testutil.h"
#include "toolchain.h"
#include "util.h"

struct fx {
	struct testdir dir;
	char *sysroot, *kheaders;
	const struct arch *arch;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	testdir_enter(&f->dir, "toolchain");
	f->sysroot = testdir_path(&f->dir, "sysroot");
	f->kheaders = testdir_path(&f->dir, "sysroot/usr/kernel-include");
	f->arch = arch_default();
	if (mkdir_p(f->kheaders, 0755) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testdir_leave(&f->dir);
	free(f->sysroot);
	free(f->kheaders);
	free(f);
	return 0;
}

static char *gcc_name(const struct fx *f)
{
	return xasprintf("%sgcc", f->arch->cross_prefix);
}

/* Skip tests that need the target's gcc when the host lacks it. */
static void need_gcc(const struct fx *f)
{
	char *gcc = gcc_name(f);
	int have = have_program(gcc);
	free(gcc);
	if (!have)
		skip();
}

static void test_files(void **state)
{
	struct fx *f = *state;

	assert_int_equal(toolchain_write(f->arch, f->sysroot, f->kheaders), 0);

	char *specs_path = path_join(f->sysroot, "musl-gcc.specs");
	char *specs = read_file(specs_path, NULL);
	assert_non_null(specs);
	char *inc = xasprintf("-isystem %s/usr/include ", f->sysroot);
	char *kinc = xasprintf("-isystem %s ", f->kheaders);
	char *crt = xasprintf("%s/usr/lib/crti.o", f->sysroot);
	char *libdir = xasprintf("-L%s/usr/lib", f->sysroot);
	char *loader = xasprintf("-dynamic-linker %s ", f->arch->musl_loader);
	assert_non_null(strstr(specs, inc));
	assert_non_null(strstr(specs, kinc));
	assert_non_null(strstr(specs, crt));
	assert_non_null(strstr(specs, libdir));
	assert_non_null(strstr(specs, loader));
	/* Not the host's headers or libc. */
	assert_non_null(strstr(specs, "-nostdinc"));
	assert_non_null(strstr(specs, "-nostdlib"));
	assert_null(strstr(specs, "ld-linux"));
	free(inc);
	free(kinc);
	free(crt);
	free(libdir);
	free(loader);
	free(specs);

	char *cc = toolchain_cc(f->sysroot);
	char *expect_cc = path_join(f->sysroot, "bin/cc");
	assert_string_equal(cc, expect_cc);
	free(expect_cc);
	struct stat st;
	assert_int_equal(stat(cc, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0111, 0111);
	char *wrapper = read_file(cc, NULL);
	assert_non_null(wrapper);
	assert_int_equal(strncmp(wrapper, "#!/bin/sh\n", 10), 0);
	char *gcc = gcc_name(f);
	char *call = xasprintf("exec %s -specs='%s' \"$@\"\n", gcc, specs_path);
	assert_non_null(strstr(wrapper, call));
	free(call);
	free(gcc);
	free(wrapper);

	/* Writing again (a rebuilt sysroot) gives the same files. */
	char *before = read_file(specs_path, NULL);
	assert_int_equal(toolchain_write(f->arch, f->sysroot, f->kheaders), 0);
	char *after = read_file(specs_path, NULL);
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* An architecture's own flags (ppc64le's long double) are on
	 * every compile, after the specs. */
	struct arch a = *f->arch;
	a.target_cflags = "-mlong-double-64";
	assert_int_equal(toolchain_write(&a, f->sysroot, f->kheaders), 0);
	wrapper = read_file(cc, NULL);
	gcc = gcc_name(f);
	call = xasprintf("exec %s -specs='%s' -mlong-double-64 \"$@\"\n", gcc, specs_path);
	assert_non_null(strstr(wrapper, call));
	free(call);
	free(gcc);
	free(wrapper);
	free(specs_path);
	free(cc);
}

static void test_write_fails(void **state)
{
	struct fx *f = *state;
	char *missing = path_join(f->dir.path, "no/such/sysroot");

	struct capture c;
	capture_start(&c, 2);
	int rc = toolchain_write(f->arch, missing, f->kheaders);
	free(capture_end(&c));
	assert_int_equal(rc, -1);
	assert_false(path_exists(missing));
	free(missing);
}

/* Run the wrapper with ARGS in the test directory; stdout and stderr
 * into OUT. Returns its exit status. */
static int run_cc(const struct fx *f, const char *args, struct buf *out)
{
	char *cc = toolchain_cc(f->sysroot);
	char *script = xasprintf("exec '%s' %s 2>&1", cc, args);
	char *argv[] = { "sh", "-c", script, NULL };
	int rc = proc_capture(argv, f->dir.path, NULL, out);
	free(script);
	free(cc);
	return rc;
}

/* Headers come from the sysroot (a fake <stdio.h>), the kernel headers
 * and gcc's own directory (<stddef.h>), never from /usr/include. */
static void test_headers(void **state)
{
	struct fx *f = *state;

	need_gcc(f);
	assert_int_equal(toolchain_write(f->arch, f->sysroot, f->kheaders), 0);
	write_test_file(f->sysroot, "usr/include/stdio.h", "#define FAKE_LIBC_HEADER 42\n");
	write_test_file(f->kheaders, "linux/mkdistro-test.h", "#define FAKE_KERNEL_HEADER 7\n");
	write_test_file(f->dir.path, "t.c",
	    "#include <stdio.h>\n"
	    "#include <linux/mkdistro-test.h>\n"
	    "#include <stddef.h>\n"
	    "int x = FAKE_LIBC_HEADER + FAKE_KERNEL_HEADER;\n"
	    "size_t y;\n"
	    "#ifdef __GLIBC__\n"
	    "#error glibc header seen\n"
	    "#endif\n");
	struct buf out = { 0 };
	int rc = run_cc(f, "-E -P t.c", &out);
	if (rc != 0)
		fail_msg("cc -E failed (%d):\n%s", rc, out.s ? out.s : "");
	assert_non_null(strstr(out.s, "int x = 42 + 7;"));
	buf_free(&out);

	/* A header only the host has is not found. */
	write_test_file(f->dir.path, "u.c", "#include <gnu/libc-version.h>\n");
	rc = run_cc(f, "-E u.c", &out);
	assert_true(rc != 0);
	assert_non_null(strstr(out.s, "gnu/libc-version.h"));
	buf_free(&out);
}

static void test_link_line(void **state)
{
	struct fx *f = *state;

	need_gcc(f);
	assert_int_equal(toolchain_write(f->arch, f->sysroot, f->kheaders), 0);
	write_test_file(f->dir.path, "t.o", "");
	struct buf out = { 0 };
	/* -### prints the commands without running them. */
	int rc = run_cc(f, "-### t.o -o t", &out);
	if (rc != 0)
		fail_msg("cc -### failed (%d):\n%s", rc, out.s ? out.s : "");
	char *loader = xasprintf("-dynamic-linker %s ", f->arch->musl_loader);
	char *start = xasprintf(" %s/usr/lib/Scrt1.o ", f->sysroot);
	char *crti = xasprintf(" %s/usr/lib/crti.o ", f->sysroot);
	char *crtn = xasprintf(" %s/usr/lib/crtn.o", f->sysroot);
	char *libdir = xasprintf(" -L%s/usr/lib ", f->sysroot);
	const char *want[] = { loader, start, crti, crtn, libdir, " -nostdlib" };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(out.s, want[i]))
			fail_msg("'%s' not in the link line:\n%s", want[i], out.s);
	/* Nothing of the host's C library. */
	const char *unwanted[] = { "ld-linux", "/usr/lib/x86_64-linux-gnu/crt", "-L/usr/lib/x86_64-linux-gnu",
				   "-L/lib/x86_64-linux-gnu", "libc.so" };
	for (size_t i = 0; i < sizeof(unwanted) / sizeof(unwanted[0]); i++)
		if (strstr(out.s, unwanted[i]))
			fail_msg("'%s' in the link line:\n%s", unwanted[i], out.s);
	free(loader);
	free(start);
	free(crti);
	free(crtn);
	free(libdir);
	buf_free(&out);
}

static int host_run(const struct fx *f, const char *script)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	char *log = path_join(f->dir.path, "host.log");
	int rc = proc_run(argv, f->dir.path, log, NULL);
	free(log);
	return rc;
}

/* A whole program compiled and linked by the wrapper against a fake C
 * library in the sysroot (x86-64 host and target only: the fake start
 * file makes the exit system call itself). It can only link if -lc and
 * the start files come from the sysroot. */
static void test_link_and_run(void **state)
{
	struct fx *f = *state;

	need_gcc(f);
#if !defined(__x86_64__)
	skip();
#endif
	if (strcmp(f->arch->name, "x86_64") || !have_program("ar"))
		skip();
	assert_int_equal(toolchain_write(f->arch, f->sysroot, f->kheaders), 0);
	write_test_file(f->dir.path, "fake/start.c",
	    "int main(void);\n"
	    "void _start(void)\n"
	    "{\n"
	    "\tlong r = main();\n"
	    "\t__asm__ volatile(\"syscall\" : : \"a\"(60L), \"D\"(r));\n"
	    "\tfor (;;)\n"
	    "\t\t;\n"
	    "}\n");
	write_test_file(f->dir.path, "fake/empty.c", "typedef int nothing;\n");
	write_test_file(f->dir.path, "fake/libc.c", "int fake_libc_marker(void) { return 42; }\n");
	/* Built with the host's own gcc, as musl's build would be. */
	char *script = xasprintf("set -e; cd fake; L='%s/usr/lib'; mkdir -p \"$L\"; "
				 "F='-fPIC -fno-stack-protector -O1'; "
				 "gcc $F -c start.c -o \"$L/Scrt1.o\"; "
				 "gcc $F -c empty.c -o \"$L/crti.o\"; "
				 "gcc $F -c empty.c -o \"$L/crtn.o\"; "
				 "gcc $F -c libc.c -o libc.o; ar rcs \"$L/libc.a\" libc.o",
				 f->sysroot);
	assert_int_equal(host_run(f, script), 0);
	free(script);
	write_test_file(f->dir.path, "prog.c",
	    "int fake_libc_marker(void);\n"
	    "int main(void) { return fake_libc_marker(); }\n");

	struct buf out = { 0 };
	int rc = run_cc(f, "-static -fno-stack-protector prog.c -o prog", &out);
	if (rc != 0)
		fail_msg("static link failed (%d):\n%s", rc, out.s ? out.s : "");
	buf_free(&out);
	char *prog[] = { "./prog", NULL };
	assert_int_equal(proc_run(prog, f->dir.path, NULL, NULL), 42);

	/* A dynamic link asks for the musl loader. */
	rc = run_cc(f, "-fno-stack-protector prog.c -o dyn", &out);
	if (rc != 0)
		fail_msg("dynamic link failed (%d):\n%s", rc, out.s ? out.s : "");
	buf_free(&out);
	char *dyn = path_join(f->dir.path, "dyn");
	size_t len;
	char *bin = read_file(dyn, &len);
	assert_non_null(bin);
	assert_non_null(memmem(bin, len, f->arch->musl_loader, strlen(f->arch->musl_loader) + 1));
	assert_null(memmem(bin, len, "ld-linux", 8));
	free(bin);
	free(dyn);
}

static void test_env(void **state)
{
	struct fx *f = *state;
	char *text = toolchain_env(f->arch, f->sysroot);
	char *cc = toolchain_cc(f->sysroot);

	/* What a shell makes of it. */
	char *argv[] = { "sh", "-c",
			 "eval \"$1\"; printf '%s|%s|%s|%s|%s' \"$CC\" \"$SYSROOT\" \"$ARCH\" \"$LDFLAGS\" \"$CFLAGS\"",
			 "sh", text, NULL };
	struct buf out = { 0 };
	assert_int_equal(proc_capture(argv, NULL, NULL, &out), 0);
	char *expect = xasprintf("%s|%s|%s|-static|", cc, f->sysroot, f->arch->name);
	assert_int_equal(strncmp(out.s, expect, strlen(expect)), 0);
	free(expect);
	buf_free(&out);
	free(cc);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_and_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
