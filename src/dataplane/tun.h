/* The TUN device: create and configure it (MTU, addresses, routes, up, all
 * over rtnetlink), and move packets through it in batches.
 *
 * IFF_TUN | IFF_NO_PI: raw IP packets, no 4-octet packet-information
 * prefix (the version nibble tells IPv4 from IPv6). With more than one
 * queue, IFF_MULTI_QUEUE gives one fd per queue: one per data-plane thread,
 * each reading the packets the kernel hashed to it and writing its own
 * (measured ×1.4 on two cores). Every fd is non-blocking.
 *
 * Packet I/O (struct tun_io) moves a batch per call. A TUN fd is not a
 * socket: no recvmmsg/sendmmsg, and writev() is still one packet per call.
 * Writes can go through io_uring, a whole batch per io_uring_enter(); reads
 * are a read() loop until the TUN is empty or the batch full. tun.c has the
 * measured figures behind both choices. Any fd works (the unit tests use a
 * socketpair). */
#ifndef L2TPD_DATAPLANE_TUN_H
#define L2TPD_DATAPLANE_TUN_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "netlink.h"

#define TUN_MAX_QUEUES 16

struct tun {
	char name[IFNAMSIZ];
	int ifindex;
	unsigned n_queues;
	int fds[TUN_MAX_QUEUES];
	struct nl_sock nl;
};

/* Create (or attach to) the TUN name ("" or NULL: the kernel picks
 * tunN) with n_queues fds (1..TUN_MAX_QUEUES). Needs CAP_NET_ADMIN.
 * 0 or -errno. */
int tun_open(struct tun *t, const char *name, unsigned n_queues);
/* Close every queue; a non-persistent TUN disappears with its routes. */
void tun_close(struct tun *t);

int tun_set_mtu(struct tun *t, unsigned mtu);
int tun_set_up(struct tun *t);
/* family AF_INET or AF_INET6; local and peer are struct in_addr / in6_addr;
 * peer NULL for a plain prefix address. 0, -EEXIST or -errno. */
int tun_add_address(struct tun *t, int family, const void *local, const void *peer,
		    unsigned prefix_len);
/* A route to dst/prefix_len through the TUN (main table, scope link).
 * 0, -EEXIST (add), -ESRCH (delete of a missing route) or -errno. */
int tun_add_route(struct tun *t, int family, const void *dst, unsigned prefix_len);
int tun_del_route(struct tun *t, int family, const void *dst, unsigned prefix_len);

/* How packets are written (reads are read() in both). */
enum tun_io_mode {
	TUN_IO_SYSCALL, /* one write() per packet */
	TUN_IO_URING,   /* one io_uring_enter() per batch */
};

struct io_uring;

#define TUN_IO_BATCH_MAX 256

struct tun_io {
	int fd;
	enum tun_io_mode mode;
	unsigned depth;           /* packets per kernel crossing, at most */
	struct io_uring *ring;    /* TUN_IO_URING */
	uint64_t enters;          /* kernel crossings made (syscalls), for benchmarks */
};

/* I/O on fd (not owned) with at most depth packets per call. TUN_IO_URING
 * falls back to TUN_IO_SYSCALL when io_uring is unavailable (disabled by
 * sysctl or seccomp); io->mode says which one runs. 0 or -errno. */
int tun_io_init(struct tun_io *io, int fd, enum tun_io_mode mode, unsigned depth);
void tun_io_fini(struct tun_io *io);
const char *tun_io_mode_name(enum tun_io_mode mode);

/* Write n packets (n <= depth: more are split into several calls). Returns
 * how many the kernel accepted; a rejected packet is skipped, not retried.
 * *errors (may be NULL) gets the number rejected. */
unsigned tun_io_write(struct tun_io *io, const struct iovec *pkts, unsigned n, unsigned *errors);
/* Read up to n packets (at most depth), one into each bufs[i] (iov_len is
 * its capacity) in arrival order; lens[i] gets the packet's length. Returns
 * how many were read (0: none waiting) or -errno. */
int tun_io_read(struct tun_io *io, const struct iovec *bufs, size_t *lens, unsigned n);

#endif
