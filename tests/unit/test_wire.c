/* Unit tests of the L2TP header codec (RFC 2661 §3.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "l2tp/wire.h"

/* A header laid out by hand, field by field, so the expectations do not come
 * from the code under test. Returns the header length (without padding). */
struct raw_header {
	uint16_t flags; /* the whole first word, version included */
	uint16_t length;
	uint16_t tid, sid, ns, nr, offset_size;
};

static size_t put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static size_t raw_header_put(uint8_t *buf, const struct raw_header *r)
{
	size_t n = 0;

	n += put16(buf + n, r->flags);
	if (r->flags & L2TP_FLAG_L)
		n += put16(buf + n, r->length);
	n += put16(buf + n, r->tid);
	n += put16(buf + n, r->sid);
	if (r->flags & L2TP_FLAG_S) {
		n += put16(buf + n, r->ns);
		n += put16(buf + n, r->nr);
	}
	if (r->flags & L2TP_FLAG_O)
		n += put16(buf + n, r->offset_size);
	return n;
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = L2TP_OK; e < L2TP_E_COUNT; e++) {
		const char *s = l2tp_strerror(e);

		assert_non_null(s);
		assert_string_not_equal(s, "unknown error");
		assert_ptr_equal(s, l2tp_strerror(-e));
		/* every name distinct */
		for (int f = L2TP_OK; f < e; f++)
			assert_string_not_equal(s, l2tp_strerror(f));
	}
	assert_string_equal(l2tp_strerror(L2TP_E_COUNT), "unknown error");
	assert_string_equal(l2tp_strerror(-1000), "unknown error");
}

static void test_control_roundtrip(void **state)
{
	uint8_t buf[L2TP_CONTROL_HEADER_LEN];
	static const uint8_t expect[L2TP_CONTROL_HEADER_LEN] = {0xc8, 0x02, 0x00, 0x0c, 0x12, 0x34,
	                                                        0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
	struct l2tp_header h;

	(void)state;
	memset(buf, 0xff, sizeof(buf));
	l2tp_header_put_control(buf, 0x1234, 0x5678, 0x9abc, 0xdef0);
	assert_memory_equal(buf, expect, sizeof(expect));

	assert_int_equal(l2tp_header_parse(buf, sizeof(buf), &h), 0);
	assert_true(h.is_control);
	assert_true(h.has_length);
	assert_true(h.has_sequence);
	assert_false(h.has_offset);
	assert_false(h.priority);
	assert_int_equal(h.version, L2TP_VERSION);
	assert_int_equal(h.length, L2TP_CONTROL_HEADER_LEN);
	assert_int_equal(h.tunnel_id, 0x1234);
	assert_int_equal(h.session_id, 0x5678);
	assert_int_equal(h.ns, 0x9abc);
	assert_int_equal(h.nr, 0xdef0);
	assert_int_equal(h.offset_size, 0);
	assert_int_equal(h.header_len, L2TP_CONTROL_HEADER_LEN);
}

static void test_control_patch(void **state)
{
	uint8_t buf[64] = {0};
	struct l2tp_header h;

	(void)state;
	l2tp_header_put_control(buf, 1, 2, 3, 4);
	l2tp_header_set_length(buf, 40);
	l2tp_header_set_sequence(buf, 0xfffe, 0x0001);
	assert_int_equal(buf[2], 0);
	assert_int_equal(buf[3], 40);
	assert_int_equal(l2tp_header_parse(buf, sizeof(buf), &h), 0);
	assert_int_equal(h.length, 40);
	assert_int_equal(h.ns, 0xfffe);
	assert_int_equal(h.nr, 0x0001);
	assert_int_equal(h.tunnel_id, 1);
	assert_int_equal(h.session_id, 2);
}

/* Every combination of T, L, S, O, P, with and without the reserved bits. */
static void test_flag_combinations(void **state)
{
	static const uint16_t bits[] = {L2TP_FLAG_T, L2TP_FLAG_L, L2TP_FLAG_S, L2TP_FLAG_O,
	                                L2TP_FLAG_P};
	const uint16_t reserved = 0x3000 | 0x0400 | 0x00f0; /* the x bits of §3.1 */

	(void)state;
	for (unsigned combo = 0; combo < 1u << 5; combo++) {
		for (int rsv = 0; rsv < 2; rsv++) {
			uint8_t buf[64];
			struct raw_header r = {.flags = L2TP_VERSION,
			                       .tid = 7,
			                       .sid = 9,
			                       .ns = 11,
			                       .nr = 13,
			                       .offset_size = 3};
			struct l2tp_header h;
			size_t n;
			bool t, l, s, o, p;
			int rc;

			for (unsigned i = 0; i < 5; i++)
				if (combo & 1u << i)
					r.flags |= bits[i];
			if (rsv)
				r.flags |= reserved;
			t = r.flags & L2TP_FLAG_T;
			l = r.flags & L2TP_FLAG_L;
			s = r.flags & L2TP_FLAG_S;
			o = r.flags & L2TP_FLAG_O;
			p = r.flags & L2TP_FLAG_P;
			memset(buf, 0xaa, sizeof(buf));
			n = raw_header_put(buf, &r);
			n += o ? r.offset_size : 0;
			r.length = (uint16_t)(n + 5); /* 5 payload octets */
			raw_header_put(buf, &r);

			rc = l2tp_header_parse(buf, r.length, &h);
			if (t && (!l || !s || o || p)) {
				assert_int_equal(rc, -L2TP_E_CONTROL_FLAGS);
				continue;
			}
			assert_int_equal(rc, 0);
			assert_int_equal(h.is_control, t);
			assert_int_equal(h.has_length, l);
			assert_int_equal(h.has_sequence, s);
			assert_int_equal(h.has_offset, o);
			assert_int_equal(h.priority, p);
			assert_int_equal(h.version, L2TP_VERSION);
			assert_int_equal(h.length, r.length);
			assert_int_equal(h.tunnel_id, 7);
			assert_int_equal(h.session_id, 9);
			assert_int_equal(h.ns, s ? 11 : 0);
			/* Nr is reserved in data messages (§3.1). */
			assert_int_equal(h.nr, s && t ? 13 : 0);
			assert_int_equal(h.offset_size, o ? 3 : 0);
			assert_int_equal(h.header_len, n);
		}
	}
}

static void test_versions(void **state)
{
	(void)state;
	for (uint16_t v = 0; v <= L2TP_VERSION_MASK; v++) {
		uint8_t buf[L2TP_CONTROL_HEADER_LEN];
		struct l2tp_header h;
		int rc, expect;

		l2tp_header_put_control(buf, 1, 2, 3, 4);
		buf[1] = (uint8_t)((buf[1] & ~L2TP_VERSION_MASK) | v);
		rc = l2tp_header_parse(buf, sizeof(buf), &h);
		switch (v) {
		case 1:
			expect = -L2TP_E_L2F;
			break;
		case 2:
			expect = 0;
			break;
		case 3:
			expect = -L2TP_E_V3;
			break;
		default:
			expect = -L2TP_E_VERSION;
			break;
		}
		assert_int_equal(rc, expect);
	}
}

/* The version is judged before the flags: an L2F packet says nothing of L2TP bits. */
static void test_version_before_flags(void **state)
{
	uint8_t buf[2] = {0x00, 0x01}; /* T=0, ver 1, two octets only */
	struct l2tp_header h;

	(void)state;
	assert_int_equal(l2tp_header_parse(buf, sizeof(buf), &h), -L2TP_E_L2F);
	buf[0] = 0x80; /* T without L or S, version 3 */
	buf[1] = 0x03;
	assert_int_equal(l2tp_header_parse(buf, sizeof(buf), &h), -L2TP_E_V3);
}

static void test_truncated_control(void **state)
{
	uint8_t full[L2TP_CONTROL_HEADER_LEN];

	(void)state;
	l2tp_header_put_control(full, 1, 2, 3, 4);
	for (size_t len = 0; len < sizeof(full); len++) {
		/* An exact-size heap copy: ASan catches any read past it. */
		uint8_t *buf = malloc(len ? len : 1);
		struct l2tp_header h;

		assert_non_null(buf);
		memcpy(buf, full, len);
		assert_int_equal(l2tp_header_parse(buf, len, &h), -L2TP_E_SHORT);
		free(buf);
	}
}

static void test_truncated_data(void **state)
{
	static const uint16_t flag_sets[] = {
	    L2TP_VERSION,
	    L2TP_VERSION | L2TP_FLAG_L,
	    L2TP_VERSION | L2TP_FLAG_S,
	    L2TP_VERSION | L2TP_FLAG_O,
	    L2TP_VERSION | L2TP_FLAG_L | L2TP_FLAG_S | L2TP_FLAG_O | L2TP_FLAG_P,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
		struct raw_header r = {.flags = flag_sets[i], .tid = 1, .sid = 2};
		uint8_t full[L2TP_MAX_DATA_HEADER_LEN];
		size_t n = raw_header_put(full, &r);

		for (size_t len = 0; len < n; len++) {
			uint8_t *buf = malloc(len ? len : 1);
			struct l2tp_header h;

			assert_non_null(buf);
			memcpy(buf, full, len);
			assert_int_equal(l2tp_header_parse(buf, len, &h), -L2TP_E_SHORT);
			free(buf);
		}
	}
}

static void test_length_mismatch(void **state)
{
	uint8_t buf[40] = {0};
	struct l2tp_header h;

	(void)state;
	l2tp_header_put_control(buf, 1, 2, 3, 4);

	/* Length beyond the datagram */
	l2tp_header_set_length(buf, 21);
	assert_int_equal(l2tp_header_parse(buf, 20, &h), -L2TP_E_LENGTH);
	/* Length below the header, at every value */
	for (uint16_t l = 0; l < L2TP_CONTROL_HEADER_LEN; l++) {
		l2tp_header_set_length(buf, l);
		assert_int_equal(l2tp_header_parse(buf, sizeof(buf), &h), -L2TP_E_LENGTH);
	}
	/* Datagram longer than Length: truncated to Length */
	l2tp_header_set_length(buf, 20);
	assert_int_equal(l2tp_header_parse(buf, sizeof(buf), &h), 0);
	assert_int_equal(h.length, 20);
	/* Exactly equal */
	assert_int_equal(l2tp_header_parse(buf, 20, &h), 0);
	assert_int_equal(h.length, 20);

	/* Data message with L: the same rules */
	struct raw_header r = {.flags = L2TP_VERSION | L2TP_FLAG_L, .length = 30, .tid = 5};
	raw_header_put(buf, &r);
	assert_int_equal(l2tp_header_parse(buf, 29, &h), -L2TP_E_LENGTH);
	assert_int_equal(l2tp_header_parse(buf, 40, &h), 0);
	assert_int_equal(h.length, 30);
	assert_int_equal(h.header_len, 8);
	r.length = 7;
	raw_header_put(buf, &r);
	assert_int_equal(l2tp_header_parse(buf, 40, &h), -L2TP_E_LENGTH);

	/* Without L the datagram is the message */
	r = (struct raw_header){.flags = L2TP_VERSION, .tid = 5, .sid = 6};
	raw_header_put(buf, &r);
	assert_int_equal(l2tp_header_parse(buf, 33, &h), 0);
	assert_int_equal(h.length, 33);
	assert_int_equal(h.header_len, 6);

	/* Without L, a datagram the 16-bit length cannot describe */
	uint8_t *huge = calloc(1, (size_t)UINT16_MAX + 1);
	assert_non_null(huge);
	raw_header_put(huge, &r);
	assert_int_equal(l2tp_header_parse(huge, UINT16_MAX, &h), 0);
	assert_int_equal(h.length, UINT16_MAX);
	assert_int_equal(l2tp_header_parse(huge, (size_t)UINT16_MAX + 1, &h), -L2TP_E_LENGTH);
	free(huge);
}

static void test_offset(void **state)
{
	uint8_t buf[64];
	struct l2tp_header h;
	struct raw_header r = {.flags = L2TP_VERSION | L2TP_FLAG_O, .tid = 3, .sid = 4};

	(void)state;
	memset(buf, 0x55, sizeof(buf));
	/* 8-octet header, 4 pad octets, 10 payload octets */
	r.offset_size = 4;
	raw_header_put(buf, &r);
	assert_int_equal(l2tp_header_parse(buf, 22, &h), 0);
	assert_true(h.has_offset);
	assert_int_equal(h.offset_size, 4);
	assert_int_equal(h.header_len, 12);

	/* Padding ending exactly at the end: empty payload */
	assert_int_equal(l2tp_header_parse(buf, 12, &h), 0);
	assert_int_equal(h.header_len, 12);
	/* One octet short of the padding */
	assert_int_equal(l2tp_header_parse(buf, 11, &h), -L2TP_E_OFFSET);
	/* Offset size 0 is allowed */
	r.offset_size = 0;
	raw_header_put(buf, &r);
	assert_int_equal(l2tp_header_parse(buf, 8, &h), 0);
	assert_int_equal(h.header_len, 8);
	/* Huge offset size */
	r.offset_size = 0xffff;
	raw_header_put(buf, &r);
	assert_int_equal(l2tp_header_parse(buf, sizeof(buf), &h), -L2TP_E_OFFSET);

	/* With L, the padding is checked against Length, not the datagram */
	r = (struct raw_header){
	    .flags = L2TP_VERSION | L2TP_FLAG_O | L2TP_FLAG_L, .length = 14, .offset_size = 5};
	raw_header_put(buf, &r);
	assert_int_equal(l2tp_header_parse(buf, sizeof(buf), &h), -L2TP_E_OFFSET);
	r.length = 15;
	raw_header_put(buf, &r);
	assert_int_equal(l2tp_header_parse(buf, sizeof(buf), &h), 0);
	assert_int_equal(h.header_len, 15);
}

static void test_data_put(void **state)
{
	(void)state;
	/* Every combination of the data options, parsed back. */
	for (unsigned combo = 0; combo < 16; combo++) {
		struct l2tp_data_options o = {
		    .length = combo & 1,
		    .sequence = combo & 2,
		    .priority = combo & 4,
		    .offset_size = (combo & 8) ? 6 : 0,
		    .ns = 0x4321,
		    .payload_len = 9,
		};
		uint8_t buf[64];
		struct l2tp_header h;
		int hlen;
		size_t expect =
		    6 + (o.length ? 2 : 0) + (o.sequence ? 4 : 0) + (o.offset_size ? 2 + 6 : 0);

		memset(buf, 0xff, sizeof(buf));
		hlen = l2tp_header_put_data(buf, sizeof(buf), 0xaaaa, 0xbbbb, &o);
		assert_int_equal(hlen, expect);
		/* reserved bits zero, version 2, T clear */
		assert_int_equal(buf[0] & 0xb4, 0);
		assert_int_equal(buf[1] & 0xf0, 0);
		assert_int_equal(buf[1] & L2TP_VERSION_MASK, L2TP_VERSION);
		/* pad zeroed */
		for (int i = 0; i < o.offset_size; i++)
			assert_int_equal(buf[hlen - o.offset_size + i], 0);
		if (o.sequence) /* Nr sent as 0 */
			assert_int_equal(buf[hlen - (o.offset_size ? 8 : 0) - 1] |
			                     buf[hlen - (o.offset_size ? 8 : 0) - 2],
			                 0);

		assert_int_equal(l2tp_header_parse(buf, (size_t)hlen + o.payload_len, &h), 0);
		assert_false(h.is_control);
		assert_int_equal(h.has_length, o.length);
		assert_int_equal(h.has_sequence, o.sequence);
		assert_int_equal(h.priority, o.priority);
		assert_int_equal(h.has_offset, o.offset_size != 0);
		assert_int_equal(h.offset_size, o.offset_size);
		assert_int_equal(h.tunnel_id, 0xaaaa);
		assert_int_equal(h.session_id, 0xbbbb);
		assert_int_equal(h.ns, o.sequence ? 0x4321 : 0);
		assert_int_equal(h.length, hlen + o.payload_len);
		assert_int_equal(h.header_len, hlen);
	}
}

static void test_data_put_exact_bytes(void **state)
{
	struct l2tp_data_options o = {
	    .length = true, .sequence = true, .ns = 0x0102, .payload_len = 4};
	static const uint8_t expect[] = {0x48, 0x02, 0x00, 0x10, 0x00, 0x05,
	                                 0x00, 0x06, 0x01, 0x02, 0x00, 0x00};
	uint8_t buf[sizeof(expect)];

	(void)state;
	assert_int_equal(l2tp_header_put_data(buf, sizeof(buf), 5, 6, &o), sizeof(expect));
	assert_memory_equal(buf, expect, sizeof(expect));
}

static void test_data_put_nospace(void **state)
{
	struct l2tp_data_options o = {.length = true, .sequence = true, .offset_size = 4};
	uint8_t buf[L2TP_MAX_DATA_HEADER_LEN + 4];

	(void)state;
	/* 6 + 2 + 4 + 2 + 4 = 18 */
	assert_int_equal(l2tp_header_put_data(buf, 17, 1, 1, &o), -L2TP_E_NOSPACE);
	assert_int_equal(l2tp_header_put_data(buf, 18, 1, 1, &o), 18);
	o = (struct l2tp_data_options){0};
	assert_int_equal(l2tp_header_put_data(buf, 5, 1, 1, &o), -L2TP_E_NOSPACE);
	assert_int_equal(l2tp_header_put_data(buf, 6, 1, 1, &o), 6);
	/* a Length the field cannot hold */
	o = (struct l2tp_data_options){.length = true, .payload_len = UINT16_MAX};
	assert_int_equal(l2tp_header_put_data(buf, sizeof(buf), 1, 1, &o), -L2TP_E_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strerror),          cmocka_unit_test(test_control_roundtrip),
	    cmocka_unit_test(test_control_patch),     cmocka_unit_test(test_flag_combinations),
	    cmocka_unit_test(test_versions),          cmocka_unit_test(test_version_before_flags),
	    cmocka_unit_test(test_truncated_control), cmocka_unit_test(test_truncated_data),
	    cmocka_unit_test(test_length_mismatch),   cmocka_unit_test(test_offset),
	    cmocka_unit_test(test_data_put),          cmocka_unit_test(test_data_put_exact_bytes),
	    cmocka_unit_test(test_data_put_nospace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
