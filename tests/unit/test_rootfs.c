/* Tests for rootfs: staging a tree from a fake BusyBox install, the
 * generated files, compiled programs and an overlay, in a temporary
 * directory, and the atomic replacement of the destination. */
#include <dirent.h>
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

#include "config.h"
#include "rootfs.h"
#include "testutil.h"
#include "util.h"

struct fx {
	struct testdir dir; /* the working directory while testing */
	char *bb;   /* fake BusyBox install tree */
	char *ov;   /* overlay */
	char *prog; /* compiled programs */
	char *dest; /* the staged root */
	struct config cfg;
};

static void link_in(const char *dir, const char *rel, const char *target)
{
	char *p = path_join(dir, rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	assert_int_equal(mkdir_p(p, 0755), 0);
	*slash = '/';
	assert_int_equal(symlink(target, p), 0);
	free(p);
}

static char *slurp(const char *dir, const char *rel)
{
	char *p = path_join(dir, rel);
	char *s = read_file_quiet(p, NULL);
	if (!s)
		fail_msg("cannot read '%s': %s", p, strerror(errno));
	free(p);
	return s;
}

static void assert_content(const char *dir, const char *rel, const char *expect)
{
	char *s = slurp(dir, rel);
	if (strcmp(s, expect))
		fail_msg("'%s' holds \"%s\", want \"%s\"", rel, s, expect);
	free(s);
}

static mode_t mode_of(const char *dir, const char *rel)
{
	char *p = path_join(dir, rel);
	struct stat st;
	if (lstat(p, &st) < 0)
		fail_msg("'%s' is missing: %s", p, strerror(errno));
	free(p);
	return st.st_mode;
}

static void assert_link(const char *dir, const char *rel, const char *target)
{
	char *p = path_join(dir, rel);
	char buf[PATH_MAX];
	ssize_t n = readlink(p, buf, sizeof(buf) - 1);
	if (n < 0)
		fail_msg("'%s' is not a symlink: %s", rel, strerror(errno));
	buf[n] = '\0';
	assert_string_equal(buf, target);
	free(p);
}

static int exists_in(const char *dir, const char *rel)
{
	char *p = path_join(dir, rel);
	int e = path_exists(p);
	free(p);
	return e;
}

static void set(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	testdir_enter(&f->dir, "rootfs");
	f->bb = testdir_path(&f->dir, "busybox-install");
	f->ov = testdir_path(&f->dir, "overlay");
	f->prog = testdir_path(&f->dir, "programs");
	f->dest = testdir_path(&f->dir, "rootfs");
	/* No mkdistro.conf here: the built-in defaults. */
	*state = f;
	return config_load(&f->cfg, NULL, 0);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	config_free(&f->cfg);
	testdir_leave(&f->dir);
	free(f->bb);
	free(f->ov);
	free(f->prog);
	free(f->dest);
	free(f);
	return 0;
}

/* What `make install` of BusyBox leaves: the binary, links to it and the
 * /linuxrc an initramfs does not use. */
static void fake_busybox(const struct fx *f)
{
	write_test_file_mode(f->bb, "bin/busybox", "\177ELF fake busybox\n", 0755);
	link_in(f->bb, "bin/sh", "busybox");
	link_in(f->bb, "bin/ls", "busybox");
	link_in(f->bb, "sbin/init", "../bin/busybox");
	link_in(f->bb, "usr/bin/env", "../../bin/busybox");
	link_in(f->bb, "linuxrc", "bin/busybox");
}

static void fake_overlay(struct fx *f)
{
	/* A file where BusyBox has a symlink, and a new one. */
	write_test_file_mode(f->ov, "bin/sh", "#!overlay shell\n", 0755);
	write_test_file_mode(f->ov, "etc/motd", "welcome\n", 0644);
	/* A generated file replaced. */
	write_test_file_mode(f->ov, "etc/profile", "# mine\n", 0600);
	set(&f->cfg.overlay, f->ov);
}

static int stage(struct fx *f, const char *progdir, char **err)
{
	struct capture c;
	capture_start(&c, 2);
	int rc = rootfs_stage(&f->cfg, f->bb, progdir, f->dest);
	char *text = capture_end(&c);
	if (err)
		*err = text;
	else
		free(text);
	return rc;
}

/* Only the entries of the test's directory that should be there. */
static void assert_no_leftovers(const struct fx *f)
{
	char *tmp = xasprintf("%s.tmp", f->dest);
	assert_false(path_exists(tmp));
	free(tmp);
	DIR *d = opendir(f->dir.path);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".tmp"))
			fail_msg("left behind: '%s'", de->d_name);
	closedir(d);
}

static void test_stage(void **state)
{
	struct fx *f = *state;

	fake_busybox(f);
	fake_overlay(f);
	assert_int_equal(stage(f, NULL, NULL), 0);
	const char *r = f->dest;

	/* /init: an executable shell script that ends in BusyBox init. */
	assert_true(S_ISREG(mode_of(r, "init")));
	assert_int_equal(mode_of(r, "init") & 0111, 0111);
	char *init = slurp(r, "init");
	assert_int_equal(strncmp(init, "#!/bin/sh\n", 10), 0);
	assert_non_null(strstr(init, "exec /sbin/init"));
	free(init);

	char *host = xasprintf("%s\n", f->cfg.hostname);
	assert_content(r, "etc/hostname", host);
	free(host);
	char *inittab = slurp(r, "etc/inittab");
	assert_non_null(strstr(inittab, "::sysinit:/etc/init.d/rcS"));
	assert_non_null(strstr(inittab, "::respawn:"));
	assert_non_null(strstr(inittab, "/bin/sh"));
	free(inittab);
	assert_int_equal(mode_of(r, "etc/init.d/rcS") & 0111, 0111);
	assert_int_equal(mode_of(r, "etc/init.d/rc.shutdown") & 0111, 0111);
	char *passwd = slurp(r, "etc/passwd");
	assert_int_equal(strncmp(passwd, "root:x:0:0:", 11), 0);
	free(passwd);
	assert_true(exists_in(r, "etc/group"));

	/* BusyBox as installed: the binary and its links, as links. */
	assert_content(r, "bin/busybox", "\177ELF fake busybox\n");
	assert_int_equal(mode_of(r, "bin/busybox") & 07777, 0755);
	assert_link(r, "bin/ls", "busybox");
	assert_link(r, "sbin/init", "../bin/busybox");
	assert_link(r, "usr/bin/env", "../../bin/busybox");
	/* ... but not the initrd's entry point. */
	assert_false(exists_in(r, "linuxrc"));

	/* The overlay wins over BusyBox and over the generated files. */
	assert_true(S_ISREG(mode_of(r, "bin/sh")));
	assert_content(r, "bin/sh", "#!overlay shell\n");
	assert_content(r, "etc/motd", "welcome\n");
	assert_content(r, "etc/profile", "# mine\n");
	assert_int_equal(mode_of(r, "etc/profile") & 07777, 0600);

	/* Mount points and a sticky, world-writable /tmp. */
	static const char *const dirs[] = { "dev", "proc", "sys", "root", "etc/init.d", "tmp" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		assert_true(S_ISDIR(mode_of(r, dirs[i])));
	assert_int_equal(mode_of(r, "tmp") & 07777, 01777);

	assert_no_leftovers(f);
	/* The inputs are untouched. */
	assert_link(f->bb, "bin/sh", "busybox");
	assert_true(exists_in(f->bb, "linuxrc"));
}

static void test_replaces_dest(void **state)
{
	struct fx *f = *state;

	fake_busybox(f);
	write_test_file_mode(f->dest, "stale/file", "from the last build\n", 0644);
	write_test_file_mode(f->dest, "etc/removed-from-overlay", "old\n", 0644);
	/* What an interrupted run left. */
	char *tmp = xasprintf("%s.tmp", f->dest);
	write_test_file_mode(tmp, "half/done", "x", 0644);
	assert_int_equal(stage(f, NULL, NULL), 0);
	assert_false(exists_in(f->dest, "stale"));
	assert_false(exists_in(f->dest, "etc/removed-from-overlay"));
	assert_false(exists_in(f->dest, "half"));
	assert_true(exists_in(f->dest, "init"));
	assert_no_leftovers(f);
	free(tmp);
}

/* A failed staging leaves the last good tree as it was. */
static void test_failure_keeps_dest(void **state)
{
	struct fx *f = *state;

	fake_busybox(f);
	assert_int_equal(stage(f, NULL, NULL), 0);
	write_test_file_mode(f->dest, "marker", "last good\n", 0644);

	/* A FIFO cannot be staged without root's help. */
	write_test_file_mode(f->ov, "etc/motd", "x\n", 0644);
	char *fifo = path_join(f->ov, "etc/fifo");
	assert_int_equal(mkfifo(fifo, 0644), 0);
	free(fifo);
	set(&f->cfg.overlay, f->ov);
	char *err = NULL;
	assert_int_equal(stage(f, NULL, &err), -1);
	assert_non_null(strstr(err, "mkdistro: "));
	assert_non_null(strstr(err, "fifo"));
	free(err);
	assert_content(f->dest, "marker", "last good\n");
	assert_false(exists_in(f->dest, "etc/motd"));
	assert_no_leftovers(f);

	/* A missing BusyBox tree too. */
	set(&f->cfg.overlay, NULL);
	assert_int_equal(rm_rf(f->bb), 0);
	assert_int_equal(stage(f, NULL, NULL), -1);
	assert_content(f->dest, "marker", "last good\n");
	assert_no_leftovers(f);
}

/* Compiled programs go over BusyBox and under the overlay. */
static void test_programs(void **state)
{
	struct fx *f = *state;

	fake_busybox(f);
	write_test_file_mode(f->prog, "usr/bin/hello", "hello program\n", 0755);
	write_test_file_mode(f->prog, "bin/ls", "my ls\n", 0755);
	write_test_file_mode(f->prog, "usr/bin/both", "from programs\n", 0755);
	write_test_file_mode(f->ov, "usr/bin/both", "from overlay\n", 0755);
	set(&f->cfg.overlay, f->ov);
	assert_int_equal(stage(f, f->prog, NULL), 0);
	assert_content(f->dest, "usr/bin/hello", "hello program\n");
	assert_int_equal(mode_of(f->dest, "usr/bin/hello") & 0777, 0755);
	assert_content(f->dest, "bin/ls", "my ls\n");
	assert_content(f->dest, "usr/bin/both", "from overlay\n");
	assert_link(f->dest, "usr/bin/env", "../../bin/busybox");
	assert_no_leftovers(f);
}

/* [system] init: /init becomes a link to the chosen program. */
static void test_custom_init(void **state)
{
	struct fx *f = *state;
	char *err = NULL;

	fake_busybox(f);
	write_test_file_mode(f->ov, "sbin/myinit", "#!/bin/sh\nexec sh\n", 0755);
	set(&f->cfg.overlay, f->ov);
	set(&f->cfg.init, "/sbin/myinit");
	assert_int_equal(stage(f, NULL, NULL), 0);
	assert_link(f->dest, "init", "/sbin/myinit");
	assert_content(f->dest, "sbin/myinit", "#!/bin/sh\nexec sh\n");
	write_test_file_mode(f->dest, "marker", "last good\n", 0644);

	/* Not in the tree: an error naming it, and the last tree kept. */
	set(&f->cfg.init, "/sbin/missing-init");
	assert_int_equal(stage(f, NULL, &err), -1);
	assert_non_null(strstr(err, "'/sbin/missing-init'"));
	free(err);
	assert_content(f->dest, "marker", "last good\n");
	assert_no_leftovers(f);

	/* Not executable. */
	write_test_file_mode(f->ov, "sbin/noexec", "#!/bin/sh\n", 0644);
	set(&f->cfg.init, "/sbin/noexec");
	assert_int_equal(stage(f, NULL, &err), -1);
	assert_non_null(strstr(err, "'/sbin/noexec'"));
	assert_non_null(strstr(err, "executable"));
	free(err);
	assert_content(f->dest, "marker", "last good\n");
	assert_no_leftovers(f);

	/* The overlay's own /init. */
	write_test_file_mode(f->ov, "init", "#!/bin/sh\necho own init\n", 0755);
	set(&f->cfg.init, "/init");
	assert_int_equal(stage(f, NULL, NULL), 0);
	assert_true(S_ISREG(mode_of(f->dest, "init")));
	assert_content(f->dest, "init", "#!/bin/sh\necho own init\n");
}

static void test_generated_text(void **state)
{
	struct fx *f = *state;

	char *a = rootfs_generated_text(&f->cfg);
	char *again = rootfs_generated_text(&f->cfg);
	/* Deterministic: it is hashed into the step's key. */
	assert_string_equal(a, again);
	free(again);
	assert_non_null(strstr(a, f->cfg.hostname));
	assert_non_null(strstr(a, "exec /sbin/init"));
	assert_non_null(strstr(a, "::sysinit:"));

	char *name = xasprintf("%s-other", f->cfg.hostname);
	set(&f->cfg.hostname, name);
	free(name);
	char *b = rootfs_generated_text(&f->cfg);
	assert_string_not_equal(a, b);
	assert_non_null(strstr(b, f->cfg.hostname));

	set(&f->cfg.init, "/sbin/myinit");
	char *c = rootfs_generated_text(&f->cfg);
	assert_string_not_equal(b, c);
	assert_null(strstr(c, "mkdistro.share="));

	/* Shares or the network: rcS sets them up as the command line asks,
	 * then ends as before. */
	f->cfg.net = 1;
	char *d = rootfs_generated_text(&f->cfg);
	assert_non_null(strstr(d, "mkdistro.share=*)"));
	assert_non_null(strstr(d, "mount -t 9p -o \"trans=virtio,"));
	assert_non_null(strstr(d, "ifconfig eth0 \"${w#*=}\" netmask 255.255.255.0 up"));
	assert_non_null(strstr(d, "route add default gw 10.0.2.2"));
	assert_non_null(strstr(d, "done\nexit 0\n"));
	f->cfg.net = 0;
	f->cfg.share = 1;
	char *e = rootfs_generated_text(&f->cfg);
	assert_string_equal(d, e);
	f->cfg.share = 0;
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaces_dest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_keeps_dest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_programs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_custom_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generated_text, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
