#include "manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "hash.h"
#include "toolchain.h"
#include "util.h"

char *manifest_text(const struct manifest *mf)
{
	struct buf m = {0};
	buf_printf(&m, "# mkdistro %s manifest\n[sources]\n", MKDISTRO_VERSION);
	for (size_t i = 0; i < mf->nsources; i++) {
		const struct source *src = mf->sources[i];
		char *path = fetch_source(src, mf->cachedir, 1);
		char hex[SHA256_HEX_LEN + 1] = "unknown";
		char *fromtext = NULL;
		if (path) {
			sha256_file(path, hex, NULL);
			for (size_t k = 0; k < src->norigins; k++)
				if (!strcmp(src->origins[k].sha256, hex)) {
					const struct origin *o = &src->origins[k];
					free(fromtext);
					fromtext = o->kind == ORIGIN_URL
							   ? xstrdup(o->url)
							   : xasprintf("Debian source package %s=%s (%s)",
								       o->apt_pkg, o->apt_ver, o->file);
				}
		}
		buf_printf(&m, "%s %s sha256=%s from=%s\n", src->name, src->version, hex,
			   fromtext ? fromtext : "unknown");
		free(fromtext);
		free(path);
	}
	buf_addstr(&m, "[inputs]\n");
	for (size_t i = 0; i < mf->plan->n; i++) {
		const struct step *s = &mf->plan->steps[i];
		const char *t = s->inputs_text ? s->inputs_text : "";
		/* Each step's labelled inputs, without the shared version line. */
		for (const char *line = t; *line;) {
			size_t len = strcspn(line, "\n");
			if (strncmp(line, "mkdistro ", 9) && strncmp(line, "step:", 5))
				buf_printf(&m, "%s: %.*s\n", s->name, (int)len, line);
			line += len + (line[len] == '\n');
		}
	}
	if (mf->kernel)
		buf_printf(&m, "[kernel]\n%s", mf->kernel);
	const char *cc = toolchain_gcc_version(mf->compiler);
	if (cc)
		buf_printf(&m, "[compiler]\n%.*s\n", (int)strcspn(cc, "\n"), cc);
	buf_addstr(&m, "[outputs]\n");
	const char *outs[] = { "vmlinuz", "initrd.img", "run-qemu.sh" };
	for (size_t i = 0; i < 3; i++) {
		char *path = path_join(mf->outdir, outs[i]);
		char hex[SHA256_HEX_LEN + 1];
		off_t size = 0;
		if (sha256_file(path, hex, &size) == 0)
			buf_printf(&m, "%s sha256=%s size=%lld\n", outs[i], hex, (long long)size);
		free(path);
	}
	return buf_steal(&m);
}

int manifest_write(const struct manifest *mf)
{
	char *text = manifest_text(mf);
	char *path = path_join(mf->outdir, "manifest.txt");
	int rc = write_file_atomic(path, text, strlen(text), 0644);
	free(path);
	free(text);
	return rc;
}
