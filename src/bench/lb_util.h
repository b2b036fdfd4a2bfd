/* Small things every l2tp-bench mode needs: the clock, a process's RSS and
 * CPU from /proc, our own CPU, and a UDP socket sized for bursts. */
#ifndef L2TPD_BENCH_LB_UTIL_H
#define L2TPD_BENCH_LB_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "daemon/udp.h"

/* Monotonic time. */
uint64_t lb_now_ns(void);
uint64_t lb_now_ms(void);

/* One look at a process: resident memory and CPU consumed so far. */
struct lb_proc_sample {
	bool ok;
	uint64_t rss_kib;    /* VmRSS */
	double cpu_s;        /* utime + stime */
	uint64_t at_ns;      /* lb_now_ns() when taken */
};

/* Sample process pid (0: ourselves). ok is false if it is gone. */
struct lb_proc_sample lb_proc_sample(pid_t pid);
/* Our own user and system CPU seconds (getrusage). */
void lb_self_cpu(double *user_s, double *sys_s);

/* A nonblocking UDP socket bound to addr (port 0: ephemeral), with receive
 * and send buffers as large as the system allows (a burst of thousands of
 * setups must not overflow them): the fd, or -errno. */
int lb_udp_socket(const union udp_addr *addr);

/* Called for msg[first, first + count) once the kernel took them. */
typedef void (*lb_sent_fn)(void *ctx, unsigned first, unsigned count);

/* Send msg[0..n) on fd with sendmmsg: again after EINTR; when the socket
 * buffer is full, wait for it up to max_waits times 5 ms; a message the
 * kernel refuses (no route, refused, or still no room) is skipped, the
 * transports retransmitting what matters. sent may be NULL. Returns how
 * many were skipped. */
unsigned lb_sendmmsg_all(int fd, struct mmsghdr *msg, unsigned n, unsigned max_waits,
			 lb_sent_fn sent, void *ctx);

#endif
