//! The OS keychain backend through `keyring-core`: the Secret Service
//! (GNOME Keyring, KWallet) over D-Bus on Linux, pure Rust; the Keychain on
//! macOS and the Credential Manager on Windows.
//!
//! Entries are service [`KEYCHAIN_SERVICE`], user `<device id>/<entry name>`
//! (for example `…/device_key`), the secret the raw bytes.
//!
//! A keychain is trusted only after [`Keychain::connect`] has written, read
//! back and deleted a probe entry (`<device id>/probe.<random>`): creating a store proves nothing (it
//! succeeds without a running keyring), and a locked keyring may answer
//! "no such entry" for an entry it holds. So "absent" is believed only from
//! a keychain that has just shown it can store and return a secret.

use std::fmt;
use std::sync::Arc;

use getrandom::SysRng;
use honeylink_core::identity::DeviceId;
use keyring_core::{CredentialStore, Entry};
use rand_core::TryRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{Location, SecretEntry, SecretStore};
use crate::Error;

/// The keychain service name of every HoneyLink entry.
pub const KEYCHAIN_SERVICE: &str = "honeylink";

/// A usable OS keychain, holding the entries of one device. Cloning shares
/// the connection.
#[derive(Clone)]
pub struct Keychain {
    store: Arc<CredentialStore>,
    device_id: DeviceId,
}

impl fmt::Debug for Keychain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keychain")
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

impl Keychain {
    /// Connects to the platform's keychain and proves it usable with a
    /// probe entry (written, read back, compared, deleted). Any failure is
    /// [`Error::KeychainUnavailable`] with the reason. [`SecretStore::get`]
    /// probes again before it reports an entry absent.
    pub fn connect(device_id: DeviceId) -> Result<Self, Error> {
        let store = platform_store().map_err(|e| unavailable("cannot reach it", &e))?;
        let keychain = Self { store, device_id };
        keychain.probe()?;
        Ok(keychain)
    }

    /// The keychain, when one is reachable and already holds `entry` for
    /// `device_id`; `None` when no keychain answers, it is locked, or it has
    /// no such entry. Reads only: nothing is written, not even a probe (so
    /// an absence is not proven, see the module docs; it is used where the
    /// alternative is no protection at all). An entry that is there but
    /// corrupt is an error, never `None`.
    pub fn holding(device_id: DeviceId, entry: SecretEntry) -> Result<Option<Self>, Error> {
        let Ok(store) = platform_store() else {
            return Ok(None);
        };
        let keychain = Self { store, device_id };
        match keychain.get_unprobed(entry) {
            Ok(Some(_)) => Ok(Some(keychain)),
            Ok(None) | Err(Error::KeychainUnavailable { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn user(&self, name: &str) -> String {
        format!("{}/{name}", self.device_id)
    }

    fn entry(&self, name: &str) -> Result<Entry, keyring_core::Error> {
        Entry::new_in_store(&self.store, KEYCHAIN_SERVICE, &self.user(name))
    }

    fn probe(&self) -> Result<(), Error> {
        // A random secret under a random name: no fixed entry another
        // process could hold, pre-create or watch for.
        let mut nonce = Zeroizing::new([0u8; 16]);
        let mut suffix = [0u8; 8];
        SysRng
            .try_fill_bytes(nonce.as_mut_slice())
            .and_then(|()| SysRng.try_fill_bytes(&mut suffix))
            .map_err(|e| Error::KeychainUnavailable {
                reason: format!("no random probe: {e}"),
            })?;
        let entry = self
            .entry(&format!("probe.{}", crate::identity::hex(&suffix)))
            .map_err(|e| unavailable("cannot name an entry", &e))?;
        entry
            .set_secret(nonce.as_slice())
            .map_err(|e| unavailable("cannot store a secret", &e))?;
        let back = entry
            .get_secret()
            .map(Zeroizing::new)
            .map_err(|e| unavailable("cannot read back a secret", &e));
        let deleted = entry
            .delete_credential()
            .map_err(|e| unavailable("cannot delete a secret", &e));
        let back = back?;
        deleted?;
        if !bool::from(back.as_slice().ct_eq(nonce.as_slice())) {
            return Err(Error::KeychainUnavailable {
                reason: "a stored secret read back different".into(),
            });
        }
        Ok(())
    }

    /// The entry's secret, `None` on "no entry" (not proven absent).
    fn get_unprobed(&self, entry: SecretEntry) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
        let item = self
            .entry(entry.name())
            .map_err(|e| Self::failure("name", entry, &e))?;
        match item.get_secret() {
            Ok(secret) => {
                let secret = Zeroizing::new(secret);
                if secret.len() != entry.secret_len() {
                    return Err(Error::KeychainCorrupt {
                        entry,
                        detail: format!("{} bytes, expected {}", secret.len(), entry.secret_len()),
                    });
                }
                Ok(Some(secret))
            }
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(keyring_core::Error::Ambiguous(_)) => Err(Error::KeychainCorrupt {
                entry,
                detail: "more than one entry".into(),
            }),
            Err(e) => Err(Self::failure("read", entry, &e)),
        }
    }

    fn failure(op: &'static str, entry: SecretEntry, e: &keyring_core::Error) -> Error {
        match e {
            keyring_core::Error::NoStorageAccess(_) => unavailable("it is locked", e),
            _ => Error::Keychain {
                op,
                entry,
                detail: e.to_string(),
            },
        }
    }
}

fn unavailable(what: &str, e: &keyring_core::Error) -> Error {
    let reason = match e {
        keyring_core::Error::NoStorageAccess(_) => {
            format!("{what}: the keyring is locked or access was refused ({e})")
        }
        _ => format!("{what}: {e}"),
    };
    Error::KeychainUnavailable { reason }
}

impl SecretStore for Keychain {
    fn location(&self) -> Location {
        Location::Keychain
    }

    fn get(&self, entry: SecretEntry) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
        match self.get_unprobed(entry)? {
            // A locked keyring can answer "no entry" for an entry it holds:
            // believe the absence only if the keychain still works.
            None => self.probe().map(|()| None),
            found => Ok(found),
        }
    }
    fn set(&self, entry: SecretEntry, secret: &[u8]) -> Result<(), Error> {
        entry.check_len(secret.len())?;
        let item = self
            .entry(entry.name())
            .map_err(|e| Self::failure("name", entry, &e))?;
        item.set_secret(secret)
            .map_err(|e| Self::failure("write", entry, &e))
    }

    fn delete(&self, entry: SecretEntry) -> Result<bool, Error> {
        let item = self
            .entry(entry.name())
            .map_err(|e| Self::failure("name", entry, &e))?;
        match item.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(Self::failure("delete", entry, &e)),
        }
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<Arc<CredentialStore>, keyring_core::Error> {
    let store: Arc<CredentialStore> = zbus_secret_service_keyring_store::Store::new()?;
    Ok(store)
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<CredentialStore>, keyring_core::Error> {
    let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
    Ok(store)
}

#[cfg(windows)]
fn platform_store() -> Result<Arc<CredentialStore>, keyring_core::Error> {
    let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new()?;
    Ok(store)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn platform_store() -> Result<Arc<CredentialStore>, keyring_core::Error> {
    Err(keyring_core::Error::NotSupportedByStore(
        "no OS keychain support for this platform".into(),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    /// A keychain's `Debug` names its device and nothing of its store.
    #[test]
    fn debug_shows_the_device_only() {
        let keychain = Keychain {
            store: keyring_core::mock::Store::new().unwrap(),
            device_id: DeviceId::from_bytes([0xab; DeviceId::LEN]),
        };
        assert_eq!(
            format!("{keychain:?}"),
            format!("Keychain {{ device_id: {:?}, .. }}", keychain.device_id)
        );
    }

    /// A locked keyring (or one that refused access) is reported as such,
    /// so the user knows to unlock it; other failures keep their own text.
    #[test]
    fn a_locked_keyring_is_named_as_locked() {
        let locked =
            keyring_core::Error::NoStorageAccess(Box::new(std::io::Error::other("denied")));
        let Error::KeychainUnavailable { reason } = unavailable("cannot store a secret", &locked)
        else {
            panic!("expected KeychainUnavailable")
        };
        assert!(
            reason.starts_with(
                "cannot store a secret: the keyring is locked or access was refused ("
            ),
            "{reason}"
        );
        let Error::KeychainUnavailable { reason } =
            Keychain::failure("read", SecretEntry::DeviceKey, &locked)
        else {
            panic!("expected KeychainUnavailable")
        };
        assert!(
            reason.starts_with("it is locked: the keyring is locked"),
            "{reason}"
        );
        let other = keyring_core::Error::Invalid("user".into(), "too long".into());
        let Error::KeychainUnavailable { reason } = unavailable("cannot name an entry", &other)
        else {
            panic!("expected KeychainUnavailable")
        };
        assert_eq!(reason, format!("cannot name an entry: {other}"));
        assert!(matches!(
            Keychain::failure("write", SecretEntry::SigningKey, &other),
            Error::Keychain {
                op: "write",
                entry: SecretEntry::SigningKey,
                ..
            }
        ));
    }
}
