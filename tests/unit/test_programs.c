/* Tests for the user's programs: which entries of programs/ are programs
 * (NAME.c, NAME/ with .c files), the compiler command of each, in name
 * order, and the failures (a directory without .c files, a compile
 * error with the compiler's message). The compiler is a script that
 * records its arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "programs.h"
#include "testutil.h"
#include "util.h"

/* Records "ARGS" per call in calls.txt, writes the -o file; fails on a
 * file named broken.c. */
static const char fake_cc[] = "#!/bin/sh\n"
			      "echo \"$*\" >> calls.txt\n"
			      "case \"$*\" in *broken.c*) echo 'broken.c:1: error: nope' >&2; exit 1;; esac\n"
			      "while [ $# -gt 0 ]; do\n"
			      "	[ \"$1\" = -o ] && { shift; echo binary > \"$1\"; }\n"
			      "	shift\n"
			      "done\n";

struct fx {
	struct testdir t;
	char *src;  /* DIR/sys/programs, with an empty multi/ */
	char *cc;   /* DIR/cc, the fake compiler */
	char *dest; /* DIR/dest */
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	testdir_enter(&f->t, "programs");
	assert_int_equal(write_file_atomic("cc", fake_cc, strlen(fake_cc), 0755), 0);
	assert_int_equal(mkdir_p("sys/programs/multi", 0755), 0);
	f->src = path_join(f->t.path, "sys/programs");
	f->cc = path_join(f->t.path, "cc");
	f->dest = path_join(f->t.path, "dest");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	testdir_leave(&f->t);
	free(f->src);
	free(f->cc);
	free(f->dest);
	free(f);
	return 0;
}

static void put(const char *path, const char *text)
{
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

static void test_dir_and_inputs(void **state)
{
	struct fx *f = *state;
	struct config cfg = {0};
	char *conf = path_join(f->t.path, "sys/mkdistro.conf");
	assert_int_equal(config_parse(&cfg, "", 0, conf), 0);
	char *dir = programs_dir(&cfg);
	assert_string_equal(dir, f->src);
	free(dir);
	/* programs/ with an empty directory in it is not empty: an input. */
	struct step_inputs in = {0};
	programs_inputs(&cfg, &in);
	assert_null(strstr(in.lines.s, "programs none"));
	buf_free(&in.lines);
	/* No programs/ at all: none, and no directory. */
	assert_int_equal(rm_rf("sys/programs"), 0);
	assert_null(programs_dir(&cfg));
	programs_inputs(&cfg, &in);
	assert_string_equal(in.lines.s, "programs none\n");
	buf_free(&in.lines);
	config_free(&cfg);
	free(conf);
}

static void test_build_in_order(void **state)
{
	struct fx *f = *state;
	put("sys/programs/zed.c", "int main(void) { return 0; }\n");
	put("sys/programs/hello.c", "int main(void) { return 0; }\n");
	put("sys/programs/multi/main.c", "int main(void) { return 0; }\n");
	put("sys/programs/multi/a.c", "int a;\n");
	put("sys/programs/multi/notes.txt", "not C\n");
	put("sys/programs/README", "not a program\n");
	put("sys/programs/.hidden.c", "skipped\n");
	const char *src = f->src, *cc = f->cc, *dest = f->dest;
	struct capture c;
	capture_start(&c, 2);
	int rc = programs_build(src, cc, dest, "build.log");
	char *err = capture_end(&c);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "mkdistro: compiling program 'hello'\n"
				 "mkdistro: compiling program 'multi'\n"
				 "mkdistro: compiling program 'zed'\n");
	free(err);
	char *calls = read_file("sys/programs/calls.txt", NULL);
	char *want = xasprintf("-static -Os -Wall -o %s/usr/bin/hello %s/hello.c\n"
			       "-static -Os -Wall -o %s/usr/bin/multi %s/multi/a.c %s/multi/main.c\n"
			       "-static -Os -Wall -o %s/usr/bin/zed %s/zed.c\n",
			       dest, src, dest, src, src, dest, src);
	assert_string_equal(calls, want);
	free(calls);
	free(want);
	assert_true(path_exists("dest/usr/bin/hello"));
	assert_true(path_exists("dest/usr/bin/multi"));

	/* Made afresh: what is gone from programs/ is gone from DEST. */
	assert_int_equal(rm_rf("sys/programs/multi"), 0);
	assert_int_equal(rm_rf("sys/programs/zed.c"), 0);
	capture_start(&c, 2);
	rc = programs_build(src, cc, dest, "build.log");
	free(capture_end(&c));
	assert_int_equal(rc, 0);
	assert_true(path_exists("dest/usr/bin/hello"));
	assert_false(path_exists("dest/usr/bin/multi"));

	/* No programs/: an empty /usr/bin. */
	assert_int_equal(programs_build(NULL, cc, dest, "build.log"), 0);
	assert_true(path_exists("dest/usr/bin"));
	assert_false(path_exists("dest/usr/bin/hello"));
}

static void test_failures(void **state)
{
	struct fx *f = *state;
	const char *src = f->src, *cc = f->cc, *dest = f->dest;
	/* A directory without .c files stops the build, naming it. */
	struct capture c;
	capture_start(&c, 2);
	int rc = programs_build(src, cc, dest, "build.log");
	char *err = capture_end(&c);
	assert_int_equal(rc, -1);
	char *want = xasprintf("mkdistro: program 'multi': no .c files in '%s/multi'\n", src);
	assert_string_equal(err, want);
	free(want);
	free(err);
	assert_int_equal(rm_rf("sys/programs/multi"), 0);

	/* The compiler's message is shown, then which program failed. */
	put("sys/programs/broken.c", "int main(void) { return nope; }\n");
	capture_start(&c, 2);
	rc = programs_build(src, cc, dest, "build.log");
	err = capture_end(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "mkdistro: compiling program 'broken'\n"));
	assert_non_null(strstr(err, "exited with status 1\n"));
	assert_non_null(strstr(err, "broken.c:1: error: nope\n"));
	assert_non_null(strstr(err, "mkdistro: program 'broken' did not compile (see the compiler's "
				    "message above)\n"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dir_and_inputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
