/* proc: child processes. A struct child describes one; child_start()
 * starts it and child_finish() or child_poll() reaps it: the only way
 * mkdistro starts a child (the model is git's run-command). Every child
 *  - runs in a process group of its own, so that a signal reaches its
 *    whole tree; when it has been reaped, what it left in its group is
 *    killed;
 *  - is tracked from its start until it is reaped: when mkdistro exits
 *    or is interrupted, proc_kill_all() stops it and its group;
 *  - has stdin from /dev/null unless asked otherwise;
 *  - starts with the default disposition of the signals mkdistro handles
 *    or ignores and an empty signal mask, except a child that runs a C
 *    function (fn), which keeps mkdistro's handlers and mask. */
#ifndef MKDISTRO_PROC_H
#define MKDISTRO_PROC_H

#include <sys/types.h>

#include "util.h"

/* What one of a child's standard descriptors is. */
enum child_stream {
	CHILD_DEFAULT = 0, /* stdin: CHILD_NULL; stdout, stderr: CHILD_INHERIT */
	CHILD_NULL,        /* /dev/null */
	CHILD_INHERIT,     /* mkdistro's own descriptor */
	CHILD_FD,          /* the caller's descriptor in the stream's *_fd
			    * field, duplicated into the child; the caller
			    * keeps its own and closes it */
	CHILD_PIPE,        /* a new pipe: child_start() puts mkdistro's end
			    * (close-on-exec) in the stream's *_fd field; the
			    * caller reads or writes it and closes it */
	CHILD_LOG,         /* the file named by log, appended to (created with
			    * mode 0644) */
	CHILD_STDOUT,      /* stderr only: wherever stdout goes */
};

struct child {
	/* Set by the caller, zero otherwise. Strings and arrays stay the
	 * caller's; they must live until child_start() returns. */
	char *const *argv;   /* program and arguments, NULL-terminated;
			      * argv[0] is looked up in PATH. With fn, only
			      * its name in messages (may be NULL). */
	const char *cwd;     /* directory to run in; NULL: mkdistro's */
	char *const *env;    /* the whole environment; NULL: mkdistro's */
	enum child_stream in, out, err;
	int in_fd, out_fd, err_fd; /* CHILD_FD: the caller's descriptor;
				    * CHILD_PIPE: mkdistro's end, set by
				    * child_start() */
	const char *log;     /* CHILD_LOG's file; a relative name is taken
			      * from mkdistro's directory, not from cwd */
	int foreground;      /* 1: the child's group is the terminal's
			      * foreground group while it runs (it gets the
			      * keyboard and Ctrl-C; mkdistro does not), and
			      * the terminal's settings and foreground group
			      * are put back when it is reaped. Needs mkdistro
			      * in the foreground of the terminal on stdin;
			      * set in to CHILD_INHERIT for it to read the
			      * keyboard. */
	int pdeathsig;       /* signal the child gets when mkdistro dies (even
			      * by SIGKILL), 0: none */
	int (*fn)(void *arg); /* if set, the forked child runs fn(arg) instead
			       * of a program, and exits with its return value
			       * (0..255) once stdio is flushed */
	void *arg;           /* for fn; the child has its own copy of memory */
	const int *pass_fds; /* descriptors (above 2) the program inherits
			      * under the same numbers, close-on-exec or
			      * not in mkdistro (QEMU's -chardev fd=N); the
			      * caller keeps and closes its own */
	size_t npass_fds;

	/* Set by child_start(), child_poll() and child_finish(). */
	pid_t pid;           /* also its process group id; 0 once reaped */
	int status;          /* once reaped: its exit status, 128+N when
			      * killed by signal N, -1 if it could not be
			      * waited for */
	int exec_failed;     /* child_start() failed in the child: the program,
			      * cwd or log could not be used (rather than
			      * mkdistro failing to fork) */
};

/* Start C. Returns 0 with c->pid set, or -1 after warn() ("cannot run
 * 'PROGRAM': why") with nothing left running and no pipe open. Signals
 * that end mkdistro are held while it starts and is tracked, so an
 * interruption cannot miss it. */
int child_start(struct child *c);

/* Wait for C (EINTR-safe) and reap it as described at the top: stop
 * tracking it, kill what it left in its group, give the terminal back.
 * Pipes stay open for the caller to close. Returns c->status. */
int child_finish(struct child *c);

/* child_finish() without waiting: 0 while C runs, 1 once it was reaped
 * (c->status set), -1 after warn() when it cannot be waited for. */
int child_poll(struct child *c);

/* Run ARGV (argv[0] looked up in PATH) in directory CWD (NULL: current)
 * with environment ENVP (NULL: inherit). Output (stdout and stderr) is
 * appended to the file LOG, or inherited when LOG is NULL. Waits for it.
 * Returns its exit status, 128+N if killed by signal N, or -1 after warn()
 * when it could not be started. */
int proc_run(char *const argv[], const char *cwd, const char *log, char *const envp[]);

/* Like proc_run but collects the child's stdout into OUT (stderr goes to
 * LOG or is inherited). */
int proc_capture(char *const argv[], const char *cwd, const char *log, struct buf *out);

/* In a child that mkdistro forked: forget the parent's tracked groups
 * (they are not this process's to kill). child_start() does it for its
 * children. */
void proc_forget_all(void);

/* Send SIGTERM, then SIGKILL after a short grace period, to every tracked
 * process group. Safe to call from a signal handler's exit path. */
void proc_kill_all(void);

/* Install handlers for SIGINT, SIGTERM and SIGHUP that kill all children
 * and exit with 128+signal, and an atexit() hook that kills leftovers. */
void proc_install_signal_handlers(void);

/* Name the Debian package that provides PROGRAM when it is missing:
 * returns 0 if found on PATH, otherwise -1 after
 * "mkdistro: 'PROGRAM' not found: install the Debian package 'PKG'". */
int proc_need(const char *program, const char *package);

/* Run ARGV as proc_run does, its output appended to LOG, for a step: the
 * command is shown on stderr at -vv, and a failing exit status is
 * reported there ("'make tinyconfig' exited with status 2"). Returns 0, or
 * -1 when it failed or could not be started. */
int proc_run_logged(char *const argv[], const char *cwd, const char *log);

#endif
