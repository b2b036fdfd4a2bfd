/* Small things every l2tp-bench mode needs: the clock, a process's RSS and
 * CPU from /proc, our own CPU, and a UDP socket sized for bursts. */
#ifndef L2TPD_BENCH_LB_UTIL_H
#define L2TPD_BENCH_LB_UTIL_H

#include <stdbool.h>
#include <stdint.h>
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

#endif
