/* One of each RFC 2661 control message, a ZLB and a data message, built with
 * the codec's builder and recorded as we meant them: which AVPs, in which
 * order, with which M and H bits and which AVP Length (a range where the
 * builder pads a hidden value randomly). Shared by tests/wire/wire_pcap.c,
 * which writes them to a pcap for tshark, and fuzz/make_seeds.c, which
 * writes them as the fuzzers' seed corpus. */
#ifndef L2TP_TEST_CATALOG_H
#define L2TP_TEST_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l2tp/avp.h"

#define CATALOG_MAX_MSG  1500
#define CATALOG_MAX_AVPS 48
/* Padding the builder may add after each hidden value in the hidden set. */
#define CATALOG_PAD_MAX 7

enum catalog_kind { CATALOG_CONTROL, CATALOG_ZLB, CATALOG_DATA };

/* One AVP as we asked the builder for it. */
struct catalog_avp {
	uint16_t type;
	bool mandatory;
	bool hidden;
	uint16_t len_min; /* total AVP Length, header included */
	uint16_t len_max;
};

struct catalog_msg {
	const char *name; /* "SCCRQ", ..., "ZLB", "DATA" */
	enum catalog_kind kind;
	uint16_t msg_type;  /* control messages only */
	bool hidden_set;    /* built with hiding on */
	bool from_lac;      /* direction, for the pcap's addresses */
	uint16_t tunnel_id; /* header fields */
	uint16_t session_id;
	uint8_t buf[CATALOG_MAX_MSG];
	size_t len; /* as l2tp_builder_finish() returned it */
	struct catalog_avp avp[CATALOG_MAX_AVPS];
	unsigned n_avps;
	const uint8_t *payload; /* DATA: the PPP frame after the header */
	size_t payload_len;
};

/* Called once per message, in order; a non-zero return stops the walk and
 * is returned by catalog_build(). */
typedef int (*catalog_emit_fn)(const struct catalog_msg *m, void *ctx);

/* Build the whole set: with hide false the 14 control messages, a ZLB and a
 * data message; with hide true the 14 control messages again with every
 * hideable AVP hidden (a ZLB or data message has nothing to hide). Hiding
 * uses catalog_secret and a fixed pseudo-random source, so the output is the
 * same on every run. Returns 0, the emit callback's non-zero value, or
 * -L2TP_E_* if the builder failed (reported on stderr). */
int catalog_build(bool hide, catalog_emit_fn emit, void *ctx);

/* The shared secret the hidden set and the Challenge Responses use; the
 * string too, for the fuzzers, which unhide the seeds without linking this. */
#define CATALOG_SECRET "l2tpd wire test secret"
extern const struct l2tp_secret catalog_secret;

#endif
