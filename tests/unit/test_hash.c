/* Tests for hash: SHA-256 against the published test vectors (FIPS 180-2
 * examples), incremental against one-shot, and files of several sizes. */
#include <errno.h>
#include <fcntl.h>
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

#include "hash.h"
#include "testutil.h"
#include "util.h"

#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MSG_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define SHA_448 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
/* One million times 'a'. */
#define SHA_MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

/* Every digest is 64 lowercase hex digits and a NUL. */
static void assert_hex(const char hex[SHA256_HEX_LEN + 1])
{
	assert_int_equal(strlen(hex), SHA256_HEX_LEN);
	for (int i = 0; i < SHA256_HEX_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", hex[i]));
}

static void test_vectors(void **state)
{
	char hex[SHA256_HEX_LEN + 1];

	memset(hex, 'X', sizeof(hex));
	sha256_hex("", 0, hex);
	assert_hex(hex);
	assert_string_equal(hex, SHA_EMPTY);

	memset(hex, 'X', sizeof(hex));
	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, SHA_ABC);

	sha256_hex(MSG_448, strlen(MSG_448), hex);
	assert_string_equal(hex, SHA_448);

	char *a = xmalloc(1000000);
	memset(a, 'a', 1000000);
	sha256_hex(a, 1000000, hex);
	assert_string_equal(hex, SHA_MILLION_A);
	free(a);

	/* NUL bytes are data. */
	sha256_hex("abc\0", 4, hex);
	assert_string_not_equal(hex, SHA_ABC);
}

static void test_incremental(void **state)
{
	char one[SHA256_HEX_LEN + 1], inc[SHA256_HEX_LEN + 1];
	size_t n = 100000;
	unsigned char *data = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 131 + (i >> 8));
	sha256_hex(data, n, one);

	/* Pieces that straddle the 64-byte block boundary in every way. */
	static const size_t steps[] = { 1, 3, 63, 64, 65, 1000, 4096, 99999 };
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		struct hasher *h = hasher_new();
		for (size_t off = 0; off < n; off += steps[k]) {
			size_t len = n - off < steps[k] ? n - off : steps[k];
			hasher_add(h, data + off, len);
		}
		hasher_finish(h, inc);
		if (strcmp(one, inc))
			fail_msg("pieces of %zu bytes: %s, one-shot %s", steps[k], inc, one);
	}
	free(data);

	/* Empty additions change nothing. */
	struct hasher *h = hasher_new();
	hasher_add(h, "", 0);
	hasher_add(h, "ab", 2);
	hasher_add(h, "", 0);
	hasher_add(h, "c", 1);
	hasher_finish(h, inc);
	assert_string_equal(inc, SHA_ABC);
}

static void test_addstr_terminator(void **state)
{
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1], ref[SHA256_HEX_LEN + 1];

	/* hasher_addstr hashes the string with its terminator. */
	struct hasher *h = hasher_new();
	hasher_addstr(h, "abc");
	hasher_finish(h, a);
	sha256_hex("abc", 4, ref);
	assert_string_equal(a, ref);

	/* So that the split of a sequence of strings matters. */
	h = hasher_new();
	hasher_addstr(h, "ab");
	hasher_addstr(h, "c");
	hasher_finish(h, a);
	h = hasher_new();
	hasher_addstr(h, "a");
	hasher_addstr(h, "bc");
	hasher_finish(h, b);
	assert_string_not_equal(a, b);
	assert_hex(a);
	assert_hex(b);
}

static char *write_tmp(const struct testdir *t, const char *name, const void *data, size_t n)
{
	char *p = path_join(t->path, name);
	assert_int_equal(write_file_atomic(p, data, n, 0644), 0);
	return p;
}

static void test_file(void **state)
{
	struct testdir *t = *state;
	char hex[SHA256_HEX_LEN + 1];
	off_t size = -1;

	char *p = write_tmp(t, "abc", "abc", 3);
	assert_int_equal(sha256_file(p, hex, &size), 0);
	assert_string_equal(hex, SHA_ABC);
	assert_int_equal(size, 3);
	free(p);

	p = write_tmp(t, "empty", "", 0);
	size = -1;
	assert_int_equal(sha256_file(p, hex, &size), 0);
	assert_string_equal(hex, SHA_EMPTY);
	assert_int_equal(size, 0);
	/* SIZE may be NULL. */
	assert_int_equal(sha256_file(p, hex, NULL), 0);
	assert_string_equal(hex, SHA_EMPTY);
	free(p);

	/* Many read blocks, and a size that is not a multiple of any. */
	char *a = xmalloc(1000000);
	memset(a, 'a', 1000000);
	p = write_tmp(t, "million", a, 1000000);
	assert_int_equal(sha256_file(p, hex, &size), 0);
	assert_string_equal(hex, SHA_MILLION_A);
	assert_int_equal(size, 1000000);
	free(p);
	p = write_tmp(t, "odd", a, 70001);
	char ref[SHA256_HEX_LEN + 1];
	sha256_hex(a, 70001, ref);
	assert_int_equal(sha256_file(p, hex, &size), 0);
	assert_string_equal(hex, ref);
	assert_int_equal(size, 70001);
	free(p);
	free(a);
}

static void test_file_errors(void **state)
{
	struct testdir *t = *state;
	char hex[SHA256_HEX_LEN + 1];
	off_t size = 77;

	char *p = path_join(t->path, "missing");
	errno = 0;
	assert_int_equal(sha256_file(p, hex, &size), -1);
	assert_int_equal(errno, ENOENT);
	free(p);

	/* A directory opens but cannot be read. */
	errno = 0;
	assert_int_equal(sha256_file(t->path, hex, &size), -1);
	assert_int_equal(errno, EISDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_addstr_terminator),
		testdir_test(test_file),
		testdir_test(test_file_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
