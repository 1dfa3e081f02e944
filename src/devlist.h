/* devlist: entries of the root filesystem that need root to create on the
 * host (device nodes, other owners, special modes), described in a text
 * list and written straight into the initramfs. One entry per line, in the
 * spirit of the kernel's gen_init_cpio list:
 *
 *   dir   PATH MODE UID GID
 *   nod   PATH MODE UID GID c|b MAJOR MINOR
 *   pipe  PATH MODE UID GID
 *   sock  PATH MODE UID GID
 *   slink PATH TARGET MODE UID GID
 *   file  PATH SOURCE MODE UID GID       (SOURCE relative to the list)
 *
 * MODE is octal permission bits; '#' starts a comment. */
#ifndef MKDISTRO_DEVLIST_H
#define MKDISTRO_DEVLIST_H

#include <stddef.h>

#include "cpio.h"

struct devlist {
	struct cpio_entry *v; /* strings owned by the list */
	size_t n;
};

/* Parse TEXT (from FILE, for messages; relative SOURCEs are resolved
 * against DIR) into OUT. Every bad line is reported as "FILE:LINE:
 * message". Returns 0, or -1 with OUT empty. */
int devlist_parse(const char *text, const char *file, const char *dir, struct devlist *out);
/* devlist_parse of the file at PATH. */
int devlist_load(const char *path, struct devlist *out);
/* Free what OUT holds and empty it. */
void devlist_free(struct devlist *l);

#endif
