//! Rotating the device identity (spec 6.1), crash-safe by a journal.
//!
//! A rotation gives the device new X25519 and Ed25519 keys under the same
//! device id, hands the audit chain to the new signing key, and unpairs
//! every trusted peer. It runs under the home's lock, in this order:
//!
//! 1. **Journal.** `rotation.json` is written (atomically): the old and new
//!    public keys, the reason and time, where the keys are kept, the
//!    position the rotation's first audit record will take, and the trusted
//!    peers to unpair (ids and fingerprints). No secret is in it.
//! 2. **Stage.** The new secrets are written beside the old ones, in the
//!    same store: `keys/device_key.pem.new` and `keys/signing_key.pem.new`,
//!    or the keychain entries `device_key.new` and `signing_key.new`.
//! 3. **Commit.** `identity.json` is replaced (write to a temporary file,
//!    flush, rename, flush the directory) by one naming the new public keys.
//!    This rename is the commit point: before it the device is the old
//!    identity, after it the new one.
//! 4. **Audit.** `SigningKeyRotation` (signed by the old key, naming the new
//!    key with its proof), `KeyRotated` and one `Unpaired` per journalled
//!    peer (signed by the new key), each flushed with its head.
//! 5. **Peers.** The journalled peers are removed from `trusted_peers.json`.
//! 6. **Promote.** Each old key is overwritten and replaced by its staged
//!    key: a key file is overwritten in place with random data
//!    ([`home::ERASE_PASSES`] passes, each flushed) and the staged file
//!    renamed over it; a keychain entry is replaced by the staged secret
//!    (and a backup key file, if one exists, overwritten and rewritten),
//!    then the staged entry deleted.
//! 7. **Done.** `rotation.json` is deleted.
//!
//! # Recovery
//!
//! Whenever a device is opened, and before every change, a leftover
//! `rotation.json` is settled under the lock, deterministically:
//!
//! - `identity.json` names the **old** keys: the crash came before the
//!   commit. Roll back: the staged secrets are erased (files overwritten,
//!   keychain entries deleted) and the journal deleted. Nothing else had
//!   changed.
//! - `identity.json` names the **new** keys: roll forward. The audit
//!   records still missing are written: the chain's last record tells how
//!   many of the journalled sequence (which starts at the journalled
//!   position) are there, and it must be the one expected at its place;
//!   the old signing key, needed only for the first record, is still in
//!   place because promotion comes after the audit records. Then steps 5 to
//!   7, each of which can be repeated: a staged key still present is
//!   promoted again, an absent one was promoted already.
//! - Anything else (`identity.json` names neither) is refused as corrupt.
//!
//! So after a crash at any point, the device opens as the old identity or
//! the new one, with keys that match `identity.json`, never a mix.

use std::fs;
use std::path::Path;

use getrandom::SysRng;
use honeylink_core::audit::{Event, RotationKind};
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::ed25519::{SigningKey, VerifyingKey};
use honeylink_core::crypto::x25519::StaticPublicKey;
use honeylink_core::identity::{DeviceId, DeviceIdentity, Fingerprint, IdentitySecrets};
use honeylink_core::trust::PeerRecord;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::Error;
use crate::audit_log::AuditLog;
use crate::config::Config;
use crate::device::{self, DeviceHeads};
use crate::home::{self, Home, HomeLock, sync_dir};
use crate::identity::{IdentityInfo, LoadedIdentity, hex, unhex};
use crate::keys::{KEY_LEN, KeyStorage, Location, Notice, SecretEntry, SecretStore};
use crate::peers::{PeerState, TrustedPeers};

/// Version of `rotation.json`.
pub const JOURNAL_VERSION: u32 = 1;
/// Largest `rotation.json` read (it lists the peers to unpair: 10,000 fit).
pub const MAX_JOURNAL_LEN: u64 = 8 * 1024 * 1024;

/// `rotation.json` as written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalFile {
    version: u32,
    device_id: String,
    kind: RotationKind,
    time: u64,
    location: Location,
    old_x25519: String,
    old_ed25519: String,
    new_x25519: String,
    new_ed25519: String,
    audit_seq: u64,
    unpair: Vec<JournalPeer>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalPeer {
    id: String,
    fingerprint: String,
}

/// The rotation journal `rotation.json`, checked: what a rotation will do
/// (old and new public keys, the reason and time, where the keys are kept,
/// the first audit position, the peers to unpair). It holds no secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Journal {
    device_id: DeviceId,
    kind: RotationKind,
    time: u64,
    location: Location,
    old_x25519: StaticPublicKey,
    old_ed25519: VerifyingKey,
    new_x25519: StaticPublicKey,
    new_ed25519: VerifyingKey,
    audit_seq: u64,
    unpair: Vec<(DeviceId, Fingerprint)>,
}

/// The records of `peers`' trusted (not blocked) peers: those a rotation
/// unpairs.
fn trusted_records(peers: &TrustedPeers) -> Vec<PeerRecord> {
    peers
        .peers()
        .into_iter()
        .filter(|p| p.state == PeerState::Trusted)
        .map(|p| p.record)
        .collect()
}

impl Journal {
    /// The journal of a rotation from `old` to `new` (same device id) at
    /// `now`, its keys kept in `location`, its first audit record at
    /// `audit_seq`, unpairing every trusted peer of `peers`.
    #[must_use]
    pub fn new(
        old: &DeviceIdentity,
        new: &DeviceIdentity,
        kind: RotationKind,
        now: u64,
        location: Location,
        audit_seq: u64,
        peers: &TrustedPeers,
    ) -> Self {
        Self {
            device_id: old.device_id(),
            kind,
            time: now,
            location,
            old_x25519: *old.static_public_key(),
            old_ed25519: old.verifying_key(),
            new_x25519: *new.static_public_key(),
            new_ed25519: new.verifying_key(),
            audit_seq,
            unpair: trusted_records(peers)
                .iter()
                .map(|r| (r.id, Fingerprint::of(r.key.key())))
                .collect(),
        }
    }

    /// The bytes of `rotation.json` for this journal, as a rotation writes
    /// them: what [`Journal::parse`] reads back as this journal. One text
    /// per journal.
    ///
    /// # Errors
    /// [`Error::Corrupt`] if JSON cannot encode it (it always can).
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        let file = JournalFile {
            version: JOURNAL_VERSION,
            device_id: self.device_id.to_string(),
            kind: self.kind,
            time: self.time,
            location: self.location,
            old_x25519: hex(self.old_x25519.as_bytes()),
            old_ed25519: hex(self.old_ed25519.as_bytes()),
            new_x25519: hex(self.new_x25519.as_bytes()),
            new_ed25519: hex(self.new_ed25519.as_bytes()),
            audit_seq: self.audit_seq,
            unpair: self
                .unpair
                .iter()
                .map(|(id, fingerprint)| JournalPeer {
                    id: id.to_string(),
                    fingerprint: fingerprint.to_string(),
                })
                .collect(),
        };
        let mut bytes = serde_json::to_vec_pretty(&file)
            .map_err(|e| Error::corrupt("rotation journal", e.to_string()))?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    fn read(home: &Home) -> Result<Option<Self>, Error> {
        let path = home.rotation_journal_path();
        let Some(bytes) = home.read_private_if_exists(&path, MAX_JOURNAL_LEN)? else {
            return Ok(None);
        };
        Self::parse(&path, &bytes).map(Some)
    }

    /// Parses the contents of `rotation.json` (the file at `path`)
    /// strictly: the byte-level reader recovery uses.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming `path` for anything but the JSON
    /// [`Journal::encode`] writes: unknown fields, another version, ids,
    /// fingerprints or keys that do not parse.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, Error> {
        let corrupt = |detail: &str| Error::corrupt(path, detail);
        let file: JournalFile =
            serde_json::from_slice(bytes).map_err(|e| Error::corrupt(path, e.to_string()))?;
        if file.version != JOURNAL_VERSION {
            return Err(corrupt("unknown version"));
        }
        let x25519 = |text: &str| {
            unhex(text)
                .and_then(|k| StaticPublicKey::from_bytes(&k).ok())
                .ok_or_else(|| corrupt("a key is not an X25519 public key"))
        };
        let ed25519 = |text: &str| {
            unhex(text)
                .and_then(|k| VerifyingKey::from_bytes(&k).ok())
                .ok_or_else(|| corrupt("a key is not an Ed25519 public key"))
        };
        let mut unpair = Vec::with_capacity(file.unpair.len());
        for peer in &file.unpair {
            let id = peer.id.parse().map_err(|_| corrupt("a peer id"))?;
            let fingerprint = peer
                .fingerprint
                .parse()
                .map_err(|_| corrupt("a fingerprint"))?;
            unpair.push((id, fingerprint));
        }
        Ok(Self {
            device_id: file.device_id.parse().map_err(|_| corrupt("device_id"))?,
            kind: file.kind,
            time: file.time,
            location: file.location,
            old_x25519: x25519(&file.old_x25519)?,
            old_ed25519: ed25519(&file.old_ed25519)?,
            new_x25519: x25519(&file.new_x25519)?,
            new_ed25519: ed25519(&file.new_ed25519)?,
            audit_seq: file.audit_seq,
            unpair,
        })
    }

    /// The audit events the rotation writes after its `SigningKeyRotation`
    /// record, in order.
    fn events(&self) -> Vec<Event> {
        let mut events = Vec::with_capacity(1 + self.unpair.len());
        events.push(Event::KeyRotated {
            kind: self.kind,
            old: Fingerprint::of(&self.old_x25519),
            new: Fingerprint::of(&self.new_x25519),
        });
        events.extend(
            self.unpair
                .iter()
                .map(|(peer, fingerprint)| Event::Unpaired {
                    peer: *peer,
                    fingerprint: *fingerprint,
                }),
        );
        events
    }
}

/// Rotates `loaded` (see the module docs) under `lock`; returns the new
/// identity, its public facts (already in `identity.json`) and the peers
/// unpaired. An error before the commit point rolls back at once; after
/// it, the next open (or change) completes the rotation.
pub(crate) fn rotate(
    home: &Home,
    lock: &HomeLock,
    loaded: &LoadedIdentity,
    audit: &mut AuditLog<DeviceHeads>,
    kind: RotationKind,
    now: u64,
) -> Result<(DeviceIdentity, IdentityInfo, Vec<PeerRecord>), Error> {
    let old = &loaded.identity;
    let new = {
        // A fresh identity's secrets, under the same device id.
        let fresh = DeviceIdentity::generate(&mut SysRng)?.export_secrets();
        DeviceIdentity::from_secrets(&IdentitySecrets::new(
            old.device_id(),
            SecretBytes::new(*fresh.x25519_secret().expose_secret()),
            SecretBytes::new(*fresh.ed25519_seed().expose_secret()),
        ))
    };
    let peers = TrustedPeers::load(home)?;
    let unpaired = trusted_records(&peers);
    let last = audit.last_locked(lock)?;
    let plan = Journal::new(
        old,
        &new,
        kind,
        now,
        loaded.storage.primary(),
        last.head.seq.saturating_add(1),
        &peers,
    );
    let mut info = loaded.info;
    info.x25519_public_key = plan.new_x25519;
    info.ed25519_public_key = plan.new_ed25519;
    info.fingerprint = new.fingerprint();

    let before_commit = (|| {
        home.write_private(&home.rotation_journal_path(), &plan.encode()?)?;
        let secrets = new.export_secrets();
        let store = loaded.storage.secrets();
        store.set(
            SecretEntry::NewDeviceKey,
            secrets.x25519_secret().expose_secret(),
        )?;
        store.set(
            SecretEntry::NewSigningKey,
            secrets.ed25519_seed().expose_secret(),
        )?;
        // The commit point.
        info.save(home, lock)
    })();
    if let Err(e) = before_commit {
        // Best effort: the next open rolls back what this leaves, and the
        // error that stopped the rotation is the one to report.
        if IdentityInfo::read(home)
            .ok()
            .flatten()
            .is_some_and(|i| i.ed25519_public_key == plan.old_ed25519)
        {
            let _ = roll_back(home, &loaded.storage, &plan);
        }
        return Err(e);
    }
    finish(
        home,
        lock,
        &loaded.storage,
        audit,
        &plan,
        Some(old.signing_key()),
        &new,
    )?;
    Ok((new, info, unpaired))
}

/// Settles a rotation a crash interrupted (see the module docs); returns a
/// notice saying what was done, or nothing when no journal is there.
pub(crate) fn recover(home: &Home, config: &Config, lock: &HomeLock) -> Result<Vec<Notice>, Error> {
    let Some(plan) = Journal::read(home)? else {
        return Ok(Vec::new());
    };
    let path = home.rotation_journal_path();
    let info = IdentityInfo::read(home)?.ok_or_else(|| Error::NoIdentity {
        path: home.identity_path(),
    })?;
    if info.device_id != plan.device_id {
        return Err(Error::corrupt(&path, "it names another device id"));
    }
    let (storage, _) = KeyStorage::open(home, config.storage, plan.device_id)?;
    if plan.location == Location::Keychain && storage.keychain().is_none() {
        return Err(Error::KeychainUnavailable {
            reason: format!(
                "{} says the rotation's keys are staged in the OS keychain",
                path.display()
            ),
        });
    }
    let is = |x: &StaticPublicKey, ed: &VerifyingKey| {
        info.x25519_public_key == *x && info.ed25519_public_key == *ed
    };
    if is(&plan.old_x25519, &plan.old_ed25519) {
        roll_back(home, &storage, &plan)?;
        return Ok(vec![Notice::new(format!(
            "an interrupted identity rotation was rolled back; the identity is unchanged ({})",
            info.fingerprint
        ))]);
    }
    if !is(&plan.new_x25519, &plan.new_ed25519) {
        return Err(Error::corrupt(
            &path,
            "identity.json names neither the rotation's old keys nor its new ones",
        ));
    }
    let new = load_new_identity(&storage, &plan)?;
    let (heads, _) = device::heads_for(home, &storage, &info, config.storage)?;
    let mut audit = AuditLog::new(home, heads).with_retention(device::retention(config));
    finish(home, lock, &storage, &mut audit, &plan, None, &new)?;
    Ok(vec![Notice::new(format!(
        "an interrupted identity rotation was completed; the identity is now {}",
        info.fingerprint
    ))])
}

/// Steps 4 to 7 of the module docs; each can be repeated.
fn finish(
    home: &Home,
    lock: &HomeLock,
    storage: &KeyStorage,
    audit: &mut AuditLog<DeviceHeads>,
    plan: &Journal,
    old_signing: Option<&SigningKey>,
    new: &DeviceIdentity,
) -> Result<(), Error> {
    let path = home.rotation_journal_path();
    // 4. The audit records not yet written.
    let events = plan.events();
    let total = 1 + events.len() as u64;
    let last = audit.last_locked(lock)?;
    let done = (last.head.seq.saturating_add(1))
        .checked_sub(plan.audit_seq)
        .filter(|done| *done <= total)
        .ok_or_else(|| {
            Error::corrupt(
                &path,
                "the audit log's last record is not within the rotation's records",
            )
        })?;
    if done > 0 {
        let expected = match done {
            1 => matches!(last.event, Event::SigningKeyRotation { new_key, .. }
                if new_key == *plan.new_ed25519.as_bytes()),
            _ => usize::try_from(done - 2)
                .ok()
                .and_then(|i| events.get(i))
                .is_some_and(|e| *e == last.event),
        };
        if !expected {
            return Err(Error::corrupt(
                &path,
                "the audit log's last record is not the rotation's record at its place",
            ));
        }
    }
    for index in done..total {
        if index == 0 {
            let loaded_old;
            let old = match old_signing {
                Some(key) => key,
                None => {
                    loaded_old = load_key(storage, plan.location, SecretEntry::SigningKey)?
                        .filter(|k| {
                            bool::from(
                                crate::keys::public_key_of(SecretEntry::SigningKey, k)
                                    .ct_eq(plan.old_ed25519.as_bytes()),
                            )
                        })
                        .map(|k| SigningKey::from_seed(&SecretBytes::new(*k)))
                        .ok_or(Error::KeyMissing {
                            entry: SecretEntry::SigningKey,
                            location: plan.location,
                        })?;
                    &loaded_old
                }
            };
            audit.rotate_signing_key_locked(lock, old, new.signing_key(), plan.time)?;
        } else {
            let event = usize::try_from(index - 1)
                .ok()
                .and_then(|i| events.get(i))
                .copied()
                .ok_or(Error::Unexpected("a rotation event index"))?;
            audit.append_locked(lock, new.signing_key(), plan.time, event)?;
        }
    }
    // 5. The peers.
    TrustedPeers::update_locked(home, lock, |peers| {
        for (id, _) in &plan.unpair {
            // Already gone (a repeated step) is fine.
            let _ = peers.remove(id);
        }
        Ok(())
    })?;
    // 6. Promote the staged keys.
    promote(home, storage, plan)?;
    // 7. Done.
    remove_journal(home)
}

/// The new identity from the staged keys (or, once promoted, the keys in
/// place), each checked against the journal.
fn load_new_identity(storage: &KeyStorage, plan: &Journal) -> Result<DeviceIdentity, Error> {
    let mut keys = Vec::with_capacity(2);
    for (staged, expected) in SecretEntry::STAGED
        .into_iter()
        .zip([plan.new_x25519.as_bytes(), plan.new_ed25519.as_bytes()])
    {
        let key = match load_key(storage, plan.location, staged)? {
            Some(key) => key,
            None => {
                load_key(storage, plan.location, staged.target())?.ok_or(Error::KeyMissing {
                    entry: staged,
                    location: plan.location,
                })?
            }
        };
        if !bool::from(crate::keys::public_key_of(staged, &key).ct_eq(expected)) {
            return Err(Error::KeyMissing {
                entry: staged,
                location: plan.location,
            });
        }
        keys.push(SecretBytes::new(*key));
    }
    let mut keys = keys.into_iter();
    let (Some(x25519), Some(seed)) = (keys.next(), keys.next()) else {
        return Err(Error::Unexpected("two staged keys were loaded"));
    };
    Ok(DeviceIdentity::from_secrets(&IdentitySecrets::new(
        plan.device_id,
        x25519,
        seed,
    )))
}

/// A 32-byte key from the store at `location`.
fn load_key(
    storage: &KeyStorage,
    location: Location,
    entry: SecretEntry,
) -> Result<Option<Zeroizing<[u8; KEY_LEN]>>, Error> {
    let found = match location {
        Location::File => storage.files().get(entry)?,
        Location::Keychain => match storage.keychain() {
            Some(keychain) => keychain.get(entry)?,
            None => None,
        },
    };
    let Some(found) = found else {
        return Ok(None);
    };
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    if found.len() != KEY_LEN {
        return Err(Error::SecretLength {
            entry,
            expected: KEY_LEN,
            found: found.len(),
        });
    }
    key.copy_from_slice(&found);
    Ok(Some(key))
}

/// Step 6: each staged key replaces its old key (the old one overwritten
/// first); a staged key already gone was promoted before.
fn promote(home: &Home, storage: &KeyStorage, plan: &Journal) -> Result<(), Error> {
    let files = storage.files();
    for staged in SecretEntry::STAGED {
        let target = staged.target();
        match plan.location {
            Location::File => {
                let from = files.path_of(staged);
                if !files.exists(staged)? {
                    continue;
                }
                let to = files.path_of(target);
                if files.exists(target)? {
                    home::overwrite_file(&to, home::ERASE_PASSES)?;
                }
                fs::rename(&from, &to).map_err(|e| Error::io("rename into place", &from, e))?;
                sync_dir(&home.keys_dir())?;
            }
            Location::Keychain => {
                let keychain = storage
                    .keychain()
                    .ok_or_else(|| Error::KeychainUnavailable {
                        reason: "the rotation's keys are staged in the OS keychain".into(),
                    })?;
                let Some(secret) = keychain.get(staged)? else {
                    continue;
                };
                keychain.set(target, &secret)?;
                let back = keychain.get(target)?;
                if !back.is_some_and(|b| bool::from(b.as_slice().ct_eq(secret.as_slice()))) {
                    return Err(Error::KeychainReadBack { entry: target });
                }
                if files.exists(target)? {
                    // The backup key file holds the old key: overwrite it,
                    // then write the new key there (it never disagrees).
                    home::overwrite_file(&files.path_of(target), home::ERASE_PASSES)?;
                    files.set(target, &secret)?;
                }
                keychain.delete(staged)?;
            }
        }
    }
    Ok(())
}

/// Erases the staged keys and the journal (a rotation that did not commit).
fn roll_back(home: &Home, storage: &KeyStorage, plan: &Journal) -> Result<(), Error> {
    for staged in SecretEntry::STAGED {
        home::erase_file(&storage.files().path_of(staged))?;
        if plan.location == Location::Keychain
            && let Some(keychain) = storage.keychain()
        {
            keychain.delete(staged)?;
        }
    }
    remove_journal(home)
}

fn remove_journal(home: &Home) -> Result<(), Error> {
    let path = home.rotation_journal_path();
    match fs::remove_file(&path) {
        Ok(()) => sync_dir(home.root()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("delete", &path, e)),
    }
}
