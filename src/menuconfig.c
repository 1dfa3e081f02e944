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
	int busybox;
	const char *step;   /* the step that makes its .config */
	const char *objdir; /* under build/ */
	const char *key;    /* config section of its fragment */
};

static const struct component components[] = {
	{ "kernel", 0, "kconfig", "linux", "[linux] fragment" },
	{ "busybox", 1, "bbconfig", "busybox", "[busybox] fragment" },
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

static int cmp_sym(const void *x, const void *y)
{
	const struct kconfig_sym *a = *(const struct kconfig_sym *const *)x;
	const struct kconfig_sym *b = *(const struct kconfig_sym *const *)y;
	return strcmp(a->name, b->name);
}

/* The fragment file FILE with the symbols of CHANGES set, sorted by name,
 * one per line, so that it reads well in a diff. */
static int write_back(const char *file, const struct kconfig_set *changes)
{
	struct kconfig_set frag = {0};
	if (path_exists(file) ? kconfig_parse_file(file, &frag) < 0 : kconfig_parse("", file, &frag) < 0)
		return -1;
	kconfig_merge(&frag, changes);
	const struct kconfig_sym **v = xcalloc(frag.n, sizeof(*v));
	for (size_t i = 0; i < frag.n; i++)
		v[i] = &frag.syms[i];
	if (frag.n)
		qsort(v, frag.n, sizeof(*v), cmp_sym);
	struct buf text = {0};
	for (size_t i = 0; i < frag.n; i++) {
		if (!strcmp(v[i]->value, "n"))
			buf_printf(&text, "# CONFIG_%s is not set\n", v[i]->name);
		else
			buf_printf(&text, "CONFIG_%s=%s\n", v[i]->name, v[i]->value);
	}
	int rc = write_file_atomic(file, text.s ? text.s : "", text.len, 0644);
	free(v);
	buf_free(&text);
	kconfig_free(&frag);
	return rc;
}

int menuconfig_run(struct build *b, const char *name)
{
	const struct component *c = find(name);
	if (!c)
		return -1;
	const char *fragfile = c->busybox ? b->cfg->busybox_fragment : b->cfg->kernel_fragment;
	if (!fragfile) {
		warn("no %s file in the configuration to write the changes to: set %s = FILE in "
		     "mkdistro.conf (mkdistro init creates one)", c->key, c->key);
		return -1;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		warn("menuconfig needs a terminal");
		return -1;
	}
	if (build_upto(b, c->step) < 0)
		return -1;
	char *obj = path_join(b->builddir, c->objdir);
	char *dotconfig = path_join(obj, ".config");
	struct kconfig_set before = {0}, after = {0}, changes = {0};
	int rc = -1;
	if (kconfig_parse_file(dotconfig, &before) < 0)
		goto out;

	char *src = path_join(b->builddir, c->busybox ? "src/busybox" : "src/linux");
	char *o = xasprintf("O=%s", obj);
	char *arch = xasprintf("ARCH=%s", b->arch->kernel_arch);
	char *kernel_argv[] = { "make", "-C", src, o, arch, "menuconfig", NULL };
	char *busybox_argv[] = { "make", "menuconfig", NULL };
	int st = c->busybox ? run_foreground(busybox_argv, obj) : run_foreground(kernel_argv, NULL);
	/* The .config now holds the user's edit, not what the fragments
	 * give: the next build must make it again from the fragments. */
	plan_forget(&b->plan, c->step);
	free(src);
	free(o);
	free(arch);
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
	rc = write_back(fragfile, &changes);
out:
	kconfig_free(&before);
	kconfig_free(&after);
	kconfig_free(&changes);
	free(obj);
	free(dotconfig);
	return rc;
}

int menuconfig_show(struct build *b, const char *name)
{
	const struct component *c = find(name);
	if (!c)
		return -1;
	struct kconfig_set frag = {0}, final = {0};
	if (build_fragment(b, c->busybox, &frag) < 0)
		return -1;
	const char *fragfile = c->busybox ? b->cfg->busybox_fragment : b->cfg->kernel_fragment;
	printf("# %s fragment in effect: mkdistro's built-in symbols, then %s\n", c->name,
	       fragfile ? fragfile : "(no user fragment)");
	for (size_t i = 0; i < frag.n; i++) {
		if (!strcmp(frag.syms[i].value, "n"))
			printf("# CONFIG_%s is not set\n", frag.syms[i].name);
		else
			printf("CONFIG_%s=%s\n", frag.syms[i].name, frag.syms[i].value);
	}
	char *dotconfig = xasprintf("%s/%s/.config", b->builddir, c->objdir);
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
			int same = got ? !strcmp(want, got) : !strcmp(want, "n");
			if (!same) {
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
