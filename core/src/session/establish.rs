//! Opening a session between paired devices: the Noise XX handshake with
//! HoneyLink's session prologue and payloads, and the trust decision on the
//! peer's verified id and key, in one place for host and firmware.
//!
//! The initiator decides after message 2, before it sends its own static key
//! in message 3, and sends it only to a trusted peer. The responder decides
//! after message 3. Either way the caller gets the [`PeerVerdict`] (to record
//! a refusal, or a key change for the person to resolve).
//!
//! Tracking exposure: message 2 carries the responder's static key
//! (encrypted only under the ephemeral-ephemeral secret) and its payload,
//! with the responder's stable [`DeviceId`] and flags, to any initiator that
//! sends a message 1. A prober learns both without revealing anything and
//! can recognise the device on every later probe. The id alone could not be
//! hidden usefully, because the static key is itself a stable identifier;
//! see the crate docs' "Privacy" section.

use rand_core::TryCryptoRng;

use crate::Error;
use crate::crypto::x25519::StaticPublicKey;
use crate::identity::{DeviceId, DeviceIdentity};
use crate::noise::{HandshakeOutcome, HandshakeState, Mode, Prologue, Protocol, Role};
use crate::trust::{Decision, TrustView, decide};
use crate::wire::{HandshakePayload, PayloadFlags};

/// Who the peer proved to be, and what this device's trust says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerVerdict {
    /// The id the peer sent in its payload.
    pub id: DeviceId,
    /// The static key the handshake verified.
    pub key: StaticPublicKey,
    /// What the flags say about the peer.
    pub flags: PayloadFlags,
    /// The trust decision on that id and key.
    pub decision: Decision,
}

fn payload_bytes(
    identity: &DeviceIdentity,
    flags: PayloadFlags,
) -> Result<([u8; HandshakePayload::MAX_LEN], usize), Error> {
    let mut encoded = [0u8; HandshakePayload::MAX_LEN];
    let len = HandshakePayload::session(identity.device_id(), flags).encode(&mut encoded)?;
    Ok((encoded, len))
}

/// Reads the peer's session payload out of `message` and decides.
fn read_verdict<V: TrustView + ?Sized>(
    handshake: &mut HandshakeState<'_>,
    trust: &V,
    message: &[u8],
) -> Result<PeerVerdict, Error> {
    let mut payload = [0u8; HandshakePayload::MAX_LEN];
    let len = handshake.read_payload_at_most(message, &mut payload)?;
    let peer = HandshakePayload::decode(payload.get(..len).unwrap_or(&[]), Mode::Session)?;
    let key = *handshake.remote_static().ok_or(Error::HandshakeFailed)?;
    Ok(PeerVerdict {
        id: peer.device_id,
        key,
        flags: peer.flags,
        decision: decide(trust, &peer.device_id, &key),
    })
}

/// The side that opens a session.
#[derive(Debug)]
pub struct SessionInitiator<'a> {
    identity: &'a DeviceIdentity,
    flags: PayloadFlags,
    handshake: HandshakeState<'a>,
    verdict: Option<PeerVerdict>,
}

impl<'a> SessionInitiator<'a> {
    /// Starts a session handshake; writes message 1 (empty payload) into
    /// `out` and returns its length.
    ///
    /// # Errors
    /// [`Error::Rng`]; [`Error::BufferTooSmall`].
    pub fn start<R: TryCryptoRng + ?Sized>(
        identity: &'a DeviceIdentity,
        flags: PayloadFlags,
        out: &mut [u8],
        rng: &mut R,
    ) -> Result<(Self, usize), Error> {
        let mut handshake = HandshakeState::new(
            Protocol::Xx,
            Role::Initiator,
            &Prologue::session(),
            identity.static_secret(),
            rng,
        )?;
        let len = handshake.write_message(&[], out)?;
        Ok((
            Self {
                identity,
                flags,
                handshake,
                verdict: None,
            },
            len,
        ))
    }

    /// Reads message 2 and decides on the responder, before anything of this
    /// side's identity is sent.
    ///
    /// # Errors
    /// [`Error::InputTooLong`] for a payload longer than
    /// [`HandshakePayload::MAX_LEN`], the bound of every mode's payloads
    /// (nothing read, the state unchanged; a shorter one that is still too
    /// long for a session is read and refused by its decoder, ending the
    /// handshake); the handshake's errors and the
    /// payload's ([`Error::NameUnexpected`] and the like), after which the
    /// handshake is over.
    pub fn read_message2<V: TrustView + ?Sized>(
        &mut self,
        trust: &V,
        message2: &[u8],
    ) -> Result<PeerVerdict, Error> {
        let verdict = read_verdict(&mut self.handshake, trust, message2)?;
        self.verdict = Some(verdict);
        Ok(verdict)
    }

    /// Writes message 3 into `out`, only to a trusted responder, and returns
    /// its length and the session's keys.
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] before message 2; [`Error::NotTrusted`] unless
    /// the verdict was [`Decision::Trusted`] (nothing is written; the state
    /// is dropped and zeroized); the handshake's errors.
    pub fn write_message3(
        mut self,
        out: &mut [u8],
    ) -> Result<(usize, PeerVerdict, HandshakeOutcome), Error> {
        let verdict = self.verdict.ok_or(Error::OutOfOrder)?;
        if !verdict.decision.is_trusted() {
            return Err(Error::NotTrusted);
        }
        let (payload, len) = payload_bytes(self.identity, self.flags)?;
        let written = self
            .handshake
            .write_message(payload.get(..len).unwrap_or(&[]), out)?;
        Ok((written, verdict, self.handshake.finish()?))
    }
}

/// The side that answers a session handshake.
///
/// A call out of turn ([`SessionResponder::read_message3`] before a message
/// 1 was answered, [`SessionResponder::respond`] twice) is refused with
/// [`Error::OutOfOrder`], and one with an output buffer too small for
/// message 2 with [`Error::BufferTooSmall`], both before anything is read.
#[derive(Debug)]
pub struct SessionResponder<'a> {
    identity: &'a DeviceIdentity,
    flags: PayloadFlags,
    handshake: HandshakeState<'a>,
    /// Whether message 2 went out, so message 3 is next.
    responded: bool,
}

/// Message 2's bytes besides its payload: the ephemeral key, the encrypted
/// static key and its tag, and the payload's tag.
const MESSAGE2_OVERHEAD: usize = 32 + 32 + 2 * crate::noise::TAG_LEN;

/// How a responder's session handshake ended.
#[derive(Debug)]
pub enum SessionEnd {
    /// The initiator is trusted: here are the session's keys.
    Established(PeerVerdict, HandshakeOutcome),
    /// The initiator proved its key, but trust refuses it (unknown, blocked,
    /// key changed, identity mismatch): no session.
    Refused(PeerVerdict),
}

impl<'a> SessionResponder<'a> {
    /// Prepares to answer a session handshake.
    ///
    /// # Errors
    /// [`Error::Rng`].
    pub fn new<R: TryCryptoRng + ?Sized>(
        identity: &'a DeviceIdentity,
        flags: PayloadFlags,
        rng: &mut R,
    ) -> Result<Self, Error> {
        Ok(Self {
            identity,
            flags,
            handshake: HandshakeState::new(
                Protocol::Xx,
                Role::Responder,
                &Prologue::session(),
                identity.static_secret(),
                rng,
            )?,
            responded: false,
        })
    }

    /// Reads message 1 (which must carry no payload) and writes message 2,
    /// with this device's session payload, into `out`.
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] after a message 1 was answered and
    /// [`Error::BufferTooSmall`] (naming message 2's length), both before
    /// message 1 is read, so nothing changes; [`Error::UnexpectedPayload`]
    /// for a message 1 with any payload (nothing read either);
    /// the handshake's errors.
    pub fn respond(&mut self, message1: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        if self.responded {
            return Err(Error::OutOfOrder);
        }
        let (payload, len) = payload_bytes(self.identity, self.flags)?;
        crate::wire::ensure_room(out, MESSAGE2_OVERHEAD + len)?;
        self.handshake.read_empty_payload(message1)?;
        let written = self
            .handshake
            .write_message(payload.get(..len).unwrap_or(&[]), out)?;
        self.responded = true;
        Ok(written)
    }

    /// Reads message 3 and decides on the initiator.
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] unless [`SessionResponder::respond`] answered a
    /// message 1 (nothing is read); [`Error::InputTooLong`] for a payload
    /// longer than [`HandshakePayload::MAX_LEN`]; the handshake's and the
    /// payload's errors.
    pub fn read_message3<V: TrustView + ?Sized>(
        mut self,
        trust: &V,
        message3: &[u8],
    ) -> Result<SessionEnd, Error> {
        if !self.responded {
            return Err(Error::OutOfOrder);
        }
        let verdict = read_verdict(&mut self.handshake, trust, message3)?;
        if verdict.decision.is_trusted() {
            Ok(SessionEnd::Established(verdict, self.handshake.finish()?))
        } else {
            Ok(SessionEnd::Refused(verdict))
        }
    }
}
