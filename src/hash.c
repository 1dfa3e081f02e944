#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util.h"

struct hasher {
	EVP_MD_CTX *ctx;
};

struct hasher *hasher_new(void)
{
	struct hasher *h = xmalloc(sizeof(*h));
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		die("libcrypto: cannot initialise SHA-256");
	return h;
}

void hasher_add(struct hasher *h, const void *data, size_t n)
{
	if (EVP_DigestUpdate(h->ctx, data, n) != 1)
		die("libcrypto: SHA-256 update failed");
}

void hasher_addstr(struct hasher *h, const char *s)
{
	/* Include the terminator so that ("ab","c") and ("a","bc") differ. */
	hasher_add(h, s, strlen(s) + 1);
}

void hasher_finish(struct hasher *h, char hex[SHA256_HEX_LEN + 1])
{
	unsigned char md[32];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != sizeof(md))
		die("libcrypto: SHA-256 final failed");
	for (unsigned i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void sha256_hex(const void *data, size_t n, char hex[SHA256_HEX_LEN + 1])
{
	struct hasher *h = hasher_new();
	hasher_add(h, data, n);
	hasher_finish(h, hex);
}

int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1], off_t *size)
{
	char block[1 << 15];
	off_t total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	struct hasher *h = hasher_new();
	while ((n = read(fd, block, sizeof(block))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			hasher_finish(h, hex);
			errno = e;
			return -1;
		}
		hasher_add(h, block, (size_t)n);
		total += n;
	}
	close(fd);
	hasher_finish(h, hex);
	if (size)
		*size = total;
	return 0;
}
