//! A stand-in for the part of Kani's API the harnesses use, [`any`] and
//! [`assume`], so every harness also runs as an ordinary `#[test]`.
//!
//! Kani makes each `kani::any()` symbolic and proves a harness for all values
//! at once. The shim cannot, so [`check`] runs the harness body many times
//! ([`DEFAULT_CASES`], or `HONEYLINK_SHIM_CASES`), each case with a generator
//! seeded by the case number, and it weights what it draws towards the
//! inputs where a comparison goes wrong rather than towards uniform noise:
//!
//! - all-zero and all-`0xff` values;
//! - a copy of a value drawn earlier in the same case with the same size (so
//!   two inputs are often equal), and such a copy with one bit flipped (so
//!   they often differ in exactly one bit, anywhere);
//! - a single set bit in zeros;
//! - for integers, small values (`0..=`[`SMALL_MAX`]), so that lengths
//!   bounded by `assume` are usually in range;
//! - and uniformly random values.
//!
//! [`choose`] picks an index below a bound. Under [`check`] it is drawn at
//! random; under [`exhaust`] every value is taken in turn, and every
//! combination of the choices a harness makes, so a harness over a small
//! domain runs on the whole domain, not on a sample.
//!
//! [`assume`] with a false condition abandons the case, as Kani discards the
//! paths that violate an assumption; [`check`] fails if too few cases
//! survive, so a harness cannot pass by rejecting everything. The same seed
//! gives the same cases on every run and platform; a failing case prints its
//! number and every value drawn in it.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// Cases [`check`] runs when `HONEYLINK_SHIM_CASES` is not set.
pub const DEFAULT_CASES: u64 = 20_000;
/// Largest "small" integer the generator favours.
pub const SMALL_MAX: u8 = 32;
/// [`check`] fails unless at least one case in this many satisfies every
/// [`assume`].
pub const MIN_ACCEPTED_ONE_IN: u64 = 20;

/// A type the shim can draw values of (Kani's trait of the same name).
pub trait Arbitrary: Sized {
    /// Draws one value.
    fn arbitrary(generator: &mut Generator) -> Self;
}

/// What kind of value a draw is for: integers also favour small values.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shape {
    /// A byte array, compared as a whole.
    Bytes,
    /// A little-endian integer.
    Integer,
}

/// The deterministic generator behind [`any`]: SplitMix64 for its random
/// choices, and the values drawn so far in the current case.
#[derive(Debug)]
pub struct Generator {
    state: u64,
    drawn: Vec<Vec<u8>>,
}

impl Generator {
    /// A generator for one case.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self {
            state: seed ^ 0x6a09_e667_f3bc_c908,
            drawn: Vec::new(),
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..bound` (0 if `bound` is 0).
    fn below(&mut self, bound: u64) -> u64 {
        self.next_u64().checked_rem(bound).unwrap_or(0)
    }

    fn random_fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            for (o, w) in chunk.iter_mut().zip(word) {
                *o = w;
            }
        }
    }

    /// Flips one uniformly chosen bit of `out`.
    fn flip_one_bit(&mut self, out: &mut [u8]) {
        let bits = u64::try_from(out.len()).unwrap_or(0).saturating_mul(8);
        let bit = self.below(bits);
        let byte = usize::try_from(bit / 8).unwrap_or(0);
        if let Some(b) = out.get_mut(byte) {
            *b ^= 1u8.rotate_left(u32::try_from(bit % 8).unwrap_or(0));
        }
    }

    /// Fills `out` with the next value, chosen as the module documentation
    /// describes, and remembers it for later draws in the same case.
    pub fn fill(&mut self, out: &mut [u8], shape: Shape) {
        // Weights out of 16, per shape:   zero  ones  copy  flip  one-bit  small  random
        const BYTES: [u64; 7] = [2, 2, 3, 3, 1, 0, 5];
        const INTEGER: [u64; 7] = [2, 1, 2, 2, 1, 6, 2];
        let weights = match shape {
            Shape::Bytes => BYTES,
            Shape::Integer => INTEGER,
        };
        let mut roll = self.below(weights.iter().sum());
        let mut strategy = 0;
        for (index, &weight) in weights.iter().enumerate() {
            if roll < weight {
                strategy = index;
                break;
            }
            roll = roll.saturating_sub(weight);
        }
        let earlier = self
            .drawn
            .iter()
            .rev()
            .find(|value| value.len() == out.len())
            .cloned();
        match (strategy, earlier) {
            (0, _) => out.fill(0),
            (1, _) => out.fill(0xff),
            (2, Some(earlier)) => out.copy_from_slice(&earlier),
            (3, Some(earlier)) => {
                out.copy_from_slice(&earlier);
                self.flip_one_bit(out);
            }
            (4, _) => {
                out.fill(0);
                self.flip_one_bit(out);
            }
            (5, _) => {
                out.fill(0);
                let small = self.below(u64::from(SMALL_MAX) + 1);
                if let Some(first) = out.first_mut() {
                    *first = u8::try_from(small).unwrap_or(SMALL_MAX);
                }
            }
            // Uniform, and the copy strategies when nothing of this size has
            // been drawn yet in this case.
            _ => self.random_fill(out),
        }
        self.drawn.push(out.to_vec());
    }

    /// Every value drawn in this case, as hex, for a failure report.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut text = String::new();
        for (index, value) in self.drawn.iter().enumerate() {
            let _ = write!(text, "\n  #{index}: ");
            for byte in value {
                let _ = write!(text, "{byte:02x}");
            }
        }
        text
    }
}

/// The choices of one run under [`exhaust`]: each `(value, bound)` in the
/// order [`choose`] was called, and how many have been made in this run.
#[derive(Debug, Default)]
struct Enumeration {
    path: Vec<(u64, u64)>,
    depth: usize,
}

impl Enumeration {
    /// The next choice below `bound`: the recorded one while replaying the
    /// path, else 0 (and recorded).
    fn next(&mut self, bound: u64) -> u64 {
        let depth = self.depth;
        self.depth = depth.saturating_add(1);
        match self.path.get(depth) {
            Some(&(value, recorded)) => {
                assert_eq!(
                    recorded, bound,
                    "choice {depth} changed its bound between runs: the harness is not deterministic"
                );
                value
            }
            None => {
                self.path.push((0, bound));
                0
            }
        }
    }

    /// Moves to the next combination: the last choice that can grow grows,
    /// the ones after it start again. False when every one is done.
    fn advance(&mut self) -> bool {
        while let Some((value, bound)) = self.path.last_mut() {
            if value.saturating_add(1) < *bound {
                *value += 1;
                return true;
            }
            self.path.pop();
        }
        false
    }
}

thread_local! {
    static GENERATOR: RefCell<Generator> = const { RefCell::new(Generator::new(0)) };
    static ENUMERATION: RefCell<Option<Enumeration>> = const { RefCell::new(None) };
}

/// An index in `0..bound` (Kani: `any` with `assume(value < bound)`).
/// Under [`exhaust`] each value in turn; otherwise drawn at random (and
/// reported with the other draws if the case fails). A `bound` of 0 has no
/// value: the case is abandoned, as an unsatisfiable assumption.
#[must_use]
pub fn choose(bound: u64) -> u64 {
    assume(bound > 0);
    let enumerated = ENUMERATION.with_borrow_mut(|e| e.as_mut().map(|e| e.next(bound)));
    enumerated.unwrap_or_else(|| {
        GENERATOR.with_borrow_mut(|generator| {
            let value = generator.below(bound);
            generator.drawn.push(value.to_le_bytes().to_vec());
            value
        })
    })
}

/// [`choose`] for indexing: a `usize` in `0..bound`.
#[must_use]
pub fn choose_index(bound: usize) -> usize {
    usize::try_from(choose(u64::try_from(bound).unwrap_or(u64::MAX))).unwrap_or(0)
}

/// A value of type `T` from this thread's generator (Kani: a symbolic value).
#[must_use]
pub fn any<T: Arbitrary>() -> T {
    GENERATOR.with_borrow_mut(|generator| T::arbitrary(generator))
}

/// The payload of the panic that abandons a case whose assumption is false.
#[derive(Debug)]
struct Rejected;

/// Abandons the current case unless `condition` holds (Kani: discards the
/// paths on which it does not).
///
/// # Panics
/// With a private payload that [`check`] catches, when `condition` is false.
#[expect(
    clippy::panic,
    reason = "unwinding is how a case is abandoned; check() catches it"
)]
pub fn assume(condition: bool) {
    if !condition {
        panic::panic_any(Rejected);
    }
}

/// The number of cases [`check`] runs: `HONEYLINK_SHIM_CASES` if it is set
/// to a number, else [`DEFAULT_CASES`].
#[must_use]
pub fn cases() -> u64 {
    std::env::var("HONEYLINK_SHIM_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// Runs `harness` once per case, each with a freshly seeded generator.
///
/// # Panics
/// If the harness fails in some case (after printing the case and the values
/// drawn in it), or if fewer than one case in [`MIN_ACCEPTED_ONE_IN`] got
/// past the harness's [`assume`] calls.
pub fn check(mut harness: impl FnMut()) {
    silence_rejections();
    let total = cases();
    let mut accepted: u64 = 0;
    for case in 0..total {
        GENERATOR.with_borrow_mut(|generator| *generator = Generator::new(case));
        match panic::catch_unwind(AssertUnwindSafe(&mut harness)) {
            Ok(()) => accepted = accepted.saturating_add(1),
            Err(payload) if payload.is::<Rejected>() => {}
            Err(payload) => {
                let drawn = GENERATOR.with_borrow(Generator::describe);
                eprintln!("harness failed in shim case {case}; values drawn:{drawn}");
                panic::resume_unwind(payload);
            }
        }
    }
    assert!(
        accepted >= total / MIN_ACCEPTED_ONE_IN,
        "only {accepted} of {total} cases satisfied the harness's assumptions"
    );
    eprintln!("shim: {total} sampled cases, {accepted} past the harness's assumptions");
}

/// Runs `harness` on every combination of its [`choose`] calls, once for
/// each generator seed in `0..seeds` (so values from [`any`] stay fixed
/// while the choices are enumerated around them); returns how many runs
/// there were. With `seeds` = 1 and no [`any`] calls this is the whole
/// domain, exactly once.
///
/// # Panics
/// If the harness fails on some combination (after printing the seed and
/// the choices), or if fewer than one run in [`MIN_ACCEPTED_ONE_IN`] got
/// past the harness's [`assume`] calls.
pub fn exhaust(seeds: u64, mut harness: impl FnMut()) -> u64 {
    silence_rejections();
    let mut runs: u64 = 0;
    let mut accepted: u64 = 0;
    for seed in 0..seeds {
        ENUMERATION.with_borrow_mut(|e| *e = Some(Enumeration::default()));
        loop {
            GENERATOR.with_borrow_mut(|generator| *generator = Generator::new(seed));
            ENUMERATION.with_borrow_mut(|e| {
                if let Some(e) = e.as_mut() {
                    e.depth = 0;
                }
            });
            runs = runs.saturating_add(1);
            match panic::catch_unwind(AssertUnwindSafe(&mut harness)) {
                Ok(()) => accepted = accepted.saturating_add(1),
                Err(payload) if payload.is::<Rejected>() => {}
                Err(payload) => {
                    let choices = ENUMERATION.with_borrow_mut(Option::take);
                    let drawn = GENERATOR.with_borrow(Generator::describe);
                    eprintln!(
                        "harness failed in shim seed {seed} at choices {:?}; values drawn:{drawn}",
                        choices.map(|e| e.path).unwrap_or_default()
                    );
                    panic::resume_unwind(payload);
                }
            }
            let more =
                ENUMERATION.with_borrow_mut(|e| e.as_mut().is_some_and(Enumeration::advance));
            if !more {
                break;
            }
        }
        ENUMERATION.with_borrow_mut(|e| *e = None);
    }
    assert!(
        accepted >= runs / MIN_ACCEPTED_ONE_IN,
        "only {accepted} of {runs} runs satisfied the harness's assumptions"
    );
    eprintln!(
        "shim: {runs} runs, exhaustive over the harness's choices, {accepted} past its assumptions"
    );
    runs
}

/// Keeps the panic hook from printing a message for every abandoned case;
/// any other panic is reported as before.
fn silence_rejections() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<Rejected>() {
                previous(info);
            }
        }));
    });
}

impl<const N: usize> Arbitrary for [u8; N] {
    fn arbitrary(generator: &mut Generator) -> Self {
        let mut value = [0; N];
        generator.fill(&mut value, Shape::Bytes);
        value
    }
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl Arbitrary for $t {
            fn arbitrary(generator: &mut Generator) -> Self {
                let mut le = [0; size_of::<$t>()];
                generator.fill(&mut le, Shape::Integer);
                <$t>::from_le_bytes(le)
            }
        }
    )*};
}
integers!(u8, u16, u32, u64, u128, usize);

impl Arbitrary for bool {
    fn arbitrary(generator: &mut Generator) -> Self {
        u8::arbitrary(generator) & 1 == 1
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// Within the default number of cases, two 32-byte draws cover every
    /// edge case the module documentation promises, many times over.
    #[test]
    fn pairs_cover_the_edge_cases() {
        let [zeros, ones, equal, one_bit, other] = std::array::from_fn(|_| Cell::new(0u32));
        check(|| {
            let a: [u8; 32] = any();
            let b: [u8; 32] = any();
            let differing: u32 = a.iter().zip(&b).map(|(x, y)| (x ^ y).count_ones()).sum();
            let counter = match differing {
                0 if a == [0; 32] => &zeros,
                0 if a == [0xff; 32] => &ones,
                0 => &equal,
                1 => &one_bit,
                _ => &other,
            };
            counter.set(counter.get().saturating_add(1));
        });
        for (name, count) in [
            ("all-zero pairs", &zeros),
            ("all-0xff pairs", &ones),
            ("other equal pairs", &equal),
            ("pairs one bit apart", &one_bit),
            ("other pairs", &other),
        ] {
            assert!(count.get() >= 100, "only {} {name}", count.get());
        }
    }

    /// `assume` discards cases, and `check` refuses a harness that discards
    /// nearly all of them.
    #[test]
    fn assume_discards_and_check_refuses_vacuous_harnesses() {
        let seen = Cell::new(0u64);
        check(|| {
            let len: usize = any();
            assume(len <= 16);
            assert!(len <= 16);
            seen.set(seen.get().saturating_add(1));
        });
        assert!(seen.get() >= cases() / MIN_ACCEPTED_ONE_IN);

        let vacuous = panic::catch_unwind(|| check(|| assume(false)));
        assert!(vacuous.is_err());
    }

    /// `exhaust` visits every combination of choices exactly once, also
    /// when a later choice's bound depends on an earlier one.
    #[test]
    fn exhaust_visits_every_combination_once() {
        let seen = RefCell::new(Vec::new());
        let runs = exhaust(1, || {
            let a = choose(3);
            let b = choose(a + 1);
            seen.borrow_mut().push((a, b));
        });
        let mut seen = seen.into_inner();
        assert_eq!(runs, 6);
        seen.sort_unstable();
        assert_eq!(seen, [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2)]);

        // Two seeds, values from `any` fixed within a seed.
        let pairs = RefCell::new(Vec::new());
        let runs = exhaust(2, || {
            let x: u64 = any();
            pairs.borrow_mut().push((x, choose(2)));
        });
        let pairs = pairs.into_inner();
        assert_eq!(runs, 4);
        let [(x0, c0), (x1, c1), (x2, c2), (x3, c3)] = pairs[..] else {
            unreachable!("four runs, four pairs");
        };
        assert_eq!((x0, x2), (x1, x3));
        assert_eq!([c0, c1, c2, c3], [0, 1, 0, 1]);

        // A failure is reported, not swallowed.
        let failing = panic::catch_unwind(|| exhaust(1, || assert!(choose(10) != 7)));
        assert!(failing.is_err());
    }

    /// The same case number draws the same values.
    #[test]
    fn cases_are_reproducible() {
        let draw = |seed| {
            let mut generator = Generator::new(seed);
            let mut value = [0u8; 32];
            for _ in 0..8 {
                generator.fill(&mut value, Shape::Bytes);
            }
            generator.describe()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }
}
