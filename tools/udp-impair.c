/* udp-impair: a userspace UDP impairment relay for the integration tests.
 *
 * The test machines' kernels have no netem, so loss, duplication, reordering
 * and delay between two L2TP peers are injected here instead:
 *
 *   client ──► --listen ─┬─ impair ─► relay socket (one per client) ──► --forward
 *   client ◄── --listen ◄─ impair ─┴─ relay socket ◄── replies ◄─────── --forward
 *
 * Each distinct client ADDR:PORT gets its own relay socket, so the server sees
 * one peer per client, as it would without the relay. Decisions come from a
 * seeded PRNG, one stream per direction, with a fixed number of draws per
 * impaired packet: the same seed and the same packet sequence give the same
 * decisions, so a test that fails can be rerun identically.
 *
 * Counters, per direction ("upstream" = client to --forward, "downstream" =
 * replies back to the client), written as JSON to --stats on exit:
 *   received     datagrams read from the socket
 *   forwarded    datagrams sent on (duplicates count twice)
 *   dropped      discarded by --drop
 *   duplicated   extra copies made by --dup
 *   reordered    datagrams held back by --reorder (a duplicated one counts once)
 *   passed       data packets let through untouched by --control-only
 *                (also counted in forwarded)
 *   overflow     discarded because the --delay-ms queue was full
 *   send_errors  sendto() failed
 *   unroutable   no relay socket for a new client (table full, no route), or
 *                a reply from an address other than --forward's
 * Held and delayed packets are flushed on exit, so at exit, per direction:
 *   received + duplicated = forwarded + dropped + overflow + send_errors + unroutable
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#define MAX_CLIENTS  64    /* relay sockets; a test has a handful of peers */
#define MAX_HELD     8     /* reorder hold queue per client and direction */
#define MAX_DELAYED  8192  /* packets waiting out --delay-ms, all clients */
#define PKT_MAX      65536 /* larger than any UDP payload */
#define DRAIN_BUDGET 64    /* datagrams read per socket per loop, for fairness */
#define SOCK_BUF     (4 << 20)

enum dir { UP, DOWN, NDIR };

static const char *const dir_name[NDIR] = {"upstream", "downstream"};

struct counters {
	uint64_t received;
	uint64_t forwarded;
	uint64_t dropped;
	uint64_t duplicated;
	uint64_t reordered;
	uint64_t passed;
	uint64_t overflow;
	uint64_t send_errors;
	uint64_t unroutable;
};

struct pkt {
	struct pkt *next;
	int64_t due_ms; /* release time: end of hold or of delay */
	enum dir dir;
	int client;
	size_t len;
	unsigned char data[];
};

struct client {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int fd;                           /* relay socket toward --forward */
	struct pkt *held[NDIR][MAX_HELD]; /* oldest first */
	int nheld[NDIR];
};

struct config {
	struct sockaddr_storage listen_addr;
	socklen_t listen_len;
	struct sockaddr_storage fwd_addr;
	socklen_t fwd_len;
	double p_drop, p_dup, p_reorder;
	int64_t reorder_delay_ms;
	int64_t delay_ms;
	uint64_t seed;
	bool control_only;
	int64_t max_seconds;
	const char *stats_path;
};

struct relay {
	struct config cfg;
	int listen_fd;
	int sig_fd;
	struct client clients[MAX_CLIENTS];
	int nclients;
	uint64_t rng[NDIR];
	struct pkt *delay_head, *delay_tail;
	int ndelayed;
	struct counters ctr[NDIR];
	/* Warn once each: a flood of new clients must not flood the log. */
	bool warned_full;
	bool warned_socket;
	bool warned_foreign;
	unsigned char buf[PKT_MAX];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* splitmix64: tiny, full-period, good enough to decide a coin flip. */
static uint64_t prng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1): so P = 0 never fires and P = 1 always does. */
static double prng_unit(uint64_t *state)
{
	return (double)(prng_next(state) >> 11) * 0x1.0p-53;
}

static void format_addr(const struct sockaddr_storage *ss, socklen_t len, char *out, size_t size)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host), serv, sizeof(serv),
	                NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, size, "?");
		return;
	}
	if (ss->ss_family == AF_INET6)
		snprintf(out, size, "[%s]:%s", host, serv);
	else
		snprintf(out, size, "%s:%s", host, serv);
}

/* "1.2.3.4:1701" or "[2001:db8::1]:1701"; numeric only, so a typo never
 * turns into a DNS lookup in a test. */
static int parse_addr(const char *arg, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[NI_MAXHOST];
	const char *port, *end;
	size_t hlen;
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
	                         .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *res;

	if (arg[0] == '[') {
		end = strchr(arg, ']');
		if (!end || end[1] != ':')
			return -1;
		hlen = (size_t)(end - arg - 1);
		port = end + 2;
		arg++;
	} else {
		end = strrchr(arg, ':');
		/* A bare IPv6 address is ambiguous: which colon starts the port? */
		if (!end || memchr(arg, ':', (size_t)(end - arg)))
			return -1;
		hlen = (size_t)(end - arg);
		port = end + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host) || *port == '\0')
		return -1;
	memcpy(host, arg, hlen);
	host[hlen] = '\0';
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	              &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

static bool same_endpoint(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (!same_host(a, b))
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_port ==
		       ((const struct sockaddr_in *)b)->sin_port;
	return ((const struct sockaddr_in6 *)a)->sin6_port ==
	       ((const struct sockaddr_in6 *)b)->sin6_port;
}

/* A burst arriving while we are busy must not become loss the seed did not
 * decide; root may exceed rmem_max/wmem_max with the FORCE variants. */
static void grow_buffers(int fd)
{
	int size = SOCK_BUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/* A relay socket is bound to an ephemeral port on the address the kernel
 * would use to reach --forward, but not connected: RFC 2661 §8.1 lets the
 * responder answer from a port of its choosing, which a connected socket
 * would silently discard. A throwaway connected socket finds the address. */
static int relay_socket_open(const struct config *cfg)
{
	struct sockaddr_storage local;
	socklen_t local_len = sizeof(local);
	int probe, fd, err;

	probe = socket(cfg->fwd_addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -errno;
	if (connect(probe, (const struct sockaddr *)&cfg->fwd_addr, cfg->fwd_len) < 0 ||
	    getsockname(probe, (struct sockaddr *)&local, &local_len) < 0) {
		err = -errno;
		close(probe);
		return err;
	}
	close(probe);
	if (local.ss_family == AF_INET)
		((struct sockaddr_in *)&local)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&local)->sin6_port = 0;

	fd = socket(local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (const struct sockaddr *)&local, local_len) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	grow_buffers(fd);
	return fd;
}

/* Linear search: 64 entries compare faster than a hash would pay off. */
static int client_find_or_add(struct relay *r, const struct sockaddr_storage *from,
                              socklen_t from_len)
{
	struct client *c;
	char name[NI_MAXHOST + NI_MAXSERV + 4];
	int i, fd;

	for (i = 0; i < r->nclients; i++)
		if (same_endpoint(&r->clients[i].addr, from))
			return i;

	format_addr(from, from_len, name, sizeof(name));
	if (r->nclients == MAX_CLIENTS) {
		if (!r->warned_full)
			fprintf(stderr, "udp-impair: client table full (%d), dropping %s\n",
			        MAX_CLIENTS, name);
		r->warned_full = true;
		return -1;
	}
	fd = relay_socket_open(&r->cfg);
	if (fd < 0) {
		if (!r->warned_socket)
			fprintf(stderr, "udp-impair: no relay socket for %s: %s\n", name,
			        strerror(-fd));
		r->warned_socket = true;
		return -1;
	}
	c = &r->clients[r->nclients];
	memset(c, 0, sizeof(*c));
	memcpy(&c->addr, from, from_len);
	c->addr_len = from_len;
	c->fd = fd;
	fprintf(stderr, "udp-impair: new client %s\n", name);
	return r->nclients++;
}

static void send_now(struct relay *r, enum dir d, int ci, const unsigned char *data, size_t len)
{
	const struct client *c = &r->clients[ci];
	const struct sockaddr *dst;
	socklen_t dst_len;
	int fd;
	ssize_t n;

	if (d == UP) {
		fd = c->fd;
		dst = (const struct sockaddr *)&r->cfg.fwd_addr;
		dst_len = r->cfg.fwd_len;
	} else {
		fd = r->listen_fd;
		dst = (const struct sockaddr *)&c->addr;
		dst_len = c->addr_len;
	}
	do
		n = sendto(fd, data, len, 0, dst, dst_len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r->ctr[d].send_errors++;
	else
		r->ctr[d].forwarded++;
}

static struct pkt *pkt_new(enum dir d, int ci, const unsigned char *data, size_t len)
{
	struct pkt *p = malloc(sizeof(*p) + len);

	if (!p)
		return NULL;
	p->next = NULL;
	p->due_ms = 0;
	p->dir = d;
	p->client = ci;
	p->len = len;
	memcpy(p->data, data, len);
	return p;
}

/* Send a packet that has passed its impairments, through the delay line if
 * there is one. Takes ownership of p. */
static void emit_pkt(struct relay *r, struct pkt *p)
{
	if (r->cfg.delay_ms == 0) {
		send_now(r, p->dir, p->client, p->data, p->len);
		free(p);
		return;
	}
	if (r->ndelayed == MAX_DELAYED) {
		r->ctr[p->dir].overflow++;
		free(p);
		return;
	}
	/* One fixed delay for everything keeps the queue sorted by due time. */
	p->due_ms = now_ms() + r->cfg.delay_ms;
	p->next = NULL;
	if (r->delay_tail)
		r->delay_tail->next = p;
	else
		r->delay_head = p;
	r->delay_tail = p;
	r->ndelayed++;
}

static void emit(struct relay *r, enum dir d, int ci, const unsigned char *data, size_t len)
{
	struct pkt *p;

	if (r->cfg.delay_ms == 0) {
		send_now(r, d, ci, data, len);
		return;
	}
	p = pkt_new(d, ci, data, len);
	if (!p) {
		r->ctr[d].overflow++;
		return;
	}
	emit_pkt(r, p);
}

/* Release the oldest n held packets of a client's direction, in order. */
static void release_held(struct relay *r, struct client *c, enum dir d, int n)
{
	int i;

	for (i = 0; i < n; i++)
		emit_pkt(r, c->held[d][i]);
	memmove(&c->held[d][0], &c->held[d][n], (size_t)(c->nheld[d] - n) * sizeof(c->held[d][0]));
	c->nheld[d] -= n;
}

static void hold(struct relay *r, enum dir d, int ci, const unsigned char *data, size_t len)
{
	struct client *c = &r->clients[ci];
	struct pkt *p = pkt_new(d, ci, data, len);

	if (!p) {
		r->ctr[d].overflow++;
		return;
	}
	/* The queue is only a bound: when full, the oldest goes out early. */
	if (c->nheld[d] == MAX_HELD)
		release_held(r, c, d, 1);
	p->due_ms = now_ms() + r->cfg.reorder_delay_ms;
	c->held[d][c->nheld[d]++] = p;
}

static void impair(struct relay *r, enum dir d, int ci, const unsigned char *data, size_t len)
{
	struct counters *k = &r->ctr[d];
	double u_drop, u_dup, u_reorder;
	int copies = 1, i;

	/* RFC 2661 §3.1: T, the first bit, marks a control message. Data
	 * packets draw no random numbers, so their number cannot shift the
	 * decisions taken for control packets; they neither wait in nor
	 * release the hold queue, nor take the delay. */
	if (r->cfg.control_only && !(len > 0 && (data[0] & 0x80))) {
		k->passed++;
		send_now(r, d, ci, data, len);
		return;
	}
	/* Always three draws, whatever the outcome, so packet n of a direction
	 * gets the same decisions whichever options are on. */
	u_drop = prng_unit(&r->rng[d]);
	u_dup = prng_unit(&r->rng[d]);
	u_reorder = prng_unit(&r->rng[d]);

	if (u_drop < r->cfg.p_drop) {
		k->dropped++;
		return;
	}
	if (u_dup < r->cfg.p_dup) {
		k->duplicated++;
		copies = 2;
	}
	if (u_reorder < r->cfg.p_reorder) {
		k->reordered++;
		for (i = 0; i < copies; i++)
			hold(r, d, ci, data, len);
		return;
	}
	for (i = 0; i < copies; i++)
		emit(r, d, ci, data, len);
	/* This packet has now overtaken everything held before it. */
	release_held(r, &r->clients[ci], d, r->clients[ci].nheld[d]);
}

static void drain_listen(struct relay *r)
{
	struct sockaddr_storage from;
	socklen_t from_len;
	ssize_t n;
	int i, ci;

	for (i = 0; i < DRAIN_BUDGET; i++) {
		from_len = sizeof(from);
		n = recvfrom(r->listen_fd, r->buf, sizeof(r->buf), MSG_DONTWAIT,
		             (struct sockaddr *)&from, &from_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break; /* EAGAIN, or an error we cannot act on */
		}
		r->ctr[UP].received++;
		ci = client_find_or_add(r, &from, from_len);
		if (ci < 0) {
			r->ctr[UP].unroutable++;
			continue;
		}
		impair(r, UP, ci, r->buf, (size_t)n);
	}
}

static void drain_relay(struct relay *r, int ci)
{
	struct sockaddr_storage from;
	socklen_t from_len;
	char name[NI_MAXHOST + NI_MAXSERV + 4];
	ssize_t n;
	int i;

	for (i = 0; i < DRAIN_BUDGET; i++) {
		from_len = sizeof(from);
		n = recvfrom(r->clients[ci].fd, r->buf, sizeof(r->buf), MSG_DONTWAIT,
		             (struct sockaddr *)&from, &from_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		r->ctr[DOWN].received++;
		/* Any port of the --forward host (see relay_socket_open), but
		 * nobody else may inject into the client's stream. */
		if (!same_host(&from, &r->cfg.fwd_addr)) {
			if (!r->warned_foreign) {
				format_addr(&from, from_len, name, sizeof(name));
				fprintf(stderr, "udp-impair: ignoring datagram from %s\n", name);
			}
			r->warned_foreign = true;
			r->ctr[DOWN].unroutable++;
			continue;
		}
		impair(r, DOWN, ci, r->buf, (size_t)n);
	}
}

/* Release whatever is due at now; return the next due time, or INT64_MAX. */
static int64_t run_timers(struct relay *r, int64_t now)
{
	int64_t next = INT64_MAX;
	struct client *c;
	struct pkt *p;
	int ci, d, n;

	for (ci = 0; ci < r->nclients; ci++) {
		c = &r->clients[ci];
		for (d = 0; d < NDIR; d++) {
			for (n = 0; n < c->nheld[d] && c->held[d][n]->due_ms <= now; n++)
				;
			release_held(r, c, (enum dir)d, n);
			if (c->nheld[d] > 0 && c->held[d][0]->due_ms < next)
				next = c->held[d][0]->due_ms;
		}
	}
	while (r->delay_head && r->delay_head->due_ms <= now) {
		p = r->delay_head;
		r->delay_head = p->next;
		if (!r->delay_head)
			r->delay_tail = NULL;
		r->ndelayed--;
		send_now(r, p->dir, p->client, p->data, p->len);
		free(p);
	}
	if (r->delay_head && r->delay_head->due_ms < next)
		next = r->delay_head->due_ms;
	return next;
}

/* On exit, send everything still held or delayed: the peers may be gone,
 * but the counters then add up without an "in flight" term. */
static void flush_all(struct relay *r)
{
	int ci, d;

	for (ci = 0; ci < r->nclients; ci++)
		for (d = 0; d < NDIR; d++)
			release_held(r, &r->clients[ci], (enum dir)d, r->clients[ci].nheld[d]);
	run_timers(r, INT64_MAX);
}

static void write_counters(FILE *f, const struct counters *k)
{
	fprintf(f,
	        "{\"received\": %" PRIu64 ", \"forwarded\": %" PRIu64 ", \"dropped\": %" PRIu64
	        ", \"duplicated\": %" PRIu64 ", \"reordered\": %" PRIu64 ", \"passed\": %" PRIu64
	        ", \"overflow\": %" PRIu64 ", \"send_errors\": %" PRIu64
	        ", \"unroutable\": %" PRIu64 "}",
	        k->received, k->forwarded, k->dropped, k->duplicated, k->reordered, k->passed,
	        k->overflow, k->send_errors, k->unroutable);
}

/* Written to a temporary name and renamed, so a reader never sees half. */
static int write_stats(const struct relay *r, int64_t runtime_ms)
{
	char tmp[PATH_MAX];
	FILE *f;
	int d, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", r->cfg.stats_path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "{\"seed\": %" PRIu64 ", \"runtime_ms\": %" PRId64 ", \"clients\": %d",
	        r->cfg.seed, runtime_ms, r->nclients);
	for (d = 0; d < NDIR; d++) {
		fprintf(f, ",\n \"%s\": ", dir_name[d]);
		write_counters(f, &r->ctr[d]);
	}
	fprintf(f, "}\n");
	if (fclose(f) != 0 || rename(tmp, r->cfg.stats_path) < 0) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

static void format_counters(char *out, size_t size, const struct counters *k)
{
	snprintf(out, size,
	         "rx=%" PRIu64 " fwd=%" PRIu64 " drop=%" PRIu64 " dup=%" PRIu64 " reord=%" PRIu64
	         " pass=%" PRIu64 " unroutable=%" PRIu64 " err=%" PRIu64,
	         k->received, k->forwarded, k->dropped, k->duplicated, k->reordered, k->passed,
	         k->unroutable, k->overflow + k->send_errors);
}

static void print_summary(const struct relay *r)
{
	char up[256], down[256];

	format_counters(up, sizeof(up), &r->ctr[UP]);
	format_counters(down, sizeof(down), &r->ctr[DOWN]);
	fprintf(stderr, "udp-impair: seed=%" PRIu64 " clients=%d up: %s | down: %s\n", r->cfg.seed,
	        r->nclients, up, down);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: udp-impair --listen ADDR:PORT --forward ADDR:PORT [options]\n"
	           "  --drop P               drop with probability P (0..1)\n"
	           "  --dup P                send twice with probability P\n"
	           "  --reorder P            hold back with probability P, until the next\n"
	           "                         packet has passed or --reorder-delay-ms elapsed\n"
	           "  --reorder-delay-ms N   longest hold (default 50)\n"
	           "  --delay-ms N           fixed extra delay for every impaired packet\n"
	           "  --seed N               PRNG seed (default 1)\n"
	           "  --control-only         impair only L2TP control packets (T bit set)\n"
	           "  --max-seconds N        exit after N seconds (default 600)\n"
	           "  --stats FILE           write counters as JSON on exit\n"
	           "IPv6 addresses go in brackets: [fd00::1]:1701\n");
}

static int parse_prob(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= 0.0 && v <= 1.0))
		return -1;
	*out = v;
	return 0;
}

static int parse_int(const char *arg, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

enum {
	O_LISTEN = 256,
	O_FORWARD,
	O_DROP,
	O_DUP,
	O_REORDER,
	O_REORDER_DELAY,
	O_DELAY,
	O_SEED,
	O_CONTROL,
	O_MAX,
	O_STATS
};

static const struct option long_opts[] = {
    {"listen", required_argument, NULL, O_LISTEN},
    {"forward", required_argument, NULL, O_FORWARD},
    {"drop", required_argument, NULL, O_DROP},
    {"dup", required_argument, NULL, O_DUP},
    {"reorder", required_argument, NULL, O_REORDER},
    {"reorder-delay-ms", required_argument, NULL, O_REORDER_DELAY},
    {"delay-ms", required_argument, NULL, O_DELAY},
    {"seed", required_argument, NULL, O_SEED},
    {"control-only", no_argument, NULL, O_CONTROL},
    {"max-seconds", required_argument, NULL, O_MAX},
    {"stats", required_argument, NULL, O_STATS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *opt_name(int val)
{
	const struct option *o;

	for (o = long_opts; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

static uint16_t addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	bool have_listen = false, have_forward = false;
	char *end;
	int opt, bad;

	cfg->reorder_delay_ms = 50;
	cfg->seed = 1;
	cfg->max_seconds = 600;
	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		bad = 0;
		switch (opt) {
		case O_LISTEN:
			bad = parse_addr(optarg, &cfg->listen_addr, &cfg->listen_len);
			have_listen = true;
			break;
		case O_FORWARD:
			bad = parse_addr(optarg, &cfg->fwd_addr, &cfg->fwd_len);
			have_forward = true;
			break;
		case O_DROP:
			bad = parse_prob(optarg, &cfg->p_drop);
			break;
		case O_DUP:
			bad = parse_prob(optarg, &cfg->p_dup);
			break;
		case O_REORDER:
			bad = parse_prob(optarg, &cfg->p_reorder);
			break;
		case O_REORDER_DELAY:
			bad = parse_int(optarg, 0, 60000, &cfg->reorder_delay_ms);
			break;
		case O_DELAY:
			bad = parse_int(optarg, 0, 60000, &cfg->delay_ms);
			break;
		case O_SEED:
			errno = 0;
			cfg->seed = strtoull(optarg, &end, 0);
			bad = (errno || end == optarg || *end) ? -1 : 0;
			break;
		case O_CONTROL:
			cfg->control_only = true;
			break;
		case O_MAX:
			bad = parse_int(optarg, 1, 86400, &cfg->max_seconds);
			break;
		case O_STATS:
			cfg->stats_path = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		if (bad) {
			fprintf(stderr, "udp-impair: bad value for --%s: %s\n", opt_name(opt),
			        optarg);
			return -1;
		}
	}
	if (optind != argc || !have_listen || !have_forward) {
		usage(stderr);
		return -1;
	}
	if (addr_port(&cfg->fwd_addr) == 0) {
		fprintf(stderr, "udp-impair: --forward needs a port\n");
		return -1;
	}
	return 0;
}

static int setup(struct relay *r)
{
	sigset_t mask;
	char name[NI_MAXHOST + NI_MAXSERV + 4], fwd[NI_MAXHOST + NI_MAXSERV + 4];
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof(bound);

	/* Signals arrive as readable data, so the loop needs no globals and
	 * cannot miss one between a check and poll(). */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	r->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (r->sig_fd < 0)
		return -errno;

	r->listen_fd = socket(r->cfg.listen_addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->listen_fd < 0)
		return -errno;
	/* No SO_REUSEADDR: for UDP it would let a leftover relay share the
	 * port and take part of the traffic; failing to bind is the clearer. */
	if (bind(r->listen_fd, (const struct sockaddr *)&r->cfg.listen_addr, r->cfg.listen_len) < 0)
		return -errno;
	grow_buffers(r->listen_fd);
	if (getsockname(r->listen_fd, (struct sockaddr *)&bound, &bound_len) < 0)
		return -errno;

	r->rng[UP] = r->cfg.seed;
	r->rng[DOWN] = r->cfg.seed ^ 0xd1b54a32d192ed03ULL; /* an independent stream */

	/* Tests wait for this line before sending. */
	format_addr(&bound, bound_len, name, sizeof(name));
	format_addr(&r->cfg.fwd_addr, r->cfg.fwd_len, fwd, sizeof(fwd));
	fprintf(stderr,
	        "udp-impair: listening on %s forwarding to %s drop=%g dup=%g reorder=%g "
	        "reorder-delay-ms=%" PRId64 " delay-ms=%" PRId64 " seed=%" PRIu64 "%s\n",
	        name, fwd, r->cfg.p_drop, r->cfg.p_dup, r->cfg.p_reorder, r->cfg.reorder_delay_ms,
	        r->cfg.delay_ms, r->cfg.seed, r->cfg.control_only ? " control-only" : "");
	return 0;
}

static void run(struct relay *r)
{
	struct pollfd pfd[2 + MAX_CLIENTS];
	struct signalfd_siginfo si;
	int64_t start = now_ms(), end = start + r->cfg.max_seconds * 1000, now, next;
	int i, n, timeout;

	for (;;) {
		now = now_ms();
		next = run_timers(r, now);
		if (now >= end) {
			fprintf(stderr, "udp-impair: --max-seconds reached, exiting\n");
			return;
		}
		if (next > end)
			next = end;
		timeout = (int)(next - now);

		pfd[0] = (struct pollfd){.fd = r->sig_fd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = r->listen_fd, .events = POLLIN};
		for (i = 0; i < r->nclients; i++)
			pfd[2 + i] = (struct pollfd){.fd = r->clients[i].fd, .events = POLLIN};
		n = poll(pfd, (nfds_t)(2 + r->nclients), timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("udp-impair: poll");
			return;
		}
		if (pfd[0].revents & POLLIN) {
			if (read(r->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				fprintf(stderr, "udp-impair: signal %u, exiting\n", si.ssi_signo);
			return;
		}
		/* Snapshot the count: a new client's socket joins the next poll. */
		n = r->nclients;
		for (i = 0; i < n; i++)
			if (pfd[2 + i].revents & (POLLIN | POLLERR))
				drain_relay(r, i);
		if (pfd[1].revents & (POLLIN | POLLERR))
			drain_listen(r);
	}
}

int main(int argc, char **argv)
{
	struct relay *r;
	int64_t start;
	int err, i, rc = 0;

	/* Large (a 64 KiB buffer and the tables): on the heap, not the stack. */
	r = calloc(1, sizeof(*r));
	if (!r) {
		perror("udp-impair");
		return 1;
	}
	r->listen_fd = r->sig_fd = -1;
	if (parse_args(argc, argv, &r->cfg) < 0) {
		free(r);
		return 2;
	}
	err = setup(r);
	if (err < 0) {
		fprintf(stderr, "udp-impair: setup: %s\n", strerror(-err));
		rc = 1;
		goto out;
	}
	start = now_ms();
	run(r);
	flush_all(r);
	print_summary(r);
	if (r->cfg.stats_path) {
		err = write_stats(r, now_ms() - start);
		if (err < 0) {
			fprintf(stderr, "udp-impair: writing %s: %s\n", r->cfg.stats_path,
			        strerror(-err));
			rc = 1;
		}
	}
out:
	for (i = 0; i < r->nclients; i++)
		close(r->clients[i].fd);
	if (r->listen_fd >= 0)
		close(r->listen_fd);
	if (r->sig_fd >= 0)
		close(r->sig_fd);
	free(r);
	return rc;
}
