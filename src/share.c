#include "share.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

/* The guest's mount (rootfs.c's rcS) splits its word on ':' and takes no
 * quoting: a guest path keeps to these. */
static const char guest_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789/._-+@";

/* Whether P is an absolute path other than / of guest_chars, without
 * empty, "." or ".." components. */
static int guest_path_ok(const char *p)
{
	size_t n = strlen(p);
	if (p[0] != '/' || n < 2 || strspn(p, guest_chars) != n)
		return 0;
	for (const char *c = p + 1; *c;) {
		size_t len = strcspn(c, "/");
		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && !strncmp(c, "..", 2)))
			return 0;
		c += len + (c[len] == '/');
	}
	return 1;
}

int share_parse(const char *spec, struct share *out)
{
	memset(out, 0, sizeof(*out));
	char *s = xstrdup(spec);
	char *mode = strrchr(s, ':');
	if (mode && (!strcmp(mode, ":ro") || !strcmp(mode, ":rw"))) {
		out->readonly = mode[2] == 'o';
		*mode = '\0';
	}
	char *guest = strchr(s, ':');
	if (guest)
		*guest++ = '\0';
	struct stat st;
	if (!*s) {
		warn("--share '%s': no host directory: write --share HOSTDIR[:GUESTDIR][:ro]", spec);
	} else if (!(out->host = realpath(s, NULL)) || stat(out->host, &st) < 0 ||
		   !S_ISDIR(st.st_mode)) {
		warn("--share '%s': '%s' is not a directory: share an existing directory", spec, s);
	} else if (guest && !guest_path_ok(guest)) {
		warn("--share '%s': the guest directory '%s' must be an absolute path other than /, "
		     "of letters, digits and / . _ - + @ (no . or .. in it)", spec, guest);
	} else if (guest) {
		out->guest = xstrdup(guest);
	} else {
		out->guest = xasprintf("/mnt/%s", strrchr(out->host, '/') + 1);
		if (!guest_path_ok(out->guest))
			warn("--share '%s': the directory's name does not make a guest path: name one, "
			     "as in --share %s:/mnt/NAME", spec, s);
	}
	free(s);
	if (out->guest && guest_path_ok(out->guest))
		return 0;
	share_free(out);
	return -1;
}

void share_free(struct share *s)
{
	free(s->host);
	free(s->guest);
	memset(s, 0, sizeof(*s));
}

char *share_kconfig(const struct arch *a)
{
	/* 9p over virtio; 9P_FS sits in the network file systems' menu. */
	return xasprintf("%sCONFIG_NET\nCONFIG_NETWORK_FILESYSTEMS\nCONFIG_NET_9P\n"
			 "CONFIG_NET_9P_VIRTIO\nCONFIG_9P_FS\n",
			 arch_virtio_kconfig(a));
}

/* QEMU's option syntax doubles a comma inside a value. */
static void qemu_value(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == ',')
			buf_addch(b, ',');
		buf_addch(b, *s);
	}
}

char **share_qemu_args(const struct arch *a, const struct share *v, size_t n)
{
	if (n == 0)
		return NULL;
	char **args = xcalloc(4 * n + 1, sizeof(char *));
	char *device = arch_virtio_device(a, "9p");
	for (size_t i = 0; i < n; i++) {
		struct buf fs = {0};
		/* security_model=none: files are the user's who runs QEMU,
		 * whoever the guest says owns them. */
		buf_printf(&fs, "local,id=fs%zu,security_model=none%s,path=", i,
			   v[i].readonly ? ",readonly=on" : "");
		qemu_value(&fs, v[i].host);
		args[4 * i] = xstrdup("-fsdev");
		args[4 * i + 1] = buf_steal(&fs);
		args[4 * i + 2] = xstrdup("-device");
		args[4 * i + 3] = xasprintf("%s,fsdev=fs%zu,mount_tag=share%zu", device, i, i);
	}
	free(device);
	return args;
}

char *share_cmdline(const struct share *v, size_t n)
{
	struct buf b = {0};
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%smkdistro.share=share%zu:%s:%s", i ? " " : "", i, v[i].guest,
			   v[i].readonly ? "ro" : "rw");
	return buf_steal(&b);
}
