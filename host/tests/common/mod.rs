//! Helpers shared by the host's record tests.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::cell::RefCell;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::ed25519::SigningKey;
use honeylink_core::crypto::x25519::{StaticPublicKey, StaticSecret};
use honeylink_core::identity::{DeviceId, DeviceName};
use honeylink_core::pairing::{PairingMethod, PendingPeer};
use honeylink_core::trust::PeerRecord;
use honeylink_host::Error;
use honeylink_host::audit_log::{HeadStore, KeptHead};
use honeylink_host::home::Home;

/// A fresh home in a temporary directory (kept alive by the returned guard).
pub(crate) fn home() -> (tempfile::TempDir, Home) {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::create(dir.path().join("home")).unwrap();
    (dir, home)
}

/// A device id numbered `n`.
pub(crate) fn id(n: u32) -> DeviceId {
    let mut bytes = [0x5a; 16];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    DeviceId::from_bytes(bytes)
}

/// A valid X25519 public key numbered `n` (the public half of a secret).
pub(crate) fn key(n: u32) -> StaticPublicKey {
    let mut seed = [7u8; 32];
    seed[..4].copy_from_slice(&n.to_be_bytes());
    *StaticSecret::from_bytes(SecretBytes::new(seed)).public_key()
}

/// A peer record as a confirmed pairing makes it.
pub(crate) fn record(n: u32, key_n: u32, method: PairingMethod) -> PeerRecord {
    PendingPeer::hazmat_new(
        id(n),
        DeviceName::new(&format!("device {n}")).unwrap(),
        key(key_n),
        method,
    )
    .confirm(1_767_225_600 + u64::from(n))
}

/// An Ed25519 signing key from a byte.
pub(crate) fn signer(b: u8) -> SigningKey {
    SigningKey::from_seed(&SecretBytes::new([b; 32]))
}

/// Every file under `dir` with its bytes and mode, to compare before and
/// after a refused operation.
pub(crate) fn snapshot(dir: &Path) -> Vec<(PathBuf, Option<Vec<u8>>, u32)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path.clone());
                out.push((path, None, meta.permissions().mode()));
            } else {
                let bytes = fs::read(&path).ok();
                out.push((path, bytes, meta.permissions().mode()));
            }
        }
    }
    out.sort();
    out
}

/// Sets a path's mode.
pub(crate) fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// The attack on pruning: drops the audit log's lines before line `keep`
/// (from 0) and writes the `audit.pruned` note a real prune at that record
/// would write (its sequence number, its previous hash, its signer), so
/// that the note alone would make the shortened log verify. Returns the
/// first kept record's sequence number.
pub(crate) fn forge_prune_note(home: &Home, keep: usize) -> u64 {
    use base64ct::{Base64, Encoding};
    let text = fs::read_to_string(home.audit_log_path()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let line: serde_json::Value = serde_json::from_str(lines[keep]).unwrap();
    let bytes = Base64::decode_vec(line["record"].as_str().unwrap()).unwrap();
    let record = honeylink_core::audit::Record::decode(&bytes).unwrap();
    let note = serde_json::json!({
        "version": 1,
        "seq": record.seq,
        "hash": Base64::encode_string(&record.prev_hash),
        "key": Base64::encode_string(&record.signer),
    });
    home.write_private(
        &home.logs_dir().join("audit.pruned"),
        format!("{note}\n").as_bytes(),
    )
    .unwrap();
    let mut kept = lines[keep..].join("\n");
    kept.push('\n');
    fs::write(home.audit_log_path(), kept).unwrap();
    record.seq
}

mod assert_io;
#[allow(unused_imports)] // not every test binary asserts on system errors
pub(crate) use assert_io::assert_io;

/// A head store kept in memory (as a keychain would keep it).
pub(crate) struct MemoryHeads(pub(crate) RefCell<Option<KeptHead>>);

impl MemoryHeads {
    /// A store that holds nothing yet.
    pub(crate) fn empty() -> Self {
        Self(RefCell::new(None))
    }
}

impl HeadStore for MemoryHeads {
    fn load(&self) -> Result<Option<KeptHead>, Error> {
        Ok(*self.0.borrow())
    }
    fn store(&self, head: &KeptHead) -> Result<(), Error> {
        *self.0.borrow_mut() = Some(*head);
        Ok(())
    }
}

/// The user and group an unprivileged run takes when the tests run as
/// root: `nobody` on Debian and most systems.
const NOBODY: u32 = 65_534;

/// Held from copying a test binary until its child has exec'd: a child
/// forked by another test thread while a copy is still open for writing
/// would hold that descriptor, and exec of the copy would fail with
/// `ETXTBSY`.
static SPAWNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// For a test about permission bits, which bind every user but root: makes
/// the calling test run as a user who is not root. `name` is the test's
/// own name (checked against the test thread's name, which libtest sets).
///
/// Returns `true` when this process is not root (a developer's account, or
/// CI runners that test as a plain user): the caller runs its body itself.
/// As root (these machines), runs this binary's test `name` again as uid
/// and gid 65534, with no supplementary group, from a copy in a fresh
/// root-owned 0755 directory, with `TMPDIR` and `HOME` in a directory of
/// its own inside it; checks that exactly that one test ran there and
/// passed (a name that matches nothing fails), and returns `false`: the
/// body has run in the child, and the caller returns. Root removes the
/// whole directory afterwards, whatever modes a failed body left.
pub(crate) fn as_a_user(name: &str) -> bool {
    assert_eq!(
        std::thread::current().name(),
        Some(name),
        "as_a_user must be given the calling test's own name"
    );
    if rustix::process::geteuid().as_raw() != 0 {
        return true;
    }
    let exe = std::env::current_exe().unwrap();
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o755);
    let copy = dir.path().join("tests-as-a-user");
    let scratch = dir.path().join("tmp");
    fs::create_dir(&scratch).unwrap();
    std::os::unix::fs::chown(&scratch, Some(NOBODY), Some(NOBODY)).unwrap();
    chmod(&scratch, 0o700);
    let child = {
        let _spawning = SPAWNING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        fs::copy(&exe, &copy).unwrap();
        chmod(&copy, 0o755);
        Command::new(&copy)
            .args([name, "--exact", "--nocapture", "--test-threads=1"])
            .uid(NOBODY)
            .gid(NOBODY)
            .current_dir("/")
            .env("TMPDIR", &scratch)
            .env("HOME", &scratch)
            .env_remove("HONEYLINK_HOME")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} as uid {NOBODY} ({e}): this needs the right to change user \
                     (root with CAP_SETUID, uid {NOBODY} mapped) and a temporary directory \
                     that user can reach and execute from (TMPDIR, not noexec)",
                    copy.display()
                )
            })
    };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{name} as uid {NOBODY}: {}\n{stdout}\n{stderr}",
        out.status
    );
    false
}
