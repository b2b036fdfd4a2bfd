/* idtable: lookup, removal with backward shift, growth, unique random ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>

#include <cmocka.h>

#include "daemon/idtable.h"

static int tag[70000]; /* distinct addresses to store as values */

static void test_insert_find_remove(void **state)
{
	struct idtable t;

	(void)state;
	assert_int_equal(idtable_init(&t, 4), 0);
	assert_null(idtable_find(&t, 1));
	assert_int_equal(idtable_insert(&t, 1, &tag[1]), 0);
	assert_int_equal(idtable_insert(&t, 1, &tag[2]), -EEXIST);
	assert_int_equal(idtable_insert(&t, 2, NULL), -EINVAL);
	assert_ptr_equal(idtable_find(&t, 1), &tag[1]);
	assert_int_equal(idtable_count(&t), 1);
	assert_ptr_equal(idtable_remove(&t, 1), &tag[1]);
	assert_null(idtable_remove(&t, 1));
	assert_null(idtable_find(&t, 1));
	assert_int_equal(idtable_count(&t), 0);
	idtable_destroy(&t);
}

/* Sequential keys (what peers send) through growth; every other one
 * removed, which exercises the backward shift over long probe runs. */
static void test_many_sequential(void **state)
{
	struct idtable t;
	const uint32_t n = 65535;

	(void)state;
	assert_int_equal(idtable_init(&t, 16), 0);
	for (uint32_t k = 1; k <= n; k++)
		assert_int_equal(idtable_insert(&t, k, &tag[k]), 0);
	assert_int_equal(idtable_count(&t), n);
	for (uint32_t k = 1; k <= n; k += 2)
		assert_ptr_equal(idtable_remove(&t, k), &tag[k]);
	for (uint32_t k = 1; k <= n; k++) {
		if (k % 2)
			assert_null(idtable_find(&t, k));
		else
			assert_ptr_equal(idtable_find(&t, k), &tag[k]);
	}
	assert_int_equal(idtable_count(&t), n / 2);
	idtable_destroy(&t);
}

/* Keys that share a low half (sessions of one tunnel) or a high half. */
static void test_composite_keys(void **state)
{
	struct idtable t;

	(void)state;
	assert_int_equal(idtable_init(&t, 16), 0);
	for (uint32_t i = 1; i <= 1000; i++) {
		assert_int_equal(idtable_insert(&t, 7u << 16 | i, &tag[i]), 0);
		assert_int_equal(idtable_insert(&t, i << 16 | 7u, &tag[1000 + i]),
				 i == 7 ? -EEXIST : 0);
	}
	assert_ptr_equal(idtable_find(&t, 7u << 16 | 7u), &tag[7]); /* first insert won */
	for (uint32_t i = 1; i <= 1000; i++) {
		assert_ptr_equal(idtable_find(&t, 7u << 16 | i), &tag[i]);
		if (i != 7)
			assert_ptr_equal(idtable_find(&t, i << 16 | 7u), &tag[1000 + i]);
	}
	idtable_destroy(&t);
}

static void test_random_ids_unique(void **state)
{
	struct idtable t;
	uint16_t prev = 0;
	int same_as_prev = 0;

	(void)state;
	assert_int_equal(idtable_init(&t, 16), 0);
	for (int i = 0; i < 5000; i++) {
		uint16_t id = idtable_random_id(&t, 0);

		assert_int_not_equal(id, 0);
		assert_null(idtable_find(&t, id));
		assert_int_equal(idtable_insert(&t, id, &tag[i]), 0);
		same_as_prev += (uint16_t)(prev + 1) == id;
		prev = id;
	}
	assert_true(same_as_prev < 10); /* not sequential */
	idtable_destroy(&t);
}

/* With the id space almost full, the remaining ids are still found, and
 * 0 comes back only when none is left. */
static void test_random_ids_exhaustion(void **state)
{
	struct idtable t;

	(void)state;
	assert_int_equal(idtable_init(&t, 16), 0);
	for (uint32_t k = 1; k <= 65535; k++)
		if (k != 4242 && k != 65535)
			assert_int_equal(idtable_insert(&t, 3u << 16 | k, &tag[k]), 0);
	/* Prefix 3 has two free ids; prefix 4 is empty. */
	for (int round = 0; round < 2; round++) {
		uint16_t id = idtable_random_id(&t, 3);

		assert_true(id == 4242 || id == 65535);
		assert_int_equal(idtable_insert(&t, 3u << 16 | id, &tag[0]), 0);
	}
	assert_int_equal(idtable_random_id(&t, 3), 0);
	assert_int_not_equal(idtable_random_id(&t, 4), 0);
	idtable_destroy(&t);
}

static int count_cb(uint32_t key, void *value, void *arg)
{
	(void)key;
	(void)value;
	(*(int *)arg)++;
	return 0;
}

static void test_foreach(void **state)
{
	struct idtable t;
	int n = 0;

	(void)state;
	assert_int_equal(idtable_init(&t, 16), 0);
	for (uint32_t k = 1; k <= 100; k++)
		assert_int_equal(idtable_insert(&t, k * 65537u, &tag[k]), 0);
	assert_int_equal(idtable_foreach(&t, count_cb, &n), 0);
	assert_int_equal(n, 100);
	idtable_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_find_remove),
		cmocka_unit_test(test_many_sequential),
		cmocka_unit_test(test_composite_keys),
		cmocka_unit_test(test_random_ids_unique),
		cmocka_unit_test(test_random_ids_exhaustion),
		cmocka_unit_test(test_foreach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
