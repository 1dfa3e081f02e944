/* guesttest: shell scripts run inside the booted system, one boot for all
 * of them: the default smoke suite (the scripts of tests/guest, compiled
 * into the binary) plus the *.sh files of a directory the user names.
 *
 * The scripts travel in the initramfs, not through the console: a copy of
 * the built initrd.img gets an uncompressed cpio archive appended (the
 * kernel unpacks concatenated archives in turn) that holds them under
 * /mkdistro-tests, with a runner. So there is no limit on their size or
 * line length, and typing them at serial speed is avoided. The runner
 * prints a marker line before and after each script; only a failed
 * script's output is printed. */
#ifndef MKDISTRO_GUESTTEST_H
#define MKDISTRO_GUESTTEST_H

#include <stddef.h>
#include <stdio.h>

#include "qemu.h"

/* Where the scripts are in the guest. */
#define GUEST_TEST_DIR "/mkdistro-tests"
/* Seconds one script may run in the guest before it is killed (TCG). */
#define GUEST_SCRIPT_TIMEOUT 120

struct guest_script {
	const char *name; /* shown in results: "mounts.sh", "DIR/x.sh" */
	const char *text;
	size_t len;
};

/* The default suite, generated from the scripts in tests/guest at build time
 * (obj/guest_suite.c); static memory, sorted by name. */
extern const struct guest_script guest_default_suite[];
extern const size_t guest_default_suite_len;

/* A suite to run; every string is owned. */
struct guest_suite {
	struct guest_script *v;
	size_t n;
};

/* Fill S with the default suite (unless NO_DEFAULT) followed by DIR's
 * *.sh files in name order (DIR NULL: none). Returns 0, or -1 after
 * warn() (DIR unreadable, a script unreadable, no script at all). */
int guest_suite_load(struct guest_suite *s, const char *dir, int no_default);
/* Free S's memory. */
void guest_suite_free(struct guest_suite *s);

/* Write INITRD followed by an uncompressed newc archive with S and the
 * runner (scripts limited to SCRIPT_TIMEOUT seconds each) to OUT, which
 * is written under a temporary name and renamed. Returns 0 or -1 after
 * warn(). */
int guest_initrd(const char *initrd, const struct guest_suite *s, int script_timeout,
		 const char *out);

/* The command typed into the guest shell to run the suite. Static. */
const char *guest_command(void);

/* The results as they come from the guest's output. */
struct guest_result {
	int status;     /* exit status; -1: not finished */
	int started;    /* its begin marker was seen */
	double seconds; /* host time from begin to end marker */
	struct buf output; /* its output (printed by the guest on failure) */
};

struct guest_parser {
	const struct guest_suite *suite;
	struct guest_result *r; /* one per script */
	FILE *report;           /* where results are printed as they come, or NULL */
	struct buf line;        /* unfinished output line */
	int current;            /* index of the running script, -1 none */
	double begin;           /* now_seconds() at its begin marker */
	int passed, failed;
};

/* Start parsing the output of a run of S, printing results to REPORT. */
void guest_parser_init(struct guest_parser *p, const struct guest_suite *s, FILE *report);
/* Process N bytes of the command's output at host time NOW (seconds). */
void guest_parser_feed(struct guest_parser *p, const char *data, size_t n, double now);
/* The run ended: scripts without a result fail with WHY (e.g. "not run:
 * the boot failed"); print the closing "N passed, N failed" line. Returns
 * the number of failed scripts. */
int guest_parser_finish(struct guest_parser *p, const char *why);
/* Release P's memory. */
void guest_parser_free(struct guest_parser *p);

/* Boot B with S in its initramfs (a copy written to TMP_INITRD, removed
 * afterwards), run every script, print a line per script to REPORT
 * (output of failed ones indented below) and the closing line. RESULTS,
 * if not NULL, is an array of S->n that gets each script's result (its
 * output moved there; free each with buf_free). Returns the number of
 * failed scripts, or -BOOT_* when the boot failed (after the diagnosis;
 * the closing line is printed then too). */
int guest_run(const struct boot *b, const struct guest_suite *s, const char *tmp_initrd,
	      FILE *report, struct boot_times *t, struct guest_result *results);

#endif
