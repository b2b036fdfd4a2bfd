/* Tunnels: the responder path (RFC 2661 §7.2.1 idle + SCCRQ): limits,
 * policy, duplicates and the tie breaker (§4.4.3), before any state. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "destination.h"
#include "session.h"
#include "tunnel.h"

/* Refuse an SCCRQ without creating any state (limits, drain, policy): a
 * flood of SCCRQs must not cost memory. One unacknowledged StopCCN, as if
 * we had taken the SCCRQ (Nr = 1); peers clean up on it or time out. */
static void tunnel_refuse(struct l2tpd *d, struct udp_sock *s, struct udp_rx *rx,
			  uint16_t peer_tid, uint16_t result, int error, const char *why)
{
	uint8_t buf[256];
	struct l2tp_builder b;
	int len;

	d->stats.tunnels_refused++;
	d->stats.tunnels_down_sent[result < 8 ? result : 0]++;
	log_ratelimited(&d->log, LOG_LEVEL_WARN,
			"tunnel refused peer=%s peer_tunnel=%u result=%u error=%d reason=%s",
			udp_addr_str(&rx->peer, (char[UDP_ADDRSTR_LEN]){ 0 }, UDP_ADDRSTR_LEN),
			peer_tid, result, error, why);
	if (!peer_tid)
		return;
	l2tp_builder_init(&b, buf, sizeof(buf), peer_tid, 0, L2TP_MSG_STOPCCN);
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, 0);
	l2tp_builder_put_result(&b, result, error, why);
	len = l2tp_builder_finish(&b);
	if (len < 0)
		return;
	l2tp_header_set_sequence(buf, 0, 1);
	if (udp_send(s, &rx->peer, &rx->local, buf, (size_t)len) == 0)
		d->stats.tx_msg[L2TP_MSG_STOPCCN]++;
}

/* First AVP a Message Type SCCRQ, and the Host Name if sent in clear
 * (§4.4.3: it must not be hidden), without touching the datagram. */
static bool tunnel_peek_sccrq(uint8_t *buf, const struct l2tp_header *h, char *host, size_t cap,
			      bool *has_host)
{
	struct l2tp_avp_iter it;
	struct l2tp_avp a;
	bool first = true;

	*has_host = false;
	l2tp_avp_iter_init(&it, buf + h->header_len, h->length - h->header_len);
	while (l2tp_avp_next(&it, &a) == 1) {
		if (first) {
			if (a.vendor || a.type != L2TP_AVP_MESSAGE_TYPE || a.hidden || a.len != 2 ||
			    ((a.value[0] << 8) | a.value[1]) != L2TP_MSG_SCCRQ)
				return false;
			first = false;
		} else if (!a.vendor && a.type == L2TP_AVP_HOST_NAME && !a.hidden) {
			log_sanitize(host, cap, a.value, a.len);
			*has_host = true;
		}
	}
	return !first;
}

static struct tunnel *tunnel_find_half_open(struct l2tpd *d, const union udp_addr *peer,
					    bool initiator, uint16_t peer_tid)
{
	struct list_node *pos, *tmp;

	list_for_each_safe(pos, tmp, &d->half_open) {
		struct tunnel *t = list_entry(pos, struct tunnel, half_open_node);

		if (t->reaping || t->initiator != initiator)
			continue;
		if (initiator && t->state == TUNNEL_WAIT_CTL_REPLY &&
		    udp_addr_equal(&t->peer, peer, false))
			return t;
		if (!initiator && t->peer_id == peer_tid && udp_addr_equal(&t->peer, peer, true))
			return t;
	}
	return NULL;
}

void tunnel_accept(struct l2tpd *d, struct udp_sock *s, struct udp_rx *rx,
		   const struct l2tp_header *h)
{
	uint8_t copy[UDP_MAX_DATAGRAM];
	char host[TUNNEL_HOSTNAME_MAX] = "";
	const struct config_lns *lns = NULL;
	const struct config_global *g = &d->cfg->global;
	struct l2tp_secret sec = { 0 };
	struct tunnel_params p;
	struct tunnel *rival, *t;
	struct l2tp_msg m;
	bool has_host;
	uint16_t peer_tid, missing;
	int rc, cmp = 1;

	if (h->length <= L2TP_CONTROL_HEADER_LEN)
		return; /* a ZLB for a tunnel we no longer have */
	if (!tunnel_peek_sccrq(rx->buf, h, host, sizeof(host), &has_host)) {
		d->stats.unknown_tunnel++;
		log_ratelimited(&d->log, LOG_LEVEL_INFO,
				"dropped control message peer=%s tunnel=0 reason=not an SCCRQ",
				udp_addr_str(&rx->peer, (char[UDP_ADDRSTR_LEN]){ 0 }, UDP_ADDRSTR_LEN));
		return;
	}
	rival = tunnel_find_half_open(d, &rx->peer, true, 0);
	lns = config_match_lns(d->cfg, &rx->peer.sa, has_host ? host : NULL);
	if (rival) {
		sec.data = rival->p.secret;
		sec.len = rival->p.secret_len;
	} else if (lns && lns->secret) {
		sec.data = (const uint8_t *)lns->secret;
		sec.len = strlen(lns->secret);
	}
	/* Parse a copy: the transport gets the datagram untouched. */
	memcpy(copy, rx->buf, h->length);
	rc = l2tp_msg_parse(copy, h->length, sec.len ? &sec : NULL, &m);
	if (rc == 0)
		rc = l2tp_msg_validate(&m, &missing);
	if (rc < 0) {
		d->stats.malformed[-rc < L2TP_E_COUNT ? -rc : 0]++;
		log_ratelimited(&d->log, LOG_LEVEL_WARN, "dropped SCCRQ peer=%s reason=%s",
				udp_addr_str(&rx->peer, (char[UDP_ADDRSTR_LEN]){ 0 },
					     UDP_ADDRSTR_LEN),
				rc == -L2TP_E_MISSING_AVP ? l2tp_avp_name(0, missing)
							  : l2tp_strerror(rc));
		return;
	}
	peer_tid = l2tp_msg_u16(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
	t = tunnel_find_half_open(d, &rx->peer, false, peer_tid);
	if (t) {
		tunnel_input(t, rx, h); /* a retransmission: the transport re-acks */
		return;
	}

	if (rival && (rival->tie_breaker_sent || m.avp[L2TP_AVP_TIE_BREAKER].present)) {
		/* §4.4.3: the lower value wins; equal values: both lose; a side
		 * that sent none loses to one that did (neither: two tunnels).
		 * The loser silently discards its tunnel. */
		if (!m.avp[L2TP_AVP_TIE_BREAKER].present)
			cmp = -1;
		else if (rival->tie_breaker_sent)
			cmp = memcmp(rival->tie_breaker, m.avp[L2TP_AVP_TIE_BREAKER].value, 8);
		if (cmp < 0) {
			d->stats.tie_breaks_won++;
			log_info(&d->log, "tie breaker won tunnel=%u peer=%s peer_tunnel=%u",
				 rival->id, rival->peer_str, peer_tid);
			return;
		}
		d->stats.tie_breaks_lost++;
		log_info(&d->log, "tie breaker lost tunnel=%u peer=%s peer_tunnel=%u equal=%s",
			 rival->id, rival->peer_str, peer_tid, cmp == 0 ? "yes" : "no");
		rival->state = TUNNEL_CLOSING;
		l2tpd_schedule_reap(d, rival);
		if (cmp == 0)
			return;
		p = rival->p;
	} else if (lns) {
		tunnel_params_from_config(&p, &lns->tunnel, lns->secret, lns->hide_avps,
					  lns->max_sessions_per_tunnel);
		p.data_sequencing = lns->data_sequencing;
		rival = NULL;
	} else {
		tunnel_refuse(d, s, rx, peer_tid, L2TP_STOPCCN_NOT_AUTHORIZED, -1,
			      "no matching lns section");
		return;
	}

	if (d->draining || d->stopping) {
		tunnel_refuse(d, s, rx, peer_tid, L2TP_STOPCCN_SHUTTING_DOWN, -1,
			      d->draining ? "draining" : "shutting down");
		return;
	}
	if (g->max_tunnels && d->n_tunnels >= g->max_tunnels) {
		tunnel_refuse(d, s, rx, peer_tid, L2TP_STOPCCN_GENERAL_ERROR, L2TP_ERR_NO_RESOURCES,
			      "too many tunnels");
		return;
	}
	if (g->max_half_open && d->n_half_open >= g->max_half_open) {
		d->stats.half_open_refused++;
		tunnel_refuse(d, s, rx, peer_tid, L2TP_STOPCCN_GENERAL_ERROR, L2TP_ERR_NO_RESOURCES,
			      "too many half-open tunnels");
		return;
	}
	t = tunnel_alloc(d, s, &rx->peer, &p, &rc);
	if (!t) {
		tunnel_refuse(d, s, rx, peer_tid, L2TP_STOPCCN_GENERAL_ERROR, L2TP_ERR_NO_RESOURCES,
			      "out of memory");
		return;
	}
	t->local = rx->local;
	if (rival) {
		t->role = rival->role;
		if (rival->dest)
			destination_attach(rival->dest, t);
		session_move_waiting(rival, t);
	} else {
		t->role = TUNNEL_ROLE_LNS;
		snprintf(t->lns_section, sizeof(t->lns_section), "%s", lns->name);
	}
	tunnel_set_half_open(t, true);
	log_info(&d->log, "tunnel request tunnel=%u peer=%s peer_tunnel=%u peer_hostname=%s lns=%s",
		 t->id, t->peer_str, peer_tid, has_host ? host : "-",
		 t->lns_section[0] ? t->lns_section : "-");
	tunnel_input(t, rx, h);
}
