/* programs: the system's own programs, C sources in programs/ beside its
 * mkdistro.conf, compiled statically with the system's musl toolchain and
 * installed in /usr/bin: programs/NAME.c, or programs/NAME/ with several
 * .c files, becomes /usr/bin/NAME. */
#ifndef MKDISTRO_PROGRAMS_H
#define MKDISTRO_PROGRAMS_H

#include "config.h"
#include "steps.h"

/* CFG's programs/ directory (beside its mkdistro.conf), absolute, or NULL
 * when it has none (new memory). */
char *programs_dir(const struct config *cfg);

/* Add CFG's programs/ tree to IN as the input "programs" (none when it has
 * no programs/ or an empty one). */
void programs_inputs(const struct config *cfg, struct step_inputs *in);

/* Compile the programs of the directory SRC (NULL: none) with the
 * compiler CC (the toolchain's wrapper, linking against musl) into
 * DEST/usr/bin, DEST made afresh; one after another, in name order, each
 * announced on stderr. The compiler's output is appended to the file LOG
 * and shown on stderr when it fails. Returns 0, or -1 after warn() (a
 * program that did not compile, a directory without .c files). */
int programs_build(const char *src, const char *cc, const char *dest, const char *log);

#endif
