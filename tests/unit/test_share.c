/* Tests for run --share and --net's host side: the option syntax (and
 * the errors that name the fix), QEMU's devices on each virtio transport,
 * and the kernel command line words the guest's rcS reads. */
#include "testutil.h"

#include "net.h"
#include "qemu.h"
#include "share.h"

static void test_share_defaults(void **state)
{
	struct testdir *t = *state;
	char *dir = testdir_path(t, "work");
	mkdir_p(dir, 0755);
	struct share s;
	assert_int_equal(share_parse(dir, &s), 0);
	assert_string_equal(s.host, dir);
	assert_string_equal(s.guest, "/mnt/work");
	assert_int_equal(s.readonly, 0);
	share_free(&s);

	char *spec = xasprintf("%s:/srv/in:ro", dir);
	assert_int_equal(share_parse(spec, &s), 0);
	assert_string_equal(s.guest, "/srv/in");
	assert_int_equal(s.readonly, 1);
	share_free(&s);
	free(spec);

	/* :ro with the default guest path; a relative host path is resolved. */
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(share_parse(".:ro", &s), 0);
	assert_string_equal(s.host, dir);
	assert_string_equal(s.guest, "/mnt/work");
	assert_int_equal(s.readonly, 1);
	share_free(&s);
	free(dir);
}

/* SPEC is refused with a message that holds WANT. */
static void refused(const char *spec, const char *want)
{
	struct capture c;
	struct share s;
	capture_start(&c, 2);
	int rc = share_parse(spec, &s);
	char *err = capture_end(&c);
	assert_int_equal(rc, -1);
	assert_null(s.host);
	assert_null(s.guest);
	if (!strstr(err, want))
		fail_msg("--share '%s': '%s' not in: %s", spec, want, err);
	free(err);
}

static void test_share_refused(void **state)
{
	struct testdir *t = *state;
	char *dir = testdir_path(t, "d");
	char *file = testdir_path(t, "f");
	mkdir_p(dir, 0755);
	write_test_file_mode(t->path, "f", "x", 0644);
	char *spec;

	refused(":/mnt/x", "no host directory");
	spec = xasprintf("%s/none", dir);
	refused(spec, "is not a directory");
	free(spec);
	refused(file, "is not a directory");
	static const char *const bad_guest[] = { "relative", "/", "/mnt/a b", "/mnt/../etc",
						 "/mnt//x", "/mnt/./x", "/mnt/x/..", "/a,b" };
	for (size_t i = 0; i < sizeof(bad_guest) / sizeof(bad_guest[0]); i++) {
		spec = xasprintf("%s:%s", dir, bad_guest[i]);
		refused(spec, "must be an absolute path other than /");
		free(spec);
	}
	char *odd = testdir_path(t, "a,b");
	mkdir_p(odd, 0755);
	refused(odd, "name one, as in --share");
	free(odd);
	free(dir);
	free(file);
}

static void test_share_qemu(void **state)
{
	struct testdir *t = *state;
	char *a = testdir_path(t, "a,b");
	char *b = testdir_path(t, "ro");
	mkdir_p(a, 0755);
	mkdir_p(b, 0755);
	struct share v[2];
	char *spec = xasprintf("%s:ro", b);
	char *spec_a = xasprintf("%s:/mnt/ab", a);
	assert_int_equal(share_parse(spec_a, &v[0]), 0);
	assert_int_equal(share_parse(spec, &v[1]), 0);

	char **args = share_qemu_args(arch_find("x86_64"), v, 2);
	assert_string_equal(args[0], "-fsdev");
	/* A comma in the path is doubled for QEMU's option parser. */
	char *fs0 = xasprintf("local,id=fs0,security_model=none,path=%s/a,,b", t->path);
	assert_string_equal(args[1], fs0);
	assert_string_equal(args[2], "-device");
	assert_string_equal(args[3], "virtio-9p-device,fsdev=fs0,mount_tag=share0");
	char *fs1 = xasprintf("local,id=fs1,security_model=none,readonly=on,path=%s", b);
	assert_string_equal(args[5], fs1);
	assert_string_equal(args[7], "virtio-9p-device,fsdev=fs1,mount_tag=share1");
	assert_null(args[8]);
	qemu_argv_free(args);
	args = share_qemu_args(arch_find("i686"), v, 1);
	assert_string_equal(args[3], "virtio-9p-pci,fsdev=fs0,mount_tag=share0");
	qemu_argv_free(args);
	assert_null(share_qemu_args(arch_find("x86_64"), v, 0));

	char *words = share_cmdline(v, 2);
	assert_string_equal(words, "mkdistro.share=share0:/mnt/ab:rw mkdistro.share=share1:/mnt/ro:ro");
	free(words);
	words = share_cmdline(v, 0);
	assert_string_equal(words, "");
	free(words);

	/* The whole QEMU command line has the devices after mkdistro's own. */
	struct boot boot = { .arch = arch_find("aarch64"), .kernel = "k", .shares = v, .nshares = 1 };
	char **argv = qemu_argv(&boot, 0);
	int found = 0;
	for (char **p = argv; *p; p++)
		found += !strcmp(*p, "virtio-9p-device,fsdev=fs0,mount_tag=share0");
	assert_int_equal(found, 1);
	qemu_argv_free(argv);

	share_free(&v[0]);
	share_free(&v[1]);
	free(spec);
	free(spec_a);
	free(fs0);
	free(fs1);
	free(a);
	free(b);
}

static void test_share_kconfig(void **state)
{
	char *x86 = share_kconfig(arch_find("x86_64"));
	assert_non_null(strstr(x86, "CONFIG_VIRTIO_MMIO\n"));
	assert_non_null(strstr(x86, "CONFIG_9P_FS\n"));
	assert_null(strstr(x86, "CONFIG_VIRTIO_PCI"));
	char *pc = share_kconfig(arch_find("i686"));
	assert_non_null(strstr(pc, "CONFIG_VIRTIO_PCI\n"));
	assert_non_null(strstr(pc, "CONFIG_NET_9P_VIRTIO\n"));
	char *net = net_kconfig(arch_find("aarch64"));
	assert_non_null(strstr(net, "CONFIG_VIRTIO_NET\n"));
	assert_non_null(strstr(net, "CONFIG_INET\n"));
	/* Every line a symbol of its own. */
	for (const char *p = net; *p; p += strcspn(p, "\n") + 1)
		assert_int_equal(strncmp(p, "CONFIG_", 7), 0);
	free(x86);
	free(pc);
	free(net);
}

/* --forward SPEC is refused, naming WANT. */
static void forward_refused(struct net *n, const char *spec, const char *want)
{
	struct capture c;
	capture_start(&c, 2);
	int rc = net_add_forward(n, spec);
	char *err = capture_end(&c);
	assert_int_equal(rc, -1);
	if (!strstr(err, want))
		fail_msg("--forward '%s': '%s' not in: %s", spec, want, err);
	free(err);
}

static void test_net(void **state)
{
	struct net n = {0};
	assert_null(net_qemu_args(arch_find("x86_64"), &n));
	char *word = net_cmdline(&n);
	assert_string_equal(word, "");
	free(word);

	assert_int_equal(net_parse_mode(&n, NULL), 0);
	assert_int_equal(n.on, 1);
	char **args = net_qemu_args(arch_find("x86_64"), &n);
	assert_string_equal(args[0], "-netdev");
	assert_string_equal(args[1], "user,id=net0,restrict=on");
	assert_string_equal(args[3], "virtio-net-device,netdev=net0");
	assert_null(args[4]);
	qemu_argv_free(args);
	word = net_cmdline(&n);
	assert_string_equal(word, "mkdistro.net=10.0.2.15");
	free(word);

	assert_int_equal(net_add_forward(&n, "8080:80"), 0);
	assert_int_equal(net_add_forward(&n, "65535:1"), 0);
	forward_refused(&n, "8080:81", "host port 8080 is forwarded twice");
	forward_refused(&n, "80", "HOSTPORT:GUESTPORT");
	forward_refused(&n, "0:80", "from 1 to 65535");
	forward_refused(&n, "65536:80", "from 1 to 65535");
	forward_refused(&n, "99999999999:80", "from 1 to 65535");
	forward_refused(&n, "80:", "HOSTPORT:GUESTPORT");
	forward_refused(&n, ":80", "HOSTPORT:GUESTPORT");
	forward_refused(&n, "80:8a", "HOSTPORT:GUESTPORT");
	assert_int_equal(n.nfwd, 2);
	assert_int_equal(net_parse_mode(&n, "open"), 0);
	args = net_qemu_args(arch_find("i686"), &n);
	/* Forwarded from the host's loopback only. */
	assert_string_equal(args[1], "user,id=net0,restrict=off,hostfwd=tcp:127.0.0.1:8080-:80,"
				     "hostfwd=tcp:127.0.0.1:65535-:1");
	assert_string_equal(args[3], "virtio-net-pci,netdev=net0");
	qemu_argv_free(args);

	struct capture c;
	capture_start(&c, 2);
	int rc = net_parse_mode(&n, "wide");
	char *err = capture_end(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "--net=open"));
	free(err);
	net_free(&n);
	assert_int_equal(n.on, 0);

	/* A --forward alone turns the network on, closed. */
	assert_int_equal(net_add_forward(&n, "2222:22"), 0);
	assert_int_equal(n.on, 1);
	assert_int_equal(n.open, 0);
	net_free(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_share_defaults, testdir_setup, testdir_teardown),
		cmocka_unit_test_setup_teardown(test_share_refused, testdir_setup, testdir_teardown),
		cmocka_unit_test_setup_teardown(test_share_qemu, testdir_setup, testdir_teardown),
		cmocka_unit_test(test_share_kconfig),
		cmocka_unit_test_setup_teardown(test_net, NULL, capture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
