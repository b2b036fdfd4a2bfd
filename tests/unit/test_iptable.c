/* iptable: IPv4 and IPv6 /64 keys in one table, removal, growth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/iptable.h"

static int tag[1 << 17]; /* distinct addresses to store as values */

static struct in_addr ip4(uint32_t h)
{
	struct in_addr a = { .s_addr = htonl(h) };

	return a;
}

static struct in6_addr ip6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static void test_v4(void **state)
{
	struct iptable t;

	(void)state;
	assert_int_equal(iptable_init(&t, 0), 0);
	assert_null(iptable_find4(&t, ip4(0x0a000001)));
	assert_int_equal(iptable_insert4(&t, ip4(0x0a000001), &tag[1]), 0);
	assert_int_equal(iptable_insert4(&t, ip4(0x0a000001), &tag[2]), -EEXIST);
	assert_int_equal(iptable_insert4(&t, ip4(0), &tag[2]), -EINVAL);
	assert_int_equal(iptable_insert4(&t, ip4(0x0a000002), NULL), -EINVAL);
	assert_ptr_equal(iptable_find4(&t, ip4(0x0a000001)), &tag[1]);
	assert_null(iptable_find4(&t, ip4(0x0a000002)));
	assert_int_equal(iptable_count(&t), 1);
	assert_ptr_equal(iptable_remove4(&t, ip4(0x0a000001)), &tag[1]);
	assert_null(iptable_remove4(&t, ip4(0x0a000001)));
	assert_int_equal(iptable_count(&t), 0);
	iptable_destroy(&t);
}

/* A /64 matches any address inside it; IPv4 and IPv6 never collide. */
static void test_v6_and_mixed(void **state)
{
	struct iptable t;
	struct in6_addr p = ip6("2001:db8:1:2::"), in = ip6("2001:db8:1:2:aaaa:bbbb:cccc:dddd");
	struct in6_addr other = ip6("2001:db8:1:3::1");
	struct in6_addr v4ish = ip6("ffff:ffff:a00:1::"); /* what an IPv4 key looks like */

	(void)state;
	assert_int_equal(iptable_init(&t, 4), 0);
	assert_int_equal(iptable_insert6(&t, &p, &tag[1]), 0);
	assert_int_equal(iptable_insert6(&t, &in, &tag[2]), -EEXIST);
	assert_ptr_equal(iptable_find6(&t, &in), &tag[1]);
	assert_null(iptable_find6(&t, &other));
	assert_int_equal(iptable_insert6(&t, &(struct in6_addr){ 0 }, &tag[3]), -EINVAL);
	assert_int_equal(iptable_insert6(&t, &v4ish, &tag[3]), -EINVAL);
	assert_int_equal(iptable_insert4(&t, ip4(0x0a000001), &tag[4]), 0);
	assert_null(iptable_find6(&t, &v4ish));
	assert_ptr_equal(iptable_find4(&t, ip4(0x0a000001)), &tag[4]);
	assert_ptr_equal(iptable_remove6(&t, &in), &tag[1]);
	assert_null(iptable_find6(&t, &p));
	assert_ptr_equal(iptable_find4(&t, ip4(0x0a000001)), &tag[4]);
	iptable_destroy(&t);
}

/* Consecutive pool addresses through growth; every other one removed,
 * which exercises the backward shift over probe runs. */
static void test_many_consecutive(void **state)
{
	struct iptable t;
	const uint32_t base = 0x64400000, n = 1 << 17;

	(void)state;
	assert_int_equal(iptable_init(&t, 16), 0);
	for (uint32_t k = 0; k < n; k++)
		assert_int_equal(iptable_insert4(&t, ip4(base + k), &tag[k]), 0);
	assert_int_equal(iptable_count(&t), n);
	assert_true(iptable_memory(&t) >= n * 16);
	for (uint32_t k = 0; k < n; k += 2)
		assert_ptr_equal(iptable_remove4(&t, ip4(base + k)), &tag[k]);
	for (uint32_t k = 0; k < n; k++) {
		if (k % 2)
			assert_ptr_equal(iptable_find4(&t, ip4(base + k)), &tag[k]);
		else
			assert_null(iptable_find4(&t, ip4(base + k)));
	}
	/* Addresses next to the pool are not in it. */
	assert_null(iptable_find4(&t, ip4(base + n)));
	assert_null(iptable_find4(&t, ip4(base - 1)));
	for (uint32_t k = 1; k < n; k += 2)
		assert_ptr_equal(iptable_remove4(&t, ip4(base + k)), &tag[k]);
	assert_int_equal(iptable_count(&t), 0);
	iptable_destroy(&t);
}

/* Sized up front: no growth for the expected count. */
static void test_presized(void **state)
{
	struct iptable t;
	size_t mem;

	(void)state;
	assert_int_equal(iptable_init(&t, 1000), 0);
	mem = iptable_memory(&t);
	for (uint32_t k = 1; k <= 1000; k++)
		assert_int_equal(iptable_insert4(&t, ip4(k), &tag[k]), 0);
	assert_int_equal(iptable_memory(&t), mem);
	iptable_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_v6_and_mixed),
		cmocka_unit_test(test_many_consecutive),
		cmocka_unit_test(test_presized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
