/* toolchain: the target compiler. The host's (or Debian's cross) gcc is
 * pointed at the musl sysroot by a gcc specs file, so that programs for
 * the target are compiled and linked against musl, never the host glibc
 * (--sysroot alone still links glibc). */
#ifndef MKDISTRO_TOOLCHAIN_H
#define MKDISTRO_TOOLCHAIN_H

#include "arch.h"

/* Write SYSROOT/musl-gcc.specs and an executable wrapper SYSROOT/bin/cc
 * that runs "<prefix>gcc -specs=..." with the arguments it is given.
 * KHEADERS is the kernel's installed UAPI include directory. Returns 0 or
 * -1 after warn(). */
int toolchain_write(const struct arch *a, const char *sysroot, const char *kheaders);

/* Shell assignments for other build systems (new memory):
 * CC, CFLAGS, LDFLAGS, SYSROOT and ARCH, quoted for eval. */
char *toolchain_env(const struct arch *a, const char *sysroot);

/* What "GCC --version" prints (GCC: "gcc", "aarch64-linux-gnu-gcc"), or
 * NULL when it cannot run or prints nothing; asked once per compiler for
 * the process. Static memory, owned here. */
const char *toolchain_gcc_version(const char *gcc);

/* Path of the wrapper for SYSROOT (new memory). */
char *toolchain_cc(const char *sysroot);

#endif
