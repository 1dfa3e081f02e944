#include "pin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "apt.h"
#include "hash.h"
#include "util.h"

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void add_origin(struct source *s, const struct origin *o)
{
	struct origin *d = &s->origins[s->norigins++];
	*d = (struct origin){ o->kind, dup_or_null(o->url), dup_or_null(o->apt_pkg),
			      dup_or_null(o->apt_ver), dup_or_null(o->file), dup_or_null(o->sha256),
			      o->size };
}

void pin_free(struct source *s)
{
	for (size_t i = 0; i < s->norigins; i++) {
		struct origin *o = &s->origins[i];
		free((char *)o->url);
		free((char *)o->apt_pkg);
		free((char *)o->apt_ver);
		free((char *)o->file);
		free((char *)o->sha256);
	}
	free((char *)s->name);
	free((char *)s->version);
	free((char *)s->topdir);
	memset(s, 0, sizeof(*s));
}

static char *pins_dir(const char *cachedir)
{
	return path_join(cachedir, ".pins");
}

static char *pin_path(const char *cachedir, const char *name, const char *version)
{
	char *dir = pins_dir(cachedir);
	char *base = xasprintf("%s-%s", name, version);
	char *p = path_join(dir, base);
	free(dir);
	free(base);
	return p;
}

/* A pin record: "VERSION DEBIAN-VERSION FILE SHA256 SIZE SUITE". */
struct record {
	char version[80], debver[96], file[256], sha256[SHA256_HEX_LEN + 1], suite[96];
	long long size;
};

static int read_record(const char *path, struct record *r)
{
	char *text = read_file_quiet(path, NULL);
	if (!text)
		return -1;
	int n = sscanf(text, "%79s %95s %255s %64s %lld %95s", r->version, r->debver, r->file,
		       r->sha256, &r->size, r->suite);
	free(text);
	return n == 6 && strlen(r->sha256) == SHA256_HEX_LEN && r->size > 0 ? 0 : -1;
}

/* The upstream tarball's line in the .dsc at PATH (Checksums-Sha256):
 * its name, sha256 and size into *R. 0, or -1. */
static int dsc_orig(const char *path, struct record *r)
{
	char *text = read_file_quiet(path, NULL);
	int in = 0, found = -1;
	for (char *p = text; p && *p && found < 0; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n')) {
		if (*p != ' ') {
			in = !strncmp(p, "Checksums-Sha256:", 17);
			continue;
		}
		char sha[80], file[256];
		long long size;
		if (in && sscanf(p, " %79s %lld %255s", sha, &size, file) == 3 &&
		    strstr(file, ".orig.tar.") && strlen(sha) == SHA256_HEX_LEN) {
			snprintf(r->sha256, sizeof(r->sha256), "%s", sha);
			snprintf(r->file, sizeof(r->file), "%s", file);
			r->size = size;
			found = 0;
		}
	}
	free(text);
	return found;
}

/* The .dsc apt-get put in DIR (new memory), or NULL. */
static char *find_dsc(const char *dir)
{
	size_t n = 0;
	char **v = dir_list(dir, ".dsc", 0, &n);
	char *p = n ? path_join(dir, v[0]) : NULL;
	dir_list_free(v, n);
	return p;
}

/* Why no Debian version of NAME is upstream VERSION: what the catalog
 * and the archive have. */
static void unknown_version(const char *name, const char *version,
			    const struct apt_offer *v, size_t n)
{
	struct buf offers = {0};
	for (size_t i = 0; i < n; i++) {
		char *up = apt_upstream(v[i].version);
		buf_printf(&offers, "%s%s (%s, %s)", i ? ", " : "", up, v[i].version, v[i].suite);
		free(up);
	}
	char *pinned = catalog_versions(name);
	warn("unknown %s version '%s': the catalog pins %s; Debian's archive offers %s. Pick one "
	     "of these ([%s] version), or give the tarball's sha256 and url under [%s]",
	     name, version, pinned, offers.len ? offers.s : "none", name, name);
	free(pinned);
	buf_free(&offers);
}

/* Download Debian's source package NAME=R->debver into CACHEDIR's temp
 * space, take its upstream tarball into CACHEDIR by what the verified
 * .dsc says of it (into *R), and record the pin at RECPATH. 0, or -1
 * after warn(). */
static int pin_download(const char *name, const char *version, const char *cachedir,
			const char *recpath, struct record *r)
{
	char *base = xasprintf(".%s-%s.pin.XXXXXX", name, version);
	char *tmp = path_join(cachedir, base);
	free(base);
	char *pins = pins_dir(cachedir);
	int rc = -1;
	if (mkdir_p(pins, 0755) < 0 || !mkdtemp(tmp)) {
		warn("cannot create '%s':", tmp);
		free(pins);
		free(tmp);
		return -1;
	}
	char *spec = xasprintf("%s=%s", name, r->debver);
	char *log = path_join(tmp, "apt-get.log");
	fprintf(stderr, "fetch: %s %s from Debian's archive (source package %s, %s), verified by "
			"apt\n", name, version, spec, r->suite);
	int st = apt_download(spec, tmp, log);
	char *dsc = st == 0 ? find_dsc(tmp) : NULL;
	char got[SHA256_HEX_LEN + 1];
	off_t size = 0;
	if (st != 0) {
		char *said = st > 0 ? apt_log_summary(log) : xstrdup("see above");
		warn("fetch '%s %s': apt-get source %s failed: %s", name, version, spec, said);
		free(said);
	} else if (!dsc || dsc_orig(dsc, r) < 0) {
		warn("fetch '%s %s': the source package %s has no upstream tarball in its .dsc", name,
		     version, spec);
	} else {
		char *file = path_join(tmp, r->file), *dest = path_join(cachedir, r->file);
		/* apt checked it against the .dsc; checked again, as the
		 * cache takes only what matches its pin. */
		if (sha256_file(file, got, &size) < 0 || strcmp(got, r->sha256) ||
		    (long long)size != r->size)
			warn("fetch '%s %s': '%s' does not match its .dsc", name, version, r->file);
		else if (rename(file, dest) < 0)
			warn("rename '%s' to '%s':", file, dest);
		else {
			char *text = xasprintf("%s %s %s %s %lld %s\n", r->version, r->debver, r->file,
					       r->sha256, r->size, r->suite);
			rc = write_file_atomic(recpath, text, strlen(text), 0644);
			free(text);
		}
		free(file);
		free(dest);
	}
	rm_rf(tmp);
	free(dsc);
	free(log);
	free(spec);
	free(pins);
	free(tmp);
	return rc;
}

/* Pin NAME VERSION from Debian's archive into *R (downloading the
 * source package; its upstream tarball goes into CACHEDIR) and record
 * it at RECPATH. 0, or -1 after warn(). */
static int pin_from_archive(const char *name, const char *version, const char *cachedir,
			    const char *recpath, struct record *r)
{
	char *state = apt_ready(0);
	if (!state)
		return -1;
	struct apt_offer *v = NULL;
	size_t n = 0;
	int rc = apt_offers(state, name, &v, &n);
	free(state);
	if (rc < 0)
		return -1;
	/* Each Debian version of that upstream one in turn: a mirror can
	 * list a version whose files it no longer (or not yet) has. */
	int found = 0;
	rc = -1;
	for (size_t i = 0; i < n && rc < 0; i++) {
		char *up = apt_upstream(v[i].version);
		int same = !strcmp(up, version);
		free(up);
		for (size_t j = 0; same && j < i; j++)
			same = strcmp(v[j].version, v[i].version) != 0;
		if (!same)
			continue;
		found = 1;
		snprintf(r->version, sizeof(r->version), "%s", version);
		snprintf(r->debver, sizeof(r->debver), "%s", v[i].version);
		snprintf(r->suite, sizeof(r->suite), "%s", v[i].suite);
		rc = pin_download(name, version, cachedir, recpath, r);
	}
	if (!found)
		unknown_version(name, version, v, n);
	apt_offers_free(v, n);
	return rc;
}

int pin_source(const char *name, const char *version, const char *url, const char *sha256,
	       const char *cachedir, int offline, struct source *out)
{
	const struct source *cat = catalog_find(name, version);
	memset(out, 0, sizeof(*out));
	if (url && !*url)
		url = NULL;
	if (sha256 && !*sha256)
		sha256 = NULL;
	out->name = xstrdup(name);
	out->version = xstrdup(version);
	out->topdir = cat ? xstrdup(cat->topdir) : xasprintf("%s-%s", name, version);
	if (url && !sha256) {
		warn("[%s] url '%s' needs the file's sha256: add sha256 = HEX under [%s] "
		     "(sha256sum FILE prints it)", name, url, name);
		goto fail;
	}
	if (url) {
		/* Cached under a name with its hash in it: another pin of the
		 * same URL (a wrong one, say) never meets this file. */
		char *file = xasprintf("%.12s-%s", sha256, strrchr(url, '/') + 1);
		struct origin o = { .kind = ORIGIN_URL, .url = url, .file = file, .sha256 = sha256 };
		add_origin(out, &o);
		free(file);
	}
	if (cat) {
		int match = !sha256 || url;
		for (size_t i = 0; i < cat->norigins && out->norigins < MAX_ORIGINS; i++) {
			add_origin(out, &cat->origins[i]);
			match |= !strcmp(cat->origins[i].sha256, sha256 ? sha256 : "");
		}
		if (!match) {
			warn("[%s] sha256 %s is none of the catalog's for %s %s: remove it, or give the "
			     "url of the tarball it is the hash of", name, sha256, name, version);
			goto fail;
		}
		return 0;
	}
	if (url)
		return 0;

	struct record r;
	char *rec = pin_path(cachedir, name, version);
	int have = read_record(rec, &r) == 0;
	if (!have && offline) {
		warn("%s %s is not pinned on this machine yet (the catalog pins %s): run once "
		     "without --offline (mkdistro fetch) to pin it from Debian's archive", name,
		     version, catalog_default_version(name));
		free(rec);
		goto fail;
	}
	if (!have) {
		if (mkdir_p(cachedir, 0755) < 0) {
			free(rec);
			goto fail;
		}
		char *lockname = path_join(cachedir, ".pins.lock");
		int lock = open(lockname, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		free(lockname);
		if (lock >= 0)
			flock(lock, LOCK_EX);
		have = read_record(rec, &r) == 0 ||
		       pin_from_archive(name, version, cachedir, rec, &r) == 0;
		if (lock >= 0)
			close(lock);
	}
	free(rec);
	if (!have)
		goto fail;
	if (sha256 && strcmp(sha256, r.sha256)) {
		warn("%s %s: Debian's archive has its tarball '%s' with sha256 %s, not the %s of "
		     "[%s] sha256: remove that line, or give the url of the file it is the hash of",
		     name, version, r.file, r.sha256, sha256, name);
		goto fail;
	}
	struct origin o = { .kind = ORIGIN_APT, .apt_pkg = name, .apt_ver = r.debver,
			    .file = r.file, .sha256 = r.sha256, .size = r.size };
	add_origin(out, &o);
	return 0;
fail:
	pin_free(out);
	return -1;
}

char *pin_source_file(const char *name, const char *version, const char *cachedir)
{
	char *rec = pin_path(cachedir, name, version);
	struct record r;
	int ok = read_record(rec, &r) == 0;
	free(rec);
	return ok ? xstrdup(r.file) : NULL;
}

char *pin_list(const char *name, const char *cachedir)
{
	char *dir = pins_dir(cachedir);
	char *prefix = xasprintf("%s-", name);
	size_t n = 0;
	char **v = dir_list(dir, NULL, 0, &n);
	struct buf b = {0};
	buf_addstr(&b, "");
	for (size_t i = 0; v && i < n; i++) {
		if (strncmp(v[i], prefix, strlen(prefix)))
			continue;
		char *p = path_join(dir, v[i]);
		struct record r;
		if (read_record(p, &r) == 0 && !strcmp(v[i] + strlen(prefix), r.version))
			buf_printf(&b, "%s %s %s\n", r.version, r.debver, r.suite);
		free(p);
	}
	dir_list_free(v, n);
	free(prefix);
	free(dir);
	return buf_steal(&b);
}
