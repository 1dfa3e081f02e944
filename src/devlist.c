#include "devlist.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define MAX_FIELDS 9

static int parse_num(const char *s, int base, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-')
		return -1;
	unsigned long v = strtoul(s, &end, base);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static void entry_free(struct cpio_entry *e)
{
	free((char *)e->path);
	free((char *)e->target);
	free((char *)e->src);
}

void devlist_free(struct devlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

struct kind {
	const char *name;
	mode_t type;
	int nfields; /* including the keyword */
};

static const struct kind kinds[] = {
	{ "dir", S_IFDIR, 5 },  { "nod", 0, 8 },        { "pipe", S_IFIFO, 5 },
	{ "sock", S_IFSOCK, 5 }, { "slink", S_IFLNK, 6 }, { "file", S_IFREG, 6 },
};

/* Parse one line's fields into E. Returns NULL or an error message. */
static const char *parse_entry(char **f, int n, const char *dir, struct cpio_entry *e)
{
	const struct kind *k = NULL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(f[0], kinds[i].name))
			k = &kinds[i];
	if (!k)
		return "unknown type; expected dir, nod, pipe, sock, slink or file";
	if (n != k->nfields)
		return "wrong number of fields for this type (see mkdistro(1))";
	if (f[1][0] != '/')
		return "path must be absolute (start with '/')";
	int m = (k->type == S_IFLNK || k->type == S_IFREG) ? 3 : 2; /* index of MODE */
	unsigned long mode, uid, gid;
	if (parse_num(f[m], 8, 07777, &mode) < 0)
		return "bad mode: expected octal permission bits such as 0644";
	if (parse_num(f[m + 1], 10, 0xffffffffUL, &uid) < 0 ||
	    parse_num(f[m + 2], 10, 0xffffffffUL, &gid) < 0)
		return "bad uid or gid: expected a number";
	memset(e, 0, sizeof(*e));
	e->uid = uid;
	e->gid = gid;
	e->mode = k->type | (mode_t)mode;
	if (!strcmp(f[0], "nod")) {
		unsigned long maj, min;
		if (strcmp(f[5], "c") && strcmp(f[5], "b"))
			return "device type must be c or b";
		if (parse_num(f[6], 10, 4095, &maj) < 0 || parse_num(f[7], 10, 0xfffff, &min) < 0)
			return "bad major or minor number";
		e->mode = (f[5][0] == 'c' ? S_IFCHR : S_IFBLK) | (mode_t)mode;
		e->major = (unsigned)maj;
		e->minor = (unsigned)min;
	}
	e->path = xstrdup(f[1]);
	if (k->type == S_IFLNK)
		e->target = xstrdup(f[2]);
	if (k->type == S_IFREG) {
		e->src = f[2][0] == '/' ? xstrdup(f[2]) : path_join(dir, f[2]);
		if (!path_exists(e->src)) {
			entry_free(e);
			return "source file does not exist";
		}
	}
	return NULL;
}

int devlist_parse(const char *text, const char *file, const char *dir, struct devlist *out)
{
	int errors = 0, lineno = 0;
	out->v = NULL;
	out->n = 0;
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		char *copy = xstrndup(line, len);
		line += len + (line[len] == '\n');
		lineno++;
		char *hash = strchr(copy, '#');
		if (hash)
			*hash = '\0';
		char *f[MAX_FIELDS + 1], *save = NULL;
		int n = 0;
		for (char *t = strtok_r(copy, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save))
			f[n < MAX_FIELDS ? n++ : MAX_FIELDS] = t;
		if (n == 0) {
			free(copy);
			continue;
		}
		struct cpio_entry e;
		const char *err = n >= MAX_FIELDS ? "too many fields" : parse_entry(f, n, dir, &e);
		if (!err) {
			for (size_t i = 0; i < out->n; i++)
				if (!strcmp(out->v[i].path, e.path)) {
					err = "path listed twice";
					entry_free(&e);
					break;
				}
		}
		if (err) {
			warn("%s:%d: %s", file, lineno, err);
			errors++;
		} else {
			out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
			out->v[out->n++] = e;
		}
		free(copy);
	}
	if (errors) {
		devlist_free(out);
		return -1;
	}
	return 0;
}

int devlist_load(const char *path, struct devlist *out)
{
	char *text = read_file(path, NULL);
	if (!text)
		return -1;
	char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
	int rc = devlist_parse(text, path, *dir ? dir : "/", out);
	free(dir);
	free(text);
	return rc;
}
