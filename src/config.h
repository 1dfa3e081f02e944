/* config: the system description mkdistro.conf (INI), with a built-in
 * default so that no file is needed. */
#ifndef MKDISTRO_CONFIG_H
#define MKDISTRO_CONFIG_H

#include <stddef.h>

#define CONFIG_FILE "mkdistro.conf"

/* The effective configuration. Every string is owned; config_free frees. */
struct config {
	char *path;             /* file it came from, NULL for built-in */
	char *dir;              /* directory relative paths are resolved against
				 * (absolute for a file, "." for built-in) */
	char *arch;             /* [system] arch */
	char *hostname;         /* [system] hostname */
	char *linux_version;    /* [linux] version */
	char *musl_version;     /* [musl] version */
	char *busybox_version;  /* [busybox] version */
	char *linux_sha256, *musl_sha256, *busybox_sha256; /* [NAME] sha256: the
				 * source tarball's, 64 lowercase hex digits, or NULL */
	char *linux_url, *musl_url, *busybox_url; /* [NAME] url: where that
				 * tarball is (http, https, file), or NULL */
	char *kernel_fragment;  /* [linux] fragment: absolute path or NULL */
	char *busybox_fragment; /* [busybox] fragment: absolute path or NULL */
	char *cmdline;          /* [linux] cmdline appended to the kernel's, "" if none */
	char *linux_source;     /* [linux] source: the user's kernel tree (absolute) or NULL */
	char *linux_config;     /* [linux] config: "tinyconfig", "defconfig" or an absolute
				 * path of a .config file */
	char *kernel_image;     /* [linux] image: absolute path of a kernel image to
				 * boot instead of building one, or NULL */
	char *modules_dir;      /* [linux] modules_dir: a lib/modules/RELEASE tree, or NULL */
	char *modules;          /* [linux] modules: names, "" for all of the kernel's own */
	int debug;              /* [linux] debug: 1 to build the kernel with debug information */
	char *compression;      /* [initramfs] compression: gzip|xz|lz4|zstd|none */
	char *overlay;          /* [initramfs] overlay: absolute directory or NULL */
	char *entries;          /* [initramfs] entries: list of special entries or NULL */
	char *init;             /* [system] init: "busybox" or an absolute path in the system */
	int memory_mb;          /* [qemu] memory in MiB */
	int ccache;             /* [build] ccache: 1 to compile through ccache */
	int share;              /* [system] share: 1 to build in what run --share needs */
	int net;                /* [system] net: 1 to build in what run --net needs */
};

/* How a key's value is checked and stored. */
enum config_kind {
	CONFIG_ARCH,        /* a name from the arch table */
	CONFIG_HOSTNAME,    /* letters, digits, '-', '.', at most 64 */
	CONFIG_VERSION,     /* a version of the component named by the section: the
			     * catalog's, or one it does not pin (digits, letters
			     * and . + ~ _ -) */
	CONFIG_SHA256,      /* 64 hex digits (stored lowercase); empty means none */
	CONFIG_URL,         /* an http://, https:// or file:// URL; empty means none */
	CONFIG_FILE_PATH,   /* an existing regular file; empty means none */
	CONFIG_DIR_PATH,    /* an existing directory; empty means none */
	CONFIG_TEXT,        /* free text without control characters */
	CONFIG_COMPRESSION, /* gzip, xz, lz4, zstd or none */
	CONFIG_MEMORY,      /* MiB, 32..65536, suffix M or G allowed */
	CONFIG_BOOL,        /* yes/no, true/false, on/off, 1/0; stored as int */
	CONFIG_INIT,        /* "busybox" or an absolute path inside the system */
	CONFIG_KBASE,       /* "tinyconfig", "defconfig" or an existing regular file */
	CONFIG_NAMES,       /* names of letters, digits, '-' and '_', separated by
			     * commas or blanks; empty means none */
};

/* One key of mkdistro.conf. The table of these is the single list of keys
 * the parser, config_describe and an annotated template all use. */
struct config_key {
	const char *section;   /* "system" */
	const char *key;       /* "arch" */
	const char *def;       /* default as written in the file; NULL when it
				* is computed (see config_key_default) */
	const char *help;      /* one line, for an annotated config */
	enum config_kind kind;
	size_t offset;         /* of the field in struct config (internal) */
};

/* The key table in file order; *N gets its length. Static memory. */
const struct config_key *config_keys(size_t *n);
/* The default value of K as text ("" for none). Static memory. */
const char *config_key_default(const struct config_key *k);

/* Fill C from PATH. PATH NULL means ./mkdistro.conf if it exists, else the
 * built-in default. A given PATH that does not exist is an error when
 * MUST_EXIST, else the built-in default is used. Every problem is reported
 * with warn() as "FILE:LINE: message" (all of them, not just the first).
 * Returns 0, or -1 with C left empty (config_free is still safe). */
int config_load(struct config *c, const char *path, int must_exist);

/* Fill C from the LEN bytes of TEXT, the contents of the file FILE (named
 * in messages; relative paths are resolved against its directory, which
 * should exist). Reports like config_load. Returns 0, or -1 with C left
 * empty. */
int config_parse(struct config *c, const char *text, size_t len, const char *file);

/* The effective configuration as INI text, every key present, in table
 * order; deterministic, so it can be hashed into step keys. Loading the
 * text again gives the same configuration. The caller frees it. */
char *config_describe(const struct config *c);

/* Like config_describe, with a header and each key's help as a comment
 * above it: the file `mkdistro init` writes. The caller frees it. */
char *config_annotated(const struct config *c);

/* Free every string of C and zero it. */
void config_free(struct config *c);

#endif
