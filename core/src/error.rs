//! The core's one error type.

use core::fmt;

/// Every way an operation of `honeylink-core` can fail.
///
/// The enum is small and `Copy`: it never allocates and never carries secret
/// data. A failed AEAD open is the single opaque variant [`Error::Aead`], so
/// an attacker learns nothing about which check failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The injected random-number generator reported a failure.
    Rng,
    /// A Diffie-Hellman result was all zeros: the peer's public key has low
    /// order (or is zero), so the exchange contributes no secret.
    ZeroSharedSecret,
    /// An X25519 public key that identifies a device was not in canonical form
    /// (bit 255 set, or `u >= 2^255 - 19`).
    NonCanonicalKey,
    /// An X25519 public key that identifies a device is a point of small
    /// order; no Diffie-Hellman with it can be secret.
    LowOrderKey,
    /// An Ed25519 public key did not decode as a curve point.
    InvalidVerifyingKey,
    /// An Ed25519 public key is a point of small order (a "weak" key, under
    /// which signatures can be forged without any secret).
    WeakVerifyingKey,
    /// An Ed25519 signature's scalar `s` was not reduced modulo the group
    /// order; such an encoding is malleable and refused before verification.
    MalformedSignature,
    /// An Ed25519 signature did not verify under strict verification.
    SignatureInvalid,
    /// Authenticated decryption failed. Deliberately opaque.
    Aead,
    /// A byte string had the wrong length for the value decoded from it.
    InvalidLength {
        /// The only length this value can have.
        expected: usize,
        /// The length that was given.
        found: usize,
    },
    /// An encoding's version byte names a version this build does not know.
    UnknownVersion {
        /// The version found.
        found: u8,
    },
    /// A caller-provided output buffer is too small.
    BufferTooSmall {
        /// The number of bytes the operation needs.
        needed: usize,
    },
    /// An input is longer than the operation accepts.
    InputTooLong {
        /// The largest accepted length in bytes.
        max: usize,
    },
    /// HKDF was asked for more than 255 * 64 bytes of output.
    KdfOutputTooLong,
    /// A text form (device id, fingerprint, base32) contained a character
    /// outside its alphabet, at this byte position of the input.
    InvalidCharacter {
        /// Byte offset of the offending character.
        position: usize,
    },
    /// A text form had the wrong number of characters or groups.
    InvalidTextLength,
    /// Base32 text had non-zero bits after its last full byte, so it is not
    /// the canonical encoding of any byte string.
    NonCanonicalBase32,
    /// One group of a fingerprint failed its Luhn mod 32 check: a character
    /// in that group was mistyped.
    FingerprintChecksum {
        /// Index (0-based) of the group whose check character did not match.
        group: u8,
    },
    /// A handshake, pairing or session call came out of turn (for example
    /// reading when it is this side's turn to write). Nothing was processed
    /// and the state is unchanged, except where a method that consumes its
    /// state says otherwise (`HandshakeState::finish`).
    OutOfOrder,
    /// An earlier error ended this handshake (Noise's rule); its secrets are
    /// already zeroized and every later call fails.
    HandshakeFailed,
    /// A handshake's prologue mode and its Noise protocol disagree (a session
    /// prologue with XXpsk2, or a pairing prologue with plain XX).
    ModeMismatch,
    /// A handshake message is shorter than its pattern requires.
    MessageTooShort,
    /// A Noise message would exceed 65,535 bytes.
    MessageTooLong,
    /// A Noise cipher state has used its last nonce; it refuses to encrypt
    /// rather than reuse one.
    NonceExhausted,
    /// Already received: a datagram record's counter, or a pairing message 1
    /// whose ephemeral key the code's creator has already answered (a
    /// replay).
    Replayed,
    /// A datagram record's counter is older than the replay window covers.
    TooOld,
    /// A datagram record's counter is more than one key epoch ahead of the
    /// receiver; refused before any cryptography, so a forged counter costs
    /// the receiver nothing.
    TooFarAhead,
    /// A transport record is shorter than its header and tag.
    RecordTooShort,
    /// An encoded structure (postcard) did not decode.
    Malformed,
    /// An encoded structure decoded but bytes were left over.
    TrailingBytes,
    /// A handshake payload used flag bits this version does not define.
    UnknownFlags,
    /// A pairing handshake payload carried no device name.
    NameMissing,
    /// A session handshake payload carried a device name (sessions send
    /// none, so an anonymous prober learns less).
    NameUnexpected,
    /// An audit record was to be signed with a key that is not the chain's
    /// current signing key.
    WrongSigningKey,
    /// An audit event that only its own method may write (genesis, signing-key
    /// rotation) was passed to `append`.
    ReservedEvent,
    /// A trust store or table is full; nothing was evicted to make room.
    StoreFull,
    /// No paired device has this id.
    PeerNotFound,
    /// The device or its key is blocked; a pairing does not lift a block.
    PeerBlocked,
    /// The key is already trusted under another device id.
    KeyTrustedElsewhere,
    /// A pairing brought a different key for a known device, and the person
    /// has not chosen to re-verify a key change for it.
    KeyChangeNotApproved,
    /// The "changed" key is the trusted key itself.
    NotAKeyChange,
    /// A key-change action was requested but no presented key is pending.
    NoPendingKey,
    /// A key-change action named a presented key that is no longer the
    /// pending one (another key was presented since it was shown): show the
    /// new one and ask again.
    PendingKeyChanged,
    /// A trust-store image's MAC did not verify: corrupted, or forged without
    /// the device's secret.
    ImageAuthentication,
    /// A pairing code's validity exceeds 300 seconds.
    ValidityTooLong,
    /// Pairing text does not start with `HL1:`.
    MissingPrefix,
    /// Pairing text decoded but its checksum does not match: the code was
    /// damaged or mistyped.
    ChecksumMismatch,
    /// The pairing payload has expired (judged by its creator's clock).
    PayloadExpired,
    /// The pairing payload was already used by a completed pairing.
    PayloadUsed,
    /// Another pairing run with this payload is in progress; try again later.
    Busy,
    /// The pairing payload has answered as many runs as it can remember
    /// (so it could not refuse their replays); show a new code.
    PayloadExhausted,
    /// A pairing message came with another run's ticket (from another
    /// connection): refused, and the run in progress is untouched.
    WrongRun,
    /// The pairing run waited too long for its last message and was dropped.
    RunTimedOut,
    /// The responder's static key is not the one in the pairing payload.
    KeyMismatch,
    /// The peer named a different device id than the one bound earlier (in
    /// the payload, or in the PIN exchange).
    DeviceIdMismatch,
    /// A handshake message carried a payload where HoneyLink sends none.
    UnexpectedPayload,
    /// An NDEF length points past the end of the message.
    NdefTruncated,
    /// An NDEF record is chunked, which pairing does not accept.
    NdefChunked,
    /// An NDEF message is framed wrongly (MB/ME flags, reserved TNF, bytes
    /// after the last record, an empty record with content).
    NdefFraming,
    /// No HoneyLink record in the NDEF message.
    NdefNoRecord,
    /// More than one HoneyLink record in the NDEF message.
    NdefDuplicate,
    // CPace
    /// A CPace password-related string (PRS) was longer than
    /// [`crate::pairing::cpace::MAX_PRS_LEN`] bytes.
    CpacePrsTooLong,
    /// A CPace channel identifier was longer than
    /// [`crate::pairing::cpace::MAX_CI_LEN`] bytes, or its purpose label
    /// longer than [`crate::pairing::cpace::MAX_PURPOSE_LEN`].
    CpaceChannelIdTooLong,
    /// A CPace session id was longer than
    /// [`crate::pairing::cpace::MAX_SID_LEN`] bytes.
    CpaceSessionIdTooLong,
    /// CPace associated data (ADa or ADb) was longer than
    /// [`crate::pairing::cpace::MAX_AD_LEN`] bytes.
    CpaceAssociatedDataTooLong,
    /// A received CPace share is not the canonical encoding of a ristretto255
    /// element. The run is over.
    CpaceShareInvalid,
    /// A received CPace share is the identity element (or yields it). The
    /// run is over.
    CpaceShareIdentity,
    /// A received CPace share equals the receiver's own share: a reflected
    /// message. The run is over.
    CpaceShareReflected,
    /// The peer's CPace confirmation tag did not verify: the peer used
    /// another PIN (or channel, session or transcript), or a message was
    /// altered. The run is over.
    CpaceConfirmationFailed,
    /// Typed PIN text is not six ASCII digits.
    InvalidPin,
    /// This PIN's one run has already begun; show a new PIN.
    PinUsed,
    /// The PIN was not used within its validity.
    PinExpired,
    /// PIN pairing is locked out after repeated failures.
    LockedOut {
        /// Seconds until it unlocks.
        remaining: u64,
    },
    /// The peer is not trusted, so this side will not send its own identity
    /// or open a session.
    NotTrusted,
    /// A device name was empty.
    NameEmpty,
    /// A device name was longer than [`crate::identity::DeviceName::MAX_LEN`]
    /// bytes.
    NameTooLong,
    /// A device name was not valid UTF-8.
    NameNotUtf8,
    /// A device name contained a control character, a default-ignorable or
    /// format (Cf) character, or a line or paragraph separator (which could rewrite, reorder or hide what a terminal or a screen shows
    /// the person deciding whether to trust it).
    NameControlCharacter,
    /// A signing context's label was empty or longer than
    /// [`crate::identity::SigningContext::MAX_LEN`] bytes.
    InvalidSigningContext,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Rng => f.write_str("the random-number generator failed"),
            Self::ZeroSharedSecret => {
                f.write_str("Diffie-Hellman result is all zeros (low-order public key)")
            }
            Self::NonCanonicalKey => f.write_str("X25519 public key is not canonically encoded"),
            Self::LowOrderKey => f.write_str("X25519 public key has small order"),
            Self::InvalidVerifyingKey => f.write_str("Ed25519 public key is not a curve point"),
            Self::WeakVerifyingKey => f.write_str("Ed25519 public key has small order"),
            Self::MalformedSignature => f.write_str("Ed25519 signature scalar is not reduced"),
            Self::SignatureInvalid => f.write_str("Ed25519 signature does not verify"),
            Self::Aead => f.write_str("authenticated decryption failed"),
            Self::InvalidLength { expected, found } => {
                write!(f, "wrong length: expected {expected} bytes, found {found}")
            }
            Self::UnknownVersion { found } => write!(f, "unknown encoding version {found}"),
            Self::BufferTooSmall { needed } => {
                write!(f, "output buffer too small: {needed} bytes needed")
            }
            Self::InputTooLong { max } => write!(f, "input too long: at most {max} bytes"),
            Self::KdfOutputTooLong => f.write_str("HKDF output longer than 255 hash lengths"),
            Self::InvalidCharacter { position } => {
                write!(f, "invalid character at position {position}")
            }
            Self::InvalidTextLength => f.write_str("text has the wrong length"),
            Self::NonCanonicalBase32 => f.write_str("base32 text has non-zero trailing bits"),
            Self::FingerprintChecksum { group } => write!(
                f,
                "fingerprint group {} fails its check character (typo?)",
                u16::from(group) + 1
            ),
            Self::OutOfOrder => f.write_str("call out of order for this handshake or session"),
            Self::HandshakeFailed => f.write_str("the handshake already failed"),
            Self::ModeMismatch => f.write_str("prologue mode and Noise protocol disagree"),
            Self::MessageTooShort => f.write_str("handshake message too short"),
            Self::MessageTooLong => f.write_str("Noise message longer than 65535 bytes"),
            Self::NonceExhausted => f.write_str("cipher state nonce exhausted"),
            Self::Replayed => f.write_str("message already received (a replay)"),
            Self::TooOld => f.write_str("record counter older than the replay window"),
            Self::TooFarAhead => f.write_str("record counter more than one key epoch ahead"),
            Self::RecordTooShort => f.write_str("transport record too short"),
            Self::Malformed => f.write_str("encoded structure is malformed"),
            Self::TrailingBytes => f.write_str("encoded structure has trailing bytes"),
            Self::UnknownFlags => f.write_str("payload has unknown flag bits"),
            Self::NameMissing => f.write_str("pairing payload has no device name"),
            Self::NameUnexpected => f.write_str("session payload carries a device name"),
            Self::WrongSigningKey => f.write_str("not the audit chain's current signing key"),
            Self::ReservedEvent => f.write_str("this audit event has its own method"),
            Self::StoreFull => f.write_str("store is full"),
            Self::PeerNotFound => f.write_str("no paired device has this id"),
            Self::PeerBlocked => f.write_str("the device or its key is blocked"),
            Self::KeyTrustedElsewhere => f.write_str("the key is trusted under another device id"),
            Self::KeyChangeNotApproved => {
                f.write_str("a different key for a known device needs the re-verify action first")
            }
            Self::NotAKeyChange => f.write_str("the presented key is the trusted key"),
            Self::NoPendingKey => f.write_str("no presented key awaits a decision"),
            Self::PendingKeyChanged => {
                f.write_str("another key was presented since this one was shown; decide again")
            }
            Self::ImageAuthentication => f.write_str("trust store image failed authentication"),
            Self::ValidityTooLong => f.write_str("pairing code validity exceeds 300 seconds"),
            Self::MissingPrefix => f.write_str("pairing text does not start with HL1:"),
            Self::ChecksumMismatch => {
                f.write_str("pairing code checksum mismatch (damaged or mistyped)")
            }
            Self::PayloadExpired => f.write_str("pairing code has expired"),
            Self::PayloadUsed => f.write_str("pairing code was already used"),
            Self::Busy => f.write_str("another pairing is in progress"),
            Self::PayloadExhausted => {
                f.write_str("the pairing code has answered all the runs it can; show a new one")
            }
            Self::WrongRun => f.write_str("message from another pairing run"),
            Self::RunTimedOut => f.write_str("pairing run timed out"),
            Self::KeyMismatch => f.write_str("responder key differs from the pairing code"),
            Self::DeviceIdMismatch => {
                f.write_str("peer device id differs from the one bound earlier")
            }
            Self::UnexpectedPayload => {
                f.write_str("handshake message carries an unexpected payload")
            }
            Self::NdefTruncated => f.write_str("NDEF length past the end of the message"),
            Self::NdefChunked => f.write_str("chunked NDEF records are not accepted"),
            Self::NdefFraming => f.write_str("NDEF message framing is invalid"),
            Self::NdefNoRecord => f.write_str("no HoneyLink record in the NDEF message"),
            Self::NdefDuplicate => {
                f.write_str("more than one HoneyLink record in the NDEF message")
            }
            Self::CpacePrsTooLong => f.write_str("CPace password string is too long"),
            Self::CpaceChannelIdTooLong => f.write_str("CPace channel identifier is too long"),
            Self::CpaceSessionIdTooLong => f.write_str("CPace session id is too long"),
            Self::CpaceAssociatedDataTooLong => f.write_str("CPace associated data is too long"),
            Self::CpaceShareInvalid => f.write_str("CPace share is not a ristretto255 encoding"),
            Self::CpaceShareIdentity => f.write_str("CPace share is the identity element"),
            Self::CpaceShareReflected => f.write_str("CPace share is our own share reflected"),
            Self::CpaceConfirmationFailed => {
                f.write_str("CPace confirmation tag does not verify (wrong PIN?)")
            }
            Self::InvalidPin => f.write_str("a PIN is six digits"),
            Self::PinUsed => f.write_str("this PIN was already used; show a new one"),
            Self::PinExpired => f.write_str("the PIN has expired"),
            Self::LockedOut { remaining } => {
                write!(f, "PIN pairing is locked for {remaining} more seconds")
            }
            Self::NotTrusted => f.write_str("the peer is not trusted"),
            Self::NameEmpty => f.write_str("device name is empty"),
            Self::NameTooLong => f.write_str("device name is longer than 32 bytes"),
            Self::NameNotUtf8 => f.write_str("device name is not valid UTF-8"),
            Self::NameControlCharacter => {
                f.write_str("device name contains a control, invisible or format character")
            }
            Self::InvalidSigningContext => {
                f.write_str("signing context label is empty or too long")
            }
        }
    }
}

/// `core::error::Error` is the same trait as `std::error::Error`, so hosts can
/// box and chain the core's errors without any feature.
impl core::error::Error for Error {}

/// The result type of the core.
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::{String, ToString};
    use std::vec::Vec;

    use super::Error;

    /// Lists every variant once: the unit variants by name, the others with
    /// sample fields. The `match` it also generates has no wildcard, so a new
    /// variant does not compile until it is listed here too.
    macro_rules! every_variant {
        ($($unit:ident),* ; $($data:ident { $field:ident: $value:expr }),* $(,)?) => {{
            const fn listed(error: Error) {
                match error {
                    $(Error::$unit)|* => {}
                    $(Error::$data { .. } => {})*
                    Error::InvalidLength { .. } => {}
                }
            }
            let all = std::vec![
                $(Error::$unit,)*
                $(Error::$data { $field: $value },)*
                Error::InvalidLength { expected: 32, found: 31 },
            ];
            all.iter().copied().for_each(listed);
            all
        }};
    }

    fn every_error() -> Vec<Error> {
        every_variant!(
            Rng, ZeroSharedSecret, NonCanonicalKey, LowOrderKey, InvalidVerifyingKey,
            WeakVerifyingKey, MalformedSignature, SignatureInvalid, Aead, KdfOutputTooLong,
            InvalidTextLength, NonCanonicalBase32, OutOfOrder, HandshakeFailed, ModeMismatch,
            MessageTooShort, MessageTooLong, NonceExhausted, Replayed, TooOld, TooFarAhead,
            RecordTooShort, Malformed, TrailingBytes, UnknownFlags, NameMissing, NameUnexpected,
            WrongSigningKey, ReservedEvent, StoreFull, PeerNotFound, PeerBlocked,
            KeyTrustedElsewhere, KeyChangeNotApproved, NotAKeyChange, NoPendingKey,
            PendingKeyChanged, ImageAuthentication, ValidityTooLong, MissingPrefix,
            ChecksumMismatch, PayloadExpired, PayloadUsed, Busy, PayloadExhausted, WrongRun,
            RunTimedOut, KeyMismatch, DeviceIdMismatch, UnexpectedPayload, NdefTruncated,
            NdefChunked, NdefFraming, NdefNoRecord, NdefDuplicate, CpacePrsTooLong,
            CpaceChannelIdTooLong, CpaceSessionIdTooLong, CpaceAssociatedDataTooLong,
            CpaceShareInvalid, CpaceShareIdentity, CpaceShareReflected,
            CpaceConfirmationFailed, InvalidPin, PinUsed, PinExpired, NotTrusted, NameEmpty,
            NameTooLong, NameNotUtf8, NameControlCharacter, InvalidSigningContext;
            UnknownVersion { found: 7 },
            BufferTooSmall { needed: 4096 },
            InputTooLong { max: 65535 },
            InvalidCharacter { position: 12 },
            FingerprintChecksum { group: 2 },
            LockedOut { remaining: 300 },
        )
    }

    #[test]
    fn every_error_has_its_own_message() {
        let messages: Vec<String> = every_error().iter().map(ToString::to_string).collect();
        for (i, message) in messages.iter().enumerate() {
            assert!(!message.is_empty(), "variant {i} prints nothing");
            assert!(
                !messages.iter().take(i).any(|earlier| earlier == message),
                "two variants print {message:?}"
            );
        }
    }

    #[test]
    fn messages_carry_their_numbers() {
        let shown = |error: Error| error.to_string();
        assert_eq!(
            shown(Error::InvalidLength {
                expected: 32,
                found: 31
            }),
            "wrong length: expected 32 bytes, found 31"
        );
        assert!(shown(Error::UnknownVersion { found: 7 }).ends_with(" 7"));
        assert!(shown(Error::BufferTooSmall { needed: 4096 }).contains("4096 bytes needed"));
        assert!(shown(Error::InputTooLong { max: 65535 }).contains("at most 65535 bytes"));
        assert!(shown(Error::InvalidCharacter { position: 12 }).contains("position 12"));
        assert!(shown(Error::LockedOut { remaining: 300 }).contains("300 more seconds"));
        // The group index is 0-based; a person counts groups from 1.
        assert!(shown(Error::FingerprintChecksum { group: 2 }).starts_with("fingerprint group 3 "));
        assert!(shown(Error::FingerprintChecksum { group: 255 }).contains("group 256 "));
    }
}
