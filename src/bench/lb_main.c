/* l2tp-bench: an L2TP load generator (see man/l2tp-bench.1). argv[1]
 * chooses the mode: --lns, --sink, or anything else for the LAC. */
#include <string.h>

#include "bench/lb_modes.h"

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--lns"))
		return lb_lns_main(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "--sink"))
		return lb_sink_main(argc, argv);
	return lb_lac_main(argc, argv);
}
