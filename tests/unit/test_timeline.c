/* Tests for timeline: the SVG of a plan's last run, read back with a real
 * XML parser (Python's xml.etree), so that it is well-formed and holds one
 * bar per step that ran, scaled to the time axis. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "steps.h"
#include "testutil.h"
#include "timeline.h"
#include "util.h"

/* Prints the SVG's elements in document order, one a line, with what
 * the tests look at; fails (exit 1) on text that is not well-formed XML
 * or whose root is not an SVG element. */
static const char summary_py[] =
	"import sys, xml.etree.ElementTree as E\n"
	"ns = '{http://www.w3.org/2000/svg}'\n"
	"root = E.parse(sys.argv[1]).getroot()\n"
	"assert root.tag == ns + 'svg', root.tag\n"
	"print('svg', root.get('width'), root.get('height'))\n"
	"for e in root.iter():\n"
	"    t = e.tag[len(ns):]\n"
	"    if t == 'rect':\n"
	"        print('rect', *(e.get(a, '-') for a in ('x', 'y', 'width', 'height', 'fill')))\n"
	"    elif t == 'line':\n"
	"        print('line', e.get('x1'), e.get('x2'))\n"
	"    elif t in ('text', 'title'):\n"
	"        print(t, e.text)\n";

static int run_nothing(void *ctx, const char *log)
{
	return 0;
}

/* A step of the plan that ran (or not) as STATE says. */
static struct step step(const char *name, int state, double start, double seconds)
{
	return (struct step){ .name = name, .run = run_nothing, .needed = 1, .state = state,
			      .start = start, .seconds = seconds };
}

/* What the parser makes of SVG (new memory). */
static char *summary(const char *svg)
{
	if (!have_program("python3")) {
		fprintf(stderr, "test_timeline: python3 is missing, not tested\n");
		skip();
	}
	write_test_file(".", "summary.py", summary_py);
	write_test_file(".", "t.svg", svg);
	struct capture c;
	capture_start(&c, 1);
	int rc = system("python3 summary.py t.svg");
	char *out = capture_end(&c);
	if (rc != 0)
		fail_msg("not a well-formed SVG (status %d):\n%s\n%s", rc, svg, out);
	return out;
}

static void assert_summary(const struct plan *p, const char *want)
{
	char *svg = timeline_svg(p);
	char *got = summary(svg);
	if (strcmp(got, want))
		fail_msg("the SVG:\n%s\nreads as:\n%s\nwant:\n%s", svg, got, want);
	free(got);
	free(svg);
}

/* The parser's reading of P's SVG has LINES grid lines and holds each
 * of PARTS (NULL-terminated). */
static void assert_reads(const struct plan *p, int lines, const char *const *parts)
{
	char *svg = timeline_svg(p);
	char *sum = summary(svg);
	int n = 0;
	for (const char *l = strstr(sum, "\nline "); l; l = strstr(l + 1, "\nline "))
		n++;
	if (n != lines)
		fail_msg("%d grid lines, want %d, in:\n%s", n, lines, sum);
	for (size_t i = 0; parts[i]; i++)
		if (!strstr(sum, parts[i]))
			fail_msg("no \"%s\" in:\n%s", parts[i], sum);
	free(sum);
	free(svg);
}

/* Done, cached and failed steps side by side: a bar each, at its start
 * and as long as it took on a 900-pixel axis after 130 pixels of names;
 * steps that only gather (no run) or were not needed have no row. */
static void test_bars(void **state)
{
	struct step s[] = {
		step("a", STEP_DONE, 0, 2),
		step("b", STEP_DONE, 2, 6),
		step("c", STEP_CACHED, 0, 0),
		step("d", STEP_FAILED, 2, 1),
		{ .name = "all", .needed = 1, .state = STEP_DONE },
		step("unneeded", STEP_PENDING, 0, 0),
	};
	s[5].needed = 0;
	struct plan p = { .steps = s, .n = 6, .seconds = 8 };
	assert_summary(&p, "svg 1050 148\n"
			   "rect - - 100% 100% white\n"
			   "text mkdistro build: 8.0 s (grey: up to date, not run)\n"
			   /* a grid line every 2 s */
			   "line 130.0 130.0\ntext 0 s\n"
			   "line 355.0 355.0\ntext 2 s\n"
			   "line 580.0 580.0\ntext 4 s\n"
			   "line 805.0 805.0\ntext 6 s\n"
			   "line 1030.0 1030.0\ntext 8 s\n"
			   "text a\n"
			   "rect 130.0 33 225.0 16 #4a7fc1\n"
			   "title a: 2.0 s from 0.0 s\n"
			   "text 2.0 s\n"
			   "text b\n"
			   "rect 355.0 55 675.0 16 #4a7fc1\n"
			   "title b: 6.0 s from 2.0 s\n"
			   "text 6.0 s\n"
			   "text c\n"
			   "rect 130 77 4 16 #bbb\n"
			   "text d\n"
			   "rect 355.0 99 112.5 16 #c14a4a\n"
			   "title d: 1.0 s from 2.0 s\n"
			   "text 1.0 s\n");

	/* The same text from the module, to the letter, for one bar. */
	char *svg = timeline_svg(&p);
	assert_non_null(strstr(svg, "<rect x=\"355.0\" y=\"55\" width=\"675.0\" height=\"16\" "
				    "fill=\"#4a7fc1\"><title>b: 6.0 s from 2.0 s</title></rect>\n"));
	const char *head = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1050\" height=\"148\" ";
	assert_int_equal(strncmp(svg, head, strlen(head)), 0);
	assert_string_equal(svg + strlen(svg) - 7, "</svg>\n");
	free(svg);
}

/* The axis is as long as the longest step when that outlasts the plan's
 * own time, and a step too short to see is still one pixel wide. */
static void test_scale(void **state)
{
	struct step s[] = {
		step("long", STEP_DONE, 1, 3),
		step("blink", STEP_DONE, 0, 0.0001),
	};
	struct plan p = { .steps = s, .n = 2, .seconds = 2 };
	/* 4 s to the end of "long", a grid line every 0.5 s. */
	assert_reads(&p, 9, (const char *const[]){ "text mkdistro build: 2.0 s",
						    "line 1030.0 1030.0\ntext 4 s\n",
						    "rect 355.0 33 675.0 16 #4a7fc1\n",
						    "rect 130.0 55 1.0 16 #4a7fc1\n", NULL });

	/* A long build: a line every two minutes. */
	s[0] = step("long", STEP_DONE, 0, 1000);
	p.n = 1;
	p.seconds = 1000;
	assert_reads(&p, 9, (const char *const[]){ "text 960 s\n",
						    "rect 130.0 33 900.0 16 #4a7fc1\n", NULL });
}

/* Nothing ran (everything up to date): grey marks only, and an axis of
 * one second rather than a division by zero. */
static void test_all_cached(void **state)
{
	struct step s[] = {
		step("kernel", STEP_CACHED, 0, 0),
		step("initramfs", STEP_CACHED, 0, 0),
	};
	struct plan p = { .steps = s, .n = 2, .seconds = 0 };
	assert_summary(&p, "svg 1050 104\n"
			   "rect - - 100% 100% white\n"
			   "text mkdistro build: 0.0 s (grey: up to date, not run)\n"
			   "line 130.0 130.0\ntext 0 s\n"
			   "line 580.0 580.0\ntext 0.5 s\n"
			   "line 1030.0 1030.0\ntext 1 s\n"
			   "text kernel\n"
			   "rect 130 33 4 16 #bbb\n"
			   "text initramfs\n"
			   "rect 130 55 4 16 #bbb\n");

	/* And an empty plan is still a picture: the background, no bar. */
	p.n = 0;
	assert_summary(&p, "svg 1050 60\n"
			   "rect - - 100% 100% white\n"
			   "text mkdistro build: 0.0 s (grey: up to date, not run)\n"
			   "line 130.0 130.0\ntext 0 s\n"
			   "line 580.0 580.0\ntext 0.5 s\n"
			   "line 1030.0 1030.0\ntext 1 s\n");
}

/* timeline_write: the same text in a file; an error names the file. */
static void test_write(void **state)
{
	struct testdir *t = *state;
	struct step s[] = { step("a", STEP_DONE, 0, 1) };
	struct plan p = { .steps = s, .n = 1, .seconds = 1 };
	char *path = testdir_path(t, "logs/build-timeline.svg");
	assert_int_equal(mkdir("logs", 0755), 0);
	assert_int_equal(timeline_write(&p, path), 0);
	char *svg = timeline_svg(&p);
	char *file = read_file(path, NULL);
	assert_string_equal(file, svg);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_listing("logs", "build-timeline.svg");
	free(file);
	free(svg);
	free(path);

	struct capture c;
	capture_start(&c, 2);
	int rc = timeline_write(&p, "missing/build-timeline.svg");
	char *err = capture_end(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "missing/build-timeline.svg"));
	free(err);
	assert_false(path_exists("missing"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		testdir_test(test_bars),
		testdir_test(test_scale),
		testdir_test(test_all_cached),
		testdir_test(test_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
