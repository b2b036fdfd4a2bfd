/* The link: phases (RFC 1661 §3), frame demultiplexing, the owner's events.
 *
 * Frames arrive as L2TP carries them (RFC 2661 §1): no flags, no FCS, the
 * Address and Control octets present or not (RFC 1662 §3.2), the Protocol
 * field in one or two octets (RFC 1661 §6.5). Both compressions are
 * accepted whatever was negotiated: being lenient costs nothing here and
 * LACs differ in what they strip. */
#include "ppp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "internal.h"

static const struct ppp_fsm_conf ppp_default_fsm = {
    .restart_ms = 3000,
    .max_terminate = 2,
    .max_configure = 10,
    .max_failure = 5,
};

void ppp_config_init(struct ppp_config *cfg, enum ppp_role role)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->role = role;
	cfg->auth[0] = PPP_AUTH_CHAP_MD5;
	cfg->auth[1] = PPP_AUTH_MSCHAPV2;
	cfg->auth[2] = PPP_AUTH_PAP;
	cfg->magic = true;
	cfg->fsm = ppp_default_fsm;
	cfg->echo_failures = 3;
	cfg->ipv4 = true;
	cfg->request_dns = true;
}

bool ppp_auth_pref_has(const struct ppp_config *cfg, uint8_t method)
{
	for (int i = 0; i < PPP_AUTH_PREFS_MAX && cfg->auth[i] != PPP_AUTH_NONE; i++)
		if (cfg->auth[i] == method)
			return true;
	return false;
}

void ppp_random(struct ppp *ppp, void *buf, size_t len)
{
	uint8_t *p = buf;

	if (ppp->ops->random) {
		ppp->ops->random(ppp->ctx, buf, len);
		return;
	}
	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		/* No randomness: challenges would be guessable. Nothing sane
		 * to carry on with. */
		if (n <= 0)
			abort();
		p += n;
		len -= (size_t)n;
	}
}

struct ppp *ppp_new(const struct ppp_config *cfg, const struct ppp_ops *ops, void *ctx)
{
	struct ppp *ppp = calloc(1, sizeof(*ppp));

	if (!ppp)
		return NULL;
	ppp->cfg = cfg;
	ppp->ops = ops;
	ppp->ctx = ctx;
	ppp->auth.deadline = PPP_NO_DEADLINE;
	ppp_lcp_init(ppp);
	ppp_ipcp_init(ppp);
	ppp_ipv6cp_init(ppp);
	return ppp;
}

void ppp_free(struct ppp *ppp)
{
	if (!ppp)
		return;
	ppp_auth_stop(ppp);
	free(ppp);
}

size_t ppp_memory(const struct ppp *ppp)
{
	return sizeof(*ppp) + ppp_auth_memory(ppp);
}

void ppp_set_credentials(struct ppp *ppp, const char *user, const char *password)
{
	ppp->user = user;
	ppp->password = password;
}

void ppp_set_ipv4(struct ppp *ppp, struct in_addr local, struct in_addr peer)
{
	ppp->ipcp.local = local;
	ppp->ipcp.peer = peer;
}

void ppp_set_dns(struct ppp *ppp, struct in_addr dns1, struct in_addr dns2)
{
	ppp->ipcp.dns[0] = dns1;
	ppp->ipcp.dns[1] = dns2;
}

/* LCP is never compressed (RFC 1661 §6.5, §6.6); other control protocols
 * lose Address and Control when the peer accepted ACFC. */
void ppp_output(struct ppp *ppp, uint16_t proto, uint8_t *pkt, size_t len)
{
	uint8_t *p = pkt - 2;

	ppp_put16(p, proto);
	if (proto == PPP_PROTO_LCP || !ppp_lcp_peer_acfc(ppp)) {
		p -= 2;
		p[0] = PPP_HDLC_ADDRESS;
		p[1] = PPP_HDLC_CONTROL;
	}
	ppp->ops->send(ppp->ctx, p, len + (size_t)(pkt - p));
}

size_t ppp_data_header(const struct ppp *ppp, uint16_t proto, uint8_t hdr[PPP_HEADROOM])
{
	size_t n = 0;

	if (!ppp_lcp_peer_acfc(ppp)) {
		hdr[n++] = PPP_HDLC_ADDRESS;
		hdr[n++] = PPP_HDLC_CONTROL;
	}
	if (ppp_lcp_peer_pfc(ppp) && proto < 0x100) {
		hdr[n++] = (uint8_t)proto;
	} else {
		ppp_put16(hdr + n, proto);
		n += 2;
	}
	return n;
}

void ppp_set_cause(struct ppp *ppp, uint16_t code, uint16_t proto, uint8_t dir, const char *reason)
{
	if (ppp->flags & PPP_F_CAUSE)
		return;
	ppp->flags |= PPP_F_CAUSE;
	ppp->cause.code = code;
	ppp->cause.proto = proto;
	ppp->cause.direction = dir;
	ppp->cause.reason = reason;
}

/* Down, once: the owner sends its CDN and frees the link; nothing more
 * happens here after it. */
static void ppp_finish(struct ppp *ppp)
{
	if (ppp->flags & PPP_F_DOWN)
		return;
	ppp->flags |= PPP_F_DOWN;
	ppp->phase = PPP_PHASE_DEAD;
	ppp_auth_stop(ppp);
	ppp->lcp.echo_deadline = PPP_NO_DEADLINE;
	ppp->lcp.fsm.deadline = PPP_NO_DEADLINE;
	ppp->ipcp.fsm.deadline = PPP_NO_DEADLINE;
	ppp->ipv6cp.fsm.deadline = PPP_NO_DEADLINE;
	ppp_set_cause(ppp, PPP_CAUSE_NONE, 0, PPP_DIR_GLOBAL, "link down");
	if (ppp->ops->down)
		ppp->ops->down(ppp->ctx, &ppp->cause);
}

static bool ppp_lcp_finished(const struct ppp *ppp)
{
	uint8_t s = ppp->lcp.fsm.state;

	return s == PPP_FSM_INITIAL || s == PPP_FSM_CLOSED || s == PPP_FSM_STOPPED;
}

void ppp_link_fail(struct ppp *ppp, uint16_t code, uint16_t proto, uint8_t dir, const char *reason,
                   uint64_t now)
{
	if (ppp->flags & PPP_F_DOWN)
		return;
	ppp_set_cause(ppp, code, proto, dir, reason);
	ppp->phase = PPP_PHASE_TERMINATE;
	ppp_fsm_close(&ppp->lcp.fsm, now);
	if (ppp_lcp_finished(ppp))
		ppp_finish(ppp);
}

/* Down then Close: tld (Opened) and tlf (Starting) in the §4.1 table,
 * without a Terminate-Request. */
void ppp_link_drop(struct ppp *ppp, uint16_t code, uint16_t proto, uint8_t dir, const char *reason,
                   uint64_t now)
{
	if (ppp->flags & PPP_F_DOWN)
		return;
	ppp_set_cause(ppp, code, proto, dir, reason);
	ppp_fsm_down(&ppp->lcp.fsm, now);
	ppp_fsm_close(&ppp->lcp.fsm, now);
	ppp_finish(ppp);
}

void ppp_link_lcp_up(struct ppp *ppp, uint64_t now)
{
	bool server = ppp->cfg->role == PPP_ROLE_SERVER;

	ppp->flags &= (uint8_t)~PPP_F_AUTH_OK;
	if ((server ? ppp->lcp.auth : ppp->lcp.peer_auth) == PPP_AUTH_NONE) {
		ppp_link_network(ppp, now);
		return;
	}
	ppp->phase = PPP_PHASE_AUTHENTICATE;
	ppp_auth_start(ppp, now);
}

/* RFC 1661 §3.4: tld of LCP is the Down event of every NCP. */
void ppp_link_lcp_down(struct ppp *ppp, uint64_t now)
{
	ppp_auth_stop(ppp);
	ppp->flags &= (uint8_t)~PPP_F_AUTH_OK;
	if (ppp->phase != PPP_PHASE_TERMINATE)
		ppp->phase = PPP_PHASE_ESTABLISH;
	ppp_fsm_down(&ppp->ipcp.fsm, now);
	ppp_fsm_down(&ppp->ipv6cp.fsm, now);
}

void ppp_link_lcp_finished(struct ppp *ppp, uint64_t now)
{
	(void)now;
	ppp_finish(ppp);
}

void ppp_link_network(struct ppp *ppp, uint64_t now)
{
	ppp->flags |= PPP_F_AUTH_OK;
	ppp->phase = PPP_PHASE_NETWORK;
	if (ppp->cfg->ipv4) {
		ppp_ipcp_prepare(ppp);
		ppp_fsm_open(&ppp->ipcp.fsm, now);
		ppp_fsm_up(&ppp->ipcp.fsm, now);
	}
	if (ppp->cfg->ipv6 && !(ppp->flags & PPP_F_DOWN)) {
		ppp_ipv6cp_prepare(ppp);
		ppp_fsm_open(&ppp->ipv6cp.fsm, now);
		ppp_fsm_up(&ppp->ipv6cp.fsm, now);
	}
}

void ppp_link_ncp_up(struct ppp *ppp, uint16_t proto)
{
	struct ppp_net net;

	ppp_net_info(ppp, proto, &net);
	if (ppp->ops->up)
		ppp->ops->up(ppp->ctx, &net);
}

void ppp_link_ncp_down(struct ppp *ppp, uint16_t proto)
{
	if (ppp->ops->ncp_down)
		ppp->ops->ncp_down(ppp->ctx, proto);
}

static bool ppp_ncp_alive(const struct ppp_fsm *f)
{
	return f->state >= PPP_FSM_CLOSING;
}

/* An NCP gave up. With no other NCP opened or on its way, the link has
 * nothing to carry (RFC 3145 §3.4). */
void ppp_link_ncp_finished(struct ppp *ppp, uint16_t proto, enum ppp_fsm_event ev,
                           enum ppp_fsm_state from, uint64_t now)
{
	bool other = proto == PPP_PROTO_IPCP ? ppp_ncp_alive(&ppp->ipv6cp.fsm)
	                                     : ppp_ncp_alive(&ppp->ipcp.fsm);

	if (other || ppp->phase != PPP_PHASE_NETWORK)
		return;
	if (ev == PPP_EV_TO_MINUS && from >= PPP_FSM_REQ_SENT)
		ppp_link_fail(ppp, PPP_CAUSE_NCP_TIMEOUT, proto, PPP_DIR_GLOBAL,
		              "NCP negotiation timed out", now);
	else
		ppp_link_fail(ppp, PPP_CAUSE_NO_NCP, proto, PPP_DIR_GLOBAL,
		              "no network protocol left", now);
}

void ppp_link_proto_rejected(struct ppp *ppp, uint16_t proto, uint64_t now)
{
	switch (proto) {
	case PPP_PROTO_LCP:
		ppp_fsm_rxj(&ppp->lcp.fsm, true, now);
		return;
	case PPP_PROTO_IPCP:
	case PPP_PROTO_IP:
		/* §5.7: stop sending it; the NCP is done, not the link. */
		ppp_fsm_rxj(&ppp->ipcp.fsm, true, now);
		break;
	case PPP_PROTO_IPV6CP:
	case PPP_PROTO_IPV6:
		ppp_fsm_rxj(&ppp->ipv6cp.fsm, true, now);
		break;
	case PPP_PROTO_PAP:
	case PPP_PROTO_CHAP:
		if (ppp->phase == PPP_PHASE_AUTHENTICATE)
			ppp_link_fail(ppp, PPP_CAUSE_AUTH_PROTO, proto, PPP_DIR_PEER,
			              "peer rejected the authentication protocol", now);
		return;
	default:
		break;
	}
	if (!(ppp->flags & PPP_F_DOWN))
		ppp_fsm_rxj(&ppp->lcp.fsm, false, now);
}

int ppp_start(struct ppp *ppp, uint64_t now)
{
	if (ppp->flags & (PPP_F_STARTED | PPP_F_DOWN))
		return -EALREADY;
	ppp->flags |= PPP_F_STARTED;
	ppp_fsm_open(&ppp->lcp.fsm, now);
	ppp_fsm_up(&ppp->lcp.fsm, now);
	return 0;
}

int ppp_start_proxy(struct ppp *ppp, const struct ppp_proxy *px, uint64_t now)
{
	bool server = ppp->cfg->role == PPP_ROLE_SERVER;
	int rc;

	if (ppp->flags & (PPP_F_STARTED | PPP_F_DOWN))
		return -EALREADY;
	rc = server ? ppp_auth_proxy_check(ppp, px) : 0;
	if (rc < 0)
		return rc;
	rc =
	    ppp_lcp_proxy(ppp, px->lcp_sent, px->lcp_sent_len, px->lcp_recv, px->lcp_recv_len, now);
	if (rc < 0)
		return rc;
	ppp->flags |= PPP_F_STARTED;
	/* The client authenticated itself to the LAC, which hands the result
	 * to the LNS: nothing of it crosses this link. A refusal comes as the
	 * end of the call, not as a PPP packet. */
	if (!server) {
		ppp_link_network(ppp, now);
		return 0;
	}
	if (px->auth_type == PPP_PROXY_AUTHEN_NONE_GIVEN) {
		ppp_link_lcp_up(ppp, now);
		return 0;
	}
	ppp->phase = PPP_PHASE_AUTHENTICATE;
	ppp_auth_proxy(ppp, px, now);
	return 0;
}

void ppp_close(struct ppp *ppp, uint64_t now)
{
	ppp_link_fail(ppp, PPP_CAUSE_TERMINATE, 0, PPP_DIR_LOCAL, "closed locally", now);
}

void ppp_lower_down(struct ppp *ppp, uint64_t now)
{
	ppp_link_drop(ppp, PPP_CAUSE_NONE, 0, PPP_DIR_GLOBAL, "session down", now);
}

/* RFC 1661 §2: the Protocol field's low octet is odd, its high octet even. */
static int ppp_parse_header(const uint8_t *f, size_t len, uint16_t *proto)
{
	size_t off = 0;

	/* RFC 1662 §3.2: FF 03 are Address and Control; anything else means
	 * they were left out. */
	if (len >= 2 && f[0] == PPP_HDLC_ADDRESS && f[1] == PPP_HDLC_CONTROL)
		off = 2;
	if (off >= len)
		return -EINVAL;
	if (f[off] & 1) {
		*proto = f[off];
		return (int)off + 1;
	}
	if (len - off < 2 || !(f[off + 1] & 1))
		return -EINVAL;
	*proto = ppp_get16(f + off);
	return (int)off + 2;
}

static void ppp_input_ncp(struct ppp *ppp, uint16_t proto, uint8_t *pkt, size_t len, uint64_t now)
{
	bool enabled = proto == PPP_PROTO_IPCP ? ppp->cfg->ipv4 : ppp->cfg->ipv6;
	int rc;

	if (!enabled) {
		ppp->stats.rx_proto_rejected++;
		ppp_lcp_send_proto_rej(ppp, proto, pkt, len);
		return;
	}
	/* §3.5: NCP packets before the Network phase are dropped. */
	if (ppp->phase != PPP_PHASE_NETWORK) {
		ppp->stats.rx_discarded++;
		return;
	}
	ppp_auth_release(ppp);
	if (proto == PPP_PROTO_IPCP)
		rc = ppp_ipcp_input(ppp, pkt, len, now);
	else
		rc = ppp_ipv6cp_input(ppp, pkt, len, now);
	if (rc < 0)
		ppp->stats.rx_malformed++;
}

static void ppp_input_data(struct ppp *ppp, uint16_t proto, uint8_t *pkt, size_t len)
{
	const struct ppp_fsm *ncp = proto == PPP_PROTO_IP ? &ppp->ipcp.fsm : &ppp->ipv6cp.fsm;

	if (ncp->state != PPP_FSM_OPENED || !ppp->ops->data) {
		ppp->stats.rx_data_dropped++;
		return;
	}
	ppp->ops->data(ppp->ctx, proto, pkt, len);
}

void ppp_input(struct ppp *ppp, uint8_t *frame, size_t len, uint64_t now)
{
	uint16_t proto;
	uint8_t lcp_state = ppp->lcp.fsm.state;
	int off;

	if ((ppp->flags & PPP_F_DOWN) || !(ppp->flags & PPP_F_STARTED)) {
		ppp->stats.rx_discarded++;
		return;
	}
	off = ppp_parse_header(frame, len, &proto);
	if (off < 0) {
		ppp->stats.rx_malformed++;
		return;
	}
	frame += off;
	len -= (size_t)off;
	ppp->lcp.last_rx = now;

	if (proto == PPP_PROTO_LCP) {
		if (ppp_lcp_input(ppp, frame, len, now) < 0)
			ppp->stats.rx_malformed++;
		return;
	}
	/* §3.4: only LCP until LCP is Opened. */
	if (lcp_state != PPP_FSM_OPENED) {
		ppp->stats.rx_discarded++;
		return;
	}
	switch (proto) {
	case PPP_PROTO_IP:
	case PPP_PROTO_IPV6:
		ppp_input_data(ppp, proto, frame, len);
		return;
	case PPP_PROTO_IPCP:
	case PPP_PROTO_IPV6CP:
		ppp_input_ncp(ppp, proto, frame, len, now);
		return;
	case PPP_PROTO_PAP:
	case PPP_PROTO_CHAP:
		ppp_auth_input(ppp, proto, frame, len, now);
		return;
	default:
		/* §5.7: an unknown protocol gets a Protocol-Reject. */
		ppp->stats.rx_proto_rejected++;
		ppp_lcp_send_proto_rej(ppp, proto, frame, len);
		return;
	}
}

void ppp_tick(struct ppp *ppp, uint64_t now)
{
	if (ppp->flags & PPP_F_DOWN)
		return;
	ppp_lcp_tick(ppp, now);
	if (!(ppp->flags & PPP_F_DOWN))
		ppp_auth_tick(ppp, now);
	if (!(ppp->flags & PPP_F_DOWN))
		ppp_fsm_tick(&ppp->ipcp.fsm, now);
	if (!(ppp->flags & PPP_F_DOWN))
		ppp_fsm_tick(&ppp->ipv6cp.fsm, now);
}

uint64_t ppp_next_deadline(const struct ppp *ppp)
{
	uint64_t d = ppp_lcp_deadline(ppp), x;

	if (ppp->flags & PPP_F_DOWN)
		return PPP_NO_DEADLINE;
	x = ppp_auth_deadline(ppp);
	d = x < d ? x : d;
	x = ppp_fsm_deadline(&ppp->ipcp.fsm);
	d = x < d ? x : d;
	x = ppp_fsm_deadline(&ppp->ipv6cp.fsm);
	return x < d ? x : d;
}

enum ppp_phase ppp_phase(const struct ppp *ppp)
{
	uint8_t s = ppp->lcp.fsm.state;

	if (!(ppp->flags & PPP_F_DOWN) && (s == PPP_FSM_CLOSING || s == PPP_FSM_STOPPING))
		return PPP_PHASE_TERMINATE;
	return (enum ppp_phase)ppp->phase;
}

enum ppp_fsm_state ppp_state(const struct ppp *ppp, uint16_t proto)
{
	switch (proto) {
	case PPP_PROTO_LCP:
		return (enum ppp_fsm_state)ppp->lcp.fsm.state;
	case PPP_PROTO_IPCP:
		return (enum ppp_fsm_state)ppp->ipcp.fsm.state;
	case PPP_PROTO_IPV6CP:
		return (enum ppp_fsm_state)ppp->ipv6cp.fsm.state;
	default:
		return PPP_FSM_INITIAL;
	}
}

void ppp_net_info(const struct ppp *ppp, uint16_t proto, struct ppp_net *net)
{
	memset(net, 0, sizeof(*net));
	net->proto = proto;
	net->peer_mru = ppp->lcp.peer_mru;
	net->local = ppp->ipcp.local;
	net->peer = ppp->ipcp.peer;
	net->dns[0] = ppp->ipcp.dns[0];
	net->dns[1] = ppp->ipcp.dns[1];
	memcpy(net->local_iid, ppp->ipv6cp.local, PPP_IID_LEN);
	memcpy(net->peer_iid, ppp->ipv6cp.peer, PPP_IID_LEN);
}

const struct ppp_cause *ppp_cause(const struct ppp *ppp)
{
	return &ppp->cause;
}

const struct ppp_stats *ppp_stats(const struct ppp *ppp)
{
	return &ppp->stats;
}

enum ppp_auth_method ppp_auth_method(const struct ppp *ppp)
{
	if (ppp->auth.state != 0)
		return (enum ppp_auth_method)ppp->auth.method;
	return (enum ppp_auth_method)(ppp->cfg->role == PPP_ROLE_SERVER ? ppp->lcp.auth
	                                                                : ppp->lcp.peer_auth);
}

const char *ppp_phase_name(enum ppp_phase phase)
{
	static const char *const names[] = {"dead", "establish", "authenticate", "network",
	                                    "terminate"};

	return (unsigned)phase < sizeof(names) / sizeof(names[0]) ? names[phase] : "?";
}

const char *ppp_auth_method_name(enum ppp_auth_method m)
{
	static const char *const names[] = {"none", "pap", "chap", "mschapv2"};

	return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : "?";
}
