/* Tests for build's step table and layout, without building anything:
 * the steps and what each needs, the outputs each declares, where each
 * part is built, the kernel's make line per architecture, and the
 * environment a build pins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "arch.h"
#include "build.h"
#include "config.h"
#include "srctree.h"
#include "testbuild.h"
#include "testutil.h"
#include "util.h"

static const struct step *find_step(const struct build *b, const char *name)
{
	for (size_t i = 0; i < b->plan.n; i++)
		if (!strcmp(b->plan.steps[i].name, name))
			return &b->plan.steps[i];
	return NULL;
}

/* The pipeline: every step, in order, with what it needs. */
static void test_steps_and_deps(void **state)
{
	struct build *b = buildfx_build(*state, "");
	static const char *const want[][3] = {
		{ "source:linux" },
		{ "source:musl" },
		{ "source:busybox" },
		{ "kconfig", "source:linux" },
		{ "kernel", "kconfig" },
		{ "headers", "source:linux" },
		{ "musl", "source:musl" },
		{ "toolchain", "musl", "headers" },
		{ "bbconfig", "source:busybox" },
		{ "busybox", "bbconfig", "toolchain" },
		{ "programs", "toolchain" },
		{ "rootfs", "busybox", "programs" },
		{ "initramfs", "rootfs" },
		{ "modules", "kernel" },
		{ "initrd", "initramfs", "modules" },
		{ "all", "kernel", "initrd" },
	};
	size_t n = sizeof(want) / sizeof(want[0]);
	assert_int_equal(b->plan.n, n);
	for (size_t i = 0; i < n; i++) {
		const struct step *s = &b->plan.steps[i];
		assert_string_equal(s->name, want[i][0]);
		size_t d = 0;
		for (; d < 2 && want[i][d + 1]; d++) {
			if (!s->deps[d] || strcmp(s->deps[d], want[i][d + 1]))
				fail_msg("step '%s': dep %zu is '%s', expected '%s'", s->name, d,
					 s->deps[d] ? s->deps[d] : "none", want[i][d + 1]);
			/* Deps come before the steps that need them. */
			assert_true(find_step(b, s->deps[d]) < s);
		}
		assert_null(s->deps[d]);
		/* Only "all" does no work of its own. */
		assert_true(!s->run == !strcmp(s->name, "all"));
	}
	assert_int_equal(b->plan.jobs, 2);
	char *stamps = path_join(b->builddir, "stamps");
	assert_string_equal(b->plan.stampdir, stamps);
	free(stamps);
}

/* With a kernel image the user gives, the plan has no kernel steps and
 * ends at the initramfs, whose steps keep their keys: going from one to
 * the other rebuilds nothing. */
static void test_plan_for_given_image(void **state)
{
	struct buildfx *f = *state;
	struct build *b = buildfx_build(f, "");
	plan_keys(&b->plan);
	size_t n = b->plan.n;
	char (*keys)[SHA256_HEX_LEN + 1] = xcalloc(n, sizeof(*keys));
	const char **names = xcalloc(n, sizeof(*names));
	for (size_t i = 0; i < n; i++) {
		memcpy(keys[i], b->plan.steps[i].key, sizeof(keys[i]));
		names[i] = b->plan.steps[i].name;
	}

	write_test_file(f->dir.path, "boot/vmlinuz", "a kernel image\n");
	b = buildfx_build(f, "[linux]\nimage = boot/vmlinuz\n");
	plan_keys(&b->plan);
	assert_int_equal(b->plan.n, n - 3);
	assert_null(find_step(b, "kconfig"));
	assert_null(find_step(b, "kernel"));
	assert_null(find_step(b, "all"));
	/* The rest in the same order, with the same keys, but for the
	 * modules, which need no kernel step for an image, and the initrd
	 * made with them. */
	for (size_t i = 0, k = 0; i < n; i++) {
		if (!strcmp(names[i], "kconfig") || !strcmp(names[i], "kernel") ||
		    !strcmp(names[i], "all"))
			continue;
		assert_string_equal(b->plan.steps[k].name, names[i]);
		if (strcmp(names[i], "modules") && strcmp(names[i], "initrd"))
			assert_string_equal(b->plan.steps[k].key, keys[i]);
		k++;
	}
	assert_null(find_step(b, "modules")->deps[0]);
	assert_string_equal(b->plan.steps[b->plan.n - 1].name, "initrd");
	/* The headers still come from the pinned source. */
	assert_non_null(find_step(b, "headers"));
	assert_non_null(find_step(b, "source:linux"));
	free(keys);
	free(names);
}

/* Each step's declared outputs are paths of this build's directories:
 * build/ and out/, or build-NAME/ and out-NAME/ for another target. */
static void test_declared_outputs(void **state)
{
	struct buildfx *f = *state;
	static const char *const confs[] = { "", "[system]\narch = aarch64\n" };
	for (size_t c = 0; c < 2; c++) {
		struct build *b = buildfx_build(f, confs[c]);
		const char *bdir = c ? "build-aarch64" : "build", *odir = c ? "out-aarch64" : "out";
		static const char *const want[][2] = {
			{ "source:linux", "B/src/linux/Makefile" },
			{ "source:musl", "B/src/musl/Makefile" },
			{ "source:busybox", "B/src/busybox/Makefile" },
			{ "kconfig", NULL },
			{ "kernel", "O/vmlinuz" },
			{ "headers", NULL },
			{ "musl", NULL },
			{ "toolchain", "B/sysroot/bin/cc" },
			{ "bbconfig", NULL },
			{ "busybox", "B/busybox-install/bin/busybox" },
			{ "programs", NULL },
			{ "rootfs", "B/rootfs" },
			{ "initramfs", "B/initramfs.img" },
			{ "modules", "B/modules.img" },
			{ "initrd", "O/initrd.img" },
			{ "all", NULL },
		};
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			const struct step *s = find_step(b, want[i][0]);
			assert_non_null(s);
			if (!want[i][1]) {
				assert_null(s->outputs[0]);
				continue;
			}
			char *p = xasprintf("%s/%s/%s", f->dir.path, want[i][1][0] == 'B' ? bdir : odir,
					    want[i][1] + 2);
			assert_string_equal(s->outputs[0], p);
			assert_null(s->outputs[1]);
			free(p);
		}
		char *k = build_kernel_path(b), *r = build_initrd_path(b);
		assert_string_equal(find_step(b, "kernel")->outputs[0], k);
		assert_string_equal(find_step(b, "initrd")->outputs[0], r);
		free(k);
		free(r);
	}
}

/* Where each part is built, and the step that makes its .config. */
static void test_layout(void **state)
{
	struct buildfx *f = *state;
	struct build *b = buildfx_build(f, "[system]\narch = riscv64\n");
	char *want = xasprintf("%s/build-riscv64", f->dir.path);
	assert_string_equal(b->builddir, want);
	free(want);
	static const struct {
		enum build_part part;
		const char *src, *obj, *step;
	} parts[] = {
		{ BUILD_KERNEL, "src/linux", "linux", "kconfig" },
		{ BUILD_BUSYBOX, "src/busybox", "busybox", "bbconfig" },
	};
	for (size_t i = 0; i < 2; i++) {
		char *src = build_srcdir(b, parts[i].part), *obj = build_objdir(b, parts[i].part);
		char *dotconfig = build_dotconfig(b, parts[i].part);
		char *s = path_join(b->builddir, parts[i].src), *o = path_join(b->builddir, parts[i].obj);
		char *d = path_join(o, ".config");
		assert_string_equal(src, s);
		assert_string_equal(obj, o);
		assert_string_equal(dotconfig, d);
		assert_string_equal(build_config_step(parts[i].part), parts[i].step);
		assert_non_null(find_step(b, build_config_step(parts[i].part)));
		free(src);
		free(obj);
		free(dotconfig);
		free(s);
		free(o);
		free(d);
	}
	char *sysroot = build_sysroot(b), *s = path_join(b->builddir, "sysroot");
	assert_string_equal(sysroot, s);
	free(sysroot);
	free(s);
}

/* With [linux] source, the kernel is built from the user's tree, but the
 * source step unpacks (links) the catalog's tree where it always does:
 * the user's tree is neither removed nor replaced by the link. */
static void test_user_tree_not_written(void **state)
{
	struct buildfx *f = *state;
	char *tree = path_join(f->dir.path, "tree");
	char *makefile = path_join(tree, "Makefile");
	assert_int_equal(mkdir(tree, 0755), 0);
	write_test_file(tree, "Makefile", "# the user's\n");
	char *conf = xasprintf("[linux]\nsource = %s\n", tree);
	struct build *b = buildfx_build(f, conf);
	free(conf);

	char *src = build_srcdir(b, BUILD_KERNEL);
	assert_string_equal(src, tree);
	char *catalog = build_catalog_srcdir(b, BUILD_KERNEL);
	char *want = path_join(b->builddir, "src/linux");
	assert_string_equal(catalog, want);

	/* The catalog's tree as already unpacked in the cache (srctree.h),
	 * so the step runs without fetching anything. */
	char *shared = srctree_path(b->linux_src, b->cachedir);
	assert_int_equal(mkdir_p(shared, 0755), 0);
	char *log = path_join(f->dir.path, "source.log");
	const struct step *s = find_step(b, "source:linux");
	assert_non_null(s);
	assert_int_equal(s->run(b->plan.ctx, log), 0);

	struct stat st;
	assert_int_equal(lstat(tree, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_true(path_exists(makefile));
	assert_int_equal(lstat(catalog, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	char *target = realpath(catalog, NULL), *real = realpath(shared, NULL);
	assert_non_null(target);
	assert_string_equal(target, real);
	free(target);
	free(real);
	free(log);
	free(shared);
	free(want);
	free(catalog);
	free(src);
	free(makefile);
	free(tree);
}

/* ARGV as one line, for comparing. New memory. */
static char *joined(char **argv)
{
	struct buf line = {0};
	for (size_t i = 0; argv[i]; i++)
		buf_printf(&line, "%s%s", i ? " " : "", argv[i]);
	build_argv_free(argv);
	return buf_steal(&line);
}

/* One make line for every caller, with the target's ARCH and cross
 * compiler for each architecture. */
static void test_kernel_make_per_arch(void **state)
{
	struct buildfx *f = *state;
	const struct arch *a;
	for (size_t i = 0; (a = arch_at(i)); i++) {
		char *conf = xasprintf("[system]\narch = %s\n", a->name);
		struct build *b = buildfx_build(f, conf);
		free(conf);
		char *line = joined(build_kernel_make(b, "/obj", "tinyconfig", NULL));
		char *want = xasprintf("make -C %s/src/linux O=/obj ARCH=%s CROSS_COMPILE=%s -j2 tinyconfig",
				       b->builddir, a->kernel_arch, a->cross_prefix);
		assert_string_equal(line, want);
		free(line);
		free(want);
	}

	struct build *b = buildfx_build(f, "[system]\narch = aarch64\n");
	char *line = joined(build_kernel_make(b, "/o", "headers_install", "INSTALL_HDR_PATH=/h"));
	char *want = xasprintf("make -C %s/src/linux O=/o ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- "
			       "-j2 headers_install INSTALL_HDR_PATH=/h", b->builddir);
	assert_string_equal(line, want);
	free(line);
	free(want);

	/* With ccache, CC too (the Kconfig and the build see the same). */
	b = buildfx_build(f, "[system]\narch = aarch64\n[build]\nccache = yes\n");
	line = joined(build_kernel_make(b, "/o", "menuconfig", NULL));
	want = xasprintf("make -C %s/src/linux O=/o ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -j2 "
			 "CC=ccache aarch64-linux-gnu-gcc menuconfig", b->builddir);
	assert_string_equal(line, want);
	free(line);
	free(want);

	b = buildfx_build(f, "");
	line = joined(build_kernel_make(b, "/o", NULL, NULL));
	want = xasprintf("make -C %s/src/linux O=/o ARCH=x86 CROSS_COMPILE= -j2", b->builddir);
	assert_string_equal(line, want);
	free(line);
	free(want);
}

/* A build does not depend on who runs it, when or where. */
static void test_environment_pinned(void **state)
{
	unsetenv("SOURCE_DATE_EPOCH");
	setenv("LC_ALL", "de_DE.UTF-8", 1);
	setenv("TZ", "Europe/Berlin", 1);
	setenv("MAKEFLAGS", "-j8 --jobserver-auth=3,4", 1);
	setenv("MAKELEVEL", "1", 1);
	setenv("KBUILD_BUILD_VERSION", "7", 1);
	umask(077);
	buildfx_build(*state, "");
	assert_string_equal(getenv("LC_ALL"), "C");
	assert_string_equal(getenv("TZ"), "UTC");
	assert_string_equal(getenv("SOURCE_DATE_EPOCH"), "1700000000");
	assert_string_equal(getenv("KBUILD_BUILD_TIMESTAMP"), "Tue Nov 14 22:13:20 UTC 2023");
	assert_string_equal(getenv("KBUILD_BUILD_USER"), "mkdistro");
	assert_string_equal(getenv("KBUILD_BUILD_HOST"), "mkdistro");
	/* kbuild's relink count: the same "#1" however often it relinked. */
	assert_string_equal(getenv("KBUILD_BUILD_VERSION"), "1");
	assert_null(getenv("MAKEFLAGS"));
	assert_null(getenv("MAKELEVEL"));
	assert_int_equal(umask(022), 022);

	/* A SOURCE_DATE_EPOCH of the caller's is kept. */
	setenv("SOURCE_DATE_EPOCH", "0", 1);
	buildfx_build(*state, "");
	assert_string_equal(getenv("SOURCE_DATE_EPOCH"), "0");
	assert_string_equal(getenv("KBUILD_BUILD_TIMESTAMP"), "Thu Jan  1 00:00:00 UTC 1970");
	unsetenv("SOURCE_DATE_EPOCH");
}

/* The kernel fragment: shares, the network and debug information come in
 * only when asked; share and net on tinyconfig only, debug on any base. */
static void test_kernel_fragment_features(void **state)
{
	struct buildfx *f = *state;
	struct kconfig_set k;
	assert_int_equal(build_fragment(buildfx_build(f, ""), BUILD_KERNEL, &k), 0);
	assert_null(kconfig_get(&k, "9P_FS"));
	assert_null(kconfig_get(&k, "INET"));
	assert_null(kconfig_get(&k, "DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT"));
	kconfig_free(&k);

	assert_int_equal(build_fragment(buildfx_build(f, "[system]\nshare = yes\n"), BUILD_KERNEL, &k), 0);
	assert_string_equal(kconfig_get(&k, "9P_FS"), "y");
	assert_string_equal(kconfig_get(&k, "VIRTIO_MMIO"), "y");
	assert_string_equal(kconfig_get(&k, "VIRTIO_CONSOLE"), "y");
	assert_null(kconfig_get(&k, "INET"));
	kconfig_free(&k);

	/* BusyBox's tc is left out against the headers of 6.8 and later
	 * only (a version of the user's, pinned by its sha256: no network). */
	assert_int_equal(build_fragment(buildfx_build(f, ""), BUILD_BUSYBOX, &k), 0);
	assert_null(kconfig_get(&k, "TC"));
	kconfig_free(&k);
	assert_int_equal(build_fragment(buildfx_build(f, "[linux]\nversion = 6.12.95\n"
		"url = file:///nowhere/linux-6.12.95.tar.xz\nsha256 = "
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"),
		BUILD_BUSYBOX, &k), 0);
	assert_string_equal(kconfig_get(&k, "TC"), "n");
	assert_string_equal(kconfig_get(&k, "STATIC"), "y");
	kconfig_free(&k);

	assert_int_equal(build_fragment(buildfx_build(f, "[system]\nnet = yes\narch = i686\n"),
					BUILD_KERNEL, &k), 0);
	assert_string_equal(kconfig_get(&k, "VIRTIO_NET"), "y");
	assert_string_equal(kconfig_get(&k, "VIRTIO_PCI"), "y");
	assert_string_equal(kconfig_get(&k, "UNIX"), "y");
	assert_string_equal(kconfig_get(&k, "IPV6"), "n");
	assert_null(kconfig_get(&k, "9P_FS"));
	kconfig_free(&k);

	/* A user's fragment still wins. */
	write_test_file_mode(f->dir.path, "k.fragment", "CONFIG_IPV6=y\n", 0644);
	assert_int_equal(build_fragment(buildfx_build(f, "[system]\nnet = yes\n[linux]\n"
							 "fragment = k.fragment\n"), BUILD_KERNEL, &k), 0);
	assert_string_equal(kconfig_get(&k, "IPV6"), "y");
	kconfig_free(&k);

	/* defconfig is taken as it is, but for debug information. */
	assert_int_equal(build_fragment(buildfx_build(f, "[system]\nshare = yes\n[linux]\n"
							 "config = defconfig\ndebug = yes\n"), BUILD_KERNEL, &k), 0);
	assert_null(kconfig_get(&k, "9P_FS"));
	assert_string_equal(kconfig_get(&k, "DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT"), "y");
	assert_string_equal(kconfig_get(&k, "DEBUG_INFO_NONE"), "n");
	assert_string_equal(kconfig_get(&k, "GDB_SCRIPTS"), "y");
	kconfig_free(&k);
}

int main(void)
{
#define T(test) cmocka_unit_test_setup_teardown(test, buildfx_setup, buildfx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_steps_and_deps),
		T(test_plan_for_given_image),
		T(test_declared_outputs),
		T(test_layout),
		T(test_user_tree_not_written),
		T(test_kernel_make_per_arch),
		T(test_environment_pinned),
		T(test_kernel_fragment_features),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
