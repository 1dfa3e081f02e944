/* console: the protocol mkdistro speaks with the guest over its serial
 * console, as a parser without I/O. Fed what the guest prints, it spots
 * the boot's milestones (first output, /init, the shell prompt) and its
 * failures (panics, an init that cannot run or exits), and decides what to
 * type (SEND) and what is output for the user (OUT): a command framed by
 * markers, or a piped session. qemu.c moves the bytes. */
#ifndef MKDISTRO_CONSOLE_H
#define MKDISTRO_CONSOLE_H

#include <stddef.h>

#include "util.h"

/* Largest command console_command_text() types into the guest. */
#define CONSOLE_CMD_MAX (64 * 1024)
/* Longest line of such a command: the guest tty's canonical line buffer
 * holds 4095 bytes and silently drops the rest. */
#define CONSOLE_CMD_LINE_MAX 4000

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

/* What the console showed going wrong. */
enum console_failure {
	CONSOLE_FAIL_PANIC = 1, /* kernel panic, incl. no working init and
				 * initramfs unpacking errors */
	CONSOLE_FAIL_INIT,      /* /init could not be executed, exited or was
				 * killed */
};

/* Console lines kept for the diagnosis. */
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
	int mid_line;         /* output so far ends inside a line */
	int status;           /* command's exit status once DONE */
	int channel;          /* the guest runs the command with its output
			       * on the command channel (channel.h): the
			       * console's output is not the command's */
	char *failure;        /* one-line diagnosis once FAILED */
	enum console_failure kind; /* once FAILED */
	double first_output, init, prompt; /* times given to console_feed() of
					    * the first byte, the kernel's "Run
					    * /init" line and the shell prompt;
					    * -1 until seen */
};

/* Start parsing in MODE; CMD is the command of CONSOLE_COMMAND (see
 * console_command_text; c->script is NULL when it is refused). */
void console_init(struct console *c, enum console_mode mode, const char *cmd);
/* console_init() of CONSOLE_COMMAND whose command's output and status
 * go through the command channel (channel.h) when the guest has its
 * ports, else through the console as ever (c->channel says which, once
 * the command started). */
void console_init_channel(struct console *c, const char *cmd);
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
/* The first N bytes of c->send were typed: drop them from it. */
void console_sent(struct console *c, size_t n);
/* The text typed to run CMD once the shell is set up (new memory), or NULL
 * after warn() when CMD is too long or has a line over CONSOLE_CMD_LINE_MAX. */
char *console_command_text(const char *cmd);

#endif
