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

thread_local! {
    static GENERATOR: RefCell<Generator> = const { RefCell::new(Generator::new(0)) };
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
