/* UDP sockets for L2TP (RFC 2661 §8.1), one per `listen` address.
 *
 * One socket per listen address, shared by every tunnel: no per-tunnel
 * fds (tens of thousands of tunnels would mean as many fds and a connect()
 * per tunnel). Replies must leave from the address the peer sent to, so
 * receive asks for IP_PKTINFO / IPV6_RECVPKTINFO and send passes the same
 * address back in a cmsg. For a wildcard listen address this is what makes
 * a multi-homed host work: without it the kernel would pick the source by
 * route, and a peer that talked to one of our addresses would get answers
 * from another and drop them. */
#ifndef L2TPD_UDP_H
#define L2TPD_UDP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define UDP_ADDRSTR_LEN 64 /* "[ffff:...]:65535" */
/* Receive and send buffer of each socket (the kernel doubles it). */
#define UDP_SOCKET_BUFFER (16 << 20)

/* An endpoint address, IPv4 or IPv6 (IPv4-mapped never used). */
union udp_addr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_storage ss;
};

/* The local address a datagram came to (from pktinfo): where we answer from. */
struct udp_local {
	bool set;
	int family;
	int ifindex;
	struct in_addr v4;
	struct in6_addr v6;
};

struct udp_sock {
	int fd;
	int family;
	union udp_addr bound;
};

/* "1.2.3.4:1701", "1.2.3.4" (default port), "[::1]:1701", "::1", "*:1701". */
int udp_addr_parse(const char *s, uint16_t default_port, union udp_addr *a);
socklen_t udp_addr_len(const union udp_addr *a);
uint16_t udp_addr_port(const union udp_addr *a);
/* Same address (and port when with_port). */
bool udp_addr_equal(const union udp_addr *a, const union udp_addr *b, bool with_port);
/* "ADDR:PORT" ("[ADDR]:PORT" for IPv6) into buf (UDP_ADDRSTR_LEN). */
const char *udp_addr_str(const union udp_addr *a, char *buf, size_t len);
/* Address only, no port. */
const char *udp_addr_host(const union udp_addr *a, char *buf, size_t len);

int udp_open(struct udp_sock *s, const union udp_addr *bind_addr);
/* Receive and send buffers of fd at size octets each (the kernel doubles
 * it), beyond rmem_max/wmem_max when we have CAP_NET_ADMIN; best effort. */
void udp_size_buffers(int fd, int size);
void udp_close(struct udp_sock *s);

struct udp_rx {
	uint8_t *buf;
	size_t len;
	union udp_addr peer;
	struct udp_local local;
};

#define UDP_BATCH 32
#define UDP_MAX_DATAGRAM 4096

/* Receive buffers for one recvmmsg batch (owned by the daemon context). */
struct udp_batch {
	uint8_t bufs[UDP_BATCH][UDP_MAX_DATAGRAM];
	uint8_t cmsg[UDP_BATCH][128];
	union udp_addr peers[UDP_BATCH];
	struct udp_rx rx[UDP_BATCH];
};

/* Read up to UDP_BATCH datagrams; returns how many (0 if none), or -errno. */
int udp_recv_batch(struct udp_sock *s, struct udp_batch *b);
/* Send one datagram to peer, from local when set. 0 or -errno. */
int udp_send(const struct udp_sock *s, const union udp_addr *peer, const struct udp_local *local,
	     const void *buf, size_t len);

#endif
