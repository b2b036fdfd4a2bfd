/* CHAP-MD5 (RFC 1994) and MS-CHAPv2 (RFC 2759 §8) with nettle. */
#include "chap.h"

#include <errno.h>
#include <string.h>

#include <nettle/des.h>
#include <nettle/md4.h>
#include <nettle/md5.h>
#include <nettle/sha1.h>

/* RFC 2759 §8.3: "0-to-256-unicode-char Password". */
#define MSCHAP_MAX_PW_UNITS 256

/* §8.7 Magic1 and Magic2, as the RFC lists them in hex: these strings. */
static const char mschap_magic1[] = "Magic server to client signing constant";
static const char mschap_magic2[] = "Pad to make it do more than one iteration";

bool ppp_equal_ct(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint8_t diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

void ppp_chap_md5(uint8_t id, const uint8_t *secret, size_t secret_len, const uint8_t *challenge,
                  size_t challenge_len, uint8_t out[PPP_MD5_LEN])
{
	struct md5_ctx ctx;

	md5_init(&ctx);
	md5_update(&ctx, 1, &id);
	md5_update(&ctx, secret_len, secret);
	md5_update(&ctx, challenge_len, challenge);
	md5_digest(&ctx, PPP_MD5_LEN, out);
}

/* One code point from UTF-8 at s; its length in *n, or 0 if invalid
 * (overlong forms, surrogates and values past U+10FFFF included). */
static uint32_t utf8_next(const uint8_t *s, size_t *n)
{
	uint32_t c = s[0], min;
	size_t len, i;

	if (c < 0x80) {
		*n = 1;
		return c;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		*n = 0;
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*n = 0;
			return 0;
		}
		c = c << 6 | (s[i] & 0x3f);
	}
	*n = (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) ? 0 : len;
	return c;
}

/* The password as UTF-16LE code units (surrogate pairs past the BMP). */
static int mschap_utf16le(const char *password, uint8_t *out, size_t *out_len)
{
	const uint8_t *s = (const uint8_t *)password;
	size_t units = 0, n;

	while (*s) {
		uint32_t c = utf8_next(s, &n);
		uint16_t u[2];
		size_t k = 1;

		if (!n)
			return -EINVAL;
		s += n;
		if (c >= 0x10000) {
			c -= 0x10000;
			u[0] = (uint16_t)(0xd800 | c >> 10);
			u[1] = (uint16_t)(0xdc00 | (c & 0x3ff));
			k = 2;
		} else {
			u[0] = (uint16_t)c;
		}
		if (units + k > MSCHAP_MAX_PW_UNITS)
			return -EINVAL;
		for (size_t j = 0; j < k; j++, units++) {
			out[2 * units] = (uint8_t)u[j];
			out[2 * units + 1] = (uint8_t)(u[j] >> 8);
		}
	}
	*out_len = 2 * units;
	return 0;
}

int ppp_mschap_nt_hash(const char *password, uint8_t out[PPP_MSCHAP_HASH_LEN])
{
	uint8_t buf[2 * MSCHAP_MAX_PW_UNITS];
	struct md4_ctx ctx;
	size_t len;
	int rc;

	rc = mschap_utf16le(password, buf, &len);
	if (rc < 0)
		return rc;
	md4_init(&ctx);
	md4_update(&ctx, len, buf);
	md4_digest(&ctx, PPP_MSCHAP_HASH_LEN, out);
	memset(buf, 0, sizeof(buf));
	return 0;
}

void ppp_mschap_challenge_hash(const uint8_t peer_challenge[16], const uint8_t auth_challenge[16],
                               const char *user, size_t user_len, uint8_t out[8])
{
	uint8_t digest[SHA1_DIGEST_SIZE];
	const char *bs = memrchr(user, '\\', user_len);
	struct sha1_ctx ctx;

	/* §8.2: "Only the user name (as presented by the peer and excluding
	 * any prepended domain name)". */
	if (bs) {
		user_len -= (size_t)(bs + 1 - user);
		user = bs + 1;
	}
	sha1_init(&ctx);
	sha1_update(&ctx, 16, peer_challenge);
	sha1_update(&ctx, 16, auth_challenge);
	sha1_update(&ctx, user_len, (const uint8_t *)user);
	sha1_digest(&ctx, sizeof(digest), digest);
	memcpy(out, digest, 8);
}

void ppp_mschap_des_key(const uint8_t in[7], uint8_t out[8])
{
	uint8_t spread[8];

	/* 56 key bits, 7 per octet in the high bits; the low bit is parity. */
	spread[0] = in[0];
	for (int i = 1; i < 7; i++)
		spread[i] = (uint8_t)(in[i - 1] << (8 - i) | in[i] >> i);
	spread[7] = (uint8_t)(in[6] << 1);
	des_fix_parity(8, out, spread);
}

/* §8.6 DesEncrypt. Some keys are DES weak keys (the third is often mostly
 * zeros): nettle's des_set_key() still computes the schedule but returns 0
 * for them. MS-CHAP requires exactly this key, so a weak key is used as it
 * is rather than refused. */
static void mschap_des(const uint8_t clear[8], const uint8_t key7[7], uint8_t cypher[8])
{
	struct des_ctx ctx;
	uint8_t key[8];

	ppp_mschap_des_key(key7, key);
	(void)des_set_key(&ctx, key);
	des_encrypt(&ctx, 8, cypher, clear);
	memset(&ctx, 0, sizeof(ctx));
	memset(key, 0, sizeof(key));
}

void ppp_mschap_challenge_response(const uint8_t challenge[8],
                                   const uint8_t hash[PPP_MSCHAP_HASH_LEN],
                                   uint8_t out[PPP_MSCHAP_NT_RESP_LEN])
{
	uint8_t z[21] = {0};

	memcpy(z, hash, PPP_MSCHAP_HASH_LEN);
	mschap_des(challenge, z, out);
	mschap_des(challenge, z + 7, out + 8);
	mschap_des(challenge, z + 14, out + 16);
	memset(z, 0, sizeof(z));
}

int ppp_mschapv2_nt_response(const uint8_t auth_challenge[16], const uint8_t peer_challenge[16],
                             const char *user, size_t user_len, const char *password,
                             uint8_t out[PPP_MSCHAP_NT_RESP_LEN])
{
	uint8_t challenge[8], hash[PPP_MSCHAP_HASH_LEN];
	int rc;

	rc = ppp_mschap_nt_hash(password, hash);
	if (rc < 0)
		return rc;
	ppp_mschap_challenge_hash(peer_challenge, auth_challenge, user, user_len, challenge);
	ppp_mschap_challenge_response(challenge, hash, out);
	memset(hash, 0, sizeof(hash));
	return 0;
}

int ppp_mschapv2_authenticator_response(const char *password,
                                        const uint8_t nt_response[PPP_MSCHAP_NT_RESP_LEN],
                                        const uint8_t peer_challenge[16],
                                        const uint8_t auth_challenge[16], const char *user,
                                        size_t user_len, uint8_t out[PPP_MSCHAPV2_AUTHRESP_LEN])
{
	uint8_t hash[PPP_MSCHAP_HASH_LEN], hashhash[PPP_MSCHAP_HASH_LEN];
	uint8_t digest[SHA1_DIGEST_SIZE], challenge[8];
	struct sha1_ctx ctx;
	struct md4_ctx md4;
	int rc;

	rc = ppp_mschap_nt_hash(password, hash);
	if (rc < 0)
		return rc;
	md4_init(&md4);
	md4_update(&md4, sizeof(hash), hash);
	md4_digest(&md4, sizeof(hashhash), hashhash);

	sha1_init(&ctx);
	sha1_update(&ctx, sizeof(hashhash), hashhash);
	sha1_update(&ctx, PPP_MSCHAP_NT_RESP_LEN, nt_response);
	sha1_update(&ctx, sizeof(mschap_magic1) - 1, (const uint8_t *)mschap_magic1);
	sha1_digest(&ctx, sizeof(digest), digest);

	ppp_mschap_challenge_hash(peer_challenge, auth_challenge, user, user_len, challenge);
	sha1_init(&ctx);
	sha1_update(&ctx, sizeof(digest), digest);
	sha1_update(&ctx, sizeof(challenge), challenge);
	sha1_update(&ctx, sizeof(mschap_magic2) - 1, (const uint8_t *)mschap_magic2);
	sha1_digest(&ctx, PPP_MSCHAPV2_AUTHRESP_LEN, out);
	memset(hash, 0, sizeof(hash));
	memset(hashhash, 0, sizeof(hashhash));
	return 0;
}

void ppp_mschapv2_authstr(const uint8_t resp[PPP_MSCHAPV2_AUTHRESP_LEN],
                          char out[PPP_MSCHAP_AUTHSTR_LEN + 1])
{
	static const char hex[] = "0123456789ABCDEF";

	out[0] = 'S';
	out[1] = '=';
	for (int i = 0; i < PPP_MSCHAPV2_AUTHRESP_LEN; i++) {
		out[2 + 2 * i] = hex[resp[i] >> 4];
		out[3 + 2 * i] = hex[resp[i] & 0xf];
	}
	out[PPP_MSCHAP_AUTHSTR_LEN] = '\0';
}

bool ppp_pap_check(const struct ppp_auth_request *req, const char *password)
{
	size_t len = strlen(password);

	if (req->method != PPP_AUTH_PAP || !req->password || req->password_len != len)
		return false;
	return ppp_equal_ct(req->password, (const uint8_t *)password, len);
}

bool ppp_chap_md5_check(const struct ppp_auth_request *req, const char *password)
{
	uint8_t expect[PPP_MD5_LEN];

	if (req->method != PPP_AUTH_CHAP_MD5 || !req->challenge || !req->response ||
	    req->response_len != PPP_MD5_LEN)
		return false;
	ppp_chap_md5(req->id, (const uint8_t *)password, strlen(password), req->challenge,
	             req->challenge_len, expect);
	return ppp_equal_ct(expect, req->response, PPP_MD5_LEN);
}

bool ppp_mschapv2_check(const struct ppp_auth_request *req, const char *password,
                        uint8_t authresp[PPP_MSCHAPV2_AUTHRESP_LEN])
{
	uint8_t expect[PPP_MSCHAP_NT_RESP_LEN];

	if (req->method != PPP_AUTH_MSCHAPV2 || !req->challenge ||
	    req->challenge_len != PPP_MSCHAP_CHALLENGE_LEN || !req->peer_challenge ||
	    !req->nt_response)
		return false;
	if (ppp_mschapv2_nt_response(req->challenge, req->peer_challenge, req->user, req->user_len,
	                             password, expect) < 0)
		return false;
	if (!ppp_equal_ct(expect, req->nt_response, sizeof(expect)))
		return false;
	return ppp_mschapv2_authenticator_response(password, req->nt_response, req->peer_challenge,
	                                           req->challenge, req->user, req->user_len,
	                                           authresp) == 0;
}

bool ppp_auth_check(const struct ppp_auth_request *req, const char *password,
                    uint8_t authresp[PPP_MSCHAPV2_AUTHRESP_LEN])
{
	switch (req->method) {
	case PPP_AUTH_PAP:
		return ppp_pap_check(req, password);
	case PPP_AUTH_CHAP_MD5:
		return ppp_chap_md5_check(req, password);
	case PPP_AUTH_MSCHAPV2:
		return ppp_mschapv2_check(req, password, authresp);
	default:
		return false;
	}
}
