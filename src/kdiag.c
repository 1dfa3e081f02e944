#include "kdiag.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* What a failed build printed, and what it means. The patterns are the
 * messages of kbuild, its scripts and the shell, as the kernels from 5.x
 * to 6.x print them. */
static const struct cause {
	const char *patterns[3]; /* any of them; NULL-terminated */
	const char *why;
} causes[] = {
	{ { "pahole (pahole) is not available", "BTF: .tmp_vmlinux.btf: pahole" },
	  "needs pahole for CONFIG_DEBUG_INFO_BTF: install the Debian package 'dwarves', or add "
	  "'# CONFIG_DEBUG_INFO_BTF is not set' to the fragment" },
	{ { "certs/signing_key.pem" },
	  "needs a module signing key it could not make: install the Debian package 'openssl', or "
	  "add '# CONFIG_MODULE_SIG is not set' to the fragment" },
	{ { "canonical-certs.pem", "debian/certs/" },
	  "the configuration names certificate files of its distribution that this tree lacks: add "
	  "CONFIG_SYSTEM_TRUSTED_KEYS=\"\" and CONFIG_SYSTEM_REVOCATION_KEYS=\"\" to the fragment" },
	{ { "flex: not found" }, "needs flex: install the Debian package 'flex'" },
	{ { "bison: not found" }, "needs bison: install the Debian package 'bison'" },
	{ { "bc: not found" }, "needs bc: install the Debian package 'bc'" },
	{ { "openssl/opensslv.h: No such file", "openssl/bio.h: No such file" },
	  "needs OpenSSL's headers: install the Debian package 'libssl-dev'" },
	{ { "gelf.h: No such file", "please install libelf-dev" },
	  "needs libelf's headers: install the Debian package 'libelf-dev'" },
	{ { "lz4: not found" }, "needs lz4: install the Debian package 'lz4'" },
	{ { "lzop: not found" }, "needs lzop: install the Debian package 'lzop'" },
	{ { "zstd: not found" }, "needs zstd: install the Debian package 'zstd'" },
	{ { "xz: not found" }, "needs xz: install the Debian package 'xz-utils'" },
	{ { "cpio: not found" }, "needs cpio (CONFIG_IKHEADERS): install the Debian package 'cpio'" },
	{ { "rsync: not found" }, "needs rsync: install the Debian package 'rsync'" },
	{ { "perl: not found" }, "needs perl: install the Debian package 'perl'" },
	{ { "python3: not found" }, "needs python3: install the Debian package 'python3'" },
	{ { "rustc: not found" },
	  "needs Rust for CONFIG_RUST: add '# CONFIG_RUST is not set' to the fragment" },
	{ { "unrecognized command-line option" },
	  "passes the compiler an option it does not know: this kernel wants a newer gcc than "
	  "the host's, or a configuration for another compiler (CONFIG_CC_VERSION_TEXT)" },
};

char *kdiag_explain(const char *text)
{
	struct buf b = {0};
	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
		int found = 0;
		for (size_t k = 0; k < 3 && causes[i].patterns[k] && !found; k++)
			found = strstr(text, causes[i].patterns[k]) != NULL;
		if (found)
			buf_printf(&b, "%s\n", causes[i].why);
	}
	return b.len ? buf_steal(&b) : NULL;
}

int kdiag_report(const char *log)
{
	size_t n;
	char *text = read_file_quiet(log, &n);
	if (!text)
		return 0;
	char *why = kdiag_explain(text);
	free(text);
	int found = 0;
	for (char *line = why; line && *line;) {
		char *end = strchr(line, '\n');
		*end = '\0';
		warn("the kernel %s", line);
		found++;
		line = end + 1;
	}
	free(why);
	return found;
}
