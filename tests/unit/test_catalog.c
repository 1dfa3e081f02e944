/* Tests for the catalog: every default release is present and every
 * origin is pinned by a well-formed hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalog.h"
#include "util.h"

static const char *const names[] = { "linux", "musl", "busybox" };
#define NNAMES (sizeof(names) / sizeof(names[0]))

static void test_defaults_exist(void **state)
{
	for (size_t i = 0; i < NNAMES; i++) {
		const char *v = catalog_default_version(names[i]);
		if (!v)
			fail_msg("no default version of '%s'", names[i]);
		const struct source *s = catalog_find(names[i], v);
		if (!s)
			fail_msg("default '%s' %s is not in the catalog", names[i], v);
		assert_string_equal(s->name, names[i]);
		assert_string_equal(s->version, v);
		/* Archives unpack to NAME-VERSION. */
		char *top = xasprintf("%s-%s", names[i], v);
		assert_string_equal(s->topdir, top);
		free(top);
		assert_true(s->norigins >= 1 && s->norigins <= MAX_ORIGINS);
	}
}

static int is_sha256(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	for (int i = 0; i < 64; i++)
		if (!strchr("0123456789abcdef", s[i]) || !s[i])
			return 0;
	return 1;
}

static void check_origin(const struct source *s, const struct origin *o)
{
	if (!is_sha256(o->sha256))
		fail_msg("%s %s: origin '%s': sha256 '%s' is not 64 lowercase hex digits", s->name,
			 s->version, o->file ? o->file : "(null)", o->sha256 ? o->sha256 : "(null)");
	assert_non_null(o->file);
	assert_true(o->file[0] != '\0');
	/* Also the file's name in the cache: no directories. */
	assert_null(strchr(o->file, '/'));
	assert_true(strcmp(o->file, ".") && strcmp(o->file, ".."));
	/* The file is a release of this component. */
	assert_non_null(strstr(o->file, s->version));
	assert_true(o->size >= 0);
	switch (o->kind) {
	case ORIGIN_URL: {
		assert_non_null(o->url);
		assert_int_equal(strncmp(o->url, "https://", 8), 0);
		size_t ul = strlen(o->url), fl = strlen(o->file);
		assert_true(ul > fl + 8);
		assert_string_equal(o->url + ul - fl, o->file);
		assert_int_equal(o->url[ul - fl - 1], '/');
		break;
	}
	case ORIGIN_APT:
		assert_non_null(o->apt_pkg);
		assert_non_null(o->apt_ver);
		assert_true(o->apt_pkg[0] && o->apt_ver[0]);
		/* Passed to apt-get as PKG=VERSION: nothing that a shell or
		 * apt would read differently. */
		assert_null(strpbrk(o->apt_pkg, " =/'\"$"));
		assert_null(strpbrk(o->apt_ver, " =/'\"$"));
		assert_non_null(strstr(o->apt_ver, s->version));
		break;
	default:
		fail_msg("%s %s: unknown origin kind %d", s->name, s->version, (int)o->kind);
	}
}

static void test_origins_pinned(void **state)
{
	for (size_t i = 0; i < NNAMES; i++) {
		char *all = catalog_versions(names[i]);
		/* Every known version, not just the default. */
		char *save = NULL;
		for (char *v = strtok_r(all, ", ", &save); v; v = strtok_r(NULL, ", ", &save)) {
			const struct source *s = catalog_find(names[i], v);
			if (!s)
				fail_msg("catalog_versions lists '%s' %s, catalog_find does not", names[i], v);
			int sized = 0;
			for (size_t k = 0; k < s->norigins; k++) {
				check_origin(s, &s->origins[k]);
				sized |= s->origins[k].size > 0;
			}
			/* At least one origin can be checked by size too. */
			assert_true(sized);
			/* Unused slots are empty. */
			for (size_t k = s->norigins; k < MAX_ORIGINS; k++)
				assert_null(s->origins[k].file);
		}
		free(all);
	}
}

static void test_versions_text(void **state)
{
	for (size_t i = 0; i < NNAMES; i++) {
		char *all = catalog_versions(names[i]);
		const char *def = catalog_default_version(names[i]);
		assert_non_null(all);
		assert_true(all[0] != '\0');
		/* "a, b, c": no stray separators at either end or doubled. */
		assert_true(strncmp(all, ", ", 2) != 0);
		size_t n = strlen(all);
		assert_true(n < 2 || strcmp(all + n - 2, ", ") != 0);
		assert_null(strstr(all, ", , "));
		/* The default is one of the listed entries. */
		char *padded = xasprintf(", %s, ", all);
		char *needle = xasprintf(", %s, ", def);
		assert_non_null(strstr(padded, needle));
		free(padded);
		free(needle);
		free(all);
	}
	char *none = catalog_versions("no-such-component");
	assert_non_null(none);
	assert_string_equal(none, "");
	free(none);
}

static void test_lookups_fail(void **state)
{
	assert_null(catalog_default_version("no-such-component"));
	assert_null(catalog_default_version(""));
	assert_null(catalog_find("no-such-component", "1.0"));
	assert_null(catalog_find("linux", "0.0.1"));
	assert_null(catalog_find("linux", ""));
	/* A version of one component is not a version of another. */
	assert_null(catalog_find("musl", catalog_default_version("busybox")));
	/* Exact matches only. */
	const char *v = catalog_default_version("musl");
	char *longer = xasprintf("%s.1", v);
	assert_null(catalog_find("musl", longer));
	free(longer);
	assert_null(catalog_find("Musl", v));
}

/* The seed system's pins, as recorded in the design notes. */
static void test_seed_pins(void **state)
{
	static const struct {
		const char *name, *version, *file, *sha256;
		long long size;
	} pins[] = {
		{ "linux", "6.1.176", "linux_6.1.176.orig.tar.xz",
		  "9aad4025973feea3f0d978e82ab7db97d8d5ce3f59fcc6b1f316153d66e3a504", 137945728 },
		{ "musl", "1.2.3", "musl-1.2.3.tar.gz",
		  "7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4", 1058642 },
		{ "busybox", "1.35.0", "busybox-1.35.0.tar.bz2",
		  "faeeb244c35a348a334f4a59e44626ee870fb07b6884d68c10ae8bc19f83a694", 2480624 },
	};
	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		const struct source *s = catalog_find(pins[i].name, pins[i].version);
		if (!s)
			fail_msg("'%s' %s is missing", pins[i].name, pins[i].version);
		int found = 0;
		for (size_t k = 0; k < s->norigins; k++) {
			const struct origin *o = &s->origins[k];
			if (strcmp(o->file, pins[i].file))
				continue;
			found = 1;
			assert_string_equal(o->sha256, pins[i].sha256);
			assert_int_equal(o->size, pins[i].size);
		}
		if (!found)
			fail_msg("'%s' %s has no origin for '%s'", pins[i].name, pins[i].version, pins[i].file);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_exist),
		cmocka_unit_test(test_origins_pinned),
		cmocka_unit_test(test_versions_text),
		cmocka_unit_test(test_lookups_fail),
		cmocka_unit_test(test_seed_pins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
