/* IPV6CP (RFC 5072): the Interface-Identifier option of §4.1. */
#include "ipv6cp.h"

#include <errno.h>
#include <string.h>

#include "defs.h"
#include "internal.h"

enum {
	IPV6CP_REQ_IID = 1 << 0,
};

#define IPV6CP_IID_OPT_LEN (PPP_OPT_HDR_LEN + PPP_IID_LEN)
/* §4.1: bit 6, the "u" (universal/local) bit, of the first octet. */
#define IPV6CP_U_BIT 0x02

static const uint8_t iid_zero[PPP_IID_LEN];

static struct ppp *ipv6cp_ppp(const struct ppp_fsm *f)
{
	return ppp_container_of(f, struct ppp, ipv6cp.fsm);
}

static const struct ppp_fsm_conf *ipv6cp_conf(const struct ppp_fsm *f)
{
	return &ipv6cp_ppp(f)->cfg->fsm;
}

static size_t ipv6cp_peer_mru(const struct ppp_fsm *f)
{
	return ipv6cp_ppp(f)->lcp.peer_mru;
}

static void ipv6cp_output(struct ppp_fsm *f, uint8_t *pkt, size_t len)
{
	ppp_output(ipv6cp_ppp(f), PPP_PROTO_IPV6CP, pkt, len);
}

static bool iid_eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, PPP_IID_LEN) == 0;
}

/* §4.1 method 3: random, "u" bit zero, never zero, and different from the
 * values given (ours, the peer's). */
static void ipv6cp_random_iid(struct ppp *ppp, uint8_t *out, const uint8_t *avoid1,
                              const uint8_t *avoid2)
{
	do {
		ppp_random(ppp, out, PPP_IID_LEN);
		out[0] &= (uint8_t)~IPV6CP_U_BIT;
	} while (iid_eq(out, iid_zero) || (avoid1 && iid_eq(out, avoid1)) ||
	         (avoid2 && iid_eq(out, avoid2)));
}

static size_t ipv6cp_build_req(struct ppp_fsm *f, uint8_t *buf, size_t cap)
{
	struct ppp_ipv6cp *v6 = &ipv6cp_ppp(f)->ipv6cp;

	(void)cap;
	if (!(v6->flags & IPV6CP_REQ_IID))
		return 0;
	buf[0] = PPP_IPV6CP_OPT_IFACE_ID;
	buf[1] = IPV6CP_IID_OPT_LEN;
	memcpy(buf + 2, v6->local, PPP_IID_LEN);
	return IPV6CP_IID_OPT_LEN;
}

static void ipv6cp_req_begin(struct ppp_fsm *f)
{
	(void)f;
}

/* §4.1: the four cases of a received Interface-Identifier. */
static enum ppp_opt_verdict ipv6cp_req_opt(struct ppp_fsm *f, const uint8_t *opt, uint8_t *nak,
                                           size_t *nak_len)
{
	struct ppp *ppp = ipv6cp_ppp(f);
	struct ppp_ipv6cp *v6 = &ppp->ipv6cp;
	const uint8_t *iid = opt + 2;

	if (opt[0] != PPP_IPV6CP_OPT_IFACE_ID || opt[1] != IPV6CP_IID_OPT_LEN)
		return PPP_OPT_REJ;
	if (iid_eq(iid, iid_zero) && iid_eq(v6->local, iid_zero))
		return PPP_OPT_REJ;
	if (!iid_eq(iid, iid_zero) && !iid_eq(iid, v6->local)) {
		memcpy(v6->peer, iid, PPP_IID_LEN);
		return PPP_OPT_ACK;
	}
	/* Zero, or equal to ours: suggest a value different from ours. */
	ipv6cp_random_iid(ppp, v6->nak_sent, v6->local, NULL);
	nak[0] = PPP_IPV6CP_OPT_IFACE_ID;
	nak[1] = IPV6CP_IID_OPT_LEN;
	memcpy(nak + 2, v6->nak_sent, PPP_IID_LEN);
	*nak_len = IPV6CP_IID_OPT_LEN;
	return PPP_OPT_NAK;
}

/* §4.1: take the peer's suggestion, unless it is the one we last suggested
 * to the peer (a collision): then choose anew. */
static int ipv6cp_rcv_nak(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp *ppp = ipv6cp_ppp(f);
	struct ppp_ipv6cp *v6 = &ppp->ipv6cp;

	for (size_t off = 0; off < len; off += opts[off + 1]) {
		const uint8_t *opt = opts + off, *iid = opt + 2;

		if (opt[0] != PPP_IPV6CP_OPT_IFACE_ID || opt[1] != IPV6CP_IID_OPT_LEN ||
		    !(v6->flags & IPV6CP_REQ_IID))
			continue;
		if (iid_eq(iid, iid_zero) || iid_eq(iid, v6->nak_sent) || iid_eq(iid, v6->peer))
			ipv6cp_random_iid(ppp, v6->local, v6->nak_sent, v6->peer);
		else
			memcpy(v6->local, iid, PPP_IID_LEN);
	}
	return 0;
}

static void ipv6cp_rcv_rej(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	(void)opts;
	(void)len;
	/* The only option we send: it must not be sent again. */
	ipv6cp_ppp(f)->ipv6cp.flags &= (uint8_t)~IPV6CP_REQ_IID;
}

static void ipv6cp_tlu(struct ppp_fsm *f, uint64_t now)
{
	(void)now;
	ppp_link_ncp_up(ipv6cp_ppp(f), PPP_PROTO_IPV6CP);
}

static void ipv6cp_tld(struct ppp_fsm *f, uint64_t now)
{
	(void)now;
	ppp_link_ncp_down(ipv6cp_ppp(f), PPP_PROTO_IPV6CP);
}

static void ipv6cp_tlf(struct ppp_fsm *f, enum ppp_fsm_event ev, enum ppp_fsm_state from,
                       uint64_t now)
{
	ppp_link_ncp_finished(ipv6cp_ppp(f), PPP_PROTO_IPV6CP, ev, from, now);
}

static const struct ppp_fsm_ops ipv6cp_ops = {
    .proto = PPP_PROTO_IPV6CP,
    .name = "ipv6cp",
    .conf = ipv6cp_conf,
    .peer_mru = ipv6cp_peer_mru,
    .output = ipv6cp_output,
    .build_req = ipv6cp_build_req,
    .req_begin = ipv6cp_req_begin,
    .req_opt = ipv6cp_req_opt,
    .rcv_nak = ipv6cp_rcv_nak,
    .rcv_rej = ipv6cp_rcv_rej,
    .tlu = ipv6cp_tlu,
    .tld = ipv6cp_tld,
    .tlf = ipv6cp_tlf,
};

void ppp_ipv6cp_init(struct ppp *ppp)
{
	memset(&ppp->ipv6cp, 0, sizeof(ppp->ipv6cp));
	ppp_fsm_init(&ppp->ipv6cp.fsm, &ipv6cp_ops);
	if (ppp->cfg->ipv6)
		ipv6cp_random_iid(ppp, ppp->ipv6cp.local, NULL, NULL);
}

void ppp_ipv6cp_prepare(struct ppp *ppp)
{
	ppp->ipv6cp.flags = IPV6CP_REQ_IID;
	memset(ppp->ipv6cp.peer, 0, PPP_IID_LEN);
}

int ppp_ipv6cp_input(struct ppp *ppp, const uint8_t *pkt, size_t len, uint64_t now)
{
	return ppp_fsm_input(&ppp->ipv6cp.fsm, pkt, len, now);
}
