/* LCP (RFC 1661 §5, §6) on the generic automaton. */
#include "lcp.h"

#include <errno.h>
#include <string.h>

#include "defs.h"
#include "internal.h"

/* Options we still put in our Configure-Request. */
enum {
	LCP_REQ_MRU = 1 << 0,
	LCP_REQ_AUTH = 1 << 1,
	LCP_REQ_MAGIC = 1 << 2,
	LCP_REQ_PFC = 1 << 3,
	LCP_REQ_ACFC = 1 << 4,
};

/* What the peer's request carried (for our transmissions). */
enum {
	LCP_PEER_PFC = 1 << 0,
	LCP_PEER_ACFC = 1 << 1,
};

enum {
	LCP_F_RX = 1 << 0,           /* any LCP packet received: for cause 5 vs 6 */
	LCP_F_AUTH_REFUSED = 1 << 1, /* the peer refused every method of ours */
	LCP_F_NO_ECHO = 1 << 2,      /* the peer Code-Rejected Echo-Request */
};

#define LCP_MAGIC_LEN 6
#define LCP_MRU_LEN   4
#define LCP_ACCM_LEN  6
#define LCP_BOOL_LEN  2
#define LCP_PAP_LEN   4
#define LCP_CHAP_LEN  5
/* Magic-Number collisions in a row taken as proof of a loop (§6.4). */
#define LCP_MAX_LOOPS 5

static struct ppp *lcp_ppp(const struct ppp_fsm *f)
{
	return ppp_container_of(f, struct ppp, lcp.fsm);
}

static const struct ppp_fsm_conf *lcp_conf(const struct ppp_fsm *f)
{
	return &lcp_ppp(f)->cfg->fsm;
}

static size_t lcp_peer_mru(const struct ppp_fsm *f)
{
	return lcp_ppp(f)->lcp.peer_mru;
}

static void lcp_output(struct ppp_fsm *f, uint8_t *pkt, size_t len)
{
	ppp_output(lcp_ppp(f), PPP_PROTO_LCP, pkt, len);
}

static uint32_t lcp_new_magic(struct ppp *ppp, uint32_t avoid)
{
	uint32_t m;

	do
		ppp_random(ppp, &m, sizeof(m));
	while (m == 0 || m == avoid);
	return m;
}

/* The Authentication-Protocol option of a method (RFC 1334 §2.1,
 * RFC 1994 §3, RFC 2759 §2); returns its length. */
static size_t lcp_put_auth(uint8_t *p, uint8_t method)
{
	p[0] = PPP_LCP_OPT_AUTH;
	if (method == PPP_AUTH_PAP) {
		p[1] = LCP_PAP_LEN;
		ppp_put16(p + 2, PPP_PROTO_PAP);
		return LCP_PAP_LEN;
	}
	p[1] = LCP_CHAP_LEN;
	ppp_put16(p + 2, PPP_PROTO_CHAP);
	p[4] = method == PPP_AUTH_MSCHAPV2 ? PPP_CHAP_MSCHAPV2 : PPP_CHAP_MD5;
	return LCP_CHAP_LEN;
}

/* The method an Authentication-Protocol option names; PPP_AUTH_NONE for
 * one we do not implement (EAP, MS-CHAPv1, ...). */
static uint8_t lcp_get_auth(const uint8_t *opt)
{
	uint16_t proto;

	if (opt[1] < LCP_PAP_LEN)
		return PPP_AUTH_NONE;
	proto = ppp_get16(opt + 2);
	if (proto == PPP_PROTO_PAP && opt[1] == LCP_PAP_LEN)
		return PPP_AUTH_PAP;
	if (proto == PPP_PROTO_CHAP && opt[1] == LCP_CHAP_LEN) {
		if (opt[4] == PPP_CHAP_MD5)
			return PPP_AUTH_CHAP_MD5;
		if (opt[4] == PPP_CHAP_MSCHAPV2)
			return PPP_AUTH_MSCHAPV2;
	}
	return PPP_AUTH_NONE;
}

static size_t lcp_build_req(struct ppp_fsm *f, uint8_t *buf, size_t cap)
{
	struct ppp_lcp *lcp = &lcp_ppp(f)->lcp;
	size_t n = 0;

	(void)cap; /* at most 19 octets */
	if (lcp->req & LCP_REQ_MRU) {
		buf[n] = PPP_LCP_OPT_MRU;
		buf[n + 1] = LCP_MRU_LEN;
		ppp_put16(buf + n + 2, lcp->mru);
		n += LCP_MRU_LEN;
	}
	if (lcp->req & LCP_REQ_AUTH)
		n += lcp_put_auth(buf + n, lcp->auth);
	if (lcp->req & LCP_REQ_MAGIC) {
		buf[n] = PPP_LCP_OPT_MAGIC;
		buf[n + 1] = LCP_MAGIC_LEN;
		ppp_put32(buf + n + 2, lcp->magic);
		n += LCP_MAGIC_LEN;
	}
	if (lcp->req & LCP_REQ_PFC) {
		buf[n++] = PPP_LCP_OPT_PFC;
		buf[n++] = LCP_BOOL_LEN;
	}
	if (lcp->req & LCP_REQ_ACFC) {
		buf[n++] = PPP_LCP_OPT_ACFC;
		buf[n++] = LCP_BOOL_LEN;
	}
	return n;
}

/* The peer's request sets these anew each time; defaults are §6's. */
static void lcp_req_begin(struct ppp_fsm *f)
{
	struct ppp_lcp *lcp = &lcp_ppp(f)->lcp;

	lcp->peer_mru = PPP_DEFAULT_MRU;
	lcp->peer_magic = 0;
	lcp->peer = 0;
	lcp->peer_auth = PPP_AUTH_NONE;
}

static enum ppp_opt_verdict lcp_nak_magic(struct ppp *ppp, uint8_t *nak, size_t *nak_len)
{
	struct ppp_lcp *lcp = &ppp->lcp;

	lcp->nak_magic = lcp_new_magic(ppp, lcp->magic);
	nak[0] = PPP_LCP_OPT_MAGIC;
	nak[1] = LCP_MAGIC_LEN;
	ppp_put32(nak + 2, lcp->nak_magic);
	*nak_len = LCP_MAGIC_LEN;
	return PPP_OPT_NAK;
}

/* Client: the server names the method we must use. */
static enum ppp_opt_verdict lcp_req_auth(struct ppp *ppp, const uint8_t *opt, uint8_t *nak,
                                         size_t *nak_len)
{
	uint8_t m = lcp_get_auth(opt), first = ppp->cfg->auth[0];

	/* We authenticate nobody's server, and cannot without credentials. */
	if (ppp->cfg->role != PPP_ROLE_CLIENT || !ppp->user || !ppp->password ||
	    first == PPP_AUTH_NONE)
		return PPP_OPT_REJ;
	if (m != PPP_AUTH_NONE && ppp_auth_pref_has(ppp->cfg, m)) {
		ppp->lcp.peer_auth = m;
		return PPP_OPT_ACK;
	}
	/* §6.2: suggest the method we would rather use. */
	*nak_len = lcp_put_auth(nak, first);
	return PPP_OPT_NAK;
}

static enum ppp_opt_verdict lcp_req_opt(struct ppp_fsm *f, const uint8_t *opt, uint8_t *nak,
                                        size_t *nak_len)
{
	struct ppp *ppp = lcp_ppp(f);
	struct ppp_lcp *lcp = &ppp->lcp;
	uint32_t magic;

	switch (opt[0]) {
	case PPP_LCP_OPT_MRU:
		/* §6: a bad Length is Nak'd with a good option. */
		if (opt[1] == LCP_MRU_LEN && ppp_get16(opt + 2) >= PPP_MIN_MRU) {
			lcp->peer_mru = ppp_get16(opt + 2);
			return PPP_OPT_ACK;
		}
		nak[0] = PPP_LCP_OPT_MRU;
		nak[1] = LCP_MRU_LEN;
		ppp_put16(nak + 2, PPP_MIN_MRU);
		*nak_len = LCP_MRU_LEN;
		return PPP_OPT_NAK;
	case PPP_LCP_OPT_ACCM:
		/* RFC 1662 §7.1: async framing only, done (if at all) by the
		 * LAC; harmless to agree to over L2TP. */
		return opt[1] == LCP_ACCM_LEN ? PPP_OPT_ACK : PPP_OPT_REJ;
	case PPP_LCP_OPT_AUTH:
		return lcp_req_auth(ppp, opt, nak, nak_len);
	case PPP_LCP_OPT_MAGIC:
		if (opt[1] != LCP_MAGIC_LEN)
			return PPP_OPT_REJ;
		magic = ppp_get32(opt + 2);
		/* §6.4: zero is illegal; our own number may be a loop. */
		if (magic == 0)
			return lcp_nak_magic(ppp, nak, nak_len);
		if ((lcp->req & LCP_REQ_MAGIC) && magic == lcp->magic) {
			if (lcp->loops < UINT8_MAX)
				lcp->loops++;
			return lcp_nak_magic(ppp, nak, nak_len);
		}
		lcp->peer_magic = magic;
		return PPP_OPT_ACK;
	case PPP_LCP_OPT_PFC:
	case PPP_LCP_OPT_ACFC:
		if (opt[1] != LCP_BOOL_LEN)
			return PPP_OPT_REJ;
		lcp->peer |= opt[0] == PPP_LCP_OPT_PFC ? LCP_PEER_PFC : LCP_PEER_ACFC;
		return PPP_OPT_ACK;
	default:
		/* Quality-Protocol, Callback, Multilink, ...: not here. */
		return PPP_OPT_REJ;
	}
}

/* Server: the next method of ours to offer, the peer's suggestion first if
 * we have it and have not tried it (§6.2). */
static void lcp_next_auth(struct ppp *ppp, uint8_t suggested)
{
	struct ppp_lcp *lcp = &ppp->lcp;
	const uint8_t *prefs = ppp->cfg->auth;

	lcp->auth_tried |= (uint8_t)(1u << lcp->auth);
	if (suggested != PPP_AUTH_NONE && ppp_auth_pref_has(ppp->cfg, suggested) &&
	    !(lcp->auth_tried & (1u << suggested))) {
		lcp->auth = suggested;
		return;
	}
	for (int i = 0; i < PPP_AUTH_PREFS_MAX && prefs[i] != PPP_AUTH_NONE; i++) {
		if (!(lcp->auth_tried & (1u << prefs[i]))) {
			lcp->auth = prefs[i];
			return;
		}
	}
	lcp->auth = PPP_AUTH_NONE;
	lcp->req &= (uint8_t)~LCP_REQ_AUTH;
	if (!ppp->cfg->auth_optional)
		lcp->flags |= LCP_F_AUTH_REFUSED;
}

static int lcp_rcv_nak(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp *ppp = lcp_ppp(f);
	struct ppp_lcp *lcp = &ppp->lcp;

	for (size_t off = 0; off < len; off += opts[off + 1]) {
		const uint8_t *opt = opts + off;

		switch (opt[0]) {
		case PPP_LCP_OPT_MRU:
			if (!(lcp->req & LCP_REQ_MRU) || opt[1] != LCP_MRU_LEN)
				break;
			if (ppp_get16(opt + 2) >= PPP_MIN_MRU)
				lcp->mru = ppp_get16(opt + 2);
			else
				lcp->req &= (uint8_t)~LCP_REQ_MRU;
			break;
		case PPP_LCP_OPT_AUTH:
			if (!(lcp->req & LCP_REQ_AUTH))
				break;
			if (opt[1] < LCP_PAP_LEN)
				return -EINVAL;
			lcp_next_auth(ppp, lcp_get_auth(opt));
			break;
		case PPP_LCP_OPT_MAGIC:
			if (!(lcp->req & LCP_REQ_MAGIC) || opt[1] != LCP_MAGIC_LEN)
				break;
			/* §6.4: our own suggestion coming back makes a loop more
			 * likely; either way a new number is chosen. */
			if (lcp->nak_magic && ppp_get32(opt + 2) == lcp->nak_magic &&
			    lcp->loops < UINT8_MAX)
				lcp->loops++;
			lcp->magic = lcp_new_magic(ppp, ppp_get32(opt + 2));
			break;
		case PPP_LCP_OPT_PFC:
			/* A boolean option cannot be Nak'd (§5.3): as a Reject. */
			lcp->req &= (uint8_t)~LCP_REQ_PFC;
			break;
		case PPP_LCP_OPT_ACFC:
			lcp->req &= (uint8_t)~LCP_REQ_ACFC;
			break;
		default:
			break; /* options we did not ask for: we keep our defaults */
		}
	}
	return 0;
}

static void lcp_rcv_rej(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp *ppp = lcp_ppp(f);
	struct ppp_lcp *lcp = &ppp->lcp;

	for (size_t off = 0; off < len; off += opts[off + 1]) {
		switch (opts[off]) {
		case PPP_LCP_OPT_MRU:
			lcp->req &= (uint8_t)~LCP_REQ_MRU;
			break;
		case PPP_LCP_OPT_AUTH:
			/* The peer will not authenticate at all. */
			lcp->req &= (uint8_t)~LCP_REQ_AUTH;
			lcp->auth = PPP_AUTH_NONE;
			if (!ppp->cfg->auth_optional)
				lcp->flags |= LCP_F_AUTH_REFUSED;
			break;
		case PPP_LCP_OPT_MAGIC:
			/* §6.4: not looped back; no Magic-Number in use. */
			lcp->req &= (uint8_t)~LCP_REQ_MAGIC;
			lcp->magic = 0;
			break;
		case PPP_LCP_OPT_PFC:
			lcp->req &= (uint8_t)~LCP_REQ_PFC;
			break;
		case PPP_LCP_OPT_ACFC:
			lcp->req &= (uint8_t)~LCP_REQ_ACFC;
			break;
		}
	}
}

static void lcp_tlu(struct ppp_fsm *f, uint64_t now)
{
	struct ppp *ppp = lcp_ppp(f);
	struct ppp_lcp *lcp = &ppp->lcp;

	lcp->echo_pending = 0;
	lcp->last_rx = now;
	lcp->echo_deadline =
	    ppp->cfg->echo_interval_ms ? now + ppp->cfg->echo_interval_ms : PPP_NO_DEADLINE;
	ppp_link_lcp_up(ppp, now);
}

static void lcp_tld(struct ppp_fsm *f, uint64_t now)
{
	struct ppp *ppp = lcp_ppp(f);

	ppp->lcp.echo_deadline = PPP_NO_DEADLINE;
	ppp_link_lcp_down(ppp, now);
}

static void lcp_tls(struct ppp_fsm *f, uint64_t now)
{
	(void)now;
	lcp_ppp(f)->phase = PPP_PHASE_ESTABLISH;
}

static void lcp_tlf(struct ppp_fsm *f, enum ppp_fsm_event ev, enum ppp_fsm_state from, uint64_t now)
{
	struct ppp *ppp = lcp_ppp(f);

	/* RFC 3145 §3.2: the peer never answered (6) or did not converge (5). */
	if (ev == PPP_EV_TO_MINUS && from >= PPP_FSM_REQ_SENT) {
		if (ppp->lcp.flags & LCP_F_RX)
			ppp_set_cause(ppp, PPP_CAUSE_LCP_TIMEOUT, PPP_PROTO_LCP, PPP_DIR_GLOBAL,
			              "LCP negotiation timed out");
		else
			ppp_set_cause(ppp, PPP_CAUSE_LCP_SILENT, PPP_PROTO_LCP, PPP_DIR_GLOBAL,
			              "no LCP packet from the peer");
	} else if (ev == PPP_EV_RXJ_MINUS) {
		/* Code 0 is a global error: no protocol number (§3.1). */
		ppp_set_cause(ppp, PPP_CAUSE_NONE, 0, PPP_DIR_GLOBAL,
		              "peer rejected an essential LCP code or LCP itself");
	}
	ppp_link_lcp_finished(ppp, now);
}

/* §5.8: Echo-Reply to an Echo-Request in Opened, with our Magic-Number and
 * the peer's data, no longer than the peer's MRU. */
static void lcp_ser(struct ppp_fsm *f, const uint8_t *pkt, size_t len)
{
	struct ppp *ppp = lcp_ppp(f);
	uint8_t data[PPP_CTRL_MAX];
	size_t dlen = len - PPP_CTRL_HDR_LEN;

	if (pkt[0] != PPP_ECHO_REQ)
		return;
	if (dlen > (size_t)ppp->lcp.peer_mru - PPP_CTRL_HDR_LEN)
		dlen = (size_t)ppp->lcp.peer_mru - PPP_CTRL_HDR_LEN;
	if (dlen > sizeof(data))
		dlen = sizeof(data);
	memcpy(data, pkt + PPP_CTRL_HDR_LEN, dlen);
	ppp_put32(data, ppp->lcp.magic);
	ppp_fsm_send(f, PPP_ECHO_REP, pkt[1], data, dlen);
}

/* Echo-Request, Echo-Reply, Discard-Request: RXR, with §6.4's check of the
 * Magic-Number: our own number coming back is a looped-back link. */
static void lcp_rx_echo(struct ppp *ppp, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct ppp_lcp *lcp = &ppp->lcp;
	uint32_t magic;

	if (len < PPP_CTRL_HDR_LEN + 4) {
		ppp->stats.rx_malformed++;
		return;
	}
	magic = ppp_get32(pkt + PPP_CTRL_HDR_LEN);
	if (lcp->fsm.state == PPP_FSM_OPENED && lcp->magic && magic == lcp->magic) {
		ppp_link_fail(ppp, PPP_CAUSE_LOOPBACK, PPP_PROTO_LCP, PPP_DIR_GLOBAL,
		              "own Magic-Number received: link looped back", now);
		return;
	}
	if (pkt[0] == PPP_ECHO_REP && lcp->fsm.state == PPP_FSM_OPENED)
		lcp->echo_pending = 0;
	ppp_fsm_rxr(&lcp->fsm, pkt, len, now);
}

static int lcp_rx_code(struct ppp_fsm *f, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct ppp *ppp = lcp_ppp(f);

	switch (pkt[0]) {
	case PPP_PROTO_REJ:
		/* §5.7: only meaningful in Opened, silently dropped elsewhere. */
		if (len < PPP_CTRL_HDR_LEN + 2)
			ppp->stats.rx_malformed++;
		else if (f->state == PPP_FSM_OPENED)
			ppp_link_proto_rejected(ppp, ppp_get16(pkt + PPP_CTRL_HDR_LEN), now);
		else
			ppp->stats.rx_discarded++;
		return 0;
	case PPP_ECHO_REQ:
	case PPP_ECHO_REP:
	case PPP_DISCARD_REQ:
		lcp_rx_echo(ppp, pkt, len, now);
		return 0;
	case PPP_IDENTIFICATION:
	case PPP_TIME_REMAINING:
		/* RFC 1570 §2: informational; Windows sends Identification.
		 * Dropping is allowed and quieter than a Code-Reject. */
		ppp->stats.rx_discarded++;
		return 0;
	default:
		return -ENOTSUP;
	}
}

static bool lcp_code_rejected(struct ppp_fsm *f, uint8_t code)
{
	if (code == PPP_ECHO_REQ)
		lcp_ppp(f)->lcp.flags |= LCP_F_NO_ECHO;
	return code >= PPP_CONF_REQ && code <= PPP_CODE_REJ;
}

static const struct ppp_fsm_ops lcp_ops = {
    .proto = PPP_PROTO_LCP,
    .name = "lcp",
    .conf = lcp_conf,
    .peer_mru = lcp_peer_mru,
    .output = lcp_output,
    .build_req = lcp_build_req,
    .req_begin = lcp_req_begin,
    .req_opt = lcp_req_opt,
    .rcv_nak = lcp_rcv_nak,
    .rcv_rej = lcp_rcv_rej,
    .tlu = lcp_tlu,
    .tld = lcp_tld,
    .tls = lcp_tls,
    .tlf = lcp_tlf,
    .rx_code = lcp_rx_code,
    .ser = lcp_ser,
    .code_rejected = lcp_code_rejected,
};

void ppp_lcp_init(struct ppp *ppp)
{
	struct ppp_lcp *lcp = &ppp->lcp;
	const struct ppp_config *cfg = ppp->cfg;

	memset(lcp, 0, sizeof(*lcp));
	ppp_fsm_init(&lcp->fsm, &lcp_ops);
	lcp->echo_deadline = PPP_NO_DEADLINE;
	lcp->mru = cfg->mru ? cfg->mru : PPP_DEFAULT_MRU;
	lcp->peer_mru = PPP_DEFAULT_MRU;
	if (cfg->mru && cfg->mru != PPP_DEFAULT_MRU)
		lcp->req |= LCP_REQ_MRU;
	if (cfg->role == PPP_ROLE_SERVER && cfg->auth[0] != PPP_AUTH_NONE) {
		lcp->auth = cfg->auth[0];
		lcp->req |= LCP_REQ_AUTH;
	}
	if (cfg->magic) {
		lcp->magic = lcp_new_magic(ppp, 0);
		lcp->req |= LCP_REQ_MAGIC;
	}
	if (cfg->pfc)
		lcp->req |= LCP_REQ_PFC;
	if (cfg->acfc)
		lcp->req |= LCP_REQ_ACFC;
}

int ppp_lcp_input(struct ppp *ppp, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct ppp_lcp *lcp = &ppp->lcp;
	int rc;

	if (len >= PPP_CTRL_HDR_LEN && pkt[0] == PPP_TERM_REQ && lcp->fsm.state >= PPP_FSM_REQ_SENT)
		ppp_set_cause(ppp, PPP_CAUSE_TERMINATE, 0, PPP_DIR_PEER,
		              "LCP Terminate-Request from the peer");
	rc = ppp_fsm_input(&lcp->fsm, pkt, len, now);
	if (rc == 0)
		lcp->flags |= LCP_F_RX;
	if (lcp->loops >= LCP_MAX_LOOPS)
		ppp_link_fail(ppp, PPP_CAUSE_LOOPBACK, PPP_PROTO_LCP, PPP_DIR_GLOBAL,
		              "Magic-Number collisions: link looped back", now);
	else if (lcp->flags & LCP_F_AUTH_REFUSED)
		ppp_link_fail(ppp, PPP_CAUSE_AUTH_PROTO, PPP_PROTO_LCP, PPP_DIR_PEER,
		              "peer refused every authentication protocol of ours", now);
	return rc;
}

/* Keepalive: an Echo-Request every interval while Opened; echo_failures
 * unanswered ones and the peer is gone (RFC 3145 cause 8). */
static void lcp_echo_tick(struct ppp *ppp, uint64_t now)
{
	struct ppp_lcp *lcp = &ppp->lcp;
	const struct ppp_config *cfg = ppp->cfg;
	uint8_t data[4];

	if (lcp->fsm.state != PPP_FSM_OPENED || (lcp->flags & LCP_F_NO_ECHO)) {
		lcp->echo_deadline = PPP_NO_DEADLINE;
		return;
	}
	if (cfg->echo_adaptive && lcp->last_rx + cfg->echo_interval_ms > now) {
		lcp->echo_pending = 0;
		lcp->echo_deadline = lcp->last_rx + cfg->echo_interval_ms;
		return;
	}
	if (lcp->echo_pending >= (cfg->echo_failures ? cfg->echo_failures : 1)) {
		ppp_link_drop(ppp, PPP_CAUSE_ECHO_TIMEOUT, PPP_PROTO_LCP, PPP_DIR_GLOBAL,
		              "no answer to LCP Echo-Requests", now);
		return;
	}
	ppp_put32(data, lcp->magic);
	ppp_fsm_send(&lcp->fsm, PPP_ECHO_REQ, ppp_fsm_new_id(&lcp->fsm), data, sizeof(data));
	lcp->echo_pending++;
	lcp->echo_deadline = now + cfg->echo_interval_ms;
}

void ppp_lcp_tick(struct ppp *ppp, uint64_t now)
{
	ppp_fsm_tick(&ppp->lcp.fsm, now);
	if (ppp->lcp.echo_deadline <= now)
		lcp_echo_tick(ppp, now);
}

uint64_t ppp_lcp_deadline(const struct ppp *ppp)
{
	uint64_t d = ppp_fsm_deadline(&ppp->lcp.fsm);

	return ppp->lcp.echo_deadline < d ? ppp->lcp.echo_deadline : d;
}

void ppp_lcp_send_proto_rej(struct ppp *ppp, uint16_t proto, const uint8_t *info, size_t len)
{
	struct ppp_lcp *lcp = &ppp->lcp;
	uint8_t data[PPP_CTRL_MAX - PPP_CTRL_HDR_LEN];
	size_t max = (size_t)lcp->peer_mru - PPP_CTRL_HDR_LEN - 2;

	if (lcp->fsm.state != PPP_FSM_OPENED)
		return;
	/* §5.7: truncated to the peer's MRU. */
	if (max > sizeof(data) - 2)
		max = sizeof(data) - 2;
	if (len > max)
		len = max;
	ppp_put16(data, proto);
	if (len)
		memcpy(data + 2, info, len);
	ppp_fsm_send(&lcp->fsm, PPP_PROTO_REJ, ppp_fsm_new_id(&lcp->fsm), data, len + 2);
}

bool ppp_lcp_peer_pfc(const struct ppp *ppp)
{
	return ppp->lcp.peer & LCP_PEER_PFC;
}

bool ppp_lcp_peer_acfc(const struct ppp *ppp)
{
	return ppp->lcp.peer & LCP_PEER_ACFC;
}

/* The request that becomes ours (server: the LAC's own, which the peer
 * acked; client: the one the subscriber sent the LAC). Anything we could
 * not have asked for ourselves is unacceptable. */
static int lcp_proxy_ours(struct ppp *ppp, const uint8_t *opts, size_t len)
{
	struct ppp_lcp *lcp = &ppp->lcp;

	lcp->req = 0;
	lcp->magic = 0;
	lcp->auth = PPP_AUTH_NONE;
	lcp->mru = PPP_DEFAULT_MRU;
	for (size_t off = 0; off < len; off += opts[off + 1]) {
		const uint8_t *opt = opts + off;

		switch (opt[0]) {
		case PPP_LCP_OPT_MRU:
			if (opt[1] != LCP_MRU_LEN || ppp_get16(opt + 2) < PPP_MIN_MRU)
				return -EPROTO;
			lcp->mru = ppp_get16(opt + 2);
			lcp->req |= LCP_REQ_MRU;
			break;
		case PPP_LCP_OPT_ACCM:
			if (opt[1] != LCP_ACCM_LEN)
				return -EPROTO;
			break;
		case PPP_LCP_OPT_AUTH:
			/* A client never asks its server to authenticate. */
			if (ppp->cfg->role != PPP_ROLE_SERVER)
				return -EPROTO;
			lcp->auth = lcp_get_auth(opt);
			if (lcp->auth == PPP_AUTH_NONE || !ppp_auth_pref_has(ppp->cfg, lcp->auth))
				return -EPROTO;
			lcp->req |= LCP_REQ_AUTH;
			break;
		case PPP_LCP_OPT_MAGIC:
			if (opt[1] != LCP_MAGIC_LEN || ppp_get32(opt + 2) == 0)
				return -EPROTO;
			lcp->magic = ppp_get32(opt + 2);
			lcp->req |= LCP_REQ_MAGIC;
			break;
		case PPP_LCP_OPT_PFC:
		case PPP_LCP_OPT_ACFC:
			if (opt[1] != LCP_BOOL_LEN)
				return -EPROTO;
			lcp->req |= opt[0] == PPP_LCP_OPT_PFC ? LCP_REQ_PFC : LCP_REQ_ACFC;
			break;
		default:
			return -EPROTO;
		}
	}
	return 0;
}

/* The other end's request, which the LAC acked (server: the subscriber's;
 * client: the LAC's): we must have acked it too. */
static int lcp_proxy_theirs(struct ppp *ppp, const uint8_t *opts, size_t len)
{
	uint8_t nak[PPP_FSM_NAK_OPT_MAX];
	size_t nak_len;

	lcp_req_begin(&ppp->lcp.fsm);
	for (size_t off = 0; off < len; off += opts[off + 1])
		if (lcp_req_opt(&ppp->lcp.fsm, opts + off, nak, &nak_len) != PPP_OPT_ACK)
			return -EPROTO;
	return 0;
}

static bool lcp_opts_valid(const uint8_t *opts, size_t len)
{
	for (size_t off = 0; off < len; off += opts[off + 1])
		if (len - off < PPP_OPT_HDR_LEN || opts[off + 1] < PPP_OPT_HDR_LEN ||
		    opts[off + 1] > len - off)
			return false;
	return true;
}

int ppp_lcp_proxy(struct ppp *ppp, const uint8_t *sent, size_t sent_len, const uint8_t *recv,
                  size_t recv_len, uint64_t now)
{
	struct ppp_lcp saved = ppp->lcp;
	bool server = ppp->cfg->role == PPP_ROLE_SERVER;
	/* The LAC stood between the two ends: its own request is the LNS's
	 * side of the link, the subscriber's request the client's. */
	const uint8_t *ours = server ? sent : recv, *theirs = server ? recv : sent;
	size_t ours_len = server ? sent_len : recv_len, theirs_len = server ? recv_len : sent_len;
	int rc = -EINVAL;

	if ((sent_len && !sent) || (recv_len && !recv) || !lcp_opts_valid(sent, sent_len) ||
	    !lcp_opts_valid(recv, recv_len))
		goto fail;
	rc = -EPROTO;
	if (ppp->lcp.fsm.state != PPP_FSM_INITIAL)
		goto fail;
	rc = lcp_proxy_ours(ppp, ours, ours_len);
	if (rc < 0)
		goto fail;
	rc = lcp_proxy_theirs(ppp, theirs, theirs_len);
	if (rc < 0)
		goto fail;
	/* (Both ends with one Magic-Number were Nak'd above: a loop.) */
	rc = -EPROTO;
	if (server && ppp->lcp.auth == PPP_AUTH_NONE && ppp->cfg->auth[0] != PPP_AUTH_NONE &&
	    !ppp->cfg->auth_optional)
		goto fail;
	/* RFC 2661 §4.4.5: continue as if we had negotiated it. There is no
	 * such event in RFC 1661's automaton; Opened is where it would be. */
	ppp->lcp.fsm.state = PPP_FSM_OPENED;
	ppp->lcp.flags |= LCP_F_RX;
	ppp->lcp.last_rx = now;
	ppp->lcp.echo_deadline =
	    ppp->cfg->echo_interval_ms ? now + ppp->cfg->echo_interval_ms : PPP_NO_DEADLINE;
	return 0;
fail:
	ppp->lcp = saved;
	return rc;
}
