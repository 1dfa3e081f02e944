/* tinyfs: run code against a file system that is full, without root: a
 * forked child enters a new user and mount namespace (what `unshare -Urm`
 * does) and mounts a small tmpfs over a directory, which only it sees.
 * Header only, like testutil.h. */
#ifndef MKDISTRO_TINYFS_H
#define MKDISTRO_TINYFS_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child's exit status when it could not set the file system up. */
#define TINYFS_UNAVAILABLE 77

static inline int tinyfs_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1; /* setgroups is missing on old kernels */
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* In this process: become root of a new user namespace (mapped to our own
 * uid and gid) with a private mount namespace, and mount a tmpfs of
 * KBYTES KiB on DIR (an existing directory). 0, or -1 after a message on
 * stderr. */
static inline int tinyfs_enter(const char *dir, unsigned kbytes)
{
	char map[64], opts[64];
	unsigned uid = (unsigned)getuid(), gid = (unsigned)getgid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		fprintf(stderr, "tinyfs: unshare (user and mount namespace): %s\n", strerror(errno));
		return -1;
	}
	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (tinyfs_write("/proc/self/setgroups", "deny") < 0 ||
	    tinyfs_write("/proc/self/uid_map", map) < 0) {
		fprintf(stderr, "tinyfs: uid_map: %s\n", strerror(errno));
		return -1;
	}
	snprintf(map, sizeof(map), "0 %u 1", gid);
	if (tinyfs_write("/proc/self/gid_map", map) < 0) {
		fprintf(stderr, "tinyfs: gid_map: %s\n", strerror(errno));
		return -1;
	}
	snprintf(opts, sizeof(opts), "size=%uk,mode=0755", kbytes);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tinyfs", dir, "tmpfs", 0, opts) < 0) {
		fprintf(stderr, "tinyfs: mount tmpfs on '%s': %s\n", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Run FN(ARG) in a child process that sees a tmpfs of KBYTES KiB on DIR
 * (gone when the child ends, so FN checks what is left in it). FN must not
 * use cmocka's assertions (they belong to the parent): it returns 0 when
 * all is well, else 1..76 after saying why on stderr. Returns FN's value,
 * or -1 when the namespaces are not available on this machine (the
 * caller skips the test, having said why). */
static inline int tinyfs_run(const char *dir, unsigned kbytes, int (*fn)(void *), void *arg)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return 100;
	if (pid == 0) {
		if (tinyfs_enter(dir, kbytes) < 0)
			_exit(TINYFS_UNAVAILABLE);
		int rc = fn(arg);
		fflush(NULL);
		_exit(rc);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 101;
	if (!WIFEXITED(st))
		return 102;
	if (WEXITSTATUS(st) == TINYFS_UNAVAILABLE) {
		fprintf(stderr, "tinyfs: no unprivileged user namespaces here (sysctl "
				"kernel.unprivileged_userns_clone, or a container that forbids "
				"them): skipping the disk-full test\n");
		return -1;
	}
	return WEXITSTATUS(st);
}

#endif
