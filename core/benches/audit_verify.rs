//! Audit records: signing rate (`AuditWriter::append`) beside raw Ed25519
//! signing, and chain verification rate (`ChainVerifier::push`) beside raw
//! Ed25519 strict verification over the same bytes, measured in the same
//! run:
//!
//! ```sh
//! cargo bench -p honeylink-core --bench audit_verify [--features fast]
//! ```
//!
//! Ratios are rates against raw (above 1 is faster). No pass/fail threshold
//! here: the targets are checked by reading the printed ratios.

#![allow(
    missing_docs,
    clippy::panic,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod harness;

use std::hint::black_box;

use harness::{Candidate, banner, compare};
use honeylink_core::audit::{Anchor, AuditWriter, ChainVerifier, Event, MAX_RECORD_LEN};
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::ed25519::{Signature, SigningKey};
use honeylink_core::identity::{DeviceId, Fingerprint};
use honeylink_core::trust::RefusalReason;

const RECORDS: usize = 1000;

fn event(i: usize) -> Event {
    Event::SessionRefused {
        reason: RefusalReason::Untrusted,
        peer: DeviceId::from_bytes([3; 16]),
        fingerprint: Fingerprint::from_bytes([i as u8; 20]),
    }
}

fn main() {
    let fast = cfg!(feature = "fast");
    banner("audit", fast);
    let build = if fast { "fast on" } else { "fast off" };
    let seed = [1u8; 32];
    let key = SigningKey::from_seed(&SecretBytes::new(seed));
    let raw_key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let mut out = [0u8; MAX_RECORD_LEN];
    let (mut writer, n) =
        AuditWriter::genesis(&key, DeviceId::from_bytes([2; 16]), 0, &mut out).unwrap();
    let mut records = vec![out[..n].to_vec()];
    for i in 1..RECORDS {
        let n = writer.append(&key, i as u64, event(i), &mut out).unwrap();
        records.push(out[..n].to_vec());
    }
    // The raw primitive over the same bytes: each record's body and signature.
    let public = key.verifying_key();
    let raw_public = raw_key.verifying_key();
    let raw: Vec<(Vec<u8>, ed25519_dalek::Signature)> = records
        .iter()
        .map(|r| {
            let (body, sig) = r.split_at(r.len() - 64);
            let sig = Signature::from_slice(sig).unwrap();
            public.verify(body, &sig).unwrap();
            (
                body.to_vec(),
                ed25519_dalek::Signature::from_slice(&r[r.len() - 64..]).unwrap(),
            )
        })
        .collect();
    let body = raw[1].0.clone();

    let mut seq = RECORDS as u64;
    let mut sign_out = [0u8; MAX_RECORD_LEN];
    compare(
        &format!("audit signing, rate vs raw Ed25519 sign over a same-length body ({build})"),
        &mut [
            Candidate::rate("raw ed25519-dalek sign", || {
                black_box(ed25519_dalek::Signer::sign(&raw_key, black_box(&body)));
            }),
            Candidate::rate("ours: AuditWriter::append", || {
                seq += 1;
                black_box(
                    writer
                        .append(&key, seq, event(seq as usize), &mut sign_out)
                        .unwrap(),
                );
            }),
        ],
    );

    let mut verifier = ChainVerifier::new(Anchor::SigningKey(public), None);
    let mut next = 0usize;
    let mut raw_next = 0usize;
    compare(
        &format!("audit chain verification, rate vs raw Ed25519 verify_strict ({build})"),
        &mut [
            Candidate::rate("raw ed25519-dalek verify_strict", || {
                let (body, sig) = &raw[raw_next];
                raw_public.verify_strict(black_box(body), sig).unwrap();
                raw_next = (raw_next + 1) % RECORDS;
            }),
            Candidate::rate("ours: ChainVerifier::push", || {
                if next == RECORDS {
                    verifier.finish().unwrap();
                    verifier = ChainVerifier::new(Anchor::SigningKey(public), None);
                    next = 0;
                }
                black_box(verifier.push(black_box(&records[next])).unwrap());
                next += 1;
            }),
        ],
    );
}
