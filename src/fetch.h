/* fetch: the download cache shared by all build directories. A file enters
 * the cache only under its final name and only after its size and sha256
 * matched the catalog, so a name in the cache is a verified file (unless
 * someone changed it later, which fetch_source detects and sets aside).
 *
 * Environment:
 *   MKDISTRO_NO_APT=1  skip ORIGIN_APT origins (used by the tests so that
 *                      fake sources never run apt-get). */
#ifndef MKDISTRO_FETCH_H
#define MKDISTRO_FETCH_H

#include "catalog.h"

/* The default cache directory: $XDG_CACHE_HOME/mkdistro/sources, else
 * $HOME/.cache/mkdistro/sources. New memory, the caller frees it. Returns
 * NULL after warn() when neither variable is set. The directory is not
 * created here. */
char *fetch_cache_dir(void);

/* Make a verified copy of SRC available in CACHEDIR (created if missing)
 * and return its path in new memory (the caller frees it). First every
 * origin's file is looked up in the cache; a cached file with the wrong
 * size or hash is renamed to FILE.bad.N and reported. Then, unless OFFLINE,
 * each origin is tried in order: ORIGIN_URL with libcurl, ORIGIN_APT with
 * `apt-get source --download-only PKG=VER`. Downloads land in a temporary
 * name and are renamed into place after verification; an flock on
 * CACHEDIR/.FILE.lock keeps concurrent mkdistro processes apart. Returns
 * NULL after warn() listing every attempt and why it failed. */
char *fetch_source(const struct source *src, const char *cachedir, int offline);

/* Network timeouts in seconds: connecting, and how long a transfer may
 * stay below 1 KiB/s before it is abandoned. Defaults 30 and 60; values
 * <= 0 restore the default. Tests shorten them. */
void fetch_set_timeouts(long connect_secs, long stall_secs);

#endif
