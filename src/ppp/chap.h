/* The arithmetic of PPP authentication: CHAP-MD5 (RFC 1994 §4.1) and
 * MS-CHAPv2 (RFC 2759 §8), and checks of what a peer sent against a
 * cleartext password, for local users. */
#ifndef PPP_CHAP_H
#define PPP_CHAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ppp.h"

#define PPP_MD5_LEN              16
#define PPP_MSCHAP_CHALLENGE_LEN 16
#define PPP_MSCHAP_NT_RESP_LEN   24
#define PPP_MSCHAP_HASH_LEN      16
/* RFC 2759 §4: Peer-Challenge, 8 reserved octets, NT-Response, Flags. */
#define PPP_MSCHAP_RESPONSE_LEN 49
/* "S=" and 40 hexadecimal digits (§5). */
#define PPP_MSCHAP_AUTHSTR_LEN 42

/* RFC 1994 §4.1: MD5(Identifier, secret, Challenge). */
void ppp_chap_md5(uint8_t id, const uint8_t *secret, size_t secret_len, const uint8_t *challenge,
                  size_t challenge_len, uint8_t out[PPP_MD5_LEN]);

/* RFC 2759 §8.3 with erratum 1924: MD4 of the password in UTF-16LE. The
 * password is UTF-8; -EINVAL if it is not, or longer than 256 characters. */
int ppp_mschap_nt_hash(const char *password, uint8_t out[PPP_MSCHAP_HASH_LEN]);
/* §8.2: user is the Name as sent; a "DOMAIN\" prefix is left out. */
void ppp_mschap_challenge_hash(const uint8_t peer_challenge[16], const uint8_t auth_challenge[16],
                               const char *user, size_t user_len, uint8_t out[8]);
/* §8.6, §9.3: a 7-octet key spread over 8 octets with odd parity. */
void ppp_mschap_des_key(const uint8_t in[7], uint8_t out[8]);
/* §8.5: three DES encryptions of the 8-octet challenge. */
void ppp_mschap_challenge_response(const uint8_t challenge[8],
                                   const uint8_t hash[PPP_MSCHAP_HASH_LEN],
                                   uint8_t out[PPP_MSCHAP_NT_RESP_LEN]);
/* §8.1 GenerateNTResponse; -EINVAL for a bad password. */
int ppp_mschapv2_nt_response(const uint8_t auth_challenge[16], const uint8_t peer_challenge[16],
                             const char *user, size_t user_len, const char *password,
                             uint8_t out[PPP_MSCHAP_NT_RESP_LEN]);
/* §8.7 GenerateAuthenticatorResponse, as 20 octets (the S= string is their
 * hexadecimal form, see ppp_mschapv2_authstr()). */
int ppp_mschapv2_authenticator_response(const char *password,
                                        const uint8_t nt_response[PPP_MSCHAP_NT_RESP_LEN],
                                        const uint8_t peer_challenge[16],
                                        const uint8_t auth_challenge[16], const char *user,
                                        size_t user_len, uint8_t out[PPP_MSCHAPV2_AUTHRESP_LEN]);
/* "S=" and 40 uppercase hexadecimal digits, NUL-terminated. */
void ppp_mschapv2_authstr(const uint8_t resp[PPP_MSCHAPV2_AUTHRESP_LEN],
                          char out[PPP_MSCHAP_AUTHSTR_LEN + 1]);

/* Local users: is what the peer sent right for this cleartext password?
 * ppp_mschapv2_check() also gives the Authenticator Response for
 * ppp_auth_result(). ppp_auth_check() picks by req->method. */
bool ppp_pap_check(const struct ppp_auth_request *req, const char *password);
bool ppp_chap_md5_check(const struct ppp_auth_request *req, const char *password);
bool ppp_mschapv2_check(const struct ppp_auth_request *req, const char *password,
                        uint8_t authresp[PPP_MSCHAPV2_AUTHRESP_LEN]);
bool ppp_auth_check(const struct ppp_auth_request *req, const char *password,
                    uint8_t authresp[PPP_MSCHAPV2_AUTHRESP_LEN]);

/* Comparison whose time does not depend on where the octets differ. */
bool ppp_equal_ct(const uint8_t *a, const uint8_t *b, size_t len);

#endif
