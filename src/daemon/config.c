/* Configuration loading: inih splits "key = value" lines; everything else
 * (line numbers, sections, types, defaults, cross-checks) is done here.
 *
 * inih r55 tells its handler neither the line number nor when a section
 * starts, so the file is fed to ini_parse_stream() through our own reader,
 * which is called exactly once per line: it counts lines, recognises and
 * checks section headers itself, strips comments and leading blanks (so
 * inih never sees a continuation line), and hands inih only "key = value"
 * lines. The handler then always runs for the line the reader just read. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define DEFAULT_CONTROL "/run/l2tpd/l2tpd.sock"
#define DEFAULT_TUN     "l2tp0"
#define NAME_MAX_LEN    32  /* section names: short tokens for l2tpctl and logs */
#define STR_MAX_LEN     255 /* host names, secrets, user names, passwords */
#define MAX_ENDPOINTS   16  /* listen addresses; peers of one destination */
#define MAX_PREFIXES    256 /* peer prefixes of one [lns]; routes of one [client] */
#define POOL_MAX_SIZE   (1u << 24)
#define MAX_KEYS        24
#define WHY_LEN         256

enum sect_kind { SECT_GLOBAL, SECT_LNS, SECT_LAC, SECT_CLIENT };

enum key_type {
	KT_UINT,
	KT_BOOL,
	KT_STR,      /* non-empty, at most STR_MAX_LEN */
	KT_SECRET,   /* may be empty: "none" (NULL) */
	KT_PASSWORD, /* may be empty: "" */
	KT_PATH,     /* a readable file, relative to the configuration's directory */
	KT_SOCKPATH, /* a Unix socket path, relative to the configuration's directory */
	KT_TUN,
	KT_LOGLEVEL,
	KT_LISTEN,
	KT_CIDRS,
	KT_PEERS,
	KT_IPV4,
	KT_POOL,
	KT_DNS,
	KT_AUTH,
	KT_ROUTES,
};

#define KEY_REQUIRED 0x1u
#define KEY_LIST     0x2u /* may be repeated; the values accumulate */
#define KEY_INHERIT  0x4u /* unset: take [global]'s value (at goff) */

struct key_desc {
	const char *name;
	enum key_type type;
	unsigned flags;
	size_t off;        /* of the value in the section's struct */
	size_t noff;       /* lists: of the element count */
	unsigned min, max; /* KT_UINT bounds */
	size_t goff;       /* KEY_INHERIT: of the value in struct config_global */
};

#define F(type, field) offsetof(struct type, field)

/* Bounds shared by [global] and the sections that override it. */
#define HELLO_MAX    86400
#define RTX_INIT_MAX 60
#define RTX_CAP_MAX  3600
#define RTX_MAX_MAX  100
#define RWS_MAX      1024 /* out-of-order control messages held per tunnel */
#define ECHO_MAX     3600 /* s between LCP Echo-Requests */
#define ECHO_FAIL_MAX 255 /* the PPP engine counts them in an octet */

/* clang-format off */
#define KEY(t, n, ty, fl, field) \
	{ .name = n, .type = ty, .flags = fl, .off = F(t, field) }
#define LIST_KEY(t, n, ty, fl, field, nfield) \
	{ .name = n, .type = ty, .flags = KEY_LIST | (fl), .off = F(t, field), .noff = F(t, nfield) }
#define UINT_KEY(t, n, field, lo, hi) \
	{ .name = n, .type = KT_UINT, .off = F(t, field), .min = lo, .max = hi }
#define TIMER_KEY(t, n, field, lo, hi) \
	{ .name = n, .type = KT_UINT, .flags = KEY_INHERIT, .off = F(t, tunnel.field), \
	  .goff = F(config_global, tunnel.field), .min = lo, .max = hi }
/* The keys of every section that has tunnels. */
#define TUNNEL_KEYS(t) \
	KEY(t, "secret", KT_SECRET, 0, secret), \
	KEY(t, "hide_avps", KT_BOOL, 0, hide_avps), \
	KEY(t, "data_sequencing", KT_BOOL, 0, data_sequencing), \
	TIMER_KEY(t, "hello_interval", hello_interval, 0, HELLO_MAX), \
	TIMER_KEY(t, "retransmit_initial", retransmit_initial, 1, RTX_INIT_MAX), \
	TIMER_KEY(t, "retransmit_cap", retransmit_cap, 1, RTX_CAP_MAX), \
	TIMER_KEY(t, "retransmit_max", retransmit_max, 1, RTX_MAX_MAX), \
	TIMER_KEY(t, "receive_window", receive_window, 1, RWS_MAX)

static const struct key_desc global_keys[] = {
	LIST_KEY(config_global, "listen", KT_LISTEN, 0, listen, n_listen),
	KEY(config_global, "hostname", KT_STR, 0, hostname),
	KEY(config_global, "control", KT_SOCKPATH, 0, control),
	KEY(config_global, "tun", KT_TUN, 0, tun),
	KEY(config_global, "log_level", KT_LOGLEVEL, 0, log_level),
	UINT_KEY(config_global, "hello_interval", tunnel.hello_interval, 0, HELLO_MAX),
	UINT_KEY(config_global, "retransmit_initial", tunnel.retransmit_initial, 1, RTX_INIT_MAX),
	UINT_KEY(config_global, "retransmit_cap", tunnel.retransmit_cap, 1, RTX_CAP_MAX),
	UINT_KEY(config_global, "retransmit_max", tunnel.retransmit_max, 1, RTX_MAX_MAX),
	UINT_KEY(config_global, "receive_window", tunnel.receive_window, 1, RWS_MAX),
	UINT_KEY(config_global, "max_half_open", max_half_open, 1, 65535),
	/* Tunnel ids are 16 bits and non-zero. */
	UINT_KEY(config_global, "max_tunnels", max_tunnels, 1, 65535),
	UINT_KEY(config_global, "max_sessions", max_sessions, 1, 16777216),
};

static const struct key_desc lns_keys[] = {
	LIST_KEY(config_lns, "peer", KT_CIDRS, 0, peer, n_peer),
	KEY(config_lns, "peer_hostname", KT_STR, 0, peer_hostname),
	TUNNEL_KEYS(config_lns),
	KEY(config_lns, "local_ip", KT_IPV4, KEY_REQUIRED, local_ip),
	LIST_KEY(config_lns, "pool", KT_POOL, 0, pool, n_pool),
	LIST_KEY(config_lns, "dns", KT_DNS, 0, dns, n_dns),
	LIST_KEY(config_lns, "auth", KT_AUTH, 0, auth, n_auth),
	KEY(config_lns, "users", KT_PATH, 0, users),
	KEY(config_lns, "accept_proxy", KT_BOOL, 0, accept_proxy),
	UINT_KEY(config_lns, "idle_timeout", idle_timeout, 0, UINT_MAX),
	UINT_KEY(config_lns, "lcp_echo_interval", lcp_echo_interval, 0, ECHO_MAX),
	UINT_KEY(config_lns, "lcp_echo_failures", lcp_echo_failures, 1, ECHO_FAIL_MAX),
	UINT_KEY(config_lns, "max_sessions_per_tunnel", max_sessions_per_tunnel, 1, 65535),
};

static const struct key_desc lac_keys[] = {
	LIST_KEY(config_lac, "peer", KT_PEERS, KEY_REQUIRED, peer, n_peer),
	TUNNEL_KEYS(config_lac),
	UINT_KEY(config_lac, "max_sessions_per_tunnel", max_sessions_per_tunnel, 1, 65535),
};

static const struct key_desc client_keys[] = {
	LIST_KEY(config_client, "peer", KT_PEERS, KEY_REQUIRED, peer, n_peer),
	TUNNEL_KEYS(config_client),
	KEY(config_client, "user", KT_STR, KEY_REQUIRED, user),
	KEY(config_client, "password", KT_PASSWORD, KEY_REQUIRED, password),
	KEY(config_client, "tun", KT_TUN, 0, tun),
	LIST_KEY(config_client, "routes", KT_ROUTES, 0, routes, n_routes),
	KEY(config_client, "autostart", KT_BOOL, 0, autostart),
	KEY(config_client, "accept_outgoing", KT_BOOL, 0, accept_outgoing),
	UINT_KEY(config_client, "lcp_echo_interval", lcp_echo_interval, 0, ECHO_MAX),
	UINT_KEY(config_client, "lcp_echo_failures", lcp_echo_failures, 1, ECHO_FAIL_MAX),
};

struct kind_desc {
	const char *name;
	const struct key_desc *keys;
	size_t n_keys;
};

static const struct kind_desc kinds[] = {
	[SECT_GLOBAL] = { "global", global_keys, ARRAY_SIZE(global_keys) },
	[SECT_LNS]    = { "lns", lns_keys, ARRAY_SIZE(lns_keys) },
	[SECT_LAC]    = { "lac", lac_keys, ARRAY_SIZE(lac_keys) },
	[SECT_CLIENT] = { "client", client_keys, ARRAY_SIZE(client_keys) },
};
/* clang-format on */

_Static_assert(ARRAY_SIZE(global_keys) <= MAX_KEYS, "raise MAX_KEYS");
_Static_assert(ARRAY_SIZE(lns_keys) <= MAX_KEYS, "raise MAX_KEYS");
_Static_assert(ARRAY_SIZE(lac_keys) <= MAX_KEYS, "raise MAX_KEYS");
_Static_assert(ARRAY_SIZE(client_keys) <= MAX_KEYS, "raise MAX_KEYS");

/* A section as the loader sees it; the data lives in struct config. */
struct sect {
	enum sect_kind kind;
	size_t index; /* into cfg->lns, ->lac or ->client */
	unsigned line;
	char label[8 + NAME_MAX_LEN]; /* "lns isp", for messages */
	unsigned key_line[MAX_KEYS];  /* where each key was (first) set; 0 = unset */
};

#define CUR_NONE -1 /* before the first section header */

struct loader {
	const char *path;
	char *dir; /* absolute, for relative paths in values */
	FILE *fp;
	char *buf;
	size_t cap;
	unsigned lineno;
	struct config *cfg;
	struct sect *sects;
	size_t n_sects;
	long cur;  /* index into sects, or CUR_NONE */
	int error; /* first error: negative errno */
	char msg[512];
};

/* Record the first error. sect and key may be NULL. */
__attribute__((format(printf, 5, 6))) static void ld_fail(struct loader *ld, unsigned line,
                                                          const struct sect *s, const char *key,
                                                          const char *fmt, ...)
{
	char what[WHY_LEN + 64];
	va_list ap;

	if (ld->error)
		return;
	ld->error = -EINVAL;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (s && key)
		snprintf(ld->msg, sizeof(ld->msg), "%s:%u: [%s] %s: %s", ld->path, line, s->label,
		         key, what);
	else if (s)
		snprintf(ld->msg, sizeof(ld->msg), "%s:%u: [%s] %s", ld->path, line, s->label,
		         what);
	else
		snprintf(ld->msg, sizeof(ld->msg), "%s:%u: %s", ld->path, line, what);
}

static void ld_fail_errno(struct loader *ld, int err, const char *what)
{
	if (ld->error)
		return;
	ld->error = err;
	snprintf(ld->msg, sizeof(ld->msg), "%s: %s: %s", ld->path, what, strerror(-err));
}

static void *sect_base(struct loader *ld, const struct sect *s)
{
	switch (s->kind) {
	case SECT_LNS:
		return &ld->cfg->lns[s->index];
	case SECT_LAC:
		return &ld->cfg->lac[s->index];
	case SECT_CLIENT:
		return &ld->cfg->client[s->index];
	case SECT_GLOBAL:
		break;
	}
	return &ld->cfg->global;
}

static int key_index(enum sect_kind kind, const char *name)
{
	for (size_t i = 0; i < kinds[kind].n_keys; i++)
		if (!strcmp(kinds[kind].keys[i].name, name))
			return (int)i;
	return -1;
}

/* ---- value parsers: 0, or -EINVAL with the reason in why ---- */

static int parse_uint(const char *v, unsigned min, unsigned max, unsigned *out, char *why)
{
	unsigned long long x;
	char *end;

	if (!isdigit((unsigned char)v[0])) {
		snprintf(why, WHY_LEN, "'%s' is not a whole number", v);
		return -EINVAL;
	}
	errno = 0;
	x = strtoull(v, &end, 10);
	if (*end) {
		snprintf(why, WHY_LEN, "'%s' is not a whole number", v);
		return -EINVAL;
	}
	if (errno == ERANGE || x < min || x > max) {
		snprintf(why, WHY_LEN, "%s is out of range (%u-%u)", v, min, max);
		return -EINVAL;
	}
	*out = (unsigned)x;
	return 0;
}

static int parse_bool(const char *v, bool *out, char *why)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			*out = !strcasecmp(v, yes[i]);
			return 0;
		}
	}
	snprintf(why, WHY_LEN, "'%s' is not a boolean (yes/no, true/false, on/off, 1/0)", v);
	return -EINVAL;
}

static int parse_ipv4(const char *v, struct in_addr *out, char *why)
{
	if (inet_pton(AF_INET, v, out) != 1) {
		snprintf(why, WHY_LEN, "'%s' is not an IPv4 address", v);
		return -EINVAL;
	}
	return 0;
}

static const char *ipv4_str(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static uint8_t *prefix_bytes(struct config_prefix *p)
{
	return p->family == AF_INET ? (uint8_t *)&p->addr.v4 : p->addr.v6.s6_addr;
}

static int parse_prefix(const char *tok, bool v4_only, struct config_prefix *p, char *why)
{
	const char *slash = strchr(tok, '/');
	size_t alen = slash ? (size_t)(slash - tok) : strlen(tok);
	char addr[INET6_ADDRSTRLEN];
	unsigned maxlen, len;
	uint8_t *b;
	bool host_bits = false;

	memset(p, 0, sizeof(*p));
	if (alen >= sizeof(addr))
		goto bad;
	memcpy(addr, tok, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, &p->addr.v4) == 1) {
		p->family = AF_INET;
		maxlen = 32;
	} else if (!v4_only && inet_pton(AF_INET6, addr, &p->addr.v6) == 1) {
		p->family = AF_INET6;
		maxlen = 128;
	} else {
		goto bad;
	}
	len = maxlen;
	if (slash && parse_uint(slash + 1, 0, maxlen, &len, why)) {
		snprintf(why, WHY_LEN, "'%s': the prefix length must be 0-%u", tok, maxlen);
		return -EINVAL;
	}
	p->len = (uint8_t)len;
	b = prefix_bytes(p);
	for (unsigned bit = len; bit < maxlen; bit++) {
		uint8_t m = (uint8_t)(0x80u >> (bit % 8));

		if (b[bit / 8] & m) {
			host_bits = true;
			b[bit / 8] &= (uint8_t)~m;
		}
	}
	if (host_bits) {
		char net[INET6_ADDRSTRLEN];

		inet_ntop(p->family, b, net, sizeof(net));
		snprintf(why, WHY_LEN, "'%s' has host bits set (the network is %s/%u)", tok, net,
		         len);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(why, WHY_LEN, "'%s' is not an %s prefix", tok, v4_only ? "IPv4" : "IPv4 or IPv6");
	return -EINVAL;
}

/* "A-B", "A/N" (without its first and last address up to /30) or "A". */
static int parse_range(const char *tok, struct config_range *r, char *why)
{
	const char *dash = strchr(tok, '-');
	uint32_t first, last;

	if (dash) {
		char a[INET_ADDRSTRLEN];
		size_t alen = (size_t)(dash - tok);

		if (alen >= sizeof(a) ||
		    (memcpy(a, tok, alen), a[alen] = '\0', inet_pton(AF_INET, a, &r->first) != 1) ||
		    inet_pton(AF_INET, dash + 1, &r->last) != 1) {
			snprintf(why, WHY_LEN, "'%s' is not a range of IPv4 addresses", tok);
			return -EINVAL;
		}
		if (ntohl(r->first.s_addr) > ntohl(r->last.s_addr)) {
			snprintf(why, WHY_LEN, "'%s' is not a range (start after end)", tok);
			return -EINVAL;
		}
	} else {
		struct config_prefix p;
		uint32_t net, size;

		if (parse_prefix(tok, true, &p, why))
			return -EINVAL;
		net = ntohl(p.addr.v4.s_addr);
		size = p.len == 0 ? 0 : (uint32_t)1 << (32 - p.len); /* 0: all 2^32 */
		last = net + size - 1;
		first = net;
		if (p.len <= 30) {
			/* A pool given as a subnet keeps the usual conventions:
			 * its network and broadcast addresses are not handed out. */
			first++;
			last--;
		}
		r->first.s_addr = htonl(first);
		r->last.s_addr = htonl(last);
	}
	first = ntohl(r->first.s_addr);
	last = ntohl(r->last.s_addr);
	if (first < 0x01000000u || last >= 0xe0000000u ||
	    (first < 0x80000000u && last >= 0x7f000000u)) {
		snprintf(why, WHY_LEN,
		         "'%s' includes addresses that are not unicast (0/8, 127/8, 224/3)", tok);
		return -EINVAL;
	}
	return 0;
}

static uint32_t range_size(const struct config_range *r)
{
	return ntohl(r->last.s_addr) - ntohl(r->first.s_addr) + 1;
}

static bool range_overlaps(const struct config_range *a, const struct config_range *b)
{
	return ntohl(a->first.s_addr) <= ntohl(b->last.s_addr) &&
	       ntohl(b->first.s_addr) <= ntohl(a->last.s_addr);
}

static bool range_contains(const struct config_range *r, struct in_addr a)
{
	return ntohl(r->first.s_addr) <= ntohl(a.s_addr) &&
	       ntohl(a.s_addr) <= ntohl(r->last.s_addr);
}

static void range_str(const struct config_range *r, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	snprintf(buf, len, "%s-%s", ipv4_str(r->first, a), ipv4_str(r->last, b));
}

/* Split "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT" in place. */
static int split_hostport(char *tok, char **host, unsigned *port, bool *bracketed, char *why)
{
	const char *orig_port = NULL;
	char *p;

	*bracketed = tok[0] == '[';
	if (*bracketed) {
		p = strchr(tok, ']');
		if (!p || (p[1] && p[1] != ':')) {
			snprintf(why, WHY_LEN, "'%s' is not ADDR:PORT or [IPV6]:PORT", tok);
			return -EINVAL;
		}
		*p = '\0';
		*host = tok + 1;
		if (p[1] == ':')
			orig_port = p + 2;
	} else {
		p = strchr(tok, ':');
		if (p && strchr(p + 1, ':')) {
			snprintf(why, WHY_LEN,
			         "'%s': write an IPv6 address in brackets, [ADDR]:PORT", tok);
			return -EINVAL;
		}
		if (p) {
			*p = '\0';
			orig_port = p + 1;
		}
		*host = tok;
	}
	if (!**host) {
		snprintf(why, WHY_LEN, "missing address");
		return -EINVAL;
	}
	*port = CONFIG_PORT_DEFAULT;
	if (orig_port && parse_uint(orig_port, 1, 65535, port, why)) {
		snprintf(why, WHY_LEN, "port '%s' is not a number 1-65535", orig_port);
		return -EINVAL;
	}
	return 0;
}

static bool looks_like_ipv4(const char *s)
{
	return strspn(s, "0123456789.") == strlen(s);
}

static int endpoint_append(struct loader *ld, struct config_endpoint **arr, size_t *n,
                           const struct sockaddr *sa, socklen_t salen, char *why)
{
	struct config_endpoint *grown;

	for (size_t i = 0; i < *n; i++)
		if ((*arr)[i].len == salen && !memcmp(&(*arr)[i].addr, sa, salen))
			return 0; /* a name resolving to an address already listed */
	if (*n >= MAX_ENDPOINTS) {
		snprintf(why, WHY_LEN, "too many addresses (at most %d)", MAX_ENDPOINTS);
		return -EINVAL;
	}
	grown = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (!grown) {
		ld->error = -ENOMEM;
		return -ENOMEM;
	}
	*arr = grown;
	memset(&grown[*n], 0, sizeof(grown[*n]));
	memcpy(&grown[*n].addr, sa, salen);
	grown[*n].len = salen;
	(*n)++;
	return 0;
}

/* Numeric addresses only for listen; peers may be host names, resolved now
 * (every address of a name is a failover target, in resolver order). */
static int parse_endpoint(struct loader *ld, char *tok, bool numeric_only, bool is_listen,
                          struct config_endpoint **arr, size_t *n, char *why)
{
	char orig[WHY_LEN / 2];
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res = NULL, *ai;
	char *host;
	unsigned port;
	bool bracketed;
	size_t before = *n;
	int rc;

	snprintf(orig, sizeof(orig), "%s", tok);
	if (split_hostport(tok, &host, &port, &bracketed, why))
		return -EINVAL;
	if (bracketed) {
		hints.ai_family = AF_INET6;
		hints.ai_flags = AI_NUMERICHOST;
	} else if (looks_like_ipv4(host)) {
		struct in_addr a;

		/* getaddrinfo() would take inet_aton() forms like "10.1". */
		if (inet_pton(AF_INET, host, &a) != 1) {
			snprintf(why, WHY_LEN, "'%s' is not an IPv4 address", host);
			return -EINVAL;
		}
		hints.ai_family = AF_INET;
		hints.ai_flags = AI_NUMERICHOST;
	} else if (numeric_only) {
		snprintf(why, WHY_LEN, "'%s' is not an IP address", orig);
		return -EINVAL;
	}
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc) {
		snprintf(why, WHY_LEN, "cannot resolve '%s': %s", host,
		         rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -EINVAL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			((struct sockaddr_in *)ai->ai_addr)->sin_port = htons((uint16_t)port);
		else if (ai->ai_family == AF_INET6)
			((struct sockaddr_in6 *)ai->ai_addr)->sin6_port = htons((uint16_t)port);
		else
			continue;
		if (is_listen) {
			for (size_t i = 0; i < *n; i++) {
				if ((*arr)[i].len == ai->ai_addrlen &&
				    !memcmp(&(*arr)[i].addr, ai->ai_addr, ai->ai_addrlen)) {
					snprintf(why, WHY_LEN, "'%s' is listed twice", orig);
					rc = -EINVAL;
					goto out;
				}
			}
		}
		rc = endpoint_append(ld, arr, n, ai->ai_addr, ai->ai_addrlen, why);
		if (rc)
			goto out;
	}
	if (*n == before && !is_listen && !rc) {
		/* Every address was a duplicate of an earlier peer: say so. */
		snprintf(why, WHY_LEN, "'%s' is listed twice", orig);
		rc = -EINVAL;
	}
out:
	freeaddrinfo(res);
	return rc;
}

static int parse_tun(const char *v, char *why)
{
	size_t len = strlen(v);

	/* IFNAMSIZ - 1; "%d" lets the kernel number it. */
	if (len == 0 || len > 15 ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz"
	              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-%") != len ||
	    !strcmp(v, ".") || !strcmp(v, "..")) {
		snprintf(why, WHY_LEN,
		         "'%s' is not an interface name (1-15 of A-Z a-z 0-9 . _ - %%)", v);
		return -EINVAL;
	}
	return 0;
}

static int parse_log_level(const char *v, enum config_log_level *out, char *why)
{
	static const struct {
		const char *name;
		enum config_log_level level;
	} names[] = {
	    {"error", CONFIG_LOG_ERR},    {"err", CONFIG_LOG_ERR},   {"warn", CONFIG_LOG_WARN},
	    {"warning", CONFIG_LOG_WARN}, {"info", CONFIG_LOG_INFO}, {"debug", CONFIG_LOG_DEBUG},
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcasecmp(v, names[i].name)) {
			*out = names[i].level;
			return 0;
		}
	}
	snprintf(why, WHY_LEN, "'%s' is not one of error, warn, info, debug", v);
	return -EINVAL;
}

static int parse_auth(const char *v, enum config_auth *out, char *why)
{
	static const char *const names[] = {
	    [CONFIG_AUTH_PAP] = "pap",
	    [CONFIG_AUTH_CHAP] = "chap",
	    [CONFIG_AUTH_MSCHAPV2] = "mschapv2",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcasecmp(v, names[i])) {
			*out = (enum config_auth)i;
			return 0;
		}
	}
	snprintf(why, WHY_LEN, "'%s' is not one of pap, chap, mschapv2", v);
	return -EINVAL;
}

/* A path in a value, relative to the configuration file's directory. */
static char *path_resolve(struct loader *ld, const char *v)
{
	char *p;

	if (v[0] == '/' || !ld->dir)
		return strdup(v);
	if (asprintf(&p, "%s/%s", ld->dir, v) < 0)
		return NULL;
	return p;
}

static void *list_grow(struct loader *ld, void **arr, size_t n, size_t elsize)
{
	void *grown = realloc(*arr, (n + 1) * elsize);

	if (!grown) {
		ld->error = -ENOMEM;
		return NULL;
	}
	*arr = grown;
	return (char *)grown + n * elsize;
}

/* The list keys: one call per whitespace- or comma-separated token. */
static int parse_token(struct loader *ld, const struct key_desc *k, void *base, char *tok,
                       char *why)
{
	void **arr = (void **)((char *)base + k->off);
	size_t *n = (size_t *)((char *)base + k->noff);
	struct config_prefix pfx;
	struct config_range r;

	switch (k->type) {
	case KT_LISTEN:
		return parse_endpoint(ld, tok, true, true, (struct config_endpoint **)arr, n, why);
	case KT_PEERS:
		return parse_endpoint(ld, tok, false, false, (struct config_endpoint **)arr, n,
		                      why);
	case KT_CIDRS:
	case KT_ROUTES: {
		struct config_prefix *slot;

		if (k->type == KT_ROUTES && !strcasecmp(tok, "default")) {
			((struct config_client *)base)->route_default = true;
			return 0;
		}
		if (parse_prefix(tok, false, &pfx, why))
			return -EINVAL;
		if (*n >= MAX_PREFIXES) {
			snprintf(why, WHY_LEN, "too many prefixes (at most %d)", MAX_PREFIXES);
			return -EINVAL;
		}
		slot = list_grow(ld, arr, *n, sizeof(pfx));
		if (!slot)
			return -ENOMEM;
		*slot = pfx;
		(*n)++;
		return 0;
	}
	case KT_POOL: {
		struct config_lns *lns = base;
		struct config_range *slot;
		char other[2 * INET_ADDRSTRLEN + 1];

		if (parse_range(tok, &r, why))
			return -EINVAL;
		for (size_t i = 0; i < lns->n_pool; i++) {
			if (range_overlaps(&r, &lns->pool[i])) {
				range_str(&lns->pool[i], other, sizeof(other));
				snprintf(why, WHY_LEN, "'%s' overlaps %s", tok, other);
				return -EINVAL;
			}
		}
		if ((uint64_t)lns->pool_size + range_size(&r) > POOL_MAX_SIZE) {
			snprintf(why, WHY_LEN, "the pool is too large (more than %u addresses)",
			         POOL_MAX_SIZE);
			return -EINVAL;
		}
		slot = list_grow(ld, arr, *n, sizeof(r));
		if (!slot)
			return -ENOMEM;
		*slot = r;
		(*n)++;
		lns->pool_size += range_size(&r);
		return 0;
	}
	case KT_DNS: {
		struct in_addr *dns = (struct in_addr *)arr;

		if (*n >= 2) {
			snprintf(why, WHY_LEN, "at most 2 addresses");
			return -EINVAL;
		}
		return parse_ipv4(tok, &dns[(*n)++], why);
	}
	case KT_AUTH: {
		enum config_auth *auth = (enum config_auth *)arr, a;

		if (parse_auth(tok, &a, why))
			return -EINVAL;
		for (size_t i = 0; i < *n; i++) {
			if (auth[i] == a) {
				snprintf(why, WHY_LEN, "'%s' is listed twice", tok);
				return -EINVAL;
			}
		}
		auth[(*n)++] = a;
		return 0;
	}
	default:
		break;
	}
	return -EINVAL;
}

static int parse_list(struct loader *ld, const struct key_desc *k, void *base, const char *v,
                      char *why)
{
	char *copy = strdup(v), *save = NULL, *tok;
	int rc = 0, count = 0;

	if (!copy) {
		ld->error = -ENOMEM;
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, " \t,", &save); tok && !rc; tok = strtok_r(NULL, " \t,", &save)) {
		rc = parse_token(ld, k, base, tok, why);
		count++;
	}
	if (!rc && !count) {
		snprintf(why, WHY_LEN, "empty value");
		rc = -EINVAL;
	}
	free(copy);
	return rc;
}

static int parse_string(struct loader *ld, const struct key_desc *k, const char *v, char **out,
                        char *why)
{
	if (strlen(v) > STR_MAX_LEN) {
		snprintf(why, WHY_LEN, "longer than %d characters", STR_MAX_LEN);
		return -EINVAL;
	}
	if (!*v && k->type == KT_SECRET)
		return 0; /* "secret =": no secret */
	if (!*v && k->type != KT_PASSWORD) {
		snprintf(why, WHY_LEN, "empty value");
		return -EINVAL;
	}
	*out = strdup(v);
	if (!*out) {
		ld->error = -ENOMEM;
		return -ENOMEM;
	}
	return 0;
}

static int parse_value(struct loader *ld, const struct key_desc *k, void *base, const char *v,
                       char *why)
{
	void *field = (char *)base + k->off;
	char **str = field;
	int rc;

	if (k->flags & KEY_LIST)
		return parse_list(ld, k, base, v, why);
	switch (k->type) {
	case KT_UINT:
		return parse_uint(v, k->min, k->max, field, why);
	case KT_BOOL:
		return parse_bool(v, field, why);
	case KT_IPV4:
		return parse_ipv4(v, field, why);
	case KT_LOGLEVEL:
		return parse_log_level(v, field, why);
	case KT_STR:
	case KT_SECRET:
	case KT_PASSWORD:
		return parse_string(ld, k, v, str, why);
	case KT_TUN:
		if (parse_tun(v, why))
			return -EINVAL;
		return parse_string(ld, k, v, str, why);
	case KT_PATH:
	case KT_SOCKPATH:
		if (!*v) {
			snprintf(why, WHY_LEN, "empty value");
			return -EINVAL;
		}
		*str = path_resolve(ld, v);
		if (!*str) {
			ld->error = -ENOMEM;
			return -ENOMEM;
		}
		if (k->type == KT_SOCKPATH &&
		    strlen(*str) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			snprintf(why, WHY_LEN,
			         "'%s' is too long for a Unix socket (at most %zu bytes)", *str,
			         sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			return -EINVAL;
		}
		if (k->type == KT_PATH && access(*str, R_OK)) {
			rc = errno;
			snprintf(why, WHY_LEN, "cannot read '%s': %s", *str, strerror(rc));
			return -EINVAL;
		}
		return 0;
	default:
		break;
	}
	return -EINVAL;
}

/* inih's handler: a "key = value" line, in the section the reader saw last. */
static int ld_on_key(void *user, const char *section, const char *name, const char *value)
{
	struct loader *ld = user;
	const struct key_desc *k;
	char why[WHY_LEN] = "";
	struct sect *s;
	int i, rc;

	(void)section; /* always "": the reader keeps section headers from inih */
	if (ld->error)
		return 1;
	if (ld->cur == CUR_NONE) {
		ld_fail(ld, ld->lineno, NULL, NULL, "%s: key outside of any section", name);
		return 1;
	}
	s = &ld->sects[ld->cur];
	i = key_index(s->kind, name);
	if (i < 0) {
		ld_fail(ld, ld->lineno, s, name, "unknown key");
		return 1;
	}
	k = &kinds[s->kind].keys[i];
	if (s->key_line[i] && !(k->flags & KEY_LIST)) {
		ld_fail(ld, ld->lineno, s, name, "set twice (first at line %u)", s->key_line[i]);
		return 1;
	}
	if (!s->key_line[i])
		s->key_line[i] = ld->lineno;
	rc = parse_value(ld, k, sect_base(ld, s), value, why);
	if (rc == -ENOMEM)
		ld_fail_errno(ld, -ENOMEM, "loading");
	else if (rc)
		ld_fail(ld, ld->lineno, s, name, "%s", why);
	return 1;
}

static bool name_valid(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= NAME_MAX_LEN && isalnum((unsigned char)name[0]) &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	           len;
}

/* Append a named section's data to the config, with its defaults. The
 * element is counted before its name is copied, so config_free() finds
 * everything even when that copy fails. */
static int sect_create_data(struct config *cfg, enum sect_kind kind, const char *name,
                            unsigned line, size_t *index)
{
	void *arr;
	char **namep;

	switch (kind) {
	case SECT_LNS: {
		struct config_lns *l;

		arr = realloc(cfg->lns, (cfg->n_lns + 1) * sizeof(*cfg->lns));
		if (!arr)
			return -ENOMEM;
		cfg->lns = arr;
		*index = cfg->n_lns++;
		l = &cfg->lns[*index];
		memset(l, 0, sizeof(*l));
		l->line = line;
		l->accept_proxy = true;
		l->lcp_echo_interval = CONFIG_LCP_ECHO_INTERVAL;
		l->lcp_echo_failures = CONFIG_LCP_ECHO_FAILURES;
		/* The protocol's own bound (16-bit session ids): max_sessions
		 * is the limit that matters unless the operator sets one. */
		l->max_sessions_per_tunnel = 65535;
		namep = &l->name;
		break;
	}
	case SECT_LAC: {
		struct config_lac *l;

		arr = realloc(cfg->lac, (cfg->n_lac + 1) * sizeof(*cfg->lac));
		if (!arr)
			return -ENOMEM;
		cfg->lac = arr;
		*index = cfg->n_lac++;
		l = &cfg->lac[*index];
		memset(l, 0, sizeof(*l));
		l->line = line;
		l->max_sessions_per_tunnel = 65535;
		namep = &l->name;
		break;
	}
	case SECT_CLIENT: {
		struct config_client *c;

		arr = realloc(cfg->client, (cfg->n_client + 1) * sizeof(*cfg->client));
		if (!arr)
			return -ENOMEM;
		cfg->client = arr;
		*index = cfg->n_client++;
		c = &cfg->client[*index];
		memset(c, 0, sizeof(*c));
		c->line = line;
		c->lcp_echo_interval = CONFIG_LCP_ECHO_INTERVAL;
		c->lcp_echo_failures = CONFIG_LCP_ECHO_FAILURES;
		namep = &c->name;
		break;
	}
	case SECT_GLOBAL:
	default:
		*index = 0;
		return 0;
	}
	*namep = strdup(name);
	return *namep ? 0 : -ENOMEM;
}

static char **sect_name_field(struct loader *ld, const struct sect *s)
{
	switch (s->kind) {
	case SECT_LNS:
		return &ld->cfg->lns[s->index].name;
	case SECT_LAC:
		return &ld->cfg->lac[s->index].name;
	case SECT_CLIENT:
		return &ld->cfg->client[s->index].name;
	case SECT_GLOBAL:
		break;
	}
	return NULL;
}

/* A "[kind name]" line (p starts at '['). */
static void ld_on_section(struct loader *ld, char *p)
{
	char *end = strchr(p, ']'), *inner, *name, *after;
	struct sect *s, *grown;
	size_t kind_len;
	int kind = -1;

	ld->cur = CUR_NONE;
	if (!end) {
		ld_fail(ld, ld->lineno, NULL, NULL, "syntax error: missing ']' in section header");
		return;
	}
	after = end + 1 + strspn(end + 1, " \t");
	if (*after && *after != ';' && *after != '#') {
		ld_fail(ld, ld->lineno, NULL, NULL, "syntax error: text after section header");
		return;
	}
	*end = '\0';
	inner = p + 1 + strspn(p + 1, " \t");
	while (end > inner && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	kind_len = strcspn(inner, " \t");
	name = inner + kind_len + strspn(inner + kind_len, " \t");
	inner[kind_len] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(inner, kinds[i].name))
			kind = (int)i;
	if (kind < 0) {
		ld_fail(ld, ld->lineno, NULL, NULL,
		        "unknown section [%s%s%s] (expected global, lns, lac or client)", inner,
		        *name ? " " : "", name);
		return;
	}
	if (kind == SECT_GLOBAL && *name) {
		ld_fail(ld, ld->lineno, NULL, NULL, "[global] takes no name");
		return;
	}
	if (kind != SECT_GLOBAL && !*name) {
		ld_fail(ld, ld->lineno, NULL, NULL, "[%s] needs a name: [%s NAME]", inner, inner);
		return;
	}
	if (kind != SECT_GLOBAL && !name_valid(name)) {
		ld_fail(ld, ld->lineno, NULL, NULL,
		        "[%s %s] a name is 1-%d of A-Z a-z 0-9 . _ - and starts with a letter or "
		        "digit",
		        inner, name, NAME_MAX_LEN);
		return;
	}
	for (size_t i = 0; i < ld->n_sects; i++) {
		const struct sect *o = &ld->sects[i];
		char **oname = sect_name_field(ld, o);

		if ((kind == SECT_GLOBAL && o->kind == SECT_GLOBAL) ||
		    (kind != SECT_GLOBAL && oname && !strcmp(*oname, name))) {
			ld_fail(ld, ld->lineno, NULL, NULL,
			        "[%s%s%s] duplicate section name (first used by [%s] at line %u)",
			        inner, *name ? " " : "", name, o->label, o->line);
			return;
		}
	}
	grown = realloc(ld->sects, (ld->n_sects + 1) * sizeof(*ld->sects));
	if (!grown)
		goto nomem;
	ld->sects = grown;
	s = &ld->sects[ld->n_sects];
	memset(s, 0, sizeof(*s));
	s->kind = (enum sect_kind)kind;
	s->line = ld->lineno;
	snprintf(s->label, sizeof(s->label), "%s%s%s", inner, *name ? " " : "", name);
	/* Counted first: whatever sect_create_data() built is freed with
	 * the config, and the record costs nothing if it failed. */
	ld->n_sects++;
	if (sect_create_data(ld->cfg, s->kind, name, s->line, &s->index))
		goto nomem;
	ld->cur = (long)(ld->n_sects - 1);
	return;
nomem:
	ld_fail_errno(ld, -ENOMEM, "loading");
}

/* Cut a comment (';' or '#' at the start or after a blank) and trailing blanks. */
static void strip_comment(char *p)
{
	for (char *c = p; *c; c++) {
		if ((*c == ';' || *c == '#') && (c == p || c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	}
	for (size_t len = strlen(p); len && (p[len - 1] == ' ' || p[len - 1] == '\t');)
		p[--len] = '\0';
}

/* inih's reader: one line of the file per call, see the top of the file. */
static char *ld_read_line(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	ssize_t n;
	size_t keylen;
	char *p, *eq;

	if (ld->error)
		return NULL; /* stop at the first error */
	n = getline(&ld->buf, &ld->cap, ld->fp);
	if (n < 0) {
		if (ferror(ld->fp))
			ld_fail_errno(ld, -EIO, "read error");
		return NULL;
	}
	ld->lineno++;
	str[0] = '\0';
	if (memchr(ld->buf, '\0', (size_t)n)) {
		ld_fail(ld, ld->lineno, NULL, NULL, "NUL byte in line");
		return str;
	}
	while (n > 0 && (ld->buf[n - 1] == '\n' || ld->buf[n - 1] == '\r'))
		ld->buf[--n] = '\0';
	p = ld->buf;
	if (ld->lineno == 1 && !strncmp(p, "\xef\xbb\xbf", 3))
		p += 3; /* UTF-8 byte order mark */
	p += strspn(p, " \t");
	if (*p == '[') {
		ld_on_section(ld, p);
		return str;
	}
	strip_comment(p);
	if (!*p)
		return str;
	eq = strchr(p, '=');
	keylen = eq ? (size_t)(eq - p) : 0;
	while (keylen && (p[keylen - 1] == ' ' || p[keylen - 1] == '\t'))
		keylen--;
	if (!eq || !keylen ||
	    strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
	        keylen) {
		ld_fail(ld, ld->lineno, NULL, NULL,
		        "syntax error: expected \"[section]\" or \"key = value\"");
		return str;
	}
	if (strlen(p) >= (size_t)num) {
		ld_fail(ld, ld->lineno, NULL, NULL,
		        "line too long (at most %d characters; a list key may be repeated)",
		        num - 1);
		return str;
	}
	memcpy(str, p, strlen(p) + 1);
	return str;
}

/* ---- after the whole file: defaults, required keys, cross-checks ---- */

static int global_defaults(struct loader *ld)
{
	struct config_global *g = &ld->cfg->global;
	char host[256];

	if (!g->n_listen) {
		struct sockaddr_in sin = {.sin_family = AF_INET,
		                          .sin_port = htons(CONFIG_PORT_DEFAULT),
		                          .sin_addr.s_addr = htonl(INADDR_ANY)};
		char why[WHY_LEN];

		if (endpoint_append(ld, &g->listen, &g->n_listen, (struct sockaddr *)&sin,
		                    sizeof(sin), why))
			return -ENOMEM;
	}
	if (!g->hostname) {
		if (gethostname(host, sizeof(host)) || !host[0])
			snprintf(host, sizeof(host), "l2tpd");
		host[sizeof(host) - 1] = '\0';
		g->hostname = strdup(host);
	}
	if (!g->control)
		g->control = strdup(DEFAULT_CONTROL);
	if (!g->tun)
		g->tun = strdup(DEFAULT_TUN);
	if (!g->hostname || !g->control || !g->tun)
		return -ENOMEM;
	return 0;
}

static const struct sect *find_sect(const struct loader *ld, enum sect_kind kind, size_t index)
{
	for (size_t i = 0; i < ld->n_sects; i++)
		if (ld->sects[i].kind == kind && ld->sects[i].index == index)
			return &ld->sects[i];
	return NULL;
}

static unsigned key_line(const struct sect *s, const char *name)
{
	int i = key_index(s->kind, name);

	return i < 0 ? 0 : s->key_line[i];
}

static void check_tunnel(struct loader *ld, const struct sect *s, const struct config_tunnel *t,
                         const char *secret, bool hide_avps)
{
	unsigned line;

	if (t->retransmit_cap < t->retransmit_initial) {
		line = key_line(s, "retransmit_cap");
		ld_fail(ld, line ? line : key_line(s, "retransmit_initial"), s,
		        line ? "retransmit_cap" : "retransmit_initial",
		        "retransmit_cap (%u) is less than retransmit_initial (%u)",
		        t->retransmit_cap, t->retransmit_initial);
	}
	if (hide_avps && !secret)
		ld_fail(ld, key_line(s, "hide_avps"), s, "hide_avps",
		        "hiding AVPs needs a secret in this section");
}

static void check_lns(struct loader *ld, const struct sect *s, struct config_lns *l)
{
	char a[INET_ADDRSTRLEN], r[2 * INET_ADDRSTRLEN + 1];

	check_tunnel(ld, s, &l->tunnel, l->secret, l->hide_avps);
	/* The pools of all [lns] sections are disjoint, and none holds a
	 * local_ip: one address, one owner. Each pair is checked once, from
	 * the later section, so the message points at the later line. */
	for (size_t j = 0; j < ld->cfg->n_lns; j++) {
		const struct config_lns *o = &ld->cfg->lns[j];
		const struct sect *os = find_sect(ld, SECT_LNS, j);

		for (size_t k = 0; k < o->n_pool; k++) {
			if (range_contains(&o->pool[k], l->local_ip)) {
				range_str(&o->pool[k], r, sizeof(r));
				ld_fail(ld, key_line(s, "local_ip"), s, "local_ip",
				        "%s is inside the pool %s of [%s]",
				        ipv4_str(l->local_ip, a), r, os->label);
			}
			if (o == l || o->line > l->line)
				continue;
			for (size_t i = 0; i < l->n_pool; i++) {
				if (range_overlaps(&l->pool[i], &o->pool[k])) {
					range_str(&o->pool[k], r, sizeof(r));
					ld_fail(ld, key_line(s, "pool"), s, "pool",
					        "overlaps the pool %s of [%s] (line %u)", r,
					        os->label, key_line(os, "pool"));
				}
			}
		}
	}
	if (!l->n_peer) {
		/* Absent = any peer, like an absent peer_hostname. */
		static const struct config_prefix any[] = {{.family = AF_INET},
		                                           {.family = AF_INET6}};

		l->peer = malloc(sizeof(any));
		if (!l->peer) {
			ld_fail_errno(ld, -ENOMEM, "loading");
			return;
		}
		memcpy(l->peer, any, sizeof(any));
		l->n_peer = ARRAY_SIZE(any);
	}
	if (!l->n_auth) {
		l->auth[l->n_auth++] = CONFIG_AUTH_CHAP;
		l->auth[l->n_auth++] = CONFIG_AUTH_MSCHAPV2;
		l->auth[l->n_auth++] = CONFIG_AUTH_PAP;
	}
}

static bool endpoint_host_in(const struct config_client *c, const struct sockaddr *peer);

static void check_client(struct loader *ld, const struct sect *s, const struct config_client *c)
{
	const struct config_global *g = &ld->cfg->global;

	check_tunnel(ld, s, &c->tunnel, c->secret, c->hide_avps);
	/* One PPP endpoint per LNS for its outgoing calls: with two, which
	 * user would answer an OCRQ would depend on section order. */
	for (const struct config_client *o = ld->cfg->client; c->accept_outgoing && o < c; o++) {
		for (size_t i = 0; o->accept_outgoing && i < c->n_peer; i++) {
			char host[INET6_ADDRSTRLEN] = "?";
			const struct sockaddr *sa = (const struct sockaddr *)&c->peer[i].addr;

			if (!endpoint_host_in(o, sa))
				continue;
			if (sa->sa_family == AF_INET)
				inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host,
				          sizeof(host));
			else
				inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
				          host, sizeof(host));
			ld_fail(ld, key_line(s, "accept_outgoing"), s, "accept_outgoing",
			        "[client %s] also accepts outgoing calls from %s", o->name, host);
			return;
		}
	}
	if (!c->tun || strchr(c->tun, '%'))
		return;
	if (!strcmp(c->tun, g->tun))
		ld_fail(ld, key_line(s, "tun"), s, "tun", "'%s' is also [global]'s tun", c->tun);
	for (const struct config_client *o = ld->cfg->client; o < c; o++) {
		if (o->tun && !strcmp(o->tun, c->tun))
			ld_fail(ld, key_line(s, "tun"), s, "tun",
			        "'%s' is also the tun of [client %s]", c->tun, o->name);
	}
}

static void ld_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;

	if (global_defaults(ld)) {
		ld_fail_errno(ld, -ENOMEM, "loading");
		return;
	}
	for (size_t i = 0; i < ld->n_sects; i++) {
		const struct sect *s = &ld->sects[i];
		const struct kind_desc *kd = &kinds[s->kind];
		char *base = sect_base(ld, s);

		for (size_t k = 0; k < kd->n_keys; k++) {
			const struct key_desc *key = &kd->keys[k];

			if ((key->flags & KEY_REQUIRED) && !s->key_line[k])
				ld_fail(ld, s->line, s, key->name, "required key missing");
			if ((key->flags & KEY_INHERIT) && !s->key_line[k])
				memcpy(base + key->off, (char *)&cfg->global + key->goff,
				       sizeof(unsigned));
		}
	}
	if (ld->error)
		return;
	{
		/* [global] may be absent or anywhere: name it when it exists. */
		static const struct sect none = {.kind = SECT_GLOBAL, .label = "global"};
		const struct sect *gs = find_sect(ld, SECT_GLOBAL, 0);

		check_tunnel(ld, gs ? gs : &none, &cfg->global.tunnel, "", false);
	}
	for (size_t i = 0; i < ld->n_sects; i++) {
		const struct sect *s = &ld->sects[i];

		switch (s->kind) {
		case SECT_LNS:
			check_lns(ld, s, &cfg->lns[s->index]);
			break;
		case SECT_LAC:
			check_tunnel(ld, s, &cfg->lac[s->index].tunnel, cfg->lac[s->index].secret,
			             cfg->lac[s->index].hide_avps);
			break;
		case SECT_CLIENT:
			check_client(ld, s, &cfg->client[s->index]);
			break;
		case SECT_GLOBAL:
			break;
		}
	}
}

static struct config *config_new_defaults(void)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	struct config_global *g;

	if (!cfg)
		return NULL;
	g = &cfg->global;
	g->tunnel.hello_interval = 60;
	g->tunnel.retransmit_initial = 1;
	g->tunnel.retransmit_cap = 8;
	g->tunnel.retransmit_max = 5;
	g->tunnel.receive_window = 16;
	g->max_half_open = 256;
	g->max_tunnels = 65535;
	g->max_sessions = 100000;
	g->log_level = CONFIG_LOG_INFO;
	return cfg;
}

static char *config_dir(const char *path)
{
	char *copy = strdup(path), *dir, *real = NULL;

	if (!copy)
		return NULL;
	dir = dirname(copy);
	real = realpath(dir, NULL);
	if (!real)
		real = strdup(dir);
	free(copy);
	return real;
}

int config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	struct loader ld = {.path = path, .cur = CUR_NONE};
	int rc;

	*out = NULL;
	ld.cfg = config_new_defaults();
	ld.dir = config_dir(path);
	if (!ld.cfg || !ld.dir || !(ld.cfg->path = strdup(path))) {
		ld_fail_errno(&ld, -ENOMEM, "loading");
		goto done;
	}
	ld.fp = fopen(path, "re");
	if (!ld.fp) {
		ld.error = -errno;
		snprintf(ld.msg, sizeof(ld.msg), "%s: %s", path, strerror(errno));
		goto done;
	}
	rc = ini_parse_stream(ld_read_line, &ld, ld_on_key, &ld);
	if (rc == -2)
		ld_fail_errno(&ld, -ENOMEM, "loading");
	else if (rc > 0)
		/* Our reader passes inih only lines it accepts, so this is a
		 * safety net for inih rules we did not anticipate. */
		ld_fail(&ld, (unsigned)rc, NULL, NULL, "syntax error");
	if (!ld.error)
		ld_finish(&ld);
done:
	if (ld.fp)
		fclose(ld.fp);
	free(ld.buf);
	free(ld.sects);
	free(ld.dir);
	if (ld.error) {
		if (err && errlen)
			snprintf(err, errlen, "%s", ld.msg);
		config_free(ld.cfg);
		return ld.error;
	}
	*out = ld.cfg;
	return 0;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->global.listen);
	free(cfg->global.hostname);
	free(cfg->global.control);
	free(cfg->global.tun);
	for (size_t i = 0; i < cfg->n_lns; i++) {
		struct config_lns *l = &cfg->lns[i];

		free(l->name);
		free(l->peer);
		free(l->peer_hostname);
		free(l->secret);
		free(l->pool);
		free(l->users);
	}
	for (size_t i = 0; i < cfg->n_lac; i++) {
		free(cfg->lac[i].name);
		free(cfg->lac[i].peer);
		free(cfg->lac[i].secret);
	}
	for (size_t i = 0; i < cfg->n_client; i++) {
		struct config_client *c = &cfg->client[i];

		free(c->name);
		free(c->peer);
		free(c->secret);
		free(c->user);
		free(c->password);
		free(c->tun);
		free(c->routes);
	}
	free(cfg->lns);
	free(cfg->lac);
	free(cfg->client);
	free(cfg);
}

const struct config_lns *config_find_lns(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_lns; i++)
		if (!strcmp(cfg->lns[i].name, name))
			return &cfg->lns[i];
	return NULL;
}

const struct config_lac *config_find_lac(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_lac; i++)
		if (!strcmp(cfg->lac[i].name, name))
			return &cfg->lac[i];
	return NULL;
}

const struct config_client *config_find_client(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_client; i++)
		if (!strcmp(cfg->client[i].name, name))
			return &cfg->client[i];
	return NULL;
}

static bool prefix_contains(const struct config_prefix *p, sa_family_t family, const uint8_t *a)
{
	const uint8_t *net =
	    p->family == AF_INET ? (const uint8_t *)&p->addr.v4 : p->addr.v6.s6_addr;
	unsigned full = p->len / 8, rem = p->len % 8;

	if (p->family != family || memcmp(net, a, full))
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xffu << (8 - rem));

		return (net[full] & mask) == (a[full] & mask);
	}
	return true;
}

/* The address (port aside) of peer, IPv4-mapped IPv6 as IPv4: family and
 * a pointer to its octets; false for other families. */
static bool sockaddr_host(const struct sockaddr *peer, sa_family_t *family, const uint8_t **a)
{
	*family = peer->sa_family;
	if (*family == AF_INET) {
		*a = (const uint8_t *)&((const struct sockaddr_in *)peer)->sin_addr;
	} else if (*family == AF_INET6) {
		*a = ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)*a)) {
			*family = AF_INET;
			*a += 12;
		}
	} else {
		return false;
	}
	return true;
}

/* peer's address is one of c's peers. The port is left out: an LNS may
 * answer from another port than the one we dialled (RFC 2661 §8.1). */
static bool endpoint_host_in(const struct config_client *c, const struct sockaddr *peer)
{
	const uint8_t *a, *b;
	sa_family_t fa, fb;

	if (!sockaddr_host(peer, &fa, &a))
		return false;
	for (size_t i = 0; i < c->n_peer; i++) {
		if (!sockaddr_host((const struct sockaddr *)&c->peer[i].addr, &fb, &b) || fa != fb)
			continue;
		if (!memcmp(a, b, fa == AF_INET ? 4 : 16))
			return true;
	}
	return false;
}

const struct config_client *config_match_client_outgoing(const struct config *cfg,
                                                         const struct sockaddr *peer)
{
	for (size_t i = 0; i < cfg->n_client; i++)
		if (cfg->client[i].accept_outgoing && endpoint_host_in(&cfg->client[i], peer))
			return &cfg->client[i];
	return NULL;
}

const struct config_lns *config_match_lns(const struct config *cfg, const struct sockaddr *peer,
                                          const char *hostname)
{
	const uint8_t *a;
	sa_family_t family = peer->sa_family;

	if (family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)peer)->sin_addr;
	} else if (family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) {
			family = AF_INET;
			a += 12;
		}
	} else {
		return NULL;
	}
	for (size_t i = 0; i < cfg->n_lns; i++) {
		const struct config_lns *l = &cfg->lns[i];
		bool in = false;

		for (size_t j = 0; j < l->n_peer && !in; j++)
			in = prefix_contains(&l->peer[j], family, a);
		if (!in)
			continue;
		if (l->peer_hostname &&
		    (!hostname || fnmatch(l->peer_hostname, hostname, FNM_CASEFOLD)))
			continue;
		return l;
	}
	return NULL;
}
