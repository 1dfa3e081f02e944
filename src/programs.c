#include "programs.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proc.h"
#include "util.h"

char *programs_dir(const struct config *cfg)
{
	char *dir = path_join(cfg->dir, "programs");
	char *abs = realpath(dir, NULL);
	free(dir);
	struct stat st;
	if (abs && (stat(abs, &st) < 0 || !S_ISDIR(st.st_mode))) {
		free(abs);
		abs = NULL;
	}
	return abs;
}

void programs_inputs(const struct config *cfg, struct step_inputs *in)
{
	char *dir = programs_dir(cfg);
	step_input_tree(in, "programs", dir);
	free(dir);
}

/* Run the compiler command ARGV for PROG in SRC, its output to LOG.
 * Returns 0, or -1 after showing the compiler's message and warn(). */
static int compile(const char *prog, char *const argv[], const char *src, const char *log)
{
	fprintf(stderr, "mkdistro: compiling program '%s'\n", prog);
	if (proc_run_logged(argv, src, log) == 0)
		return 0;
	/* The compiler's own message, here and not only in the log. */
	char *text = read_file_quiet(log, NULL);
	if (text)
		fputs(text, stderr);
	free(text);
	warn("program '%s' did not compile (see the compiler's message above)", prog);
	return -1;
}

int programs_build(const char *src, const char *cc, const char *dest, const char *log)
{
	char *bindir = path_join(dest, "usr/bin");
	int rc = -1;
	size_t n = 0;
	char **names = NULL;

	if (rm_rf(dest) < 0 || mkdir_p(bindir, 0755) < 0)
		goto out;
	rc = 0;
	if (!src)
		goto out;
	names = dir_list(src, NULL, 0, &n);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *path = path_join(src, names[i]);
		struct stat st;
		size_t len = strlen(names[i]);
		char *prog = NULL;
		char **argv = NULL;
		size_t argc = 0;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			prog = xstrdup(names[i]);
			size_t nc;
			char **files = dir_list(path, ".c", 0, &nc);
			if (nc == 0) {
				warn("program '%s': no .c files in '%s'", prog, path);
				rc = -1;
			}
			argv = xcalloc(nc + 9, sizeof(*argv));
			for (size_t k = 0; k < nc; k++) {
				argv[6 + k] = path_join(path, files[k]);
				free(files[k]);
			}
			argc = 6 + nc;
			free(files);
		} else if (len > 2 && !strcmp(names[i] + len - 2, ".c")) {
			prog = xstrndup(names[i], len - 2);
			argv = xcalloc(10, sizeof(*argv));
			argv[6] = xstrdup(path);
			argc = 7;
		}
		if (prog && rc == 0) {
			argv[0] = xstrdup(cc);
			argv[1] = xstrdup("-static");
			argv[2] = xstrdup("-Os");
			argv[3] = xstrdup("-Wall");
			argv[4] = xstrdup("-o");
			argv[5] = path_join(bindir, prog);
			argv[argc] = NULL;
			rc = compile(prog, argv, src, log);
		}
		for (size_t k = 0; argv && k < argc; k++)
			free(argv[k]);
		free(argv);
		free(prog);
		free(path);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(bindir);
	return rc;
}
