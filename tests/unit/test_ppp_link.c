/* Two links back to back, an authenticator (the LNS) and a peer (the VPN
 * client), with a fake clock and a fake wire that can lose frames: each
 * authentication method brings the link up with IPCP addresses and DNS;
 * wrong passwords, refused methods, dead peers and lossy wires end as they
 * must, with RFC 3145 causes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "ppp/chap.h"
#include "ppp/internal.h"
#include "ppp/ppp.h"

#define QLEN      512
#define FRAME_CAP 1600
#define SRV_IP    "10.0.0.1"
#define CLI_IP    "10.0.0.2"
#define DNS1      "10.0.0.53"
#define DNS2      "10.0.0.54"

struct frame {
	uint8_t buf[FRAME_CAP];
	size_t len;
};

struct end {
	const char *name;
	struct ppp *ppp;
	struct ppp_config cfg;
	struct frame q[QLEN]; /* sent by this end, not yet delivered */
	size_t qhead, qtail;
	uint64_t rng;
	bool mute; /* its frames are lost */
	int up4, up6, down, ncp_down, data;
	struct ppp_net net4, net6;
	struct ppp_cause cause;
	uint64_t down_at;
	int auth_ok, auth_fail;
	char auth_msg[256];
	/* server: the user database and how verify answers */
	const char *secret;
	bool defer;
	int verifies;
	bool verdict;
	uint8_t authresp[20];
	bool corrupt_authresp;
	struct ppp_auth_request last_req; /* pointers valid in the call only ... */
	char last_user[256];              /* ... so the name is kept here */
	uint8_t data_buf[64];
	size_t data_len;
	uint16_t data_proto;
	/* frames of interest */
	struct frame sent_log[64];
	int nlog;
	uint16_t log_proto;
};

static struct world {
	struct end srv, cli;
	uint64_t now;
	uint64_t loss_rng;
	unsigned loss_pct;
	unsigned delivered, lost;
} w;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void cb_random(void *ctx, void *buf, size_t len)
{
	struct end *e = ctx;
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)xorshift(&e->rng);
}

static uint16_t frame_proto(const uint8_t *f, size_t len, size_t *off)
{
	size_t o = (len >= 2 && f[0] == 0xff && f[1] == 0x03) ? 2 : 0;

	if (f[o] & 1) {
		*off = o + 1;
		return f[o];
	}
	*off = o + 2;
	return ppp_get16(f + o);
}

static void cb_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct end *e = ctx;
	struct frame *fr;
	size_t off;

	assert_true(len <= FRAME_CAP);
	assert_true(e->qtail - e->qhead < QLEN);
	fr = &e->q[e->qtail++ % QLEN];
	memcpy(fr->buf, frame, len);
	fr->len = len;
	if (e->log_proto && frame_proto(frame, len, &off) == e->log_proto && e->nlog < 64) {
		memcpy(e->sent_log[e->nlog].buf, frame, len);
		e->sent_log[e->nlog++].len = len;
	}
}

static void cb_data(void *ctx, uint16_t proto, uint8_t *pkt, size_t len)
{
	struct end *e = ctx;

	e->data++;
	e->data_proto = proto;
	e->data_len = len < sizeof(e->data_buf) ? len : sizeof(e->data_buf);
	memcpy(e->data_buf, pkt, e->data_len);
}

static void cb_up(void *ctx, const struct ppp_net *net)
{
	struct end *e = ctx;

	if (net->proto == PPP_PROTO_IPCP) {
		e->up4++;
		e->net4 = *net;
	} else {
		e->up6++;
		e->net6 = *net;
	}
}

static void cb_ncp_down(void *ctx, uint16_t proto)
{
	struct end *e = ctx;

	(void)proto;
	e->ncp_down++;
}

static void cb_down(void *ctx, const struct ppp_cause *cause)
{
	struct end *e = ctx;

	e->down++;
	e->cause = *cause;
	e->down_at = w.now;
}

static void cb_verify(void *ctx, const struct ppp_auth_request *req)
{
	struct end *e = ctx;

	e->verifies++;
	e->last_req = *req;
	snprintf(e->last_user, sizeof(e->last_user), "%s", req->user);
	e->last_req.user = e->last_user;
	e->verdict = ppp_auth_check(req, e->secret, e->authresp);
	if (e->corrupt_authresp)
		e->authresp[0] ^= 0xff;
	if (!e->defer)
		ppp_auth_result(e->ppp, e->verdict, e->verdict ? "Welcome" : "Go away", e->authresp,
		                w.now);
}

static void cb_auth_done(void *ctx, enum ppp_auth_method m, bool ok, const char *msg)
{
	struct end *e = ctx;

	(void)m;
	if (ok)
		e->auth_ok++;
	else
		e->auth_fail++;
	snprintf(e->auth_msg, sizeof(e->auth_msg), "%s", msg);
}

static const struct ppp_ops ops = {
    .send = cb_send,
    .data = cb_data,
    .up = cb_up,
    .ncp_down = cb_ncp_down,
    .down = cb_down,
    .verify = cb_verify,
    .auth_done = cb_auth_done,
    .random = cb_random,
};

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* An LNS and a client with the defaults, before either is started. */
static void world_init(void)
{
	memset(&w, 0, sizeof(w));
	w.now = 1000;
	w.loss_rng = 0x9e3779b97f4a7c15ull;
	w.srv.name = "srv";
	w.cli.name = "cli";
	w.srv.rng = 0x1234567;
	w.cli.rng = 0x7654321;
	ppp_config_init(&w.srv.cfg, PPP_ROLE_SERVER);
	ppp_config_init(&w.cli.cfg, PPP_ROLE_CLIENT);
	w.srv.cfg.dns[0] = ip(DNS1);
	w.srv.cfg.dns[1] = ip(DNS2);
	w.srv.secret = "wonderland";
}

static void world_start(void)
{
	w.srv.ppp = ppp_new(&w.srv.cfg, &ops, &w.srv);
	w.cli.ppp = ppp_new(&w.cli.cfg, &ops, &w.cli);
	assert_non_null(w.srv.ppp);
	assert_non_null(w.cli.ppp);
	ppp_set_ipv4(w.srv.ppp, ip(SRV_IP), ip(CLI_IP));
	ppp_set_credentials(w.cli.ppp, "alice", "wonderland");
	assert_int_equal(ppp_start(w.srv.ppp, w.now), 0);
	assert_int_equal(ppp_start(w.cli.ppp, w.now), 0);
}

static void world_free(void)
{
	ppp_free(w.srv.ppp);
	ppp_free(w.cli.ppp);
	w.srv.ppp = w.cli.ppp = NULL;
}

/* Deliver one queued frame from a to b, or lose it. */
static bool deliver_one(struct end *a, struct end *b)
{
	struct frame fr;

	if (a->qhead == a->qtail)
		return false;
	fr = a->q[a->qhead++ % QLEN];
	if (a->mute || (w.loss_pct && xorshift(&w.loss_rng) % 100 < w.loss_pct)) {
		w.lost++;
		return true;
	}
	w.delivered++;
	ppp_input(b->ppp, fr.buf, fr.len, w.now);
	return true;
}

/* Exchange frames until both queues are empty, then let time pass to the
 * next deadline; until done() or `until`. */
static void run(bool (*done)(void), uint64_t until)
{
	while (!(done && done()) && w.now <= until) {
		bool moved = deliver_one(&w.srv, &w.cli);

		moved |= deliver_one(&w.cli, &w.srv);
		if (moved)
			continue;
		uint64_t d = ppp_next_deadline(w.srv.ppp), dc = ppp_next_deadline(w.cli.ppp);

		if (dc < d)
			d = dc;
		if (d == PPP_NO_DEADLINE || d > until)
			break;
		if (d > w.now)
			w.now = d;
		ppp_tick(w.srv.ppp, w.now);
		ppp_tick(w.cli.ppp, w.now);
	}
}

static bool both_up(void)
{
	return w.srv.up4 && w.cli.up4;
}

static bool both_down(void)
{
	return w.srv.down && w.cli.down;
}

static void only_method(struct ppp_config *cfg, uint8_t m)
{
	memset(cfg->auth, 0, sizeof(cfg->auth));
	cfg->auth[0] = m;
}

static int count_code(const struct end *e, uint8_t code)
{
	int n = 0;
	size_t off;

	for (int i = 0; i < e->nlog; i++) {
		frame_proto(e->sent_log[i].buf, e->sent_log[i].len, &off);
		n += e->sent_log[i].buf[off] == code;
	}
	return n;
}

static void send_ip(struct end *from, struct end *to, uint16_t proto)
{
	uint8_t frame[64];
	size_t n = ppp_data_header(from->ppp, proto, frame);

	memcpy(frame + n, "\x45payload", 8);
	to->data = 0;
	ppp_input(to->ppp, frame, n + 8, w.now);
	assert_int_equal(to->data, 1);
	assert_int_equal(to->data_proto, proto);
	assert_int_equal(to->data_len, 8);
	assert_memory_equal(to->data_buf, "\x45payload", 8);
}

static void check_up(uint8_t method)
{
	assert_int_equal(w.srv.down + w.cli.down, 0);
	assert_int_equal(w.srv.up4, 1);
	assert_int_equal(w.cli.up4, 1);
	assert_int_equal(ppp_auth_method(w.srv.ppp), method);
	assert_int_equal(ppp_auth_method(w.cli.ppp), method);
	assert_int_equal(w.srv.auth_ok, 1);
	assert_int_equal(w.cli.auth_ok, 1);
	assert_int_equal(w.srv.verifies, 1);
	assert_int_equal(w.srv.last_req.method, method);
	assert_string_equal(w.srv.last_req.user, "alice");
	assert_int_equal(ppp_phase(w.srv.ppp), PPP_PHASE_NETWORK);
	/* the client learnt its address and the DNS servers (RFC 1877) */
	assert_int_equal(w.cli.net4.local.s_addr, ip(CLI_IP).s_addr);
	assert_int_equal(w.cli.net4.peer.s_addr, ip(SRV_IP).s_addr);
	assert_int_equal(w.cli.net4.dns[0].s_addr, ip(DNS1).s_addr);
	assert_int_equal(w.cli.net4.dns[1].s_addr, ip(DNS2).s_addr);
	assert_int_equal(w.srv.net4.local.s_addr, ip(SRV_IP).s_addr);
	assert_int_equal(w.srv.net4.peer.s_addr, ip(CLI_IP).s_addr);
	send_ip(&w.cli, &w.srv, PPP_PROTO_IP);
	send_ip(&w.srv, &w.cli, PPP_PROTO_IP);
}

static void up_with(uint8_t method)
{
	world_init();
	only_method(&w.srv.cfg, method);
	world_start();
	run(both_up, w.now + 60000);
	check_up(method);
	world_free();
}

static void test_up_pap(void **state)
{
	(void)state;
	up_with(PPP_AUTH_PAP);
}

static void test_up_chap_md5(void **state)
{
	(void)state;
	up_with(PPP_AUTH_CHAP_MD5);
}

static void test_up_mschapv2(void **state)
{
	(void)state;
	up_with(PPP_AUTH_MSCHAPV2);
	/* the client saw the server's "M=" text, the S= checked */
	assert_string_equal(w.cli.auth_msg, "Welcome");
}

/* A wrong password: the failure message, then both ends down with RFC 3145
 * code 16, "at peer" on the server and "at local" on the client. */
static void wrong_password(uint8_t method, uint16_t proto)
{
	world_init();
	only_method(&w.srv.cfg, method);
	w.srv.secret = "looking-glass";
	w.srv.log_proto = proto;
	world_start();
	run(both_down, w.now + 60000);
	assert_int_equal(w.srv.up4 + w.cli.up4, 0);
	assert_int_equal(w.srv.auth_fail, 1);
	assert_int_equal(w.cli.auth_fail, 1);
	assert_int_equal(w.srv.cause.code, PPP_CAUSE_AUTH_FAILED);
	assert_int_equal(w.srv.cause.proto, proto);
	assert_int_equal(w.srv.cause.direction, PPP_DIR_PEER);
	assert_int_equal(w.cli.cause.code, PPP_CAUSE_AUTH_FAILED);
	assert_int_equal(w.cli.cause.direction, PPP_DIR_LOCAL);
	assert_string_equal(w.cli.auth_msg, "Go away");
}

static void test_wrong_password_pap(void **state)
{
	(void)state;
	wrong_password(PPP_AUTH_PAP, PPP_PROTO_PAP);
	world_free();
}

static void test_wrong_password_chap(void **state)
{
	(void)state;
	wrong_password(PPP_AUTH_CHAP_MD5, PPP_PROTO_CHAP);
	world_free();
}

/* RFC 2759 §6: "E=691 R=0 C=<32 hex> V=3 M=<msg>", C being the challenge. */
static void test_wrong_password_mschapv2(void **state)
{
	const struct frame *f = NULL;
	char msg[128], expect[128], hex[33];
	size_t off;

	(void)state;
	wrong_password(PPP_AUTH_MSCHAPV2, PPP_PROTO_CHAP);
	for (int i = 0; i < w.srv.nlog; i++) {
		frame_proto(w.srv.sent_log[i].buf, w.srv.sent_log[i].len, &off);
		if (w.srv.sent_log[i].buf[off] == PPP_CHAP_FAILURE)
			f = &w.srv.sent_log[i];
	}
	assert_non_null(f);
	frame_proto(f->buf, f->len, &off);
	snprintf(msg, sizeof(msg), "%.*s", (int)(f->len - off - 4), f->buf + off + 4);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02X", w.srv.last_req.challenge ? 0 : 0);
	/* the challenge of the exchange, as the client saw it */
	for (int i = 0; i < w.srv.nlog; i++) {
		const struct frame *c = &w.srv.sent_log[i];

		frame_proto(c->buf, c->len, &off);
		if (c->buf[off] == PPP_CHAP_CHALLENGE)
			for (int j = 0; j < 16; j++)
				snprintf(hex + 2 * j, 3, "%02X", c->buf[off + 5 + j]);
	}
	snprintf(expect, sizeof(expect), "E=691 R=0 C=%s V=3 M=Go away", hex);
	assert_string_equal(msg, expect);
	world_free();
}

/* RFC 2759 §5: the client checks S=; a wrong one ends the link from the
 * client's side (the server failed mutual authentication). */
static void test_mschapv2_bad_authenticator_response(void **state)
{
	(void)state;
	world_init();
	only_method(&w.srv.cfg, PPP_AUTH_MSCHAPV2);
	w.srv.corrupt_authresp = true;
	world_start();
	run(both_down, w.now + 60000);
	assert_int_equal(w.cli.up4, 0);
	assert_int_equal(w.cli.auth_fail, 1);
	assert_int_equal(w.cli.cause.code, PPP_CAUSE_AUTH_FAILED);
	assert_int_equal(w.cli.cause.direction, PPP_DIR_PEER);
	assert_int_equal(w.srv.cause.code, PPP_CAUSE_TERMINATE);
	assert_int_equal(w.srv.cause.direction, PPP_DIR_PEER);
	world_free();
}

/* RFC 1661 §6.2: the peer Naks our method with its own; we move to its
 * suggestion when we have it, else along our list. */
static void test_auth_preference_nak(void **state)
{
	(void)state;
	world_init(); /* server: CHAP, MS-CHAPv2, PAP */
	only_method(&w.cli.cfg, PPP_AUTH_PAP);
	w.cli.log_proto = PPP_PROTO_LCP;
	world_start();
	run(both_up, w.now + 60000);
	check_up(PPP_AUTH_PAP);
	/* one Nak was enough: the server took the suggestion, skipping
	 * MS-CHAPv2 on its list */
	assert_int_equal(count_code(&w.cli, PPP_CONF_NAK), 1);
	world_free();

	world_init();
	only_method(&w.cli.cfg, PPP_AUTH_MSCHAPV2);
	world_start();
	run(both_up, w.now + 60000);
	check_up(PPP_AUTH_MSCHAPV2);
	world_free();
}

/* Every method of ours refused: RFC 3145 code 15, direction 1, unless
 * authentication is optional. */
static void test_auth_refused(void **state)
{
	(void)state;
	world_init();
	memset(w.srv.cfg.auth, 0, sizeof(w.srv.cfg.auth));
	w.srv.cfg.auth[0] = PPP_AUTH_CHAP_MD5;
	w.srv.cfg.auth[1] = PPP_AUTH_MSCHAPV2;
	only_method(&w.cli.cfg, PPP_AUTH_PAP);
	world_start();
	run(both_down, w.now + 60000);
	assert_int_equal(w.srv.up4 + w.cli.up4, 0);
	assert_int_equal(w.srv.cause.code, PPP_CAUSE_AUTH_PROTO);
	assert_int_equal(w.srv.cause.direction, PPP_DIR_PEER);
	assert_int_equal(w.srv.verifies, 0);
	world_free();

	world_init();
	w.srv.cfg.auth_optional = true;
	w.cli.cfg.auth[0] = PPP_AUTH_NONE; /* a client that authenticates to nobody */
	world_start();
	run(both_up, w.now + 60000);
	assert_int_equal(w.srv.up4, 1);
	assert_int_equal(w.srv.verifies, 0);
	assert_int_equal(ppp_auth_method(w.srv.ppp), PPP_AUTH_NONE);
	world_free();
}

/* The verdict may come later (RADIUS): nothing is retransmitted meanwhile,
 * and the link goes on when it arrives. */
static void test_async_verify(void **state)
{
	(void)state;
	world_init();
	only_method(&w.srv.cfg, PPP_AUTH_MSCHAPV2);
	w.srv.defer = true;
	world_start();
	assert_false(ppp_auth_awaiting_verdict(w.cli.ppp));
	assert_int_equal(ppp_auth_result(w.srv.ppp, true, NULL, NULL, w.now), -ESTALE);
	run(NULL, w.now + 2000);
	assert_int_equal(w.srv.verifies, 1);
	assert_int_equal(ppp_next_deadline(w.srv.ppp), PPP_NO_DEADLINE);
	/* The client's Response is out, the verdict is not: a CDN now is the
	 * LNS refusing it (sessppp_session_cleared). Never on the server. */
	assert_true(ppp_auth_awaiting_verdict(w.cli.ppp));
	assert_false(ppp_auth_awaiting_verdict(w.srv.ppp));
	w.now += 5000; /* RADIUS is slow */
	assert_int_equal(
	    ppp_auth_result(w.srv.ppp, w.srv.verdict, "Welcome", w.srv.authresp, w.now), 0);
	assert_int_equal(ppp_auth_result(w.srv.ppp, true, NULL, NULL, w.now), -ESTALE);
	run(both_up, w.now + 60000);
	check_up(PPP_AUTH_MSCHAPV2);
	assert_false(ppp_auth_awaiting_verdict(w.cli.ppp));
	world_free();
}

/* Keepalive: echo_failures unanswered Echo-Requests, interval apart, and
 * the link is down with RFC 3145 code 8 exactly interval × failures after
 * the first one went unanswered. */
static void test_echo_timeout(void **state)
{
	uint64_t cut, first_echo;

	(void)state;
	world_init();
	w.srv.cfg.echo_interval_ms = 10000;
	w.srv.cfg.echo_failures = 3;
	world_start();
	run(both_up, w.now + 60000);
	assert_int_equal(w.srv.up4, 1);
	/* answered echoes keep it up */
	run(NULL, w.now + 100000);
	assert_int_equal(w.srv.down, 0);
	cut = w.now;
	first_echo = ppp_next_deadline(w.srv.ppp);
	assert_true(first_echo > cut && first_echo <= cut + 10000);
	w.cli.mute = true;
	run(both_down, w.now + 100000);
	assert_int_equal(w.srv.down, 1);
	assert_int_equal(w.srv.cause.code, PPP_CAUSE_ECHO_TIMEOUT);
	assert_int_equal(w.srv.cause.proto, PPP_PROTO_LCP);
	assert_int_equal(w.srv.down_at, first_echo + 3 * 10000);
	world_free();
}

/* Adaptive keepalive: traffic from the peer stands for Echo-Replies. */
static void test_echo_adaptive(void **state)
{
	(void)state;
	world_init();
	w.srv.cfg.echo_interval_ms = 10000;
	w.srv.cfg.echo_adaptive = true;
	w.srv.log_proto = PPP_PROTO_LCP;
	world_start();
	run(both_up, w.now + 60000);
	w.srv.nlog = 0;
	w.cli.mute = true; /* nothing from the client but its data below */
	for (int i = 0; i < 20; i++) {
		w.now += 3000;
		send_ip(&w.cli, &w.srv, PPP_PROTO_IP);
		ppp_tick(w.srv.ppp, w.now);
	}
	assert_int_equal(w.srv.down, 0);
	assert_int_equal(w.srv.nlog, 0); /* not one Echo-Request */
	run(both_down, w.now + 100000);
	assert_int_equal(w.srv.cause.code, PPP_CAUSE_ECHO_TIMEOUT);
	world_free();
}

/* Frames lost at random (fixed seeds): restart timers bring every method
 * up in the end. */
static void test_packet_loss_converges(void **state)
{
	static const uint8_t methods[] = {PPP_AUTH_PAP, PPP_AUTH_CHAP_MD5, PPP_AUTH_MSCHAPV2};
	unsigned lost = 0;

	(void)state;
	for (unsigned seed = 1; seed <= 12; seed++) {
		world_init();
		w.loss_pct = 25;
		w.loss_rng = seed * 0x9e3779b97f4a7c15ull;
		w.srv.cfg.ipv6 = w.cli.cfg.ipv6 = true;
		w.srv.cfg.fsm.max_configure = w.cli.cfg.fsm.max_configure = 20;
		only_method(&w.srv.cfg, methods[seed % 3]);
		world_start();
		run(both_up, w.now + 600000);
		lost += w.lost;
		if (!both_up())
			fail_msg("seed %u: no link (srv down %d: %d %s, cli down %d: %d %s)", seed,
			         w.srv.down, w.srv.cause.code, w.srv.cause.reason, w.cli.down,
			         w.cli.cause.code, w.cli.cause.reason);
		assert_int_equal(w.srv.down + w.cli.down, 0);
		world_free();
	}
	assert_true(lost > 20); /* the wire did lose frames */
}

/* RFC 5072 §4.1: both ends get distinct non-zero identifiers, u bit 0. */
static void test_ipv6cp_up(void **state)
{
	static const uint8_t zero[8];

	(void)state;
	world_init();
	w.srv.cfg.ipv6 = w.cli.cfg.ipv6 = true;
	world_start();
	run(NULL, w.now + 10000);
	assert_int_equal(w.srv.up6, 1);
	assert_int_equal(w.cli.up6, 1);
	assert_memory_equal(w.srv.net6.local_iid, w.cli.net6.peer_iid, 8);
	assert_memory_equal(w.srv.net6.peer_iid, w.cli.net6.local_iid, 8);
	assert_memory_not_equal(w.srv.net6.local_iid, w.srv.net6.peer_iid, 8);
	assert_memory_not_equal(w.srv.net6.local_iid, zero, 8);
	assert_memory_not_equal(w.cli.net6.local_iid, zero, 8);
	assert_int_equal(w.srv.net6.local_iid[0] & 0x02, 0);
	send_ip(&w.cli, &w.srv, PPP_PROTO_IPV6);
	world_free();
}

/* Close: Terminate-Request and Ack; code 3 on both ends, each from its
 * own point of view. */
static void test_close(void **state)
{
	(void)state;
	world_init();
	world_start();
	run(both_up, w.now + 60000);
	ppp_close(w.srv.ppp, w.now);
	assert_int_equal(ppp_phase(w.srv.ppp), PPP_PHASE_TERMINATE);
	run(both_down, w.now + 60000);
	assert_int_equal(w.srv.cause.code, PPP_CAUSE_TERMINATE);
	assert_int_equal(w.srv.cause.direction, PPP_DIR_LOCAL);
	assert_int_equal(w.cli.cause.code, PPP_CAUSE_TERMINATE);
	assert_int_equal(w.cli.cause.direction, PPP_DIR_PEER);
	assert_int_equal(w.srv.ncp_down, 1);
	assert_int_equal(w.cli.ncp_down, 1);
	/* down is final: no deadline, input ignored */
	assert_int_equal(ppp_next_deadline(w.srv.ppp), PPP_NO_DEADLINE);
	assert_int_equal(ppp_phase(w.srv.ppp), PPP_PHASE_DEAD);
	world_free();
}

/* A client that never answers: LCP gives up after Max-Configure with
 * RFC 3145 code 6 (nothing heard); the session going away is code 0. */
static void test_silent_peer_and_lower_down(void **state)
{
	(void)state;
	world_init();
	world_start();
	w.cli.mute = true;
	w.srv.mute = true;
	run(both_down, w.now + 600000);
	assert_int_equal(w.srv.cause.code, PPP_CAUSE_LCP_SILENT);
	assert_int_equal(w.srv.cause.proto, PPP_PROTO_LCP);
	assert_int_equal(w.srv.down_at, 1000 + 10 * 3000);
	world_free();

	world_init();
	world_start();
	run(both_up, w.now + 60000);
	ppp_lower_down(w.cli.ppp, w.now);
	assert_int_equal(w.cli.down, 1);
	assert_int_equal(w.cli.cause.code, PPP_CAUSE_NONE);
	assert_int_equal(w.cli.ncp_down, 1);
	world_free();
}

/* The per-session struct is small once Opened; the challenge state is
 * gone by then. */
static void test_memory(void **state)
{
	(void)state;
	world_init();
	only_method(&w.srv.cfg, PPP_AUTH_MSCHAPV2);
	w.srv.cfg.ipv6 = w.cli.cfg.ipv6 = true;
	world_start();
	run(NULL, w.now + 10000);
	assert_int_equal(w.srv.up4 + w.srv.up6, 2);
	print_message("sizeof(struct ppp) = %zu, in Opened: %zu octets\n", sizeof(struct ppp),
	              ppp_memory(w.srv.ppp));
	assert_int_equal(ppp_memory(w.srv.ppp), sizeof(struct ppp));
	assert_int_equal(ppp_memory(w.cli.ppp), sizeof(struct ppp));
	assert_true(sizeof(struct ppp) <= 512);
	world_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_up_pap),
	    cmocka_unit_test(test_up_chap_md5),
	    cmocka_unit_test(test_up_mschapv2),
	    cmocka_unit_test(test_wrong_password_pap),
	    cmocka_unit_test(test_wrong_password_chap),
	    cmocka_unit_test(test_wrong_password_mschapv2),
	    cmocka_unit_test(test_mschapv2_bad_authenticator_response),
	    cmocka_unit_test(test_auth_preference_nak),
	    cmocka_unit_test(test_auth_refused),
	    cmocka_unit_test(test_async_verify),
	    cmocka_unit_test(test_echo_timeout),
	    cmocka_unit_test(test_echo_adaptive),
	    cmocka_unit_test(test_packet_loss_converges),
	    cmocka_unit_test(test_ipv6cp_up),
	    cmocka_unit_test(test_close),
	    cmocka_unit_test(test_silent_peer_and_lower_down),
	    cmocka_unit_test(test_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
