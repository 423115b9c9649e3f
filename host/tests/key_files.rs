//! The file backend against the real OpenSSL (`/usr/bin/openssl`): our PEM
//! files, plain and encrypted, read by `openssl pkey`; OpenSSL's files read
//! by us; and every kind of bad file refused with its own error, left as it
//! was.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::ed25519::SigningKey;
use honeylink_core::crypto::x25519::StaticSecret;
use honeylink_host::Error;
use honeylink_host::home::Home;
use honeylink_host::keys::{
    AUDIT_HEAD_LEN, FileStore, KeyFileProblem, Passphrase, SecretEntry, SecretStore,
};

const OPENSSL: &str = "/usr/bin/openssl";

fn home() -> (tempfile::TempDir, Home) {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::create(dir.path().join("h")).unwrap();
    (dir, home)
}

/// The public key of a 32-byte secret, computed by the core.
fn public_of(entry: SecretEntry, secret: &[u8; 32]) -> [u8; 32] {
    match entry {
        SecretEntry::DeviceKey => *StaticSecret::from_bytes(SecretBytes::new(*secret))
            .public_key()
            .as_bytes(),
        _ => *SigningKey::from_seed(&SecretBytes::new(*secret))
            .verifying_key()
            .as_bytes(),
    }
}

/// Runs openssl, asserting success; returns stdout.
fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new(OPENSSL).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The raw public key `openssl pkey` reads from a private key file: the
/// last 32 bytes of its DER SubjectPublicKeyInfo (RFC 8410: 12-byte header).
fn openssl_public(path: &Path, passphrase: Option<&str>) -> [u8; 32] {
    let path = path.to_str().unwrap();
    let pass = passphrase.map(|p| format!("pass:{p}"));
    let mut args = vec!["pkey", "-in", path, "-pubout", "-outform", "DER"];
    if let Some(pass) = &pass {
        args.extend(["-passin", pass.as_str()]);
    }
    let spki = openssl(&args);
    assert_eq!(spki.len(), 44, "an RFC 8410 SubjectPublicKeyInfo");
    spki[12..].try_into().unwrap()
}

fn have_openssl() -> bool {
    if Path::new(OPENSSL).exists() {
        return true;
    }
    eprintln!(
        "!!!!! SKIPPED: {OPENSSL} is missing; the OpenSSL interoperability checks did NOT run !!!!!"
    );
    false
}

#[test]
fn openssl_reads_our_plain_and_encrypted_files() {
    if !have_openssl() {
        return;
    }
    let (_dir, home) = home();
    for passphrase in [None, Some("correct horse battery")] {
        let store = FileStore::new(
            home.clone(),
            passphrase.and_then(|p| Passphrase::new(p.as_bytes())),
        );
        for (entry, secret) in [
            (SecretEntry::DeviceKey, [0x11u8; 32]),
            (SecretEntry::SigningKey, [0x22; 32]),
        ] {
            store.set(entry, &secret).unwrap();
            let path = store.path_of(entry);
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
            let text = fs::read_to_string(&path).unwrap();
            let label = if passphrase.is_some() {
                "ENCRYPTED PRIVATE KEY"
            } else {
                "PRIVATE KEY"
            };
            assert!(
                text.starts_with(&format!("-----BEGIN {label}-----\n")),
                "{text}"
            );
            assert_eq!(
                openssl_public(&path, passphrase),
                public_of(entry, &secret),
                "{entry}"
            );
            // Also the text form OpenSSL prints names the right algorithm.
            let mut args = vec!["pkey", "-in", path.to_str().unwrap(), "-noout", "-text_pub"];
            let pass = passphrase.map(|p| format!("pass:{p}"));
            if let Some(pass) = &pass {
                args.extend(["-passin", pass.as_str()]);
            }
            let text = String::from_utf8(openssl(&args)).unwrap();
            let algorithm = if entry == SecretEntry::DeviceKey {
                "X25519"
            } else {
                "ED25519"
            };
            assert!(text.contains(algorithm), "{text}");
            assert_eq!(*store.get(entry).unwrap().unwrap(), secret);
        }
    }
    // The wrong passphrase fails in OpenSSL too.
    let out = Command::new(OPENSSL)
        .args([
            "pkey",
            "-in",
            home.device_key_path().to_str().unwrap(),
            "-passin",
            "pass:wrong",
            "-noout",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// Moves an OpenSSL-written file to where `entry` belongs, 0600.
fn install(from: &Path, to: &Path) {
    fs::copy(from, to).unwrap();
    fs::set_permissions(to, fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn we_read_openssl_files() {
    if !have_openssl() {
        return;
    }
    let (dir, home) = home();
    let pass = "open sesame";
    let passin = format!("pass:{pass}");
    for (entry, algorithm) in [
        (SecretEntry::DeviceKey, "X25519"),
        (SecretEntry::SigningKey, "ED25519"),
    ] {
        let plain = dir.path().join(format!("{algorithm}.pem"));
        let plain_s = plain.to_str().unwrap();
        openssl(&["genpkey", "-algorithm", algorithm, "-out", plain_s]);
        let expected = openssl_public(&plain, None);
        let mut variants: Vec<(PathBuf, Option<&str>)> = vec![(plain.clone(), None)];
        // PBES2 with scrypt, and with OpenSSL's default PBKDF2.
        for (suffix, extra) in [("scrypt", &["-scrypt"][..]), ("pbkdf2", &[][..])] {
            let out = dir.path().join(format!("{algorithm}-{suffix}.pem"));
            let mut args = vec![
                "pkcs8",
                "-topk8",
                "-v2",
                "aes-256-cbc",
                "-in",
                plain_s,
                "-out",
                out.to_str().unwrap(),
                "-passout",
                passin.as_str(),
            ];
            args.extend_from_slice(extra);
            openssl(&args);
            assert_eq!(openssl_public(&out, Some(pass)), expected);
            variants.push((out, Some(pass)));
        }
        // `genpkey -aes-256-cbc` directly.
        let direct = dir.path().join(format!("{algorithm}-direct.pem"));
        openssl(&[
            "genpkey",
            "-algorithm",
            algorithm,
            "-aes-256-cbc",
            "-pass",
            passin.as_str(),
            "-out",
            direct.to_str().unwrap(),
        ]);
        let direct_public = openssl_public(&direct, Some(pass));
        for (file, passphrase) in variants {
            let store = FileStore::new(
                home.clone(),
                passphrase.and_then(|p| Passphrase::new(p.as_bytes())),
            );
            install(&file, &store.path_of(entry));
            let secret: [u8; 32] = store
                .get(entry)
                .unwrap()
                .unwrap()
                .as_slice()
                .try_into()
                .unwrap();
            assert_eq!(public_of(entry, &secret), expected, "{}", file.display());
            if passphrase.is_some() {
                let wrong = FileStore::new(home.clone(), Passphrase::new(b"not it"));
                assert!(matches!(
                    wrong.get(entry),
                    Err(Error::WrongPassphrase { .. })
                ));
                let none = FileStore::new(home.clone(), None);
                assert!(matches!(
                    none.get(entry),
                    Err(Error::PassphraseRequired { .. })
                ));
            }
        }
        let store = FileStore::new(home.clone(), Passphrase::new(pass.as_bytes()));
        install(&direct, &store.path_of(entry));
        let secret: [u8; 32] = store
            .get(entry)
            .unwrap()
            .unwrap()
            .as_slice()
            .try_into()
            .unwrap();
        assert_eq!(public_of(entry, &secret), direct_public);
    }
}

/// Asserts `get` fails with `check`, and the file is as it was.
fn refused(store: &FileStore, entry: SecretEntry, check: impl Fn(&Error) -> bool) {
    let path = store.path_of(entry);
    let before = fs::symlink_metadata(&path).unwrap();
    let bytes = if before.is_file() {
        Some(fs::read(&path).unwrap())
    } else {
        None
    };
    let err = store.get(entry).unwrap_err();
    assert!(check(&err), "unexpected error: {err}");
    assert!(
        err.to_string().contains(path.to_str().unwrap()),
        "names the file: {err}"
    );
    let after = fs::symlink_metadata(&path).unwrap();
    assert_eq!(before.permissions().mode(), after.permissions().mode());
    if let Some(bytes) = bytes {
        assert_eq!(fs::read(&path).unwrap(), bytes);
    }
}

#[test]
fn bad_files_are_refused_and_left_alone() {
    let (dir, home) = home();
    let store = FileStore::new(home.clone(), None);
    let entry = SecretEntry::DeviceKey;
    let path = store.path_of(entry);
    store.set(entry, &[5u8; 32]).unwrap();
    let good = fs::read(&path).unwrap();
    let write = |bytes: &[u8]| {
        fs::write(&path, bytes).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    };
    let problem = |p: fn(&KeyFileProblem) -> bool| move |e: &Error| matches!(e, Error::KeyFile { problem, .. } if p(problem));

    write(b"");
    refused(&store, entry, problem(|p| *p == KeyFileProblem::Empty));
    write(&good[..good.len() / 2]);
    refused(
        &store,
        entry,
        problem(|p| matches!(p, KeyFileProblem::NotPem(_))),
    );
    // One base64 character changed inside the DER (the OID's last byte).
    let mut corrupted = good.clone();
    let at = good.iter().position(|&b| b == b'\n').unwrap() + 12;
    corrupted[at] = if corrupted[at] == b'A' { b'B' } else { b'A' };
    write(&corrupted);
    refused(
        &store,
        entry,
        problem(|p| matches!(p, KeyFileProblem::Algorithm { .. } | KeyFileProblem::Der(_))),
    );
    write(&vec![b'A'; 4097]);
    refused(&store, entry, |e| {
        matches!(e, Error::TooLarge { limit: 4096, .. })
    });
    // The signing key's file where the device key belongs.
    store.set(SecretEntry::SigningKey, &[6u8; 32]).unwrap();
    write(&fs::read(store.path_of(SecretEntry::SigningKey)).unwrap());
    refused(
        &store,
        entry,
        problem(|p| matches!(p, KeyFileProblem::Algorithm { .. })),
    );

    // Wrong permissions: refused for reading and writing.
    write(&good);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    refused(&store, entry, |e| matches!(e, Error::TooOpen { .. }));
    assert!(matches!(
        store.set(entry, &[9u8; 32]),
        Err(Error::TooOpen { .. })
    ));
    assert_eq!(fs::read(&path).unwrap(), good);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();

    // A symbolic link to a good key file.
    let elsewhere = dir.path().join("elsewhere.pem");
    fs::rename(&path, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
    refused(&store, entry, |e| matches!(e, Error::Symlink { .. }));
    assert!(matches!(
        store.set(entry, &[9u8; 32]),
        Err(Error::Symlink { .. })
    ));
    assert!(matches!(store.delete(entry), Err(Error::Symlink { .. })));
    assert_eq!(fs::read(&elsewhere).unwrap(), good);
    fs::remove_file(&path).unwrap();

    // A directory where the file belongs.
    fs::create_dir(&path).unwrap();
    refused(&store, entry, |e| matches!(e, Error::NotAFile { .. }));
    assert!(matches!(
        store.set(entry, &[9u8; 32]),
        Err(Error::NotAFile { .. })
    ));
    assert!(matches!(store.delete(entry), Err(Error::NotAFile { .. })));
    assert!(path.is_dir());
    fs::remove_dir(&path).unwrap();

    // Nothing there: absent, and deleting reports false.
    assert!(store.get(entry).unwrap().is_none());
    assert!(!store.delete(entry).unwrap());
}

#[test]
fn audit_head_and_lengths() {
    let (_dir, home) = home();
    let store = FileStore::new(home.clone(), None);
    assert!(store.get(SecretEntry::AuditHead).unwrap().is_none());
    let head = [3u8; AUDIT_HEAD_LEN];
    store.set(SecretEntry::AuditHead, &head).unwrap();
    assert_eq!(*store.get(SecretEntry::AuditHead).unwrap().unwrap(), head);
    assert_eq!(fs::read(home.audit_head_path()).unwrap(), head);
    assert!(matches!(
        store.set(SecretEntry::AuditHead, &[0u8; AUDIT_HEAD_LEN - 1]),
        Err(Error::SecretLength {
            expected: AUDIT_HEAD_LEN,
            found: 175,
            ..
        })
    ));
    assert!(matches!(
        store.set(SecretEntry::DeviceKey, &[0u8; 33]),
        Err(Error::SecretLength {
            expected: 32,
            found: 33,
            ..
        })
    ));
    fs::write(home.audit_head_path(), [0u8; AUDIT_HEAD_LEN + 1]).unwrap();
    assert!(matches!(
        store.get(SecretEntry::AuditHead),
        Err(Error::KeyFile {
            problem: KeyFileProblem::Length {
                expected: AUDIT_HEAD_LEN,
                found: 177
            },
            ..
        })
    ));
    assert!(store.delete(SecretEntry::AuditHead).unwrap());
    assert!(store.get(SecretEntry::AuditHead).unwrap().is_none());
}
