/* arch: everything that differs per target architecture, in one table. */
#ifndef MKDISTRO_ARCH_H
#define MKDISTRO_ARCH_H

#include <stddef.h>

struct arch {
	const char *name;          /* mkdistro's name: "x86_64" */
	const char *kernel_arch;   /* ARCH= for the kernel: "x86" */
	const char *kernel_target; /* make target of the boot image: "bzImage" */
	const char *kernel_image;  /* that image under the object tree:
				    * "arch/x86/boot/bzImage" */
	const char *cross_prefix;  /* CROSS_COMPILE, "" for the host's own gcc */
	const char *cross_pkg;     /* Debian package of the cross gcc, NULL if native */
	const char *musl_target;   /* --target= for musl's configure */
	const char *musl_loader;   /* "/lib/ld-musl-x86_64.so.1" */
	const char *console;       /* guest console device: "ttyS0" */
	const char *boot_args;     /* kernel command line additions: a fast boot,
				    * a reset that ends QEMU (-no-reboot) */
	const char *console_kconfig; /* kernel symbols that console needs, one
				      * per line: "CONFIG_SERIAL_8250\n..." */
	const char *kconfig;       /* kernel options tinyconfig lacks here, one per line */
	const char *fpu_kconfig;   /* the kernel symbol without which the
				    * hard-float programs of this ABI die with
				    * SIGILL ("CONFIG_FPU"), or NULL */
	const char *qemu;          /* QEMU binary */
	const char *qemu_pkg;      /* Debian package of that binary */
	const char *firmware_pkg;  /* Debian package of the firmware QEMU loads, or NULL */
	const char *qemu_machine;  /* -M value */
	const char *qemu_cpu;      /* -cpu value or NULL */
	int elf_machine;           /* e_machine of its ELF files */
	int elf_class64;           /* 1 for ELFCLASS64 */
};

/* The entry for NAME, or NULL. */
const struct arch *arch_find(const char *name);
/* The host's architecture entry (the default target). */
const struct arch *arch_default(void);
/* The Nth entry, or NULL past the end. */
const struct arch *arch_at(size_t n);
/* Names of all entries as "a, b, c" in new memory. */
char *arch_names(void);
/* The Debian packages A needs on the host, space-separated, in new
 * memory. */
char *arch_packages(const struct arch *a);
/* The build and output directory names for A: "build" and "out" for the
 * default architecture, "build-NAME" and "out-NAME" for the others, so
 * that several coexist in one directory (new memory). */
char *arch_build_dir(const struct arch *a);
char *arch_out_dir(const struct arch *a);

#endif
