/* Tests for compress: every method round-trips through the matching
 * command-line tool, in the stream form the kernel's decompressor needs. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <archive.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "compress.h"
#include "testutil.h"
#include "tinyfs.h"
#include "util.h"

struct fx {
	struct testdir dir; /* the working directory */
	char *in;
	size_t inlen;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	testdir_enter(&f->dir, "compress");
	f->in = testdir_path(&f->dir, "initramfs.cpio");
	/* Text that compresses plus noise that does not, over several
	 * lz4 and gzip blocks. */
	struct buf b = { 0 };
	uint32_t x = 12345;
	for (int i = 0; i < 20000; i++) {
		buf_printf(&b, "line %d of the test input\n", i);
		for (int k = 0; k < 8; k++) {
			x = x * 1103515245u + 12345u;
			buf_addch(&b, (char)(x >> 24));
		}
	}
	f->inlen = b.len;
	int rc = write_file_atomic(f->in, b.s, b.len, 0644);
	buf_free(&b);
	*state = f;
	return rc;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testdir_leave(&f->dir);
	free(f->in);
	free(f);
	return 0;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[3 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void assert_same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *da = read_file(a, &la), *db = read_file(b, &lb);
	assert_non_null(da);
	assert_non_null(db);
	assert_int_equal(la, lb);
	assert_memory_equal(da, db, la);
	free(da);
	free(db);
}

/* Only these names may be in the directory: no temporary leftovers. */
static void assert_dir_holds(const char *dir, const char *const *names, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		size_t i = 0;
		while (i < n && strcmp(names[i], de->d_name) != 0)
			i++;
		if (i == n)
			fail_msg("unexpected file '%s' in '%s'", de->d_name, dir);
	}
	closedir(d);
}

/* Compress with METHOD, check the stream's first bytes against MAGIC,
 * decompress with TOOL and compare with the input; a second run must give
 * the same bytes. Returns the compressed data for further checks. */
static unsigned char *round_trip(const struct fx *f, const char *method, const char *tool,
				 const unsigned char *magic, size_t mlen, size_t *outlen)
{
	char name[64];
	snprintf(name, sizeof(name), "out.%s", method);
	char *out = testdir_path(&f->dir, "%s", name);
	char *again = testdir_path(&f->dir, "again");
	char *dec = testdir_path(&f->dir, "decoded");

	assert_int_equal(compress_file(f->in, out, method), 0);
	struct stat st;
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	unsigned char *data = (unsigned char *)read_file(out, outlen);
	assert_non_null(data);
	assert_true(*outlen >= mlen);
	assert_memory_equal(data, magic, mlen);
	if (strcmp(method, "none") != 0)
		assert_true(*outlen < f->inlen);

	assert_int_equal(sh("%s -dc '%s' > '%s'", tool, out, dec), 0);
	assert_same_file(f->in, dec);

	assert_int_equal(compress_file(f->in, again, method), 0);
	assert_same_file(out, again);

	const char *const keep[] = { "initramfs.cpio", name, "again", "decoded" };
	assert_dir_holds(f->dir.path, keep, 4);
	unlink(again);
	unlink(dec);
	unlink(out);
	free(out);
	free(again);
	free(dec);
	return data;
}

static void test_gzip(void **state)
{
	struct fx *f = *state;
	static const unsigned char magic[] = { 0x1f, 0x8b, 8 };
	size_t len;

	unsigned char *d = round_trip(f, "gzip", "gzip", magic, sizeof(magic), &len);
	/* No FNAME or other flags, no MTIME: like gzip -n. */
	assert_int_equal(d[3], 0);
	assert_int_equal(d[4] | d[5] | d[6] | d[7], 0);
	free(d);

	/* Same bytes a second later, with a newer input mtime: the clock
	 * must not get into the output. */
	char *a = testdir_path(&f->dir, "a.gz"), *b = testdir_path(&f->dir, "b.gz");
	assert_int_equal(compress_file(f->in, a, NULL), 0);
	sleep(1);
	struct timespec ts[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	assert_int_equal(utimensat(AT_FDCWD, f->in, ts, 0), 0);
	assert_int_equal(compress_file(f->in, b, "gzip"), 0);
	assert_same_file(a, b);
	/* No trailing padding: gzip would warn about it and exit 2. */
	assert_int_equal(sh("gzip -t '%s'", a), 0);
	free(a);
	free(b);
}

static void test_xz(void **state)
{
	struct fx *f = *state;
	static const unsigned char magic[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	size_t len;

	if (!have_program("xz"))
		skip();
	unsigned char *d = round_trip(f, "xz", "xz", magic, sizeof(magic), &len);
	/* Stream flags: check type 1 is CRC32, all the kernel's xz_dec knows. */
	assert_int_equal(d[6], 0);
	assert_int_equal(d[7], 0x01);
	/* The footer repeats the stream flags. */
	assert_int_equal(d[len - 4], 0);
	assert_int_equal(d[len - 3], 0x01);
	assert_memory_equal(d + len - 2, "YZ", 2);
	free(d);
}

static void test_lz4(void **state)
{
	struct fx *f = *state;
	/* The legacy frame magic 0x184C2102: lib/decompress_unlz4.c reads
	 * only that one. */
	static const unsigned char magic[] = { 0x02, 0x21, 0x4c, 0x18 };
	size_t len;

	if (!have_program("lz4")) {
		print_message("lz4 tool missing (Debian package 'lz4'): lz4 not tested\n");
		skip();
	}
	unsigned char *d = round_trip(f, "lz4", "lz4", magic, sizeof(magic), &len);
	free(d);
}

static void test_zstd(void **state)
{
	struct fx *f = *state;
	static const unsigned char magic[] = { 0x28, 0xb5, 0x2f, 0xfd };
	size_t len;

	if (!have_program("zstd"))
		skip();
	unsigned char *d = round_trip(f, "zstd", "zstd", magic, sizeof(magic), &len);
	free(d);
}

static void test_none(void **state)
{
	struct fx *f = *state;
	char *out = testdir_path(&f->dir, "plain");

	assert_int_equal(compress_file(f->in, out, "none"), 0);
	assert_same_file(f->in, out);
	free(out);
}

static void test_replaces_and_fails_cleanly(void **state)
{
	struct fx *f = *state;
	char *out = testdir_path(&f->dir, "out.gz");
	char *dec = testdir_path(&f->dir, "dec");

	assert_int_equal(write_file_atomic(out, "old", 3, 0600), 0);
	assert_int_equal(compress_file(f->in, out, "gzip"), 0);
	assert_int_equal(sh("gzip -dc '%s' > '%s'", out, dec), 0);
	assert_same_file(f->in, dec);
	unlink(dec);

	/* Failures leave the old output and no temporary file. */
	char *missing = testdir_path(&f->dir, "missing");
	assert_int_equal(compress_file(missing, out, "gzip"), -1);
	assert_int_equal(compress_file(f->in, out, "bzip2"), -1);
	assert_int_equal(compress_file(f->dir.path, out, "gzip"), -1);
	assert_int_equal(compress_file(f->in, "/nonexistent/dir/out.gz", "gzip"), -1);
	assert_int_equal(compress_file(missing, out, "xz"), -1);
	assert_int_equal(compress_file(missing, out, "lz4"), -1);
	const char *const keep[] = { "initramfs.cpio", "out.gz" };
	assert_dir_holds(f->dir.path, keep, 2);
	assert_int_equal(sh("gzip -t '%s'", out), 0);

	/* A name starting with '-' is still a file to the tools (relative
	 * to the working directory, the test's). */
	if (have_program("xz"))
		assert_int_equal(compress_file("initramfs.cpio", "-dash.xz", "xz"), 0);
	if (have_program("lz4"))
		assert_int_equal(compress_file("initramfs.cpio", "-dash.lz4", "lz4"), 0);
	free(missing);
	free(out);
	free(dec);
}

struct full {
	const struct fx *f;
	const char *dir; /* 64 KiB file system */
};

/* In the child of tinyfs_run: every method fails on the full disk, the
 * earlier output stays, no temporary file is left. */
static int compress_into_full(void *arg)
{
	const struct full *fu = arg;
	static const char *const methods[] = { "gzip", "zstd", "none", "xz", "lz4" };
	char *out = path_join(fu->dir, "initrd.img");
	int rc = 0;
	if (write_file_atomic(out, "old", 3, 0644) < 0)
		rc = 1;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]) && !rc; i++) {
		if (i >= 3 && !have_program(methods[i]))
			continue;
		fprintf(stderr, "== %s\n", methods[i]);
		if (compress_file(fu->f->in, out, methods[i]) != -1) {
			fprintf(stderr, "test: %s succeeded on a full disk\n", methods[i]);
			rc = 2;
		}
	}
	char *text = read_file(out, NULL);
	if (!rc && (!text || strcmp(text, "old"))) {
		fprintf(stderr, "test: the earlier output changed\n");
		rc = 3;
	}
	free(text);
	DIR *d = opendir(fu->dir);
	struct dirent *de;
	while (!rc && d && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "initrd.img")) {
			fprintf(stderr, "test: left behind: '%s'\n", de->d_name);
			rc = 4;
		}
	}
	if (d)
		closedir(d);
	free(out);
	return rc;
}

/* Disk full (ENOSPC) while writing the output: each method fails with
 * "No space left on device" and the output's name, and leaves nothing. */
static void test_disk_full(void **state)
{
	struct fx *f = *state;
	char *small = testdir_path(&f->dir, "small");
	assert_int_equal(mkdir(small, 0755), 0);
	struct full fu = { f, small };
	struct capture c;
	capture_start(&c, 2);
	int rc = tinyfs_run(small, 64, compress_into_full, &fu);
	char *err = capture_end(&c);
	if (rc < 0) {
		fputs(err, stderr);
		free(err);
		free(small);
		skip();
	}
	if (rc != 0)
		fputs(err, stderr);
	assert_int_equal(rc, 0);
	/* The libarchive methods say it in mkdistro's words. */
	char *out = xasprintf("%s/initrd.img", small);
	static const char *const lib[] = { "gzip", "zstd", "none" };
	for (size_t i = 0; i < 3; i++) {
		char *want = xasprintf("== %s\nmkdistro: compress '%s' with %s: Write error: "
				       "No space left on device\n", lib[i], out, lib[i]);
		if (!strstr(err, want))
			fail_msg("expected:\n%s\nin:\n%s", want, err);
		free(want);
	}
	/* The tools say it in theirs, and mkdistro names the output. */
	if (have_program("xz")) {
		char *want = xasprintf("No space left on device\nmkdistro: compress '%s' with xz: "
				       "xz exited with status 1\n", out);
		assert_non_null(strstr(err, want));
		free(want);
	}
	free(out);
	free(err);
	free(small);
}

static void test_tables(void **state)
{
	assert_true(compress_known(NULL));
	assert_true(compress_known("gzip"));
	assert_true(compress_known("xz"));
	assert_true(compress_known("lz4"));
	assert_true(compress_known("zstd"));
	assert_true(compress_known("none"));
	assert_false(compress_known("bzip2"));
	assert_false(compress_known("GZIP"));
	assert_string_equal(compress_kconfig(NULL), "CONFIG_RD_GZIP");
	assert_string_equal(compress_kconfig("gzip"), "CONFIG_RD_GZIP");
	assert_string_equal(compress_kconfig("xz"), "CONFIG_RD_XZ");
	assert_string_equal(compress_kconfig("lz4"), "CONFIG_RD_LZ4");
	assert_string_equal(compress_kconfig("zstd"), "CONFIG_RD_ZSTD");
	assert_null(compress_kconfig("none"));
	assert_null(compress_kconfig("bzip2"));
	assert_string_equal(compress_suffix("gzip"), ".gz");
	assert_string_equal(compress_suffix("zstd"), ".zst");
	assert_string_equal(compress_suffix("none"), "");
	assert_null(compress_suffix("lzo"));

	/* Every decompressor the kernel has, in its order, for the fragment. */
	static const char *const kernel[] = { "RD_GZIP", "RD_BZIP2", "RD_LZMA", "RD_XZ",
					      "RD_LZO", "RD_LZ4", "RD_ZSTD" };
	static const char *const names[] = { "gzip", "bzip2", "lzma", "xz", "lzo", "lz4", "zstd" };
	size_t i;
	for (i = 0; compress_kernel_symbol(i); i++) {
		assert_true(i < 7);
		assert_string_equal(compress_kernel_symbol(i), kernel[i]);
		assert_string_equal(compress_kernel_method(i), names[i]);
	}
	assert_int_equal(i, 7);
	assert_null(compress_kernel_method(7));
	assert_string_equal(compress_names(), "gzip, xz, lz4, zstd, none");
	assert_string_equal(compress_filter_kconfig(ARCHIVE_FILTER_LZOP), "CONFIG_RD_LZO");
	assert_string_equal(compress_filter_kconfig(ARCHIVE_FILTER_GZIP), "CONFIG_RD_GZIP");
	assert_null(compress_filter_kconfig(ARCHIVE_FILTER_NONE));
	assert_null(compress_filter_kconfig(ARCHIVE_FILTER_UU));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gzip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lz4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zstd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaces_and_fails_cleanly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
		cmocka_unit_test(test_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
