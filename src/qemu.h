/* qemu: booting the built system in QEMU, on this terminal or driven
 * through its serial console. Every QEMU started here runs in its own
 * process group, is tracked with proc_track(), dies with mkdistro
 * (PR_SET_PDEATHSIG) and is reaped on every path. */
#ifndef MKDISTRO_QEMU_H
#define MKDISTRO_QEMU_H

#include <stddef.h>

#include "arch.h"
#include "util.h"

/* Defaults under TCG; under KVM they are divided by QEMU_KVM_SPEEDUP. */
#define QEMU_TIMEOUT_TCG 300.0
#define QEMU_IDLE_TIMEOUT_TCG 60.0
#define QEMU_KVM_SPEEDUP 4.0
#define QEMU_MEMORY_MB 128
/* How long the accelerator probe waits for the first console byte. */
#define QEMU_PROBE_SECONDS 5.0
/* Largest command qemu_command() types into the guest. */
#define QEMU_CMD_MAX (64 * 1024)
/* Longest line of such a command: the guest tty's canonical line buffer
 * holds 4095 bytes and silently drops the rest. */
#define QEMU_CMD_LINE_MAX 4000

struct boot {
	const struct arch *arch; /* QEMU binary, machine, cpu, console */
	const char *kernel, *initrd;
	const char *append;      /* full kernel command line */
	int memory_mb;           /* 0: QEMU_MEMORY_MB */
	const char *accel;       /* "kvm", "tcg", or NULL: qemu_accel() decides */
	double timeout;          /* total seconds for boot and command; 0: default */
	double idle_timeout;     /* seconds without console output before the
				  * shell is ready; 0: default */
	char *const *qemu_args;  /* extra QEMU arguments (NULL-terminated) or
				  * NULL; not used by the KVM probe */
	const char *script_note; /* qemu_script only: lines said in comments
				  * under its header (which kernel it boots), or NULL */
};

/* How a driven boot went wrong. qemu_command() returns the negative of
 * these; each has its own exit status (see mkdistro(1)). */
enum boot_failure {
	BOOT_ERROR = 1,  /* mkdistro could not run the boot (fork, command too long) */
	BOOT_QEMU_START, /* QEMU exited before the guest printed anything */
	BOOT_PANIC,      /* kernel panic, incl. no working init and initramfs
			  * unpacking errors */
	BOOT_INIT,       /* /init could not be executed, exited or was killed */
	BOOT_STALL,      /* no console output for the idle timeout */
	BOOT_TIMEOUT,    /* the total timeout passed */
	BOOT_QEMU_EXIT,  /* QEMU ended (or the guest rebooted) unexpectedly */
};

/* A short name of F for messages ("kernel panic"; static string). */
const char *boot_failure_name(enum boot_failure f);

/* Seconds from QEMU's start; -1 when not seen. */
struct boot_times {
	double first_output; /* first console byte */
	double init;         /* kernel's "Run /init as init process" */
	double prompt;       /* the shell prompt */
	const char *accel;   /* accelerator used (static string) */
	enum boot_failure failure; /* 0 on success */
	char diagnosis[512]; /* the one-line diagnosis printed, "" on success */
};

/* QEMU's argv (NULL-terminated, new memory; free with qemu_argv_free).
 * INTERACTIVE: the serial console is muxed with the monitor on stdio
 * (Ctrl-A X quits, Ctrl-A C monitor); else the serial alone is on stdio
 * for mkdistro to drive. -accel is given only when B->accel is set. */
char **qemu_argv(const struct boot *b, int interactive);
void qemu_argv_free(char **argv);

/* Text of out/run-qemu.sh (new memory): a POSIX sh script that boots the
 * vmlinuz and initrd.img next to it on the terminal, with B's machine,
 * memory and command line (and B->script_note in comments under its
 * header); accelerator B->accel (default tcg), overridden
 * by $MKDISTRO_ACCEL; its arguments are passed on to QEMU. */
char *qemu_script(const struct boot *b);

/* The accelerator to use: B->accel if set, else $MKDISTRO_ACCEL (kvm|tcg),
 * else "kvm" only if a short boot of B's kernel with KVM printed on the
 * console within QEMU_PROBE_SECONDS, else "tcg". The probe's result is
 * cached under $XDG_CACHE_HOME/mkdistro (or ~/.cache/mkdistro), keyed by
 * the QEMU binary and its version. Returns a static string. */
const char *qemu_accel(const struct boot *b);

/* Boot B on this terminal: QEMU in the foreground, the terminal restored
 * afterwards. When stdin is not a terminal, drive the console instead:
 * after the shell prompt, stdin is typed into the guest's shell (echo and
 * prompts off) and the guest's output goes to stdout; at end of input,
 * once the shell has read all of it, the guest is powered off. Returns 0
 * when QEMU ended cleanly (guest power-off or reboot, Ctrl-A X), else
 * after warn() -BOOT_* (driven) or 1 (QEMU on the terminal failed). */
int qemu_interactive(const struct boot *b);

/* Boot B, wait for the shell prompt, run CMD (shell text, any number of
 * lines) in the guest with stdin from /dev/null, stream its output to
 * OUT_FD (-1: discard) with \r\n turned into \n, power the guest off and
 * reap QEMU. T (if not NULL) gets the boot times and the diagnosis, also
 * on failure. Returns CMD's exit status (0..255), or -BOOT_* after warn()
 * with a one-line diagnosis, detected as soon as the console shows it,
 * followed by the console lines that prove it. Kernel messages below
 * KERN_EMERG are silenced (dmesg -n 1) while CMD runs. */
int qemu_command(const struct boot *b, const char *cmd, int out_fd, struct boot_times *t);

/* Like qemu_command(), but CMD's output is handed to FN(CTX, DATA, N) as
 * it comes instead of being written to a file descriptor. */
int qemu_command_cb(const struct boot *b, const char *cmd,
		    void (*fn)(void *ctx, const char *data, size_t n), void *ctx,
		    struct boot_times *t);

/* The console parser behind qemu_command() and the piped session, exposed
 * for unit tests. Feed it what the guest prints; it decides what to type
 * (SEND) and what is output for the user (OUT). */
enum console_mode {
	CONSOLE_COMMAND, /* run one command, framed by markers */
	CONSOLE_PIPE,    /* forward input typed with console_input() */
	CONSOLE_WATCH,   /* only watch: boot times and failures */
};

enum console_state {
	CONSOLE_BOOT,   /* waiting for the shell prompt */
	CONSOLE_SETUP,  /* setup line typed, waiting for its ready marker */
	CONSOLE_SENT,   /* command typed, waiting for its begin marker */
	CONSOLE_RUN,    /* command output (or piped session) flowing */
	CONSOLE_DONE,   /* command ended / all piped input consumed */
	CONSOLE_FAILED, /* kernel panic or init exited: see failure */
};

#define CONSOLE_TAIL 12

struct console {
	enum console_mode mode;
	enum console_state state;
	char *script;         /* CONSOLE_COMMAND: text typed to run the
			       * command (console_command_text), NULL if
			       * the command was refused */
	struct buf line;      /* current line (only its end if very long) */
	char *tail[CONSOLE_TAIL]; /* last complete lines, printable */
	int ntail;            /* lines in tail (ring, oldest first from tailpos) */
	int tailpos;
	struct buf hold;      /* output bytes that may start a marker */
	struct buf out;       /* output for the user; the caller empties it */
	struct buf send;      /* bytes to type; the caller empties it */
	int last_input;       /* last byte given to console_input(), -1 none */
	int enter_sent;       /* Enter typed for the current line */
	int eof_sent;         /* end-of-input marker typed */
	int status;           /* command's exit status once DONE */
	char *failure;        /* one-line diagnosis once FAILED */
	enum boot_failure kind; /* BOOT_PANIC or BOOT_INIT once FAILED */
	double first_output, init, prompt; /* as in struct boot_times */
};

/* Start parsing in MODE; CMD is the command of CONSOLE_COMMAND (see
 * console_command_text; c->script is NULL when it is refused). */
void console_init(struct console *c, enum console_mode mode, const char *cmd);
/* Release C's memory. */
void console_free(struct console *c);
/* Process N bytes printed by the guest at time T (seconds from start). */
void console_feed(struct console *c, const char *data, size_t n, double t);
/* Type N bytes of the user's input (CONSOLE_PIPE, state RUN). */
void console_input(struct console *c, const char *data, size_t n);
/* The user's input ended: type a marker that shows when the shell has
 * read everything before it (CONSOLE_PIPE). */
void console_input_eof(struct console *c);
/* The last console lines, one per line, each prefixed by PREFIX (new
 * memory), including an unfinished last line. */
char *console_tail(const struct console *c, const char *prefix);
/* The text typed to run CMD once the shell is set up (new memory), or NULL
 * after warn() when CMD is too long or has a line over QEMU_CMD_LINE_MAX. */
char *console_command_text(const char *cmd);

#endif
