//! One check of fastex's in-memory backend against governor's keyed limiter, same keys,
//! same quota, same run.
//!
//! Run with `cargo bench -p fastex --bench memory_backend`. Two parts:
//!
//! 1. criterion groups, one per scenario `{keys}/{threads}/{quota}`:
//!    - keys: `hot` (one key) or `100k` (100,000 distinct keys, cycled through);
//!    - threads: `1t`, or `2t` (two threads share one backend / limiter; the time is the
//!      wall time of the whole run divided by the checks made by both threads);
//!    - quota: `1e9_per_s` (every check admitted in the steady state), `10_per_s` (a hot key
//!      is refused almost always) and `10_per_ms` (with 100,000 keys each key's log has
//!      expired by its next visit, so the sliding window log admits: a pop and a push).
//! 2. a paired table: the same scenarios, every contender timed in short alternating slices
//!    (order rotated each round) and the ratio to governor taken per round, then the median.
//!    On a shared machine, where the background load changes between criterion's
//!    back-to-back measurements, these ratios are the ones to quote.
//!
//! Keys look like real ones, `limiter:app::handler:0:{127.a.b.c}`, and are built before the
//! timed loop: fastex gets a `&str`, governor (keyed on `String`, with its default DashMap
//! store, its default hasher and its default clock, `QuantaClock`) a `&String` of the same
//! vector. `*_quanta` rows are fastex with governor's clock injected through
//! `InMemoryLimiterBackend::with_clock`: they show what fastex's own clock read costs.

use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use criterion::Criterion;
use fastex::limiter::backend::memory::{
    Clock, InMemoryLimiterBackend, MemoryLimiterBackendConnectConfig,
};
use fastex::limiter::backend::{LimitCheck, LimiterBackend};
use fastex::limiter::{Algorithm, RateLimitConfig};
use governor::clock::{Clock as _, QuantaClock, QuantaInstant, Reference as _};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

const DISTINCT: usize = 100_000;

/// `limiter:app::handler:0:{127.a.b.c}` for `count` distinct addresses.
fn keys(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            format!(
                "limiter:app::handler:0:{{127.{}.{}.{}}}",
                i >> 16,
                (i >> 8) & 0xff,
                i & 0xff
            )
        })
        .collect()
}

/// A quota both sides enforce: `times` per `window`.
#[derive(Clone, Copy)]
struct Limit {
    name: &'static str,
    times: u32,
    window: Duration,
}

impl Limit {
    fn fastex(self, algorithm: Algorithm) -> RateLimitConfig {
        RateLimitConfig::new(self.times, self.window.as_millis() as u64).with_algorithm(algorithm)
    }

    /// governor's GCRA with the same burst and the same average rate.
    fn governor(self) -> Quota {
        let times = NonZeroU32::new(self.times).expect("non-zero");
        Quota::with_period(self.window / self.times)
            .expect("non-zero period")
            .allow_burst(times)
    }
}

const ALLOW: Limit = Limit {
    name: "1e9_per_s",
    times: 1_000_000_000,
    window: Duration::from_secs(1),
};
const TEN_PER_S: Limit = Limit {
    name: "10_per_s",
    times: 10,
    window: Duration::from_secs(1),
};
const TEN_PER_MS: Limit = Limit {
    name: "10_per_ms",
    times: 10,
    window: Duration::from_millis(1),
};

/// governor's clock (quanta: the TSC, scaled) in fastex's microseconds.
#[derive(Debug)]
struct QuantaMicros {
    clock: QuantaClock,
    origin: QuantaInstant,
}

impl QuantaMicros {
    fn new() -> Self {
        let clock = QuantaClock::default();
        let origin = clock.now();
        QuantaMicros { clock, origin }
    }
}

impl Clock for QuantaMicros {
    fn now_us(&self) -> u64 {
        u64::from(self.clock.now().duration_since(self.origin)) / 1_000
    }
}

/// Something that checks one key; shared by reference between the threads.
trait Checker: Sync {
    // governor's `check_key` takes `&K`, `&String` here: both sides get the same reference.
    #[allow(clippy::ptr_arg)]
    fn check(&self, key: &String) -> bool;
}

struct Fastex {
    backend: InMemoryLimiterBackend,
    limit: RateLimitConfig,
}

impl Checker for Fastex {
    #[inline]
    fn check(&self, key: &String) -> bool {
        let check = [LimitCheck {
            key: key.as_str(),
            config: &self.limit,
        }];
        match self.backend.check_now(&check) {
            Ok(result) => !result.is_exceeded,
            Err(error) => panic!("check failed: {error}"),
        }
    }
}

impl Checker for DefaultKeyedRateLimiter<String> {
    #[inline]
    fn check(&self, key: &String) -> bool {
        self.check_key(key).is_ok()
    }
}

fn fastex(
    rt: &tokio::runtime::Runtime,
    limit: Limit,
    algorithm: Algorithm,
    quanta: bool,
) -> Fastex {
    let config = MemoryLimiterBackendConnectConfig {
        max_keys: 1 << 20,
        ..MemoryLimiterBackendConnectConfig::default()
    };
    let backend = if quanta {
        InMemoryLimiterBackend::with_clock(config, QuantaMicros::new())
    } else {
        InMemoryLimiterBackend::new(config)
    }
    .expect("valid config");
    // The cleanup task is spawned on a current-thread runtime that is not driven during the
    // measurement, so it never runs: nothing expires, no background work adds noise.
    rt.block_on(backend.connect()).expect("connects");
    Fastex {
        backend,
        limit: limit.fastex(algorithm),
    }
}

/// One scenario: the keys, the threads, the quota, and the fastex contenders.
struct Scenario<'k> {
    keys: &'k [String],
    threads: usize,
    limit: Limit,
    /// `(name, algorithm, quanta clock)`.
    contenders: &'static [(&'static str, Algorithm, bool)],
}

impl Scenario<'_> {
    fn name(&self) -> String {
        let keys = if self.keys.len() == 1 { "hot" } else { "100k" };
        format!("{keys}/{}t/{}", self.threads, self.limit.name)
    }

    /// The fastex contenders then governor, every key already tracked: the steady state,
    /// not the inserts.
    fn checkers(&self, rt: &tokio::runtime::Runtime) -> Vec<(&'static str, Box<dyn Checker>)> {
        let mut checkers: Vec<(&'static str, Box<dyn Checker>)> = self
            .contenders
            .iter()
            .map(|&(name, algorithm, quanta)| {
                let checker: Box<dyn Checker> = Box::new(fastex(rt, self.limit, algorithm, quanta));
                (name, checker)
            })
            .collect();
        let governor: DefaultKeyedRateLimiter<String> = RateLimiter::keyed(self.limit.governor());
        checkers.push(("governor_keyed", Box::new(governor)));
        for (_, checker) in &checkers {
            for key in self.keys {
                black_box(checker.check(key));
            }
        }
        checkers
    }
}

fn scenarios<'k>(hot: &'k [String], distinct: &'k [String]) -> Vec<Scenario<'k>> {
    // A sliding log holds one entry per admitted request: only with a small `times`.
    const ALLOWING: &[(&str, Algorithm, bool)] = &[
        ("fastex_fixed_window", Algorithm::FixedWindow, false),
        ("fastex_gcra", Algorithm::Gcra, false),
        (
            "fastex_sliding_counter",
            Algorithm::SlidingWindowCounter,
            false,
        ),
        ("fastex_fixed_window_quanta", Algorithm::FixedWindow, true),
        ("fastex_gcra_quanta", Algorithm::Gcra, true),
    ];
    const TEN: &[(&str, Algorithm, bool)] = &[
        ("fastex_fixed_window", Algorithm::FixedWindow, false),
        ("fastex_gcra", Algorithm::Gcra, false),
        ("fastex_sliding_log", Algorithm::SlidingWindowLog, false),
        (
            "fastex_sliding_counter",
            Algorithm::SlidingWindowCounter,
            false,
        ),
        ("fastex_gcra_quanta", Algorithm::Gcra, true),
        (
            "fastex_sliding_log_quanta",
            Algorithm::SlidingWindowLog,
            true,
        ),
    ];
    const LOG: &[(&str, Algorithm, bool)] = &[
        ("fastex_sliding_log", Algorithm::SlidingWindowLog, false),
        (
            "fastex_sliding_log_quanta",
            Algorithm::SlidingWindowLog,
            true,
        ),
    ];
    let mut all = Vec::new();
    for keys in [hot, distinct] {
        for threads in [1, 2] {
            all.push(Scenario {
                keys,
                threads,
                limit: ALLOW,
                contenders: ALLOWING,
            });
            all.push(Scenario {
                keys,
                threads,
                limit: TEN_PER_S,
                contenders: TEN,
            });
            if keys.len() > 1 {
                all.push(Scenario {
                    keys,
                    threads,
                    limit: TEN_PER_MS,
                    contenders: LOG,
                });
            }
        }
    }
    all
}

/// `iters` checks on one thread, cycling through `keys` from `start`.
#[inline]
fn run(checker: &dyn Checker, keys: &[String], start: usize, iters: u64) {
    let mut i = start;
    for _ in 0..iters {
        black_box(checker.check(black_box(&keys[i])));
        i += 1;
        if i == keys.len() {
            i = 0;
        }
    }
}

/// Wall time of `iters` checks split over `threads` threads (spawning included), each
/// starting at `cursor` plus its share of the key cycle (the same key when hot).
fn timed(
    checker: &dyn Checker,
    keys: &[String],
    threads: usize,
    cursor: usize,
    iters: u64,
) -> Duration {
    if threads == 1 {
        let start = Instant::now();
        run(checker, keys, cursor, iters);
        return start.elapsed();
    }
    let per_thread = iters / threads as u64;
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let offset = (cursor + t * keys.len() / threads) % keys.len();
            s.spawn(move || run(checker, keys, offset, per_thread));
        }
    });
    start.elapsed()
}

fn criterion_part(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (hot, distinct) = (keys(1), keys(DISTINCT));
    for scenario in scenarios(&hot, &distinct) {
        let mut group = c.benchmark_group(scenario.name());
        for (name, checker) in scenario.checkers(&rt) {
            let (keys, threads) = (scenario.keys, scenario.threads);
            if threads == 1 {
                group.bench_function(name, |b| {
                    let mut i = 0;
                    b.iter(|| {
                        let admitted = checker.check(black_box(&keys[i]));
                        i += 1;
                        if i == keys.len() {
                            i = 0;
                        }
                        admitted
                    })
                });
            } else {
                group.bench_function(name, |b| {
                    let mut cursor = 0;
                    b.iter_custom(|iters| {
                        let elapsed = timed(&*checker, keys, threads, cursor, iters);
                        cursor = (cursor + (iters / threads as u64) as usize) % keys.len();
                        elapsed
                    })
                });
            }
        }
        group.finish();
    }
}

/// Rounds of the paired part, and checks per contender per round.
const ROUNDS: usize = 60;
const SLICE: u64 = 20_000;

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The paired table: contenders alternate in slices of `SLICE` checks, in an order rotated
/// every round, and each round's fastex/governor ratio is kept; the median is printed.
fn paired_part(filter: Option<&str>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (hot, distinct) = (keys(1), keys(DISTINCT));
    println!();
    println!(
        "paired: {ROUNDS} rounds, {SLICE} checks (x4 with 2 threads) per contender per round, order rotated; median ns/check and median per-round ratio to governor"
    );
    println!("| scenario | contender | ns/check | governor ns/check | ratio |");
    println!("|---|---|---:|---:|---:|");
    for scenario in scenarios(&hot, &distinct) {
        let name = scenario.name();
        if filter.is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let checkers = scenario.checkers(&rt);
        let n = checkers.len();
        let governor = n - 1;
        let mut cursors = vec![0usize; n];
        let mut ns = vec![Vec::with_capacity(ROUNDS); n];
        // Longer slices with threads, so spawning them stays a small part of a slice.
        let slice = SLICE * (scenario.threads as u64).pow(2);
        for round in 0..ROUNDS {
            for step in 0..n {
                let index = (round + step) % n;
                let elapsed = timed(
                    &*checkers[index].1,
                    scenario.keys,
                    scenario.threads,
                    cursors[index],
                    slice,
                );
                cursors[index] =
                    (cursors[index] + (slice as usize / scenario.threads)) % scenario.keys.len();
                ns[index].push(elapsed.as_nanos() as f64 / slice as f64);
            }
        }
        let governor_ns = median(&mut ns[governor].clone());
        for index in 0..governor {
            let mut ratios: Vec<f64> = ns[index]
                .iter()
                .zip(&ns[governor])
                .map(|(f, g)| f / g)
                .collect();
            println!(
                "| {name} | {} | {:.1} | {:.1} | {:.2} |",
                checkers[index].0,
                median(&mut ns[index].clone()),
                governor_ns,
                median(&mut ratios)
            );
        }
    }
    println!();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(400))
        .measurement_time(Duration::from_millis(1_200))
        .sample_size(30)
        .configure_from_args();
    criterion_part(&mut criterion);
    criterion.final_summary();
    // Not under `cargo test --benches` (`--test`), `--list` or `--profile-time`.
    let quick = args
        .iter()
        .any(|a| a == "--test" || a == "--list" || a == "--profile-time");
    if !quick {
        let filter = args
            .iter()
            .find(|a| !a.starts_with('-'))
            .map(String::as_str);
        paired_part(filter);
    }
}
