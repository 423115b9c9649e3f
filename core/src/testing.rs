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
