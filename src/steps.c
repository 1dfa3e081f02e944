#include "steps.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void step_input(struct step_inputs *in, const char *label, const void *data, size_t n)
{
	char hex[SHA256_HEX_LEN + 1];
	sha256_hex(data, n, hex);
	buf_printf(&in->lines, "%s %s\n", label, hex);
}

void step_input_str(struct step_inputs *in, const char *label, const char *s)
{
	step_input(in, label, s ? s : "", s ? strlen(s) : 0);
}

void step_input_file(struct step_inputs *in, const char *label, const char *path)
{
	char hex[SHA256_HEX_LEN + 1];
	if (!path)
		buf_printf(&in->lines, "%s none\n", label);
	else if (sha256_file(path, hex, NULL) < 0)
		buf_printf(&in->lines, "%s missing\n", label);
	else
		buf_printf(&in->lines, "%s %s\n", label, hex);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Hash a tree in a fixed (sorted) order, so the key does not depend on
 * the order readdir returns. */
static void hash_tree(struct hasher *h, const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	if (!d) {
		hasher_addstr(h, "unreadable");
		return;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *path = path_join(dir, names[i]);
		char *r = path_join(rel, names[i]);
		struct stat st;
		char hex[SHA256_HEX_LEN + 1];
		hasher_addstr(h, r);
		if (lstat(path, &st) < 0) {
			hasher_addstr(h, "vanished");
		} else {
			char mode[32];
			snprintf(mode, sizeof(mode), "%o", (unsigned)st.st_mode);
			hasher_addstr(h, mode);
			if (S_ISDIR(st.st_mode)) {
				hash_tree(h, path, r);
			} else if (S_ISLNK(st.st_mode)) {
				char target[4096];
				ssize_t len = readlink(path, target, sizeof(target) - 1);
				target[len < 0 ? 0 : len] = '\0';
				hasher_addstr(h, target);
			} else if (S_ISREG(st.st_mode) && sha256_file(path, hex, NULL) == 0) {
				hasher_addstr(h, hex);
			}
		}
		free(path);
		free(r);
		free(names[i]);
	}
	free(names);
}

void step_input_tree(struct step_inputs *in, const char *label, const char *dir)
{
	char hex[SHA256_HEX_LEN + 1];
	if (!dir) {
		buf_printf(&in->lines, "%s none\n", label);
		return;
	}
	struct hasher *h = hasher_new();
	hash_tree(h, dir, "");
	hasher_finish(h, hex);
	buf_printf(&in->lines, "%s %s\n", label, hex);
}

static struct step *find(struct plan *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->steps[i].name, name))
			return &p->steps[i];
	return NULL;
}

void plan_keys(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->steps[i];
		struct step_inputs in = {0};
		buf_printf(&in.lines, "mkdistro %s\n", MKDISTRO_VERSION);
		for (int d = 0; d < STEP_MAX_DEPS && s->deps[d]; d++) {
			struct step *dep = find(p, s->deps[d]);
			if (!dep || dep >= s)
				die("internal error: step '%s' needs '%s' before it", s->name, s->deps[d]);
			buf_printf(&in.lines, "step:%s %s\n", dep->name, dep->key);
		}
		if (s->inputs)
			s->inputs(p->ctx, &in);
		sha256_hex(in.lines.s, in.lines.len, s->key);
		free(s->inputs_text);
		s->inputs_text = buf_steal(&in.lines);
	}
}

static char *stamp_path(const struct plan *p, const struct step *s)
{
	char *name = xstrdup(s->name);
	for (char *c = name; *c; c++)
		if (*c == '/' || *c == ':')
			*c = '-';
	char *path = xasprintf("%s/%s.stamp", p->stampdir, name);
	free(name);
	return path;
}

/* The recorded stamp text or NULL. */
static char *read_stamp(const struct plan *p, const struct step *s)
{
	char *path = stamp_path(p, s);
	char *text = read_file_quiet(path, NULL);
	free(path);
	return text;
}

static int outputs_present(const struct step *s)
{
	for (int i = 0; i < 4 && s->outputs[i]; i++)
		if (!path_exists(s->outputs[i]))
			return 0;
	return 1;
}

static int up_to_date(const struct plan *p, const struct step *s)
{
	char *stamp = read_stamp(p, s);
	int ok = stamp && !strncmp(stamp, "key ", 4) && !strncmp(stamp + 4, s->key, SHA256_HEX_LEN) &&
		 outputs_present(s);
	free(stamp);
	return ok;
}

static void mark_needed(struct plan *p, struct step *s)
{
	if (s->needed)
		return;
	s->needed = 1;
	for (int d = 0; d < STEP_MAX_DEPS && s->deps[d]; d++)
		mark_needed(p, find(p, s->deps[d]));
}

static void show_log_tail(const char *log, int lines)
{
	size_t len;
	char *text = read_file_quiet(log, &len);
	if (!text)
		return;
	const char *start = text + len;
	int seen = 0;
	while (start > text) {
		if (start[-1] == '\n' && start != text + len && ++seen > lines)
			break;
		start--;
	}
	fprintf(stderr, "---- last lines of %s ----\n%s", log, start);
	if (len && text[len - 1] != '\n')
		fputc('\n', stderr);
	fprintf(stderr, "----\n");
	free(text);
}

int plan_run(struct plan *p, const char *target)
{
	struct step *t = find(p, target);
	if (!t)
		die("internal error: no step '%s'", target);
	if (mkdir_p(p->stampdir, 0755) < 0 || mkdir_p(p->logdir, 0755) < 0)
		return -1;
	plan_keys(p);
	mark_needed(p, t);
	size_t total = 0, k = 0;
	for (size_t i = 0; i < p->n; i++)
		total += p->steps[i].needed;
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->steps[i];
		if (!s->needed)
			continue;
		k++;
		if (up_to_date(p, s)) {
			s->state = STEP_CACHED;
			if (verbose)
				fprintf(stderr, "[%zu/%zu] %s: up to date\n", k, total, s->name);
			continue;
		}
		char *stamp = stamp_path(p, s);
		/* Forget the old success first: if this run is interrupted,
		 * the next one must redo the step. */
		if (unlink(stamp) < 0 && errno != ENOENT) {
			warn("remove '%s':", stamp);
			free(stamp);
			return -1;
		}
		char *name = xstrdup(s->name);
		for (char *c = name; *c; c++)
			if (*c == '/' || *c == ':')
				*c = '-';
		char *log = xasprintf("%s/%s.log", p->logdir, name);
		free(name);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		fprintf(stderr, "[%zu/%zu] %s ...\n", k, total, s->name);
		double t0 = now_seconds();
		int rc = s->run(p->ctx, log);
		s->seconds = now_seconds() - t0;
		if (rc < 0 || !outputs_present(s)) {
			s->state = STEP_FAILED;
			warn("step '%s' failed after %.1f s", s->name, s->seconds);
			show_log_tail(log, 30);
			fprintf(stderr, "mkdistro: full log: %s\n", log);
			free(log);
			free(stamp);
			return -1;
		}
		fprintf(stderr, "[%zu/%zu] %s done in %.1f s\n", k, total, s->name, s->seconds);
		char *text = xasprintf("key %s\n%s", s->key, s->inputs_text);
		rc = write_file_atomic(stamp, text, strlen(text), 0644);
		free(text);
		free(log);
		free(stamp);
		if (rc < 0)
			return -1;
		s->state = STEP_DONE;
	}
	return 0;
}

/* Say which labelled inputs differ between the stamp and now. */
static void explain(const char *old, const char *now)
{
	const char *sep = "";
	char *copy = xstrdup(now);
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		size_t ll = (size_t)(sp - line);
		/* Find the same label in the old text. */
		const char *o = old, *found = NULL;
		while (o && *o) {
			if (!strncmp(o, line, ll) && o[ll] == ' ') {
				found = o;
				break;
			}
			o = strchr(o, '\n');
			if (o)
				o++;
		}
		if (!found) {
			printf("%snew input %.*s", sep, (int)ll, line);
			sep = ", ";
		} else {
			size_t vl = strcspn(found + ll + 1, "\n");
			if (vl != strlen(sp + 1) || strncmp(found + ll + 1, sp + 1, vl)) {
				printf("%s%.*s changed", sep, (int)ll, line);
				sep = ", ";
			}
		}
	}
	if (!*sep)
		printf("inputs changed");
	free(copy);
}

int plan_status(struct plan *p)
{
	int stale = 0;
	plan_keys(p);
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->steps[i];
		char *stamp = read_stamp(p, s);
		printf("%-16s ", s->name);
		if (!stamp) {
			printf("stale: never built\n");
			stale++;
		} else if (!strncmp(stamp + 4, s->key, SHA256_HEX_LEN) && outputs_present(s)) {
			printf("up to date\n");
		} else if (!strncmp(stamp + 4, s->key, SHA256_HEX_LEN)) {
			printf("stale: output missing\n");
			stale++;
		} else {
			const char *old = strchr(stamp, '\n');
			printf("stale: ");
			explain(old ? old + 1 : "", s->inputs_text);
			printf("\n");
			stale++;
		}
		free(stamp);
	}
	return stale;
}

void plan_report(const struct plan *p)
{
	double total = 0;
	fprintf(stderr, "%-16s %9s  %s\n", "step", "seconds", "result");
	for (size_t i = 0; i < p->n; i++) {
		const struct step *s = &p->steps[i];
		if (!s->needed)
			continue;
		fprintf(stderr, "%-16s %9.1f  %s\n", s->name, s->seconds,
			s->state == STEP_DONE ? "ran" : s->state == STEP_CACHED ? "cached" : "failed");
		total += s->seconds;
	}
	fprintf(stderr, "%-16s %9.1f\n", "total", total);
}
