#include "toolchain.h"

#include <stdlib.h>
#include <string.h>

#include "proc.h"
#include "util.h"

int toolchain_write(const struct arch *a, const char *sysroot, const char *kheaders)
{
	struct buf s = {0};
	const char *lib = "/usr/lib";
	/* The driver's own spec strings are kept (cc1_cpu, gcc's include
	 * directory via include%s); only where headers, start files and
	 * libraries come from is replaced. */
	buf_printf(&s,
		   "%%rename cpp_options old_cpp_options\n\n"
		   "*cpp_options:\n"
		   "-nostdinc -isystem %s/usr/include -isystem %s -isystem include%%s %%(old_cpp_options)\n\n"
		   "*cc1:\n"
		   "%%(cc1_cpu) -nostdinc -isystem %s/usr/include -isystem %s -isystem include%%s\n\n"
		   "*link_libgcc:\n"
		   "-L%s%s -L .%%s\n\n"
		   "*libgcc:\n"
		   "libgcc.a%%s %%:if-exists(libgcc_eh.a%%s)\n\n"
		   "*startfile:\n"
		   "%%{!shared: %s%s/Scrt1.o} %s%s/crti.o crtbeginS.o%%s\n\n"
		   "*endfile:\n"
		   "crtendS.o%%s %s%s/crtn.o\n\n"
		   "*link:\n"
		   "-dynamic-linker %s -nostdlib %%{shared:-shared} %%{static:-static} %%{rdynamic:-export-dynamic}\n\n"
		   "*esp_link:\n\n\n"
		   "*esp_options:\n\n\n"
		   "*esp_cpp_options:\n\n\n",
		   sysroot, kheaders, sysroot, kheaders, sysroot, lib, sysroot, lib, sysroot, lib,
		   sysroot, lib, a->musl_loader);
	char *specs = path_join(sysroot, "musl-gcc.specs");
	char *bindir = path_join(sysroot, "bin");
	int rc = -1;
	if (write_file_atomic(specs, s.s, s.len, 0644) < 0 || mkdir_p(bindir, 0755) < 0)
		goto out;
	char *wrapper = toolchain_cc(sysroot);
	char *text = xasprintf("#!/bin/sh\n"
			       "# Compile for the mkdistro target: %s against musl.\n"
			       "exec %sgcc -specs='%s'%s%s \"$@\"\n",
			       a->name, a->cross_prefix, specs, a->target_cflags ? " " : "",
			       a->target_cflags ? a->target_cflags : "");
	rc = write_file_atomic(wrapper, text, strlen(text), 0755);
	free(text);
	free(wrapper);
out:
	buf_free(&s);
	free(specs);
	free(bindir);
	return rc;
}

char *toolchain_cc(const char *sysroot)
{
	return path_join(sysroot, "bin/cc");
}

char *toolchain_env(const struct arch *a, const char *sysroot)
{
	char *cc = toolchain_cc(sysroot);
	/* Static linking: the system has no shared libraries. */
	char *text = xasprintf("CC='%s'\n"
			       "CFLAGS='-Os'\n"
			       "LDFLAGS='-static'\n"
			       "SYSROOT='%s'\n"
			       "ARCH='%s'\n",
			       cc, sysroot, a->name);
	free(cc);
	return text;
}

const char *toolchain_gcc_version(const char *gcc)
{
	/* One compiler per architecture; a build asks for one or two. */
	static struct { char *gcc, *version; } asked[16];
	size_t i;
	for (i = 0; i < sizeof(asked) / sizeof(asked[0]) && asked[i].gcc; i++)
		if (!strcmp(asked[i].gcc, gcc))
			return asked[i].version;
	struct buf out = {0};
	char *argv[] = { (char *)gcc, "--version", NULL };
	char *version = NULL;
	if (proc_capture(argv, NULL, "/dev/null", &out) == 0 && out.len)
		version = buf_steal(&out);
	buf_free(&out);
	if (i == sizeof(asked) / sizeof(asked[0])) {
		/* Full: keep the newest in the last slot. */
		i--;
		free(asked[i].gcc);
		free(asked[i].version);
	}
	asked[i].gcc = xstrdup(gcc);
	asked[i].version = version;
	return version;
}
