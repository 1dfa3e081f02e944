#include "bisect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "qemu.h"
#include "util.h"

static const struct {
	const char *name;
	unsigned bit;
} classes[] = {
	{ "panic", BISECT_CLASS_PANIC },
	{ "init", BISECT_CLASS_INIT },
	{ "stall", BISECT_CLASS_STALL },
	{ "timeout", BISECT_CLASS_TIMEOUT },
	{ "reboot", BISECT_CLASS_REBOOT },
};

const char *bisect_verdict_word(int verdict)
{
	return verdict == BISECT_GOOD ? "good" : verdict == BISECT_BAD ? "bad" : "skipped";
}

const char *bisect_class_names(void)
{
	return "panic, init, stall, timeout, reboot (or all)";
}

int bisect_parse_classes(const char *list, unsigned *out)
{
	unsigned set = 0;
	char *copy = xstrdup(list), *save = NULL;
	int rc = 0;
	for (char *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
		if (!strcmp(w, "all")) {
			set |= BISECT_CLASS_ALL;
			continue;
		}
		size_t i = 0;
		while (i < sizeof(classes) / sizeof(classes[0]) && strcmp(classes[i].name, w))
			i++;
		if (i == sizeof(classes) / sizeof(classes[0])) {
			warn("--bad-on '%s': '%s' is not a way a boot fails; known: %s", list, w,
			     bisect_class_names());
			rc = -1;
			break;
		}
		set |= classes[i].bit;
	}
	free(copy);
	if (rc == 0 && !set) {
		warn("--bad-on '%s': name at least one of %s", list, bisect_class_names());
		rc = -1;
	}
	if (rc == 0)
		*out = set;
	return rc;
}

/* The class of a boot failure F that is the kernel's (QEMU's STATUS for
 * BOOT_QEMU_EXIT), with its name in *NAME; 0 when the failure is the
 * tool's or the machine's. */
static unsigned kernel_class(int f, int status, const char **name)
{
	unsigned bit = 0;
	switch (f) {
	case BOOT_PANIC: bit = BISECT_CLASS_PANIC; break;
	case BOOT_INIT: bit = BISECT_CLASS_INIT; break;
	case BOOT_STALL: bit = BISECT_CLASS_STALL; break;
	case BOOT_TIMEOUT: bit = BISECT_CLASS_TIMEOUT; break;
	case BOOT_QEMU_EXIT: bit = status == 0 ? BISECT_CLASS_REBOOT : 0; break;
	default: break;
	}
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (classes[i].bit == bit)
			*name = classes[i].name;
	return bit;
}

int bisect_verdict(const struct bisect_outcome *o, unsigned bad_on, char *why, size_t n)
{
	if (!o->built) {
		snprintf(why, n, "skip: the commit does not build (or the build could not run)");
		return BISECT_SKIP;
	}
	if (o->boot_failure) {
		const char *name = NULL;
		const char *what = boot_failure_name((enum boot_failure)o->boot_failure);
		unsigned bit = kernel_class(o->boot_failure, o->qemu_status, &name);
		if (!bit) {
			if (o->boot_failure == BOOT_QEMU_EXIT)
				snprintf(why, n, "skip: QEMU ended with status %d: the machine's failure, "
					 "not the kernel's", o->qemu_status);
			else
				snprintf(why, n, "skip: %s: the tool's or the machine's failure, not the "
					 "kernel's", what);
			return BISECT_SKIP;
		}
		if (!(bad_on & bit)) {
			snprintf(why, n, "skip: the boot failed (%s), which --bad-on does not count as "
				 "bad", name);
			return BISECT_SKIP;
		}
		snprintf(why, n, "bad: the boot failed (%s)", name);
		return BISECT_BAD;
	}
	if (o->status && o->tests) {
		snprintf(why, n, "bad: %d guest test script%s failed", o->status, o->status == 1 ? "" : "s");
		return BISECT_BAD;
	}
	if (o->status) {
		snprintf(why, n, "bad: the guest command exited %d", o->status);
		return BISECT_BAD;
	}
	snprintf(why, n, "good: it builds and boots%s",
		 o->tests ? ", and every test script passed" : o->command ? ", and the command exited 0" : "");
	return BISECT_GOOD;
}

char *bisect_system_dir(const char *dir, const char *tree)
{
	char hex[SHA256_HEX_LEN + 1];
	sha256_hex(tree, strlen(tree), hex);
	const char *slash = strrchr(tree, '/');
	const char *name = slash && slash[1] ? slash + 1 : "tree";
	return xasprintf("%s/%s-%.12s", dir, name, hex);
}
