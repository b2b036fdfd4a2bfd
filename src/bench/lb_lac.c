/* The LAC mode: one UDP socket, one epoll loop, the phases of a run.
 *
 *	tunnels   SCCRQ on every tunnel; wait until each is up or refused
 *	setup     ICRQs, at most --window in flight, --rate per second
 *	hold      --hold seconds, answering LCP echoes and HELLOs
 *	traffic   --traffic seconds of IP/UDP, then 1 s for stragglers and
 *	          the sink's counters
 *	teardown  CDN (result 3) per session, paced as setup; StopCCN per tunnel
 *
 * Datagrams come in with recvmmsg and leave with sendmmsg, LB_BATCH at a
 * time; nothing is allocated per packet once a session is up. Timers: the
 * tunnels' transports (their earliest deadline is kept), and the active
 * list, ticked every LB_TICK_MS, which holds only the sessions still
 * negotiating or with a PPP timer pending. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

#include "bench/lb_lac.h"
#include "bench/lb_modes.h"

#define LB_TICK_MS     20
#define LB_STARTS_MAX  4096 /* setups started per loop turn at most */
#define LB_DRAIN_NS    1000000000ull
#define LB_QUERY_NS    200000000ull
#define LB_QUERIES     10
#define LB_STOP_NS     3000000000ull
#define LB_PROGRESS_NS 1000000000ull
#define LB_TIMELINE_NS 100000000ull

enum lb_phase {
	PH_TUNNELS,
	PH_SETUP,
	PH_HOLD,
	PH_BASELINE,
	PH_TRAFFIC,
	PH_DRAIN,
	PH_QUERY,
	PH_TEARDOWN,
	PH_STOP,
	PH_DONE,
};

static const char *const phase_names[] = {"tunnels", "setup", "hold",     "baseline", "traffic",
                                          "drain",   "query", "teardown", "stop",     "done"};

struct run {
	enum lb_phase ph;
	uint64_t ph_ns;    /* phase entered */
	uint64_t until_ns; /* end of a timed phase */
	uint32_t next_start, next_close;
	uint32_t icrq_sent, cdn_sent;
	uint64_t td_progress_ns; /* teardown: last CDN sent or acked */
	int queries;
	sig_atomic_t signals; /* SIGINT/SIGTERM handled so far */
	uint64_t progress_ns, timeline_ns;
	uint64_t tl_sent, tl_received, tl_at_ns;
	FILE *timeline;
};

static volatile sig_atomic_t lb_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	lb_interrupted++;
}

uint64_t lb_elapsed_us(const struct lac *l)
{
	return (lb_now_ns() - l->t0_ns) / 1000u;
}

/* xorshift64*: magic numbers, challenges; nothing here needs more. */
uint64_t lb_random64(struct lac *l)
{
	l->rng ^= l->rng >> 12;
	l->rng ^= l->rng << 25;
	l->rng ^= l->rng >> 27;
	return l->rng * 0x2545F4914F6CDD1Dull;
}

/* ------------------------------------------------------------ timers */

static void tick_tunnels(struct lac *l)
{
	uint64_t min = L2TP_RT_NO_DEADLINE;

	for (uint32_t k = 0; k < l->n_tunnels; k++) {
		struct lb_tunnel *t = &l->tunnels[k];

		if (t->deadline <= l->now_ms)
			lb_tunnel_tick(t);
		if (t->deadline < min)
			min = t->deadline;
	}
	l->rt_min = min;
}

static void sample(struct lac *l, struct lb_point *p)
{
	double user, sys;

	p->lns = l->o.lns_pid ? lb_proc_sample(l->o.lns_pid) : (struct lb_proc_sample){0};
	p->self = lb_proc_sample(0);
	/* getrusage counts in µs where /proc counts in clock ticks. */
	lb_self_cpu(&user, &sys);
	p->self.cpu_s = user + sys;
}

/* ------------------------------------------------------------ phases */

static void enter(struct lac *l, struct run *r, enum lb_phase ph, uint64_t now)
{
	if (ph == PH_TEARDOWN)
		l->up_at_end = l->c.up_now;
	r->ph = ph;
	r->ph_ns = now;
}

/* Paced by --rate: may one more go now? Else *wake is when. */
static bool rate_allows(const struct lac *l, uint64_t t0, uint32_t done, uint64_t now,
                        uint64_t *wake)
{
	double rate = l->o.rate;

	if (rate <= 0 || (double)done < (double)(now - t0) * 1e-9 * rate + 1)
		return true;
	*wake = t0 + (uint64_t)((double)done / rate * 1e9);
	return false;
}

static void start_hold(struct lac *l, struct run *r, uint64_t now)
{
	sample(l, &l->p_established);
	if (!l->c.established) {
		sample(l, &l->p_hold_end);
		enter(l, r, PH_TEARDOWN, now); /* nothing to hold */
		return;
	}
	enter(l, r, PH_HOLD, now);
	r->until_ns = now + (uint64_t)(l->o.hold_s * 1e9);
}

static uint64_t step_tunnels(struct lac *l, struct run *r, uint64_t now)
{
	uint32_t settled = 0;

	for (uint32_t k = 0; k < l->n_tunnels; k++)
		settled += l->tunnels[k].state == LB_T_UP || l->tunnels[k].state == LB_T_DEAD;
	if (settled < l->n_tunnels && now - r->ph_ns < (uint64_t)(l->o.timeout_s * 1e9))
		return r->ph_ns + (uint64_t)(l->o.timeout_s * 1e9);
	for (uint32_t k = 0; k < l->n_tunnels; k++)
		if (l->tunnels[k].state == LB_T_WAIT_REPLY)
			lb_tunnel_dead(&l->tunnels[k], "no SCCRP before --timeout");
	enter(l, r, PH_SETUP, now);
	return now;
}

static uint64_t step_setup(struct lac *l, struct run *r, uint64_t now)
{
	uint64_t wake = UINT64_MAX;
	unsigned n = 0;

	while (r->next_start < l->n_sess && l->setup_in_flight < l->o.window && n < LB_STARTS_MAX &&
	       rate_allows(l, r->ph_ns, r->icrq_sent, now, &wake)) {
		uint32_t i = r->next_start++;

		if (!lb_call_start(l, i)) {
			l->sess[i].state = LB_S_FAILED;
			l->c.failed++;
			l->c.fail[LB_FAIL_TUNNEL]++;
			continue;
		}
		n++;
		r->icrq_sent++;
		l->c.started++;
		l->setup_in_flight++;
		if (!l->first_icrq_ns)
			l->first_icrq_ns = lb_now_ns();
		lb_list_add(l, &l->active, i);
		l->sess[i].flags |= LB_SF_ACTIVE;
	}
	if (n == LB_STARTS_MAX)
		wake = now;
	if (r->next_start == l->n_sess && !l->setup_in_flight) {
		start_hold(l, r, now);
		return now;
	}
	return wake;
}

/* The sink's counters, asked for before the traffic (a sink may have
 * served other runs: only the difference is ours) and after it. */
static void start_query(struct lac *l, struct run *r, enum lb_phase ph, uint64_t now)
{
	enter(l, r, ph, now);
	r->queries = 0;
	r->until_ns = now;
	l->tr.sink_stats = false;
	l->tr.awaiting = true;
}

static void step_query(struct lac *l, struct run *r, uint64_t now)
{
	if (!l->tr.sink_stats && r->queries < LB_QUERIES && lb_traffic_query(l)) {
		r->queries++;
		r->until_ns = now + LB_QUERY_NS;
		return;
	}
	l->tr.awaiting = false;
	if (r->ph == PH_QUERY) {
		enter(l, r, PH_TEARDOWN, now);
		return;
	}
	if (l->tr.sink_stats) {
		l->tr.base_rx = l->tr.sink_rx;
		l->tr.base_tx = l->tr.sink_tx;
		l->tr.base_rx_bytes = l->tr.sink_rx_bytes;
	}
	l->tr.sink_stats = false;
	enter(l, r, PH_TRAFFIC, now);
	l->traffic_start_ns = now;
	r->until_ns = now + (uint64_t)(l->o.traffic_s * 1e9);
}

static uint64_t step_timed(struct lac *l, struct run *r, uint64_t now)
{
	uint64_t wake = r->until_ns;

	if (r->ph == PH_TRAFFIC) {
		wake = lb_traffic_pump(l, r->ph_ns);
		if (wake > r->until_ns)
			wake = r->until_ns;
	}
	if (now < r->until_ns && !((r->ph == PH_QUERY || r->ph == PH_BASELINE) && l->tr.sink_stats))
		return wake;
	switch (r->ph) {
	case PH_HOLD:
		sample(l, &l->p_hold_end);
		if (l->o.traffic_s > 0)
			start_query(l, r, PH_BASELINE, now);
		else
			enter(l, r, PH_TEARDOWN, now);
		break;
	case PH_TRAFFIC:
		l->traffic_end_ns = now;
		enter(l, r, PH_DRAIN, now);
		r->until_ns = now + LB_DRAIN_NS;
		break;
	case PH_DRAIN:
		start_query(l, r, PH_QUERY, now);
		break;
	case PH_BASELINE:
	case PH_QUERY:
		step_query(l, r, now);
		break;
	default:
		break;
	}
	return now;
}

static uint64_t step_teardown(struct lac *l, struct run *r, uint64_t now)
{
	uint64_t wake = UINT64_MAX;

	if (!r->td_progress_ns)
		r->td_progress_ns = now;
	while (r->next_close < l->n_up && l->closing_in_flight < l->o.window &&
	       rate_allows(l, r->ph_ns, r->cdn_sent, now, &wake)) {
		uint32_t i = l->up[r->next_close++];

		if (!lb_sub_hangup(l, i))
			continue;
		r->cdn_sent++;
		r->td_progress_ns = now;
		if (!l->first_cdn_ns)
			l->first_cdn_ns = lb_now_ns();
	}
	if (l->last_cdn_ack_ns > r->td_progress_ns)
		r->td_progress_ns = l->last_cdn_ack_ns;
	if ((r->next_close == l->n_up && !l->closing_in_flight) ||
	    now - r->td_progress_ns > (uint64_t)(l->o.timeout_s * 1e9)) {
		for (uint32_t k = 0; k < l->n_tunnels; k++)
			lb_tunnel_close(&l->tunnels[k]);
		enter(l, r, PH_STOP, now);
		r->until_ns = now + LB_STOP_NS;
		return now;
	}
	return wake < now + LB_TICK_MS * 1000000ull ? wake : now + LB_TICK_MS * 1000000ull;
}

static uint64_t step_stop(struct lac *l, struct run *r, uint64_t now)
{
	bool idle = true;

	for (uint32_t k = 0; k < l->n_tunnels; k++)
		if (l->tunnels[k].state == LB_T_CLOSING && !l2tp_rt_idle(l->tunnels[k].rt))
			idle = false;
	if (idle || now >= r->until_ns)
		enter(l, r, PH_DONE, now);
	return now + LB_TICK_MS * 1000000ull;
}

static uint64_t step(struct lac *l, struct run *r, uint64_t now)
{
	switch (r->ph) {
	case PH_TUNNELS:
		return step_tunnels(l, r, now);
	case PH_SETUP:
		return step_setup(l, r, now);
	case PH_HOLD:
	case PH_BASELINE:
	case PH_TRAFFIC:
	case PH_DRAIN:
	case PH_QUERY:
		return step_timed(l, r, now);
	case PH_TEARDOWN:
		return step_teardown(l, r, now);
	case PH_STOP:
		return step_stop(l, r, now);
	default:
		return now;
	}
}

/* First Ctrl-C: tear down what is up; second, or one during teardown:
 * stop at once. */
static void interrupted(struct lac *l, struct run *r, uint64_t now)
{
	if (lb_interrupted == r->signals)
		return;
	r->signals = lb_interrupted;
	if (r->ph >= PH_TEARDOWN) {
		enter(l, r, PH_DONE, now);
		return;
	}
	fprintf(stderr, "l2tp-bench: interrupted in %s: tearing down (again to quit)\n",
	        phase_names[r->ph]);
	if (r->ph <= PH_HOLD && !l->p_hold_end.self.ok) {
		if (!l->p_established.self.ok)
			sample(l, &l->p_established);
		sample(l, &l->p_hold_end);
	}
	if (r->ph == PH_TRAFFIC)
		l->traffic_end_ns = now;
	l->tr.awaiting = false;
	enter(l, r, PH_TEARDOWN, now);
}

/* ------------------------------------------------------------ output */

static void progress(struct lac *l, struct run *r, uint64_t now)
{
	double t = (double)(now - l->t0_ns) * 1e-9;

	if (now < r->progress_ns)
		return;
	r->progress_ns = now + LB_PROGRESS_NS;
	if (l->o.quiet)
		return;
	fprintf(stderr,
	        "[%7.1fs] %-8s started %u established %u failed %u up %u in-flight %u "
	        "sent %llu received %llu closed %u\n",
	        t, phase_names[r->ph], l->c.started, l->c.established, l->c.failed, l->c.up_now,
	        l->setup_in_flight, (unsigned long long)l->tr.sent,
	        (unsigned long long)l->tr.received, l->c.torn_down);
}

static void timeline(struct lac *l, struct run *r, uint64_t now)
{
	double dt;

	if (!r->timeline || now < r->timeline_ns)
		return;
	r->timeline_ns = now + LB_TIMELINE_NS;
	dt = (double)(now - r->tl_at_ns) * 1e-9;
	if (dt <= 0)
		return;
	fprintf(r->timeline, "%.3f\t%u\t%.0f\t%.0f\n", (double)(now - l->t0_ns) * 1e-9, l->c.up_now,
	        (double)(l->tr.sent - r->tl_sent) / dt,
	        (double)(l->tr.received - r->tl_received) / dt);
	r->tl_sent = l->tr.sent;
	r->tl_received = l->tr.received;
	r->tl_at_ns = now;
}

/* ------------------------------------------------------------ main */

static int lac_open(struct lac *l)
{
	union udp_addr local;
	int fd;

	if (l->o.bind_set) {
		local = l->o.bind;
	} else {
		memset(&local, 0, sizeof(local));
		local.sa.sa_family = l->o.lns.sa.sa_family;
	}
	fd = lb_udp_socket(&local);
	if (fd < 0) {
		fprintf(stderr, "l2tp-bench: UDP socket: %s\n", strerror(-fd));
		return -1;
	}
	l->fd = fd;
	return 0;
}

static int lac_alloc(struct lac *l)
{
	l->n_sess = l->o.sessions;
	l->n_tunnels = l->o.tunnels;
	/* calloc: pages are touched only as sessions start. */
	l->sess = calloc(l->n_sess, sizeof(*l->sess));
	l->up = calloc(l->n_sess, sizeof(*l->up));
	l->tte_us = calloc(l->n_sess, sizeof(*l->tte_us));
	if (!l->sess || !l->up || !l->tte_us || lb_ctl_init(l) < 0 || lb_sub_init(l) < 0) {
		fprintf(stderr, "l2tp-bench: out of memory for %u sessions\n", l->n_sess);
		return -1;
	}
	if (getrandom(&l->rng, sizeof(l->rng), 0) != sizeof(l->rng) || !l->rng)
		l->rng = lb_now_ns() | 1;
	l->seed = lb_random64(l);
	return 0;
}

static void lac_free(struct lac *l)
{
	for (uint32_t i = 0; l->sess && i < l->n_sess; i++)
		ppp_free(l->sess[i].ppp);
	lb_ctl_fini(l);
	free(l->sess);
	free(l->up);
	free(l->tte_us);
	free(l->users);
	if (l->fd > 0)
		close(l->fd);
}

static void run_loop(struct lac *l, struct run *r, int ep)
{
	struct epoll_event ev;

	while (r->ph != PH_DONE) {
		uint64_t now, wake;
		long ms;

		lb_rx_all(l);
		l->now_ms = lb_now_ms();
		if (l->now_ms >= l->rt_min)
			tick_tunnels(l);
		if (l->active.count && l->now_ms >= l->active_tick_ms) {
			lb_sub_tick(l);
			l->active_tick_ms = l->now_ms + LB_TICK_MS;
		}
		now = lb_now_ns();
		if (lb_interrupted)
			interrupted(l, r, now);
		wake = step(l, r, now);
		progress(l, r, now);
		timeline(l, r, now);
		lb_tx_flush(l);
		if (r->ph == PH_DONE)
			break;
		if (wake > r->progress_ns)
			wake = r->progress_ns;
		if (r->timeline && wake > r->timeline_ns)
			wake = r->timeline_ns;
		if (l->rt_min != L2TP_RT_NO_DEADLINE && wake > l->rt_min * 1000000ull)
			wake = l->rt_min * 1000000ull;
		if (l->active.count && wake > l->active_tick_ms * 1000000ull)
			wake = l->active_tick_ms * 1000000ull;
		now = lb_now_ns();
		ms = wake > now ? (long)((wake - now + 999999) / 1000000) : 0;
		if (ms > 1000)
			ms = 1000;
		if (ms > 0)
			epoll_wait(ep, &ev, 1, (int)ms);
	}
}

int lb_lac_main(int argc, char **argv)
{
	struct lac *l = calloc(1, sizeof(*l));
	struct run r = {0};
	struct sigaction sa = {.sa_handler = on_signal};
	struct epoll_event ev = {.events = EPOLLIN};
	int ep = -1, rc = 2;

	if (!l)
		return 2;
	rc = lb_opts_parse(argc, argv, &l->o);
	if (rc != 0) {
		free(l);
		return rc > 0 ? 0 : 2;
	}
	rc = 2;
	l->t0_ns = lb_now_ns();
	l->now_ms = lb_now_ms();
	sample(l, &l->p_idle);
	if (lac_alloc(l) < 0 || lac_open(l) < 0)
		goto out;
	if (l->o.timeline_path) {
		r.timeline = fopen(l->o.timeline_path, "w");
		if (!r.timeline) {
			fprintf(stderr, "l2tp-bench: %s: %s\n", l->o.timeline_path,
			        strerror(errno));
			goto out;
		}
		fprintf(r.timeline, "# t_s\testablished\tup_pps\tdown_pps\n");
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, l->fd, &ev) < 0) {
		fprintf(stderr, "l2tp-bench: epoll: %s\n", strerror(errno));
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	lb_rx_init(l);
	l->rt_min = 0;
	r.tl_at_ns = r.ph_ns = lb_now_ns();
	for (uint32_t k = 0; k < l->n_tunnels; k++)
		lb_tunnel_open(&l->tunnels[k]);
	lb_tx_flush(l);
	run_loop(l, &r, ep);
	/* Whatever was still setting up when the run ended timed out. */
	for (uint32_t i = 0; i < l->n_sess; i++)
		lb_sub_fail(l, i, LB_FAIL_TIMEOUT);
	if (!l->p_established.self.ok)
		sample(l, &l->p_established);
	if (!l->p_hold_end.self.ok)
		sample(l, &l->p_hold_end);
	lb_ctl_fini(l); /* adds the transports' counters */
	rc = lb_report(l);
out:
	if (r.timeline)
		fclose(r.timeline);
	if (ep >= 0)
		close(ep);
	lac_free(l);
	free(l);
	return rc;
}
