/* Tests for apt.c: the private apt state's sources list derived from a
 * machine's apt configuration (both file formats, other vendors' and
 * other releases' entries left out, a disabled stanza, the suites
 * around the release), its apt options, and Debian versions' upstream
 * part. apt itself runs in the end-to-end test (versions.sh). */
#include "testutil.h"

#include "apt.h"

static void write_in(const char *dir, const char *name, const char *text)
{
	char *p = path_join(dir, name);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	free(p);
}

static void test_sources(void **state)
{
	struct testdir *t = *state;
	char *etc = testdir_path(t, "etc");
	char *d = path_join(etc, "sources.list.d");
	assert_int_equal(mkdir_p(d, 0755), 0);
	write_in(etc, "sources.list",
		 "# a comment\n"
		 "deb [arch=amd64 signed-by=/k/deb.gpg] http://mirror.example/debian bookworm main contrib\n"
		 "deb http://mirror.example/debian bookworm-updates main contrib\n"
		 "deb http://old.example/debian bullseye main\n");
	write_in(d, "sec.sources",
		 "Types: deb\n"
		 "URIs: http://mirror.example/debian-security\n"
		 "Suites: bookworm-security\n"
		 "Components: main\n"
		 "Signed-By: /k/deb.gpg\n"
		 "\n"
		 "Types: deb\n"
		 "URIs: http://off.example/debian\n"
		 "Suites: bookworm\n"
		 "Components: main\n"
		 "Enabled: no\n");
	write_in(d, "vendor.list", "deb https://vendor.example/apt nodistro main\n");
	write_in(d, "ignored.txt", "deb http://never.example/debian bookworm main\n");
	char *s = apt_sources(etc, "bookworm");
	assert_string_equal(s,
		"deb-src [signed-by=/k/deb.gpg] http://mirror.example/debian bookworm main contrib\n"
		"deb-src [signed-by=/k/deb.gpg] http://mirror.example/debian bookworm-updates main contrib\n"
		"deb-src [signed-by=/k/deb.gpg] http://mirror.example/debian bookworm-backports main contrib\n"
		"deb-src [signed-by=/k/deb.gpg] http://mirror.example/debian trixie main contrib\n"
		"deb-src [signed-by=/k/deb.gpg] http://mirror.example/debian trixie-updates main contrib\n"
		"deb-src [signed-by=/k/deb.gpg] http://mirror.example/debian-security bookworm-security main\n"
		"deb-src [signed-by=/k/deb.gpg] http://mirror.example/debian-security trixie-security main\n");
	free(s);

	/* No entry of the release: an error that says where to look. */
	struct capture cap;
	capture_start(&cap, 2);
	assert_null(apt_sources(etc, "forky"));
	char *err = capture_end(&cap);
	assert_non_null(strstr(err, "no Debian entry of release 'forky'"));
	free(err);
	free(d);
	free(etc);
}

static void test_options(void **state)
{
	char **o = apt_options("/c/apt");
	struct buf b = {0};
	for (char **p = o; *p; p++)
		buf_printf(&b, "%s ", *p);
	assert_non_null(strstr(b.s, "-o Dir::Etc::sourcelist=/c/apt/sources.list "));
	assert_non_null(strstr(b.s, "-o Dir::Etc::sourceparts=/c/apt/sources.list.d "));
	assert_non_null(strstr(b.s, "-o Dir::State::lists=/c/apt/lists "));
	assert_non_null(strstr(b.s, "-o Dir::Cache=/c/apt/cache "));
	assert_non_null(strstr(b.s, "-o Dir::State::status=/var/lib/dpkg/status "));
	assert_non_null(strstr(b.s, "-o APT::Sandbox::User="));
	buf_free(&b);
	apt_argv_free(o);
}

static void test_upstream(void **state)
{
	static const char *const v[][2] = {
		{ "1:1.37.0-6", "1.37.0" },
		{ "1.2.5-3.1~deb13u1", "1.2.5" },
		{ "6.12.95-1~bpo12+1", "6.12.95" },
		{ "2.0", "2.0" },
		{ "1:2.3-rc1-2", "2.3-rc1" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *u = apt_upstream(v[i][0]);
		assert_string_equal(u, v[i][1]);
		free(u);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		testdir_test(test_sources),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_upstream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
