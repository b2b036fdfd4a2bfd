/* l2tpctl: the command-line client of l2tpd's control socket. It sends its
 * command line as {"argv": [...]}, reads the one-line reply, and prints the
 * result as a table, as "key: value" lines, or as JSON (--json).
 * Exit status: 0 ok, 1 the daemon refused, 2 usage or connection error. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET   "/run/l2tpd/l2tpd.sock"
#define REPLY_TIMEOUT_MS 30000 /* of silence from the daemon */
#define REPLY_MAX        (1u << 30)
#define EXIT_REFUSED     1
#define EXIT_USAGE       2

#ifndef L2TPD_VERSION
#define L2TPD_VERSION "0.1.0"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Table columns of the lists whose fields l2tpctl(8) documents; other lists take
 * the keys of their first element. */
/* clang-format off */
static const char *const tunnel_columns[] = {
	"id", "peer_id", "peer", "peer_hostname", "destination", "role", "state", "sessions", NULL};
/* A session is named by its tunnel and its id (ids are per tunnel): side
 * by side, in that order, as commands take them ("TUNNEL/SESSION"). */
static const char *const session_columns[] = {
	"tunnel", "id", "peer_id", "role", "state", "user", "ip",
	"rx_packets", "tx_packets", "rx_bytes", "tx_bytes", NULL};
/* clang-format on */

static const struct {
	const char *verb, *kind;
	const char *const *columns;
} known_tables[] = {
	{"show", "tunnels", tunnel_columns},
	{"show", "sessions", session_columns},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: l2tpctl [-s SOCKET] [--json] COMMAND [ARG...]\n"
	             "\n"
	             "  -s, --socket SOCKET  l2tpd's control socket (default " DEFAULT_SOCKET ")\n"
	             "  -j, --json           print the result as JSON\n"
	             "  -h, --help           this help\n"
	             "  -V, --version        the version\n"
	             "\n"
	             "commands:\n"
	             "  show destinations [NAME] | tunnels [ID] | sessions [[TUNNEL/]SESSION]\n"
	             "  close destination NAME | tunnel ID | session [TUNNEL/]SESSION\n"
	             "  dial NAME [COUNT]\n"
	             "  drain on|off\n"
	             "  send sli|wen [TUNNEL/]SESSION\n"
	             "  stats\n"
	             "  reload\n");
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "l2tpctl: %s: socket path too long\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		fprintf(stderr, "l2tpctl: cannot connect to %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int send_request(int fd, const char *path, int argc, char **argv)
{
	struct json_object *req = json_object_new_object(), *jargv = json_object_new_array();
	const char *text;
	size_t len, off = 0;
	int rc = -1;

	if (!req || !jargv) {
		json_object_put(jargv);
		goto out;
	}
	json_object_object_add(req, "argv", jargv);
	for (int i = 0; i < argc; i++)
		json_object_array_add(jargv, json_object_new_string(argv[i]));
	text = json_object_to_json_string_length(
	    req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	while (text && off <= len) {
		/* The request, then its newline. */
		const char *p = off < len ? text + off : "\n";
		size_t n = off < len ? len - off : 1;
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			fprintf(stderr, "l2tpctl: %s: %s\n", path, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	/* Nothing more to ask: the daemon closes after the reply. */
	shutdown(fd, SHUT_WR);
	rc = 0;
out:
	json_object_put(req);
	return rc;
}

/* One reply line, NUL-terminated without its newline; NULL on error. */
static char *read_reply(int fd, const char *path, size_t *lenp)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap), *nl = NULL;

	while (buf && !nl) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;
		int rc;

		if (len + 1 >= cap) {
			char *grown = cap < REPLY_MAX ? realloc(buf, cap * 2) : NULL;

			if (!grown) {
				fprintf(stderr, "l2tpctl: %s: reply too large\n", path);
				goto fail;
			}
			buf = grown;
			cap *= 2;
		}
		rc = poll(&pfd, 1, REPLY_TIMEOUT_MS);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0) {
			fprintf(stderr, "l2tpctl: %s: no reply from the daemon\n", path);
			goto fail;
		}
		n = rc < 0 ? -1 : read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "l2tpctl: %s: %s\n", path, strerror(errno));
			goto fail;
		}
		if (n == 0) {
			fprintf(stderr,
			        "l2tpctl: %s: the daemon closed the connection without a "
			        "reply\n",
			        path);
			goto fail;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
	}
	if (!buf) {
		fprintf(stderr, "l2tpctl: %s\n", strerror(ENOMEM));
		return NULL;
	}
	*nl = '\0';
	*lenp = (size_t)(nl - buf);
	return buf;
fail:
	free(buf);
	return NULL;
}

/* Display width of UTF-8 text: code points, not bytes. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static bool is_number(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

static bool is_plain_list(struct json_object *v)
{
	size_t n = json_object_array_length(v);

	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string) && !is_number(e))
			return false;
	}
	return n > 0;
}

static char *join_list(struct json_object *v)
{
	size_t n = json_object_array_length(v), len = 1;
	char *out;

	for (size_t i = 0; i < n; i++)
		len += strlen(json_object_get_string(json_object_array_get_idx(v, i))) + 1;
	out = calloc(1, len);
	for (size_t i = 0; out && i < n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, json_object_get_string(json_object_array_get_idx(v, i)));
	}
	return out;
}

/* A value as one table cell or one line: never empty, no control bytes. */
static char *value_text(struct json_object *v)
{
	const char *s;
	char *out;

	switch (json_object_get_type(v)) {
	case json_type_null:
		out = strdup("-");
		break;
	case json_type_boolean:
		out = strdup(json_object_get_boolean(v) ? "yes" : "no");
		break;
	case json_type_string:
		s = json_object_get_string(v);
		out = strdup(*s ? s : "-");
		break;
	case json_type_array:
		if (is_plain_list(v)) {
			out = join_list(v); /* "a b c" reads best */
			break;
		}
		/* fall through */
	default:
		out = strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
		                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
		break;
	}
	/* A tab or a newline that came from the network must not break a table. */
	for (char *p = out; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return out;
}

static void print_upper(const char *s)
{
	for (; *s; s++)
		putchar(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);
}

static const char *const *table_columns(int argc, char **argv)
{
	for (size_t i = 0; argc >= 2 && i < ARRAY_SIZE(known_tables); i++)
		if (!strcmp(argv[0], known_tables[i].verb) &&
		    !strcmp(argv[1], known_tables[i].kind))
			return known_tables[i].columns;
	return NULL;
}

static int print_table(struct json_object *rows, const char *const *fixed)
{
	size_t n_rows = json_object_array_length(rows), n_cols = 0;
	const char **cols;
	char **cells;
	size_t *width;
	bool *right;
	int rc = -1;

	if (fixed) {
		while (fixed[n_cols])
			n_cols++;
	} else if (n_rows) {
		n_cols = (size_t)json_object_object_length(json_object_array_get_idx(rows, 0));
	}
	if (!n_cols)
		return 0;
	cols = calloc(n_cols, sizeof(*cols));
	width = calloc(n_cols, sizeof(*width));
	right = calloc(n_cols, sizeof(*right));
	cells = calloc(n_rows * n_cols + 1, sizeof(*cells));
	if (!cols || !width || !right || !cells)
		goto out;
	if (fixed) {
		for (size_t c = 0; c < n_cols; c++)
			cols[c] = fixed[c];
	} else {
		size_t c = 0;

		json_object_object_foreach(json_object_array_get_idx(rows, 0), key, val)
		{
			(void)val;
			cols[c++] = key;
		}
	}
	for (size_t c = 0; c < n_cols; c++) {
		width[c] = text_width(cols[c]);
		right[c] = n_rows > 0;
	}
	for (size_t r = 0; r < n_rows; r++) {
		struct json_object *row = json_object_array_get_idx(rows, r);

		for (size_t c = 0; c < n_cols; c++) {
			struct json_object *v = NULL;
			char **cell = &cells[r * n_cols + c];

			json_object_object_get_ex(row, cols[c], &v);
			*cell = value_text(v);
			if (!*cell)
				goto out;
			if (width[c] < text_width(*cell))
				width[c] = text_width(*cell);
			/* Numbers line up on the right, everything else left. */
			if (v && !is_number(v))
				right[c] = false;
		}
	}
	for (size_t r = 0; r <= n_rows; r++) {
		for (size_t c = 0; c < n_cols; c++) {
			const char *t = r ? cells[(r - 1) * n_cols + c] : cols[c];
			size_t pad = width[c] - text_width(t);
			bool last = c + 1 == n_cols;

			if (c)
				fputs("  ", stdout);
			if (right[c])
				printf("%*s", (int)pad, "");
			if (r)
				fputs(t, stdout);
			else
				print_upper(t);
			if (!right[c] && !last)
				printf("%*s", (int)pad, "");
		}
		putchar('\n');
	}
	rc = 0;
out:
	for (size_t i = 0; cells && i < n_rows * n_cols; i++)
		free(cells[i]);
	free(cells);
	free(cols);
	free(width);
	free(right);
	return rc;
}

static int print_object(struct json_object *obj, int indent)
{
	size_t kw = 0;

	json_object_object_foreach(obj, k, v0)
	{
		(void)v0;
		if (kw < text_width(k))
			kw = text_width(k);
	}
	json_object_object_foreach(obj, key, val)
	{
		char *t;

		if (json_object_is_type(val, json_type_object) && json_object_object_length(val)) {
			printf("%*s%s:\n", indent, "", key);
			if (print_object(val, indent + 2))
				return -1;
			continue;
		}
		t = value_text(val);
		if (!t)
			return -1;
		printf("%*s%s:%*s %s\n", indent, "", key, (int)(kw - text_width(key)), "", t);
		free(t);
	}
	return 0;
}

static bool all_objects(struct json_object *arr)
{
	size_t n = json_object_array_length(arr);

	for (size_t i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(arr, i), json_type_object))
			return false;
	return true;
}

static int print_result(struct json_object *result, bool as_json, int argc, char **argv)
{
	char *t;

	if (as_json) {
		puts(json_object_to_json_string_ext(result, JSON_C_TO_STRING_PRETTY |
		                                                JSON_C_TO_STRING_SPACED |
		                                                JSON_C_TO_STRING_NOSLASHESCAPE));
		return 0;
	}
	switch (json_object_get_type(result)) {
	case json_type_null:
		return 0;
	case json_type_object:
		return print_object(result, 0);
	case json_type_array:
		if (all_objects(result))
			return print_table(result, table_columns(argc, argv));
		for (size_t i = 0; i < json_object_array_length(result); i++) {
			t = value_text(json_object_array_get_idx(result, i));
			if (!t)
				return -1;
			puts(t);
			free(t);
		}
		return 0;
	case json_type_string:
		/* A message: as it is, newlines included. */
		fputs(json_object_get_string(result), stdout);
		if (!json_object_get_string_len(result) ||
		    json_object_get_string(result)[json_object_get_string_len(result) - 1] != '\n')
			putchar('\n');
		return 0;
	default:
		t = value_text(result);
		if (!t)
			return -1;
		puts(t);
		free(t);
		return 0;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = DEFAULT_SOCKET;
	struct json_object *reply = NULL, *ok = NULL, *result = NULL, *error = NULL;
	struct json_tokener *tok = NULL;
	bool as_json = false;
	char *line = NULL;
	size_t len;
	int opt, fd = -1, status = EXIT_USAGE;

	/* '+': options end at the command, so "close session -1" stays an argument. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+s:jhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("l2tpctl %s\n", L2TPD_VERSION);
			return 0;
		default:
			if (optopt == 's')
				fprintf(stderr, "l2tpctl: option -s needs a SOCKET\n");
			else
				fprintf(stderr, "l2tpctl: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "l2tpctl: no command given\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	fd = connect_socket(path);
	if (fd < 0 || send_request(fd, path, argc, argv))
		goto out;
	line = read_reply(fd, path, &len);
	if (!line)
		goto out;
	tok = json_tokener_new();
	reply = tok ? json_tokener_parse_ex(tok, line, (int)len) : NULL;
	if (!json_object_is_type(reply, json_type_object) ||
	    !json_object_object_get_ex(reply, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		fprintf(stderr, "l2tpctl: %s: malformed reply from the daemon\n", path);
		goto out;
	}
	if (!json_object_get_boolean(ok)) {
		json_object_object_get_ex(reply, "error", &error);
		fprintf(stderr, "l2tpctl: %s\n",
		        json_object_is_type(error, json_type_string) ? json_object_get_string(error)
		                                                     : "failed");
		status = EXIT_REFUSED;
		goto out;
	}
	json_object_object_get_ex(reply, "result", &result);
	if (print_result(result, as_json, argc, argv)) {
		fprintf(stderr, "l2tpctl: %s\n", strerror(ENOMEM));
		goto out;
	}
	if (fflush(stdout)) {
		fprintf(stderr, "l2tpctl: writing the result: %s\n", strerror(errno));
		goto out;
	}
	status = 0;
out:
	json_object_put(reply);
	if (tok)
		json_tokener_free(tok);
	free(line);
	if (fd >= 0)
		close(fd);
	return status;
}
