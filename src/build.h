/* build: the seed system's pipeline. Sources are fetched and unpacked,
 * the kernel, musl and BusyBox are built, and the root filesystem is
 * packed into an initramfs; each of these is a step of a plan (steps.h).
 *
 * Layout under the work directory:
 *   build/src/{linux,musl,busybox}  unpacked sources
 *   build/linux, build/busybox      out-of-tree object directories
 *   build/sysroot                   musl and kernel headers for the target
 *   build/rootfs                    staging tree of the root filesystem
 *   build/stamps, build/logs        step records and logs
 *   out/vmlinuz, out/initrd.img, out/run-qemu.sh */
#ifndef MKDISTRO_BUILD_H
#define MKDISTRO_BUILD_H

#include "arch.h"
#include "catalog.h"
#include "config.h"
#include "kconfig.h"
#include "steps.h"

struct build {
	const struct config *cfg;
	const struct arch *arch;
	const struct source *linux_src, *musl_src, *busybox_src; /* in srcs */
	struct source srcs[3]; /* the three sources, pinned (pin.h) */
	char *workdir;  /* absolute: where build/ and out/ live */
	char *builddir; /* WORKDIR/build */
	char *outdir;   /* WORKDIR/out */
	char *cachedir; /* source cache */
	int jobs;       /* make -j */
	int offline;    /* no downloads */
	struct plan plan;
	/* The user's tree's state (usertree_state), walked once per build:
	 * step keys are computed at its start, and a tree edited while it
	 * runs counts at the next one. */
	int tree_walked;
	char tree_all[SHA256_HEX_LEN + 1], tree_kconfig[SHA256_HEX_LEN + 1];
};

/* The parts whose configuration is edited by hand (menuconfig, config):
 * where each is built is the build's to say, through the functions below. */
enum build_part { BUILD_KERNEL, BUILD_BUSYBOX };

/* Prepare B for CFG in the current directory, and pin what a build must
 * not depend on in this process's environment, for every step and tool:
 * umask 022, LC_ALL=C, TZ=UTC, SOURCE_DATE_EPOCH (1700000000 unless set),
 * the kernel's KBUILD_BUILD_TIMESTAMP, _USER and _HOST; an outer make's
 * MAKEFLAGS and the like are removed. Returns 0, or -1 after warn()
 * (unknown version, no cache directory). */
int build_init(struct build *b, const struct config *cfg, int jobs, int offline);
/* Release what build_init allocated. */
void build_free(struct build *b);
/* Check that host tools the build needs exist; names the Debian package
 * of each missing one. Returns 0 or -1. */
int build_check_host(const struct build *b);
/* Fetch and verify every source (or the one NAME, when not NULL) into
 * the cache. Returns 0 or -1. */
int build_fetch(struct build *b, const char *name);
/* Build everything up to out/ (skipping up-to-date steps) and write
 * out/run-qemu.sh. Returns 0 or -1. */
int build_all(struct build *b);
/* Print each step as up to date or stale (plan_status) and, for the
 * user's kernel tree, what it is now and what the kernel was built from.
 * Returns the number of stale steps. */
int build_status(struct build *b);
/* Run the plan up to STEP only (e.g. "toolchain", "kconfig"). 0 or -1. */
int build_upto(struct build *b, const char *step);
/* The fragment in effect for PART: built-in symbols, then the user's
 * fragment. OUT is initialised. 0 or -1. */
int build_fragment(const struct build *b, enum build_part part, struct kconfig_set *out);
/* The kernel command line for booting the built system (new memory). */
char *build_cmdline(const struct build *b);
/* Paths of the outputs (new memory). */
char *build_kernel_path(const struct build *b);
char *build_initrd_path(const struct build *b);
/* PART's source tree (absolute, new memory): the user's kernel tree
 * ([linux] source) for the kernel when there is one, else the catalog's. */
char *build_srcdir(const struct build *b, enum build_part part);
/* PART's unpacked catalog tree, build/src/linux or build/src/busybox
 * (absolute, new memory): where the source steps unpack, and the kernel
 * headers' tree, whatever [linux] source says. */
char *build_catalog_srcdir(const struct build *b, enum build_part part);
/* PART's out-of-tree object directory, build/linux or build/busybox
 * (absolute, new memory). */
char *build_objdir(const struct build *b, enum build_part part);
/* PART's .config in its object directory (absolute, new memory). */
char *build_dotconfig(const struct build *b, enum build_part part);
/* The step that makes PART's .config: "kconfig" or "bbconfig" (static). */
const char *build_config_step(enum build_part part);
/* The target's sysroot, build/sysroot: musl, the kernel headers and the
 * compiler wrapper (absolute, new memory). */
char *build_sysroot(const struct build *b);
/* The command line of a make in the kernel's tree with object directory
 * OBJDIR, the same for every caller (the kconfig, kernel and headers steps,
 * menuconfig) so that the kernel's Kconfig always sees the target's
 * compiler: make -C SRC O=OBJDIR ARCH= CROSS_COMPILE= [-jN, unless the
 * plan's job server runs] [CC=ccache ...gcc with [build] ccache] TARGET
 * [EXTRA]. TARGET and EXTRA may be NULL. A NULL-terminated vector in new
 * memory: free it with build_argv_free(). */
char **build_kernel_make(const struct build *b, const char *objdir, const char *target,
			 const char *extra);
/* Free a vector from build_kernel_make() and each of its strings. */
void build_argv_free(char **argv);

#endif
