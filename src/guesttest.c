#include "guesttest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"
#include "util.h"

/* Marker lines the runner prints around each script; \036 keeps a
 * script's own output from looking like one. */
#define MARK_BEGIN "\036MKT-BEGIN "
#define MARK_END "\036MKT-END "

/* The runner, with the per-script limit as %d. Each script runs from its
 * own empty directory under /tmp with stdin from /dev/null; BusyBox's
 * timeout applet (when built in) kills one that hangs, so the others
 * still run. */
static const char runner_fmt[] =
	"#!/bin/sh\n"
	"# mkdistro: run the guest tests and print their results as marker lines\n"
	"limit=%d\n"
	"tmo=\n"
	"command -v timeout >/dev/null 2>&1 && tmo=\"timeout $limit\"\n"
	"for t in " GUEST_TEST_DIR "/[0-9]*.sh; do\n"
	"\t[ -f \"$t\" ] || continue\n"
	"\tn=${t##*/}\n"
	"\tn=${n%%.sh}\n"
	"\td=/tmp/mkdistro-test.$n\n"
	"\tmkdir -p \"$d\"\n"
	"\tprintf '\\036MKT-BEGIN %%s\\n' \"$n\"\n"
	"\t(cd \"$d\" && exec $tmo sh \"$t\") >\"$d.out\" 2>&1 </dev/null\n"
	"\trc=$?\n"
	"\t[ $rc -eq 0 ] || cat \"$d.out\"\n"
	"\tprintf '\\036MKT-END %%s %%d\\n' \"$n\" $rc\n"
	"done\n";

/* ---- loading ------------------------------------------------------- */

static void add_script(struct guest_suite *s, const char *name, const char *text, size_t len)
{
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	char *copy = xmalloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	s->v[s->n++] = (struct guest_script){.name = xstrdup(name), .text = copy, .len = len};
}


int guest_suite_load(struct guest_suite *s, const char *dir, int no_default)
{
	memset(s, 0, sizeof(*s));
	if (!no_default)
		for (size_t i = 0; i < guest_default_suite_len; i++)
			add_script(s, guest_default_suite[i].name, guest_default_suite[i].text,
				   guest_default_suite[i].len);
	if (dir) {
		size_t n;
		char **names = dir_list(dir, ".sh", 0, &n);
		if (!names) {
			warn("test scripts '%s':", dir);
			guest_suite_free(s);
			return -1;
		}
		int rc = 0;
		for (size_t i = 0; i < n; i++) {
			char *path = path_join(dir, names[i]);
			size_t len;
			char *text = rc == 0 ? read_file(path, &len) : NULL;
			if (text)
				add_script(s, path, text, len);
			else
				rc = -1;
			free(text);
			free(path);
			free(names[i]);
		}
		free(names);
		if (rc < 0) {
			guest_suite_free(s);
			return -1;
		}
		if (!n)
			warn("test scripts '%s': no *.sh file in it", dir);
	}
	if (!s->n) {
		warn("no guest test scripts to run");
		guest_suite_free(s);
		return -1;
	}
	return 0;
}

void guest_suite_free(struct guest_suite *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free((char *)s->v[i].name);
		free((char *)s->v[i].text);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- the image ----------------------------------------------------- */

int guest_initrd(const char *initrd, const struct guest_suite *s, int script_timeout,
		 const char *out)
{
	char *tmp = xasprintf("%s.tmp%ld", out, (long)getpid());
	int in = -1, fd = -1, rc = -1;
	size_t total = 0;

	in = open(initrd, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		warn("open '%s':", initrd);
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		warn("create '%s':", tmp);
		goto out;
	}
	if (copy_fd(in, fd, initrd, tmp, &total) < 0)
		goto out;
	/* The kernel looks for the next archive's magic at a multiple of 4
	 * bytes, skipping zeros. */
	static const char zeros[4];
	if (total % 4 && write(fd, zeros, 4 - total % 4) != (ssize_t)(4 - total % 4)) {
		warn("write '%s':", tmp);
		goto out;
	}
	struct cpio *c = cpio_new(fd, 0);
	char *runner = xasprintf(runner_fmt, script_timeout);
	int bad = cpio_add_dir(c, GUEST_TEST_DIR, 0755) < 0 ||
		  cpio_add_data(c, GUEST_TEST_DIR "/run", 0755, runner, strlen(runner)) < 0;
	free(runner);
	for (size_t i = 0; !bad && i < s->n; i++) {
		char name[64];
		snprintf(name, sizeof(name), GUEST_TEST_DIR "/%03zu.sh", i);
		bad = cpio_add_data(c, name, 0755, s->v[i].text, s->v[i].len) < 0;
	}
	if (bad) {
		cpio_free(c);
		goto out;
	}
	if (cpio_finish(c) < 0)
		goto out;
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		warn("write '%s':", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, out) < 0) {
		warn("rename '%s' to '%s':", tmp, out);
		goto out;
	}
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

const char *guest_command(void)
{
	return "sh " GUEST_TEST_DIR "/run";
}

/* ---- results ------------------------------------------------------- */

void guest_parser_init(struct guest_parser *p, const struct guest_suite *s, FILE *report)
{
	memset(p, 0, sizeof(*p));
	p->suite = s;
	p->report = report;
	p->current = -1;
	p->r = xcalloc(s->n ? s->n : 1, sizeof(*p->r));
	for (size_t i = 0; i < s->n; i++)
		p->r[i].status = -1;
}

void guest_parser_free(struct guest_parser *p)
{
	for (size_t i = 0; p->r && i < p->suite->n; i++)
		buf_free(&p->r[i].output);
	free(p->r);
	buf_free(&p->line);
	memset(p, 0, sizeof(*p));
}

/* Print OUTPUT indented under a result. */
static void print_output(FILE *f, const struct buf *output)
{
	const char *s = output->s ? output->s : "";
	while (*s) {
		size_t n = strcspn(s, "\n");
		fprintf(f, "    | %.*s\n", (int)n, s);
		s += n + (s[n] == '\n');
	}
}

static void report(struct guest_parser *p, size_t i, const char *why)
{
	struct guest_result *r = &p->r[i];
	const char *name = p->suite->v[i].name;
	if (r->status == 0) {
		p->passed++;
		if (p->report)
			fprintf(p->report, "PASS %s (%.1f s)\n", name, r->seconds);
	} else {
		p->failed++;
		if (!p->report)
			return;
		if (why)
			fprintf(p->report, "FAIL %s: %s\n", name, why);
		else if (r->status == 143)
			fprintf(p->report, "FAIL %s: killed after the %d s limit, or by SIGTERM "
					   "(exit status 143, %.1f s)\n",
				name, GUEST_SCRIPT_TIMEOUT, r->seconds);
		else
			fprintf(p->report, "FAIL %s: exit status %d (%.1f s)\n", name, r->status,
				r->seconds);
		print_output(p->report, &r->output);
	}
	if (p->report)
		fflush(p->report);
}

/* The script number after MARK in S, or -1. *END gets what follows. */
static long marker_number(const char *s, const char *mark, const char **end)
{
	const char *m = strstr(s, mark);
	if (!m)
		return -1;
	char *e;
	errno = 0;
	long v = strtol(m + strlen(mark), &e, 10);
	if (e == m + strlen(mark) || errno || v < 0)
		return -1;
	*end = e;
	return v;
}

static void on_line(struct guest_parser *p, const char *s, double now)
{
	const char *end;
	long i = marker_number(s, MARK_BEGIN, &end);
	if (i >= 0 && (size_t)i < p->suite->n && !*end) {
		p->current = (int)i;
		p->r[i].started = 1;
		p->begin = now;
		return;
	}
	i = marker_number(s, MARK_END, &end);
	if (i >= 0 && (size_t)i < p->suite->n && *end == ' ') {
		struct guest_result *r = &p->r[i];
		char *e;
		long st = strtol(end + 1, &e, 10);
		if (*e || st < 0 || st > 255)
			st = 255;
		/* A last output line without its newline precedes the marker. */
		const char *m = strstr(s, MARK_END);
		if (m > s)
			buf_printf(&r->output, "%.*s\n", (int)(m - s), s);
		r->status = (int)st;
		r->seconds = p->current == i ? now - p->begin : 0;
		p->current = -1;
		report(p, (size_t)i, NULL);
		return;
	}
	if (p->current >= 0)
		buf_printf(&p->r[p->current].output, "%s\n", s);
}

void guest_parser_feed(struct guest_parser *p, const char *data, size_t n, double now)
{
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n') {
			on_line(p, p->line.s ? p->line.s : "", now);
			p->line.len = 0;
			if (p->line.s)
				p->line.s[0] = '\0';
		} else if (data[i] != '\0' && p->line.len < 64 * 1024) {
			buf_addch(&p->line, data[i]);
		}
	}
}

int guest_parser_finish(struct guest_parser *p, const char *why)
{
	if (p->line.len) {
		on_line(p, p->line.s, now_seconds());
		p->line.len = 0;
	}
	for (size_t i = 0; i < p->suite->n; i++) {
		if (p->r[i].status >= 0)
			continue;
		char text[300];
		snprintf(text, sizeof(text), "%s: %s",
			 p->r[i].started ? "did not finish" : "not run", why ? why : "no result");
		report(p, i, text);
	}
	if (p->report) {
		fprintf(p->report, "%d passed, %d failed\n", p->passed, p->failed);
		fflush(p->report);
	}
	return p->failed;
}

/* ---- the run ------------------------------------------------------- */

/* The runner's stdout is the protocol; its own stderr (the scripts'
 * goes to their results) is shown as it is. */
static void feed_cb(void *ctx, int stream, const char *data, size_t n)
{
	if (stream == 2)
		(void)!write(STDERR_FILENO, data, n);
	else
		guest_parser_feed(ctx, data, n, now_seconds());
}

int guest_run(const struct boot *b, const struct guest_suite *s, const char *tmp_initrd,
	      FILE *report, struct boot_times *t, struct guest_result *results)
{
	struct guest_parser p;
	struct boot tb = *b;
	struct boot_times times;

	if (!t)
		t = &times;
	if (guest_initrd(b->initrd, s, GUEST_SCRIPT_TIMEOUT, tmp_initrd) < 0)
		return -BOOT_ERROR;
	tb.initrd = tmp_initrd;
	guest_parser_init(&p, s, report);
	int rc = qemu_command_cb(&tb, guest_command(), feed_cb, &p, t);
	unlink(tmp_initrd);
	char why[128];
	/* The diagnosis itself was printed once, above. */
	if (rc < 0)
		snprintf(why, sizeof(why), "the boot failed (%s)", boot_failure_name(-rc));
	else
		snprintf(why, sizeof(why), "the runner ended with status %d", rc);
	int failed = guest_parser_finish(&p, why);
	for (size_t i = 0; results && i < s->n; i++) {
		results[i] = p.r[i];
		memset(&p.r[i].output, 0, sizeof(p.r[i].output));
	}
	guest_parser_free(&p);
	return rc < 0 ? rc : failed;
}
