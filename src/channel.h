/* channel: the command's own way out of the guest. run -c on a system
 * built with shares or the network (whose kernels have virtio) gives the
 * command three virtio-serial ports instead of the serial console: its
 * stdout and its stderr, each byte as written, and a control port that
 * carries its exit status. The console then carries only the kernel's
 * messages and the markers of console.h.
 *
 * The end of each stream: once the guest has said the status, mkdistro
 * answers with a mark drawn at random at that moment, and the guest writes
 * the mark to both streams. A stream is complete when its mark arrived:
 * bytes still in QEMU's queues when the status overtook them are not
 * lost, and no output of the command can be taken for the mark, as it was
 * drawn after the command ended. Here: the ports' QEMU arguments and
 * kernel options, the guest's device paths, and the host's side of that
 * protocol as a parser without I/O (qemu.c moves the bytes). */
#ifndef MKDISTRO_CHANNEL_H
#define MKDISTRO_CHANNEL_H

#include <stddef.h>

#include "arch.h"
#include "util.h"

/* The ports by index; their names in the guest are under CHANNEL_DEV_DIR
 * (the system's rcS links /dev/virtio-ports/NAME to each port's node, as
 * udev does). */
enum channel_port { CHANNEL_OUT, CHANNEL_ERR, CHANNEL_CTL, CHANNEL_PORTS };
#define CHANNEL_DEV_DIR "/dev/virtio-ports/"
#define CHANNEL_OUT_NAME "mkdistro.out"
#define CHANNEL_ERR_NAME "mkdistro.err"
#define CHANNEL_CTL_NAME "mkdistro.ctl"

/* Hex digits of the end mark. */
#define CHANNEL_MARK_LEN 32

struct channel {
	int fd[CHANNEL_PORTS];      /* mkdistro's ends (non-blocking,
				     * close-on-exec), -1 when closed */
	int qemu_fd[CHANNEL_PORTS]; /* QEMU's ends until it has started,
				     * then -1 (channel_started) */
	struct buf held[2];         /* OUT, ERR: bytes that may be the
				     * start of the mark, not yet output */
	int ended[2];               /* OUT, ERR: the mark arrived */
	struct buf ctl;             /* the control line so far */
	int status;                 /* the command's exit status, -1 until
				     * the guest said it */
	int bad;                    /* the control port said something
				     * other than a status line */
	char mark[CHANNEL_MARK_LEN + 1]; /* "" until the status came */
	struct buf reply;           /* bytes to write to the control port */
};

/* Whether a system built with SHARE or NET (its [system] keys) has the
 * channel: those kernels have virtio anyway; in the default one its
 * options cost 0.16 s of boot, over what it may cost (README). The one
 * place that says which systems have it. */
int channel_in_system(int share, int net);

/* A channel with no descriptors, for channel_feed() alone (tests). */
void channel_init(struct channel *ch);
/* channel_init() and the three socket pairs. Returns 0, or -1 after
 * warn() with nothing left open. */
int channel_open(struct channel *ch);
/* QEMU has its ends (or could not be started): close them here. */
void channel_started(struct channel *ch);
/* Close what is open and release the buffers. */
void channel_free(struct channel *ch);

/* QEMU's arguments for the ports on A's virtio transport, QEMU's ends
 * given as inherited descriptors (-chardev socket,fd=N; NULL-terminated,
 * new memory; free with qemu_argv_free()), or NULL when A has no virtio. */
char **channel_qemu_args(const struct arch *a, const struct channel *ch);
/* The kernel symbols, one per line, the ports need on A, its virtio
 * transport's included (new memory). */
char *channel_kconfig(const struct arch *a);

/* N bytes arrived on PORT. Output for the user (OUT, ERR) is appended to
 * OUT; what the control port needs to hear is appended to ch->reply. */
void channel_feed(struct channel *ch, enum channel_port port, const char *data, size_t n,
		  struct buf *out);
/* 1 once the status came and both streams ended with the mark. */
int channel_done(const struct channel *ch);

#endif
