//! The pairing handshake's steps shared by QR, NFC and PIN pairing: empty
//! message 1, the responder's payload in message 2, the initiator's in
//! message 3, each side ending with a [`PendingPeer`].

use rand_core::TryCryptoRng;

use super::{PairingMethod, PendingPeer};
use crate::Error;
use crate::identity::{DeviceIdentity, DeviceName};
use crate::noise::{HandshakeOutcome, HandshakeState, Mode};
use crate::wire::{HandshakePayload, PayloadFlags};

/// Names one pairing run: a ticket the responder hands out with its answer
/// to the message that began the run. The host keeps it with the connection
/// that sent that message and presents it with every later message from the
/// same connection, so bytes from anyone else cannot touch the run (they
/// come with another ticket, or none). Only responders make them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunId(u64);

impl RunId {
    /// A random ticket, so tickets of different responders (an earlier
    /// code's, an earlier PIN's) differ too.
    pub(crate) fn random<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, Error> {
        let mut bytes = [0u8; 8];
        crate::crypto::fill_random(rng, &mut bytes)?;
        Ok(Self(u64::from_le_bytes(bytes)))
    }

    /// A ticket of the caller's choosing, for fuzzers and tests that
    /// present forged tickets (feature `hazmat-testing`): a real one comes
    /// only from a responder.
    #[cfg(feature = "hazmat-testing")]
    #[must_use]
    pub const fn hazmat_new(value: u64) -> Self {
        Self(value)
    }

    /// Whether `presented` names the run `started` (if any) began:
    /// [`Error::OutOfOrder`] with no run, [`Error::WrongRun`] for another's.
    pub(crate) fn check(started: Option<Self>, presented: Self) -> Result<(), Error> {
        match started {
            None => Err(Error::OutOfOrder),
            Some(run) if run == presented => Ok(()),
            Some(_) => Err(Error::WrongRun),
        }
    }
}

/// What this device says about itself in messages 2 and 3.
#[derive(Clone, Copy, Debug)]
pub struct LocalDevice<'a> {
    /// The identity whose static key the handshake proves.
    pub identity: &'a DeviceIdentity,
    /// The name to send.
    pub name: DeviceName,
    /// The flags to send.
    pub flags: PayloadFlags,
}

impl LocalDevice<'_> {
    fn encode(&self, out: &mut [u8; HandshakePayload::MAX_LEN]) -> Result<usize, Error> {
        HandshakePayload::pairing(self.identity.device_id(), self.flags, self.name).encode(out)
    }
}

/// Responder: reads message 1 (which must carry no payload) and writes
/// message 2 with this device's payload.
pub(crate) fn respond(
    handshake: &mut HandshakeState<'_>,
    local: &LocalDevice<'_>,
    message1: &[u8],
    out: &mut [u8],
) -> Result<usize, Error> {
    handshake.read_empty_payload(message1)?;
    let mut encoded = [0u8; HandshakePayload::MAX_LEN];
    let len = local.encode(&mut encoded)?;
    handshake.write_message(encoded.get(..len).unwrap_or(&[]), out)
}

/// Reads a peer's pairing payload out of a handshake message and pairs it
/// with the key the handshake verified.
fn read_peer(
    handshake: &mut HandshakeState<'_>,
    message: &[u8],
    method: PairingMethod,
) -> Result<PendingPeer, Error> {
    let mut payload = [0u8; HandshakePayload::MAX_LEN];
    let len = handshake.read_payload_at_most(message, &mut payload)?;
    let peer = HandshakePayload::decode(payload.get(..len).unwrap_or(&[]), Mode::Pairing(method))?;
    let key = *handshake.remote_static().ok_or(Error::HandshakeFailed)?;
    Ok(PendingPeer::new(
        peer.device_id,
        peer.name.ok_or(Error::NameMissing)?,
        key,
        method,
        peer.flags,
    ))
}

/// Responder: reads message 3 and finishes.
pub(crate) fn finish_responder(
    mut handshake: HandshakeState<'_>,
    message3: &[u8],
    method: PairingMethod,
) -> Result<(PendingPeer, HandshakeOutcome), Error> {
    let peer = read_peer(&mut handshake, message3, method)?;
    Ok((peer, handshake.finish()?))
}

/// Initiator: reads message 2, lets `check` inspect the responder before
/// anything of ours is sent (aborting on error, sending nothing), then writes
/// message 3 and finishes.
pub(crate) fn finish_initiator(
    mut handshake: HandshakeState<'_>,
    local: &LocalDevice<'_>,
    message2: &[u8],
    method: PairingMethod,
    out: &mut [u8],
    check: impl FnOnce(&PendingPeer) -> Result<(), Error>,
) -> Result<(usize, PendingPeer, HandshakeOutcome), Error> {
    let peer = read_peer(&mut handshake, message2, method)?;
    check(&peer)?;
    let mut encoded = [0u8; HandshakePayload::MAX_LEN];
    let len = local.encode(&mut encoded)?;
    let written = handshake.write_message(encoded.get(..len).unwrap_or(&[]), out)?;
    Ok((written, peer, handshake.finish()?))
}
