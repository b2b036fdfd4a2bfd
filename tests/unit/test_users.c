/* users: the local users file (parse, errors with file:line, O(1) lookup
 * over many users) and verification of PAP, CHAP-MD5 and MS-CHAPv2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "aaa/users.h"
#include "ppp/chap.h"

static char path[64];

static void write_file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/test_users.%d", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct users *load(const char *text)
{
	struct users *u = NULL;
	char err[256];

	write_file(text);
	assert_int_equal(users_load(path, &u, err, sizeof(err)), 0);
	unlink(path);
	return u;
}

static void load_fails(const char *text, const char *expect)
{
	struct users *u = NULL;
	char err[256], want[128];

	write_file(text);
	assert_int_equal(users_load(path, &u, err, sizeof(err)), -EINVAL);
	unlink(path);
	assert_null(u);
	snprintf(want, sizeof(want), "%s%s", path, expect);
	assert_string_equal(err, want);
}

static void test_parse(void **state)
{
	struct users *u;
	const struct users_entry *e;

	(void)state;
	u = load("# comment\n\nalice wonderland 10.1.2.3\n  bob\tbuilder   # hi\ncarol pw#c\n");
	assert_int_equal(u->n, 3);
	e = users_find(u, "alice", 5);
	assert_non_null(e);
	assert_string_equal(e->password, "wonderland");
	assert_int_equal(e->ip.s_addr, inet_addr("10.1.2.3"));
	e = users_find(u, "bob", 3);
	assert_non_null(e);
	assert_string_equal(e->password, "builder");
	assert_int_equal(e->ip.s_addr, 0);
	assert_string_equal(users_find(u, "carol", 5)->password, "pw");
	assert_null(users_find(u, "ali", 3));
	assert_null(users_find(u, "alicex", 6));
	users_free(u);
}

static void test_errors(void **state)
{
	struct users *u = NULL;
	char err[256];

	(void)state;
	load_fails("alice pw\nbob\n", ":2: user bob: no password");
	load_fails("alice pw 10.0.0.300\n", ":1: user alice: bad IPv4 address '10.0.0.300'");
	load_fails("alice pw 10.0.0.3 extra\n",
		   ":1: user alice: unexpected 'extra' after the address");
	load_fails("alice pw\n#\nalice other\n", ":3: user alice: listed twice");
	assert_int_equal(users_load("/nonexistent/users", &u, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/users: No such file or directory");
}

static void test_many(void **state)
{
	size_t n = 50000, len = 0;
	char *text = malloc(n * 32);
	struct users *u;
	char name[32];

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "user%zu pw%zu\n", i, i);
	u = load(text);
	free(text);
	assert_int_equal(u->n, n);
	for (size_t i = 0; i < n; i += 997) {
		int l = snprintf(name, sizeof(name), "user%zu", i);
		const struct users_entry *e = users_find(u, name, (size_t)l);

		assert_non_null(e);
		snprintf(name, sizeof(name), "pw%zu", i);
		assert_string_equal(e->password, name);
	}
	assert_null(users_find(u, "user50000", 9));
	users_free(u);
}

static void test_verify_pap(void **state)
{
	struct users *u = load("alice wonderland 10.9.9.9\n");
	struct ppp_auth_request r = { .method = PPP_AUTH_PAP, .user = "alice", .user_len = 5 };
	uint8_t resp[PPP_MSCHAPV2_AUTHRESP_LEN];
	struct in_addr ip;

	(void)state;
	r.password = (const uint8_t *)"wonderland";
	r.password_len = 10;
	assert_int_equal(users_verify(u, &r, &ip, resp), 0);
	assert_int_equal(ip.s_addr, inet_addr("10.9.9.9"));
	r.password_len = 9;
	assert_int_equal(users_verify(u, &r, &ip, resp), -EACCES);
	r.user = "mallory";
	r.user_len = 7;
	assert_int_equal(users_verify(u, &r, &ip, resp), -ENOENT);
	assert_int_equal(users_verify(NULL, &r, &ip, resp), -ENOENT);
	users_free(u);
}

static void test_verify_chap(void **state)
{
	struct users *u = load("bob builder\n");
	uint8_t chal[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	uint8_t val[PPP_MD5_LEN], resp[PPP_MSCHAPV2_AUTHRESP_LEN];
	struct ppp_auth_request r = { .method = PPP_AUTH_CHAP_MD5, .user = "bob", .user_len = 3 };
	struct in_addr ip;

	(void)state;
	ppp_chap_md5(7, (const uint8_t *)"builder", 7, chal, sizeof(chal), val);
	r.id = 7;
	r.challenge = chal;
	r.challenge_len = sizeof(chal);
	r.response = val;
	r.response_len = sizeof(val);
	assert_int_equal(users_verify(u, &r, &ip, resp), 0);
	assert_int_equal(ip.s_addr, 0);
	val[3] ^= 1;
	assert_int_equal(users_verify(u, &r, &ip, resp), -EACCES);
	users_free(u);
}

static void test_verify_mschapv2(void **state)
{
	struct users *u = load("carol s3cr3t\n");
	uint8_t auth_chal[16], peer_chal[16], value[PPP_MSCHAP_RESPONSE_LEN] = { 0 };
	uint8_t resp[PPP_MSCHAPV2_AUTHRESP_LEN], want[PPP_MSCHAPV2_AUTHRESP_LEN];
	struct ppp_auth_request r = { .method = PPP_AUTH_MSCHAPV2, .user = "carol",
				      .user_len = 5 };
	struct in_addr ip;

	(void)state;
	for (int i = 0; i < 16; i++) {
		auth_chal[i] = (uint8_t)(0x10 + i);
		peer_chal[i] = (uint8_t)(0x80 + i);
	}
	memcpy(value, peer_chal, 16);
	assert_int_equal(ppp_mschapv2_nt_response(auth_chal, peer_chal, "carol", 5, "s3cr3t",
						  value + 24),
			 0);
	r.challenge = auth_chal;
	r.challenge_len = 16;
	r.response = value;
	r.response_len = sizeof(value);
	r.peer_challenge = value;
	r.nt_response = value + 24;
	assert_int_equal(users_verify(u, &r, &ip, resp), 0);
	assert_int_equal(ppp_mschapv2_authenticator_response("s3cr3t", value + 24, peer_chal,
							     auth_chal, "carol", 5, want),
			 0);
	assert_memory_equal(resp, want, sizeof(want));
	value[30] ^= 0x40;
	assert_int_equal(users_verify(u, &r, &ip, resp), -EACCES);
	users_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),		 cmocka_unit_test(test_errors),
		cmocka_unit_test(test_many),		 cmocka_unit_test(test_verify_pap),
		cmocka_unit_test(test_verify_chap),	 cmocka_unit_test(test_verify_mschapv2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
