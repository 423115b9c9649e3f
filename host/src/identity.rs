//! The device's identity on disk: `identity.json` (0600) holds its public
//! facts, the secrets are in [`KeyStorage`].
//!
//! ```json
//! {"format":1,"device_id":"…","name":"Laptop",
//!  "x25519_public_key":"<64 hex>","ed25519_public_key":"<64 hex>",
//!  "fingerprint":"…","created":"2025-01-31T12:00:00Z","secrets":"keychain"}
//! ```
//!
//! After a rotation it also holds `"audit_key":"<64 hex>"`, the Ed25519 key
//! the audit chain started with (its verification anchor); absent, it is
//! `ed25519_public_key`. Once the audit chain is started it holds
//! `"audit_genesis":"<128 hex>"`, the genesis record's hash: `init` never
//! starts a second chain for the identity.
//!
//! [`create`] makes the identity on first launch and never replaces one:
//! with an `identity.json` present it fails with [`Error::IdentityExists`]
//! (use [`load_or_create`] for "the existing one, or a new one"); with key
//! files present but no `identity.json` it fails with [`Error::OrphanKey`].
//! The keys are stored first and `identity.json` written last, so a crash
//! in between leaves orphan keys that are refused, never a half identity.
//!
//! [`load`] reads `identity.json` strictly, loads both keys through the
//! storage policy and checks each against its recorded public key
//! ([`Error::PublicKeyMismatch`]). When the keys moved from files into the
//! keychain, `identity.json` is updated after both were read back.

use std::fmt::Write as _;
use std::path::Path;

use getrandom::SysRng;
use honeylink_core::crypto::ed25519::VerifyingKey;
use honeylink_core::crypto::hash::HASH_LEN;
use honeylink_core::crypto::x25519::StaticPublicKey;
use honeylink_core::identity::{
    DeviceId, DeviceIdentity, DeviceName, Fingerprint, IdentitySecrets,
};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::clock::{format_rfc3339, parse_rfc3339};
use crate::config::{Config, StorageMode};
use crate::home::{Home, HomeLock};
use crate::keys::{KEY_LEN, KeyStorage, Location, Notice, SecretEntry};

/// The `format` of `identity.json` this code writes and reads.
pub const IDENTITY_FORMAT: u32 = 1;
/// Largest `identity.json` read.
pub const MAX_IDENTITY_LEN: u64 = 4096;

/// The public facts in `identity.json`, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdentityInfo {
    /// The device's id.
    pub device_id: DeviceId,
    /// The name shown to peers.
    pub name: DeviceName,
    /// The X25519 static public key.
    pub x25519_public_key: StaticPublicKey,
    /// The Ed25519 public key.
    pub ed25519_public_key: VerifyingKey,
    /// The fingerprint of the X25519 key (always [`Fingerprint::of`] it).
    pub fingerprint: Fingerprint,
    /// When the identity was created, seconds since 1970.
    pub created: u64,
    /// The SHA-512 of the audit chain's genesis record, once the chain was
    /// started: a new genesis is never written for this identity (a
    /// deleted log is refused, [`Error::AuditChainLost`], not restarted).
    pub audit_genesis: Option<[u8; HASH_LEN]>,
    /// Where the secret keys are kept.
    pub secrets: Location,
    /// The Ed25519 key the device's audit chain starts with (its genesis
    /// record's signer): the verification anchor. Equal to
    /// `ed25519_public_key` until the first rotation.
    pub audit_key: VerifyingKey,
}

impl IdentityInfo {
    /// The public facts of `identity`.
    #[must_use]
    pub fn of(
        identity: &DeviceIdentity,
        name: DeviceName,
        created: u64,
        secrets: Location,
    ) -> Self {
        Self {
            device_id: identity.device_id(),
            name,
            x25519_public_key: *identity.static_public_key(),
            ed25519_public_key: identity.verifying_key(),
            fingerprint: identity.fingerprint(),
            created,
            secrets,
            audit_key: identity.verifying_key(),
            audit_genesis: None,
        }
    }

    /// Writes `identity.json` atomically (0600). For rotation: call with
    /// the home lock held.
    pub fn save(&self, home: &Home, _lock: &HomeLock) -> Result<(), Error> {
        let path = home.identity_path();
        home.write_private(&path, &self.to_json(&path)?)
    }

    /// The bytes of `identity.json` (the file at `path`) for these facts,
    /// as [`IdentityInfo::save`] writes them: what [`IdentityInfo::parse`]
    /// reads back as these facts. One text per value (`audit_key` is
    /// written only when it differs from `ed25519_public_key`).
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming `path` when `created` is past what RFC
    /// 3339 can show (the year 9999).
    pub fn to_json(&self, path: &Path) -> Result<Vec<u8>, Error> {
        let record = Record {
            format: IDENTITY_FORMAT,
            device_id: self.device_id.to_string(),
            name: self.name.as_str().to_owned(),
            x25519_public_key: hex(self.x25519_public_key.as_bytes()),
            ed25519_public_key: hex(self.ed25519_public_key.as_bytes()),
            fingerprint: self.fingerprint.to_string(),
            created: format_rfc3339(self.created)
                .ok_or_else(|| Error::corrupt(path, "creation time out of range"))?,
            secrets: self.secrets,
            audit_key: (self.audit_key != self.ed25519_public_key)
                .then(|| hex(self.audit_key.as_bytes())),
            audit_genesis: self.audit_genesis.map(|hash| hex(&hash)),
        };
        let mut json =
            serde_json::to_vec_pretty(&record).map_err(|e| Error::corrupt(path, e.to_string()))?;
        json.push(b'\n');
        Ok(json)
    }

    /// Reads `identity.json`; `None` when it does not exist.
    pub fn read(home: &Home) -> Result<Option<Self>, Error> {
        let path = home.identity_path();
        let Some(bytes) = home.read_private_if_exists(&path, MAX_IDENTITY_LEN)? else {
            return Ok(None);
        };
        Self::parse(&path, &bytes).map(Some)
    }

    /// Parses the contents of `identity.json` (the file at `path`)
    /// strictly: the byte-level reader [`IdentityInfo::read`] uses.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming `path` for anything but the JSON
    /// [`IdentityInfo::to_json`] writes: unknown fields, another format, a
    /// field that does not parse, keys that are not valid public keys, a
    /// fingerprint that is not the X25519 key's.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, Error> {
        let corrupt = |detail: &str| Error::corrupt(path, detail);
        let record: Record =
            serde_json::from_slice(bytes).map_err(|e| Error::corrupt(path, e.to_string()))?;
        if record.format != IDENTITY_FORMAT {
            return Err(Error::corrupt(
                path,
                format!(
                    "format {} (this version reads {IDENTITY_FORMAT})",
                    record.format
                ),
            ));
        }
        let device_id = record
            .device_id
            .parse()
            .map_err(|_| corrupt("device_id is not a device id"))?;
        let name =
            DeviceName::new(&record.name).map_err(|_| corrupt("name is not a device name"))?;
        let x25519_public_key = unhex(&record.x25519_public_key)
            .and_then(|k| StaticPublicKey::from_bytes(&k).ok())
            .ok_or_else(|| corrupt("x25519_public_key is not an X25519 public key"))?;
        let ed25519_public_key = unhex(&record.ed25519_public_key)
            .and_then(|k| VerifyingKey::from_bytes(&k).ok())
            .ok_or_else(|| corrupt("ed25519_public_key is not an Ed25519 public key"))?;
        let fingerprint: Fingerprint = record
            .fingerprint
            .parse()
            .map_err(|_| corrupt("fingerprint is not a fingerprint"))?;
        if fingerprint != Fingerprint::of(&x25519_public_key) {
            return Err(corrupt("fingerprint does not match x25519_public_key"));
        }
        let created = parse_rfc3339(&record.created)
            .ok_or_else(|| corrupt("created is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)"))?;
        let audit_key = match &record.audit_key {
            None => ed25519_public_key,
            Some(text) => unhex(text)
                .and_then(|k| VerifyingKey::from_bytes(&k).ok())
                .ok_or_else(|| corrupt("audit_key is not an Ed25519 public key"))?,
        };
        let audit_genesis = record
            .audit_genesis
            .as_deref()
            .map(|text| unhex(text).ok_or_else(|| corrupt("audit_genesis is not 128 hex digits")))
            .transpose()?;
        Ok(Self {
            device_id,
            name,
            x25519_public_key,
            ed25519_public_key,
            fingerprint,
            created,
            secrets: record.secrets,
            audit_key,
            audit_genesis,
        })
    }
}

/// `identity.json` as written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    format: u32,
    device_id: String,
    name: String,
    x25519_public_key: String,
    ed25519_public_key: String,
    fingerprint: String,
    created: String,
    secrets: Location,
    /// Absent until the first rotation (then the audit chain's first key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audit_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audit_genesis: Option<String>,
}

/// An identity loaded or created, with its key storage (for rotation,
/// destruction and the audit head). [`crate::device::Device`] builds on it.
#[derive(Debug)]
pub struct LoadedIdentity {
    /// The identity with its secret keys.
    pub identity: DeviceIdentity,
    /// The public facts, as in `identity.json`.
    pub info: IdentityInfo,
    /// The key storage in use.
    pub storage: KeyStorage,
    /// Lines for the person running HoneyLink (keychain fallback, keys
    /// copied into the keychain). The library never prints them.
    pub notices: Vec<Notice>,
}

/// Creates the device identity on first launch: new keys from the OS RNG,
/// stored as `config.storage` says, then `identity.json`. Refuses when an
/// identity or orphan key files exist (see the module docs); a key stored
/// before a later step failed is removed again.
pub fn create(
    home: &Home,
    lock: &HomeLock,
    config: &Config,
    name: DeviceName,
    now: u64,
) -> Result<LoadedIdentity, Error> {
    let path = home.identity_path();
    if Home::exists(&path) {
        return Err(Error::IdentityExists { path });
    }
    let identity = DeviceIdentity::generate(&mut SysRng)?;
    let (storage, notice) = KeyStorage::open(home, config.storage, identity.device_id())?;
    for entry in SecretEntry::KEYS {
        if storage.files().exists(entry)? {
            return Err(Error::OrphanKey {
                entry,
                location: Location::File,
            });
        }
    }
    let secrets = identity.export_secrets();
    let mut stored = Vec::new();
    let result = (|| {
        for (entry, secret) in [
            (SecretEntry::DeviceKey, secrets.x25519_secret()),
            (SecretEntry::SigningKey, secrets.ed25519_seed()),
        ] {
            storage.store_key(entry, secret)?;
            stored.push(entry);
        }
        let info = IdentityInfo::of(&identity, name, now, storage.primary());
        info.save(home, lock)?;
        Ok(info)
    })();
    let info = match result {
        Ok(info) => info,
        Err(e) => {
            for entry in stored {
                // Best effort: the error that stopped creation is the one to
                // report; a key left behind is refused as an orphan later.
                let _ = storage.delete_key(entry);
            }
            return Err(e);
        }
    };
    Ok(LoadedIdentity {
        identity,
        info,
        storage,
        notices: notice.into_iter().collect(),
    })
}

/// Loads the device identity: `identity.json`, then both keys through the
/// storage policy, each checked against its recorded public key.
pub fn load(home: &Home, lock: &HomeLock, config: &Config) -> Result<LoadedIdentity, Error> {
    let mut info = IdentityInfo::read(home)?.ok_or_else(|| Error::NoIdentity {
        path: home.identity_path(),
    })?;
    let (storage, notice) = KeyStorage::open(home, config.storage, info.device_id)?;
    require_keychain(home, &info, &storage, config.storage)?;
    let mut notices: Vec<Notice> = notice.into_iter().collect();
    let mut keys = Vec::with_capacity(2);
    for entry in SecretEntry::KEYS {
        let Some(loaded) = storage.load_key(entry)? else {
            return Err(Error::KeyMissing {
                entry,
                location: info.secrets,
            });
        };
        let public = crate::keys::public_key_of(entry, loaded.secret.expose_secret());
        let recorded: &[u8; KEY_LEN] = match entry {
            SecretEntry::DeviceKey => info.x25519_public_key.as_bytes(),
            _ => info.ed25519_public_key.as_bytes(),
        };
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&public[..], &recorded[..])) {
            return Err(Error::PublicKeyMismatch {
                entry,
                path: home.identity_path(),
            });
        }
        notices.extend(loaded.migrated);
        keys.push(loaded.secret);
    }
    let mut keys = keys.into_iter();
    let (Some(x25519), Some(seed)) = (keys.next(), keys.next()) else {
        return Err(Error::Unexpected("two keys were loaded"));
    };
    let identity =
        DeviceIdentity::from_secrets(&IdentitySecrets::new(info.device_id, x25519, seed));
    if storage.primary() == Location::Keychain && info.secrets == Location::File {
        info.secrets = Location::Keychain;
        info.save(home, lock)?;
    }
    Ok(LoadedIdentity {
        identity,
        info,
        storage,
        notices,
    })
}

/// [`load`] when `identity.json` exists, else [`create`]; the flag says
/// whether the identity was just created.
pub fn load_or_create(
    home: &Home,
    lock: &HomeLock,
    config: &Config,
    name: DeviceName,
    now: u64,
) -> Result<(LoadedIdentity, bool), Error> {
    if Home::exists(&home.identity_path()) {
        load(home, lock, config).map(|device| (device, false))
    } else {
        create(home, lock, config, name, now).map(|device| (device, true))
    }
}

/// Fails closed when `identity.json` says the secrets are in the OS
/// keychain and `storage` has none ([`Error::KeychainRequired`]): the key
/// files and `logs/audit.head` are never used instead, so editing
/// `config.toml` (or a locked keychain under `auto`) cannot move the keys or
/// the audit head out of the keychain.
pub(crate) fn require_keychain(
    home: &Home,
    info: &IdentityInfo,
    storage: &KeyStorage,
    mode: StorageMode,
) -> Result<(), Error> {
    if info.secrets != Location::Keychain || storage.keychain().is_some() {
        return Ok(());
    }
    Err(Error::KeychainRequired {
        path: home.identity_path(),
        why: match mode {
            StorageMode::File => "config.toml sets storage = \"file\"",
            StorageMode::Auto | StorageMode::Keychain => "no usable OS keychain was found",
        },
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(text, "{b:02x}");
    }
    text
}

pub(crate) fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        if !pair.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn hex_round_trip() {
        let bytes: [u8; 32] = core::array::from_fn(|i| u8::try_from(i * 7).unwrap());
        assert_eq!(unhex(&hex(&bytes)), Some(bytes));
        assert_eq!(unhex::<32>(&hex(&bytes).to_uppercase()), None);
        assert_eq!(unhex::<32>("00"), None);
    }
}
