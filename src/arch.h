/* arch: everything that differs per target architecture, in one table. */
#ifndef MKDISTRO_ARCH_H
#define MKDISTRO_ARCH_H

#include <stddef.h>

/* A kernel option the target's user space needs, and what goes wrong
 * without it (for lint's message). */
struct arch_need {
	const char *symbol; /* "CONFIG_FPU" */
	const char *why;    /* "init dies of SIGILL: ..." */
};

/* The needs of 32-bit targets: musl (1.2) makes the old 32-bit time
 * system calls when a value fits, and tinyconfig leaves them out; sleep
 * then returns at once. */
#define ARCH_NEED_TIME32 \
	{ "CONFIG_COMPAT_32BIT_TIME", "musl makes the 32-bit time system calls (nanosleep, " \
	  "...): without them sleep returns at once and timeouts fire early" }
/* Hard-float ABIs whose registers the kernel must know about. */
#define ARCH_NEED_FPU(sym) \
	{ sym, "the programs use floating-point registers: init would die of SIGILL" }

#define ARCH_MAX_NEEDS 3

/* How QEMU's machine attaches virtio devices (shared directories, the
 * network): the bus of its -device names and the kernel's transport. */
enum arch_virtio {
	ARCH_VIRTIO_NONE, /* no virtio devices on this machine */
	ARCH_VIRTIO_MMIO, /* virtio-*-device on virtio-mmio (device tree, or
			   * the command line QEMU's microvm writes) */
	ARCH_VIRTIO_PCI,  /* virtio-*-pci */
	ARCH_VIRTIO_CCW,  /* virtio-*-ccw (s390x channel I/O) */
};

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
	const char *target_cflags; /* compiler flags for musl and everything built
				    * against it, or NULL */
	const char *console;       /* guest console device: "ttyS0" */
	const char *boot_args;     /* kernel command line additions: a fast boot,
				    * a reset that ends QEMU (-no-reboot) */
	const char *console_kconfig; /* kernel symbols that console needs, one
				      * per line: "CONFIG_SERIAL_8250\n..." */
	const char *kconfig;       /* kernel options tinyconfig lacks here, one per line */
	/* Kernel options the programs of this ABI cannot do without (lint
	 * checks them); each is also in kconfig. */
	struct arch_need abi_needs[ARCH_MAX_NEEDS];
	const char *qemu;          /* QEMU binary */
	const char *qemu_pkg;      /* Debian package of that binary */
	const char *firmware_pkg;  /* Debian package of the firmware QEMU loads, or NULL */
	const char *qemu_machine;  /* -M value */
	const char *qemu_cpu;      /* -cpu value or NULL */
	int memory_mb;             /* the least guest memory its machine takes, or 0 */
	enum arch_virtio virtio;   /* its machine's virtio transport */
	const char *known_issue;   /* why it does not boot yet, or NULL */
	int elf_machine;           /* e_machine of its ELF files */
	int elf_class64;           /* 1 for ELFCLASS64 */
	int elf_msb;               /* 1 for big-endian (ELFDATA2MSB) */
};

/* The entry for NAME, or NULL. */
const struct arch *arch_find(const char *name);
/* The first entry whose ELF files have e_machine MACHINE, the class
 * (CLASS64: 1 for ELFCLASS64) and the byte order (MSB: 1 for big-endian),
 * or NULL. */
const struct arch *arch_find_elf(int machine, int class64, int msb);
/* The default target, x86_64 (the first entry), wherever mkdistro runs:
 * its directories are build/ and out/. */
const struct arch *arch_default(void);
/* The entry of the machine mkdistro runs on (uname(2)), or NULL when the
 * table has none: the only target KVM can run. */
const struct arch *arch_host(void);
/* The Nth entry, or NULL past the end. */
const struct arch *arch_at(size_t n);
/* Names of all entries as "a, b, c" in new memory. */
char *arch_names(void);
/* The Debian packages A needs on the host, space-separated, in new
 * memory. */
char *arch_packages(const struct arch *a);
/* The kernel symbols, one per line ("CONFIG_SERIAL_8250\n..."), of the
 * driver the console device CON ("ttyS1", "hvc0") needs built in on A:
 * A's own console's for a device of that kind, else those of the driver
 * the name belongs to; NULL for a device nobody knows. Points into the
 * table. */
const char *arch_console_symbols(const struct arch *a, const char *con);
/* The QEMU device name of virtio device KIND ("9p", "net") on A's
 * machine ("virtio-9p-device", "virtio-net-pci"; new memory), or NULL
 * when the machine has no virtio. */
char *arch_virtio_device(const struct arch *a, const char *kind);
/* The kernel symbols, one per line, of A's virtio transport; "" when
 * the machine has none. Static. */
const char *arch_virtio_kconfig(const struct arch *a);
/* The build and output directory names for A: "build" and "out" for the
 * default architecture, "build-NAME" and "out-NAME" for the others, so
 * that several coexist in one directory (new memory). */
char *arch_build_dir(const struct arch *a);
char *arch_out_dir(const struct arch *a);

#endif
