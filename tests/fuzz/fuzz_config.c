/* Fuzz target: mkdistro.conf (config.c). Any text must give either an
 * error (and an empty configuration) or a configuration whose every value
 * is valid and which survives a round trip: config_describe's text and
 * config_annotated's text load again to the same configuration (config.h
 * promises that, and step keys and `mkdistro init` rely on it). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "fuzz.h"

static char *dir;  /* what relative paths in the input resolve against */
static char *file; /* the configuration's name: DIR/mkdistro.conf */

static void setup(void)
{
	dir = fuzz_tmpdir("config");
	file = path_join(dir, "mkdistro.conf");
	/* Files and directories a seed may name: fragment = kernel.fragment. */
	static const char *const files[] = { "kernel.fragment", "busybox.fragment", "entries.txt" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = path_join(dir, files[i]);
		if (write_file_atomic(p, "", 0, 0644) < 0)
			abort();
		free(p);
	}
	char *ov = path_join(dir, "overlay");
	if (mkdir(ov, 0755) < 0)
		abort();
	free(ov);
}

static int all_zero(const struct config *c)
{
	static const struct config zero;
	return !memcmp(c, &zero, sizeof(zero));
}

static void check_values(const struct config *c)
{
	if (!c->arch || !c->hostname || !c->linux_version || !c->musl_version ||
	    !c->busybox_version || !c->cmdline || !c->compression || !c->init || !c->dir)
		fuzz_fail("a value is missing after a successful parse");
	if (!*c->hostname || strlen(c->hostname) > 64)
		fuzz_fail("hostname '%s' accepted", c->hostname);
	for (const char *s = c->hostname; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.", *s))
			fuzz_fail("hostname '%s' accepted", c->hostname);
	static const char *const comp[] = { "gzip", "xz", "lz4", "zstd", "none" };
	int known = 0;
	for (size_t i = 0; i < 5; i++)
		known |= !strcmp(c->compression, comp[i]);
	if (!known)
		fuzz_fail("compression '%s' accepted", c->compression);
	if (c->memory_mb < 32 || c->memory_mb > 65536)
		fuzz_fail("memory %d accepted", c->memory_mb);
	if (c->ccache != 0 && c->ccache != 1)
		fuzz_fail("ccache %d", c->ccache);
	for (const char *s = c->cmdline; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fuzz_fail("control character in cmdline accepted");
	if (strcmp(c->init, "busybox") && (c->init[0] != '/' || strchr(c->init, ' ')))
		fuzz_fail("init '%s' accepted", c->init);
	const char *paths[] = { c->kernel_fragment, c->busybox_fragment, c->overlay, c->entries };
	for (size_t i = 0; i < 4; i++)
		if (paths[i] && paths[i][0] != '/')
			fuzz_fail("path '%s' not made absolute", paths[i]);
}

/* TEXT (from config_describe or config_annotated) loads again to the
 * configuration described by WANT. */
static void reload(const char *what, const char *text, const char *want)
{
	struct config again;
	if (config_parse(&again, text, strlen(text), file) < 0)
		fuzz_fail("the %s text does not load again:\n%s", what, text);
	char *d = config_describe(&again);
	if (strcmp(d, want))
		fuzz_fail("the %s text loads to another configuration:\n%s\n---- became ----\n%s",
			  what, want, d);
	free(d);
	config_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir)
		setup();
	fuzz_quiet();
	struct config c;
	if (config_parse(&c, (const char *)data, size, file) < 0) {
		if (!all_zero(&c))
			fuzz_fail("a failed parse left values behind");
		fuzz_loud();
		return 0;
	}
	check_values(&c);
	char *d = config_describe(&c);
	char *a = config_annotated(&c);
	reload("config_describe", d, d);
	reload("config_annotated", a, d);
	free(d);
	free(a);
	config_free(&c);
	if (!all_zero(&c))
		fuzz_fail("config_free left values behind");
	fuzz_loud();
	return 0;
}
