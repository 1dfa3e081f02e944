/* bisect: what `mkdistro bisect-run` tells `git bisect run`. git reads
 * the exit status: 0 good, 1-124 and 126-127 bad, 125 skip (the commit
 * cannot be tested), 128 and above abort the bisection. A commit is good
 * when it builds and boots and the test passes; bad when the kernel
 * failed the way the user counts as bad (BISECT_CLASS_*), or the guest
 * command or a test script failed; skipped when it does not build, or
 * when the failure is the tool's or the machine's (QEMU missing or
 * killed, mkdistro itself unable to boot), never bad for those. This
 * module owns the mapping; main.c runs the build and the boots. */
#ifndef MKDISTRO_BISECT_H
#define MKDISTRO_BISECT_H

#include <stddef.h>

enum { BISECT_GOOD = 0, BISECT_BAD = 1, BISECT_SKIP = 125 };

/* The kernel's ways of failing a boot, for --bad-on (a set of bits). */
enum {
	BISECT_CLASS_PANIC = 1 << 0,   /* "panic": kernel panic, no working init */
	BISECT_CLASS_INIT = 1 << 1,    /* "init": /init could not run, exited, was killed */
	BISECT_CLASS_STALL = 1 << 2,   /* "stall": the console went silent before the prompt */
	BISECT_CLASS_TIMEOUT = 1 << 3, /* "timeout": the total time limit passed */
	BISECT_CLASS_REBOOT = 1 << 4,  /* "reboot": the guest rebooted or halted by itself
					* (QEMU ended with status 0 before power-off) */
	BISECT_CLASS_ALL = (1 << 5) - 1,
};

/* A verdict (BISECT_GOOD, _BAD, _SKIP) as a word for messages: "good",
 * "bad", "skipped". Static. */
const char *bisect_verdict_word(int verdict);

/* The names of the classes, comma-separated, for messages. Static. */
const char *bisect_class_names(void);

/* LIST ("panic,init", "all") as a set of BISECT_CLASS_* in *OUT.
 * Returns 0, or -1 after warn() naming the unknown word and the known ones. */
int bisect_parse_classes(const char *list, unsigned *out);

/* What happened to one commit. */
struct bisect_outcome {
	int built;        /* the build succeeded */
	int boot_failure; /* 0, or the enum boot_failure (qemu.h) of a failed boot */
	int qemu_status;  /* with BOOT_QEMU_EXIT: QEMU's exit status (128+N: signal N) */
	int status;       /* after a boot: the guest command's exit status, or
			   * the number of failed test scripts */
	int tests;        /* status counts failed test scripts (--test) */
	int command;      /* status is the user's command's (-c) */
};

/* The exit status for O when the kernel's failures in BAD_ON count as
 * bad, with one line saying why in WHY (N bytes, no newline). */
int bisect_verdict(const struct bisect_outcome *o, unsigned bad_on, char *why, size_t n);

/* The system directory for bisecting the tree TREE (absolute) when the
 * user names none: DIR/NAME-HASH (DIR: cache_dir("bisect")), NAME the tree's last path
 * component, HASH 12 hex digits of TREE's sha256, so each tree keeps its
 * own build between the steps of its bisection. New memory. */
char *bisect_system_dir(const char *dir, const char *tree);

#endif
