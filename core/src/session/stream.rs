//! Stream mode: ordered, reliable transports.

use core::fmt;

use crate::Error;
use crate::noise::{CipherState, HandshakeOutcome, TAG_LEN};

use super::MAX_RECORD_LEN;

/// Records per key in stream mode: after this many records in one direction
/// both sides apply Noise's `REKEY` to that direction's key, in step, with no
/// signalling. 65,536 records bound what one key ever protects (at most
/// 4 GiB at the largest record size) at the cost of one ChaCha20 block per
/// rekey.
pub const STREAM_REKEY_INTERVAL: u64 = 1 << 16;

/// A transport session over an ordered, reliable byte stream (TCP).
///
/// Records are `ciphertext || tag` with Noise's implicit nonces, at most
/// [`MAX_RECORD_LEN`] bytes. Each direction rekeys every `REKEY` records
/// ([`STREAM_REKEY_INTERVAL`] unless a test picks a small one). A record that
/// fails to open leaves the session exactly as it was; over a reliable stream
/// the caller should still close the connection, since the peer and this side
/// are out of step or under attack.
pub struct StreamSession<const REKEY: u64 = STREAM_REKEY_INTERVAL> {
    send: CipherState,
    receive: CipherState,
}

impl<const REKEY: u64> StreamSession<REKEY> {
    const VALID: () = assert!(REKEY > 0, "the rekey interval must be positive");

    /// Bytes a record adds to its plaintext ([`super::STREAM_OVERHEAD`]).
    pub const OVERHEAD: usize = super::STREAM_OVERHEAD;

    /// A session from a completed handshake's cipher states.
    #[must_use]
    pub fn new(outcome: HandshakeOutcome) -> Self {
        let () = Self::VALID;
        let outcome = outcome.into_cipher_states();
        Self {
            send: outcome.0,
            receive: outcome.1,
        }
    }

    /// A session from two cipher states (their nonces are kept).
    #[must_use]
    pub const fn from_cipher_states(send: CipherState, receive: CipherState) -> Self {
        let () = Self::VALID;
        Self { send, receive }
    }

    /// Records sealed so far (the next sending nonce).
    #[must_use]
    pub const fn sent(&self) -> u64 {
        self.send.nonce()
    }

    /// Records opened so far (the next receiving nonce).
    #[must_use]
    pub const fn received(&self) -> u64 {
        self.receive.nonce()
    }

    /// Seals `buffer[..plaintext_len]` in place, appending the tag; returns
    /// the record's length.
    ///
    /// # Errors
    /// [`Error::MessageTooLong`] beyond [`MAX_RECORD_LEN`];
    /// [`Error::BufferTooSmall`] if the tag does not fit;
    /// [`Error::NonceExhausted`] at the end of the counter. Nothing changes
    /// on error.
    pub fn seal_in_place(
        &mut self,
        buffer: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize, Error> {
        if plaintext_len > MAX_RECORD_LEN - TAG_LEN {
            return Err(Error::MessageTooLong);
        }
        let len = self.send.encrypt_in_place(&[], buffer, plaintext_len)?;
        if self.send.nonce().is_multiple_of(REKEY) {
            self.send.rekey();
        }
        Ok(len)
    }

    /// Opens a record in place; returns the plaintext, a prefix of `record`.
    ///
    /// # Errors
    /// [`Error::MessageTooLong`], [`Error::RecordTooShort`],
    /// [`Error::NonceExhausted`], or the opaque [`Error::Aead`]. The session is
    /// unchanged on error.
    pub fn open_in_place<'r>(&mut self, record: &'r mut [u8]) -> Result<&'r mut [u8], Error> {
        if record.len() > MAX_RECORD_LEN {
            return Err(Error::MessageTooLong);
        }
        if record.len() < TAG_LEN {
            return Err(Error::RecordTooShort);
        }
        let len = self.receive.decrypt_in_place(&[], record)?;
        if self.receive.nonce().is_multiple_of(REKEY) {
            self.receive.rekey();
        }
        record.get_mut(..len).ok_or(Error::RecordTooShort)
    }
}

#[cfg(feature = "hazmat-testing")]
impl<const REKEY: u64> StreamSession<REKEY> {
    /// A digest of the whole state, keys included, so tests can show that a
    /// rejected record changed nothing at all. Testing only.
    #[must_use]
    pub fn hazmat_state_digest(&self) -> [u8; 64] {
        let (send, receive) = (
            self.send.hazmat_key_bytes(),
            self.receive.hazmat_key_bytes(),
        );
        crate::crypto::hash::sha512(&[
            &send,
            &self.send.nonce().to_le_bytes(),
            &receive,
            &self.receive.nonce().to_le_bytes(),
        ])
    }
}

impl<const REKEY: u64> fmt::Debug for StreamSession<REKEY> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamSession")
            .field("rekey_interval", &REKEY)
            .field("sent", &self.sent())
            .field("received", &self.received())
            .field("keys", &"[redacted]")
            .finish()
    }
}
