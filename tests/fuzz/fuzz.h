/* fuzz: helpers shared by the libFuzzer targets (header only: each target
 * is one program linked with the project's objects, built by `make fuzz`).
 *
 * The code under test reports bad input with warn(); thousands of inputs
 * a second would flood the terminal, so stderr is sent to /dev/null while
 * it runs (FUZZ_VERBOSE=1 keeps it, for reproducing one input). A broken
 * property is reported with fuzz_fail(), which aborts: libFuzzer then
 * saves the input as crash-*. */
#ifndef MKDISTRO_FUZZ_H
#define MKDISTRO_FUZZ_H

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* The entry point libFuzzer calls with each input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_saved_stderr = -1;

static inline void fuzz_quiet(void)
{
	const char *v = getenv("FUZZ_VERBOSE");
	if ((v && *v && strcmp(v, "0")) || fuzz_saved_stderr >= 0)
		return;
	fflush(stderr);
	fuzz_saved_stderr = dup(2);
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fuzz_saved_stderr < 0 || null < 0) {
		perror("fuzz: /dev/null");
		abort();
	}
	dup2(null, 2);
	close(null);
}

static inline void fuzz_loud(void)
{
	if (fuzz_saved_stderr < 0)
		return;
	fflush(stderr);
	dup2(fuzz_saved_stderr, 2);
	close(fuzz_saved_stderr);
	fuzz_saved_stderr = -1;
}

/* The run's scratch directory (see fuzz_tmpdir). */
static char *fuzz_dir;

static void fuzz_cleanup(void)
{
	if (fuzz_dir)
		rm_rf(fuzz_dir);
}

static void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A property of the code under test does not hold: say which, and abort. */
static void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	fuzz_loud();
	fuzz_cleanup();
	fputs("fuzz: property broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* A fresh directory for the whole run, removed at exit and by fuzz_fail:
 * new memory. In $TMPDIR, else in /dev/shm when there is one: the code
 * under test syncs what it writes, which is free only in memory. */
static inline char *fuzz_tmpdir(const char *what)
{
	const char *t = getenv("TMPDIR");
	if (!t || !*t)
		t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char *tmpl = xasprintf("%s/mkdistro-fuzz-%s.XXXXXX", t, what);
	if (!mkdtemp(tmpl)) {
		perror("fuzz: mkdtemp");
		abort();
	}
	fuzz_dir = tmpl;
	atexit(fuzz_cleanup);
	return tmpl;
}

#endif
