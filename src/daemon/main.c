/* l2tpd: the L2TP daemon (LAC and LNS). Options in l2tpd(8). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "sessppp.h"

#ifndef L2TPD_VERSION
#define L2TPD_VERSION "0.1.0"
#endif

static void usage(FILE *out)
{
	fprintf(out, "usage: l2tpd [-d] [-p PIDFILE] -c FILE\n"
		     "       l2tpd -n -c FILE\n"
		     "  -c FILE     configuration file (l2tpd.conf(5))\n"
		     "  -d          daemonize and log to syslog (default: foreground, stderr)\n"
		     "  -n          check the configuration and exit\n"
		     "  -p PIDFILE  write the process id there\n"
		     "  -h          this help\n"
		     "  -V          version\n");
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *pidfile = NULL;
	bool check = false, daemonize = false;
	struct config *cfg = NULL;
	struct l2tpd d;
	char err[512];
	int opt, rc;

	while ((opt = getopt(argc, argv, "c:dnp:hV")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			daemonize = true;
			break;
		case 'n':
			check = true;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("l2tpd %s\n", L2TPD_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return 2;
	}
	err[0] = '\0';
	rc = config_load(path, &cfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "l2tpd: %s\n", err[0] ? err : strerror(-rc));
		return 1;
	}
	if (check) {
		rc = sessppp_check(cfg, err, sizeof(err));
		config_free(cfg);
		if (rc < 0) {
			fprintf(stderr, "l2tpd: %s\n", err[0] ? err : strerror(-rc));
			return 1;
		}
		printf("l2tpd: %s: configuration OK\n", path);
		return 0;
	}
	/* The control socket's clients may go away mid-reply. */
	signal(SIGPIPE, SIG_IGN);
	rc = l2tpd_init(&d, cfg, path, false);
	if (rc < 0) {
		fprintf(stderr, "l2tpd: cannot start: %s\n", strerror(-rc));
		l2tpd_fini(&d);
		return 1;
	}
	if (daemonize) {
		/* Sockets are bound first so errors reach the terminal. */
		if (daemon(0, 0) < 0) {
			fprintf(stderr, "l2tpd: daemon: %s\n", strerror(errno));
			l2tpd_fini(&d);
			return 1;
		}
		ev_loop_fork(d.loop);
		log_close(&d.log);
		log_init(&d.log, d.log.level, true);
	}
	if (pidfile && (rc = write_pidfile(pidfile)) < 0)
		log_err(&d.log, "cannot write pidfile path=%s error=%s", pidfile, strerror(-rc));
	rc = l2tpd_run(&d);
	l2tpd_fini(&d);
	if (pidfile)
		unlink(pidfile);
	return rc;
}
