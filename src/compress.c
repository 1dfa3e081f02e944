#include "compress.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

struct method {
	const char *name;
	const char *kconfig; /* the kernel's decompressor, NULL for none */
	const char *suffix;
	int filter;          /* libarchive's code for the form */
	int writes;          /* mkdistro writes it (compress_file) */
};

/* Every form the kernel can unpack an initramfs from, in the kernel's
 * order of its RD_ options (the order of the fragment lines built from
 * it, which are hashed into step keys), then "none". */
static const struct method methods[] = {
	{ "gzip", "CONFIG_RD_GZIP", ".gz", ARCHIVE_FILTER_GZIP, 1 },
	{ "bzip2", "CONFIG_RD_BZIP2", ".bz2", ARCHIVE_FILTER_BZIP2, 0 },
	{ "lzma", "CONFIG_RD_LZMA", ".lzma", ARCHIVE_FILTER_LZMA, 0 },
	{ "xz", "CONFIG_RD_XZ", ".xz", ARCHIVE_FILTER_XZ, 1 },
	{ "lzo", "CONFIG_RD_LZO", ".lzo", ARCHIVE_FILTER_LZOP, 0 },
	{ "lz4", "CONFIG_RD_LZ4", ".lz4", ARCHIVE_FILTER_LZ4, 1 },
	{ "zstd", "CONFIG_RD_ZSTD", ".zst", ARCHIVE_FILTER_ZSTD, 1 },
	{ "none", NULL, "", ARCHIVE_FILTER_NONE, 1 },
};

#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

static const struct method *find_method(const char *name)
{
	if (!name)
		name = "gzip";
	for (size_t i = 0; i < NMETHODS; i++)
		if (methods[i].writes && strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

const char *compress_names(void)
{
	static char names[64];
	if (!names[0]) {
		size_t n = 0;
		for (size_t i = 0; i < NMETHODS; i++)
			if (methods[i].writes)
				n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "",
						      methods[i].name);
	}
	return names;
}

const char *compress_kernel_symbol(size_t i)
{
	return i < NMETHODS && methods[i].kconfig ? methods[i].kconfig + strlen("CONFIG_") : NULL;
}

const char *compress_kernel_method(size_t i)
{
	return i < NMETHODS && methods[i].kconfig ? methods[i].name : NULL;
}

const char *compress_filter_kconfig(int filter)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (methods[i].filter == filter)
			return methods[i].kconfig;
	return NULL;
}

int compress_known(const char *method)
{
	return find_method(method) != NULL;
}

const char *compress_kconfig(const char *method)
{
	const struct method *m = find_method(method);

	return m ? m->kconfig : NULL;
}

const char *compress_suffix(const char *method)
{
	const struct method *m = find_method(method);

	return m ? m->suffix : NULL;
}

/* Report A's error while writing OUT. For a failed write libarchive says
 * "Write error" and keeps the reason (a full disk: ENOSPC) in its errno. */
static void archive_warn(struct archive *a, const char *out, const char *method)
{
	const char *what = archive_error_string(a) ? archive_error_string(a) : "libarchive error";
	int e = archive_errno(a);

	if (e > 0 && !strstr(what, strerror(e)))
		warn("compress '%s' with %s: %s: %s", out, method, what, strerror(e));
	else
		warn("compress '%s' with %s: %s", out, method, what);
}

/* gzip, zstd and none: libarchive's filters over the raw format. */
static int via_libarchive(const char *in, const char *out, int outfd, const char *method)
{
	char chunk[64 * 1024];
	struct archive *a = NULL;
	struct archive_entry *e = NULL;
	int rc = -1, r;
	int infd = open(in, O_RDONLY | O_CLOEXEC);

	if (infd < 0) {
		warn("compress '%s':", in);
		return -1;
	}
	a = archive_write_new();
	if (!a)
		die("out of memory");
	if (strcmp(method, "gzip") == 0)
		r = archive_write_add_filter_gzip(a);
	else if (strcmp(method, "zstd") == 0)
		r = archive_write_add_filter_zstd(a);
	else
		r = archive_write_add_filter_none(a);
	/* ARCHIVE_WARN only says an external program will be used: still fine. */
	if (r < ARCHIVE_WARN)
		goto fail;
	/* "timestamp" unset is gzip -n: no time in the header. libarchive
	 * never writes a file name into it. */
	if (strcmp(method, "gzip") == 0 &&
	    (archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
	     archive_write_set_filter_option(a, "gzip", "compression-level", "9") != ARCHIVE_OK))
		goto fail;
	/* Without this, the last block is padded with zeros after the
	 * compressed stream, which gzip -d reports as trailing garbage. */
	if (archive_write_set_format_raw(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, outfd) != ARCHIVE_OK)
		goto fail;
	e = archive_entry_new();
	if (!e)
		die("out of memory");
	archive_entry_set_pathname(e, "initramfs");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		goto fail;
	for (;;) {
		ssize_t n = read(infd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warn("compress '%s': read:", in);
			goto out;
		}
		if (n == 0)
			break;
		if (archive_write_data(a, chunk, (size_t)n) != n)
			goto fail;
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		goto fail;
	rc = 0;
	goto out;
fail:
	archive_warn(a, out, method);
out:
	archive_entry_free(e);
	archive_write_free(a);
	close(infd);
	return rc;
}

/* An argument that a tool cannot mistake for an option. */
static char *file_arg(const char *path)
{
	return path[0] == '-' ? xasprintf("./%s", path) : xstrdup(path);
}

/* lz4: the tool writes straight to our temporary file. */
static int via_lz4(const char *in, const char *out, const char *tmp)
{
	char *inarg = file_arg(in), *tmparg = file_arg(tmp);
	/* -l: legacy frame; -f: the temporary file already exists. */
	char *argv[] = { "lz4", "-l", "-9", "-q", "-f", inarg, tmparg, NULL };
	int rc = 0;

	int st = proc_run(argv, NULL, NULL, NULL);
	if (st != 0) {
		if (st > 0)
			warn("compress '%s' with lz4: lz4 exited with status %d", out, st);
		rc = -1;
	}
	free(inarg);
	free(tmparg);
	return rc;
}

/* xz names its output after its input, next to it. A symlink to IN in a
 * fresh directory beside OUT makes that name ours; the result is renamed
 * over TMP. */
static int via_xz(const char *in, const char *out, const char *tmp)
{
	char *dir = xasprintf("%s.xzXXXXXX", out);
	char *abs = NULL, *link = NULL, *xzout = NULL;
	int rc = -1;

	if (!mkdtemp(dir)) {
		warn("compress: mkdtemp '%s':", dir);
		free(dir);
		return -1;
	}
	abs = realpath(in, NULL);
	if (!abs) {
		warn("compress '%s':", in);
		goto out;
	}
	link = path_join(dir, "initramfs");
	xzout = xasprintf("%s.xz", link);
	if (symlink(abs, link) < 0) {
		warn("compress: symlink '%s':", link);
		goto out;
	}
	char *linkarg = file_arg(link);
	/* --force: compress through the symlink; --threads=1: the threaded
	 * encoder splits into blocks, the single one gives one stable form. */
	char *argv[] = { "xz", "--format=xz", "--check=crc32", "--lzma2=preset=6,dict=1MiB",
			 "--threads=1", "--keep", "--force", linkarg, NULL };
	int st = proc_run(argv, NULL, NULL, NULL);
	free(linkarg);
	if (st != 0) {
		if (st > 0)
			warn("compress '%s' with xz: xz exited with status %d", out, st);
		goto out;
	}
	if (rename(xzout, tmp) < 0) {
		warn("compress: rename '%s':", xzout);
		goto out;
	}
	rc = 0;
out:
	if (link)
		unlink(link);
	if (xzout)
		unlink(xzout);
	if (rmdir(dir) < 0 && errno != ENOENT)
		warn("compress: remove '%s':", dir);
	free(abs);
	free(link);
	free(xzout);
	free(dir);
	return rc;
}

/* Make TMP durable with mode 0644, then move it to OUT. */
static int commit(const char *tmp, const char *out)
{
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		warn("compress: open '%s':", tmp);
		return -1;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		warn("compress: '%s':", tmp);
		close(fd);
		return -1;
	}
	if (close(fd) < 0) {
		warn("compress: close '%s':", tmp);
		return -1;
	}
	if (rename(tmp, out) < 0) {
		warn("compress: rename '%s' to '%s':", tmp, out);
		return -1;
	}
	return 0;
}

int compress_file(const char *in, const char *out, const char *method)
{
	const struct method *m = find_method(method);
	struct stat st;
	int rc = -1;

	if (!m) {
		warn("compress: unknown method '%s' (gzip, xz, lz4, zstd or none)", method);
		return -1;
	}
	if (stat(in, &st) < 0) {
		warn("compress '%s':", in);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		warn("compress '%s': not a regular file", in);
		return -1;
	}
	if (strcmp(m->name, "xz") == 0 && proc_need("xz", "xz-utils") < 0)
		return -1;
	if (strcmp(m->name, "lz4") == 0 && proc_need("lz4", "lz4") < 0)
		return -1;

	char *tmp = xasprintf("%s.tmpXXXXXX", out);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		warn("compress: create a temporary file beside '%s':", out);
		free(tmp);
		return -1;
	}
	if (strcmp(m->name, "xz") == 0)
		rc = via_xz(in, out, tmp);
	else if (strcmp(m->name, "lz4") == 0)
		rc = via_lz4(in, out, tmp);
	else
		rc = via_libarchive(in, out, fd, m->name);
	if (close(fd) < 0 && rc == 0) {
		warn("compress: close '%s':", tmp);
		rc = -1;
	}
	if (rc == 0)
		rc = commit(tmp, out);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}
