#include "lint.h"

#include <archive.h>
#include <archive_entry.h>
#include <gelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "channel.h"
#include "compress.h"
#include "net.h"
#include "share.h"
#include "util.h"

/* Bytes kept of each regular file: enough for an ELF header, its program
 * headers and PT_INTERP, and a #! line, in every file seen in practice. */
#define HEAD_MAX (64 * 1024)
/* The kernel reads at most this much of a #! line (BINPRM_BUF_SIZE). */
#define SHEBANG_MAX 256
/* Symlinks followed while resolving one path (the kernel's MAXSYMLINKS). */
#define LINKS_MAX 40

struct ent {
	char *name;   /* without leading "/" or "./" */
	mode_t mode;  /* type and permissions */
	char *target; /* symlink target */
	unsigned major, minor;
	unsigned char *head; /* first bytes of a regular file */
	size_t nhead;
	int64_t size;
};

struct image {
	struct ent *v;
	size_t n, cap;
	int filter; /* libarchive's filter code of the outer compression */
};

static void add_finding(struct lint_report *r, enum lint_id id, int error, const char *subject,
			const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void add_finding(struct lint_report *r, enum lint_id id, int error, const char *subject,
			const char *fix, const char *fmt, ...)
{
	va_list ap;
	struct buf problem = {0};
	char tmp[1024];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	buf_addstr(&problem, tmp);
	r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
	r->v[r->n++] = (struct lint_finding){
		.id = id, .error = error, .subject = xstrdup(subject),
		.problem = buf_steal(&problem), .fix = xstrdup(fix),
	};
	if (error)
		r->errors++;
}

/* ---- reading the archive ------------------------------------------ */

static char *clean_name(const char *s)
{
	while (*s == '/' || (s[0] == '.' && s[1] == '/'))
		s += *s == '/' ? 1 : 2;
	char *n = xstrdup(s);
	size_t len = strlen(n);
	while (len && n[len - 1] == '/')
		n[--len] = '\0';
	return n;
}

static int ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->name, ((const struct ent *)b)->name);
}

static void image_free(struct image *im)
{
	for (size_t i = 0; i < im->n; i++) {
		free(im->v[i].name);
		free(im->v[i].target);
		free(im->v[i].head);
	}
	free(im->v);
	memset(im, 0, sizeof(*im));
}

/* Read PATH into IM. Returns 0, or -1 with a finding added to R. */
static int image_read(struct image *im, const char *path, struct lint_report *r)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int rc = -1, st;

	memset(im, 0, sizeof(*im));
	archive_read_support_filter_all(a);
	/* All formats, so that a wrong one is named rather than unrecognised. */
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, path, 64 * 1024) != ARCHIVE_OK) {
		add_finding(r, LINT_ARCHIVE, 1, path, "rebuild it: mkdistro build",
			    "cannot read the initramfs: %s", archive_error_string(a));
		goto out;
	}
	while ((st = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		int fmt = archive_format(a);
		if (fmt != ARCHIVE_FORMAT_CPIO_SVR4_NOCRC && fmt != ARCHIVE_FORMAT_CPIO_SVR4_CRC) {
			add_finding(r, LINT_ARCHIVE, 1, path,
				    "write it in the newc format (cpio -H newc)",
				    "the initramfs is a %s archive; the kernel reads only cpio newc",
				    archive_format_name(a));
			goto out;
		}
		const char *name = archive_entry_pathname(e);
		if (!name)
			continue;
		char *n = clean_name(name);
		if (!*n || !strcmp(n, "TRAILER!!!")) {
			free(n);
			continue;
		}
		if (im->n == im->cap) {
			im->cap = im->cap ? 2 * im->cap : 256;
			im->v = xreallocarray(im->v, im->cap, sizeof(*im->v));
		}
		struct ent *x = &im->v[im->n++];
		memset(x, 0, sizeof(*x));
		x->name = n;
		x->mode = archive_entry_mode(e);
		x->size = archive_entry_size(e);
		x->major = (unsigned)archive_entry_rdevmajor(e);
		x->minor = (unsigned)archive_entry_rdevminor(e);
		if (S_ISLNK(x->mode) && archive_entry_symlink(e))
			x->target = xstrdup(archive_entry_symlink(e));
		if (S_ISREG(x->mode) && x->size > 0) {
			size_t want = x->size < HEAD_MAX ? (size_t)x->size : HEAD_MAX;
			x->head = xmalloc(want);
			while (x->nhead < want) {
				la_ssize_t got = archive_read_data(a, x->head + x->nhead,
								   want - x->nhead);
				if (got < 0) {
					add_finding(r, LINT_ARCHIVE, 1, path,
						    "rebuild it: mkdistro build",
						    "the initramfs is damaged at '%s': %s", n,
						    archive_error_string(a));
					goto out;
				}
				if (got == 0)
					break;
				x->nhead += (size_t)got;
			}
		}
		/* Newc hard links: the data comes with the last name; the
		 * kernel links the earlier names to it. */
		if (S_ISREG(x->mode) && x->size == 0 && archive_entry_hardlink(e)) {
			char *t = clean_name(archive_entry_hardlink(e));
			for (size_t i = 0; i + 1 < im->n; i++) {
				if (strcmp(im->v[i].name, t))
					continue;
				x->size = im->v[i].size;
				if (im->v[i].nhead) {
					x->head = xmalloc(im->v[i].nhead);
					memcpy(x->head, im->v[i].head, im->v[i].nhead);
					x->nhead = im->v[i].nhead;
				}
			}
			free(t);
		}
	}
	if (st != ARCHIVE_EOF) {
		add_finding(r, LINT_ARCHIVE, 1, path, "rebuild it: mkdistro build",
			    "the initramfs is damaged: %s", archive_error_string(a));
		goto out;
	}
	im->filter = archive_filter_count(a) > 1 ? archive_filter_code(a, 0) : ARCHIVE_FILTER_NONE;
	/* The kernel applies entries in order, a later one replacing an
	 * earlier one of the same name: keep the last. */
	qsort(im->v, im->n, sizeof(*im->v), ent_cmp);
	size_t k = 0;
	for (size_t i = 0; i < im->n; i++) {
		if (k && !strcmp(im->v[k - 1].name, im->v[i].name)) {
			free(im->v[k - 1].name);
			free(im->v[k - 1].target);
			free(im->v[k - 1].head);
			im->v[k - 1] = im->v[i];
			continue;
		}
		im->v[k++] = im->v[i];
	}
	im->n = k;
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}

static const struct ent *lookup(const struct image *im, const char *name)
{
	struct ent key = {.name = (char *)name};
	return im->n ? bsearch(&key, im->v, im->n, sizeof(*im->v), ent_cmp) : NULL;
}

/* The entry PATH leads to inside the image, following symlinks (absolute
 * ones from the image's root) in every component; NULL if it leads
 * nowhere. */
static const struct ent *resolve(const struct image *im, const char *path)
{
	struct buf cur = {0};  /* resolved prefix, no leading "/" */
	struct buf rest = {0}; /* what is left to walk */
	const struct ent *found = NULL;
	int links = 0;

	buf_addstr(&cur, "");
	buf_addstr(&rest, path);
	for (;;) {
		const char *p = rest.s;
		while (*p == '/')
			p++;
		if (!*p) {
			found = cur.len ? lookup(im, cur.s) : NULL;
			break;
		}
		size_t n = strcspn(p, "/");
		char *comp = xstrndup(p, n);
		char *after = xstrdup(p + n);
		buf_free(&rest);
		buf_addstr(&rest, after);
		free(after);
		if (!strcmp(comp, ".")) {
			free(comp);
			continue;
		}
		if (!strcmp(comp, "..")) {
			char *slash = strrchr(cur.s, '/');
			cur.len = slash ? (size_t)(slash - cur.s) : 0;
			cur.s[cur.len] = '\0';
			free(comp);
			continue;
		}
		size_t old = cur.len;
		if (cur.len)
			buf_addch(&cur, '/');
		buf_addstr(&cur, comp);
		free(comp);
		const struct ent *x = lookup(im, cur.s);
		if (!x)
			break;
		if (S_ISLNK(x->mode)) {
			if (++links > LINKS_MAX || !x->target)
				break;
			char *next = xasprintf("%s/%s", x->target, rest.s);
			buf_free(&rest);
			buf_addstr(&rest, next);
			free(next);
			cur.len = x->target[0] == '/' ? 0 : old;
			cur.s[cur.len] = '\0';
			continue;
		}
		const char *q = rest.s;
		while (*q == '/')
			q++;
		if (*q && !S_ISDIR(x->mode))
			break;
	}
	buf_free(&cur);
	buf_free(&rest);
	return found;
}

/* ---- file checks --------------------------------------------------- */

static int is_elf(const struct ent *x)
{
	return x->nhead >= EI_NIDENT && !memcmp(x->head, ELFMAG, SELFMAG);
}

static int is_script(const struct ent *x)
{
	return x->nhead >= 2 && x->head[0] == '#' && x->head[1] == '!';
}

/* The #! interpreter of X (new memory), or NULL when it names none or
 * when the name runs past what the kernel reads (*TOO_LONG set). */
static char *shebang(const struct ent *x, int *too_long)
{
	size_t lim = x->nhead < SHEBANG_MAX ? x->nhead : SHEBANG_MAX;
	size_t i = 2;

	*too_long = 0;
	while (i < lim && (x->head[i] == ' ' || x->head[i] == '\t'))
		i++;
	size_t start = i;
	while (i < lim && x->head[i] && !strchr(" \t\n\r", x->head[i]))
		i++;
	/* Since Linux 5.0 a name cut by the buffer is refused. */
	if (i == SHEBANG_MAX && x->nhead > SHEBANG_MAX) {
		*too_long = 1;
		return NULL;
	}
	if (i == start)
		return NULL;
	return xstrndup((const char *)x->head + start, i - start);
}

static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_386: return "i386";
	case EM_X86_64: return "x86_64";
	case EM_ARM: return "arm";
	case EM_AARCH64: return "aarch64";
	case EM_RISCV: return "riscv";
	case EM_PPC: return "powerpc";
	case EM_PPC64: return "powerpc64";
	case EM_S390: return "s390";
	case EM_MIPS: return "mips";
	case EM_68K: return "m68k";
	case EM_SH: return "sh";
	case EM_LOONGARCH: return "loongarch";
	default: return "another machine";
	}
}

/* The PT_INTERP path of ELF file E (new memory), or NULL if it has none
 * within the bytes kept. */
static char *elf_interp(Elf *e)
{
	size_t n;
	if (elf_getphdrnum(e, &n) < 0)
		return NULL;
	for (size_t i = 0; i < n && i <= INT_MAX; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph))
			return NULL;
		if (ph.p_type != PT_INTERP)
			continue;
		if (!ph.p_filesz || ph.p_filesz > 4096)
			return NULL;
		Elf_Data *d = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_BYTE);
		return d ? xstrndup(d->d_buf, d->d_size) : NULL;
	}
	return NULL;
}

static void check_elf(const struct lint_target *t, const struct image *im, const struct ent *x,
		      struct lint_report *r)
{
	char subject[PATH_MAX + 2];
	snprintf(subject, sizeof(subject), "/%s", x->name);
	int exec = (x->mode & 0111) != 0;
	/* libelf reads both classes in both byte orders; it only reads the
	 * memory given, so headers cut off by HEAD_MAX are not found. */
	Elf *e = elf_memory((char *)x->head, x->nhead);
	GElf_Ehdr eh;

	/* Only a warning: the kernel checks less than libelf does (not the
	 * version byte, say), so such a file may still run. */
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		add_finding(r, LINT_ELF_BAD, 0, subject, "rebuild it, or remove it from the overlay",
			    "its ELF header cannot be read (%s), so it was not checked",
			    e && elf_kind(e) != ELF_K_ELF ? "unknown class, byte order or version"
							 : elf_errmsg(-1));
		elf_end(e);
		return;
	}
	unsigned machine = eh.e_machine;
	if ((int)machine != t->arch->elf_machine) {
		char fix[256];
		snprintf(fix, sizeof(fix), "build it for %s (compiler %sgcc), or remove it from the "
					   "overlay", t->arch->name,
			 *t->arch->cross_prefix ? t->arch->cross_prefix : "the host's ");
		add_finding(r, LINT_ELF_ARCH, exec, subject, fix,
			    "ELF file for %s (e_machine %u, %d-bit), but the kernel is %s "
			    "(e_machine %d)",
			    machine_name(machine), machine, gelf_getclass(e) == ELFCLASS64 ? 64 : 32,
			    t->arch->name, t->arch->elf_machine);
		elf_end(e);
		return;
	}
	char *interp = elf_interp(e);
	if (interp && !resolve(im, interp)) {
		add_finding(r, LINT_ELF_LOADER, exec, subject,
			    "link it statically (-static; CONFIG_STATIC=y for BusyBox), or add the "
			    "loader and its libraries to the overlay",
			    "dynamically linked, but its loader '%s' is not in the image", interp);
	}
	free(interp);
	elf_end(e);
}

static void check_script(const struct lint_target *t, const struct image *im,
			 const struct ent *x, int is_init, struct lint_report *r)
{
	char subject[PATH_MAX + 2];
	int too_long;
	snprintf(subject, sizeof(subject), "/%s", x->name);
	char *interp = shebang(x, &too_long);
	enum lint_id id = is_init ? LINT_INIT_INTERP : LINT_SCRIPT_INTERP;

	if (too_long) {
		add_finding(r, id, is_init, subject, "shorten the #! line",
			    "its #! line is longer than the %d bytes the kernel reads",
			    SHEBANG_MAX - 1);
	} else if (!interp) {
		add_finding(r, id, is_init, subject, "write the interpreter after #!, e.g. #!/bin/sh",
			    "its #! line names no interpreter");
	} else {
		const struct ent *i = resolve(im, interp);
		if (!i) {
			add_finding(r, id, is_init, subject,
				    "use an interpreter the image has (#!/bin/sh is BusyBox's "
				    "shell), or add it to the overlay",
				    "its #! interpreter '%s' is not in the image", interp);
		} else if (!S_ISREG(i->mode) || !(i->mode & 0111)) {
			add_finding(r, id, is_init, subject,
				    "make the interpreter an executable file (chmod +x in the "
				    "overlay)",
				    "its #! interpreter '%s' is not an executable file", interp);
		}
	}
	free(interp);
}

/* ---- kernel configuration ----------------------------------------- */

/* Unless SYM ("CONFIG_X") is =y in T's kernel configuration, the finding
 * ID: WHY. */
static void need_y(const struct lint_target *t, const char *sym, enum lint_id id, const char *why,
		   struct lint_report *r)
{
	const char *v = kconfig_get(t->kconfig, strncmp(sym, "CONFIG_", 7) ? sym : sym + 7);
	if (v && !strcmp(v, "y"))
		return;
	const char *prefix = strncmp(sym, "CONFIG_", 7) ? "CONFIG_" : "";
	/* A kernel the user gave is not mkdistro's to reconfigure. */
	char *fix = t->kernel_image
			    ? xasprintf("boot a kernel built with %s%s=y instead of '%s'", prefix, sym,
					t->kernel_image)
			    : xasprintf("add %s%s=y to the [linux] fragment", prefix, sym);
	add_finding(r, id, 1, sym, fix, "not enabled in the kernel: %s", why);
	free(fix);
}

/* Whether LINES (one word a line) has the line WORD. */
static int has_line(const char *lines, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = lines; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n'))
		if (strcspn(p, "\n") == n && !strncmp(p, word, n))
			return 1;
	return 0;
}

/* The kernel symbols the system's shares and network need (one per line
 * in SHARE and NET, either NULL): each =y, or =m with a warning that the
 * module must be in the initramfs. One both need is named once. */
static void need_links(const struct lint_target *t, const char *share, const char *net,
		       struct lint_report *r)
{
	const char *lists[2] = { share, net };
	for (size_t i = 0; i < 2; i++) {
		for (const char *p = lists[i]; p && *p;) {
			size_t len = strcspn(p, "\n");
			char *sym = xstrndup(p, len);
			p += len + (p[len] == '\n');
			int both = share && net && has_line(lists[1 - i], sym);
			if (i == 1 && both) {
				free(sym);
				continue;
			}
			enum lint_id id = i == 0 ? LINT_K_SHARE : LINT_K_NET;
			const char *why = both ? "shared directories and the network need it ([system] "
						 "share = yes, net = yes)"
					  : i == 0 ? "shared directories need it ([system] share = yes)"
						   : "the network needs it ([system] net = yes)";
			const char *v = kconfig_get(t->kconfig, sym + 7);
			if (v && !strcmp(v, "m"))
				add_finding(r, id, 0, sym, "put its module in the initramfs ([linux] modules)",
					    "built as a module: %s", why);
			else
				need_y(t, sym, id, why, r);
			free(sym);
		}
	}
}

/* A share or net system gives run -c's command its own ports
 * (channel.h); a kernel without their driver still runs it, over the
 * serial console, so that is a warning. The transport's options are
 * need_links()'s. */
static void check_channel(const struct lint_target *t, struct lint_report *r)
{
	const char *v = kconfig_get(t->kconfig, "VIRTIO_CONSOLE");
	if (v && !strcmp(v, "y"))
		return;
	int module = v && !strcmp(v, "m");
	char *fix = module ? xstrdup("put its module in the initramfs ([linux] modules = "
				     "virtio_console)")
		    : t->kernel_image ? xasprintf("boot a kernel built with CONFIG_VIRTIO_CONSOLE=y "
						  "instead of '%s'", t->kernel_image)
				      : xstrdup("add CONFIG_VIRTIO_CONSOLE=y to the [linux] fragment");
	add_finding(r, LINT_K_CHANNEL, 0, "CONFIG_VIRTIO_CONSOLE", fix,
		    "%s: run -c's output then goes over the serial console (slower, stderr mixed "
		    "into stdout)", module ? "built as a module" : "not enabled in the kernel");
	free(fix);
}

/* The value of the last KEY= word of CMDLINE (new memory), or NULL. */
static char *cmdline_value(const char *cmdline, const char *key)
{
	char *val = NULL;
	size_t k = strlen(key);
	for (const char *p = cmdline ? cmdline : ""; *p;) {
		p += strspn(p, " \t");
		size_t n = strcspn(p, " \t");
		if (n > k && !strncmp(p, key, k)) {
			free(val);
			val = xstrndup(p + k, n - k);
		}
		p += n;
	}
	return val;
}

static void check_console(const struct lint_target *t, struct lint_report *r)
{
	char *con = cmdline_value(t->cmdline, "console=");
	if (!con)
		return;
	con[strcspn(con, ",")] = '\0';
	const char *syms = arch_console_symbols(t->arch, con);
	for (const char *p = syms; p && *p;) {
		size_t len = strcspn(p, "\n");
		char *sym = xstrndup(p, len);
		char why[160];
		snprintf(why, sizeof(why), "the console %s needs its driver built in, or the boot "
					   "shows nothing", con);
		need_y(t, sym, LINT_K_CONSOLE, why, r);
		free(sym);
		p += len + (p[len] == '\n');
	}
	free(con);
}

/* The kernel option that unpacks FILTER, or NULL for none. */
static const char *filter_kconfig(int filter, const char *configured)
{
	if (filter == ARCHIVE_FILTER_NONE)
		return NULL;
	const char *sym = compress_filter_kconfig(filter);
	return sym ? sym : compress_kconfig(configured);
}

/* ---- the whole check ----------------------------------------------- */

void lint_run(const struct lint_target *t, struct lint_report *r)
{
	struct image im;
	int have_image = image_read(&im, t->initrd, r) == 0;
	int scripts = 0, init_script = 0, elves = 0;

	/* A libelf that cannot work shows as each ELF file's error. */
	elf_version(EV_CURRENT);
	char *rdinit = cmdline_value(t->cmdline, "rdinit=");
	const char *init = rdinit ? rdinit : "/init";
	if (have_image) {
		const struct ent *x = resolve(&im, init);
		if (!lookup(&im, init + (*init == '/')) && !x) {
			add_finding(r, LINT_INIT_MISSING, 1, init,
				    "add an executable /init to the overlay (mkdistro writes one "
				    "unless the overlay replaces it)",
				    "not in the initramfs: the kernel skips it and falls back to a "
				    "root device or /sbin/init, or panics");
		} else if (!x) {
			add_finding(r, LINT_INIT_MISSING, 1, init,
				    "make the symbolic link point to a file in the image",
				    "a symbolic link that leads to nothing in the image");
		} else if (!S_ISREG(x->mode)) {
			add_finding(r, LINT_INIT_TYPE, 1, init, "make it an executable file",
				    "not a regular file (mode %06o)", (unsigned)x->mode);
		} else {
			if (!(x->mode & 0111))
				add_finding(r, LINT_INIT_NOT_EXEC, 1, init,
					    "chmod +x it in the overlay",
					    "not executable (mode %04o)", (unsigned)(x->mode & 07777));
			if (is_script(x)) {
				init_script = 1;
				check_script(t, &im, x, 1, r);
			}
		}
		for (size_t i = 0; i < im.n; i++) {
			const struct ent *f = &im.v[i];
			if (!S_ISREG(f->mode))
				continue;
			if (is_elf(f)) {
				elves++;
				check_elf(t, &im, f, r);
			}
			else if (is_script(f) && (f->mode & 0111)) {
				scripts++;
				if (x != f)
					check_script(t, &im, f, 0, r);
			}
		}
		const struct ent *con = lookup(&im, "dev/console");
		if (!con)
			add_finding(r, LINT_CONSOLE_NODE, 1, "/dev/console",
				    "add the character device dev/console (5,1) to the archive "
				    "(mkdistro's initramfs step does)",
				    "missing: the kernel opens it for init's input and output, so "
				    "init would run without a console");
		else if (!S_ISCHR(con->mode) || con->major != 5 || con->minor != 1)
			add_finding(r, LINT_CONSOLE_NODE, 1, "/dev/console",
				    "make it the character device 5,1",
				    "not the character device 5,1 (mode %06o, %u,%u)",
				    (unsigned)con->mode, con->major, con->minor);
	}

	if (!t->kconfig && t->kernel_image && t->kconfig_bad) {
		add_finding(r, LINT_KCONFIG, 1, "kernel configuration",
			    "give the kernel's own with --kernel-config FILE",
			    "%s does not parse (see above): the kernel's options cannot be checked",
			    t->kconfig_bad);
	} else if (!t->kconfig && t->kernel_image) {
		add_finding(r, LINT_KCONFIG, 0, "kernel configuration",
			    "give it with --kernel-config FILE, or put it beside the image as "
			    "config-RELEASE",
			    "could not check the kernel's configuration: none was given, none lies "
			    "beside '%s' (config-RELEASE, .config) and none is embedded in it "
			    "(CONFIG_IKCONFIG)",
			    t->kernel_image);
	} else if (!t->kconfig) {
		add_finding(r, LINT_KCONFIG, 0, "kernel .config", "build the kernel: mkdistro build",
			    "cannot be read: the kernel's options were not checked");
	} else {
		need_y(t, "CONFIG_BLK_DEV_INITRD", LINT_K_INITRD,
		       "the kernel ignores the initramfs", r);
		const char *rd = filter_kconfig(have_image ? im.filter : -1, t->compression);
		if (rd)
			need_y(t, rd, LINT_K_DECOMPRESS,
			       "the initramfs is compressed with what it unpacks", r);
		need_y(t, "CONFIG_BINFMT_ELF", LINT_K_BINFMT_ELF,
		       "no ELF program (BusyBox) can run", r);
		if (!have_image || scripts || init_script)
			need_y(t, "CONFIG_BINFMT_SCRIPT", LINT_K_BINFMT_SCRIPT,
			       init_script ? "/init is a #! script" : "the image has #! scripts", r);
		check_console(t, r);
		/* What the architecture's programs cannot do without. */
		const struct arch_need *need = t->arch->abi_needs;
		for (size_t i = 0; (!have_image || elves) && i < ARCH_MAX_NEEDS && need[i].symbol; i++)
			need_y(t, need[i].symbol, LINT_K_ABI, need[i].why, r);
		char *syms[2] = { t->share ? share_kconfig(t->arch) : NULL,
				  t->net ? net_kconfig(t->arch) : NULL };
		need_links(t, syms[0], syms[1], r);
		free(syms[0]);
		free(syms[1]);
		if (channel_in_system(t->share, t->net))
			check_channel(t, r);
	}
	free(rdinit);
	if (have_image)
		image_free(&im);
}

void lint_print(const struct lint_report *r, FILE *f)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct lint_finding *x = &r->v[i];
		fprintf(f, "mkdistro: check: %s: %s: %s\n    fix: %s\n",
			x->error ? "error" : "warning", x->subject, x->problem, x->fix);
	}
}

const struct lint_finding *lint_find(const struct lint_report *r, enum lint_id id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].id == id)
			return &r->v[i];
	return NULL;
}

void lint_report_free(struct lint_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].subject);
		free(r->v[i].problem);
		free(r->v[i].fix);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}
