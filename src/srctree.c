#include "srctree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract.h"
#include "fetch.h"
#include "util.h"

char *srctree_dir(const char *cachedir)
{
	const char *slash = strrchr(cachedir, '/');
	char *parent = slash && slash != cachedir ? xstrndup(cachedir, (size_t)(slash - cachedir))
						   : xstrdup(cachedir);
	char *dir = path_join(parent, "trees");
	free(parent);
	return dir;
}

char *srctree_path(const struct source *s, const char *cachedir)
{
	char *trees = srctree_dir(cachedir);
	char *tree = xasprintf("%s/%s-%s-%.12s", trees, s->name, s->version, s->origins[0].sha256);
	free(trees);
	return tree;
}

/* Remove what an extraction that died left in DIR: NAME.tmp.PID
 * directories. Only called with the trees lock held, so none of them is
 * still being written. */
static void remove_stale_trees(const char *dir, FILE *log)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strstr(de->d_name, ".tmp."))
			continue;
		char *p = path_join(dir, de->d_name);
		fprintf(log, "removing '%s', left by an unpacking that did not finish\n", p);
		rm_rf(p);
		free(p);
	}
	closedir(d);
}

int srctree_link(const struct source *s, const char *cachedir, int offline, const char *dest,
		 const char *log)
{
	char *trees = srctree_dir(cachedir);
	char *tree = srctree_path(s, cachedir);
	const char *slash = strrchr(dest, '/');
	char *parent = slash && slash != dest ? xstrndup(dest, (size_t)(slash - dest)) : xstrdup(".");
	char *lockpath = path_join(trees, ".lock");
	char *tmp = xasprintf("%s.tmp.%ld", dest, (long)getpid());
	FILE *lf = fopen(log, "a");
	int lock = -1, rc = -1;

	if (!lf) {
		warn("open '%s':", log);
		goto out;
	}
	setvbuf(lf, NULL, _IOLBF, 0);
	if (mkdir_p(trees, 0755) < 0 || (lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		fprintf(lf, "cannot use '%s' (%s): unpacking into the build directory\n", trees,
			strerror(errno));
		rc = 1; /* the caller unpacks as for the other sources */
		goto out;
	}
	if (flock(lock, LOCK_EX | LOCK_NB) < 0) {
		fprintf(lf, "waiting for another mkdistro unpacking into '%s'\n", trees);
		if (flock(lock, LOCK_EX) < 0) {
			warn("lock '%s':", lockpath);
			goto out;
		}
	}
	if (path_exists(tree)) {
		fprintf(lf, "%s %s: the unpacked tree '%s' is shared\n", s->name, s->version, tree);
	} else {
		remove_stale_trees(trees, lf);
		char *archive = fetch_source(s, cachedir, offline);
		if (!archive)
			goto out;
		fprintf(lf, "unpacking '%s' into '%s'\n", archive, tree);
		int x = extract_archive(archive, tree, s->topdir);
		free(archive);
		if (x < 0)
			goto out;
	}
	/* The link replaces whatever DEST was, in one rename. */
	if (mkdir_p(parent, 0755) < 0 || rm_rf(tmp) < 0)
		goto out;
	if (symlink(tree, tmp) < 0) {
		warn("symlink '%s':", tmp);
		goto out;
	}
	struct stat st;
	if (lstat(dest, &st) == 0 && S_ISDIR(st.st_mode) && rm_rf(dest) < 0)
		goto out;
	if (rename(tmp, dest) < 0) {
		warn("rename '%s' to '%s':", tmp, dest);
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	if (lf)
		fclose(lf);
	if (lock >= 0)
		close(lock);
	free(trees);
	free(tree);
	free(parent);
	free(lockpath);
	free(tmp);
	return rc;
}
