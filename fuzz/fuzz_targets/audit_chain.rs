//! `ChainVerifier`: an honest audit chain (genesis, then up to six events
//! with signing-key rotations among them) with one alteration of the
//! fuzzer's choosing: a record's bytes edited, spliced from another chain
//! or replaced by an earlier record; a record dropped, duplicated, swapped
//! or inserted from another chain. Anchored on the first signing key or on
//! the first record's hash, and checked against the real head.
//!
//! Properties:
//! - The honest chain verifies and `finish` returns its real head.
//! - A chain with one altered record (any change to the sequence of
//!   records' bytes) never verifies: some `push` or `finish` rejects it.
//! - A rejection is sticky: `finish` after a rejected `push` returns it.

#![no_main]

use honeylink_core::audit::{Anchor, ChainVerifier};
use honeylink_core::crypto::hash::sha512;
use honeylink_fuzz::drive::chain::{ChainInput, alter, write};
use libfuzzer_sys::fuzz_target;

fn verify(records: &[Vec<u8>], anchor: Anchor, head: honeylink_core::audit::ChainHead) -> bool {
    let mut verifier = ChainVerifier::new(anchor, Some(head));
    for record in records {
        if let Err(rejection) = verifier.push(record) {
            assert_eq!(verifier.finish(), Err(rejection), "a rejection is sticky");
            return false;
        }
    }
    verifier.finish().is_ok_and(|found| found == head)
}

fuzz_target!(|input: ChainInput| {
    let (records, head, first_key) = write(input.seed, &input.events);
    let anchor = if input.hash_anchor {
        Anchor::FirstRecordHash(sha512(&[&records[0]]))
    } else {
        Anchor::SigningKey(first_key.verifying_key())
    };
    assert!(
        verify(&records, anchor, head),
        "the honest chain did not verify"
    );
    let (other, _, _) = write(input.seed ^ 0xa5a5, &input.events);
    let mut altered = records.clone();
    alter(&mut altered, &input.edit, &other);
    if altered != records {
        assert!(
            !verify(&altered, anchor, head),
            "an altered chain verified: {:?}",
            input.edit
        );
    }
});
