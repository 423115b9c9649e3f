//! The home's file rules as a person's own account meets them: permission
//! bits refuse this user, where root (who runs the tests on CI machines)
//! passes every one. Each test runs as a user who is not root: itself when
//! the tests run so, and otherwise again as `nobody` ([`common::as_a_user`]).
//! What is checked is that what the rules allow works for such a user, and
//! that a refusal from the system is reported for what it is, never taken
//! for "missing", "empty" or "done".

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use common::{MemoryHeads, as_a_user, chmod, home, id, key, signer};
use honeylink_core::audit::{Anchor, Event};
use honeylink_core::identity::Fingerprint;
use honeylink_core::pairing::PairingMethod;
use honeylink_host::Error;
use honeylink_host::audit_log::AuditLog;
use honeylink_host::home::{self, Home};

/// Asserts that `outcome` is the system's refusal (`EACCES`) of `op` on
/// `path`.
fn refused<T: std::fmt::Debug>(outcome: Result<T, Error>, op: &str, path: &Path) {
    common::assert_io(outcome, op, path, ErrorKind::PermissionDenied);
}

/// Parents owned by root (`/`, a sticky `/tmp`) are safe for every user,
/// not only for root: a home under them is created and opened. A parent
/// writable by others stays unsafe (that another user's parent is unsafe,
/// the unit tests show by giving a directory away).
#[test]
fn a_home_under_root_owned_parents_opens_for_any_user() {
    if !as_a_user("a_home_under_root_owned_parents_opens_for_any_user") {
        return;
    }
    assert_ne!(rustix::process::geteuid().as_raw(), 0);
    let (dir, home) = home();
    home::check_ancestors(home.root()).unwrap();
    Home::open(home.root()).unwrap();
    // A parent this user owns but left writable by others is still unsafe.
    chmod(dir.path(), 0o777);
    assert!(matches!(
        Home::open(home.root()),
        Err(Error::UnsafeParent { .. })
    ));
}

/// A file to append to that cannot be created (its directory is read-only
/// to this user) is refused for that cause, not reported as missing, and
/// nothing is made.
#[test]
fn an_append_file_that_cannot_be_created_names_its_cause() {
    if !as_a_user("an_append_file_that_cannot_be_created_names_its_cause") {
        return;
    }
    let (_dir, home) = home();
    let path = home.logs_dir().join("new.log");
    chmod(&home.logs_dir(), 0o500);
    refused(home.open_append(&path), "open", &path);
    chmod(&home.logs_dir(), 0o700);
    assert!(!Home::exists(&path));
    home.open_append(&path).unwrap();
    assert!(path.is_file());
}

/// An erasure whose directory cannot be flushed (this user may search and
/// write it, not read it) says so: the file is gone, but its removal is
/// not known to survive a crash, and the caller is told.
#[test]
fn an_erasure_reports_a_directory_it_cannot_flush() {
    if !as_a_user("an_erasure_reports_a_directory_it_cannot_flush") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    fs::create_dir(&keys).unwrap();
    let secret = keys.join("secret.pem");
    fs::write(&secret, b"secret").unwrap();
    chmod(&keys, 0o300);
    refused(home::erase_file(&secret), "flush directory", &keys);
    chmod(&keys, 0o700);
    assert!(!Home::exists(&secret));
    // With the directory readable again, the same erasure succeeds.
    fs::write(&secret, b"secret").unwrap();
    assert!(home::erase_file(&secret).unwrap());
}

/// A log whose directory this user cannot search is never taken for an
/// empty one: with no head kept (a head store that lost its entry), an
/// empty log would let a new chain start over the records.
#[test]
fn a_log_that_cannot_be_inspected_is_never_taken_for_empty() {
    if !as_a_user("a_log_that_cannot_be_inspected_is_never_taken_for_empty") {
        return;
    }
    let (_dir, home) = home();
    AuditLog::new(&home, MemoryHeads::empty())
        .start(&signer(1), id(0), 1_767_225_600)
        .unwrap();
    let log = AuditLog::new(&home, MemoryHeads::empty());
    assert!(!log.is_empty().unwrap());
    chmod(&home.logs_dir(), 0o600);
    refused(log.is_empty(), "inspect", &home.audit_log_path());
    chmod(&home.logs_dir(), 0o700);
    assert!(!log.is_empty().unwrap());
}

/// An append to a log that already holds records flushes the log file, not
/// its directory: the directory is flushed only when an append creates the
/// log (a new name in it). So with a directory this user may search and
/// write but not list, appending to a started log still works, and the
/// chain verifies.
#[test]
fn an_append_to_a_started_log_flushes_only_the_file() {
    if !as_a_user("an_append_to_a_started_log_flushes_only_the_file") {
        return;
    }
    let paired = |n| Event::Paired {
        method: PairingMethod::Qr,
        peer: id(n),
        fingerprint: Fingerprint::of(&key(n)),
    };
    let (_dir, home) = home();
    let mut log = AuditLog::new(&home, MemoryHeads::empty());
    log.start(&signer(1), id(0), 1_767_225_600).unwrap();
    log.append(&signer(1), 1_767_225_601, paired(1)).unwrap();
    chmod(&home.logs_dir(), 0o300);
    let appended = log.append(&signer(1), 1_767_225_602, paired(2));
    chmod(&home.logs_dir(), 0o700);
    assert_eq!(appended.unwrap().seq, 2);
    let verified = log
        .verify(Anchor::SigningKey(signer(1).verifying_key()))
        .unwrap();
    assert_eq!(verified.head.seq, 2);
}
