/* The LAC mode's command line (see man/l2tp-bench.1). */
#ifndef L2TPD_BENCH_LB_OPTS_H
#define L2TPD_BENCH_LB_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "daemon/udp.h"

enum lb_auth {
	LB_AUTH_PAP,
	LB_AUTH_CHAP,
	LB_AUTH_MSCHAPV2,
	LB_AUTH_MIX, /* session i uses method i % 3 */
};

#define LB_SIZE_IMIX 0 /* --size imix */

struct lb_opts {
	union udp_addr lns;
	char lns_str[UDP_ADDRSTR_LEN];
	uint32_t sessions;
	uint32_t tunnels;
	double rate; /* setups per second; 0: window only */
	uint32_t window;
	enum lb_auth auth;
	const char *user_fmt;
	const char *password;
	unsigned proxy_percent;
	const char *hostname;
	const char *secret;
	bool hide;
	union udp_addr bind;
	bool bind_set;
	double hold_s;
	double traffic_s;
	double pps;
	unsigned size; /* IP packet octets, or LB_SIZE_IMIX */
	char size_str[8];
	union udp_addr sink;
	bool sink_set;
	pid_t lns_pid; /* 0: none */
	double timeout_s;
	const char *label;
	const char *json_path;
	const char *timeline_path;
	bool require_all;
	bool quiet;
};

/* Parse argv (argv[0] is the program). 0, or -1 after printing why to
 * stderr; 1 when --help printed the usage (exit 0). */
int lb_opts_parse(int argc, char **argv, struct lb_opts *o);
void lb_opts_usage(FILE *f);
const char *lb_auth_name(enum lb_auth a);

#endif
