/* l2tp-bench --sink: the far end of the bench's traffic, on the LNS side.
 * Counts the datagrams it receives and sends each one back to its sender
 * (which, seen from the subscriber, swaps source and destination), so the
 * traffic returns through the LNS and the tunnel. The stats query gets
 * the counters, and is not counted itself. recvmmsg in, sendmmsg out,
 * the same buffers for both. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/lb_modes.h"
#include "bench/lb_util.h"

#define SINK_BATCH 64
#define SINK_DGRAM 2048
#define SINK_QUERY "L2TPBNCH-STATS?"

struct sink {
	int fd;
	bool reflect;
	double seconds;
	uint64_t rx, tx, rx_bytes, queries, tx_errors;
	struct mmsghdr msg[SINK_BATCH];
	struct mmsghdr out[SINK_BATCH];
	struct iovec iov[SINK_BATCH];
	struct iovec oiov[SINK_BATCH];
	union udp_addr from[SINK_BATCH];
	uint8_t buf[SINK_BATCH][SINK_DGRAM];
};

static volatile sig_atomic_t sink_stop;

static void sink_on_signal(int sig)
{
	(void)sig;
	sink_stop = 1;
}

static void sink_usage(FILE *f)
{
	fprintf(f, "usage: l2tp-bench --sink ADDR:PORT [--no-reflect] [--seconds S]\n"
	           "Counts UDP datagrams to ADDR:PORT and sends each back to its sender;\n"
	           "a datagram \"" SINK_QUERY "\" gets the counters.\n");
}

struct sink_sent {
	struct sink *k;
	const bool *answer;
};

/* What is sent counts as tx unless it is an answer to the stats query. */
static void sink_account(void *ctx, unsigned first, unsigned count)
{
	struct sink_sent *ss = ctx;

	for (unsigned i = first; i < first + count; i++)
		if (!ss->answer[i])
			ss->k->tx++;
}

static void sink_send(struct sink *k, unsigned n, const bool *answer)
{
	struct sink_sent ss = { k, answer };

	k->tx_errors += lb_sendmmsg_all(k->fd, k->out, n, 2, sink_account, &ss);
}

static int sink_batch(struct sink *k)
{
	bool answer[SINK_BATCH];
	unsigned n_out = 0;
	int n;

	for (int i = 0; i < SINK_BATCH; i++)
		k->msg[i].msg_hdr.msg_namelen = sizeof(k->from[i]);
	n = recvmmsg(k->fd, k->msg, SINK_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	for (int i = 0; i < n; i++) {
		size_t len = k->msg[i].msg_len;
		bool query = len == strlen(SINK_QUERY) && !memcmp(k->buf[i], SINK_QUERY, len);

		if (query) {
			k->queries++;
			len = (size_t)snprintf((char *)k->buf[i], SINK_DGRAM,
			                       "L2TPBNCH-STATS rx=%llu tx=%llu rx_bytes=%llu",
			                       (unsigned long long)k->rx, (unsigned long long)k->tx,
			                       (unsigned long long)k->rx_bytes);
		} else {
			k->rx++;
			k->rx_bytes += len;
			if (!k->reflect)
				continue;
		}
		k->oiov[n_out].iov_base = k->buf[i];
		k->oiov[n_out].iov_len = len;
		k->out[n_out].msg_hdr = (struct msghdr){
		    .msg_name = &k->from[i],
		    .msg_namelen = k->msg[i].msg_hdr.msg_namelen,
		    .msg_iov = &k->oiov[n_out],
		    .msg_iovlen = 1,
		};
		answer[n_out++] = query;
	}
	if (n_out)
		sink_send(k, n_out, answer);
	return n;
}

int lb_sink_main(int argc, char **argv)
{
	enum { O_SINK = 256, O_NO_REFLECT, O_SECONDS, O_HELP };
	static const struct option opts[] = {
	    {"sink", required_argument, NULL, O_SINK},
	    {"no-reflect", no_argument, NULL, O_NO_REFLECT},
	    {"seconds", required_argument, NULL, O_SECONDS},
	    {"help", no_argument, NULL, O_HELP},
	    {0},
	};
	struct sigaction sa = {.sa_handler = sink_on_signal};
	struct sink *k = calloc(1, sizeof(*k));
	const char *where = NULL;
	char addr[UDP_ADDRSTR_LEN], *end;
	union udp_addr a;
	uint64_t stop_at = 0;
	int c, rc = 1;

	if (!k)
		return 1;
	k->reflect = true;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_SINK:
			/* lb_main passed argv whole; "--sink --help" asks for help. */
			if (!strcmp(optarg, "--help") || !strcmp(optarg, "-h")) {
				sink_usage(stdout);
				rc = 0;
				goto out;
			}
			where = optarg;
			break;
		case O_NO_REFLECT:
			k->reflect = false;
			break;
		case O_SECONDS:
			k->seconds = strtod(optarg, &end);
			if (*end || end == optarg || k->seconds < 0) {
				fprintf(stderr, "l2tp-bench --sink: bad --seconds %s\n", optarg);
				goto out;
			}
			break;
		case 'h':
		case O_HELP:
			sink_usage(stdout);
			rc = 0;
			goto out;
		default:
			sink_usage(stderr);
			goto out;
		}
	}
	/* Or the address as an operand (argv from the mode flag on). */
	if (!where && optind < argc)
		where = argv[optind++];
	if (!where || optind < argc) {
		sink_usage(stderr);
		goto out;
	}
	if (udp_addr_parse(where, 9, &a) < 0) {
		fprintf(stderr, "l2tp-bench --sink: bad address %s\n", where);
		goto out;
	}
	k->fd = lb_udp_socket(&a);
	if (k->fd < 0) {
		fprintf(stderr, "l2tp-bench --sink: cannot bind %s: %s\n",
		        udp_addr_str(&a, addr, sizeof(addr)), strerror(-k->fd));
		goto out;
	}
	for (int i = 0; i < SINK_BATCH; i++) {
		k->iov[i].iov_base = k->buf[i];
		k->iov[i].iov_len = SINK_DGRAM;
		k->msg[i].msg_hdr.msg_iov = &k->iov[i];
		k->msg[i].msg_hdr.msg_iovlen = 1;
		k->msg[i].msg_hdr.msg_name = &k->from[i];
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (k->seconds > 0)
		stop_at = lb_now_ms() + (uint64_t)(k->seconds * 1000.0);
	fprintf(stderr, "sink: listening on %s%s\n", udp_addr_str(&a, addr, sizeof(addr)),
	        k->reflect ? "" : " (no reflection)");
	while (!sink_stop) {
		struct pollfd p = {.fd = k->fd, .events = POLLIN};
		uint64_t now = lb_now_ms();
		int wait = 200;

		if (stop_at) {
			if (now >= stop_at)
				break;
			if (stop_at - now < 200)
				wait = (int)(stop_at - now);
		}
		if (poll(&p, 1, wait) < 0 && errno != EINTR)
			break;
		for (int round = 0; round < 64 && sink_batch(k) == SINK_BATCH; round++)
			;
	}
	printf("sink: rx=%llu tx=%llu rx_bytes=%llu\n", (unsigned long long)k->rx,
	       (unsigned long long)k->tx, (unsigned long long)k->rx_bytes);
	fflush(stdout);
	close(k->fd);
	rc = 0;
out:
	free(k);
	return rc;
}
