#include "fetch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "apt.h"
#include "hash.h"
#include "proc.h"
#include "util.h"

#ifndef MKDISTRO_VERSION
#define MKDISTRO_VERSION "dev"
#endif

#define DEFAULT_CONNECT_SECS 30
#define DEFAULT_STALL_SECS 60
/* Below this rate for stall_secs the server is taken for dead. */
#define STALL_BYTES_PER_SEC 1024L

static long connect_secs = DEFAULT_CONNECT_SECS;
static long stall_secs = DEFAULT_STALL_SECS;

void fetch_set_timeouts(long connect, long stall)
{
	connect_secs = connect > 0 ? connect : DEFAULT_CONNECT_SECS;
	stall_secs = stall > 0 ? stall : DEFAULT_STALL_SECS;
}

char *fetch_cache_dir(void)
{
	char *d = cache_dir("sources");
	if (!d)
		warn("cannot find a cache directory: neither XDG_CACHE_HOME nor HOME is set");
	return d;
}

/* The catalog is trusted, but a file name is joined to a directory path
 * and used in lock and temporary names, so keep it one plain component. */
static int bad_file_name(const char *f)
{
	if (!f || !f[0] || f[0] == '.' || strchr(f, '/'))
		return 1;
	for (const unsigned char *p = (const unsigned char *)f; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

static int no_apt(void)
{
	const char *v = getenv("MKDISTRO_NO_APT");
	return v && v[0] && strcmp(v, "0") != 0;
}

static char *origin_name(const struct origin *o)
{
	if (o->kind == ORIGIN_URL)
		return xstrdup(o->url);
	return xasprintf("apt-get source %s=%s", o->apt_pkg, o->apt_ver);
}

/* Record why an attempt failed, for the summary given when all fail. */
static void note(struct buf *log, const struct origin *o, const char *why)
{
	char *where = origin_name(o);
	buf_printf(log, "  %s (%s): %s\n", where, o->file, why);
	if (verbose)
		warn("fetch '%s' from %s: %s", o->file, where, why);
	free(where);
}

/* The lock is held for as long as the descriptor stays open; the lock file
 * itself is never removed, since removing it would let two processes lock
 * different inodes under the same name. */
static int lock_file(const char *cachedir, const char *file)
{
	char *name = xasprintf(".%s.lock", file);
	char *path = path_join(cachedir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	free(name);
	if (fd < 0) {
		warn("lock '%s':", path);
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			warn("lock '%s':", path);
			goto fail;
		}
		fprintf(stderr, "fetch: waiting for another mkdistro to finish '%s'\n", file);
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				warn("lock '%s':", path);
				goto fail;
			}
		}
	}
	free(path);
	return fd;
fail:
	close(fd);
	free(path);
	return -1;
}

/* Leftovers of a process killed mid-download. Called under the file's
 * lock, so nobody else can be writing them. */
static void remove_stale(const char *cachedir, const char *file)
{
	char *part = xasprintf(".%s.part.", file);
	char *apt = xasprintf(".%s.apt.", file);
	DIR *d = opendir(cachedir);

	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			int is_part = !strncmp(de->d_name, part, strlen(part));
			int is_apt = !strncmp(de->d_name, apt, strlen(apt));
			if (!is_part && !is_apt)
				continue;
			char *p = path_join(cachedir, de->d_name);
			if (is_part)
				unlink(p);
			else
				rm_rf(p);
			free(p);
		}
		closedir(d);
	}
	free(part);
	free(apt);
}

static void size_text(char *out, size_t n, long long size)
{
	if (size > 0)
		snprintf(out, n, "%lld bytes", size);
	else
		snprintf(out, n, "size not on record");
}

/* Move a bad file to PATH.bad.N rather than deleting it: it may be the
 * only copy of something the user wants to look at. Returns the new name
 * in new memory, or NULL after warn(). */
static char *set_aside(const char *path)
{
	for (int n = 1; n < 10000; n++) {
		char *bad = xasprintf("%s.bad.%d", path, n);
		if (path_exists(bad)) {
			free(bad);
			continue;
		}
		if (rename(path, bad) == 0)
			return bad;
		warn("rename '%s' to '%s':", path, bad);
		free(bad);
		return NULL;
	}
	warn("cannot set aside '%s': too many .bad files next to it", path);
	return NULL;
}

/* 1 when CACHEDIR/FILE is a good copy, 0 when it is not there (a bad copy
 * is set aside and reported), -1 when it could not be checked. */
static int check_cached(const char *path, const struct origin *o, struct buf *log)
{
	char got[SHA256_HEX_LEN + 1], want_size[32];
	off_t size = 0;

	if (!path_exists(path))
		return 0;
	if (sha256_file(path, got, &size) < 0) {
		warn("read '%s':", path);
		buf_printf(log, "  cache '%s': cannot read it: %s\n", path, strerror(errno));
		return -1;
	}
	if ((o->size <= 0 || size == o->size) && !strcmp(got, o->sha256))
		return 1;
	size_text(want_size, sizeof(want_size), o->size);
	char *bad = set_aside(path);
	warn("cached '%s' is corrupt: expected sha256 %s (%s), got sha256 %s (%lld bytes); %s%s%s",
	     path, o->sha256, want_size, got, (long long)size,
	     bad ? "moved it aside to '" : "could not move it aside",
	     bad ? bad : "", bad ? "'" : "");
	buf_printf(log, "  cache '%s': corrupt copy (sha256 mismatch)%s\n", path,
		   bad ? ", set aside" : "");
	if (!bad)
		return -1;
	free(bad);
	return 0;
}

struct download {
	int fd;
	const char *part; /* the file FD writes, for messages */
	struct hasher *hasher;
	long long got;
	long long limit;
	int too_big;
	int write_errno;
	const char *file;
	double start, last;
	int shown;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct download *d = arg;
	size_t len = size * nmemb;

	/* Stop early rather than fill the disk with a wrong file. */
	if (d->limit > 0 && d->got + (long long)len > d->limit) {
		d->too_big = 1;
		return 0;
	}
	for (size_t off = 0; off < len;) {
		ssize_t n = write(d->fd, data + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			d->write_errno = errno;
			return 0;
		}
		off += (size_t)n;
	}
	hasher_add(d->hasher, data, len);
	d->got += (long long)len;
	return len;
}

static int on_progress(void *arg, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un)
{
	struct download *d = arg;
	double t = now_seconds();

	/* Short downloads stay silent; long ones update twice a second. */
	if (t - d->start < 2.0 || t - d->last < 0.5)
		return 0;
	d->last = t;
	d->shown = 1;
	if (total > 0)
		fprintf(stderr, "\rfetch: %s %3d%% (%.1f of %.1f MB)   ", d->file,
			(int)(now * 100 / total), now / 1e6, total / 1e6);
	else
		fprintf(stderr, "\rfetch: %s %.1f MB   ", d->file, now / 1e6);
	return 0;
}

static void curl_init_once(void)
{
	static int done;

	if (!done && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die("libcurl: cannot initialise");
	done = 1;
}

/* Why a transfer failed, in words a user can act on. */
static char *curl_reason(CURL *c, CURLcode rc, const struct download *d, const char *errbuf)
{
	long code = 0, oserr = 0;

	if (d->too_big)
		return xasprintf("larger than the expected %lld bytes", d->limit);
	if (d->write_errno)
		return xasprintf("cannot write '%s': %s", d->part, strerror(d->write_errno));
	if (rc == CURLE_HTTP_RETURNED_ERROR &&
	    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code)
		return xasprintf("HTTP %ld", code);
	if (rc == CURLE_COULDNT_CONNECT &&
	    curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr) == CURLE_OK && oserr == ECONNREFUSED)
		return xstrdup("connection refused");
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return xasprintf("timed out (%s)", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	return xstrdup(errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

static int verify_download(const char *file, const char *where, const struct origin *o,
			   const char *got, long long size, struct buf *log)
{
	char want_size[32];

	if (o->size > 0 && size != o->size) {
		size_text(want_size, sizeof(want_size), o->size);
		warn("fetch '%s' from %s: size mismatch: expected %s, got %lld bytes "
		     "(expected sha256 %s, got %s)", file, where, want_size, size, o->sha256, got);
		char *why = xasprintf("size mismatch (expected %lld bytes, got %lld)", o->size, size);
		note(log, o, why);
		free(why);
		return -1;
	}
	if (strcmp(got, o->sha256)) {
		warn("fetch '%s' from %s: sha256 mismatch: expected %s, got %s",
		     file, where, o->sha256, got);
		note(log, o, "sha256 mismatch");
		return -1;
	}
	return 0;
}

/* 1 when the file is now in the cache under its final name, 0 when this
 * origin failed (recorded in LOG), -1 when the cache could not take the
 * file (also recorded; *WERR gets the errno): a full disk is full for
 * every origin. */
static int fetch_url(const char *path, const char *cachedir, const struct origin *o,
		     struct buf *log, int *werr)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	char got[SHA256_HEX_LEN + 1];
	char *name = xasprintf(".%s.part.%ld", o->file, (long)getpid());
	char *part = path_join(cachedir, name);
	struct download d = { .limit = o->size, .file = o->file, .part = part };
	int ok = 0;

	free(name);
	d.fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (d.fd < 0) {
		*werr = errno;
		char *why = xasprintf("cannot create '%s': %s", part, strerror(errno));
		note(log, o, why);
		free(why);
		free(part);
		return -1;
	}
	fprintf(stderr, "fetch: %s from %s\n", o->file, o->url);
	curl_init_once();
	CURL *c = curl_easy_init();
	if (!c)
		die("libcurl: cannot create a handle");
	d.hasher = hasher_new();
	d.start = d.last = now_seconds();
	curl_easy_setopt(c, CURLOPT_URL, o->url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, connect_secs);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, STALL_BYTES_PER_SEC);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall_secs);
	/* libcurl's signal-based DNS timeout would fight proc's handlers. */
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mkdistro/" MKDISTRO_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
	if (isatty(STDERR_FILENO)) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	CURLcode rc = curl_easy_perform(c);
	hasher_finish(d.hasher, got);
	if (d.shown)
		fputc('\n', stderr);
	if (rc != CURLE_OK) {
		char *why = curl_reason(c, rc, &d, errbuf);
		note(log, o, why);
		free(why);
		close(d.fd);
		if (d.write_errno) {
			*werr = d.write_errno;
			ok = -1;
		}
		goto out;
	}
	/* Where space runs out only when the data reaches the disk, fsync or
	 * close says so. */
	int synced = fsync(d.fd);
	int e = errno;
	if (close(d.fd) < 0 && synced == 0) {
		synced = -1;
		e = errno;
	}
	if (synced < 0) {
		*werr = e;
		char *why = xasprintf("cannot write '%s': %s", part, strerror(e));
		note(log, o, why);
		free(why);
		ok = -1;
		goto out;
	}
	if (verify_download(o->file, o->url, o, got, d.got, log) < 0)
		goto out;
	if (rename(part, path) < 0) {
		char *why = xasprintf("cannot rename '%s' to '%s': %s", part, path, strerror(errno));
		note(log, o, why);
		free(why);
		goto out;
	}
	ok = 1;
out:
	if (ok != 1)
		unlink(part);
	curl_easy_cleanup(c);
	free(part);
	return ok;
}

static int fetch_apt(const char *path, const char *cachedir, const struct origin *o,
		     struct buf *log)
{
	char got[SHA256_HEX_LEN + 1];
	off_t size = 0;
	int ok = 0;

	if (no_apt()) {
		note(log, o, "skipped: MKDISTRO_NO_APT is set");
		return 0;
	}
	if (!have_program("apt-get")) {
		note(log, o, "apt-get not found (install the Debian package 'apt')");
		return 0;
	}
	/* Inside the cache directory so the final rename stays on one file
	 * system; named after the file so remove_stale() can find it. */
	char *name = xasprintf(".%s.apt.XXXXXX", o->file);
	char *tmp = path_join(cachedir, name);
	free(name);
	if (!mkdtemp(tmp)) {
		char *why = xasprintf("cannot create '%s': %s", tmp, strerror(errno));
		note(log, o, why);
		free(why);
		free(tmp);
		return 0;
	}
	char *spec = xasprintf("%s=%s", o->apt_pkg, o->apt_ver);
	char *logpath = path_join(tmp, "apt-get.log");
	char *file = path_join(tmp, o->file);
	char *where = origin_name(o);

	fprintf(stderr, "fetch: %s from %s\n", o->file, where);
	int st = apt_download(spec, tmp, logpath);
	if (st != 0) {
		char *said = apt_log_summary(logpath);
		char *why = st < 0 ? xstrdup("cannot run apt-get")
				   : xasprintf("exit status %d: %s", st, said);
		note(log, o, why);
		free(why);
		free(said);
	} else if (sha256_file(file, got, &size) < 0) {
		char *why = xasprintf("apt-get did not produce '%s': %s", o->file, strerror(errno));
		note(log, o, why);
		free(why);
	} else if (verify_download(o->file, where, o, got, (long long)size, log) == 0) {
		if (rename(file, path) == 0) {
			ok = 1;
		} else {
			char *why = xasprintf("cannot rename '%s' to '%s': %s", file, path,
					      strerror(errno));
			note(log, o, why);
			free(why);
		}
	}
	rm_rf(tmp);
	free(where);
	free(file);
	free(logpath);
	free(spec);
	free(tmp);
	return ok;
}

/* CACHE_ERRNO: why the cache could not take a download, or 0. */
static void fail_summary(const struct source *src, const char *cachedir, int offline,
			 struct buf *log, int cache_errno)
{
	struct buf msg = {0};

	buf_printf(&msg, "fetch '%s %s': no good copy of the source%s:\n%s",
		   src->name, src->version, offline ? " (offline, cache only)" : "",
		   log->s ? log->s : "");
	if (cache_errno == ENOSPC || cache_errno == EDQUOT)
		buf_printf(&msg, "The cache '%s' is full (%s): free space there, or set "
				 "XDG_CACHE_HOME to a directory on a disk with room, and run again; or put",
			   cachedir, strerror(cache_errno));
	else if (cache_errno)
		buf_printf(&msg, "The cache '%s' cannot be written (%s): fix that, or set "
				 "XDG_CACHE_HOME to another directory, and run again; or put",
			   cachedir, strerror(cache_errno));
	else if (offline)
		buf_addstr(&msg, "Run without offline mode to download it, or put");
	else
		buf_addstr(&msg, "Check the network connection (and proxy settings) and the "
				 "machine's Debian entries in /etc/apt, or put");
	buf_printf(&msg, " one of these files into '%s' by hand:", cachedir);
	for (size_t i = 0; i < src->norigins; i++) {
		const struct origin *o = &src->origins[i];
		size_t j = 0;
		while (j < i && (strcmp(src->origins[j].file, o->file) ||
				 strcmp(src->origins[j].sha256, o->sha256)))
			j++;
		if (j == i)
			buf_printf(&msg, "\n  %s  sha256 %s", o->file, o->sha256);
	}
	warn("%s", msg.s);
	buf_free(&msg);
}

char *fetch_source(const struct source *src, const char *cachedir, int offline)
{
	struct buf log = {0};
	char *paths[MAX_ORIGINS] = {0};
	char *found = NULL;
	size_t n = src->norigins;
	int cache_errno = 0;

	if (n == 0 || n > MAX_ORIGINS) {
		warn("fetch '%s %s': the catalog entry has %zu origins", src->name, src->version, n);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct origin *o = &src->origins[i];
		if (bad_file_name(o->file) || !o->sha256 || strlen(o->sha256) != SHA256_HEX_LEN ||
		    (o->kind == ORIGIN_URL && !o->url) ||
		    (o->kind == ORIGIN_APT && (!o->apt_pkg || !o->apt_ver))) {
			warn("fetch '%s %s': origin %zu of the catalog entry is malformed",
			     src->name, src->version, i + 1);
			return NULL;
		}
	}
	if (mkdir_p(cachedir, 0755) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		paths[i] = path_join(cachedir, src->origins[i].file);

	/* Every origin's cached copy comes before any network access: a file
	 * cached from the second origin beats downloading from the first. */
	for (size_t i = 0; i < n && !found; i++) {
		int lk = lock_file(cachedir, src->origins[i].file);
		if (lk < 0) {
			buf_printf(&log, "  cache '%s': cannot lock it\n", paths[i]);
			continue;
		}
		if (check_cached(paths[i], &src->origins[i], &log) == 1)
			found = paths[i];
		close(lk);
	}
	if (found && verbose)
		fprintf(stderr, "fetch: %s found in the cache\n", found);
	if (!found && offline)
		buf_addstr(&log, "  network: not used (offline)\n");
	for (size_t i = 0; i < n && !found && !offline && !cache_errno; i++) {
		const struct origin *o = &src->origins[i];
		int lk = lock_file(cachedir, o->file);
		if (lk < 0) {
			note(&log, o, "cannot lock the cache entry");
			continue;
		}
		/* Another process may have fetched it while we waited. */
		int r = check_cached(paths[i], o, &log);
		if (r == 0) {
			remove_stale(cachedir, o->file);
			r = o->kind == ORIGIN_URL ? fetch_url(paths[i], cachedir, o, &log, &cache_errno)
						  : fetch_apt(paths[i], cachedir, o, &log);
		}
		close(lk);
		if (r == 1)
			found = paths[i];
	}
	if (!found)
		fail_summary(src, cachedir, offline, &log, cache_errno);
	for (size_t i = 0; i < n; i++)
		if (paths[i] != found)
			free(paths[i]);
	buf_free(&log);
	return found;
}
