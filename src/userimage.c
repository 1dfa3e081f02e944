#include "userimage.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

int userimage_check(const char *path, const struct arch *a, struct kimage *k)
{
	if (kimage_identify(path, k) != 0) {
		warn("%s", k->message);
		kimage_free(k);
		return -1;
	}
	if (kimage_fits(k, a))
		return 0;
	if (!k->arch)
		warn("kernel '%s' (%s) is for no architecture mkdistro boots: %s", path, k->format,
		     k->note ? k->note : "its header does not say which");
	else
		warn("kernel '%s' (%s) is for %s, the target is %s: add --arch %s", path, k->format,
		     k->arch, a->name, k->arch);
	kimage_free(k);
	return -1;
}

static int is_regular(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* PATH without its last component ("." when it has no slash), new memory. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

/* The last component of DIR, and DIR without it in *PARENT (new memory). */
static const char *last_of(const char *dir, char **parent)
{
	const char *slash = strrchr(dir, '/');
	*parent = slash ? xstrndup(dir, (size_t)(slash - dir)) : xstrdup("");
	return slash ? slash + 1 : dir;
}

/* OBJ/.config when DIR is OBJ/arch/NAME/boot, where kbuild leaves the
 * boot image (new memory), else NULL. */
static char *objdir_config(const char *dir)
{
	char *arch, *archdir, *obj;
	const char *boot = last_of(dir, &arch);
	const char *name = last_of(arch, &archdir);
	const char *archname = last_of(archdir, &obj);
	char *config = NULL;
	if (!strcmp(boot, "boot") && *name && !strcmp(archname, "arch"))
		config = path_join(*obj ? obj : "/", ".config");
	free(arch);
	free(archdir);
	free(obj);
	return config;
}

char *userimage_config_beside(const char *path, const char *release)
{
	char *dir = dir_of(path);
	char *name = release ? xasprintf("config-%s", release) : NULL;
	char *cand[3] = { name ? path_join(dir, name) : NULL, path_join(dir, ".config"),
			  objdir_config(dir) };
	char *found = NULL;
	for (size_t i = 0; i < 3; i++) {
		if (!found && cand[i] && is_regular(cand[i]))
			found = cand[i];
		else
			free(cand[i]);
	}
	free(name);
	free(dir);
	return found;
}

int userimage_kconfig(const char *path, const char *config, struct kconfig_set *out,
		      char **from)
{
	*from = NULL;
	memset(out, 0, sizeof(*out));
	char *file = config ? xstrdup(config) : NULL;
	if (!file) {
		char *release = NULL;
		kimage_release(path, &release);
		file = userimage_config_beside(path, release);
		free(release);
	}
	if (file) {
		int rc = kconfig_parse_file(file, out);
		*from = xasprintf("'%s'", file);
		free(file);
		return rc < 0 ? -1 : 0;
	}
	struct buf text = { 0 };
	int rc = kimage_ikconfig(path, &text);
	if (rc == 0) {
		/* Named like a file in the parser's messages. */
		char *name = xasprintf("%s (embedded configuration)", path);
		rc = kconfig_parse(text.s ? text.s : "", name, out) < 0 ? -1 : 0;
		free(name);
	}
	if (rc != 1)
		*from = xasprintf("the configuration embedded in '%s'", path);
	buf_free(&text);
	return rc;
}
