/* versions: `mkdistro versions`, what there is of each source: the
 * versions the catalog pins, those Debian's archive offers (with their
 * Debian version and suite), those pinned here from the archive, and
 * whether a verified file of each is in the cache. */
#ifndef MKDISTRO_VERSIONS_H
#define MKDISTRO_VERSIONS_H

/* The table for source NAME ("linux", "musl", "busybox"; NULL: all
 * three) with the cache CACHEDIR, and DEFAULTS[i] the configured version
 * of each of the three in that order (marked "in use"). The archive is
 * asked through mkdistro's apt state unless OFFLINE (then only the
 * catalog and the pins). New memory, or NULL after warn(). */
char *versions_text(const char *name, const char *cachedir, const char *const inuse[3],
		    int offline);

#endif
