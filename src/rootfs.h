/* rootfs: the staging tree of the root filesystem: BusyBox, the files in
 * /etc that make it a system, /init, and the user's overlay on top. */
#ifndef MKDISTRO_ROOTFS_H
#define MKDISTRO_ROOTFS_H

#include "config.h"

/* The generated files as "path\0content" text (new memory), so that a
 * change to any of them changes the rootfs step's key. */
char *rootfs_generated_text(const struct config *cfg);

/* Build the tree at DEST from BusyBox's install tree BBDIR, the generated
 * files, the user's compiled programs PROGDIR (NULL: none) and CFG's
 * overlay, later ones winning. With [system] init other than busybox,
 * /init is that program (a symlink to it, unless it is /init itself),
 * which must then exist in the tree. DEST is replaced as a whole: built
 * next to it, then renamed. Returns 0 or -1 after warn(). */
int rootfs_stage(const struct config *cfg, const char *bbdir, const char *progdir, const char *dest);

#endif
