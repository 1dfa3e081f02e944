/* kconfig: Kconfig fragments and .config files (kernel and BusyBox):
 * parse, merge, apply, check after olddefconfig, diff. */
#ifndef MKDISTRO_KCONFIG_H
#define MKDISTRO_KCONFIG_H

#include <stddef.h>

#include "util.h"

struct kconfig_sym {
	char *name;  /* without CONFIG_ */
	char *value; /* "y", "m", "n" or the literal as written: "\"text\"", "0x10", "42" */
	int line;    /* line it was (last) set on */
};

/* Symbols in order of first appearance; a later setting of the same symbol
 * replaces the value in place. Zero-initialise to start empty. */
struct kconfig_set {
	struct kconfig_sym *syms;
	size_t n;
	char *file;  /* name used in messages, may be NULL */
	/* private: capacity and a hash index of syms by name */
	size_t cap;
	size_t *slots;
	size_t nslots;
};

/* Parse TEXT (a fragment or a whole .config) into *OUT, which is
 * initialised here; FILE names it in messages. Accepts CONFIG_FOO=y|m|n|
 * "string"|number|0xhex, "# CONFIG_FOO is not set" (stored as "n"), blank
 * lines and other comments. A later setting overrides an earlier one (with
 * a warning if the value differs). Every bad line is reported as
 * "FILE:LINE: message". Returns 0, or -1 with *OUT empty. */
int kconfig_parse(const char *text, const char *file, struct kconfig_set *out);
/* kconfig_parse of the file at PATH. */
int kconfig_parse_file(const char *path, struct kconfig_set *out);

/* The value of NAME (without CONFIG_), or NULL if absent. Points into S. */
const char *kconfig_get(const struct kconfig_set *s, const char *name);
/* Set NAME to VALUE (both copied), replacing an earlier value. */
void kconfig_put(struct kconfig_set *s, const char *name, const char *value, int line);
/* Set every symbol of SRC in DST; SRC's values win. Returns 0. */
int kconfig_merge(struct kconfig_set *dst, const struct kconfig_set *src);

/* Rewrite the .config at DOTCONFIG so every symbol of FRAG has its value:
 * the existing line (either form) is replaced in place, duplicates of it
 * dropped, absent symbols appended. Atomic. Returns 0, or -1 after warn(). */
int kconfig_apply(const char *dotconfig, const struct kconfig_set *frag);

/* After olddefconfig, check that DOTCONFIG has every value FRAG asks for
 * ("n" also matches an absent symbol). Each mismatch is reported in one
 * line, "mkdistro: WHAT option CONFIG_X=y was dropped (now: not set): it
 * depends on ...", with the reason read from the Kconfig* (kernel) or
 * Config.in (BusyBox) files under SRCTREE, which are only scanned when there
 * is a mismatch. SRCTREE may list several directories separated by ':'.
 * BusyBox generates most Config.in files into its O= directory: pass that
 * directory ("SRC:OBJ" or just OBJ, whose Makefile names SRC). Returns the
 * number of mismatches, or -1 on an I/O error. */
int kconfig_verify(const char *dotconfig, const struct kconfig_set *frag, const char *srctree,
		   const char *what);

/* Append to OUT, as fragment lines sorted by name, the symbols of FULL
 * whose value differs from BASE ("n" and absent count as equal), so that
 * applying them to BASE gives FULL's values. Returns the number of lines. */
int kconfig_minimal(const struct kconfig_set *base, const struct kconfig_set *full, struct buf *out);

/* Free everything S holds and zero it. */
void kconfig_free(struct kconfig_set *s);

#endif
