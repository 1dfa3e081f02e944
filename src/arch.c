#include "arch.h"

#include <elf.h>
#include <string.h>
#include <sys/utsname.h>

#include "util.h"

/* What each target needs beyond the seed fragment (build.c), found by
 * booting it under QEMU's TCG. tinyconfig is allnoconfig plus a little:
 * every "default y" prompt is off, MMU and FPU support included. */
/* The consoles most entries use: their driver's symbols (for lint) and
 * the fragment lines that build them in. */
#define SERIAL_8250_SYMBOLS "CONFIG_SERIAL_8250\nCONFIG_SERIAL_8250_CONSOLE\n"
#define SERIAL_8250_KCONFIG "CONFIG_SERIAL_8250=y\nCONFIG_SERIAL_8250_CONSOLE=y\n"
#define PL011_SYMBOLS "CONFIG_SERIAL_AMBA_PL011\nCONFIG_SERIAL_AMBA_PL011_CONSOLE\n"
#define PL011_KCONFIG "CONFIG_SERIAL_AMBA_PL011=y\nCONFIG_SERIAL_AMBA_PL011_CONSOLE=y\n"
/* microvm without ACPI tables. A kernel with ACPI (a distribution's, given
 * with --kernel) takes microvm's hardware-reduced ACPI to mean that there
 * is no PIT; under TCG it then finds no clock to calibrate the TSC against
 * and hangs before any timer runs (seen with Debian's 6.1 kernel). Without
 * the tables it uses the MP table and the PIT as the seed kernel, which has
 * no ACPI, always does: that one boots as fast as before (1.12 s to the
 * prompt against 1.11 s with the tables, mean of 8 alternating boots). */
#define MICROVM "microvm,acpi=off"
/* x86 under TCG, on microvm and pc (see x86_64's entry). */
#define X86_BOOT_ARGS "nolapic_timer no_timer_check pty.legacy_count=0 reboot=t"

static const struct arch arches[] = {
	{
		.name = "x86_64", .kernel_arch = "x86",
		.kernel_target = "bzImage", .kernel_image = "arch/x86/boot/bzImage",
		.cross_prefix = "", .cross_pkg = NULL,
		.musl_target = "x86_64-linux-gnu", .musl_loader = "/lib/ld-musl-x86_64.so.1",
		.console = "ttyS0",
		.console_kconfig = SERIAL_8250_SYMBOLS,
		/* Measured under TCG (issue 3 notes): the LAPIC timer
		 * calibration and 256 legacy PTYs cost ~0.25 s of a 1.3 s boot;
		 * the guest is uniprocessor, so the PIT serves. On microvm
		 * the default reboot (keyboard controller) restarts the guest
		 * even with -no-reboot; a triple fault ends QEMU. */
		.boot_args = X86_BOOT_ARGS,
		/* LZ4: the kernel decompresses itself several times faster
		 * than with tinyconfig's XZ, which took ~0.4 s under TCG. */
		.kconfig = "CONFIG_64BIT=y\n"
			   "CONFIG_KERNEL_LZ4=y\n"
			   SERIAL_8250_KCONFIG,
		.qemu = "qemu-system-x86_64", .qemu_pkg = "qemu-system-x86",
		.qemu_machine = MICROVM, .qemu_cpu = NULL,
		.virtio = ARCH_VIRTIO_MMIO,
		.elf_machine = EM_X86_64, .elf_class64 = 1,
	},
	{
		/* The same kernel tree as x86_64 with 64BIT off. A 32-bit
		 * tinyconfig has no I/O APIC, and microvm delivers the serial
		 * port's interrupt only through one: user space never got
		 * its output there. The PC's 8259 serves. */
		.name = "i686", .kernel_arch = "x86",
		.kernel_target = "bzImage", .kernel_image = "arch/x86/boot/bzImage",
		.cross_prefix = "i686-linux-gnu-", .cross_pkg = "gcc-i686-linux-gnu",
		.musl_target = "i686-linux-gnu", .musl_loader = "/lib/ld-musl-i386.so.1",
		.console = "ttyS0",
		.console_kconfig = SERIAL_8250_SYMBOLS,
		.boot_args = X86_BOOT_ARGS,
		.kconfig = "CONFIG_64BIT=n\n"
			   "CONFIG_COMPAT_32BIT_TIME=y\n"
			   "CONFIG_KERNEL_LZ4=y\n"
			   SERIAL_8250_KCONFIG,
		.abi_needs = { ARCH_NEED_TIME32 },
		.qemu = "qemu-system-i386", .qemu_pkg = "qemu-system-x86",
		.qemu_machine = "pc", .qemu_cpu = NULL,
		.virtio = ARCH_VIRTIO_PCI,
		.elf_machine = EM_386, .elf_class64 = 0,
	},
	{
		.name = "aarch64", .kernel_arch = "arm64",
		.kernel_target = "Image", .kernel_image = "arch/arm64/boot/Image",
		.cross_prefix = "aarch64-linux-gnu-", .cross_pkg = "gcc-aarch64-linux-gnu",
		.musl_target = "aarch64-linux-gnu", .musl_loader = "/lib/ld-musl-aarch64.so.1",
		.console = "ttyAMA0",
		.console_kconfig = PL011_SYMBOLS,
		.boot_args = "pty.legacy_count=0",
		.kconfig = PL011_KCONFIG,
		.qemu = "qemu-system-aarch64", .qemu_pkg = "qemu-system-arm",
		.qemu_machine = "virt", .qemu_cpu = "cortex-a53",
		.virtio = ARCH_VIRTIO_MMIO,
		.elf_machine = EM_AARCH64, .elf_class64 = 1,
	},
	{
		/* ARMv7 with hard float (Debian's armhf ABI): the kernel
		 * needs VFP or every float instruction is SIGILL. */
		.name = "arm", .kernel_arch = "arm",
		.kernel_target = "zImage", .kernel_image = "arch/arm/boot/zImage",
		.cross_prefix = "arm-linux-gnueabihf-", .cross_pkg = "gcc-arm-linux-gnueabihf",
		.musl_target = "arm-linux-gnueabihf", .musl_loader = "/lib/ld-musl-armhf.so.1",
		.console = "ttyAMA0",
		.console_kconfig = PL011_SYMBOLS,
		.boot_args = "pty.legacy_count=0",
		.kconfig = "CONFIG_MMU=y\n"
			   "CONFIG_COMPAT_32BIT_TIME=y\n"
			   "CONFIG_ARCH_MULTI_V7=y\n"
			   "CONFIG_ARCH_VIRT=y\n"
			   "CONFIG_VFP=y\n"
			   /* Something here selects SHMEM; without TMPFS that
			    * tmpfs refuses to be mounted (/tmp). */
			   "CONFIG_TMPFS=y\n"
			   "CONFIG_KERNEL_LZ4=y\n"
			   PL011_KCONFIG,
		.abi_needs = { ARCH_NEED_FPU("CONFIG_VFP"), ARCH_NEED_TIME32 },
		.qemu = "qemu-system-arm", .qemu_pkg = "qemu-system-arm",
		.qemu_machine = "virt", .qemu_cpu = "cortex-a15",
		.virtio = ARCH_VIRTIO_MMIO,
		.elf_machine = EM_ARM, .elf_class64 = 0,
	},
	{
		/* musl and Debian's compiler use the double-float ABI: without
		 * FPU, init dies with SIGILL (exitcode 0x00000004). */
		.name = "riscv64", .kernel_arch = "riscv",
		.kernel_target = "Image", .kernel_image = "arch/riscv/boot/Image",
		.cross_prefix = "riscv64-linux-gnu-", .cross_pkg = "gcc-riscv64-linux-gnu",
		.musl_target = "riscv64-linux-gnu", .musl_loader = "/lib/ld-musl-riscv64.so.1",
		.console = "ttyS0",
		.console_kconfig = SERIAL_8250_SYMBOLS
				   "CONFIG_SERIAL_OF_PLATFORM\n",
		.boot_args = "pty.legacy_count=0",
		.kconfig = "CONFIG_MMU=y\n"
			   "CONFIG_SOC_VIRT=y\n"
			   "CONFIG_FPU=y\n"
			   SERIAL_8250_KCONFIG
			   "CONFIG_SERIAL_OF_PLATFORM=y\n",
		.abi_needs = { ARCH_NEED_FPU("CONFIG_FPU") },
		.qemu = "qemu-system-riscv64", .qemu_pkg = "qemu-system-misc",
		.firmware_pkg = "opensbi",
		.qemu_machine = "virt", .qemu_cpu = NULL,
		.virtio = ARCH_VIRTIO_MMIO,
		.elf_machine = EM_RISCV, .elf_class64 = 1,
	},
	{
		/* IBM pSeries under QEMU's own small firmware (VOF) instead of
		 * SLOF; the console is the hypervisor's virtual terminal.
		 * Debian's compiler emits VSX: the kernel must save those
		 * registers. */
		.name = "ppc64le", .kernel_arch = "powerpc",
		.kernel_target = "vmlinux", .kernel_image = "vmlinux",
		.cross_prefix = "powerpc64le-linux-gnu-", .cross_pkg = "gcc-powerpc64le-linux-gnu",
		.musl_target = "powerpc64le-linux-gnu",
		.musl_loader = "/lib/ld-musl-powerpc64le.so.1",
		/* musl's long double is double here; Debian's compiler
		 * defaults to IBM's double-double (configure refuses it). */
		.target_cflags = "-mlong-double-64",
		.console = "hvc0",
		.console_kconfig = "CONFIG_HVC_CONSOLE\n",
		.boot_args = "pty.legacy_count=0",
		.kconfig = "CONFIG_PPC64=y\n"
			   "CONFIG_CPU_LITTLE_ENDIAN=y\n"
			   "CONFIG_PPC_PSERIES=y\n"
			   /* prom_init: how the kernel takes over from the
			    * firmware's client interface; without it nothing
			    * is ever printed. */
			   "CONFIG_PPC_OF_BOOT_TRAMPOLINE=y\n"
			   "CONFIG_ALTIVEC=y\n"
			   "CONFIG_VSX=y\n"
			   "CONFIG_HVC_CONSOLE=y\n",
		.abi_needs = { ARCH_NEED_FPU("CONFIG_VSX") },
		.qemu = "qemu-system-ppc64", .qemu_pkg = "qemu-system-ppc",
		.qemu_machine = "pseries,x-vof=on", .qemu_cpu = NULL,
		.virtio = ARCH_VIRTIO_PCI,
		.memory_mb = 256, /* pseries takes multiples of 256 MiB */
		.elf_machine = EM_PPC64, .elf_class64 = 1,
	},
	{
		/* The console is the service processor's line-mode terminal. */
		.name = "s390x", .kernel_arch = "s390",
		.kernel_target = "bzImage", .kernel_image = "arch/s390/boot/bzImage",
		.cross_prefix = "s390x-linux-gnu-", .cross_pkg = "gcc-s390x-linux-gnu",
		.musl_target = "s390x-linux-gnu", .musl_loader = "/lib/ld-musl-s390x.so.1",
		.console = "ttysclp0",
		.console_kconfig = "CONFIG_SCLP_TTY\nCONFIG_SCLP_CONSOLE\n",
		.boot_args = "pty.legacy_count=0",
		.kconfig = "CONFIG_SCLP_TTY=y\n"
			   "CONFIG_SCLP_CONSOLE=y\n",
		.qemu = "qemu-system-s390x", .qemu_pkg = "qemu-system-misc",
		.qemu_machine = "s390-ccw-virtio", .qemu_cpu = NULL,
		.virtio = ARCH_VIRTIO_CCW,
		/* Seen here (QEMU 7.2, TCG): the kernel stops in
		 * sclp_initcall, waiting for the service-signal interrupt,
		 * before any console exists (earlyprintk shows it). */
		.known_issue = "hangs at boot in sclp_initcall under TCG",
		.elf_machine = EM_S390, .elf_class64 = 1, .elf_msb = 1,
	},
	{
		/* MIPS Malta, 32-bit little endian; Debian's mipsel ABI is
		 * hard float, which tinyconfig's EXPERT turns off. The board
		 * resets through a syscon register (its device tree says so):
		 * without that driver a reboot halts and QEMU stays. */
		.name = "mipsel", .kernel_arch = "mips",
		.kernel_target = "vmlinux", .kernel_image = "vmlinux",
		.cross_prefix = "mipsel-linux-gnu-", .cross_pkg = "gcc-mipsel-linux-gnu",
		.musl_target = "mipsel-linux-gnu", .musl_loader = "/lib/ld-musl-mipsel.so.1",
		.console = "ttyS0",
		.console_kconfig = SERIAL_8250_SYMBOLS,
		.boot_args = "pty.legacy_count=0",
		.kconfig = "CONFIG_MIPS_MALTA=y\n"
			   "CONFIG_POWER_RESET=y\n"
			   "CONFIG_POWER_RESET_SYSCON=y\n"
			   "CONFIG_CPU_LITTLE_ENDIAN=y\n"
			   "CONFIG_CPU_MIPS32_R2=y\n"
			   "CONFIG_MIPS_FP_SUPPORT=y\n"
			   "CONFIG_COMPAT_32BIT_TIME=y\n"
			   SERIAL_8250_KCONFIG,
		.abi_needs = { ARCH_NEED_FPU("CONFIG_MIPS_FP_SUPPORT"), ARCH_NEED_TIME32 },
		.qemu = "qemu-system-mipsel", .qemu_pkg = "qemu-system-mips",
		.qemu_machine = "malta", .qemu_cpu = NULL,
		.virtio = ARCH_VIRTIO_PCI,
		.elf_machine = EM_MIPS, .elf_class64 = 0,
	},
	{
		/* Big-endian MIPS Malta: the same as mipsel otherwise. */
		.name = "mips", .kernel_arch = "mips",
		.kernel_target = "vmlinux", .kernel_image = "vmlinux",
		.cross_prefix = "mips-linux-gnu-", .cross_pkg = "gcc-mips-linux-gnu",
		.musl_target = "mips-linux-gnu", .musl_loader = "/lib/ld-musl-mips.so.1",
		.console = "ttyS0",
		.console_kconfig = SERIAL_8250_SYMBOLS,
		.boot_args = "pty.legacy_count=0",
		.kconfig = "CONFIG_MIPS_MALTA=y\n"
			   "CONFIG_POWER_RESET=y\n"
			   "CONFIG_POWER_RESET_SYSCON=y\n"
			   "CONFIG_CPU_BIG_ENDIAN=y\n"
			   "CONFIG_CPU_MIPS32_R2=y\n"
			   "CONFIG_MIPS_FP_SUPPORT=y\n"
			   "CONFIG_COMPAT_32BIT_TIME=y\n"
			   SERIAL_8250_KCONFIG,
		.abi_needs = { ARCH_NEED_FPU("CONFIG_MIPS_FP_SUPPORT"), ARCH_NEED_TIME32 },
		.qemu = "qemu-system-mips", .qemu_pkg = "qemu-system-mips",
		.qemu_machine = "malta", .qemu_cpu = NULL,
		.virtio = ARCH_VIRTIO_PCI,
		.elf_machine = EM_MIPS, .elf_class64 = 0, .elf_msb = 1,
	},
	{
		/* 64-bit MIPS Malta, n64 ABI; Debian builds for MIPS64r2, which
		 * QEMU's default Malta CPU (5Kf, MIPS64r1) lacks. */
		.name = "mips64el", .kernel_arch = "mips",
		.kernel_target = "vmlinux", .kernel_image = "vmlinux",
		.cross_prefix = "mips64el-linux-gnuabi64-", .cross_pkg = "gcc-mips64el-linux-gnuabi64",
		.musl_target = "mips64el-linux-gnuabi64",
		.musl_loader = "/lib/ld-musl-mips64el.so.1",
		.console = "ttyS0",
		.console_kconfig = SERIAL_8250_SYMBOLS,
		.boot_args = "pty.legacy_count=0",
		.kconfig = "CONFIG_MIPS_MALTA=y\n"
			   "CONFIG_POWER_RESET=y\n"
			   "CONFIG_POWER_RESET_SYSCON=y\n"
			   "CONFIG_CPU_LITTLE_ENDIAN=y\n"
			   "CONFIG_CPU_MIPS64_R2=y\n"
			   "CONFIG_64BIT=y\n"
			   "CONFIG_MIPS_FP_SUPPORT=y\n"
			   SERIAL_8250_KCONFIG,
		.abi_needs = { ARCH_NEED_FPU("CONFIG_MIPS_FP_SUPPORT") },
		.qemu = "qemu-system-mips64el", .qemu_pkg = "qemu-system-mips",
		.qemu_machine = "malta", .qemu_cpu = "MIPS64R2-generic",
		.virtio = ARCH_VIRTIO_PCI,
		.elf_machine = EM_MIPS, .elf_class64 = 1,
	},
	{
		/* QEMU's virtual 68040 machine; Goldfish TTY console. */
		.name = "m68k", .kernel_arch = "m68k",
		.kernel_target = "vmlinux", .kernel_image = "vmlinux",
		.cross_prefix = "m68k-linux-gnu-", .cross_pkg = "gcc-m68k-linux-gnu",
		.musl_target = "m68k-linux-gnu", .musl_loader = "/lib/ld-musl-m68k.so.1",
		.console = "ttyGF0",
		.console_kconfig = "CONFIG_GOLDFISH_TTY\n",
		.boot_args = "pty.legacy_count=0",
		.kconfig = "CONFIG_MMU=y\n"
			   "CONFIG_COMPAT_32BIT_TIME=y\n"
			   "CONFIG_M68KCLASSIC=y\n"
			   /* tinyconfig (no MMU) chose ColdFire: both y, the
			    * later line would win. */
			   "CONFIG_COLDFIRE=n\n"
			   "CONFIG_TMPFS=y\n" /* SHMEM is selected here too (see arm) */
			   "CONFIG_VIRT=y\n"
			   "CONFIG_GOLDFISH_TTY=y\n",
		.abi_needs = { ARCH_NEED_TIME32 },
		.qemu = "qemu-system-m68k", .qemu_pkg = "qemu-system-misc",
		.qemu_machine = "virt", .qemu_cpu = NULL,
		.virtio = ARCH_VIRTIO_MMIO,
		.elf_machine = EM_68K, .elf_class64 = 0, .elf_msb = 1,
	},
	{
		/* The x32 ABI: 32-bit pointers on a 64-bit kernel. */
		.name = "x32", .kernel_arch = "x86",
		.kernel_target = "bzImage", .kernel_image = "arch/x86/boot/bzImage",
		.cross_prefix = "x86_64-linux-gnux32-", .cross_pkg = "gcc-x86-64-linux-gnux32",
		.musl_target = "x86_64-linux-gnux32", .musl_loader = "/lib/ld-musl-x32.so.1",
		.console = "ttyS0",
		.console_kconfig = SERIAL_8250_SYMBOLS,
		.boot_args = X86_BOOT_ARGS,
		.kconfig = "CONFIG_64BIT=y\n"
			   "CONFIG_X86_X32_ABI=y\n"
			   "CONFIG_KERNEL_LZ4=y\n"
			   SERIAL_8250_KCONFIG,
		/* Checked for a kernel given with --kernel; the fragment
		 * above asks for it. */
		.abi_needs = { { "CONFIG_X86_X32_ABI", "the programs are x32 ones: without its ABI "
						       "the kernel cannot execute /init" } },
		.qemu = "qemu-system-x86_64", .qemu_pkg = "qemu-system-x86",
		.qemu_machine = MICROVM, .qemu_cpu = NULL,
		.virtio = ARCH_VIRTIO_MMIO,
		.elf_machine = EM_X86_64, .elf_class64 = 0,
	},
};

#define NARCHES (sizeof(arches) / sizeof(arches[0]))

const struct arch *arch_find(const char *name)
{
	for (size_t i = 0; i < NARCHES; i++)
		if (!strcmp(arches[i].name, name))
			return &arches[i];
	return NULL;
}

const struct arch *arch_find_elf(int machine, int class64, int msb)
{
	for (size_t i = 0; i < NARCHES; i++)
		if (arches[i].elf_machine == machine && arches[i].elf_class64 == class64 &&
		    arches[i].elf_msb == msb)
			return &arches[i];
	return NULL;
}

const struct arch *arch_default(void)
{
	return &arches[0];
}

const struct arch *arch_at(size_t n)
{
	return n < NARCHES ? &arches[n] : NULL;
}

char *arch_names(void)
{
	struct buf b = {0};
	for (size_t i = 0; i < NARCHES; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", arches[i].name);
	return buf_steal(&b);
}

char *arch_packages(const struct arch *a)
{
	return xasprintf("%s%s%s%s%s", a->cross_pkg ? a->cross_pkg : "gcc",
			 " ", a->qemu_pkg, a->firmware_pkg ? " " : "",
			 a->firmware_pkg ? a->firmware_pkg : "");
}

char *arch_virtio_device(const struct arch *a, const char *kind)
{
	switch (a->virtio) {
	case ARCH_VIRTIO_MMIO:
		return xasprintf("virtio-%s-device", kind);
	case ARCH_VIRTIO_PCI:
		return xasprintf("virtio-%s-pci", kind);
	case ARCH_VIRTIO_CCW:
		return xasprintf("virtio-%s-ccw", kind);
	case ARCH_VIRTIO_NONE:
		break;
	}
	return NULL;
}

const char *arch_virtio_kconfig(const struct arch *a)
{
	switch (a->virtio) {
	case ARCH_VIRTIO_MMIO:
		/* The command-line devices: how microvm (without ACPI) names
		 * its transports; the virt machines use the device tree. */
		return "CONFIG_VIRTIO_MENU\nCONFIG_VIRTIO_MMIO\nCONFIG_VIRTIO_MMIO_CMDLINE_DEVICES\n";
	case ARCH_VIRTIO_PCI:
		return "CONFIG_PCI\nCONFIG_VIRTIO_MENU\nCONFIG_VIRTIO_PCI\n";
	case ARCH_VIRTIO_CCW:
		return "CONFIG_VIRTIO_MENU\nCONFIG_VIRTIO_CCW\n";
	case ARCH_VIRTIO_NONE:
		break;
	}
	return "";
}

char *arch_build_dir(const struct arch *a)
{
	return a == arch_default() ? xstrdup("build") : xasprintf("build-%s", a->name);
}

char *arch_out_dir(const struct arch *a)
{
	return a == arch_default() ? xstrdup("out") : xasprintf("out-%s", a->name);
}

/* uname(2)'s machine names and the entries they are. MIPS says "mips"
 * and "mips64" in either byte order: the host's is the one mkdistro was
 * compiled for. */
static const char *const host_machines[][2] = {
	{ "x86_64", "x86_64" },   { "i386", "i686" },       { "i486", "i686" },   { "i586", "i686" },
	{ "i686", "i686" },       { "aarch64", "aarch64" }, { "armv7l", "arm" },  { "armv8l", "arm" },
	{ "riscv64", "riscv64" }, { "ppc64le", "ppc64le" }, { "s390x", "s390x" }, { "m68k", "m68k" },
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	{ "mips", "mipsel" },     { "mips64", "mips64el" },
#else
	{ "mips", "mips" },
#endif
};

const struct arch *arch_host(void)
{
	struct utsname u;
	if (uname(&u) < 0)
		return NULL;
	for (size_t i = 0; i < sizeof(host_machines) / sizeof(host_machines[0]); i++)
		if (!strcmp(u.machine, host_machines[i][0]))
			return arch_find(host_machines[i][1]);
	return NULL;
}

/* Consoles a command line may name instead of the architecture's own:
 * the kernel symbols of their drivers. */
static const struct {
	const char *prefix, *symbols;
} consoles[] = {
	{ "ttyS", SERIAL_8250_SYMBOLS },
	{ "ttyAMA", PL011_SYMBOLS },
	{ "hvc", "CONFIG_HVC_DRIVER\n" },
	{ "ttynull", "CONFIG_NULL_TTY\n" },
	{ "tty", "CONFIG_VT\nCONFIG_VT_CONSOLE\n" },
};

/* Length of device name S without its number: "ttyS" of "ttyS0". */
static size_t dev_prefix(const char *s)
{
	size_t n = strlen(s);
	while (n && s[n - 1] >= '0' && s[n - 1] <= '9')
		n--;
	return n;
}

const char *arch_console_symbols(const struct arch *a, const char *con)
{
	size_t n = dev_prefix(con);
	if (a->console_kconfig && n == dev_prefix(a->console) && !strncmp(con, a->console, n))
		return a->console_kconfig;
	for (size_t i = 0; i < sizeof(consoles) / sizeof(consoles[0]); i++)
		if (strlen(consoles[i].prefix) == n && !strncmp(con, consoles[i].prefix, n))
			return consoles[i].symbols;
	return NULL;
}
