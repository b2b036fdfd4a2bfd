/* Handlers of the control socket's verbs. Results are JSON (json-c); the
 * field names of tunnels, sessions and destinations are DESIGN §6's. */
#include "ctl_cmds.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "daemon.h"
#include "destination.h"
#include "sessppp.h"
#include "session.h"
#include "tunnel.h"

#define DIAL_MAX 65535
#define CTL_CANDIDATES 8 /* tunnels named when a bare session id is ambiguous */

/* A tunnel or session id, 1-65535 in decimal digits, ending at stop. */
static int ctl_parse_id_to(const char *s, char stop, uint16_t *id)
{
	unsigned v = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > 65535)
			return -EINVAL;
	}
	if (p == s || *p != stop || v == 0)
		return -EINVAL;
	*id = (uint16_t)v;
	return 0;
}

static int ctl_parse_id(const char *s, uint16_t *id)
{
	return ctl_parse_id_to(s, '\0', id);
}

/* The ambiguity error: the tunnels that have the id, and how to say which. */
static void ctl_ambiguous(char *err, size_t errlen, uint16_t sid, struct session *const *found,
			  size_t n)
{
	size_t shown = n < CTL_CANDIDATES ? n : CTL_CANDIDATES, len;

	len = (size_t)snprintf(err, errlen, "session %u is ambiguous: tunnels", sid);
	for (size_t i = 0; i < shown && len < errlen; i++)
		len += (size_t)snprintf(err + len, errlen - len, "%s %u",
					!i ? "" : i + 1 == n ? " and" : ",", found[i]->t->id);
	if (n > shown && len < errlen)
		len += (size_t)snprintf(err + len, errlen - len, " and %zu more", n - shown);
	if (len < errlen)
		snprintf(err + len, errlen - len,
			 " each have one; name it TUNNEL/SESSION, e.g. %u/%u", found[0]->t->id,
			 sid);
}

int ctl_session_by_name(struct l2tpd *d, const char *name, struct session **out, char *err,
			size_t errlen)
{
	struct session *found[CTL_CANDIDATES];
	const char *slash = strchr(name, '/');
	uint16_t tid = 0, sid = 0;
	size_t n;

	if (slash ? ctl_parse_id_to(name, '/', &tid) < 0 || ctl_parse_id(slash + 1, &sid) < 0
		  : ctl_parse_id(name, &sid) < 0) {
		snprintf(err, errlen, "bad session %.64s: TUNNEL/SESSION or SESSION, ids 1-65535",
			 name);
		return -EINVAL;
	}
	if (slash) {
		*out = session_find(d, tid, sid);
		if (!*out) {
			snprintf(err, errlen, "no session %u/%u (tunnel %u has no session %u)", tid,
				 sid, tid, sid);
			return -ENOENT;
		}
		return 0;
	}
	/* A bare id: the session only if no other tunnel has one by that id
	 * (RFC 2661 §3.1: ids are unique only within a tunnel). */
	n = session_find_all(d, sid, found, CTL_CANDIDATES);
	if (n == 1) {
		*out = found[0];
		return 0;
	}
	if (!n) {
		snprintf(err, errlen, "no session %u in any tunnel", sid);
		return -ENOENT;
	}
	ctl_ambiguous(err, errlen, sid, found, n);
	return -ENOTUNIQ;
}

static struct json_object *json_str_or_null(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

static struct json_object *ctl_tunnel_json(const struct tunnel *t, bool detail)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int(t->id));
	json_object_object_add(o, "peer_id", json_object_new_int(t->peer_id));
	json_object_object_add(o, "peer", json_object_new_string(t->peer_str));
	json_object_object_add(o, "peer_hostname", json_str_or_null(t->peer_hostname));
	json_object_object_add(o, "destination", json_str_or_null(t->dest ? t->dest->name : NULL));
	json_object_object_add(o, "role", json_object_new_string(tunnel_role_name(t->role)));
	json_object_object_add(o, "state", json_object_new_string(tunnel_state_name(t->state)));
	json_object_object_add(o, "sessions", json_object_new_int((int)t->n_sessions));
	if (detail) {
		const struct l2tp_rt_stats *st = l2tp_rt_stats(t->rt);

		json_object_object_add(o, "sessions_setup",
				       json_object_new_int((int)t->n_sessions_setup));
		json_object_object_add(o, "initiator", json_object_new_boolean(t->initiator));
		json_object_object_add(o, "peer_vendor", json_str_or_null(t->peer_vendor));
		json_object_object_add(o, "lns_section", json_str_or_null(t->lns_section));
		json_object_object_add(o, "authenticated",
				       json_object_new_boolean(t->p.secret_len > 0));
		json_object_object_add(o, "hide_avps", json_object_new_boolean(t->p.hide_avps));
		json_object_object_add(o, "peer_window", json_object_new_int(t->peer_window));
		json_object_object_add(o, "hello_interval",
				       json_object_new_int((int)t->p.hello_interval));
		json_object_object_add(o, "sent", json_object_new_int64((int64_t)st->sent));
		json_object_object_add(o, "retransmitted",
				       json_object_new_int64((int64_t)st->retransmitted));
		json_object_object_add(o, "duplicates",
				       json_object_new_int64((int64_t)st->duplicates));
		json_object_object_add(o, "in_flight",
				       json_object_new_int((int)l2tp_rt_in_flight(t->rt)));
		json_object_object_add(o, "queued", json_object_new_int((int)l2tp_rt_queued(t->rt)));
	}
	return o;
}

static struct json_object *ctl_session_json(const struct session *s, bool detail)
{
	struct json_object *o = json_object_new_object();
	char ip[INET_ADDRSTRLEN];

	/* The tunnel first: a session id is unique only within its tunnel,
	 * and "tunnel/id" is how every command names a session. */
	json_object_object_add(o, "tunnel", json_object_new_int(s->t->id));
	json_object_object_add(o, "id", json_object_new_int(s->id));
	json_object_object_add(o, "peer_id", json_object_new_int(s->peer_id));
	json_object_object_add(o, "role", json_object_new_string(session_role_name(s)));
	json_object_object_add(o, "state", json_object_new_string(session_state_name(s->state)));
	json_object_object_add(o, "user", json_str_or_null(s->user));
	json_object_object_add(o, "ip", s->ip.s_addr ? json_object_new_string(session_ip_str(s, ip))
						      : NULL);
	json_object_object_add(o, "rx_packets", json_object_new_int64((int64_t)s->fp.c.rx_packets));
	json_object_object_add(o, "tx_packets", json_object_new_int64((int64_t)s->fp.c.tx_packets));
	json_object_object_add(o, "rx_bytes", json_object_new_int64((int64_t)s->fp.c.rx_bytes));
	json_object_object_add(o, "tx_bytes", json_object_new_int64((int64_t)s->fp.c.tx_bytes));
	if (detail) {
		static const char *const calls[] = { "incoming", "incoming", "outgoing",
						     "outgoing" };

		json_object_object_add(o, "call", json_object_new_string(calls[s->kind]));
		json_object_object_add(o, "peer", json_object_new_string(s->t->peer_str));
		json_object_object_add(o, "destination",
				       json_str_or_null(s->t->dest ? s->t->dest->name : NULL));
		json_object_object_add(o, "serial", json_object_new_int64(s->serial));
		json_object_object_add(o, "sequencing_required",
				       json_object_new_boolean(s->seq_required));
		json_object_object_add(o, "proxy_lcp",
				       json_object_new_boolean(s->proxy & (SESSION_PROXY_INITIAL_LCP |
									   SESSION_PROXY_LAST_SENT_LCP |
									   SESSION_PROXY_LAST_RECV_LCP)));
		json_object_object_add(o, "proxy_auth",
				       json_object_new_boolean(s->proxy & SESSION_PROXY_AUTH));
		json_object_object_add(o, "wen_received",
				       json_object_new_int64((int64_t)s->wen_received));
		json_object_object_add(o, "sli_received",
				       json_object_new_int64((int64_t)s->sli_received));
		json_object_object_add(o, "rx_seq_lost",
				       json_object_new_int64((int64_t)s->fp.c.rx_seq_lost));
		json_object_object_add(o, "rx_seq_discards",
				       json_object_new_int64((int64_t)s->fp.c.rx_seq_discards));
		json_object_object_add(o, "rx_spoofed",
				       json_object_new_int64((int64_t)s->fp.c.rx_spoofed));
		json_object_object_add(o, "rx_errors",
				       json_object_new_int64((int64_t)s->fp.c.rx_errors));
	}
	return o;
}

/* `show sessions` and `show tunnels`: lists ctl writes as the client reads
 * (a million sessions as JSON objects at once would be gigabytes, and
 * seconds of a stopped loop). The keys are taken now, 4 bytes each, in the
 * order shown (tunnels as created, then their sessions); each is looked
 * up again when its turn comes, and left out if it is gone by then. */
struct ctl_walk {
	struct l2tpd *d;
	struct json_object *(*json)(struct l2tpd *d, uint32_t key); /* NULL: gone */
	size_t i, n;
	uint32_t key[];
};

static struct json_object *ctl_walk_next(void *arg)
{
	struct ctl_walk *w = arg;

	while (w->i < w->n) {
		struct json_object *o = w->json(w->d, w->key[w->i++]);

		if (o)
			return o;
	}
	return NULL;
}

static struct ctl_walk *ctl_walk_new(struct l2tpd *d, size_t max,
				     struct json_object *(*json)(struct l2tpd *d, uint32_t key))
{
	struct ctl_walk *w = malloc(sizeof(*w) + max * sizeof(w->key[0]));

	if (w)
		*w = (struct ctl_walk){ .d = d, .json = json };
	return w;
}

static void ctl_walk_reply(struct ctl_walk *w)
{
	ctl_reply_list(w->d->ctl,
		       &(struct ctl_list){ .next = ctl_walk_next, .done = free, .arg = w });
}

static struct json_object *ctl_session_by_key(struct l2tpd *d, uint32_t key)
{
	struct session *s = session_find(d, (uint16_t)(key >> 16), (uint16_t)key);

	return s ? ctl_session_json(s, false) : NULL;
}

static struct json_object *ctl_tunnel_by_key(struct l2tpd *d, uint32_t key)
{
	struct tunnel *t = idtable_find(&d->tunnels, key);

	return t ? ctl_tunnel_json(t, false) : NULL;
}

static int ctl_show_sessions(struct l2tpd *d)
{
	struct ctl_walk *w = ctl_walk_new(d, d->n_sessions, ctl_session_by_key);
	struct list_node *pos, *sp;

	if (!w)
		return -ENOMEM;
	for (pos = d->tunnel_list.next; pos != &d->tunnel_list; pos = pos->next) {
		struct tunnel *t = list_entry(pos, struct tunnel, node);

		for (sp = t->sessions.next; sp != &t->sessions && w->n < d->n_sessions;
		     sp = sp->next)
			w->key[w->n++] =
				session_key(t->id, list_entry(sp, struct session, tunnel_node)->id);
	}
	ctl_walk_reply(w);
	return 0;
}

static int ctl_show_tunnels(struct l2tpd *d)
{
	struct ctl_walk *w = ctl_walk_new(d, d->n_tunnels, ctl_tunnel_by_key);
	struct list_node *pos;

	if (!w)
		return -ENOMEM;
	for (pos = d->tunnel_list.next; pos != &d->tunnel_list && w->n < d->n_tunnels;
	     pos = pos->next)
		w->key[w->n++] = list_entry(pos, struct tunnel, node)->id;
	ctl_walk_reply(w);
	return 0;
}

static struct json_object *ctl_destination_json(const struct destination *dst)
{
	struct json_object *o = json_object_new_object();
	struct json_object *peers = json_object_new_array();
	const struct list_node *pos;

	json_object_object_add(o, "name", json_object_new_string(dst->name));
	json_object_object_add(o, "role", json_object_new_string(destination_role_name(dst->role)));
	if (dst->role == DEST_LAC && dst->lac) {
		for (size_t i = 0; i < dst->lac->n_peer; i++) {
			union udp_addr a;
			char str[UDP_ADDRSTR_LEN];

			memset(&a, 0, sizeof(a));
			memcpy(&a.ss, &dst->lac->peer[i].addr, dst->lac->peer[i].len);
			json_object_array_add(peers,
					      json_object_new_string(udp_addr_str(&a, str, sizeof(str))));
		}
	} else {
		for (pos = dst->tunnels.next; pos != &dst->tunnels; pos = pos->next) {
			const struct tunnel *t = list_entry(pos, struct tunnel, dest_node);
			bool seen = false;

			for (size_t i = 0; i < json_object_array_length(peers); i++)
				if (!strcmp(json_object_get_string(json_object_array_get_idx(peers, i)),
					    t->peer_str))
					seen = true;
			if (!seen)
				json_object_array_add(peers, json_object_new_string(t->peer_str));
		}
	}
	json_object_object_add(o, "peers", peers);
	json_object_object_add(o, "tunnels", json_object_new_int((int)dst->n_tunnels));
	json_object_object_add(o, "sessions", json_object_new_int((int)destination_sessions(dst)));
	json_object_object_add(o, "state", json_object_new_string(destination_state(dst)));
	return o;
}

static int ctl_show(void *arg, int argc, const char **argv, struct json_object **result,
		    char *err, size_t errlen)
{
	struct l2tpd *d = arg;
	struct list_node *pos, *tmp;
	struct json_object *arr;
	uint16_t id = 0;

	if (argc < 2 || argc > 3)
		goto usage;
	if (!strcmp(argv[1], "destinations") || !strcmp(argv[1], "destination")) {
		if (argc == 3) {
			struct destination *dst = destination_find(d, argv[2]);

			if (!dst) {
				snprintf(err, errlen, "no destination %s", argv[2]);
				return -ENOENT;
			}
			*result = ctl_destination_json(dst);
			return 0;
		}
		arr = json_object_new_array();
		list_for_each_safe(pos, tmp, &d->destinations)
			json_object_array_add(
				arr, ctl_destination_json(list_entry(pos, struct destination, node)));
		*result = arr;
		return 0;
	}
	if (!strcmp(argv[1], "tunnels") || !strcmp(argv[1], "tunnel")) {
		if (argc == 3 && ctl_parse_id(argv[2], &id) < 0) {
			snprintf(err, errlen, "bad tunnel id %.64s: a number 1-65535", argv[2]);
			return -EINVAL;
		}
		if (id) {
			struct tunnel *t = idtable_find(&d->tunnels, id);

			if (!t) {
				snprintf(err, errlen, "no tunnel %u", id);
				return -ENOENT;
			}
			*result = ctl_tunnel_json(t, true);
			return 0;
		}
		return ctl_show_tunnels(d);
	}
	if (!strcmp(argv[1], "sessions") || !strcmp(argv[1], "session")) {
		if (argc == 3) {
			struct session *s;
			int rc = ctl_session_by_name(d, argv[2], &s, err, errlen);

			if (rc < 0)
				return rc;
			*result = ctl_session_json(s, true);
			return 0;
		}
		return ctl_show_sessions(d);
	}
usage:
	snprintf(err, errlen,
		 "usage: show destinations [NAME] | tunnels [ID] | sessions [[TUNNEL/]SESSION]");
	return -EINVAL;
}

/* Closing any level of a [client] by hand hangs it up: it must not redial. */
static void ctl_hangup_client(struct l2tpd *d, const struct destination *dst)
{
	if (dst && dst->role == DEST_CLIENT)
		sessppp_client_hangup(d, dst->name);
}

static int ctl_close(void *arg, int argc, const char **argv, struct json_object **result,
		     char *err, size_t errlen)
{
	struct l2tpd *d = arg;
	char msg[128];
	uint16_t id;

	if (argc != 3)
		goto usage;
	if (!strcmp(argv[1], "destination")) {
		struct destination *dst = destination_find(d, argv[2]);

		if (!dst) {
			snprintf(err, errlen, "no destination %s", argv[2]);
			return -ENOENT;
		}
		snprintf(msg, sizeof(msg), "closing destination %s: %u tunnels", dst->name,
			 dst->n_tunnels);
		ctl_hangup_client(d, dst);
		destination_close(dst);
		*result = json_object_new_string(msg);
		return 0;
	}
	if (!strcmp(argv[1], "tunnel")) {
		struct tunnel *t;

		if (ctl_parse_id(argv[2], &id) < 0) {
			snprintf(err, errlen, "bad tunnel id %.64s: a number 1-65535", argv[2]);
			return -EINVAL;
		}
		t = idtable_find(&d->tunnels, id);

		if (!t || t->reaping) {
			snprintf(err, errlen, "no tunnel %u", id);
			return -ENOENT;
		}
		if (t->state == TUNNEL_CLOSING) {
			snprintf(err, errlen, "tunnel %u is already closing", id);
			return -EALREADY;
		}
		snprintf(msg, sizeof(msg), "closing tunnel %u: %u sessions", id, t->n_sessions);
		ctl_hangup_client(d, t->dest);
		tunnel_close(t, L2TP_STOPCCN_CLEAR, -1, "administrative close");
		*result = json_object_new_string(msg);
		return 0;
	}
	if (!strcmp(argv[1], "session")) {
		struct session *s;
		int rc = ctl_session_by_name(d, argv[2], &s, err, errlen);

		if (rc < 0)
			return rc;
		snprintf(msg, sizeof(msg), "closed session %u/%u", s->t->id, s->id);
		ctl_hangup_client(d, s->t->dest);
		session_close(s, L2TP_CDN_ADMIN, -1, "administrative close", -1);
		*result = json_object_new_string(msg);
		return 0;
	}
usage:
	snprintf(err, errlen,
		 "usage: close destination NAME | tunnel ID | session [TUNNEL/]SESSION");
	return -EINVAL;
}

static int ctl_dial(void *arg, int argc, const char **argv, struct json_object **result,
		    char *err, size_t errlen)
{
	struct l2tpd *d = arg;
	struct destination *dst;
	unsigned long count = 1;
	struct session_ref *refs;
	int n;

	if (argc < 2 || argc > 3) {
		snprintf(err, errlen, "usage: dial NAME [COUNT]");
		return -EINVAL;
	}
	if (argc == 3) {
		char *end;

		errno = 0;
		count = strtoul(argv[2], &end, 10);
		if (errno || *end || !count || count > DIAL_MAX || argv[2][0] == '-') {
			snprintf(err, errlen, "bad count %s: a number 1-%d", argv[2], DIAL_MAX);
			return -EINVAL;
		}
	}
	dst = destination_find(d, argv[1]);
	if (dst && dst->role == DEST_CLIENT) {
		n = sessppp_client_dial(d, argv[1], err, errlen);
		if (n < 0)
			return n;
		*result = json_object_new_string("dialling");
		err[0] = '\0';
		return 0;
	}
	if (!dst) {
		snprintf(err, errlen, "no destination %s", argv[1]);
		return -ENOENT;
	}
	refs = calloc(count, sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	n = destination_dial(dst, (unsigned)count, refs, err, errlen);
	if (n > 0) {
		struct json_object *arr = json_object_new_array();

		/* "TUNNEL/SESSION": session ids repeat across tunnels, and
		 * this is what close, show and send take. */
		for (int i = 0; i < n; i++) {
			char name[16];

			snprintf(name, sizeof(name), "%u/%u", refs[i].tunnel, refs[i].session);
			json_object_array_add(arr, json_object_new_string(name));
		}
		*result = arr;
		err[0] = '\0';
		n = 0;
	}
	free(refs);
	return n;
}

static int ctl_drain(void *arg, int argc, const char **argv, struct json_object **result,
		     char *err, size_t errlen)
{
	struct l2tpd *d = arg;
	struct json_object *o;

	if (argc == 2 && !strcmp(argv[1], "on"))
		d->draining = true;
	else if (argc == 2 && !strcmp(argv[1], "off"))
		d->draining = false;
	else if (argc != 1) {
		snprintf(err, errlen, "usage: drain on|off");
		return -EINVAL;
	}
	if (argc == 2)
		log_info(&d->log, "drain %s tunnels=%u sessions=%u", d->draining ? "on" : "off",
			 d->n_tunnels, d->n_sessions);
	o = json_object_new_object();
	json_object_object_add(o, "draining", json_object_new_boolean(d->draining));
	*result = o;
	return 0;
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static struct json_object *ctl_by_code(const uint64_t *v, unsigned n)
{
	struct json_object *o = json_object_new_object();
	char key[16];

	for (unsigned i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%u", i);
		add_u64(o, i ? key : "other", v[i]);
	}
	return o;
}

static int ctl_stats(void *arg, int argc, const char **argv, struct json_object **result,
		     char *err, size_t errlen)
{
	struct l2tpd *d = arg;
	const struct l2tpd_stats *s = &d->stats;
	struct json_object *o = json_object_new_object(), *rx, *tx, *bad, *rt, *tun, *ses, *dat;
	struct l2tp_rt_stats live = { 0 };
	struct fastpath_stats fps = { 0 };
	struct list_node *pos, *tmp;

	(void)argc;
	(void)argv;
	(void)err;
	(void)errlen;
	if (d->fp)
		fps = d->fp->st;
	list_for_each_safe(pos, tmp, &d->tunnel_list) {
		const struct l2tp_rt_stats *st =
			l2tp_rt_stats(list_entry(pos, struct tunnel, node)->rt);

		live.retransmitted += st->retransmitted;
		live.duplicates += st->duplicates;
		live.out_of_order += st->out_of_order;
		live.outside_window += st->outside_window;
		live.zlb_sent += st->zlb_sent;
		live.zlb_received += st->zlb_received;
		live.queue_full += st->queue_full;
	}
	rx = json_object_new_object();
	tx = json_object_new_object();
	for (uint16_t t = 0; t < L2TP_MSG_TYPE_LIMIT; t++) {
		if (t && !l2tp_msg_rule(t))
			continue;
		add_u64(rx, l2tp_msg_name(t), s->rx_msg[t]);
		add_u64(tx, l2tp_msg_name(t), t ? s->tx_msg[t] : s->rt_zlb_sent + live.zlb_sent);
	}
	add_u64(rx, "unknown", s->rx_unknown_msg);
	json_object_object_add(o, "messages_received", rx);
	json_object_object_add(o, "messages_sent", tx);

	bad = json_object_new_object();
	for (int e = 1; e < L2TP_E_COUNT; e++)
		if (s->malformed[e])
			add_u64(bad, l2tp_strerror(e), s->malformed[e]);
	add_u64(bad, "unknown_tunnel", s->unknown_tunnel);
	add_u64(bad, "unknown_session", s->unknown_session + fps.rx_unknown_session);
	add_u64(bad, "wrong_peer", s->wrong_peer + fps.rx_wrong_peer);
	json_object_object_add(o, "dropped", bad);

	rt = json_object_new_object();
	add_u64(rt, "retransmitted", s->rt_retransmitted + live.retransmitted);
	add_u64(rt, "duplicates", s->rt_duplicates + live.duplicates);
	add_u64(rt, "out_of_order", s->rt_out_of_order + live.out_of_order);
	add_u64(rt, "outside_window", s->rt_outside_window + live.outside_window);
	add_u64(rt, "zlb_sent", s->rt_zlb_sent + live.zlb_sent);
	add_u64(rt, "zlb_received", s->rt_zlb_received + live.zlb_received);
	add_u64(rt, "queue_full", s->rt_queue_full + live.queue_full);
	json_object_object_add(o, "transport", rt);

	tun = json_object_new_object();
	add_u64(tun, "current", d->n_tunnels);
	add_u64(tun, "half_open", d->n_half_open);
	add_u64(tun, "established", s->tunnels_up);
	add_u64(tun, "failed", s->tunnels_failed);
	add_u64(tun, "peer_dead", s->tunnels_peer_dead);
	add_u64(tun, "refused", s->tunnels_refused);
	add_u64(tun, "half_open_refused", s->half_open_refused);
	add_u64(tun, "auth_failures", s->auth_failures);
	add_u64(tun, "tie_breaks_won", s->tie_breaks_won);
	add_u64(tun, "tie_breaks_lost", s->tie_breaks_lost);
	json_object_object_add(tun, "stopccn_sent", ctl_by_code(s->tunnels_down_sent, 8));
	json_object_object_add(tun, "stopccn_received", ctl_by_code(s->tunnels_down_received, 8));
	json_object_object_add(o, "tunnels", tun);

	ses = json_object_new_object();
	add_u64(ses, "current", d->n_sessions);
	add_u64(ses, "established", s->sessions_up);
	add_u64(ses, "failed", s->sessions_failed);
	add_u64(ses, "refused", s->sessions_refused);
	add_u64(ses, "wen_sent", s->wen_sent);
	add_u64(ses, "wen_received", s->wen_received);
	add_u64(ses, "sli_sent", s->sli_sent);
	add_u64(ses, "sli_received", s->sli_received);
	json_object_object_add(ses, "cdn_sent", ctl_by_code(s->sessions_down_sent, 12));
	json_object_object_add(ses, "cdn_received", ctl_by_code(s->sessions_down_received, 12));
	json_object_object_add(o, "sessions", ses);

	dat = json_object_new_object();
	/* The fast path's totals: data messages in and out, and why
	 * packets were dropped on the way. */
	add_u64(dat, "rx_packets", fps.rx_data);
	add_u64(dat, "tx_packets", fps.tx_packets);
	add_u64(dat, "tx_errors", fps.tx_errors);
	add_u64(dat, "rx_seq_discards", fps.rx_seq_discards);
	add_u64(dat, "rx_errors", fps.rx_errors);
	add_u64(dat, "rx_spoofed", fps.rx_spoofed);
	add_u64(dat, "rx_control_plane", fps.rx_slow);
	add_u64(dat, "tun_rx_packets", fps.tun_rx_packets);
	add_u64(dat, "tun_rx_errors", fps.tun_rx_errors);
	add_u64(dat, "tun_rx_no_session", fps.tun_rx_no_session);
	add_u64(dat, "tun_tx_packets", fps.tun_tx_packets);
	add_u64(dat, "tun_tx_errors", fps.tun_tx_errors);
	json_object_object_add(o, "data", dat);
	json_object_object_add(o, "draining", json_object_new_boolean(d->draining));
	*result = o;
	return 0;
}

static int ctl_reload(void *arg, int argc, const char **argv, struct json_object **result,
		      char *err, size_t errlen)
{
	struct l2tpd *d = arg;
	int rc;

	(void)argc;
	(void)argv;
	rc = l2tpd_reload(d, err, errlen);
	if (rc < 0)
		return rc;
	*result = json_object_new_string("configuration reloaded");
	return 0;
}

static int ctl_send(void *arg, int argc, const char **argv, struct json_object **result,
		    char *err, size_t errlen)
{
	struct l2tpd *d = arg;
	struct session *s;
	bool sli;
	int rc;

	if (argc != 3 || (strcmp(argv[1], "sli") && strcmp(argv[1], "wen"))) {
		snprintf(err, errlen, "usage: send sli|wen [TUNNEL/]SESSION");
		return -EINVAL;
	}
	sli = !strcmp(argv[1], "sli");
	rc = ctl_session_by_name(d, argv[2], &s, err, errlen);
	if (rc < 0)
		return rc;
	rc = sli ? session_send_sli(s) : session_send_wen(s);
	if (rc == -EINVAL)
		snprintf(err, errlen,
			 "session %u/%u: %s is sent by the %s side only, we are its %s", s->t->id,
			 s->id, sli ? "SLI" : "WEN", sli ? "LNS" : "LAC", session_role_name(s));
	else if (rc == -ENOTCONN)
		snprintf(err, errlen, "session %u/%u is not established", s->t->id, s->id);
	if (rc < 0)
		return rc;
	*result = json_object_new_string(sli ? "SLI sent" : "WEN sent");
	return 0;
}

int ctl_cmds_register(struct l2tpd *d)
{
	static const struct {
		const char *verb;
		ctl_handler_fn fn;
	} cmds[] = {
		{ "show", ctl_show },	  { "close", ctl_close },   { "dial", ctl_dial },
		{ "drain", ctl_drain },	  { "stats", ctl_stats },   { "reload", ctl_reload },
		{ "send", ctl_send },
	};
	int rc;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		rc = ctl_register(d->ctl, cmds[i].verb, cmds[i].fn, d);
		if (rc < 0)
			return rc;
	}
	return 0;
}
