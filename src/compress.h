/* compress: whole-file compression of the initramfs in forms the Linux
 * kernel's decompressors accept. Methods: "gzip" (the default), "xz",
 * "lz4", "zstd", "none".
 *
 * gzip and zstd go through libarchive's write filters; gzip is written
 * without a name and without a timestamp so equal input gives equal bytes.
 * libarchive cannot make the two other forms the kernel needs, so they are
 * made by the command-line tools, run through proc_run(): xz with a CRC32
 * check (the kernel's xz_dec knows no CRC64, libarchive's fixed choice)
 * and a 1 MiB dictionary (the kernel allocates the whole dictionary while
 * unpacking; small guests have little memory), and lz4 in the legacy frame
 * format (the only one lib/decompress_unlz4.c reads; libarchive writes only
 * the newer frame). */
#ifndef MKDISTRO_COMPRESS_H
#define MKDISTRO_COMPRESS_H

#include <stddef.h>

/* Compress the file IN into OUT with METHOD (NULL means "gzip"). OUT is
 * written under a temporary name in its directory, synced and renamed into
 * place with mode 0644; on failure nothing is left behind and an existing
 * OUT is untouched. Returns 0, or -1 after warn(). */
int compress_file(const char *in, const char *out, const char *method);

/* 1 if METHOD (NULL means "gzip") is one of the methods above, else 0. */
int compress_known(const char *method);

/* Those methods as "gzip, xz, ..." for messages (static string). */
const char *compress_names(void);

/* The I-th form the kernel can unpack an initramfs from, counted from 0
 * in the kernel's order: its option without "CONFIG_" ("RD_GZIP") and
 * its method name ("gzip"); NULL past the last (static strings). This
 * module's table is the one list of them. */
const char *compress_kernel_symbol(size_t i);
const char *compress_kernel_method(size_t i);

/* The kernel option that unpacks what libarchive calls FILTER (its
 * ARCHIVE_FILTER_* code), or NULL for none and forms the kernel does not
 * know (static string). */
const char *compress_filter_kconfig(int filter);

/* The kernel option that lets the kernel unpack an initramfs compressed
 * with METHOD ("CONFIG_RD_GZIP", ...; static string), or NULL for "none"
 * and unknown methods. */
const char *compress_kconfig(const char *method);

/* The usual file name suffix for METHOD (".gz", ".xz", ".lz4", ".zst",
 * "" for none; static string), or NULL for an unknown method. */
const char *compress_suffix(const char *method);

#endif
