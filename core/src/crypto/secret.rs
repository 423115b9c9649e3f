//! A fixed-size secret that cannot be printed, cloned or compared by accident.

use core::fmt;

use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// `N` secret bytes: zeroized on drop, `Debug` prints `[redacted]`, not
/// `Clone`, not `Copy`, compared only in constant time.
///
/// The bytes are reachable only through [`SecretBytes::expose_secret`], a name
/// meant to stand out in review.
pub struct SecretBytes<const N: usize>([u8; N]);

impl<const N: usize> SecretBytes<N> {
    /// Takes ownership of `bytes`. The caller's copy, if it kept one, is its
    /// own to wipe.
    #[must_use]
    pub const fn new(bytes: [u8; N]) -> Self {
        Self(bytes)
    }

    /// All zeros: a buffer to be filled in place.
    #[must_use]
    pub const fn zero() -> Self {
        Self([0; N])
    }

    /// The secret bytes.
    #[must_use]
    pub const fn expose_secret(&self) -> &[u8; N] {
        &self.0
    }

    /// The secret bytes, for filling in place.
    pub(crate) fn expose_secret_mut(&mut self) -> &mut [u8; N] {
        &mut self.0
    }
}

impl<const N: usize> Drop for SecretBytes<N> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<const N: usize> ZeroizeOnDrop for SecretBytes<N> {}

impl<const N: usize> Zeroize for SecretBytes<N> {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl<const N: usize> fmt::Debug for SecretBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes<{N}>([redacted])")
    }
}

impl<const N: usize> ConstantTimeEq for SecretBytes<N> {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

#[cfg(test)]
#[cfg(not(miri))]
mod tests {
    use super::SecretBytes;

    /// Dropping wipes the bytes before the memory is given back.
    #[test]
    fn drop_wipes_the_bytes() {
        let block = crate::freed_on_drop(SecretBytes::new([0xab; 32]));
        assert_eq!(block.bytes(), &[0; 32]);
    }
}
