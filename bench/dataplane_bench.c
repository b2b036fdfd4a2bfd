/* Data-plane benchmark: packets per second through l2tpd's fast path, side
 * by side with a no-protocol forwarder on the same sockets and batching.
 * A program that prints figures, not a test. Needs root.
 *
 *   dataplane_bench [--seconds N] [--repeat N] [--sessions N] [--tunnels N]
 *                   [--seq] [--tun-io uring|syscall|both] [--sizes 64,1400]
 *                   [--dir udp|tun] [--mode baseline|l2tpd]
 *
 * Defaults: 2 s per run after a warm-up, each configuration run twice
 * (baseline and ours interleaved, best of each kept), 1000 sessions in 4
 * tunnels, TUN writes through io_uring: about 45 s in all.
 *
 * Topology (made here, removed on exit and on SIGINT/SIGTERM; traffic only
 * inside these namespaces, addresses 10.203.0.0/16 that exist only there):
 *
 *   netns "gen"  10.203.0.1 == veth == 10.203.0.2  netns "lns"
 *   generator (udp>tun)                            forwarder: UDP :1701 + TUN dp0
 *   sink: a bound, unread socket                   10.203.128.0/17 (subscribers) -> dp0
 *                                                  10.203.1.0/24 blackholed
 *                                                  generator (tun>udp)
 *
 * udp>tun: the generator sends L2TP data messages (PPP, then an IPv4/UDP
 * packet from a subscriber's address to 10.203.1.1) to the forwarder, which
 * decapsulates them and writes them to dp0; the kernel drops them at the
 * blackhole route. Delivered = dp0's receive counter.
 * tun>udp: the generator, inside "lns", sends UDP to subscriber addresses;
 * the kernel routes them into dp0; the forwarder reads, encapsulates and
 * sends them to 10.203.0.1:1701. Delivered = the gen-side veth's receive
 * counter (the sink socket drops what it cannot queue, after delivery).
 * Both generators send with UDP GSO, so that they outrun the forwarder; the
 * offered rate is printed beside the delivered one.
 *
 * Baseline: the same process, sockets (the daemon's udp_open and
 * udp_recv_batch), batches and TUN I/O, forwarding the UDP payload as the
 * IP packet and back, with no L2TP or PPP work at all. Ours: struct
 * fastpath with N established sessions put straight into its tables (no
 * PPP negotiation), looked up through the daemon's idtable.
 *
 * The forwarder is pinned to CPU 1 and the generator to CPU 0. On veth the
 * receiving side's kernel work runs on the sender's CPU, and a TUN write
 * runs the kernel's IP input in the writer's context, so each core's busy
 * time (softirq included, from /proc/stat) is reported beside each
 * process's own CPU time. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/udp.h>
#include <time.h>
#include <unistd.h>

#include "daemon/idtable.h"
#include "daemon/udp.h"
#include "dataplane/fastpath.h"
#include "dataplane/tun.h"
#include "l2tp/wire.h"

#define BENCH_PORT 1701
#define BENCH_GEN_IP "10.203.0.1"
#define BENCH_LNS_IP "10.203.0.2"
#define BENCH_TUN_IP "10.203.255.1"
#define BENCH_SINK_DST "10.203.1.1" /* blackholed in lns */
#define BENCH_SUB_BASE 0x0acb8001u  /* 10.203.128.1: session i gets base + i */
#define BENCH_SUB_NET "10.203.128.0"
#define BENCH_SUB_PLEN 17
#define BENCH_MAX_SESSIONS 30000
#define BENCH_TUN "dp0"
#define BENCH_GEN_BATCH 64
#define BENCH_WARMUP_MS 600
#define BENCH_MAX_RUNS 32
#define BENCH_SPIN 20000 /* empty polls before the forwarder sleeps */

enum dir { DIR_UDP_TO_TUN, DIR_TUN_TO_UDP };
enum mode { MODE_BASELINE, MODE_OURS };

struct opts {
	unsigned seconds;
	unsigned sessions;
	unsigned tunnels;
	bool seq;
	bool io_both;
	enum tun_io_mode io;
	unsigned sizes[4];
	unsigned n_sizes;
	unsigned repeat;
	int cpu_fwd, cpu_gen;
	bool dirs[2], modes[2]; /* which directions and forwarders to run */
};

/* Written by the children, read by the parent: shared anonymous memory. */
struct shared {
	volatile uint64_t fwd_packets;   /* forwarded by the forwarder (its own count) */
	volatile uint64_t gen_packets;   /* sent by the generator */
	volatile uint64_t tun_enters;    /* kernel crossings for TUN I/O */
	volatile int fwd_io_mode;        /* the TUN I/O mode that ran */
	struct fastpath_stats st;        /* ours, at exit */
	char error[200];
};

struct sample {
	double t;
	uint64_t delivered;
	uint64_t fwd_ticks, gen_ticks;
	uint64_t cpu_busy[2], cpu_si[2], cpu_total[2];
	uint64_t fwd_packets, gen_packets, tun_enters;
};

struct result {
	enum dir dir;
	unsigned size;
	enum mode mode;
	enum tun_io_mode io;
	double pps, offered;
	double fwd_cpu, gen_cpu;     /* seconds */
	double busy[2], si[2];       /* fraction of the window, per core */
	double enters_per_pkt;
	double ns_per_pkt;           /* forwarder core busy time per delivered packet */
	uint64_t anomalies;          /* drops in the forwarder that should not happen */
	bool contended;              /* something else took >5% of the forwarder's core */
	bool ok;
};

static char ns_gen[64], ns_lns[64];
static bool ns_made;
static pid_t children[4];
static volatile sig_atomic_t stop_requested;
static struct shared *shm;
static long clk_tck;

/* ---------------------------------------------------------------- helpers */

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "dataplane_bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* A child's error, for the parent to print. */
static _Noreturn void child_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(shm->error, sizeof(shm->error), fmt, ap);
	va_end(ap);
	_exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	double end = now_s() + s;

	while (!stop_requested && now_s() < end) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
}

static int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void run_or_die(const char *what, int rc)
{
	if (rc != 0)
		die("setup failed: %s", what);
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void cleanup(void)
{
	for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++) {
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
			children[i] = 0;
		}
	}
	if (ns_made) {
		/* Deleting a namespace removes its veth end (and so the pair)
		 * and any TUN still in it. */
		run("ip netns del %s 2>/dev/null", ns_gen);
		run("ip netns del %s 2>/dev/null", ns_lns);
		ns_made = false;
	}
}

static void enter_netns(const char *name)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		child_fail("setns %s: %s", name, strerror(errno));
	close(fd);
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* A child: dies with the parent, stops on SIGTERM. */
static pid_t spawn(int slot)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* The parent's cleanup (atexit) is not the child's to run. */
		ns_made = false;
		memset(children, 0, sizeof(children));
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, on_signal);
		return 0;
	}
	children[slot] = pid;
	return pid;
}

static void reap(int slot)
{
	if (children[slot] > 0) {
		kill(children[slot], SIGTERM);
		waitpid(children[slot], NULL, 0);
		children[slot] = 0;
	}
}

/* ---------------------------------------------------------------- /proc */

/* utime + stime of pid, in clock ticks. */
static uint64_t proc_ticks(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;
	const char *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* After ") ": state is field 3; utime and stime are 14 and 15. */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
			 &st) != 2)
		return 0;
	return (uint64_t)ut + st;
}

static void proc_cpus(struct sample *s)
{
	char line[512];
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[8] = { 0 };
		int cpu;

		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 9 ||
		    cpu < 0 || cpu > 1)
			continue;
		s->cpu_total[cpu] = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
		s->cpu_busy[cpu] = s->cpu_total[cpu] - v[3] - v[4];
		s->cpu_si[cpu] = v[6];
	}
	fclose(f);
}

/* Received packets of interface ifname in pid's network namespace. */
static uint64_t proc_rx_packets(pid_t pid, const char *ifname)
{
	char path[64], line[512];
	uint64_t rx = 0;
	size_t len = strlen(ifname);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line;
		unsigned long long bytes, packets;

		while (*p == ' ')
			p++;
		if (strncmp(p, ifname, len) == 0 && p[len] == ':' &&
		    sscanf(p + len + 1, "%llu %llu", &bytes, &packets) == 2) {
			rx = packets;
			break;
		}
	}
	fclose(f);
	return rx;
}

/* ---------------------------------------------------------------- packets */

static uint16_t ip_checksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An IPv4/UDP packet of len octets (UDP checksum 0: none, legal in IPv4). */
static void ip4_udp_build(uint8_t *p, size_t len, uint32_t src, uint32_t dst)
{
	uint16_t csum;

	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = IPPROTO_UDP;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	csum = ip_checksum(p, 20);
	p[10] = (uint8_t)(csum >> 8);
	p[11] = (uint8_t)csum;
	p[20] = 0x9c; /* ports 40000 -> 9 */
	p[21] = 0x40;
	p[23] = 9;
	p[24] = (uint8_t)((len - 20) >> 8);
	p[25] = (uint8_t)(len - 20);
	for (size_t i = 28; i < len; i++)
		p[i] = (uint8_t)i;
}

static uint16_t bench_tunnel_id(const struct opts *o, unsigned i)
{
	return (uint16_t)(1 + i % o->tunnels);
}

static uint16_t bench_session_id(unsigned i)
{
	return (uint16_t)(1 + i);
}

static uint32_t bench_sub_ip(unsigned i)
{
	return htonl(BENCH_SUB_BASE + i);
}

/* ---------------------------------------------------------------- generators */

/* One UDP send of segs equal segments of seg octets each (UDP GSO): the
 * generator's cost per packet drops to a fraction of a sendmmsg entry, so
 * it can outrun the forwarder. veth passes the GSO packet whole; the
 * receiving socket (or the TUN, which has no offloads) splits it. */
static int gen_send_gso(int fd, const struct sockaddr_in *dst, void *buf, size_t seg, unsigned segs)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = seg * segs };
	struct msghdr mh = {
		.msg_name = (void *)dst,
		.msg_namelen = dst ? sizeof(*dst) : 0,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	uint16_t gso = (uint16_t)seg;

	memset(&control, 0, sizeof(control));
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(gso));
	memcpy(CMSG_DATA(c), &gso, sizeof(gso));
	return sendmsg(fd, &mh, 0) < 0 ? -errno : 0;
}

static unsigned gen_segs(size_t seg)
{
	size_t k = 60000 / seg;

	return k > BENCH_GEN_BATCH ? BENCH_GEN_BATCH : (unsigned)k;
}

/* UDP->TUN: L2TP data messages (ours) or bare IP packets (baseline) to the
 * forwarder, round-robin over the sessions, as fast as the kernel takes
 * them. The packets of all sessions lie back to back, so a run of
 * consecutive sessions is one GSO send with no copy. */
static _Noreturn void gen_udp(const struct opts *o, enum mode mode, unsigned size)
{
	const size_t hlen = mode == MODE_OURS ? (o->seq ? 10 : 6) + 4 : 0;
	const size_t plen = hlen + size;
	const unsigned n = o->sessions, segs = gen_segs(plen);
	uint8_t *pkts = calloc(n, plen);
	uint16_t *ns = calloc(n, sizeof(*ns));
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(BENCH_PORT) };
	unsigned next = 0;
	int fd;

	if (!pkts || !ns)
		child_fail("generator: out of memory");
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = pkts + (size_t)i * plen;

		if (mode == MODE_OURS) {
			struct l2tp_data_options lo = { .sequence = o->seq };

			l2tp_header_put_data(p, hlen, bench_tunnel_id(o, i), bench_session_id(i),
					     &lo);
			memcpy(p + hlen - 4, "\xff\x03\x00\x21", 4);
		}
		ip4_udp_build(p + hlen, size, bench_sub_ip(i), inet_addr(BENCH_SINK_DST));
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	dst.sin_addr.s_addr = inet_addr(BENCH_LNS_IP);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		child_fail("generator socket: %s", strerror(errno));
	while (!stop_requested) {
		unsigned k = n - next < segs ? n - next : segs;

		if (mode == MODE_OURS && o->seq) {
			for (unsigned i = next; i < next + k; i++) {
				uint8_t *p = pkts + (size_t)i * plen;

				p[6] = (uint8_t)(ns[i] >> 8);
				p[7] = (uint8_t)ns[i];
				ns[i]++;
			}
		}
		if (gen_send_gso(fd, NULL, pkts + (size_t)next * plen, plen, k) == 0)
			shm->gen_packets += k;
		next = next + k == n ? 0 : next + k;
	}
	_exit(0);
}

/* TUN->UDP: UDP packets (IP size octets) to the subscribers' addresses,
 * sent inside "lns", so the kernel routes them into the TUN; one GSO send
 * per session in turn (the TUN has no offloads: the kernel splits it
 * before the TUN queue). */
static _Noreturn void gen_tun(const struct opts *o, unsigned size)
{
	const size_t seg = size - 28;
	const unsigned n = o->sessions, segs = gen_segs(seg);
	struct sockaddr_in *dsts = calloc(n, sizeof(*dsts));
	uint8_t *payload = calloc(segs, seg);
	unsigned next = 0;
	int fd;

	if (!dsts || !payload)
		child_fail("generator: out of memory");
	for (unsigned i = 0; i < n; i++) {
		dsts[i].sin_family = AF_INET;
		dsts[i].sin_port = htons(9);
		dsts[i].sin_addr.s_addr = bench_sub_ip(i);
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		child_fail("generator socket: %s", strerror(errno));
	while (!stop_requested) {
		if (gen_send_gso(fd, &dsts[next], payload, seg, segs) == 0)
			shm->gen_packets += segs;
		next = next + 1 == n ? 0 : next + 1;
	}
	_exit(0);
}

/* ---------------------------------------------------------------- forwarder */

struct fwd {
	const struct opts *o;
	enum mode mode;
	struct tun tun;
	struct tun_io io;
	struct udp_sock sock;
	struct udp_batch *batch;
	union udp_addr peer;
	struct udp_local local;
	/* ours */
	struct fastpath fp;
	struct fastpath_ops ops;
	struct idtable sessions;
	struct fp_tunnel *tunnels;
	struct fp_session *sess;
	/* baseline TUN -> UDP */
	uint8_t *bufs;
	struct iovec rd[FASTPATH_BATCH];
	size_t rd_len[FASTPATH_BATCH];
	struct mmsghdr msgs[FASTPATH_BATCH];
	struct iovec iov[FASTPATH_BATCH];
	struct fp_tunnel base_tunnel; /* only for its pktinfo cmsg, as ours sends it */
};

static struct fp_session *fwd_lookup(void *ctx, uint16_t tid, uint16_t sid)
{
	struct fwd *f = ctx;

	return idtable_find(&f->sessions, (uint32_t)tid << 16 | sid);
}

static void fwd_setup_ours(struct fwd *f)
{
	const struct opts *o = f->o;

	f->ops.lookup = fwd_lookup;
	if (fastpath_init(&f->fp, &f->io, &f->ops, f, o->sessions) < 0 ||
	    idtable_init(&f->sessions, o->sessions * 2) < 0)
		child_fail("fastpath_init failed");
	f->tunnels = calloc(o->tunnels, sizeof(*f->tunnels));
	f->sess = calloc(o->sessions, sizeof(*f->sess));
	if (!f->tunnels || !f->sess)
		child_fail("out of memory");
	/* As the LNS holds them once PPP is up: a tunnel per LAC id, each
	 * session with its peer's ids, sequencing as asked, ACFC and PFC off
	 * (the longest framing), and the subscriber's address indexed. */
	for (unsigned t = 0; t < o->tunnels; t++)
		fastpath_tunnel_init(&f->tunnels[t], f->sock.fd, (uint16_t)(1 + t),
				     (uint16_t)(1000 + t), &f->peer, &f->local);
	for (unsigned i = 0; i < o->sessions; i++) {
		struct fp_session *s = &f->sess[i];
		struct in_addr a = { .s_addr = bench_sub_ip(i) };

		fastpath_session_init(s, &f->tunnels[i % o->tunnels], bench_session_id(i),
				      (uint16_t)(5000 + i), NULL);
		s->seq_required = s->seq_send = o->seq;
		uint32_t key = (uint32_t)bench_tunnel_id(o, i) << 16 | bench_session_id(i);

		if (fastpath_session_set_ipv4(&f->fp, s, a) < 0 ||
		    idtable_insert(&f->sessions, key, s) < 0)
			child_fail("session setup failed");
	}
}

static void fwd_setup(struct fwd *f, enum dir dir)
{
	const struct opts *o = f->o;
	struct in_addr tun_ip = { .s_addr = inet_addr(BENCH_TUN_IP) };
	struct in_addr sub_net = { .s_addr = inet_addr(BENCH_SUB_NET) };
	union udp_addr bind_addr;
	int big = 4 << 20, rc;

	(void)dir;
	/* The previous run's TUN may still be going away. */
	for (int tries = 0; (rc = tun_open(&f->tun, BENCH_TUN, 1)) == -EBUSY && tries < 50; tries++)
		usleep(100 * 1000);
	if (rc < 0)
		child_fail("tun_open: %s", strerror(-rc));
	if ((rc = tun_set_mtu(&f->tun, 1500)) < 0 ||
	    (rc = tun_add_address(&f->tun, AF_INET, &tun_ip, NULL, 32)) < 0 ||
	    (rc = tun_set_up(&f->tun)) < 0 ||
	    (rc = tun_add_route(&f->tun, AF_INET, &sub_net, BENCH_SUB_PLEN)) < 0)
		child_fail("TUN setup over netlink: %s", strerror(-rc));
	if (tun_io_init(&f->io, f->tun.fds[0], o->io, FASTPATH_BATCH) < 0)
		child_fail("tun_io_init failed");
	shm->fwd_io_mode = (int)f->io.mode;

	/* The daemon's own socket code: bound, IP_PKTINFO on. */
	udp_addr_parse(BENCH_LNS_IP ":1701", BENCH_PORT, &bind_addr);
	rc = udp_open(&f->sock, &bind_addr);
	if (rc < 0)
		child_fail("udp_open: %s", strerror(-rc));
	/* Both forwarders get the same deep buffers: bursts from a faster
	 * generator are absorbed, not measured as loss. */
	setsockopt(f->sock.fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(f->sock.fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	f->batch = calloc(1, sizeof(*f->batch));
	if (!f->batch)
		child_fail("out of memory");
	udp_addr_parse(BENCH_GEN_IP ":1701", BENCH_PORT, &f->peer);
	f->local = (struct udp_local){ .set = true, .family = AF_INET };
	f->local.v4.s_addr = inet_addr(BENCH_LNS_IP);

	if (f->mode == MODE_OURS) {
		fwd_setup_ours(f);
		return;
	}
	fastpath_tunnel_init(&f->base_tunnel, f->sock.fd, 1, 1, &f->peer, &f->local);
	f->bufs = calloc(FASTPATH_BATCH, FASTPATH_BUF);
	if (!f->bufs)
		child_fail("out of memory");
	for (int i = 0; i < FASTPATH_BATCH; i++) {
		f->rd[i].iov_base = f->bufs + (size_t)i * FASTPATH_BUF + FASTPATH_HEADROOM;
		f->rd[i].iov_len = FASTPATH_BUF - FASTPATH_HEADROOM;
	}
}

/* Baseline UDP->TUN: the payload is the packet. */
static unsigned base_udp_input(struct fwd *f, unsigned n)
{
	struct iovec out[UDP_BATCH];
	unsigned m = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!f->batch->rx[i].len)
			continue;
		out[m].iov_base = f->batch->rx[i].buf;
		out[m].iov_len = f->batch->rx[i].len;
		m++;
	}
	return tun_io_write(&f->io, out, m, NULL);
}

/* Baseline TUN->UDP: the packet is the payload, to the one peer. */
static int base_tun_input(struct fwd *f)
{
	int n = tun_io_read(&f->io, f->rd, f->rd_len, FASTPATH_BATCH);
	unsigned m = 0, off = 0;

	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct msghdr *mh = &f->msgs[m].msg_hdr;

		if (!f->rd_len[i])
			continue;
		f->iov[m].iov_base = f->rd[i].iov_base;
		f->iov[m].iov_len = f->rd_len[i];
		mh->msg_iov = &f->iov[m];
		mh->msg_iovlen = 1;
		mh->msg_name = &f->peer;
		mh->msg_namelen = sizeof(f->peer.sin);
		mh->msg_control = f->base_tunnel.cmsg.buf;
		mh->msg_controllen = f->base_tunnel.cmsg_len;
		m++;
	}
	while (off < m) {
		int r = sendmmsg(f->sock.fd, &f->msgs[off], m - off, MSG_DONTWAIT);

		if (r <= 0)
			break;
		off += (unsigned)r;
	}
	shm->fwd_packets += off;
	return n;
}

static _Noreturn void forwarder(const struct opts *o, enum mode mode, enum dir dir, int ready_fd)
{
	struct fwd *f = calloc(1, sizeof(*f));
	struct pollfd pfd[2];
	unsigned idle = 0;

	if (!f)
		child_fail("out of memory");
	f->o = o;
	f->mode = mode;
	fwd_setup(f, dir);
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	close(ready_fd);

	pfd[0] = (struct pollfd){ .fd = f->sock.fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = f->tun.fds[0], .events = POLLIN };
	/* The daemon's shape: wake up, drain a few batches from each side,
	 * go back to the loop. */
	while (!stop_requested) {
		/* Spin a while before sleeping: waking a halted vCPU here
		 * takes long enough for the TUN queue to overflow. */
		if (poll(pfd, 2, idle < BENCH_SPIN ? 0 : 100) <= 0) {
			idle++;
			continue;
		}
		idle = 0;
		for (int round = 0; round < 4 && (pfd[0].revents & POLLIN); round++) {
			int n = udp_recv_batch(&f->sock, f->batch);

			if (n <= 0)
				break;
			if (mode == MODE_OURS) {
				uint64_t before = f->fp.st.tun_tx_packets;

				fastpath_udp_input(&f->fp, &f->sock, f->batch->rx, (unsigned)n);
				shm->fwd_packets += f->fp.st.tun_tx_packets - before;
			} else {
				shm->fwd_packets += base_udp_input(f, (unsigned)n);
			}
			if (n < UDP_BATCH)
				break;
		}
		for (int round = 0; round < 4 && (pfd[1].revents & POLLIN); round++) {
			int n;

			if (mode == MODE_OURS) {
				uint64_t before = f->fp.st.tx_packets;

				n = fastpath_tun_input(&f->fp);
				shm->fwd_packets += f->fp.st.tx_packets - before;
			} else {
				n = base_tun_input(f);
			}
			if (n < FASTPATH_BATCH)
				break;
		}
		shm->tun_enters = f->io.enters;
	}
	if (mode == MODE_OURS) {
		shm->st = f->fp.st;
		fastpath_fini(&f->fp);
	}
	tun_io_fini(&f->io);
	tun_close(&f->tun);
	_exit(0);
}

/* Holds the sink socket in "gen" (so TUN->UDP traffic meets a socket, not
 * an ICMP port unreachable) and gives the parent a pid in that namespace. */
static _Noreturn void holder(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(BENCH_PORT) };
	int small = 4096;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	a.sin_addr.s_addr = inet_addr(BENCH_GEN_IP);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		child_fail("sink socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	while (!stop_requested)
		pause();
	_exit(0);
}

/* ---------------------------------------------------------------- runs */

static void setup_namespaces(void)
{
	snprintf(ns_gen, sizeof(ns_gen), "l2tpd-bench-%d-gen", (int)getpid());
	snprintf(ns_lns, sizeof(ns_lns), "l2tpd-bench-%d-lns", (int)getpid());
	ns_made = true;
	run_or_die("ip netns add", run("ip netns add %s && ip netns add %s", ns_gen, ns_lns));
	run_or_die("veth", run("ip -n %s link add bench0 type veth peer name bench1 netns %s",
			       ns_gen, ns_lns));
	run_or_die("addresses",
		   run("ip -n %s addr add " BENCH_GEN_IP "/24 dev bench0 && "
		       "ip -n %s addr add " BENCH_LNS_IP "/24 dev bench1 && "
		       "ip -n %s link set lo up && ip -n %s link set lo up && "
		       "ip -n %s link set bench0 up && ip -n %s link set bench1 up",
		       ns_gen, ns_lns, ns_gen, ns_lns, ns_gen, ns_lns));
	/* Where decapsulated packets end: dropped by the kernel after the
	 * route lookup, silently (no ICMP back into the TUN). No IPv6: the
	 * TUN would send router solicitations into the measurement. */
	run_or_die("blackhole", run("ip -n %s route add blackhole 10.203.1.0/24", ns_lns));
	run("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
	    "net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1",
	    ns_lns);
	run("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
	    "net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1",
	    ns_gen);
}

static void sample_take(struct sample *s, enum dir dir)
{
	s->t = now_s();
	s->delivered = dir == DIR_UDP_TO_TUN ? proc_rx_packets(children[1], BENCH_TUN)
					      : proc_rx_packets(children[0], "bench0");
	s->fwd_ticks = proc_ticks(children[1]);
	s->gen_ticks = proc_ticks(children[2]);
	proc_cpus(s);
	s->fwd_packets = shm->fwd_packets;
	s->gen_packets = shm->gen_packets;
	s->tun_enters = shm->tun_enters;
}

static struct result run_one(const struct opts *o, enum dir dir, unsigned size, enum mode mode,
			     enum tun_io_mode io)
{
	struct result r = { .dir = dir, .size = size, .mode = mode, .io = io };
	struct opts oo = *o;
	struct sample a, b;
	int pipefd[2];
	char c;
	double dt;
	struct pollfd p;

	oo.io = io;
	memset(shm, 0, sizeof(*shm));
	if (pipe(pipefd) < 0)
		die("pipe: %s", strerror(errno));
	if (spawn(1) == 0) {
		close(pipefd[0]);
		enter_netns(ns_lns);
		pin_cpu(o->cpu_fwd);
		forwarder(&oo, mode, dir, pipefd[1]);
	}
	close(pipefd[1]);
	p = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	if (poll(&p, 1, 5000) != 1 || read(pipefd[0], &c, 1) != 1) {
		close(pipefd[0]);
		reap(1);
		fprintf(stderr, "forwarder did not start: %s\n", shm->error);
		return r;
	}
	close(pipefd[0]);
	if (spawn(2) == 0) {
		enter_netns(dir == DIR_UDP_TO_TUN ? ns_gen : ns_lns);
		pin_cpu(o->cpu_gen);
		if (dir == DIR_UDP_TO_TUN)
			gen_udp(o, mode, size);
		gen_tun(o, size);
	}
	sleep_s(BENCH_WARMUP_MS / 1000.0);
	sample_take(&a, dir);
	sleep_s(o->seconds);
	sample_take(&b, dir);
	reap(2);
	reap(1);
	if (stop_requested)
		return r;

	dt = b.t - a.t;
	r.pps = (double)(b.delivered - a.delivered) / dt;
	r.offered = (double)(b.gen_packets - a.gen_packets) / dt;
	r.fwd_cpu = (double)(b.fwd_ticks - a.fwd_ticks) / (double)clk_tck;
	r.gen_cpu = (double)(b.gen_ticks - a.gen_ticks) / (double)clk_tck;
	for (int k = 0; k < 2; k++) {
		double total = (double)(b.cpu_total[k] - a.cpu_total[k]);

		if (total > 0) {
			r.busy[k] = (double)(b.cpu_busy[k] - a.cpu_busy[k]) / total;
			r.si[k] = (double)(b.cpu_si[k] - a.cpu_si[k]) / total;
		}
	}
	if (b.fwd_packets > a.fwd_packets)
		r.enters_per_pkt = (double)(b.tun_enters - a.tun_enters) /
				   (double)(b.fwd_packets - a.fwd_packets);
	/* The forwarder's own time plus the softirq work on its core: other
	 * processes that ran there (this machine is shared) do not count. */
	if (r.pps > 0)
		r.ns_per_pkt = (r.fwd_cpu / dt + (o->cpu_fwd >= 0 ? r.si[o->cpu_fwd] : 0)) * 1e9 /
			       r.pps;
	r.contended = o->cpu_fwd >= 0 &&
		      r.busy[o->cpu_fwd] - r.si[o->cpu_fwd] - r.fwd_cpu / dt > 0.05;
	if (mode == MODE_OURS)
		r.anomalies = shm->st.rx_unknown_session + shm->st.rx_wrong_peer +
			      shm->st.rx_spoofed + shm->st.rx_errors + shm->st.rx_seq_discards +
			      shm->st.tun_rx_no_session + shm->st.tun_rx_errors;
	r.io = (enum tun_io_mode)shm->fwd_io_mode;
	r.ok = true;
	return r;
}

/* Baseline and ours for one configuration, interleaved --repeat times (so
 * both see the same interference); the best of each is kept, since
 * interference only ever lowers a figure. */
static size_t run_pair(const struct opts *o, enum dir dir, unsigned size, enum tun_io_mode io,
		       struct result *res, size_t n_res)
{
	struct result best[2] = { { .ok = false }, { .ok = false } };

	for (unsigned rep = 0; rep < o->repeat; rep++) {
		for (int mode = MODE_BASELINE; mode <= MODE_OURS; mode++) {
			struct result t;

			if (!o->modes[mode] || stop_requested)
				continue;
			t = run_one(o, dir, size, (enum mode)mode, io);
			if (stop_requested)
				break;
			fprintf(stderr, "  %s %4u B %-8s %.3f Mpps %s\n",
				dir == DIR_UDP_TO_TUN ? "udp>tun" : "tun>udp", size,
				mode == MODE_OURS ? "l2tpd" : "baseline", t.pps / 1e6,
				t.contended ? "(core shared)" : "");
			if (!best[mode].ok || (t.ok && t.pps > best[mode].pps))
				best[mode] = t;
		}
	}
	for (int mode = MODE_BASELINE; mode <= MODE_OURS; mode++)
		if (best[mode].ok && n_res < BENCH_MAX_RUNS)
			res[n_res++] = best[mode];
	return n_res;
}

static const struct result *find_base(const struct result *res, size_t n, const struct result *r)
{
	for (size_t i = 0; i < n; i++)
		if (res[i].ok && res[i].mode == MODE_BASELINE && res[i].dir == r->dir &&
		    res[i].size == r->size && res[i].io == r->io)
			return &res[i];
	return NULL;
}

/* tun>udp only reads the TUN, with read() in every mode. */
static const char *io_name(const struct result *r)
{
	if (r->dir == DIR_TUN_TO_UDP)
		return "read()";
	return r->io == TUN_IO_URING ? "io_uring" : "write()";
}

static const char *note(const struct result *r)
{
	if (r->anomalies)
		return "  (unexpected drops!)";
	return r->contended ? "  (core shared)" : "";
}

static void print_results(const struct opts *o, const struct result *res, size_t n)
{
	int cf = o->cpu_fwd < 0 ? 1 : o->cpu_fwd, cg = o->cpu_gen < 0 ? 0 : o->cpu_gen;

	printf("\n%-8s %5s %-9s %-8s %7s %7s %8s %7s %7s %11s %11s %7s %6s\n", "dir", "size",
	       "forwarder", "tun io", "Mpps", "ours/", "offered", "fwd", "gen", "fwd core",
	       "gen core", "fwd", "tun");
	printf("%-8s %5s %-9s %-8s %7s %7s %8s %7s %7s %11s %11s %7s %6s\n", "", "B", "", "",
	       "deliv.", "base", "Mpps", "cpu s", "cpu s", "busy (si)", "busy (si)", "ns/pkt",
	       "sys/pkt");
	for (size_t i = 0; i < n; i++) {
		const struct result *r = &res[i];
		const struct result *base = find_base(res, n, r);
		char ratio[16] = "-", fcore[16], gcore[16];

		if (!r->ok)
			continue;
		if (r->mode == MODE_OURS && base && base->pps > 0)
			snprintf(ratio, sizeof(ratio), "%.2fx", r->pps / base->pps);
		snprintf(fcore, sizeof(fcore), "%3.0f%% (%2.0f%%)", r->busy[cf] * 100,
			 r->si[cf] * 100);
		snprintf(gcore, sizeof(gcore), "%3.0f%% (%2.0f%%)", r->busy[cg] * 100,
			 r->si[cg] * 100);
		printf("%-8s %5u %-9s %-8s %7.3f %7s %8.3f %7.2f %7.2f %11s %11s %7.0f %6.3f%s\n",
		       r->dir == DIR_UDP_TO_TUN ? "udp>tun" : "tun>udp", r->size,
		       r->mode == MODE_OURS ? "l2tpd" : "baseline",
		       io_name(r),
		       r->pps / 1e6, ratio, r->offered / 1e6, r->fwd_cpu, r->gen_cpu, fcore, gcore,
		       r->ns_per_pkt, r->enters_per_pkt,
		       note(r));
	}
	printf("\nMpps deliv.: packets per second that came out of the forwarder (TUN receive\n"
	       "  counter for udp>tun, the gen-side veth receive counter for tun>udp).\n"
	       "offered: what the generator sent. fwd/gen cpu s: each process's own CPU time\n"
	       "  over the %u s window (utime+stime). core busy (si): the whole core, softirq\n"
	       "  share in brackets; on veth the receiver's kernel work runs on the sender's\n"
	       "  core, and a TUN write runs IP input in the writer's context.\n"
	       "fwd ns/pkt: the forwarder's CPU time plus its core's softirq time, per\n"
	       "  delivered packet. \"core shared\": another process took over 5%% of the\n"
	       "  forwarder's core (the machine is shared); best of --repeat runs is shown.\n"
	       "tun sys/pkt: TUN read/write system calls (or io_uring_enter) per packet.\n",
	       o->seconds);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: dataplane_bench [--seconds N] [--sessions N] [--tunnels N] [--seq]\n"
		"                       [--tun-io uring|syscall|both] [--sizes 64,1400]\n"
		"                       [--repeat N] [--dir udp|tun] [--mode baseline|l2tpd]\n"
		"                       [--cpu-fwd N] [--cpu-gen N]\n");
	exit(2);
}

static void parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "sessions", required_argument, NULL, 'n' },
		{ "tunnels", required_argument, NULL, 't' },
		{ "seq", no_argument, NULL, 'q' },
		{ "tun-io", required_argument, NULL, 'i' },
		{ "sizes", required_argument, NULL, 'z' },
		{ "cpu-fwd", required_argument, NULL, 'f' },
		{ "cpu-gen", required_argument, NULL, 'g' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "dir", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .seconds = 2, .sessions = 1000, .tunnels = 4, .io = TUN_IO_URING,
			    .sizes = { 64, 1400 }, .n_sizes = 2, .repeat = 2, .cpu_fwd = 1,
			    .cpu_gen = 0, .dirs = { true, true }, .modes = { true, true } };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			o->seconds = (unsigned)atoi(optarg);
			break;
		case 'n':
			o->sessions = (unsigned)atoi(optarg);
			break;
		case 't':
			o->tunnels = (unsigned)atoi(optarg);
			break;
		case 'q':
			o->seq = true;
			break;
		case 'i':
			o->io_both = strcmp(optarg, "both") == 0;
			if (strcmp(optarg, "syscall") == 0)
				o->io = TUN_IO_SYSCALL;
			else if (strcmp(optarg, "uring") != 0 && !o->io_both)
				usage();
			break;
		case 'z': {
			char *save = NULL, *tok;

			o->n_sizes = 0;
			for (tok = strtok_r(optarg, ",", &save); tok && o->n_sizes < 4;
			     tok = strtok_r(NULL, ",", &save))
				o->sizes[o->n_sizes++] = (unsigned)atoi(tok);
			break;
		}
		case 'r':
			o->repeat = (unsigned)atoi(optarg);
			break;
		case 'd':
			o->dirs[DIR_UDP_TO_TUN] = strcmp(optarg, "udp") == 0;
			o->dirs[DIR_TUN_TO_UDP] = strcmp(optarg, "tun") == 0;
			break;
		case 'm':
			o->modes[MODE_BASELINE] = strcmp(optarg, "baseline") == 0;
			o->modes[MODE_OURS] = strcmp(optarg, "l2tpd") == 0;
			break;
		case 'f':
			o->cpu_fwd = atoi(optarg);
			break;
		case 'g':
			o->cpu_gen = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (o->seconds < 1 || o->seconds > 600 || o->sessions < 1 ||
	    o->sessions > BENCH_MAX_SESSIONS || o->tunnels < 1 || o->tunnels > o->sessions ||
	    !o->n_sizes || o->repeat < 1 || o->repeat > 10 || !(o->dirs[0] || o->dirs[1]) ||
	    !(o->modes[0] || o->modes[1]))
		usage();
	for (unsigned i = 0; i < o->n_sizes; i++)
		if (o->sizes[i] < 28 + 8 || o->sizes[i] > 1400)
			die("sizes are IP packet sizes from 36 to 1400 octets");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		o->cpu_fwd = o->cpu_gen = -1;
}

int main(int argc, char **argv)
{
	struct result res[BENCH_MAX_RUNS];
	enum tun_io_mode ios[2];
	size_t n_res = 0, n_ios;
	struct opts o;
	struct sigaction sa = { .sa_handler = on_signal };

	parse_opts(&o, argc, argv);
	if (geteuid() != 0)
		die("needs root: it creates network namespaces and a TUN");
	clk_tck = sysconf(_SC_CLK_TCK);
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	atexit(cleanup);
	setup_namespaces();
	if (spawn(0) == 0) {
		enter_netns(ns_gen);
		pin_cpu(o.cpu_gen);
		holder();
	}

	ios[0] = o.io_both ? TUN_IO_SYSCALL : o.io;
	ios[1] = TUN_IO_URING;
	n_ios = o.io_both ? 2 : 1;
	printf("l2tpd data-plane benchmark: %u sessions in %u tunnels, sequencing %s, "
	       "%u s per run (+%.1f s warm-up)\n",
	       o.sessions, o.tunnels, o.seq ? "on" : "off", o.seconds, BENCH_WARMUP_MS / 1000.0);
	printf("forwarder on CPU %d, generator on CPU %d; namespaces %s, %s\n", o.cpu_fwd,
	       o.cpu_gen, ns_gen, ns_lns);
	fflush(stdout);
	for (int dir = DIR_UDP_TO_TUN; dir <= DIR_TUN_TO_UDP; dir++) {
		if (!o.dirs[dir])
			continue;
		for (unsigned z = 0; z < o.n_sizes; z++)
			/* The I/O mode is about TUN writes: tun>udp only reads. */
			for (size_t k = 0; k < (dir == DIR_UDP_TO_TUN ? n_ios : 1); k++)
				n_res = run_pair(&o, (enum dir)dir, o.sizes[z], ios[k], res, n_res);
	}
	if (stop_requested) {
		fprintf(stderr, "interrupted\n");
		return 130;
	}
	print_results(&o, res, n_res);
	return 0;
}
