/* RFC 1661 §4: the option negotiation automaton.
 *
 * The state transition table of §4.1 is data below: one row per event, one
 * cell per state, holding the actions and the next state. Everything else is
 * the parsing that turns a packet into an event and the actions themselves.
 *
 * Actions run in a fixed order, which §4.1 allows ("multiple actions may be
 * implemented in any convenient order"): tld first, so the layers above stop
 * before anything is renegotiated; the counters; the new state; the packets;
 * then tls, tlu and tlf last, because they call into other layers, which may
 * call back into this automaton. */
#include "fsm.h"

#include <errno.h>
#include <string.h>

#include "defs.h"

enum fsm_action {
	A_TLU = 1 << 0,
	A_TLD = 1 << 1,
	A_TLS = 1 << 2,
	A_TLF = 1 << 3,
	A_IRC = 1 << 4,
	A_ZRC = 1 << 5,
	A_SCR = 1 << 6,
	A_SCA = 1 << 7,
	A_SCN = 1 << 8,
	A_STR = 1 << 9,
	A_STA = 1 << 10,
	A_SCJ = 1 << 11,
	A_SER = 1 << 12,
};

/* flags */
enum {
	FSM_REPLY_SEEN = 1 << 0, /* a valid reply to reqid was processed: others are stale */
	FSM_NAKED = 1 << 1,      /* nak_id holds the Identifier of the last request Nak'd */
};

struct fsm_cell {
	uint16_t actions;
	int8_t next; /* -1: illegal event, no transition */
};

/* clang-format off */
#define X {0, -1}
#define C(a, s) {(a), (s)}

/* RFC 1661 §4.1, transcribed row by row. States, in order:
 * Initial, Starting, Closed, Stopped, Closing, Stopping, Req-Sent, Ack-Rcvd,
 * Ack-Sent, Opened. The [p] passive and [r] restart options are not used. */
static const struct fsm_cell fsm_table[PPP_EV_COUNT][PPP_FSM_NSTATES] = {
	[PPP_EV_UP] = {C(0, 2), C(A_IRC | A_SCR, 6), X, X, X, X, X, X, X, X},
	[PPP_EV_DOWN] = {X, X, C(0, 0), C(A_TLS, 1), C(0, 0), C(0, 1), C(0, 1), C(0, 1), C(0, 1),
			 C(A_TLD, 1)},
	[PPP_EV_OPEN] = {C(A_TLS, 1), C(0, 1), C(A_IRC | A_SCR, 6), C(0, 3), C(0, 5), C(0, 5),
			 C(0, 6), C(0, 7), C(0, 8), C(0, 9)},
	[PPP_EV_CLOSE] = {C(0, 0), C(A_TLF, 0), C(0, 2), C(0, 2), C(0, 4), C(0, 4),
			  C(A_IRC | A_STR, 4), C(A_IRC | A_STR, 4), C(A_IRC | A_STR, 4),
			  C(A_TLD | A_IRC | A_STR, 4)},
	[PPP_EV_TO_PLUS] = {X, X, X, X, C(A_STR, 4), C(A_STR, 5), C(A_SCR, 6), C(A_SCR, 6),
			    C(A_SCR, 8), X},
	[PPP_EV_TO_MINUS] = {X, X, X, X, C(A_TLF, 2), C(A_TLF, 3), C(A_TLF, 3), C(A_TLF, 3),
			     C(A_TLF, 3), X},
	[PPP_EV_RCR_PLUS] = {X, X, C(A_STA, 2), C(A_IRC | A_SCR | A_SCA, 8), C(0, 4), C(0, 5),
			     C(A_SCA, 8), C(A_SCA | A_TLU, 9), C(A_SCA, 8),
			     C(A_TLD | A_SCR | A_SCA, 8)},
	[PPP_EV_RCR_MINUS] = {X, X, C(A_STA, 2), C(A_IRC | A_SCR | A_SCN, 6), C(0, 4), C(0, 5),
			      C(A_SCN, 6), C(A_SCN, 7), C(A_SCN, 6), C(A_TLD | A_SCR | A_SCN, 6)},
	[PPP_EV_RCA] = {X, X, C(A_STA, 2), C(A_STA, 3), C(0, 4), C(0, 5), C(A_IRC, 7), C(A_SCR, 6),
			C(A_IRC | A_TLU, 9), C(A_TLD | A_SCR, 6)},
	[PPP_EV_RCN] = {X, X, C(A_STA, 2), C(A_STA, 3), C(0, 4), C(0, 5), C(A_IRC | A_SCR, 6),
			C(A_SCR, 6), C(A_IRC | A_SCR, 8), C(A_TLD | A_SCR, 6)},
	[PPP_EV_RTR] = {X, X, C(A_STA, 2), C(A_STA, 3), C(A_STA, 4), C(A_STA, 5), C(A_STA, 6),
			C(A_STA, 6), C(A_STA, 6), C(A_TLD | A_ZRC | A_STA, 5)},
	[PPP_EV_RTA] = {X, X, C(0, 2), C(0, 3), C(A_TLF, 2), C(A_TLF, 3), C(0, 6), C(0, 6), C(0, 8),
			C(A_TLD | A_SCR, 6)},
	[PPP_EV_RUC] = {X, X, C(A_SCJ, 2), C(A_SCJ, 3), C(A_SCJ, 4), C(A_SCJ, 5), C(A_SCJ, 6),
			C(A_SCJ, 7), C(A_SCJ, 8), C(A_SCJ, 9)},
	[PPP_EV_RXJ_PLUS] = {X, X, C(0, 2), C(0, 3), C(0, 4), C(0, 5), C(0, 6), C(0, 6), C(0, 8),
			     C(0, 9)},
	[PPP_EV_RXJ_MINUS] = {X, X, C(A_TLF, 2), C(A_TLF, 3), C(A_TLF, 2), C(A_TLF, 3),
			      C(A_TLF, 3), C(A_TLF, 3), C(A_TLF, 3),
			      C(A_TLD | A_IRC | A_STR, 5)},
	[PPP_EV_RXR] = {X, X, C(0, 2), C(0, 3), C(0, 4), C(0, 5), C(0, 6), C(0, 7), C(0, 8),
			C(A_SER, 9)},
};

#undef X
#undef C
/* clang-format on */

/* What an event carries into its actions. */
struct fsm_ctx {
	uint64_t now;
	const uint8_t *pkt; /* the received packet, if any (sta, scj, ser) */
	size_t len;
	uint8_t resp_code;   /* sca / scn: Ack, Nak or Reject ... */
	const uint8_t *resp; /* ... with these options */
	size_t resp_len;
	bool timeout; /* TO+: a retransmission may keep its Identifier */
};

static const struct ppp_fsm_conf fsm_default_conf = {3000, 2, 10, 5};

static const struct ppp_fsm_conf *fsm_conf(const struct ppp_fsm *f)
{
	return f->ops->conf ? f->ops->conf(f) : &fsm_default_conf;
}

/* §4.1: the Restart timer runs exactly in the states with TO events. */
static bool fsm_timer_runs(uint8_t state)
{
	return state >= PPP_FSM_CLOSING && state <= PPP_FSM_ACK_SENT;
}

static bool fsm_negotiating(uint8_t state)
{
	return state >= PPP_FSM_REQ_SENT;
}

void ppp_fsm_init(struct ppp_fsm *f, const struct ppp_fsm_ops *ops)
{
	memset(f, 0, sizeof(*f));
	f->ops = ops;
	f->state = PPP_FSM_INITIAL;
	f->deadline = PPP_NO_DEADLINE;
}

uint8_t ppp_fsm_new_id(struct ppp_fsm *f)
{
	return ++f->seq;
}

void ppp_fsm_send(struct ppp_fsm *f, uint8_t code, uint8_t id, const uint8_t *data, size_t len)
{
	uint8_t buf[PPP_HEADROOM + PPP_CTRL_MAX];
	uint8_t *pkt = buf + PPP_HEADROOM;

	if (len > PPP_CTRL_MAX - PPP_CTRL_HDR_LEN)
		len = PPP_CTRL_MAX - PPP_CTRL_HDR_LEN;
	pkt[0] = code;
	pkt[1] = id;
	ppp_put16(pkt + 2, (uint16_t)(PPP_CTRL_HDR_LEN + len));
	if (len)
		memcpy(pkt + PPP_CTRL_HDR_LEN, data, len);
	f->ops->output(f, pkt, PPP_CTRL_HDR_LEN + len);
}

static void fsm_start_timer(struct ppp_fsm *f, uint64_t now)
{
	f->deadline = now + fsm_conf(f)->restart_ms;
}

/* scr: §5.1, the Identifier changes when the options change or a reply was
 * received; a plain retransmission keeps it, so a late reply still counts. */
static void fsm_scr(struct ppp_fsm *f, const struct fsm_ctx *ctx)
{
	uint8_t opts[PPP_CTRL_MAX - PPP_CTRL_HDR_LEN];
	size_t len;

	if (!ctx->timeout || (f->flags & FSM_REPLY_SEEN)) {
		f->reqid = ppp_fsm_new_id(f);
		f->flags &= (uint8_t)~FSM_REPLY_SEEN;
	}
	len = f->ops->build_req(f, opts, sizeof(opts));
	ppp_fsm_send(f, PPP_CONF_REQ, f->reqid, opts, len);
	if (f->restart)
		f->restart--;
	fsm_start_timer(f, ctx->now);
}

static void fsm_str(struct ppp_fsm *f, const struct fsm_ctx *ctx)
{
	if (!ctx->timeout)
		f->reqid = ppp_fsm_new_id(f);
	ppp_fsm_send(f, PPP_TERM_REQ, f->reqid, NULL, 0);
	if (f->restart)
		f->restart--;
	fsm_start_timer(f, ctx->now);
}

/* scj: §5.6, a copy of the packet, truncated to the peer's MRU. */
static void fsm_scj(struct ppp_fsm *f, const struct fsm_ctx *ctx)
{
	size_t mru = f->ops->peer_mru ? f->ops->peer_mru(f) : 1500;
	size_t len = ctx->len;

	if (mru > PPP_CTRL_MAX)
		mru = PPP_CTRL_MAX;
	if (len > mru - PPP_CTRL_HDR_LEN)
		len = mru - PPP_CTRL_HDR_LEN;
	ppp_fsm_send(f, PPP_CODE_REJ, ppp_fsm_new_id(f), ctx->pkt, len);
}

static void fsm_event(struct ppp_fsm *f, enum ppp_fsm_event ev, const struct fsm_ctx *ctx)
{
	const struct fsm_cell *cell = &fsm_table[ev][f->state];
	const struct ppp_fsm_conf *conf = fsm_conf(f);
	const struct ppp_fsm_ops *ops = f->ops;
	uint16_t a = cell->actions;
	uint8_t old = f->state;

	/* §4.4 Illegal-Event: no transition, no reset. */
	if (cell->next < 0)
		return;

	if ((a & A_TLD) && ops->tld)
		ops->tld(f, ctx->now);
	if (a & A_IRC)
		f->restart = (a & A_STR) ? conf->max_terminate : conf->max_configure;
	if (a & A_ZRC) {
		/* §4.4: pause one timeout before the final state, with no
		 * retransmission left. */
		f->restart = 0;
		fsm_start_timer(f, ctx->now);
	}
	f->state = (uint8_t)cell->next;
	if (!fsm_timer_runs(f->state))
		f->deadline = PPP_NO_DEADLINE;
	/* Max-Failure counts Naks within one negotiation. */
	if (!fsm_negotiating(old) && fsm_negotiating(f->state))
		f->failures = 0;

	if (a & A_SCR)
		fsm_scr(f, ctx);
	if (a & A_SCA) {
		ppp_fsm_send(f, PPP_CONF_ACK, ctx->pkt[1], ctx->resp, ctx->resp_len);
		f->failures = 0;
		f->flags &= (uint8_t)~FSM_NAKED;
	}
	if (a & A_SCN) {
		ppp_fsm_send(f, ctx->resp_code, ctx->pkt[1], ctx->resp, ctx->resp_len);
		/* A retransmission (same Identifier, §5.1) whose Nak was lost is
		 * not one more failure to converge. */
		if (ctx->resp_code == PPP_CONF_NAK &&
		    !((f->flags & FSM_NAKED) && f->nak_id == ctx->pkt[1]) &&
		    f->failures < UINT8_MAX)
			f->failures++;
		if (ctx->resp_code == PPP_CONF_NAK) {
			f->flags |= FSM_NAKED;
			f->nak_id = ctx->pkt[1];
		}
	}
	if (a & A_STR)
		fsm_str(f, ctx);
	if (a & A_STA)
		ppp_fsm_send(f, PPP_TERM_ACK, ctx->pkt ? ctx->pkt[1] : ppp_fsm_new_id(f), NULL, 0);
	if (a & A_SCJ)
		fsm_scj(f, ctx);
	if ((a & A_SER) && ops->ser)
		ops->ser(f, ctx->pkt, ctx->len);
	if ((a & A_TLS) && ops->tls)
		ops->tls(f, ctx->now);
	if ((a & A_TLU) && ops->tlu)
		ops->tlu(f, ctx->now);
	if ((a & A_TLF) && ops->tlf)
		ops->tlf(f, ev, (enum ppp_fsm_state)old, ctx->now);
}

static void fsm_simple(struct ppp_fsm *f, enum ppp_fsm_event ev, uint64_t now)
{
	struct fsm_ctx ctx = {.now = now};

	fsm_event(f, ev, &ctx);
}

void ppp_fsm_up(struct ppp_fsm *f, uint64_t now)
{
	fsm_simple(f, PPP_EV_UP, now);
}

void ppp_fsm_down(struct ppp_fsm *f, uint64_t now)
{
	fsm_simple(f, PPP_EV_DOWN, now);
}

void ppp_fsm_open(struct ppp_fsm *f, uint64_t now)
{
	fsm_simple(f, PPP_EV_OPEN, now);
}

void ppp_fsm_close(struct ppp_fsm *f, uint64_t now)
{
	fsm_simple(f, PPP_EV_CLOSE, now);
}

void ppp_fsm_rxj(struct ppp_fsm *f, bool catastrophic, uint64_t now)
{
	fsm_simple(f, catastrophic ? PPP_EV_RXJ_MINUS : PPP_EV_RXJ_PLUS, now);
}

void ppp_fsm_rxr(struct ppp_fsm *f, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct fsm_ctx ctx = {.now = now, .pkt = pkt, .len = len};

	fsm_event(f, PPP_EV_RXR, &ctx);
}

void ppp_fsm_tick(struct ppp_fsm *f, uint64_t now)
{
	struct fsm_ctx ctx = {.now = now, .timeout = true};

	if (f->deadline == PPP_NO_DEADLINE || now < f->deadline)
		return;
	f->deadline = PPP_NO_DEADLINE;
	fsm_event(f, f->restart > 0 ? PPP_EV_TO_PLUS : PPP_EV_TO_MINUS, &ctx);
}

/* §6: every option's Length within the packet, at least the header. */
static bool fsm_opts_valid(const uint8_t *opts, size_t len)
{
	size_t off = 0;

	while (off < len) {
		if (len - off < PPP_OPT_HDR_LEN || opts[off + 1] < PPP_OPT_HDR_LEN ||
		    opts[off + 1] > len - off)
			return false;
		off += opts[off + 1];
	}
	return true;
}

/* §5.2-§5.4: a reply must carry the Identifier of our last request, and only
 * the first valid reply to it counts (a duplicate must not renegotiate). */
static bool fsm_reply_expected(const struct ppp_fsm *f, uint8_t id)
{
	return f->state >= PPP_FSM_CLOSED && id == f->reqid && !(f->flags & FSM_REPLY_SEEN);
}

/* Each rejected option must appear, unchanged and in order, in our last
 * request (§5.4, erratum 543: a subset, not necessarily proper). */
static bool fsm_rej_is_subset(const uint8_t *rej, size_t rej_len, const uint8_t *req,
                              size_t req_len)
{
	size_t r = 0, q = 0;

	while (r < rej_len) {
		size_t olen = rej[r + 1];

		while (q < req_len && (req[q + 1] != olen || memcmp(req + q, rej + r, olen) != 0))
			q += req[q + 1];
		if (q >= req_len)
			return false;
		q += olen;
		r += olen;
	}
	return true;
}

/* §5.1-§5.4: the peer's Configure-Request → RCR+ (Ack) or RCR- (Nak or
 * Reject). Rejects win over Naks: a Nak is only sent when every option was
 * recognised. After Max-Failure Naks, Naks become Rejects and our wishes are
 * no longer appended (§4.6). */
static int fsm_rcv_conf_req(struct ppp_fsm *f, const uint8_t *pkt, size_t len, uint64_t now)
{
	const uint8_t *opts = pkt + PPP_CTRL_HDR_LEN;
	size_t olen = len - PPP_CTRL_HDR_LEN, off, nak_len = 0, rej_len = 0;
	uint8_t nak[PPP_CTRL_MAX - PPP_CTRL_HDR_LEN], rej[PPP_CTRL_MAX - PPP_CTRL_HDR_LEN];
	bool reject_only = f->failures >= fsm_conf(f)->max_failure;
	struct fsm_ctx ctx = {.now = now, .pkt = pkt, .len = len};

	if (!fsm_opts_valid(opts, olen))
		return -EINVAL;
	/* Longer than any MRU we accept control packets at (§5): our replies
	 * (an Ack repeats it all) could not be built. */
	if (olen > sizeof(rej))
		return -EMSGSIZE;
	/* The table's rows for RCR+ and RCR- only differ where a reply is
	 * sent; elsewhere the options need no judging. */
	if (f->state != PPP_FSM_STOPPED && !fsm_negotiating(f->state)) {
		fsm_event(f, PPP_EV_RCR_PLUS, &ctx);
		return 0;
	}

	f->ops->req_begin(f);
	for (off = 0; off < olen; off += opts[off + 1]) {
		const uint8_t *opt = opts + off;
		size_t n = 0;

		if (sizeof(nak) - nak_len < PPP_FSM_NAK_OPT_MAX)
			return -EMSGSIZE;
		switch (f->ops->req_opt(f, opt, nak + nak_len, &n)) {
		case PPP_OPT_ACK:
			break;
		case PPP_OPT_NAK:
			if (!reject_only) {
				nak_len += n;
				break;
			}
			/* fall through */
		case PPP_OPT_REJ:
			memcpy(rej + rej_len, opt, opt[1]);
			rej_len += opt[1];
			break;
		}
	}
	if (!reject_only && !rej_len && f->ops->req_end)
		nak_len += f->ops->req_end(f, nak + nak_len, sizeof(nak) - nak_len);

	if (rej_len) {
		ctx.resp_code = PPP_CONF_REJ;
		ctx.resp = rej;
		ctx.resp_len = rej_len;
	} else if (nak_len) {
		ctx.resp_code = PPP_CONF_NAK;
		ctx.resp = nak;
		ctx.resp_len = nak_len;
	} else {
		ctx.resp_code = PPP_CONF_ACK;
		ctx.resp = opts;
		ctx.resp_len = olen;
	}
	fsm_event(f, ctx.resp_code == PPP_CONF_ACK ? PPP_EV_RCR_PLUS : PPP_EV_RCR_MINUS, &ctx);
	return 0;
}

/* Configure-Ack, -Nak or -Reject of our last request. */
static int fsm_rcv_conf_reply(struct ppp_fsm *f, const uint8_t *pkt, size_t len, uint64_t now)
{
	const uint8_t *opts = pkt + PPP_CTRL_HDR_LEN;
	size_t olen = len - PPP_CTRL_HDR_LEN, req_len;
	uint8_t req[PPP_CTRL_MAX - PPP_CTRL_HDR_LEN];
	struct fsm_ctx ctx = {.now = now, .pkt = pkt, .len = len};

	if (!fsm_reply_expected(f, pkt[1]) || !fsm_opts_valid(opts, olen))
		return -EINVAL;
	req_len = f->ops->build_req(f, req, sizeof(req));
	switch (pkt[0]) {
	case PPP_CONF_ACK:
		/* §5.2: exactly the options of our last request. */
		if (olen != req_len || (olen && memcmp(opts, req, olen) != 0))
			return -EINVAL;
		f->flags |= FSM_REPLY_SEEN;
		fsm_event(f, PPP_EV_RCA, &ctx);
		return 0;
	case PPP_CONF_NAK:
		if (f->ops->rcv_nak(f, opts, olen) < 0)
			return -EINVAL;
		break;
	default:
		if (!fsm_rej_is_subset(opts, olen, req, req_len))
			return -EINVAL;
		f->ops->rcv_rej(f, opts, olen);
		break;
	}
	f->flags |= FSM_REPLY_SEEN;
	fsm_event(f, PPP_EV_RCN, &ctx);
	return 0;
}

static int fsm_rcv_code_rej(struct ppp_fsm *f, const uint8_t *pkt, size_t len, uint64_t now)
{
	uint8_t code;
	bool fatal;

	if (len < PPP_CTRL_HDR_LEN + 1)
		return -EINVAL;
	code = pkt[PPP_CTRL_HDR_LEN];
	if (f->ops->code_rejected)
		fatal = f->ops->code_rejected(f, code);
	else
		fatal = code >= PPP_CONF_REQ && code <= PPP_CODE_REJ;
	ppp_fsm_rxj(f, fatal, now);
	return 0;
}

int ppp_fsm_input(struct ppp_fsm *f, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct fsm_ctx ctx = {.now = now, .pkt = pkt};
	size_t plen;

	/* §5: a bad Length discards the packet; octets beyond it are padding. */
	if (len < PPP_CTRL_HDR_LEN)
		return -EINVAL;
	plen = ppp_get16(pkt + 2);
	if (plen < PPP_CTRL_HDR_LEN || plen > len)
		return -EINVAL;
	len = plen;
	ctx.len = len;

	switch (pkt[0]) {
	case PPP_CONF_REQ:
		return fsm_rcv_conf_req(f, pkt, len, now);
	case PPP_CONF_ACK:
	case PPP_CONF_NAK:
	case PPP_CONF_REJ:
		return fsm_rcv_conf_reply(f, pkt, len, now);
	case PPP_TERM_REQ:
		fsm_event(f, PPP_EV_RTR, &ctx);
		return 0;
	case PPP_TERM_ACK:
		fsm_event(f, PPP_EV_RTA, &ctx);
		return 0;
	case PPP_CODE_REJ:
		return fsm_rcv_code_rej(f, pkt, len, now);
	default:
		if (f->ops->rx_code && f->ops->rx_code(f, pkt, len, now) == 0)
			return 0;
		fsm_event(f, PPP_EV_RUC, &ctx);
		return 0;
	}
}

const char *ppp_fsm_state_name(enum ppp_fsm_state s)
{
	static const char *const names[PPP_FSM_NSTATES] = {
	    "initial",  "starting", "closed",   "stopped",  "closing",
	    "stopping", "req-sent", "ack-rcvd", "ack-sent", "opened",
	};

	return (unsigned)s < PPP_FSM_NSTATES ? names[s] : "?";
}

const char *ppp_fsm_event_name(enum ppp_fsm_event e)
{
	static const char *const names[PPP_EV_COUNT] = {
	    "up",  "down", "open", "close", "to+", "to-",  "rcr+", "rcr-",
	    "rca", "rcn",  "rtr",  "rta",   "ruc", "rxj+", "rxj-", "rxr",
	};

	return (unsigned)e < PPP_EV_COUNT ? names[e] : "?";
}
