//! CPace, the balanced PAKE behind PIN pairing: ciphersuite
//! CPACE-RISTR255-SHA512 of `draft-irtf-cfrg-cpace` (the draft's repository
//! as of 2026-04-23, in `../shared/spec/cpace/`), initiator-responder mode,
//! with the draft's explicit key confirmation.
//!
//! This module is the primitive layer: the draft's string utilities, the
//! generator, scalar sampling, the shares, the checks on a received share,
//! the intermediate session key (ISK) and the confirmation tags. The PIN
//! state machine above it decides which PIN, which purpose label and which
//! nonces go in, enforces the message order and the one-run-per-PIN rule.
//!
//! # Inputs
//!
//! - PRS, the password-related string: the six ASCII digits of the PIN
//!   ([`Prs`], secret).
//! - CI, the channel identifier: `lv_cat(purpose, initiator id, responder id)`
//!   ([`ChannelId::new`]); the draft recommends putting both identities in CI
//!   in initiator-responder mode, initiator first.
//! - sid, the session id: the initiator's nonce then the responder's
//!   ([`SessionId::from_nonces`]).
//! - ADa, ADb: associated data sent in clear with each share. HoneyLink sends
//!   none (`b""`); the parameter exists because the draft's vectors use it.
//!
//! # Flow
//!
//! ```
//! use honeylink_core::identity::DeviceId;
//! use honeylink_core::noise::Role;
//! use honeylink_core::pairing::cpace::{ChannelId, Isk, Party, Prs, SessionId};
//! use honeylink_core::testing::SeededRng;
//!
//! let mut rng = SeededRng::new([9; 32]);
//! let (a_id, b_id) = (DeviceId::from_bytes([1; 16]), DeviceId::from_bytes([2; 16]));
//! let ci = ChannelId::new(b"example", &a_id, &b_id)?;
//! let sid = SessionId::from_nonces(&[3; 32], &[4; 32]);
//!
//! // Initiator (the PIN was typed here) sends its share.
//! let (a, ya) = Party::start(Role::Initiator, &Prs::new(b"123456")?, &ci, &sid, b"", &mut rng)?;
//! // Responder (it shows the PIN) answers with its share and tag.
//! let (b, yb) = Party::start(Role::Responder, &Prs::new(b"123456")?, &ci, &sid, b"", &mut rng)?;
//! let b = b.receive(&ya, b"")?;
//! let tb = b.tag();
//! // Initiator checks the responder's tag, then sends its own.
//! let a = a.receive(&yb, b"")?;
//! let ta = a.tag();
//! let (mut isk_a, mut isk_b) = (Isk::empty(), Isk::empty());
//! a.verify(&tb, &mut isk_a)?;
//! b.verify(&ta, &mut isk_b)?;
//! assert_eq!(isk_a.expose_secret()?, isk_b.expose_secret()?);
//! # Ok::<(), honeylink_core::Error>(())
//! ```
//!
//! A received share that does not decode ([`Error::CpaceShareInvalid`]), is
//! the identity ([`Error::CpaceShareIdentity`]) or equals the receiver's own
//! share ([`Error::CpaceShareReflected`]) ends the run; so does a tag that
//! does not verify ([`Error::CpaceConfirmationFailed`]). Every state is
//! consumed by the step that leaves it, and its secrets are zeroized on drop.
//!
//! # Secrets in memory
//!
//! Every secret lives in a type that zeroizes it on drop ([`Prs`],
//! [`Party`], [`Confirming`], [`Isk`]; inside, [`SecretBytes`] and
//! zeroized scalars and points). Secrets are computed in place where the
//! APIs allow it: the scalar is sampled into its party, the generator and
//! `K` are derived into zeroized slots, the ISK, the MAC key and the
//! expected peer tag are hashed straight into theirs, and
//! [`Confirming::verify`] copies the ISK into a slot the caller owns
//! instead of moving it out.
//!
//! What Rust cannot promise: a move (returning a [`Party`] or a
//! [`Confirming`], putting it into a state enum) is a byte copy that leaves
//! the old bytes behind without dropping them, and the compiler may spill
//! registers or build temporaries (the return values of curve25519-dalek's
//! and the hashes' own functions, their internal buffers) on the stack
//! where no code of ours can reach them. Large values returned by value are
//! in practice written straight into the caller's slot, but that is an
//! optimisation, not a guarantee. So a few stale copies may survive on the
//! dead stack until overwritten; wiping them takes stack-painting outside
//! the language (a platform's own zeroing of freed stacks), which a
//! `#![forbid(unsafe_code)]` crate cannot do.

use core::fmt;
use core::ops::Mul;

use curve25519_dalek::Scalar;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::traits::{Identity, IsIdentity};
use rand_core::TryCryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::Error;
use crate::crypto::SecretBytes;
use crate::crypto::ct::ct_eq_array;
use crate::crypto::fill_random;
use crate::crypto::hash::{HASH_LEN, MacTag, hmac_sha512_into, sha512_into};
use crate::identity::DeviceId;
use crate::noise::Role;
use crate::wire::write_hex;

/// The group's domain-separation identifier, `G_Ristretto255.DSI`.
pub const DSI: &[u8] = b"CPaceRistretto255";
/// The label of the ISK hash, `G.DSI || b"_ISK"`.
pub const DSI_ISK: &[u8] = b"CPaceRistretto255_ISK";
/// The prefix of the key-confirmation MAC key hash (draft, "Key
/// confirmation"): `mac_key = SHA-512(b"CPaceMac" || sid || ISK)`.
pub const MAC_KEY_LABEL: &[u8] = b"CPaceMac";
/// SHA-512's input block size, `H.s_in_bytes`.
pub const S_IN_BYTES: usize = 128;
/// Length of an encoded share (a ristretto255 encoding).
pub const SHARE_LEN: usize = 32;
/// Length of the intermediate session key (a SHA-512 output).
pub const ISK_LEN: usize = HASH_LEN;
/// Length of a confirmation tag (an HMAC-SHA512 output).
pub const TAG_LEN: usize = HASH_LEN;
/// Length of each party's nonce in [`SessionId::from_nonces`].
pub const NONCE_LEN: usize = 32;

/// Longest PRS: 108 bytes. Up to this length the length-prefixed DSI, the
/// PRS and the zero padding fill exactly the first 128-byte SHA-512 block
/// (`18 + (1 + n) + (1 + (108 - n)) = 128`), so the hashed length, and the
/// time taken, do not depend on the PIN. A PIN is 6 bytes.
pub const MAX_PRS_LEN: usize = 108;
/// Longest purpose label in [`ChannelId::new`].
pub const MAX_PURPOSE_LEN: usize = 64;
/// Longest channel identifier: `lv_cat(purpose, initiator id, responder id)`
/// with the longest purpose, 99 bytes.
pub const MAX_CI_LEN: usize = lv_len(MAX_PURPOSE_LEN) + 2 * lv_len(DeviceId::LEN);
/// Longest session id: the two nonces, 64 bytes.
pub const MAX_SID_LEN: usize = 2 * NONCE_LEN;
/// Longest associated data, ADa or ADb. HoneyLink sends none; 32 bytes leave
/// room for a version label and hold the draft's vectors (3 bytes).
pub const MAX_AD_LEN: usize = 32;

/// The generator string of the longest inputs: the first block (see
/// [`MAX_PRS_LEN`]), then the length-prefixed CI and sid.
const GENERATOR_STRING_CAP: usize = S_IN_BYTES + lv_len(MAX_CI_LEN) + lv_len(MAX_SID_LEN);
/// `lv_cat(DSI_ISK, sid, K) || transcript_ir(Ya, ADa, Yb, ADb)` of the
/// longest inputs.
const ISK_INPUT_CAP: usize = lv_len(DSI_ISK.len())
    + lv_len(MAX_SID_LEN)
    + lv_len(SHARE_LEN)
    + 2 * (lv_len(SHARE_LEN) + lv_len(MAX_AD_LEN));
/// `lv_cat(Y, AD)`, the input of a confirmation tag.
const TAG_INPUT_CAP: usize = lv_len(SHARE_LEN) + lv_len(MAX_AD_LEN);
/// Bytes of a LEB128 encoding of a `usize` (`ceil(64 / 7)`).
const LEB128_MAX: usize = 10;

// ---------------------------------------------------------------------------
// String utilities (draft appendix, "CPace function definitions")

/// Length of the LEB128 encoding of `n`.
const fn leb128_len(n: usize) -> usize {
    let mut len = 1;
    let mut rest = n >> 7;
    while rest > 0 {
        len += 1;
        rest >>= 7;
    }
    len
}

/// Length of `prepend_len(x)` for `len(x) == n`.
const fn lv_len(n: usize) -> usize {
    leb128_len(n) + n
}

/// The LEB128 encoding of a length, as `prepend_len` writes it: 7 bits a
/// byte, least significant first, bit 7 set while more follow.
struct Leb128 {
    bytes: [u8; LEB128_MAX],
    len: usize,
}

impl Leb128 {
    fn of(mut n: usize) -> Self {
        let mut bytes = [0; LEB128_MAX];
        let mut len = 0;
        for slot in &mut bytes {
            let [low, ..] = (n & 0x7f).to_le_bytes();
            n >>= 7;
            *slot = if n == 0 { low } else { low | 0x80 };
            len += 1;
            if n == 0 {
                break;
            }
        }
        Self { bytes, len }
    }

    fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&self.bytes)
    }
}

/// Sequential writes into a caller's buffer whose size was checked first,
/// so a too-small buffer is refused before anything is written.
struct Writer<'a> {
    out: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    /// `needed` is `None` when the length overflowed `usize`.
    fn new(out: &'a mut [u8], needed: Option<usize>) -> Result<Self, Error> {
        let needed = needed.ok_or(Error::BufferTooSmall { needed: usize::MAX })?;
        if out.len() < needed {
            return Err(Error::BufferTooSmall { needed });
        }
        Ok(Self { out, pos: 0 })
    }

    fn take(&mut self, n: usize) -> Result<&mut [u8], Error> {
        let start = self.pos;
        let end = start
            .checked_add(n)
            .ok_or(Error::BufferTooSmall { needed: usize::MAX })?;
        self.pos = end;
        self.out
            .get_mut(start..end)
            .ok_or(Error::BufferTooSmall { needed: end })
    }

    fn raw(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.take(bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }

    /// `prepend_len(bytes)`.
    fn field(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.raw(Leb128::of(bytes.len()).as_slice())?;
        self.raw(bytes)
    }

    /// `prepend_len(zero_bytes(n))`.
    fn zero_field(&mut self, n: usize) -> Result<(), Error> {
        self.raw(Leb128::of(n).as_slice())?;
        self.take(n)?.fill(0);
        Ok(())
    }

    fn written(&self) -> usize {
        self.pos
    }
}

/// Total length of `lv_cat` over fields of these lengths; `None` on
/// overflow.
fn lv_total(lens: &[usize]) -> Option<usize> {
    lens.iter().try_fold(0usize, |acc, &n| {
        acc.checked_add(n.checked_add(leb128_len(n))?)
    })
}

/// Total length of `lv_cat(parts)`; `None` on overflow.
fn lv_total_of(parts: &[&[u8]]) -> Option<usize> {
    parts.iter().try_fold(0usize, |acc, p| {
        acc.checked_add(p.len().checked_add(leb128_len(p.len()))?)
    })
}

/// The draft's `prepend_len(data)`: the LEB128 encoding of `data`'s length,
/// then `data`. Writes into `out`; returns the length written.
///
/// # Errors
/// [`Error::BufferTooSmall`] (nothing written) if `out` is too short.
pub fn prepend_len(data: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    lv_cat(&[data], out)
}

/// The draft's `lv_cat(a0, a1, ...)`: the concatenation of
/// `prepend_len(ai)`. Writes into `out`; returns the length written.
///
/// # Errors
/// [`Error::BufferTooSmall`] (nothing written) if `out` is too short.
pub fn lv_cat(parts: &[&[u8]], out: &mut [u8]) -> Result<usize, Error> {
    let mut w = Writer::new(out, lv_total_of(parts))?;
    for part in parts {
        w.field(part)?;
    }
    Ok(w.written())
}

/// The draft's `lexiographically_larger(a, b)`: whether `a > b` comparing
/// bytes in order, a proper prefix being the smaller. Not constant-time; it
/// orders public transcripts.
#[must_use]
pub fn lexicographically_larger(a: &[u8], b: &[u8]) -> bool {
    a > b
}

/// The draft's `o_cat(a, b)`: `b"oc"`, then the lexicographically larger of
/// `a` and `b`, then the other. Writes into `out`; returns the length
/// written.
///
/// # Errors
/// [`Error::BufferTooSmall`] (nothing written) if `out` is too short.
pub fn o_cat(a: &[u8], b: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let (first, second) = if lexicographically_larger(a, b) {
        (a, b)
    } else {
        (b, a)
    };
    let needed = a.len().checked_add(b.len()).and_then(|n| n.checked_add(2));
    let mut w = Writer::new(out, needed)?;
    w.raw(b"oc")?;
    w.raw(first)?;
    w.raw(second)?;
    Ok(w.written())
}

/// The draft's `transcript_ir(Ya, ADa, Yb, ADb)` = `lv_cat(Ya, ADa) ||
/// lv_cat(Yb, ADb)`, the transcript of initiator-responder mode (`a` is the
/// initiator). Writes into `out`; returns the length written.
///
/// # Errors
/// [`Error::BufferTooSmall`] (nothing written) if `out` is too short.
pub fn transcript_ir(
    ya: &[u8],
    ad_a: &[u8],
    yb: &[u8],
    ad_b: &[u8],
    out: &mut [u8],
) -> Result<usize, Error> {
    lv_cat(&[ya, ad_a, yb, ad_b], out)
}

/// The draft's `generator_string(DSI, PRS, CI, sid, s_in_bytes)` =
/// `lv_cat(DSI, PRS, zero_bytes(len_zpad), CI, sid)` with `len_zpad =
/// max(0, s_in_bytes - 1 - len(prepend_len(PRS)) -
/// len(prepend_len(DSI)))`. Writes into `out`; returns the length written.
///
/// The output contains the PRS: a caller's buffer holds a secret.
///
/// # Errors
/// [`Error::BufferTooSmall`] (nothing written) if `out` is too short.
pub fn generator_string(
    dsi: &[u8],
    prs: &[u8],
    ci: &[u8],
    sid: &[u8],
    s_in_bytes: usize,
    out: &mut [u8],
) -> Result<usize, Error> {
    let zpad = s_in_bytes
        .saturating_sub(1)
        .saturating_sub(lv_total(&[prs.len()]).unwrap_or(usize::MAX))
        .saturating_sub(lv_total(&[dsi.len()]).unwrap_or(usize::MAX));
    let needed = lv_total(&[dsi.len(), prs.len(), zpad, ci.len(), sid.len()]);
    let mut w = Writer::new(out, needed)?;
    w.field(dsi)?;
    w.field(prs)?;
    w.zero_field(zpad)?;
    w.field(ci)?;
    w.field(sid)?;
    Ok(w.written())
}

// ---------------------------------------------------------------------------
// Inputs

/// Up to `N` public bytes.
#[derive(Clone, Copy)]
struct Bounded<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Bounded<N> {
    fn new(src: &[u8], too_long: Error) -> Result<Self, Error> {
        let mut bytes = [0; N];
        bytes
            .get_mut(..src.len())
            .ok_or(too_long)?
            .copy_from_slice(src);
        Ok(Self {
            bytes,
            len: src.len(),
        })
    }

    fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&self.bytes)
    }
}

/// The password-related string: for PIN pairing, the PIN's six ASCII
/// digits. Zeroized on drop, redacted, not `Clone`.
pub struct Prs {
    bytes: SecretBytes<MAX_PRS_LEN>,
    len: usize,
}

impl Prs {
    /// Copies `prs`; the caller's copy is its own to wipe.
    ///
    /// # Errors
    /// [`Error::CpacePrsTooLong`] if `prs` is longer than [`MAX_PRS_LEN`].
    pub fn new(prs: &[u8]) -> Result<Self, Error> {
        let mut slot = Self::empty();
        slot.set(prs)?;
        Ok(slot)
    }

    /// An empty PRS, to be filled in place by [`Prs::set`].
    pub(crate) const fn empty() -> Self {
        Self {
            bytes: SecretBytes::zero(),
            len: 0,
        }
    }

    /// Copies `prs` into this slot (the old contents are overwritten).
    ///
    /// # Errors
    /// [`Error::CpacePrsTooLong`] (nothing changes).
    pub(crate) fn set(&mut self, prs: &[u8]) -> Result<(), Error> {
        self.bytes
            .expose_secret_mut()
            .get_mut(..prs.len())
            .ok_or(Error::CpacePrsTooLong)?
            .copy_from_slice(prs);
        self.len = prs.len();
        Ok(())
    }

    /// The PRS bytes.
    #[must_use]
    pub fn expose_secret(&self) -> &[u8] {
        let all = self.bytes.expose_secret();
        all.get(..self.len).unwrap_or(all)
    }
}

impl ZeroizeOnDrop for Prs {}

impl fmt::Debug for Prs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Prs([redacted])")
    }
}

/// The channel identifier CI. Public (device ids and a label), though CPace
/// never sends it.
#[derive(Clone, Copy)]
pub struct ChannelId(Bounded<MAX_CI_LEN>);

impl ChannelId {
    /// `lv_cat(purpose, initiator, responder)`: both identities, initiator
    /// first, as the draft recommends for initiator-responder mode.
    ///
    /// # Errors
    /// [`Error::CpaceChannelIdTooLong`] if `purpose` is longer than
    /// [`MAX_PURPOSE_LEN`].
    pub fn new(purpose: &[u8], initiator: &DeviceId, responder: &DeviceId) -> Result<Self, Error> {
        if purpose.len() > MAX_PURPOSE_LEN {
            return Err(Error::CpaceChannelIdTooLong);
        }
        let mut bytes = [0; MAX_CI_LEN];
        let len = lv_cat(
            &[purpose, initiator.as_bytes(), responder.as_bytes()],
            &mut bytes,
        )?;
        Ok(Self(Bounded { bytes, len }))
    }

    /// A CI given as bytes (the draft's vectors use their own).
    ///
    /// # Errors
    /// [`Error::CpaceChannelIdTooLong`] if `ci` is longer than
    /// [`MAX_CI_LEN`].
    pub fn from_bytes(ci: &[u8]) -> Result<Self, Error> {
        Bounded::new(ci, Error::CpaceChannelIdTooLong).map(Self)
    }

    /// The CI bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl PartialEq for ChannelId {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl Eq for ChannelId {}

impl fmt::Debug for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChannelId(")?;
        write_hex(f, self.as_bytes())?;
        f.write_str(")")
    }
}

/// The session id sid: public, never reused (each side contributes a fresh
/// nonce).
#[derive(Clone, Copy)]
pub struct SessionId(Bounded<MAX_SID_LEN>);

impl SessionId {
    /// `initiator_nonce || responder_nonce`.
    #[must_use]
    pub fn from_nonces(initiator: &[u8; NONCE_LEN], responder: &[u8; NONCE_LEN]) -> Self {
        let mut bytes = [0; MAX_SID_LEN];
        let (first, second) = bytes.split_at_mut(NONCE_LEN);
        first.copy_from_slice(initiator);
        second.copy_from_slice(responder);
        Self(Bounded {
            bytes,
            len: MAX_SID_LEN,
        })
    }

    /// A sid given as bytes (the draft's vectors use 16).
    ///
    /// # Errors
    /// [`Error::CpaceSessionIdTooLong`] if `sid` is longer than
    /// [`MAX_SID_LEN`].
    pub fn from_bytes(sid: &[u8]) -> Result<Self, Error> {
        Bounded::new(sid, Error::CpaceSessionIdTooLong).map(Self)
    }

    /// The sid bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl PartialEq for SessionId {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl Eq for SessionId {}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(")?;
        write_hex(f, self.as_bytes())?;
        f.write_str(")")
    }
}

// ---------------------------------------------------------------------------
// Group operations

/// The generator `g = G.calculate_generator(H, PRS, CI, sid)`: the
/// ristretto255 element derivation (`RistrettoPoint::from_uniform_bytes`)
/// of `SHA-512(generator_string(DSI, PRS, CI, sid, 128))`.
///
/// Secret: whoever knows it can test PIN guesses offline, so it never leaves
/// the crate (but through [`hazmat_generator`], for the draft's vectors).
/// Zeroized on drop, redacted, not `Clone`.
pub(crate) struct Generator(RistrettoPoint);

impl Generator {
    /// Computes the generator.
    ///
    /// # Errors
    /// None with inputs these types admit; [`Error::BufferTooSmall`] would
    /// mean the generator string outgrew its fixed buffer.
    pub(crate) fn calculate(prs: &Prs, ci: &ChannelId, sid: &SessionId) -> Result<Self, Error> {
        let mut generator = Self(RistrettoPoint::identity());
        generator.calculate_into(prs, ci, sid)?;
        Ok(generator)
    }

    /// Computes the generator into `self`, in place.
    fn calculate_into(&mut self, prs: &Prs, ci: &ChannelId, sid: &SessionId) -> Result<(), Error> {
        // The generator string holds the PRS: it lives in a buffer that is
        // zeroized on drop, as is its hash.
        let mut buf = SecretBytes::<GENERATOR_STRING_CAP>::zero();
        let len = generator_string(
            DSI,
            prs.expose_secret(),
            ci.as_bytes(),
            sid.as_bytes(),
            S_IN_BYTES,
            buf.expose_secret_mut(),
        )?;
        let gen_str = buf
            .expose_secret()
            .get(..len)
            .ok_or(Error::BufferTooSmall { needed: len })?;
        let mut hash = SecretBytes::<HASH_LEN>::zero();
        sha512_into(&[gen_str], hash.expose_secret_mut());
        self.0 = RistrettoPoint::from_uniform_bytes(hash.expose_secret());
        Ok(())
    }

    /// The encoded generator.
    #[cfg(feature = "hazmat-testing")]
    fn to_bytes(&self) -> [u8; SHARE_LEN] {
        self.0.compress().to_bytes()
    }
}

/// The encoded generator for a PRS, CI and sid. **Exposes the generator**,
/// which lets anyone test PIN guesses offline: compiled only with the
/// `hazmat-testing` feature, for the draft's vectors and attack tests.
///
/// # Errors
/// As the generator's computation (none with inputs these types admit).
#[cfg(feature = "hazmat-testing")]
pub fn hazmat_generator(
    prs: &Prs,
    ci: &ChannelId,
    sid: &SessionId,
) -> Result<[u8; SHARE_LEN], Error> {
    Generator::calculate(prs, ci, sid).map(|g| g.to_bytes())
}

impl Drop for Generator {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Generator([redacted])")
    }
}

/// A party's secret scalar `y`. Zeroized on drop.
struct EphemeralScalar(Scalar);

impl EphemeralScalar {
    /// An empty slot (the zero scalar, never used as is).
    const fn zero() -> Self {
        Self(Scalar::ZERO)
    }

    /// `G.sample_scalar()` as the draft recommends for ristretto255, into
    /// `self`: 32 random bytes, bits 252 to 255 cleared, read little-endian.
    /// Every such value is below the group order, so no reduction happens;
    /// the bytes are read through a reference (as the low half of a
    /// zeroized 64-byte buffer, whose wide reduction is then the identity),
    /// so no copy of them is passed by value.
    fn sample_into<R: TryCryptoRng + ?Sized>(&mut self, rng: &mut R) -> Result<(), Error> {
        let mut wide = SecretBytes::<64>::zero();
        let (low, _) = wide.expose_secret_mut().split_at_mut(32);
        fill_random(rng, low)?;
        if let Some(top) = low.last_mut() {
            *top &= 0x0f;
        }
        self.0 = Scalar::from_bytes_mod_order_wide(wide.expose_secret());
        // Zero has probability 2^-252: an RNG that yields it is broken, and
        // a zero scalar would make the share the identity.
        if self.0 == Scalar::ZERO {
            return Err(Error::Rng);
        }
        Ok(())
    }
}

impl Drop for EphemeralScalar {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// `G.scalar_mult_vfy(y, X)` with the draft's abort conditions as errors:
/// `X` must decode, and `K = y * X` must not be the identity. The scalar is
/// never zero and the group has prime order, so `K` is the identity exactly
/// when `X` is.
/// `K`'s encoding is written into `k`, which is left untouched on error.
fn scalar_mult_vfy(
    y: &EphemeralScalar,
    x: &Share,
    k: &mut SecretBytes<SHARE_LEN>,
) -> Result<(), Error> {
    let point = CompressedRistretto(x.0)
        .decompress()
        .ok_or(Error::CpaceShareInvalid)?;
    // By reference, into zeroizing slots: the product and its encoding are
    // wiped when they go out of scope, on every path.
    let mut product = Zeroizing::new(RistrettoPoint::identity());
    *product = Mul::mul(&point, &y.0);
    if product.is_identity() {
        return Err(Error::CpaceShareIdentity);
    }
    let mut encoded = Zeroizing::new(CompressedRistretto([0; SHARE_LEN]));
    *encoded = product.compress();
    k.expose_secret_mut().copy_from_slice(encoded.as_bytes());
    Ok(())
}

/// The draft's `G.scalar_mult_vfy(y, X)` on raw bytes, returning `G.I` (all
/// zeros) when `X` does not decode or the result is the identity. The scalar
/// is read little-endian and reduced.
///
/// **Exposes K**, which the draft forbids outside tests (a leaked K allows
/// offline guessing): compiled only with the `hazmat-testing` feature, for
/// the draft's `scalar_mult_vfy` vectors.
#[cfg(feature = "hazmat-testing")]
#[must_use]
pub fn hazmat_scalar_mult_vfy(y: &[u8; 32], x: &[u8; SHARE_LEN]) -> [u8; SHARE_LEN] {
    let y = EphemeralScalar(Scalar::from_bytes_mod_order(*y));
    let mut k = SecretBytes::zero();
    scalar_mult_vfy(&y, &Share(*x), &mut k).map_or([0; SHARE_LEN], |()| *k.expose_secret())
}

/// A public share `Y = y * g`, as sent: a ristretto255 encoding. Any 32
/// bytes can be wrapped; [`Party::receive`] checks them.
#[derive(Clone, Copy)]
pub struct Share([u8; SHARE_LEN]);

impl Share {
    /// Wraps 32 received bytes (checked when received, not here).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; SHARE_LEN]) -> Self {
        Self(bytes)
    }

    /// Reads a share from exactly 32 bytes.
    ///
    /// # Errors
    /// [`Error::InvalidLength`] for any other length.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        crate::wire::array_from_slice(bytes).map(Self)
    }

    /// The 32 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; SHARE_LEN] {
        &self.0
    }
}

impl PartialEq for Share {
    fn eq(&self, other: &Self) -> bool {
        ct_eq_array(&self.0, &other.0)
    }
}
impl Eq for Share {}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Share(")?;
        write_hex(f, &self.0)?;
        f.write_str(")")
    }
}

// ---------------------------------------------------------------------------
// The protocol

/// The intermediate session key ISK: `SHA-512(lv_cat(DSI_ISK, sid, K) ||
/// transcript_ir(Ya, ADa, Yb, ADb))`. Feed it to a KDF with its own label
/// before use (the draft recommends it). Zeroized on drop, redacted, not
/// `Clone`.
///
/// A slot is filled only by a successful [`Confirming::verify`]; until then
/// [`Isk::expose_secret`] refuses, so a caller that ignores a failed
/// confirmation cannot go on with a known (all-zero or stale) key.
pub struct Isk {
    bytes: SecretBytes<ISK_LEN>,
    verified: bool,
}

impl Isk {
    /// An empty slot for [`Confirming::verify`] to fill.
    #[must_use]
    pub const fn empty() -> Self {
        Self {
            bytes: SecretBytes::zero(),
            verified: false,
        }
    }

    /// The ISK bytes, once the peer's tag has verified.
    ///
    /// # Errors
    /// [`Error::CpaceConfirmationFailed`] for a slot that no successful
    /// [`Confirming::verify`] filled.
    pub const fn expose_secret(&self) -> Result<&[u8; ISK_LEN], Error> {
        if self.verified {
            Ok(self.bytes.expose_secret())
        } else {
            Err(Error::CpaceConfirmationFailed)
        }
    }
}

impl ZeroizeOnDrop for Isk {}

impl fmt::Debug for Isk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Isk([redacted])")
    }
}

/// One party's CPace run after it has computed its share, waiting for the
/// peer's. Zeroized on drop (its scalar), redacted, not `Clone`.
pub struct Party {
    role: Role,
    scalar: EphemeralScalar,
    share: Share,
    ad: Bounded<MAX_AD_LEN>,
    sid: SessionId,
}

impl Party {
    /// Starts a run: computes the generator from `prs`, `ci` and `sid`,
    /// samples the scalar from 32 bytes of `rng` and returns the state and
    /// the share to send with `ad` (the draft's ADa or ADb; HoneyLink sends
    /// `b""`). The initiator sends first; the transcript puts its share and
    /// AD first.
    ///
    /// # Errors
    /// [`Error::CpaceAssociatedDataTooLong`] if `ad` is longer than
    /// [`MAX_AD_LEN`] (checked before the RNG is used); [`Error::Rng`] if the
    /// RNG fails (or yields the zero scalar).
    pub fn start<R: TryCryptoRng + ?Sized>(
        role: Role,
        prs: &Prs,
        ci: &ChannelId,
        sid: &SessionId,
        ad: &[u8],
        rng: &mut R,
    ) -> Result<(Self, Share), Error> {
        let ad = Bounded::new(ad, Error::CpaceAssociatedDataTooLong)?;
        let generator = Generator::calculate(prs, ci, sid)?;
        let mut party = Self {
            role,
            scalar: EphemeralScalar::zero(),
            share: Share([0; SHARE_LEN]),
            ad,
            sid: *sid,
        };
        party.scalar.sample_into(rng)?;
        party.share = Share(
            Mul::mul(&generator.0, &party.scalar.0)
                .compress()
                .to_bytes(),
        );
        let share = party.share;
        Ok((party, share))
    }

    /// This party's role.
    #[must_use]
    pub const fn role(&self) -> Role {
        self.role
    }

    /// Takes the peer's share and AD: checks the share, derives the ISK and
    /// both confirmation tags. The state is consumed; on error the run is
    /// over and its secrets are zeroized.
    ///
    /// # Errors
    /// [`Error::CpaceAssociatedDataTooLong`] if `peer_ad` is longer than
    /// [`MAX_AD_LEN`]; [`Error::CpaceShareInvalid`] if `peer` is not the
    /// canonical encoding of a ristretto255 element;
    /// [`Error::CpaceShareIdentity`] if it is the identity;
    /// [`Error::CpaceShareReflected`] if it equals this party's own share.
    pub fn receive(self, peer: &Share, peer_ad: &[u8]) -> Result<Confirming, Error> {
        let peer_ad = Bounded::<MAX_AD_LEN>::new(peer_ad, Error::CpaceAssociatedDataTooLong)?;
        // A reflected share decodes and is not the identity: refuse it before
        // any scalar multiplication.
        if *peer == self.share {
            return Err(Error::CpaceShareReflected);
        }
        let mut k = SecretBytes::<SHARE_LEN>::zero();
        scalar_mult_vfy(&self.scalar, peer, &mut k)?;
        let own = (self.share.as_bytes().as_slice(), self.ad.as_slice());
        let theirs = (peer.as_bytes().as_slice(), peer_ad.as_slice());
        let ((ya, ad_a), (yb, ad_b)) = match self.role {
            Role::Initiator => (own, theirs),
            Role::Responder => (theirs, own),
        };
        let sid = self.sid.as_bytes();

        let mut input = SecretBytes::<ISK_INPUT_CAP>::zero();
        let buf = input.expose_secret_mut();
        let head = lv_cat(&[DSI_ISK, sid, k.expose_secret()], buf)?;
        let tail = transcript_ir(ya, ad_a, yb, ad_b, buf.get_mut(head..).unwrap_or_default())?;
        let end = head.saturating_add(tail);
        // Built in place: the ISK, the MAC key and the expected peer tag are
        // hashed straight into their zeroizing slots.
        let mut confirming = Confirming {
            isk: Isk::empty(),
            tag: MacTag([0; TAG_LEN]),
            peer_tag: SecretBytes::zero(),
        };
        sha512_into(
            &[input
                .expose_secret()
                .get(..end)
                .ok_or(Error::BufferTooSmall { needed: end })?],
            confirming.isk.bytes.expose_secret_mut(),
        );
        let mut mac_key = SecretBytes::<HASH_LEN>::zero();
        sha512_into(
            &[MAC_KEY_LABEL, sid, confirming.isk.bytes.expose_secret()],
            mac_key.expose_secret_mut(),
        );
        confirmation_tag(&mac_key, own, &mut confirming.tag.0)?;
        confirmation_tag(&mac_key, theirs, confirming.peer_tag.expose_secret_mut())?;
        Ok(confirming)
    }
}

impl ZeroizeOnDrop for Party {}

impl fmt::Debug for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Party")
            .field("role", &self.role)
            .field("share", &self.share)
            .field("scalar", &format_args!("[redacted]"))
            .finish_non_exhaustive()
    }
}

/// `MAC(mac_key, lv_cat(Y, AD))` with HMAC-SHA512 (draft, "Key
/// confirmation"), written into `out`.
fn confirmation_tag(
    mac_key: &SecretBytes<HASH_LEN>,
    (y, ad): (&[u8], &[u8]),
    out: &mut [u8; TAG_LEN],
) -> Result<(), Error> {
    let mut buf = [0; TAG_INPUT_CAP];
    let len = lv_cat(&[y, ad], &mut buf)?;
    let input = buf
        .get(..len)
        .ok_or(Error::BufferTooSmall { needed: len })?;
    hmac_sha512_into(mac_key.expose_secret(), &[input], out);
    Ok(())
}

/// A run that has derived its ISK and waits for the peer's confirmation
/// tag. Zeroized on drop, redacted, not `Clone`.
pub struct Confirming {
    isk: Isk,
    tag: MacTag,
    peer_tag: SecretBytes<TAG_LEN>,
}

impl Confirming {
    /// This party's confirmation tag, `MAC(mac_key, lv_cat(own share, own
    /// AD))`, to send. The initiator sends it only after [`Self::verify`]
    /// accepted the responder's; that order is the caller's to keep.
    #[must_use]
    pub const fn tag(&self) -> MacTag {
        self.tag
    }

    /// Checks the peer's tag in constant time and, if it verifies, copies
    /// the ISK into the caller's slot `isk` (left untouched otherwise).
    /// Consumed either way, and its own copy of the ISK is zeroized on drop
    /// (the ISK is copied out, not moved, so no copy is left behind unwiped).
    ///
    /// # Errors
    /// [`Error::CpaceConfirmationFailed`] if the tag is wrong: the peer used
    /// another PRS (PIN), CI, sid or transcript, or the message was altered.
    /// The slot is then emptied, and refuses to expose anything.
    pub fn verify(self, peer_tag: &MacTag, isk: &mut Isk) -> Result<(), Error> {
        if ct_eq_array(self.peer_tag.expose_secret(), &peer_tag.0) {
            isk.bytes
                .expose_secret_mut()
                .copy_from_slice(self.isk.bytes.expose_secret());
            isk.verified = true;
            Ok(())
        } else {
            // A slot reused from an earlier run must not keep its old key.
            isk.bytes.expose_secret_mut().zeroize();
            isk.verified = false;
            Err(Error::CpaceConfirmationFailed)
        }
    }
}

impl ZeroizeOnDrop for Confirming {}

impl fmt::Debug for Confirming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Confirming([redacted])")
    }
}

#[cfg(test)]
#[cfg(not(miri))]
mod drop_tests {
    use curve25519_dalek::Scalar;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
    use curve25519_dalek::ristretto::RistrettoPoint;
    use curve25519_dalek::traits::Identity;

    use super::{EphemeralScalar, Generator};

    /// Dropping the secret scalar wipes it.
    #[test]
    fn drop_wipes_the_scalar() {
        // Below the group order, so stored as these very bytes.
        let block = crate::freed_on_drop(EphemeralScalar(Scalar::from_bytes_mod_order([7; 32])));
        assert!(!block.contains(&[7; 32]), "the scalar survived");
    }

    /// Dropping the generator resets it to the identity: its memory then
    /// reads as a dropped identity's does, whatever the point was.
    #[test]
    fn drop_resets_the_generator() {
        let wiped = crate::freed_on_drop(Generator(RISTRETTO_BASEPOINT_POINT));
        let identity = crate::freed_on_drop(Generator(RistrettoPoint::identity()));
        assert_eq!(wiped.bytes(), identity.bytes());
        let kept = crate::freed_on_drop(RISTRETTO_BASEPOINT_POINT);
        assert_ne!(kept.bytes(), identity.bytes(), "the control");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    #[test]
    fn leb128_matches_the_drafts_loop() {
        for (n, expected) in [
            (0usize, &[0x00][..]),
            (1, &[0x01]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (300, &[0xac, 0x02]),
            (16_383, &[0xff, 0x7f]),
            (16_384, &[0x80, 0x80, 0x01]),
        ] {
            assert_eq!(Leb128::of(n).as_slice(), expected, "{n}");
            assert_eq!(leb128_len(n), expected.len(), "{n}");
        }
        assert_eq!(
            Leb128::of(usize::MAX).as_slice().len(),
            leb128_len(usize::MAX)
        );
    }

    /// A buffer too short for `lv_cat` is refused with the exact total
    /// and left as it was: no length prefix is written ahead of a field
    /// that does not fit.
    #[test]
    fn lv_cat_refuses_a_short_buffer_before_writing() {
        for len in [0, 1, 4, 6] {
            let mut out = [0xee_u8; 7];
            assert_eq!(
                lv_cat(&[b"abc", b"de"], &mut out[..len]),
                Err(Error::BufferTooSmall { needed: 7 }),
                "{len}"
            );
            assert_eq!(out, [0xee; 7], "{len}");
        }
        let mut out = [0u8; 7];
        assert_eq!(lv_cat(&[b"abc", b"de"], &mut out), Ok(7));
        assert_eq!(&out, b"\x03abc\x02de");
    }

    /// Strictly larger: equal strings are not, a proper prefix is smaller.
    #[test]
    fn lexicographic_order_is_strict() {
        assert!(!lexicographically_larger(b"ab", b"ab"));
        assert!(!lexicographically_larger(b"", b""));
        assert!(lexicographically_larger(b"abc", b"ab"));
        assert!(!lexicographically_larger(b"ab", b"abc"));
        assert!(lexicographically_larger(b"b", b"abc"));
    }

    /// The public CPace values compare by their bytes (length included)
    /// and print them in hex; the generator, secret, prints nothing of it.
    #[test]
    fn public_values_compare_by_bytes_and_print_them() {
        let ci = ChannelId::from_bytes(b"\x01\xab").unwrap();
        assert_eq!(ci, ChannelId::from_bytes(b"\x01\xab").unwrap());
        assert_ne!(ci, ChannelId::from_bytes(b"\x01\xac").unwrap());
        assert_ne!(ci, ChannelId::from_bytes(b"\x01\xab\x00").unwrap());
        assert_eq!(std::format!("{ci:?}"), "ChannelId(01ab)");
        let sid = SessionId::from_bytes(b"\x02\xcd").unwrap();
        assert_eq!(sid, SessionId::from_bytes(b"\x02\xcd").unwrap());
        assert_ne!(sid, SessionId::from_bytes(b"\x02\xce").unwrap());
        assert_ne!(sid, SessionId::from_bytes(b"\x02").unwrap());
        assert_eq!(std::format!("{sid:?}"), "SessionId(02cd)");
        assert_eq!(
            std::format!("{:?}", Share::from_bytes([0x5a; SHARE_LEN])),
            std::format!("Share({})", "5a".repeat(SHARE_LEN))
        );
        let prs = Prs::new(b"secret password").unwrap();
        let generator = Generator::calculate(&prs, &ci, &sid).unwrap();
        assert_eq!(std::format!("{generator:?}"), "Generator([redacted])");
    }

    #[test]
    fn capacities_are_exact() {
        // The longest inputs fill each fixed buffer exactly.
        assert_eq!(MAX_CI_LEN, 99);
        let prs = [b'9'; MAX_PRS_LEN];
        let (ci, sid) = ([1u8; MAX_CI_LEN], [2u8; MAX_SID_LEN]);
        let mut buf = [0u8; GENERATOR_STRING_CAP + 1];
        let len = generator_string(DSI, &prs, &ci, &sid, S_IN_BYTES, &mut buf).unwrap();
        assert_eq!(len, GENERATOR_STRING_CAP);
        // For every PRS length up to the maximum, the first block is 128
        // bytes: the hashed length does not depend on the PIN.
        for n in 0..=MAX_PRS_LEN {
            let len = generator_string(DSI, &prs[..n], b"", b"", S_IN_BYTES, &mut buf).unwrap();
            assert_eq!(len, S_IN_BYTES + 2, "PRS of {n} bytes");
        }
        let (y, ad) = ([3u8; SHARE_LEN], [4u8; MAX_AD_LEN]);
        let mut buf = [0u8; ISK_INPUT_CAP + 1];
        let head = lv_cat(&[DSI_ISK, &sid, &y], &mut buf).unwrap();
        let tail = transcript_ir(&y, &ad, &y, &ad, &mut buf[head..]).unwrap();
        assert_eq!(head + tail, ISK_INPUT_CAP);
        assert_eq!(lv_cat(&[&y, &ad], &mut buf).unwrap(), TAG_INPUT_CAP);
    }

    #[test]
    fn scalar_sampling_clears_the_top_four_bits() {
        let mut script = [0xffu8; 32];
        let mut s = EphemeralScalar::zero();
        s.sample_into(&mut crate::testing::ScriptedRng::new(&script))
            .unwrap();
        script[31] = 0x0f;
        assert_eq!(s.0.to_bytes(), script);
        let mut zero_after_mask = [0u8; 32];
        zero_after_mask[31] = 0xf0;
        assert!(matches!(
            EphemeralScalar::zero()
                .sample_into(&mut crate::testing::ScriptedRng::new(&zero_after_mask)),
            Err(Error::Rng)
        ));
    }

    /// K goes into the caller's zeroizing slot, and only when it is valid:
    /// an identity share leaves the slot as it was.
    #[test]
    fn k_is_written_in_place_and_only_when_valid() {
        let mut y = EphemeralScalar::zero();
        y.sample_into(&mut crate::testing::SeededRng::new([7; 32]))
            .unwrap();
        let mut k = SecretBytes::<SHARE_LEN>::zero();
        assert_eq!(
            scalar_mult_vfy(&y, &Share([0; SHARE_LEN]), &mut k),
            Err(Error::CpaceShareIdentity)
        );
        assert_eq!(k.expose_secret(), &[0; SHARE_LEN]);
        let base = Share(
            curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT
                .compress()
                .to_bytes(),
        );
        scalar_mult_vfy(&y, &base, &mut k).unwrap();
        let expected = Mul::mul(
            &curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
            &y.0,
        );
        assert_eq!(k.expose_secret(), expected.compress().as_bytes());
    }

    /// The ISK is copied into the caller's slot, only on a verified tag.
    #[test]
    fn verify_fills_the_callers_isk_slot_only_on_success() {
        let mut rng = crate::testing::SeededRng::new([8; 32]);
        let ids = (DeviceId::from_bytes([1; 16]), DeviceId::from_bytes([2; 16]));
        let ci = ChannelId::new(b"t", &ids.0, &ids.1).unwrap();
        let sid = SessionId::from_nonces(&[3; 32], &[4; 32]);
        let prs = Prs::new(b"123456").unwrap();
        let (a, ya) = Party::start(Role::Initiator, &prs, &ci, &sid, b"", &mut rng).unwrap();
        let (b, yb) = Party::start(Role::Responder, &prs, &ci, &sid, b"", &mut rng).unwrap();
        let (a, b) = (a.receive(&yb, b"").unwrap(), b.receive(&ya, b"").unwrap());
        let ta = a.tag();
        let mut isk = Isk::empty();
        assert_eq!(
            isk.expose_secret(),
            Err(Error::CpaceConfirmationFailed),
            "an empty slot exposes nothing"
        );
        assert_eq!(a.verify(&ta, &mut isk), Err(Error::CpaceConfirmationFailed));
        assert_eq!(
            isk.expose_secret(),
            Err(Error::CpaceConfirmationFailed),
            "a failed check leaves no usable key"
        );
        b.verify(&ta, &mut isk).unwrap();
        let key = *isk.expose_secret().unwrap();
        assert_ne!(key, [0; ISK_LEN]);
    }

    /// Review finding: a slot reused after a failed check must not keep the
    /// earlier run's key for a caller that ignores the error.
    #[test]
    fn a_failed_check_empties_a_reused_slot() {
        let mut rng = crate::testing::SeededRng::new([9; 32]);
        let ids = (DeviceId::from_bytes([1; 16]), DeviceId::from_bytes([2; 16]));
        let ci = ChannelId::new(b"t", &ids.0, &ids.1).unwrap();
        let sid = SessionId::from_nonces(&[3; 32], &[4; 32]);
        let prs = Prs::new(b"123456").unwrap();
        let mut isk = Isk::empty();
        for round in 0..2 {
            let (a, ya) = Party::start(Role::Initiator, &prs, &ci, &sid, b"", &mut rng).unwrap();
            let (b, yb) = Party::start(Role::Responder, &prs, &ci, &sid, b"", &mut rng).unwrap();
            let (a, b) = (a.receive(&yb, b"").unwrap(), b.receive(&ya, b"").unwrap());
            if round == 0 {
                b.verify(&a.tag(), &mut isk).unwrap();
                assert!(isk.expose_secret().is_ok());
            } else {
                let wrong = a.tag();
                assert!(a.verify(&wrong, &mut isk).is_err());
                assert_eq!(isk.expose_secret(), Err(Error::CpaceConfirmationFailed));
            }
        }
    }
}
