/* Tests for util: path joining, the string buffer, atomic writes and the
 * file-tree helpers on a real temporary tree, and warn()'s format. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"
#include "testutil.h"
#include "tinyfs.h"

/* The uid/gid the unreadable-directory test drops to when run as root:
 * permissions do not stop root, so the test would prove nothing. */
#define NOBODY 65534

/* Set in children that end through exit(): the leak check at exit would
 * report what the parent's earlier (failed) tests left, not this child. */
static int no_leak_check;
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return no_leak_check;
}

struct fx {
	struct testdir dir; /* holding everything; the working directory */
};

static void assert_file(const char *path, const char *content)
{
	size_t len;
	char *s = read_file_quiet(path, &len);
	if (!s)
		fail_msg("cannot read '%s': %s", path, strerror(errno));
	assert_int_equal(len, strlen(content));
	assert_string_equal(s, content);
	free(s);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode;
}

static void assert_link(const char *path, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		fail_msg("'%s' is not a symlink: %s", path, strerror(errno));
	buf[n] = '\0';
	assert_string_equal(buf, target);
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	testdir_enter(&f->dir, "util");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	/* A failed test can leave unreadable directories behind. */
	char *cmd = xasprintf("chmod -R u+rwx '%s' 2>/dev/null", f->dir.path);
	int rc = system(cmd);
	(void)rc;
	free(cmd);
	testdir_leave(&f->dir);
	free(f);
	return 0;
}

static void check_join(const char *a, const char *b, const char *expect)
{
	char *p = path_join(a, b);
	if (strcmp(p, expect))
		fail_msg("path_join(\"%s\", \"%s\") = \"%s\", want \"%s\"", a, b, p, expect);
	free(p);
}

static void test_path_join(void **state)
{
	check_join("a", "b", "a/b");
	check_join("a/", "b", "a/b");
	check_join("a//", "//b", "a/b");
	check_join("/x/y", "b/c", "/x/y/b/c");
	check_join("/", "b", "/b");
	check_join("/", "/b", "/b");
	check_join("//", "b", "/b");
	check_join("", "b", "b");
	check_join("", "/b", "b");
	check_join("a", "", "a");
	check_join("a/", "", "a");
	check_join("/", "", "/");
	check_join("", "", "");
	check_join("a", "b/", "a/b/");
}

static void test_buf_growth(void **state)
{
	struct buf b = { 0 };

	buf_add(&b, "", 0);
	assert_non_null(b.s);
	assert_string_equal(b.s, "");
	assert_int_equal(b.len, 0);
	for (int i = 0; i < 10000; i++) {
		buf_addch(&b, (char)('a' + i % 26));
		assert_true(b.cap > b.len);
		assert_int_equal(b.s[b.len], '\0');
	}
	assert_int_equal(b.len, 10000);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(b.s[i], 'a' + i % 26);
	buf_free(&b);
	assert_null(b.s);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);

	/* Embedded NULs are data, not the end. */
	buf_add(&b, "a\0b", 3);
	buf_addstr(&b, "cd");
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.s, "a\0bcd", 6);
	buf_free(&b);

	/* One append much larger than the current capacity. */
	char big[5000];
	memset(big, 'x', sizeof(big));
	buf_addstr(&b, "head:");
	buf_add(&b, big, sizeof(big));
	assert_int_equal(b.len, 5005);
	assert_int_equal(b.s[5005], '\0');
	assert_int_equal(b.s[5004], 'x');
	assert_memory_equal(b.s, "head:", 5);

	buf_printf(&b, "|%d-%s|", 42, "z");
	assert_int_equal(b.len, 5005 + 6);
	assert_string_equal(b.s + 5005, "|42-z|");
	/* A formatted piece larger than the free space. */
	buf_printf(&b, "%.*s", 3000, big);
	assert_int_equal(b.len, 5011 + 3000);
	assert_int_equal(strlen(b.s), b.len);

	size_t len = b.len;
	char *s = buf_steal(&b);
	assert_int_equal(strlen(s), len);
	assert_null(b.s);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	free(s);

	/* Stealing an untouched buffer still gives a string. */
	s = buf_steal(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

static void test_xasprintf(void **state)
{
	char *s = xasprintf("%s-%d-%c-%05.1f", "abc", -7, 'q', 2.25);
	assert_string_equal(s, "abc--7-q-002.2");
	free(s);

	char big[3000];
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s = xasprintf("<%s>", big);
	assert_int_equal(strlen(s), sizeof(big) + 1);
	assert_int_equal(s[0], '<');
	assert_int_equal(s[sizeof(big)], '>');
	free(s);

	s = xasprintf("%s", "");
	assert_string_equal(s, "");
	free(s);
}

static void test_write_file_atomic(void **state)
{
	struct fx *f = *state;
	char *p = testdir_path(&f->dir, "out.bin");
	const char data[] = "line\n\0binary\xff";

	mode_t old = umask(022);
	assert_int_equal(write_file_atomic(p, data, sizeof(data), 0664), 0);
	umask(old);
	size_t len;
	char *got = read_file(p, &len);
	assert_non_null(got);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	free(got);
	/* The mode asked for, not the umask's. */
	assert_int_equal(mode_of(p) & 07777, 0664);
	assert_listing(f->dir.path, "out.bin");

	/* Replacing an existing file, with another mode. */
	assert_int_equal(write_file_atomic(p, "new", 3, 0750), 0);
	assert_file(p, "new");
	assert_int_equal(mode_of(p) & 07777, 0750);
	assert_listing(f->dir.path, "out.bin");

	/* Empty content. */
	assert_int_equal(write_file_atomic(p, "", 0, 0600), 0);
	assert_file(p, "");
	assert_listing(f->dir.path, "out.bin");
	free(p);
}

static void test_write_file_atomic_fails_cleanly(void **state)
{
	struct fx *f = *state;
	char *missing = testdir_path(&f->dir, "nodir/file");
	struct capture c;

	capture_start(&c, 2);
	int rc = write_file_atomic(missing, "x", 1, 0644);
	char *err = capture_end(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "mkdistro: "));
	assert_non_null(strstr(err, "nodir/file"));
	assert_non_null(strstr(err, "No such file or directory"));
	free(err);
	assert_listing(f->dir.path, "");

	/* The rename fails (a non-empty directory is in the way): the
	 * temporary file must not be left next to it. */
	char *d = testdir_path(&f->dir, "busy");
	char *inner = testdir_path(&f->dir, "busy/inner");
	assert_int_equal(mkdir(d, 0755), 0);
	write_test_inplace(inner, "keep", 0644);
	capture_start(&c, 2);
	rc = write_file_atomic(d, "x", 1, 0644);
	err = capture_end(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "rename"));
	free(err);
	assert_listing(f->dir.path, "busy");
	assert_file(inner, "keep");
	free(missing);
	free(d);
	free(inner);
}

static void test_read_file(void **state)
{
	struct fx *f = *state;
	char *p = testdir_path(&f->dir, "in");
	size_t len = 12345;

	/* Larger than read_file's chunk, with NULs. */
	size_t n = 100000;
	char *data = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i % 251);
	assert_int_equal(write_file_atomic(p, data, n, 0644), 0);
	char *got = read_file(p, &len);
	assert_non_null(got);
	assert_int_equal(len, n);
	assert_memory_equal(got, data, n);
	assert_int_equal(got[n], '\0');
	free(got);
	free(data);

	/* LEN may be NULL. */
	write_test_inplace(p, "", 0644);
	got = read_file(p, NULL);
	assert_non_null(got);
	assert_string_equal(got, "");
	free(got);

	char *missing = testdir_path(&f->dir, "missing");
	struct capture c;
	capture_start(&c, 2);
	errno = 0;
	got = read_file(missing, &len);
	int e = errno;
	char *err = capture_end(&c);
	assert_null(got);
	assert_int_equal(e, ENOENT);
	char *expect = xasprintf("mkdistro: read '%s': %s\n", missing, strerror(ENOENT));
	assert_string_equal(err, expect);
	free(expect);
	free(err);

	/* The quiet one says nothing. */
	capture_start(&c, 2);
	errno = 0;
	got = read_file_quiet(missing, &len);
	e = errno;
	err = capture_end(&c);
	assert_null(got);
	assert_int_equal(e, ENOENT);
	assert_string_equal(err, "");
	free(err);
	free(missing);
	free(p);
}

static void test_mkdir_p(void **state)
{
	struct fx *f = *state;
	char *deep = testdir_path(&f->dir, "a/b/c/d");
	char *slash = testdir_path(&f->dir, "x//y/");
	struct stat st;

	assert_int_equal(mkdir_p(deep, 0750), 0);
	assert_int_equal(stat(deep, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Existing: not an error. */
	assert_int_equal(mkdir_p(deep, 0750), 0);
	assert_int_equal(mkdir_p(f->dir.path, 0755), 0);
	assert_int_equal(mkdir_p(slash, 0755), 0);
	assert_int_equal(stat(slash, &st), 0);
	assert_true(S_ISDIR(st.st_mode));

	/* A file in the way, as a parent and as the leaf. */
	char *file = testdir_path(&f->dir, "a/file");
	char *under = testdir_path(&f->dir, "a/file/sub");
	write_test_inplace(file, "x", 0644);
	struct capture c;
	capture_start(&c, 2);
	int rc1 = mkdir_p(under, 0755);
	int rc2 = mkdir_p(file, 0755);
	char *err = capture_end(&c);
	assert_int_equal(rc1, -1);
	assert_int_equal(rc2, -1);
	assert_non_null(strstr(err, "mkdistro: mkdir '"));
	assert_non_null(strstr(err, "Not a directory"));
	free(err);
	assert_file(file, "x");

	/* Relative paths (to the working directory, the test's), and the
	 * empty path (an error, not a crash). */
	int rc3 = mkdir_p("rel/x", 0755);
	int rc4 = mkdir_p("single", 0755);
	capture_start(&c, 2);
	int rc5 = mkdir_p("", 0755);
	err = capture_end(&c);
	assert_int_equal(rc3, 0);
	assert_int_equal(rc4, 0);
	assert_int_equal(rc5, -1);
	assert_non_null(strstr(err, "mkdir ''"));
	free(err);
	assert_listing(f->dir.path, "a rel single x");
	free(deep);
	free(slash);
	free(file);
	free(under);
}

/* rm_rf of a tree holding symlinks to things outside it. */
static void test_rm_rf_symlinks(void **state)
{
	struct fx *f = *state;
	char *outside = testdir_path(&f->dir, "outside");
	char *ofile = testdir_path(&f->dir, "outside/precious");
	char *tree = testdir_path(&f->dir, "tree");
	char *p;

	assert_int_equal(mkdir(outside, 0755), 0);
	write_test_inplace(ofile, "keep me", 0644);
	assert_int_equal(mkdir_p(tree, 0755), 0);
	p = testdir_path(&f->dir, "tree/a/b/c");
	assert_int_equal(mkdir_p(p, 0755), 0);
	free(p);
	p = testdir_path(&f->dir, "tree/a/b/c/file");
	write_test_inplace(p, "x", 0644);
	free(p);
	p = testdir_path(&f->dir, "tree/a/dirlink");
	assert_int_equal(symlink(outside, p), 0);
	free(p);
	p = testdir_path(&f->dir, "tree/filelink");
	assert_int_equal(symlink(ofile, p), 0);
	free(p);
	p = testdir_path(&f->dir, "tree/dangling");
	assert_int_equal(symlink("/nonexistent/mkdistro", p), 0);
	free(p);

	assert_int_equal(rm_rf(tree), 0);
	assert_false(path_exists(tree));
	assert_file(ofile, "keep me");
	assert_listing(f->dir.path, "outside");

	/* A symlink given as the path is removed, not its target. */
	p = testdir_path(&f->dir, "toplink");
	assert_int_equal(symlink(outside, p), 0);
	assert_int_equal(rm_rf(p), 0);
	assert_false(path_exists(p));
	assert_file(ofile, "keep me");
	free(p);

	/* Missing is fine, and so is a plain file. */
	assert_int_equal(rm_rf(tree), 0);
	assert_int_equal(rm_rf(ofile), 0);
	assert_false(path_exists(ofile));
	free(outside);
	free(ofile);
	free(tree);
}

/* Build U/tree with a directory without any permission bits inside
 * (and a readable but locked directory), owned by UID. */
static void make_locked_tree(const struct fx *f, uid_t uid)
{
	char *p;

	p = testdir_path(&f->dir, "u/tree/locked/deeper");
	assert_int_equal(mkdir_p(p, 0755), 0);
	free(p);
	p = testdir_path(&f->dir, "u/tree/locked/deeper/file");
	write_test_inplace(p, "x", 0644);
	free(p);
	p = testdir_path(&f->dir, "u/tree/locked/file2");
	write_test_inplace(p, "y", 0600);
	free(p);
	if (uid == 0 || geteuid() == 0) {
		char *cmd = xasprintf("chown -R %d:%d '%s/u'", (int)uid, (int)uid, f->dir.path);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	p = testdir_path(&f->dir, "u/tree/locked/deeper");
	assert_int_equal(chmod(p, 0), 0);
	free(p);
	p = testdir_path(&f->dir, "u/tree/locked");
	assert_int_equal(chmod(p, 0), 0);
	free(p);
}

static void test_rm_rf_unreadable(void **state)
{
	struct fx *f = *state;
	char *tree = testdir_path(&f->dir, "u/tree");
	int as_nobody = geteuid() == 0;

	make_locked_tree(f, as_nobody ? NOBODY : geteuid());
	if (!as_nobody) {
		assert_int_equal(rm_rf(tree), 0);
	} else {
		/* The temp dir is root's 0700: let nobody through to u/. */
		assert_int_equal(chmod(f->dir.path, 0711), 0);
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
				_exit(3);
			/* Prove the lock holds for this user before relying on it. */
			char *probe = path_join(tree, "locked/file2");
			if (access(probe, R_OK) == 0)
				_exit(4);
			free(probe);
			_exit(rm_rf(tree) == 0 ? 0 : 1);
		}
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_false(path_exists(tree));
	free(tree);
}

/* A tree that cannot be removed is an error, not a silent success. */
static void test_rm_rf_failure(void **state)
{
	struct fx *f = *state;
	char *tree = testdir_path(&f->dir, "ro");
	char *inner = testdir_path(&f->dir, "ro/inner");
	char *file = testdir_path(&f->dir, "ro/inner/file");

	assert_int_equal(mkdir_p(inner, 0755), 0);
	write_test_inplace(file, "x", 0644);
	fflush(NULL);
	/* As root nothing is locked: drop to nobody, who does not own ro/. */
	if (geteuid() == 0)
		assert_int_equal(chmod(f->dir.path, 0777), 0);
	else
		assert_int_equal(chmod(inner, 0555), 0);
	struct capture c;
	capture_start(&c, 2);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0))
			_exit(3);
		_exit(rm_rf(tree) == -1 ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	free(capture_end(&c));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_file(file, "x");
	assert_int_equal(chmod(inner, 0755), 0);
	assert_int_equal(chmod(f->dir.path, 0700), 0);
	free(tree);
	free(inner);
	free(file);
}

static void test_copy_file(void **state)
{
	struct fx *f = *state;
	char *a = testdir_path(&f->dir, "a");
	char *b = testdir_path(&f->dir, "b");
	char *c = testdir_path(&f->dir, "c");

	/* Larger than the copy chunk. */
	size_t n = 100003;
	char *data = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7 % 256);
	assert_int_equal(write_file_atomic(a, data, n, 0751), 0);
	assert_int_equal(copy_file(a, b), 0);
	size_t len;
	char *got = read_file(b, &len);
	assert_int_equal(len, n);
	assert_memory_equal(got, data, n);
	free(got);
	free(data);
	assert_int_equal(mode_of(b) & 07777, 0751);

	/* Over an existing file, with a different mode. */
	write_test_inplace(c, "small", 0600);
	assert_int_equal(copy_file(c, b), 0);
	assert_file(b, "small");
	assert_int_equal(mode_of(b) & 07777, 0600);
	assert_listing(f->dir.path, "a b c");

	/* A missing source leaves nothing behind. */
	char *missing = testdir_path(&f->dir, "missing");
	char *d = testdir_path(&f->dir, "d");
	struct capture cap;
	capture_start(&cap, 2);
	int rc = copy_file(missing, d);
	char *err = capture_end(&cap);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "missing"));
	free(err);
	assert_listing(f->dir.path, "a b c");
	free(missing);
	free(d);
	free(a);
	free(b);
	free(c);
}

/* In the child of tinyfs_run, DIR is a 64 KiB file system. */
struct full {
	const char *dir;  /* the small file system */
	const char *big;  /* a 200 KiB file outside it */
	const char *data; /* its content */
	size_t len;
};

/* Nothing but the names in WANT (space-separated) in DIR; 0 or 1. */
static int only(const char *dir, const char *want)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int bad = !d;
	while (d && (de = readdir(d))) {
		char *w = xasprintf(" %s ", want);
		char *n = xasprintf(" %s ", de->d_name);
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && !strstr(w, n)) {
			fprintf(stderr, "test: left in '%s': '%s'\n", dir, de->d_name);
			bad = 1;
		}
		free(w);
		free(n);
	}
	if (d)
		closedir(d);
	return bad;
}

static int write_into_full(void *arg)
{
	const struct full *fu = arg;
	char *keep = path_join(fu->dir, "keep");
	char *copy = path_join(fu->dir, "copy");
	int rc = 0;
	if (write_file_atomic(keep, "old", 3, 0644) != 0) {
		fprintf(stderr, "test: a small file does not fit\n");
		rc = 1;
	} else if (write_file_atomic(keep, fu->data, fu->len, 0644) != -1) {
		fprintf(stderr, "test: write_file_atomic succeeded on a full disk\n");
		rc = 2;
	} else if (copy_file(fu->big, copy) != -1) {
		fprintf(stderr, "test: copy_file succeeded on a full disk\n");
		rc = 3;
	} else {
		char *text = read_file(keep, NULL);
		if (!text || strcmp(text, "old")) {
			fprintf(stderr, "test: the earlier file changed\n");
			rc = 4;
		}
		free(text);
		if (only(fu->dir, "keep"))
			rc = 5;
	}
	free(keep);
	free(copy);
	return rc;
}

/* Disk full (ENOSPC): an error naming the file the caller asked for, no
 * temporary file left, an earlier file of that name untouched. */
static void test_disk_full(void **state)
{
	struct fx *f = *state;
	char *small = testdir_path(&f->dir, "small");
	char *big = testdir_path(&f->dir, "big");
	size_t len = 200 * 1024;
	char *data = xmalloc(len);
	for (size_t i = 0; i < len; i++)
		data[i] = (char)(i * 131 % 251);
	assert_int_equal(mkdir(small, 0755), 0);
	assert_int_equal(write_file_atomic(big, data, len, 0644), 0);
	struct full fu = { small, big, data, len };

	struct capture c;
	capture_start(&c, 2);
	int rc = tinyfs_run(small, 64, write_into_full, &fu);
	char *err = capture_end(&c);
	free(data);
	if (rc < 0) {
		fputs(err, stderr);
		free(err);
		free(small);
		free(big);
		skip();
	}
	if (rc != 0)
		fputs(err, stderr);
	assert_int_equal(rc, 0);
	char *want = xasprintf("mkdistro: write '%s/keep': No space left on device\n"
			       "mkdistro: write '%s/copy': No space left on device\n",
			       small, small);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(small);
	free(big);
}

static void test_copy_tree(void **state)
{
	struct fx *f = *state;
	char *p;
#define MK(rel) (free(p), p = testdir_path(&f->dir, "%s", rel))
	p = NULL;

	/* The source. */
	MK("src/bin");
	assert_int_equal(mkdir_p(p, 0755), 0);
	MK("src/sub/deeper");
	assert_int_equal(mkdir_p(p, 0755), 0);
	MK("src/bin/tool");
	write_test_inplace(p, "#!/bin/sh\n", 0755);
	MK("src/plain");
	write_test_inplace(p, "plain", 0640);
	MK("src/sub/deeper/file");
	write_test_inplace(p, "deep", 0644);
	MK("src/link");
	assert_int_equal(symlink("plain", p), 0);
	MK("src/dangling");
	assert_int_equal(symlink("../nowhere", p), 0);
	MK("src/wasdir");
	write_test_inplace(p, "now a file", 0644);
	MK("src/wasfile");
	assert_int_equal(mkdir(p, 0700), 0);
	MK("src/wasfile/x");
	write_test_inplace(p, "x", 0644);
	MK("src/waslink");
	assert_int_equal(mkdir(p, 0755), 0);
	MK("src/waslink/y");
	write_test_inplace(p, "y", 0644);
	MK("src/overfile");
	assert_int_equal(symlink("plain", p), 0);
	MK("src/throughlink");
	write_test_inplace(p, "new content", 0644);

	/* The destination, with entries of the other type in the way. */
	MK("outside");
	assert_int_equal(mkdir(p, 0755), 0);
	MK("outside/victim");
	write_test_inplace(p, "untouched", 0644);
	MK("dst/wasdir/inner");
	assert_int_equal(mkdir_p(p, 0755), 0);
	MK("dst/wasfile");
	write_test_inplace(p, "old file", 0644);
	MK("dst/waslink");
	char *outside = testdir_path(&f->dir, "outside");
	assert_int_equal(symlink(outside, p), 0);
	MK("dst/overfile");
	write_test_inplace(p, "regular", 0644);
	MK("dst/throughlink");
	char *victim = testdir_path(&f->dir, "outside/victim");
	assert_int_equal(symlink(victim, p), 0);
	MK("dst/plain");
	write_test_inplace(p, "old plain", 0666);
	MK("dst/extra");
	write_test_inplace(p, "kept", 0644);

	char *src = testdir_path(&f->dir, "src");
	char *dst = testdir_path(&f->dir, "dst");
	assert_int_equal(copy_tree(src, dst), 0);

	assert_listing(dst, "bin dangling extra link overfile plain sub throughlink wasdir wasfile waslink");
	MK("dst/bin/tool");
	assert_file(p, "#!/bin/sh\n");
	assert_int_equal(mode_of(p) & 07777, 0755);
	MK("dst/plain");
	assert_file(p, "plain");
	assert_int_equal(mode_of(p) & 07777, 0640);
	MK("dst/sub/deeper/file");
	assert_file(p, "deep");
	MK("dst/link");
	assert_link(p, "plain");
	MK("dst/dangling");
	assert_link(p, "../nowhere");
	MK("dst/wasdir");
	assert_true(S_ISREG(mode_of(p)));
	assert_file(p, "now a file");
	MK("dst/wasfile");
	assert_true(S_ISDIR(mode_of(p)));
	assert_int_equal(mode_of(p) & 07777, 0700);
	MK("dst/wasfile/x");
	assert_file(p, "x");
	MK("dst/waslink");
	assert_true(S_ISDIR(mode_of(p)));
	MK("dst/waslink/y");
	assert_file(p, "y");
	MK("dst/overfile");
	assert_link(p, "plain");
	MK("dst/throughlink");
	assert_true(S_ISREG(mode_of(p)));
	assert_file(p, "new content");
	MK("dst/extra");
	assert_file(p, "kept");
	/* Nothing was written through the links that were in the way. */
	assert_listing(outside, "victim");
	assert_file(victim, "untouched");
	/* The source is unchanged. */
	MK("src/link");
	assert_link(p, "plain");
	MK("src/overfile");
	assert_link(p, "plain");

	/* A destination that is a symlink to a directory is replaced, not
	 * written through. */
	MK("dst2");
	assert_int_equal(symlink(outside, p), 0);
	assert_int_equal(copy_tree(src, p), 0);
	assert_true(S_ISDIR(mode_of(p)));
	assert_listing(outside, "victim");

	/* A special file cannot be copied. */
	MK("src/fifo");
	assert_int_equal(mkfifo(p, 0644), 0);
	MK("dst3");
	struct capture c;
	capture_start(&c, 2);
	int rc = copy_tree(src, p);
	char *err = capture_end(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "fifo"));
	free(err);
#undef MK
	free(p);
	free(src);
	free(dst);
	free(outside);
	free(victim);
}

static void test_have_program(void **state)
{
	struct fx *f = *state;
	char *bin = testdir_path(&f->dir, "bin");
	char *prog = testdir_path(&f->dir, "bin/mkdistro-test-prog");
	char *noexec = testdir_path(&f->dir, "bin/mkdistro-test-noexec");
	char *dirprog = testdir_path(&f->dir, "bin/mkdistro-test-dir");
	char *oldpath = xstrdup(getenv("PATH") ? getenv("PATH") : "");

	assert_true(have_program("sh"));
	assert_true(have_program("/bin/sh"));
	assert_false(have_program("mkdistro-no-such-program"));
	assert_false(have_program("/nonexistent/sh"));

	assert_int_equal(mkdir(bin, 0755), 0);
	write_test_inplace(prog, "#!/bin/sh\n", 0755);
	write_test_inplace(noexec, "#!/bin/sh\n", 0644);
	assert_int_equal(mkdir(dirprog, 0755), 0);
	char *path = xasprintf("/nonexistent:%s", bin);
	setenv("PATH", path, 1);
	free(path);
	int found = have_program("mkdistro-test-prog");
	int found_noexec = have_program("mkdistro-test-noexec");
	int found_dir = have_program("mkdistro-test-dir");
	int found_sh = have_program("sh");
	setenv("PATH", oldpath, 1);
	assert_true(found);
	assert_false(found_dir);
	assert_false(found_sh);
	assert_false(found_noexec);
	free(oldpath);
	free(bin);
	free(prog);
	free(noexec);
	free(dirprog);
}

static void test_path_exists(void **state)
{
	struct fx *f = *state;
	char *file = testdir_path(&f->dir, "file");
	char *dangling = testdir_path(&f->dir, "dangling");
	char *missing = testdir_path(&f->dir, "missing");

	write_test_inplace(file, "", 0644);
	assert_int_equal(symlink("nowhere", dangling), 0);
	assert_true(path_exists(file));
	assert_true(path_exists(dangling));
	assert_true(path_exists(f->dir.path));
	assert_false(path_exists(missing));
	free(file);
	free(dangling);
	free(missing);
}

static void test_warn_format(void **state)
{
	struct capture c;

	capture_start(&c, 2);
	errno = ENOENT;
	warn("open '%s':", "some file");
	int e1 = errno;
	errno = EACCES;
	warn("plain %d: message", 5);
	int e2 = errno;
	errno = 0;
	warn("%s", "");
	char *err = capture_end(&c);
	char *expect = xasprintf("mkdistro: open 'some file': %s\n"
				 "mkdistro: plain 5: message\n"
				 "mkdistro: \n",
				 strerror(ENOENT));
	assert_string_equal(err, expect);
	/* warn() must not clobber errno for the caller. */
	assert_int_equal(e1, ENOENT);
	assert_int_equal(e2, EACCES);
	free(expect);
	free(err);
}

static void test_die(void **state)
{
	struct capture c;
	capture_start(&c, 2);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		no_leak_check = 1;
		errno = EPERM;
		die("fatal '%s':", "thing");
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	char *err = capture_end(&c);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	char *expect = xasprintf("mkdistro: fatal 'thing': %s\n", strerror(EPERM));
	assert_string_equal(err, expect);
	free(expect);
	free(err);
}

static void test_xreallocarray_overflow(void **state)
{
	struct capture c;
	capture_start(&c, 2);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		no_leak_check = 1;
		/* Must die before the multiplication wraps to a small size. */
		void *q = xreallocarray(NULL, SIZE_MAX / 2 + 2, 2);
		free(q);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	free(capture_end(&c));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_buf_growth),
		cmocka_unit_test(test_xasprintf),
		cmocka_unit_test_setup_teardown(test_write_file_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_file_atomic_fails_cleanly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rm_rf_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rm_rf_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rm_rf_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_have_program, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_exists, setup, teardown),
		cmocka_unit_test(test_warn_format),
		cmocka_unit_test(test_die),
		cmocka_unit_test(test_xreallocarray_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
