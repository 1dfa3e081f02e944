#include "extract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "util.h"

/* Large reads keep the decompressor fed with few system calls. */
#define READ_BLOCK (1 << 20)
/* The first bytes of an xz stream. */
static const char xz_magic[6] = { (char)0xFD, '7', 'z', 'X', 'Z', 0 };

char *escape_name(const char *s)
{
	struct buf b = {0};

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '\n': buf_addstr(&b, "\\n"); break;
		case '\t': buf_addstr(&b, "\\t"); break;
		case '\r': buf_addstr(&b, "\\r"); break;
		case '\\': buf_addstr(&b, "\\\\"); break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				buf_printf(&b, "\\x%02x", *p);
			else
				buf_addch(&b, (char)*p);
		}
	}
	return buf_steal(&b);
}

/* Map NAME from the archive to a path relative to the destination: skip
 * "./" prefixes, strip TOPDIR/, refuse anything that could land outside
 * or print badly. Returns a pointer into NAME ("" for TOPDIR itself), or
 * NULL with *WHY set. Our own check comes before libarchive's secure
 * flags so that the message says what was wrong. */
static const char *map_name(const char *name, const char *topdir, size_t tlen, const char **why)
{
	if (name[0] == '/') {
		*why = "absolute path";
		return NULL;
	}
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			*why = "control character in the name";
			return NULL;
		}
	}
	for (const char *c = name; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			*why = "'..' in the name";
			return NULL;
		}
		c += n;
		while (*c == '/')
			c++;
	}
	while (name[0] == '.' && name[1] == '/') {
		name += 2;
		while (*name == '/')
			name++;
	}
	if (tlen) {
		if (strncmp(name, topdir, tlen) || (name[tlen] != '/' && name[tlen] != '\0')) {
			*why = "outside the top directory";
			return NULL;
		}
		name += tlen;
		while (*name == '/')
			name++;
	}
	return name;
}

static const char *type_name(mode_t type)
{
	switch (type) {
	case AE_IFCHR: return "character device";
	case AE_IFBLK: return "block device";
	case AE_IFIFO: return "FIFO";
	case AE_IFSOCK: return "socket";
	default: return "special file";
	}
}

struct job {
	const char *archive; /* escaped, for messages */
	const char *topdir;
	size_t tlen;
	struct archive *in, *out;
	struct buf raw, name, link; /* reused for every entry: no per-entry malloc */
	long long entries;
};

static int refuse(struct job *j, const char *name, const char *why)
{
	char *e = escape_name(name);
	warn("extract '%s': refusing entry '%s': %s", j->archive, e, why);
	free(e);
	return -1;
}

static int lib_error(struct job *j, struct archive *a, const char *name)
{
	const char *msg = archive_error_string(a);
	int err = archive_errno(a);
	char *m = escape_name(msg ? msg : "unknown error");

	/* libarchive leaves the system error out of some messages. */
	if (err > 0 && !strstr(m, strerror(err))) {
		char *full = xasprintf("%s: %s", m, strerror(err));
		free(m);
		m = full;
	}
	if (name) {
		char *e = escape_name(name);
		warn("extract '%s': '%s': %s", j->archive, e, m);
		free(e);
	} else {
		warn("extract '%s': %s", j->archive, m);
	}
	free(m);
	return -1;
}

static void set_buf(struct buf *b, const char *s)
{
	b->len = 0;
	buf_addstr(b, s);
}

static int copy_data(struct job *j, const char *name)
{
	const void *block;
	size_t size;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(j->in, &block, &size, &off)) == ARCHIVE_OK) {
		if (archive_write_data_block(j->out, block, size, off) < ARCHIVE_OK)
			return lib_error(j, j->out, name);
	}
	if (r != ARCHIVE_EOF)
		return lib_error(j, j->in, name);
	return 0;
}

static int extract_entry(struct job *j, struct archive_entry *e)
{
	const char *why = NULL;
	const char *raw = archive_entry_pathname(e);

	/* Names the locale cannot convert are still bytes we can use. */
	if (!raw)
		raw = archive_entry_pathname_utf8(e);
	if (!raw)
		return refuse(j, "?", "unreadable name");
	/* Copied out: RAW points into the entry's own storage, which the
	 * rename below overwrites, and messages should show the archive's
	 * own name. */
	set_buf(&j->raw, raw);
	raw = j->raw.s;
	const char *rel = map_name(raw, j->topdir, j->tlen, &why);
	if (!rel)
		return refuse(j, raw, why);
	mode_t type = archive_entry_filetype(e);
	const char *hard = archive_entry_hardlink(e);
	if (!rel[0]) {
		/* TOPDIR itself is the temporary directory we made. */
		if (type != AE_IFDIR || hard)
			return refuse(j, raw, "the top directory is not a directory");
		return 0;
	}
	if (hard) {
		const char *target = map_name(hard, j->topdir, j->tlen, &why);
		if (!target || !target[0]) {
			char *t = escape_name(hard);
			char *msg = xasprintf("hardlink to '%s': %s", t, target ? "the top directory" : why);
			refuse(j, raw, msg);
			free(msg);
			free(t);
			return -1;
		}
		set_buf(&j->link, target);
		archive_entry_copy_hardlink(e, j->link.s);
	} else if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
		return refuse(j, raw, type_name(type));
	}
	set_buf(&j->name, rel);
	archive_entry_copy_pathname(e, j->name.s);
	archive_entry_set_perm(e, archive_entry_perm(e) & ~(mode_t)(S_ISUID | S_ISGID));

	int r = archive_write_header(j->out, e);
	if (r < ARCHIVE_WARN)
		return lib_error(j, j->out, raw);
	if (copy_data(j, raw) < 0)
		return -1;
	if (archive_write_finish_entry(j->out) < ARCHIVE_WARN)
		return lib_error(j, j->out, raw);
	j->entries++;
	return 0;
}

/* Runs with the temporary directory as the working directory, so every
 * name libarchive sees is relative and its symlink checks cover only
 * what the archive itself created. */
static int extract_here(struct job *j)
{
	struct archive_entry *e;
	int r;

	while ((r = archive_read_next_header(j->in, &e)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN)
			return lib_error(j, j->in, NULL);
		if (extract_entry(j, e) < 0)
			return -1;
	}
	if (archive_write_close(j->out) != ARCHIVE_OK)
		return lib_error(j, j->out, NULL);
	/* An external decompressor reports a damaged or cut-off stream only
	 * through its exit status, which closing the reader collects: the
	 * tar end marker may well have come before the damage. */
	if (archive_read_close(j->in) != ARCHIVE_OK)
		return lib_error(j, j->in, NULL);
	if (j->entries == 0) {
		char *t = escape_name(j->topdir ? j->topdir : "");
		warn("extract '%s': no files%s%s%s", j->archive, j->tlen ? " under '" : "",
		     j->tlen ? t : "", j->tlen ? "/'" : "");
		free(t);
		return -1;
	}
	return 0;
}

static int move_into_place(const char *tmp, const char *dest)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE) == 0)
		return 0;
	/* Some file systems lack RENAME_NOREPLACE; rename() alone would
	 * still not replace a non-empty directory. */
	if (errno == EINVAL || errno == ENOSYS) {
		if (!path_exists(dest) && rename(tmp, dest) == 0)
			return 0;
		if (path_exists(dest))
			errno = EEXIST;
	}
	warn("rename '%s' to '%s':", tmp, dest);
	return -1;
}

int extract_archive(const char *archive, const char *dest, const char *topdir)
{
	struct job j = { .topdir = topdir, .tlen = topdir ? strlen(topdir) : 0 };
	char *shown = escape_name(archive);
	char *d = xstrdup(dest);
	size_t dl = strlen(d);
	char *tmp = NULL;
	int cwd = -1, in_tmp = 0, rc = -1;

	j.archive = shown;
	while (dl > 1 && d[dl - 1] == '/')
		d[--dl] = '\0';
	while (j.tlen > 0 && topdir[j.tlen - 1] == '/')
		j.tlen--;
	if (path_exists(d)) {
		warn("extract '%s': '%s' already exists", shown, d);
		goto out;
	}
	tmp = xasprintf("%s.tmp.%ld", d, (long)getpid());
	if (rm_rf(tmp) < 0)
		goto out;
	if (mkdir(tmp, 0755) < 0) {
		warn("mkdir '%s':", tmp);
		goto out;
	}
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0) {
		warn("open the current directory:");
		goto out;
	}

	j.in = archive_read_new();
	j.out = archive_write_disk_new();
	if (!j.in || !j.out)
		die("libarchive: out of memory");
	/* libarchive's own xz decoder uses one core; the xz program
	 * decodes the blocks of a multi-block file (the kernel's has 55) on
	 * all of them. Registered first, it wins the tie with the built-in
	 * bidder; without xz the built-in one does the work. */
	if (have_program("xz"))
		archive_read_support_filter_program_signature(j.in, "xz -dc -T0", xz_magic,
							      sizeof(xz_magic));
	archive_read_support_filter_all(j.in);
	archive_read_support_format_tar(j.in);
	archive_write_disk_set_options(j.out,
		ARCHIVE_EXTRACT_TIME |
		ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		ARCHIVE_EXTRACT_SECURE_SYMLINKS |
		ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	/* Opened before chdir so that a relative ARCHIVE still resolves. */
	if (archive_read_open_filename(j.in, archive, READ_BLOCK) != ARCHIVE_OK) {
		lib_error(&j, j.in, NULL);
		goto out;
	}
	if (chdir(tmp) < 0) {
		warn("chdir '%s':", tmp);
		goto out;
	}
	in_tmp = 1;
	if (extract_here(&j) < 0)
		goto out;
	rc = 0;
out:
	/* Freeing the writer applies deferred directory modes, which must
	 * happen while the relative names still resolve. */
	if (j.out)
		archive_write_free(j.out);
	if (j.in)
		archive_read_free(j.in);
	/* Every relative path the caller holds would now be wrong, and
	 * there is no way back: this is not an error a caller can handle. */
	if (in_tmp && fchdir(cwd) < 0)
		die("cannot return to the working directory: %s", strerror(errno));
	if (cwd >= 0)
		close(cwd);
	if (rc == 0 && move_into_place(tmp, d) < 0)
		rc = -1;
	if (rc < 0 && tmp)
		rm_rf(tmp);
	buf_free(&j.raw);
	buf_free(&j.name);
	buf_free(&j.link);
	free(tmp);
	free(d);
	free(shown);
	return rc;
}
