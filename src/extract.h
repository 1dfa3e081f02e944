/* extract: unpack a source tarball safely with libarchive. */
#ifndef MKDISTRO_EXTRACT_H
#define MKDISTRO_EXTRACT_H

/* Unpack the tar ARCHIVE (compressed with anything libarchive reads: xz,
 * gzip, bzip2, ...) into the new directory DEST, which must not exist
 * (its parent must).
 * Every entry must lie under TOPDIR/, which is stripped (NULL or "": keep
 * names as they are). Extraction goes to DEST.tmp.<pid> first and is
 * renamed to DEST only when complete, so DEST is either whole or absent.
 * Refused (error): absolute names, "..", names with control characters,
 * entries outside TOPDIR, writes through symlinks, hardlinks to outside,
 * device nodes, FIFOs and sockets. Owners are not restored; setuid and
 * setgid bits are dropped and the umask applies. Returns 0, or -1 after
 * warn() with nothing left at DEST or in the temporary directory.
 * Changes the working directory while it runs (restored before it
 * returns), so it must not run in two threads of one process. */
int extract_archive(const char *archive, const char *dest, const char *topdir);

/* S with backslash, control and non-ASCII bytes written as C escapes
 * (\n, \t, \\, \xNN), so an untrusted name prints on one line and cannot
 * drive the terminal. New memory, the caller frees it. */
char *escape_name(const char *s);

#endif
