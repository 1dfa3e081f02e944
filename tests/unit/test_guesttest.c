/* Tests for guesttest.c: loading suites from a real directory, the
 * initramfs with the scripts appended (read back with libarchive), and
 * the results parser fed with what the guest runner prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cpio.h"
#include "guesttest.h"
#include "testutil.h"
#include "util.h"

static void test_default_suite(void **state)
{
	/* What the project ships in tests/guest, compiled in. */
	assert_true(guest_default_suite_len >= 5);
	int hostname = 0;
	for (size_t i = 0; i < guest_default_suite_len; i++) {
		const struct guest_script *s = &guest_default_suite[i];
		assert_true(s->len > 0 && strlen(s->text) == s->len);
		if (i)
			assert_true(strcmp(guest_default_suite[i - 1].name, s->name) < 0);
		hostname |= !strcmp(s->name, "hostname.sh");
	}
	assert_true(hostname);
}

static void test_suite_load(void **state)
{
	struct testdir *t = *state;
	struct guest_suite s;
	write_test_file(t->path, "b.sh", "exit 1\n");
	write_test_file(t->path, "a.sh", "true\n");
	write_test_file(t->path, "notes.txt", "not a test\n");
	write_test_file(t->path, ".hidden.sh", "exit 9\n");

	assert_int_equal(guest_suite_load(&s, t->path, 1), 0);
	assert_int_equal(s.n, 2);
	char *a = path_join(t->path, "a.sh");
	assert_string_equal(s.v[0].name, a);
	assert_string_equal(s.v[0].text, "true\n");
	assert_int_equal(s.v[1].len, 7);
	free(a);
	guest_suite_free(&s);

	assert_int_equal(guest_suite_load(&s, t->path, 0), 0);
	assert_int_equal(s.n, guest_default_suite_len + 2);
	assert_string_equal(s.v[0].name, guest_default_suite[0].name);
	guest_suite_free(&s);

	char *missing = path_join(t->path, "missing");
	assert_int_equal(guest_suite_load(&s, missing, 0), -1);
	free(missing);
	assert_int_equal(guest_suite_load(&s, NULL, 1), -1);
}

/* The bytes of FILE from OFFSET on, as an archive: its entries' names
 * joined by spaces, and the content of entry WANT in *TEXT. */
static char *entries_from(const char *file, size_t offset, const char *want, char **text)
{
	size_t len;
	char *data = read_file(file, &len);
	assert_non_null(data);
	assert_true(offset < len);
	struct archive *a = archive_read_new();
	archive_read_support_format_cpio(a);
	assert_int_equal(archive_read_open_memory(a, data + offset, len - offset), ARCHIVE_OK);
	struct archive_entry *e;
	struct buf names = {0};
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		buf_printf(&names, "%s%s", names.len ? " " : "", archive_entry_pathname(e));
		if (!strcmp(archive_entry_pathname(e), want)) {
			char buf[4096];
			la_ssize_t n = archive_read_data(a, buf, sizeof(buf) - 1);
			assert_true(n >= 0);
			buf[n] = '\0';
			*text = xstrdup(buf);
		}
	}
	archive_read_free(a);
	free(data);
	return buf_steal(&names);
}

static void test_initrd(void **state)
{
	struct testdir *t = *state;
	struct guest_suite s;
	write_test_file(t->path, "t.sh", "echo from t\n");
	assert_int_equal(guest_suite_load(&s, t->path, 1), 0);

	/* A base image whose length is no multiple of 4. */
	char *base = path_join(t->path, "base.img");
	assert_int_equal(write_file_atomic(base, "GZIPDATA!", 9, 0644), 0);
	char *out = path_join(t->path, "test.img");
	assert_int_equal(guest_initrd(base, &s, 42, out), 0);

	size_t len;
	char *data = read_file(out, &len);
	assert_memory_equal(data, "GZIPDATA!\0\0\0" "070701", 18);
	free(data);
	char *runner = NULL, *script = NULL;
	char *names = entries_from(out, 12, "mkdistro-tests/run", &runner);
	assert_string_equal(names, "mkdistro-tests mkdistro-tests/run mkdistro-tests/000.sh");
	assert_non_null(runner);
	assert_non_null(strstr(runner, "limit=42\n"));
	free(names);
	names = entries_from(out, 12, "mkdistro-tests/000.sh", &script);
	assert_string_equal(script, "echo from t\n");
	free(names);
	free(runner);
	free(script);

	/* A missing base image is an error, nothing is left behind. */
	unlink(out);
	unlink(base);
	assert_int_equal(guest_initrd(base, &s, 42, out), -1);
	assert_false(path_exists(out));
	free(base);
	free(out);
	guest_suite_free(&s);
}

static const char *const names3[] = {"one.sh", "two.sh", "three.sh"};

static struct guest_suite suite3(void)
{
	struct guest_suite s = {0};
	s.n = 3;
	s.v = xcalloc(3, sizeof(*s.v));
	for (int i = 0; i < 3; i++)
		s.v[i] = (struct guest_script){.name = xstrdup(names3[i]), .text = xstrdup(""),
					       .len = 0};
	return s;
}

static char *report_text(FILE *f)
{
	fflush(f);
	long n = ftell(f);
	rewind(f);
	char *s = xcalloc(1, (size_t)n + 1);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	return s;
}

/* Feed TEXT in pieces of STEP bytes. */
static void feed(struct guest_parser *p, const char *text, size_t step)
{
	size_t n = strlen(text);
	for (size_t i = 0; i < n; i += step)
		guest_parser_feed(p, text + i, n - i < step ? n - i : step, 1.0);
}

static void test_parser(void **state)
{
	struct guest_suite s = suite3();
	for (size_t step = 1; step <= 7; step += 3) {
		FILE *f = tmpfile();
		struct guest_parser p;
		guest_parser_init(&p, &s, f);
		feed(&p,
		     "\036MKT-BEGIN 0\n"
		     "\036MKT-END 0 0\n"
		     "\036MKT-BEGIN 1\n"
		     "expected 3, got 4\n"
		     "last line without newline\036MKT-END 1 2\n"
		     "\036MKT-BEGIN 2\n"
		     "half done\n",
		     step);
		int failed = guest_parser_finish(&p, "timed out after 300 s");
		assert_int_equal(failed, 2);
		char *text = report_text(f);
		assert_string_equal(text, "PASS one.sh (0.0 s)\n"
					  "FAIL two.sh: exit status 2 (0.0 s)\n"
					  "    | expected 3, got 4\n"
					  "    | last line without newline\n"
					  "FAIL three.sh: did not finish: timed out after 300 s\n"
					  "    | half done\n"
					  "1 passed, 2 failed\n");
		free(text);
		guest_parser_free(&p);
		fclose(f);
	}

	/* Nothing ran at all; stray or malformed markers are output. */
	FILE *f = tmpfile();
	struct guest_parser p;
	guest_parser_init(&p, &s, f);
	feed(&p, "\036MKT-BEGIN 7\n\036MKT-END x 0\n", 5);
	assert_int_equal(guest_parser_finish(&p, "kernel panic"), 3);
	char *text = report_text(f);
	assert_string_equal(text, "FAIL one.sh: not run: kernel panic\n"
				  "FAIL two.sh: not run: kernel panic\n"
				  "FAIL three.sh: not run: kernel panic\n"
				  "0 passed, 3 failed\n");
	free(text);
	guest_parser_free(&p);
	fclose(f);
	guest_suite_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_suite),
		testdir_test(test_suite_load),
		testdir_test(test_initrd),
		cmocka_unit_test(test_parser),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
