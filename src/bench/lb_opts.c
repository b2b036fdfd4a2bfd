/* The LAC mode's command line: getopt_long, every value checked, one error
 * message naming the option. */
#include "bench/lb_opts.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LB_MAX_SIZE  1460 /* the outer packet stays within a 1500-octet MTU */
#define LB_MIN_SIZE  28   /* IPv4 and UDP headers */
#define LB_L2TP_PORT 1701

enum {
	OPT_AUTH = 256,
	OPT_USER,
	OPT_PASSWORD,
	OPT_PROXY,
	OPT_HOSTNAME,
	OPT_SECRET,
	OPT_HIDE,
	OPT_BIND,
	OPT_HOLD,
	OPT_TRAFFIC,
	OPT_PPS,
	OPT_SIZE,
	OPT_SINK,
	OPT_LNS_PID,
	OPT_TIMEOUT,
	OPT_LABEL,
	OPT_JSON,
	OPT_TIMELINE,
	OPT_REQUIRE_ALL,
};

static const struct option lb_long_opts[] = {
    {"sessions", required_argument, NULL, 'n'},
    {"tunnels", required_argument, NULL, 't'},
    {"rate", required_argument, NULL, 'r'},
    {"window", required_argument, NULL, 'w'},
    {"auth", required_argument, NULL, OPT_AUTH},
    {"user", required_argument, NULL, OPT_USER},
    {"password", required_argument, NULL, OPT_PASSWORD},
    {"proxy", required_argument, NULL, OPT_PROXY},
    {"hostname", required_argument, NULL, OPT_HOSTNAME},
    {"secret", required_argument, NULL, OPT_SECRET},
    {"hide", no_argument, NULL, OPT_HIDE},
    {"bind", required_argument, NULL, OPT_BIND},
    {"hold", required_argument, NULL, OPT_HOLD},
    {"traffic", required_argument, NULL, OPT_TRAFFIC},
    {"pps", required_argument, NULL, OPT_PPS},
    {"size", required_argument, NULL, OPT_SIZE},
    {"sink", required_argument, NULL, OPT_SINK},
    {"lns-pid", required_argument, NULL, OPT_LNS_PID},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"label", required_argument, NULL, OPT_LABEL},
    {"json", required_argument, NULL, OPT_JSON},
    {"timeline", required_argument, NULL, OPT_TIMELINE},
    {"require-all", no_argument, NULL, OPT_REQUIRE_ALL},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

void lb_opts_usage(FILE *f)
{
	fputs("usage: l2tp-bench [OPTIONS] LNS_ADDR[:PORT]      LAC: sessions and subscribers\n"
	      "       l2tp-bench --lns [OPTIONS]                 a minimal LNS\n"
	      "       l2tp-bench --sink ADDR:PORT [OPTIONS]      a UDP sink that reflects\n"
	      "LAC options:\n"
	      "  -n, --sessions N      total sessions (100)\n"
	      "  -t, --tunnels M       tunnels, sessions round-robin (1)\n"
	      "  -r, --rate R          setups started per second, 0: window only (0)\n"
	      "  -w, --window W        setups in flight at most (1000)\n"
	      "      --auth METHOD     pap | chap | mschapv2 | mix (pap)\n"
	      "      --user FMT        user name, %u: session index (bench)\n"
	      "      --password P      (bench)\n"
	      "      --proxy PERCENT   sessions sent with proxy LCP and authentication (0)\n"
	      "      --hostname H      our Host Name AVP (l2tp-bench)\n"
	      "      --secret S        tunnel secret\n"
	      "      --hide            hide AVPs (needs --secret)\n"
	      "      --bind ADDR       local address\n"
	      "      --hold SECONDS    hold the sessions after setup (0)\n"
	      "      --traffic SECONDS then send IP/UDP traffic (0)\n"
	      "      --pps PPS         upstream packets per second in total (1000)\n"
	      "      --size BYTES|imix IP packet size, 28..1460 (128)\n"
	      "      --sink ADDR:PORT  traffic destination (required with --traffic)\n"
	      "      --lns-pid PID     sample the LNS's memory and CPU\n"
	      "      --timeout SECONDS setup deadline of a session (30)\n"
	      "      --label TEXT      name of the run (lns)\n"
	      "      --json FILE       write the report as JSON\n"
	      "      --timeline FILE   established and pps every 100 ms (TSV)\n"
	      "      --require-all     exit 1 unless every session came up (and no loss)\n"
	      "  -q, --quiet           no progress lines\n",
	      f);
}

const char *lb_auth_name(enum lb_auth a)
{
	static const char *const names[] = {"pap", "chap", "mschapv2", "mix"};

	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

static int bad(const char *opt, const char *arg, const char *why)
{
	fprintf(stderr, "l2tp-bench: %s '%s': %s\n", opt, arg, why);
	return -1;
}

static int parse_u32(const char *opt, const char *arg, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < lo || v > hi) {
		char why[64];

		snprintf(why, sizeof(why), "an integer from %u to %u expected", lo, hi);
		return bad(opt, arg, why);
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_double(const char *opt, const char *arg, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < lo || v > hi) {
		char why[64];

		snprintf(why, sizeof(why), "a number from %g to %g expected", lo, hi);
		return bad(opt, arg, why);
	}
	*out = v;
	return 0;
}

static int parse_addr(const char *opt, const char *arg, uint16_t port, union udp_addr *a)
{
	if (udp_addr_parse(arg, port, a) < 0)
		return bad(opt, arg, "not an address (A.B.C.D[:PORT] or [V6]:PORT)");
	return 0;
}

static void defaults(struct lb_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sessions = 100;
	o->tunnels = 1;
	o->window = 1000;
	o->auth = LB_AUTH_PAP;
	o->user_fmt = "bench";
	o->password = "bench";
	o->hostname = "l2tp-bench";
	o->pps = 1000;
	o->size = 128;
	snprintf(o->size_str, sizeof(o->size_str), "128");
	o->timeout_s = 30;
	o->label = "lns";
}

static int parse_auth(const char *arg, enum lb_auth *a)
{
	for (int i = LB_AUTH_PAP; i <= LB_AUTH_MIX; i++) {
		if (!strcmp(arg, lb_auth_name((enum lb_auth)i))) {
			*a = (enum lb_auth)i;
			return 0;
		}
	}
	return bad("--auth", arg, "pap, chap, mschapv2 or mix expected");
}

static int parse_size(const char *arg, struct lb_opts *o)
{
	uint32_t v;

	if (!strcmp(arg, "imix")) {
		o->size = LB_SIZE_IMIX;
		snprintf(o->size_str, sizeof(o->size_str), "imix");
		return 0;
	}
	if (parse_u32("--size", arg, LB_MIN_SIZE, LB_MAX_SIZE, &v) < 0)
		return -1;
	o->size = v;
	snprintf(o->size_str, sizeof(o->size_str), "%u", v);
	return 0;
}

/* One option; -1 on a bad value. */
static int parse_one(int c, const char *arg, struct lb_opts *o)
{
	uint32_t v;

	switch (c) {
	case 'n':
		return parse_u32("--sessions", arg, 1, 100000000, &o->sessions);
	case 't':
		return parse_u32("--tunnels", arg, 1, 65535, &o->tunnels);
	case 'r':
		return parse_double("--rate", arg, 0, 1e9, &o->rate);
	case 'w':
		return parse_u32("--window", arg, 1, 100000000, &o->window);
	case OPT_AUTH:
		return parse_auth(arg, &o->auth);
	case OPT_USER:
		if (!*arg || strlen(arg) > 200)
			return bad("--user", arg, "1 to 200 characters expected");
		o->user_fmt = arg;
		return 0;
	case OPT_PASSWORD:
		o->password = arg;
		return 0;
	case OPT_PROXY:
		return parse_u32("--proxy", arg, 0, 100, &o->proxy_percent);
	case OPT_HOSTNAME:
		o->hostname = arg;
		return 0;
	case OPT_SECRET:
		o->secret = arg;
		return 0;
	case OPT_HIDE:
		o->hide = true;
		return 0;
	case OPT_BIND:
		o->bind_set = true;
		return parse_addr("--bind", arg, 0, &o->bind);
	case OPT_HOLD:
		return parse_double("--hold", arg, 0, 1e7, &o->hold_s);
	case OPT_TRAFFIC:
		return parse_double("--traffic", arg, 0, 1e7, &o->traffic_s);
	case OPT_PPS:
		return parse_double("--pps", arg, 0.001, 1e8, &o->pps);
	case OPT_SIZE:
		return parse_size(arg, o);
	case OPT_SINK:
		o->sink_set = true;
		if (parse_addr("--sink", arg, 0, &o->sink) < 0)
			return -1;
		if (o->sink.sa.sa_family != AF_INET || !udp_addr_port(&o->sink))
			return bad("--sink", arg, "an IPv4 ADDR:PORT expected (traffic is IPv4)");
		return 0;
	case OPT_LNS_PID:
		if (parse_u32("--lns-pid", arg, 1, INT32_MAX, &v) < 0)
			return -1;
		o->lns_pid = (pid_t)v;
		return 0;
	case OPT_TIMEOUT:
		return parse_double("--timeout", arg, 0.1, 3600, &o->timeout_s);
	case OPT_LABEL:
		o->label = arg;
		return 0;
	case OPT_JSON:
		o->json_path = arg;
		return 0;
	case OPT_TIMELINE:
		o->timeline_path = arg;
		return 0;
	case OPT_REQUIRE_ALL:
		o->require_all = true;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	default:
		return -1;
	}
}

/* What a combination of options makes impossible. */
static int check(struct lb_opts *o)
{
	uint32_t per_tunnel = o->sessions / o->tunnels + (o->sessions % o->tunnels != 0);

	if (per_tunnel > 65535) {
		fprintf(stderr,
		        "l2tp-bench: %u sessions over %u tunnels: more than 65535 per tunnel\n",
		        o->sessions, o->tunnels);
		return -1;
	}
	if (o->hide && !o->secret) {
		fprintf(stderr, "l2tp-bench: --hide needs --secret\n");
		return -1;
	}
	if (o->traffic_s > 0 && !o->sink_set) {
		fprintf(stderr, "l2tp-bench: --traffic needs --sink ADDR:PORT\n");
		return -1;
	}
	return 0;
}

int lb_opts_parse(int argc, char **argv, struct lb_opts *o)
{
	int c;

	defaults(o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:t:r:w:qh", lb_long_opts, NULL)) != -1) {
		if (c == 'h') {
			lb_opts_usage(stdout);
			return 1;
		}
		if (c == '?' || parse_one(c, optarg, o) < 0) {
			if (c == '?')
				lb_opts_usage(stderr);
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "l2tp-bench: one LNS_ADDR[:PORT] expected\n");
		lb_opts_usage(stderr);
		return -1;
	}
	if (parse_addr("LNS_ADDR", argv[optind], LB_L2TP_PORT, &o->lns) < 0)
		return -1;
	udp_addr_str(&o->lns, o->lns_str, sizeof(o->lns_str));
	if (o->bind_set && o->bind.sa.sa_family != o->lns.sa.sa_family) {
		fprintf(stderr,
		        "l2tp-bench: --bind and the LNS address are of different families\n");
		return -1;
	}
	return check(o);
}
