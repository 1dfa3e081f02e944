#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compress.h"
#include "cpio.h"
#include "devlist.h"
#include "extract.h"
#include "fetch.h"
#include "hash.h"
#include "kconfig.h"
#include "kdiag.h"
#include "kdeps.h"
#include "kimage.h"
#include "manifest.h"
#include "modules.h"
#include "channel.h"
#include "pin.h"
#include "net.h"
#include "proc.h"
#include "programs.h"
#include "qemu.h"
#include "rootfs.h"
#include "share.h"
#include "srctree.h"
#include "timeline.h"
#include "toolchain.h"
#include "usertree.h"

/* What the seed system asks of tinyconfig: a 64-bit kernel (per arch
 * table) with a TTY, printk, an initramfs, ELF and #! programs, the file
 * systems /init mounts, and users. The console driver comes from the arch table,
 * the initramfs decompressor from the chosen compression. */
static const char seed_kernel_fragment[] =
	"CONFIG_TTY=y\n"
	"CONFIG_PRINTK=y\n"
	"CONFIG_BLK_DEV_INITRD=y\n"
	"CONFIG_BINFMT_ELF=y\n"
	"CONFIG_BINFMT_SCRIPT=y\n"
	"CONFIG_DEVTMPFS=y\n"
	"CONFIG_PROC_FS=y\n"
	"CONFIG_SYSFS=y\n"
	"CONFIG_UNIX98_PTYS=y\n"
	/* Owners other than root (the entries list, /etc/passwd users):
	 * without it every file belongs to root whatever the archive says. */
	"CONFIG_MULTIUSER=y\n";

/* BusyBox from defconfig, linked statically against musl. */
static const char seed_busybox_fragment[] = "CONFIG_STATIC=y\n";

/* [linux] debug = yes, on any base: DWARF as the compiler does it by
 * default, and scripts/gdb's helpers (vmlinux-gdb.py in the object tree). */
static const char debug_kernel_fragment[] =
	"CONFIG_DEBUG_KERNEL=y\n"
	"CONFIG_DEBUG_INFO_NONE=n\n"
	"CONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=y\n"
	"CONFIG_DEBUG_INFO_REDUCED=n\n"
	"CONFIG_GDB_SCRIPTS=y\n";

/* The outputs booted, as the step table writes them. */
#define KERNEL_OUTPUT "out/vmlinuz"
#define INITRD_OUTPUT "out/initrd.img"
/* The two archives out/initrd.img is made of: the root file system, and
 * the modules (empty without any). */
#define ROOT_ARCHIVE "build/initramfs.img"
#define MODULES_ARCHIVE "build/modules.img"


static char *bpath(const struct build *b, const char *rel)
{
	return path_join(b->builddir, rel);
}

/* Where each part is built, under build/. */
static const struct part {
	const char *src;         /* its unpacked sources */
	const char *obj;         /* its object directory */
	const char *config_step; /* the step that makes OBJ/.config */
} parts[] = {
	[BUILD_KERNEL] = { "src/linux", "linux", "kconfig" },
	[BUILD_BUSYBOX] = { "src/busybox", "busybox", "bbconfig" },
};

char *build_srcdir(const struct build *b, enum build_part part)
{
	if (part == BUILD_KERNEL && b->cfg->linux_source)
		return xstrdup(b->cfg->linux_source);
	return build_catalog_srcdir(b, part);
}

char *build_catalog_srcdir(const struct build *b, enum build_part part)
{
	return bpath(b, parts[part].src);
}

char *build_objdir(const struct build *b, enum build_part part)
{
	return bpath(b, parts[part].obj);
}

char *build_dotconfig(const struct build *b, enum build_part part)
{
	char *obj = build_objdir(b, part);
	char *path = path_join(obj, ".config");
	free(obj);
	return path;
}

const char *build_config_step(enum build_part part)
{
	return parts[part].config_step;
}

char *build_sysroot(const struct build *b)
{
	return bpath(b, "sysroot");
}

/* Whether the kernel's base configuration is tinyconfig (the default). */
static int tinyconfig_base(const struct build *b)
{
	return !b->cfg->linux_config || !strcmp(b->cfg->linux_config, "tinyconfig");
}

/* The kernel fragment in effect: on tinyconfig the seed, architecture and
 * decompressor, and what shares and the network need when asked; on any
 * base the debug information when asked; then the user's fragment (which
 * wins). */
static int kernel_fragment(const struct build *b, struct kconfig_set *out)
{
	struct kconfig_set user = {0};
	memset(out, 0, sizeof(*out));
	/* defconfig and a .config of the user's are taken as they are: only
	 * the user's fragment goes on top (mkdistro check says what the
	 * system would miss). */
	if (tinyconfig_base(b)) {
		char *text = xasprintf("%s%s", seed_kernel_fragment, b->arch->kconfig);
		int rc = kconfig_parse(text, "built-in kernel fragment", out);
		free(text);
		if (rc < 0)
			return -1;
		for (size_t i = 0; compress_kernel_symbol(i); i++)
			kconfig_put(out, compress_kernel_symbol(i),
				    strcmp(compress_kernel_method(i), b->cfg->compression) ? "n" : "y", 0);
		/* What the system's configuration asks for, only then: the
		 * default kernel stays as small as it is. */
		struct buf links_text = {0};
		char *feature[3] = { b->cfg->share ? share_kconfig(b->arch) : NULL,
				     b->cfg->net ? net_kconfig(b->arch) : NULL,
				     channel_in_system(b->cfg->share, b->cfg->net)
					     ? channel_kconfig(b->arch) : NULL };
		for (size_t i = 0; i < 3; i++)
			for (const char *p = feature[i]; p && *p; p += strcspn(p, "\n") + 1)
				buf_printf(&links_text, "%.*s=y\n", (int)strcspn(p, "\n"), p);
		if (b->cfg->net)
			buf_addstr(&links_text, net_kconfig_trim());
		struct kconfig_set links = {0};
		rc = kconfig_parse(links_text.s ? links_text.s : "", "built-in share and net fragment",
				   &links);
		if (rc == 0)
			kconfig_merge(out, &links);
		kconfig_free(&links);
		buf_free(&links_text);
		for (size_t i = 0; i < 3; i++)
			free(feature[i]);
		if (rc < 0) {
			kconfig_free(out);
			return -1;
		}
	}
	if (b->cfg->debug) {
		struct kconfig_set debug = {0};
		if (kconfig_parse(debug_kernel_fragment, "built-in debug fragment", &debug) < 0) {
			kconfig_free(out);
			return -1;
		}
		kconfig_merge(out, &debug);
		kconfig_free(&debug);
	}
	if (b->cfg->kernel_fragment) {
		if (kconfig_parse_file(b->cfg->kernel_fragment, &user) < 0) {
			kconfig_free(out);
			return -1;
		}
		kconfig_merge(out, &user);
		kconfig_free(&user);
	}
	return 0;
}

/* Whether kernel version V ("6.12.95") is MAJOR.MINOR or later. */
static int kernel_at_least(const char *v, int major, int minor)
{
	int a = 0, b = 0;
	if (sscanf(v, "%d.%d", &a, &b) < 1)
		return 0;
	return a > major || (a == major && b >= minor);
}

static int busybox_fragment(const struct build *b, struct kconfig_set *out)
{
	struct kconfig_set user = {0};
	if (kconfig_parse(seed_busybox_fragment, "built-in BusyBox fragment", out) < 0)
		return -1;
	/* BusyBox's tc (1.35.0 and 1.37.0 alike) uses the CBQ scheduler's
	 * structures, which the kernel's headers dropped in 6.8: it does
	 * not compile against them (measured with 6.12.95). The user's
	 * fragment may still ask for it. */
	if (kernel_at_least(b->linux_src->version, 6, 8))
		kconfig_put(out, "TC", "n", 0);
	if (b->cfg->busybox_fragment) {
		if (kconfig_parse_file(b->cfg->busybox_fragment, &user) < 0) {
			kconfig_free(out);
			return -1;
		}
		kconfig_merge(out, &user);
		kconfig_free(&user);
	}
	return 0;
}

/* "-jN", or NULL when the plan's job server hands out the jobs. */
static char *jobs_arg(const struct build *b)
{
	return plan_jobserver_active() ? NULL : xasprintf("-j%d", b->jobs);
}

/* Drop the NULL entries of the N-element V (optional arguments) and
 * terminate it; V must have room for N+1. */
static char **compact(char **v, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i])
			v[k++] = v[i];
	v[k] = NULL;
	return v;
}

/* ---- steps ---- */

static void source_inputs(struct step_inputs *in, const struct source *s)
{
	step_input_str(in, "name", s->name);
	step_input_str(in, "version", s->version);
	for (size_t i = 0; i < s->norigins; i++)
		step_input_str(in, "sha256", s->origins[i].sha256);
}

static int extract_one(struct build *b, const struct source *s, const char *log)
{
	char *archive = fetch_source(s, b->cachedir, b->offline);
	if (!archive)
		return -1;
	char *rel = path_join("src", s->name);
	char *dest = bpath(b, rel);
	char *srcdir = bpath(b, "src");
	int rc = -1;
	if (mkdir_p(srcdir, 0755) == 0 && rm_rf(dest) == 0)
		rc = extract_archive(archive, dest, s->topdir);
	free(archive);
	free(rel);
	free(dest);
	free(srcdir);
	return rc;
}

static void linux_src_inputs(void *ctx, struct step_inputs *in)
{
	source_inputs(in, ((struct build *)ctx)->linux_src);
}
/* The kernel's tree is shared (srctree.h); where it cannot be, it is
 * unpacked into the build directory as the other sources are. */
static int linux_src_run(void *ctx, const char *log)
{
	struct build *b = ctx;
	/* The catalog's tree, also with [linux] source: the headers come
	 * from it, and the user's tree is never written to. */
	char *dest = build_catalog_srcdir(b, BUILD_KERNEL);
	int rc = srctree_link(b->linux_src, b->cachedir, b->offline, dest, log);
	free(dest);
	return rc > 0 ? extract_one(b, b->linux_src, log) : rc;
}
static void musl_src_inputs(void *ctx, struct step_inputs *in)
{
	source_inputs(in, ((struct build *)ctx)->musl_src);
}
static int musl_src_run(void *ctx, const char *log)
{
	struct build *b = ctx;
	return extract_one(b, b->musl_src, log);
}
static void busybox_src_inputs(void *ctx, struct step_inputs *in)
{
	source_inputs(in, ((struct build *)ctx)->busybox_src);
}
static int busybox_src_run(void *ctx, const char *log)
{
	struct build *b = ctx;
	return extract_one(b, b->busybox_src, log);
}

/* The host compiler takes part in every compiled output. Asked once per
 * compiler (the architecture's prefix), as several steps need it. */
static void compiler_inputs(const struct build *b, struct step_inputs *in)
{
	char *gcc = xasprintf("%sgcc", b->arch->cross_prefix);
	const char *version = toolchain_gcc_version(gcc);
	free(gcc);
	if (!version)
		version = "unknown";
	step_input_str(in, "compiler", version);
	step_input_str(in, "arch", b->arch->name);
	step_input_str(in, "target cflags", b->arch->target_cflags ? b->arch->target_cflags : "");
}

/* The user's tree's state, walked at the first call for B (build.h). */
static void tree_state(struct build *b)
{
	if (b->tree_walked)
		return;
	if (usertree_state(b->cfg->linux_source, b->tree_all, b->tree_kconfig) < 0) {
		snprintf(b->tree_all, sizeof(b->tree_all), "unreadable");
		snprintf(b->tree_kconfig, sizeof(b->tree_kconfig), "unreadable");
	}
	b->tree_walked = 1;
}

static void kconfig_inputs(void *ctx, struct step_inputs *in)
{
	struct build *b = ctx;
	struct kconfig_set frag = {0};
	struct buf text = {0};
	compiler_inputs(b, in);
	if (kernel_fragment(b, &frag) == 0) {
		for (size_t i = 0; i < frag.n; i++)
			buf_printf(&text, "%s=%s\n", frag.syms[i].name, frag.syms[i].value);
		kconfig_free(&frag);
	} else {
		buf_addstr(&text, "unreadable");
	}
	step_input_str(in, "kernel fragment", text.s);
	buf_free(&text);
	/* Only when they are not the defaults, so that the catalog's kernel
	 * on tinyconfig keeps its keys. */
	if (!tinyconfig_base(b)) {
		if (!strcmp(b->cfg->linux_config, "defconfig"))
			step_input_str(in, "kernel base", "defconfig");
		else
			step_input_file(in, "kernel base", b->cfg->linux_config);
	}
	if (b->cfg->linux_source) {
		step_input_str(in, "linux tree", b->cfg->linux_source);
		tree_state(b);
		step_input_str(in, "linux tree Kconfig", b->tree_kconfig);
	}
}

/* The kernel's make line for the tree SRC (new memory). */
static char **kernel_make_in(const struct build *b, char *src, const char *objdir, const char *target,
			     const char *extra)
{
	char *v[] = {
		xstrdup("make"),
		xstrdup("-C"),
		src,
		xasprintf("O=%s", objdir),
		xasprintf("ARCH=%s", b->arch->kernel_arch),
		xasprintf("CROSS_COMPILE=%s", b->arch->cross_prefix),
		jobs_arg(b),
		b->cfg->ccache ? xasprintf("CC=ccache %sgcc", b->arch->cross_prefix) : NULL,
		target ? xstrdup(target) : NULL,
		extra ? xstrdup(extra) : NULL,
	};
	size_t n = sizeof(v) / sizeof(v[0]);
	char **argv = xcalloc(n + 1, sizeof(*argv));
	memcpy(argv, v, sizeof(v));
	return compact(argv, n);
}

char **build_kernel_make(const struct build *b, const char *objdir, const char *target,
			 const char *extra)
{
	return kernel_make_in(b, build_srcdir(b, BUILD_KERNEL), objdir, target, extra);
}

void build_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

static int make_kernel(const struct build *b, const char *log, const char *objdir,
		       const char *target, const char *extra)
{
	char **argv = build_kernel_make(b, objdir, target, extra);
	int rc = proc_run_logged(argv, NULL, log);
	build_argv_free(argv);
	return rc;
}

/* Make OBJ the kernel's object directory for the tree SRC. Objects of
 * another tree (the catalog's, or another of the user's) are removed
 * first: kbuild would take some of them as up to date. */
static int objdir_for(const struct build *b, const char *obj, const char *src, const char *log)
{
	char *mark = path_join(obj, ".mkdistro-source");
	char *pinned = build_catalog_srcdir(b, BUILD_KERNEL);
	size_t n;
	char *was = read_file_quiet(mark, &n);
	/* A directory without the mark was made before it existed, from the
	 * catalog's tree. */
	const char *from = was ? was : pinned;
	int rc = 0;
	if (path_exists(obj) && strcmp(from, src)) {
		FILE *f = fopen(log, "a");
		if (f) {
			fprintf(f, "mkdistro: %s was built from %s: removed for %s\n", obj, from, src);
			fclose(f);
		}
		rc = rm_rf(obj);
	}
	if (rc == 0 && (rc = mkdir_p(obj, 0755)) == 0 && (!was || strcmp(was, src)))
		rc = write_file_atomic(mark, src, strlen(src), 0644);
	free(mark);
	free(pinned);
	free(was);
	return rc;
}

static int kconfig_run(void *ctx, const char *log)
{
	struct build *b = ctx;
	struct kconfig_set frag = {0};
	char *obj = build_objdir(b, BUILD_KERNEL);
	char *dotconfig = build_dotconfig(b, BUILD_KERNEL);
	char *src = build_srcdir(b, BUILD_KERNEL);
	int rc = -1;

	if (kernel_fragment(b, &frag) < 0 || objdir_for(b, obj, src, log) < 0)
		goto out;
	/* The object tree is kept: only the configuration is redone, so a
	 * changed option costs an incremental build, not a full one. */
	const char *base = b->cfg->linux_config ? b->cfg->linux_config : "tinyconfig";
	int based = base[0] == '/' ? copy_file(base, dotconfig) : make_kernel(b, log, obj, base, NULL);
	if (based != 0 || kconfig_apply(dotconfig, &frag) < 0 ||
	    make_kernel(b, log, obj, "olddefconfig", NULL) != 0) {
		kdiag_report(log);
		goto out;
	}
	int bad = kdeps_verify(dotconfig, &frag, src, "kernel");
	if (bad != 0) {
		if (bad > 0)
			warn("%d requested kernel option%s did not survive olddefconfig; fix the "
			     "fragment or enable what they depend on", bad, bad == 1 ? "" : "s");
		goto out;
	}
	rc = 0;
out:
	kconfig_free(&frag);
	free(obj);
	free(dotconfig);
	free(src);
	return rc;
}

/* The kernel embeds its build time, user and host: build_init pins them
 * (from SOURCE_DATE_EPOCH), and they are inputs like any other. */
static void kernel_inputs(void *ctx, struct step_inputs *in)
{
	static const char *const vars[] = { "KBUILD_BUILD_TIMESTAMP", "KBUILD_BUILD_USER",
					    "KBUILD_BUILD_HOST" };
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		step_input_str(in, vars[i], getenv(vars[i]));
	/* The user's tree: any edit makes the step run, and kbuild, which
	 * knows what depends on what, rebuilds what it must. */
	struct build *b = ctx;
	if (b->cfg->linux_source) {
		tree_state(b);
		step_input_str(in, "linux tree files", b->tree_all);
	}
}

/* Under build/: what the user's tree was when its kernel was built. */
#define TREE_RECORD "linux-tree.txt"

static int kernel_run(void *ctx, const char *log)
{
	struct build *b = ctx;
	char *obj = build_objdir(b, BUILD_KERNEL);
	char *image = path_join(obj, b->arch->kernel_image);
	char *out = build_kernel_path(b);
	int rc = -1;
	if (make_kernel(b, log, obj, b->arch->kernel_target, NULL) != 0)
		kdiag_report(log);
	else if (mkdir_p(b->outdir, 0755) == 0)
		rc = copy_file(image, out);
	if (rc == 0 && b->cfg->linux_source) {
		/* What the kernel was built from, for status and the manifest. */
		char *text = usertree_describe(b->cfg->linux_source);
		char *path = bpath(b, TREE_RECORD);
		rc = write_file_atomic(path, text, strlen(text), 0644);
		free(path);
		free(text);
	}
	free(obj);
	free(image);
	free(out);
	return rc;
}

static void headers_inputs(void *ctx, struct step_inputs *in)
{
	step_input_str(in, "arch", ((struct build *)ctx)->arch->name);
}

static int headers_run(void *ctx, const char *log)
{
	struct build *b = ctx;
	char *obj = bpath(b, "linux-headers");
	char *dest = bpath(b, "kheaders");
	char *hdr = xasprintf("INSTALL_HDR_PATH=%s", dest);
	int rc = -1;
	/* Always the catalog's tree, also when the kernel is the user's: the
	 * kernel's interface to programs only grows, so musl and BusyBox
	 * built once against it run on any later kernel, and are not rebuilt
	 * whenever the user's tree changes. */
	if (rm_rf(dest) == 0 && mkdir_p(obj, 0755) == 0) {
		char **argv = kernel_make_in(b, build_catalog_srcdir(b, BUILD_KERNEL), obj, "headers_install", hdr);
		rc = proc_run_logged(argv, NULL, log);
		build_argv_free(argv);
	}
	free(obj);
	free(dest);
	free(hdr);
	return rc;
}

static void musl_inputs(void *ctx, struct step_inputs *in)
{
	compiler_inputs(ctx, in);
}

static int musl_run(void *ctx, const char *log)
{
	struct build *b = ctx;
	char *obj = bpath(b, "musl");
	char *sysroot = build_sysroot(b);
	char *configure = bpath(b, "src/musl/configure");
	char *target = xasprintf("--target=%s", b->arch->musl_target);
	char *cross = xasprintf("CROSS_COMPILE=%s", b->arch->cross_prefix);
	char *cc = xasprintf("CC=%s%sgcc", b->cfg->ccache ? "ccache " : "", b->arch->cross_prefix);
	char *destdir = xasprintf("DESTDIR=%s", sysroot);
	char *cflags = b->arch->target_cflags ? xasprintf("CFLAGS=%s", b->arch->target_cflags) : NULL;
	char *j = jobs_arg(b);
	int rc = -1;

	if (rm_rf(obj) < 0 || rm_rf(sysroot) < 0 || mkdir_p(obj, 0755) < 0)
		goto out;
	/* Static only: everything on the target is linked statically. */
	char *conf[] = { configure, "--prefix=/usr", "--disable-shared", target, cross, cc, cflags,
			 NULL };
	char *make[] = { "make", j, NULL };
	char *install[] = { "make", "install", destdir, NULL };
	if (proc_run_logged(compact(conf, 7), obj, log) < 0 ||
	    proc_run_logged(compact(make, 2), obj, log) < 0 || proc_run_logged(install, obj, log) < 0)
		goto out;
	rc = 0;
out:
	free(obj);
	free(sysroot);
	free(configure);
	free(target);
	free(cross);
	free(cc);
	free(cflags);
	free(destdir);
	free(j);
	return rc;
}

static void toolchain_inputs(void *ctx, struct step_inputs *in)
{
	struct build *b = ctx;
	step_input_str(in, "arch", b->arch->name);
	step_input_str(in, "builddir", b->builddir);
}

static int toolchain_run(void *ctx, const char *log)
{
	struct build *b = ctx;
	char *sysroot = build_sysroot(b);
	char *kh = bpath(b, "kheaders/include");
	int rc = toolchain_write(b->arch, sysroot, kh);
	free(sysroot);
	free(kh);
	return rc;
}

static void bbconfig_inputs(void *ctx, struct step_inputs *in)
{
	struct build *b = ctx;
	struct kconfig_set frag = {0};
	struct buf text = {0};
	if (busybox_fragment(b, &frag) == 0) {
		for (size_t i = 0; i < frag.n; i++)
			buf_printf(&text, "%s=%s\n", frag.syms[i].name, frag.syms[i].value);
		kconfig_free(&frag);
	} else {
		buf_addstr(&text, "unreadable");
	}
	step_input_str(in, "busybox fragment", text.s);
	buf_free(&text);
}

static int bbconfig_run(void *ctx, const char *log)
{
	struct build *b = ctx;
	struct kconfig_set frag = {0};
	char *obj = build_objdir(b, BUILD_BUSYBOX);
	char *src = build_srcdir(b, BUILD_BUSYBOX);
	char *o = xasprintf("O=%s", obj);
	char *dotconfig = build_dotconfig(b, BUILD_BUSYBOX);
	int rc = -1;

	if (busybox_fragment(b, &frag) < 0 || mkdir_p(obj, 0755) < 0)
		goto out;
	char *defconfig[] = { "make", "-C", src, o, "defconfig", NULL };
	char *oldconfig[] = { "make", "oldconfig", NULL };
	/* oldconfig reads answers from stdin, which is /dev/null: new
	 * symbols take their defaults. */
	if (proc_run_logged(defconfig, NULL, log) < 0 || kconfig_apply(dotconfig, &frag) < 0 ||
	    proc_run_logged(oldconfig, obj, log) < 0)
		goto out;
	/* BusyBox generates most Config.in files into the object tree; the
	 * top ones stay in the source tree. */
	char *trees = xasprintf("%s:%s", src, obj);
	int bad = kdeps_verify(dotconfig, &frag, trees, "BusyBox");
	free(trees);
	if (bad != 0) {
		if (bad > 0)
			warn("%d requested BusyBox option%s did not survive oldconfig", bad,
			     bad == 1 ? "" : "s");
		goto out;
	}
	rc = 0;
out:
	kconfig_free(&frag);
	free(obj);
	free(src);
	free(o);
	free(dotconfig);
	return rc;
}

static int busybox_run(void *ctx, const char *log)
{
	struct build *b = ctx;
	char *obj = build_objdir(b, BUILD_BUSYBOX);
	char *sysroot = build_sysroot(b);
	char *wrapper = toolchain_cc(sysroot);
	char *cc = xasprintf("CC=%s%s", b->cfg->ccache ? "ccache " : "", wrapper);
	char *dest = bpath(b, "busybox-install");
	char *prefix = xasprintf("CONFIG_PREFIX=%s", dest);
	/* For the target's strip; CC is the musl wrapper. */
	char *cross = xasprintf("CROSS_COMPILE=%s", b->arch->cross_prefix);
	char *j = jobs_arg(b);
	int rc = -1;

	char *make[] = { "make", cross, cc, j, NULL };
	char *install[] = { "make", cross, cc, prefix, "install", NULL };
	if (proc_run_logged(compact(make, 4), obj, log) < 0 || rm_rf(dest) < 0 ||
	    proc_run_logged(install, obj, log) < 0)
		goto out;
	rc = 0;
out:
	free(obj);
	free(sysroot);
	free(wrapper);
	free(cc);
	free(dest);
	free(prefix);
	free(cross);
	free(j);
	return rc;
}

static void programs_step_inputs(void *ctx, struct step_inputs *in)
{
	programs_inputs(((struct build *)ctx)->cfg, in);
}

static int programs_run(void *ctx, const char *log)
{
	struct build *b = ctx;
	char *src = programs_dir(b->cfg);
	char *dest = bpath(b, "programs");
	char *sysroot = build_sysroot(b);
	char *cc = toolchain_cc(sysroot);
	int rc = programs_build(src, cc, dest, log);
	free(src);
	free(dest);
	free(sysroot);
	free(cc);
	return rc;
}

static void rootfs_inputs(void *ctx, struct step_inputs *in)
{
	struct build *b = ctx;
	char *gen = rootfs_generated_text(b->cfg);
	step_input_str(in, "generated files", gen);
	free(gen);
	step_input_tree(in, "overlay", b->cfg->overlay);
}

static int rootfs_run(void *ctx, const char *log)
{
	struct build *b = ctx;
	char *bb = bpath(b, "busybox-install");
	char *dest = bpath(b, "rootfs");
	char *progs = bpath(b, "programs");
	int rc = rootfs_stage(b->cfg, bb, progs, dest);
	free(progs);
	free(bb);
	free(dest);
	return rc;
}

/* One fixed time stamp for everything in the image: SOURCE_DATE_EPOCH. */
static long long source_date_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	return s ? strtoll(s, NULL, 10) : 0;
}

static void initramfs_inputs(void *ctx, struct step_inputs *in)
{
	struct build *b = ctx;
	char epoch[32];
	snprintf(epoch, sizeof(epoch), "%lld", source_date_epoch());
	step_input_str(in, "compression", b->cfg->compression);
	step_input_file(in, "entries", b->cfg->entries);
	step_input_str(in, "SOURCE_DATE_EPOCH", epoch);
}

/* The tree ROOT and the NEXTRA entries EXTRA as the cpio archive
 * build/NAME.cpio (kept for a look at it), compressed into OUT as the
 * configuration says. */
static int pack_tree(const struct build *b, const char *root, const struct cpio_entry *extra,
		     size_t nextra, const char *name, const char *out)
{
	char *base = xasprintf("%s.cpio", name);
	char *cpio = bpath(b, base);
	int rc = -1;
	int fd = open(cpio, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		warn("create '%s':", cpio);
		goto out;
	}
	rc = cpio_write_tree(fd, root, source_date_epoch(), extra, nextra);
	if (close(fd) < 0 && rc == 0) {
		warn("close '%s':", cpio);
		rc = -1;
	}
	if (rc == 0)
		rc = compress_file(cpio, out, b->cfg->compression);
out:
	free(base);
	free(cpio);
	return rc;
}

static char *layout_path(const struct build *b, const char *path);

static int initramfs_run(void *ctx, const char *log)
{
	struct build *b = ctx;
	char *root = bpath(b, "rootfs");
	char *out = layout_path(b, ROOT_ARCHIVE);
	int rc = -1;
	/* /dev/console must exist before devtmpfs is mounted: the kernel
	 * opens it for init's stdin/stdout. Written into the archive
	 * directly, so no root is needed to create the node. */
	static const struct cpio_entry base[] = {
		{ .path = "dev", .mode = S_IFDIR | 0755 },
		{ .path = "dev/console", .mode = S_IFCHR | 0600, .major = 5, .minor = 1 },
	};
	struct devlist list = {0};
	if (b->cfg->entries && devlist_load(b->cfg->entries, &list) < 0)
		goto out;
	/* The user's list wins over the built-in entries of the same path. */
	struct cpio_entry *extra = xcalloc(list.n + 2, sizeof(*extra));
	size_t nextra = 0;
	for (size_t i = 0; i < 2; i++) {
		int listed = 0;
		for (size_t k = 0; k < list.n; k++)
			listed |= !strcmp(list.v[k].path + 1, base[i].path);
		if (!listed)
			extra[nextra++] = base[i];
	}
	for (size_t k = 0; k < list.n; k++)
		extra[nextra++] = list.v[k];
	rc = pack_tree(b, root, extra, nextra, "initramfs", out);
	free(extra);
	devlist_free(&list);
out:
	free(root);
	free(out);
	return rc;
}

/* 1 when the kernel's .config has CONFIG_MODULES=y, 0 when not, -1 when
 * it cannot be read. */
static int kernel_has_modules(const struct build *b)
{
	struct kconfig_set k = {0};
	char *dotconfig = build_dotconfig(b, BUILD_KERNEL);
	int rc = kconfig_parse_file(dotconfig, &k);
	if (rc == 0) {
		const char *v = kconfig_get(&k, "MODULES");
		rc = v && !strcmp(v, "y");
	}
	kconfig_free(&k);
	free(dotconfig);
	return rc;
}

/* The release of the kernel the modules are for (new memory): the given
 * image's, else the built kernel's; NULL after warn(). */
static char *kernel_release(const struct build *b)
{
	const char *image = b->cfg->kernel_image;
	char *release = NULL;
	if (!image) {
		char *obj = build_objdir(b, BUILD_KERNEL);
		release = modules_built_release(obj);
		free(obj);
		return release;
	}
	int rc = kimage_release(image, &release);
	if (rc > 0)
		warn("kernel '%s' does not say its release (no version string found in it): its "
		     "modules cannot be matched to it", image);
	return rc == 0 ? release : NULL;
}

/* Keyed late (steps.h): what the step packs, so that a kernel without
 * modules and a given image without modules_dir share one record and
 * switching between them redoes nothing. */
static void modules_step_inputs(void *ctx, struct step_inputs *in)
{
	struct build *b = ctx;
	char epoch[32];
	snprintf(epoch, sizeof(epoch), "%lld", source_date_epoch());
	modules_inputs(b->cfg->modules_dir, b->cfg->modules, in);
	if (b->cfg->kernel_image && b->cfg->modules_dir) {
		/* The release the selection is matched to. */
		char *release = NULL;
		if (kimage_release(b->cfg->kernel_image, &release) != 0)
			release = xstrdup("unknown");
		step_input_str(in, "kernel release", release);
		free(release);
	} else if (!b->cfg->kernel_image && (b->cfg->modules_dir || kernel_has_modules(b) != 0)) {
		/* The built kernel's modules, or its release: the kernel
		 * step's work (its .config unreadable counts as modules). */
		const char *key = plan_step_key(&b->plan, "kernel");
		step_input_str(in, "step:kernel", key ? key : "none");
	}
	step_input_str(in, "compression", b->cfg->compression);
	step_input_str(in, "SOURCE_DATE_EPOCH", epoch);
}

/* The modules for the initramfs (modules.h): a selection of [linux]
 * modules_dir, else what the kernel built when it has CONFIG_MODULES;
 * staged in build/modules and packed on their own (out/initrd.img is the
 * root archive and this one). A kernel without modules, and a given image
 * without modules_dir, get an empty archive and no make run. */
static int modules_run(void *ctx, const char *log)
{
	struct build *b = ctx;
	char *obj = build_objdir(b, BUILD_KERNEL);
	char *stage = bpath(b, "modules");
	char *out = layout_path(b, MODULES_ARCHIVE);
	char *tree = NULL, *release = NULL;
	struct modules_set set = {0};
	int rc = -1;

	if (b->cfg->modules_dir) {
		tree = xstrdup(b->cfg->modules_dir);
		if (!(release = kernel_release(b)))
			goto out;
	} else if (!b->cfg->kernel_image) {
		int has = kernel_has_modules(b);
		if (has < 0)
			goto out;
		if (has) {
			char **make = build_kernel_make(b, obj, NULL, NULL);
			char *inst = bpath(b, "modules-install");
			int r = modules_build(make, obj, inst, log, &tree, &release);
			build_argv_free(make);
			free(inst);
			if (r < 0) {
				kdiag_report(log);
				goto out;
			}
		}
	}
	if (!tree) {
		if (rm_rf(stage) == 0 && mkdir_p(stage, 0755) == 0)
			rc = write_file_atomic(out, "", 0, 0644);
		goto out;
	}
	if (modules_resolve(tree, b->cfg->modules, &set) == 0 &&
	    modules_stage(&set, release, stage, log) == 0)
		rc = pack_tree(b, stage, NULL, 0, "modules", out);
out:
	modules_set_free(&set);
	free(obj);
	free(stage);
	free(out);
	free(tree);
	free(release);
	return rc;
}

/* out/initrd.img: the root archive, then the modules' one, as they are.
 * The kernel unpacks archives one after another, each compressed on its
 * own, and finds the next one right after the end of a compressed one or
 * at a multiple of 4 bytes (an uncompressed root archive ends padded to
 * 512). */
static int initrd_run(void *ctx, const char *log)
{
	struct build *b = ctx;
	const char *archives[] = { ROOT_ARCHIVE, MODULES_ARCHIVE };
	char *out = build_initrd_path(b);
	struct buf img = {0};
	int rc = 0;
	for (size_t i = 0; i < 2 && rc == 0; i++) {
		char *path = layout_path(b, archives[i]);
		size_t n;
		char *data = read_file(path, &n);
		if (data)
			buf_add(&img, data, n);
		else
			rc = -1;
		free(data);
		free(path);
	}
	if (rc == 0)
		rc = mkdir_p(b->outdir, 0755) == 0 ? write_file_atomic(out, img.s, img.len, 0644) : -1;
	buf_free(&img);
	free(out);
	return rc;
}

/* ---- the plan ---- */

/* A recorded success counts only while the step's outputs exist. They
 * are written here as "build/PATH" or "out/PATH" and stand for this
 * build's directories (build-NAME/ and out-NAME/ for another
 * architecture). A source's output is a file inside it, so that a link to
 * a shared tree that was removed counts as missing. */
static const struct step seed_steps[] = {
	{ .name = "source:linux", .inputs = linux_src_inputs, .run = linux_src_run,
	  .outputs = { "build/src/linux/Makefile" } },
	{ .name = "source:musl", .inputs = musl_src_inputs, .run = musl_src_run,
	  .outputs = { "build/src/musl/Makefile" } },
	{ .name = "source:busybox", .inputs = busybox_src_inputs, .run = busybox_src_run,
	  .outputs = { "build/src/busybox/Makefile" } },
	{ .name = "kconfig", .deps = { "source:linux" }, .inputs = kconfig_inputs, .run = kconfig_run },
	{ .name = "kernel", .deps = { "kconfig" }, .inputs = kernel_inputs, .run = kernel_run,
	  .outputs = { KERNEL_OUTPUT } },
	{ .name = "headers", .deps = { "source:linux" }, .inputs = headers_inputs, .run = headers_run },
	{ .name = "musl", .deps = { "source:musl" }, .inputs = musl_inputs, .run = musl_run },
	{ .name = "toolchain", .deps = { "musl", "headers" }, .inputs = toolchain_inputs,
	  .run = toolchain_run, .outputs = { "build/sysroot/bin/cc" } },
	{ .name = "bbconfig", .deps = { "source:busybox" }, .inputs = bbconfig_inputs,
	  .run = bbconfig_run },
	{ .name = "busybox", .deps = { "bbconfig", "toolchain" }, .run = busybox_run,
	  .outputs = { "build/busybox-install/bin/busybox" } },
	{ .name = "programs", .deps = { "toolchain" }, .inputs = programs_step_inputs,
	  .run = programs_run },
	{ .name = "rootfs", .deps = { "busybox", "programs" }, .inputs = rootfs_inputs, .run = rootfs_run,
	  .outputs = { "build/rootfs" } },
	{ .name = "initramfs", .deps = { "rootfs" }, .inputs = initramfs_inputs, .run = initramfs_run,
	  .outputs = { ROOT_ARCHIVE } },
	/* Its own archive, so that the root file system is not packed again
	 * after each kernel build, and waits for no kernel. */
	{ .name = "modules", .deps = { "kernel" }, .inputs = modules_step_inputs, .run = modules_run,
	  .outputs = { MODULES_ARCHIVE }, .late_key = 1 },
	{ .name = "initrd", .deps = { "initramfs", "modules" }, .run = initrd_run,
	  .outputs = { INITRD_OUTPUT } },
	{ .name = "all", .deps = { "kernel", "initrd" } },
};

/* The steps that make the kernel, and "all", which gathers it with the
 * initramfs: the plan for booting a kernel image the user gives leaves
 * them out and ends at the initramfs, out/initrd.img (the kernel headers
 * for musl still come from the pinned source). */
static const char *const kernel_steps[] = { "kconfig", "kernel", "all" };

static int is_kernel_step(const char *name)
{
	for (size_t i = 0; i < sizeof(kernel_steps) / sizeof(kernel_steps[0]); i++)
		if (!strcmp(name, kernel_steps[i]))
			return 1;
	return 0;
}

/* The step a whole build runs up to. */
static const char *plan_target(const struct build *b)
{
	return b->cfg->kernel_image ? "initrd" : "all";
}

/* PATH of the step table ("build/..." or "out/...") for this build
 * (new memory). */
static char *layout_path(const struct build *b, const char *path)
{
	if (!strncmp(path, "build/", 6))
		return bpath(b, path + 6);
	if (!strncmp(path, "out/", 4))
		return path_join(b->outdir, path + 4);
	die("internal error: output '%s' is neither in build/ nor in out/", path);
}

/* Builds must not depend on who builds them, when, or where: the
 * environment every step and the tools they run see. */
static void pin_environment(void)
{
	/* Not on the caller's umask either (it would leak into the image's
	 * modes). */
	umask(022);
	setenv("LC_ALL", "C", 1);
	setenv("TZ", "UTC", 1);
	if (!getenv("SOURCE_DATE_EPOCH"))
		setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	/* The kernel embeds its build time, user and host. */
	time_t epoch = (time_t)source_date_epoch();
	char stamp[64];
	struct tm tm;
	if (gmtime_r(&epoch, &tm) && strftime(stamp, sizeof(stamp), "%a %b %e %H:%M:%S UTC %Y", &tm))
		setenv("KBUILD_BUILD_TIMESTAMP", stamp, 1);
	setenv("KBUILD_BUILD_USER", "mkdistro", 1);
	setenv("KBUILD_BUILD_HOST", "mkdistro", 1);
	/* And the "#N" of its version string, which kbuild counts up in the
	 * object tree on every relink: a kernel rebuilt there (a changed
	 * option, then back) would differ from the same one built cold. A
	 * constant, so not an input of the kernel's key. */
	setenv("KBUILD_BUILD_VERSION", "1", 1);
	/* When started from make (make run), the outer make's job server
	 * is not ours to use. */
	static const char *const make_vars[] = { "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES",
						 "GNUMAKEFLAGS" };
	for (size_t i = 0; i < sizeof(make_vars) / sizeof(make_vars[0]); i++)
		unsetenv(make_vars[i]);
}

int build_init(struct build *b, const struct config *cfg, int jobs, int offline)
{
	pin_environment();
	memset(b, 0, sizeof(*b));
	b->cfg = cfg;
	b->jobs = jobs;
	b->arch = arch_find(cfg->arch);
	if (!b->arch) {
		warn("unknown architecture '%s'", cfg->arch);
		return -1;
	}
	b->offline = offline;
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd))) {
		warn("getcwd:");
		return -1;
	}
	b->workdir = xstrdup(cwd);
	char *bdir = arch_build_dir(b->arch), *odir = arch_out_dir(b->arch);
	b->builddir = path_join(cwd, bdir);
	b->outdir = path_join(cwd, odir);
	free(bdir);
	free(odir);
	b->cachedir = fetch_cache_dir();
	if (!b->cachedir)
		return -1;
	/* A version the catalog does not pin is pinned before anything
	 * is keyed by it. */
	const char *names[3] = { "linux", "musl", "busybox" };
	const char *vers[3] = { cfg->linux_version, cfg->musl_version, cfg->busybox_version };
	const char *urls[3] = { cfg->linux_url, cfg->musl_url, cfg->busybox_url };
	const char *sums[3] = { cfg->linux_sha256, cfg->musl_sha256, cfg->busybox_sha256 };
	for (int i = 0; i < 3; i++)
		if (pin_source(names[i], vers[i], urls[i], sums[i], b->cachedir, offline,
			       &b->srcs[i]) < 0) {
			for (int j = 0; j < i; j++)
				pin_free(&b->srcs[j]);
			return -1;
		}
	b->linux_src = &b->srcs[0];
	b->musl_src = &b->srcs[1];
	b->busybox_src = &b->srcs[2];
	size_t n = 0;
	b->plan.steps = xcalloc(sizeof(seed_steps) / sizeof(seed_steps[0]), sizeof(struct step));
	for (size_t i = 0; i < sizeof(seed_steps) / sizeof(seed_steps[0]); i++) {
		if (cfg->kernel_image && is_kernel_step(seed_steps[i].name))
			continue;
		struct step *s = &b->plan.steps[n++];
		*s = seed_steps[i];
		/* What needs a left-out step (the modules: the kernel's) does
		 * without it. */
		size_t k = 0;
		for (size_t d = 0; d < STEP_MAX_DEPS && s->deps[d]; d++)
			if (!cfg->kernel_image || !is_kernel_step(s->deps[d]))
				s->deps[k++] = s->deps[d];
		while (k < STEP_MAX_DEPS)
			s->deps[k++] = NULL;
	}
	b->plan.n = n;
	b->plan.ctx = b;
	b->plan.stampdir = bpath(b, "stamps");
	b->plan.logdir = bpath(b, "logs");
	b->plan.jobs = jobs;
	/* The kernel beside musl and BusyBox: the job server keeps the sum
	 * at JOBS, and the serial parts of one step (configure scripts,
	 * linking, unpacking) leave room for another. */
	b->plan.parallel = 3;
	/* For measuring what running steps side by side gains. */
	const char *ps = getenv("MKDISTRO_PARALLEL_STEPS");
	if (ps && atoi(ps) > 0)
		b->plan.parallel = atoi(ps);
	for (size_t i = 0; i < n; i++) {
		struct step *s = &b->plan.steps[i];
		for (size_t k = 0; k < STEP_MAX_OUTPUTS && s->outputs[k]; k++)
			s->outputs[k] = layout_path(b, s->outputs[k]);
	}
	return 0;
}

void build_free(struct build *b)
{
	for (size_t i = 0; i < b->plan.n; i++) {
		for (int k = 0; k < STEP_MAX_OUTPUTS; k++)
			free((char *)b->plan.steps[i].outputs[k]);
		free(b->plan.steps[i].inputs_text);
	}
	free(b->plan.steps);
	free((char *)b->plan.stampdir);
	free((char *)b->plan.logdir);
	free(b->workdir);
	free(b->builddir);
	free(b->outdir);
	free(b->cachedir);
	for (int i = 0; i < 3; i++)
		if (b->srcs[i].name)
			pin_free(&b->srcs[i]);
	memset(b, 0, sizeof(*b));
}

int build_check_host(const struct build *b)
{
	static const char *const tools[][2] = {
		{ "make", "make" }, { "flex", "flex" }, { "bison", "bison" }, { "bc", "bc" },
		{ "rsync", "rsync" }, { "perl", "perl" }, { "tar", "tar" }, { "lz4", "lz4" },
	};
	int rc = 0;
	if (b->cfg->ccache && proc_need("ccache", "ccache") < 0)
		rc = -1;
	char *gcc = xasprintf("%sgcc", b->arch->cross_prefix);
	if (proc_need(gcc, b->arch->cross_pkg ? b->arch->cross_pkg : "gcc") < 0)
		rc = -1;
	free(gcc);
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
		if (proc_need(tools[i][0], tools[i][1]) < 0)
			rc = -1;
	/* modules_install and the modules step run kmod's depmod. */
	if (modules_need_depmod() < 0)
		rc = -1;
	/* The kernel's host programs include libelf and OpenSSL headers. */
	if (!path_exists("/usr/include/libelf.h") && !path_exists("/usr/include/gelf.h")) {
		warn("libelf headers not found: install the Debian package 'libelf-dev'");
		rc = -1;
	}
	return rc;
}

int build_fetch(struct build *b, const char *name)
{
	const struct source *all[] = { b->linux_src, b->musl_src, b->busybox_src };
	for (size_t i = 0; i < 3; i++) {
		if (name && strcmp(name, all[i]->name))
			continue;
		char *path = fetch_source(all[i], b->cachedir, b->offline);
		if (!path)
			return -1;
		if (verbose)
			fprintf(stderr, "mkdistro: %s %s: %s\n", all[i]->name, all[i]->version, path);
		free(path);
	}
	return 0;
}

char *build_cmdline(const struct build *b)
{
	/* panic=-1 with QEMU's -no-reboot: a panic ends QEMU instead of
	 * leaving it hanging. */
	return xasprintf("console=%s panic=-1%s%s%s%s", b->arch->console,
			 b->arch->boot_args ? " " : "", b->arch->boot_args ? b->arch->boot_args : "",
			 *b->cfg->cmdline ? " " : "", b->cfg->cmdline);
}

char *build_kernel_path(const struct build *b)
{
	return layout_path(b, KERNEL_OUTPUT);
}

char *build_initrd_path(const struct build *b)
{
	return layout_path(b, INITRD_OUTPUT);
}

static int build_locked(struct build *b);

/* Only one mkdistro builds in a directory at a time. The lock is an
 * flock, so it goes away with the process however it ends. Returns the
 * lock's descriptor or -1 after warn(). */
static int build_lock(const struct build *b)
{
	if (mkdir_p(b->builddir, 0755) < 0)
		return -1;
	char *path = bpath(b, ".lock");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		warn("open '%s':", path);
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			warn("another mkdistro is building in '%s' (lock '%s' is held); wait for it "
			     "to finish or stop it", b->workdir, path);
		else
			warn("lock '%s':", path);
		close(fd);
		free(path);
		return -1;
	}
	free(path);
	return fd;
}

/* out/vmlinuz is the kernel out/run-qemu.sh boots, so that out/ stays a
 * whole system: with a kernel image the user gives, a copy of it. The
 * kernel step's own out/vmlinuz (its record counts while that exists) is
 * kept aside meanwhile and put back by the next build of the built kernel;
 * the marker says that out/vmlinuz is such a copy, and of which image. */
#define GIVEN_MARKER "vmlinuz.given"
#define BUILT_ASIDE "vmlinuz.built"

static int given_kernel_put(const struct build *b)
{
	const char *image = b->cfg->kernel_image;
	char *marker = bpath(b, GIVEN_MARKER), *aside = bpath(b, BUILT_ASIDE);
	char *out = build_kernel_path(b);
	int rc = -1;
	/* out/vmlinuz itself given: it is in place already, and the marker
	 * (if any) names the image it is a copy of. */
	struct stat si, so;
	if (stat(image, &si) == 0 && stat(out, &so) == 0 && si.st_dev == so.st_dev &&
	    si.st_ino == so.st_ino) {
		rc = 0;
		goto out;
	}
	/* The marker first: cut short after it, the next build of the
	 * built kernel redoes the kernel step rather than boot this one. */
	int first = !path_exists(marker);
	if (write_file_atomic(marker, image, strlen(image), 0644) < 0)
		goto out;
	if (first && path_exists(out) && rename(out, aside) < 0) {
		warn("rename '%s' to '%s':", out, aside);
		goto out;
	}
	if (mkdir_p(b->outdir, 0755) == 0)
		rc = copy_file(image, out);
out:
	free(marker);
	free(aside);
	free(out);
	return rc;
}

/* Before a build of the built kernel: its out/vmlinuz back in place, or
 * none (the kernel step then runs again) when it was not kept. */
static int given_kernel_restore(const struct build *b)
{
	char *marker = bpath(b, GIVEN_MARKER), *aside = bpath(b, BUILT_ASIDE);
	char *out = build_kernel_path(b);
	int rc = 0;
	if (!path_exists(marker))
		goto out;
	if (path_exists(aside) ? rename(aside, out) < 0 : unlink(out) < 0 && errno != ENOENT) {
		warn("put back '%s':", out);
		rc = -1;
	} else if (unlink(marker) < 0) {
		warn("remove '%s':", marker);
		rc = -1;
	}
out:
	free(marker);
	free(aside);
	free(out);
	return rc;
}

/* The kernel image out/vmlinuz is a copy of (new memory), or NULL when it
 * is the kernel mkdistro built. */
static char *given_kernel_origin(const struct build *b)
{
	char *marker = bpath(b, GIVEN_MARKER);
	char *image = read_file_quiet(marker, NULL);
	free(marker);
	return image;
}

/* For out/run-qemu.sh: which kernel its vmlinuz is (new memory), or NULL
 * for the one mkdistro built. */
static char *given_kernel_note(const struct build *b)
{
	struct kimage k;
	char *image = given_kernel_origin(b);
	if (!image)
		return NULL;
	int rc = kimage_identify(image, &k);
	char *note = xasprintf("vmlinuz: a copy of the kernel image %s\n(%s%s%s), not one mkdistro built",
			       image, rc == 0 ? k.format : "unreadable",
			       rc == 0 && k.version ? ": " : "", rc == 0 && k.version ? k.version : "");
	kimage_free(&k);
	free(image);
	return note;
}

/* The manifest's lines on the kernel image out/vmlinuz is a copy of (new
 * memory): its path, sha256 and the version string in it; NULL for the
 * kernel mkdistro built. */
static char *given_kernel_manifest(const struct build *b)
{
	char *image = given_kernel_origin(b);
	if (!image)
		return NULL;
	char hex[SHA256_HEX_LEN + 1];
	off_t size = 0;
	struct kimage k;
	if (sha256_file(image, hex, &size) < 0)
		snprintf(hex, sizeof(hex), "unknown");
	int known = kimage_identify(image, &k) == 0 && k.version;
	char *t = xasprintf("image sha256=%s size=%lld path=%s\nversion %s\n", hex, (long long)size,
			    image, known ? k.version : "unknown");
	kimage_free(&k);
	free(image);
	return t;
}

/* The manifest's lines on the user's kernel tree or image (new memory), or
 * NULL for the catalog's kernel. */
static char *kernel_manifest(const struct build *b)
{
	if (b->cfg->kernel_image)
		return given_kernel_manifest(b);
	if (!b->cfg->linux_source)
		return NULL;
	struct buf t = {0}, version = {0};
	char *obj = build_objdir(b, BUILD_KERNEL);
	char **argv = build_kernel_make(b, obj, "kernelversion", "-s");
	if (proc_capture(argv, NULL, "/dev/null", &version) != 0 || !version.len)
		buf_addstr(&version, "unknown");
	build_argv_free(argv);
	free(obj);
	buf_printf(&t, "tree %s\nkernelversion %.*s\n", b->cfg->linux_source,
		   (int)strcspn(version.s, "\n"), version.s);
	char *commit = NULL;
	int dirty = 0;
	if (usertree_git(b->cfg->linux_source, &commit, &dirty) == 0)
		buf_printf(&t, "commit %s\ndirty %s\n", commit, dirty ? "yes" : "no");
	else
		buf_addstr(&t, "commit none (not a git work tree)\n");
	free(commit);
	buf_free(&version);
	return buf_steal(&t);
}

int build_status(struct build *b)
{
	int stale = plan_status(&b->plan);
	if (b->cfg->linux_source) {
		char *now = usertree_describe(b->cfg->linux_source);
		char *path = bpath(b, TREE_RECORD);
		size_t n;
		char *was = read_file_quiet(path, &n);
		printf("linux tree       %s: now %s; the kernel was %s%s\n", b->cfg->linux_source, now,
		       was ? "built from " : "never built from it", was ? was : "");
		free(was);
		free(path);
		free(now);
	}
	return stale;
}

/* out/manifest.txt (manifest.h). */
static int write_manifest(const struct build *b)
{
	const struct source *all[] = { b->linux_src, b->musl_src, b->busybox_src };
	char *gcc = xasprintf("%sgcc", b->arch->cross_prefix);
	struct manifest m = {
		.sources = all,
		.nsources = sizeof(all) / sizeof(all[0]),
		.cachedir = b->cachedir,
		.plan = &b->plan,
		.compiler = gcc,
		.outdir = b->outdir,
		.kernel = kernel_manifest(b),
	};
	int rc = manifest_write(&m);
	free((char *)m.kernel);
	free(gcc);
	return rc;
}

/* Whether PATH is DIR or below it (both absolute). */
static int path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/* A tree of modules_dir is taken from only with names, they must resolve,
 * and a given image's release match them: checked before any work
 * starts. */
static int modules_check(const struct build *b)
{
	const char *names = b->cfg->modules;
	if (!names || !names[strspn(names, ", \t")]) {
		warn("modules '%s': name the modules to take from it with [linux] modules = NAME,... "
		     "(what they depend on comes along)", b->cfg->modules_dir);
		return -1;
	}
	struct modules_set s;
	if (modules_resolve(b->cfg->modules_dir, names, &s) < 0)
		return -1;
	/* A given image says its release now; a built kernel only once
	 * configured (the modules step checks then). */
	int rc = 0;
	if (b->cfg->kernel_image) {
		char *release = kernel_release(b);
		rc = release ? modules_check_release(&s, release) : -1;
		free(release);
	}
	modules_set_free(&s);
	return rc;
}

/* Read every input file the configuration names before any work starts,
 * so that a bad line stops the build at once with file:line. */
static int build_validate(const struct build *b)
{
	struct kconfig_set k = {0}, bb = {0};
	struct devlist list = {0};
	int rc = 0;
	if (kernel_fragment(b, &k) < 0)
		rc = -1;
	if (busybox_fragment(b, &bb) < 0)
		rc = -1;
	if (b->cfg->entries && devlist_load(b->cfg->entries, &list) < 0)
		rc = -1;
	if (b->cfg->linux_source && usertree_check(b->cfg->linux_source, b->arch->kernel_arch) < 0)
		rc = -1;
	if (b->cfg->linux_source && path_within(b->workdir, b->cfg->linux_source)) {
		warn("'%s' is inside your kernel tree '%s': mkdistro writes build/ and out/ where it runs, "
		     "and never into the tree; run it from another directory", b->workdir,
		     b->cfg->linux_source);
		rc = -1;
	}
	if (b->cfg->modules_dir && modules_check(b) < 0)
		rc = -1;
	kconfig_free(&k);
	kconfig_free(&bb);
	devlist_free(&list);
	return rc;
}

int build_fragment(const struct build *b, enum build_part part, struct kconfig_set *out)
{
	return part == BUILD_BUSYBOX ? busybox_fragment(b, out) : kernel_fragment(b, out);
}

int build_upto(struct build *b, const char *step)
{
	if (build_validate(b) < 0 || build_check_host(b) < 0)
		return -1;
	int lock = build_lock(b);
	if (lock < 0)
		return -1;
	int rc = plan_run(&b->plan, step);
	close(lock);
	return rc;
}

int build_all(struct build *b)
{
	if (build_validate(b) < 0 || build_check_host(b) < 0)
		return -1;
	int lock = build_lock(b);
	if (lock < 0)
		return -1;
	int rc = build_locked(b);
	close(lock);
	return rc;
}

static int build_locked(struct build *b)
{
	double t0 = now_seconds();
	if (!b->cfg->kernel_image && given_kernel_restore(b) < 0)
		return -1;
	int planned = plan_run(&b->plan, plan_target(b));
	int ran = 0;
	for (size_t i = 0; i < b->plan.n; i++)
		ran += (b->plan.steps[i].state == STEP_DONE || b->plan.steps[i].state == STEP_FAILED) &&
		       b->plan.steps[i].run;
	if (ran) {
		/* Kept beside the logs even when the build failed. */
		char *svg = bpath(b, "logs/build-timeline.svg");
		char *outsvg = path_join(b->outdir, "build-timeline.svg");
		if (timeline_write(&b->plan, svg) == 0 && planned == 0)
			copy_file(svg, outsvg);
		free(svg);
		free(outsvg);
	}
	if (planned < 0 || (b->cfg->kernel_image && given_kernel_put(b) < 0))
		return -1;
	char *note = given_kernel_note(b);
	struct boot boot = {
		.arch = b->arch,
		.memory_mb = b->cfg->memory_mb,
		.script_note = note,
	};
	char *cmdline = build_cmdline(b);
	boot.append = cmdline;
	char *script = qemu_script(&boot);
	char *path = path_join(b->outdir, "run-qemu.sh");
	int rc = write_file_atomic(path, script, strlen(script), 0755);
	free(cmdline);
	free(script);
	free(path);
	free(note);
	if (rc < 0 || write_manifest(b) < 0)
		return -1;
	if (verbose)
		plan_report(&b->plan);
	if (ran || verbose) {
		char *out = arch_out_dir(b->arch);
		if (b->cfg->kernel_image)
			fprintf(stderr, "mkdistro: built %s/initrd.img and %s/run-qemu.sh in %.1f s; "
					"%s/vmlinuz is '%s'\n",
				out, out, now_seconds() - t0, out, b->cfg->kernel_image);
		else
			fprintf(stderr, "mkdistro: built %s/vmlinuz, %s/initrd.img, %s/run-qemu.sh in %.1f s\n",
				out, out, out, now_seconds() - t0);
		free(out);
	}
	return 0;
}
