/* Reply-source benchmark: what l2tpd's way of choosing the source address
 * of a reply costs, against one connected socket per peer. A program that
 * prints figures, not a test.
 *
 *   udp_source_bench [--packets N] [--rounds R] [--size BYTES] [--seconds S]
 *
 * l2tpd has one unconnected socket per listen address; it learns the local
 * address a datagram came to from IP_PKTINFO and sends the reply with an
 * IP_PKTINFO cmsg naming it as the source (src/daemon/udp.c). The
 * alternative is a socket per peer, bound to the local address and
 * connected to the peer, so the kernel knows both ends.
 *
 * On loopback (127.0.0.1 only), in one thread:
 *   send side, the receiver being the same plain socket drained with recv():
 *     (a) sendmsg() with msg_name and an IP_PKTINFO cmsg (ipi_spec_dst)
 *     (b) send() on a connected socket
 *   receive side, the sender being the same connected socket:
 *     (c) recvmsg() with msg_name and IP_PKTINFO on an unconnected socket
 *     (d) recv() on a socket connected to the sender
 *     (e) recvmmsg() of 32 with msg_name and IP_PKTINFO (what l2tpd calls),
 *         per datagram
 * Same payload, same loop shape for every variant: batches of 32 sends
 * then 32 receives, each batch timed with CLOCK_THREAD_CPUTIME_ID (CPU
 * time of this thread, in ns) and the wall clock; the variants interleave
 * round by round, and the median round is printed, so that drift and other
 * load on the machine hit them alike. getrusage() user+sys over the whole
 * run is printed too, as a cross-check of the CPU clock.
 *
 * On loopback the kernel's receive path (softirq) runs in the sender's
 * context. With IRQ time accounting (Debian's kernels) the thread's CPU time
 * leaves that softirq time out and the wall clock keeps it: both columns
 * are printed. The receive work is the same for (a) and (b); any
 * difference between them is the send path's. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32

enum variant { V_SENDMSG_PKTINFO, V_SEND_CONNECTED, V_RECVMSG_PKTINFO, V_RECV_CONNECTED,
	       V_RECVMMSG_PKTINFO, V_COUNT };

static const char *const variant_name[V_COUNT] = {
	[V_SENDMSG_PKTINFO] = "(a) sendmsg + IP_PKTINFO, unconnected",
	[V_SEND_CONNECTED] = "(b) send, connected socket",
	[V_RECVMSG_PKTINFO] = "(c) recvmsg + IP_PKTINFO, unconnected",
	[V_RECV_CONNECTED] = "(d) recv, connected socket",
	[V_RECVMMSG_PKTINFO] = "(e) recvmmsg x32 + IP_PKTINFO",
};

struct sample {
	double cpu_ns; /* per datagram, the timed side only */
	double wall_ns;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int udp_socket(uint16_t port, int pktinfo)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, rcvbuf = 1 << 20;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (pktinfo && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
		die("IP_PKTINFO");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	return fd;
}

static struct sockaddr_in sock_addr(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		die("getsockname");
	return a;
}

static void connect_to(int fd, const struct sockaddr_in *a)
{
	if (connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0)
		die("connect");
}

struct rig {
	int unconn;        /* sender: unconnected, IP_PKTINFO on (l2tpd's socket) */
	int conn;          /* sender: connected to rx_plain's address */
	int conn_pk;       /* sender: connected to rx_pktinfo's address */
	int conn_c;        /* sender: connected to rx_conn's address */
	int rx_plain;      /* receiver for the send-side runs */
	int rx_pktinfo;    /* unconnected, IP_PKTINFO on */
	int rx_conn;       /* connected to conn_c */
	struct sockaddr_in rx_plain_addr;
	struct in_addr src;
	uint8_t payload[2048];
	size_t size;
	uint64_t lost;
	uint64_t bad_pktinfo;
};

static void rig_open(struct rig *r, size_t size)
{
	struct sockaddr_in a;

	memset(r, 0, sizeof(*r));
	r->size = size;
	for (size_t i = 0; i < size; i++)
		r->payload[i] = (uint8_t)(i * 7 + 1);
	r->src.s_addr = htonl(INADDR_LOOPBACK);
	r->rx_plain = udp_socket(0, 0);
	r->rx_pktinfo = udp_socket(0, 1);
	r->rx_conn = udp_socket(0, 0);
	r->unconn = udp_socket(0, 1);
	r->conn = udp_socket(0, 0);
	r->conn_pk = udp_socket(0, 0);
	r->conn_c = udp_socket(0, 0);
	r->rx_plain_addr = sock_addr(r->rx_plain);
	connect_to(r->conn, &r->rx_plain_addr);
	a = sock_addr(r->rx_pktinfo);
	connect_to(r->conn_pk, &a);
	a = sock_addr(r->rx_conn);
	connect_to(r->conn_c, &a);
	a = sock_addr(r->conn_c);
	connect_to(r->rx_conn, &a);
}

static void send_pktinfo(struct rig *r)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = r->payload, .iov_len = r->size };
	struct msghdr mh = {
		.msg_name = &r->rx_plain_addr,
		.msg_namelen = sizeof(r->rx_plain_addr),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct in_pktinfo pi = { .ipi_spec_dst = r->src };
	struct cmsghdr *c;

	/* As udp_send() builds it, for every datagram. */
	memset(&control, 0, sizeof(control));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (sendmsg(r->unconn, &mh, 0) < 0)
		die("sendmsg");
}

static void send_connected(int fd, const struct rig *r)
{
	if (send(fd, r->payload, r->size, 0) < 0)
		die("send");
}

/* Wait a little for a datagram that is not there yet (it should be: on
 * loopback delivery happens inside send()); count it lost after 100 ms. */
static int wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 100) == 1;
}

static void recv_plain(struct rig *r, int fd)
{
	uint8_t buf[2048];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0) {
		if (errno != EAGAIN || !wait_readable(fd)) {
			r->lost++;
			return;
		}
	}
}

static void check_pktinfo(struct rig *r, struct msghdr *mh)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			if (pi.ipi_addr.s_addr != r->src.s_addr)
				r->bad_pktinfo++;
			return;
		}
	}
	r->bad_pktinfo++;
}

static void recv_pktinfo(struct rig *r)
{
	uint8_t buf[2048];
	char control[CMSG_SPACE(sizeof(struct in6_pktinfo))] __attribute__((aligned(8)));
	struct sockaddr_storage peer;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh;

	for (;;) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &peer;
		mh.msg_namelen = sizeof(peer);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = control;
		mh.msg_controllen = sizeof(control);
		if (recvmsg(r->rx_pktinfo, &mh, MSG_DONTWAIT) >= 0)
			break;
		if (errno != EAGAIN || !wait_readable(r->rx_pktinfo)) {
			r->lost++;
			return;
		}
	}
	check_pktinfo(r, &mh);
}

static void recvmmsg_pktinfo(struct rig *r)
{
	static uint8_t bufs[BATCH][2048];
	static char control[BATCH][CMSG_SPACE(sizeof(struct in6_pktinfo))]
		__attribute__((aligned(8)));
	static struct sockaddr_storage peers[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	int got = 0, n;

	while (got < BATCH) {
		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &peers[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(peers[i]);
			msgs[i].msg_hdr.msg_control = control[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(control[i]);
		}
		n = recvmmsg(r->rx_pktinfo, msgs, (unsigned)(BATCH - got), MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN || !wait_readable(r->rx_pktinfo)) {
				r->lost += (uint64_t)(BATCH - got);
				return;
			}
			continue;
		}
		for (int i = 0; i < n; i++)
			check_pktinfo(r, &msgs[i].msg_hdr);
		got += n;
	}
}

/* One batch of the variant; returns the CPU and wall ns of its timed side. */
static void run_batch(struct rig *r, enum variant v, uint64_t *cpu, uint64_t *wall)
{
	uint64_t c0, w0;
	int i;

	switch (v) {
	case V_SENDMSG_PKTINFO:
	case V_SEND_CONNECTED:
		c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		w0 = clock_ns(CLOCK_MONOTONIC);
		for (i = 0; i < BATCH; i++) {
			if (v == V_SENDMSG_PKTINFO)
				send_pktinfo(r);
			else
				send_connected(r->conn, r);
		}
		*wall += clock_ns(CLOCK_MONOTONIC) - w0;
		*cpu += clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
		for (i = 0; i < BATCH; i++)
			recv_plain(r, r->rx_plain);
		break;
	case V_RECVMSG_PKTINFO:
	case V_RECVMMSG_PKTINFO:
	case V_RECV_CONNECTED:
		for (i = 0; i < BATCH; i++)
			send_connected(v == V_RECV_CONNECTED ? r->conn_c : r->conn_pk, r);
		c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		w0 = clock_ns(CLOCK_MONOTONIC);
		if (v == V_RECVMMSG_PKTINFO)
			recvmmsg_pktinfo(r);
		else
			for (i = 0; i < BATCH; i++) {
				if (v == V_RECVMSG_PKTINFO)
					recv_pktinfo(r);
				else
					recv_plain(r, r->rx_conn);
			}
		*wall += clock_ns(CLOCK_MONOTONIC) - w0;
		*cpu += clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
		break;
	default:
		break;
	}
}

static double rusage_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void usage(void)
{
	fprintf(stderr, "usage: udp_source_bench [--packets N] [--rounds R] [--size BYTES] "
			"[--seconds S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "packets", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	long packets = 1000000, rounds = 20, size = 64;
	double seconds = 60;
	struct sample *samples[V_COUNT];
	uint64_t done[V_COUNT] = { 0 }, cpu_total[V_COUNT] = { 0 };
	double med_cpu[V_COUNT], med_wall[V_COUNT], tmp[1024];
	double ru0, ru1, th0, th1, deadline;
	struct rig r;
	long per_round, batches, round;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': packets = strtol(optarg, NULL, 10); break;
		case 'r': rounds = strtol(optarg, NULL, 10); break;
		case 's': size = strtol(optarg, NULL, 10); break;
		case 't': seconds = strtod(optarg, NULL); break;
		default: usage();
		}
	}
	if (packets < BATCH || rounds < 1 || rounds > 1024 || size < 1 || size > 1400 ||
	    seconds <= 0)
		usage();
	per_round = packets / rounds;
	batches = per_round / BATCH;
	if (batches < 1)
		usage();
	rig_open(&r, (size_t)size);
	for (int v = 0; v < V_COUNT; v++)
		samples[v] = calloc((size_t)rounds, sizeof(struct sample));

	/* Warm up: routes, socket buffers, caches. */
	for (int v = 0; v < V_COUNT; v++)
		for (int b = 0; b < 200; b++) {
			uint64_t cc = 0, ww = 0;

			run_batch(&r, (enum variant)v, &cc, &ww);
		}
	r.lost = r.bad_pktinfo = 0;

	ru0 = rusage_s();
	th0 = (double)clock_ns(CLOCK_THREAD_CPUTIME_ID) / 1e9;
	deadline = (double)clock_ns(CLOCK_MONOTONIC) / 1e9 + seconds;
	for (round = 0; round < rounds; round++) {
		if ((double)clock_ns(CLOCK_MONOTONIC) / 1e9 > deadline)
			break;
		/* Rotate the order each round: none always runs first. */
		for (int k = 0; k < V_COUNT; k++) {
			enum variant v = (enum variant)((k + round) % V_COUNT);
			uint64_t cpu = 0, wall = 0;

			for (long b = 0; b < batches; b++)
				run_batch(&r, v, &cpu, &wall);
			samples[v][round].cpu_ns = (double)cpu / (double)(batches * BATCH);
			samples[v][round].wall_ns = (double)wall / (double)(batches * BATCH);
			done[v] += (uint64_t)(batches * BATCH);
			cpu_total[v] += cpu;
		}
	}
	ru1 = rusage_s();
	th1 = (double)clock_ns(CLOCK_THREAD_CPUTIME_ID) / 1e9;
	for (int v = 0; v < V_COUNT; v++) {
		for (long i = 0; i < round; i++)
			tmp[i] = samples[v][i].cpu_ns;
		med_cpu[v] = median(tmp, (int)round);
		for (long i = 0; i < round; i++)
			tmp[i] = samples[v][i].wall_ns;
		med_wall[v] = median(tmp, (int)round);
	}

	printf("udp_source_bench: loopback, %ld-byte payload, %ld rounds (%s), "
	       "%llu datagrams per variant, batches of %d\n",
	       size, round, round < rounds ? "stopped at --seconds" : "all",
	       (unsigned long long)done[0], BATCH);
	printf("%-40s %12s %12s\n", "ns per datagram (median round)", "thread CPU", "wall");
	for (int v = 0; v < V_COUNT; v++)
		printf("%-40s %12.0f %12.0f\n", variant_name[v], med_cpu[v], med_wall[v]);
	printf("send:    (a)/(b) = %.2f CPU, %.2f wall   (+%.0f ns CPU per datagram)\n",
	       med_cpu[V_SENDMSG_PKTINFO] / med_cpu[V_SEND_CONNECTED],
	       med_wall[V_SENDMSG_PKTINFO] / med_wall[V_SEND_CONNECTED],
	       med_cpu[V_SENDMSG_PKTINFO] - med_cpu[V_SEND_CONNECTED]);
	printf("receive: (c)/(d) = %.2f CPU, %.2f wall   (+%.0f ns CPU per datagram)\n",
	       med_cpu[V_RECVMSG_PKTINFO] / med_cpu[V_RECV_CONNECTED],
	       med_wall[V_RECVMSG_PKTINFO] / med_wall[V_RECV_CONNECTED],
	       med_cpu[V_RECVMSG_PKTINFO] - med_cpu[V_RECV_CONNECTED]);
	printf("receive: (e)/(d) = %.2f CPU, %.2f wall\n",
	       med_cpu[V_RECVMMSG_PKTINFO] / med_cpu[V_RECV_CONNECTED],
	       med_wall[V_RECVMMSG_PKTINFO] / med_wall[V_RECV_CONNECTED]);
	printf("round trip, l2tpd's way (a)+(c) vs per-peer sockets (b)+(d): %.0f vs %.0f ns CPU "
	       "(%.2fx)\n",
	       med_cpu[V_SENDMSG_PKTINFO] + med_cpu[V_RECVMSG_PKTINFO],
	       med_cpu[V_SEND_CONNECTED] + med_cpu[V_RECV_CONNECTED],
	       (med_cpu[V_SENDMSG_PKTINFO] + med_cpu[V_RECVMSG_PKTINFO]) /
		       (med_cpu[V_SEND_CONNECTED] + med_cpu[V_RECV_CONNECTED]));
	{
		double timed = 0;

		for (int v = 0; v < V_COUNT; v++)
			timed += (double)cpu_total[v] / 1e9;
		printf("check: over the run, getrusage user+sys %.2f s, thread CPU clock %.2f s, "
		       "of which timed sides %.2f s; lost %llu, wrong or missing IP_PKTINFO %llu\n",
		       ru1 - ru0, th1 - th0, timed, (unsigned long long)r.lost,
		       (unsigned long long)r.bad_pktinfo);
	}
	for (int v = 0; v < V_COUNT; v++)
		free(samples[v]);
	return r.lost || r.bad_pktinfo ? 1 : 0;
}
