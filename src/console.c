#include "console.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"

/* Markers the guest prints. The byte \036 is typed as the text "\036"
 * (printf turns it into the byte), so the tty's echo of what we type never
 * looks like a marker. */
#define MARK_READY "\036MKD-READY"
#define MARK_BEGIN "\036MKD-BEGIN"
#define MARK_BEGIN_CHANNEL "\036MKD-BEGIN-CHANNEL"
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
#define CMD_FILE "/tmp/mkdistro-cmd.sh"

#define LINE_KEEP 4096 /* bytes of a console line kept for matching */

/* The line typed to run CMD_FILE: through the command channel (channel.h)
 * when CHANNEL and the guest has its ports, else on the console. */
static void run_line(struct buf *s, int channel)
{
	static const char serial[] = "printf '\\036MKD-BEGIN\\n'; sh " CMD_FILE
				     " </dev/null; printf '\\036MKD-END %d\\n' $?";
	if (!channel) {
		buf_printf(s, "%s\n", serial);
		return;
	}
#define PORT(name) CHANNEL_DEV_DIR name
	/* The control port is opened once for the status and the mark that
	 * answers it: a port closed in between would drop the answer. */
	buf_printf(s, "if [ -c " PORT(CHANNEL_CTL_NAME) " ]; then "
		      "printf '\\036MKD-BEGIN-CHANNEL\\n'; sh " CMD_FILE " </dev/null >"
		      PORT(CHANNEL_OUT_NAME) " 2>" PORT(CHANNEL_ERR_NAME) "; s=$?; "
		      "exec 3<>" PORT(CHANNEL_CTL_NAME) "; echo $s >&3; read -r m <&3; exec 3<&-; "
		      "printf %%s \"$m\" >" PORT(CHANNEL_OUT_NAME) "; "
		      "printf %%s \"$m\" >" PORT(CHANNEL_ERR_NAME) "; "
		      "printf '\\036MKD-END %%d\\n' $s; else %s; fi\n", serial);
#undef PORT
}

static char *command_text(const char *cmd, int channel)
{
	size_t len = strlen(cmd);
	if (len > CONSOLE_CMD_MAX) {
		warn("command too long for the guest console: %zu bytes (at most %d)", len,
		     CONSOLE_CMD_MAX);
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
		if (++col > CONSOLE_CMD_LINE_MAX) {
			warn("command has a line longer than %d bytes, which the guest console "
			     "would cut",
			     CONSOLE_CMD_LINE_MAX);
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
	run_line(&s, channel);
	return buf_steal(&s);
}

char *console_command_text(const char *cmd)
{
	return command_text(cmd, 0);
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

void console_init_channel(struct console *c, const char *cmd)
{
	console_init(c, CONSOLE_COMMAND, NULL);
	free(c->script);
	c->script = command_text(cmd ? cmd : "", 1);
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
	c->tail[slot] = str_printable(s, n, 300);
}

char *console_tail(const struct console *c, const char *prefix)
{
	struct buf b = {0};
	for (int i = 0; i < c->ntail; i++)
		buf_printf(&b, "%s%s\n", prefix, c->tail[(c->tailpos + i) % CONSOLE_TAIL]);
	if (c->line.len) {
		char *p = str_printable(c->line.s, c->line.len, 300);
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
static void fail(struct console *c, enum console_failure kind, const char *what, const char *line,
		 size_t n)
{
	const char *p = memmem(line, n, "Kernel panic", 12);
	if (p)
		n -= (size_t)(p - line), line = p;
	char *text = str_printable(line, n, 200);
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
		fail(c, CONSOLE_FAIL_INIT, what, l->s, l->len);
	} else if (contains(l, "No working init found")) {
		fail(c, CONSOLE_FAIL_PANIC,
		     "kernel panic: no working init found (/init, /sbin/init, /etc/init, "
		     "/bin/init and /bin/sh all failed)",
		     l->s, l->len);
	} else if (contains(l, "Unable to mount root fs")) {
		fail(c, CONSOLE_FAIL_PANIC,
		     "kernel panic: no /init in the initramfs (or no initramfs unpacked), so the "
		     "kernel looked for a root device",
		     l->s, l->len);
	} else if (contains(l, "Requested init")) {
		fail(c, CONSOLE_FAIL_PANIC, "kernel panic: the init= program could not be run", l->s,
		     l->len);
	} else {
		fail(c, CONSOLE_FAIL_PANIC, "kernel panic", l->s, l->len);
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
		fail(c, CONSOLE_FAIL_PANIC, "the kernel could not unpack the initramfs", l->s, l->len);
	} else if (c->state == CONSOLE_BOOT && contains(l, "Failed to execute ") &&
		   contains(l, "(error ")) {
		/* The kernel would fall back to /sbin/init and others, but
		 * the system's own /init did not run. */
		long err = number_after(l, "(error ", 10, 0);
		const char *why = exec_error(err);
		char what[200];
		snprintf(what, sizeof(what), "init could not be executed%s%s%s", why ? " (" : "",
			 why ? why : "", why ? ")" : "");
		fail(c, CONSOLE_FAIL_INIT, what, l->s, l->len);
	} else if (c->state == CONSOLE_SETUP && contains(l, MARK_READY)) {
		if (c->mode == CONSOLE_COMMAND) {
			buf_addstr(&c->send, c->script);
			c->state = CONSOLE_SENT;
		} else {
			c->state = CONSOLE_RUN;
		}
	} else if (c->state == CONSOLE_SENT && contains(l, MARK_BEGIN)) {
		c->channel = contains(l, MARK_BEGIN_CHANNEL);
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
	/* The tty's echo of the end-of-input line, which it gives when the
	 * session's own poweroff has reset the console (stty -echo gone)
	 * before that line was read: mkdistro's typing, not output. */
	static const char echo_eof[] = "printf '\\036MKD-EOF\\n'\r\n";
	size_t echo_len = sizeof(echo_eof) - 1;

	while (h->len && c->state == CONSOLE_RUN) {
		if (c->eof_sent && !c->mid_line && h->s[0] == echo_eof[0]) {
			size_t k = h->len < echo_len ? h->len : echo_len;
			if (!memcmp(h->s, echo_eof, k)) {
				if (k < echo_len)
					return; /* may still be the echo */
				consume(h, echo_len);
				continue;
			}
		}
		if (h->s[0] == '\r') {
			if (h->len < 2)
				return;
			if (h->s[1] == '\n') {
				buf_addch(&c->out, '\n');
				consume(h, 2);
				c->mid_line = 0;
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
		while (n < h->len && h->s[n - 1] != '\n' && h->s[n] != '\r' && h->s[n] != '\036')
			n++;
		c->mid_line = h->s[n - 1] != '\n';
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
			/* The command's output has its own ports: the
			 * console only has the end marker to say. */
			if (c->channel && c->out.len) {
				c->out.len = 0;
				c->out.s[0] = '\0';
			}
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

void console_sent(struct console *c, size_t n)
{
	consume(&c->send, n);
}
