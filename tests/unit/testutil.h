/* testutil: helpers shared by the unit tests (header only: each test is
 * one program linked with the project's objects). */
#ifndef MKDISTRO_TESTUTIL_H
#define MKDISTRO_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
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
