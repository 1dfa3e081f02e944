/* usertree: a kernel source tree of the user's ([linux] source, --linux):
 * a git checkout or an unpacked tarball, read-only or not. mkdistro builds
 * it out of tree (make -C TREE O=build/linux) and never writes into it:
 * nothing here runs make in it, and git is asked with optional locks off,
 * so that not even its index is refreshed. */
#ifndef MKDISTRO_USERTREE_H
#define MKDISTRO_USERTREE_H

#include "hash.h"

/* Check that DIR is a kernel source tree that kbuild can build out of
 * tree for the kernel architecture SRCARCH ("x86", "arm64"): it has the
 * kernel's top Makefile and Kconfig, and was not configured or built in
 * place (kbuild then refuses O=: DIR/.config, DIR/include/config or
 * DIR/arch/SRCARCH/include/generated). Returns 0, or -1 after warn() with
 * a message that names what was found and what to do. */
int usertree_check(const char *dir, const char *srcarch);
/* The first half of usertree_check(): DIR has the kernel's top Makefile,
 * Kconfig and init/main.c. 0, or -1 after warn(). */
int usertree_is_tree(const char *dir);

/* Hashes of the state of the files under DIR (names, types, modes, sizes,
 * modification times, link targets; a top-level .git is left out), so
 * that an edit changes them while no file's contents are read: ALL of
 * every file, KCONFIG of the Kconfig-language files alone (Kconfig*),
 * which decide what a configuration becomes. One walk of the tree.
 * Returns 0, or -1 after warn() when DIR cannot be read. */
int usertree_state(const char *dir, char all[SHA256_HEX_LEN + 1], char kconfig[SHA256_HEX_LEN + 1]);

/* What git says of DIR: *COMMIT gets the full id of HEAD (new memory) and
 * *DIRTY 1 when tracked files differ from it or untracked files exist.
 * Returns 0, or 1 (nothing set) when DIR is not a git work tree or git
 * is missing. */
int usertree_git(const char *dir, char **commit, int *dirty);

/* One line on DIR for people: "git commit 1a2b3c4d5e6f, dirty", "git
 * commit 1a2b3c4d5e6f, clean" or "not a git work tree" (new memory). */
char *usertree_describe(const char *dir);

/* Put the files of REV (a commit, tag or branch git can name) of the git
 * work tree TREE into DEST, a directory of mkdistro's own, and write
 * nothing into TREE: git reads TREE's repository, and DEST's index is
 * INDEX, a file outside TREE. Files that REV has as DEST had them keep
 * their modification times, so that a build of DEST after another commit
 * compiles only what differs. *ID gets REV's commit id (new memory).
 * Returns 0, or -1 after warn() naming REV or what git said, the command
 * having written its output to LOG. */
int usertree_checkout(const char *tree, const char *rev, const char *dest, const char *index,
		      const char *log, char **id);

#endif
