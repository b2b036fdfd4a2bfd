/* The local users file: "name password [ip]" per line, '#' comments.
 * Loaded whole at configuration load and reload (a new table replaces the
 * old one, so sessions being authenticated never see half a file), looked
 * up by name in O(1): an LNS may hold tens of thousands of users. */
#ifndef L2TPD_AAA_USERS_H
#define L2TPD_AAA_USERS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "ppp/ppp.h"

struct users_entry {
	const char *name;
	const char *password;
	struct in_addr ip; /* static address; 0 = from the pool */
	uint32_t hash;
};

struct users {
	struct users_entry *entries;
	size_t n;
	uint32_t *slots; /* open addressing: entry index + 1, 0 = empty */
	size_t mask;
	char *text;      /* the file, names and passwords point into it */
	size_t len;
};

/* 0 and *out set, or a negative errno with "FILE:LINE: what" in err. */
int users_load(const char *path, struct users **out, char *err, size_t errlen);
void users_free(struct users *u);

/* NULL if there is no such user. name need not be NUL-terminated. */
const struct users_entry *users_find(const struct users *u, const char *name, size_t len);

/* Check what the peer sent (PAP, CHAP-MD5, MS-CHAPv2). 0: good, *ip the
 * user's static address (0: none), authresp filled for MS-CHAPv2;
 * -ENOENT: no such user; -EACCES: wrong password. */
int users_verify(const struct users *u, const struct ppp_auth_request *req, struct in_addr *ip,
		 uint8_t authresp[PPP_MSCHAPV2_AUTHRESP_LEN]);

#endif
