//! The core's protocols run end to end in memory, one call at a time through
//! a [`Meter`], so a test can measure each call of each role on its own: the
//! zero-heap test counts allocations, the embedded budget measures stack.
//! Every buffer lives in the caller's frame, as in firmware.
//!
//! The PIN flow is one short function ([`pin_pairing`]) so it follows the PIN
//! API when that changes.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use honeylink_core::audit::{Anchor, AuditWriter, ChainVerifier, Event, MAX_RECORD_LEN};
use honeylink_core::identity::{DeviceId, DeviceIdentity, DeviceName, Fingerprint};
use honeylink_core::noise::{HandshakeOutcome, PairingMethod};
use honeylink_core::pairing::payload::{ExpiryClock, MAX_BINARY_LEN, PairingPayload};
use honeylink_core::pairing::{
    LocalDevice, PendingPeer, Pin, PinGuard, PinInitiator, PinResponder, ProximityInitiator,
    ProximityResponder,
};
use honeylink_core::session::{
    DatagramSession, SessionEnd, SessionInitiator, SessionResponder, StreamSession,
};
use honeylink_core::testing::SeededRng;
use honeylink_core::trust::{RefusalReason, TrustStore};
use honeylink_core::wire::PayloadFlags;

/// Which side a call belongs to, for the per-role figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Initiator,
    Responder,
}

/// Runs one call of one role and measures it.
pub trait Meter {
    fn step<R: Send>(&mut self, flow: &'static str, side: Side, f: impl FnOnce() -> R + Send) -> R;
}

const T0: u64 = 1_800_000_000;

fn local<'a>(identity: &'a DeviceIdentity, name: &str) -> LocalDevice<'a> {
    LocalDevice {
        identity,
        name: DeviceName::new(name).unwrap(),
        flags: PayloadFlags::empty(),
    }
}

pub fn trusting(peer: &DeviceIdentity) -> TrustStore<4> {
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

/// Two devices, each trusting the other.
pub struct Devices {
    pub a: DeviceIdentity,
    pub b: DeviceIdentity,
    pub a_trusts: TrustStore<4>,
    pub b_trusts: TrustStore<4>,
}

impl Devices {
    pub fn new(seed: u8) -> Self {
        let mut rng = SeededRng::new([seed; 32]);
        let a = DeviceIdentity::generate(&mut rng).unwrap();
        let b = DeviceIdentity::generate(&mut rng).unwrap();
        let (a_trusts, b_trusts) = (trusting(&b), trusting(&a));
        Self {
            a,
            b,
            a_trusts,
            b_trusts,
        }
    }
}

/// A session handshake with payloads and both trust decisions; returns both
/// sides' outcomes (initiator's first).
pub fn session_handshake<M: Meter>(
    m: &mut M,
    d: &Devices,
    rng_a: &mut SeededRng,
    rng_b: &mut SeededRng,
) -> (HandshakeOutcome, HandshakeOutcome) {
    use Side::*;
    const F: &str = "session handshake";
    let mut wire = [0u8; 256];
    let mut responder = m.step(F, Responder, || {
        SessionResponder::new(&d.b, PayloadFlags::empty(), rng_b).unwrap()
    });
    let (mut initiator, n) = m.step(F, Initiator, || {
        SessionInitiator::start(&d.a, PayloadFlags::empty(), &mut wire, rng_a).unwrap()
    });
    let m1 = wire;
    let n = m.step(F, Responder, || {
        responder.respond(&m1[..n], &mut wire).unwrap()
    });
    let m2 = wire;
    m.step(F, Initiator, || {
        initiator.read_message2(&d.a_trusts, &m2[..n]).unwrap()
    });
    let (n, _, a_keys) = m.step(F, Initiator, || {
        initiator.write_message3(&mut wire).unwrap()
    });
    let m3 = wire;
    let b_keys = m.step(F, Responder, || {
        match responder.read_message3(&d.b_trusts, &m3[..n]).unwrap() {
            SessionEnd::Established(_, keys) => keys,
            SessionEnd::Refused(v) => panic!("refused: {v:?}"),
        }
    });
    (a_keys, b_keys)
}

/// Records both ways over a stream session and a datagram session.
pub fn transport<M: Meter>(m: &mut M, d: &Devices, rng_a: &mut SeededRng, rng_b: &mut SeededRng) {
    use Side::*;
    const F: &str = "transport";
    let mut buffer = [0u8; 1024];
    let (a, b) = session_handshake(&mut NoMeter, d, rng_a, rng_b);
    let (mut a, mut b) = (StreamSession::<2>::new(a), StreamSession::<2>::new(b));
    for i in 0..5u8 {
        buffer[..100].fill(i);
        let n = m.step(F, Initiator, || a.seal_in_place(&mut buffer, 100).unwrap());
        m.step(F, Responder, || {
            assert_eq!(b.open_in_place(&mut buffer[..n]).unwrap(), &[i; 100]);
        });
    }
    let (a, b) = session_handshake(&mut NoMeter, d, rng_a, rng_b);
    let (mut a, mut b) = (
        DatagramSession::<1024>::new(a),
        DatagramSession::<1024>::new(b),
    );
    for i in 0..5u8 {
        buffer[8..108].fill(i);
        let n = m.step(F, Responder, || b.seal_in_place(&mut buffer, 100).unwrap());
        m.step(F, Initiator, || {
            assert_eq!(a.open_in_place(&mut buffer[..n]).unwrap().0, u64::from(i));
        });
    }
}

/// A QR pairing: the creator makes the code, the scanner reads its binary
/// form, XXpsk2, pending peers on both sides.
pub fn qr_pairing<M: Meter>(m: &mut M, d: &Devices, rng_a: &mut SeededRng, rng_b: &mut SeededRng) {
    use Side::*;
    const F: &str = "QR pairing";
    let mut creator = m.step(F, Responder, || {
        ProximityResponder::new(
            local(&d.b, "Laptop"),
            PairingMethod::Qr,
            T0,
            300,
            ExpiryClock::WallClock,
            None,
            rng_b,
        )
        .unwrap()
    });
    let mut code = [0u8; MAX_BINARY_LEN];
    let len = m.step(F, Responder, || {
        creator.payload().encode_binary(&mut code).unwrap()
    });
    let payload = m.step(F, Initiator, || {
        PairingPayload::decode_binary(&code[..len]).unwrap()
    });
    let mut a = [0u8; 512];
    let mut b = [0u8; 512];
    let (mut scanner, n, _) = m.step(F, Initiator, || {
        ProximityInitiator::start(
            local(&d.a, "Phone"),
            PairingMethod::Qr,
            &payload,
            Some(T0 + 1),
            &mut a,
            rng_a,
        )
        .unwrap()
    });
    let (n, run) = m.step(F, Responder, || {
        creator
            .handle_message1(T0 + 1, &a[..n], &mut b, rng_b)
            .unwrap()
    });
    let (n, seen, _) = m.step(F, Initiator, || {
        scanner.handle_message2(&b[..n], &mut a).unwrap()
    });
    let (other, _) = m.step(F, Responder, || {
        creator.handle_message3(T0 + 2, run, &a[..n]).unwrap()
    });
    assert_eq!(seen.id(), d.b.device_id());
    assert_eq!(other.id(), d.a.device_id());
}

/// A PIN pairing: CPace on the PIN, then XXpsk2.
pub fn pin_pairing<M: Meter>(m: &mut M, d: &Devices, rng_a: &mut SeededRng, rng_b: &mut SeededRng) {
    use Side::*;
    const F: &str = "PIN pairing";
    let mut guard = PinGuard::new();
    let mut shower = m.step(F, Responder, || {
        PinResponder::new(local(&d.b, "Speaker"), &mut guard, T0, rng_b).unwrap()
    });
    let digits = *shower.pin().expose_secret();
    let pin = m.step(F, Initiator, || {
        Pin::parse(core::str::from_utf8(&digits).unwrap()).unwrap()
    });
    let mut a = [0u8; 512];
    let mut b = [0u8; 512];
    let (mut typer, n) = m.step(F, Initiator, || {
        PinInitiator::start(local(&d.a, "Phone"), pin, &mut a, rng_a).unwrap()
    });
    let (n, run) = m.step(F, Responder, || {
        shower.handle_hello(T0, &a[..n], &mut b, rng_b).unwrap()
    });
    let n = m.step(F, Initiator, || {
        typer.handle_hello(&b[..n], &mut a, rng_a).unwrap()
    });
    let n = m.step(F, Responder, || {
        shower
            .handle_share(T0, run, &a[..n], &mut b, rng_b)
            .unwrap()
    });
    let n = m.step(F, Initiator, || {
        typer.handle_share_and_tag(&b[..n], &mut a, rng_a).unwrap()
    });
    let n = m.step(F, Responder, || {
        shower.handle_tag(T0, run, &a[..n], &mut b, rng_b).unwrap()
    });
    let (n, seen, _) = m.step(F, Initiator, || {
        typer.handle_noise2(&b[..n], &mut a).unwrap()
    });
    let (other, _) = m.step(F, Responder, || {
        shower.handle_noise3(T0 + 1, run, &a[..n]).unwrap()
    });
    assert_eq!(seen.id(), d.b.device_id());
    assert_eq!(other.id(), d.a.device_id());
}

/// Audit: a chain of five records signed, then verified from its anchor.
/// The writer is the "initiator" side, the verifier the "responder".
pub fn audit<M: Meter>(m: &mut M, d: &Devices) {
    use Side::*;
    const F: &str = "audit";
    let key = d.a.signing_key();
    let mut records = [[0u8; MAX_RECORD_LEN]; 5];
    let mut lens = [0usize; 5];
    let (mut writer, n) = m.step(F, Initiator, || {
        AuditWriter::genesis(key, d.a.device_id(), T0, &mut records[0]).unwrap()
    });
    lens[0] = n;
    for i in 1..5 {
        let out = &mut records[i];
        lens[i] = m.step(F, Initiator, || {
            let event = Event::SessionRefused {
                reason: RefusalReason::Untrusted,
                peer: DeviceId::from_bytes([3; 16]),
                fingerprint: Fingerprint::from_bytes([i as u8; 20]),
            };
            writer.append(key, T0 + i as u64, event, out).unwrap()
        });
    }
    let anchor = d.a.signing_key().verifying_key();
    let mut verifier = m.step(F, Responder, || {
        ChainVerifier::new(Anchor::SigningKey(anchor), None)
    });
    for (record, len) in records.iter().zip(lens) {
        m.step(F, Responder, || {
            verifier.push(&record[..len]).unwrap();
        });
    }
    m.step(F, Responder, || verifier.finish().unwrap());
}

/// Runs each call directly.
pub struct NoMeter;

impl Meter for NoMeter {
    fn step<R: Send>(
        &mut self,
        _flow: &'static str,
        _side: Side,
        f: impl FnOnce() -> R + Send,
    ) -> R {
        f()
    }
}
