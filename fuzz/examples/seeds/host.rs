//! Seeds for the `host_*` targets, written by honeylink-host itself: a
//! device is created in a temporary home (keys in files), pairs a few
//! peers, blocks one, sees a key change, refuses a session, starts a PIN
//! run and rotates its keys; the seeds are the files the host wrote there,
//! the key files again encrypted under the fuzz policy (and one under the
//! default policy, which the target must refuse as too costly), the
//! rotation journal as the rotation plans it, and streams of frames from
//! the transport's writer.
//!
//! The host draws its keys from the OS generator, so the bytes differ from
//! one run to the next; their shapes do not.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use honeylink_core::audit::RotationKind;
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::x25519::{StaticPublicKey, StaticSecret};
use honeylink_core::identity::{DeviceId, DeviceIdentity, DeviceName};
use honeylink_core::pairing::{PairingMethod, PendingPeer};
use honeylink_core::trust::RefusalReason;
use honeylink_fuzz::host::{FUZZ_KDF_POLICY, PASSPHRASE};
use honeylink_host::config::{Config, StorageMode};
use honeylink_host::device::Device;
use honeylink_host::home::Home;
use honeylink_host::keys::{KdfPolicy, Passphrase, SecretEntry, decode_key, encode_key};
use honeylink_host::rotation::Journal;
use honeylink_host::transport::{Exchange, Frame, Refusal, encode_frame, encode_preamble};

use super::Out;

/// 2026-01-01T00:00:00Z.
const NOW: u64 = 1_767_225_600;

fn id(n: u8) -> DeviceId {
    DeviceId::from_bytes([n; 16])
}

fn key(n: u8) -> StaticPublicKey {
    *StaticSecret::from_bytes(SecretBytes::new([n; 32])).public_key()
}

fn pending(n: u8, name: &str, method: PairingMethod) -> PendingPeer {
    PendingPeer::hazmat_new(
        id(n),
        DeviceName::new(name).expect("a name"),
        key(n),
        method,
    )
}

/// A fresh directory for the temporary home, removed by [`Scratch`]'s drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

pub fn seeds(out: &mut Out) {
    let scratch =
        Scratch(std::env::temp_dir().join(format!("honeylink-seeds-{}", std::process::id())));
    let _ = fs::remove_dir_all(&scratch.0);
    Home::create(&scratch.0).expect("a private scratch directory");
    let root = scratch.0.join("home");
    let home = Home::create(&root).expect("a home");
    let config = Config {
        storage: StorageMode::File,
        ..Config::default()
    };
    home.write_private(&home.config_path(), config.to_toml().as_bytes())
        .expect("write config.toml");
    out.put("host_config", "file", &read(&home.config_path()));
    let other = Config {
        storage: StorageMode::Keychain,
        audit_retention_months: 24,
        audit_max_bytes: 1 << 30,
    };
    out.put("host_config", "keychain", other.to_toml().as_bytes());

    let (mut device, _) = Device::init(
        &root,
        Some(DeviceName::new("Fuzz desk").expect("a name")),
        NOW,
    )
    .expect("init");
    out.put("host_identity", "created", &read(&home.identity_path()));
    out.put("host_audit_head", "genesis", &read(&home.audit_head_path()));
    let address: SocketAddr = "192.0.2.7:7300".parse().expect("an address");
    device
        .confirm_pairing_at(
            pending(1, "Alice's phone", PairingMethod::Qr),
            Some(address),
            NOW + 1,
        )
        .expect("pair 1");
    device
        .confirm_pairing(
            pending(2, "Bob \"the lock\" \u{1f512}", PairingMethod::Pin),
            NOW + 2,
        )
        .expect("pair 2");
    device
        .confirm_pairing(pending(3, "Carol's tag", PairingMethod::Nfc), NOW + 3)
        .expect("pair 3");
    out.put(
        "host_trusted_peers",
        "three",
        &read(&home.trusted_peers_path()),
    );
    device.block_device(&id(3), NOW + 4).expect("block");
    device.block_key(key(9), NOW + 5).expect("block a key");
    device
        .key_change_detected(&id(2), key(8), NOW + 6)
        .expect("a key change");
    device
        .session_refused(RefusalReason::Untrusted, &id(7), &key(7), NOW + 7)
        .expect("a refusal");
    device.flush_refusals(NOW + 8).expect("flush");
    out.put(
        "host_trusted_peers",
        "blocked_pending",
        &read(&home.trusted_peers_path()),
    );

    let mut guard = device.pin_guard(NOW + 9).expect("the PIN guard");
    out.put(
        "host_pin_guard",
        "fresh",
        &honeylink_host::pin_state::encode(&home.pin_guard_path(), &guard.export(NOW + 9))
            .expect("encode"),
    );
    let _ticket = guard.begin(NOW + 9).expect("a PIN run");
    device.save_pin_guard(&guard.export(NOW + 9)).expect("save");
    out.put("host_pin_guard", "one_run", &read(&home.pin_guard_path()));

    // The journal the rotation below writes (and removes when done).
    let next = DeviceIdentity::generate(&mut honeylink_fuzz::rng(14, 0)).expect("an identity");
    let journal = Journal::new(
        device.identity(),
        &next,
        RotationKind::Manual,
        NOW + 10,
        device.info().secrets,
        device.verify_audit().expect("verifies").head.seq + 1,
        &device.peers().expect("peers"),
    );
    out.put(
        "host_rotation_journal",
        "planned",
        &journal.encode().expect("encode"),
    );

    // The key files, and the same keys encrypted.
    let pass = Passphrase::new(PASSPHRASE).expect("a passphrase");
    for (entry, name) in [
        (SecretEntry::DeviceKey, "device"),
        (SecretEntry::SigningKey, "signing"),
    ] {
        let path = match entry {
            SecretEntry::DeviceKey => home.device_key_path(),
            _ => home.signing_key_path(),
        };
        let file = read(&path);
        let choice = u8::from(entry == SecretEntry::SigningKey);
        out.put(
            "host_key_file",
            &format!("{name}_plain"),
            &[&[choice][..], &file].concat(),
        );
        let secret = decode_key(&path, &file, entry, None, &KdfPolicy::DEFAULT).expect("decode");
        let sealed = encode_key(
            &path,
            entry,
            secret.as_slice(),
            Some(&pass),
            &FUZZ_KDF_POLICY,
        )
        .expect("encrypt");
        out.put(
            "host_key_file",
            &format!("{name}_encrypted"),
            &[&[choice | 2][..], &sealed].concat(),
        );
        if entry == SecretEntry::DeviceKey {
            let costly = encode_key(
                &path,
                entry,
                secret.as_slice(),
                Some(&pass),
                &KdfPolicy::DEFAULT,
            )
            .expect("encrypt");
            out.put(
                "host_key_file",
                "device_default_kdf",
                &[&[choice | 2][..], &costly].concat(),
            );
        }
    }

    let report = device
        .rotate(RotationKind::Manual, NOW + 10)
        .expect("rotate");
    drop(report);
    out.put("host_identity", "rotated", &read(&home.identity_path()));
    out.put("host_audit_head", "rotated", &read(&home.audit_head_path()));
    let log = read(&home.audit_log_path());
    out.put("host_audit_line", "log", &log);
    for (i, line) in log.split_inclusive(|&b| b == b'\n').enumerate() {
        out.put("host_audit_line", &format!("line-{i:02}"), line);
    }

    frames(out);
}

/// Streams as a listener receives them: the first byte picks the frame
/// limit (0: the full range), then a preamble and frames from the writer.
fn frames(out: &mut Out) {
    let frame = |f: Frame<'_>| encode_frame(&f).expect("a frame");
    for exchange in Exchange::ALL {
        let mut stream = vec![0u8];
        stream.extend_from_slice(&encode_preamble(exchange));
        stream.extend(frame(Frame::Message(b"-> e")));
        stream.extend(frame(Frame::Message(&[0x5a; 96])));
        stream.extend(frame(Frame::Accepted));
        stream.extend(frame(Frame::End));
        out.put("host_frames", &format!("{}", exchange.code()), &stream);
    }
    let refusals = [
        Refusal::AtCapacity,
        Refusal::LockedOut { remaining: 300 },
        Refusal::Untrusted,
        Refusal::KeyChanged,
    ];
    let mut stream = vec![0x21];
    stream.extend_from_slice(&encode_preamble(Exchange::PinPairing));
    stream.extend(frame(Frame::Message(b"cpace")));
    for refusal in refusals {
        stream.extend(frame(Frame::Refused(refusal)));
    }
    out.put("host_frames", "refusals", &stream);
}
