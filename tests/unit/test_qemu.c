/* Tests for qemu.c: QEMU's argv, the run-qemu.sh text, and driven runs of
 * a shell script that stands in for QEMU (booting QEMU is the end-to-end
 * tests' business). */
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
#include "testutil.h"

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
	int rc = qemu_command(&f->boot, cmd, -1, -1, t);
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
	int rc = qemu_command(&f->boot, "echo hello; exit 7", fd, -1, &t);
	secs = now_seconds() - t0;
	close(fd);
	assert_int_equal(rc, 7);
	assert_int_equal(t.failure, 0);
	assert_string_equal(t.diagnosis, "");
	assert_true(t.prompt >= 0 && t.init >= 0 && t.first_output >= 0);
	assert_true(t.command >= 0 && t.command < secs);
	assert_true(secs < 5);
	char *text = read_file(out, NULL);
	assert_string_equal(text, "hello\n");
	free(text);
	free(out);
}

/* Over the command channel: the fake finds its three ports (QEMU's
 * -chardev socket,fd=N) and plays the guest's side of channel.h: stdout
 * and stderr apart, bytes as written (a NUL, no final newline), the
 * status over the control port, and the mark it answers at each stream's
 * end, with output of the command's held back behind a late byte. */
static void test_run_channel(void **state)
{
	struct fake *f = *state;
	struct boot_times t;
	char *out = xasprintf("%s/out", f->dir), *err = xasprintf("%s/err", f->dir);
	/* bash: dash takes no descriptor above 9 in a redirection. */
	fake_script(f, "[ -n \"$BASH\" ] || exec bash \"$0\" \"$@\"\n"
		    BOOT_LINES
		    "i=0; for a; do case $a in socket,id=mkdistro-port*,fd=*) eval p$i=${a##*fd=}; "
		    "i=$((i+1));; esac; done\n"
		    "[ $i = 3 ] || exit 5\n"
		    "printf 'mkdistro:/# '\n"
		    "read -r l\n"
		    "printf '\\036MKD-READY\\r\\n'\n"
		    "while read -r l; do case $l in *MKD-BEGIN-CHANNEL*) break;; esac; done\n"
		    "printf '\\036MKD-BEGIN-CHANNEL\\r\\nkernel: a message\\r\\n'\n"
		    "eval \"printf 'out\\\\000put' >&$p0; printf 'err\\\\n' >&$p1\"\n"
		    "eval \"printf '7\\\\n' >&$p2; read -r m <&$p2\"\n"
		    "eval \"printf 'late%s' \\\"$m\\\" >&$p0; printf %s \\\"$m\\\" >&$p1\"\n"
		    "printf '\\036MKD-END 7\\r\\n'\n"
		    "read -r l\n"
		    "[ \"$l\" = 'reboot -f' ] || exit 3\n"
		    "exit 0\n");
	f->boot.channel = 1;
	int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fo >= 0 && fe >= 0);
	int rc = qemu_command(&f->boot, "echo hello; exit 7", fo, fe, &t);
	close(fo);
	close(fe);
	assert_int_equal(rc, 7);
	assert_int_equal(t.failure, 0);
	assert_int_equal(t.channel, 1);
	size_t n;
	char *text = read_file(out, &n);
	assert_int_equal(n, 11);
	assert_memory_equal(text, "out\0putlate", 11);
	free(text);
	text = read_file(err, NULL);
	assert_string_equal(text, "err\n");
	free(text);
	free(out);
	free(err);
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

	/* There, but it cannot be run (its #! interpreter is missing). */
	const char *broken = "#!/nonexistent/interpreter\n";
	assert_int_equal(write_file_atomic(f->path, broken, strlen(broken), 0755), 0);
	struct capture c;
	capture_start(&c, 2);
	rc = fake_run(f, "true", &t, &secs);
	char *err = capture_end(&c);
	assert_int_equal(rc, -BOOT_QEMU_START);
	assert_int_equal(t.failure, BOOT_QEMU_START);
	assert_non_null(strstr(err, "cannot run '"));
	assert_non_null(strstr(err, strerror(ENOENT)));
	free(err);

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
	assert_string_equal(t.diagnosis,
			    "timed out after 1 s before the shell prompt (the --timeout limit)");
	assert_true(secs >= 1 && secs < 4);
}

/* The guest shell up to the command's start, then the command's first
 * output and silence. */
#define SHELL_THEN_HANG BOOT_LINES \
	"printf 'mkdistro:/# '\n" \
	"read -r l\n" \
	"printf '\\036MKD-READY\\r\\n'\n" \
	"while read -r l; do case $l in *MKD-END*) break;; esac; done\n" \
	"printf '\\036MKD-BEGIN\\r\\nstarted\\r\\n'\n" \
	"exec sleep 30\n"

/* --command-timeout: the command's own limit, not the total one, which
 * then covers the boot only; the message names the limit that fired. */
static void test_run_command_timeout(void **state)
{
	struct fake *f = *state;
	struct boot_times t;
	double secs;
	fake_script(f, SHELL_THEN_HANG);
	f->boot.timeout = 1;
	f->boot.command_timeout = 1.5;
	int rc = fake_run(f, "sleep 100", &t, &secs);
	assert_int_equal(rc, -BOOT_TIMEOUT);
	assert_int_equal(t.failure, BOOT_TIMEOUT);
	assert_non_null(strstr(t.diagnosis, "the command's own limit fired: it ran for more than "
					    "1.5 s (--command-timeout; the boot itself took "));
	assert_true(t.prompt >= 0);
	assert_true(t.command >= 1.5 && t.command < 3);
	assert_true(secs >= 1.5 && secs < 4);
	assert_non_null(strstr(t.evidence, "started\n"));

	/* Without it, the total timeout covers the command. */
	f->boot.command_timeout = 0;
	rc = fake_run(f, "sleep 100", &t, &secs);
	assert_int_equal(rc, -BOOT_TIMEOUT);
	assert_string_equal(t.diagnosis,
			    "timed out after 1 s while the command ran (the --timeout limit)");
	assert_true(secs >= 1 && secs < 1.5);
}

/* --log: the whole console, \r\n as \n, under its name once the run
 * ended; on a failed boot too; no temporary file left. */
static void test_run_log(void **state)
{
	struct fake *f = *state;
	struct boot_times t;
	double secs;
	char *log = xasprintf("%s/console.log", f->dir);
	f->boot.log = log;
	fake_script(f, BOOT_LINES
		    "printf 'a bare \\r stays\\r\\nKernel panic - not syncing: test\\r'\n"
		    "printf '\\n'\n"
		    "exec sleep 30\n");
	int rc = fake_run(f, "true", &t, &secs);
	assert_int_equal(rc, -BOOT_PANIC);
	char *text = read_file(log, NULL);
	assert_string_equal(text, "Linux version 6.1.176\nRun /init as init process\n"
				  "a bare \r stays\nKernel panic - not syncing: test\n");
	free(text);
	assert_non_null(strstr(t.evidence, "Kernel panic - not syncing: test\n"));
	char *listing = dir_listing(f->dir);
	assert_null(strstr(listing, ".tmp."));
	free(listing);

	/* A log that cannot be written: the boot is not started. */
	char *bad = xasprintf("%s/no/such/dir/log", f->dir);
	f->boot.log = bad;
	struct capture c;
	capture_start(&c, 2);
	rc = fake_run(f, "true", &t, &secs);
	char *err = capture_end(&c);
	assert_int_equal(rc, -BOOT_ERROR);
	assert_non_null(strstr(err, "--log '"));
	free(err);
	free(bad);
	free(log);
	f->boot.log = NULL;
}

/* The accelerator probe's boot: any console output counts, within the
 * time given. */
static void test_first_output(void **state)
{
	struct fake *f = *state;
	fake_script(f, "printf 'SeaBIOS'\nexec sleep 30\n");
	double t0 = now_seconds();
	assert_int_equal(qemu_first_output(&f->boot, 5), 1);
	assert_true(now_seconds() - t0 < 3);

	fake_script(f, "exec sleep 30\n");
	t0 = now_seconds();
	assert_int_equal(qemu_first_output(&f->boot, 0.5), 0);
	double secs = now_seconds() - t0;
	assert_true(secs >= 0.5 && secs < 3);
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
		qemu_command(&f->boot, "true", -1, -1, NULL);
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
		cmocka_unit_test_setup_teardown(test_run_success, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_run_channel, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_run_panic_at_once, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_run_qemu_fails, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_run_stall_and_timeout, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_run_command_timeout, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_run_log, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_first_output, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_kill9_kills_qemu, fake_setup, fake_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
