/* Tests for proc: real children through /bin/sh: exit statuses, signals,
 * logs, working directory, environment, stdin, process groups, and the
 * clean-up of what children leave behind. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
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
#include <termios.h>
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
 * child_finish(). If it does not end, kill its group (so that a failing test
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
	struct child ch = {.argv = argv};
	int rc3 = child_start(&ch);
	char *err = capture_end(&c);
	setenv("PATH", oldpath, 1);
	free(oldpath);
	assert_int_equal(rc1, -1);
	assert_int_equal(rc2, -1);
	assert_int_equal(rc3, -1);
	assert_int_equal(ch.pid, 0);
	assert_int_equal(ch.exec_failed, 1);
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

/* Start ARGV with its output in LOG (or inherited); returns it started. */
static struct child start(char **argv, const char *log)
{
	struct child c = { .argv = argv, .log = log };
	if (log) {
		c.out = CHILD_LOG;
		c.err = CHILD_STDOUT;
	}
	assert_int_equal(child_start(&c), 0);
	assert_true(c.pid > 0);
	return c;
}

static void test_own_process_group(void **state)
{
	char *argv[] = { "sleep", "30", NULL };
	struct child c = start(argv, NULL);
	pid_t pid = c.pid;
	pid_t pg = getpgid(pid);
	pid_t mine = getpgrp();
	/* End it before asserting, so that a failure leaves nothing. */
	kill(-pid, SIGTERM);
	if (!ends_within(pid, 5))
		kill(pid, SIGTERM);
	int rc = child_finish(&c);
	assert_int_equal(c.pid, 0);
	assert_int_equal(c.status, rc);
	/* Reaped already: the same status again. */
	assert_int_equal(child_finish(&c), rc);
	assert_int_equal(pg, pid);
	assert_true(pg != mine);
	assert_int_equal(rc, 128 + SIGTERM);
}

/* Everything readable from FD until its end (new memory); FD is closed. */
static char *read_all(int fd)
{
	struct buf b = { 0 };
	char chunk[512];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	return b.s ? buf_steal(&b) : xstrdup("");
}

static void test_child_streams(void **state)
{
	struct fx *f = *state;

	/* Pipes both ways. */
	char *cat[] = { "cat", NULL };
	struct child c = { .argv = cat, .in = CHILD_PIPE, .out = CHILD_PIPE };
	assert_int_equal(child_start(&c), 0);
	assert_true(c.in_fd > 2 && c.out_fd > 2);
	/* mkdistro's ends are not passed on to other children. */
	assert_true(fcntl(c.in_fd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(c.out_fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(c.in_fd, "through\n", 8), 8);
	close(c.in_fd);
	char *text = read_all(c.out_fd);
	assert_int_equal(child_finish(&c), 0);
	assert_string_equal(text, "through\n");
	free(text);

	/* The caller's descriptor, and stderr with stdout. */
	char *path = path_join(f->dir, "out");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	char *both[] = { "sh", "-c", "echo a; echo b >&2", NULL };
	c = (struct child){ .argv = both, .out = CHILD_FD, .out_fd = fd, .err = CHILD_STDOUT };
	assert_int_equal(child_start(&c), 0);
	assert_int_equal(child_finish(&c), 0);
	close(fd);
	assert_file(path, "a\nb\n");

	/* stdout to /dev/null, stderr on a pipe. */
	c = (struct child){ .argv = both, .out = CHILD_NULL, .err = CHILD_PIPE };
	assert_int_equal(child_start(&c), 0);
	text = read_all(c.err_fd);
	assert_int_equal(child_finish(&c), 0);
	assert_string_equal(text, "b\n");
	free(text);

	/* A caller's descriptor that is one of the standard ones: stdout as
	 * the child's stderr, stderr as its stdout. */
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	struct capture cap;
	capture_start(&cap, 2);
	int saved = dup(1);
	assert_int_equal(dup2(p[1], 1), 1);
	close(p[1]);
	c = (struct child){ .argv = both, .out = CHILD_FD, .out_fd = 2, .err = CHILD_FD,
			    .err_fd = 1 };
	int rc = child_start(&c);
	dup2(saved, 1);
	close(saved);
	int st = rc == 0 ? child_finish(&c) : -1;
	char *err = capture_end(&cap);
	assert_int_equal(rc, 0);
	assert_int_equal(st, 0);
	assert_string_equal(err, "a\n");
	text = read_all(p[0]);
	assert_string_equal(text, "b\n");
	free(text);
	free(err);
	free(path);
}

/* A child that runs a function: its own group, stdin from /dev/null, the
 * function's result as its status, and its output where it was asked. */
static int in_child(void *arg)
{
	char c;
	if (getpgrp() != getpid())
		return 2;
	if (read(0, &c, 1) != 0)
		return 3;
	printf("%s", (const char *)arg);
	return 7;
}

static void test_child_function(void **state)
{
	/* Unflushed output of ours is not written twice. */
	printf("%s", "");
	struct child c = { .fn = in_child, .arg = "from the child\n", .out = CHILD_PIPE };
	assert_int_equal(child_start(&c), 0);
	char *text = read_all(c.out_fd);
	assert_int_equal(child_finish(&c), 7);
	assert_string_equal(text, "from the child\n");
	free(text);
}

/* Fork a process standing in for mkdistro: it starts "sleep 30" as a child
 * with PDEATHSIG, tells its pid, then, with HANDLERS, installs mkdistro's
 * signal handlers and raises SIGTERM, or else waits to be killed. Returns
 * the sleep's pid (-1 if none) and the stand-in's in *MID. */
static pid_t stand_in(int handlers, int pdeathsig, pid_t *mid)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	*mid = fork();
	assert_true(*mid >= 0);
	if (*mid == 0) {
		close(p[0]);
		proc_forget_all();
		if (handlers)
			proc_install_signal_handlers();
		char *argv[] = { "sleep", "30", NULL };
		struct child c = { .argv = argv, .pdeathsig = pdeathsig };
		pid_t pid = child_start(&c) == 0 ? c.pid : -1;
		if (write(p[1], &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
			_exit(2);
		close(p[1]);
		if (handlers)
			raise(SIGTERM);
		else
			pause();
		_exit(1);
	}
	close(p[1]);
	pid_t pid = -1;
	if (read(p[0], &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
		pid = -1;
	close(p[0]);
	return pid;
}

/* A child with pdeathsig ends when the process that started it dies,
 * even of SIGKILL, though nothing kills its group. */
static void test_child_pdeathsig(void **state)
{
	pid_t mid;
	pid_t pid = stand_in(0, SIGKILL, &mid);
	kill(mid, SIGKILL);
	waitpid(mid, NULL, 0);
	assert_true(pid > 0);
	int dead = wait_gone(pid, 3);
	if (!dead)
		kill(pid, SIGKILL);
	assert_true(dead);
}

/* A foreground child on a terminal: it gets the keyboard's Ctrl-C and
 * mkdistro (here a stand-in on a pseudo terminal, with mkdistro's signal
 * handlers) does not; afterwards the terminal is the stand-in's again,
 * with its settings back. */
static void test_child_foreground(void **state)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	char *name = xstrdup(ptsname(master));
	int p[2];
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid_t mid = fork();
	assert_true(mid >= 0);
	if (mid == 0) {
		/* The pseudo terminal becomes the controlling terminal of a
		 * session of its own. */
		close(p[0]);
		setsid();
		int tty = open(name, O_RDWR);
		if (tty < 0)
			_exit(2);
		dup2(tty, 0);
		dup2(tty, 1);
		dup2(tty, 2);
		close(tty);
		proc_forget_all();
		proc_install_signal_handlers();
		char *argv[] = { "sh", "-c", "stty -echo; echo ready; exec sleep 30", NULL };
		struct child c = { .argv = argv, .in = CHILD_INHERIT, .foreground = 1 };
		int res[3] = { -1, 0, 0 };
		if (child_start(&c) == 0)
			res[0] = child_finish(&c);
		struct termios tio;
		res[1] = tcgetpgrp(0) == getpgrp();
		res[2] = tcgetattr(0, &tio) == 0 && (tio.c_lflag & ECHO);
		if (write(p[1], res, sizeof(res)) != (ssize_t)sizeof(res))
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	/* Ctrl-C once the child has changed the terminal and says so. */
	struct buf seen = { 0 };
	double end = now_seconds() + 10;
	while (!(seen.s && strstr(seen.s, "ready")) && now_seconds() < end) {
		struct pollfd pfd = { .fd = master, .events = POLLIN };
		char chunk[256];
		if (poll(&pfd, 1, 100) > 0) {
			ssize_t n = read(master, chunk, sizeof(chunk));
			if (n <= 0)
				break;
			buf_add(&seen, chunk, (size_t)n);
		}
	}
	int ready = seen.s && strstr(seen.s, "ready");
	assert_int_equal(write(master, "\003", 1), 1);
	int res[3] = { 0, 0, 0 };
	ssize_t n = read(p[0], res, sizeof(res));
	close(p[0]);
	if (n != (ssize_t)sizeof(res))
		kill(mid, SIGKILL);
	int st;
	assert_int_equal(waitpid(mid, &st, 0), mid);
	close(master);
	buf_free(&seen);
	free(name);
	assert_true(ready);
	assert_int_equal(n, (ssize_t)sizeof(res));
	/* The stand-in was not interrupted: it reported and exited 0. */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(res[0], 128 + SIGINT);
	assert_int_equal(res[1], 1);
	assert_int_equal(res[2], 1);
}

/* A foreground child needs mkdistro in the terminal's foreground: it is
 * refused, not started, otherwise. */
static void test_child_foreground_refused(void **state)
{
	int saved = dup(0);
	int null = open("/dev/null", O_RDONLY);
	assert_true(saved >= 0 && null >= 0);
	dup2(null, 0);
	close(null);
	char *argv[] = { "true", NULL };
	struct child c = { .argv = argv, .in = CHILD_INHERIT, .foreground = 1 };
	struct capture cap;
	capture_start(&cap, 2);
	int rc = child_start(&c);
	char *err = capture_end(&cap);
	dup2(saved, 0);
	close(saved);
	assert_int_equal(rc, -1);
	assert_int_equal(c.pid, 0);
	assert_non_null(strstr(err, "mkdistro: cannot run 'true' on the terminal: mkdistro is "
				    "not in its foreground"));
	free(err);
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
	struct child c = start(argv, log);
	free(log);
	int up = appears_within(ready, 5);
	proc_kill_all();
	int ended = ends_within(c.pid, 5);
	child_finish(&c);
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
	struct fx *f = *state;
	char *argv[] = { "sh", "-c", "sleep 30; exit 0", NULL };
	struct child a = start(argv, NULL), b = start(argv, NULL);
	proc_kill_all();
	int ea = ends_within(a.pid, 5), eb = ends_within(b.pid, 5);
	int ra = child_finish(&a);
	int rb = child_finish(&b);
	assert_true(ea && eb);
	assert_int_equal(ra, 128 + SIGTERM);
	assert_int_equal(rb, 128 + SIGTERM);

	/* A group that ignores SIGTERM gets SIGKILL after the grace period.
	 * The signal must come after the trap is set, or the shell dies of
	 * SIGTERM: it says when. */
	char *ready = path_join(f->dir, "ready");
	char *script = xasprintf("trap '' TERM; : > '%s'; while :; do sleep 0.05; done", ready);
	char *stubborn[] = { "sh", "-c", script, NULL };
	struct child c = start(stubborn, NULL);
	int up = appears_within(ready, 5);
	proc_kill_all();
	int ec = ends_within(c.pid, 5);
	int rc = child_finish(&c);
	free(script);
	free(ready);
	assert_true(up);
	assert_true(ec);
	assert_int_equal(rc, 128 + SIGKILL);

	/* A group mkdistro did not start is not its to kill. */
	fflush(NULL);
	pid_t d = fork();
	assert_true(d >= 0);
	if (d == 0) {
		setpgid(0, 0);
		execlp("sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	setpgid(d, d);
	proc_kill_all();
	int alive = kill(d, 0) == 0 && !gone(d);
	kill(-d, SIGKILL);
	waitpid(d, NULL, 0);
	assert_true(alive);
}

/* An interrupted mkdistro kills its children and dies of the signal. */
static void test_signal_handlers(void **state)
{
	pid_t pid;
	pid_t child = stand_in(1, 0, &pid);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
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
		cmocka_unit_test_setup_teardown(test_child_streams, setup, teardown),
		cmocka_unit_test(test_child_function),
		cmocka_unit_test(test_child_pdeathsig),
		cmocka_unit_test(test_child_foreground),
		cmocka_unit_test(test_child_foreground_refused),
		cmocka_unit_test_setup_teardown(test_leftovers_killed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_all_tree, setup, teardown),
		cmocka_unit_test(test_signal_handlers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
