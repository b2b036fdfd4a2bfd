/* The LAC mode's I/O: datagrams out in sendmmsg batches, built in place
 * or copied into the batch; datagrams in with recvmmsg, dispatched to the
 * tunnel (control) or the session (data) their header names; and the
 * intrusive session lists. */
#include <errno.h>
#include <string.h>

#include "bench/lb_lac.h"

#define LB_RX_BATCHES 16 /* recvmmsg calls per loop turn at most */

/* ------------------------------------------------------------ lists */

void lb_list_add(struct lac *l, struct lb_list *list, uint32_t i)
{
	struct lb_sess *s = &l->sess[i];

	s->next = LB_NIL;
	s->prev = list->tail;
	if (list->tail)
		l->sess[list->tail - 1].next = i + 1;
	else
		list->head = i + 1;
	list->tail = i + 1;
	list->count++;
}

void lb_list_del(struct lac *l, struct lb_list *list, uint32_t i)
{
	struct lb_sess *s = &l->sess[i];

	if (s->prev)
		l->sess[s->prev - 1].next = s->next;
	else
		list->head = s->next;
	if (s->next)
		l->sess[s->next - 1].prev = s->prev;
	else
		list->tail = s->prev;
	s->prev = s->next = LB_NIL;
	list->count--;
}

/* ------------------------------------------------------------ sending */

uint8_t *lb_tx_slot(struct lac *l, const struct lb_tunnel *t)
{
	struct lb_txq *q = &l->tx;

	if (q->n == LB_BATCH)
		lb_tx_flush(l);
	q->pending = t;
	return q->buf[q->n];
}

void lb_tx_commit(struct lac *l, size_t len, uint16_t traffic_len)
{
	struct lb_txq *q = &l->tx;
	struct msghdr *h = &q->msg[q->n].msg_hdr;

	q->iov[q->n].iov_base = q->buf[q->n];
	q->iov[q->n].iov_len = len;
	memset(h, 0, sizeof(*h));
	h->msg_name = (void *)&q->pending->peer;
	h->msg_namelen = udp_addr_len(&q->pending->peer);
	h->msg_iov = &q->iov[q->n];
	h->msg_iovlen = 1;
	q->traffic[q->n] = traffic_len;
	if (++q->n == LB_BATCH)
		lb_tx_flush(l);
}

void lb_tx(struct lac *l, const struct lb_tunnel *t, const void *buf, size_t len)
{
	if (len > LB_DGRAM_MAX)
		return;
	memcpy(lb_tx_slot(l, t), buf, len);
	lb_tx_commit(l, len, 0);
}

static void tx_account(void *ctx, unsigned from, unsigned n)
{
	struct lac *l = ctx;

	l->c.tx_datagrams += n;
	for (unsigned k = from; k < from + n; k++) {
		if (l->tx.traffic[k]) {
			l->tr.sent++;
			l->tr.sent_bytes += l->tx.traffic[k];
		}
	}
}

void lb_tx_flush(struct lac *l)
{
	struct lb_txq *q = &l->tx;

	l->c.tx_dropped += lb_sendmmsg_all(l->fd, q->msg, q->n, 5, tx_account, l);
	q->n = 0;
}

/* ------------------------------------------------------------ receiving */

static void rx_one(struct lac *l, uint8_t *buf, size_t len, const union udp_addr *from)
{
	struct l2tp_header h;
	uint64_t i;

	if (l2tp_header_parse(buf, len, &h) < 0 || !h.tunnel_id || h.tunnel_id > l->n_tunnels) {
		l->c.rx_bad++;
		return;
	}
	if (h.is_control) {
		lb_tunnel_input(&l->tunnels[h.tunnel_id - 1], buf, h.length, &h, from);
		return;
	}
	i = (uint64_t)(h.session_id - 1u) * l->n_tunnels + (h.tunnel_id - 1u);
	if (!h.session_id || i >= l->n_sess || h.length < h.header_len) {
		l->c.rx_bad++;
		return;
	}
	/* §5.4: the LNS numbers its data messages, so we number ours. */
	if (h.has_sequence)
		l->sess[i].flags |= LB_SF_SEQ;
	lb_sub_input(l, (uint32_t)i, buf + h.header_len, h.length - h.header_len);
}

void lb_rx_all(struct lac *l)
{
	struct lb_rxq *q = &l->rx;

	for (int turn = 0; turn < LB_RX_BATCHES; turn++) {
		int n;

		for (int k = 0; k < LB_BATCH; k++)
			q->msg[k].msg_hdr.msg_namelen = sizeof(q->from[k]);
		n = recvmmsg(l->fd, q->msg, LB_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		l->now_ms = lb_now_ms();
		l->c.rx_datagrams += (unsigned)n;
		for (int k = 0; k < n; k++)
			rx_one(l, q->buf[k], q->msg[k].msg_len, &q->from[k]);
		if (n < LB_BATCH)
			return;
	}
}

void lb_rx_init(struct lac *l)
{
	struct lb_rxq *q = &l->rx;

	for (int k = 0; k < LB_BATCH; k++) {
		q->iov[k].iov_base = q->buf[k];
		q->iov[k].iov_len = LB_DGRAM_MAX;
		q->msg[k].msg_hdr.msg_name = &q->from[k];
		q->msg[k].msg_hdr.msg_iov = &q->iov[k];
		q->msg[k].msg_hdr.msg_iovlen = 1;
	}
}
