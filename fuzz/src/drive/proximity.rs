//! QR and NFC pairing: `ProximityResponder` (device 1, shows the code or
//! writes the tag) and `ProximityInitiator` (device 0, scans it), four
//! messages:
//!
//! ```text
//! 0 <- the code (QR text, or the NDEF message holding the binary payload)
//! 1 -> Noise message 1     2 <- Noise message 2     3 -> Noise message 3
//! ```
//!
//! The responder reads 1 and 3; the initiator reads 0 and 2.

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use arbitrary::Arbitrary;
use honeylink_core::Error;
use honeylink_core::pairing::payload::{
    ExpiryClock, MAX_BINARY_LEN, MAX_TEXT_LEN, PairingPayload, TransportHint,
};
use honeylink_core::pairing::{
    MAX_PAIRING_MESSAGE_LEN, PairingMethod, PendingPeer, ProximityInitiator, ProximityResponder,
    RUN_TIMEOUT_SECS, ndef,
};

use crate::seed::{Encode, Writer};
use crate::tamper::{Tamper, Transcript};
use crate::{local, rng};

/// The messages the responder reads.
pub const RESPONDER_READS: [usize; 2] = [1, 3];
/// The messages the initiator reads.
pub const INITIATOR_READS: [usize; 2] = [0, 2];
/// When the code is made.
pub const CREATED_AT: u64 = 50_000;

/// The input of `proximity_responder` and `proximity_initiator`.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct ProximityInput {
    /// Seeds the RNGs (the one-time secret, the ephemeral keys).
    pub seed: u16,
    /// NFC (binary payload in NDEF) rather than QR (text).
    pub nfc: bool,
    /// The expiry is on the wall clock rather than the creator's.
    pub wall_clock: bool,
    /// The code's validity, modulo 301 seconds.
    pub validity: u16,
    /// Seconds between the responder's steps, modulo 64.
    pub delay: u8,
    /// The transport hint: none, IPv4, IPv6 or BLE (modulo 4).
    pub hint: u8,
    /// The alterations.
    pub tampers: Vec<Tamper>,
}

impl Encode for ProximityInput {
    fn encode(&self, w: &mut Writer) {
        w.u16(self.seed);
        w.bool(self.nfc);
        w.bool(self.wall_clock);
        w.u16(self.validity);
        w.u8(self.delay);
        w.u8(self.hint);
        w.vec(&self.tampers);
    }
}

impl ProximityInput {
    fn method(&self) -> PairingMethod {
        if self.nfc {
            PairingMethod::Nfc
        } else {
            PairingMethod::Qr
        }
    }

    /// The validity in seconds.
    pub fn validity(&self) -> u64 {
        u64::from(self.validity % 301)
    }

    /// The delay between steps in seconds.
    pub fn delay(&self) -> u64 {
        u64::from(self.delay % 64)
    }

    /// Whether an unaltered run must succeed: message 3 arrives before the
    /// code expires and before the run times out.
    pub fn in_time(&self) -> bool {
        2 * self.delay() <= self.validity() && self.delay() < RUN_TIMEOUT_SECS
    }

    fn hint(&self) -> Option<TransportHint> {
        let port = self.seed;
        match self.hint % 4 {
            0 => None,
            1 => Some(TransportHint::Socket(SocketAddr::new(
                Ipv4Addr::new(192, 0, 2, self.hint).into(),
                port,
            ))),
            2 => Some(TransportHint::Socket(SocketAddr::new(
                Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(self.hint)).into(),
                port,
            ))),
            _ => Some(TransportHint::Ble([self.hint, 1, 2, 3, 4, 5])),
        }
    }
}

/// What happened.
#[derive(Debug, Default)]
pub struct ProximityReport {
    /// Which delivered messages were altered (the code: whether it decoded
    /// to another payload, or did not decode).
    pub altered: Vec<bool>,
    /// The initiator's pending peer and handshake hash, if it finished.
    pub initiator: Option<(PendingPeer, [u8; 64])>,
    /// The responder's, if it finished.
    pub responder: Option<(PendingPeer, [u8; 64])>,
    /// What the responder answered to message 1 replayed after the pairing.
    pub replay_after: Option<Error>,
}

/// Plays a QR or NFC pairing; the fuzzer alters the messages at `alterable`.
pub fn run(input: &ProximityInput, alterable: &[usize]) -> ProximityReport {
    let twin = || {
        let honest = ProximityInput {
            seed: input.seed ^ 0xa5a5,
            tampers: Vec::new(),
            ..input.clone()
        };
        let mut t = Transcript::honest();
        drive(&honest, &mut t, &mut ProximityReport::default());
        t.written
    };
    let mut t = Transcript::new(&input.tampers, alterable, twin);
    let mut report = ProximityReport::default();
    drive(input, &mut t, &mut report);
    report.altered = t.altered;
    report
}

/// The code as the responder shows it: QR text, or an NDEF message.
fn show(payload: &PairingPayload, nfc: bool) -> Vec<u8> {
    if nfc {
        let mut binary = [0u8; MAX_BINARY_LEN];
        let n = payload.encode_binary(&mut binary).expect("fits");
        let mut out = vec![0u8; ndef::encoded_len(n)];
        ndef::encode(&binary[..n], &mut out).expect("fits");
        out
    } else {
        let mut out = vec![0u8; MAX_TEXT_LEN];
        let n = payload.encode_text(&mut out).expect("fits");
        out.truncate(n);
        out
    }
}

/// The code as the scanner reads it.
fn scan(code: &[u8], nfc: bool) -> Option<PairingPayload> {
    if nfc {
        ndef::find_payload(code)
            .and_then(PairingPayload::decode_binary)
            .ok()
    } else {
        let text = std::str::from_utf8(code).ok()?;
        PairingPayload::decode_text(text).ok()
    }
}

fn binary(payload: &PairingPayload) -> Vec<u8> {
    let mut out = vec![0u8; MAX_BINARY_LEN];
    let n = payload.encode_binary(&mut out).expect("fits");
    out.truncate(n);
    out
}

fn drive(input: &ProximityInput, t: &mut Transcript<'_>, report: &mut ProximityReport) {
    let (mut ri, mut rr) = (rng(input.seed, 0), rng(input.seed, 1));
    let clock = if input.wall_clock {
        ExpiryClock::WallClock
    } else {
        ExpiryClock::CreatorClock
    };
    let mut responder = ProximityResponder::new(
        local(1),
        input.method(),
        CREATED_AT,
        input.validity(),
        clock,
        input.hint(),
        &mut rr,
    )
    .expect("a valid code");
    let code = t.deliver(&show(responder.payload(), input.nfc));
    let scanned = scan(&code, input.nfc);
    // Several spellings can carry one payload (NDEF type names compare
    // case-insensitively): the code counts as altered if its value changed.
    let same = scanned
        .as_ref()
        .is_some_and(|p| binary(p) == binary(responder.payload()));
    t.set_altered(0, !same);
    let Some(scanned) = scanned else {
        return;
    };
    let mut out = vec![0u8; MAX_PAIRING_MESSAGE_LEN];
    let wall = input.wall_clock.then_some(CREATED_AT + input.delay());
    let Ok((mut initiator, n, _)) =
        ProximityInitiator::start(local(0), input.method(), &scanned, wall, &mut out, &mut ri)
    else {
        return;
    };
    let m1 = t.deliver(&out[..n]);
    let now = CREATED_AT + input.delay();
    let Ok((n, run)) = responder.handle_message1(now, &m1, &mut out, &mut rr) else {
        return;
    };
    let m = t.deliver(&out[..n]);
    let Ok((n, peer, outcome)) = initiator.handle_message2(&m, &mut out) else {
        return;
    };
    report.initiator = Some((peer, *outcome.handshake_hash()));
    let m = t.deliver(&out[..n]);
    let now = now + input.delay();
    if let Ok((peer, outcome)) = responder.handle_message3(now, run, &m) {
        report.responder = Some((peer, *outcome.handshake_hash()));
        report.replay_after = responder.handle_message1(now, &m1, &mut out, &mut rr).err();
    }
}

/// The properties `proximity_responder` and `proximity_initiator` state at
/// their top.
pub fn check(input: &ProximityInput, report: &ProximityReport) {
    let honest = !report.altered.iter().any(|a| *a);
    if honest && input.in_time() {
        assert!(
            report.initiator.is_some() && report.responder.is_some(),
            "an honest pairing failed: {report:?}"
        );
    }
    if let Some((peer, hash)) = &report.initiator {
        assert!(!report.altered.iter().take(3).any(|a| *a), "{report:?}");
        expect_peer(peer, 1, input.method());
        if let Some((_, other)) = &report.responder {
            assert_eq!(hash, other);
        }
    }
    if let Some((peer, _)) = &report.responder {
        assert!(honest, "the responder paired after an altered message");
        assert!(report.initiator.is_some());
        expect_peer(peer, 0, input.method());
        assert_eq!(report.replay_after, Some(Error::PayloadUsed));
    }
}

fn expect_peer(peer: &PendingPeer, who: usize, method: PairingMethod) {
    let expected = local(who);
    assert_eq!(peer.id(), expected.identity.device_id());
    assert_eq!(peer.name(), expected.name);
    assert_eq!(peer.key(), expected.identity.static_public_key());
    assert_eq!(peer.flags(), expected.flags);
    assert_eq!(peer.method(), method);
}
