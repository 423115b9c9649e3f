//! The file backend: each key in its own PKCS#8 PEM file under `keys/`
//! (RFC 8410), the audit head in `logs/audit.head`, all written 0600
//! through [`Home`].
//!
//! Keys are written as PKCS#8 v1 `PrivateKeyInfo` (OpenSSL 3.0 refuses v2),
//! the private key field holding the 32-byte key as an OCTET STRING inside
//! the OCTET STRING (RFC 8410 section 7). With a passphrase they are written
//! as `ENCRYPTED PRIVATE KEY` (PBES2: scrypt N=2^14 r=8 p=1, AES-256-CBC),
//! which `openssl pkey -passin` reads. The reader accepts exactly that, a v2
//! document whose public key matches, and encrypted files from OpenSSL
//! (PBES2 with PBKDF2 or scrypt of bounded cost), and refuses everything
//! else with a [`KeyFileProblem`]. Every buffer that holds secret bytes is
//! zeroized when dropped.

use std::fmt;
use std::fs;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use der::pem::{self, LineEnding};
use der::{Decode, Encode, Header, SliceReader};
use getrandom::SysRng;
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::ed25519::SigningKey;
use honeylink_core::crypto::x25519::StaticSecret;
use pkcs8::der::asn1::{ObjectIdentifier, OctetStringRef};
use pkcs8::pkcs5::pbes2::{self, Kdf};
use pkcs8::pkcs5::scrypt::Params;
use pkcs8::{AlgorithmIdentifierRef, EncryptedPrivateKeyInfoRef, PrivateKeyInfoRef};
use rand_core::TryRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{KEY_LEN, Location, SecretEntry, SecretStore};
use crate::Error;
use crate::home::{self, Home};

/// The environment variable holding the key files' passphrase.
pub const PASSPHRASE_ENV: &str = "HONEYLINK_PASSPHRASE";

/// Largest key file read (ours are under 400 bytes, OpenSSL's alike).
pub const MAX_KEY_FILE_LEN: u64 = 4096;

/// X25519 (RFC 8410 section 3).
const X25519_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");
/// Ed25519 (RFC 8410 section 3).
const ED25519_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

const PLAIN_LABEL: &str = "PRIVATE KEY";
const ENCRYPTED_LABEL: &str = "ENCRYPTED PRIVATE KEY";

/// How encrypted key files are written, and how much key-derivation work
/// an encrypted file may ask of the reader.
///
/// HoneyLink always uses [`KdfPolicy::DEFAULT`]; the fuzz targets pass a
/// cheaper policy through the same reader and writer, so that every input
/// can be decrypted, and check that a file asking for more than the policy
/// allows is refused with [`KeyFileProblem::KdfTooCostly`] before any
/// derivation runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfPolicy {
    /// The writer's scrypt cost: N = 2^`write_scrypt_log_n` (r = 8, p = 1).
    pub write_scrypt_log_n: u8,
    /// Most an encrypted file's scrypt may ask for, counted as 128 * r * p *
    /// (N + 2) bytes: an upper bound on the memory any build of the `scrypt`
    /// crate allocates (each of p lanes' N-block table and working block,
    /// as its `parallel` feature allocates; built without it, as here,
    /// 128 * r * (N + p + 1)), and in proportion to its work (p * N * r
    /// block mixes). Every term counts, so a large r or p cannot hide
    /// behind a small N.
    pub max_scrypt_memory: u64,
    /// Most scrypt parallelism an encrypted file may ask for.
    pub max_scrypt_p: u16,
    /// Most PBKDF2 iterations an encrypted file may ask for.
    pub max_pbkdf2_iterations: u32,
}

impl KdfPolicy {
    /// What HoneyLink writes (scrypt N=2^14 r=8 p=1, as OpenSSL 3.0 reads)
    /// and reads: scrypt up to N=2^16 r=8 p=1 (64 MiB and two working
    /// blocks, as `openssl pkcs8 -scrypt -scrypt_N 65536` writes), within
    /// the same bound parallelism up to 4 (N=2^13 at r=8 p=4), PBKDF2 of up
    /// to 10^6 iterations.
    pub const DEFAULT: Self = Self {
        write_scrypt_log_n: 14,
        max_scrypt_memory: 128 * 8 * ((1 << 16) + 2),
        max_scrypt_p: 4,
        max_pbkdf2_iterations: 1_000_000,
    };
}

impl Default for KdfPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// scrypt's block size parameter as written (RFC 7914's usual r).
const WRITE_SCRYPT_R: u32 = 8;
/// scrypt's parallelism as written.
const WRITE_SCRYPT_P: u32 = 1;
/// Salt length written (as `pkcs5` and OpenSSL use).
const WRITE_SALT_LEN: usize = 16;

/// The passphrase that encrypts key files. Zeroized on drop, redacted in
/// `Debug`, not `Clone`.
pub struct Passphrase(Zeroizing<Vec<u8>>);

impl Passphrase {
    /// Wraps a passphrase; `None` when empty (an empty passphrase protects
    /// nothing, so it means "no passphrase").
    #[must_use]
    pub fn new(bytes: &[u8]) -> Option<Self> {
        (!bytes.is_empty()).then(|| Self(Zeroizing::new(bytes.to_vec())))
    }

    /// The passphrase in `HONEYLINK_PASSPHRASE`, if set and not empty.
    #[must_use]
    pub fn from_env() -> Option<Self> {
        let value = Zeroizing::new(std::env::var_os(PASSPHRASE_ENV)?.into_vec());
        Self::new(&value)
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase([redacted])")
    }
}

/// Why a key file was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyFileProblem {
    /// The file is empty (or only white space).
    Empty,
    /// The file is not PEM.
    NotPem(String),
    /// The PEM label is not `PRIVATE KEY` or `ENCRYPTED PRIVATE KEY`.
    PemLabel(String),
    /// The DER inside does not parse.
    Der(String),
    /// The PKCS#8 version is neither v1 (0) nor v2 (1).
    Version(u8),
    /// The algorithm is not the one this file holds.
    Algorithm {
        /// The OID the file names.
        found: String,
        /// The OID this file must hold.
        expected: String,
    },
    /// The algorithm identifier has parameters (RFC 8410: they are absent).
    AlgorithmParameters,
    /// The private key field is not an OCTET STRING of 32 bytes.
    PrivateKey,
    /// Fields after the key that HoneyLink does not accept (attributes,
    /// extensions), or bytes after the document.
    UnexpectedFields,
    /// The v2 public key is not a whole-byte BIT STRING of 32 bytes.
    PublicKeyEncoding,
    /// The v2 public key does not belong to the private key.
    PublicKeyMismatch,
    /// The encryption scheme is not one HoneyLink reads.
    Encryption(String),
    /// The encryption asks for more key-derivation work or memory than
    /// HoneyLink allows.
    KdfTooCostly,
    /// The key derivation's parameters are not valid ones: scrypt's N must
    /// be a power of two above 1 and r and p at least 1 (RFC 7914), PBKDF2's
    /// iteration count at least 1 (RFC 8018).
    KdfParameters,
    /// The audit head file has the wrong length.
    Length {
        /// The length expected.
        expected: usize,
        /// The length found.
        found: usize,
    },
}

impl fmt::Display for KeyFileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the file is empty"),
            Self::NotPem(e) => write!(f, "not PEM ({e})"),
            Self::PemLabel(label) => write!(
                f,
                "PEM label is \"{label}\", expected \"{PLAIN_LABEL}\" or \"{ENCRYPTED_LABEL}\""
            ),
            Self::Der(e) => write!(f, "not a PKCS#8 document ({e})"),
            Self::Version(v) => write!(f, "PKCS#8 version {v} (only 0 and 1 exist)"),
            Self::Algorithm { found, expected } => {
                write!(f, "algorithm {found}, expected {expected}")
            }
            Self::AlgorithmParameters => {
                f.write_str("algorithm parameters present (RFC 8410 requires none)")
            }
            Self::PrivateKey => f.write_str("the private key is not a 32-byte OCTET STRING"),
            Self::UnexpectedFields => {
                f.write_str("unexpected attributes, extension fields or trailing bytes")
            }
            Self::PublicKeyEncoding => f.write_str("the public key is not 32 whole bytes"),
            Self::PublicKeyMismatch => {
                f.write_str("the public key in the file does not match its private key")
            }
            Self::Encryption(e) => write!(f, "unsupported encryption ({e})"),
            Self::KdfTooCostly => f.write_str(
                "the encryption's key derivation asks for more work or memory than allowed",
            ),
            Self::KdfParameters => f.write_str(
                "the encryption's key derivation parameters are invalid \
                 (scrypt N a power of two above 1, r and p at least 1; PBKDF2 iterations at least 1)",
            ),
            Self::Length { expected, found } => {
                write!(f, "{found} bytes, expected {expected}")
            }
        }
    }
}

/// Key files under a [`Home`], encrypted when a [`Passphrase`] is given.
#[derive(Debug)]
pub struct FileStore {
    home: Home,
    passphrase: Option<Passphrase>,
}

impl FileStore {
    /// The file backend of `home`.
    #[must_use]
    pub fn new(home: Home, passphrase: Option<Passphrase>) -> Self {
        Self { home, passphrase }
    }

    /// The file that holds `entry`.
    #[must_use]
    pub fn path_of(&self, entry: SecretEntry) -> PathBuf {
        match entry {
            SecretEntry::DeviceKey => self.home.device_key_path(),
            SecretEntry::SigningKey => self.home.signing_key_path(),
            SecretEntry::AuditHead => self.home.audit_head_path(),
            SecretEntry::NewDeviceKey => staged_path(self.home.device_key_path()),
            SecretEntry::NewSigningKey => staged_path(self.home.signing_key_path()),
        }
    }

    /// Whether something is at `entry`'s path (checked when read).
    pub fn exists(&self, entry: SecretEntry) -> Result<bool, Error> {
        let path = self.path_of(entry);
        match fs::symlink_metadata(&path) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io("inspect", path, e)),
        }
    }
}

impl SecretStore for FileStore {
    fn location(&self) -> Location {
        Location::File
    }

    fn get(&self, entry: SecretEntry) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
        let path = self.path_of(entry);
        let Some(bytes) = self
            .home
            .read_private_if_exists(&path, MAX_KEY_FILE_LEN)?
            .map(Zeroizing::new)
        else {
            return Ok(None);
        };
        if !entry.is_key() {
            if bytes.len() != entry.secret_len() {
                return Err(Error::KeyFile {
                    path,
                    problem: KeyFileProblem::Length {
                        expected: entry.secret_len(),
                        found: bytes.len(),
                    },
                });
            }
            return Ok(Some(bytes));
        }
        let key = decode_key(
            &path,
            &bytes,
            entry,
            self.passphrase.as_ref(),
            &KdfPolicy::DEFAULT,
        )?;
        Ok(Some(Zeroizing::new(key.to_vec())))
    }

    fn set(&self, entry: SecretEntry, secret: &[u8]) -> Result<(), Error> {
        entry.check_len(secret.len())?;
        let path = self.path_of(entry);
        if !entry.is_key() {
            return self.home.write_private(&path, secret);
        }
        let pem = encode_key(
            &path,
            entry,
            secret,
            self.passphrase.as_ref(),
            &KdfPolicy::DEFAULT,
        )?;
        self.home.write_private(&path, &pem)
    }

    fn delete(&self, entry: SecretEntry) -> Result<bool, Error> {
        let path = self.path_of(entry);
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(Error::io("inspect", path, e)),
        };
        if meta.file_type().is_symlink() {
            return Err(Error::Symlink { path });
        }
        if !meta.is_file() {
            return Err(Error::NotAFile { path });
        }
        fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
        match path.parent() {
            Some(dir) => home::sync_dir(dir).map(|()| true),
            None => Ok(true),
        }
    }
}

/// `<path>.new`: where a rotation stages a key.
fn staged_path(path: PathBuf) -> PathBuf {
    let mut name = path.into_os_string();
    name.push(".new");
    PathBuf::from(name)
}

/// The algorithm OID of a key entry.
fn oid_of(entry: SecretEntry) -> ObjectIdentifier {
    match entry {
        SecretEntry::SigningKey | SecretEntry::NewSigningKey => ED25519_OID,
        SecretEntry::DeviceKey | SecretEntry::NewDeviceKey | SecretEntry::AuditHead => X25519_OID,
    }
}

fn bad(path: &Path, problem: KeyFileProblem) -> Error {
    Error::KeyFile {
        path: path.into(),
        problem,
    }
}

fn der_problem(e: der::Error) -> KeyFileProblem {
    KeyFileProblem::Der(e.to_string())
}

/// Encodes `secret` (32 bytes) as the key file for `entry`: a PKCS#8 v1
/// PEM document, encrypted if a passphrase is given (PBES2, scrypt at
/// `policy`'s cost, AES-256-CBC, a fresh random salt and IV), in a
/// zeroizing buffer. Unencrypted, the bytes are canonical: one secret has
/// one file.
///
/// Refuses to write a file that [`decode_key`] under the same `policy`
/// would refuse as too costly.
///
/// # Errors
/// [`Error::KeyFile`] naming `path` when `secret` is not 32 bytes, the
/// policy's scrypt cost is not one scrypt accepts, or it is over the
/// policy's own read bounds ([`KeyFileProblem::KdfTooCostly`]);
/// [`Error::Io`] when no random salt can be drawn.
pub fn encode_key(
    path: &Path,
    entry: SecretEntry,
    secret: &[u8],
    passphrase: Option<&Passphrase>,
    policy: &KdfPolicy,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let encoding = |e: der::Error| bad(path, der_problem(e));
    if secret.len() != KEY_LEN {
        return Err(bad(path, KeyFileProblem::PrivateKey));
    }
    // CurvePrivateKey ::= OCTET STRING (RFC 8410 section 7).
    let mut inner = Zeroizing::new([0u8; KEY_LEN + 2]);
    let inner = OctetStringRef::new(secret)
        .and_then(|s| s.encode_to_slice(inner.as_mut_slice()))
        .map_err(encoding)?;
    let info = PrivateKeyInfoRef::new(
        AlgorithmIdentifierRef {
            oid: oid_of(entry),
            parameters: None,
        },
        OctetStringRef::new(inner).map_err(encoding)?,
    );
    let mut document = Zeroizing::new([0u8; 64]);
    let document = info
        .encode_to_slice(document.as_mut_slice())
        .map_err(encoding)?;
    match passphrase {
        None => to_pem(path, PLAIN_LABEL, document),
        Some(passphrase) => {
            let params = scrypt_parameters(path, policy)?;
            check_kdf_cost(&params.kdf, policy).map_err(|p| bad(path, p))?;
            let mut buffer = Zeroizing::new(vec![0u8; document.len() + 16]);
            buffer
                .get_mut(..document.len())
                .ok_or_else(|| bad(path, KeyFileProblem::PrivateKey))?
                .copy_from_slice(document);
            let ciphertext = params
                .encrypt_in_place(passphrase.0.as_slice(), &mut buffer, document.len())
                .map_err(|e| bad(path, KeyFileProblem::Encryption(e.to_string())))?;
            let encrypted = EncryptedPrivateKeyInfoRef {
                encryption_algorithm: params.into(),
                encrypted_data: OctetStringRef::new(ciphertext).map_err(encoding)?,
            };
            let der = encrypted.to_der().map_err(encoding)?;
            to_pem(path, ENCRYPTED_LABEL, &der)
        }
    }
}

/// PBES2 parameters for writing: scrypt at `policy`'s cost, AES-256-CBC,
/// a fresh salt and IV from the system's generator.
fn scrypt_parameters(path: &Path, policy: &KdfPolicy) -> Result<pbes2::Parameters, Error> {
    let mut salt = [0u8; WRITE_SALT_LEN];
    let mut iv = [0u8; 16];
    SysRng
        .try_fill_bytes(&mut salt)
        .and_then(|()| SysRng.try_fill_bytes(&mut iv))
        .map_err(|e| {
            Error::io(
                "draw a salt for",
                path,
                std::io::Error::other(e.to_string()),
            )
        })?;
    let cost = Params::new(policy.write_scrypt_log_n, WRITE_SCRYPT_R, WRITE_SCRYPT_P)
        .map_err(|e| bad(path, KeyFileProblem::Encryption(e.to_string())))?;
    pbes2::Parameters::generate_scrypt_aes256cbc(cost, &salt, iv)
        .map_err(|e| bad(path, KeyFileProblem::Encryption(e.to_string())))
}

fn to_pem(path: &Path, label: &str, der: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    let problem = |e: pem::Error| bad(path, KeyFileProblem::NotPem(e.to_string()));
    let len = pem::encoded_len(label, LineEnding::LF, der).map_err(problem)?;
    let mut buffer = Zeroizing::new(vec![0u8; len]);
    let written = pem::encode(label, LineEnding::LF, der, &mut buffer)
        .map_err(problem)?
        .len();
    buffer.truncate(written);
    Ok(buffer)
}

/// Decodes a key file's bytes (the file at `path`, which holds `entry`)
/// into the 32-byte key: the byte-level reader [`FileStore`] uses.
///
/// Accepts exactly the documents described in the module docs. An
/// encrypted file's key derivation runs only when it asks for no more
/// than `policy` allows (memory and parallelism, or iterations). Beside
/// that derivation, allocates at most twice `bytes.len()`, in zeroizing
/// buffers.
///
/// # Errors
/// [`Error::KeyFile`] naming `path`, its [`KeyFileProblem`] saying which
/// check failed ([`KeyFileProblem::KdfTooCostly`] above `policy`, before
/// any derivation); [`Error::PassphraseRequired`] for an encrypted file
/// without a passphrase; [`Error::WrongPassphrase`] when it does not
/// decrypt.
pub fn decode_key(
    path: &Path,
    bytes: &[u8],
    entry: SecretEntry,
    passphrase: Option<&Passphrase>,
    policy: &KdfPolicy,
) -> Result<Zeroizing<[u8; KEY_LEN]>, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(bad(path, KeyFileProblem::Empty));
    }
    let label =
        pem::decode_label(bytes).map_err(|e| bad(path, KeyFileProblem::NotPem(e.to_string())))?;
    if label != PLAIN_LABEL && label != ENCRYPTED_LABEL {
        let shown: String = label.chars().take(64).collect();
        return Err(bad(path, KeyFileProblem::PemLabel(shown)));
    }
    let mut buffer = Zeroizing::new(vec![0u8; bytes.len()]);
    let (label, der) = pem::decode(bytes, &mut buffer)
        .map_err(|e| bad(path, KeyFileProblem::NotPem(e.to_string())))?;
    if label == PLAIN_LABEL {
        return parse_private_key_info(der, entry).map_err(|p| bad(path, p));
    }
    let passphrase = passphrase.ok_or_else(|| Error::PassphraseRequired { path: path.into() })?;
    let encrypted =
        EncryptedPrivateKeyInfoRef::from_der(der).map_err(|e| bad(path, der_problem(e)))?;
    let params = encrypted.encryption_algorithm.pbes2().ok_or_else(|| {
        bad(
            path,
            KeyFileProblem::Encryption("PBES1; only PBES2 is read".into()),
        )
    })?;
    check_kdf_cost(&params.kdf, policy).map_err(|p| bad(path, p))?;
    let mut plain = Zeroizing::new(encrypted.encrypted_data.as_bytes().to_vec());
    let plain = match params.decrypt_in_place(passphrase.0.as_slice(), &mut plain) {
        Ok(plain) => plain,
        Err(pkcs8::pkcs5::Error::DecryptFailed) => {
            return Err(Error::WrongPassphrase { path: path.into() });
        }
        Err(e) => return Err(bad(path, KeyFileProblem::Encryption(e.to_string()))),
    };
    match parse_private_key_info(plain, entry) {
        // CBC padding can come out valid by chance under a wrong
        // passphrase; the garbage then fails to parse.
        Err(KeyFileProblem::Der(_) | KeyFileProblem::Version(_)) => {
            Err(Error::WrongPassphrase { path: path.into() })
        }
        other => other.map_err(|p| bad(path, p)),
    }
}

/// Refuses key derivations with invalid parameters
/// ([`KeyFileProblem::KdfParameters`]: some, such as scrypt's N = 0, would
/// make the `pkcs5` crate panic) and those that would take more time or
/// memory than `policy` allows ([`KeyFileProblem::KdfTooCostly`]). scrypt's
/// time is about p * N * r block mixes, so the bounds on memory (which
/// covers p * N * r) and on p bound it too.
fn check_kdf_cost(kdf: &Kdf, policy: &KdfPolicy) -> Result<(), KeyFileProblem> {
    let valid = match kdf {
        Kdf::Pbkdf2(p) => p.iteration_count >= 1,
        Kdf::Scrypt(s) => {
            s.cost_parameter >= 2
                && s.cost_parameter.is_power_of_two()
                && s.block_size >= 1
                && s.parallelization >= 1
        }
        // Refused by the cost check below, which bounds only these two.
        _ => true,
    };
    if !valid {
        return Err(KeyFileProblem::KdfParameters);
    }
    match kdf {
        Kdf::Pbkdf2(p) if p.iteration_count <= policy.max_pbkdf2_iterations => Ok(()),
        Kdf::Scrypt(s)
            if s.parallelization <= policy.max_scrypt_p
                && scrypt_memory(s.cost_parameter, s.block_size, s.parallelization)
                    .is_some_and(|bytes| bytes <= policy.max_scrypt_memory) =>
        {
            Ok(())
        }
        _ => Err(KeyFileProblem::KdfTooCostly),
    }
}

/// An upper bound on the bytes scrypt allocates for cost `n`, block size
/// `r` and parallelism `p`: 128 * r * p * (N + 2) (`None` past `u64`).
/// Built without its `parallel` feature (as here), the `scrypt` crate
/// allocates 128 * r * (N + p + 1): one N-block table, the p blocks PBKDF2
/// fills, one working block. With that feature each of the p lanes has its
/// own table and working block, 128 * r * p * (N + 2). The bound is the
/// larger, so turning the feature on cannot outgrow it; for p = 1, which
/// HoneyLink and OpenSSL write, both are 128 * r * (N + 2).
fn scrypt_memory(n: u64, r: u16, p: u16) -> Option<u64> {
    n.checked_add(2)
        .and_then(|blocks| blocks.checked_mul(u64::from(p)))
        .and_then(|blocks| blocks.checked_mul(u64::from(r)))
        .and_then(|bytes| bytes.checked_mul(128))
}

/// Parses a DER `PrivateKeyInfo` strictly (see the module docs).
fn parse_private_key_info(
    der: &[u8],
    entry: SecretEntry,
) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyFileProblem> {
    // The version first, so that an unknown one is named as such.
    let mut reader = SliceReader::new(der).map_err(der_problem)?;
    Header::decode(&mut reader).map_err(der_problem)?;
    let version = u8::decode(&mut reader).map_err(der_problem)?;
    if version > 1 {
        return Err(KeyFileProblem::Version(version));
    }
    let info = PrivateKeyInfoRef::from_der(der).map_err(der_problem)?;
    let expected = oid_of(entry);
    if info.algorithm.oid != expected {
        return Err(KeyFileProblem::Algorithm {
            found: info.algorithm.oid.to_string(),
            expected: expected.to_string(),
        });
    }
    if info.algorithm.parameters.is_some() {
        return Err(KeyFileProblem::AlgorithmParameters);
    }
    // The parser skips attributes and extension fields: encoding again and
    // comparing catches every field it did not keep.
    let mut again = Zeroizing::new(vec![0u8; der.len()]);
    match info.encode_to_slice(&mut again) {
        Ok(encoded) if encoded == der => {}
        _ => return Err(KeyFileProblem::UnexpectedFields),
    }
    let key = <&OctetStringRef>::from_der(info.private_key.as_bytes())
        .map_err(|_| KeyFileProblem::PrivateKey)?;
    let mut secret = Zeroizing::new([0u8; KEY_LEN]);
    if key.as_bytes().len() != KEY_LEN {
        return Err(KeyFileProblem::PrivateKey);
    }
    secret.copy_from_slice(key.as_bytes());
    if let Some(public) = &info.public_key {
        let public = public
            .as_bytes()
            .filter(|p| p.len() == KEY_LEN)
            .ok_or(KeyFileProblem::PublicKeyEncoding)?;
        if !bool::from(public_key_of(entry, &secret).ct_eq(public)) {
            return Err(KeyFileProblem::PublicKeyMismatch);
        }
    }
    Ok(secret)
}

/// The public half of a 32-byte secret key.
pub(crate) fn public_key_of(entry: SecretEntry, secret: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    let bytes = SecretBytes::new(*secret);
    match entry {
        SecretEntry::SigningKey | SecretEntry::NewSigningKey => {
            *SigningKey::from_seed(&bytes).verifying_key().as_bytes()
        }
        SecretEntry::DeviceKey | SecretEntry::NewDeviceKey | SecretEntry::AuditHead => {
            *StaticSecret::from_bytes(bytes).public_key().as_bytes()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]

    use super::*;

    const PATH: &str = "/nonexistent/key.pem";
    const POLICY: &KdfPolicy = &KdfPolicy::DEFAULT;

    fn problem(bytes: &[u8], entry: SecretEntry) -> KeyFileProblem {
        match decode_key(Path::new(PATH), bytes, entry, None, POLICY) {
            Err(Error::KeyFile { problem, .. }) => problem,
            other => panic!("expected a key file problem, got {other:?}"),
        }
    }

    /// DER of a v1 X25519 `PrivateKeyInfo`: RFC 8410 section 10.3's example.
    const RFC8410_X25519: [u8; 48] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04,
        0x20, 0xd4, 0xee, 0x72, 0xdb, 0xf9, 0x13, 0x58, 0x4a, 0xd5, 0xb6, 0xd8, 0xf1, 0xf7, 0x69,
        0xf8, 0xad, 0x3a, 0xfe, 0x7c, 0x28, 0xcb, 0xf1, 0xd4, 0xfb, 0xe0, 0x97, 0xa8, 0x8f, 0x44,
        0x75, 0x58, 0x42,
    ];

    fn pem_of(der: &[u8]) -> Vec<u8> {
        pem::encode_string(PLAIN_LABEL, LineEnding::LF, der)
            .unwrap()
            .into_bytes()
    }

    #[test]
    fn writes_rfc8410_bytes() {
        let secret: [u8; 32] = RFC8410_X25519[16..].try_into().unwrap();
        let pem = encode_key(
            Path::new(PATH),
            SecretEntry::DeviceKey,
            &secret,
            None,
            POLICY,
        )
        .unwrap();
        assert_eq!(*pem, pem_of(&RFC8410_X25519));
        let back = decode_key(Path::new(PATH), &pem, SecretEntry::DeviceKey, None, POLICY).unwrap();
        assert_eq!(*back, secret);
    }

    #[test]
    fn refuses_wrong_oid_version_fields_and_lengths() {
        // The X25519 document read as the signing key: wrong OID.
        assert!(matches!(
            problem(&pem_of(&RFC8410_X25519), SecretEntry::SigningKey),
            KeyFileProblem::Algorithm { .. }
        ));
        // Version 2.
        let mut der = RFC8410_X25519;
        der[4] = 2;
        assert_eq!(
            problem(&pem_of(&der), SecretEntry::DeviceKey),
            KeyFileProblem::Version(2)
        );
        // Version 1 (v2) without the public key it requires.
        der[4] = 1;
        assert!(matches!(
            problem(&pem_of(&der), SecretEntry::DeviceKey),
            KeyFileProblem::Der(_)
        ));
        // Attributes ([0] with an empty SET of attributes): refused.
        let mut with_attrs = RFC8410_X25519.to_vec();
        with_attrs[1] += 2;
        with_attrs.extend_from_slice(&[0xa0, 0x00]);
        assert_eq!(
            problem(&pem_of(&with_attrs), SecretEntry::DeviceKey),
            KeyFileProblem::UnexpectedFields
        );
        // Trailing bytes after the document.
        let mut trailing = RFC8410_X25519.to_vec();
        trailing.push(0);
        assert!(matches!(
            problem(&pem_of(&trailing), SecretEntry::DeviceKey),
            KeyFileProblem::Der(_)
        ));
        // A 31-byte key (inner OCTET STRING shortened, lengths adjusted).
        let mut short = RFC8410_X25519[..47].to_vec();
        short[1] -= 1;
        short[13] -= 1;
        short[15] -= 1;
        assert_eq!(
            problem(&pem_of(&short), SecretEntry::DeviceKey),
            KeyFileProblem::PrivateKey
        );
        // The key not wrapped in the inner OCTET STRING (some old writers).
        let mut bare = RFC8410_X25519[..14].to_vec();
        bare[1] -= 2;
        bare[13] = 0x20;
        bare.extend_from_slice(&RFC8410_X25519[16..]);
        assert_eq!(
            problem(&pem_of(&bare), SecretEntry::DeviceKey),
            KeyFileProblem::PrivateKey
        );
        // Parameters present (NULL).
        let mut params = RFC8410_X25519[..5].to_vec();
        params[1] += 2;
        params.extend_from_slice(&[0x30, 0x07, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x05, 0x00]);
        params.extend_from_slice(&RFC8410_X25519[12..]);
        assert_eq!(
            problem(&pem_of(&params), SecretEntry::DeviceKey),
            KeyFileProblem::AlgorithmParameters
        );
    }

    #[test]
    fn v2_public_key_must_match() {
        let secret: [u8; 32] = RFC8410_X25519[16..].try_into().unwrap();
        let public = public_key_of(SecretEntry::DeviceKey, &secret);
        let v2 = |public: &[u8]| {
            let mut der = RFC8410_X25519.to_vec();
            der[4] = 1;
            der.extend_from_slice(&[0x81, 0x21, 0x00]);
            der.extend_from_slice(public);
            der[1] = u8::try_from(der.len() - 2).unwrap();
            pem_of(&der)
        };
        let good = decode_key(
            Path::new(PATH),
            &v2(&public),
            SecretEntry::DeviceKey,
            None,
            POLICY,
        )
        .unwrap();
        assert_eq!(*good, secret);
        let mut other = public;
        other[0] ^= 1;
        assert_eq!(
            problem(&v2(&other), SecretEntry::DeviceKey),
            KeyFileProblem::PublicKeyMismatch
        );
    }

    #[test]
    fn refuses_bad_pem() {
        assert_eq!(problem(b"", SecretEntry::DeviceKey), KeyFileProblem::Empty);
        assert_eq!(
            problem(b" \n", SecretEntry::DeviceKey),
            KeyFileProblem::Empty
        );
        assert!(matches!(
            problem(b"hello", SecretEntry::DeviceKey),
            KeyFileProblem::NotPem(_)
        ));
        let other = pem::encode_string("PUBLIC KEY", LineEnding::LF, &RFC8410_X25519).unwrap();
        assert_eq!(
            problem(other.as_bytes(), SecretEntry::DeviceKey),
            KeyFileProblem::PemLabel("PUBLIC KEY".into())
        );
        let good = pem_of(&RFC8410_X25519);
        for cut in [10, 30, good.len() - 30] {
            assert!(matches!(
                problem(&good[..cut], SecretEntry::DeviceKey),
                KeyFileProblem::NotPem(_) | KeyFileProblem::Der(_)
            ));
        }
    }

    #[test]
    fn encrypted_round_trip_and_wrong_passphrase() {
        let secret = [7u8; 32];
        let pass = Passphrase::new(b"correct horse").unwrap();
        let pem = encode_key(
            Path::new(PATH),
            SecretEntry::SigningKey,
            &secret,
            Some(&pass),
            POLICY,
        )
        .unwrap();
        assert!(pem.starts_with(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
        let back = decode_key(
            Path::new(PATH),
            &pem,
            SecretEntry::SigningKey,
            Some(&pass),
            POLICY,
        )
        .unwrap();
        assert_eq!(*back, secret);
        // The parameters OpenSSL 3.0 accepts.
        let mut buffer = vec![0u8; pem.len()];
        let (_, der) = pem::decode(&pem, &mut buffer).unwrap();
        let info = EncryptedPrivateKeyInfoRef::from_der(der).unwrap();
        let params = info.encryption_algorithm.pbes2().unwrap();
        match &params.kdf {
            Kdf::Scrypt(s) => {
                assert_eq!(
                    (s.cost_parameter, s.block_size, s.parallelization),
                    (1 << 14, 8, 1)
                );
            }
            _ => panic!("scrypt expected"),
        }
        assert!(matches!(
            params.encryption,
            pbes2::EncryptionScheme::Aes256Cbc { .. }
        ));
        let wrong = Passphrase::new(b"wrong").unwrap();
        assert!(matches!(
            decode_key(
                Path::new(PATH),
                &pem,
                SecretEntry::SigningKey,
                Some(&wrong),
                POLICY
            ),
            Err(Error::WrongPassphrase { .. })
        ));
        assert!(matches!(
            decode_key(Path::new(PATH), &pem, SecretEntry::SigningKey, None, POLICY),
            Err(Error::PassphraseRequired { .. })
        ));
    }

    #[test]
    fn the_kdf_policy_bounds_what_is_derived() {
        let cheap = KdfPolicy {
            write_scrypt_log_n: 4,
            // N = 2^4, r = 8, p = 1: 128 * 8 * 1 * (16 + 2) bytes.
            max_scrypt_memory: 128 * 8 * (16 + 2),
            max_scrypt_p: 1,
            max_pbkdf2_iterations: 64,
        };
        let secret = [9u8; 32];
        let pass = Passphrase::new(b"pass").unwrap();
        let path = Path::new(PATH);
        let entry = SecretEntry::DeviceKey;
        let pem = encode_key(path, entry, &secret, Some(&pass), &cheap).unwrap();
        assert_eq!(
            *decode_key(path, &pem, entry, Some(&pass), &cheap).unwrap(),
            secret
        );
        // One byte less memory than N = 2^4, r = 8, p = 1 needs: refused.
        let tighter = KdfPolicy {
            max_scrypt_memory: cheap.max_scrypt_memory - 1,
            ..cheap
        };
        let refused = |pem: &[u8], policy: &KdfPolicy| match decode_key(
            path,
            pem,
            entry,
            Some(&pass),
            policy,
        ) {
            Err(Error::KeyFile { problem, .. }) => problem,
            other => panic!("expected a key file problem, got {other:?}"),
        };
        assert_eq!(refused(&pem, &tighter), KeyFileProblem::KdfTooCostly);
        // What HoneyLink writes by default is over the cheap policy.
        let default = encode_key(path, entry, &secret, Some(&pass), POLICY).unwrap();
        assert_eq!(refused(&default, &cheap), KeyFileProblem::KdfTooCostly);
    }

    /// Review finding (fixed): the bound once counted only scrypt's N-block
    /// table (128 * r * N), so N = 8, r = 65535, p = 4 passed the 64 MiB
    /// DEFAULT bound while the derivation allocated about 104 MiB. Every
    /// term now counts, and such a file is refused before any derivation.
    #[test]
    fn the_scrypt_bound_counts_r_and_p_as_well_as_n() {
        let scrypt = |log_n: u8, r: u32, p: u32| {
            let cost = Params::new(log_n, r, p).unwrap();
            pbes2::Parameters::generate_scrypt_aes256cbc(cost, &[1u8; 16], [2u8; 16])
                .unwrap()
                .kdf
        };
        let default = KdfPolicy::DEFAULT;
        let crafted = scrypt(3, 65_535, 4);
        assert_eq!(
            check_kdf_cost(&crafted, &default),
            Err(KeyFileProblem::KdfTooCostly)
        );
        // The boundary is exact in each of N, r and p.
        let at = |log_n: u8, r: u32, p: u32| KdfPolicy {
            max_scrypt_memory: 128 * u64::from(r) * u64::from(p) * ((1 << log_n) + 2),
            max_scrypt_p: 4,
            ..default
        };
        for (log_n, r, p) in [(3, 65_535, 4), (10, 8, 1), (2, 1_000, 4), (14, 8, 1)] {
            let kdf = scrypt(log_n, r, p);
            let exact = at(log_n, r, p);
            assert_eq!(check_kdf_cost(&kdf, &exact), Ok(()), "{log_n} {r} {p}");
            let under = KdfPolicy {
                max_scrypt_memory: exact.max_scrypt_memory - 1,
                ..exact
            };
            assert_eq!(
                check_kdf_cost(&kdf, &under),
                Err(KeyFileProblem::KdfTooCostly),
                "{log_n} {r} {p}"
            );
        }
        // The writer's own cost is well inside DEFAULT.
        let written = scrypt(default.write_scrypt_log_n, WRITE_SCRYPT_R, WRITE_SCRYPT_P);
        assert_eq!(check_kdf_cost(&written, &default), Ok(()));
        // What `openssl pkcs8 -scrypt -scrypt_N 65536` writes is read; twice
        // that is not.
        assert_eq!(check_kdf_cost(&scrypt(16, 8, 1), &default), Ok(()));
        assert_eq!(
            check_kdf_cost(&scrypt(17, 8, 1), &default),
            Err(KeyFileProblem::KdfTooCostly)
        );
        // DEFAULT's bound is 128 * 8 * (2^16 + 2) bytes, no more: two lanes
        // of N = 2^15 (2 * (2^15 + 2) = 2^16 + 4 blocks, two over it) are
        // refused, while four lanes of N = 2^13 (the parallelism the docs
        // allow) are read.
        assert_eq!(default.max_scrypt_memory, 67_110_912);
        assert_eq!(
            check_kdf_cost(&scrypt(15, 8, 2), &default),
            Err(KeyFileProblem::KdfTooCostly)
        );
        assert_eq!(check_kdf_cost(&scrypt(13, 8, 4), &default), Ok(()));
        assert_eq!(scrypt_memory(u64::MAX, 1, 1), None);
        assert_eq!(scrypt_memory(1 << 60, u16::MAX, 4), None);
    }

    /// A genuine encrypted file (scrypt N = 2^4, r = 8, p = 1) with its
    /// key-derivation parameters changed by `edit`, and its passphrase.
    fn crafted_scrypt_file(edit: impl FnOnce(&mut Kdf)) -> (Zeroizing<Vec<u8>>, Passphrase) {
        let path = Path::new(PATH);
        let pass = Passphrase::new(b"pass").unwrap();
        let cheap = KdfPolicy {
            write_scrypt_log_n: 4,
            ..KdfPolicy::DEFAULT
        };
        let pem = encode_key(
            path,
            SecretEntry::DeviceKey,
            &[7u8; 32],
            Some(&pass),
            &cheap,
        )
        .unwrap();
        let mut der_buf = vec![0u8; pem.len()];
        let (_, der) = pem::decode(&pem, &mut der_buf).unwrap();
        let encrypted = EncryptedPrivateKeyInfoRef::from_der(der).unwrap();
        let mut params = encrypted.encryption_algorithm.pbes2().unwrap().clone();
        edit(&mut params.kdf);
        let crafted = EncryptedPrivateKeyInfoRef {
            encryption_algorithm: params.into(),
            encrypted_data: encrypted.encrypted_data,
        };
        let pem = to_pem(path, ENCRYPTED_LABEL, &crafted.to_der().unwrap()).unwrap();
        (pem, pass)
    }

    /// What reading `pem` under [`POLICY`] finds wrong with it.
    fn key_file_problem(pem: &[u8], pass: &Passphrase) -> KeyFileProblem {
        let path = Path::new(PATH);
        match decode_key(path, pem, SecretEntry::DeviceKey, Some(pass), POLICY) {
            Err(Error::KeyFile { problem, .. }) => problem,
            other => panic!("expected a key file problem, got {other:?}"),
        }
    }

    /// A crafted file with the review's parameters is refused by the
    /// reader, naming the problem, before any derivation.
    #[test]
    fn a_file_asking_for_a_huge_scrypt_block_is_refused() {
        let (pem, pass) = crafted_scrypt_file(|kdf| {
            let Kdf::Scrypt(s) = kdf else {
                panic!("scrypt")
            };
            (s.cost_parameter, s.block_size, s.parallelization) = (8, 65_535, 4);
        });
        assert_eq!(key_file_problem(&pem, &pass), KeyFileProblem::KdfTooCostly);
        // The unedited parameters decrypt: the refusal is the parameters'.
        let (pem, pass) = crafted_scrypt_file(|_| {});
        assert_eq!(
            *decode_key(
                Path::new(PATH),
                &pem,
                SecretEntry::DeviceKey,
                Some(&pass),
                POLICY
            )
            .unwrap(),
            [7u8; 32]
        );
    }

    /// Review finding (fixed): scrypt's N = 0 passed the cost bound and made
    /// `pkcs5` panic (its log2 of N underflows). Parameters RFC 7914 and
    /// RFC 8018 do not allow are refused, named, before any derivation.
    #[test]
    fn invalid_kdf_parameters_are_refused_not_derived() {
        for (n, r, p) in [
            (0, 8, 1),
            (1, 8, 1),
            (3, 8, 1),
            (24, 8, 1),
            (16, 0, 1),
            (16, 8, 0),
        ] {
            let (pem, pass) = crafted_scrypt_file(|kdf| {
                let Kdf::Scrypt(s) = kdf else {
                    panic!("scrypt")
                };
                (s.cost_parameter, s.block_size, s.parallelization) = (n, r, p);
            });
            assert_eq!(
                key_file_problem(&pem, &pass),
                KeyFileProblem::KdfParameters,
                "N {n} r {r} p {p}"
            );
        }
        let pbkdf2 = |iterations| {
            Kdf::Pbkdf2(pbes2::Pbkdf2Params::hmac_sha256(iterations, &[1u8; 16]).unwrap())
        };
        assert_eq!(
            check_kdf_cost(&pbkdf2(0), POLICY),
            Err(KeyFileProblem::KdfParameters)
        );
        assert_eq!(check_kdf_cost(&pbkdf2(1), POLICY), Ok(()));
        // PBKDF2 is read up to 10^6 iterations, exactly.
        assert_eq!(POLICY.max_pbkdf2_iterations, 1_000_000);
        assert_eq!(check_kdf_cost(&pbkdf2(1_000_000), POLICY), Ok(()));
        assert_eq!(
            check_kdf_cost(&pbkdf2(1_000_001), POLICY),
            Err(KeyFileProblem::KdfTooCostly)
        );
    }

    /// The writer refuses a policy whose own read bounds would refuse what
    /// it writes: no file is written that cannot be read back.
    #[test]
    fn the_writer_refuses_a_policy_it_could_not_read_back() {
        let path = Path::new(PATH);
        let pass = Passphrase::new(b"pass").unwrap();
        let inconsistent = KdfPolicy {
            write_scrypt_log_n: 14,
            max_scrypt_memory: 1 << 20,
            ..KdfPolicy::DEFAULT
        };
        match encode_key(
            path,
            SecretEntry::DeviceKey,
            &[7u8; 32],
            Some(&pass),
            &inconsistent,
        ) {
            Err(Error::KeyFile { problem, .. }) => {
                assert_eq!(problem, KeyFileProblem::KdfTooCostly)
            }
            other => panic!("expected KdfTooCostly, got {:?}", other.map(|_| "a file")),
        }
        // Without a passphrase no derivation is written, so nothing to refuse.
        assert!(
            encode_key(
                path,
                SecretEntry::DeviceKey,
                &[7u8; 32],
                None,
                &inconsistent
            )
            .is_ok()
        );
    }

    /// Every problem prints its own message, with its details.
    #[test]
    fn every_problem_has_its_own_message() {
        use KeyFileProblem as P;
        let all = [
            P::Empty,
            P::NotPem("no boundary".into()),
            P::PemLabel("CERTIFICATE".into()),
            P::Der("truncated".into()),
            P::Version(2),
            P::Algorithm {
                found: "1.3.101.112".into(),
                expected: "1.3.101.110".into(),
            },
            P::AlgorithmParameters,
            P::PrivateKey,
            P::UnexpectedFields,
            P::PublicKeyEncoding,
            P::PublicKeyMismatch,
            P::Encryption("des-cbc".into()),
            P::KdfTooCostly,
            P::KdfParameters,
            P::Length {
                expected: 72,
                found: 3,
            },
        ];
        // No wildcard: a new variant does not compile until it is listed.
        for problem in &all {
            match problem {
                P::Empty
                | P::NotPem(_)
                | P::PemLabel(_)
                | P::Der(_)
                | P::Version(_)
                | P::Algorithm { .. }
                | P::AlgorithmParameters
                | P::PrivateKey
                | P::UnexpectedFields
                | P::PublicKeyEncoding
                | P::PublicKeyMismatch
                | P::Encryption(_)
                | P::KdfTooCostly
                | P::KdfParameters
                | P::Length { .. } => {}
            }
        }
        let messages: Vec<String> = all.iter().map(ToString::to_string).collect();
        for (i, message) in messages.iter().enumerate() {
            assert!(!message.is_empty(), "{:?}", all[i]);
            assert!(
                !messages[i + 1..].contains(message),
                "{:?} prints like another problem: {message}",
                all[i]
            );
        }
        assert_eq!(
            P::PemLabel("CERTIFICATE".into()).to_string(),
            "PEM label is \"CERTIFICATE\", expected \"PRIVATE KEY\" or \"ENCRYPTED PRIVATE KEY\""
        );
        assert_eq!(
            P::Algorithm {
                found: "1.3.101.112".into(),
                expected: "1.3.101.110".into()
            }
            .to_string(),
            "algorithm 1.3.101.112, expected 1.3.101.110"
        );
        assert_eq!(
            P::Version(2).to_string(),
            "PKCS#8 version 2 (only 0 and 1 exist)"
        );
        for (problem, detail) in [
            (P::NotPem("no boundary".into()), "no boundary"),
            (P::Der("truncated".into()), "truncated"),
            (P::Encryption("des-cbc".into()), "des-cbc"),
        ] {
            assert!(problem.to_string().contains(detail), "{problem}");
        }
        assert_eq!(
            P::Length {
                expected: 72,
                found: 3
            }
            .to_string(),
            "3 bytes, expected 72"
        );
    }

    /// `exists` and `delete` take only a missing file for "nothing there": a
    /// path they cannot inspect is an error, never "no key yet" (which would
    /// let a caller write a new key over an unreadable one) or "deleted".
    #[test]
    fn exists_and_delete_report_a_path_they_cannot_inspect() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::create(dir.path().join("h")).unwrap();
        let store = FileStore::new(home.clone(), None);
        assert!(!store.exists(SecretEntry::DeviceKey).unwrap());
        assert!(!store.delete(SecretEntry::DeviceKey).unwrap());
        fs::write(home.device_key_path(), b"anything").unwrap();
        assert!(store.exists(SecretEntry::DeviceKey).unwrap());
        // keys/ replaced by a plain file: inspecting keys/device_key.pem
        // fails with ENOTDIR.
        fs::remove_dir_all(home.keys_dir()).unwrap();
        fs::write(home.keys_dir(), b"not a directory").unwrap();
        for outcome in [
            store.exists(SecretEntry::DeviceKey),
            store.delete(SecretEntry::DeviceKey),
        ] {
            match outcome {
                Err(Error::Io { op, path, .. }) => {
                    assert_eq!(op, "inspect");
                    assert_eq!(path, home.device_key_path());
                }
                other => panic!("expected an inspect error, got {other:?}"),
            }
        }
    }

    /// A rotation stages each new key beside the current one, as
    /// `<name>.new`, and reads it back from there.
    #[test]
    fn staged_keys_live_beside_the_current_ones() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::create(dir.path().join("h")).unwrap();
        let store = FileStore::new(home.clone(), None);
        let keys = home.keys_dir();
        for (entry, name) in [
            (SecretEntry::DeviceKey, "device_key.pem"),
            (SecretEntry::SigningKey, "signing_key.pem"),
            (SecretEntry::NewDeviceKey, "device_key.pem.new"),
            (SecretEntry::NewSigningKey, "signing_key.pem.new"),
        ] {
            assert_eq!(store.path_of(entry), keys.join(name));
            let secret = [u8::try_from(name.len()).unwrap(); KEY_LEN];
            store.set(entry, &secret).unwrap();
            assert!(keys.join(name).is_file(), "{name}");
            assert_eq!(*store.get(entry).unwrap().unwrap(), secret);
        }
    }

    /// Review finding (fixed): `encode_key` relied on its scratch buffer to
    /// refuse a long secret and wrote a 31-byte one. Only 32 bytes are
    /// encoded; anything else is refused before a byte is written.
    #[test]
    fn only_a_32_byte_secret_is_encoded() {
        let path = Path::new(PATH);
        for len in [0, 1, 31, 33, 34, 48, 64] {
            match encode_key(path, SecretEntry::DeviceKey, &vec![7u8; len], None, POLICY) {
                Err(Error::KeyFile { problem, .. }) => {
                    assert_eq!(problem, KeyFileProblem::PrivateKey, "{len}")
                }
                other => panic!(
                    "{len} bytes: expected a refusal, got {:?}",
                    other.map(|_| "a file")
                ),
            }
        }
        assert!(encode_key(path, SecretEntry::DeviceKey, &[7u8; 32], None, POLICY).is_ok());
    }

    #[test]
    fn passphrase_debug_is_redacted() {
        let pass = Passphrase::new(b"secret words").unwrap();
        assert_eq!(format!("{pass:?}"), "Passphrase([redacted])");
        assert!(Passphrase::new(b"").is_none());
    }
}
