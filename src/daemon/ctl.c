/* The control socket server. Each client has an input buffer (at most one
 * request line, max_request bytes) and an output buffer (the replies not
 * yet written). While a reply is pending the client is not read: a client
 * that sends requests without reading replies holds at most one reply and
 * one request's worth of memory, however large "show sessions" grows.
 * A list reply (ctl_reply_list) is made a chunk at a time as the client
 * reads it, so it costs a chunk, not the whole list. */
#include "ctl.h"

#include <errno.h>
#include <ev.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_MAX_ARGS     64
#define CTL_BACKLOG      16
#define CTL_ACCEPT_RETRY 1.0 /* seconds to pause accepting when out of fds */
#define CTL_IN_INITIAL   4096
#define CTL_OUT_KEEP     65536 /* larger output buffers are freed once written */
/* Bytes of a list reply made per loop iteration: half the buffer kept, so
 * that one element more (a few hundred bytes) does not outgrow it. */
#define CTL_LIST_CHUNK   (CTL_OUT_KEEP / 2)
#define CTL_JSON_FLAGS   (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct ctl_verb {
	char *verb;
	ctl_handler_fn fn;
	void *arg;
};

struct ctl_client {
	struct ctl *ctl;
	struct ctl_client *prev, *next;
	int fd;
	ev_io rio, wio;
	ev_timer idle;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_off, out_len, out_cap;
	bool eof;     /* the client sent everything it will send */
	bool closing; /* close once out is written */
	bool listing; /* a list reply is being made: list, list_n elements so far */
	struct ctl_list list;
	size_t list_n;
};

struct ctl {
	struct ev_loop *loop;
	struct ctl_limits lim;
	char *path;
	dev_t dev; /* of our socket file: only that one is removed */
	ino_t ino;
	int fd;
	ev_io lio;
	ev_timer retry;
	struct ctl_verb *verbs;
	size_t n_verbs;
	struct ctl_client *clients;
	unsigned n_clients;
	/* Set by ctl_reply_list() during a handler's call. */
	bool list_pending;
	struct ctl_list pending;
};

void ctl_reply_list(struct ctl *ctl, const struct ctl_list *list)
{
	ctl->pending = *list;
	ctl->list_pending = true;
}

static void ctl_client_end_list(struct ctl_client *c)
{
	if (!c->listing)
		return;
	c->listing = false;
	c->list.done(c->list.arg);
}

static void ctl_client_close(struct ctl_client *c)
{
	struct ctl *ctl = c->ctl;

	ev_io_stop(ctl->loop, &c->rio);
	ev_io_stop(ctl->loop, &c->wio);
	ev_timer_stop(ctl->loop, &c->idle);
	ctl_client_end_list(c);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ctl->n_clients--;
	free(c->in);
	free(c->out);
	free(c);
}

static int ctl_client_queue(struct ctl_client *c, const char *data, size_t len)
{
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *grown;

		while (cap < c->out_len + len)
			cap *= 2;
		grown = realloc(c->out, cap);
		if (!grown)
			return -ENOMEM;
		c->out = grown;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	return 0;
}

/* Out of memory: the client cannot get a truthful answer (or the rest of
 * one already begun); drop it rather than let it wait for one. */
static void ctl_client_drop(struct ctl_client *c)
{
	ctl_client_end_list(c);
	c->closing = true;
	c->out_len = c->out_off = 0;
}

/* Queue {"ok":..., "result"|"error":...} and a newline; takes result. */
static void ctl_client_reply(struct ctl_client *c, struct json_object *result, const char *error)
{
	struct json_object *root = json_object_new_object();
	const char *text;
	size_t len;

	if (!root) {
		json_object_put(result);
		goto fail;
	}
	json_object_object_add(root, "ok", json_object_new_boolean(error == NULL));
	if (error)
		json_object_object_add(root, "error", json_object_new_string(error));
	else
		json_object_object_add(root, "result", result);
	text = json_object_to_json_string_length(root, CTL_JSON_FLAGS, &len);
	if (!text || ctl_client_queue(c, text, len) || ctl_client_queue(c, "\n", 1)) {
		json_object_put(root);
		goto fail;
	}
	json_object_put(root);
	return;
fail:
	ctl_client_drop(c);
}

static void ctl_client_start_list(struct ctl_client *c, const struct ctl_list *list)
{
	static const char head[] = "{\"ok\":true,\"result\":[";

	c->list = *list;
	c->listing = true;
	c->list_n = 0;
	if (ctl_client_queue(c, head, sizeof(head) - 1))
		ctl_client_drop(c);
}

/* The next chunk of a list reply: elements until CTL_LIST_CHUNK bytes are
 * queued, or its end. */
static void ctl_client_pump(struct ctl_client *c)
{
	while (c->listing && c->out_len < CTL_LIST_CHUNK) {
		struct json_object *o = c->list.next(c->list.arg);
		const char *text;
		size_t len;
		int rc;

		if (!o) {
			ctl_client_end_list(c);
			if (ctl_client_queue(c, "]}\n", 3))
				ctl_client_drop(c);
			return;
		}
		text = json_object_to_json_string_length(o, CTL_JSON_FLAGS, &len);
		rc = !text || (c->list_n++ && ctl_client_queue(c, ",", 1)) ||
		     ctl_client_queue(c, text, len);
		json_object_put(o);
		if (rc) {
			ctl_client_drop(c);
			return;
		}
	}
}

static void ctl_client_replyf(struct ctl_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void ctl_client_replyf(struct ctl_client *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctl_client_reply(c, NULL, msg);
}

static const struct ctl_verb *ctl_find_verb(const struct ctl *ctl, const char *verb)
{
	for (size_t i = 0; i < ctl->n_verbs; i++)
		if (!strcmp(ctl->verbs[i].verb, verb))
			return &ctl->verbs[i];
	return NULL;
}

static void ctl_client_dispatch(struct ctl_client *c, struct json_object *req)
{
	const char *argv[CTL_MAX_ARGS + 1];
	struct json_object *jargv, *result = NULL;
	const struct ctl_verb *v;
	char err[512] = "";
	size_t argc;
	int rc;

	if (!json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "argv", &jargv) ||
	    !json_object_is_type(jargv, json_type_array)) {
		ctl_client_replyf(c, "bad request: expected {\"argv\": [\"COMMAND\", ...]}");
		return;
	}
	argc = json_object_array_length(jargv);
	if (argc == 0) {
		ctl_client_replyf(c, "bad request: empty argv");
		return;
	}
	if (argc > CTL_MAX_ARGS) {
		ctl_client_replyf(c, "bad request: more than %d arguments", CTL_MAX_ARGS);
		return;
	}
	for (size_t i = 0; i < argc; i++) {
		struct json_object *a = json_object_array_get_idx(jargv, i);

		if (!json_object_is_type(a, json_type_string)) {
			ctl_client_replyf(c, "bad request: argv[%zu] is not a string", i);
			return;
		}
		argv[i] = json_object_get_string(a);
		if (strlen(argv[i]) != (size_t)json_object_get_string_len(a)) {
			ctl_client_replyf(c, "bad request: argv[%zu] holds a NUL character", i);
			return;
		}
	}
	argv[argc] = NULL;
	v = ctl_find_verb(c->ctl, argv[0]);
	if (!v) {
		ctl_client_replyf(c, "unknown command '%.64s'", argv[0]);
		return;
	}
	c->ctl->list_pending = false;
	rc = v->fn(v->arg, (int)argc, argv, &result, err, sizeof(err));
	if (c->ctl->list_pending) {
		struct ctl_list list = c->ctl->pending;

		c->ctl->list_pending = false;
		json_object_put(result);
		result = NULL;
		if (rc >= 0) {
			ctl_client_start_list(c, &list);
			return;
		}
		list.done(list.arg);
	}
	if (rc < 0) {
		json_object_put(result);
		ctl_client_reply(c, NULL, err[0] ? err : strerror(-rc));
		return;
	}
	ctl_client_reply(c, result, NULL);
}

static void ctl_client_handle_line(struct ctl_client *c, char *line, size_t len)
{
	struct json_tokener *tok;
	struct json_object *req;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (!len)
		return; /* blank lines are not requests */
	tok = json_tokener_new();
	if (!tok) {
		ctl_client_reply(c, NULL, strerror(ENOMEM));
		return;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	req = json_tokener_parse_ex(tok, line, (int)len);
	if (!req) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		ctl_client_replyf(c, "bad request: %s",
		                  e == json_tokener_continue ? "incomplete JSON"
		                                             : json_tokener_error_desc(e));
	} else if (json_tokener_get_parse_end(tok) < len) {
		ctl_client_replyf(c, "bad request: text after the JSON object");
	} else {
		ctl_client_dispatch(c, req);
	}
	json_object_put(req);
	json_tokener_free(tok);
}

/* Write what we can: 0, or a negative errno if the client is gone. */
static int ctl_client_flush(struct ctl_client *c)
{
	bool progress = false;

	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n >= 0) {
			c->out_off += (size_t)n;
			progress = true;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			break;
		} else if (errno != EINTR) {
			return -errno;
		}
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->out_cap > CTL_OUT_KEEP) {
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
	}
	if (progress)
		ev_timer_again(c->ctl->loop, &c->idle);
	return 0;
}

/* Answer the complete requests held, as far as output allows, then decide
 * what to wait for. May close (free) the client. */
static void ctl_client_process(struct ctl_client *c)
{
	struct ctl *ctl = c->ctl;
	bool want_read;

	while (!c->closing && c->out_len == 0) {
		char *nl;
		size_t len, used;

		if (c->listing) {
			/* One chunk per call: the loop (and the daemon's
			 * packets) runs between them; the write watcher
			 * brings us back. Requests wait for the list's end. */
			ctl_client_pump(c);
			if (ctl_client_flush(c)) {
				ctl_client_close(c);
				return;
			}
			if (c->listing || c->out_len)
				break;
			continue;
		}
		nl = memchr(c->in, '\n', c->in_len);
		if (nl)
			len = (size_t)(nl - c->in);
		else if (c->eof && c->in_len)
			len = c->in_len; /* the last request needs no newline */
		else
			break;
		used = nl ? len + 1 : len;
		ctl_client_handle_line(c, c->in, len);
		/* A handler and its reply may take long: re-arm timers from
		 * the time now, not the loop's time from before, or they
		 * fire early. */
		ev_now_update(ctl->loop);
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		if (c->listing)
			break; /* its first chunk on the next write event */
		if (ctl_client_flush(c)) {
			ctl_client_close(c);
			return;
		}
	}
	if (!c->closing && !c->listing && c->out_len == 0 && c->in_len >= ctl->lim.max_request) {
		/* A full buffer without a newline: it is not a request of ours. */
		ctl_client_replyf(c, "request too long (more than %zu bytes)",
		                  ctl->lim.max_request - 1);
		c->closing = true;
		if (ctl_client_flush(c)) {
			ctl_client_close(c);
			return;
		}
	}
	if ((c->closing || c->eof) && c->out_len == 0 && !c->listing) {
		ctl_client_close(c);
		return;
	}
	want_read = !c->eof && !c->closing && c->out_len == 0 && !c->listing;
	if (want_read)
		ev_io_start(ctl->loop, &c->rio);
	else
		ev_io_stop(ctl->loop, &c->rio);
	if (c->out_len || c->listing)
		ev_io_start(ctl->loop, &c->wio);
	else
		ev_io_stop(ctl->loop, &c->wio);
}

static void ctl_client_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *c = w->data;
	size_t max = c->ctl->lim.max_request;

	(void)revents;
	while (!c->eof && c->in_len < max) {
		ssize_t n;

		if (c->in_len == c->in_cap) {
			size_t cap = c->in_cap ? c->in_cap * 2 : CTL_IN_INITIAL;
			char *grown;

			if (cap > max)
				cap = max;
			grown = realloc(c->in, cap);
			if (!grown) {
				ctl_client_close(c);
				return;
			}
			c->in = grown;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (n > 0) {
			c->in_len += (size_t)n;
			ev_timer_again(loop, &c->idle);
		} else if (n == 0) {
			c->eof = true;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			break;
		} else if (errno != EINTR) {
			ctl_client_close(c);
			return;
		}
	}
	ctl_client_process(c);
}

static void ctl_client_on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *c = w->data;

	(void)loop;
	(void)revents;
	if (ctl_client_flush(c)) {
		ctl_client_close(c);
		return;
	}
	ctl_client_process(c);
}

static void ctl_client_on_idle(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	ctl_client_close(w->data);
}

static int ctl_client_new(struct ctl *ctl, int fd)
{
	struct ctl_client *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->ctl = ctl;
	c->fd = fd;
	ev_io_init(&c->rio, ctl_client_on_read, fd, EV_READ);
	ev_io_init(&c->wio, ctl_client_on_write, fd, EV_WRITE);
	ev_init(&c->idle, ctl_client_on_idle);
	c->rio.data = c->wio.data = c->idle.data = c;
	c->idle.repeat = ctl->lim.idle_timeout;
	c->next = ctl->clients;
	if (c->next)
		c->next->prev = c;
	ctl->clients = c;
	ctl->n_clients++;
	ev_io_start(ctl->loop, &c->rio);
	ev_timer_again(ctl->loop, &c->idle);
	return 0;
}

static void ctl_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	static const char busy[] = "{\"ok\":false,\"error\":\"too many control connections\"}\n";
	struct ctl *ctl = w->data;

	(void)revents;
	for (;;) {
		int fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* The connection stays queued and the socket
				 * stays readable: pause rather than spin. */
				ev_io_stop(loop, &ctl->lio);
				ev_timer_set(&ctl->retry, CTL_ACCEPT_RETRY, 0.);
				ev_timer_start(loop, &ctl->retry);
			}
			return;
		}
		if (ctl->n_clients >= ctl->lim.max_clients) {
			/* Say why, best effort: it fits any socket buffer. */
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				(void)0;
			close(fd);
			continue;
		}
		if (ctl_client_new(ctl, fd))
			close(fd);
	}
}

static void ctl_on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl *ctl = w->data;

	(void)revents;
	ev_io_start(loop, &ctl->lio);
}

/* mkdir -p of path's parent directory. */
static int ctl_make_parents(const char *path)
{
	char *dir = strdup(path), *slash;
	int rc = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		goto out;
	*slash = '\0';
	for (char *p = dir + 1; !rc; p++) {
		bool end = *p == '\0';

		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			rc = -errno;
		if (end)
			break;
		*p = '/';
	}
out:
	free(dir);
	return rc;
}

/* A socket file left by a daemon that died is removed; one that a daemon
 * still answers on, or anything that is not a socket, is left alone. */
static int ctl_remove_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;

	if (lstat(sun->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Non-blocking: a live daemon with a full backlog gives EAGAIN. */
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 || errno == EAGAIN)
		rc = -EADDRINUSE;
	else if (errno == ECONNREFUSED)
		rc = unlink(sun->sun_path) && errno != ENOENT ? -errno : 0;
	else
		rc = -errno;
	close(fd);
	return rc;
}

int ctl_new(struct ev_loop *loop, const char *path, const struct ctl_limits *limits,
            struct ctl **out)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ctl *ctl;
	struct stat st;
	mode_t old_umask;
	int rc;

	*out = NULL;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->fd = -1;
	ctl->loop = loop;
	if (limits)
		ctl->lim = *limits;
	if (!ctl->lim.max_request)
		ctl->lim.max_request = CTL_MAX_REQUEST_DEFAULT;
	if (!ctl->lim.max_clients)
		ctl->lim.max_clients = CTL_MAX_CLIENTS_DEFAULT;
	if (!(ctl->lim.idle_timeout > 0))
		ctl->lim.idle_timeout = CTL_IDLE_TIMEOUT_DEFAULT;
	ctl->path = strdup(path);
	if (!ctl->path) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = ctl_make_parents(path);
	if (rc)
		goto fail;
	rc = ctl_remove_stale(&sun);
	if (rc)
		goto fail;
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0) {
		rc = -errno;
		goto fail;
	}
	/* The file gets its mode at bind(); a umask makes it 0600 from the
	 * start, so no other user can connect in the window before chmod().
	 * umask is per process, but this runs once, at startup or reload. */
	old_umask = umask(0177);
	rc = bind(ctl->fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
	umask(old_umask);
	if (rc)
		goto fail;
	if (chmod(path, 0600) || stat(path, &st) || listen(ctl->fd, CTL_BACKLOG)) {
		rc = -errno;
		unlink(path);
		goto fail;
	}
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	ev_io_init(&ctl->lio, ctl_on_accept, ctl->fd, EV_READ);
	ctl->lio.data = ctl;
	ev_init(&ctl->retry, ctl_on_retry);
	ctl->retry.data = ctl;
	ev_io_start(loop, &ctl->lio);
	*out = ctl;
	return 0;
fail:
	if (ctl->fd >= 0)
		close(ctl->fd);
	free(ctl->path);
	free(ctl);
	return rc;
}

int ctl_register(struct ctl *ctl, const char *verb, ctl_handler_fn fn, void *arg)
{
	struct ctl_verb *grown;
	char *copy;

	if (ctl_find_verb(ctl, verb))
		return -EEXIST;
	copy = strdup(verb);
	grown = copy ? realloc(ctl->verbs, (ctl->n_verbs + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(copy);
		return -ENOMEM;
	}
	ctl->verbs = grown;
	grown[ctl->n_verbs++] = (struct ctl_verb){.verb = copy, .fn = fn, .arg = arg};
	return 0;
}

void ctl_free(struct ctl *ctl)
{
	struct stat st;

	if (!ctl)
		return;
	while (ctl->clients)
		ctl_client_close(ctl->clients);
	ev_io_stop(ctl->loop, &ctl->lio);
	ev_timer_stop(ctl->loop, &ctl->retry);
	close(ctl->fd);
	/* Another daemon may have replaced the file since (a reload on a
	 * new path, an operator's mistake): remove only our own. */
	if (!stat(ctl->path, &st) && st.st_dev == ctl->dev && st.st_ino == ctl->ino)
		unlink(ctl->path);
	for (size_t i = 0; i < ctl->n_verbs; i++)
		free(ctl->verbs[i].verb);
	free(ctl->verbs);
	free(ctl->path);
	free(ctl);
}
