/* Tests for kimage: synthetic images of every format the architecture
 * table boots (headers as the kernel's own boot code lays them out, a
 * made-up kernel inside, compressed the ways kernels are), broken and
 * foreign files, and the x86 kernel built here when there is one. */
#include <archive.h>
#include <archive_entry.h>
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch.h"
#include "compress.h"
#include "kimage.h"
#include "testutil.h"
#include "util.h"

#define RELEASE "6.1.99-test+"
#define CONFIG "# Linux/x86 6.1.99 Kernel Configuration\nCONFIG_IKCONFIG=y\nCONFIG_MODULES=y\n"

static char *put(const char *name, const void *data, size_t len)
{
	char *p = path_join(testdir_group.path, name);
	assert_int_equal(write_file_atomic(p, data, len, 0644), 0);
	return p;
}

/* DATA written as NAME and identified into K, which must give RC; the
 * file's path (new memory). */
static char *ident(struct kimage *k, const char *name, const void *data, size_t len, int rc)
{
	char *path = put(name, data, len);
	assert_int_equal(kimage_identify(path, k), rc);
	return path;
}

static void le16w(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void le32w(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Bytes that do not compress, the same each run. */
static void noise(struct buf *b, size_t n)
{
	static uint32_t x = 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		buf_addch(b, (char)(x >> 24));
	}
}

/* DATA compressed with libarchive's FILTER ("gzip", "xz", "lzma",
 * "bzip2", "zstd", "lz4": the frame format), appended to OUT. */
static void zpack(const char *filter, const void *data, size_t n, struct buf *out)
{
	struct archive *a = archive_write_new();
	size_t cap = n + n / 2 + 64 * 1024, used = 0;
	char *mem = xmalloc(cap);

	assert_int_equal(archive_write_add_filter_by_name(a, filter), ARCHIVE_OK);
	/* Light presets: a test need not pay for -9's encoder. */
	if (strcmp(filter, "gzip") && strcmp(filter, "bzip2"))
		assert_int_equal(archive_write_set_filter_option(a, filter, "compression-level", "1"),
				 ARCHIVE_OK);
	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, mem, cap, &used), ARCHIVE_OK);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "vmlinux.bin");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)n);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, data, n), (la_ssize_t)n);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_entry_free(e);
	archive_write_free(a);
	/* The kernel's lzma is -9: its header names a 64 MiB dictionary,
	 * which decodes what a smaller one encoded. */
	if (!strcmp(filter, "lzma"))
		memcpy(mem + 1, "\0\0\0\x04", 4);
	buf_add(out, mem, used);
	free(mem);
}

/* A made-up decompressed kernel: a format string that looks like a
 * banner but is not one, the banner, the configuration between its
 * markers (when CONFIG), and noise around them. */
static void kernel_body(struct buf *b, const char *config)
{
	noise(b, 5000);
	buf_addstr(b, "Linux version %s (%s)");
	buf_addch(b, '\0');
	noise(b, 3000);
	buf_addstr(b, "Linux version " RELEASE " (test@example) (gcc 12.2.0) #1 SMP PREEMPT\n");
	buf_addch(b, '\0');
	noise(b, 2000);
	if (config) {
		buf_addstr(b, "IKCFG_ST");
		zpack("gzip", config, strlen(config), b);
		buf_addstr(b, "IKCFG_ED");
	}
	noise(b, 70000);
}

/* DATA in the legacy lz4 frame the kernel's lz4 makes (lz4 -l, through
 * compress_file), appended to OUT; 0 when the lz4 tool is missing. */
static int lz4_legacy(const void *data, size_t n, struct buf *out)
{
	if (!have_program("lz4"))
		return 0;
	char *in = put("payload.raw", data, n), *z = path_join(testdir_group.path, "payload.lz4");
	assert_int_equal(compress_file(in, z, "lz4"), 0);
	size_t len;
	char *got = read_file(z, &len);
	assert_non_null(got);
	assert_memory_equal(got, "\x02\x21\x4c\x18", 4);
	buf_add(out, got, len);
	free(got);
	free(in);
	free(z);
	return 1;
}

/* The payload of a bzImage: an ELF header (what vmlinux.bin starts
 * with), then the kernel body; compressed with FILTER. */
static void payload(struct buf *out, const char *filter, int machine, int class64,
		    const char *config)
{
	struct buf raw = { 0 };
	unsigned char eh[64] = { 0x7f, 'E', 'L', 'F', class64 ? 2 : 1, 1, 1 };
	le16w(eh + 16, ET_EXEC);
	le16w(eh + 18, (unsigned)machine);
	le32w(eh + 20, 1);
	buf_add(&raw, eh, sizeof(eh));
	kernel_body(&raw, config);
	if (!strcmp(filter, "lz4-legacy"))
		assert_true(lz4_legacy(raw.s, raw.len, out));
	else
		zpack(filter, raw.s, raw.len, out);
	buf_free(&raw);
}

/* An x86 boot image as header.S lays it out: 4 setup sectors after the
 * boot sector, the version string among them, then the protected-mode
 * code with the payload (FILTER, MACHINE, CONFIG: see payload()) 0x100
 * bytes in, followed by its size (size_append). */
static void bzimage(struct buf *b, unsigned proto, int is64, const char *version,
		    const char *filter, int machine, const char *config)
{
	struct buf pl = { 0 };
	payload(&pl, filter, machine, machine == EM_X86_64, config);
	unsigned char h[5 * 512] = { 0 };
	h[0x1f1] = 4;
	h[0x1fe] = 0x55;
	h[0x1ff] = 0xaa;
	h[0x200] = 0xeb;
	h[0x201] = 0x6a;
	memcpy(h + 0x202, "HdrS", 4);
	le16w(h + 0x206, proto);
	h[0x211] = 1; /* LOADED_HIGH */
	if (version) {
		le16w(h + 0x20e, 0x400 - 0x200);
		memcpy(h + 0x400, version, strlen(version) + 1);
	}
	/* build.c pads the code to the 16-byte units syssize counts. */
	size_t pm = (0x100 + pl.len + 4 + 12 + 15) / 16 * 16;
	le32w(h + 0x1f4, (uint32_t)(pm / 16));
	if (proto >= 0x20c)
		le16w(h + 0x236, is64 ? 0x7f : 0x00);
	if (proto >= 0x208) {
		le32w(h + 0x248, 0x100);
		le32w(h + 0x24c, (uint32_t)pl.len + 4);
	}
	buf_add(b, h, sizeof(h));
	noise(b, 0x100);
	buf_add(b, pl.s, pl.len);
	unsigned char size[4];
	le32w(size, 0x2a00000);
	buf_add(b, size, 4);
	noise(b, pm - (0x100 + pl.len + 4));
	buf_free(&pl);
}



static void check_release(const char *path, const char *want)
{
	char *r = NULL;
	assert_int_equal(kimage_release(path, &r), 0);
	assert_string_equal(r, want);
	free(r);
}

static void check_config(const char *path)
{
	struct buf cfg = { 0 };
	assert_int_equal(kimage_ikconfig(path, &cfg), 0);
	assert_string_equal(cfg.s, CONFIG);
	buf_free(&cfg);
}

/* kimage_release and kimage_ikconfig on PATH both fail, and what they
 * print has WANT in it. */
static void both_fail(const char *path, const char *want)
{
	char *r = NULL;
	struct buf cfg = { 0 };
	struct capture c;

	capture_start(&c, 2);
	int rr = kimage_release(path, &r), rk = kimage_ikconfig(path, &cfg);
	char *err = capture_end(&c);
	assert_int_equal(rr, -1);
	assert_int_equal(rk, -1);
	assert_null(r);
	assert_int_equal(cfg.len, 0);
	if (!strstr(err, want))
		fail_msg("'%s' does not say '%s'", err, want);
	free(err);
}

/* The release and the configuration of the synthetic kernel in PATH. */
static void check_inside(const char *path)
{
	check_release(path, RELEASE);
	check_config(path);
}

static void test_bzimage(void **state)
{
	/* Each compression a kernel's payload comes in, the
	 * configuration in it. */
	const char *filters[] = { "gzip", "xz", "lzma", "bzip2", "zstd", "lz4", "lz4-legacy" };
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		struct buf img = { 0 };
		if (!strcmp(filters[i], "lz4-legacy") && !have_program("lz4")) {
			print_message("lz4 tool missing (Debian package 'lz4'): the kernel's lz4 form not tested\n");
			continue;
		}
		bzimage(&img, 0x20f, 1, RELEASE " (me@here) #1 SMP PREEMPT_DYNAMIC", filters[i], EM_X86_64, CONFIG);
		struct kimage k;
		char *path = ident(&k, "bzImage", img.s, img.len, 0);
		assert_string_equal(k.format, "x86 bzImage");
		assert_string_equal(k.arch, "x86_64");
		assert_string_equal(k.version, RELEASE " (me@here) #1 SMP PREEMPT_DYNAMIC");
		assert_true(!strncmp(k.compression, filters[i], strlen(k.compression)));
		assert_int_equal(k.x86_protocol, 0x20f);
		assert_int_equal(k.x86_setup_sects, 4);
		assert_int_equal(k.x86_xloadflags, 0x7f);
		assert_non_null(strstr(k.note, "2.15"));
		assert_null(k.message);
		kimage_free(&k);
		check_inside(path);
		free(path);
		buf_free(&img);
	}
}

static void test_bzimage_32bit_and_old_protocols(void **state)
{
	struct buf img = { 0 };
	struct kimage k;

	/* 2.12 on: xloadflags without XLF_KERNEL_64. */
	bzimage(&img, 0x20c, 0, NULL, "gzip", EM_386, NULL);
	char *path = ident(&k, "i686", img.s, img.len, 0);
	assert_string_equal(k.arch, "i686");
	assert_null(k.version);
	kimage_free(&k);
	/* No version string in the header: the banner in the payload. */
	check_release(path, RELEASE);
	struct buf cfg = { 0 };
	assert_int_equal(kimage_ikconfig(path, &cfg), 1);
	assert_int_equal(cfg.len, 0);
	free(path);
	buf_free(&img);

	/* 2.10: no 64-bit flag; the payload's ELF header says. */
	bzimage(&img, 0x20a, 0, NULL, "gzip", EM_386, NULL);
	path = ident(&k, "i686-2.10", img.s, img.len, 0);
	assert_string_equal(k.arch, "i686");
	assert_non_null(strstr(k.note, "ELF header"));
	kimage_free(&k);
	free(path);
	buf_free(&img);
	bzimage(&img, 0x208, 0, NULL, "xz", EM_X86_64, NULL);
	path = ident(&k, "x86_64-2.08", img.s, img.len, 0);
	assert_string_equal(k.arch, "x86_64");
	kimage_free(&k);
	free(path);
	buf_free(&img);

	/* 2.04 says neither; the payload is found by its magic. */
	bzimage(&img, 0x204, 0, NULL, "xz", EM_X86_64, NULL);
	path = ident(&k, "old", img.s, img.len, 0);
	assert_null(k.arch);
	assert_non_null(strstr(k.note, "2.04"));
	kimage_free(&k);
	check_release(path, RELEASE);
	free(path);
	buf_free(&img);
}

static void test_bzimage_bad_or_truncated(void **state)
{
	struct buf img = { 0 };
	struct kimage k;
	bzimage(&img, 0x20f, 1, "6.1.0 unterminated", "gzip", EM_X86_64, NULL);
	/* A version string that never ends within its bound is no version. */
	memset(img.s + 0x400, 'x', 600);
	char *path = ident(&k, "noversion", img.s, img.len, 0);
	assert_null(k.version);
	kimage_free(&k);
	free(path);

	/* A payload that would end past the file: refused, not cut. */
	le32w((unsigned char *)img.s + 0x24c, 0x7fffffff);
	path = ident(&k, "badpayload", img.s, img.len, 1);
	assert_non_null(strstr(k.message, "truncated x86 bzImage"));
	assert_non_null(strstr(k.message, path));
	kimage_free(&k);
	free(path);
	buf_free(&img);

	/* Truncated: cut inside the setup sectors, then inside the payload. */
	bzimage(&img, 0x20f, 1, RELEASE, "gzip", EM_X86_64, NULL);
	size_t cuts[] = { 0x300, 5 * 512 + 1000 };
	for (size_t i = 0; i < 2; i++) {
		path = ident(&k, "cut", img.s, cuts[i], 1);
		assert_null(k.arch);
		char *want = xasprintf("kernel '%s': truncated x86 bzImage", path);
		assert_non_null(strstr(k.message, want));
		free(want);
		kimage_free(&k);
		both_fail(path, "truncated x86 bzImage");
		free(path);
	}
	buf_free(&img);
}

/* An arm64 or RISC-V Image: 64-byte header, then the kernel as it is. */
static void image(struct buf *b, const char *magic, size_t at, uint64_t flags, size_t pad)
{
	unsigned char h[64] = { 0 };
	memcpy(h + at, magic, 4);
	for (int i = 0; i < 8; i++)
		h[0x18 + i] = (unsigned char)(flags >> (8 * i));
	buf_add(b, h, sizeof(h));
	noise(b, pad);
	kernel_body(b, CONFIG);
}

static void test_arm64_image(void **state)
{
	struct buf img = { 0 };
	struct kimage k;

	/* "Linux version " across the edge of the first block searched
	 * (256 KiB less the 5 bytes a magic may need of the next one). */
	image(&img, "ARM\x64", 0x38, 0x2, 256 * 1024 - 5 - 7 - 64 - 5000 - 22 - 3000);
	char *path = ident(&k, "Image", img.s, img.len, 0);
	assert_string_equal(k.format, "arm64 Image");
	assert_string_equal(k.arch, "aarch64");
	assert_null(k.version);
	kimage_free(&k);
	check_inside(path);
	free(path);

	/* Image.gz, then inside an EFI zboot image. */
	struct buf z = { 0 };
	zpack("gzip", img.s, img.len, &z);
	path = ident(&k, "Image.gz", z.s, z.len, 0);
	assert_string_equal(k.format, "compressed arm64 Image");
	assert_string_equal(k.arch, "aarch64");
	assert_string_equal(k.compression, "gzip");
	kimage_free(&k);
	check_inside(path);
	free(path);

	unsigned char h[0x200] = { 'M', 'Z', 0, 0, 'z', 'i', 'm', 'g' };
	le32w(h + 8, sizeof(h));
	le32w(h + 12, (uint32_t)z.len);
	memcpy(h + 0x18, "gzip", 5);
	le32w(h + 0x3c, 0x40);
	memcpy(h + 0x40, "PE\0\0", 4);
	le16w(h + 0x44, 0xaa64);
	struct buf zb = { 0 };
	buf_add(&zb, h, sizeof(h));
	buf_add(&zb, z.s, z.len);
	noise(&zb, 4096);
	path = ident(&k, "vmlinuz.efi", zb.s, zb.len, 0);
	assert_string_equal(k.format, "EFI zboot image (arm64 Image)");
	assert_string_equal(k.arch, "aarch64");
	kimage_free(&k);
	check_inside(path);
	free(path);
	buf_free(&zb);
	buf_free(&z);
	buf_free(&img);

	/* Big-endian: no target here. */
	image(&img, "ARM\x64", 0x38, 0x1, 0);
	path = ident(&k, "Image.be", img.s, img.len, 0);
	assert_null(k.arch);
	assert_non_null(strstr(k.note, "big-endian"));
	kimage_free(&k);
	free(path);
	buf_free(&img);
}

static void test_riscv_image(void **state)
{
	struct buf img = { 0 };
	struct kimage k;

	image(&img, "RSC\x05", 0x38, 0, 0);
	memcpy(img.s + 0x30, "RISCV\0\0\0", 8);
	char *path = ident(&k, "Image", img.s, img.len, 0);
	assert_string_equal(k.format, "RISC-V Image");
	assert_string_equal(k.arch, "riscv64");
	assert_non_null(strstr(k.note, "does not say"));
	kimage_free(&k);
	check_inside(path);
	free(path);

	/* Only the old magic; an EFI stub whose PE header says riscv32. */
	memset(img.s + 0x38, 0, 4);
	memcpy(img.s, "MZ", 2);
	le32w((unsigned char *)img.s + 0x3c, 0x80);
	memcpy(img.s + 0x80, "PE\0\0", 4);
	le16w((unsigned char *)img.s + 0x84, 0x5032);
	path = ident(&k, "Image32", img.s, img.len, 0);
	assert_null(k.arch);
	assert_non_null(strstr(k.note, "riscv32"));
	kimage_free(&k);
	free(path);
	le16w((unsigned char *)img.s + 0x84, 0x5064);
	path = ident(&k, "Image64", img.s, img.len, 0);
	assert_string_equal(k.arch, "riscv64");
	assert_null(k.note);
	kimage_free(&k);
	free(path);
	buf_free(&img);
}

/* A 32-bit ARM zImage: the decompressor (with bytes that look like the
 * start of compressed data but are not), the compressed kernel after. */
static void test_arm_zimage(void **state)
{
	const char *filters[] = { "xz", "lz4" };
	for (size_t i = 0; i < 2; i++) {
		struct buf img = { 0 }, raw = { 0 };
		unsigned char h[0x40] = { 0 };
		le32w(h + 0x24, 0x016f2818);
		le32w(h + 0x30, 0x04030201);
		buf_add(&img, h, sizeof(h));
		noise(&img, 3000);
		buf_addstr(&img, "\x1f\x8b\x08 not gzip BZh9 not bzip2 \x28\xb5\x2f\xfd not zstd");
		noise(&img, 3000);
		kernel_body(&raw, CONFIG);
		zpack(filters[i], raw.s, raw.len, &img);
		noise(&img, 1000);
		le32w((unsigned char *)img.s + 0x2c, (uint32_t)img.len);
		struct kimage k;
		char *path = ident(&k, "zImage", img.s, img.len, 0);
		assert_string_equal(k.format, "ARM zImage");
		assert_string_equal(k.arch, "arm");
		kimage_free(&k);
		check_inside(path);
		free(path);

		/* Its end address past the file's end. */
		path = ident(&k, "zImage.cut", img.s, img.len / 2, 1);
		assert_non_null(strstr(k.message, "truncated ARM zImage"));
		kimage_free(&k);
		free(path);
		buf_free(&img);
		buf_free(&raw);
	}
}

static void test_s390_image(void **state)
{
	struct buf img = { 0 }, raw = { 0 };
	noise(&img, 0x11000);
	memcpy(img.s + 0x10008, "S390EP\0\1", 8);
	unsigned char ptr[8] = { 0, 0, 0, 0, 0, 0x01, 0x08, 0x00 };
	memcpy(img.s + 0x10428, ptr, 8);
	const char *v = RELEASE " (me@here) #1 SMP";
	memcpy(img.s + 0x10800, v, strlen(v) + 1);
	kernel_body(&raw, CONFIG);
	zpack("zstd", raw.s, raw.len, &img);
	struct kimage k;
	char *path = ident(&k, "bzImage", img.s, img.len, 0);
	assert_string_equal(k.format, "s390 image");
	assert_string_equal(k.arch, "s390x");
	assert_string_equal(k.version, v);
	kimage_free(&k);
	check_inside(path);
	free(path);
	buf_free(&img);
	buf_free(&raw);
}

/* An ELF file through libelf: MACHINE, class, byte order, TYPE; the
 * sections .init.text (when INIT) and .rodata (the kernel body); a
 * program interpreter when INTERP. */
static char *elf(const char *name, int machine, int class64, int msb, int type, int init,
		 int interp)
{
	char *path = path_join(testdir_group.path, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_not_equal(elf_version(EV_CURRENT), EV_NONE);
	Elf *e = elf_begin(fd, ELF_C_WRITE, NULL);
	assert_non_null(e);
	assert_non_null(gelf_newehdr(e, class64 ? ELFCLASS64 : ELFCLASS32));
	if (interp)
		assert_non_null(gelf_newphdr(e, 1));
	GElf_Ehdr eh;
	assert_non_null(gelf_getehdr(e, &eh));
	eh.e_ident[EI_DATA] = msb ? ELFDATA2MSB : ELFDATA2LSB;
	eh.e_machine = (GElf_Half)machine;
	eh.e_type = (GElf_Half)type;
	eh.e_version = EV_CURRENT;
	if (interp) {
		GElf_Phdr ph = { .p_type = PT_INTERP };
		assert_true(gelf_update_phdr(e, 0, &ph));
	}
	static const char names[] = "\0.init.text\0.rodata\0.shstrtab";
	static const unsigned char code[16] = { 0 };
	struct buf body = { 0 };
	kernel_body(&body, CONFIG);
	struct {
		size_t name;
		const void *data;
		size_t len;
	} secs[] = { { 1, code, sizeof(code) }, { 12, body.s, body.len }, { 20, names, sizeof(names) } };
	for (size_t i = init ? 0 : 1; i < 3; i++) {
		Elf_Scn *s = elf_newscn(e);
		Elf_Data *d = elf_newdata(s);
		d->d_buf = (void *)secs[i].data;
		d->d_size = secs[i].len;
		d->d_type = ELF_T_BYTE;
		d->d_align = 1;
		GElf_Shdr sh;
		assert_non_null(gelf_getshdr(s, &sh));
		sh.sh_name = (GElf_Word)secs[i].name;
		sh.sh_type = i == 2 ? SHT_STRTAB : SHT_PROGBITS;
		sh.sh_flags = i == 2 ? 0 : SHF_ALLOC;
		assert_true(gelf_update_shdr(s, &sh));
		if (i == 2)
			eh.e_shstrndx = (GElf_Half)elf_ndxscn(s);
	}
	assert_true(gelf_update_ehdr(e, &eh));
	assert_true(elf_update(e, ELF_C_WRITE) > 0);
	elf_end(e);
	close(fd);
	buf_free(&body);
	return path;
}

static void test_elf_vmlinux(void **state)
{
	/* Every entry of the table, from its own machine, class and byte
	 * order (ET_DYN too: a relocatable arm64 vmlinux is one). */
	const struct arch *a;
	for (size_t i = 0; (a = arch_at(i)); i++) {
		char *path = elf("vmlinux", a->elf_machine, a->elf_class64, a->elf_msb,
				 i % 2 ? ET_DYN : ET_EXEC, 1, 0);
		struct kimage k;
		assert_int_equal(kimage_identify(path, &k), 0);
		assert_string_equal(k.format, "ELF vmlinux");
		if (!k.arch || strcmp(k.arch, a->name))
			fail_msg("%s: identified as %s", a->name, k.arch ? k.arch : "NULL");
		kimage_free(&k);
		if (i == 0 || !strcmp(a->name, "mips")) {
			check_inside(path);
		}
		free(path);
	}

	/* A machine no entry has. */
	char *path = elf("loong", 258, 1, 0, ET_EXEC, 1, 0);
	struct kimage k;
	assert_int_equal(kimage_identify(path, &k), 0);
	assert_null(k.arch);
	assert_string_equal(k.note, "ELF machine 258, 64-bit, little-endian: no target here");
	kimage_free(&k);
	free(path);
}

static void test_elf_not_kernel(void **state)
{
	struct {
		int type, init, interp;
		const char *says;
	} cases[] = {
		{ ET_REL, 1, 0, "an ELF object file for x86_64 (a kernel module?)" },
		{ ET_DYN, 1, 1, "an ELF program for x86_64 (it has an interpreter)" },
		{ ET_EXEC, 0, 0, "an ELF executable for x86_64 without a .init.text section" },
		{ ET_CORE, 1, 0, "an ELF file of type 4 for x86_64" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = elf("prog", EM_X86_64, 1, 0, cases[i].type, cases[i].init, cases[i].interp);
		struct kimage k;
		assert_int_equal(kimage_identify(path, &k), 1);
		char *want = xasprintf("kernel '%s': not a kernel image: %s", path, cases[i].says);
		assert_string_equal(k.message, want);
		free(want);
		kimage_free(&k);
		free(path);
	}
	/* Cut after the ELF header: libelf cannot read its sections. */
	char *path = elf("cut", EM_X86_64, 1, 0, ET_EXEC, 1, 0);
	assert_int_equal(truncate(path, 70), 0);
	struct kimage k;
	assert_int_equal(kimage_identify(path, &k), 1);
	assert_non_null(strstr(k.message, "not a kernel image"));
	kimage_free(&k);
	free(path);
}

static void test_not_kernel(void **state)
{
	struct kimage k;
	char *path = ident(&k, "config", CONFIG, strlen(CONFIG), 1);
	char *want = xasprintf("kernel '%s': not a kernel image: none of the forms known here", path);
	assert_non_null(strstr(k.message, want));
	free(want);
	assert_null(k.format);
	kimage_free(&k);
	both_fail(path, path);
	free(path);

	/* Compressed, but no Image inside (an initramfs, say). */
	struct buf z = { 0 };
	zpack("gzip", CONFIG, strlen(CONFIG), &z);
	path = ident(&k, "initrd.img", z.s, z.len, 1);
	assert_non_null(strstr(k.message, "gzip data that is not a compressed arm64 or RISC-V Image"));
	kimage_free(&k);
	free(path);
	buf_free(&z);

	path = ident(&k, "empty", "", 0, 1);
	kimage_free(&k);
	free(path);
}

static void test_unreadable(void **state)
{
	struct kimage k;
	char *path = path_join(testdir_group.path, "missing");

	assert_int_equal(kimage_identify(path, &k), -1);
	char *want = xasprintf("kernel '%s': No such file or directory", path);
	assert_string_equal(k.message, want);
	free(want);
	kimage_free(&k);
	both_fail(path, path);
	free(path);

	assert_int_equal(kimage_identify(testdir_group.path, &k), -1);
	want = xasprintf("kernel '%s': not a regular file", testdir_group.path);
	assert_string_equal(k.message, want);
	free(want);
	kimage_free(&k);

	/* root reads a file of mode 0 all the same. */
	if (geteuid() != 0) {
		path = put("secret", "x", 1);
		assert_int_equal(chmod(path, 0), 0);
		assert_int_equal(kimage_identify(path, &k), -1);
		assert_non_null(strstr(k.message, "Permission denied"));
		kimage_free(&k);
		free(path);
	}
}

static void test_corrupt_config(void **state)
{
	struct buf img = { 0 };
	unsigned char h[64] = { 0 };
	memcpy(h + 0x38, "ARM\x64", 4);
	buf_add(&img, h, sizeof(h));
	static const char bad[] = "IKCFG_ST\x1f\x8b\x08\x00 this is not deflate data IKCFG_ED";
	buf_add(&img, bad, sizeof(bad) - 1);
	noise(&img, 100);
	char *path = put("Image", img.s, img.len);
	struct buf cfg = { 0 };
	struct capture c;
	capture_start(&c, 2);
	assert_int_equal(kimage_ikconfig(path, &cfg), -1);
	char *err = capture_end(&c);
	char *want = xasprintf("kernel '%s': embedded configuration:", path);
	assert_non_null(strstr(err, want));
	free(want);
	free(err);
	assert_int_equal(cfg.len, 0);
	/* No banner anywhere: the release is unknown, silently. */
	char *r = NULL;
	assert_int_equal(kimage_release(path, &r), 1);
	assert_null(r);
	free(path);
	buf_free(&img);
}

static void test_fits(void **state)
{
	struct kimage k = { .arch = "x86_64" };

	assert_true(kimage_fits(&k, arch_find("x86_64")));
	assert_true(kimage_fits(&k, arch_find("x32")));
	assert_false(kimage_fits(&k, arch_find("i686")));
	assert_false(kimage_fits(&k, arch_find("aarch64")));
	k.arch = "i686";
	assert_false(kimage_fits(&k, arch_find("x86_64")));
	k.arch = "mipsel";
	assert_false(kimage_fits(&k, arch_find("mips")));
	assert_false(kimage_fits(&k, arch_find("mips64el")));
	k.arch = NULL;
	assert_false(kimage_fits(&k, arch_find("x86_64")));
}

/* The kernel a build here made, when there is one: an x86_64 bzImage
 * whose header's release is also the one its compressed kernel says. */
static void test_real_kernel(void **state)
{
	const char *cands[] = { getenv("MKDISTRO_TEST_KERNEL"), "out/vmlinuz", "/work/main/out/vmlinuz" };
	const char *path = NULL;
	for (size_t i = 0; i < 3 && !path; i++)
		if (cands[i] && access(cands[i], R_OK) == 0)
			path = cands[i];
	if (!path) {
		print_message("no built kernel (out/vmlinuz, or MKDISTRO_TEST_KERNEL): real kernel not tested\n");
		skip();
	}
	struct kimage k;
	assert_int_equal(kimage_identify(path, &k), 0);
	assert_string_equal(k.format, "x86 bzImage");
	assert_string_equal(k.arch, "x86_64");
	assert_non_null(k.version);
	assert_true(k.x86_protocol >= 0x20c);
	char *r = NULL;
	assert_int_equal(kimage_release(path, &r), 0);
	assert_memory_equal(k.version, r, strlen(r));
	assert_int_equal(k.version[strlen(r)], ' ');
	kimage_free(&k);

	/* Without the header's string, from the payload's banner. */
	size_t len;
	char *data = read_file(path, &len);
	assert_non_null(data);
	data[0x20e] = data[0x20f] = 0;
	char *copy = put("vmlinuz", data, len);
	check_release(copy, r);
	free(copy);
	free(data);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bzimage),
		cmocka_unit_test(test_bzimage_32bit_and_old_protocols),
		cmocka_unit_test(test_bzimage_bad_or_truncated),
		cmocka_unit_test(test_arm64_image),
		cmocka_unit_test(test_riscv_image),
		cmocka_unit_test(test_arm_zimage),
		cmocka_unit_test(test_s390_image),
		cmocka_unit_test(test_elf_vmlinux),
		cmocka_unit_test(test_elf_not_kernel),
		cmocka_unit_test(test_not_kernel),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_corrupt_config),
		cmocka_unit_test(test_fits),
		cmocka_unit_test(test_real_kernel),
	};
	return cmocka_run_group_tests(tests, testdir_group_setup, testdir_group_teardown);
}
