/* userimage: a kernel image the user gives (--kernel FILE, [linux] image)
 * booted with the initramfs mkdistro built instead of the kernel it would
 * build: checked against the target before anything is built or booted,
 * and its configuration found for mkdistro check. */
#ifndef MKDISTRO_USERIMAGE_H
#define MKDISTRO_USERIMAGE_H

#include "arch.h"
#include "kconfig.h"
#include "kimage.h"

/* Check that PATH is a kernel image (kimage.h) that boots the target A.
 * Returns 0 with K filled (free it with kimage_free()), or -1 after warn()
 * with K freed: PATH cannot be read, is not a kernel image, or is one for
 * another architecture (the message names both and the --arch to use) or
 * for none that mkdistro boots. */
int userimage_check(const char *path, const struct arch *a, struct kimage *k);

/* The configuration file that lies beside the kernel image PATH, as
 * distributions and kbuild leave it: DIR/config-RELEASE (Debian's /boot
 * holds config-6.1.0-57-amd64 beside vmlinuz-6.1.0-57-amd64; skipped when
 * RELEASE is NULL), else DIR/.config (a kernel's object directory, with
 * vmlinux in it), else the object directory's .config when PATH is its
 * arch/NAME/boot/IMAGE. The first of these that is a regular file, in new
 * memory, or NULL. */
char *userimage_config_beside(const char *path, const char *release);

/* The configuration of the kernel image PATH, for checking it: the file
 * CONFIG when not NULL (--kernel-config), else the one beside the image,
 * else the one embedded in it (CONFIG_IKCONFIG). Returns 0 with OUT
 * filled (kconfig_free() it) and *FROM saying where it came from, in new
 * memory ("'/boot/config-6.1.0-57-amd64'", "the configuration embedded in
 * '/boot/vmlinuz'"); 1 when there is none (nothing printed, *FROM NULL);
 * -1 after warn() when the one found cannot be read or parsed (*FROM says
 * which). */
int userimage_kconfig(const char *path, const char *config, struct kconfig_set *out,
		      char **from);

#endif
