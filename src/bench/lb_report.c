/* The report of a LAC run: the figures of the contract's JSON schema
 * (--json, json-c) and the same as "key  value" lines on stdout. Every
 * figure is computed once, in struct figures, for both. */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench/lb_lac.h"

struct figures {
	double setup_s, setup_rate, tte_median, tte_p99, tte_max;
	double teardown_s, teardown_rate;
	double traffic_s, up_pps, down_pps;
	uint64_t sink_rx, sink_tx; /* this run's, the sink's baseline taken off */
	int64_t up_loss, down_loss;
	double self_user, self_sys, self_pct, self_setup_cpu, self_setup_pct;
	double self_rss_per_session;
	uint64_t self_maxrss_kib;
	bool lns_ok;
	double lns_rss_per_session, lns_cpu_setup, lns_cpu_per_session, lns_cpu_hold_pct;
	uint32_t tunnels_up;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank, in ms. */
static double percentile_ms(const uint32_t *v, uint32_t n, double p)
{
	uint64_t rank;

	if (!n)
		return 0;
	rank = (uint64_t)(p / 100.0 * n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1] / 1000.0;
}

static double seconds(uint64_t from_ns, uint64_t to_ns)
{
	return from_ns && to_ns > from_ns ? (double)(to_ns - from_ns) * 1e-9 : 0;
}

static double per(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static void compute(struct lac *l, struct figures *f)
{
	const struct lb_point *idle = &l->p_idle, *est = &l->p_established, *hold = &l->p_hold_end;
	uint32_t n = l->c.established;
	struct rusage ru;
	double wall;

	memset(f, 0, sizeof(*f));
	qsort(l->tte_us, n, sizeof(*l->tte_us), cmp_u32);
	f->tte_median = percentile_ms(l->tte_us, n, 50);
	f->tte_p99 = percentile_ms(l->tte_us, n, 99);
	f->tte_max = n ? l->tte_us[n - 1] / 1000.0 : 0;
	f->setup_s = seconds(l->first_icrq_ns, l->last_up_ns);
	f->setup_rate = per(n, f->setup_s);
	f->teardown_s = seconds(l->first_cdn_ns, l->last_cdn_ack_ns);
	f->teardown_rate = per(l->c.torn_down, f->teardown_s);
	f->traffic_s = seconds(l->traffic_start_ns, l->traffic_end_ns);
	f->up_pps = per((double)l->tr.sent, f->traffic_s);
	f->down_pps = per((double)l->tr.received, f->traffic_s);
	f->sink_rx = l->tr.sink_rx - l->tr.base_rx;
	f->sink_tx = l->tr.sink_tx - l->tr.base_tx;
	f->up_loss = (int64_t)l->tr.sent - (int64_t)f->sink_rx;
	f->down_loss = (int64_t)f->sink_tx - (int64_t)l->tr.received;
	lb_self_cpu(&f->self_user, &f->self_sys);
	wall = (double)(lb_now_ns() - l->t0_ns) * 1e-9;
	f->self_pct = per(100.0 * (f->self_user + f->self_sys), wall);
	f->self_setup_cpu = est->self.cpu_s - idle->self.cpu_s;
	f->self_setup_pct =
	    per(100.0 * f->self_setup_cpu, (double)(est->self.at_ns - idle->self.at_ns) * 1e-9);
	f->self_rss_per_session =
	    per(((double)est->self.rss_kib - (double)idle->self.rss_kib) * 1024.0, n);
	getrusage(RUSAGE_SELF, &ru);
	f->self_maxrss_kib = (uint64_t)ru.ru_maxrss;
	f->lns_ok = l->o.lns_pid && idle->lns.ok && est->lns.ok;
	if (f->lns_ok) {
		f->lns_rss_per_session =
		    per(((double)est->lns.rss_kib - (double)idle->lns.rss_kib) * 1024.0, n);
		f->lns_cpu_setup = est->lns.cpu_s - idle->lns.cpu_s;
		f->lns_cpu_per_session = per(f->lns_cpu_setup * 1e6, n);
		if (hold->lns.ok && hold->lns.at_ns > est->lns.at_ns)
			f->lns_cpu_hold_pct =
			    per(100.0 * (hold->lns.cpu_s - est->lns.cpu_s),
			        (double)(hold->lns.at_ns - est->lns.at_ns) * 1e-9);
	}
	f->tunnels_up = l->c.tunnels_up;
}

/* ------------------------------------------------------------ JSON */

static json_object *jd(double v)
{
	char s[32];

	snprintf(s, sizeof(s), "%.3f", v);
	return json_object_new_double_s(v, s);
}

static json_object *ji(int64_t v)
{
	return json_object_new_int64(v);
}

static void add(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static const char *const fail_names[LB_FAIL_N] = {"tunnel", "cdn",  "auth",
                                                  "lcp",    "ipcp", "timeout"};

static json_object *j_setup(struct lac *l, const struct figures *f)
{
	json_object *o = json_object_new_object(), *tte = json_object_new_object(),
	            *fail = json_object_new_object(), *cdn = json_object_new_object();

	add(o, "attempted", ji(l->n_sess));
	add(o, "established", ji(l->c.established));
	add(o, "failed", ji(l->c.failed));
	add(o, "duration_s", jd(f->setup_s));
	add(o, "rate_per_s", jd(f->setup_rate));
	add(tte, "median", jd(f->tte_median));
	add(tte, "p99", jd(f->tte_p99));
	add(tte, "max", jd(f->tte_max));
	add(o, "time_to_establish_ms", tte);
	for (int k = 0; k < LB_FAIL_N; k++)
		add(fail, fail_names[k], ji(l->c.fail[k]));
	add(o, "failures", fail);
	for (int k = 0; k < LB_CDN_RESULTS; k++) {
		char key[8];

		if (!l->c.cdn_result[k])
			continue;
		snprintf(key, sizeof(key), "%d", k);
		add(cdn, key, ji(l->c.cdn_result[k]));
	}
	add(o, "cdn_result", cdn);
	add(o, "tunnels_up", ji(f->tunnels_up));
	add(o, "control_retransmissions", ji((int64_t)l->c.ctl_retransmitted));
	return o;
}

static json_object *j_lns(struct lac *l, const struct figures *f)
{
	json_object *o;

	if (!f->lns_ok)
		return NULL;
	o = json_object_new_object();
	add(o, "pid", ji(l->o.lns_pid));
	add(o, "rss_idle_kib", ji((int64_t)l->p_idle.lns.rss_kib));
	add(o, "rss_established_kib", ji((int64_t)l->p_established.lns.rss_kib));
	add(o, "rss_end_kib", ji((int64_t)l->p_hold_end.lns.rss_kib));
	add(o, "rss_per_session_bytes", jd(f->lns_rss_per_session));
	add(o, "cpu_setup_s", jd(f->lns_cpu_setup));
	add(o, "cpu_per_session_us", jd(f->lns_cpu_per_session));
	add(o, "cpu_hold_percent", jd(f->lns_cpu_hold_pct));
	return o;
}

static json_object *j_traffic(struct lac *l, const struct figures *f)
{
	json_object *o, *up, *down;
	bool st = l->tr.sink_stats;

	if (!(l->o.traffic_s > 0))
		return NULL;
	o = json_object_new_object();
	up = json_object_new_object();
	down = json_object_new_object();
	add(o, "seconds", jd(f->traffic_s));
	add(o, "size", json_object_new_string(l->o.size_str));
	add(up, "sent", ji((int64_t)l->tr.sent));
	add(up, "sink_received", st ? ji((int64_t)f->sink_rx) : NULL);
	add(up, "pps", jd(f->up_pps));
	add(up, "loss", st ? ji(f->up_loss) : NULL);
	add(up, "bytes", ji((int64_t)l->tr.sent_bytes));
	add(down, "sink_sent", st ? ji((int64_t)f->sink_tx) : NULL);
	add(down, "received", ji((int64_t)l->tr.received));
	add(down, "pps", jd(f->down_pps));
	add(down, "loss", st ? ji(f->down_loss) : NULL);
	add(down, "bytes", ji((int64_t)l->tr.received_bytes));
	add(down, "other", ji((int64_t)l->tr.other_rx));
	add(o, "up", up);
	add(o, "down", down);
	add(o, "sink_stats", json_object_new_boolean(st));
	return o;
}

static json_object *j_report(struct lac *l, const struct figures *f)
{
	json_object *o = json_object_new_object(), *cfg = json_object_new_object(),
	            *px = json_object_new_object(), *held = json_object_new_object(),
	            *td = json_object_new_object(), *self = json_object_new_object();
	const struct lb_opts *op = &l->o;

	add(o, "label", json_object_new_string(op->label));
	add(o, "mode", json_object_new_string("lac"));
	add(o, "lns", json_object_new_string(op->lns_str));
	add(cfg, "sessions", ji(op->sessions));
	add(cfg, "tunnels", ji(op->tunnels));
	add(cfg, "rate", jd(op->rate));
	add(cfg, "window", ji(op->window));
	add(cfg, "auth", json_object_new_string(lb_auth_name(op->auth)));
	add(cfg, "proxy_percent", ji(op->proxy_percent));
	add(cfg, "size", json_object_new_string(op->size_str));
	add(cfg, "pps", jd(op->pps));
	add(cfg, "hold_s", jd(op->hold_s));
	add(cfg, "traffic_s", jd(op->traffic_s));
	add(o, "config", cfg);
	add(o, "setup", j_setup(l, f));
	add(px, "sessions", ji(l->c.proxied));
	add(px, "established", ji(l->c.proxied_up));
	add(px, "lcp_configure_packets", ji((int64_t)l->c.proxy_lcp_configure));
	add(px, "auth_packets", ji((int64_t)l->c.proxy_auth_packets));
	add(o, "proxy", px);
	add(held, "concurrent_max", ji(l->c.up_max));
	add(held, "at_end", ji(l->up_at_end));
	add(held, "lcp_echo_answered", ji((int64_t)l->c.echo_answered));
	add(held, "hello_received", ji((int64_t)l->c.hello_received));
	add(held, "dropped_by_lns", ji(l->c.dropped));
	add(o, "held", held);
	add(o, "lns_process", j_lns(l, f));
	add(o, "traffic", j_traffic(l, f));
	add(td, "sessions", ji(l->c.torn_down));
	add(td, "duration_s", jd(f->teardown_s));
	add(td, "rate_per_s", jd(f->teardown_rate));
	add(o, "teardown", td);
	add(self, "cpu_user_s", jd(f->self_user));
	add(self, "cpu_sys_s", jd(f->self_sys));
	add(self, "cpu_percent_of_one_core", jd(f->self_pct));
	add(self, "rss_kib", ji((int64_t)f->self_maxrss_kib));
	add(self, "cpu_setup_s", jd(f->self_setup_cpu));
	add(self, "cpu_setup_percent", jd(f->self_setup_pct));
	add(self, "rss_per_session_bytes", jd(f->self_rss_per_session));
	add(self, "state_bytes_per_session", ji((int64_t)(sizeof(struct lb_sess) + l->ppp_bytes)));
	add(self, "datagrams_received", ji((int64_t)l->c.rx_datagrams));
	add(self, "datagrams_sent", ji((int64_t)l->c.tx_datagrams));
	add(self, "datagrams_malformed", ji((int64_t)l->c.rx_bad));
	add(self, "datagrams_not_sent", ji((int64_t)l->c.tx_dropped));
	add(o, "self", self);
	return o;
}

/* ------------------------------------------------------------ table */

static void row(const char *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void row(const char *k, const char *fmt, ...)
{
	va_list ap;

	printf("%-34s ", k);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void table(struct lac *l, const struct figures *f)
{
	row("label", "%s", l->o.label);
	row("lns", "%s", l->o.lns_str);
	row("sessions/tunnels", "%u/%u", l->o.sessions, l->o.tunnels);
	row("auth/proxy_percent", "%s/%u", lb_auth_name(l->o.auth), l->o.proxy_percent);
	row("setup.established", "%u of %u (tunnels up %u)", l->c.established, l->n_sess,
	    f->tunnels_up);
	row("setup.failed", "%u (tunnel %u cdn %u auth %u lcp %u ipcp %u timeout %u)", l->c.failed,
	    l->c.fail[LB_FAIL_TUNNEL], l->c.fail[LB_FAIL_CDN], l->c.fail[LB_FAIL_AUTH],
	    l->c.fail[LB_FAIL_LCP], l->c.fail[LB_FAIL_IPCP], l->c.fail[LB_FAIL_TIMEOUT]);
	row("setup.duration_s", "%.3f", f->setup_s);
	row("setup.rate_per_s", "%.1f", f->setup_rate);
	row("setup.time_to_establish_ms", "median %.3f p99 %.3f max %.3f", f->tte_median,
	    f->tte_p99, f->tte_max);
	row("proxy.sessions/established", "%u/%u", l->c.proxied, l->c.proxied_up);
	row("proxy.lcp_configure/auth_packets", "%llu/%llu",
	    (unsigned long long)l->c.proxy_lcp_configure,
	    (unsigned long long)l->c.proxy_auth_packets);
	row("held.concurrent_max/at_end", "%u/%u", l->c.up_max, l->up_at_end);
	row("held.echo_answered/hello/dropped", "%llu/%llu/%u",
	    (unsigned long long)l->c.echo_answered, (unsigned long long)l->c.hello_received,
	    l->c.dropped);
	if (f->lns_ok) {
		row("lns.rss_idle/established/end_kib", "%llu/%llu/%llu",
		    (unsigned long long)l->p_idle.lns.rss_kib,
		    (unsigned long long)l->p_established.lns.rss_kib,
		    (unsigned long long)l->p_hold_end.lns.rss_kib);
		row("lns.rss_per_session_bytes", "%.0f", f->lns_rss_per_session);
		row("lns.cpu_setup_s/per_session_us", "%.3f/%.1f", f->lns_cpu_setup,
		    f->lns_cpu_per_session);
		row("lns.cpu_hold_percent", "%.1f", f->lns_cpu_hold_pct);
	}
	if (l->o.traffic_s > 0) {
		row("traffic.seconds/size", "%.3f/%s", f->traffic_s, l->o.size_str);
		row("traffic.up.sent/sink_received", "%llu/%llu%s", (unsigned long long)l->tr.sent,
		    (unsigned long long)f->sink_rx, l->tr.sink_stats ? "" : " (no sink stats)");
		row("traffic.up.pps/loss", "%.0f/%lld", f->up_pps, (long long)f->up_loss);
		row("traffic.down.sink_sent/received", "%llu/%llu", (unsigned long long)f->sink_tx,
		    (unsigned long long)l->tr.received);
		row("traffic.down.pps/loss", "%.0f/%lld", f->down_pps, (long long)f->down_loss);
	}
	row("teardown.sessions/duration_s", "%u/%.3f", l->c.torn_down, f->teardown_s);
	row("teardown.rate_per_s", "%.1f", f->teardown_rate);
	row("self.cpu_user/sys_s", "%.3f/%.3f", f->self_user, f->self_sys);
	row("self.cpu_percent_of_one_core", "%.1f", f->self_pct);
	row("self.cpu_setup_s/percent", "%.3f/%.1f", f->self_setup_cpu, f->self_setup_pct);
	row("self.rss_kib/per_session_bytes", "%llu/%.0f", (unsigned long long)f->self_maxrss_kib,
	    f->self_rss_per_session);
	row("self.state_bytes_per_session", "%zu", sizeof(struct lb_sess) + l->ppp_bytes);
}

int lb_report(struct lac *l)
{
	struct figures f;
	bool all;

	compute(l, &f);
	table(l, &f);
	fflush(stdout);
	if (l->o.json_path) {
		json_object *o = j_report(l, &f);
		int rc = json_object_to_file_ext(l->o.json_path, o, JSON_C_TO_STRING_PRETTY);

		json_object_put(o);
		if (rc < 0) {
			fprintf(stderr, "l2tp-bench: cannot write %s: %s\n", l->o.json_path,
			        strerror(errno));
			return 2;
		}
	}
	all = l->c.established == l->n_sess;
	if (l->o.traffic_s > 0)
		all = all && l->tr.sink_stats && f.up_loss == 0 && f.down_loss == 0;
	return l->o.require_all && !all ? 1 : 0;
}
