/* Seed corpus for the fuzzers: the message catalog of tests/wire (every
 * control message type, plain and hidden, a ZLB and a data message).
 *
 *   make_seeds TARGET DIR
 *
 * fuzz_hidden gets one input per hidden AVP of the catalog, in its layout
 * (see fuzz_hidden.c): the secret, the Random Vector in force and the
 * hidden value as sent. Any other target gets the raw messages. Not a
 * fuzzer itself, so built against the plain library. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "l2tp/avp.h"
#include "l2tp/wire.h"

struct seeds {
	const char *dir;
	unsigned count;
	bool hidden_inputs;
};

static int write_file(struct seeds *s, const char *name, const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%03u-%s", s->dir, s->count, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "make_seeds: %s: %s\n", path, strerror(errno));
		return 1;
	}
	s->count++;
	return 0;
}

/* One fuzz_hidden input per hidden AVP: walk the message as a receiver
 * would, remembering the last Random Vector. */
static int write_hidden_inputs(struct seeds *s, const struct catalog_msg *m)
{
	uint8_t copy[CATALOG_MAX_MSG];
	uint8_t in[5 + 255 + 255 + L2TP_AVP_MAX_LEN];
	const uint8_t *vector = NULL;
	size_t vector_len = 0;
	struct l2tp_avp_iter it;
	struct l2tp_avp a;
	char name[64];
	int rc;

	memcpy(copy, m->buf, m->len);
	l2tp_avp_iter_init(&it, copy + L2TP_CONTROL_HEADER_LEN, m->len - L2TP_CONTROL_HEADER_LEN);
	while ((rc = l2tp_avp_next(&it, &a)) == 1) {
		size_t n = 0;

		if (a.type == L2TP_AVP_RANDOM_VECTOR && !a.hidden) {
			vector = a.value;
			vector_len = a.len;
		}
		if (!a.hidden || !vector || vector_len > 255 || catalog_secret.len > 255)
			continue;
		in[n++] = (uint8_t)catalog_secret.len;
		in[n++] = (uint8_t)vector_len;
		in[n++] = (uint8_t)(a.type >> 8);
		in[n++] = (uint8_t)a.type;
		in[n++] = (uint8_t)(a.len % 8); /* some padding for the round trip */
		memcpy(in + n, catalog_secret.data, catalog_secret.len);
		n += catalog_secret.len;
		memcpy(in + n, vector, vector_len);
		n += vector_len;
		memcpy(in + n, a.value, a.len);
		n += a.len;
		snprintf(name, sizeof(name), "%s-avp%u", m->name, a.type);
		if (write_file(s, name, in, n))
			return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "make_seeds: %s: %s\n", m->name, l2tp_strerror(rc));
		return 1;
	}
	return 0;
}

static int emit(const struct catalog_msg *m, void *ctx)
{
	struct seeds *s = ctx;
	char name[64];

	if (s->hidden_inputs)
		return m->hidden_set ? write_hidden_inputs(s, m) : 0;
	snprintf(name, sizeof(name), "%s%s", m->name, m->hidden_set ? "-hidden" : "");
	return write_file(s, name, m->buf, m->len);
}

int main(int argc, char **argv)
{
	struct seeds s = {0};

	if (argc != 3) {
		fprintf(stderr, "usage: %s TARGET DIR\n", argv[0]);
		return 2;
	}
	s.dir = argv[2];
	s.hidden_inputs = strcmp(argv[1], "fuzz_hidden") == 0;
	if (catalog_build(false, emit, &s) || catalog_build(true, emit, &s))
		return 1;
	if (s.count == 0) {
		fprintf(stderr, "make_seeds: no seeds written for %s\n", argv[1]);
		return 1;
	}
	return 0;
}
