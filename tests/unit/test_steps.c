/* Tests for steps: a small plan of fake steps in a temporary directory.
 * Each step appends its name to a run log and writes its output file, so
 * the tests see what ran, in which order, and what was cached. Steps run
 * in forked children: everything a step observes is reported through
 * files and checked here, in the parent. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc.h"
#include "steps.h"
#include "util.h"
#include "testutil.h"

/* The graph:  a -> b -> c -> all,  a -> d -> all  ("all" only gathers). */
enum { SA, SB, SC, SD, SALL, NSTEPS };
static const char *const names[NSTEPS] = { "a", "b", "c", "d", "all" };

/* What each step's inputs callback hashes; tests change these. */
static const char *input[NSTEPS];
/* Name of a step that fails, or that "succeeds" without its output. */
static const char *failing;
static const char *forgetful;
/* Written to every step's log after "working\n", when set. */
static const char *extra_log;
/* What a step writes to its output, when not its name. */
static const char *content[NSTEPS];

struct fx {
	struct testdir dir;
	char *stampdir, *logdir, *runlog;
	char *out[NSTEPS];
	struct step steps[NSTEPS];
	struct plan plan;
};

/* In the step's child: no cmocka here, only results. */
static int append(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000 * 1000 };
	nanosleep(&ts, NULL);
}

static int do_run(struct fx *f, int i, const char *log)
{
	char *line = xasprintf("%s\n", names[i]);
	append(f->runlog, line);
	free(line);
	append(log, "working\n");
	if (extra_log)
		append(log, extra_log);
	if (failing && !strcmp(failing, names[i])) {
		append(log, "step is failing on purpose\n");
		return -1;
	}
	if (forgetful && !strcmp(forgetful, names[i]))
		return 0;
	const char *text = content[i] ? content[i] : names[i];
	return write_file_atomic(f->out[i], text, strlen(text), 0644);
}

static void add_inputs(struct step_inputs *in, int i)
{
	char label[32];
	snprintf(label, sizeof(label), "%s-input", names[i]);
	step_input_str(in, label, input[i]);
}

#define FUNCS(X)                                                                 \
	static void inputs_##X(void *ctx, struct step_inputs *in)                \
	{                                                                        \
		add_inputs(in, X);                                               \
	}                                                                        \
	static int run_##X(void *ctx, const char *log)                           \
	{                                                                        \
		return do_run(ctx, X, log);                                      \
	}
FUNCS(SA)
FUNCS(SB)
FUNCS(SC)
FUNCS(SD)

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	testdir_enter(&f->dir, "steps");
	f->stampdir = testdir_path(&f->dir, "stamps");
	f->logdir = testdir_path(&f->dir, "logs");
	f->runlog = testdir_path(&f->dir, "ran");
	for (int i = 0; i < NSTEPS; i++) {
		f->out[i] = testdir_path(&f->dir, "%s.out", names[i]);
		input[i] = "1";
		content[i] = NULL;
	}
	failing = forgetful = extra_log = NULL;

	struct step *s = f->steps;
	s[SA] = (struct step){ .name = "a", .inputs = inputs_SA, .run = run_SA };
	s[SB] = (struct step){ .name = "b", .deps = { "a" }, .inputs = inputs_SB, .run = run_SB };
	s[SC] = (struct step){ .name = "c", .deps = { "b" }, .inputs = inputs_SC, .run = run_SC };
	s[SD] = (struct step){ .name = "d", .deps = { "a" }, .inputs = inputs_SD, .run = run_SD };
	s[SALL] = (struct step){ .name = "all", .deps = { "c", "d" } };
	for (int i = 0; i < SALL; i++)
		s[i].outputs[0] = f->out[i];
	f->plan = (struct plan){ .steps = s, .n = NSTEPS, .ctx = f, .stampdir = f->stampdir,
				 .logdir = f->logdir, .parallel = 1, .jobs = 1 };
	*state = f;
	return 0;
}

static void free_steps(struct step *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].inputs_text);
		s[i].inputs_text = NULL;
	}
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free_steps(f->steps, NSTEPS);
	testdir_leave(&f->dir);
	free(f->stampdir);
	free(f->logdir);
	free(f->runlog);
	for (int i = 0; i < NSTEPS; i++)
		free(f->out[i]);
	free(f);
	return 0;
}

/* plan_run with its progress messages kept out of the test output;
 * *ERR (if not NULL) gets them. */
static int run_plan(struct plan *p, const char *target, char **err)
{
	struct capture c;
	capture_start(&c, 2);
	int rc = plan_run(p, target);
	char *text = capture_end(&c);
	if (err)
		*err = text;
	else
		free(text);
	return rc;
}

/* What ran since the last call, as "a b c". */
static char *ran(struct fx *f)
{
	char *text = read_file_quiet(f->runlog, NULL);
	if (!text)
		return xstrdup("");
	unlink(f->runlog);
	for (char *p = text; *p; p++)
		if (*p == '\n')
			*p = p[1] ? ' ' : '\0';
	return text;
}

static void assert_ran(struct fx *f, const char *expect)
{
	char *got = ran(f);
	if (strcmp(got, expect))
		fail_msg("ran \"%s\", want \"%s\"", got, expect);
	free(got);
}

static char *stamp_of(struct fx *f, const char *name)
{
	char *p = testdir_path(&f->dir, "stamps/%s.stamp", name);
	char *text = read_file_quiet(p, NULL);
	free(p);
	return text;
}

static void assert_states(const struct fx *f, const int *want)
{
	static const char *const st[] = { "pending", "running", "cached", "done", "failed" };
	for (int i = 0; i < NSTEPS; i++)
		if (f->steps[i].state != want[i])
			fail_msg("step '%s' is %s, want %s", names[i], st[f->steps[i].state], st[want[i]]);
}

static void test_first_run(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	/* Serially, in plan order as far as dependencies allow. */
	assert_ran(f, "a b c d");
	const int done[] = { STEP_DONE, STEP_DONE, STEP_DONE, STEP_DONE, STEP_DONE };
	assert_states(f, done);
	for (int i = 0; i < NSTEPS; i++) {
		char *stamp = stamp_of(f, names[i]);
		if (!stamp)
			fail_msg("no stamp for '%s'", names[i]);
		/* The key first, then the inputs that explain it. */
		char *head = xasprintf("key %s\n", f->steps[i].key);
		assert_int_equal(strncmp(stamp, head, strlen(head)), 0);
		assert_string_equal(stamp + strlen(head), f->steps[i].inputs_text);
		free(head);
		free(stamp);
		if (i < SALL)
			assert_true(path_exists(f->out[i]));
	}
	/* Dependencies' keys are among a step's inputs. */
	char *dep = xasprintf("step:a %s\n", f->steps[SA].key);
	assert_non_null(strstr(f->steps[SB].inputs_text, dep));
	assert_non_null(strstr(f->steps[SD].inputs_text, dep));
	free(dep);
	assert_non_null(strstr(f->steps[SB].inputs_text, "b-input "));
	/* Each step wrote its log. */
	char *log = testdir_path(&f->dir, "logs/c.log");
	char *text = read_file(log, NULL);
	assert_non_null(text);
	assert_string_equal(text, "working\n");
	free(text);
	free(log);
}

static void test_dependency_order(void **state)
{
	struct fx *f = *state;

	/* Only what the target needs, deps first. */
	assert_int_equal(run_plan(&f->plan, "c", NULL), 0);
	assert_ran(f, "a b c");
	assert_false(path_exists(f->out[SD]));
	assert_int_equal(f->steps[SD].state, STEP_PENDING);
}

static void test_second_run_cached(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "a b c d");
	char key[NSTEPS][SHA256_HEX_LEN + 1];
	for (int i = 0; i < NSTEPS; i++)
		memcpy(key[i], f->steps[i].key, sizeof(key[i]));

	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "");
	const int cached[] = { STEP_CACHED, STEP_CACHED, STEP_CACHED, STEP_CACHED, STEP_CACHED };
	assert_states(f, cached);
	/* Keys are stable from run to run. */
	for (int i = 0; i < NSTEPS; i++)
		assert_string_equal(key[i], f->steps[i].key);

	/* A fresh plan (a new mkdistro process) sees the same. */
	free_steps(f->steps, NSTEPS);
	for (int i = 0; i < NSTEPS; i++) {
		f->steps[i].needed = 0;
		f->steps[i].state = 0;
		memset(f->steps[i].key, 0, sizeof(f->steps[i].key));
	}
	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "");
	assert_states(f, cached);
}

static void test_changed_input(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "a b c d");

	input[SB] = "2";
	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "b c");
	const int want[] = { STEP_CACHED, STEP_DONE, STEP_DONE, STEP_CACHED, STEP_DONE };
	assert_states(f, want);

	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "");

	/* The root's input: everything below it. */
	input[SA] = "2";
	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "a b c d");

	/* Back to an old value is a change too (no stale stamp matches). */
	input[SD] = "0";
	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "d");
	input[SD] = "1";
	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "d");
}

static void test_missing_output(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "a b c d");
	assert_int_equal(unlink(f->out[SD]), 0);
	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	/* Same key, so its users stay cached. */
	assert_ran(f, "d");
	assert_true(path_exists(f->out[SD]));
	const int want[] = { STEP_CACHED, STEP_CACHED, STEP_CACHED, STEP_DONE, STEP_CACHED };
	assert_states(f, want);
}

static void test_failing_step(void **state)
{
	struct fx *f = *state;
	char *err = NULL;

	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "a b c d");

	input[SC] = "2";
	failing = "c";
	assert_int_equal(run_plan(&f->plan, "all", &err), -1);
	char *got = ran(f);
	/* d may or may not have started before c failed; "all" must not. */
	if (strcmp(got, "c") && strcmp(got, "c d") && strcmp(got, "d c"))
		fail_msg("ran \"%s\"", got);
	free(got);
	assert_int_equal(f->steps[SC].state, STEP_FAILED);
	assert_true(f->steps[SALL].state != STEP_DONE);
	/* No stamp: not even the old one, whose key would match again once
	 * the input is back. */
	char *stamp = stamp_of(f, "c");
	assert_null(stamp);
	/* The failure names the step and shows its log. */
	assert_non_null(strstr(err, "mkdistro: step 'c' failed"));
	assert_non_null(strstr(err, "step is failing on purpose"));
	char *log = testdir_path(&f->dir, "logs/c.log");
	assert_non_null(strstr(err, log));
	free(log);
	free(err);

	input[SC] = "1";
	failing = NULL;
	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "c");
	assert_int_equal(f->steps[SC].state, STEP_DONE);
	stamp = stamp_of(f, "c");
	assert_non_null(stamp);
	free(stamp);
	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "");
}

/* Exit status 0 without the declared output is a failure too. */
static void test_output_not_made(void **state)
{
	struct fx *f = *state;

	forgetful = "b";
	assert_int_equal(run_plan(&f->plan, "all", NULL), -1);
	assert_ran(f, "a b");
	assert_int_equal(f->steps[SB].state, STEP_FAILED);
	char *stamp = stamp_of(f, "b");
	assert_null(stamp);
	forgetful = NULL;
	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "b c d");
}

/* The status line of NAME in plan_status's output (new memory). */
static char *status_of(const char *out, const char *name)
{
	const char *p = out;
	size_t nl = strlen(name);
	while (p && *p) {
		if (!strncmp(p, name, nl) && p[nl] == ' ') {
			p += nl;
			while (*p == ' ')
				p++;
			return xstrndup(p, strcspn(p, "\n"));
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	fail_msg("no status line for '%s' in:\n%s", name, out);
	return NULL;
}

static int status(struct fx *f, char **out)
{
	struct capture c;
	capture_start(&c, 1);
	int n = plan_status(&f->plan);
	*out = capture_end(&c);
	return n;
}

static void assert_status(const char *out, const char *name, const char *expect)
{
	char *s = status_of(out, name);
	if (strcmp(s, expect))
		fail_msg("status of '%s' is \"%s\", want \"%s\"", name, s, expect);
	free(s);
}

static void test_status(void **state)
{
	struct fx *f = *state;
	char *out;

	assert_int_equal(status(f, &out), NSTEPS);
	for (int i = 0; i < NSTEPS; i++)
		assert_status(out, names[i], "stale: never built");
	free(out);

	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "a b c d");
	assert_int_equal(status(f, &out), 0);
	for (int i = 0; i < NSTEPS; i++)
		assert_status(out, names[i], "up to date");
	/* One line per step, nothing else. */
	int lines = 0;
	for (const char *p = out; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, NSTEPS);
	free(out);

	input[SB] = "2";
	assert_int_equal(status(f, &out), 3);
	assert_status(out, "a", "up to date");
	assert_status(out, "b", "stale: b-input changed");
	assert_status(out, "c", "stale: step:b changed");
	assert_status(out, "all", "stale: step:c changed");
	assert_status(out, "d", "up to date");
	free(out);
	/* Asking changes nothing. */
	assert_ran(f, "");

	input[SB] = "1";
	assert_int_equal(unlink(f->out[SD]), 0);
	assert_int_equal(status(f, &out), 1);
	char *want = xasprintf("stale: output missing: %s", f->out[SD]);
	assert_status(out, "d", want);
	free(want);
	assert_status(out, "b", "up to date");
	free(out);
}

/* c keyed late: by what b wrote, not by b's key. */
static void inputs_late_c(void *ctx, struct step_inputs *in)
{
	struct fx *f = ctx;
	add_inputs(in, SC);
	step_input_file(in, "b.out", f->out[SB]);
}

static void test_late_key(void **state)
{
	struct fx *f = *state;
	char *out;
	f->steps[SC].inputs = inputs_late_c;
	f->steps[SC].late_key = 1;

	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "a b c d");

	/* b runs again and writes what it wrote before: c and all stay. */
	input[SB] = "2";
	assert_int_equal(status(f, &out), 3);
	assert_status(out, "b", "stale: b-input changed");
	assert_status(out, "c", "stale: waits for b (then keyed by what it made)");
	assert_status(out, "all", "stale: waits for c (then keyed by what it made)");
	assert_status(out, "d", "up to date");
	free(out);
	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "b");
	const int same[] = { STEP_CACHED, STEP_DONE, STEP_CACHED, STEP_CACHED, STEP_CACHED };
	assert_states(f, same);
	assert_int_equal(status(f, &out), 0);
	free(out);

	/* b writes something else: c runs, and so does what needs c. */
	input[SB] = "3";
	content[SB] = "b, other";
	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "b c");
	const int other[] = { STEP_CACHED, STEP_DONE, STEP_DONE, STEP_CACHED, STEP_DONE };
	assert_states(f, other);
	assert_int_equal(status(f, &out), 0);
	free(out);

	/* Its own input still counts. */
	input[SC] = "2";
	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "c");
}

/* A stamp that is not ours (empty, truncated, garbage) means stale. */
static void test_corrupt_stamp(void **state)
{
	struct fx *f = *state;
	char *out;

	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "a b c d");
	char *sd = testdir_path(&f->dir, "stamps/d.stamp");
	char *sc = testdir_path(&f->dir, "stamps/c.stamp");
	assert_int_equal(write_file_atomic(sd, "", 0, 0644), 0);
	assert_int_equal(write_file_atomic(sc, "ke", 2, 0644), 0);
	int stale = status(f, &out);
	char *d = status_of(out, "d"), *c = status_of(out, "c");
	assert_int_equal(strncmp(d, "stale", 5), 0);
	assert_int_equal(strncmp(c, "stale", 5), 0);
	assert_status(out, "b", "up to date");
	free(c);
	free(d);
	free(out);
	assert_true(stale >= 2);
	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	assert_ran(f, "c d");
	free(sd);
	free(sc);
}

static void test_report(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	input[SD] = "2";
	assert_int_equal(run_plan(&f->plan, "all", NULL), 0);
	struct capture c;
	capture_start(&c, 2);
	plan_report(&f->plan);
	char *err = capture_end(&c);
	/* Steps in plan order with their result, then the total. */
	const char *expect[] = { "a", "cached", "b", "cached", "c", "cached", "d", "ran", "all", "ran", "total", "cpu" };
	const char *p = err;
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		const char *q = strstr(p, expect[i]);
		if (!q)
			fail_msg("'%s' missing or out of order in:\n%s", expect[i], err);
		p = q + strlen(expect[i]);
	}
	assert_true(f->plan.seconds >= 0);
	free(err);
}

/* How often NEEDLE occurs in HAY. */
static int occurrences(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* -v streams every step's log as it grows, each line once, after the
 * step's name; a last line without a newline and a line longer than the
 * reading buffer are shown whole too. */
static void test_verbose_streams_logs(void **state)
{
	struct fx *f = *state;
	char *err;

	extra_log = "last words";
	assert_int_equal(run_plan(&f->plan, "all", &err), 0);
	assert_null(strstr(err, "| working"));
	free(err);

	verbose = 1;
	input[SA] = "2";
	int rc = run_plan(&f->plan, "all", &err);
	for (int i = 0; i < SALL; i++) {
		char *line = xasprintf("\n%s| working\n%s| last words\n", names[i], names[i]);
		if (occurrences(err, line) != 1)
			fail_msg("%s's log shown %d times, want 1:\n%s", names[i], occurrences(err, line), err);
		free(line);
	}
	free(err);

	/* Longer than the reading buffer, without a newline; only d runs. */
	char *wide = xcalloc(1, 40001);
	memset(wide, 'x', 40000);
	extra_log = wide;
	input[SD] = "2";
	rc |= run_plan(&f->plan, "all", &err);
	verbose = 0;
	assert_int_equal(rc, 0);
	assert_null(strstr(err, "a| working"));
	assert_int_equal(occurrences(err, "d| working\n"), 1);
	assert_int_equal(occurrences(err, "x"), 40000);
	free(err);
	free(wide);
}

/* Two independent steps, each waiting (5 s at most) for the other's
 * marker: both succeed only if they run at the same time. */
static char *marker_dir;

static int meet(const char *mine, const char *other, const char *log)
{
	char *m = path_join(marker_dir, mine);
	char *o = path_join(marker_dir, other);
	int rc = -1;
	if (append(m, "here\n") == 0) {
		for (int i = 0; i < 500 && rc < 0; i++) {
			if (path_exists(o))
				rc = 0;
			else
				sleep_ms(10);
		}
	}
	if (rc < 0)
		append(log, "the other step never came\n");
	free(m);
	free(o);
	return rc;
}

static int run_p1(void *ctx, const char *log)
{
	return meet("m1", "m2", log);
}

static int run_p2(void *ctx, const char *log)
{
	return meet("m2", "m1", log);
}

/* Steps that note whether the other one was running at the same time. */
static int alone(const char *mine, const char *other)
{
	char *m = path_join(marker_dir, mine);
	char *o = path_join(marker_dir, other);
	char *overlap = path_join(marker_dir, "overlap");
	append(m, "running\n");
	for (int i = 0; i < 30; i++) {
		if (path_exists(o))
			append(overlap, "yes\n");
		sleep_ms(10);
	}
	unlink(m);
	free(m);
	free(o);
	free(overlap);
	return 0;
}

static int run_q1(void *ctx, const char *log)
{
	return alone("q1", "q2");
}

static int run_q2(void *ctx, const char *log)
{
	return alone("q2", "q1");
}

static void pair_plan(struct fx *f, struct step s[3], struct plan *p, int (*r1)(void *, const char *),
		      int (*r2)(void *, const char *))
{
	s[0] = (struct step){ .name = "p1", .run = r1 };
	s[1] = (struct step){ .name = "p2", .run = r2 };
	s[2] = (struct step){ .name = "both", .deps = { "p1", "p2" } };
	*p = (struct plan){ .steps = s, .n = 3, .ctx = f, .stampdir = f->stampdir, .logdir = f->logdir };
	marker_dir = f->dir.path;
}

static void test_parallel(void **state)
{
	struct fx *f = *state;
	struct step s[3];
	struct plan p;

	pair_plan(f, s, &p, run_p1, run_p2);
	p.parallel = 2;
	p.jobs = 2;
	double t0 = now_seconds();
	char *err = NULL;
	int rc = run_plan(&p, "both", &err);
	double took = now_seconds() - t0;
	free_steps(s, 3);
	if (rc != 0)
		fail_msg("the steps did not run at the same time:\n%s", err);
	free(err);
	assert_int_equal(s[0].state, STEP_DONE);
	assert_int_equal(s[1].state, STEP_DONE);
	assert_int_equal(s[2].state, STEP_DONE);
	assert_true(took < 5);
}

/* The job server bounds the steps too: with one job, one step at a time. */
static void test_jobs_bound_steps(void **state)
{
	struct fx *f = *state;
	struct step s[3];
	struct plan p;
	char *overlap = testdir_path(&f->dir, "overlap");

	pair_plan(f, s, &p, run_q1, run_q2);
	p.parallel = 2;
	p.jobs = 1;
	assert_int_equal(run_plan(&p, "both", NULL), 0);
	free_steps(s, 3);
	assert_false(path_exists(overlap));
	assert_int_equal(s[0].state, STEP_DONE);
	assert_int_equal(s[1].state, STEP_DONE);

	/* The detector itself works: with two jobs they overlap. */
	assert_int_equal(rm_rf(f->stampdir), 0);
	pair_plan(f, s, &p, run_q1, run_q2);
	p.parallel = 2;
	p.jobs = 2;
	assert_int_equal(run_plan(&p, "both", NULL), 0);
	free_steps(s, 3);
	assert_true(path_exists(overlap));
	free(overlap);
}

/* Inside a step: is the job server on, what does make see, and how many
 * free tokens does the pipe hold? Written to REPORT for the parent. */
static char *report_path;

static int count_tokens(const char *flags)
{
	const char *auth = flags ? strstr(flags, "--jobserver-auth=") : NULL;
	int r, w, n = 0;
	if (!auth || sscanf(auth, "--jobserver-auth=%d,%d", &r, &w) != 2)
		return -1;
	char tokens[64];
	for (; n < (int)sizeof(tokens); n++) {
		struct pollfd pfd = { .fd = r, .events = POLLIN };
		if (poll(&pfd, 1, 300) != 1 || read(r, &tokens[n], 1) != 1)
			break;
	}
	/* Give them back: they are the whole build's. */
	if (n > 0 && write(w, tokens, (size_t)n) != n)
		return -2;
	return n;
}

static int run_js(void *ctx, const char *log)
{
	const char *flags = getenv("MAKEFLAGS");
	char *text = xasprintf("active=%d\nmakeflags=%s\ntokens=%d\n", plan_jobserver_active(),
			       flags ? flags : "(unset)", count_tokens(flags));
	int rc = write_file_atomic(report_path, text, strlen(text), 0644);
	free(text);
	return rc;
}

static void test_jobserver_in_step(void **state)
{
	struct fx *f = *state;
	struct step s[1] = { { .name = "js", .run = run_js } };
	struct plan p = { .steps = s, .n = 1, .ctx = f, .stampdir = f->stampdir, .logdir = f->logdir,
			  .parallel = 1, .jobs = 3 };

	report_path = testdir_path(&f->dir, "report");
	assert_false(plan_jobserver_active());
	assert_int_equal(run_plan(&p, "js", NULL), 0);
	free_steps(s, 1);
	/* Only while plan_run runs. */
	assert_false(plan_jobserver_active());
	assert_null(getenv("MAKEFLAGS"));

	char *text = read_file(report_path, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "active=1\n"));
	assert_non_null(strstr(text, "--jobserver-auth="));
	assert_non_null(strstr(text, "-j3"));
	/* Three jobs: one is this step's own, two are free for its makes. */
	assert_non_null(strstr(text, "tokens=2\n"));
	free(text);
	free(report_path);
}

/* A real make in a step takes its jobs from the server, without -j: two
 * targets that wait for each other finish only if make runs them at once. */
static int run_makefile(struct fx *f, char *makefile, const char *log)
{
	char *argv[] = { "make", "-s", "-f", makefile, NULL };
	return proc_run(argv, f->dir.path, log, NULL) == 0 ? 0 : -1;
}

static int run_make(void *ctx, const char *log)
{
	return run_makefile(ctx, "wait.mk", log);
}

static void test_jobserver_make(void **state)
{
	struct fx *f = *state;

	if (!have_program("make"))
		skip();
	static const char mk[] = "all: t1 t2\n"
				 "t1:\n"
				 "\t@: > m1; i=0; while [ ! -e m2 ]; do i=$$((i+1)); "
				 "[ $$i -gt 100 ] && exit 1; sleep 0.05; done\n"
				 "t2:\n"
				 "\t@: > m2; i=0; while [ ! -e m1 ]; do i=$$((i+1)); "
				 "[ $$i -gt 100 ] && exit 1; sleep 0.05; done\n";
	char *mkpath = testdir_path(&f->dir, "wait.mk");
	assert_int_equal(write_file_atomic(mkpath, mk, strlen(mk), 0644), 0);
	free(mkpath);
	struct step s[1] = { { .name = "make", .run = run_make } };
	struct plan p = { .steps = s, .n = 1, .ctx = f, .stampdir = f->stampdir, .logdir = f->logdir,
			  .parallel = 1, .jobs = 2 };
	char *err = NULL;
	int rc = run_plan(&p, "make", &err);
	free_steps(s, 1);
	if (rc != 0)
		fail_msg("make did not get a second job from the server:\n%s", err);
	free(err);
}

/* A step that ends hands its job slot to a step waiting to start, not
 * back to the pipe where a busy make would take it first. "greedy" is a
 * make of 40 short jobs that always wants another slot; "short" holds
 * the second slot for a moment; "after" needs "short" and counts, when
 * it starts, how many of greedy's jobs are done. */
static int run_greedy(void *ctx, const char *log)
{
	return run_makefile(ctx, "greedy.mk", log);
}

static int run_short(void *ctx, const char *log)
{
	sleep_ms(300);
	return 0;
}

static int run_after(void *ctx, const char *log)
{
	struct fx *f = ctx;
	int done = 0;
	for (int i = 0; i < 40; i++) {
		char *p = testdir_path(&f->dir, "done.%d%d", i / 10, i % 10 + 1);
		done += path_exists(p);
		free(p);
	}
	char *p = testdir_path(&f->dir, "after");
	char *text = xasprintf("%d\n", done);
	int rc = write_file_atomic(p, text, strlen(text), 0644);
	free(text);
	free(p);
	return rc;
}

static void test_slot_handoff(void **state)
{
	struct fx *f = *state;

	if (!have_program("make"))
		skip();
	/* Like Kbuild: several sub-makes, each blocked reading the pipe
	 * for its next slot. */
	struct buf mk = { 0 };
	buf_addstr(&mk, "ifeq ($(SUB),)\nall: s0 s1 s2 s3\ns%:\n\t@$(MAKE) -f greedy.mk SUB=$*\nelse\nall:");
	for (int i = 1; i <= 10; i++)
		buf_printf(&mk, " t%d", i);
	buf_addstr(&mk, "\nt%:\n\t@sleep 0.1; : > done.$(SUB)$*\nendif\n");
	char *mkpath = testdir_path(&f->dir, "greedy.mk");
	assert_int_equal(write_file_atomic(mkpath, mk.s, mk.len, 0644), 0);
	buf_free(&mk);
	free(mkpath);
	struct step s[4] = {
		{ .name = "greedy", .run = run_greedy },
		{ .name = "short", .run = run_short },
		{ .name = "after", .deps = { "short" }, .run = run_after },
		{ .name = "all", .deps = { "greedy", "after" } },
	};
	struct plan p = { .steps = s, .n = 4, .ctx = f, .stampdir = f->stampdir, .logdir = f->logdir,
			  .parallel = 3, .jobs = 2 };
	char *err = NULL;
	int rc = run_plan(&p, "all", &err);
	free_steps(s, 4);
	if (rc != 0)
		fail_msg("the plan failed:\n%s", err);
	free(err);
	char *path = testdir_path(&f->dir, "after");
	char *text = read_file(path, NULL);
	free(path);
	assert_non_null(text);
	/* Started at once, "after" sees about 4 jobs done (0.3 s of greedy
	 * on one slot). With the slot given back to the pipe instead, the
	 * sub-makes took it and 'after' saw 7 to 34 (12 or more in 4 of 5
	 * runs). */
	int done = atoi(text);
	free(text);
	if (done >= 12)
		fail_msg("'after' started only when %d of greedy's 40 jobs were done", done);
}

static void test_step_inputs(void **state)
{
	struct fx *f = *state;
	struct step_inputs in = { 0 };

	step_input_str(&in, "s", "abc");
	step_input_str(&in, "n", NULL);
	step_input(&in, "raw", "a\0b", 3);
	char raw[SHA256_HEX_LEN + 1];
	sha256_hex("a\0b", 3, raw);
	char *expect = xasprintf("s ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
				 "n e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
				 "raw %s\n",
				 raw);
	assert_string_equal(in.lines.s, expect);
	free(expect);
	buf_free(&in.lines);

	char *file = testdir_path(&f->dir, "file");
	char *missing = testdir_path(&f->dir, "missing");
	assert_int_equal(write_file_atomic(file, "abc", 3, 0644), 0);
	step_input_file(&in, "f", file);
	step_input_file(&in, "m", missing);
	step_input_file(&in, "z", NULL);
	assert_string_equal(in.lines.s,
			    "f ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
			    "m missing\n"
			    "z none\n");
	buf_free(&in.lines);
	free(file);
	free(missing);
}

/* The hash line of step_input_tree for DIR (new memory). */
static char *tree_line(const char *dir)
{
	struct step_inputs in = { 0 };
	step_input_tree(&in, "t", dir);
	return buf_steal(&in.lines);
}

static void put(const char *path, const char *text, mode_t mode)
{
	assert_int_equal(write_file_atomic(path, text, strlen(text), mode), 0);
}

static void test_step_input_tree(void **state)
{
	struct fx *f = *state;
	char *t1 = testdir_path(&f->dir, "t1"), *t2 = testdir_path(&f->dir, "t2");
	char *p;

	/* The same tree made in a different order hashes the same. */
	assert_int_equal(mkdir_p(t1, 0755), 0);
	assert_int_equal(mkdir_p(t2, 0755), 0);
	const char *order1[] = { "a", "b", "c", "zz", "m" }, *order2[] = { "m", "zz", "c", "b", "a" };
	for (int i = 0; i < 5; i++) {
		p = testdir_path(&f->dir, "t1/%s", order1[i]);
		put(p, order1[i], 0644);
		free(p);
		p = testdir_path(&f->dir, "t2/%s", order2[i]);
		put(p, order2[i], 0644);
		free(p);
	}
	p = testdir_path(&f->dir, "t1/sub");
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = testdir_path(&f->dir, "t2/sub");
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	char *h1 = tree_line(t1), *h2 = tree_line(t2);
	assert_string_equal(h1, h2);
	assert_int_equal(strncmp(h1, "t ", 2), 0);
	assert_int_equal(strlen(h1), 2 + SHA256_HEX_LEN + 1);
	free(h2);

	/* Every kind of change shows. */
	char *prev = h1;
#define CHANGED()                                           \
	do {                                                \
		char *now = tree_line(t2);                  \
		if (!strcmp(now, prev))                     \
			fail_msg("change not seen at line %d", __LINE__); \
		free(prev);                                 \
		prev = now;                                 \
	} while (0)
	p = testdir_path(&f->dir, "t2/a");
	put(p, "A", 0644); /* content */
	CHANGED();
	assert_int_equal(chmod(p, 0755), 0); /* mode */
	CHANGED();
	free(p);
	p = testdir_path(&f->dir, "t2/sub/deep"); /* a file deeper down */
	put(p, "deep", 0644);
	CHANGED();
	free(p);
	p = testdir_path(&f->dir, "t2/link");
	assert_int_equal(symlink("a", p), 0); /* a symlink */
	CHANGED();
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("b", p), 0); /* its target */
	CHANGED();
	free(p);
	char *from = testdir_path(&f->dir, "t2/zz"), *to = testdir_path(&f->dir, "t2/zy");
	assert_int_equal(rename(from, to), 0); /* a name */
	CHANGED();
	free(from);
	free(to);
	p = testdir_path(&f->dir, "t2/emptydir"); /* an empty directory */
	assert_int_equal(mkdir(p, 0755), 0);
	CHANGED();
	free(p);
#undef CHANGED
	free(prev);

	/* Moving content between files is a change, although the bytes are
	 * the same all together. */
	char *u1 = testdir_path(&f->dir, "u1"), *u2 = testdir_path(&f->dir, "u2");
	assert_int_equal(mkdir(u1, 0755), 0);
	assert_int_equal(mkdir(u2, 0755), 0);
	p = testdir_path(&f->dir, "u1/x");
	put(p, "ab", 0644);
	free(p);
	p = testdir_path(&f->dir, "u1/y");
	put(p, "", 0644);
	free(p);
	p = testdir_path(&f->dir, "u2/x");
	put(p, "a", 0644);
	free(p);
	p = testdir_path(&f->dir, "u2/y");
	put(p, "b", 0644);
	free(p);
	h1 = tree_line(u1);
	h2 = tree_line(u2);
	assert_string_not_equal(h1, h2);
	free(h1);
	free(h2);

	h1 = tree_line(NULL);
	assert_string_equal(h1, "t none\n");
	free(h1);
	free(t1);
	free(t2);
	free(u1);
	free(u2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dependency_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_run_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_not_made, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_stamp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verbose_streams_logs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parallel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jobs_bound_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jobserver_in_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jobserver_make, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slot_handoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_inputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_input_tree, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
