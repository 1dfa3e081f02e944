#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch.h"
#include "catalog.h"
#include "config.h"
#include "testutil.h"
#include "util.h"

/* After each test (a failed assertion too): stderr back, and back in
 * the group's directory. */
static int restore(void **state)
{
	capture_cancel();
	return chdir(testdir_group.path);
}

static void put_dir(const char *rel)
{
	char *p = testdir_path(&testdir_group, "%s", rel);
	assert_int_equal(mkdir_p(p, 0755), 0);
	free(p);
}

static void enter(const char *rel)
{
	put_dir(rel);
	char *p = testdir_path(&testdir_group, "%s", rel);
	assert_int_equal(chdir(p), 0);
	free(p);
}

/* Load REL (in the group's directory) and return what was printed. */
static char *load_err(struct config *c, const char *rel, int want_rc)
{
	char *p = testdir_path(&testdir_group, "%s", rel);
	struct capture cap;
	capture_start(&cap, 2);
	int rc = config_load(c, p, 1);
	char *err = capture_end(&cap);
	if (rc != want_rc)
		fprintf(stderr, "config_load: %d, printed:\n%s", rc, err);
	assert_int_equal(rc, want_rc);
	free(p);
	return err;
}

static char *default_describe(void)
{
	return xasprintf("[system]\n"
			 "arch = %s\n"
			 "hostname = mkdistro\n"
			 "init = busybox\n"
			 "share = no\n"
			 "net = no\n"
			 "\n"
			 "[linux]\n"
			 "version = %s\n"
			 "sha256 =\n"
			 "url =\n"
			 "fragment =\n"
			 "cmdline =\n"
			 "source =\n"
			 "config = tinyconfig\n"
			 "image =\n"
			 "modules_dir =\n"
			 "modules =\n"
			 "debug = no\n"
			 "\n"
			 "[musl]\n"
			 "version = %s\n"
			 "sha256 =\n"
			 "url =\n"
			 "\n"
			 "[busybox]\n"
			 "version = %s\n"
			 "sha256 =\n"
			 "url =\n"
			 "fragment =\n"
			 "\n"
			 "[initramfs]\n"
			 "compression = gzip\n"
			 "overlay =\n"
			 "entries =\n"
			 "\n"
			 "[qemu]\n"
			 "memory = 128\n"
			 "\n"
			 "[build]\n"
			 "ccache = no\n",
			 arch_default()->name, catalog_default_version("linux"),
			 catalog_default_version("musl"), catalog_default_version("busybox"));
}

static void check_defaults(const struct config *c)
{
	assert_string_equal(c->arch, arch_default()->name);
	assert_string_equal(c->hostname, "mkdistro");
	assert_string_equal(c->linux_version, catalog_default_version("linux"));
	assert_string_equal(c->musl_version, catalog_default_version("musl"));
	assert_string_equal(c->busybox_version, catalog_default_version("busybox"));
	assert_null(c->kernel_fragment);
	assert_null(c->busybox_fragment);
	assert_string_equal(c->cmdline, "");
	assert_null(c->kernel_image);
	assert_null(c->modules_dir);
	assert_string_equal(c->modules, "");
	assert_string_equal(c->compression, "gzip");
	assert_int_equal(c->share, 0);
	assert_int_equal(c->net, 0);
	assert_null(c->overlay);
	assert_int_equal(c->memory_mb, 128);
	assert_int_equal(c->ccache, 0);
	assert_string_equal(c->init, "busybox");
	assert_null(c->entries);
	assert_null(c->linux_source);
	assert_string_equal(c->linux_config, "tinyconfig");
}

static void test_builtin_default(void **state)
{
	struct config c;
	enter("empty");
	struct capture cap;
	capture_start(&cap, 2);
	assert_int_equal(config_load(&c, NULL, 0), 0);
	char *err = capture_end(&cap);
	assert_string_equal(err, "");
	free(err);
	assert_null(c.path);
	assert_string_equal(c.dir, ".");
	check_defaults(&c);
	char *d = config_describe(&c), *want = default_describe();
	assert_string_equal(d, want);
	free(d);
	free(want);
	config_free(&c);
	assert_null(c.arch);
	config_free(&c); /* twice is harmless */
	restore(state);
}

static void test_file_in_cwd(void **state)
{
	struct config c;
	write_test_file(testdir_group.path, "cwd/mkdistro.conf", "\xEF\xBB\xBF[qemu]\nmemory = 256\n");
	enter("cwd");
	assert_int_equal(config_load(&c, NULL, 0), 0);
	assert_string_equal(c.path, "mkdistro.conf");
	char *dir = path_join(testdir_group.path, "cwd");
	assert_string_equal(c.dir, dir);
	free(dir);
	assert_int_equal(c.memory_mb, 256);
	assert_string_equal(c.hostname, "mkdistro");
	config_free(&c);
	restore(state);
}

static void test_missing_file(void **state)
{
	struct config c;
	char *p = testdir_path(&testdir_group, "none/x.conf");
	struct capture cap;
	capture_start(&cap, 2);
	assert_int_equal(config_load(&c, p, 1), -1);
	char *err = capture_end(&cap);
	char *want = xasprintf("mkdistro: read '%s': No such file or directory\n", p);
	assert_string_equal(err, want);
	assert_null(c.arch);
	free(want);
	free(err);

	capture_start(&cap, 2);
	assert_int_equal(config_load(&c, p, 0), 0);
	err = capture_end(&cap);
	assert_string_equal(err, "");
	assert_null(c.path);
	check_defaults(&c);
	config_free(&c);
	free(err);
	free(p);
}

static void test_good_file(void **state)
{
	struct config c;
	write_test_file(testdir_group.path, "sys/frags/kernel.config", "CONFIG_PRINTK=y\n");
	write_test_file(testdir_group.path, "abs/bb.config", "CONFIG_STATIC=y\n");
	put_dir("sys/overlay/etc");
	write_test_file(testdir_group.path, "sys/boot/vmlinuz-6.1.0-9-amd64", "a kernel image\n");
	char *bb = path_join(testdir_group.path, "abs/bb.config");
	put_dir("sys/lib/modules/6.1.0-57-amd64");
	char *text = xasprintf(
		"; mkdistro.conf for a test\n"
		"# both comment styles\n"
		"\n"
		"[system]\n"
		"  arch = x86_64\n"
		"hostname=box-1.example\n"
		"[ linux ]\n"
		"version = %s\n"
		"fragment = frags/kernel.config ; inline comment\n"
		"cmdline = quiet loglevel=3 init=/init\n"
		"image = boot/vmlinuz-6.1.0-9-amd64\n"
		"modules_dir = lib/modules/6.1.0-57-amd64\n"
		"modules = vfat, 9p,virtio-net\n"
		"[busybox]\n"
		"fragment = %s\n"
		"[initramfs]\n"
		"compression = xz\n"
		"overlay = overlay\n"
		"[qemu]\n"
		"memory: 1G\n"
		"[system]\n"
		"\n",
		catalog_default_version("linux"), bb);
	write_test_file(testdir_group.path, "sys/my.conf", text);
	free(text);

	/* A relative path to the file: paths resolve against its directory,
	 * not the current one. */
	assert_int_equal(chdir(testdir_group.path), 0);
	struct capture cap;
	capture_start(&cap, 2);
	assert_int_equal(config_load(&c, "sys/my.conf", 1), 0);
	char *err = capture_end(&cap);
	assert_string_equal(err, "");
	free(err);

	char *dir = path_join(testdir_group.path, "sys");
	char *frag = path_join(testdir_group.path, "sys/frags/kernel.config");
	char *ov = path_join(testdir_group.path, "sys/overlay");
	assert_string_equal(c.path, "sys/my.conf");
	assert_string_equal(c.dir, dir);
	assert_string_equal(c.arch, "x86_64");
	assert_string_equal(c.hostname, "box-1.example");
	assert_string_equal(c.kernel_fragment, frag);
	assert_string_equal(c.busybox_fragment, bb);
	assert_string_equal(c.cmdline, "quiet loglevel=3 init=/init");
	char *image = path_join(testdir_group.path, "sys/boot/vmlinuz-6.1.0-9-amd64");
	assert_string_equal(c.kernel_image, image);
	free(image);
	char *mods = path_join(testdir_group.path, "sys/lib/modules/6.1.0-57-amd64");
	assert_string_equal(c.modules_dir, mods);
	free(mods);
	assert_string_equal(c.modules, "vfat, 9p,virtio-net");
	assert_string_equal(c.compression, "xz");
	assert_string_equal(c.overlay, ov);
	assert_int_equal(c.memory_mb, 1024);

	/* describe, loaded again from elsewhere, gives the same configuration */
	char *d = config_describe(&c);
	write_test_file(testdir_group.path, "other/again.conf", d);
	struct config c2;
	char *p = testdir_path(&testdir_group, "other/again.conf");
	assert_int_equal(config_load(&c2, p, 1), 0);
	char *d2 = config_describe(&c2);
	assert_string_equal(d, d2);
	assert_string_equal(c2.kernel_fragment, frag);
	config_free(&c2);
	free(d2);

	/* and so does the annotated form */
	char *a = config_annotated(&c);
	assert_non_null(strstr(a, "# guest memory in MiB; suffix M or G allowed (default 128)\n"
				  "memory = 1024\n"));
	write_test_file(testdir_group.path, "other/annotated.conf", a);
	char *pa = testdir_path(&testdir_group, "other/annotated.conf");
	assert_int_equal(config_load(&c2, pa, 1), 0);
	d2 = config_describe(&c2);
	assert_string_equal(d, d2);
	config_free(&c2);
	free(d2);
	free(a);
	free(pa);
	free(p);
	free(d);
	free(dir);
	free(frag);
	free(ov);
	free(bb);
	config_free(&c);
	restore(state);
}

static void test_errors(void **state)
{
	struct config c;
	write_test_file(testdir_group.path, "errs/not-a-dir", "x\n");
	write_test_file(testdir_group.path, "errs/mkdistro.conf",
		 "# every kind of mistake\n"           /* 1 */
		 "[system]\n"                          /* 2 */
		 "arch = sparc\n"                      /* 3 */
		 "hostname = my host\n"                /* 4 */
		 "memory = 64\n"                       /* 5 */
		 "[qemu]\n"                            /* 6 */
		 "colour = blue\n"                     /* 7 */
		 "memory = 12x\n"                      /* 8 */
		 "memory = 256\n"                      /* 9 */
		 "[foo]\n"                             /* 10 */
		 "bar = 1\n"                           /* 11 */
		 "[linux]\n"                           /* 12 */
		 "version = ../5.0\n"                  /* 13 */
		 "fragment = nope.config\n"            /* 14 */
		 "[initramfs]\n"                       /* 15 */
		 "compression = bz2\n"                 /* 16 */
		 "overlay = not-a-dir\n"               /* 17 */
		 "just some words\n"                   /* 18 */
		 "[busybox\n"                          /* 19 */
		 "arch = x86_64\n"                     /* 20: still in [initramfs] */
		 "[busybox] trailing\n"                /* 21: inih ignores the rest */
		 "fragment = .\n"                      /* 22 */
		 "[musl]\n"                            /* 23 */
		 "version =\n");                       /* 24 */
	char *err = load_err(&c, "errs/mkdistro.conf", -1);
	char *file = testdir_path(&testdir_group, "errs/mkdistro.conf");
	char *archs = arch_names();
	char *versions = catalog_versions("linux");
	char *want = xasprintf(
		"mkdistro: %1$s:3: unknown arch 'sparc' in [system]; known: %2$s\n"
		"mkdistro: %1$s:4: bad hostname 'my host' in [system]: use 1 to 64 letters, digits, "
		"'-' or '.', not starting with '-' or '.'\n"
		"mkdistro: %1$s:5: unknown key 'memory' in [system]; known keys: arch, hostname, init, "
		"share, net (memory belongs in [qemu])\n"
		"mkdistro: %1$s:7: unknown key 'colour' in [qemu]; known keys: memory\n"
		"mkdistro: %1$s:8: bad memory '12x' in [qemu]: expected MiB from 32 to 65536, "
		"optionally with suffix M or G (e.g. 256M, 1G)\n"
		"mkdistro: %1$s:9: duplicate key 'memory' in [qemu] (first set on line 8)\n"
		"mkdistro: %1$s:11: unknown section [foo]; known sections: system, linux, musl, "
		"busybox, initramfs, qemu, build\n"
		"mkdistro: %1$s:13: bad linux version '../5.0' in [linux]: digits, letters and . + ~ _ - "
		"only, starting with a digit (the catalog pins %3$s)\n"
		"mkdistro: %1$s:14: fragment '%4$s/errs/nope.config' in [linux]: No such file or directory\n"
		"mkdistro: %1$s:16: bad compression 'bz2' in [initramfs]; allowed: gzip, xz, lz4, zstd, none\n"
		"mkdistro: %1$s:17: overlay '%4$s/errs/not-a-dir' in [initramfs] is not a directory\n"
		"mkdistro: %1$s:18: cannot read this line: expected '[section]' or 'key = value'\n"
		"mkdistro: %1$s:19: cannot read this line: expected '[section]' or 'key = value'\n"
		"mkdistro: %1$s:20: unknown key 'arch' in [initramfs]; known keys: compression, overlay, "
		"entries (arch belongs in [system])\n"
		"mkdistro: %1$s:22: fragment '%4$s/errs/.' in [busybox] is not a regular file\n"
		"mkdistro: %1$s:24: empty value for 'version' in [musl]\n",
		file, archs, versions, testdir_group.path);
	assert_string_equal(err, want);
	assert_null(c.arch);
	assert_null(c.path);
	free(want);
	free(archs);
	free(versions);
	free(file);
	free(err);
}

static void test_more_errors(void **state)
{
	struct config c;
	char *text = xasprintf("arch = x86_64\n"
			       "color = red\n"
			       "[linux]\n"
			       " = orphan value\n"
			       "cmdline = a\tb\n"
			       "modules = vfat ext4.ko\n"
			       "[system]\n"
			       "hostname = -dash\n");
	write_test_file(testdir_group.path, "more/m.conf", text);
	free(text);
	char *err = load_err(&c, "more/m.conf", -1);
	char *file = testdir_path(&testdir_group, "more/m.conf");
	char *want = xasprintf(
		"mkdistro: %1$s:1: key 'arch' is outside any section; it belongs in [system]\n"
		"mkdistro: %1$s:2: key 'color' is outside any section\n"
		"mkdistro: %1$s:4: expected 'key = value': no key before the separator\n"
		"mkdistro: %1$s:5: bad cmdline in [linux]: control characters are not allowed\n"
		"mkdistro: %1$s:6: bad modules 'vfat ext4.ko' in [linux]: names of letters, digits, "
		"'-' and '_', separated by commas\n"
		"mkdistro: %1$s:8: bad hostname '-dash' in [system]: use 1 to 64 letters, digits, "
		"'-' or '.', not starting with '-' or '.'\n",
		file);
	assert_string_equal(err, want);
	free(want);
	free(file);
	free(err);

	write_test_file(testdir_group.path, "more/nul.conf", "[qemu]\n");
	char *p = testdir_path(&testdir_group, "more/nul.conf");
	assert_int_equal(write_file_atomic(p, "[qemu]\0x", 8, 0644), 0);
	struct capture cap;
	capture_start(&cap, 2);
	assert_int_equal(config_load(&c, p, 1), -1);
	err = capture_end(&cap);
	want = xasprintf("mkdistro: %s: not a text file (contains a NUL byte)\n", p);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(p);
}

/* What config_describe writes loads again to the same configuration. */
static void assert_reloads(const struct config *c, const char *file)
{
	struct config again;
	char *d = config_describe(c);
	assert_int_equal(config_parse(&again, d, strlen(d), file), 0);
	char *d2 = config_describe(&again);
	assert_string_equal(d2, d);
	free(d);
	free(d2);
	config_free(&again);
}

/* Found by tests/fuzz (fuzz_config): "cmdline =; rd" gave the value
 * "; rd", which config_describe wrote as "cmdline = ; rd", which loads as
 * an empty cmdline; and config_describe could write lines longer than
 * the 198 characters inih reads (a long kernel command line, or a
 * relative path made absolute). */
static void test_comments_and_long_lines(void **state)
{
	static const struct { const char *line, *cmdline; } cases[] = {
		{ "cmdline =; rd", "" },
		{ "cmdline = ;rd", "" },
		{ "cmdline = quiet ; a comment", "quiet" },
		{ "cmdline = quiet\t;a comment", "quiet" },
		{ "cmdline = a;b # not a comment", "a;b # not a comment" },
		{ "cmdline: panic=1", "panic=1" },
	};
	char *file = testdir_path(&testdir_group, "cmt/mkdistro.conf");
	put_dir("cmt");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		char *text = xasprintf("[linux]\n%s\n", cases[i].line);
		struct capture cap;
		capture_start(&cap, 2);
		int rc = config_parse(&c, text, strlen(text), file);
		char *err = capture_end(&cap);
		assert_int_equal(rc, 0);
		assert_string_equal(err, "");
		assert_string_equal(c.cmdline, cases[i].cmdline);
		assert_reloads(&c, file);
		config_free(&c);
		free(err);
		free(text);
	}

	/* A long kernel command line goes on over indented lines (inih's
	 * continuation lines); config_describe wraps it the same way. */
	struct buf wrapped = {0}, want = {0};
	buf_addstr(&wrapped, "[linux]\ncmdline = first  two-spaces");
	buf_addstr(&want, "first  two-spaces");
	for (int i = 0; i < 300; i++) {
		buf_printf(&wrapped, "%sopt%d=%d", i % 10 ? " " : "\n\t", i, i);
		buf_printf(&want, " opt%d=%d", i, i);
	}
	buf_addstr(&wrapped, "\n  # a comment between\n    last ; a comment\n[system]\nhostname = h\n");
	buf_addstr(&want, " last");
	struct config c;
	struct capture cap;
	capture_start(&cap, 2);
	int rc = config_parse(&c, wrapped.s, wrapped.len, file);
	char *err = capture_end(&cap);
	assert_string_equal(err, "");
	assert_int_equal(rc, 0);
	assert_string_equal(c.cmdline, want.s);
	assert_string_equal(c.hostname, "h");
	char *d = config_describe(&c);
	for (char *l = d; *l;) {
		char *e = strchrnul(l, '\n');
		assert_true(e - l <= 198);
		l = *e ? e + 1 : e;
	}
	free(d);
	assert_reloads(&c, file);
	config_free(&c);
	free(err);
	buf_free(&wrapped);
	buf_free(&want);

	/* What does not fit: a line longer than the reader takes, an
	 * indented line under a one-line key, and a relative path that,
	 * made absolute, would not fit on a line when written back. */
	struct buf rel = {0}; /* below cmt/, where the file is */
	for (int i = 0; i < 5; i++) /* 176 characters on the line; absolute, 200 or more */
		buf_printf(&rel, "%sa-rather-long-directory-name-%d", i ? "/" : "", i);
	buf_addstr(&rel, "/k.fragment");
	char *frag = xasprintf("cmt/%s", rel.s);
	write_test_file(testdir_group.path, frag, "CONFIG_X=y\n");
	char *longline = xasprintf("cmdline = %0250d", 7);
	char *text = xasprintf("[linux]\n%s\nfragment = %s\n[system]\nhostname = a\n  b\n",
			       longline, rel.s);
	capture_start(&cap, 2);
	rc = config_parse(&c, text, strlen(text), file);
	err = capture_end(&cap);
	assert_int_equal(rc, -1);
	char *fragline = xasprintf("fragment in [linux] is too long: written back, its line would have %zu "
				   "characters",
				   strlen("fragment = ") + strlen(testdir_group.path) + strlen("/cmt/") + strlen(rel.s));
	if (!strstr(err, ":2: line too long (260 characters; the INI reader takes at most 198)") ||
	    !strstr(err, fragline) ||
	    !strstr(err, ":6: indented line continues 'hostname' in [system], which takes one line"))
		fail_msg("unexpected errors:\n%s", err);
	free(fragline);
	free(err);
	free(text);
	free(longline);
	buf_free(&rel);
	free(frag);
	free(file);
}

/* [linux] source and config: a tree, and the base configuration. */
static void test_linux_tree_keys(void **state)
{
	struct config c;
	put_dir("lt/tree");
	write_test_file(testdir_group.path, "lt/my.config", "CONFIG_X=y\n");
	write_test_file(testdir_group.path, "lt/mkdistro.conf",
			"[linux]\nsource = tree\nconfig = my.config\n");
	char *err = load_err(&c, "lt/mkdistro.conf", 0);
	assert_string_equal(err, "");
	char *tree = path_join(testdir_group.path, "lt/tree");
	char *cfgfile = path_join(testdir_group.path, "lt/my.config");
	assert_string_equal(c.linux_source, tree);
	assert_string_equal(c.linux_config, cfgfile);
	assert_reloads(&c, "lt/mkdistro.conf");
	config_free(&c);
	free(err);

	write_test_file(testdir_group.path, "lt/mkdistro.conf", "[linux]\nconfig = defconfig\n");
	err = load_err(&c, "lt/mkdistro.conf", 0);
	assert_string_equal(c.linux_config, "defconfig");
	assert_null(c.linux_source);
	config_free(&c);
	free(err);

	write_test_file(testdir_group.path, "lt/mkdistro.conf",
			"[linux]\nsource = my.config\nconfig = allyesconfig\n");
	err = load_err(&c, "lt/mkdistro.conf", -1);
	char *conf = testdir_path(&testdir_group, "lt/mkdistro.conf");
	char *want = xasprintf("mkdistro: %1$s:2: source '%2$s' in [linux] is not a directory\n"
			       "mkdistro: %1$s:3: config '%3$s/lt/allyesconfig' in [linux]: No such file "
			       "or directory\n",
			       conf, cfgfile, testdir_group.path);
	assert_string_equal(err, want);
	free(want);
	free(conf);
	free(err);
	free(tree);
	free(cfgfile);
}

static void test_memory_values(void **state)
{
	static const struct { const char *text; int mb; } cases[] = {
		{ "32", 32 }, { "128M", 128 }, { "128m", 128 }, { "2G", 2048 }, { "1g", 1024 },
		{ "64G", 65536 }, { "65536", 65536 },
		{ "31", -1 }, { "65537", -1 }, { "65G", -1 }, { "0x80", -1 }, { "M", -1 },
		{ "-128", -1 }, { "128MB", -1 }, { "99999999999999999999", -1 }, { "1.5G", -1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		char *text = xasprintf("[qemu]\nmemory = %s\n", cases[i].text);
		write_test_file(testdir_group.path, "mem/m.conf", text);
		free(text);
		char *err = load_err(&c, "mem/m.conf", cases[i].mb < 0 ? -1 : 0);
		if (cases[i].mb < 0) {
			assert_non_null(strstr(err, ":2: bad memory '"));
		} else {
			assert_string_equal(err, "");
			assert_int_equal(c.memory_mb, cases[i].mb);
		}
		free(err);
		config_free(&c);
	}
}

static void test_keys_table(void **state)
{
	size_t n;
	const struct config_key *k = config_keys(&n);
	assert_int_equal(n, 28);

	/* The annotated default is a valid file equal to the built-in default,
	 * and names every key of the table under its section. */
	struct config def, c;
	char *p = testdir_path(&testdir_group, "none.conf");
	assert_int_equal(config_load(&def, p, 0), 0);
	free(p);
	char *a = config_annotated(&def);
	for (size_t i = 0; i < n; i++) {
		char *sect = xasprintf("[%s]\n", k[i].section);
		char *key = xasprintf("\n%s =", k[i].key);
		const char *s = strstr(a, sect);
		assert_non_null(s);
		assert_non_null(strstr(s, key));
		assert_non_null(k[i].help);
		free(sect);
		free(key);
	}
	assert_string_equal(config_key_default(&k[0]), arch_default()->name);
	write_test_file(testdir_group.path, "ann/mkdistro.conf", a);
	char *err = load_err(&c, "ann/mkdistro.conf", 0);
	assert_string_equal(err, "");
	check_defaults(&c);
	free(err);
	free(a);
	config_free(&c);
	config_free(&def);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_builtin_default, restore),
		cmocka_unit_test_teardown(test_file_in_cwd, restore),
		cmocka_unit_test_teardown(test_missing_file, restore),
		cmocka_unit_test_teardown(test_good_file, restore),
		cmocka_unit_test_teardown(test_errors, restore),
		cmocka_unit_test_teardown(test_more_errors, restore),
		cmocka_unit_test_teardown(test_comments_and_long_lines, restore),
		cmocka_unit_test_teardown(test_memory_values, restore),
		cmocka_unit_test_teardown(test_linux_tree_keys, restore),
		cmocka_unit_test_teardown(test_keys_table, restore),
	};
	return cmocka_run_group_tests(tests, testdir_group_setup, testdir_group_teardown);
}
