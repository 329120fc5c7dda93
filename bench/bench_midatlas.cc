// SPDX-License-Identifier: MIT
// bench_midatlas.cc - midatlas-bench: MID churn under contention, midatlas
// against the mutex baseline and any implementation given as a plugin
// (--impl NAME|PATH.so, include/midatlas/harness.h), all in one run.
//
//   midatlas-bench [--impl X]... [--report DIR] [--run_budget=S] [Google Benchmark flags]
//
// midatlas and mutex are always measured (compiled in; mutex is the baseline
// of every ratio tools/bench-report.py prints).
// Benchmarks are named  WORKLOAD/IMPL/cap:C/real_time/threads:T  (Google
// Benchmark appends the last two), so a filter picks a table:
//   --benchmark_filter='^churn/'   --benchmark_filter='/cap:4096/'
//   --benchmark_filter='^[a-z0-9-]+/(midatlas|mutex)/'
//
// Workloads (items = what items_per_second counts):
//   churn           associate, map, dissociate                    (item: one cycle)
//   window          each thread keeps min(32, cap/T) MIDs outstanding; a step
//                   maps and dissociates the oldest and associates a new one
//   pipeline        T sender threads associate and hand (MID, ctx) through a
//                   bounded SPSC ring each to one receiver thread (started by
//                   the benchmark, not counted in T) that maps and dissociates:
//                   the transport shape                            (item: one MID)
//   lookup          16 maps of the thread's own live MIDs (it keeps min(16,
//                   cap/T)) per churn cycle, all threads at once   (item: one cycle)
//   lookup-bare     diagnostics of lookup's one-thread cost: its cycle with no
//   lookup-fenced   maps; lookup with a speculation barrier between the cycle
//   lookup-bare-fenced  and the maps; the bare cycle with that barrier
//                   (x86 only: LFENCE).  Not in the main job.
//   reassoc-own     reassociate_if on a MID the thread owns        (item: one swap)
//   reassoc-shared  reassociate_if on 8 MIDs every thread swaps; a lost race is
//                   EMISMATCH, counted in mismatch_per_op          (item: one try)
//   exhaust90/99    the table pre-filled to 90 % / 99 %, then churn; EFULL is
//                   retried and counted in efull_per_op            (item: one cycle)
//
// Own flags: --impl X (repeatable), --report DIR (JSON, then the table of
// ratios to the mutex and the PNG plot, rendered by bench-report.py),
// --run_budget=S caps the wall time of one run (see g_run_budget),
// --threads=LIST the thread counts each workload runs at (default 1,2,4,8;
// a machine with more cores measures scaling with 1,2,4,8,16), --help,
// --version.  A workload that needs an
// optional call (reassoc-*: reassociate_if) skips tables without it.
//
// Counters: cas_per_op (failed CAS per item; midatlas from
// midatlas_stats().cas_failures, peers without a count report 0), min_ops and
// max_ops (fairness: iterations each thread had completed when the first
// thread finished its share or the run hit its budget; equal means perfectly
// fair), cut (1: the run hit --run_budget), efull_per_op,
// mismatch_per_op, seq (the run's number in this process: the order the
// repetitions ran in; meaningless in the aggregate rows).  Every result is
// checked (a map of an owned MID must return its context, every dissociate
// of an owned MID must succeed); a wrong answer aborts the program: a fast
// wrong peer is not a result.
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cli.h"
#include "impl_list.h"
#include "trip.h"

extern "C" const struct mid_impl mid_impl_midatlas, mid_impl_mutex;

namespace {

constexpr int kMaxThreads = 64;

// The implementations measured: the built-in two, then each --impl.
const mid_impl* const g_builtins[] = {&mid_impl_midatlas, &mid_impl_mutex, nullptr};
impl_list g_impls = {"midatlas-bench", g_builtins, 0, {}, {}, {}, {}, {}};

// One copy of the driver, and so of every call site of its loop, per
// implementation (Site: its index in g_impls, see DriverFor); the same for
// the pipeline's receiver.  With one copy shared by all, the indirect calls
// of a workload's loop saw every implementation's functions in turn, and
// the implementation that ran after others paid for it for the rest of the
// process: lookup at one thread ran midatlas 37 ns a cycle alone but 46 ns
// once the mutex had run through the same loop, and idr 34 against 44, so
// a cell depended on which implementations Google Benchmark's random order
// ran before it.  (The likeliest reading: a call site that has seen several
// targets is predicted worse from then on; this VM has no counters to show
// it.)  g_site_impls gives each copy a reference of its own, so that
// identical-code folding (GCC's -fipa-icf) cannot merge the copies, and
// records which implementations each copy ran (--report_copies prints it:
// bench.copies.registered checks that each ran its own).
constexpr size_t kDriverSites = 16;
std::atomic<uint64_t> g_site_impls[kDriverSites];
bool g_report_copies = false;

// --threads=LIST: the thread counts every benchmark is registered with.
std::vector<int> g_threads = {1, 2, 4, 8};

[[noreturn]] void Fail(const mid_impl* impl, const char* what, unsigned mid, int status) {
  std::fprintf(stderr, "midatlas-bench: %s: %s (MID 0x%04x, status %d)\n", impl->name, what,
               mid, status);
  std::abort();
}

// Copy `site` of the driver or receiver loop ran `impl`: its bit (its
// index in g_impls, the last bit for any past 63) in g_site_impls[site].
// Relaxed: read only after every run has ended (ReportCopies).
void NoteCopyRan(size_t site, const mid_impl* impl) {
  size_t i = 0;
  while (i < g_impls.n && g_impls.impls[i] != impl) i++;
  g_site_impls[site].fetch_or(uint64_t{1} << std::min<size_t>(i, 63), std::memory_order_relaxed);
}

// --report_copies: which implementations each loop copy ran, a line a copy.
void ReportCopies() {
  for (size_t site = 0; site < kDriverSites; site++) {
    uint64_t ran = g_site_impls[site].load(std::memory_order_relaxed);
    if (ran == 0) continue;
    std::printf("loop copy %zu ran:", site);
    for (size_t i = 0; i < g_impls.n && i < 64; i++)
      if (ran & (uint64_t{1} << i)) std::printf(" %s", g_impls.impls[i]->name);
    std::printf("\n");
  }
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Wait politely: spin a while (about 25 us of PAUSE, longer than a cache
// line round trip by far), then give the core away: threads may outnumber
// cores, and the thread we wait for may be descheduled.
inline void Backoff(unsigned& spins) {
  if (++spins < 1024) {
    CpuRelax();
  } else {
    std::this_thread::yield();
  }
}

// A reusable barrier for the threads of one benchmark run.  Google
// Benchmark's own barrier only surrounds the timed loop; this one orders the
// setup done by thread 0 before every thread's own setup, and every thread's
// cleanup before thread 0 destroys the table.
class SpinBarrier {
 public:
  void Wait(int n) {
    // Acquire/release: pairs with the release increment of generation_, so
    // what every thread did before arriving is visible after leaving.
    uint32_t gen = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == static_cast<uint32_t>(n)) {
      arrived_.store(0, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
      return;
    }
    unsigned spins = 0;
    while (generation_.load(std::memory_order_acquire) == gen) Backoff(spins);
  }

 private:
  std::atomic<uint32_t> arrived_{0};
  std::atomic<uint32_t> generation_{0};
};

struct alignas(64) PaddedCount {
  std::atomic<uint64_t> v{0};
};

// An entry handed from a sender to the receiver.
struct Handoff {
  void* ctx;
  uint16_t mid;
};

// Bounded single-producer single-consumer ring (power-of-two size).  Head and
// tail on their own lines; each side caches the other's index so it touches
// the shared line only when the cached value says full / empty.
class SpscRing {
 public:
  explicit SpscRing(uint32_t size) : mask_(size - 1), slots_(size) {}

  bool Push(const Handoff& h) {
    uint64_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_cache_ > mask_) {
      // Acquire: pairs with the release store of head_ in Pop, so the slot
      // being reused has been read.
      head_cache_ = head_.load(std::memory_order_acquire);
      if (t - head_cache_ > mask_) return false;
    }
    slots_[t & mask_] = h;
    // Release: pairs with the acquire load of tail_ in Pop (slot contents).
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }

  // Copies up to max entries out and frees their slots with one store, so
  // the producer's line and the consumer's head bounce once per batch, not
  // once per entry (per-entry publication made the ring, not the tables, the
  // bottleneck of the pipeline workload).
  size_t PopBatch(Handoff* out, size_t max) {
    uint64_t hd = head_.load(std::memory_order_relaxed);
    if (hd == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);  // pairs with Push
      if (hd == tail_cache_) return 0;
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(tail_cache_ - hd, max));
    for (size_t i = 0; i < n; i++) out[i] = slots_[(hd + i) & mask_];
    head_.store(hd + n, std::memory_order_release);  // pairs with Push's acquire
    return n;
  }

 private:
  const uint64_t mask_;
  std::vector<Handoff> slots_;
  alignas(64) std::atomic<uint64_t> tail_{0};  // producer's
  uint64_t head_cache_ = 0;                    // producer's view of head_
  alignas(64) std::atomic<uint64_t> head_{0};  // consumer's
  uint64_t tail_cache_ = 0;                    // consumer's view of tail_
};

// A distinct context per thread and use: real addresses, never dereferenced
// by the tables.
struct alignas(64) ThreadContexts {
  char c[64];
};

// Everything one benchmark run shares between its threads.  Written by thread
// 0 before the first barrier, read by all after it.
struct Run {
  const mid_impl* impl = nullptr;
  void* table = nullptr;
  uint32_t cap = 0;
  int threads = 0;
  uint64_t cas_before = 0;
  // The runs of this process so far, this one included (thread 0's count,
  // trial runs too): the reported "seq" puts repetitions in the order they
  // ran, which the JSON does not otherwise keep under random interleaving.
  uint64_t seq = 0;
  PaddedCount ops[kMaxThreads];    // iterations completed, per thread
  PaddedCount events[kMaxThreads]; // EFULL retries or EMISMATCH, per thread
  std::atomic<bool> snapshot_taken{false};
  std::atomic<bool> cut{false};  // the run hit --run_budget: stop working
  uint64_t snap_min = 0, snap_max = 0;
  // reassoc-shared
  std::vector<uint16_t> shared_mids;
  // exhaust: MIDs thread 0 pre-filled
  std::vector<uint16_t> prefilled;
  // pipeline
  std::vector<std::unique_ptr<SpscRing>> rings;
  std::atomic<bool> stop{false};
  std::thread receiver;
  void (*receiver_loop)(Run*) = nullptr;  // this implementation's copy
  ThreadContexts filler[1];  // the context of pre-filled / shared MIDs
};

using Clock = std::chrono::steady_clock;

// Wall-time cap of one run (--run_budget=S, default 1 s).  A FIFO spin lock
// with more threads than cores hands the lock to preempted waiters and can
// crawl at ~100 operations per second; without a cap Google Benchmark's
// iteration growth would then run for minutes.  A run that hits the cap
// reports the throughput of the work it did and the counter cut=1.
Clock::duration g_run_budget = std::chrono::seconds(1);

Run g_run;
SpinBarrier g_barrier;
ThreadContexts g_ctx[kMaxThreads][64];  // [thread][use]

void* Ctx(int tid, unsigned k) { return &g_ctx[tid][k & 63]; }

// The first thread to finish its iterations records how far every thread
// got: the spread is the fairness of the run.
void TakeSnapshot(Run& r) {
  bool expected = false;
  if (!r.snapshot_taken.compare_exchange_strong(expected, true, std::memory_order_relaxed))
    return;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (int t = 0; t < r.threads; t++) {
    uint64_t v = r.ops[t].v.load(std::memory_order_relaxed);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  r.snap_min = lo;
  r.snap_max = hi;
}

uint64_t CasFailures(const Run& r) {
  return r.impl->cas_failures != nullptr ? r.impl->cas_failures(r.table) : 0;
}

// ---------------------------------------------------------------- helpers

inline uint16_t MustAssociate(const mid_impl* im, void* tab, void* ctx) {
  uint16_t mid = 0;
  int st = im->associate(tab, ctx, &mid);
  if (st != MIDATLAS_OK) Fail(im, "associate failed", 0, st);
  return mid;
}

inline void MustMap(const mid_impl* im, void* tab, uint16_t mid, void* ctx) {
  void* got = im->map(tab, mid);
  if (got != ctx) Fail(im, "map of an owned MID returned another context", mid, 0);
}

inline void MustDissociate(const mid_impl* im, void* tab, uint16_t mid, void* ctx) {
  void* got = nullptr;
  int st = im->dissociate(tab, mid, &got);
  if (st != MIDATLAS_OK || got != ctx) Fail(im, "dissociate of an owned MID failed", mid, st);
}

// ------------------------------------------------------------- workloads
//
// Each workload is a class: Setup(Run&) runs on thread 0 before any thread
// starts, the constructor is a thread's own setup, Step() is one timed
// iteration, Finish() the thread's cleanup (table still alive), Teardown
// on thread 0 after every thread finished, Counters adds workload counters.

struct Churn {
  static void Setup(Run&) {}
  static void Teardown(Run&) {}
  Churn(Run& r, int tid) : im(r.impl), tab(r.table), tid(tid) {}
  void Step() {
    void* ctx = Ctx(tid, k++);
    uint16_t mid = MustAssociate(im, tab, ctx);
    MustMap(im, tab, mid, ctx);
    MustDissociate(im, tab, mid, ctx);
  }
  void Finish() {}
  const mid_impl* im;
  void* tab;
  int tid;
  unsigned k = 0;
};

// A thread's FIFO of outstanding MIDs (oldest first).
struct Window {
  void Init(const mid_impl* im, void* tab, int tid, uint32_t size) {
    n = size;
    for (uint32_t i = 0; i < n; i++) {
      ctx[i] = Ctx(tid, i);
      mid[i] = MustAssociate(im, tab, ctx[i]);
    }
  }
  void Release(const mid_impl* im, void* tab) {
    for (uint32_t i = 0; i < n; i++) MustDissociate(im, tab, mid[i], ctx[i]);
    n = 0;
  }
  uint32_t n = 0, oldest = 0;
  uint16_t mid[32];
  void* ctx[32];
};

uint32_t WindowSize(const Run& r, uint32_t want) {
  return std::max<uint32_t>(1, std::min<uint32_t>(want, r.cap / r.threads));
}

struct WindowLoad {
  static void Setup(Run&) {}
  static void Teardown(Run&) {}
  WindowLoad(Run& r, int tid) : im(r.impl), tab(r.table) { w.Init(im, tab, tid, WindowSize(r, 32)); }
  void Step() {
    uint32_t i = w.oldest;
    MustMap(im, tab, w.mid[i], w.ctx[i]);  // the reply arrives
    MustDissociate(im, tab, w.mid[i], w.ctx[i]);
    w.mid[i] = MustAssociate(im, tab, w.ctx[i]);  // the next request
    w.oldest = i + 1 == w.n ? 0 : i + 1;
  }
  void Finish() { w.Release(im, tab); }
  const mid_impl* im;
  void* tab;
  Window w;
};

#if defined(__x86_64__) || defined(__i386__)
// LFENCE: no later instruction starts before every earlier one has
// finished (loads included; stores may still drain).  Only where there is
// one: the fenced workloads are registered on x86 alone.
constexpr bool kHaveSpeculationBarrier = true;
inline void SpeculationBarrier() { __builtin_ia32_lfence(); }
#else
constexpr bool kHaveSpeculationBarrier = false;
inline void SpeculationBarrier() {}
#endif

// lookup's cycle: the window's replacement, then Maps maps.  Maps 0 is
// lookup-bare (the cycle alone), Fenced puts a speculation barrier between
// the cycle and the maps (lookup-fenced, lookup-bare-fenced: the maps may
// not start before every instruction of the cycle has finished).  The two
// diagnostic pairs tell what a map costs with and without overlapping the
// cycle (bench/RESULTS.md, "Where the maps of the one-thread lookup go"); the
// main job runs lookup only.
template <int Maps, bool Fenced>
struct LookupCycle {
  static constexpr int kMaps = Maps;
  static void Setup(Run&) {}
  static void Teardown(Run&) {}
  LookupCycle(Run& r, int tid) : im(r.impl), tab(r.table) {
    w.Init(im, tab, tid, WindowSize(r, 16));
  }
  void Step() {
    uint32_t i = w.oldest;
    MustDissociate(im, tab, w.mid[i], w.ctx[i]);
    w.mid[i] = MustAssociate(im, tab, w.ctx[i]);
    w.oldest = i + 1 == w.n ? 0 : i + 1;
    if constexpr (Fenced) SpeculationBarrier();
    // The maps' cursor in a local: a member would be stored back after
    // every map (the calls may write any memory), a store per map of
    // harness work measured as the implementation's.
    uint32_t at = next;
    for (int m = 0; m < kMaps; m++) {
      MustMap(im, tab, w.mid[at], w.ctx[at]);
      at = at + 1 == w.n ? 0 : at + 1;
    }
    next = at;
  }
  void Finish() { w.Release(im, tab); }
  const mid_impl* im;
  void* tab;
  Window w;
  uint32_t next = 0;
};
using Lookup = LookupCycle<16, false>;

struct ReassocOwn {
  static void Setup(Run&) {}
  static void Teardown(Run&) {}
  ReassocOwn(Run& r, int tid) : im(r.impl), tab(r.table), a(Ctx(tid, 0)), b(Ctx(tid, 1)) {
    mid = MustAssociate(im, tab, a);
  }
  void Step() {
    int st = im->reassociate_if(tab, mid, a, b);
    if (st != MIDATLAS_OK) Fail(im, "reassociate_if of an owned MID failed", mid, st);
    std::swap(a, b);
  }
  void Finish() { MustDissociate(im, tab, mid, a); }
  const mid_impl* im;
  void* tab;
  void* a;
  void* b;
  uint16_t mid;
};

struct ReassocShared {
  static constexpr uint32_t kShared = 8;
  static void Setup(Run& r) {
    r.shared_mids.clear();
    for (uint32_t i = 0; i < std::min(kShared, r.cap); i++)
      r.shared_mids.push_back(MustAssociate(r.impl, r.table, r.filler));
  }
  static void Teardown(Run&) {}  // the shared MIDs go with the table
  ReassocShared(Run& r, int tid)
      : im(r.impl), tab(r.table), mids(r.shared_mids), events(r.events[tid].v),
        k(static_cast<uint32_t>(tid)), mine(Ctx(tid, 0)) {}
  void Step() {
    uint16_t mid = mids[k++ % mids.size()];
    void* cur = im->map(tab, mid);
    if (cur == nullptr) Fail(im, "a shared MID does not map", mid, 0);
    // Another thread may swap between the map and the CAS: EMISMATCH.
    int st = im->reassociate_if(tab, mid, cur, cur == mine ? other_ : mine);
    if (st == MIDATLAS_EMISMATCH) {
      events.store(events.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    } else if (st != MIDATLAS_OK) {
      Fail(im, "reassociate_if of a shared MID failed", mid, st);
    }
  }
  void Finish() {}
  const mid_impl* im;
  void* tab;
  const std::vector<uint16_t>& mids;
  std::atomic<uint64_t>& events;
  uint32_t k;
  void* mine;
  void* other_ = &g_run.filler[0].c[8];
};

template <int kPercent>
struct Exhaust {
  static void Setup(Run& r) {
    r.prefilled.clear();
    uint32_t fill = static_cast<uint32_t>(static_cast<uint64_t>(r.cap) * kPercent / 100);
    for (uint32_t i = 0; i < fill; i++)
      r.prefilled.push_back(MustAssociate(r.impl, r.table, r.filler));
  }
  static void Teardown(Run&) {}
  Exhaust(Run& r, int tid) : im(r.impl), tab(r.table), tid(tid), events(r.events[tid].v) {}
  void Step() {
    void* ctx = Ctx(tid, k++);
    uint16_t mid = 0;
    unsigned spins = 0;
    for (;;) {
      int st = im->associate(tab, ctx, &mid);
      if (st == MIDATLAS_OK) break;
      if (st != MIDATLAS_EFULL) Fail(im, "associate failed", 0, st);
      events.store(events.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      Backoff(spins);  // wait for another thread's MID to come back
    }
    MustMap(im, tab, mid, ctx);
    MustDissociate(im, tab, mid, ctx);
  }
  void Finish() {}
  const mid_impl* im;
  void* tab;
  int tid;
  std::atomic<uint64_t>& events;
  unsigned k = 0;
};

// pipeline: the receiver thread, started by thread 0 in Setup; a copy per
// implementation, as Drive.
template <size_t Site>
void ReceiverLoop(Run* r) {
  const mid_impl* im = r->impl;
  NoteCopyRan(Site, im);
  if (im->thread_init != nullptr) im->thread_init();
  const size_t n = r->rings.size();
  unsigned spins = 0;
  Handoff batch[64];
  for (;;) {
    // Acquire: pairs with the release store in Pipeline::Teardown, after
    // which no sender pushes: a pass that then finds nothing is the last.
    bool stopping = r->stop.load(std::memory_order_acquire);
    size_t got = 0;
    for (size_t i = 0; i < n; i++) {
      size_t k;
      while ((k = r->rings[i]->PopBatch(batch, 64)) != 0) {
        for (size_t j = 0; j < k; j++) {  // each reply: map, then dissociate
          MustMap(im, r->table, batch[j].mid, batch[j].ctx);
          MustDissociate(im, r->table, batch[j].mid, batch[j].ctx);
        }
        got += k;
      }
    }
    if (got != 0) {
      spins = 0;
    } else if (stopping) {
      break;
    } else {
      Backoff(spins);
    }
  }
  if (im->thread_fini != nullptr) im->thread_fini();
}

struct Pipeline {
  // Ring size: outstanding MIDs are those in the rings and in the senders'
  // hands, T * (ring + 1), plus the batch the receiver holds while it maps and
  // dissociates (at most one ring's worth): T * (ring + 1) + ring <= cap / 4 +
  // T + cap / 4 < cap, so an honest implementation never reports EFULL here.
  // (Sizing for cap / 2 forgot the receiver's batch: capacity 64 with one
  // sender could reach 65 outstanding, a true EFULL.)
  static uint32_t RingSize(const Run& r) {
    uint32_t want = std::max<uint32_t>(1, r.cap / (4u * static_cast<uint32_t>(r.threads)));
    uint32_t size = 1;
    while (size * 2 <= want && size < 256) size *= 2;
    return size;
  }
  static void Setup(Run& r) {
    r.rings.clear();
    for (int t = 0; t < r.threads; t++) r.rings.emplace_back(new SpscRing(RingSize(r)));
    r.stop.store(false, std::memory_order_relaxed);
    r.receiver = std::thread(r.receiver_loop, &r);
  }
  static void Teardown(Run& r) {
    r.stop.store(true, std::memory_order_release);  // pairs with ReceiverLoop
    r.receiver.join();
    r.rings.clear();
  }
  Pipeline(Run& r, int tid) : im(r.impl), tab(r.table), tid(tid), ring(*r.rings[tid]) {}
  void Step() {
    Handoff h{Ctx(tid, k++), 0};
    h.mid = MustAssociate(im, tab, h.ctx);
    unsigned spins = 0;
    while (!ring.Push(h)) Backoff(spins);
  }
  void Finish() {}
  const mid_impl* im;
  void* tab;
  int tid;
  SpscRing& ring;
  unsigned k = 0;
};

// ---------------------------------------------------------------- driver

template <class W, size_t Site>
void Drive(benchmark::State& state, const mid_impl* impl, uint32_t cap, const char* event_name) {
  static_assert(Site < kDriverSites, "a site per implementation");
  NoteCopyRan(Site, impl);
  const int tid = state.thread_index();
  const int n = state.threads();
  Run& r = g_run;
  if (n > kMaxThreads) Fail(impl, "more threads than kMaxThreads", 0, n);
  if (impl->thread_init != nullptr) impl->thread_init();
  if (tid == 0) {
    r.impl = impl;
    r.cap = cap;
    r.threads = n;
    r.seq++;
    r.table = impl->create(cap);
    if (r.table == nullptr) Fail(impl, "create failed", 0, 0);
    for (int t = 0; t < n; t++) {
      r.ops[t].v.store(0, std::memory_order_relaxed);
      r.events[t].v.store(0, std::memory_order_relaxed);
    }
    r.snapshot_taken.store(false, std::memory_order_relaxed);
    r.cut.store(false, std::memory_order_relaxed);
    r.receiver_loop = &ReceiverLoop<Site>;
    W::Setup(r);
    r.cas_before = CasFailures(r);
  }
  g_barrier.Wait(n);  // thread 0's setup is visible from here on
  {
    W w(r, tid);
    uint64_t done = 0;
    std::atomic<uint64_t>& ops = r.ops[tid].v;
    const auto deadline = Clock::now() + g_run_budget;
    for (auto _ : state) {
      // After the budget every thread skips the work and the loop runs out
      // its remaining iterations at once; items count only real work.
      if (r.cut.load(std::memory_order_relaxed)) continue;
      w.Step();
      ops.store(++done, std::memory_order_relaxed);
      if (done == static_cast<uint64_t>(state.max_iterations)) {
        TakeSnapshot(r);
      } else if ((done & 63) == 0 && Clock::now() > deadline) {
        TakeSnapshot(r);
        r.cut.store(true, std::memory_order_relaxed);
      }
    }
    state.SetItemsProcessed(static_cast<int64_t>(done));
    w.Finish();
  }
  g_barrier.Wait(n);  // every thread's last call on the table is done
  if (tid == 0) {
    uint64_t total = 0, events = 0;
    for (int t = 0; t < n; t++) {
      total += r.ops[t].v.load(std::memory_order_relaxed);
      events += r.events[t].v.load(std::memory_order_relaxed);
    }
    double per = total > 0 ? 1.0 / static_cast<double>(total) : 0.0;
    // Set on thread 0 only: Google Benchmark sums counters over threads.
    state.counters["cas_per_op"] = static_cast<double>(CasFailures(r) - r.cas_before) * per;
    state.counters["min_ops"] = static_cast<double>(r.snap_min);
    state.counters["max_ops"] = static_cast<double>(r.snap_max);
    if (event_name != nullptr) state.counters[event_name] = static_cast<double>(events) * per;
    if (r.cut.load(std::memory_order_relaxed)) state.counters["cut"] = 1;
    state.counters["seq"] = static_cast<double>(r.seq);
    W::Teardown(r);
    impl->destroy(r.table);
    r.table = nullptr;
  }
  if (impl->thread_fini != nullptr) impl->thread_fini();
}

// --report DIR: where the JSON, the table and the plot go ("": not asked).
std::string g_report_dir;

#ifndef MIDATLAS_BENCH_REPORT_FROM_BIN
#define MIDATLAS_BENCH_REPORT_FROM_BIN "../libexec/midatlas/bench-report.py"
#endif

// bench-report.py: installed beside the program, else (build tree) the
// source tree's copy.
std::string ReportScript() {
  char buf[4096];
  std::string installed = cli_beside_program(MIDATLAS_BENCH_REPORT_FROM_BIN, buf, sizeof buf);
  struct stat st;
  if (stat(installed.c_str(), &st) == 0) return installed;
#ifdef MIDATLAS_BENCH_REPORT_SOURCE
  return MIDATLAS_BENCH_REPORT_SOURCE;
#else
  return installed;
#endif
}

// Renders DIR/bench-latest.json into the table (stdout) and DIR/bench-latest.png.
int RenderReport() {
  std::string script = ReportScript(), json = g_report_dir + "/bench-latest.json",
              png = g_report_dir + "/bench-latest.png";
  const char* args[] = {"python3", script.c_str(), json.c_str(), "--png", png.c_str(), nullptr};
  std::fflush(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, "python3", nullptr, nullptr, const_cast<char* const*>(args), environ) != 0) {
    std::fprintf(stderr, "midatlas-bench: no python3: results only in %s\n", json.c_str());
    return 1;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

using DriveFn = void (*)(benchmark::State&, const mid_impl*, uint32_t, const char*);

template <class W, size_t... Site>
constexpr std::array<DriveFn, sizeof...(Site)> DriverTable(std::index_sequence<Site...>) {
  return {&Drive<W, Site>...};
}

// The driver copy of the i-th implementation; past kDriverSites (more
// --impl than anyone measures at once) the last copy is shared.
template <class W>
DriveFn DriverFor(size_t i) {
  static constexpr auto table = DriverTable<W>(std::make_index_sequence<kDriverSites>{});
  return table[std::min(i, kDriverSites - 1)];
}

template <class W>
void Register(const char* workload, const char* event_name, const std::vector<uint32_t>& caps,
              uint32_t needs = 0) {
  for (size_t i = 0; i < g_impls.n; i++) {
    const mid_impl* impl = g_impls.impls[i];
    if ((impl->features & needs) != needs) continue;
    DriveFn drive = DriverFor<W>(i);
    for (uint32_t cap : caps) {
      if (cap > impl_max_capacity(impl)) continue;
      std::string name = std::string(workload) + "/" + impl->name + "/cap:" + std::to_string(cap);
      benchmark::internal::Benchmark* b =
          benchmark::RegisterBenchmark(name.c_str(),
                                       [drive, impl, cap, event_name](benchmark::State& st) {
                                         drive(st, impl, cap, event_name);
                                       })
              ->UseRealTime();
      for (int t : g_threads) b->Threads(t);
    }
  }
}

void RegisterAll() {
  const std::vector<uint32_t> caps = {64, 4096};
  Register<Churn>("churn", nullptr, caps);
  Register<WindowLoad>("window", nullptr, caps);
  Register<Pipeline>("pipeline", nullptr, caps);
  Register<Lookup>("lookup", nullptr, caps);
  Register<LookupCycle<0, false>>("lookup-bare", nullptr, caps);
  if constexpr (kHaveSpeculationBarrier) {  // elsewhere not instantiated either
    Register<LookupCycle<16, true>>("lookup-fenced", nullptr, caps);
    Register<LookupCycle<0, true>>("lookup-bare-fenced", nullptr, caps);
  }
  Register<ReassocOwn>("reassoc-own", nullptr, caps, MID_IMPL_HAS_REASSOCIATE_IF);
  Register<ReassocShared>("reassoc-shared", "mismatch_per_op", caps,
                          MID_IMPL_HAS_REASSOCIATE_IF);
  Register<Exhaust<90>>("exhaust90", "efull_per_op", caps);
  Register<Exhaust<99>>("exhaust99", "efull_per_op", caps);
}

void Usage() {
  std::printf(
      "usage: midatlas-bench [--impl NAME|PATH.so]... [--run_budget=S] [benchmark flags]\n"
      "MID churn under contention: midatlas and the mutex baseline (always), and each\n"
      "--impl, through churn, window, pipeline, lookup, reassoc-own, reassoc-shared,\n"
      "exhaust90, exhaust99 at capacities 64 and 4096, 1-8 threads; lookup-bare,\n"
      "lookup-fenced and lookup-bare-fenced (x86) take lookup's one-thread cost apart.\n"
      "  --threads=LIST    thread counts to run, comma-separated (default 1,2,4,8)\n"
      "  --impl X          a plugin (PATH.so, or NAME.so on $MIDATLAS_PLUGIN_PATH), repeatable\n"
      "  --report DIR      write DIR/bench-latest.json, then print the table (items/s and\n"
      "                    the ratio to the mutex of the same row) and draw\n"
      "                    DIR/bench-latest.png (needs python3; the plot gnuplot)\n"
      "  --run_budget=S    cap one run's wall time at S seconds (marked cut:1)\n"
      "  --report_copies   at the end, which implementations each copy of the\n"
      "                    driver loop ran (one copy per implementation)\n"
      "  --help, --version\n"
      "Google Benchmark's flags apply (--benchmark_filter, --benchmark_out=F.json,\n"
      "--benchmark_min_time...).\n"
      "Implementations:\n");
  impl_list_help(&g_impls, stdout);
}

// --threads=1,2,4,8,16 -> g_threads; false on anything else.
bool ParseThreads(const char* list) {
  std::vector<int> out;
  const char* p = list;
  while (*p != '\0') {
    char* end = nullptr;
    long t = std::strtol(p, &end, 10);
    if (end == p || t < 1 || t > kMaxThreads || (*end != ',' && *end != '\0')) return false;
    out.push_back(static_cast<int>(t));
    p = *end == ',' ? end + 1 : end;
  }
  if (out.empty()) return false;
  g_threads = out;
  return true;
}

// Takes our own flags out of argv (Google Benchmark rejects unknown flags);
// returns -1 to go on, else the exit status.
int ParseOwnFlags(int* argc, char** argv) {
  const std::string flag = "--run_budget=";
  int kept = 1;
  for (int i = 1; i < *argc; i++) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      Usage();
      return 0;
    }
    if (a == "--version") {
      cli_version("midatlas-bench");
      return 0;
    }
    if (a == "--impl" || a.compare(0, 7, "--impl=") == 0) {
      const char* v = a == "--impl" ? (i + 1 < *argc ? argv[++i] : nullptr) : argv[i] + 7;
      if (v == nullptr) return cli_usage_error("midatlas-bench", "--impl needs a value");
      if (!impl_list_add(&g_impls, v)) return 2;
    } else if (a == "--report" || a.compare(0, 9, "--report=") == 0) {
      const char* v = a == "--report" ? (i + 1 < *argc ? argv[++i] : nullptr) : argv[i] + 9;
      if (v == nullptr || *v == '\0')
        return cli_usage_error("midatlas-bench", "--report needs a directory");
      g_report_dir = v;
    } else if (a == "--report_copies") {
      g_report_copies = true;
    } else if (a.compare(0, 10, "--threads=") == 0) {
      if (!ParseThreads(a.c_str() + 10))
        return cli_usage_error("midatlas-bench", "bad %s (counts 1 to %d, comma-separated)",
                               argv[i], kMaxThreads);
    } else if (a.compare(0, flag.size(), flag) == 0) {
      double s = std::atof(a.c_str() + flag.size());
      if (s <= 0) return cli_usage_error("midatlas-bench", "bad %s", argv[i]);
      g_run_budget = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  return -1;
}

// The trip's measurement: the median of 5 runs of 20000 round trips,
// 10 to 50 ms in all on the VMs measured (trip.h).
constexpr unsigned kTripRuns = 5;
constexpr uint64_t kTripHops = 20000;

std::string FormatNs(double ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", ns);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  // midatlas first, the mutex baseline second (bench-report.py's order).
  impl_list_add(&g_impls, "midatlas");
  impl_list_add(&g_impls, "mutex");
  int rc = ParseOwnFlags(&argc, argv);
  if (rc >= 0) return rc;
  std::string names;
  for (size_t i = 0; i < g_impls.n; i++)
    names += std::string(i ? "," : "") + g_impls.impls[i]->name;
  benchmark::AddCustomContext("implementations", names);
  benchmark::AddCustomContext("baseline", mid_impl_mutex.name);
  char cpu[192];
  benchmark::AddCustomContext("cpu_model", cli_cpu_model(cpu, sizeof cpu));
  RegisterAll();
  // --report: Google Benchmark writes the JSON; our flags go first so that
  // a --benchmark_out given explicitly still wins.
  std::vector<std::string> extra;
  if (!g_report_dir.empty()) {
    if (mkdir(g_report_dir.c_str(), 0777) != 0 && errno != EEXIST) {
      std::fprintf(stderr, "midatlas-bench: cannot create %s: %s\n", g_report_dir.c_str(),
                   std::strerror(errno));
      return 1;
    }
    extra = {"--benchmark_out=" + g_report_dir + "/bench-latest.json",
             "--benchmark_out_format=json"};
  }
  std::vector<char*> args(argv, argv + argc);
  for (size_t k = 0; k < extra.size(); k++)
    args.insert(args.begin() + 1 + static_cast<std::ptrdiff_t>(k), extra[k].data());
  int nargs = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&nargs, args.data());
  if (nargs > 1) return cli_usage_error("midatlas-bench", "unknown option '%s'", args[1]);
  // Make the process multithreaded before the first run, as every transport
  // that shares an atlas is.  While a process has only ever had one thread,
  // glibc's mutexes skip their atomic instructions: a 1-thread mutex run
  // that came first measured 27.8M/s where the same run after any
  // multithreaded benchmark measures 13-16M/s, and with the runs in random
  // order (tools/bench.sh) any run may come first.
  std::thread([] {}).join();
  // The cross-CPU trip the run starts with, in the JSON's context, and the
  // one it ends with, on stderr (the log): the workloads that hand lines
  // between threads move with it by a factor of three or more (trip.h).
  int cpus[2];
  const double trip_start = trip_median_ns(kTripRuns, kTripHops, cpus);
  if (trip_start >= 0) {
    benchmark::AddCustomContext("cross_cpu_trip_ns", FormatNs(trip_start));
    benchmark::AddCustomContext("cross_cpu_trip_cpus",
                                std::to_string(cpus[0]) + "," + std::to_string(cpus[1]));
  }
  size_t ran = benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (trip_start >= 0 && ran != 0)
    std::fprintf(stderr,
                 "midatlas-bench: cross-CPU trip (one way, CPUs %d and %d): %s ns at the start, "
                 "%s ns at the end\n",
                 cpus[0], cpus[1], FormatNs(trip_start).c_str(),
                 FormatNs(trip_median_ns(kTripRuns, kTripHops, cpus)).c_str());
  if (g_report_copies) ReportCopies();
  if (ran == 0) {  // a filter that matches nothing must not pass as a smoke test
    std::fprintf(stderr, "midatlas-bench: no benchmark matched\n");
    return 1;
  }
  return g_report_dir.empty() ? 0 : RenderReport();
}
