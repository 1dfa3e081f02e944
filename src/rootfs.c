#include "rootfs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"
#include "util.h"

/* /init runs first: mount what the kernel provides, then hand over to
 * BusyBox init, which runs the shell on the console and handles
 * poweroff/reboot. */
static const char init_script[] =
	"#!/bin/sh\n"
	"# mkdistro: mount the kernel's file systems, then start BusyBox init.\n"
	"export PATH=/sbin:/bin:/usr/sbin:/usr/bin\n"
	"mount -t devtmpfs devtmpfs /dev 2>/dev/null\n"
	"mount -t proc proc /proc\n"
	"mount -t sysfs sysfs /sys\n"
	"hostname -F /etc/hostname\n"
	"exec /sbin/init\n";

/* cttyhack opens the real console device (ttyS0...), so the shell gets a
 * controlling terminal and job control; /dev/console cannot give that. */
static const char inittab[] =
	"# mkdistro: BusyBox init configuration\n"
	"::sysinit:/etc/init.d/rcS\n"
	"::respawn:/bin/cttyhack /bin/sh -l\n"
	"::ctrlaltdel:/sbin/reboot\n"
	"::shutdown:/etc/init.d/rc.shutdown\n";

static const char rcs[] =
	"#!/bin/sh\n"
	"# mkdistro: system start-up\n"
	/* The mode afterwards: a kernel with SHMEM but not TMPFS (arm's
	 * tinyconfig) has a tmpfs that takes no mount options. */
	"mount -t tmpfs tmpfs /tmp && chmod 1777 /tmp\n"
	"mkdir -p /dev/pts && mount -t devpts devpts /dev/pts 2>/dev/null\n";

/* A system built for shares or the network sets them up as the kernel
 * command line asks (share.h, net.h): mkdistro.share=TAG:DIR:ro|rw mounts
 * the 9p share TAG on DIR, mkdistro.net=ADDR brings eth0 up at ADDR (with
 * ifconfig and route: their ioctls need no more than IPv4). The drivers
 * are loaded first when they are modules (a given kernel's). */
static const char rcs_links[] =
	/* The command channel's ports by name (channel.h), as udev links
	 * them; devtmpfs has made their nodes, named vportNpM. */
	"[ -d /lib/modules ] && modprobe -qa virtio_mmio virtio_pci virtio_console 2>/dev/null\n"
	"for p in /sys/class/virtio-ports/*/name; do\n"
	"\t[ -r \"$p\" ] || continue\n"
	"\tn=${p%/name}\n"
	"\tmkdir -p /dev/virtio-ports && ln -sf \"../${n##*/}\" \"/dev/virtio-ports/$(cat \"$p\")\"\n"
	"done\n"
	"for w in $(cat /proc/cmdline); do\n"
	"\tcase $w in\n"
	"\tmkdistro.share=*|mkdistro.net=*)\n"
	"\t\t[ -d /lib/modules ] && modprobe -qa virtio_mmio virtio_pci 9pnet_virtio 9p "
	"virtio_net 2>/dev/null ;;\n"
	"\tesac\n"
	"\tcase $w in\n"
	"\tmkdistro.share=*)\n"
	"\t\tIFS=: read -r tag dir mode <<EOF\n"
	"${w#*=}\n"
	"EOF\n"
	"\t\tmkdir -p \"$dir\" && mount -t 9p -o \"trans=virtio,version=9p2000.L,msize=262144,$mode\" "
	"\"$tag\" \"$dir\" ||\n"
	"\t\t\techo \"mkdistro: the shared directory $tag could not be mounted on $dir\" >&2 ;;\n"
	"\tmkdistro.net=*)\n"
	"\t\tifconfig lo 127.0.0.1 up\n"
	"\t\t{ ifconfig eth0 \"${w#*=}\" netmask 255.255.255.0 up &&\n"
	"\t\t\troute add default gw " NET_GATEWAY "; } ||\n"
	"\t\t\techo \"mkdistro: the network could not be set up (eth0)\" >&2\n"
	"\t\techo 'nameserver " NET_DNS "' > /etc/resolv.conf ;;\n"
	"\tesac\n"
	"done\n";

/* The kernel is built without ACPI, so a power-off would only halt the
 * CPU and leave QEMU running. QEMU runs with -no-reboot, which turns a
 * reboot into its exit: so both poweroff and reboot end in a reboot. */
static const char rc_shutdown[] =
	"#!/bin/sh\n"
	"# mkdistro: last action of poweroff and reboot (see comment in rootfs.c)\n"
	"sync\n"
	"umount -a -r 2>/dev/null\n"
	"reboot -f\n";

static const char profile[] =
	"# mkdistro: login shell set-up\n"
	"export PATH=/sbin:/bin:/usr/sbin:/usr/bin\n"
	"export HOME=/root\n"
	"export PS1='\\h:\\w\\$ '\n";

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n";
static const char group[] = "root:x:0:\n";

struct genfile {
	const char *path;
	const char *text;
	mode_t mode;
};

static const struct genfile files[] = {
	{ "init", init_script, 0755 },
	{ "etc/inittab", inittab, 0644 },
	{ "etc/init.d/rcS", NULL, 0755 }, /* rcs_text() */
	{ "etc/init.d/rc.shutdown", rc_shutdown, 0755 },
	{ "etc/profile", profile, 0644 },
	{ "etc/passwd", passwd, 0644 },
	{ "etc/group", group, 0644 },
};

static const char *const dirs[] = { "dev", "etc", "etc/init.d", "proc", "root", "sys", "tmp" };

/* The start-up script of CFG's system (new memory). */
static char *rcs_text(const struct config *cfg)
{
	return xasprintf("%s%sexit 0\n", rcs, cfg->share || cfg->net ? rcs_links : "");
}

/* The text of FILES[I] for CFG (new memory). */
static char *file_text(const struct config *cfg, size_t i)
{
	return files[i].text ? xstrdup(files[i].text) : rcs_text(cfg);
}

char *rootfs_generated_text(const struct config *cfg)
{
	struct buf b = {0};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *text = file_text(cfg, i);
		buf_printf(&b, "%s %o\n%s", files[i].path, (unsigned)files[i].mode, text);
		free(text);
	}
	buf_printf(&b, "etc/hostname\n%s\n", cfg->hostname);
	buf_printf(&b, "init %s\n", cfg->init);
	return buf_steal(&b);
}

static int write_in(const char *root, const char *rel, const char *text, mode_t mode)
{
	char *path = path_join(root, rel);
	int rc = write_file_atomic(path, text, strlen(text), mode);
	free(path);
	return rc;
}

/* Make INIT (an absolute path in the system) what the kernel starts. */
static int set_init(const char *init, const char *root)
{
	char *path = path_join(root, init);
	char *slash = path_join(root, "init");
	int rc = -1;
	if (strcmp(init, "/init") != 0) {
		unlink(slash);
		if (symlink(init, slash) < 0) {
			warn("symlink '/init' -> '%s':", init);
			goto out;
		}
	}
	struct stat st;
	/* lstat: a link inside the system points into the system, not the
	 * host, so only its existence is checked here. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		rc = 0;
		goto out;
	}
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		warn("init '%s' is not a file in the system: add it to the overlay or to "
		     "programs/, or set [system] init = busybox", init);
		goto out;
	}
	if (!(st.st_mode & 0111)) {
		warn("init '%s' is not executable: chmod +x it in the overlay", init);
		goto out;
	}
	rc = 0;
out:
	free(path);
	free(slash);
	return rc;
}

int rootfs_stage(const struct config *cfg, const char *bbdir, const char *progdir, const char *dest)
{
	char *tmp = xasprintf("%s.tmp", dest);
	int rc = -1;

	if (rm_rf(tmp) < 0 || copy_tree(bbdir, tmp) < 0)
		goto out;
	/* BusyBox installs a /linuxrc for initrd images; an initramfs uses
	 * /init instead. */
	char *linuxrc = path_join(tmp, "linuxrc");
	unlink(linuxrc);
	free(linuxrc);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *d = path_join(tmp, dirs[i]);
		int r = mkdir_p(d, 0755);
		if (r == 0 && !strcmp(dirs[i], "tmp"))
			r = chmod(d, 01777);
		free(d);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *text = file_text(cfg, i);
		int w = write_in(tmp, files[i].path, text, files[i].mode);
		free(text);
		if (w < 0)
			goto out;
	}
	char *hostname = xasprintf("%s\n", cfg->hostname);
	int r = write_in(tmp, "etc/hostname", hostname, 0644);
	free(hostname);
	if (r < 0)
		goto out;
	if (progdir && copy_tree(progdir, tmp) < 0)
		goto out;
	if (cfg->overlay && copy_tree(cfg->overlay, tmp) < 0)
		goto out;
	if (strcmp(cfg->init, "busybox") != 0 && set_init(cfg->init, tmp) < 0)
		goto out;
	if (replace_tree(tmp, dest) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		rm_rf(tmp);
	free(tmp);
	return rc;
}
