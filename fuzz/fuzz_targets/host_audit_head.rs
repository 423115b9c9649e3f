//! `FileHeadStore::parse`, the host's reader of `logs/audit.head` (the
//! audit chain's head and prune cut, when the keys are in files).
//!
//! Properties:
//! - A refusal is `Error::Corrupt` naming the file, never a panic.
//! - An accepted cut starts at record 1 or later.
//! - A parsed head re-encodes (`FileHeadStore::encode`, what `store`
//!   writes) to bytes that parse to the same head, and encoding that again
//!   gives the same bytes.

#![no_main]

use std::path::Path;

use honeylink_fuzz::host::assert_corrupt;
use honeylink_host::audit_log::FileHeadStore;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/fuzz/home/logs/audit.head");
    let kept = match FileHeadStore::parse(path, data) {
        Ok(kept) => kept,
        Err(e) => return assert_corrupt(&e, path),
    };
    assert!(kept.cut.is_none_or(|cut| cut.seq >= 1));
    let bytes = FileHeadStore::encode(&kept).expect("a head encodes");
    let back = FileHeadStore::parse(path, &bytes).expect("the writer's bytes parse");
    assert_eq!(back, kept);
    assert_eq!(FileHeadStore::encode(&back).expect("encodes"), bytes);
});
