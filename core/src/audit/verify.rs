//! Streaming verification of a chain: one record at a time, constant memory.

use super::Event;
use super::record::{Record, rotation_statement};
use super::writer::ChainHead;
use crate::Error;
use crate::crypto::ed25519::{Signature, VerifyingKey};
use crate::crypto::hash::HASH_LEN;
use crate::identity::DeviceId;

/// What a verifier trusts before reading anything.
#[derive(Clone, Copy, Debug)]
pub enum Anchor {
    /// The signing key the chain must start with (from the device identity).
    SigningKey(VerifyingKey),
    /// The SHA-512 of the first record's signed bytes.
    FirstRecordHash([u8; HASH_LEN]),
    /// A chain whose oldest records were deliberately removed (retention):
    /// the first record given must be record `seq` (at least 1), follow the
    /// record whose hash is `prev_hash`, and be signed by `key`, the chain's
    /// signing key at that point. What was removed is not verified, and
    /// removing more records from the front is only caught if `seq` and
    /// `prev_hash` come from somewhere the remover could not change.
    Continuation {
        /// The signing key of the first record kept.
        key: VerifyingKey,
        /// The first record's sequence number.
        seq: u64,
        /// SHA-512 of the last removed record's signed bytes.
        prev_hash: [u8; HASH_LEN],
    },
}

/// The anchor as compared: bytes only, so the verifier keeps one decoded key
/// (the current one), not two.
#[derive(Clone, Copy, Debug)]
enum AnchorValue {
    Key([u8; 32]),
    Hash([u8; HASH_LEN]),
    Continuation {
        key: [u8; 32],
        seq: u64,
        prev_hash: [u8; HASH_LEN],
    },
}

/// Why a record was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectionReason {
    /// The bytes are not a record (garbage, or a record of an unknown
    /// version), or not one a chain can hold: a record numbered 2^64 - 1,
    /// which no writer writes, is refused as
    /// `BadEncoding(Error::NonceExhausted)`.
    BadEncoding(Error),
    /// The record is signed by a key other than the chain's current key.
    WrongKey,
    /// The signature does not verify: the record was edited.
    SignatureInvalid,
    /// A sequence number was skipped: a record is missing.
    SequenceGap {
        /// The sequence number expected here.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// A record is out of place: reordered, duplicated or inserted (its
    /// sequence number or its previous-record hash does not follow).
    OutOfOrder {
        /// The sequence number expected here.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// The first record is not a genesis record, or a later one is.
    MisplacedGenesis,
    /// The first record does not match the anchor: a chain re-signed from the
    /// start by another key, or a different first record.
    AnchorMismatch,
    /// A signing-key rotation lacks a valid signature by the new key.
    RotationProofInvalid,
    /// The chain ends before the head kept elsewhere: its tail was cut.
    Truncated {
        /// The last sequence number the head names.
        head_seq: u64,
        /// The last one found (none if the chain is empty).
        last_seq: Option<u64>,
    },
    /// The record at the head's sequence number is not the head's record.
    HeadMismatch,
}

/// The first bad record and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Position of the record in the stream given to the verifier, from 0.
    pub index: u64,
    /// Why.
    pub reason: RejectionReason,
}

/// A record whose sequence number jumped ahead, held for one step to tell a
/// missing record (a gap) from two swapped ones (a reordering).
#[derive(Clone, Copy, Debug)]
struct PendingJump {
    index: u64,
    expected: u64,
    found: u64,
}

/// Verifies a chain record by record, in constant memory, reporting the first
/// bad record and why.
///
/// Feed every record with [`ChainVerifier::push`], then call
/// [`ChainVerifier::finish`] (with the head kept elsewhere, if any). After a
/// rejection every later call returns the same rejection.
#[derive(Debug)]
pub struct ChainVerifier {
    anchor: AnchorValue,
    index: u64,
    next_seq: u64,
    head_hash: [u8; HASH_LEN],
    key: Option<VerifyingKey>,
    device_id: Option<DeviceId>,
    pending: Option<PendingJump>,
    rejected: Option<Rejection>,
    head: Option<ChainHead>,
}

impl ChainVerifier {
    /// A verifier that trusts `anchor` and, if given, checks the chain
    /// against a `head` kept elsewhere: the record at the head's position
    /// must be the head's record, and the chain must reach it.
    #[must_use]
    pub fn new(anchor: Anchor, head: Option<ChainHead>) -> Self {
        Self {
            anchor: match anchor {
                Anchor::SigningKey(key) => AnchorValue::Key(*key.as_bytes()),
                Anchor::FirstRecordHash(hash) => AnchorValue::Hash(hash),
                Anchor::Continuation {
                    key,
                    seq,
                    prev_hash,
                } => AnchorValue::Continuation {
                    key: *key.as_bytes(),
                    seq,
                    prev_hash,
                },
            },
            index: 0,
            next_seq: 0,
            head_hash: [0; HASH_LEN],
            key: None,
            device_id: None,
            pending: None,
            rejected: None,
            head,
        }
    }

    /// The device the chain belongs to, once its genesis record verified.
    #[must_use]
    pub const fn device_id(&self) -> Option<DeviceId> {
        self.device_id
    }

    /// The key that signs the chain's next record.
    #[must_use]
    pub const fn current_key(&self) -> Option<VerifyingKey> {
        self.key
    }

    fn reject(&mut self, index: u64, reason: RejectionReason) -> Rejection {
        let rejection = Rejection { index, reason };
        self.rejected = Some(rejection);
        rejection
    }

    /// Verifies the next record's signed bytes; returns the decoded record
    /// once it has verified in place.
    ///
    /// `Ok(None)` means the record's sequence number jumps ahead: it is held,
    /// not verified in place, and must not be acted on; the next record (or
    /// `finish`) reports whether one was missing
    /// ([`RejectionReason::SequenceGap`]) or two were swapped
    /// ([`RejectionReason::OutOfOrder`]).
    ///
    /// # Errors
    /// The first bad record, with its index and reason.
    pub fn push<'a>(&mut self, signed: &'a [u8]) -> Result<Option<Record<'a>>, Rejection> {
        if let Some(rejection) = self.rejected {
            return Err(rejection);
        }
        let index = self.index;
        self.index = index.saturating_add(1);
        if let Some(jump) = self.pending {
            // The record after a jump: the skipped one arriving now means the
            // two were swapped; anything else means it is missing.
            let reason = match Record::decode(signed) {
                Ok(record) if record.seq == jump.expected => RejectionReason::OutOfOrder {
                    expected: jump.expected,
                    found: jump.found,
                },
                _ => RejectionReason::SequenceGap {
                    expected: jump.expected,
                    found: jump.found,
                },
            };
            return Err(self.reject(jump.index, reason));
        }
        let record = Record::decode(signed)
            .map_err(|e| self.reject(index, RejectionReason::BadEncoding(e)))?;
        // No writer numbers a record 2^64 - 1 (it could not number the
        // next), so no chain holds one; accepting it would leave nothing to
        // number what follows it.
        if record.seq == u64::MAX {
            return Err(self.reject(index, RejectionReason::BadEncoding(Error::NonceExhausted)));
        }

        // Who signed: the anchor's key for the first record, then the chain's.
        let key = match (self.key, self.anchor) {
            (Some(key), _) => key,
            (
                None,
                AnchorValue::Continuation {
                    key,
                    seq,
                    prev_hash,
                },
            ) => {
                // The first kept record of a pruned chain: it must sit where
                // the anchor says, and the anchor's key must have signed it.
                if seq == 0 || matches!(record.event, Event::Genesis { .. }) {
                    return Err(self.reject(index, RejectionReason::MisplacedGenesis));
                }
                if record.seq != seq
                    || !crate::crypto::ct::ct_eq_array(&record.prev_hash, &prev_hash)
                    || !crate::crypto::ct::ct_eq_array(&record.signer, &key)
                {
                    return Err(self.reject(index, RejectionReason::AnchorMismatch));
                }
                let key = VerifyingKey::from_bytes(&key)
                    .map_err(|e| self.reject(index, RejectionReason::BadEncoding(e)))?;
                self.next_seq = seq;
                self.head_hash = prev_hash;
                self.key = Some(key);
                key
            }
            (None, _) => {
                let Event::Genesis { signing_key, .. } = record.event else {
                    return Err(self.reject(index, RejectionReason::MisplacedGenesis));
                };
                // Nothing is held before the anchor is checked: the first
                // record must be record 0.
                if record.seq != 0 {
                    return Err(self.reject(index, RejectionReason::MisplacedGenesis));
                }
                VerifyingKey::from_bytes(&signing_key)
                    .map_err(|e| self.reject(index, RejectionReason::BadEncoding(e)))?
            }
        };
        if record.signer != *key.as_bytes() {
            return Err(self.reject(index, RejectionReason::WrongKey));
        }
        if record.verify_signature(&key).is_err() {
            return Err(self.reject(index, RejectionReason::SignatureInvalid));
        }

        // Where it sits in the chain.
        if record.seq > self.next_seq {
            self.pending = Some(PendingJump {
                index,
                expected: self.next_seq,
                found: record.seq,
            });
            return Ok(None);
        }
        if record.seq < self.next_seq || record.prev_hash != self.head_hash {
            return Err(self.reject(
                index,
                RejectionReason::OutOfOrder {
                    expected: self.next_seq,
                    found: record.seq,
                },
            ));
        }

        // What it says.
        match record.event {
            Event::Genesis { device_id, .. } => {
                if self.key.is_some() {
                    return Err(self.reject(index, RejectionReason::MisplacedGenesis));
                }
                let anchored = match self.anchor {
                    AnchorValue::Key(expected) => {
                        crate::crypto::ct::ct_eq_array(&expected, key.as_bytes())
                    }
                    AnchorValue::Hash(hash) => crate::crypto::ct::ct_eq_array(&hash, &record.hash),
                    AnchorValue::Continuation { .. } => false,
                };
                if !anchored {
                    return Err(self.reject(index, RejectionReason::AnchorMismatch));
                }
                self.device_id = Some(device_id);
                self.key = Some(key);
            }
            Event::SigningKeyRotation { new_key, proof } => {
                let statement =
                    rotation_statement(record.seq, &record.prev_hash, key.as_bytes(), &new_key);
                let new = VerifyingKey::from_bytes(&new_key)
                    .map_err(|_| self.reject(index, RejectionReason::RotationProofInvalid))?;
                let proven =
                    Signature::from_bytes(&proof.0).and_then(|sig| new.verify(&statement, &sig));
                if proven.is_err() {
                    return Err(self.reject(index, RejectionReason::RotationProofInvalid));
                }
                self.key = Some(new);
            }
            _ => {}
        }
        if let Some(head) = self.head
            && head.seq == record.seq
            && !crate::crypto::ct::ct_eq_array(&head.hash, &record.hash)
        {
            return Err(self.reject(index, RejectionReason::HeadMismatch));
        }
        self.next_seq = self.next_seq.saturating_add(1);
        self.head_hash = record.hash;
        Ok(Some(record))
    }

    /// Ends verification; returns the chain's head.
    ///
    /// # Errors
    /// The first rejection, including a jump left pending by the last record,
    /// and [`RejectionReason::Truncated`] if the chain is empty or stops
    /// before the head given to [`ChainVerifier::new`]. Records after that
    /// head are accepted: the head may be older than the chain.
    pub fn finish(&mut self) -> Result<ChainHead, Rejection> {
        if let Some(rejection) = self.rejected {
            return Err(rejection);
        }
        if let Some(jump) = self.pending {
            return Err(self.reject(
                jump.index,
                RejectionReason::SequenceGap {
                    expected: jump.expected,
                    found: jump.found,
                },
            ));
        }
        let last_seq = self.next_seq.checked_sub(1);
        let head_seq = self.head.map_or(0, |head| head.seq);
        match last_seq {
            Some(seq) if seq >= head_seq => Ok(ChainHead {
                seq,
                hash: self.head_hash,
            }),
            _ => Err(self.reject(
                self.index,
                RejectionReason::Truncated { head_seq, last_seq },
            )),
        }
    }
}
