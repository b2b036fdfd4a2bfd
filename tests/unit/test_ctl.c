/* ctl: a control server on a temporary socket, its libev loop run in steps
 * (EVRUN_NOWAIT) between the client's non-blocking reads and writes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/ctl.h"

#define TIMEOUT 10.0 /* seconds: any wait longer than this is a failure */

struct fixture {
	struct ev_loop *loop;
	struct ctl *ctl;
	char dir[64];
	char path[128];
	int calls;
	int lists_done; /* ctl_list done() calls */
	/* Bytes read past a reply's newline, for the next read on held_fd. */
	char held[1 << 16];
	size_t n_held;
	int held_fd;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- handlers ---- */

static int h_echo(void *arg, int argc, const char **argv, struct json_object **result, char *err,
                  size_t errlen)
{
	struct fixture *f = arg;
	struct json_object *a = json_object_new_array();

	(void)err;
	(void)errlen;
	f->calls++;
	for (int i = 0; i < argc; i++)
		json_object_array_add(a, json_object_new_string(argv[i]));
	assert_null(argv[argc]);
	*result = a;
	return 0;
}

static int h_fail(void *arg, int argc, const char **argv, struct json_object **result, char *err,
                  size_t errlen)
{
	(void)arg;
	(void)result;
	snprintf(err, errlen, "not allowed: %s", argc > 1 ? argv[1] : "-");
	return -EPERM;
}

static int h_fail_quiet(void *arg, int argc, const char **argv, struct json_object **result,
                        char *err, size_t errlen)
{
	(void)arg;
	(void)argc;
	(void)argv;
	(void)err;
	(void)errlen;
	/* A result left behind on failure must not leak. */
	*result = json_object_new_string("ignored");
	return -ENOENT;
}

static int h_null(void *arg, int argc, const char **argv, struct json_object **result, char *err,
                  size_t errlen)
{
	(void)arg;
	(void)argc;
	(void)argv;
	(void)result;
	(void)err;
	(void)errlen;
	return 0;
}

/* "big N": N session-like objects, about 110 bytes each. */
static int h_big(void *arg, int argc, const char **argv, struct json_object **result, char *err,
                 size_t errlen)
{
	struct json_object *a = json_object_new_array();
	long n = argc > 1 ? atol(argv[1]) : 0;

	(void)arg;
	(void)err;
	(void)errlen;
	for (long i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int64(i));
		json_object_object_add(o, "tunnel", json_object_new_int(7));
		json_object_object_add(o, "state", json_object_new_string("established"));
		json_object_object_add(o, "user", json_object_new_string("user@example.net"));
		json_object_object_add(o, "rx_bytes", json_object_new_int64(i * 1000));
		json_object_array_add(a, o);
	}
	*result = a;
	return 0;
}

/* "list N [fail]": h_big's objects as a list reply, made as it is read. */
struct list_state {
	struct fixture *f;
	long i, n;
};

static struct json_object *list_next(void *arg)
{
	struct list_state *ls = arg;
	struct json_object *o;

	if (ls->i == ls->n)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(ls->i));
	json_object_object_add(o, "tunnel", json_object_new_int(7));
	json_object_object_add(o, "state", json_object_new_string("established"));
	json_object_object_add(o, "user", json_object_new_string("user@example.net"));
	json_object_object_add(o, "rx_bytes", json_object_new_int64(ls->i * 1000));
	ls->i++;
	return o;
}

static void list_done(void *arg)
{
	struct list_state *ls = arg;

	ls->f->lists_done++;
	free(ls);
}

static int h_list(void *arg, int argc, const char **argv, struct json_object **result,
                  char *err, size_t errlen)
{
	struct fixture *f = arg;
	struct list_state *ls = calloc(1, sizeof(*ls));

	(void)result;
	assert_non_null(ls);
	ls->f = f;
	ls->n = argc > 1 ? atol(argv[1]) : 0;
	ctl_reply_list(f->ctl, &(struct ctl_list){.next = list_next, .done = list_done, .arg = ls});
	if (argc > 2) {
		snprintf(err, errlen, "list refused");
		return -EPERM;
	}
	return 0;
}

static int register_all(struct fixture *f)
{
	return ctl_register(f->ctl, "echo", h_echo, f) || ctl_register(f->ctl, "fail", h_fail, f) ||
	       ctl_register(f->ctl, "quiet", h_fail_quiet, f) ||
	       ctl_register(f->ctl, "null", h_null, f) || ctl_register(f->ctl, "big", h_big, f) ||
	       ctl_register(f->ctl, "list", h_list, f);
}

static int setup_limits(void **state, double idle_timeout)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const struct ctl_limits lim = {
	    .max_request = 4096, .max_clients = 8, .idle_timeout = idle_timeout};

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/l2tpd-test-ctl-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	/* Two missing levels: ctl_new makes them. */
	snprintf(f->path, sizeof(f->path), "%s/run/l2tpd/ctl.sock", f->dir);
	f->loop = ev_loop_new(EVFLAG_AUTO);
	f->held_fd = -1;
	if (!f->loop || ctl_new(f->loop, f->path, &lim, &f->ctl) || register_all(f))
		return -1;
	*state = f;
	return 0;
}

/* Small limits; an idle timeout long enough for valgrind's pace. */
static int setup(void **state)
{
	return setup_limits(state, 30.0);
}

static int setup_idle(void **state)
{
	return setup_limits(state, 0.5);
}

/* The same with the default limits. */
static int setup_defaults(void **state)
{
	struct fixture *f;

	if (setup(state))
		return -1;
	f = *state;
	ctl_free(f->ctl);
	if (ctl_new(f->loop, f->path, NULL, &f->ctl) || register_all(f))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[160];

	ctl_free(f->ctl);
	ev_loop_destroy(f->loop);
	snprintf(p, sizeof(p), "%s/run/l2tpd", f->dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/run", f->dir);
	rmdir(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- a client ---- */

static int client_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static void client_send(struct fixture *f, int fd, const char *data, size_t len)
{
	double deadline = now() + TIMEOUT;

	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n > 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		assert_true(n < 0 && errno == EAGAIN);
		assert_true(now() < deadline);
		ev_run(f->loop, EVRUN_NOWAIT);
	}
}

static void client_sends(struct fixture *f, int fd, const char *text)
{
	client_send(f, fd, text, strlen(text));
}

/* The next reply line (malloc'd, no newline), or NULL at end of stream. */
static char *client_read_line(struct fixture *f, int fd, size_t chunk)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	double deadline = now() + TIMEOUT;

	assert_non_null(buf);
	if (f->held_fd == fd) {
		memcpy(buf, f->held, f->n_held);
		len = f->n_held;
	}
	f->n_held = 0;
	f->held_fd = fd;
	for (;;) {
		char *nl = memchr(buf, '\n', len);
		ssize_t n;

		if (nl) {
			f->n_held = len - (size_t)(nl + 1 - buf);
			assert_true(f->n_held <= sizeof(f->held));
			memcpy(f->held, nl + 1, f->n_held);
			*nl = '\0';
			return buf;
		}
		if (cap - len < chunk + 1) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = recv(fd, buf + len, chunk, 0);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		/* A server that hangs up on unread input (a request too long)
		 * resets the connection instead of ending it. */
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			assert_int_equal(len, 0); /* no partial line before the end */
			free(buf);
			return NULL;
		}
		assert_true(errno == EAGAIN);
		if (now() > deadline)
			fail_msg("no reply within %.0f s", TIMEOUT);
		ev_run(f->loop, EVRUN_NOWAIT);
	}
}

static void expect_line(struct fixture *f, int fd, const char *want)
{
	char *line = client_read_line(f, fd, 65536);

	if (!line)
		fail_msg("end of stream, wanted %s", want);
	assert_string_equal(line, want);
	free(line);
}

static void expect_eof(struct fixture *f, int fd)
{
	char *line = client_read_line(f, fd, 65536);

	if (line)
		fail_msg("wanted the end of stream, got %s", line);
}

static void test_request_reply(void **state)
{
	struct fixture *f = *state;
	int fd = client_connect(f->path);

	client_sends(f, fd, "{\"argv\": [\"echo\", \"a\", \"b c\", \"\\u00e9/\"]}\n");
	expect_line(f, fd, "{\"ok\":true,\"result\":[\"echo\",\"a\",\"b c\",\"\xc3\xa9/\"]}");
	client_sends(f, fd, "{\"argv\":[\"null\"]}\r\n");
	expect_line(f, fd, "{\"ok\":true,\"result\":null}");
	/* Members other than argv are ignored (room for later additions). */
	client_sends(f, fd, "{\"version\": 1, \"argv\": [\"echo\"]}\n");
	expect_line(f, fd, "{\"ok\":true,\"result\":[\"echo\"]}");
	assert_int_equal(f->calls, 2);
	close(fd);
}

static void test_bad_requests(void **state)
{
	static const struct {
		const char *request, *reply;
	} cases[] = {
	    {"{\"argv\": [\"nope\", \"x\"]}",
	     "{\"ok\":false,\"error\":\"unknown command 'nope'\"}"},
	    {"{\"argv\": [\"fail\", \"x\"]}", "{\"ok\":false,\"error\":\"not allowed: x\"}"},
	    {"{\"argv\": [\"quiet\"]}", "{\"ok\":false,\"error\":\"No such file or directory\"}"},
	    {"{\"argv\": []}", "{\"ok\":false,\"error\":\"bad request: empty argv\"}"},
	    {"{\"argv\": [\"echo\", 5]}",
	     "{\"ok\":false,\"error\":\"bad request: argv[1] is not a string\"}"},
	    {"{\"argv\": [\"echo\", \"a\\u0000b\"]}",
	     "{\"ok\":false,\"error\":\"bad request: argv[1] holds a NUL character\"}"},
	    {"{\"argv\": \"echo\"}",
	     "{\"ok\":false,\"error\":\"bad request: expected {\\\"argv\\\": [\\\"COMMAND\\\", "
	     "...]}\"}"},
	    {"{\"command\": \"echo\"}",
	     "{\"ok\":false,\"error\":\"bad request: expected {\\\"argv\\\": [\\\"COMMAND\\\", "
	     "...]}\"}"},
	    {"[\"echo\"]",
	     "{\"ok\":false,\"error\":\"bad request: expected {\\\"argv\\\": [\\\"COMMAND\\\", "
	     "...]}\"}"},
	    {"{\"argv\": [\"echo\"", "{\"ok\":false,\"error\":\"bad request: incomplete JSON\"}"},
	    {"show tunnels", NULL},
	    {"{\"argv\": [\"echo\"]} x", NULL},
	    {"{\"argv\": [\"\xff\"]}", NULL},
	};
	struct fixture *f = *state;
	int fd = client_connect(f->path);
	char big[CTL_MAX_REQUEST_DEFAULT];
	size_t len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *line;

		client_sends(f, fd, cases[i].request);
		client_sends(f, fd, "\n");
		line = client_read_line(f, fd, 65536);
		assert_non_null(line);
		if (cases[i].reply)
			assert_string_equal(line, cases[i].reply);
		else if (strncmp(line, "{\"ok\":false,\"error\":\"bad request: ", 34))
			fail_msg("case %zu: %s", i, line);
		free(line);
	}
	/* Too many arguments. */
	len = (size_t)snprintf(big, sizeof(big), "{\"argv\": [\"echo\"");
	for (int i = 0; i < 64; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, ", \"x\"");
	snprintf(big + len, sizeof(big) - len, "]}\n");
	client_sends(f, fd, big);
	expect_line(f, fd, "{\"ok\":false,\"error\":\"bad request: more than 64 arguments\"}");
	/* Blank lines get no reply; the connection is still good after all this. */
	client_sends(f, fd, "\n  \n{\"argv\": [\"echo\", \"still\"]}\n");
	expect_line(f, fd, "{\"ok\":true,\"result\":[\"echo\",\"still\"]}");
	close(fd);
}

static void test_pipelined_and_eof(void **state)
{
	struct fixture *f = *state;
	int fd = client_connect(f->path);

	/* Several requests in one write, the last without its newline, then
	 * the client's end of stream: every one is answered, in order. */
	client_sends(f, fd,
	             "{\"argv\":[\"echo\",\"1\"]}\n{\"argv\":[\"nope\"]}\n"
	             "{\"argv\":[\"echo\",\"3\"]}");
	shutdown(fd, SHUT_WR);
	expect_line(f, fd, "{\"ok\":true,\"result\":[\"echo\",\"1\"]}");
	expect_line(f, fd, "{\"ok\":false,\"error\":\"unknown command 'nope'\"}");
	expect_line(f, fd, "{\"ok\":true,\"result\":[\"echo\",\"3\"]}");
	expect_eof(f, fd);
	close(fd);
}

static void test_oversized_request(void **state)
{
	struct fixture *f = *state;
	char req[4096 + 1];
	int fd = client_connect(f->path);
	size_t len;

	/* The largest request that fits (4095 bytes and a newline) works. */
	len = (size_t)snprintf(req, sizeof(req), "{\"argv\":[\"echo\",\"");
	memset(req + len, 'x', 4095 - len - 3);
	memcpy(req + 4095 - 3, "\"]}\n", 5);
	client_send(f, fd, req, 4096);
	{
		char *line = client_read_line(f, fd, 65536);

		assert_non_null(line);
		assert_memory_equal(line, "{\"ok\":true,\"result\":[\"echo\",\"xxx", 32);
		free(line);
	}
	/* One byte more: an error, then the server hangs up. */
	memset(req, 'y', sizeof(req));
	client_send(f, fd, req, sizeof(req));
	expect_line(f, fd, "{\"ok\":false,\"error\":\"request too long (more than 4095 bytes)\"}");
	expect_eof(f, fd);
	close(fd);
}

static void check_big_reply(struct fixture *f, int fd, long n, size_t chunk)
{
	char *line = client_read_line(f, fd, chunk);
	struct json_object *reply, *ok, *result, *last, *id;

	assert_non_null(line);
	assert_true(strlen(line) > (size_t)n * 80);
	reply = json_tokener_parse(line);
	assert_non_null(reply);
	assert_true(json_object_object_get_ex(reply, "ok", &ok));
	assert_true(json_object_get_boolean(ok));
	assert_true(json_object_object_get_ex(reply, "result", &result));
	assert_int_equal(json_object_array_length(result), n);
	last = json_object_array_get_idx(result, (size_t)n - 1);
	assert_true(json_object_object_get_ex(last, "id", &id));
	assert_int_equal(json_object_get_int64(id), n - 1);
	json_object_put(reply);
	free(line);
}

static void test_huge_reply(void **state)
{
	struct fixture *f = *state;
	int fd = client_connect(f->path);

	/* About 5.5 MB, far beyond any socket buffer: written as read. */
	client_sends(f, fd, "{\"argv\":[\"big\",\"50000\"]}\n");
	check_big_reply(f, fd, 50000, 65536);
	/* A slow reader, 1 KiB at a time, and a request queued behind it. */
	client_sends(f, fd, "{\"argv\":[\"big\",\"5000\"]}\n{\"argv\":[\"echo\"]}\n");
	check_big_reply(f, fd, 5000, 1024);
	expect_line(f, fd, "{\"ok\":true,\"result\":[\"echo\"]}");
	close(fd);
}

static void test_reader_gone(void **state)
{
	struct fixture *f = *state;
	int fd = client_connect(f->path), fd2;

	/* The client leaves in the middle of a large reply. */
	client_sends(f, fd, "{\"argv\":[\"big\",\"20000\"]}\n");
	for (int i = 0; i < 10; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
	close(fd);
	for (int i = 0; i < 10; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
	fd2 = client_connect(f->path);
	client_sends(f, fd2, "{\"argv\":[\"echo\"]}\n");
	expect_line(f, fd2, "{\"ok\":true,\"result\":[\"echo\"]}");
	close(fd2);
}

/* A list reply is the same line as a whole one, made a chunk at a time. */
static void test_list_reply(void **state)
{
	struct fixture *f = *state;
	int fd = client_connect(f->path);

	client_sends(f, fd, "{\"argv\":[\"list\",\"50000\"]}\n");
	check_big_reply(f, fd, 50000, 65536);
	assert_int_equal(f->lists_done, 1);
	client_sends(f, fd, "{\"argv\":[\"list\",\"0\"]}\n");
	expect_line(f, fd, "{\"ok\":true,\"result\":[]}");
	client_sends(f, fd, "{\"argv\":[\"list\",\"1\"]}\n");
	expect_line(f, fd,
	            "{\"ok\":true,\"result\":[{\"id\":0,\"tunnel\":7,\"state\":\"established\","
	            "\"user\":\"user@example.net\",\"rx_bytes\":0}]}");
	/* A handler that fails after offering a list: an error, list freed. */
	client_sends(f, fd, "{\"argv\":[\"list\",\"5\",\"fail\"]}\n");
	expect_line(f, fd, "{\"ok\":false,\"error\":\"list refused\"}");
	assert_int_equal(f->lists_done, 4);
	/* A slow reader, requests queued behind the list, and the client's
	 * end of stream (as l2tpctl does) before the list is made. */
	client_sends(f, fd,
	             "{\"argv\":[\"list\",\"5000\"]}\n{\"argv\":[\"echo\"]}\n"
	             "{\"argv\":[\"list\",\"2\"]}");
	shutdown(fd, SHUT_WR);
	check_big_reply(f, fd, 5000, 1024);
	expect_line(f, fd, "{\"ok\":true,\"result\":[\"echo\"]}");
	check_big_reply(f, fd, 2, 1024);
	expect_eof(f, fd);
	assert_int_equal(f->lists_done, 6);
	close(fd);
}

/* A chunk per loop iteration: a large list is not made in one go. */
static void test_list_in_chunks(void **state)
{
	struct fixture *f = *state;
	int fd = client_connect(f->path);
	char buf[1 << 16];
	size_t got = 0;
	int rounds = 0;
	bool end = false;
	double deadline = now() + TIMEOUT;

	client_sends(f, fd, "{\"argv\":[\"list\",\"20000\"]}\n");
	/* About 2 MB: read all that came after each loop iteration. */
	while (!end) {
		ssize_t n;

		ev_run(f->loop, EVRUN_NOWAIT);
		rounds++;
		while (!end && (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
			got += (size_t)n;
			end = buf[n - 1] == '\n';
		}
		assert_true(now() < deadline);
	}
	assert_true(got > 20000 * 80);
	assert_true(rounds >= 20); /* ~32 KiB per round */
	assert_int_equal(f->lists_done, 1);
	close(fd);
}

/* The client goes in the middle of a list, or the server is freed: the
 * list is let go once. */
static void test_list_reader_gone(void **state)
{
	struct fixture *f = *state;
	int fd = client_connect(f->path), fd2;

	client_sends(f, fd, "{\"argv\":[\"list\",\"100000\"]}\n");
	for (int i = 0; i < 10; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
	assert_int_equal(f->lists_done, 0);
	close(fd);
	for (int i = 0; i < 10; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
	assert_int_equal(f->lists_done, 1);
	fd2 = client_connect(f->path);
	client_sends(f, fd2, "{\"argv\":[\"list\",\"100000\"]}\n");
	for (int i = 0; i < 10; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
	ctl_free(f->ctl);
	f->ctl = NULL;
	assert_int_equal(f->lists_done, 2);
	close(fd2);
}

static void test_many_clients(void **state)
{
	struct fixture *f = *state;
	int fds[CTL_MAX_CLIENTS_DEFAULT + 1];
	char req[64], want[96];

	for (int i = 0; i < CTL_MAX_CLIENTS_DEFAULT; i++) {
		fds[i] = client_connect(f->path);
		ev_run(f->loop, EVRUN_NOWAIT);
	}
	/* One too many: told so, and closed. */
	fds[CTL_MAX_CLIENTS_DEFAULT] = client_connect(f->path);
	expect_line(f, fds[CTL_MAX_CLIENTS_DEFAULT],
	            "{\"ok\":false,\"error\":\"too many control connections\"}");
	expect_eof(f, fds[CTL_MAX_CLIENTS_DEFAULT]);
	close(fds[CTL_MAX_CLIENTS_DEFAULT]);
	/* All requests first, then all replies: they are served concurrently. */
	for (int i = 0; i < CTL_MAX_CLIENTS_DEFAULT; i++) {
		snprintf(req, sizeof(req), "{\"argv\":[\"echo\",\"%d\"]}\n", i);
		client_sends(f, fds[i], req);
	}
	for (int i = CTL_MAX_CLIENTS_DEFAULT - 1; i >= 0; i--) {
		snprintf(want, sizeof(want), "{\"ok\":true,\"result\":[\"echo\",\"%d\"]}", i);
		expect_line(f, fds[i], want);
	}
	/* A slot freed is a slot for the next client. */
	close(fds[0]);
	for (int i = 0; i < 5; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
	fds[0] = client_connect(f->path);
	client_sends(f, fds[0], "{\"argv\":[\"echo\"]}\n");
	expect_line(f, fds[0], "{\"ok\":true,\"result\":[\"echo\"]}");
	for (int i = 0; i < CTL_MAX_CLIENTS_DEFAULT; i++)
		close(fds[i]);
}

static void test_idle_timeout(void **state)
{
	struct fixture *f = *state;
	int fd = client_connect(f->path);
	double start = now();

	/* Silent clients are dropped after idle_timeout (0.5 s here). */
	expect_eof(f, fd);
	assert_true(now() - start >= 0.45);
	close(fd);
}

static void test_free_closes_clients(void **state)
{
	struct fixture *f = *state;
	int fd = client_connect(f->path);
	struct stat st;
	char buf[16];

	ev_run(f->loop, EVRUN_NOWAIT);
	ctl_free(f->ctl);
	f->ctl = NULL;
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0);
	assert_int_equal(stat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);
	close(fd);
}

static void test_socket_file(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ctl *other;
	struct stat st;
	char path[200];
	int fd;

	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(path, sizeof(path), "%s/run/l2tpd", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755); /* main() sets umask 022 */

	/* A daemon answers there: left alone. */
	assert_int_equal(ctl_new(f->loop, f->path, NULL, &other), -EADDRINUSE);
	assert_null(other);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(ctl_register(f->ctl, "echo", h_echo, f), -EEXIST);

	/* A socket nobody listens on any more: replaced. */
	snprintf(path, sizeof(path), "%s/stale.sock", f->dir);
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(ctl_new(f->loop, path, NULL, &other), 0);
	fd = client_connect(path);
	client_sends(f, fd, "{\"argv\":[\"echo\"]}\n");
	expect_line(f, fd, "{\"ok\":false,\"error\":\"unknown command 'echo'\"}");
	close(fd);
	ctl_free(other);
	assert_int_equal(stat(path, &st), -1);

	/* Not a socket: never removed. */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ctl_new(f->loop, path, NULL, &other), -EEXIST);
	assert_int_equal(stat(path, &st), 0);
	unlink(path);

	/* Too long for sun_path. */
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(ctl_new(f->loop, path, NULL, &other), -ENAMETOOLONG);
}

int main(void)
{
	umask(022);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_request_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_requests, setup_defaults, teardown),
	    cmocka_unit_test_setup_teardown(test_pipelined_and_eof, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oversized_request, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_huge_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reader_gone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_in_chunks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_reader_gone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_clients, setup_defaults, teardown),
	    cmocka_unit_test_setup_teardown(test_idle_timeout, setup_idle, teardown),
	    cmocka_unit_test_setup_teardown(test_free_closes_clients, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_socket_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
