//! Noise's `HandshakeState` (section 5.3) for the XX and XXpsk2 patterns.

use core::fmt;

use rand_core::TryCryptoRng;

use super::cipher::{CipherState, TAG_LEN};
use super::symmetric::SymmetricState;
use super::{MAX_MESSAGE_LEN, Prologue, Protocol, Psk};
use crate::Error;
use crate::crypto::hash::HASH_LEN;
use crate::crypto::x25519::{
    self, EphemeralSecret, PublicKey, SharedSecret, StaticPublicKey, StaticSecret,
};

/// Which side of the handshake this state plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Sends the first message.
    Initiator,
    /// Answers the first message.
    Responder,
}

/// The tokens of a message pattern (Noise section 7).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Token {
    E,
    S,
    Ee,
    Es,
    Se,
    Psk,
}

use Token::{E, Ee, Es, Psk as PskToken, S, Se};

const XX: [&[Token]; 3] = [&[E], &[E, Ee, S, Es], &[S, Se]];
const XX_PSK2: [&[Token]; 3] = [&[E], &[E, Ee, S, Es, PskToken], &[S, Se]];

/// What the handshake expects next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// This side writes the next message.
    Write,
    /// This side reads the next message.
    Read,
    /// All three messages are done; call [`HandshakeState::finish`].
    Finish,
    /// An error ended the handshake.
    Failed,
}

/// A Noise XX or XXpsk2 handshake in progress, sans-IO over caller buffers.
///
/// Three messages: the initiator writes 1 and 3, the responder writes 2. Any
/// error while processing a message ends the handshake: every secret is
/// zeroized at once and every later call returns [`Error::HandshakeFailed`].
/// A call out of turn, or with an output buffer that is too small, is refused
/// before anything is processed and leaves the state unchanged.
///
/// The peer's static key is exposed ([`HandshakeState::remote_static`]) only
/// once the whole message carrying it has been verified, and only if it is
/// canonical and not of small order. The initiator may inspect it (and the
/// payload of message 2) before writing message 3, and [`abort`] instead,
/// sending nothing; the responder likewise after message 3.
///
/// The local static secret is borrowed, the ephemeral secret is drawn from the
/// injected RNG when the state is made (a test RNG that returns given bytes
/// yields a given ephemeral key, which is how published vectors are run), and
/// no hasher state is kept between calls.
///
/// [`abort`]: HandshakeState::abort
pub struct HandshakeState<'a> {
    symmetric: SymmetricState,
    s: &'a StaticSecret,
    e: Option<EphemeralSecret>,
    re: Option<PublicKey>,
    rs: Option<StaticPublicKey>,
    psk: Option<Psk>,
    role: Role,
    /// Index of the next message, 0 to 2; 3 when done.
    message: u8,
    failed: bool,
}

impl<'a> HandshakeState<'a> {
    /// Starts a HoneyLink handshake: the [`Prologue`]'s mode must match the
    /// protocol (XX for a session, XXpsk2 for a pairing), so a pairing can
    /// never run without its PSK by mistake.
    ///
    /// # Errors
    /// [`Error::ModeMismatch`] if they do not match; [`Error::Rng`] if the
    /// RNG fails.
    pub fn new<R: TryCryptoRng + ?Sized>(
        protocol: Protocol,
        role: Role,
        prologue: &Prologue,
        local_static: &'a StaticSecret,
        rng: &mut R,
    ) -> Result<Self, Error> {
        if prologue.mode().is_pairing() != matches!(protocol, Protocol::XxPsk2(_)) {
            return Err(Error::ModeMismatch);
        }
        Self::start(protocol, role, prologue.as_bytes(), local_static, rng)
    }

    /// Starts a handshake with any prologue bytes: `InitializeSymmetric` with
    /// the protocol name, `MixHash(prologue)`, and a fresh ephemeral key from
    /// `rng`. For published vectors only (it skips the mode check of
    /// [`HandshakeState::new`], so a pairing could run without its PSK):
    /// compiled with the `hazmat-testing` feature.
    ///
    /// # Errors
    /// [`Error::Rng`] if the RNG fails.
    #[cfg(feature = "hazmat-testing")]
    pub fn with_raw_prologue<R: TryCryptoRng + ?Sized>(
        protocol: Protocol,
        role: Role,
        prologue: &[u8],
        local_static: &'a StaticSecret,
        rng: &mut R,
    ) -> Result<Self, Error> {
        Self::start(protocol, role, prologue, local_static, rng)
    }

    fn start<R: TryCryptoRng + ?Sized>(
        protocol: Protocol,
        role: Role,
        prologue: &[u8],
        local_static: &'a StaticSecret,
        rng: &mut R,
    ) -> Result<Self, Error> {
        let mut symmetric = SymmetricState::new(protocol.name().as_bytes());
        symmetric.mix_hash(prologue);
        let psk = match protocol {
            Protocol::Xx => None,
            Protocol::XxPsk2(psk) => Some(psk),
        };
        Ok(Self {
            symmetric,
            s: local_static,
            e: Some(EphemeralSecret::generate(rng)?),
            re: None,
            rs: None,
            psk,
            role,
            message: 0,
            failed: false,
        })
    }

    /// This side's role.
    #[must_use]
    pub const fn role(&self) -> Role {
        self.role
    }

    /// What the handshake expects next.
    #[must_use]
    pub const fn next(&self) -> Next {
        if self.failed {
            return Next::Failed;
        }
        match (self.message, self.role) {
            (3.., _) => Next::Finish,
            (1, Role::Responder) | (0 | 2, Role::Initiator) => Next::Write,
            _ => Next::Read,
        }
    }

    /// The peer's static key, once the message that carried it has been
    /// wholly verified.
    #[must_use]
    pub const fn remote_static(&self) -> Option<&StaticPublicKey> {
        self.rs.as_ref()
    }

    /// The handshake hash so far (Noise's `h`); after the last message, the
    /// value to use for channel binding.
    #[must_use]
    pub const fn handshake_hash(&self) -> &[u8; HASH_LEN] {
        self.symmetric.handshake_hash()
    }

    fn tokens(&self) -> &'static [Token] {
        let pattern = if self.psk.is_some() { &XX_PSK2 } else { &XX };
        pattern
            .get(usize::from(self.message))
            .copied()
            .unwrap_or(&[])
    }

    /// The shape of this turn's message: the bytes its tokens take, and
    /// whether its payload carries a tag (a key is set by then).
    fn layout(&self) -> (usize, bool) {
        let mut has_key = self.symmetric.has_key();
        let mut len = 0usize;
        for token in self.tokens() {
            match token {
                E => {
                    len += x25519::KEY_LEN;
                    has_key |= self.psk.is_some();
                }
                S => len += x25519::KEY_LEN + if has_key { TAG_LEN } else { 0 },
                Ee | Es | Se | PskToken => has_key = true,
            }
        }
        (len, has_key)
    }

    /// Length of this turn's message for a payload of `payload_len` bytes.
    fn message_len(&self, payload_len: usize) -> usize {
        let (tokens_len, tagged) = self.layout();
        tokens_len
            .saturating_add(payload_len)
            .saturating_add(if tagged { TAG_LEN } else { 0 })
    }

    fn check_turn(&self, wanted: Next) -> Result<(), Error> {
        match self.next() {
            Next::Failed => Err(Error::HandshakeFailed),
            next if next == wanted => Ok(()),
            _ => Err(Error::OutOfOrder),
        }
    }

    /// Ends the handshake: zeroizes every secret, so later calls fail.
    fn fail(&mut self, error: Error) -> Error {
        self.symmetric.wipe();
        self.e = None;
        self.psk = None;
        self.re = None;
        self.rs = None;
        self.failed = true;
        error
    }

    /// The Diffie-Hellman a token names, from this side's point of view.
    fn dh(&self, token: Token, rs: Option<&StaticPublicKey>) -> Result<SharedSecret, Error> {
        let re = self.re.as_ref().ok_or(Error::HandshakeFailed)?;
        let e = self.e.as_ref().ok_or(Error::HandshakeFailed)?;
        let rs = rs.map(StaticPublicKey::as_dh_input);
        let rs = rs.as_ref().ok_or(Error::HandshakeFailed);
        match (token, self.role) {
            (Ee, _) => e.diffie_hellman(re),
            (Es, Role::Initiator) | (Se, Role::Responder) => e.diffie_hellman(rs?),
            (Es, Role::Responder) | (Se, Role::Initiator) => self.s.diffie_hellman(re),
            _ => Err(Error::HandshakeFailed),
        }
    }

    /// Writes the next message, carrying `payload`, into `out`; returns its
    /// length.
    ///
    /// # Errors
    /// Refused with the state unchanged: [`Error::OutOfOrder`] if it is not
    /// this side's turn to write, [`Error::HandshakeFailed`] after a failure,
    /// [`Error::MessageTooLong`] if the message would exceed 65,535 bytes,
    /// [`Error::BufferTooSmall`] if `out` cannot hold it. Any other error
    /// ends the handshake.
    pub fn write_message(&mut self, payload: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        self.check_turn(Next::Write)?;
        let needed = self.message_len(payload.len());
        if needed > MAX_MESSAGE_LEN {
            return Err(Error::MessageTooLong);
        }
        let out = out
            .get_mut(..needed)
            .ok_or(Error::BufferTooSmall { needed })?;
        match self.write_tokens(payload, out) {
            Ok(len) => {
                self.message += 1;
                Ok(len)
            }
            Err(error) => Err(self.fail(error)),
        }
    }

    fn write_tokens(&mut self, payload: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        let mut at = 0usize;
        for &token in self.tokens() {
            let rest = out.get_mut(at..).ok_or(Error::MessageTooShort)?;
            match token {
                E => {
                    let e = self.e.as_ref().ok_or(Error::HandshakeFailed)?;
                    let public = *e.public_key().as_bytes();
                    rest.get_mut(..x25519::KEY_LEN)
                        .ok_or(Error::MessageTooShort)?
                        .copy_from_slice(&public);
                    self.symmetric.mix_hash(&public);
                    if self.psk.is_some() {
                        self.symmetric.mix_key(&public);
                    }
                    at += x25519::KEY_LEN;
                }
                S => {
                    at += self
                        .symmetric
                        .encrypt_and_hash(self.s.public_key().as_bytes(), rest)?
                }
                PskToken => self.mix_psk()?,
                dh => {
                    let shared = self.dh(dh, self.rs.as_ref())?;
                    self.symmetric.mix_key(shared.expose_secret());
                }
            }
        }
        let rest = out.get_mut(at..).ok_or(Error::MessageTooShort)?;
        at += self.symmetric.encrypt_and_hash(payload, rest)?;
        Ok(at)
    }

    fn mix_psk(&mut self) -> Result<(), Error> {
        let psk = self.psk.as_ref().ok_or(Error::HandshakeFailed)?;
        self.symmetric.mix_key_and_hash(psk.expose_secret());
        Ok(())
    }

    /// Reads the peer's next message and writes its payload into
    /// `payload_out`; returns the payload's length.
    ///
    /// # Errors
    /// Refused with the state unchanged: [`Error::OutOfOrder`],
    /// [`Error::HandshakeFailed`], and [`Error::BufferTooSmall`] if
    /// `payload_out` cannot hold the payload this message would carry (its
    /// length is the peer's choice, up to the 65,535-byte limit: the caller
    /// may retry with a larger buffer, or drop the handshake). Every
    /// error about the message itself ends the handshake:
    /// [`Error::MessageTooShort`], [`Error::MessageTooLong`], [`Error::Aead`],
    /// [`Error::NonCanonicalKey`], [`Error::LowOrderKey`],
    /// [`Error::ZeroSharedSecret`].
    pub fn read_message(&mut self, message: &[u8], payload_out: &mut [u8]) -> Result<usize, Error> {
        self.check_turn(Next::Read)?;
        if message.len() > MAX_MESSAGE_LEN {
            return Err(self.fail(Error::MessageTooLong));
        }
        let Some(payload_len) = message.len().checked_sub(self.message_len(0)) else {
            return Err(self.fail(Error::MessageTooShort));
        };
        if payload_out.len() < payload_len {
            return Err(Error::BufferTooSmall {
                needed: payload_len,
            });
        }
        match self.read_tokens(message, payload_out) {
            Ok((len, rs)) => {
                self.rs = rs;
                self.message += 1;
                Ok(len)
            }
            Err(error) => Err(self.fail(error)),
        }
    }

    /// [`HandshakeState::read_message`] for a caller whose buffer is its
    /// protocol's largest payload: a message carrying more is refused as
    /// [`Error::InputTooLong`] naming that bound (the state unchanged, as
    /// for any payload too large), not as the caller's buffer being small.
    pub(crate) fn read_payload_at_most(
        &mut self,
        message: &[u8],
        payload_out: &mut [u8],
    ) -> Result<usize, Error> {
        let max = payload_out.len();
        self.read_message(message, payload_out)
            .map_err(|error| match error {
                Error::BufferTooSmall { .. } => Error::InputTooLong { max },
                other => other,
            })
    }

    /// [`HandshakeState::read_message`] of a message that must carry no
    /// payload: one that carries any is refused as
    /// [`Error::UnexpectedPayload`] before anything is read, the state
    /// unchanged. A message too short for its pattern, or over the Noise
    /// limit of 65,535 bytes, is not a payload question: it fails the
    /// handshake as [`HandshakeState::read_message`] does.
    pub(crate) fn read_empty_payload(&mut self, message: &[u8]) -> Result<(), Error> {
        match self.read_message(message, &mut []) {
            Ok(_) => Ok(()),
            Err(Error::BufferTooSmall { .. }) => Err(Error::UnexpectedPayload),
            Err(other) => Err(other),
        }
    }

    fn read_tokens(
        &mut self,
        message: &[u8],
        payload_out: &mut [u8],
    ) -> Result<(usize, Option<StaticPublicKey>), Error> {
        let mut rest = message;
        // A static key read in this message stays here, unexposed, until the
        // whole message has verified.
        let mut rs = self.rs;
        for &token in self.tokens() {
            match token {
                E => {
                    let (bytes, tail) = rest
                        .split_at_checked(x25519::KEY_LEN)
                        .ok_or(Error::MessageTooShort)?;
                    self.symmetric.mix_hash(bytes);
                    if self.psk.is_some() {
                        self.symmetric.mix_key(bytes);
                    }
                    self.re = Some(PublicKey::from_slice(bytes)?);
                    rest = tail;
                }
                S => {
                    let (bytes, tail) = rest
                        .split_at_checked(x25519::KEY_LEN + self.symmetric.overhead())
                        .ok_or(Error::MessageTooShort)?;
                    let mut key = [0u8; x25519::KEY_LEN];
                    self.symmetric.decrypt_and_hash(bytes, &mut key)?;
                    rs = Some(StaticPublicKey::from_bytes(&key)?);
                    rest = tail;
                }
                PskToken => self.mix_psk()?,
                dh => {
                    let shared = self.dh(dh, rs.as_ref())?;
                    self.symmetric.mix_key(shared.expose_secret());
                }
            }
        }
        let len = self.symmetric.decrypt_and_hash(rest, payload_out)?;
        Ok((len, rs))
    }

    /// Abandons the handshake, sending nothing; every secret is zeroized.
    pub fn abort(self) {}

    /// After the last message: `Split()` into the two transport cipher
    /// states, with the handshake hash and the peer's verified static key.
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] before the last message, and
    /// [`Error::HandshakeFailed`] after a failure. Either way `self` is
    /// consumed and zeroized: check [`HandshakeState::next`] first.
    pub fn finish(self) -> Result<HandshakeOutcome, Error> {
        self.check_turn(Next::Finish)?;
        let remote_static = self.rs.ok_or(Error::HandshakeFailed)?;
        let (initiator_to_responder, responder_to_initiator) = self.symmetric.split();
        let (send, receive) = match self.role {
            Role::Initiator => (initiator_to_responder, responder_to_initiator),
            Role::Responder => (responder_to_initiator, initiator_to_responder),
        };
        Ok(HandshakeOutcome {
            send,
            receive,
            handshake_hash: *self.symmetric.handshake_hash(),
            remote_static,
        })
    }
}

impl fmt::Debug for HandshakeState<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandshakeState")
            .field("role", &self.role)
            .field("next", &self.next())
            .field("remote_static", &self.rs)
            .field("secrets", &"[redacted]")
            .finish()
    }
}

/// What a completed handshake yields: the two transport cipher states, the
/// handshake hash for channel binding, and the peer's verified static key.
/// Made only by [`HandshakeState::finish`], so its cipher states are always
/// fresh (nonce 0). `Debug` shows only the peer's key.
pub struct HandshakeOutcome {
    send: CipherState,
    receive: CipherState,
    handshake_hash: [u8; HASH_LEN],
    remote_static: StaticPublicKey,
}

impl HandshakeOutcome {
    /// The final handshake hash `h` (64 bytes): unique to this handshake and
    /// known to both sides, for channel binding.
    #[must_use]
    pub const fn handshake_hash(&self) -> &[u8; HASH_LEN] {
        &self.handshake_hash
    }

    /// The peer's static key, verified by the handshake (not yet trusted:
    /// that is the trust module's decision).
    #[must_use]
    pub const fn remote_static(&self) -> &StaticPublicKey {
        &self.remote_static
    }

    /// The cipher states: what this side sends with, then what it receives
    /// with. Both are fresh; the sessions in [`crate::session`] take the
    /// whole outcome instead.
    #[must_use]
    pub fn into_cipher_states(self) -> (CipherState, CipherState) {
        (self.send, self.receive)
    }
}

impl fmt::Debug for HandshakeOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandshakeOutcome")
            .field("remote_static", &self.remote_static)
            .field("keys", &"[redacted]")
            .finish()
    }
}
