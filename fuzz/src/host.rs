//! What the `host_*` targets and their seeds share: the file paths the
//! errors must name, the passphrase and the cheap key-derivation policy
//! under which every encrypted key file can be tried.

use std::path::Path;

use honeylink_host::Error;
use honeylink_host::keys::KdfPolicy;

/// The passphrase the encrypted key file seeds are written with.
pub const PASSPHRASE: &[u8] = b"fuzz passphrase";

/// The key-derivation policy of the `host_key_file` target: scrypt of at
/// most about 64 KiB (N = 2^6, r = 8, p = 1: 128 * r * p * (N + 2) bytes)
/// and parallelism 1, PBKDF2 of at most 64 iterations, so that every
/// derivation the target lets through is cheap. The seeds are written at
/// N = 2^4.
pub const FUZZ_KDF_POLICY: KdfPolicy = KdfPolicy {
    write_scrypt_log_n: 4,
    max_scrypt_memory: 128 * 8 * ((1 << 6) + 2),
    max_scrypt_p: 1,
    max_pbkdf2_iterations: 64,
};

/// Asserts that `error` is [`Error::Corrupt`] naming `path`: the refusal
/// every JSON and TOML file reader promises.
#[track_caller]
pub fn assert_corrupt(error: &Error, path: &Path) {
    match error {
        Error::Corrupt { path: named, .. } => assert_eq!(named, path, "{error:?}"),
        other => panic!("expected Corrupt naming {}, got {other:?}", path.display()),
    }
}
