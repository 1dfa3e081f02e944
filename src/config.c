#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "arch.h"
#include "catalog.h"
#include "compress.h"
#include "util.h"

#define F(field) offsetof(struct config, field)

static const struct config_key keys[] = {
	{ "system", "arch", NULL,
	  "target architecture (mkdistro arches lists them; --arch overrides)", CONFIG_ARCH,
	  F(arch) },
	{ "system", "hostname", "mkdistro", "host name of the booted system",
	  CONFIG_HOSTNAME, F(hostname) },
	{ "system", "init", "busybox", "PID 1: busybox (BusyBox init with a shell on the console) "
	  "or the absolute path of a program in the system, e.g. /usr/bin/myinit", CONFIG_INIT, F(init) },
	{ "system", "share", "no", "build in what shared directories need (run --share HOSTDIR): "
	  "9p over virtio in the kernel, the guest's mounts (yes or no)", CONFIG_BOOL, F(share) },
	{ "system", "net", "no", "build in what the network needs (run --net, --forward): IPv4 and "
	  "virtio-net in the kernel, the guest's address (yes or no)", CONFIG_BOOL, F(net) },
	{ "linux", "version", NULL, "kernel version: one the catalog pins (mkdistro versions), "
	  "any Debian's archive offers, or any with sha256 and url", CONFIG_VERSION,
	  F(linux_version) },
	{ "linux", "sha256", "", "the sha256 of the kernel's source tarball (a version the catalog "
	  "does not pin)", CONFIG_SHA256, F(linux_sha256) },
	{ "linux", "url", "", "where that tarball is: http(s):// or file:// (needs sha256)",
	  CONFIG_URL, F(linux_url) },
	{ "linux", "fragment", "", "file of CONFIG_ lines applied on top of tinyconfig",
	  CONFIG_FILE_PATH, F(kernel_fragment) },
	{ "linux", "cmdline", "", "appended to the kernel command line",
	  CONFIG_TEXT, F(cmdline) },
	{ "linux", "source", "", "your kernel source tree (a git checkout or unpacked tarball), "
	  "built out of tree and never written to; empty: the catalog's kernel (--linux overrides)",
	  CONFIG_DIR_PATH, F(linux_source) },
	{ "linux", "config", "tinyconfig", "the kernel's base configuration, the fragment goes on "
	  "top: tinyconfig (with what the system needs), defconfig, or a .config file",
	  CONFIG_KBASE, F(linux_config) },
	{ "linux", "image", "", "a kernel image to boot instead of building the kernel "
	  "(bzImage, Image, vmlinux...; --kernel overrides)", CONFIG_FILE_PATH, F(kernel_image) },
	{ "linux", "modules_dir", "", "a lib/modules/RELEASE tree to take modules from, e.g. a "
	  "distribution's (--modules overrides)", CONFIG_DIR_PATH, F(modules_dir) },
	{ "linux", "modules", "", "modules to put in the initramfs, with what they depend on "
	  "(e.g. vfat, 9p); empty: all the built kernel has (modules_dir needs names)", CONFIG_NAMES,
	  F(modules) },
	{ "linux", "debug", "no", "build the kernel with debug information for gdb (source lines, "
	  "types, scripts/gdb's lx- commands); slower to build, a larger build tree (yes or no)",
	  CONFIG_BOOL, F(debug) },
	{ "musl", "version", NULL, "musl libc version: the catalog's, Debian's archive's, or any "
	  "with sha256 and url", CONFIG_VERSION, F(musl_version) },
	{ "musl", "sha256", "", "the sha256 of musl's source tarball", CONFIG_SHA256,
	  F(musl_sha256) },
	{ "musl", "url", "", "where that tarball is (needs sha256)", CONFIG_URL, F(musl_url) },
	{ "busybox", "version", NULL, "BusyBox version: the catalog's, Debian's archive's, or any "
	  "with sha256 and url", CONFIG_VERSION, F(busybox_version) },
	{ "busybox", "sha256", "", "the sha256 of BusyBox's source tarball", CONFIG_SHA256,
	  F(busybox_sha256) },
	{ "busybox", "url", "", "where that tarball is (needs sha256)", CONFIG_URL,
	  F(busybox_url) },
	{ "busybox", "fragment", "", "file of CONFIG_ lines applied on top of defconfig",
	  CONFIG_FILE_PATH, F(busybox_fragment) },
	{ "initramfs", "compression", "gzip", "initramfs compression: gzip, xz, lz4, zstd or none",
	  CONFIG_COMPRESSION, F(compression) },
	{ "initramfs", "overlay", "", "directory copied over the root file system",
	  CONFIG_DIR_PATH, F(overlay) },
	{ "initramfs", "entries", "", "list of device nodes and other entries that need root "
	  "(type path mode uid gid ...; see mkdistro(1))", CONFIG_FILE_PATH, F(entries) },
	{ "qemu", "memory", "128", "guest memory in MiB; suffix M or G allowed",
	  CONFIG_MEMORY, F(memory_mb) },
	{ "build", "ccache", "no", "compile the kernel, musl and BusyBox through ccache (yes or no)",
	  CONFIG_BOOL, F(ccache) },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

#define MEMORY_MIN 32
#define MEMORY_MAX 65536
#define HOSTNAME_MAX 64

const struct config_key *config_keys(size_t *n)
{
	*n = NKEYS;
	return keys;
}

const char *config_key_default(const struct config_key *k)
{
	const char *v = k->def;
	if (k->kind == CONFIG_ARCH)
		v = arch_default()->name;
	else if (k->kind == CONFIG_VERSION)
		v = catalog_default_version(k->section);
	return v ? v : "";
}

static char **str_field(struct config *c, const struct config_key *k)
{
	return (char **)((char *)c + k->offset);
}

static int *int_field(struct config *c, const struct config_key *k)
{
	return (int *)((char *)c + k->offset);
}

static int section_known(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].section, name))
			return 1;
	return 0;
}

/* Distinct section names in table order, for error messages. */
static char *section_names(void)
{
	struct buf b = {0};
	for (size_t i = 0; i < NKEYS; i++) {
		size_t j;
		for (j = 0; j < i && strcmp(keys[j].section, keys[i].section); j++)
			;
		if (j == i)
			buf_printf(&b, "%s%s", b.len ? ", " : "", keys[i].section);
	}
	return buf_steal(&b);
}

static char *key_names(const char *section)
{
	struct buf b = {0};
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].section, section))
			buf_printf(&b, "%s%s", b.len ? ", " : "", keys[i].key);
	return buf_steal(&b);
}

static const struct config_key *key_find(const char *section, const char *key)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].key, key))
			return &keys[i];
	return NULL;
}

/* Sections holding KEY, as "[a] or [b]", or NULL when none does. */
static char *sections_of(const char *key)
{
	struct buf b = {0};
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].key, key))
			buf_printf(&b, "%s[%s]", b.len ? " or " : "", keys[i].section);
	return b.len ? buf_steal(&b) : NULL;
}

struct parse {
	const char *file;       /* as shown in messages */
	const char *dir;        /* relative paths are resolved against it */
	struct config *c;
	const char *text;       /* rest of the input */
	int line;               /* number of the line inih is working on */
	int dry;                /* only looking for lines inih cannot read */
	char *unread;           /* [line]: 1 for a line inih cannot read */
	int indented;           /* the line starts with a blank */
	int prev_line;          /* line of the last key handed over, 0 none */
	char prev_name[INI_MAX_LINE];
	char section[INI_MAX_LINE]; /* current section, "" before the first */
	char bad_section[INI_MAX_LINE]; /* the unknown section last reported */
	int section_ok;         /* 0 in an unknown section: its keys are not reported */
	int set_line[NKEYS];    /* line each key was set on, 0 if not yet */
	int errors;
};

static void perr(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void perr(struct parse *p, const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	size_t n = strlen(msg);
	/* Like warn(): a message ending in ':' gets the errno text. */
	if (n > 0 && msg[n - 1] == ':')
		warn("%s:%d: %s %s", p->file, p->line, msg, strerror(e));
	else
		warn("%s:%d: %s", p->file, p->line, msg);
	free(msg);
	p->errors++;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int valid_hostname(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > HOSTNAME_MAX || *s == '-' || *s == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

/* Parse "128", "128M", "2G" into MiB; -1 if malformed or out of range. */
static int parse_memory(const char *s)
{
	long long v = 0;
	const char *q = s;
	if (*q < '0' || *q > '9')
		return -1;
	for (; *q >= '0' && *q <= '9'; q++) {
		v = v * 10 + (*q - '0');
		if (v > MEMORY_MAX)
			return -1;
	}
	if (*q == 'G' || *q == 'g') {
		v *= 1024;
		q++;
	} else if (*q == 'M' || *q == 'm') {
		q++;
	}
	if (*q != '\0' || v < MEMORY_MIN || v > MEMORY_MAX)
		return -1;
	return (int)v;
}

/* Module names, as modprobe takes them, separated by commas or blanks. */
/* A version the catalog does not pin: it names files and directories
 * (NAME-VERSION), so it keeps to a version's characters. */
static int valid_version(const char *s)
{
	size_t n = strlen(s);
	return n && n <= 64 && isdigit((unsigned char)s[0]) &&
	       strspn(s, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+~_-") == n;
}

static int valid_names(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("-_, \t", *s)))
			return 0;
	return 1;
}

static int valid_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Resolve a path value against the config's directory and check it. */
static char *check_path(struct parse *p, const struct config_key *k, const char *value)
{
	char *path = value[0] == '/' ? xstrdup(value) : path_join(p->dir, value);
	struct stat st;
	if (stat(path, &st) < 0) {
		perr(p, "%s '%s' in [%s]:", k->key, path, k->section);
	} else if (k->kind == CONFIG_DIR_PATH && !S_ISDIR(st.st_mode)) {
		perr(p, "%s '%s' in [%s] is not a directory", k->key, path, k->section);
	} else if ((k->kind == CONFIG_FILE_PATH || k->kind == CONFIG_KBASE) && !S_ISREG(st.st_mode)) {
		perr(p, "%s '%s' in [%s] is not a regular file", k->key, path, k->section);
	} else {
		return path;
	}
	free(path);
	return NULL;
}

/* 1 for yes/true/on/1, 0 for no/false/off/0, else -1. */
static int parse_bool(const char *v)
{
	static const char *const on[] = { "yes", "true", "on", "1" };
	static const char *const off[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, on[i]))
			return 1;
		if (!strcasecmp(v, off[i]))
			return 0;
	}
	return -1;
}

/* Check VALUE for K and store it in C. Reports and returns -1 if bad. */
static int set_value(struct parse *p, const struct config_key *k, const char *value)
{
	struct config *c = p->c;
	char *v = NULL;
	int errs = p->errors;

	switch (k->kind) {
	case CONFIG_ARCH:
		if (arch_find(value)) {
			v = xstrdup(value);
		} else {
			char *known = arch_names();
			perr(p, "unknown arch '%s' in [%s]; known: %s", value, k->section, known);
			free(known);
		}
		break;
	case CONFIG_HOSTNAME:
		if (valid_hostname(value))
			v = xstrdup(value);
		else
			perr(p, "bad hostname '%s' in [%s]: use 1 to %d letters, digits, '-' or '.', "
			     "not starting with '-' or '.'", value, k->section, HOSTNAME_MAX);
		break;
	case CONFIG_VERSION:
		/* One the catalog does not pin is looked for when fetched
		 * (mkdistro versions lists what there is). */
		if (catalog_find(k->section, value) || valid_version(value)) {
			v = xstrdup(value);
		} else {
			char *known = catalog_versions(k->section);
			perr(p, "bad %s version '%s' in [%s]: digits, letters and . + ~ _ - only, "
			     "starting with a digit (the catalog pins %s)",
			     k->section, value, k->section, known);
			free(known);
		}
		break;
	case CONFIG_SHA256:
		if (strlen(value) == 64 && strspn(value, "0123456789abcdefABCDEF") == 64) {
			v = xstrdup(value);
			for (char *q = v; *q; q++)
				*q = (char)tolower((unsigned char)*q);
		} else if (*value) {
			perr(p, "bad sha256 '%s' in [%s]: 64 hex digits (sha256sum FILE prints them)",
			     value, k->section);
		}
		break;
	case CONFIG_URL:
		if (!*value)
			break;
		if ((!strncmp(value, "http://", 7) || !strncmp(value, "https://", 8) ||
		     !strncmp(value, "file:///", 8)) && !strpbrk(value, " \t") &&
		    strrchr(value, '/')[1])
			v = xstrdup(value);
		else
			perr(p, "bad url '%s' in [%s]: an http://, https:// or file:/// URL of the "
			     "tarball itself", value, k->section);
		break;
	case CONFIG_FILE_PATH:
	case CONFIG_DIR_PATH:
		if (*value == '\0')
			break;
		v = check_path(p, k, value);
		break;
	case CONFIG_KBASE:
		if (!strcmp(value, "tinyconfig") || !strcmp(value, "defconfig"))
			v = xstrdup(value);
		else
			v = check_path(p, k, value);
		break;
	case CONFIG_INIT:
		if (!strcmp(value, "busybox") || (value[0] == '/' && valid_text(value) && !strchr(value, ' ')))
			v = xstrdup(value);
		else
			perr(p, "bad %s '%s' in [%s]: use busybox or an absolute path in the system",
			     k->key, value, k->section);
		break;
	case CONFIG_TEXT:
		if (valid_text(value))
			v = xstrdup(value);
		else
			perr(p, "bad %s in [%s]: control characters are not allowed", k->key, k->section);
		break;
	case CONFIG_NAMES:
		if (valid_names(value))
			v = xstrdup(value);
		else
			perr(p, "bad %s '%s' in [%s]: names of letters, digits, '-' and '_', separated "
			     "by commas", k->key, value, k->section);
		break;
	case CONFIG_COMPRESSION:
		if (compress_known(value))
			v = xstrdup(value);
		else
			perr(p, "bad %s '%s' in [%s]; allowed: %s", k->key, value, k->section,
			     compress_names());
		break;
	case CONFIG_BOOL: {
		int on = parse_bool(value);
		if (on < 0) {
			perr(p, "bad %s '%s' in [%s]: expected yes or no", k->key, value, k->section);
			return -1;
		}
		*int_field(c, k) = on;
		return 0;
	}
	case CONFIG_MEMORY: {
		int mb = parse_memory(value);
		if (mb < 0) {
			perr(p, "bad %s '%s' in [%s]: expected MiB from %d to %d, "
			     "optionally with suffix M or G (e.g. 256M, 1G)",
			     k->key, value, k->section, MEMORY_MIN, MEMORY_MAX);
			return -1;
		}
		*int_field(c, k) = mb;
		return 0;
	}
	}
	if (p->errors != errs)
		return -1;
	char **f = str_field(c, k);
	free(*f);
	*f = v;
	return 0;
}

static int config_line_max(void);

/* How long the line describe() writes for K would be, 0 if it wraps. */
static size_t saved_length(const struct config *c, const struct config_key *k);

/* A "key = value" line in the current section. */
static void set_key(struct parse *p, const char *name, const char *value)
{
	const char *section = p->section;

	if (!p->section_ok)
		return;
	if (*section == '\0') {
		char *where = sections_of(name);
		if (where)
			perr(p, "key '%s' is outside any section; it belongs in %s", name, where);
		else
			perr(p, "key '%s' is outside any section", name);
		free(where);
		return;
	}
	const struct config_key *k = key_find(section, name);
	if (!k) {
		char *known = key_names(section);
		char *where = sections_of(name);
		if (where)
			perr(p, "unknown key '%s' in [%s]; known keys: %s (%s belongs in %s)",
			     name, section, known, name, where);
		else
			perr(p, "unknown key '%s' in [%s]; known keys: %s", name, section, known);
		free(known);
		free(where);
		return;
	}
	size_t i = (size_t)(k - keys);
	if (p->set_line[i]) {
		perr(p, "duplicate key '%s' in [%s] (first set on line %d)",
		     name, section, p->set_line[i]);
		return;
	}
	p->set_line[i] = p->line;
	/* inih keeps a ';' right after the '=' ("cmdline =; rd"), but the
	 * same value written back after "= " would read as a comment: a ';'
	 * that starts a value starts a comment, as everywhere else. */
	if (*value == ';')
		value = "";
	if (*value == '\0' && k->kind != CONFIG_FILE_PATH && k->kind != CONFIG_DIR_PATH &&
	    k->kind != CONFIG_TEXT && k->kind != CONFIG_NAMES && k->kind != CONFIG_SHA256 &&
	    k->kind != CONFIG_URL) {
		perr(p, "empty value for '%s' in [%s]", name, section);
		return;
	}
	if (set_value(p, k, value) < 0)
		return;
	size_t n = saved_length(p->c, k);
	if (n > (size_t)config_line_max())
		perr(p, "%s in [%s] is too long: written back, its line would have %zu characters, and "
			"the INI reader takes at most %d; use a shorter path",
		     name, section, n, config_line_max());
}

/* An indented line after "key = value": more of that value. Only text
 * values (the kernel command line) may go on; words join with a space. */
static void continue_key(struct parse *p, const char *name, const char *value)
{
	if (!p->section_ok || !*p->section)
		return;
	const struct config_key *k = key_find(p->section, name);
	if (!k)
		return; /* reported on its first line */
	if (k->kind != CONFIG_TEXT) {
		perr(p, "indented line continues '%s' in [%s], which takes one line; remove the indentation",
		     name, p->section);
		return;
	}
	char **f = str_field(p->c, k);
	if (!*f)
		return; /* its first line was refused */
	/* inih (version 55) leaves an inline comment on a continuation
	 * line: cut it as on a first line. */
	size_t n = strlen(value);
	for (size_t i = 1; i < n; i++)
		if (value[i] == ';' && is_space(value[i - 1])) {
			n = i;
			break;
		}
	while (n > 0 && is_space(value[n - 1]))
		n--;
	char *joined = **f ? xasprintf("%s %.*s", *f, (int)n, value) : xstrndup(value, n);
	set_value(p, k, joined);
	free(joined);
}

/* The INI grammar is inih's alone (Debian's libinih 55): "[section]",
 * "key = value" or "key: value", whole-line comments starting with '#' or
 * ';', a ';' after a blank ending a value, and a line that starts with a
 * blank continuing the value before it. mkdistro adds no grammar of its
 * own; its reader() hands inih every line as it is and only counts lines
 * (inih is built without INI_HANDLER_LINENO) and notes whether a line is
 * indented (what inih takes as a continuation).
 *
 * inih's limits, and what follows from them:
 * - A line of at most INI_MAX_LINE - 2 characters: inih would cut a longer
 *   one in two, so reader() refuses it instead (CONFIG_LINE_MAX).
 * - inih tells only the first line it could not read: parse() reads the
 *   text again with each such line left out until none is left, so that
 *   every one is reported, as a line it could not read.
 * - inih does not report section headers: a section is checked when a key
 *   is read in it, so an unknown section without keys goes unreported, and
 *   text after a section's ']' is ignored. */
#define CONFIG_LINE_MAX (INI_MAX_LINE - 2)

static int config_line_max(void)
{
	return CONFIG_LINE_MAX;
}

static char *reader(char *str, int num, void *user)
{
	struct parse *p = user;
	if (*p->text == '\0')
		return NULL;
	const char *s = p->text;
	const char *end = strchrnul(s, '\n');
	size_t len = (size_t)(end - s);
	p->text = *end ? end + 1 : end;
	p->line++;
	p->indented = len > 0 && is_space(s[0]);
	size_t keep = len;
	while (keep > 0 && is_space(s[keep - 1]))
		keep--;
	str[0] = '\n';
	str[1] = '\0';
	if (p->unread[p->line]) {
		if (!p->dry)
			perr(p, "cannot read this line: expected '[section]' or 'key = value'");
		return str;
	}
	if (keep + 2 > (size_t)num || keep > CONFIG_LINE_MAX) {
		if (!p->dry)
			perr(p, "line too long (%zu characters; the INI reader takes at most %d): continue a "
				"long cmdline on the next line, indented, or shorten the path",
			     keep, CONFIG_LINE_MAX);
		return str;
	}
	memcpy(str, s, keep);
	str[keep] = '\n';
	str[keep + 1] = '\0';
	return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	if (p->dry)
		return 1;
	/* inih keeps the blanks inside "[ linux ]". */
	char sect[INI_MAX_LINE];
	while (is_space(*section))
		section++;
	size_t sn = strlen(section);
	while (sn > 0 && is_space(section[sn - 1]))
		sn--;
	snprintf(sect, sizeof(sect), "%.*s", (int)sn, section);
	section = sect;
	/* inih calls again with the key of the line before for a
	 * continuation line; another indented line under a section of its
	 * own is a key of its own. */
	int continues = p->indented && p->prev_line && !strcmp(name, p->prev_name) &&
			!strcmp(section, p->section);
	if (!continues) {
		snprintf(p->section, sizeof(p->section), "%s", section);
		p->section_ok = !*section || section_known(section);
		if (!p->section_ok && strcmp(section, p->bad_section)) {
			char *known = section_names();
			perr(p, "unknown section [%s]; known sections: %s", section, known);
			free(known);
			snprintf(p->bad_section, sizeof(p->bad_section), "%s", section);
		}
		snprintf(p->prev_name, sizeof(p->prev_name), "%s", name);
	}
	p->prev_line = p->line;
	if (continues)
		continue_key(p, name, value);
	else if (!*name)
		perr(p, "expected 'key = value': no key before the separator");
	else
		set_key(p, name, value);
	return 1;
}

/* One reading of TEXT: DRY finds the first line inih cannot read (its
 * return value) without reporting or setting anything. */
static int parse_pass(struct parse *p, const char *text, int dry)
{
	p->text = text;
	p->line = 0;
	p->dry = dry;
	p->prev_line = 0;
	p->section[0] = p->bad_section[0] = '\0';
	p->section_ok = 1;
	return ini_parse_stream(reader, p, handler, p);
}

static void set_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NKEYS; i++) {
		const struct config_key *k = &keys[i];
		const char *d = config_key_default(k);
		if (k->kind == CONFIG_MEMORY)
			*int_field(c, k) = atoi(d);
		else if (k->kind == CONFIG_BOOL)
			*int_field(c, k) = parse_bool(d);
		else if ((k->kind == CONFIG_FILE_PATH || k->kind == CONFIG_DIR_PATH) && !*d)
			*str_field(c, k) = NULL;
		else
			*str_field(c, k) = xstrdup(d);
	}
	c->dir = xstrdup(".");
}

/* Absolute directory of FILE, so that resolved paths stay valid when the
 * build later runs in another directory. */
static char *file_dir(const char *file)
{
	const char *slash = strrchr(file, '/');
	char *d = !slash ? xstrdup(".") : slash == file ? xstrdup("/") :
		  xstrndup(file, (size_t)(slash - file));
	char *abs = realpath(d, NULL);
	if (abs) {
		free(d);
		d = xstrdup(abs);
		free(abs);
	}
	return d;
}

int config_load(struct config *c, const char *path, int must_exist)
{
	if (!path) {
		path = CONFIG_FILE;
		must_exist = 0;
	}
	size_t len;
	char *text = read_file_quiet(path, &len);
	if (!text) {
		if (errno == ENOENT && !must_exist) {
			set_defaults(c);
			return 0;
		}
		warn("read '%s':", path);
		memset(c, 0, sizeof(*c));
		return -1;
	}
	int rc = config_parse(c, text, len, path);
	free(text);
	return rc;
}

int config_parse(struct config *c, const char *text, size_t len, const char *file)
{
	set_defaults(c);
	if (memchr(text, '\0', len)) {
		warn("%s: not a text file (contains a NUL byte)", file);
		config_free(c);
		return -1;
	}
	/* Lines are split up to a NUL: put one at LEN. */
	char *copy = xstrndup(text, len);
	free(c->dir);
	c->path = xstrdup(file);
	c->dir = file_dir(file);

	struct parse *p = xcalloc(1, sizeof(*p));
	p->file = file;
	p->dir = c->dir;
	p->c = c;
	size_t lines = 1;
	for (const char *q = copy; *q; q++)
		lines += *q == '\n';
	p->unread = xcalloc(lines + 1, 1);
	int bad;
	while ((bad = parse_pass(p, copy, 1)) > 0 && (size_t)bad <= lines && !p->unread[bad])
		p->unread[bad] = 1;
	parse_pass(p, copy, 0);
	if (bad != 0 && !p->errors) {
		/* inih refused a line it had been told to skip. */
		p->line = bad;
		perr(p, "cannot read this line");
	}
	free(p->unread);
	int errors = p->errors;
	free(p);
	free(copy);
	if (errors) {
		config_free(c);
		return -1;
	}
	return 0;
}

/* "KEY = VALUE", with a VALUE too long for one line of the INI reader
 * carried on indented lines, split at single spaces (joined again with
 * one space when read). */
static void write_text(struct buf *b, const char *key, const char *v)
{
	size_t max = (size_t)config_line_max();
	buf_printf(b, "%s =", key);
	size_t col = strlen(key) + 2;
	if (!v || !*v) {
		buf_addch(b, '\n');
		return;
	}
	const char *s = v;
	while (*s) {
		/* The next piece runs to a single space (one that a reader
		 * can drop and put back) or to the end; never to one before
		 * '#' or ';', which would start a comment line. The pieces
		 * came from lines that fit, so each fits on one. */
		const char *e = s;
		while (*e && !(e[0] == ' ' && e[1] && !strchr(" #;", e[1]) && e > s && e[-1] != ' '))
			e++;
		size_t n = (size_t)(e - s);
		if (col + 1 + n > max) {
			buf_addstr(b, "\n\t");
			col = 1;
		} else {
			buf_addch(b, ' ');
			col++;
		}
		buf_printf(b, "%.*s", (int)n, s);
		col += n;
		s = *e ? e + 1 : e;
	}
	buf_addch(b, '\n');
}

static char *describe(const struct config *c, int annotated)
{
	struct buf b = {0};
	const char *section = NULL;
	struct config *m = (struct config *)c;

	if (annotated)
		buf_addstr(&b, "# mkdistro.conf: the system mkdistro builds. Every key is optional;\n"
			       "# a missing key takes its default. Relative paths are resolved\n"
			       "# against this file's directory. Comments start with '#' or ';'.\n");
	for (size_t i = 0; i < NKEYS; i++) {
		const struct config_key *k = &keys[i];
		if (!section || strcmp(section, k->section)) {
			buf_printf(&b, "%s[%s]\n", section || annotated ? "\n" : "", k->section);
			section = k->section;
		}
		if (annotated) {
			const char *d = config_key_default(k);
			buf_printf(&b, "# %s", k->help);
			if (*d)
				buf_printf(&b, " (default %s)", d);
			buf_addch(&b, '\n');
		}
		if (k->kind == CONFIG_MEMORY) {
			buf_printf(&b, "%s = %d\n", k->key, *int_field(m, k));
		} else if (k->kind == CONFIG_BOOL) {
			buf_printf(&b, "%s = %s\n", k->key, *int_field(m, k) ? "yes" : "no");
		} else if (k->kind == CONFIG_TEXT) {
			write_text(&b, k->key, *str_field(m, k));
		} else {
			const char *v = *str_field(m, k);
			if (v && *v)
				buf_printf(&b, "%s = %s\n", k->key, v);
			else
				buf_printf(&b, "%s =\n", k->key);
		}
	}
	return buf_steal(&b);
}

static size_t saved_length(const struct config *c, const struct config_key *k)
{
	if (k->kind != CONFIG_FILE_PATH && k->kind != CONFIG_DIR_PATH && k->kind != CONFIG_INIT &&
	    k->kind != CONFIG_KBASE && k->kind != CONFIG_NAMES && k->kind != CONFIG_URL)
		return 0;
	const char *v = *str_field((struct config *)c, k);
	return strlen(k->key) + 3 + (v ? strlen(v) : 0);
}

char *config_describe(const struct config *c)
{
	return describe(c, 0);
}

char *config_annotated(const struct config *c)
{
	return describe(c, 1);
}

void config_free(struct config *c)
{
	free(c->path);
	free(c->dir);
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].kind != CONFIG_MEMORY && keys[i].kind != CONFIG_BOOL)
			free(*str_field(c, &keys[i]));
	memset(c, 0, sizeof(*c));
}
