//! A restrictive umask (0277: owner read-only) does not break creating the
//! home, key files and identity.json: each comes out exactly 0700/0600.
//! Alone in its own test binary, because the umask is process-wide.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fs;
use std::os::unix::fs::PermissionsExt;

use honeylink_core::identity::DeviceName;
use honeylink_host::config::{Config, StorageMode};
use honeylink_host::home::Home;
use honeylink_host::identity;
use honeylink_host::keys::Location;
use rustix::fs::Mode;

#[test]
fn umask_0277_still_gives_0600_files() {
    let dir = tempfile::tempdir().unwrap();
    let old = rustix::process::umask(Mode::from_raw_mode(0o277));
    let home = Home::create(dir.path().join("h")).unwrap();
    let lock = home.lock().unwrap();
    let config = Config {
        storage: StorageMode::File,
        ..Config::default()
    };
    let device = identity::create(
        &home,
        &lock,
        &config,
        DeviceName::new("Umask").unwrap(),
        1_700_000_000,
    );
    rustix::process::umask(old);
    let device = device.unwrap();
    assert_eq!(device.info.secrets, Location::File);
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(home.root()), 0o700);
    assert_eq!(mode(&home.keys_dir()), 0o700);
    for file in [
        home.device_key_path(),
        home.signing_key_path(),
        home.identity_path(),
    ] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    drop(device);
    let again = identity::load(&home, &lock, &config).unwrap();
    assert_eq!(
        again.info.device_id,
        identity::IdentityInfo::read(&home)
            .unwrap()
            .unwrap()
            .device_id
    );
}
