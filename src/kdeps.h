/* kdeps: why a Kconfig symbol did not get the value a fragment asked for.
 * Reads the Kconfig language (the kernel's Kconfig* files, BusyBox's
 * Config.in): the definitions of the symbols in question, the if, menu and
 * choice blocks around them, their depends on, select, prompt and range
 * lines; parses the dependency expressions and evaluates them against the
 * final .config to name the symbols that keep one from being met. The
 * symbol sets themselves are kconfig.h's. */
#ifndef MKDISTRO_KDEPS_H
#define MKDISTRO_KDEPS_H

#include "kconfig.h"

/* After olddefconfig, check that DOTCONFIG has every value FRAG asks for
 * ("n" also matches an absent symbol; values compare as kconfig_same).
 * Each mismatch is reported in one line, "mkdistro: WHAT option
 * CONFIG_X=y was dropped (now: not set): it depends on ...", with the
 * reason read from the Kconfig* (kernel) or Config.in (BusyBox) files
 * under SRCTREE, which are only scanned when there is a mismatch. SRCTREE
 * may list several directories separated by ':'. BusyBox generates most
 * Config.in files into its O= directory: pass that directory ("SRC:OBJ"
 * or just OBJ, whose Makefile names SRC). Returns the number of
 * mismatches, or -1 on an I/O error. */
int kdeps_verify(const char *dotconfig, const struct kconfig_set *frag, const char *srctree,
		 const char *what);

#endif
