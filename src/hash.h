/* hash: SHA-256 through OpenSSL's libcrypto, as lowercase hex. */
#ifndef MKDISTRO_HASH_H
#define MKDISTRO_HASH_H

#include <stddef.h>
#include <sys/types.h>

#define SHA256_HEX_LEN 64

/* Incremental hashing context; opaque. */
struct hasher;
/* New context; dies on allocation failure. */
struct hasher *hasher_new(void);
void hasher_add(struct hasher *h, const void *data, size_t n);
void hasher_addstr(struct hasher *h, const char *s);
/* Write the digest as 64 hex chars plus NUL into HEX and free H. */
void hasher_finish(struct hasher *h, char hex[SHA256_HEX_LEN + 1]);

/* Digest of a buffer. */
void sha256_hex(const void *data, size_t n, char hex[SHA256_HEX_LEN + 1]);
/* Digest and size of a file. Returns 0, or -1 with errno set (silent). */
int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1], off_t *size);

#endif
