//! End to end: `init`, `id`, `peers`, `--help`, exit codes, JSON errors,
//! `completions`, `doctor`, `audit`, `metrics`, `demo`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cli_support;

use cli_support::{Dev, error_of, json_of, text};

#[test]
fn init_creates_once_and_shows_the_same_identity_after() {
    let dev = Dev::blank();
    let first = dev.run(&["--json", "init", "--name", "Laptop"]);
    assert!(first.status.success(), "{}", text(&first));
    let first = json_of(&first);
    assert_eq!(first["created_now"], true);
    assert_eq!(first["name"], "Laptop");
    assert_eq!(first["keys"], "file");
    let again = json_of(&dev.run(&["--json", "init", "--name", "Other"]));
    assert_eq!(again["created_now"], false);
    assert_eq!(again["device_id"], first["device_id"]);
    assert_eq!(again["fingerprint"], first["fingerprint"]);
    assert_eq!(again["name"], "Laptop");
    let id = dev.id();
    assert_eq!(id["device_id"], first["device_id"]);
    // For people: the fingerprint in its groups, and where the keys are.
    let human = dev.run(&["id"]);
    let out = String::from_utf8_lossy(&human.stdout);
    assert!(
        out.contains(first["fingerprint"].as_str().unwrap()),
        "{out}"
    );
    assert!(out.contains("in files under"), "{out}");
}

#[test]
fn help_documents_the_exit_codes() {
    let dev = Dev::blank();
    let out = dev.run(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for line in [
        "0  success",
        "2  usage error",
        "3  refused by trust",
        "4  pairing failed",
        "5  storage error",
        "6  network or I/O error",
    ] {
        assert!(help.contains(line), "{help}");
    }
}

#[test]
fn exit_codes_and_json_errors() {
    let dev = Dev::blank();
    // Usage: an unknown command.
    assert_eq!(dev.run(&["frobnicate"]).status.code(), Some(2));
    // No identity yet: a usage error that says what to run, as JSON.
    let out = dev.run(&["--json", "id"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let error = error_of(&out);
    assert_eq!(error["kind"], "usage");
    assert_eq!(error["exit_code"], 2);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("honeylink init")
    );
    assert!(out.stdout.is_empty());
    // Storage: a world-readable home is refused.
    let dev = Dev::new("Laptop");
    std::fs::set_permissions(
        &dev.home,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let out = dev.run(&["--json", "id"]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert_eq!(error_of(&out)["kind"], "storage");
    std::fs::set_permissions(
        &dev.home,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    // Network: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = dev.run(&["--json", "connect", &port.to_string(), "--message", "x"]);
    assert_eq!(out.status.code(), Some(6), "{}", text(&out));
    assert_eq!(error_of(&out)["kind"], "network");
    // A peer that does not exist.
    let out = dev.run(&["--json", "peers", "show", "nobody"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // Rotation and destruction need a confirmation: no terminal, no --yes.
    let out = dev.run(&["--json", "rotate"]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out));
    assert_eq!(error_of(&out)["kind"], "declined");
    let out = dev.run(&["--json", "destroy"]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out));
    assert!(dev.id()["device_id"].is_string(), "nothing was destroyed");
}

#[test]
fn peers_audit_metrics_and_doctor_on_a_fresh_device() {
    let dev = Dev::new("Laptop");
    let peers = dev.peers();
    assert_eq!(peers["peers"].as_array().unwrap().len(), 0);
    let verify = json_of(&dev.run(&["--json", "audit", "verify"]));
    assert_eq!(verify["verified"], true);
    assert_eq!(verify["records"], 2, "genesis and the key's generation");
    let show = json_of(&dev.run(&["--json", "audit", "show", "--since", "1h"]));
    let events: Vec<&str> = show["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    // Not a time or an age, a multi-byte last character included: a usage
    // error, never a panic.
    for bad in ["yesterday", "5é", "é", ""] {
        let out = dev.run(&["audit", "show", "--since", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", text(&out));
    }
    let metrics = dev.run(&["metrics", "--prometheus"]);
    assert!(String::from_utf8_lossy(&metrics.stdout).contains("# TYPE"));
    let doctor = dev.run(&["--json", "doctor"]);
    assert!(doctor.status.success(), "{}", text(&doctor));
    let doctor = json_of(&doctor);
    assert_eq!(doctor["ok"], true);
    let names: Vec<&str> = doctor["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    for check in [
        "home",
        "keys",
        "keychain",
        "trusted peers",
        "audit chain",
        "clock",
        "PIN pairing",
    ] {
        assert!(names.contains(&check), "{names:?}");
    }
    // A corrupt peers file: doctor says which and fails with storage.
    std::fs::write(dev.home.join("trusted_peers.json"), "{").unwrap();
    std::fs::set_permissions(
        dev.home.join("trusted_peers.json"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let doctor = dev.run(&["doctor"]);
    assert_eq!(doctor.status.code(), Some(5), "{}", text(&doctor));
    assert!(String::from_utf8_lossy(&doctor.stdout).contains("FAIL  trusted peers"));
}

#[test]
fn completions_are_printed_for_each_shell() {
    let dev = Dev::blank();
    for shell in ["bash", "zsh", "fish"] {
        let out = dev.run(&["completions", shell]);
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("honeylink"));
    }
}

#[test]
fn rotate_and_destroy_with_yes() {
    let dev = Dev::new("Laptop");
    let before = dev.id();
    let out = dev.run(&["--json", "--yes", "rotate", "--emergency"]);
    assert!(out.status.success(), "{}", text(&out));
    let rotated = json_of(&out);
    assert_eq!(rotated["old_fingerprint"], before["fingerprint"]);
    assert_ne!(rotated["new_fingerprint"], before["fingerprint"]);
    assert_eq!(dev.id()["fingerprint"], rotated["new_fingerprint"]);
    assert_eq!(
        json_of(&dev.run(&["--json", "audit", "verify"]))["verified"],
        true
    );
    let out = dev.run(&["--json", "--yes", "destroy"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(json_of(&out)["destroyed"], rotated["new_fingerprint"]);
    assert!(!dev.home.join("identity.json").exists());
    assert_eq!(dev.run(&["id"]).status.code(), Some(2));
}

#[test]
fn the_demo_runs_every_flow_in_a_few_seconds() {
    let dev = Dev::blank();
    let started = std::time::Instant::now();
    let out = dev.run(&["demo"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let narration = String::from_utf8_lossy(&out.stdout);
    for step in [
        "Created this device's identity.",
        "Paired with Phone",
        "received: \"hello from the laptop\"",
        "received: \"hello from the phone\"",
        "by PIN.",
        "Wrong PIN.",
        "PIN pairing is locked",
        "by NFC.",
        "Rotated (emergency).",
        "presented a different key",
        "received: \"are you there?\"",
        "Untrusted Device",
        "Audit chain verified",
        "Demo finished",
    ] {
        assert!(narration.contains(step), "missing {step:?}:\n{narration}");
    }
}
