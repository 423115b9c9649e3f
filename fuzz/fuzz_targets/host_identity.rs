//! `IdentityInfo::parse`, the host's reader of `identity.json` (the
//! device's public facts: id, name, public keys, fingerprint, audit
//! anchor).
//!
//! Properties:
//! - A refusal is `Error::Corrupt` naming the file, never a panic.
//! - An accepted identity's fingerprint is the one of its X25519 key.
//! - A parsed identity re-encodes (`IdentityInfo::to_json`, what `save`
//!   writes) to bytes that parse to the same facts, and encoding that
//!   again gives the same bytes.

#![no_main]

use std::path::Path;

use honeylink_core::identity::Fingerprint;
use honeylink_fuzz::host::assert_corrupt;
use honeylink_host::identity::IdentityInfo;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/fuzz/home/identity.json");
    let info = match IdentityInfo::parse(path, data) {
        Ok(info) => info,
        Err(e) => return assert_corrupt(&e, path),
    };
    assert_eq!(info.fingerprint, Fingerprint::of(&info.x25519_public_key));
    let bytes = info
        .to_json(path)
        .expect("a parsed creation time is writable");
    let back = IdentityInfo::parse(path, &bytes).expect("the writer's bytes parse");
    assert_eq!(back, info);
    assert_eq!(back.to_json(path).expect("encodes"), bytes);
});
