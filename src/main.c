/* mkdistro: build a minimal Linux system from source and boot it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "config.h"
#include "proc.h"
#include "qemu.h"
#include "util.h"

struct opts {
	const char *file;
	int jobs;
	const char *command;
	int time;
	int offline;
};

struct cmd {
	const char *name;
	int (*fn)(struct opts *o, struct config *cfg);
	const char *args;
	const char *summary;
	const char *help;
};

static const char common_help[] =
	"  -f, --file FILE   system description (default: ./mkdistro.conf if present,\n"
	"                    else the built-in seed system)\n"
	"  -j, --jobs N      parallel compile jobs (default: number of CPUs)\n"
	"      --offline     use only the source cache, never download\n"
	"  -v, --verbose     more output (repeat for the commands run)\n"
	"  -h, --help        this help\n";

/* Set up the build for CFG; dies on a bad configuration. */
static void prepare(struct build *b, struct opts *o, struct config *cfg)
{
	if (build_init(b, cfg, o->jobs) < 0)
		exit(1);
	b->offline = o->offline;
}

static int cmd_build(struct opts *o, struct config *cfg)
{
	struct build b;
	prepare(&b, o, cfg);
	int rc = build_all(&b);
	build_free(&b);
	return rc < 0 ? 1 : 0;
}

static int cmd_fetch(struct opts *o, struct config *cfg)
{
	struct build b;
	prepare(&b, o, cfg);
	int rc = build_fetch(&b);
	if (rc == 0)
		fprintf(stderr, "mkdistro: sources verified in %s\n", b.cachedir);
	build_free(&b);
	return rc < 0 ? 1 : 0;
}

static int cmd_status(struct opts *o, struct config *cfg)
{
	struct build b;
	prepare(&b, o, cfg);
	int stale = plan_status(&b.plan);
	build_free(&b);
	return stale ? 1 : 0;
}

static int cmd_clean(struct opts *o, struct config *cfg)
{
	int rc = 0;
	if (rm_rf("build") < 0)
		rc = 1;
	if (rm_rf("out") < 0)
		rc = 1;
	if (rc == 0)
		fprintf(stderr, "mkdistro: removed build/ and out/ (the source cache is kept)\n");
	return rc;
}

static void print_times(const struct boot_times *t)
{
	fprintf(stderr, "mkdistro: boot times from QEMU start (%s): first output %.2f s, "
			"/init %.2f s, shell prompt %.2f s\n",
		t->accel ? t->accel : "?", t->first_output, t->init, t->prompt);
}

static int cmd_run(struct opts *o, struct config *cfg)
{
	struct build b;
	prepare(&b, o, cfg);
	if (build_all(&b) < 0) {
		build_free(&b);
		return 1;
	}
	char *kernel = build_kernel_path(&b);
	char *initrd = build_initrd_path(&b);
	char *cmdline = build_cmdline(&b);
	struct boot boot = {
		.arch = b.arch,
		.kernel = kernel,
		.initrd = initrd,
		.append = cmdline,
		.memory_mb = cfg->memory_mb,
	};
	int rc;
	if (o->command || o->time) {
		struct boot_times t = { -1, -1, -1, NULL };
		fflush(stdout);
		rc = qemu_command(&boot, o->command ? o->command : "true", STDOUT_FILENO, &t);
		if (o->time)
			print_times(&t);
		if (rc < 0)
			rc = 255;
	} else {
		rc = qemu_interactive(&boot);
		if (rc < 0)
			rc = 1;
	}
	free(kernel);
	free(initrd);
	free(cmdline);
	build_free(&b);
	return rc;
}

static const struct cmd cmds[] = {
	{ "build", cmd_build, "",
	  "fetch, verify and build the system into out/",
	  "Fetch and verify the sources, build the kernel, musl and BusyBox, and write\n"
	  "out/vmlinuz, out/initrd.img and out/run-qemu.sh. Steps whose inputs did not\n"
	  "change since their last success are skipped.\n" },
	{ "run", cmd_run, "[-c CMD] [--time]",
	  "build if needed, then boot the system in QEMU",
	  "Boot the system on the serial console in this terminal (build it first if\n"
	  "needed). Leave with 'poweroff' in the guest, or Ctrl-A then X.\n"
	  "  -c, --command CMD  run CMD in the guest shell, print its output, power off,\n"
	  "                     and exit with CMD's exit status (255: the boot failed)\n"
	  "      --time         report QEMU start to first output, /init and prompt\n" },
	{ "fetch", cmd_fetch, "", "download and verify the sources into the cache",
	  "Download every source file of the system into the cache\n"
	  "($XDG_CACHE_HOME/mkdistro/sources) and verify its sha256 and size.\n" },
	{ "status", cmd_status, "", "list each build step as up to date or stale (and why)",
	  "List each step of the build with 'up to date' or 'stale' and the reason.\n"
	  "Exits 1 if any step is stale.\n" },
	{ "clean", cmd_clean, "", "remove build/ and out/ (keeps the source cache)",
	  "Remove the build directory and the outputs. The source cache is kept.\n" },
};

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mkdistro COMMAND [OPTIONS]\n\n"
		   "Build a minimal Linux system (kernel, musl, BusyBox, initramfs) from\n"
		   "source and boot it in QEMU.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\noptions:\n%s      --version     print the version\n\n"
		   "'mkdistro COMMAND --help' describes a command; see also mkdistro(1).\n",
		common_help);
}

static void cmd_usage(const struct cmd *c)
{
	printf("usage: mkdistro %s [OPTIONS]%s%s\n\n%s\noptions:\n%s", c->name, *c->args ? " " : "",
	       c->args, c->help, common_help);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "command", required_argument, NULL, 'c' },
		{ "time", no_argument, NULL, 'T' },
		{ "offline", no_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .jobs = (int)sysconf(_SC_NPROCESSORS_ONLN) };
	int help = 0, c;

	if (o.jobs < 1)
		o.jobs = 1;
	while ((c = getopt_long(argc, argv, "f:j:vc:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o.file = optarg; break;
		case 'j': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 1024) {
				warn("-j '%s': expected a number of jobs from 1 to 1024", optarg);
				return 2;
			}
			o.jobs = (int)n;
			break;
		}
		case 'v': verbose++; break;
		case 'c': o.command = optarg; break;
		case 'T': o.time = 1; break;
		case 'O': o.offline = 1; break;
		case 'h': help = 1; break;
		case 'V': printf("mkdistro %s\n", MKDISTRO_VERSION); return 0;
		default:
			fprintf(stderr, "Try 'mkdistro --help'.\n");
			return 2;
		}
	}
	if (optind >= argc) {
		usage(help ? stdout : stderr);
		return help ? 0 : 2;
	}
	const struct cmd *cmd = find_cmd(argv[optind]);
	if (!cmd) {
		warn("unknown command '%s'; try 'mkdistro --help'", argv[optind]);
		return 2;
	}
	if (help) {
		cmd_usage(cmd);
		return 0;
	}
	if (optind + 1 < argc) {
		warn("%s: unexpected argument '%s'", cmd->name, argv[optind + 1]);
		return 2;
	}
	if ((o.command || o.time) && cmd->fn != cmd_run) {
		warn("%s: -c and --time belong to 'mkdistro run'", cmd->name);
		return 2;
	}

	/* Builds must not depend on who builds them, when, or where. */
	setenv("LC_ALL", "C", 1);
	setenv("TZ", "UTC", 1);
	if (!getenv("SOURCE_DATE_EPOCH"))
		setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	time_t epoch = (time_t)strtoll(getenv("SOURCE_DATE_EPOCH"), NULL, 10);
	char stamp[64];
	struct tm tm;
	if (gmtime_r(&epoch, &tm) && strftime(stamp, sizeof(stamp), "%a %b %e %H:%M:%S UTC %Y", &tm))
		setenv("KBUILD_BUILD_TIMESTAMP", stamp, 1);
	setenv("KBUILD_BUILD_USER", "mkdistro", 1);
	setenv("KBUILD_BUILD_HOST", "mkdistro", 1);
	/* When started from make (make run), the outer make's job server
	 * is not ours to use. */
	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	unsetenv("MAKEOVERRIDES");
	unsetenv("GNUMAKEFLAGS");
	proc_install_signal_handlers();

	struct config cfg = {0};
	if (cmd->fn != cmd_clean && config_load(&cfg, o.file, o.file != NULL) < 0)
		return 1;
	int rc = cmd->fn(&o, &cfg);
	config_free(&cfg);
	return rc;
}
