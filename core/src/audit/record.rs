//! The canonical bytes of a record: a postcard body, then its signature.

use serde::{Deserialize, Serialize};

use super::Event;
use crate::Error;
use crate::crypto::ed25519::{self, Signature, SigningKey, VerifyingKey};
use crate::crypto::hash::{HASH_LEN, sha512};
use crate::wire::FixedBytes;

/// The first bytes of every record body: only audit records start with them,
/// so the signing key's signature over a body cannot be replayed as anything
/// else.
pub(crate) const DOMAIN: [u8; 8] = *b"HLaudit\0";
/// The record format version.
pub(crate) const VERSION: u8 = 1;

/// Upper bound on a signed record's length, in bytes (the largest event with
/// the largest varints, then the signature); writers size buffers with it.
pub const MAX_RECORD_LEN: usize = 320;

#[derive(Serialize, Deserialize)]
pub(crate) struct Body {
    pub(crate) domain: [u8; 8],
    pub(crate) version: u8,
    pub(crate) seq: u64,
    pub(crate) time: u64,
    pub(crate) prev_hash: FixedBytes<HASH_LEN>,
    pub(crate) signer: [u8; ed25519::KEY_LEN],
    pub(crate) event: Event,
}

/// A decoded, not yet verified record, borrowed from its signed bytes.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// Position in the chain, from 0.
    pub seq: u64,
    /// When it was written, by the writer's clock (seconds).
    pub time: u64,
    /// SHA-512 of the previous record's signed bytes (zeros for record 0).
    pub prev_hash: [u8; HASH_LEN],
    /// The Ed25519 key that claims to have signed it.
    pub signer: [u8; ed25519::KEY_LEN],
    /// What happened.
    pub event: Event,
    /// The body bytes the signature covers.
    pub(crate) body: &'a [u8],
    /// The signature.
    pub(crate) signature: [u8; ed25519::SIGNATURE_LEN],
    /// SHA-512 of the whole signed record.
    pub hash: [u8; HASH_LEN],
}

impl<'a> Record<'a> {
    /// Decodes signed record bytes strictly: a body in its one canonical
    /// encoding, then exactly a 64-byte signature. Does not verify.
    ///
    /// # Errors
    /// [`Error::InputTooLong`] beyond [`MAX_RECORD_LEN`];
    /// [`Error::UnknownVersion`]; [`Error::Malformed`];
    /// [`Error::TrailingBytes`].
    pub fn decode(signed: &'a [u8]) -> Result<Self, Error> {
        if signed.len() > MAX_RECORD_LEN {
            return Err(Error::InputTooLong {
                max: MAX_RECORD_LEN,
            });
        }
        let body_len = signed
            .len()
            .checked_sub(ed25519::SIGNATURE_LEN)
            .ok_or(Error::Malformed)?;
        let (body, signature) = signed.split_at(body_len);
        crate::wire::check_header(body, &DOMAIN, VERSION)?;
        let decoded: Body = crate::wire::decode_exact(body)?;
        let signature: [u8; ed25519::SIGNATURE_LEN] = crate::wire::array_from_slice(signature)?;
        Ok(Self {
            seq: decoded.seq,
            time: decoded.time,
            prev_hash: decoded.prev_hash.0,
            signer: decoded.signer,
            event: decoded.event,
            body,
            signature,
            hash: sha512(&[signed]),
        })
    }

    /// Checks the signature strictly under `key`.
    ///
    /// # Errors
    /// [`Error::MalformedSignature`] or [`Error::SignatureInvalid`].
    pub fn verify_signature(&self, key: &VerifyingKey) -> Result<(), Error> {
        key.verify(self.body, &Signature::from_bytes(&self.signature)?)
    }
}

/// Encodes and signs a body into `out`; returns the signed length.
pub(crate) fn sign_into(body: &Body, key: &SigningKey, out: &mut [u8]) -> Result<usize, Error> {
    let body_len = postcard::to_slice(body, out)
        .map_err(|_| Error::BufferTooSmall {
            needed: MAX_RECORD_LEN,
        })?
        .len();
    let (body_bytes, rest) = out.split_at_mut(body_len);
    let signature = key.sign(body_bytes).to_bytes();
    rest.get_mut(..ed25519::SIGNATURE_LEN)
        .ok_or(Error::BufferTooSmall {
            needed: body_len + ed25519::SIGNATURE_LEN,
        })?
        .copy_from_slice(&signature);
    Ok(body_len + ed25519::SIGNATURE_LEN)
}

/// The message a new signing key signs to prove possession at a rotation:
/// a label, the rotation record's position, and both keys.
pub(crate) fn rotation_statement(
    seq: u64,
    prev_hash: &[u8; HASH_LEN],
    old: &[u8; ed25519::KEY_LEN],
    new: &[u8; ed25519::KEY_LEN],
) -> [u8; 32 + 8 + HASH_LEN + 2 * ed25519::KEY_LEN] {
    const LABEL: &[u8; 32] = b"HoneyLink audit key rotation v1\0";
    let mut out = [0u8; 32 + 8 + HASH_LEN + 2 * ed25519::KEY_LEN];
    let parts: [&[u8]; 5] = [LABEL, &seq.to_be_bytes(), prev_hash, old, new];
    let mut rest: &mut [u8] = &mut out;
    for part in parts {
        let (head, tail) = rest.split_at_mut(part.len());
        head.copy_from_slice(part);
        rest = tail;
    }
    out
}
