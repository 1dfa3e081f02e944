/* Tests for userimage: a kernel image the user gives, checked against the
 * target (synthetic headers of each kind the messages tell apart), and its
 * configuration found beside it, given, or embedded in it. */
#include <stdint.h>
#include <sys/stat.h>

#include "arch.h"
#include "compress.h"
#include "kconfig.h"
#include "kimage.h"
#include "testutil.h"
#include "userimage.h"
#include "util.h"

#define VERSION "6.1.99-test (me@here) #1 SMP"

/* The LEN bytes of DATA as the file NAME in test directory T; its
 * absolute path (new memory). */
static char *put(const struct testdir *t, const char *name, const void *data, size_t len)
{
	write_test_file(t->path, name, ""); /* with its directories */
	char *p = path_join(t->path, name);
	assert_int_equal(write_file_atomic(p, data, len, 0644), 0);
	return p;
}

/* An x86 bzImage's setup (five sectors), boot protocol 2.15, no payload:
 * 64-bit when XLF is 1. */
static char *bzimage(const struct testdir *t, const char *name, unsigned xlf)
{
	unsigned char h[5 * 512] = { 0 };
	h[0x1f1] = 4;
	h[0x1fe] = 0x55;
	h[0x1ff] = 0xaa;
	memcpy(h + 0x202, "HdrS", 4);
	h[0x206] = 0x0f;
	h[0x207] = 0x02;
	h[0x20e] = 0x00; /* the version string at 0x100 + 0x200 */
	h[0x20f] = 0x01;
	h[0x211] = 1;
	h[0x236] = (unsigned char)xlf;
	memcpy(h + 0x300, VERSION, sizeof(VERSION));
	return put(t, name, h, sizeof(h));
}

/* An arm64 Image header (flags: bit 0 big-endian), then BODY. */
static char *arm64(const struct testdir *t, const char *name, unsigned flags, const char *body,
		   size_t len)
{
	struct buf b = { 0 };
	unsigned char h[64] = { 0 };
	memcpy(h + 0x38, "ARM\x64", 4);
	h[0x18] = (unsigned char)flags;
	buf_add(&b, h, sizeof(h));
	buf_add(&b, body, len);
	char *p = put(t, name, b.s, b.len);
	buf_free(&b);
	return p;
}

/* userimage_check of PATH for the target ARCH: RC, and what it printed
 * (new memory). */
static char *check(const char *path, const char *arch, int rc)
{
	struct capture c;
	struct kimage k;
	capture_start(&c, STDERR_FILENO);
	int got = userimage_check(path, arch_find(arch), &k);
	char *err = capture_end(&c);
	assert_int_equal(got, rc);
	if (rc == 0)
		kimage_free(&k);
	return err;
}

/* userimage_check refuses PATH for ARCH with "mkdistro: kernel 'PATH'"
 * and TAIL. */
static void expect_refused(const char *path, const char *arch, const char *tail)
{
	char *err = check(path, arch, -1);
	char *want = xasprintf("mkdistro: kernel '%s'%s", path, tail);
	assert_string_equal(err, want);
	free(want);
	free(err);
}

static void test_check(void **state)
{
	const struct testdir *t = *state;
	char *bz = bzimage(t, "bzImage", 1);
	char *bz32 = bzimage(t, "bzImage32", 0);
	char *img = arm64(t, "Image", 0, "kernel", 6);
	char *be = arm64(t, "Image.be", 1, "kernel", 6);
	char *text = put(t, "notes.txt", "hello\n", 6);
	char *missing = path_join(t->path, "missing");

	/* What fits says nothing. */
	char *err = check(bz, "x86_64", 0);
	assert_string_equal(err, "");
	free(err);
	err = check(img, "aarch64", 0);
	assert_string_equal(err, "");
	free(err);
	/* An x32 system runs on an x86_64 kernel. */
	err = check(bz, "x32", 0);
	assert_string_equal(err, "");
	free(err);

	expect_refused(img, "x86_64",
		     " (arm64 Image) is for aarch64, the target is x86_64: "
		     "add --arch aarch64\n");
	expect_refused(bz, "i686",
		     " (x86 bzImage) is for x86_64, the target is i686: "
		     "add --arch x86_64\n");
	expect_refused(bz32, "x86_64",
		     " (x86 bzImage) is for i686, the target is x86_64: "
		     "add --arch i686\n");
	expect_refused(be, "aarch64",
		     " (arm64 Image) is for no architecture mkdistro boots: "
		     "a big-endian arm64 kernel: the aarch64 target is little-endian\n");
	/* kimage's own message for what is no kernel or cannot be read. */
	err = check(text, "x86_64", -1);
	char *want = xasprintf("mkdistro: kernel '%s': not a kernel image", text);
	assert_true(!strncmp(err, want, strlen(want)));
	free(want);
	free(err);
	expect_refused(missing, "x86_64", ": No such file or directory\n");
	expect_refused(t->path, "x86_64", ": not a regular file\n");

	free(bz);
	free(bz32);
	free(img);
	free(be);
	free(text);
	free(missing);
}

/* userimage_config_beside(IMAGE, RELEASE) is WANT (relative to T, or NULL). */
static void expect_beside(const struct testdir *t, const char *image, const char *release,
			  const char *want)
{
	char *path = image[0] == '/' ? xstrdup(image) : path_join(t->path, image);
	char *got = userimage_config_beside(path, release);
	if (!want) {
		assert_null(got);
	} else {
		char *w = path_join(t->path, want);
		assert_non_null(got);
		assert_string_equal(got, w);
		free(w);
	}
	free(got);
	free(path);
}

static void test_config_beside(void **state)
{
	const struct testdir *t = *state;
	char *p[] = {
		put(t, "deb/boot/vmlinuz-6.1.0-9-amd64", "k", 1),
		put(t, "deb/boot/config-6.1.0-9-amd64", "CONFIG_A=y\n", 11),
		put(t, "tree/vmlinux", "k", 1),
		put(t, "tree/.config", "CONFIG_A=y\n", 11),
		put(t, "obj/arch/x86/boot/bzImage", "k", 1),
		put(t, "obj/.config", "CONFIG_A=y\n", 11),
		put(t, "bare/vmlinuz", "k", 1),
	};

	/* Debian's /boot: config-RELEASE beside vmlinuz-RELEASE. */
	expect_beside(t, "deb/boot/vmlinuz-6.1.0-9-amd64", "6.1.0-9-amd64",
		      "deb/boot/config-6.1.0-9-amd64");
	/* Another release's configuration is not this kernel's. */
	expect_beside(t, "deb/boot/vmlinuz-6.1.0-9-amd64", "6.1.0-10-amd64", NULL);
	expect_beside(t, "deb/boot/vmlinuz-6.1.0-9-amd64", NULL, NULL);
	/* A kernel's object directory: .config beside vmlinux, or above
	 * arch/NAME/boot/. */
	expect_beside(t, "tree/vmlinux", "6.1.99", "tree/.config");
	expect_beside(t, "obj/arch/x86/boot/bzImage", NULL, "obj/.config");
	expect_beside(t, "bare/vmlinuz", "6.1.99", NULL);
	/* config-RELEASE wins over .config. */
	char *q = put(t, "deb/boot/.config", "CONFIG_B=y\n", 11);
	expect_beside(t, "deb/boot/vmlinuz-6.1.0-9-amd64", "6.1.0-9-amd64",
		      "deb/boot/config-6.1.0-9-amd64");
	expect_beside(t, "deb/boot/vmlinuz-6.1.0-9-amd64", "6.1.0-10-amd64", "deb/boot/.config");
	/* Only a regular file counts. */
	char *d = path_join(t->path, "bare/config-6.1.99");
	assert_int_equal(mkdir_p(d, 0755), 0);
	expect_beside(t, "bare/vmlinuz", "6.1.99", NULL);
	/* A relative name looks in the current directory. */
	assert_int_equal(chdir("deb/boot"), 0);
	char *got = userimage_config_beside("vmlinuz-6.1.0-9-amd64", "6.1.0-9-amd64");
	assert_string_equal(got, "./config-6.1.0-9-amd64");
	free(got);
	assert_int_equal(chdir(t->path), 0);

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		free(p[i]);
	free(q);
	free(d);
}

/* userimage_kconfig of IMAGE with CONFIG into K: RC, and *FROM (NULL:
 * none). Returns what it printed (new memory). FROM is freed. */
static char *kconfig_of(const char *image, const char *config, int rc, char *want_from,
			struct kconfig_set *k)
{
	struct capture c;
	char *from = (char *)"unset";
	capture_start(&c, STDERR_FILENO);
	assert_int_equal(userimage_kconfig(image, config, k, &from), rc);
	char *err = capture_end(&c);
	if (want_from) {
		assert_non_null(from);
		assert_string_equal(from, want_from);
	} else {
		assert_null(from);
	}
	free(from);
	free(want_from);
	return err;
}

static void test_kconfig(void **state)
{
	const struct testdir *t = *state;
	struct kconfig_set k;
	char *bz = bzimage(t, "boot/vmlinuz-6.1.99-test", 1);
	char *given = put(t, "given.config", "CONFIG_GIVEN=y\n", 15);

	/* None beside it, none embedded. */
	char *err = kconfig_of(bz, NULL, 1, NULL, &k);
	assert_string_equal(err, "");
	free(err);
	kconfig_free(&k);

	/* The release from the image's header finds config-RELEASE. */
	char *beside = put(t, "boot/config-6.1.99-test", "CONFIG_BESIDE=y\n", 16);
	err = kconfig_of(bz, NULL, 0, xasprintf("'%s'", beside), &k);
	assert_string_equal(err, "");
	assert_string_equal(kconfig_get(&k, "BESIDE"), "y");
	free(err);
	kconfig_free(&k);

	/* --kernel-config wins. */
	err = kconfig_of(bz, given, 0, xasprintf("'%s'", given), &k);
	assert_string_equal(kconfig_get(&k, "GIVEN"), "y");
	assert_null(kconfig_get(&k, "BESIDE"));
	free(err);
	kconfig_free(&k);

	/* A configuration that does not parse: the parser says why. */
	char *bad = put(t, "bad.config", "CONFIG_=y\n", 10);
	err = kconfig_of(bz, bad, -1, xasprintf("'%s'", bad), &k);
	assert_non_null(strstr(err, "missing name after CONFIG_"));
	free(err);
	kconfig_free(&k);

	/* Embedded as scripts/extract-ikconfig finds it: gzip data between
	 * the markers, here in an uncompressed arm64 Image. */
	char *cfg = put(t, "ik.config", "CONFIG_IKCONFIG=y\nCONFIG_EMBEDDED=y\n", 36);
	char *gz = path_join(t->path, "ik.config.gz");
	assert_int_equal(compress_file(cfg, gz, "gzip"), 0);
	size_t n;
	char *z = read_file(gz, &n);
	struct buf body = { 0 };
	buf_addstr(&body, "Linux version 6.1.99-arm (me@here) #1\nIKCFG_ST");
	buf_add(&body, z, n);
	buf_addstr(&body, "IKCFG_ED");
	char *img = arm64(t, "arm/Image", 0, body.s, body.len);
	err = kconfig_of(img, NULL, 0, xasprintf("the configuration embedded in '%s'", img), &k);
	assert_string_equal(err, "");
	assert_string_equal(kconfig_get(&k, "EMBEDDED"), "y");
	free(err);
	kconfig_free(&k);

	free(z);
	buf_free(&body);
	free(gz);
	free(cfg);
	free(img);
	free(bad);
	free(beside);
	free(given);
	free(bz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		testdir_test(test_check),
		testdir_test(test_config_beside),
		testdir_test(test_kconfig),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
