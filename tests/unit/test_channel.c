/* Tests for channel.c: the host's side of the command channel (the
 * status, the mark it answers, each stream's end found across chunk
 * boundaries), QEMU's ports on each transport, and the kernel options.
 * The guest's side runs in the end-to-end tests. */
#include "testutil.h"

#include "channel.h"
#include "qemu.h"

/* Feed TEXT to PORT of CH one byte at a time when BYTEWISE; returns what
 * came out for the user (new memory). */
static char *feed(struct channel *ch, enum channel_port port, const char *data, size_t n,
		  int bytewise, size_t *outlen)
{
	struct buf out = {0};
	if (bytewise)
		for (size_t i = 0; i < n; i++)
			channel_feed(ch, port, data + i, 1, &out);
	else
		channel_feed(ch, port, data, n, &out);
	*outlen = out.len;
	buf_addstr(&out, "");
	return buf_steal(&out);
}

static void run_protocol(int bytewise)
{
	struct channel ch;
	size_t n;
	channel_init(&ch);

	/* Before the status, everything is the command's, NULs and all. */
	char *o = feed(&ch, CHANNEL_OUT, "a\0b", 3, bytewise, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(o, "a\0b", 3);
	free(o);
	assert_false(channel_done(&ch));

	o = feed(&ch, CHANNEL_CTL, "42\n", 3, bytewise, &n);
	assert_int_equal(n, 0);
	free(o);
	assert_int_equal(ch.status, 42);
	assert_int_equal(strlen(ch.mark), CHANNEL_MARK_LEN);
	assert_int_equal(strspn(ch.mark, "0123456789abcdef"), CHANNEL_MARK_LEN);
	assert_int_equal(ch.reply.len, CHANNEL_MARK_LEN + 1);
	assert_memory_equal(ch.reply.s, ch.mark, CHANNEL_MARK_LEN);

	/* Bytes of the command's still on their way, then the mark: the
	 * mark is not output, what came before it is, in order. */
	char *tail = xasprintf("late bytes, longer than the mark is long%s", ch.mark);
	o = feed(&ch, CHANNEL_OUT, tail, strlen(tail), bytewise, &n);
	assert_int_equal(n, strlen(tail) - CHANNEL_MARK_LEN);
	assert_memory_equal(o, "late bytes, longer than the mark is long", n);
	free(o);
	free(tail);
	assert_false(channel_done(&ch));

	/* A stream that only had the mark; output after it is dropped. */
	char *err = xasprintf("%sstray", ch.mark);
	o = feed(&ch, CHANNEL_ERR, err, strlen(err), bytewise, &n);
	assert_int_equal(n, 0);
	free(o);
	free(err);
	assert_true(channel_done(&ch));
	o = feed(&ch, CHANNEL_ERR, "more", 4, bytewise, &n);
	assert_int_equal(n, 0);
	free(o);
	channel_free(&ch);
}

static void test_protocol(void **state)
{
	run_protocol(0);
}

static void test_protocol_bytewise(void **state)
{
	run_protocol(1);
}

/* A part of the mark that turns out not to be it is output after all. */
static void test_mark_prefix(void **state)
{
	struct channel ch;
	size_t n;
	channel_init(&ch);
	free(feed(&ch, CHANNEL_CTL, "0\r\n", 3, 0, &n));
	assert_int_equal(ch.status, 0);
	char half[CHANNEL_MARK_LEN];
	memcpy(half, ch.mark, CHANNEL_MARK_LEN / 2);
	memcpy(half + CHANNEL_MARK_LEN / 2, "!", 1);
	char *o = feed(&ch, CHANNEL_OUT, half, CHANNEL_MARK_LEN / 2 + 1, 0, &n);
	assert_int_equal(n, 0); /* held: it might still become the mark */
	free(o);
	char *rest = xasprintf("%s", ch.mark);
	o = feed(&ch, CHANNEL_OUT, rest, strlen(rest), 1, &n);
	assert_int_equal(n, CHANNEL_MARK_LEN / 2 + 1);
	assert_memory_equal(o, half, n);
	free(o);
	free(rest);
	free(feed(&ch, CHANNEL_ERR, ch.mark, CHANNEL_MARK_LEN, 0, &n));
	assert_true(channel_done(&ch));
	channel_free(&ch);
}

/* What is no status line gets no mark: the run then ends on its limits. */
static void test_bad_status(void **state)
{
	static const char *const bad[] = { "256\n", "x\n", "\n", "1234\n", "123456789\n", "-1\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct channel ch;
		size_t n;
		channel_init(&ch);
		free(feed(&ch, CHANNEL_CTL, bad[i], strlen(bad[i]), 0, &n));
		assert_int_equal(ch.status, -1);
		assert_int_equal(ch.mark[0], '\0');
		assert_int_equal(ch.reply.len, 0);
		channel_free(&ch);
	}
	/* Each run draws a mark of its own. */
	struct channel a, b;
	size_t n;
	channel_init(&a);
	channel_init(&b);
	free(feed(&a, CHANNEL_CTL, "1\n", 2, 0, &n));
	free(feed(&b, CHANNEL_CTL, "1\n", 2, 0, &n));
	assert_string_not_equal(a.mark, b.mark);
	channel_free(&a);
	channel_free(&b);
}

static char *joined(char **argv)
{
	struct buf s = {0};
	for (char **p = argv; p && *p; p++)
		buf_printf(&s, "%s%s", p == argv ? "" : " ", *p);
	return buf_steal(&s);
}

static void test_qemu_args(void **state)
{
	struct channel ch;
	assert_int_equal(channel_open(&ch), 0);
	char **argv = channel_qemu_args(arch_find("x86_64"), &ch);
	char *s = joined(argv);
	char *want = xasprintf(
		"-device virtio-serial-device,id=mkdistro-vs "
		"-chardev socket,id=mkdistro-port0,fd=%d "
		"-device virtserialport,bus=mkdistro-vs.0,chardev=mkdistro-port0,name=mkdistro.out "
		"-chardev socket,id=mkdistro-port1,fd=%d "
		"-device virtserialport,bus=mkdistro-vs.0,chardev=mkdistro-port1,name=mkdistro.err "
		"-chardev socket,id=mkdistro-port2,fd=%d "
		"-device virtserialport,bus=mkdistro-vs.0,chardev=mkdistro-port2,name=mkdistro.ctl",
		ch.qemu_fd[0], ch.qemu_fd[1], ch.qemu_fd[2]);
	assert_string_equal(s, want);
	free(s);
	free(want);
	qemu_argv_free(argv);

	argv = channel_qemu_args(arch_find("i686"), &ch);
	assert_string_equal(argv[1], "virtio-serial-pci,id=mkdistro-vs");
	qemu_argv_free(argv);
	argv = channel_qemu_args(arch_find("s390x"), &ch);
	assert_string_equal(argv[1], "virtio-serial-ccw,id=mkdistro-vs");
	qemu_argv_free(argv);

	/* QEMU's ends are closed once it has them; ours stay. */
	channel_started(&ch);
	for (int i = 0; i < CHANNEL_PORTS; i++) {
		assert_int_equal(ch.qemu_fd[i], -1);
		assert_true(ch.fd[i] > 2);
	}
	channel_free(&ch);
}

static void test_kconfig(void **state)
{
	char *k = channel_kconfig(arch_find("x86_64"));
	assert_string_equal(k, "CONFIG_VIRTIO_MENU\nCONFIG_VIRTIO_MMIO\n"
			       "CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES\nCONFIG_VIRTIO_CONSOLE\n");
	free(k);
	k = channel_kconfig(arch_find("i686"));
	assert_string_equal(k, "CONFIG_PCI\nCONFIG_VIRTIO_MENU\nCONFIG_VIRTIO_PCI\n"
			       "CONFIG_VIRTIO_CONSOLE\n");
	free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protocol),
		cmocka_unit_test(test_protocol_bytewise),
		cmocka_unit_test(test_mark_prefix),
		cmocka_unit_test(test_bad_status),
		cmocka_unit_test(test_qemu_args),
		cmocka_unit_test(test_kconfig),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
