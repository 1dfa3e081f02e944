/* Fuzz target: Kconfig fragments and .config files (kconfig.c), and the
 * explanations of values that did not survive (kdeps.c).
 *
 * The input is a fragment. Whatever it holds, kconfig_parse either
 * refuses it (leaving the set empty) or gives a set where every name is a
 * symbol name, every value one Kconfig can write, and the last setting of
 * a symbol wins. Such a set then has to survive what the build does with
 * it: written as lines by kconfig_minimal and parsed again it is the same
 * set; applied with kconfig_apply to a .config, the file parses and has
 * every value, so kdeps_verify finds no mismatch.
 *
 * An input with a line "%%" is two files: the fragment above it, and a
 * Kconfig file below it. The fragment is then checked against a .config
 * that sets nothing, so each of its symbols that is not "n" is a mismatch
 * that kdeps_verify explains from the Kconfig file: that runs the
 * Kconfig reader and the dependency expression parser and evaluator on
 * arbitrary text. The number of mismatches it returns must be exactly the
 * fragment's symbols that are not "n". */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "kconfig.h"
#include "kdeps.h"

static char *dir;       /* the run's scratch directory */
static char *dotconfig; /* DIR/.config */
static char *tree;      /* DIR/tree: a source tree with one Kconfig file */
static char *kfile;     /* DIR/tree/Kconfig */

/* The start of a kernel .config as olddefconfig writes it. */
static const char base_config[] =
	"#\n"
	"# Automatically generated file; DO NOT EDIT.\n"
	"# Linux/x86 6.1.176 Kernel Configuration\n"
	"#\n"
	"CONFIG_CC_VERSION_TEXT=\"gcc (Debian 12.2.0-14) 12.2.0\"\n"
	"CONFIG_CC_IS_GCC=y\n"
	"CONFIG_GCC_VERSION=120200\n"
	"# CONFIG_64BIT is not set\n"
	"CONFIG_X86_64=y\n"
	"CONFIG_PHYSICAL_START=0x1000000\n"
	"CONFIG_LOG_BUF_SHIFT=17\n"
	"CONFIG_DEFAULT_HOSTNAME=\"(none)\"\n"
	"# CONFIG_PRINTK is not set\n"
	"CONFIG_PRINTK=y\n";

static void setup(void)
{
	dir = fuzz_tmpdir("kconfig");
	dotconfig = path_join(dir, ".config");
	tree = path_join(dir, "tree");
	kfile = path_join(tree, "Kconfig");
	if (mkdir(tree, 0755) < 0)
		abort();
}

static void put(const char *path, const char *text, size_t len)
{
	if (write_file_atomic(path, text, len, 0644) < 0)
		fuzz_fail("cannot write '%s'", path);
}

static int is_n(const char *v)
{
	return !v || !strcmp(v, "n");
}

static void check_value(const struct kconfig_sym *s)
{
	const char *v = s->value;
	size_t n = strlen(v);
	if (!*s->name)
		fuzz_fail("empty symbol name accepted");
	for (const char *c = s->name; *c; c++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_", *c))
			fuzz_fail("symbol name '%s' accepted", s->name);
	if (n == 0)
		fuzz_fail("empty value of CONFIG_%s accepted", s->name);
	if (v[0] == '"') {
		if (n < 2 || v[n - 1] != '"')
			fuzz_fail("unterminated string '%s' accepted", v);
		return;
	}
	if (!strcmp(v, "y") || !strcmp(v, "m") || !strcmp(v, "n"))
		return;
	const char *d = v[0] == '-' ? v + 1 : v;
	const char *digits = "0123456789";
	if (d == v && n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		d = v + 2;
		digits = "0123456789abcdefABCDEF";
	}
	if (!*d)
		fuzz_fail("value '%s' of CONFIG_%s accepted", v, s->name);
	for (; *d; d++)
		if (!strchr(digits, *d))
			fuzz_fail("value '%s' of CONFIG_%s accepted", v, s->name);
}

/* Every symbol of WANT that is not "n" has its value in GOT, and GOT has
 * nothing else that is not "n". */
static void same_set(const char *what, const struct kconfig_set *want, const struct kconfig_set *got)
{
	size_t on = 0, got_on = 0;
	for (size_t i = 0; i < want->n; i++) {
		const struct kconfig_sym *s = &want->syms[i];
		const char *v = kconfig_get(got, s->name);
		if (is_n(s->value)) {
			if (!is_n(v))
				fuzz_fail("%s: CONFIG_%s is %s, not off", what, s->name, v);
			continue;
		}
		on++;
		if (!v || strcmp(v, s->value))
			fuzz_fail("%s: CONFIG_%s is %s, not %s", what, s->name, v ? v : "missing",
				  s->value);
	}
	for (size_t i = 0; i < got->n; i++)
		got_on += !is_n(got->syms[i].value);
	if (got_on != on)
		fuzz_fail("%s: %zu symbols set, expected %zu", what, got_on, on);
}

static void check_set(const struct kconfig_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		check_value(&s->syms[i]);
		if (kconfig_get(s, s->syms[i].name) != s->syms[i].value)
			fuzz_fail("CONFIG_%s is not found by kconfig_get", s->syms[i].name);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->syms[i].name, s->syms[j].name))
				fuzz_fail("CONFIG_%s is in the set twice", s->syms[i].name);
	}

	/* As lines, parsed again: the same set (kconfig_minimal against an
	 * empty base leaves out the symbols that are "n"). */
	struct kconfig_set empty = {0}, again;
	struct buf lines = {0};
	kconfig_minimal(&empty, s, &lines);
	if (kconfig_parse(lines.s ? lines.s : "", "minimal", &again) < 0)
		fuzz_fail("the lines of kconfig_minimal do not parse:\n%s", lines.s);
	same_set("kconfig_minimal", s, &again);
	kconfig_free(&again);
	buf_free(&lines);

	/* Applied to a .config: every value is there, and verify agrees. */
	put(dotconfig, base_config, sizeof(base_config) - 1);
	if (kconfig_apply(dotconfig, s) < 0)
		fuzz_fail("kconfig_apply failed");
	struct kconfig_set applied;
	if (kconfig_parse_file(dotconfig, &applied) < 0)
		fuzz_fail("the .config written by kconfig_apply does not parse");
	for (size_t i = 0; i < s->n; i++) {
		const char *v = kconfig_get(&applied, s->syms[i].name);
		if (is_n(s->syms[i].value) ? !is_n(v) : (!v || strcmp(v, s->syms[i].value)))
			fuzz_fail("after kconfig_apply CONFIG_%s is %s, not %s", s->syms[i].name,
				  v ? v : "missing", s->syms[i].value);
	}
	kconfig_free(&applied);
	int bad = kdeps_verify(dotconfig, s, tree, "fuzz");
	if (bad != 0)
		fuzz_fail("kdeps_verify found %d mismatches after kconfig_apply", bad);
}

/* The fragment against a .config that sets nothing, explained from the
 * Kconfig text KC. */
static void check_explain(const struct kconfig_set *s, const char *kc, size_t len)
{
	static const char none[] = "# Linux/x86 6.1.176 Kernel Configuration\n";
	put(dotconfig, none, sizeof(none) - 1);
	put(kfile, kc, len);
	int want = 0;
	for (size_t i = 0; i < s->n; i++)
		want += !is_n(s->syms[i].value);
	int bad = kdeps_verify(dotconfig, s, tree, "fuzz");
	if (bad != want)
		fuzz_fail("kdeps_verify returned %d, expected %d mismatches", bad, want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir)
		setup();
	/* Text: the parser reads up to a NUL, as read_file gives it. */
	if (memchr(data, '\0', size))
		return 0;
	char *text = xstrndup((const char *)data, size);
	char *kc = NULL;
	size_t kclen = 0;
	char *sep = !strncmp(text, "%%\n", 3) ? text : strstr(text, "\n%%\n");
	if (sep) {
		if (sep != text)
			sep++;
		*sep = '\0';
		kc = sep + 3;
		kclen = strlen(kc);
	}
	fuzz_quiet();
	struct kconfig_set s;
	if (kconfig_parse(text, "fragment", &s) < 0) {
		if (s.n || s.syms || s.file)
			fuzz_fail("a refused fragment left symbols behind");
	} else if (kc) {
		check_explain(&s, kc, kclen);
	} else {
		check_set(&s);
	}
	kconfig_free(&s);
	fuzz_loud();
	free(text);
	return 0;
}
