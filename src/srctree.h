/* srctree: unpacked source trees shared by every build directory and
 * architecture, beside the source cache. The kernel is built out of its
 * tree (make O=...) and never writes to it, so one unpacked copy (1.4 GB)
 * serves them all: CACHE/../trees/NAME-VERSION-SHA256PREFIX, and each
 * build's build/src/linux is a symbolic link to it. */
#ifndef MKDISTRO_SRCTREE_H
#define MKDISTRO_SRCTREE_H

#include "catalog.h"

/* The directory of shared trees beside the source cache CACHEDIR:
 * $XDG_CACHE_HOME/mkdistro/trees for .../mkdistro/sources (new memory). */
char *srctree_dir(const char *cachedir);

/* The shared tree of S in srctree_dir(CACHEDIR):
 * NAME-VERSION-SHA256PREFIX (new memory). */
char *srctree_path(const struct source *s, const char *cachedir);

/* Make DEST (its parent is created) a symbolic link to the shared tree of
 * S, unpacked first when it is not there yet: from the cache CACHEDIR,
 * fetched unless OFFLINE. Unpacking is serialised by a lock in the trees
 * directory, so two builds started together unpack it once, and what an
 * unpacking that died left there is removed. What it does is appended to
 * the file LOG. Returns 0; 1 when the trees directory cannot be used
 * (nothing done: the caller unpacks into DEST itself); -1 after warn(). */
int srctree_link(const struct source *s, const char *cachedir, int offline, const char *dest,
		 const char *log);

#endif
