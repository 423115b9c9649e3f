//! PIN pairing: `PinInitiator` (device 0, types the PIN) and `PinResponder`
//! (device 1, shows it), seven messages:
//!
//! ```text
//! 0 hello_i  ->      1 <- hello_r      2 share_i ->      3 <- share+tag_r
//! 4 tag_i+noise1 ->  5 <- noise2       6 noise3 ->
//! ```
//!
//! The responder reads 0, 2, 4 and 6; the initiator reads 1, 3 and 5.

use arbitrary::Arbitrary;
use honeylink_core::pairing::{
    MAX_PAIRING_MESSAGE_LEN, PendingPeer, Pin, PinGuard, PinInitiator, PinResponder,
};

use crate::seed::{Encode, Writer};
use crate::tamper::{Tamper, Transcript};
use crate::{local, rng};

/// The messages the responder reads.
pub const RESPONDER_READS: [usize; 4] = [0, 2, 4, 6];
/// The messages the initiator reads.
pub const INITIATOR_READS: [usize; 3] = [1, 3, 5];
/// When the PIN is shown.
pub const SHOWN_AT: u64 = 1_000;

/// The input of `pin_responder` and `pin_initiator`.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct PinInput {
    /// Seeds the RNGs (the PIN, the nonces, the CPace scalars).
    pub seed: u16,
    /// The person types one digit wrong.
    pub wrong_pin: bool,
    /// Seconds between the responder's steps, modulo 40 (the PIN accepts a
    /// hello for 30 s and a run may take 90 s).
    pub delay: u8,
    /// The alterations.
    pub tampers: Vec<Tamper>,
}

impl Encode for PinInput {
    fn encode(&self, w: &mut Writer) {
        w.u16(self.seed);
        w.bool(self.wrong_pin);
        w.u8(self.delay);
        w.vec(&self.tampers);
    }
}

impl PinInput {
    /// The delay between the responder's steps, in seconds.
    pub fn delay(&self) -> u64 {
        u64::from(self.delay % 40)
    }

    /// Whether an unaltered run must succeed in time: the hello within 30 s
    /// of showing, the last message within 90 s.
    pub fn in_time(&self) -> bool {
        self.delay() <= 30 && 4 * self.delay() <= 90
    }
}

/// What happened.
#[derive(Debug, Default)]
pub struct PinReport {
    /// Which delivered messages were altered.
    pub altered: Vec<bool>,
    /// The responder's confirmation tag went out (its share-and-tag).
    pub tag_released: bool,
    /// The initiator's pending peer and handshake hash, if it finished.
    pub initiator: Option<(PendingPeer, [u8; 64])>,
    /// The responder's, if it finished.
    pub responder: Option<(PendingPeer, [u8; 64])>,
    /// Failures the guard counts afterwards.
    pub guard_failures: usize,
}

/// Plays a PIN pairing; the fuzzer alters the messages at `alterable`.
pub fn run(input: &PinInput, alterable: &[usize]) -> PinReport {
    let twin = || {
        let honest = PinInput {
            seed: input.seed ^ 0xa5a5,
            wrong_pin: false,
            delay: 1,
            tampers: Vec::new(),
        };
        let mut t = Transcript::honest();
        let mut guard = PinGuard::new();
        drive(&honest, &mut t, &mut guard, &mut PinReport::default());
        t.written
    };
    let mut t = Transcript::new(&input.tampers, alterable, twin);
    let mut guard = PinGuard::new();
    let mut report = PinReport::default();
    drive(input, &mut t, &mut guard, &mut report);
    report.altered = t.altered;
    let now = SHOWN_AT + 5 * input.delay();
    report.guard_failures = guard
        .export(now)
        .failure_ages
        .iter()
        .filter(|a| a.is_some())
        .count();
    report
}

fn drive(input: &PinInput, t: &mut Transcript<'_>, guard: &mut PinGuard, report: &mut PinReport) {
    let (mut ri, mut rr) = (rng(input.seed, 0), rng(input.seed, 1));
    let at = |step: u64| SHOWN_AT + step * input.delay();
    let mut out = vec![0u8; MAX_PAIRING_MESSAGE_LEN + 256];
    let mut responder =
        PinResponder::new(local(1), guard, SHOWN_AT, &mut rr).expect("a fresh guard");
    let mut digits = *responder.pin().expose_secret();
    if input.wrong_pin {
        digits[0] = b'0' + (digits[0] - b'0' + 1) % 10;
    }
    let typed = Pin::parse(std::str::from_utf8(&digits).expect("digits")).expect("six digits");
    let (mut initiator, n) =
        PinInitiator::start(local(0), typed, &mut out, &mut ri).expect("start");

    let m = t.deliver(&out[..n]);
    let Ok((n, run)) = responder.handle_hello(at(1), &m, &mut out, &mut rr) else {
        return;
    };
    let m = t.deliver(&out[..n]);
    let Ok(n) = initiator.handle_hello(&m, &mut out, &mut ri) else {
        return;
    };
    let m = t.deliver(&out[..n]);
    let Ok(n) = responder.handle_share(at(2), run, &m, &mut out, &mut rr) else {
        return;
    };
    report.tag_released = true;
    let m = t.deliver(&out[..n]);
    let Ok(n) = initiator.handle_share_and_tag(&m, &mut out, &mut ri) else {
        return;
    };
    let m = t.deliver(&out[..n]);
    let Ok(n) = responder.handle_tag(at(3), run, &m, &mut out, &mut rr) else {
        return;
    };
    let m = t.deliver(&out[..n]);
    let Ok((n, peer, outcome)) = initiator.handle_noise2(&m, &mut out) else {
        return;
    };
    report.initiator = Some((peer, *outcome.handshake_hash()));
    let m = t.deliver(&out[..n]);
    if let Ok((peer, outcome)) = responder.handle_noise3(at(4), run, &m) {
        report.responder = Some((peer, *outcome.handshake_hash()));
    }
}

/// The properties `pin_responder` and `pin_initiator` state at their top.
pub fn check(input: &PinInput, report: &PinReport) {
    let honest = !report.altered.iter().any(|a| *a);
    if honest && !input.wrong_pin && input.in_time() {
        assert!(
            report.initiator.is_some() && report.responder.is_some(),
            "an honest PIN pairing failed: {report:?}"
        );
        assert_eq!(report.guard_failures, 0);
    }
    if let Some((peer, hash)) = &report.initiator {
        assert!(!input.wrong_pin, "a wrong PIN paired");
        assert!(!report.altered.iter().take(6).any(|a| *a), "{report:?}");
        expect_peer(peer, 1);
        if let Some((_, other)) = &report.responder {
            assert_eq!(hash, other);
        }
    }
    if let Some((peer, _)) = &report.responder {
        assert!(!input.wrong_pin && honest, "{report:?}");
        assert!(report.initiator.is_some());
        expect_peer(peer, 0);
    }
    if !report.tag_released {
        assert_eq!(report.guard_failures, 0, "a run without a tag was counted");
    } else if input.wrong_pin {
        assert_eq!(report.guard_failures, 1, "a wrong PIN was not counted");
    }
}

fn expect_peer(peer: &PendingPeer, who: usize) {
    let expected = local(who);
    assert_eq!(peer.id(), expected.identity.device_id());
    assert_eq!(peer.name(), expected.name);
    assert_eq!(peer.key(), expected.identity.static_public_key());
    assert_eq!(peer.flags(), expected.flags);
    assert_eq!(peer.method(), honeylink_core::pairing::PairingMethod::Pin);
}
