/* Tests for the newc writer: archives of a real tree read back by our own
 * strict header parser, by libarchive and by GNU cpio. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "cpio.h"
#include "testutil.h"
#include "util.h"

#define MTIME 1700000000LL

struct fx {
	struct testdir dir;	/* holding everything */
	char *root;	/* the tree to archive */
};

static void mkd(const char *path, mode_t mode)
{
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	testdir_enter(&f->dir, "cpio");
	f->root = testdir_path(&f->dir, "root");
	*state = f;
	return mkdir(f->root, 0755);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testdir_leave(&f->dir);
	free(f->root);
	free(f);
	return 0;
}

/* The tree every read-back test uses. */
static void make_tree(const struct fx *f)
{
	const char *r = f->root;
	char p[PATH_MAX];

#define P(rel) (snprintf(p, sizeof(p), "%s/%s", r, rel), p)
	mkd(P("bin"), 0755);
	write_test_inplace(P("bin/tool"), "#!/bin/sh\necho hi\n", 0755);
	write_test_inplace(P("bin/suid"), "setuid\n", 04755);
	mkd(P("etc"), 0755);
	write_test_inplace(P("etc/motd"), "from the tree\n", 0644);
	write_test_inplace(P("etc/shadow"), "root:x:0\n", 0600);
	write_test_inplace(P("etc/empty"), "", 0644);
	write_test_inplace(P("etc/group-writable"), "gw\n", 0664);
	assert_int_equal(symlink("/etc/motd", P("etc/link")), 0);
	mkd(P("a"), 0755);
	mkd(P("a/b"), 0750);
	mkd(P("a/b/c"), 0775);
	write_test_inplace(P("a/b/c/deep.txt"), "deep\n", 0644);
	assert_int_equal(symlink("bin", P("lib")), 0);
	mkd(P("x"), 0755);
	mkd(P("y"), 0755);
	write_test_inplace(P("x/h1"), "shared\n", 0644);
	char other[PATH_MAX];
	snprintf(other, sizeof(other), "%s/y/h2", r);
	assert_int_equal(link(P("x/h1"), other), 0);
	mkd(P("run"), 0755);
	assert_int_equal(mkfifo(P("run/fifo"), 0600), 0);
	assert_int_equal(chmod(p, 0644), 0);
	mkd(P("tmp"), 01777);
#undef P
}

static const char *const expected_names[] = {
	"a", "a/b", "a/b/c", "a/b/c/deep.txt", "bin", "bin/suid", "bin/tool", "dev",
	"dev/console", "etc", "etc/empty", "etc/fromsrc", "etc/group-writable", "etc/link",
	"etc/motd", "etc/shadow", "lib", "run", "run/fifo", "tmp", "x", "x/h1", "y", "y/h2",
};
#define NEXPECTED (sizeof(expected_names) / sizeof(expected_names[0]))

static int write_standard(const struct fx *f, const char *out)
{
	char *src = testdir_path(&f->dir, "fromsrc");
	write_test_inplace(src, "outside the tree\n", 0640);
	const struct cpio_entry extra[] = {
		{ .path = "/dev/console", .mode = S_IFCHR | 0600, .major = 5, .minor = 1 },
		{ .path = "dev", .mode = S_IFDIR | 0755 },
		{ .path = "etc/motd", .mode = S_IFREG | 0644, .data = "override\n", .len = 9 },
		{ .path = "etc/fromsrc", .mode = S_IFREG | 0640, .src = src },
	};
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	int rc = cpio_write_tree(fd, f->root, MTIME, extra, sizeof(extra) / sizeof(extra[0]));
	assert_int_equal(close(fd), 0);
	free(src);
	return rc;
}

/* One newc entry as our strict parser sees it. */
struct raw {
	char *name;
	unsigned long f[13];	/* ino mode uid gid nlink mtime size dmaj dmin rmaj rmin namesize check */
	const unsigned char *data;
};

enum { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_SIZE, F_DMAJ, F_DMIN, F_RMAJ, F_RMIN,
       F_NAMESIZE, F_CHECK };

static unsigned long hex8(const unsigned char *p)
{
	unsigned long v = 0;

	for (int i = 0; i < 8; i++) {
		int c = p[i], d = 0;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			fail_msg("bad hex digit %#x in header", c);
		v = v * 16 + (unsigned long)d;
	}
	return v;
}

/* Parse a whole archive, checking alignment, the trailer and the zero
 * padding to 512 bytes. Returns the entries (without the trailer). */
static struct raw *parse_raw(const unsigned char *buf, size_t len, size_t *count)
{
	struct raw *v = NULL;
	size_t n = 0, off = 0;

	assert_int_equal(len % 512, 0);
	for (;;) {
		assert_true(off + 110 <= len);
		assert_memory_equal(buf + off, "070701", 6);
		struct raw r = { 0 };
		for (int i = 0; i < 13; i++)
			r.f[i] = hex8(buf + off + 6 + i * 8);
		assert_int_equal(r.f[F_CHECK], 0);
		size_t ns = r.f[F_NAMESIZE];
		assert_true(ns >= 2 && off + 110 + ns <= len);
		assert_int_equal(buf[off + 110 + ns - 1], '\0');
		assert_int_equal(strlen((const char *)buf + off + 110), ns - 1);
		r.name = (char *)buf + off + 110;
		off = (off + 110 + ns + 3) & ~(size_t)3;
		assert_true(off + r.f[F_SIZE] <= len);
		r.data = buf + off;
		off = (off + r.f[F_SIZE] + 3) & ~(size_t)3;
		if (strcmp(r.name, "TRAILER!!!") == 0)
			break;
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = r;
	}
	for (; off < len; off++)
		assert_int_equal(buf[off], 0);
	*count = n;
	return v;
}

static const struct raw *raw_find(const struct raw *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	fail_msg("'%s' not in the archive", name);
	return NULL;
}

static void test_raw_headers(void **state)
{
	struct fx *f = *state;
	make_tree(f);
	char *out = testdir_path(&f->dir, "a.cpio");
	assert_int_equal(write_standard(f, out), 0);

	size_t len, n;
	unsigned char *buf = (unsigned char *)read_file(out, &len);
	assert_non_null(buf);
	struct raw *v = parse_raw(buf, len, &n);
	assert_int_equal(n, NEXPECTED);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(v[i].name, expected_names[i]);
		assert_int_equal(v[i].f[F_UID], 0);
		assert_int_equal(v[i].f[F_GID], 0);
		assert_int_equal(v[i].f[F_MTIME], MTIME);
		assert_int_equal(v[i].f[F_DMAJ], 0);
		assert_int_equal(v[i].f[F_DMIN], 0);
		if (S_ISDIR(v[i].f[F_MODE]))
			assert_int_equal(v[i].f[F_NLINK], 2);
	}
	/* Inodes count up from 1 in order; the hard links share one. */
	unsigned long want = 1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].name, "y/h2") == 0)
			continue;
		assert_int_equal(v[i].f[F_INO], want++);
	}
	const struct raw *h1 = raw_find(v, n, "x/h1"), *h2 = raw_find(v, n, "y/h2");
	assert_int_equal(h1->f[F_INO], h2->f[F_INO]);
	assert_int_equal(h1->f[F_NLINK], 2);
	assert_int_equal(h2->f[F_NLINK], 2);
	assert_int_equal(h1->f[F_SIZE], 0);	/* data goes with the last link */
	assert_int_equal(h2->f[F_SIZE], 7);
	assert_memory_equal(h2->data, "shared\n", 7);

	const struct raw *con = raw_find(v, n, "dev/console");
	assert_int_equal(con->f[F_MODE], S_IFCHR | 0600);
	assert_int_equal(con->f[F_RMAJ], 5);
	assert_int_equal(con->f[F_RMIN], 1);
	assert_int_equal(con->f[F_NLINK], 1);
	const struct raw *lnk = raw_find(v, n, "etc/link");
	assert_int_equal(lnk->f[F_MODE], S_IFLNK | 0777);
	assert_int_equal(lnk->f[F_SIZE], strlen("/etc/motd"));
	assert_memory_equal(lnk->data, "/etc/motd", strlen("/etc/motd"));
	assert_int_equal(raw_find(v, n, "tmp")->f[F_MODE], S_IFDIR | 01777);
	assert_int_equal(raw_find(v, n, "a/b/c")->f[F_MODE], S_IFDIR | 0755);
	assert_int_equal(raw_find(v, n, "run/fifo")->f[F_MODE], S_IFIFO | 0644);
	free(v);
	free(buf);
	free(out);
}

struct rd {
	char *name, *symlink, *hardlink, *data;
	mode_t mode;
	long long size;
	unsigned rmaj, rmin;
	size_t dlen;
};

static struct rd *read_libarchive(const char *path, size_t *count)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct rd *v = NULL;
	size_t n = 0;

	assert_non_null(a);
	assert_int_equal(archive_read_support_format_cpio(a), ARCHIVE_OK);
	assert_int_equal(archive_read_support_filter_all(a), ARCHIVE_OK);
	assert_int_equal(archive_read_open_filename(a, path, 10240), ARCHIVE_OK);
	int r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		assert_int_equal(archive_format(a), ARCHIVE_FORMAT_CPIO_SVR4_NOCRC);
		v = xreallocarray(v, n + 1, sizeof(*v));
		struct rd *d = &v[n++];
		memset(d, 0, sizeof(*d));
		d->name = xstrdup(archive_entry_pathname(e));
		d->mode = archive_entry_mode(e);
		d->size = archive_entry_size(e);
		d->rmaj = archive_entry_rdevmajor(e);
		d->rmin = archive_entry_rdevminor(e);
		if (archive_entry_symlink(e))
			d->symlink = xstrdup(archive_entry_symlink(e));
		if (archive_entry_hardlink(e))
			d->hardlink = xstrdup(archive_entry_hardlink(e));
		assert_int_equal(archive_entry_uid(e), 0);
		assert_int_equal(archive_entry_gid(e), 0);
		assert_int_equal(archive_entry_mtime(e), MTIME);
		struct buf b = { 0 };
		char chunk[4096];
		la_ssize_t k;
		while ((k = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			buf_add(&b, chunk, (size_t)k);
		assert_true(k == 0);
		d->dlen = b.len;
		d->data = b.s ? buf_steal(&b) : xstrdup("");
	}
	assert_int_equal(r, ARCHIVE_EOF);
	archive_read_free(a);
	*count = n;
	return v;
}

static const struct rd *rd_find(const struct rd *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	fail_msg("'%s' not found by libarchive", name);
	return NULL;
}

static void check_file(const struct rd *v, size_t n, const char *name, mode_t mode,
		       const char *content)
{
	const struct rd *d = rd_find(v, n, name);
	assert_int_equal(d->mode, mode);
	assert_int_equal(d->size, (long long)strlen(content));
	assert_int_equal(d->dlen, strlen(content));
	assert_memory_equal(d->data, content, d->dlen);
}

static void test_libarchive_reads_it(void **state)
{
	struct fx *f = *state;
	make_tree(f);
	char *out = testdir_path(&f->dir, "a.cpio");
	assert_int_equal(write_standard(f, out), 0);

	size_t n;
	struct rd *v = read_libarchive(out, &n);
	assert_int_equal(n, NEXPECTED);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i].name, expected_names[i]);
	check_file(v, n, "bin/tool", S_IFREG | 0755, "#!/bin/sh\necho hi\n");
	check_file(v, n, "bin/suid", S_IFREG | 04755, "setuid\n");
	check_file(v, n, "etc/motd", S_IFREG | 0644, "override\n");
	check_file(v, n, "etc/shadow", S_IFREG | 0600, "root:x:0\n");
	check_file(v, n, "etc/empty", S_IFREG | 0644, "");
	check_file(v, n, "etc/group-writable", S_IFREG | 0644, "gw\n");
	check_file(v, n, "etc/fromsrc", S_IFREG | 0640, "outside the tree\n");
	check_file(v, n, "a/b/c/deep.txt", S_IFREG | 0644, "deep\n");
	check_file(v, n, "y/h2", S_IFREG | 0644, "shared\n");
	assert_string_equal(rd_find(v, n, "y/h2")->hardlink, "x/h1");
	assert_string_equal(rd_find(v, n, "lib")->symlink, "bin");
	assert_int_equal(rd_find(v, n, "lib")->mode, S_IFLNK | 0777);
	assert_string_equal(rd_find(v, n, "etc/link")->symlink, "/etc/motd");
	const struct rd *con = rd_find(v, n, "dev/console");
	assert_int_equal(con->mode, S_IFCHR | 0600);
	assert_int_equal(con->rmaj, 5);
	assert_int_equal(con->rmin, 1);
	assert_int_equal(rd_find(v, n, "dev")->mode, S_IFDIR | 0755);
	assert_int_equal(rd_find(v, n, "run/fifo")->mode, S_IFIFO | 0644);
	assert_int_equal(rd_find(v, n, "a/b")->mode, S_IFDIR | 0750);
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].symlink);
		free(v[i].hardlink);
		free(v[i].data);
	}
	free(v);
	free(out);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[3 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int st = system(cmd);
	if (st != 0)
		fail_msg("'%s' failed with status %d", cmd, st);
}

static void assert_content(const char *path, const char *want)
{
	size_t len;
	char *s = read_file(path, &len);
	assert_non_null(s);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(s, want, len);
	free(s);
}

static void test_gnu_cpio_reads_it(void **state)
{
	struct fx *f = *state;
	if (!have_program("cpio"))
		skip();
	make_tree(f);
	char *out = testdir_path(&f->dir, "a.cpio");
	char *list = testdir_path(&f->dir, "list");
	char *x = testdir_path(&f->dir, "x");
	assert_int_equal(write_standard(f, out), 0);

	sh("cpio -it --quiet < '%s' > '%s'", out, list);
	struct buf want = { 0 };
	for (size_t i = 0; i < NEXPECTED; i++)
		buf_printf(&want, "%s\n", expected_names[i]);
	assert_content(list, want.s);
	buf_free(&want);

	/* dev/console is left out: making it needs CAP_MKNOD. */
	assert_int_equal(mkdir(x, 0755), 0);
	sh("cd '%s' && cpio -idm --quiet --no-absolute-filenames -f 'dev/console' < '%s'", x, out);
	char p[PATH_MAX];
	struct stat st, st2;
#define X(rel) (snprintf(p, sizeof(p), "%s/%s", x, rel), p)
	assert_content(X("etc/motd"), "override\n");
	assert_content(X("bin/tool"), "#!/bin/sh\necho hi\n");
	assert_content(X("etc/empty"), "");
	assert_content(X("a/b/c/deep.txt"), "deep\n");
	assert_content(X("etc/fromsrc"), "outside the tree\n");
	assert_int_equal(stat(X("bin/tool"), &st), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0755);
	assert_int_equal(st.st_mtime, MTIME);
	assert_int_equal(stat(X("bin/suid"), &st), 0);
	assert_int_equal(st.st_mode, S_IFREG | 04755);
	assert_int_equal(stat(X("etc/shadow"), &st), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0600);
	assert_int_equal(stat(X("tmp"), &st), 0);
	assert_int_equal(st.st_mode, S_IFDIR | 01777);
	assert_int_equal(lstat(X("run/fifo"), &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	char target[64];
	ssize_t n = readlink(X("lib"), target, sizeof(target) - 1);
	assert_int_equal(n, 3);
	target[n] = '\0';
	assert_string_equal(target, "bin");
	assert_content(X("x/h1"), "shared\n");
	assert_content(X("y/h2"), "shared\n");
	assert_int_equal(stat(X("x/h1"), &st), 0);
	assert_int_equal(stat(X("y/h2"), &st2), 0);
	assert_int_equal(st.st_ino, st2.st_ino);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(lstat(X("dev/console"), &st), -1);
#undef X
	free(out);
	free(list);
	free(x);
}

static void test_deterministic(void **state)
{
	struct fx *f = *state;
	make_tree(f);
	char *a = testdir_path(&f->dir, "a.cpio"), *b = testdir_path(&f->dir, "b.cpio");
	char *c = testdir_path(&f->dir, "c.cpio");
	assert_int_equal(write_standard(f, a), 0);
	/* New timestamps on the tree must not show in the archive. */
	char *motd = path_join(f->root, "etc/motd");
	struct timespec ts[2] = { { 12345, 0 }, { 67890, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, motd, ts, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(utimensat(AT_FDCWD, f->root, ts, 0), 0);
	assert_int_equal(write_standard(f, b), 0);
	size_t la, lb;
	char *da = read_file(a, &la), *db = read_file(b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(da, db, la);

	/* And the mtime given is what decides. */
	int fd = open(c, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(cpio_write_tree(fd, f->root, MTIME + 1, NULL, 0), 0);
	close(fd);
	size_t lc;
	char *dc = read_file(c, &lc);
	assert_true(lc != la || memcmp(da, dc, la) != 0);
	free(da);
	free(db);
	free(dc);
	free(a);
	free(b);
	free(c);
	free(motd);
}

/* A low-level archive in the fixture's directory. */
static struct cpio *open_low(const struct fx *f, const char *name, long long mtime, int *fd,
			     char **path)
{
	*path = testdir_path(&f->dir, "%s", name);
	*fd = open(*path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(*fd >= 0);
	return cpio_new(*fd, mtime);
}

static void test_low_level_limits(void **state)
{
	struct fx *f = *state;
	int fd;
	char *out;
	struct cpio *c = open_low(f, "low.cpio", MTIME, &fd, &out);

	assert_int_equal(cpio_add_dir(c, "/a", 0755), 0);
	assert_int_equal(cpio_add_data(c, "a/x", 0644, "x", 1), 0);
	/* Duplicates, with or without the leading slash. */
	assert_int_equal(cpio_add_data(c, "a/x", 0644, "y", 1), -1);
	assert_int_equal(cpio_add_data(c, "/a/x", 0644, "y", 1), -1);
	assert_int_equal(cpio_add_dir(c, "a", 0755), -1);
	/* Names. */
	char *longname = xmalloc(PATH_MAX + 1);
	memset(longname, 'n', PATH_MAX);
	longname[PATH_MAX] = '\0';
	assert_int_equal(cpio_add_data(c, longname, 0644, "", 0), -1);
	longname[PATH_MAX - 1] = '\0';
	assert_int_equal(cpio_add_data(c, longname, 0644, "", 0), 0);
	free(longname);
	const char *bad[] = { "", "/", "a/../b", "a//b", "./a", "a/.", "a/", "TRAILER!!!" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cpio_add_dir(c, bad[i], 0755), -1);
	/* Parents must come first and be directories. */
	assert_int_equal(cpio_add_data(c, "nodir/file", 0644, "", 0), -1);
	assert_int_equal(cpio_add_data(c, "a/x/under-a-file", 0644, "", 0), -1);
	/* Modes and device numbers. */
	assert_int_equal(cpio_add_dir(c, "b", 010755), -1);
	assert_int_equal(cpio_add_node(c, "reg", S_IFREG | 0644, 0, 0), -1);
	assert_int_equal(cpio_add_node(c, "big", S_IFCHR | 0600, 4096, 0), -1);
	assert_int_equal(cpio_add_node(c, "fifo", S_IFIFO | 0600, 1, 0), -1);
	assert_int_equal(cpio_add_node(c, "null", S_IFCHR | 0666, 1, 3), 0);
	assert_int_equal(cpio_add_symlink(c, "empty-link", ""), -1);
	assert_int_equal(cpio_add_file(c, "missing", 0644, "/nonexistent/file"), -1);
	assert_int_equal(cpio_add_file(c, "notreg", 0644, f->dir.path), -1);
	assert_int_equal(cpio_add_file_link(c, "badlink", 0644, 999, 2, NULL), -1);

	/* 4 GiB does not fit the 32-bit size field; a sparse file shows it. */
	char *big = testdir_path(&f->dir, "big");
	int bfd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(bfd >= 0);
	assert_int_equal(ftruncate(bfd, 4LL << 30), 0);
	close(bfd);
	assert_int_equal(cpio_add_file(c, "big", 0644, big), -1);
	free(big);

	/* None of that broke the archive: it still ends well and reads back. */
	assert_int_equal(cpio_finish(c), 0);
	close(fd);
	size_t len, n;
	unsigned char *buf = (unsigned char *)read_file(out, &len);
	struct raw *v = parse_raw(buf, len, &n);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].name, "a");
	assert_string_equal(v[1].name, "a/x");
	assert_int_equal(strlen(v[2].name), PATH_MAX - 1);
	assert_string_equal(v[3].name, "null");
	assert_int_equal(v[3].f[F_RMAJ], 1);
	assert_int_equal(v[3].f[F_RMIN], 3);
	free(v);
	free(buf);
	free(out);
}

/* Found by tests/fuzz (fuzz_cpio): an owner set for an entry that never
 * came went to the trailer, and one wider than 32 bits made cpio_finish
 * fail, leaving an archive without its end. */
static void test_owner_not_for_trailer(void **state)
{
	struct fx *f = *state;

	for (int wide = 0; wide < 2; wide++) {
		int fd;
		char *out;
		struct cpio *c = open_low(f, "owner.cpio", MTIME, &fd, &out);
		assert_int_equal(cpio_add_dir(c, "d", 0755), 0);
		cpio_set_owner(c, wide ? 1UL << 32 : 1000, 100);
		assert_int_equal(cpio_finish(c), 0);
		close(fd);
		size_t len, n;
		unsigned char *buf = (unsigned char *)read_file(out, &len);
		free(parse_raw(buf, len, &n));
		assert_int_equal(n, 1);
		const unsigned char *t = memmem(buf, len, "TRAILER!!!", 11);
		assert_non_null(t);
		assert_int_equal(hex8(t - 110 + 6 + F_UID * 8), 0);
		assert_int_equal(hex8(t - 110 + 6 + F_GID * 8), 0);
		free(buf);
		free(out);
	}
}

static unsigned long mtime_written(const struct fx *f, long long mtime)
{
	int fd;
	char *out;
	struct cpio *c = open_low(f, "mt.cpio", mtime, &fd, &out);
	assert_int_equal(cpio_add_dir(c, "d", 0755), 0);
	assert_int_equal(cpio_finish(c), 0);
	close(fd);
	size_t len, n;
	unsigned char *buf = (unsigned char *)read_file(out, &len);
	struct raw *v = parse_raw(buf, len, &n);
	assert_int_equal(n, 1);
	unsigned long m = v[0].f[F_MTIME];
	free(v);
	free(buf);
	free(out);
	return m;
}

static void test_mtime_clamp(void **state)
{
	struct fx *f = *state;

	assert_int_equal(mtime_written(f, -5), 0);
	assert_int_equal(mtime_written(f, 1LL << 40), 0xffffffffUL);
	assert_int_equal(mtime_written(f, 0xffffffffLL), 0xffffffffUL);
	assert_int_equal(mtime_written(f, 0), 0);
	assert_int_equal(mtime_written(f, MTIME), MTIME);
}

static void test_file_changed_size(void **state)
{
	struct fx *f = *state;
	int fd;
	char *out;

	/* /proc files claim size 0 but have content: "grew while copied". */
	if (access("/proc/self/status", R_OK) != 0)
		skip();
	struct cpio *c = open_low(f, "grow.cpio", MTIME, &fd, &out);
	assert_int_equal(cpio_add_file(c, "status", 0644, "/proc/self/status"), -1);
	/* The header is out, so the archive is broken from here on. */
	assert_int_equal(cpio_add_dir(c, "d", 0755), -1);
	assert_int_equal(cpio_finish(c), -1);
	close(fd);
	free(out);
}

static int write_tree_to(const struct fx *f, const struct cpio_entry *extra, size_t n)
{
	char *out = testdir_path(&f->dir, "t.cpio");
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	int rc = cpio_write_tree(fd, f->root, MTIME, extra, n);
	close(fd);
	free(out);
	return rc;
}

/* Found by tests/fuzz (fuzz_devlist): an empty tree without extra entries
 * passed a null array to qsort (undefined behaviour). It is an archive
 * with nothing but the trailer. */
static void test_empty_tree(void **state)
{
	struct fx *f = *state;
	char *empty = testdir_path(&f->dir, "empty-root");
	mkd(empty, 0755);
	char *out = testdir_path(&f->dir, "empty.cpio");
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(cpio_write_tree(fd, empty, MTIME, NULL, 0), 0);
	close(fd);
	size_t len, n;
	unsigned char *buf = (unsigned char *)read_file(out, &len);
	free(parse_raw(buf, len, &n));
	assert_int_equal(n, 0);
	assert_int_equal(len, 512);
	free(buf);
	free(out);
	free(empty);
}

static void test_tree_errors(void **state)
{
	struct fx *f = *state;
	char *p = path_join(f->root, "d");
	char *q = path_join(f->root, "d/file");
	mkd(p, 0755);
	write_test_inplace(q, "x", 0644);

	const struct cpio_entry twice[] = {
		{ .path = "e", .mode = S_IFDIR | 0755 },
		{ .path = "/e", .mode = S_IFDIR | 0700 },
	};
	assert_int_equal(write_tree_to(f, twice, 2), -1);
	/* A directory with entries replaced by a file: its children would dangle. */
	const struct cpio_entry replace[] = {
		{ .path = "d", .mode = S_IFREG | 0644, .data = "", .len = 0 },
	};
	assert_int_equal(write_tree_to(f, replace, 1), -1);
	const struct cpio_entry noparent[] = {
		{ .path = "dev/console", .mode = S_IFCHR | 0600, .major = 5, .minor = 1 },
	};
	assert_int_equal(write_tree_to(f, noparent, 1), -1);
	const struct cpio_entry badtype[] = { { .path = "z", .mode = 0644 } };
	assert_int_equal(write_tree_to(f, badtype, 1), -1);
	const struct cpio_entry nolink[] = { { .path = "z", .mode = S_IFLNK | 0777 } };
	assert_int_equal(write_tree_to(f, nolink, 1), -1);
	assert_int_equal(write_tree_to(f, NULL, 0), 0);

	/* A file too big for newc inside the tree. */
	char *big = path_join(f->root, "big");
	int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(ftruncate(fd, 5LL << 30), 0);
	close(fd);
	assert_int_equal(write_tree_to(f, NULL, 0), -1);
	unlink(big);
	free(big);

	/* Device nodes: only root can make one to find. */
	char *node = path_join(f->root, "null");
	if (mknod(node, S_IFCHR | 0666, makedev(1, 3)) == 0)
		assert_int_equal(write_tree_to(f, NULL, 0), -1);
	unlink(node);
	free(node);

	int bad = open("/dev/null", O_RDONLY);	/* read-only: writes fail */
	assert_int_equal(cpio_write_tree(bad, f->root, MTIME, NULL, 0), -1);
	close(bad);
	free(p);
	free(q);
}

static void test_hardlink_leaving_tree(void **state)
{
	struct fx *f = *state;
	char *in = path_join(f->root, "single");
	char *outside = testdir_path(&f->dir, "outside-link");
	write_test_inplace(in, "one name inside\n", 0644);
	assert_int_equal(link(in, outside), 0);
	/* A pair whose second name is replaced by an extra stops being a pair. */
	char *h1 = path_join(f->root, "h1"), *h2 = path_join(f->root, "h2");
	write_test_inplace(h1, "pair\n", 0644);
	assert_int_equal(link(h1, h2), 0);
	const struct cpio_entry extra[] = {
		{ .path = "h2", .mode = S_IFLNK | 0777, .target = "h1" },
	};
	char *out = testdir_path(&f->dir, "t.cpio");
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(cpio_write_tree(fd, f->root, MTIME, extra, 1), 0);
	close(fd);

	size_t len, n;
	unsigned char *buf = (unsigned char *)read_file(out, &len);
	struct raw *v = parse_raw(buf, len, &n);
	assert_int_equal(n, 3);
	const struct raw *s = raw_find(v, n, "single");
	assert_int_equal(s->f[F_NLINK], 1);
	assert_int_equal(s->f[F_SIZE], 16);
	s = raw_find(v, n, "h1");
	assert_int_equal(s->f[F_NLINK], 1);
	assert_int_equal(s->f[F_SIZE], 5);
	assert_int_equal(raw_find(v, n, "h2")->f[F_MODE], S_IFLNK | 0777);
	free(v);
	free(buf);
	free(out);
	free(in);
	free(outside);
	free(h1);
	free(h2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_raw_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_libarchive_reads_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gnu_cpio_reads_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_low_level_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_not_for_trailer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mtime_clamp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_changed_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hardlink_leaving_tree, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
