#include "qemu.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accel.h"
#include "channel.h"
#include "console.h"
#include "proc.h"

/* -no-reboot turns the guest's reboot into QEMU's exit; tinyconfig has no
 * ACPI, so a power-off would only halt. */
#define TYPE_REBOOT "reboot -f\n"

#define ERR_KEEP (16 * 1024)  /* bytes of QEMU's stderr kept */
#define NUDGE_SECONDS 3.0     /* quiet time before Enter is pressed at boot */
#define SHUTDOWN_SECONDS 30.0 /* for QEMU to exit after reboot -f */
#define DRAIN_SECONDS 30.0    /* for the command channel's last bytes once
			       * the console said the command ended */

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
 * NULL to leave the option out), and the ports of CH unless it is NULL. */
static char **build_argv(const struct boot *b, int interactive, const char *kernel,
			 const char *initrd, const char *accel, const struct channel *ch)
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
	char **links[3] = { share_qemu_args(b->arch, b->shares, b->nshares),
			    b->net ? net_qemu_args(b->arch, b->net) : NULL,
			    ch ? channel_qemu_args(b->arch, ch) : NULL };
	for (size_t i = 0; i < 3; i++) {
		for (char **p = links[i]; p && *p; p++)
			argv_add(&a, *p);
		qemu_argv_free(links[i]);
	}
	for (char *const *p = b->qemu_args; p && *p; p++)
		argv_add(&a, *p);
	return a.v;
}

char **qemu_argv(const struct boot *b, int interactive)
{
	return build_argv(b, interactive, b->kernel, b->initrd, b->accel, NULL);
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
	char **argv = build_argv(b, 1, PH_KERNEL, PH_INITRD, PH_ACCEL, NULL);

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

/* ---- running QEMU ------------------------------------------------- */

struct vm {
	struct child qemu; /* its stdin and stdout on the console socket,
			    * stderr on a pipe; qemu.status once reaped */
	int con;      /* our end of the serial console, or -1 */
	int err;      /* QEMU's stderr, or -1 */
	struct buf errtext;
	double start; /* now_seconds() at its start */
};

/* Start QEMU with its stdin/stdout on a socket (VM->con), its stderr on
 * a pipe (VM->err) and the QEMU ends of CH's ports (CH may be NULL); it
 * dies with mkdistro. Returns 0, or -1 after warn() (vm->qemu.exec_failed:
 * QEMU itself could not be run). */
static int vm_start(struct vm *vm, char **argv, struct channel *ch)
{
	int sv[2];

	memset(vm, 0, sizeof(*vm));
	vm->con = vm->err = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		warn("socketpair:");
		return -1;
	}
	vm->qemu = (struct child){.argv = argv, .in = CHILD_FD, .in_fd = sv[1], .out = CHILD_FD,
				  .out_fd = sv[1], .err = CHILD_PIPE, .pdeathsig = SIGKILL};
	if (ch) {
		vm->qemu.pass_fds = ch->qemu_fd;
		vm->qemu.npass_fds = CHANNEL_PORTS;
	}
	vm->start = now_seconds();
	int rc = child_start(&vm->qemu);
	close(sv[1]);
	if (ch)
		channel_started(ch);
	if (rc < 0) {
		close(sv[0]);
		return -1;
	}
	vm->con = sv[0];
	vm->err = vm->qemu.err_fd;
	fcntl(vm->con, F_SETFL, fcntl(vm->con, F_GETFL) | O_NONBLOCK);
	return 0;
}

/* Wait for QEMU (killing it first if KILL), forget its process group and
 * close the descriptors. */
static void vm_reap(struct vm *vm, int kill_it)
{
	if (vm->qemu.pid > 0) {
		if (kill_it)
			kill(-vm->qemu.pid, SIGKILL);
		child_finish(&vm->qemu);
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
	END_COMMAND,  /* the command ran past its own limit */
	END_DRAIN,    /* the command ended, its channel's streams did not */
};

struct drive {
	struct vm *vm;
	struct console *c;
	struct channel *ch;     /* the command channel, or NULL */
	int in_fd;              /* CONSOLE_PIPE input */
	int out_fd[3];          /* [1] stdout, [2] stderr (-1: none) */
	void (*out_fn)(void *ctx, int stream, const char *data, size_t n); /* or this */
	void *out_ctx;
	double timeout, idle;   /* seconds, 0: none */
	double command_timeout; /* seconds for the command, 0: none (the
				 * total timeout covers it) */
	double run_start;       /* now_seconds() when the command started, -1 */
	double run_end;         /* now_seconds() when it ended, -1 */
	int log_fd;             /* the whole console goes here, or -1 */
	int log_cr;             /* a \r held back at the end of the last chunk */
	int out_failed[3];
	double last_output;     /* now_seconds() of the last console byte */
};

/* Append N console bytes to the log, \r\n as \n (a \r at the end of
 * DATA waits for the next chunk). A write error stops the log, not the
 * boot. */
static void log_write(struct drive *d, const char *data, size_t n)
{
	struct buf b = {0};
	for (size_t i = 0; i < n; i++) {
		if (d->log_cr && data[i] != '\n')
			buf_addch(&b, '\r');
		d->log_cr = data[i] == '\r';
		if (!d->log_cr)
			buf_addch(&b, data[i]);
	}
	if (b.len && write_all(d->log_fd, b.s, b.len) < 0) {
		warn("write console log:");
		close(d->log_fd);
		d->log_fd = -1;
	}
	buf_free(&b);
}

/* Hand the command's output in O to the user as STREAM (1, 2) and
 * empty O. */
static void emit(struct drive *d, int stream, struct buf *o)
{
	if (d->out_fn && o->len)
		d->out_fn(d->out_ctx, stream, o->s, o->len);
	int fd = d->out_fd[stream];
	if (!d->out_fn && fd >= 0 && !d->out_failed[stream] && o->len &&
	    write_all(fd, o->s, o->len) < 0) {
		/* Keep driving the guest so that it ends cleanly. */
		warn("write the command's %s:", stream == 1 ? "output" : "standard error");
		d->out_failed[stream] = 1;
	}
	o->len = 0;
	if (o->s)
		o->s[0] = '\0';
}

static void write_out(struct drive *d)
{
	emit(d, 1, &d->c->out);
}

/* Read what port P of the channel has; write the control port's reply.
 * Returns 0, or -1 when the port closed (QEMU is going). */
static int channel_io(struct drive *d, int p, short revents)
{
	struct channel *ch = d->ch;
	char chunk[65536];
	if ((revents & POLLOUT) && ch->reply.len) {
		ssize_t n = send(ch->fd[p], ch->reply.s, ch->reply.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			memmove(ch->reply.s, ch->reply.s + n, ch->reply.len - (size_t)n);
			ch->reply.len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			ch->reply.len = 0;
		}
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	ssize_t n = read(ch->fd[p], chunk, sizeof(chunk));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	if (n > 0) {
		struct buf o = {0};
		channel_feed(ch, (enum channel_port)p, chunk, (size_t)n, &o);
		if (p != CHANNEL_CTL)
			emit(d, p == CHANNEL_OUT ? 1 : 2, &o);
		buf_free(&o);
	}
	return 0;
}

static enum drive_end drive(struct drive *d)
{
	struct vm *vm = d->vm;
	struct console *c = d->c;
	double last_nudge = vm->start, done_at = -1;

	d->run_end = -1;
	int con_open = 1, err_open = 1, in_open = d->in_fd >= 0;
	int ch_open[CHANNEL_PORTS] = {0};
	double console_done = -1; /* when the console said the command ended */
	char chunk[4096];

	for (int i = 0; d->ch && i < CHANNEL_PORTS; i++)
		ch_open[i] = 1;

	d->last_output = vm->start;
	for (;;) {
		double now = now_seconds();

		write_out(d);
		if (c->state == CONSOLE_FAILED)
			return END_FAILED;
		if (c->mode == CONSOLE_WATCH && c->first_output >= 0)
			return END_OUTPUT;
		if (c->mode == CONSOLE_COMMAND && c->state >= CONSOLE_RUN && d->run_start < 0)
			d->run_start = now;
		if (c->state == CONSOLE_DONE && console_done < 0)
			console_done = now;
		/* Over the channel, the command is done when both its
		 * streams have ended too. */
		int drained = !c->channel || !d->ch || channel_done(d->ch);
		if (c->state == CONSOLE_DONE && drained && done_at < 0) {
			buf_addstr(&c->send, TYPE_REBOOT);
			done_at = d->run_end = now;
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
		} else if (console_done >= 0) {
			deadline = console_done + DRAIN_SECONDS;
			why = END_DRAIN;
		} else {
			/* With a limit of its own, the command is not under
			 * the total timeout. */
			int own = d->command_timeout > 0 && d->run_start >= 0;
			if (d->timeout > 0 && (c->mode != CONSOLE_PIPE || booting) && !own)
				deadline = vm->start + d->timeout;
			if (own) {
				deadline = d->run_start + d->command_timeout;
				why = END_COMMAND;
			}
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

		struct pollfd p[3 + CHANNEL_PORTS];
		int np = 0, ic = -1, ie = -1, ii = -1, ich[CHANNEL_PORTS];
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
		for (int i = 0; i < CHANNEL_PORTS; i++) {
			ich[i] = -1;
			if (!ch_open[i])
				continue;
			ich[i] = np;
			p[np].fd = d->ch->fd[i];
			p[np++].events = POLLIN | (i == CHANNEL_CTL && d->ch->reply.len ? POLLOUT : 0);
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
				console_sent(c, (size_t)n);
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				c->send.len = 0; /* QEMU is gone */
		}
		if (ic >= 0 && (p[ic].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = read(vm->con, chunk, sizeof(chunk));
			if (n > 0) {
				d->last_output = now;
				if (d->log_fd >= 0)
					log_write(d, chunk, (size_t)n);
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
		for (int i = 0; i < CHANNEL_PORTS; i++)
			if (ich[i] >= 0 && p[ich[i]].revents && channel_io(d, i, p[ich[i]].revents) < 0)
				ch_open[i] = 0;
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

/* ---- timeouts ----------------------------------------------------- */

static void limits(const struct boot *b, const char *accel, double *timeout, double *idle)
{
	double scale = strcmp(accel, "kvm") ? 1.0 : QEMU_KVM_SPEEDUP;
	*timeout = b->timeout > 0 ? b->timeout : QEMU_TIMEOUT_TCG / scale;
	*idle = b->idle_timeout > 0 ? b->idle_timeout : QEMU_IDLE_TIMEOUT_TCG / scale;
}

/* ---- watching a boot ---------------------------------------------- */

int qemu_first_output(const struct boot *b, double seconds)
{
	struct vm vm;
	struct console c;

	char **argv = qemu_argv(b, 0);
	if (vm_start(&vm, argv, NULL) < 0) {
		qemu_argv_free(argv);
		return 0;
	}
	console_init(&c, CONSOLE_WATCH, NULL);
	struct drive d = {.vm = &vm, .c = &c, .in_fd = -1, .out_fd = {-1, -1, -1},
			  .timeout = seconds, .run_start = -1, .log_fd = -1};
	enum drive_end end = drive(&d);
	int ok = end == END_OUTPUT;
	vm_free(&vm);
	console_free(&c);
	qemu_argv_free(argv);
	return ok;
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

const char *boot_failure_id(enum boot_failure f)
{
	switch (f) {
	case BOOT_ERROR: return "error";
	case BOOT_QEMU_START: return "qemu-start";
	case BOOT_PANIC: return "panic";
	case BOOT_INIT: return "init";
	case BOOT_STALL: return "stall";
	case BOOT_TIMEOUT: return "timeout";
	case BOOT_QEMU_EXIT: return "qemu-exit";
	}
	return f == 0 ? "ok" : "error";
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
	return str_printable(s, strcspn(s, "\n"), 300);
}

/* The last complete or partial console line, printable (new memory). */
static char *last_line(const struct console *c)
{
	if (c->line.len)
		return str_printable(c->line.s, c->line.len, 200);
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
		f = c->state != CONSOLE_FAILED ? BOOT_ERROR
		    : c->kind == CONSOLE_FAIL_INIT ? BOOT_INIT : BOOT_PANIC;
		buf_addstr(msg, c->failure ? c->failure : "console error");
		break;
	case END_TIMEOUT:
		f = BOOT_TIMEOUT;
		buf_printf(msg, "timed out after %g s %s (the --timeout limit)", d->timeout,
			   phase(c));
		break;
	case END_COMMAND:
		f = BOOT_TIMEOUT;
		buf_printf(msg, "the command's own limit fired: it ran for more than %g s "
				"(--command-timeout; the boot itself took %.1f s)",
			   d->command_timeout, d->run_start - vm->start);
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
	case END_DRAIN:
		f = BOOT_ERROR;
		buf_printf(msg, "the command ended (status %d), but its output did not come in full "
				"over the command channel within %.0f s",
			   d->ch ? d->ch->status : c->status, DRAIN_SECONDS);
		break;
	case END_SHUTDOWN:
		f = BOOT_QEMU_EXIT;
		buf_printf(msg, "the guest did not power off within %.0f s; QEMU killed",
			   SHUTDOWN_SECONDS);
		break;
	default:
		if (c->first_output < 0 && vm->qemu.status != 0) {
			f = BOOT_QEMU_START;
			buf_printf(msg, "QEMU failed to start (exit status %d)%s%s", vm->qemu.status,
				   *e ? ": " : "", e);
		} else {
			f = BOOT_QEMU_EXIT;
			buf_printf(msg, "QEMU exited (status %d) %s%s%s", vm->qemu.status, phase(c),
				   *e ? ": " : "", e);
		}
		break;
	}
	free(e);
	free(last);
	return f;
}

/* Report the failed run: the diagnosis, then the lines that prove it (the
 * last console lines, or QEMU's own messages); those lines also into
 * EVIDENCE (SIZE bytes) unless it is NULL. */
static void diagnose(const struct boot *b, enum drive_end end, const struct vm *vm,
		     const struct console *c, const char *msg, char *evidence, size_t size)
{
	warn("boot '%s': %s", b->kernel ? b->kernel : "?", msg);
	char *tail = console_tail(c, "  | ");
	if (*tail) {
		fprintf(stderr, "mkdistro: last console lines:\n%s", tail);
		if (evidence) {
			char *plain = console_tail(c, "");
			snprintf(evidence, size, "%s", plain);
			free(plain);
		}
	} else if (end != END_EXIT && vm->errtext.len) {
		char *e = err_line(vm);
		if (*e)
			fprintf(stderr, "mkdistro: QEMU said: %s\n", e);
		if (*e && evidence)
			snprintf(evidence, size, "%s\n", e);
		free(e);
	}
	free(tail);
}

/* The console log of B->log under a temporary name: opened into *TMP
 * (new memory). Returns the descriptor, or -1 after warn(). */
static int log_open(const struct boot *b, char **tmp)
{
	*tmp = xasprintf("%s.tmp.%ld", b->log, (long)getpid());
	int fd = open(*tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		warn("--log '%s':", *tmp);
		free(*tmp);
		*tmp = NULL;
	}
	return fd;
}

/* Close the log of D (a held-back \r written) and give it its name. */
static void log_close(struct drive *d, const struct boot *b, char *tmp)
{
	if (!tmp)
		return;
	if (d->log_fd >= 0 && d->log_cr)
		(void)!write(d->log_fd, "\r", 1);
	if (d->log_fd >= 0 && close(d->log_fd) < 0)
		warn("write console log '%s':", tmp);
	d->log_fd = -1;
	if (rename(tmp, b->log) < 0) {
		warn("rename '%s' to '%s':", tmp, b->log);
		unlink(tmp);
	}
	free(tmp);
}

/* ---- the public runs ---------------------------------------------- */

/* Boot B driven through the console in MODE; see qemu_command(). Output
 * goes to OUT_FN if set, else OUT_FD. */
static int run_driven(const struct boot *b, enum console_mode mode, const char *cmd, int in_fd,
		      int out_fd, int err_fd, void (*out_fn)(void *, int, const char *, size_t),
		      void *out_ctx, struct boot_times *t)
{
	struct boot rb = *b;
	struct console c;
	struct channel chan, *ch = NULL;
	struct vm vm;
	double timeout, idle;
	int ret = -BOOT_ERROR;

	rb.accel = accel_choose(b);
	limits(&rb, rb.accel, &timeout, &idle);
	if (t) {
		t->first_output = t->init = t->prompt = -1;
		t->accel = rb.accel;
		t->failure = BOOT_ERROR;
		t->qemu_status = -1;
		t->diagnosis[0] = '\0';
		t->evidence[0] = '\0';
		t->command = -1;
		t->channel = 0;
	}
	if (mode == CONSOLE_COMMAND && b->channel)
		console_init_channel(&c, cmd);
	else
		console_init(&c, mode, cmd);
	if (mode == CONSOLE_COMMAND && !c.script) {
		console_free(&c);
		return -BOOT_ERROR;
	}
	if (proc_need(rb.arch->qemu, rb.arch->qemu_pkg) < 0) {
		console_free(&c);
		return -BOOT_QEMU_START;
	}
	if (mode == CONSOLE_COMMAND && b->channel && b->arch->virtio != ARCH_VIRTIO_NONE &&
	    channel_open(&chan) == 0)
		ch = &chan;
	char **argv = build_argv(&rb, 0, rb.kernel, rb.initrd, rb.accel, ch);
	if (verbose) {
		fprintf(stderr, "mkdistro: running");
		for (char **p = argv; *p; p++)
			fprintf(stderr, " %s", *p);
		fputc('\n', stderr);
	}
	struct drive d = {.vm = &vm, .c = &c, .ch = ch, .in_fd = in_fd,
			  .out_fd = {-1, out_fd, err_fd}, .out_fn = out_fn, .out_ctx = out_ctx, .timeout = timeout, .idle = idle,
			  .command_timeout = mode == CONSOLE_COMMAND ? b->command_timeout : 0,
			  .run_start = -1, .log_fd = -1};
	char *log_tmp = NULL;
	if (b->log && (d.log_fd = log_open(b, &log_tmp)) < 0) {
		qemu_argv_free(argv);
		console_free(&c);
		if (ch)
			channel_free(ch);
		return -BOOT_ERROR;
	}
	if (vm_start(&vm, argv, ch) < 0) {
		/* A QEMU that cannot be run failed to start, like one that
		 * exits at once. */
		enum boot_failure f = vm.qemu.exec_failed ? BOOT_QEMU_START : BOOT_ERROR;
		if (t)
			t->failure = f;
		log_close(&d, b, log_tmp);
		qemu_argv_free(argv);
		console_free(&c);
		if (ch)
			channel_free(ch);
		return -(int)f;
	}
	enum drive_end end = drive(&d);
	write_out(&d);
	vm_reap(&vm, end != END_EXIT);
	log_close(&d, b, log_tmp);

	struct buf msg = {0};
	if (c.state == CONSOLE_DONE && (end == END_EXIT || end == END_SHUTDOWN)) {
		/* The command's status is known: a guest that then does not
		 * power off is worth a warning, not a failure. */
		if (end == END_SHUTDOWN) {
			classify(end, &vm, &c, &d, &msg);
			diagnose(&rb, end, &vm, &c, msg.s, NULL, 0);
		}
		ret = mode != CONSOLE_COMMAND ? 0 : c.channel && ch ? ch->status : c.status;
	} else if (mode == CONSOLE_PIPE && end == END_EXIT && c.state == CONSOLE_RUN &&
		   vm.qemu.status == 0) {
		/* The session itself powered the guest off. */
		ret = 0;
	} else {
		enum boot_failure f = classify(end, &vm, &c, &d, &msg);
		diagnose(&rb, end, &vm, &c, msg.s, t ? t->evidence : NULL,
			 t ? sizeof(t->evidence) : 0);
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
		t->qemu_status = vm.qemu.status;
		t->command = d.run_start < 0 ? -1
			     : (d.run_end >= 0 ? d.run_end : now_seconds()) - d.run_start;
		t->channel = c.channel && ch;
	}
	vm_free(&vm);
	qemu_argv_free(argv);
	console_free(&c);
	if (ch)
		channel_free(ch);
	return ret;
}

int qemu_command(const struct boot *b, const char *cmd, int out_fd, int err_fd,
		 struct boot_times *t)
{
	return run_driven(b, CONSOLE_COMMAND, cmd, -1, out_fd, err_fd, NULL, NULL, t);
}

int qemu_command_cb(const struct boot *b, const char *cmd,
		    void (*fn)(void *ctx, int stream, const char *data, size_t n), void *ctx,
		    struct boot_times *t)
{
	return run_driven(b, CONSOLE_COMMAND, cmd, -1, -1, -1, fn, ctx, t);
}

int qemu_interactive(const struct boot *b)
{
	struct boot rb = *b;

	if (!isatty(STDIN_FILENO))
		return run_driven(b, CONSOLE_PIPE, NULL, STDIN_FILENO, STDOUT_FILENO, -1, NULL,
				  NULL, NULL);

	/* QEMU is about to take the terminal over; from the background that
	 * would steal it from the shell's foreground job. */
	if (tcgetpgrp(STDIN_FILENO) != getpgrp()) {
		warn("boot '%s': not in the terminal's foreground (started with '&'?)", b->kernel);
		return 1;
	}
	rb.accel = accel_choose(b);
	if (proc_need(rb.arch->qemu, rb.arch->qemu_pkg) < 0)
		return 1;
	char **argv = qemu_argv(&rb, 1);
	fprintf(stderr, "mkdistro: booting '%s' (%s); to leave, type poweroff, or Ctrl-A then X\n",
		rb.kernel, rb.accel);

	/* On this terminal, in the foreground: QEMU's signal=off hands
	 * Ctrl-C to the guest. */
	struct child q = {.argv = argv, .in = CHILD_INHERIT, .foreground = 1, .pdeathsig = SIGKILL};
	int rc = child_start(&q);
	qemu_argv_free(argv);
	if (rc < 0)
		return 1;
	int status = child_finish(&q);
	if (status != 0) {
		warn("QEMU exited with status %d", status);
		return 1;
	}
	return 0;
}

