//! Where the device's secrets live: the OS keychain first, key files as the
//! backup (spec 5.2), behind one trait.
//!
//! Three entries are kept ([`SecretEntry`]): the X25519 device key, the
//! Ed25519 signing key, and the audit chain's head. Two backends implement
//! [`SecretStore`]: [`Keychain`] (the platform's secret store through
//! `keyring-core`) and [`FileStore`] (PKCS#8 PEM files under `keys/`,
//! encrypted when `HONEYLINK_PASSPHRASE` is set). [`KeyStorage`] applies the
//! policy chosen by `storage` in `config.toml` ([`StorageMode`]):
//!
//! - `file`: key files only; the keychain is never touched.
//! - `keychain`: the keychain must be usable, or every call fails with
//!   [`Error::KeychainUnavailable`].
//! - `auto` (the default): the keychain when it is usable, else key files,
//!   with a [`Notice`] the caller prints.
//!
//! New keys are written to one place, the primary location: a key in the
//! keychain is not also written to a file (a plain copy on disk would undo
//! what the keychain protects). Files written earlier stay as the backup:
//! when the keychain and a file both hold a key they must agree, or
//! [`Error::KeyMismatch`]; a key found only in a file is copied into a
//! reachable keychain, read back and compared before anything else changes.

mod file;
mod keychain;

use std::fmt;

use honeylink_core::audit::ChainHead;
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::hash::HASH_LEN;
use honeylink_core::identity::DeviceId;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub use file::{
    FileStore, KdfPolicy, KeyFileProblem, MAX_KEY_FILE_LEN, PASSPHRASE_ENV, Passphrase, decode_key,
    encode_key,
};
pub use keychain::{KEYCHAIN_SERVICE, Keychain};

pub(crate) use file::public_key_of;

use crate::Error;
use crate::audit_log::{Cut, HeadStore, KeptHead};
use crate::config::StorageMode;
use crate::home::Home;

/// Length of each secret key (X25519 secret, Ed25519 seed).
pub const KEY_LEN: usize = 32;
/// Length of the audit head entry: the head (an 8-byte sequence number,
/// big-endian, and the 64-byte SHA-512 hash of the record at that position),
/// then the prune cut (the first kept record's 8-byte sequence number, the
/// 64-byte hash of the record before it and the 32-byte key that signs it;
/// all zero when the chain was never pruned).
pub const AUDIT_HEAD_LEN: usize = 8 + HASH_LEN + 8 + HASH_LEN + 32;

/// A secret kept by a [`SecretStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecretEntry {
    /// The X25519 static secret (Noise handshakes, fingerprint).
    DeviceKey,
    /// The Ed25519 seed (audit record signatures).
    SigningKey,
    /// The audit chain's head, kept beside the keys so that truncating the
    /// log is detected.
    AuditHead,
    /// A rotation's new X25519 key, staged until the rotation commits
    /// (`keys/device_key.pem.new`, keychain `device_key.new`).
    NewDeviceKey,
    /// A rotation's new Ed25519 seed, staged until the rotation commits
    /// (`keys/signing_key.pem.new`, keychain `signing_key.new`).
    NewSigningKey,
}

impl SecretEntry {
    /// The two secret keys.
    pub const KEYS: [Self; 2] = [Self::DeviceKey, Self::SigningKey];
    /// The two staged keys of a rotation, in the order of [`SecretEntry::KEYS`].
    pub const STAGED: [Self; 2] = [Self::NewDeviceKey, Self::NewSigningKey];
    /// Every entry.
    pub const ALL: [Self; 5] = [
        Self::DeviceKey,
        Self::SigningKey,
        Self::AuditHead,
        Self::NewDeviceKey,
        Self::NewSigningKey,
    ];

    /// The entry a staged key replaces when its rotation commits (itself
    /// for the others).
    #[must_use]
    pub const fn target(self) -> Self {
        match self {
            Self::NewDeviceKey => Self::DeviceKey,
            Self::NewSigningKey => Self::SigningKey,
            other => other,
        }
    }

    /// The entry's name in the keychain and in file names.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::DeviceKey => "device_key",
            Self::SigningKey => "signing_key",
            Self::AuditHead => "audit_head",
            Self::NewDeviceKey => "device_key.new",
            Self::NewSigningKey => "signing_key.new",
        }
    }

    /// The exact length of the entry's secret.
    #[must_use]
    pub const fn secret_len(self) -> usize {
        match self {
            Self::DeviceKey | Self::SigningKey | Self::NewDeviceKey | Self::NewSigningKey => {
                KEY_LEN
            }
            Self::AuditHead => AUDIT_HEAD_LEN,
        }
    }

    /// Whether the entry is a secret key (one of the two, or a staged one).
    #[must_use]
    pub const fn is_key(self) -> bool {
        !matches!(self, Self::AuditHead)
    }

    /// Refuses a secret of the wrong length for this entry.
    pub(crate) fn check_len(self, found: usize) -> Result<(), Error> {
        if found == self.secret_len() {
            Ok(())
        } else {
            Err(Error::SecretLength {
                entry: self,
                expected: self.secret_len(),
                found,
            })
        }
    }
}

impl fmt::Display for SecretEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DeviceKey => "X25519 device key",
            Self::SigningKey => "Ed25519 signing key",
            Self::AuditHead => "audit chain head",
            Self::NewDeviceKey => "new X25519 device key (rotation)",
            Self::NewSigningKey => "new Ed25519 signing key (rotation)",
        })
    }
}

/// Where secrets are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    /// The OS keychain.
    Keychain,
    /// Files under the home (`keys/*.pem`, `logs/audit.head`).
    File,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Keychain => "OS keychain",
            Self::File => "key files",
        })
    }
}

/// One place that keeps named secrets. Every `set` and `delete` is atomic
/// per entry; secrets come back in zeroizing buffers of exactly
/// [`SecretEntry::secret_len`] bytes.
pub trait SecretStore {
    /// Which kind of place this is.
    fn location(&self) -> Location;
    /// The entry's secret, or `None` when this store holds none. Never
    /// `None` for "could not tell": a store that cannot answer fails.
    fn get(&self, entry: SecretEntry) -> Result<Option<Zeroizing<Vec<u8>>>, Error>;
    /// Creates or replaces the entry. Refuses a secret of the wrong length.
    fn set(&self, entry: SecretEntry, secret: &[u8]) -> Result<(), Error>;
    /// Removes the entry; `false` when there was none.
    fn delete(&self, entry: SecretEntry) -> Result<bool, Error>;
}

/// The audit chain's head and prune cut kept as the
/// [`SecretEntry::AuditHead`] entry of a [`SecretStore`] (the keychain, when
/// the keys are there), laid out as [`AUDIT_HEAD_LEN`] says.
///
/// In the keychain, the head is out of reach of an attacker who can write
/// the home's files but not the keychain: such an attacker cannot cut the
/// log's tail, remove its front (the cut is kept here, not only in
/// `logs/audit.pruned`) or replace the log without the verification
/// noticing, even with the key files at hand, because what they would need
/// to write is not a file.
#[derive(Debug)]
pub struct SecretHeadStore<S: SecretStore>(pub S);

impl<S: SecretStore> HeadStore for SecretHeadStore<S> {
    fn load(&self) -> Result<Option<KeptHead>, Error> {
        let Some(bytes) = self.0.get(SecretEntry::AuditHead)? else {
            return Ok(None);
        };
        decode_kept_head(&bytes).map(Some)
    }

    fn store(&self, kept: &KeptHead) -> Result<(), Error> {
        self.0.set(SecretEntry::AuditHead, &encode_kept_head(kept))
    }
}

fn encode_kept_head(kept: &KeptHead) -> [u8; AUDIT_HEAD_LEN] {
    let mut bytes = [0u8; AUDIT_HEAD_LEN];
    let (seq, rest) = bytes.split_at_mut(8);
    let (hash, rest) = rest.split_at_mut(HASH_LEN);
    let (cut_seq, rest) = rest.split_at_mut(8);
    let (cut_hash, cut_key) = rest.split_at_mut(HASH_LEN);
    seq.copy_from_slice(&kept.head.seq.to_be_bytes());
    hash.copy_from_slice(&kept.head.hash);
    if let Some(cut) = &kept.cut {
        cut_seq.copy_from_slice(&cut.seq.to_be_bytes());
        cut_hash.copy_from_slice(&cut.prev_hash);
        cut_key.copy_from_slice(&cut.key);
    }
    bytes
}

fn decode_kept_head(bytes: &[u8]) -> Result<KeptHead, Error> {
    let entry = SecretEntry::AuditHead;
    entry.check_len(bytes.len())?;
    let corrupt = |detail: &str| Error::KeychainCorrupt {
        entry,
        detail: detail.into(),
    };
    let length = || corrupt("wrong length");
    let (seq, rest) = bytes.split_first_chunk::<8>().ok_or_else(length)?;
    let (hash, rest) = rest.split_first_chunk::<HASH_LEN>().ok_or_else(length)?;
    let (cut_seq, rest) = rest.split_first_chunk::<8>().ok_or_else(length)?;
    let (cut_hash, cut_key) = rest.split_first_chunk::<HASH_LEN>().ok_or_else(length)?;
    let cut_key: [u8; 32] = cut_key.try_into().map_err(|_| length())?;
    let cut = match u64::from_be_bytes(*cut_seq) {
        0 if cut_hash.iter().chain(&cut_key).all(|&b| b == 0) => None,
        0 => return Err(corrupt("a prune cut at record 0")),
        seq => Some(Cut {
            seq,
            prev_hash: *cut_hash,
            key: cut_key,
        }),
    };
    Ok(KeptHead {
        head: ChainHead {
            seq: u64::from_be_bytes(*seq),
            hash: *hash,
        },
        cut,
    })
}

/// A line for the person running HoneyLink (the library never prints).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice(String);

impl Notice {
    pub(crate) const fn new(text: String) -> Self {
        Self(text)
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A secret key as loaded by [`KeyStorage::load_key`].
#[derive(Debug)]
pub struct LoadedKey {
    /// The 32 secret bytes.
    pub secret: SecretBytes<KEY_LEN>,
    /// Set when the key was found only in a file and has just been copied
    /// into the keychain (and read back equal).
    pub migrated: Option<Notice>,
}

/// The storage policy over both backends (spec 5.2): see the module docs.
#[derive(Debug)]
pub struct KeyStorage {
    files: FileStore,
    keychain: Option<Keychain>,
}

impl KeyStorage {
    /// Opens the storage for `device_id` as `mode` says, the passphrase
    /// from `HONEYLINK_PASSPHRASE`. Returns a notice when `auto` falls back
    /// to files; fails with [`Error::KeychainUnavailable`] when `keychain`
    /// mode finds no usable keychain.
    pub fn open(
        home: &Home,
        mode: StorageMode,
        device_id: DeviceId,
    ) -> Result<(Self, Option<Notice>), Error> {
        Self::open_with(home, mode, device_id, Passphrase::from_env())
    }

    /// [`KeyStorage::open`] with an explicit file passphrase (`None`: key
    /// files are written unencrypted, and encrypted ones cannot be read).
    pub fn open_with(
        home: &Home,
        mode: StorageMode,
        device_id: DeviceId,
        passphrase: Option<Passphrase>,
    ) -> Result<(Self, Option<Notice>), Error> {
        let files = FileStore::new(home.clone(), passphrase);
        let (keychain, notice) = match mode {
            StorageMode::File => (None, None),
            StorageMode::Keychain => (Some(Keychain::connect(device_id)?), None),
            StorageMode::Auto => match Keychain::connect(device_id) {
                Ok(keychain) => (Some(keychain), None),
                Err(Error::KeychainUnavailable { reason }) => (
                    None,
                    Some(Notice(format!(
                        "no usable OS keychain ({reason}); keeping keys in files under {}",
                        home.keys_dir().display()
                    ))),
                ),
                Err(e) => return Err(e),
            },
        };
        Ok((Self { files, keychain }, notice))
    }

    /// Where new secrets go: the keychain when one is in use, else files.
    #[must_use]
    pub fn primary(&self) -> Location {
        if self.keychain.is_some() {
            Location::Keychain
        } else {
            Location::File
        }
    }

    /// The primary store, for other secrets (the audit head): the keychain
    /// when one is in use, else `logs/audit.head` and the key files.
    #[must_use]
    pub fn secrets(&self) -> &dyn SecretStore {
        match &self.keychain {
            Some(keychain) => keychain,
            None => &self.files,
        }
    }

    /// The file backend (always present).
    #[must_use]
    pub fn files(&self) -> &FileStore {
        &self.files
    }

    /// The keychain backend, when one is in use.
    #[must_use]
    pub fn keychain(&self) -> Option<&Keychain> {
        self.keychain.as_ref()
    }

    /// Where `entry` is stored now, keychain checked first; `None` if
    /// nowhere this storage can see.
    pub fn find(&self, entry: SecretEntry) -> Result<Option<Location>, Error> {
        if let Some(keychain) = &self.keychain
            && keychain.get(entry)?.is_some()
        {
            return Ok(Some(Location::Keychain));
        }
        Ok(self.files.get(entry)?.map(|_| Location::File))
    }

    /// Loads a secret key (`entry` must be a key), applying the policy:
    /// keychain and file must agree when both hold it
    /// ([`Error::KeyMismatch`]); a key only in a file is copied into the
    /// keychain in use, read back and compared ([`Error::KeychainReadBack`])
    /// before this returns. `None` when neither holds it.
    pub fn load_key(&self, entry: SecretEntry) -> Result<Option<LoadedKey>, Error> {
        let in_file = self.files.get(entry)?;
        let Some(keychain) = &self.keychain else {
            return in_file.map(|s| to_key(entry, &s, None)).transpose();
        };
        match (keychain.get(entry)?, in_file) {
            (None, None) => Ok(None),
            (Some(k), None) => to_key(entry, &k, None).map(Some),
            (Some(k), Some(f)) => {
                if bool::from(k.as_slice().ct_eq(f.as_slice())) {
                    to_key(entry, &k, None).map(Some)
                } else {
                    Err(Error::KeyMismatch {
                        entry,
                        path: self.files.path_of(entry),
                    })
                }
            }
            (None, Some(f)) => {
                keychain.set(entry, &f)?;
                let back = keychain
                    .get(entry)?
                    .ok_or(Error::KeychainReadBack { entry })?;
                if !bool::from(back.as_slice().ct_eq(f.as_slice())) {
                    return Err(Error::KeychainReadBack { entry });
                }
                let notice = Notice(format!(
                    "copied the {entry} from {} into the OS keychain; the file stays as the backup",
                    self.files.path_of(entry).display()
                ));
                to_key(entry, &f, Some(notice)).map(Some)
            }
        }
    }

    /// Stores a new key in the primary location. Refuses
    /// ([`Error::KeyExists`]) when any location already holds one: a key is
    /// never overwritten by accident; use [`KeyStorage::replace_key`].
    pub fn store_key(
        &self,
        entry: SecretEntry,
        secret: &SecretBytes<KEY_LEN>,
    ) -> Result<Location, Error> {
        check_key_entry(entry)?;
        if let Some(location) = self.find(entry)? {
            return Err(Error::KeyExists { entry, location });
        }
        self.secrets().set(entry, secret.expose_secret())?;
        Ok(self.primary())
    }

    /// Replaces a key (rotation): written to the primary location and to
    /// the key file when one exists (so the backup never disagrees), each
    /// write atomic; the keychain is written first. Returns where it was
    /// written.
    pub fn replace_key(
        &self,
        entry: SecretEntry,
        secret: &SecretBytes<KEY_LEN>,
    ) -> Result<Vec<Location>, Error> {
        check_key_entry(entry)?;
        let mut written = Vec::new();
        if let Some(keychain) = &self.keychain {
            keychain.set(entry, secret.expose_secret())?;
            written.push(Location::Keychain);
        }
        if self.keychain.is_none() || self.files.exists(entry)? {
            self.files.set(entry, secret.expose_secret())?;
            written.push(Location::File);
        }
        Ok(written)
    }

    /// Deletes a secret from every location this storage can reach;
    /// returns the locations that held it.
    pub fn delete_key(&self, entry: SecretEntry) -> Result<Vec<Location>, Error> {
        let mut removed = Vec::new();
        if let Some(keychain) = &self.keychain
            && keychain.delete(entry)?
        {
            removed.push(Location::Keychain);
        }
        if self.files.delete(entry)? {
            removed.push(Location::File);
        }
        Ok(removed)
    }
}

fn check_key_entry(entry: SecretEntry) -> Result<(), Error> {
    if entry.is_key() {
        Ok(())
    } else {
        Err(Error::SecretLength {
            entry,
            expected: entry.secret_len(),
            found: KEY_LEN,
        })
    }
}

/// Copies a checked 32-byte secret into a [`SecretBytes`].
fn to_key(entry: SecretEntry, bytes: &[u8], migrated: Option<Notice>) -> Result<LoadedKey, Error> {
    check_key_entry(entry)?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    if bytes.len() != KEY_LEN {
        return Err(Error::SecretLength {
            entry,
            expected: KEY_LEN,
            found: bytes.len(),
        });
    }
    key.copy_from_slice(bytes);
    Ok(LoadedKey {
        secret: SecretBytes::new(*key),
        migrated,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

    use super::*;

    /// Each entry and location prints the name the user sees in messages.
    #[test]
    fn entries_and_locations_print_their_names() {
        for (entry, name) in [
            (SecretEntry::DeviceKey, "X25519 device key"),
            (SecretEntry::SigningKey, "Ed25519 signing key"),
            (SecretEntry::AuditHead, "audit chain head"),
            (
                SecretEntry::NewDeviceKey,
                "new X25519 device key (rotation)",
            ),
            (
                SecretEntry::NewSigningKey,
                "new Ed25519 signing key (rotation)",
            ),
        ] {
            assert_eq!(entry.to_string(), name);
        }
        assert_eq!(Location::Keychain.to_string(), "OS keychain");
        assert_eq!(Location::File.to_string(), "key files");
    }

    /// The kept head round-trips with and without a cut; a cut at record 0
    /// (which no prune makes) is corrupt, whatever its other bytes.
    #[test]
    fn the_kept_head_round_trips_and_refuses_a_cut_at_record_zero() {
        let head = ChainHead {
            seq: 41,
            hash: [3; HASH_LEN],
        };
        let cut = Cut {
            seq: 7,
            prev_hash: [5; HASH_LEN],
            key: [6; 32],
        };
        for kept in [
            KeptHead { head, cut: None },
            KeptHead {
                head,
                cut: Some(cut),
            },
        ] {
            assert_eq!(decode_kept_head(&encode_kept_head(&kept)).unwrap(), kept);
        }
        let cut_seq = 8 + HASH_LEN;
        for changed in [cut_seq + 8, cut_seq + 8 + HASH_LEN, AUDIT_HEAD_LEN - 1] {
            let mut bytes = encode_kept_head(&KeptHead { head, cut: None });
            bytes[changed] = 1;
            match decode_kept_head(&bytes) {
                Err(Error::KeychainCorrupt { entry, detail }) => {
                    assert_eq!(entry, SecretEntry::AuditHead);
                    assert_eq!(detail, "a prune cut at record 0");
                }
                other => panic!("byte {changed}: expected corrupt, got {other:?}"),
            }
        }
    }

    /// Only the four key entries become keys: the audit head, though it
    /// may be 32 bytes in some other layout, is refused.
    #[test]
    fn only_key_entries_become_keys() {
        assert!(to_key(SecretEntry::DeviceKey, &[1; KEY_LEN], None).is_ok());
        match to_key(SecretEntry::AuditHead, &[1; KEY_LEN], None) {
            Err(Error::SecretLength {
                entry,
                expected,
                found,
            }) => {
                assert_eq!(entry, SecretEntry::AuditHead);
                assert_eq!(expected, AUDIT_HEAD_LEN);
                assert_eq!(found, KEY_LEN);
            }
            other => panic!("expected SecretLength, got {:?}", other.map(|_| "a key")),
        }
    }
}
