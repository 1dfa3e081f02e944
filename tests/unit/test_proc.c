/* Tests for proc: real children through /bin/sh: exit statuses, signals,
 * logs, working directory, environment, stdin, process groups, and the
 * clean-up of what children leave behind. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc.h"
#include "util.h"
#include "testutil.h"

struct fx {
	char *dir;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/mkdistro-test-proc-XXXXXX";

	if (!mkdtemp(tmpl))
		return -1;
	f->dir = xstrdup(tmpl);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}


static int sh(const char *script, const char *cwd, const char *log)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	return proc_run(argv, cwd, log, NULL);
}

static void assert_file(const char *path, const char *content)
{
	char *s = read_file_quiet(path, NULL);
	if (!s)
		fail_msg("cannot read '%s': %s", path, strerror(errno));
	assert_string_equal(s, content);
	free(s);
}

/* 1 if PID is gone (or a zombie nobody has reaped yet: in a container
 * without an init that reaps, orphans stay zombies). */
static int gone(pid_t pid)
{
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	char path[64], stat[512];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return 1;
	size_t n = fread(stat, 1, sizeof(stat) - 1, fp);
	fclose(fp);
	stat[n] = '\0';
	const char *rp = strrchr(stat, ')');
	return rp && (rp[2] == 'Z' || rp[2] == 'X');
}

static int wait_gone(pid_t pid, double seconds)
{
	double end = now_seconds() + seconds;
	while (now_seconds() < end) {
		if (gone(pid))
			return 1;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return gone(pid);
}

/* Wait up to SECONDS for PID to end, leaving it to be reaped by
 * proc_wait. If it does not end, kill its group (so that a failing test
 * does not hang or leave it behind) and return 0. */
static int ends_within(pid_t pid, double seconds)
{
	double end = now_seconds() + seconds;
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
			return 1;
		if (now_seconds() > end)
			break;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	return 0;
}

static void test_exit_status(void **state)
{
	assert_int_equal(sh("exit 0", NULL, NULL), 0);
	assert_int_equal(sh("exit 7", NULL, NULL), 7);
	assert_int_equal(sh("exit 255", NULL, NULL), 255);
	char *t[] = { "true", NULL };
	char *fl[] = { "false", NULL };
	assert_int_equal(proc_run(t, NULL, NULL, NULL), 0);
	assert_int_equal(proc_run(fl, NULL, NULL, NULL), 1);
}

static void test_signal_status(void **state)
{
	assert_int_equal(sh("kill -TERM $$", NULL, NULL), 128 + SIGTERM);
	assert_int_equal(sh("kill -KILL $$", NULL, NULL), 128 + SIGKILL);
	/* The child gets default dispositions even if we ignore a signal. */
	void (*old)(int) = signal(SIGINT, SIG_IGN);
	int rc = sh("kill -INT $$; exit 3", NULL, NULL);
	signal(SIGINT, old);
	assert_int_equal(rc, 128 + SIGINT);
}

static void test_log(void **state)
{
	struct fx *f = *state;
	char *log = path_join(f->dir, "log");

	/* Appended to, never truncated: a step's log collects several
	 * commands. */
	assert_int_equal(write_file_atomic(log, "before\n", 7, 0644), 0);
	assert_int_equal(sh("echo out; echo err >&2", NULL, log), 0);
	assert_int_equal(sh("echo second; exit 2", NULL, log), 2);
	assert_file(log, "before\nout\nerr\nsecond\n");

	/* A log that does not exist yet is created. */
	char *fresh = path_join(f->dir, "fresh.log");
	assert_int_equal(sh("echo x", NULL, fresh), 0);
	assert_file(fresh, "x\n");
	free(fresh);
	free(log);
}

static void test_cwd(void **state)
{
	struct fx *f = *state;
	char *sub = path_join(f->dir, "sub");
	assert_int_equal(mkdir(sub, 0755), 0);

	assert_int_equal(sh("echo here > made", sub, NULL), 0);
	char *made = path_join(sub, "made");
	assert_file(made, "here\n");

	/* The log's name is relative to our directory, not the child's. */
	int here = open(".", O_RDONLY | O_DIRECTORY);
	assert_true(here >= 0);
	assert_int_equal(chdir(f->dir), 0);
	int rc = sh("pwd", "sub", "rel.log");
	assert_int_equal(fchdir(here), 0);
	close(here);
	assert_int_equal(rc, 0);
	char real[PATH_MAX];
	assert_non_null(realpath(sub, real));
	char *expect = xasprintf("%s\n", real);
	char *rel = path_join(f->dir, "rel.log");
	assert_file(rel, expect);
	free(rel);
	free(expect);

	/* Our own directory is unchanged by the child's. */
	char *cwd_before = getcwd(NULL, 0);
	assert_int_equal(sh("true", sub, NULL), 0);
	char *cwd_after = getcwd(NULL, 0);
	assert_string_equal(cwd_before, cwd_after);
	free(cwd_before);
	free(cwd_after);

	/* A directory that does not exist: the child cannot start. */
	char *missing = path_join(f->dir, "missing");
	struct capture c;
	capture_start(&c, 2);
	rc = sh("true", missing, NULL);
	char *err = capture_end(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "mkdistro: cannot run 'sh'"));
	free(err);
	free(missing);
	free(made);
	free(sub);
}

static void test_capture(void **state)
{
	struct fx *f = *state;
	char *log = path_join(f->dir, "log");
	struct buf out = { 0 };

	char *argv[] = { "sh", "-c", "echo to-out; echo to-err >&2; printf 'a\\0b'", NULL };
	assert_int_equal(proc_capture(argv, NULL, log, &out), 0);
	assert_int_equal(out.len, 10);
	assert_memory_equal(out.s, "to-out\na\0b", 11);
	assert_file(log, "to-err\n");
	buf_free(&out);

	/* More than a pipe holds: the reader must drain while it runs. */
	char *big[] = { "sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x; exit 4", NULL };
	assert_int_equal(proc_capture(big, NULL, NULL, &out), 4);
	assert_int_equal(out.len, 300000);
	assert_int_equal(out.s[0], 'x');
	assert_int_equal(out.s[299999], 'x');
	buf_free(&out);

	/* It appends to what the buffer holds. */
	buf_addstr(&out, "pre:");
	char *pwd[] = { "pwd", NULL };
	assert_int_equal(proc_capture(pwd, f->dir, NULL, &out), 0);
	char real[PATH_MAX];
	assert_non_null(realpath(f->dir, real));
	char *expect = xasprintf("pre:%s\n", real);
	assert_string_equal(out.s, expect);
	free(expect);
	buf_free(&out);
	free(log);
}

static void test_stdin_is_devnull(void **state)
{
	/* Put data on our own stdin: a child that inherited it would read it. */
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "leak\n", 5), 5);
	close(p[1]);
	int saved = dup(0);
	dup2(p[0], 0);
	close(p[0]);
	struct buf out = { 0 };
	char *argv[] = { "cat", NULL };
	int rc = proc_capture(argv, NULL, NULL, &out);
	dup2(saved, 0);
	close(saved);
	assert_int_equal(rc, 0);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

static void test_env(void **state)
{
	struct fx *f = *state;
	char *log = path_join(f->dir, "log");
	char *envp[] = { "MKDISTRO_TEST_VAR=from-envp", "PATH=/usr/bin:/bin", NULL };
	char *argv[] = { "sh", "-c", "echo \"$MKDISTRO_TEST_VAR|${HOME-unset}\"", NULL };

	setenv("HOME", "/should-not-be-seen", 1);
	char *home = getenv("HOME");
	(void)home;
	assert_int_equal(proc_run(argv, NULL, log, envp), 0);
	assert_file(log, "from-envp|unset\n");

	/* NULL: our own environment. */
	setenv("MKDISTRO_TEST_VAR", "inherited", 1);
	assert_int_equal(proc_run(argv, NULL, log, NULL), 0);
	unsetenv("MKDISTRO_TEST_VAR");
	assert_file(log, "from-envp|unset\ninherited|/should-not-be-seen\n");
	free(log);
}

static void test_missing_program(void **state)
{
	struct capture c;
	char *argv[] = { "mkdistro-no-such-program", "arg", NULL };
	struct buf out = { 0 };

	/* A PATH of readable directories: an unreadable one (another
	 * user's) would make the error EACCES. */
	char *oldpath = xstrdup(getenv("PATH") ? getenv("PATH") : "");
	setenv("PATH", "/usr/bin:/bin", 1);
	capture_start(&c, 2);
	int rc1 = proc_run(argv, NULL, NULL, NULL);
	int rc2 = proc_capture(argv, NULL, NULL, &out);
	pid_t pid = proc_start(argv, NULL, NULL, NULL);
	char *err = capture_end(&c);
	setenv("PATH", oldpath, 1);
	free(oldpath);
	assert_int_equal(rc1, -1);
	assert_int_equal(rc2, -1);
	assert_int_equal(pid, -1);
	assert_int_equal(out.len, 0);
	assert_non_null(strstr(err, "mkdistro: cannot run 'mkdistro-no-such-program': "));
	assert_non_null(strstr(err, strerror(ENOENT)));
	free(err);
	buf_free(&out);
}

static void test_proc_need(void **state)
{
	struct capture c;

	capture_start(&c, 2);
	int rc = proc_need("sh", "dash");
	char *err = capture_end(&c);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
	free(err);

	capture_start(&c, 2);
	rc = proc_need("mkdistro-no-such-program", "mkdistro-pkg");
	err = capture_end(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "mkdistro: 'mkdistro-no-such-program' not found: install the "
				    "Debian package 'mkdistro-pkg'"));
	/* One line. */
	assert_non_null(strchr(err, '\n'));
	assert_null(strchr(err, '\n') + 1 == err + strlen(err) ? NULL : "more than one line");
	free(err);
}

static void test_own_process_group(void **state)
{
	char *argv[] = { "sleep", "30", NULL };
	pid_t pid = proc_start(argv, NULL, NULL, NULL);
	assert_true(pid > 0);
	pid_t pg = getpgid(pid);
	pid_t mine = getpgrp();
	/* End it before asserting, so that a failure leaves nothing. */
	kill(-pid, SIGTERM);
	if (!ends_within(pid, 5))
		kill(pid, SIGTERM);
	int rc = proc_wait(pid);
	assert_int_equal(pg, pid);
	assert_true(pg != mine);
	assert_int_equal(rc, 128 + SIGTERM);
}

/* What a child leaves running in its group is killed when it ends. */
static void test_leftovers_killed(void **state)
{
	struct fx *f = *state;
	char *pidfile = path_join(f->dir, "bg.pid");
	char *script = xasprintf("sleep 30 & echo $! > '%s'; exit 0", pidfile);

	assert_int_equal(sh(script, NULL, NULL), 0);
	char *text = read_file(pidfile, NULL);
	assert_non_null(text);
	pid_t bg = (pid_t)atol(text);
	free(text);
	assert_true(bg > 0);
	int dead = wait_gone(bg, 3);
	if (!dead)
		kill(bg, SIGKILL);
	assert_true(dead);
	free(script);
	free(pidfile);
}

static int appears_within(const char *path, double seconds)
{
	double end = now_seconds() + seconds;
	while (!path_exists(path) && now_seconds() < end) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return path_exists(path);
}

/* 1 once PATH holds exactly TEXT, 0 if it does not within SECONDS. */
static int holds_within(const char *path, const char *text, double seconds)
{
	double end = now_seconds() + seconds;
	for (;;) {
		char *s = read_file_quiet(path, NULL);
		int same = s && !strcmp(s, text);
		free(s);
		if (same)
			return 1;
		if (now_seconds() >= end)
			return 0;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* The termination signal reaches the child's whole tree, so that a
 * grandchild (a compiler under make) can clean up too. */
static void test_kill_all_tree(void **state)
{
	struct fx *f = *state;
	char *ready = path_join(f->dir, "ready");
	char *got = path_join(f->dir, "got");
	char *script = xasprintf("sh -c \"trap 'echo term > %s; exit 0' TERM; : > %s; "
				 "while :; do sleep 0.05; done\" & wait",
				 got, ready);
	char *argv[] = { "sh", "-c", script, NULL };
	/* The shell's "Terminated" goes to the log, not into the test output. */
	char *log = path_join(f->dir, "log");
	pid_t pid = proc_start(argv, NULL, log, NULL);
	free(log);
	assert_true(pid > 0);
	int up = appears_within(ready, 5);
	proc_kill_all();
	int ended = ends_within(pid, 5);
	proc_wait(pid);
	/* The grandchild's trap runs after its shell parent has gone (it
	 * waits for its sleep to end): wait for what it writes. */
	int trapped = holds_within(got, "term\n", 5);
	assert_true(up);
	assert_true(ended);
	if (!trapped)
		fail_msg("the grandchild did not get SIGTERM: '%s' does not say \"term\"", got);
	free(script);
	free(ready);
	free(got);
}

static void test_kill_all(void **state)
{
	char *argv[] = { "sh", "-c", "sleep 30; exit 0", NULL };
	pid_t a = proc_start(argv, NULL, NULL, NULL);
	pid_t b = proc_start(argv, NULL, NULL, NULL);
	assert_true(a > 0 && b > 0);
	proc_kill_all();
	int ea = ends_within(a, 5), eb = ends_within(b, 5);
	int ra = proc_wait(a);
	int rb = proc_wait(b);
	assert_true(ea && eb);
	assert_int_equal(ra, 128 + SIGTERM);
	assert_int_equal(rb, 128 + SIGTERM);

	/* A group that ignores SIGTERM gets SIGKILL after the grace period. */
	char *stubborn[] = { "sh", "-c", "trap '' TERM; while :; do sleep 0.05; done", NULL };
	pid_t c = proc_start(stubborn, NULL, NULL, NULL);
	assert_true(c > 0);
	/* Let the trap be set before the signal comes. */
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	proc_kill_all();
	int ec = ends_within(c, 5);
	int rc = proc_wait(c);
	assert_true(ec);
	assert_int_equal(rc, 128 + SIGKILL);

	/* Untracked groups are not ours to kill. */
	pid_t d = proc_start(argv, NULL, NULL, NULL);
	assert_true(d > 0);
	proc_untrack(d);
	proc_kill_all();
	int alive = kill(d, 0) == 0 && !gone(d);
	kill(-d, SIGKILL);
	proc_wait(d);
	assert_true(alive);
}

/* An interrupted mkdistro kills its children and dies of the signal. */
static void test_signal_handlers(void **state)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		proc_forget_all();
		proc_install_signal_handlers();
		char *argv[] = { "sleep", "30", NULL };
		pid_t child = proc_start(argv, NULL, NULL, NULL);
		if (write(p[1], &child, sizeof(child)) != (ssize_t)sizeof(child))
			_exit(2);
		close(p[1]);
		raise(SIGTERM);
		_exit(1);
	}
	close(p[1]);
	pid_t child = -1;
	ssize_t n = read(p[0], &child, sizeof(child));
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(n, (ssize_t)sizeof(child));
	assert_true(child > 0);
	int dead = wait_gone(child, 3);
	if (!dead)
		kill(child, SIGKILL);
	assert_true(dead);
	/* The cause is visible to our parent: 128+signal. */
	if (WIFSIGNALED(st))
		fail_msg("killed by signal %d, want exit status %d", WTERMSIG(st), 128 + SIGTERM);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 128 + SIGTERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_signal_status),
		cmocka_unit_test_setup_teardown(test_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capture, setup, teardown),
		cmocka_unit_test(test_stdin_is_devnull),
		cmocka_unit_test_setup_teardown(test_env, setup, teardown),
		cmocka_unit_test(test_missing_program),
		cmocka_unit_test(test_proc_need),
		cmocka_unit_test(test_own_process_group),
		cmocka_unit_test_setup_teardown(test_leftovers_killed, setup, teardown),
		cmocka_unit_test(test_kill_all),
		cmocka_unit_test_setup_teardown(test_kill_all_tree, setup, teardown),
		cmocka_unit_test(test_signal_handlers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
