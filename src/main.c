/* mkdistro: build a minimal Linux system from source and boot it. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "bisect.h"
#include "build.h"
#include "channel.h"
#include "config.h"
#include "guesttest.h"
#include "kconfig.h"
#include "menuconfig.h"
#include "net.h"
#include "sysdir.h"
#include "toolchain.h"
#include "usertree.h"
#include "lint.h"
#include "userimage.h"
#include "versions.h"
#include "fetch.h"
#include "proc.h"
#include "qemu.h"
#include "report.h"
#include "share.h"
#include "util.h"

struct opts {
	const char *file;
	int jobs;
	const char *command;
	int time;
	int offline;
	double timeout, idle_timeout; /* 0: the defaults */
	double command_timeout;       /* run -c: the command's own limit, 0: none */
	enum report_format format;    /* --format, REPORT_HUMAN: none */
	const char *log;              /* --log FILE, or NULL */
	int no_check;
	char **qemu_args;             /* NULL-terminated, or NULL */
	size_t nqemu_args;
	int gdb_port;                 /* --gdb[=PORT]: QEMU's gdb stub, 0: none */
	struct share *shares;         /* --share SPEC, in order */
	size_t nshares;
	struct net net;               /* --net[=open], --forward H:G */
	const char *dir;              /* mkdistro test DIR, init DIR */
	const char *component;        /* menuconfig/config: kernel or busybox;
				       * versions: a source's name or NULL */
	const char *arch;             /* --arch NAME, or NULL: the configuration's */
	const char *linux_tree;       /* --linux DIR, or NULL: the configuration's */
	const char *modules_dir;      /* --modules DIR, or NULL: the configuration's */
	const char *kernel;           /* --kernel FILE, or NULL: [linux] image */
	const char *kernel_config;    /* --kernel-config FILE, or NULL */
	const char *test_dir;         /* bisect-run --test DIR */
	const char *bad_on;           /* bisect-run --bad-on LIST, or NULL: all */
	int repeat;                   /* bisect-run --repeat N (0: once) */
	const char *system;           /* bisect-run --system DIR, or NULL */
	const char *check_good;       /* bisect-run --check GOOD BAD, or NULL */
	const char *check_bad;
	char **cc_args;               /* mkdistro cc: the compiler's arguments */
	int cc_argc;
};

/* Exit statuses of run and test when the system did not boot as it
 * should (see EXIT STATUS in mkdistro.1); the guest command's own status
 * is returned as it is. */
enum {
	EXIT_CHECK = 248,      /* check found an error: not booted */
	EXIT_QEMU_START = 249, /* QEMU failed to start */
	EXIT_PANIC = 250,      /* kernel panic, incl. initramfs unpacking errors */
	EXIT_INIT = 251,       /* /init could not run, exited or was killed */
	EXIT_STALL = 252,      /* no console output for the idle timeout */
	EXIT_TIMEOUT = 253,    /* the total timeout passed */
	EXIT_QEMU_EXIT = 254,  /* QEMU or the guest ended unexpectedly */
	EXIT_BOOT_ERROR = 255, /* mkdistro could not run the boot */
};

/* The exit status for qemu_command()'s negative result RC. */
static int boot_exit_status(int rc)
{
	switch (-rc) {
	case BOOT_QEMU_START: return EXIT_QEMU_START;
	case BOOT_PANIC: return EXIT_PANIC;
	case BOOT_INIT: return EXIT_INIT;
	case BOOT_STALL: return EXIT_STALL;
	case BOOT_TIMEOUT: return EXIT_TIMEOUT;
	case BOOT_QEMU_EXIT: return EXIT_QEMU_EXIT;
	default: return EXIT_BOOT_ERROR;
	}
}

/* What a command accepts, besides the common options. */
enum {
	CMD_BOOTS = 1 << 0,     /* boots: --timeout, --idle-timeout, --qemu-arg, --no-check */
	CMD_RUN_OPTS = 1 << 1,  /* -c CMD and --time */
	CMD_DIR = 1 << 2,       /* one optional DIR argument */
	CMD_COMPONENT = 1 << 3, /* one argument, kernel or busybox */
	CMD_NO_CONFIG = 1 << 4, /* reads no mkdistro.conf */
	CMD_ARCH_ALL = 1 << 5,  /* --arch all is allowed */
	CMD_KERNEL = 1 << 6,    /* --kernel, --kernel-config and [linux] image apply */
	CMD_BISECT = 1 << 7,    /* runs in a kernel tree for git bisect run: its
				 * options, exit statuses 0, 1 and 125 only */
	CMD_SOURCE = 1 << 8,    /* one optional argument: linux, musl or busybox */
};

struct cmd {
	const char *name;
	int (*fn)(struct opts *o, struct config *cfg);
	unsigned flags;         /* CMD_* */
	const char *args;
	const char *summary;
	const char *help;
};

static const char boot_help[] =
	"      --timeout S   give up after S seconds in all (default: 300 under TCG,\n"
	"                    75 under KVM)\n"
	"      --idle-timeout S\n"
	"                    give up when the console is silent for S seconds before\n"
	"                    the shell is ready (default: 60 under TCG, 15 under KVM)\n"
	"      --qemu-arg A  pass A on to QEMU (repeat for more)\n"
	"      --no-check    boot without checking the system first\n"
	"      --gdb[=PORT]  start QEMU stopped, its gdb stub on 127.0.0.1:PORT\n"
	"                    (default 1234), and print how to connect gdb\n"
	"      --share HOSTDIR[:GUESTDIR][:ro]\n"
	"                    share HOSTDIR with the guest (9p), mounted on GUESTDIR\n"
	"                    (default /mnt/NAME) before the shell or command starts;\n"
	"                    repeat for more ([system] share = yes)\n"
	"      --net[=open]  give the guest a network (10.0.2.15), closed to the\n"
	"                    outside and the host unless =open ([system] net = yes)\n"
	"      --forward HOSTPORT:GUESTPORT\n"
	"                    forward TCP 127.0.0.1:HOSTPORT to the guest's GUESTPORT\n"
	"                    (turns --net on; repeat for more)\n"
	"      --format tap|junit|json\n"
	"                    print the results in that format on stdout (run: with\n"
	"                    -c or --time; the command's output goes into it, and\n"
	"                    mkdistro's own lines to stderr)\n"
	"      --log FILE    write everything the console printed to FILE\n";

static const char kernel_help[] =
	"      --kernel FILE boot the kernel image FILE (bzImage, Image, vmlinux...)\n"
	"                    with the initramfs instead of building a kernel\n"
	"                    (default: [linux] image)\n"
	"      --kernel-config FILE\n"
	"                    that kernel's configuration, for the check (default:\n"
	"                    config-RELEASE or .config beside it, else the one in it)\n";

static const char common_help[] =
	"  -f, --file FILE   system description (default: ./mkdistro.conf if present,\n"
	"                    else the built-in seed system)\n"
	"  -j, --jobs N      parallel compile jobs (default: number of CPUs)\n"
	"      --arch NAME   target architecture (default: [system] arch, else x86_64;\n"
	"                    mkdistro arches lists them)\n"
	"      --linux DIR   build the kernel from your source tree DIR, out of tree,\n"
	"                    never writing into it (default: [linux] source)\n"
	"      --offline     use only the source cache, never download\n"
	"      --modules DIR take modules from the lib/modules/RELEASE tree DIR (those\n"
	"                    [linux] modules names; default: [linux] modules_dir)\n"
	"  -v, --verbose     more output: the steps' logs as they grow (repeat\n"
	"                    for the commands run)\n"
	"  -h, --help        this help\n";

/* Set up the build for CFG; dies on a bad configuration. */
static void prepare(struct build *b, struct opts *o, struct config *cfg)
{
	if (build_init(b, cfg, o->jobs, o->offline) < 0)
		exit(1);
}

static int cmd_build(struct opts *o, struct config *cfg)
{
	struct build b;
	prepare(&b, o, cfg);
	int rc = build_all(&b);
	build_free(&b);
	return rc < 0 ? 1 : 0;
}

static int cmd_fetch(struct opts *o, struct config *cfg)
{
	struct build b;
	prepare(&b, o, cfg);
	int rc = build_fetch(&b, o->component);
	if (rc == 0)
		fprintf(stderr, "mkdistro: sources verified in %s\n", b.cachedir);
	build_free(&b);
	return rc < 0 ? 1 : 0;
}

static int cmd_versions(struct opts *o, struct config *cfg)
{
	char *cachedir = fetch_cache_dir();
	if (!cachedir)
		return 1;
	const char *inuse[3] = { cfg->linux_version, cfg->musl_version, cfg->busybox_version };
	char *text = versions_text(o->component, cachedir, inuse, o->offline);
	free(cachedir);
	if (!text)
		return 1;
	fputs(text, stdout);
	free(text);
	return 0;
}

static int cmd_status(struct opts *o, struct config *cfg)
{
	struct build b;
	prepare(&b, o, cfg);
	int stale = build_status(&b);
	build_free(&b);
	return stale ? 1 : 0;
}

static int cmd_clean(struct opts *o, struct config *cfg)
{
	int rc = 0;
	const struct arch *a;
	for (size_t i = 0; (a = arch_at(i)); i++) {
		if (o->arch && strcmp(o->arch, a->name))
			continue;
		char *dirs[2] = { arch_build_dir(a), arch_out_dir(a) };
		for (int k = 0; k < 2; k++) {
			if (path_exists(dirs[k]) && rm_rf(dirs[k]) == 0)
				fprintf(stderr, "mkdistro: removed %s/\n", dirs[k]);
			else if (path_exists(dirs[k]))
				rc = 1;
			free(dirs[k]);
		}
	}
	if (rc == 0)
		fprintf(stderr, "mkdistro: clean%s%s (the source cache is kept)\n",
			o->arch ? " for " : "", o->arch ? o->arch : "");
	return rc;
}

/* "yes" when every program A needs on the host is installed, else the
 * missing Debian packages (new memory). */
static char *arch_host_status(const struct arch *a)
{
	struct buf missing = {0};
	char *gcc = xasprintf("%sgcc", a->cross_prefix);
	if (!have_program(gcc))
		buf_printf(&missing, " %s", a->cross_pkg ? a->cross_pkg : "gcc");
	free(gcc);
	if (!have_program(a->qemu))
		buf_printf(&missing, " %s", a->qemu_pkg);
	if (!missing.len)
		return xstrdup("ready");
	char *s = xasprintf("missing:%s", missing.s);
	buf_free(&missing);
	return s;
}

static int cmd_arches(struct opts *o, struct config *cfg)
{
	const struct arch *a;
	printf("%-8s %-8s %-18s %-9s %-6s %s\n", "ARCH", "KERNEL", "QEMU MACHINE", "CONSOLE",
	       "BUILT", "HOST PACKAGES");
	for (size_t i = 0; (a = arch_at(i)); i++) {
		char *out = arch_out_dir(a);
		char *kernel = path_join(out, "vmlinuz");
		char *host = arch_host_status(a);
		printf("%-8s %-8s %-18s %-9s %-6s %s%s%s%s\n", a->name, a->kernel_arch,
		       a->qemu_machine, a->console, path_exists(kernel) ? out : "-", host,
		       a == arch_default() ? " (default)" : "", a->known_issue ? "; known issue: " : "",
		       a->known_issue ? a->known_issue : "");
		free(host);
		free(kernel);
		free(out);
	}
	return 0;
}

static int cmd_packages(struct opts *o, struct config *cfg)
{
	const struct arch *a = arch_find(cfg->arch);
	if (!o->arch || strcmp(o->arch, "all")) {
		char *p = arch_packages(a);
		printf("%s\n", p);
		free(p);
		return 0;
	}
	for (size_t i = 0; (a = arch_at(i)); i++) {
		char *p = arch_packages(a);
		printf("%s%s", i ? " " : "", p);
		free(p);
	}
	printf("\n");
	return 0;
}

static int cmd_init(struct opts *o, struct config *cfg)
{
	return sysdir_init(o->dir ? o->dir : ".") < 0 ? 1 : 0;
}

static int cmd_menuconfig(struct opts *o, struct config *cfg)
{
	struct build b;
	prepare(&b, o, cfg);
	int rc = menuconfig_run(&b, o->component);
	build_free(&b);
	return rc < 0 ? 1 : 0;
}

static int cmd_config(struct opts *o, struct config *cfg)
{
	struct build b;
	prepare(&b, o, cfg);
	int rc = menuconfig_show(&b, o->component);
	build_free(&b);
	return rc < 0 ? 1 : rc;
}

/* The target compiler ready to use: the toolchain step brought up to
 * date. Returns the sysroot (new memory) or NULL. */
static char *toolchain_ready(struct build *b)
{
	if (build_upto(b, "toolchain") < 0)
		return NULL;
	return build_sysroot(b);
}

static int cmd_cc(struct opts *o, struct config *cfg)
{
	struct build b;
	prepare(&b, o, cfg);
	char *sysroot = toolchain_ready(&b);
	if (!sysroot) {
		build_free(&b);
		return 1;
	}
	/* The system has no shared libraries: link statically. */
	char **argv = xcalloc((size_t)o->cc_argc + 3, sizeof(*argv));
	argv[0] = toolchain_cc(sysroot);
	argv[1] = "-static";
	for (int i = 0; i < o->cc_argc; i++)
		argv[2 + i] = o->cc_args[i];
	fflush(NULL);
	execv(argv[0], argv);
	warn("cannot run '%s':", argv[0]);
	return 1;
}

static int cmd_env(struct opts *o, struct config *cfg)
{
	struct build b;
	prepare(&b, o, cfg);
	char *sysroot = toolchain_ready(&b);
	int rc = 1;
	if (sysroot) {
		char *text = toolchain_env(b.arch, sysroot);
		fputs(text, stdout);
		free(text);
		rc = 0;
	}
	free(sysroot);
	build_free(&b);
	return rc;
}

static void print_times(const struct boot_times *t)
{
	char v[3][32];
	const double x[3] = { t->first_output, t->init, t->prompt };
	/* -1: not seen (a failed boot, or "quiet" hides the /init line). */
	for (int i = 0; i < 3; i++)
		snprintf(v[i], sizeof(v[i]), x[i] < 0 ? "not seen" : "%.2f s", x[i]);
	fprintf(stderr, "mkdistro: boot times from QEMU start (%s): first output %s, /init %s, "
			"shell prompt %s\n",
		t->accel ? t->accel : "?", v[0], v[1], v[2]);
}

/* Check the built system (lint.h) and print the findings; with VERBOSE
 * also a closing line when all is well. A kernel image the user gave is
 * checked with the configuration KERNEL_CONFIG (--kernel-config, or NULL:
 * the one found beside or in the image). Returns the number of errors. */
static int check_built(const struct build *b, const char *kernel_config, int verbose_ok)
{
	const char *image = b->cfg->kernel_image;
	char *kconfig_path = NULL;
	/* A .config that is not there is lint's warning; one that does not
	 * parse is reported by the parser too. */
	struct kconfig_set kconfig = {0};
	int have_kconfig, bad_kconfig = 0;
	if (image) {
		int got = userimage_kconfig(image, kernel_config, &kconfig, &kconfig_path);
		have_kconfig = got == 0;
		bad_kconfig = got < 0;
	} else {
		kconfig_path = build_dotconfig(b, BUILD_KERNEL);
		have_kconfig = path_exists(kconfig_path) && kconfig_parse_file(kconfig_path, &kconfig) == 0;
	}
	char *initrd = build_initrd_path(b);
	char *cmdline = build_cmdline(b);
	struct lint_target t = {
		.arch = b->arch,
		.initrd = initrd,
		.kconfig = have_kconfig ? &kconfig : NULL,
		.kernel_image = image,
		.kconfig_bad = bad_kconfig ? kconfig_path : NULL,
		.compression = b->cfg->compression,
		.cmdline = cmdline,
		.share = b->cfg->share,
		.net = b->cfg->net,
	};
	struct lint_report r = {0};

	lint_run(&t, &r);
	lint_print(&r, stderr);
	int errors = r.errors;
	if (errors)
		fprintf(stderr, "mkdistro: check: %d error%s: the system would not boot as it "
				"should%s\n", errors, errors == 1 ? "" : "s",
			verbose_ok ? "" : " (--no-check boots it anyway)");
	else if (verbose_ok)
		fprintf(stderr, "mkdistro: check: %s and %s: no problem found%s\n", initrd,
			kconfig_path ? kconfig_path : "the kernel", r.n ? " but the warnings above" : "");
	lint_report_free(&r);
	free(kconfig_path);
	kconfig_free(&kconfig);
	free(initrd);
	free(cmdline);
	return errors;
}

static int cmd_check(struct opts *o, struct config *cfg)
{
	struct build b;
	prepare(&b, o, cfg);
	if (build_all(&b) < 0) {
		build_free(&b);
		return 1;
	}
	int errors = check_built(&b, o->kernel_config, 1);
	build_free(&b);
	return errors ? 1 : 0;
}

/* --gdb: how to connect, said before QEMU starts (stopped). The built
 * kernel's vmlinux has its symbols; a given image's are the user's. */
static void gdb_hint(const struct build *b, const struct opts *o)
{
	const char *gdb = have_program("gdb-multiarch") ? "gdb-multiarch"
			  : arch_host() == b->arch && have_program("gdb") ? "gdb" : NULL;
	char *obj = b->cfg->kernel_image ? NULL : build_objdir(b, BUILD_KERNEL);
	char *vmlinux = obj ? path_join(obj, "vmlinux") : NULL;
	/* [linux] debug's kernel: gdb loads scripts/gdb's helpers from the
	 * object tree once it is told the directory is safe. */
	char *helpers = obj ? path_join(obj, "vmlinux-gdb.py") : NULL;
	char *safe = helpers && path_exists(helpers)
			     ? xasprintf("-iex 'add-auto-load-safe-path %s' ", obj) : xstrdup("");
	fprintf(stderr, "mkdistro: QEMU starts stopped, its gdb stub on 127.0.0.1:%d; from another "
		"terminal:\n  %s %s%s%s-ex 'target remote 127.0.0.1:%d'\n", o->gdb_port,
		gdb ? gdb : "gdb-multiarch", safe, vmlinux ? vmlinux : "", vmlinux ? " " : "",
		o->gdb_port);
	free(helpers);
	free(safe);
	if (!gdb)
		fprintf(stderr, "mkdistro: (gdb-multiarch: install the Debian package "
			"'gdb-multiarch')\n");
	if (!vmlinux)
		fprintf(stderr, "mkdistro: (the kernel image given has no symbols for gdb: load "
			"its vmlinux with 'file VMLINUX')\n");
	else if (!b->cfg->debug)
		fprintf(stderr, "mkdistro: (symbols only: [linux] debug = yes builds the kernel with "
			"source lines and types)\n");
	fprintf(stderr, "mkdistro: 'continue' in gdb starts the guest; the boot's time limits "
		"are off unless given\n");
	free(obj);
	free(vmlinux);
}

/* --share and --net need a system built for them ([system] share, net)
 * on a machine with virtio: said before anything is built or booted.
 * Returns 0, or 2 after warn(). */
static int links_allowed(const struct opts *o, const struct config *cfg)
{
	if (!o->nshares && !o->net.on)
		return 0;
	const struct arch *a = cfg->arch ? arch_find(cfg->arch) : arch_default();
	const char *file = cfg->path ? cfg->path : "mkdistro.conf";
	if (a && a->virtio == ARCH_VIRTIO_NONE) {
		warn("%s: QEMU's %s machine (%s) has no virtio devices for it", o->nshares ? "--share"
			: "--net", a->qemu_machine, a->name);
		return 2;
	}
	if (o->nshares && !cfg->share) {
		warn("--share: this system is built without shared directories: set 'share = yes' "
		     "under [system] in %s (the kernel is rebuilt with 9p)", file);
		return 2;
	}
	if (o->net.on && !cfg->net) {
		warn("--%s: this system is built without a network: set 'net = yes' under [system] "
		     "in %s (the kernel is rebuilt with IPv4 and virtio-net)",
		     o->net.nfwd ? "forward" : "net", file);
		return 2;
	}
	return 0;
}

/* A time limit that does not come (a year). */
#define GDB_NO_LIMIT (365.0 * 24 * 3600)

/* The kernel command line of B's system, with the words that ask its
 * start-up for O's shares and network (new memory). */
static char *boot_cmdline(const struct build *b, const struct opts *o)
{
	char *base = build_cmdline(b);
	char *share = share_cmdline(o->shares, o->nshares);
	char *net = net_cmdline(&o->net);
	char *all = xasprintf("%s%s%s%s%s", base, *share ? " " : "", share, *net ? " " : "", net);
	free(base);
	free(share);
	free(net);
	return all;
}

/* The boot of B's outputs with O's options; free with boot_free(). */
static struct boot boot_of(const struct build *b, const struct opts *o)
{
	if (b->arch->known_issue)
		warn("%s: known issue: %s (mkdistro arches)", b->arch->name, b->arch->known_issue);
	if (o->gdb_port)
		gdb_hint(b, o);
	struct boot boot = {
		.arch = b->arch,
		/* The user's file by its name (out/vmlinuz is a copy of it). */
		.kernel = b->cfg->kernel_image ? xstrdup(b->cfg->kernel_image) : build_kernel_path(b),
		.initrd = build_initrd_path(b),
		.append = boot_cmdline(b, o),
		.memory_mb = b->cfg->memory_mb,
		/* Stopped for gdb, a guest takes the time its user does. */
		.timeout = o->timeout > 0 || !o->gdb_port ? o->timeout : GDB_NO_LIMIT,
		.idle_timeout = o->idle_timeout > 0 || !o->gdb_port ? o->idle_timeout : GDB_NO_LIMIT,
		.command_timeout = o->command_timeout,
		.log = o->log,
		.shares = o->shares,
		.nshares = o->nshares,
		.net = o->net.on ? &o->net : NULL,
		.channel = channel_in_system(b->cfg->share, b->cfg->net),
		.qemu_args = o->qemu_args,
	};
	return boot;
}

static void boot_free(struct boot *boot)
{
	free((char *)boot->kernel);
	free((char *)boot->initrd);
	free((char *)boot->append);
}

/* The boot part of a report from T. */
static struct report_boot report_boot_of(const struct boot_times *t)
{
	return (struct report_boot){
		.result = boot_failure_id(t->failure),
		.diagnosis = t->diagnosis,
		.evidence = t->evidence,
		.first_output = t->first_output,
		.init = t->init,
		.prompt = t->prompt,
		.accel = t->accel,
	};
}

/* Print R in O's format on stdout. */
static void print_report(const struct opts *o, const struct report *r)
{
	char *text = report_text(o->format, r);
	fputs(text, stdout);
	fflush(stdout);
	free(text);
}

/* The command's stdout in [0], its stderr in [1]. */
static void collect_output(void *ctx, int stream, const char *data, size_t n)
{
	struct buf *out = ctx;
	buf_add(&out[stream == 2], data, n);
}

/* run -c CMD (or --time) with a report: CMD's output goes into it. */
static int run_reported(struct opts *o, const struct boot *boot, struct boot_times *t)
{
	struct buf out[2] = {{0}};
	int rc = qemu_command_cb(boot, o->command ? o->command : "true", collect_output, out, t);
	if (o->time)
		print_times(t);
	int status = rc < 0 ? boot_exit_status(rc) : rc;
	char message[700] = "";
	if (rc > 0)
		snprintf(message, sizeof(message), "exit status %d", rc);
	else if (rc < 0 && t->prompt >= 0)
		snprintf(message, sizeof(message), "%s", t->diagnosis);
	else if (rc < 0)
		snprintf(message, sizeof(message), "not run: the boot failed (%s)",
			 boot_failure_name(-rc));
	struct report_case c = {
		.name = "command",
		.passed = rc == 0,
		.status = rc,
		.seconds = t->command >= 0 ? t->command : 0,
		.message = *message ? message : NULL,
		.output = out[0].s ? out[0].s : "",
		/* Over the serial console both streams came as one. */
		.errors = t->channel ? (out[1].s ? out[1].s : "") : NULL,
		.output_len = out[0].len,
		.errors_len = out[1].len,
	};
	struct report r = {
		.name = "mkdistro run",
		.boot = report_boot_of(t),
		.cases = &c,
		.ncases = o->command ? 1 : 0,
		.exit_status = status,
	};
	print_report(o, &r);
	buf_free(&out[0]);
	buf_free(&out[1]);
	return status;
}

static int cmd_run(struct opts *o, struct config *cfg)
{
	if (o->log && !o->command && !o->time && isatty(STDIN_FILENO)) {
		warn("run: --log records driven boots: with -c, --time or input piped in (the "
		     "session on this terminal is QEMU's own)");
		return 2;
	}
	struct build b;
	prepare(&b, o, cfg);
	if (build_all(&b) < 0) {
		build_free(&b);
		return 1;
	}
	if (!o->no_check && check_built(&b, o->kernel_config, 0)) {
		build_free(&b);
		return EXIT_CHECK;
	}
	struct boot boot = boot_of(&b, o);
	int rc;
	if (o->command || o->time) {
		struct boot_times t = { .first_output = -1, .init = -1, .prompt = -1, .command = -1,
					.failure = BOOT_ERROR };
		fflush(stdout);
		if (o->format) {
			rc = run_reported(o, &boot, &t);
			boot_free(&boot);
			build_free(&b);
			return rc;
		}
		rc = qemu_command(&boot, o->command ? o->command : "true", STDOUT_FILENO,
				  STDERR_FILENO, &t);
		if (o->time)
			print_times(&t);
	} else {
		rc = qemu_interactive(&boot);
	}
	if (rc < 0)
		rc = boot_exit_status(rc);
	boot_free(&boot);
	build_free(&b);
	return rc;
}

/* Where guest_run() puts the initramfs with the test suite (new memory):
 * in B's build directory, one per process. */
static char *test_initrd_path(const struct build *b)
{
	char *base = xasprintf("test-initrd.%ld.img", (long)getpid());
	char *tmp = path_join(b->builddir, base);
	free(base);
	return tmp;
}

static int cmd_test(struct opts *o, struct config *cfg)
{
	struct build b;
	struct guest_suite suite;
	prepare(&b, o, cfg);
	if (guest_suite_load(&suite, o->dir, 0) < 0) {
		build_free(&b);
		return 2;
	}
	int rc = 1;
	if (build_all(&b) < 0)
		goto out;
	if (!o->no_check && check_built(&b, o->kernel_config, 0)) {
		rc = EXIT_CHECK;
		goto out;
	}
	struct boot boot = boot_of(&b, o);
	char *tmp = test_initrd_path(&b);
	fflush(stdout);
	struct boot_times t = { .first_output = -1, .init = -1, .prompt = -1, .command = -1,
				.failure = BOOT_ERROR };
	struct guest_result *res = o->format ? xcalloc(suite.n, sizeof(*res)) : NULL;
	int failed = guest_run(&boot, &suite, tmp, o->format ? stderr : stdout, &t, res);
	rc = failed < 0 ? boot_exit_status(failed) : failed > 0;
	if (o->format) {
		struct report_case *cases = xcalloc(suite.n, sizeof(*cases));
		char **msgs = xcalloc(suite.n, sizeof(*msgs));
		for (size_t i = 0; i < suite.n; i++) {
			const struct guest_result *g = &res[i];
			if (g->status < 0)
				msgs[i] = xasprintf("%s: %s", g->started ? "did not finish" : "not run",
						    failed < 0 ? "the boot failed" : "no result");
			else if (g->status == 143)
				msgs[i] = xasprintf("killed after the %d s limit, or by SIGTERM "
						    "(exit status 143)", GUEST_SCRIPT_TIMEOUT);
			else if (g->status)
				msgs[i] = xasprintf("exit status %d", g->status);
			cases[i] = (struct report_case){
				.name = suite.v[i].name,
				.passed = g->status == 0,
				.status = g->status,
				.seconds = g->seconds,
				.message = msgs[i],
				.output = g->output.s,
			};
		}
		struct report r = {
			.name = "mkdistro test",
			.boot = report_boot_of(&t),
			.cases = cases,
			.ncases = suite.n,
			.exit_status = rc,
		};
		print_report(o, &r);
		for (size_t i = 0; i < suite.n; i++) {
			free(msgs[i]);
			buf_free(&res[i].output);
		}
		free(msgs);
		free(cases);
		free(res);
	}
	free(tmp);
	boot_free(&boot);
out:
	guest_suite_free(&suite);
	build_free(&b);
	return rc;
}

/* One boot of a bisection step (the test suite S, the command, or just
 * the boot): its outcome in *OUT. */
static void bisect_boot(const struct build *b, const struct boot *boot, const struct opts *o,
			const struct guest_suite *s, struct bisect_outcome *out)
{
	struct boot_times t = { .first_output = -1, .init = -1, .prompt = -1 };
	int rc;
	fflush(stdout);
	if (s) {
		char *tmp = test_initrd_path(b);
		rc = guest_run(boot, s, tmp, stdout, &t, NULL);
		free(tmp);
	} else {
		rc = qemu_command(boot, o->command ? o->command : "true", STDOUT_FILENO,
				  STDERR_FILENO, &t);
	}
	out->boot_failure = rc < 0 ? -rc : 0;
	out->qemu_status = t.qemu_status;
	out->status = rc > 0 ? rc : 0;
}

/* 1 when the command is bisect-run (main() makes its exit statuses
 * git's), 2 once cmd_bisect_run() has given its verdict. */
static int bisect_mode;

/* One commit's verdict: build the tree of CFG, boot it (--repeat times)
 * and judge it (bisect.h); WHY says why. */
static int bisect_judge(struct opts *o, struct config *cfg, unsigned bad_on,
			const struct guest_suite *suite, char *why, size_t whylen)
{
	struct bisect_outcome out = { .tests = suite != NULL, .command = o->command != NULL };
	struct build b;
	if (build_init(&b, cfg, o->jobs, o->offline) < 0) {
		snprintf(why, whylen, "skip: the system description cannot be built");
		return BISECT_SKIP;
	}
	out.built = build_all(&b) == 0;
	int n = o->repeat > 0 ? o->repeat : 1, rc = BISECT_SKIP;
	if (!out.built) {
		rc = bisect_verdict(&out, bad_on, why, whylen);
	} else {
		struct boot boot = boot_of(&b, o);
		for (int i = 0; i < n; i++) {
			bisect_boot(&b, &boot, o, suite, &out);
			rc = bisect_verdict(&out, bad_on, why, whylen);
			if (n > 1)
				fprintf(stderr, "mkdistro: bisect-run: boot %d of %d: %s\n", i + 1, n, why);
			if (rc != BISECT_GOOD)
				break;
		}
		boot_free(&boot);
	}
	build_free(&b);
	return rc;
}

/* bisect-run --check GOOD BAD: both ends judged as a bisection would, each
 * built from a copy of that commit (usertree_checkout: the user's tree
 * and its index are not touched) in the system directory's check-tree/.
 * 0 when GOOD is good and BAD bad, else 1. */
static int bisect_check(struct opts *o, struct config *cfg, unsigned bad_on,
			const struct guest_suite *suite)
{
	char *tree = cfg->linux_source;
	const struct arch *a = arch_find(cfg->arch);
	if (!a) {
		warn("unknown architecture '%s'", cfg->arch);
		return 1;
	}
	/* Absolute: the copy is the kernel tree of the builds below. */
	char *bdir = arch_build_dir(a), *abs = NULL;
	if (mkdir_p(bdir, 0755) < 0 || !(abs = realpath(bdir, NULL))) {
		warn("bisect-run --check: '%s':", bdir);
		free(bdir);
		return 1;
	}
	char *priv = path_join(abs, "check-tree"), *index = path_join(abs, "check-tree.index");
	char *log = path_join(abs, "check-tree.log");
	const char *rev[2] = { o->check_good, o->check_bad };
	const char *end[2] = { "GOOD", "BAD" };
	const int want[2] = { BISECT_GOOD, BISECT_BAD };
	int got[2] = { -1, -1 }, ok = 1;
	for (int i = 0; i < 2 && ok; i++) {
		char *id = NULL, why[256];
		unlink(log);
		if (usertree_checkout(tree, rev[i], priv, index, log, &id) < 0) {
			ok = 0;
			break;
		}
		fprintf(stderr, "mkdistro: bisect-run --check: %s %s is commit %.12s: building it\n",
			end[i], rev[i], id);
		cfg->linux_source = priv;
		got[i] = bisect_judge(o, cfg, bad_on, suite, why, sizeof(why));
		cfg->linux_source = tree;
		fprintf(stderr, "mkdistro: bisect-run --check: %s %s (%.12s): %s\n", end[i], rev[i], id,
			why);
		free(id);
		ok = got[i] == want[i];
	}
	if (ok)
		fprintf(stderr, "mkdistro: bisect-run --check: %s is good and %s is bad: ready for\n"
			"  git bisect start %s %s && git bisect run mkdistro bisect-run [the same options]\n",
			rev[0], rev[1], rev[1], rev[0]);
	for (int i = 0; i < 2; i++)
		if (got[i] >= 0 && got[i] != want[i])
			fprintf(stderr, "mkdistro: bisect-run --check: %s %s is %s, not %s: a bisection "
				"between them would not find the commit; pick another %s commit\n",
				end[i], rev[i], bisect_verdict_word(got[i]), bisect_verdict_word(want[i]),
				bisect_verdict_word(want[i]));
	free(bdir);
	free(abs);
	free(priv);
	free(index);
	free(log);
	return ok ? 0 : 1;
}

/* git bisect run's step: build the tree, boot it (--repeat times), and
 * exit 0 (good), 1 (bad) or 125 (skip), with a line saying why. */
static int cmd_bisect_run(struct opts *o, struct config *cfg)
{
	unsigned bad_on = BISECT_CLASS_ALL;
	if (o->bad_on && bisect_parse_classes(o->bad_on, &bad_on) < 0)
		return BISECT_SKIP;
	struct guest_suite suite;
	if (o->test_dir && guest_suite_load(&suite, o->test_dir, 0) < 0)
		return BISECT_SKIP;
	const struct guest_suite *s = o->test_dir ? &suite : NULL;
	int rc;
	if (o->check_good) {
		rc = bisect_check(o, cfg, bad_on, s);
	} else {
		char *commit = usertree_describe(cfg->linux_source);
		char why[256];
		rc = bisect_judge(o, cfg, bad_on, s, why, sizeof(why));
		fprintf(stderr, "mkdistro: bisect-run: %s, %s (exit %d)\n", commit, why, rc);
		free(commit);
	}
	bisect_mode = 2;
	if (o->test_dir)
		guest_suite_free(&suite);
	return rc;
}

static const struct cmd cmds[] = {
	{ "build", cmd_build, CMD_KERNEL, "",
	  "fetch, verify and build the system into out/",
	  "Fetch and verify the sources, build the kernel, musl and BusyBox, and write\n"
	  "out/vmlinuz, out/initrd.img and out/run-qemu.sh. Steps whose inputs did not\n"
	  "change since their last success are skipped.\n" },
	{ "run", cmd_run, CMD_BOOTS | CMD_RUN_OPTS | CMD_KERNEL, "[-c CMD] [--time]",
	  "build if needed, check, then boot the system in QEMU",
	  "Boot the system on the serial console in this terminal (build and check it\n"
	  "first). Leave with 'poweroff' in the guest, or Ctrl-A then X.\n"
	  "  -c, --command CMD    run CMD in the guest shell, print its output, power\n"
	  "                       off, and exit with CMD's exit status; a failed boot\n"
	  "                       exits 248-255 (see mkdistro(1), EXIT STATUS)\n"
	  "      --time           report QEMU start to first output, /init and prompt\n"
	  "      --command-timeout S\n"
	  "                       give the command S seconds of its own (from its\n"
	  "                       start in the guest); --timeout then covers the boot\n"
	  "                       only. When it fires: exit 253, a message naming it\n" },
	{ "test", cmd_test, CMD_BOOTS | CMD_DIR | CMD_KERNEL, "[DIR]",
	  "boot once and run the guest test scripts",
	  "Build if needed, check, boot, and run each guest test script in the guest:\n"
	  "the built-in smoke suite, then DIR/*.sh. Prints PASS or FAIL per script (with\n"
	  "the output of failed ones) and 'N passed, N failed'. Exits 0 when all\n"
	  "passed, 1 when one failed, 248-255 when the boot failed.\n" },
	{ "bisect-run", cmd_bisect_run, CMD_BOOTS | CMD_BISECT,
	  "[-c CMD | --test DIR] [--check GOOD BAD]",
	  "build and boot the kernel tree here, for git bisect run",
	  "For 'git bisect run mkdistro bisect-run [OPTIONS]' in your kernel tree: build\n"
	  "the tree (the current directory, or --linux DIR) out of tree, boot it, and\n"
	  "exit 0 when it is good, 1 when it is bad, 125 to skip the commit. Bad: the\n"
	  "boot failed in one of the --bad-on ways, or the command or a test failed.\n"
	  "Skipped: the commit does not build, or the failure is the tool's or the\n"
	  "machine's (QEMU missing or killed). Never 128 or more, but when interrupted.\n"
	  "The system is built in --system DIR (its mkdistro.conf is used), else in\n"
	  "the cache's bisect/ directory, one per tree.\n"
	  "  -c, --command CMD    run CMD in the guest: bad when it exits non-zero\n"
	  "      --test DIR       run the smoke suite and DIR/*.sh: bad when one fails\n"
	  "      --boot           only boot to the shell (the default)\n"
	  "      --bad-on LIST    the boot failures that count as bad: panic, init,\n"
	  "                       stall, timeout, reboot (default: all); the others skip\n"
	  "      --repeat N       boot N times: bad when any boot is (flaky bugs)\n"
	  "      --system DIR     the system directory to build in\n"
	  "      --check GOOD BAD before a bisection: judge the two commits the same\n"
	  "                       way, each built from a copy of it (your tree and its\n"
	  "                       index are left as they are); exit 0 when GOOD is\n"
	  "                       good and BAD is bad, else 1\n" },
	{ "check", cmd_check, CMD_KERNEL, "",
	  "check the built system for what would break its boot",
	  "Build if needed, then read the kernel's .config and the initramfs and report\n"
	  "what would make the boot fail, each with its fix: /init missing, not\n"
	  "executable, or its #! interpreter missing; ELF files for another\n"
	  "architecture or without their loader; no /dev/console; a kernel without\n"
	  "initramfs support, the decompressor, ELF or #! support, or the console\n"
	  "driver. Exits 1 when it found an error. run and test check first.\n" },
	{ "init", cmd_init, CMD_DIR | CMD_NO_CONFIG, "[DIR]", "create a system directory to make your own system",
	  "Create DIR (default: the current directory) with an annotated mkdistro.conf\n"
	  "that lists every key with its default, empty kernel.fragment and\n"
	  "busybox.fragment, an empty overlay/ and programs/, and a .gitignore. An\n"
	  "existing mkdistro.conf is never overwritten. 'mkdistro build' there gives\n"
	  "the default system.\n" },
	{ "menuconfig", cmd_menuconfig, CMD_COMPONENT, "kernel|busybox",
	  "configure the kernel or BusyBox interactively",
	  "Open the component's menuconfig on the current configuration of the build.\n"
	  "When you save a changed configuration, the changed symbols are merged into\n"
	  "the system's fragment file ([linux] or [busybox] fragment), sorted, one per\n"
	  "line. Quitting without saving changes nothing.\n" },
	{ "config", cmd_config, CMD_COMPONENT, "kernel|busybox",
	  "show the configuration fragment in effect",
	  "Print the fragment in effect for the component (mkdistro's own symbols,\n"
	  "then yours) and the symbols whose final value differs from what it asks.\n"
	  "Exits 1 when some differ.\n" },
	{ "cc", cmd_cc, 0, "[COMPILER ARGS...]",
	  "compile a program for the system (static, against its musl)",
	  "Run the target compiler with the system's musl sysroot, linking statically:\n"
	  "  mkdistro cc -o hello hello.c\n"
	  "Options for mkdistro go before 'cc'; everything after it is the compiler's.\n" },
	{ "env", cmd_env, 0, "",
	  "print CC, CFLAGS, LDFLAGS and SYSROOT for other build systems",
	  "Print shell assignments for building programs for the system with other\n"
	  "build systems: eval \"$(mkdistro env)\"; $CC $CFLAGS $LDFLAGS ...\n" },
	{ "fetch", cmd_fetch, CMD_SOURCE, "[linux|musl|busybox]",
	  "download and verify the sources into the cache",
	  "Download every source file of the system (or the one named) into the cache\n"
	  "($XDG_CACHE_HOME/mkdistro/sources) and verify its sha256 and size.\n" },
	{ "versions", cmd_versions, CMD_SOURCE, "[linux|musl|busybox]",
	  "list the versions of each source: pinned, offered by Debian, cached",
	  "List the versions of the kernel, musl and BusyBox (or of the one named):\n"
	  "those the catalog pins, those Debian's archive offers (Debian's version and\n"
	  "suite, read through mkdistro's own apt state; not with --offline), those\n"
	  "pinned here from the archive, and which are in use and in the cache. Any of\n"
	  "them goes in mkdistro.conf as [NAME] version = VERSION.\n" },
	{ "status", cmd_status, CMD_KERNEL, "", "list each build step as up to date or stale (and why)",
	  "List each step of the build with 'up to date' or 'stale' and the reason.\n"
	  "Exits 1 if any step is stale.\n" },
	{ "arches", cmd_arches, CMD_NO_CONFIG, "", "list the target architectures and whether they are ready",
	  "List every architecture mkdistro builds for: the kernel's ARCH, the QEMU\n"
	  "machine and console, the output directory if it was built here, and whether\n"
	  "the host has its cross compiler and QEMU (else the Debian packages to\n"
	  "install). Build for one with --arch NAME or arch = NAME in [system].\n" },
	{ "packages", cmd_packages, CMD_ARCH_ALL, "",
	  "print the Debian packages an architecture needs on the host",
	  "Print the Debian packages the chosen architecture (--arch NAME, or the\n"
	  "configuration's) needs on the host, on one line; --arch all prints those\n"
	  "of every architecture. For scripts: sudo apt-get install $(mkdistro packages).\n" },
	{ "clean", cmd_clean, CMD_NO_CONFIG, "", "remove build/ and out/ (keeps the source cache)",
	  "Remove the build directory and the outputs. The source cache is kept.\n" },
};

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mkdistro COMMAND [OPTIONS]\n\n"
		   "Build a minimal Linux system (kernel, musl, BusyBox, initramfs) from\n"
		   "source and boot it in QEMU.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\noptions:\n%s      --version     print the version\n\n"
		   "'mkdistro COMMAND --help' describes a command; see also mkdistro(1).\n",
		common_help);
}

/* Commands that boot and take the boot options. */
static int boots(const struct cmd *c)
{
	return (c->flags & CMD_BOOTS) != 0;
}

static void cmd_usage(const struct cmd *c)
{
	printf("usage: mkdistro %s [OPTIONS]%s%s\n\n%s\noptions:\n%s%s%s", c->name,
	       *c->args ? " " : "", c->args, c->help, boots(c) ? boot_help : "",
	       c->flags & CMD_KERNEL ? kernel_help : "", common_help);
}

/* SECS as a number of seconds for OPTION. Returns 0 or -1 after warn(). */
static int parse_seconds(const char *option, const char *arg, double *out)
{
	char *end;
	double v = strtod(arg, &end);
	if (end == arg || *end || !(v > 0) || v > 1e6) {
		warn("--%s '%s': expected seconds, more than 0", option, arg);
		return -1;
	}
	*out = v;
	return 0;
}

/* ARG as a count of WHAT from 1 to MAX for OPTION ("-j"). Returns 0 or
 * -1 after warn(). */
static int parse_count(const char *option, const char *arg, long max, const char *what, int *out)
{
	char *end;
	long n = strtol(arg, &end, 10);
	if (end == arg || *end || n < 1 || n > max) {
		warn("%s '%s': expected a number of %s from 1 to %ld", option, arg, what, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* Take the kernel image of --kernel or [linux] image into CFG and check it
 * against the target before anything is built or booted; the user's tree
 * (--linux, [linux] source) and an image exclude each other. Returns 0, or
 * 2 (the exit status) after warn(). */
static int take_kernel_image(const struct opts *o, const struct cmd *cmd, struct config *cfg)
{
	if (o->kernel && o->linux_tree) {
		warn("--kernel and --linux are two kernels: give an image to boot or a tree to "
		     "build");
		return 2;
	}
	/* --kernel wins over [linux] image, --linux too; the other commands
	 * do not use it. */
	if (o->kernel || o->linux_tree || !(cmd->flags & CMD_KERNEL)) {
		free(cfg->kernel_image);
		cfg->kernel_image = NULL;
		char cwd[PATH_MAX];
		if (o->kernel && o->kernel[0] != '/' && !getcwd(cwd, sizeof(cwd))) {
			warn("getcwd:");
			return 2;
		}
		if (o->kernel)
			cfg->kernel_image = o->kernel[0] == '/' ? xstrdup(o->kernel) : path_join(cwd, o->kernel);
	}
	if (cfg->kernel_image && cfg->linux_source) {
		if (!o->kernel) {
			warn("%s: [linux] source and image are two kernels: keep one, or choose with "
			     "--linux or --kernel", cfg->path);
			return 2;
		}
		/* The image is booted: no tree is built. */
		free(cfg->linux_source);
		cfg->linux_source = NULL;
	}
	if (o->kernel_config && !cfg->kernel_image) {
		warn("--kernel-config '%s': it is the configuration of a kernel image given with "
		     "--kernel FILE or [linux] image", o->kernel_config);
		return 2;
	}
	struct kimage k;
	if (cfg->kernel_image && userimage_check(cfg->kernel_image, arch_find(cfg->arch), &k) < 0)
		return 2;
	if (cfg->kernel_image)
		kimage_free(&k);
	int fd = o->kernel_config ? open(o->kernel_config, O_RDONLY | O_CLOEXEC) : -1;
	if (o->kernel_config && fd < 0) {
		warn("--kernel-config '%s':", o->kernel_config);
		return 2;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/* --OPTION DIR over a directory key of the configuration (--linux over
 * [linux] source, --modules over [linux] modules_dir): *FIELD becomes DIR
 * as an absolute directory. WHAT says what DIR must be, for the message.
 * 0, or -1 after warn(). */
static int set_dir_option(char **field, const struct cmd *cmd, const char *option, const char *dir,
			  const char *what)
{
	if (cmd->flags & CMD_NO_CONFIG) {
		warn("%s: --%s belongs to the commands that build or boot", cmd->name, option);
		return -1;
	}
	struct stat st;
	char *abs = realpath(dir, NULL);
	if (!abs || stat(abs, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (abs)
			errno = ENOTDIR;
		warn("--%s '%s': give %s:", option, dir, what);
		free(abs);
		return -1;
	}
	free(*field);
	*field = abs;
	return 0;
}

/* One more argument for QEMU, after mkdistro's own (--qemu-arg, --gdb). */
static void add_qemu_arg(struct opts *o, char *arg)
{
	o->qemu_args = xreallocarray(o->qemu_args, o->nqemu_args + 2, sizeof(char *));
	o->qemu_args[o->nqemu_args++] = arg;
	o->qemu_args[o->nqemu_args] = NULL;
}

enum { OPT_TIMEOUT = 256, OPT_IDLE, OPT_QEMU_ARG, OPT_NO_CHECK, OPT_ARCH, OPT_LINUX, OPT_KERNEL,
       OPT_KERNEL_CONFIG, OPT_MODULES, OPT_TEST, OPT_BAD_ON, OPT_REPEAT, OPT_SYSTEM, OPT_BOOT,
       OPT_CHECK, OPT_FORMAT, OPT_LOG, OPT_COMMAND_TIMEOUT, OPT_GDB, OPT_SHARE, OPT_NET,
       OPT_FORWARD };

static const char shortopts[] = "f:j:vc:h";

/* Whether ARG, an option word, takes the next word as its argument
 * (by LONGOPTS and shortopts: "--kernel FILE", "-f FILE", not "--kernel=FILE"). */
static int takes_next(const char *arg, const struct option *longopts)
{
	if (arg[1] != '-') {
		const char *p = arg[1] ? strchr(shortopts, arg[1]) : NULL;
		return p && p[1] == ':' && !arg[2];
	}
	for (const struct option *l = longopts; l->name; l++)
		if (!strcmp(arg + 2, l->name))
			return l->has_arg == required_argument;
	return 0;
}

/* bisect-run: the tree is the current directory (or --linux DIR); the
 * build happens in the system directory (--system DIR, else the cache's
 * one for the tree), made the current directory before the configuration
 * is read, with -f FILE taken relative to where mkdistro was started.
 * Returns 0, or -1 after warn(). */
static int enter_system_dir(struct opts *o)
{
	static char *tree, *file, *dir, *tests, *modules;
	tree = realpath(o->linux_tree ? o->linux_tree : ".", NULL);
	if (!tree) {
		warn("bisect-run: the kernel tree '%s':", o->linux_tree ? o->linux_tree : ".");
		return -1;
	}
	if (usertree_is_tree(tree) < 0)
		return -1;
	/* Paths the user gave, from where they gave them. */
	if (o->file && !(file = realpath(o->file, NULL))) {
		warn("-f '%s':", o->file);
		return -1;
	}
	if (o->test_dir && !(tests = realpath(o->test_dir, NULL))) {
		warn("--test '%s':", o->test_dir);
		return -1;
	}
	if (o->modules_dir && !(modules = realpath(o->modules_dir, NULL))) {
		warn("--modules '%s':", o->modules_dir);
		return -1;
	}
	if (o->system) {
		dir = xstrdup(o->system);
	} else {
		char *cache = cache_dir("bisect");
		if (!cache) {
			warn("bisect-run: no cache directory (HOME and XDG_CACHE_HOME unset): give "
			     "--system DIR");
			return -1;
		}
		dir = bisect_system_dir(cache, tree);
		free(cache);
	}
	if (mkdir_p(dir, 0755) < 0 || chdir(dir) < 0) {
		warn("bisect-run: the system directory '%s':", dir);
		return -1;
	}
	if (verbose || !o->system)
		fprintf(stderr, "mkdistro: bisect-run: building %s in %s\n", tree, dir);
	o->linux_tree = tree;
	if (file)
		o->file = file;
	if (tests)
		o->test_dir = tests;
	if (modules)
		o->modules_dir = modules;
	return 0;
}

static int mkdistro_main(int argc, char **argv);

int main(int argc, char **argv)
{
	int rc = mkdistro_main(argc, argv);
	/* bisect-run: only its verdict says 0 or 1 (git: good, bad); any
	 * other end of it (a usage error, a bad configuration) is 125. */
	if (bisect_mode == 1 && rc != 0 && rc != BISECT_SKIP) {
		warn("bisect-run: the commit could not be tested (status %d): skip (exit 125)", rc);
		rc = BISECT_SKIP;
	}
	return rc;
}

static int mkdistro_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "command", required_argument, NULL, 'c' },
		{ "time", no_argument, NULL, 'T' },
		{ "offline", no_argument, NULL, 'O' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE },
		{ "qemu-arg", required_argument, NULL, OPT_QEMU_ARG },
		{ "no-check", no_argument, NULL, OPT_NO_CHECK },
		{ "arch", required_argument, NULL, OPT_ARCH },
		{ "linux", required_argument, NULL, OPT_LINUX },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "kernel-config", required_argument, NULL, OPT_KERNEL_CONFIG },
		{ "modules", required_argument, NULL, OPT_MODULES },
		{ "test", required_argument, NULL, OPT_TEST },
		{ "bad-on", required_argument, NULL, OPT_BAD_ON },
		{ "repeat", required_argument, NULL, OPT_REPEAT },
		{ "system", required_argument, NULL, OPT_SYSTEM },
		{ "boot", no_argument, NULL, OPT_BOOT },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "gdb", optional_argument, NULL, OPT_GDB },
		{ "share", required_argument, NULL, OPT_SHARE },
		{ "net", optional_argument, NULL, OPT_NET },
		{ "forward", required_argument, NULL, OPT_FORWARD },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "command-timeout", required_argument, NULL, OPT_COMMAND_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .jobs = (int)sysconf(_SC_NPROCESSORS_ONLN) };
	int help = 0, c, boot_opt = 0, bisect_opt = 0, check = 0;

	if (o.jobs < 1)
		o.jobs = 1;
	/* The command word, found before the options are parsed: everything
	 * after "cc" belongs to the compiler, so mkdistro's own options are
	 * read only before it; bisect-run's exit statuses are git's. */
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			i += takes_next(argv[i], longopts);
			continue;
		}
		if (!strcmp(argv[i], "bisect-run")) {
			bisect_mode = 1;
			die_status(BISECT_SKIP);
		}
		if (!strcmp(argv[i], "cc")) {
			o.cc_args = argv + i + 1;
			o.cc_argc = argc - i - 1;
			argc = i + 1;
		}
		break;
	}
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o.file = optarg; break;
		case 'j':
			if (parse_count("-j", optarg, 1024, "jobs", &o.jobs) < 0)
				return 2;
			break;
		case 'v': verbose++; break;
		case 'c': o.command = optarg; break;
		case 'T': o.time = 1; break;
		case 'O': o.offline = 1; break;
		case OPT_TIMEOUT:
			if (parse_seconds("timeout", optarg, &o.timeout) < 0)
				return 2;
			boot_opt = 1;
			break;
		case OPT_IDLE:
			if (parse_seconds("idle-timeout", optarg, &o.idle_timeout) < 0)
				return 2;
			boot_opt = 1;
			break;
		case OPT_QEMU_ARG:
			add_qemu_arg(&o, optarg);
			boot_opt = 1;
			break;
		case OPT_NO_CHECK: o.no_check = 1; boot_opt = 1; break;
		case OPT_GDB: {
			static char stub[32];
			if (!optarg)
				o.gdb_port = 1234;
			else if (sscanf(optarg, "%d%c", &o.gdb_port, (char[1]){0}) != 1 ||
				 o.gdb_port < 1 || o.gdb_port > 65535) {
				warn("--gdb='%s': expected a TCP port from 1 to 65535 (--gdb alone: 1234)",
				     optarg);
				return 2;
			}
			/* QEMU stopped, its stub on the loopback interface only. */
			snprintf(stub, sizeof(stub), "tcp:127.0.0.1:%d", o.gdb_port);
			add_qemu_arg(&o, "-S");
			add_qemu_arg(&o, "-gdb");
			add_qemu_arg(&o, stub);
			boot_opt = 1;
			break;
		}
		case OPT_SHARE:
			o.shares = xreallocarray(o.shares, o.nshares + 1, sizeof(*o.shares));
			if (share_parse(optarg, &o.shares[o.nshares]) < 0)
				return 2;
			o.nshares++;
			boot_opt = 1;
			break;
		case OPT_NET:
			if (net_parse_mode(&o.net, optarg) < 0)
				return 2;
			boot_opt = 1;
			break;
		case OPT_FORWARD:
			if (net_add_forward(&o.net, optarg) < 0)
				return 2;
			boot_opt = 1;
			break;
		case OPT_FORMAT:
			if (report_format_parse(optarg, &o.format) < 0) {
				warn("--format '%s': expected tap, junit or json", optarg);
				return 2;
			}
			boot_opt = 1;
			break;
		case OPT_LOG: o.log = optarg; boot_opt = 1; break;
		case OPT_COMMAND_TIMEOUT:
			if (parse_seconds("command-timeout", optarg, &o.command_timeout) < 0)
				return 2;
			break;
		case OPT_ARCH: o.arch = optarg; break;
		case OPT_LINUX: o.linux_tree = optarg; break;
		case OPT_KERNEL: o.kernel = optarg; break;
		case OPT_KERNEL_CONFIG: o.kernel_config = optarg; break;
		case OPT_MODULES: o.modules_dir = optarg; break;
		case OPT_TEST: o.test_dir = optarg; bisect_opt = 1; break;
		case OPT_BAD_ON: o.bad_on = optarg; bisect_opt = 1; break;
		case OPT_REPEAT:
			if (parse_count("--repeat", optarg, 1000, "boots", &o.repeat) < 0)
				return 2;
			bisect_opt = 1;
			break;
		case OPT_SYSTEM: o.system = optarg; bisect_opt = 1; break;
		case OPT_BOOT: bisect_opt = 1; break;
		case OPT_CHECK: check = 1; bisect_opt = 1; break;
		case 'h': help = 1; break;
		case 'V': printf("mkdistro %s\n", MKDISTRO_VERSION); return 0;
		default:
			fprintf(stderr, "Try 'mkdistro --help'.\n");
			return 2;
		}
	}
	if (optind >= argc) {
		usage(help ? stdout : stderr);
		return help ? 0 : 2;
	}
	const struct cmd *cmd = find_cmd(argv[optind]);
	if (!cmd) {
		warn("unknown command '%s'; try 'mkdistro --help'", argv[optind]);
		return 2;
	}
	if (help) {
		cmd_usage(cmd);
		return 0;
	}
	int args = cmd->flags & (CMD_DIR | CMD_COMPONENT | CMD_SOURCE) ? 1 : 0;
	if ((cmd->flags & CMD_BISECT) && check) {
		if (optind + 3 > argc) {
			warn("bisect-run: --check needs two commits: --check GOOD BAD");
			return 2;
		}
		o.check_good = argv[optind + 1];
		o.check_bad = argv[optind + 2];
		args = 2;
	}
	if (optind + 1 + args < argc) {
		warn("%s: unexpected argument '%s'", cmd->name, argv[optind + 1 + args]);
		return 2;
	}
	if (cmd->flags & CMD_COMPONENT) {
		if (optind + 1 >= argc || (strcmp(argv[optind + 1], "kernel") &&
					   strcmp(argv[optind + 1], "busybox"))) {
			warn("%s: name the component: 'mkdistro %s kernel' or 'mkdistro %s busybox'",
			     cmd->name, cmd->name, cmd->name);
			return 2;
		}
		o.component = argv[optind + 1];
	} else if ((cmd->flags & CMD_SOURCE) && optind + 1 < argc) {
		const char *n = argv[optind + 1];
		if (strcmp(n, "linux") && strcmp(n, "musl") && strcmp(n, "busybox")) {
			warn("%s: unknown source '%s': name linux, musl or busybox (or none for all)",
			     cmd->name, n);
			return 2;
		}
		o.component = n;
	} else if (args && optind + 1 < argc) {
		o.dir = argv[optind + 1];
	}
	if ((o.time || o.command_timeout > 0) && !(cmd->flags & CMD_RUN_OPTS)) {
		warn("%s: --time and --command-timeout belong to 'mkdistro run'", cmd->name);
		return 2;
	}
	if (o.command && !(cmd->flags & (CMD_RUN_OPTS | CMD_BISECT))) {
		warn("%s: -c belongs to 'mkdistro run' and 'mkdistro bisect-run'", cmd->name);
		return 2;
	}
	if (bisect_opt && !(cmd->flags & CMD_BISECT)) {
		warn("%s: --test, --boot, --bad-on, --repeat, --system and --check belong to "
		     "'mkdistro bisect-run'", cmd->name);
		return 2;
	}
	if (o.command && o.test_dir) {
		warn("%s: -c and --test are two tests: give one", cmd->name);
		return 2;
	}
	if (boot_opt && !boots(cmd)) {
		warn("%s: --timeout, --idle-timeout, --qemu-arg, --no-check, --gdb, --share, --net, "
		     "--forward, --format and --log belong to 'mkdistro run' and 'mkdistro test'",
		     cmd->name);
		return 2;
	}
	if (o.gdb_port && (cmd->flags & CMD_BISECT)) {
		warn("bisect-run: --gdb stops every boot for a debugger: debug one commit with "
		     "'mkdistro run --gdb' instead");
		return 2;
	}
	if ((cmd->flags & CMD_RUN_OPTS) && o.format && !o.command && !o.time) {
		warn("run: --format reports a driven boot: give -c CMD or --time");
		return 2;
	}
	if ((cmd->flags & CMD_RUN_OPTS) && o.command_timeout > 0 && !o.command) {
		warn("run: --command-timeout is the limit of -c CMD");
		return 2;
	}
	if ((o.kernel || o.kernel_config) && !(cmd->flags & CMD_KERNEL)) {
		warn("%s: --kernel and --kernel-config belong to build, run, test, check and status",
		     cmd->name);
		return 2;
	}

	proc_install_signal_handlers();

	if (o.arch && !arch_find(o.arch) && !((cmd->flags & CMD_ARCH_ALL) && !strcmp(o.arch, "all"))) {
		char *known = arch_names();
		warn("--arch '%s': unknown architecture; known: %s (mkdistro arches lists them)",
		     o.arch, known);
		free(known);
		return 2;
	}
	if ((cmd->flags & CMD_BISECT) && enter_system_dir(&o) < 0)
		return 2;
	struct config cfg = {0};
	if (!(cmd->flags & CMD_NO_CONFIG) &&
	    config_load(&cfg, o.file, o.file != NULL) < 0)
		return 1;
	if ((o.linux_tree && set_dir_option(&cfg.linux_source, cmd, "linux", o.linux_tree,
					     "your kernel source tree's directory") < 0) ||
	    (o.modules_dir && set_dir_option(&cfg.modules_dir, cmd, "modules", o.modules_dir,
					      "a lib/modules/RELEASE directory") < 0)) {
		config_free(&cfg);
		return 2;
	}
	/* --arch wins over [system] arch. */
	if (o.arch && cfg.arch && arch_find(o.arch)) {
		free(cfg.arch);
		cfg.arch = xstrdup(o.arch);
	}
	int rc = take_kernel_image(&o, cmd, &cfg);
	if (rc == 0)
		rc = links_allowed(&o, &cfg);
	if (rc == 0)
		rc = cmd->fn(&o, &cfg);
	config_free(&cfg);
	free(o.qemu_args);
	for (size_t i = 0; i < o.nshares; i++)
		share_free(&o.shares[i]);
	free(o.shares);
	net_free(&o.net);
	return rc;
}
