#include "kimage.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch.h"
#include "util.h"

enum { K_X86 = 1, K_ARM64, K_RISCV, K_ARM, K_S390, K_ELF, K_ZIMAGE, K_ZBOOT };

/* Bounds on what a file can make us read, keep or do. */
#define HEAD_MAX (4 * 1024)             /* identification reads this much at the start */
#define STRING_MAX 256                  /* a header's version string, NUL included */
#define RELEASE_MAX 64                  /* the kernel's own limit (__NEW_UTS_LEN) */
#define BANNER_MAX 512                  /* "Linux version ..." up to its NUL */
#define SCAN_MAX (256ULL * 1024 * 1024) /* decompressed kernel searched, in all */
#define STREAMS_MAX 64                  /* compressed streams tried in one image */
#define ZCONFIG_MAX (4 * 1024 * 1024)   /* the gzip data of the configuration */
#define CONFIG_MAX (16 * 1024 * 1024)   /* the configuration text */
#define CHUNK (256 * 1024)

/* S390EP at the s390 entry point table; parmarea's kernel_version. */
#define S390_EP_OFF 0x10008
#define S390_VERSION_OFF 0x10428

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static ssize_t pread_full(int fd, void *buf, size_t n, unsigned long long off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* The compressed forms a kernel comes in, by their magic. LZO is known so
 * that it can be named, but libarchive reads it only through the lzop
 * program: not here. */
struct zmagic {
	const char *name;
	const char *magic;
	size_t len;
	int (*support)(struct archive *);
	int code;
};

static const struct zmagic zmagics[] = {
	{ "gzip", "\x1f\x8b\x08", 3, archive_read_support_filter_gzip, ARCHIVE_FILTER_GZIP },
	{ "xz", "\xfd" "7zXZ\0", 6, archive_read_support_filter_xz, ARCHIVE_FILTER_XZ },
	/* The kernel's lzma -9: properties 0x5d, a 64 MiB dictionary. */
	{ "lzma", "\x5d\0\0\0\x04", 5, archive_read_support_filter_lzma, ARCHIVE_FILTER_LZMA },
	{ "zstd", "\x28\xb5\x2f\xfd", 4, archive_read_support_filter_zstd, ARCHIVE_FILTER_ZSTD },
	/* The legacy frame the kernel's lz4 uses, and the newer one. */
	{ "lz4", "\x02\x21\x4c\x18", 4, archive_read_support_filter_lz4, ARCHIVE_FILTER_LZ4 },
	{ "lz4", "\x04\x22\x4d\x18", 4, archive_read_support_filter_lz4, ARCHIVE_FILTER_LZ4 },
	{ "bzip2", "BZh", 3, archive_read_support_filter_bzip2, ARCHIVE_FILTER_BZIP2 },
	{ "lzo", "\x89LZO\0", 5, NULL, 0 },
};
#define NZMAGICS (sizeof(zmagics) / sizeof(zmagics[0]))
#define ZMAGIC_MAX 6 /* the longest magic */

static const struct zmagic *zmagic_at(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < NZMAGICS; i++)
		if (n >= zmagics[i].len && !memcmp(p, zmagics[i].magic, zmagics[i].len))
			return &zmagics[i];
	return NULL;
}

/* The part of the file [pos, end) as libarchive's input. */
struct region {
	int fd;
	unsigned long long pos, end;
	unsigned char buf[64 * 1024];
};

static la_ssize_t region_read(struct archive *a, void *ctx, const void **out)
{
	struct region *r = ctx;
	size_t want = sizeof(r->buf);

	if (r->end - r->pos < want)
		want = (size_t)(r->end - r->pos);
	ssize_t n = want ? pread_full(r->fd, r->buf, want, r->pos) : 0;
	if (n < 0) {
		archive_set_error(a, errno, "read");
		return ARCHIVE_FATAL;
	}
	r->pos += (size_t)n;
	*out = r->buf;
	return n;
}

typedef int eat_fn(void *ctx, const unsigned char *p, size_t n);

/* A reader of the stream Z alone, in libarchive's raw format; NULL when
 * this libarchive cannot decode Z itself (it would run a program). */
static struct archive *zreader(const struct zmagic *z)
{
	if (!z->support)
		return NULL;
	struct archive *a = archive_read_new();
	if (!a)
		die("out of memory");
	if (z->support(a) != ARCHIVE_OK || archive_read_support_format_raw(a) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* What inflate() read and gave. */
struct zcount {
	unsigned long long in, out;
};

/* Pass what the Z stream A was opened on decompresses to, block by
 * block, to EAT until it returns nonzero or MAX bytes went through.
 * Returns 1 when EAT stopped it, 0 at the stream's end or at MAX, -1 when
 * the input is not a Z stream or is corrupt (WHY, when not NULL, gets the
 * reason). A kernel's stream is often followed by other bytes that make
 * its end look corrupt: searching callers look at what EAT found, not at
 * -1. COUNT (when not NULL) gets the input bytes used and the bytes given.
 * Frees A. */
static int inflate(struct archive *a, const struct zmagic *z, unsigned long long max, eat_fn *eat,
		   void *ctx, struct buf *why, struct zcount *count)
{
	struct archive_entry *e;
	unsigned long long total = 0;
	int rc = -1;

	if (archive_read_next_header(a, &e) != ARCHIVE_OK)
		goto fail;
	if (archive_filter_code(a, 0) != z->code) {
		if (why)
			buf_printf(why, "not %s data", z->name);
		goto done;
	}
	for (;;) {
		const void *p;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(a, &p, &n, &off);
		if (r == ARCHIVE_EOF) {
			rc = 0;
			goto done;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			goto fail;
		if (n > max - total)
			n = (size_t)(max - total);
		total += n;
		if (n && eat(ctx, p, n)) {
			rc = 1;
			goto done;
		}
		if (total == max) {
			rc = 0;
			goto done;
		}
	}
fail:
	if (why)
		buf_addstr(why, archive_error_string(a) ? archive_error_string(a) : "corrupt data");
done:
	if (count) {
		/* The bottom filter's position: what the decoder consumed,
		 * not what was read ahead. */
		la_int64_t used = archive_filter_bytes(a, -1);
		count->in = used > 0 ? (unsigned long long)used : 0;
		count->out = total;
	}
	archive_read_free(a);
	return rc;
}

/* inflate() over the file's bytes [off, off+len) when they start with Z. */
static int inflate_region(int fd, unsigned long long off, unsigned long long len,
			  const struct zmagic *z, unsigned long long max, eat_fn *eat, void *ctx,
			  struct zcount *count)
{
	struct archive *a = zreader(z);
	if (!a)
		return -1;
	struct region *r = xmalloc(sizeof(*r));
	r->fd = fd;
	r->pos = off;
	r->end = off + len;
	int rc = -1;
	if (archive_read_open(a, r, NULL, region_read, NULL) == ARCHIVE_OK)
		rc = inflate(a, z, max, eat, ctx, NULL, count);
	else
		archive_read_free(a);
	free(r);
	return rc;
}

/* The first bytes of a stream, enough for the header inside. */
struct head {
	unsigned char b[64];
	size_t n;
};

static int head_eat(void *ctx, const unsigned char *p, size_t n)
{
	struct head *h = ctx;
	size_t take = n < sizeof(h->b) - h->n ? n : sizeof(h->b) - h->n;

	memcpy(h->b + h->n, p, take);
	h->n += take;
	return h->n == sizeof(h->b);
}

/* Everything into the struct buf CTX. */
static int buf_eat(void *ctx, const unsigned char *p, size_t n)
{
	buf_add(ctx, p, n);
	return 0;
}

/* A search for the bytes between START and END in a stream that arrives
 * in blocks: at most MAX of them, accepted by VALID (NULL: any). A find
 * too long or refused is passed over: the search goes on after its START.
 * When FOUND, WIN holds the find. */
struct finder {
	const char *start, *end;
	size_t startlen, endlen, max;
	int (*valid)(const char *s, size_t n);
	int in, found;
	size_t scanned;
	struct buf win;
};

static void buf_drop(struct buf *b, size_t n)
{
	memmove(b->s, b->s + n, b->len - n);
	b->len -= n;
	b->s[b->len] = '\0';
}

static int finder_eat(void *ctx, const unsigned char *p, size_t n)
{
	struct finder *f = ctx;

	if (f->found)
		return 1;
	buf_add(&f->win, p, n);
	for (;;) {
		if (!f->in) {
			char *hit = memmem(f->win.s, f->win.len, f->start, f->startlen);
			if (!hit) {
				/* Keep what a START may still begin with. */
				if (f->win.len >= f->startlen)
					buf_drop(&f->win, f->win.len - (f->startlen - 1));
				return 0;
			}
			buf_drop(&f->win, (size_t)(hit - f->win.s) + f->startlen);
			f->in = 1;
			f->scanned = 0;
		}
		char *e = memmem(f->win.s + f->scanned, f->win.len - f->scanned, f->end, f->endlen);
		if (!e) {
			/* No END within MAX: not a find; look again after START. */
			if (f->win.len >= f->max + f->endlen) {
				f->in = 0;
				continue;
			}
			f->scanned = f->win.len >= f->endlen ? f->win.len - (f->endlen - 1) : 0;
			return 0;
		}
		size_t len = (size_t)(e - f->win.s);
		if (len <= f->max && (!f->valid || f->valid(f->win.s, len))) {
			f->win.len = len;
			f->win.s[len] = '\0';
			f->found = 1;
			return 1;
		}
		f->in = 0;
	}
}

/* Where compressed streams start in a part of the file. */
struct streams {
	unsigned long long off[STREAMS_MAX];
	const struct zmagic *z[STREAMS_MAX];
	size_t n;
};

/* Look for F in the file's bytes [off, off+len) as they are; with ST,
 * note there where compressed streams start (at most STREAMS_MAX).
 * Returns 0, or -1 when the file cannot be read (errno set). */
static int scan_region(int fd, unsigned long long off, unsigned long long len, struct finder *f,
		       struct streams *st)
{
	unsigned char *b = xmalloc(CHUNK);
	unsigned long long pos = off, end = off + len;
	int rc = 0;

	while (pos < end && !f->found) {
		size_t want = end - pos < CHUNK ? (size_t)(end - pos) : CHUNK;
		ssize_t n = pread_full(fd, b, want, pos);
		if (n < 0) {
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		/* A magic must lie whole in this chunk, else it is looked at
		 * in the next one, which starts where this step ends. */
		size_t step = (size_t)n;
		if (pos + (size_t)n < end && step > ZMAGIC_MAX)
			step -= ZMAGIC_MAX - 1;
		for (size_t i = 0; st && i < step && st->n < STREAMS_MAX; i++) {
			const struct zmagic *z = zmagic_at(b + i, (size_t)n - i);
			if (z) {
				st->off[st->n] = pos + i;
				st->z[st->n++] = z;
			}
		}
		finder_eat(f, b, step);
		pos += step;
	}
	free(b);
	return rc;
}

/* Look for F in the kernel K describes: the compressed payload its header
 * locates; else the part of the file that holds the kernel as it is (an
 * ELF's .rodata, a whole Image), then each compressed stream found there.
 * Returns 1 found, 0 not, -1 after warn(). */
static int search(int fd, const char *path, const struct kimage *k, struct finder *f)
{
	unsigned long long budget = SCAN_MAX;
	struct stat sb;

	if (fstat(fd, &sb) < 0) {
		warn("'%s':", path);
		return -1;
	}
	unsigned long long size = (unsigned long long)sb.st_size;

	if (k->payload_len) {
		unsigned char m[ZMAGIC_MAX];
		ssize_t n = pread_full(fd, m, sizeof(m), k->payload_off);
		const struct zmagic *z = n > 0 ? zmagic_at(m, (size_t)n) : NULL;
		if (z) {
			inflate_region(fd, k->payload_off, k->payload_len, z, budget, finder_eat, f, NULL);
			return f->found;
		}
	}
	/* No header locates it: the kernel as it is, then the streams in it. */
	unsigned long long off = k->plain_len ? k->plain_off : 0;
	unsigned long long len = k->plain_len ? k->plain_len : size;
	struct streams st = { .n = 0 };
	if (scan_region(fd, off, len, f, k->kind == K_ELF ? NULL : &st) < 0) {
		warn("read '%s':", path);
		return -1;
	}
	/* A stream that ended cleanly is not searched for streams inside
	 * its compressed bytes; one that did not may have been a false
	 * magic, and the real stream may start inside what it read. */
	unsigned long long skip = 0;
	for (size_t i = 0; i < st.n && !f->found && budget > 0; i++) {
		if (st.off[i] < skip)
			continue;
		struct zcount c = { 0, 0 };
		int rc = inflate_region(fd, st.off[i], size - st.off[i], st.z[i], budget, finder_eat, f,
					&c);
		if (rc == 0)
			skip = st.off[i] + c.in;
		budget -= c.out;
	}
	return f->found;
}

/* Release and banner checks: what the kernel's uname -r can be. */
static int release_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("._+-~", c));
}

/* The length of the release that starts S (N bytes): a word of release
 * characters that begins with a digit and ends at a space or at N; 0 if
 * S does not start with one. */
static size_t release_len(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || s[0] < '0' || s[0] > '9')
		return 0;
	while (i < n && release_char(s[i]))
		i++;
	if (i > RELEASE_MAX || (i < n && s[i] != ' '))
		return 0;
	return i;
}

/* "6.1.0-27-amd64 (debian-kernel@...) #1 SMP ...\n" after "Linux
 * version ": printable, and a release first. */
static int banner_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((s[i] < 0x20 || s[i] > 0x7e) && s[i] != '\n')
			return 0;
	return release_len(s, n) > 0;
}

static int gzip_valid(const char *s, size_t n)
{
	return n >= 3 && !memcmp(s, "\x1f\x8b\x08", 3);
}

/* The open file being identified and its first bytes. */
struct file {
	const char *path;
	int fd;
	unsigned long long size;
	unsigned char head[HEAD_MAX];
	size_t nhead;
};

static int say(struct kimage *k, const struct file *f, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int say(struct kimage *k, const struct file *f, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	free(k->message);
	k->message = xasprintf("kernel '%s': %s", f->path, what);
	free(what);
	return rc;
}

static int truncated(struct kimage *k, const struct file *f, const char *format,
		     unsigned long long need)
{
	return say(k, f, 1, "truncated %s: its header says %llu bytes, the file has %llu", format,
		   need, f->size);
}

/* A NUL-terminated printable string at OFF (at most STRING_MAX bytes with
 * its NUL) in new memory, or NULL: one that is empty, not printable, or
 * not terminated in time is no version string. */
static char *read_string(const struct file *f, unsigned long long off)
{
	char b[STRING_MAX];

	if (off >= f->size)
		return NULL;
	ssize_t n = pread_full(f->fd, b, sizeof(b), off);
	if (n <= 0)
		return NULL;
	char *nul = memchr(b, '\0', (size_t)n);
	if (!nul || nul == b)
		return NULL;
	for (char *p = b; p < nul; p++)
		if (*p < 0x20 || *p > 0x7e)
			return NULL;
	return xstrdup(b);
}

/* "x86_64", or "ELF machine 258, 64-bit, little-endian" when the table
 * has no such target (new memory). */
static char *elf_what(int machine, int class64, int msb, const struct arch *a)
{
	if (a)
		return xstrdup(a->name);
	return xasprintf("ELF machine %d, %s, %s", machine, class64 ? "64-bit" : "32-bit",
			 msb ? "big-endian" : "little-endian");
}

/* The architecture an ELF header at the start of B says (the payload of
 * an old bzImage), through libelf's translation of the header alone. */
static const struct arch *elf_head_arch(const unsigned char *b, size_t n)
{
	if (n < EI_NIDENT || memcmp(b, ELFMAG, SELFMAG) ||
	    (b[EI_DATA] != ELFDATA2LSB && b[EI_DATA] != ELFDATA2MSB))
		return NULL;
	int class64 = b[EI_CLASS] == ELFCLASS64;
	if (!class64 && b[EI_CLASS] != ELFCLASS32)
		return NULL;
	size_t need = class64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (n < need || elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	union {
		Elf32_Ehdr e32;
		Elf64_Ehdr e64;
	} eh;
	Elf_Data src = { .d_buf = (void *)b, .d_type = ELF_T_EHDR, .d_size = need,
			 .d_version = EV_CURRENT };
	Elf_Data dst = { .d_buf = &eh, .d_type = ELF_T_EHDR, .d_size = need,
			 .d_version = EV_CURRENT };
	if (!(class64 ? elf64_xlatetom(&dst, &src, b[EI_DATA]) : elf32_xlatetom(&dst, &src, b[EI_DATA])))
		return NULL;
	return arch_find_elf(class64 ? eh.e64.e_machine : eh.e32.e_machine, class64,
			   b[EI_DATA] == ELFDATA2MSB);
}

/* The architecture the PE header of an EFI application says (an arm64 or
 * RISC-V Image with the EFI stub, an EFI zboot image); NULL, with *MACHINE
 * 0, when H has no PE header. */
static const char *pe_arch(const unsigned char *h, size_t n, unsigned *machine)
{
	*machine = 0;
	if (n < 0x40 || h[0] != 'M' || h[1] != 'Z')
		return NULL;
	uint32_t pe = le32(h + 0x3c);
	if (pe > n - 6 || memcmp(h + pe, "PE\0\0", 4))
		return NULL;
	*machine = le16(h + pe + 4);
	switch (*machine) {
	case 0xaa64:
		return "aarch64";
	case 0x5064:
		return "riscv64";
	default:
		return NULL;
	}
}

/* arm64 and RISC-V Image headers: the kind by magic, or 0. */
static int image_kind(const unsigned char *h, size_t n)
{
	if (n >= 0x40 && !memcmp(h + 0x38, "ARM\x64", 4))
		return K_ARM64;
	if (n >= 0x40 && (!memcmp(h + 0x38, "RSC\x05", 4) || !memcmp(h + 0x30, "RISCV\0\0\0", 8)))
		return K_RISCV;
	return 0;
}

/* The arch and note of an arm64 or RISC-V Image header H. */
static void image_arch(const unsigned char *h, size_t n, int kind, struct kimage *k)
{
	int be = le64(h + 0x18) & 1;
	unsigned machine;
	const char *pe = pe_arch(h, n, &machine);

	if (kind == K_ARM64) {
		k->arch = be ? NULL : "aarch64";
		if (be)
			k->note = xstrdup("a big-endian arm64 kernel: the aarch64 target is little-endian");
		return;
	}
	if (be) {
		k->note = xstrdup("a big-endian RISC-V kernel: no target here");
	} else if (machine) {
		k->arch = pe;
		if (!pe)
			k->note = xasprintf("its EFI header says machine 0x%04x (%s): no target here",
					    machine, machine == 0x5032 ? "riscv32" : "not riscv64");
	} else {
		k->arch = "riscv64";
		k->note = xstrdup("the RISC-V header does not say 32- or 64-bit: taken as riscv64, "
				  "the only RISC-V target");
	}
}

static int identify_x86(const struct file *f, struct kimage *k)
{
	const unsigned char *h = f->head;
	unsigned proto = le16(h + 0x206);
	unsigned sects = h[0x1f1] ? h[0x1f1] : 4; /* 0 meant 4 to old loaders */
	unsigned long long setup = (sects + 1ULL) * 512;

	k->kind = K_X86;
	k->format = (h[0x211] & 1) ? "x86 bzImage" : "x86 zImage";
	k->x86_protocol = proto;
	k->x86_setup_sects = sects;
	if (f->size < setup)
		return truncated(k, f, k->format, setup);
	if (proto >= 0x204 && setup + le32(h + 0x1f4) * 16ULL > f->size)
		return truncated(k, f, k->format, setup + le32(h + 0x1f4) * 16ULL);
	/* setup is at least 5 sectors, so the header is all in HEAD. */
	unsigned v = le16(h + 0x20e);
	if (v && v + 0x200ULL < setup)
		k->version = read_string(f, v + 0x200ULL);
	const struct zmagic *z = NULL;
	if (proto >= 0x208) {
		unsigned long long off = setup + le32(h + 0x248), len = le32(h + 0x24c);
		if (off + len > f->size)
			return truncated(k, f, k->format, off + len);
		unsigned char m[ZMAGIC_MAX];
		ssize_t n = pread_full(f->fd, m, sizeof(m), off);
		z = n > 0 ? zmagic_at(m, (size_t)n) : NULL;
		k->payload_off = off;
		/* Every form but gzip is followed by the decompressed size
		 * (size_append in the kernel's Makefile.lib), which a
		 * decoder would take for a corrupt end. */
		k->payload_len = z && strcmp(z->name, "gzip") && len > 4 ? len - 4 : len;
		k->compression = z ? z->name : NULL;
	}
	unsigned major = proto >> 8, minor = proto & 0xff;
	if (proto >= 0x20c) {
		/* Every x86_64 kernel sets XLF_KERNEL_64 (header.S). */
		k->x86_xloadflags = le16(h + 0x236);
		k->arch = (k->x86_xloadflags & 1) ? "x86_64" : "i686";
		k->note = xasprintf("boot protocol %u.%02u, xloadflags: %s", major, minor,
				    (k->x86_xloadflags & 1) ? "64-bit" : "not 64-bit");
		return 0;
	}
	struct head hd = { .n = 0 };
	if (z && inflate_region(f->fd, k->payload_off, k->payload_len, z, sizeof(hd.b), head_eat, &hd,
				NULL) >= 0) {
		const struct arch *a = elf_head_arch(hd.b, hd.n);
		k->arch = a ? a->name : NULL;
	}
	if (k->arch)
		k->note = xasprintf("boot protocol %u.%02u has no 64-bit flag: the ELF header of "
				    "its payload says %s", major, minor, k->arch);
	else
		k->note = xasprintf("boot protocol %u.%02u has no 64-bit flag%s", major, minor,
				    proto >= 0x208 ? ", and its payload's ELF header could not be read"
						   : " and does not locate its payload");
	return 0;
}

static int identify_elf(const struct file *f, struct kimage *k)
{
	GElf_Ehdr eh;
	int rc = 1;
	char *what = NULL;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return say(k, f, -1, "libelf: %s", elf_errmsg(-1));
	Elf *e = elf_begin(f->fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		say(k, f, 1, "not a kernel image: a broken or truncated ELF file (%s)", elf_errmsg(-1));
		goto out;
	}
	int class64 = eh.e_ident[EI_CLASS] == ELFCLASS64, msb = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	const struct arch *a = arch_find_elf(eh.e_machine, class64, msb);
	what = elf_what(eh.e_machine, class64, msb, a);
	if (eh.e_type == ET_REL) {
		say(k, f, 1, "not a kernel image: an ELF object file for %s (a kernel module?)", what);
		goto out;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		say(k, f, 1, "not a kernel image: an ELF file of type %u for %s", eh.e_type, what);
		goto out;
	}
	size_t nph = 0;
	if (elf_getphdrnum(e, &nph) < 0) {
		say(k, f, 1, "not a kernel image: a broken ELF file (%s)", elf_errmsg(-1));
		goto out;
	}
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_INTERP) {
			say(k, f, 1, "not a kernel image: an ELF program for %s (it has an interpreter)",
			    what);
			goto out;
		}
	}
	size_t shstr;
	int init = 0;
	Elf_Scn *s = NULL;
	if (elf_getshdrstrndx(e, &shstr) < 0)
		shstr = 0;
	while (shstr && (s = elf_nextscn(e, s))) {
		GElf_Shdr sh;
		const char *name = gelf_getshdr(s, &sh) ? elf_strptr(e, shstr, sh.sh_name) : NULL;
		if (!name)
			continue;
		if (!strcmp(name, ".init.text"))
			init = 1;
		if (!strcmp(name, ".rodata") && sh.sh_type == SHT_PROGBITS && sh.sh_size &&
		    sh.sh_offset <= f->size && sh.sh_size <= f->size - sh.sh_offset) {
			k->plain_off = sh.sh_offset;
			k->plain_len = sh.sh_size;
		}
	}
	if (!init) {
		say(k, f, 1, "not a kernel image: an ELF %s for %s without a .init.text section",
		    eh.e_type == ET_EXEC ? "executable" : "shared object", what);
		goto out;
	}
	k->kind = K_ELF;
	k->format = "ELF vmlinux";
	k->arch = a ? a->name : NULL;
	if (!a)
		k->note = xasprintf("%s: no target here", what);
	rc = 0;
out:
	if (e)
		elf_end(e);
	free(what);
	return rc;
}

/* A compressed file that holds an arm64 or RISC-V Image (Image.gz), or an
 * EFI zboot image whose payload is one. */
static int identify_packed(const struct file *f, struct kimage *k, const struct zmagic *z,
			   unsigned long long off, unsigned long long len)
{
	struct head hd = { .n = 0 };

	if (inflate_region(f->fd, off, len, z, sizeof(hd.b), head_eat, &hd, NULL) < 0 && !hd.n)
		return -1;
	int kind = image_kind(hd.b, hd.n);
	if (!kind)
		return -1;
	image_arch(hd.b, hd.n, kind, k);
	k->compression = z->name;
	k->payload_off = off;
	k->payload_len = len;
	return kind;
}

static int identify_zboot(const struct file *f, struct kimage *k)
{
	const unsigned char *h = f->head;
	unsigned long long off = le32(h + 8), len = le32(h + 12);
	unsigned char m[ZMAGIC_MAX];

	if (off + len > f->size)
		return truncated(k, f, "EFI zboot image", off + len);
	k->kind = K_ZBOOT;
	k->format = "EFI zboot image";
	ssize_t n = pread_full(f->fd, m, sizeof(m), off);
	const struct zmagic *z = n > 0 ? zmagic_at(m, (size_t)n) : NULL;
	int kind = z ? identify_packed(f, k, z, off, len) : -1;
	if (kind > 0) {
		k->format = kind == K_ARM64 ? "EFI zboot image (arm64 Image)"
					    : "EFI zboot image (RISC-V Image)";
		return 0;
	}
	/* The payload could not be read (LZO): the PE header still says. */
	unsigned machine;
	k->arch = pe_arch(h, f->nhead, &machine);
	k->compression = z ? z->name : NULL;
	k->note = xasprintf("its EFI header says machine 0x%04x; the %s payload could not be read",
			    machine, z ? z->name : "unknown");
	return 0;
}

static int identify(struct file *f, struct kimage *k)
{
	const unsigned char *h = f->head;
	size_t n = f->nhead;
	int kind;

	if (n >= SELFMAG && !memcmp(h, ELFMAG, SELFMAG))
		return identify_elf(f, k);
	if (n >= 0x206 && h[0x1fe] == 0x55 && h[0x1ff] == 0xaa && !memcmp(h + 0x202, "HdrS", 4))
		return identify_x86(f, k);
	if ((kind = image_kind(h, n))) {
		k->kind = kind;
		k->format = kind == K_ARM64 ? "arm64 Image" : "RISC-V Image";
		image_arch(h, n, kind, k);
		return 0;
	}
	if (n >= 0x34 && le32(h + 0x24) == 0x016f2818) {
		uint32_t start = le32(h + 0x28), end = le32(h + 0x2c), order = le32(h + 0x30);
		k->kind = K_ARM;
		k->format = "ARM zImage";
		if (end > start && end - start > f->size)
			return truncated(k, f, k->format, end - start);
		if (order == 0x04030201) {
			k->arch = "arm";
			k->note = xstrdup("a zImage does not say which ARM architecture version it is for");
		} else {
			k->note = xstrdup("a big-endian ARM kernel: the arm target is little-endian");
		}
		return 0;
	}
	if (n >= 0x40 && !memcmp(h, "MZ", 2) && !memcmp(h + 4, "zimg", 4))
		return identify_zboot(f, k);
	const struct zmagic *z = zmagic_at(h, n);
	if (z && (kind = identify_packed(f, k, z, 0, f->size)) > 0) {
		k->kind = K_ZIMAGE;
		k->format = kind == K_ARM64 ? "compressed arm64 Image" : "compressed RISC-V Image";
		return 0;
	}
	char ep[6];
	if (f->size >= S390_EP_OFF + sizeof(ep) &&
	    pread_full(f->fd, ep, sizeof(ep), S390_EP_OFF) == (ssize_t)sizeof(ep) &&
	    !memcmp(ep, "S390EP", sizeof(ep))) {
		unsigned char p[8];
		k->kind = K_S390;
		k->format = "s390 image";
		k->arch = "s390x";
		if (pread_full(f->fd, p, sizeof(p), S390_VERSION_OFF) == (ssize_t)sizeof(p))
			k->version = read_string(f, be64(p));
		return 0;
	}
	if (z)
		return say(k, f, 1, "not a kernel image: %s data that is not a compressed arm64 or "
			   "RISC-V Image", z->name);
	return say(k, f, 1, "not a kernel image: none of the forms known here (x86 bzImage, arm64 "
		   "or RISC-V Image, ARM zImage, s390 image, ELF vmlinux, EFI zboot)");
}

void kimage_free(struct kimage *k)
{
	free(k->version);
	free(k->note);
	free(k->message);
	memset(k, 0, sizeof(*k));
}

/* kimage_identify that keeps the file open: *FD on 0, else -1. */
static int identify_open(const char *path, struct kimage *k, int *fd)
{
	struct file *f = xcalloc(1, sizeof(*f));
	struct stat st;
	int rc;

	memset(k, 0, sizeof(*k));
	*fd = -1;
	f->path = path;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0 || fstat(f->fd, &st) < 0) {
		rc = say(k, f, -1, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = say(k, f, -1, "not a regular file");
		goto out;
	}
	f->size = (unsigned long long)st.st_size;
	ssize_t n = pread_full(f->fd, f->head, sizeof(f->head), 0);
	if (n < 0) {
		rc = say(k, f, -1, "read: %s", strerror(errno));
		goto out;
	}
	f->nhead = (size_t)n;
	rc = identify(f, k);
out:
	if (rc == 0) {
		*fd = f->fd;
	} else {
		/* Only the message: what a failed identification got so far
		 * (a truncated image's format) would read as an answer. */
		char *msg = k->message;
		k->message = NULL;
		kimage_free(k);
		k->message = msg;
		if (f->fd >= 0)
			close(f->fd);
	}
	free(f);
	return rc;
}

/* identify_open() for the functions that need a kernel image: 0, or -1
 * after warn() with K freed. */
static int open_kernel(const char *path, struct kimage *k, int *fd)
{
	if (identify_open(path, k, fd) == 0)
		return 0;
	warn("%s", k->message);
	kimage_free(k);
	return -1;
}

int kimage_identify(const char *path, struct kimage *k)
{
	int fd;
	int rc = identify_open(path, k, &fd);

	if (rc == 0)
		close(fd);
	return rc;
}


int kimage_fits(const struct kimage *k, const struct arch *a)
{
	const struct arch *b = k->arch ? arch_find(k->arch) : NULL;

	if (!b)
		return 0;
	return b == a || (!strcmp(b->qemu, a->qemu) && b->elf_machine == a->elf_machine &&
			  b->elf_msb == a->elf_msb);
}

int kimage_release(const char *path, char **release)
{
	struct kimage k;
	int fd, rc;
	size_t n;

	*release = NULL;
	if (open_kernel(path, &k, &fd) < 0)
		return -1;
	if (k.version && (n = release_len(k.version, strlen(k.version)))) {
		*release = xstrndup(k.version, n);
		rc = 0;
		goto out;
	}
	struct finder f = { .start = "Linux version ", .startlen = 14, .end = "", .endlen = 1,
			    .max = BANNER_MAX, .valid = banner_valid };
	rc = search(fd, path, &k, &f);
	if (rc == 1) {
		*release = xstrndup(f.win.s, release_len(f.win.s, f.win.len));
		rc = 0;
	} else if (rc == 0) {
		rc = 1;
	}
	buf_free(&f.win);
out:
	close(fd);
	kimage_free(&k);
	return rc;
}

/* Decompress the gzip data Z (N bytes) of an embedded configuration into
 * OUT. Returns 0, or -1 after warn(). */
static int gunzip_config(const char *path, const char *z, size_t n, struct buf *out)
{
	const struct zmagic *gz = &zmagics[0];
	struct buf text = { 0 }, why = { 0 };
	struct archive *a = zreader(gz);
	int rc = -1;

	if (!a)
		die("libarchive cannot read gzip");
	if (archive_read_open_memory(a, z, n) != ARCHIVE_OK) {
		buf_addstr(&why, archive_error_string(a) ? archive_error_string(a) : "corrupt data");
		archive_read_free(a);
	} else if (inflate(a, gz, CONFIG_MAX + 1ULL, buf_eat, &text, &why, NULL) == 0) {
		rc = 0;
	}
	if (rc == 0 && text.len > CONFIG_MAX) {
		warn("kernel '%s': embedded configuration larger than %d MiB", path, CONFIG_MAX >> 20);
		rc = -1;
	} else if (rc == 0 && memchr(text.s, '\0', text.len)) {
		warn("kernel '%s': embedded configuration is not text", path);
		rc = -1;
	} else if (rc < 0) {
		warn("kernel '%s': embedded configuration: %s", path, why.s ? why.s : "corrupt data");
	}
	if (rc == 0)
		buf_add(out, text.s, text.len);
	buf_free(&text);
	buf_free(&why);
	return rc;
}

int kimage_ikconfig(const char *path, struct buf *out)
{
	struct kimage k;
	int fd, rc;

	if (open_kernel(path, &k, &fd) < 0)
		return -1;
	struct finder f = { .start = "IKCFG_ST", .startlen = 8, .end = "IKCFG_ED", .endlen = 8,
			    .max = ZCONFIG_MAX, .valid = gzip_valid };
	rc = search(fd, path, &k, &f);
	if (rc == 1)
		rc = gunzip_config(path, f.win.s, f.win.len, out);
	else if (rc == 0)
		rc = 1;
	buf_free(&f.win);
	close(fd);
	kimage_free(&k);
	return rc;
}
