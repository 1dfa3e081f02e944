#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Process groups to kill on exit. A fixed array: signal handlers must not
 * allocate, and mkdistro never runs more than a handful of children. */
#define MAX_TRACKED 64
static volatile pid_t tracked[MAX_TRACKED];

static void proc_track(pid_t pgid)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] == 0) {
			tracked[i] = pgid;
			return;
		}
	warn("too many child processes to track");
}

static void proc_untrack(pid_t pgid)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] == pgid)
			tracked[i] = 0;
}

void proc_forget_all(void)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		tracked[i] = 0;
}

/* Whether a process other than a zombie is left in process group PG: 1
 * or 0, or -1 when /proc cannot tell. Reads /proc with system calls only,
 * as it runs in signal handlers. */
static int group_alive(pid_t pg)
{
	int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -1;
	char ents[4096];
	ssize_t n;
	int found = 0;
	while (!found && (n = getdents64(dir, ents, sizeof(ents))) > 0) {
		for (ssize_t off = 0; off < n && !found;) {
			struct dirent64 *d = (struct dirent64 *)(ents + off);
			off += d->d_reclen;
			if (d->d_name[0] < '1' || d->d_name[0] > '9')
				continue;
			char path[64] = "/proc/";
			size_t len = strlen(path);
			for (const char *c = d->d_name; *c && len < sizeof(path) - 6; c++)
				path[len++] = *c;
			memcpy(path + len, "/stat", 6);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue; /* it ended meanwhile */
			char st[512];
			ssize_t r = read(fd, st, sizeof(st) - 1);
			close(fd);
			if (r <= 0)
				continue;
			st[r] = 0;
			/* "PID (COMM) STATE PPID PGRP ...": COMM may hold ')' */
			char *p = strrchr(st, ')');
			if (!p || p[1] != ' ' || !p[2])
				continue;
			char state = p[2];
			p += 3;
			while (*p == ' ')
				p++;
			while (*p && *p != ' ')
				p++; /* PPID */
			long group = 0;
			while (*p == ' ')
				p++;
			while (*p >= '0' && *p <= '9')
				group = group * 10 + (*p++ - '0');
			if (group == pg && state != 'Z' && state != 'X')
				found = 1;
		}
	}
	close(dir);
	return n < 0 && !found ? -1 : found;
}

void proc_kill_all(void)
{
	int any = 0;
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] > 0 && kill(-tracked[i], SIGTERM) == 0)
			any = 1;
	if (!any)
		return;
	/* Give them a moment to clean up (a step stops its own children
	 * first; make deletes what it left half written), then make sure. A
	 * group counts as done when only zombies are left in it: its
	 * leader's exit is not enough, as a compiler or a trap below it may
	 * still be finishing. Without /proc, a group whose leader has exited
	 * counts as done; WNOWAIT leaves its status for child_finish(). */
	for (int tries = 0; tries < 100; tries++) {
		int alive = 0;
		for (int i = 0; i < MAX_TRACKED; i++) {
			if (tracked[i] <= 0 || kill(-tracked[i], 0) < 0)
				continue;
			int live = group_alive(tracked[i]);
			if (live == 0)
				continue;
			if (live > 0) {
				alive = 1;
				continue;
			}
			siginfo_t info;
			memset(&info, 0, sizeof(info));
			if (waitid(P_PID, (id_t)tracked[i], &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
			    info.si_pid == tracked[i])
				continue;
			alive = 1;
		}
		if (!alive)
			break;
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] > 0) {
			kill(-tracked[i], SIGKILL);
			tracked[i] = 0;
		}
}

static void on_signal(int sig)
{
	proc_kill_all();
	/* The shell convention for death by a signal; the signal itself stays
	 * blocked inside its handler, so exit with the status directly. */
	_exit(128 + sig);
}

static void at_exit(void)
{
	proc_kill_all();
}

void proc_install_signal_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A closed pipe (mkdistro ... | head) is an error on write, not death. */
	signal(SIGPIPE, SIG_IGN);
	atexit(at_exit);
}

/* The signals whose disposition a child that runs a program gets back to
 * the default: those mkdistro handles or ignores, and those job control
 * and the terminal use. */
static const int child_signals[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGPIPE,
				    SIGTSTP, SIGTTIN, SIGTTOU, SIGCHLD};

/* The one place that holds the signals which end mkdistro (their handlers
 * kill the tracked children) while a child is started and tracked. */
static void hold_signals(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* The terminal's settings while a foreground child runs, to put back,
 * also from an exit path that skips child_finish() (atexit). */
static struct termios saved_tio;
static int saved_tio_valid;

static void terminal_back(void)
{
	if (!saved_tio_valid)
		return;
	/* Back in the foreground first: a background process changing the
	 * terminal would be stopped by SIGTTOU. */
	void (*old)(int) = signal(SIGTTOU, SIG_IGN);
	tcsetpgrp(STDIN_FILENO, getpgrp());
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	signal(SIGTTOU, old);
	saved_tio_valid = 0;
}

/* Make PID's group the terminal's foreground group (from either side of
 * the fork: whichever gets there first). */
static void terminal_give(pid_t pid)
{
	void (*old)(int) = signal(SIGTTOU, SIG_IGN);
	tcsetpgrp(STDIN_FILENO, pid);
	signal(SIGTTOU, old);
}

/* In the child: report errno to the parent through FD and end. */
static _Noreturn void child_fail(int fd)
{
	int e = errno;
	(void)!write(fd, &e, sizeof(e));
	_exit(127);
}

/* Where stream WHICH (0, 1, 2) of C comes from in the child: a descriptor,
 * or -1 to leave it as it is. PIPES holds the child's ends of new pipes. */
static int stream_source(const struct child *c, int which, enum child_stream how,
			 const int pipes[3], int nullfd, int logfd)
{
	switch (how) {
	case CHILD_DEFAULT:
		return which == 0 ? nullfd : -1;
	case CHILD_NULL:
		return nullfd;
	case CHILD_FD:
		return which == 0 ? c->in_fd : which == 1 ? c->out_fd : c->err_fd;
	case CHILD_PIPE:
		return pipes[which];
	case CHILD_LOG:
		return logfd;
	case CHILD_INHERIT:
	case CHILD_STDOUT:
		break;
	}
	return -1;
}

/* The child's side of child_start(), between fork and exec: only
 * async-signal-safe calls, as after any fork. Failures go to the parent
 * through ERRFD. fork rather than posix_spawn: a parent-death signal, the
 * terminal's foreground group and a function instead of a program are
 * beyond what posix_spawn can set up. */
static _Noreturn void child_side(const struct child *c, pid_t parent, const sigset_t *mask,
				 const int pipes[3], const int keep[3], int errfd)
{
	const enum child_stream how[3] = {c->in, c->out, c->err};

	setpgid(0, 0);
	proc_forget_all();
	if (c->pdeathsig) {
		prctl(PR_SET_PDEATHSIG, c->pdeathsig);
		/* The parent may have died before prctl took effect. */
		if (getppid() != parent)
			_exit(127);
	}
	if (c->foreground) {
		/* A program that sets up the terminal at its start (QEMU's raw
		 * mode) must be in the foreground group by then, or it is
		 * stopped by SIGTTOU. */
		signal(SIGTTOU, SIG_IGN);
		tcsetpgrp(STDIN_FILENO, getpid());
	}
	for (int i = 0; i < 3; i++)
		if (keep[i] >= 0)
			close(keep[i]);

	/* The log's name is relative to mkdistro's directory: open it before
	 * the chdir. */
	int nullfd = -1, logfd = -1;
	for (int i = 0; i < 3; i++) {
		if (how[i] == CHILD_LOG && logfd < 0 &&
		    (logfd = open(c->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
			child_fail(errfd);
		if ((how[i] == CHILD_NULL || (i == 0 && how[i] == CHILD_DEFAULT)) && nullfd < 0 &&
		    (nullfd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
			child_fail(errfd);
	}
	/* Move every source above 2 first, so that putting one in place
	 * cannot overwrite another. */
	int src[3];
	for (int i = 0; i < 3; i++) {
		src[i] = stream_source(c, i, how[i], pipes, nullfd, logfd);
		if (src[i] >= 0 && src[i] <= 2 && (src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3)) < 0)
			child_fail(errfd);
	}
	for (int i = 0; i < 3; i++)
		if (src[i] >= 0 && dup2(src[i], i) < 0)
			child_fail(errfd);
	if (how[2] == CHILD_STDOUT && dup2(1, 2) < 0)
		child_fail(errfd);
	/* What is left would stay open in a child that runs a function. */
	int left[] = {src[0], src[1], src[2], pipes[0], pipes[1], pipes[2], nullfd, logfd};
	for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
		int seen = left[i] <= 2;
		for (size_t j = 0; j < i && !seen; j++)
			seen = left[j] == left[i];
		if (!seen)
			close(left[i]);
	}
	if (c->cwd && chdir(c->cwd) < 0)
		child_fail(errfd);
	for (size_t i = 0; i < c->npass_fds; i++)
		if (fcntl(c->pass_fds[i], F_SETFD, 0) < 0)
			child_fail(errfd);

	if (c->fn) {
		/* It keeps mkdistro's handlers: a step that is stopped stops
		 * the makes it started. */
		close(errfd);
		sigprocmask(SIG_SETMASK, mask, NULL);
		int rc = c->fn(c->arg);
		fflush(NULL);
		_exit(rc & 0xff);
	}
	for (size_t i = 0; i < sizeof(child_signals) / sizeof(child_signals[0]); i++)
		signal(child_signals[i], SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvpe(c->argv[0], c->argv, c->env ? c->env : environ);
	child_fail(errfd);
}

/* Exit status of wait status ST: the shell's convention of 128+N for a
 * child killed by signal N. */
static int decode_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

/* C has ended with wait status ST: see child_finish(). */
static int reaped(struct child *c, int st)
{
	proc_untrack(c->pid);
	/* The child is gone; kill what it may have left in its group. */
	kill(-c->pid, SIGKILL);
	c->status = decode_status(st);
	c->pid = 0;
	if (c->foreground)
		terminal_back();
	return c->status;
}

/* C cannot be waited for. */
static int wait_failed(struct child *c)
{
	warn("waitpid:");
	proc_untrack(c->pid);
	c->status = -1;
	c->pid = 0;
	if (c->foreground)
		terminal_back();
	return -1;
}

static void close_fds(int fds[], int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

int child_start(struct child *c)
{
	static int atexit_done;
	const enum child_stream how[3] = {c->in, c->out, c->err};
	const char *name = c->argv && c->argv[0] ? c->argv[0] : "child";
	int pipes[3] = {-1, -1, -1}, keep[3] = {-1, -1, -1}, err[2];

	c->pid = 0;
	c->status = -1;
	c->exec_failed = 0;
	if (c->foreground &&
	    (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != getpgrp())) {
		warn("cannot run '%s' on the terminal: mkdistro is not in its foreground "
		     "(started with '&'?)", name);
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		if (how[i] != CHILD_PIPE)
			continue;
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			goto no_pipe;
		/* The child reads stdin, writes the others. */
		pipes[i] = p[i == 0 ? 0 : 1];
		keep[i] = p[i == 0 ? 1 : 0];
	}
	if (pipe2(err, O_CLOEXEC) < 0)
		goto no_pipe;
	if (c->foreground && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		saved_tio_valid = 1;
		if (!atexit_done++)
			atexit(terminal_back);
	}
	if (c->fn)
		fflush(NULL); /* or the child would write it again */

	sigset_t old;
	pid_t parent = getpid();
	hold_signals(&old);
	pid_t pid = fork();
	if (pid == 0)
		child_side(c, parent, &old, pipes, keep, err[1]);
	int fork_errno = errno;
	if (pid > 0) {
		setpgid(pid, pid);
		proc_track(pid);
		if (c->foreground)
			terminal_give(pid);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(err[1]);
	close_fds(pipes, 3);
	if (pid < 0) {
		close(err[0]);
		close_fds(keep, 3);
		errno = fork_errno;
		warn("fork:");
		if (c->foreground)
			terminal_back();
		return -1;
	}

	/* The report pipe closes at the exec (or before the function runs);
	 * an errno on it is the child's failure. */
	int e = 0;
	ssize_t n;
	while ((n = read(err[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(err[0]);
	c->pid = pid;
	if (n == (ssize_t)sizeof(e)) {
		child_finish(c);
		close_fds(keep, 3);
		c->exec_failed = 1;
		errno = e;
		warn("cannot run '%s':", name);
		return -1;
	}
	c->in_fd = how[0] == CHILD_PIPE ? keep[0] : c->in_fd;
	c->out_fd = how[1] == CHILD_PIPE ? keep[1] : c->out_fd;
	c->err_fd = how[2] == CHILD_PIPE ? keep[2] : c->err_fd;
	return 0;

no_pipe:
	warn("pipe:");
	close_fds(pipes, 3);
	close_fds(keep, 3);
	return -1;
}

int child_finish(struct child *c)
{
	int st;
	if (c->pid <= 0)
		return c->status;
	while (waitpid(c->pid, &st, 0) < 0)
		if (errno != EINTR)
			return wait_failed(c);
	return reaped(c, st);
}

int child_poll(struct child *c)
{
	int st;
	pid_t r;
	if (c->pid <= 0)
		return 1;
	while ((r = waitpid(c->pid, &st, WNOHANG)) < 0)
		if (errno != EINTR)
			return wait_failed(c);
	if (r == 0)
		return 0;
	reaped(c, st);
	return 1;
}

int proc_run(char *const argv[], const char *cwd, const char *log, char *const envp[])
{
	struct child c = {.argv = argv, .cwd = cwd, .env = envp, .log = log};
	if (log) {
		c.out = CHILD_LOG;
		c.err = CHILD_STDOUT;
	}
	return child_start(&c) < 0 ? -1 : child_finish(&c);
}

int proc_capture(char *const argv[], const char *cwd, const char *log, struct buf *out)
{
	struct child c = {.argv = argv, .cwd = cwd, .log = log, .out = CHILD_PIPE};
	if (log)
		c.err = CHILD_LOG;
	if (child_start(&c) < 0)
		return -1;
	char chunk[4096];
	for (;;) {
		ssize_t n = read(c.out_fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(out, chunk, (size_t)n);
	}
	close(c.out_fd);
	return child_finish(&c);
}

int proc_need(const char *program, const char *package)
{
	if (have_program(program))
		return 0;
	warn("'%s' not found: install the Debian package '%s' (sudo apt-get install %s)", program,
	     package, package);
	return -1;
}

int proc_run_logged(char *const argv[], const char *cwd, const char *log)
{
	if (verbose > 1) {
		fprintf(stderr, "+");
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\n");
	}
	int rc = proc_run(argv, cwd, log, NULL);
	if (rc == 0)
		return 0;
	if (rc > 0)
		fprintf(stderr, "mkdistro: '%s %s' exited with status %d\n", argv[0],
			argv[1] ? argv[1] : "", rc);
	return -1;
}
