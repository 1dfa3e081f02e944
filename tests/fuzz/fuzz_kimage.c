/* Fuzz target: kernel images (kimage.c). The input is written to a file
 * and identified; any bytes must give either a kernel image (a format, no
 * message, an architecture of the table or none, a printable version
 * string if any) or a message naming the file, never a crash. Release
 * and embedded configuration must agree with the identification: -1
 * exactly when it failed, a release that is one word of release
 * characters, a configuration that is text of at most 16 MiB. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arch.h"
#include "fuzz.h"
#include "kimage.h"

static char *file;

static void check_printable(const char *what, const char *s, size_t max)
{
	if (strlen(s) == 0 || strlen(s) > max)
		fuzz_fail("%s of length %zu", what, strlen(s));
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			fuzz_fail("%s with byte 0x%02x", what, (unsigned char)*s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!file)
		file = path_join(fuzz_tmpdir("kimage"), "vmlinuz");
	fuzz_quiet();
	if (write_file_atomic(file, data, size, 0644) < 0)
		abort();
	struct kimage k;
	int rc = kimage_identify(file, &k);
	if (rc == 0) {
		if (!k.format || k.message)
			fuzz_fail("a kernel image without a format, or with a message");
		if (k.arch && !arch_find(k.arch))
			fuzz_fail("architecture '%s' is not in the table", k.arch);
		if (k.version)
			check_printable("version", k.version, 255);
	} else if (rc == 1 || rc == -1) {
		if (!k.message || strncmp(k.message, "kernel '", 8) || !strstr(k.message, file))
			fuzz_fail("message '%s' does not name the file", k.message ? k.message : "");
		if (k.arch)
			fuzz_fail("an architecture for a file that is not a kernel");
	} else {
		fuzz_fail("kimage_identify returned %d", rc);
	}
	kimage_free(&k);

	char *r = NULL;
	int rr = kimage_release(file, &r);
	if ((rr == -1) != (rc != 0) || (rr == 0) != (r != NULL) || rr < -1 || rr > 1)
		fuzz_fail("kimage_release returned %d after %d", rr, rc);
	if (r) {
		check_printable("release", r, 64);
		if (r[0] < '0' || r[0] > '9' || strspn(r, "0123456789abcdefghijklmnopqrstuvwxyz"
						      "ABCDEFGHIJKLMNOPQRSTUVWXYZ._+-~") != strlen(r))
			fuzz_fail("release '%s'", r);
	}
	free(r);

	struct buf cfg = { 0 };
	int rk = kimage_ikconfig(file, &cfg);
	if ((rk == -1 && rc == 0 && cfg.len) || (rc != 0 && rk != -1) || rk < -1 || rk > 1)
		fuzz_fail("kimage_ikconfig returned %d after %d", rk, rc);
	if (rk != 0 && cfg.len)
		fuzz_fail("kimage_ikconfig gave text and returned %d", rk);
	if (cfg.len > 16 * 1024 * 1024 || memchr(cfg.s ? cfg.s : "", '\0', cfg.len))
		fuzz_fail("a configuration of %zu bytes that is not text", cfg.len);
	buf_free(&cfg);
	fuzz_loud();
	return 0;
}
