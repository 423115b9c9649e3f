//! Secret hygiene: every operation of the device, run in a child process,
//! with the secret keys it had (learned from the identity itself) searched
//! for in everything it wrote: its stdout and stderr (where the child also
//! prints the `Debug` form of every value and report it got) and every file
//! under the home except the key files, in hex (both cases), base64
//! (standard and URL-safe, at every alignment inside a longer encoding) and
//! raw bytes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use base64ct::{Base64, Base64Unpadded, Base64Url, Base64UrlUnpadded, Encoding};
use getrandom::SysRng;
use honeylink_core::audit::{PairingFailure, RotationKind};
use honeylink_core::identity::{DeviceIdentity, DeviceName};
use honeylink_core::pairing::{PairingMethod, PendingPeer};
use honeylink_core::trust::{KeyChangeAction, RefusalReason};
use honeylink_host::device::Device;
use honeylink_host::home::Home;

const CHILD_ENV: &str = "HONEYLINK_HYGIENE_CHILD";

/// The secrets a device had, as the child writes them for the parent (in a
/// file outside the home).
fn record_secrets(out: &Path, device: &Device) {
    let secrets = device.identity().export_secrets();
    let mut bytes = std::fs::read(out).unwrap_or_default();
    bytes.extend_from_slice(secrets.x25519_secret().expose_secret());
    bytes.extend_from_slice(secrets.ed25519_seed().expose_secret());
    std::fs::write(out, bytes).unwrap();
}

#[test]
#[ignore = "run by no_secret_is_written_anywhere"]
fn hygiene_child() {
    let Some(spec) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let spec = spec.into_string().unwrap();
    let (phase, rest) = spec.split_once(':').unwrap();
    let (root, secrets_out) = rest.split_once(':').unwrap();
    let (root, secrets_out) = (Path::new(root), Path::new(secrets_out));
    let mut now = 1_700_000_000;
    let mut tick = || {
        now += 1;
        now
    };
    if phase == "destroy" {
        let device = Device::open(root).unwrap();
        let report = device.destroy(tick()).unwrap();
        println!("{report:?}");
        return;
    }
    let (mut device, created) =
        Device::init(root, Some(DeviceName::new("Desk").unwrap()), tick()).unwrap();
    assert!(created);
    record_secrets(secrets_out, &device);
    println!("{device:?} {:?} {:?}", device.info(), device.notices());
    let peer = DeviceIdentity::generate(&mut SysRng).unwrap();
    let pending = PendingPeer::hazmat_new(
        peer.device_id(),
        DeviceName::new("Phone").unwrap(),
        *peer.static_public_key(),
        PairingMethod::Qr,
    );
    let record = device.confirm_pairing(pending, tick()).unwrap();
    println!("{record:?}");
    let other = DeviceIdentity::generate(&mut SysRng).unwrap();
    device
        .key_change_detected(&peer.device_id(), *other.static_public_key(), tick())
        .unwrap();
    device
        .resolve_key_change(
            &peer.device_id(),
            other.static_public_key(),
            KeyChangeAction::Reverify,
            tick(),
        )
        .unwrap();
    device
        .pairing_failed(
            PairingMethod::Pin,
            PairingFailure::LockedOut,
            Some(peer.device_id()),
            tick(),
        )
        .unwrap();
    device
        .session_refused(
            RefusalReason::Untrusted,
            &other.device_id(),
            other.static_public_key(),
            tick(),
        )
        .unwrap();
    device.block_device(&peer.device_id(), tick()).unwrap();
    let guard = device.pin_guard(tick()).unwrap();
    device.save_pin_guard(&guard.export(tick())).unwrap();
    let report = device.rotate(RotationKind::Emergency, tick()).unwrap();
    println!("{report:?}");
    record_secrets(secrets_out, &device);
    device
        .confirm_pairing(
            PendingPeer::hazmat_new(
                other.device_id(),
                DeviceName::new("Tablet").unwrap(),
                *other.static_public_key(),
                PairingMethod::Nfc,
            ),
            tick(),
        )
        .unwrap();
    let report = device.rotate(RotationKind::Manual, tick()).unwrap();
    println!("{report:?}");
    record_secrets(secrets_out, &device);
    println!("{:?}", device.verify_audit().unwrap());
    device.audit_entries(|entry| println!("{entry:?}")).unwrap();
    let metrics = device.metrics().unwrap();
    println!(
        "{metrics:?}\n{}\n{}",
        metrics.to_prometheus(),
        metrics.to_json()
    );
    println!("{:?}", device.peers().unwrap().peers());
    // An error's text too.
    println!("{:?}", device.unpair(&other.device_id(), tick()).err());
    println!("{:?}", Device::open(root).unwrap().identity());
    eprintln!("child done");
}

fn run_child(phase: &str, root: &Path, secrets: &Path) -> Vec<u8> {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "hygiene_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            CHILD_ENV,
            format!("{phase}:{}:{}", root.display(), secrets.display()),
        )
        .env_remove("HONEYLINK_PASSPHRASE")
        .output()
        .unwrap();
    let mut all = out.stdout.clone();
    all.extend_from_slice(&out.stderr);
    assert!(
        out.status.success(),
        "{phase} child failed:\n{}",
        String::from_utf8_lossy(&all)
    );
    assert!(String::from_utf8_lossy(&all).contains("1 passed"));
    all
}

/// Every way a 32-byte secret could be written.
fn encodings(secret: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![secret.to_vec()];
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    out.push(hex.clone().into_bytes());
    out.push(hex.to_uppercase().into_bytes());
    // Base64 at each alignment: the characters that depend on the secret
    // alone, whatever bytes surround it.
    for prefix in 0..3 {
        let mut bytes = vec![0u8; prefix];
        bytes.extend_from_slice(secret);
        let skip = (prefix * 4).div_ceil(3);
        for text in [
            Base64::encode_string(&bytes),
            Base64Unpadded::encode_string(&bytes),
            Base64Url::encode_string(&bytes),
            Base64UrlUnpadded::encode_string(&bytes),
        ] {
            let stable = text.trim_end_matches('=');
            let stable = &stable[skip..stable.len() - 1];
            assert!(stable.len() >= 40);
            out.push(stable.as_bytes().to_vec());
        }
    }
    out
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(read) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in read {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn assert_clean(what: &str, haystack: &[u8], secrets: &[Vec<u8>]) {
    for (i, secret) in secrets.iter().enumerate() {
        for needle in encodings(secret) {
            assert!(
                !haystack
                    .windows(needle.len())
                    .any(|w| w == needle.as_slice()),
                "secret {i} found in {what} ({:?})",
                String::from_utf8_lossy(&needle)
            );
        }
    }
}

#[test]
fn no_secret_is_written_anywhere() {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().join("home");
    let secrets_path = scratch.path().join("secrets.bin");
    let home = Home::create(&root).unwrap();
    home.write_private(&home.config_path(), b"storage = \"file\"\n")
        .unwrap();

    let output = run_child("work", &root, &secrets_path);
    let secrets: Vec<Vec<u8>> = std::fs::read(&secrets_path)
        .unwrap()
        .chunks(32)
        .map(<[u8]>::to_vec)
        .collect();
    // Two keys for each of three identities (init, two rotations).
    assert_eq!(secrets.len(), 6);

    // The test can fail: the current key file holds the current key.
    let device_key_pem = std::fs::read(home.device_key_path()).unwrap();
    let der = Base64::decode_vec(
        std::str::from_utf8(&device_key_pem)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>()
            .as_str(),
    )
    .unwrap();
    assert!(der.windows(32).any(|w| w == secrets[4].as_slice()));
    assert!(
        std::panic::catch_unwind(|| assert_clean("a key file", &device_key_pem, &secrets)).is_err()
    );

    assert_clean("the child's stdout and stderr", &output, &secrets);
    let mut scanned = 0;
    for path in files_under(&root) {
        if path.parent() == Some(home.keys_dir().as_path()) {
            continue;
        }
        assert_clean(
            &path.display().to_string(),
            &std::fs::read(&path).unwrap(),
            &secrets,
        );
        scanned += 1;
    }
    // identity.json, config.toml, trusted_peers.json, pin_guard.json,
    // logs/audit.log, logs/audit.head, .lock at least.
    assert!(scanned >= 7, "{scanned}");
    // The old keys are gone from the key files too; only the current pair
    // is there.
    for path in files_under(&home.keys_dir()) {
        assert_clean(
            &path.display().to_string(),
            &std::fs::read(&path).unwrap(),
            &secrets[..4],
        );
    }

    let output = run_child("destroy", &root, &secrets_path);
    assert_clean("the destroying child's output", &output, &secrets);
    assert!(!Home::exists(&root));
}
