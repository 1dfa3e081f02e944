/* Fuzz target: the cpio newc writer (cpio.c), checked against a model of
 * what cpio.h promises and read back with libarchive.
 *
 * The input is a program of calls: add a directory, a file from memory or
 * from a file, a symlink, a device node, fifo or socket, a group of hard
 * links, set the next entry's owner; with names built from the input
 * (often below a directory added before, sometimes raw bytes with '/',
 * '.', "..", leading slashes, or right at PATH_MAX). The model knows
 * which calls cpio.h says must be refused; every call must succeed or fail
 * as the model says. The finished archive must be a multiple of 512 bytes,
 * come out identical when the same calls are made again, and libarchive
 * must read back exactly the accepted entries in order: name, type and
 * permissions, owner, mtime, inode and link count, device numbers, size
 * and data, symlink target; the later names of a hard-linked file as hard
 * links to the first. Inode numbers are checked to be unique and rising
 * (hard links aside), not to have no gaps: a refused call may use one. */
#include <archive.h>
#include <archive_entry.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "cpio.h"
#include "fuzz.h"

#define MAX_OPS 48
#define NEWC_MAX 0xffffffffULL

static char *dir;     /* scratch directory for files added by path */
static char *srcfile; /* DIR/src */

static void setup(void)
{
	dir = fuzz_tmpdir("cpio");
	srcfile = path_join(dir, "src");
}

/* ---- reading the input ---- */

struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned get8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static unsigned long get_n(struct in *in, int bytes)
{
	unsigned long v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | get8(in);
	return v;
}

/* Up to WANT bytes of the input; *LEN gets how many. */
static const uint8_t *get_bytes(struct in *in, size_t want, size_t *len)
{
	const uint8_t *p = in->p;
	*len = want < in->n ? want : in->n;
	in->p += *len;
	in->n -= *len;
	return p;
}

/* ---- the model ---- */

struct want {
	char *name;        /* as stored: no leading '/' */
	mode_t mode;
	unsigned long uid, gid, ino, nlink;
	unsigned rmaj, rmin;
	char *data;        /* content, or symlink target */
	size_t len;
	char *link_to;     /* first name of its hard link group, if not this */
};

struct model {
	struct want *v;
	size_t n;
	unsigned long uid, gid; /* owner of the next entry */
	unsigned long long mtime;
};

static void model_free(struct model *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].data);
		free(m->v[i].link_to);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static struct want *model_find(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].name, name))
			return &m->v[i];
	return NULL;
}

/* What cpio.h says about names: NULL if NAME must be refused, else the
 * name as stored. */
static const char *model_name(const struct model *m, const char *name)
{
	while (*name == '/')
		name++;
	size_t len = strlen(name);
	if (len == 0 || len >= PATH_MAX || !strcmp(name, "TRAILER!!!"))
		return NULL;
	const char *c = name;
	for (;;) {
		size_t k = strcspn(c, "/");
		if (k == 0 || (k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
			return NULL;
		if (!c[k])
			break;
		c += k + 1;
	}
	if (model_find(m, name))
		return NULL;
	const char *slash = strrchr(name, '/');
	if (slash) {
		char *parent = xstrndup(name, (size_t)(slash - name));
		const struct want *p = model_find(m, parent);
		free(parent);
		if (!p || !S_ISDIR(p->mode))
			return NULL;
	}
	return name;
}

/* An entry passed the checks: it takes the pending owner, which must fit
 * the header. Returns the new entry, or NULL when the owner does not fit. */
static struct want *model_add(struct model *m, const char *name, mode_t mode, unsigned long nlink)
{
	unsigned long uid = m->uid, gid = m->gid;
	m->uid = m->gid = 0;
	if (uid > NEWC_MAX || gid > NEWC_MAX)
		return NULL;
	m->v = xreallocarray(m->v, m->n + 1, sizeof(*m->v));
	struct want *w = &m->v[m->n++];
	memset(w, 0, sizeof(*w));
	w->name = xstrdup(name);
	w->mode = mode;
	w->uid = uid;
	w->gid = gid;
	w->nlink = nlink;
	return w;
}

static char *memdup(const void *data, size_t len)
{
	char *s = xmalloc(len + 1);
	if (len)
		memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

static void expect(int ok, int rc, const char *call, const char *name)
{
	if (ok && rc != 0)
		fuzz_fail("%s '%s' was refused, but cpio.h allows it", call, name);
	if (!ok && rc == 0)
		fuzz_fail("%s '%s' was accepted, but cpio.h refuses it", call, name);
}

/* ---- the program ---- */

/* A name: mostly a new component below a directory already added, else
 * the raw bytes, or a name at the PATH_MAX limit. New memory. */
static char *make_name(struct in *in, const struct model *m)
{
	unsigned sel = get8(in);
	size_t len;
	const uint8_t *b = get_bytes(in, get8(in) % 24, &len);
	char *comp = xstrndup((const char *)b, len); /* stops at a NUL */
	if (sel == 0xff) {
		/* PATH_MAX - 2 .. PATH_MAX + 1 bytes after the leading '/'. */
		size_t n = PATH_MAX - 2 + get8(in) % 4;
		char *s = xmalloc(n + 2);
		s[0] = '/';
		memset(s + 1, 'x', n);
		s[n + 1] = '\0';
		free(comp);
		return s;
	}
	size_t ndirs = 0;
	for (size_t i = 0; i < m->n; i++)
		ndirs += S_ISDIR(m->v[i].mode);
	if ((sel & 0x80) || ndirs == 0) {
		if (sel & 0x40) {
			char *s = xasprintf("/%s", comp);
			free(comp);
			return s;
		}
		return comp;
	}
	size_t k = sel % ndirs;
	for (size_t i = 0; i < m->n; i++) {
		if (!S_ISDIR(m->v[i].mode))
			continue;
		if (k-- == 0) {
			char *s = xasprintf("%s/%s", m->v[i].name, comp);
			free(comp);
			return s;
		}
	}
	abort();
}

/* Permission bits, now and then with bits outside 07777. */
static mode_t make_perm(struct in *in)
{
	unsigned v = (unsigned)get_n(in, 2);
	return (mode_t)(v & 0x8000 ? v : v & 07777);
}

/* Run the program in IN on a new archive written to FD, building the
 * model M and checking every call against it. Returns what cpio_finish
 * returned. */
static int run(struct in in, int fd, struct model *m)
{
	long long mtime = (long long)get_n(&in, 5) - (1LL << 38);
	struct cpio *c = cpio_new(fd, mtime);
	m->mtime = mtime < 0 ? 0 : (unsigned long long)mtime > NEWC_MAX ? NEWC_MAX
										: (unsigned long long)mtime;
	for (int op = 0; op < MAX_OPS && in.n > 0; op++) {
		unsigned kind = get8(&in) % 7;
		if (kind == 5) {
			unsigned long uid = get_n(&in, 4), gid = get_n(&in, 4);
			unsigned wide = get8(&in);
			if (wide & 1)
				uid |= 1UL << 32;
			if (wide & 2)
				gid |= 1UL << 32;
			cpio_set_owner(c, uid, gid);
			m->uid = uid;
			m->gid = gid;
			continue;
		}
		if (kind == 6) {
			/* A hard-linked file: K names, the content with the last. */
			unsigned k = 2 + get8(&in) % 3;
			unsigned bad = get8(&in);
			mode_t perm = make_perm(&in);
			size_t len;
			const uint8_t *data = get_bytes(&in, get_n(&in, 2) % 512, &len);
			unsigned long ino = cpio_reserve_inode(c);
			unsigned long use_ino = bad == 1 ? 0 : bad == 2 ? ino + 1 : ino;
			unsigned nlink = bad == 3 ? 0 : k;
			if (write_file_atomic(srcfile, data, len, 0644) < 0)
				fuzz_fail("cannot write '%s'", srcfile);
			const char *first = NULL;
			for (unsigned i = 0; i < k; i++) {
				char *name = make_name(&in, m);
				int last = i == k - 1;
				int rc = cpio_add_file_link(c, name, perm, use_ino, nlink, last ? srcfile : NULL);
				const char *stored = model_name(m, name);
				int ok = stored && perm <= 07777 && bad != 1 && bad != 2 && bad != 3;
				struct want *w = ok ? model_add(m, stored, S_IFREG | perm, nlink) : NULL;
				expect(w != NULL, rc, "hard link", name);
				if (w) {
					w->ino = ino;
					if (last) {
						w->data = memdup(data, len);
						w->len = len;
					}
					if (first)
						w->link_to = xstrdup(first);
					else
						first = w->name;
				}
				free(name);
			}
			continue;
		}
		char *name = make_name(&in, m);
		const char *stored = model_name(m, name);
		int rc;
		struct want *w = NULL;
		if (kind == 0) {
			mode_t perm = make_perm(&in);
			rc = cpio_add_dir(c, name, perm);
			if (stored && perm <= 07777)
				w = model_add(m, stored, S_IFDIR | perm, 2);
			expect(w != NULL, rc, "directory", name);
		} else if (kind == 1 || kind == 2) {
			mode_t perm = make_perm(&in);
			size_t len;
			const uint8_t *data = get_bytes(&in, get_n(&in, 2) % 2048, &len);
			if (kind == 1) {
				rc = cpio_add_data(c, name, perm, data, len);
			} else {
				if (write_file_atomic(srcfile, data, len, 0644) < 0)
					fuzz_fail("cannot write '%s'", srcfile);
				rc = cpio_add_file(c, name, perm, srcfile);
			}
			if (stored && perm <= 07777)
				w = model_add(m, stored, S_IFREG | perm, 1);
			expect(w != NULL, rc, "file", name);
			if (w) {
				w->data = memdup(data, len);
				w->len = len;
			}
		} else if (kind == 3) {
			unsigned sel = get8(&in);
			char *target;
			if (sel == 0xff) {
				size_t n = PATH_MAX - 2 + get8(&in) % 3;
				target = xmalloc(n + 1);
				memset(target, 't', n);
				target[n] = '\0';
			} else {
				size_t len;
				const uint8_t *t = get_bytes(&in, sel % 64, &len);
				target = xstrndup((const char *)t, len);
			}
			rc = cpio_add_symlink(c, name, target);
			size_t tlen = strlen(target);
			if (stored && tlen > 0 && tlen < PATH_MAX)
				w = model_add(m, stored, S_IFLNK | 0777, 1);
			expect(w != NULL, rc, "symlink", name);
			if (w) {
				w->data = target;
				w->len = tlen;
			} else {
				free(target);
			}
		} else {
			static const mode_t types[] = { S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_IFREG, S_IFDIR };
			mode_t type = types[get8(&in) % 6];
			mode_t perm = make_perm(&in);
			unsigned major = (unsigned)get_n(&in, 2) % 0x1100;
			unsigned minor = (unsigned)get_n(&in, 3) % 0x100100;
			if (type == S_IFIFO || type == S_IFSOCK) {
				/* Mostly without a device number, as they should be. */
				if (!(major & 1))
					major = minor = 0;
			}
			/* Permission bits above 07777 may change the type. */
			mode_t mode = type | perm, t = mode & S_IFMT;
			rc = cpio_add_node(c, name, mode, major, minor);
			int dev = t == S_IFCHR || t == S_IFBLK;
			int ok = stored && (mode & ~(mode_t)S_IFMT) <= 07777 &&
				 (dev || t == S_IFIFO || t == S_IFSOCK) && major <= 0xfff &&
				 minor <= 0xfffff && (dev || (!major && !minor));
			if (ok)
				w = model_add(m, stored, mode, 1);
			expect(w != NULL, rc, "node", name);
			if (w) {
				w->rmaj = major;
				w->rmin = minor;
			}
		}
		free(name);
	}
	return cpio_finish(c);
}

/* ---- reading back ---- */

static char *read_all(int fd, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	char *s = xmalloc(end > 0 ? (size_t)end : 1);
	if (end < 0 || pread(fd, s, (size_t)end, 0) != end)
		fuzz_fail("cannot read the archive back");
	*len = (size_t)end;
	return s;
}

static void read_back(const char *arc, size_t len, const struct model *m)
{
	struct archive *a = archive_read_new();
	if (!a || archive_read_support_format_cpio(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, arc, len) != ARCHIVE_OK)
		fuzz_fail("libarchive cannot open the archive: %s", archive_error_string(a));
	unsigned long last_ino = 0;
	char *buf = xmalloc(4096);
	for (size_t i = 0; i <= m->n; i++) {
		struct archive_entry *e;
		int r = archive_read_next_header(a, &e);
		if (i == m->n) {
			if (r != ARCHIVE_EOF)
				fuzz_fail("libarchive finds more than the %zu entries written (%d: %s)",
					  m->n, r, archive_error_string(a));
			break;
		}
		const struct want *w = &m->v[i];
		if (r != ARCHIVE_OK)
			fuzz_fail("libarchive cannot read entry %zu '%s': %s", i, w->name,
				  archive_error_string(a));
		if (archive_format(a) != ARCHIVE_FORMAT_CPIO_SVR4_NOCRC)
			fuzz_fail("not a newc archive: %s", archive_format_name(a));
		const char *name = archive_entry_pathname(e);
		if (!name || strcmp(name, w->name))
			fuzz_fail("entry %zu is '%s', expected '%s'", i, name ? name : "(none)", w->name);
		if (archive_entry_mode(e) != w->mode)
			fuzz_fail("'%s': mode %o, expected %o", w->name, (unsigned)archive_entry_mode(e),
				  (unsigned)w->mode);
		if ((unsigned long)archive_entry_uid(e) != w->uid ||
		    (unsigned long)archive_entry_gid(e) != w->gid)
			fuzz_fail("'%s': owner %lld:%lld, expected %lu:%lu", w->name,
				  (long long)archive_entry_uid(e), (long long)archive_entry_gid(e),
				  w->uid, w->gid);
		if ((unsigned long long)archive_entry_mtime(e) != m->mtime)
			fuzz_fail("'%s': mtime %lld, expected %llu", w->name,
				  (long long)archive_entry_mtime(e), m->mtime);
		if (archive_entry_nlink(e) != w->nlink)
			fuzz_fail("'%s': %u links, expected %lu", w->name, archive_entry_nlink(e), w->nlink);
		unsigned long ino = (unsigned long)archive_entry_ino64(e);
		if (w->ino ? ino != w->ino : ino <= last_ino)
			fuzz_fail("'%s': inode %lu after %lu", w->name, ino, last_ino);
		if (!w->ino)
			last_ino = ino;
		else if (ino > last_ino)
			last_ino = ino;
		if (S_ISCHR(w->mode) || S_ISBLK(w->mode) || S_ISFIFO(w->mode) || S_ISSOCK(w->mode)) {
			if (archive_entry_rdevmajor(e) != w->rmaj || archive_entry_rdevminor(e) != w->rmin)
				fuzz_fail("'%s': device %u:%u, expected %u:%u", w->name,
					  (unsigned)archive_entry_rdevmajor(e),
					  (unsigned)archive_entry_rdevminor(e), w->rmaj, w->rmin);
		}
		const char *hl = archive_entry_hardlink(e);
		if ((hl == NULL) != (w->link_to == NULL) || (hl && strcmp(hl, w->link_to)))
			fuzz_fail("'%s': hard link to '%s', expected '%s'", w->name, hl ? hl : "(none)",
				  w->link_to ? w->link_to : "(none)");
		if (S_ISLNK(w->mode)) {
			const char *t = archive_entry_symlink(e);
			if (!t || strcmp(t, w->data))
				fuzz_fail("'%s': symlink to '%s', expected '%s'", w->name, t ? t : "(none)",
					  w->data);
			continue;
		}
		size_t want_len = S_ISREG(w->mode) ? w->len : 0;
		if (archive_entry_size(e) != (la_int64_t)want_len)
			fuzz_fail("'%s': size %lld, expected %zu", w->name, (long long)archive_entry_size(e),
				  want_len);
		buf = xreallocarray(buf, want_len + 1, 1);
		la_ssize_t got = archive_read_data(a, buf, want_len + 1);
		if (got != (la_ssize_t)want_len || (want_len && memcmp(buf, w->data, want_len)))
			fuzz_fail("'%s': the data read back differs (%lld bytes, expected %zu)", w->name,
				  (long long)got, want_len);
	}
	free(buf);
	archive_read_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir)
		setup();
	struct in in = { data, size };
	struct model m = {0}, m2 = {0};
	int fd = memfd_create("cpio", MFD_CLOEXEC);
	int fd2 = memfd_create("cpio-again", MFD_CLOEXEC);
	if (fd < 0 || fd2 < 0)
		fuzz_fail("memfd_create failed");
	fuzz_quiet();
	if (run(in, fd, &m) != 0)
		fuzz_fail("cpio_finish failed");
	if (run(in, fd2, &m2) != 0)
		fuzz_fail("cpio_finish failed the second time");
	fuzz_loud();
	size_t len, len2;
	char *arc = read_all(fd, &len), *arc2 = read_all(fd2, &len2);
	if (len % 512)
		fuzz_fail("archive of %zu bytes, not a multiple of 512", len);
	if (len != len2 || memcmp(arc, arc2, len))
		fuzz_fail("the same calls gave two different archives");
	read_back(arc, len, &m);
	free(arc);
	free(arc2);
	close(fd);
	close(fd2);
	model_free(&m);
	model_free(&m2);
	return 0;
}
