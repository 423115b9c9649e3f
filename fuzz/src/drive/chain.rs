//! Audit chains: an honest writer, then one alteration.

use arbitrary::Arbitrary;
use honeylink_core::audit::{AuditWriter, ChainHead, Event, MAX_RECORD_LEN, PairingFailure};
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::ed25519::SigningKey;
use honeylink_core::noise::PairingMethod;
use honeylink_core::trust::RefusalReason;

use crate::identities;
use crate::seed::{Encode, Writer};
use crate::tamper::Edit;

/// What the honest writer appends.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainEvent {
    /// A key was generated.
    KeyGenerated,
    /// A pairing succeeded.
    Paired,
    /// A pairing failed.
    PairingFailed,
    /// A session was refused.
    SessionRefused,
    /// Refusals were summarized.
    RefusalsSummarized,
    /// The chain's signing key rotates.
    Rotate,
}

/// How the chain is altered.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum ChainEdit {
    /// One record's bytes (a splice takes the other chain's record at the
    /// same position; a replay an earlier record of this chain).
    Bytes {
        /// Which record, modulo their number.
        record: u8,
        /// The edit.
        edit: Edit,
    },
    /// A record removed.
    Drop {
        /// Which.
        record: u8,
    },
    /// A record repeated right after itself.
    Duplicate {
        /// Which.
        record: u8,
    },
    /// Two records swapped.
    Swap {
        /// One.
        a: u8,
        /// The other.
        b: u8,
    },
    /// A record of the other chain (another key) inserted.
    Insert {
        /// Where.
        at: u8,
        /// Which record of the other chain.
        record: u8,
    },
}

/// The input of `audit_chain`.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct ChainInput {
    /// Seeds the signing keys and times.
    pub seed: u16,
    /// Anchor on the first record's hash rather than the signing key.
    pub hash_anchor: bool,
    /// What the writer appends after the genesis record (at most 6).
    pub events: Vec<ChainEvent>,
    /// The alteration.
    pub edit: ChainEdit,
}

impl Encode for ChainEvent {
    fn encode(&self, w: &mut Writer) {
        w.variant(*self as u32, 6);
    }
}

impl Encode for ChainEdit {
    fn encode(&self, w: &mut Writer) {
        match self {
            Self::Bytes { record, edit } => {
                w.variant(0, 5);
                w.u8(*record);
                edit.encode(w);
            }
            Self::Drop { record } => {
                w.variant(1, 5);
                w.u8(*record);
            }
            Self::Duplicate { record } => {
                w.variant(2, 5);
                w.u8(*record);
            }
            Self::Swap { a, b } => {
                w.variant(3, 5);
                w.u8(*a);
                w.u8(*b);
            }
            Self::Insert { at, record } => {
                w.variant(4, 5);
                w.u8(*at);
                w.u8(*record);
            }
        }
    }
}

impl Encode for ChainInput {
    fn encode(&self, w: &mut Writer) {
        w.u16(self.seed);
        w.bool(self.hash_anchor);
        w.vec(&self.events);
        self.edit.encode(w);
    }
}

/// The signing key number `n` of chain `seed`.
pub fn signing_key(seed: u16, n: u8) -> SigningKey {
    let mut bytes = [0x7a; 32];
    bytes[..2].copy_from_slice(&seed.to_le_bytes());
    bytes[2] = n;
    SigningKey::from_seed(&SecretBytes::new(bytes))
}

/// An honest chain: its records, its head, and its first signing key.
pub fn write(seed: u16, events: &[ChainEvent]) -> (Vec<Vec<u8>>, ChainHead, SigningKey) {
    let ids = identities();
    let first = signing_key(seed, 0);
    let mut key = signing_key(seed, 0);
    let mut out = [0u8; MAX_RECORD_LEN];
    let mut time = u64::from(seed) * 1000;
    let (mut writer, n) =
        AuditWriter::genesis(&first, ids[0].device_id(), time, &mut out).expect("fits");
    let mut records = vec![out[..n].to_vec()];
    for (i, event) in events.iter().take(6).enumerate() {
        time += 1 + i as u64 * 977;
        let (peer, fingerprint) = (ids[1].device_id(), ids[1].fingerprint());
        let event = match event {
            ChainEvent::KeyGenerated => Event::KeyGenerated {
                fingerprint: ids[0].fingerprint(),
            },
            ChainEvent::Paired => Event::Paired {
                method: PairingMethod::Pin,
                peer,
                fingerprint,
            },
            ChainEvent::PairingFailed => Event::PairingFailed {
                method: PairingMethod::Nfc,
                peer: Some(peer),
                reason: PairingFailure::HandshakeFailed,
            },
            ChainEvent::SessionRefused => Event::SessionRefused {
                reason: RefusalReason::ALL[i % 4],
                peer,
                fingerprint,
            },
            ChainEvent::RefusalsSummarized => Event::RefusalsSummarized {
                window_start: time,
                suppressed: [u32::from(seed), 1, 300, u32::MAX],
            },
            ChainEvent::Rotate => {
                let next = signing_key(seed, i as u8 + 1);
                let n = writer
                    .rotate_signing_key(&key, &next, time, &mut out)
                    .expect("fits");
                records.push(out[..n].to_vec());
                key = next;
                continue;
            }
        };
        let n = writer.append(&key, time, event, &mut out).expect("fits");
        records.push(out[..n].to_vec());
    }
    let head = writer.head().expect("a record was written");
    (records, head, first)
}

/// Applies `edit` to `records`; `other` is another chain's records.
pub fn alter(records: &mut Vec<Vec<u8>>, edit: &ChainEdit, other: &[Vec<u8>]) {
    let len = records.len();
    let at = |i: u8| usize::from(i) % len;
    match edit {
        ChainEdit::Bytes { record, edit } => {
            let i = at(*record);
            let mut bytes = records[i].clone();
            edit.apply(&mut bytes, &records[..i], other.get(i).map(Vec::as_slice));
            records[i] = bytes;
        }
        ChainEdit::Drop { record } => {
            records.remove(at(*record));
        }
        ChainEdit::Duplicate { record } => {
            let i = at(*record);
            let copy = records[i].clone();
            records.insert(i + 1, copy);
        }
        ChainEdit::Swap { a, b } => records.swap(at(*a), at(*b)),
        ChainEdit::Insert { at: i, record } => {
            let from = other[usize::from(*record) % other.len()].clone();
            records.insert(usize::from(*i) % (len + 1), from);
        }
    }
}
