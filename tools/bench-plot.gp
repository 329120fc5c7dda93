# SPDX-License-Identifier: MIT
# bench-plot.gp - throughput against threads, one line per implementation,
# one panel per workload (and capacity), from tools/bench-report.py's data.
#
#   gnuplot -e "datafile='out/x.dat'; outfile='out/x.png'; titles='churn/cap:4096 ...'; \
#               nimpl=6; maxthreads=8; cpus=2" tools/bench-plot.gp
#
# maxthreads (default 8): the x axis runs to it, ticks at powers of two;
# cpus (default 0, unknown): the title says that more threads than that
# take turns on the CPUs.
# datafile: blocks separated by two blank lines, each headed
# "threads impl1 impl2 ...", rows "T items/s ...".  titles: one word per block.
if (!exists("datafile") || !exists("outfile") || !exists("titles") || !exists("nimpl")) {
    print "bench-plot.gp: set datafile, outfile, titles and nimpl with -e"
    exit status 2
}

if (!exists("maxthreads")) maxthreads = 8
if (!exists("cpus")) cpus = 0

npanels = words(titles)
ncols = (npanels < 2) ? 1 : 2
nrows = int(ceil(npanels / real(ncols)))

set terminal pngcairo size 640 * ncols, 380 * nrows font "sans,9"
set output outfile
set datafile missing "NaN"
set key autotitle columnhead
set key below horizontal font "sans,8" samplen 2
set logscale x 2
set logscale y 10
set xtics 2
set xrange [0.8:maxthreads * 1.25]
unset xlabel  # said in the title: the key sits where it would go
set ylabel "items per second"
set format y "%.0s%c"
set grid ytics mytics
set style data linespoints

cores = (cpus > 0) ? sprintf("; on %d cores, > %d threads = preemption", cpus, cpus) : ""
set multiplot layout nrows, ncols title "midatlas contention benchmark: items per second against threads (same run" . cores . ")"
do for [p = 1:npanels] {
    set title word(titles, p)
    plot for [c = 2:nimpl + 1] datafile index (p - 1) using 1:c pointsize 1.2 linewidth 2
}
unset multiplot
