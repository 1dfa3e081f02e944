/* lint: checks of a built system before it is booted. Reads the kernel's
 * .config (as a kconfig set) and the initramfs itself (any compression
 * libarchive reads; ELF headers with libelf) and finds what would make the
 * boot fail, each with the fix: /init missing, not executable or with a
 * missing #! interpreter; ELF files for another architecture, or
 * dynamically linked without their loader (one whose header libelf cannot
 * read is a warning); no
 * /dev/console; a kernel without initramfs support, without the
 * decompressor of the archive, without ELF or #! support, or without the
 * driver of the console named on the command line, or without what the
 * architecture's user space needs (floating point, 32-bit time calls),
 * or without what the system's shares and network need (a module is a
 * warning: it must be in the initramfs). */
#ifndef MKDISTRO_LINT_H
#define MKDISTRO_LINT_H

#include <stddef.h>
#include <stdio.h>

#include "arch.h"
#include "kconfig.h"

enum lint_id {
	LINT_ARCHIVE,         /* the initramfs cannot be read, or is no newc cpio */
	LINT_INIT_MISSING,    /* no /init (or rdinit=) in the image */
	LINT_INIT_TYPE,       /* /init is not a regular file */
	LINT_INIT_NOT_EXEC,   /* /init has no execute permission */
	LINT_INIT_INTERP,     /* /init's #! interpreter is missing or too long */
	LINT_SCRIPT_INTERP,   /* another executable script's interpreter is missing */
	LINT_ELF_ARCH,        /* an ELF file for another architecture */
	LINT_ELF_LOADER,      /* dynamically linked, its loader is missing */
	LINT_ELF_BAD,         /* an ELF header libelf cannot read (warning) */
	LINT_CONSOLE_NODE,    /* no /dev/console character device 5:1 */
	LINT_KCONFIG,         /* the kernel's .config cannot be read (warning) */
	LINT_K_INITRD,        /* no CONFIG_BLK_DEV_INITRD */
	LINT_K_DECOMPRESS,    /* no decompressor for the archive's compression */
	LINT_K_BINFMT_ELF,    /* no CONFIG_BINFMT_ELF */
	LINT_K_BINFMT_SCRIPT, /* no CONFIG_BINFMT_SCRIPT while the image has scripts */
	LINT_K_CONSOLE,       /* the console's driver is not built in */
	LINT_K_ABI,           /* an option the architecture's user space needs (FPU, time32) */
	LINT_K_SHARE,         /* an option shared directories need ([system] share) */
	LINT_K_NET,           /* an option the network needs ([system] net) */
	LINT_K_CHANNEL,       /* the command channel's driver (share or net
			       * systems): a warning, as run -c then goes
			       * over the serial console */
};

struct lint_finding {
	enum lint_id id;
	int error;     /* 1: the boot will fail; 0: a warning */
	char *subject; /* "/init", "CONFIG_RD_GZIP" ... */
	char *problem; /* what is wrong, one line */
	char *fix;     /* what to do about it, one line */
};

struct lint_report {
	struct lint_finding *v;
	size_t n;
	int errors; /* findings with error set */
};

/* What to check. */
struct lint_target {
	const struct arch *arch;
	const char *initrd;      /* path of the (compressed) cpio archive */
	const struct kconfig_set *kconfig; /* the kernel's .config; NULL: not checked */
	const char *kernel_image; /* the kernel image the user gave (--kernel), or NULL
				   * for the one mkdistro builds: fixes then do not
				   * point at the [linux] fragment */
	const char *kconfig_bad; /* with KCONFIG NULL: the configuration found for
				  * KERNEL_IMAGE that does not parse ("'FILE'"), an
				  * error; NULL: none was found, a warning */
	const char *compression; /* the configured method, used when the
				  * archive's own cannot be told */
	const char *cmdline;     /* the kernel command line (console=, rdinit=) */
	int share, net;          /* the system asks for shares, the network */
};

/* Check T, adding findings to R (zero-initialised by the caller). Never
 * fails: an unreadable archive is a finding. */
void lint_run(const struct lint_target *t, struct lint_report *r);
/* Print R's findings to F, each as "mkdistro: check: error|warning:
 * SUBJECT: PROBLEM" and an indented "fix: FIX" line. */
void lint_print(const struct lint_report *r, FILE *f);
/* The first finding with ID in R, or NULL (for tests). */
const struct lint_finding *lint_find(const struct lint_report *r, enum lint_id id);
/* Free R's memory and empty it. */
void lint_report_free(struct lint_report *r);

#endif
