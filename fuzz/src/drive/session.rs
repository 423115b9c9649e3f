//! A session handshake between paired devices: `SessionInitiator` (device
//! 0) and `SessionResponder` (device 1), each with a trust store the fuzzer
//! chooses.

use arbitrary::Arbitrary;
use honeylink_core::Error;
use honeylink_core::identity::{DeviceId, DeviceName};
use honeylink_core::noise::PairingMethod;
use honeylink_core::pairing::PendingPeer;
use honeylink_core::session::{
    PeerVerdict, SessionEnd, SessionInitiator, SessionResponder, StreamSession,
};
use honeylink_core::trust::{Decision, TrustStore};
use honeylink_core::wire::PayloadFlags;

use crate::seed::{Encode, Writer};
use crate::tamper::{Tamper, Transcript};
use crate::{NAMES, identities, rng};

/// What one side's trust store says about the other.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// The peer's id with its key.
    Trusted,
    /// Only a third device.
    Unknown,
    /// The peer's id is blocked.
    BlockedDevice,
    /// The peer's key is blocked.
    BlockedKey,
    /// The peer's id with another key.
    KeyChanged,
    /// The peer's key under another id.
    IdentityMismatch,
}

impl Trust {
    /// A store that says this about device `peer` (device 2 is the third).
    pub fn store(self, peer: usize) -> TrustStore<4> {
        let ids = identities();
        let record = |id: DeviceId, key_of: usize| {
            PendingPeer::hazmat_new(
                id,
                DeviceName::new(NAMES[peer]).expect("valid"),
                *ids[key_of].static_public_key(),
                PairingMethod::Qr,
            )
            .confirm(7)
        };
        let mut store = TrustStore::new();
        let done = match self {
            Self::Trusted => store.add(record(ids[peer].device_id(), peer)),
            Self::Unknown => store.add(record(ids[2].device_id(), 2)),
            Self::BlockedDevice => store.block_device(ids[peer].device_id()),
            Self::BlockedKey => store.block_key(*ids[peer].static_public_key()),
            Self::KeyChanged => store.add(record(ids[peer].device_id(), 2)),
            Self::IdentityMismatch => store.add(record(ids[2].device_id(), peer)),
        };
        done.expect("a store of one entry");
        store
    }

    /// Whether `decision` is the one this store must give.
    pub fn matches(self, decision: &Decision) -> bool {
        matches!(
            (self, decision),
            (Self::Trusted, Decision::Trusted)
                | (Self::Unknown, Decision::Unknown)
                | (Self::BlockedDevice | Self::BlockedKey, Decision::Blocked)
                | (Self::KeyChanged, Decision::KeyChanged { .. })
                | (Self::IdentityMismatch, Decision::IdentityMismatch)
        )
    }
}

impl Encode for Trust {
    fn encode(&self, w: &mut Writer) {
        w.variant(*self as u32, 6);
    }
}

/// The input of `session_initiator` and `session_responder`.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct SessionInput {
    /// Seeds the RNGs.
    pub seed: u16,
    /// What the initiator's store says about the responder.
    pub initiator_trust: Trust,
    /// What the responder's store says about the initiator.
    pub responder_trust: Trust,
    /// The alterations.
    pub tampers: Vec<Tamper>,
}

impl Encode for SessionInput {
    fn encode(&self, w: &mut Writer) {
        w.u16(self.seed);
        self.initiator_trust.encode(w);
        self.responder_trust.encode(w);
        w.vec(&self.tampers);
    }
}

/// What happened.
#[derive(Debug, Default)]
pub struct SessionReport {
    /// Which delivered messages were altered.
    pub altered: Vec<bool>,
    /// The initiator's verdict on message 2, if it read it.
    pub initiator_verdict: Option<PeerVerdict>,
    /// What writing message 3 gave: the handshake hash, or the error.
    pub message3: Option<Result<[u8; 64], Error>>,
    /// The responder's verdict on message 3, if it read it.
    pub responder_verdict: Option<PeerVerdict>,
    /// The responder's handshake hash, if it established the session.
    pub responder_hash: Option<[u8; 64]>,
    /// Whether a record sealed by each side opened at the other, once both
    /// sides had keys.
    pub transport_ok: Option<bool>,
}

/// Plays a session handshake; the fuzzer alters the messages at the
/// `alterable` indices (0 and 2 are the responder's input, 1 the
/// initiator's).
pub fn run(input: &SessionInput, alterable: &[usize]) -> SessionReport {
    let twin = || {
        let honest = SessionInput {
            seed: input.seed ^ 0xa5a5,
            initiator_trust: Trust::Trusted,
            responder_trust: Trust::Trusted,
            tampers: Vec::new(),
        };
        let mut t = Transcript::honest();
        drive(&honest, &mut t, &mut SessionReport::default());
        t.written
    };
    let mut t = Transcript::new(&input.tampers, alterable, twin);
    let mut report = SessionReport::default();
    drive(input, &mut t, &mut report);
    report.altered = t.altered;
    report
}

fn drive(input: &SessionInput, t: &mut Transcript<'_>, report: &mut SessionReport) {
    let ids = identities();
    let (trust_i, trust_r) = (
        input.initiator_trust.store(1),
        input.responder_trust.store(0),
    );
    let (mut ri, mut rr) = (rng(input.seed, 0), rng(input.seed, 1));
    let mut out = vec![0u8; 1024];
    let (mut initiator, n) =
        SessionInitiator::start(&ids[0], PayloadFlags::empty(), &mut out, &mut ri).expect("start");
    let m1 = t.deliver(&out[..n]);
    let mut responder =
        SessionResponder::new(&ids[1], PayloadFlags::HEADLESS, &mut rr).expect("rng");
    let Ok(n) = responder.respond(&m1, &mut out) else {
        return;
    };
    let m2 = t.deliver(&out[..n]);
    let Ok(verdict) = initiator.read_message2(&trust_i, &m2) else {
        return;
    };
    report.initiator_verdict = Some(verdict);
    let (n, outcome_i) = match initiator.write_message3(&mut out) {
        Ok((n, _, outcome)) => (n, outcome),
        Err(error) => {
            report.message3 = Some(Err(error));
            return;
        }
    };
    report.message3 = Some(Ok(*outcome_i.handshake_hash()));
    let m3 = t.deliver(&out[..n]);
    let outcome_r = match responder.read_message3(&trust_r, &m3) {
        Ok(SessionEnd::Established(verdict, outcome)) => {
            report.responder_verdict = Some(verdict);
            outcome
        }
        Ok(SessionEnd::Refused(verdict)) => {
            report.responder_verdict = Some(verdict);
            return;
        }
        Err(_) => return,
    };
    report.responder_hash = Some(*outcome_r.handshake_hash());
    // Both sides have keys: one record each way must open.
    let mut a = StreamSession::<4>::new(outcome_i);
    let mut b = StreamSession::<4>::new(outcome_r);
    report.transport_ok = Some(one_way(&mut a, &mut b) && one_way(&mut b, &mut a));
}

/// Whether a record `from` seals opens at `to`.
pub fn one_way(from: &mut StreamSession<4>, to: &mut StreamSession<4>) -> bool {
    let mut record = [0u8; 4 + StreamSession::<4>::OVERHEAD];
    record[..4].copy_from_slice(b"ping");
    let len = from.seal_in_place(&mut record, 4).expect("seal");
    to.open_in_place(&mut record[..len]).map(|p| p == b"ping") == Ok(true)
}

/// The properties `session_initiator` and `session_responder` state at
/// their top.
pub fn check(input: &SessionInput, report: &SessionReport) {
    let ids = identities();
    let altered = |i: usize| report.altered.get(i).copied().unwrap_or(false);
    if let Some(verdict) = &report.initiator_verdict {
        assert!(
            !altered(0) && !altered(1),
            "a verdict on an altered message"
        );
        assert_eq!(verdict.id, ids[1].device_id());
        assert_eq!(&verdict.key, ids[1].static_public_key());
        assert_eq!(verdict.flags, PayloadFlags::HEADLESS);
        assert!(
            input.initiator_trust.matches(&verdict.decision),
            "{verdict:?}"
        );
        let wrote = matches!(report.message3, Some(Ok(_)));
        assert_eq!(wrote, verdict.decision.is_trusted(), "{report:?}");
        if !wrote {
            assert_eq!(report.message3, Some(Err(Error::NotTrusted)));
        }
    } else {
        assert!(report.message3.is_none());
    }
    if let Some(verdict) = &report.responder_verdict {
        assert!(
            !report.altered.iter().any(|a| *a),
            "a verdict on an altered message"
        );
        assert_eq!(verdict.id, ids[0].device_id());
        assert_eq!(&verdict.key, ids[0].static_public_key());
        assert!(
            input.responder_trust.matches(&verdict.decision),
            "{verdict:?}"
        );
        assert_eq!(
            report.responder_hash.is_some(),
            verdict.decision.is_trusted()
        );
    } else {
        assert!(report.responder_hash.is_none());
    }
    if let Some(hash) = report.responder_hash {
        assert_eq!(report.message3, Some(Ok(hash)), "the hashes differ");
        assert_eq!(report.transport_ok, Some(true), "the session keys differ");
    }
    let honest = !report.altered.iter().any(|a| *a);
    if honest && input.initiator_trust == Trust::Trusted && input.responder_trust == Trust::Trusted
    {
        assert!(
            report.responder_hash.is_some(),
            "an honest session failed: {report:?}"
        );
    }
}
