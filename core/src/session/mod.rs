//! Sessions between paired devices: [`SessionInitiator`] and
//! [`SessionResponder`] run the Noise XX handshake with HoneyLink's session
//! payloads and the trust decision; then transport sessions, allocation-free,
//! seal and open records in place over the caller's buffers.
//!
//! A responder reveals its static key and its stable id to any prober that
//! sends a message 1 (the crate docs' "Privacy" section says what this
//! exposes and why moving the id would not help); an initiator reveals
//! its own only to a responder it trusts.
//!
//! - [`StreamSession`] for ordered, reliable transports (TCP): Noise's
//!   implicit nonces, a record is ciphertext then tag, and both sides rekey
//!   (Noise's `REKEY`) every [`STREAM_REKEY_INTERVAL`] records in step, with
//!   no signalling. The host adds a 2-byte length prefix.
//! - [`DatagramSession`] for lossy, reordered transports (BLE, UDP): each
//!   record carries its 8-byte big-endian counter, which is the nonce; a
//!   sliding window ([`ReplayWindow`], in the manner of RFC 6479) accepts each
//!   counter at most once over the last [`ReplayWindow::SIZE`] counters; keys
//!   rotate by epoch (counter / `L`) with no signalling.
//!
//! Both refuse to seal at the end of the counter (never wrap, never reuse a
//! nonce; `2^64 - 1` is Noise's reserved nonce), and a rejected record leaves
//! the session exactly as it was. States are zeroized on drop and their
//! `Debug` shows counters, never keys.

mod datagram;
mod establish;
mod stream;
mod window;

pub use datagram::{DEFAULT_EPOCH_LEN, DatagramSession};
pub use establish::{PeerVerdict, SessionEnd, SessionInitiator, SessionResponder};
pub use stream::{STREAM_REKEY_INTERVAL, StreamSession};
pub use window::ReplayWindow;

/// Largest record, in bytes, in either mode (Noise's message limit).
pub const MAX_RECORD_LEN: usize = crate::noise::MAX_MESSAGE_LEN;

/// Bytes a stream record adds to its plaintext (the tag).
pub const STREAM_OVERHEAD: usize = crate::noise::TAG_LEN;

/// Bytes a datagram record adds to its plaintext (the 8-byte counter, then
/// the tag); the plaintext starts at offset 8.
pub const DATAGRAM_OVERHEAD: usize = 8 + crate::noise::TAG_LEN;
