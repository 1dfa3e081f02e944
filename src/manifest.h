/* manifest: out/manifest.txt, what went into a build's outputs and what
 * came out, so that a build can be audited and compared with another:
 * each source (version, sha256, where it came from), each step's labelled
 * inputs, the compiler, and the sha256 and size of each output. */
#ifndef MKDISTRO_MANIFEST_H
#define MKDISTRO_MANIFEST_H

#include <stddef.h>

#include "catalog.h"
#include "steps.h"

/* What a manifest is made from; nothing here is owned by it. */
struct manifest {
	const struct source *const *sources; /* the sources built */
	size_t nsources;
	const char *cachedir;    /* where their files are (never downloaded) */
	const struct plan *plan; /* steps with their inputs (plan_keys done) */
	const char *compiler;    /* the target's gcc: "aarch64-linux-gnu-gcc" */
	const char *outdir;      /* the outputs: vmlinuz, initrd.img, run-qemu.sh */
	const char *kernel;      /* lines of a [kernel] section ("tree DIR\n..."), or
				  * NULL for the catalog's kernel */
};

/* The manifest's text (new memory). A source file missing from the cache
 * and an output not there are listed as unknown or left out. */
char *manifest_text(const struct manifest *m);

/* Write manifest_text(M) to OUTDIR/manifest.txt atomically. Returns 0 or
 * -1 after warn(). */
int manifest_write(const struct manifest *m);

#endif
