//! Rotation recovery, step by step: the two states a crash can leave a
//! rotation in (journal and staged keys before the commit point; the new
//! `identity.json` after it) are built here by hand, exactly as `rotate`
//! writes them, and the device is opened. `crash.rs` reaches the same states
//! by killing a real process at random moments; these tests reach each one
//! every time.

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
use honeylink_core::audit::{Event, RotationKind};
use honeylink_core::crypto::SecretBytes;
use honeylink_core::identity::{DeviceIdentity, DeviceName, Fingerprint, IdentitySecrets};
use honeylink_core::pairing::{PairingMethod, PendingPeer};
use honeylink_core::testing::SeededRng;
use honeylink_core::trust::Decision;
use honeylink_host::Error;
use honeylink_host::audit_log::{AuditLog, FileHeadStore};
use honeylink_host::device::Device;
use honeylink_host::home::Home;
use honeylink_host::identity::IdentityInfo;
use honeylink_host::keys::{FileStore, Location, Passphrase, SecretEntry, SecretStore};
use honeylink_host::peers::TrustedPeers;
use honeylink_host::rotation::{Journal, MAX_JOURNAL_LEN};

/// A device with its keys in files, two trusted peers and a blocked one.
fn device() -> (tempfile::TempDir, PathBuf, Home) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("home");
    let home = Home::create(&root).unwrap();
    home.write_private(&home.config_path(), b"storage = \"file\"\n")
        .unwrap();
    let (mut device, _) = Device::init(&root, None, 100).unwrap();
    for n in 1..=3 {
        let peer = PendingPeer::hazmat_new(
            id(n),
            DeviceName::new(&format!("peer {n}")).unwrap(),
            key(n),
            PairingMethod::Qr,
        );
        device.confirm_pairing(peer, 100 + u64::from(n)).unwrap();
    }
    device.block_device(&id(3), 110).unwrap();
    (dir, root, home)
}

/// The key files as the device reads them (encrypted when
/// `HONEYLINK_PASSPHRASE` is set, as it is for `Device`).
fn key_files(home: &Home) -> FileStore {
    FileStore::new(home.clone(), Passphrase::from_env())
}

/// The device's identity, from its key files.
fn identity_in_files(home: &Home) -> DeviceIdentity {
    let store = key_files(home);
    let info = IdentityInfo::read(home).unwrap().unwrap();
    let secret = |entry| {
        let bytes = store.get(entry).unwrap().unwrap();
        SecretBytes::new(<[u8; 32]>::try_from(bytes.as_slice()).unwrap())
    };
    DeviceIdentity::from_secrets(&IdentitySecrets::new(
        info.device_id,
        secret(SecretEntry::DeviceKey),
        secret(SecretEntry::SigningKey),
    ))
}

/// What a rotation has written when a crash stops it just before its
/// commit point: the journal and both staged keys. Returns the new identity
/// and the journal.
fn stage_a_rotation(home: &Home, next_seq: u64) -> (DeviceIdentity, Journal) {
    let old = identity_in_files(home);
    let fresh = DeviceIdentity::generate(&mut SeededRng::new([7; 32]))
        .unwrap()
        .export_secrets();
    let new = DeviceIdentity::from_secrets(&IdentitySecrets::new(
        old.device_id(),
        SecretBytes::new(*fresh.x25519_secret().expose_secret()),
        SecretBytes::new(*fresh.ed25519_seed().expose_secret()),
    ));
    let peers = TrustedPeers::load(home).unwrap();
    let journal = Journal::new(
        &old,
        &new,
        RotationKind::Manual,
        200,
        Location::File,
        next_seq,
        &peers,
    );
    home.write_private(&home.rotation_journal_path(), &journal.encode().unwrap())
        .unwrap();
    let store = key_files(home);
    let secrets = new.export_secrets();
    store
        .set(
            SecretEntry::NewDeviceKey,
            secrets.x25519_secret().expose_secret(),
        )
        .unwrap();
    store
        .set(
            SecretEntry::NewSigningKey,
            secrets.ed25519_seed().expose_secret(),
        )
        .unwrap();
    (new, journal)
}

/// The next audit sequence number: one past the last record's.
fn next_seq(root: &Path) -> u64 {
    let device = Device::open(root).unwrap();
    let mut last = 0;
    device.audit_entries(|e| last = e.seq).unwrap();
    last + 1
}

fn staged(home: &Home) -> [PathBuf; 2] {
    let beside = |path: PathBuf| PathBuf::from(format!("{}.new", path.display()));
    [
        beside(home.device_key_path()),
        beside(home.signing_key_path()),
    ]
}

fn contents(paths: &[PathBuf]) -> Vec<Vec<u8>> {
    paths.iter().map(|p| fs::read(p).unwrap()).collect()
}

/// Asserts that opening `device` gave exactly one notice, starting with
/// `start` (`case` names the case in the failure message).
#[track_caller]
fn one_notice(device: &Device, start: &str, case: impl std::fmt::Display) {
    let notices: Vec<&str> = device.notices().iter().map(|n| n.as_str()).collect();
    assert!(
        notices.len() == 1 && notices[0].starts_with(start),
        "{case}: expected one notice starting {start:?}, got {notices:?}"
    );
}

#[test]
fn a_rotation_stopped_before_its_commit_point_rolls_back() {
    let (_dir, root, home) = device();
    let seq = next_seq(&root);
    let kept = [
        home.identity_path(),
        home.device_key_path(),
        home.signing_key_path(),
        home.trusted_peers_path(),
        home.audit_log_path(),
    ];
    let before = contents(&kept);
    stage_a_rotation(&home, seq);
    for path in staged(&home) {
        assert!(path.is_file(), "{}", path.display());
    }

    let device = Device::open(&root).unwrap();
    one_notice(
        &device,
        "an interrupted identity rotation was rolled back",
        "staged",
    );
    // Nothing the rotation had not yet committed is left: the same
    // identity, keys, peers and log; no journal, no staged key.
    assert_eq!(contents(&kept), before);
    assert!(!Home::exists(&home.rotation_journal_path()));
    for path in staged(&home) {
        assert!(!path.exists(), "{}", path.display());
    }
    assert_eq!(device.decide(&id(1), &key(1)).unwrap(), Decision::Trusted);
    device.verify_audit().unwrap();
}

/// The commit point: `identity.json` names `new`'s keys.
fn commit(home: &Home, new: &DeviceIdentity) {
    let mut info = IdentityInfo::read(home).unwrap().unwrap();
    info.x25519_public_key = *new.static_public_key();
    info.ed25519_public_key = new.verifying_key();
    info.fingerprint = new.fingerprint();
    info.save(home, &home.lock().unwrap()).unwrap();
}

/// The records a rotation of [`device`] owes, in order: the signing-key
/// handover (signed by the old key), then by the new key `KeyRotated` and
/// one `Unpaired` per trusted peer, oldest pairing first.
fn owed_events(old: &DeviceIdentity, new: &DeviceIdentity) -> [Event; 3] {
    let unpaired = |n| Event::Unpaired {
        peer: id(n),
        fingerprint: Fingerprint::of(&key(n)),
    };
    [
        Event::KeyRotated {
            kind: RotationKind::Manual,
            old: old.fingerprint(),
            new: new.fingerprint(),
        },
        unpaired(1),
        unpaired(2),
    ]
}

/// Stopped after the commit point with 0 to 4 of its 4 audit records
/// written (5: all written, the peers unpaired and the keys promoted, only
/// the journal left): opening writes exactly the records missing, unpairs,
/// promotes the staged keys (or takes the promoted ones) and ends the
/// rotation.
#[test]
fn a_rotation_stopped_after_its_commit_point_is_completed() {
    for written in 0..=5 {
        let (_dir, root, home) = device();
        let seq = next_seq(&root);
        let old = identity_in_files(&home);
        let (new, _) = stage_a_rotation(&home, seq);
        let old_audit_key = IdentityInfo::read(&home).unwrap().unwrap().audit_key;
        commit(&home, &new);
        let mut log = AuditLog::new(&home, FileHeadStore::new(&home));
        if written > 0 {
            log.rotate_signing_key(old.signing_key(), new.signing_key(), 200)
                .unwrap();
        }
        for event in owed_events(&old, &new).into_iter().take(written.max(1) - 1) {
            log.append(new.signing_key(), 200, event).unwrap();
        }
        if written == 5 {
            TrustedPeers::update(&home, |peers| {
                peers.remove(&id(1))?;
                peers.remove(&id(2)).map(|_| ())
            })
            .unwrap();
            for (from, to) in staged(&home)
                .iter()
                .zip([home.device_key_path(), home.signing_key_path()])
            {
                fs::rename(from, to).unwrap();
            }
        }

        let device = Device::open(&root).unwrap();
        one_notice(
            &device,
            "an interrupted identity rotation was completed",
            written,
        );
        assert_eq!(device.info().fingerprint, new.fingerprint());
        assert_eq!(device.info().audit_key, old_audit_key);
        // The staged keys were promoted: the key files hold the new identity.
        let promoted = identity_in_files(&home);
        assert_eq!(promoted.static_public_key(), new.static_public_key());
        assert_eq!(promoted.verifying_key(), new.verifying_key());
        assert!(!Home::exists(&home.rotation_journal_path()));
        for path in staged(&home) {
            assert!(!path.exists(), "{}", path.display());
        }
        // Each owed record once, from the journalled position on; the
        // trusted peers unpaired (the blocked one stays blocked).
        let mut tail = Vec::new();
        device
            .audit_entries(|e| {
                if e.seq >= seq {
                    tail.push((e.seq, e.name));
                }
            })
            .unwrap();
        assert_eq!(
            tail,
            [
                (seq, "signing_key_rotation"),
                (seq + 1, "key_rotated"),
                (seq + 2, "unpaired"),
                (seq + 3, "unpaired"),
            ],
            "{written} written before"
        );
        assert_eq!(device.decide(&id(1), &key(1)).unwrap(), Decision::Unknown);
        assert_eq!(device.decide(&id(2), &key(2)).unwrap(), Decision::Unknown);
        assert_eq!(device.decide(&id(3), &key(3)).unwrap(), Decision::Blocked);
        device.verify_audit().unwrap();
        // Opening again finds nothing left to do.
        drop(device);
        assert!(Device::open(&root).unwrap().notices().is_empty());
    }
}

/// After the commit point, the log's last record must be the rotation's
/// record at its place: another record there, or a log that ends before
/// the journalled position or past the rotation's records, is refused and
/// nothing is written.
#[test]
fn a_log_that_does_not_fit_the_journal_is_refused() {
    fn refused(written: &[Event], journal_seq: fn(u64) -> u64, detail: &str) {
        let (_dir, root, home) = device();
        let seq = next_seq(&root);
        let old = identity_in_files(&home);
        let (new, _) = stage_a_rotation(&home, journal_seq(seq));
        commit(&home, &new);
        let mut log = AuditLog::new(&home, FileHeadStore::new(&home));
        log.rotate_signing_key(old.signing_key(), new.signing_key(), 200)
            .unwrap();
        for event in written {
            log.append(new.signing_key(), 200, *event).unwrap();
        }
        let mut files = vec![
            home.rotation_journal_path(),
            home.identity_path(),
            home.device_key_path(),
            home.signing_key_path(),
            home.trusted_peers_path(),
            home.audit_log_path(),
            home.audit_head_path(),
        ];
        files.extend(staged(&home));
        let before = contents(&files);
        match Device::open(&root) {
            Err(Error::Corrupt { path, detail: d }) => {
                assert_eq!(path, home.rotation_journal_path());
                assert_eq!(d, detail);
            }
            other => panic!("expected Corrupt, got {:?}", other.map(|_| "a device")),
        }
        assert_eq!(contents(&files), before);
    }
    let at_its_place = "the audit log's last record is not the rotation's record at its place";
    let within = "the audit log's last record is not within the rotation's records";
    // The handover record written, then an Unpaired where KeyRotated belongs.
    let stray = Event::Unpaired {
        peer: id(2),
        fingerprint: Fingerprint::of(&key(2)),
    };
    refused(&[stray], |seq| seq, at_its_place);
    // The journal says the rotation starts one record later: its record 1
    // would be KeyRotated, and the log ends on the handover.
    refused(&[], |seq| seq - 1, at_its_place);
    // The journal's position is past the end of the log.
    refused(&[], |seq| seq + 2, within);
    // The log runs past the rotation's four records.
    refused(&[stray, stray, stray, stray], |seq| seq, within);
}

#[test]
fn the_journal_reads_back_and_refuses_what_it_does_not_know() {
    let (_dir, root, home) = device();
    let (_, journal) = stage_a_rotation(&home, next_seq(&root));
    let path = home.rotation_journal_path();
    let bytes = fs::read(&path).unwrap();
    assert_eq!(bytes, journal.encode().unwrap());
    assert_eq!(Journal::parse(&path, &bytes).unwrap(), journal);
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("\"version\": 1"), "{text}");
    // Both trusted peers are journalled to be unpaired, not the blocked one.
    assert!(text.contains(&id(1).to_string()), "{text}");
    assert!(text.contains(&id(2).to_string()), "{text}");
    assert!(!text.contains(&id(3).to_string()), "{text}");
    let other_version = text.replace("\"version\": 1", "\"version\": 2");
    match Journal::parse(&path, other_version.as_bytes()) {
        Err(Error::Corrupt { path: p, detail }) => {
            assert_eq!(p, path);
            assert_eq!(detail, "unknown version");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }

    // The size limit, 8 MiB, is exact: a journal padded to it is read and
    // settled; one byte more is refused, and the file left as it was.
    assert_eq!(MAX_JOURNAL_LEN, 8 * 1024 * 1024);
    let limit = usize::try_from(MAX_JOURNAL_LEN).unwrap();
    let mut padded = bytes.clone();
    padded.resize(limit + 1, b' ');
    home.write_private(&path, &padded).unwrap();
    match Device::open(&root) {
        Err(Error::TooLarge { path: p, .. }) => assert_eq!(p, path),
        other => panic!("expected TooLarge, got {:?}", other.map(|_| "a device")),
    }
    assert_eq!(fs::read(&path).unwrap(), padded);
    padded.truncate(limit);
    home.write_private(&path, &padded).unwrap();
    let device = Device::open(&root).unwrap();
    assert_eq!(device.notices().len(), 1);
    assert!(!Home::exists(&path));
}

/// A journal that does not fit `identity.json` (another device's, or an
/// identity naming one old and one new key) is refused as corrupt, and
/// nothing is rolled either way: every file stays as it was.
#[test]
fn a_journal_that_does_not_fit_the_identity_is_refused_and_kept() {
    let (_dir, root, home) = device();
    let (new, journal) = stage_a_rotation(&home, next_seq(&root));
    let path = home.rotation_journal_path();
    let mut files = vec![
        path.clone(),
        home.identity_path(),
        home.device_key_path(),
        home.signing_key_path(),
        home.trusted_peers_path(),
        home.audit_log_path(),
    ];
    files.extend(staged(&home));
    let refused = |files: &[PathBuf], detail: &str| {
        let before = contents(files);
        match Device::open(&root) {
            Err(Error::Corrupt { path: p, detail: d }) => {
                assert_eq!(p, path);
                assert_eq!(d, detail);
            }
            other => panic!("expected Corrupt, got {:?}", other.map(|_| "a device")),
        }
        assert_eq!(contents(files), before);
    };

    let text = String::from_utf8(journal.encode().unwrap()).unwrap();
    let own = IdentityInfo::read(&home).unwrap().unwrap().device_id;
    let foreign = text.replace(&own.to_string(), &id(9).to_string());
    assert_ne!(foreign, text);
    home.write_private(&path, foreign.as_bytes()).unwrap();
    refused(&files, "it names another device id");
    home.write_private(&path, text.as_bytes()).unwrap();

    let mut info = IdentityInfo::read(&home).unwrap().unwrap();
    let old = info;
    let lock = home.lock().unwrap();
    info.x25519_public_key = *new.static_public_key();
    info.fingerprint = new.fingerprint();
    info.save(&home, &lock).unwrap();
    drop(lock);
    let neither = "identity.json names neither the rotation's old keys nor its new ones";
    refused(&files, neither);
    let lock = home.lock().unwrap();
    info = old;
    info.ed25519_public_key = new.verifying_key();
    info.save(&home, &lock).unwrap();
    drop(lock);
    refused(&files, neither);
}

/// A rotation that fails before its commit point rolls back at once, as
/// far as it can: here staging the signing key fails (a directory is in
/// its place), and the device key staged just before is erased right
/// away, not left for the next open.
#[test]
fn a_rotation_that_fails_before_its_commit_rolls_back_at_once() {
    let (_dir, root, home) = device();
    let [staged_device, staged_signing] = staged(&home);
    fs::create_dir(&staged_signing).unwrap();
    let before = contents(&[
        home.identity_path(),
        home.device_key_path(),
        home.signing_key_path(),
    ]);
    let mut device = Device::open(&root).unwrap();
    match device.rotate(RotationKind::Manual, 300) {
        Err(Error::NotAFile { path }) => assert_eq!(path, staged_signing),
        other => panic!("expected NotAFile, got {:?}", other.map(|_| "a rotation")),
    }
    assert!(!staged_device.exists());
    assert_eq!(
        contents(&[
            home.identity_path(),
            home.device_key_path(),
            home.signing_key_path()
        ]),
        before
    );
    drop(device);
    // With the obstacle gone, the next open settles what is left.
    fs::remove_dir(&staged_signing).unwrap();
    let device = Device::open(&root).unwrap();
    assert!(!Home::exists(&home.rotation_journal_path()));
    assert_eq!(device.decide(&id(1), &key(1)).unwrap(), Decision::Trusted);
}

/// A journal that cannot be deleted (its directory is read-only to this
/// user, as the system refuses it to anyone but root) stops the recovery
/// with that error: the journal is kept, so the next open finishes the
/// roll-back; it is never taken for one already gone.
#[test]
fn a_journal_that_cannot_be_deleted_is_reported_and_kept() {
    if !common::as_a_user("a_journal_that_cannot_be_deleted_is_reported_and_kept") {
        return;
    }
    let (_dir, root, home) = device();
    let seq = next_seq(&root);
    let before = contents(&[home.identity_path(), home.device_key_path()]);
    stage_a_rotation(&home, seq);
    let journal = home.rotation_journal_path();
    common::chmod(&root, 0o500);
    common::assert_io(
        Device::open(&root).map(|_| "a device"),
        "delete",
        &journal,
        std::io::ErrorKind::PermissionDenied,
    );
    common::chmod(&root, 0o700);
    assert!(journal.is_file());
    let device = Device::open(&root).unwrap();
    assert!(!Home::exists(&journal));
    for path in staged(&home) {
        assert!(!path.exists(), "{}", path.display());
    }
    assert_eq!(
        contents(&[home.identity_path(), home.device_key_path()]),
        before
    );
    assert_eq!(device.decide(&id(1), &key(1)).unwrap(), Decision::Trusted);
}
