/* The control socket that l2tpctl talks to: a Unix stream socket served on
 * the daemon's libev loop. One request per line, the command line as
 * l2tpctl got it:
 *     {"argv": ["show", "tunnels"]}
 * one reply per line:
 *     {"ok": true, "result": ...}   or   {"ok": false, "error": "..."}
 * The daemon registers a handler per verb (argv[0]). Requests and clients
 * are bounded; replies of any size are written as the client reads them. */
#ifndef L2TPD_CTL_H
#define L2TPD_CTL_H

#include <stddef.h>

struct ev_loop;
struct json_object;
struct ctl;

/* argv[0] is the verb; argc >= 1. Return 0 and set *result (ctl takes it;
 * NULL replies a null result), or a negative errno and a message in err
 * (strerror() of it when err is left empty). Must not call ctl_free(). */
typedef int (*ctl_handler_fn)(void *arg, int argc, const char **argv, struct json_object **result,
                              char *err, size_t errlen);

/* A field left 0 takes its default. */
struct ctl_limits {
	size_t max_request;   /* bytes of one request line; beyond: error, close */
	unsigned max_clients; /* connections at once; beyond: error, close */
	double idle_timeout;  /* seconds without any progress: close */
};
#define CTL_MAX_REQUEST_DEFAULT  65536
#define CTL_MAX_CLIENTS_DEFAULT  64
#define CTL_IDLE_TIMEOUT_DEFAULT 60.0

/* A list too large to build whole ("show sessions" of a million: the JSON
 * objects and then their text would cost gigabytes and stop the loop for
 * seconds): ctl writes {"ok":true,"result":[...]} an element at a time as
 * the client reads, a chunk per loop iteration. next(arg) gives the next
 * element (ctl takes it), NULL at the end; done(arg) is called once, at
 * the end or when the client goes. */
struct ctl_list {
	struct json_object *(*next)(void *arg);
	void (*done)(void *arg);
	void *arg;
};

/* From a handler that returns 0 and leaves *result NULL: its reply is
 * list. (A handler that fails after this gets done() called.) */
void ctl_reply_list(struct ctl *ctl, const struct ctl_list *list);

/* Listen at path: missing parent directories are made (0755), a stale
 * socket is replaced, the socket is mode 0600. limits may be NULL.
 * 0, or -EADDRINUSE (a daemon answers there), -EEXIST (path is not a
 * socket), -ENAMETOOLONG, or another negative errno. */
int ctl_new(struct ev_loop *loop, const char *path, const struct ctl_limits *limits,
            struct ctl **out);
/* 0, -EEXIST (verb taken), -ENOMEM. */
int ctl_register(struct ctl *ctl, const char *verb, ctl_handler_fn fn, void *arg);
/* Close every client and the socket, and remove the socket file. */
void ctl_free(struct ctl *ctl);

#endif
