//! Trusted peers: the core decides, the file keeps everything, refuses
//! anything corrupt and leaves it as it was.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::{chmod, home, id, key, record, snapshot};
use honeylink_core::identity::{DeviceName, Fingerprint};
use honeylink_core::pairing::PairingMethod;
use honeylink_core::trust::{Decision, KeyChangeAction, decide};
use honeylink_host::Error;
use honeylink_host::home::Home;
use honeylink_host::peers::{MAX_PEERS_FILE_LEN, PeerState, TrustedPeers};

fn core_err(e: Error) -> honeylink_core::Error {
    match e {
        Error::Core(e) => e,
        other => panic!("expected a core error, got {other:?}"),
    }
}

#[test]
fn peers_persist_and_every_decision_is_the_cores() {
    let (_dir, home) = home();
    TrustedPeers::update(&home, |p| {
        p.add(record(1, 1, PairingMethod::Qr))?;
        p.add(record(2, 2, PairingMethod::Pin))?;
        p.add(record(3, 3, PairingMethod::Nfc))
    })
    .unwrap();
    let path = home.trusted_peers_path();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"version\": 1"), "{text}");
    assert!(text.contains("\"method\": \"pin\""), "{text}");
    assert!(
        text.contains("\"paired_at\": \"2026-01-01T00:00:02Z\""),
        "{text}"
    );
    assert!(
        text.contains(&Fingerprint::of(&key(2)).to_string()),
        "{text}"
    );

    let peers = TrustedPeers::load(&home).unwrap();
    assert_eq!(peers.len(), 3);
    assert!(!peers.is_empty());
    assert!(TrustedPeers::default().is_empty());
    // Debug shows counts, never keys or names.
    assert_eq!(
        format!("{peers:?}"),
        "TrustedPeers { peers: 3, blocked_keys: 0 }"
    );
    assert_eq!(
        peers.get(&id(2)).unwrap().record,
        record(2, 2, PairingMethod::Pin)
    );
    assert_eq!(decide(&peers, &id(1), &key(1)), Decision::Trusted);
    assert_eq!(decide(&peers, &id(9), &key(9)), Decision::Unknown);
    assert_eq!(decide(&peers, &id(9), &key(1)), Decision::IdentityMismatch);
    assert_eq!(
        decide(&peers, &id(1), &key(9)),
        Decision::KeyChanged {
            old: Fingerprint::of(&key(1)),
            new: Fingerprint::of(&key(9))
        }
    );

    // Blocks: by device, by key; the core's precedence (Blocked first).
    TrustedPeers::update(&home, |p| {
        p.block_device(&id(1))?;
        p.block_key(key(2));
        Ok(())
    })
    .unwrap();
    let peers = TrustedPeers::load(&home).unwrap();
    assert_eq!(decide(&peers, &id(1), &key(1)), Decision::Blocked);
    assert_eq!(decide(&peers, &id(2), &key(2)), Decision::Blocked);
    assert_eq!(decide(&peers, &id(7), &key(2)), Decision::Blocked);
    assert_eq!(peers.get(&id(1)).unwrap().state, PeerState::Blocked);
    assert_eq!(peers.blocked_keys(), vec![key(2)]);
    assert_eq!(
        format!("{peers:?}"),
        "TrustedPeers { peers: 3, blocked_keys: 1 }"
    );
    // Clearing (device destruction) forgets every peer and every block.
    let mut cleared = peers.clone();
    cleared.clear();
    assert!(cleared.is_empty());
    assert!(cleared.blocked_keys().is_empty());
    assert_eq!(decide(&cleared, &id(1), &key(1)), Decision::Unknown);
    assert_eq!(decide(&cleared, &id(7), &key(2)), Decision::Unknown);
    // A pairing never lifts a block.
    let mut p = peers.clone();
    assert_eq!(
        core_err(p.add(record(1, 1, PairingMethod::Qr)).unwrap_err()),
        honeylink_core::Error::PeerBlocked
    );
    assert_eq!(
        core_err(p.add(record(8, 2, PairingMethod::Qr)).unwrap_err()),
        honeylink_core::Error::PeerBlocked
    );
    assert_eq!(
        core_err(p.add(record(8, 3, PairingMethod::Qr)).unwrap_err()),
        honeylink_core::Error::KeyTrustedElsewhere
    );
    // Unpairing a blocked device would lift its block: refused.
    assert_eq!(
        core_err(p.remove(&id(1)).unwrap_err()),
        honeylink_core::Error::PeerBlocked
    );
    TrustedPeers::update(&home, |p| {
        p.unblock_device(&id(1))?;
        assert!(p.unblock_key(&key(2)));
        p.remove(&id(3))
    })
    .unwrap();
    let peers = TrustedPeers::load(&home).unwrap();
    assert_eq!(decide(&peers, &id(1), &key(1)), Decision::Trusted);
    assert_eq!(decide(&peers, &id(2), &key(2)), Decision::Trusted);
    // Unpaired (spec 8.1): the next attempt is an untrusted device.
    assert_eq!(decide(&peers, &id(3), &key(3)), Decision::Unknown);
}

#[test]
fn key_change_block_reverify_and_trust_new() {
    let (_dir, home) = home();
    TrustedPeers::update(&home, |p| {
        p.add(record(1, 1, PairingMethod::Qr))?;
        p.add(record(2, 2, PairingMethod::Qr))
    })
    .unwrap();

    // A pairing that brings a new key for a known id is refused until the
    // person chose to re-verify.
    let err = TrustedPeers::update(&home, |p| p.add(record(1, 5, PairingMethod::Pin)));
    assert_eq!(
        core_err(err.unwrap_err()),
        honeylink_core::Error::KeyChangeNotApproved
    );

    // Block: the old key stays, the new one is blocked under any id.
    TrustedPeers::update(&home, |p| {
        assert_eq!(
            core_err(p.note_key_change(&id(1), key(1)).unwrap_err()),
            honeylink_core::Error::NotAKeyChange
        );
        p.note_key_change(&id(1), key(5))
    })
    .unwrap();
    let peers = TrustedPeers::load(&home).unwrap();
    assert_eq!(peers.get(&id(1)).unwrap().record.pending_key, Some(key(5)));
    TrustedPeers::update(&home, |p| {
        p.resolve_key_change(&id(1), &key(5), KeyChangeAction::Block)
    })
    .unwrap();
    let peers = TrustedPeers::load(&home).unwrap();
    assert_eq!(peers.get(&id(1)).unwrap().record.pending_key, None);
    assert_eq!(decide(&peers, &id(1), &key(1)), Decision::Trusted);
    assert_eq!(decide(&peers, &id(1), &key(5)), Decision::Blocked);
    assert_eq!(decide(&peers, &id(9), &key(5)), Decision::Blocked);

    // Re-verify: the next pairing may replace the key.
    TrustedPeers::update(&home, |p| {
        p.note_key_change(&id(1), key(6))?;
        p.resolve_key_change(&id(1), &key(6), KeyChangeAction::Reverify)
    })
    .unwrap();
    TrustedPeers::update(&home, |p| p.add(record(1, 6, PairingMethod::Pin))).unwrap();
    let peers = TrustedPeers::load(&home).unwrap();
    assert_eq!(decide(&peers, &id(1), &key(6)), Decision::Trusted);
    assert!(!decide(&peers, &id(1), &key(1)).is_trusted());
    assert!(!peers.get(&id(1)).unwrap().record.reverify_requested);

    // Trust new key: replaced at once; but never another peer's key or a
    // blocked one.
    TrustedPeers::update(&home, |p| {
        p.note_key_change(&id(2), key(1))?;
        p.resolve_key_change(&id(2), &key(1), KeyChangeAction::TrustNewKey)
    })
    .unwrap();
    let peers = TrustedPeers::load(&home).unwrap();
    assert_eq!(decide(&peers, &id(2), &key(1)), Decision::Trusted);
    assert!(!decide(&peers, &id(2), &key(2)).is_trusted());
    let mut p = peers.clone();
    p.note_key_change(&id(2), key(6)).unwrap();
    assert_eq!(
        core_err(
            p.resolve_key_change(&id(2), &key(6), KeyChangeAction::TrustNewKey)
                .unwrap_err()
        ),
        honeylink_core::Error::KeyTrustedElsewhere
    );
    p.note_key_change(&id(2), key(5)).unwrap();
    assert_eq!(
        core_err(
            p.resolve_key_change(&id(2), &key(6), KeyChangeAction::TrustNewKey)
                .unwrap_err()
        ),
        honeylink_core::Error::PendingKeyChanged
    );
    assert_eq!(
        core_err(
            p.resolve_key_change(&id(2), &key(5), KeyChangeAction::TrustNewKey)
                .unwrap_err()
        ),
        honeylink_core::Error::PeerBlocked
    );
    assert_eq!(
        core_err(
            p.resolve_key_change(&id(9), &key(5), KeyChangeAction::Block)
                .unwrap_err()
        ),
        honeylink_core::Error::PeerNotFound
    );
    let mut p = peers;
    assert_eq!(
        core_err(
            p.resolve_key_change(&id(2), &key(5), KeyChangeAction::Block)
                .unwrap_err()
        ),
        honeylink_core::Error::NoPendingKey
    );
}

#[test]
fn lookup_rename_and_unpair_all() {
    let (_dir, home) = home();
    TrustedPeers::update(&home, |p| {
        for n in 1..=3 {
            p.add(record(n, n, PairingMethod::Qr))?;
        }
        p.rename(&id(2), DeviceName::new("Kitchen tablet")?)?;
        p.block_device(&id(3))
    })
    .unwrap();
    let peers = TrustedPeers::load(&home).unwrap();
    // id(n) = n as 4 big-endian bytes then 0x5a...: "00000002-5a5a-..."
    assert_eq!(peers.find("00000002").unwrap().record.id, id(2));
    assert_eq!(peers.find("000000025A5A").unwrap().record.id, id(2));
    assert_eq!(peers.find("00000002-5a5a").unwrap().record.id, id(2));
    assert_eq!(peers.find("Kitchen tablet").unwrap().record.id, id(2));
    assert_eq!(peers.find("device 1").unwrap().record.id, id(1));
    match peers.find("0000000") {
        Err(Error::AmbiguousPeer { matches, .. }) => assert_eq!(matches.len(), 3),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        peers.find("ffff"),
        Err(Error::PeerNotFound { .. })
    ));
    assert!(matches!(peers.find(""), Err(Error::PeerNotFound { .. })));
    assert!(matches!(
        peers.find("kitchen tablet"),
        Err(Error::PeerNotFound { .. })
    ));

    let removed = TrustedPeers::update(&home, |p| Ok(p.unpair_all())).unwrap();
    assert_eq!(removed.len(), 2);
    let peers = TrustedPeers::load(&home).unwrap();
    assert_eq!(peers.len(), 1, "the blocked device stays blocked");
    assert_eq!(decide(&peers, &id(3), &key(3)), Decision::Blocked);
    assert_eq!(decide(&peers, &id(1), &key(1)), Decision::Unknown);
}

/// Writes `text` as the peers file (0600) and checks that loading and
/// updating both fail with a corrupt-file error naming it, leaving every
/// file as it was.
fn assert_corrupt(home: &Home, text: &str, detail: &str) {
    let path = home.trusted_peers_path();
    fs::write(&path, text).unwrap();
    chmod(&path, 0o600);
    let _ = home.lock().unwrap();
    let before = snapshot(home.root());
    for err in [
        TrustedPeers::load(home).unwrap_err(),
        TrustedPeers::update(home, |p| p.add(record(40, 40, PairingMethod::Qr))).unwrap_err(),
    ] {
        match &err {
            Error::Corrupt { path: p, detail: d } => {
                assert_eq!(p, &path);
                assert!(d.contains(detail), "{detail:?} not in {d:?}");
                assert!(err.to_string().contains("trusted_peers.json"), "{err}");
            }
            other => panic!("expected corrupt ({detail}), got {other:?}"),
        }
    }
    assert_eq!(snapshot(home.root()), before);
}

#[test]
fn corrupt_files_are_refused_and_left_as_they_were() {
    let (_dir, home) = home();
    TrustedPeers::update(&home, |p| {
        p.add(record(1, 1, PairingMethod::Qr))?;
        p.add(record(2, 2, PairingMethod::Qr))?;
        p.note_key_change(&id(2), key(4))?;
        p.block_key(key(3));
        Ok(())
    })
    .unwrap();
    let good = fs::read_to_string(home.trusted_peers_path()).unwrap();
    let k1 = base64ct_encode(key(1).as_bytes());
    let k2 = base64ct_encode(key(2).as_bytes());
    let fp1 = Fingerprint::of(&key(1)).to_string();
    let fp2 = Fingerprint::of(&key(2)).to_string();

    assert_corrupt(&home, "", "not a peers file");
    assert_corrupt(&home, &good[..good.len() / 2], "not a peers file");
    assert_corrupt(&home, "{\"version\": 1", "not a peers file");
    assert_corrupt(&home, "[]", "not a peers file");
    assert_corrupt(
        &home,
        &good.replace("\"version\": 1", "\"version\": 2"),
        "version 2",
    );
    assert_corrupt(
        &home,
        &good.replace("\"peers\"", "\"peers_\""),
        "unknown field",
    );
    // Invalid key bytes: the all-zero key has small order.
    let zero = base64ct_encode(&[0u8; 32]);
    assert_corrupt(&home, &good.replace(&k1, &zero), "public key");
    assert_corrupt(&home, &good.replace(&k1, "not base64!"), "base64");
    assert_corrupt(
        &home,
        &good.replace(&k1, &base64ct_encode(&[9u8; 31])),
        "32 bytes",
    );
    // A fingerprint that is not its key's.
    assert_corrupt(
        &home,
        &good.replace(&fp1, &fp2),
        "fingerprint does not match",
    );
    // Two records for one id, or one key.
    let twice_id = good.replace(&id(2).to_string(), &id(1).to_string());
    assert_corrupt(&home, &twice_id, "id listed twice");
    let twice_key = good.replace(&k2, &k1).replace(&fp2, &fp1);
    assert_corrupt(&home, &twice_key, "key trusted for another peer");
    assert_corrupt(
        &home,
        &good.replace("2026-01-01T00:00:01Z", "2026-02-30T00:00:01Z"),
        "RFC 3339",
    );
    assert_corrupt(
        &home,
        &good.replace("\"qr\"", "\"bluetooth\""),
        "unknown variant",
    );
    assert_corrupt(&home, &good.replace("\"device 1\"", "\"\""), "name");
}

fn base64ct_encode(bytes: &[u8]) -> String {
    use base64ct::Encoding;
    base64ct::Base64::encode_string(bytes)
}

#[test]
fn unsafe_files_get_their_specific_error_and_stay() {
    let (dir, home) = home();
    TrustedPeers::update(&home, |p| p.add(record(1, 1, PairingMethod::Qr))).unwrap();
    let path = home.trusted_peers_path();
    let attempt = |home: &Home| {
        (
            TrustedPeers::load(home).unwrap_err(),
            TrustedPeers::update(home, |p| p.add(record(2, 2, PairingMethod::Qr))).unwrap_err(),
        )
    };

    // Wrong permissions.
    chmod(&path, 0o644);
    let before = snapshot(home.root());
    let (a, b) = attempt(&home);
    assert!(
        matches!(a, Error::TooOpen { .. }) && matches!(b, Error::TooOpen { .. }),
        "{a} / {b}"
    );
    assert_eq!(snapshot(home.root()), before);
    chmod(&path, 0o600);

    // Oversized.
    let saved = fs::read(&path).unwrap();
    let big = fs::File::options().append(true).open(&path).unwrap();
    big.set_len(MAX_PEERS_FILE_LEN + 1).unwrap();
    let before = snapshot(home.root());
    let (a, b) = attempt(&home);
    assert!(
        matches!(a, Error::TooLarge { .. }) && matches!(b, Error::TooLarge { .. }),
        "{a} / {b}"
    );
    assert_eq!(snapshot(home.root()), before);
    fs::write(&path, &saved).unwrap();

    // A symbolic link.
    let elsewhere = dir.path().join("elsewhere.json");
    fs::rename(&path, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
    let before = snapshot(home.root());
    let (a, b) = attempt(&home);
    assert!(
        matches!(a, Error::Symlink { .. }) && matches!(b, Error::Symlink { .. }),
        "{a} / {b}"
    );
    assert_eq!(snapshot(home.root()), before);
    assert_eq!(fs::read(&elsewhere).unwrap(), saved);
    fs::remove_file(&path).unwrap();

    // A directory where the file should be.
    fs::create_dir(&path).unwrap();
    let before = snapshot(home.root());
    let (a, b) = attempt(&home);
    assert!(
        matches!(a, Error::NotAFile { .. }) && matches!(b, Error::NotAFile { .. }),
        "{a} / {b}"
    );
    assert_eq!(snapshot(home.root()), before);
}

/// The longest entry HoneyLink can write, times 10,000, fits the read limit
/// with a margin of four.
#[test]
fn the_size_bound_fits_ten_thousand_worst_case_peers() {
    let (_dir, home) = home();
    // 32 bytes of a character JSON escapes as 6 bytes, and a pending key.
    let name = "\"".repeat(32);
    TrustedPeers::update(&home, |p| {
        let mut r = record(1, 1, PairingMethod::Pin);
        r.name = DeviceName::new(&name)?;
        p.add(r)?;
        p.note_key_change(&id(1), key(2))?;
        p.block_device(&id(1))
    })
    .unwrap();
    let one = fs::metadata(home.trusted_peers_path()).unwrap().len();
    assert!(one < 1000, "{one}");
    assert!(one * 10_000 * 4 < MAX_PEERS_FILE_LEN, "{one}");
}

/// 10,000 peers: written, read back, and decided on quickly (hash maps, not
/// a scan per decision).
#[test]
fn ten_thousand_peers() {
    let (_dir, home) = home();
    let started = std::time::Instant::now();
    TrustedPeers::update(&home, |p| {
        for n in 0..10_000 {
            p.add(record(n, n, PairingMethod::Qr))?;
        }
        Ok(())
    })
    .unwrap();
    let written = started.elapsed();
    let started = std::time::Instant::now();
    let peers = TrustedPeers::load(&home).unwrap();
    let loaded = started.elapsed();
    assert_eq!(peers.len(), 10_000);
    let size = fs::metadata(home.trusted_peers_path()).unwrap().len();
    assert!(size * 4 < MAX_PEERS_FILE_LEN, "{size}");

    let probes: Vec<_> = (0..10_000).step_by(97).map(|n| (id(n), key(n))).collect();
    let started = std::time::Instant::now();
    for _ in 0..10 {
        for (i, k) in &probes {
            assert_eq!(decide(&peers, i, k), Decision::Trusted);
        }
    }
    let per_decision = started.elapsed() / (10 * probes.len() as u32);
    eprintln!(
        "10,000 peers: file {size} bytes, add+write {written:?}, load {loaded:?}, \
         {per_decision:?} per decision"
    );
    // A linear scan of 10,000 records in a debug build takes tens of
    // microseconds; a hash lookup takes well under ten.
    assert!(
        per_decision < std::time::Duration::from_micros(20),
        "{per_decision:?}"
    );
    // One more change is another full read-modify-write.
    TrustedPeers::update(&home, |p| p.remove(&id(5_000))).unwrap();
    assert_eq!(TrustedPeers::load(&home).unwrap().len(), 9_999);
}

#[test]
fn the_last_known_address_is_optional_kept_and_checked() {
    let (_dir, home) = home();
    TrustedPeers::update(&home, |p| p.add(record(1, 1, PairingMethod::Qr))).unwrap();
    // A file written without addresses (as before they existed) reads.
    let old = fs::read_to_string(home.trusted_peers_path()).unwrap();
    assert!(!old.contains("\"address\""), "{old}");
    assert_eq!(
        TrustedPeers::load(&home)
            .unwrap()
            .get(&id(1))
            .unwrap()
            .address,
        None
    );
    let addr: std::net::SocketAddr = "192.0.2.7:7300".parse().unwrap();
    let changed = TrustedPeers::update(&home, |p| p.set_address(&id(1), addr)).unwrap();
    assert!(changed);
    let again = TrustedPeers::update(&home, |p| p.set_address(&id(1), addr)).unwrap();
    assert!(!again, "the same address changes nothing");
    let peers = TrustedPeers::load(&home).unwrap();
    assert_eq!(peers.get(&id(1)).unwrap().address, Some(addr));
    // Pairing again with the same key keeps the address.
    TrustedPeers::update(&home, |p| p.add(record(1, 1, PairingMethod::Pin))).unwrap();
    assert_eq!(
        TrustedPeers::load(&home)
            .unwrap()
            .get(&id(1))
            .unwrap()
            .address,
        Some(addr)
    );
    let good = fs::read_to_string(home.trusted_peers_path()).unwrap();
    assert!(good.contains("\"address\": \"192.0.2.7:7300\""), "{good}");
    assert_corrupt(
        &home,
        &good.replace("192.0.2.7:7300", "example.org:7300"),
        "not an IP address and port",
    );
    // An unknown peer has no address to set.
    let missing = TrustedPeers::new().set_address(&id(9), addr);
    assert!(matches!(
        missing,
        Err(Error::Core(honeylink_core::Error::PeerNotFound))
    ));
}
