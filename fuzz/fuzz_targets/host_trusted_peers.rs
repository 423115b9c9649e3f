//! `TrustedPeers::parse`, the host's reader of `trusted_peers.json` (the
//! trust store every session decision reads).
//!
//! Properties:
//! - A refusal is `Error::Corrupt` naming the file, never a panic.
//! - Accepted peers are consistent: no pending key equals its trusted key,
//!   and every peer is found again by its id.
//! - Parsed peers re-encode (`TrustedPeers::to_json`, what `update`
//!   writes) to bytes that parse to the same peers and blocked keys, and
//!   encoding those again gives the same bytes (one text per trust store).

#![no_main]

use std::path::Path;

use honeylink_fuzz::host::assert_corrupt;
use honeylink_host::peers::TrustedPeers;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/fuzz/home/trusted_peers.json");
    let peers = match TrustedPeers::parse(path, data) {
        Ok(peers) => peers,
        Err(e) => return assert_corrupt(&e, path),
    };
    for peer in peers.peers() {
        assert_ne!(
            peer.record.pending_key.as_ref(),
            Some(peer.record.key.key())
        );
        assert_eq!(peers.get(&peer.record.id), Some(peer));
    }
    let bytes = peers.to_json().expect("parsed pairing times are writable");
    let back = TrustedPeers::parse(path, &bytes).expect("the writer's bytes parse");
    assert_eq!(back.peers(), peers.peers());
    assert_eq!(back.blocked_keys(), peers.blocked_keys());
    assert_eq!(back.to_json().expect("encodes"), bytes);
});
