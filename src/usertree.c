#include "usertree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

int usertree_is_tree(const char *dir)
{
	static const char *const needed[] = { "Makefile", "Kconfig", "init/main.c" };
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		char *p = path_join(dir, needed[i]);
		int ok = path_exists(p);
		free(p);
		if (!ok) {
			warn("linux source '%s' is not a kernel source tree (no %s): give the top "
			     "directory of a kernel checkout or unpacked tarball",
			     dir, needed[i]);
			return -1;
		}
	}
	return 0;
}

int usertree_check(const char *dir, const char *srcarch)
{
	if (usertree_is_tree(dir) < 0)
		return -1;
	/* What kbuild looks for before it builds a tree elsewhere ("The
	 * source tree is not clean"); said before anything is built. */
	char *gen = xasprintf("arch/%s/include/generated", srcarch);
	const char *const built[] = { ".config", "include/config", gen };
	int rc = 0;
	for (size_t i = 0; i < sizeof(built) / sizeof(built[0]) && rc == 0; i++) {
		char *p = path_join(dir, built[i]);
		if (path_exists(p)) {
			warn("linux source '%s' was configured or built in place (it has %s), and kbuild "
			     "then refuses to build it in another directory; mkdistro never writes into "
			     "your tree, so clean it yourself: 'make -C %s mrproper' (it deletes %s/.config: "
			     "copy it first, and give the copy as [linux] config), or give a clean "
			     "checkout ('git -C %s worktree add DIR')",
			     dir, built[i], dir, dir, dir);
			rc = -1;
		}
		free(p);
	}
	free(gen);
	return rc;
}

struct entry {
	char *rel;  /* path below the tree */
	char *meta; /* "MODE SIZE MTIME [TARGET]" */
};

struct entries {
	struct entry *v;
	size_t n;
};

/* Every entry below DIR into E; 0, or -1 when a directory cannot be read. */
static int list_state(const char *dir, const char *rel, struct entries *e)
{
	DIR *d = opendir(dir);
	if (!d) {
		warn("read '%s':", dir);
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		if (!strcmp(n, ".") || !strcmp(n, "..") || (!*rel && !strcmp(n, ".git")))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone meanwhile: as if it was never there */
		char target[4096] = "";
		if (S_ISLNK(st.st_mode)) {
			ssize_t len = readlinkat(dirfd(d), n, target, sizeof(target) - 1);
			target[len < 0 ? 0 : len] = '\0';
		}
		char *r = *rel ? xasprintf("%s/%s", rel, n) : xstrdup(n);
		e->v = xreallocarray(e->v, e->n + 1, sizeof(*e->v));
		e->v[e->n].rel = r;
		e->v[e->n].meta = xasprintf("%o %lld %lld.%09ld %s", (unsigned)st.st_mode,
					    (long long)st.st_size, (long long)st.st_mtim.tv_sec,
					    st.st_mtim.tv_nsec, target);
		e->n++;
		if (S_ISDIR(st.st_mode)) {
			char *sub = path_join(dir, n);
			rc |= list_state(sub, r, e);
			free(sub);
		}
	}
	closedir(d);
	return rc;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->rel, ((const struct entry *)b)->rel);
}

int usertree_state(const char *dir, char all[SHA256_HEX_LEN + 1], char kconfig[SHA256_HEX_LEN + 1])
{
	struct entries e = {0};
	int rc = list_state(dir, "", &e);
	/* readdir's order is the file system's: sort, so that the hash says
	 * what is there, not the order it was found in. */
	if (e.n)
		qsort(e.v, e.n, sizeof(*e.v), cmp_entry);
	struct hasher *h = hasher_new(), *k = hasher_new();
	for (size_t i = 0; i < e.n; i++) {
		/* Each string with its NUL, so that no two lists hash alike. */
		const char *base = strrchr(e.v[i].rel, '/');
		base = base ? base + 1 : e.v[i].rel;
		struct hasher *to[2] = { h, !strncmp(base, "Kconfig", 7) ? k : NULL };
		for (int t = 0; t < 2 && to[t]; t++) {
			hasher_add(to[t], e.v[i].rel, strlen(e.v[i].rel) + 1);
			hasher_add(to[t], e.v[i].meta, strlen(e.v[i].meta) + 1);
		}
		free(e.v[i].rel);
		free(e.v[i].meta);
	}
	hasher_finish(h, all);
	hasher_finish(k, kconfig);
	free(e.v);
	return rc < 0 ? -1 : 0;
}

/* git in DIR with ARGS, its output into OUT; 0 when it exited 0. Optional
 * locks are off: `git status` would otherwise refresh the index, a write
 * into the user's tree. */
static int git(const char *dir, const char *a1, const char *a2, const char *a3, struct buf *out)
{
	char *argv[] = { "git", "--no-optional-locks", "-C", (char *)dir, (char *)a1, (char *)a2,
			 (char *)a3, NULL };
	return proc_capture(argv, NULL, "/dev/null", out) == 0 ? 0 : -1;
}

int usertree_git(const char *dir, char **commit, int *dirty)
{
	if (!have_program("git"))
		return 1;
	struct buf head = {0}, st = {0};
	int rc = 1;
	if (git(dir, "rev-parse", "--verify", "HEAD", &head) == 0 && head.len >= 40 &&
	    git(dir, "status", "--porcelain", "--untracked-files=normal", &st) == 0) {
		*commit = xstrndup(head.s, strcspn(head.s, "\n"));
		*dirty = st.len > 0;
		rc = 0;
	}
	buf_free(&head);
	buf_free(&st);
	return rc;
}

char *usertree_describe(const char *dir)
{
	char *commit = NULL;
	int dirty = 0;
	if (usertree_git(dir, &commit, &dirty) != 0)
		return xstrdup("not a git work tree");
	char *s = xasprintf("git commit %.12s, %s", commit, dirty ? "dirty" : "clean");
	free(commit);
	return s;
}

int usertree_checkout(const char *tree, const char *rev, const char *dest, const char *index,
		      const char *log, char **id)
{
	if (proc_need("git", "git") < 0)
		return -1;
	struct buf gitdir = {0}, commit = {0};
	char *spec = xasprintf("%s^{commit}", rev);
	int rc = -1;
	if (git(tree, "rev-parse", "--absolute-git-dir", NULL, &gitdir) < 0 || !gitdir.len) {
		warn("'%s' is not a git work tree: --check needs the commits of one", tree);
		goto out;
	}
	if (git(tree, "rev-parse", "--verify", spec, &commit) < 0 || commit.len < 40) {
		warn("'%s' is not a commit of '%s' (git rev-parse --verify found none)", rev, tree);
		goto out;
	}
	gitdir.s[strcspn(gitdir.s, "\n")] = '\0';
	commit.s[strcspn(commit.s, "\n")] = '\0';
	if (mkdir_p(dest, 0755) < 0)
		goto out;
	/* git's own environment, with the index moved out of TREE. */
	extern char **environ;
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = xcalloc(n + 2, sizeof(*env));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "GIT_", 4))
			env[k++] = environ[i];
	char *ienv = xasprintf("GIT_INDEX_FILE=%s", index);
	env[k++] = ienv;
	char *gd = xasprintf("--git-dir=%s", gitdir.s), *wt = xasprintf("--work-tree=%s", dest);
	/* --reset: whatever DEST's index held; -u: the files that differ. */
	char *argv[] = { "git", "--no-optional-locks", gd, wt, "read-tree", "--reset", "-u",
			 commit.s, NULL };
	int st = proc_run(argv, NULL, log, env);
	if (st == 0) {
		*id = buf_steal(&commit);
		rc = 0;
	} else if (st > 0) {
		warn("'git read-tree' of %s into '%s' exited with status %d (see %s)", rev, dest, st,
		     log);
	}
	free(gd);
	free(wt);
	free(ienv);
	free(env);
out:
	free(spec);
	buf_free(&gitdir);
	buf_free(&commit);
	return rc;
}
