/* kdiag: why a kernel build failed, by name. A kernel of another version
 * than the catalog's (the user's tree, another configuration) may need
 * host tools or options the pinned one did not; make then ends in a wall
 * of output with the cause somewhere inside. One table of known causes
 * turns the log into a line that names the tool (and its Debian package)
 * or the option, and the fix. */
#ifndef MKDISTRO_KDIAG_H
#define MKDISTRO_KDIAG_H

/* The known causes found in the kernel build log TEXT, one line each
 * ("needs pahole: install the Debian package 'dwarves', or ..."), or NULL
 * when none is known (new memory). */
char *kdiag_explain(const char *text);

/* Read the log file LOG and warn() each cause kdiag_explain finds.
 * Returns how many were found. */
int kdiag_report(const char *log);

#endif
