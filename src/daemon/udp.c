/* UDP sockets with pktinfo on receive and send (see udp.h for why). */
#include "udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int udp_addr_parse(const char *s, uint16_t default_port, union udp_addr *a)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port_str = NULL;
	const char *colon;
	size_t hlen;
	unsigned long port = default_port;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end)
			return -EINVAL;
		hlen = (size_t)(end - s - 1);
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (end[1] == ':')
			port_str = end + 2;
		else if (end[1] != '\0')
			return -EINVAL;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* bare IPv6 address */
		hlen = colon ? (size_t)(colon - s) : strlen(s);
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (colon)
			port_str = colon + 1;
	}
	if (port_str) {
		char *end;

		errno = 0;
		port = strtoul(port_str, &end, 10);
		if (errno || *end || end == port_str || port > 65535)
			return -EINVAL;
	}
	if (strcmp(host, "*") == 0 || host[0] == '\0') {
		a->sin.sin_family = AF_INET;
		a->sin.sin_addr.s_addr = htonl(INADDR_ANY);
		a->sin.sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET, host, &a->sin.sin_addr) == 1) {
		a->sin.sin_family = AF_INET;
		a->sin.sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a->sin6.sin6_addr) == 1) {
		a->sin6.sin6_family = AF_INET6;
		a->sin6.sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -EINVAL;
}

socklen_t udp_addr_len(const union udp_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->sin6) : sizeof(a->sin);
}

uint16_t udp_addr_port(const union udp_addr *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->sin6.sin6_port : a->sin.sin_port);
}

bool udp_addr_equal(const union udp_addr *a, const union udp_addr *b, bool with_port)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (with_port && udp_addr_port(a) != udp_addr_port(b))
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->sin.sin_addr.s_addr == b->sin.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return memcmp(&a->sin6.sin6_addr, &b->sin6.sin6_addr, 16) == 0;
	return false;
}

const char *udp_addr_host(const union udp_addr *a, char *buf, size_t len)
{
	const void *src = a->sa.sa_family == AF_INET6 ? (const void *)&a->sin6.sin6_addr
						       : (const void *)&a->sin.sin_addr;

	if (!inet_ntop(a->sa.sa_family == AF_INET6 ? AF_INET6 : AF_INET, src, buf,
		       (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *udp_addr_str(const union udp_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	udp_addr_host(a, host, sizeof(host));
	if (a->sa.sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", host, udp_addr_port(a));
	else
		snprintf(buf, len, "%s:%u", host, udp_addr_port(a));
	return buf;
}

/* Control and data of every tunnel share this socket, and when a whole
 * region's subscribers redial at once the burst is thousands of datagrams
 * deep: the kernel's default buffer (rmem_default, ~208 KiB, which a
 * network namespace cannot raise) overflowed at a few hundred setups in
 * flight, and every drop costs a retransmission a second later. The FORCE
 * variants need CAP_NET_ADMIN and ignore rmem_max; without it we get what
 * rmem_max allows. Failure is not fatal: the socket still works. */
void udp_size_buffers(int fd, int size)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

int udp_open(struct udp_sock *s, const union udp_addr *bind_addr)
{
	int one = 1;
	int fd, rc;

	s->fd = -1;
	s->family = bind_addr->sa.sa_family;
	s->bound = *bind_addr;
	fd = socket(s->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	if (s->family == AF_INET6) {
		/* An IPv6 socket serves IPv6 only: an IPv4 listen is its own
		 * socket, so v4-mapped peers never appear. */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
			goto fail;
	} else if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0) {
		goto fail;
	}
	udp_size_buffers(fd, UDP_SOCKET_BUFFER);
	if (bind(fd, &bind_addr->sa, udp_addr_len(bind_addr)) < 0)
		goto fail;
	s->fd = fd;
	return 0;
fail:
	rc = -errno;
	close(fd);
	return rc;
}

void udp_close(struct udp_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void udp_parse_cmsg(struct msghdr *mh, struct udp_local *local)
{
	memset(local, 0, sizeof(*local));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			local->set = true;
			local->family = AF_INET;
			local->v4 = pi.ipi_addr;
			local->ifindex = pi.ipi_ifindex;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			local->set = true;
			local->family = AF_INET6;
			local->v6 = pi.ipi6_addr;
			local->ifindex = (int)pi.ipi6_ifindex;
		}
	}
}

int udp_recv_batch(struct udp_sock *s, struct udp_batch *b)
{
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	int n;

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < UDP_BATCH; i++) {
		iov[i].iov_base = b->bufs[i];
		iov[i].iov_len = sizeof(b->bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &b->peers[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(b->peers[i]);
		msgs[i].msg_hdr.msg_control = b->cmsg[i];
		msgs[i].msg_hdr.msg_controllen = sizeof(b->cmsg[i]);
	}
	n = recvmmsg(s->fd, msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		b->rx[i].buf = b->bufs[i];
		b->rx[i].len = msgs[i].msg_len;
		b->rx[i].peer = b->peers[i];
		udp_parse_cmsg(&msgs[i].msg_hdr, &b->rx[i].local);
		if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			b->rx[i].len = 0; /* oversized: the caller drops it as short */
	}
	return n;
}

int udp_send(const struct udp_sock *s, const union udp_addr *peer, const struct udp_local *local,
	     const void *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = (void *)&peer->sa,
		.msg_namelen = udp_addr_len(peer),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};

	memset(&control, 0, sizeof(control));
	if (local && local->set && local->family == s->family) {
		struct cmsghdr *c;

		mh.msg_control = control.buf;
		if (local->family == AF_INET) {
			struct in_pktinfo pi = { 0 };

			/* ipi_spec_dst picks the source; ifindex 0 lets routing
			 * choose the way out. */
			pi.ipi_spec_dst = local->v4;
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		} else {
			struct in6_pktinfo pi = { 0 };

			pi.ipi6_addr = local->v6;
			/* Link-local sources need their interface. */
			if (IN6_IS_ADDR_LINKLOCAL(&local->v6))
				pi.ipi6_ifindex = (unsigned)local->ifindex;
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		}
	}
	if (sendmsg(s->fd, &mh, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}
