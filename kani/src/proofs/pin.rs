//! PIN generation has no modulo bias.

use honeylink_core::Error;
use honeylink_core::pairing::Pin;
use honeylink_core::testing::ScriptedRng;

/// One more than the largest PIN.
const PINS: u32 = 1_000_000;
/// The rejection bound the sampler must use: the largest multiple of 10^6
/// that is at most 2^32, so every PIN has exactly `BOUND / PINS` = 4,294
/// accepted 32-bit draws and as few draws as possible are wasted.
const BOUND: u32 = 4_294_000_000;
const _: () = assert!(BOUND.is_multiple_of(PINS));
const _: () = assert!(BOUND as u64 + PINS as u64 > 1 << 32);

/// A 32-bit draw to try the sampler on: under Kani any value; here every
/// value of the reduced domain, in turn: the whole rejected range
/// `BOUND..2^32` and the last 10^6 accepted values, which hit every PIN
/// once. (The accepted values below them behave as these do: the property
/// is stated for every value and proved so upstream.)
#[cfg(kani)]
fn draw() -> u32 {
    kani::any()
}

#[cfg(not(kani))]
fn draw() -> u32 {
    const FIRST: u32 = BOUND - PINS;
    // 1,967,296 values: FIRST..=u32::MAX.
    FIRST + super::choose(u64::from(u32::MAX - FIRST) + 1) as u32
}

/// `Pin::generate` is a rejection sampler with an exact bound: for a 32-bit
/// draw `v` (little-endian, as the RNG yields it), `v < 4,294,000,000` gives
/// the PIN `v mod 10^6` in six digits, and every `v` at or above it is
/// refused and the next draw taken. With the bound a multiple of 10^6
/// (checked at compile time above), every PIN has the same number of
/// accepted draws: no modulo bias.
///
/// Here: exhaustive over the 1,967,296 values from 4,293,000,000 to
/// 2^32 - 1: every rejected value, and every PIN once from an accepted one.
#[cfg_attr(kani, kani::proof, kani::unwind(8))]
#[cfg_attr(not(kani), test)]
fn pin_draw_has_no_modulo_bias() {
    let fallback = 123_456u32;
    super::exhaust(1, || {
        let value = draw();
        let mut script = [0u8; 8];
        script[..4].copy_from_slice(&value.to_le_bytes());
        script[4..].copy_from_slice(&fallback.to_le_bytes());
        let mut rng = ScriptedRng::new(&script);
        let pin = Pin::generate(&mut rng).expect("a PIN");
        let expected = if value < BOUND {
            assert_eq!(rng.remaining(), 4, "an accepted draw took one draw");
            value % PINS
        } else {
            assert_eq!(rng.remaining(), 0, "a rejected draw was not redrawn");
            fallback
        };
        let mut digits = [0u8; 6];
        let mut rest = expected;
        for digit in digits.iter_mut().rev() {
            *digit = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        assert_eq!(pin.expose_secret(), &digits, "draw {value}");
        if value >= BOUND {
            // Nothing but rejected draws: the RNG's end is the only way out.
            let only = value.to_le_bytes();
            assert_eq!(
                Pin::generate(&mut ScriptedRng::new(&only)).map(|_| ()),
                Err(Error::Rng)
            );
        }
    });
}
