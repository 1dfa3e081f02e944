/* menuconfig: the kernel's and BusyBox's interactive configuration, with
 * the result written back as a small fragment, and a report of what is in
 * effect. */
#ifndef MKDISTRO_MENUCONFIG_H
#define MKDISTRO_MENUCONFIG_H

#include "build.h"
#include "kconfig.h"

/* COMPONENT is "kernel" or "busybox". Bring that component's configuration
 * up to date, open its menuconfig on this terminal, and when the saved
 * configuration differs from the one before, merge the changed symbols
 * into the system's fragment file ([linux] or [busybox] fragment), sorted,
 * one per line. Quitting without saving changes nothing. Returns 0 or -1
 * after warn(). */
int menuconfig_run(struct build *b, const char *component);

/* Rewrite the fragment file FILE (created if missing) with the symbols of
 * CHANGES set over those it has: every symbol once, sorted by name, one
 * per line, "n" as "# CONFIG_X is not set" (its comments are not kept).
 * Returns 0 or -1 after warn(). */
int menuconfig_write_back(const char *file, const struct kconfig_set *changes);

/* The command that opens COMPONENT's menuconfig, and in *CWD the
 * directory it runs in (new memory, or NULL: the current one). The
 * kernel's is the build's kernel make line (build_kernel_make), so that
 * its Kconfig sees the target's compiler as the kconfig step did;
 * BusyBox's is make in its object directory. A NULL-terminated vector in
 * new memory (free it with build_argv_free), or NULL after warn() for an
 * unknown component. */
char **menuconfig_command(const struct build *b, const char *component, char **cwd);

/* Print the fragment in effect for COMPONENT and the symbols whose final
 * value differs from what it asks. Returns 0 when all match, 1 when some
 * differ, -1 after warn(). */
int menuconfig_show(struct build *b, const char *component);

#endif
