/* qemu: booting the built system in QEMU: its command line, the driven
 * boot's run loop and diagnosis (the console protocol itself is in
 * console.h), and the session on this terminal. Every QEMU is a child of
 * proc.h's kind: its own process group (the terminal's foreground group
 * for the session on the terminal), tracked, dying with mkdistro
 * (PR_SET_PDEATHSIG), reaped on every path. */
#ifndef MKDISTRO_QEMU_H
#define MKDISTRO_QEMU_H

#include <stddef.h>

#include "arch.h"
#include "net.h"
#include "share.h"
#include "util.h"

/* Defaults under TCG; under KVM they are divided by QEMU_KVM_SPEEDUP. */
#define QEMU_TIMEOUT_TCG 300.0
#define QEMU_IDLE_TIMEOUT_TCG 60.0
#define QEMU_KVM_SPEEDUP 4.0
#define QEMU_MEMORY_MB 128

struct boot {
	const struct arch *arch; /* QEMU binary, machine, cpu, console */
	const char *kernel, *initrd;
	const char *append;      /* full kernel command line */
	int memory_mb;           /* 0: QEMU_MEMORY_MB */
	const char *accel;       /* "kvm", "tcg", or NULL: accel_choose() decides */
	double timeout;          /* total seconds for boot and command; 0: default */
	double idle_timeout;     /* seconds without console output before the
				  * shell is ready; 0: default */
	double command_timeout;  /* seconds the command itself may run (from
				  * the moment it is started in the guest's
				  * shell); 0: none, the total timeout covers
				  * it. When set, the total timeout ends at the
				  * command's start. */
	const char *log;         /* driven boots: write the whole console (\r\n
				  * as \n) to this file, under a temporary name
				  * renamed at the end, also on failure; or NULL */
	const struct share *shares; /* directories shared with the guest */
	size_t nshares;
	const struct net *net;   /* the guest's network, or NULL: none */
	int channel;             /* qemu_command(): give the command the
				  * command channel's ports (channel.h), which
				  * the system's kernel has; the command's
				  * output goes over the console when the guest
				  * turns out not to have them */
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
/* The class of F for machine-readable reports: "panic", "init", "stall",
 * "timeout", "qemu-start", "qemu-exit", "error"; 0 gives "ok". Static. */
const char *boot_failure_id(enum boot_failure f);

/* Seconds from QEMU's start; -1 when not seen. */
struct boot_times {
	double first_output; /* first console byte */
	double init;         /* kernel's "Run /init as init process" */
	double prompt;       /* the shell prompt */
	const char *accel;   /* accelerator used (static string) */
	double command;      /* seconds the command ran in the guest (from its
			      * start to its end or the run's), -1: not started */
	int channel;         /* the command's output came over the command
			      * channel (stdout and stderr apart) */
	enum boot_failure failure; /* 0 on success */
	int qemu_status;     /* QEMU's exit status (128+N: killed by signal N) */
	char diagnosis[512]; /* the one-line diagnosis printed, "" on success */
	char evidence[4096]; /* the console lines (or QEMU's message) printed
			      * under it, one a line, "" if none */
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

/* Boot B on this terminal: QEMU in the foreground, the terminal restored
 * afterwards. When stdin is not a terminal, drive the console instead:
 * after the shell prompt, stdin is typed into the guest's shell (echo and
 * prompts off) and the guest's output goes to stdout; at end of input,
 * once the shell has read all of it, the guest is powered off. Returns 0
 * when QEMU ended cleanly (guest power-off or reboot, Ctrl-A X), else
 * after warn() -BOOT_* (driven) or 1 (QEMU on the terminal failed). */
int qemu_interactive(const struct boot *b);

/* Boot B, wait for the shell prompt, run CMD (shell text, any number of
 * lines) in the guest with stdin from /dev/null, stream its stdout to
 * OUT_FD and its stderr to ERR_FD (-1: discard), power the guest off and
 * reap QEMU. With B->channel and the guest's ports, both streams come
 * apart and byte-exact, and the status over the control port; else both
 * come mixed to OUT_FD over the serial console, \r\n turned into \n.
 * T (if not NULL) gets the boot times and the diagnosis, also on
 * failure. Returns CMD's exit status (0..255), or -BOOT_* after warn()
 * with a one-line diagnosis, detected as soon as the console shows it,
 * followed by the console lines that prove it. Kernel messages below
 * KERN_EMERG are silenced (dmesg -n 1) while CMD runs. */
int qemu_command(const struct boot *b, const char *cmd, int out_fd, int err_fd,
		 struct boot_times *t);

/* Like qemu_command(), but CMD's output is handed to FN(CTX, STREAM,
 * DATA, N) as it comes, STREAM 1 for stdout (and for the mixed output of
 * the serial console), 2 for stderr, instead of being written to file
 * descriptors. */
int qemu_command_cb(const struct boot *b, const char *cmd,
		    void (*fn)(void *ctx, int stream, const char *data, size_t n), void *ctx,
		    struct boot_times *t);

/* Boot B driven, only watching its console: 1 if the kernel printed
 * anything within SECONDS, else 0 (QEMU is killed then). For the
 * accelerator probe. */
int qemu_first_output(const struct boot *b, double seconds);

#endif
