#include "cpio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define NEWC_MAX 0xffffffffULL
#define OUTBUF_SIZE (64 * 1024)
#define COPY_CHUNK (64 * 1024)

/* Names already in the archive, with whether each is a directory: needed
 * to refuse duplicates and entries whose parent is missing. */
struct nameset {
	char **names;
	unsigned char *isdir;
	size_t cap, n;
};

struct cpio {
	int fd;
	int broken;
	unsigned long uid, gid; /* owner of the next entry only */
	unsigned long mtime;
	unsigned long next_ino;
	unsigned long long off;
	size_t blen;
	struct nameset set;
	unsigned char buf[OUTBUF_SIZE];
	unsigned char chunk[COPY_CHUNK];
};

/* FNV-1a: names are short and the table only needs a decent spread. */
static size_t name_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static size_t set_slot(const struct nameset *set, const char *name)
{
	size_t i = name_hash(name) & (set->cap - 1);

	while (set->names[i] && strcmp(set->names[i], name) != 0)
		i = (i + 1) & (set->cap - 1);
	return i;
}

/* Returns -1 if NAME is absent, else whether it is a directory (0 or 1). */
static int set_find(const struct nameset *set, const char *name)
{
	if (set->cap == 0)
		return -1;
	size_t i = set_slot(set, name);
	return set->names[i] ? set->isdir[i] : -1;
}

static void set_add(struct nameset *set, const char *name, int isdir)
{
	if ((set->n + 1) * 2 > set->cap) {
		struct nameset old = *set;
		set->cap = old.cap ? old.cap * 2 : 64;
		set->names = xcalloc(set->cap, sizeof(*set->names));
		set->isdir = xcalloc(set->cap, 1);
		for (size_t i = 0; i < old.cap; i++) {
			if (!old.names[i])
				continue;
			size_t j = set_slot(set, old.names[i]);
			set->names[j] = old.names[i];
			set->isdir[j] = old.isdir[i];
		}
		free(old.names);
		free(old.isdir);
	}
	size_t i = set_slot(set, name);
	set->names[i] = xstrdup(name);
	set->isdir[i] = (unsigned char)(isdir != 0);
	set->n++;
}

static void set_free(struct nameset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->names[i]);
	free(set->names);
	free(set->isdir);
	memset(set, 0, sizeof(*set));
}

static int flush(struct cpio *c)
{
	if (c->blen == 0)
		return 0;
	if (write_all(c->fd, c->buf, c->blen) < 0) {
		warn("cpio: write:");
		c->broken = 1;
		return -1;
	}
	c->blen = 0;
	return 0;
}

static int emit(struct cpio *c, const void *data, size_t n)
{
	const unsigned char *p = data;

	while (n > 0) {
		if (c->blen == sizeof(c->buf) && flush(c) < 0)
			return -1;
		size_t k = sizeof(c->buf) - c->blen;
		if (k > n)
			k = n;
		memcpy(c->buf + c->blen, p, k);
		c->blen += k;
		c->off += k;
		p += k;
		n -= k;
	}
	return 0;
}

static int pad_to(struct cpio *c, unsigned align)
{
	static const unsigned char zeros[512];
	size_t n = (size_t)((align - c->off % align) % align);

	return emit(c, zeros, n);
}

struct cpio *cpio_new(int fd, long long mtime)
{
	struct cpio *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	c->next_ino = 1;
	if (mtime < 0 || (unsigned long long)mtime > NEWC_MAX) {
		unsigned long long fixed = mtime < 0 ? 0 : NEWC_MAX;
		warn("cpio: mtime %lld does not fit the newc field (0..%llu): using %llu",
		     mtime, NEWC_MAX, fixed);
		mtime = (long long)fixed;
	}
	c->mtime = (unsigned long)mtime;
	return c;
}

void cpio_set_owner(struct cpio *c, unsigned long uid, unsigned long gid)
{
	c->uid = uid;
	c->gid = gid;
}

void cpio_free(struct cpio *c)
{
	if (!c)
		return;
	set_free(&c->set);
	free(c);
}

/* Strip leading slashes and check NAME against the limits in cpio.h.
 * Returns the name as it will be stored, or NULL after warn(). */
static const char *check_name(struct cpio *c, const char *name)
{
	if (c->broken) {
		warn("cpio: archive is broken by an earlier error");
		return NULL;
	}
	if (!name) {
		warn("cpio: entry without a name");
		return NULL;
	}
	while (*name == '/')
		name++;
	size_t len = strnlen(name, PATH_MAX);
	if (len >= PATH_MAX) {
		warn("cpio '%.60s...': name longer than %d bytes", name, PATH_MAX - 1);
		return NULL;
	}
	if (len == 0) {
		warn("cpio: empty name");
		return NULL;
	}
	if (strcmp(name, "TRAILER!!!") == 0) {
		warn("cpio '%s': name reserved for the end of the archive", name);
		return NULL;
	}
	for (const char *p = name;;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			warn("cpio '%s': empty, '.' or '..' component in name", name);
			return NULL;
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (set_find(&c->set, name) >= 0) {
		warn("cpio '%s': name already in the archive", name);
		return NULL;
	}
	const char *slash = strrchr(name, '/');
	if (slash) {
		char *parent = xstrndup(name, (size_t)(slash - name));
		int isdir = set_find(&c->set, parent);
		if (isdir != 1)
			warn("cpio '%s': parent '%s' %s", name, parent,
			     isdir < 0 ? "is not in the archive before it"
				       : "is not a directory");
		free(parent);
		if (isdir != 1)
			return NULL;
	}
	return name;
}

static int check_perm(const char *name, mode_t perm)
{
	if (perm & ~(mode_t)07777) {
		warn("cpio '%s': bad permission bits %#o", name, (unsigned)perm);
		return -1;
	}
	return 0;
}

/* Write the 110-byte header and the padded name, and remember the name. */
static int header(struct cpio *c, const char *name, unsigned long ino, mode_t mode,
		  unsigned long nlink, unsigned long long size, unsigned rmaj, unsigned rmin)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t namesize = strlen(name) + 1;
	unsigned long long f[13] = {
		ino, mode, c->uid, c->gid, nlink, c->mtime, size, 0, 0, rmaj, rmin, namesize, 0
	};
	c->uid = c->gid = 0;
	char h[110];

	for (size_t i = 0; i < 13; i++) {
		if (f[i] > NEWC_MAX) {
			warn("cpio '%s': header field %zu does not fit 32 bits", name, i);
			return -1;
		}
	}
	memcpy(h, "070701", 6);
	for (size_t i = 0; i < 13; i++)
		for (size_t k = 0; k < 8; k++)
			h[6 + i * 8 + k] = hex[(f[i] >> (28 - 4 * k)) & 0xf];
	if (emit(c, h, sizeof(h)) < 0 || emit(c, name, namesize) < 0 || pad_to(c, 4) < 0)
		return -1;
	if (strcmp(name, "TRAILER!!!") != 0)
		set_add(&c->set, name, S_ISDIR(mode));
	return 0;
}

int cpio_add_dir(struct cpio *c, const char *name, mode_t perm)
{
	name = check_name(c, name);
	if (!name || check_perm(name, perm) < 0)
		return -1;
	return header(c, name, c->next_ino++, S_IFDIR | perm, 2, 0, 0, 0);
}

int cpio_add_data(struct cpio *c, const char *name, mode_t perm, const void *data, size_t len)
{
	name = check_name(c, name);
	if (!name || check_perm(name, perm) < 0)
		return -1;
	if ((unsigned long long)len > NEWC_MAX) {
		warn("cpio '%s': %zu bytes: files of 4 GiB or more do not fit newc", name, len);
		return -1;
	}
	if (len > 0 && !data) {
		warn("cpio '%s': no data", name);
		return -1;
	}
	if (header(c, name, c->next_ino++, S_IFREG | perm, 1, len, 0, 0) < 0 ||
	    emit(c, data, len) < 0 || pad_to(c, 4) < 0)
		return -1;
	return 0;
}

int cpio_add_symlink(struct cpio *c, const char *name, const char *target)
{
	name = check_name(c, name);
	if (!name)
		return -1;
	size_t len = target ? strnlen(target, PATH_MAX) : 0;
	if (len == 0 || len >= PATH_MAX) {
		warn("cpio '%s': symlink target %s", name,
		     len ? "longer than PATH_MAX-1 bytes" : "is empty");
		return -1;
	}
	/* The target is stored without its NUL, as GNU cpio and the kernel do. */
	if (header(c, name, c->next_ino++, S_IFLNK | 0777, 1, len, 0, 0) < 0 ||
	    emit(c, target, len) < 0 || pad_to(c, 4) < 0)
		return -1;
	return 0;
}

int cpio_add_node(struct cpio *c, const char *name, mode_t mode, unsigned major, unsigned minor)
{
	name = check_name(c, name);
	if (!name || check_perm(name, mode & ~(mode_t)S_IFMT) < 0)
		return -1;
	mode_t type = mode & S_IFMT;
	if (type != S_IFCHR && type != S_IFBLK && type != S_IFIFO && type != S_IFSOCK) {
		warn("cpio '%s': mode %#o is not a device, fifo or socket", name, (unsigned)mode);
		return -1;
	}
	/* Linux keeps 12 bits of major and 20 of minor (MKDEV). */
	if (major > 0xfff || minor > 0xfffff) {
		warn("cpio '%s': device number %u:%u out of range", name, major, minor);
		return -1;
	}
	if ((type == S_IFIFO || type == S_IFSOCK) && (major || minor)) {
		warn("cpio '%s': a fifo or socket has no device number", name);
		return -1;
	}
	return header(c, name, c->next_ino++, mode, 1, 0, major, minor);
}

unsigned long cpio_reserve_inode(struct cpio *c)
{
	return c->next_ino++;
}

/* Open SRC for copying as entry NAME; *ST gets its status. EXPECT, if not
 * NULL, is the file the caller saw earlier: a different file there now is
 * an error (it matters for hard links). Returns the fd or -1. */
static int open_source(const char *name, const char *src, struct stat *st,
		       const struct stat *expect)
{
	/* O_NONBLOCK so that a fifo put in the file's place cannot hang us. */
	int fd = open(src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		warn("cpio '%s': open '%s':", name, src);
		return -1;
	}
	if (fstat(fd, st) < 0) {
		warn("cpio '%s': stat '%s':", name, src);
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		warn("cpio '%s': '%s' is not a regular file", name, src);
		goto fail;
	}
	if (expect && (st->st_dev != expect->st_dev || st->st_ino != expect->st_ino)) {
		warn("cpio '%s': '%s' was replaced while the archive was written", name, src);
		goto fail;
	}
	if ((unsigned long long)st->st_size > NEWC_MAX) {
		warn("cpio '%s': '%s' has %lld bytes: files of 4 GiB or more do not fit newc",
		     name, src, (long long)st->st_size);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Stream exactly SIZE bytes of FD into the archive, then make sure the
 * file has nothing more: the header already promised SIZE. */
static int copy_data(struct cpio *c, const char *name, const char *src, int fd,
		     unsigned long long size)
{
	unsigned char *chunk = c->chunk;
	unsigned long long left = size;

	while (left > 0) {
		size_t want = left < COPY_CHUNK ? (size_t)left : COPY_CHUNK;
		ssize_t n = read(fd, chunk, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warn("cpio '%s': read '%s':", name, src);
			c->broken = 1;
			return -1;
		}
		if (n == 0) {
			warn("cpio '%s': '%s' shrank while it was copied", name, src);
			c->broken = 1;
			return -1;
		}
		if (emit(c, chunk, (size_t)n) < 0)
			return -1;
		left -= (unsigned long long)n;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != 0) {
			if (n < 0)
				warn("cpio '%s': read '%s':", name, src);
			else
				warn("cpio '%s': '%s' grew while it was copied", name, src);
			c->broken = 1;
			return -1;
		}
		break;
	}
	return pad_to(c, 4);
}

static int add_file(struct cpio *c, const char *name, mode_t perm, unsigned long ino,
		    unsigned long nlink, const char *src, const struct stat *expect)
{
	struct stat st;

	name = check_name(c, name);
	if (!name || check_perm(name, perm) < 0)
		return -1;
	if (!src)
		return header(c, name, ino ? ino : c->next_ino++, S_IFREG | perm, nlink, 0, 0, 0);
	int fd = open_source(name, src, &st, expect);
	if (fd < 0)
		return -1;
	unsigned long long size = (unsigned long long)st.st_size;
	int rc = header(c, name, ino ? ino : c->next_ino++, S_IFREG | perm, nlink, size, 0, 0);
	if (rc == 0)
		rc = copy_data(c, name, src, fd, size);
	close(fd);
	return rc;
}

int cpio_add_file(struct cpio *c, const char *name, mode_t perm, const char *srcpath)
{
	if (!srcpath) {
		warn("cpio '%s': no source file", name ? name : "");
		return -1;
	}
	return add_file(c, name, perm, 0, 1, srcpath, NULL);
}

int cpio_add_file_link(struct cpio *c, const char *name, mode_t perm, unsigned long ino,
		       unsigned nlink, const char *srcpath)
{
	if (ino == 0 || ino >= c->next_ino || nlink == 0) {
		warn("cpio '%s': hard link with bad inode %lu or link count %u",
		     name ? name : "", ino, nlink);
		return -1;
	}
	return add_file(c, name, perm, ino, nlink, srcpath, NULL);
}

int cpio_finish(struct cpio *c)
{
	int rc = -1;

	/* An owner set for an entry that never came is not the trailer's. */
	c->uid = c->gid = 0;
	if (c->broken)
		warn("cpio: archive is broken by an earlier error");
	else if (header(c, "TRAILER!!!", 0, 0, 1, 0, 0, 0) == 0 && pad_to(c, 512) == 0 &&
		 flush(c) == 0)
		rc = 0;
	cpio_free(c);
	return rc;
}

/* ---- cpio_write_tree ---- */

struct item {
	char *name;
	struct stat st;
	const struct cpio_entry *extra;
	int skip;
	size_t link_head;	/* index of the group's first name */
	unsigned link_n;	/* names in the group; 0 if not a hard link */
	int link_last;
	unsigned long ino;
};

struct items {
	struct item *v;
	size_t n, cap;
};

static struct item *items_push(struct items *it)
{
	if (it->n == it->cap) {
		it->cap = it->cap ? it->cap * 2 : 256;
		it->v = xreallocarray(it->v, it->cap, sizeof(*it->v));
	}
	struct item *p = &it->v[it->n++];
	memset(p, 0, sizeof(*p));
	return p;
}

static void items_free(struct items *it)
{
	for (size_t i = 0; i < it->n; i++)
		free(it->v[i].name);
	free(it->v);
}

static int walk(const char *root, const char *rel, struct items *it)
{
	char *dir = rel ? path_join(root, rel) : xstrdup(root);
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d) {
		warn("cpio: open directory '%s':", dir);
		free(dir);
		return -1;
	}
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno) {
				warn("cpio: read directory '%s':", dir);
				rc = -1;
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *name = rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		if (strlen(name) >= PATH_MAX) {
			warn("cpio '%.60s...': name longer than %d bytes", name, PATH_MAX - 1);
			free(name);
			rc = -1;
			break;
		}
		char *path = path_join(root, name);
		struct stat st;
		if (lstat(path, &st) < 0) {
			warn("cpio: stat '%s':", path);
			rc = -1;
		} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			warn("cpio: '%s' is a device node: pass it as an extra entry instead",
			     path);
			rc = -1;
		}
		free(path);
		if (rc < 0) {
			free(name);
			break;
		}
		struct item *p = items_push(it);
		p->name = name;
		p->st = st;
		if (S_ISDIR(st.st_mode) && walk(root, name, it) < 0) {
			rc = -1;
			break;
		}
	}
	closedir(d);
	free(dir);
	return rc;
}

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	/* Same name: the tree's entry first, then extras in the caller's order. */
	if (!x->extra || !y->extra)
		return (x->extra != NULL) - (y->extra != NULL);
	return (x->extra > y->extra) - (x->extra < y->extra);
}

struct linkref {
	dev_t dev;
	ino_t ino;
	size_t idx;
};

static int linkref_cmp(const void *a, const void *b)
{
	const struct linkref *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Group the tree's regular files that share dev/ino. Only names present
 * in the archive count: a link outside the tree or replaced by an extra
 * must not make the unpacker wait for a name that never comes. */
static void find_hardlinks(struct items *it)
{
	struct linkref *refs = xreallocarray(NULL, it->n ? it->n : 1, sizeof(*refs));
	size_t n = 0;

	for (size_t i = 0; i < it->n; i++) {
		const struct item *p = &it->v[i];
		if (!p->skip && !p->extra && S_ISREG(p->st.st_mode) && p->st.st_nlink > 1)
			refs[n++] = (struct linkref){ p->st.st_dev, p->st.st_ino, i };
	}
	qsort(refs, n, sizeof(*refs), linkref_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && refs[j].dev == refs[i].dev && refs[j].ino == refs[i].ino)
			j++;
		if (j - i >= 2) {
			for (size_t k = i; k < j; k++) {
				struct item *p = &it->v[refs[k].idx];
				p->link_head = refs[i].idx;
				p->link_n = (unsigned)(j - i);
				p->link_last = k == j - 1;
			}
		}
		i = j;
	}
	free(refs);
}

/* Drop the group and other write bits (see cpio.h for why). */
static mode_t tree_perm(mode_t mode)
{
	mode_t perm = mode & 07777;

	if (!(S_ISDIR(mode) && (perm & S_ISVTX)))
		perm &= ~(mode_t)022;
	return perm;
}

static int write_extra(struct cpio *c, const struct item *p)
{
	const struct cpio_entry *e = p->extra;
	mode_t perm = e->mode & 07777;

	cpio_set_owner(c, e->uid, e->gid);
	switch (e->mode & S_IFMT) {
	case S_IFDIR:
		return cpio_add_dir(c, p->name, perm);
	case S_IFREG:
		if (e->src)
			return cpio_add_file(c, p->name, perm, e->src);
		return cpio_add_data(c, p->name, perm, e->data, e->len);
	case S_IFLNK:
		return cpio_add_symlink(c, p->name, e->target);
	default:
		return cpio_add_node(c, p->name, e->mode, e->major, e->minor);
	}
}

static int write_tree_item(struct cpio *c, const char *root, struct items *it, size_t i)
{
	struct item *p = &it->v[i];
	mode_t perm = tree_perm(p->st.st_mode);
	char *path = path_join(root, p->name);
	int rc = -1;

	if (S_ISDIR(p->st.st_mode)) {
		rc = cpio_add_dir(c, p->name, perm);
	} else if (S_ISREG(p->st.st_mode) && p->link_n) {
		struct item *head = &it->v[p->link_head];
		if (head == p)
			p->ino = cpio_reserve_inode(c);
		rc = add_file(c, p->name, perm, head->ino, p->link_n, p->link_last ? path : NULL,
			      &p->st);
	} else if (S_ISREG(p->st.st_mode)) {
		rc = add_file(c, p->name, perm, 0, 1, path, &p->st);
	} else if (S_ISLNK(p->st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof(target));
		if (n < 0)
			warn("cpio: readlink '%s':", path);
		else if ((size_t)n >= sizeof(target))
			warn("cpio: '%s': symlink target longer than PATH_MAX-1 bytes", path);
		else {
			target[n] = '\0';
			rc = cpio_add_symlink(c, p->name, target);
		}
	} else if (S_ISFIFO(p->st.st_mode) || S_ISSOCK(p->st.st_mode)) {
		rc = cpio_add_node(c, p->name, (p->st.st_mode & S_IFMT) | perm, 0, 0);
	} else {
		warn("cpio: '%s': unsupported file type %#o", path,
		     (unsigned)(p->st.st_mode & S_IFMT));
	}
	free(path);
	return rc;
}

static int check_extra(const struct cpio_entry *e)
{
	const char *name = e->path ? e->path : "";

	switch (e->mode & S_IFMT) {
	case S_IFDIR:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return 0;
	case S_IFREG:
		if (!e->src && e->len > 0 && !e->data)
			break;
		return 0;
	case S_IFLNK:
		if (!e->target)
			break;
		return 0;
	default:
		warn("cpio '%s': extra entry of unknown type %#o", name, (unsigned)e->mode);
		return -1;
	}
	warn("cpio '%s': extra entry without content", name);
	return -1;
}

int cpio_write_tree(int fd, const char *rootdir, long long mtime,
		    const struct cpio_entry *extra, size_t nextra)
{
	struct items it = { 0 };
	struct stat st;
	int rc = -1;

	if (stat(rootdir, &st) < 0) {
		warn("cpio: '%s':", rootdir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		warn("cpio: '%s' is not a directory", rootdir);
		return -1;
	}
	if (walk(rootdir, NULL, &it) < 0)
		goto out;
	for (size_t i = 0; i < nextra; i++) {
		const char *name = extra[i].path;
		if (!name) {
			warn("cpio: extra entry without a path");
			goto out;
		}
		if (check_extra(&extra[i]) < 0)
			goto out;
		while (*name == '/')
			name++;
		struct item *p = items_push(&it);
		p->name = xstrdup(name);
		p->extra = &extra[i];
	}
	if (it.n)
		qsort(it.v, it.n, sizeof(*it.v), item_cmp);
	for (size_t i = 0; i + 1 < it.n; i++) {
		if (strcmp(it.v[i].name, it.v[i + 1].name) != 0)
			continue;
		if (it.v[i].extra) {
			warn("cpio '%s': given twice as an extra entry", it.v[i].name);
			goto out;
		}
		it.v[i].skip = 1;
	}
	find_hardlinks(&it);

	struct cpio *c = cpio_new(fd, mtime);
	for (size_t i = 0; i < it.n; i++) {
		const struct item *p = &it.v[i];
		if (p->skip)
			continue;
		if ((p->extra ? write_extra(c, p) : write_tree_item(c, rootdir, &it, i)) < 0) {
			cpio_free(c);
			goto out;
		}
	}
	rc = cpio_finish(c);
out:
	items_free(&it);
	return rc;
}
