//! The keychain policy against real D-Bus sessions.
//!
//! Each scenario runs in a child process (this test binary run again on one
//! `#[ignore]`d test) so that its environment is its own and the user's real
//! keychain is never touched:
//!
//! - `no_session_bus`: no D-Bus session reachable. `auto` falls back to key
//!   files with a notice, `keychain` fails with `KeychainUnavailable`.
//! - `real_keychain`: inside `dbus-run-session`, with `gnome-keyring-daemon`
//!   unlocked on a fresh keyring under a temporary `XDG_DATA_HOME`: both
//!   keys and the audit head stored, read, replaced and deleted; the whole
//!   `auto` policy, migration from files included; the mismatch error; and
//!   a locked keyring, which must read as "unusable", never as "absent".
//!
//! The real-keychain scenario is skipped, loudly, only when
//! `dbus-run-session` or `gnome-keyring-daemon` is not installed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use honeylink_core::crypto::SecretBytes;
use honeylink_core::identity::{DeviceId, DeviceName};
use honeylink_host::Error;
use honeylink_host::config::{Config, StorageMode};
use honeylink_host::home::Home;
use honeylink_host::identity;
use honeylink_host::keys::{
    AUDIT_HEAD_LEN, FileStore, KeyStorage, Keychain, Location, SecretEntry, SecretStore,
};

/// Set in the children, so that their tests do nothing when run by hand.
const CHILD_ENV: &str = "HONEYLINK_KEYCHAIN_TEST_CHILD";
/// Longest a child may take (a keyring waiting on a prompt would hang).
const CHILD_TIMEOUT: Duration = Duration::from_secs(120);

fn find(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

/// Runs `command` (which re-runs this binary on `test`) to completion or
/// the timeout; asserts the test ran and passed; returns its output.
fn run_child(mut command: Command, test: &str) -> String {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > CHILD_TIMEOUT {
            let _ = child.kill();
            panic!("{test}: child timed out after {CHILD_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("---- child {test} ----\n{text}");
    assert!(out.status.success(), "{test} failed in the child");
    // `--exact` with one name: "1 passed" proves this very test ran (its
    // prints interleave with the "test ... ok" line).
    assert!(
        text.contains(&format!("test {test} ...")) && text.contains("test result: ok. 1 passed"),
        "{test} did not run in the child"
    );
    text
}

fn this_test_args(test: &str) -> Vec<String> {
    [
        "--exact",
        test,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn no_session_bus() {
    let runtime = tempfile::tempdir().unwrap();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(this_test_args("child_no_session_bus"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env(CHILD_ENV, "1");
    run_child(command, "child_no_session_bus");
}

#[test]
fn real_keychain() {
    let (Some(session), Some(_), Some(_)) = (
        find("dbus-run-session"),
        find("dbus-send"),
        find("gnome-keyring-daemon"),
    ) else {
        eprintln!(
            "!!!!! SKIPPED: dbus-run-session, dbus-send or gnome-keyring-daemon is not installed \
             (apt-get install dbus dbus-x11 gnome-keyring): the real keychain tests did NOT run !!!!!"
        );
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let data = scratch.path().join("data");
    let runtime = scratch.path().join("run");
    for dir in [&data, &runtime] {
        honeylink_host::home::ensure_private_dir(dir).unwrap();
    }
    let mut command = Command::new(session);
    command
        .arg("--")
        .arg("sh")
        .arg("-c")
        .arg(
            "printf test | gnome-keyring-daemon --unlock --components=secrets >/dev/null \
             && exec \"$@\"",
        )
        .arg("sh")
        .arg(std::env::current_exe().unwrap())
        .args(this_test_args("child_real_keychain"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .env("XDG_DATA_HOME", &data)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env(CHILD_ENV, "1");
    run_child(command, "child_real_keychain");
}

fn in_child() -> bool {
    let inside = std::env::var_os(CHILD_ENV).is_some();
    if !inside {
        eprintln!("run through its parent test, not by hand: it needs its own environment");
    }
    inside
}

fn home_in(dir: &Path, name: &str) -> Home {
    Home::create(dir.join(name)).unwrap()
}

fn config(storage: StorageMode) -> Config {
    Config {
        storage,
        ..Config::default()
    }
}

fn device_name() -> DeviceName {
    DeviceName::new("Desk").unwrap()
}

#[test]
#[ignore = "run by no_session_bus in its own environment"]
fn child_no_session_bus() {
    if !in_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = home_in(dir.path(), "h");
    let lock = home.lock().unwrap();

    let err = Keychain::connect(DeviceId::from_bytes([1; 16])).unwrap_err();
    assert!(matches!(err, Error::KeychainUnavailable { .. }), "{err}");
    println!("keychain unavailable as expected: {err}");

    // keychain mode: a clear error, nothing written.
    let err = identity::create(
        &home,
        &lock,
        &config(StorageMode::Keychain),
        device_name(),
        0,
    )
    .unwrap_err();
    assert!(matches!(err, Error::KeychainUnavailable { .. }), "{err}");
    assert!(err.to_string().contains("storage = \"file\""), "{err}");
    assert!(!Home::exists(&home.identity_path()));

    // auto: key files, with one notice saying so.
    let device =
        identity::create(&home, &lock, &config(StorageMode::Auto), device_name(), 0).unwrap();
    assert_eq!(device.info.secrets, Location::File);
    assert_eq!(device.notices.len(), 1);
    let notice = device.notices[0].to_string();
    assert!(
        notice.contains("no usable OS keychain") && notice.contains("keys"),
        "{notice}"
    );
    println!("notice: {notice}");
    assert!(Home::exists(&home.device_key_path()) && Home::exists(&home.signing_key_path()));
    let loaded = identity::load(&home, &lock, &config(StorageMode::Auto)).unwrap();
    assert_eq!(
        loaded.identity.static_public_key(),
        device.identity.static_public_key()
    );
    assert_eq!(loaded.storage.primary(), Location::File);
    // The audit head goes to logs/audit.head.
    loaded
        .storage
        .secrets()
        .set(SecretEntry::AuditHead, &[4u8; AUDIT_HEAD_LEN])
        .unwrap();
    assert_eq!(
        std::fs::read(home.audit_head_path()).unwrap(),
        [4u8; AUDIT_HEAD_LEN]
    );

    // keychain mode with keys in files: still an error, not a silent file use.
    let err = identity::load(&home, &lock, &config(StorageMode::Keychain)).unwrap_err();
    assert!(matches!(err, Error::KeychainUnavailable { .. }), "{err}");
}

/// Locks the Secret Service's default collection through D-Bus.
fn lock_default_collection() {
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            "array:objpath:/org/freedesktop/secrets/aliases/default",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dbus-send: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "run by real_keychain inside dbus-run-session"]
fn child_real_keychain() {
    if !in_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();

    // 1. The backend: store, read, replace, delete each entry.
    let id = DeviceId::from_bytes([7; 16]);
    let keychain = Keychain::connect(id).unwrap();
    for entry in [
        SecretEntry::DeviceKey,
        SecretEntry::SigningKey,
        SecretEntry::AuditHead,
    ] {
        assert!(keychain.get(entry).unwrap().is_none(), "{entry}");
        let first = vec![1u8; entry.secret_len()];
        let second = vec![2u8; entry.secret_len()];
        keychain.set(entry, &first).unwrap();
        assert_eq!(*keychain.get(entry).unwrap().unwrap(), first);
        keychain.set(entry, &second).unwrap();
        assert_eq!(*keychain.get(entry).unwrap().unwrap(), second);
        assert!(keychain.delete(entry).unwrap());
        assert!(keychain.get(entry).unwrap().is_none());
        assert!(!keychain.delete(entry).unwrap());
        assert!(matches!(
            keychain.set(entry, &[0u8; 3]),
            Err(Error::SecretLength { .. })
        ));
    }
    // Entries are per device.
    let other = Keychain::connect(DeviceId::from_bytes([8; 16])).unwrap();
    keychain.set(SecretEntry::DeviceKey, &[5u8; 32]).unwrap();
    assert!(other.get(SecretEntry::DeviceKey).unwrap().is_none());
    keychain.delete(SecretEntry::DeviceKey).unwrap();
    println!("backend: store/read/replace/delete ok");

    // 2. keychain mode: keys only in the keychain, no key files.
    let home = home_in(dir.path(), "kc");
    let lock = home.lock().unwrap();
    let device = identity::create(
        &home,
        &lock,
        &config(StorageMode::Keychain),
        device_name(),
        0,
    )
    .unwrap();
    assert_eq!(device.info.secrets, Location::Keychain);
    assert!(device.notices.is_empty());
    assert!(!Home::exists(&home.device_key_path()) && !Home::exists(&home.signing_key_path()));
    let loaded = identity::load(&home, &lock, &config(StorageMode::Keychain)).unwrap();
    assert_eq!(
        loaded.identity.static_public_key(),
        device.identity.static_public_key()
    );
    assert_eq!(
        loaded.identity.verifying_key(),
        device.identity.verifying_key()
    );
    // The audit head through the same trait.
    loaded
        .storage
        .secrets()
        .set(SecretEntry::AuditHead, &[6u8; AUDIT_HEAD_LEN])
        .unwrap();
    assert_eq!(
        *loaded
            .storage
            .secrets()
            .get(SecretEntry::AuditHead)
            .unwrap()
            .unwrap(),
        [6u8; AUDIT_HEAD_LEN]
    );
    assert!(!Home::exists(&home.audit_head_path()));
    // Rotation primitives: replace (atomic per key), store refuses, delete.
    let storage = &loaded.storage;
    assert!(matches!(
        storage.store_key(SecretEntry::DeviceKey, &SecretBytes::new([1; 32])),
        Err(Error::KeyExists {
            location: Location::Keychain,
            ..
        })
    ));
    assert_eq!(
        storage
            .replace_key(SecretEntry::SigningKey, &SecretBytes::new([3; 32]))
            .unwrap(),
        vec![Location::Keychain]
    );
    assert!(matches!(
        identity::load(&home, &lock, &config(StorageMode::Auto)),
        Err(Error::PublicKeyMismatch {
            entry: SecretEntry::SigningKey,
            ..
        })
    ));
    let secrets = device.identity.export_secrets();
    storage
        .replace_key(SecretEntry::SigningKey, secrets.ed25519_seed())
        .unwrap();
    identity::load(&home, &lock, &config(StorageMode::Auto)).unwrap();
    // storage = "file" cannot see keychain keys: a clear error.
    let err = identity::load(&home, &lock, &config(StorageMode::File)).unwrap_err();
    assert!(matches!(err, Error::KeychainRequired { .. }), "{err}");
    println!("keychain mode ok");

    // 3. auto with a keychain: keys go to the keychain.
    let auto_home = home_in(dir.path(), "auto");
    let auto_lock = auto_home.lock().unwrap();
    let auto = identity::create(
        &auto_home,
        &auto_lock,
        &config(StorageMode::Auto),
        device_name(),
        0,
    )
    .unwrap();
    assert_eq!(auto.info.secrets, Location::Keychain);
    assert!(auto.notices.is_empty());
    assert!(!Home::exists(&auto_home.device_key_path()));
    println!("auto mode ok");

    // 4. Migration: an identity made with files, then loaded with auto.
    let file_home = home_in(dir.path(), "files");
    let file_lock = file_home.lock().unwrap();
    let made = identity::create(
        &file_home,
        &file_lock,
        &config(StorageMode::File),
        device_name(),
        0,
    )
    .unwrap();
    assert_eq!(made.info.secrets, Location::File);
    let key_file = std::fs::read(file_home.device_key_path()).unwrap();
    let migrated = identity::load(&file_home, &file_lock, &config(StorageMode::Auto)).unwrap();
    assert_eq!(migrated.notices.len(), 2, "{:?}", migrated.notices);
    assert!(
        migrated
            .notices
            .iter()
            .all(|n| n.as_str().contains("copied"))
    );
    assert_eq!(migrated.info.secrets, Location::Keychain);
    assert_eq!(
        identity::IdentityInfo::read(&file_home)
            .unwrap()
            .unwrap()
            .secrets,
        Location::Keychain
    );
    let kc = migrated.storage.keychain().unwrap();
    let files = FileStore::new(file_home.clone(), None);
    for entry in SecretEntry::KEYS {
        assert_eq!(
            *kc.get(entry).unwrap().unwrap(),
            *files.get(entry).unwrap().unwrap()
        );
    }
    assert_eq!(
        std::fs::read(file_home.device_key_path()).unwrap(),
        key_file,
        "the file stays"
    );
    // Loaded again: both agree, nothing to copy.
    let again = identity::load(&file_home, &file_lock, &config(StorageMode::Auto)).unwrap();
    assert!(again.notices.is_empty());
    assert_eq!(
        again.identity.static_public_key(),
        made.identity.static_public_key()
    );
    // Replace keeps the backup file in step.
    assert_eq!(
        again
            .storage
            .replace_key(
                SecretEntry::DeviceKey,
                made.identity.export_secrets().x25519_secret()
            )
            .unwrap(),
        vec![Location::Keychain, Location::File]
    );
    println!("migration ok");

    // 5. Mismatch: the keychain's key differs from the file's.
    kc.set(SecretEntry::DeviceKey, &[9u8; 32]).unwrap();
    let err = identity::load(&file_home, &file_lock, &config(StorageMode::Auto)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::KeyMismatch {
                entry: SecretEntry::DeviceKey,
                ..
            }
        ),
        "{err}"
    );
    // storage = "file" does not silently fall back to the backup files
    // (identity.json says the keys are in the keychain): refused.
    let err = identity::load(&file_home, &file_lock, &config(StorageMode::File)).unwrap_err();
    assert!(matches!(err, Error::KeychainRequired { .. }), "{err}");
    assert_eq!(
        again.storage.delete_key(SecretEntry::DeviceKey).unwrap(),
        vec![Location::Keychain, Location::File]
    );
    println!("mismatch ok");

    // 6. The device in the keychain: head there, rotation, destruction.
    device_in_keychain(dir.path());

    // 7. A locked keyring is "unusable", never "absent".
    let (storage, _) =
        KeyStorage::open(&home, StorageMode::Keychain, device.info.device_id).unwrap();
    lock_default_collection();
    let read = storage.keychain().unwrap().get(SecretEntry::DeviceKey);
    println!(
        "read from a locked keyring: {:?}",
        read.as_ref().map(Option::is_some)
    );
    assert!(
        matches!(read, Ok(Some(_)) | Err(Error::KeychainUnavailable { .. })),
        "a locked keyring must never read as \"absent\""
    );
    let err = Keychain::connect(id).unwrap_err();
    assert!(matches!(err, Error::KeychainUnavailable { .. }), "{err}");
    println!("locked: {err}");
    let err = identity::load(&home, &lock, &config(StorageMode::Auto)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::KeychainUnavailable { .. } | Error::KeychainRequired { .. }
        ),
        "{err}"
    );
    let fresh = home_in(dir.path(), "locked-auto");
    let fresh_lock = fresh.lock().unwrap();
    let fallback = identity::create(
        &fresh,
        &fresh_lock,
        &config(StorageMode::Auto),
        device_name(),
        0,
    )
    .unwrap();
    assert_eq!(fallback.info.secrets, Location::File);
    assert_eq!(fallback.notices.len(), 1);
    println!("locked keyring ok");
}

/// A device whose keys are in the keychain: the audit head is there too
/// (no `logs/audit.head`), a rotation replaces the keychain entries and
/// leaves no staged entry, destruction deletes every entry.
fn device_in_keychain(dir: &Path) {
    use honeylink_core::audit::RotationKind;
    use honeylink_core::identity::{DeviceIdentity, IdentitySecrets};
    use honeylink_core::pairing::{PairingMethod, PendingPeer};
    use honeylink_host::device::Device;
    use honeylink_host::peers::TrustedPeers;
    use honeylink_host::rotation::Journal;

    let root = dir.join("device");
    let home = Home::create(&root).unwrap();
    home.write_private(&home.config_path(), b"storage = \"keychain\"\n")
        .unwrap();
    let (mut device, created) = Device::init(&root, None, 10).unwrap();
    assert!(created);
    assert_eq!(device.info().secrets, Location::Keychain);
    assert_eq!(device.audit_head_location(), Location::Keychain);
    assert!(!Home::exists(&home.audit_head_path()));
    let peer = DeviceId::from_bytes([9; 16]);
    let peer_key =
        *honeylink_core::crypto::x25519::StaticSecret::from_bytes(SecretBytes::new([5; 32]))
            .public_key();
    device
        .confirm_pairing(
            PendingPeer::hazmat_new(peer, device_name(), peer_key, PairingMethod::Qr),
            11,
        )
        .unwrap();
    let id = device.info().device_id;
    let keychain = Keychain::connect(id).unwrap();
    let old_seed = keychain.get(SecretEntry::SigningKey).unwrap().unwrap();

    let report = device.rotate(RotationKind::Manual, 12).unwrap();
    assert_eq!(report.unpaired.len(), 1);
    let new_seed = keychain.get(SecretEntry::SigningKey).unwrap().unwrap();
    assert_ne!(*old_seed, *new_seed);
    for staged in SecretEntry::STAGED {
        assert!(keychain.get(staged).unwrap().is_none(), "{staged}");
    }
    assert!(!Home::exists(&home.device_key_path()));
    drop(device);
    let device = Device::open(&root).unwrap();
    assert_eq!(device.info().fingerprint, report.new_fingerprint);
    device.verify_audit().unwrap();
    assert!(device.peers().unwrap().is_empty());
    drop(device);

    // A rotation stopped before its commit point, its keys staged in the
    // keychain: opening rolls it back and deletes the staged entries.
    let secret = |entry| {
        let bytes = keychain.get(entry).unwrap().unwrap();
        SecretBytes::new(<[u8; 32]>::try_from(bytes.as_slice()).unwrap())
    };
    let current = DeviceIdentity::from_secrets(&IdentitySecrets::new(
        id,
        secret(SecretEntry::DeviceKey),
        secret(SecretEntry::SigningKey),
    ));
    let staged = DeviceIdentity::from_secrets(&IdentitySecrets::new(
        id,
        SecretBytes::new([0x31; 32]),
        SecretBytes::new([0x32; 32]),
    ));
    let journal = Journal::new(
        &current,
        &staged,
        RotationKind::Manual,
        13,
        Location::Keychain,
        u64::MAX,
        &TrustedPeers::default(),
    );
    home.write_private(&home.rotation_journal_path(), &journal.encode().unwrap())
        .unwrap();
    keychain
        .set(SecretEntry::NewDeviceKey, &[0x31; 32])
        .unwrap();
    keychain
        .set(SecretEntry::NewSigningKey, &[0x32; 32])
        .unwrap();
    let primaries = SecretEntry::KEYS.map(|entry| keychain.get(entry).unwrap().unwrap());
    let device = Device::open(&root).unwrap();
    assert_eq!(device.notices().len(), 1, "{:?}", device.notices());
    assert!(
        device.notices()[0]
            .as_str()
            .starts_with("an interrupted identity rotation was rolled back")
    );
    assert_eq!(device.info().fingerprint, report.new_fingerprint);
    for staged in SecretEntry::STAGED {
        assert!(keychain.get(staged).unwrap().is_none(), "{staged}");
    }
    for (entry, before) in SecretEntry::KEYS.iter().zip(&primaries) {
        assert_eq!(*keychain.get(*entry).unwrap().unwrap(), **before, "{entry}");
    }
    assert!(!Home::exists(&home.rotation_journal_path()));
    println!("keychain roll-back ok");

    // Cutting the log's tail is caught: the head is out of the files' reach.
    let log = std::fs::read(home.audit_log_path()).unwrap();
    let cut = &log[..log[..log.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1];
    std::fs::write(home.audit_log_path(), cut).unwrap();
    assert!(device.verify_audit().is_err());
    std::fs::write(home.audit_log_path(), &log).unwrap();
    device.verify_audit().unwrap();

    // H1: dropping the log's front and forging audit.pruned is caught.
    let note = home.logs_dir().join("audit.pruned");
    common::forge_prune_note(&home, 2);
    let err = device.verify_audit().unwrap_err();
    println!("forged prune note: {err}");
    std::fs::write(home.audit_log_path(), &log).unwrap();
    std::fs::remove_file(&note).unwrap();
    device.verify_audit().unwrap();

    // H2: config.toml and identity.json edited to say "files", with backup
    // key files there: the head is still the keychain's.
    home.write_private(&home.config_path(), b"storage = \"file\"\n")
        .unwrap();
    let err = Device::open(&root).unwrap_err();
    assert!(matches!(err, Error::KeychainRequired { .. }), "{err}");
    let identity_json = std::fs::read(home.identity_path()).unwrap();
    let edited = String::from_utf8(identity_json.clone())
        .unwrap()
        .replace("\"keychain\"", "\"file\"");
    home.write_private(&home.identity_path(), edited.as_bytes())
        .unwrap();
    let files = FileStore::new(home.clone(), None);
    for entry in SecretEntry::KEYS {
        files
            .set(entry, &keychain.get(entry).unwrap().unwrap())
            .unwrap();
    }
    let downgraded = Device::open(&root).unwrap();
    assert_eq!(downgraded.audit_head_location(), Location::Keychain);
    std::fs::write(home.audit_log_path(), cut).unwrap();
    assert!(downgraded.verify_audit().is_err());
    std::fs::write(home.audit_log_path(), &log).unwrap();
    downgraded.verify_audit().unwrap();
    drop(downgraded);
    home.write_private(&home.identity_path(), &identity_json)
        .unwrap();
    home.write_private(&home.config_path(), b"storage = \"keychain\"\n")
        .unwrap();
    let device = Device::open(&root).unwrap();

    let report = device.destroy(13).unwrap();
    let mut deleted = report.keychain_entries.clone();
    deleted.sort_by_key(|e| e.name());
    assert_eq!(
        deleted,
        [
            SecretEntry::AuditHead,
            SecretEntry::DeviceKey,
            SecretEntry::SigningKey
        ]
    );
    for entry in SecretEntry::ALL {
        assert!(keychain.get(entry).unwrap().is_none(), "{entry}");
    }
    assert!(!Home::exists(&root));
    println!("device in the keychain ok");
}
