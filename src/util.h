/* util: messages, checked allocation, a growable string buffer, files. */
#ifndef MKDISTRO_UTIL_H
#define MKDISTRO_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

/* Verbosity level set by -v; 0 is quiet. */
extern int verbose;

/* Print "mkdistro: MSG" to stderr. A format ending in ':' appends
 * ": strerror(errno)". */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* warn() then exit (with 1, or what die_status() set). */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The exit status die() exits with from now on (1 until set): bisect-run
 * sets 125, as 1 would tell git bisect the commit is bad. */
void die_status(int status);

/* Allocators that die on failure or size overflow. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Formatted string in new memory; the caller frees it. */
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "a/b" in new memory (no doubled slash); the caller frees it. */
char *path_join(const char *a, const char *b);

/* Growable byte buffer, always NUL-terminated; zero-initialise to start. */
struct buf {
	char *s;
	size_t len, cap;
};
void buf_add(struct buf *b, const void *data, size_t n);
void buf_addstr(struct buf *b, const char *s);
void buf_addch(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Release the buffer's memory and reset it to empty. */
void buf_free(struct buf *b);
/* Hand the string to the caller (who frees it) and reset the buffer. */
char *buf_steal(struct buf *b);

/* Write DATA to PATH atomically: temporary file in the same directory,
 * fsync, rename. Returns 0, or -1 after warn() naming PATH (a full disk:
 * "write 'PATH': No space left on device"); then no temporary file is
 * left behind and an existing PATH is untouched. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Write all LEN bytes of DATA to FD (again after EINTR and short
 * writes). Returns 0, or -1 with errno set. */
int write_all(int fd, const void *data, size_t len);
/* Read a whole file into new NUL-terminated memory; *LEN (if not NULL)
 * gets its length. Returns NULL after warn(). */
char *read_file(const char *path, size_t *len);
/* Like read_file but silent: NULL with errno set. */
char *read_file_quiet(const char *path, size_t *len);
/* mkdir -p. Returns 0, or -1 after warn(). */
int mkdir_p(const char *path, mode_t mode);
/* rm -rf without following symlinks. Returns 0 (also if PATH is missing),
 * or -1 after warn(). */
int rm_rf(const char *path);
/* Copy a regular file with its mode bits, through a temporary file beside
 * TO. Returns 0, or -1 after warn() naming the file (then no temporary file
 * is left and an existing TO is untouched). */
int copy_file(const char *from, const char *to);
/* Copy the tree FROM into TO (created if missing): directories, regular
 * files with their mode bits, symlinks as links. Entries of TO with the same
 * name are replaced. Other file types are an error. Returns 0 or -1. */
int copy_tree(const char *from, const char *to);
/* Put the tree TMP, made beside DEST, in DEST's place: whatever DEST was is
 * removed, then TMP renamed to it. Returns 0, or -1 after warn(). */
int replace_tree(const char *tmp, const char *dest);
/* 1 if PATH exists (lstat), else 0. */
int path_exists(const char *path);
/* 1 if PATH is an executable regular file found in $PATH (or a path). */
int have_program(const char *name);

/* Copy what is left of IN to OUT (EINTR and short writes handled),
 * adding the bytes copied to *TOTAL when TOTAL is not NULL. FROM and TO
 * name the two in messages. Returns 0, or -1 after warn(). */
int copy_fd(int in, int out, const char *from, const char *to, size_t *total);

/* A copy of N bytes of text from outside (a console, a tool's output) that
 * is safe to print on one line (new memory): no CR, other control
 * characters but tab as '?', at most MAX bytes. What must be shown exactly
 * (a file name) is escaped instead (extract.h, escape_name). */
char *str_printable(const char *s, size_t n, size_t max);

/* The names in directory DIR, sorted (strcmp), without "." and "..";
 * without the other names starting with '.' unless HIDDEN; only those
 * ending in SUFFIX (and longer than it) when SUFFIX is not NULL. *N gets
 * their number. Returns the array (new memory, free with dir_list_free;
 * not NULL for an empty directory), or NULL with errno set when DIR cannot
 * be read. The one sorted listing: steps' tree hashes, programs/, the
 * guest test scripts. */
char **dir_list(const char *dir, const char *suffix, int hidden, size_t *n);
/* Free what dir_list returned (V may be NULL). */
void dir_list_free(char **v, size_t n);

/* mkdistro's cache directory, $XDG_CACHE_HOME/mkdistro (a relative
 * XDG_CACHE_HOME is ignored, as the XDG spec says) or ~/.cache/mkdistro,
 * joined with SUB when SUB is not NULL (new memory); NULL when neither
 * variable is set. The one place that knows where the cache is. */
char *cache_dir(const char *sub);
/* Duration in seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double now_seconds(void);

#endif
