/* net: the guest's network (run --net): QEMU's user-mode network on a
 * virtio-net device, closed to the outside unless asked (restrict=on),
 * with TCP ports forwarded from 127.0.0.1 (--forward); the guest's static
 * address (asked for on the kernel command line, set by the system's
 * rcS) and the kernel options a system with [system] net = yes is built
 * with. */
#ifndef MKDISTRO_NET_H
#define MKDISTRO_NET_H

#include <stddef.h>

#include "arch.h"

/* The guest's side of QEMU's user-mode network: its address, the host
 * as its gateway, QEMU's DNS forwarder. */
#define NET_GUEST_ADDR "10.0.2.15"
#define NET_GATEWAY "10.0.2.2"
#define NET_DNS "10.0.2.3"

struct net_forward {
	int host_port;  /* on 127.0.0.1 */
	int guest_port; /* on the guest's address */
};

struct net {
	int on;   /* --net (or a --forward) */
	int open; /* --net=open: the guest may connect out (restrict=off) */
	struct net_forward *fwd;
	size_t nfwd;
};

/* --net's value ARG (NULL for none): "restrict" or "open". Returns 0, or
 * -1 after warn(). */
int net_parse_mode(struct net *n, const char *arg);
/* Add --forward SPEC, "HOSTPORT:GUESTPORT", to *N (it turns the network
 * on). Returns 0, or -1 after warn() naming the fix. */
int net_add_forward(struct net *n, const char *spec);
void net_free(struct net *n);

/* The kernel symbols, one per line, the network needs on A, its virtio
 * transport's included (new memory). */
char *net_kconfig(const struct arch *a);
/* Fragment lines ("CONFIG_X=n\n...") that keep what the network's options
 * would bring in by default out of a tinyconfig kernel (IPv6, ethtool's
 * netlink interface...): smaller and quicker to build. Static. */
const char *net_kconfig_trim(void);

/* QEMU's arguments for N on A (NULL-terminated, new memory; free with
 * qemu_argv_free()), or NULL when the network is off. */
char **net_qemu_args(const struct arch *a, const struct net *n);

/* The kernel command line word that asks the guest to bring its network
 * up ("" when it is off; new memory). */
char *net_cmdline(const struct net *n);

#endif
