#include "versions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apt.h"
#include "catalog.h"
#include "pin.h"
#include "util.h"

static const char *const names[3] = { "linux", "musl", "busybox" };

/* Whether FILE is in CACHEDIR. Presence only: fetch verifies a file's
 * sha256 each time it is used. */
static int cached(const char *cachedir, const char *file)
{
	char *p = path_join(cachedir, file);
	int r = path_exists(p);
	free(p);
	return r;
}

static void row(struct buf *b, const char *name, const char *version, const char *where,
		const char *state)
{
	buf_printf(b, "%-8s %-12s %-48s %s\n", name, version, where, state);
}

/* The state column: in use, pinned here, cached. */
static char *state_of(int inuse, int pinned, int incache)
{
	struct buf s = {0};
	buf_addstr(&s, "");
	if (inuse)
		buf_addstr(&s, "in use");
	if (pinned)
		buf_printf(&s, "%spinned here", s.len ? ", " : "");
	if (incache)
		buf_printf(&s, "%scached", s.len ? ", " : "");
	return buf_steal(&s);
}

static void one(struct buf *b, const char *name, const char *cachedir, const char *inuse,
		const char *apt_dir)
{
	for (size_t i = 0;; i++) {
		const struct source *s = catalog_entry(i);
		if (!s)
			break;
		if (strcmp(s->name, name))
			continue;
		int incache = 0;
		for (size_t k = 0; k < s->norigins; k++)
			incache |= cached(cachedir, s->origins[k].file);
		int def = !strcmp(catalog_default_version(name), s->version);
		char *st = state_of(inuse && !strcmp(inuse, s->version), 0, incache);
		row(b, name, s->version, def ? "the catalog's (default)" : "the catalog's", st);
		free(st);
	}
	/* Pinned here from the archive: "VERSION DEBVER SUITE" lines. */
	char *pins = pin_list(name, cachedir);
	struct apt_offer *v = NULL;
	size_t n = 0;
	if (apt_dir && apt_offers(apt_dir, name, &v, &n) < 0)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		char *up = apt_upstream(v[i].version);
		char *line = xasprintf("%s %s %s\n", up, v[i].version, v[i].suite);
		int pinned = strstr(pins, line) != NULL;
		if (!catalog_find(name, up) || pinned) {
			char *where = xasprintf("Debian %s (%s)", v[i].version, v[i].suite);
			char *pf = pin_source_file(name, up, cachedir);
			char *st = state_of(inuse && !strcmp(inuse, up), pinned,
					    pinned && pf && cached(cachedir, pf));
			row(b, name, up, where, st);
			free(st);
			free(pf);
			free(where);
		}
		if (pinned) {
			/* Shown once, here. */
			char *at = strstr(pins, line);
			memmove(at, at + strlen(line), strlen(at + strlen(line)) + 1);
		}
		free(line);
		free(up);
	}
	apt_offers_free(v, n);
	/* Pins of versions the archive (or, offline, nobody) lists now. */
	for (char *p = pins; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n')) {
		char ver[80], deb[96], suite[96];
		if (sscanf(p, "%79s %95s %95s", ver, deb, suite) != 3)
			continue;
		char *where = xasprintf("Debian %s (%s)", deb, suite);
		char *pf = pin_source_file(name, ver, cachedir);
		char *st = state_of(inuse && !strcmp(inuse, ver), 1, pf && cached(cachedir, pf));
		row(b, name, ver, where, st);
		free(st);
		free(pf);
		free(where);
	}
	free(pins);
}

char *versions_text(const char *name, const char *cachedir, const char *const inuse[3],
		    int offline)
{
	char *apt_dir = offline ? NULL : apt_ready(0);
	if (!offline && !apt_dir)
		return NULL;
	struct buf b = {0};
	row(&b, "SOURCE", "VERSION", "FROM", "HERE");
	for (int i = 0; i < 3; i++)
		if (!name || !strcmp(name, names[i]))
			one(&b, names[i], cachedir, inuse[i], apt_dir);
	if (offline)
		buf_addstr(&b, "(offline: Debian's archive was not asked)\n");
	free(apt_dir);
	return buf_steal(&b);
}
