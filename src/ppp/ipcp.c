/* IPCP (RFC 1332) and name server options (RFC 1877). */
#include "ipcp.h"

#include <errno.h>
#include <string.h>

#include "defs.h"
#include "internal.h"

enum {
	IPCP_REQ_ADDR = 1 << 0,    /* IP-Address in our request */
	IPCP_REQ_DNS1 = 1 << 1,    /* client: Primary-DNS-Address */
	IPCP_REQ_DNS2 = 1 << 2,    /* client: Secondary-DNS-Address */
	IPCP_SEEN_ADDR = 1 << 3,   /* the peer's current request carries IP-Address */
	IPCP_APPENDED = 1 << 4,    /* server: IP-Address appended to a Nak once */
	IPCP_NO_CONVERGE = 1 << 5, /* server: out of Naks for the peer's address */
};

#define IPCP_ADDR_OPT_LEN 6

static struct ppp *ipcp_ppp(const struct ppp_fsm *f)
{
	return ppp_container_of(f, struct ppp, ipcp.fsm);
}

static const struct ppp_fsm_conf *ipcp_conf(const struct ppp_fsm *f)
{
	return &ipcp_ppp(f)->cfg->fsm;
}

static size_t ipcp_peer_mru(const struct ppp_fsm *f)
{
	return ipcp_ppp(f)->lcp.peer_mru;
}

static void ipcp_output(struct ppp_fsm *f, uint8_t *pkt, size_t len)
{
	ppp_output(ipcp_ppp(f), PPP_PROTO_IPCP, pkt, len);
}

static size_t ipcp_put_addr(uint8_t *p, uint8_t type, struct in_addr a)
{
	p[0] = type;
	p[1] = IPCP_ADDR_OPT_LEN;
	memcpy(p + 2, &a.s_addr, 4);
	return IPCP_ADDR_OPT_LEN;
}

static struct in_addr ipcp_get_addr(const uint8_t *opt)
{
	struct in_addr a;

	memcpy(&a.s_addr, opt + 2, 4);
	return a;
}

static size_t ipcp_build_req(struct ppp_fsm *f, uint8_t *buf, size_t cap)
{
	struct ppp_ipcp *ipcp = &ipcp_ppp(f)->ipcp;
	size_t n = 0;

	(void)cap; /* at most 18 octets */
	if (ipcp->flags & IPCP_REQ_ADDR)
		n += ipcp_put_addr(buf + n, PPP_IPCP_OPT_ADDRESS, ipcp->local);
	if (ipcp->flags & IPCP_REQ_DNS1)
		n += ipcp_put_addr(buf + n, PPP_IPCP_OPT_DNS1, ipcp->dns[0]);
	if (ipcp->flags & IPCP_REQ_DNS2)
		n += ipcp_put_addr(buf + n, PPP_IPCP_OPT_DNS2, ipcp->dns[1]);
	return n;
}

static void ipcp_req_begin(struct ppp_fsm *f)
{
	struct ppp *ppp = ipcp_ppp(f);

	ppp->ipcp.flags &= (uint8_t)~IPCP_SEEN_ADDR;
	if (ppp->cfg->role == PPP_ROLE_CLIENT)
		ppp->ipcp.peer.s_addr = 0;
}

/* Server: the value we have for an address option, Ack it if the peer asks
 * for just that, Nak with ours otherwise (RFC 1332 §3.3, RFC 1877 §1). */
static enum ppp_opt_verdict ipcp_offer(struct in_addr ours, const uint8_t *opt, uint8_t *nak,
                                       size_t *nak_len)
{
	if (ours.s_addr == 0)
		return PPP_OPT_REJ;
	if (ipcp_get_addr(opt).s_addr == ours.s_addr)
		return PPP_OPT_ACK;
	*nak_len = ipcp_put_addr(nak, opt[0], ours);
	return PPP_OPT_NAK;
}

static enum ppp_opt_verdict ipcp_server_opt(struct ppp *ppp, const uint8_t *opt, uint8_t *nak,
                                            size_t *nak_len)
{
	struct ppp_ipcp *ipcp = &ppp->ipcp;
	const struct ppp_config *cfg = ppp->cfg;
	struct in_addr want = ipcp_get_addr(opt);
	enum ppp_opt_verdict v;

	switch (opt[0]) {
	case PPP_IPCP_OPT_ADDRESS:
		ipcp->flags |= IPCP_SEEN_ADDR;
		/* No address assigned: the peer brings its own (not 0.0.0.0). */
		if (ipcp->peer.s_addr == 0) {
			if (want.s_addr == 0)
				return PPP_OPT_REJ;
			ipcp->peer = want;
			return PPP_OPT_ACK;
		}
		v = ipcp_offer(ipcp->peer, opt, nak, nak_len);
		/* §4.6 Max-Failure would turn this Nak into a Reject, and the
		 * peer would go without the address it must use. */
		if (v == PPP_OPT_NAK && ipcp->fsm.failures >= cfg->fsm.max_failure)
			ipcp->flags |= IPCP_NO_CONVERGE;
		return v;
	case PPP_IPCP_OPT_DNS1:
		return ipcp_offer(ipcp->dns[0], opt, nak, nak_len);
	case PPP_IPCP_OPT_DNS2:
		return ipcp_offer(ipcp->dns[1], opt, nak, nak_len);
	case PPP_IPCP_OPT_NBNS1:
		return ipcp_offer(cfg->nbns[0], opt, nak, nak_len);
	case PPP_IPCP_OPT_NBNS2:
		return ipcp_offer(cfg->nbns[1], opt, nak, nak_len);
	default:
		return PPP_OPT_REJ;
	}
}

static enum ppp_opt_verdict ipcp_req_opt(struct ppp_fsm *f, const uint8_t *opt, uint8_t *nak,
                                         size_t *nak_len)
{
	struct ppp *ppp = ipcp_ppp(f);
	struct in_addr a;

	/* IP-Addresses (deprecated), IP-Compression-Protocol (VJ): rejected. */
	if (opt[0] != PPP_IPCP_OPT_ADDRESS && opt[0] != PPP_IPCP_OPT_DNS1 &&
	    opt[0] != PPP_IPCP_OPT_DNS2 && opt[0] != PPP_IPCP_OPT_NBNS1 &&
	    opt[0] != PPP_IPCP_OPT_NBNS2)
		return PPP_OPT_REJ;
	if (opt[1] != IPCP_ADDR_OPT_LEN)
		return PPP_OPT_REJ;
	if (ppp->cfg->role == PPP_ROLE_SERVER)
		return ipcp_server_opt(ppp, opt, nak, nak_len);

	/* Client: the server states its own address; we give out nothing. */
	a = ipcp_get_addr(opt);
	if (opt[0] != PPP_IPCP_OPT_ADDRESS || a.s_addr == 0)
		return PPP_OPT_REJ;
	ppp->ipcp.peer = a;
	return PPP_OPT_ACK;
}

/* RFC 1332 §3.3: the peer did not ask for an address; prompt it, once. */
static size_t ipcp_req_end(struct ppp_fsm *f, uint8_t *buf, size_t cap)
{
	struct ppp *ppp = ipcp_ppp(f);
	struct ppp_ipcp *ipcp = &ppp->ipcp;

	if (ppp->cfg->role != PPP_ROLE_SERVER || (ipcp->flags & (IPCP_SEEN_ADDR | IPCP_APPENDED)) ||
	    ipcp->peer.s_addr == 0 || cap < IPCP_ADDR_OPT_LEN)
		return 0;
	ipcp->flags |= IPCP_APPENDED;
	return ipcp_put_addr(buf, PPP_IPCP_OPT_ADDRESS, ipcp->peer);
}

static int ipcp_rcv_nak(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp *ppp = ipcp_ppp(f);
	struct ppp_ipcp *ipcp = &ppp->ipcp;

	/* The server's addresses are its own: its Naks change nothing. */
	if (ppp->cfg->role != PPP_ROLE_CLIENT)
		return 0;
	for (size_t off = 0; off < len; off += opts[off + 1]) {
		const uint8_t *opt = opts + off;

		if (opt[1] != IPCP_ADDR_OPT_LEN)
			continue;
		switch (opt[0]) {
		case PPP_IPCP_OPT_ADDRESS:
			if ((ipcp->flags & IPCP_REQ_ADDR) && ipcp_get_addr(opt).s_addr)
				ipcp->local = ipcp_get_addr(opt);
			break;
		case PPP_IPCP_OPT_DNS1:
			if (ipcp->flags & IPCP_REQ_DNS1)
				ipcp->dns[0] = ipcp_get_addr(opt);
			break;
		case PPP_IPCP_OPT_DNS2:
			if (ipcp->flags & IPCP_REQ_DNS2)
				ipcp->dns[1] = ipcp_get_addr(opt);
			break;
		}
	}
	return 0;
}

static void ipcp_rcv_rej(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp_ipcp *ipcp = &ipcp_ppp(f)->ipcp;

	for (size_t off = 0; off < len; off += opts[off + 1]) {
		switch (opts[off]) {
		case PPP_IPCP_OPT_ADDRESS:
			ipcp->flags &= (uint8_t)~IPCP_REQ_ADDR;
			break;
		case PPP_IPCP_OPT_DNS1:
			ipcp->flags &= (uint8_t)~IPCP_REQ_DNS1;
			ipcp->dns[0].s_addr = 0;
			break;
		case PPP_IPCP_OPT_DNS2:
			ipcp->flags &= (uint8_t)~IPCP_REQ_DNS2;
			ipcp->dns[1].s_addr = 0;
			break;
		}
	}
}

static void ipcp_tlu(struct ppp_fsm *f, uint64_t now)
{
	struct ppp *ppp = ipcp_ppp(f);

	/* RFC 3145 §3.4 code 20: the server would not give us an address. */
	if (ppp->cfg->role == PPP_ROLE_CLIENT && ppp->ipcp.local.s_addr == 0) {
		ppp_link_fail(ppp, PPP_CAUSE_NCP_ADDRESS, PPP_PROTO_IPCP, PPP_DIR_PEER,
		              "no IPv4 address from the peer", now);
		return;
	}
	ppp_link_ncp_up(ppp, PPP_PROTO_IPCP);
}

static void ipcp_tld(struct ppp_fsm *f, uint64_t now)
{
	(void)now;
	ppp_link_ncp_down(ipcp_ppp(f), PPP_PROTO_IPCP);
}

static void ipcp_tlf(struct ppp_fsm *f, enum ppp_fsm_event ev, enum ppp_fsm_state from,
                     uint64_t now)
{
	ppp_link_ncp_finished(ipcp_ppp(f), PPP_PROTO_IPCP, ev, from, now);
}

static const struct ppp_fsm_ops ipcp_ops = {
    .proto = PPP_PROTO_IPCP,
    .name = "ipcp",
    .conf = ipcp_conf,
    .peer_mru = ipcp_peer_mru,
    .output = ipcp_output,
    .build_req = ipcp_build_req,
    .req_begin = ipcp_req_begin,
    .req_opt = ipcp_req_opt,
    .req_end = ipcp_req_end,
    .rcv_nak = ipcp_rcv_nak,
    .rcv_rej = ipcp_rcv_rej,
    .tlu = ipcp_tlu,
    .tld = ipcp_tld,
    .tlf = ipcp_tlf,
};

void ppp_ipcp_init(struct ppp *ppp)
{
	memset(&ppp->ipcp, 0, sizeof(ppp->ipcp));
	ppp_fsm_init(&ppp->ipcp.fsm, &ipcp_ops);
	if (ppp->cfg->role == PPP_ROLE_SERVER) {
		ppp->ipcp.dns[0] = ppp->cfg->dns[0];
		ppp->ipcp.dns[1] = ppp->cfg->dns[1];
	}
}

void ppp_ipcp_prepare(struct ppp *ppp)
{
	struct ppp_ipcp *ipcp = &ppp->ipcp;

	ipcp->flags = 0;
	if (ppp->cfg->role == PPP_ROLE_SERVER) {
		if (ipcp->local.s_addr)
			ipcp->flags |= IPCP_REQ_ADDR;
		return;
	}
	ipcp->flags |= IPCP_REQ_ADDR;
	if (ppp->cfg->request_dns)
		ipcp->flags |= IPCP_REQ_DNS1 | IPCP_REQ_DNS2;
}

int ppp_ipcp_input(struct ppp *ppp, const uint8_t *pkt, size_t len, uint64_t now)
{
	int rc = ppp_fsm_input(&ppp->ipcp.fsm, pkt, len, now);

	if (ppp->ipcp.flags & IPCP_NO_CONVERGE) {
		ppp->ipcp.flags &= (uint8_t)~IPCP_NO_CONVERGE;
		ppp_link_fail(ppp, PPP_CAUSE_NCP_CONVERGE, PPP_PROTO_IPCP, PPP_DIR_LOCAL,
		              "peer insists on an IPv4 address not its own", now);
	}
	return rc;
}
