/* pool: FIFO allocation, exhaustion, reserve, free, several ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <errno.h>

#include <cmocka.h>

#include "dataplane/pool.h"

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static uint32_t host(struct in_addr a)
{
	return ntohl(a.s_addr);
}

static void test_alloc_all_then_enospc(void **state)
{
	struct pool p;
	struct in_addr a;

	(void)state;
	pool_init(&p);
	assert_int_equal(pool_alloc(&p, &a), -ENOSPC); /* empty pool */
	assert_int_equal(pool_add_range(&p, ip("10.0.0.2"), ip("10.0.0.5")), 0);
	assert_int_equal(pool_size(&p), 4);
	for (uint32_t k = 2; k <= 5; k++) {
		assert_int_equal(pool_alloc(&p, &a), 0);
		assert_int_equal(host(a), host(ip("10.0.0.0")) + k); /* in address order */
		assert_true(pool_in_use(&p, a));
	}
	assert_int_equal(pool_available(&p), 0);
	assert_int_equal(pool_alloc(&p, &a), -ENOSPC);
	pool_destroy(&p);
}

/* The address freed longest ago comes back first. */
static void test_fifo_reuse(void **state)
{
	struct pool p;
	struct in_addr a[4], b;

	(void)state;
	pool_init(&p);
	assert_int_equal(pool_add_range(&p, ip("10.0.0.1"), ip("10.0.0.4")), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pool_alloc(&p, &a[i]), 0);
	assert_int_equal(pool_free(&p, a[2]), 0);
	assert_int_equal(pool_free(&p, a[0]), 0);
	assert_int_equal(pool_free(&p, a[0]), -EALREADY);
	assert_false(pool_in_use(&p, a[0]));
	assert_int_equal(pool_alloc(&p, &b), 0);
	assert_int_equal(b.s_addr, a[2].s_addr);
	assert_int_equal(pool_alloc(&p, &b), 0);
	assert_int_equal(b.s_addr, a[0].s_addr);
	assert_int_equal(pool_alloc(&p, &b), -ENOSPC);
	pool_destroy(&p);
}

static void test_reserve(void **state)
{
	struct pool p;
	struct in_addr a;
	int seen5 = 0;

	(void)state;
	pool_init(&p);
	assert_int_equal(pool_add_range(&p, ip("10.0.0.1"), ip("10.0.0.10")), 0);
	assert_int_equal(pool_reserve(&p, ip("10.0.0.5")), 0);
	assert_int_equal(pool_reserve(&p, ip("10.0.0.5")), -EADDRINUSE);
	assert_int_equal(pool_reserve(&p, ip("10.0.1.5")), -ENOENT);
	assert_int_equal(pool_free(&p, ip("10.0.1.5")), -ENOENT);
	/* The first and the last of the list too (unlink at both ends). */
	assert_int_equal(pool_reserve(&p, ip("10.0.0.1")), 0);
	assert_int_equal(pool_reserve(&p, ip("10.0.0.10")), 0);
	assert_int_equal(pool_available(&p), 7);
	while (pool_alloc(&p, &a) == 0) {
		assert_int_not_equal(a.s_addr, ip("10.0.0.1").s_addr);
		assert_int_not_equal(a.s_addr, ip("10.0.0.10").s_addr);
		seen5 += a.s_addr == ip("10.0.0.5").s_addr;
	}
	assert_int_equal(seen5, 0);
	/* A freed reserved address joins the free list like any other. */
	assert_int_equal(pool_free(&p, ip("10.0.0.5")), 0);
	assert_int_equal(pool_alloc(&p, &a), 0);
	assert_int_equal(a.s_addr, ip("10.0.0.5").s_addr);
	pool_destroy(&p);
}

static void test_ranges(void **state)
{
	struct pool p;
	struct in_addr a;

	(void)state;
	pool_init(&p);
	assert_int_equal(pool_add_range(&p, ip("10.0.2.0"), ip("10.0.2.1")), 0);
	assert_int_equal(pool_add_range(&p, ip("10.0.0.0"), ip("10.0.0.1")), 0);
	assert_int_equal(pool_add_range(&p, ip("10.0.1.0"), ip("10.0.1.1")), 0);
	assert_int_equal(pool_add_range(&p, ip("10.0.1.1"), ip("10.0.1.9")), -EEXIST);
	assert_int_equal(pool_add_range(&p, ip("10.0.0.0"), ip("10.0.3.0")), -EEXIST);
	assert_int_equal(pool_add_range(&p, ip("10.0.5.0"), ip("10.0.4.0")), -EINVAL);
	assert_int_equal(pool_add_range(&p, ip("0.0.0.0"), ip("0.0.0.9")), -EINVAL);
	assert_int_equal(pool_add_range(&p, ip("255.255.255.0"), ip("255.255.255.255")), -EINVAL);
	assert_int_equal(pool_size(&p), 6);
	assert_true(pool_contains(&p, ip("10.0.1.1")));
	assert_false(pool_contains(&p, ip("10.0.1.2")));
	assert_false(pool_contains(&p, ip("9.255.255.255")));

	/* Handed out in the order the ranges were added. */
	const char *want[] = { "10.0.2.0", "10.0.2.1", "10.0.0.0", "10.0.0.1" };

	for (int i = 0; i < 4; i++) {
		assert_int_equal(pool_alloc(&p, &a), 0);
		assert_int_equal(a.s_addr, ip(want[i]).s_addr);
	}
	/* A range added while addresses are in use. */
	assert_int_equal(pool_add_range(&p, ip("10.0.9.0"), ip("10.0.9.0")), 0);
	assert_int_equal(pool_available(&p), 3);
	assert_int_equal(pool_reserve(&p, ip("10.0.9.0")), 0);
	assert_int_equal(pool_alloc(&p, &a), 0);
	assert_int_equal(a.s_addr, ip("10.0.1.0").s_addr);
	assert_int_equal(pool_free(&p, ip("10.0.2.1")), 0);
	assert_int_equal(pool_alloc(&p, &a), 0);
	assert_int_equal(a.s_addr, ip("10.0.1.1").s_addr);
	assert_int_equal(pool_alloc(&p, &a), 0);
	assert_int_equal(a.s_addr, ip("10.0.2.1").s_addr);
	assert_int_equal(pool_alloc(&p, &a), -ENOSPC);
	pool_destroy(&p);
}

/* A /12 worth of addresses: churn stays consistent and counted. */
static void test_large_churn(void **state)
{
	struct pool p;
	struct in_addr a;
	const uint32_t n = 1u << 20;

	(void)state;
	pool_init(&p);
	assert_int_equal(pool_add_range(&p, ip("100.64.0.0"), ip("100.79.255.255")), 0);
	assert_int_equal(pool_size(&p), n);
	assert_true(pool_memory(&p) >= (size_t)n * 8);
	for (uint32_t k = 0; k < n; k++)
		assert_int_equal(pool_alloc(&p, &a), 0);
	assert_int_equal(pool_alloc(&p, &a), -ENOSPC);
	for (uint32_t k = 0; k < n; k += 3) {
		a.s_addr = htonl(host(ip("100.64.0.0")) + k);
		assert_int_equal(pool_free(&p, a), 0);
	}
	assert_int_equal(pool_available(&p), (n + 2) / 3);
	for (uint32_t k = 0; k < n; k += 3) {
		assert_int_equal(pool_alloc(&p, &a), 0);
		assert_int_equal(host(a), host(ip("100.64.0.0")) + k);
	}
	assert_int_equal(pool_available(&p), 0);
	pool_destroy(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_all_then_enospc),
		cmocka_unit_test(test_fifo_reuse),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_large_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
