//! Trust on first use, key-change detection and the trust store's flash
//! image. Each attack test would fail if its defence were missing.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use honeylink_core::Error;
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::x25519::{StaticPublicKey, StaticSecret};
use honeylink_core::identity::{DeviceId, DeviceName, Fingerprint};
use honeylink_core::pairing::{PairingMethod, PendingPeer};
use honeylink_core::trust::{
    Block, Decision, ImageKey, KeyChangeAction, PeerRecord, TrustStore, TrustView, decide,
    decide_raw,
};

fn key(b: u8) -> StaticPublicKey {
    *StaticSecret::from_bytes(SecretBytes::new([b; 32])).public_key()
}

fn id(b: u8) -> DeviceId {
    DeviceId::from_bytes([b; 16])
}

/// A peer as a confirmed pairing produces it.
fn peer(i: u8, k: u8) -> PeerRecord {
    PendingPeer::hazmat_new(
        id(i),
        DeviceName::new("Peer").unwrap(),
        key(k),
        PairingMethod::Qr,
    )
    .confirm(1000)
}

#[test]
fn decisions_in_priority_order() {
    let mut store = TrustStore::<8>::new();
    store.add(peer(1, 1)).unwrap();
    store.add(peer(2, 2)).unwrap();
    assert_eq!(decide(&store, &id(1), &key(1)), Decision::Trusted);
    assert_eq!(decide(&store, &id(9), &key(9)), Decision::Unknown);
    assert_eq!(
        decide(&store, &id(1), &key(3)),
        Decision::KeyChanged {
            old: Fingerprint::of(&key(1)),
            new: Fingerprint::of(&key(3))
        }
    );
    // A trusted key under another id, new or known: refused.
    assert_eq!(decide(&store, &id(9), &key(1)), Decision::IdentityMismatch);
    assert_eq!(
        decide(&store, &id(2), &key(1)),
        Decision::IdentityMismatch,
        "beats KeyChanged"
    );
    // Blocked beats everything.
    store.block_key(key(1)).unwrap();
    assert_eq!(decide(&store, &id(2), &key(1)), Decision::Blocked);
    assert_eq!(decide(&store, &id(1), &key(1)), Decision::Blocked);
    store.block_device(id(2)).unwrap();
    assert_eq!(decide(&store, &id(2), &key(2)), Decision::Blocked);
}

#[test]
fn a_key_change_is_detected_and_each_action_does_what_it_says() {
    let fresh = || {
        let mut store = TrustStore::<8>::new();
        store.add(peer(1, 1)).unwrap();
        assert!(matches!(
            decide(&store, &id(1), &key(5)),
            Decision::KeyChanged { .. }
        ));
        store.note_key_change(&id(1), key(5)).unwrap();
        assert_eq!(store.peer_by_id(&id(1)).unwrap().pending_key, Some(key(5)));
        store
    };
    // Block: the old key stays trusted, the presented key is blocked anywhere.
    let mut store = fresh();
    store
        .resolve_key_change(&id(1), &key(5), KeyChangeAction::Block)
        .unwrap();
    assert_eq!(decide(&store, &id(1), &key(1)), Decision::Trusted);
    assert_eq!(decide(&store, &id(1), &key(5)), Decision::Blocked);
    assert_eq!(decide(&store, &id(7), &key(5)), Decision::Blocked);
    assert_eq!(store.peer_by_id(&id(1)).unwrap().pending_key, None);
    // Re-verify: nothing changes until a new pairing replaces the key.
    let mut store = fresh();
    // Before the person chooses re-verify, a pairing bringing the new key
    // for the known id is refused: no silent replacement.
    assert_eq!(store.add(peer(1, 5)), Err(Error::KeyChangeNotApproved));
    store
        .resolve_key_change(&id(1), &key(5), KeyChangeAction::Reverify)
        .unwrap();
    assert!(matches!(
        decide(&store, &id(1), &key(5)),
        Decision::KeyChanged { .. }
    ));
    store.add(peer(1, 5)).unwrap();
    assert_eq!(decide(&store, &id(1), &key(5)), Decision::Trusted);
    assert!(matches!(
        decide(&store, &id(1), &key(1)),
        Decision::KeyChanged { .. }
    ));
    assert_eq!(store.peers().len(), 1);
    // Trust new key: replaced at once.
    let mut store = fresh();
    store
        .resolve_key_change(&id(1), &key(5), KeyChangeAction::TrustNewKey)
        .unwrap();
    assert_eq!(decide(&store, &id(1), &key(5)), Decision::Trusted);
    assert_eq!(
        store.resolve_key_change(&id(1), &key(5), KeyChangeAction::TrustNewKey),
        Err(Error::NoPendingKey)
    );
    assert_eq!(
        store.note_key_change(&id(9), key(5)),
        Err(Error::PeerNotFound)
    );
    assert_eq!(
        store.note_key_change(&id(1), key(5)),
        Err(Error::NotAKeyChange),
        "already trusted"
    );
    // Re-pairing with the same key just refreshes the record.
    assert_eq!(store.add(peer(1, 5)), Ok(()));
}

#[test]
fn blocks_hold_under_new_keys_and_new_ids_and_pairing_never_lifts_them() {
    let mut store = TrustStore::<8>::new();
    store.add(peer(1, 1)).unwrap();
    store.block_device(id(1)).unwrap();
    // The blocked device under a new key.
    assert_eq!(decide(&store, &id(1), &key(8)), Decision::Blocked);
    // A new pairing does not lift it.
    assert_eq!(store.add(peer(1, 8)), Err(Error::PeerBlocked));
    // A blocked key under a new id, and a pairing with it.
    store.block_key(key(3)).unwrap();
    assert_eq!(decide(&store, &id(42), &key(3)), Decision::Blocked);
    assert_eq!(store.add(peer(42, 3)), Err(Error::PeerBlocked));
    // Only the explicit act lifts a block.
    store.unblock_device(&id(1));
    assert_eq!(decide(&store, &id(1), &key(1)), Decision::Trusted);
    store.unblock_key(&key(3));
    assert!(store.add(peer(42, 3)).is_ok());
    // A key trusted for one id cannot be paired under another.
    assert_eq!(store.add(peer(43, 3)), Err(Error::KeyTrustedElsewhere));
}

#[test]
fn keys_are_recognised_in_any_spelling() {
    let mut store = TrustStore::<8>::new();
    store.add(peer(1, 1)).unwrap();
    store.block_key(key(2)).unwrap();
    let mut trusted_high = *key(1).as_bytes();
    trusted_high[31] |= 0x80;
    let mut blocked_high = *key(2).as_bytes();
    blocked_high[31] |= 0x80;
    assert_eq!(
        decide_raw(&store, &id(1), &trusted_high),
        Ok(Decision::Trusted)
    );
    assert_eq!(
        decide_raw(&store, &id(9), &trusted_high),
        Ok(Decision::IdentityMismatch)
    );
    assert_eq!(
        decide_raw(&store, &id(9), &blocked_high),
        Ok(Decision::Blocked)
    );
    assert_eq!(
        decide_raw(&store, &id(9), &[0; 32]),
        Err(Error::LowOrderKey)
    );
    // u >= p: the spelling p + u of a small canonical u is the same key.
    let mut nine = [0u8; 32];
    nine[0] = 9;
    let mut store = TrustStore::<8>::new();
    store
        .block_key(StaticPublicKey::from_bytes(&nine).unwrap())
        .unwrap();
    let mut p_plus_9 = [0xff; 32];
    p_plus_9[0] = 0xed + 9;
    p_plus_9[31] = 0x7f;
    assert_eq!(decide_raw(&store, &id(3), &p_plus_9), Ok(Decision::Blocked));
}

#[test]
fn a_full_store_refuses_and_keeps_its_blocks() {
    let mut store = TrustStore::<4>::new();
    for i in 0..4 {
        store.add(peer(i, i + 1)).unwrap();
    }
    assert_eq!(store.add(peer(10, 11)), Err(Error::StoreFull));
    for i in 0..4 {
        store.block_key(key(100 + i)).unwrap();
    }
    assert_eq!(store.block_device(id(77)), Err(Error::StoreFull));
    assert_eq!(store.blocks().len(), 4);
    for i in 0..4 {
        assert_eq!(
            decide(&store, &id(50), &key(100 + i)),
            Decision::Blocked,
            "block {i} kept"
        );
    }
    // Blocking an already blocked key in a full store is fine (no-op).
    assert_eq!(store.block_key(key(100)), Ok(()));
    // A key-change block that does not fit leaves everything as it was.
    store.note_key_change(&id(0), key(200)).unwrap();
    assert_eq!(
        store.resolve_key_change(&id(0), &key(200), KeyChangeAction::Block),
        Err(Error::StoreFull)
    );
    assert_eq!(
        store.peer_by_id(&id(0)).unwrap().pending_key,
        Some(key(200))
    );
}

fn image_of<const N: usize>(store: &TrustStore<N>, key: &ImageKey, generation: u64) -> Vec<u8> {
    let mut out = vec![0u8; 16 * 1024];
    let n = store.to_image(key, generation, &mut out).unwrap();
    out.truncate(n);
    out
}

#[test]
fn flash_image_round_trips_and_detects_tampering() {
    let device = StaticSecret::from_bytes(SecretBytes::new([0x99; 32]));
    let image_key = ImageKey::derive(&device);
    let mut store = TrustStore::<8>::new();
    store.add(peer(1, 1)).unwrap();
    store.add(peer(2, 2)).unwrap();
    store.note_key_change(&id(2), key(6)).unwrap();
    store.block_device(id(3)).unwrap();
    store.block_key(key(4)).unwrap();
    let image = image_of(&store, &image_key, 7);
    let (loaded, generation) = TrustStore::<8>::from_image(&image, &image_key).unwrap();
    assert_eq!(generation, 7);
    assert_eq!(loaded.peers(), store.peers());
    assert_eq!(loaded.blocks(), store.blocks());

    // Every single flipped bit is detected.
    for bit in 0..image.len() * 8 {
        let mut flipped = image.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        assert_eq!(
            TrustStore::<8>::from_image(&flipped, &image_key).err(),
            Some(Error::ImageAuthentication),
            "bit {bit}"
        );
    }
    // Two records swapped (a different, validly encoded body) is detected.
    let mut swapped = TrustStore::<8>::new();
    swapped.add(peer(2, 2)).unwrap();
    swapped.add(peer(1, 1)).unwrap();
    let body_len = image.len() - 64;
    let swapped_image = image_of(&swapped, &image_key, 7);
    let mut spliced = swapped_image[..swapped_image.len() - 64].to_vec();
    spliced.extend_from_slice(&image[body_len..]);
    assert_eq!(
        TrustStore::<8>::from_image(&spliced, &image_key).err(),
        Some(Error::ImageAuthentication)
    );
    // An image forged under another device's key.
    let other = ImageKey::derive(&StaticSecret::from_bytes(SecretBytes::new([0x98; 32])));
    let forged = image_of(&store, &other, 7);
    assert_eq!(
        TrustStore::<8>::from_image(&forged, &image_key).err(),
        Some(Error::ImageAuthentication)
    );
    // Truncations never panic and are refused.
    for cut in 0..image.len() {
        assert!(TrustStore::<8>::from_image(&image[..cut], &image_key).is_err());
    }
    // Too many peers for the capacity: refused as malformed, not truncated.
    assert_eq!(
        TrustStore::<1>::from_image(&image, &image_key).err(),
        Some(Error::Malformed)
    );
}

#[test]
fn a_key_rotation_reseals_the_image_without_losing_trust() {
    let old = ImageKey::derive(&StaticSecret::from_bytes(SecretBytes::new([1; 32])));
    let new = ImageKey::derive(&StaticSecret::from_bytes(SecretBytes::new([2; 32])));
    let mut store = TrustStore::<4>::new();
    store.add(peer(1, 1)).unwrap();
    store.block_key(key(9)).unwrap();
    let image = image_of(&store, &old, 3);
    let mut out = vec![0u8; 4096];
    let n = TrustStore::<4>::reseal_image(&image, &old, &new, &mut out).unwrap();
    let (loaded, generation) = TrustStore::<4>::from_image(&out[..n], &new).unwrap();
    assert_eq!(
        (loaded.peers(), loaded.blocks(), generation),
        (store.peers(), store.blocks(), 3)
    );
    assert_eq!(
        TrustStore::<4>::from_image(&out[..n], &old).err(),
        Some(Error::ImageAuthentication)
    );
}

#[test]
fn store_sizes() {
    println!(
        "size_of::<TrustStore<16>>() = {} bytes",
        size_of::<TrustStore<16>>()
    );
    println!(
        "size_of::<TrustStore<64>>() = {} bytes",
        size_of::<TrustStore<64>>()
    );
    println!(
        "size_of::<PeerRecord>() = {} bytes",
        size_of::<PeerRecord>()
    );
    println!("size_of::<Block>() = {} bytes", size_of::<Block>());
    assert!(size_of::<TrustStore<16>>() < size_of::<TrustStore<64>>());
}

/// A re-verify request is for the pending key the person saw: a pairing
/// that brings any other key under that id is refused, the request is used
/// up by the replacement, and a newer key change cancels it.
#[test]
fn a_reverify_request_admits_only_the_pending_key() {
    let requested = || {
        let mut store = TrustStore::<8>::new();
        store.add(peer(1, 1)).unwrap();
        store.note_key_change(&id(1), key(5)).unwrap();
        store
            .resolve_key_change(&id(1), &key(5), KeyChangeAction::Reverify)
            .unwrap();
        store
    };
    // Another key cannot ride on the request (for example a code shown
    // under the known id and name by someone else).
    let mut store = requested();
    assert_eq!(store.add(peer(1, 6)), Err(Error::KeyChangeNotApproved));
    assert_eq!(decide(&store, &id(1), &key(1)), Decision::Trusted);
    // The pending key itself is accepted, and that uses the request up.
    store.add(peer(1, 5)).unwrap();
    assert_eq!(decide(&store, &id(1), &key(5)), Decision::Trusted);
    let record = store.peer_by_id(&id(1)).unwrap();
    assert_eq!(
        (record.pending_key, record.reverify_requested),
        (None, false)
    );
    assert_eq!(store.add(peer(1, 7)), Err(Error::KeyChangeNotApproved));
    // A newer key change replaces the pending key and cancels the request:
    // neither key is admitted until the person decides again.
    let mut store = requested();
    store.note_key_change(&id(1), key(6)).unwrap();
    assert!(!store.peer_by_id(&id(1)).unwrap().reverify_requested);
    assert_eq!(store.add(peer(1, 5)), Err(Error::KeyChangeNotApproved));
    assert_eq!(store.add(peer(1, 6)), Err(Error::KeyChangeNotApproved));
    // Blocking or trusting the pending key ends the request too.
    for action in [KeyChangeAction::Block, KeyChangeAction::TrustNewKey] {
        let mut store = requested();
        store.resolve_key_change(&id(1), &key(5), action).unwrap();
        assert!(!store.peer_by_id(&id(1)).unwrap().reverify_requested);
    }
}

/// Review finding: the person's choice applies to the key they were shown.
/// If another key was presented for the id in between (an attacker racing
/// the decision), the choice is refused and nothing changes.
#[test]
fn a_key_change_decision_applies_only_to_the_key_that_was_shown() {
    for action in [
        KeyChangeAction::Block,
        KeyChangeAction::Reverify,
        KeyChangeAction::TrustNewKey,
    ] {
        let mut store = TrustStore::<8>::new();
        store.add(peer(1, 1)).unwrap();
        store.note_key_change(&id(1), key(5)).unwrap();
        // The person is shown key 5; meanwhile key 6 is presented.
        store.note_key_change(&id(1), key(6)).unwrap();
        assert_eq!(
            store.resolve_key_change(&id(1), &key(5), action),
            Err(Error::PendingKeyChanged),
            "{action:?}"
        );
        let record = store.peer_by_id(&id(1)).unwrap();
        assert_eq!(record.pending_key, Some(key(6)));
        assert!(!record.reverify_requested);
        assert_eq!(decide(&store, &id(1), &key(1)), Decision::Trusted);
        assert!(store.blocks().is_empty());
    }
}

#[test]
fn rename_and_remove_touch_only_the_named_peer() {
    let mut store = TrustStore::<4>::new();
    store.add(peer(1, 1)).unwrap();
    store.add(peer(2, 2)).unwrap();
    store.add(peer(3, 3)).unwrap();
    let kitchen = DeviceName::new("Kitchen").unwrap();
    assert_eq!(store.rename(&id(2), kitchen), Ok(()));
    let names: Vec<&str> = store.peers().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Peer", "Kitchen", "Peer"]);
    assert_eq!(store.rename(&id(9), kitchen), Err(Error::PeerNotFound));

    let removed = store.remove(&id(1)).unwrap();
    assert_eq!((removed.id, removed.key.key()), (id(1), &key(1)));
    assert_eq!(decide(&store, &id(1), &key(1)), Decision::Unknown);
    assert_eq!(decide(&store, &id(2), &key(2)), Decision::Trusted);
    assert_eq!(decide(&store, &id(3), &key(3)), Decision::Trusted);
    assert_eq!(store.peers().len(), 2);
    assert_eq!(store.remove(&id(1)).err(), Some(Error::PeerNotFound));
    assert_eq!(store.peers().len(), 2);
}

/// Trusting a pending key that another peer already holds is refused and
/// changes nothing: one key, one id.
#[test]
fn trusting_a_new_key_that_is_another_peers_is_refused() {
    let mut store = TrustStore::<8>::new();
    store.add(peer(1, 1)).unwrap();
    store.add(peer(2, 2)).unwrap();
    store.note_key_change(&id(1), key(2)).unwrap();
    assert_eq!(
        store.resolve_key_change(&id(1), &key(2), KeyChangeAction::TrustNewKey),
        Err(Error::KeyTrustedElsewhere)
    );
    assert_eq!(decide(&store, &id(1), &key(1)), Decision::Trusted);
    assert_eq!(decide(&store, &id(2), &key(2)), Decision::Trusted);
    assert_eq!(store.peer_by_id(&id(1)).unwrap().pending_key, Some(key(2)));
    // Its own pending key, held by nobody else, is accepted.
    store.note_key_change(&id(1), key(3)).unwrap();
    store
        .resolve_key_change(&id(1), &key(3), KeyChangeAction::TrustNewKey)
        .unwrap();
    assert_eq!(decide(&store, &id(1), &key(3)), Decision::Trusted);
}
