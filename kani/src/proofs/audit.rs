//! The audit chain verifier: nothing comes out of it after a rejection.

use honeylink_core::audit::{Anchor, AuditWriter, ChainVerifier, Event, MAX_RECORD_LEN, Rejection};
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::ed25519::SigningKey;
use honeylink_core::identity::{DeviceId, Fingerprint};

use super::{choose_index, exhaust};

/// Records pushed per sequence.
const PUSHES: usize = 5;

/// A chain of `N` records signed by `seed`'s key, each in its own buffer.
fn chain<const N: usize>(seed: u8) -> [Vec<u8>; N] {
    let key = SigningKey::from_seed(&SecretBytes::new([seed; 32]));
    let mut out = [0u8; MAX_RECORD_LEN];
    let (mut writer, len) =
        AuditWriter::genesis(&key, DeviceId::from_bytes([seed; 16]), 100, &mut out).expect("fits");
    let mut records: [Vec<u8>; N] = core::array::from_fn(|_| Vec::new());
    records[0] = out[..len].to_vec();
    for (i, record) in records.iter_mut().enumerate().skip(1) {
        let event = Event::KeyGenerated {
            fingerprint: Fingerprint::from_bytes([i as u8; 20]),
        };
        let len = writer
            .append(&key, 100 + i as u64, event, &mut out)
            .expect("fits");
        *record = out[..len].to_vec();
    }
    records
}

/// `ChainVerifier::push` never yields a record after a rejection, over
/// every sequence of 5 pushes drawn from: records 0, 1 and 2 of a genuine
/// chain, record 1 with its signature altered, record 0 of another
/// device's chain, and bytes that are no record; with the verifier anchored
/// on the genuine signing key or on the first record's hash.
///
/// - Once a push is refused, every later push returns the same rejection,
///   and so does `finish`.
/// - After `Ok(None)` (a record that jumps ahead, held) the next push is
///   refused.
/// - Every `Ok(Some(record))` comes before any rejection, and the records
///   yielded are the chain's, in order (their sequence numbers count up
///   from 0).
/// - `finish` without a rejection or a held record names the last record
///   yielded.
///
/// Here: exhaustive over the 2 x 6^5 = 15,552 combinations.
#[cfg_attr(kani, kani::proof, kani::unwind(7))]
#[cfg_attr(not(kani), test)]
fn audit_verifier_yields_nothing_after_a_rejection() {
    let genuine = chain::<3>(1);
    let [other, ..] = chain::<1>(2);
    let mut forged = genuine[1].clone();
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    let candidates: [&[u8]; 6] = [
        &genuine[0],
        &genuine[1],
        &genuine[2],
        &forged,
        &other,
        b"no record",
    ];
    let anchors = [
        Anchor::SigningKey(SigningKey::from_seed(&SecretBytes::new([1; 32])).verifying_key()),
        Anchor::FirstRecordHash(honeylink_core::crypto::hash::sha512(&[&genuine[0]])),
    ];
    exhaust(1, || {
        let mut verifier = ChainVerifier::new(anchors[choose_index(2)], None);
        let mut rejected: Option<Rejection> = None;
        let mut held = false;
        let mut yielded: u64 = 0;
        for _ in 0..PUSHES {
            let result = verifier.push(candidates[choose_index(candidates.len())]);
            match (rejected, result) {
                (Some(first), Err(again)) => assert_eq!(again, first),
                (Some(_), Ok(record)) => panic!("a record after a rejection: {record:?}"),
                (None, Err(rejection)) => rejected = Some(rejection),
                (None, Ok(record)) => {
                    assert!(!held, "a held record was not followed by a rejection");
                    match record {
                        Some(record) => {
                            assert_eq!(record.seq, yielded);
                            yielded += 1;
                        }
                        None => held = true,
                    }
                }
            }
        }
        match (rejected, verifier.finish()) {
            (Some(first), finished) => assert_eq!(finished, Err(first)),
            (None, Ok(head)) => {
                assert!(!held && yielded > 0);
                assert_eq!(head.seq, yielded - 1);
            }
            (None, Err(_)) => assert!(held || yielded == 0),
        }
        // And a push after finish still refuses, if anything was refused.
        if let Some(first) = rejected {
            assert_eq!(
                verifier.push(candidates[0]).map(|r| r.is_some()),
                Err(first)
            );
        }
    });
}
