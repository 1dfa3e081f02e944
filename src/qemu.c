#include "qemu.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "hash.h"
#include "proc.h"

/* Markers the guest prints. The byte \036 is typed as the text "\036"
 * (printf turns it into the byte), so the tty's echo of what we type never
 * looks like a marker. */
#define MARK_READY "\036MKD-READY"
#define MARK_BEGIN "\036MKD-BEGIN"
#define MARK_END "\036MKD-END "
#define MARK_EOF "\036MKD-EOF"

/* Typed at the first prompt: no echo, so that our typing does not come
 * back; console log level 1, so that kernel messages other than panics do
 * not mix into the command's output. */
#define SETUP_COMMAND "stty -echo; dmesg -n 1 2>/dev/null; printf '\\036MKD-READY\\n'\n"
/* The piped session also drops the prompts: the output is then what the
 * commands print, as with sh < file. */
#define SETUP_PIPE "stty -echo; dmesg -n 1 2>/dev/null; PS1= PS2=; printf '\\036MKD-READY\\n'\n"
#define TYPE_EOF "printf '\\036MKD-EOF\\n'\n"
/* -no-reboot turns the guest's reboot into QEMU's exit; tinyconfig has no
 * ACPI, so a power-off would only halt. */
#define TYPE_REBOOT "reboot -f\n"
#define CMD_FILE "/tmp/mkdistro-cmd.sh"

#define LINE_KEEP 4096        /* bytes of a console line kept for matching */
#define ERR_KEEP (16 * 1024)  /* bytes of QEMU's stderr kept */
#define NUDGE_SECONDS 3.0     /* quiet time before Enter is pressed at boot */
#define SHUTDOWN_SECONDS 30.0 /* for QEMU to exit after reboot -f */

/* ---- argv and script ---------------------------------------------- */

struct argv {
	char **v;
	size_t n, cap;
};

static void argv_add(struct argv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? 2 * a->cap : 32;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

void qemu_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

/* The argv with KERNEL, INITRD and ACCEL in place of B's (any may be
 * NULL to leave the option out). */
static char **build_argv(const struct boot *b, int interactive, const char *kernel,
			 const char *initrd, const char *accel)
{
	struct argv a = {0};
	char mem[32];

	int mb = b->memory_mb > 0 ? b->memory_mb : QEMU_MEMORY_MB;
	if (mb < b->arch->memory_mb)
		mb = b->arch->memory_mb;
	snprintf(mem, sizeof(mem), "%d", mb);
	argv_add(&a, b->arch->qemu);
	argv_add(&a, "-M");
	argv_add(&a, b->arch->qemu_machine);
	if (b->arch->qemu_cpu) {
		argv_add(&a, "-cpu");
		argv_add(&a, b->arch->qemu_cpu);
	}
	argv_add(&a, "-m");
	argv_add(&a, mem);
	if (accel) {
		argv_add(&a, "-accel");
		argv_add(&a, accel);
	}
	argv_add(&a, "-no-reboot");
	argv_add(&a, "-nodefaults");
	argv_add(&a, "-no-user-config");
	argv_add(&a, "-display");
	argv_add(&a, "none");
	if (interactive) {
		/* signal=off: Ctrl-C goes to the guest instead of killing
		 * QEMU; Ctrl-A X still quits, Ctrl-A C is the monitor. */
		argv_add(&a, "-chardev");
		argv_add(&a, "stdio,id=con0,mux=on,signal=off");
		argv_add(&a, "-serial");
		argv_add(&a, "chardev:con0");
		argv_add(&a, "-mon");
		argv_add(&a, "chardev=con0,mode=readline");
	} else {
		argv_add(&a, "-serial");
		argv_add(&a, "stdio");
	}
	if (kernel) {
		argv_add(&a, "-kernel");
		argv_add(&a, kernel);
	}
	if (initrd) {
		argv_add(&a, "-initrd");
		argv_add(&a, initrd);
	}
	if (b->append && *b->append) {
		argv_add(&a, "-append");
		argv_add(&a, b->append);
	}
	for (char *const *p = b->qemu_args; p && *p; p++)
		argv_add(&a, *p);
	return a.v;
}

char **qemu_argv(const struct boot *b, int interactive)
{
	return build_argv(b, interactive, b->kernel, b->initrd, b->accel);
}

/* S as one sh word. */
static void sh_quote(struct buf *out, const char *s)
{
	int plain = *s != '\0';
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_./=:,+@%", *p))
			plain = 0;
	if (plain) {
		buf_addstr(out, s);
		return;
	}
	buf_addch(out, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			buf_addstr(out, "'\\''");
		else
			buf_addch(out, *p);
	}
	buf_addch(out, '\'');
}

/* Placeholders replaced by shell text in the script. */
#define PH_KERNEL "\001kernel"
#define PH_INITRD "\001initrd"
#define PH_ACCEL "\001accel"

char *qemu_script(const struct boot *b)
{
	struct buf s = {0};
	char **argv = build_argv(b, 1, PH_KERNEL, PH_INITRD, PH_ACCEL);

	buf_addstr(&s, "#!/bin/sh\n"
		       "# Boot the system mkdistro built (vmlinuz and initrd.img next to this\n"
		       "# script) in QEMU on this terminal. Arguments are passed on to QEMU;\n"
		       "# MKDISTRO_ACCEL=kvm or tcg chooses the accelerator.\n");
	/* Every line a comment, whatever the note holds. */
	for (const char *p = b->script_note; p && *p;) {
		size_t n = strcspn(p, "\n");
		buf_printf(&s, "# %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	buf_addstr(&s, "dir=$(dirname \"$0\")\n");
	buf_addstr(&s, "accel=${MKDISTRO_ACCEL:-");
	sh_quote(&s, b->accel ? b->accel : "tcg");
	buf_addstr(&s, "}\n"
		       "echo 'Exit QEMU: Ctrl-A then X' >&2\n"
		       "exec");
	for (char **p = argv; *p; p++) {
		buf_addstr(&s, p == argv || **p != '-' ? " " : " \\\n\t");
		if (!strcmp(*p, PH_KERNEL))
			buf_addstr(&s, "\"$dir/vmlinuz\"");
		else if (!strcmp(*p, PH_INITRD))
			buf_addstr(&s, "\"$dir/initrd.img\"");
		else if (!strcmp(*p, PH_ACCEL))
			buf_addstr(&s, "\"$accel\"");
		else
			sh_quote(&s, *p);
	}
	buf_addstr(&s, " \\\n\t\"$@\"\n");
	qemu_argv_free(argv);
	return buf_steal(&s);
}

/* ---- console parser ----------------------------------------------- */

char *console_command_text(const char *cmd)
{
	size_t len = strlen(cmd);
	if (len > QEMU_CMD_MAX) {
		warn("command too long for the guest console: %zu bytes (at most %d)", len,
		     QEMU_CMD_MAX);
		return NULL;
	}
	/* A here-document delimiter that is no line of CMD. */
	char delim[64];
	for (unsigned i = 0;; i++) {
		snprintf(delim, sizeof(delim), i ? "MKDISTRO_EOF_%u" : "MKDISTRO_EOF", i);
		size_t dl = strlen(delim);
		int clash = 0;
		for (const char *p = cmd; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			if (n == dl && !memcmp(p, delim, dl))
				clash = 1;
			p += n + (nl != NULL);
		}
		if (!clash)
			break;
	}

	struct buf s = {0};
	buf_printf(&s, "mkdir -p /tmp; cat >" CMD_FILE " <<'%s'\n", delim);
	size_t col = 0;
	for (const char *p = cmd; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '\n') {
			buf_addch(&s, '\n');
			col = 0;
			continue;
		}
		if (++col > QEMU_CMD_LINE_MAX) {
			warn("command has a line longer than %d bytes, which the guest console "
			     "would cut",
			     QEMU_CMD_LINE_MAX);
			buf_free(&s);
			return NULL;
		}
		/* The tty's line discipline acts on control characters
		 * (Ctrl-C, Ctrl-D, Ctrl-U, ^S, CR...); Ctrl-V before one makes
		 * it literal. */
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			buf_addch(&s, '\026');
		buf_addch(&s, (char)ch);
	}
	if (len && cmd[len - 1] != '\n')
		buf_addch(&s, '\n');
	buf_printf(&s, "%s\n", delim);
	buf_addstr(&s, "printf '\\036MKD-BEGIN\\n'; sh " CMD_FILE
		       " </dev/null; printf '\\036MKD-END %d\\n' $?\n");
	return buf_steal(&s);
}

void console_init(struct console *c, enum console_mode mode, const char *cmd)
{
	memset(c, 0, sizeof(*c));
	c->mode = mode;
	c->state = CONSOLE_BOOT;
	c->last_input = -1;
	c->first_output = c->init = c->prompt = -1;
	if (mode == CONSOLE_COMMAND)
		c->script = console_command_text(cmd ? cmd : "");
}

void console_free(struct console *c)
{
	buf_free(&c->line);
	buf_free(&c->hold);
	buf_free(&c->out);
	buf_free(&c->send);
	for (int i = 0; i < CONSOLE_TAIL; i++)
		free(c->tail[i]);
	free(c->script);
	free(c->failure);
	memset(c, 0, sizeof(*c));
}

/* Printable copy of N bytes of console text: no CR, other control
 * characters as '?', at most MAX bytes. */
static char *printable(const char *s, size_t n, size_t max)
{
	struct buf b = {0};
	for (size_t i = 0; i < n && b.len < max; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\r')
			continue;
		buf_addch(&b, (ch < 0x20 && ch != '\t') || ch == 0x7f ? '?' : (char)ch);
	}
	return buf_steal(&b);
}

static void add_tail(struct console *c, const char *s, size_t n)
{
	int slot = (c->tailpos + c->ntail) % CONSOLE_TAIL;
	if (c->ntail == CONSOLE_TAIL) {
		slot = c->tailpos;
		c->tailpos = (c->tailpos + 1) % CONSOLE_TAIL;
	} else {
		c->ntail++;
	}
	free(c->tail[slot]);
	c->tail[slot] = printable(s, n, 300);
}

char *console_tail(const struct console *c, const char *prefix)
{
	struct buf b = {0};
	for (int i = 0; i < c->ntail; i++)
		buf_printf(&b, "%s%s\n", prefix, c->tail[(c->tailpos + i) % CONSOLE_TAIL]);
	if (c->line.len) {
		char *p = printable(c->line.s, c->line.len, 300);
		if (*p)
			buf_printf(&b, "%s%s\n", prefix, p);
		free(p);
	}
	return buf_steal(&b);
}

static int contains(const struct buf *b, const char *s)
{
	return b->len && memmem(b->s, b->len, s, strlen(s)) != NULL;
}

/* Mark C failed with KIND: WHAT, then the console line that shows it
 * (from "Kernel panic" on, if it has that), quoted. */
static void fail(struct console *c, enum boot_failure kind, const char *what, const char *line,
		 size_t n)
{
	const char *p = memmem(line, n, "Kernel panic", 12);
	if (p)
		n -= (size_t)(p - line), line = p;
	char *text = printable(line, n, 200);
	free(c->failure);
	c->failure = xasprintf("%s: '%s'", what, text);
	free(text);
	c->kind = kind;
	c->state = CONSOLE_FAILED;
}

/* What an errno value from the kernel's exec of init usually means. */
static const char *exec_error(long err)
{
	switch (err) {
	case -2:
		return "ENOENT: the file, its #! interpreter or its ELF loader is missing";
	case -8:
		return "ENOEXEC: a format this kernel cannot run (another architecture, or "
		       "no BINFMT_ELF/BINFMT_SCRIPT)";
	case -13:
		return "EACCES: not executable";
	case -12:
		return "ENOMEM: out of memory";
	case -20:
		return "ENOTDIR: a directory in its path is not one";
	case -40:
		return "ELOOP: too many symbolic links or nested #! interpreters";
	default:
		return NULL;
	}
}

/* The number after TAG in L (as strtol with BASE), or FALLBACK. */
static long number_after(const struct buf *l, const char *tag, int base, long fallback)
{
	const char *p = memmem(l->s, l->len, tag, strlen(tag));
	if (!p)
		return fallback;
	char *end;
	long v = strtol(p + strlen(tag), &end, base);
	return end == p + strlen(tag) ? fallback : v;
}

/* A kernel panic line: which failure it is and what it means. */
static void on_panic(struct console *c, const struct buf *l)
{
	char what[160];

	if (contains(l, "Attempted to kill init")) {
		/* exitcode is init's wait status: exit code << 8 | signal. */
		long code = number_after(l, "exitcode=0x", 16, -1);
		int sig = (int)(code & 0x7f);
		if (code < 0)
			snprintf(what, sizeof(what), "init exited");
		else if (sig) {
			const char *abbrev = sigabbrev_np(sig);
			snprintf(what, sizeof(what), "init was killed by signal %d%s%s", sig,
				 abbrev ? " SIG" : "", abbrev ? abbrev : "");
		} else {
			snprintf(what, sizeof(what), "init exited with status %ld", (code >> 8) & 0xff);
		}
		fail(c, BOOT_INIT, what, l->s, l->len);
	} else if (contains(l, "No working init found")) {
		fail(c, BOOT_PANIC,
		     "kernel panic: no working init found (/init, /sbin/init, /etc/init, "
		     "/bin/init and /bin/sh all failed)",
		     l->s, l->len);
	} else if (contains(l, "Unable to mount root fs")) {
		fail(c, BOOT_PANIC,
		     "kernel panic: no /init in the initramfs (or no initramfs unpacked), so the "
		     "kernel looked for a root device",
		     l->s, l->len);
	} else if (contains(l, "Requested init")) {
		fail(c, BOOT_PANIC, "kernel panic: the init= program could not be run", l->s,
		     l->len);
	} else {
		fail(c, BOOT_PANIC, "kernel panic", l->s, l->len);
	}
}

/* A complete line (without its '\n') has been printed. */
static void on_line(struct console *c, double t)
{
	struct buf *l = &c->line;

	if (c->init < 0 && contains(l, " as init process"))
		c->init = t;
	if (c->state < CONSOLE_DONE && contains(l, "Kernel panic - not syncing")) {
		on_panic(c, l);
	} else if (c->state == CONSOLE_BOOT && contains(l, "Initramfs unpacking failed")) {
		/* The kernel goes on with what it unpacked; the image is
		 * broken all the same. */
		fail(c, BOOT_PANIC, "the kernel could not unpack the initramfs", l->s, l->len);
	} else if (c->state == CONSOLE_BOOT && contains(l, "Failed to execute ") &&
		   contains(l, "(error ")) {
		/* The kernel would fall back to /sbin/init and others, but
		 * the system's own /init did not run. */
		long err = number_after(l, "(error ", 10, 0);
		const char *why = exec_error(err);
		char what[200];
		snprintf(what, sizeof(what), "init could not be executed%s%s%s", why ? " (" : "",
			 why ? why : "", why ? ")" : "");
		fail(c, BOOT_INIT, what, l->s, l->len);
	} else if (c->state == CONSOLE_SETUP && contains(l, MARK_READY)) {
		if (c->mode == CONSOLE_COMMAND) {
			buf_addstr(&c->send, c->script);
			c->state = CONSOLE_SENT;
		} else {
			c->state = CONSOLE_RUN;
		}
	} else if (c->state == CONSOLE_SENT && contains(l, MARK_BEGIN)) {
		c->state = CONSOLE_RUN;
	}
	add_tail(c, l->s, l->len);
	l->len = 0;
	l->s[0] = '\0';
	c->enter_sent = 0;
}

/* Whether the unfinished line looks like a shell prompt: it ends in "# "
 * or "$ ", maybe followed by escape sequences (BusyBox asks the terminal
 * for the cursor position after the prompt). */
static int is_prompt(const struct buf *l)
{
	size_t n = l->len;
	while (n >= 3) {
		/* Strip a trailing CSI sequence: ESC [ params final. */
		const char *s = l->s;
		size_t i = n - 1;
		if (!(s[i] >= '@' && s[i] <= '~'))
			break;
		while (i > 0 && ((s[i - 1] >= '0' && s[i - 1] <= '?') || s[i - 1] == ';'))
			i--;
		if (i < 2 || s[i - 1] != '[' || s[i - 2] != '\033')
			break;
		n = i - 2;
	}
	return n >= 2 && (l->s[n - 2] == '#' || l->s[n - 2] == '$') && l->s[n - 1] == ' ';
}

static void consume(struct buf *b, size_t n)
{
	memmove(b->s, b->s + n, b->len - n);
	b->len -= n;
	b->s[b->len] = '\0';
}

/* 1 if H starts with the complete marker line MARK (followed by a number
 * 0..255 when WITH_NUM, stored in *NUM), its length in *LEN; 0 if H may
 * still become one; -1 if it cannot. */
static int match_marker(const char *h, size_t n, const char *mark, int with_num, int *num,
			size_t *len)
{
	size_t m = strlen(mark), i;
	if (memcmp(h, mark, n < m ? n : m))
		return -1;
	if (n <= m)
		return 0;
	i = m;
	if (with_num) {
		int v = 0, digits = 0;
		while (i < n && isdigit((unsigned char)h[i])) {
			if (++digits > 3)
				return -1;
			v = 10 * v + (h[i++] - '0');
		}
		if (i == n)
			return 0;
		if (!digits || v > 255)
			return -1;
		*num = v;
	}
	if (h[i] == '\r') {
		if (++i == n)
			return 0;
	}
	if (h[i] != '\n')
		return -1;
	*len = i + 1;
	return 1;
}

/* Move what is certainly output from HOLD to OUT: CR LF becomes LF, and a
 * \036 waits until it is known whether it starts the end marker. */
static void drain_hold(struct console *c)
{
	struct buf *h = &c->hold;
	const char *mark = c->mode == CONSOLE_COMMAND ? MARK_END : MARK_EOF;
	int with_num = c->mode == CONSOLE_COMMAND;

	while (h->len && c->state == CONSOLE_RUN) {
		if (h->s[0] == '\r') {
			if (h->len < 2)
				return;
			if (h->s[1] == '\n') {
				buf_addch(&c->out, '\n');
				consume(h, 2);
			} else {
				buf_addch(&c->out, '\r');
				consume(h, 1);
			}
			continue;
		}
		if (h->s[0] == '\036') {
			size_t len = 0;
			int num = 0;
			int m = match_marker(h->s, h->len, mark, with_num, &num, &len);
			if (m == 0)
				return;
			if (m > 0) {
				c->status = num;
				c->state = CONSOLE_DONE;
				h->len = 0;
				return;
			}
			buf_addch(&c->out, '\036');
			consume(h, 1);
			continue;
		}
		size_t n = 1;
		while (n < h->len && h->s[n] != '\r' && h->s[n] != '\036')
			n++;
		buf_add(&c->out, h->s, n);
		consume(h, n);
	}
}

void console_feed(struct console *c, const char *data, size_t n, double t)
{
	if (n && c->first_output < 0)
		c->first_output = t;
	for (size_t i = 0; i < n; i++) {
		char ch = data[i];
		int was_run = c->state == CONSOLE_RUN;

		if (ch == '\n') {
			on_line(c, t);
		} else {
			if (c->line.len >= LINE_KEEP)
				consume(&c->line, LINE_KEEP / 2);
			buf_addch(&c->line, ch);
		}
		if (was_run && c->state == CONSOLE_RUN) {
			buf_addch(&c->hold, ch);
			drain_hold(c);
		}
	}
	if (c->state != CONSOLE_BOOT)
		return;
	if (contains(&c->line, "Please press Enter to activate this console")) {
		if (!c->enter_sent)
			buf_addch(&c->send, '\n');
		c->enter_sent = 1;
	} else if (c->mode != CONSOLE_WATCH && is_prompt(&c->line)) {
		c->prompt = t;
		buf_addstr(&c->send, c->mode == CONSOLE_COMMAND ? SETUP_COMMAND : SETUP_PIPE);
		c->state = CONSOLE_SETUP;
	}
}

void console_input(struct console *c, const char *data, size_t n)
{
	if (!n)
		return;
	buf_add(&c->send, data, n);
	c->last_input = (unsigned char)data[n - 1];
}

void console_input_eof(struct console *c)
{
	if (c->eof_sent)
		return;
	/* Finish an unterminated last line, or the marker would join it. */
	if (c->last_input >= 0 && c->last_input != '\n')
		buf_addch(&c->send, '\n');
	buf_addstr(&c->send, TYPE_EOF);
	c->eof_sent = 1;
}

/* ---- running QEMU ------------------------------------------------- */

struct vm {
	pid_t pid;
	int con;      /* our end of the serial console (driven), or -1 */
	int err;      /* QEMU's stderr (driven), or -1 */
	struct buf errtext;
	double start; /* now_seconds() at fork */
	int reaped;
	int status;   /* exit status, 128+N for signal N */
};

static void block_signals(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* In the child between fork and exec: die with mkdistro, own process
 * group, default signals. Only async-signal-safe calls. */
static void child_setup(pid_t parent, int foreground)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE,
				   SIGTSTP, SIGTTIN, SIGTTOU, SIGCHLD};
	sigset_t none;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The parent may have died before prctl took effect. */
	if (getppid() != parent)
		_exit(127);
	if (foreground) {
		/* QEMU sets the terminal to raw mode at start: it must be in
		 * the foreground group by then, or it is stopped (SIGTTOU). */
		signal(SIGTTOU, SIG_IGN);
		tcsetpgrp(STDIN_FILENO, getpid());
	}
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void child_exec(char **argv)
{
	execvp(argv[0], argv);
	/* Reported through stderr, which the parent reads. */
	const char *e = strerror(errno);
	(void)!write(2, "cannot run '", 12);
	(void)!write(2, argv[0], strlen(argv[0]));
	(void)!write(2, "': ", 3);
	(void)!write(2, e, strlen(e));
	(void)!write(2, "\n", 1);
	_exit(127);
}

/* Start QEMU with its stdin/stdout on a socket (VM->con) and its stderr on
 * a pipe (VM->err). Returns 0, or -1 after warn(). */
static int vm_start(struct vm *vm, char **argv)
{
	int sv[2], ep[2];
	sigset_t old;

	memset(vm, 0, sizeof(*vm));
	vm->con = vm->err = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		warn("socketpair:");
		return -1;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		warn("pipe:");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	pid_t parent = getpid();
	block_signals(&old);
	vm->start = now_seconds();
	pid_t pid = fork();
	if (pid == 0) {
		child_setup(parent, 0);
		if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0 || dup2(ep[1], 2) < 0)
			_exit(127);
		child_exec(argv);
	}
	if (pid > 0) {
		setpgid(pid, pid);
		proc_track(pid);
	}
	int e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	close(ep[1]);
	if (pid < 0) {
		errno = e;
		warn("fork:");
		close(sv[0]);
		close(ep[0]);
		return -1;
	}
	vm->pid = pid;
	vm->con = sv[0];
	vm->err = ep[0];
	fcntl(vm->con, F_SETFL, fcntl(vm->con, F_GETFL) | O_NONBLOCK);
	return 0;
}

static int wait_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

/* Wait for QEMU (killing it first if KILL), forget its process group and
 * close the descriptors. */
static void vm_reap(struct vm *vm, int kill_it)
{
	int st;
	if (vm->pid > 0 && !vm->reaped) {
		if (kill_it)
			kill(-vm->pid, SIGKILL);
		while (waitpid(vm->pid, &st, 0) < 0 && errno == EINTR)
			;
		vm->status = wait_status(st);
		vm->reaped = 1;
		/* Whatever QEMU left in its group goes too. */
		kill(-vm->pid, SIGKILL);
		proc_untrack(vm->pid);
	}
	if (vm->con >= 0)
		close(vm->con);
	if (vm->err >= 0)
		close(vm->err);
	vm->con = vm->err = -1;
}

static void vm_free(struct vm *vm)
{
	vm_reap(vm, 1);
	buf_free(&vm->errtext);
}

/* Why the drive loop ended. */
enum drive_end {
	END_EXIT,     /* QEMU closed the console and its stderr: exiting */
	END_FAILED,   /* the console parser saw a panic */
	END_TIMEOUT,  /* the total time is up */
	END_IDLE,     /* no console output for the idle time */
	END_SHUTDOWN, /* QEMU did not exit after reboot -f */
	END_OUTPUT,   /* CONSOLE_WATCH: the first output came */
};

struct drive {
	struct vm *vm;
	struct console *c;
	int in_fd, out_fd;      /* CONSOLE_PIPE input; output (-1: none) */
	void (*out_fn)(void *ctx, const char *data, size_t n); /* or this */
	void *out_ctx;
	double timeout, idle;   /* seconds, 0: none */
	int out_failed;
	double last_output;     /* now_seconds() of the last console byte */
};

static void write_out(struct drive *d)
{
	struct buf *o = &d->c->out;
	size_t off = 0;
	if (d->out_fn && o->len)
		d->out_fn(d->out_ctx, o->s, o->len);
	while (!d->out_fn && d->out_fd >= 0 && !d->out_failed && off < o->len) {
		ssize_t n = write(d->out_fd, o->s + off, o->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* Keep driving the guest so that it ends cleanly. */
			warn("write console output:");
			d->out_failed = 1;
			break;
		}
		off += (size_t)n;
	}
	o->len = 0;
	if (o->s)
		o->s[0] = '\0';
}

static enum drive_end drive(struct drive *d)
{
	struct vm *vm = d->vm;
	struct console *c = d->c;
	double last_nudge = vm->start, done_at = -1;
	int con_open = 1, err_open = 1, in_open = d->in_fd >= 0;
	char chunk[4096];

	d->last_output = vm->start;
	for (;;) {
		double now = now_seconds();

		write_out(d);
		if (c->state == CONSOLE_FAILED)
			return END_FAILED;
		if (c->mode == CONSOLE_WATCH && c->first_output >= 0)
			return END_OUTPUT;
		if (c->state == CONSOLE_DONE && done_at < 0) {
			buf_addstr(&c->send, TYPE_REBOOT);
			done_at = now;
		}
		if (!con_open && !err_open)
			return END_EXIT;

		/* The nearest deadline. The command itself may be silent for
		 * long; a piped session has no limit once the shell is up. */
		double deadline = INFINITY, nudge = INFINITY;
		enum drive_end why = END_TIMEOUT;
		int booting = c->state < CONSOLE_RUN;
		if (done_at >= 0) {
			deadline = done_at + SHUTDOWN_SECONDS;
			why = END_SHUTDOWN;
		} else {
			if (d->timeout > 0 && (c->mode != CONSOLE_PIPE || booting))
				deadline = vm->start + d->timeout;
			if (d->idle > 0 && booting && d->last_output + d->idle < deadline) {
				deadline = d->last_output + d->idle;
				why = END_IDLE;
			}
			/* A prompt that a kernel message broke up is not
			 * recognised; Enter makes the shell print another. */
			if (c->state == CONSOLE_BOOT && c->first_output >= 0 &&
			    c->mode != CONSOLE_WATCH)
				nudge = fmax(d->last_output, last_nudge) + NUDGE_SECONDS;
		}
		if (now >= deadline)
			return why;
		if (now >= nudge) {
			buf_addch(&c->send, '\n');
			last_nudge = now;
			continue;
		}

		struct pollfd p[3];
		int np = 0, ic = -1, ie = -1, ii = -1;
		if (con_open) {
			ic = np;
			p[np].fd = vm->con;
			p[np++].events = POLLIN | (c->send.len ? POLLOUT : 0);
		}
		if (err_open) {
			ie = np;
			p[np].fd = vm->err;
			p[np++].events = POLLIN;
		}
		/* Typed input waits for the shell; bounded so that a fast
		 * writer does not fill memory. */
		if (in_open && c->state == CONSOLE_RUN && c->send.len < 65536) {
			ii = np;
			p[np].fd = d->in_fd;
			p[np++].events = POLLIN;
		}
		double wait = fmin(deadline, nudge) - now;
		int ms = wait > 3600 ? 3600 * 1000 : (int)ceil(wait * 1000);
		int r = poll(p, (nfds_t)np, ms);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			warn("poll:");
			return END_FAILED;
		}
		now = now_seconds();

		if (ic >= 0 && (p[ic].revents & POLLOUT) && c->send.len) {
			ssize_t n = send(vm->con, c->send.s, c->send.len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0)
				consume(&c->send, (size_t)n);
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				c->send.len = 0; /* QEMU is gone */
		}
		if (ic >= 0 && (p[ic].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = read(vm->con, chunk, sizeof(chunk));
			if (n > 0) {
				d->last_output = now;
				console_feed(c, chunk, (size_t)n, now - vm->start);
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				con_open = 0;
			}
		}
		if (ie >= 0 && (p[ie].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = read(vm->err, chunk, sizeof(chunk));
			if (n > 0) {
				if (vm->errtext.len < ERR_KEEP)
					buf_add(&vm->errtext, chunk, (size_t)n);
				if (verbose)
					(void)!write(2, chunk, (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				err_open = 0;
			}
		}
		if (ii >= 0 && (p[ii].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = read(d->in_fd, chunk, sizeof(chunk));
			if (n > 0) {
				console_input(c, chunk, (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				if (n < 0)
					warn("read standard input:");
				console_input_eof(c);
				in_open = 0;
			}
		}
	}
}

/* ---- timeouts, accelerator ---------------------------------------- */

static void limits(const struct boot *b, const char *accel, double *timeout, double *idle)
{
	double scale = strcmp(accel, "kvm") ? 1.0 : QEMU_KVM_SPEEDUP;
	*timeout = b->timeout > 0 ? b->timeout : QEMU_TIMEOUT_TCG / scale;
	*idle = b->idle_timeout > 0 ? b->idle_timeout : QEMU_IDLE_TIMEOUT_TCG / scale;
}

/* The full path of PROGRAM found in $PATH (new memory), or a copy of it. */
static char *find_program(const char *program)
{
	const char *path = getenv("PATH");
	if (strchr(program, '/') || !path)
		return xstrdup(program);
	for (const char *p = path;;) {
		const char *colon = strchrnul(p, ':');
		char *dir = xstrndup(p, (size_t)(colon - p));
		char *full = path_join(*dir ? dir : ".", program);
		free(dir);
		if (access(full, X_OK) == 0)
			return full;
		free(full);
		if (!*colon)
			return xstrdup(program);
		p = colon + 1;
	}
}

/* The cache file of the probe's result for B's QEMU (new memory), or NULL
 * when QEMU's version cannot be had. */
static char *accel_cache_path(const struct boot *b)
{
	char *bin = find_program(b->arch->qemu);
	char *argv[] = {bin, "--version", NULL};
	struct buf ver = {0};
	char *path = NULL;

	if (proc_capture(argv, NULL, "/dev/null", &ver) == 0 && ver.len) {
		char hex[SHA256_HEX_LEN + 1];
		struct hasher *h = hasher_new();
		hasher_addstr(h, bin);
		hasher_add(h, "\n", 1);
		hasher_add(h, ver.s, strcspn(ver.s, "\n"));
		hasher_finish(h, hex);
		hex[16] = '\0';

		const char *xdg = getenv("XDG_CACHE_HOME");
		const char *home = getenv("HOME");
		char *dir = NULL;
		if (xdg && *xdg == '/')
			dir = path_join(xdg, "mkdistro");
		else if (home && *home)
			dir = xasprintf("%s/.cache/mkdistro", home);
		if (dir) {
			char *base = xasprintf("accel-%s-%s", b->arch->name, hex);
			path = path_join(dir, base);
			free(base);
			free(dir);
		}
	}
	buf_free(&ver);
	free(bin);
	return path;
}

/* 1 if B's kernel printed on the console within QEMU_PROBE_SECONDS with
 * KVM, else 0. */
static int probe_kvm(const struct boot *b)
{
	struct boot pb = *b;
	struct vm vm;
	struct console c;

	pb.accel = "kvm";
	/* The user's extra arguments could make the probe fail, and its
	 * result is cached. */
	pb.qemu_args = NULL;
	char **argv = qemu_argv(&pb, 0);
	if (vm_start(&vm, argv) < 0) {
		qemu_argv_free(argv);
		return 0;
	}
	console_init(&c, CONSOLE_WATCH, NULL);
	struct drive d = {.vm = &vm, .c = &c, .in_fd = -1, .out_fd = -1,
			  .timeout = QEMU_PROBE_SECONDS};
	enum drive_end end = drive(&d);
	int ok = end == END_OUTPUT;
	vm_free(&vm);
	console_free(&c);
	qemu_argv_free(argv);
	return ok;
}

const char *qemu_accel(const struct boot *b)
{
	static int env_warned;

	if (b->accel)
		return b->accel;
	const char *env = getenv("MKDISTRO_ACCEL");
	if (env && *env) {
		if (!strcmp(env, "kvm"))
			return "kvm";
		if (!strcmp(env, "tcg"))
			return "tcg";
		if (!env_warned++)
			warn("MKDISTRO_ACCEL='%s' ignored: use kvm or tcg", env);
	}
	/* KVM runs only the host's own architecture. */
	const struct arch *host = arch_host();
	if (!host || strcmp(b->arch->name, host->name) || access("/dev/kvm", R_OK | W_OK) != 0 ||
	    !b->kernel)
		return "tcg";

	char *cache = accel_cache_path(b);
	if (cache) {
		char *text = read_file_quiet(cache, NULL);
		const char *cached = NULL;
		if (text && !strcmp(text, "kvm\n"))
			cached = "kvm";
		else if (text && !strcmp(text, "tcg\n"))
			cached = "tcg";
		free(text);
		if (cached) {
			free(cache);
			return cached;
		}
	}
	if (verbose)
		fprintf(stderr, "mkdistro: checking whether KVM works (once per QEMU version)\n");
	const char *accel = probe_kvm(b) ? "kvm" : "tcg";
	if (verbose)
		fprintf(stderr, "mkdistro: using %s\n", accel);
	if (cache) {
		char *dir = xstrdup(cache);
		*strrchr(dir, '/') = '\0';
		if (mkdir_p(dir, 0755) == 0) {
			char *text = xasprintf("%s\n", accel);
			write_file_atomic(cache, text, strlen(text), 0644);
			free(text);
		}
		free(dir);
		free(cache);
	}
	return accel;
}

/* ---- diagnosis ---------------------------------------------------- */

const char *boot_failure_name(enum boot_failure f)
{
	switch (f) {
	case BOOT_ERROR:
		return "error";
	case BOOT_QEMU_START:
		return "QEMU failed to start";
	case BOOT_PANIC:
		return "kernel panic";
	case BOOT_INIT:
		return "init failed";
	case BOOT_STALL:
		return "stall";
	case BOOT_TIMEOUT:
		return "timeout";
	case BOOT_QEMU_EXIT:
		return "QEMU exited";
	}
	return "?";
}

static const char *phase(const struct console *c)
{
	switch (c->state) {
	case CONSOLE_BOOT:
		return "before the shell prompt";
	case CONSOLE_SETUP:
	case CONSOLE_SENT:
		return "while setting up the shell";
	case CONSOLE_RUN:
		return c->mode == CONSOLE_PIPE ? "during the session" : "while the command ran";
	default:
		return "at the end";
	}
}

/* First line of QEMU's stderr, printable (new memory), "" if none. */
static char *err_line(const struct vm *vm)
{
	const char *s = vm->errtext.s ? vm->errtext.s : "";
	while (*s == '\n')
		s++;
	return printable(s, strcspn(s, "\n"), 300);
}

/* The last complete or partial console line, printable (new memory). */
static char *last_line(const struct console *c)
{
	if (c->line.len)
		return printable(c->line.s, c->line.len, 200);
	if (c->ntail)
		return xstrdup(c->tail[(c->tailpos + c->ntail - 1) % CONSOLE_TAIL]);
	return xstrdup("");
}

/* The failure class and one-line diagnosis (without the subject) of a run
 * that ended with END. */
static enum boot_failure classify(enum drive_end end, const struct vm *vm, const struct console *c,
				  const struct drive *d, struct buf *msg)
{
	char *e = err_line(vm);
	char *last = last_line(c);
	enum boot_failure f;

	switch (end) {
	case END_FAILED:
		f = c->state == CONSOLE_FAILED ? c->kind : BOOT_ERROR;
		buf_addstr(msg, c->failure ? c->failure : "console error");
		break;
	case END_TIMEOUT:
		f = BOOT_TIMEOUT;
		buf_printf(msg, "timed out after %g s %s", d->timeout, phase(c));
		break;
	case END_IDLE:
		f = BOOT_STALL;
		if (c->first_output < 0)
			buf_printf(msg, "stalled: no console output at all in %g s", d->idle);
		else
			buf_printf(msg, "stalled: no console output for %g s %s; last output at "
					"%.1f s from QEMU's start: '%s'",
				   d->idle, phase(c), d->last_output - vm->start, last);
		break;
	case END_SHUTDOWN:
		f = BOOT_QEMU_EXIT;
		buf_printf(msg, "the guest did not power off within %.0f s; QEMU killed",
			   SHUTDOWN_SECONDS);
		break;
	default:
		if (c->first_output < 0 && vm->status != 0) {
			f = BOOT_QEMU_START;
			buf_printf(msg, "QEMU failed to start (exit status %d)%s%s", vm->status,
				   *e ? ": " : "", e);
		} else {
			f = BOOT_QEMU_EXIT;
			buf_printf(msg, "QEMU exited (status %d) %s%s%s", vm->status, phase(c),
				   *e ? ": " : "", e);
		}
		break;
	}
	free(e);
	free(last);
	return f;
}

/* Report the failed run: the diagnosis, then the lines that prove it (the
 * last console lines, or QEMU's own messages). */
static void diagnose(const struct boot *b, enum drive_end end, const struct vm *vm,
		     const struct console *c, const char *msg)
{
	warn("boot '%s': %s", b->kernel ? b->kernel : "?", msg);
	char *tail = console_tail(c, "  | ");
	if (*tail) {
		fprintf(stderr, "mkdistro: last console lines:\n%s", tail);
	} else if (end != END_EXIT && vm->errtext.len) {
		char *e = err_line(vm);
		if (*e)
			fprintf(stderr, "mkdistro: QEMU said: %s\n", e);
		free(e);
	}
	free(tail);
}

/* ---- the public runs ---------------------------------------------- */

/* Boot B driven through the console in MODE; see qemu_command(). Output
 * goes to OUT_FN if set, else OUT_FD. */
static int run_driven(const struct boot *b, enum console_mode mode, const char *cmd, int in_fd,
		      int out_fd, void (*out_fn)(void *, const char *, size_t), void *out_ctx,
		      struct boot_times *t)
{
	struct boot rb = *b;
	struct console c;
	struct vm vm;
	double timeout, idle;
	int ret = -BOOT_ERROR;

	rb.accel = qemu_accel(b);
	limits(&rb, rb.accel, &timeout, &idle);
	if (t) {
		t->first_output = t->init = t->prompt = -1;
		t->accel = rb.accel;
		t->failure = BOOT_ERROR;
		t->diagnosis[0] = '\0';
	}
	console_init(&c, mode, cmd);
	if (mode == CONSOLE_COMMAND && !c.script) {
		console_free(&c);
		return -BOOT_ERROR;
	}
	if (proc_need(rb.arch->qemu, rb.arch->qemu_pkg) < 0) {
		console_free(&c);
		return -BOOT_QEMU_START;
	}
	char **argv = qemu_argv(&rb, 0);
	if (verbose) {
		fprintf(stderr, "mkdistro: running");
		for (char **p = argv; *p; p++)
			fprintf(stderr, " %s", *p);
		fputc('\n', stderr);
	}
	if (vm_start(&vm, argv) < 0) {
		qemu_argv_free(argv);
		console_free(&c);
		return -BOOT_ERROR;
	}
	struct drive d = {.vm = &vm, .c = &c, .in_fd = in_fd, .out_fd = out_fd,
			  .out_fn = out_fn, .out_ctx = out_ctx, .timeout = timeout, .idle = idle};
	enum drive_end end = drive(&d);
	write_out(&d);
	vm_reap(&vm, end != END_EXIT);

	struct buf msg = {0};
	if (c.state == CONSOLE_DONE && (end == END_EXIT || end == END_SHUTDOWN)) {
		/* The command's status is known: a guest that then does not
		 * power off is worth a warning, not a failure. */
		if (end == END_SHUTDOWN) {
			classify(end, &vm, &c, &d, &msg);
			diagnose(&rb, end, &vm, &c, msg.s);
		}
		ret = mode == CONSOLE_COMMAND ? c.status : 0;
	} else if (mode == CONSOLE_PIPE && end == END_EXIT && c.state == CONSOLE_RUN &&
		   vm.status == 0) {
		/* The session itself powered the guest off. */
		ret = 0;
	} else {
		enum boot_failure f = classify(end, &vm, &c, &d, &msg);
		diagnose(&rb, end, &vm, &c, msg.s);
		ret = -(int)f;
		if (t) {
			t->failure = f;
			snprintf(t->diagnosis, sizeof(t->diagnosis), "%s", msg.s);
		}
	}
	if (t && ret >= 0)
		t->failure = 0;
	buf_free(&msg);
	if (t) {
		t->first_output = c.first_output;
		t->init = c.init;
		t->prompt = c.prompt;
	}
	vm_free(&vm);
	qemu_argv_free(argv);
	console_free(&c);
	return ret;
}

int qemu_command(const struct boot *b, const char *cmd, int out_fd, struct boot_times *t)
{
	return run_driven(b, CONSOLE_COMMAND, cmd, -1, out_fd, NULL, NULL, t);
}

int qemu_command_cb(const struct boot *b, const char *cmd,
		    void (*fn)(void *ctx, const char *data, size_t n), void *ctx,
		    struct boot_times *t)
{
	return run_driven(b, CONSOLE_COMMAND, cmd, -1, -1, fn, ctx, t);
}

/* Terminal state to put back, also from an exit path that skips the
 * normal one (atexit). */
static struct termios saved_tio;
static int saved_tio_valid;

static void restore_terminal(void)
{
	if (!saved_tio_valid)
		return;
	/* Back in the foreground first: a background process changing the
	 * terminal would be stopped by SIGTTOU. */
	void (*old)(int) = signal(SIGTTOU, SIG_IGN);
	tcsetpgrp(STDIN_FILENO, getpgrp());
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	signal(SIGTTOU, old);
	saved_tio_valid = 0;
}

int qemu_interactive(const struct boot *b)
{
	static int atexit_done;
	struct boot rb = *b;
	sigset_t old;
	int st;

	if (!isatty(STDIN_FILENO))
		return run_driven(b, CONSOLE_PIPE, NULL, STDIN_FILENO, STDOUT_FILENO, NULL, NULL,
				  NULL);

	/* QEMU is about to take the terminal over; from the background that
	 * would steal it from the shell's foreground job. */
	if (tcgetpgrp(STDIN_FILENO) != getpgrp()) {
		warn("boot '%s': not in the terminal's foreground (started with '&'?)", b->kernel);
		return 1;
	}
	rb.accel = qemu_accel(b);
	if (proc_need(rb.arch->qemu, rb.arch->qemu_pkg) < 0)
		return 1;
	char **argv = qemu_argv(&rb, 1);
	fprintf(stderr, "mkdistro: booting '%s' (%s); to leave, type poweroff, or Ctrl-A then X\n",
		rb.kernel, rb.accel);

	if (tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		saved_tio_valid = 1;
		if (!atexit_done++)
			atexit(restore_terminal);
	}
	pid_t parent = getpid();
	block_signals(&old);
	pid_t pid = fork();
	if (pid == 0) {
		child_setup(parent, 1);
		child_exec(argv);
	}
	if (pid > 0) {
		setpgid(pid, pid);
		proc_track(pid);
		/* Also here, whichever of the two gets there first. */
		void (*h)(int) = signal(SIGTTOU, SIG_IGN);
		tcsetpgrp(STDIN_FILENO, pid);
		signal(SIGTTOU, h);
	}
	int e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	qemu_argv_free(argv);
	if (pid < 0) {
		errno = e;
		warn("fork:");
		restore_terminal();
		return 1;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL);
	proc_untrack(pid);
	restore_terminal();
	int status = wait_status(st);
	if (status != 0) {
		warn("QEMU exited with status %d", status);
		return 1;
	}
	return 0;
}
