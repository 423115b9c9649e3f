//! Audit-chain verification rate beside raw Ed25519 strict verification,
//! measured in the same run (run with `cargo bench -p honeylink-core --bench
//! audit_verify`). Prints rates and their ratio; no pass/fail threshold:
//! these machines are shared and noisy, so only the ratio is meaningful.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::hint::black_box;
use std::time::Instant;

use honeylink_core::audit::{Anchor, AuditWriter, ChainVerifier, Event, MAX_RECORD_LEN};
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::ed25519::{Signature, SigningKey};
use honeylink_core::identity::{DeviceId, Fingerprint};
use honeylink_core::trust::RefusalReason;

const RECORDS: usize = 4000;
const ROUNDS: usize = 5;

fn main() {
    let key = SigningKey::from_seed(&SecretBytes::new([1; 32]));
    let mut out = [0u8; MAX_RECORD_LEN];
    let (mut writer, n) =
        AuditWriter::genesis(&key, DeviceId::from_bytes([2; 16]), 0, &mut out).unwrap();
    let mut records = vec![out[..n].to_vec()];
    for i in 1..RECORDS {
        let event = Event::SessionRefused {
            reason: RefusalReason::Untrusted,
            peer: DeviceId::from_bytes([3; 16]),
            fingerprint: Fingerprint::from_bytes([i as u8; 20]),
        };
        let n = writer.append(&key, i as u64, event, &mut out).unwrap();
        records.push(out[..n].to_vec());
    }
    // The raw primitive over the same bytes: strict verification of each
    // record's body and signature.
    let public = key.verifying_key();
    let raw: Vec<(Vec<u8>, Signature)> = records
        .iter()
        .map(|r| {
            let (body, sig) = r.split_at(r.len() - 64);
            (body.to_vec(), Signature::from_slice(sig).unwrap())
        })
        .collect();

    let mut best_chain = f64::MAX;
    let mut best_raw = f64::MAX;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let mut verifier = ChainVerifier::new(Anchor::SigningKey(public), None);
        for r in &records {
            black_box(verifier.push(black_box(r)).unwrap());
        }
        verifier.finish().unwrap();
        best_chain = best_chain.min(start.elapsed().as_secs_f64());

        let start = Instant::now();
        for (body, sig) in &raw {
            public.verify(black_box(body), black_box(sig)).unwrap();
        }
        best_raw = best_raw.min(start.elapsed().as_secs_f64());
    }
    let chain_rate = RECORDS as f64 / best_chain;
    let raw_rate = RECORDS as f64 / best_raw;
    println!("audit chain verification: {chain_rate:.0} records/s (best of {ROUNDS} x {RECORDS})");
    println!("raw Ed25519 verify_strict: {raw_rate:.0} verifications/s");
    println!("ratio chain / raw: {:.3}", chain_rate / raw_rate);
}
