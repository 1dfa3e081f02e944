/* catalog: the source files mkdistro knows, each pinned by sha256 and size,
 * with the places it can be fetched from. */
#ifndef MKDISTRO_CATALOG_H
#define MKDISTRO_CATALOG_H

#include <stddef.h>

enum origin_kind {
	ORIGIN_URL, /* an http(s) URL, fetched with libcurl */
	ORIGIN_APT, /* a Debian source package: apt-get source --download-only */
};

/* One place a source file can come from. The same release can exist as
 * different bytes in different places (Debian repacks the kernel), so each
 * origin carries its own file name, hash and size. */
struct origin {
	enum origin_kind kind;
	const char *url;     /* ORIGIN_URL: full URL of FILE */
	const char *apt_pkg; /* ORIGIN_APT: source package name */
	const char *apt_ver; /* ORIGIN_APT: exact Debian version */
	const char *file;    /* file name; also its name in the cache */
	const char *sha256;  /* 64 lowercase hex digits */
	long long size;      /* bytes; 0 when no trustworthy record exists */
};

#define MAX_ORIGINS 4

/* A release of one component. */
struct source {
	const char *name;    /* "linux", "musl", "busybox" */
	const char *version; /* "6.1.176" */
	const char *topdir;  /* directory the archive unpacks to */
	struct origin origins[MAX_ORIGINS];
	size_t norigins;
};

/* The entry for NAME at VERSION, or NULL. */
const struct source *catalog_find(const char *name, const char *version);
/* The I-th entry of the catalog, or NULL past its end. */
const struct source *catalog_entry(size_t i);
/* The default version of NAME (the seed system's), or NULL. */
const char *catalog_default_version(const char *name);
/* Known versions of NAME as "a, b, c" in new memory, for error messages. */
char *catalog_versions(const char *name);

#endif
