/* Tunnel and session state machines driven by a fake peer in-process:
 * the peer builds messages with l2tp_builder and feeds them to the daemon's
 * input (l2tpd_input); what the daemon sends goes out of a real loopback
 * UDP socket to the peer's socket, where it is parsed back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_fixture.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/destination.h"
#include "daemon/session.h"
#include "daemon/tunnel.h"
#include "l2tp/hidden.h"

#define SECRET "t0ps3cret"

struct peer {
	int fd;
	union udp_addr addr;
	uint16_t ns, nr;
	uint16_t tid;           /* our (the fake peer's) tunnel id */
	uint16_t daemon_tid;    /* the daemon's tunnel id, once learnt */
	const char *secret;
	uint8_t buf[4096];      /* last message received */
	struct l2tp_msg m;
	unsigned zlbs;
};

struct fx {
	struct l2tpd d;
	struct udp_sock sock;
	struct peer p;
	char path[64];
};

static void fx_config(struct fx *f, const char *lns_extra)
{
	FILE *c;
	char err[256];
	int fd;

	strcpy(f->path, "/tmp/test_tunnel.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	c = fdopen(fd, "w");
	fprintf(c, "[global]\nlisten = 127.0.0.1:1701\nhostname = dut\nlog_level = err\n"
		   "retransmit_initial = 1\nretransmit_cap = 2\nretransmit_max = 2\n"
		   "[lns any]\npeer = 127.0.0.0/8\nlocal_ip = 10.100.0.1\n"
		   "pool = 10.100.0.2-10.100.0.254\nmax_sessions_per_tunnel = 3\n%s\n",
		lns_extra);
	fclose(c);
	assert_int_equal(config_load(f->path, &f->d.cfg, err, sizeof(err)), 0);
}

static int fx_setup_with(void **state, const char *lns_extra)
{
	struct fx *f = calloc(1, sizeof(*f));
	union udp_addr a;

	assert_non_null(f);
	daemon_fixture_init(&f->d);
	fx_config(f, lns_extra);

	/* The daemon's socket and the peer's, both on loopback. */
	assert_int_equal(udp_addr_parse("127.0.0.1:0", 0, &a), 0);
	assert_int_equal(udp_open(&f->sock, &a), 0);
	f->d.socks = &f->sock;
	f->d.n_socks = 1;
	{
		struct udp_sock ps;
		socklen_t len = sizeof(f->p.addr);

		assert_int_equal(udp_open(&ps, &a), 0);
		f->p.fd = ps.fd;
		getsockname(ps.fd, &f->p.addr.sa, &len);
	}
	f->p.tid = 100;
	*state = f;
	return 0;
}

static int fx_setup(void **state)
{
	return fx_setup_with(state, "");
}

static int fx_setup_secret(void **state)
{
	int rc = fx_setup_with(state, "secret = " SECRET);

	((struct fx *)*state)->p.secret = SECRET;
	return rc;
}

static void fx_reap(struct fx *f)
{
	while (!list_empty(&f->d.reap))
		tunnel_destroy(list_entry(f->d.reap.next, struct tunnel, reap_node));
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	struct list_node *pos, *tmp;

	list_for_each_safe(pos, tmp, &f->d.tunnel_list)
		l2tpd_schedule_reap(&f->d, list_entry(pos, struct tunnel, node));
	f->d.stopping = true;
	fx_reap(f);
	destination_free_all(&f->d);
	udp_close(&f->sock);
	close(f->p.fd);
	idtable_destroy(&f->d.tunnels);
	idtable_destroy(&f->d.sessions);
	config_free(f->d.cfg);
	unlink(f->path);
	ev_loop_destroy(f->d.loop);
	free(f);
	return 0;
}

/* ---- the fake peer */

static void peer_start(struct peer *p, struct l2tp_builder *b, uint8_t *buf, size_t cap,
		       uint16_t sid, uint16_t type)
{
	l2tp_builder_init(b, buf, cap, p->daemon_tid, sid, type);
	if (p->secret) {
		b->secret.data = (const uint8_t *)p->secret;
		b->secret.len = strlen(p->secret);
	}
}

/* Finish, number and feed the message to the daemon. */
static void peer_send_raw(struct fx *f, uint8_t *buf, size_t len)
{
	struct udp_rx rx = { .buf = buf, .len = len, .peer = f->p.addr };

	l2tpd_input(&f->d, &f->sock, &rx);
}

static void peer_send(struct fx *f, struct l2tp_builder *b)
{
	int len = l2tp_builder_finish(b);

	assert_true(len > 0);
	l2tp_header_set_sequence(b->buf, f->p.ns++, f->p.nr);
	peer_send_raw(f, b->buf, (size_t)len);
}

/* The next non-ZLB message from the daemon into f->p.m, or 0 if none
 * came within wait_ms. */
static int peer_recv(struct fx *f, int wait_ms)
{
	struct l2tp_secret sec = { (const uint8_t *)f->p.secret,
				   f->p.secret ? strlen(f->p.secret) : 0 };
	struct pollfd pfd = { .fd = f->p.fd, .events = POLLIN };
	struct l2tp_header h;

	for (;;) {
		ssize_t n;

		if (poll(&pfd, 1, wait_ms) <= 0)
			return 0;
		n = recv(f->p.fd, f->p.buf, sizeof(f->p.buf), 0);
		assert_true(n > 0);
		assert_int_equal(l2tp_header_parse(f->p.buf, (size_t)n, &h), 0);
		assert_true(h.is_control);
		if (h.length == L2TP_CONTROL_HEADER_LEN) {
			f->p.zlbs++;
			continue;
		}
		assert_int_equal(l2tp_msg_parse(f->p.buf, (size_t)n, sec.len ? &sec : NULL, &f->p.m),
				 0);
		f->p.nr = (uint16_t)(h.ns + 1);
		return 1;
	}
}

static uint16_t peer_expect(struct fx *f, uint16_t type)
{
	assert_int_equal(peer_recv(f, 200), 1);
	if (f->p.m.type != type)
		fail_msg("expected %s, got %s", l2tp_msg_name(type), l2tp_msg_name(f->p.m.type));
	return f->p.m.type;
}

static void peer_put_tunnel_avps(struct fx *f, struct l2tp_builder *b)
{
	l2tp_builder_put_u16(b, L2TP_AVP_PROTOCOL_VERSION, 0x0100);
	l2tp_builder_put_u32(b, L2TP_AVP_FRAMING_CAPABILITIES, 3);
	l2tp_builder_put_string(b, L2TP_AVP_HOST_NAME, "fake-peer");
	l2tp_builder_put_u16(b, L2TP_AVP_ASSIGNED_TUNNEL_ID, f->p.tid);
	l2tp_builder_put_u16(b, L2TP_AVP_RECEIVE_WINDOW_SIZE, 8);
}

static void peer_sccrq(struct fx *f, const uint8_t *challenge, const uint8_t *tie)
{
	uint8_t buf[512];
	struct l2tp_builder b;

	f->p.daemon_tid = 0;
	peer_start(&f->p, &b, buf, sizeof(buf), 0, L2TP_MSG_SCCRQ);
	peer_put_tunnel_avps(f, &b);
	if (tie)
		l2tp_builder_put(&b, L2TP_AVP_TIE_BREAKER, tie, 8);
	if (challenge)
		l2tp_builder_put(&b, L2TP_AVP_CHALLENGE, challenge, 16);
	peer_send(f, &b);
}

static struct tunnel *dut_tunnel(struct fx *f)
{
	return f->p.daemon_tid ? idtable_find(&f->d.tunnels, f->p.daemon_tid) : NULL;
}

static void expect_stopccn(struct fx *f, uint16_t result)
{
	struct l2tp_result r;

	peer_expect(f, L2TP_MSG_STOPCCN);
	assert_int_equal(l2tp_msg_result(&f->p.m, &r), 0);
	assert_int_equal(r.result, result);
}

/* Responder: SCCRQ -> SCCRP -> SCCCN -> established. */
static void establish_as_responder(struct fx *f)
{
	uint8_t buf[512];
	struct l2tp_builder b;

	peer_sccrq(f, NULL, NULL);
	peer_expect(f, L2TP_MSG_SCCRP);
	f->p.daemon_tid = l2tp_msg_u16(&f->p.m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
	assert_int_not_equal(f->p.daemon_tid, 0);
	assert_int_equal(f->p.m.hdr.tunnel_id, f->p.tid);
	assert_int_equal(dut_tunnel(f)->state, TUNNEL_WAIT_CTL_CONN);
	assert_int_equal(f->d.n_half_open, 1);
	peer_start(&f->p, &b, buf, sizeof(buf), 0, L2TP_MSG_SCCCN);
	peer_send(f, &b);
	assert_int_equal(dut_tunnel(f)->state, TUNNEL_ESTABLISHED);
	assert_int_equal(f->d.n_half_open, 0);
}

static void test_responder_establish(void **state)
{
	struct fx *f = *state;
	struct tunnel *t;

	establish_as_responder(f);
	t = dut_tunnel(f);
	assert_string_equal(t->peer_hostname, "fake-peer");
	assert_int_equal(t->peer_id, f->p.tid);
	assert_int_equal(t->role, TUNNEL_ROLE_LNS);
	assert_int_equal(t->peer_window, 8);
	assert_int_equal(f->d.stats.tunnels_up, 1);
	assert_int_equal(f->d.stats.rx_msg[L2TP_MSG_SCCRQ], 1);
	assert_int_equal(f->d.stats.tx_msg[L2TP_MSG_SCCRP], 1);
	assert_non_null(t->dest);
	assert_string_equal(t->dest->name, "fake-peer");
}

/* A retransmitted SCCRQ (our SCCRP lost) reaches the same tunnel. */
static void test_responder_duplicate_sccrq(void **state)
{
	struct fx *f = *state;
	uint8_t buf[512];
	struct l2tp_builder b;

	peer_sccrq(f, NULL, NULL);
	peer_expect(f, L2TP_MSG_SCCRP);
	f->p.ns = 0; /* same Ns: a retransmission */
	f->p.daemon_tid = 0;
	peer_start(&f->p, &b, buf, sizeof(buf), 0, L2TP_MSG_SCCRQ);
	peer_put_tunnel_avps(f, &b);
	peer_send(f, &b);
	assert_int_equal(f->d.n_tunnels, 1);
}

/* Initiator: SCCRQ -> SCCRP -> SCCCN sent -> established. */
static void test_initiator_establish(void **state)
{
	struct fx *f = *state;
	struct tunnel_params p;
	struct tunnel *t;
	uint8_t buf[512];
	struct l2tp_builder b;
	int err;

	tunnel_params_from_config(&p, &f->d.cfg->global.tunnel, NULL, false, 0);
	t = tunnel_open(&f->d, NULL, &f->p.addr, &p, false, &err);
	assert_non_null(t);
	peer_expect(f, L2TP_MSG_SCCRQ);
	assert_int_equal(f->p.m.hdr.tunnel_id, 0);
	assert_false(f->p.m.avp[L2TP_AVP_TIE_BREAKER].present);
	assert_false(f->p.m.avp[L2TP_AVP_CHALLENGE].present);
	f->p.daemon_tid = l2tp_msg_u16(&f->p.m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
	assert_int_equal(f->p.daemon_tid, t->id);
	peer_start(&f->p, &b, buf, sizeof(buf), 0, L2TP_MSG_SCCRP);
	peer_put_tunnel_avps(f, &b);
	peer_send(f, &b);
	peer_expect(f, L2TP_MSG_SCCCN);
	assert_int_equal(f->p.m.hdr.tunnel_id, f->p.tid);
	assert_int_equal(t->state, TUNNEL_ESTABLISHED);
	assert_int_equal(t->peer_id, f->p.tid);
	assert_int_equal(t->role, TUNNEL_ROLE_LAC);
}

/* Both directions of challenge/response with the right secret. */
static void test_challenge_good(void **state)
{
	struct fx *f = *state;
	struct l2tp_secret sec = { (const uint8_t *)SECRET, strlen(SECRET) };
	uint8_t c1[16], expect[16], resp[16], buf[512];
	struct l2tp_builder b;
	const struct l2tp_avp_value *v;

	memset(c1, 0x5a, sizeof(c1));
	peer_sccrq(f, c1, NULL);
	peer_expect(f, L2TP_MSG_SCCRP);
	f->p.daemon_tid = l2tp_msg_u16(&f->p.m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
	v = &f->p.m.avp[L2TP_AVP_CHALLENGE_RESPONSE];
	assert_true(v->present);
	l2tp_challenge_response(L2TP_MSG_SCCRP, &sec, c1, sizeof(c1), expect);
	assert_memory_equal(v->value, expect, 16);
	v = &f->p.m.avp[L2TP_AVP_CHALLENGE];
	assert_true(v->present);
	assert_int_equal(v->len, 16);
	l2tp_challenge_response(L2TP_MSG_SCCCN, &sec, v->value, v->len, resp);
	peer_start(&f->p, &b, buf, sizeof(buf), 0, L2TP_MSG_SCCCN);
	l2tp_builder_put(&b, L2TP_AVP_CHALLENGE_RESPONSE, resp, 16);
	peer_send(f, &b);
	assert_int_equal(dut_tunnel(f)->state, TUNNEL_ESTABLISHED);
	assert_int_equal(f->d.stats.auth_failures, 0);
}

static void test_challenge_bad_response(void **state)
{
	struct fx *f = *state;
	uint8_t resp[16], buf[512];
	struct l2tp_builder b;

	peer_sccrq(f, NULL, NULL);
	peer_expect(f, L2TP_MSG_SCCRP);
	f->p.daemon_tid = l2tp_msg_u16(&f->p.m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
	assert_true(f->p.m.avp[L2TP_AVP_CHALLENGE].present);
	memset(resp, 0xee, sizeof(resp)); /* what a wrong secret gives */
	peer_start(&f->p, &b, buf, sizeof(buf), 0, L2TP_MSG_SCCCN);
	l2tp_builder_put(&b, L2TP_AVP_CHALLENGE_RESPONSE, resp, 16);
	peer_send(f, &b);
	expect_stopccn(f, L2TP_STOPCCN_NOT_AUTHORIZED);
	assert_int_equal(dut_tunnel(f)->state, TUNNEL_CLOSING);
	assert_int_equal(f->d.stats.auth_failures, 1);
}

static void test_challenge_missing_response(void **state)
{
	struct fx *f = *state;
	uint8_t buf[512];
	struct l2tp_builder b;

	peer_sccrq(f, NULL, NULL);
	peer_expect(f, L2TP_MSG_SCCRP);
	f->p.daemon_tid = l2tp_msg_u16(&f->p.m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
	peer_start(&f->p, &b, buf, sizeof(buf), 0, L2TP_MSG_SCCCN);
	peer_send(f, &b);
	expect_stopccn(f, L2TP_STOPCCN_NOT_AUTHORIZED);
	assert_int_equal(f->d.stats.auth_failures, 1);
}

/* The initiator checks the responder's answer too. */
static void test_challenge_initiator_bad(void **state)
{
	struct fx *f = *state;
	struct tunnel_params p;
	struct tunnel *t;
	uint8_t resp[16] = { 0 }, buf[512];
	struct l2tp_builder b;
	int err;

	tunnel_params_from_config(&p, &f->d.cfg->global.tunnel, SECRET, false, 0);
	t = tunnel_open(&f->d, NULL, &f->p.addr, &p, false, &err);
	assert_non_null(t);
	peer_expect(f, L2TP_MSG_SCCRQ);
	assert_true(f->p.m.avp[L2TP_AVP_CHALLENGE].present);
	f->p.daemon_tid = t->id;
	peer_start(&f->p, &b, buf, sizeof(buf), 0, L2TP_MSG_SCCRP);
	peer_put_tunnel_avps(f, &b);
	l2tp_builder_put(&b, L2TP_AVP_CHALLENGE_RESPONSE, resp, 16);
	peer_send(f, &b);
	expect_stopccn(f, L2TP_STOPCCN_NOT_AUTHORIZED);
	assert_int_equal(t->state, TUNNEL_CLOSING);
}

/* The peer challenges us but we have no secret: refused. */
static void test_challenge_without_secret(void **state)
{
	struct fx *f = *state;
	uint8_t c1[16] = { 1, 2, 3 };

	peer_sccrq(f, c1, NULL);
	expect_stopccn(f, L2TP_STOPCCN_NOT_AUTHORIZED);
	assert_int_equal(f->d.stats.auth_failures, 1);
}

/* §4.4.3: our SCCRQ is outstanding when the peer's arrives. */
static struct tunnel *open_with_tie_breaker(struct fx *f, uint8_t *ours)
{
	struct tunnel_params p;
	struct tunnel *t;
	int err;

	tunnel_params_from_config(&p, &f->d.cfg->global.tunnel, NULL, false, 0);
	t = tunnel_open(&f->d, NULL, &f->p.addr, &p, true, &err);
	assert_non_null(t);
	peer_expect(f, L2TP_MSG_SCCRQ);
	assert_true(f->p.m.avp[L2TP_AVP_TIE_BREAKER].present);
	memcpy(ours, f->p.m.avp[L2TP_AVP_TIE_BREAKER].value, 8);
	/* The fake peer's own SCCRQ is a new control connection. */
	f->p.ns = 0;
	f->p.nr = 0;
	return t;
}

static void test_tie_breaker_we_lose(void **state)
{
	struct fx *f = *state;
	uint8_t ours[8], theirs[8] = { 0 };
	struct tunnel *t;
	uint16_t lost_id;

	t = open_with_tie_breaker(f, ours);
	lost_id = t->id;
	if (!memcmp(ours, theirs, 8))
		skip(); /* 2^-64 */
	peer_sccrq(f, NULL, theirs); /* all zeros: lower, the peer wins */
	peer_expect(f, L2TP_MSG_SCCRP); /* we answer its tunnel */
	assert_int_equal(f->d.stats.tie_breaks_lost, 1);
	assert_true(t->reaping); /* ours silently discarded */
	fx_reap(f);
	assert_null(idtable_find(&f->d.tunnels, lost_id));
	assert_int_equal(f->d.n_tunnels, 1);
}

static void test_tie_breaker_we_win(void **state)
{
	struct fx *f = *state;
	uint8_t ours[8], theirs[8];
	struct tunnel *t;

	memset(theirs, 0xff, sizeof(theirs));
	t = open_with_tie_breaker(f, ours);
	if (!memcmp(ours, theirs, 8))
		skip();
	peer_sccrq(f, NULL, theirs);
	assert_int_equal(peer_recv(f, 50), 0); /* its SCCRQ ignored */
	assert_int_equal(f->d.stats.tie_breaks_won, 1);
	assert_false(t->reaping);
	assert_int_equal(t->state, TUNNEL_WAIT_CTL_REPLY);
	assert_int_equal(f->d.n_tunnels, 1);
}

/* A peer that sends a tie breaker wins over us who sent none... but we
 * sent one here and it sent none: we win. */
static void test_tie_breaker_only_ours(void **state)
{
	struct fx *f = *state;
	uint8_t ours[8];

	open_with_tie_breaker(f, ours);
	peer_sccrq(f, NULL, NULL);
	assert_int_equal(peer_recv(f, 50), 0);
	assert_int_equal(f->d.stats.tie_breaks_won, 1);
	assert_int_equal(f->d.n_tunnels, 1);
}

static void loop_break_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ONE);
}

static void run_loop_for(struct fx *f, double seconds)
{
	ev_timer t;

	ev_timer_init(&t, loop_break_cb, seconds, 0);
	ev_timer_start(f->d.loop, &t);
	ev_run(f->d.loop, 0);
	ev_timer_stop(f->d.loop, &t);
}

/* §5.7: after a StopCCN the tunnel lingers a full retransmission cycle and
 * acknowledges a retransmitted StopCCN again. */
static void test_stopccn_linger_reack(void **state)
{
	struct fx *f = *state;
	uint8_t buf[512];
	struct l2tp_builder b;
	struct tunnel *t;
	uint16_t ns;
	int len;

	establish_as_responder(f);
	t = dut_tunnel(f);
	peer_start(&f->p, &b, buf, sizeof(buf), 0, L2TP_MSG_STOPCCN);
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, f->p.tid);
	l2tp_builder_put_result(&b, L2TP_STOPCCN_CLEAR, -1, NULL);
	len = l2tp_builder_finish(&b);
	ns = f->p.ns++;
	l2tp_header_set_sequence(buf, ns, f->p.nr);
	peer_send_raw(f, buf, (size_t)len);
	assert_int_equal(t->state, TUNNEL_CLOSING);
	assert_true(ev_is_active(&t->linger_timer));
	/* 1 + 2 + 2 s with retransmit_initial 1, cap 2, max 2. */
	assert_true(tunnel_linger_seconds(&t->p) == 5.0);
	assert_int_equal(f->d.stats.tunnels_down_received[L2TP_STOPCCN_CLEAR], 1);

	run_loop_for(f, 0.3); /* the delayed ZLB goes out */
	assert_int_equal(peer_recv(f, 50), 0);
	assert_int_equal(f->p.zlbs, 1);

	/* Our ZLB "lost": the peer retransmits; it is acknowledged again. */
	l2tp_header_set_sequence(buf, ns, f->p.nr);
	peer_send_raw(f, buf, (size_t)len);
	run_loop_for(f, 0.3);
	assert_int_equal(peer_recv(f, 50), 0);
	assert_int_equal(f->p.zlbs, 2);
	assert_ptr_equal(dut_tunnel(f), t);
	assert_false(t->reaping);
}

/* Unknown mandatory AVP in a tunnel message: StopCCN 2 error 8. */
static void test_unknown_mandatory_avp(void **state)
{
	struct fx *f = *state;
	uint8_t buf[512];
	struct l2tp_builder b;
	struct l2tp_result r;

	establish_as_responder(f);
	peer_start(&f->p, &b, buf, sizeof(buf), 0, L2TP_MSG_HELLO);
	l2tp_builder_put_raw(&b, 0, 99, true, "x", 1);
	peer_send(f, &b);
	peer_expect(f, L2TP_MSG_STOPCCN);
	assert_int_equal(l2tp_msg_result(&f->p.m, &r), 0);
	assert_int_equal(r.result, L2TP_STOPCCN_GENERAL_ERROR);
	assert_int_equal(r.error_code, L2TP_ERR_UNKNOWN_MANDATORY_AVP);
}

/* An SCCRP to an established tunnel is an FSM error (§7.2.1). */
static void test_fsm_error(void **state)
{
	struct fx *f = *state;
	uint8_t buf[512];
	struct l2tp_builder b;

	establish_as_responder(f);
	peer_start(&f->p, &b, buf, sizeof(buf), 0, L2TP_MSG_SCCRP);
	peer_put_tunnel_avps(f, &b);
	peer_send(f, &b);
	expect_stopccn(f, L2TP_STOPCCN_FSM_ERROR);
}

/* ---- sessions over an established tunnel */

static uint16_t peer_icrq(struct fx *f, uint16_t peer_sid)
{
	uint8_t buf[512];
	struct l2tp_builder b;

	peer_start(&f->p, &b, buf, sizeof(buf), 0, L2TP_MSG_ICRQ);
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_SESSION_ID, peer_sid);
	l2tp_builder_put_u32(&b, L2TP_AVP_CALL_SERIAL_NUMBER, 7);
	peer_send(f, &b);
	if (!peer_recv(f, 200))
		return 0;
	if (f->p.m.type != L2TP_MSG_ICRP)
		return 0;
	assert_int_equal(f->p.m.hdr.session_id, peer_sid);
	return l2tp_msg_u16(&f->p.m, L2TP_AVP_ASSIGNED_SESSION_ID);
}

static void test_lns_incoming_call(void **state)
{
	struct fx *f = *state;
	uint8_t buf[512];
	struct l2tp_builder b;
	struct session *s;
	uint16_t sid;

	establish_as_responder(f);
	sid = peer_icrq(f, 501);
	assert_int_not_equal(sid, 0);
	s = session_find(&f->d, f->p.daemon_tid, sid);
	assert_non_null(s);
	assert_int_equal(s->state, SESSION_WAIT_CONNECT);
	peer_start(&f->p, &b, buf, sizeof(buf), sid, L2TP_MSG_ICCN);
	l2tp_builder_put_u32(&b, L2TP_AVP_TX_CONNECT_SPEED, 1000000);
	l2tp_builder_put_u32(&b, L2TP_AVP_FRAMING_TYPE, 1);
	l2tp_builder_put(&b, L2TP_AVP_SEQUENCING_REQUIRED, NULL, 0);
	l2tp_builder_put_u16(&b, L2TP_AVP_PROXY_AUTHEN_TYPE, L2TP_PROXY_AUTH_PAP);
	l2tp_builder_put_string(&b, L2TP_AVP_PROXY_AUTHEN_NAME, "alice");
	peer_send(f, &b);
	assert_int_equal(s->state, SESSION_ESTABLISHED);
	assert_true(s->seq_required);
	assert_string_equal(s->user, "alice");
	assert_true(s->proxy & SESSION_PROXY_AUTH);

	/* WEN and SLI never tear anything down, even from the wrong side. */
	peer_start(&f->p, &b, buf, sizeof(buf), sid, L2TP_MSG_WEN);
	l2tp_builder_put(&b, L2TP_AVP_CALL_ERRORS, (uint8_t[26]){ 0 }, 26);
	peer_send(f, &b);
	peer_start(&f->p, &b, buf, sizeof(buf), sid, L2TP_MSG_SLI);
	l2tp_builder_put(&b, L2TP_AVP_ACCM, (uint8_t[10]){ 0 }, 10);
	peer_send(f, &b);
	assert_int_equal(s->wen_received, 1);
	assert_int_equal(s->sli_received, 1);
	assert_int_equal(s->state, SESSION_ESTABLISHED);
	assert_int_equal(session_send_sli(s), 0);
	peer_expect(f, L2TP_MSG_SLI);
	assert_int_equal(session_send_wen(s), -EINVAL); /* we are the LNS */

	/* The peer hangs up. */
	peer_start(&f->p, &b, buf, sizeof(buf), sid, L2TP_MSG_CDN);
	l2tp_builder_put_result(&b, L2TP_CDN_LOST_CARRIER, -1, NULL);
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_SESSION_ID, 501);
	peer_send(f, &b);
	assert_null(session_find(&f->d, f->p.daemon_tid, sid));
	assert_int_equal(f->d.n_sessions, 0);
	assert_int_equal(dut_tunnel(f)->state, TUNNEL_ESTABLISHED);
}

/* The per-tunnel bound (max_sessions_per_tunnel = 3): CDN 4, error 4. */
static void test_session_limit(void **state)
{
	struct fx *f = *state;
	struct l2tp_result r;

	establish_as_responder(f);
	for (uint16_t i = 1; i <= 3; i++)
		assert_int_not_equal(peer_icrq(f, i), 0);
	assert_int_equal(peer_icrq(f, 4), 0);
	assert_int_equal(f->p.m.type, L2TP_MSG_CDN);
	assert_int_equal(f->p.m.hdr.session_id, 4);
	assert_int_equal(l2tp_msg_result(&f->p.m, &r), 0);
	assert_int_equal(r.result, L2TP_CDN_NO_RESOURCES_TEMPORARY);
	assert_int_equal(r.error_code, L2TP_ERR_NO_RESOURCES);
	assert_int_equal(f->d.n_sessions, 3);
	assert_int_equal(f->d.stats.sessions_refused, 1);
}

/* ICRQ without its Call Serial Number: CDN 2 error 2, tunnel kept. */
static void test_session_missing_avp(void **state)
{
	struct fx *f = *state;
	uint8_t buf[512];
	struct l2tp_builder b;
	struct l2tp_result r;

	establish_as_responder(f);
	peer_start(&f->p, &b, buf, sizeof(buf), 0, L2TP_MSG_ICRQ);
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_SESSION_ID, 77);
	peer_send(f, &b);
	peer_expect(f, L2TP_MSG_CDN);
	assert_int_equal(f->p.m.hdr.session_id, 77);
	assert_int_equal(l2tp_msg_result(&f->p.m, &r), 0);
	assert_int_equal(r.result, L2TP_CDN_GENERAL_ERROR);
	assert_int_equal(r.error_code, L2TP_ERR_BAD_LENGTH);
	assert_int_equal(dut_tunnel(f)->state, TUNNEL_ESTABLISHED);
}

/* Closing the tunnel frees its sessions. */
static void test_close_tunnel_frees_sessions(void **state)
{
	struct fx *f = *state;

	establish_as_responder(f);
	assert_int_not_equal(peer_icrq(f, 1), 0);
	assert_int_not_equal(peer_icrq(f, 2), 0);
	assert_int_equal(f->d.n_sessions, 2);
	tunnel_close(dut_tunnel(f), L2TP_STOPCCN_CLEAR, -1, "test");
	expect_stopccn(f, L2TP_STOPCCN_CLEAR);
	assert_int_equal(f->d.n_sessions, 0);
	assert_int_equal(idtable_count(&f->d.sessions), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_responder_establish, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_responder_duplicate_sccrq, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_initiator_establish, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_challenge_good, fx_setup_secret, fx_teardown),
		cmocka_unit_test_setup_teardown(test_challenge_bad_response, fx_setup_secret,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_challenge_missing_response, fx_setup_secret,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_challenge_initiator_bad, fx_setup_secret,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_challenge_without_secret, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_tie_breaker_we_lose, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tie_breaker_we_win, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tie_breaker_only_ours, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stopccn_linger_reack, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_mandatory_avp, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fsm_error, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_lns_incoming_call, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_session_limit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_session_missing_avp, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_close_tunnel_frees_sessions, fx_setup,
						fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
