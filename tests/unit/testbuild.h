/* testbuild: a struct build for a given mkdistro.conf text, in a fresh
 * directory with a source cache of its own, for tests of what a build
 * plans and where (nothing is fetched or built). Header only, like
 * testutil.h. */
#ifndef MKDISTRO_TESTBUILD_H
#define MKDISTRO_TESTBUILD_H

#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "config.h"
#include "testutil.h"

struct buildfx {
	struct testdir dir;
	struct config cfg;
	struct build b;
	int built; /* b was initialised */
};

/* cmocka setup: a struct buildfx in *STATE, in its directory. */
static inline int buildfx_setup(void **state)
{
	struct buildfx *f = xcalloc(1, sizeof(*f));
	testdir_enter(&f->dir, "build");
	setenv("XDG_CACHE_HOME", f->dir.path, 1);
	*state = f;
	return 0;
}

static inline void buildfx_done(struct buildfx *f)
{
	if (f->built)
		build_free(&f->b);
	config_free(&f->cfg);
	f->built = 0;
}

/* cmocka teardown: frees the build and removes the directory. */
static inline int buildfx_teardown(void **state)
{
	struct buildfx *f = *state;
	buildfx_done(f);
	testdir_leave(&f->dir);
	free(f);
	return 0;
}

/* The build of the system CONF (mkdistro.conf text, in F's directory)
 * describes, replacing F's earlier one; owned by F. */
static inline struct build *buildfx_build(struct buildfx *f, const char *conf)
{
	buildfx_done(f);
	char *path = path_join(f->dir.path, CONFIG_FILE);
	assert_int_equal(config_parse(&f->cfg, conf, strlen(conf), path), 0);
	free(path);
	assert_int_equal(build_init(&f->b, &f->cfg, 2, 0), 0);
	f->built = 1;
	return &f->b;
}

#endif
