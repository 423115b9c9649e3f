//! The device identity with keys in files (`storage = "file"`, no keychain
//! touched): created once, loaded back, and every inconsistency refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fs;

use honeylink_core::crypto::SecretBytes;
use honeylink_core::identity::{DeviceName, SigningContext};
use honeylink_host::Error;
use honeylink_host::config::{Config, StorageMode};
use honeylink_host::home::Home;
use honeylink_host::identity::{self, IdentityInfo};
use honeylink_host::keys::{FileStore, KeyStorage, Location, Passphrase, SecretEntry, SecretStore};

fn setup() -> (tempfile::TempDir, Home, Config) {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::create(dir.path().join("h")).unwrap();
    let config = Config {
        storage: StorageMode::File,
        ..Config::default()
    };
    (dir, home, config)
}

fn name() -> DeviceName {
    DeviceName::new("Laptop").unwrap()
}

#[test]
fn create_then_load_gives_the_same_identity() {
    let (_dir, home, config) = setup();
    let lock = home.lock().unwrap();
    let created = identity::create(&home, &lock, &config, name(), 1_700_000_000).unwrap();
    assert!(created.notices.is_empty());
    assert_eq!(created.info.secrets, Location::File);
    let json = fs::read_to_string(home.identity_path()).unwrap();
    for field in [
        "\"format\": 1",
        "\"name\": \"Laptop\"",
        "\"created\": \"2023-11-14T22:13:20Z\"",
        "\"secrets\": \"file\"",
    ] {
        assert!(json.contains(field), "{field} in {json}");
    }
    assert!(json.contains(&created.identity.device_id().to_string()));
    assert!(json.contains(&created.identity.fingerprint().to_string()));
    let loaded = identity::load(&home, &lock, &config).unwrap();
    assert_eq!(loaded.identity.device_id(), created.identity.device_id());
    assert_eq!(
        loaded.identity.static_public_key(),
        created.identity.static_public_key()
    );
    assert_eq!(
        loaded.identity.verifying_key(),
        created.identity.verifying_key()
    );
    assert_eq!(loaded.info.created, 1_700_000_000);
    // The signing key signs as before.
    let context = SigningContext::new("host test").unwrap();
    let signature = loaded.identity.sign(&context, b"audit");
    context
        .verify(&created.identity.verifying_key(), b"audit", &signature)
        .unwrap();

    // Never created twice; load_or_create returns the existing one.
    assert!(matches!(
        identity::create(&home, &lock, &config, name(), 1),
        Err(Error::IdentityExists { .. })
    ));
    let (again, was_created) = identity::load_or_create(&home, &lock, &config, name(), 1).unwrap();
    assert!(!was_created);
    assert_eq!(again.identity.device_id(), created.identity.device_id());
}

#[test]
fn encrypted_key_files_need_the_passphrase() {
    let (_dir, home, config) = setup();
    let lock = home.lock().unwrap();
    let created = identity::create(&home, &lock, &config, name(), 0).unwrap();
    let secrets = created.identity.export_secrets();
    // Rewrite both keys encrypted, as with HONEYLINK_PASSPHRASE set.
    let (storage, _) = KeyStorage::open_with(
        &home,
        StorageMode::File,
        created.info.device_id,
        Passphrase::new(b"pw"),
    )
    .unwrap();
    storage
        .replace_key(SecretEntry::DeviceKey, secrets.x25519_secret())
        .unwrap();
    storage
        .replace_key(SecretEntry::SigningKey, secrets.ed25519_seed())
        .unwrap();
    assert!(
        fs::read_to_string(home.device_key_path())
            .unwrap()
            .contains("ENCRYPTED")
    );
    assert!(matches!(
        storage.load_key(SecretEntry::DeviceKey),
        Ok(Some(_))
    ));
    let (plain, _) =
        KeyStorage::open_with(&home, StorageMode::File, created.info.device_id, None).unwrap();
    assert!(matches!(
        plain.load_key(SecretEntry::DeviceKey),
        Err(Error::PassphraseRequired { .. })
    ));
    let (wrong, _) = KeyStorage::open_with(
        &home,
        StorageMode::File,
        created.info.device_id,
        Passphrase::new(b"nope"),
    )
    .unwrap();
    assert!(matches!(
        wrong.load_key(SecretEntry::SigningKey),
        Err(Error::WrongPassphrase { .. })
    ));
}

#[test]
fn inconsistencies_are_refused() {
    let (_dir, home, config) = setup();
    let lock = home.lock().unwrap();
    assert!(matches!(
        identity::load(&home, &lock, &config),
        Err(Error::NoIdentity { .. })
    ));

    // Orphan key files: no identity.json, refusing to create over them.
    let files = FileStore::new(home.clone(), None);
    files.set(SecretEntry::SigningKey, &[1u8; 32]).unwrap();
    assert!(matches!(
        identity::create(&home, &lock, &config, name(), 0),
        Err(Error::OrphanKey {
            entry: SecretEntry::SigningKey,
            location: Location::File
        })
    ));
    assert!(!Home::exists(&home.identity_path()));
    assert!(!Home::exists(&home.device_key_path()), "nothing was stored");
    files.delete(SecretEntry::SigningKey).unwrap();

    let created = identity::create(&home, &lock, &config, name(), 0).unwrap();
    let original = fs::read(home.signing_key_path()).unwrap();

    // A key whose public half differs from identity.json.
    let (storage, _) =
        KeyStorage::open_with(&home, StorageMode::File, created.info.device_id, None).unwrap();
    storage
        .replace_key(SecretEntry::SigningKey, &SecretBytes::new([9u8; 32]))
        .unwrap();
    assert!(matches!(
        identity::load(&home, &lock, &config),
        Err(Error::PublicKeyMismatch {
            entry: SecretEntry::SigningKey,
            ..
        })
    ));
    fs::write(home.signing_key_path(), &original).unwrap();
    identity::load(&home, &lock, &config).unwrap();

    // store_key never overwrites.
    assert!(matches!(
        storage.store_key(SecretEntry::DeviceKey, &SecretBytes::new([1u8; 32])),
        Err(Error::KeyExists {
            location: Location::File,
            ..
        })
    ));

    // A key missing.
    assert_eq!(
        storage.delete_key(SecretEntry::DeviceKey).unwrap(),
        vec![Location::File]
    );
    assert!(matches!(
        identity::load(&home, &lock, &config),
        Err(Error::KeyMissing {
            entry: SecretEntry::DeviceKey,
            location: Location::File
        })
    ));
    assert!(
        storage
            .delete_key(SecretEntry::DeviceKey)
            .unwrap()
            .is_empty()
    );

    // identity.json edited: each field checked, the file left as it is.
    let json = fs::read_to_string(home.identity_path()).unwrap();
    let fingerprint = created.info.fingerprint.to_string();
    for (from, to) in [
        ("\"format\": 1", "\"format\": 2"),
        (fingerprint.as_str(), "00000-00000-00000-00000-00000-00000"),
        ("\"name\": \"Laptop\"", "\"name\": \"\""),
        ("\"secrets\": \"file\"", "\"secrets\": \"cloud\""),
        (
            "\"created\": \"1970-01-01T00:00:00Z\"",
            "\"created\": \"yesterday\"",
        ),
        ("\"format\": 1", "\"format\": 1, \"extra\": true"),
    ] {
        assert!(json.contains(from), "{from}");
        let edited = json.replacen(from, to, 1);
        home.write_private(&home.identity_path(), edited.as_bytes())
            .unwrap();
        let err = IdentityInfo::read(&home).unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "{from}: {err}");
        assert_eq!(fs::read_to_string(home.identity_path()).unwrap(), edited);
    }
}
