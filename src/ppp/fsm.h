/* The option negotiation automaton of RFC 1661 §4, written once and driven
 * by a small table of operations per control protocol (LCP, IPCP, IPV6CP).
 *
 * No clock and no I/O of its own: every entry point takes the time in
 * milliseconds, packets leave through ops->output(), and the owner calls
 * ppp_fsm_tick() when ppp_fsm_deadline() is reached. The automaton parses
 * and checks the generic part of every packet (Code, Identifier, Length,
 * option framing; an Ack must repeat our last request exactly, a Reject must
 * be a subset of it); the protocol judges option values. */
#ifndef PPP_FSM_H
#define PPP_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PPP_NO_DEADLINE UINT64_MAX

/* Largest control packet we build (Code-Reject and Protocol-Reject copies are
 * truncated to fit, RFC 1661 §5.6, §5.7). */
#define PPP_CTRL_MAX 1500

/* RFC 1661 §4.2, numbered as in the §4.1 table. */
enum ppp_fsm_state {
	PPP_FSM_INITIAL,
	PPP_FSM_STARTING,
	PPP_FSM_CLOSED,
	PPP_FSM_STOPPED,
	PPP_FSM_CLOSING,
	PPP_FSM_STOPPING,
	PPP_FSM_REQ_SENT,
	PPP_FSM_ACK_RCVD,
	PPP_FSM_ACK_SENT,
	PPP_FSM_OPENED,
	PPP_FSM_NSTATES
};

/* RFC 1661 §4.3. */
enum ppp_fsm_event {
	PPP_EV_UP,
	PPP_EV_DOWN,
	PPP_EV_OPEN,
	PPP_EV_CLOSE,
	PPP_EV_TO_PLUS,
	PPP_EV_TO_MINUS,
	PPP_EV_RCR_PLUS,
	PPP_EV_RCR_MINUS,
	PPP_EV_RCA,
	PPP_EV_RCN,
	PPP_EV_RTR,
	PPP_EV_RTA,
	PPP_EV_RUC,
	PPP_EV_RXJ_PLUS,
	PPP_EV_RXJ_MINUS,
	PPP_EV_RXR,
	PPP_EV_COUNT
};

/* A protocol's judgement of one option of the peer's Configure-Request. */
enum ppp_opt_verdict {
	PPP_OPT_ACK,
	PPP_OPT_NAK, /* the suggested option was written to the nak buffer */
	PPP_OPT_REJ,
};

/* Longest option a protocol may write into a Nak per call. */
#define PPP_FSM_NAK_OPT_MAX 16

/* Restart timer and counters (RFC 1661 §4.6). */
struct ppp_fsm_conf {
	uint32_t restart_ms;   /* RFC default 3000 */
	uint8_t max_terminate; /* RFC default 2 */
	uint8_t max_configure; /* RFC default 10 */
	uint8_t max_failure;   /* RFC default 5 */
};

struct ppp_fsm;

struct ppp_fsm_ops {
	uint16_t proto;
	const char *name;
	const struct ppp_fsm_conf *(*conf)(const struct ppp_fsm *f);
	/* Largest packet the peer accepts (its MRU); NULL: 1500. */
	size_t (*peer_mru)(const struct ppp_fsm *f);
	/* Transmit the control packet at pkt; PPP_HEADROOM writable octets
	 * precede it for the link header. */
	void (*output)(struct ppp_fsm *f, uint8_t *pkt, size_t len);

	/* Our Configure-Request options. A function of the protocol's state
	 * only, so that an Ack or a Reject is checked against a rebuilt copy. */
	size_t (*build_req)(struct ppp_fsm *f, uint8_t *buf, size_t cap);
	/* The peer's Configure-Request: req_begin() resets what a request
	 * negotiates, req_opt() judges one option (opt[1] is its checked length;
	 * for a Nak it writes the suggested option at nak, at most
	 * PPP_FSM_NAK_OPT_MAX octets, and its length at *nak_len), req_end()
	 * (may be NULL) appends options we want the peer to request. */
	void (*req_begin)(struct ppp_fsm *f);
	enum ppp_opt_verdict (*req_opt)(struct ppp_fsm *f, const uint8_t *opt, uint8_t *nak,
	                                size_t *nak_len);
	size_t (*req_end)(struct ppp_fsm *f, uint8_t *buf, size_t cap);
	/* A Nak of our last request (options framing checked): apply it, or
	 * return negative to have the packet discarded as invalid. */
	int (*rcv_nak)(struct ppp_fsm *f, const uint8_t *opts, size_t len);
	/* A Reject, already checked to be a subset of our last request. */
	void (*rcv_rej)(struct ppp_fsm *f, const uint8_t *opts, size_t len);

	/* This-Layer-Up/-Down/-Started/-Finished (RFC 1661 §4.4); any may be
	 * NULL. tlf is told the event that caused it and the state it left
	 * (a TO- while negotiating is a timeout; one while Stopping is not). */
	void (*tlu)(struct ppp_fsm *f, uint64_t now);
	void (*tld)(struct ppp_fsm *f, uint64_t now);
	void (*tls)(struct ppp_fsm *f, uint64_t now);
	void (*tlf)(struct ppp_fsm *f, enum ppp_fsm_event ev, enum ppp_fsm_state from,
	            uint64_t now);

	/* Codes above Code-Reject: 0 if understood, negative for the RUC event
	 * (a Code-Reject). NULL: every such code is unknown. */
	int (*rx_code)(struct ppp_fsm *f, const uint8_t *pkt, size_t len, uint64_t now);
	/* Send-Echo-Reply action for an RXR event in Opened (LCP only). */
	void (*ser)(struct ppp_fsm *f, const uint8_t *pkt, size_t len);
	/* A Code-Reject of code: true if catastrophic (RXJ-), false for RXJ+.
	 * NULL: the codes of §5 up to Code-Reject are catastrophic. */
	bool (*code_rejected)(struct ppp_fsm *f, uint8_t code);
};

struct ppp_fsm {
	const struct ppp_fsm_ops *ops;
	uint64_t deadline; /* Restart timer; PPP_NO_DEADLINE when stopped */
	uint8_t state;     /* enum ppp_fsm_state */
	uint8_t seq;       /* last Identifier we used */
	uint8_t reqid;     /* Identifier of our last Configure- or Terminate-Request */
	uint8_t restart;   /* Restart counter */
	uint8_t failures;  /* Configure-Naks sent since the last Configure-Ack (Max-Failure) */
	uint8_t nak_id;    /* Identifier of the last request we Nak'd */
	uint8_t flags;
};

void ppp_fsm_init(struct ppp_fsm *f, const struct ppp_fsm_ops *ops);

/* Administrative and lower-layer events. */
void ppp_fsm_up(struct ppp_fsm *f, uint64_t now);
void ppp_fsm_down(struct ppp_fsm *f, uint64_t now);
void ppp_fsm_open(struct ppp_fsm *f, uint64_t now);
void ppp_fsm_close(struct ppp_fsm *f, uint64_t now);

/* One control packet (Code onwards; octets past its Length are padding).
 * 0, or -EINVAL if it was malformed or invalid and silently discarded. */
int ppp_fsm_input(struct ppp_fsm *f, const uint8_t *pkt, size_t len, uint64_t now);

/* A Protocol-Reject of this protocol arrived (RXJ+ or RXJ-, §5.7), or an
 * Echo or Discard packet was received (RXR). */
void ppp_fsm_rxj(struct ppp_fsm *f, bool catastrophic, uint64_t now);
void ppp_fsm_rxr(struct ppp_fsm *f, const uint8_t *pkt, size_t len, uint64_t now);

void ppp_fsm_tick(struct ppp_fsm *f, uint64_t now);

static inline uint64_t ppp_fsm_deadline(const struct ppp_fsm *f)
{
	return f->deadline;
}

/* A fresh Identifier (Echo-Request, Protocol-Reject, ...). */
uint8_t ppp_fsm_new_id(struct ppp_fsm *f);

/* Build and send a control packet of this protocol. */
void ppp_fsm_send(struct ppp_fsm *f, uint8_t code, uint8_t id, const uint8_t *data, size_t len);

const char *ppp_fsm_state_name(enum ppp_fsm_state s);
const char *ppp_fsm_event_name(enum ppp_fsm_event e);

#endif
