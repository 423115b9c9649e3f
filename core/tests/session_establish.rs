//! Opening sessions between paired devices: the trust decision gates the
//! initiator's message 3 and the responder's session.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod common;

use common::*;
use honeylink_core::Error;
use honeylink_core::identity::{DeviceIdentity, DeviceName};
use honeylink_core::noise::{HandshakeState, Prologue, Protocol, Role};
use honeylink_core::pairing::{PairingMethod, PendingPeer};
use honeylink_core::session::{SessionEnd, SessionInitiator, SessionResponder};
use honeylink_core::testing::SeededRng;
use honeylink_core::trust::{Decision, TrustStore};
use honeylink_core::wire::{HandshakePayload, PayloadFlags};

fn trusting(peer: &DeviceIdentity) -> TrustStore<4> {
    let mut store = TrustStore::new();
    store
        .add(
            PendingPeer::hazmat_new(
                peer.device_id(),
                DeviceName::new("Peer").unwrap(),
                *peer.static_public_key(),
                PairingMethod::Qr,
            )
            .confirm(0),
        )
        .unwrap();
    store
}

/// A bare Noise XX side for the session prologue, to send what an honest
/// `SessionInitiator` or `SessionResponder` never would.
fn raw_side<'a>(
    role: Role,
    identity: &'a DeviceIdentity,
    rng: &mut SeededRng,
) -> HandshakeState<'a> {
    HandshakeState::new(
        Protocol::Xx,
        role,
        &Prologue::session(),
        identity.static_secret(),
        rng,
    )
    .unwrap()
}

/// Runs message 1 and 2; returns the initiator after reading message 2.
fn to_message2<'a>(
    a: &'a DeviceIdentity,
    b_side: &mut SessionResponder<'_>,
    rng: &mut SeededRng,
) -> (SessionInitiator<'a>, Vec<u8>) {
    let mut wire = [0u8; 256];
    let (init, n) = SessionInitiator::start(a, PayloadFlags::empty(), &mut wire, rng).unwrap();
    let m1 = wire[..n].to_vec();
    let n = b_side.respond(&m1, &mut wire).unwrap();
    (init, wire[..n].to_vec())
}

#[test]
fn paired_devices_open_a_session_both_ways_trusted() {
    let [a, b, _] = identities(0x71);
    let mut rng = SeededRng::new([1; 32]);
    let mut b_side = SessionResponder::new(&b, PayloadFlags::HEADLESS, &mut rng).unwrap();
    let (mut a_side, m2) = to_message2(&a, &mut b_side, &mut rng);
    let verdict = a_side.read_message2(&trusting(&b), &m2).unwrap();
    assert_eq!(
        (verdict.id, verdict.decision),
        (b.device_id(), Decision::Trusted)
    );
    assert!(verdict.flags.contains(PayloadFlags::HEADLESS));
    let mut wire = [0u8; 256];
    let (n, _, a_keys) = a_side.write_message3(&mut wire).unwrap();
    match b_side.read_message3(&trusting(&a), &wire[..n]).unwrap() {
        SessionEnd::Established(verdict, b_keys) => {
            assert_eq!(verdict.id, a.device_id());
            assert_eq!(a_keys.handshake_hash(), b_keys.handshake_hash());
        }
        SessionEnd::Refused(verdict) => panic!("refused: {verdict:?}"),
    }
}

#[test]
fn an_untrusted_responder_never_gets_the_initiators_identity() {
    let [a, b, stranger] = identities(0x71);
    let mut rng = SeededRng::new([2; 32]);
    // The initiator trusts b, but a stranger answers.
    let mut s_side = SessionResponder::new(&stranger, PayloadFlags::empty(), &mut rng).unwrap();
    let (mut a_side, m2) = to_message2(&a, &mut s_side, &mut rng);
    let verdict = a_side.read_message2(&trusting(&b), &m2).unwrap();
    assert_eq!(verdict.decision, Decision::Unknown);
    let mut wire = [0u8; 256];
    assert_eq!(
        a_side.write_message3(&mut wire).err(),
        Some(Error::NotTrusted)
    );
    assert!(wire.iter().all(|&x| x == 0), "message 3 was never written");
}

#[test]
fn a_changed_key_under_a_known_id_is_reported_not_accepted() {
    let [a, b, _] = identities(0x71);
    let mut rng = SeededRng::new([3; 32]);
    // b's id, but a new key: the store knows b's old key.
    let b_new = DeviceIdentity::from_secrets(&honeylink_core::identity::IdentitySecrets::new(
        b.device_id(),
        honeylink_core::crypto::SecretBytes::new([0x44; 32]),
        honeylink_core::crypto::SecretBytes::new([0x45; 32]),
    ));
    let mut b_side = SessionResponder::new(&b_new, PayloadFlags::empty(), &mut rng).unwrap();
    let (mut a_side, m2) = to_message2(&a, &mut b_side, &mut rng);
    let verdict = a_side.read_message2(&trusting(&b), &m2).unwrap();
    assert!(
        matches!(verdict.decision, Decision::KeyChanged { .. }),
        "{verdict:?}"
    );
    assert_eq!(
        a_side.write_message3(&mut [0u8; 256]).err(),
        Some(Error::NotTrusted)
    );
}

#[test]
fn the_responder_refuses_an_unknown_initiator() {
    let [a, b, stranger] = identities(0x71);
    let mut rng = SeededRng::new([4; 32]);
    let mut b_side = SessionResponder::new(&b, PayloadFlags::empty(), &mut rng).unwrap();
    let (mut s_side, m2) = to_message2(&stranger, &mut b_side, &mut rng);
    // The stranger trusts b (say it copied b's key), and sends message 3.
    s_side.read_message2(&trusting(&b), &m2).unwrap();
    let mut wire = [0u8; 256];
    let (n, _, _) = s_side.write_message3(&mut wire).unwrap();
    match b_side.read_message3(&trusting(&a), &wire[..n]).unwrap() {
        SessionEnd::Refused(verdict) => {
            assert_eq!(verdict.id, stranger.device_id());
            assert_eq!(verdict.decision, Decision::Unknown);
        }
        SessionEnd::Established(..) => panic!("a stranger got a session"),
    }
}

#[test]
fn session_payload_rules_are_enforced() {
    let [a, b, _] = identities(0x71);
    let mut rng = SeededRng::new([5; 32]);
    // A non-empty message 1 payload is refused.
    let mut raw = raw_side(Role::Initiator, &a, &mut rng);
    let mut wire = [0u8; 256];
    let n = raw.write_message(b"hello", &mut wire).unwrap();
    let mut b_side = SessionResponder::new(&b, PayloadFlags::empty(), &mut rng).unwrap();
    assert_eq!(
        b_side.respond(&wire[..n], &mut [0u8; 256]).err(),
        Some(Error::UnexpectedPayload)
    );
    // A responder that sends a name in a session is refused.
    let mut raw = raw_side(Role::Responder, &b, &mut rng);
    let (mut a_side, n) =
        SessionInitiator::start(&a, PayloadFlags::empty(), &mut wire, &mut rng).unwrap();
    raw.read_message(&wire[..n], &mut [0u8; 64]).unwrap();
    let mut payload = [0u8; HandshakePayload::MAX_LEN];
    let len = HandshakePayload::pairing(
        b.device_id(),
        PayloadFlags::empty(),
        DeviceName::new("B").unwrap(),
    )
    .encode(&mut payload)
    .unwrap();
    let n = raw.write_message(&payload[..len], &mut wire).unwrap();
    assert_eq!(
        a_side.read_message2(&trusting(&b), &wire[..n]).err(),
        Some(Error::NameUnexpected)
    );
}

/// The documented tracking exposure (crate docs, "Privacy"): any active
/// prober that sends a message 1 gets message 2, which gives it the
/// responder's static key and its stable id (and flags), the same on every
/// probe, so it can recognise the device later. The prober, with an empty
/// trust store, pays nothing for it, and the responder learns nothing of the
/// prober's identity: message 1 is only an ephemeral key, and the prober
/// never sends message 3.
#[test]
fn a_prober_learns_the_responders_static_key_and_id_and_reveals_nothing() {
    let [device, prober, other_prober] = identities(0x72);
    let nobody = TrustStore::<4>::new();
    let mut rng = SeededRng::new([4; 32]);
    let mut seen = Vec::new();
    for who in [&prober, &other_prober, &prober] {
        let mut responder =
            SessionResponder::new(&device, PayloadFlags::HEADLESS, &mut rng).unwrap();
        let mut wire = [0u8; 256];
        let (mut probe, n) =
            SessionInitiator::start(who, PayloadFlags::empty(), &mut wire, &mut rng).unwrap();
        let m1 = wire[..n].to_vec();
        // Message 1: an ephemeral key alone, nothing of the prober.
        assert_eq!(m1.len(), 32);
        let n = responder.respond(&m1, &mut wire).unwrap();
        let verdict = probe.read_message2(&nobody, &wire[..n]).unwrap();
        assert_eq!(verdict.decision, Decision::Unknown);
        assert_eq!(verdict.key, *device.static_public_key());
        assert_eq!(verdict.id, device.device_id());
        assert!(verdict.flags.contains(PayloadFlags::HEADLESS));
        seen.push((verdict.id, verdict.key));
        // The prober stops here; it never sends its own identity.
        assert_eq!(
            probe.write_message3(&mut wire).err(),
            Some(Error::NotTrusted)
        );
    }
    // Linkable: every probe, by anyone, sees the same id and key.
    assert!(seen.iter().all(|s| *s == seen[0]));
}

/// A responder given an output buffer too small for message 2 refuses before
/// reading message 1, so the same message 1 can be answered again with a
/// large enough buffer (found by the `session_calls` fuzz target: it used to
/// read message 1 first, then refuse, and every retry got `OutOfOrder`).
#[test]
fn a_responder_with_a_small_buffer_refuses_before_reading_message1() {
    let [a, b, _] = identities(0x73);
    let mut rng = SeededRng::new([5; 32]);
    let mut wire = [0u8; 256];
    let (mut a_side, n) =
        SessionInitiator::start(&a, PayloadFlags::empty(), &mut wire, &mut rng).unwrap();
    let m1 = wire[..n].to_vec();
    let mut b_side = SessionResponder::new(&b, PayloadFlags::HEADLESS, &mut rng).unwrap();
    let needed = match b_side.respond(&m1, &mut wire[..40]) {
        Err(Error::BufferTooSmall { needed }) => needed,
        other => panic!("expected BufferTooSmall, got {other:?}"),
    };
    let n = b_side.respond(&m1, &mut wire).unwrap();
    assert_eq!(n, needed, "the size the refusal named is message 2's");
    let verdict = a_side.read_message2(&trusting(&b), &wire[..n]).unwrap();
    assert_eq!(verdict.decision, Decision::Trusted);
    let (n, _, outcome_a) = a_side.write_message3(&mut wire).unwrap();
    let Ok(SessionEnd::Established(_, outcome_b)) = b_side.read_message3(&trusting(&a), &wire[..n])
    else {
        panic!("the session was not established");
    };
    assert_eq!(outcome_a.handshake_hash(), outcome_b.handshake_hash());
}

/// A payload longer than any valid one is named for what it is, not as
/// the caller's buffer being small (review finding): in message 1 (which
/// must be empty) `UnexpectedPayload`, in message 2 `InputTooLong` naming
/// the payload bound; both before anything is read, so the honest message
/// that follows still completes the handshake.
#[test]
fn an_oversized_payload_is_refused_for_what_it_is() {
    let [a, b, _] = identities(0x75);
    let mut rng = SeededRng::new([7; 32]);
    let oversized = [0x5au8; HandshakePayload::MAX_LEN + 1];
    let mut wire = [0u8; 1024];
    let mut raw = raw_side(Role::Initiator, &a, &mut rng);
    let n = raw.write_message(&oversized, &mut wire).unwrap();
    let mut b_side = SessionResponder::new(&b, PayloadFlags::empty(), &mut rng).unwrap();
    assert_eq!(
        b_side.respond(&wire[..n], &mut [0u8; 256]).err(),
        Some(Error::UnexpectedPayload)
    );
    let (mut a_side, n) =
        SessionInitiator::start(&a, PayloadFlags::empty(), &mut wire, &mut rng).unwrap();
    let m1 = wire[..n].to_vec();
    let honest_m2_len = b_side.respond(&m1, &mut wire).unwrap();
    let honest_m2 = wire[..honest_m2_len].to_vec();

    // A rogue responder answering the same message 1 with a long payload.
    let mut raw = raw_side(Role::Responder, &b, &mut rng);
    raw.read_message(&m1, &mut []).unwrap();
    let n = raw.write_message(&oversized, &mut wire).unwrap();
    assert_eq!(
        a_side.read_message2(&trusting(&b), &wire[..n]).err(),
        Some(Error::InputTooLong {
            max: HandshakePayload::MAX_LEN
        })
    );
    let verdict = a_side.read_message2(&trusting(&b), &honest_m2).unwrap();
    assert_eq!(verdict.decision, Decision::Trusted);
}

/// Message 3 handed to a responder that has not answered a message 1 is out
/// of turn: refused with `OutOfOrder`, not read as a message 1 (found by the
/// `session_calls` fuzz target).
#[test]
fn message3_before_message1_is_out_of_order() {
    let [a, b, _] = identities(0x74);
    let mut rng = SeededRng::new([6; 32]);
    let mut b_side = SessionResponder::new(&b, PayloadFlags::HEADLESS, &mut rng).unwrap();
    let (mut a_side, m2) = to_message2(&a, &mut b_side, &mut rng);
    a_side.read_message2(&trusting(&b), &m2).unwrap();
    let mut wire = [0u8; 256];
    let (n, _, _) = a_side.write_message3(&mut wire).unwrap();
    let fresh = SessionResponder::new(&b, PayloadFlags::HEADLESS, &mut rng).unwrap();
    assert_eq!(
        fresh.read_message3(&trusting(&a), &wire[..n]).err(),
        Some(Error::OutOfOrder)
    );
    // A message 1 with a payload, handed over as message 3, is refused the
    // same way before anything is read.
    let (_, n) = SessionInitiator::start(&a, PayloadFlags::empty(), &mut wire, &mut rng).unwrap();
    let mut with_payload = wire[..n].to_vec();
    with_payload.extend_from_slice(&[0; 40]);
    let fresh = SessionResponder::new(&b, PayloadFlags::HEADLESS, &mut rng).unwrap();
    assert_eq!(
        fresh.read_message3(&trusting(&a), &with_payload).err(),
        Some(Error::OutOfOrder)
    );
}
