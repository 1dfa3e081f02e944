/* steps: a build as a graph of steps. Each step's key is a hash of its
 * labelled inputs (which include the keys of the steps it needs); a step
 * whose key matches the one recorded at its last success is skipped.
 * A step keyed by what its deps made (late_key) leaves their keys out and
 * has its key computed when they are done; what needs it, then too. */
#ifndef MKDISTRO_STEPS_H
#define MKDISTRO_STEPS_H

#include <stddef.h>
#include <sys/types.h>

#include "hash.h"
#include "proc.h"
#include "util.h"

#define STEP_MAX_DEPS 6
#define STEP_MAX_OUTPUTS 4

struct step;

/* Collected inputs of a step: "label sha256" lines. */
struct step_inputs {
	struct buf lines;
};

/* Add an input: LABEL names it in `mkdistro status`, DATA is hashed. */
void step_input(struct step_inputs *in, const char *label, const void *data, size_t n);
/* Add a string input. */
void step_input_str(struct step_inputs *in, const char *label, const char *s);
/* Add a file's contents as an input (missing file hashes as "missing"). */
void step_input_file(struct step_inputs *in, const char *label, const char *path);
/* Add a directory tree (names, modes, link targets, contents) as an input;
 * an empty directory counts as none. */
void step_input_tree(struct step_inputs *in, const char *label, const char *dir);

struct step {
	const char *name;
	const char *deps[STEP_MAX_DEPS]; /* names of steps it needs; NULL-terminated */
	/* Add everything that can change the output (besides the deps' keys). */
	void (*inputs)(void *ctx, struct step_inputs *in);
	/* Do the work, writing all output to LOG. Return 0 or -1 (after
	 * warn() for problems that are not in the log). */
	int (*run)(void *ctx, const char *log);
	/* Paths that must exist for a recorded success to count;
	 * NULL-terminated unless all are used. */
	const char *outputs[STEP_MAX_OUTPUTS];
	/* 1: the key leaves out the deps' keys, and INPUTS reads what they
	 * made (so two ways to the same output share one record). */
	int late_key;

	/* Filled in by the runner. */
	char key[SHA256_HEX_LEN + 1];
	int rekeyed;          /* its key changed when computed late */
	int key_settled;      /* computed once its deps were done */
	char *inputs_text;
	int needed, state;
	struct child child;   /* while running: the process running it */
	off_t streamed;       /* bytes of its log shown (-v) */
	double start, seconds; /* start: from the plan's start */
};

enum { STEP_PENDING, STEP_RUNNING, STEP_CACHED, STEP_DONE, STEP_FAILED };

struct plan {
	struct step *steps; /* in dependency order: deps before users */
	size_t n;
	void *ctx;
	const char *stampdir;
	const char *logdir;
	/* Steps run at once (1: one after another), each in a child process.
	 * JOBS tokens in a GNU make job server shared by every make they
	 * start bound the whole build to JOBS jobs. */
	int parallel;
	int jobs;
	double seconds;     /* wall time of the last plan_run */
	double cpu_seconds; /* user+system time its steps used */
};

/* While plan_run runs with a job server, 1; make must then be run
 * without -j (it takes its jobs from the server through MAKEFLAGS). */
int plan_jobserver_active(void);

/* Compute keys of every step (in order). */
void plan_keys(struct plan *p);
/* The key of the step NAME (computed by plan_keys or plan_run), or NULL
 * when the plan has no such step. */
const char *plan_step_key(const struct plan *p, const char *name);
/* Run TARGET and what it needs. Returns 0, or -1 after reporting the
 * failed step with the tail of its log. */
int plan_run(struct plan *p, const char *target);
/* Forget the recorded success of step NAME, so that the next run redoes
 * it (after its output was changed by hand, e.g. by menuconfig). */
void plan_forget(struct plan *p, const char *name);
/* Print each step as up to date or stale (and why). Returns the number of
 * stale steps. */
int plan_status(struct plan *p);
/* Print the table of the last plan_run: step, seconds, ran or cached. */
void plan_report(const struct plan *p);

#endif
