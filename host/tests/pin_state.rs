//! The PIN guard state: missing is fresh, corrupt is an error (never a
//! fresh guard), saved atomically.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::{chmod, home, snapshot};
use honeylink_core::pairing::{PinGuard, PinGuardState};
use honeylink_host::Error;
use honeylink_host::pin_state;

#[test]
fn missing_is_fresh_and_saved_state_survives() {
    let (_dir, home) = home();
    assert_eq!(pin_state::load(&home).unwrap(), PinGuardState::default());
    let mut guard = PinGuard::new();
    let _ticket = guard.begin(1000).unwrap();
    // Saved before the responder's first message leaves: the run counts.
    let state = guard.export(1001);
    assert_ne!(state, PinGuardState::default());
    pin_state::save(&home, &state).unwrap();
    assert_eq!(
        fs::metadata(home.pin_guard_path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert_eq!(pin_state::load(&home).unwrap(), state);
    let restored = PinGuard::restore(&pin_state::load(&home).unwrap(), 5);
    assert_eq!(restored.export(5), state);
}

#[test]
fn corrupt_or_unsafe_state_is_an_error_and_stays() {
    let (dir, home) = home();
    let path = home.pin_guard_path();
    pin_state::save(&home, &PinGuardState::default()).unwrap();
    let good = fs::read_to_string(&path).unwrap();
    for bad in [
        String::new(),
        good[..good.len() / 2].to_owned(),
        good.replace("\"version\": 1", "\"version\": 7"),
        good.replace("lockout_remaining", "lockout"),
        "{\"version\": 1, \"state\": {\"lockout_remaining\": -1, \"failure_ages\": [null, null, null]}}".to_owned(),
        "{\"version\": 1, \"state\": {\"lockout_remaining\": 0, \"failure_ages\": [null, null]}}".to_owned(),
    ] {
        fs::write(&path, &bad).unwrap();
        let before = snapshot(home.root());
        let err = pin_state::load(&home).unwrap_err();
        assert!(matches!(err, Error::Corrupt { ref path, .. } if path.ends_with("pin_guard.json")), "{bad}: {err:?}");
        assert_eq!(snapshot(home.root()), before);
    }
    fs::write(&path, vec![b' '; 5000]).unwrap();
    assert!(matches!(
        pin_state::load(&home),
        Err(Error::TooLarge { .. })
    ));
    fs::write(&path, &good).unwrap();
    chmod(&path, 0o604);
    let before = snapshot(home.root());
    assert!(matches!(pin_state::load(&home), Err(Error::TooOpen { .. })));
    assert!(matches!(
        pin_state::save(&home, &PinGuardState::default()),
        Err(Error::TooOpen { .. })
    ));
    assert_eq!(snapshot(home.root()), before);
    fs::remove_file(&path).unwrap();
    let elsewhere = dir.path().join("elsewhere");
    fs::write(&elsewhere, &good).unwrap();
    chmod(&elsewhere, 0o600);
    std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
    assert!(matches!(pin_state::load(&home), Err(Error::Symlink { .. })));
    assert!(matches!(
        pin_state::save(&home, &PinGuardState::default()),
        Err(Error::Symlink { .. })
    ));
    fs::remove_file(&path).unwrap();
    fs::create_dir(&path).unwrap();
    assert!(matches!(
        pin_state::load(&home),
        Err(Error::NotAFile { .. })
    ));
    assert!(matches!(
        pin_state::save(&home, &PinGuardState::default()),
        Err(Error::NotAFile { .. })
    ));
}
