/* report: the results of `mkdistro test` and `mkdistro run -c` for
 * machines: TAP version 13, JUnit XML or JSON, written from a plain struct
 * of results (no I/O of its own but the text it returns).
 *
 * Text from outside (console lines, a script's output, names) is escaped
 * for each format: invalid UTF-8 bytes become U+FFFD; JSON escapes the
 * control characters (\n, \t, \u00XX); XML 1.0 cannot hold control
 * characters other than tab, newline and CR at all, so they become U+FFFD
 * there too; TAP's YAML blocks hold JSON strings (valid YAML), and a test
 * name has '#' escaped and line breaks turned into spaces. */
#ifndef MKDISTRO_REPORT_H
#define MKDISTRO_REPORT_H

#include <stddef.h>

enum report_format {
	REPORT_HUMAN = 0, /* mkdistro's own lines (no report) */
	REPORT_TAP,
	REPORT_JUNIT,
	REPORT_JSON,
};

/* The format named NAME ("tap", "junit", "json") into *F. 0, or -1. */
int report_format_parse(const char *name, enum report_format *f);

/* One test: a guest script, or the command of run -c. */
struct report_case {
	const char *name;
	int passed;          /* 1 pass, 0 fail */
	int status;          /* exit status, -1: none (not run, not finished) */
	double seconds;      /* its duration */
	const char *message; /* why it failed, or NULL */
	const char *output;  /* its output (stdout, or both streams mixed
			      * when they came over the serial console), or
			      * NULL */
	const char *errors;  /* its stderr when it came apart (the command
			      * channel), or NULL */
	size_t output_len, errors_len; /* their lengths when they may hold NUL
					* bytes; 0: up to the first NUL */
};

/* The boot. */
struct report_boot {
	const char *result;     /* "ok" or boot_failure_id()'s class */
	const char *diagnosis;  /* one line, NULL or "" on success */
	const char *evidence;   /* the console lines that prove a failure, one
				 * a line, or NULL */
	double first_output, init, prompt; /* seconds from QEMU's start, -1:
					    * not seen */
	const char *accel;      /* accelerator, or NULL */
};

struct report {
	const char *name;        /* the suite: "mkdistro test", "mkdistro run" */
	struct report_boot boot;
	const struct report_case *cases;
	size_t ncases;
	int exit_status;         /* mkdistro's own exit status */
};

/* The report R in format F (not REPORT_HUMAN) as text (new memory). TAP
 * has the boot as test 1 and then one test per case; JUnit one testsuite
 * with a testcase "boot" and one per case (a <failure> each that failed,
 * the evidence or output in <system-out>); JSON one object with "boot",
 * "tests", "passed", "failed" and "exit_status". */
char *report_text(enum report_format f, const struct report *r);

#endif
