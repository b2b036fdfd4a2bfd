/* The arithmetic of PPP authentication against published and independently
 * computed values: RFC 2759 §9.2 (every intermediate value) and §9.3 (with
 * erratum 391), CHAP-MD5 from Python's hashlib, DES weak keys and UTF-16
 * passwords from OpenSSL; and the local-user checks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ppp/chap.h"

/* RFC 2759 §9.2. */
static const char user[] = "User";
static const char password[] = "clientPass";
static const uint8_t auth_challenge[16] = {0x5B, 0x5D, 0x7C, 0x7D, 0x7B, 0x3F, 0x2F, 0x3E,
                                           0x3C, 0x2C, 0x60, 0x21, 0x32, 0x26, 0x26, 0x28};
static const uint8_t peer_challenge[16] = {0x21, 0x40, 0x23, 0x24, 0x25, 0x5E, 0x26, 0x2A,
                                           0x28, 0x29, 0x5F, 0x2B, 0x3A, 0x33, 0x7C, 0x7E};
static const uint8_t challenge8[8] = {0xD0, 0x2E, 0x43, 0x86, 0xBC, 0xE9, 0x12, 0x26};
static const uint8_t password_hash[16] = {0x44, 0xEB, 0xBA, 0x8D, 0x53, 0x12, 0xB8, 0xD6,
                                          0x11, 0x47, 0x44, 0x11, 0xF5, 0x69, 0x89, 0xAE};
static const uint8_t nt_response[24] = {0x82, 0x30, 0x9E, 0xCD, 0x8D, 0x70, 0x8B, 0x5E,
                                        0xA0, 0x8F, 0xAA, 0x39, 0x81, 0xCD, 0x83, 0x54,
                                        0x42, 0x33, 0x11, 0x4A, 0x3D, 0x85, 0xD6, 0xDF};
static const char authenticator_response[] = "S=407A5589115FD0D6209F510FE9C04566932CDA56";

static void test_rfc2759_hash_example(void **state)
{
	uint8_t ch[8], hash[16], resp[24], auth[20];
	char s[PPP_MSCHAP_AUTHSTR_LEN + 1];

	(void)state;
	ppp_mschap_challenge_hash(peer_challenge, auth_challenge, user, strlen(user), ch);
	assert_memory_equal(ch, challenge8, sizeof(ch));
	assert_int_equal(ppp_mschap_nt_hash(password, hash), 0);
	assert_memory_equal(hash, password_hash, sizeof(hash));
	ppp_mschap_challenge_response(challenge8, password_hash, resp);
	assert_memory_equal(resp, nt_response, sizeof(resp));
	assert_int_equal(ppp_mschapv2_nt_response(auth_challenge, peer_challenge, user,
	                                          strlen(user), password, resp),
	                 0);
	assert_memory_equal(resp, nt_response, sizeof(resp));
	assert_int_equal(ppp_mschapv2_authenticator_response(password, nt_response, peer_challenge,
	                                                     auth_challenge, user, strlen(user),
	                                                     auth),
	                 0);
	ppp_mschapv2_authstr(auth, s);
	assert_string_equal(s, authenticator_response);
}

/* §8.2: a "DOMAIN\" prefix of the Name is not part of the hash. */
static void test_rfc2759_domain_ignored(void **state)
{
	static const char with_domain[] = "BIGCO\\User";
	uint8_t ch[8];

	(void)state;
	ppp_mschap_challenge_hash(peer_challenge, auth_challenge, with_domain, strlen(with_domain),
	                          ch);
	assert_memory_equal(ch, challenge8, sizeof(ch));
}

/* §9.3 with erratum 391: "MyPw" in UTF-16LE, and both parity-corrected
 * DES keys. */
static void test_rfc2759_des_keys(void **state)
{
	static const uint8_t hash_mypw[16] = {0xFC, 0x15, 0x6A, 0xF7, 0xED, 0xCD, 0x6C, 0x0E,
	                                      0xDD, 0xE3, 0x33, 0x7D, 0x42, 0x7F, 0x4E, 0xAC};
	static const uint8_t key1[8] = {0xFD, 0x0B, 0x5B, 0x5E, 0x7F, 0x6E, 0x34, 0xD9};
	static const uint8_t key2[8] = {0x0E, 0x6E, 0x79, 0x67, 0x37, 0xEA, 0x08, 0xFE};
	uint8_t hash[16], key[8];

	(void)state;
	assert_int_equal(ppp_mschap_nt_hash("MyPw", hash), 0);
	assert_memory_equal(hash, hash_mypw, sizeof(hash));
	ppp_mschap_des_key(hash_mypw, key);
	assert_memory_equal(key, key1, sizeof(key));
	ppp_mschap_des_key(hash_mypw + 7, key);
	assert_memory_equal(key, key2, sizeof(key));
}

/* A password hash ending in two zero octets makes the third DES key all
 * zero bits: 0101010101010101 with parity, a DES weak key, which nettle's
 * des_set_key() reports but MS-CHAP must use. Expected third block from
 *   printf '\0\0\0\0\0\0\0\0' | openssl enc -des-ecb -K 0101010101010101 \
 *     -nopad -provider legacy -provider default | xxd -p
 * = 8ca64de9c1b123a7 */
static void test_des_weak_key_used(void **state)
{
	static const uint8_t zero8[8];
	static const uint8_t expect[8] = {0x8c, 0xa6, 0x4d, 0xe9, 0xc1, 0xb1, 0x23, 0xa7};
	uint8_t hash[16], out[24];

	(void)state;
	memcpy(hash, password_hash, sizeof(hash));
	hash[14] = hash[15] = 0;
	ppp_mschap_challenge_response(zero8, hash, out);
	assert_memory_equal(out + 16, expect, sizeof(expect));
}

/* UTF-8 to UTF-16LE, with a character outside the BMP (a surrogate pair):
 *   printf 'pässword😀' | iconv -f utf-8 -t utf-16le |
 *     openssl dgst -md4 -provider legacy -provider default
 * = ed7de1729b273487d77e0ebd6fd772bc */
static void test_nt_hash_unicode(void **state)
{
	static const uint8_t expect[16] = {0xed, 0x7d, 0xe1, 0x72, 0x9b, 0x27, 0x34, 0x87,
	                                   0xd7, 0x7e, 0x0e, 0xbd, 0x6f, 0xd7, 0x72, 0xbc};
	char longpw[300];
	uint8_t hash[16];

	(void)state;
	assert_int_equal(ppp_mschap_nt_hash("p\xc3\xa4ssword\xf0\x9f\x98\x80", hash), 0);
	assert_memory_equal(hash, expect, sizeof(expect));
	/* invalid UTF-8: a lone continuation octet, an overlong form */
	assert_int_equal(ppp_mschap_nt_hash("a\x80", hash), -EINVAL);
	assert_int_equal(ppp_mschap_nt_hash("\xc0\xaf", hash), -EINVAL);
	/* §8.3: at most 256 characters */
	memset(longpw, 'x', 256);
	longpw[256] = '\0';
	assert_int_equal(ppp_mschap_nt_hash(longpw, hash), 0);
	longpw[256] = 'x';
	longpw[257] = '\0';
	assert_int_equal(ppp_mschap_nt_hash(longpw, hash), -EINVAL);
}

/* RFC 1994 §4.1, MD5 over Identifier, secret, challenge, from:
 *   python3 -c "import hashlib; print(hashlib.md5(bytes([0x2a]) + b'secret'
 *     + bytes(range(16))).hexdigest())"
 * = 03dc98c5a832692b49df73cf48fcb4e9 */
static const uint8_t chap_expect[16] = {0x03, 0xdc, 0x98, 0xc5, 0xa8, 0x32, 0x69, 0x2b,
                                        0x49, 0xdf, 0x73, 0xcf, 0x48, 0xfc, 0xb4, 0xe9};

static void test_chap_md5_known_answer(void **state)
{
	uint8_t chal[16], out[16];

	(void)state;
	for (int i = 0; i < 16; i++)
		chal[i] = (uint8_t)i;
	ppp_chap_md5(0x2a, (const uint8_t *)"secret", 6, chal, sizeof(chal), out);
	assert_memory_equal(out, chap_expect, sizeof(out));
}

static void test_local_checks(void **state)
{
	uint8_t chal[16], resp[16], auth[20], value[49] = {0};
	struct ppp_auth_request req;
	char s[PPP_MSCHAP_AUTHSTR_LEN + 1];

	(void)state;
	/* PAP */
	memset(&req, 0, sizeof(req));
	req.method = PPP_AUTH_PAP;
	req.user = "alice";
	req.user_len = 5;
	req.password = (const uint8_t *)"wonderland";
	req.password_len = 10;
	assert_true(ppp_pap_check(&req, "wonderland"));
	assert_false(ppp_pap_check(&req, "wonderlanD"));
	assert_false(ppp_pap_check(&req, "wonderland!"));
	assert_false(ppp_chap_md5_check(&req, "wonderland")); /* wrong method */

	/* CHAP-MD5 */
	for (int i = 0; i < 16; i++)
		chal[i] = (uint8_t)i;
	memcpy(resp, chap_expect, sizeof(resp));
	memset(&req, 0, sizeof(req));
	req.method = PPP_AUTH_CHAP_MD5;
	req.id = 0x2a;
	req.challenge = chal;
	req.challenge_len = sizeof(chal);
	req.response = resp;
	req.response_len = sizeof(resp);
	assert_true(ppp_chap_md5_check(&req, "secret"));
	assert_true(ppp_auth_check(&req, "secret", NULL));
	assert_false(ppp_chap_md5_check(&req, "Secret"));
	req.id = 0x2b;
	assert_false(ppp_chap_md5_check(&req, "secret"));
	req.id = 0x2a;
	req.response_len = 15;
	assert_false(ppp_chap_md5_check(&req, "secret"));

	/* MS-CHAPv2, the §9.2 exchange as the authenticator sees it */
	memcpy(value, peer_challenge, 16);
	memcpy(value + 24, nt_response, 24);
	memset(&req, 0, sizeof(req));
	req.method = PPP_AUTH_MSCHAPV2;
	req.user = user;
	req.user_len = strlen(user);
	req.challenge = auth_challenge;
	req.challenge_len = 16;
	req.response = value;
	req.response_len = sizeof(value);
	req.peer_challenge = value;
	req.nt_response = value + 24;
	memset(auth, 0, sizeof(auth));
	assert_true(ppp_mschapv2_check(&req, password, auth));
	ppp_mschapv2_authstr(auth, s);
	assert_string_equal(s, authenticator_response);
	assert_false(ppp_mschapv2_check(&req, "clientpass", auth));
	req.user = "Usr";
	req.user_len = 3;
	assert_false(ppp_mschapv2_check(&req, password, auth));
}

static void test_equal_ct(void **state)
{
	(void)state;
	assert_true(ppp_equal_ct((const uint8_t *)"abcd", (const uint8_t *)"abcd", 4));
	assert_false(ppp_equal_ct((const uint8_t *)"abcd", (const uint8_t *)"abce", 4));
	assert_false(ppp_equal_ct((const uint8_t *)"xbcd", (const uint8_t *)"abcd", 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc2759_hash_example),
	    cmocka_unit_test(test_rfc2759_domain_ignored),
	    cmocka_unit_test(test_rfc2759_des_keys),
	    cmocka_unit_test(test_des_weak_key_used),
	    cmocka_unit_test(test_nt_hash_unicode),
	    cmocka_unit_test(test_chap_md5_known_answer),
	    cmocka_unit_test(test_local_checks),
	    cmocka_unit_test(test_equal_ct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
