#include "catalog.h"

#include <string.h>

#include "util.h"

/* The first entry of each name is its default (the seed system). */
static const struct source catalog[] = {
	{
		.name = "linux", .version = "6.1.176", .topdir = "linux-6.1.176",
		.origins = {
			{ .kind = ORIGIN_URL,
			  .url = "https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-6.1.176.tar.xz",
			  .file = "linux-6.1.176.tar.xz",
			  /* From a public record; its size is not on record. */
			  .sha256 = "aa19772dba40e9737356c00d0671cdedbe26cc895eff062868f0a1f688ae44f6",
			  .size = 0 },
			/* Debian's repack: different bytes, same tree minus a few
			 * non-free fbdev drivers. */
			{ .kind = ORIGIN_APT, .apt_pkg = "linux", .apt_ver = "6.1.176-1",
			  .file = "linux_6.1.176.orig.tar.xz",
			  .sha256 = "9aad4025973feea3f0d978e82ab7db97d8d5ce3f59fcc6b1f316153d66e3a504",
			  .size = 137945728 },
		},
		.norigins = 2,
	},
	{
		.name = "musl", .version = "1.2.3", .topdir = "musl-1.2.3",
		.origins = {
			{ .kind = ORIGIN_URL,
			  .url = "https://musl.libc.org/releases/musl-1.2.3.tar.gz",
			  .file = "musl-1.2.3.tar.gz",
			  .sha256 = "7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4",
			  .size = 1058642 },
			{ .kind = ORIGIN_APT, .apt_pkg = "musl", .apt_ver = "1.2.3-1",
			  .file = "musl_1.2.3.orig.tar.gz",
			  .sha256 = "7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4",
			  .size = 1058642 },
		},
		.norigins = 2,
	},
	{
		.name = "busybox", .version = "1.35.0", .topdir = "busybox-1.35.0",
		.origins = {
			{ .kind = ORIGIN_URL,
			  .url = "https://busybox.net/downloads/busybox-1.35.0.tar.bz2",
			  .file = "busybox-1.35.0.tar.bz2",
			  .sha256 = "faeeb244c35a348a334f4a59e44626ee870fb07b6884d68c10ae8bc19f83a694",
			  .size = 2480624 },
			{ .kind = ORIGIN_APT, .apt_pkg = "busybox", .apt_ver = "1:1.35.0-4+deb12u1",
			  .file = "busybox_1.35.0.orig.tar.bz2",
			  .sha256 = "faeeb244c35a348a334f4a59e44626ee870fb07b6884d68c10ae8bc19f83a694",
			  .size = 2480624 },
		},
		.norigins = 2,
	},
};

const struct source *catalog_find(const char *name, const char *version)
{
	for (size_t i = 0; i < sizeof(catalog) / sizeof(catalog[0]); i++)
		if (!strcmp(catalog[i].name, name) && !strcmp(catalog[i].version, version))
			return &catalog[i];
	return NULL;
}

const struct source *catalog_entry(size_t i)
{
	return i < sizeof(catalog) / sizeof(catalog[0]) ? &catalog[i] : NULL;
}

const char *catalog_default_version(const char *name)
{
	for (size_t i = 0; i < sizeof(catalog) / sizeof(catalog[0]); i++)
		if (!strcmp(catalog[i].name, name))
			return catalog[i].version;
	return NULL;
}

char *catalog_versions(const char *name)
{
	struct buf b = {0};
	for (size_t i = 0; i < sizeof(catalog) / sizeof(catalog[0]); i++)
		if (!strcmp(catalog[i].name, name))
			buf_printf(&b, "%s%s", b.len ? ", " : "", catalog[i].version);
	return buf_steal(&b);
}
