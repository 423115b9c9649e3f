//! Trust at scale, side by side in one run: the host's `trusted_peers.json`
//! store against the core's fixed-capacity `TrustStore` and against a plain
//! hash-map lookup (the floor), for one decision over 10,000 stored peers;
//! and loading the file with its 10,000 peers against parsing the same bytes
//! as untyped JSON (the floor of any JSON store).
//!
//! `cargo bench -p honeylink-host --bench trust`; the harness (shared with
//! the core's benches) interleaves the candidates round by round and prints
//! per-round ratios.

#![allow(
    missing_docs,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

#[path = "../../core/benches/harness/mod.rs"]
mod harness;

use std::collections::HashMap;
use std::hint::black_box;

use harness::{Candidate, banner, compare};
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::x25519::{StaticPublicKey, StaticSecret};
use honeylink_core::identity::{DeviceId, DeviceName};
use honeylink_core::pairing::{PairingMethod, PendingPeer};
use honeylink_core::trust::{PeerRecord, TrustStore, decide};
use honeylink_host::home::Home;
use honeylink_host::peers::TrustedPeers;

const PEERS: usize = 10_000;

fn peer(i: usize) -> (DeviceId, StaticPublicKey, PeerRecord) {
    let mut seed = [0x55u8; 32];
    seed[8..16].copy_from_slice(&(i as u64).to_le_bytes());
    let key = *StaticSecret::from_bytes(SecretBytes::new(seed)).public_key();
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    let id = DeviceId::from_bytes(id);
    let name = DeviceName::new(&format!("device {i}")).unwrap();
    let record = PendingPeer::hazmat_new(id, name, key, PairingMethod::Qr).confirm(1_800_000_000);
    (id, key, record)
}

fn main() {
    banner("host trust", true);
    let dir = tempfile::tempdir().unwrap();
    let home = Home::create(dir.path().join("home")).unwrap();
    let mut core_store: Box<TrustStore<PEERS>> = Box::new(TrustStore::new());
    let mut floor = HashMap::with_capacity(PEERS);
    let peers: Vec<_> = (0..PEERS).map(peer).collect();
    TrustedPeers::update(&home, |p| {
        for (_, _, record) in &peers {
            p.add(*record)?;
        }
        Ok(())
    })
    .unwrap();
    for (id, key, record) in &peers {
        core_store.add(*record).unwrap();
        floor.insert(*id, *key);
    }
    let host_store = TrustedPeers::load(&home).unwrap();
    let (last_id, last_key, _) = peers[PEERS - 1];

    compare(
        &format!("trust::decide over {PEERS} peers, vs a plain HashMap lookup"),
        &mut [
            Candidate::new("HashMap<DeviceId, key> lookup and compare", || {
                black_box(floor.get(black_box(&last_id)) == Some(&last_key));
            }),
            Candidate::new("host trusted_peers.json store: decide", || {
                black_box(decide(&host_store, black_box(&last_id), &last_key));
            }),
            Candidate::new("core TrustStore<10000>: decide (last peer)", || {
                black_box(decide(&*core_store, black_box(&last_id), &last_key));
            }),
        ],
    );

    let path = home.trusted_peers_path();
    let bytes = std::fs::read(&path).unwrap();
    println!(
        "trusted_peers.json with {PEERS} peers: {} bytes",
        bytes.len()
    );
    compare(
        &format!("loading trusted_peers.json with {PEERS} peers, vs untyped JSON parse"),
        &mut [
            Candidate::new("read + serde_json::Value parse of the file", || {
                let bytes = std::fs::read(&path).unwrap();
                black_box(serde_json::from_slice::<serde_json::Value>(&bytes).unwrap());
            }),
            Candidate::new("TrustedPeers::load (checked, validated, indexed)", || {
                black_box(TrustedPeers::load(&home).unwrap());
            }),
        ],
    );
}
