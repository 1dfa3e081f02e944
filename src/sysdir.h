/* sysdir: a new system directory, the starting point of a system of the
 * user's own: an annotated mkdistro.conf, empty fragments, an overlay and a
 * programs directory. */
#ifndef MKDISTRO_SYSDIR_H
#define MKDISTRO_SYSDIR_H

/* Create the system directory DIR (created if missing; an existing
 * mkdistro.conf in it is never overwritten). Returns 0 or -1 after warn(). */
int sysdir_init(const char *dir);

#endif
