//! End to end: every pairing method over loopback, and its failures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cli_support;

use std::os::unix::fs::PermissionsExt;

use cli_support::{Dev, error_of, json_of, pair_qr, text};

fn peer_ids(dev: &Dev) -> Vec<String> {
    dev.peers()["peers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn qr_pairing_stores_each_device_on_the_other() {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    let text = pair_qr(&laptop, &phone);
    assert!(text.starts_with("HL1:"));
    assert_eq!(peer_ids(&laptop), vec![phone.device_id()]);
    assert_eq!(peer_ids(&phone), vec![laptop.device_id()]);
    let peer = &laptop.peers()["peers"][0];
    assert_eq!(peer["name"], "Phone");
    assert_eq!(peer["method"], "qr");
    assert_eq!(peer["fingerprint"], phone.id()["fingerprint"]);
    // The code is used up: the laptop no longer answers it.
    let out = phone.run(&["--json", "--yes", "pair", "scan", &text]);
    assert_eq!(out.status.code(), Some(6), "{}", cli_support::text(&out));
}

#[test]
fn the_code_is_written_as_png_and_svg_and_is_version_7() {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    let png = laptop.home.join("code.png");
    let svg = laptop.home.join("code.svg");
    let running = laptop.spawn(&[
        "--json",
        "--yes",
        "pair",
        "qr",
        "--listen",
        "127.0.0.1:0",
        "--png",
        png.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    let code = running.event("code");
    assert_eq!(code["qr_version"], 7, "{code}");
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let svg_text = std::fs::read_to_string(&svg).unwrap();
    assert!(svg_text.contains("<svg"), "{svg_text}");
    for path in [&png, &svg] {
        assert_eq!(
            std::fs::metadata(path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let out = phone.run(&["--yes", "pair", "scan", code["text"].as_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(running.finish().0, 0);
}

#[test]
fn an_unused_code_expires() {
    let laptop = Dev::new("Laptop");
    let running = laptop.spawn(&[
        "--json",
        "--yes",
        "pair",
        "qr",
        "--listen",
        "127.0.0.1:0",
        "--ttl",
        "1",
    ]);
    running.event("code");
    let (status, err) = running.finish();
    assert_eq!(status, 4, "{err}");
    assert!(err.contains("\"kind\":\"pairing_failed\""), "{err}");
    let audit = json_of(&laptop.run(&["--json", "audit", "show"]));
    let failed = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["event"] == "pairing_failed");
    assert!(failed, "{audit}");
}

#[test]
fn a_code_taken_to_another_device_fails() {
    // The phone scans the laptop's code but is sent to the tablet, which
    // shows a code of its own: the tablet's handshake refuses it.
    let laptop = Dev::new("Laptop");
    let tablet = Dev::new("Tablet");
    let phone = Dev::new("Phone");
    let shown = laptop.spawn(&[
        "--json",
        "--yes",
        "pair",
        "qr",
        "--listen",
        "127.0.0.1:0",
        "--ttl",
        "3",
    ]);
    let other = tablet.spawn(&[
        "--json",
        "--yes",
        "pair",
        "qr",
        "--listen",
        "127.0.0.1:0",
        "--ttl",
        "3",
    ]);
    let code = shown.event("code");
    let tablet_addr = other.event("code")["address"].as_str().unwrap().to_owned();
    let out = phone.run(&[
        "--json",
        "--yes",
        "pair",
        "scan",
        code["text"].as_str().unwrap(),
        "--connect",
        &tablet_addr,
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert_eq!(error_of(&out)["refusal"], "pairing_failed");
    assert!(peer_ids(&phone).is_empty());
    assert_eq!(shown.finish().0, 4);
    assert_eq!(other.finish().0, 4);
}

#[test]
fn declining_on_the_showing_side_refuses_both() {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    // No --yes and no terminal: the laptop cannot ask, so it declines.
    let running = laptop.spawn(&["--json", "pair", "qr", "--listen", "127.0.0.1:0"]);
    let code = running.event("code");
    let out = phone.run(&[
        "--json",
        "--yes",
        "pair",
        "scan",
        code["text"].as_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert_eq!(error_of(&out)["refusal"], "declined");
    let (status, err) = running.finish();
    assert_eq!(status, 7, "{err}");
    assert!(peer_ids(&laptop).is_empty());
    assert!(peer_ids(&phone).is_empty());
}

#[test]
fn pin_pairing_with_the_pin_given_or_on_standard_input() {
    let laptop = Dev::new("Laptop");
    let tablet = Dev::new("Tablet");
    let phone = Dev::new("Phone");
    let running = laptop.spawn(&["--json", "--yes", "pair", "pin", "--listen", "127.0.0.1:0"]);
    let shown = running.event("pin");
    let pin = shown["pin"].as_str().unwrap();
    assert_eq!(pin.len(), 6);
    let addr = shown["address"].as_str().unwrap();
    let out = tablet.run(&[
        "--json",
        "--yes",
        "pair",
        "pin",
        "--connect",
        addr,
        "--pin",
        pin,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(json_of(&out)["method"], "pin");
    assert_eq!(running.finish().0, 0);
    assert_eq!(peer_ids(&laptop), vec![tablet.device_id()]);
    // Without --pin and without a terminal: one line of standard input.
    let running = laptop.spawn(&["--json", "--yes", "pair", "pin", "--listen", "127.0.0.1:0"]);
    let shown = running.event("pin");
    let out = phone.run_with_input(
        &[
            "--json",
            "--yes",
            "pair",
            "pin",
            "--connect",
            shown["address"].as_str().unwrap(),
        ],
        &format!("{}\n", shown["pin"].as_str().unwrap()),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(running.finish().0, 0);
    assert_eq!(peer_ids(&phone), vec![laptop.device_id()]);
}

fn wrong(pin: &str) -> String {
    let mut digits: Vec<u8> = pin.bytes().collect();
    digits[5] = if digits[5] == b'9' {
        b'0'
    } else {
        digits[5] + 1
    };
    String::from_utf8(digits).unwrap()
}

#[test]
fn wrong_pins_lock_pin_pairing_across_restarts() {
    let laptop = Dev::new("Laptop");
    let tablet = Dev::new("Tablet");
    // Three runs, each a new process: each wrong PIN ends its PIN.
    for _ in 0..3 {
        let running = laptop.spawn(&["--json", "--yes", "pair", "pin", "--listen", "127.0.0.1:0"]);
        let shown = running.event("pin");
        let out = tablet.run(&[
            "--json",
            "--yes",
            "pair",
            "pin",
            "--connect",
            shown["address"].as_str().unwrap(),
            "--pin",
            &wrong(shown["pin"].as_str().unwrap()),
        ]);
        assert_eq!(out.status.code(), Some(4), "{}", text(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains("\"kind\":\"pairing_failed\""));
        let (status, err) = running.finish();
        assert_eq!(status, 4, "{err}");
    }
    // A fourth process: locked, and it says until when.
    let out = laptop.run(&["--json", "--yes", "pair", "pin", "--listen", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("locked after repeated wrong PINs until"),
        "{stderr}"
    );
    let doctor = json_of(&laptop.run(&["--json", "doctor"]));
    let pin = doctor["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "PIN pairing")
        .unwrap()
        .clone();
    assert!(
        pin["detail"].as_str().unwrap().starts_with("locked until"),
        "{pin}"
    );
    assert!(peer_ids(&laptop).is_empty());
}

#[test]
fn nfc_pairing_from_a_written_record() {
    let phone = Dev::new("Phone");
    let tablet = Dev::new("Tablet");
    let record = phone.home.join("pair.ndef");
    let running = phone.spawn(&[
        "--json",
        "--yes",
        "pair",
        "nfc",
        "--write",
        record.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    let written = running.event("nfc_record");
    assert_eq!(written["file"], record.to_str().unwrap());
    let bytes = std::fs::read(&record).unwrap();
    assert_eq!(bytes[0] & 0x07, 0x04, "an NDEF external record");
    let out = tablet.run(&[
        "--json",
        "--yes",
        "pair",
        "nfc",
        "--read",
        record.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(json_of(&out)["method"], "nfc");
    assert_eq!(running.finish().0, 0);
    assert_eq!(peer_ids(&phone), vec![tablet.device_id()]);
    // A file that is not a record.
    std::fs::write(&record, b"not an NDEF message").unwrap();
    let out = tablet.run(&["--yes", "pair", "nfc", "--read", record.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn garbage_text_is_a_usage_error() {
    let phone = Dev::new("Phone");
    let out = phone.run(&["--json", "--yes", "pair", "scan", "HL1:NOTACODE"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = phone.run(&[
        "--json",
        "--yes",
        "pair",
        "pin",
        "--connect",
        "127.0.0.1:9",
        "--pin",
        "12a456",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn code_files_are_only_created_never_written_over_or_through_a_link() {
    let laptop = Dev::new("Laptop");
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("code.png");
    std::fs::write(&existing, b"world-readable").unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, b"keep me").unwrap();
    let link = dir.path().join("code.svg");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let record = dir.path().join("record.ndef");
    std::os::unix::fs::symlink(&victim, &record).unwrap();
    let attempts: [&[&str]; 3] = [
        &["--png", existing.to_str().unwrap()],
        &["--svg", link.to_str().unwrap()],
        &[],
    ];
    for (i, extra) in attempts.iter().enumerate() {
        let mut args = if i < 2 {
            vec![
                "--json",
                "pair",
                "qr",
                "--listen",
                "127.0.0.1:0",
                "--ttl",
                "5",
            ]
        } else {
            vec![
                "--json",
                "pair",
                "nfc",
                "--write",
                record.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
                "--ttl",
                "5",
            ]
        };
        args.extend_from_slice(extra);
        let out = laptop.run(&args);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            error_of(&out)["message"]
                .as_str()
                .unwrap()
                .contains("already exists"),
            "{}",
            text(&out)
        );
    }
    assert_eq!(std::fs::read(&existing).unwrap(), b"world-readable");
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
}

#[test]
fn a_pin_run_abandoned_after_the_answer_is_audited() {
    use getrandom::SysRng;
    use honeylink_core::identity::{DeviceIdentity, DeviceName};
    use honeylink_core::pairing::{LocalDevice, MAX_PAIRING_MESSAGE_LEN, Pin, PinInitiator};
    use honeylink_core::wire::PayloadFlags;
    use honeylink_host::transport::{Connection, Exchange, Timeouts};
    let laptop = Dev::new("Laptop");
    let running = laptop.spawn(&["--json", "--yes", "pair", "pin", "--listen", "127.0.0.1:0"]);
    let shown = running.event("pin");
    let addr = shown["address"].as_str().unwrap().parse().unwrap();
    // A guesser: a real hello, the responder's answer, then gone.
    let identity = DeviceIdentity::generate(&mut SysRng).unwrap();
    let local = LocalDevice {
        identity: &identity,
        name: DeviceName::new("Guesser").unwrap(),
        flags: PayloadFlags::empty(),
    };
    let mut out = [0u8; MAX_PAIRING_MESSAGE_LEN];
    let (initiator, n) =
        PinInitiator::start(local, Pin::parse("000000").unwrap(), &mut out, &mut SysRng).unwrap();
    let mut conn = Connection::connect(addr, Exchange::PinPairing, Timeouts::default()).unwrap();
    conn.send_message(&out[..n]).unwrap();
    conn.receive_message().unwrap();
    drop(initiator);
    drop(conn);
    let (status, err) = running.finish();
    assert_ne!(status, 0, "{err}");
    let audit = json_of(&laptop.run(&["--json", "audit", "show"]));
    let failed: Vec<_> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "pairing_failed")
        .collect();
    assert_eq!(failed.len(), 1, "{audit}");
}

#[test]
fn a_scanner_that_cannot_confirm_audits_its_refusal() {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    let running = laptop.spawn(&["--json", "--yes", "pair", "qr", "--listen", "127.0.0.1:0"]);
    let code = running.event("code");
    // No --yes and no terminal: the scanner cannot ask, so it declines.
    let out = phone.run(&["--json", "pair", "scan", code["text"].as_str().unwrap()]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out));
    running.kill();
    let audit = json_of(&phone.run(&["--json", "audit", "show"]));
    let failed: Vec<_> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "pairing_failed")
        .collect();
    assert_eq!(failed.len(), 1, "{audit}");
}
