/* config: every key parsed to its value, the defaults, and each class of
 * error reported as FILE:LINE: [section] key: message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config.h"

struct tmpdir {
	char dir[64];
	char conf[96];
	char users[96];
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	struct tmpdir *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/l2tpd-test-config-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->conf, sizeof(t->conf), "%s/l2tpd.conf", t->dir);
	snprintf(t->users, sizeof(t->users), "%s/users", t->dir);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmpdir *t = *state;

	unlink(t->conf);
	unlink(t->users);
	rmdir(t->dir);
	free(t);
	return 0;
}

/* Load text as the configuration file; the error message, if any, in err. */
static int load(struct tmpdir *t, const char *text, struct config **cfg, char *err, size_t errlen)
{
	write_file(t->conf, text);
	err[0] = '\0';
	return config_load(t->conf, cfg, err, errlen);
}

static struct config *load_ok(struct tmpdir *t, const char *text)
{
	struct config *cfg = NULL;
	char err[512];
	int rc = load(t, text, &cfg, err, sizeof(err));

	if (rc)
		fail_msg("config_load: %d: %s", rc, err);
	assert_non_null(cfg);
	return cfg;
}

static const char *ip4(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *endpoint(const struct config_endpoint *e, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (e->addr.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&e->addr;

		assert_int_equal(e->len, sizeof(*sin));
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&e->addr;

		assert_int_equal(e->addr.ss_family, AF_INET6);
		assert_int_equal(e->len, sizeof(*sin6));
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(sin6->sin6_port));
	}
	return buf;
}

static const char *prefix(const struct config_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family, &p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

static const char full_config[] =
	"\xef\xbb\xbf# every key, with a byte order mark and CRLF line ends below\n"
	"[global]\r\n"
	"listen = 127.0.0.1:1701 [::1]:1702\n"
	"listen = 192.0.2.10                ; the key may be repeated\n"
	"hostname = lns1\n"
	"control = ctl.sock                 # relative to this file\n"
	"tun = l2tp9\n"
	"hello_interval = 30\n"
	"retransmit_initial = 2\n"
	"retransmit_cap = 16\n"
	"retransmit_max = 7\n"
	"receive_window = 32\n"
	"max_half_open = 100\n"
	"max_tunnels = 2000\n"
	"max_sessions = 50000\n"
	"log_level = debug\n"
	"\n"
	"  [lns isp]\n"
	"  peer = 10.0.0.0/8, 2001:db8::/32\n"
	"  peer = 192.0.2.7\n"
	"  peer_hostname = lac-*\n"
	"  secret = s3cr;et#x\n"
	"  hide_avps = on\n"
	"  data_sequencing = yes\n"
	"  hello_interval = 0\n"
	"  receive_window = 8\n"
	"  local_ip = 10.100.0.1\n"
	"  pool = 10.100.0.2-10.100.3.254\n"
	"  pool = 10.101.0.0/30 10.102.0.9\n"
	"  dns = 10.0.0.53 10.0.0.54\n"
	"  auth = mschapv2 pap\n"
	"  users = users\n"
	"  accept_proxy = false\n"
	"  idle_timeout = 600\n"
	"  lcp_echo_interval = 0\n"
	"  lcp_echo_failures = 255\n"
	"  max_sessions_per_tunnel = 4000\n"
	"\n"
	"[lac far]\n"
	"peer = 192.0.2.1:1701 [2001:db8::1] 192.0.2.2:1799\n"
	"secret = lacsecret\n"
	"hide_avps = 1\n"
	"retransmit_max = 3\n"
	"max_sessions_per_tunnel = 1000\n"
	"\n"
	"[client home]\n"
	"peer = 198.51.100.7\n"
	"secret =\n"
	"user = alice\n"
	"password = wonder land\n"
	"tun = vpn0\n"
	"routes = default 10.1.0.0/16 2001:db8:1::/48\n"
	"autostart = yes\n"
	"accept_outgoing = yes\n"
	"lcp_echo_interval = 10\n"
	"lcp_echo_failures = 5\n";

static void test_full(void **state)
{
	struct tmpdir *t = *state;
	struct config *cfg;
	const struct config_global *g;
	const struct config_lns *l;
	const struct config_lac *a;
	const struct config_client *c;
	char buf[128], path[160];

	write_file(t->users, "alice wonderland\n");
	cfg = load_ok(t, full_config);
	g = &cfg->global;
	assert_string_equal(cfg->path, t->conf);
	assert_int_equal(g->n_listen, 3);
	assert_string_equal(endpoint(&g->listen[0], buf, sizeof(buf)), "127.0.0.1:1701");
	assert_string_equal(endpoint(&g->listen[1], buf, sizeof(buf)), "[::1]:1702");
	assert_string_equal(endpoint(&g->listen[2], buf, sizeof(buf)), "192.0.2.10:1701");
	assert_string_equal(g->hostname, "lns1");
	snprintf(path, sizeof(path), "%s/ctl.sock", t->dir);
	assert_string_equal(g->control, path);
	assert_string_equal(g->tun, "l2tp9");
	assert_int_equal(g->tunnel.hello_interval, 30);
	assert_int_equal(g->tunnel.retransmit_initial, 2);
	assert_int_equal(g->tunnel.retransmit_cap, 16);
	assert_int_equal(g->tunnel.retransmit_max, 7);
	assert_int_equal(g->tunnel.receive_window, 32);
	assert_int_equal(g->max_half_open, 100);
	assert_int_equal(g->max_tunnels, 2000);
	assert_int_equal(g->max_sessions, 50000);
	assert_int_equal(g->log_level, CONFIG_LOG_DEBUG);

	assert_int_equal(cfg->n_lns, 1);
	l = &cfg->lns[0];
	assert_string_equal(l->name, "isp");
	assert_int_equal(l->line, 18);
	assert_int_equal(l->n_peer, 3);
	assert_string_equal(prefix(&l->peer[0], buf, sizeof(buf)), "10.0.0.0/8");
	assert_string_equal(prefix(&l->peer[1], buf, sizeof(buf)), "2001:db8::/32");
	assert_string_equal(prefix(&l->peer[2], buf, sizeof(buf)), "192.0.2.7/32");
	assert_string_equal(l->peer_hostname, "lac-*");
	/* ';' and '#' start a comment only at a line's start or after a blank. */
	assert_string_equal(l->secret, "s3cr;et#x");
	assert_true(l->hide_avps);
	assert_true(l->data_sequencing);
	assert_int_equal(l->tunnel.hello_interval, 0);
	assert_int_equal(l->tunnel.receive_window, 8);
	assert_int_equal(l->tunnel.retransmit_initial, 2); /* inherited */
	assert_int_equal(l->tunnel.retransmit_cap, 16);
	assert_int_equal(l->tunnel.retransmit_max, 7);
	assert_string_equal(ip4(l->local_ip, buf), "10.100.0.1");
	assert_int_equal(l->n_pool, 3);
	assert_string_equal(ip4(l->pool[0].first, buf), "10.100.0.2");
	assert_string_equal(ip4(l->pool[0].last, buf), "10.100.3.254");
	assert_string_equal(ip4(l->pool[1].first, buf), "10.101.0.1"); /* /30: .1 and .2 */
	assert_string_equal(ip4(l->pool[1].last, buf), "10.101.0.2");
	assert_string_equal(ip4(l->pool[2].first, buf), "10.102.0.9");
	assert_string_equal(ip4(l->pool[2].last, buf), "10.102.0.9");
	assert_int_equal(l->pool_size, 1021 + 2 + 1);
	assert_int_equal(l->n_dns, 2);
	assert_string_equal(ip4(l->dns[0], buf), "10.0.0.53");
	assert_string_equal(ip4(l->dns[1], buf), "10.0.0.54");
	assert_int_equal(l->n_auth, 2);
	assert_int_equal(l->auth[0], CONFIG_AUTH_MSCHAPV2);
	assert_int_equal(l->auth[1], CONFIG_AUTH_PAP);
	assert_string_equal(l->users, t->users);
	assert_false(l->accept_proxy);
	assert_int_equal(l->idle_timeout, 600);
	assert_int_equal(l->lcp_echo_interval, 0);
	assert_int_equal(l->lcp_echo_failures, 255);
	assert_int_equal(l->max_sessions_per_tunnel, 4000);

	assert_int_equal(cfg->n_lac, 1);
	a = config_find_lac(cfg, "far");
	assert_ptr_equal(a, &cfg->lac[0]);
	assert_int_equal(a->line, 39);
	assert_int_equal(a->n_peer, 3);
	assert_string_equal(endpoint(&a->peer[0], buf, sizeof(buf)), "192.0.2.1:1701");
	assert_string_equal(endpoint(&a->peer[1], buf, sizeof(buf)), "[2001:db8::1]:1701");
	assert_string_equal(endpoint(&a->peer[2], buf, sizeof(buf)), "192.0.2.2:1799");
	assert_string_equal(a->secret, "lacsecret");
	assert_true(a->hide_avps);
	assert_false(a->data_sequencing); /* default */
	assert_int_equal(a->tunnel.retransmit_max, 3);
	assert_int_equal(a->tunnel.hello_interval, 30);
	assert_int_equal(a->max_sessions_per_tunnel, 1000);

	assert_int_equal(cfg->n_client, 1);
	c = config_find_client(cfg, "home");
	assert_non_null(c);
	assert_int_equal(c->n_peer, 1);
	assert_string_equal(endpoint(&c->peer[0], buf, sizeof(buf)), "198.51.100.7:1701");
	assert_null(c->secret);
	assert_false(c->hide_avps);
	assert_string_equal(c->user, "alice");
	assert_string_equal(c->password, "wonder land");
	assert_string_equal(c->tun, "vpn0");
	assert_true(c->route_default);
	assert_int_equal(c->n_routes, 2);
	assert_string_equal(prefix(&c->routes[0], buf, sizeof(buf)), "10.1.0.0/16");
	assert_string_equal(prefix(&c->routes[1], buf, sizeof(buf)), "2001:db8:1::/48");
	assert_true(c->autostart);
	assert_true(c->accept_outgoing);
	assert_int_equal(c->lcp_echo_interval, 10);
	assert_int_equal(c->lcp_echo_failures, 5);

	assert_null(config_find_lac(cfg, "home"));
	assert_null(config_find_client(cfg, "far"));
	assert_ptr_equal(config_find_lns(cfg, "isp"), l);
	assert_null(config_find_lns(cfg, "nope"));
	config_free(cfg);
}

static void test_defaults(void **state)
{
	struct tmpdir *t = *state;
	struct config *cfg;
	const struct config_lns *l;
	char buf[128], host[256];

	cfg = load_ok(t, "");
	assert_int_equal(cfg->global.n_listen, 1);
	assert_string_equal(endpoint(&cfg->global.listen[0], buf, sizeof(buf)), "0.0.0.0:1701");
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_string_equal(cfg->global.hostname, host);
	assert_string_equal(cfg->global.control, "/run/l2tpd/l2tpd.sock");
	assert_string_equal(cfg->global.tun, "l2tp0");
	assert_int_equal(cfg->global.tunnel.hello_interval, 60);
	assert_int_equal(cfg->global.tunnel.retransmit_initial, 1);
	assert_int_equal(cfg->global.tunnel.retransmit_cap, 8);
	assert_int_equal(cfg->global.tunnel.retransmit_max, 5);
	assert_int_equal(cfg->global.tunnel.receive_window, 16);
	assert_int_equal(cfg->global.max_half_open, 256);
	assert_int_equal(cfg->global.max_tunnels, 65535);
	assert_int_equal(cfg->global.max_sessions, 100000);
	assert_int_equal(cfg->global.log_level, CONFIG_LOG_INFO);
	assert_int_equal(cfg->n_lns + cfg->n_lac + cfg->n_client, 0);
	config_free(cfg);

	cfg = load_ok(t, "[lns a]\nlocal_ip = 10.0.0.1\n"
	                 "[lac b]\npeer = 192.0.2.1\n"
	                 "[client c]\npeer = 192.0.2.2\nuser = u\npassword =\n"
	                 "[global]\nhello_interval = 10\n");
	l = &cfg->lns[0];
	assert_int_equal(l->n_peer, 2); /* any: 0.0.0.0/0 and ::/0 */
	assert_string_equal(prefix(&l->peer[0], buf, sizeof(buf)), "0.0.0.0/0");
	assert_string_equal(prefix(&l->peer[1], buf, sizeof(buf)), "::/0");
	assert_null(l->peer_hostname);
	assert_null(l->secret);
	assert_false(l->hide_avps);
	assert_int_equal(l->n_pool, 0);
	assert_int_equal(l->pool_size, 0);
	assert_int_equal(l->n_dns, 0);
	assert_int_equal(l->n_auth, 3);
	assert_int_equal(l->auth[0], CONFIG_AUTH_CHAP);
	assert_int_equal(l->auth[1], CONFIG_AUTH_MSCHAPV2);
	assert_int_equal(l->auth[2], CONFIG_AUTH_PAP);
	assert_null(l->users);
	assert_true(l->accept_proxy);
	assert_int_equal(l->idle_timeout, 0);
	assert_int_equal(l->lcp_echo_interval, 30);
	assert_int_equal(l->lcp_echo_failures, 3);
	assert_int_equal(l->max_sessions_per_tunnel, 65535);
	/* [global] came last, and is inherited all the same. */
	assert_int_equal(l->tunnel.hello_interval, 10);
	assert_int_equal(cfg->lac[0].tunnel.hello_interval, 10);
	assert_int_equal(cfg->lac[0].tunnel.receive_window, 16);
	assert_int_equal(cfg->lac[0].max_sessions_per_tunnel, 65535);
	assert_string_equal(cfg->client[0].password, "");
	assert_null(cfg->client[0].tun);
	assert_false(cfg->client[0].route_default);
	assert_int_equal(cfg->client[0].n_routes, 0);
	assert_false(cfg->client[0].autostart);
	assert_false(cfg->client[0].accept_outgoing);
	assert_int_equal(cfg->client[0].lcp_echo_interval, 30);
	assert_int_equal(cfg->client[0].lcp_echo_failures, 3);
	assert_int_equal(cfg->client[0].tunnel.retransmit_cap, 8);
	config_free(cfg);
}

struct bad {
	const char *text;
	unsigned line;
	const char *msg; /* what follows "FILE:LINE: " */
};

static const struct bad bad_configs[] = {
	/* syntax */
	{"[global]\nhostname lns1\n", 2, "syntax error"},
	{"[global\n", 1, "syntax error: missing ']'"},
	{"[global] x\n", 1, "syntax error: text after section header"},
	{"hostname = x\n", 1, "hostname: key outside of any section"},
	{"[global]\n\n; c\n# c\n\xff = 1\n", 5, "syntax error"},
	/* sections */
	{"[server x]\n", 1, "unknown section [server x]"},
	{"[lns]\n", 1, "[lns] needs a name"},
	{"[global x]\n", 1, "[global] takes no name"},
	{"[lac a/b]\npeer = 192.0.2.1\n", 1, "[lac a/b] a name is"},
	{"[global]\n[global]\n", 2,
     "[global] duplicate section name (first used by [global] at line 1)"},
	{"[lac x]\npeer = 192.0.2.1\n\n[client x]\n", 4,
     "[client x] duplicate section name (first used by [lac x] at line 1)"},
	/* keys */
	{"[global]\nfoo = 1\n", 2, "[global] foo: unknown key"},
	{"[lac x]\npeer = 192.0.2.1\nlocal_ip = 10.0.0.1\n", 3, "[lac x] local_ip: unknown key"},
	{"[global]\nhostname = a\nhostname = b\n", 3, "[global] hostname: set twice (first at line 2)"},
	{"[global]\nhostname =\n", 2, "[global] hostname: empty value"},
	{"[lns x]\nlocal_ip = 10.0.0.1\npeer =\n", 3, "[lns x] peer: empty value"},
	/* types */
	{"[global]\nhello_interval = 1m\n", 2, "[global] hello_interval: '1m' is not a whole number"},
	{"[global]\nhello_interval = -1\n", 2, "[global] hello_interval: '-1' is not a whole number"},
	{"[global]\nreceive_window = 0\n", 2, "[global] receive_window: 0 is out of range (1-1024)"},
	{"[global]\nmax_tunnels = 99999999999999999999999\n", 2,
     "[global] max_tunnels: 99999999999999999999999 is out of range (1-65535)"},
	{"[lac x]\npeer = 192.0.2.1\nhide_avps = maybe\n", 3,
     "[lac x] hide_avps: 'maybe' is not a boolean"},
	{"[lns x]\nlocal_ip = 10.0.0.1\nlcp_echo_interval = 3601\n", 3,
     "[lns x] lcp_echo_interval: 3601 is out of range (0-3600)"},
	{"[client c]\npeer = 192.0.2.1\nuser = u\npassword = p\nlcp_echo_failures = 0\n", 5,
     "[client c] lcp_echo_failures: 0 is out of range (1-255)"},
	{"[global]\nlcp_echo_interval = 5\n", 2, "[global] lcp_echo_interval: unknown key"},
	{"[global]\nlog_level = loud\n", 2, "[global] log_level: 'loud' is not one of"},
	{"[global]\nlisten = 0.0.0.0:70000\n", 2, "[global] listen: port '70000' is not"},
	{"[global]\nlisten = ::1:1701\n", 2,
     "[global] listen: '::1:1701': write an IPv6 address in brackets"},
	{"[global]\nlisten = localhost:1701\n", 2,
     "[global] listen: 'localhost:1701' is not an IP address"},
	{"[global]\nlisten = 10.1:1701\n", 2, "[global] listen: '10.1' is not an IPv4 address"},
	{"[global]\nlisten = [::1\n", 2, "[global] listen: '[::1' is not ADDR:PORT"},
	{"[global]\nlisten = 127.0.0.1\nlisten = 127.0.0.1:1701\n", 3,
     "[global] listen: '127.0.0.1:1701' is listed twice"},
	{"[global]\ntun = a/b\n", 2, "[global] tun: 'a/b' is not an interface name"},
	{"[global]\ntun = abcdefghijklmnop\n", 2, "[global] tun: 'abcdefghijklmnop' is not"},
	{"[lac x]\npeer = no-such-host.invalid\n", 2,
     "[lac x] peer: cannot resolve 'no-such-host.invalid'"},
	{"[lac x]\npeer = 192.0.2.1 192.0.2.1:1701\n", 2,
     "[lac x] peer: '192.0.2.1:1701' is listed twice"},
	{"[lns x]\nlocal_ip = 10.0.0.1\npeer = 10.0.0.1/8\n", 3,
     "[lns x] peer: '10.0.0.1/8' has host bits set (the network is 10.0.0.0/8)"},
	{"[lns x]\nlocal_ip = 10.0.0.1\npeer = 10.0.0.0/33\n", 3,
     "[lns x] peer: '10.0.0.0/33': the prefix length must be 0-32"},
	{"[lns x]\nlocal_ip = 10.0.0.1\npeer = lac.example\n", 3,
     "[lns x] peer: 'lac.example' is not an IPv4 or IPv6 prefix"},
	{"[lns x]\nlocal_ip = 10.0.0.256\n", 2,
     "[lns x] local_ip: '10.0.0.256' is not an IPv4 address"},
	{"[lns x]\nlocal_ip = 10.0.0.1\npool = 10.0.0.9-10.0.0.1\n", 3,
     "[lns x] pool: '10.0.0.9-10.0.0.1' is not a range (start after end)"},
	{"[lns x]\nlocal_ip = 10.0.0.1\npool = 10.0.0.9-10.0.0\n", 3,
     "[lns x] pool: '10.0.0.9-10.0.0' is not a range of IPv4 addresses"},
	{"[lns x]\nlocal_ip = 10.0.0.1\npool = 2001:db8::/64\n", 3,
     "[lns x] pool: '2001:db8::/64' is not an IPv4 prefix"},
	{"[lns x]\nlocal_ip = 10.0.0.1\npool = 126.0.0.0/7\n", 3,
     "[lns x] pool: '126.0.0.0/7' includes addresses that are not unicast"},
	{"[lns x]\nlocal_ip = 10.0.0.1\npool = 10.0.0.0/7\n", 3, "[lns x] pool: the pool is too large"},
	{"[lns x]\nlocal_ip = 10.0.0.1\npool = 10.1.0.0/24\npool = 10.1.0.200-10.1.1.5\n", 4,
     "[lns x] pool: '10.1.0.200-10.1.1.5' overlaps 10.1.0.1-10.1.0.254"},
	{"[lns x]\nlocal_ip = 10.0.0.1\ndns = 10.0.0.2 10.0.0.3 10.0.0.4\n", 3,
     "[lns x] dns: at most 2 addresses"},
	{"[lns x]\nlocal_ip = 10.0.0.1\ndns = ::1\n", 3, "[lns x] dns: '::1' is not an IPv4 address"},
	{"[lns x]\nlocal_ip = 10.0.0.1\nauth = chap eap\n", 3,
     "[lns x] auth: 'eap' is not one of pap, chap, mschapv2"},
	{"[lns x]\nlocal_ip = 10.0.0.1\nauth = chap pap chap\n", 3,
     "[lns x] auth: 'chap' is listed twice"},
	{"[lns x]\nlocal_ip = 10.0.0.1\nusers = /nonexistent/users\n", 3,
     "[lns x] users: cannot read '/nonexistent/users': No such file or directory"},
	{"[client c]\npeer = 192.0.2.1\nuser = u\npassword = p\nroutes = default 10.0.0.0/33\n", 5,
     "[client c] routes: '10.0.0.0/33'"},
	/* required keys: the section header's line */
	{"[global]\n\n[lns x]\npool = 10.1.0.0/24\n", 3, "[lns x] local_ip: required key missing"},
	{"[lac x]\nsecret = s\n", 1, "[lac x] peer: required key missing"},
	{"[client c]\npeer = 192.0.2.1\npassword = p\n", 1, "[client c] user: required key missing"},
	{"[client c]\npeer = 192.0.2.1\nuser = u\n", 1, "[client c] password: required key missing"},
	/* cross-checks */
	{"[lac x]\npeer = 192.0.2.1\nhide_avps = yes\n", 3,
     "[lac x] hide_avps: hiding AVPs needs a secret"},
	{"[lac x]\npeer = 192.0.2.1\nsecret =\nhide_avps = yes\n", 4,
     "[lac x] hide_avps: hiding AVPs needs a secret"},
	{"[global]\nretransmit_initial = 10\nretransmit_cap = 4\n", 3,
     "[global] retransmit_cap: retransmit_cap (4) is less than retransmit_initial (10)"},
	{"[global]\nretransmit_cap = 8\n[lac x]\npeer = 192.0.2.1\nretransmit_initial = 9\n", 5,
     "[lac x] retransmit_initial: retransmit_cap (8) is less than retransmit_initial (9)"},
	{"[lns x]\nlocal_ip = 10.1.0.7\npool = 10.1.0.0/24\n", 2,
     "[lns x] local_ip: 10.1.0.7 is inside the pool 10.1.0.1-10.1.0.254 of [lns x]"},
	{"[lns a]\nlocal_ip = 10.0.0.1\npool = 10.1.0.0/24\n\n"
     "[lns b]\nlocal_ip = 10.1.0.9\n",
     6, "[lns b] local_ip: 10.1.0.9 is inside the pool 10.1.0.1-10.1.0.254 of [lns a]"},
	{"[lns a]\nlocal_ip = 10.0.0.1\npool = 10.1.0.0/24\n\n"
     "[lns b]\nlocal_ip = 10.0.0.1\npool = 10.1.0.128/25\n",
     7, "[lns b] pool: overlaps the pool 10.1.0.1-10.1.0.254 of [lns a] (line 3)"},
	{"[global]\ntun = vpn0\n[client c]\npeer = 192.0.2.1\nuser = u\npassword = p\ntun = vpn0\n", 7,
     "[client c] tun: 'vpn0' is also [global]'s tun"},
	{"[client c]\npeer = 192.0.2.1\nuser = u\npassword = p\ntun = vpn1\n"
     "[client d]\npeer = 192.0.2.1\nuser = u\npassword = p\ntun = vpn1\n",
     10, "[client d] tun: 'vpn1' is also the tun of [client c]"},
	{"[client c]\npeer = 192.0.2.1:1702\nuser = u\npassword = p\naccept_outgoing = yes\n"
     "[client d]\npeer = 192.0.2.9 192.0.2.1\nuser = v\npassword = p\naccept_outgoing = yes\n",
     10, "[client d] accept_outgoing: [client c] also accepts outgoing calls from 192.0.2.1"},
	{"[client c]\npeer = 192.0.2.1\nuser = u\npassword = p\naccept_outgoing = often\n", 5,
     "[client c] accept_outgoing: 'often' is not a boolean"},
};

static void test_errors(void **state)
{
	struct tmpdir *t = *state;

	for (size_t i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
		const struct bad *b = &bad_configs[i];
		struct config *cfg = (struct config *)&cfg;
		char err[512], want[256];
		int rc = load(t, b->text, &cfg, err, sizeof(err));

		snprintf(want, sizeof(want), "%s:%u: %s", t->conf, b->line, b->msg);
		if (rc != -EINVAL || strncmp(err, want, strlen(want)))
			fail_msg("case %zu: rc %d\n  got:  %s\n  want: %s...", i, rc, err, want);
		assert_null(cfg);
	}
}

static void test_long_line(void **state)
{
	struct tmpdir *t = *state;
	struct config *cfg;
	char text[1024], err[512], want[256];
	size_t len;

	len = (size_t)snprintf(text, sizeof(text), "[lns x]\nlocal_ip = 10.0.0.1\npeer =");
	while (len < 600)
		len += (size_t)snprintf(text + len, sizeof(text) - len, " 10.0.0.0/8");
	snprintf(text + len, sizeof(text) - len, "\n");
	assert_int_equal(load(t, text, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: line too long", t->conf);
	assert_memory_equal(err, want, strlen(want));
}

static void test_open_error(void **state)
{
	struct tmpdir *t = *state;
	struct config *cfg;
	char err[512], want[256];

	unlink(t->conf);
	assert_int_equal(config_load(t->conf, &cfg, err, sizeof(err)), -ENOENT);
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s: No such file or directory", t->conf);
	assert_string_equal(err, want);
}

static void test_hostname_peer(void **state)
{
	struct tmpdir *t = *state;
	struct config *cfg = load_ok(t, "[lac x]\npeer = localhost:1799 192.0.2.1\n");
	const struct config_lac *a = &cfg->lac[0];
	char buf[128];

	/* localhost is 127.0.0.1 and perhaps ::1; the numeric peer comes last. */
	assert_true(a->n_peer >= 2);
	endpoint(&a->peer[0], buf, sizeof(buf));
	assert_true(!strcmp(buf, "127.0.0.1:1799") || !strcmp(buf, "[::1]:1799"));
	assert_string_equal(endpoint(&a->peer[a->n_peer - 1], buf, sizeof(buf)), "192.0.2.1:1701");
	config_free(cfg);
}

static struct sockaddr_storage sa(const char *addr)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
	}
	return ss;
}

static const char *match(const struct config *cfg, const char *addr, const char *host)
{
	struct sockaddr_storage ss = sa(addr);
	const struct config_lns *l = config_match_lns(cfg, (struct sockaddr *)&ss, host);

	return l ? l->name : "-";
}

static const char *match_client(const struct config *cfg, const char *addr)
{
	struct sockaddr_storage ss = sa(addr);
	const struct config_client *c = config_match_client_outgoing(cfg, (struct sockaddr *)&ss);

	return c ? c->name : "-";
}

/* The [client] that answers an LNS's OCRQ: accept_outgoing, and the
 * tunnel's peer address among its peers, whatever the port. */
static void test_match_client_outgoing(void **state)
{
	struct tmpdir *t = *state;
	struct config *cfg = load_ok(t, "[client quiet]\n"
	                                "peer = 192.0.2.1\n"
	                                "user = u\n"
	                                "password = p\n"
	                                "[client office]\n"
	                                "peer = 192.0.2.1 [2001:db8::7]:1799\n"
	                                "user = alice\n"
	                                "password = p\n"
	                                "accept_outgoing = yes\n");

	assert_string_equal(match_client(cfg, "192.0.2.1"), "office");
	assert_string_equal(match_client(cfg, "::ffff:192.0.2.1"), "office");
	assert_string_equal(match_client(cfg, "2001:db8::7"), "office");
	assert_string_equal(match_client(cfg, "192.0.2.2"), "-");
	assert_string_equal(match_client(cfg, "2001:db8::8"), "-");
	config_free(cfg);
}

static void test_match_lns(void **state)
{
	struct tmpdir *t = *state;
	struct config *cfg = load_ok(t, "[lns special]\n"
	                                "local_ip = 10.0.0.1\n"
	                                "peer = 192.0.2.0/24 2001:db8::/32\n"
	                                "peer_hostname = LAC-*\n"
	                                "[lns nine]\n"
	                                "local_ip = 10.0.0.1\n"
	                                "peer = 192.0.2.9/32 198.51.100.0/25\n"
	                                "[lns six]\n"
	                                "local_ip = 10.0.0.1\n"
	                                "peer = 2001:db8::/32\n"
	                                "[lns rest]\n"
	                                "local_ip = 10.0.0.1\n"
	                                "peer = 0.0.0.0/0\n");

	assert_string_equal(match(cfg, "192.0.2.9", "lac-7"), "special");
	assert_string_equal(match(cfg, "192.0.2.9", "Lac-7"),
	                    "special"); /* host names ignore case */
	assert_string_equal(match(cfg, "192.0.2.9", "other"), "nine");
	assert_string_equal(match(cfg, "192.0.2.9", NULL), "nine");
	assert_string_equal(match(cfg, "192.0.2.10", NULL), "rest");
	assert_string_equal(match(cfg, "198.51.100.127", "x"), "nine");
	assert_string_equal(match(cfg, "198.51.100.128", "x"), "rest");
	assert_string_equal(match(cfg, "::ffff:192.0.2.9", "lac-1"), "special");
	assert_string_equal(match(cfg, "::ffff:203.0.113.1", NULL), "rest");
	assert_string_equal(match(cfg, "2001:db8::5", "lac-a"), "special");
	assert_string_equal(match(cfg, "2001:db8::5", "b"), "six");
	assert_string_equal(match(cfg, "2001:db9::5", "b"), "-");
	config_free(cfg);
}

static void test_reload_twice(void **state)
{
	/* A configuration loads the same way every time (reload). */
	struct tmpdir *t = *state;
	struct config *a, *b;

	write_file(t->users, "alice wonderland\n");
	a = load_ok(t, full_config);
	b = load_ok(t, full_config);
	assert_int_equal(a->n_lns, b->n_lns);
	assert_int_equal(a->lns[0].pool_size, b->lns[0].pool_size);
	assert_string_equal(a->global.control, b->global.control);
	config_free(a);
	config_free(b);
	config_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostname_peer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_match_lns, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_match_client_outgoing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reload_twice, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
