/* A bare struct l2tpd for unit tests that drive tunnels and sessions
 * without l2tpd_init(): its own loop, logging at err, the lists and id
 * tables, nothing else (no sockets, TUN or fast path). Include after
 * cmocka.h. */
#ifndef L2TPD_TESTS_DAEMON_FIXTURE_H
#define L2TPD_TESTS_DAEMON_FIXTURE_H

#include "daemon/daemon.h"
#include "daemon/idtable.h"
#include "daemon/log.h"

static inline void daemon_fixture_init(struct l2tpd *d)
{
	d->loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(d->loop);
	log_init(&d->log, LOG_LEVEL_ERR, false);
	list_init(&d->tunnel_list);
	list_init(&d->half_open);
	list_init(&d->reap);
	list_init(&d->destinations);
	assert_int_equal(idtable_init(&d->tunnels, 16), 0);
	assert_int_equal(idtable_init(&d->sessions, 16), 0);
}

#endif
