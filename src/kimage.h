/* kimage: what a kernel image file is, for which architecture, and what it
 * carries (version, release, embedded configuration), read from the file
 * itself. The file is untrusted: every read is bounded, every length and
 * offset in it is checked against the file's size, and a field that does
 * not fit is refused, never cut short.
 *
 * Formats, as the architecture table (arch.c) boots them:
 * - x86 bzImage (x86_64, i686, x32): the setup header ("HdrS" at 0x202).
 *   64-bit or not: the XLF_KERNEL_64 bit of xloadflags, which every
 *   x86_64 kernel sets from boot protocol 2.12 (Linux 3.8) on; for 2.08 to
 *   2.11 the ELF header at the start of the decompressed payload; before
 *   2.08 it cannot be told (arch NULL). An x32 system runs on an x86_64
 *   kernel, and nothing in the image says whether it has X86_X32_ABI.
 *   The version string is the one the header points at.
 * - arm64 Image ("ARM\x64" at 0x38), and RISC-V Image ("RSC\x05" at 0x38 or
 *   the older "RISCV" at 0x30); the flags' bit 0 is the byte order. A
 *   RISC-V header does not say 32 or 64 bit: when the image is also an EFI
 *   application, its PE header's machine does; otherwise it is taken as
 *   riscv64, the table's only RISC-V (said in the note).
 * - 32-bit ARM zImage (0x016f2818 at 0x24, byte order word at 0x30): it
 *   does not say which ARM architecture version it is built for.
 * - s390 image ("S390EP" at 0x10008): s390x; the version string is the one
 *   its parameter area points at (0x10428).
 * - ELF vmlinux (ppc64le, the MIPS ones, m68k, or any of the above), by
 *   libelf: machine, class and byte order mapped to the table's entry; it
 *   is a kernel when it is an executable with a ".init.text" section and
 *   no program interpreter.
 * - forms no target here boots but which hold one of the above: a gzip
 *   file of an arm64 or RISC-V Image (Image.gz), and an EFI zboot image
 *   ("zimg" at 4: a PE application with the compressed Image inside).
 * Compressed payloads (gzip, xz, lzma, zstd, lz4, bzip2) are read with
 * libarchive; LZO is not (release and configuration are then unknown).
 * Where no header locates the compressed kernel (ARM zImage, s390), it is
 * found by its magic and other bytes follow it, which libarchive may take
 * for a corrupt end and drop its last block of output (up to 128 KiB of
 * the kernel's end, past where its banner and configuration lie). */
#ifndef MKDISTRO_KIMAGE_H
#define MKDISTRO_KIMAGE_H

#include "arch.h"
#include "util.h"

struct kimage {
	/* What the file is: "x86 bzImage", "arm64 Image", "RISC-V Image",
	 * "ARM zImage", "s390 image", "ELF vmlinux", "gzip-compressed arm64
	 * Image", "EFI zboot image (arm64 Image)", ... (static string). */
	const char *format;
	/* The architecture table's name of the target it is built for
	 * (static string), or NULL when the format cannot say or the table
	 * has no such target (the note says which). */
	const char *arch;
	/* The version string the header holds ("6.1.0-27-amd64 (debian-
	 * kernel@...) #1 SMP ..."), printable ASCII; NULL when the format has
	 * none (see kimage_release). */
	char *version;
	/* How the architecture was decided, or why it is not known, for
	 * messages ("boot protocol 2.15, xloadflags: 64-bit"); or NULL. */
	char *note;
	/* When kimage_identify did not return 0, the only field set: one
	 * sentence naming the file and what is wrong ("kernel 'F': not a
	 * kernel image: ...", "kernel 'F': truncated x86 bzImage: ..."). */
	char *message;
	/* The compression of the kernel inside when the header locates it
	 * ("xz", "gzip", ...; static string), or NULL. */
	const char *compression;
	/* x86 only (0 elsewhere): the boot protocol (0x020f is 2.15),
	 * setup_sects as the loader counts them, xloadflags (2.12 on). */
	unsigned x86_protocol, x86_setup_sects, x86_xloadflags;
	/* Private to kimage.c: which format; where the compressed kernel
	 * inside lies (payload_len 0: the header does not say); where the
	 * kernel's data lies uncompressed (an ELF's .rodata; plain_len 0: the
	 * whole file). */
	int kind;
	unsigned long long payload_off, payload_len, plain_off, plain_len;
};

/* Identify the kernel image at PATH into K (which it zeroes first),
 * reading only headers. Returns 0 for a kernel image; 1 when PATH is
 * readable but not a kernel image, or a truncated one; -1 when it cannot
 * be read (missing, unreadable, not a regular file). On 1 and -1 nothing
 * is printed and K->message says why; the caller reports it. Free K's
 * strings with kimage_free() in every case. */
int kimage_identify(const char *path, struct kimage *k);

/* Free what K holds and zero it. */
void kimage_free(struct kimage *k);

/* 1 if the kernel K identifies boots the target A, else 0 (also when
 * K->arch is NULL). Besides A's own images, a kernel of another entry
 * that QEMU runs the same way (same QEMU binary, ELF machine and byte
 * order) fits: an x86_64 kernel for x32, which also needs X86_X32_ABI in
 * that kernel (its configuration says, when there is one). */
int kimage_fits(const struct kimage *k, const struct arch *a);

/* The kernel release of the image at PATH ("6.1.0-27-amd64"), for
 * matching a lib/modules/RELEASE tree: the first word of the header's
 * version string, else of the "Linux version" banner found in the image
 * (uncompressed, in an ELF's .rodata, or in the compressed kernel inside).
 * Returns 0 with *RELEASE in new memory (the caller frees it); 1 when the
 * image does not say (no banner found, an LZO payload), silently; -1
 * after warn() when PATH cannot be read or is not a kernel image. */
int kimage_release(const char *path, char **release);

/* The configuration embedded in the image at PATH (CONFIG_IKCONFIG), found
 * the way scripts/extract-ikconfig does: the gzip data between "IKCFG_ST"
 * and "IKCFG_ED", in the image itself or in the compressed kernel inside
 * it. Returns 0 with the .config text appended to OUT (the caller's
 * buffer); 1 when the image has none (CONFIG_IKCONFIG off, or =m: then it
 * is in the configs module), silently; -1 after warn() when PATH cannot be
 * read, is not a kernel image, or its configuration data is corrupt or
 * larger than 16 MiB. At most 256 MiB of decompressed kernel is searched. */
int kimage_ikconfig(const char *path, struct buf *out);

#endif
