/* tun-setup: drive src/dataplane/tun.c from a test script.
 *
 *   tun-setup NAME QUEUES CMD...
 *
 * Opens the TUN NAME with QUEUES queues, runs each command in order and
 * prints "ok CMD ARG" or "error CMD ARG ERRNO-NAME" for each, then "ready"
 * and holds the TUN open (it is not persistent) until SIGTERM. Commands:
 *   mtu N | up | addr4 LOCAL PEER PLEN | addr6 LOCAL PLEN
 *   route4 DST/PLEN | delroute4 DST/PLEN | route6 DST/PLEN | delroute6 DST/PLEN */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/tun.h"

static volatile sig_atomic_t done;

static void on_term(int sig)
{
	(void)sig;
	done = 1;
}

static const char *errname(int err)
{
	switch (err) {
	case 0:
		return "0";
	case EEXIST:
		return "EEXIST";
	case ESRCH:
		return "ESRCH";
	case EINVAL:
		return "EINVAL";
	case ENODEV:
		return "ENODEV";
	default:
		return strerror(err);
	}
}

/* "A/P" into addr (of family) and *plen. */
static int parse_prefix(int family, const char *s, void *addr, unsigned *plen)
{
	char buf[64];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	*plen = (unsigned)atoi(slash + 1);
	return inet_pton(family, buf, addr) == 1 ? 0 : -EINVAL;
}

static int run_cmd(struct tun *t, char **argv, int *used)
{
	const char *cmd = argv[0];
	struct in6_addr a6, p6;
	struct in_addr a4, p4;
	unsigned plen;

	*used = 1;
	if (strcmp(cmd, "mtu") == 0 && argv[1]) {
		*used = 2;
		return tun_set_mtu(t, (unsigned)atoi(argv[1]));
	}
	if (strcmp(cmd, "up") == 0)
		return tun_set_up(t);
	if (strcmp(cmd, "addr4") == 0 && argv[1] && argv[2] && argv[3]) {
		*used = 4;
		if (inet_pton(AF_INET, argv[1], &a4) != 1 || inet_pton(AF_INET, argv[2], &p4) != 1)
			return -EINVAL;
		return tun_add_address(t, AF_INET, &a4, &p4, (unsigned)atoi(argv[3]));
	}
	if (strcmp(cmd, "addr6") == 0 && argv[1] && argv[2]) {
		*used = 3;
		if (inet_pton(AF_INET6, argv[1], &a6) != 1)
			return -EINVAL;
		return tun_add_address(t, AF_INET6, &a6, NULL, (unsigned)atoi(argv[2]));
	}
	if ((strcmp(cmd, "route4") == 0 || strcmp(cmd, "delroute4") == 0) && argv[1]) {
		*used = 2;
		if (parse_prefix(AF_INET, argv[1], &p4, &plen) < 0)
			return -EINVAL;
		return cmd[0] == 'd' ? tun_del_route(t, AF_INET, &p4, plen)
				     : tun_add_route(t, AF_INET, &p4, plen);
	}
	if ((strcmp(cmd, "route6") == 0 || strcmp(cmd, "delroute6") == 0) && argv[1]) {
		*used = 2;
		if (parse_prefix(AF_INET6, argv[1], &p6, &plen) < 0)
			return -EINVAL;
		return cmd[0] == 'd' ? tun_del_route(t, AF_INET6, &p6, plen)
				     : tun_add_route(t, AF_INET6, &p6, plen);
	}
	fprintf(stderr, "tun-setup: unknown command or missing argument: %s\n", cmd);
	exit(2);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };
	struct tun t;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: tun-setup NAME QUEUES CMD...\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = tun_open(&t, argv[1], (unsigned)atoi(argv[2]));
	if (rc < 0) {
		printf("error open %s %s\n", argv[1], errname(-rc));
		return 1;
	}
	printf("ok open %s ifindex %d queues %u\n", t.name, t.ifindex, t.n_queues);
	for (int i = 3; i < argc;) {
		int used;

		rc = run_cmd(&t, &argv[i], &used);
		printf("%s %s %s%s%s\n", rc < 0 ? "error" : "ok", argv[i],
		       used > 1 ? argv[i + 1] : "", rc < 0 ? " " : "", rc < 0 ? errname(-rc) : "");
		i += used;
	}
	printf("ready\n");
	while (!done)
		pause();
	tun_close(&t);
	return 0;
}
