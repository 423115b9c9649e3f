//! The home directory (`~/.honeylink/` or `HONEYLINK_HOME`), its layout, and
//! the rules every file in it follows.
//!
//! Layout (spec 5.1; the SQLite metrics store is replaced on purpose: metrics
//! are derived from the verified audit log):
//!
//! ```text
//! <home>/                      0700
//!   keys/                      0700
//!     device_key.pem           0600  X25519 secret (file backend)
//!     signing_key.pem          0600  Ed25519 secret (file backend)
//!     *.pem.new                0600  a rotation's staged keys (until it ends)
//!   identity.json              0600  public facts: id, name, keys, where secrets are
//!   trusted_peers.json         0600
//!   config.toml                0600  (others may read it if the user allows)
//!   pin_guard.json             0600  PIN pairing lockout state
//!   logs/                      0700
//!     audit.log                0600  signed audit records, JSON Lines
//!     audit.head               0600  chain head when keys are in files
//!     audit.<20-digit seq>.log 0600  closed audit segments (retention)
//!     audit.pruned             0600  where the kept chain starts after pruning
//!   rotation.json              0600  journal of a rotation in progress
//!   .lock                      0600  exclusive lock for read-modify-write
//! ```
//!
//! Every read opens without following links and checks the open handle
//! (owner, type, mode) before reading a byte, so the check and the read are
//! about the same file. Every write goes through a temporary file in the same
//! directory and a rename; a file that fails the checks is never written over.

use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Error;

/// The environment variable that overrides the home directory.
pub const HOME_ENV: &str = "HONEYLINK_HOME";

/// Mode of every directory HoneyLink creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file HoneyLink creates.
pub const FILE_MODE: u32 = 0o600;

/// Who may read a file besides its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Privacy {
    /// Keys, peers, audit and state: readable and writable by the owner only.
    Secret,
    /// Configuration: others may read it, nobody else may write it.
    Public,
}

/// An opened HoneyLink home: a checked directory and the paths inside it.
#[derive(Clone, Debug)]
pub struct Home {
    root: PathBuf,
}

/// An exclusive lock on the home, released when dropped.
///
/// Held across every read-modify-write so that concurrent processes (two
/// commands, a command and a listener) never lose each other's changes.
#[derive(Debug)]
pub struct HomeLock {
    _file: File,
}

impl Home {
    /// The home to use: `explicit` if given, else `HONEYLINK_HOME`, else
    /// `$HOME/.honeylink`. Refuses ([`Error::NoHome`]) when none is set.
    pub fn resolve(explicit: Option<&Path>) -> Result<PathBuf, Error> {
        if let Some(path) = explicit {
            return Ok(path.to_path_buf());
        }
        if let Some(path) = std::env::var_os(HOME_ENV).filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(path));
        }
        std::env::var_os("HOME")
            .filter(|p| !p.is_empty())
            .map(|home| PathBuf::from(home).join(".honeylink"))
            .ok_or(Error::NoHome)
    }

    /// Opens the home at `root`, creating it and its `keys/` and `logs/`
    /// directories (mode 0700) where missing. An existing directory must pass
    /// the checks: owned by this user, not a link, not accessible by others.
    pub fn create(root: impl Into<PathBuf>) -> Result<Self, Error> {
        let home = Self { root: root.into() };
        check_ancestors(&home.root)?;
        for dir in [home.root.clone(), home.keys_dir(), home.logs_dir()] {
            ensure_private_dir(&dir)?;
        }
        Ok(home)
    }

    /// Opens an existing home at `root` without creating anything; every
    /// directory must exist and pass the checks.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, Error> {
        let home = Self { root: root.into() };
        check_ancestors(&home.root)?;
        for dir in [home.root.clone(), home.keys_dir(), home.logs_dir()] {
            check_private_dir(&dir)?;
        }
        Ok(home)
    }

    /// Whether a home exists at `root` (a directory or anything else there).
    pub fn exists(root: &Path) -> bool {
        fs::symlink_metadata(root).is_ok()
    }

    /// The home directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// `keys/`: the file backend's secret keys.
    pub fn keys_dir(&self) -> PathBuf {
        self.root.join("keys")
    }
    /// `logs/`: the audit log and its head.
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }
    /// `keys/device_key.pem`: the X25519 secret key (PKCS#8 PEM).
    pub fn device_key_path(&self) -> PathBuf {
        self.keys_dir().join("device_key.pem")
    }
    /// `keys/signing_key.pem`: the Ed25519 secret key (PKCS#8 PEM).
    pub fn signing_key_path(&self) -> PathBuf {
        self.keys_dir().join("signing_key.pem")
    }
    /// `identity.json`: the device's public facts.
    pub fn identity_path(&self) -> PathBuf {
        self.root.join("identity.json")
    }
    /// `trusted_peers.json`: the trusted and blocked peers.
    pub fn trusted_peers_path(&self) -> PathBuf {
        self.root.join("trusted_peers.json")
    }
    /// `config.toml`: settings.
    pub fn config_path(&self) -> PathBuf {
        self.root.join("config.toml")
    }
    /// `pin_guard.json`: the PIN pairing lockout state.
    pub fn pin_guard_path(&self) -> PathBuf {
        self.root.join("pin_guard.json")
    }
    /// `logs/audit.log`: the signed audit log (JSON Lines).
    pub fn audit_log_path(&self) -> PathBuf {
        self.logs_dir().join("audit.log")
    }
    /// `logs/audit.head`: the audit chain's head, when it is not kept in the
    /// keychain.
    pub fn audit_head_path(&self) -> PathBuf {
        self.logs_dir().join("audit.head")
    }
    /// `rotation.json`: the journal of an identity rotation in progress.
    pub fn rotation_journal_path(&self) -> PathBuf {
        self.root.join("rotation.json")
    }
    /// `.lock`: the file [`Home::lock`] locks.
    pub fn lock_path(&self) -> PathBuf {
        self.root.join(".lock")
    }

    /// Takes the home's exclusive lock, waiting for another holder to finish.
    pub fn lock(&self) -> Result<HomeLock, Error> {
        let path = self.lock_path();
        let file = open_private(&path, OpenMode::CreateOrAppend)?;
        file.lock().map_err(|e| Error::io("lock", &path, e))?;
        Ok(HomeLock { _file: file })
    }

    /// Reads a private file whole, refusing one larger than `limit` bytes.
    /// The file must pass the checks ([`Privacy::Secret`]).
    pub fn read_private(&self, path: &Path, limit: u64) -> Result<Vec<u8>, Error> {
        read_checked(path, limit, Privacy::Secret)
    }

    /// Like [`Home::read_private`], but `None` when nothing is at `path`.
    pub fn read_private_if_exists(
        &self,
        path: &Path,
        limit: u64,
    ) -> Result<Option<Vec<u8>>, Error> {
        read_if_exists(path, limit, Privacy::Secret)
    }

    /// Reads a file that others may read but not write (configuration).
    pub fn read_public_if_exists(&self, path: &Path, limit: u64) -> Result<Option<Vec<u8>>, Error> {
        read_if_exists(path, limit, Privacy::Public)
    }

    /// Replaces (or creates) a private file atomically: a crash leaves the
    /// old contents or the new, never a mix. An existing file that fails the
    /// checks is left as it is and the write refused.
    pub fn write_private(&self, path: &Path, bytes: &[u8]) -> Result<(), Error> {
        write_atomic(path, bytes)
    }

    /// Opens a private file for appending, creating it (0600) if missing.
    /// An existing file must pass the checks.
    pub fn open_append(&self, path: &Path) -> Result<File, Error> {
        open_private(path, OpenMode::CreateOrAppend)
    }

    /// Opens a private file for reading in pieces (a log read line by line
    /// with a bounded reader); the handle passed the checks.
    pub fn open_read(&self, path: &Path) -> Result<File, Error> {
        open_private(path, OpenMode::Read)
    }
}

/// Creates `dir` with mode 0700 if missing (the mode then set exactly, so the
/// umask cannot change it), or checks the existing one.
pub fn ensure_private_dir(dir: &Path) -> Result<(), Error> {
    match DirBuilder::new().mode(DIR_MODE).create(dir) {
        Ok(()) => fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))
            .map_err(|e| Error::io("set permissions of", dir, e))?,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(Error::io("create directory", dir, e)),
    }
    check_private_dir(dir)
}

/// Checks every directory above `root` as OpenSSH's `StrictModes` does:
/// each (after resolving links) must be owned by root or this user, and not
/// writable by group or others unless sticky (as `/tmp` is); otherwise
/// another user could rename the home away and put their own in its place
/// ([`Error::UnsafeParent`]).
pub fn check_ancestors(root: &Path) -> Result<(), Error> {
    let parent = match root.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let resolved = fs::canonicalize(parent).map_err(|e| Error::io("resolve", parent, e))?;
    let user = rustix::process::geteuid().as_raw();
    for dir in resolved.ancestors() {
        let meta = fs::metadata(dir).map_err(|e| Error::io("inspect", dir, e))?;
        let sticky = meta.mode() & 0o1000 != 0;
        if (meta.uid() != 0 && meta.uid() != user) || (meta.mode() & 0o022 != 0 && !sticky) {
            return Err(Error::UnsafeParent {
                path: dir.into(),
                owner: meta.uid(),
                mode: meta.mode(),
            });
        }
    }
    Ok(())
}

/// Checks that `dir` is a directory, not a link, owned by this user and not
/// accessible by others.
pub fn check_private_dir(dir: &Path) -> Result<(), Error> {
    let meta = fs::symlink_metadata(dir).map_err(|e| Error::io("inspect", dir, e))?;
    if meta.file_type().is_symlink() {
        return Err(Error::Symlink { path: dir.into() });
    }
    if !meta.is_dir() {
        return Err(Error::NotADirectory { path: dir.into() });
    }
    check_owner_and_mode(dir, &meta, Privacy::Secret, true)
}

fn check_owner_and_mode(
    path: &Path,
    meta: &fs::Metadata,
    privacy: Privacy,
    is_dir: bool,
) -> Result<(), Error> {
    let user = rustix::process::geteuid().as_raw();
    if meta.uid() != user {
        return Err(Error::NotOwned {
            path: path.into(),
            owner: meta.uid(),
            user,
        });
    }
    let forbidden = match privacy {
        Privacy::Secret => 0o077,
        Privacy::Public => 0o022,
    };
    if meta.mode() & forbidden != 0 {
        return Err(Error::TooOpen {
            path: path.into(),
            mode: meta.mode(),
            is_dir,
        });
    }
    Ok(())
}

/// Checks an open handle: a regular file, owned by this user, with no
/// access for others beyond what `privacy` allows.
fn check_open_file(path: &Path, file: &File, privacy: Privacy) -> Result<fs::Metadata, Error> {
    let meta = file.metadata().map_err(|e| Error::io("inspect", path, e))?;
    if !meta.is_file() {
        return Err(Error::NotAFile { path: path.into() });
    }
    check_owner_and_mode(path, &meta, privacy, false)?;
    Ok(meta)
}

#[derive(Clone, Copy)]
enum OpenMode {
    Read,
    CreateOrAppend,
}

/// Opens without following a final symbolic link and without blocking (a
/// FIFO at `path` cannot stall the open), then checks the handle. Only a
/// file this call created is given mode 0600; an existing file that is too
/// open is refused, never repaired, whatever its size.
fn open_checked(path: &Path, mode: OpenMode, privacy: Privacy) -> Result<File, Error> {
    check_parent(path)?;
    let flags = nofollow() | nonblock();
    let open = |options: &mut OpenOptions| {
        options
            .custom_flags(flags)
            .open(path)
            .map_err(|e| classify_open_error(path, e))
    };
    let (file, created) = match mode {
        OpenMode::Read => (open(OpenOptions::new().read(true))?, false),
        OpenMode::CreateOrAppend => {
            let new = OpenOptions::new()
                .append(true)
                .create_new(true)
                .mode(FILE_MODE)
                .custom_flags(flags)
                .open(path);
            match new {
                Ok(file) => (file, true),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    (open(OpenOptions::new().append(true))?, false)
                }
                Err(e) => return Err(classify_open_error(path, e)),
            }
        }
    };
    // Blocking again: the descriptor is for plain reads and writes.
    let status =
        rustix::fs::fcntl_getfl(&file).map_err(|e| Error::io("inspect", path, e.into()))?;
    rustix::fs::fcntl_setfl(&file, status - rustix::fs::OFlags::NONBLOCK)
        .map_err(|e| Error::io("set flags of", path, e.into()))?;
    if created {
        // Created with 0600 minus the umask: set the mode exactly.
        file.set_permissions(Permissions::from_mode(FILE_MODE))
            .map_err(|e| Error::io("set permissions of", path, e))?;
    }
    check_open_file(path, &file, privacy)?;
    Ok(file)
}

/// Checks again, right before use, that the directory holding `path`
/// (`keys/`, `logs/`, the home) is still private: not a link, owned, 0700.
fn check_parent(path: &Path) -> Result<(), Error> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => check_private_dir(dir),
        _ => Ok(()),
    }
}

fn open_private(path: &Path, mode: OpenMode) -> Result<File, Error> {
    open_checked(path, mode, Privacy::Secret)
}

fn nofollow() -> i32 {
    // O_NOFOLLOW fits in an i32 on every platform (it is a single flag bit).
    i32::try_from(rustix::fs::OFlags::NOFOLLOW.bits()).unwrap_or(0)
}

fn nonblock() -> i32 {
    // O_NONBLOCK fits in an i32 on every platform (it is a single flag bit).
    i32::try_from(rustix::fs::OFlags::NONBLOCK.bits()).unwrap_or(0)
}

/// `open` with `O_NOFOLLOW` fails with ELOOP on a link: say "symbolic link".
fn classify_open_error(path: &Path, e: std::io::Error) -> Error {
    if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
        return Error::Symlink { path: path.into() };
    }
    if e.kind() == std::io::ErrorKind::IsADirectory {
        return Error::NotAFile { path: path.into() };
    }
    Error::io("open", path, e)
}

fn read_checked(path: &Path, limit: u64, privacy: Privacy) -> Result<Vec<u8>, Error> {
    let file = open_checked(path, OpenMode::Read, privacy)?;
    let meta = file.metadata().map_err(|e| Error::io("inspect", path, e))?;
    if meta.len() > limit {
        return Err(Error::TooLarge {
            path: path.into(),
            limit,
        });
    }
    let mut bytes = Vec::new();
    // Read at most limit + 1 bytes: a file that grows after the check is
    // still caught, and never read without bound.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("read", path, e))?;
    if bytes.len() as u64 > limit {
        return Err(Error::TooLarge {
            path: path.into(),
            limit,
        });
    }
    Ok(bytes)
}

fn read_if_exists(path: &Path, limit: u64, privacy: Privacy) -> Result<Option<Vec<u8>>, Error> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("inspect", path, e)),
        Ok(_) => read_checked(path, limit, privacy).map(Some),
    }
}

/// Checks whatever is at `path` before it is replaced: nothing, or a regular
/// private file of this user.
fn check_replaceable(path: &Path) -> Result<(), Error> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("inspect", path, e)),
        Ok(meta) if meta.file_type().is_symlink() => Err(Error::Symlink { path: path.into() }),
        Ok(meta) if !meta.is_file() => Err(Error::NotAFile { path: path.into() }),
        Ok(meta) => check_owner_and_mode(path, &meta, Privacy::Secret, false),
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to a new 0600 temporary file beside `path`, flushes it,
/// renames it over `path` and flushes the directory.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    check_parent(path)?;
    check_replaceable(path)?;
    let dir = path
        .parent()
        .ok_or_else(|| Error::NotAFile { path: path.into() })?;
    let name = path
        .file_name()
        .ok_or_else(|| Error::NotAFile { path: path.into() })?;
    let temp = dir.join(format!(
        ".{}.tmp.{}.{}",
        name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_new(&temp, bytes).and_then(|()| {
        fs::rename(&temp, path).map_err(|e| Error::io("rename into place", path, e))
    });
    if result.is_err() {
        // Best effort: the temporary file holds nothing the target did not.
        let _ = fs::remove_file(&temp);
        return result;
    }
    sync_dir(dir)
}

/// Creates `path` (which must not exist) with mode 0600 set exactly, writes
/// and flushes it.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .custom_flags(nofollow())
        .open(path)
        .map_err(|e| classify_open_error(path, e))?;
    file.set_permissions(Permissions::from_mode(FILE_MODE))
        .map_err(|e| Error::io("set permissions of", path, e))?;
    file.write_all(bytes)
        .map_err(|e| Error::io("write", path, e))?;
    file.sync_all().map_err(|e| Error::io("flush", path, e))
}

/// Passes of random data [`erase_file`] writes over a file (spec 8.2).
pub const ERASE_PASSES: u32 = 3;

/// Overwrites the whole of the regular file at `path` with random data
/// (getrandom's `SysRng`) `passes` times, flushing (`fsync`) after each
/// pass; its length is kept. Returns the length. Refuses a link, anything
/// but a regular file, and a file of another user.
///
/// This overwrites the blocks the file system shows at `path`; what it
/// cannot reach (SSD wear levelling, copy-on-write file systems, snapshots,
/// backups, journals) is described in the README.
pub fn overwrite_file(path: &Path, passes: u32) -> Result<u64, Error> {
    use rand_core::TryRng;
    use std::io::{Seek, SeekFrom};

    let mut file = OpenOptions::new()
        .write(true)
        .custom_flags(nofollow())
        .open(path)
        .map_err(|e| classify_open_error(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io("inspect", path, e))?;
    if !meta.is_file() {
        return Err(Error::NotAFile { path: path.into() });
    }
    let user = rustix::process::geteuid().as_raw();
    if meta.uid() != user {
        return Err(Error::NotOwned {
            path: path.into(),
            owner: meta.uid(),
            user,
        });
    }
    let len = meta.len();
    let mut block = vec![0u8; 64 * 1024];
    for _ in 0..passes {
        file.seek(SeekFrom::Start(0))
            .map_err(|e| Error::io("overwrite", path, e))?;
        let mut left = len;
        while left > 0 {
            let n = usize::try_from(left.min(block.len() as u64)).unwrap_or(block.len());
            let chunk = block.get_mut(..n).unwrap_or_default();
            getrandom::SysRng
                .try_fill_bytes(chunk)
                .map_err(|e| Error::io("draw random bytes for", path, std::io::Error::other(e)))?;
            file.write_all(chunk)
                .map_err(|e| Error::io("overwrite", path, e))?;
            left -= n as u64;
        }
        file.sync_all().map_err(|e| Error::io("flush", path, e))?;
    }
    Ok(len)
}

/// Overwrites the file at `path` [`ERASE_PASSES`] times ([`overwrite_file`]),
/// then deletes it and flushes its directory. `false` when nothing was
/// there.
pub fn erase_file(path: &Path) -> Result<bool, Error> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io("inspect", path, e)),
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(Error::Symlink { path: path.into() });
        }
        Ok(_) => {}
    }
    overwrite_file(path, ERASE_PASSES)?;
    fs::remove_file(path).map_err(|e| Error::io("delete", path, e))?;
    match path.parent() {
        Some(dir) => sync_dir(dir).map(|()| true),
        None => Ok(true),
    }
}

/// Flushes a directory, so a rename or removal in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("flush directory", dir, e))
}

#[cfg(test)]
#[path = "../tests/common/assert_io.rs"]
mod assert_io;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::assert_io::assert_io;
    use super::*;

    fn mode_of(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().mode() & 0o777
    }

    #[test]
    fn overwrite_changes_every_byte_run_and_keeps_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        // 100 KiB + 3: more than one block, not a multiple of it.
        let original: Vec<u8> = (0..102_403u32).map(|i| (i % 251) as u8).collect();
        fs::write(&path, &original).unwrap();
        let mut before = original.clone();
        for _ in 0..ERASE_PASSES {
            assert_eq!(overwrite_file(&path, 1).unwrap(), original.len() as u64);
            let after = fs::read(&path).unwrap();
            assert_eq!(after.len(), original.len());
            // Random data: no 32-byte window of the previous contents survives.
            for (old, new) in before.chunks(32).zip(after.chunks(32)) {
                assert_ne!(old, new);
            }
            before = after;
        }
        assert!(erase_file(&path).unwrap());
        assert!(!Home::exists(&path));
        assert!(!erase_file(&path).unwrap());
    }

    #[test]
    fn erase_refuses_links() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::write(&target, b"keep").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(erase_file(&link), Err(Error::Symlink { .. })));
        assert!(matches!(
            overwrite_file(&link, 1),
            Err(Error::Symlink { .. })
        ));
        assert_eq!(fs::read(&target).unwrap(), b"keep");
    }

    #[test]
    fn creates_private_layout() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::create(dir.path().join("h")).unwrap();
        for d in [home.root().to_path_buf(), home.keys_dir(), home.logs_dir()] {
            assert_eq!(mode_of(&d), 0o700, "{}", d.display());
        }
        home.write_private(&home.trusted_peers_path(), b"{}")
            .unwrap();
        assert_eq!(mode_of(&home.trusted_peers_path()), 0o600);
        Home::open(home.root()).unwrap();
    }

    /// Only a file the open created is chmodded: an existing empty file
    /// that others can read is refused and left as it is.
    #[test]
    fn append_refuses_an_existing_empty_open_file() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::create(dir.path().join("h")).unwrap();
        let path = home.audit_log_path();
        fs::write(&path, b"").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        let err = home.open_append(&path).unwrap_err();
        assert!(matches!(err, Error::TooOpen { .. }), "{err}");
        assert_eq!(mode_of(&path), 0o644);
        // A file it creates gets 0600 exactly.
        let new = home.logs_dir().join("new.log");
        home.open_append(&new).unwrap();
        assert_eq!(mode_of(&new), 0o600);
    }

    /// A FIFO where a private file should be is refused without blocking.
    #[test]
    fn a_fifo_does_not_block_the_open() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::create(dir.path().join("h")).unwrap();
        let path = home.pin_guard_path();
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &path,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let (done, wait) = std::sync::mpsc::channel();
        let reader = home.clone();
        let fifo = path.clone();
        std::thread::spawn(move || {
            let _ = done.send(reader.read_private(&fifo, 100).map(drop));
        });
        let outcome = wait
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("opening a FIFO blocked");
        assert!(
            matches!(outcome, Err(Error::NotAFile { .. })),
            "{outcome:?}"
        );
    }

    /// M1: a parent writable by others (not sticky) is refused; /tmp
    /// (sticky, root's) is accepted; `keys/` swapped for a link after the
    /// home was opened is refused before use.
    #[test]
    fn checks_parents_and_rechecks_dirs_before_use() {
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("open");
        fs::create_dir(&open).unwrap();
        fs::set_permissions(&open, Permissions::from_mode(0o777)).unwrap();
        let err = Home::create(open.join("h")).unwrap_err();
        assert!(matches!(err, Error::UnsafeParent { .. }), "{err}");
        fs::set_permissions(&open, Permissions::from_mode(0o1777)).unwrap();
        let home = Home::create(open.join("h")).unwrap();
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        fs::set_permissions(&elsewhere, Permissions::from_mode(0o700)).unwrap();
        fs::remove_dir(home.keys_dir()).unwrap();
        std::os::unix::fs::symlink(&elsewhere, home.keys_dir()).unwrap();
        let err = home
            .write_private(&home.device_key_path(), b"x")
            .unwrap_err();
        assert!(matches!(err, Error::Symlink { .. }), "{err}");
        assert!(fs::read_dir(&elsewhere).unwrap().next().is_none());
    }

    #[test]
    fn refuses_open_file_and_leaves_it() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::create(dir.path().join("h")).unwrap();
        let path = home.trusted_peers_path();
        home.write_private(&path, b"old").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        let err = home.read_private(&path, 100).unwrap_err();
        assert!(matches!(err, Error::TooOpen { .. }), "{err}");
        assert!(err.to_string().contains("chmod 600"), "{err}");
        let err = home.write_private(&path, b"new").unwrap_err();
        assert!(matches!(err, Error::TooOpen { .. }), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(mode_of(&path), 0o644);
    }

    #[test]
    fn refuses_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::create(dir.path().join("h")).unwrap();
        let target = dir.path().join("elsewhere");
        fs::write(&target, b"x").unwrap();
        fs::set_permissions(&target, Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink(&target, home.trusted_peers_path()).unwrap();
        let err = home
            .read_private(&home.trusted_peers_path(), 10)
            .unwrap_err();
        assert!(matches!(err, Error::Symlink { .. }), "{err}");
        let err = home
            .write_private(&home.trusted_peers_path(), b"y")
            .unwrap_err();
        assert!(matches!(err, Error::Symlink { .. }), "{err}");
        assert_eq!(fs::read(&target).unwrap(), b"x");

        let linked = dir.path().join("linked-home");
        std::os::unix::fs::symlink(home.root(), &linked).unwrap();
        assert!(matches!(Home::open(&linked), Err(Error::Symlink { .. })));
    }

    /// A file or directory owned by another user is refused, read or write,
    /// and left as it was. Needs the right to give a file away (root, as in
    /// CI); elsewhere the test says it cannot run and passes vacuously only
    /// there.
    #[test]
    fn refuses_a_foreign_owner() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::create(dir.path().join("h")).unwrap();
        let path = home.trusted_peers_path();
        home.write_private(&path, b"mine").unwrap();
        let other = rustix::process::geteuid().as_raw() + 1;
        if let Err(e) = std::os::unix::fs::chown(&path, Some(other), None) {
            eprintln!("SKIPPED: cannot give a file to another user here ({e})");
            return;
        }
        let err = home.read_private(&path, 100).unwrap_err();
        assert!(matches!(err, Error::NotOwned { .. }), "{err}");
        assert!(err.to_string().contains("chown"), "{err}");
        let err = home.write_private(&path, b"new").unwrap_err();
        assert!(matches!(err, Error::NotOwned { .. }), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"mine");
        std::os::unix::fs::chown(home.keys_dir(), Some(other), None).unwrap();
        assert!(matches!(
            Home::open(home.root()),
            Err(Error::NotOwned { .. })
        ));
    }

    /// A parent directory owned by another user (not root) is unsafe: that
    /// user could swap the home. Root-owned and own parents are fine.
    #[test]
    fn refuses_a_parent_another_user_owns() {
        let dir = tempfile::tempdir().unwrap();
        let parent = dir.path().join("theirs");
        fs::create_dir(&parent).unwrap();
        fs::set_permissions(&parent, Permissions::from_mode(0o755)).unwrap();
        check_ancestors(&parent.join("h")).unwrap();
        let other = rustix::process::geteuid().as_raw() + 1;
        if let Err(e) = std::os::unix::fs::chown(&parent, Some(other), None) {
            eprintln!("SKIPPED: cannot give a directory to another user here ({e})");
            return;
        }
        match check_ancestors(&parent.join("h")) {
            Err(Error::UnsafeParent { path, owner, .. }) => {
                assert_eq!(path, fs::canonicalize(&parent).unwrap());
                assert_eq!(owner, other);
            }
            outcome => panic!("expected UnsafeParent, got {outcome:?}"),
        }
    }

    /// A home given as a bare relative name has the current directory as
    /// its parent: checked like any other.
    #[test]
    fn a_relative_home_checks_the_current_directory() {
        let cwd = std::env::current_dir().unwrap();
        let relative = check_ancestors(Path::new("h")).map_err(|e| format!("{e:?}"));
        let absolute = check_ancestors(&cwd.join("h")).map_err(|e| format!("{e:?}"));
        assert_eq!(relative, absolute);
    }

    /// Creating a directory fails for what it is (here: no parent), not
    /// as a later inspection.
    #[test]
    fn a_directory_that_cannot_be_created_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no").join("such");
        assert_io(
            ensure_private_dir(&missing),
            "create directory",
            &missing,
            std::io::ErrorKind::NotFound,
        );
    }

    /// Opening for append names a directory where a file belongs as such
    /// (EISDIR); a missing file to read is an open error, not "not a file".
    #[test]
    fn open_errors_say_what_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::create(dir.path().join("h")).unwrap();
        let path = home.audit_log_path();
        fs::create_dir(&path).unwrap();
        match home.open_append(&path) {
            Err(Error::NotAFile { path: p }) => assert_eq!(p, path),
            other => panic!("expected NotAFile, got {other:?}"),
        }
        let missing = home.trusted_peers_path();
        assert_io(
            home.open_read(&missing),
            "open",
            &missing,
            std::io::ErrorKind::NotFound,
        );
    }

    /// A path that cannot be inspected (here a name longer than the file
    /// system allows) is an error: never "missing" to a reader or to
    /// erasure, never "nothing to replace" to a writer.
    #[test]
    fn a_path_that_cannot_be_inspected_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::create(dir.path().join("h")).unwrap();
        let path = home.root().join("n".repeat(300));
        let inspect_error = |outcome: Result<(), Error>| {
            assert_io(
                outcome,
                "inspect",
                &path,
                std::io::ErrorKind::InvalidFilename,
            );
        };
        inspect_error(home.read_private_if_exists(&path, 100).map(|_| ()));
        inspect_error(home.read_public_if_exists(&path, 100).map(|_| ()));
        inspect_error(home.write_private(&path, b"x"));
        inspect_error(erase_file(&path).map(|_| ()));
    }

    /// A bare relative file name has no directory to re-check: it is
    /// opened (and here found missing) like any other path.
    #[test]
    fn a_bare_relative_name_is_opened_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::create(dir.path().join("h")).unwrap();
        let name = Path::new("no-such-honeylink-file");
        assert_io(
            home.open_read(name),
            "open",
            name,
            std::io::ErrorKind::NotFound,
        );
    }

    #[test]
    fn refuses_open_home_and_directory_for_file() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::create(dir.path().join("h")).unwrap();
        fs::create_dir(home.trusted_peers_path()).unwrap();
        let err = home
            .read_private(&home.trusted_peers_path(), 10)
            .unwrap_err();
        assert!(matches!(err, Error::NotAFile { .. }), "{err}");
        fs::set_permissions(home.root(), Permissions::from_mode(0o755)).unwrap();
        let err = Home::open(home.root()).unwrap_err();
        assert!(err.to_string().contains("chmod 700"), "{err}");
    }

    #[test]
    fn bounded_read() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::create(dir.path().join("h")).unwrap();
        let path = home.identity_path();
        home.write_private(&path, &[b'a'; 101]).unwrap();
        assert!(matches!(
            home.read_private(&path, 100),
            Err(Error::TooLarge { limit: 100, .. })
        ));
        assert_eq!(home.read_private(&path, 101).unwrap().len(), 101);
    }
}
