/* The three modes of l2tp-bench, dispatched by lb_main.c on argv[1]. Each
 * takes the whole argv (argv[0] the program; for --lns and --sink, argv[1]
 * the mode's own flag) and returns the exit status. */
#ifndef L2TPD_BENCH_LB_MODES_H
#define L2TPD_BENCH_LB_MODES_H

/* The default: a LAC with simulated PPP subscribers (lb_lac.c). */
int lb_lac_main(int argc, char **argv);
/* --lns: a minimal LNS, the benchmark's own ceiling (lb_lns.c). */
int lb_lns_main(int argc, char **argv);
/* --sink: a UDP sink that counts and reflects (lb_sink.c). */
int lb_sink_main(int argc, char **argv);

#endif
