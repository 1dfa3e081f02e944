#include "accel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "proc.h"

/* The full path of PROGRAM found in $PATH (new memory), or a copy of it. */
static char *find_program(const char *program)
{
	const char *path = getenv("PATH");
	if (strchr(program, '/') || !path)
		return xstrdup(program);
	for (const char *p = path;;) {
		const char *colon = strchrnul(p, ':');
		char *dir = xstrndup(p, (size_t)(colon - p));
		char *full = path_join(*dir ? dir : ".", program);
		free(dir);
		if (access(full, X_OK) == 0)
			return full;
		free(full);
		if (!*colon)
			return xstrdup(program);
		p = colon + 1;
	}
}

/* The cache file of the probe's result for B's QEMU (new memory), or NULL
 * when QEMU's version cannot be had. */
static char *accel_cache_path(const struct boot *b)
{
	char *bin = find_program(b->arch->qemu);
	char *argv[] = {bin, "--version", NULL};
	struct buf ver = {0};
	char *path = NULL;

	if (proc_capture(argv, NULL, "/dev/null", &ver) == 0 && ver.len) {
		char hex[SHA256_HEX_LEN + 1];
		struct hasher *h = hasher_new();
		hasher_addstr(h, bin);
		hasher_add(h, "\n", 1);
		hasher_add(h, ver.s, strcspn(ver.s, "\n"));
		hasher_finish(h, hex);
		hex[16] = '\0';

		char *dir = cache_dir(NULL);
		if (dir) {
			char *base = xasprintf("accel-%s-%s", b->arch->name, hex);
			path = path_join(dir, base);
			free(base);
			free(dir);
		}
	}
	buf_free(&ver);
	free(bin);
	return path;
}

/* 1 if B's kernel printed on the console within ACCEL_PROBE_SECONDS with
 * KVM, else 0. */
static int probe_kvm(const struct boot *b)
{
	struct boot pb = *b;

	pb.accel = "kvm";
	/* The user's extra arguments could make the probe fail, and its
	 * result is cached. */
	pb.qemu_args = NULL;
	return qemu_first_output(&pb, ACCEL_PROBE_SECONDS);
}

const char *accel_choose(const struct boot *b)
{
	static int env_warned;

	if (b->accel)
		return b->accel;
	const char *env = getenv("MKDISTRO_ACCEL");
	if (env && *env) {
		if (!strcmp(env, "kvm"))
			return "kvm";
		if (!strcmp(env, "tcg"))
			return "tcg";
		if (!env_warned++)
			warn("MKDISTRO_ACCEL='%s' ignored: use kvm or tcg", env);
	}
	/* KVM runs only the host's own architecture. */
	const struct arch *host = arch_host();
	if (!host || strcmp(b->arch->name, host->name) || access("/dev/kvm", R_OK | W_OK) != 0 ||
	    !b->kernel)
		return "tcg";

	char *cache = accel_cache_path(b);
	if (cache) {
		char *text = read_file_quiet(cache, NULL);
		const char *cached = NULL;
		if (text && !strcmp(text, "kvm\n"))
			cached = "kvm";
		else if (text && !strcmp(text, "tcg\n"))
			cached = "tcg";
		free(text);
		if (cached) {
			free(cache);
			return cached;
		}
	}
	if (verbose)
		fprintf(stderr, "mkdistro: checking whether KVM works (once per QEMU version)\n");
	const char *accel = probe_kvm(b) ? "kvm" : "tcg";
	if (verbose)
		fprintf(stderr, "mkdistro: using %s\n", accel);
	if (cache) {
		char *dir = xstrdup(cache);
		*strrchr(dir, '/') = '\0';
		if (mkdir_p(dir, 0755) == 0) {
			char *text = xasprintf("%s\n", accel);
			write_file_atomic(cache, text, strlen(text), 0644);
			free(text);
		}
		free(dir);
		free(cache);
	}
	return accel;
}

