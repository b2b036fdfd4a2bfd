/* Logging: one line per event, a short text then key=value fields
 * (tunnel=, session=, peer=, user=, result=). A "reason=" field, when
 * present, is always last and runs to the end of the line.
 *
 * Lines go to stderr (foreground) or syslog (daemon). Lines caused by
 * network input (malformed datagrams, unknown ids) go through a token
 * bucket so a flood cannot turn into a log flood. */
#ifndef L2TPD_LOG_H
#define L2TPD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_LEVEL_ERR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

struct log {
	enum log_level level;
	bool use_syslog;
	/* Rate limiter for network-caused lines: tokens refill at rate per
	 * second up to burst; lines without a token are counted, and the
	 * count is reported on the next line that gets through. */
	double tokens;
	double last_refill;     /* seconds, monotonic */
	unsigned rate;
	unsigned burst;
	uint64_t suppressed;
};

void log_init(struct log *l, enum log_level level, bool use_syslog);
void log_close(struct log *l);
/* "err", "warn", "info", "debug" -> level; -1 if unknown. */
int log_level_parse(const char *s);

void log_printf(struct log *l, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same through the rate limiter; returns false if the line was dropped. */
bool log_ratelimited(struct log *l, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Copy len octets of untrusted text into dst (cap octets, NUL-terminated),
 * replacing anything but printable ASCII other than space, quote, backslash
 * and '=' by '?', so it can go into a key=value log line and a JSON string
 * as is. Returns dst. */
char *log_sanitize(char *dst, size_t cap, const void *src, size_t len);

#define log_err(l, ...) log_printf((l), LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(l, ...) log_printf((l), LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(l, ...) log_printf((l), LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(l, ...)                                                                          \
	do {                                                                                       \
		if ((l)->level >= LOG_LEVEL_DEBUG)                                                 \
			log_printf((l), LOG_LEVEL_DEBUG, __VA_ARGS__);                             \
	} while (0)

#endif
