/* The daemon's context and lifecycle: sockets, dispatch of datagrams, the
 * reaper, signals, reload, drain and graceful stop. */
#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "config.h"
#include "ctl.h"
#include "ctl_cmds.h"
#include "destination.h"
#include "sessppp.h"
#include "session.h"
#include "tunnel.h"

#define L2TPD_STOP_GRACE 3.0 /* seconds to wait for StopCCN acks at shutdown */

/* The transport's and PPP's clock. Monotonic, not ev_now(): libev's loop
 * time follows the wall clock, and an NTP step would fire or stall every
 * retransmission deadline at once. */
uint64_t l2tpd_now_ms(const struct l2tpd *d)
{
	struct timespec ts;

	(void)d;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void l2tpd_random(void *buf, size_t len)
{
	l2tp_random_bytes(buf, len);
}

void l2tpd_schedule_reap(struct l2tpd *d, struct tunnel *t)
{
	if (t->reaping)
		return;
	t->reaping = true;
	ev_timer_stop(d->loop, &t->rt_timer);
	ev_timer_stop(d->loop, &t->hello_timer);
	ev_timer_stop(d->loop, &t->linger_timer);
	list_add_tail(&d->reap, &t->reap_node);
}

struct udp_sock *l2tpd_sock_for(struct l2tpd *d, const union udp_addr *peer)
{
	for (size_t i = 0; i < d->n_socks; i++)
		if (d->socks[i].family == peer->sa.sa_family)
			return &d->socks[i];
	return NULL;
}

static void l2tpd_drop(struct l2tpd *d, const struct udp_rx *rx, int err)
{
	char peer[UDP_ADDRSTR_LEN];

	d->stats.malformed[-err < L2TP_E_COUNT ? -err : 0]++;
	log_ratelimited(&d->log, LOG_LEVEL_INFO, "dropped datagram peer=%s len=%zu reason=%s",
			udp_addr_str(&rx->peer, peer, sizeof(peer)), rx->len, l2tp_strerror(err));
}

void l2tpd_input(struct l2tpd *d, struct udp_sock *s, struct udp_rx *rx)
{
	struct l2tp_header h;
	struct tunnel *t;
	int rc;

	rc = l2tp_header_parse(rx->buf, rx->len, &h);
	if (rc < 0) {
		l2tpd_drop(d, rx, rc);
		return;
	}
	if (h.is_control) {
		if (h.tunnel_id == 0) {
			tunnel_accept(d, s, rx, &h);
			return;
		}
		t = idtable_find(&d->tunnels, h.tunnel_id);
		if (!t) {
			d->stats.unknown_tunnel++;
			log_ratelimited(&d->log, LOG_LEVEL_INFO,
					"dropped control message tunnel=%u peer=%s "
					"reason=no such tunnel",
					h.tunnel_id,
					udp_addr_str(&rx->peer, (char[UDP_ADDRSTR_LEN]){ 0 },
						     UDP_ADDRSTR_LEN));
			return;
		}
		tunnel_input(t, rx, &h);
		return;
	}
	/* Data is the fast path's (the socket callback hands it whole
	 * batches; this is a datagram that came here on its own). It never
	 * hands data back here, so this does not recurse. */
	if (d->fp)
		fastpath_udp_input(d->fp, s, rx, 1);
	else
		d->stats.unknown_session++;
}

/* The fast path's view of our tables: the session by (tunnel id, session
 * id) through the same O(1) idtable as control messages, once the call is
 * established (its fp_session is filled then). */
static struct fp_session *l2tpd_fp_lookup(void *ctx, uint16_t tunnel_id, uint16_t session_id)
{
	struct l2tpd *d = ctx;
	struct session *s = session_find(d, tunnel_id, session_id);

	return s && s->state == SESSION_ESTABLISHED ? &s->fp : NULL;
}

static void l2tpd_fp_control(void *ctx, struct udp_sock *sock, struct udp_rx *rx)
{
	l2tpd_input(ctx, sock, rx);
}

static void l2tpd_fp_slow(void *ctx, struct fp_session *fs, uint8_t *frame, size_t len)
{
	struct session *s = fs->owner;

	(void)ctx;
	if (s->data_cb)
		s->data_cb(s, frame, len, s->data_arg);
}

static const struct fastpath_ops l2tpd_fp_ops = {
	.lookup = l2tpd_fp_lookup,
	.control = l2tpd_fp_control,
	.slow = l2tpd_fp_slow,
};

int l2tpd_data_tun(struct l2tpd *d, int fd)
{
	tun_io_fini(&d->tun_io);
	/* io_uring: one kernel crossing per batch of TUN writes, measured
	 * +18% (64 B) to +24% (1400 B) over a write() each (tun.c); it
	 * falls back to write() where io_uring is disabled. */
	return tun_io_init(&d->tun_io, fd, fd >= 0 ? TUN_IO_URING : TUN_IO_SYSCALL,
			   FASTPATH_BATCH);
}

static void l2tpd_sock_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct l2tpd *d = ev_userdata(loop);
	struct udp_sock *s = w->data;
	int n;

	(void)revents;
	/* A few batches per wakeup, then back to the loop so timers and other
	 * sockets get their turn under load. */
	for (int round = 0; round < 4; round++) {
		n = udp_recv_batch(s, d->batch);
		if (n < 0) {
			log_ratelimited(&d->log, LOG_LEVEL_WARN, "receive failed error=%s",
					strerror(-n));
			return;
		}
		if (d->fp)
			fastpath_udp_input(d->fp, s, d->batch->rx, (unsigned)n);
		else
			for (int i = 0; i < n; i++)
				l2tpd_input(d, s, &d->batch->rx[i]);
		if (n < UDP_BATCH)
			return;
	}
}

static bool l2tpd_all_acked(struct l2tpd *d)
{
	struct list_node *pos, *tmp;

	list_for_each_safe(pos, tmp, &d->tunnel_list) {
		struct tunnel *t = list_entry(pos, struct tunnel, node);

		if (!t->reaping && !t->dead && !l2tp_rt_idle(t->rt))
			return false;
	}
	return true;
}

/* Frees tunnels outside of any transport callback (the transport must
 * not be freed from its own callbacks), once per loop iteration. */
static void l2tpd_reaper_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct l2tpd *d = w->data;

	(void)revents;
	while (!list_empty(&d->reap))
		tunnel_destroy(list_entry(d->reap.next, struct tunnel, reap_node));
	if (d->stopping && l2tpd_all_acked(d)) {
		log_info(&d->log, "shutdown complete tunnels=%u", d->n_tunnels);
		ev_break(loop, EVBREAK_ALL);
	}
}

static void l2tpd_stop_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct l2tpd *d = w->data;

	(void)revents;
	log_warn(&d->log, "shutdown grace over tunnels=%u reason=StopCCN not acknowledged",
		 d->n_tunnels);
	ev_break(loop, EVBREAK_ALL);
}

void l2tpd_stop(struct l2tpd *d)
{
	struct list_node *pos, *tmp;

	if (d->stopping)
		return;
	d->stopping = true;
	log_info(&d->log, "shutting down tunnels=%u sessions=%u", d->n_tunnels, d->n_sessions);
	list_for_each_safe(pos, tmp, &d->tunnel_list) {
		struct tunnel *t = list_entry(pos, struct tunnel, node);

		tunnel_close(t, L2TP_STOPCCN_SHUTTING_DOWN, -1, "requester is being shut down");
	}
	ev_timer_set(&d->stop_timer, L2TPD_STOP_GRACE, 0.0);
	ev_timer_start(d->loop, &d->stop_timer);
}

static void l2tpd_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct l2tpd *d = w->data;
	char err[512];

	(void)loop;
	(void)revents;
	if (w->signum == SIGHUP) {
		log_info(&d->log, "reload requested signal=SIGHUP");
		l2tpd_reload(d, err, sizeof(err));
		return;
	}
	if (d->stopping) {
		log_warn(&d->log, "second stop signal: exiting now");
		ev_break(d->loop, EVBREAK_ALL);
		return;
	}
	log_info(&d->log, "stop requested signal=%s", w->signum == SIGTERM ? "SIGTERM" : "SIGINT");
	l2tpd_stop(d);
}

int l2tpd_reload(struct l2tpd *d, char *err, size_t errlen)
{
	struct config *cfg, *old;
	int rc;

	err[0] = '\0';
	rc = config_load(d->config_path, &cfg, err, errlen);
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "%s: %s", d->config_path, strerror(-rc));
		log_err(&d->log, "reload failed, keeping the running configuration reason=%s",
			err);
		return rc;
	}
	rc = sessppp_reload(d, cfg, err, errlen);
	if (rc < 0) {
		log_err(&d->log, "reload failed, keeping the running configuration reason=%s",
			err);
		config_free(cfg);
		return rc;
	}
	if (cfg->global.n_listen != d->cfg->global.n_listen)
		log_warn(&d->log, "reload: listen addresses change only on restart");
	old = d->cfg;
	d->cfg = cfg;
	d->log.level = (enum log_level)cfg->global.log_level;
	/* Destinations point into the configuration: re-point them before the
	 * old one goes. Running tunnels copied what they need. */
	destination_sync_config(d);
	config_free(old);
	log_info(&d->log, "reloaded config=%s lns=%zu lac=%zu", d->config_path, cfg->n_lns,
		 cfg->n_lac);
	return 0;
}

static int l2tpd_open_sockets(struct l2tpd *d)
{
	const struct config_global *g = &d->cfg->global;
	int rc;

	d->socks = calloc(g->n_listen ? g->n_listen : 1, sizeof(*d->socks));
	d->sock_watchers = calloc(g->n_listen ? g->n_listen : 1, sizeof(*d->sock_watchers));
	if (!d->socks || !d->sock_watchers)
		return -ENOMEM;
	for (size_t i = 0; i < g->n_listen; i++) {
		union udp_addr a;
		char str[UDP_ADDRSTR_LEN];

		memset(&a, 0, sizeof(a));
		memcpy(&a.ss, &g->listen[i].addr, g->listen[i].len);
		rc = udp_open(&d->socks[i], &a);
		if (rc < 0) {
			log_err(&d->log, "cannot listen address=%s error=%s",
				udp_addr_str(&a, str, sizeof(str)), strerror(-rc));
			return rc;
		}
		d->n_socks++;
		ev_io_init(&d->sock_watchers[i], l2tpd_sock_cb, d->socks[i].fd, EV_READ);
		d->sock_watchers[i].data = &d->socks[i];
		ev_io_start(d->loop, &d->sock_watchers[i]);
		log_info(&d->log, "listening address=%s", udp_addr_str(&a, str, sizeof(str)));
	}
	return 0;
}

int l2tpd_init(struct l2tpd *d, struct config *cfg, const char *config_path, bool use_syslog)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	log_init(&d->log, (enum log_level)cfg->global.log_level, use_syslog);
	list_init(&d->tunnel_list);
	list_init(&d->half_open);
	list_init(&d->reap);
	list_init(&d->destinations);
	d->config_path = strdup(config_path);
	d->batch = malloc(sizeof(*d->batch));
	d->loop = ev_default_loop(EVFLAG_AUTO);
	if (!d->config_path || !d->batch || !d->loop)
		return -ENOMEM;
	ev_set_userdata(d->loop, d);
	if (idtable_init(&d->tunnels, 64) < 0 || idtable_init(&d->sessions, 256) < 0)
		return -ENOMEM;
	/* No TUN yet (sessppp attaches the LNS one): a packet for the TUN
	 * before then fails its write() on fd -1 and is counted. */
	rc = l2tpd_data_tun(d, -1);
	if (rc < 0)
		return rc;
	d->fp = calloc(1, sizeof(*d->fp));
	if (!d->fp || fastpath_init(d->fp, &d->tun_io, &l2tpd_fp_ops, d, 256) < 0) {
		free(d->fp);
		d->fp = NULL;
		return -ENOMEM;
	}

	rc = l2tpd_open_sockets(d);
	if (rc < 0)
		return rc;
	if (cfg->global.control) {
		rc = ctl_new(d->loop, cfg->global.control, NULL, &d->ctl);
		if (rc < 0) {
			log_err(&d->log, "cannot open control socket path=%s error=%s",
				cfg->global.control, strerror(-rc));
			return rc;
		}
		rc = ctl_cmds_register(d);
		if (rc < 0)
			return rc;
	}
	destination_sync_config(d);
	{
		char err[512];

		rc = sessppp_init(d, err, sizeof(err));
		if (rc < 0) {
			log_err(&d->log, "cannot start reason=%s", err[0] ? err : strerror(-rc));
			return rc;
		}
	}

	ev_prepare_init(&d->reaper, l2tpd_reaper_cb);
	d->reaper.data = d;
	ev_prepare_start(d->loop, &d->reaper);
	ev_unref(d->loop); /* the reaper alone does not keep the loop alive */
	ev_init(&d->stop_timer, l2tpd_stop_timer_cb);
	d->stop_timer.data = d;
	ev_signal_init(&d->sig_term, l2tpd_signal_cb, SIGTERM);
	ev_signal_init(&d->sig_int, l2tpd_signal_cb, SIGINT);
	ev_signal_init(&d->sig_hup, l2tpd_signal_cb, SIGHUP);
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
	ev_signal_start(d->loop, &d->sig_term);
	ev_signal_start(d->loop, &d->sig_int);
	ev_signal_start(d->loop, &d->sig_hup);
	log_info(&d->log, "started hostname=%s lns=%zu lac=%zu",
		 cfg->global.hostname ? cfg->global.hostname : "-", cfg->n_lns, cfg->n_lac);
	sessppp_autostart(d);
	return 0;
}

int l2tpd_run(struct l2tpd *d)
{
	ev_run(d->loop, 0);
	return d->exit_code;
}

void l2tpd_fini(struct l2tpd *d)
{
	struct list_node *pos, *tmp;

	if (d->loop) {
		/* Acknowledge what we can before going (a peer's last StopCCN). */
		list_for_each_safe(pos, tmp, &d->tunnel_list) {
			struct tunnel *t = list_entry(pos, struct tunnel, node);

			if (!t->dead)
				l2tp_rt_flush_ack(t->rt, l2tpd_now_ms(d));
			t->dead = false; /* no failover while everything goes */
			if (!t->reaping)
				l2tpd_schedule_reap(d, t);
		}
		d->stopping = true;
		while (!list_empty(&d->reap))
			tunnel_destroy(list_entry(d->reap.next, struct tunnel, reap_node));
		if (d->reaper.active) {
			ev_ref(d->loop);
			ev_prepare_stop(d->loop, &d->reaper);
		}
		ev_timer_stop(d->loop, &d->stop_timer);
		ev_signal_stop(d->loop, &d->sig_term);
		ev_signal_stop(d->loop, &d->sig_int);
		ev_signal_stop(d->loop, &d->sig_hup);
		for (size_t i = 0; i < d->n_socks; i++)
			ev_io_stop(d->loop, &d->sock_watchers[i]);
	}
	if (d->ctl)
		ctl_free(d->ctl);
	sessppp_fini(d);
	if (d->fp) {
		fastpath_fini(d->fp);
		free(d->fp);
		d->fp = NULL;
	}
	tun_io_fini(&d->tun_io);
	destination_free_all(d);
	for (size_t i = 0; i < d->n_socks; i++)
		udp_close(&d->socks[i]);
	free(d->socks);
	free(d->sock_watchers);
	free(d->batch);
	idtable_destroy(&d->tunnels);
	idtable_destroy(&d->sessions);
	if (d->cfg)
		config_free(d->cfg);
	free(d->config_path);
	log_close(&d->log);
	if (d->loop)
		ev_loop_destroy(d->loop);
	d->loop = NULL;
}
