#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int verbose;

static void vwarn(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static void vwarn(const char *fmt, va_list ap)
{
	int e = errno;
	size_t n = strlen(fmt);

	fputs("mkdistro: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (n > 0 && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(e));
	fputc('\n', stderr);
	errno = e;
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

static int die_exit = 1;

void die_status(int status)
{
	die_exit = status;
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(die_exit);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		die("out of memory");
	return p;
}

void *xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		die("allocation size overflow");
	size_t total = nmemb * size;
	p = realloc(p, total ? total : 1);
	if (!p)
		die("out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		die("out of memory");
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		die("out of memory");
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		die("bad format string");
	char *s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (la == 0)
		return xstrdup(b);
	if (*b == '\0')
		return xstrndup(a, la);
	return xasprintf("%.*s%s%s", (int)la, a, a[la - 1] == '/' ? "" : "/", b);
}

static void buf_grow(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	if (extra > SIZE_MAX / 2 - b->len)
		die("buffer size overflow");
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->s = xreallocarray(b->s, cap, 1);
	b->cap = cap;
}

void buf_add(struct buf *b, const void *data, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->s + b->len, data, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addch(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("bad format string");
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void buf_free(struct buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

char *buf_steal(struct buf *b)
{
	char *s = b->s ? b->s : xstrdup("");
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		warn("write '%s':", path);
		free(tmp);
		return -1;
	}
	/* Messages name PATH, the file the user knows; the temporary one is
	 * removed. Where space runs out only when the data reaches the disk,
	 * fsync or close is what fails. */
	if (write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		warn("write '%s':", path);
		close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (close(fd) < 0) {
		warn("write '%s':", path);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		warn("rename '%s' to '%s':", tmp, path);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

char *read_file_quiet(const char *path, size_t *len)
{
	struct buf b = {0};
	char chunk[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			buf_free(&b);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (len)
		*len = b.len;
	return buf_steal(&b);
}

char *read_file(const char *path, size_t *len)
{
	char *s = read_file_quiet(path, len);
	if (!s)
		warn("read '%s':", path);
	return s;
}

int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	for (char *s = p + (*p == '/');; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			warn("mkdir '%s':", p);
			free(p);
			return -1;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		warn("mkdir '%s':", path);
		return -1;
	}
	return 0;
}

static int rm_rf_at(int at, const char *name, const char *shown)
{
	struct stat st;
	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		warn("remove '%s':", shown);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			/* A directory without read permission: make it readable. */
			if (errno == EACCES && fchmodat(at, name, 0700, 0) == 0)
				fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				warn("remove '%s':", shown);
				return -1;
			}
		}
		DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
			warn("remove '%s':", shown);
			return -1;
		}
		int rc = 0;
		struct dirent *de;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char *sub = path_join(shown, de->d_name);
			if (rm_rf_at(dirfd(d), de->d_name, sub) < 0)
				rc = -1;
			free(sub);
		}
		closedir(d);
		if (rc < 0)
			return -1;
		if (unlinkat(at, name, AT_REMOVEDIR) < 0) {
			warn("remove '%s':", shown);
			return -1;
		}
		return 0;
	}
	if (unlinkat(at, name, 0) < 0) {
		warn("remove '%s':", shown);
		return -1;
	}
	return 0;
}

int rm_rf(const char *path)
{
	return rm_rf_at(AT_FDCWD, path, path);
}

int copy_fd(int in, int out, const char *from, const char *to, size_t *total)
{
	char chunk[64 * 1024];
	for (;;) {
		ssize_t n = read(in, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warn("read '%s':", from);
			return -1;
		}
		if (n == 0)
			return 0;
		if (write_all(out, chunk, (size_t)n) < 0) {
			warn("write '%s':", to);
			return -1;
		}
		if (total)
			*total += (size_t)n;
	}
}

int copy_file(const char *from, const char *to)
{
	struct stat st;
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0) {
		warn("copy '%s':", from);
		if (in >= 0)
			close(in);
		return -1;
	}
	char *tmp = xasprintf("%s.tmp.%ld", to, (long)getpid());
	int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		warn("copy to '%s':", to);
		close(in);
		free(tmp);
		return -1;
	}
	int rc = copy_fd(in, out, from, to, NULL);
	close(in);
	if (rc == 0 && fchmod(out, st.st_mode & 07777) < 0) {
		warn("chmod '%s':", to);
		rc = -1;
	}
	if (close(out) < 0 && rc == 0) {
		warn("copy to '%s':", to);
		rc = -1;
	}
	if (rc == 0 && rename(tmp, to) < 0) {
		warn("rename '%s' to '%s':", tmp, to);
		rc = -1;
	}
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int replace_tree(const char *tmp, const char *dest)
{
	if (rm_rf(dest) < 0)
		return -1;
	if (rename(tmp, dest) < 0) {
		warn("rename '%s' to '%s':", tmp, dest);
		return -1;
	}
	return 0;
}

int path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int have_program(const char *name)
{
	if (strchr(name, '/'))
		return access(name, X_OK) == 0;
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/bin:/bin";
	char *copy = xstrdup(path), *save = NULL;
	int found = 0;
	for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *p = path_join(*dir ? dir : ".", name);
		struct stat st;
		found = stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
		free(p);
	}
	free(copy);
	return found;
}

double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int copy_tree(const char *from, const char *to)
{
	struct stat st;
	if (lstat(to, &st) == 0 && !S_ISDIR(st.st_mode) && rm_rf(to) < 0)
		return -1;
	if (mkdir_p(to, 0755) < 0)
		return -1;
	DIR *d = opendir(from);
	if (!d) {
		warn("copy '%s':", from);
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *src = path_join(from, de->d_name);
		char *dst = path_join(to, de->d_name);
		struct stat sst, dst_st;
		if (lstat(src, &sst) < 0) {
			warn("copy '%s':", src);
			rc = -1;
		} else if (S_ISDIR(sst.st_mode)) {
			rc = copy_tree(src, dst);
			if (rc == 0)
				chmod(dst, sst.st_mode & 07777);
		} else {
			int exists = lstat(dst, &dst_st) == 0;
			if (exists && (S_ISDIR(dst_st.st_mode) || S_ISLNK(sst.st_mode) || S_ISLNK(dst_st.st_mode)))
				rc = rm_rf(dst);
			if (rc == 0 && S_ISREG(sst.st_mode)) {
				rc = copy_file(src, dst);
			} else if (rc == 0 && S_ISLNK(sst.st_mode)) {
				char target[4096];
				ssize_t n = readlink(src, target, sizeof(target) - 1);
				if (n < 0 || symlink((target[n] = '\0', target), dst) < 0) {
					warn("copy symlink '%s':", src);
					rc = -1;
				}
			} else if (rc == 0) {
				warn("copy '%s': not a file, directory or symlink; special files "
				     "cannot be copied without root", src);
				rc = -1;
			}
		}
		free(src);
		free(dst);
	}
	closedir(d);
	return rc;
}

char *cache_dir(const char *sub)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char *dir;
	if (xdg && xdg[0] == '/')
		dir = path_join(xdg, "mkdistro");
	else if (home && home[0])
		dir = path_join(home, ".cache/mkdistro");
	else
		return NULL;
	if (!sub)
		return dir;
	char *d = path_join(dir, sub);
	free(dir);
	return d;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **dir_list(const char *dir, const char *suffix, int hidden, size_t *n)
{
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char **v = xcalloc(1, sizeof(*v));
	size_t sl = suffix ? strlen(suffix) : 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		size_t len = strlen(name);
		if (!strcmp(name, ".") || !strcmp(name, "..") || (!hidden && name[0] == '.') ||
		    (suffix && (len <= sl || strcmp(name + len - sl, suffix))))
			continue;
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = xstrdup(name);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_names);
	return v;
}

void dir_list_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

char *str_printable(const char *s, size_t n, size_t max)
{
	struct buf b = {0};
	for (size_t i = 0; i < n && b.len < max; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\r')
			continue;
		buf_addch(&b, (ch < 0x20 && ch != '\t') || ch == 0x7f ? '?' : (char)ch);
	}
	return buf_steal(&b);
}
