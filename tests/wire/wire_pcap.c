/* Write the message catalog (catalog.h) as a classic pcap for an independent
 * dissector, plus what each frame is meant to contain.
 *
 *   wire_pcap OUT.pcap OUT.expect
 *
 * The pcap is LINKTYPE_RAW (IPv4 with no link header): one UDP datagram
 * 1701 -> 1701 per message between 127.0.0.1 (LAC) and 127.0.0.2 (LNS), with
 * real IPv4 and UDP checksums and fixed timestamps, so the file is the same
 * on every run. Nothing is sent anywhere.
 *
 * The expectations file has one line per frame:
 *   <frame> <name> <kind> set=<plain|hidden> type=<n> tid=<n> sid=<n> len=<n>
 *       payload=<n> avps=<type>:<M>:<H>:<min>-<max>,...  ("avps=-" when none)
 * where kind is control, zlb or data, len is the L2TP message length as
 * built, payload the PPP frame's length in a data message (0 otherwise) and
 * min-max the AVP Length we asked for (a range only where the builder pads
 * a hidden value). tshark_check.sh compares tshark's reading
 * with it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

#define LINKTYPE_RAW    101
#define IPV4_HEADER_LEN 20
#define UDP_HEADER_LEN  8
#define L2TP_PORT       1701
#define FIRST_TIMESTAMP 1700000000u /* any fixed time: reproducible files */

struct out {
	FILE *pcap;
	FILE *expect;
	unsigned frame;
	unsigned written;
};

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* pcap headers are in the writer's byte order; fix it to little-endian so
 * the file is byte-identical whichever host writes it. */
static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The Internet checksum's running sum (RFC 1071). */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int write_frame(struct out *o, const struct catalog_msg *m)
{
	static const uint8_t lac[4] = {127, 0, 0, 1};
	static const uint8_t lns[4] = {127, 0, 0, 2};
	uint8_t pkt[IPV4_HEADER_LEN + UDP_HEADER_LEN + CATALOG_MAX_MSG];
	uint8_t rec[16];
	uint8_t *ip = pkt, *udp = pkt + IPV4_HEADER_LEN;
	size_t udp_len = UDP_HEADER_LEN + m->len;
	size_t total = IPV4_HEADER_LEN + udp_len;
	uint32_t sum;
	uint16_t csum;

	memset(pkt, 0, IPV4_HEADER_LEN + UDP_HEADER_LEN);
	ip[0] = 0x45; /* version 4, 5 words */
	put_be16(ip + 2, (uint16_t)total);
	put_be16(ip + 4, (uint16_t)o->frame); /* identification */
	ip[6] = 0x40;                         /* DF */
	ip[8] = 64;                           /* TTL */
	ip[9] = 17;                           /* UDP */
	memcpy(ip + 12, m->from_lac ? lac : lns, 4);
	memcpy(ip + 16, m->from_lac ? lns : lac, 4);
	put_be16(ip + 10, fold(sum16(0, ip, IPV4_HEADER_LEN)));

	put_be16(udp, L2TP_PORT);
	put_be16(udp + 2, L2TP_PORT);
	put_be16(udp + 4, (uint16_t)udp_len);
	memcpy(udp + UDP_HEADER_LEN, m->buf, m->len);
	/* Pseudo-header: addresses, protocol, UDP length; then the datagram. */
	sum = sum16(0, ip + 12, 8);
	sum += 17 + (uint32_t)udp_len;
	sum = sum16(sum, udp, udp_len);
	csum = fold(sum);
	put_be16(udp + 6, csum ? csum : 0xffff); /* 0 would mean "no checksum" */

	put_le32(rec, FIRST_TIMESTAMP + o->frame);
	put_le32(rec + 4, 0);
	put_le32(rec + 8, (uint32_t)total);
	put_le32(rec + 12, (uint32_t)total);
	if (fwrite(rec, sizeof(rec), 1, o->pcap) != 1 || fwrite(pkt, total, 1, o->pcap) != 1)
		return -1;
	return 0;
}

static const char *kind_name(enum catalog_kind k)
{
	switch (k) {
	case CATALOG_CONTROL:
		return "control";
	case CATALOG_ZLB:
		return "zlb";
	case CATALOG_DATA:
		return "data";
	}
	return "?";
}

static int write_expect(struct out *o, const struct catalog_msg *m)
{
	FILE *f = o->expect;

	fprintf(f, "%u %s %s set=%s type=%u tid=%u sid=%u len=%zu payload=%zu avps=", o->frame,
	        m->name, kind_name(m->kind), m->hidden_set ? "hidden" : "plain", m->msg_type,
	        m->tunnel_id, m->session_id, m->len, m->payload_len);
	if (m->n_avps == 0)
		fputc('-', f);
	for (unsigned i = 0; i < m->n_avps; i++) {
		const struct catalog_avp *a = &m->avp[i];

		fprintf(f, "%s%u:%d:%d:%u-%u", i ? "," : "", a->type, a->mandatory, a->hidden,
		        a->len_min, a->len_max);
	}
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}

static int emit(const struct catalog_msg *m, void *ctx)
{
	struct out *o = ctx;

	o->frame++; /* tshark numbers frames from 1 */
	if (write_frame(o, m) || write_expect(o, m)) {
		fprintf(stderr, "wire_pcap: write: %s\n", strerror(errno));
		return 1;
	}
	o->written++;
	return 0;
}

int main(int argc, char **argv)
{
	struct out o = {0};
	uint8_t hdr[24];
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s OUT.pcap OUT.expect\n", argv[0]);
		return 2;
	}
	o.pcap = fopen(argv[1], "wb");
	o.expect = fopen(argv[2], "w");
	if (!o.pcap || !o.expect) {
		fprintf(stderr, "wire_pcap: %s: %s\n", o.pcap ? argv[2] : argv[1], strerror(errno));
		return 1;
	}
	put_le32(hdr, 0xa1b2c3d4); /* microsecond timestamps */
	put_le16(hdr + 4, 2);      /* version 2.4 */
	put_le16(hdr + 6, 4);
	put_le32(hdr + 8, 0);      /* thiszone */
	put_le32(hdr + 12, 0);     /* sigfigs */
	put_le32(hdr + 16, 65535); /* snaplen */
	put_le32(hdr + 20, LINKTYPE_RAW);
	if (fwrite(hdr, sizeof(hdr), 1, o.pcap) != 1) {
		fprintf(stderr, "wire_pcap: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}

	rc = catalog_build(false, emit, &o);
	if (rc == 0)
		rc = catalog_build(true, emit, &o);
	if (fclose(o.pcap) != 0 || fclose(o.expect) != 0) {
		fprintf(stderr, "wire_pcap: close: %s\n", strerror(errno));
		return 1;
	}
	if (rc != 0)
		return 1;
	printf("wire_pcap: %u frames written to %s\n", o.written, argv[1]);
	return 0;
}
