/* l2tp-bench --lns: a minimal LNS, so that the bench's own ceiling is
 * known. This file: the options, the loop (one UDP socket, recvmmsg in,
 * sendmmsg out, poll for the rest), the send batch and the report. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "bench/lb_lns.h"
#include "bench/lb_modes.h"
#include "bench/lb_util.h"
#include "l2tp/wire.h"

#define LNS_RT_TICK_MS 10 /* transports' timers: looked at this often at most */
#define LNS_STATUS_MS  10000
#define LNS_ROUNDS     16 /* receive batches per loop turn before the timers */

static volatile sig_atomic_t lns_stop;

static void lns_on_signal(int sig)
{
	(void)sig;
	lns_stop = 1;
}

static void lns_usage(FILE *f)
{
	fprintf(f, "usage: l2tp-bench --lns [--bind ADDR[:PORT]] [--secret S] [--hostname H]\n"
	           "                  [--pool A.B.C.D/LEN] [--auth pap|chap|mschapv2]\n"
	           "                  [--password P] [--seconds S] [--json FILE] [-q]\n"
	           "A minimal LNS: accepts every tunnel, call and credential, gives each\n"
	           "subscriber the next pool address, and reflects its IPv4 packets back\n"
	           "(addresses and UDP ports swapped; ICMP Echo answered).\n");
}

static int lns_parse_pool(const char *s, struct lns_opts *o)
{
	char buf[32];
	char *slash, *end;
	struct in_addr a;
	unsigned long len;
	uint32_t mask;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	len = strtoul(slash + 1, &end, 10);
	/* At least 4 addresses: network, ours, one subscriber, broadcast. */
	if (*end || end == slash + 1 || len < 8 || len > 30 || inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	mask = ~UINT32_C(0) << (32 - len);
	o->pool_base = ntohl(a.s_addr) & mask;
	o->pool_len = (uint8_t)len;
	return 0;
}

static int lns_parse(int argc, char **argv, struct lns_opts *o)
{
	enum {
		O_LNS = 256,
		O_BIND,
		O_SECRET,
		O_HOSTNAME,
		O_POOL,
		O_AUTH,
		O_PASSWORD,
		O_SECONDS,
		O_JSON,
		O_HELP
	};
	static const struct option opts[] = {
	    {"lns", no_argument, NULL, O_LNS},
	    {"bind", required_argument, NULL, O_BIND},
	    {"secret", required_argument, NULL, O_SECRET},
	    {"hostname", required_argument, NULL, O_HOSTNAME},
	    {"pool", required_argument, NULL, O_POOL},
	    {"auth", required_argument, NULL, O_AUTH},
	    {"password", required_argument, NULL, O_PASSWORD},
	    {"seconds", required_argument, NULL, O_SECONDS},
	    {"json", required_argument, NULL, O_JSON},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, O_HELP},
	    {0},
	};
	const char *bind = "0.0.0.0";
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->hostname = "l2tp-bench";
	o->password = "bench";
	o->auth = PPP_AUTH_PAP;
	lns_parse_pool("100.64.0.0/10", o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case O_LNS:
			break; /* the mode flag, when lb_main passes argv whole */
		case O_BIND:
			bind = optarg;
			break;
		case O_SECRET:
			o->secret = optarg;
			break;
		case O_HOSTNAME:
			o->hostname = optarg;
			break;
		case O_POOL:
			if (lns_parse_pool(optarg, o) < 0) {
				fprintf(stderr, "l2tp-bench --lns: bad --pool %s (A.B.C.D/8..30)\n",
				        optarg);
				return -1;
			}
			break;
		case O_AUTH:
			if (!strcmp(optarg, "pap"))
				o->auth = PPP_AUTH_PAP;
			else if (!strcmp(optarg, "chap"))
				o->auth = PPP_AUTH_CHAP_MD5;
			else if (!strcmp(optarg, "mschapv2"))
				o->auth = PPP_AUTH_MSCHAPV2;
			else {
				fprintf(stderr, "l2tp-bench --lns: bad --auth %s\n", optarg);
				return -1;
			}
			break;
		case O_PASSWORD:
			o->password = optarg;
			break;
		case O_SECONDS:
			o->seconds = strtod(optarg, &end);
			if (*end || end == optarg || o->seconds < 0) {
				fprintf(stderr, "l2tp-bench --lns: bad --seconds %s\n", optarg);
				return -1;
			}
			break;
		case O_JSON:
			o->json = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
		case O_HELP:
			lns_usage(stdout);
			exit(0);
		default:
			lns_usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "l2tp-bench --lns: unexpected argument %s\n", argv[optind]);
		lns_usage(stderr);
		return -1;
	}
	if (udp_addr_parse(bind, 1701, &o->bind) < 0) {
		fprintf(stderr, "l2tp-bench --lns: bad --bind %s\n", bind);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ send batch */

void lns_tx_flush(struct lns *l)
{
	l->c.tx_dropped += lb_sendmmsg_all(l->fd, l->tmsg, l->tn, 2, NULL, NULL);
	l->c.tx_datagrams += l->tn;
	l->tn = 0;
	l->cn = 0;
}

uint8_t *lns_tx_buf(struct lns *l)
{
	if (l->tn == LNS_TXQ || l->cn == LNS_CTL_SLOTS)
		lns_tx_flush(l);
	return l->cbuf[l->cn++];
}

void lns_tx_queue(struct lns *l, const union udp_addr *to, const uint8_t *buf, size_t len)
{
	struct mmsghdr *m;

	if (l->tn == LNS_TXQ)
		lns_tx_flush(l);
	m = &l->tmsg[l->tn];
	l->tiov[l->tn].iov_base = (void *)buf;
	l->tiov[l->tn].iov_len = len;
	m->msg_hdr.msg_name = (void *)&to->sa;
	m->msg_hdr.msg_namelen = udp_addr_len(to);
	m->msg_hdr.msg_iov = &l->tiov[l->tn];
	m->msg_hdr.msg_iovlen = 1;
	m->msg_hdr.msg_control = NULL;
	m->msg_hdr.msg_controllen = 0;
	m->msg_hdr.msg_flags = 0;
	l->tn++;
}

/* xorshift128+: magic numbers, challenges; not secrets. */
uint64_t lns_random64(struct lns *l)
{
	uint64_t x = l->rng[0], y = l->rng[1];

	l->rng[0] = y;
	x ^= x << 23;
	l->rng[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
	return l->rng[1] + y;
}

/* ------------------------------------------------------------ the loop */

static void lns_rx_setup(struct lns *l)
{
	for (int i = 0; i < LNS_BATCH; i++) {
		l->riov[i].iov_base = l->rbuf[i] + LNS_HEADROOM;
		l->riov[i].iov_len = LNS_DGRAM;
		l->rmsg[i].msg_hdr.msg_iov = &l->riov[i];
		l->rmsg[i].msg_hdr.msg_iovlen = 1;
		l->rmsg[i].msg_hdr.msg_name = &l->rfrom[i];
	}
}

/* One recvmmsg batch: its count, 0 if nothing was waiting. */
static int lns_rx_batch(struct lns *l)
{
	int n;

	for (int i = 0; i < LNS_BATCH; i++)
		l->rmsg[i].msg_hdr.msg_namelen = sizeof(l->rfrom[i]);
	n = recvmmsg(l->fd, l->rmsg, LNS_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	for (int i = 0; i < n; i++) {
		uint8_t *buf = l->rbuf[i] + LNS_HEADROOM;
		size_t len = l->rmsg[i].msg_len;
		struct l2tp_header h;

		l->c.rx_datagrams++;
		if (l2tp_header_parse(buf, len, &h) < 0 || h.version != L2TP_VERSION) {
			l->c.rx_bad++;
			continue;
		}
		if (h.is_control)
			lns_ctl_input(l, buf, h.length, &h, &l->rfrom[i]);
		else
			lns_data_input(l, buf, h.length, &h, &l->rfrom[i]);
	}
	/* The reflections point into the receive buffers: out before the
	 * next batch overwrites them. */
	lns_tx_flush(l);
	return n;
}

static void lns_status(struct lns *l, FILE *f, const char *prefix)
{
	fprintf(f,
	        "%stunnels=%u sessions=%u up=%u ppp_timers=%u established=%llu data_rx=%llu "
	        "data_tx=%llu\n",
	        prefix, l->n_tunnels, l->n_sessions, l->n_up, l->n_timers,
	        (unsigned long long)l->c.sessions_established, (unsigned long long)l->c.data_rx,
	        (unsigned long long)l->c.data_tx);
}

/* How long poll may sleep: until the next transport deadline (looked at
 * every LNS_RT_TICK_MS at most), a PPP tick while links negotiate, a
 * linger's end, or the end of the run. An idle LNS with established
 * sessions sleeps 200 ms at a time. */
static int lns_wait_ms(struct lns *l, uint64_t end)
{
	uint64_t at = UINT64_MAX;

	for (struct lns_tunnel *t = l->tunnel_list; t; t = t->next) {
		uint64_t d = l2tp_rt_next_deadline(t->rt);

		if (t->state == LT_CLOSING && t->linger_until < d)
			d = t->linger_until;
		if (d < at)
			at = d;
	}
	if (at < l->next_rt_tick)
		at = l->next_rt_tick;
	if (l->timers && l->next_ppp_tick < at)
		at = l->next_ppp_tick;
	if (end && end < at)
		at = end;
	if (at <= l->now)
		return 0;
	return at - l->now > 200 ? 200 : (int)(at - l->now);
}

static void lns_loop(struct lns *l)
{
	uint64_t end = l->o.seconds > 0 ? l->now + (uint64_t)(l->o.seconds * 1000.0) : 0;
	uint64_t next_status = l->now + LNS_STATUS_MS;

	l->next_rt_tick = l->now;
	while (!lns_stop) {
		struct pollfd p = {.fd = l->fd, .events = POLLIN};
		int round = 0;

		l->now = lb_now_ms();
		if (end && l->now >= end)
			break;
		if (poll(&p, 1, lns_wait_ms(l, end)) < 0 && errno != EINTR)
			break;
		l->now = lb_now_ms();
		while (round++ < LNS_ROUNDS && lns_rx_batch(l) == LNS_BATCH)
			;
		l->now = lb_now_ms();
		if (l->now >= l->next_rt_tick) {
			l->next_rt_tick = l->now + LNS_RT_TICK_MS;
			lns_ctl_tick(l);
		}
		lns_ppp_tick(l);
		lns_tx_flush(l);
		lns_ctl_reap(l);
		if (!l->o.quiet && l->now >= next_status) {
			next_status = l->now + LNS_STATUS_MS;
			lns_status(l, stderr, "lns: ");
		}
	}
}

/* ------------------------------------------------------------ report */

static void lns_report(struct lns *l, double secs)
{
	const struct lns_counts *c = &l->c;
	struct lb_proc_sample self = lb_proc_sample(0);
	double user, sys;
	char addr[UDP_ADDRSTR_LEN];
	unsigned open = 0; /* tunnels not closing (closed ones linger a while) */

	for (const struct lns_tunnel *t = l->tunnel_list; t; t = t->next)
		open += t->state != LT_CLOSING;
	lb_self_cpu(&user, &sys);
	udp_addr_str(&l->o.bind, addr, sizeof(addr));
	printf("lns: bind %s seconds %.1f\n", addr, secs);
	printf("lns: tunnels established %llu, at end %u, closed by peer %llu, peer dead %llu\n",
	       (unsigned long long)c->tunnels_up, open,
	       (unsigned long long)c->tunnels_closed_by_peer, (unsigned long long)c->tunnels_dead);
	printf("lns: sessions requested %llu, connected %llu, established %llu (proxied %llu), "
	       "at end %u, up %u, cdn received %llu, ppp down %llu, refused %llu\n",
	       (unsigned long long)c->sessions_requested, (unsigned long long)c->sessions_connected,
	       (unsigned long long)c->sessions_established, (unsigned long long)c->sessions_proxied,
	       l->n_sessions, l->n_up, (unsigned long long)c->sessions_cdn_received,
	       (unsigned long long)c->sessions_ppp_down, (unsigned long long)c->sessions_refused);
	printf("lns: data rx=%llu tx=%llu rx_bytes=%llu (icmp echo %llu, stats queries %llu)\n",
	       (unsigned long long)c->data_rx, (unsigned long long)c->data_tx,
	       (unsigned long long)c->data_rx_bytes, (unsigned long long)c->icmp_echo,
	       (unsigned long long)c->stats_queries);
	printf("lns: datagrams rx=%llu tx=%llu tx_dropped=%llu bad=%llu unknown=%llu; "
	       "ppp frames rx=%llu tx=%llu; control messages %llu, retransmitted %llu\n",
	       (unsigned long long)c->rx_datagrams, (unsigned long long)c->tx_datagrams,
	       (unsigned long long)c->tx_dropped, (unsigned long long)c->rx_bad,
	       (unsigned long long)c->rx_unknown, (unsigned long long)c->ppp_rx,
	       (unsigned long long)c->ppp_tx, (unsigned long long)c->ctl_rx,
	       (unsigned long long)c->ctl_retransmitted);
	printf("lns: cpu user %.2f s, sys %.2f s (%.1f%% of one core), rss %llu KiB\n", user, sys,
	       secs > 0 ? 100.0 * (user + sys) / secs : 0.0, (unsigned long long)self.rss_kib);
	fflush(stdout);
	if (l->o.json) {
		FILE *f = fopen(l->o.json, "w");

		if (!f) {
			fprintf(stderr, "l2tp-bench --lns: cannot write %s: %s\n", l->o.json,
			        strerror(errno));
			return;
		}
		fprintf(
		    f,
		    "{ \"mode\": \"lns\", \"bind\": \"%s\", \"seconds\": %.3f,\n"
		    "  \"tunnels\": { \"established\": %llu, \"at_end\": %u, "
		    "\"closed_by_peer\": %llu, \"peer_dead\": %llu },\n"
		    "  \"sessions\": { \"requested\": %llu, \"connected\": %llu, "
		    "\"established\": %llu, \"proxied\": %llu, \"at_end\": %u, \"up_at_end\": %u, "
		    "\"cdn_received\": %llu, \"ppp_down\": %llu, \"refused\": %llu },\n"
		    "  \"data\": { \"rx\": %llu, \"tx\": %llu, \"rx_bytes\": %llu, "
		    "\"icmp_echo\": %llu, \"stats_queries\": %llu },\n"
		    "  \"io\": { \"rx_datagrams\": %llu, \"tx_datagrams\": %llu, "
		    "\"tx_dropped\": %llu, \"rx_bad\": %llu, \"rx_unknown\": %llu, "
		    "\"ppp_rx\": %llu, \"ppp_tx\": %llu, \"control_rx\": %llu, "
		    "\"control_retransmitted\": %llu },\n"
		    "  \"self\": { \"cpu_user_s\": %.3f, \"cpu_sys_s\": %.3f, "
		    "\"cpu_percent_of_one_core\": %.1f, \"rss_kib\": %llu } }\n",
		    addr, secs, (unsigned long long)c->tunnels_up, open,
		    (unsigned long long)c->tunnels_closed_by_peer,
		    (unsigned long long)c->tunnels_dead, (unsigned long long)c->sessions_requested,
		    (unsigned long long)c->sessions_connected,
		    (unsigned long long)c->sessions_established,
		    (unsigned long long)c->sessions_proxied, l->n_sessions, l->n_up,
		    (unsigned long long)c->sessions_cdn_received,
		    (unsigned long long)c->sessions_ppp_down,
		    (unsigned long long)c->sessions_refused, (unsigned long long)c->data_rx,
		    (unsigned long long)c->data_tx, (unsigned long long)c->data_rx_bytes,
		    (unsigned long long)c->icmp_echo, (unsigned long long)c->stats_queries,
		    (unsigned long long)c->rx_datagrams, (unsigned long long)c->tx_datagrams,
		    (unsigned long long)c->tx_dropped, (unsigned long long)c->rx_bad,
		    (unsigned long long)c->rx_unknown, (unsigned long long)c->ppp_rx,
		    (unsigned long long)c->ppp_tx, (unsigned long long)c->ctl_rx,
		    (unsigned long long)c->ctl_retransmitted, user, sys,
		    secs > 0 ? 100.0 * (user + sys) / secs : 0.0, (unsigned long long)self.rss_kib);
		fclose(f);
	}
}

int lb_lns_main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = lns_on_signal};
	struct lns *l = calloc(1, sizeof(*l));
	char addr[UDP_ADDRSTR_LEN];
	int rc = 1;

	if (!l)
		return 1;
	if (lns_parse(argc, argv, &l->o) < 0)
		goto out;
	if (getrandom(l->rng, sizeof(l->rng), 0) != sizeof(l->rng) || !(l->rng[0] | l->rng[1]))
		l->rng[0] = lb_now_ns() | 1;
	if (idtable_init(&l->tunnels, 64) < 0 || idtable_init(&l->sessions, 4096) < 0 ||
	    lns_ppp_init(l) < 0) {
		fprintf(stderr, "l2tp-bench --lns: out of memory\n");
		goto out;
	}
	l->fd = lb_udp_socket(&l->o.bind);
	if (l->fd < 0) {
		fprintf(stderr, "l2tp-bench --lns: cannot bind %s: %s\n",
		        udp_addr_str(&l->o.bind, addr, sizeof(addr)), strerror(-l->fd));
		goto out;
	}
	lns_rx_setup(l);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!l->o.quiet)
		fprintf(stderr, "lns: listening on %s\n",
		        udp_addr_str(&l->o.bind, addr, sizeof(addr)));
	l->t0_ns = lb_now_ns();
	l->now = lb_now_ms();
	lns_loop(l);
	l->now = lb_now_ms();
	lns_report(l, (double)(lb_now_ns() - l->t0_ns) / 1e9);
	lns_ctl_shutdown(l);
	lns_ctl_fini(l);
	close(l->fd);
	rc = 0;
out:
	lns_ppp_fini(l);
	if (l->tunnels.slots)
		idtable_destroy(&l->tunnels);
	if (l->sessions.slots)
		idtable_destroy(&l->sessions);
	free(l);
	return rc;
}
