/* Tests for extract.c with archives built here by libarchive's writer,
 * including hostile ones. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>

#include "extract.h"
#include "testutil.h"
#include "util.h"

#define MTIME 1600000000

static char *outside;  /* what hostile archives aim at */
static char *arc;      /* the current test's archive */
static char *dest;     /* the current test's destination */
static mode_t old_umask;

enum { NONE, GZ, BZ2, XZ };

struct ent {
	const char *name;
	mode_t type;        /* AE_IFREG when 0 */
	mode_t perm;        /* 0644 when 0 */
	const char *data;   /* regular file contents */
	const char *symlink;
	const char *hardlink;
	dev_t rdev;
	size_t big;         /* when > 0, a generated file of this size */
};

static char *big_data(size_t n)
{
	char *s = xmalloc(n + 1);
	uint32_t x = 7;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		s[i] = (char)('a' + (x >> 16) % 26);
	}
	s[n] = '\0';
	return s;
}

static void write_archive(const char *path, const struct ent *ents, size_t n, int filter)
{
	struct archive *a = archive_write_new();
	assert_non_null(a);
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	switch (filter) {
	case GZ: assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK); break;
	case BZ2: assert_int_equal(archive_write_add_filter_bzip2(a), ARCHIVE_OK); break;
	case XZ: assert_int_equal(archive_write_add_filter_xz(a), ARCHIVE_OK); break;
	default: break;
	}
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		const struct ent *t = &ents[i];
		struct archive_entry *e = archive_entry_new();
		char *big = t->big ? big_data(t->big) : NULL;
		const char *data = big ? big : t->data;
		archive_entry_set_pathname(e, t->name);
		archive_entry_set_filetype(e, t->type ? t->type : AE_IFREG);
		archive_entry_set_perm(e, t->perm ? t->perm : 0644);
		archive_entry_set_mtime(e, MTIME, 0);
		if (t->symlink)
			archive_entry_set_symlink(e, t->symlink);
		if (t->hardlink)
			archive_entry_set_hardlink(e, t->hardlink);
		if (t->rdev)
			archive_entry_set_rdev(e, t->rdev);
		size_t len = data && !t->hardlink ? strlen(data) : 0;
		archive_entry_set_size(e, (la_int64_t)len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (len)
			assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
		archive_entry_free(e);
		free(big);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* The group's directory (testdir_group) holds everything the tests write. */
static int group_setup(void **state)
{
	testdir_group_setup(state);
	outside = testdir_path(&testdir_group, "outside");
	if (mkdir_p(outside, 0755) < 0)
		return -1;
	char *secret = path_join(outside, "secret");
	int rc = write_file_atomic(secret, "secret\n", 7, 0644);
	free(secret);
	old_umask = umask(022);
	return rc;
}

static int group_teardown(void **state)
{
	umask(old_umask);
	free(outside);
	return testdir_group_teardown(state);
}

static int test_setup(void **state)
{
	static int n;
	n++;
	arc = xasprintf("%s/a%d.tar", testdir_group.path, n);
	dest = xasprintf("%s/d%d", testdir_group.path, n);
	return 0;
}

static int test_teardown(void **state)
{
	capture_cancel();
	unlink(arc);
	rm_rf(dest);
	free(arc);
	free(dest);
	return 0;
}

/* The outside directory holds exactly what group_setup put there. */
static void assert_outside_untouched(void)
{
	DIR *d = opendir(outside);
	struct dirent *de;
	struct stat st;
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "secret"))
			fail_msg("'%s' appeared in the outside directory", de->d_name);
	}
	closedir(d);
	char *secret = path_join(outside, "secret");
	assert_int_equal(lstat(secret, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(st.st_size, 7);
	free(secret);
}

/* No temporary directory and no destination after a failure. */
static void assert_nothing_left(void)
{
	char *tmp = xasprintf("%s.tmp.%ld", dest, (long)getpid());
	assert_false(path_exists(dest));
	assert_false(path_exists(tmp));
	free(tmp);
	assert_outside_untouched();
}

/* Extract ENTS (which must fail) and return what was printed. */
static char *expect_refused(const struct ent *ents, size_t n, const char *topdir)
{
	write_archive(arc, ents, n, GZ);
	struct capture cap;
	capture_start(&cap, 2);
	int rc = extract_archive(arc, dest, topdir);
	char *err = capture_end(&cap);
	assert_int_equal(rc, -1);
	assert_nothing_left();
	assert_non_null(strstr(err, "mkdistro: extract '"));
	return err;
}

static void assert_mode(const char *rel, mode_t want)
{
	char *p = path_join(dest, rel);
	struct stat st;
	assert_int_equal(lstat(p, &st), 0);
	if ((st.st_mode & 07777) != want)
		fail_msg("'%s' has mode %o, want %o", rel, (unsigned)(st.st_mode & 07777), (unsigned)want);
	free(p);
}

static void assert_content(const char *rel, const char *want)
{
	char *p = path_join(dest, rel);
	size_t len = 0;
	char *s = read_file(p, &len);
	assert_non_null(s);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(s, want, len);
	free(s);
	free(p);
}

static const struct ent good[] = {
	{ .name = "pkg-1.0/", .type = AE_IFDIR, .perm = 0755 },
	{ .name = "pkg-1.0/README", .data = "hello\n" },
	{ .name = "pkg-1.0/bin/", .type = AE_IFDIR, .perm = 0755 },
	{ .name = "pkg-1.0/bin/run", .perm = 0755, .data = "#!/bin/sh\necho hi\n" },
	{ .name = "pkg-1.0/link", .type = AE_IFLNK, .perm = 0777, .symlink = "README" },
	{ .name = "pkg-1.0/bin/up", .type = AE_IFLNK, .perm = 0777, .symlink = "../README" },
	{ .name = "pkg-1.0/hard", .hardlink = "pkg-1.0/README" },
	{ .name = "pkg-1.0/empty", .data = "" },
	{ .name = "pkg-1.0/private", .perm = 0600, .data = "p" },
	/* Parents without their own entries are created. */
	{ .name = "pkg-1.0/a/b/c/deep.txt", .data = "deep\n" },
	{ .name = "./pkg-1.0/dotslash", .data = "ds\n" },
	{ .name = "pkg-1.0/big", .big = 3 << 20 },
};

static void check_good_tree(void)
{
	char *p, buf[64];
	struct stat st, st2;

	assert_content("README", "hello\n");
	assert_content("bin/run", "#!/bin/sh\necho hi\n");
	assert_content("empty", "");
	assert_content("a/b/c/deep.txt", "deep\n");
	assert_content("dotslash", "ds\n");
	char *big = big_data(3 << 20);
	assert_content("big", big);
	free(big);
	assert_mode("README", 0644);
	assert_mode("bin/run", 0755);
	assert_mode("bin", 0755);
	assert_mode("private", 0600);

	p = path_join(dest, "link");
	ssize_t n = readlink(p, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "README");
	free(p);
	p = path_join(dest, "bin/up");
	n = readlink(p, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "../README");
	free(p);

	p = path_join(dest, "README");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mtime, MTIME);
	assert_int_equal(st.st_nlink, 2);
	free(p);
	p = path_join(dest, "hard");
	assert_int_equal(stat(p, &st2), 0);
	assert_int_equal(st.st_ino, st2.st_ino);
	free(p);
	/* The top directory was stripped. */
	p = path_join(dest, "pkg-1.0");
	assert_false(path_exists(p));
	free(p);
}

static void test_good_archive(void **state)
{
	static const int filters[] = { NONE, GZ, BZ2, XZ };
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		write_archive(arc, good, sizeof(good) / sizeof(good[0]), filters[i]);
		assert_int_equal(extract_archive(arc, dest, "pkg-1.0"), 0);
		check_good_tree();
		char *tmp = xasprintf("%s.tmp.%ld", dest, (long)getpid());
		assert_false(path_exists(tmp));
		free(tmp);
		assert_int_equal(rm_rf(dest), 0);
	}
	/* A trailing slash on either argument makes no difference. */
	write_archive(arc, good, sizeof(good) / sizeof(good[0]), XZ);
	char *slashed = xasprintf("%s/", dest);
	assert_int_equal(extract_archive(arc, slashed, "pkg-1.0/"), 0);
	free(slashed);
	check_good_tree();
	assert_outside_untouched();
}

static void test_relative_paths(void **state)
{
	/* The archive and destination given relative to the working
	 * directory, which extract_archive changes and must restore. */
	char before[4096], after[4096];
	assert_non_null(getcwd(before, sizeof(before)));
	write_archive(arc, good, sizeof(good) / sizeof(good[0]), GZ);
	assert_int_equal(chdir(testdir_group.path), 0);
	const char *a = strrchr(arc, '/') + 1, *d = strrchr(dest, '/') + 1;
	int rc = extract_archive(a, d, "pkg-1.0");
	assert_non_null(getcwd(after, sizeof(after)));
	assert_int_equal(chdir(before), 0);
	assert_int_equal(rc, 0);
	assert_string_equal(after, testdir_group.path);
	check_good_tree();
}

static void test_no_topdir(void **state)
{
	static const struct ent ents[] = {
		{ .name = "a", .data = "A" },
		{ .name = "b/c", .data = "C" },
	};
	write_archive(arc, ents, 2, XZ);
	assert_int_equal(extract_archive(arc, dest, NULL), 0);
	assert_content("a", "A");
	assert_content("b/c", "C");
}

static void test_dotdot(void **state)
{
	static const struct ent ents[] = {
		{ .name = "pkg-1.0/ok", .data = "ok" },
		{ .name = "pkg-1.0/../evil", .data = "evil" },
	};
	char *err = expect_refused(ents, 2, "pkg-1.0");
	assert_non_null(strstr(err, "'pkg-1.0/../evil': '..' in the name"));
	char *p = path_join(testdir_group.path, "evil");
	assert_false(path_exists(p));
	free(p);
	free(err);

	static const struct ent deep[] = {
		{ .name = "pkg-1.0/a/../../../outside/evil", .data = "evil" },
	};
	free(expect_refused(deep, 1, "pkg-1.0"));
	/* Without a top directory to strip, '..' is still refused. */
	static const struct ent bare[] = { { .name = "../evil", .data = "evil" } };
	free(expect_refused(bare, 1, NULL));
}

static void test_absolute(void **state)
{
	char *target = path_join(outside, "abs_evil");
	const struct ent ents[] = { { .name = target, .data = "evil" } };
	char *err = expect_refused(ents, 1, NULL);
	assert_non_null(strstr(err, "absolute path"));
	assert_false(path_exists(target));
	free(err);
	free(target);
}

static void test_outside_topdir(void **state)
{
	static const struct ent other[] = {
		{ .name = "pkg-1.0/ok", .data = "ok" },
		{ .name = "other/file", .data = "x" },
	};
	char *err = expect_refused(other, 2, "pkg-1.0");
	assert_non_null(strstr(err, "'other/file': outside the top directory"));
	free(err);
	/* A name merely starting with the top directory's name is outside. */
	static const struct ent prefix[] = { { .name = "pkg-1.0x/file", .data = "x" } };
	free(expect_refused(prefix, 1, "pkg-1.0"));
	/* The top directory must be a directory. */
	static const struct ent notdir[] = { { .name = "pkg-1.0", .data = "x" } };
	free(expect_refused(notdir, 1, "pkg-1.0"));
}

static void test_write_through_symlink(void **state)
{
	const struct ent abs[] = {
		{ .name = "pkg-1.0/esc", .type = AE_IFLNK, .perm = 0777, .symlink = outside },
		{ .name = "pkg-1.0/esc/pwned", .data = "pwned" },
	};
	free(expect_refused(abs, 2, "pkg-1.0"));

	/* DEST is DIR/dN (DIR the group's directory), so ../.. from DEST/esc
	 * reaches DIR. */
	static const struct ent rel[] = {
		{ .name = "pkg-1.0/esc", .type = AE_IFLNK, .perm = 0777, .symlink = "../../outside" },
		{ .name = "pkg-1.0/esc/pwned", .data = "pwned" },
	};
	free(expect_refused(rel, 2, "pkg-1.0"));

	/* A directory symlink, then a directory created through it. */
	static const struct ent dir[] = {
		{ .name = "pkg-1.0/esc", .type = AE_IFLNK, .perm = 0777, .symlink = "../../outside" },
		{ .name = "pkg-1.0/esc/newdir/", .type = AE_IFDIR, .perm = 0755 },
	};
	free(expect_refused(dir, 2, "pkg-1.0"));
}

static void test_symlink_replaced_not_followed(void **state)
{
	char *victim = path_join(outside, "secret");
	const struct ent ents[] = {
		{ .name = "pkg-1.0/l", .type = AE_IFLNK, .perm = 0777, .symlink = victim },
		{ .name = "pkg-1.0/l", .data = "pwned" },
	};
	write_archive(arc, ents, 2, GZ);
	struct capture cap;
	capture_start(&cap, 2);
	int rc = extract_archive(arc, dest, "pkg-1.0");
	free(capture_end(&cap));
	/* Refusing or replacing the link are both fine; writing the
	 * secret is not. */
	if (rc == 0) {
		assert_content("l", "pwned");
		rm_rf(dest);
	}
	assert_nothing_left();
	free(victim);
}

static void test_hardlink_outside(void **state)
{
	char *secret = path_join(outside, "secret");
	const struct ent abs[] = { { .name = "pkg-1.0/h", .hardlink = secret } };
	char *err = expect_refused(abs, 1, "pkg-1.0");
	assert_non_null(strstr(err, "hardlink to"));
	free(err);

	static const struct ent dots[] = {
		{ .name = "pkg-1.0/h", .hardlink = "pkg-1.0/../../outside/secret" },
	};
	free(expect_refused(dots, 1, "pkg-1.0"));

	static const struct ent other[] = { { .name = "pkg-1.0/h", .hardlink = "other/secret" } };
	free(expect_refused(other, 1, "pkg-1.0"));

	/* A hardlink whose target path goes through a symlink to outside. */
	const struct ent via[] = {
		{ .name = "pkg-1.0/d", .type = AE_IFLNK, .perm = 0777, .symlink = outside },
		{ .name = "pkg-1.0/h", .hardlink = "pkg-1.0/d/secret" },
	};
	free(expect_refused(via, 2, "pkg-1.0"));
	free(secret);
}

static void test_special_files(void **state)
{
	struct ent c = { .name = "pkg-1.0/null", .type = AE_IFCHR, .perm = 0666, .rdev = makedev(1, 3) };
	char *err = expect_refused(&c, 1, "pkg-1.0");
	assert_non_null(strstr(err, "character device"));
	free(err);

	struct ent b = { .name = "pkg-1.0/sda", .type = AE_IFBLK, .perm = 0660, .rdev = makedev(8, 0) };
	err = expect_refused(&b, 1, "pkg-1.0");
	assert_non_null(strstr(err, "block device"));
	free(err);

	static const struct ent fifo[] = { { .name = "pkg-1.0/fifo", .type = AE_IFIFO, .perm = 0644 } };
	err = expect_refused(fifo, 1, "pkg-1.0");
	assert_non_null(strstr(err, "FIFO"));
	free(err);
}

static void test_setuid_dropped(void **state)
{
	static const struct ent ents[] = {
		{ .name = "pkg-1.0/suid", .perm = 04755, .data = "x" },
		{ .name = "pkg-1.0/sgid", .perm = 02755, .data = "x" },
		{ .name = "pkg-1.0/sgiddir/", .type = AE_IFDIR, .perm = 02755 },
		{ .name = "pkg-1.0/sgiddir/f", .data = "f" },
	};
	write_archive(arc, ents, 4, GZ);
	assert_int_equal(extract_archive(arc, dest, "pkg-1.0"), 0);
	assert_mode("suid", 0755);
	assert_mode("sgid", 0755);
	assert_mode("sgiddir", 0755);
	assert_content("sgiddir/f", "f");
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

static void test_control_characters(void **state)
{
	static const struct ent nl[] = { { .name = "pkg-1.0/bad\nname", .data = "x" } };
	char *err = expect_refused(nl, 1, "pkg-1.0");
	assert_non_null(strstr(err, "'pkg-1.0/bad\\nname'"));
	assert_non_null(strstr(err, "control character"));
	assert_int_equal(count_char(err, '\n'), 1);
	free(err);

	static const struct ent esc[] = { { .name = "pkg-1.0/\033[31mred", .data = "x" } };
	err = expect_refused(esc, 1, "pkg-1.0");
	assert_non_null(strstr(err, "\\x1b[31mred"));
	assert_null(strchr(err, '\033'));
	assert_int_equal(count_char(err, '\n'), 1);
	free(err);
}

static void test_escape_name(void **state)
{
	char *s = escape_name("a\nb\tc\\d\033e\x7f\xc3\xa9");
	assert_string_equal(s, "a\\nb\\tc\\\\d\\x1be\\x7f\\xc3\\xa9");
	free(s);
}

static void test_dest_exists(void **state)
{
	write_archive(arc, good, sizeof(good) / sizeof(good[0]), GZ);
	assert_int_equal(mkdir(dest, 0755), 0);
	struct capture cap;
	capture_start(&cap, 2);
	int rc = extract_archive(arc, dest, "pkg-1.0");
	char *err = capture_end(&cap);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "already exists"));
	char *p = path_join(dest, "README");
	assert_false(path_exists(p));
	free(p);
	free(err);
}

static void test_corrupt_archive(void **state)
{
	write_archive(arc, good, sizeof(good) / sizeof(good[0]), XZ);
	struct stat st;
	assert_int_equal(stat(arc, &st), 0);
	assert_int_equal(truncate(arc, st.st_size / 2), 0);
	struct capture cap;
	capture_start(&cap, 2);
	int rc = extract_archive(arc, dest, "pkg-1.0");
	char *err = capture_end(&cap);
	assert_int_equal(rc, -1);
	assert_nothing_left();
	free(err);

	/* Only the stream's last 12 bytes (its footer) gone: every file and
	 * the tar end marker come out whole, only the decompressor's exit
	 * status tells. */
	write_archive(arc, good, sizeof(good) / sizeof(good[0]), XZ);
	assert_int_equal(stat(arc, &st), 0);
	assert_int_equal(truncate(arc, st.st_size - 12), 0);
	capture_start(&cap, 2);
	rc = extract_archive(arc, dest, "pkg-1.0");
	free(capture_end(&cap));
	assert_int_equal(rc, -1);
	assert_nothing_left();

	assert_int_equal(write_file_atomic(arc, "not an archive at all\n", 22, 0644), 0);
	capture_start(&cap, 2);
	rc = extract_archive(arc, dest, "pkg-1.0");
	free(capture_end(&cap));
	assert_int_equal(rc, -1);
	assert_nothing_left();

	unlink(arc);
	capture_start(&cap, 2);
	rc = extract_archive(arc, dest, "pkg-1.0");
	free(capture_end(&cap));
	assert_int_equal(rc, -1);
	assert_nothing_left();
}

static void test_empty(void **state)
{
	static const struct ent ents[] = { { .name = "pkg-1.0/", .type = AE_IFDIR, .perm = 0755 } };
	char *err = expect_refused(ents, 1, "pkg-1.0");
	assert_non_null(strstr(err, "no files under 'pkg-1.0/'"));
	free(err);
}

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_good_archive),
		T(test_relative_paths),
		T(test_no_topdir),
		T(test_dotdot),
		T(test_absolute),
		T(test_outside_topdir),
		T(test_write_through_symlink),
		T(test_symlink_replaced_not_followed),
		T(test_hardlink_outside),
		T(test_special_files),
		T(test_setuid_dropped),
		T(test_control_characters),
		T(test_escape_name),
		T(test_dest_exists),
		T(test_corrupt_archive),
		T(test_empty),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
