//! Drawing bytes from the injected RNG.

use rand_core::TryCryptoRng;
use zeroize::Zeroize;

use crate::Error;

/// Fills `out` from the caller's cryptographic RNG.
///
/// An RNG failure becomes [`Error::Rng`], never a panic; whatever the RNG may
/// have written before failing is wiped, so no partial secret survives.
pub(crate) fn fill_random<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
    out: &mut [u8],
) -> Result<(), Error> {
    rng.try_fill_bytes(out).map_err(|_| {
        out.zeroize();
        Error::Rng
    })
}
