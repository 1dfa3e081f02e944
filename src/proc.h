/* proc: child processes. Every child runs in its own process group with
 * stdin from /dev/null, so that a signal reaches its whole tree; children
 * still running when mkdistro exits or is interrupted are killed. */
#ifndef MKDISTRO_PROC_H
#define MKDISTRO_PROC_H

#include <sys/types.h>

#include "util.h"

/* Run ARGV (argv[0] looked up in PATH) in directory CWD (NULL: current)
 * with environment ENVP (NULL: inherit). Output (stdout and stderr) is
 * appended to the file LOG, or inherited when LOG is NULL. Waits for it.
 * Returns its exit status, 128+N if killed by signal N, or -1 after warn()
 * when it could not be started. */
int proc_run(char *const argv[], const char *cwd, const char *log, char *const envp[]);

/* Like proc_run but collects the child's stdout into OUT (stderr goes to
 * LOG or is inherited). */
int proc_capture(char *const argv[], const char *cwd, const char *log, struct buf *out);

/* Start ARGV like proc_run without waiting; returns the pid (also the
 * process group id) or -1 after warn(). Reap it with proc_wait(). */
pid_t proc_start(char *const argv[], const char *cwd, const char *log, char *const envp[]);

/* Wait for PID (EINTR-safe) and return its status as proc_run does. */
int proc_wait(pid_t pid);

/* Remember/forget a process group to kill on exit or interruption (used
 * for children not started by proc_*, such as QEMU). */
void proc_track(pid_t pgid);
void proc_untrack(pid_t pgid);

/* In a forked child: forget the parent's tracked groups (they are not
 * this process's to kill). */
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
