#include "net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int net_parse_mode(struct net *n, const char *arg)
{
	if (arg && strcmp(arg, "restrict") && strcmp(arg, "open")) {
		warn("--net=%s: write --net (closed to the outside) or --net=open (the guest may "
		     "connect out)", arg);
		return -1;
	}
	n->on = 1;
	n->open = arg && !strcmp(arg, "open");
	return 0;
}

/* The port in S (up to END, or its end), or -1. */
static int port_of(const char *s, const char *end)
{
	int port = 0;
	if (s == end || !*s)
		return -1;
	for (; *s && s != end; s++) {
		if (*s < '0' || *s > '9' || port > 6553)
			return -1;
		port = port * 10 + (*s - '0');
	}
	return port >= 1 && port <= 65535 ? port : -1;
}

int net_add_forward(struct net *n, const char *spec)
{
	const char *colon = strchr(spec, ':');
	int host = colon ? port_of(spec, colon) : -1;
	int guest = colon ? port_of(colon + 1, NULL) : -1;
	if (host < 0 || guest < 0) {
		warn("--forward '%s': write --forward HOSTPORT:GUESTPORT, two TCP ports from 1 to "
		     "65535 (the host's on 127.0.0.1)", spec);
		return -1;
	}
	for (size_t i = 0; i < n->nfwd; i++)
		if (n->fwd[i].host_port == host) {
			warn("--forward '%s': host port %d is forwarded twice: give each its own", spec,
			     host);
			return -1;
		}
	n->fwd = xreallocarray(n->fwd, n->nfwd + 1, sizeof(*n->fwd));
	n->fwd[n->nfwd++] = (struct net_forward){ host, guest };
	n->on = 1;
	return 0;
}

void net_free(struct net *n)
{
	free(n->fwd);
	memset(n, 0, sizeof(*n));
}

char *net_kconfig(const struct arch *a)
{
	/* IPv4 on a virtio-net device; NET_CORE is the menu of its driver.
	 * UNIX: musl's if_nametoindex() asks an AF_UNIX socket, so without
	 * it "ip ... dev eth0" says there is no eth0. */
	return xasprintf("%sCONFIG_NET\nCONFIG_INET\nCONFIG_UNIX\nCONFIG_NETDEVICES\n"
			 "CONFIG_NET_CORE\nCONFIG_VIRTIO_NET\n",
			 arch_virtio_kconfig(a));
}

const char *net_kconfig_trim(void)
{
	/* Each "default y" once NET is on: measured on x86_64, 6.1, they
	 * were 70 of the 190 objects the network added. */
	return "CONFIG_IPV6=n\nCONFIG_ETHTOOL_NETLINK=n\nCONFIG_INET_DIAG=n\nCONFIG_WLAN=n\n"
	       "CONFIG_WIRELESS=n\n";
}

char **net_qemu_args(const struct arch *a, const struct net *n)
{
	if (!n->on)
		return NULL;
	struct buf nd = {0};
	/* restrict=on: the guest reaches nothing but what is forwarded to
	 * it, the host's loopback (10.0.2.2) included. */
	buf_printf(&nd, "user,id=net0,restrict=%s", n->open ? "off" : "on");
	for (size_t i = 0; i < n->nfwd; i++)
		buf_printf(&nd, ",hostfwd=tcp:127.0.0.1:%d-:%d", n->fwd[i].host_port,
			   n->fwd[i].guest_port);
	char **args = xcalloc(5, sizeof(char *));
	char *device = arch_virtio_device(a, "net");
	args[0] = xstrdup("-netdev");
	args[1] = buf_steal(&nd);
	args[2] = xstrdup("-device");
	args[3] = xasprintf("%s,netdev=net0", device);
	free(device);
	return args;
}

char *net_cmdline(const struct net *n)
{
	return xstrdup(n->on ? "mkdistro.net=" NET_GUEST_ADDR : "");
}
