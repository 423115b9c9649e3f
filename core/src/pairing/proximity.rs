//! QR and NFC pairing (spec 4.1, 4.3) over XXpsk2: the device that shows the
//! code (or writes the tag) responds, the one that scans initiates.

use rand_core::TryCryptoRng;

use super::payload::{ExpiryClock, PairingPayload, TransportHint};
use super::run::{self, LocalDevice, RunId};
use super::{MAX_PAIRING_MESSAGE_LEN, PairingMethod, PendingPeer};
use crate::Error;
use crate::crypto::x25519::{KEY_LEN, StaticPublicKey};
use crate::noise::{HandshakeOutcome, HandshakeState, Prologue, Protocol, Role};

/// How long the creator waits for a valid message 3 after answering a
/// message 1, by its own clock. A run older than this is dropped without
/// using up the payload, and a new message 1 may replace it, so whoever
/// sends a valid message 1 (someone who saw the code) holds the payload for
/// at most this long. A recorded message 1 sent again is refused
/// ([`MAX_RUNS_PER_PAYLOAD`]), so a replay cannot hold it at all.
pub const RUN_TIMEOUT_SECS: u64 = 30;

/// How many runs one payload answers. The creator remembers the ephemeral
/// key of every message 1 it answered (in a fixed table of this many
/// entries) and refuses a message 1 that repeats one with
/// [`Error::Replayed`]. Once the table is full, further message 1s are
/// refused with [`Error::PayloadExhausted`] (the run in progress, if any,
/// may still finish): the user shows a new code. Eight runs in a payload's
/// at most 300 seconds leave room for a person's retries; only someone who
/// saw the code can make a fresh message 1, so only they can use runs up.
pub const MAX_RUNS_PER_PAYLOAD: usize = 8;

/// Clock skew the scanner allows before warning that a wall-clock expiry
/// looks past.
pub const CLOCK_SKEW_SECS: u64 = 60;

fn check_method(method: PairingMethod) -> Result<(), Error> {
    match method {
        PairingMethod::Qr | PairingMethod::Nfc => Ok(()),
        PairingMethod::Pin => Err(Error::ModeMismatch),
    }
}

fn handshake_for<'a, R: TryCryptoRng + ?Sized>(
    payload: &PairingPayload,
    method: PairingMethod,
    role: Role,
    local: &LocalDevice<'a>,
    rng: &mut R,
) -> Result<HandshakeState<'a>, Error> {
    let prologue = Prologue::pairing(method, &payload.binding());
    HandshakeState::new(
        Protocol::XxPsk2(payload.psk(method)),
        role,
        &prologue,
        local.identity.static_secret(),
        rng,
    )
}

/// The creator's side: shows a fresh [`PairingPayload`] (as QR text or an
/// NDEF record), answers one run at a time, and is used up only by a
/// verified message 3.
///
/// Sans-IO: the caller passes `now` (its own clock, the one the payload's
/// expiry is on), the bytes received, and buffers for the bytes to send.
#[derive(Debug)]
pub struct ProximityResponder<'a> {
    local: LocalDevice<'a>,
    method: PairingMethod,
    payload: PairingPayload,
    created_at: u64,
    run: Option<LiveRun<'a>>,
    /// The initiator ephemerals of the message 1s answered, oldest first;
    /// the first `next_run` entries are set.
    answered: [[u8; KEY_LEN]; MAX_RUNS_PER_PAYLOAD],
    next_run: u64,
    used: bool,
}

/// The run in progress: its handshake, when it began, and its id.
#[derive(Debug)]
struct LiveRun<'a> {
    handshake: HandshakeState<'a>,
    started: u64,
    id: RunId,
}

impl<'a> ProximityResponder<'a> {
    /// Creates a fresh payload, valid for `validity_secs` (at most 300) from
    /// `now`, for QR or NFC pairing.
    ///
    /// # Errors
    /// [`Error::ModeMismatch`] for [`PairingMethod::Pin`];
    /// [`Error::ValidityTooLong`]; [`Error::Rng`].
    #[allow(clippy::too_many_arguments)]
    pub fn new<R: TryCryptoRng + ?Sized>(
        local: LocalDevice<'a>,
        method: PairingMethod,
        now: u64,
        validity_secs: u64,
        clock: ExpiryClock,
        hint: Option<TransportHint>,
        rng: &mut R,
    ) -> Result<Self, Error> {
        check_method(method)?;
        let payload = PairingPayload::generate(
            local.identity.device_id(),
            local.name,
            *local.identity.static_public_key(),
            now,
            validity_secs,
            clock,
            hint,
            rng,
        )?;
        Ok(Self {
            local,
            method,
            payload,
            created_at: now,
            run: None,
            answered: [[0; KEY_LEN]; MAX_RUNS_PER_PAYLOAD],
            next_run: 0,
            used: false,
        })
    }

    /// The payload to show (encode it with
    /// [`PairingPayload::encode_text`] or
    /// [`PairingPayload::encode_binary`] and [`super::ndef::encode`]).
    #[must_use]
    pub const fn payload(&self) -> &PairingPayload {
        &self.payload
    }

    /// Whether a verified message 3 has used the payload up.
    #[must_use]
    pub const fn is_used(&self) -> bool {
        self.used
    }

    /// Whether a run is live at `now`. A clock that went back before the
    /// run began makes it stale, never endless.
    #[must_use]
    pub fn is_busy(&self, now: u64) -> bool {
        self.run.as_ref().is_some_and(|run| {
            now >= run.started && now < run.started.saturating_add(RUN_TIMEOUT_SECS)
        })
    }

    /// Drops a run that has gone stale by `now` (call from a timer).
    pub fn poll_timeout(&mut self, now: u64) {
        if !self.is_busy(now) {
            self.run = None;
        }
    }

    /// Refuses a used payload, and an expired one, judged by this device's
    /// clock; a clock that reads before the payload's creation counts as
    /// expired, so setting it back cannot stretch the 300 seconds. On
    /// refusal the live run, if any, is dropped and the secret wiped.
    fn check_usable(&mut self, now: u64) -> Result<(), Error> {
        let error = if self.used {
            Error::PayloadUsed
        } else if now > self.payload.expires_at || now < self.created_at {
            Error::PayloadExpired
        } else {
            return Ok(());
        };
        self.run = None;
        self.payload.wipe_secret();
        Err(error)
    }

    /// Answers a message 1 with message 2 in `out`; returns its length and
    /// the run's id, for the host to present with the same connection's
    /// message 3.
    ///
    /// Message 1 is already authenticated: in XXpsk2 its empty payload is
    /// encrypted with the handshake hash as associated data, and that hash
    /// covers the prologue, whose binding is a hash over the whole payload
    /// including the one-time secret. So a valid message 1 was made by
    /// someone who has seen the code, but it is not fresh: anyone who
    /// recorded one can send it again. The creator therefore remembers the
    /// ephemeral key of each message 1 it answered and refuses a repeat
    /// before any cryptography. Anyone without the code or a recording is
    /// refused by the handshake and learns nothing, the creator's static key
    /// included.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] unless `out` holds
    /// [`MAX_PAIRING_MESSAGE_LEN`] bytes; [`Error::PayloadUsed`];
    /// [`Error::PayloadExpired`] (judged here, by the
    /// creator's clock); [`Error::Replayed`] for a message 1 already answered
    /// and [`Error::Busy`] while another run is live (send the scanner a busy
    /// answer; in both cases the live run is untouched);
    /// [`Error::PayloadExhausted`] after [`MAX_RUNS_PER_PAYLOAD`] runs (a
    /// genuine scanner that resends its message 1 because message 2 was lost
    /// also gets `Replayed`: a host that wants to serve it resends the
    /// message 2 it already sent on that connection); the
    /// handshake's errors, after which this run is dropped and the payload
    /// stays usable.
    pub fn handle_message1<R: TryCryptoRng + ?Sized>(
        &mut self,
        now: u64,
        message1: &[u8],
        out: &mut [u8],
        rng: &mut R,
    ) -> Result<(usize, RunId), Error> {
        crate::wire::ensure_room(out, MAX_PAIRING_MESSAGE_LEN)?;
        self.check_usable(now)?;
        let answered = usize::try_from(self.next_run).unwrap_or(usize::MAX);
        let ephemeral = message1.first_chunk::<KEY_LEN>();
        if let Some(e) = ephemeral
            && self.answered.iter().take(answered).any(|seen| seen == e)
        {
            return Err(Error::Replayed);
        }
        if self.is_busy(now) {
            return Err(Error::Busy);
        }
        let slot = self
            .answered
            .get_mut(answered)
            .ok_or(Error::PayloadExhausted)?;
        self.run = None;
        let mut handshake = handshake_for(
            &self.payload,
            self.method,
            Role::Responder,
            &self.local,
            rng,
        )?;
        let len = run::respond(&mut handshake, &self.local, message1, out)?;
        // `respond` read a valid message 1, which begins with the ephemeral.
        *slot = *ephemeral.ok_or(Error::MessageTooShort)?;
        // Random, not numbered: every creator would otherwise hand out the
        // same tickets, and a stale connection from an earlier code's run
        // could end this one.
        let id = RunId::random(rng)?;
        self.next_run = self.next_run.saturating_add(1);
        self.run = Some(LiveRun {
            handshake,
            started: now,
            id,
        });
        Ok((len, id))
    }

    /// Reads message 3 of run `run`. On success the payload is used up (its
    /// secret wiped) and the caller gets the peer to show its user, and the
    /// session's keys.
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] with no run; [`Error::WrongRun`] for another
    /// run's id (the live run is untouched); [`Error::RunTimedOut`] for a
    /// stale run (dropped);
    /// [`Error::PayloadUsed`]; [`Error::PayloadExpired`]; the handshake's and
    /// the payload's errors, after which the run is dropped (Noise's rule) and
    /// the payload stays usable until it expires.
    pub fn handle_message3(
        &mut self,
        now: u64,
        run: RunId,
        message3: &[u8],
    ) -> Result<(PendingPeer, HandshakeOutcome), Error> {
        self.check_usable(now)?;
        RunId::check(self.run.as_ref().map(|live| live.id), run)?;
        if !self.is_busy(now) {
            self.run = None;
            return Err(Error::RunTimedOut);
        }
        let live = self.run.take().ok_or(Error::OutOfOrder)?;
        let result = run::finish_responder(live.handshake, message3, self.method)?;
        self.used = true;
        self.payload.wipe_secret();
        Ok(result)
    }
}

/// The scanner's side: starts from a decoded payload, refuses a responder
/// whose key is not the payload's before sending its own static key.
#[derive(Debug)]
pub struct ProximityInitiator<'a> {
    local: LocalDevice<'a>,
    method: PairingMethod,
    /// `None` once message 2 was handled, whatever the outcome.
    handshake: Option<HandshakeState<'a>>,
    expected_key: StaticPublicKey,
    expected_id: crate::identity::DeviceId,
}

/// The scanner's warning that a wall-clock expiry looks past.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpiryWarning {
    /// How many seconds past the expiry the scanner's clock reads.
    pub seconds_past: u64,
}

impl<'a> ProximityInitiator<'a> {
    /// Starts pairing with a scanned or read payload; writes message 1 (empty
    /// payload) into `out`. With `wall_clock_now`, warns (never refuses: the
    /// creator judges) if the payload's expiry is on the wall clock and looks
    /// past by more than [`CLOCK_SKEW_SECS`].
    ///
    /// # Errors
    /// [`Error::ModeMismatch`] for PIN; [`Error::Rng`]; buffer errors.
    pub fn start<R: TryCryptoRng + ?Sized>(
        local: LocalDevice<'a>,
        method: PairingMethod,
        payload: &PairingPayload,
        wall_clock_now: Option<u64>,
        out: &mut [u8],
        rng: &mut R,
    ) -> Result<(Self, usize, Option<ExpiryWarning>), Error> {
        check_method(method)?;
        let mut handshake = handshake_for(payload, method, Role::Initiator, &local, rng)?;
        let len = handshake.write_message(&[], out)?;
        let warning = match (payload.clock, wall_clock_now) {
            (ExpiryClock::WallClock, Some(now))
                if now > payload.expires_at.saturating_add(CLOCK_SKEW_SECS) =>
            {
                Some(ExpiryWarning {
                    seconds_past: now - payload.expires_at,
                })
            }
            _ => None,
        };
        Ok((
            Self {
                local,
                method,
                handshake: Some(handshake),
                expected_key: payload.static_key,
                expected_id: payload.device_id,
            },
            len,
            warning,
        ))
    }

    /// Reads message 2, checks in constant time that the responder's static
    /// key is the payload's and that it names the payload's device, then
    /// writes message 3 into `out`. Returns its length, the peer for the user
    /// to confirm, and the session's keys.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] unless `out` holds
    /// [`MAX_PAIRING_MESSAGE_LEN`] bytes, and [`Error::OutOfOrder`] after
    /// message 2 was handled: both checked first, and nothing changes (call
    /// again with a large enough buffer). Every other error ends the run:
    /// [`Error::KeyMismatch`] (a man in the middle, or a swapped payload) or
    /// [`Error::DeviceIdMismatch`], before anything of ours is sent; the
    /// handshake's errors (a wrong secret fails here as [`Error::Aead`]).
    pub fn handle_message2(
        &mut self,
        message2: &[u8],
        out: &mut [u8],
    ) -> Result<(usize, PendingPeer, HandshakeOutcome), Error> {
        if self.handshake.is_none() {
            return Err(Error::OutOfOrder);
        }
        crate::wire::ensure_room(out, MAX_PAIRING_MESSAGE_LEN)?;
        let handshake = self.handshake.take().ok_or(Error::OutOfOrder)?;
        let expected_key = self.expected_key;
        let expected_id = self.expected_id;
        run::finish_initiator(handshake, &self.local, message2, self.method, out, |peer| {
            // Constant time: `StaticPublicKey`'s equality is.
            if *peer.key() != expected_key {
                return Err(Error::KeyMismatch);
            }
            if peer.id() != expected_id {
                return Err(Error::DeviceIdMismatch);
            }
            Ok(())
        })
    }
}
