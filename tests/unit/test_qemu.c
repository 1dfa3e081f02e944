/* Tests for qemu.c's pure logic: QEMU's argv, the run-qemu.sh text, the
 * accelerator's overrides, and the console parser fed with transcripts
 * like those a real boot prints (booting QEMU is the end-to-end tests'
 * business). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <fcntl.h>

#include "arch.h"
#include "proc.h"
#include "qemu.h"
#include "util.h"

static struct boot test_boot(void)
{
	struct boot b = {
		.arch = arch_find("x86_64"),
		.kernel = "/o/vmlinuz",
		.initrd = "/o/initrd.img",
		.append = "console=ttyS0 panic=-1",
	};
	return b;
}

static char *join_argv(char **argv)
{
	struct buf s = {0};
	for (char **p = argv; *p; p++)
		buf_printf(&s, "%s%s", p == argv ? "" : "|", *p);
	return buf_steal(&s);
}

static void test_argv_driven(void **state)
{
	struct boot b = test_boot();
	char **argv = qemu_argv(&b, 0);
	char *s = join_argv(argv);
	assert_string_equal(s, "qemu-system-x86_64|-M|microvm,acpi=off|-m|128|-no-reboot|-nodefaults|"
			       "-no-user-config|-display|none|-serial|stdio|"
			       "-kernel|/o/vmlinuz|-initrd|/o/initrd.img|"
			       "-append|console=ttyS0 panic=-1");
	free(s);
	qemu_argv_free(argv);
}

static void test_argv_interactive(void **state)
{
	struct boot b = test_boot();
	b.accel = "kvm";
	b.memory_mb = 64;
	b.append = "console=ttyS0 reboot=k";
	char **argv = qemu_argv(&b, 1);
	char *s = join_argv(argv);
	/* The command line is passed as it is: the machine's needs are in
	 * the architecture's boot arguments, which build_cmdline() adds. */
	assert_string_equal(s, "qemu-system-x86_64|-M|microvm,acpi=off|-m|64|-accel|kvm|-no-reboot|"
			       "-nodefaults|-no-user-config|-display|none|"
			       "-chardev|stdio,id=con0,mux=on,signal=off|-serial|chardev:con0|"
			       "-mon|chardev=con0,mode=readline|"
			       "-kernel|/o/vmlinuz|-initrd|/o/initrd.img|"
			       "-append|console=ttyS0 reboot=k");
	free(s);
	qemu_argv_free(argv);
}

static void test_argv_other_machine(void **state)
{
	struct arch a = *arch_find("x86_64");
	a.qemu_machine = "pc";
	a.qemu_cpu = "max";
	struct boot b = test_boot();
	b.arch = &a;
	b.initrd = NULL;
	b.append = NULL;
	char **argv = qemu_argv(&b, 0);
	char *s = join_argv(argv);
	/* No empty -append, no -initrd. */
	assert_string_equal(s, "qemu-system-x86_64|-M|pc|-cpu|max|-m|128|-no-reboot|-nodefaults|"
			       "-no-user-config|-display|none|-serial|stdio|-kernel|/o/vmlinuz");
	free(s);
	qemu_argv_free(argv);

	/* A machine that takes no less than 256 MiB gets that much, more
	 * only when asked. */
	a.memory_mb = 256;
	argv = qemu_argv(&b, 0);
	s = join_argv(argv);
	assert_non_null(strstr(s, "|-m|256|"));
	free(s);
	qemu_argv_free(argv);
	b.memory_mb = 512;
	argv = qemu_argv(&b, 0);
	s = join_argv(argv);
	assert_non_null(strstr(s, "|-m|512|"));
	free(s);
	qemu_argv_free(argv);
}

static void test_script(void **state)
{
	struct boot b = test_boot();
	b.append = "console=ttyS0 msg=\"it's\" $HOME";
	char *s = qemu_script(&b);
	assert_string_equal(s,
		"#!/bin/sh\n"
		"# Boot the system mkdistro built (vmlinuz and initrd.img next to this\n"
		"# script) in QEMU on this terminal. Arguments are passed on to QEMU;\n"
		"# MKDISTRO_ACCEL=kvm or tcg chooses the accelerator.\n"
		"dir=$(dirname \"$0\")\n"
		"accel=${MKDISTRO_ACCEL:-tcg}\n"
		"echo 'Exit QEMU: Ctrl-A then X' >&2\n"
		"exec qemu-system-x86_64 \\\n"
		"\t-M microvm,acpi=off \\\n"
		"\t-m 128 \\\n"
		"\t-accel \"$accel\" \\\n"
		"\t-no-reboot \\\n"
		"\t-nodefaults \\\n"
		"\t-no-user-config \\\n"
		"\t-display none \\\n"
		"\t-chardev stdio,id=con0,mux=on,signal=off \\\n"
		"\t-serial chardev:con0 \\\n"
		"\t-mon chardev=con0,mode=readline \\\n"
		"\t-kernel \"$dir/vmlinuz\" \\\n"
		"\t-initrd \"$dir/initrd.img\" \\\n"
		"\t-append 'console=ttyS0 msg=\"it'\\''s\" $HOME' \\\n"
		"\t\"$@\"\n");
	free(s);

	b.accel = "kvm";
	s = qemu_script(&b);
	assert_non_null(strstr(s, "accel=${MKDISTRO_ACCEL:-kvm}\n"));
	free(s);

	/* A note says which kernel it boots; each of its lines a comment,
	 * also one that a path with a newline starts, so none is run. */
	b.script_note = "vmlinuz: a copy of /k/vm\nrm -rf x\n(x86 bzImage)";
	s = qemu_script(&b);
	assert_non_null(strstr(s, "accelerator.\n"
				  "# vmlinuz: a copy of /k/vm\n"
				  "# rm -rf x\n"
				  "# (x86 bzImage)\n"
				  "dir=$(dirname \"$0\")\n"));
	free(s);
}

static void test_accel_overrides(void **state)
{
	struct boot b = test_boot();
	b.accel = "tcg";
	setenv("MKDISTRO_ACCEL", "kvm", 1);
	assert_string_equal(qemu_accel(&b), "tcg");
	b.accel = NULL;
	assert_string_equal(qemu_accel(&b), "kvm");
	setenv("MKDISTRO_ACCEL", "tcg", 1);
	assert_string_equal(qemu_accel(&b), "tcg");
	/* No kernel to probe with: nothing is run, TCG it is. */
	setenv("MKDISTRO_ACCEL", "bogus", 1);
	b.kernel = NULL;
	assert_string_equal(qemu_accel(&b), "tcg");
	unsetenv("MKDISTRO_ACCEL");
}

/* ---- console parser ---- */

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
	console_init(&c, CONSOLE_COMMAND, "cat");
	feed(&c, "x# ", 0, 1);
	feed(&c, "\036MKD-READY\n\036MKD-BEGIN\n", 0, 1);
	assert_int_equal(c.state, CONSOLE_RUN);
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

static void test_console_panic(void **state)
{
	struct console c;
	console_init(&c, CONSOLE_COMMAND, "true");
	feed(&c, boot_log, 7, 0.5);
	feed(&c, "Kernel panic - not syncing: Requested init /nonexistent failed (error -2).\r\n", 5,
	     0.6);
	assert_int_equal(c.state, CONSOLE_FAILED);
	assert_int_equal(c.kind, BOOT_PANIC);
	assert_string_equal(c.failure, "kernel panic: the init= program could not be run: 'Kernel "
				       "panic - not syncing: Requested init /nonexistent failed "
				       "(error -2).'");
	char *tail = console_tail(&c, "| ");
	assert_non_null(strstr(tail, "| Run /init as init process\n"));
	assert_non_null(strstr(tail, "| Kernel panic - not syncing: Requested init"));
	free(tail);
	console_free(&c);

	/* A panic while the command runs also counts. */
	console_init(&c, CONSOLE_COMMAND, "true");
	feed(&c, "# ", 0, 1);
	feed(&c, "\036MKD-READY\n\036MKD-BEGIN\n", 0, 1);
	assert_int_equal(c.state, CONSOLE_RUN);
	feed(&c, "[ 1.0] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\r\n",
	     0, 2);
	assert_int_equal(c.state, CONSOLE_FAILED);
	assert_int_equal(c.kind, BOOT_INIT);
	assert_string_equal(c.failure, "init exited with status 1: 'Kernel panic - not syncing: "
				       "Attempted to kill init! exitcode=0x00000100'");
	console_free(&c);
}

/* Feed LINES at boot; the parser must fail with KIND and a diagnosis
 * starting with WHAT. */
static void expect_failure(const char *lines, enum boot_failure kind, const char *what)
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
		       BOOT_INIT, "init was killed by signal 9 SIGKILL: 'Kernel panic");
	expect_failure("Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b\r\n",
		       BOOT_INIT, "init was killed by signal 11 SIGSEGV");
	expect_failure("Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300\n",
		       BOOT_INIT, "init exited with status 3: ");
	/* The kernel would go on to /sbin/init: the failure is seen at once. */
	expect_failure("Failed to execute /init (error -2)\r\nRun /sbin/init as init process\r\n",
		       BOOT_INIT,
		       "init could not be executed (ENOENT: the file, its #! interpreter or its "
		       "ELF loader is missing): 'Failed to execute /init (error -2)'");
	expect_failure("Failed to execute /init (error -8)\r\n", BOOT_INIT,
		       "init could not be executed (ENOEXEC: ");
	expect_failure("Failed to execute /init (error -13)\r\n", BOOT_INIT,
		       "init could not be executed (EACCES: not executable)");
	expect_failure("Failed to execute /init (error -99)\r\n", BOOT_INIT,
		       "init could not be executed: 'Failed");
	expect_failure("Initramfs unpacking failed: invalid magic at start of compressed archive\r\n",
		       BOOT_PANIC,
		       "the kernel could not unpack the initramfs: 'Initramfs unpacking failed: "
		       "invalid magic at start of compressed archive'");
	expect_failure("Kernel panic - not syncing: No working init found.  Try passing init= "
		       "option to kernel. See Linux Documentation/admin-guide/init.rst for "
		       "guidance.\r\n",
		       BOOT_PANIC, "kernel panic: no working init found");
	expect_failure("VFS: Cannot open root device \"(null)\" or unknown-block(0,0): error -6\r\n"
		       "Kernel panic - not syncing: VFS: Unable to mount root fs on "
		       "unknown-block(0,0)\r\n",
		       BOOT_PANIC, "kernel panic: no /init in the initramfs");
	expect_failure("Kernel panic - not syncing: Requested init /x failed (error -2).\r\n",
		       BOOT_PANIC, "kernel panic: the init= program could not be run: 'Kernel");
	expect_failure("Kernel panic - not syncing: Out of memory and no killable processes...\r\n",
		       BOOT_PANIC, "kernel panic: 'Kernel panic - not syncing: Out of memory");

	/* Once the command runs, its output may say anything but a panic. */
	struct console c;
	console_init(&c, CONSOLE_COMMAND, "true");
	feed(&c, "# ", 0, 1);
	feed(&c, "\036MKD-READY\n\036MKD-BEGIN\n", 0, 1);
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

	char *line = xmalloc(QEMU_CMD_LINE_MAX + 2);
	memset(line, 'x', QEMU_CMD_LINE_MAX + 1);
	line[QEMU_CMD_LINE_MAX + 1] = '\0';
	assert_null(console_command_text(line));
	line[QEMU_CMD_LINE_MAX] = '\0';
	s = console_command_text(line);
	assert_non_null(s);
	free(s);
	free(line);

	char *big = xmalloc(QEMU_CMD_MAX + 2);
	for (size_t i = 0; i <= QEMU_CMD_MAX; i++)
		big[i] = i % 80 == 79 ? '\n' : 'y';
	big[QEMU_CMD_MAX + 1] = '\0';
	assert_null(console_command_text(big));
	big[QEMU_CMD_MAX] = '\0';
	s = console_command_text(big);
	assert_non_null(s);
	free(s);
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

/* ---- real runs of a fake QEMU -------------------------------------- */

/* A shell script standing in for QEMU: it plays a console transcript. */
struct fake {
	char dir[64];
	char *path;
	struct arch arch;
	struct boot boot;
};

static int fake_setup(void **state)
{
	struct fake *f = xcalloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/mkdistro-qemu.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = xasprintf("%s/fake-qemu", f->dir);
	f->arch = *arch_find("x86_64");
	f->arch.qemu = f->path;
	f->arch.qemu_pkg = "none";
	f->boot = test_boot();
	f->boot.arch = &f->arch;
	f->boot.accel = "tcg";
	f->boot.timeout = 20;
	f->boot.idle_timeout = 10;
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *f = *state;
	rm_rf(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static void fake_script(struct fake *f, const char *body)
{
	char *text = xasprintf("#!/bin/sh\n%s", body);
	assert_int_equal(write_file_atomic(f->path, text, strlen(text), 0755), 0);
	free(text);
}

/* Run CMD against the fake; returns qemu_command's result, *SECS the time
 * it took. */
static int fake_run(struct fake *f, const char *cmd, struct boot_times *t, double *secs)
{
	double t0 = now_seconds();
	int rc = qemu_command(&f->boot, cmd, -1, t);
	*secs = now_seconds() - t0;
	return rc;
}

#define BOOT_LINES "printf 'Linux version 6.1.176\\r\\nRun /init as init process\\r\\n'\n"

static void test_run_success(void **state)
{
	struct fake *f = *state;
	struct boot_times t;
	double secs;
	char *out = xasprintf("%s/out", f->dir);
	/* Plays the guest shell: the setup line, the command text up to its
	 * last line, then the reboot. */
	fake_script(f, BOOT_LINES
		    "printf 'mkdistro:/# '\n"
		    "read -r l\n"
		    "printf '\\036MKD-READY\\r\\n'\n"
		    "while read -r l; do case $l in *MKD-END*) break;; esac; done\n"
		    "printf '\\036MKD-BEGIN\\r\\nhello\\r\\n\\036MKD-END 7\\r\\n'\n"
		    "read -r l\n"
		    "[ \"$l\" = 'reboot -f' ] || exit 3\n"
		    "exit 0\n");
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	double t0 = now_seconds();
	int rc = qemu_command(&f->boot, "echo hello; exit 7", fd, &t);
	secs = now_seconds() - t0;
	close(fd);
	assert_int_equal(rc, 7);
	assert_int_equal(t.failure, 0);
	assert_string_equal(t.diagnosis, "");
	assert_true(t.prompt >= 0 && t.init >= 0 && t.first_output >= 0);
	assert_true(secs < 5);
	char *text = read_file(out, NULL);
	assert_string_equal(text, "hello\n");
	free(text);
	free(out);
}

static void test_run_panic_at_once(void **state)
{
	struct fake *f = *state;
	struct boot_times t;
	double secs;
	/* The guest hangs after the panic: it is seen at once all the same. */
	fake_script(f, BOOT_LINES
		    "printf 'Kernel panic - not syncing: Attempted to kill init! "
		    "exitcode=0x00000200\\r\\n'\n"
		    "exec sleep 30\n");
	int rc = fake_run(f, "true", &t, &secs);
	assert_int_equal(rc, -BOOT_INIT);
	assert_int_equal(t.failure, BOOT_INIT);
	assert_non_null(strstr(t.diagnosis, "init exited with status 2"));
	assert_true(secs < 5);

	fake_script(f, BOOT_LINES
		    "printf 'Initramfs unpacking failed: broken padding\\r\\n'\n"
		    "exec sleep 30\n");
	rc = fake_run(f, "true", &t, &secs);
	assert_int_equal(rc, -BOOT_PANIC);
	assert_non_null(strstr(t.diagnosis, "could not unpack the initramfs"));
	assert_true(secs < 5);
}

static void test_run_qemu_fails(void **state)
{
	struct fake *f = *state;
	struct boot_times t;
	double secs;
	fake_script(f, "echo \"qemu-system-x86_64: -bogus: invalid option\" >&2\nexit 1\n");
	int rc = fake_run(f, "true", &t, &secs);
	assert_int_equal(rc, -BOOT_QEMU_START);
	assert_string_equal(t.diagnosis, "QEMU failed to start (exit status 1): "
					 "qemu-system-x86_64: -bogus: invalid option");

	/* Not there at all. */
	unlink(f->path);
	rc = fake_run(f, "true", &t, &secs);
	assert_int_equal(rc, -BOOT_QEMU_START);

	/* The guest rebooted before the prompt: QEMU ended, not a start. */
	fake_script(f, BOOT_LINES "exit 0\n");
	rc = fake_run(f, "true", &t, &secs);
	assert_int_equal(rc, -BOOT_QEMU_EXIT);
	assert_non_null(strstr(t.diagnosis, "QEMU exited (status 0) before the shell prompt"));
}

static void test_run_stall_and_timeout(void **state)
{
	struct fake *f = *state;
	struct boot_times t;
	double secs;

	fake_script(f, BOOT_LINES "printf 'last words'\nexec sleep 30\n");
	f->boot.idle_timeout = 0.5;
	int rc = fake_run(f, "true", &t, &secs);
	assert_int_equal(rc, -BOOT_STALL);
	assert_non_null(strstr(t.diagnosis, "stalled: no console output for 0.5 s before the "
					    "shell prompt; last output "
					    "at 0.0 s from QEMU's start: "));
	assert_non_null(strstr(t.diagnosis, "'last words'"));
	assert_true(secs >= 0.5 && secs < 3);

	/* Never a byte. */
	fake_script(f, "exec sleep 30\n");
	rc = fake_run(f, "true", &t, &secs);
	assert_int_equal(rc, -BOOT_STALL);
	assert_non_null(strstr(t.diagnosis, "no console output at all in 0.5 s"));

	/* Chatty but never ready: the total time runs out. */
	fake_script(f, "while :; do echo tick; sleep 0.1; done\n");
	f->boot.timeout = 1;
	rc = fake_run(f, "true", &t, &secs);
	assert_int_equal(rc, -BOOT_TIMEOUT);
	assert_string_equal(t.diagnosis, "timed out after 1 s before the shell prompt");
	assert_true(secs >= 1 && secs < 4);
}

/* kill -9 of the process driving QEMU leaves no QEMU behind. */
static void test_kill9_kills_qemu(void **state)
{
	struct fake *f = *state;
	char *pidfile = xasprintf("%s/pid", f->dir);
	char *body = xasprintf("echo $$ > %s.tmp && mv %s.tmp %s\nexec sleep 60\n", pidfile,
			       pidfile, pidfile);
	fake_script(f, body);
	free(body);

	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		proc_forget_all();
		qemu_command(&f->boot, "true", -1, NULL);
		_exit(0);
	}
	char *text = NULL;
	for (int i = 0; i < 500 && !(text = read_file_quiet(pidfile, NULL)); i++)
		usleep(10000);
	assert_non_null(text);
	pid_t qemu = (pid_t)atol(text);
	free(text);
	assert_true(qemu > 0);
	assert_int_equal(kill(qemu, 0), 0);

	assert_int_equal(kill(child, SIGKILL), 0);
	int st;
	assert_int_equal(waitpid(child, &st, 0), child);
	/* Gone, or a zombie waiting for init to reap it. */
	int dead = 0;
	for (int i = 0; i < 200 && !dead; i++) {
		char *statpath = xasprintf("/proc/%ld/stat", (long)qemu);
		char *stat = read_file_quiet(statpath, NULL);
		const char *paren = stat ? strrchr(stat, ')') : NULL;
		dead = !stat || (paren && paren[1] == ' ' && paren[2] == 'Z');
		free(stat);
		free(statpath);
		if (!dead)
			usleep(10000);
	}
	if (!dead)
		kill(qemu, SIGKILL);
	assert_true(dead);
	free(pidfile);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_driven),
		cmocka_unit_test(test_argv_interactive),
		cmocka_unit_test(test_argv_other_machine),
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_accel_overrides),
		cmocka_unit_test(test_console_command),
		cmocka_unit_test(test_console_streams),
		cmocka_unit_test(test_console_panic),
		cmocka_unit_test(test_console_no_false_prompt),
		cmocka_unit_test(test_console_pipe),
		cmocka_unit_test(test_command_text),
		cmocka_unit_test(test_console_tail),
		cmocka_unit_test(test_console_failures),
		cmocka_unit_test_setup_teardown(test_run_success, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_run_panic_at_once, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_run_qemu_fails, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_run_stall_and_timeout, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_kill9_kills_qemu, fake_setup, fake_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
