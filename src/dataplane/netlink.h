/* A tiny rtnetlink client for the TUN's address, route and link settings:
 * build one request, send it, wait for its acknowledgement. No dependency
 * on iproute2 at run time, and no library: the few messages we need are a
 * header, a fixed struct and flat attributes. Synchronous: these are
 * control-plane calls (a route per session at most), not the data path. */
#ifndef L2TPD_DATAPLANE_NETLINK_H
#define L2TPD_DATAPLANE_NETLINK_H

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

struct nl_sock {
	int fd;
	uint32_t seq;
};

/* A request being built: header, family struct, attributes. */
#define NL_REQ_MAX 512
struct nl_req {
	union {
		struct nlmsghdr h;
		uint8_t buf[NL_REQ_MAX];
	};
};

/* 0 or -errno. */
int nl_open(struct nl_sock *nl);
void nl_close(struct nl_sock *nl);

/* Start a request of type with flags (NLM_F_REQUEST | NLM_F_ACK added);
 * returns the family struct of fam_len octets after the header, zeroed. */
void *nl_req_init(struct nl_req *r, uint16_t type, uint16_t flags, size_t fam_len);
/* Append an attribute: 0 or -ENOSPC. */
int nl_req_put(struct nl_req *r, uint16_t type, const void *data, size_t len);
/* Send r and wait for its acknowledgement: 0, or the kernel's -errno
 * (-EEXIST, -ESRCH, ...), or -ETIMEDOUT. */
int nl_request(struct nl_sock *nl, struct nl_req *r);

#endif
