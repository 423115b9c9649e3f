//! QR pairing and PIN pairing (CPace, then XXpsk2) end to end in memory, and
//! the trust decision over 10,000 stored peers, each measured in the same run
//! against a session handshake (`SessionInitiator`/`SessionResponder`) or
//! one X25519 Diffie-Hellman:
//!
//! ```sh
//! cargo bench -p honeylink-core --bench pairing [--features fast]
//! ```
//!
//! The PIN run is one small function (`pin_pairing`) so it follows the PIN
//! API when that changes.

#![allow(
    missing_docs,
    clippy::panic,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::indexing_slicing
)]

mod harness;

use std::hint::black_box;

use harness::{Candidate, banner, compare};
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::x25519::{PublicKey, StaticSecret};
use honeylink_core::identity::{DeviceId, DeviceIdentity, DeviceName};
use honeylink_core::pairing::payload::{ExpiryClock, MAX_TEXT_LEN, PairingPayload};
use honeylink_core::pairing::{
    LocalDevice, PairingMethod, PendingPeer, Pin, PinGuard, PinInitiator, PinResponder,
    ProximityInitiator, ProximityResponder,
};
use honeylink_core::session::{SessionEnd, SessionInitiator, SessionResponder};
use honeylink_core::testing::SeededRng;
use honeylink_core::trust::{TrustStore, TrustView, decide};
use honeylink_core::wire::PayloadFlags;

const T0: u64 = 1_800_000_000;
const PEERS: usize = 10_000;

fn local<'a>(identity: &'a DeviceIdentity, name: &str) -> LocalDevice<'a> {
    LocalDevice {
        identity,
        name: DeviceName::new(name).unwrap(),
        flags: PayloadFlags::empty(),
    }
}

fn record(
    id: DeviceId,
    key: honeylink_core::crypto::x25519::StaticPublicKey,
) -> honeylink_core::trust::PeerRecord {
    PendingPeer::hazmat_new(id, DeviceName::new("Peer").unwrap(), key, PairingMethod::Qr).confirm(0)
}

/// One QR pairing: the creator makes a code, the scanner reads it, XXpsk2.
fn qr_pairing(creator: &DeviceIdentity, scanner: &DeviceIdentity, rng: &mut SeededRng) {
    let mut responder = ProximityResponder::new(
        local(creator, "Laptop"),
        PairingMethod::Qr,
        T0,
        300,
        ExpiryClock::WallClock,
        None,
        rng,
    )
    .unwrap();
    // The scanner's copy, read off the code's text.
    let mut text = [0u8; MAX_TEXT_LEN];
    let len = responder.payload().encode_text(&mut text).unwrap();
    let payload = PairingPayload::decode_text(std::str::from_utf8(&text[..len]).unwrap()).unwrap();
    let mut a = [0u8; 512];
    let mut b = [0u8; 512];
    let (mut initiator, n, _) = ProximityInitiator::start(
        local(scanner, "Phone"),
        PairingMethod::Qr,
        &payload,
        Some(T0 + 1),
        &mut a,
        rng,
    )
    .unwrap();
    let (n, run) = responder
        .handle_message1(T0 + 1, &a[..n], &mut b, rng)
        .unwrap();
    let (n, seen, keys) = initiator.handle_message2(&b[..n], &mut a).unwrap();
    let (other, other_keys) = responder.handle_message3(T0 + 2, run, &a[..n]).unwrap();
    black_box((seen, keys, other, other_keys));
}

/// One PIN pairing: CPace on the PIN, then XXpsk2.
fn pin_pairing(shower: &DeviceIdentity, typer: &DeviceIdentity, rng: &mut SeededRng) {
    let mut guard = PinGuard::new();
    let mut responder = PinResponder::new(local(shower, "Speaker"), &mut guard, T0, rng).unwrap();
    let pin = Pin::parse(std::str::from_utf8(responder.pin().expose_secret()).unwrap()).unwrap();
    let mut a = [0u8; 512];
    let mut b = [0u8; 512];
    let (mut initiator, n) = PinInitiator::start(local(typer, "Phone"), pin, &mut a, rng).unwrap();
    let (n, run) = responder.handle_hello(T0, &a[..n], &mut b, rng).unwrap();
    let n = initiator.handle_hello(&b[..n], &mut a, rng).unwrap();
    let n = responder
        .handle_share(T0, run, &a[..n], &mut b, rng)
        .unwrap();
    let n = initiator
        .handle_share_and_tag(&b[..n], &mut a, rng)
        .unwrap();
    let n = responder.handle_tag(T0, run, &a[..n], &mut b, rng).unwrap();
    let (n, seen, keys) = initiator.handle_noise2(&b[..n], &mut a).unwrap();
    let (other, other_keys) = responder.handle_noise3(T0 + 1, run, &a[..n]).unwrap();
    black_box((seen, keys, other, other_keys));
}

fn session<V: TrustView>(
    a: &DeviceIdentity,
    b: &DeviceIdentity,
    ta: &V,
    tb: &V,
    rng: &mut SeededRng,
) {
    let mut wire = [0u8; 256];
    let mut responder = SessionResponder::new(b, PayloadFlags::empty(), rng).unwrap();
    let (mut initiator, n) =
        SessionInitiator::start(a, PayloadFlags::empty(), &mut wire, rng).unwrap();
    let m1 = wire;
    let n = responder.respond(&m1[..n], &mut wire).unwrap();
    initiator.read_message2(ta, &wire[..n]).unwrap();
    let (n, _, keys) = initiator.write_message3(&mut wire).unwrap();
    match responder.read_message3(tb, &wire[..n]).unwrap() {
        SessionEnd::Established(_, other) => black_box((keys, other)),
        SessionEnd::Refused(_) => panic!("refused"),
    };
}

fn main() {
    let fast = cfg!(feature = "fast");
    banner("pairing", fast);
    let build = if fast { "fast on" } else { "fast off" };
    let mut rng = SeededRng::new([9; 32]);
    let a = DeviceIdentity::generate(&mut rng).unwrap();
    let b = DeviceIdentity::generate(&mut rng).unwrap();

    let mut small_a = TrustStore::<4>::new();
    small_a
        .add(record(b.device_id(), *b.static_public_key()))
        .unwrap();
    let mut small_b = TrustStore::<4>::new();
    small_b
        .add(record(a.device_id(), *a.static_public_key()))
        .unwrap();

    let (mut r1, mut r2, mut r3) = (
        SeededRng::new([1; 32]),
        SeededRng::new([2; 32]),
        SeededRng::new([3; 32]),
    );
    compare(
        &format!("pairing end to end, both sides in memory, vs a session handshake ({build})"),
        &mut [
            Candidate::new("session handshake (payloads + trust)", || {
                session(&a, &b, &small_a, &small_b, &mut r1);
            }),
            Candidate::new("QR pairing (code, XXpsk2, pending peers)", || {
                qr_pairing(&a, &b, &mut r2);
            }),
            Candidate::new("PIN pairing (CPace, then XXpsk2)", || {
                pin_pairing(&a, &b, &mut r3);
            }),
        ],
    );

    // 10,000 peers with real keys, in the core's fixed-capacity store.
    let mut store: Box<TrustStore<PEERS>> = Box::new(TrustStore::new());
    let mut keys = Vec::with_capacity(PEERS);
    for i in 0..PEERS {
        // Distinct scalars after clamping: the index goes in bytes 8..16.
        let mut seed = [0x55u8; 32];
        seed[8..16].copy_from_slice(&(i as u64).to_le_bytes());
        let key = *StaticSecret::from_bytes(SecretBytes::new(seed)).public_key();
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        let id = DeviceId::from_bytes(id);
        store.add(record(id, key)).unwrap();
        keys.push((id, key));
    }
    let (first_id, first_key) = keys[0];
    let (last_id, last_key) = keys[PEERS - 1];
    let stranger = DeviceId::from_bytes([0xee; 16]);
    let secret = StaticSecret::from_bytes(SecretBytes::new([0x42; 32]));
    let peer = PublicKey::from_bytes(*last_key.as_bytes());
    compare(
        &format!("trust::decide over {PEERS} stored peers, vs one X25519 DH ({build})"),
        &mut [
            Candidate::new("one X25519 Diffie-Hellman", || {
                black_box(secret.diffie_hellman(&peer).unwrap());
            }),
            Candidate::new("decide: first stored peer", || {
                black_box(decide(&*store, black_box(&first_id), &first_key));
            }),
            Candidate::new("decide: last stored peer", || {
                black_box(decide(&*store, black_box(&last_id), &last_key));
            }),
            Candidate::new("decide: unknown device", || {
                black_box(decide(&*store, black_box(&stranger), &last_key));
            }),
        ],
    );
}
