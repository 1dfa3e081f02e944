/* Tests for sysdir (`mkdistro init`): the files a new system directory
 * starts with, the built-in defaults whatever directory it runs in, and
 * that nothing the user has already is overwritten. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "config.h"
#include "kconfig.h"
#include "sysdir.h"
#include "testutil.h"
#include "util.h"

/* sysdir_init(DIR), which must return RC; what it printed. */
static char *init(const char *dir, int rc)
{
	struct capture c;
	capture_start(&c, 2);
	int got = sysdir_init(dir);
	char *err = capture_end(&c);
	if (got != rc)
		fail_msg("sysdir_init('%s') = %d, want %d; printed:\n%s", dir, got, rc, err);
	return err;
}

/* sysdir_init(DIR) succeeds and says what it made, and what is next. */
static void init_ok(const char *dir)
{
	char *err = init(dir, 0);
	char *want = xasprintf("mkdistro: new system in '%s': mkdistro.conf, kernel.fragment, "
			       "busybox.fragment, overlay/, programs/\n"
			       "mkdistro: next: cd '%s' && mkdistro build && mkdistro run\n",
			       dir, dir);
	assert_string_equal(err, want);
	free(want);
	free(err);
}

/* What DIR/REL holds (new memory); a failure when it is missing. */
static char *text_of(const char *dir, const char *rel)
{
	char *p = path_join(dir, rel);
	char *s = read_file_quiet(p, NULL);
	if (!s)
		fail_msg("'%s' was not written", p);
	free(p);
	return s;
}

/* The type and mode of DIR/REL itself (not what a link points at). */
static mode_t mode_of(const char *dir, const char *rel)
{
	char *p = path_join(dir, rel);
	struct stat st;
	if (lstat(p, &st) < 0)
		fail_msg("'%s' is missing", p);
	free(p);
	return st.st_mode;
}

/* A fragment file init writes: comments only, so no option at all. */
static void assert_empty_fragment(const char *dir, const char *rel, const char *mentions)
{
	char *s = text_of(dir, rel);
	assert_true(s[0] != '\0');
	for (const char *line = s; *line; line = strchr(line, '\n') + 1) {
		assert_int_equal(line[0], '#');
		assert_non_null(strchr(line, '\n'));
	}
	assert_non_null(strstr(s, mentions));
	struct kconfig_set k;
	struct capture c;
	capture_start(&c, 2);
	assert_int_equal(kconfig_parse(s, rel, &k), 0);
	char *err = capture_end(&c);
	assert_string_equal(err, "");
	assert_int_equal(k.n, 0);
	kconfig_free(&k);
	free(err);
	free(s);
	assert_int_equal(mode_of(dir, rel), S_IFREG | 0644);
}

/* The configuration in DIR (a relative path, from the working directory)
 * is the built-in default with the fragments and overlay init made. */
static void assert_default_config(const struct testdir *t, const char *dir)
{
	static const char named[] = "[linux]\nfragment = kernel.fragment\n"
				    "[busybox]\nfragment = busybox.fragment\n"
				    "[initramfs]\noverlay = overlay\n";
	char *path = path_join(dir, CONFIG_FILE);
	struct config c, want;
	struct capture cap;
	capture_start(&cap, 2);
	assert_int_equal(config_load(&c, path, 1), 0);
	/* Everything else is what a file naming only those gives. */
	assert_int_equal(config_parse(&want, named, strlen(named), path), 0);
	char *err = capture_end(&cap);
	assert_string_equal(err, "");
	char *d = config_describe(&c), *dwant = config_describe(&want);
	assert_string_equal(d, dwant);

	/* Paths in the file are relative to it; loaded, they are absolute. */
	const struct { const char *got, *rel; } paths[] = {
		{ c.kernel_fragment, "kernel.fragment" },
		{ c.busybox_fragment, "busybox.fragment" },
		{ c.overlay, "overlay" },
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char *abs = testdir_path(t, "%s/%s", dir, paths[i].rel);
		assert_string_equal(paths[i].got, abs);
		free(abs);
	}
	config_free(&want);
	config_free(&c);
	free(d);
	free(dwant);
	free(err);
	free(path);
}

/* A new directory (and its parent) with everything in it. */
static void test_new_directory(void **state)
{
	struct testdir *t = *state;
	init_ok("new/sys");

	assert_int_equal(mode_of("new", "sys") & S_IFMT, S_IFDIR);
	assert_int_equal(mode_of("new/sys", "overlay") & S_IFMT, S_IFDIR);
	assert_int_equal(mode_of("new/sys", "programs") & S_IFMT, S_IFDIR);
	assert_int_equal(mode_of("new/sys", CONFIG_FILE), S_IFREG | 0644);
	assert_empty_fragment("new/sys", "kernel.fragment", "mkdistro menuconfig kernel");
	assert_empty_fragment("new/sys", "busybox.fragment", "mkdistro menuconfig busybox");

	/* Build outputs stay out of version control. */
	char *ignore = text_of("new/sys", ".gitignore");
	assert_string_equal(ignore, "/build/\n/out/\n/build-*/\n/out-*/\n");
	free(ignore);

	/* The annotated form names the new files by relative paths, so the
	 * directory can move. */
	char *conf = text_of("new/sys", CONFIG_FILE);
	assert_non_null(strstr(conf, "\nfragment = kernel.fragment\n"));
	assert_non_null(strstr(conf, "\nfragment = busybox.fragment\n"));
	assert_non_null(strstr(conf, "\noverlay = overlay\n"));
	assert_null(strstr(conf, t->path));
	free(conf);
	assert_default_config(t, "new/sys");

	/* Nothing else in it; the overlay and programs start empty. */
	assert_listing("new/sys", ".gitignore busybox.fragment kernel.fragment mkdistro.conf "
				  "overlay programs");
	assert_listing("new/sys/overlay", "");
	assert_listing("new/sys/programs", "");
}

/* The built-in defaults, never the mkdistro.conf of the directory init
 * runs in (issue 12: it used to load ./mkdistro.conf). */
static void test_not_from_working_directory(void **state)
{
	struct testdir *t = *state;
	write_test_file(t->path, CONFIG_FILE,
			"[system]\nhostname = from-cwd\n[qemu]\nmemory = 512\n[initramfs]\n"
			"compression = xz\n");
	init_ok("sub");
	assert_default_config(t, "sub");
	char *conf = text_of("sub", CONFIG_FILE);
	assert_null(strstr(conf, "from-cwd"));
	assert_non_null(strstr(conf, "\nhostname = mkdistro\n"));
	assert_non_null(strstr(conf, "\nmemory = 128\n"));
	free(conf);

	/* And "." is the working directory itself: there is a mkdistro.conf. */
	char *err = init(".", -1);
	assert_string_equal(err, "mkdistro: './mkdistro.conf' already exists: not overwriting it\n");
	free(err);
}

/* An existing mkdistro.conf is never overwritten, and then nothing else
 * is made either. */
static void test_existing_config(void **state)
{
	struct testdir *t = *state;
	const char *mine = "; mine\n[system]\nhostname = mine\n";
	write_test_file(t->path, "sys/" CONFIG_FILE, mine);
	char *err = init("sys", -1);
	assert_string_equal(err, "mkdistro: 'sys/mkdistro.conf' already exists: not overwriting it\n");
	free(err);
	char *conf = text_of("sys", CONFIG_FILE);
	assert_string_equal(conf, mine);
	free(conf);
	assert_false(path_exists("sys/kernel.fragment"));
	assert_false(path_exists("sys/busybox.fragment"));
	assert_false(path_exists("sys/.gitignore"));
	assert_false(path_exists("sys/overlay"));
	assert_false(path_exists("sys/programs"));

	/* A second init after a first one: the same. */
	init_ok("two");
	char *before = text_of("two", CONFIG_FILE);
	err = init("two", -1);
	assert_string_equal(err, "mkdistro: 'two/mkdistro.conf' already exists: not overwriting it\n");
	free(err);
	char *after = text_of("two", CONFIG_FILE);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* Without a mkdistro.conf, the user's other files stay as they are: only
 * what is missing is written. */
static void test_keeps_other_files(void **state)
{
	struct testdir *t = *state;
	write_test_file(t->path, "sys/kernel.fragment", "CONFIG_PRINTK=y\n");
	write_test_file(t->path, "sys/.gitignore", "*.o\n");
	write_test_file(t->path, "sys/overlay/etc/motd", "hello\n");
	write_test_file(t->path, "sys/programs/hello.c", "int main(void) { return 0; }\n");
	init_ok("sys");

	char *s = text_of("sys", "kernel.fragment");
	assert_string_equal(s, "CONFIG_PRINTK=y\n");
	free(s);
	s = text_of("sys", ".gitignore");
	assert_string_equal(s, "*.o\n");
	free(s);
	s = text_of("sys", "overlay/etc/motd");
	assert_string_equal(s, "hello\n");
	free(s);
	s = text_of("sys", "programs/hello.c");
	assert_string_equal(s, "int main(void) { return 0; }\n");
	free(s);
	assert_empty_fragment("sys", "busybox.fragment", "mkdistro menuconfig busybox");
	assert_default_config(t, "sys");
}

/* A directory that cannot be made: an error, and no mkdistro.conf. */
static void test_cannot_make(void **state)
{
	struct testdir *t = *state;
	write_test_file(t->path, "file", "not a directory\n");
	char *err = init("file/sys", -1);
	assert_non_null(strstr(err, "mkdistro: mkdir '"));
	assert_non_null(strstr(err, "Not a directory"));
	free(err);
	assert_false(path_exists("file/sys"));

	/* An overlay in the way as a file: the same, before any file. */
	write_test_file(t->path, "sys2/overlay", "a file\n");
	err = init("sys2", -1);
	assert_non_null(strstr(err, "overlay"));
	free(err);
	assert_false(path_exists("sys2/" CONFIG_FILE));
	assert_false(path_exists("sys2/kernel.fragment"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		testdir_test(test_new_directory),
		testdir_test(test_not_from_working_directory),
		testdir_test(test_existing_config),
		testdir_test(test_keeps_other_files),
		testdir_test(test_cannot_make),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
