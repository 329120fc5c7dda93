#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench-report.py - turn midatlas-bench's JSON into a table and plot data.

Usage: bench-report.py RESULT.json... [--png FILE] [--plot-data FILE] [--baseline NAME]
                       [--pooled-json FILE]

Prints, per workload and capacity, one row per thread count and one column
per implementation: items per second (the median of the cell's repetitions)
and the ratio to the baseline (the mutex) of the same workload, capacity and
thread count, measured in the same run; a cell marked * comes from a run cut
at its time budget.  With
--plot-data, also writes gnuplot data for tools/bench-plot.gp: one block per
panel (workload/capacity), headed "threads IMPL...", then one row per thread
count; --panels-line ends the output with "PANELS title..." (the panel
titles, in block order).  With --png, also draws the plot with gnuplot and
bench-plot.gp (found next to this script): midatlas-bench --report and
tools/bench.sh both render this way.  The table ends with one greppable line
"SUMMARY results=N cut=N errors=N midatlas_vs_mutex_geomean=X
midatlas_vs_best_other_geomean=Y midatlas_vs_best_other_min=Z worst_cell=W
behind=B behind_apart=A", after one line per cell where midatlas is behind
the best other implementation (B of them): "BEHIND cell ratio
midatlas=LO..HI other=LO..HI apart|overlap|single", the two sides'
repetitions (slowest..fastest) and whether every repetition of midatlas
trailed every one of the other (apart, A of the B) or not.

Several RESULT.json (one per process of one configuration: tools/bench.sh
--processes) are pooled: a cell's repetitions are those of every process,
so that where the loader and the allocator put each implementation in one
process (which moved a one-thread cell by up to 15% from process to
process) is averaged like a slow phase is; the header says how many
processes.  --pooled-json writes the pooled run as one JSON of the same
form (the first file's context, "processes" added, every repetition).

Standard library only: runs with Debian's /usr/bin/python3 on a bare machine.
Benchmark names are WORKLOAD/IMPL/cap:C[/real_time]/threads:T.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
from collections import OrderedDict, defaultdict

WORKLOAD_ORDER = ["churn", "window", "pipeline", "lookup", "reassoc-own",
                  "reassoc-shared", "exhaust90", "exhaust99"]


def parse_name(name):
    parts = name.split("/")
    if len(parts) < 3 or not parts[2].startswith("cap:"):
        return None
    threads = 1
    for p in parts[3:]:
        if p.startswith("threads:"):
            threads = int(p.split(":", 1)[1])
    return parts[0], parts[1], int(parts[2].split(":", 1)[1]), threads


def pool(paths):
    """One run from the JSON files of several processes (or one): the first
    file's context with "processes" set, and the repetitions of every file
    (not Google Benchmark's aggregates: the report takes its own medians)."""
    docs = []
    for path in paths:
        with open(path) as f:
            docs.append(json.load(f))
    doc = {"context": dict(docs[0].get("context", {})), "benchmarks": []}
    if len(docs) > 1:
        doc["context"]["processes"] = len(docs)
        # Each process measured its own cross-CPU trip: keep them all.
        trips = [d.get("context", {}).get("cross_cpu_trip_ns") for d in docs]
        if all(t is not None for t in trips):
            doc["context"]["cross_cpu_trip_ns"] = ",".join(str(t) for t in trips)
    for d in docs:
        doc["benchmarks"].extend(b for b in d.get("benchmarks", [])
                                 if b.get("run_type", "iteration") == "iteration")
    return doc


def load(paths):
    doc = pool(paths)
    impls = []
    ctx_impls = doc.get("context", {}).get("implementations")
    if ctx_impls:
        impls = ctx_impls.split(",")
    # (workload, cap) -> threads -> impl -> [items/s ...]
    data = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    cut = set()  # (workload, cap, threads, impl) of runs that hit the budget
    errors = []
    for b in doc.get("benchmarks", []):  # repetitions only (pool): medians below
        parsed = parse_name(b.get("run_name", b["name"]))
        if parsed is None:
            continue
        workload, impl, cap, threads = parsed
        if b.get("error_occurred"):
            errors.append("%s: %s" % (b["name"], b.get("error_message", "error")))
            continue
        if impl not in impls:
            impls.append(impl)
        data[(workload, cap)][threads][impl].append(float(b.get("items_per_second", 0.0)))
        if b.get("cut"):
            cut.add((workload, cap, threads, impl))
    return doc, impls, data, cut, errors


def si(v):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= scale:
            return "%.3g%s" % (v / scale, unit)
    return "%.3g" % v


def panel_keys(data):
    def order(key):
        w, cap = key
        rank = WORKLOAD_ORDER.index(w) if w in WORKLOAD_ORDER else len(WORKLOAD_ORDER)
        return (rank, w, cap)
    return sorted(data.keys(), key=order)


def median(xs):
    """A cell's value: the median of its repetitions.  On a shared VM a
    repetition that the host slowed down is an outlier of a third to a half
    (pipeline's fall in modes the host sets, wherever its threads run:
    bench/RESULTS.md, "On an AMD EPYC"); a mean moves with it, a median of
    three or more does not."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def print_table(doc, impls, data, cut, baseline, out):
    ctx = doc.get("context", {})
    cpu = ctx.get("cpu_model")
    out.write("midatlas contention benchmark: %s, %s%s CPUs, %s\n" % (
        ctx.get("host_name", "?"), cpu + ", " if cpu else "", ctx.get("num_cpus", "?"),
        ctx.get("date", "?")))
    trip = ctx.get("cross_cpu_trip_ns")
    if trip is not None:
        # Workloads that hand lines between threads (the pipeline) move with
        # it by a factor of three or more (bench/harness/trip.h).
        out.write("cross-CPU trip at the start%s (one way, CPUs %s): %s ns\n" % (
            " of each process" if "," in str(trip) else "",
            ctx.get("cross_cpu_trip_cpus", "?").replace(",", " and "),
            str(trip).replace(",", ", ")))
    reps = max((len(v) for rows in data.values() for row in rows.values()
                for v in row.values()), default=1)
    procs = ctx.get("processes", 1)
    out.write("items per second, median of %d repetition%s%s (ratio to %s, same "
              "workload/capacity/threads, same run)\n"
              % (reps, "" if reps == 1 else "s",
                 " from %d processes" % procs if procs > 1 else "", baseline))
    width = max(18, max((len(i) for i in impls), default=8) + 2)
    for key in panel_keys(data):
        workload, cap = key
        rows = data[key]
        cols = [i for i in impls if any(i in rows[t] for t in rows)]
        out.write("\n%s  cap:%d\n" % (workload, cap))
        out.write("%-8s" % "threads" + "".join("%*s" % (width, c) for c in cols) + "\n")
        for t in sorted(rows):
            base = median(rows[t].get(baseline, []))
            line = "%-8d" % t
            for c in cols:
                v = median(rows[t].get(c, []))
                if math.isnan(v):
                    cell = "-"
                elif math.isnan(base) or base <= 0:
                    cell = si(v)
                else:
                    cell = "%s (%.2fx)" % (si(v), v / base)
                if (workload, cap, t, c) in cut:
                    cell += "*"
                line += "%*s" % (width, cell)
            out.write(line + "\n")
    if cut:
        out.write("\n* the run hit its time budget (--run-budget): throughput of the work "
                  "done until then (typically a spin lock with more threads than cores)\n")


def geomean(xs):
    xs = [x for x in xs if x > 0 and not math.isnan(x)]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def rep_spread(subject, mine, best, theirs):
    """How a cell's repetitions lie, for a BEHIND line: each side's slowest
    and fastest, then "apart" when every repetition of the subject was
    slower than every one of the best other (a deficit the whole run
    agrees on), "overlap" when some were not (the medians' order is what
    this run's noise gave; another run may turn it), or "single" with one
    repetition a side (nothing to tell them apart by)."""
    def rng(name, xs):
        return "%s=%s..%s" % (name, si(min(xs)), si(max(xs)))
    if len(mine) < 2 or len(theirs) < 2:
        verdict = "single"
    else:
        verdict = "apart" if max(mine) < min(theirs) else "overlap"
    return "%s %s %s" % (rng(subject, mine), rng(best, theirs), verdict)


def print_summary(impls, data, cut, errors, baseline, subject, out):
    """One greppable line: the subject's ratio to the baseline and to the
    best other implementation of each cell, as geometric means, and the
    smallest ratio to the best other with its cell (the cell where the
    subject is furthest behind, or least ahead)."""
    vs_base, vs_best, cells, behind = [], [], 0, []
    worst = (float("inf"), "none")
    for key in panel_keys(data):
        workload, cap = key
        for t, row in data[key].items():
            cells += len(row)
            mine = median(row.get(subject, []))
            base = median(row.get(baseline, []))
            others = {i: median(v) for i, v in row.items() if i != subject}
            if not math.isnan(mine) and base > 0:
                vs_base.append(mine / base)
            if not math.isnan(mine) and others and max(others.values()) > 0:
                best = max(others, key=others.get)
                ratio = mine / others[best]
                vs_best.append(ratio)
                cell = "%s/cap:%d/threads:%s/vs:%s" % (workload, cap, t, best)
                if ratio < 1.0:
                    behind.append((cell, ratio, rep_spread(subject, row[subject], best,
                                                           row[best])))
                if ratio < worst[0]:
                    worst = (ratio, cell)
    apart = 0
    for cell, ratio, spread in behind:
        out.write("BEHIND %s %.3g %s\n" % (cell, ratio, spread))
        apart += spread.endswith(" apart")
    out.write("SUMMARY results=%d cut=%d errors=%d %s_vs_%s_geomean=%.3g "
              "%s_vs_best_other_geomean=%.3g %s_vs_best_other_min=%.3g worst_cell=%s "
              "behind=%d behind_apart=%d\n" % (
                  cells, len(cut), len(errors), subject, baseline, geomean(vs_base),
                  subject, geomean(vs_best), subject, worst[0], worst[1], len(behind),
                  apart))


def write_plot_data(impls, data, path):
    titles = []
    with open(path, "w") as f:
        for n, key in enumerate(panel_keys(data)):
            workload, cap = key
            titles.append("%s/cap:%d" % (workload, cap))
            rows = data[key]
            if n:
                f.write("\n\n")
            f.write("threads " + " ".join(impls) + "\n")
            for t in sorted(rows):
                vals = []
                for i in impls:
                    v = median(rows[t].get(i, []))
                    vals.append("NaN" if math.isnan(v) else "%.6g" % v)
                f.write("%d %s\n" % (t, " ".join(vals)))
    return titles


def draw_png(impls, data, png, cpus):
    """Plot data next to the PNG (same name, .dat), then gnuplot; a missing
    gnuplot is one line on stderr, not a failure (the table is the result).
    The x axis runs to the most threads measured (--threads); cpus (the
    run's num_cpus, 0 unknown) says where preemption begins."""
    dat = os.path.splitext(png)[0] + ".dat"
    titles = write_plot_data(impls, data, dat)
    gp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-plot.gp")
    if shutil.which("gnuplot") is None:
        sys.stderr.write("bench-report: no gnuplot (Debian: gnuplot-nox): no plot\n")
        return
    maxthreads = max(t for rows in data.values() for t in rows)
    subprocess.run(["gnuplot", "-e",
                    "datafile='%s'; outfile='%s'; titles='%s'; nimpl=%d; maxthreads=%d; cpus=%d"
                    % (dat, png, " ".join(titles), len(impls), maxthreads, cpus), gp],
                   check=True)
    sys.stdout.write("plot: %s\n" % png)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("json", nargs="+", help="one run, or one per process of a run")
    ap.add_argument("--baseline", default="mutex")
    ap.add_argument("--subject", default="midatlas",
                    help="implementation the SUMMARY line is about")
    ap.add_argument("--plot-data", help="write gnuplot data here")
    ap.add_argument("--png", help="draw the plot here (gnuplot, bench-plot.gp)")
    ap.add_argument("--panels-line", action="store_true",
                    help="end with a line 'PANELS title...' (for the plot script)")
    ap.add_argument("--pooled-json", help="write the pooled run here (one JSON)")
    args = ap.parse_args()
    doc, impls, data, cut, errors = load(args.json)
    if not data:
        sys.stderr.write("bench-report: no benchmark results in %s\n" % " ".join(args.json))
        return 1
    if args.pooled_json:
        with open(args.pooled_json, "w") as f:
            json.dump(doc, f, indent=1)
    print_table(doc, impls, data, cut, args.baseline, sys.stdout)
    for e in errors:
        sys.stdout.write("ERROR %s\n" % e)
    print_summary(impls, data, cut, errors, args.baseline, args.subject, sys.stdout)
    if args.plot_data:
        titles = write_plot_data(impls, data, args.plot_data)
        if args.panels_line:
            sys.stdout.write("PANELS %s\n" % " ".join(titles))
    if args.png:
        draw_png(impls, data, args.png, int(doc.get("context", {}).get("num_cpus", 0) or 0))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
