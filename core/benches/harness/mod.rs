//! The benches' shared harness: candidates measured side by side in the same
//! run, interleaved round by round, and compared as ratios.
//!
//! On a shared, noisy machine an absolute time drifts within seconds, so each
//! round times every candidate once (in a rotating order, so none always runs
//! first) and each candidate's time is divided by the baseline's time *of the
//! same round*. The figures printed are medians over rounds: the median time
//! per operation and the median per-round ratio. `HL_BENCH_ROUNDS` (default
//! 15) and `HL_BENCH_SAMPLE_MS` (default 20, the time one candidate runs per
//! round) tune the run; `HL_BENCH_QUICK=1` is a smoke run (3 rounds of 2 ms);
//! `HL_BENCH_FILTER=text` runs only the tables whose title contains `text`.
//!
//! Criterion and divan time each benchmark on its own, one after another, and
//! print no ratio between two of them; a drift between the two runs lands
//! straight in the ratio. Interleaving is what makes a ratio honest here.

#![allow(dead_code)]

use std::hint::black_box;
use std::time::Instant;

/// One thing to time: its label and the work of one operation.
pub struct Candidate<'a> {
    pub name: String,
    /// Bytes one operation processes (0 for none), for throughput.
    pub bytes: usize,
    /// Compare rates (operations per second) instead of times.
    pub rate: bool,
    pub run: Box<dyn FnMut() + 'a>,
}

impl<'a> Candidate<'a> {
    pub fn new(name: impl Into<String>, run: impl FnMut() + 'a) -> Self {
        Self {
            name: name.into(),
            bytes: 0,
            rate: false,
            run: Box::new(run),
        }
    }

    /// A candidate compared by rate: its ratio is (its operations per
    /// second) / (the baseline's), above 1 when faster.
    pub fn rate(name: impl Into<String>, run: impl FnMut() + 'a) -> Self {
        Self {
            name: name.into(),
            bytes: 1,
            rate: true,
            run: Box::new(run),
        }
    }

    /// A candidate whose one operation processes `bytes` bytes: its ratio is
    /// then a throughput ratio (bytes per second against the baseline's).
    pub fn with_bytes(name: impl Into<String>, bytes: usize, run: impl FnMut() + 'a) -> Self {
        Self {
            name: name.into(),
            bytes,
            rate: false,
            run: Box::new(run),
        }
    }
}

/// What one candidate measured.
#[derive(Clone, Debug)]
pub struct Measured {
    pub name: String,
    /// Median nanoseconds per operation.
    pub ns: f64,
    /// Median per-round ratio against the baseline: time ratio (candidate /
    /// baseline) for operations, throughput ratio (candidate / baseline) when
    /// both carry a byte count.
    pub ratio: f64,
    /// The spread of the per-round ratios: (first quartile, third quartile).
    pub ratio_iqr: (f64, f64),
}

pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `HL_BENCH_QUICK=1`: a smoke run.
pub fn quick() -> bool {
    std::env::var("HL_BENCH_QUICK").is_ok_and(|v| v == "1")
}

pub fn rounds() -> usize {
    if quick() {
        3
    } else {
        env_u64("HL_BENCH_ROUNDS", 15) as usize
    }
}

fn sample_ns() -> f64 {
    let ms = if quick() {
        2
    } else {
        env_u64("HL_BENCH_SAMPLE_MS", 20)
    };
    ms as f64 * 1e6
}

pub fn median(values: &mut [f64]) -> f64 {
    quantile(values, 0.5)
}

/// The `q` quantile (0 to 1) of `values`, by linear interpolation between
/// the two nearest ranks; sorts `values`.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        return f64::NAN;
    }
    let at = q * (values.len() - 1) as f64;
    let (low, high) = (at.floor() as usize, at.ceil() as usize);
    values[low] + (values[high] - values[low]) * (at - low as f64)
}

/// How many operations fill one sample, from a short calibration run.
fn calibrate(run: &mut dyn FnMut()) -> u64 {
    let mut n = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            run();
        }
        let elapsed = start.elapsed().as_nanos() as f64;
        if elapsed > 1e6 || n >= 1 << 30 {
            let per = elapsed / n as f64;
            return ((sample_ns() / per).ceil() as u64).max(1);
        }
        n *= 2;
    }
}

/// Times every candidate in the same run, interleaved; the first one is the
/// baseline every ratio is taken against. Prints a table under `title`.
pub fn compare(title: &str, candidates: &mut [Candidate<'_>]) -> Vec<Measured> {
    if let Ok(filter) = std::env::var("HL_BENCH_FILTER")
        && !title.contains(&filter)
    {
        return Vec::new();
    }
    if let Some(n) = std::env::var("HL_BENCH_PROFILE")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        profile(title, candidates, n);
        return Vec::new();
    }
    let rounds = rounds();
    let counts: Vec<u64> = candidates
        .iter_mut()
        .map(|c| calibrate(&mut c.run))
        .collect();
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); candidates.len()];
    for round in 0..rounds {
        let len = candidates.len();
        for k in 0..len {
            let i = (k + round) % len;
            let c = &mut candidates[i];
            let start = Instant::now();
            for _ in 0..counts[i] {
                (c.run)();
            }
            times[i].push(start.elapsed().as_nanos() as f64 / counts[i] as f64);
        }
    }
    let base_bytes = candidates[0].bytes;
    let results: Vec<Measured> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut ratios: Vec<f64> = (0..rounds)
                .map(|r| {
                    if c.bytes > 0 && base_bytes > 0 {
                        // Throughput ratio: (bytes / t) / (base_bytes / t0).
                        (c.bytes as f64 / times[i][r]) / (base_bytes as f64 / times[0][r])
                    } else {
                        times[i][r] / times[0][r]
                    }
                })
                .collect();
            let ratio = median(&mut ratios);
            let iqr = (quantile(&mut ratios, 0.25), quantile(&mut ratios, 0.75));
            Measured {
                name: c.name.clone(),
                ns: median(&mut times[i].clone()),
                ratio,
                ratio_iqr: iqr,
            }
        })
        .collect();
    print_table(title, candidates, &results);
    results
}

/// Profiling mode (`HL_BENCH_PROFILE=n`): no timing; candidate `i` runs `n`
/// times inside the non-inlined function `profile_slot_i`, so a profiler
/// (`valgrind --tool=callgrind`, then `callgrind_annotate --inclusive=yes`)
/// gives each candidate's instructions per operation as the slot's
/// inclusive count divided by `n`.
fn profile(title: &str, candidates: &mut [Candidate<'_>], n: u64) {
    macro_rules! slots {
        ($($name:ident = $id:literal),*) => {
            [$({
                #[inline(never)]
                fn $name(run: &mut dyn FnMut(), n: u64) {
                    // A distinct constant, so identical slots are not merged.
                    black_box($id);
                    for _ in 0..n {
                        run();
                    }
                }
                $name as fn(&mut dyn FnMut(), u64)
            }),*]
        };
    }
    let slots = slots!(
        profile_slot_0 = 0,
        profile_slot_1 = 1,
        profile_slot_2 = 2,
        profile_slot_3 = 3,
        profile_slot_4 = 4,
        profile_slot_5 = 5,
        profile_slot_6 = 6,
        profile_slot_7 = 7,
        profile_slot_8 = 8,
        profile_slot_9 = 9
    );
    println!("\n## {title} (profiling, {n} operations each)");
    for (i, c) in candidates.iter_mut().enumerate() {
        (c.run)();
        if let Some(slot) = slots.get(i) {
            slot(&mut *c.run, n);
            println!("profile_slot_{i}: {}", c.name);
        }
    }
}

fn print_table(title: &str, candidates: &[Candidate<'_>], results: &[Measured]) {
    let throughput = candidates[0].bytes > 0;
    println!("\n## {title}");
    if candidates[0].rate {
        println!(
            "{:<44} {:>12} {:>10} {:>9}  ratio IQR (rate vs first row)",
            "candidate", "ns/op", "op/s", "ratio"
        );
        for m in results {
            println!(
                "{:<44} {:>12.1} {:>10.0} {:>9.3}  [{:.3}, {:.3}]",
                m.name,
                m.ns,
                1e9 / m.ns,
                m.ratio,
                m.ratio_iqr.0,
                m.ratio_iqr.1
            );
        }
        return;
    }
    if throughput {
        println!(
            "{:<44} {:>12} {:>10} {:>9}  ratio IQR (throughput vs first row)",
            "candidate", "ns/op", "MB/s", "ratio"
        );
    } else {
        println!(
            "{:<44} {:>12} {:>9}  ratio IQR (time vs first row)",
            "candidate", "ns/op", "ratio"
        );
    }
    for (c, m) in candidates.iter().zip(results) {
        if throughput {
            println!(
                "{:<44} {:>12.1} {:>10.1} {:>9.3}  [{:.3}, {:.3}]",
                m.name,
                m.ns,
                c.bytes as f64 / m.ns * 1e3,
                m.ratio,
                m.ratio_iqr.0,
                m.ratio_iqr.1
            );
        } else {
            println!(
                "{:<44} {:>12.1} {:>9.3}  [{:.3}, {:.3}]",
                m.name, m.ns, m.ratio, m.ratio_iqr.0, m.ratio_iqr.1
            );
        }
    }
}

/// The build this bench runs in, printed once at the top: the core's `fast`
/// feature, and whether the compiler could assume AVX2 (as with
/// `RUSTFLAGS="-C target-cpu=native"` on this machine) or had to pick the
/// vector backends at run time.
pub fn banner(bench: &str, fast: bool) {
    println!(
        "# {bench}: honeylink-core `fast` feature {}, compiled for AVX2: {}, AVX-512F: {}, {} rounds",
        if fast { "ON" } else { "off" },
        cfg!(target_feature = "avx2"),
        cfg!(target_feature = "avx512f"),
        rounds()
    );
}

/// Keeps a value alive and opaque to the optimiser.
pub fn keep<T>(value: T) {
    black_box(value);
}
