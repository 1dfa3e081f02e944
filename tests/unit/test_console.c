/* Tests for console: the protocol parser fed with transcripts like those
 * a real boot prints, and the text it types to run a command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "console.h"
#include "util.h"

static const char boot_log[] =
	"Linux version 6.1.176 (root@vm) #1\r\n"
	"serial8250: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A\r\n"
	"Run /init as init process\r\n"
	"\r\n"
	"BusyBox v1.35.0 built-in shell (ash)\r\n"
	"\r\n";

/* Feed S in pieces of STEP bytes (0: at once) at time T. */
static void feed(struct console *c, const char *s, size_t step, double t)
{
	size_t n = strlen(s);
	if (!step)
		step = n ? n : 1;
	for (size_t i = 0; i < n; i += step)
		console_feed(c, s + i, n - i < step ? n - i : step, t);
}

static char *take(struct buf *b)
{
	char *s = xstrdup(b->s ? b->s : "");
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
	return s;
}

static void expect_send(struct console *c, const char *want)
{
	char *s = take(&c->send);
	assert_string_equal(s, want);
	free(s);
}

static void expect_out(struct console *c, const char *want)
{
	char *s = take(&c->out);
	assert_string_equal(s, want);
	free(s);
}

/* Start C on CMD and bring it to the point where the command's output
 * flows. */
static void running(struct console *c, const char *cmd)
{
	console_init(c, CONSOLE_COMMAND, cmd);
	feed(c, "x# ", 0, 1);
	feed(c, "\036MKD-READY\n\036MKD-BEGIN\n", 0, 1);
	assert_int_equal(c->state, CONSOLE_RUN);
}

/* A whole command run, fed in pieces of every size from 1 byte up. */
static void test_console_command(void **state)
{
	const char *cmd = "echo \"a b\"\nexit 7";
	for (size_t step = 0; step <= 40; step++) {
		struct console c;
		console_init(&c, CONSOLE_COMMAND, cmd);
		assert_non_null(c.script);

		feed(&c, boot_log, step, 0.5);
		assert_int_equal(c.state, CONSOLE_BOOT);
		assert_true(c.init == 0.5);
		assert_true(c.first_output == 0.5);
		assert_int_equal(c.send.len, 0);

		/* BusyBox asks the terminal for the cursor after the prompt. */
		feed(&c, "mkdistro:/# \033[6n", step, 1.0);
		assert_int_equal(c.state, CONSOLE_SETUP);
		assert_true(c.prompt == 1.0);
		expect_send(&c, "stty -echo; dmesg -n 1 2>/dev/null; printf '\\036MKD-READY\\n'\n");

		/* The echo of the setup line is no marker; the output is. */
		feed(&c, "stty -echo; dmesg -n 1 2>/dev/null; printf '\\036MKD-READY\\n'\r\n", step, 1.1);
		assert_int_equal(c.state, CONSOLE_SETUP);
		feed(&c, "\036MKD-READY\r\nmkdistro:/# ", step, 1.2);
		assert_int_equal(c.state, CONSOLE_SENT);
		char *script = take(&c.send);
		assert_string_equal(script, c.script);
		free(script);

		feed(&c, "> > mkdistro:/# \036MKD-BEGIN\r\n", step, 1.3);
		assert_int_equal(c.state, CONSOLE_RUN);
		assert_int_equal(c.out.len, 0);

		/* CR LF becomes LF, a lone CR stays, a \036 that is no marker
		 * is output, and the marker may follow unterminated output. */
		feed(&c, "a b\r\nx\ry\r\n\036MKD-ENDX\r\n\036MKD-END 1234\r\nno newline", step, 1.4);
		assert_int_equal(c.state, CONSOLE_RUN);
		feed(&c, "\036MKD-END 7\r\nmkdistro:/# ", step, 1.5);
		assert_int_equal(c.state, CONSOLE_DONE);
		assert_int_equal(c.status, 7);
		expect_out(&c, "a b\nx\ry\n\036MKD-ENDX\n\036MKD-END 1234\nno newline");
		console_free(&c);
	}
}

/* Output streams as it comes, without waiting for the end of a line. */
static void test_console_streams(void **state)
{
	struct console c;
	running(&c, "cat");
	feed(&c, "Name? ", 0, 2);
	expect_out(&c, "Name? ");
	feed(&c, "abc\r", 0, 2);
	expect_out(&c, "abc");
	feed(&c, "\n\036MKD", 0, 2);
	expect_out(&c, "\n");
	feed(&c, "-END 0", 0, 2);
	assert_int_equal(c.state, CONSOLE_RUN);
	feed(&c, "\n", 0, 2);
	assert_int_equal(c.state, CONSOLE_DONE);
	assert_int_equal(c.status, 0);
	assert_int_equal(c.out.len, 0);
	console_free(&c);
}

/* With the command channel: the typed text runs the command on the
 * ports when the guest has them (on the console otherwise); once the
 * guest said it uses them, the console's lines are kernel messages, not
 * output, and the end marker still ends the command. */
static void test_console_channel(void **state)
{
	struct console c;
	console_init_channel(&c, "echo hi");
	assert_non_null(strstr(c.script, "if [ -c /dev/virtio-ports/mkdistro.ctl ]; then "));
	assert_non_null(strstr(c.script, ">/dev/virtio-ports/mkdistro.out "
					 "2>/dev/virtio-ports/mkdistro.err; s=$?; "
					 "exec 3<>/dev/virtio-ports/mkdistro.ctl; echo $s >&3; "
					 "read -r m <&3; exec 3<&-; "));
	/* The console's way, for a guest without the ports. */
	assert_non_null(strstr(c.script, "; else printf '\\036MKD-BEGIN\\n'; sh "));
	feed(&c, "x# ", 0, 1);
	feed(&c, "\036MKD-READY\n\036MKD-BEGIN-CHANNEL\r\n", 0, 1);
	assert_int_equal(c.state, CONSOLE_RUN);
	assert_int_equal(c.channel, 1);
	feed(&c, "random: crng init done\r\n\036MKD-END 3\r\n", 1, 2);
	assert_int_equal(c.state, CONSOLE_DONE);
	assert_int_equal(c.status, 3);
	expect_out(&c, "");
	console_free(&c);

	/* A guest without them: output on the console, as ever. */
	console_init_channel(&c, "echo hi");
	feed(&c, "x# ", 0, 1);
	feed(&c, "\036MKD-READY\n\036MKD-BEGIN\r\nhi\r\n\036MKD-END 0\r\n", 0, 1);
	assert_int_equal(c.channel, 0);
	assert_int_equal(c.state, CONSOLE_DONE);
	expect_out(&c, "hi\n");
	console_free(&c);
}

static void test_console_panic(void **state)
{
	struct console c;
	console_init(&c, CONSOLE_COMMAND, "true");
	feed(&c, boot_log, 7, 0.5);
	feed(&c, "Kernel panic - not syncing: Requested init /nonexistent failed (error -2).\r\n", 5,
	     0.6);
	assert_int_equal(c.state, CONSOLE_FAILED);
	assert_int_equal(c.kind, CONSOLE_FAIL_PANIC);
	assert_string_equal(c.failure, "kernel panic: the init= program could not be run: 'Kernel "
				       "panic - not syncing: Requested init /nonexistent failed "
				       "(error -2).'");
	char *tail = console_tail(&c, "| ");
	assert_non_null(strstr(tail, "| Run /init as init process\n"));
	assert_non_null(strstr(tail, "| Kernel panic - not syncing: Requested init"));
	free(tail);
	console_free(&c);

	/* A panic while the command runs also counts. */
	running(&c, "true");
	feed(&c, "[ 1.0] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\r\n",
	     0, 2);
	assert_int_equal(c.state, CONSOLE_FAILED);
	assert_int_equal(c.kind, CONSOLE_FAIL_INIT);
	assert_string_equal(c.failure, "init exited with status 1: 'Kernel panic - not syncing: "
				       "Attempted to kill init! exitcode=0x00000100'");
	console_free(&c);
}

/* Feed LINES at boot; the parser must fail with KIND and a diagnosis
 * starting with WHAT. */
static void expect_failure(const char *lines, enum console_failure kind, const char *what)
{
	struct console c;
	console_init(&c, CONSOLE_COMMAND, "true");
	feed(&c, boot_log, 5, 0.5);
	feed(&c, lines, 3, 0.6);
	if (c.state != CONSOLE_FAILED || strncmp(c.failure, what, strlen(what)))
		fprintf(stderr, "state %d, failure: %s\n", c.state, c.failure ? c.failure : "-");
	assert_int_equal(c.state, CONSOLE_FAILED);
	assert_int_equal(c.kind, kind);
	assert_memory_equal(c.failure, what, strlen(what));
	console_free(&c);
}

static void test_console_failures(void **state)
{
	expect_failure("[    0.5] Kernel panic - not syncing: Attempted to kill init! "
		       "exitcode=0x00000009\r\n",
		       CONSOLE_FAIL_INIT, "init was killed by signal 9 SIGKILL: 'Kernel panic");
	expect_failure("Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b\r\n",
		       CONSOLE_FAIL_INIT, "init was killed by signal 11 SIGSEGV");
	expect_failure("Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300\n",
		       CONSOLE_FAIL_INIT, "init exited with status 3: ");
	/* The kernel would go on to /sbin/init: the failure is seen at once. */
	expect_failure("Failed to execute /init (error -2)\r\nRun /sbin/init as init process\r\n",
		       CONSOLE_FAIL_INIT,
		       "init could not be executed (ENOENT: the file, its #! interpreter or its "
		       "ELF loader is missing): 'Failed to execute /init (error -2)'");
	expect_failure("Failed to execute /init (error -8)\r\n", CONSOLE_FAIL_INIT,
		       "init could not be executed (ENOEXEC: ");
	expect_failure("Failed to execute /init (error -13)\r\n", CONSOLE_FAIL_INIT,
		       "init could not be executed (EACCES: not executable)");
	expect_failure("Failed to execute /init (error -99)\r\n", CONSOLE_FAIL_INIT,
		       "init could not be executed: 'Failed");
	expect_failure("Initramfs unpacking failed: invalid magic at start of compressed archive\r\n",
		       CONSOLE_FAIL_PANIC,
		       "the kernel could not unpack the initramfs: 'Initramfs unpacking failed: "
		       "invalid magic at start of compressed archive'");
	expect_failure("Kernel panic - not syncing: No working init found.  Try passing init= "
		       "option to kernel. See Linux Documentation/admin-guide/init.rst for "
		       "guidance.\r\n",
		       CONSOLE_FAIL_PANIC, "kernel panic: no working init found");
	expect_failure("VFS: Cannot open root device \"(null)\" or unknown-block(0,0): error -6\r\n"
		       "Kernel panic - not syncing: VFS: Unable to mount root fs on "
		       "unknown-block(0,0)\r\n",
		       CONSOLE_FAIL_PANIC, "kernel panic: no /init in the initramfs");
	expect_failure("Kernel panic - not syncing: Requested init /x failed (error -2).\r\n",
		       CONSOLE_FAIL_PANIC, "kernel panic: the init= program could not be run: 'Kernel");
	expect_failure("Kernel panic - not syncing: Out of memory and no killable processes...\r\n",
		       CONSOLE_FAIL_PANIC, "kernel panic: 'Kernel panic - not syncing: Out of memory");

	/* Once the command runs, its output may say anything but a panic. */
	struct console c;
	running(&c, "true");
	feed(&c, "Failed to execute /init (error -2)\nInitramfs unpacking failed: x\n", 0, 1);
	assert_int_equal(c.state, CONSOLE_RUN);
	console_free(&c);
}

static void test_console_no_false_prompt(void **state)
{
	struct console c;
	console_init(&c, CONSOLE_COMMAND, "true");
	/* Complete lines ending in "# " and text without it are no prompt. */
	feed(&c, "# \r\nsh-like # \n", 0, 1);
	feed(&c, "partial line", 0, 1);
	feed(&c, "\033[6n", 0, 1);
	assert_int_equal(c.state, CONSOLE_BOOT);
	assert_int_equal(c.send.len, 0);
	/* "Please press Enter" gets one Enter per line. */
	feed(&c, "\r\nPlease press Enter to activate this console. ", 0, 1);
	feed(&c, " ", 0, 1);
	expect_send(&c, "\n");
	feed(&c, "\r\n/ $ ", 0, 2);
	assert_int_equal(c.state, CONSOLE_SETUP);
	console_free(&c);

	/* Watching only never types. */
	console_init(&c, CONSOLE_WATCH, NULL);
	feed(&c, "x:/# ", 0, 0.25);
	assert_int_equal(c.state, CONSOLE_BOOT);
	assert_int_equal(c.send.len, 0);
	assert_true(c.first_output == 0.25);
	console_free(&c);
}

static void test_console_pipe(void **state)
{
	struct console c;
	console_init(&c, CONSOLE_PIPE, NULL);
	feed(&c, boot_log, 3, 1);
	feed(&c, "mkdistro:/# ", 3, 1);
	expect_send(&c, "stty -echo; dmesg -n 1 2>/dev/null; PS1= PS2=; printf '\\036MKD-READY\\n'\n");
	feed(&c, "\036MKD-READY\r\n", 3, 1);
	assert_int_equal(c.state, CONSOLE_RUN);
	console_input(&c, "uname -r\necho x", 15);
	console_input_eof(&c);
	console_input_eof(&c);
	expect_send(&c, "uname -r\necho x\nprintf '\\036MKD-EOF\\n'\n");
	feed(&c, "6.1.176\r\nx\r\n\036MKD-EOF\r\n", 4, 2);
	assert_int_equal(c.state, CONSOLE_DONE);
	expect_out(&c, "6.1.176\nx\n");
	console_free(&c);

	/* Empty input: only the marker. */
	console_init(&c, CONSOLE_PIPE, NULL);
	console_input_eof(&c);
	expect_send(&c, "printf '\\036MKD-EOF\\n'\n");
	console_free(&c);

	/* The input powers the guest off, whose shutdown resets the
	 * console: the tty then echoes the marker's line, which is not
	 * output; output that only starts like it is. */
	console_init(&c, CONSOLE_PIPE, NULL);
	feed(&c, "mkdistro:/# ", 0, 1);
	feed(&c, "\036MKD-READY\r\n", 0, 1);
	console_input(&c, "uname\npoweroff\n", 15);
	console_input_eof(&c);
	feed(&c, "Linux\r\nprintf 'no'\r\nprintf '\\036MKD-EOF\\n'\r\nThe system is going down\r\n", 5, 2);
	expect_out(&c, "Linux\nprintf 'no'\nThe system is going down\n");
	console_free(&c);
}

/* The MAX + 1 bytes at TEXT (room for one more) are refused as a
 * command, their first MAX are not. */
static void expect_limit(char *text, size_t max)
{
	text[max + 1] = '\0';
	assert_null(console_command_text(text));
	text[max] = '\0';
	char *s = console_command_text(text);
	assert_non_null(s);
	free(s);
}

static void test_command_text(void **state)
{
	char *s = console_command_text("echo 'a'\n");
	assert_string_equal(s, "mkdir -p /tmp; cat >/tmp/mkdistro-cmd.sh <<'MKDISTRO_EOF'\n"
			       "echo 'a'\n"
			       "MKDISTRO_EOF\n"
			       "printf '\\036MKD-BEGIN\\n'; sh /tmp/mkdistro-cmd.sh </dev/null; "
			       "printf '\\036MKD-END %d\\n' $?\n");
	free(s);

	/* A line equal to the delimiter picks another; control characters
	 * get a Ctrl-V before them; a missing final newline is added. */
	s = console_command_text("MKDISTRO_EOF\nMKDISTRO_EOF_1\na\001\tb\177\rc");
	assert_non_null(strstr(s, "<<'MKDISTRO_EOF_2'\nMKDISTRO_EOF\nMKDISTRO_EOF_1\n"
				  "a\026\001\tb\026\177\026\rc\nMKDISTRO_EOF_2\nprintf"));
	free(s);

	s = console_command_text("");
	assert_non_null(strstr(s, "<<'MKDISTRO_EOF'\nMKDISTRO_EOF\n"));
	free(s);

	char *line = xmalloc(CONSOLE_CMD_LINE_MAX + 2);
	memset(line, 'x', CONSOLE_CMD_LINE_MAX + 1);
	expect_limit(line, CONSOLE_CMD_LINE_MAX);
	free(line);

	char *big = xmalloc(CONSOLE_CMD_MAX + 2);
	for (size_t i = 0; i <= CONSOLE_CMD_MAX; i++)
		big[i] = i % 80 == 79 ? '\n' : 'y';
	expect_limit(big, CONSOLE_CMD_MAX);
	free(big);

	struct console c;
	console_init(&c, CONSOLE_COMMAND, "x\n");
	assert_non_null(c.script);
	console_free(&c);
}

static void test_console_tail(void **state)
{
	struct console c;
	console_init(&c, CONSOLE_WATCH, NULL);
	for (int i = 0; i < CONSOLE_TAIL + 5; i++) {
		char line[32];
		snprintf(line, sizeof(line), "line %d\r\n", i);
		feed(&c, line, 0, 1);
	}
	feed(&c, "last\033[1m", 0, 1);
	char *tail = console_tail(&c, "> ");
	struct buf want = {0};
	for (int i = 5; i < CONSOLE_TAIL + 5; i++)
		buf_printf(&want, "> line %d\n", i);
	buf_addstr(&want, "> last?[1m\n");
	assert_string_equal(tail, want.s);
	buf_free(&want);
	free(tail);
	console_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_console_command),
		cmocka_unit_test(test_console_streams),
		cmocka_unit_test(test_console_channel),
		cmocka_unit_test(test_console_panic),
		cmocka_unit_test(test_console_no_false_prompt),
		cmocka_unit_test(test_console_pipe),
		cmocka_unit_test(test_command_text),
		cmocka_unit_test(test_console_tail),
		cmocka_unit_test(test_console_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
