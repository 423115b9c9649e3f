//! `keys::decode_key`, the host's reader of PEM / PKCS#8 key files
//! (`keys/*.pem`), plain and encrypted. The first input byte chooses the
//! key the file must hold (bit 0: the X25519 device key or the Ed25519
//! signing key) and whether a passphrase is set (bit 1); the rest is the
//! file.
//!
//! The reader runs under `FUZZ_KDF_POLICY` (scrypt of at most 64 KiB,
//! PBKDF2 of at most 64 iterations) instead of HoneyLink's default (64 MiB,
//! 10^6 iterations): the same code with cheaper limits, so every
//! derivation it lets through is affordable per input.
//!
//! Properties:
//! - A refusal is the documented variant, naming the file: `KeyFile` with
//!   its problem, `PassphraseRequired` (an encrypted file, no passphrase),
//!   `WrongPassphrase` (only with a passphrase). Never a panic.
//! - An encrypted PBES2 file whose key derivation has parameters RFC 7914
//!   or RFC 8018 do not allow (scrypt N not a power of two above 1, r or p
//!   zero; zero PBKDF2 iterations) is refused with `KdfParameters`, and one
//!   that asks for more than the policy allows with `KdfTooCostly`
//!   (both checked against the parameters read independently with
//!   `pkcs8`); neither is given for anything else.
//! - A key that decodes re-encodes with the host's writer (`encode_key`)
//!   to a plain file that decodes to the same key and encodes again to the
//!   same bytes (plain files are canonical), and to an encrypted file (the
//!   policy's scrypt) that decodes with the passphrase to the same key.

#![no_main]

use std::path::Path;

use honeylink_fuzz::host::{FUZZ_KDF_POLICY, PASSPHRASE};
use honeylink_host::Error;
use honeylink_host::keys::{KeyFileProblem, Passphrase, SecretEntry, decode_key, encode_key};
use libfuzzer_sys::fuzz_target;
use pkcs8::EncryptedPrivateKeyInfoRef;
use pkcs8::der::{Decode, pem};
use pkcs8::pkcs5::pbes2::Kdf;

/// What an encrypted PBES2 key file's key derivation asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Derivation {
    /// Parameters the RFCs do not allow.
    Invalid,
    /// More than `FUZZ_KDF_POLICY` allows.
    OverPolicy,
    /// Valid and within the policy.
    Allowed,
}

/// What `file`'s key derivation asks for (`None`: not an encrypted PBES2
/// key file).
fn derivation(file: &[u8]) -> Option<Derivation> {
    let mut buffer = vec![0u8; file.len()];
    let (label, der) = pem::decode(file, &mut buffer).ok()?;
    if label != "ENCRYPTED PRIVATE KEY" {
        return None;
    }
    let info = EncryptedPrivateKeyInfoRef::from_der(der).ok()?;
    let params = info.encryption_algorithm.pbes2()?;
    let p = FUZZ_KDF_POLICY;
    let (valid, over) = match &params.kdf {
        Kdf::Pbkdf2(k) => (
            k.iteration_count != 0,
            k.iteration_count > p.max_pbkdf2_iterations,
        ),
        Kdf::Scrypt(s) => {
            let n = s.cost_parameter;
            let valid = n > 1 && n & (n - 1) == 0 && s.block_size > 0 && s.parallelization > 0;
            // The reader's bound: each of p lanes' N-block table and
            // working block, 128 * r * p * (N + 2) bytes.
            let memory = (u128::from(n) + 2)
                * u128::from(s.parallelization)
                * u128::from(s.block_size)
                * 128;
            let over =
                s.parallelization > p.max_scrypt_p || memory > u128::from(p.max_scrypt_memory);
            (valid, over)
        }
        // A derivation the reader has no cost bound for is refused as such.
        _ => (true, true),
    };
    Some(if !valid {
        Derivation::Invalid
    } else if over {
        Derivation::OverPolicy
    } else {
        Derivation::Allowed
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, file)) = data.split_first() else {
        return;
    };
    let path = Path::new("/fuzz/home/keys/key.pem");
    let entry = if choice & 1 == 0 {
        SecretEntry::DeviceKey
    } else {
        SecretEntry::SigningKey
    };
    let passphrase = (choice & 2 != 0)
        .then(|| Passphrase::new(PASSPHRASE))
        .flatten();
    let result = decode_key(path, file, entry, passphrase.as_ref(), &FUZZ_KDF_POLICY);
    let asked = derivation(file);
    if passphrase.is_some() {
        let expected = match asked {
            Some(Derivation::Invalid) => Some(KeyFileProblem::KdfParameters),
            Some(Derivation::OverPolicy) => Some(KeyFileProblem::KdfTooCostly),
            _ => None,
        };
        if let Some(expected) = expected {
            assert!(
                matches!(&result, Err(Error::KeyFile { problem, .. }) if *problem == expected),
                "expected {expected:?}, got {result:?}"
            );
        }
    }
    let key = match result {
        Ok(key) => key,
        Err(Error::KeyFile {
            path: named,
            problem,
        }) => {
            assert_eq!(named, path);
            if problem == KeyFileProblem::KdfTooCostly {
                assert_eq!(asked, Some(Derivation::OverPolicy));
            }
            if problem == KeyFileProblem::KdfParameters {
                assert_eq!(asked, Some(Derivation::Invalid));
            }
            return;
        }
        Err(Error::PassphraseRequired { path: named }) => {
            assert!(passphrase.is_none());
            return assert_eq!(named, path);
        }
        Err(Error::WrongPassphrase { path: named }) => {
            assert!(passphrase.is_some());
            return assert_eq!(named, path);
        }
        Err(e) => panic!("unexpected error {e:?}"),
    };
    assert!(
        matches!(asked, None | Some(Derivation::Allowed)),
        "a file asking for {asked:?} decoded"
    );
    let plain = encode_key(path, entry, key.as_slice(), None, &FUZZ_KDF_POLICY).expect("encodes");
    let back = decode_key(path, &plain, entry, None, &FUZZ_KDF_POLICY).expect("decodes");
    assert_eq!(*back, *key);
    let again = encode_key(path, entry, back.as_slice(), None, &FUZZ_KDF_POLICY).expect("encodes");
    assert_eq!(*again, *plain);
    let pass = Passphrase::new(PASSPHRASE).expect("not empty");
    let sealed =
        encode_key(path, entry, key.as_slice(), Some(&pass), &FUZZ_KDF_POLICY).expect("encrypts");
    let opened = decode_key(path, &sealed, entry, Some(&pass), &FUZZ_KDF_POLICY).expect("decrypts");
    assert_eq!(*opened, *key);
});
