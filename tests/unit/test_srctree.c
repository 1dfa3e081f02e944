/* Tests for the shared source trees: a tree is unpacked once beside the
 * cache and every build's link points to it; what a dead unpacking left
 * is removed; a link replaces a directory unpacked in place before. */
#include <archive.h>
#include <archive_entry.h>
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

#include "catalog.h"
#include "hash.h"
#include "srctree.h"
#include "testutil.h"
#include "util.h"

struct fx {
	struct testdir dir;
	char *cache; /* DIR/mkdistro/sources */
	char *trees; /* DIR/mkdistro/trees */
	char sha[SHA256_HEX_LEN + 1];
	struct source src;
};

/* A source "pkg 1.0" whose archive pkg-1.0.tar.gz (pkg-1.0/Makefile) is
 * in the cache. */
static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	testdir_enter(&f->dir, "srctree");
	f->cache = path_join(f->dir.path, "mkdistro/sources");
	f->trees = path_join(f->dir.path, "mkdistro/trees");
	assert_int_equal(mkdir_p(f->cache, 0755), 0);
	char *archive = path_join(f->cache, "pkg-1.0.tar.gz");
	struct archive *a = archive_write_new();
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, archive), ARCHIVE_OK);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "pkg-1.0/Makefile");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 4);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, "all:", 4), 4);
	archive_entry_free(e);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	off_t size;
	assert_int_equal(sha256_file(archive, f->sha, &size), 0);
	free(archive);
	f->src = (struct source){
		.name = "pkg",
		.version = "1.0",
		.topdir = "pkg-1.0",
		.origins = { { .kind = ORIGIN_URL, .url = "https://example.invalid/pkg-1.0.tar.gz",
			       .file = "pkg-1.0.tar.gz", .sha256 = f->sha, .size = size } },
		.norigins = 1,
	};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	testdir_leave(&f->dir);
	free(f->cache);
	free(f->trees);
	free(f);
	return 0;
}

static void test_dir_beside_cache(void **state)
{
	struct fx *f = *state;
	char *d = srctree_dir(f->cache);
	assert_string_equal(d, f->trees);
	free(d);
}

/* Unpacked once; a second build directory links to the same tree. */
static void test_shared_once(void **state)
{
	struct fx *f = *state;
	char *tree = xasprintf("%s/pkg-1.0-%.12s", f->trees, f->sha);
	assert_int_equal(mkdir_p("mkdistro/trees/pkg-left.tmp.4242/half", 0755), 0);
	assert_int_equal(srctree_link(&f->src, f->cache, 1, "a/build/src/pkg", "a.log"), 0);
	char target[4096];
	ssize_t n = readlink("a/build/src/pkg", target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, tree);
	char *mk = read_file("a/build/src/pkg/Makefile", NULL);
	assert_string_equal(mk, "all:");
	free(mk);
	/* The unpacking that died is cleaned up, and the log says so. */
	assert_false(path_exists("mkdistro/trees/pkg-left.tmp.4242"));
	char *log = read_file("a.log", NULL);
	assert_non_null(strstr(log, "removing '"));
	assert_non_null(strstr(log, "unpacking '"));
	free(log);

	assert_int_equal(srctree_link(&f->src, f->cache, 1, "b/build/src/pkg", "b.log"), 0);
	n = readlink("b/build/src/pkg", target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, tree);
	log = read_file("b.log", NULL);
	assert_non_null(strstr(log, "is shared"));
	assert_null(strstr(log, "unpacking '"));
	free(log);
	free(tree);
}

/* A tree unpacked into the build directory before is replaced by the
 * link, and so is a link to a tree that was removed. */
static void test_replaces_dir_and_dangling_link(void **state)
{
	struct fx *f = *state;
	assert_int_equal(mkdir_p("build/src/pkg/sub", 0755), 0);
	assert_int_equal(srctree_link(&f->src, f->cache, 1, "build/src/pkg", "x.log"), 0);
	struct stat st;
	assert_int_equal(lstat("build/src/pkg", &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(rm_rf(f->trees), 0);
	assert_false(path_exists("build/src/pkg/Makefile"));
	assert_int_equal(srctree_link(&f->src, f->cache, 1, "build/src/pkg", "x.log"), 0);
	assert_true(path_exists("build/src/pkg/Makefile"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dir_beside_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaces_dir_and_dangling_link, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
