/* pin: a source at a version the catalog does not pin, pinned all the
 * same before anything is built from it:
 *  - by the user: [NAME] sha256 (and url, for a tarball from anywhere);
 *  - by Debian's archive: the source package whose upstream version it
 *    is, downloaded through mkdistro's apt state (apt.h), which
 *    verifies the chain from the signed Release file to the .dsc; the
 *    .dsc's sha256 and size of the upstream tarball become the pin, kept
 *    in the cache (CACHE/.pins/NAME-VERSION) so that later builds, and
 *    offline ones, check the file against it without asking apt again.
 * A pinned version with a sha256 and url of the user's gets that origin
 * first. */
#ifndef MKDISTRO_PIN_H
#define MKDISTRO_PIN_H

#include "catalog.h"

/* The source NAME at VERSION, pinned, into *OUT (strings owned: free
 * with pin_free()); URL and SHA256 are the user's (NULL: none). Network
 * use (unless OFFLINE) only for a version the catalog does not pin and
 * that has no pin in CACHEDIR yet. Returns 0, or -1 after warn() naming
 * the version and the fix (nothing is cached then). */
int pin_source(const char *name, const char *version, const char *url, const char *sha256,
	       const char *cachedir, int offline, struct source *out);
void pin_free(struct source *s);

/* The file name of the tarball pinned for NAME VERSION in CACHEDIR from
 * Debian's archive (new memory), or NULL when there is no such pin. */
char *pin_source_file(const char *name, const char *version, const char *cachedir);

/* The versions of NAME pinned in CACHEDIR from Debian's archive, one
 * "VERSION DEBIAN-VERSION SUITE" line each (new memory, "" if none). */
char *pin_list(const char *name, const char *cachedir);

#endif
