/* Tests for lint.c: real cpio archives written with cpio.h (some
 * compressed with compress.h) and .config texts, each test breaking
 * exactly one thing of a system that is otherwise clean. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "arch.h"
#include "compress.h"
#include "cpio.h"
#include "lint.h"
#include "net.h"
#include "share.h"
#include "testutil.h"
#include "util.h"

static const char good_kconfig[] =
	"CONFIG_64BIT=y\n"
	"CONFIG_BLK_DEV_INITRD=y\n"
	"CONFIG_RD_GZIP=y\n"
	"# CONFIG_RD_XZ is not set\n"
	"CONFIG_BINFMT_ELF=y\n"
	"CONFIG_BINFMT_SCRIPT=y\n"
	"CONFIG_SERIAL_8250=y\n"
	"CONFIG_SERIAL_8250_CONSOLE=y\n";

/* What to break in the image. */
enum {
	NO_INIT = 1 << 0,
	INIT_NOT_EXEC = 1 << 1,
	INIT_BAD_INTERP = 1 << 2,
	ELF_OTHER_ARCH = 1 << 3,
	ELF_DYNAMIC = 1 << 4,      /* busybox wants a loader that is missing */
	ELF_DYNAMIC_OK = 1 << 5,   /* ... that is there, through a symlink */
	NO_CONSOLE = 1 << 6,
	CONSOLE_FILE = 1 << 7,     /* dev/console is a regular file */
	INIT_SYMLINK = 1 << 8,     /* /init -> bin/busybox */
	INIT_DANGLING = 1 << 9,    /* /init -> bin/nothing */
	INIT_LONG_SHEBANG = 1 << 10,
	NO_SCRIPTS = 1 << 11,      /* with INIT_SYMLINK: no #! file at all */
	/* Not breaks: busybox as another kind of ELF file. */
	ELF_32 = 1 << 12,          /* ELFCLASS32 */
	ELF_BIG = 1 << 13,         /* big-endian */
	ELF_SHORT = 1 << 14,       /* a break: cut in its ELF header */
	ELF_BAD_VERSION = 1 << 15, /* a break: EI_VERSION 0 */
};

/* An ELF executable of class CLS and byte order DATA for MACHINE,
 * written by libelf, with a PT_INTERP of INTERP when not NULL (new
 * memory, *LEN bytes). */
static unsigned char *make_elf(int cls, int data, unsigned machine, const char *interp, size_t *len)
{
	assert_int_not_equal(elf_version(EV_CURRENT), EV_NONE);
	int fd = memfd_create("elf", 0);
	assert_true(fd >= 0);
	Elf *e = elf_begin(fd, ELF_C_WRITE, NULL);
	assert_non_null(e);
	assert_non_null(gelf_newehdr(e, cls));
	GElf_Ehdr eh;
	assert_non_null(gelf_getehdr(e, &eh));
	eh.e_ident[EI_DATA] = (unsigned char)data;
	eh.e_type = interp ? ET_DYN : ET_EXEC;
	eh.e_machine = (GElf_Half)machine;
	eh.e_version = EV_CURRENT;
	assert_true(gelf_update_ehdr(e, &eh));
	if (interp) {
		assert_non_null(gelf_newphdr(e, 1));
		Elf_Scn *scn = elf_newscn(e);
		Elf_Data *d = elf_newdata(scn);
		d->d_buf = (void *)interp;
		d->d_size = strlen(interp) + 1;
		d->d_type = ELF_T_BYTE;
		d->d_align = 1;
		GElf_Shdr sh;
		assert_non_null(gelf_getshdr(scn, &sh));
		sh.sh_type = SHT_PROGBITS;
		sh.sh_flags = SHF_ALLOC;
		assert_true(gelf_update_shdr(scn, &sh));
		/* Lay the file out to learn where the string goes. */
		assert_true(elf_update(e, ELF_C_NULL) > 0);
		assert_non_null(gelf_getshdr(scn, &sh));
		GElf_Phdr ph = { .p_type = PT_INTERP, .p_flags = PF_R, .p_offset = sh.sh_offset,
				 .p_filesz = d->d_size, .p_memsz = d->d_size, .p_align = 1 };
		assert_true(gelf_update_phdr(e, 0, &ph));
	}
	off_t size = elf_update(e, ELF_C_WRITE);
	assert_true(size > 0);
	elf_end(e);
	unsigned char *b = xmalloc((size_t)size);
	assert_int_equal(pread(fd, b, (size_t)size, 0), size);
	close(fd);
	*len = (size_t)size;
	return b;
}

/* Write the test system's archive with BREAKS to DIR/NAME.cpio, then
 * compress it with METHOD (NULL: leave it uncompressed). Returns the
 * path of the result (new memory). */
static char *make_image(const char *dir, const char *name, unsigned breaks, const char *method)
{
	char *cpio = xasprintf("%s/%s.cpio", dir, name);
	int fd = open(cpio, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	struct cpio *c = cpio_new(fd, 1700000000);
	size_t len;
	unsigned char *elf = make_elf(breaks & ELF_32 ? ELFCLASS32 : ELFCLASS64,
				      breaks & ELF_BIG ? ELFDATA2MSB : ELFDATA2LSB,
				      breaks & ELF_OTHER_ARCH ? EM_AARCH64 : EM_X86_64,
				      breaks & (ELF_DYNAMIC | ELF_DYNAMIC_OK) ?
					      "/lib/ld-musl-x86_64.so.1" : NULL, &len);
	if (breaks & ELF_SHORT)
		len = 40;
	if (breaks & ELF_BAD_VERSION)
		elf[EI_VERSION] = EV_NONE;

	assert_int_equal(cpio_add_dir(c, "bin", 0755), 0);
	assert_int_equal(cpio_add_data(c, "bin/busybox", 0755, elf, len), 0);
	assert_int_equal(cpio_add_symlink(c, "bin/sh", "busybox"), 0);
	assert_int_equal(cpio_add_dir(c, "dev", 0755), 0);
	if (breaks & CONSOLE_FILE)
		assert_int_equal(cpio_add_data(c, "dev/console", 0600, "", 0), 0);
	else if (!(breaks & NO_CONSOLE))
		assert_int_equal(cpio_add_node(c, "dev/console", S_IFCHR | 0600, 5, 1), 0);
	assert_int_equal(cpio_add_dir(c, "etc", 0755), 0);
	if (!(breaks & NO_SCRIPTS))
		assert_int_equal(cpio_add_data(c, "etc/rc", 0755, "#!/bin/sh\n:\n", 12), 0);
	if (breaks & ELF_DYNAMIC_OK) {
		/* lib -> usr/lib, the loader a relative symlink in there. */
		assert_int_equal(cpio_add_symlink(c, "lib", "usr/lib"), 0);
		assert_int_equal(cpio_add_dir(c, "usr", 0755), 0);
		assert_int_equal(cpio_add_dir(c, "usr/lib", 0755), 0);
		assert_int_equal(cpio_add_data(c, "usr/lib/libc.so", 0755, elf, len), 0);
		assert_int_equal(cpio_add_symlink(c, "usr/lib/ld-musl-x86_64.so.1",
						  "../../usr/lib/./libc.so"), 0);
	}
	if (breaks & INIT_SYMLINK) {
		assert_int_equal(cpio_add_symlink(c, "init", "bin/busybox"), 0);
	} else if (breaks & INIT_DANGLING) {
		assert_int_equal(cpio_add_symlink(c, "init", "bin/nothing"), 0);
	} else if (!(breaks & NO_INIT)) {
		struct buf text = {0};
		if (breaks & INIT_LONG_SHEBANG) {
			buf_addstr(&text, "#!/");
			for (int i = 0; i < 300; i++)
				buf_addch(&text, 'x');
			buf_addstr(&text, "\n");
		} else {
			buf_addstr(&text, breaks & INIT_BAD_INTERP ? "#! /bin/bash -e\n"
								   : "#!/bin/sh\n");
		}
		buf_addstr(&text, "exec /sbin/init\n");
		assert_int_equal(cpio_add_data(c, "init", breaks & INIT_NOT_EXEC ? 0644 : 0755,
					       text.s, text.len), 0);
		buf_free(&text);
	}
	assert_int_equal(cpio_finish(c), 0);
	assert_int_equal(close(fd), 0);
	free(elf);
	if (!method)
		return cpio;
	char *out = xasprintf("%s/%s.img", dir, name);
	assert_int_equal(compress_file(cpio, out, method), 0);
	free(cpio);
	return out;
}

/* lint_run of T against the .config text KCONFIG (NULL: none). */
static void lint_text(struct lint_target *t, const char *kconfig, struct lint_report *r)
{
	struct kconfig_set k;
	if (kconfig)
		assert_int_equal(kconfig_parse(kconfig, "test .config", &k), 0);
	t->kconfig = kconfig ? &k : NULL;
	lint_run(t, r);
	t->kconfig = NULL;
	if (kconfig)
		kconfig_free(&k);
}

/* Lint the image with BREAKS (gzip) against KCONFIG and CMDLINE. */
static void lint_image(const char *dir, unsigned breaks, const char *kconfig, const char *cmdline,
		       struct lint_report *r)
{
	char *img = make_image(dir, "i", breaks, "gzip");
	struct lint_target t = {
		.arch = arch_find("x86_64"),
		.initrd = img,
		.compression = "gzip",
		.cmdline = cmdline ? cmdline : "console=ttyS0 panic=-1",
	};
	memset(r, 0, sizeof(*r));
	lint_text(&t, kconfig, r);
	free(img);
}

/* Exactly one finding, ID, an error, about SUBJECT, whose problem text
 * contains WORDS. */
static void expect_only(const struct lint_report *r, enum lint_id id, const char *subject,
			const char *words)
{
	if (r->n != 1)
		lint_print(r, stderr);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->v[0].id, id);
	assert_int_equal(r->v[0].error, 1);
	assert_int_equal(r->errors, 1);
	assert_string_equal(r->v[0].subject, subject);
	if (!strstr(r->v[0].problem, words))
		fprintf(stderr, "problem: %s\n", r->v[0].problem);
	assert_non_null(strstr(r->v[0].problem, words));
	assert_true(strlen(r->v[0].fix) > 5);
}

static void test_clean_system(void **state)
{
	struct testdir *d = *state;
	struct lint_report r;
	lint_image(d->path, 0, good_kconfig, NULL, &r);
	if (r.n)
		lint_print(&r, stderr);
	assert_int_equal(r.n, 0);
	lint_report_free(&r);

	/* /init as a symlink to BusyBox; a loader reached through symlinks. */
	lint_image(d->path, INIT_SYMLINK | ELF_DYNAMIC_OK, good_kconfig, NULL, &r);
	assert_int_equal(r.n, 0);
	lint_report_free(&r);

	/* Uncompressed and other compressions, each with its own option. */
	static const struct {
		const char *method, *option;
	} forms[] = {{NULL, NULL}, {"xz", "CONFIG_RD_XZ"}, {"zstd", "CONFIG_RD_ZSTD"}};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char *img = make_image(d->path, "c", 0, forms[i].method);
		char *kc = xasprintf("%s%s%s", good_kconfig, forms[i].option ? forms[i].option : "",
				     forms[i].option ? "=y\n" : "");
		struct lint_target t = {.arch = arch_find("x86_64"), .initrd = img,
					.compression = "gzip", .cmdline = "console=ttyS0"};
		memset(&r, 0, sizeof(r));
		lint_text(&t, kc, &r);
		if (r.n)
			lint_print(&r, stderr);
		assert_int_equal(r.n, 0);
		lint_report_free(&r);
		free(kc);
		free(img);
	}
}

static void test_init_missing(void **state)
{
	struct testdir *d = *state;
	struct lint_report r;
	lint_image(d->path, NO_INIT, good_kconfig, NULL, &r);
	expect_only(&r, LINT_INIT_MISSING, "/init", "not in the initramfs");
	lint_report_free(&r);

	lint_image(d->path, INIT_DANGLING, good_kconfig, NULL, &r);
	expect_only(&r, LINT_INIT_MISSING, "/init", "leads to nothing");
	lint_report_free(&r);

	/* rdinit= names the program that has to be there. */
	lint_image(d->path, 0, good_kconfig, "console=ttyS0 rdinit=/sbin/myinit", &r);
	expect_only(&r, LINT_INIT_MISSING, "/sbin/myinit", "not in the initramfs");
	lint_report_free(&r);
	lint_image(d->path, 0, good_kconfig, "console=ttyS0 rdinit=/bin/sh", &r);
	assert_int_equal(r.n, 0);
	lint_report_free(&r);
}

static void test_init_not_executable(void **state)
{
	struct testdir *d = *state;
	struct lint_report r;
	lint_image(d->path, INIT_NOT_EXEC, good_kconfig, NULL, &r);
	expect_only(&r, LINT_INIT_NOT_EXEC, "/init", "not executable (mode 0644)");
	assert_non_null(strstr(r.v[0].fix, "chmod +x"));
	lint_report_free(&r);
}

static void test_init_interpreter(void **state)
{
	struct testdir *d = *state;
	struct lint_report r;
	lint_image(d->path, INIT_BAD_INTERP, good_kconfig, NULL, &r);
	expect_only(&r, LINT_INIT_INTERP, "/init", "interpreter '/bin/bash' is not in the image");
	lint_report_free(&r);

	lint_image(d->path, INIT_LONG_SHEBANG, good_kconfig, NULL, &r);
	expect_only(&r, LINT_INIT_INTERP, "/init", "longer than");
	lint_report_free(&r);
}

static void test_elf_arch(void **state)
{
	struct testdir *d = *state;
	struct lint_report r;
	lint_image(d->path, ELF_OTHER_ARCH, good_kconfig, NULL, &r);
	expect_only(&r, LINT_ELF_ARCH, "/bin/busybox", "for aarch64 (e_machine 183, 64-bit)");
	assert_non_null(strstr(r.v[0].problem, "the kernel is x86_64"));
	lint_report_free(&r);
}

static void test_elf_loader(void **state)
{
	struct testdir *d = *state;
	struct lint_report r;
	lint_image(d->path, ELF_DYNAMIC, good_kconfig, NULL, &r);
	expect_only(&r, LINT_ELF_LOADER, "/bin/busybox",
		    "loader '/lib/ld-musl-x86_64.so.1' is not in the image");
	lint_report_free(&r);
}

/* Both classes in both byte orders: the machine, the class and the
 * loader are read right from each; a file cut short is none of them. */
static void test_elf_kinds(void **state)
{
	struct testdir *d = *state;
	static const struct {
		unsigned kind;
		const char *words;
	} kinds[] = {
		{ 0, "for aarch64 (e_machine 183, 64-bit)" },
		{ ELF_32, "for aarch64 (e_machine 183, 32-bit)" },
		{ ELF_BIG, "for aarch64 (e_machine 183, 64-bit)" },
		{ ELF_32 | ELF_BIG, "for aarch64 (e_machine 183, 32-bit)" },
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct lint_report r;
		unsigned k = kinds[i].kind;
		lint_image(d->path, k | INIT_SYMLINK | ELF_DYNAMIC_OK, good_kconfig, NULL, &r);
		if (r.n)
			lint_print(&r, stderr);
		assert_int_equal(r.n, 0);
		lint_report_free(&r);
		lint_image(d->path, k | ELF_DYNAMIC, good_kconfig, NULL, &r);
		expect_only(&r, LINT_ELF_LOADER, "/bin/busybox",
			    "loader '/lib/ld-musl-x86_64.so.1' is not in the image");
		lint_report_free(&r);
		lint_image(d->path, k | ELF_OTHER_ARCH, good_kconfig, NULL, &r);
		expect_only(&r, LINT_ELF_ARCH, "/bin/busybox", kinds[i].words);
		lint_report_free(&r);
	}

	/* One cut in its header, or with an identification libelf does not
	 * know: said so, not guessed at, and only a warning. */
	for (int bad = 0; bad < 2; bad++) {
		struct lint_report r;
		lint_image(d->path, bad ? ELF_BAD_VERSION : ELF_SHORT, good_kconfig, NULL, &r);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.errors, 0);
		assert_int_equal(r.v[0].id, LINT_ELF_BAD);
		assert_string_equal(r.v[0].subject, "/bin/busybox");
		assert_string_equal(r.v[0].problem,
				    bad ? "its ELF header cannot be read (unknown class, byte order or "
					  "version), so it was not checked"
					: "its ELF header cannot be read (invalid ELF file data), so it "
					  "was not checked");
		lint_report_free(&r);
	}
}

static void test_console_node(void **state)
{
	struct testdir *d = *state;
	struct lint_report r;
	lint_image(d->path, NO_CONSOLE, good_kconfig, NULL, &r);
	expect_only(&r, LINT_CONSOLE_NODE, "/dev/console", "missing");
	lint_report_free(&r);

	lint_image(d->path, CONSOLE_FILE, good_kconfig, NULL, &r);
	expect_only(&r, LINT_CONSOLE_NODE, "/dev/console", "not the character device 5,1");
	lint_report_free(&r);
}

/* good_kconfig without the line starting with SYM. */
static char *kconfig_without(const char *sym)
{
	struct buf b = {0};
	for (const char *p = good_kconfig; *p;) {
		size_t n = strcspn(p, "\n") + 1;
		if (strncmp(p, sym, strlen(sym)) || p[strlen(sym)] != '=')
			buf_add(&b, p, n);
		p += n;
	}
	return buf_steal(&b);
}

static void test_kernel_options(void **state)
{
	struct testdir *d = *state;
	static const struct {
		const char *sym;
		enum lint_id id;
		const char *words;
	} cases[] = {
		{"CONFIG_BLK_DEV_INITRD", LINT_K_INITRD, "ignores the initramfs"},
		{"CONFIG_RD_GZIP", LINT_K_DECOMPRESS, "compressed with what it unpacks"},
		{"CONFIG_BINFMT_ELF", LINT_K_BINFMT_ELF, "no ELF program"},
		{"CONFIG_BINFMT_SCRIPT", LINT_K_BINFMT_SCRIPT, "/init is a #! script"},
		{"CONFIG_SERIAL_8250", LINT_K_CONSOLE, "console ttyS0 needs its driver"},
		{"CONFIG_SERIAL_8250_CONSOLE", LINT_K_CONSOLE, "console ttyS0"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lint_report r;
		char *kc = kconfig_without(cases[i].sym);
		assert_int_not_equal(strlen(kc), strlen(good_kconfig));
		lint_image(d->path, 0, kc, NULL, &r);
		expect_only(&r, cases[i].id, cases[i].sym, cases[i].words);
		char *fix = xasprintf("add %s=y to the [linux] fragment", cases[i].sym);
		assert_string_equal(r.v[0].fix, fix);
		free(fix);
		lint_report_free(&r);
		free(kc);
	}
}

static void test_kernel_options_context(void **state)
{
	struct testdir *d = *state;
	struct lint_report r;

	/* "=m" is not built in. */
	char *kc = kconfig_without("CONFIG_SERIAL_8250");
	char *km = xasprintf("%sCONFIG_SERIAL_8250=m\n", kc);
	lint_image(d->path, 0, km, NULL, &r);
	expect_only(&r, LINT_K_CONSOLE, "CONFIG_SERIAL_8250", "ttyS0");
	lint_report_free(&r);
	free(km);
	free(kc);

	/* No #! file at all: BINFMT_SCRIPT is not needed. */
	kc = kconfig_without("CONFIG_BINFMT_SCRIPT");
	lint_image(d->path, INIT_SYMLINK | NO_SCRIPTS, kc, NULL, &r);
	assert_int_equal(r.n, 0);
	lint_report_free(&r);
	free(kc);

	/* The console on the command line decides: the last console=. */
	kc = kconfig_without("CONFIG_SERIAL_8250_CONSOLE");
	lint_image(d->path, 0, kc, "console=ttyS0 console=ttynull", &r);
	expect_only(&r, LINT_K_CONSOLE, "CONFIG_NULL_TTY", "console ttynull");
	lint_report_free(&r);
	lint_image(d->path, 0, kc, "console=ttyS1,115200", &r);
	expect_only(&r, LINT_K_CONSOLE, "CONFIG_SERIAL_8250_CONSOLE", "console ttyS1");
	lint_report_free(&r);
	free(kc);

	/* No .config: a warning, the image is still checked. */
	lint_image(d->path, NO_CONSOLE, NULL, NULL, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.errors, 1);
	assert_non_null(lint_find(&r, LINT_CONSOLE_NODE));
	assert_int_equal(lint_find(&r, LINT_KCONFIG)->error, 0);
	lint_report_free(&r);
}

/* A kernel image the user gave: its missing options and its missing
 * configuration are told about that image, not the [linux] fragment. */
static void test_given_kernel(void **state)
{
	struct testdir *d = *state;
	char *img = make_image(d->path, "given", 0, "gzip");
	struct lint_target t = {
		.arch = arch_find("x86_64"), .initrd = img, .compression = "gzip",
		.cmdline = "console=ttyS0", .kernel_image = "/boot/vmlinuz-6.1.0-9-amd64",
	};
	struct lint_report r = {0};
	char *kc = kconfig_without("CONFIG_RD_GZIP");
	lint_text(&t, kc, &r);
	expect_only(&r, LINT_K_DECOMPRESS, "CONFIG_RD_GZIP", "compressed with what it unpacks");
	assert_string_equal(r.v[0].fix,
			    "boot a kernel built with CONFIG_RD_GZIP=y instead of "
			    "'/boot/vmlinuz-6.1.0-9-amd64'");
	lint_report_free(&r);

	/* No configuration found: a warning (it boots anyway) that says where
	 * it was looked for and how to give one. */
	lint_text(&t, NULL, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.errors, 0);
	assert_string_equal(r.v[0].subject, "kernel configuration");
	assert_string_equal(r.v[0].problem,
			    "could not check the kernel's configuration: none was given, none lies "
			    "beside '/boot/vmlinuz-6.1.0-9-amd64' (config-RELEASE, .config) and none "
			    "is embedded in it (CONFIG_IKCONFIG)");
	assert_non_null(strstr(r.v[0].fix, "--kernel-config FILE"));
	lint_report_free(&r);

	/* One found that does not parse: an error, naming it. */
	t.kconfig_bad = "'/boot/config-6.1.0-9-amd64'";
	lint_text(&t, NULL, &r);
	expect_only(&r, LINT_KCONFIG, "kernel configuration",
		    "'/boot/config-6.1.0-9-amd64' does not parse (see above)");
	lint_report_free(&r);
	free(kc);
	free(img);
}

/* An architecture whose hard-float programs need a kernel option
 * (riscv64's FPU, arm's VFP): missing, it is named; there, all is well. */
static void test_kernel_fpu(void **state)
{
	struct testdir *d = *state;
	struct arch a = *arch_find("x86_64");
	a.abi_needs[0] = (struct arch_need)ARCH_NEED_FPU("CONFIG_FPU");
	char *img = make_image(d->path, "fpu", 0, "gzip");
	struct lint_target t = {
		.arch = &a, .initrd = img, .compression = "gzip",
		.cmdline = "console=ttyS0",
	};
	struct lint_report r = {0};
	lint_text(&t, good_kconfig, &r);
	expect_only(&r, LINT_K_ABI, "CONFIG_FPU", "SIGILL");
	lint_report_free(&r);

	char *kc = xasprintf("%sCONFIG_FPU=y\n", good_kconfig);
	lint_text(&t, kc, &r);
	assert_int_equal(r.n, 0);
	lint_report_free(&r);
	free(kc);
	free(img);
}

/* A system asking for shares and the network: each option they need is
 * named when missing (the transport's too), a module is a warning. */
static void test_kernel_links(void **state)
{
	struct testdir *d = *state;
	char *img = make_image(d->path, "links", 0, "gzip");
	struct lint_target t = {
		.arch = arch_find("x86_64"), .initrd = img, .compression = "gzip",
		.cmdline = "console=ttyS0", .share = 1,
	};
	struct lint_report r = {0};
	char *share = share_kconfig(t.arch);
	struct buf all = {0};
	buf_addstr(&all, good_kconfig);
	for (const char *p = share; *p; p += strcspn(p, "\n") + 1)
		buf_printf(&all, "%.*s=y\n", (int)strcspn(p, "\n"), p);

	/* Without the command channel's driver: a warning alone (run -c
	 * still works, over the serial console). */
	lint_text(&t, all.s, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.errors, 0);
	assert_int_equal(r.v[0].id, LINT_K_CHANNEL);
	assert_string_equal(r.v[0].subject, "CONFIG_VIRTIO_CONSOLE");
	assert_non_null(strstr(r.v[0].problem, "serial console"));
	lint_report_free(&r);
	buf_addstr(&all, "CONFIG_VIRTIO_CONSOLE=y\n");

	/* Without 9P_FS alone. */
	char *no9p = xstrdup(all.s);
	char *at = strstr(no9p, "CONFIG_9P_FS=y");
	memcpy(at, "CONFIG_9P_FS=n", 14);
	lint_text(&t, no9p, &r);
	expect_only(&r, LINT_K_SHARE, "CONFIG_9P_FS", "[system] share = yes");
	assert_non_null(strstr(r.v[0].fix, "[linux] fragment"));
	lint_report_free(&r);
	/* As a module: a warning that names where it must go. */
	memcpy(at, "CONFIG_9P_FS=m", 14);
	lint_text(&t, no9p, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.errors, 0);
	assert_int_equal(r.v[0].id, LINT_K_SHARE);
	assert_non_null(strstr(r.v[0].fix, "[linux] modules"));
	lint_report_free(&r);
	lint_text(&t, all.s, &r);
	assert_int_equal(r.n, 0);
	lint_report_free(&r);

	/* The network asked for too: its own options, the shared ones once. */
	t.net = 1;
	lint_text(&t, all.s, &r);
	assert_int_equal(r.n, 5);
	assert_non_null(lint_find(&r, LINT_K_NET));
	for (size_t i = 0; i < r.n; i++)
		assert_true(!strcmp(r.v[i].subject, "CONFIG_INET") ||
			    !strcmp(r.v[i].subject, "CONFIG_NET_CORE") ||
			    !strcmp(r.v[i].subject, "CONFIG_NETDEVICES") ||
			    !strcmp(r.v[i].subject, "CONFIG_UNIX") ||
			    !strcmp(r.v[i].subject, "CONFIG_VIRTIO_NET"));
	lint_report_free(&r);
	/* 9P_FS is the shares' alone, VIRTIO_MMIO both features': each named
	 * once, with what needs it. */
	lint_text(&t, good_kconfig, &r);
	const struct lint_finding *fs = NULL, *mmio = NULL;
	size_t nmmio = 0;
	for (size_t i = 0; i < r.n; i++) {
		if (!strcmp(r.v[i].subject, "CONFIG_9P_FS"))
			fs = &r.v[i];
		if (!strcmp(r.v[i].subject, "CONFIG_VIRTIO_MMIO")) {
			mmio = &r.v[i];
			nmmio++;
		}
	}
	assert_non_null(fs);
	assert_non_null(strstr(fs->problem, ": shared directories need it ([system] share = yes)"));
	assert_int_equal(nmmio, 1);
	assert_non_null(strstr(mmio->problem, "shared directories and the network need it"));
	lint_report_free(&r);
	/* Neither asked for: nothing needed. */
	t.share = t.net = 0;
	lint_text(&t, good_kconfig, &r);
	assert_int_equal(r.n, 0);
	lint_report_free(&r);
	free(no9p);
	buf_free(&all);
	free(share);
	free(img);
}

static void test_bad_archive(void **state)
{
	struct testdir *d = *state;
	struct lint_report r;
	struct lint_target t = {.arch = arch_find("x86_64"), .compression = "gzip",
				.cmdline = "console=ttyS0"};

	/* Cut in the middle of the compressed data. */
	char *img = make_image(d->path, "t", 0, "gzip");
	size_t len;
	char *data = read_file(img, &len);
	assert_int_equal(write_file_atomic(img, data, len / 2, 0644), 0);
	free(data);
	t.initrd = img;
	memset(&r, 0, sizeof(r));
	lint_text(&t, good_kconfig, &r);
	assert_non_null(lint_find(&r, LINT_ARCHIVE));
	assert_true(lint_find(&r, LINT_ARCHIVE)->error);
	lint_report_free(&r);
	free(img);

	/* Not there at all. */
	char *missing = xasprintf("%s/nothing.img", d->path);
	t.initrd = missing;
	memset(&r, 0, sizeof(r));
	lint_text(&t, good_kconfig, &r);
	assert_non_null(lint_find(&r, LINT_ARCHIVE));
	lint_report_free(&r);
	free(missing);

	/* A tar archive is no initramfs. */
	char *tar = xasprintf("%s/x.tar", d->path);
	char *src = xasprintf("%s/init", d->path);
	assert_int_equal(write_file_atomic(src, "#!/bin/sh\n", 10, 0755), 0);
	char *cmd = xasprintf("tar -C '%s' -cf '%s' init", d->path, tar);
	assert_int_equal(system(cmd), 0);
	t.initrd = tar;
	memset(&r, 0, sizeof(r));
	lint_text(&t, good_kconfig, &r);
	assert_non_null(lint_find(&r, LINT_ARCHIVE));
	assert_non_null(strstr(lint_find(&r, LINT_ARCHIVE)->problem, "only cpio newc"));
	lint_report_free(&r);
	free(cmd);
	free(src);
	free(tar);
}

static void test_print(void **state)
{
	struct testdir *d = *state;
	struct lint_report r;
	lint_image(d->path, INIT_NOT_EXEC, good_kconfig, NULL, &r);
	char *path = xasprintf("%s/out.txt", d->path);
	FILE *out = fopen(path, "w+");
	assert_non_null(out);
	lint_print(&r, out);
	fclose(out);
	char *text = read_file(path, NULL);
	assert_string_equal(text, "mkdistro: check: error: /init: not executable (mode 0644)\n"
				  "    fix: chmod +x it in the overlay\n");
	free(text);
	free(path);
	lint_report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		testdir_test(test_clean_system),
		testdir_test(test_init_missing),
		testdir_test(test_init_not_executable),
		testdir_test(test_init_interpreter),
		testdir_test(test_elf_arch),
		testdir_test(test_elf_loader),
		testdir_test(test_elf_kinds),
		testdir_test(test_console_node),
		testdir_test(test_kernel_options),
		testdir_test(test_kernel_fpu),
		testdir_test(test_kernel_links),
		testdir_test(test_given_kernel),
		testdir_test(test_kernel_options_context),
		testdir_test(test_bad_archive),
		testdir_test(test_print),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
