/* fastpath: L2TP data to a fake TUN (a datagram socketpair) and back to a
 * fake peer (a UDP socket on loopback), in both I/O modes (read/write and
 * io_uring): header variants, PPP framing, sequencing, anti-spoofing,
 * unknown sessions, the slow path and the counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/fastpath.h"
#include "l2tp/wire.h"

#define TID 100     /* our tunnel id */
#define PEER_TID 7  /* the peer's */
#define N_SESS 3
#define SUB_IP "10.203.0.10" /* the subscriber of session 0 */

struct env {
	int tun[2]; /* [0] the fast path's "TUN", [1] the kernel's side of it */
	int udp;    /* our tunnel's socket */
	struct udp_sock sock; /* the same, as the daemon's reader names it */
	int peer;   /* the peer's socket */
	union udp_addr peer_addr;
	struct tun_io io;
	struct fastpath fp;
	struct fastpath_ops ops;
	struct fp_tunnel t;
	struct fp_session s[N_SESS];
	unsigned n_control, n_slow;
	uint8_t slow_frame[256];
	size_t slow_len;
	struct fp_session *slow_sess;
	uint8_t dgram[4096]; /* an incoming datagram being built */
};

static struct fp_session *env_lookup(void *ctx, uint16_t tid, uint16_t sid)
{
	struct env *e = ctx;

	for (int i = 0; i < N_SESS; i++)
		if (e->s[i].t->id == tid && e->s[i].id == sid)
			return &e->s[i];
	return NULL;
}

static void env_control(void *ctx, struct udp_sock *sock, struct udp_rx *rx)
{
	struct env *e = ctx;

	(void)rx;
	assert_ptr_equal(sock, &e->sock);
	e->n_control++;
}

static void env_slow(void *ctx, struct fp_session *s, uint8_t *frame, size_t len)
{
	struct env *e = ctx;

	e->n_slow++;
	e->slow_sess = s;
	e->slow_len = len < sizeof(e->slow_frame) ? len : sizeof(e->slow_frame);
	memcpy(e->slow_frame, frame, e->slow_len);
}

static int udp_bound(union udp_addr *a)
{
	socklen_t len = sizeof(a->sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	memset(a, 0, sizeof(*a));
	a->sin.sin_family = AF_INET;
	a->sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, &a->sa, sizeof(a->sin)), 0);
	assert_int_equal(getsockname(fd, &a->sa, &len), 0);
	return fd;
}

static int env_setup(void **state, enum tun_io_mode mode)
{
	struct env *e = calloc(1, sizeof(*e));
	struct udp_local local = { .set = true, .family = AF_INET };
	union udp_addr ours;

	assert_non_null(e);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, e->tun), 0);
	e->udp = udp_bound(&ours);
	e->sock = (struct udp_sock){ .fd = e->udp, .family = AF_INET, .bound = ours };
	e->peer = udp_bound(&e->peer_addr);
	assert_int_equal(tun_io_init(&e->io, e->tun[0], mode, 32), 0);
	assert_int_equal(e->io.mode, mode);
	e->ops.lookup = env_lookup;
	e->ops.control = env_control;
	e->ops.slow = env_slow;
	assert_int_equal(fastpath_init(&e->fp, &e->io, &e->ops, e, 16), 0);
	local.v4.s_addr = htonl(INADDR_LOOPBACK);
	fastpath_tunnel_init(&e->t, e->udp, TID, PEER_TID, &e->peer_addr, &local);
	for (int i = 0; i < N_SESS; i++) {
		struct in_addr a;

		fastpath_session_init(&e->s[i], &e->t, (uint16_t)(200 + i), (uint16_t)(900 + i),
				      NULL);
		a.s_addr = htonl(ntohl(inet_addr(SUB_IP)) + (uint32_t)i);
		assert_int_equal(fastpath_session_set_ipv4(&e->fp, &e->s[i], a), 0);
	}
	*state = e;
	return 0;
}

static int setup_syscall(void **state)
{
	return env_setup(state, TUN_IO_SYSCALL);
}

static int setup_uring(void **state)
{
	return env_setup(state, TUN_IO_URING);
}

static int teardown(void **state)
{
	struct env *e = *state;

	fastpath_fini(&e->fp);
	tun_io_fini(&e->io);
	close(e->tun[0]);
	close(e->tun[1]);
	close(e->udp);
	close(e->peer);
	free(e);
	return 0;
}

/* An IPv4 header (and a counting payload) of len octets. */
static size_t ip4_build(uint8_t *p, const char *src, const char *dst, size_t len)
{
	uint32_t s = inet_addr(src), d = inet_addr(dst);

	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, &s, 4);
	memcpy(p + 16, &d, 4);
	for (size_t i = 20; i < len; i++)
		p[i] = (uint8_t)i;
	return len;
}

enum { PPP_FULL, PPP_NO_ACFC_PFC, PPP_ACFC, PPP_PFC, PPP_ACFC_PFC };

/* PPP header in one of the forms; returns its length. */
static size_t ppp_build(uint8_t *p, int form, uint16_t proto)
{
	size_t n = 0;

	if (form == PPP_FULL || form == PPP_PFC) {
		p[n++] = 0xff;
		p[n++] = 0x03;
	}
	if ((form == PPP_PFC || form == PPP_ACFC_PFC) && proto < 0x100) {
		p[n++] = (uint8_t)proto;
	} else {
		p[n++] = (uint8_t)(proto >> 8);
		p[n++] = (uint8_t)proto;
	}
	return n;
}

/* An L2TP data message into e->dgram: header per o, then PPP and body. */
static size_t dgram_build(struct env *e, uint16_t sid, struct l2tp_data_options o, int form,
			  uint16_t proto, const uint8_t *body, size_t blen)
{
	uint8_t frame[2048];
	size_t flen = ppp_build(frame, form, proto);
	int hlen;

	memcpy(frame + flen, body, blen);
	flen += blen;
	o.payload_len = (uint16_t)flen;
	hlen = l2tp_header_put_data(e->dgram, sizeof(e->dgram), TID, sid, &o);
	assert_true(hlen > 0);
	memcpy(e->dgram + hlen, frame, flen);
	return (size_t)hlen + flen;
}

static void deliver(struct env *e, size_t len)
{
	struct udp_rx rx = { .buf = e->dgram, .len = len, .peer = e->peer_addr };

	fastpath_udp_input(&e->fp, &e->sock, &rx, 1);
}

/* What the fake TUN got: the packet's length, or -1 if nothing. */
static ssize_t tun_take(struct env *e, uint8_t *buf, size_t cap)
{
	ssize_t n = recv(e->tun[1], buf, cap, MSG_DONTWAIT);

	return n < 0 ? -1 : n;
}

static void test_header_variants(void **state)
{
	struct env *e = *state;
	uint8_t ip[100], got[2048];
	const struct {
		bool length, sequence;
		uint16_t offset;
	} v[] = {
		{ false, false, 0 }, { true, false, 0 }, { false, true, 0 }, { false, false, 3 },
		{ true, true, 0 },   { true, true, 8 },  { false, true, 1 },
	};
	uint16_t ns = 0;

	ip4_build(ip, SUB_IP, "192.0.2.1", sizeof(ip));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct l2tp_data_options o = { .length = v[i].length,
					       .sequence = v[i].sequence,
					       .offset_size = v[i].offset,
					       .ns = ns };

		ns += v[i].sequence;
		deliver(e, dgram_build(e, 200, o, PPP_FULL, FP_PROTO_IPV4, ip, sizeof(ip)));
		assert_int_equal(tun_take(e, got, sizeof(got)), sizeof(ip));
		assert_memory_equal(got, ip, sizeof(ip));
	}
	/* Link padding after the Length field is not part of the packet. */
	{
		struct l2tp_data_options o = { .length = true };
		size_t len = dgram_build(e, 200, o, PPP_FULL, FP_PROTO_IPV4, ip, sizeof(ip));

		memset(e->dgram + len, 0xee, 6);
		deliver(e, len + 6);
		assert_int_equal(tun_take(e, got, sizeof(got)), sizeof(ip));
	}
	assert_int_equal(e->fp.st.tun_tx_packets, 8);
	assert_int_equal(e->s[0].c.rx_packets, 8);
	assert_int_equal(e->s[0].c.rx_bytes, 8 * (4 + sizeof(ip)));
	assert_int_equal(e->fp.st.rx_errors + e->fp.st.rx_spoofed, 0);
}

static void test_ppp_forms(void **state)
{
	struct env *e = *state;
	uint8_t ip[60], got[2048];
	struct l2tp_data_options o = { 0 };

	ip4_build(ip, SUB_IP, "192.0.2.1", sizeof(ip));
	for (int form = PPP_FULL; form <= PPP_ACFC_PFC; form++) {
		deliver(e, dgram_build(e, 200, o, form, FP_PROTO_IPV4, ip, sizeof(ip)));
		assert_int_equal(tun_take(e, got, sizeof(got)), sizeof(ip));
		assert_memory_equal(got, ip, sizeof(ip));
	}
	/* Empty and one-octet frames: malformed, never read past the end. */
	o.length = true;
	for (size_t cut = 0; cut < 2; cut++) {
		struct l2tp_data_options lo = { .length = true, .payload_len = (uint16_t)cut };
		int hlen = l2tp_header_put_data(e->dgram, sizeof(e->dgram), TID, 200, &lo);

		e->dgram[hlen] = 0x00; /* an even first protocol octet needs a second */
		deliver(e, (size_t)hlen + cut);
	}
	assert_int_equal(e->s[0].c.rx_errors, 2);
	/* A truncated IP header, and something that is not IPv4. */
	deliver(e, dgram_build(e, 200, o, PPP_FULL, FP_PROTO_IPV4, ip, 19));
	ip[0] = 0x65;
	deliver(e, dgram_build(e, 200, o, PPP_FULL, FP_PROTO_IPV4, ip, sizeof(ip)));
	assert_int_equal(e->s[0].c.rx_errors, 4);
	assert_int_equal(e->fp.st.rx_errors, 4);
	assert_int_equal(tun_take(e, got, sizeof(got)), -1);
}

static void test_sequencing(void **state)
{
	struct env *e = *state;
	struct fp_session *s = &e->s[1];
	uint8_t ip[40], got[2048];
	const char *src = "10.203.0.11";
	struct {
		int has_ns;
		uint16_t ns;
		bool pass;
	} steps[] = {
		{ 0, 0, false },     /* required, and none */
		{ 1, 0, true },      { 1, 1, true },   { 1, 1, false }, /* duplicate */
		{ 1, 5, true },      /* 2, 3, 4 lost */
		{ 1, 4, false },     /* late */
		{ 1, 0x8006, false }, /* half the space ahead: behind, in fact */
		{ 1, 6, true },
	};

	s->seq_required = true;
	ip4_build(ip, src, "192.0.2.1", sizeof(ip));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct l2tp_data_options o = { .sequence = steps[i].has_ns, .ns = steps[i].ns };

		deliver(e, dgram_build(e, 201, o, PPP_ACFC_PFC, FP_PROTO_IPV4, ip, sizeof(ip)));
		assert_int_equal(tun_take(e, got, sizeof(got)) > 0, steps[i].pass);
	}
	assert_int_equal(s->c.rx_seq_discards, 4);
	assert_int_equal(s->c.rx_seq_lost, 3);
	assert_int_equal(e->fp.st.rx_seq_discards, 4);
	assert_int_equal(s->nr, 7);

	/* The peer restarts at 1000 behind: after a run of consecutive
	 * frames we follow it. */
	for (uint16_t k = 0; k < FASTPATH_SEQ_RESYNC; k++) {
		struct l2tp_data_options o = { .sequence = true, .ns = (uint16_t)(0x9000 + k) };

		deliver(e, dgram_build(e, 201, o, PPP_FULL, FP_PROTO_IPV4, ip, sizeof(ip)));
		assert_int_equal(tun_take(e, got, sizeof(got)) > 0, k == FASTPATH_SEQ_RESYNC - 1);
	}
	assert_int_equal(s->nr, 0x9000 + FASTPATH_SEQ_RESYNC);
	/* Wraparound. */
	s->nr = 0xfffe;
	for (uint16_t ns = 0xfffe; ns != 2; ns++) {
		struct l2tp_data_options o = { .sequence = true, .ns = ns };

		deliver(e, dgram_build(e, 201, o, PPP_FULL, FP_PROTO_IPV4, ip, sizeof(ip)));
		assert_true(tun_take(e, got, sizeof(got)) > 0);
	}
	assert_int_equal(s->nr, 2);
}

/* As the LAC without Sequencing Required we send Ns while the LNS does. */
static void test_lac_follows_s_bit(void **state)
{
	struct env *e = *state;
	struct fp_session *s = &e->s[0];
	uint8_t ip[40], got[2048];
	struct l2tp_data_options o = { .sequence = true, .ns = 0 };

	s->lac = true;
	ip4_build(ip, SUB_IP, "192.0.2.1", sizeof(ip));
	deliver(e, dgram_build(e, 200, o, PPP_FULL, FP_PROTO_IPV4, ip, sizeof(ip)));
	assert_true(s->seq_send);
	o.sequence = false;
	deliver(e, dgram_build(e, 200, o, PPP_FULL, FP_PROTO_IPV4, ip, sizeof(ip)));
	assert_false(s->seq_send);
	assert_int_equal(tun_take(e, got, sizeof(got)), sizeof(ip));
	assert_int_equal(tun_take(e, got, sizeof(got)), sizeof(ip));
}

static void test_anti_spoof(void **state)
{
	struct env *e = *state;
	uint8_t ip[40], got[2048];
	struct l2tp_data_options o = { 0 };
	struct in_addr none = { 0 };

	/* Session 1's address in session 0's tunnel: spoofed. */
	ip4_build(ip, "10.203.0.11", "192.0.2.1", sizeof(ip));
	deliver(e, dgram_build(e, 200, o, PPP_FULL, FP_PROTO_IPV4, ip, sizeof(ip)));
	ip4_build(ip, "198.51.100.1", "192.0.2.1", sizeof(ip));
	deliver(e, dgram_build(e, 200, o, PPP_FULL, FP_PROTO_IPV4, ip, sizeof(ip)));
	/* No address yet (IPCP not up): nothing passes. */
	assert_int_equal(fastpath_session_set_ipv4(&e->fp, &e->s[0], none), 0);
	ip4_build(ip, SUB_IP, "192.0.2.1", sizeof(ip));
	deliver(e, dgram_build(e, 200, o, PPP_FULL, FP_PROTO_IPV4, ip, sizeof(ip)));
	assert_int_equal(tun_take(e, got, sizeof(got)), -1);
	assert_int_equal(e->s[0].c.rx_spoofed, 3);
	assert_int_equal(e->fp.st.rx_spoofed, 3);
	assert_int_equal(e->s[0].c.rx_packets, 3);
}

static void test_unknown_and_wrong_peer(void **state)
{
	struct env *e = *state;
	uint8_t ip[40], got[2048];
	struct l2tp_data_options o = { 0 };
	struct udp_rx rx;
	size_t len;

	ip4_build(ip, SUB_IP, "192.0.2.1", sizeof(ip));
	deliver(e, dgram_build(e, 999, o, PPP_FULL, FP_PROTO_IPV4, ip, sizeof(ip)));
	assert_int_equal(e->fp.st.rx_unknown_session, 1);
	len = dgram_build(e, 200, o, PPP_FULL, FP_PROTO_IPV4, ip, sizeof(ip));
	rx = (struct udp_rx){ .buf = e->dgram, .len = len, .peer = e->peer_addr };
	rx.peer.sin.sin_addr.s_addr = inet_addr("127.0.0.2");
	fastpath_udp_input(&e->fp, &e->sock, &rx, 1);
	assert_int_equal(e->fp.st.rx_wrong_peer, 1);
	assert_int_equal(tun_take(e, got, sizeof(got)), -1);
	assert_int_equal(e->s[0].c.rx_packets, 0);
	assert_int_equal(e->t.rx_packets, 0);
}

/* Control messages and unparseable datagrams go back to the daemon. */
static void test_control_and_malformed(void **state)
{
	struct env *e = *state;
	struct udp_rx rx[4];
	uint8_t ctl[12], bad_ver[8] = { 0x00, 0x03 }, short_hdr[4] = { 0x40, 0x02 };

	l2tp_header_put_control(ctl, TID, 0, 0, 0);
	rx[0] = (struct udp_rx){ .buf = ctl, .len = sizeof(ctl), .peer = e->peer_addr };
	rx[1] = (struct udp_rx){ .buf = bad_ver, .len = sizeof(bad_ver), .peer = e->peer_addr };
	rx[2] = (struct udp_rx){ .buf = short_hdr, .len = sizeof(short_hdr), .peer = e->peer_addr };
	rx[3] = (struct udp_rx){ .buf = ctl, .len = 0, .peer = e->peer_addr }; /* truncated */
	fastpath_udp_input(&e->fp, &e->sock, rx, 4);
	assert_int_equal(e->n_control, 4);
	assert_int_equal(e->fp.st.rx_control, 4);
	assert_int_equal(e->fp.st.rx_data, 0);
}

static void test_slow_path(void **state)
{
	struct env *e = *state;
	uint8_t lcp[] = { 0x01, 0x01, 0x00, 0x08, 0x05, 0x06, 0x12, 0x34 }, got[64];
	uint8_t ll[48];
	struct l2tp_data_options o = { 0 };
	size_t len;

	len = dgram_build(e, 202, o, PPP_FULL, 0xc021, lcp, sizeof(lcp));
	deliver(e, len);
	assert_int_equal(e->n_slow, 1);
	assert_ptr_equal(e->slow_sess, &e->s[2]);
	assert_int_equal(e->slow_len, 4 + sizeof(lcp));
	assert_memory_equal(e->slow_frame, ((uint8_t[]){ 0xff, 0x03, 0xc0, 0x21 }), 4);
	/* IPv6 from a link-local source: the control plane's. */
	memset(ll, 0, sizeof(ll));
	ll[0] = 0x60;
	ll[8] = 0xfe;
	ll[9] = 0x80;
	deliver(e, dgram_build(e, 202, o, PPP_ACFC, FP_PROTO_IPV6, ll, sizeof(ll)));
	assert_int_equal(e->n_slow, 2);
	/* IPv6 from a global address that is not the session's: spoofed. */
	ll[8] = 0x20;
	deliver(e, dgram_build(e, 202, o, PPP_ACFC, FP_PROTO_IPV6, ll, sizeof(ll)));
	assert_int_equal(e->n_slow, 2);
	assert_int_equal(e->s[2].c.rx_spoofed, 1);
	assert_int_equal(e->fp.st.rx_slow, 2);
	assert_int_equal(tun_take(e, got, sizeof(got)), -1);
}

/* Push a packet into the fake TUN as the kernel would. */
static void tun_put(struct env *e, const uint8_t *pkt, size_t len)
{
	assert_int_equal(send(e->tun[1], pkt, len, 0), (ssize_t)len);
}

static ssize_t peer_take(struct env *e, uint8_t *buf, size_t cap)
{
	ssize_t n = recv(e->peer, buf, cap, MSG_DONTWAIT);

	return n < 0 ? -1 : n;
}

static void test_tun_to_udp_framing(void **state)
{
	struct env *e = *state;
	uint8_t ip[200], got[2048];
	const struct {
		bool acfc, pfc, seq;
		uint8_t hdr[14];
		size_t hlen;
	} v[] = {
		/* flags, tunnel 7, session 900 (0x384), [Ns, Nr], PPP */
		{ false, false, false, { 0x00, 0x02, 0, 7, 0x03, 0x84, 0xff, 0x03, 0, 0x21 }, 10 },
		{ true, false, false, { 0x00, 0x02, 0, 7, 0x03, 0x84, 0x00, 0x21 }, 8 },
		{ false, true, false, { 0x00, 0x02, 0, 7, 0x03, 0x84, 0xff, 0x03, 0x21 }, 9 },
		{ true, true, false, { 0x00, 0x02, 0, 7, 0x03, 0x84, 0x21 }, 7 },
		{ true, true, true, { 0x08, 0x02, 0, 7, 0x03, 0x84, 0, 0, 0, 0, 0x21 }, 11 },
		{ true, true, true, { 0x08, 0x02, 0, 7, 0x03, 0x84, 0, 1, 0, 0, 0x21 }, 11 },
		{ false, false, true, { 8, 2, 0, 7, 3, 0x84, 0, 2, 0, 0, 0xff, 3, 0, 0x21 }, 14 },
	};
	struct fp_session *s = &e->s[0];
	uint64_t bytes = 0;

	ip4_build(ip, "192.0.2.1", SUB_IP, sizeof(ip));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		s->acfc = v[i].acfc;
		s->pfc = v[i].pfc;
		s->seq_send = v[i].seq;
		tun_put(e, ip, sizeof(ip));
		assert_int_equal(fastpath_tun_input(&e->fp), 1);
		assert_int_equal(peer_take(e, got, sizeof(got)), v[i].hlen + sizeof(ip));
		assert_memory_equal(got, v[i].hdr, v[i].hlen);
		assert_memory_equal(got + v[i].hlen, ip, sizeof(ip));
		bytes += sizeof(ip) + v[i].hlen - (v[i].seq ? 10 : 6);
	}
	assert_int_equal(s->c.tx_packets, 7);
	assert_int_equal(s->c.tx_bytes, bytes);
	assert_int_equal(e->fp.st.tx_packets, 7);
	assert_int_equal(fastpath_tun_input(&e->fp), 0);
}

static void test_tun_to_udp_batch_and_drops(void **state)
{
	struct env *e = *state;
	uint8_t ip[64], got[2048], junk[10] = { 0x10 };
	int n = 0, r, sent = 0;

	/* 40 packets over three sessions, one to nobody, one not IP. */
	for (int i = 0; i < 40; i++) {
		char dst[32];

		snprintf(dst, sizeof(dst), "10.203.0.%d", 10 + i % 3);
		ip4_build(ip, "192.0.2.1", dst, sizeof(ip));
		tun_put(e, ip, sizeof(ip));
	}
	ip4_build(ip, "192.0.2.1", "10.203.0.99", sizeof(ip));
	tun_put(e, ip, sizeof(ip));
	tun_put(e, junk, sizeof(junk));
	/* Several reads: the I/O depth (32) is below the backlog. */
	while ((r = fastpath_tun_input(&e->fp)) > 0)
		n += r;
	assert_int_equal(r, 0);
	assert_true(n >= 42);
	while (peer_take(e, got, sizeof(got)) > 0)
		sent++;
	assert_int_equal(sent, 40);
	assert_int_equal(e->fp.st.tun_rx_packets, 42);
	assert_int_equal(e->fp.st.tun_rx_no_session, 1);
	assert_int_equal(e->fp.st.tun_rx_errors, 1);
	assert_int_equal(e->s[0].c.tx_packets + e->s[1].c.tx_packets + e->s[2].c.tx_packets, 40);
	assert_int_equal(e->s[1].c.tx_packets, 13);
	/* After a detach nothing reaches the session. */
	fastpath_session_detach(&e->fp, &e->s[1]);
	ip4_build(ip, "192.0.2.1", "10.203.0.11", sizeof(ip));
	tun_put(e, ip, sizeof(ip));
	assert_int_equal(fastpath_tun_input(&e->fp), 1);
	assert_int_equal(e->fp.st.tun_rx_no_session, 2);
}

static void test_ipv6_both_ways(void **state)
{
	struct env *e = *state;
	struct fp_session *s = &e->s[2];
	struct in6_addr prefix;
	uint8_t ip[60] = { 0x60 }, got[2048];
	struct l2tp_data_options o = { 0 };

	assert_int_equal(inet_pton(AF_INET6, "2001:db8:5:6::", &prefix), 1);
	assert_int_equal(fastpath_session_set_ipv6(&e->fp, s, &prefix), 0);
	assert_int_equal(fastpath_session_set_ipv6(&e->fp, &e->s[0], &prefix), -EEXIST);
	/* From the subscriber: source inside its /64. */
	memcpy(ip + 8, prefix.s6_addr, 8);
	ip[23] = 0x42;
	deliver(e, dgram_build(e, 202, o, PPP_FULL, FP_PROTO_IPV6, ip, sizeof(ip)));
	assert_int_equal(tun_take(e, got, sizeof(got)), sizeof(ip));
	/* To the subscriber. */
	memset(ip + 8, 0, 16);
	memcpy(ip + 24, prefix.s6_addr, 8);
	ip[39] = 0x42;
	tun_put(e, ip, sizeof(ip));
	assert_int_equal(fastpath_tun_input(&e->fp), 1);
	assert_int_equal(peer_take(e, got, sizeof(got)), 6 + 4 + sizeof(ip));
	assert_memory_equal(got + 6, ((uint8_t[]){ 0xff, 0x03, 0x00, 0x57 }), 4);
	assert_int_equal(fastpath_session_set_ipv6(&e->fp, s, NULL), 0);
	tun_put(e, ip, sizeof(ip));
	assert_int_equal(fastpath_tun_input(&e->fp), 1);
	assert_int_equal(e->fp.st.tun_rx_no_session, 1);
}

static void test_send_frame_shares_ns(void **state)
{
	struct env *e = *state;
	struct fp_session *s = &e->s[0];
	uint8_t lcp[] = { 0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 1, 2, 3, 4 };
	uint8_t ip[40], got[256];

	s->seq_send = true;
	s->ns = 41;
	assert_int_equal(fastpath_send_frame(&e->fp, s, lcp, sizeof(lcp)), 0);
	assert_int_equal(peer_take(e, got, sizeof(got)), 10 + sizeof(lcp));
	assert_memory_equal(got, ((uint8_t[]){ 0x08, 0x02, 0, 7, 0x03, 0x84, 0, 41, 0, 0 }), 10);
	assert_memory_equal(got + 10, lcp, sizeof(lcp));
	ip4_build(ip, "192.0.2.1", SUB_IP, sizeof(ip));
	tun_put(e, ip, sizeof(ip));
	assert_int_equal(fastpath_tun_input(&e->fp), 1);
	assert_int_equal(peer_take(e, got, sizeof(got)), 10 + 4 + sizeof(ip));
	assert_int_equal(got[7], 42);
	assert_int_equal(s->c.tx_packets, 2);
	assert_int_equal(s->c.tx_bytes, sizeof(lcp) + 4 + sizeof(ip));
}

static void test_address_changes(void **state)
{
	struct env *e = *state;
	struct in_addr a = { .s_addr = inet_addr("10.203.0.10") };
	struct in_addr b = { .s_addr = inet_addr("10.203.9.9") };

	/* Session 0 holds .10: session 1 may not take it. */
	assert_int_equal(fastpath_session_set_ipv4(&e->fp, &e->s[1], a), -EEXIST);
	assert_int_equal(e->s[1].ipv4.s_addr, inet_addr("10.203.0.11"));
	assert_ptr_equal(iptable_find4(&e->fp.ips, a), &e->s[0]);
	assert_int_equal(fastpath_session_set_ipv4(&e->fp, &e->s[0], b), 0);
	assert_null(iptable_find4(&e->fp.ips, a));
	assert_ptr_equal(iptable_find4(&e->fp.ips, b), &e->s[0]);
	assert_int_equal(fastpath_session_set_ipv4(&e->fp, &e->s[1], a), 0);
	assert_int_equal(iptable_count(&e->fp.ips), 3);
}

/* A full batch of data to the TUN in one call. */
static void test_udp_batch(void **state)
{
	struct env *e = *state;
	static uint8_t bufs[UDP_BATCH][256];
	struct udp_rx rx[UDP_BATCH];
	uint8_t ip[100], got[2048];
	int n = 0;

	ip4_build(ip, SUB_IP, "192.0.2.1", sizeof(ip));
	for (int i = 0; i < UDP_BATCH; i++) {
		size_t len = dgram_build(e, 200, (struct l2tp_data_options){ 0 }, PPP_FULL,
					 FP_PROTO_IPV4, ip, sizeof(ip));

		memcpy(bufs[i], e->dgram, len);
		rx[i] = (struct udp_rx){ .buf = bufs[i], .len = len, .peer = e->peer_addr };
	}
	fastpath_udp_input(&e->fp, &e->sock, rx, UDP_BATCH);
	while (tun_take(e, got, sizeof(got)) == sizeof(ip))
		n++;
	assert_int_equal(n, UDP_BATCH);
	assert_int_equal(e->t.rx_packets, UDP_BATCH);
	assert_int_equal(e->fp.st.tun_tx_errors, 0);
}

#define BOTH(fn)                                                                                   \
	cmocka_unit_test_setup_teardown(fn, setup_syscall, teardown),                              \
		cmocka_unit_test_setup_teardown(fn, setup_uring, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_header_variants),
		BOTH(test_ppp_forms),
		BOTH(test_sequencing),
		BOTH(test_lac_follows_s_bit),
		BOTH(test_anti_spoof),
		BOTH(test_unknown_and_wrong_peer),
		BOTH(test_control_and_malformed),
		BOTH(test_slow_path),
		BOTH(test_tun_to_udp_framing),
		BOTH(test_tun_to_udp_batch_and_drops),
		BOTH(test_ipv6_both_ways),
		BOTH(test_send_frame_shares_ns),
		BOTH(test_address_changes),
		BOTH(test_udp_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
