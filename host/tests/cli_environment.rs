//! End to end: what the CLI takes from its environment, the home
//! (`HONEYLINK_HOME`, `HOME`) and the passphrase (`HONEYLINK_PASSPHRASE`).
//! Tests cannot set their own process's environment, so these run the
//! binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cli_support;

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use cli_support::{Dev, error_of, json_of, text};

/// A home directory at `root` whose keys go to files (no keychain probed).
fn prepared_home(root: &Path) {
    std::fs::create_dir_all(root).unwrap();
    std::fs::set_permissions(root, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    std::fs::write(root.join("config.toml"), "storage = \"file\"\n").unwrap();
}

/// Runs the binary with only these of the variables that name a home.
fn run_with(vars: &[(&str, &OsStr)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_honeylink"));
    command
        .args(args)
        .env_remove("HONEYLINK_HOME")
        .env_remove("HOME")
        .env_remove("HONEYLINK_PASSPHRASE")
        .env("HONEYLINK_TIMEOUT_MS", cli_support::TIMEOUT_MS)
        .stdin(Stdio::null());
    for (name, value) in vars {
        command.env(name, value);
    }
    command.output().unwrap()
}

/// The home is `--home`, else `HONEYLINK_HOME` (unless empty), else
/// `$HOME/.honeylink` (unless `HOME` is empty); with neither, a clear
/// error.
#[test]
fn the_home_comes_from_the_flag_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let named = dir.path().join("named");
    let user = dir.path().join("user");
    let flag = dir.path().join("flag");
    for root in [&named, &user.join(".honeylink"), &flag] {
        prepared_home(root);
    }
    let init = |vars: &[(&str, &OsStr)], args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--json", "init", "--name", "Laptop"]);
        let out = run_with(vars, &all);
        assert!(out.status.success(), "{}", text(&out));
    };
    let empty = OsStr::new("");
    // HONEYLINK_HOME first, even with HOME set.
    init(
        &[
            ("HONEYLINK_HOME", named.as_os_str()),
            ("HOME", user.as_os_str()),
        ],
        &[],
    );
    assert!(named.join("identity.json").is_file());
    assert!(!user.join(".honeylink/identity.json").exists());
    // An empty HONEYLINK_HOME is unset: $HOME/.honeylink.
    init(
        &[("HONEYLINK_HOME", empty), ("HOME", user.as_os_str())],
        &[],
    );
    assert!(user.join(".honeylink/identity.json").is_file());
    // The flag over both.
    let flag_arg = flag.to_str().unwrap();
    init(
        &[
            ("HONEYLINK_HOME", named.as_os_str()),
            ("HOME", user.as_os_str()),
        ],
        &["--home", flag_arg],
    );
    assert!(flag.join("identity.json").is_file());
    // Neither (or both empty): refused, saying what to set.
    for vars in [&[][..], &[("HONEYLINK_HOME", empty), ("HOME", empty)][..]] {
        let out = run_with(vars, &["--json", "id"]);
        assert!(!out.status.success(), "{}", text(&out));
        let message = error_of(&out)["message"].as_str().unwrap().to_owned();
        assert!(message.starts_with("no home directory"), "{message}");
    }
}

/// `HONEYLINK_PASSPHRASE` encrypts the key files `init` writes, and every
/// later command needs it: without it (or with it empty, which means none)
/// the error says to set it, a wrong one is refused, and the files are left
/// as they were.
#[test]
fn a_passphrase_from_the_environment_encrypts_the_key_files() {
    let dev = Dev::blank();
    let run = |args: &[&str], passphrase: Option<&str>| {
        let mut command = dev.command(args);
        match passphrase {
            Some(p) => command.env("HONEYLINK_PASSPHRASE", p),
            None => command.env_remove("HONEYLINK_PASSPHRASE"),
        };
        command.output().unwrap()
    };
    let init = run(
        &["--json", "init", "--name", "Laptop"],
        Some("correct horse"),
    );
    assert!(init.status.success(), "{}", text(&init));
    let device_id = json_of(&init)["device_id"].clone();
    let files = ["device_key.pem", "signing_key.pem"].map(|name| dev.home.join("keys").join(name));
    let before = files.clone().map(|path| std::fs::read(path).unwrap());
    for pem in &before {
        assert!(
            pem.starts_with(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n"),
            "{}",
            String::from_utf8_lossy(pem)
        );
    }
    for missing in [None, Some("")] {
        let out = run(&["--json", "id"], missing);
        assert_eq!(out.status.code(), Some(5), "{}", text(&out));
        let message = error_of(&out)["message"].as_str().unwrap().to_owned();
        assert!(message.contains("set HONEYLINK_PASSPHRASE"), "{message}");
    }
    let wrong = run(&["--json", "id"], Some("wrong horse"));
    assert_eq!(wrong.status.code(), Some(5), "{}", text(&wrong));
    let message = error_of(&wrong)["message"].as_str().unwrap().to_owned();
    assert!(message.contains("wrong passphrase"), "{message}");
    let right = run(&["--json", "id"], Some("correct horse"));
    assert!(right.status.success(), "{}", text(&right));
    assert_eq!(json_of(&right)["device_id"], device_id);
    for (path, bytes) in files.iter().zip(&before) {
        assert_eq!(&std::fs::read(path).unwrap(), bytes, "{}", path.display());
    }
}
