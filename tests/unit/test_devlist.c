/* devlist: the list of entries that need root, parsed into cpio entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "devlist.h"
#include "testutil.h"
#include "util.h"

/* Run devlist_parse with stderr captured; returns the messages. */
static char *parse_err(const char *text, struct devlist *l, int *rc)
{
	struct capture c;
	capture_start(&c, 2);
	*rc = devlist_parse(text, "list.txt", "/srcdir", l);
	return capture_end(&c);
}

static void test_good(void **state)
{
	struct devlist l;
	int rc;
	char *err = parse_err("# devices for the guest\n"
			      "\n"
			      "dir /mnt 0755 0 0\n"
			      "nod /dev/ttyS1 0660 0 5 c 4 65   # second serial\n"
			      "nod /dev/vda 0600 0 6 b 254 0\n"
			      "pipe /run/fifo 0620 1000 1000\n"
			      "sock /run/sock 0600 0 0\n"
			      "slink /bin/hello /usr/bin/hello 0777 0 0\n"
			      "file /etc/motd /etc/hostname 0444 1 2\n",
			      &l, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
	assert_int_equal(l.n, 7);
	assert_string_equal(l.v[0].path, "/mnt");
	assert_int_equal(l.v[0].mode, S_IFDIR | 0755);
	assert_int_equal(l.v[1].mode, S_IFCHR | 0660);
	assert_int_equal(l.v[1].major, 4);
	assert_int_equal(l.v[1].minor, 65);
	assert_int_equal(l.v[1].gid, 5);
	assert_int_equal(l.v[2].mode, S_IFBLK | 0600);
	assert_int_equal(l.v[2].major, 254);
	assert_int_equal(l.v[3].mode, S_IFIFO | 0620);
	assert_int_equal(l.v[3].uid, 1000);
	assert_int_equal(l.v[4].mode, S_IFSOCK | 0600);
	assert_int_equal(l.v[5].mode, S_IFLNK | 0777);
	assert_string_equal(l.v[5].target, "/usr/bin/hello");
	assert_int_equal(l.v[6].mode, S_IFREG | 0444);
	assert_string_equal(l.v[6].src, "/etc/hostname");
	assert_int_equal(l.v[6].uid, 1);
	assert_int_equal(l.v[6].gid, 2);
	free(err);
	devlist_free(&l);
	assert_int_equal(l.n, 0);
}

static void test_errors(void **state)
{
	struct devlist l;
	int rc;
	char *err = parse_err("dir /ok 0755 0 0\n"
			      "block /dev/x 0600 0 0\n"
			      "nod /dev/x 0600 0 0 c 4\n"
			      "nod dev/x 0600 0 0 c 4 1\n"
			      "nod /dev/x 0999 0 0 c 4 1\n"
			      "nod /dev/x 0600 root 0 c 4 1\n"
			      "nod /dev/x 0600 0 0 x 4 1\n"
			      "nod /dev/x 0600 0 0 c 5000 1\n"
			      "file /etc/x missing-file 0644 0 0\n"
			      "dir /ok 0755 0 0\n",
			      &l, &rc);
	assert_int_equal(rc, -1);
	assert_int_equal(l.n, 0);
	assert_string_equal(err,
		"mkdistro: list.txt:2: unknown type; expected dir, nod, pipe, sock, slink or file\n"
		"mkdistro: list.txt:3: wrong number of fields for this type (see mkdistro(1))\n"
		"mkdistro: list.txt:4: path must be absolute (start with '/')\n"
		"mkdistro: list.txt:5: bad mode: expected octal permission bits such as 0644\n"
		"mkdistro: list.txt:6: bad uid or gid: expected a number\n"
		"mkdistro: list.txt:7: device type must be c or b\n"
		"mkdistro: list.txt:8: bad major or minor number\n"
		"mkdistro: list.txt:9: source file does not exist\n"
		"mkdistro: list.txt:10: path listed twice\n");
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
