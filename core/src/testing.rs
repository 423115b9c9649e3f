//! Deterministic RNGs for tests, fuzzers and published vectors. **Never use
//! them for real keys.**
//!
//! Compiled only for the crate's own tests or with the `hazmat-testing`
//! feature, whose name is meant to stop a reviewer.

use core::fmt;

use rand_core::{TryCryptoRng, TryRng};

use crate::crypto::SecretBytes;
use crate::crypto::aead::AeadKey;

/// The error of an exhausted [`ScriptedRng`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScriptExhausted;

impl fmt::Display for ScriptExhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("scripted RNG has no bytes left")
    }
}

impl core::error::Error for ScriptExhausted {}

/// Returns exactly the bytes it was given, in order, then fails. Injects a
/// published vector's ephemeral key or scalar, and tests the failure path of
/// every function that draws randomness.
#[derive(Debug)]
pub struct ScriptedRng<'a> {
    script: &'a [u8],
}

impl<'a> ScriptedRng<'a> {
    /// An RNG that yields `script` and then fails.
    #[must_use]
    pub const fn new(script: &'a [u8]) -> Self {
        Self { script }
    }

    /// How many scripted bytes are left.
    #[must_use]
    pub const fn remaining(&self) -> usize {
        self.script.len()
    }
}

impl TryRng for ScriptedRng<'_> {
    type Error = ScriptExhausted;

    fn try_next_u32(&mut self) -> Result<u32, ScriptExhausted> {
        let mut bytes = [0; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, ScriptExhausted> {
        let mut bytes = [0; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), ScriptExhausted> {
        if dst.len() > self.script.len() {
            return Err(ScriptExhausted);
        }
        let (head, tail) = self.script.split_at(dst.len());
        dst.copy_from_slice(head);
        self.script = tail;
        Ok(())
    }
}

impl TryCryptoRng for ScriptedRng<'_> {}

/// A seeded deterministic generator: the ChaCha20 keystream under the seed,
/// drawn through this crate's own AEAD. Same seed, same bytes, on every
/// platform.
#[derive(Debug)]
pub struct SeededRng {
    key: AeadKey,
    block: u64,
}

impl SeededRng {
    /// A generator for `seed`.
    #[must_use]
    pub fn new(seed: [u8; 32]) -> Self {
        Self {
            key: AeadKey::new(SecretBytes::new(seed)),
            block: 0,
        }
    }
}

impl TryRng for SeededRng {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        // Each call encrypts zeros under a fresh nonce: the keystream of a
        // never-repeated (key, nonce) pair.
        dst.fill(0);
        let mut nonce = [0u8; 12];
        if let Some(tail) = nonce.get_mut(4..) {
            tail.copy_from_slice(&self.block.to_le_bytes());
        }
        self.block = self.block.wrapping_add(1);
        // Sealing fails only for inputs beyond 2^38 bytes.
        let _ = self.key.seal_in_place(&nonce, b"", dst);
        Ok(())
    }
}

impl TryCryptoRng for SeededRng {}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use rand_core::TryRng;

    use super::{ScriptExhausted, ScriptedRng, SeededRng};

    #[test]
    fn scripted_words_are_little_endian_and_then_exhausted() {
        let script = [1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x80, 9, 9, 9];
        let mut rng = ScriptedRng::new(&script);
        assert_eq!(rng.try_next_u32(), Ok(1));
        assert_eq!(rng.try_next_u64(), Ok(0x8000_0000_0000_0002));
        assert_eq!(rng.remaining(), 3);
        // Too few bytes left for a word: refused, and nothing is consumed.
        assert_eq!(rng.try_next_u32(), Err(ScriptExhausted));
        assert_eq!(rng.try_next_u64(), Err(ScriptExhausted));
        assert_eq!(rng.remaining(), 3);
        let mut rest = [0; 3];
        assert_eq!(rng.try_fill_bytes(&mut rest), Ok(()));
        assert_eq!(rest, [9; 3]);
        assert_eq!(
            ScriptExhausted.to_string(),
            "scripted RNG has no bytes left"
        );
    }

    #[test]
    fn seeded_words_come_from_the_same_stream_as_bytes() {
        let mut words = SeededRng::new([7; 32]);
        let mut bytes = SeededRng::new([7; 32]);
        let mut block = [0u8; 8];
        bytes.try_fill_bytes(&mut block).expect("infallible");
        let first = words.try_next_u32().expect("infallible");
        assert_eq!(first.to_le_bytes(), block[..4]);
        // Each draw starts a new block: the second word is not the
        // continuation of the first block.
        bytes.try_fill_bytes(&mut block).expect("infallible");
        assert_eq!(words.try_next_u64(), Ok(u64::from_le_bytes(block)));
        let other = SeededRng::new([8; 32]).try_next_u32().expect("infallible");
        assert_ne!(first, other);
    }
}
