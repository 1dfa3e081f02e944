#include "apt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

/* Debian's releases in order: the one after the machine's is searched
 * too (its newer versions are what a user asks for). */
static const char *const releases[] = { "buster", "bullseye", "bookworm", "trixie", "forky",
					"duke" };
#define NRELEASES (sizeof(releases) / sizeof(releases[0]))

/* Lists older than this are fetched again. */
#define LISTS_MAX_AGE (24 * 3600)

struct entry {
	char *uri, *suite, *components, *signed_by;
};

struct entries {
	struct entry *v;
	size_t n;
};

static void add_entry(struct entries *e, const char *uri, const char *suite, const char *comps,
		      const char *signed_by)
{
	e->v = xreallocarray(e->v, e->n + 1, sizeof(*e->v));
	e->v[e->n++] = (struct entry){ xstrdup(uri), xstrdup(suite), xstrdup(comps ? comps : "main"),
				       signed_by && *signed_by ? xstrdup(signed_by) : NULL };
}

static void entries_free(struct entries *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].uri);
		free(e->v[i].suite);
		free(e->v[i].components);
		free(e->v[i].signed_by);
	}
	free(e->v);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* One-line entries: "deb [opt=v ...] URI SUITE COMPONENT...". */
static void parse_list(const char *text, struct entries *e)
{
	char *copy = xstrdup(text), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "#")] = '\0';
		char *p = trim(line);
		if (strncmp(p, "deb", 3) || !isspace((unsigned char)p[p[3] == '-' ? 7 : 3]))
			continue;
		p += p[3] == '-' ? 7 : 3;
		p = trim(p);
		char *signed_by = NULL;
		if (*p == '[') {
			char *end = strchr(p, ']');
			if (!end)
				continue;
			*end = '\0';
			char *opt = strstr(p, "signed-by=");
			if (opt) {
				opt += 10;
				opt[strcspn(opt, " \t")] = '\0';
				signed_by = opt;
			}
			p = trim(end + 1);
		}
		char *uri = strtok(p, " \t"), *suite = strtok(NULL, " \t");
		char *comps = suite ? trim(suite + strlen(suite) + 1) : NULL;
		if (uri && suite)
			add_entry(e, uri, suite, comps && *comps ? comps : NULL, signed_by);
	}
	free(copy);
}

/* The value of FIELD in the deb822 stanza STANZA (new memory), or NULL. */
static char *field(const char *stanza, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = stanza; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n')) {
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			char *v = xstrndup(p + n + 1, strcspn(p + n + 1, "\n"));
			char *t = xstrdup(trim(v));
			free(v);
			return t;
		}
	}
	return NULL;
}

/* deb822 stanzas: Types, URIs, Suites, Components, Signed-By, Enabled. */
static void parse_sources(const char *text, struct entries *e)
{
	struct buf st = {0};
	for (const char *p = text;; p += strcspn(p, "\n") + 1) {
		size_t n = strcspn(p, "\n");
		int blank = 1;
		for (size_t i = 0; i < n; i++)
			blank &= isspace((unsigned char)p[i]) != 0;
		if (!blank && p[0] != '#')
			buf_printf(&st, "%.*s\n", (int)n, p);
		if ((blank || !p[n]) && st.len) {
			char *types = field(st.s, "Types"), *uris = field(st.s, "URIs");
			char *suites = field(st.s, "Suites"), *comps = field(st.s, "Components");
			char *sb = field(st.s, "Signed-By"), *enabled = field(st.s, "Enabled");
			if (types && strstr(types, "deb") && uris && suites &&
			    !(enabled && !strcasecmp(enabled, "no"))) {
				char *us = xstrdup(uris), *s1 = NULL;
				for (char *u = strtok_r(us, " \t", &s1); u; u = strtok_r(NULL, " \t", &s1)) {
					char *ss = xstrdup(suites), *s2 = NULL;
					for (char *s = strtok_r(ss, " \t", &s2); s; s = strtok_r(NULL, " \t", &s2))
						add_entry(e, u, s, comps, sb && sb[0] == '/' ? sb : NULL);
					free(ss);
				}
				free(us);
			}
			free(types), free(uris), free(suites), free(comps), free(sb), free(enabled);
			st.len = 0;
			st.s[0] = '\0';
		}
		if (!p[n])
			break;
	}
	buf_free(&st);
}

/* Whether SUITE belongs to release CODENAME ("bookworm", "bookworm-security"). */
static int of_release(const char *suite, const char *codename)
{
	size_t n = strlen(codename);
	return !strncmp(suite, codename, n) && (suite[n] == '\0' || suite[n] == '-');
}

char *apt_sources(const char *etc, const char *codename)
{
	struct entries e = {0};
	char *list = path_join(etc, "sources.list");
	char *text = read_file_quiet(list, NULL);
	if (text)
		parse_list(text, &e);
	free(text);
	free(list);
	char *dir = path_join(etc, "sources.list.d");
	size_t nf = 0;
	char **files = dir_list(dir, NULL, 0, &nf);
	for (size_t i = 0; files && i < nf; i++) {
		size_t len = strlen(files[i]);
		int is_list = len > 5 && !strcmp(files[i] + len - 5, ".list");
		int is_sources = len > 8 && !strcmp(files[i] + len - 8, ".sources");
		if (!is_list && !is_sources)
			continue;
		char *path = path_join(dir, files[i]);
		if ((text = read_file_quiet(path, NULL))) {
			if (is_list)
				parse_list(text, &e);
			else
				parse_sources(text, &e);
		}
		free(text);
		free(path);
	}
	dir_list_free(files, nf);
	free(dir);

	const char *next = NULL;
	for (size_t i = 0; i + 1 < NRELEASES; i++)
		if (!strcmp(releases[i], codename))
			next = releases[i + 1];
	/* Each mirror once: the security archive's suites, or the main
	 * archive's. */
	struct buf out = {0};
	for (size_t i = 0; i < e.n; i++) {
		if (!of_release(e.v[i].suite, codename))
			continue;
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = of_release(e.v[j].suite, codename) && !strcmp(e.v[j].uri, e.v[i].uri);
		if (seen)
			continue;
		int security = 0;
		for (size_t j = 0; j < e.n; j++)
			if (!strcmp(e.v[j].uri, e.v[i].uri) && strstr(e.v[j].suite, "-security"))
				security = 1;
		const char *suffixes[] = { security ? "-security" : "", security ? NULL : "-updates",
					   security ? NULL : "-backports" };
		for (int r = 0; r < 2; r++) {
			const char *rel = r ? next : codename;
			for (size_t k = 0; rel && k < 3; k++) {
				if (!suffixes[k] || (r && k == 2))
					continue;
				buf_addstr(&out, "deb-src ");
				if (e.v[i].signed_by)
					buf_printf(&out, "[signed-by=%s] ", e.v[i].signed_by);
				buf_printf(&out, "%s %s%s %s\n", e.v[i].uri, rel, suffixes[k],
					   e.v[i].components);
			}
		}
	}
	entries_free(&e);
	if (!out.len) {
		warn("no Debian entry of release '%s' in '%s' (sources.list, sources.list.d/): the "
		     "archive's source packages cannot be found; add the machine's Debian mirror "
		     "there", codename, etc);
		return NULL;
	}
	return buf_steal(&out);
}

char **apt_options(const char *dir)
{
	static const char *const fmt[][2] = {
		{ "Dir::Etc::sourcelist", "sources.list" },
		{ "Dir::Etc::sourceparts", "sources.list.d" },
		{ "Dir::State", "state" },
		{ "Dir::State::lists", "lists" },
		{ "Dir::Cache", "cache" },
		{ "Dir::Cache::archives", "cache/archives" },
	};
	size_t n = sizeof(fmt) / sizeof(fmt[0]);
	char **argv = xcalloc(2 * n + 7, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		argv[k++] = xstrdup("-o");
		argv[k++] = xasprintf("%s=%s/%s", fmt[i][0], dir, fmt[i][1]);
	}
	/* The package status stays the machine's (read, never written). */
	argv[k++] = xstrdup("-o");
	argv[k++] = xstrdup("Dir::State::status=/var/lib/dpkg/status");
	/* apt drops root to this user for downloads; into a private state
	 * owned by the one who runs mkdistro, that is the user itself. */
	struct passwd *pw = getpwuid(getuid());
	argv[k++] = xstrdup("-o");
	argv[k++] = xasprintf("APT::Sandbox::User=%s", pw ? pw->pw_name : "root");
	return argv;
}

void apt_argv_free(char **argv)
{
	for (char **p = argv; p && *p; p++)
		free(*p);
	free(argv);
}

/* ARGV0 ARGV1 (the private options) REST... as one argv (new memory,
 * strings borrowed: free the array only). */
static char **apt_argv(const char *prog, char **opts, char *const *rest)
{
	size_t n = 0, m = 0;
	while (opts[n])
		n++;
	while (rest[m])
		m++;
	char **argv = xcalloc(n + m + 2, sizeof(char *));
	argv[0] = (char *)prog;
	memcpy(argv + 1, opts, n * sizeof(char *));
	memcpy(argv + 1 + n, rest, m * sizeof(char *));
	return argv;
}

/* VERSION_CODENAME of /etc/os-release (new memory), or NULL. */
static char *codename(void)
{
	char *text = read_file_quiet("/etc/os-release", NULL);
	char *v = NULL;
	for (char *p = text; p && *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n'))
		if (!strncmp(p, "VERSION_CODENAME=", 17)) {
			v = xstrndup(p + 17, strcspn(p + 17, "\n"));
			if (v[0] == '"') {
				memmove(v, v + 1, strlen(v));
				v[strcspn(v, "\"")] = '\0';
			}
		}
	free(text);
	return v;
}

/* Whether LISTS has a Sources index (kept compressed or not, as the
 * machine's apt is set up). */
static int have_sources(const char *lists)
{
	size_t n = 0;
	int found = 0;
	char **v = dir_list(lists, NULL, 0, &n);
	for (size_t i = 0; v && i < n; i++)
		found |= strstr(v[i], "_Sources") != NULL;
	dir_list_free(v, n);
	return found;
}

char *apt_ready(int refresh)
{
	char *dir = cache_dir("apt");
	if (!dir) {
		warn("cannot find a cache directory for apt's state: neither XDG_CACHE_HOME nor HOME "
		     "is set");
		return NULL;
	}
	char *name = codename();
	char *sources = name ? apt_sources("/etc/apt", name) : NULL;
	if (!name)
		warn("/etc/os-release names no VERSION_CODENAME: not a Debian release this apt "
		     "state can follow");
	free(name);
	char *paths[] = { path_join(dir, "sources.list"), path_join(dir, "sources.list.d"),
			  path_join(dir, "lists/partial"), path_join(dir, "cache/archives/partial"),
			  path_join(dir, "state"), path_join(dir, ".lock"),
			  path_join(dir, "lists/.updated"), path_join(dir, "update.log"),
			  path_join(dir, "lists") };
	int lock = -1, ok = 0;
	if (!sources)
		goto out;
	for (int i = 1; i <= 4; i++)
		if (mkdir_p(paths[i], 0755) < 0)
			goto out;
	if ((lock = open(paths[5], O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0 ||
	    flock(lock, LOCK_EX) < 0) {
		warn("lock '%s':", paths[5]);
		goto out;
	}
	char *old = read_file_quiet(paths[0], NULL);
	int changed = !old || strcmp(old, sources) != 0;
	free(old);
	if (changed && write_file_atomic(paths[0], sources, strlen(sources), 0644) < 0)
		goto out;
	struct stat st;
	int stale = changed || refresh || stat(paths[6], &st) < 0 ||
		    time(NULL) - st.st_mtime > LISTS_MAX_AGE || !have_sources(paths[8]);
	if (stale) {
		fprintf(stderr, "fetch: reading the Debian archive's source indexes (apt-get update, "
				"into '%s')\n", dir);
		char **opts = apt_options(dir);
		char *rest[] = { "update", "-q", NULL };
		char **argv = apt_argv("apt-get", opts, rest);
		unlink(paths[7]);
		int rc = proc_run(argv, NULL, paths[7], NULL);
		free(argv);
		apt_argv_free(opts);
		/* A suite the mirror does not serve fails the update but not
		 * the others: what matters is that indexes came. */
		if (rc < 0 || !have_sources(paths[8])) {
			char *said = apt_log_summary(paths[7]);
			warn("apt-get update in '%s' failed: %s (its log: '%s')", dir, said, paths[7]);
			free(said);
			goto out;
		}
		if (rc != 0 && verbose) {
			char *said = apt_log_summary(paths[7]);
			warn("apt-get update: %s (the other suites were read)", said);
			free(said);
		}
		if (write_file_atomic(paths[6], "", 0, 0644) < 0)
			goto out;
	}
	ok = 1;
out:
	if (lock >= 0)
		close(lock);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		free(paths[i]);
	free(sources);
	if (!ok) {
		free(dir);
		return NULL;
	}
	return dir;
}

int apt_download(const char *spec, const char *dir, const char *log)
{
	char *state = apt_ready(0);
	if (!state)
		return -1;
	char **opts = apt_options(state);
	char *rest[] = { "source", "--download-only", "--only-source", "-q", (char *)spec, NULL };
	char **argv = apt_argv("apt-get", opts, rest);
	int st = proc_run(argv, dir, log, NULL);
	free(argv);
	apt_argv_free(opts);
	free(state);
	return st;
}

char *apt_log_summary(const char *logpath)
{
	char *text = read_file_quiet(logpath, NULL);
	char *pick = NULL, *last = NULL;

	if (!text)
		return xstrdup("no output");
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (!line[0])
			continue;
		last = line;
		if (!pick && !strncmp(line, "E: ", 3))
			pick = line;
	}
	if (!pick)
		pick = last;
	if (!pick)
		pick = "no output";
	char *s = str_printable(pick, strlen(pick), strlen(pick));
	free(text);
	return s;
}

int apt_offers(const char *dir, const char *pkg, struct apt_offer **v, size_t *n)
{
	char **opts = apt_options(dir);
	char *rest[] = { "madison", (char *)pkg, NULL };
	char **argv = apt_argv("apt-cache", opts, rest);
	struct buf out = {0};
	*v = NULL;
	*n = 0;
	int rc = proc_capture(argv, NULL, NULL, &out);
	free(argv);
	apt_argv_free(opts);
	if (rc != 0) {
		warn("apt-cache madison '%s' failed (exit status %d)", pkg, rc);
		buf_free(&out);
		return -1;
	}
	/* " musl |    1.2.3-1 | http://mirror/debian bookworm/main Sources" */
	for (char *p = out.s; p && *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n')) {
		char *line = xstrndup(p, strcspn(p, "\n"));
		char *a = strchr(line, '|'), *b = a ? strchr(a + 1, '|') : NULL;
		size_t len = strlen(line);
		if (b && len > 8 && !strcmp(line + len - 8, " Sources")) {
			*b = '\0';
			line[len - 8] = '\0';
			char *ver = trim(a + 1), *where = trim(b + 1);
			char *suite = strrchr(where, ' ');
			*v = xreallocarray(*v, *n + 1, sizeof(**v));
			(*v)[(*n)++] = (struct apt_offer){ xstrdup(ver),
							      xstrdup(suite ? suite + 1 : where) };
		}
		free(line);
	}
	buf_free(&out);
	return 0;
}

void apt_offers_free(struct apt_offer *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].version);
		free(v[i].suite);
	}
	free(v);
}

char *apt_upstream(const char *v)
{
	const char *colon = strchr(v, ':');
	if (colon)
		v = colon + 1;
	const char *dash = strrchr(v, '-');
	return dash ? xstrndup(v, (size_t)(dash - v)) : xstrdup(v);
}
