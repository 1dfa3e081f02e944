/* Tests for fetch.c against a real HTTP server on 127.0.0.1 (httpd.py) and
 * a fake apt-get script. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>
#include <cmocka.h>

#include "fetch.h"
#include "hash.h"
#include "testutil.h"
#include "tinyfs.h"
#include "util.h"

extern char **environ;

static char *www;         /* the server's document root */
static char *reqlog;      /* paths the server was asked for */
static char *cache;       /* the current test's cache directory */
static pid_t server_pid = -1;
static int port;
static int refused_sock = -1;
static int refused_port;

static char good_sha[SHA256_HEX_LEN + 1];
static char short_sha[SHA256_HEX_LEN + 1];
static char corrupt_sha[SHA256_HEX_LEN + 1];
static char *good_data;
static size_t good_len = 300 * 1024;

/* Strings the struct source values point at, freed after each test. */
static char *strs[64];
static size_t nstrs;

static const char *keep(char *s)
{
	assert_true(nstrs < sizeof(strs) / sizeof(strs[0]));
	strs[nstrs++] = s;
	return s;
}

static void put_file(const char *dir, const char *name, const void *data, size_t len)
{
	char *d = path_join(www, dir);
	char *p = path_join(d, name);
	assert_int_equal(mkdir_p(d, 0755), 0);
	assert_int_equal(write_file_atomic(p, data, len, 0644), 0);
	free(p);
	free(d);
}

/* tests/unit/httpd.py, found from here, this file or the program (new
 * memory, an absolute path), or NULL. */
static char *find_httpd(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *cands[3] = { xstrdup("tests/unit/httpd.py"), NULL, NULL };
	const char *slash = strrchr(__FILE__, '/');

	cands[1] = slash ? xasprintf("%.*s/httpd.py", (int)(slash - __FILE__), __FILE__)
			 : xstrdup("httpd.py");
	if (n > 0) {
		exe[n] = '\0';
		char *s = strrchr(exe, '/');
		if (s)
			*s = '\0';
		cands[2] = xasprintf("%s/../tests/unit/httpd.py", exe);
	}
	char *found = NULL;
	for (int i = 0; i < 3; i++) {
		if (!found && cands[i] && access(cands[i], R_OK) == 0)
			found = cands[i];
		else
			free(cands[i]);
	}
	/* Absolute: the tests run in a directory of their own. */
	char *abs = found ? realpath(found, NULL) : NULL;
	free(found);
	return abs;
}

/* Start HTTPD (the script's path, NULL when not found; freed here). */
static int start_server(char *httpd)
{
	int pfd[2];
	posix_spawn_file_actions_t fa;

	if (!httpd || pipe(pfd) < 0) {
		fprintf(stderr, "test_fetch: cannot find tests/unit/httpd.py\n");
		free(httpd);
		return -1;
	}
	char *argv[] = { "python3", httpd, www, reqlog, NULL };
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	int rc = posix_spawnp(&server_pid, "python3", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	free(httpd);
	if (rc != 0) {
		close(pfd[0]);
		server_pid = -1;
		return -1;
	}
	char line[32] = "";
	size_t len = 0;
	while (len < sizeof(line) - 1) {
		ssize_t n = read(pfd[0], line + len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	close(pfd[0]);
	port = atoi(line);
	return port > 0 ? 0 : -1;
}

/* A socket bound but never listening: connecting to it is refused, and
 * nobody else can take the port while we hold it. */
static int reserve_refused_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	refused_sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (refused_sock < 0 || bind(refused_sock, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(refused_sock, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	refused_port = ntohs(sa.sin_port);
	return 0;
}

/* The group's directory (testdir_group) holds everything the tests
 * write. */
static int group_setup(void **state)
{
	char *httpd = find_httpd(); /* before leaving the working directory */
	testdir_group_setup(state);
	www = testdir_path(&testdir_group, "www");
	reqlog = testdir_path(&testdir_group, "requests.log");

	/* Deterministic pseudo-random bytes, so nothing compresses or lines up. */
	good_data = xmalloc(good_len);
	uint32_t x = 12345;
	for (size_t i = 0; i < good_len; i++) {
		x = x * 1103515245u + 12345u;
		good_data[i] = (char)(x >> 16);
	}
	sha256_hex(good_data, good_len, good_sha);
	sha256_hex(good_data, good_len / 2, short_sha);
	put_file(".", "good.bin", good_data, good_len);
	put_file("short", "good.bin", good_data, good_len / 2);
	good_data[1000] ^= 0x55;
	sha256_hex(good_data, good_len, corrupt_sha);
	put_file("corrupt", "good.bin", good_data, good_len);
	good_data[1000] ^= 0x55;
	char *big = xmalloc(good_len + 10);
	memcpy(big, good_data, good_len);
	memset(big + good_len, 'x', 10);
	put_file("big", "good.bin", big, good_len + 10);
	free(big);

	setenv("MKDISTRO_NO_APT", "1", 1);
	if (reserve_refused_port() < 0 || start_server(httpd) < 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		while (waitpid(server_pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (refused_sock >= 0)
		close(refused_sock);
	free(www);
	free(reqlog);
	free(good_data);
	return testdir_group_teardown(state);
}

static int test_setup(void **state)
{
	static int n;
	char *name = xasprintf("cache%d", ++n);

	cache = path_join(testdir_group.path, name);
	free(name);
	fetch_set_timeouts(5, 5);
	return 0;
}

static int test_teardown(void **state)
{
	capture_cancel();
	while (nstrs > 0)
		free(strs[--nstrs]);
	rm_rf(cache);
	free(cache);
	cache = NULL;
	return 0;
}

static struct source new_source(void)
{
	struct source s = { .name = "test", .version = "1.0", .topdir = "test-1.0" };
	return s;
}

static void add_url(struct source *s, int on_port, const char *path, const char *file,
		    const char *sha, long long size)
{
	struct origin *o = &s->origins[s->norigins++];
	o->kind = ORIGIN_URL;
	o->url = keep(xasprintf("http://127.0.0.1:%d%s", on_port, path));
	o->file = file;
	o->sha256 = sha;
	o->size = size;
}

static void add_apt(struct source *s, const char *pkg, const char *ver, const char *file,
		    const char *sha, long long size)
{
	struct origin *o = &s->origins[s->norigins++];
	o->kind = ORIGIN_APT;
	o->apt_pkg = pkg;
	o->apt_ver = ver;
	o->file = file;
	o->sha256 = sha;
	o->size = size;
}

static int count_requests(const char *path)
{
	char *s = read_file_quiet(reqlog, NULL);
	int n = 0;
	if (!s)
		return 0;
	for (char *l = strtok(s, "\n"); l; l = strtok(NULL, "\n"))
		n += !strcmp(l, path);
	free(s);
	return n;
}

static void assert_file_good(const char *path)
{
	char hex[SHA256_HEX_LEN + 1];
	off_t size = 0;
	assert_int_equal(sha256_file(path, hex, &size), 0);
	assert_string_equal(hex, good_sha);
	assert_int_equal(size, good_len);
}

/* Neither temporary downloads nor apt scratch directories may remain. */
static void assert_no_leftovers(void)
{
	DIR *d = opendir(cache);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strstr(de->d_name, ".part.") || strstr(de->d_name, ".apt."))
			fail_msg("leftover '%s' in the cache", de->d_name);
	}
	closedir(d);
}

static const char *cache_path(const char *name)
{
	return keep(path_join(cache, name));
}

static void test_cache_dir(void **state)
{
	char *old_xdg = getenv("XDG_CACHE_HOME") ? xstrdup(getenv("XDG_CACHE_HOME")) : NULL;
	char *old_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	char *d;

	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	setenv("HOME", "/home/u", 1);
	d = fetch_cache_dir();
	assert_string_equal(d, "/x/cache/mkdistro/sources");
	free(d);
	unsetenv("XDG_CACHE_HOME");
	d = fetch_cache_dir();
	assert_string_equal(d, "/home/u/.cache/mkdistro/sources");
	free(d);
	setenv("XDG_CACHE_HOME", "relative", 1);
	d = fetch_cache_dir();
	assert_string_equal(d, "/home/u/.cache/mkdistro/sources");
	free(d);
	unsetenv("XDG_CACHE_HOME");
	unsetenv("HOME");
	struct capture cap;
	capture_start(&cap, 2);
	d = fetch_cache_dir();
	char *err = capture_end(&cap);
	assert_null(d);
	assert_non_null(strstr(err, "HOME"));
	free(err);

	if (old_xdg)
		setenv("XDG_CACHE_HOME", old_xdg, 1);
	if (old_home)
		setenv("HOME", old_home, 1);
	free(old_xdg);
	free(old_home);
}

static void test_good_download(void **state)
{
	struct source s = new_source();
	add_url(&s, port, "/good.bin", "good.bin", good_sha, (long long)good_len);
	int before = count_requests("/good.bin");

	struct capture cap;
	capture_start(&cap, 2);
	char *p = fetch_source(&s, cache, 0);
	char *err = capture_end(&cap);
	assert_non_null(p);
	assert_string_equal(p, cache_path("good.bin"));
	assert_file_good(p);
	assert_non_null(strstr(err, "fetch: good.bin from http://127.0.0.1:"));
	assert_int_equal(count_requests("/good.bin"), before + 1);
	assert_no_leftovers();
	free(p);
	free(err);

	/* Cached now: no second request, and offline works. */
	p = fetch_source(&s, cache, 0);
	assert_non_null(p);
	free(p);
	p = fetch_source(&s, cache, 1);
	assert_non_null(p);
	assert_file_good(p);
	free(p);
	assert_int_equal(count_requests("/good.bin"), before + 1);
}

static void test_redirect_and_unknown_size(void **state)
{
	struct source s = new_source();
	add_url(&s, port, "/redirect/good.bin", "good.bin", good_sha, 0);

	struct capture cap;
	capture_start(&cap, 2);
	char *p = fetch_source(&s, cache, 0);
	free(capture_end(&cap));
	assert_non_null(p);
	assert_file_good(p);
	free(p);
}

static void test_mismatch_then_next_origin(void **state)
{
	struct source s = new_source();
	/* Size unknown, so only the hash can catch the truncation. */
	add_url(&s, port, "/short/good.bin", "good.bin", good_sha, 0);
	add_url(&s, port, "/good.bin", "good.bin", good_sha, (long long)good_len);

	struct capture cap;
	capture_start(&cap, 2);
	char *p = fetch_source(&s, cache, 0);
	char *err = capture_end(&cap);
	assert_non_null(p);
	assert_file_good(p);
	assert_non_null(strstr(err, "'good.bin'"));
	assert_non_null(strstr(err, "sha256 mismatch"));
	assert_non_null(strstr(err, good_sha));
	assert_non_null(strstr(err, short_sha));
	assert_no_leftovers();
	free(err);
	free(p);
}

static void test_size_mismatch(void **state)
{
	struct source s = new_source();
	add_url(&s, port, "/short/good.bin", "good.bin", good_sha, (long long)good_len);

	struct capture cap;
	capture_start(&cap, 2);
	char *p = fetch_source(&s, cache, 0);
	char *err = capture_end(&cap);
	assert_null(p);
	assert_non_null(strstr(err, "size mismatch"));
	assert_false(path_exists(cache_path("good.bin")));
	assert_no_leftovers();
	free(err);
}

static void test_all_fail(void **state)
{
	struct source s = new_source();
	add_url(&s, refused_port, "/good.bin", "good.bin", good_sha, (long long)good_len);
	add_url(&s, port, "/missing.bin", "good.bin", good_sha, (long long)good_len);
	add_url(&s, port, "/corrupt/good.bin", "good.bin", good_sha, (long long)good_len);
	add_url(&s, port, "/big/good.bin", "good.bin", good_sha, (long long)good_len);

	struct capture cap;
	capture_start(&cap, 2);
	char *p = fetch_source(&s, cache, 0);
	char *err = capture_end(&cap);
	assert_null(p);
	/* The mismatch is reported as it happens, with both hashes. */
	assert_non_null(strstr(err, corrupt_sha));
	/* One summary naming every attempt and what to do. */
	char *sum = strstr(err, "mkdistro: fetch 'test 1.0': no good copy");
	assert_non_null(sum);
	assert_non_null(strstr(sum, "connection refused"));
	assert_non_null(strstr(sum, "/missing.bin (good.bin): HTTP 404"));
	assert_non_null(strstr(sum, "/corrupt/good.bin (good.bin): sha256 mismatch"));
	assert_non_null(strstr(sum, "/big/good.bin (good.bin): larger than the expected"));
	assert_non_null(strstr(sum, "Check the network"));
	assert_non_null(strstr(sum, "/etc/apt"));
	assert_non_null(strstr(sum, cache));
	assert_non_null(strstr(sum, good_sha));
	assert_false(path_exists(cache_path("good.bin")));
	assert_no_leftovers();
	free(err);
}

static void test_corrupt_cache_set_aside(void **state)
{
	struct source s = new_source();
	add_url(&s, port, "/good.bin", "good.bin", good_sha, (long long)good_len);
	char garbage_sha[SHA256_HEX_LEN + 1];
	sha256_hex("garbage\n", 8, garbage_sha);

	assert_int_equal(mkdir_p(cache, 0755), 0);
	for (int round = 1; round <= 2; round++) {
		assert_int_equal(write_file_atomic(cache_path("good.bin"), "garbage\n", 8, 0644), 0);
		struct capture cap;
		capture_start(&cap, 2);
		char *p = fetch_source(&s, cache, 0);
		char *err = capture_end(&cap);
		assert_non_null(p);
		assert_file_good(p);
		assert_non_null(strstr(err, "is corrupt"));
		assert_non_null(strstr(err, good_sha));
		assert_non_null(strstr(err, garbage_sha));
		char *bad = xasprintf("%s/good.bin.bad.%d", cache, round);
		assert_non_null(strstr(err, bad));
		size_t len = 0;
		char *kept = read_file(bad, &len);
		assert_non_null(kept);
		assert_string_equal(kept, "garbage\n");
		free(kept);
		free(bad);
		free(err);
		free(p);
	}
}

static void test_corrupt_cache_offline(void **state)
{
	struct source s = new_source();
	add_url(&s, port, "/good.bin", "good.bin", good_sha, (long long)good_len);
	int before = count_requests("/good.bin");

	assert_int_equal(mkdir_p(cache, 0755), 0);
	assert_int_equal(write_file_atomic(cache_path("good.bin"), good_data, good_len / 2, 0644), 0);
	struct capture cap;
	capture_start(&cap, 2);
	char *p = fetch_source(&s, cache, 1);
	char *err = capture_end(&cap);
	assert_null(p);
	assert_non_null(strstr(err, "offline"));
	assert_non_null(strstr(err, "is corrupt"));
	assert_true(path_exists(cache_path("good.bin.bad.1")));
	assert_false(path_exists(cache_path("good.bin")));
	assert_int_equal(count_requests("/good.bin"), before);
	free(err);
}

static void test_second_origin_cached(void **state)
{
	struct source s = new_source();
	add_url(&s, port, "/good.bin", "first.bin", good_sha, (long long)good_len);
	add_url(&s, port, "/good.bin", "second.bin", good_sha, (long long)good_len);
	int before = count_requests("/good.bin");

	assert_int_equal(mkdir_p(cache, 0755), 0);
	assert_int_equal(write_file_atomic(cache_path("second.bin"), good_data, good_len, 0644), 0);
	char *p = fetch_source(&s, cache, 0);
	assert_non_null(p);
	assert_string_equal(p, cache_path("second.bin"));
	assert_int_equal(count_requests("/good.bin"), before);
	free(p);
}

static void test_interrupted_download(void **state)
{
	struct source s = new_source();
	add_url(&s, port, "/cut/good.bin", "good.bin", good_sha, (long long)good_len);

	/* A stale temporary from an earlier crash is cleaned up too. */
	assert_int_equal(mkdir_p(cache, 0755), 0);
	assert_int_equal(write_file_atomic(cache_path(".good.bin.part.999999"), "x", 1, 0644), 0);
	struct capture cap;
	capture_start(&cap, 2);
	char *p = fetch_source(&s, cache, 0);
	char *err = capture_end(&cap);
	assert_null(p);
	assert_non_null(strstr(err, "/cut/good.bin (good.bin): "));
	assert_false(path_exists(cache_path("good.bin")));
	assert_no_leftovers();
	free(err);
}

static void test_stalled_server(void **state)
{
	struct source s = new_source();
	add_url(&s, port, "/stall/good.bin", "good.bin", good_sha, (long long)good_len);

	fetch_set_timeouts(2, 1);
	double t = now_seconds();
	struct capture cap;
	capture_start(&cap, 2);
	char *p = fetch_source(&s, cache, 0);
	char *err = capture_end(&cap);
	assert_null(p);
	assert_true(now_seconds() - t < 10);
	assert_non_null(strstr(err, "timed out"));
	assert_false(path_exists(cache_path("good.bin")));
	assert_no_leftovers();
	free(err);
}

static void test_offline_missing(void **state)
{
	struct source s = new_source();
	add_url(&s, port, "/good.bin", "good.bin", good_sha, (long long)good_len);
	int before = count_requests("/good.bin");

	struct capture cap;
	capture_start(&cap, 2);
	char *p = fetch_source(&s, cache, 1);
	char *err = capture_end(&cap);
	assert_null(p);
	assert_non_null(strstr(err, "offline"));
	assert_non_null(strstr(err, "by hand"));
	assert_int_equal(count_requests("/good.bin"), before);
	free(err);
}

static void test_apt_disabled(void **state)
{
	struct source s = new_source();
	add_apt(&s, "fakepkg", "1.0-1", "good_1.0.orig.tar.gz", good_sha, (long long)good_len);

	struct capture cap;
	capture_start(&cap, 2);
	char *p = fetch_source(&s, cache, 0);
	char *err = capture_end(&cap);
	assert_null(p);
	assert_non_null(strstr(err, "apt-get source fakepkg=1.0-1 (good_1.0.orig.tar.gz): "
				    "skipped: MKDISTRO_NO_APT"));
	free(err);
}

/* A stand-in apt-get on PATH: exercises the real process, working
 * directory and file pick-up without touching apt. */
static void test_fake_apt(void **state)
{
	char *bin = path_join(testdir_group.path, "bin");
	char *script = path_join(bin, "apt-get");
	char *good = path_join(www, "good.bin");
	char *text = xasprintf(
		"#!/bin/sh\n"
		/* mkdistro's own apt state: its options first; update
		 * leaves an index. */
		"while [ \"$1\" = -o ]; do case $2 in Dir::State::lists=*) lists=${2#*=};; esac; "
		"shift 2; done\n"
		"if [ \"$1\" = update ]; then mkdir -p \"$lists\" && : > \"$lists/fake_Sources\"; exit 0; fi\n"
		"[ \"$1 $2 $3\" = 'source --download-only --only-source' ] || exit 2\n"
		"for a; do spec=$a; done\n"
		"echo \"Reading package lists...\"\n"
		"case $spec in\n"
		"fakepkg=1.0-1) cp '%s' good_1.0.orig.tar.gz; echo other > good_1.0-1.dsc ;;\n"
		"badpkg=1.0-1) echo corrupt > bad_1.0.orig.tar.gz ;;\n"
		"*) echo \"E: Unable to find a source package for ${spec%%=*}\"; exit 100 ;;\n"
		"esac\n", good);
	char *oldpath = xstrdup(getenv("PATH"));
	char *newpath = xasprintf("%s:%s", bin, oldpath);

	assert_int_equal(mkdir_p(bin, 0755), 0);
	assert_int_equal(write_file_atomic(script, text, strlen(text), 0755), 0);
	setenv("PATH", newpath, 1);
	unsetenv("MKDISTRO_NO_APT");
	/* Its apt state in the test's directory, never the user's cache. */
	char *oldxdg = getenv("XDG_CACHE_HOME") ? xstrdup(getenv("XDG_CACHE_HOME")) : NULL;
	char *xdg = path_join(testdir_group.path, "xdg");
	setenv("XDG_CACHE_HOME", xdg, 1);

	struct source s = new_source();
	add_apt(&s, "fakepkg", "1.0-1", "good_1.0.orig.tar.gz", good_sha, (long long)good_len);
	struct capture cap;
	capture_start(&cap, 2);
	char *p = fetch_source(&s, cache, 0);
	char *err = capture_end(&cap);
	assert_non_null(p);
	assert_string_equal(p, cache_path("good_1.0.orig.tar.gz"));
	assert_file_good(p);
	assert_non_null(strstr(err, "fetch: good_1.0.orig.tar.gz from apt-get source fakepkg=1.0-1"));
	assert_no_leftovers();
	assert_false(path_exists(cache_path("good_1.0-1.dsc")));
	free(p);
	free(err);

	struct source u = new_source();
	add_apt(&u, "nosuchpkg", "2.0-1", "nosuch_2.0.orig.tar.gz", good_sha, 0);
	add_apt(&u, "badpkg", "1.0-1", "bad_1.0.orig.tar.gz", good_sha, 0);
	capture_start(&cap, 2);
	p = fetch_source(&u, cache, 0);
	err = capture_end(&cap);
	assert_null(p);
	assert_non_null(strstr(err, "exit status 100: E: Unable to find a source package for nosuchpkg"));
	assert_non_null(strstr(err, "apt-get source badpkg=1.0-1 (bad_1.0.orig.tar.gz): sha256 mismatch"));
	assert_non_null(strstr(err, "/etc/apt"));
	assert_false(path_exists(cache_path("bad_1.0.orig.tar.gz")));
	assert_no_leftovers();
	free(err);
	/* The apt state was the test's, made from the machine's sources. */
	char *list = path_join(xdg, "mkdistro/apt/sources.list");
	char *lt = read_file(list, NULL);
	assert_non_null(lt);
	assert_non_null(strstr(lt, "deb-src "));
	free(lt);
	free(list);

	if (oldxdg)
		setenv("XDG_CACHE_HOME", oldxdg, 1);
	else
		unsetenv("XDG_CACHE_HOME");
	free(oldxdg);
	free(xdg);
	setenv("PATH", oldpath, 1);
	setenv("MKDISTRO_NO_APT", "1", 1);
	free(oldpath);
	free(newpath);
	free(text);
	free(good);
	free(script);
	free(bin);
}

/* Two processes fetching the same file: the lock makes the second wait
 * and then find the first one's copy, so the server sees one request. */
static void test_concurrent_fetch(void **state)
{
	struct source s = new_source();
	add_url(&s, port, "/slow/good.bin", "good.bin", good_sha, (long long)good_len);
	pid_t pids[2];
	int before = count_requests("/slow/good.bin");

	assert_int_equal(mkdir_p(cache, 0755), 0);
	struct capture cap;
	capture_start(&cap, 2);
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char *p = fetch_source(&s, cache, 0);
			_exit(p ? 0 : 1);
		}
	}
	for (int i = 0; i < 2; i++) {
		int st = 0;
		while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
			;
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	free(capture_end(&cap));
	assert_file_good(cache_path("good.bin"));
	assert_int_equal(count_requests("/slow/good.bin"), before + 1);
	assert_no_leftovers();
}

static void test_malformed_entry(void **state)
{
	struct source s = new_source();
	add_url(&s, port, "/good.bin", "../good.bin", good_sha, 0);

	struct capture cap;
	capture_start(&cap, 2);
	char *p = fetch_source(&s, cache, 0);
	char *err = capture_end(&cap);
	assert_null(p);
	assert_non_null(strstr(err, "malformed"));
	free(err);
}

/* In the child of tinyfs_run, with the cache on a 64 KiB file system:
 * the 300 KiB download must fail and leave nothing but its lock file. */
static int fetch_into_full_cache(void *arg)
{
	const struct source *s = arg;
	char *p = fetch_source(s, cache, 0);
	if (p) {
		fprintf(stderr, "test: fetch_source succeeded on a full disk: '%s'\n", p);
		return 1;
	}
	DIR *d = opendir(cache);
	struct dirent *de;
	int left = 0;
	while (d && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, ".good.bin.lock")) {
			fprintf(stderr, "test: left in the cache: '%s'\n", de->d_name);
			left = 1;
		}
	}
	if (d)
		closedir(d);
	return d ? left * 2 : 3;
}

/* Disk full (ENOSPC) while downloading: an error that names the file and
 * says what to do, no file in the cache, no temporary file, no other
 * origin tried (the disk is as full for it). */
static void test_disk_full(void **state)
{
	struct source s = new_source();
	add_url(&s, port, "/good.bin", "good.bin", good_sha, (long long)good_len);
	add_url(&s, port, "/redirect/good.bin", "good.bin", good_sha, (long long)good_len);
	int before = count_requests("/redirect/good.bin");
	assert_int_equal(mkdir_p(cache, 0755), 0);

	struct capture cap;
	capture_start(&cap, 2);
	int rc = tinyfs_run(cache, 64, fetch_into_full_cache, &s);
	char *err = capture_end(&cap);
	if (rc < 0) {
		fputs(err, stderr);
		free(err);
		skip();
	}
	if (rc != 0)
		fprintf(stderr, "%s", err);
	assert_int_equal(rc, 0);
	char *part = xasprintf("cannot write '%s/.good.bin.part.", cache);
	assert_non_null(strstr(err, part));
	assert_non_null(strstr(err, "': No space left on device"));
	char *full = xasprintf("The cache '%s' is full (No space left on device): free space there, "
			       "or set XDG_CACHE_HOME", cache);
	assert_non_null(strstr(err, full));
	assert_null(strstr(err, "Check the network"));
	assert_int_equal(count_requests("/redirect/good.bin"), before);
	free(full);
	free(part);
	free(err);
}

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cache_dir),
		T(test_good_download),
		T(test_redirect_and_unknown_size),
		T(test_mismatch_then_next_origin),
		T(test_size_mismatch),
		T(test_all_fail),
		T(test_corrupt_cache_set_aside),
		T(test_corrupt_cache_offline),
		T(test_second_origin_cached),
		T(test_interrupted_download),
		T(test_stalled_server),
		T(test_offline_missing),
		T(test_apt_disabled),
		T(test_fake_apt),
		T(test_concurrent_fetch),
		T(test_malformed_entry),
		T(test_disk_full),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
