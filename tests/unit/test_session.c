/* Session ids are per tunnel (RFC 2661 §3.1): allocation, lookup by
 * (tunnel, session), the operator's names for a session ("T/S" or a bare
 * id when unambiguous), and the new id a waiting session takes when it
 * moves to another tunnel. Tunnels here are never established: calls
 * placed on them wait (SESSION_WAIT_TUNNEL) and nothing is sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_fixture.h"
#include "daemon/config.h"
#include "daemon/ctl_cmds.h"
#include "daemon/daemon.h"
#include "daemon/session.h"
#include "daemon/tunnel.h"

#define IDS 65535 /* session ids in one tunnel */

struct fx {
	struct l2tpd d;
	struct udp_sock sock; /* never sent on */
	union udp_addr peer;
	char path[64];
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	FILE *c;
	int fd;

	assert_non_null(f);
	daemon_fixture_init(&f->d);
	strcpy(f->path, "/tmp/test_session.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	c = fdopen(fd, "w");
	fprintf(c, "[global]\nlisten = 127.0.0.1:1701\nlog_level = err\nmax_sessions = 300000\n");
	fclose(c);
	assert_int_equal(config_load(f->path, &f->d.cfg, err, sizeof(err)), 0);
	assert_int_equal(udp_addr_parse("127.0.0.1:1701", 0, &f->peer), 0);
	f->sock.fd = -1;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	struct list_node *pos, *tmp;

	list_for_each_safe(pos, tmp, &f->d.tunnel_list)
		l2tpd_schedule_reap(&f->d, list_entry(pos, struct tunnel, node));
	f->d.stopping = true;
	while (!list_empty(&f->d.reap))
		tunnel_destroy(list_entry(f->d.reap.next, struct tunnel, reap_node));
	assert_int_equal(idtable_count(&f->d.sessions), 0);
	assert_int_equal(f->d.n_sessions, 0);
	idtable_destroy(&f->d.tunnels);
	idtable_destroy(&f->d.sessions);
	config_free(f->d.cfg);
	unlink(f->path);
	ev_loop_destroy(f->d.loop);
	free(f);
	return 0;
}

/* A tunnel in setup, with room for 65,535 sessions. */
static struct tunnel *fx_tunnel(struct fx *f)
{
	struct tunnel_params p;
	struct tunnel *t;
	int err = 0;

	tunnel_params_from_config(&p, &f->d.cfg->global.tunnel, NULL, false, 0);
	t = tunnel_alloc(&f->d, &f->sock, &f->peer, &p, &err);
	assert_non_null(t);
	assert_int_equal(t->p.max_sessions, IDS);
	return t;
}

static struct session *fx_call(struct tunnel *t)
{
	int err = 0;
	struct session *s = session_new_lac_ic(t, &err);

	assert_non_null(s);
	assert_int_equal(s->state, SESSION_WAIT_TUNNEL);
	return s;
}

/* Every session id of t taken. */
static void fx_fill(struct tunnel *t)
{
	for (unsigned i = 0; i < IDS; i++)
		fx_call(t);
	assert_int_equal(t->n_sessions, IDS);
}

/* Give s the id sid in its tunnel, as the allocator might have: lookups
 * by name are tested on chosen ids. */
static void fx_rekey(struct fx *f, struct session *s, uint16_t sid)
{
	uint32_t tid = (uint32_t)s->t->id << 16;

	if (s->id == sid)
		return;
	assert_null(session_find(&f->d, s->t->id, sid));
	assert_ptr_equal(idtable_remove(&f->d.sessions, tid | s->id), s);
	s->id = sid;
	assert_int_equal(idtable_insert(&f->d.sessions, tid | sid, s), 0);
}

/* A full tunnel does not keep another from allocating: the same id lives
 * in both, each found by its pair, and the daemon holds more than 65,535
 * sessions. */
static void test_same_id_in_two_tunnels(void **state)
{
	struct fx *f = *state;
	struct tunnel *a = fx_tunnel(f), *b = fx_tunnel(f);
	struct session *sb, *sa, *found[4];
	int err = 0;

	fx_fill(a);
	assert_null(session_new_lac_ic(a, &err));
	assert_int_equal(err, -EAGAIN);
	sb = fx_call(b);
	assert_int_equal(f->d.n_sessions, IDS + 1);
	sa = session_find(&f->d, a->id, sb->id);
	assert_non_null(sa);
	assert_ptr_not_equal(sa, sb);
	assert_ptr_equal(sa->t, a);
	assert_int_equal(sa->id, sb->id);
	assert_ptr_equal(session_find(&f->d, b->id, sb->id), sb);
	assert_int_equal(session_find_all(&f->d, sb->id, found, 4), 2);
	assert_ptr_equal(found[0], sa); /* tunnels in creation order */
	assert_ptr_equal(found[1], sb);
	/* Another id of a's is b's only if b has it. */
	assert_null(session_find(&f->d, b->id, (uint16_t)(sb->id % IDS + 1)));
	assert_int_equal(session_find_all(&f->d, (uint16_t)(sb->id % IDS + 1), found, 4), 1);
	/* Freed, the pair is gone and the other tunnel's session stays. */
	session_free(sb, "test");
	assert_null(session_find(&f->d, b->id, sa->id));
	assert_ptr_equal(session_find(&f->d, a->id, sa->id), sa);
	assert_int_equal(session_find_all(&f->d, sa->id, found, 4), 1);
}

static int by_name(struct fx *f, const char *name, struct session **s, char *err)
{
	*s = NULL;
	err[0] = '\0';
	return ctl_session_by_name(&f->d, name, s, err, 256);
}

/* "T/S" always, a bare id only when one tunnel has it. */
static void test_session_by_name(void **state)
{
	struct fx *f = *state;
	struct tunnel *a = fx_tunnel(f), *b = fx_tunnel(f);
	struct session *sa = fx_call(a), *sb = fx_call(b), *other = fx_call(a), *s;
	char name[32], err[256], want[160];

	if (other->id == 4711)
		fx_rekey(f, other, sa->id != 4712 ? 4712 : 4713);
	fx_rekey(f, sa, 4711);
	fx_rekey(f, sb, 4711);

	snprintf(name, sizeof(name), "%u/4711", a->id);
	assert_int_equal(by_name(f, name, &s, err), 0);
	assert_ptr_equal(s, sa);
	snprintf(name, sizeof(name), "%u/4711", b->id);
	assert_int_equal(by_name(f, name, &s, err), 0);
	assert_ptr_equal(s, sb);
	snprintf(name, sizeof(name), "%u", other->id);
	assert_int_equal(by_name(f, name, &s, err), 0);
	assert_ptr_equal(s, other);

	/* Ambiguous: refused, naming both tunnels and the way out. */
	assert_int_equal(by_name(f, "4711", &s, err), -ENOTUNIQ);
	assert_null(s);
	snprintf(want, sizeof(want),
		 "session 4711 is ambiguous: tunnels %u and %u each have one; name it "
		 "TUNNEL/SESSION, e.g. %u/4711",
		 a->id, b->id, a->id);
	assert_string_equal(err, want);

	/* Unknown: in no tunnel, in this tunnel, or no such tunnel. */
	session_free(sa, "test");
	assert_int_equal(by_name(f, "4711", &s, err), 0);
	assert_ptr_equal(s, sb);
	snprintf(name, sizeof(name), "%u/4711", a->id);
	assert_int_equal(by_name(f, name, &s, err), -ENOENT);
	snprintf(want, sizeof(want), "no session %u/4711 (tunnel %u has no session 4711)", a->id,
		 a->id);
	assert_string_equal(err, want);
	session_free(sb, "test");
	assert_int_equal(by_name(f, "4711", &s, err), -ENOENT);
	assert_string_equal(err, "no session 4711 in any tunnel");

	/* Not a name at all. */
	static const char *const bad[] = {
		"", "0", "65536", "1/", "/1", "1/2/3", "a", "-1", " 1", "+1", "1/0", "0/1", "1 / 2",
		"1/65536",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (by_name(f, bad[i], &s, err) != -EINVAL)
			fail_msg("'%s' taken as a session name", bad[i]);
		assert_non_null(strstr(err, "TUNNEL/SESSION or SESSION"));
	}
}

/* More tunnels than the message names: the rest are counted. */
static void test_session_by_name_many(void **state)
{
	struct fx *f = *state;
	struct tunnel *t[10];
	struct session *s;
	char err[256], want[256];
	size_t len;

	for (int i = 0; i < 10; i++) {
		t[i] = fx_tunnel(f);
		fx_rekey(f, fx_call(t[i]), 9);
	}
	assert_int_equal(by_name(f, "9", &s, err), -ENOTUNIQ);
	len = (size_t)snprintf(want, sizeof(want), "session 9 is ambiguous: tunnels %u", t[0]->id);
	for (int i = 1; i < 8; i++)
		len += (size_t)snprintf(want + len, sizeof(want) - len, ", %u", t[i]->id);
	snprintf(want + len, sizeof(want) - len,
		 " and 2 more each have one; name it TUNNEL/SESSION, e.g. %u/9", t[0]->id);
	assert_string_equal(err, want);
}

/* A waiting call moved to a tunnel where its id is taken gets one that is
 * free there (here the only one), and leaves nothing behind. */
static void test_move_takes_free_id(void **state)
{
	struct fx *f = *state;
	struct tunnel *to = fx_tunnel(f), *from = fx_tunnel(f);
	struct session *s, *gone;
	uint16_t old, free_id;

	fx_fill(to);
	s = fx_call(from);
	old = s->id;
	free_id = (uint16_t)(old % IDS + 1); /* not old: old stays taken in to */
	gone = session_find(&f->d, to->id, free_id);
	assert_non_null(gone);
	session_free(gone, "test");
	assert_non_null(session_find(&f->d, to->id, old));

	session_move_waiting(from, to);
	assert_ptr_equal(s->t, to);
	assert_int_equal(s->id, free_id);
	assert_int_equal(s->state, SESSION_WAIT_TUNNEL);
	assert_ptr_equal(session_find(&f->d, to->id, free_id), s);
	assert_null(session_find(&f->d, from->id, old));
	assert_int_equal(from->n_sessions, 0);
	assert_int_equal(from->n_sessions_setup, 0);
	assert_true(list_empty(&from->sessions));
	assert_int_equal(to->n_sessions, IDS);
	assert_int_equal(to->n_sessions_setup, IDS);
	assert_int_equal(f->d.n_sessions, IDS);
	assert_int_equal(idtable_count(&f->d.sessions), IDS);
}

/* No id free (no room) in the new tunnel: the call stays where it was,
 * to fail with that tunnel, still found by its old name. */
static void test_move_without_room(void **state)
{
	struct fx *f = *state;
	struct tunnel *to = fx_tunnel(f), *from = fx_tunnel(f);
	struct session *s;
	uint16_t old;

	fx_fill(to);
	s = fx_call(from);
	old = s->id;
	session_move_waiting(from, to);
	assert_ptr_equal(s->t, from);
	assert_int_equal(s->id, old);
	assert_ptr_equal(session_find(&f->d, from->id, old), s);
	assert_int_equal(from->n_sessions, 1);
	assert_int_equal(to->n_sessions, IDS);
	assert_int_equal(f->d.n_sessions, IDS + 1);
}

/* Only waiting calls move; each gets an id of the new tunnel. */
static void test_move_only_waiting(void **state)
{
	struct fx *f = *state;
	struct tunnel *to = fx_tunnel(f), *from = fx_tunnel(f);
	struct session *w1 = fx_call(from), *w2 = fx_call(from), *busy = fx_call(from);

	busy->state = SESSION_WAIT_REPLY; /* as if its ICRQ had gone out */
	session_move_waiting(from, to);
	assert_ptr_equal(w1->t, to);
	assert_ptr_equal(w2->t, to);
	assert_ptr_equal(session_find(&f->d, to->id, w1->id), w1);
	assert_ptr_equal(session_find(&f->d, to->id, w2->id), w2);
	assert_ptr_equal(busy->t, from);
	assert_ptr_equal(session_find(&f->d, from->id, busy->id), busy);
	assert_int_equal(from->n_sessions, 1);
	assert_int_equal(to->n_sessions, 2);
	assert_int_equal(idtable_count(&f->d.sessions), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_id_in_two_tunnels, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_session_by_name, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_session_by_name_many, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_move_takes_free_id, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_move_without_room, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_move_only_waiting, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
