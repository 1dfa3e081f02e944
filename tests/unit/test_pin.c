/* Tests for pin.c without the network: the catalog's versions as they
 * are, the user's sha256 and url (an origin of their own, first), the
 * refusals (a url without sha256, a sha256 that is none of the
 * catalog's, a version not pinned here when offline), and a pin
 * recorded from Debian's archive read back. Pinning from the archive
 * itself runs in the end-to-end test (versions.sh). */
#include "testutil.h"

#include "pin.h"

#define SUM "a9a118bbe84d8764da0ea0d28b3ab3fae8477fc7e4085d90102b8596fc7c75e4"

static void test_catalog_version(void **state)
{
	struct testdir *t = *state;
	struct source s;
	const struct source *cat = catalog_find("musl", "1.2.3");
	assert_int_equal(pin_source("musl", "1.2.3", NULL, NULL, t->path, 1, &s), 0);
	assert_int_equal(s.norigins, cat->norigins);
	assert_string_equal(s.topdir, cat->topdir);
	for (size_t i = 0; i < s.norigins; i++)
		assert_string_equal(s.origins[i].sha256, cat->origins[i].sha256);
	pin_free(&s);
	/* Its own sha256 named again is fine; another is refused. */
	assert_int_equal(pin_source("musl", "1.2.3", "", cat->origins[0].sha256, t->path, 1, &s), 0);
	pin_free(&s);
	struct capture cap;
	capture_start(&cap, 2);
	assert_int_equal(pin_source("musl", "1.2.3", NULL, SUM, t->path, 1, &s), -1);
	char *err = capture_end(&cap);
	assert_non_null(strstr(err, "is none of the catalog's for musl 1.2.3"));
	free(err);
}

static void test_user_url(void **state)
{
	struct testdir *t = *state;
	struct source s;
	assert_int_equal(pin_source("musl", "1.2.5", "http://127.0.0.1:1/d/musl-1.2.5.tar.gz", SUM,
				    t->path, 1, &s), 0);
	assert_int_equal(s.norigins, 1);
	assert_int_equal(s.origins[0].kind, ORIGIN_URL);
	assert_string_equal(s.origins[0].file, "a9a118bbe84d-musl-1.2.5.tar.gz");
	assert_string_equal(s.origins[0].sha256, SUM);
	assert_string_equal(s.topdir, "musl-1.2.5");
	pin_free(&s);
	/* On a pinned version, the user's origin comes first. */
	assert_int_equal(pin_source("musl", "1.2.3", "file:///x/musl-1.2.3.tar.gz", SUM, t->path, 1,
				    &s), 0);
	assert_int_equal(s.origins[0].kind, ORIGIN_URL);
	assert_int_equal(s.norigins, catalog_find("musl", "1.2.3")->norigins + 1);
	pin_free(&s);

	struct capture cap;
	capture_start(&cap, 2);
	assert_int_equal(pin_source("musl", "1.2.5", "http://h/m.tar.gz", NULL, t->path, 1, &s), -1);
	char *err = capture_end(&cap);
	assert_non_null(strstr(err, "[musl] url 'http://h/m.tar.gz' needs the file's sha256"));
	free(err);
}

static void test_recorded_pin(void **state)
{
	struct testdir *t = *state;
	struct source s;
	struct capture cap;
	capture_start(&cap, 2);
	assert_int_equal(pin_source("busybox", "1.37.0", NULL, NULL, t->path, 1, &s), -1);
	char *err = capture_end(&cap);
	assert_non_null(strstr(err, "busybox 1.37.0 is not pinned on this machine yet"));
	assert_non_null(strstr(err, "without --offline"));
	free(err);

	char *dir = path_join(t->path, ".pins");
	assert_int_equal(mkdir_p(dir, 0755), 0);
	char *rec = path_join(dir, "busybox-1.37.0");
	const char *text = "1.37.0 1:1.37.0-6 busybox_1.37.0.orig.tar.bz2 " SUM " 2525473 trixie/main\n";
	assert_int_equal(write_file_atomic(rec, text, strlen(text), 0644), 0);
	assert_int_equal(pin_source("busybox", "1.37.0", NULL, NULL, t->path, 1, &s), 0);
	assert_int_equal(s.norigins, 1);
	assert_int_equal(s.origins[0].kind, ORIGIN_APT);
	assert_string_equal(s.origins[0].apt_pkg, "busybox");
	assert_string_equal(s.origins[0].apt_ver, "1:1.37.0-6");
	assert_string_equal(s.origins[0].file, "busybox_1.37.0.orig.tar.bz2");
	assert_int_equal(s.origins[0].size, 2525473);
	pin_free(&s);
	char *list = pin_list("busybox", t->path);
	assert_string_equal(list, "1.37.0 1:1.37.0-6 trixie/main\n");
	free(list);
	char *f = pin_source_file("busybox", "1.37.0", t->path);
	assert_string_equal(f, "busybox_1.37.0.orig.tar.bz2");
	free(f);
	/* The user's sha256 must be the pin's. */
	capture_start(&cap, 2);
	assert_int_equal(pin_source("busybox", "1.37.0", NULL,
				    "0000000000000000000000000000000000000000000000000000000000000000",
				    t->path, 1, &s), -1);
	err = capture_end(&cap);
	assert_non_null(strstr(err, "not the 0000"));
	free(err);
	free(rec);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		testdir_test(test_catalog_version),
		testdir_test(test_user_url),
		testdir_test(test_recorded_pin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
