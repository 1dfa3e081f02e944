#include "modules.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

/* A module bigger than this, decompressed, is refused: the largest of a
 * distribution's (a GPU driver) is a few tens of MiB. */
#define MODULE_MAX ((size_t)256 << 20)

/* The file name endings of modules, and the libarchive filter that
 * decompresses each (NULL: a plain module). */
static const struct {
	const char *suffix;
	int (*support)(struct archive *);
} kinds[] = {
	{ ".ko", NULL },
	{ ".ko.xz", archive_read_support_filter_xz },
	{ ".ko.zst", archive_read_support_filter_zstd },
	{ ".ko.gz", archive_read_support_filter_gzip },
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* The kind of module file NAME is by its ending, or -1 for none. */
static int module_kind(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < NKINDS; i++) {
		size_t k = strlen(kinds[i].suffix);
		if (n > k && !strcmp(name + n - k, kinds[i].suffix))
			return (int)i;
	}
	return -1;
}

/* REL with its compression suffix dropped: what it is called once
 * decompressed (new memory). */
static char *plain_rel(const char *rel)
{
	int k = module_kind(rel);
	size_t n = strlen(rel);
	if (k > 0)
		n -= strlen(kinds[k].suffix) - strlen(".ko");
	return xstrndup(rel, n);
}

/* modprobe's name of the module file REL ("intel-uncore.ko.xz" ->
 * "intel_uncore"), or of a name as a user writes it (new memory). */
static char *module_name(const char *rel)
{
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	int k = module_kind(base);
	size_t n = strlen(base) - (k >= 0 ? strlen(kinds[k].suffix) : 0);
	char *name = xstrndup(base, n);
	for (char *p = name; *p; p++)
		if (*p == '-')
			*p = '_';
	return name;
}

/* The whole module at PATH, decompressed by its ending, into OUT (the
 * caller's, empty). Returns 0 or -1 after warn(). */
static int module_load(const char *path, struct buf *out)
{
	int k = module_kind(path);
	if (k <= 0) {
		size_t len;
		char *data = read_file(path, &len);
		if (!data)
			return -1;
		free(out->s);
		out->s = data;
		out->len = out->cap = len;
		return 0;
	}
	struct archive *a = archive_read_new();
	if (!a)
		die("out of memory");
	struct archive_entry *e;
	int rc = -1;
	if (kinds[k].support(a) != ARCHIVE_OK || archive_read_support_format_raw(a) != ARCHIVE_OK ||
	    archive_read_open_filename(a, path, 64 * 1024) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		warn("module '%s': cannot decompress it: %s", path, archive_error_string(a));
		goto out;
	}
	if (archive_filter_count(a) < 2) {
		warn("module '%s': its content is not %s-compressed", path, kinds[k].suffix + 4);
		goto out;
	}
	for (;;) {
		const void *p;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(a, &p, &n, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			warn("module '%s': cannot decompress it: %s", path, archive_error_string(a));
			goto out;
		}
		if (n > MODULE_MAX - out->len) {
			warn("module '%s': larger than %zu MiB decompressed", path, MODULE_MAX >> 20);
			goto out;
		}
		buf_add(out, p, n);
	}
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}

/* The .modinfo section of the module image DATA (LEN bytes) into INFO (the
 * caller's), its "key=value" strings each ending in NUL. Returns 0 or -1
 * after warn() naming PATH. */
static int modinfo_of(const char *path, char *data, size_t len, struct buf *info)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		die("libelf: %s", elf_errmsg(-1));
	Elf *e = elf_memory(data, len);
	size_t shstrndx;
	int rc = -1;
	if (!e || elf_kind(e) != ELF_K_ELF || gelf_getclass(e) == ELFCLASSNONE) {
		warn("module '%s': not an ELF file", path);
		goto out;
	}
	if (elf_getshdrstrndx(e, &shstrndx) != 0) {
		warn("module '%s': %s", path, elf_errmsg(-1));
		goto out;
	}
	for (Elf_Scn *s = NULL; (s = elf_nextscn(e, s));) {
		GElf_Shdr sh;
		const char *name;
		if (!gelf_getshdr(s, &sh) || !(name = elf_strptr(e, shstrndx, sh.sh_name)) ||
		    strcmp(name, ".modinfo"))
			continue;
		if (sh.sh_type != SHT_PROGBITS || sh.sh_offset > len || sh.sh_size > len - sh.sh_offset) {
			warn("module '%s': its .modinfo section lies outside the file", path);
			goto out;
		}
		buf_add(info, data + sh.sh_offset, (size_t)sh.sh_size);
		/* Every string ends in NUL, also a last one cut short. */
		buf_addch(info, '\0');
		rc = 0;
		goto out;
	}
	warn("module '%s': no .modinfo section: not a kernel module", path);
out:
	elf_end(e);
	return rc;
}

/* The value of KEY in the .modinfo strings INFO (first one), or NULL.
 * Points into INFO. */
static const char *modinfo_get(const struct buf *info, const char *key)
{
	size_t k = strlen(key);
	for (size_t i = 0; i < info->len; i += strlen(info->s + i) + 1)
		if (!strncmp(info->s + i, key, k) && info->s[i + k] == '=')
			return info->s + i + k + 1;
	return NULL;
}

/* ---- the tree ---- */

/* What a module holds, freed (the struct itself is the caller's). */
static void module_clear(struct module *m)
{
	free(m->name);
	free(m->rel);
	free(m->vermagic);
}

/* A module file found in the tree, and what reading it gave (m.vermagic
 * once read). */
struct found {
	struct module m;
	char *depends; /* its depends= (NULL: not read yet) */
	int selected;
};

struct index {
	const char *tree;
	struct found *v;
	size_t n, cap;
	struct found **by_name; /* sorted by name, then rel */
};

/* Add the module files under TREE/REL (a directory) to IX, in sorted
 * order: real files only, no symlinks followed (modules_install's build
 * and source links point out of the tree). Returns 0 or -1 after warn(). */
static int index_dir(struct index *ix, const char *rel)
{
	char *dir = *rel ? path_join(ix->tree, rel) : xstrdup(ix->tree);
	size_t n;
	char **names = dir_list(dir, NULL, 1, &n);
	int rc = 0;
	if (!names) {
		warn("read '%s':", dir);
		free(dir);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *sub = *rel ? path_join(rel, names[i]) : xstrdup(names[i]);
		char *path = path_join(dir, names[i]);
		struct stat st;
		if (lstat(path, &st) < 0) {
			warn("stat '%s':", path);
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			rc = index_dir(ix, sub);
		} else if (S_ISREG(st.st_mode) && module_kind(names[i]) >= 0) {
			if (ix->n == ix->cap) {
				ix->cap = ix->cap ? 2 * ix->cap : 256;
				ix->v = xreallocarray(ix->v, ix->cap, sizeof(*ix->v));
			}
			ix->v[ix->n++] = (struct found){ .m = { .rel = sub, .name = module_name(sub) } };
			sub = NULL;
		}
		free(sub);
		free(path);
	}
	dir_list_free(names, n);
	free(dir);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	const struct found *x = *(struct found *const *)a, *y = *(struct found *const *)b;
	int c = strcmp(x->m.name, y->m.name);
	return c ? c : strcmp(x->m.rel, y->m.rel);
}

/* The first module of IX called NAME (in the order of by_name), or NULL. */
static struct found **index_find(const struct index *ix, const char *name)
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix->by_name[mid]->m.name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ix->n && !strcmp(ix->by_name[lo]->m.name, name) ? &ix->by_name[lo] : NULL;
}

static void index_free(struct index *ix)
{
	for (size_t i = 0; i < ix->n; i++) {
		module_clear(&ix->v[i].m);
		free(ix->v[i].depends);
	}
	free(ix->v);
	free(ix->by_name);
	memset(ix, 0, sizeof(*ix));
}

/* Read F's .modinfo: its depends= and vermagic=. Returns 0 or -1. */
static int index_read(const struct index *ix, struct found *f)
{
	char *path = path_join(ix->tree, f->m.rel);
	struct buf data = {0}, info = {0};
	int rc = -1;
	if (module_load(path, &data) == 0 && modinfo_of(path, data.s, data.len, &info) == 0) {
		const char *dep = modinfo_get(&info, "depends");
		const char *vm = modinfo_get(&info, "vermagic");
		f->depends = xstrdup(dep ? dep : "");
		f->m.vermagic = vm ? xstrdup(vm) : NULL;
		rc = 0;
	}
	buf_free(&data);
	buf_free(&info);
	free(path);
	return rc;
}

/* Select the module NAME (modprobe's form) of IX and, through a read of
 * its .modinfo, everything it depends on. WANTED_BY names the module
 * that needs it, for messages (NULL: the user asked for it). Returns 0 or
 * -1 after warn(). */
static int select_name(struct index *ix, const char *name, const char *wanted_by)
{
	struct found **p = index_find(ix, name);
	if (!p) {
		if (wanted_by)
			warn("module '%s' depends on '%s', which is not in '%s'", wanted_by, name, ix->tree);
		else
			warn("module '%s' is not in '%s' (names as modprobe takes them: the file name "
			     "without .ko)", name, ix->tree);
		return -1;
	}
	struct found *f = *p;
	if (p + 1 < ix->by_name + ix->n && !strcmp(p[1]->m.name, name)) {
		warn("module '%s' is in '%s' twice: '%s' and '%s'", name, ix->tree, f->m.rel,
		     p[1]->m.rel);
		return -1;
	}
	if (f->selected)
		return 0;
	f->selected = 1;
	if (index_read(ix, f) < 0)
		return -1;
	/* depends= is a comma-separated list of modprobe names; the
	 * recursion ends as every module is selected once. */
	char *deps = xstrdup(f->depends);
	int rc = 0;
	char *save = NULL;
	for (char *d = strtok_r(deps, ",", &save); d && rc == 0; d = strtok_r(NULL, ",", &save)) {
		char *dn = module_name(d);
		rc = select_name(ix, dn, f->m.name);
		free(dn);
	}
	free(deps);
	return rc;
}

int modules_resolve(const char *tree, const char *names, struct modules_set *out)
{
	struct index ix = { .tree = tree };
	int rc = -1;
	memset(out, 0, sizeof(*out));
	struct stat st;
	if (stat(tree, &st) < 0) {
		warn("modules '%s':", tree);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		warn("modules '%s': not a directory", tree);
		return -1;
	}
	if (index_dir(&ix, "") < 0)
		goto out;
	ix.by_name = xcalloc(ix.n + 1, sizeof(*ix.by_name));
	for (size_t i = 0; i < ix.n; i++)
		ix.by_name[i] = &ix.v[i];
	if (ix.n)
		qsort(ix.by_name, ix.n, sizeof(*ix.by_name), by_name);

	char *list = xstrdup(names ? names : "");
	char *save = NULL;
	int any = 0, bad = 0;
	for (char *w = strtok_r(list, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
		char *n = module_name(w);
		any = 1;
		bad |= select_name(&ix, n, NULL) < 0;
		free(n);
	}
	free(list);
	for (size_t i = 0; !any && !bad && i < ix.n; i++)
		bad |= select_name(&ix, ix.v[i].m.name, NULL) < 0;
	if (bad)
		goto out;

	out->tree = xstrdup(tree);
	for (size_t i = 0; i < ix.n; i++) {
		if (!ix.v[i].selected)
			continue;
		out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		out->v[out->n++] = ix.v[i].m;
		ix.v[i].m = (struct module){ 0 };
	}
	rc = 0;
out:
	index_free(&ix);
	return rc;
}

void modules_set_free(struct modules_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		module_clear(&s->v[i]);
	free(s->v);
	free(s->tree);
	memset(s, 0, sizeof(*s));
}

/* ---- staging ---- */

/* kmod's depmod: in $PATH, else where Debian puts it (/usr/sbin, which a
 * user's PATH often lacks), or NULL. */
static const char *depmod_path(void)
{
	static const char *const places[] = { "depmod", "/usr/sbin/depmod", "/sbin/depmod" };
	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++)
		if (have_program(places[i]))
			return places[i];
	return NULL;
}

/* The selected module of S called NAME, or NULL. */
static const struct module *set_find(const struct modules_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

int modules_check_release(const struct modules_set *s, const char *release)
{
	for (size_t i = 0; i < s->n; i++) {
		const char *vm = s->v[i].vermagic;
		size_t n = vm ? strcspn(vm, " ") : 0;
		if (!vm || !n) {
			warn("module '%s/%s' has no vermagic: not a kernel module", s->tree, s->v[i].rel);
			return -1;
		}
		if (strlen(release) != n || strncmp(vm, release, n)) {
			warn("modules '%s' are for release '%.*s' (module '%s'), the kernel's is '%s'",
			     s->tree, (int)n, vm, s->v[i].name, release);
			return -1;
		}
	}
	return 0;
}

/* The files of a tree besides its modules that go with them: modules.order
 * (the order modprobe -a and depmod keep), what is built into the kernel
 * (so that modprobe of one of those succeeds). */
static const char *const tree_files[] = { "modules.order", "modules.builtin",
					  "modules.builtin.modinfo" };

/* TREE's modules.order with only the lines of the modules of S, each as
 * the name it has once decompressed, then the modules of S it does not
 * list (all of them when the tree has none), written to DIR. 0 or -1. */
static int write_order(const struct modules_set *s, const char *dir)
{
	char *from = path_join(s->tree, tree_files[0]);
	char *text = read_file_quiet(from, NULL);
	if (!text && errno != ENOENT) {
		warn("read '%s':", from);
		free(from);
		return -1;
	}
	if (!text)
		text = xstrdup("");
	char *listed = xcalloc(s->n + 1, 1);
	struct buf out = {0};
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *name = module_name(line);
		const struct module *m = set_find(s, name);
		free(name);
		if (m && !listed[m - s->v]) {
			listed[m - s->v] = 1;
			char *rel = plain_rel(m->rel);
			buf_printf(&out, "%s\n", rel);
			free(rel);
		}
	}
	for (size_t i = 0; i < s->n; i++) {
		if (listed[i])
			continue;
		char *rel = plain_rel(s->v[i].rel);
		buf_printf(&out, "%s\n", rel);
		free(rel);
	}
	char *to = path_join(dir, tree_files[0]);
	int rc = write_file_atomic(to, out.s ? out.s : "", out.len, 0644);
	free(to);
	free(from);
	free(text);
	free(listed);
	buf_free(&out);
	return rc;
}

/* The module M of S, decompressed, into DIR. 0 or -1. */
static int copy_module(const struct modules_set *s, const struct module *m, const char *dir)
{
	char *from = path_join(s->tree, m->rel);
	char *rel = plain_rel(m->rel);
	char *to = path_join(dir, rel);
	char *parent = xstrndup(to, (size_t)(strrchr(to, '/') - to));
	struct buf data = {0};
	int rc = -1;
	if (module_load(from, &data) == 0 && mkdir_p(parent, 0755) == 0)
		rc = write_file_atomic(to, data.s ? data.s : "", data.len, 0644);
	buf_free(&data);
	free(from);
	free(rel);
	free(to);
	free(parent);
	return rc;
}

int modules_stage(const struct modules_set *s, const char *release, const char *dest,
		  const char *log)
{
	const char *depmod = depmod_path();
	char *tmp = xasprintf("%s.tmp", dest);
	char *sub = xasprintf("lib/modules/%s", release);
	char *dir = path_join(tmp, sub);
	int rc = -1;

	if (!depmod) {
		modules_need_depmod();
		goto out;
	}
	if (modules_check_release(s, release) < 0 || rm_rf(tmp) < 0 || mkdir_p(dir, 0755) < 0)
		goto out;
	for (size_t i = 0; i < s->n; i++)
		if (copy_module(s, &s->v[i], dir) < 0)
			goto out;
	if (write_order(s, dir) < 0)
		goto out;
	/* The others as they are; empty when the tree has none, as depmod
	 * warns about each that is missing. */
	for (size_t i = 1; i < sizeof(tree_files) / sizeof(tree_files[0]); i++) {
		char *from = path_join(s->tree, tree_files[i]), *to = path_join(dir, tree_files[i]);
		int r = path_exists(from) ? copy_file(from, to) : write_file_atomic(to, "", 0, 0644);
		free(from);
		free(to);
		if (r < 0)
			goto out;
	}
	/* -C /dev/null: no configuration of the host's (search order,
	 * overrides) shapes the guest's modules.dep. */
	char *argv[] = { (char *)depmod, "-C", "/dev/null", "-b", tmp, (char *)release, NULL };
	if (proc_run_logged(argv, NULL, log) < 0 || replace_tree(tmp, dest) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		rm_rf(tmp);
	free(tmp);
	free(sub);
	free(dir);
	return rc;
}

/* ---- a kernel build's modules ---- */

char *modules_built_release(const char *objdir)
{
	char *path = path_join(objdir, "include/config/kernel.release");
	char *text = read_file(path, NULL);
	free(path);
	if (!text)
		return NULL;
	text[strcspn(text, "\n")] = '\0';
	if (!*text || strchr(text, '/')) {
		warn("kernel '%s': bad release '%s' in include/config/kernel.release", objdir, text);
		free(text);
		return NULL;
	}
	return text;
}

/* Run MAKE with the arguments A, B and C (B and C may be NULL). */
static int run_make(char *const *make, const char *log, const char *a, const char *b,
		    const char *c)
{
	size_t n = 0;
	while (make[n])
		n++;
	char **argv = xcalloc(n + 4, sizeof(*argv));
	memcpy(argv, make, n * sizeof(*argv));
	argv[n] = (char *)a;
	argv[n + 1] = (char *)b;
	argv[n + 2] = (char *)c;
	int rc = proc_run_logged(argv, NULL, log);
	free(argv);
	return rc;
}

int modules_build(char *const *make, const char *objdir, const char *installdir, const char *log,
		  char **tree, char **release)
{
	char *path = xasprintf("INSTALL_MOD_PATH=%s", installdir);
	int rc = -1;
	*tree = *release = NULL;
	/* The kernel step made only the boot image; its objects are reused. */
	if (run_make(make, log, "modules", NULL, NULL) < 0 || rm_rf(installdir) < 0 ||
	    run_make(make, log, "modules_install", path, "INSTALL_MOD_STRIP=1") < 0)
		goto out;
	*release = modules_built_release(objdir);
	if (!*release)
		goto out;
	*tree = xasprintf("%s/lib/modules/%s", installdir, *release);
	rc = 0;
out:
	free(path);
	return rc;
}

void modules_inputs(const char *tree, const char *names, struct step_inputs *in)
{
	step_input_str(in, "modules", names ? names : "");
	if (!tree)
		return;
	step_input_str(in, "modules tree", tree);
	struct modules_set s;
	if (modules_resolve(tree, names, &s) < 0) {
		step_input_str(in, "modules selection", "unresolved");
		return;
	}
	for (size_t i = 0; i < s.n; i++) {
		char *path = path_join(tree, s.v[i].rel);
		step_input_file(in, s.v[i].rel, path);
		free(path);
	}
	modules_set_free(&s);
	for (size_t i = 0; i < sizeof(tree_files) / sizeof(tree_files[0]); i++) {
		char *path = path_join(tree, tree_files[i]);
		step_input_file(in, tree_files[i], path);
		free(path);
	}
}

int modules_need_depmod(void)
{
	if (depmod_path())
		return 0;
	warn("'depmod' not found: install the Debian package 'kmod'");
	return -1;
}
