/* l2tp-bench --lns: the subscribers' PPP (server role, every credential
 * accepted, addresses from one pool) and the data path, which sends every
 * IPv4 packet back where it came from with source and destination
 * swapped. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lb_lns.h"
#include "l2tp/msg.h"
#include "ppp/chap.h"

#define LNS_QUERY       "L2TPBNCH-STATS?"
#define LNS_QUERY_LEN   (sizeof(LNS_QUERY) - 1)
#define LNS_PPP_TICK_MS 50

/* ------------------------------------------------------------ pool */

static int lns_pool_init(struct lns_pool *p, uint32_t base, uint8_t len)
{
	p->size = 1u << (32 - len);
	p->base = base;
	p->bits = calloc((p->size + 63) / 64, sizeof(*p->bits));
	if (!p->bits)
		return -ENOMEM;
	/* The network address, ours (the first host) and the broadcast. */
	p->bits[0] |= 3;
	p->bits[(p->size - 1) / 64] |= UINT64_C(1) << ((p->size - 1) % 64);
	p->used = 3;
	p->cursor = 2;
	return 0;
}

/* The next free address after the last one given (network order), or 0. */
static uint32_t lns_pool_alloc(struct lns_pool *p)
{
	uint32_t words = (p->size + 63) / 64, w = p->cursor / 64;

	if (p->used >= p->size)
		return 0;
	for (uint32_t n = 0; n <= words; n++, w = (w + 1) % words) {
		uint64_t free = ~p->bits[w];

		if (n == 0) /* from the cursor on in its word */
			free &= ~UINT64_C(0) << (p->cursor % 64);
		if (!free)
			continue;
		{
			uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(free);

			if (i >= p->size)
				continue;
			p->bits[w] |= UINT64_C(1) << (i % 64);
			p->used++;
			p->cursor = i + 1 < p->size ? i + 1 : 0;
			return htonl(p->base + i);
		}
	}
	return 0;
}

static void lns_pool_free(struct lns_pool *p, uint32_t addr)
{
	uint32_t i = ntohl(addr) - p->base;

	if (i < p->size && (p->bits[i / 64] & (UINT64_C(1) << (i % 64)))) {
		p->bits[i / 64] &= ~(UINT64_C(1) << (i % 64));
		p->used--;
	}
}

/* ------------------------------------------------------------ send */

/* Prepend our L2TP data header before frame (room is there) and queue. */
static void lns_sess_send_at(struct lns_sess *s, uint8_t *frame, size_t len)
{
	struct lns_tunnel *t = s->t;
	struct l2tp_data_options o = {0};
	size_t hlen = (s->flags & LS_SEQ) ? 10 : 6;

	/* §5.4: sequence numbers only when the peer sends them or asked. */
	if (s->flags & LS_SEQ) {
		o.sequence = true;
		o.ns = s->ns++;
	}
	l2tp_header_put_data(frame - hlen, hlen, t->peer_id, s->peer_id, &o);
	lns_tx_queue(t->l, &t->peer, frame - hlen, len + hlen);
}

static void lns_ppp_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct lns_sess *s = ctx;
	uint8_t *buf;

	if ((s->flags & LS_DEAD) || len > LNS_DGRAM - LNS_HEADROOM)
		return;
	buf = lns_tx_buf(s->t->l);
	memcpy(buf + LNS_HEADROOM, frame, len);
	s->t->l->c.ppp_tx++;
	lns_sess_send_at(s, buf + LNS_HEADROOM, len);
}

/* ------------------------------------------------------------ reflection */

static uint16_t lns_csum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void lns_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The stats query, answered in place: payload, lengths and checksums
 * rewritten (the reflection then swaps addresses and ports, which leaves
 * the checksums valid). Returns the new IP length. */
static size_t lns_answer_query(struct lns *l, uint8_t *ip, size_t ihl, size_t room)
{
	uint8_t *udp = ip + ihl;
	char text[128];
	int n = snprintf(text, sizeof(text), "L2TPBNCH-STATS rx=%llu tx=%llu rx_bytes=%llu",
	                 (unsigned long long)l->c.data_rx, (unsigned long long)l->c.data_tx,
	                 (unsigned long long)l->c.data_rx_bytes);
	size_t ulen = 8 + (size_t)n, len = ihl + ulen;
	uint32_t sum = 0;

	if (len > room)
		return 0;
	l->c.stats_queries++;
	memcpy(udp + 8, text, (size_t)n);
	lns_put16(ip + 2, (uint16_t)len);
	lns_put16(ip + 10, 0);
	lns_put16(ip + 10, lns_csum(ip, ihl, 0));
	lns_put16(udp + 4, (uint16_t)ulen);
	lns_put16(udp + 6, 0);
	/* RFC 768 pseudo header: addresses, protocol, UDP length. */
	sum += (uint32_t)ip[12] << 8 | ip[13];
	sum += (uint32_t)ip[14] << 8 | ip[15];
	sum += (uint32_t)ip[16] << 8 | ip[17];
	sum += (uint32_t)ip[18] << 8 | ip[19];
	sum += 17 + (uint32_t)ulen;
	{
		uint16_t c = lns_csum(udp, ulen, sum);

		lns_put16(udp + 6, c ? c : 0xffff);
	}
	return len;
}

/* An IPv4 packet from session s, at ip in a buffer with room before it
 * and room octets from ip to its end: back to the sender. Returns false
 * if it is not one we reflect. */
static bool lns_reflect(struct lns *l, struct lns_sess *s, uint8_t *ip, size_t len, size_t room)
{
	size_t ihl, tot;
	uint8_t tmp[4];
	bool count = true;
	uint64_t bytes;

	if (len < 20 || (ip[0] >> 4) != 4)
		return false;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = (size_t)ip[2] << 8 | ip[3];
	if (ihl < 20 || tot < ihl || tot > len)
		return false;
	len = tot;
	bytes = len;
	/* Only a first fragment (offset 0) has the transport header. */
	if (!((ip[6] & 0x1f) | ip[7])) {
		uint8_t *x = ip + ihl;

		if (ip[9] == 17 && len >= ihl + 8) {
			bytes = len - ihl - 8; /* what a UDP sink would count */
			if (bytes == LNS_QUERY_LEN && !memcmp(x + 8, LNS_QUERY, LNS_QUERY_LEN)) {
				len = lns_answer_query(l, ip, ihl, room);
				if (!len)
					return false;
				count = false;
			}
			memcpy(tmp, x, 2);
			memcpy(x, x + 2, 2);
			memcpy(x + 2, tmp, 2);
		} else if (ip[9] == 1 && len >= ihl + 8 && x[0] == 8 && x[1] == 0) {
			/* ICMP Echo: a reply (RFC 792), so that ping works. */
			x[0] = 0;
			lns_put16(x + 2, 0);
			lns_put16(x + 2, lns_csum(x, len - ihl, 0));
			l->c.icmp_echo++;
		}
	}
	memcpy(tmp, ip + 12, 4);
	memcpy(ip + 12, ip + 16, 4);
	memcpy(ip + 16, tmp, 4);
	if (count) {
		l->c.data_rx++;
		l->c.data_tx++;
		l->c.data_rx_bytes += bytes;
	}
	memcpy(ip - s->ppp_hlen, s->ppp_hdr, s->ppp_hlen);
	lns_sess_send_at(s, ip - s->ppp_hlen, len + s->ppp_hlen);
	return true;
}

/* ------------------------------------------------------------ PPP ops */

static void lns_timer_check(struct lns_sess *s)
{
	struct lns *l = s->t->l;

	if ((s->flags & (LS_TIMER | LS_DEAD)) || ppp_next_deadline(s->ppp) == PPP_NO_DEADLINE)
		return;
	s->flags |= LS_TIMER;
	l->n_timers++;
	s->aprev = NULL;
	s->anext = l->timers;
	if (l->timers)
		l->timers->aprev = s;
	l->timers = s;
}

void lns_timer_del(struct lns_sess *s)
{
	struct lns *l = s->t->l;

	if (!(s->flags & LS_TIMER))
		return;
	if (s->aprev)
		s->aprev->anext = s->anext;
	else
		l->timers = s->anext;
	if (s->anext)
		s->anext->aprev = s->aprev;
	s->flags &= (uint8_t)~LS_TIMER;
	l->n_timers--;
}

/* IP that PPP handed over (the fast path had not seen IPCP up yet):
 * reflected from a copy, in a buffer with room for the headers. */
static void lns_ppp_data(void *ctx, uint16_t proto, uint8_t *pkt, size_t len)
{
	struct lns_sess *s = ctx;
	uint8_t *buf;

	if ((s->flags & LS_DEAD) || proto != PPP_PROTO_IP || !s->ppp_hlen ||
	    len > LNS_DGRAM - LNS_HEADROOM)
		return;
	buf = lns_tx_buf(s->t->l);
	memcpy(buf + LNS_HEADROOM, pkt, len);
	if (!lns_reflect(s->t->l, s, buf + LNS_HEADROOM, len, LNS_DGRAM - LNS_HEADROOM))
		s->t->l->cn--; /* the buffer just taken goes back unused */
}

static void lns_ppp_up(void *ctx, const struct ppp_net *net)
{
	struct lns_sess *s = ctx;
	struct lns *l = s->t->l;

	if (net->proto != PPP_PROTO_IPCP || (s->flags & LS_DEAD))
		return;
	/* How the peer takes IP from us, as LCP negotiated it (ACFC, PFC). */
	s->ppp_hlen = (uint8_t)ppp_data_header(s->ppp, PPP_PROTO_IP, s->ppp_hdr);
	if (!(s->flags & LS_IP_UP))
		l->n_up++;
	s->flags |= LS_IP_UP;
	if (!(s->flags & LS_EVER_UP)) {
		s->flags |= LS_EVER_UP;
		l->c.sessions_established++;
	}
}

static void lns_ppp_ncp_down(void *ctx, uint16_t proto)
{
	struct lns_sess *s = ctx;

	if (proto == PPP_PROTO_IPCP && (s->flags & LS_IP_UP) && !(s->flags & LS_DEAD)) {
		s->flags &= (uint8_t)~LS_IP_UP;
		s->t->l->n_up--;
	}
}

static void lns_ppp_down(void *ctx, const struct ppp_cause *cause)
{
	struct lns_sess *s = ctx;

	if (s->flags & LS_DEAD)
		return;
	s->t->l->c.sessions_ppp_down++;
	/* §4.4.2: 3 for a Terminate, 2 for anything that failed. */
	lns_sess_kill(s,
	              cause->code == PPP_CAUSE_ADMIN || cause->code == PPP_CAUSE_TERMINATE
	                  ? L2TP_CDN_ADMIN
	                  : L2TP_CDN_GENERAL_ERROR,
	              cause->reason ? cause->reason : "ppp down");
}

static void lns_ppp_verify(void *ctx, const struct ppp_auth_request *req)
{
	struct lns_sess *s = ctx;
	struct lns *l = s->t->l;
	uint8_t authresp[PPP_MSCHAPV2_AUTHRESP_LEN] = {0};

	/* Every credential is good. MS-CHAPv2 still has to prove that we
	 * know the password (RFC 2759 §8.7): --password. */
	if (req->method == PPP_AUTH_MSCHAPV2 && req->nt_response && req->peer_challenge &&
	    req->challenge)
		ppp_mschapv2_authenticator_response(l->o.password, req->nt_response,
		                                    req->peer_challenge, req->challenge, req->user,
		                                    req->user_len, authresp);
	ppp_auth_result(s->ppp, true, "Welcome", authresp, l->now);
}

static void lns_ppp_random(void *ctx, void *buf, size_t len)
{
	struct lns_sess *s = ctx;
	uint8_t *p = buf;

	while (len) {
		uint64_t r = lns_random64(s->t->l);
		size_t n = len < sizeof(r) ? len : sizeof(r);

		memcpy(p, &r, n);
		p += n;
		len -= n;
	}
}

int lns_ppp_init(struct lns *l)
{
	static const uint8_t order[][PPP_AUTH_PREFS_MAX] = {
	    [PPP_AUTH_PAP] = {PPP_AUTH_PAP, PPP_AUTH_CHAP_MD5, PPP_AUTH_MSCHAPV2},
	    [PPP_AUTH_CHAP_MD5] = {PPP_AUTH_CHAP_MD5, PPP_AUTH_MSCHAPV2, PPP_AUTH_PAP},
	    [PPP_AUTH_MSCHAPV2] = {PPP_AUTH_MSCHAPV2, PPP_AUTH_CHAP_MD5, PPP_AUTH_PAP},
	};

	ppp_config_init(&l->ppp_cfg, PPP_ROLE_SERVER);
	/* Offered first: --auth; a subscriber that wants another of the
	 * three gets it (Nak), as a LAC in --auth mix needs. */
	memcpy(l->ppp_cfg.auth, order[l->o.auth], PPP_AUTH_PREFS_MAX);
	l->ppp_cfg.hostname = l->o.hostname;
	l->ppp_cfg.echo_interval_ms = 0; /* no keepalives: the bench holds the links */
	l->ppp_ops.send = lns_ppp_send;
	l->ppp_ops.data = lns_ppp_data;
	l->ppp_ops.up = lns_ppp_up;
	l->ppp_ops.ncp_down = lns_ppp_ncp_down;
	l->ppp_ops.down = lns_ppp_down;
	l->ppp_ops.verify = lns_ppp_verify;
	l->ppp_ops.random = lns_ppp_random;
	l->next_ppp_tick = 0;
	return lns_pool_init(&l->pool, l->o.pool_base, l->o.pool_len);
}

void lns_ppp_fini(struct lns *l)
{
	free(l->pool.bits);
	l->pool.bits = NULL;
}

void lns_sess_connected(struct lns_sess *s, const struct ppp_proxy *px)
{
	struct lns *l = s->t->l;
	struct in_addr local = {htonl(l->pool.base + 1)}, peer;

	s->ppp = ppp_new(&l->ppp_cfg, &l->ppp_ops, s);
	s->peer_ip = s->ppp ? lns_pool_alloc(&l->pool) : 0;
	if (!s->peer_ip) {
		lns_sess_kill(s, L2TP_CDN_NO_RESOURCES_TEMPORARY,
		              s->ppp ? "pool exhausted" : "out of memory");
		return;
	}
	/* Before any verdict: IPCP hands it out once authenticated. */
	peer.s_addr = s->peer_ip;
	ppp_set_ipv4(s->ppp, local, peer);
	if (px && ppp_start_proxy(s->ppp, px, l->now) == 0) {
		s->flags |= LS_PROXY;
		l->c.sessions_proxied++;
	} else {
		/* No proxy, or one we cannot take: renegotiate (§4.4.5). */
		ppp_start(s->ppp, l->now);
	}
	lns_timer_check(s);
}

void lns_sess_release(struct lns_sess *s)
{
	if (s->ppp) {
		ppp_free(s->ppp);
		s->ppp = NULL;
	}
	if (s->peer_ip)
		lns_pool_free(&s->t->l->pool, s->peer_ip);
	s->peer_ip = 0;
}

void lns_data_input(struct lns *l, uint8_t *buf, size_t len, const struct l2tp_header *h,
                    const union udp_addr *from)
{
	struct lns_sess *s = idtable_find(&l->sessions, lns_sess_key(h->tunnel_id, h->session_id));
	uint8_t *f = buf + h->header_len;
	size_t flen = h->length - h->header_len, off = 0;

	(void)len;
	if (!s || !(s->flags & LS_CONNECTED) || !udp_addr_equal(&s->t->peer, from, true)) {
		l->c.rx_unknown++;
		return;
	}
	if (h->has_sequence)
		s->flags |= LS_SEQ;
	/* The fast path: IP (0x21, or 0x0021) once IPCP is up. */
	if (flen >= 2 && f[0] == 0xff && f[1] == 0x03)
		off = 2;
	if (s->flags & LS_IP_UP) {
		size_t ip = 0;

		if (flen > off && f[off] == 0x21)
			ip = off + 1;
		else if (flen > off + 1 && f[off] == 0 && f[off + 1] == 0x21)
			ip = off + 2;
		if (ip) {
			size_t room = (size_t)(buf + LNS_DGRAM - (f + ip));

			if (!lns_reflect(l, s, f + ip, flen - ip, room))
				l->c.rx_bad++;
			return;
		}
	}
	l->c.ppp_rx++;
	ppp_input(s->ppp, f, flen, l->now);
	if (!(s->flags & LS_DEAD))
		lns_timer_check(s);
}

void lns_ppp_tick(struct lns *l)
{
	struct lns_sess *s, *next;

	if (l->now < l->next_ppp_tick)
		return;
	l->next_ppp_tick = l->now + LNS_PPP_TICK_MS;
	for (s = l->timers; s; s = next) {
		next = s->anext;
		if (ppp_next_deadline(s->ppp) <= l->now) {
			ppp_tick(s->ppp, l->now);
			if (s->flags & LS_DEAD)
				continue; /* off the list already (a tick touches its own link only)
				           */
		}
		if (ppp_next_deadline(s->ppp) == PPP_NO_DEADLINE)
			lns_timer_del(s);
	}
}
