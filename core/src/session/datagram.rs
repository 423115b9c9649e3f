//! Datagram mode: lossy, reordered transports.

use core::fmt;

use crate::Error;
use crate::crypto::aead::{AeadKey, TAG_LEN, Tag};
use crate::noise::{CipherState, HandshakeOutcome};

use super::MAX_RECORD_LEN;
use super::window::{ReplayWindow, Verdict};

/// Default epoch length `L`: each key protects 65,536 counters, then both
/// sides move to `REKEY(key)` with no signalling.
pub const DEFAULT_EPOCH_LEN: u64 = 1 << 16;

/// Length of a record's counter header.
const HEADER_LEN: usize = 8;

/// A transport session over a lossy, reordering datagram transport (BLE,
/// UDP).
///
/// A record is the 8-byte big-endian counter, then ciphertext and tag; the
/// counter is the nonce (Noise's ChaChaPoly encoding). The receiver:
///
/// 1. refuses, before any cryptography, a counter that is replayed, older
///    than the [`ReplayWindow`], or more than one epoch ahead of its current
///    key (so a forged counter costs nothing, however far it points);
/// 2. picks the key of the record's epoch `counter / L`: the current key, the
///    previous one, or the next one derived into a temporary;
/// 3. only if the tag verifies, commits: the window, and on an epoch change
///    the key rotation (previous = current, current = next).
///
/// The previous key is zeroized as soon as the window no longer reaches into
/// its epoch. `L` is a const generic (default [`DEFAULT_EPOCH_LEN`]) so tests
/// can use a small one; it must be at least [`ReplayWindow::SIZE`], so the
/// window spans at most two epochs. A rejected record leaves the session
/// exactly as it was.
pub struct DatagramSession<const L: u64 = DEFAULT_EPOCH_LEN> {
    send_key: AeadKey,
    send_counter: u64,
    receive_key: AeadKey,
    previous_key: Option<AeadKey>,
    receive_epoch: u64,
    window: ReplayWindow,
}

impl<const L: u64> DatagramSession<L> {
    const VALID: () = assert!(
        L >= ReplayWindow::SIZE,
        "the epoch must be at least as long as the replay window"
    );

    /// Bytes before the ciphertext.
    pub const HEADER_LEN: usize = HEADER_LEN;
    /// Bytes a record adds to its plaintext ([`super::DATAGRAM_OVERHEAD`]).
    pub const OVERHEAD: usize = super::DATAGRAM_OVERHEAD;

    /// A session from a completed handshake's cipher states.
    #[must_use]
    pub fn new(outcome: HandshakeOutcome) -> Self {
        let (send, receive) = outcome.into_cipher_states();
        Self::unused(send, receive)
    }

    /// A session from two cipher states that have never been used.
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] if either has a nonzero nonce: its key has
    /// already protected messages, and restarting the counters at zero would
    /// reuse nonces (and accept replays of what it received).
    pub fn from_cipher_states(send: CipherState, receive: CipherState) -> Result<Self, Error> {
        if send.nonce() != 0 || receive.nonce() != 0 {
            return Err(Error::OutOfOrder);
        }
        Ok(Self::unused(send, receive))
    }

    fn unused(send: CipherState, receive: CipherState) -> Self {
        let () = Self::VALID;
        Self {
            send_key: send.into_key(),
            send_counter: 0,
            receive_key: receive.into_key(),
            previous_key: None,
            receive_epoch: 0,
            window: ReplayWindow::new(),
        }
    }

    /// Sets the sending counter and its matching key together, for tests that
    /// must reach the end of the counter honestly: `key` is taken as the key
    /// of epoch `counter / L`.
    #[cfg(feature = "hazmat-testing")]
    #[must_use]
    pub fn hazmat_with_send_counter(mut self, key: AeadKey, counter: u64) -> Self {
        self.send_key = key;
        self.send_counter = counter;
        self
    }

    /// The counter the next sealed record will carry.
    #[must_use]
    pub const fn send_counter(&self) -> u64 {
        self.send_counter
    }

    /// The epoch of the current receiving key.
    #[must_use]
    pub const fn receive_epoch(&self) -> u64 {
        self.receive_epoch
    }

    /// Whether the previous epoch's key is still held.
    #[must_use]
    pub const fn holds_previous_key(&self) -> bool {
        self.previous_key.is_some()
    }

    /// The replay window.
    #[must_use]
    pub const fn window(&self) -> &ReplayWindow {
        &self.window
    }

    /// Seals a record in place. The caller writes the plaintext at
    /// `buffer[HEADER_LEN..HEADER_LEN + plaintext_len]`; this writes the
    /// counter before it and the tag after it, and returns the record's
    /// length.
    ///
    /// Speed: the cipher's vector code runs fastest when the plaintext
    /// (`buffer[HEADER_LEN..]`) starts on a 64-byte boundary; a buffer that
    /// starts on one instead costs about 2% at 1 KiB (`BENCHMARKS.md`).
    ///
    /// # Errors
    /// [`Error::MessageTooLong`], [`Error::BufferTooSmall`], or
    /// [`Error::NonceExhausted`] once the counter reaches `2^64 - 1` (never
    /// wraps). Nothing changes on error.
    pub fn seal_in_place(
        &mut self,
        buffer: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize, Error> {
        if plaintext_len > MAX_RECORD_LEN - Self::OVERHEAD {
            return Err(Error::MessageTooLong);
        }
        let len = plaintext_len + Self::OVERHEAD;
        let record = buffer
            .get_mut(..len)
            .ok_or(Error::BufferTooSmall { needed: len })?;
        let counter = self.send_counter;
        if counter == u64::MAX {
            return Err(Error::NonceExhausted);
        }
        let (header, rest) = record.split_at_mut(HEADER_LEN);
        let (text, tag_out) = rest.split_at_mut(plaintext_len);
        header.copy_from_slice(&counter.to_be_bytes());
        let tag = self
            .send_key
            .seal_in_place(&CipherState::encode_nonce(counter), &[], text)?;
        tag_out.copy_from_slice(&tag.0);
        self.send_counter = counter + 1;
        if self.send_counter.is_multiple_of(L) {
            self.send_key = crate::noise::rekey(&self.send_key);
        }
        Ok(len)
    }

    /// Opens a record in place; returns its counter and plaintext (a slice of
    /// `record`).
    ///
    /// # Errors
    /// [`Error::RecordTooShort`], [`Error::MessageTooLong`],
    /// [`Error::NonceExhausted`] (counter `2^64 - 1`), [`Error::Replayed`],
    /// [`Error::TooOld`], [`Error::TooFarAhead`], or the opaque
    /// [`Error::Aead`]. The session is unchanged on every error.
    ///
    /// [`Error::TooFarAhead`] also means a peer sent more than `L` records in
    /// a row that all got lost: the receiver cannot follow the key that far
    /// without signalling, so the host should treat a run of them as the end
    /// of the session and handshake again.
    pub fn open_in_place<'r>(
        &mut self,
        record: &'r mut [u8],
    ) -> Result<(u64, &'r mut [u8]), Error> {
        if record.len() > MAX_RECORD_LEN {
            return Err(Error::MessageTooLong);
        }
        if record.len() < Self::OVERHEAD {
            return Err(Error::RecordTooShort);
        }
        let (header, rest) = record.split_at_mut(HEADER_LEN);
        let mut counter_bytes = [0u8; HEADER_LEN];
        counter_bytes.copy_from_slice(header);
        let counter = u64::from_be_bytes(counter_bytes);
        if counter == u64::MAX {
            return Err(Error::NonceExhausted);
        }
        match self.window.check(counter) {
            Verdict::Fresh => {}
            Verdict::Replayed => return Err(Error::Replayed),
            Verdict::TooOld => return Err(Error::TooOld),
        }
        let epoch = counter / L;
        let plaintext_len = rest.len() - TAG_LEN;
        let (text, tag_bytes) = rest.split_at_mut(plaintext_len);
        let mut tag = Tag([0; TAG_LEN]);
        tag.0.copy_from_slice(tag_bytes);
        let nonce = CipherState::encode_nonce(counter);

        if epoch == self.receive_epoch {
            self.receive_key.open_in_place(&nonce, &[], text, &tag)?;
        } else if epoch.checked_add(1) == Some(self.receive_epoch) {
            // The previous epoch, while the window still reaches into it
            // (the window check above already refused anything older).
            let previous = self.previous_key.as_ref().ok_or(Error::TooOld)?;
            previous.open_in_place(&nonce, &[], text, &tag)?;
        } else if self.receive_epoch.checked_add(1) == Some(epoch) {
            // The next epoch: derive its key into a temporary and commit the
            // rotation only once the tag has verified.
            let next = crate::noise::rekey(&self.receive_key);
            next.open_in_place(&nonce, &[], text, &tag)?;
            self.previous_key = Some(core::mem::replace(&mut self.receive_key, next));
            self.receive_epoch = epoch;
        } else if epoch > self.receive_epoch {
            return Err(Error::TooFarAhead);
        } else {
            return Err(Error::TooOld);
        }
        self.window.commit(counter);
        // Once the window has left the previous epoch, its key goes.
        if self.window.lowest_acceptable() / L >= self.receive_epoch {
            self.previous_key = None;
        }
        Ok((counter, text))
    }
}

#[cfg(feature = "hazmat-testing")]
impl<const L: u64> DatagramSession<L> {
    /// A digest of the whole state, keys included, so tests can show that a
    /// rejected record changed nothing at all. Testing only.
    #[must_use]
    pub fn hazmat_state_digest(&self) -> [u8; 64] {
        let previous = self
            .previous_key
            .as_ref()
            .map_or([0u8; 32], |k| *k.expose_secret());
        crate::crypto::hash::sha512(&[
            self.send_key.expose_secret(),
            &self.send_counter.to_le_bytes(),
            self.receive_key.expose_secret(),
            &[u8::from(self.previous_key.is_some())],
            &previous,
            &self.receive_epoch.to_le_bytes(),
            &self.window.hazmat_bytes(),
        ])
    }
}

impl<const L: u64> fmt::Debug for DatagramSession<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatagramSession")
            .field("epoch_len", &L)
            .field("send_counter", &self.send_counter)
            .field("receive_epoch", &self.receive_epoch)
            .field("holds_previous_key", &self.previous_key.is_some())
            .field("window", &self.window)
            .field("keys", &"[redacted]")
            .finish()
    }
}
