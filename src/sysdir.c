#include "sysdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

static const char kernel_fragment[] =
	"# Kernel options for this system, applied after tinyconfig and mkdistro's\n"
	"# own options, one per line: CONFIG_FOO=y, CONFIG_BAR=\"text\", or\n"
	"# '# CONFIG_BAZ is not set'. 'mkdistro menuconfig kernel' writes here.\n";

static const char busybox_fragment[] =
	"# BusyBox options for this system, applied after defconfig, one per line.\n"
	"# 'mkdistro menuconfig busybox' writes here.\n";

static const char gitignore[] = "/build/\n/out/\n/build-*/\n/out-*/\n";

static int write_new(const char *dir, const char *name, const char *text)
{
	char *path = path_join(dir, name);
	int rc = 0;
	if (!path_exists(path))
		rc = write_file_atomic(path, text, strlen(text), 0644);
	free(path);
	return rc;
}

int sysdir_init(const char *dir)
{
	char *conf = path_join(dir, CONFIG_FILE);
	int rc = -1;
	if (path_exists(conf)) {
		warn("'%s' already exists: not overwriting it", conf);
		goto out;
	}
	char *overlay = path_join(dir, "overlay");
	char *programs = path_join(dir, "programs");
	int r = mkdir_p(dir, 0755) < 0 || mkdir_p(overlay, 0755) < 0 || mkdir_p(programs, 0755) < 0;
	free(overlay);
	free(programs);
	if (r)
		goto out;
	/* The written file names the new files by relative paths; everything
	 * else is the built-in default, each key with its explanation: what
	 * an empty file there gives, never the ./mkdistro.conf of the
	 * directory mkdistro runs in. */
	struct config c = {0};
	if (config_parse(&c, "", 0, conf) < 0)
		goto out;
	char *saved[3] = { c.kernel_fragment, c.busybox_fragment, c.overlay };
	c.kernel_fragment = "kernel.fragment";
	c.busybox_fragment = "busybox.fragment";
	c.overlay = "overlay";
	char *text = config_annotated(&c);
	c.kernel_fragment = saved[0];
	c.busybox_fragment = saved[1];
	c.overlay = saved[2];
	config_free(&c);
	if (write_new(dir, "kernel.fragment", kernel_fragment) == 0 &&
	    write_new(dir, "busybox.fragment", busybox_fragment) == 0 &&
	    write_new(dir, ".gitignore", gitignore) == 0 &&
	    write_file_atomic(conf, text, strlen(text), 0644) == 0)
		rc = 0;
	free(text);
	if (rc == 0)
		fprintf(stderr,
			"mkdistro: new system in '%s': mkdistro.conf, kernel.fragment, "
			"busybox.fragment, overlay/, programs/\n"
			"mkdistro: next: cd '%s' && mkdistro build && mkdistro run\n",
			dir, dir);
out:
	free(conf);
	return rc;
}
