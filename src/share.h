/* share: host directories shared with the guest over 9p (run --share):
 * the option's syntax, QEMU's devices, the guest's mounts (asked for on
 * the kernel command line, done by the system's rcS) and the kernel
 * options a system with [system] share = yes is built with. */
#ifndef MKDISTRO_SHARE_H
#define MKDISTRO_SHARE_H

#include <stddef.h>

#include "arch.h"

struct share {
	char *host;   /* absolute path of an existing directory */
	char *guest;  /* absolute path in the guest: /mnt/NAME by default */
	int readonly; /* :ro: the guest cannot write to it */
};

/* Parse SPEC, "HOSTDIR[:GUESTDIR][:ro|:rw]", into *OUT. Returns 0, or -1
 * after warn() naming the part that is wrong and how to write it. */
int share_parse(const char *spec, struct share *out);
void share_free(struct share *s);

/* The kernel symbols, one per line ("CONFIG_9P_FS\n..."), that shares need
 * on A, its virtio transport's included (new memory). */
char *share_kconfig(const struct arch *a);

/* QEMU's arguments for the N shares V on A (NULL-terminated, new memory;
 * free with qemu_argv_free()), or NULL when N is 0. */
char **share_qemu_args(const struct arch *a, const struct share *v, size_t n);

/* The kernel command line words that ask the guest to mount them
 * ("mkdistro.share=TAG:GUESTDIR:ro ..."; "" when N is 0; new memory). */
char *share_cmdline(const struct share *v, size_t n);

#endif
