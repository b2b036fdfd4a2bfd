/* Destinations: static ([lac NAME], we dial) and dynamic (a LAC that
 * dialled us), the tunnels under them, failover and session placement. */
#include "destination.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "session.h"
#include "tunnel.h"

const char *destination_role_name(enum destination_role r)
{
	/* Our role toward the destination's peers. */
	return r == DEST_LAC ? "lac" : r == DEST_CLIENT ? "client" : "lns";
}

/* A static destination still in the configuration. */
static bool destination_configured(const struct destination *dst)
{
	return dst->role == DEST_CLIENT ? dst->client != NULL : dst->lac != NULL;
}

static size_t destination_n_peer(const struct destination *dst)
{
	if (dst->role == DEST_CLIENT)
		return dst->client ? dst->client->n_peer : 0;
	return dst->lac ? dst->lac->n_peer : 0;
}

struct destination *destination_find(struct l2tpd *d, const char *name)
{
	struct list_node *pos, *tmp;

	list_for_each_safe(pos, tmp, &d->destinations) {
		struct destination *dst = list_entry(pos, struct destination, node);

		if (strcmp(dst->name, name) == 0)
			return dst;
	}
	return NULL;
}

static struct destination *destination_find_role(struct l2tpd *d, const char *name,
						 enum destination_role role)
{
	struct list_node *pos, *tmp;

	list_for_each_safe(pos, tmp, &d->destinations) {
		struct destination *dst = list_entry(pos, struct destination, node);

		if (dst->role == role && strcmp(dst->name, name) == 0)
			return dst;
	}
	return NULL;
}

static struct destination *destination_new(struct l2tpd *d, const char *name,
					   enum destination_role role)
{
	struct destination *dst = calloc(1, sizeof(*dst));

	if (!dst)
		return NULL;
	dst->d = d;
	dst->role = role;
	snprintf(dst->name, sizeof(dst->name), "%s", name);
	list_init(&dst->tunnels);
	list_add_tail(&d->destinations, &dst->node);
	return dst;
}

static void destination_free(struct destination *dst)
{
	list_del(&dst->node);
	free(dst);
}

void destination_attach(struct destination *dst, struct tunnel *t)
{
	t->dest = dst;
	list_add_tail(&dst->tunnels, &t->dest_node);
	dst->n_tunnels++;
}

int destination_attach_lns(struct tunnel *t)
{
	char name[DEST_NAME_MAX];
	struct destination *dst;

	/* Named by the LAC's Host Name (required in SCCRQ); its address
	 * otherwise. */
	if (t->peer_hostname[0])
		snprintf(name, sizeof(name), "%s", t->peer_hostname);
	else
		udp_addr_host(&t->peer, name, sizeof(name));
	dst = destination_find_role(t->d, name, DEST_LNS);
	if (!dst) {
		dst = destination_new(t->d, name, DEST_LNS);
		if (!dst)
			return -ENOMEM;
		log_info(&t->d->log, "destination up destination=%s role=lns peer=%s", dst->name,
			 t->peer_str);
	}
	destination_attach(dst, t);
	return 0;
}

static bool destination_has_waiting(const struct tunnel *t)
{
	struct list_node *pos, *tmp;

	list_for_each_safe(pos, tmp, (struct list_node *)&t->sessions) {
		const struct session *s = list_entry(pos, struct session, tunnel_node);

		if (s->state == SESSION_WAIT_TUNNEL)
			return true;
	}
	return false;
}

static void destination_endpoint(const struct config_endpoint *e, union udp_addr *a)
{
	memset(a, 0, sizeof(*a));
	memcpy(&a->ss, &e->addr, e->len < sizeof(a->ss) ? e->len : sizeof(a->ss));
}

static struct tunnel *destination_open_tunnel(struct destination *dst, int *err)
{
	const struct config_lac *lac = dst->lac;
	const struct config_client *c = dst->client;
	struct tunnel_params p;
	union udp_addr peer;

	if (!destination_n_peer(dst)) {
		*err = -ENOENT;
		return NULL;
	}
	if (dst->peer_idx >= destination_n_peer(dst))
		dst->peer_idx = 0;
	if (dst->role == DEST_CLIENT) {
		destination_endpoint(&c->peer[dst->peer_idx], &peer);
		/* One call per client: a tunnel of its own. */
		tunnel_params_from_config(&p, &c->tunnel, c->secret, c->hide_avps, 1);
		p.data_sequencing = c->data_sequencing;
	} else {
		destination_endpoint(&lac->peer[dst->peer_idx], &peer);
		tunnel_params_from_config(&p, &lac->tunnel, lac->secret, lac->hide_avps,
					  lac->max_sessions_per_tunnel);
		p.data_sequencing = lac->data_sequencing;
	}
	/* A tie breaker asks for a single tunnel to the peer (§4.4.3): only
	 * for the first one; more tunnels to a peer are on purpose. */
	return tunnel_open(dst->d, dst, &peer, &p, dst->n_tunnels == 0, err);
}

/* The tunnel failed before it came up: its waiting sessions go to the
 * next peer in failover order; past the last one they fail with it. */
static void destination_failover(struct destination *dst, struct tunnel *t)
{
	struct tunnel *next;
	int err;

	if (!destination_configured(dst) || dst->d->stopping || !destination_has_waiting(t))
		return;
	dst->peer_idx++;
	if (dst->peer_idx >= destination_n_peer(dst)) {
		dst->peer_idx = 0;
		log_warn(&dst->d->log,
			 "destination failed destination=%s sessions=%u reason=no peer answered",
			 dst->name, t->n_sessions);
		return;
	}
	next = destination_open_tunnel(dst, &err);
	if (!next) {
		log_err(&dst->d->log, "failover failed destination=%s error=%s", dst->name,
			strerror(-err));
		return;
	}
	log_info(&dst->d->log, "failover destination=%s from_tunnel=%u to_tunnel=%u peer=%s",
		 dst->name, t->id, next->id, next->peer_str);
	session_move_waiting(t, next);
}

void destination_tunnel_gone(struct tunnel *t)
{
	struct destination *dst = t->dest;

	if (!dst)
		return;
	list_del(&t->dest_node);
	dst->n_tunnels--;
	t->dest = NULL;
	if (dst->role != DEST_LNS && !t->was_established)
		destination_failover(dst, t);
	if (!dst->n_tunnels && (dst->role == DEST_LNS || !destination_configured(dst))) {
		if (dst->role == DEST_LNS)
			log_info(&dst->d->log, "destination down destination=%s role=lns",
				 dst->name);
		destination_free(dst);
	}
}

unsigned destination_sessions(const struct destination *dst)
{
	const struct list_node *pos;
	unsigned n = 0;

	for (pos = dst->tunnels.next; pos != &dst->tunnels; pos = pos->next)
		n += list_entry(pos, struct tunnel, dest_node)->n_sessions;
	return n;
}

const char *destination_state(const struct destination *dst)
{
	const struct list_node *pos;
	bool setup = false;

	if (dst->role != DEST_LNS && !destination_configured(dst))
		return "removed";
	for (pos = dst->tunnels.next; pos != &dst->tunnels; pos = pos->next) {
		const struct tunnel *t = list_entry(pos, struct tunnel, dest_node);

		if (t->state == TUNNEL_ESTABLISHED)
			return "established";
		if (t->state != TUNNEL_CLOSING)
			setup = true;
	}
	return setup ? "connecting" : "idle";
}

/* A tunnel of dst with room for one more session, or NULL. */
static struct tunnel *destination_pick_tunnel(struct destination *dst, bool established_only)
{
	struct list_node *pos, *tmp;

	list_for_each_safe(pos, tmp, &dst->tunnels) {
		struct tunnel *t = list_entry(pos, struct tunnel, dest_node);

		if (t->reaping || t->state == TUNNEL_CLOSING)
			continue;
		if (established_only && t->state != TUNNEL_ESTABLISHED)
			continue;
		if (t->n_sessions < t->p.max_sessions)
			return t;
	}
	return NULL;
}

int destination_dial(struct destination *dst, unsigned count, struct session_ref *refs,
		     char *msg, size_t msglen)
{
	struct l2tpd *d = dst->d;
	unsigned n = 0;
	int err = 0;

	if (d->draining || d->stopping) {
		snprintf(msg, msglen, "draining: no new sessions");
		return -EBUSY;
	}
	if (dst->role != DEST_LNS && !destination_configured(dst)) {
		snprintf(msg, msglen, "destination %s was removed from the configuration",
			 dst->name);
		return -ENOENT;
	}
	for (; n < count; n++) {
		struct tunnel *t = destination_pick_tunnel(dst, dst->role == DEST_LNS);
		struct session *s;

		if (!t && dst->role == DEST_LNS) {
			snprintf(msg, msglen, "no established tunnel with room to %s", dst->name);
			err = -ENOTCONN;
			break;
		}
		if (!t) {
			const struct config_global *g = &d->cfg->global;

			if (g->max_tunnels && d->n_tunnels >= g->max_tunnels) {
				snprintf(msg, msglen, "too many tunnels");
				err = -EAGAIN;
				break;
			}
			t = destination_open_tunnel(dst, &err);
			if (!t) {
				snprintf(msg, msglen, "cannot open a tunnel to %s: %s", dst->name,
					 strerror(-err));
				break;
			}
		}
		s = dst->role != DEST_LNS ? session_new_lac_ic(t, &err) : session_new_lns_oc(t, &err);
		if (!s) {
			d->stats.sessions_refused++;
			snprintf(msg, msglen, "no session available: %s", strerror(-err));
			break;
		}
		refs[n] = (struct session_ref){ .tunnel = t->id, .session = s->id };
	}
	if (n)
		log_info(&d->log, "dial destination=%s role=%s requested=%u opened=%u", dst->name,
			 destination_role_name(dst->role), count, n);
	return n ? (int)n : err;
}

void destination_close(struct destination *dst)
{
	struct list_node *pos, *tmp;

	log_info(&dst->d->log, "destination closing destination=%s tunnels=%u", dst->name,
		 dst->n_tunnels);
	list_for_each_safe(pos, tmp, &dst->tunnels) {
		struct tunnel *t = list_entry(pos, struct tunnel, dest_node);

		tunnel_close(t, L2TP_STOPCCN_CLEAR, -1, "administrative close");
	}
}

void destination_sync_config(struct l2tpd *d)
{
	struct list_node *pos, *tmp;

	list_for_each_safe(pos, tmp, &d->destinations) {
		struct destination *dst = list_entry(pos, struct destination, node);

		if (dst->role == DEST_LNS)
			continue;
		if (dst->role == DEST_LAC)
			dst->lac = config_find_lac(d->cfg, dst->name);
		else
			dst->client = config_find_client(d->cfg, dst->name);
		if (!destination_configured(dst) && !dst->n_tunnels)
			destination_free(dst);
	}
	for (size_t i = 0; i < d->cfg->n_client; i++) {
		const struct config_client *c = &d->cfg->client[i];
		struct destination *dst = destination_find_role(d, c->name, DEST_CLIENT);

		if (!dst)
			dst = destination_new(d, c->name, DEST_CLIENT);
		if (dst) {
			dst->client = c;
			if (dst->peer_idx >= c->n_peer)
				dst->peer_idx = 0;
		}
	}
	for (size_t i = 0; i < d->cfg->n_lac; i++) {
		const struct config_lac *lac = &d->cfg->lac[i];
		struct destination *dst = destination_find_role(d, lac->name, DEST_LAC);

		if (!dst)
			dst = destination_new(d, lac->name, DEST_LAC);
		if (dst) {
			dst->lac = lac;
			if (dst->peer_idx >= lac->n_peer)
				dst->peer_idx = 0;
		}
	}
}

void destination_free_all(struct l2tpd *d)
{
	struct list_node *pos, *tmp;

	list_for_each_safe(pos, tmp, &d->destinations)
		destination_free(list_entry(pos, struct destination, node));
}
