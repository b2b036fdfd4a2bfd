/* AVP hiding (RFC 2661 §4.3) and tunnel authentication (§4.4.3 Challenge
 * Response, §5.1.1), both MD5 constructions over the shared secret. */
#ifndef L2TP_HIDDEN_H
#define L2TP_HIDDEN_H

#include <stddef.h>
#include <stdint.h>

#include "avp.h"

/* Hide value (vlen octets) of AVP attr_type: writes the Hidden AVP Subformat
 * (2-octet original length, value, pad octets of padding) encrypted into
 * out. Returns the octets written (2 + vlen + pad), -L2TP_E_NOSPACE, or
 * -L2TP_E_INVALID for a value too long to describe in 16 bits. */
int l2tp_hide(uint16_t attr_type, const struct l2tp_secret *secret, const uint8_t *vector,
	      size_t vector_len, const uint8_t *value, size_t vlen, const uint8_t *padding,
	      size_t pad, uint8_t *out, size_t cap);

/* Reverse l2tp_hide in place over buf (len octets). On success *value points
 * into buf at the original value and *vlen is its length, checked to fit in
 * len - 2; returns 0 or -L2TP_E_HIDDEN_LENGTH / -L2TP_E_AVP_VALUE (len < 2). */
int l2tp_unhide(uint16_t attr_type, const struct l2tp_secret *secret, const uint8_t *vector,
		size_t vector_len, uint8_t *buf, size_t len, uint8_t **value, size_t *vlen);

/* Challenge Response = MD5(message type octet || secret || challenge);
 * message_type is that of the message carrying the response (SCCRP = 2,
 * SCCCN = 3). */
void l2tp_challenge_response(uint8_t message_type, const struct l2tp_secret *secret,
			     const uint8_t *challenge, size_t challenge_len, uint8_t out[16]);

#endif
