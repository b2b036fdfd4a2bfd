/* The data path of established sessions (see fastpath.h). Every length
 * comes from the network and is checked before use; nothing is allocated
 * per packet. */
#include "fastpath.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "l2tp/seq.h"

#define FP_PPP_ADDRESS 0xff
#define FP_PPP_CONTROL 0x03
#define FP_IPV4_HEADER 20
#define FP_IPV6_HEADER 40

int fastpath_init(struct fastpath *fp, struct tun_io *tun, const struct fastpath_ops *ops,
		  void *ctx, size_t expected)
{
	int rc;

	memset(fp, 0, sizeof(*fp));
	fp->tun = tun;
	fp->ops = ops;
	fp->ctx = ctx;
	rc = iptable_init(&fp->ips, expected);
	if (rc < 0)
		return rc;
	/* Zeroed: io_uring fills them behind valgrind's back. */
	fp->bufs = calloc(FASTPATH_BATCH, FASTPATH_BUF);
	if (!fp->bufs) {
		iptable_destroy(&fp->ips);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < FASTPATH_BATCH; i++) {
		fp->rd[i].iov_base = fp->bufs + (size_t)i * FASTPATH_BUF + FASTPATH_HEADROOM;
		fp->rd[i].iov_len = FASTPATH_BUF - FASTPATH_HEADROOM;
		fp->msgs[i].msg_hdr.msg_iov = &fp->iov[i];
		fp->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

void fastpath_fini(struct fastpath *fp)
{
	iptable_destroy(&fp->ips);
	free(fp->bufs);
	fp->bufs = NULL;
}

void fastpath_tunnel_init(struct fp_tunnel *t, int fd, uint16_t id, uint16_t peer_id,
			  const union udp_addr *peer, const struct udp_local *local)
{
	struct cmsghdr *c = &t->cmsg.align;

	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->id = id;
	t->peer_id = peer_id;
	t->peer = *peer;
	t->peer_len = peer->sa.sa_family == AF_INET6 ? sizeof(peer->sin6) : sizeof(peer->sin);
	if (!local || !local->set || local->family != peer->sa.sa_family)
		return;
	/* Built once here; every sendmmsg entry of the tunnel points at it. */
	if (local->family == AF_INET) {
		struct in_pktinfo pi = { .ipi_spec_dst = local->v4 };

		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		t->cmsg_len = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_addr = local->v6 };

		if (IN6_IS_ADDR_LINKLOCAL(&local->v6))
			pi.ipi6_ifindex = (unsigned)local->ifindex;
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		t->cmsg_len = CMSG_SPACE(sizeof(pi));
	}
}

void fastpath_session_init(struct fp_session *s, struct fp_tunnel *t, uint16_t id,
			   uint16_t peer_id, void *owner)
{
	memset(s, 0, sizeof(*s));
	s->t = t;
	s->id = id;
	s->peer_id = peer_id;
	s->owner = owner;
}

int fastpath_session_set_ipv4(struct fastpath *fp, struct fp_session *s, struct in_addr a)
{
	int rc;

	if (a.s_addr == s->ipv4.s_addr)
		return 0;
	if (a.s_addr) {
		rc = iptable_insert4(&fp->ips, a, s);
		if (rc < 0)
			return rc;
	}
	if (s->ipv4.s_addr)
		iptable_remove4(&fp->ips, s->ipv4);
	s->ipv4 = a;
	return 0;
}

int fastpath_session_set_ipv6(struct fastpath *fp, struct fp_session *s,
			      const struct in6_addr *prefix)
{
	int rc;

	if (prefix && s->has_ipv6 && memcmp(prefix->s6_addr, s->ipv6.s6_addr, 8) == 0)
		return 0;
	if (prefix) {
		rc = iptable_insert6(&fp->ips, prefix, s);
		if (rc < 0)
			return rc;
	}
	if (s->has_ipv6)
		iptable_remove6(&fp->ips, &s->ipv6);
	memset(&s->ipv6, 0, sizeof(s->ipv6));
	s->has_ipv6 = prefix != NULL;
	if (prefix)
		memcpy(s->ipv6.s6_addr, prefix->s6_addr, 8);
	return 0;
}

void fastpath_session_detach(struct fastpath *fp, struct fp_session *s)
{
	struct in_addr none = { 0 };

	fastpath_session_set_ipv4(fp, s, none);
	fastpath_session_set_ipv6(fp, s, NULL);
}

/* ---------------------------------------------------------------- UDP -> TUN */

/* Address only, as the daemon checks control messages: a NAT may move the
 * peer's port, not its address. */
static bool fastpath_from_peer(const union udp_addr *src, const struct fp_tunnel *t)
{
	if (src->sa.sa_family != t->peer.sa.sa_family)
		return false;
	if (src->sa.sa_family == AF_INET)
		return src->sin.sin_addr.s_addr == t->peer.sin.sin_addr.s_addr;
	return memcmp(&src->sin6.sin6_addr, &t->peer.sin6.sin6_addr, 16) == 0;
}

/* RFC 2661 §5.4. A frame ahead of the expected Ns is taken and the gap
 * counted as lost (no reorder queue: waiting costs latency, and PPP above
 * copes with loss); one behind is late or a duplicate and dropped. A run
 * of consecutive frames all behind means the peer restarted its numbering
 * (e.g. it turned sequencing off and on): follow it instead of dropping
 * the session's traffic for half the sequence space. */
static bool fastpath_seq_accept(struct fastpath *fp, struct fp_session *s,
				const struct l2tp_header *h)
{
	if (!h->has_sequence) {
		if (s->seq_required)
			goto drop;
		/* §5.4: the LNS turns sequencing on and off by what it
		 * sends; the LAC follows unless it was required. */
		if (s->lac)
			s->seq_send = false;
		return true;
	}
	if (s->lac && !s->seq_required)
		s->seq_send = true;
	if (seq_in_window(h->ns, s->nr, FASTPATH_SEQ_WINDOW)) {
		s->c.rx_seq_lost += seq_distance(s->nr, h->ns);
		s->nr = (uint16_t)(h->ns + 1);
		s->oos_run = 0;
		return true;
	}
	if (s->oos_run && h->ns == (uint16_t)(s->oos_last + 1))
		s->oos_run++;
	else
		s->oos_run = 1;
	s->oos_last = h->ns;
	if (s->oos_run >= FASTPATH_SEQ_RESYNC) {
		s->nr = (uint16_t)(h->ns + 1);
		s->oos_run = 0;
		return true;
	}
drop:
	s->c.rx_seq_discards++;
	fp->st.rx_seq_discards++;
	return false;
}

static void fastpath_tun_flush(struct fastpath *fp)
{
	unsigned errors = 0;

	if (!fp->n_out)
		return;
	fp->st.tun_tx_packets += tun_io_write(fp->tun, fp->out, fp->n_out, &errors);
	fp->st.tun_tx_errors += errors;
	fp->n_out = 0;
}

static void fastpath_tun_queue(struct fastpath *fp, uint8_t *pkt, size_t len)
{
	fp->out[fp->n_out].iov_base = pkt;
	fp->out[fp->n_out].iov_len = len;
	if (++fp->n_out == FASTPATH_BATCH)
		fastpath_tun_flush(fp);
}

/* A drop is counted twice: on the session (l2tpctl show session) and in
 * the totals (l2tpctl stats). */
static void fastpath_drop(uint64_t *session_ctr, uint64_t *global_ctr)
{
	(*session_ctr)++;
	(*global_ctr)++;
}

/* One PPP frame of an accepted data message. */
static void fastpath_ppp_input(struct fastpath *fp, struct fp_session *s, uint8_t *frame,
			       size_t flen)
{
	uint8_t *p = frame;
	size_t len = flen;
	uint16_t proto;

	if (s->slow_ip)
		goto slow;
	/* RFC 1661 §6.6 ACFC and §6.5 PFC: we accept both forms whatever
	 * was negotiated, as RFC 1661 asks of a receiver. */
	if (len >= 2 && p[0] == FP_PPP_ADDRESS && p[1] == FP_PPP_CONTROL) {
		p += 2;
		len -= 2;
	}
	if (len >= 1 && (p[0] & 1)) {
		proto = p[0];
		p++;
		len--;
	} else if (len >= 2) {
		proto = (uint16_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	} else {
		fastpath_drop(&s->c.rx_errors, &fp->st.rx_errors);
		return;
	}

	if (proto == FP_PROTO_IPV4) {
		if (len < FP_IPV4_HEADER || (p[0] >> 4) != 4) {
			fastpath_drop(&s->c.rx_errors, &fp->st.rx_errors);
			return;
		}
		/* Anti-spoofing: only the address the subscriber was given. */
		if (!s->ipv4.s_addr || memcmp(p + 12, &s->ipv4, 4) != 0) {
			fastpath_drop(&s->c.rx_spoofed, &fp->st.rx_spoofed);
			return;
		}
		fastpath_tun_queue(fp, p, len);
		return;
	}
	if (proto == FP_PROTO_IPV6) {
		if (len < FP_IPV6_HEADER || (p[0] >> 4) != 6) {
			fastpath_drop(&s->c.rx_errors, &fp->st.rx_errors);
			return;
		}
		if (s->has_ipv6 && memcmp(p + 8, s->ipv6.s6_addr, 8) == 0) {
			fastpath_tun_queue(fp, p, len);
			return;
		}
		/* Link-local (router solicitations, neighbour discovery):
		 * the control plane's business, not the TUN's. */
		if (p[8] != 0xfe || (p[9] & 0xc0) != 0x80) {
			fastpath_drop(&s->c.rx_spoofed, &fp->st.rx_spoofed);
			return;
		}
	}
slow:
	fp->st.rx_slow++;
	if (fp->ops->slow)
		fp->ops->slow(fp->ctx, s, frame, flen);
}

static void fastpath_data_input(struct fastpath *fp, struct udp_rx *rx,
				const struct l2tp_header *h)
{
	struct fp_session *s;
	size_t flen;

	fp->st.rx_data++;
	s = fp->ops->lookup(fp->ctx, h->tunnel_id, h->session_id);
	if (!s) {
		fp->st.rx_unknown_session++;
		return;
	}
	if (!fastpath_from_peer(&rx->peer, s->t)) {
		fp->st.rx_wrong_peer++;
		return;
	}
	s->t->rx_packets++;
	if (!fastpath_seq_accept(fp, s, h))
		return;
	/* The parser guarantees header_len <= length <= rx->len. */
	flen = (size_t)h->length - h->header_len;
	s->c.rx_packets++;
	s->c.rx_bytes += flen;
	fastpath_ppp_input(fp, s, rx->buf + h->header_len, flen);
}

void fastpath_udp_input(struct fastpath *fp, struct udp_sock *sock, struct udp_rx *rx, unsigned n)
{
	struct l2tp_header h;

	for (unsigned i = 0; i < n; i++) {
		struct udp_rx *r = &rx[i];

		/* T bit: control. A header we cannot parse goes there too, so
		 * the daemon's malformed counters see everything. */
		if (r->len < 1 || (r->buf[0] & 0x80) || l2tp_header_parse(r->buf, r->len, &h) < 0) {
			fp->st.rx_control++;
			if (fp->ops->control)
				fp->ops->control(fp->ctx, sock, r);
			continue;
		}
		fastpath_data_input(fp, r, &h);
	}
	/* The packets point into rx's buffers, which the caller reuses. */
	fastpath_tun_flush(fp);
}

/* ---------------------------------------------------------------- TUN -> UDP */

static void fastpath_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Write the L2TP data header and the PPP header backwards from pkt (the
 * IP packet, or the PPP frame when proto is 0), with our Ns. Returns the
 * header's first octet; *ppp_len gets the PPP header's length. The caller
 * left FASTPATH_HEADROOM octets before pkt. */
static uint8_t *fastpath_encap(struct fp_session *s, uint8_t *pkt, uint16_t proto,
			       size_t *ppp_len)
{
	uint8_t *h = pkt;
	uint16_t flags = L2TP_VERSION;

	if (proto) {
		if (s->pfc && proto < 0x100) {
			*--h = (uint8_t)proto;
		} else {
			h -= 2;
			fastpath_put16(h, proto);
		}
		if (!s->acfc) {
			*--h = FP_PPP_CONTROL;
			*--h = FP_PPP_ADDRESS;
		}
	}
	*ppp_len = (size_t)(pkt - h);
	/* §5.4: Nr is reserved in data messages, sent as 0. No Length
	 * field: it is optional, and the datagram says it. */
	if (s->seq_send) {
		h -= 4;
		fastpath_put16(h, s->ns++);
		fastpath_put16(h + 2, 0);
		flags |= L2TP_FLAG_S;
	}
	h -= 6;
	fastpath_put16(h, flags);
	fastpath_put16(h + 2, s->t->peer_id);
	fastpath_put16(h + 4, s->peer_id);
	return h;
}

static struct fp_session *fastpath_route(struct fastpath *fp, const uint8_t *pkt, size_t len,
					 uint16_t *proto)
{
	struct in6_addr dst6;
	struct in_addr dst4;

	if (len >= FP_IPV4_HEADER && (pkt[0] >> 4) == 4) {
		*proto = FP_PROTO_IPV4;
		memcpy(&dst4, pkt + 16, 4);
		return iptable_find4(&fp->ips, dst4);
	}
	if (len >= FP_IPV6_HEADER && (pkt[0] >> 4) == 6) {
		*proto = FP_PROTO_IPV6;
		memcpy(&dst6, pkt + 24, 16);
		return iptable_find6(&fp->ips, &dst6);
	}
	*proto = 0;
	return NULL;
}

/* sendmmsg per run of entries sharing a socket (usually one run: one
 * socket per address family). A failed entry is skipped and counted; a
 * full socket buffer drops the rest of the run rather than spin. */
static void fastpath_send(struct fastpath *fp, unsigned cnt)
{
	unsigned start = 0;

	while (start < cnt) {
		int fd = fp->tx_sess[start]->t->fd;
		unsigned end = start + 1, off = start;

		while (end < cnt && fp->tx_sess[end]->t->fd == fd)
			end++;
		while (off < end) {
			int r = sendmmsg(fd, &fp->msgs[off], end - off, MSG_DONTWAIT);

			if (r < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
					fp->st.tx_errors += end - off;
					break;
				}
				fp->st.tx_errors++;
				off++;
				continue;
			}
			for (unsigned k = off; k < off + (unsigned)r; k++) {
				struct fp_session *s = fp->tx_sess[k];

				s->c.tx_packets++;
				s->c.tx_bytes += fp->tx_frame_len[k];
			}
			fp->st.tx_packets += (unsigned)r;
			off += (unsigned)r;
		}
		start = end;
	}
}

int fastpath_tun_input(struct fastpath *fp)
{
	unsigned cnt = 0;
	int n;

	n = tun_io_read(fp->tun, fp->rd, fp->rd_len, FASTPATH_BATCH);
	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++) {
		uint8_t *pkt = fp->rd[i].iov_base;
		size_t len = fp->rd_len[i], ppp_len;
		struct fp_session *s;
		struct msghdr *mh;
		uint16_t proto;
		uint8_t *h;

		fp->st.tun_rx_packets++;
		/* A full buffer may be a truncated packet. */
		if (len >= fp->rd[i].iov_len || len > UINT16_MAX - FASTPATH_HEADROOM) {
			fp->st.tun_rx_errors++;
			continue;
		}
		s = fastpath_route(fp, pkt, len, &proto);
		if (!s) {
			if (proto)
				fp->st.tun_rx_no_session++;
			else
				fp->st.tun_rx_errors++;
			continue;
		}
		h = fastpath_encap(s, pkt, proto, &ppp_len);
		fp->tx_sess[cnt] = s;
		fp->tx_frame_len[cnt] = (uint16_t)(len + ppp_len);
		fp->iov[cnt].iov_base = h;
		fp->iov[cnt].iov_len = (size_t)(pkt - h) + len;
		mh = &fp->msgs[cnt].msg_hdr;
		mh->msg_name = &s->t->peer;
		mh->msg_namelen = s->t->peer_len;
		mh->msg_control = s->t->cmsg_len ? s->t->cmsg.buf : NULL;
		mh->msg_controllen = s->t->cmsg_len;
		mh->msg_flags = 0;
		cnt++;
	}
	fastpath_send(fp, cnt);
	return n;
}

int fastpath_send_frame(struct fastpath *fp, struct fp_session *s, const uint8_t *frame,
			size_t len)
{
	uint8_t hdr[FASTPATH_HEADROOM];
	struct iovec iov[2];
	struct msghdr mh = { 0 };
	size_t ppp_len;
	uint8_t *h;

	if (len > UINT16_MAX - FASTPATH_HEADROOM)
		return -EMSGSIZE;
	h = fastpath_encap(s, hdr + sizeof(hdr), 0, &ppp_len);
	iov[0].iov_base = h;
	iov[0].iov_len = (size_t)(hdr + sizeof(hdr) - h);
	iov[1].iov_base = (void *)frame;
	iov[1].iov_len = len;
	mh.msg_name = &s->t->peer;
	mh.msg_namelen = s->t->peer_len;
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	mh.msg_control = s->t->cmsg_len ? s->t->cmsg.buf : NULL;
	mh.msg_controllen = s->t->cmsg_len;
	if (sendmsg(s->t->fd, &mh, MSG_DONTWAIT) < 0) {
		fp->st.tx_errors++;
		return -errno;
	}
	s->c.tx_packets++;
	s->c.tx_bytes += len;
	fp->st.tx_packets++;
	return 0;
}
