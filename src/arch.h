/* arch: everything that differs per target architecture, in one table. */
#ifndef MKDISTRO_ARCH_H
#define MKDISTRO_ARCH_H

struct arch {
	const char *name;          /* mkdistro's name: "x86_64" */
	const char *kernel_arch;   /* ARCH= for the kernel: "x86" */
	const char *kernel_image;  /* image path under arch/$ARCH/boot: "bzImage" */
	const char *cross_prefix;  /* CROSS_COMPILE, "" for the host's own gcc */
	const char *cross_pkg;     /* Debian package of the cross gcc, NULL if native */
	const char *musl_target;   /* --target= for musl's configure */
	const char *musl_loader;   /* "/lib/ld-musl-x86_64.so.1" */
	const char *console;       /* guest console device: "ttyS0" */
	const char *boot_args;     /* kernel command line additions for a fast boot */
	const char *console_kconfig; /* kernel symbols that console needs, one
				      * per line: "CONFIG_SERIAL_8250\n..." */
	const char *kconfig;       /* extra kernel symbols it needs, one per line */
	const char *qemu;          /* QEMU binary */
	const char *qemu_pkg;      /* Debian package of that binary */
	const char *qemu_machine;  /* -M value */
	const char *qemu_cpu;      /* -cpu value or NULL */
	int elf_machine;           /* e_machine of its ELF files */
	int elf_class64;           /* 1 for ELFCLASS64 */
};

/* The entry for NAME, or NULL. */
const struct arch *arch_find(const char *name);
/* The host's architecture entry (the default target). */
const struct arch *arch_default(void);
/* Names of all entries as "a, b, c" in new memory. */
char *arch_names(void);

#endif
