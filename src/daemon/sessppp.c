/* PPP over L2TP sessions: the LNS and client policies around the PPP
 * engine, the address pools and the TUN devices. */
#include "sessppp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aaa/users.h"
#include "dataplane/iptable.h"
#include "dataplane/netlink.h"
#include "dataplane/pool.h"
#include "dataplane/tun.h"
#include "ppp/ppp.h"
#include "config.h"
#include "daemon.h"
#include "destination.h"
#include "session.h"
#include "tunnel.h"

#define SESSPPP_MTU              1400  /* TUN MTU: 1500 minus IP, UDP, L2TP, PPP, slack */
#define SESSPPP_BUF              (PPP_HEADROOM + 4096)
#define SESSPPP_TUN_BURST        64    /* packets per TUN wakeup before yielding */
#define SESSPPP_TUN_ROUNDS       4     /* LNS TUN: fast-path batches (64) per wakeup */
#define SESSPPP_BACKOFF_MAX      60.0  /* client redial: 1, 2, 4 ... 60 s */
/* After the LNS refused our credentials: a wrong password stays wrong, and
 * every try costs the LNS a RADIUS round trip. */
#define SESSPPP_BACKOFF_AUTH     30.0

/* What an [lns] section needs at run time; kept across reloads by name so
 * addresses in use stay accounted for. */
struct sessppp_lns {
	char name[64];
	struct pool pool;
	struct users *users;
	struct ppp_config ppp;
	char hostname[64];
};

/* A [client]: its redial timer outlives its sessions. */
struct sessppp_client {
	char name[64];
	struct sessppp_ctx *c;
	/* Set from the [client] section when a call starts: a client has one
	 * call at a time, so a reload never changes it under a running link. */
	struct ppp_config ppp;
	ev_timer redial;
	double backoff;
	bool wanted;       /* autostart or dialled: keep it connected */
	bool in_call;      /* a link of ours runs (dialled, or an outgoing call answered) */
	bool auth_refused; /* the last call ended on the LNS's refusal: longer backoff */
};

struct sessppp_ctx {
	struct l2tpd *d;
	/* Each one allocated, like clients: sessions and their PPP links point
	 * at them (lns->ppp is every link's config), so a reload that adds an
	 * [lns] must not move the others. */
	struct sessppp_lns **lns;
	size_t n_lns;
	struct sessppp_client **clients; /* each one allocated: sessions point at them */
	size_t n_clients;
	struct tun tun; /* the LNS TUN; fds[0] < 0 when closed */
	bool tun_open;
	ev_io tun_io;
	/* Client TUN reads, one packet at a time, reused: nothing allocated
	 * per packet. (The LNS TUN is the fast path's: d->fp.) */
	uint8_t buf[SESSPPP_BUF];
};

/* What a client call owns, apart from the session's struct sessppp so that
 * the LNS's many sessions do not carry it: what it uses of its [client],
 * copied when the call starts (a reload frees the old configuration under a
 * running call, the PPP link keeps pointers to the credentials, and the
 * routes must come off exactly as they went on: a reload applies to the
 * next call), and its own TUN and routes once IPCP is up. */
struct sessppp_call {
	char *user;
	char *password;
	char *tun_name;              /* NULL: the kernel names it */
	bool route_default;
	size_t n_routes;
	struct config_prefix *routes;

	struct tun tun;
	bool tun_open;
	ev_io tun_io;
	bool host_route;             /* pinned: the LNS is reached outside the tunnel */
	struct in_addr lns_addr, gw;
	int oif;
	bool routes_on;
};

static void sessppp_call_free(struct sessppp_call *k)
{
	if (!k)
		return;
	free(k->user);
	free(k->password);
	free(k->tun_name);
	free(k->routes);
	free(k);
}

static struct sessppp_call *sessppp_call_copy(const struct config_client *cc)
{
	struct sessppp_call *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->user = strdup(cc->user ? cc->user : "");
	k->password = strdup(cc->password ? cc->password : "");
	k->tun_name = cc->tun ? strdup(cc->tun) : NULL;
	k->route_default = cc->route_default;
	k->n_routes = cc->n_routes;
	k->routes = cc->n_routes ? calloc(cc->n_routes, sizeof(*k->routes)) : NULL;
	if (!k->user || !k->password || (cc->tun && !k->tun_name) || (cc->n_routes && !k->routes))
		goto fail;
	if (cc->n_routes)
		memcpy(k->routes, cc->routes, cc->n_routes * sizeof(*k->routes));
	return k;
fail:
	sessppp_call_free(k);
	return NULL;
}

struct sessppp {
	struct session *s;
	struct sessppp_ctx *c;
	struct ppp *ppp;
	struct sessppp_lns *lns;    /* LNS side */
	struct sessppp_client *cl;  /* client side */
	struct sessppp_call *call;  /* client side: its [client], copied */
	ev_timer timer;
	unsigned idle_timeout;      /* s; 0 = none */
	uint64_t last_rx_ms;        /* when the idle timer last saw data from the subscriber */
	uint64_t idle_seen;         /* sessppp_data_rx() then */
	uint64_t rx_ctl;            /* frames the fast path handed to PPP */
	struct in_addr local, peer; /* LNS: ours, the subscriber's */
	bool pool_addr;             /* peer came from lns->pool */
	bool in_table;
	bool close_pending;         /* PPP is down: CDN from the timer */
	bool idle_closing;          /* we terminated the link for idleness */
	uint16_t close_result;
	struct ppp_cause cause;
	const char *reason;         /* static text, for the log and the CDN */
};

static struct sessppp_ctx *sessppp_ctx(struct session *s)
{
	return s->t->d->sp;
}

/* ------------------------------------------------------------ setup */

static void sessppp_lns_ppp_config(struct sessppp_lns *l, const struct config_lns *cl,
				   const struct config *cfg)
{
	static const uint8_t methods[] = { [CONFIG_AUTH_PAP] = PPP_AUTH_PAP,
					   [CONFIG_AUTH_CHAP] = PPP_AUTH_CHAP_MD5,
					   [CONFIG_AUTH_MSCHAPV2] = PPP_AUTH_MSCHAPV2 };

	ppp_config_init(&l->ppp, PPP_ROLE_SERVER);
	memset(l->ppp.auth, PPP_AUTH_NONE, sizeof(l->ppp.auth));
	for (size_t i = 0; i < cl->n_auth && i < PPP_AUTH_PREFS_MAX; i++)
		l->ppp.auth[i] = methods[cl->auth[i]];
	snprintf(l->hostname, sizeof(l->hostname), "%s",
		 cfg->global.hostname ? cfg->global.hostname : "l2tpd");
	l->ppp.hostname = l->hostname;
	l->ppp.echo_interval_ms = cl->lcp_echo_interval * 1000u;
	l->ppp.echo_failures = (uint8_t)cl->lcp_echo_failures; /* the loader bounds it to 255 */
	l->ppp.echo_adaptive = true;
	for (size_t i = 0; i < cl->n_dns && i < 2; i++)
		l->ppp.dns[i] = cl->dns[i];
}

static struct sessppp_lns *sessppp_lns_find(struct sessppp_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->n_lns; i++)
		if (!strcmp(c->lns[i]->name, name))
			return c->lns[i];
	return NULL;
}

/* Load every users file of cfg into users[] (one per [lns], NULL when it
 * has none). All or nothing. */
static int sessppp_load_users(const struct config *cfg, struct users **users, char *err,
			      size_t errlen)
{
	for (size_t i = 0; i < cfg->n_lns; i++) {
		int rc;

		users[i] = NULL;
		if (!cfg->lns[i].users)
			continue;
		rc = users_load(cfg->lns[i].users, &users[i], err, errlen);
		if (rc < 0) {
			while (i--)
				users_free(users[i]);
			return rc;
		}
	}
	return 0;
}

int sessppp_check(const struct config *cfg, char *err, size_t errlen)
{
	struct users **users = calloc(cfg->n_lns + 1, sizeof(*users));
	int rc;

	if (!users)
		return -ENOMEM;
	err[0] = '\0';
	rc = sessppp_load_users(cfg, users, err, errlen);
	if (rc == 0)
		for (size_t i = 0; i < cfg->n_lns; i++)
			users_free(users[i]);
	free(users);
	return rc;
}

/* Route every pool to the LNS TUN, each range as the fewest CIDR blocks
 * that cover it exactly. Once per range, not a /32 per subscriber: a
 * million subscribers would be a million kernel routes, each a netlink
 * round trip in the middle of a setup and another at teardown (a closing
 * tunnel tears down up to 65,535 at once). An address of a pool that nobody
 * holds ends in the TUN too, where the fast path drops it (counted as
 * tun_rx_no_session), as an LNS should, instead of leaking out by the
 * default route. Ranges are only ever added, so routes are only added;
 * -EEXIST from a range routed before is fine. */
static void sessppp_route_pools(struct sessppp_ctx *c)
{
	if (!c->tun_open)
		return;
	for (size_t i = 0; i < c->n_lns; i++) {
		const struct pool *p = &c->lns[i]->pool;

		for (size_t r = 0; r < p->n_ranges; r++) {
			uint64_t a = p->ranges[r].first, last = p->ranges[r].last;

			while (a <= last) {
				struct in_addr dst = { htonl((uint32_t)a) };
				unsigned len = 32;
				int rc;

				/* The largest block aligned at a that stays inside:
				 * grow while the next size up still fits. */
				while (len > 0) {
					uint64_t size = 1ull << (33 - len);

					if ((a & (size - 1)) || a + size - 1 > last)
						break;
					len--;
				}
				rc = tun_add_route(&c->tun, AF_INET, &dst, len);
				if (rc < 0 && rc != -EEXIST)
					log_warn(&c->d->log, "pool route not added tun=%s dst=%s/%u error=%s",
						 c->tun.name, inet_ntoa(dst), len, strerror(-rc));
				a += 1ull << (32 - len);
			}
		}
	}
}

/* Take the sections of cfg: new ones get a pool, known ones new users and
 * settings (their pools keep the addresses in use; new ranges are added). */
static int sessppp_apply(struct sessppp_ctx *c, const struct config *cfg, struct users **users)
{
	for (size_t i = 0; i < cfg->n_lns; i++) {
		const struct config_lns *cl = &cfg->lns[i];
		struct sessppp_lns *l = sessppp_lns_find(c, cl->name);

		if (!l) {
			struct sessppp_lns **arr = realloc(c->lns, (c->n_lns + 1) * sizeof(*arr));

			if (arr)
				c->lns = arr;
			l = arr ? calloc(1, sizeof(*l)) : NULL;
			if (!l) {
				for (size_t k = i; k < cfg->n_lns; k++)
					users_free(users[k]);
				return -ENOMEM;
			}
			c->lns[c->n_lns++] = l;
			snprintf(l->name, sizeof(l->name), "%s", cl->name);
			pool_init(&l->pool);
		}
		for (size_t r = 0; r < cl->n_pool; r++) {
			int rc = pool_add_range(&l->pool, cl->pool[r].first, cl->pool[r].last);

			if (rc < 0 && rc != -EEXIST)
				log_warn(&c->d->log, "pool range not added lns=%s error=%s", cl->name,
					 strerror(-rc));
		}
		users_free(l->users);
		l->users = users[i];
		sessppp_lns_ppp_config(l, cl, cfg);
	}
	return 0;
}

static void sessppp_tun_cb(struct ev_loop *loop, ev_io *w, int revents);

static int sessppp_open_lns_tun(struct sessppp_ctx *c, const struct config *cfg, char *err,
				size_t errlen)
{
	int rc;

	rc = tun_open(&c->tun, cfg->global.tun, 1);
	if (rc < 0) {
		snprintf(err, errlen, "cannot open TUN %s: %s", cfg->global.tun, strerror(-rc));
		return rc;
	}
	c->tun_open = true;
	tun_set_mtu(&c->tun, SESSPPP_MTU);
	for (size_t i = 0; i < cfg->n_lns; i++) {
		rc = tun_add_address(&c->tun, AF_INET, &cfg->lns[i].local_ip, NULL, 32);
		if (rc < 0 && rc != -EEXIST)
			log_warn(&c->d->log, "cannot add address to TUN tun=%s error=%s",
				 c->tun.name, strerror(-rc));
	}
	rc = tun_set_up(&c->tun);
	if (rc < 0) {
		snprintf(err, errlen, "cannot bring TUN %s up: %s", c->tun.name, strerror(-rc));
		return rc;
	}
	rc = l2tpd_data_tun(c->d, c->tun.fds[0]);
	if (rc < 0) {
		snprintf(err, errlen, "cannot set up I/O on TUN %s: %s", c->tun.name,
			 strerror(-rc));
		return rc;
	}
	ev_io_init(&c->tun_io, sessppp_tun_cb, c->tun.fds[0], EV_READ);
	c->tun_io.data = c;
	ev_io_start(c->d->loop, &c->tun_io);
	sessppp_route_pools(c);
	log_info(&c->d->log, "tun up tun=%s mtu=%d", c->tun.name, SESSPPP_MTU);
	return 0;
}

int sessppp_init(struct l2tpd *d, char *err, size_t errlen)
{
	const struct config *cfg = d->cfg;
	struct sessppp_ctx *c = calloc(1, sizeof(*c));
	struct users **users = calloc(cfg->n_lns + 1, sizeof(*users));
	int rc = -ENOMEM;

	err[0] = '\0';
	if (!c || !users) {
		free(c);
		free(users);
		return -ENOMEM;
	}
	c->d = d;
	d->sp = c;
	rc = sessppp_load_users(cfg, users, err, errlen);
	if (rc == 0)
		rc = sessppp_apply(c, cfg, users);
	free(users);
	if (rc < 0)
		return rc;
	/* Only an LNS carries subscribers' traffic on the shared TUN. */
	if (cfg->n_lns)
		rc = sessppp_open_lns_tun(c, cfg, err, errlen);
	return rc;
}

int sessppp_reload(struct l2tpd *d, const struct config *cfg, char *err, size_t errlen)
{
	struct users **users = calloc(cfg->n_lns + 1, sizeof(*users));
	int rc;

	if (!users)
		return -ENOMEM;
	rc = sessppp_load_users(cfg, users, err, errlen);
	if (rc == 0)
		rc = sessppp_apply(d->sp, cfg, users);
	free(users);
	if (rc == 0)
		sessppp_route_pools(d->sp); /* ranges a reload added */
	return rc;
}

static void sessppp_client_free_all(struct sessppp_ctx *c)
{
	for (size_t i = 0; i < c->n_clients; i++) {
		ev_timer_stop(c->d->loop, &c->clients[i]->redial);
		free(c->clients[i]);
	}
	free(c->clients);
	c->clients = NULL;
	c->n_clients = 0;
}

void sessppp_fini(struct l2tpd *d)
{
	struct sessppp_ctx *c = d->sp;

	if (!c)
		return;
	if (c->tun_open) {
		ev_io_stop(d->loop, &c->tun_io);
		l2tpd_data_tun(d, -1); /* its io_uring lets go of the fd first */
		tun_close(&c->tun);
	}
	sessppp_client_free_all(c);
	for (size_t i = 0; i < c->n_lns; i++) {
		pool_destroy(&c->lns[i]->pool);
		users_free(c->lns[i]->users);
		free(c->lns[i]);
	}
	free(c->lns);
	free(c);
	d->sp = NULL;
}

/* ------------------------------------------------------------ timer */

/* Data frames from the subscriber so far. The fast path counts every
 * frame of the session; PPP's own (LCP echoes keep a link alive, not
 * busy) and the dropped ones are not activity. */
static uint64_t sessppp_data_rx(const struct sessppp *sp)
{
	const struct fp_counters *fc = &sp->s->fp.c;

	return fc->rx_packets - sp->rx_ctl - fc->rx_spoofed - fc->rx_errors;
}

/* Idle accounting without a clock read per packet: the fast path only
 * counts, and the timer looks at the count. */
static void sessppp_idle_poll(struct sessppp *sp, uint64_t now)
{
	uint64_t n = sessppp_data_rx(sp);

	if (n != sp->idle_seen) {
		sp->idle_seen = n;
		sp->last_rx_ms = now;
	}
}

static void sessppp_arm(struct sessppp *sp)
{
	struct l2tpd *d = sp->c->d;
	uint64_t now = l2tpd_now_ms(d), at = ppp_next_deadline(sp->ppp);

	if (sp->close_pending)
		at = now;
	else if (sp->idle_timeout) {
		uint64_t idle = sp->last_rx_ms + (uint64_t)sp->idle_timeout * 1000u;
		/* Look at the counter every quarter of the timeout: a busy
		 * link is seen busy at most 25% late (a 600 s timeout costs
		 * a wakeup per 150 s per session). */
		uint64_t look = now + (uint64_t)sp->idle_timeout * 250u;

		idle = look < idle ? look : idle;
		at = idle < at ? idle : at;
	}
	ev_timer_stop(d->loop, &sp->timer);
	if (at == PPP_NO_DEADLINE)
		return;
	ev_timer_set(&sp->timer, at > now ? (double)(at - now) / 1000.0 : 0.0, 0.0);
	ev_timer_start(d->loop, &sp->timer);
}

/* Close from outside any PPP callback: the link cannot be freed from its
 * own callbacks, so the CDN goes from the timer. */
static void sessppp_schedule_close(struct sessppp *sp, uint16_t result, const struct ppp_cause *cause,
				   const char *reason)
{
	if (sp->close_pending)
		return;
	sp->close_pending = true;
	sp->close_result = result;
	sp->cause = *cause;
	sp->reason = reason;
	sessppp_arm(sp);
}

static void sessppp_close_now(struct sessppp *sp)
{
	struct session *s = sp->s;
	struct l2tpd *d = sp->c->d;
	char ip[INET_ADDRSTRLEN];

	log_info(&d->log, "ppp down session=%u tunnel=%u user=%s ip=%s reason=%s cause=%u",
		 s->id, s->t->id, s->user[0] ? s->user : "-", session_ip_str(s, ip), sp->reason,
		 sp->cause.code);
	s->ppp_cause_set = true;
	s->ppp_cause_code = sp->cause.code;
	s->ppp_cause_proto = sp->cause.proto;
	s->ppp_cause_dir = sp->cause.direction;
	session_close(s, sp->close_result, -1, sp->reason, -1); /* frees sp */
}

static void sessppp_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sessppp *sp = w->data;
	uint64_t now = l2tpd_now_ms(sp->c->d);

	(void)loop;
	(void)revents;
	if (sp->close_pending) {
		sessppp_close_now(sp);
		return;
	}
	if (sp->idle_timeout)
		sessppp_idle_poll(sp, now);
	if (sp->idle_timeout && now >= sp->last_rx_ms + (uint64_t)sp->idle_timeout * 1000u) {
		/* No data from the subscriber: say goodbye politely (LCP
		 * Terminate), the down callback sends the CDN. */
		log_info(&sp->c->d->log,
			 "idle timeout session=%u tunnel=%u user=%s idle_timeout=%us", sp->s->id,
			 sp->s->t->id, sp->s->user, sp->idle_timeout);
		sp->idle_closing = true;
		sp->idle_timeout = 0;
		ppp_close(sp->ppp, now);
		sessppp_arm(sp);
		return;
	}
	ppp_tick(sp->ppp, now);
	sessppp_arm(sp);
}

/* ------------------------------------------------------------ data */

static int sessppp_send_ip(struct sessppp *sp, uint8_t *pkt, size_t len)
{
	uint8_t hdr[PPP_HEADROOM];
	size_t h = ppp_data_header(sp->ppp, PPP_PROTO_IP, hdr);

	/* pkt has PPP_HEADROOM free octets before it. */
	memcpy(pkt - h, hdr, h);
	return session_send_data(sp->s, pkt - h, len + h);
}

/* LNS TUN: packets to subscribers. The fast path reads a batch, finds
 * each packet's session by destination address, puts the L2TP and PPP
 * headers in the headroom it read into, and sends the batch with one
 * sendmmsg. A few batches per wakeup, then back to the loop so the UDP
 * side and the timers get their turn (as the socket callback does). */
static void sessppp_tun_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sessppp_ctx *c = w->data;

	(void)loop;
	(void)revents;
	for (int round = 0; round < SESSPPP_TUN_ROUNDS; round++) {
		int n = fastpath_tun_input(c->d->fp);

		if (n < 0)
			log_ratelimited(&c->d->log, LOG_LEVEL_WARN, "tun read failed tun=%s error=%s",
					c->tun.name, strerror(-n));
		if (n < FASTPATH_BATCH)
			return;
	}
}

/* Client TUN: everything routed into it goes to the LNS. */
static void sessppp_client_tun_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sessppp *sp = w->data;
	uint8_t *pkt = sp->c->buf + PPP_HEADROOM;

	(void)loop;
	(void)revents;
	for (int i = 0; i < SESSPPP_TUN_BURST; i++) {
		ssize_t n = read(sp->call->tun.fds[0], pkt, sizeof(sp->c->buf) - PPP_HEADROOM);

		if (n <= 0)
			return;
		if (n >= 20 && (pkt[0] >> 4) == 4)
			sessppp_send_ip(sp, pkt, (size_t)n);
	}
}

/* A frame the fast path leaves to PPP (LCP, authentication, NCPs; IP too
 * until the subscriber's address is set, and always for a client), in
 * the fast path's receive buffer, writable: ppp_input takes it in place. */
static void sessppp_session_data(struct session *s, uint8_t *frame, size_t len, void *arg)
{
	struct sessppp *sp = arg;

	(void)s;
	sp->rx_ctl++;
	ppp_input(sp->ppp, frame, len, l2tpd_now_ms(sp->c->d));
	sessppp_arm(sp);
}

/* ------------------------------------------------------------ PPP ops */

static void sessppp_ppp_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct sessppp *sp = ctx;

	session_send_data(sp->s, frame, len);
}

static void sessppp_ppp_data(void *ctx, uint16_t proto, uint8_t *pkt, size_t len)
{
	struct sessppp *sp = ctx;
	struct in_addr src;
	int fd;

	if (proto != PPP_PROTO_IP || len < 20 || (pkt[0] >> 4) != 4)
		return;
	if (sp->lns) {
		/* Anti-spoofing: a subscriber sends from its own address only. */
		memcpy(&src, pkt + 12, 4);
		if (src.s_addr != sp->peer.s_addr) {
			log_ratelimited(&sp->c->d->log, LOG_LEVEL_INFO,
					"dropped spoofed packet session=%u tunnel=%u user=%s "
					"src=%s",
					sp->s->id, sp->s->t->id, sp->s->user, inet_ntoa(src));
			return;
		}
		sp->last_rx_ms = l2tpd_now_ms(sp->c->d);
		fd = sp->c->tun_open ? sp->c->tun.fds[0] : -1;
	} else {
		fd = sp->call && sp->call->tun_open ? sp->call->tun.fds[0] : -1;
	}
	if (fd >= 0 && write(fd, pkt, len) < 0)
		sp->c->d->fp->st.tun_tx_errors++;
}

/* A host route to the LNS via the path it has now, so that the routes we
 * are about to put into the tunnel never carry the tunnel itself. */
static int sessppp_route_get(struct in_addr dst, struct in_addr *gw, int *oif)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
		uint8_t attrs[64];
	} req = { 0 };
	uint8_t resp[4096];
	struct rtattr *a;
	int fd, rc = -ENOENT;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	req.h.nlmsg_type = RTM_GETROUTE;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.r.rtm_family = AF_INET;
	req.r.rtm_dst_len = 32;
	a = (struct rtattr *)((uint8_t *)&req + NLMSG_ALIGN(NLMSG_LENGTH(sizeof(req.r))));
	a->rta_type = RTA_DST;
	a->rta_len = RTA_LENGTH(4);
	memcpy(RTA_DATA(a), &dst, 4);
	req.h.nlmsg_len = NLMSG_ALIGN(NLMSG_LENGTH(sizeof(req.r))) + RTA_ALIGN(a->rta_len);
	if (send(fd, &req, req.h.nlmsg_len, 0) < 0) {
		rc = -errno;
		goto out;
	}
	n = recv(fd, resp, sizeof(resp), 0);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	for (struct nlmsghdr *h = (struct nlmsghdr *)resp; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		struct rtmsg *r = NLMSG_DATA(h);
		int alen;

		if (h->nlmsg_type == NLMSG_ERROR) {
			rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			break;
		}
		if (h->nlmsg_type != RTM_NEWROUTE)
			continue;
		gw->s_addr = 0;
		*oif = 0;
		alen = (int)RTM_PAYLOAD(h);
		for (a = RTM_RTA(r); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
			if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) == 4)
				memcpy(gw, RTA_DATA(a), 4);
			else if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) == 4)
				memcpy(oif, RTA_DATA(a), 4);
		}
		rc = *oif ? 0 : -ENOENT;
		break;
	}
out:
	close(fd);
	return rc;
}

static int sessppp_host_route(struct tun *t, int cmd, struct in_addr dst, struct in_addr gw,
			      int oif)
{
	struct nl_req r;
	struct rtmsg *rt = nl_req_init(&r, (uint16_t)cmd,
				       cmd == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0,
				       sizeof(*rt));
	uint32_t o = (uint32_t)oif;

	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = 32;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = gw.s_addr ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rt->rtm_type = RTN_UNICAST;
	nl_req_put(&r, RTA_DST, &dst, 4);
	if (gw.s_addr)
		nl_req_put(&r, RTA_GATEWAY, &gw, 4);
	nl_req_put(&r, RTA_OIF, &o, 4);
	return nl_request(&t->nl, &r);
}

static void sessppp_client_routes(struct sessppp *sp, bool add)
{
	const struct sessppp_call *cc = sp->call;
	static const uint32_t halves[2] = { 0x00000000u, 0x80000000u };

	if (cc->route_default) {
		for (int i = 0; i < 2; i++) {
			struct in_addr a = { htonl(halves[i]) };

			if (add)
				tun_add_route(&sp->call->tun, AF_INET, &a, 1);
			else
				tun_del_route(&sp->call->tun, AF_INET, &a, 1);
		}
	}
	for (size_t i = 0; i < cc->n_routes; i++) {
		const struct config_prefix *p = &cc->routes[i];

		if (add)
			tun_add_route(&sp->call->tun, p->family, &p->addr, p->len);
		else
			tun_del_route(&sp->call->tun, p->family, &p->addr, p->len);
	}
	sp->call->routes_on = add;
}

static int sessppp_client_up(struct sessppp *sp, const struct ppp_net *net)
{
	struct l2tpd *d = sp->c->d;
	const struct sessppp_call *cc = sp->call;
	int rc;

	rc = tun_open(&sp->call->tun, cc->tun_name, 1);
	if (rc < 0)
		return rc;
	sp->call->tun_open = true;
	tun_set_mtu(&sp->call->tun, net->peer_mru && net->peer_mru < SESSPPP_MTU ? net->peer_mru
									 : SESSPPP_MTU);
	rc = tun_add_address(&sp->call->tun, AF_INET, &net->local, &net->peer, 32);
	if (rc < 0 && rc != -EEXIST)
		return rc;
	rc = tun_set_up(&sp->call->tun);
	if (rc < 0)
		return rc;
	ev_io_init(&sp->call->tun_io, sessppp_client_tun_cb, sp->call->tun.fds[0], EV_READ);
	sp->call->tun_io.data = sp;
	ev_io_start(d->loop, &sp->call->tun_io);
	if (sp->s->t->peer.sa.sa_family == AF_INET) {
		sp->call->lns_addr = sp->s->t->peer.sin.sin_addr;
		rc = sessppp_route_get(sp->call->lns_addr, &sp->call->gw, &sp->call->oif);
		if (rc == 0) {
			rc = sessppp_host_route(&sp->call->tun, RTM_NEWROUTE, sp->call->lns_addr, sp->call->gw,
						sp->call->oif);
			sp->call->host_route = rc == 0;
		}
		if (rc < 0 && rc != -EEXIST)
			log_warn(&d->log, "cannot pin the route to the LNS client=%s error=%s",
				 sp->cl->name, strerror(-rc));
	}
	sessppp_client_routes(sp, true);
	return 0;
}

static void sessppp_ppp_up(void *ctx, const struct ppp_net *net)
{
	struct sessppp *sp = ctx;
	struct session *s = sp->s;
	struct l2tpd *d = sp->c->d;
	char ip[INET_ADDRSTRLEN];
	int rc;

	if (net->proto != PPP_PROTO_IPCP)
		return;
	if (sp->lns) {
		uint8_t hdr[PPP_HEADROOM];
		size_t h = ppp_data_header(sp->ppp, PPP_PROTO_IP, hdr);

		s->ip = net->peer;
		/* How the peer takes IP from us, as LCP negotiated it (RFC
		 * 1661 §6.5 PFC, §6.6 ACFC): a 4-octet header with neither,
		 * 3 with PFC, 2 with ACFC, 1 with both. */
		s->fp.acfc = h <= 2;
		s->fp.pfc = h == 1 || h == 3;
		rc = fastpath_session_set_ipv4(d->fp, &s->fp, net->peer);
		sp->in_table = rc == 0;
		if (rc == 0) {
			/* Its IP now goes between the TUN and the peer in the
			 * fast path, no longer through PPP. */
			s->fp.slow_ip = false;
			/* Pool addresses are routed with their pool; a user's
			 * fixed address may lie outside every pool. */
			if (sp->c->tun_open && !sp->pool_addr)
				tun_add_route(&sp->c->tun, AF_INET, &net->peer, 32);
		} else {
			log_warn(&d->log,
				 "address not routed session=%u tunnel=%u user=%s ip=%s error=%s",
				 s->id, s->t->id, s->user[0] ? s->user : "-", session_ip_str(s, ip),
				 strerror(-rc));
		}
		sp->last_rx_ms = l2tpd_now_ms(d);
		sp->idle_seen = sessppp_data_rx(sp);
	} else {
		s->ip = net->local;
		rc = sessppp_client_up(sp, net);
		if (rc == 0) {
			sp->cl->backoff = 0;
			sp->cl->auth_refused = false;
		} else {
			struct ppp_cause cause = { PPP_CAUSE_ADMIN, 0, PPP_DIR_LOCAL, "tun" };

			log_err(&d->log, "client tun failed client=%s error=%s", sp->cl->name,
				strerror(-rc));
			sessppp_schedule_close(sp, L2TP_CDN_GENERAL_ERROR, &cause, "tun failed");
			return;
		}
	}
	log_info(&d->log, "ppp up session=%u tunnel=%u role=%s user=%s ip=%s local=%s tun=%s",
		 s->id, s->t->id, sp->lns ? "lns" : "client", s->user[0] ? s->user : "-",
		 session_ip_str(s, ip),
		 inet_ntoa(net->local), sp->lns ? sp->c->tun.name : sp->call->tun.name);
}

static void sessppp_ppp_down(void *ctx, const struct ppp_cause *cause)
{
	struct sessppp *sp = ctx;
	uint16_t result;

	/* No more IP for a link that is down, from now rather than when the
	 * CDN goes; the route and the address stay until the session goes. */
	fastpath_session_detach(sp->c->d->fp, &sp->s->fp);
	sp->s->fp.slow_ip = true;

	/* RFC 2661 §4.4.2: 2 = general error (negotiation, authentication,
	 * keepalive), 3 = administrative (our own or the peer's Terminate). */
	if (cause->code == PPP_CAUSE_ADMIN || cause->code == PPP_CAUSE_TERMINATE)
		result = L2TP_CDN_ADMIN;
	else
		result = L2TP_CDN_GENERAL_ERROR;
	if (sp->close_pending) {
		sp->cause = *cause;
		return;
	}
	if (sp->idle_closing)
		sessppp_schedule_close(sp, L2TP_CDN_ADMIN, cause, "idle");
	else
		sessppp_schedule_close(sp, result, cause,
				       cause->reason ? cause->reason : "ppp down");
}

/* Give the subscriber an address: its static one, or one from the pool. */
static int sessppp_assign(struct sessppp *sp, struct in_addr fixed)
{
	struct sessppp_lns *l = sp->lns;
	int rc;

	if (fixed.s_addr) {
		if (pool_contains(&l->pool, fixed)) {
			rc = pool_reserve(&l->pool, fixed);
			if (rc < 0)
				return rc;
			sp->pool_addr = true;
		} else if (iptable_find4(&sp->c->d->fp->ips, fixed)) {
			return -EADDRINUSE;
		}
		sp->peer = fixed;
		return 0;
	}
	rc = pool_alloc(&l->pool, &sp->peer);
	if (rc == 0)
		sp->pool_addr = true;
	return rc;
}

static void sessppp_ppp_verify(void *ctx, const struct ppp_auth_request *req)
{
	struct sessppp *sp = ctx;
	struct session *s = sp->s;
	struct l2tpd *d = sp->c->d;
	uint8_t authresp[PPP_MSCHAPV2_AUTHRESP_LEN];
	uint64_t now = l2tpd_now_ms(d);
	struct in_addr fixed;
	int rc;

	log_sanitize(s->user, sizeof(s->user), (const uint8_t *)req->user, req->user_len);
	rc = users_verify(sp->lns->users, req, &fixed, authresp);
	if (rc < 0) {
		d->stats.auth_failures++;
		log_warn(&d->log, "authentication failed session=%u tunnel=%u user=%s method=%s reason=%s",
			 s->id, s->t->id, s->user, ppp_auth_method_name(req->method),
			 rc == -ENOENT ? "unknown user" : "wrong password");
		ppp_auth_result(sp->ppp, false, "Authentication failed", NULL, now);
		return;
	}
	if (!sp->peer.s_addr) {
		rc = sessppp_assign(sp, fixed);
		if (rc < 0) {
			struct ppp_cause cause = { PPP_CAUSE_NCP_ADDRESS, PPP_PROTO_IPCP,
						   PPP_DIR_LOCAL, "pool exhausted" };
			const char *why = rc == -ENOSPC ? "pool exhausted" : "address in use";

			log_warn(&d->log, "%s session=%u tunnel=%u user=%s lns=%s", why, s->id,
				 s->t->id, s->user, sp->lns->name);
			cause.reason = why;
			sessppp_schedule_close(sp, L2TP_CDN_NO_RESOURCES_TEMPORARY, &cause, why);
			return;
		}
		ppp_set_ipv4(sp->ppp, sp->local, sp->peer);
	}
	log_info(&d->log, "authenticated session=%u tunnel=%u user=%s method=%s", s->id, s->t->id,
		 s->user, ppp_auth_method_name(req->method));
	ppp_auth_result(sp->ppp, true, "Welcome", authresp, now);
}

static void sessppp_ppp_auth_done(void *ctx, enum ppp_auth_method method, bool ok, const char *msg)
{
	struct sessppp *sp = ctx;

	if (sp->lns || ok)
		return;
	log_warn(&sp->c->d->log,
		 "authentication refused by the LNS session=%u tunnel=%u user=%s method=%s "
		 "message=%s client=%s",
		 sp->s->id, sp->s->t->id, sp->s->user, ppp_auth_method_name(method),
		 msg ? msg : "-", sp->cl->name);
	if (sp->cl)
		sp->cl->auth_refused = true;
}

static const struct ppp_ops sessppp_ops = {
	.send = sessppp_ppp_send,
	.data = sessppp_ppp_data,
	.up = sessppp_ppp_up,
	.down = sessppp_ppp_down,
	.verify = sessppp_ppp_verify,
	.auth_done = sessppp_ppp_auth_done,
};

/* ------------------------------------------------------------ clients */

static struct sessppp_client *sessppp_client_find(struct sessppp_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->n_clients; i++)
		if (!strcmp(c->clients[i]->name, name))
			return c->clients[i];
	return NULL;
}

static void sessppp_redial_cb(struct ev_loop *loop, ev_timer *w, int revents);

static struct sessppp_client *sessppp_client_get(struct sessppp_ctx *c, const char *name)
{
	struct sessppp_client *cl = sessppp_client_find(c, name), **arr;

	if (cl)
		return cl;
	arr = realloc(c->clients, (c->n_clients + 1) * sizeof(*arr));
	if (!arr)
		return NULL;
	c->clients = arr;
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return NULL;
	c->clients[c->n_clients++] = cl;
	snprintf(cl->name, sizeof(cl->name), "%s", name);
	cl->c = c;
	ev_init(&cl->redial, sessppp_redial_cb);
	cl->redial.data = cl;
	return cl;
}

static int sessppp_client_start(struct sessppp_client *cl, char *msg, size_t msglen)
{
	struct l2tpd *d = cl->c->d;
	struct destination *dst = destination_find(d, cl->name);
	struct session_ref ref;
	struct session *s;
	int n;

	if (!dst || dst->role != DEST_CLIENT) {
		snprintf(msg, msglen, "no client %s", cl->name);
		return -ENOENT;
	}
	if (destination_sessions(dst) || cl->in_call) {
		snprintf(msg, msglen, "client %s is already connected", cl->name);
		return -EALREADY;
	}
	cl->wanted = true;
	n = destination_dial(dst, 1, &ref, msg, msglen);
	if (n <= 0)
		return n;
	/* Named from the start, so that every log line of the call has it. */
	s = session_find(d, ref.tunnel, ref.session);
	if (s)
		snprintf(s->user, sizeof(s->user), "%s", dst->client->user);
	return 0;
}

static void sessppp_redial_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sessppp_client *cl = w->data;
	char msg[160];

	(void)loop;
	(void)revents;
	ev_timer_stop(cl->c->d->loop, w);
	if (cl->c->d->stopping)
		return;
	log_info(&cl->c->d->log, "client redial client=%s", cl->name);
	if (sessppp_client_start(cl, msg, sizeof(msg)) < 0 &&
	    !strstr(msg, "already connected")) {
		log_warn(&cl->c->d->log, "client redial failed client=%s reason=%s", cl->name, msg);
		/* Try again later, as if the call had failed. */
		cl->backoff = cl->backoff ? cl->backoff * 2 : 1;
		if (cl->backoff > SESSPPP_BACKOFF_MAX)
			cl->backoff = SESSPPP_BACKOFF_MAX;
		ev_timer_set(w, cl->backoff, 0.0);
		ev_timer_start(cl->c->d->loop, w);
	}
}

static void sessppp_client_schedule(struct sessppp_client *cl)
{
	struct l2tpd *d = cl->c->d;

	if (!cl->wanted || d->stopping || ev_is_active(&cl->redial))
		return;
	if (!config_find_client(d->cfg, cl->name))
		return;
	cl->backoff = cl->backoff ? cl->backoff * 2 : 1;
	if (cl->auth_refused && cl->backoff < SESSPPP_BACKOFF_AUTH)
		cl->backoff = SESSPPP_BACKOFF_AUTH;
	if (cl->backoff > SESSPPP_BACKOFF_MAX)
		cl->backoff = SESSPPP_BACKOFF_MAX;
	log_info(&d->log, "client down client=%s redial_in=%.0fs%s", cl->name, cl->backoff,
		 cl->auth_refused ? " reason=authentication refused" : "");
	cl->auth_refused = false;
	ev_timer_set(&cl->redial, cl->backoff, 0.0);
	ev_timer_start(d->loop, &cl->redial);
}

int sessppp_client_dial(struct l2tpd *d, const char *name, char *msg, size_t msglen)
{
	struct sessppp_client *cl;

	if (!config_find_client(d->cfg, name)) {
		snprintf(msg, msglen, "no client %s", name);
		return -ENOENT;
	}
	cl = sessppp_client_get(d->sp, name);
	if (!cl)
		return -ENOMEM;
	ev_timer_stop(d->loop, &cl->redial);
	cl->backoff = 0;
	return sessppp_client_start(cl, msg, msglen);
}

void sessppp_client_hangup(struct l2tpd *d, const char *name)
{
	struct sessppp_client *cl = sessppp_client_find(d->sp, name);

	if (!cl)
		return;
	/* The operator closed it: no redial until `l2tpctl dial` again. */
	cl->wanted = false;
	cl->backoff = 0;
	ev_timer_stop(d->loop, &cl->redial);
	log_info(&d->log, "client hung up client=%s", name);
}

void sessppp_autostart(struct l2tpd *d)
{
	char msg[160];

	for (size_t i = 0; i < d->cfg->n_client; i++) {
		const struct config_client *cc = &d->cfg->client[i];

		if (!cc->autostart)
			continue;
		if (sessppp_client_dial(d, cc->name, msg, sizeof(msg)) < 0)
			log_warn(&d->log, "autostart failed client=%s reason=%s", cc->name, msg);
		else
			log_info(&d->log, "autostart client=%s", cc->name);
	}
}

/* ------------------------------------------------------------ sessions */

static const struct config_client *sessppp_client_of(struct session *s)
{
	struct destination *dst = s->t->dest;

	/* An outgoing call is the [client]'s that accepted it (one per LNS
	 * address: the loader sees to it). */
	if (s->kind == SESSION_LAC_OC && s->client)
		return config_match_client_outgoing(s->t->d->cfg, &s->t->peer.sa);
	if (!dst || dst->role != DEST_CLIENT || s->kind != SESSION_LAC_IC)
		return NULL;
	return dst->client;
}

const char *sessppp_outgoing_refusal(struct tunnel *t, uint16_t *result)
{
	struct l2tpd *d = t->d;
	const struct config_client *cc = config_match_client_outgoing(d->cfg, &t->peer.sa);
	struct sessppp_client *cl;
	struct destination *dst;

	if (!cc || !d->sp) {
		*result = L2TP_CDN_INVALID_DESTINATION;
		return "no [client] accepts outgoing calls from this peer";
	}
	/* A client has one link, one TUN: a second call would fight the
	 * first one for its addresses and routes. */
	cl = sessppp_client_find(d->sp, cc->name);
	dst = destination_find(d, cc->name);
	if ((cl && cl->in_call) || (dst && dst->role == DEST_CLIENT && destination_sessions(dst))) {
		*result = L2TP_CDN_NO_RESOURCES_TEMPORARY;
		return "the client has a call already";
	}
	return NULL;
}

void sessppp_outgoing_bind(struct session *s)
{
	struct l2tpd *d = s->t->d;
	const struct config_client *cc = config_match_client_outgoing(d->cfg, &s->t->peer.sa);
	struct sessppp_client *cl;

	if (!cc || !d->sp)
		return;
	s->client = true;
	snprintf(s->user, sizeof(s->user), "%s", cc->user);
	/* This call is the link a pending redial would have made. */
	cl = sessppp_client_get(d->sp, cc->name);
	if (cl)
		ev_timer_stop(d->loop, &cl->redial);
	log_info(&d->log, "outgoing call accepted session=%u peer_session=%u tunnel=%u client=%s user=%s",
		 s->id, s->peer_id, s->t->id, cc->name, cc->user);
}

/* accept_proxy: take LCP (and authentication) as the LAC negotiated them
 * with the subscriber. Anything we cannot take (no proxy LCP, options we
 * would not accept, an authentication type we do not support) costs only
 * a renegotiation, which RFC 2661 §4.4.5 allows: false, then. */
static bool sessppp_start_proxy(struct sessppp *sp, const struct session_proxy *p, uint64_t now)
{
	struct session *s = sp->s;
	struct ppp_proxy px;
	int rc = session_proxy_ppp(p, &px);

	if (rc == 0)
		rc = ppp_start_proxy(sp->ppp, &px, now);
	if (rc < 0) {
		log_info(&sp->c->d->log,
			 "proxy lcp not taken session=%u tunnel=%u user=%s auth_type=%u "
			 "action=renegotiate error=%s",
			 s->id, s->t->id, s->user[0] ? s->user : "-", p->auth_type,
			 rc == -ENOENT ? "no proxy LCP" : strerror(-rc));
		return false;
	}
	log_info(&sp->c->d->log, "proxy lcp taken session=%u tunnel=%u user=%s auth_type=%u",
		 s->id, s->t->id, s->user[0] ? s->user : "-", p->auth_type);
	return true;
}

static void sessppp_session_start(struct session *s, const struct session_proxy *proxy);

void sessppp_session_up(struct session *s)
{
	/* Ours now, whatever happens: the values are needed only to start. */
	struct session_proxy *proxy = session_take_proxy(s);

	sessppp_session_start(s, proxy);
	free(proxy);
}

static void sessppp_session_start(struct session *s, const struct session_proxy *proxy)
{
	struct l2tpd *d = s->t->d;
	struct sessppp_ctx *c = sessppp_ctx(s);
	const struct config_client *cc = sessppp_client_of(s);
	const struct config_lns *cl = NULL;
	struct sessppp *sp;
	uint64_t now = l2tpd_now_ms(d);

	if (!c)
		return;
	if (!cc) {
		/* The LNS side of an incoming call, or of an outgoing call we
		 * placed (§7.5.2): either way the subscriber's PPP ends here. */
		if ((s->kind != SESSION_LNS_IC && s->kind != SESSION_LNS_OC) ||
		    !s->t->lns_section[0])
			return;
		cl = config_find_lns(d->cfg, s->t->lns_section);
		if (!cl || !sessppp_lns_find(c, cl->name))
			return;
	}
	sp = calloc(1, sizeof(*sp));
	if (!sp) {
		session_close(s, L2TP_CDN_NO_RESOURCES_TEMPORARY, L2TP_ERR_NO_RESOURCES,
			      "out of memory", -1);
		return;
	}
	sp->s = s;
	sp->c = c;
	ev_init(&sp->timer, sessppp_timer_cb);
	sp->timer.data = sp;
	if (cl) {
		sp->lns = sessppp_lns_find(c, cl->name);
		sp->local = cl->local_ip;
		sp->idle_timeout = cl->idle_timeout;
		sp->ppp = ppp_new(&sp->lns->ppp, &sessppp_ops, sp);
	} else {
		sp->call = sessppp_call_copy(cc);
		sp->cl = sp->call ? sessppp_client_get(c, cc->name) : NULL;
		if (sp->cl) {
			ppp_config_init(&sp->cl->ppp, PPP_ROLE_CLIENT);
			sp->cl->ppp.echo_interval_ms = cc->lcp_echo_interval * 1000u;
			sp->cl->ppp.echo_failures = (uint8_t)cc->lcp_echo_failures;
			sp->cl->ppp.echo_adaptive = true;
			sp->ppp = ppp_new(&sp->cl->ppp, &sessppp_ops, sp);
		}
		if (sp->ppp) {
			ppp_set_credentials(sp->ppp, sp->call->user, sp->call->password);
			snprintf(s->user, sizeof(s->user), "%s", cc->user);
			sp->cl->in_call = true;
		}
	}
	if (!sp->ppp) {
		sessppp_call_free(sp->call);
		free(sp);
		session_close(s, L2TP_CDN_NO_RESOURCES_TEMPORARY, L2TP_ERR_NO_RESOURCES,
			      "out of memory", -1);
		return;
	}
	s->ppp = sp;
	sp->last_rx_ms = now;
	session_set_data_cb(s, sessppp_session_data, sp);
	if (!(cl && cl->accept_proxy && proxy && sessppp_start_proxy(sp, proxy, now)))
		ppp_start(sp->ppp, now);
	/* A proxied authentication may have closed the session already
	 * (sessppp_schedule_close: the CDN goes from the timer, sp lives). */
	sessppp_arm(sp);
}

void sessppp_session_gone(struct session *s)
{
	struct sessppp *sp = s->ppp;
	struct sessppp_ctx *c = sessppp_ctx(s);
	const struct config_client *cc = sessppp_client_of(s);

	if (sp) {
		struct l2tpd *d = sp->c->d;

		s->ppp = NULL;
		session_set_data_cb(s, NULL, NULL);
		/* The peer is gone: no Terminate exchange, just down (its down
		 * callback must not schedule anything now). */
		if (!sp->close_pending) {
			sp->close_pending = true;
			ppp_lower_down(sp->ppp, l2tpd_now_ms(d));
		}
		ev_timer_stop(d->loop, &sp->timer);
		if (sp->cl)
			sp->cl->in_call = false;
		fastpath_session_detach(d->fp, &s->fp);
		if (sp->in_table && !sp->pool_addr && c->tun_open)
			tun_del_route(&c->tun, AF_INET, &sp->peer, 32);
		if (sp->pool_addr)
			pool_free(&sp->lns->pool, sp->peer);
		if (sp->call && sp->call->tun_open) {
			if (sp->call->routes_on)
				sessppp_client_routes(sp, false);
			if (sp->call->host_route)
				sessppp_host_route(&sp->call->tun, RTM_DELROUTE, sp->call->lns_addr, sp->call->gw,
						   sp->call->oif);
			ev_io_stop(d->loop, &sp->call->tun_io);
			tun_close(&sp->call->tun);
		}
		ppp_free(sp->ppp);
		sessppp_call_free(sp->call);
		free(sp);
	}
	if (cc && c) {
		struct sessppp_client *cl = sessppp_client_find(c, cc->name);

		if (cl)
			sessppp_client_schedule(cl);
	}
}

void sessppp_session_cleared(struct session *s, uint16_t result)
{
	struct sessppp *sp = s->ppp;

	/* Some LNSs (l2tpns on a RADIUS Access-Reject) send no PAP Nak or
	 * CHAP Failure (RFC 1334 §2.2.2, RFC 1994 §4.1): they clear the call
	 * right after our credentials. That is a refusal all the same. */
	if (!sp || !sp->cl || sp->close_pending || !ppp_auth_awaiting_verdict(sp->ppp))
		return;
	log_warn(&sp->c->d->log,
		 "authentication refused by the LNS client=%s user=%s session=%u tunnel=%u "
		 "method=%s result=%u reason=call cleared before auth verdict",
		 sp->cl->name, s->user[0] ? s->user : "-", s->id, s->t->id,
		 ppp_auth_method_name(ppp_auth_method(sp->ppp)), result);
	sp->cl->auth_refused = true;
}
