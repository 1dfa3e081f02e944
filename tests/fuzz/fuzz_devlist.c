/* Fuzz target: the entries list (devlist.c) written into an archive by
 * cpio_write_tree (cpio.c), read back with libarchive.
 *
 * The input is an entries list. devlist_parse either refuses it (leaving
 * the list empty) or gives entries with an absolute path, permission bits
 * only, device numbers Linux can encode, and an existing source for each
 * file. Such a list, written as the extra entries of an empty tree, must
 * make a complete archive exactly when cpio.h allows it: every name valid
 * and given once (after the leading '/' is dropped), every parent a
 * directory listed before it in name order, every file source a regular
 * file, every symlink target shorter than PATH_MAX. When it does,
 * libarchive must read back the entries in name order with their type,
 * permissions, owner, device numbers, symlink target and content.
 *
 * Sources are files of the run's directory: "a" (some bytes), "empty",
 * "motd.txt" and "sub/b"; "dir" is a directory and "link" a symlink, which cpio refuses.
 * A list naming a source outside that directory is skipped, so that the
 * result never depends on the machine. */
#include <archive.h>
#include <archive_entry.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "devlist.h"
#include "fuzz.h"

static char *dir;   /* sources, relative to the list */
static char *root;  /* DIR/root: the empty tree */
static char *list;  /* DIR/entries.txt: the list's name in messages */

static const char a_data[] = "#!/bin/sh\necho from a file source\n";

static void put(const char *rel, const char *text)
{
	char *p = path_join(dir, rel);
	if (write_file_atomic(p, text, strlen(text), 0644) < 0)
		abort();
	free(p);
}

static void setup(void)
{
	/* Resolved, so that sources can be checked to stay inside it. */
	dir = realpath(fuzz_tmpdir("devlist"), NULL);
	root = path_join(dir, "root");
	list = path_join(dir, "entries.txt");
	char *sub = path_join(dir, "sub"), *dd = path_join(dir, "dir"), *ln = path_join(dir, "link");
	if (!dir || mkdir(root, 0755) < 0 || mkdir(sub, 0755) < 0 || mkdir(dd, 0755) < 0 ||
	    symlink("a", ln) < 0)
		abort();
	free(sub);
	free(dd);
	free(ln);
	put("a", a_data);
	put("empty", "");
	put("motd.txt", "Welcome.\n");
	put("sub/b", "b\n");
}

/* The name cpio stores: without leading slashes. */
static const char *stored(const char *path)
{
	while (*path == '/')
		path++;
	return path;
}

static int name_ok(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len >= PATH_MAX || !strcmp(name, "TRAILER!!!"))
		return 0;
	for (const char *c = name;;) {
		size_t k = strcspn(c, "/");
		if (k == 0 || (k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (!c[k])
			return 1;
		c += k + 1;
	}
}

static int by_name(const void *x, const void *y)
{
	const struct cpio_entry *const *a = x, *const *b = y;
	return strcmp(stored((*a)->path), stored((*b)->path));
}

/* 1 when SRC is inside the run's directory (whatever it is there). */
static int source_inside(const char *src)
{
	char *parent = xstrdup(src);
	char *slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	char *real = realpath(parent, NULL);
	size_t n = strlen(dir);
	int in = real && !strncmp(real, dir, n) && (real[n] == '/' || real[n] == '\0');
	free(real);
	free(parent);
	return in;
}

/* What cpio.h allows for the sorted entries V. */
static int allowed(struct cpio_entry **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = stored(v[i]->path);
		if (!name_ok(name))
			return 0;
		if (i > 0 && !strcmp(name, stored(v[i - 1]->path)))
			return 0;
		const char *slash = strrchr(name, '/');
		if (slash) {
			size_t plen = (size_t)(slash - name);
			int found = 0;
			for (size_t k = 0; k < i; k++) {
				const char *pn = stored(v[k]->path);
				if (strlen(pn) == plen && !strncmp(pn, name, plen))
					found = S_ISDIR(v[k]->mode) ? 1 : -1;
			}
			if (found != 1)
				return 0;
		}
		if (S_ISREG(v[i]->mode)) {
			struct stat st;
			if (lstat(v[i]->src, &st) < 0 || !S_ISREG(st.st_mode))
				return 0;
		}
		if (S_ISLNK(v[i]->mode) && strlen(v[i]->target) >= PATH_MAX)
			return 0;
	}
	return 1;
}

static void check_entries(const struct devlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct cpio_entry *e = &l->v[i];
		mode_t t = e->mode & S_IFMT;
		if (!e->path || e->path[0] != '/')
			fuzz_fail("entry %zu: path not absolute", i);
		if (t != S_IFDIR && t != S_IFREG && t != S_IFLNK && t != S_IFCHR && t != S_IFBLK &&
		    t != S_IFIFO && t != S_IFSOCK)
			fuzz_fail("'%s': type %o", e->path, (unsigned)t);
		if ((t == S_IFCHR || t == S_IFBLK) ? e->major > 4095 || e->minor > 0xfffff
						   : e->major || e->minor)
			fuzz_fail("'%s': device %u:%u", e->path, e->major, e->minor);
		if (e->uid > 0xffffffffUL || e->gid > 0xffffffffUL)
			fuzz_fail("'%s': owner %lu:%lu", e->path, e->uid, e->gid);
		if ((t == S_IFLNK) != (e->target != NULL) || (t == S_IFREG) != (e->src != NULL))
			fuzz_fail("'%s': target or source where it does not belong", e->path);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(l->v[k].path, e->path))
				fuzz_fail("'%s' listed twice", e->path);
	}
}

static void read_back(const char *arc, size_t len, struct cpio_entry **v, size_t n)
{
	struct archive *a = archive_read_new();
	if (!a || archive_read_support_format_cpio(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, arc, len) != ARCHIVE_OK)
		fuzz_fail("libarchive cannot open the archive");
	char *buf = xmalloc(4096);
	for (size_t i = 0; i <= n; i++) {
		struct archive_entry *ae;
		int r = archive_read_next_header(a, &ae);
		if (i == n) {
			if (r != ARCHIVE_EOF)
				fuzz_fail("more than the %zu entries listed", n);
			break;
		}
		const struct cpio_entry *e = v[i];
		const char *want = stored(e->path);
		if (r != ARCHIVE_OK)
			fuzz_fail("libarchive cannot read '%s': %s", want, archive_error_string(a));
		const char *name = archive_entry_pathname(ae);
		if (!name || strcmp(name, want))
			fuzz_fail("entry %zu is '%s', expected '%s'", i, name ? name : "(none)", want);
		mode_t mode = S_ISLNK(e->mode) ? S_IFLNK | 0777 : e->mode;
		if (archive_entry_mode(ae) != mode)
			fuzz_fail("'%s': mode %o, expected %o", want, (unsigned)archive_entry_mode(ae),
				  (unsigned)mode);
		if ((unsigned long)archive_entry_uid(ae) != e->uid ||
		    (unsigned long)archive_entry_gid(ae) != e->gid)
			fuzz_fail("'%s': owner %lld:%lld, expected %lu:%lu", want,
				  (long long)archive_entry_uid(ae), (long long)archive_entry_gid(ae),
				  e->uid, e->gid);
		if (archive_entry_rdevmajor(ae) != e->major || archive_entry_rdevminor(ae) != e->minor)
			fuzz_fail("'%s': device %u:%u, expected %u:%u", want,
				  (unsigned)archive_entry_rdevmajor(ae),
				  (unsigned)archive_entry_rdevminor(ae), e->major, e->minor);
		if (S_ISLNK(e->mode)) {
			const char *t = archive_entry_symlink(ae);
			if (!t || strcmp(t, e->target))
				fuzz_fail("'%s': symlink to '%s', expected '%s'", want, t ? t : "(none)",
					  e->target);
		} else if (S_ISREG(e->mode)) {
			size_t slen;
			char *content = read_file(e->src, &slen);
			if (!content)
				fuzz_fail("cannot read '%s'", e->src);
			buf = xreallocarray(buf, slen + 1, 1);
			la_ssize_t got = archive_read_data(a, buf, slen + 1);
			if (got != (la_ssize_t)slen || memcmp(buf, content, slen))
				fuzz_fail("'%s': content differs from '%s'", want, e->src);
			free(content);
		}
	}
	free(buf);
	archive_read_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir)
		setup();
	if (memchr(data, '\0', size))
		return 0;
	char *text = xstrndup((const char *)data, size);
	struct devlist l;
	fuzz_quiet();
	if (devlist_parse(text, list, dir, &l) < 0) {
		if (l.n || l.v)
			fuzz_fail("a refused list left entries behind");
		fuzz_loud();
		free(text);
		return 0;
	}
	check_entries(&l);
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].src && !source_inside(l.v[i].src)) {
			fuzz_loud();
			devlist_free(&l);
			free(text);
			return 0;
		}
	}
	struct cpio_entry **v = xcalloc(l.n ? l.n : 1, sizeof(*v));
	for (size_t i = 0; i < l.n; i++)
		v[i] = &l.v[i];
	qsort(v, l.n, sizeof(*v), by_name);
	int ok = allowed(v, l.n);
	int fd = memfd_create("devlist", MFD_CLOEXEC);
	if (fd < 0)
		fuzz_fail("memfd_create failed");
	int rc = cpio_write_tree(fd, root, 0, l.v, l.n);
	fuzz_loud();
	if (ok && rc != 0)
		fuzz_fail("cpio_write_tree refused a list that cpio.h allows");
	if (!ok && rc == 0)
		fuzz_fail("cpio_write_tree accepted a list that cpio.h refuses");
	if (rc == 0) {
		off_t len = lseek(fd, 0, SEEK_END);
		char *arc = xmalloc(len > 0 ? (size_t)len : 1);
		if (len < 0 || pread(fd, arc, (size_t)len, 0) != len)
			fuzz_fail("cannot read the archive back");
		if (len % 512)
			fuzz_fail("archive of %lld bytes", (long long)len);
		read_back(arc, (size_t)len, v, l.n);
		free(arc);
	}
	close(fd);
	free(v);
	devlist_free(&l);
	free(text);
	return 0;
}
