/* Tests for the manifest: sources (a file missing from the cache is
 * "unknown"), each step's labelled inputs without the shared lines, the
 * compiler's first line, and the outputs that exist with sha256 and size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "catalog.h"
#include "manifest.h"
#include "steps.h"
#include "testutil.h"
#include "util.h"

static void test_text(void **state)
{
	struct testdir *t = *state;
	static const char gcc[] = "#!/bin/sh\necho 'fakegcc (Test) 1.2.3'\necho 'Copyright'\n";
	char *cc = path_join(t->path, "fakegcc");
	assert_int_equal(write_file_atomic(cc, gcc, strlen(gcc), 0755), 0);
	assert_int_equal(mkdir_p("cache", 0755), 0);
	assert_int_equal(mkdir_p("out", 0755), 0);
	/* sha256 of "abc". */
	assert_int_equal(write_file_atomic("out/vmlinuz", "abc", 3, 0644), 0);

	struct step steps[2] = {
		{ .name = "kconfig", .inputs_text = (char *)"mkdistro 0.1.0\nstep:source:linux 12ab\n"
							   "compiler 34cd\narch 56ef\n" },
		{ .name = "all" },
	};
	struct plan plan = { .steps = steps, .n = 2 };
	const struct source *linux_src = catalog_find("linux", catalog_default_version("linux"));
	const struct source *const sources[] = { linux_src };
	struct manifest m = {
		.sources = sources,
		.nsources = 1,
		.cachedir = "cache",
		.plan = &plan,
		.compiler = cc,
		.outdir = "out",
	};
	/* The source is not in the cache: fetch says so, and it is unknown. */
	struct capture c;
	capture_start(&c, 2);
	char *text = manifest_text(&m);
	char *err = capture_end(&c);
	assert_non_null(strstr(err, "'linux "));
	free(err);
	char *want = xasprintf("# mkdistro %s manifest\n"
			       "[sources]\n"
			       "linux %s sha256=unknown from=unknown\n"
			       "[inputs]\n"
			       "kconfig: compiler 34cd\n"
			       "kconfig: arch 56ef\n"
			       "[compiler]\n"
			       "fakegcc (Test) 1.2.3\n"
			       "[outputs]\n"
			       "vmlinuz sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad "
			       "size=3\n",
			       MKDISTRO_VERSION, linux_src->version);
	assert_string_equal(text, want);
	free(want);

	capture_start(&c, 2);
	int rc = manifest_write(&m);
	free(capture_end(&c));
	assert_int_equal(rc, 0);
	char *written = read_file("out/manifest.txt", NULL);
	assert_string_equal(written, text);
	free(written);
	free(text);
	free(cc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		testdir_test(test_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
