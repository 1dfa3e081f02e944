/* apt: Debian's archive as mkdistro reaches it, through an apt state
 * of its own under mkdistro's cache (CACHE/apt: a sources list, the lists
 * and apt's cache), so that no root is needed and the machine's apt
 * configuration is read, never written. Its deb-src entries are derived
 * from the machine's Debian entries: the same mirror URIs, components and
 * keyrings, for the machine's release and the suites around it
 * (-updates, -backports, -security, and the next release). apt checks the
 * chain itself: the Release file's signature against the keyring, the
 * Sources index against the Release file, the .dsc against the index, and
 * the files against the .dsc. */
#ifndef MKDISTRO_APT_H
#define MKDISTRO_APT_H

#include <stddef.h>

/* The deb-src lines of the private sources list from the apt sources
 * configured under ETC (the machine's: "/etc/apt"; sources.list and
 * sources.list.d/, one-line and deb822 files), for release CODENAME (new
 * memory), or NULL after warn() when ETC has no entry of that release. */
char *apt_sources(const char *etc, const char *codename);

/* The options that make apt-get and apt-cache use the private state in
 * DIR (NULL-terminated, new memory; free with apt_argv_free()). */
char **apt_options(const char *dir);
void apt_argv_free(char **argv);

/* The private state made ready: its sources list written from the
 * machine's configuration and its lists fetched (apt-get update) when
 * missing, older than a day, for other sources, or when REFRESH. Returns
 * its directory (new memory), or NULL after warn(). */
char *apt_ready(int refresh);

/* A version of a source package the archive offers. */
struct apt_offer {
	char *version; /* Debian's version, "1.2.5-3.1~deb13u1" */
	char *suite;   /* "trixie/main" */
};

/* The versions of source package PKG in the private state DIR, in apt's
 * order (newest first), into *V (*N of them; free with
 * apt_offers_free()). Returns 0, or -1 after warn(). */
int apt_offers(const char *dir, const char *pkg, struct apt_offer **v, size_t *n);
void apt_offers_free(struct apt_offer *v, size_t n);

/* apt-get source --download-only SPEC ("PKG=VERSION") into DIR through
 * the private state (made ready first), its output appended to LOG:
 * apt verifies every file it downloads. Returns apt-get's exit status,
 * or -1 after warn() when the state cannot be made ready. */
int apt_download(const char *spec, const char *dir, const char *log);

/* The most telling line of an apt-get log at LOGPATH: its first error,
 * else its last line, on one printable line (new memory). */
char *apt_log_summary(const char *logpath);

/* The upstream part of Debian version V ("1:1.37.0-6" -> "1.37.0"; new
 * memory). */
char *apt_upstream(const char *v);

#endif
