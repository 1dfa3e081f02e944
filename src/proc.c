#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Process groups to kill on exit. A fixed array: signal handlers must not
 * allocate, and mkdistro never runs more than a handful of children. */
#define MAX_TRACKED 64
static volatile pid_t tracked[MAX_TRACKED];

void proc_track(pid_t pgid)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] == 0) {
			tracked[i] = pgid;
			return;
		}
	warn("too many child processes to track");
}

void proc_untrack(pid_t pgid)
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
	 * counts as done; WNOWAIT leaves its status for proc_wait(). */
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

static pid_t spawn(char *const argv[], const char *cwd, const char *log, char *const envp[], int outfd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	pid_t pid = -1;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (log) {
		posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	}
	if (outfd >= 0) {
		posix_spawn_file_actions_adddup2(&fa, outfd, 1);
		posix_spawn_file_actions_addclose(&fa, outfd);
	}
	if (cwd)
		posix_spawn_file_actions_addchdir_np(&fa, cwd);
	posix_spawnattr_setpgroup(&attr, 0);
	sigset_t def;
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGHUP);
	posix_spawnattr_setsigdefault(&attr, &def);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

	/* Block the termination signals while the child is started and
	 * tracked, so that an interruption cannot miss it. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, envp ? envp : environ);
	if (rc == 0)
		proc_track(pid);
	sigprocmask(SIG_SETMASK, &old, NULL);

	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		errno = rc;
		warn("cannot run '%s':", argv[0]);
		return -1;
	}
	return pid;
}

pid_t proc_start(char *const argv[], const char *cwd, const char *log, char *const envp[])
{
	return spawn(argv, cwd, log, envp, -1);
}

int proc_wait(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			warn("waitpid:");
			proc_untrack(pid);
			return -1;
		}
	}
	proc_untrack(pid);
	/* The child is gone; kill what it may have left in its group. */
	kill(-pid, SIGKILL);
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

int proc_run(char *const argv[], const char *cwd, const char *log, char *const envp[])
{
	pid_t pid = spawn(argv, cwd, log, envp, -1);
	return pid < 0 ? -1 : proc_wait(pid);
}

int proc_capture(char *const argv[], const char *cwd, const char *log, struct buf *out)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		warn("pipe:");
		return -1;
	}
	pid_t pid = spawn(argv, cwd, log, NULL, p[1]);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	char chunk[4096];
	for (;;) {
		ssize_t n = read(p[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(out, chunk, (size_t)n);
	}
	close(p[0]);
	return proc_wait(pid);
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
