/* The local users file and its hash table. */
#include "users.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ppp/chap.h"

#define USERS_FILE_MAX (256u << 20) /* a file this big is a mistake */

/* FNV-1a: names are short and the table is rebuilt only on load. */
static uint32_t users_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 16777619u;
	}
	return h;
}

static int users_read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	char *buf;
	size_t n;

	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0 || st.st_size < 0 || (size_t)st.st_size > USERS_FILE_MAX) {
		fclose(f);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static char *users_next_word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	if (!*s || *s == '#') {
		*p = s;
		return NULL;
	}
	w = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '#')
		s++;
	if (*s == '#') {
		/* A comment glued to a word ends the line here. */
		*s = '\0';
		*p = s;
		return w;
	}
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

static int users_insert(struct users *u, size_t idx)
{
	struct users_entry *e = &u->entries[idx];
	size_t i = e->hash & u->mask;

	while (u->slots[i]) {
		const struct users_entry *o = &u->entries[u->slots[i] - 1];

		if (o->hash == e->hash && !strcmp(o->name, e->name))
			return -EEXIST;
		i = (i + 1) & u->mask;
	}
	u->slots[i] = (uint32_t)idx + 1;
	return 0;
}

int users_load(const char *path, struct users **out, char *err, size_t errlen)
{
	struct users *u = calloc(1, sizeof(*u));
	size_t len = 0, lines = 1, cap;
	unsigned lineno = 0;
	char *line, *next;
	int rc;

	err[0] = '\0';
	if (!u)
		return -ENOMEM;
	rc = users_read_file(path, &u->text, &len);
	u->len = len;
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		free(u);
		return rc;
	}
	for (size_t i = 0; i < len; i++)
		lines += u->text[i] == '\n';
	u->entries = calloc(lines, sizeof(*u->entries));
	/* At most half full: short probe runs on every lookup. */
	for (cap = 16; cap < lines * 2; cap <<= 1)
		;
	u->slots = calloc(cap, sizeof(*u->slots));
	u->mask = cap - 1;
	rc = -ENOMEM;
	if (!u->entries || !u->slots)
		goto fail;
	rc = -EINVAL;
	/* A NUL would silently cut the file short for the string functions. */
	line = memchr(u->text, '\0', len);
	if (line) {
		for (const char *c = u->text; c < line; c++)
			lineno += *c == '\n';
		snprintf(err, errlen, "%s:%u: NUL octet in the line", path, lineno + 1);
		goto fail;
	}
	for (line = u->text; line; line = next) {
		struct users_entry *e = &u->entries[u->n];
		char *name, *pass, *ip, *extra;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		name = users_next_word(&line);
		if (!name)
			continue;
		pass = users_next_word(&line);
		ip = users_next_word(&line);
		extra = users_next_word(&line);
		if (!pass) {
			snprintf(err, errlen, "%s:%u: user %s: no password", path, lineno, name);
			goto fail;
		}
		if (extra) {
			snprintf(err, errlen, "%s:%u: user %s: unexpected '%s' after the address",
				 path, lineno, name, extra);
			goto fail;
		}
		if (strlen(name) > 255 || strlen(pass) > 255) {
			snprintf(err, errlen, "%s:%u: user %s: name or password over 255 octets",
				 path, lineno, name);
			goto fail;
		}
		e->name = name;
		e->password = pass;
		if (ip && (inet_pton(AF_INET, ip, &e->ip) != 1 || !e->ip.s_addr ||
			   e->ip.s_addr == INADDR_BROADCAST)) {
			snprintf(err, errlen, "%s:%u: user %s: bad IPv4 address '%s'", path, lineno,
				 name, ip);
			goto fail;
		}
		e->hash = users_hash(name, strlen(name));
		if (users_insert(u, u->n) < 0) {
			snprintf(err, errlen, "%s:%u: user %s: listed twice", path, lineno, name);
			goto fail;
		}
		u->n++;
	}
	*out = u;
	return 0;
fail:
	if (!err[0])
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	users_free(u);
	return rc;
}

void users_free(struct users *u)
{
	if (!u)
		return;
	/* Passwords do not linger in freed memory. */
	if (u->text)
		explicit_bzero(u->text, u->len);
	free(u->text);
	free(u->entries);
	free(u->slots);
	free(u);
}

const struct users_entry *users_find(const struct users *u, const char *name, size_t len)
{
	uint32_t h = users_hash(name, len);
	size_t i = h & u->mask;

	while (u->slots[i]) {
		const struct users_entry *e = &u->entries[u->slots[i] - 1];

		if (e->hash == h && strlen(e->name) == len && !memcmp(e->name, name, len))
			return e;
		i = (i + 1) & u->mask;
	}
	return NULL;
}

int users_verify(const struct users *u, const struct ppp_auth_request *req, struct in_addr *ip,
		 uint8_t authresp[PPP_MSCHAPV2_AUTHRESP_LEN])
{
	const struct users_entry *e = u ? users_find(u, req->user, req->user_len) : NULL;

	ip->s_addr = 0;
	if (!e)
		return -ENOENT;
	if (!ppp_auth_check(req, e->password, authresp))
		return -EACCES;
	*ip = e->ip;
	return 0;
}
