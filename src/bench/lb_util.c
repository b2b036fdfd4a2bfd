#include "bench/lb_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

uint64_t lb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t lb_now_ms(void)
{
	return lb_now_ns() / 1000000u;
}

/* utime and stime are fields 14 and 15 of /proc/PID/stat, counted after
 * the ")" that ends the command name (which may itself hold spaces). */
static bool read_cpu(const char *path, double *cpu_s)
{
	char buf[1024];
	FILE *f = fopen(path, "r");
	size_t n;
	const char *p;
	unsigned long long ut, st;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			 &st) != 2)
		return false;
	*cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	return true;
}

static bool read_rss(const char *path, uint64_t *kib)
{
	char line[256];
	FILE *f = fopen(path, "r");
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (sscanf(line, "VmRSS: %llu kB", &v) == 1) {
			*kib = v;
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

struct lb_proc_sample lb_proc_sample(pid_t pid)
{
	struct lb_proc_sample s = { .at_ns = lb_now_ns() };
	char stat[64], status[64];

	if (pid > 0) {
		snprintf(stat, sizeof(stat), "/proc/%d/stat", (int)pid);
		snprintf(status, sizeof(status), "/proc/%d/status", (int)pid);
	} else {
		snprintf(stat, sizeof(stat), "/proc/self/stat");
		snprintf(status, sizeof(status), "/proc/self/status");
	}
	s.ok = read_cpu(stat, &s.cpu_s) && read_rss(status, &s.rss_kib);
	return s;
}

void lb_self_cpu(double *user_s, double *sys_s)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	*sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int lb_udp_socket(const union udp_addr *addr)
{
	int fd = socket(addr->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	udp_size_buffers(fd, 32 << 20);
	if (bind(fd, &addr->sa, udp_addr_len(addr)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

unsigned lb_sendmmsg_all(int fd, struct mmsghdr *msg, unsigned n, unsigned max_waits,
			 lb_sent_fn sent, void *ctx)
{
	unsigned done = 0, waits = 0, skipped = 0;

	while (done < n) {
		int r = sendmmsg(fd, msg + done, n - done, 0);

		if (r > 0) {
			if (sent)
				sent(ctx, done, (unsigned)r);
			done += (unsigned)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == ENOBUFS) && waits++ < max_waits) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			poll(&pfd, 1, 5);
			continue;
		}
		skipped++;
		done++;
	}
	return skipped;
}
