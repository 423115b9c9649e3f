//! Audit chains: each attack gets its specific verdict naming the first bad
//! record; rotation is followed; floods produce bounded records.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use honeylink_core::Error;
use honeylink_core::audit::{
    Admission, Anchor, AuditWriter, ChainHead, ChainVerifier, Event, MAX_RECORD_LEN,
    PairingFailure, REFUSAL_BUDGET, REFUSAL_TABLE_SIZE, REFUSAL_WINDOW_SECS, Record,
    RefusalLimiter, Rejection, RejectionReason, RotationKind,
};
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::ed25519::SigningKey;
use honeylink_core::identity::{
    DeviceId, DeviceIdentity, Fingerprint, IdentitySecrets, SigningContext,
};
use honeylink_core::pairing::PairingMethod;
use honeylink_core::trust::{KeyChangeAction, RefusalReason};
use honeylink_core::wire::FixedBytes;

fn key(b: u8) -> SigningKey {
    SigningKey::from_seed(&SecretBytes::new([b; 32]))
}

const DEVICE: DeviceId = DeviceId::from_bytes([0xd0; 16]);
const PEER: DeviceId = DeviceId::from_bytes([0xee; 16]);
const FP_A: Fingerprint = Fingerprint::from_bytes([0xa1; 20]);
const FP_B: Fingerprint = Fingerprint::from_bytes([0xb2; 20]);

/// Every event kind a writer may append, one of each.
fn events() -> Vec<Event> {
    vec![
        Event::KeyGenerated { fingerprint: FP_A },
        Event::Paired {
            method: PairingMethod::Qr,
            peer: PEER,
            fingerprint: FP_B,
        },
        Event::PairingFailed {
            method: PairingMethod::Pin,
            peer: None,
            reason: PairingFailure::HandshakeFailed,
        },
        Event::PairingFailed {
            method: PairingMethod::Nfc,
            peer: Some(PEER),
            reason: PairingFailure::Rejected,
        },
        Event::Unpaired {
            peer: PEER,
            fingerprint: FP_B,
        },
        Event::DeviceBlocked { peer: PEER },
        Event::KeyBlocked { fingerprint: FP_B },
        Event::KeyChangeDetected {
            peer: PEER,
            old: FP_A,
            new: FP_B,
            action: KeyChangeAction::Reverify,
        },
        Event::KeyRotated {
            kind: RotationKind::Emergency,
            old: FP_A,
            new: FP_B,
        },
        Event::KeysDestroyed { fingerprint: FP_A },
        Event::SessionRefused {
            reason: RefusalReason::IdentityMismatch,
            peer: PEER,
            fingerprint: FP_B,
        },
        Event::RefusalsSummarized {
            window_start: u64::MAX,
            suppressed: [u32::MAX; 4],
        },
    ]
}

/// A chain of genesis plus every event, as signed bytes.
fn chain() -> (Vec<Vec<u8>>, ChainHead) {
    let signer = key(1);
    let mut out = [0u8; MAX_RECORD_LEN];
    let (mut writer, n) = AuditWriter::genesis(&signer, DEVICE, 1000, &mut out).unwrap();
    let mut records = vec![out[..n].to_vec()];
    for (i, event) in events().into_iter().enumerate() {
        let n = writer
            .append(&signer, 1001 + i as u64, event, &mut out)
            .unwrap();
        records.push(out[..n].to_vec());
    }
    (records, writer.head().unwrap())
}

fn verify(
    records: &[Vec<u8>],
    anchor: Anchor,
    head: Option<ChainHead>,
) -> Result<ChainHead, Rejection> {
    let mut verifier = ChainVerifier::new(anchor, head);
    for record in records {
        verifier.push(record)?;
    }
    verifier.finish()
}

fn anchor() -> Anchor {
    Anchor::SigningKey(key(1).verifying_key())
}

/// A buffer too short for the body, or for the signature after it, is
/// refused with the exact length a retry needs, and the refused append
/// leaves the writer where it was: the retry writes the same record.
#[test]
fn a_short_output_buffer_names_the_length_needed_and_changes_nothing() {
    let (records, _) = chain();
    let signer = key(1);
    let mut out = [0u8; MAX_RECORD_LEN];
    let (mut writer, _) = AuditWriter::genesis(&signer, DEVICE, 1000, &mut out).unwrap();
    let event = events().remove(0);
    let signed = records[1].len();
    // The body fits but not all of its 64-byte signature.
    for short in [signed - 64, signed - 1] {
        assert_eq!(
            writer.append(&signer, 1001, event, &mut out[..short]),
            Err(Error::BufferTooSmall { needed: signed }),
            "{short}-byte buffer"
        );
    }
    // Not even the body fits: the largest record is what always suffices.
    assert_eq!(
        writer.append(&signer, 1001, event, &mut out[..8]),
        Err(Error::BufferTooSmall {
            needed: MAX_RECORD_LEN
        })
    );
    let n = writer
        .append(&signer, 1001, event, &mut out[..signed])
        .unwrap();
    assert_eq!(&out[..n], &records[1][..]);
}

#[test]
fn an_intact_chain_verifies_against_key_hash_and_head() {
    let (records, head) = chain();
    assert_eq!(verify(&records, anchor(), Some(head)), Ok(head));
    let first = Record::decode(&records[0]).unwrap().hash;
    assert_eq!(
        verify(&records, Anchor::FirstRecordHash(first), None),
        Ok(head)
    );
    // Events come back as written.
    let mut verifier = ChainVerifier::new(anchor(), None);
    verifier.push(&records[0]).unwrap();
    for (record, event) in records[1..].iter().zip(events()) {
        assert_eq!(
            verifier.push(record).unwrap().expect("in sequence").event,
            event
        );
    }
    assert_eq!(verifier.device_id(), Some(DEVICE));
}

#[test]
fn encoded_sizes_fit_the_bound() {
    let (records, _) = chain();
    for (record, name) in
        records.iter().zip(
            ["Genesis"]
                .into_iter()
                .chain(events().iter().map(|e| match e {
                    Event::KeyGenerated { .. } => "KeyGenerated",
                    Event::Paired { .. } => "Paired",
                    Event::PairingFailed { peer: None, .. } => "PairingFailed (no peer)",
                    Event::PairingFailed { .. } => "PairingFailed (peer)",
                    Event::Unpaired { .. } => "Unpaired",
                    Event::DeviceBlocked { .. } => "DeviceBlocked",
                    Event::KeyBlocked { .. } => "KeyBlocked",
                    Event::KeyChangeDetected { .. } => "KeyChangeDetected",
                    Event::KeyRotated { .. } => "KeyRotated",
                    Event::KeysDestroyed { .. } => "KeysDestroyed",
                    Event::SessionRefused { .. } => "SessionRefused",
                    Event::RefusalsSummarized { .. } => "RefusalsSummarized (max counts)",
                    _ => "other",
                })),
        )
    {
        println!("record {name}: {} bytes", record.len());
        assert!(record.len() <= MAX_RECORD_LEN);
    }
    // The largest record: a rotation at the largest sequence number and time.
    let signer = key(1);
    let mut writer = AuditWriter::resume(
        ChainHead {
            seq: u64::MAX - 2,
            hash: [0xff; 64],
        },
        signer.verifying_key(),
    )
    .unwrap();
    let mut out = [0u8; MAX_RECORD_LEN];
    let n = writer
        .rotate_signing_key(&signer, &key(2), u64::MAX, &mut out)
        .unwrap();
    println!("record SigningKeyRotation (max seq and time): {n} bytes");
    assert!(n <= MAX_RECORD_LEN);
}

#[test]
fn an_edited_field_is_a_signature_failure_at_that_record() {
    let (records, _) = chain();
    let mut edited = records.clone();
    // The KeyChangeDetected record: flip a byte of its new fingerprint.
    let target = 8;
    let len = edited[target].len();
    edited[target][len - 64 - 2] ^= 1;
    assert_eq!(
        verify(&edited, anchor(), None),
        Err(Rejection {
            index: target as u64,
            reason: RejectionReason::SignatureInvalid
        })
    );
    // A changed timestamp too.
    let mut edited = records.clone();
    let body = &mut edited[3];
    let time_at = 8 + 1 + 1; // domain, version, seq (one byte)
    body[time_at] ^= 1;
    assert_eq!(verify(&edited, anchor(), None).unwrap_err().index, 3);
}

#[test]
fn a_deleted_record_is_a_gap() {
    let (mut records, _) = chain();
    records.remove(4);
    assert_eq!(
        verify(&records, anchor(), None),
        Err(Rejection {
            index: 4,
            reason: RejectionReason::SequenceGap {
                expected: 4,
                found: 5
            }
        })
    );
    // Deleting the last record before the end is caught only with the head.
    let (mut records, head) = chain();
    records.pop();
    assert!(verify(&records, anchor(), None).is_ok());
    assert_eq!(
        verify(&records, anchor(), Some(head)).unwrap_err().reason,
        RejectionReason::Truncated {
            head_seq: head.seq,
            last_seq: Some(head.seq - 1)
        }
    );
}

#[test]
fn swapped_records_are_out_of_order() {
    let (mut records, _) = chain();
    records.swap(5, 6);
    assert_eq!(
        verify(&records, anchor(), None),
        Err(Rejection {
            index: 5,
            reason: RejectionReason::OutOfOrder {
                expected: 5,
                found: 6
            }
        })
    );
}

#[test]
fn an_inserted_record_is_out_of_order_or_wrong_key() {
    // A duplicate of an earlier genuine record.
    let (mut records, _) = chain();
    let copy = records[2].clone();
    records.insert(7, copy);
    assert_eq!(
        verify(&records, anchor(), None),
        Err(Rejection {
            index: 7,
            reason: RejectionReason::OutOfOrder {
                expected: 7,
                found: 2
            }
        })
    );
    // A record from another device's chain, signed by its own key.
    let (mut records, _) = chain();
    let other = key(9);
    let mut out = [0u8; MAX_RECORD_LEN];
    let (mut w, _) = AuditWriter::genesis(&other, PEER, 0, &mut out).unwrap();
    let n = w
        .append(&other, 1, Event::DeviceBlocked { peer: DEVICE }, &mut out)
        .unwrap();
    records.insert(3, out[..n].to_vec());
    assert_eq!(
        verify(&records, anchor(), None),
        Err(Rejection {
            index: 3,
            reason: RejectionReason::WrongKey
        })
    );
}

#[test]
fn a_record_signed_by_another_key_is_refused() {
    let (mut records, head) = chain();
    // An attacker continues the chain at the right position with its own key.
    let attacker = key(7);
    let mut w = AuditWriter::resume(head, attacker.verifying_key()).unwrap();
    let mut out = [0u8; MAX_RECORD_LEN];
    let n = w
        .append(
            &attacker,
            5000,
            Event::Unpaired {
                peer: PEER,
                fingerprint: FP_B,
            },
            &mut out,
        )
        .unwrap();
    records.push(out[..n].to_vec());
    assert_eq!(
        verify(&records, anchor(), None),
        Err(Rejection {
            index: head.seq + 1,
            reason: RejectionReason::WrongKey
        })
    );
    // The writer refuses to sign with anything but the chain's key.
    let signer = key(1);
    let mut w = AuditWriter::resume(head, signer.verifying_key()).unwrap();
    assert_eq!(
        w.append(
            &attacker,
            1,
            Event::KeyBlocked { fingerprint: FP_A },
            &mut out
        ),
        Err(Error::WrongSigningKey)
    );
    assert_eq!(
        w.append(
            &signer,
            1,
            Event::Genesis {
                device_id: DEVICE,
                signing_key: [0; 32]
            },
            &mut out
        ),
        Err(Error::ReservedEvent)
    );
}

#[test]
fn a_re_signed_chain_fails_against_the_anchor() {
    let (genuine, _) = chain();
    let first_hash = Record::decode(&genuine[0]).unwrap().hash;
    // The same events, re-signed from the start by another key.
    let forger = key(8);
    let mut out = [0u8; MAX_RECORD_LEN];
    let (mut w, n) = AuditWriter::genesis(&forger, DEVICE, 1000, &mut out).unwrap();
    let mut forged = vec![out[..n].to_vec()];
    for event in events() {
        let n = w.append(&forger, 1001, event, &mut out).unwrap();
        forged.push(out[..n].to_vec());
    }
    let anchor_mismatch = Err(Rejection {
        index: 0,
        reason: RejectionReason::AnchorMismatch,
    });
    assert_eq!(verify(&forged, anchor(), None), anchor_mismatch);
    assert_eq!(
        verify(&forged, Anchor::FirstRecordHash(first_hash), None),
        anchor_mismatch
    );
    // A different first record by the genuine key fails the hash anchor.
    let signer = key(1);
    let (_, n) = AuditWriter::genesis(&signer, DEVICE, 999, &mut out).unwrap();
    let mut other_first = genuine.clone();
    other_first[0] = out[..n].to_vec();
    assert_eq!(
        verify(&other_first, Anchor::FirstRecordHash(first_hash), None),
        anchor_mismatch
    );
}

#[test]
fn a_chain_across_a_signing_key_rotation_verifies() {
    let (old, new) = (key(1), key(2));
    let mut out = [0u8; MAX_RECORD_LEN];
    let (mut w, n) = AuditWriter::genesis(&old, DEVICE, 0, &mut out).unwrap();
    let mut records = vec![out[..n].to_vec()];
    let n = w
        .append(&old, 1, Event::KeyBlocked { fingerprint: FP_A }, &mut out)
        .unwrap();
    records.push(out[..n].to_vec());
    let n = w.rotate_signing_key(&old, &new, 2, &mut out).unwrap();
    records.push(out[..n].to_vec());
    assert_eq!(
        w.append(&old, 3, Event::KeyBlocked { fingerprint: FP_B }, &mut out),
        Err(Error::WrongSigningKey)
    );
    let n = w
        .append(&new, 3, Event::KeyBlocked { fingerprint: FP_B }, &mut out)
        .unwrap();
    records.push(out[..n].to_vec());
    let head = w.head().unwrap();
    let mut verifier = ChainVerifier::new(anchor(), Some(head));
    for r in &records {
        verifier.push(r).unwrap();
    }
    assert_eq!(verifier.finish(), Ok(head));
    assert_eq!(verifier.current_key(), Some(new.verifying_key()));
}

#[test]
fn a_rotation_without_the_new_keys_signature_is_refused() {
    let (old, new) = (key(1), key(2));
    let mut out = [0u8; MAX_RECORD_LEN];
    let (w, n) = AuditWriter::genesis(&old, DEVICE, 0, &mut out).unwrap();
    let genesis = out[..n].to_vec();
    let head = w.head().unwrap();
    // Forge a rotation record: signed by the old key, naming the new key,
    // but with a proof the new key never made (signed by the old key).
    let statement_by_wrong_key = old.hazmat_sign(b"not the rotation statement");
    let mut w = AuditWriter::resume(head, old.verifying_key()).unwrap();
    // The writer only writes genuine rotations, so build the bad one by
    // writing a genuine rotation and replacing its proof, then re-signing
    // the body with the old key as a key holder could.
    let n = w.rotate_signing_key(&old, &new, 1, &mut out).unwrap();
    let genuine = out[..n].to_vec();
    let body_len = n - 64;
    let proof_at = body_len - 64;
    let mut forged = genuine[..body_len].to_vec();
    forged[proof_at..].copy_from_slice(&statement_by_wrong_key.to_bytes());
    let signature = old.hazmat_sign(&forged);
    forged.extend_from_slice(&signature.to_bytes());
    assert!(verify(&[genesis.clone(), genuine], anchor(), None).is_ok());
    assert_eq!(
        verify(&[genesis, forged], anchor(), None),
        Err(Rejection {
            index: 1,
            reason: RejectionReason::RotationProofInvalid
        })
    );
    let _ = FixedBytes([0u8; 64]);
}

#[test]
fn garbage_is_a_bad_encoding_at_its_index() {
    let (records, _) = chain();
    for (i, garbage) in [
        vec![],
        vec![0u8; 10],
        vec![0xff; 200],
        vec![0; MAX_RECORD_LEN + 1],
    ]
    .into_iter()
    .enumerate()
    {
        let mut bad = records.clone();
        bad.insert(2, garbage);
        let rejection = verify(&bad, anchor(), None).unwrap_err();
        assert_eq!(rejection.index, 2, "garbage {i}");
        assert!(
            matches!(rejection.reason, RejectionReason::BadEncoding(_)),
            "garbage {i}: {rejection:?}"
        );
    }
    // An unknown version is named as such.
    let mut v2 = records[1].clone();
    v2[8] = 2;
    assert_eq!(
        Record::decode(&v2).err(),
        Some(Error::UnknownVersion { found: 2 })
    );
    // An over-long varint (a second encoding of the same body) is refused.
    let mut long = records[1][..9].to_vec();
    long.push(0x81); // seq 1 as two bytes
    long.push(0x00);
    long.extend_from_slice(&records[1][10..]);
    assert_eq!(Record::decode(&long).err(), Some(Error::Malformed));
    // Every truncation of every record is refused without a panic.
    for record in &records {
        for cut in 0..record.len() {
            assert!(
                Record::decode(&record[..cut]).is_err(),
                "cut {cut} of {}",
                record.len()
            );
        }
    }
}

#[test]
fn a_chain_that_does_not_start_with_genesis_is_refused() {
    let (records, _) = chain();
    assert_eq!(
        verify(&records[1..], anchor(), None),
        Err(Rejection {
            index: 0,
            reason: RejectionReason::MisplacedGenesis
        })
    );
    assert_eq!(
        verify(&[], anchor(), None).unwrap_err().reason,
        RejectionReason::Truncated {
            head_seq: 0,
            last_seq: None
        }
    );
}

#[test]
fn a_head_mismatch_is_detected() {
    let (records, head) = chain();
    let mut wrong = head;
    wrong.hash[0] ^= 1;
    assert_eq!(
        verify(&records, anchor(), Some(wrong)).unwrap_err().reason,
        RejectionReason::HeadMismatch
    );
    let older = ChainHead {
        seq: 3,
        hash: Record::decode(&records[3]).unwrap().hash,
    };
    assert_eq!(
        verify(&records, anchor(), Some(older)),
        Ok(head),
        "records after an older head are fine"
    );
    let mut older_wrong = older;
    older_wrong.hash[5] ^= 1;
    assert_eq!(
        verify(&records, anchor(), Some(older_wrong)),
        Err(Rejection {
            index: 3,
            reason: RejectionReason::HeadMismatch
        })
    );
}

#[test]
fn a_flood_of_refusals_produces_bounded_records() {
    let mut limiter = RefusalLimiter::new();
    let mut recorded = 0u32;
    let mut summaries = Vec::new();
    let mut now = 10_000;
    // 10 windows, 1,000 refusals each, every one from a fresh id and key.
    for window in 0..10u32 {
        for i in 0..1000u32 {
            let mut fp = [0u8; 20];
            fp[..4].copy_from_slice(&(window * 1000 + i).to_be_bytes());
            let (summary, admission) = limiter.admit(
                now,
                RefusalReason::Untrusted,
                PEER,
                Fingerprint::from_bytes(fp),
            );
            summaries.extend(summary);
            if let Admission::Record(_) = admission {
                recorded += 1;
            }
        }
        now += REFUSAL_WINDOW_SECS;
    }
    summaries.extend(limiter.flush(now));
    assert_eq!(recorded, 10 * u32::from(REFUSAL_BUDGET));
    assert_eq!(summaries.len(), 10);
    for summary in &summaries {
        assert_eq!(
            *summary,
            match summary {
                Event::RefusalsSummarized { window_start, .. } => Event::RefusalsSummarized {
                    window_start: *window_start,
                    suppressed: [1000 - u32::from(REFUSAL_BUDGET), 0, 0, 0]
                },
                other => panic!("{other:?}"),
            }
        );
    }
    // One peer refused repeatedly is recorded once per window.
    let mut limiter = RefusalLimiter::new();
    let results: Vec<Admission> = (0..5)
        .map(|_| limiter.admit(0, RefusalReason::Blocked, PEER, FP_A).1)
        .collect();
    assert!(matches!(
        results[0],
        Admission::Record(Event::SessionRefused { .. })
    ));
    assert!(results[1..].iter().all(|a| *a == Admission::Counted));
    assert_eq!(
        limiter.flush(REFUSAL_WINDOW_SECS - 1),
        None,
        "window still open"
    );
    assert_eq!(
        limiter.flush(REFUSAL_WINDOW_SECS),
        Some(Event::RefusalsSummarized {
            window_start: 0,
            suppressed: [0, 4, 0, 0]
        })
    );
    assert_eq!(
        limiter.flush(10 * REFUSAL_WINDOW_SECS),
        None,
        "nothing counted, no summary"
    );
}

#[test]
fn verifier_state_is_small() {
    let size = size_of::<ChainVerifier>();
    println!("size_of::<ChainVerifier>() = {size} bytes");
    println!(
        "size_of::<AuditWriter>() = {} bytes",
        size_of::<AuditWriter>()
    );
    // One decoded Ed25519 key (192 bytes, kept so each record verifies
    // without decompressing a point), the head, the anchor and a pending jump.
    assert!(size <= 640, "{size}");
    // The refusal limiter: (id, key) for REFUSAL_BUDGET refusals of each of
    // the four reasons, the counts and the window's start.
    let limiter = size_of::<RefusalLimiter>();
    println!("size_of::<RefusalLimiter>() = {limiter} bytes");
    assert!(limiter <= 1280, "{limiter}");
}

/// A rotation proof is bound to its chain position: the new key's signature
/// from a rotation at one position does not serve at another.
#[test]
fn a_rotation_proof_from_another_position_is_refused() {
    let (old, new) = (key(1), key(2));
    let mut out = [0u8; MAX_RECORD_LEN];
    // Chain A rotates at seq 2; keep its proof.
    let (mut a, _) = AuditWriter::genesis(&old, DEVICE, 0, &mut out).unwrap();
    let _ = a
        .append(&old, 1, Event::KeyBlocked { fingerprint: FP_A }, &mut out)
        .unwrap();
    let n = a.rotate_signing_key(&old, &new, 2, &mut out).unwrap();
    let proof_a = out[n - 128..n - 64].to_vec();
    // Chain B rotates at seq 3; swap in chain A's proof and re-sign the body
    // with the old key, as the old key's holder could.
    let (mut b, n0) = AuditWriter::genesis(&old, DEVICE, 0, &mut out).unwrap();
    let mut records = vec![out[..n0].to_vec()];
    for t in 1..3 {
        let n = b
            .append(&old, t, Event::KeyBlocked { fingerprint: FP_B }, &mut out)
            .unwrap();
        records.push(out[..n].to_vec());
    }
    let n = b.rotate_signing_key(&old, &new, 3, &mut out).unwrap();
    let mut forged = out[..n - 64].to_vec();
    let proof_at = forged.len() - 64;
    forged[proof_at..].copy_from_slice(&proof_a);
    forged.extend_from_slice(&old.hazmat_sign(&forged).to_bytes());
    let mut genuine = records.clone();
    genuine.push(out[..n].to_vec());
    assert!(verify(&genuine, anchor(), None).is_ok());
    records.push(forged);
    assert_eq!(
        verify(&records, anchor(), None),
        Err(Rejection {
            index: 3,
            reason: RejectionReason::RotationProofInvalid
        })
    );
}

/// Cheap `Untrusted` refusals cannot crowd out a `KeyChanged` one: budgets
/// are per reason.
#[test]
fn a_flood_of_one_reason_does_not_hide_another() {
    let mut limiter = RefusalLimiter::new();
    for i in 0..100u32 {
        let mut fp = [0u8; 20];
        fp[..4].copy_from_slice(&i.to_be_bytes());
        let _ = limiter.admit(
            0,
            RefusalReason::Untrusted,
            PEER,
            Fingerprint::from_bytes(fp),
        );
    }
    let (_, admission) = limiter.admit(1, RefusalReason::KeyChanged, PEER, FP_B);
    assert!(matches!(
        admission,
        Admission::Record(Event::SessionRefused {
            reason: RefusalReason::KeyChanged,
            ..
        })
    ));
}

/// A verifier holds an out-of-sequence record instead of returning it as
/// verified, and refuses a first record that is not record 0.
#[test]
fn out_of_sequence_records_are_never_returned_as_verified() {
    let (records, _) = chain();
    let mut verifier = ChainVerifier::new(anchor(), None);
    verifier.push(&records[0]).unwrap();
    assert!(
        verifier.push(&records[2]).unwrap().is_none(),
        "held, not verified"
    );
    assert_eq!(
        verifier.push(&records[3]).unwrap_err().reason,
        RejectionReason::SequenceGap {
            expected: 1,
            found: 2
        }
    );
    // A genesis record claiming seq > 0, signed by the anchor key's holder
    // or anyone: refused at once, before any record is returned.
    let mut verifier = ChainVerifier::new(anchor(), None);
    let signer = key(1);
    let mut w = AuditWriter::resume(
        ChainHead {
            seq: 4,
            hash: [0; 64],
        },
        signer.verifying_key(),
    )
    .unwrap();
    let mut out = [0u8; MAX_RECORD_LEN];
    let n = w
        .append(
            &signer,
            0,
            Event::KeyBlocked { fingerprint: FP_A },
            &mut out,
        )
        .unwrap();
    assert_eq!(
        verifier.push(&out[..n]).unwrap_err().reason,
        RejectionReason::MisplacedGenesis
    );
}

/// A record from a fork of the same chain (same key, same position, another
/// history) spliced in: its sequence number fits, its previous-record hash
/// does not.
#[test]
fn a_record_from_a_fork_is_out_of_order() {
    let signer = key(1);
    let mut out = [0u8; MAX_RECORD_LEN];
    let (mut a, n) = AuditWriter::genesis(&signer, DEVICE, 1000, &mut out).unwrap();
    let genesis = out[..n].to_vec();
    let mut b = AuditWriter::resume(a.head().unwrap(), signer.verifying_key()).unwrap();
    let mut chain_a = vec![genesis.clone()];
    let mut chain_b = vec![genesis];
    for t in 1..4 {
        let n = a
            .append(
                &signer,
                t,
                Event::KeyBlocked { fingerprint: FP_A },
                &mut out,
            )
            .unwrap();
        chain_a.push(out[..n].to_vec());
        let n = b
            .append(
                &signer,
                t,
                Event::KeyBlocked { fingerprint: FP_B },
                &mut out,
            )
            .unwrap();
        chain_b.push(out[..n].to_vec());
    }
    assert!(verify(&chain_a, anchor(), None).is_ok());
    assert!(verify(&chain_b, anchor(), None).is_ok());
    let mut spliced = chain_a.clone();
    spliced[3] = chain_b[3].clone();
    assert_eq!(
        verify(&spliced, anchor(), None),
        Err(Rejection {
            index: 3,
            reason: RejectionReason::OutOfOrder {
                expected: 3,
                found: 3
            }
        })
    );
}

/// An attacker's cheap `Untrusted` refusal with key K must not make a later
/// refusal of K under a victim's id (a key change, an identity mismatch, a
/// block) only counted: the table is keyed by reason, id and key.
#[test]
fn an_untrusted_refusal_does_not_hide_a_later_serious_one_with_the_same_key() {
    const ATTACKER: DeviceId = DeviceId::from_bytes([0xaa; 16]);
    const VICTIM: DeviceId = DeviceId::from_bytes([0x77; 16]);
    for serious in [
        RefusalReason::KeyChanged,
        RefusalReason::IdentityMismatch,
        RefusalReason::Blocked,
    ] {
        let mut limiter = RefusalLimiter::new();
        let (_, first) = limiter.admit(0, RefusalReason::Untrusted, ATTACKER, FP_A);
        assert!(matches!(first, Admission::Record(_)));
        let (_, second) = limiter.admit(1, serious, VICTIM, FP_A);
        assert_eq!(
            second,
            Admission::Record(Event::SessionRefused {
                reason: serious,
                peer: VICTIM,
                fingerprint: FP_A,
            }),
            "{serious:?}"
        );
        // The same (reason, id, key) again is counted, not recorded twice.
        assert_eq!(
            limiter.admit(2, serious, VICTIM, FP_A).1,
            Admission::Counted
        );
        // The same key under the same id but another serious reason is a
        // new fact, recorded.
        let other = if serious == RefusalReason::Blocked {
            RefusalReason::KeyChanged
        } else {
            RefusalReason::Blocked
        };
        assert!(matches!(
            limiter.admit(3, other, VICTIM, FP_A).1,
            Admission::Record(_)
        ));
    }
}

/// A flood of any mix of reasons, every refusal with a fresh id and key,
/// writes at most `4 * REFUSAL_BUDGET` records and one summary per window;
/// a full reason's table evicts nothing, and the first records of the other
/// reasons still get in.
#[test]
fn a_flood_of_every_reason_is_bounded_and_never_evicts_the_first_records() {
    let fresh = |n: u32| {
        let mut id = [0u8; 16];
        id[..4].copy_from_slice(&n.to_be_bytes());
        let mut fp = [0u8; 20];
        fp[..4].copy_from_slice(&n.to_be_bytes());
        (DeviceId::from_bytes(id), Fingerprint::from_bytes(fp))
    };
    let mut limiter = RefusalLimiter::new();
    let mut records = 0u32;
    let mut summaries = 0u32;
    let mut now = 0;
    let mut n = 0u32;
    for _window in 0..3 {
        // Fill Untrusted, KeyChanged and Blocked far past their budgets.
        for reason in [
            RefusalReason::Untrusted,
            RefusalReason::KeyChanged,
            RefusalReason::Blocked,
        ] {
            for _ in 0..500 {
                n += 1;
                let (id, fp) = fresh(n);
                let (summary, admission) = limiter.admit(now, reason, id, fp);
                summaries += u32::from(summary.is_some());
                records += u32::from(matches!(admission, Admission::Record(_)));
            }
        }
        // The first identity mismatch of the window is still recorded.
        n += 1;
        let (id, fp) = fresh(n);
        let (summary, admission) = limiter.admit(now, RefusalReason::IdentityMismatch, id, fp);
        summaries += u32::from(summary.is_some());
        assert!(matches!(admission, Admission::Record(_)));
        records += 1;
        // The first key change recorded in this window is still there: the
        // same one again is counted (remembered), not recorded.
        let first_key_change = fresh(n - 1000);
        assert_eq!(
            limiter
                .admit(
                    now,
                    RefusalReason::KeyChanged,
                    first_key_change.0,
                    first_key_change.1
                )
                .1,
            Admission::Counted
        );
        // The rest of the window: every reason with fresh ids and keys.
        for i in 0..2000u32 {
            n += 1;
            let (id, fp) = fresh(n);
            let reason = RefusalReason::ALL[(i % 4) as usize];
            let (summary, admission) = limiter.admit(now, reason, id, fp);
            summaries += u32::from(summary.is_some());
            records += u32::from(matches!(admission, Admission::Record(_)));
        }
        now += REFUSAL_WINDOW_SECS;
    }
    summaries += u32::from(limiter.flush(now).is_some());
    assert_eq!(records, 3 * 4 * u32::from(REFUSAL_BUDGET));
    // REFUSAL_TABLE_SIZE is what one window records at most.
    assert_eq!(records as usize, 3 * REFUSAL_TABLE_SIZE);
    assert_eq!(summaries, 3);
}

/// A window in which every refusal was recorded has nothing to summarize:
/// `flush` returns no event for it (and an empty limiter none either).
#[test]
fn a_window_with_nothing_counted_has_no_summary() {
    let mut limiter = RefusalLimiter::new();
    assert_eq!(limiter.flush(10 * REFUSAL_WINDOW_SECS), None);
    for n in 0..u8::try_from(REFUSAL_BUDGET).unwrap() {
        let (summary, admission) = limiter.admit(
            5,
            RefusalReason::Untrusted,
            DeviceId::from_bytes([n; 16]),
            Fingerprint::from_bytes([n; 20]),
        );
        assert_eq!(summary, None);
        assert!(matches!(admission, Admission::Record(_)));
    }
    assert_eq!(limiter.flush(5 + REFUSAL_WINDOW_SECS), None);
}

/// The length bound is checked first and exactly: one byte past
/// `MAX_RECORD_LEN` is `InputTooLong`, `MAX_RECORD_LEN` itself is decoded
/// (and refused for what it holds, not for its length).
#[test]
fn the_record_length_bound_is_exact() {
    let over = [0u8; MAX_RECORD_LEN + 1];
    assert_eq!(
        Record::decode(&over).err(),
        Some(Error::InputTooLong {
            max: MAX_RECORD_LEN
        })
    );
    let at = [0u8; MAX_RECORD_LEN];
    let refused = Record::decode(&at).err();
    assert!(refused.is_some());
    assert_ne!(
        refused,
        Some(Error::InputTooLong {
            max: MAX_RECORD_LEN
        })
    );
}

/// `DeviceIdentity::sign` shares the audit key but can never produce an
/// audit record's signature: whatever the context and the message (here each
/// record's own body, and the whole signed record), the signature does not
/// verify over that body, and a record carrying it is refused.
#[test]
fn a_contextual_signature_never_serves_as_an_audit_signature() {
    let identity = DeviceIdentity::from_secrets(&IdentitySecrets::new(
        DEVICE,
        SecretBytes::new([9; 32]),
        SecretBytes::new([1; 32]), // the seed of `key(1)`, the chain's signer
    ));
    assert_eq!(identity.verifying_key(), key(1).verifying_key());
    let long = "x".repeat(SigningContext::MAX_LEN);
    let contexts = [
        SigningContext::new("a").unwrap(),
        SigningContext::new("HLaudit").unwrap(),
        SigningContext::new("HoneyLink audit key rotation v1").unwrap(),
        SigningContext::new(&long).unwrap(),
    ];
    // The framing differs from both audit formats' first bytes.
    let (records, _) = chain();
    assert_eq!(&records[0][..8], b"HLaudit\0");
    assert_ne!(&SigningContext::PREFIX[..8], b"HLaudit\0");
    assert_ne!(
        &SigningContext::PREFIX[..],
        &b"HoneyLink audit key rotation v1\0"[..SigningContext::PREFIX.len()]
    );
    for (index, record) in records.iter().enumerate() {
        let body = &record[..record.len() - 64];
        for context in &contexts {
            for message in [body, &record[..]] {
                let signature = identity.sign(context, message);
                assert_eq!(
                    context.verify(&identity.verifying_key(), message, &signature),
                    Ok(())
                );
                assert_eq!(
                    identity.verifying_key().verify(body, &signature),
                    Err(Error::SignatureInvalid)
                );
                let mut forged = records.clone();
                forged[index] = [body, &signature.to_bytes()[..]].concat();
                assert_eq!(
                    verify(&forged, anchor(), None),
                    Err(Rejection {
                        index: u64::try_from(index).unwrap(),
                        reason: RejectionReason::SignatureInvalid
                    }),
                    "{context:?} record {index}"
                );
            }
        }
    }
    // One context's signature serves no other context, nor another message.
    let signature = identity.sign(&contexts[0], b"message");
    for other in &contexts[1..] {
        assert_eq!(
            other.verify(&identity.verifying_key(), b"message", &signature),
            Err(Error::SignatureInvalid)
        );
    }
    assert_eq!(
        contexts[0].verify(&identity.verifying_key(), b"messagf", &signature),
        Err(Error::SignatureInvalid)
    );
    // A context prints its label (public: it names a use, not a key).
    assert_eq!(contexts[1].label(), b"HLaudit");
    assert_eq!(format!("{:?}", contexts[1]), r#"SigningContext("HLaudit")"#);
    assert_eq!(SigningContext::new(""), Err(Error::InvalidSigningContext));
    assert_eq!(
        SigningContext::new(&"x".repeat(SigningContext::MAX_LEN + 1)),
        Err(Error::InvalidSigningContext)
    );
}

/// A chain whose oldest records were pruned verifies from the first kept
/// record under a continuation anchor, and only there: another position, a
/// different previous hash, another key or a genesis record are refused.
#[test]
fn a_pruned_chain_verifies_from_its_continuation_anchor() {
    let (records, head) = chain();
    let kept = &records[4..];
    let first = Record::decode(&kept[0]).unwrap();
    let continuation = |key: SigningKey, seq: u64, prev_hash: [u8; 64]| Anchor::Continuation {
        key: key.verifying_key(),
        seq,
        prev_hash,
    };
    assert_eq!(
        verify(kept, continuation(key(1), 4, first.prev_hash), Some(head)),
        Ok(head)
    );
    let mismatch = Err(Rejection {
        index: 0,
        reason: RejectionReason::AnchorMismatch,
    });
    assert_eq!(
        verify(kept, continuation(key(1), 3, first.prev_hash), None),
        mismatch
    );
    assert_eq!(
        verify(kept, continuation(key(1), 4, [0; 64]), None),
        mismatch
    );
    assert_eq!(
        verify(kept, continuation(key(2), 4, first.prev_hash), None),
        mismatch
    );
    // Dropping one more record from the front is caught.
    assert_eq!(
        verify(
            &records[5..],
            continuation(key(1), 4, first.prev_hash),
            None
        ),
        mismatch
    );
    assert_eq!(
        verify(&records, continuation(key(1), 0, [0; 64]), None),
        Err(Rejection {
            index: 0,
            reason: RejectionReason::MisplacedGenesis,
        })
    );
    // An anchor at record 0 is a genesis anchor in disguise: refused as
    // misplaced whatever record comes first, not compared field by field.
    let genesis_hash = Record::decode(&records[0]).unwrap().hash;
    assert_eq!(
        verify(&records[1..], continuation(key(1), 0, genesis_hash), None),
        Err(Rejection {
            index: 0,
            reason: RejectionReason::MisplacedGenesis,
        })
    );
    // A later record edited still fails as usual.
    let mut edited = kept.to_vec();
    let last = edited.len() - 1;
    let byte = edited[last].len() - 70;
    edited[last][byte] ^= 1;
    assert!(verify(&edited, continuation(key(1), 4, first.prev_hash), None).is_err());
}

/// A record signed by the chain's key that follows the head's hash but
/// carries an earlier sequence number (a writer resumed from a wrong head)
/// is out of order: the chain's numbering never goes back.
#[test]
fn a_record_numbered_back_after_the_head_is_out_of_order() {
    let (records, head) = chain();
    let mut chained = records.clone();
    chained.push(record_at(&key(1), 2, head.hash));
    assert_eq!(
        verify(&chained, anchor(), None),
        Err(Rejection {
            index: records.len() as u64,
            reason: RejectionReason::OutOfOrder {
                expected: head.seq + 1,
                found: 2,
            },
        })
    );
    // The same record numbered where it belongs is accepted.
    chained.pop();
    chained.push(record_at(&key(1), head.seq + 1, head.hash));
    assert!(verify(&chained, anchor(), None).is_ok());
}

/// Record `seq` signed by `k`, following the record whose hash is `prev`:
/// the writer's own bytes for `seq` below 2^64 - 1; for `u64::MAX`, which
/// the writer refuses to number, its record for 2^64 - 2 with the sequence
/// number's first varint byte raised by one and the body signed again (a
/// record only the chain's key holder could make).
fn record_at(k: &SigningKey, seq: u64, prev: [u8; 64]) -> Vec<u8> {
    let written_seq = seq.min(u64::MAX - 1);
    let mut writer = AuditWriter::resume(
        ChainHead {
            seq: written_seq - 1,
            hash: prev,
        },
        k.verifying_key(),
    )
    .unwrap();
    let mut out = [0u8; MAX_RECORD_LEN];
    let n = writer
        .append(k, 10, Event::KeyGenerated { fingerprint: FP_A }, &mut out)
        .unwrap();
    let mut bytes = out[..n].to_vec();
    if seq == u64::MAX {
        // Body: the 8-byte domain, the version byte, then the varint
        // sequence number, whose first byte is 0xfe for 2^64 - 2.
        assert_eq!(bytes[9], 0xfe);
        bytes[9] = 0xff;
        let body = bytes.len() - 64;
        let signature = k.hazmat_sign(&bytes[..body]).to_bytes();
        bytes[body..].copy_from_slice(&signature);
    }
    bytes
}

/// The end of the sequence numbers (the CI fuzz smoke found the boundary in
/// `audit_record`, commit 69825be). A record numbered 2^64 - 1 decodes like
/// any other, but no writer numbers one: the writer writes record 2^64 - 2
/// and then refuses every record, `append` and rotation alike, with
/// `NonceExhausted`, changing nothing; resuming from that head refuses the
/// same way. A verifier that has reached record 2^64 - 2 refuses a record
/// numbered 2^64 - 1 as `BadEncoding(NonceExhausted)` (before the fix it
/// accepted it and then every further one numbered the same, and reported
/// a head naming record 2^64 - 2 with the hash of the record after it).
#[test]
fn the_last_sequence_number_is_never_written_nor_accepted() {
    let k = key(1);
    let prev = [7u8; 64];
    let mut writer = AuditWriter::resume(
        ChainHead {
            seq: u64::MAX - 2,
            hash: prev,
        },
        k.verifying_key(),
    )
    .unwrap();
    let mut out = [0u8; MAX_RECORD_LEN];
    let n = writer
        .append(&k, 10, Event::KeyGenerated { fingerprint: FP_A }, &mut out)
        .unwrap();
    let last = out[..n].to_vec();
    let record = Record::decode(&last).unwrap();
    assert_eq!(record.seq, u64::MAX - 1);
    let head = writer.head().unwrap();
    assert_eq!(
        head,
        ChainHead {
            seq: u64::MAX - 1,
            hash: record.hash
        }
    );
    assert_eq!(
        writer.append(&k, 11, Event::KeyGenerated { fingerprint: FP_B }, &mut out),
        Err(Error::NonceExhausted)
    );
    assert_eq!(
        writer.rotate_signing_key(&k, &key(2), 11, &mut out),
        Err(Error::NonceExhausted)
    );
    assert_eq!(writer.head(), Ok(head), "a refusal changed the head");
    let mut resumed = AuditWriter::resume(head, k.verifying_key()).unwrap();
    assert_eq!(
        resumed.append(&k, 11, Event::KeyGenerated { fingerprint: FP_B }, &mut out),
        Err(Error::NonceExhausted)
    );
    assert_eq!(resumed.head(), Ok(head));
    // A head numbered 2^64 - 1 is no chain's: resuming there is refused
    // (it once resumed at 2^64 - 1 and reported its head as 2^64 - 2).
    let impossible = ChainHead {
        seq: u64::MAX,
        hash: record.hash,
    };
    assert_eq!(
        AuditWriter::resume(impossible, k.verifying_key()).err(),
        Some(Error::NonceExhausted)
    );

    // A record numbered 2^64 - 1 decodes, with a valid signature, and reads
    // back field for field; it is exactly the record no writer rewrites.
    let beyond = record_at(&k, u64::MAX, record.hash);
    let decoded = Record::decode(&beyond).unwrap();
    assert_eq!(decoded.seq, u64::MAX);
    assert_eq!(decoded.prev_hash, record.hash);
    assert_eq!(decoded.time, 10);
    assert_eq!(decoded.event, Event::KeyGenerated { fingerprint: FP_A });
    assert_eq!(decoded.verify_signature(&k.verifying_key()), Ok(()));
    let mut rewriter = AuditWriter::resume(
        ChainHead {
            seq: decoded.seq - 1,
            hash: decoded.prev_hash,
        },
        k.verifying_key(),
    )
    .unwrap();
    assert_eq!(
        rewriter.append(&k, decoded.time, decoded.event, &mut out),
        Err(Error::NonceExhausted)
    );

    // The verifier: the chain up to 2^64 - 2 verifies, to that head.
    let anchor = Anchor::Continuation {
        key: k.verifying_key(),
        seq: u64::MAX - 1,
        prev_hash: prev,
    };
    assert_eq!(
        verify(std::slice::from_ref(&last), anchor, Some(head)),
        Ok(head)
    );
    // One record more, numbered 2^64 - 1, is refused where it stands.
    assert_eq!(
        verify(&[last.clone(), beyond.clone()], anchor, Some(head)),
        Err(Rejection {
            index: 1,
            reason: RejectionReason::BadEncoding(Error::NonceExhausted),
        })
    );
    // Alone, as the first record kept after pruning, too.
    let alone = Anchor::Continuation {
        key: k.verifying_key(),
        seq: u64::MAX,
        prev_hash: record.hash,
    };
    assert_eq!(
        verify(&[beyond], alone, None),
        Err(Rejection {
            index: 0,
            reason: RejectionReason::BadEncoding(Error::NonceExhausted),
        })
    );
}
