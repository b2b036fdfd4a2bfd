/* The RFC 1661 §4 automaton, driven through a fake control protocol: every
 * cell of the §4.1 state transition table (written out again below from the
 * RFC's text, independently of src/ppp/fsm.c), then the counters and timer,
 * and the packet checks that decide which event a packet is. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ppp/defs.h"
#include "ppp/fsm.h"

#define MAX_SENT 64
#define PKT_CAP  1600
#define T0       10000 /* the fake clock at the start of each case */

/* The fake protocol's options: type 1 (3 octets, a value we negotiate),
 * type 2 (boolean, always acceptable), anything else unknown. */
enum {
	OPT_VALUE = 1,
	OPT_FLAG = 2,
};

struct sent {
	uint8_t buf[PKT_CAP];
	size_t len;
};

static struct fake {
	struct ppp_fsm f;
	struct sent sent[MAX_SENT];
	int nsent;
	int tlu, tld, tls, tlf, ser;
	enum ppp_fsm_event tlf_ev;
	enum ppp_opt_verdict verdict; /* for OPT_VALUE in the peer's requests */
	bool req_value, req_flag;     /* what our request carries */
	uint8_t value;                /* our OPT_VALUE */
	int naks, rejs;
	size_t mru;
} fk;

static const struct ppp_fsm_conf conf = {
    .restart_ms = 1000, .max_terminate = 2, .max_configure = 4, .max_failure = 3};

static const struct ppp_fsm_conf *fake_conf(const struct ppp_fsm *f)
{
	(void)f;
	return &conf;
}

static size_t fake_mru(const struct ppp_fsm *f)
{
	(void)f;
	return fk.mru;
}

static void fake_output(struct ppp_fsm *f, uint8_t *pkt, size_t len)
{
	(void)f;
	assert_true(fk.nsent < MAX_SENT);
	assert_true(len <= PKT_CAP);
	memcpy(fk.sent[fk.nsent].buf, pkt, len);
	fk.sent[fk.nsent].len = len;
	fk.nsent++;
}

static size_t fake_build_req(struct ppp_fsm *f, uint8_t *buf, size_t cap)
{
	size_t n = 0;

	(void)f;
	assert_true(cap >= 5);
	if (fk.req_value) {
		buf[n++] = OPT_VALUE;
		buf[n++] = 3;
		buf[n++] = fk.value;
	}
	if (fk.req_flag) {
		buf[n++] = OPT_FLAG;
		buf[n++] = 2;
	}
	return n;
}

static void fake_req_begin(struct ppp_fsm *f)
{
	(void)f;
}

static enum ppp_opt_verdict fake_req_opt(struct ppp_fsm *f, const uint8_t *opt, uint8_t *nak,
                                         size_t *nak_len)
{
	(void)f;
	if (opt[0] == OPT_FLAG)
		return PPP_OPT_ACK;
	if (opt[0] != OPT_VALUE)
		return PPP_OPT_REJ;
	if (fk.verdict == PPP_OPT_NAK) {
		nak[0] = OPT_VALUE;
		nak[1] = 3;
		nak[2] = 0x55;
		*nak_len = 3;
	}
	return fk.verdict;
}

static int fake_rcv_nak(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	(void)f;
	if (len < 3 || opts[0] != OPT_VALUE)
		return -EINVAL;
	fk.value = opts[2];
	fk.naks++;
	return 0;
}

static void fake_rcv_rej(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	(void)f;
	for (size_t off = 0; off < len; off += opts[off + 1]) {
		if (opts[off] == OPT_VALUE)
			fk.req_value = false;
		if (opts[off] == OPT_FLAG)
			fk.req_flag = false;
	}
	fk.rejs++;
}

static void fake_tlu(struct ppp_fsm *f, uint64_t now)
{
	(void)f, (void)now;
	fk.tlu++;
}

static void fake_tld(struct ppp_fsm *f, uint64_t now)
{
	(void)f, (void)now;
	fk.tld++;
}

static void fake_tls(struct ppp_fsm *f, uint64_t now)
{
	(void)f, (void)now;
	fk.tls++;
}

static void fake_tlf(struct ppp_fsm *f, enum ppp_fsm_event ev, enum ppp_fsm_state from,
                     uint64_t now)
{
	(void)f, (void)from, (void)now;
	fk.tlf++;
	fk.tlf_ev = ev;
}

/* Code 9 plays Echo-Request (RXR); everything else above 7 is unknown. */
static int fake_rx_code(struct ppp_fsm *f, const uint8_t *pkt, size_t len, uint64_t now)
{
	if (pkt[0] != PPP_ECHO_REQ)
		return -ENOTSUP;
	ppp_fsm_rxr(f, pkt, len, now);
	return 0;
}

static void fake_ser(struct ppp_fsm *f, const uint8_t *pkt, size_t len)
{
	(void)len;
	fk.ser++;
	ppp_fsm_send(f, PPP_ECHO_REP, pkt[1], NULL, 0);
}

static const struct ppp_fsm_ops fake_ops = {
    .proto = 0x8001,
    .name = "fake",
    .conf = fake_conf,
    .peer_mru = fake_mru,
    .output = fake_output,
    .build_req = fake_build_req,
    .req_begin = fake_req_begin,
    .req_opt = fake_req_opt,
    .rcv_nak = fake_rcv_nak,
    .rcv_rej = fake_rcv_rej,
    .tlu = fake_tlu,
    .tld = fake_tld,
    .tls = fake_tls,
    .tlf = fake_tlf,
    .rx_code = fake_rx_code,
    .ser = fake_ser,
};

static void fake_reset(void)
{
	memset(&fk, 0, sizeof(fk));
	ppp_fsm_init(&fk.f, &fake_ops);
	fk.req_value = true;
	fk.value = 0x11;
	fk.verdict = PPP_OPT_ACK;
	fk.mru = 1500;
}

/* A packet as the peer sends it. */
static size_t pkt_build(uint8_t *buf, uint8_t code, uint8_t id, const uint8_t *data, size_t len)
{
	buf[0] = code;
	buf[1] = id;
	ppp_put16(buf + 2, (uint16_t)(4 + len));
	if (len)
		memcpy(buf + 4, data, len);
	return 4 + len;
}

static int rx(uint8_t code, uint8_t id, const uint8_t *data, size_t len)
{
	uint8_t buf[PKT_CAP];

	return ppp_fsm_input(&fk.f, buf, pkt_build(buf, code, id, data, len), T0);
}

/* Our current request's options, for a valid Ack. */
static size_t our_opts(uint8_t *buf)
{
	return fake_build_req(&fk.f, buf, 16);
}

static int count_sent(uint8_t code)
{
	int n = 0;

	for (int i = 0; i < fk.nsent; i++)
		n += fk.sent[i].buf[0] == code;
	return n;
}

static const struct sent *last_sent(void)
{
	assert_true(fk.nsent > 0);
	return &fk.sent[fk.nsent - 1];
}

/* ---- the §4.1 table --------------------------------------------------- */

/* RFC 1661 §4.1, copied cell by cell from the RFC: "-" is an illegal event,
 * otherwise actions, then "/" and the new state. The [p], [r] and [x]
 * footnote letters are dropped: we take neither option. */
/* clang-format off */
static const char *const rfc_table[PPP_EV_COUNT][PPP_FSM_NSTATES] = {
	/*            Initial   Starting     Closed       Stopped            Closing  Stopping
	 *            Req-Sent     Ack-Rcvd     Ack-Sent     Opened */
	[PPP_EV_UP] = {"2", "irc,scr/6", "-", "-", "-", "-", "-", "-", "-", "-"},
	[PPP_EV_DOWN] = {"-", "-", "0", "tls/1", "0", "1", "1", "1", "1", "tld/1"},
	[PPP_EV_OPEN] = {"tls/1", "1", "irc,scr/6", "3", "5", "5", "6", "7", "8", "9"},
	[PPP_EV_CLOSE] = {"0", "tlf/0", "2", "2", "4", "4", "irc,str/4", "irc,str/4", "irc,str/4",
			  "tld,irc,str/4"},
	[PPP_EV_TO_PLUS] = {"-", "-", "-", "-", "str/4", "str/5", "scr/6", "scr/6", "scr/8", "-"},
	[PPP_EV_TO_MINUS] = {"-", "-", "-", "-", "tlf/2", "tlf/3", "tlf/3", "tlf/3", "tlf/3",
			     "-"},
	[PPP_EV_RCR_PLUS] = {"-", "-", "sta/2", "irc,scr,sca/8", "4", "5", "sca/8", "sca,tlu/9",
			     "sca/8", "tld,scr,sca/8"},
	[PPP_EV_RCR_MINUS] = {"-", "-", "sta/2", "irc,scr,scn/6", "4", "5", "scn/6", "scn/7",
			      "scn/6", "tld,scr,scn/6"},
	[PPP_EV_RCA] = {"-", "-", "sta/2", "sta/3", "4", "5", "irc/7", "scr/6", "irc,tlu/9",
			"tld,scr/6"},
	[PPP_EV_RCN] = {"-", "-", "sta/2", "sta/3", "4", "5", "irc,scr/6", "scr/6", "irc,scr/8",
			"tld,scr/6"},
	[PPP_EV_RTR] = {"-", "-", "sta/2", "sta/3", "sta/4", "sta/5", "sta/6", "sta/6", "sta/6",
			"tld,zrc,sta/5"},
	[PPP_EV_RTA] = {"-", "-", "2", "3", "tlf/2", "tlf/3", "6", "6", "8", "tld,scr/6"},
	[PPP_EV_RUC] = {"-", "-", "scj/2", "scj/3", "scj/4", "scj/5", "scj/6", "scj/7", "scj/8",
			"scj/9"},
	[PPP_EV_RXJ_PLUS] = {"-", "-", "2", "3", "4", "5", "6", "6", "8", "9"},
	[PPP_EV_RXJ_MINUS] = {"-", "-", "tlf/2", "tlf/3", "tlf/2", "tlf/3", "tlf/3", "tlf/3",
			      "tlf/3", "tld,irc,str/5"},
	[PPP_EV_RXR] = {"-", "-", "2", "3", "4", "5", "6", "7", "8", "ser/9"},
};
/* clang-format on */

static bool has_action(const char *cell, const char *act)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s", cell);
	char *slash = strchr(buf, '/');
	if (!slash)
		return false;
	*slash = '\0';
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
		if (strcmp(tok, act) == 0)
			return true;
	return false;
}

static int cell_state(const char *cell)
{
	const char *slash = strchr(cell, '/');

	return atoi(slash ? slash + 1 : cell);
}

static bool timer_state(int s)
{
	return s >= PPP_FSM_CLOSING && s <= PPP_FSM_ACK_SENT;
}

#define PRESET_RESTART 3

/* Put the automaton in state s, as if it had got there normally: our last
 * request had Identifier 7 and no reply yet. */
static void enter(int s)
{
	fake_reset();
	fk.f.state = (uint8_t)s;
	fk.f.seq = 7;
	fk.f.reqid = 7;
	fk.f.restart = PRESET_RESTART;
	fk.f.deadline = timer_state(s) ? T0 + 500 : PPP_NO_DEADLINE;
}

static void fire(enum ppp_fsm_event ev)
{
	uint8_t opts[16];
	static const uint8_t flag_opt[] = {OPT_FLAG, 2};
	static const uint8_t value_opt[] = {OPT_VALUE, 3, 0x22};
	static const uint8_t nak_opt[] = {OPT_VALUE, 3, 0x77};
	static const uint8_t unknown_code[] = {0x30, 1, 0, 4};
	static const uint8_t fatal_code[] = {PPP_CONF_REQ, 1, 0, 4};
	static const uint8_t magic[] = {0, 0, 0, 0};

	switch (ev) {
	case PPP_EV_UP:
		ppp_fsm_up(&fk.f, T0);
		break;
	case PPP_EV_DOWN:
		ppp_fsm_down(&fk.f, T0);
		break;
	case PPP_EV_OPEN:
		ppp_fsm_open(&fk.f, T0);
		break;
	case PPP_EV_CLOSE:
		ppp_fsm_close(&fk.f, T0);
		break;
	case PPP_EV_TO_PLUS:
	case PPP_EV_TO_MINUS:
		fk.f.restart = ev == PPP_EV_TO_PLUS ? 2 : 0;
		fk.f.deadline = T0;
		ppp_fsm_tick(&fk.f, T0);
		break;
	case PPP_EV_RCR_PLUS:
		rx(PPP_CONF_REQ, 0x40, flag_opt, sizeof(flag_opt));
		break;
	case PPP_EV_RCR_MINUS:
		fk.verdict = PPP_OPT_NAK;
		rx(PPP_CONF_REQ, 0x40, value_opt, sizeof(value_opt));
		break;
	case PPP_EV_RCA:
		rx(PPP_CONF_ACK, 7, opts, our_opts(opts));
		break;
	case PPP_EV_RCN:
		rx(PPP_CONF_NAK, 7, nak_opt, sizeof(nak_opt));
		break;
	case PPP_EV_RTR:
		rx(PPP_TERM_REQ, 0x41, NULL, 0);
		break;
	case PPP_EV_RTA:
		rx(PPP_TERM_ACK, 0x42, NULL, 0);
		break;
	case PPP_EV_RUC:
		rx(0x30, 0x43, NULL, 0);
		break;
	case PPP_EV_RXJ_PLUS:
		rx(PPP_CODE_REJ, 0x44, unknown_code, sizeof(unknown_code));
		break;
	case PPP_EV_RXJ_MINUS:
		rx(PPP_CODE_REJ, 0x45, fatal_code, sizeof(fatal_code));
		break;
	case PPP_EV_RXR:
		rx(PPP_ECHO_REQ, 0x46, magic, sizeof(magic));
		break;
	default:
		fail();
	}
}

static void check_cell(int s, enum ppp_fsm_event ev)
{
	const char *cell = rfc_table[ev][s];
	bool illegal = strcmp(cell, "-") == 0;
	int next = illegal ? s : cell_state(cell);
	int expect_restart = PRESET_RESTART, sends;
	char what[96];

	snprintf(what, sizeof(what), "state %s event %s cell \"%s\"", ppp_fsm_state_name(s),
	         ppp_fsm_event_name(ev), cell);
	enter(s);
	fire(ev);

	if (fk.f.state != next)
		fail_msg("%s: now in %s", what, ppp_fsm_state_name(fk.f.state));
	/* Exactly the packets and layer signals the cell names. */
	if (count_sent(PPP_CONF_REQ) != has_action(cell, "scr") ||
	    count_sent(PPP_CONF_ACK) != has_action(cell, "sca") ||
	    count_sent(PPP_CONF_NAK) + count_sent(PPP_CONF_REJ) != has_action(cell, "scn") ||
	    count_sent(PPP_TERM_REQ) != has_action(cell, "str") ||
	    count_sent(PPP_TERM_ACK) != has_action(cell, "sta") ||
	    count_sent(PPP_CODE_REJ) != has_action(cell, "scj") ||
	    count_sent(PPP_ECHO_REP) != has_action(cell, "ser") ||
	    fk.ser != has_action(cell, "ser"))
		fail_msg("%s: wrong packets (%d sent)", what, fk.nsent);
	if (fk.tlu != has_action(cell, "tlu") || fk.tld != has_action(cell, "tld") ||
	    fk.tls != has_action(cell, "tls") || fk.tlf != has_action(cell, "tlf"))
		fail_msg("%s: tlu %d tld %d tls %d tlf %d", what, fk.tlu, fk.tld, fk.tls, fk.tlf);

	/* Counters: irc to Max-Terminate (with str) or Max-Configure, zrc to
	 * zero; each scr and str spends one. TO events preset 2 or 0. */
	if (ev == PPP_EV_TO_PLUS)
		expect_restart = 2;
	if (ev == PPP_EV_TO_MINUS)
		expect_restart = 0;
	if (has_action(cell, "irc"))
		expect_restart = has_action(cell, "str") ? conf.max_terminate : conf.max_configure;
	if (has_action(cell, "zrc"))
		expect_restart = 0;
	sends = has_action(cell, "scr") + has_action(cell, "str");
	expect_restart -= sends;
	if (!illegal && fk.f.restart != expect_restart)
		fail_msg("%s: restart counter %d, expected %d", what, fk.f.restart, expect_restart);

	/* §4.1: the Restart timer runs in the states with TO events; scr, str
	 * and zrc (re)start it. */
	if (!illegal && !timer_state(next) && fk.f.deadline != PPP_NO_DEADLINE)
		fail_msg("%s: timer left running", what);
	if (!illegal && (sends || has_action(cell, "zrc")) && fk.f.deadline != T0 + conf.restart_ms)
		fail_msg("%s: timer not restarted", what);
}

static void test_table_every_cell(void **state)
{
	(void)state;
	for (int s = 0; s < PPP_FSM_NSTATES; s++)
		for (int ev = 0; ev < PPP_EV_COUNT; ev++)
			check_cell(s, (enum ppp_fsm_event)ev);
}

/* The replies carry what they should: an Ack repeats the request, a Nak the
 * suggestion, sta the Identifier of what it answers, scj the packet. */
static void test_reply_contents(void **state)
{
	static const uint8_t req[] = {OPT_FLAG, 2, OPT_VALUE, 3, 0x22};
	uint8_t big[200];
	const struct sent *p;

	(void)state;
	enter(PPP_FSM_REQ_SENT);
	rx(PPP_CONF_REQ, 0x99, req, sizeof(req));
	p = last_sent();
	assert_int_equal(p->buf[0], PPP_CONF_ACK);
	assert_int_equal(p->buf[1], 0x99);
	assert_int_equal(p->len, 4 + sizeof(req));
	assert_memory_equal(p->buf + 4, req, sizeof(req));

	enter(PPP_FSM_REQ_SENT);
	fk.verdict = PPP_OPT_NAK;
	rx(PPP_CONF_REQ, 0x9a, req, sizeof(req));
	p = last_sent();
	assert_int_equal(p->buf[0], PPP_CONF_NAK);
	assert_int_equal(p->buf[1], 0x9a);
	assert_int_equal(p->len, 7);
	assert_int_equal(p->buf[6], 0x55);

	enter(PPP_FSM_OPENED);
	rx(PPP_TERM_REQ, 0x33, NULL, 0);
	assert_int_equal(last_sent()->buf[0], PPP_TERM_ACK);
	assert_int_equal(last_sent()->buf[1], 0x33);

	/* §5.6: the rejected packet, truncated to the peer's MRU. */
	enter(PPP_FSM_OPENED);
	fk.mru = 64;
	memset(big, 0xab, sizeof(big));
	rx(0x30, 0x34, big, sizeof(big));
	p = last_sent();
	assert_int_equal(p->buf[0], PPP_CODE_REJ);
	assert_int_equal(p->len, 64);
	assert_int_equal(ppp_get16(p->buf + 2), 64);
	assert_int_equal(p->buf[4], 0x30);
	assert_int_equal(p->buf[5], 0x34);
	assert_int_not_equal(p->buf[1], 0x34); /* a fresh Identifier */
}

/* §4.6 Max-Configure: that many Configure-Requests, one per Restart
 * period, then TO- and This-Layer-Finished in Stopped. */
static void test_max_configure(void **state)
{
	uint64_t now = T0;

	(void)state;
	fake_reset();
	ppp_fsm_open(&fk.f, now);
	ppp_fsm_up(&fk.f, now);
	assert_int_equal(fk.f.state, PPP_FSM_REQ_SENT);
	for (int i = 1; i < conf.max_configure; i++) {
		assert_int_equal(ppp_fsm_deadline(&fk.f), now + conf.restart_ms);
		ppp_fsm_tick(&fk.f, now + conf.restart_ms - 1); /* not yet */
		assert_int_equal(count_sent(PPP_CONF_REQ), i);
		now += conf.restart_ms;
		ppp_fsm_tick(&fk.f, now);
		assert_int_equal(count_sent(PPP_CONF_REQ), i + 1);
		/* a retransmission keeps its Identifier (§5.1) */
		assert_int_equal(fk.sent[i].buf[1], fk.sent[0].buf[1]);
	}
	assert_int_equal(fk.tlf, 0);
	now += conf.restart_ms;
	ppp_fsm_tick(&fk.f, now);
	assert_int_equal(count_sent(PPP_CONF_REQ), conf.max_configure);
	assert_int_equal(fk.tlf, 1);
	assert_int_equal(fk.tlf_ev, PPP_EV_TO_MINUS);
	assert_int_equal(fk.f.state, PPP_FSM_STOPPED);
	assert_int_equal(ppp_fsm_deadline(&fk.f), PPP_NO_DEADLINE);
}

/* §4.6 Max-Terminate: Close in Opened, Terminate-Requests, then Closed. */
static void test_max_terminate(void **state)
{
	uint64_t now = T0;

	(void)state;
	enter(PPP_FSM_OPENED);
	ppp_fsm_close(&fk.f, now);
	assert_int_equal(fk.f.state, PPP_FSM_CLOSING);
	assert_int_equal(fk.tld, 1);
	for (int i = 1; i <= conf.max_terminate; i++) {
		assert_int_equal(count_sent(PPP_TERM_REQ), i);
		now += conf.restart_ms;
		ppp_fsm_tick(&fk.f, now);
	}
	assert_int_equal(count_sent(PPP_TERM_REQ), conf.max_terminate);
	assert_int_equal(fk.f.state, PPP_FSM_CLOSED);
	assert_int_equal(fk.tlf, 1);
}

/* RTR in Opened: zrc gives the peer one Restart period, then TO- (no more
 * Terminate-Requests of our own) and Stopped. */
static void test_rtr_in_opened(void **state)
{
	(void)state;
	enter(PPP_FSM_OPENED);
	rx(PPP_TERM_REQ, 5, NULL, 0);
	assert_int_equal(fk.f.state, PPP_FSM_STOPPING);
	assert_int_equal(fk.tld, 1);
	assert_int_equal(fk.f.restart, 0);
	assert_int_equal(ppp_fsm_deadline(&fk.f), T0 + conf.restart_ms);
	ppp_fsm_tick(&fk.f, T0 + conf.restart_ms);
	assert_int_equal(fk.f.state, PPP_FSM_STOPPED);
	assert_int_equal(fk.tlf, 1);
	assert_int_equal(count_sent(PPP_TERM_REQ), 0);
}

/* §4.6 Max-Failure: after that many Naks, Naks become Rejects; an Ack sent
 * starts the count again. */
static void test_max_failure(void **state)
{
	static const uint8_t req[] = {OPT_VALUE, 3, 0x22};

	(void)state;
	enter(PPP_FSM_REQ_SENT);
	fk.verdict = PPP_OPT_NAK;
	for (int i = 0; i < conf.max_failure; i++) {
		rx(PPP_CONF_REQ, (uint8_t)i, req, sizeof(req));
		assert_int_equal(last_sent()->buf[0], PPP_CONF_NAK);
	}
	rx(PPP_CONF_REQ, 10, req, sizeof(req));
	assert_int_equal(last_sent()->buf[0], PPP_CONF_REJ);
	assert_memory_equal(last_sent()->buf + 4, req, sizeof(req));

	fk.verdict = PPP_OPT_ACK;
	rx(PPP_CONF_REQ, 11, req, sizeof(req));
	assert_int_equal(last_sent()->buf[0], PPP_CONF_ACK);
	fk.verdict = PPP_OPT_NAK;
	rx(PPP_CONF_REQ, 12, req, sizeof(req));
	assert_int_equal(last_sent()->buf[0], PPP_CONF_NAK);
}

/* §5.3, §5.4: Naks only when every option is known; otherwise a Reject
 * with just the unknown options, in their order, unmodified. */
static void test_reject_wins_over_nak(void **state)
{
	static const uint8_t req[] = {OPT_VALUE, 3, 0x22, 0x63, 4, 1, 2, OPT_FLAG, 2, 0x64, 2};
	static const uint8_t rej[] = {0x63, 4, 1, 2, 0x64, 2};

	(void)state;
	enter(PPP_FSM_REQ_SENT);
	fk.verdict = PPP_OPT_NAK;
	rx(PPP_CONF_REQ, 1, req, sizeof(req));
	assert_int_equal(fk.nsent, 1);
	assert_int_equal(last_sent()->buf[0], PPP_CONF_REJ);
	assert_int_equal(last_sent()->len, 4 + sizeof(rej));
	assert_memory_equal(last_sent()->buf + 4, rej, sizeof(rej));
	assert_int_equal(fk.f.state, PPP_FSM_REQ_SENT);
}

/* §5.2: an Ack must carry our last Identifier and exactly our options;
 * anything else is discarded without an event. A second Ack to the same
 * request (a duplicate) must not renegotiate an Opened link. */
static void test_ack_validation(void **state)
{
	uint8_t opts[16], bad[16];
	size_t n;

	(void)state;
	enter(PPP_FSM_REQ_SENT);
	fk.req_flag = true;
	n = our_opts(opts);
	assert_int_equal(rx(PPP_CONF_ACK, 8, opts, n), -EINVAL); /* wrong Identifier */
	memcpy(bad, opts, n);
	bad[2] ^= 1;
	assert_int_equal(rx(PPP_CONF_ACK, 7, bad, n), -EINVAL);      /* a changed value */
	assert_int_equal(rx(PPP_CONF_ACK, 7, opts, n - 2), -EINVAL); /* an option short */
	assert_int_equal(fk.f.state, PPP_FSM_REQ_SENT);
	assert_int_equal(rx(PPP_CONF_ACK, 7, opts, n), 0);
	assert_int_equal(fk.f.state, PPP_FSM_ACK_RCVD);
	assert_int_equal(rx(PPP_CONF_ACK, 7, opts, n), -EINVAL); /* duplicate */
	assert_int_equal(fk.f.state, PPP_FSM_ACK_RCVD);
	assert_int_equal(fk.nsent, 0);
}

/* §5.4 (erratum 543): a Reject must be a subset of our request, else it is
 * discarded; a valid one removes the options and a new request follows. */
static void test_reject_subset(void **state)
{
	static const uint8_t foreign[] = {OPT_VALUE, 3, 0x99};
	static const uint8_t ours[] = {OPT_FLAG, 2};
	static const uint8_t all[] = {OPT_VALUE, 3, 0x11, OPT_FLAG, 2};

	(void)state;
	enter(PPP_FSM_REQ_SENT);
	fk.req_flag = true;
	assert_int_equal(rx(PPP_CONF_REJ, 7, foreign, sizeof(foreign)), -EINVAL);
	assert_int_equal(fk.rejs, 0);
	assert_int_equal(rx(PPP_CONF_REJ, 7, ours, sizeof(ours)), 0);
	assert_int_equal(fk.rejs, 1);
	assert_false(fk.req_flag);
	assert_true(fk.req_value);
	/* RCN in Req-Sent: irc, scr with a new Identifier, without the option */
	assert_int_equal(last_sent()->buf[0], PPP_CONF_REQ);
	assert_int_not_equal(last_sent()->buf[1], 7);
	assert_int_equal(last_sent()->len, 4 + 3);

	/* Rejecting everything is allowed (a subset, not a proper one). */
	enter(PPP_FSM_REQ_SENT);
	fk.req_flag = true;
	assert_int_equal(rx(PPP_CONF_REJ, 7, all, sizeof(all)), 0);
	assert_int_equal(last_sent()->len, 4);
}

/* A Nak changes our next request; it gets a new Identifier. */
static void test_nak_applied(void **state)
{
	static const uint8_t nak[] = {OPT_VALUE, 3, 0x66};

	(void)state;
	enter(PPP_FSM_ACK_SENT);
	assert_int_equal(rx(PPP_CONF_NAK, 7, nak, sizeof(nak)), 0);
	assert_int_equal(fk.f.state, PPP_FSM_ACK_SENT);
	assert_int_equal(last_sent()->buf[0], PPP_CONF_REQ);
	assert_int_equal(last_sent()->buf[6], 0x66);
	assert_int_equal(last_sent()->buf[1], fk.f.reqid);
	assert_int_not_equal(fk.f.reqid, 7);
	/* the same Nak again is stale now */
	assert_int_equal(rx(PPP_CONF_NAK, 7, nak, sizeof(nak)), -EINVAL);
}

/* §5, §6: bad lengths discard the whole packet; octets past Length are
 * padding and are not echoed. */
static void test_malformed(void **state)
{
	uint8_t buf[64];
	size_t n;
	static const uint8_t short_opt[] = {OPT_FLAG, 1};
	static const uint8_t long_opt[] = {OPT_VALUE, 9, 0};

	(void)state;
	enter(PPP_FSM_REQ_SENT);
	assert_int_equal(ppp_fsm_input(&fk.f, buf, 3, T0), -EINVAL);
	n = pkt_build(buf, PPP_CONF_REQ, 1, NULL, 0);
	ppp_put16(buf + 2, 40); /* Length beyond the data */
	assert_int_equal(ppp_fsm_input(&fk.f, buf, n, T0), -EINVAL);
	ppp_put16(buf + 2, 3); /* Length below the header */
	assert_int_equal(ppp_fsm_input(&fk.f, buf, n, T0), -EINVAL);
	assert_int_equal(rx(PPP_CONF_REQ, 1, short_opt, sizeof(short_opt)), -EINVAL);
	assert_int_equal(rx(PPP_CONF_REQ, 1, long_opt, sizeof(long_opt)), -EINVAL);
	assert_int_equal(rx(PPP_CODE_REJ, 1, NULL, 0), -EINVAL);
	assert_int_equal(fk.nsent, 0);

	n = pkt_build(buf, PPP_CONF_REQ, 2, short_opt, 0);
	memset(buf + n, 0xee, 10); /* padding */
	assert_int_equal(ppp_fsm_input(&fk.f, buf, n + 10, T0), 0);
	assert_int_equal(last_sent()->buf[0], PPP_CONF_ACK);
	assert_int_equal(last_sent()->len, 4);
}

/* A whole negotiation between two automata, both with the fake protocol:
 * the usual exchange opens both ends with tlu once each. */
static void test_crossed_requests_open(void **state)
{
	uint8_t ack[16], req[16];
	size_t n;

	(void)state;
	fake_reset();
	ppp_fsm_open(&fk.f, T0);
	ppp_fsm_up(&fk.f, T0);
	/* the peer's request first, then its Ack of ours */
	n = our_opts(req);
	rx(PPP_CONF_REQ, 0x50, req, n);
	assert_int_equal(fk.f.state, PPP_FSM_ACK_SENT);
	n = our_opts(ack);
	rx(PPP_CONF_ACK, fk.f.reqid, ack, n);
	assert_int_equal(fk.f.state, PPP_FSM_OPENED);
	assert_int_equal(fk.tlu, 1);
	assert_int_equal(ppp_fsm_deadline(&fk.f), PPP_NO_DEADLINE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_every_cell),
	    cmocka_unit_test(test_reply_contents),
	    cmocka_unit_test(test_max_configure),
	    cmocka_unit_test(test_max_terminate),
	    cmocka_unit_test(test_rtr_in_opened),
	    cmocka_unit_test(test_max_failure),
	    cmocka_unit_test(test_reject_wins_over_nak),
	    cmocka_unit_test(test_ack_validation),
	    cmocka_unit_test(test_reject_subset),
	    cmocka_unit_test(test_nak_applied),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_crossed_requests_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
