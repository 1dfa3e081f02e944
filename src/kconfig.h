/* kconfig: Kconfig fragments and .config files (kernel and BusyBox) as
 * symbol sets: parse, merge, apply, compare, diff, write. The one reader
 * and writer of .config text; why a value did not survive olddefconfig
 * is kdeps.h's. */
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

/* 1 if A and B are the same value as Kconfig reads them: "n" and NULL
 * (absent) are equal, a number equals another spelling of it (0x10 and
 * 0X010, 010 and 10). */
int kconfig_same(const char *a, const char *b);

/* Append to B the .config line that sets NAME (without CONFIG_) to VALUE:
 * "CONFIG_NAME=VALUE", or "# CONFIG_NAME is not set" for "n" or NULL. */
void kconfig_line(struct buf *b, const char *name, const char *value);
/* Append to OUT a kconfig_line for every symbol of S, in S's order or,
 * with SORTED, sorted by name. */
void kconfig_lines(const struct kconfig_set *s, int sorted, struct buf *out);

/* Append to OUT, as fragment lines sorted by name, the symbols of FULL
 * whose value differs from BASE ("n" and absent count as equal), so that
 * applying them to BASE gives FULL's values. Returns the number of lines. */
int kconfig_minimal(const struct kconfig_set *base, const struct kconfig_set *full, struct buf *out);

/* Free everything S holds and zero it. */
void kconfig_free(struct kconfig_set *s);

#endif
