#include "steps.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

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


/* Hash a tree in a fixed (sorted) order, so the key does not depend on
 * the order readdir returns. */
static void hash_tree(struct hasher *h, const char *dir, const char *rel)
{
	size_t n;
	char **names = dir_list(dir, NULL, 1, &n);
	if (!names) {
		hasher_addstr(h, "unreadable");
		return;
	}
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
	/* An empty directory adds nothing: the same as none, so that the
	 * empty overlay/ and programs/ of `mkdistro init` change no key. */
	int empty = 1;
	DIR *d = dir ? opendir(dir) : NULL;
	for (struct dirent *de; d && (de = readdir(d));)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	if (d)
		closedir(d);
	if (!dir || (empty && path_exists(dir))) {
		buf_printf(&in->lines, "%s none\n", label);
		return;
	}
	struct hasher *h = hasher_new();
	hash_tree(h, dir, "");
	hasher_finish(h, hex);
	buf_printf(&in->lines, "%s %s\n", label, hex);
}

static struct step *find(const struct plan *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->steps[i].name, name))
			return &p->steps[i];
	return NULL;
}

static void step_key(struct plan *p, struct step *s)
{
	struct step_inputs in = {0};
	buf_printf(&in.lines, "mkdistro %s\n", MKDISTRO_VERSION);
	for (int d = 0; d < STEP_MAX_DEPS && s->deps[d]; d++) {
		struct step *dep = find(p, s->deps[d]);
		if (!dep || dep >= s)
			die("internal error: step '%s' needs '%s' before it", s->name, s->deps[d]);
		if (!s->late_key)
			buf_printf(&in.lines, "step:%s %s\n", dep->name, dep->key);
	}
	if (s->inputs)
		s->inputs(p->ctx, &in);
	sha256_hex(in.lines.s, in.lines.len, s->key);
	free(s->inputs_text);
	s->inputs_text = buf_steal(&in.lines);
}

void plan_keys(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		p->steps[i].rekeyed = p->steps[i].key_settled = 0;
		step_key(p, &p->steps[i]);
	}
}

/* Once S's deps are done: its key again when a dep's key changed that
 * way, or when it is keyed late and a dep ran (what a cached dep made is
 * what plan_keys read). */
static void step_rekey(struct plan *p, struct step *s)
{
	if (s->key_settled)
		return;
	s->key_settled = 1;
	int again = 0;
	for (int d = 0; d < STEP_MAX_DEPS && s->deps[d] && !again; d++) {
		const struct step *dep = find(p, s->deps[d]);
		again = dep->rekeyed || (s->late_key && dep->state == STEP_DONE);
	}
	if (!again)
		return;
	char old[sizeof(s->key)];
	memcpy(old, s->key, sizeof(old));
	step_key(p, s);
	s->rekeyed = strcmp(old, s->key) != 0;
}

const char *plan_step_key(const struct plan *p, const char *name)
{
	const struct step *s = find(p, name);
	return s ? s->key : NULL;
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

/* The first of S's outputs that does not exist, or NULL. */
static const char *missing_output(const struct step *s)
{
	for (int i = 0; i < STEP_MAX_OUTPUTS && s->outputs[i]; i++)
		if (!path_exists(s->outputs[i]))
			return s->outputs[i];
	return NULL;
}

static int outputs_present(const struct step *s)
{
	return missing_output(s) == NULL;
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

static char *step_file(const struct plan *p, const struct step *s, const char *dir, const char *ext)
{
	char *name = xstrdup(s->name);
	for (char *c = name; *c; c++)
		if (*c == '/' || *c == ':')
			*c = '-';
	char *path = xasprintf("%s/%s.%s", dir, name, ext);
	free(name);
	(void)p;
	return path;
}

/* The job server: a pipe holding one byte per free job slot. The
 * scheduler takes a slot for each step it starts (the implicit slot of
 * the first make in it) and gives it back when the step ends; makes take
 * further slots from the same pipe. */
static int js_fds[2] = { -1, -1 };
static int js_sched = -1; /* our own non-blocking view of the read end */

int plan_jobserver_active(void)
{
	return js_fds[0] >= 0;
}

static int jobserver_open(int jobs)
{
	if (pipe(js_fds) < 0) {
		warn("pipe:");
		return -1;
	}
	/* A separate open file description: O_NONBLOCK here must not change
	 * how the makes read the pipe. */
	char *self = xasprintf("/proc/self/fd/%d", js_fds[0]);
	js_sched = open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	free(self);
	if (js_sched < 0) {
		warn("job server:");
		close(js_fds[0]);
		close(js_fds[1]);
		js_fds[0] = js_fds[1] = -1;
		return -1;
	}
	for (int i = 0; i < jobs; i++)
		if (write(js_fds[1], "+", 1) != 1) {
			warn("job server:");
			return -1;
		}
	char *flags = xasprintf(" -j%d --jobserver-auth=%d,%d", jobs, js_fds[0], js_fds[1]);
	setenv("MAKEFLAGS", flags, 1);
	free(flags);
	return 0;
}

static void jobserver_close(void)
{
	if (js_fds[0] < 0)
		return;
	unsetenv("MAKEFLAGS");
	close(js_fds[0]);
	close(js_fds[1]);
	close(js_sched);
	js_fds[0] = js_fds[1] = js_sched = -1;
}

static int token_take(void)
{
	char c;
	for (;;) {
		ssize_t n = read(js_sched, &c, 1);
		if (n == 1)
			return 1;
		if (n < 0 && errno == EINTR)
			continue;
		return 0;
	}
}

static void token_give(void)
{
	while (write(js_fds[1], "+", 1) < 0 && errno == EINTR)
		;
}

static int deps_done(struct plan *p, const struct step *s)
{
	for (int d = 0; d < STEP_MAX_DEPS && s->deps[d]; d++) {
		const struct step *dep = find(p, s->deps[d]);
		if (dep->state != STEP_DONE && dep->state != STEP_CACHED)
			return 0;
	}
	return 1;
}

/* User plus system time of every waited-for child and its waited-for
 * descendants so far. */
static double children_cpu_seconds(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_CHILDREN, &ru) < 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* What a step's child process runs. */
struct step_job {
	struct plan *p;
	struct step *s;
	const char *log;
};

static int step_child(void *arg)
{
	struct step_job *j = arg;
	return j->s->run(j->p->ctx, j->log) < 0 ? 1 : 0;
}

/* Start S in a child process of its own process group. */
static int step_start(struct plan *p, struct step *s, double t0, size_t k, size_t total, int tty)
{
	char *stamp = step_file(p, s, p->stampdir, "stamp");
	/* Forget the old success first: if this run is interrupted, the next
	 * one must redo the step. */
	if (unlink(stamp) < 0 && errno != ENOENT) {
		warn("remove '%s':", stamp);
		free(stamp);
		return -1;
	}
	free(stamp);
	char *log = step_file(p, s, p->logdir, "log");
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	s->streamed = 0;
	if (!tty)
		fprintf(stderr, "[%zu/%zu] %s started\n", k, total, s->name);
	fflush(NULL);
	s->start = now_seconds() - t0;

	/* Its own process group; if mkdistro dies (even by SIGKILL), the
	 * step stops too and takes its makes with it (see
	 * proc_install_signal_handlers). */
	struct step_job job = {.p = p, .s = s, .log = log};
	char *name[] = {(char *)s->name, NULL};
	s->child = (struct child){.argv = name, .fn = step_child, .arg = &job, .pdeathsig = SIGTERM};
	int rc = child_start(&s->child);
	free(log);
	if (rc < 0)
		return -1;
	s->state = STEP_RUNNING;
	return 0;
}

/* Lines in a file, for progress estimates (0 if unreadable). */
static long count_lines(const char *path)
{
	char chunk[1 << 15];
	long n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t r;
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		for (ssize_t i = 0; i < r; i++)
			n += chunk[i] == '\n';
	close(fd);
	return n;
}

/* The progress display on a terminal: one line per running step with its
 * time and, when an earlier log of the same step exists, how far along
 * its log is. Redrawn in place; finished steps scroll up above it. */
static int drawn; /* lines of the display now on screen */

static void progress_clear(void)
{
	for (int i = 0; i < drawn; i++)
		fputs("\033[1A\033[2K", stderr);
	drawn = 0;
}

static void progress_draw(struct plan *p, double t0)
{
	double now = now_seconds() - t0;
	progress_clear();
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->steps[i];
		if (s->state != STEP_RUNNING)
			continue;
		char *log = step_file(p, s, p->logdir, "log");
		char *prev = step_file(p, s, p->logdir, "lines");
		char *text = read_file_quiet(prev, NULL);
		long total = text ? strtol(text, NULL, 10) : 0;
		free(text);
		fprintf(stderr, "  %-16s %7.1f s", s->name, now - s->start);
		if (total > 0) {
			long done = count_lines(log);
			int pct = (int)(done * 100 / total);
			if (pct > 99)
				pct = 99;
			fprintf(stderr, "  [%-20.*s] %2d%%", pct / 5, "####################", pct);
		}
		fputc('\n', stderr);
		drawn++;
		free(log);
		free(prev);
	}
	fflush(stderr);
}

/* -v: show what S's log gained since last time, each line after the
 * step's name. A line still being written waits for its end, unless ALL
 * (the step has ended) or it fills the whole buffer. */
static void stream_log(struct plan *p, struct step *s, int all)
{
	char *log = step_file(p, s, p->logdir, "log");
	int fd = open(log, O_RDONLY | O_CLOEXEC);
	free(log);
	if (fd < 0)
		return;
	char chunk[1 << 14];
	ssize_t r;
	while ((r = pread(fd, chunk, sizeof(chunk), s->streamed)) > 0) {
		ssize_t end = r;
		while (end > 0 && chunk[end - 1] != '\n')
			end--;
		if (end == 0 && (all || r == (ssize_t)sizeof(chunk)))
			end = r;
		if (end == 0)
			break;
		for (ssize_t i = 0; i < end;) {
			ssize_t n = 0;
			while (i + n < end && chunk[i + n] != '\n')
				n++;
			fprintf(stderr, "%s| %.*s\n", s->name, (int)n, chunk + i);
			i += n + 1;
		}
		s->streamed += end;
	}
	close(fd);
	fflush(stderr);
}

/* Wait for one running step; returns it with its state set. On a
 * terminal the progress display is redrawn while waiting. */
static struct step *step_reap(struct plan *p, double t0, int tty, int want_token, int *token_ready)
{
	*token_ready = 0;
	for (;;) {
		/* Only the steps' own pids: other children of this process
		 * (QEMU, a proc_start()ed helper) are not ours to reap. */
		for (size_t i = 0; i < p->n; i++) {
			struct step *s = &p->steps[i];
			if (s->state != STEP_RUNNING)
				continue;
			int r = child_poll(&s->child);
			if (r == 0)
				continue;
			if (r < 0)
				return NULL;
			if (verbose)
				stream_log(p, s, 1);
			s->seconds = now_seconds() - t0 - s->start;
			s->state = s->child.status == 0 && outputs_present(s) ? STEP_DONE : STEP_FAILED;
			if (tty)
				progress_clear();
			return s;
		}
		if (tty)
			progress_draw(p, t0);
		for (size_t i = 0; i < p->n && verbose; i++)
			if (p->steps[i].state == STEP_RUNNING)
				stream_log(p, &p->steps[i], 0);
		/* Wake up for a slot that a make gave back (it can start a
		 * waiting step before any running one ends), or to look again. */
		struct pollfd pfd = { .fd = js_sched, .events = POLLIN };
		if (poll(&pfd, want_token ? 1 : 0, want_token ? 100 : 250) > 0 && want_token) {
			*token_ready = 1;
			return NULL;
		}
	}
}

static int step_record(struct plan *p, struct step *s)
{
	char *stamp = step_file(p, s, p->stampdir, "stamp");
	char *text = xasprintf("key %s\n%s", s->key, s->inputs_text);
	int rc = write_file_atomic(stamp, text, strlen(text), 0644);
	free(text);
	free(stamp);
	return rc;
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
	for (size_t i = 0; i < p->n; i++) {
		p->steps[i].state = STEP_PENDING;
		p->steps[i].seconds = 0;
		total += p->steps[i].needed;
	}
	double t0 = now_seconds();
	double cpu0 = children_cpu_seconds();
	int parallel = p->parallel > 0 ? p->parallel : 1;
	int running = 0, failed = 0, js = 0;
	/* A slot of a step that just ended, kept for the next step to
	 * start: given back to the pipe, the slot would go to whichever
	 * reader wakes first, and a make blocked in read() (the kernel's,
	 * waiting to start one more compile) wins that race nearly every
	 * time, so a ready step waited for minutes. */
	int spare = 0;
	int tty = isatty(STDERR_FILENO) && !verbose;

	for (;;) {
		/* Start what can start, in plan order. */
		int progress = 1;
		while (progress && !failed) {
			progress = 0;
			for (size_t i = 0; i < p->n; i++) {
				struct step *s = &p->steps[i];
				if (!s->needed || s->state != STEP_PENDING || !deps_done(p, s))
					continue;
				step_rekey(p, s);
				if (up_to_date(p, s)) {
					s->state = STEP_CACHED;
					k++;
					if (verbose)
						fprintf(stderr, "[%zu/%zu] %s: up to date\n", k, total, s->name);
					progress = 1;
					continue;
				}
				if (!s->run) {
					/* A step that only gathers others. */
					s->state = STEP_DONE;
					k++;
					if (step_record(p, s) < 0)
						failed = 1;
					progress = 1;
					continue;
				}
				if (running >= parallel)
					continue;
				if (!js) {
					if (jobserver_open(p->jobs > 0 ? p->jobs : 1) < 0) {
						failed = 1;
						break;
					}
					js = 1;
				}
				if (spare)
					spare = 0;
				else if (!token_take())
					continue;
				if (step_start(p, s, t0, ++k, total, tty) < 0) {
					token_give();
					failed = 1;
					break;
				}
				running++;
				progress = 1;
			}
		}
		if (spare) {
			token_give();
			spare = 0;
		}
		if (running == 0)
			break;
		int want = 0, token_ready;
		for (size_t i = 0; i < p->n && !failed && running < parallel; i++)
			if (p->steps[i].needed && p->steps[i].state == STEP_PENDING && deps_done(p, &p->steps[i]))
				want = 1;
		struct step *s = step_reap(p, t0, tty, want, &token_ready);
		if (!s && token_ready)
			continue;
		if (!s) {
			failed = 1;
			proc_kill_all();
			break;
		}
		running--;
		spare = 1;
		if (s->state == STEP_DONE) {
			fprintf(stderr, "%s done in %.1f s\n", s->name, s->seconds);
			if (step_record(p, s) < 0)
				failed = 1;
			/* Remember the log's length for the next progress estimate. */
			char *log = step_file(p, s, p->logdir, "log");
			char *lines = step_file(p, s, p->logdir, "lines");
			char *n = xasprintf("%ld\n", count_lines(log));
			write_file_atomic(lines, n, strlen(n), 0644);
			free(n);
			free(log);
			free(lines);
		} else if (failed) {
			fprintf(stderr, "mkdistro: step '%s' stopped\n", s->name);
		} else {
			char *log = step_file(p, s, p->logdir, "log");
			warn("step '%s' failed after %.1f s", s->name, s->seconds);
			show_log_tail(log, 30);
			fprintf(stderr, "mkdistro: full log: %s\n", log);
			free(log);
			if (running > 0)
				fprintf(stderr, "mkdistro: stopping the other running steps\n");
			failed = 1;
			/* Stop the rest: their stamps are gone, so the next run
			 * redoes them. */
			for (size_t i = 0; i < p->n; i++)
				if (p->steps[i].state == STEP_RUNNING)
					kill(-p->steps[i].child.pid, SIGTERM);
		}
	}
	if (spare)
		token_give();
	jobserver_close();
	p->seconds = now_seconds() - t0;
	p->cpu_seconds = children_cpu_seconds() - cpu0;
	if (!failed && t->state != STEP_DONE && t->state != STEP_CACHED) {
		warn("internal error: step '%s' could not run", t->name);
		failed = 1;
	}
	return failed ? -1 : 0;
}

/* Say which labelled inputs differ between the stamp and now. */
static void explain(const char *old, const char *now)
{
	const char *sep = "";
	char *copy = xstrdup(now);
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* "LABEL VALUE": a label may hold spaces, a value never. */
		char *sp = strrchr(line, ' ');
		if (!sp)
			continue;
		size_t ll = (size_t)(sp - line);
		/* Find the same label in the old text. */
		const char *o = old, *found = NULL;
		while (o && *o) {
			size_t ol = strcspn(o, "\n");
			if (ol > ll && !strncmp(o, line, ll) && o[ll] == ' ' &&
			    !memchr(o + ll + 1, ' ', ol - ll - 1)) {
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

void plan_forget(struct plan *p, const char *name)
{
	struct step *s = find(p, name);
	if (!s)
		return;
	char *stamp = step_file(p, s, p->stampdir, "stamp");
	unlink(stamp);
	free(stamp);
}

int plan_status(struct plan *p)
{
	int stale = 0;
	plan_keys(p);
	/* 1: stale; 2: keyed late (or after one that is) with a stale dep,
	 * so that its key is known only once that dep has run. */
	char *state = xcalloc(p->n ? p->n : 1, 1);
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->steps[i];
		const struct step *wait = NULL;
		for (int d = 0; d < STEP_MAX_DEPS && s->deps[d] && !wait; d++) {
			const struct step *dep = find(p, s->deps[d]);
			int ds = state[dep - p->steps];
			if (ds == 2 || (ds == 1 && s->late_key))
				wait = dep;
		}
		printf("%-16s ", s->name);
		if (wait) {
			printf("stale: waits for %s (then keyed by what it made)\n", wait->name);
			state[i] = 2;
			stale++;
			continue;
		}
		char *stamp = read_stamp(p, s);
		state[i] = 1;
		if (!stamp || strncmp(stamp, "key ", 4)) {
			printf("stale: never built\n");
		} else if (!strncmp(stamp + 4, s->key, SHA256_HEX_LEN)) {
			const char *missing = missing_output(s);
			if (missing) {
				printf("stale: output missing: %s\n", missing);
			} else {
				printf("up to date\n");
				state[i] = 0;
			}
		} else {
			const char *old = strchr(stamp, '\n');
			printf("stale: ");
			explain(old ? old + 1 : "", s->inputs_text);
			printf("\n");
		}
		stale += state[i];
		free(stamp);
	}
	free(state);
	return stale;
}

void plan_report(const struct plan *p)
{
	double total = 0;
	int ran = 0;
	fprintf(stderr, "%-16s %9s  %s\n", "step", "seconds", "result");
	for (size_t i = 0; i < p->n; i++) {
		const struct step *s = &p->steps[i];
		if (!s->needed)
			continue;
		fprintf(stderr, "%-16s %9.1f  %s\n", s->name, s->seconds,
			s->state == STEP_DONE ? "ran" : s->state == STEP_CACHED ? "cached" : "failed");
		total += s->seconds;
		ran += s->state == STEP_DONE;
	}
	fprintf(stderr, "%-16s %9.1f  (sum of the steps)\n", "total", total);
	/* How well the build used the machine: with steps side by side the
	 * sum above exceeds the wall time; CPU time over wall time is the
	 * number of cores kept busy on average. */
	if (ran && p->seconds > 0)
		fprintf(stderr, "%-16s %9.1f  (CPU time of the steps: %.2f of %d job slots busy)\n",
			"cpu", p->cpu_seconds, p->cpu_seconds / p->seconds, p->jobs > 0 ? p->jobs : 1);
}
