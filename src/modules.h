/* modules: the kernel modules that go into the initramfs, under
 * /lib/modules/RELEASE: those a kernel build produced (make modules,
 * modules_install, stripped), or a selection of a lib/modules/RELEASE tree
 * someone else built (a distribution's: 390 MB, never copied whole), with
 * every module the selected ones depend on. The dependencies are read from
 * each module's own .modinfo section ("depends="), with libelf, so a tree
 * without modules.dep (Debian's package) needs no depmod run of its own.
 * Compressed modules (.ko.xz, .ko.zst, .ko.gz) are decompressed on the way
 * in (libarchive's raw format), so the guest needs no decompressor; then
 * kmod's depmod writes modules.dep and its indexes for what was copied.
 *
 * Module names follow modprobe's rules: the file name without ".ko" and
 * its compression suffix, '-' and '_' the same (kept as '_'). */
#ifndef MKDISTRO_MODULES_H
#define MKDISTRO_MODULES_H

#include <stddef.h>

#include "steps.h"

/* One module of a tree. */
struct module {
	char *name;     /* modprobe's name, with '_' ("intel_uncore") */
	char *rel;      /* its file below the tree ("kernel/fs/fat/fat.ko.xz") */
	char *vermagic; /* the release its .modinfo says it is built for, or NULL
			 * when not read */
};

/* Modules of one tree, in the order of a walk of it (each directory's
 * names sorted). */
struct modules_set {
	char *tree;        /* the lib/modules/RELEASE directory (absolute or as given) */
	struct module *v;
	size_t n;
};

/* The modules NAMES asks for in the lib/modules/RELEASE directory TREE, and
 * every module they need (depends=, recursively), into *OUT (initialised
 * here). NAMES is a list of module names separated by commas or blanks;
 * NULL or empty selects every module of the tree. Errors, each naming the
 * module and TREE: a name the tree has no module for, one name for two
 * files, a dependency that is not in the tree, a file that is not a kernel
 * module (no readable ELF .modinfo section). Returns 0, or -1 after warn()
 * with *OUT empty. */
int modules_resolve(const char *tree, const char *names, struct modules_set *out);

/* Free what S holds and zero it. */
void modules_set_free(struct modules_set *s);

/* 0 when every module of S is built for RELEASE, the kernel's (the first
 * word of its vermagic, which the kernel compares when it loads it), else
 * -1 after warn() naming the tree's release and RELEASE. */
int modules_check_release(const struct modules_set *s, const char *release);

/* Put the modules of S into DEST/lib/modules/RELEASE: each one
 * decompressed (its name without the compression suffix), modules.order
 * (the lines of the modules copied), modules.builtin and
 * modules.builtin.modinfo when the tree has them, then `depmod -b DEST
 * RELEASE` (its output to LOG). RELEASE is the kernel's: checked with
 * modules_check_release first. DEST is
 * replaced as a whole (built beside it, then renamed). Returns 0, or -1
 * after warn(). */
int modules_stage(const struct modules_set *s, const char *release, const char *dest,
		  const char *log);

/* Build the modules of the kernel configured in OBJDIR and install them
 * stripped under INSTALLDIR/lib/modules/RELEASE: MAKE is the kernel's make
 * line without a target (build_kernel_make() with TARGET and EXTRA NULL),
 * run with "modules", then with "modules_install INSTALL_MOD_PATH=INSTALLDIR
 * INSTALL_MOD_STRIP=1", output to LOG. INSTALLDIR is emptied first.
 * Returns 0 with *TREE (the installed lib/modules/RELEASE directory) and
 * *RELEASE in new memory, or -1 after warn(). */
int modules_build(char *const *make, const char *objdir, const char *installdir, const char *log,
		  char **tree, char **release);

/* The release of the kernel built in OBJDIR (include/config/kernel.release,
 * what `make kernelrelease` prints) in new memory, or NULL after warn(). */
char *modules_built_release(const char *objdir);

/* The step inputs of a selection: NAMES as given and, for a tree of
 * someone else's (TREE not NULL), its path and the contents of the files
 * the selection copies (a tree that does not resolve counts as its error
 * text, which the step's run then reports). */
void modules_inputs(const char *tree, const char *names, struct step_inputs *in);

/* 0 when kmod's depmod is installed (in $PATH, or in /usr/sbin or /sbin,
 * which a user's PATH often lacks), else -1 after warn() naming the Debian
 * package. */
int modules_need_depmod(void);

#endif
