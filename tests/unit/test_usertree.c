/* usertree: a user's kernel tree checked, its state hashed, git asked. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "kdiag.h"
#include "proc.h"
#include "usertree.h"

static struct testdir dir;

static int setup(void **state)
{
	testdir_enter(&dir, "usertree");
	write_test_file(dir.path, "t/Makefile", "VERSION = 6\n");
	write_test_file(dir.path, "t/Kconfig", "mainmenu \"x\"\n");
	write_test_file(dir.path, "t/init/main.c", "int x;\n");
	write_test_file(dir.path, "t/arch/x86/Kconfig", "config X86\n\tdef_bool y\n");
	return 0;
}

static int teardown(void **state)
{
	testdir_leave(&dir);
	return 0;
}

static char *check_err(const char *tree, const char *srcarch, int want)
{
	struct capture c;
	capture_start(&c, 2);
	int rc = usertree_check(tree, srcarch);
	char *err = capture_end(&c);
	assert_int_equal(rc, want);
	return err;
}

static void test_check(void **state)
{
	char *t = path_join(dir.path, "t");
	char *err = check_err(t, "x86", 0);
	assert_string_equal(err, "");
	free(err);

	/* Each of what kbuild refuses a tree for, named with the fix. */
	static const char *const built[] = { ".config", "include/config/auto.conf",
					     "arch/x86/include/generated/asm/x.h" };
	static const char *const named[] = { "(it has .config)", "(it has include/config)",
					     "(it has arch/x86/include/generated)" };
	for (size_t i = 0; i < 3; i++) {
		write_test_file(t, built[i], "x\n");
		err = check_err(t, "x86", -1);
		assert_non_null(strstr(err, named[i]));
		assert_non_null(strstr(err, "was configured or built in place"));
		assert_non_null(strstr(err, "mrproper"));
		free(err);
		char *p = path_join(t, i == 0 ? ".config" : i == 1 ? "include" : "arch/x86/include");
		assert_int_equal(rm_rf(p), 0);
		free(p);
	}
	/* Another architecture's generated headers do not stop this one. */
	write_test_file(t, "arch/arm64/include/generated/x.h", "x\n");
	err = check_err(t, "x86", 0);
	free(err);

	char *notree = path_join(dir.path, "t/init");
	err = check_err(notree, "x86", -1);
	assert_non_null(strstr(err, "is not a kernel source tree (no Makefile)"));
	free(err);
	free(notree);
	free(t);
}

static void test_state(void **state)
{
	char *t = path_join(dir.path, "t");
	char a1[SHA256_HEX_LEN + 1], k1[SHA256_HEX_LEN + 1], a2[SHA256_HEX_LEN + 1],
		k2[SHA256_HEX_LEN + 1];
	assert_int_equal(usertree_state(t, a1, k1), 0);
	assert_int_equal(usertree_state(t, a2, k2), 0);
	assert_string_equal(a1, a2);
	assert_string_equal(k1, k2);

	/* A .c file changed: all files, not the Kconfig ones. */
	char *c = path_join(t, "init/main.c");
	struct timeval tv[2] = { { 1000, 0 }, { 1000, 0 } };
	assert_int_equal(utimes(c, tv), 0);
	assert_int_equal(usertree_state(t, a2, k2), 0);
	assert_string_not_equal(a1, a2);
	assert_string_equal(k1, k2);

	/* A Kconfig file changed: both. */
	memcpy(a1, a2, sizeof(a1));
	write_test_file(t, "arch/x86/Kconfig", "config X86\n\tdef_bool n\n");
	assert_int_equal(usertree_state(t, a2, k2), 0);
	assert_string_not_equal(a1, a2);
	assert_string_not_equal(k1, k2);

	/* .git is left out: git's own files change as git is used. */
	memcpy(a1, a2, sizeof(a1));
	write_test_file(t, ".git/index", "x\n");
	assert_int_equal(usertree_state(t, a2, k2), 0);
	assert_string_equal(a1, a2);

	/* A new file counts, wherever it is. */
	write_test_file(t, "drivers/new.c", "\n");
	assert_int_equal(usertree_state(t, a2, k2), 0);
	assert_string_not_equal(a1, a2);
	free(c);
	free(t);
}

static int git(const char *tree, const char *a, const char *b, const char *c)
{
	char *argv[] = { "git", "-C", (char *)tree, "-c", "user.name=t", "-c", "user.email=t@t",
			 (char *)a, (char *)b, (char *)c, NULL };
	return proc_run(argv, NULL, "/dev/null", NULL);
}

static void test_git(void **state)
{
	if (!have_program("git"))
		skip();
	char *t = path_join(dir.path, "t");
	char *d = usertree_describe(t);
	assert_string_equal(d, "not a git work tree");
	free(d);
	assert_int_equal(git(t, "init", "-q", NULL), 0);
	assert_int_equal(git(t, "add", "-A", NULL), 0);
	assert_int_equal(git(t, "commit", "-qm", "base"), 0);
	char *commit = NULL;
	int dirty = -1;
	assert_int_equal(usertree_git(t, &commit, &dirty), 0);
	assert_int_equal(strlen(commit), 40);
	assert_int_equal(dirty, 0);
	d = usertree_describe(t);
	char *want = xasprintf("git commit %.12s, clean", commit);
	assert_string_equal(d, want);
	free(want);
	free(d);

	/* Asking git writes nothing into the tree (not even its index). */
	char *index = path_join(t, ".git/index");
	struct stat before, after;
	assert_int_equal(stat(index, &before), 0);
	write_test_file(t, "init/main.c", "int y;\n");
	free(commit);
	assert_int_equal(usertree_git(t, &commit, &dirty), 0);
	assert_int_equal(dirty, 1);
	assert_int_equal(stat(index, &after), 0);
	assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	d = usertree_describe(t);
	assert_non_null(strstr(d, ", dirty"));
	free(d);
	free(index);
	free(commit);
	free(t);
}

/* A commit's files into a directory of our own: the tree, its index and
 * HEAD untouched; unchanged files keep their times the next time. */
static void test_checkout(void **state)
{
	if (!have_program("git"))
		skip();
	char *t = path_join(dir.path, "t");
	assert_int_equal(git(t, "init", "-q", NULL), 0);
	assert_int_equal(git(t, "add", "-A", NULL), 0);
	assert_int_equal(git(t, "commit", "-qm", "one"), 0);
	write_test_file(t, "init/main.c", "int two;\n");
	assert_int_equal(git(t, "commit", "-qam", "two"), 0);
	write_test_file(t, "init/main.c", "int dirty;\n");
	char *index = path_join(t, ".git/index"), *head = path_join(t, ".git/HEAD");
	size_t n;
	char *index_before = read_file(index, &n), *head_before = read_file(head, NULL);

	char *dest = path_join(dir.path, "copy"), *dindex = path_join(dir.path, "copy.index");
	char *log = path_join(dir.path, "copy.log"), *id = NULL;
	assert_int_equal(usertree_checkout(t, "HEAD~1", dest, dindex, log, &id), 0);
	assert_int_equal(strlen(id), 40);
	char *main_c = path_join(dest, "init/main.c"), *kconfig = path_join(dest, "Kconfig");
	char *text = read_file(main_c, NULL);
	assert_string_equal(text, "int x;\n");
	free(text);
	struct stat k1, k2;
	assert_int_equal(stat(kconfig, &k1), 0);
	free(id);
	assert_int_equal(usertree_checkout(t, "HEAD", dest, dindex, log, &id), 0);
	text = read_file(main_c, NULL);
	assert_string_equal(text, "int two;\n");
	free(text);
	assert_int_equal(stat(kconfig, &k2), 0);
	assert_int_equal(k1.st_mtim.tv_sec, k2.st_mtim.tv_sec);
	assert_int_equal(k1.st_mtim.tv_nsec, k2.st_mtim.tv_nsec);
	char *dgit = path_join(dest, ".git");
	assert_false(path_exists(dgit));
	free(dgit);

	/* A name that is no commit: said, nothing done. */
	struct capture c;
	capture_start(&c, 2);
	char *none = NULL;
	assert_int_equal(usertree_checkout(t, "no-such-branch", dest, dindex, log, &none), -1);
	char *err = capture_end(&c);
	assert_non_null(strstr(err, "'no-such-branch' is not a commit of"));
	assert_null(none);
	free(err);

	/* The user's tree as it was: its edit, its index, its HEAD. */
	char *user_c = path_join(t, "init/main.c");
	text = read_file(user_c, NULL);
	assert_string_equal(text, "int dirty;\n");
	free(text);
	free(user_c);
	size_t m;
	char *index_after = read_file(index, &m), *head_after = read_file(head, NULL);
	assert_int_equal(n, m);
	assert_memory_equal(index_before, index_after, n);
	assert_string_equal(head_before, head_after);
	free(index_before);
	free(index_after);
	free(head_before);
	free(head_after);
	free(index);
	free(head);
	free(id);
	free(main_c);
	free(kconfig);
	free(dest);
	free(dindex);
	free(log);
	free(t);
}

static void test_kdiag(void **state)
{
	assert_null(kdiag_explain("  CC init/main.o\n  LD vmlinux\n"));
	char *why = kdiag_explain("BTF: .tmp_vmlinux.btf: pahole (pahole) is not available\n"
				  "make[1]: *** No rule to make target 'debian/canonical-certs.pem', "
				  "needed by 'certs/x509_certificate_list'.  Stop.\n");
	assert_non_null(why);
	/* One line per cause, though two patterns named pahole. */
	assert_non_null(strstr(why, "install the Debian package 'dwarves'"));
	assert_null(strstr(strstr(why, "dwarves") + 1, "dwarves'"));
	assert_non_null(strstr(why, "CONFIG_SYSTEM_TRUSTED_KEYS=\"\""));
	int lines = 0;
	for (const char *p = why; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 2);
	free(why);

	write_test_file(dir.path, "make.log", "/bin/sh: 1: flex: not found\n");
	char *log = path_join(dir.path, "make.log");
	struct capture c;
	capture_start(&c, 2);
	assert_int_equal(kdiag_report(log), 1);
	char *err = capture_end(&c);
	assert_string_equal(err, "mkdistro: the kernel needs flex: install the Debian package 'flex'\n");
	free(err);
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_git, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kdiag, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
