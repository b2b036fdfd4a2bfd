/* L2TP sessions (calls): the four state machines of RFC 2661 §7.4 and
 * §7.5 (LAC and LNS, incoming and outgoing), CDN teardown, WEN and SLI,
 * and the data hook for the PPP layer. */
#ifndef L2TPD_SESSION_H
#define L2TPD_SESSION_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/fastpath.h"
#include "l2tp/msg.h"
#include "list.h"

struct tunnel;
struct l2tpd;
struct sessppp;
struct ppp_proxy;

enum session_kind {
	SESSION_LAC_IC, /* we are the LAC, incoming call: ICRQ sent */
	SESSION_LNS_IC, /* we are the LNS, incoming call: ICRQ received */
	SESSION_LAC_OC, /* we are the LAC, outgoing call: OCRQ received */
	SESSION_LNS_OC, /* we are the LNS, outgoing call: OCRQ sent */
};

enum session_state {
	SESSION_WAIT_TUNNEL,    /* tunnel still in setup */
	SESSION_WAIT_REPLY,     /* ICRQ or OCRQ sent */
	SESSION_WAIT_CONNECT,   /* ICRP sent (LNS IC) or OCRP received (LNS OC) */
	SESSION_WAIT_CS_ANSWER, /* OCRP sent (LAC OC) */
	SESSION_ESTABLISHED,
};

/* What the LAC passed in ICCN (RFC 2661 §4.4.5), kept for the PPP layer. */
enum {
	SESSION_PROXY_INITIAL_LCP = 1 << 0,
	SESSION_PROXY_LAST_SENT_LCP = 1 << 1,
	SESSION_PROXY_LAST_RECV_LCP = 1 << 2,
	SESSION_PROXY_AUTH = 1 << 3,
};

/* The values of those AVPs, for an LNS that takes over what the LAC
 * negotiated (accept_proxy). One allocation, values copied into data[]
 * (the ICCN's buffer is gone by the time PPP starts); the session holds it
 * from ICCN until PPP starts, then it is freed: 1,000s of sessions must
 * not keep ~1 KB each of LCP and authentication octets for their life. */
enum session_proxy_value {
	SESSION_PV_INITIAL_LCP,   /* Initial Received LCP CONFREQ: options */
	SESSION_PV_LAST_SENT_LCP, /* Last Sent LCP CONFREQ: options */
	SESSION_PV_LAST_RECV_LCP, /* Last Received LCP CONFREQ: options */
	SESSION_PV_AUTH_NAME,
	SESSION_PV_AUTH_CHALLENGE,
	SESSION_PV_AUTH_RESPONSE,
	SESSION_PV_N,
};

struct session_proxy {
	uint16_t auth_type; /* Proxy Authen Type; 0 when absent */
	uint8_t auth_id;    /* Proxy Authen ID (its low octet) */
	uint16_t len[SESSION_PV_N];
	const uint8_t *val[SESSION_PV_N]; /* into data[]; NULL when the AVP was absent */
	uint8_t data[];
};

struct session;
/* A PPP frame the fast path does not carry itself (LCP, authentication,
 * NCPs; IP before the subscriber's address is known): the whole frame as
 * received (address and control octets included when the peer sends
 * them), writable, valid for the call. */
typedef void (*session_data_fn)(struct session *s, uint8_t *frame, size_t len, void *arg);

#define SESSION_USER_MAX 64

struct session {
	struct tunnel *t;
	uint16_t id;
	uint16_t peer_id;
	enum session_kind kind;
	enum session_state state;
	uint32_t serial;
	struct list_node tunnel_node;

	bool seq_required;        /* Sequencing Required AVP seen or sent (§5.4) */

	uint8_t proxy;            /* SESSION_PROXY_* present in ICCN */
	uint16_t proxy_auth_type;
	struct session_proxy *proxy_values; /* until PPP starts; NULL without proxy AVPs */
	char user[SESSION_USER_MAX]; /* Proxy Authen Name, later the PPP user */
	struct in_addr ip;           /* the subscriber's address once IPCP is up; 0: none */

	uint64_t wen_received, sli_received;

	session_data_fn data_cb;
	void *data_arg;

	struct sessppp *ppp;         /* the PPP link we terminate on it, if any */
	bool client;                 /* LAC side of an outgoing call a [client] answers */
	/* RFC 3145 PPP Disconnect Cause Code for our CDN, set by the PPP glue. */
	bool ppp_cause_set;
	uint8_t ppp_cause_dir;
	uint16_t ppp_cause_code, ppp_cause_proto;

	/* The data path (Ns/Nr, framing, counters, the subscriber's
	 * addresses), filled when the call is established; before that
	 * the fast path does not find the session. Embedded, not
	 * allocated: every session that carries data needs it, and one
	 * allocation per session is one owner and one free. */
	struct fp_session fp;
};

/* A new incoming call from us as LAC on t (ICRQ now, or when t is up).
 * NULL with *err: -EAGAIN over a limit, -ENOMEM. */
struct session *session_new_lac_ic(struct tunnel *t, int *err);
/* A new outgoing call from us as LNS on established t (OCRQ now). */
struct session *session_new_lns_oc(struct tunnel *t, int *err);

/* t reached established: sessions waiting for it start. */
void session_tunnel_up(struct tunnel *t);
/* Move the sessions waiting on from to to (failover to another peer, a
 * lost tie breaker): each gets a new id, free in to. One that finds none
 * stays on from and fails with it. */
void session_move_waiting(struct tunnel *from, struct tunnel *to);
/* A session-scoped control message (ICRQ..CDN, WEN, SLI) on t, parsed and
 * validated; m is writable. */
void session_input(struct tunnel *t, struct l2tp_msg *m);
/* The peer sent a session-scoped message that we must refuse before
 * understanding it (missing AVP, unknown mandatory AVP): CDN to the peer's
 * session (from Assigned Session ID, or the header) and free ours. */
void session_refuse(struct tunnel *t, const struct l2tp_msg *m, uint16_t result, int error,
		    const char *message);

/* Send CDN and free. error < 0 = no error code; q931 < 0 = no cause. */
void session_close(struct session *s, uint16_t result, int error, const char *message, int q931);
/* Free without a word to the peer (its tunnel went away). */
void session_free(struct session *s, const char *why);

/* Data path hooks (RFC 2661 §5.3, §5.4): the frames the fast path hands
 * back (fn), and PPP's own frames out through it, sharing its Ns. */
void session_set_data_cb(struct session *s, session_data_fn fn, void *arg);
/* 0, -ENOTCONN (not established), -EMSGSIZE or -errno. */
int session_send_data(struct session *s, const void *buf, size_t len);

/* WEN (from the LAC side) and SLI (from the LNS side): 0, or -EINVAL when
 * we are on the wrong side, -ENOTCONN before the session is up. */
int session_send_wen(struct session *s);
int session_send_sli(struct session *s);

/* The proxy AVP values of an ICCN or OCCN, in a new allocation (free()),
 * or NULL when it has none (or memory is short: then PPP renegotiates). */
struct session_proxy *session_proxy_from_msg(const struct l2tp_msg *m);
/* Take s's proxy values (the caller frees them), NULL if none. */
struct session_proxy *session_take_proxy(struct session *s);
/* p as the PPP engine's proxy description; px points into p. -ENOENT
 * unless both Last Sent and Last Received LCP CONFREQ are there: without
 * them the LAC's LCP cannot be taken over (RFC 2661 §4.4.5). */
int session_proxy_ppp(const struct session_proxy *p, struct ppp_proxy *px);

/* The key of d->sessions: (tunnel id, session id). */
static inline uint32_t session_key(uint16_t tid, uint16_t sid)
{
	return (uint32_t)tid << 16 | sid;
}

/* Our session sid in our tunnel tid, or NULL. A session id is unique only
 * within its tunnel (RFC 2661 §3.1): the pair names a session. O(1). */
struct session *session_find(struct l2tpd *d, uint16_t tid, uint16_t sid);
/* How many tunnels have a session with our id sid; the first max of those
 * sessions go to out[]. O(tunnels): for the operator, not for packets. */
size_t session_find_all(struct l2tpd *d, uint16_t sid, struct session **out, size_t max);

/* A session as the operator and destination_dial() name it. */
struct session_ref {
	uint16_t tunnel, session;
};

const char *session_state_name(enum session_state st);
/* The subscriber's address as text into buf, or "-" before IPCP is up. */
const char *session_ip_str(const struct session *s, char buf[INET_ADDRSTRLEN]);
/* "lac" or "lns": our side of the call. */
const char *session_role_name(const struct session *s);
bool session_is_lac(const struct session *s);

#endif
