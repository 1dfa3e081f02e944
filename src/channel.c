#include "channel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const port_names[CHANNEL_PORTS] = { CHANNEL_OUT_NAME, CHANNEL_ERR_NAME,
						       CHANNEL_CTL_NAME };

/* Longest control line taken: "255\n" with room for a \r. */
#define CTL_MAX 8

int channel_in_system(int share, int net)
{
	return share || net;
}

void channel_init(struct channel *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->status = -1;
	for (int i = 0; i < CHANNEL_PORTS; i++)
		ch->fd[i] = ch->qemu_fd[i] = -1;
}

int channel_open(struct channel *ch)
{
	channel_init(ch);
	for (int i = 0; i < CHANNEL_PORTS; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
			warn("command channel: socketpair:");
			channel_free(ch);
			return -1;
		}
		ch->fd[i] = sv[0];
		ch->qemu_fd[i] = sv[1];
		fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	}
	return 0;
}

static void close_all(int *fds)
{
	for (int i = 0; i < CHANNEL_PORTS; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

void channel_started(struct channel *ch)
{
	close_all(ch->qemu_fd);
}

void channel_free(struct channel *ch)
{
	close_all(ch->fd);
	close_all(ch->qemu_fd);
	for (int i = 0; i < 2; i++)
		buf_free(&ch->held[i]);
	buf_free(&ch->ctl);
	buf_free(&ch->reply);
}

char **channel_qemu_args(const struct arch *a, const struct channel *ch)
{
	char *device = arch_virtio_device(a, "serial");
	if (!device)
		return NULL;
	char **args = xcalloc(2 + 4 * CHANNEL_PORTS + 1, sizeof(char *));
	size_t n = 0;
	args[n++] = xstrdup("-device");
	args[n++] = xasprintf("%s,id=mkdistro-vs", device);
	for (int i = 0; i < CHANNEL_PORTS; i++) {
		args[n++] = xstrdup("-chardev");
		args[n++] = xasprintf("socket,id=mkdistro-port%d,fd=%d", i, ch->qemu_fd[i]);
		args[n++] = xstrdup("-device");
		args[n++] = xasprintf("virtserialport,bus=mkdistro-vs.0,chardev=mkdistro-port%d,name=%s",
				      i, port_names[i]);
	}
	free(device);
	return args;
}

char *channel_kconfig(const struct arch *a)
{
	return xasprintf("%sCONFIG_VIRTIO_CONSOLE\n", arch_virtio_kconfig(a));
}

/* A fresh mark in CH->mark: hex of random bytes (should getrandom fail,
 * of the clock and the process id: still unknown to the command). */
static void draw_mark(struct channel *ch)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[CHANNEL_MARK_LEN / 2];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		unsigned long long t = (unsigned long long)(now_seconds() * 1e9) ^ (unsigned)getpid();
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)((t >> (i % 8 * 8)) ^ (i * 131));
	}
	for (size_t i = 0; i < sizeof(r); i++) {
		ch->mark[2 * i] = hex[r[i] >> 4];
		ch->mark[2 * i + 1] = hex[r[i] & 15];
	}
	ch->mark[CHANNEL_MARK_LEN] = '\0';
}

static void feed_ctl(struct channel *ch, const char *data, size_t n)
{
	for (size_t i = 0; i < n && ch->status < 0 && !ch->bad; i++) {
		if (data[i] != '\n') {
			if (ch->ctl.len >= CTL_MAX)
				ch->bad = 1;
			else
				buf_addch(&ch->ctl, data[i]);
			continue;
		}
		/* "STATUS" (0..255), maybe with a \r. */
		const char *s = ch->ctl.s ? ch->ctl.s : "";
		size_t len = ch->ctl.len;
		if (len && s[len - 1] == '\r')
			len--;
		int v = 0;
		for (size_t j = 0; j < len && !ch->bad; j++) {
			if (s[j] < '0' || s[j] > '9' || j >= 3)
				ch->bad = 1;
			else
				v = 10 * v + (s[j] - '0');
		}
		if (!len || v > 255)
			ch->bad = 1;
		if (ch->bad)
			break;
		ch->status = v;
		draw_mark(ch);
		buf_printf(&ch->reply, "%s\n", ch->mark);
	}
}

void channel_feed(struct channel *ch, enum channel_port port, const char *data, size_t n,
		  struct buf *out)
{
	if (port == CHANNEL_CTL) {
		feed_ctl(ch, data, n);
		return;
	}
	if (ch->ended[port])
		return; /* a background job writing after the end */
	if (!ch->mark[0]) {
		/* No mark exists yet: everything is the command's. */
		buf_add(out, data, n);
		return;
	}
	struct buf *h = &ch->held[port];
	buf_add(h, data, n);
	const char *m = h->len ? memmem(h->s, h->len, ch->mark, CHANNEL_MARK_LEN) : NULL;
	if (m) {
		buf_add(out, h->s, (size_t)(m - h->s));
		ch->ended[port] = 1;
		h->len = 0;
		return;
	}
	/* Keep what may be the mark's beginning. */
	if (h->len >= CHANNEL_MARK_LEN) {
		size_t give = h->len - (CHANNEL_MARK_LEN - 1);
		buf_add(out, h->s, give);
		memmove(h->s, h->s + give, h->len - give);
		h->len -= give;
		h->s[h->len] = '\0';
	}
}

int channel_done(const struct channel *ch)
{
	return ch->status >= 0 && ch->ended[CHANNEL_OUT] && ch->ended[CHANNEL_ERR];
}
