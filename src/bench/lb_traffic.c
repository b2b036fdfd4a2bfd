/* Traffic through the sessions: IPv4/UDP datagrams from each established
 * subscriber's address to the sink, PPP-framed in L2TP data messages,
 * paced by a token bucket to --pps over all sessions (round-robin), built
 * in place in the send batch. The sink (or `l2tp-bench --lns`) reflects
 * them; what comes back through the LNS is counted here.
 *
 * Payload: "L2TPBNCH", the session index and a sequence number (both
 * 32-bit, network order), zeros to the size asked. */
#include <stdio.h>
#include <string.h>

#include "bench/lb_lac.h"

#define LB_MAGIC      "L2TPBNCH"
#define LB_QUERY      "L2TPBNCH-STATS?"
#define LB_ANSWER     "L2TPBNCH-STATS "
#define LB_IP_HDR     20
#define LB_UDP_HDR    8
#define LB_SPORT_BASE 40000u
#define LB_SPORTS     20000u
#define LB_IMIX_CAP   1460 /* the outer packet stays within a 1500-octet MTU */
/* Packets built per call at most, so that receiving is not starved when
 * the pace cannot be kept. */
#define LB_PUMP_MAX 4096
#define LB_IDLE_NS  10000000ull

/* 7:4:1, interleaved. */
static const uint16_t lb_imix[12] = {64, 576, 64, 64, 1500, 64, 576, 64, 576, 64, 576, 64};

static uint16_t ip_checksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;

	for (size_t k = 0; k + 1 < len; k += 2)
		sum += (uint32_t)(h[k] << 8 | h[k + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t packet_size(struct lac *l, uint32_t i, uint64_t n)
{
	struct ppp_net net;
	size_t size, cap = LB_IMIX_CAP;

	if (l->o.size != LB_SIZE_IMIX)
		return l->o.size;
	size = lb_imix[n % 12];
	if (size <= 576)
		return size;
	ppp_net_info(l->sess[i].ppp, PPP_PROTO_IPCP, &net);
	if (net.peer_mru && net.peer_mru < cap)
		cap = net.peer_mru;
	return size < cap ? size : cap;
}

/* One datagram of size octets (IP header on) from session i to the sink,
 * with payload (size - 28 octets) or the benchmark's own. */
static void build(struct lac *l, uint32_t i, size_t size, const void *payload)
{
	struct lb_sess *s = &l->sess[i];
	const struct sockaddr_in *sink = &l->o.sink.sin;
	uint8_t hdr[PPP_HEADROOM];
	size_t hlen, ph = ppp_data_header(s->ppp, PPP_PROTO_IP, hdr);
	uint8_t *p = lb_sub_data_slot(l, i, &hlen), *ip, *udp, *data;
	uint16_t sport = (uint16_t)(LB_SPORT_BASE + i % LB_SPORTS);
	size_t plen = size - LB_IP_HDR - LB_UDP_HDR;

	memcpy(p, hdr, ph);
	ip = p + ph;
	udp = ip + LB_IP_HDR;
	data = udp + LB_UDP_HDR;
	ip[0] = 0x45;
	ip[1] = 0;
	ppp_put16(ip + 2, (uint16_t)size);
	ppp_put16(ip + 4, l->ip_id++);
	ppp_put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 17; /* UDP */
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, &s->ip, 4);
	memcpy(ip + 16, &sink->sin_addr, 4);
	ppp_put16(ip + 10, ip_checksum(ip, LB_IP_HDR));
	ppp_put16(udp, sport);
	memcpy(udp + 2, &sink->sin_port, 2);
	ppp_put16(udp + 4, (uint16_t)(size - LB_IP_HDR));
	ppp_put16(udp + 6, 0); /* no checksum (IPv4 allows it) */
	if (payload) {
		memcpy(data, payload, plen);
	} else {
		uint8_t head[16];

		memcpy(head, LB_MAGIC, 8);
		ppp_put32(head + 8, i);
		ppp_put32(head + 12, (uint32_t)l->tr.generated);
		memcpy(data, head, plen < sizeof(head) ? plen : sizeof(head));
		if (plen > sizeof(head))
			memset(data + sizeof(head), 0, plen - sizeof(head));
	}
	/* Upstream traffic is counted when it leaves; the query is not. */
	lb_tx_commit(l, hlen + ph + size, payload ? 0 : (uint16_t)size);
}

/* The next established session, round-robin; false if none. */
static bool next_session(struct lac *l, uint32_t *i)
{
	for (uint32_t tries = 0; tries < l->n_up; tries++) {
		uint32_t k = l->up[l->traffic_cursor++ % l->n_up];

		if (l->sess[k].state == LB_S_UP && l->sess[k].ppp &&
		    (l->sess[k].flags & LB_SF_IPCP)) {
			*i = k;
			return true;
		}
	}
	return false;
}

uint64_t lb_traffic_pump(struct lac *l, uint64_t start_ns)
{
	uint64_t now = lb_now_ns(), due, next;
	double pps = l->o.pps;
	unsigned n = 0;
	uint32_t i;

	due = (uint64_t)((double)(now - start_ns) * 1e-9 * pps) + 1;
	while (l->tr.generated < due && n++ < LB_PUMP_MAX) {
		if (!next_session(l, &i))
			return now + LB_IDLE_NS; /* nobody to send for: look again later */
		build(l, i, packet_size(l, i, l->tr.generated), NULL);
		l->tr.generated++;
	}
	next = start_ns + (uint64_t)((double)l->tr.generated / pps * 1e9);
	return next > now ? next : now;
}

bool lb_traffic_query(struct lac *l)
{
	uint32_t i = 0;

	if (!(l->n_sess && l->sess[0].state == LB_S_UP && l->sess[0].ppp &&
	      (l->sess[0].flags & LB_SF_IPCP)) &&
	    !next_session(l, &i))
		return false;
	build(l, i, LB_IP_HDR + LB_UDP_HDR + strlen(LB_QUERY), LB_QUERY);
	return true;
}

/* "L2TPBNCH-STATS rx=<u64> tx=<u64> rx_bytes=<u64>" */
static void sink_answer(struct lac *l, const uint8_t *p, size_t len)
{
	char text[128];
	unsigned long long rx, tx, bytes;

	if (!l->tr.awaiting)
		return;
	if (len >= sizeof(text))
		len = sizeof(text) - 1;
	memcpy(text, p, len);
	text[len] = '\0';
	if (sscanf(text, LB_ANSWER "rx=%llu tx=%llu rx_bytes=%llu", &rx, &tx, &bytes) != 3)
		return;
	l->tr.sink_rx = rx;
	l->tr.sink_tx = tx;
	l->tr.sink_rx_bytes = bytes;
	l->tr.sink_stats = true;
}

void lb_traffic_rx(struct lac *l, uint32_t i, const uint8_t *pkt, size_t len)
{
	const struct sockaddr_in *sink = &l->o.sink.sin;
	size_t ihl, ulen;
	const uint8_t *udp;

	(void)i;
	if (len < LB_IP_HDR + LB_UDP_HDR || (pkt[0] >> 4) != 4 || pkt[9] != 17)
		goto other;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	/* A fragment after the first has no UDP header: not one of ours. */
	if (ihl < LB_IP_HDR || len < ihl + LB_UDP_HDR || (ppp_get16(pkt + 6) & 0x1fff))
		goto other;
	udp = pkt + ihl;
	ulen = ppp_get16(udp + 4);
	if (ulen < LB_UDP_HDR || ulen > len - ihl)
		ulen = len - ihl;
	/* From the sink's address and port (the reflection swaps them); a
	 * reflector that kept the ports is known by the payload. */
	if (memcmp(pkt + 12, &sink->sin_addr, 4) ||
	    (memcmp(udp, &sink->sin_port, 2) &&
	     (ulen - LB_UDP_HDR < 8 || memcmp(udp + LB_UDP_HDR, LB_MAGIC, 8))))
		goto other;
	if (ulen - LB_UDP_HDR >= strlen(LB_ANSWER) &&
	    !memcmp(udp + LB_UDP_HDR, LB_ANSWER, strlen(LB_ANSWER))) {
		sink_answer(l, udp + LB_UDP_HDR, ulen - LB_UDP_HDR);
		return;
	}
	l->tr.received++;
	l->tr.received_bytes += len;
	return;
other:
	l->tr.other_rx++;
}
