/* rtnetlink requests with acknowledgement (see netlink.h). */
#include "netlink.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define NL_ACK_TIMEOUT_S 2
#define NL_RECV_MAX 8192

int nl_open(struct nl_sock *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = NL_ACK_TIMEOUT_S };
	int one = 1;
	int fd, rc;

	nl->fd = -1;
	nl->seq = 0;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	/* Acks without a copy of our request: small, fixed-size replies. A
	 * timeout so a lost ack can never hang the daemon. */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	nl->fd = fd;
	return 0;
fail:
	rc = -errno;
	close(fd);
	return rc;
}

void nl_close(struct nl_sock *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

void *nl_req_init(struct nl_req *r, uint16_t type, uint16_t flags, size_t fam_len)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = (uint32_t)NLMSG_LENGTH(fam_len);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = (uint16_t)(flags | NLM_F_REQUEST | NLM_F_ACK);
	return NLMSG_DATA(&r->h);
}

int nl_req_put(struct nl_req *r, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->h.nlmsg_len);
	struct nlattr a;

	if (len > UINT16_MAX - NLA_HDRLEN || off + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(r->buf))
		return -ENOSPC;
	a.nla_len = (uint16_t)(NLA_HDRLEN + len);
	a.nla_type = type;
	memcpy(r->buf + off, &a, sizeof(a));
	memcpy(r->buf + off + NLA_HDRLEN, data, len);
	r->h.nlmsg_len = (uint32_t)(off + NLA_HDRLEN + NLA_ALIGN(len));
	return 0;
}

int nl_request(struct nl_sock *nl, struct nl_req *r)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr align;
		uint8_t buf[NL_RECV_MAX];
	} reply;
	ssize_t n;

	r->h.nlmsg_seq = ++nl->seq;
	if (sendto(nl->fd, r->buf, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		n = recv(nl->fd, reply.buf, sizeof(reply.buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		}
		/* Walk every message of the datagram: an ack for an earlier,
		 * timed-out request may come first. */
		for (size_t off = 0; off + sizeof(struct nlmsghdr) <= (size_t)n;) {
			struct nlmsghdr h;
			struct nlmsgerr err;

			memcpy(&h, reply.buf + off, sizeof(h));
			if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > (size_t)n - off)
				return -EPROTO;
			if (h.nlmsg_seq == nl->seq && h.nlmsg_type == NLMSG_ERROR) {
				if (h.nlmsg_len < NLMSG_LENGTH(sizeof(err)))
					return -EPROTO;
				memcpy(&err, reply.buf + off + NLMSG_HDRLEN, sizeof(err));
				return err.error; /* 0 (ack) or -errno */
			}
			off += NLMSG_ALIGN(h.nlmsg_len);
		}
	}
}
