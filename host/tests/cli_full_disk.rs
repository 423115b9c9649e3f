//! A full disk, simulated with a file-size limit (`ulimit -f`, with SIGXFSZ
//! ignored so a write past the limit fails with EFBIG instead of killing the
//! process): a command that cannot write gets a storage error, and every
//! file is either as it was or, for a rotation past its commit point, rolled
//! forward whole by the next command.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cli_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cli_support::{Dev, json_of, pair_qr, text};

/// Runs `honeylink --home <dev> args` with every file limited to `blocks`
/// blocks of 512 bytes (`sh` is dash here, which counts in 512-byte blocks).
fn run_limited(dev: &Dev, blocks: u64, args: &[&str]) -> Output {
    let program = dev.command(args).get_program().to_owned();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\""
        ))
        .arg(program)
        .arg("--home")
        .arg(&dev.home)
        .args(args)
        .env("HONEYLINK_TIMEOUT_MS", cli_support::TIMEOUT_MS)
        .env_remove("HONEYLINK_HOME")
        .stdin(std::process::Stdio::null());
    command.output().unwrap()
}

/// Every file under `dir` with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn largest(dir: &Path) -> u64 {
    files(dir).values().map(|b| b.len() as u64).max().unwrap()
}

#[test]
fn a_full_disk_is_a_storage_error_and_loses_nothing() {
    let laptop = Dev::new("Laptop");
    let phone = Dev::new("Phone");
    pair_qr(&laptop, &phone);

    // A change that rewrites the peers file: refused, nothing changed (the
    // lock file aside, which the command may create).
    let before = files(&phone.home);
    let out = run_limited(
        &phone,
        0,
        &["--json", "peers", "rename", "Laptop", "Big Laptop"],
    );
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert!(text(&out).contains("File too large"), "{}", text(&out));
    let after = files(&phone.home);
    for (path, bytes) in &before {
        assert_eq!(after.get(path), Some(bytes), "{} changed", path.display());
    }

    // Rotations under limits from one 512-byte block (dash counts `ulimit -f`
    // in 512-byte blocks) up to past the largest file: each stops at a
    // different write (journal, staged keys, identity, audit records, peers)
    // or succeeds. After each, the next command (no limit) finds the
    // identity whole, old or new, and the chain verifies.
    let id = json_of(&phone.run(&["--json", "id"]))["device_id"].clone();
    let mut failed = 0;
    for blocks in 1..=(largest(&phone.home) / 512 + 2) {
        let out = run_limited(&phone, blocks, &["--json", "--yes", "rotate"]);
        if !out.status.success() {
            failed += 1;
            assert_eq!(out.status.code(), Some(5), "{}", text(&out));
            assert!(text(&out).contains("File too large"), "{}", text(&out));
        }
        let verify = phone.run(&["--json", "audit", "verify"]);
        assert!(verify.status.success(), "limit {blocks}: {}", text(&verify));
        let doctor = phone.run(&["doctor"]);
        assert!(doctor.status.success(), "limit {blocks}: {}", text(&doctor));
        assert_eq!(json_of(&phone.run(&["--json", "id"]))["device_id"], id);
    }
    assert!(failed > 0, "no limit was small enough to fail a rotation");
    // The identity is complete: a rotation without a limit runs.
    let out = phone.run(&["--json", "--yes", "rotate"]);
    assert!(out.status.success(), "{}", text(&out));
    let verify = phone.run(&["--json", "audit", "verify"]);
    assert!(verify.status.success(), "{}", text(&verify));
}
