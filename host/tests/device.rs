//! The device facade: init and open, every change with its audit record,
//! rotation (chain, peers, keys, files) and destruction.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{id, key};
use honeylink_core::audit::{Event, PairingFailure, RotationKind};
use honeylink_core::identity::{DeviceName, Fingerprint};
use honeylink_core::pairing::{PairingMethod, PendingPeer};
use honeylink_core::trust::{Decision, KeyChangeAction, RefusalReason};
use honeylink_host::Error;
use honeylink_host::device::{AuditEntry, Device};
use honeylink_host::home::Home;
use honeylink_host::keys::Location;

/// A home whose config keeps keys in files (no keychain is touched).
fn file_home() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("home");
    let home = Home::create(&root).unwrap();
    home.write_private(&home.config_path(), b"storage = \"file\"\n")
        .unwrap();
    (dir, root)
}

fn pending(n: u32, method: PairingMethod) -> PendingPeer {
    PendingPeer::hazmat_new(
        id(n),
        DeviceName::new(&format!("peer {n}")).unwrap(),
        key(n),
        method,
    )
}

fn entries(device: &Device) -> Vec<AuditEntry> {
    let mut out = Vec::new();
    device.audit_entries(|e| out.push(e)).unwrap();
    out
}

fn names(device: &Device) -> Vec<&'static str> {
    entries(device).iter().map(|e| e.name).collect()
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(read) = fs::read_dir(dir) else {
        return out;
    };
    for entry in read {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn init_creates_then_opens_unchanged() {
    let (_dir, root) = file_home();
    let (device, created) =
        Device::init(&root, Some(DeviceName::new("Desk").unwrap()), 1_000).unwrap();
    assert!(created);
    assert_eq!(device.name().as_str(), "Desk");
    assert_eq!(device.info().secrets, Location::File);
    assert_eq!(device.audit_head_location(), Location::File);
    assert_eq!(names(&device), ["genesis", "key_generated"]);
    let fingerprint = device.info().fingerprint;
    drop(device);

    let (again, created) = Device::init(&root, None, 2_000).unwrap();
    assert!(!created);
    assert_eq!(again.info().fingerprint, fingerprint);
    assert_eq!(again.name().as_str(), "Desk");
    assert_eq!(names(&again), ["genesis", "key_generated"]);
    let opened = Device::open(&root).unwrap();
    assert_eq!(opened.info().fingerprint, fingerprint);
    assert_eq!(opened.verify_audit().unwrap().records, 2);
}

#[test]
fn open_without_identity_is_no_identity() {
    let dir = tempfile::tempdir().unwrap();
    for root in [dir.path().join("missing"), dir.path().to_path_buf()] {
        assert!(matches!(Device::open(&root), Err(Error::NoIdentity { .. })));
    }
}

/// As a crash before the chain's first head leaves the home: no head, and
/// `identity.json` not yet recording the genesis record.
fn forget_the_chain_start(home: &Home) {
    fs::remove_file(home.audit_head_path()).unwrap();
    let mut json: serde_json::Value =
        serde_json::from_slice(&fs::read(home.identity_path()).unwrap()).unwrap();
    assert!(json["audit_genesis"].is_string());
    json.as_object_mut().unwrap().remove("audit_genesis");
    home.write_private(&home.identity_path(), json.to_string().as_bytes())
        .unwrap();
}

#[test]
fn init_completes_an_interrupted_init() {
    let (_dir, root) = file_home();
    let (device, _) = Device::init(&root, None, 1).unwrap();
    let home = device.home().clone();
    drop(device);
    // As if the process died after identity.json, before the chain began
    // (so before identity.json recorded the genesis record).
    fs::remove_file(home.audit_log_path()).unwrap();
    forget_the_chain_start(&home);
    assert!(matches!(
        Device::open(&root),
        Err(Error::AuditNotStarted { .. })
    ));
    let (device, created) = Device::init(&root, None, 2).unwrap();
    assert!(!created);
    assert_eq!(names(&device), ["genesis", "key_generated"]);
}

/// Review finding (fixed): a crash inside the genesis write (the line
/// written, or torn, before its head was stored) left a device that neither
/// `open` nor `init` could finish. `init` now sets the interrupted start
/// aside, keeping its bytes, and starts the chain; a log with more than a
/// start is never set aside.
#[test]
fn init_completes_an_init_interrupted_inside_the_genesis_write() {
    let (_dir, root) = file_home();
    let (device, _) = Device::init(&root, None, 1).unwrap();
    let home = device.home().clone();
    drop(device);
    let log = fs::read(home.audit_log_path()).unwrap();
    let genesis_len = log.iter().position(|&b| b == b'\n').unwrap() + 1;
    forget_the_chain_start(&home);
    // The genesis line torn; whole with no head; whole with torn bytes after.
    let starts = [
        log[..genesis_len / 2].to_vec(),
        log[..genesis_len].to_vec(),
        log[..genesis_len + 30].to_vec(),
    ];
    for (i, start) in starts.iter().enumerate() {
        fs::write(home.audit_log_path(), start).unwrap();
        // It opens (open reads no log), but the chain does not verify.
        assert!(
            Device::open(&root).unwrap().verify_audit().is_err(),
            "start {i} verified"
        );
        let now = 10 + i as u64;
        let (device, created) = Device::init(&root, None, now).unwrap();
        assert!(!created);
        assert_eq!(names(&device), ["genesis", "key_generated"], "start {i}");
        let aside = home.logs_dir().join(format!("audit.interrupted-{now}.log"));
        assert_eq!(fs::read(&aside).unwrap(), *start, "start {i} not kept");
        assert!(
            device
                .notices()
                .iter()
                .any(|n| n.as_str().contains("set aside")),
            "start {i}"
        );
        assert_eq!(
            Device::open(&root).unwrap().verify_audit().unwrap().records,
            2
        );
        // Back to the crashed state for the next start.
        drop(device);
        forget_the_chain_start(&home);
    }
    // Two whole lines and no head: more than a start. Not set aside; the
    // missing head is reported, and the log stays as it was.
    fs::write(home.audit_log_path(), &log).unwrap();
    assert!(matches!(
        Device::init(&root, None, 99),
        Err(Error::AuditHeadMissing { .. })
    ));
    assert_eq!(fs::read(home.audit_log_path()).unwrap(), log);
    assert!(!home.logs_dir().join("audit.interrupted-99.log").exists());
    // A lone genesis line beside a prune note or a closed segment is no
    // interrupted start either (a chain was there before): not set aside.
    let lone = &log[..genesis_len];
    for (i, other) in ["audit.pruned", "audit.00000000000000000000.log"]
        .iter()
        .enumerate()
    {
        let other = home.logs_dir().join(other);
        fs::write(home.audit_log_path(), lone).unwrap();
        home.write_private(&other, b"{}\n").unwrap();
        let now = 100 + i as u64;
        assert!(
            Device::init(&root, None, now).is_err(),
            "{}",
            other.display()
        );
        assert_eq!(fs::read(home.audit_log_path()).unwrap(), lone);
        let aside = home.logs_dir().join(format!("audit.interrupted-{now}.log"));
        assert!(!aside.exists(), "{}", other.display());
        fs::remove_file(&other).unwrap();
    }
}

#[test]
fn every_change_writes_its_record() {
    let (_dir, root) = file_home();
    let (mut device, _) = Device::init(&root, None, 10).unwrap();

    let record = device
        .confirm_pairing(pending(1, PairingMethod::Qr), 11)
        .unwrap();
    assert_eq!(record.id, id(1));
    device
        .confirm_pairing(pending(2, PairingMethod::Pin), 12)
        .unwrap();
    assert_eq!(device.decide(&id(1), &key(1)).unwrap(), Decision::Trusted);
    device
        .pairing_failed(
            PairingMethod::Pin,
            PairingFailure::HandshakeFailed,
            None,
            13,
        )
        .unwrap();
    // A refused change writes nothing.
    let before = entries(&device).len();
    assert!(device.unpair(&id(9), 14).is_err());
    assert_eq!(entries(&device).len(), before);

    device.key_change_detected(&id(2), key(22), 15).unwrap();
    device
        .resolve_key_change(&id(2), &key(22), KeyChangeAction::Block, 16)
        .unwrap();
    assert_eq!(device.decide(&id(3), &key(22)).unwrap(), Decision::Blocked);
    device.block_device(&id(2), 17).unwrap();
    device.unblock_device(&id(2)).unwrap();
    device.block_key(key(40), 18).unwrap();
    device.block_key(key(40), 18).unwrap(); // already blocked: no record
    assert!(device.unblock_key(&key(40)).unwrap());
    device
        .rename(&id(1), DeviceName::new("Phone").unwrap())
        .unwrap();
    device
        .session_refused(RefusalReason::Untrusted, &id(7), &key(7), 19)
        .unwrap();
    device.unpair(&id(1), 20).unwrap();
    device.finish_refusals(21).unwrap();

    assert_eq!(
        names(&device),
        [
            "genesis",
            "key_generated",
            "paired",
            "paired",
            "pairing_failed",
            "session_refused",
            "key_change_detected",
            "device_blocked",
            "key_blocked",
            "session_refused",
            "unpaired",
        ]
    );
    let all = entries(&device);
    assert_eq!(all[2].fields["method"], "qr");
    assert_eq!(all[3].fields["method"], "pin");
    assert_eq!(all[6].fields["action"], "block");
    assert_eq!(
        all[6].fields["new"],
        Fingerprint::of(&key(22)).to_string().as_str()
    );
    let peers = device.peers().unwrap();
    assert!(peers.get(&id(1)).is_none());
    assert!(peers.get(&id(2)).is_some());

    let metrics = device.metrics().unwrap();
    assert_eq!(metrics.pairings(PairingMethod::Qr, true), 1);
    assert_eq!(metrics.pairings(PairingMethod::Pin, false), 1);
    assert_eq!(metrics.key_changes(KeyChangeAction::Block), 1);
}

#[test]
fn a_stale_device_refuses_after_another_rotates() {
    let (_dir, root) = file_home();
    let (mut first, _) = Device::init(&root, None, 10).unwrap();
    let mut second = Device::open(&root).unwrap();
    second.rotate(RotationKind::Manual, 11).unwrap();
    assert!(matches!(
        first.confirm_pairing(pending(1, PairingMethod::Qr), 12),
        Err(Error::IdentityChanged { .. })
    ));
    assert!(device_peers_empty(&second));
    second
        .confirm_pairing(pending(1, PairingMethod::Qr), 12)
        .unwrap();
    first = Device::open(&root).unwrap();
    assert_eq!(first.info().fingerprint, second.info().fingerprint);
    first.verify_audit().unwrap();
}

fn device_peers_empty(device: &Device) -> bool {
    device.peers().unwrap().is_empty()
}

#[test]
fn rotation_keeps_the_chain_and_unpairs_everyone() {
    let (_dir, root) = file_home();
    let (mut device, _) = Device::init(&root, None, 100).unwrap();
    for n in 1..=3 {
        device
            .confirm_pairing(pending(n, PairingMethod::Qr), 100 + u64::from(n))
            .unwrap();
    }
    device.block_device(&id(3), 110).unwrap();
    let home = device.home().clone();
    let old_files: Vec<Vec<u8>> = [home.device_key_path(), home.signing_key_path()]
        .iter()
        .map(|p| fs::read(p).unwrap())
        .collect();
    let old_info = *device.info();

    let report = device.rotate(RotationKind::Emergency, 200).unwrap();
    assert_eq!(report.kind, RotationKind::Emergency);
    assert_eq!(report.old_fingerprint, old_info.fingerprint);
    assert_ne!(report.new_fingerprint, old_info.fingerprint);
    let mut unpaired: Vec<_> = report.unpaired.iter().map(|r| r.id).collect();
    unpaired.sort_by_key(|i| i.to_string());
    assert_eq!(unpaired, [id(1), id(2)]);
    assert_eq!(device.info().device_id, old_info.device_id);
    assert_ne!(
        device.info().ed25519_public_key,
        old_info.ed25519_public_key
    );
    assert_eq!(device.info().audit_key, old_info.ed25519_public_key);

    // Peers: the trusted ones gone, the blocked device still blocked.
    let peers = device.peers().unwrap();
    assert_eq!(peers.len(), 1);
    assert_eq!(device.decide(&id(3), &key(3)).unwrap(), Decision::Blocked);

    // The chain verifies across the signing-key change.
    let all = entries(&device);
    let tail: Vec<_> = all.iter().rev().take(4).rev().map(|e| e.name).collect();
    assert_eq!(
        tail,
        [
            "signing_key_rotation",
            "key_rotated",
            "unpaired",
            "unpaired"
        ]
    );
    let rotated = all.iter().find(|e| e.name == "key_rotated").unwrap();
    assert_eq!(rotated.fields["reason"], "emergency");
    assert!(matches!(rotated.event, Event::KeyRotated { .. }));
    assert_eq!(
        device.metrics().unwrap().rotations(RotationKind::Emergency),
        1
    );

    // The new keys load; the old key files' contents are nowhere.
    drop(device);
    let device = Device::open(&root).unwrap();
    assert_eq!(device.info().fingerprint, report.new_fingerprint);
    device.verify_audit().unwrap();
    assert!(!Home::exists(&home.rotation_journal_path()));
    for path in files_under(&root) {
        let bytes = fs::read(&path).unwrap();
        for old in &old_files {
            assert_ne!(&bytes, old, "{}", path.display());
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.ends_with(".new"), "{name}");
    }

    // Appends continue with the new key; a second rotation chains again.
    let mut device = device;
    device
        .confirm_pairing(pending(5, PairingMethod::Nfc), 300)
        .unwrap();
    device.rotate(RotationKind::Manual, 400).unwrap();
    let device = Device::open(&root).unwrap();
    let verified = device.verify_audit().unwrap();
    assert_eq!(verified.beyond_kept_head, 0);
    assert_eq!(device.metrics().unwrap().rotations(RotationKind::Manual), 1);
}

#[test]
fn verification_refuses_another_devices_chain() {
    let (_dir_a, root_a) = file_home();
    let (_dir_b, root_b) = file_home();
    let (a, _) = Device::init(&root_a, None, 1).unwrap();
    let (b, _) = Device::init(&root_b, None, 1).unwrap();
    // B's whole log and head in A's home: it verifies on its own, but is
    // not A's chain (wrong anchor key).
    for (from, to) in [
        (b.home().audit_log_path(), a.home().audit_log_path()),
        (b.home().audit_head_path(), a.home().audit_head_path()),
    ] {
        fs::copy(from, to).unwrap();
    }
    assert!(a.verify_audit().is_err());
}

#[test]
fn destroy_erases_everything() {
    let (dir, root) = file_home();
    let (mut device, _) = Device::init(&root, None, 1).unwrap();
    device
        .confirm_pairing(pending(1, PairingMethod::Qr), 2)
        .unwrap();
    let pin = device.pin_guard(3).unwrap();
    device.save_pin_guard(&pin.export(3)).unwrap();
    let fingerprint = device.info().fingerprint;
    let report = device.destroy(4).unwrap();
    assert!(report.audited);
    assert_eq!(report.fingerprint, Some(fingerprint));
    assert!(report.keychain_entries.is_empty());
    assert!(report.left.is_empty(), "{:?}", report.left);
    let erased: Vec<String> = report
        .erased
        .iter()
        .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    for expected in [
        "keys/device_key.pem",
        "keys/signing_key.pem",
        "trusted_peers.json",
        "pin_guard.json",
        "logs/audit.log",
        "logs/audit.head",
        "identity.json",
        "config.toml",
    ] {
        assert!(
            erased.iter().any(|e| e == expected),
            "{expected}: {erased:?}"
        );
    }
    assert!(!Home::exists(&root));
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    assert!(matches!(Device::open(&root), Err(Error::NoIdentity { .. })));
}

#[test]
fn destroy_leaves_unknown_files_and_says_so() {
    let (_dir, root) = file_home();
    let (device, _) = Device::init(&root, None, 1).unwrap();
    fs::write(root.join("notes.txt"), b"mine").unwrap();
    let report = device.destroy(2).unwrap();
    assert_eq!(report.left, [root.join("notes.txt")]);
    assert!(!Home::exists(&root.join("identity.json")));
    assert!(!Home::exists(&root.join("keys")));
}

/// Review L3: something other than a file among the keys (a directory, a
/// link) is left and listed, never followed, and does not stop the erasure
/// of the keys and everything after them.
#[test]
fn destroy_goes_past_odd_entries_among_the_keys() {
    let (dir, root) = file_home();
    let (device, _) = Device::init(&root, None, 1).unwrap();
    let outside = dir.path().join("outside");
    fs::write(&outside, b"not HoneyLink's").unwrap();
    fs::create_dir(root.join("keys/a_dir")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("keys/b_link")).unwrap();
    let report = device.destroy(2).unwrap();
    for odd in ["keys/a_dir", "keys/b_link"] {
        assert!(report.left.contains(&root.join(odd)), "{:?}", report.left);
    }
    for gone in [
        "keys/device_key.pem",
        "keys/signing_key.pem",
        "identity.json",
        "logs/audit.log",
    ] {
        assert!(!Home::exists(&root.join(gone)), "{gone} survived");
    }
    assert_eq!(fs::read(&outside).unwrap(), b"not HoneyLink's");
}

/// H1: deleting the front of the log and writing a matching
/// `audit.pruned` does not make the shortened log verify: where the kept
/// chain starts is taken from the head store, never from that file.
#[test]
fn a_forged_prune_note_does_not_hide_the_front_of_the_log() {
    let (_dir, root) = file_home();
    let (mut device, _) = Device::init(&root, None, 1_000).unwrap();
    for n in 0..4 {
        device
            .confirm_pairing(pending(n, PairingMethod::Qr), 1_001 + u64::from(n))
            .unwrap();
    }
    device.verify_audit().unwrap();
    let home = Home::open(&root).unwrap();
    assert_eq!(common::forge_prune_note(&home, 3), 3);
    assert!(
        device.verify_audit().is_err(),
        "the forged cut was accepted"
    );
    assert!(device.metrics().is_err(), "the forged cut was accepted");
    let reopened = Device::open(&root).unwrap();
    assert!(reopened.verify_audit().is_err());
}

/// L2: deleting the logs does not let `init` start a new chain for the
/// same identity.
#[test]
fn init_refuses_to_restart_a_deleted_chain() {
    let (_dir, root) = file_home();
    let (mut device, _) = Device::init(&root, None, 1_000).unwrap();
    device
        .confirm_pairing(pending(1, PairingMethod::Qr), 1_001)
        .unwrap();
    drop(device);
    let home = Home::open(&root).unwrap();
    for entry in fs::read_dir(home.logs_dir()).unwrap() {
        fs::remove_file(entry.unwrap().path()).unwrap();
    }
    assert!(Device::init(&root, None, 2_000).is_err());
    assert!(
        !Home::exists(&home.audit_log_path())
            || fs::read(home.audit_log_path()).unwrap().is_empty()
    );
    assert!(Device::open(&root).is_err());
}
