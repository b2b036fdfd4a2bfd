/* The configuration: an INI file (l2tpd.conf(5)) loaded, checked and turned
 * into plain data. Every error names FILE:LINE, the [section] and the key.
 * A struct config owns all its memory; the daemon reads it, never changes
 * it, and swaps in a new one on reload. */
#ifndef L2TPD_CONFIG_H
#define L2TPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define CONFIG_PORT_DEFAULT 1701

/* Same order and values as log.h's enum log_level. */
enum config_log_level { CONFIG_LOG_ERR, CONFIG_LOG_WARN, CONFIG_LOG_INFO, CONFIG_LOG_DEBUG };
enum config_auth { CONFIG_AUTH_PAP, CONFIG_AUTH_CHAP, CONFIG_AUTH_MSCHAPV2 };

struct config_endpoint { /* a UDP address, port set */
	struct sockaddr_storage addr;
	socklen_t len;
};

struct config_prefix {      /* host bits are zero */
	sa_family_t family; /* AF_INET or AF_INET6 */
	uint8_t len;        /* bits */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
};

struct config_range { /* an IPv4 pool range, inclusive */
	struct in_addr first, last;
};

/* Control-connection timers and window; a section inherits [global]'s
 * value of each one it does not set. */
struct config_tunnel {
	unsigned hello_interval;     /* seconds of silence before a HELLO; 0 = none */
	unsigned retransmit_initial; /* seconds; doubles per retry ... */
	unsigned retransmit_cap;     /* ... up to this */
	unsigned retransmit_max;     /* retries, then the peer is dead */
	unsigned receive_window;
};

struct config_global {
	struct config_endpoint *listen;
	size_t n_listen;
	char *hostname; /* default: gethostname() */
	char *control;  /* Unix socket path */
	char *tun;
	struct config_tunnel tunnel;
	unsigned max_half_open; /* tunnels being set up at once */
	unsigned max_tunnels;
	unsigned max_sessions; /* over all tunnels */
	enum config_log_level log_level;
};

/* LCP keepalive defaults: a dead peer is noticed within about 90 s. */
#define CONFIG_LCP_ECHO_INTERVAL 30
#define CONFIG_LCP_ECHO_FAILURES 3

struct config_lns {
	char *name;
	unsigned line;              /* of the [lns NAME] header */
	struct config_prefix *peer; /* default 0.0.0.0/0 and ::/0 */
	size_t n_peer;
	char *peer_hostname; /* fnmatch(3) glob; NULL = any */
	char *secret;        /* NULL = no tunnel authentication */
	bool hide_avps;
	bool data_sequencing; /* §5.4: we turn data sequencing on (the LAC follows) */
	struct config_tunnel tunnel;
	struct in_addr local_ip;
	struct config_range *pool; /* disjoint from every other pool and local_ip */
	size_t n_pool;
	uint32_t pool_size; /* addresses in all ranges */
	struct in_addr dns[2];
	size_t n_dns;
	enum config_auth auth[3]; /* in order of preference */
	size_t n_auth;
	char *users; /* NULL = no local users file */
	bool accept_proxy;
	unsigned idle_timeout; /* seconds; 0 = none */
	unsigned lcp_echo_interval; /* seconds; 0 = no LCP keepalive */
	unsigned lcp_echo_failures; /* unanswered echoes before the link is down */
	unsigned max_sessions_per_tunnel;
};

struct config_lac {
	char *name;
	unsigned line;
	struct config_endpoint *peer; /* in failover order */
	size_t n_peer;
	char *secret;
	bool hide_avps;
	bool data_sequencing; /* §5.4: Sequencing Required in ICCN/OCCN */
	struct config_tunnel tunnel;
	unsigned max_sessions_per_tunnel;
};

struct config_client {
	char *name;
	unsigned line;
	struct config_endpoint *peer;
	size_t n_peer;
	char *secret;
	bool hide_avps;
	bool data_sequencing; /* as in [lac] */
	struct config_tunnel tunnel;
	char *user;
	char *password;
	char *tun; /* NULL = the kernel picks a name */
	bool route_default;
	struct config_prefix *routes;
	size_t n_routes;
	bool autostart;
	/* Answer an outgoing call (OCRQ, RFC 2661 §7.5.1) from one of the
	 * peers with this client's PPP: a remote dial by the LNS. */
	bool accept_outgoing;
	unsigned lcp_echo_interval; /* as in [lns] */
	unsigned lcp_echo_failures;
};

struct config {
	char *path;
	struct config_global global;
	struct config_lns *lns; /* in file order */
	size_t n_lns;
	struct config_lac *lac;
	size_t n_lac;
	struct config_client *client;
	size_t n_client;
};

/* 0 and *out set; or a negative errno (-EINVAL for a bad configuration)
 * and a one-line message "FILE:LINE: [section] key: what is wrong" in err. */
int config_load(const char *path, struct config **out, char *err, size_t errlen);
void config_free(struct config *cfg);

/* Section names are unique over all kinds. NULL if none. */
const struct config_lns *config_find_lns(const struct config *cfg, const char *name);
const struct config_lac *config_find_lac(const struct config *cfg, const char *name);
const struct config_client *config_find_client(const struct config *cfg, const char *name);

/* The first [lns] whose peer prefixes hold the address (IPv4-mapped IPv6
 * counts as IPv4) and whose peer_hostname glob matches hostname (NULL when
 * the peer sent none: only sections without a glob match), or NULL. */
const struct config_lns *config_match_lns(const struct config *cfg, const struct sockaddr *peer,
                                          const char *hostname);
/* The [client] with accept_outgoing whose peers include peer's address
 * (any port): the PPP endpoint for an outgoing call (OCRQ) from that LNS.
 * At most one: the loader refuses two that share an address. NULL if none. */
const struct config_client *config_match_client_outgoing(const struct config *cfg,
                                                         const struct sockaddr *peer);

#endif
