/* Fuzz AVP hiding (RFC 2661 §4.3) on its own: l2tp_unhide over arbitrary
 * hidden values, and the round trip unhide(hide(x)) == x for any value,
 * secret, vector, attribute type and padding.
 *
 * Input layout (fuzz/make_seeds.c writes seeds in it):
 *   [0]     secret length S
 *   [1]     vector length V
 *   [2..3]  attribute type, big-endian
 *   [4]     padding octets for the round trip
 *   then S octets of secret, V of vector, and the rest: the hidden value
 *   (the Hidden AVP Subformat as received) for unhide, and the cleartext
 *   for the round trip. S and V are cut short if the input is. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l2tp/avp.h"
#include "l2tp/hidden.h"
#include "l2tp/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define HEADER 5

static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t n)
{
	uint8_t x = 0;

	for (size_t i = 0; i < n; i++)
		x ^= p[i];
	sink = x;
}

/* Copies onto the heap at exactly n octets (at least 1 so there is a
 * pointer) so ASan sees any access past what the callee was given. */
static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	if (q && n)
		memcpy(q, p, n);
	return q;
}

static void check_unhide(uint16_t type, const struct l2tp_secret *s, const uint8_t *vector,
                         size_t vlen_vec, const uint8_t *hidden, size_t len)
{
	uint8_t *buf = dup_exact(hidden, len);
	uint8_t *value = NULL;
	size_t vlen = 0;
	int rc;

	if (!buf)
		return;
	rc = l2tp_unhide(type, s, vector, vlen_vec, buf, len, &value, &vlen);
	if (rc == 0) {
		CHECK(len >= 2 && value == buf + 2 && vlen <= len - 2);
		touch(value, vlen);
	} else {
		CHECK(rc == -L2TP_E_HIDDEN_LENGTH || rc == -L2TP_E_AVP_VALUE);
		CHECK(rc != -L2TP_E_AVP_VALUE || len < 2);
	}
	free(buf);
}

static void check_round_trip(uint16_t type, const struct l2tp_secret *s, const uint8_t *vector,
                             size_t vlen_vec, const uint8_t *x, size_t xlen, size_t pad)
{
	uint8_t padding[255];
	size_t need = 2 + xlen + pad;
	uint8_t *out, *value = NULL;
	size_t vlen = 0;
	int rc;

	/* The original length travels in 16 bits. */
	if (xlen > UINT16_MAX)
		return;
	for (size_t i = 0; i < pad; i++)
		padding[i] = (uint8_t)(0xa5 ^ i);

	/* One octet too small: refused, and nothing written past cap. */
	out = malloc(need - 1);
	if (!out)
		return;
	rc = l2tp_hide(type, s, vector, vlen_vec, x, xlen, padding, pad, out, need - 1);
	CHECK(rc == -L2TP_E_NOSPACE);
	free(out);

	out = malloc(need);
	if (!out)
		return;
	rc = l2tp_hide(type, s, vector, vlen_vec, x, xlen, padding, pad, out, need);
	CHECK(rc >= 0 && (size_t)rc == need);
	rc = l2tp_unhide(type, s, vector, vlen_vec, out, need, &value, &vlen);
	CHECK(rc == 0);
	CHECK(vlen == xlen && value == out + 2);
	CHECK(xlen == 0 || memcmp(value, x, xlen) == 0);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct l2tp_secret s;
	uint8_t *secret, *vector;
	size_t slen, vlen, pad, off;
	uint16_t type;

	if (size < HEADER)
		return 0;
	off = HEADER;
	slen = data[0] < size - off ? data[0] : size - off;
	off += slen;
	vlen = data[1] < size - off ? data[1] : size - off;
	off += vlen;
	type = (uint16_t)(data[2] << 8 | data[3]);
	pad = data[4];

	/* Secret and vector on the heap too, at their exact lengths. */
	secret = dup_exact(data + HEADER, slen);
	vector = dup_exact(data + HEADER + slen, vlen);
	if (secret && vector) {
		s.data = secret;
		s.len = slen;
		check_unhide(type, &s, vector, vlen, data + off, size - off);
		check_round_trip(type, &s, vector, vlen, data + off, size - off, pad);
	}
	free(secret);
	free(vector);
	return 0;
}
