/* cpio: a deterministic writer of cpio "newc" (070701) archives, the format
 * the kernel unpacks as initramfs (init/initramfs.c).
 *
 * Every entry gets uid/gid 0 (unless cpio_set_owner() says otherwise), the one mtime given to cpio_new(), devmajor
 * and devminor 0, and an inode number counted up from 1 in write order
 * (the links of one hard-linked file share one). Directories get nlink 2,
 * hard-linked files the number of their names in the archive, everything
 * else 1. Names are stored without a leading "/" ("dev/console").
 *
 * Limits, each refused with warn() and -1 before anything of the entry is
 * written (the archive stays usable): a name that is empty, longer than
 * PATH_MAX-1 bytes, or has an empty, "." or ".." component; a name already
 * in the archive; a name whose parent directory was not added before it
 * (the kernel does not create missing parents); a file of 4 GiB or more
 * (the newc size field has 32 bits); a symlink target of PATH_MAX bytes or
 * more; a device number outside what Linux can encode (major > 4095,
 * minor > 0xfffff). An mtime outside 0..0xffffffff is clamped with a
 * warning. An error while data is being written (write failure, a file
 * that changed size while it was copied) breaks the archive: every later
 * call on it then fails too. */
#ifndef MKDISTRO_CPIO_H
#define MKDISTRO_CPIO_H

#include <stddef.h>
#include <sys/types.h>

struct cpio;

/* Start an archive written to FD (not closed by this module) with MTIME
 * (seconds since the epoch) on every entry. The caller ends it with
 * cpio_finish() or cpio_free(). */
struct cpio *cpio_new(int fd, long long mtime);

/* Directory NAME with permission bits PERM (07777). 0 or -1 after warn(). */
int cpio_add_dir(struct cpio *c, const char *name, mode_t perm);

/* Regular file NAME (PERM) whose content is streamed from SRCPATH (opened
 * without following symlinks; must be a regular file). The size is checked
 * again while copying: a file that grew or shrank is an error. 0 or -1. */
int cpio_add_file(struct cpio *c, const char *name, mode_t perm, const char *srcpath);

/* Regular file NAME (PERM) holding LEN bytes of DATA. 0 or -1. */
int cpio_add_data(struct cpio *c, const char *name, mode_t perm, const void *data, size_t len);

/* Symbolic link NAME -> TARGET (mode 0777, as Linux shows it). 0 or -1. */
int cpio_add_symlink(struct cpio *c, const char *name, const char *target);

/* Special file NAME: MODE is S_IFCHR, S_IFBLK, S_IFIFO or S_IFSOCK plus
 * permission bits; MAJOR/MINOR are its device number (0 for fifos and
 * sockets). Needs no privilege: nothing is created on the host. 0 or -1. */
int cpio_add_node(struct cpio *c, const char *name, mode_t mode, unsigned major, unsigned minor);

/* Reserve an inode number for a file with several names (hard links) and
 * return it; nothing is written. */
unsigned long cpio_reserve_inode(struct cpio *c);

/* One name of a hard-linked file: INO from cpio_reserve_inode(), NLINK the
 * number of names the file will have in this archive. Pass SRCPATH NULL
 * for all names but the last one added, which carries the content: in
 * newc the earlier links have size 0 and the data goes with the last link
 * (what GNU cpio writes and expects; the kernel links the later names to
 * the first and writes the data through whichever has it). 0 or -1. */
int cpio_add_file_link(struct cpio *c, const char *name, mode_t perm, unsigned long ino,
		       unsigned nlink, const char *srcpath);

/* Write the TRAILER!!! entry, pad the archive to a multiple of 512 bytes,
 * flush, and free C. Returns 0, or -1 after warn() (also when an earlier
 * error broke the archive, in which case no trailer is written). */
int cpio_finish(struct cpio *c);

/* Give the next entry added (only that one) owner UID and group GID
 * instead of 0, for entries that need root to create on the host. */
void cpio_set_owner(struct cpio *c, unsigned long uid, unsigned long gid);

/* Free C without writing a trailer (to abandon a broken archive). */
void cpio_free(struct cpio *c);

/* An entry cpio_write_tree() adds beside those of the tree. MODE carries
 * the type: S_IFDIR; S_IFREG with content from the file SRC, or else the
 * LEN bytes at DATA; S_IFLNK pointing to TARGET; S_IFCHR/S_IFBLK with
 * MAJOR/MINOR; S_IFIFO; S_IFSOCK. PATH may start with "/". */
struct cpio_entry {
	const char *path;
	mode_t mode;
	unsigned major, minor;
	unsigned long uid, gid; /* owner; 0 for root */
	const char *target;
	const char *src;
	const void *data;
	size_t len;
};

/* Write ROOTDIR (found with stat(); below it nothing is followed: lstat
 * only) and the NEXTRA entries of EXTRA as one complete archive to FD,
 * entries sorted by name in byte order so that parents precede children,
 * then the trailer (through cpio_finish()). ROOTDIR itself is not an entry.
 * Extra entries replace tree entries of the same name (a directory of the
 * tree that still has entries below it can only be replaced by a
 * directory); two extras with one name are an error. Tree files keep their
 * permissions except the group and other write bits, which are dropped so
 * the builder's umask cannot leak into the image (sticky directories such
 * as tmp keep theirs); setuid, setgid and exec bits stay as found. Files
 * with several names in the tree become hard links. Device nodes in the
 * tree are an error: add them as extras. Nothing is added implicitly, not
 * even "dev" or "dev/console": the caller decides and passes them as
 * extras, e.g. {"dev", S_IFDIR | 0755} and {"dev/console", S_IFCHR | 0600,
 * 5, 1}. Returns 0, or -1 after warn(); on error FD holds a partial
 * archive that the caller should discard. */
int cpio_write_tree(int fd, const char *rootdir, long long mtime,
		    const struct cpio_entry *extra, size_t nextra);

#endif
