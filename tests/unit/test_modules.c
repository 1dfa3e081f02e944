/* Tests for modules: a synthetic lib/modules/RELEASE tree of fake modules
 * (ELF files made with libelf, each with a .modinfo section, the symbols it
 * exports and those it needs, some compressed as .ko.xz, .ko.zst and
 * .ko.gz), selected with what they depend on, staged decompressed, and
 * given a modules.dep by the real depmod; the kernel's make line for the
 * modules, run against a recording fake make. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <fcntl.h>
#include <gelf.h>

#include "compress.h"
#include "modules.h"
#include "steps.h"
#include "testutil.h"
#include "util.h"

#define RELEASE "6.1.0-test"

struct fx {
	struct testdir dir;
	char *tree; /* DIR/lib/modules/RELEASE of the fake modules */
};

/* A fake module at PATH: an x86_64 relocatable ELF file whose .modinfo
 * holds DEPENDS and a vermagic of RELEASE_, which exports the symbol
 * EXPORT (NULL: none) and needs IMPORT (NULL: none), as depmod reads
 * them (__ksymtab_strings, undefined symbols of .symtab). */
static void fake_module(const char *path, const char *depends, const char *release_,
			const char *export, const char *import)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_not_equal(elf_version(EV_CURRENT), EV_NONE);
	Elf *e = elf_begin(fd, ELF_C_WRITE, NULL);
	assert_non_null(e);
	Elf64_Ehdr *eh = elf64_newehdr(e);
	assert_non_null(eh);
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_machine = EM_X86_64;
	eh->e_type = ET_REL;
	eh->e_version = EV_CURRENT;

	struct buf info = {0}, strtab = {0};
	buf_printf(&info, "license=GPL%cdepends=%s%cvermagic=%s SMP mod_unload %c", 0, depends, 0,
		   release_, 0);
	buf_add(&strtab, "", 1);
	Elf64_Sym syms[2] = { { 0 } };
	size_t nsyms = 1;
	if (import) {
		syms[1].st_name = (Elf64_Word)strtab.len;
		syms[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE);
		syms[1].st_shndx = SHN_UNDEF;
		buf_add(&strtab, import, strlen(import) + 1);
		nsyms = 2;
	}
	static const char names[] = "\0.modinfo\0__ksymtab_strings\0.symtab\0.strtab\0.shstrtab";
	struct {
		size_t name;
		const void *data;
		size_t len;
		Elf64_Word type;
		Elf_Type dtype;
	} secs[] = {
		{ 1, info.s, info.len, SHT_PROGBITS, ELF_T_BYTE },
		{ 10, export ? export : "", export ? strlen(export) + 1 : 0, SHT_PROGBITS, ELF_T_BYTE },
		{ 28, syms, nsyms * sizeof(Elf64_Sym), SHT_SYMTAB, ELF_T_SYM },
		{ 36, strtab.s, strtab.len, SHT_STRTAB, ELF_T_BYTE },
		{ 44, names, sizeof(names), SHT_STRTAB, ELF_T_BYTE },
	};
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		Elf_Scn *s = elf_newscn(e);
		Elf_Data *d = elf_newdata(s);
		d->d_buf = (void *)secs[i].data;
		d->d_size = secs[i].len;
		d->d_type = secs[i].dtype;
		d->d_align = secs[i].dtype == ELF_T_SYM ? 8 : 1;
		Elf64_Shdr *sh = elf64_getshdr(s);
		sh->sh_name = (Elf64_Word)secs[i].name;
		sh->sh_type = secs[i].type;
		if (secs[i].type == SHT_SYMTAB) {
			sh->sh_link = 4; /* .strtab */
			sh->sh_info = 1; /* the first global */
			sh->sh_entsize = sizeof(Elf64_Sym);
		}
		if (i == 4)
			eh->e_shstrndx = (Elf64_Half)elf_ndxscn(s);
	}
	assert_true(elf_update(e, ELF_C_WRITE) > 0);
	elf_end(e);
	close(fd);
	buf_free(&info);
	buf_free(&strtab);
}

/* A fake module REL in F's tree; with METHOD (xz, zstd, gzip) compressed
 * into REL, which then ends in that suffix. */
static void put_module(struct fx *f, const char *rel, const char *method, const char *depends,
		       const char *export, const char *import)
{
	char *path = path_join(f->tree, rel);
	char *parent = xstrndup(path, (size_t)(strrchr(path, '/') - path));
	assert_int_equal(mkdir_p(parent, 0755), 0);
	if (!method) {
		fake_module(path, depends, RELEASE, export, import);
	} else {
		char *plain = xasprintf("%s.plain", path);
		fake_module(plain, depends, RELEASE, export, import);
		assert_int_equal(compress_file(plain, path, method), 0);
		unlink(plain);
		free(plain);
	}
	free(parent);
	free(path);
}

/* The tree: a.ko needs b-mod (a dash in its file name), which needs c;
 * c is zstd-compressed, b-mod xz, unrelated gzip; modules.order lists
 * them as the kernel writes it (plain .ko names), modules.builtin one
 * built-in module. */
static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	testdir_enter(&f->dir, "modules");
	f->tree = path_join(f->dir.path, "lib/modules/" RELEASE);
	put_module(f, "kernel/fs/a.ko", NULL, "b_mod", NULL, "b_fn");
	put_module(f, "kernel/lib/b-mod.ko.xz", "xz", "c", "b_fn", "c_fn");
	put_module(f, "kernel/lib/c.ko.zst", "zstd", "", "c_fn", NULL);
	put_module(f, "kernel/drivers/unrelated.ko.gz", "gzip", "", NULL, NULL);
	write_test_file(f->tree, "modules.order",
			"kernel/lib/c.ko\nkernel/lib/b-mod.ko\nkernel/fs/a.ko\nkernel/drivers/unrelated.ko\n");
	write_test_file(f->tree, "modules.builtin", "kernel/fs/ext4/ext4.ko\n");
	/* What modules_install leaves and a copy must not follow. */
	char *link = path_join(f->tree, "build");
	assert_int_equal(symlink("/nonexistent/build", link), 0);
	free(link);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	testdir_leave(&f->dir);
	free(f->tree);
	free(f);
	return 0;
}

/* S's modules as "name rel" lines (new memory). */
static char *listing(const struct modules_set *s)
{
	struct buf b = {0};
	for (size_t i = 0; i < s->n; i++)
		buf_printf(&b, "%s %s\n", s->v[i].name, s->v[i].rel);
	return b.s ? buf_steal(&b) : xstrdup("");
}

/* modules_resolve of NAMES in F's tree must fail, and its message contain
 * each of the NULL-terminated WANTS. */
static void expect_resolve_error(const char *tree, const char *names, ...)
{
	struct modules_set s;
	struct capture c;
	capture_start(&c, 2);
	int rc = modules_resolve(tree, names, &s);
	char *err = capture_end(&c);
	assert_int_equal(rc, -1);
	assert_int_equal(s.n, 0);
	va_list ap;
	va_start(ap, names);
	for (const char *w; (w = va_arg(ap, const char *));)
		if (!strstr(err, w))
			fail_msg("message '%s' lacks '%s'", err, w);
	va_end(ap);
	free(err);
}

/* The named module and everything it depends on, nothing else; names
 * as modprobe takes them ('-' and '_' alike, a .ko suffix ignored). */
static void test_resolve_closure(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *names, *want;
	} cases[] = {
		{ "a", "a kernel/fs/a.ko\nb_mod kernel/lib/b-mod.ko.xz\nc kernel/lib/c.ko.zst\n" },
		{ "b-mod", "b_mod kernel/lib/b-mod.ko.xz\nc kernel/lib/c.ko.zst\n" },
		{ "b_mod", "b_mod kernel/lib/b-mod.ko.xz\nc kernel/lib/c.ko.zst\n" },
		{ "c, unrelated", "unrelated kernel/drivers/unrelated.ko.gz\nc kernel/lib/c.ko.zst\n" },
		{ "c c", "c kernel/lib/c.ko.zst\n" },
		/* None named: all of them (a kernel build's own modules). */
		{ NULL, "unrelated kernel/drivers/unrelated.ko.gz\na kernel/fs/a.ko\n"
			"b_mod kernel/lib/b-mod.ko.xz\nc kernel/lib/c.ko.zst\n" },
		{ "", "unrelated kernel/drivers/unrelated.ko.gz\na kernel/fs/a.ko\n"
		      "b_mod kernel/lib/b-mod.ko.xz\nc kernel/lib/c.ko.zst\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct modules_set s;
		assert_int_equal(modules_resolve(f->tree, cases[i].names, &s), 0);
		char *got = listing(&s);
		assert_string_equal(got, cases[i].want);
		assert_string_equal(s.tree, f->tree);
		for (size_t k = 0; k < s.n; k++)
			assert_string_equal(s.v[k].vermagic, RELEASE " SMP mod_unload ");
		free(got);
		modules_set_free(&s);
	}
}

/* Each error names the module and the tree. */
static void test_resolve_errors(void **state)
{
	struct fx *f = *state;
	expect_resolve_error(f->tree, "a,nosuch", "module 'nosuch' is not in", f->tree, NULL);
	char *missing = path_join(f->dir.path, "missing");
	expect_resolve_error(missing, "a", missing, "No such file", NULL);
	free(missing);

	put_module(f, "kernel/extra/needy.ko", NULL, "c,ghost", NULL, NULL);
	expect_resolve_error(f->tree, "needy", "module 'needy' depends on 'ghost', which is not in",
			     f->tree, NULL);
	put_module(f, "updates/c.ko", NULL, "", NULL, NULL);
	expect_resolve_error(f->tree, "a", "module 'c' is in", "twice", "kernel/lib/c.ko.zst",
			     "updates/c.ko", NULL);
	char *dup = path_join(f->tree, "updates/c.ko");
	unlink(dup);
	free(dup);

	write_test_file(f->tree, "kernel/bad/notelf.ko", "just text\n");
	expect_resolve_error(f->tree, "notelf", "notelf.ko", "not an ELF file", NULL);
	/* Data that is not what its name says, and a cut stream. */
	write_test_file(f->tree, "kernel/bad/fake.ko.xz", "not xz at all\n");
	expect_resolve_error(f->tree, "fake", "fake.ko.xz", "not xz-compressed", NULL);
	char *xz = path_join(f->tree, "kernel/lib/b-mod.ko.xz");
	size_t len;
	char *data = read_file(xz, &len);
	assert_non_null(data);
	write_test_file(f->tree, "kernel/bad/cut.ko.xz", "");
	char *cut = path_join(f->tree, "kernel/bad/cut.ko.xz");
	assert_int_equal(write_file_atomic(cut, data, len / 2, 0644), 0);
	expect_resolve_error(f->tree, "cut", "cut.ko.xz", "cannot decompress", NULL);
	free(cut);
	free(data);
	free(xz);

	/* An ELF file without .modinfo is no module: the section renamed in
	 * the file's section name table. */
	char *elf = path_join(f->tree, "kernel/bad/plain.ko");
	fake_module(elf, "", RELEASE, NULL, NULL);
	data = read_file(elf, &len);
	assert_non_null(data);
	char *name = memmem(data, len, "\0.modinfo\0", 10);
	assert_non_null(name);
	name[2] = 'X';
	assert_int_equal(write_file_atomic(elf, data, len, 0644), 0);
	free(data);
	expect_resolve_error(f->tree, "plain", "plain.ko", "no .modinfo section", NULL);
	free(elf);
}

/* DIR/REL's contents, or NULL when it is missing (new memory). */
static char *slurp(const char *dir, const char *rel)
{
	char *p = path_join(dir, rel);
	char *t = read_file_quiet(p, NULL);
	free(p);
	return t;
}

/* The closure decompressed into DEST/lib/modules/RELEASE, modules.order
 * of what was copied, modules.builtin as it was, and depmod's
 * modules.dep naming exactly those files. */
static void test_stage(void **state)
{
	struct fx *f = *state;
	struct modules_set s;
	char *dest = path_join(f->dir.path, "stage");
	char *log = path_join(f->dir.path, "stage.log");
	assert_int_equal(modules_resolve(f->tree, "a", &s), 0);
	write_test_file(f->dir.path, "stage/old-file", "from an earlier run\n");
	assert_int_equal(modules_stage(&s, RELEASE, dest, log), 0);
	char *mods = path_join(dest, "lib/modules/" RELEASE);

	char *dep = slurp(mods, "modules.dep");
	assert_non_null(dep);
	assert_string_equal(dep, "kernel/lib/c.ko:\n"
				 "kernel/lib/b-mod.ko: kernel/lib/c.ko\n"
				 "kernel/fs/a.ko: kernel/lib/b-mod.ko kernel/lib/c.ko\n");
	char *order = slurp(mods, "modules.order");
	assert_string_equal(order, "kernel/lib/c.ko\nkernel/lib/b-mod.ko\nkernel/fs/a.ko\n");
	char *builtin = slurp(mods, "modules.builtin");
	assert_string_equal(builtin, "kernel/fs/ext4/ext4.ko\n");
	/* Decompressed: an ELF file under the plain name, no compressed one. */
	static const char *const files[] = { "kernel/fs/a.ko", "kernel/lib/b-mod.ko", "kernel/lib/c.ko" };
	for (size_t i = 0; i < 3; i++) {
		char *data = slurp(mods, files[i]);
		assert_non_null(data);
		assert_memory_equal(data, "\177ELF", 4);
		free(data);
	}
	static const char *const absent[] = { "kernel/lib/b-mod.ko.xz", "kernel/lib/c.ko.zst",
					      "kernel/drivers/unrelated.ko", "build" };
	for (size_t i = 0; i < 4; i++) {
		char *p = path_join(mods, absent[i]);
		assert_false(path_exists(p));
		free(p);
	}
	char *old = path_join(dest, "old-file");
	assert_false(path_exists(old));
	free(old);
	char *tmp = xasprintf("%s.tmp", dest);
	assert_false(path_exists(tmp));
	free(tmp);

	/* A tree without modules.order and modules.builtin: the order is the
	 * selection's, the list of built-ins empty. */
	char *o = path_join(f->tree, "modules.order"), *bi = path_join(f->tree, "modules.builtin");
	unlink(o);
	unlink(bi);
	assert_int_equal(modules_stage(&s, RELEASE, dest, log), 0);
	free(order);
	free(builtin);
	order = slurp(mods, "modules.order");
	builtin = slurp(mods, "modules.builtin");
	assert_string_equal(order, "kernel/fs/a.ko\nkernel/lib/b-mod.ko\nkernel/lib/c.ko\n");
	assert_string_equal(builtin, "");

	free(o);
	free(bi);
	free(order);
	free(builtin);
	free(dep);
	free(mods);
	modules_set_free(&s);
	free(dest);
	free(log);
}

/* Modules of another release than the kernel's: an error naming both,
 * and nothing staged. */
static void test_stage_release_mismatch(void **state)
{
	struct fx *f = *state;
	struct modules_set s;
	char *dest = path_join(f->dir.path, "stage");
	char *log = path_join(f->dir.path, "stage.log");
	assert_int_equal(modules_resolve(f->tree, "c", &s), 0);
	struct capture c;
	capture_start(&c, 2);
	int rc = modules_stage(&s, "6.1.176", dest, log);
	char *err = capture_end(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "release '" RELEASE "'"));
	assert_non_null(strstr(err, "'6.1.176'"));
	assert_non_null(strstr(err, f->tree));
	assert_false(path_exists(dest));
	free(err);
	modules_set_free(&s);
	free(dest);
	free(log);
}

/* The inputs of a selection change with the files it copies, not with
 * the others of the tree. */
static void test_inputs(void **state)
{
	struct fx *f = *state;
	char keys[4][SHA256_HEX_LEN + 1];
	for (int round = 0; round < 4; round++) {
		if (round == 2)
			put_module(f, "kernel/drivers/unrelated.ko.gz", "gzip", "c", NULL, NULL);
		if (round == 3)
			put_module(f, "kernel/lib/c.ko.zst", "zstd", "", "c_fn", "other");
		struct step_inputs in = {0};
		modules_inputs(f->tree, "b-mod", &in);
		sha256_hex(in.lines.s, in.lines.len, keys[round]);
		buf_free(&in.lines);
	}
	assert_string_equal(keys[0], keys[1]);
	assert_string_equal(keys[1], keys[2]);
	assert_string_not_equal(keys[2], keys[3]);

	/* A kernel's own modules: only the names count (the kernel's key
	 * covers the rest). */
	struct step_inputs a = {0}, b = {0};
	modules_inputs(NULL, "", &a);
	modules_inputs(NULL, "c", &b);
	assert_string_not_equal(a.lines.s, b.lines.s);
	buf_free(&a.lines);
	buf_free(&b.lines);
}

/* The kernel's make line gets "modules", then "modules_install" with the
 * install directory and stripping; the tree and release come from the
 * object directory's kernel.release. */
static void test_build(void **state)
{
	struct fx *f = *state;
	char *obj = path_join(f->dir.path, "obj");
	char *inst = path_join(f->dir.path, "inst");
	char *log = path_join(f->dir.path, "make.log");
	char *record = path_join(f->dir.path, "make.args");
	write_test_file(obj, "include/config/kernel.release", RELEASE "\n");
	write_test_file(f->dir.path, "inst/stale", "from before\n");
	/* The fake make records its arguments and installs where told. */
	char *script = xasprintf("echo \"$*\" >> '%s'\n"
				 "for a; do case $a in INSTALL_MOD_PATH=*) "
				 "mkdir -p \"${a#*=}/lib/modules/" RELEASE "\";; esac; done\n",
				 record);
	write_test_file(f->dir.path, "make.sh", script);
	char *sh = path_join(f->dir.path, "make.sh");
	char *make[] = { "sh", sh, "-C", "/src", "O=/obj", NULL };
	char *tree = NULL, *release = NULL;
	assert_int_equal(modules_build(make, obj, inst, log, &tree, &release), 0);
	assert_string_equal(release, RELEASE);
	char *want = xasprintf("%s/lib/modules/" RELEASE, inst);
	assert_string_equal(tree, want);
	assert_true(path_exists(tree));
	char *stale = path_join(inst, "stale");
	assert_false(path_exists(stale));
	char *args = read_file(record, NULL);
	char *want_args = xasprintf("-C /src O=/obj modules\n"
				    "-C /src O=/obj modules_install INSTALL_MOD_PATH=%s "
				    "INSTALL_MOD_STRIP=1\n", inst);
	assert_string_equal(args, want_args);

	/* A failing make fails it. */
	free(tree);
	free(release);
	write_test_file(f->dir.path, "make.sh", "exit 2\n");
	struct capture c;
	capture_start(&c, 2);
	assert_int_equal(modules_build(make, obj, inst, log, &tree, &release), -1);
	free(capture_end(&c));
	assert_null(tree);
	assert_null(release);

	free(stale);
	free(args);
	free(want_args);
	free(want);
	free(script);
	free(sh);
	free(obj);
	free(inst);
	free(log);
	free(record);
}

/* The release a kernel build says, without its newline; a missing or bad
 * one is an error. */
static void test_built_release(void **state)
{
	struct fx *f = *state;
	char *obj = path_join(f->dir.path, "obj");
	struct capture c;
	capture_start(&c, 2);
	assert_null(modules_built_release(obj));
	write_test_file(obj, "include/config/kernel.release", "\n");
	assert_null(modules_built_release(obj));
	write_test_file(obj, "include/config/kernel.release", "../../etc\n");
	assert_null(modules_built_release(obj));
	free(capture_end(&c));
	write_test_file(obj, "include/config/kernel.release", "6.1.176-dirty\n");
	char *r = modules_built_release(obj);
	assert_string_equal(r, "6.1.176-dirty");
	free(r);
	free(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve_closure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stage_release_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build, setup, teardown),
		cmocka_unit_test_setup_teardown(test_built_release, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
