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
	const struct source *linux_src, *musl_src, *busybox_src;
	char *workdir;  /* absolute: where build/ and out/ live */
	char *builddir; /* WORKDIR/build */
	char *outdir;   /* WORKDIR/out */
	char *cachedir; /* source cache */
	int jobs;       /* make -j */
	int offline;    /* no downloads */
	struct plan plan;
};

/* Prepare B for CFG in the current directory. Returns 0, or -1 after
 * warn() (unknown version, no cache directory). */
int build_init(struct build *b, const struct config *cfg, int jobs);
/* Release what build_init allocated. */
void build_free(struct build *b);
/* Check that host tools the build needs exist; names the Debian package
 * of each missing one. Returns 0 or -1. */
int build_check_host(const struct build *b);
/* Fetch and verify every source into the cache. Returns 0 or -1. */
int build_fetch(struct build *b);
/* Build everything up to out/ (skipping up-to-date steps) and write
 * out/run-qemu.sh. Returns 0 or -1. */
int build_all(struct build *b);
/* Run the plan up to STEP only (e.g. "toolchain", "kconfig"). 0 or -1. */
int build_upto(struct build *b, const char *step);
/* The kernel (BUSYBOX 0) or BusyBox (1) fragment in effect: built-in
 * symbols, then the user's fragment. OUT is initialised. 0 or -1. */
int build_fragment(const struct build *b, int busybox, struct kconfig_set *out);
/* The kernel command line for booting the built system (new memory). */
char *build_cmdline(const struct build *b);
/* Paths of the outputs (new memory). */
char *build_kernel_path(const struct build *b);
char *build_initrd_path(const struct build *b);

#endif
