/* testutil: helpers shared by the unit tests (header only: each test is
 * one program linked with the project's objects): what a test writes to
 * stdout or stderr caught (capture), a fresh directory for a test or a
 * group of tests (testdir), files written and listed. */
#ifndef MKDISTRO_TESTUTIL_H
#define MKDISTRO_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

/* Catch what is written to FD (stdout or stderr) in a file in memory,
 * not a pipe: forked children write to it too, and neither they nor the
 * test may block on a full pipe or wait for a reader. */
struct capture {
	int fd;    /* the descriptor caught */
	int saved; /* what FD was before */
	int file;  /* the memory file written to meanwhile */
};

/* The capture under way, for capture_cancel (a failed assertion leaves
 * the test's frame, and its struct capture, behind). */
static struct capture capture_running = { -1, -1, -1 };

/* Give FD back to what it was if a capture is still under way: a
 * teardown calls it, so that the message of an assertion that failed
 * while FD was caught is seen. Nothing when there is none. */
static inline void capture_cancel(void)
{
	struct capture *c = &capture_running;
	if (c->fd < 0)
		return;
	fflush(NULL);
	dup2(c->saved, c->fd);
	close(c->saved);
	close(c->file);
	*c = (struct capture){ -1, -1, -1 };
}

/* A cmocka teardown that calls capture_cancel, for tests that have no
 * teardown of their own (testdir_leave calls it too). */
static inline int capture_teardown(void **state)
{
	capture_cancel();
	return 0;
}

/* Start catching FD into C; one capture at a time (an earlier one still
 * under way is cancelled). */
static inline void capture_start(struct capture *c, int fd)
{
	capture_cancel();
	fflush(NULL);
	c->fd = fd;
	c->file = memfd_create("capture", MFD_CLOEXEC);
	assert_true(c->file >= 0);
	c->saved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	assert_true(c->saved >= 0);
	assert_true(dup2(c->file, fd) >= 0);
	capture_running = *c;
}

/* Stop capturing and return what was written (new memory). With
 * TEST_VERBOSE set it is also shown, on FD. */
static inline char *capture_end(struct capture *c)
{
	fflush(NULL);
	dup2(c->saved, c->fd);
	close(c->saved);
	capture_running = (struct capture){ -1, -1, -1 };
	struct buf b = { 0 };
	char chunk[4096];
	ssize_t n;
	off_t off = 0;
	while ((n = pread(c->file, chunk, sizeof(chunk), off)) > 0) {
		buf_add(&b, chunk, (size_t)n);
		off += n;
	}
	close(c->file);
	char *text = buf_steal(&b);
	if (getenv("TEST_VERBOSE"))
		dprintf(c->fd, "--- captured:\n%s---\n", text);
	return text;
}

/* A fresh directory for one test (or a group of them), entered as the
 * working directory. */
struct testdir {
	char *path; /* absolute, without symlinks (as getcwd() gives it);
		     * removed by testdir_leave */
	int oldcwd; /* the working directory before */
};

/* Make $TMPDIR/mkdistro-test-NAME-XXXXXX (/tmp without TMPDIR) and
 * change into it. */
static inline void testdir_enter(struct testdir *t, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/mkdistro-test-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
	assert_non_null(mkdtemp(tmpl));
	t->path = realpath(tmpl, NULL);
	assert_non_null(t->path);
	free(tmpl);
	t->oldcwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->oldcwd >= 0);
	assert_int_equal(chdir(t->path), 0);
}

/* Go back to the working directory of before and remove the directory
 * with everything in it. A capture a failed assertion left under way
 * ends first (capture_cancel). */
static inline void testdir_leave(struct testdir *t)
{
	capture_cancel();
	assert_int_equal(fchdir(t->oldcwd), 0);
	close(t->oldcwd);
	assert_int_equal(rm_rf(t->path), 0);
	free(t->path);
	t->path = NULL;
}

/* T's path joined with the relative path FMT formats (new memory). */
static inline char *testdir_path(const struct testdir *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline char *testdir_path(const struct testdir *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *rel = xvasprintf(fmt, ap);
	va_end(ap);
	char *p = path_join(t->path, rel);
	free(rel);
	return p;
}

/* The program's name without "test_" (test_NAME makes ...-test-NAME-...). */
static inline const char *testdir_name(void)
{
	const char *name = program_invocation_short_name;
	return strncmp(name, "test_", 5) ? name : name + 5;
}

/* cmocka setup of a test: a struct testdir in *STATE, entered, named
 * after the program. */
static inline int testdir_setup(void **state)
{
	struct testdir *t = xcalloc(1, sizeof(*t));
	testdir_enter(t, testdir_name());
	*state = t;
	return 0;
}

/* cmocka teardown for testdir_setup: leaves and frees the directory. */
static inline int testdir_teardown(void **state)
{
	testdir_leave(*state);
	free(*state);
	return 0;
}

/* A cmocka test run in a testdir of its own (testdir_setup/teardown). */
#define testdir_test(f) cmocka_unit_test_setup_teardown(f, testdir_setup, testdir_teardown)

/* The directory a whole group of tests shares, for helpers that reach
 * it without a state: testdir_group_setup (a group setup) enters it and
 * puts it in *STATE too, testdir_group_teardown removes it. */
static struct testdir testdir_group;

static inline int testdir_group_setup(void **state)
{
	testdir_enter(&testdir_group, testdir_name());
	*state = &testdir_group;
	return 0;
}

static inline int testdir_group_teardown(void **state)
{
	testdir_leave(&testdir_group);
	return 0;
}

/* Write TEXT to DIR/REL with MODE, making the directories REL names
 * first (write_file_atomic: a new file replaces what was there). */
static inline void write_test_file_mode(const char *dir, const char *rel, const char *text,
					mode_t mode)
{
	char *p = path_join(dir, rel);
	char *d = xstrdup(p);
	*strrchr(d, '/') = '\0';
	assert_int_equal(mkdir_p(d, 0755), 0);
	assert_int_equal(write_file_atomic(p, text, strlen(text), mode), 0);
	free(d);
	free(p);
}

/* The same with mode 0644. */
static inline void write_test_file(const char *dir, const char *rel, const char *text)
{
	write_test_file_mode(dir, rel, text, 0644);
}

/* Write TEXT to PATH in place: made, or cut short and rewritten keeping
 * its inode (a hard link to it stays one), then given exactly MODE
 * whatever the umask. */
static inline void write_test_inplace(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* The names in DIR but . and .. (dir_list's, hidden ones too: sorted by
 * strcmp), joined by spaces (new memory). */
static inline char *dir_listing(const char *dir)
{
	size_t n;
	char **names = dir_list(dir, NULL, 1, &n);
	if (!names)
		fail_msg("cannot list '%s': %s", dir, strerror(errno));
	struct buf b = { 0 };
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", names[i]);
	dir_list_free(names, n);
	return buf_steal(&b);
}

/* DIR holds exactly the names EXPECT lists (as dir_listing gives them). */
static inline void assert_listing(const char *dir, const char *expect)
{
	char *l = dir_listing(dir);
	assert_string_equal(l, expect);
	free(l);
}

#endif
