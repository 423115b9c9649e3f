//! The trust decision's precedence, over every combination of stored state.

use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::x25519::{StaticPublicKey, StaticSecret};
use honeylink_core::identity::{DeviceId, DeviceName, Fingerprint};
use honeylink_core::pairing::{PairingMethod, PendingPeer};
use honeylink_core::trust::{Decision, TrustStore, decide, decide_raw};

#[cfg(not(kani))]
use super::kani;
use super::{choose, choose_index, exhaust};

/// `trust::decide` follows its documented precedence, Blocked >
/// IdentityMismatch > KeyChanged > Trusted > Unknown, for every combination
/// of stored state over two paired devices and three keys in a
/// `TrustStore<4>`:
///
/// - device A trusted with no key, K1 or K2; device B with no key, K1 or K3
///   (never both with K1: the store refuses a key trusted elsewhere);
/// - a pending key change on A, or not;
/// - each of: device A blocked, device B blocked, K1 blocked, K2 blocked;
/// - presented id A, B or an unknown C, with key K1, K2 or K3, and the key
///   in its canonical spelling or with bit 255 set (`decide_raw`, which must
///   decide the same).
///
/// The expected answer is computed from the combination, not from the
/// store. Here: exhaustive over all 5,184 combinations (4,608 possible).
#[cfg_attr(kani, kani::proof, kani::unwind(6))]
#[cfg_attr(not(kani), test)]
fn trust_decision_precedence_holds_for_every_combination() {
    let keys: [StaticPublicKey; 3] = core::array::from_fn(|i| {
        *StaticSecret::from_bytes(SecretBytes::new([0x40 + i as u8; 32])).public_key()
    });
    let ids: [DeviceId; 3] = core::array::from_fn(|i| DeviceId::from_bytes([0x10 + i as u8; 16]));
    let name = DeviceName::new("Peer").expect("valid");
    exhaust(1, || {
        // Which key each device is trusted with (an index into `keys`).
        let trusted: [Option<usize>; 2] = [
            [None, Some(0), Some(1)][choose_index(3)],
            [None, Some(0), Some(2)][choose_index(3)],
        ];
        kani::assume(!(trusted[0] == Some(0) && trusted[1] == Some(0)));
        let mut store = TrustStore::<4>::new();
        for (device, key) in trusted.iter().enumerate() {
            if let Some(key) = *key {
                let peer = PendingPeer::hazmat_new(ids[device], name, keys[key], PairingMethod::Qr);
                store.add(peer.confirm(1)).expect("room, and no conflict");
            }
        }
        if choose(2) == 1 && trusted[0].is_some() {
            store.note_key_change(&ids[0], keys[2]).expect("a change");
        }
        let device_blocked = [choose(2) == 1, choose(2) == 1, false];
        let key_blocked = [choose(2) == 1, choose(2) == 1, false];
        for device in 0..2 {
            if device_blocked[device] {
                store.block_device(ids[device]).expect("room");
            }
            if key_blocked[device] {
                store.block_key(keys[device]).expect("room");
            }
        }

        let id = choose_index(3);
        let key = choose_index(3);
        let owner = (0..2).find(|&device| trusted[device] == Some(key));
        let expected = if device_blocked[id] || key_blocked[key] {
            Decision::Blocked
        } else if owner.is_some_and(|owner| owner != id) {
            Decision::IdentityMismatch
        } else {
            match trusted.get(id).copied().flatten() {
                Some(old) if old == key => Decision::Trusted,
                Some(old) => Decision::KeyChanged {
                    old: Fingerprint::of(&keys[old]),
                    new: Fingerprint::of(&keys[key]),
                },
                None => Decision::Unknown,
            }
        };
        if choose(2) == 0 {
            assert_eq!(decide(&store, &ids[id], &keys[key]), expected);
        } else {
            let mut spelled = *keys[key].as_bytes();
            spelled[31] |= 0x80;
            assert_eq!(decide_raw(&store, &ids[id], &spelled), Ok(expected));
        }
    });
}
