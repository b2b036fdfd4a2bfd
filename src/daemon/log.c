/* Logging to stderr or syslog, with a token bucket for network-caused lines. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static const char *const level_names[] = { "err", "warn", "info", "debug" };
static const int level_syslog[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void log_init(struct log *l, enum log_level level, bool use_syslog)
{
	memset(l, 0, sizeof(*l));
	l->level = level;
	l->use_syslog = use_syslog;
	l->rate = 20;
	l->burst = 50;
	l->tokens = l->burst;
	if (use_syslog)
		openlog("l2tpd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_close(struct log *l)
{
	if (l->use_syslog)
		closelog();
}

int log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

__attribute__((format(printf, 3, 0))) static void log_emit(struct log *l, enum log_level level,
							     const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (l->use_syslog) {
		syslog(level_syslog[level], "%s: %s", level_names[level], line);
		return;
	}

	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One write per line so lines of concurrent writers do not interleave. */
	fprintf(stderr, "%s.%03ld %s: %s\n", stamp, ts.tv_nsec / 1000000, level_names[level],
		line);
	fflush(stderr);
}

void log_printf(struct log *l, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > l->level)
		return;
	va_start(ap, fmt);
	log_emit(l, level, fmt, ap);
	va_end(ap);
}

static double log_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool log_ratelimited(struct log *l, enum log_level level, const char *fmt, ...)
{
	va_list ap;
	double now;

	if (level > l->level)
		return false;
	now = log_clock();
	l->tokens += (now - l->last_refill) * l->rate;
	l->last_refill = now;
	if (l->tokens > l->burst)
		l->tokens = l->burst;
	if (l->tokens < 1.0) {
		l->suppressed++;
		return false;
	}
	l->tokens -= 1.0;
	if (l->suppressed) {
		log_printf(l, LOG_LEVEL_WARN, "log lines suppressed count=%llu",
			   (unsigned long long)l->suppressed);
		l->suppressed = 0;
	}
	va_start(ap, fmt);
	log_emit(l, level, fmt, ap);
	va_end(ap);
	return true;
}

char *log_sanitize(char *dst, size_t cap, const void *src, size_t len)
{
	const unsigned char *p = src;
	size_t n = 0;

	if (!cap)
		return dst;
	for (size_t i = 0; i < len && n + 1 < cap; i++) {
		unsigned char c = p[i];

		dst[n++] = (c > ' ' && c < 0x7f && c != '"' && c != '\\' && c != '=') ? (char)c
										  : '?';
	}
	dst[n] = '\0';
	return dst;
}
