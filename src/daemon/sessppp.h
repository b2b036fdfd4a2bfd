/* The glue between an L2TP session and its PPP link: one struct sessppp
 * per established session on which we terminate PPP (the LNS side of an
 * incoming call, and our own [client] calls), created when the session
 * comes up and freed with it.
 *
 * LNS: authenticate against the [lns] users file, give the peer an
 * address from the section's pool (or its static one), and move IPv4
 * between the PPP link and the LNS TUN ([global] tun), found by address
 * through an iptable. Client: a TUN of its own, the address IPCP gave,
 * a pinned host route to the LNS, then the configured routes; reconnect
 * with exponential backoff when the call goes away.
 *
 * PPP frames travel as L2TP data messages (session_send_data() and the
 * session's data callback). Daemon-wide state (TUN, pools, users, address
 * table, client redial timers) is a struct sessppp_ctx in struct l2tpd. */
#ifndef L2TPD_SESSPPP_H
#define L2TPD_SESSPPP_H

#include <stddef.h>
#include <stdint.h>

struct l2tpd;
struct config;
struct session;
struct sessppp;
struct sessppp_ctx;

/* `l2tpd -n`: load every users file of cfg and let it go, so that a bad
 * line is reported at check time, not when the daemon starts. 0 or -errno
 * with "FILE:LINE: what" in err. */
int sessppp_check(const struct config *cfg, char *err, size_t errlen);
/* After the configuration is loaded: users files, pools, the LNS TUN.
 * 0 or -errno with a message in err. */
int sessppp_init(struct l2tpd *d, char *err, size_t errlen);
/* Before cfg replaces d->cfg: load its users files (an error keeps the old
 * configuration), add new pools. 0 or -errno with a message in err. */
int sessppp_reload(struct l2tpd *d, const struct config *cfg, char *err, size_t errlen);
/* Dial every [client] with autostart. */
void sessppp_autostart(struct l2tpd *d);
void sessppp_fini(struct l2tpd *d);

struct tunnel;

/* An OCRQ on t (RFC 2661 §7.5.1): NULL when a [client] with
 * accept_outgoing for t's peer will answer it with its PPP; otherwise why
 * not, and the CDN result code in *result (6: no such endpoint, 4: the
 * client has its call already). */
const char *sessppp_outgoing_refusal(struct tunnel *t, uint16_t *result);
/* s is the accepted outgoing call: it is that [client]'s (role "client",
 * its user), before s reaches established. */
void sessppp_outgoing_bind(struct session *s);
/* s reached established: start PPP on it if we terminate it. */
void sessppp_session_up(struct session *s);
/* s is being freed (any reason): free its PPP link, address, table entry,
 * timer, TUN; a client call schedules its redial. */
void sessppp_session_gone(struct session *s);
/* The peer's CDN (result) is about to free s: a client whose
 * authentication was still waiting for the verdict takes it as a refusal. */
void sessppp_session_cleared(struct session *s, uint16_t result);
/* `l2tpctl dial NAME` for a [client]: 0, or -errno with a message. */
int sessppp_client_dial(struct l2tpd *d, const char *name, char *msg, size_t msglen);
/* An operator's close of a [client]'s destination, tunnel or session: it
 * stays down (no redial) until dialled again. */
void sessppp_client_hangup(struct l2tpd *d, const char *name);

#endif
