//! Appending records: the writer keeps only the chain's head.

use super::Event;
use super::record::{Body, DOMAIN, VERSION, rotation_statement, sign_into};
use crate::Error;
use crate::crypto::ed25519::{SigningKey, VerifyingKey};
use crate::crypto::hash::{HASH_LEN, sha512};
use crate::identity::DeviceId;
use crate::wire::FixedBytes;

/// The chain's head: the last record's sequence number and hash. Kept
/// elsewhere (another device, a backup), it lets a verifier detect a
/// truncated tail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainHead {
    /// Sequence number of the last record.
    pub seq: u64,
    /// SHA-512 of the last record's signed bytes.
    pub hash: [u8; HASH_LEN],
}

/// Appends signed records to a chain, in constant memory: the next sequence
/// number, the head's hash, and the current signing key's public half.
#[derive(Debug)]
pub struct AuditWriter {
    next_seq: u64,
    head_hash: [u8; HASH_LEN],
    signer: VerifyingKey,
}

impl AuditWriter {
    /// Starts a chain: writes record 0 ([`Event::Genesis`]) into `out` and
    /// returns the writer and the record's length.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`].
    pub fn genesis(
        key: &SigningKey,
        device_id: DeviceId,
        now: u64,
        out: &mut [u8],
    ) -> Result<(Self, usize), Error> {
        let signer = key.verifying_key();
        let mut writer = Self {
            next_seq: 0,
            head_hash: [0; HASH_LEN],
            signer,
        };
        let event = Event::Genesis {
            device_id,
            signing_key: *signer.as_bytes(),
        };
        let len = writer.write(key, now, event, out)?;
        Ok((writer, len))
    }

    /// Continues a chain from its head and its current signing key (the host
    /// reads both back after a restart).
    ///
    /// # Errors
    /// [`Error::NonceExhausted`] for a head numbered 2^64 - 1: no writer
    /// numbers a record so (see [`AuditWriter::append`]), no verifier
    /// accepts one, and a writer resumed there could neither number the
    /// next record nor report its head truthfully.
    pub const fn resume(head: ChainHead, signer: VerifyingKey) -> Result<Self, Error> {
        match head.seq.checked_add(1) {
            Some(next_seq) => Ok(Self {
                next_seq,
                head_hash: head.hash,
                signer,
            }),
            None => Err(Error::NonceExhausted),
        }
    }

    /// The head after the last record written.
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] before any record (a writer always starts with
    /// one, so this does not happen in practice).
    pub fn head(&self) -> Result<ChainHead, Error> {
        Ok(ChainHead {
            seq: self.next_seq.checked_sub(1).ok_or(Error::OutOfOrder)?,
            hash: self.head_hash,
        })
    }

    /// Appends `event`, signed with `key`, into `out`; returns its length.
    ///
    /// # Errors
    /// [`Error::WrongSigningKey`] if `key` is not the chain's current key;
    /// [`Error::ReservedEvent`] for [`Event::Genesis`] and
    /// [`Event::SigningKeyRotation`], which have their own methods;
    /// [`Error::BufferTooSmall`]; [`Error::NonceExhausted`] for the record
    /// that would be numbered 2^64 - 1 (the writer could not number the one
    /// after it, so its last record is numbered 2^64 - 2). Nothing changes
    /// on error.
    pub fn append(
        &mut self,
        key: &SigningKey,
        now: u64,
        event: Event,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if matches!(
            event,
            Event::Genesis { .. } | Event::SigningKeyRotation { .. }
        ) {
            return Err(Error::ReservedEvent);
        }
        self.write(key, now, event, out)
    }

    /// Rotates the chain's signing key: writes a record signed by `old` that
    /// names `new` and carries `new`'s proof of possession. Later records must
    /// be signed by `new`.
    ///
    /// # Errors
    /// [`Error::WrongSigningKey`] if `old` is not the chain's current key;
    /// [`Error::BufferTooSmall`]; [`Error::NonceExhausted`] as for
    /// [`AuditWriter::append`]. Nothing changes on error.
    pub fn rotate_signing_key(
        &mut self,
        old: &SigningKey,
        new: &SigningKey,
        now: u64,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let new_public = new.verifying_key();
        let statement = rotation_statement(
            self.next_seq,
            &self.head_hash,
            old.verifying_key().as_bytes(),
            new_public.as_bytes(),
        );
        let event = Event::SigningKeyRotation {
            new_key: *new_public.as_bytes(),
            proof: FixedBytes(new.sign(&statement).to_bytes()),
        };
        let len = self.write(old, now, event, out)?;
        self.signer = new_public;
        Ok(len)
    }

    fn write(
        &mut self,
        key: &SigningKey,
        now: u64,
        event: Event,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if key.verifying_key() != self.signer {
            return Err(Error::WrongSigningKey);
        }
        let body = Body {
            domain: DOMAIN,
            version: VERSION,
            seq: self.next_seq,
            time: now,
            prev_hash: FixedBytes(self.head_hash),
            signer: *self.signer.as_bytes(),
            event,
        };
        let next_seq = self.next_seq.checked_add(1).ok_or(Error::NonceExhausted)?;
        let len = sign_into(&body, key, out)?;
        self.head_hash = sha512(&[out.get(..len).unwrap_or(&[])]);
        self.next_seq = next_seq;
        Ok(len)
    }
}
