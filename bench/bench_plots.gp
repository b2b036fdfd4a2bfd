# Plots of scripts/bench.sh (make bench), from the timelines l2tp-bench
# writes (--timeline: "t_s established up_pps down_pps" every 100 ms):
#
#   gnuplot -e "dir='bench-results'" bench/bench_plots.gp
#
#   DIR/sessions.png     established sessions over time, every LNS on one plot
#   DIR/throughput.png   packets per second up and down over time, every LNS
#   DIR/saturation.png   the same for the saturation runs
#   DIR/scale.png        established sessions over time in the scale run
# A run whose timeline is missing or empty is left out.

if (!exists("dir")) dir = "bench-results"

set terminal pngcairo size 1100,600 font ",10"
set grid
set key top left
set datafile separator "\t"
set datafile commentschars "#"

has(f) = int(system(sprintf("test -s '%s' && echo 1 || echo 0", f)))
name(run) = run eq "l2tpd" ? "l2tpd (local users)" : \
            run eq "l2tpns" ? "l2tpns (FreeRADIUS)" : "l2tp-bench --lns"
color(run) = run eq "l2tpd" ? "#1f77b4" : run eq "l2tpns" ? "#d62728" : "#7f7f7f"

# ---- sessions.png
cmd = ""
do for [run in "l2tpd l2tpns ceiling"] {
	f = dir . "/" . run . ".tsv"
	if (has(f)) {
		cmd = cmd . (strlen(cmd) ? ", " : "") . \
		      sprintf("'%s' using 1:2 with lines lw 2 lc rgb '%s' title '%s'", f, color(run), name(run))
	}
}
if (strlen(cmd)) {
	set output dir . "/sessions.png"
	set title "Established sessions over time (setup, hold, traffic, teardown)"
	set xlabel "seconds since the bench started"
	set ylabel "sessions established"
	set format y "%.0f"
	eval("plot " . cmd)
	unset output
}

# ---- throughput.png and saturation.png: up (solid) and down (dashed)
do for [suffix in "- -sat"] {
	sfx = suffix eq "-" ? "" : suffix
	cmd = ""
	do for [run in "l2tpd l2tpns ceiling"] {
		f = dir . "/" . run . sfx . ".tsv"
		if (has(f)) {
			cmd = cmd . (strlen(cmd) ? ", " : "") . \
			      sprintf("'%s' using 1:3 with lines lw 2 lc rgb '%s' title '%s up', ", f, color(run), name(run)) . \
			      sprintf("'%s' using 1:4 with lines lw 1 dt 2 lc rgb '%s' title '%s down'", f, color(run), name(run))
		}
	}
	if (strlen(cmd)) {
		set output dir . (sfx eq "" ? "/throughput.png" : "/saturation.png")
		set title (sfx eq "" ? "Throughput over time: packets per second sent up and received down by the subscribers" \
		                     : "Saturation runs: packets per second sent up and received down")
		set xlabel "seconds since the bench started"
		set ylabel "packets per second"
		set format y "%.0f"
		eval("plot " . cmd)
		unset output
	}
}

# ---- scale.png
f = dir . "/scale.tsv"
if (has(f)) {
	set output dir . "/scale.png"
	set title "Scale run: l2tpd, established sessions over time"
	set xlabel "seconds since the bench started"
	set ylabel "sessions established"
	set format y "%.0f"
	plot f using 1:2 with lines lw 2 lc rgb color("l2tpd") title "l2tpd (local users)"
	unset output
}
