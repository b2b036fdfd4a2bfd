/* AVP hiding (RFC 2661 §4.3) and the tunnel authentication response
 * (§4.4.3 Challenge Response, §5.1.1). */
#include "hidden.h"

#include <string.h>

#include <nettle/md5.h>

#include "byteorder.h"
#include "wire.h"

/* The Hidden AVP Subformat starts with the 2-octet original length. */
#define HIDDEN_ORIG_LEN 2

/* b1 = MD5(attribute type || secret || random vector) (§4.3). */
static void hidden_first_hash(uint16_t attr_type, const struct l2tp_secret *secret,
                              const uint8_t *vector, size_t vector_len,
                              uint8_t out[MD5_DIGEST_SIZE])
{
	uint8_t type[sizeof(attr_type)];
	struct md5_ctx ctx;

	l2tp_put16(type, attr_type);
	md5_init(&ctx);
	md5_update(&ctx, sizeof(type), type);
	md5_update(&ctx, secret->len, secret->data);
	md5_update(&ctx, vector_len, vector);
	md5_digest(&ctx, MD5_DIGEST_SIZE, out);
}

/* bi = MD5(secret || c(i-1)) (§4.3): the chain runs over the ciphertext. */
static void hidden_next_hash(const struct l2tp_secret *secret,
                             const uint8_t prev_cipher[MD5_DIGEST_SIZE],
                             uint8_t out[MD5_DIGEST_SIZE])
{
	struct md5_ctx ctx;

	md5_init(&ctx);
	md5_update(&ctx, secret->len, secret->data);
	md5_update(&ctx, MD5_DIGEST_SIZE, prev_cipher);
	md5_digest(&ctx, MD5_DIGEST_SIZE, out);
}

static size_t hidden_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

int l2tp_hide(uint16_t attr_type, const struct l2tp_secret *secret, const uint8_t *vector,
              size_t vector_len, const uint8_t *value, size_t vlen, const uint8_t *padding,
              size_t pad, uint8_t *out, size_t cap)
{
	uint8_t hash[MD5_DIGEST_SIZE];
	size_t total, off, n, i;

	/* The original length must fit its 16-bit field. */
	if (vlen > UINT16_MAX)
		return -L2TP_E_INVALID;
	total = HIDDEN_ORIG_LEN + vlen + pad;
	if (total > cap)
		return -L2TP_E_NOSPACE;

	/* Lay the subformat out in cleartext, then encrypt it in place. memmove:
	 * the caller may hand us a value already sitting in out. */
	memmove(out + HIDDEN_ORIG_LEN, value, vlen);
	l2tp_put16(out, (uint16_t)vlen);
	if (pad) {
		if (padding)
			memmove(out + HIDDEN_ORIG_LEN + vlen, padding, pad);
		else
			memset(out + HIDDEN_ORIG_LEN + vlen, 0, pad);
	}

	hidden_first_hash(attr_type, secret, vector, vector_len, hash);
	for (off = 0; off < total; off += n) {
		if (off)
			hidden_next_hash(secret, out + off - MD5_DIGEST_SIZE, hash);
		/* A short last segment is XORed only over the octets present. */
		n = hidden_min(MD5_DIGEST_SIZE, total - off);
		for (i = 0; i < n; i++)
			out[off + i] ^= hash[i];
	}
	return (int)total;
}

int l2tp_unhide(uint16_t attr_type, const struct l2tp_secret *secret, const uint8_t *vector,
                size_t vector_len, uint8_t *buf, size_t len, uint8_t **value, size_t *vlen)
{
	uint8_t hash[MD5_DIGEST_SIZE], cipher[MD5_DIGEST_SIZE];
	size_t off, n, i, orig;
	int err;

	err = -L2TP_E_AVP_VALUE;
	if (len < HIDDEN_ORIG_LEN)
		goto fail;

	hidden_first_hash(attr_type, secret, vector, vector_len, hash);
	for (off = 0; off < len; off += n) {
		/* The next hash needs this segment's ciphertext, which the XOR
		 * below overwrites: keep a copy. */
		if (off)
			hidden_next_hash(secret, cipher, hash);
		n = hidden_min(MD5_DIGEST_SIZE, len - off);
		memcpy(cipher, buf + off, n);
		for (i = 0; i < n; i++)
			buf[off + i] ^= hash[i];
	}

	/* The recovered length is attacker-controlled: it must fit what we hold,
	 * the rest being padding (§4.3). */
	orig = l2tp_get16(buf);
	err = -L2TP_E_HIDDEN_LENGTH;
	if (orig > len - HIDDEN_ORIG_LEN)
		goto fail;
	*value = buf + HIDDEN_ORIG_LEN;
	*vlen = orig;
	return 0;

fail:
	return err;
}

void l2tp_challenge_response(uint8_t message_type, const struct l2tp_secret *secret,
                             const uint8_t *challenge, size_t challenge_len, uint8_t out[16])
{
	struct md5_ctx ctx;

	/* CHAP (RFC 1994 §4.1): MD5(Identifier || secret || challenge), the
	 * Identifier being the Message Type of the carrying message (§4.4.3). */
	md5_init(&ctx);
	md5_update(&ctx, 1, &message_type);
	md5_update(&ctx, secret->len, secret->data);
	md5_update(&ctx, challenge_len, challenge);
	md5_digest(&ctx, MD5_DIGEST_SIZE, out);
}
