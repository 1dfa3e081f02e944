/* menuconfig: the kernel's and BusyBox's interactive configuration, with
 * the result written back as a small fragment, and a report of what is in
 * effect. */
#ifndef MKDISTRO_MENUCONFIG_H
#define MKDISTRO_MENUCONFIG_H

#include "build.h"

/* COMPONENT is "kernel" or "busybox". Bring that component's configuration
 * up to date, open its menuconfig on this terminal, and when the saved
 * configuration differs from the one before, merge the changed symbols
 * into the system's fragment file ([linux] or [busybox] fragment), sorted,
 * one per line. Quitting without saving changes nothing. Returns 0 or -1
 * after warn(). */
int menuconfig_run(struct build *b, const char *component);

/* Print the fragment in effect for COMPONENT and the symbols whose final
 * value differs from what it asks. Returns 0 when all match, 1 when some
 * differ, -1 after warn(). */
int menuconfig_show(struct build *b, const char *component);

#endif
