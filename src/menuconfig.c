#include "menuconfig.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kconfig.h"
#include "proc.h"
#include "util.h"

struct component {
	const char *name;
	enum build_part part;
	const char *key; /* config section of its fragment */
};

static const struct component components[] = {
	{ "kernel", BUILD_KERNEL, "[linux] fragment" },
	{ "busybox", BUILD_BUSYBOX, "[busybox] fragment" },
};

static const struct component *find(const char *name)
{
	for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++)
		if (!strcmp(components[i].name, name))
			return &components[i];
	warn("unknown component '%s': use kernel or busybox", name ? name : "");
	return NULL;
}

/* Run ARGV on this terminal, in the foreground (it reads the keyboard and
 * gets Ctrl-C), and wait for it. Returns its status, or -1 after warn(). */
static int run_foreground(char *const argv[], const char *cwd)
{
	struct child c = {.argv = argv, .cwd = cwd, .in = CHILD_INHERIT, .foreground = 1,
			  .pdeathsig = SIGTERM};
	return child_start(&c) < 0 ? -1 : child_finish(&c);
}

/* Sorted by name, one per line, so that it reads well in a diff. */
int menuconfig_write_back(const char *file, const struct kconfig_set *changes)
{
	struct kconfig_set frag = {0};
	if (path_exists(file) ? kconfig_parse_file(file, &frag) < 0 : kconfig_parse("", file, &frag) < 0)
		return -1;
	kconfig_merge(&frag, changes);
	struct buf text = {0};
	kconfig_lines(&frag, 1, &text);
	int rc = write_file_atomic(file, text.s ? text.s : "", text.len, 0644);
	buf_free(&text);
	kconfig_free(&frag);
	return rc;
}

char **menuconfig_command(const struct build *b, const char *name, char **cwd)
{
	const struct component *c = find(name);
	*cwd = NULL;
	if (!c)
		return NULL;
	if (c->part == BUILD_BUSYBOX) {
		char **argv = xcalloc(3, sizeof(*argv));
		argv[0] = xstrdup("make");
		argv[1] = xstrdup("menuconfig");
		*cwd = build_objdir(b, c->part);
		return argv;
	}
	/* The kernel's Kconfig asks the compiler (CC_VERSION_TEXT, ...): the
	 * host's gcc for a cross target would change those symbols, and the
	 * change would land in the user's fragment. */
	char *obj = build_objdir(b, c->part);
	char **argv = build_kernel_make(b, obj, "menuconfig", NULL);
	free(obj);
	return argv;
}

/* The user's fragment file of C's part, or NULL. */
static const char *fragment_file(const struct build *b, const struct component *c)
{
	return c->part == BUILD_BUSYBOX ? b->cfg->busybox_fragment : b->cfg->kernel_fragment;
}

int menuconfig_run(struct build *b, const char *name)
{
	const struct component *c = find(name);
	if (!c)
		return -1;
	const char *fragfile = fragment_file(b, c);
	if (!fragfile) {
		warn("no %s file in the configuration to write the changes to: set %s = FILE in "
		     "mkdistro.conf (mkdistro init creates one)", c->key, c->key);
		return -1;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		warn("menuconfig needs a terminal");
		return -1;
	}
	const char *step = build_config_step(c->part);
	if (build_upto(b, step) < 0)
		return -1;
	char *dotconfig = build_dotconfig(b, c->part);
	struct kconfig_set before = {0}, after = {0}, changes = {0};
	int rc = -1;
	if (kconfig_parse_file(dotconfig, &before) < 0)
		goto out;

	char *cwd;
	char **argv = menuconfig_command(b, name, &cwd);
	int st = run_foreground(argv, cwd);
	/* The .config now holds the user's edit, not what the fragments
	 * give: the next build must make it again from the fragments. */
	plan_forget(&b->plan, step);
	build_argv_free(argv);
	free(cwd);
	if (st != 0) {
		warn("menuconfig exited with status %d; nothing written", st);
		goto out;
	}
	if (kconfig_parse_file(dotconfig, &after) < 0)
		goto out;
	struct buf diff = {0};
	int n = kconfig_minimal(&before, &after, &diff);
	if (n == 0) {
		fprintf(stderr, "mkdistro: no change to the %s configuration\n", c->name);
		buf_free(&diff);
		rc = 0;
		goto out;
	}
	if (kconfig_parse(diff.s, "menuconfig changes", &changes) < 0) {
		buf_free(&diff);
		goto out;
	}
	fprintf(stderr, "mkdistro: %d change%s written to '%s':\n%s", n, n == 1 ? "" : "s", fragfile,
		diff.s);
	buf_free(&diff);
	rc = menuconfig_write_back(fragfile, &changes);
out:
	kconfig_free(&before);
	kconfig_free(&after);
	kconfig_free(&changes);
	free(dotconfig);
	return rc;
}

int menuconfig_show(struct build *b, const char *name)
{
	const struct component *c = find(name);
	if (!c)
		return -1;
	struct kconfig_set frag = {0}, final = {0};
	if (build_fragment(b, c->part, &frag) < 0)
		return -1;
	const char *fragfile = fragment_file(b, c);
	printf("# %s fragment in effect: mkdistro's built-in symbols, then %s\n", c->name,
	       fragfile ? fragfile : "(no user fragment)");
	struct buf lines = {0};
	kconfig_lines(&frag, 0, &lines);
	fputs(lines.s ? lines.s : "", stdout);
	buf_free(&lines);
	char *dotconfig = build_dotconfig(b, c->part);
	int rc = 0;
	if (!path_exists(dotconfig)) {
		printf("# not configured yet: run 'mkdistro build' to see the final values\n");
	} else if (kconfig_parse_file(dotconfig, &final) < 0) {
		rc = -1;
	} else {
		int differ = 0;
		for (size_t i = 0; i < frag.n; i++) {
			const char *want = frag.syms[i].value;
			const char *got = kconfig_get(&final, frag.syms[i].name);
			if (!kconfig_same(want, got)) {
				if (!differ++)
					printf("# final values that differ from the fragment:\n");
				printf("#   CONFIG_%s: asked %s, got %s\n", frag.syms[i].name, want,
				       got ? got : "not set");
			}
		}
		if (!differ)
			printf("# every symbol has the value the fragment asks for\n");
		rc = differ ? 1 : 0;
	}
	free(dotconfig);
	kconfig_free(&frag);
	kconfig_free(&final);
	return rc;
}
