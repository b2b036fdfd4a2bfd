/* Unit tests of AVP hiding (RFC 2661 §4.3) and the Challenge Response
 * (§4.4.3). The expected octets were computed outside this code, with
 * Python's hashlib, by this function (RFC 2661 §4.3, "b1 = MD5(AV + S + RV)",
 * "bi = MD5(S + c(i-1))"):
 *
 *   import hashlib
 *   def hide(t, S, RV, v, pad=b''):
 *       p = len(v).to_bytes(2, 'big') + v + pad; out = b''
 *       b = hashlib.md5(t.to_bytes(2, 'big') + S + RV).digest()
 *       for i in range(0, len(p), 16):
 *           c = bytes(x ^ y for x, y in zip(p[i:i+16], b)); out += c
 *           b = hashlib.md5(S + c).digest()
 *       return out
 *   S = b's3cret-shared'; RV = bytes(range(0xa0, 0xb0))
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "l2tp/hidden.h"
#include "l2tp/wire.h"

static const uint8_t kat_secret[] = "s3cret-shared";
static const struct l2tp_secret secret = {kat_secret, sizeof(kat_secret) - 1};
static const uint8_t vector[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                   0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};

/* hide(9, S, RV, bytes([0x12, 0x34])): a 4-octet subformat, shorter than one
 * MD5 block. */
static const uint8_t kat_short_value[] = {0x12, 0x34};
static const uint8_t kat_short[] = {0x91, 0x93, 0xa9, 0xde};

/* hide(30, S, RV, b'alice@example.net'): 19 octets, two blocks. */
static const char kat_two_value[] = "alice@example.net";
static const uint8_t kat_two[] = {0x97, 0x99, 0x45, 0x55, 0xe7, 0xdd, 0xc8, 0x22, 0x03, 0x2a,
                                  0x13, 0x7b, 0xcc, 0x8f, 0x64, 0xfa, 0xbc, 0x11, 0xe1};

/* hide(33, S, RV, bytes(range(40)), bytes([0xee] * 5)): 2 + 40 + 5 = 47
 * octets, three blocks, with padding. */
static const uint8_t kat_three_pad[5] = {0xee, 0xee, 0xee, 0xee, 0xee};
static const uint8_t kat_three[] = {
    0xa9, 0xa6, 0xcf, 0x36, 0x14, 0xe1, 0x01, 0x1c, 0xfb, 0x5d, 0x68, 0x21, 0x30, 0x35, 0xb3, 0x83,
    0xc7, 0x87, 0x25, 0x88, 0x33, 0xfc, 0xbd, 0x88, 0xe8, 0x4a, 0xe9, 0xc7, 0xfe, 0xae, 0x9e, 0x3e,
    0xfa, 0x15, 0x0d, 0x07, 0x22, 0xb3, 0x41, 0x46, 0x10, 0xa3, 0x41, 0xb8, 0xad, 0x83, 0xd1};

static void kat_three_value(uint8_t v[40])
{
	for (int i = 0; i < 40; i++)
		v[i] = (uint8_t)i;
}

static void test_hide_kat_short(void **state)
{
	uint8_t out[64];
	uint8_t *v;
	size_t vlen;

	(void)state;
	assert_int_equal(l2tp_hide(9, &secret, vector, sizeof(vector), kat_short_value,
	                           sizeof(kat_short_value), NULL, 0, out, sizeof(out)),
	                 sizeof(kat_short));
	assert_memory_equal(out, kat_short, sizeof(kat_short));

	assert_int_equal(
	    l2tp_unhide(9, &secret, vector, sizeof(vector), out, sizeof(kat_short), &v, &vlen), 0);
	assert_ptr_equal(v, out + 2);
	assert_int_equal(vlen, sizeof(kat_short_value));
	assert_memory_equal(v, kat_short_value, vlen);
}

static void test_hide_kat_two_blocks(void **state)
{
	uint8_t out[64];
	uint8_t *v;
	size_t vlen;

	(void)state;
	assert_int_equal(l2tp_hide(30, &secret, vector, sizeof(vector),
	                           (const uint8_t *)kat_two_value, strlen(kat_two_value), NULL, 0,
	                           out, sizeof(out)),
	                 sizeof(kat_two));
	assert_memory_equal(out, kat_two, sizeof(kat_two));

	/* Unhide the independent ciphertext, not our own output. */
	memcpy(out, kat_two, sizeof(kat_two));
	assert_int_equal(
	    l2tp_unhide(30, &secret, vector, sizeof(vector), out, sizeof(kat_two), &v, &vlen), 0);
	assert_int_equal(vlen, strlen(kat_two_value));
	assert_memory_equal(v, kat_two_value, vlen);
}

static void test_hide_kat_three_blocks_padded(void **state)
{
	uint8_t value[40], out[64];
	uint8_t *v;
	size_t vlen;

	(void)state;
	kat_three_value(value);
	assert_int_equal(l2tp_hide(33, &secret, vector, sizeof(vector), value, sizeof(value),
	                           kat_three_pad, sizeof(kat_three_pad), out, sizeof(out)),
	                 sizeof(kat_three));
	assert_memory_equal(out, kat_three, sizeof(kat_three));

	memcpy(out, kat_three, sizeof(kat_three));
	assert_int_equal(
	    l2tp_unhide(33, &secret, vector, sizeof(vector), out, sizeof(kat_three), &v, &vlen), 0);
	assert_int_equal(vlen, sizeof(value));
	assert_memory_equal(v, value, vlen);
	/* the padding comes back too, after the value */
	assert_memory_equal(v + vlen, kat_three_pad, sizeof(kat_three_pad));
}

/* The attribute type, the secret and the vector each change the result. */
static void test_hide_inputs_matter(void **state)
{
	uint8_t out[64];

	(void)state;
	l2tp_hide(10, &secret, vector, sizeof(vector), kat_short_value, sizeof(kat_short_value),
	          NULL, 0, out, sizeof(out));
	assert_memory_not_equal(out, kat_short, sizeof(kat_short));

	struct l2tp_secret other = {(const uint8_t *)"s3cret-sharee", 13};
	l2tp_hide(9, &other, vector, sizeof(vector), kat_short_value, sizeof(kat_short_value), NULL,
	          0, out, sizeof(out));
	assert_memory_not_equal(out, kat_short, sizeof(kat_short));

	l2tp_hide(9, &secret, vector, sizeof(vector) - 1, kat_short_value, sizeof(kat_short_value),
	          NULL, 0, out, sizeof(out));
	assert_memory_not_equal(out, kat_short, sizeof(kat_short));
}

/* MD5(2 || S || bytes(range(0x10, 0x20))):
 *   python3 -c "import hashlib; print(hashlib.md5(bytes([2]) + b's3cret-shared'
 *               + bytes(range(0x10, 0x20))).hexdigest())"
 */
static void test_challenge_response_kat(void **state)
{
	static const uint8_t expect[16] = {0x04, 0xee, 0x8b, 0x67, 0xb8, 0x54, 0x1a, 0x8c,
	                                   0xff, 0x8b, 0x19, 0x05, 0x6a, 0x94, 0x8c, 0x51};
	uint8_t challenge[16], out[16];

	(void)state;
	for (int i = 0; i < 16; i++)
		challenge[i] = (uint8_t)(0x10 + i);
	l2tp_challenge_response(2, &secret, challenge, sizeof(challenge), out);
	assert_memory_equal(out, expect, sizeof(expect));
	/* the SCCCN's response differs: the ID is the message type */
	l2tp_challenge_response(3, &secret, challenge, sizeof(challenge), out);
	assert_memory_not_equal(out, expect, sizeof(expect));
}

/* Round trip at every value length and padding around the block edges. */
static void test_roundtrip_lengths(void **state)
{
	uint8_t value[100], pad[40], out[160], *v;
	size_t vlen;

	(void)state;
	for (size_t i = 0; i < sizeof(value); i++)
		value[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = (uint8_t)(0x80 | i);
	for (size_t len = 0; len <= sizeof(value); len++) {
		for (size_t p = 0; p <= sizeof(pad); p += 13) {
			size_t total = 2 + len + p;
			uint8_t *buf;

			assert_int_equal(l2tp_hide(36, &secret, vector, sizeof(vector), value, len,
			                           pad, p, out, sizeof(out)),
			                 total);
			/* an exact-size copy, so ASan sees any overrun */
			buf = malloc(total);
			assert_non_null(buf);
			memcpy(buf, out, total);
			assert_int_equal(
			    l2tp_unhide(36, &secret, vector, sizeof(vector), buf, total, &v, &vlen),
			    0);
			assert_int_equal(vlen, len);
			assert_memory_equal(v, value, len);
			free(buf);
		}
	}
}

static void test_hide_nospace(void **state)
{
	uint8_t out[64];

	(void)state;
	assert_int_equal(
	    l2tp_hide(9, &secret, vector, sizeof(vector), kat_short_value, 2, NULL, 3, out, 6),
	    -L2TP_E_NOSPACE);
	assert_int_equal(
	    l2tp_hide(9, &secret, vector, sizeof(vector), kat_short_value, 2, NULL, 3, out, 7), 7);
}

/* A forged Length of Original Value beyond the AVP: the bug that was a
 * remote heap overflow elsewhere. The check must hold at every length. */
static void test_unhide_forged_length(void **state)
{
	uint8_t big[1000], out[1100];
	uint8_t *v = NULL;
	size_t vlen = 0;

	(void)state;
	memset(big, 'x', sizeof(big));
	assert_int_equal(l2tp_hide(30, &secret, vector, sizeof(vector), big, sizeof(big), NULL, 0,
	                           out, sizeof(out)),
	                 2 + sizeof(big));
	/* Cut the ciphertext short: the recovered length (1000) no longer fits. */
	for (size_t len = 2; len < 2 + sizeof(big); len += 37) {
		uint8_t *buf = malloc(len);

		assert_non_null(buf);
		memcpy(buf, out, len);
		assert_int_equal(
		    l2tp_unhide(30, &secret, vector, sizeof(vector), buf, len, &v, &vlen),
		    -L2TP_E_HIDDEN_LENGTH);
		free(buf);
	}
	/* One octet short of the value */
	uint8_t *buf = malloc(1 + sizeof(big));
	assert_non_null(buf);
	memcpy(buf, out, 1 + sizeof(big));
	assert_int_equal(
	    l2tp_unhide(30, &secret, vector, sizeof(vector), buf, 1 + sizeof(big), &v, &vlen),
	    -L2TP_E_HIDDEN_LENGTH);
	free(buf);

	/* Exactly the value: accepted */
	buf = malloc(2 + sizeof(big));
	assert_non_null(buf);
	memcpy(buf, out, 2 + sizeof(big));
	assert_int_equal(
	    l2tp_unhide(30, &secret, vector, sizeof(vector), buf, 2 + sizeof(big), &v, &vlen), 0);
	assert_int_equal(vlen, sizeof(big));
	free(buf);
}

/* A subformat that claims 0xffff octets in 2 octets. kat_short is
 * b1 XOR {0x00, 0x02, ...} for attribute 9, so XORing its first two octets
 * with {0x00, 0x02} and then with {0xff, 0xff} makes b1 decrypt them to
 * 0xffff, without the code under test forging anything. */
static void test_unhide_forged_max(void **state)
{
	uint8_t *buf = malloc(2), *v;
	size_t vlen;

	(void)state;
	assert_non_null(buf);
	buf[0] = (uint8_t)(kat_short[0] ^ 0x00 ^ 0xff);
	buf[1] = (uint8_t)(kat_short[1] ^ 0x02 ^ 0xff);
	assert_int_equal(l2tp_unhide(9, &secret, vector, sizeof(vector), buf, 2, &v, &vlen),
	                 -L2TP_E_HIDDEN_LENGTH);
	free(buf);
}

static void test_unhide_too_short(void **state)
{
	uint8_t buf[2] = {0, 0}, *v;
	size_t vlen;

	(void)state;
	assert_int_equal(l2tp_unhide(9, &secret, vector, sizeof(vector), buf, 0, &v, &vlen),
	                 -L2TP_E_AVP_VALUE);
	assert_int_equal(l2tp_unhide(9, &secret, vector, sizeof(vector), buf, 1, &v, &vlen),
	                 -L2TP_E_AVP_VALUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hide_kat_short),
	    cmocka_unit_test(test_hide_kat_two_blocks),
	    cmocka_unit_test(test_hide_kat_three_blocks_padded),
	    cmocka_unit_test(test_hide_inputs_matter),
	    cmocka_unit_test(test_challenge_response_kat),
	    cmocka_unit_test(test_roundtrip_lengths),
	    cmocka_unit_test(test_hide_nospace),
	    cmocka_unit_test(test_unhide_forged_length),
	    cmocka_unit_test(test_unhide_forged_max),
	    cmocka_unit_test(test_unhide_too_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
