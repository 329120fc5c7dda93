#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench-ab-report.py - the table of tools/bench-ab.sh: two builds of one
allocator (plugins A.so and B.so, listed by the harness as NAME@A.so and
NAME@B.so: midatlas@A.so for the library's own) and a peer, measured in
one run.

Usage: bench-ab-report.py [--peer NAME] RESULT.json...

Each RESULT.json is one process's run (tools/bench-ab.sh runs several,
alternating which build loads first: two copies of one plugin file ran 3
to 10% apart in one process, the faster one changing from process to
process, so one process cannot tell a 5% change from where the loader put
each copy).  One line per cell (workload, capacity, threads): the medians
of the cell's repetitions of all processes, in ns per item (1e9 /
items_per_second, so that cells whose iterations count several items
compare alike) for A, B and the peer; B's speed-up over A (A's ns / B's
ns: above 1, B is faster); in how many processes B's median beat A's;
"apart" when every repetition of the faster build beat every repetition of
the slower one, else "overlap" ("single" with one repetition a side); and
each build against the peer (the peer's ns / the build's: at least 1, the
build is ahead).  A value from a run cut at its time budget is marked *.
The last line is greppable: "ABSUMMARY cells=N processes=P b_faster=K
b_faster_apart=K2 a_faster_apart=K3 geomean_b_over_a=X".

Standard library only: runs with Debian's /usr/bin/python3 on a bare machine.
"""
import importlib.util
import json
import math
import os
import sys
from collections import defaultdict


def sides(runs):
    """The names of build A and build B: the one implementation whose name
    ends in @A.so and the one in @B.so; None for a side with none or with
    two (two allocators are not two builds of one)."""
    found = {"@A.so": set(), "@B.so": set()}
    for cell in runs:
        for impl in runs[cell]:
            for suffix in found:
                if impl.endswith(suffix):
                    found[suffix].add(impl)
    return [next(iter(v)) if len(v) == 1 else None for v in (found["@A.so"], found["@B.so"])]


def _bench_report():
    """tools/bench-report.py, next to this file: its name parsing and its
    median are this report's too."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-report.py")
    spec = importlib.util.spec_from_file_location("bench_report", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_br = _bench_report()
median = _br.median


def parse_name(name):
    """WORKLOAD/IMPL/cap:C[/real_time]/threads:T -> ((workload, cap,
    threads), impl), or None."""
    parsed = _br.parse_name(name)
    if parsed is None:
        return None
    workload, impl, cap, threads = parsed
    return (workload, cap, threads), impl


def load(path):
    """One process's run: cell -> impl -> [ns per item ...], its cut
    cells, its context."""
    with open(path) as f:
        doc = json.load(f)
    runs = defaultdict(lambda: defaultdict(list))
    cut = set()
    for b in doc.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
            continue
        parsed = parse_name(b.get("run_name", b["name"]))
        ips = b.get("items_per_second")
        if parsed is None or not ips:
            continue
        cell, impl = parsed
        runs[cell][impl].append(1e9 / ips)
        if b.get("cut"):
            cut.add((cell, impl))
    return runs, cut, doc.get("context", {})


def pool(paths):
    """Every process's repetitions together, the processes apart."""
    runs = defaultdict(lambda: defaultdict(list))
    cut, procs, ctx = set(), [], {}
    for path in paths:
        r, c, x = load(path)
        procs.append(r)
        cut |= c
        ctx = ctx or x
        for cell in r:
            for impl, xs in r[cell].items():
                runs[cell][impl].extend(xs)
    return runs, cut, ctx, procs


def spread(a, b):
    """Do the two sides' repetitions lie apart?"""
    if len(a) < 2 or len(b) < 2:
        return "single"
    return "apart" if max(a) < min(b) or max(b) < min(a) else "overlap"


def main(argv):
    args = argv[1:]
    peer = None
    if args[:1] == ["--peer"] and len(args) >= 2:
        peer = None if args[1] == "none" else args[1]
        args = args[2:]
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0 if args else 2
    runs, cut, ctx, procs = pool(args)
    A, B = sides(runs)
    if A is None or B is None:
        sys.stderr.write("bench-ab-report: want one implementation named NAME@A.so and one "
                         "NAME@B.so (two builds of one allocator: their tables give one "
                         "name)\n")
        return 1
    cells = sorted(c for c in runs if A in runs[c] and B in runs[c])
    if not cells:
        sys.stderr.write("bench-ab-report: no cell has both %s and %s\n" % (A, B))
        return 1

    def fmt(cell, impl):
        xs = runs[cell].get(impl)
        if not xs:
            return "-"
        return "%.2f%s" % (median(xs), "*" if (cell, impl) in cut else "")

    def b_wins(cell):
        """Processes where B's median beat A's, of those that ran both."""
        won = ran = 0
        for r in procs:
            if r.get(cell) and r[cell].get(A) and r[cell].get(B):
                ran += 1
                won += median(r[cell][B]) < median(r[cell][A])
        return "%d/%d" % (won, ran)

    reps = max(len(runs[c][A]) for c in cells)
    print("bench-ab: %s, %s, %s CPUs; %d processes, medians of %d repetitions, "
          "ns per item; A and B in each process, random interleaving"
          % (ctx.get("host_name", "?"), ctx.get("cpu_model", "unknown CPU"),
             ctx.get("num_cpus", "?"), len(procs), reps))
    # The peer's columns widen for a long name (idr@idr.so beside two
    # builds of idr).
    pw = max(10, len(peer or ""))
    rw = max(8, len(peer or "") + 2)
    head = "%-22s %10s %10s" % ("cell", "A", "B")
    if peer:
        head += " %*s" % (pw, peer)
    head += " %8s %6s %8s" % ("B/A", "B won", "")
    if peer:
        head += " %*s %*s" % (rw, "A:" + peer, rw, "B:" + peer)
    print(head)
    b_faster = b_apart = a_apart = 0
    logs = []
    for cell in cells:
        a, b = runs[cell][A], runs[cell][B]
        ma, mb = median(a), median(b)
        speedup = ma / mb
        logs.append(math.log(speedup))
        sp = spread(a, b)
        b_faster += speedup > 1
        b_apart += speedup > 1 and sp == "apart"
        a_apart += speedup < 1 and sp == "apart"
        line = "%-22s %10s %10s" % ("%s/cap:%d/t:%d" % cell, fmt(cell, A), fmt(cell, B))
        if peer:
            line += " %*s" % (pw, fmt(cell, peer))
        line += " %7.3fx %6s %8s" % (speedup, b_wins(cell), sp)
        if peer:
            p = runs[cell].get(peer)
            if p:
                line += " %*.3f %*.3f" % (rw, median(p) / ma, rw, median(p) / mb)
        print(line)
    print("ABSUMMARY cells=%d processes=%d b_faster=%d b_faster_apart=%d a_faster_apart=%d "
          "geomean_b_over_a=%.3f" % (len(cells), len(procs), b_faster, b_apart, a_apart,
                                     math.exp(sum(logs) / len(logs))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
