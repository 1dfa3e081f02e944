/* testutil: helpers shared by the unit tests (header only: each test is
 * one program linked with the project's objects). */
#ifndef MKDISTRO_TESTUTIL_H
#define MKDISTRO_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

/* Catch what is written to FD (stdout or stderr) in a pipe. */
struct capture {
	int fd, saved, rd;
};

static inline void capture_start(struct capture *c, int fd)
{
	int p[2];
	fflush(NULL);
	assert_int_equal(pipe(p), 0);
	c->fd = fd;
	c->saved = dup(fd);
	assert_true(c->saved >= 0);
	assert_true(dup2(p[1], fd) >= 0);
	close(p[1]);
	c->rd = p[0];
}

/* Stop capturing and return what was written (new memory). */
static inline char *capture_end(struct capture *c)
{
	fflush(NULL);
	dup2(c->saved, c->fd);
	close(c->saved);
	struct buf b = { 0 };
	char chunk[4096];
	ssize_t n;
	while ((n = read(c->rd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)n);
	close(c->rd);
	return buf_steal(&b);
}

/* A fresh directory for one test, entered as the working directory. */
struct testdir {
	char *path; /* absolute; removed by testdir_leave */
	int oldcwd; /* the working directory before */
};

/* Make /tmp/mkdistro-test-NAME-XXXXXX and change into it. */
static inline void testdir_enter(struct testdir *t, const char *name)
{
	char *tmpl = xasprintf("/tmp/mkdistro-test-%s-XXXXXX", name);
	assert_non_null(mkdtemp(tmpl));
	t->path = tmpl;
	t->oldcwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->oldcwd >= 0);
	assert_int_equal(chdir(t->path), 0);
}

/* Go back to the working directory of before and remove the directory
 * with everything in it. */
static inline void testdir_leave(struct testdir *t)
{
	assert_int_equal(fchdir(t->oldcwd), 0);
	close(t->oldcwd);
	assert_int_equal(rm_rf(t->path), 0);
	free(t->path);
	t->path = NULL;
}

/* Write TEXT to DIR/REL, making the directories REL names first. */
static inline void write_test_file(const char *dir, const char *rel, const char *text)
{
	char *p = path_join(dir, rel);
	char *d = xstrdup(p);
	*strrchr(d, '/') = '\0';
	assert_int_equal(mkdir_p(d, 0755), 0);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	free(d);
	free(p);
}

#endif
