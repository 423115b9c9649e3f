//! `Journal::parse`, the host's reader of `rotation.json` (the journal a
//! crash-interrupted rotation is settled from).
//!
//! Properties:
//! - A refusal is `Error::Corrupt` naming the file, never a panic.
//! - A parsed journal re-encodes (`Journal::encode`, what a rotation
//!   writes) to bytes that parse to the same journal, and encoding that
//!   again gives the same bytes.

#![no_main]

use std::path::Path;

use honeylink_fuzz::host::assert_corrupt;
use honeylink_host::rotation::Journal;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/fuzz/home/rotation.json");
    let journal = match Journal::parse(path, data) {
        Ok(journal) => journal,
        Err(e) => return assert_corrupt(&e, path),
    };
    let bytes = journal.encode().expect("a journal encodes");
    let back = Journal::parse(path, &bytes).expect("the writer's bytes parse");
    assert_eq!(back, journal);
    assert_eq!(back.encode().expect("encodes"), bytes);
});
