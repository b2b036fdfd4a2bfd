/* The authentication phase (RFC 1661 §3.5): PAP (RFC 1334 §2), CHAP-MD5
 * (RFC 1994 §4) and MS-CHAPv2 (RFC 2759 §3-§6), both ends.
 *
 * Server: PAP waits for Authenticate-Requests; CHAP sends a Challenge,
 * again with a new Identifier and value after each Restart timeout. A
 * Response or Request goes to ops->verify, and ppp_auth_result() sends the
 * verdict, now or later (RADIUS). Client: PAP repeats its request; CHAP
 * answers every Challenge and, for MS-CHAPv2, checks the server's
 * Authenticator Response (mutual authentication, §5). */
#include "auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chap.h"
#include "internal.h"

enum auth_state {
	AUTH_IDLE,
	AUTH_SRV_WAIT,   /* Challenge sent, or waiting for a PAP request */
	AUTH_SRV_VERIFY, /* ops->verify called, ppp_auth_result() awaited */
	AUTH_CLI_WAIT,   /* PAP request sent, or waiting for a Challenge */
	AUTH_CLI_RESULT, /* CHAP Response sent, waiting for Success/Failure */
	AUTH_OK,
	AUTH_FAILED,
};

/* Transient: allocated for a CHAP exchange, freed after it. */
struct ppp_auth_tmp {
	uint8_t challenge[PPP_MSCHAP_CHALLENGE_LEN]; /* server: ours */
	uint8_t authresp[PPP_MSCHAPV2_AUTHRESP_LEN]; /* MS-CHAPv2: sent (server) or expected */
	uint8_t value[PPP_MSCHAP_RESPONSE_LEN];      /* client: our Response Value */
	uint8_t value_len;
};

#define AUTH_CHALLENGE_LEN 16
#define AUTH_NAME_MAX      255
#define AUTH_MSG_MAX       200
/* RFC 2759 §6: ERROR_AUTHENTICATION_FAILURE, no retry, version 3. */
#define MSCHAP_E_AUTH_FAILURE 691

static uint16_t auth_proto(uint8_t method)
{
	return method == PPP_AUTH_PAP ? PPP_PROTO_PAP : PPP_PROTO_CHAP;
}

static uint32_t auth_wait_ms(const struct ppp *ppp)
{
	return ppp->cfg->fsm.restart_ms * ppp->cfg->fsm.max_configure;
}

static void auth_send(struct ppp *ppp, uint16_t proto, uint8_t code, uint8_t id,
                      const uint8_t *data, size_t len)
{
	uint8_t buf[PPP_HEADROOM + PPP_CTRL_HDR_LEN + 2 * (AUTH_NAME_MAX + 1)];
	uint8_t *pkt = buf + PPP_HEADROOM;

	if (len > sizeof(buf) - PPP_HEADROOM - PPP_CTRL_HDR_LEN)
		len = sizeof(buf) - PPP_HEADROOM - PPP_CTRL_HDR_LEN;
	pkt[0] = code;
	pkt[1] = id;
	ppp_put16(pkt + 2, (uint16_t)(PPP_CTRL_HDR_LEN + len));
	if (len)
		memcpy(pkt + PPP_CTRL_HDR_LEN, data, len);
	ppp_output(ppp, proto, pkt, PPP_CTRL_HDR_LEN + len);
}

/* A peer's text for logs: printable ASCII only, NUL-terminated. */
static void auth_text(char *out, size_t cap, const uint8_t *s, size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;

	for (size_t i = 0; i < n; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
	out[n] = '\0';
}

static void auth_done(struct ppp *ppp, bool ok, const char *msg)
{
	if (ppp->ops->auth_done)
		ppp->ops->auth_done(ppp->ctx, (enum ppp_auth_method)ppp->auth.method, ok, msg);
}

static void auth_free_tmp(struct ppp *ppp)
{
	if (ppp->auth.tmp) {
		memset(ppp->auth.tmp, 0, sizeof(*ppp->auth.tmp));
		free(ppp->auth.tmp);
		ppp->auth.tmp = NULL;
	}
}

static void auth_fail(struct ppp *ppp, uint16_t code, uint8_t dir, const char *reason, uint64_t now)
{
	ppp->auth.state = AUTH_FAILED;
	ppp->auth.deadline = PPP_NO_DEADLINE;
	auth_free_tmp(ppp);
	ppp_link_fail(ppp, code, auth_proto(ppp->auth.method), dir, reason, now);
}

static void auth_succeed(struct ppp *ppp, uint64_t now)
{
	ppp->auth.state = AUTH_OK;
	ppp->auth.deadline = PPP_NO_DEADLINE;
	ppp_link_network(ppp, now);
}

/* ---- server ---------------------------------------------------------- */

/* RFC 1994 §4.1: a new Identifier and a new value each time. */
static void auth_send_challenge(struct ppp *ppp, uint64_t now)
{
	struct ppp_auth *a = &ppp->auth;
	const char *name = ppp->cfg->hostname ? ppp->cfg->hostname : "";
	size_t name_len = strnlen(name, AUTH_NAME_MAX);
	uint8_t data[1 + AUTH_CHALLENGE_LEN + AUTH_NAME_MAX];

	a->id++;
	ppp_random(ppp, a->tmp->challenge, AUTH_CHALLENGE_LEN);
	data[0] = AUTH_CHALLENGE_LEN;
	memcpy(data + 1, a->tmp->challenge, AUTH_CHALLENGE_LEN);
	memcpy(data + 1 + AUTH_CHALLENGE_LEN, name, name_len);
	auth_send(ppp, PPP_PROTO_CHAP, PPP_CHAP_CHALLENGE, a->id, data,
	          1 + AUTH_CHALLENGE_LEN + name_len);
	if (a->tries)
		a->tries--;
	a->deadline = now + ppp->cfg->fsm.restart_ms;
}

/* Hand a request to the owner; names with a NUL inside are refused, so
 * that what the owner reads as a string is all the peer sent. */
static void auth_verify(struct ppp *ppp, struct ppp_auth_request *req, const uint8_t *name,
                        size_t name_len, uint64_t now)
{
	char user[AUTH_NAME_MAX + 1];

	ppp->auth.state = AUTH_SRV_VERIFY;
	ppp->auth.deadline = PPP_NO_DEADLINE;
	if (name_len > AUTH_NAME_MAX || memchr(name, '\0', name_len) || !ppp->ops->verify) {
		ppp_auth_result(ppp, false, NULL, NULL, now);
		return;
	}
	memcpy(user, name, name_len);
	user[name_len] = '\0';
	req->method = (enum ppp_auth_method)ppp->auth.method;
	req->user = user;
	req->user_len = name_len;
	req->proxied = ppp->auth.proxied;
	ppp->ops->verify(ppp->ctx, req);
}

/* RFC 1334 §2.2.1: Peer-ID-Length, Peer-ID, Passwd-Length, Password. */
static void auth_srv_pap(struct ppp *ppp, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct ppp_auth *a = &ppp->auth;
	struct ppp_auth_request req = {0};
	const uint8_t *d = pkt + PPP_CTRL_HDR_LEN;
	size_t dlen = len - PPP_CTRL_HDR_LEN, ulen, plen;

	if (pkt[0] != PPP_PAP_REQ) {
		ppp->stats.rx_discarded++;
		return;
	}
	ulen = dlen >= 1 ? d[0] : 0;
	plen = dlen >= ulen + 2 ? d[1 + ulen] : 0;
	if (dlen < ulen + plen + 2) {
		ppp->stats.rx_malformed++;
		return;
	}
	/* §2.2.1: a repeated request gets the reply already given. */
	if (a->state == AUTH_OK || a->state == AUTH_FAILED) {
		uint8_t zero = 0;

		auth_send(ppp, PPP_PROTO_PAP, a->state == AUTH_OK ? PPP_PAP_ACK : PPP_PAP_NAK,
		          pkt[1], &zero, 1);
		return;
	}
	if (a->state != AUTH_SRV_WAIT) {
		ppp->stats.rx_discarded++;
		return;
	}
	a->id = pkt[1];
	req.password = d + 2 + ulen;
	req.password_len = plen;
	auth_verify(ppp, &req, d + 1, ulen, now);
}

static void auth_srv_chap(struct ppp *ppp, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct ppp_auth *a = &ppp->auth;
	struct ppp_auth_request req = {0};
	const uint8_t *d = pkt + PPP_CTRL_HDR_LEN;
	size_t dlen = len - PPP_CTRL_HDR_LEN, vs;

	if (pkt[0] != PPP_CHAP_RESPONSE || pkt[1] != a->id) {
		ppp->stats.rx_discarded++;
		return;
	}
	vs = dlen >= 1 ? d[0] : 0;
	if (dlen < vs + 1 || (a->method == PPP_AUTH_MSCHAPV2 && vs != PPP_MSCHAP_RESPONSE_LEN)) {
		ppp->stats.rx_malformed++;
		return;
	}
	/* RFC 1994 §4.1: the Success may have been lost; say it again. */
	if (a->state == AUTH_OK && a->tmp) {
		char msg[PPP_MSCHAP_AUTHSTR_LEN + 1];

		if (a->method == PPP_AUTH_MSCHAPV2) {
			ppp_mschapv2_authstr(a->tmp->authresp, msg);
			auth_send(ppp, PPP_PROTO_CHAP, PPP_CHAP_SUCCESS, a->id,
			          (const uint8_t *)msg, strlen(msg));
		} else {
			auth_send(ppp, PPP_PROTO_CHAP, PPP_CHAP_SUCCESS, a->id, NULL, 0);
		}
		return;
	}
	if (a->state != AUTH_SRV_WAIT) {
		ppp->stats.rx_discarded++;
		return;
	}
	req.id = a->id;
	req.challenge = a->tmp->challenge;
	req.challenge_len = AUTH_CHALLENGE_LEN;
	req.response = d + 1;
	req.response_len = vs;
	if (a->method == PPP_AUTH_MSCHAPV2) {
		/* RFC 2759 §4: Peer-Challenge, 8 reserved, NT-Response, Flags. */
		req.peer_challenge = d + 1;
		req.nt_response = d + 1 + PPP_MSCHAP_CHALLENGE_LEN + 8;
	}
	auth_verify(ppp, &req, d + 1 + vs, dlen - 1 - vs, now);
}

/* The reply to a verdict: PAP Ack/Nak, CHAP Success/Failure, with the
 * MS-CHAPv2 formats of RFC 2759 §5 and §6. */
static void auth_srv_reply(struct ppp *ppp, bool ok, const char *message)
{
	struct ppp_auth *a = &ppp->auth;
	char text[AUTH_MSG_MAX + 128];
	const char *msg = message ? message
	                  : ok    ? "Authentication succeeded"
	                          : "Authentication failed";
	int n;

	if (a->method == PPP_AUTH_PAP) {
		n = snprintf(text + 1, sizeof(text) - 1, "%.*s", AUTH_MSG_MAX, msg);
		text[0] = (char)n;
		auth_send(ppp, PPP_PROTO_PAP, ok ? PPP_PAP_ACK : PPP_PAP_NAK, a->id,
		          (const uint8_t *)text, (size_t)n + 1);
		return;
	}
	if (a->method == PPP_AUTH_MSCHAPV2 && ok) {
		char s[PPP_MSCHAP_AUTHSTR_LEN + 1];

		ppp_mschapv2_authstr(a->tmp->authresp, s);
		n = snprintf(text, sizeof(text), "%s M=%.*s", s, AUTH_MSG_MAX, msg);
	} else if (a->method == PPP_AUTH_MSCHAPV2) {
		char c[2 * AUTH_CHALLENGE_LEN + 1];

		for (int i = 0; i < AUTH_CHALLENGE_LEN; i++)
			snprintf(c + 2 * i, 3, "%02X", a->tmp->challenge[i]);
		n = snprintf(text, sizeof(text), "E=%d R=0 C=%s V=3 M=%.*s", MSCHAP_E_AUTH_FAILURE,
		             c, AUTH_MSG_MAX, msg);
	} else {
		n = snprintf(text, sizeof(text), "%.*s", AUTH_MSG_MAX, msg);
	}
	auth_send(ppp, PPP_PROTO_CHAP, ok ? PPP_CHAP_SUCCESS : PPP_CHAP_FAILURE, a->id,
	          (const uint8_t *)text, (size_t)n);
}

int ppp_auth_result(struct ppp *ppp, bool ok, const char *message, const uint8_t *authresp,
                    uint64_t now)
{
	struct ppp_auth *a = &ppp->auth;

	if (a->state != AUTH_SRV_VERIFY)
		return -ESTALE;
	/* RFC 2759 §5: a Success without S= makes the peer hang up. */
	if (ok && a->method == PPP_AUTH_MSCHAPV2 && !a->proxied) {
		if (!authresp || !a->tmp) {
			ok = false;
			message = "no authenticator response";
		} else {
			memcpy(a->tmp->authresp, authresp, PPP_MSCHAPV2_AUTHRESP_LEN);
		}
	}
	if (!a->proxied)
		auth_srv_reply(ppp, ok, message);
	auth_done(ppp, ok, message ? message : "");
	if (!ok) {
		auth_fail(ppp, PPP_CAUSE_AUTH_FAILED, PPP_DIR_PEER, "peer failed authentication",
		          now);
		return 0;
	}
	/* PAP keeps nothing; CHAP keeps the exchange to repeat a lost Success
	 * until the peer shows it is in the Network phase. */
	if (a->method == PPP_AUTH_PAP || a->proxied)
		auth_free_tmp(ppp);
	auth_succeed(ppp, now);
	if (a->tmp)
		a->deadline = now + auth_wait_ms(ppp);
	return 0;
}

/* ---- client ---------------------------------------------------------- */

static void auth_send_pap(struct ppp *ppp, uint64_t now)
{
	struct ppp_auth *a = &ppp->auth;
	size_t ulen = strnlen(ppp->user, AUTH_NAME_MAX),
	       plen = strnlen(ppp->password, AUTH_NAME_MAX);
	uint8_t data[2 * (AUTH_NAME_MAX + 1)];

	data[0] = (uint8_t)ulen;
	memcpy(data + 1, ppp->user, ulen);
	data[1 + ulen] = (uint8_t)plen;
	memcpy(data + 2 + ulen, ppp->password, plen);
	a->id++; /* RFC 1334 §2.2.1: changed for each request */
	auth_send(ppp, PPP_PROTO_PAP, PPP_PAP_REQ, a->id, data, 2 + ulen + plen);
	memset(data, 0, sizeof(data));
	if (a->tries)
		a->tries--;
	a->deadline = now + ppp->cfg->fsm.restart_ms;
}

static void auth_cli_pap(struct ppp *ppp, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct ppp_auth *a = &ppp->auth;
	const uint8_t *d = pkt + PPP_CTRL_HDR_LEN;
	size_t dlen = len - PPP_CTRL_HDR_LEN, mlen = 0;
	char msg[AUTH_MSG_MAX + 1];

	if ((pkt[0] != PPP_PAP_ACK && pkt[0] != PPP_PAP_NAK) || pkt[1] != a->id ||
	    a->state != AUTH_CLI_WAIT) {
		ppp->stats.rx_discarded++;
		return;
	}
	/* The Msg-Length octet, then the message, if present at all. */
	if (dlen >= 1) {
		mlen = d[0] < dlen - 1 ? d[0] : dlen - 1;
		d++;
	}
	auth_text(msg, sizeof(msg), d, mlen);
	auth_done(ppp, pkt[0] == PPP_PAP_ACK, msg);
	if (pkt[0] == PPP_PAP_ACK)
		auth_succeed(ppp, now);
	else
		auth_fail(ppp, PPP_CAUSE_AUTH_FAILED, PPP_DIR_LOCAL, "peer refused our credentials",
		          now);
}

/* Our Response: the Value (kept in tmp, or given) and our name. */
static void auth_cli_send_response(struct ppp *ppp, const uint8_t *value, size_t vlen)
{
	size_t ulen = strnlen(ppp->user, AUTH_NAME_MAX);
	uint8_t data[1 + PPP_MSCHAP_RESPONSE_LEN + AUTH_NAME_MAX];

	data[0] = (uint8_t)vlen;
	memcpy(data + 1, value, vlen);
	memcpy(data + 1 + vlen, ppp->user, ulen);
	auth_send(ppp, PPP_PROTO_CHAP, PPP_CHAP_RESPONSE, ppp->auth.id, data, 1 + vlen + ulen);
}

/* The Response Value to a Challenge (RFC 1994 §4.1, RFC 2759 §4), and for
 * MS-CHAPv2 the Authenticator Response to expect. */
static int auth_cli_compute(struct ppp *ppp, const uint8_t *chal, size_t clen, uint8_t *value,
                            size_t *vlen)
{
	size_t ulen = strnlen(ppp->user, AUTH_NAME_MAX);
	uint8_t *nt = value + PPP_MSCHAP_CHALLENGE_LEN + 8;

	if (ppp->auth.method == PPP_AUTH_CHAP_MD5) {
		ppp_chap_md5(ppp->auth.id, (const uint8_t *)ppp->password, strlen(ppp->password),
		             chal, clen, value);
		*vlen = PPP_MD5_LEN;
		return 0;
	}
	memset(value, 0, PPP_MSCHAP_RESPONSE_LEN);
	ppp_random(ppp, value, PPP_MSCHAP_CHALLENGE_LEN);
	*vlen = PPP_MSCHAP_RESPONSE_LEN;
	if (ppp_mschapv2_nt_response(chal, value, ppp->user, ulen, ppp->password, nt) < 0)
		return -EINVAL;
	return ppp_mschapv2_authenticator_response(ppp->password, nt, value, chal, ppp->user, ulen,
	                                           ppp->auth.tmp->authresp);
}

static void auth_cli_challenge(struct ppp *ppp, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct ppp_auth *a = &ppp->auth;
	const uint8_t *d = pkt + PPP_CTRL_HDR_LEN;
	size_t dlen = len - PPP_CTRL_HDR_LEN, vs, vlen;
	uint8_t value[PPP_MSCHAP_RESPONSE_LEN];

	if (dlen < 1 || d[0] == 0 || (size_t)d[0] + 1 > dlen) {
		ppp->stats.rx_malformed++;
		return;
	}
	vs = d[0];
	/* RFC 1994 §4.1: a Challenge may come again in the Network phase;
	 * MS-CHAPv2 has no such thing. */
	if (a->state == AUTH_OK) {
		if (a->method != PPP_AUTH_CHAP_MD5) {
			ppp->stats.rx_discarded++;
			return;
		}
		a->id = pkt[1];
		auth_cli_compute(ppp, d + 1, vs, value, &vlen);
		auth_cli_send_response(ppp, value, vlen);
		return;
	}
	if (a->method == PPP_AUTH_MSCHAPV2 && vs != PPP_MSCHAP_CHALLENGE_LEN) {
		ppp->stats.rx_malformed++;
		return;
	}
	a->id = pkt[1];
	if (auth_cli_compute(ppp, d + 1, vs, a->tmp->value, &vlen) < 0) {
		auth_done(ppp, false, "password unusable for MS-CHAPv2");
		auth_fail(ppp, PPP_CAUSE_AUTH_FAILED, PPP_DIR_LOCAL,
		          "password unusable for MS-CHAPv2", now);
		return;
	}
	a->tmp->value_len = (uint8_t)vlen;
	auth_cli_send_response(ppp, a->tmp->value, vlen);
	/* The Success may be lost, and the server repeats it for a repeated
	 * Response (§4.1): so we repeat ours until the verdict comes. */
	a->state = AUTH_CLI_RESULT;
	a->tries = ppp->cfg->fsm.max_configure ? ppp->cfg->fsm.max_configure - 1 : 0;
	a->deadline = now + ppp->cfg->fsm.restart_ms;
}

/* RFC 2759 §5: "S=" and 40 hexadecimal digits must be our expectation. */
static bool auth_authstr_ok(const struct ppp_auth_tmp *tmp, const uint8_t *m, size_t len)
{
	char expect[PPP_MSCHAP_AUTHSTR_LEN + 1];
	uint8_t got[PPP_MSCHAP_AUTHSTR_LEN];

	if (len < PPP_MSCHAP_AUTHSTR_LEN)
		return false;
	ppp_mschapv2_authstr(tmp->authresp, expect);
	for (size_t i = 0; i < PPP_MSCHAP_AUTHSTR_LEN; i++)
		got[i] = (m[i] >= 'a' && m[i] <= 'f') ? (uint8_t)(m[i] - 'a' + 'A') : m[i];
	return ppp_equal_ct(got, (const uint8_t *)expect, PPP_MSCHAP_AUTHSTR_LEN);
}

/* The human part of an MS-CHAPv2 Success or Failure: after "M=". */
static void auth_mschap_text(char *out, size_t cap, const uint8_t *m, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (m[i] == 'M' && m[i + 1] == '=' && (i == 0 || m[i - 1] == ' ')) {
			auth_text(out, cap, m + i + 2, len - i - 2);
			return;
		}
	}
	auth_text(out, cap, m, len);
}

static void auth_cli_chap(struct ppp *ppp, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct ppp_auth *a = &ppp->auth;
	const uint8_t *m = pkt + PPP_CTRL_HDR_LEN;
	size_t mlen = len - PPP_CTRL_HDR_LEN;
	char msg[AUTH_MSG_MAX + 1];

	if (pkt[0] == PPP_CHAP_CHALLENGE) {
		if (a->state == AUTH_CLI_WAIT || a->state == AUTH_CLI_RESULT || a->state == AUTH_OK)
			auth_cli_challenge(ppp, pkt, len, now);
		else
			ppp->stats.rx_discarded++;
		return;
	}
	if ((pkt[0] != PPP_CHAP_SUCCESS && pkt[0] != PPP_CHAP_FAILURE) ||
	    a->state != AUTH_CLI_RESULT || pkt[1] != a->id) {
		ppp->stats.rx_discarded++;
		return;
	}
	if (a->method == PPP_AUTH_MSCHAPV2)
		auth_mschap_text(msg, sizeof(msg), m, mlen);
	else
		auth_text(msg, sizeof(msg), m, mlen);
	if (pkt[0] == PPP_CHAP_FAILURE) {
		auth_done(ppp, false, msg);
		auth_fail(ppp, PPP_CAUSE_AUTH_FAILED, PPP_DIR_LOCAL, "peer refused our credentials",
		          now);
		return;
	}
	if (a->method == PPP_AUTH_MSCHAPV2 && !auth_authstr_ok(a->tmp, m, mlen)) {
		auth_done(ppp, false, "bad authenticator response");
		auth_fail(ppp, PPP_CAUSE_AUTH_FAILED, PPP_DIR_PEER,
		          "server failed MS-CHAPv2 mutual authentication", now);
		return;
	}
	auth_free_tmp(ppp);
	auth_done(ppp, true, msg);
	auth_succeed(ppp, now);
}

/* ---- both ------------------------------------------------------------ */

void ppp_auth_start(struct ppp *ppp, uint64_t now)
{
	struct ppp_auth *a = &ppp->auth;
	bool server = ppp->cfg->role == PPP_ROLE_SERVER;

	auth_free_tmp(ppp);
	a->method = server ? ppp->lcp.auth : ppp->lcp.peer_auth;
	a->proxied = 0;
	a->tries = ppp->cfg->fsm.max_configure;
	if (a->method != PPP_AUTH_PAP) {
		a->tmp = calloc(1, sizeof(*a->tmp));
		if (!a->tmp) {
			ppp_link_fail(ppp, PPP_CAUSE_NONE, 0, PPP_DIR_LOCAL, "out of memory", now);
			return;
		}
	}
	if (server) {
		a->state = AUTH_SRV_WAIT;
		if (a->method == PPP_AUTH_PAP)
			a->deadline = now + auth_wait_ms(ppp);
		else
			auth_send_challenge(ppp, now);
		return;
	}
	a->state = AUTH_CLI_WAIT;
	if (a->method == PPP_AUTH_PAP)
		auth_send_pap(ppp, now);
	else
		a->deadline = now + auth_wait_ms(ppp);
}

void ppp_auth_stop(struct ppp *ppp)
{
	auth_free_tmp(ppp);
	ppp->auth.state = AUTH_IDLE;
	ppp->auth.deadline = PPP_NO_DEADLINE;
}

void ppp_auth_release(struct ppp *ppp)
{
	if (ppp->auth.state == AUTH_OK && ppp->auth.tmp) {
		auth_free_tmp(ppp);
		ppp->auth.deadline = PPP_NO_DEADLINE;
	}
}

void ppp_auth_input(struct ppp *ppp, uint16_t proto, const uint8_t *pkt, size_t len, uint64_t now)
{
	size_t plen;

	if (len < PPP_CTRL_HDR_LEN || (plen = ppp_get16(pkt + 2)) < PPP_CTRL_HDR_LEN ||
	    plen > len) {
		ppp->stats.rx_malformed++;
		return;
	}
	if (ppp->auth.state == AUTH_IDLE || proto != auth_proto(ppp->auth.method)) {
		ppp->stats.rx_discarded++;
		return;
	}
	if (ppp->cfg->role == PPP_ROLE_SERVER) {
		if (proto == PPP_PROTO_PAP)
			auth_srv_pap(ppp, pkt, plen, now);
		else
			auth_srv_chap(ppp, pkt, plen, now);
	} else {
		if (proto == PPP_PROTO_PAP)
			auth_cli_pap(ppp, pkt, plen, now);
		else
			auth_cli_chap(ppp, pkt, plen, now);
	}
}

void ppp_auth_tick(struct ppp *ppp, uint64_t now)
{
	struct ppp_auth *a = &ppp->auth;

	if (a->deadline == PPP_NO_DEADLINE || now < a->deadline)
		return;
	a->deadline = PPP_NO_DEADLINE;
	switch (a->state) {
	case AUTH_SRV_WAIT:
		if (a->method != PPP_AUTH_PAP && a->tries > 0) {
			auth_send_challenge(ppp, now);
			return;
		}
		break;
	case AUTH_CLI_WAIT:
		if (a->method == PPP_AUTH_PAP && a->tries > 0) {
			auth_send_pap(ppp, now);
			return;
		}
		break;
	case AUTH_CLI_RESULT:
		if (a->tries > 0) {
			a->tries--;
			auth_cli_send_response(ppp, a->tmp->value, a->tmp->value_len);
			a->deadline = now + ppp->cfg->fsm.restart_ms;
			return;
		}
		break;
	case AUTH_OK:
		auth_free_tmp(ppp);
		return;
	default:
		return;
	}
	/* RFC 3145 §3.3 code 13. */
	auth_done(ppp, false, "timeout");
	auth_fail(ppp, PPP_CAUSE_AUTH_TIMEOUT, PPP_DIR_GLOBAL, "authentication timed out", now);
}

bool ppp_auth_awaiting_verdict(const struct ppp *ppp)
{
	const struct ppp_auth *a = &ppp->auth;

	/* PAP: our Authenticate-Request goes out as the phase starts (RFC 1334
	 * §2.2); CHAP: from our Response on (RFC 1994 §4.1). */
	return ppp->cfg->role == PPP_ROLE_CLIENT &&
	       ((a->state == AUTH_CLI_WAIT && a->method == PPP_AUTH_PAP) ||
	        a->state == AUTH_CLI_RESULT);
}

uint64_t ppp_auth_deadline(const struct ppp *ppp)
{
	return ppp->auth.deadline;
}

size_t ppp_auth_memory(const struct ppp *ppp)
{
	return ppp->auth.tmp ? sizeof(*ppp->auth.tmp) : 0;
}

/* ---- proxy authentication (RFC 2661 §4.4.5) -------------------------- */

static uint8_t auth_proxy_method(uint16_t type)
{
	switch (type) {
	case PPP_PROXY_AUTHEN_TEXT:
	case PPP_PROXY_AUTHEN_PAP:
		return PPP_AUTH_PAP;
	case PPP_PROXY_AUTHEN_CHAP:
		return PPP_AUTH_CHAP_MD5;
	default:
		return PPP_AUTH_NONE;
	}
}

int ppp_auth_proxy_check(const struct ppp *ppp, const struct ppp_proxy *px)
{
	uint8_t m = auth_proxy_method(px->auth_type);

	switch (px->auth_type) {
	case PPP_PROXY_AUTHEN_NONE_GIVEN:
		return 0;
	case PPP_PROXY_AUTHEN_NONE:
		return ppp->cfg->auth[0] == PPP_AUTH_NONE || ppp->cfg->auth_optional ? 0 : -EPROTO;
	case PPP_PROXY_AUTHEN_MSCHAPV1:
		return -ENOTSUP;
	case PPP_PROXY_AUTHEN_TEXT:
	case PPP_PROXY_AUTHEN_PAP:
	case PPP_PROXY_AUTHEN_CHAP:
		break;
	default:
		return -EINVAL;
	}
	if (!ppp_auth_pref_has(ppp->cfg, m))
		return -EPROTO;
	if ((px->auth_name_len && !px->auth_name) || px->auth_name_len > AUTH_NAME_MAX ||
	    !px->auth_response || px->auth_response_len > AUTH_NAME_MAX)
		return -EINVAL;
	if (m == PPP_AUTH_CHAP_MD5 &&
	    (!px->auth_challenge || !px->auth_challenge_len ||
	     px->auth_challenge_len > AUTH_NAME_MAX || px->auth_response_len != PPP_MD5_LEN))
		return -EINVAL;
	return 0;
}

void ppp_auth_proxy(struct ppp *ppp, const struct ppp_proxy *px, uint64_t now)
{
	struct ppp_auth *a = &ppp->auth;
	struct ppp_auth_request req = {0};

	a->method = auth_proxy_method(px->auth_type);
	if (a->method == PPP_AUTH_NONE) {
		auth_succeed(ppp, now);
		return;
	}
	a->proxied = 1;
	a->id = px->auth_id;
	if (a->method == PPP_AUTH_PAP) {
		req.password = px->auth_response;
		req.password_len = px->auth_response_len;
	} else {
		req.id = px->auth_id;
		req.challenge = px->auth_challenge;
		req.challenge_len = px->auth_challenge_len;
		req.response = px->auth_response;
		req.response_len = px->auth_response_len;
	}
	auth_verify(ppp, &req, px->auth_name ? px->auth_name : (const uint8_t *)"",
	            px->auth_name_len, now);
}
