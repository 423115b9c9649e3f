//! End to end: sessions between paired devices, trust refusals, key
//! changes with each choice, and hostile connections to `listen`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cli_support;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use cli_support::{Dev, copy_private, error_of, events_of, listening, pair_qr, text};

fn listen(dev: &Dev, input: &str) -> cli_support::Running {
    dev.spawn_with_input(&["--json", "listen", "127.0.0.1:0", "--once"], Some(input))
}

fn connect(dev: &Dev, addr: &str, message: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["--json", "connect", addr, "--message", message];
    args.extend_from_slice(extra);
    dev.run(&args)
}

fn data(events: &[serde_json::Value]) -> String {
    events
        .iter()
        .filter(|e| e["event"] == "data")
        .map(|e| e["text"].as_str().unwrap())
        .collect()
}

#[test]
fn a_session_carries_data_both_ways() {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    pair_qr(&laptop, &phone);
    let running = listen(&laptop, "from the laptop\n");
    let addr = listening(&running);
    let out = connect(&phone, &addr, "from the phone\n", &[]);
    assert!(out.status.success(), "{}", text(&out));
    let events = events_of(&out);
    assert_eq!(data(&events), "from the laptop\n");
    let closed = events.iter().find(|e| e["event"] == "closed").unwrap();
    assert_eq!(closed["sent"], 15);
    assert_eq!(closed["received"], 16);
    let session = running.event("session");
    assert_eq!(session["peer"], phone.device_id());
    let received = running.event("data");
    assert_eq!(received["text"], "from the phone\n");
    assert_eq!(running.finish().0, 0);
}

#[test]
fn an_unpaired_device_is_refused_as_untrusted() {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    let stranger = Dev::new("Stranger");
    pair_qr(&laptop, &phone);
    // The laptop unpairs the phone; the phone still trusts the laptop.
    let out = laptop.run(&["--json", "peers", "remove", "Phone"]);
    assert!(out.status.success(), "{}", text(&out));
    let running = listen(&laptop, "");
    let addr = listening(&running);
    let out = connect(&phone, &addr, "hello?", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let error = error_of(&out);
    assert_eq!(error["refusal"], "untrusted_device");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("Untrusted Device")
    );
    assert!(data(&events_of(&out)).is_empty());
    let refused = running.event("refused");
    assert_eq!(refused["reason"], "untrusted_device");
    let (status, _) = running.finish();
    assert_eq!(status, 3, "--once ends with the refusal");
    // A stranger refuses the laptop itself, before sending its identity.
    let running = listen(&laptop, "");
    let addr = listening(&running);
    let out = connect(&stranger, &addr, "hello?", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(error_of(&out)["reason"], "Untrusted");
    running.kill();
    let metrics = cli_support::json_of(&laptop.run(&["--json", "metrics"]));
    assert!(metrics.to_string().contains("untrusted"), "{metrics}");
}

#[test]
fn a_blocked_device_is_refused() {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    pair_qr(&laptop, &phone);
    assert!(laptop.run(&["peers", "block", "Phone"]).status.success());
    assert_eq!(laptop.peers()["peers"][0]["state"], "blocked");
    let running = listen(&laptop, "");
    let addr = listening(&running);
    let out = connect(&phone, &addr, "hello?", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(error_of(&out)["refusal"], "blocked");
    assert_eq!(running.finish().0, 3);
    assert!(laptop.run(&["peers", "unblock", "Phone"]).status.success());
    let running = listen(&laptop, "");
    let addr = listening(&running);
    let out = connect(&phone, &addr, "hello?", &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(running.finish().0, 0);
}

/// The laptop trusts the phone; the phone rotates its keys and listens.
fn rotated_phone() -> (Dev, Dev) {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    pair_qr(&laptop, &phone);
    let out = phone.run(&["--yes", "rotate", "--emergency"]);
    assert!(out.status.success(), "{}", text(&out));
    (laptop, phone)
}

#[test]
fn a_changed_key_is_blocked_without_a_terminal() {
    let (laptop, phone) = rotated_phone();
    let new_fingerprint = phone.id()["fingerprint"].clone();
    let running = listen(&phone, "");
    let addr = listening(&running);
    let out = connect(&laptop, &addr, "hello?", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let events = events_of(&out);
    let change = events.iter().find(|e| e["event"] == "key_change").unwrap();
    assert_eq!(change["action"], "block");
    assert_eq!(change["new_fingerprint"], new_fingerprint);
    assert!(String::from_utf8_lossy(&out.stderr).contains("presented a different key"));
    let peers = laptop.peers();
    assert_eq!(peers["blocked_keys"][0], new_fingerprint);
    assert_ne!(
        peers["peers"][0]["fingerprint"], new_fingerprint,
        "old key kept"
    );
    // The next try is refused at once: the key is blocked.
    let out = connect(&laptop, &addr, "hello?", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(error_of(&out)["reason"], "Blocked");
    running.kill();
}

#[test]
fn a_changed_key_trusted_on_request() {
    let (laptop, phone) = rotated_phone();
    let new_fingerprint = phone.id()["fingerprint"].clone();
    let running = listen(&phone, "");
    let addr = listening(&running);
    let out = connect(&laptop, &addr, "hello?", &["--on-key-change", "trust"]);
    // The laptop trusts the new key and connects again; the phone, which
    // unpaired everyone when it rotated, refuses it as untrusted.
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(error_of(&out)["refusal"], "untrusted_device");
    assert_eq!(laptop.peers()["peers"][0]["fingerprint"], new_fingerprint);
    running.kill();
}

#[test]
fn a_changed_key_reverified_by_pairing_again() {
    let (laptop, phone) = rotated_phone();
    let new_fingerprint = phone.id()["fingerprint"].clone();
    let running = listen(&phone, "");
    let addr = listening(&running);
    let out = connect(&laptop, &addr, "hello?", &["--on-key-change", "reverify"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let peer = laptop.peers()["peers"][0].clone();
    assert_eq!(peer["reverify_requested"], true);
    assert_eq!(peer["pending_fingerprint"], new_fingerprint);
    // Pairing again proves the new key; then sessions work both ways.
    pair_qr(&phone, &laptop);
    assert_eq!(laptop.peers()["peers"][0]["fingerprint"], new_fingerprint);
    let out = connect(&laptop, &addr, "hello again\n", &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(running.finish().0, 0);
}

#[test]
fn a_changed_key_is_refused_by_the_listener_and_kept_for_trust_new() {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    pair_qr(&laptop, &phone);
    // The phone rotates, but (restored from a backup) still trusts the
    // laptop: it connects with its new key.
    let saved = phone.home.join("peers.saved");
    copy_private(&phone.home.join("trusted_peers.json"), &saved);
    assert!(phone.run(&["--yes", "rotate"]).status.success());
    copy_private(&saved, &phone.home.join("trusted_peers.json"));
    let new_fingerprint = phone.id()["fingerprint"].clone();
    let running = listen(&laptop, "");
    let addr = listening(&running);
    let out = connect(&phone, &addr, "hello?", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(error_of(&out)["refusal"], "key_changed");
    let refused = running.event("refused");
    assert_eq!(refused["reason"], "key_changed");
    assert_eq!(refused["fingerprint"], new_fingerprint);
    assert_eq!(running.finish().0, 3);
    assert_eq!(
        laptop.peers()["peers"][0]["pending_fingerprint"],
        new_fingerprint
    );
    // Without a terminal trust-new needs --yes; with it the key is trusted.
    assert_eq!(
        laptop.run(&["peers", "trust-new", "Phone"]).status.code(),
        Some(7)
    );
    let out = laptop.run(&["--yes", "peers", "trust-new", "Phone"]);
    assert!(out.status.success(), "{}", text(&out));
    let running = listen(&laptop, "");
    let addr = listening(&running);
    let out = connect(&phone, &addr, "hello", &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(running.finish().0, 0);
}

#[test]
fn garbage_vanishing_and_stalled_peers_are_dropped_while_others_are_served() {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    pair_qr(&laptop, &phone);
    let running = laptop.spawn_with_input(&["--json", "listen", "127.0.0.1:0"], Some(""));
    let addr = listening(&running);
    // Garbage instead of a preamble.
    let mut garbage = TcpStream::connect(&addr).unwrap();
    garbage.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let dropped = running.event("dropped");
    assert!(
        dropped["reason"]
            .as_str()
            .unwrap()
            .contains("not a HoneyLink connection"),
        "{dropped}"
    );
    // A peer that vanishes in the middle of the handshake.
    let mut vanishing = TcpStream::connect(&addr).unwrap();
    vanishing
        .write_all(b"HLNK\x01\x01\x00\x21\x01partial")
        .unwrap();
    drop(vanishing);
    let dropped = running.event("dropped");
    assert!(
        dropped["reason"]
            .as_str()
            .unwrap()
            .contains("in the middle of a message"),
        "{dropped}"
    );
    // A stalled peer: the phone is served meanwhile, and the stalled one
    // is dropped when its time is up.
    let stalled = TcpStream::connect(&addr).unwrap();
    let started = Instant::now();
    let out = connect(&phone, &addr, "hello", &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "not held up by the stalled peer"
    );
    running.event("session");
    let dropped = running.event("dropped");
    assert!(
        dropped["reason"].as_str().unwrap().contains("timed out"),
        "{dropped}"
    );
    drop(stalled);
    running.kill();
}

/// A loopback address with a port free now (for a listener that must come
/// back on the same address).
fn free_address() -> String {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().to_string()
}

#[test]
fn connect_by_name_uses_the_last_known_address_and_only_that_device() {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    let tablet = Dev::new("Tablet");
    let code = pair_qr(&laptop, &phone);
    // The scanner remembers the address the code named; the showing side
    // knows no address for the scanner.
    let payload_addr = phone.peers()["peers"][0]["address"].clone();
    assert!(payload_addr.is_string(), "{payload_addr} from {code}");
    let out = laptop.run(&["--json", "connect", "Phone", "--message", "hi"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        error_of(&out)["message"]
            .as_str()
            .unwrap()
            .contains("no address is known for Phone"),
        "{}",
        text(&out)
    );
    // A session by address records that address.
    let fixed = free_address();
    let running = laptop.spawn_with_input(&["--json", "listen", &fixed, "--once"], Some(""));
    assert_eq!(listening(&running), fixed);
    let out = connect(&phone, &fixed, "by address\n", &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(running.finish().0, 0);
    assert_eq!(phone.peers()["peers"][0]["address"], fixed.as_str());
    // Then by name, and by id prefix.
    let laptop_id = laptop.device_id();
    for name in ["Laptop", &laptop_id[..8]] {
        let running = laptop.spawn_with_input(&["--json", "listen", &fixed, "--once"], Some(""));
        listening(&running);
        let out = connect(&phone, name, "by name\n", &[]);
        assert!(out.status.success(), "{name}: {}", text(&out));
        assert_eq!(running.event("data")["text"], "by name\n");
        assert_eq!(running.finish().0, 0);
    }
    // Another paired device answering at the laptop's address is refused
    // before the phone says who it is.
    pair_qr(&tablet, &phone);
    let running = tablet.spawn_with_input(&["--json", "listen", &fixed, "--once"], Some(""));
    listening(&running);
    let out = connect(&phone, "Laptop", "for the laptop only\n", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        error_of(&out)["message"]
            .as_str()
            .unwrap()
            .contains(&format!("not {laptop_id}")),
        "{}",
        text(&out)
    );
    assert!(data(&events_of(&out)).is_empty());
    running.kill();
    // An unknown name is still an address to resolve: a usage error.
    let out = phone.run(&["--json", "connect", "Nobody", "--message", "x"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn a_flood_of_bad_connections_leaks_no_descriptors() {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    pair_qr(&laptop, &phone);
    // `listen` with few descriptors: each connection that came and went
    // must give its descriptors back, or accepting fails and it ends.
    let mut command = std::process::Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_honeylink"))
        .arg("--home")
        .arg(&laptop.home)
        .args(["--json", "listen", "127.0.0.1:0"])
        .env("HONEYLINK_TIMEOUT_MS", cli_support::TIMEOUT_MS)
        .env("HONEYLINK_IDLE_TIMEOUT_MS", "10000")
        .env_remove("HONEYLINK_HOME")
        .stdin(std::process::Stdio::null());
    let running = cli_support::Running::spawn(command);
    let addr = listening(&running);
    for _ in 0..300 {
        let mut garbage = TcpStream::connect(&addr).unwrap();
        let _ = garbage.write_all(b"GARBAGE!\r\n");
        drop(garbage);
        std::thread::sleep(Duration::from_millis(2));
    }
    let out = connect(&phone, &addr, "still there?\n", &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(running.event("data")["text"], "still there?\n");
    let err = running.kill();
    assert!(!err.contains("Too many open files"), "{err}");
}

#[test]
fn listen_without_once_sends_standard_input_to_the_first_session_only() {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    let tablet = Dev::new("Tablet");
    pair_qr(&laptop, &phone);
    pair_qr(&laptop, &tablet);
    let running =
        laptop.spawn_with_input(&["--json", "listen", "127.0.0.1:0"], Some("to the first\n"));
    let addr = listening(&running);
    let out = connect(&phone, &addr, "phone here\n", &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(data(&events_of(&out)), "to the first\n");
    let out = connect(&tablet, &addr, "tablet here\n", &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(data(&events_of(&out)), "", "standard input was read once");
    let mut received = Vec::new();
    for _ in 0..2 {
        received.push(running.event("data")["text"].as_str().unwrap().to_owned());
    }
    assert_eq!(received, ["phone here\n", "tablet here\n"]);
    running.kill();
}

#[test]
fn listen_once_ends_when_its_established_session_fails() {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    pair_qr(&laptop, &phone);
    // The listener's standard input stays open: it never ends the session
    // itself.
    let mut command = laptop.command(&["--json", "listen", "127.0.0.1:0", "--once"]);
    command.stdin(std::process::Stdio::piped());
    let running = cli_support::Running::spawn(command);
    let addr = listening(&running);
    let mut caller = phone.command(&["--json", "connect", &addr]);
    caller
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut caller = caller.spawn().unwrap();
    running.event("session");
    // The caller vanishes in the middle of the session.
    caller.kill().unwrap();
    caller.wait().unwrap();
    let failed = running.event("failed");
    assert_eq!(failed["peer"], phone.device_id());
    let (status, err) = running.finish();
    assert_eq!(status, 6, "{err}");
}

#[test]
fn a_second_changed_key_does_not_replace_the_pending_one_on_listen() {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    pair_qr(&laptop, &phone);
    let saved = phone.home.join("peers.saved");
    copy_private(&phone.home.join("trusted_peers.json"), &saved);
    // The phone's id with a first new key, then with another one (as an
    // impostor claiming the phone's id would present).
    let mut fingerprints = Vec::new();
    for _ in 0..2 {
        assert!(phone.run(&["--yes", "rotate"]).status.success());
        copy_private(&saved, &phone.home.join("trusted_peers.json"));
        fingerprints.push(phone.id()["fingerprint"].clone());
        let running = listen(&laptop, "");
        let addr = listening(&running);
        let out = connect(&phone, &addr, "hello?", &[]);
        assert_eq!(out.status.code(), Some(3), "{}", text(&out));
        let refused = running.event("refused");
        assert_eq!(refused["reason"], "key_changed");
        assert_eq!(refused["kept_pending"], fingerprints.len() == 1);
        assert_eq!(running.finish().0, 3);
    }
    assert_eq!(
        laptop.peers()["peers"][0]["pending_fingerprint"],
        fingerprints[0],
        "the first pending key stays"
    );
}

#[test]
fn a_handshake_trickled_frame_by_frame_is_cut_at_one_deadline() {
    use getrandom::SysRng;
    use honeylink_core::identity::DeviceIdentity;
    use honeylink_core::pairing::MAX_PAIRING_MESSAGE_LEN;
    use honeylink_core::session::SessionInitiator;
    use honeylink_core::wire::PayloadFlags;
    use std::io::Read;
    let laptop = Dev::new("Laptop");
    let running = laptop.spawn_with_input(&["--json", "listen", "127.0.0.1:0"], Some(""));
    let addr = listening(&running);
    let identity = DeviceIdentity::generate(&mut SysRng).unwrap();
    let mut wire = [0u8; MAX_PAIRING_MESSAGE_LEN];
    let (_initiator, n) =
        SessionInitiator::start(&identity, PayloadFlags::empty(), &mut wire, &mut SysRng).unwrap();
    let mut frame = u16::try_from(n + 1).unwrap().to_be_bytes().to_vec();
    frame.push(1);
    frame.extend_from_slice(&wire[..n]);
    // Each step within the per-frame waits (3 s here), the whole beyond.
    let started = Instant::now();
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(b"HLNK\x01\x01").unwrap();
    std::thread::sleep(Duration::from_millis(2000));
    slow.write_all(&frame[..1]).unwrap();
    std::thread::sleep(Duration::from_millis(2000));
    let _ = slow.write_all(&frame[1..]);
    slow.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut answer = [0u8; 64];
    let got = slow.read(&mut answer).unwrap_or(0);
    assert_eq!(got, 0, "no message 2 after the handshake's deadline");
    let dropped = running.event("dropped");
    assert!(
        dropped["reason"].as_str().unwrap().contains("timed out"),
        "{dropped}"
    );
    assert!(started.elapsed() < Duration::from_secs(7));
    running.kill();
}
