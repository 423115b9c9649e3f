//! PIN pairing (spec 4.2, made sound): a 6-digit PIN shown on one device and
//! typed on the other authenticates a CPace exchange (CPACE-RISTR255-SHA512),
//! whose key then keys Noise XXpsk2, which exchanges and authenticates the
//! static keys.
//!
//! The PIN is never sent. A man in the middle gets one guess per run, and a
//! recorded exchange tests no guess offline: every value an observer sees is
//! a ristretto255 point or a MAC under a key only the two parties can derive.
//! The device that shows the PIN is the responder; the one where it is typed
//! is the initiator.
//!
//! ```text
//! initiator (types PIN)                      responder (shows PIN)
//!   hello: version, nonce_i, id_i      ->
//!                                      <-    hello: version, nonce_r, id_r
//!   CPace share Ya                     ->
//!                                      <-    CPace share Yb, tag Tb
//!   tag Ta, Noise message 1            ->
//!                                      <-    Noise message 2
//!   Noise message 3                    ->
//! ```
//!
//! sid = nonce_i || nonce_r; CI = lv_cat(purpose, id_i, id_r); PRS = the six
//! ASCII digits. Both sides know whether the PINs matched before any Noise
//! message: the initiator from Tb, the responder from Ta. The PSK is
//! HKDF-SHA512(salt = sid, ikm = ISK, label), the prologue's binding is sid,
//! and either side aborts if the id in the Noise payload is not the one bound
//! in CPace. Seven messages, three and a half round trips.
//!
//! The responder binds every message after the hello to the connection
//! that sent it, by the ticket ([`RunId`]) its hello answer returns, and
//! counts a run against the [`PinGuard`] only once its confirmation tag
//! (the answer that lets the initiator test a guess) goes out; see
//! [`PinResponder`].
//!
//! The PIN's digits live only in zeroizing storage ([`Pin`]): a drawn PIN's
//! number is accumulated and turned into digits in place, in a zeroizing
//! slot that ends at zero. A `Pin` moved (returned, passed to
//! [`PinInitiator::start`]) leaves its old bytes behind unwiped, as any Rust
//! move can; [`super::cpace`] says what Rust cannot promise about such
//! copies.

use core::fmt;

use rand_core::TryCryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use super::cpace::{
    ChannelId, Confirming, Isk, NONCE_LEN, Party, Prs, SHARE_LEN, SessionId, Share, TAG_LEN,
};
use super::pin_guard::{PinGuard, PinGuardState, RunTicket};
use super::run::{self, LocalDevice, RunId};
use super::{MAX_PAIRING_MESSAGE_LEN, PairingMethod, PendingPeer};
use crate::Error;
use crate::crypto::hash::{HASH_LEN, MacTag, Prk};
use crate::crypto::{SecretBytes, fill_random};
use crate::identity::DeviceId;
use crate::noise::{HandshakeOutcome, HandshakeState, Prologue, Protocol, Psk, Role};

/// How long a shown PIN accepts the first message, by the showing device's
/// clock.
pub const PIN_VALIDITY_SECS: u64 = 30;
/// How long a whole PIN run may take after the PIN is shown.
pub const PIN_RUN_SECS: u64 = 90;
/// The CPace purpose string, the first part of the channel identifier.
pub const CPACE_PURPOSE: &[u8] = b"HoneyLink v1 PIN pairing";
/// Version byte of the hello messages.
pub const PIN_PROTOCOL_VERSION: u8 = 1;
/// Length of a hello message.
pub const HELLO_LEN: usize = 1 + NONCE_LEN + DeviceId::LEN;
/// Length of the responder's share-and-tag message.
pub const SHARE_AND_TAG_LEN: usize = SHARE_LEN + TAG_LEN;
/// Length of the initiator's tag followed by Noise message 1 (XXpsk2: the
/// ephemeral key and an empty payload's tag).
pub const TAG_AND_NOISE1_LEN: usize = TAG_LEN + 32 + crate::noise::TAG_LEN;
/// Room the responder needs for Noise message 2.
const NOISE2_MAX_LEN: usize = MAX_PAIRING_MESSAGE_LEN;

/// A 6-digit PIN: its ASCII digits in a [`SecretBytes`], zeroized on drop,
/// redacted in `Debug`, not `Clone`, compared in constant time.
pub struct Pin(SecretBytes<6>);

impl Pin {
    /// Draws a PIN uniformly from 000000 to 999999 (rejection sampling over
    /// 32-bit draws, so no modulo bias). The number drawn never leaves a
    /// zeroizing slot: it is read from the random bytes and turned into
    /// digits in place.
    ///
    /// # Errors
    /// [`Error::Rng`] if the RNG fails (or, with probability below
    /// 2^-500, keeps drawing values to reject).
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, Error> {
        // The largest multiple of 10^6 that fits in 32 bits.
        const LIMIT: u32 = 4_294_000_000;
        let mut pin = Self(SecretBytes::zero());
        let mut value = Zeroizing::new(0u32);
        for _ in 0..64 {
            let mut bytes = SecretBytes::<4>::zero();
            fill_random(rng, bytes.expose_secret_mut())?;
            read_le_in_place(bytes.expose_secret(), &mut value);
            if *value < LIMIT {
                *value %= 1_000_000;
                pin.set_digits(&mut value);
                return Ok(pin);
            }
        }
        Err(Error::Rng)
    }

    /// Writes the six decimal digits of `value` (below 10^6) into this PIN,
    /// consuming the value in place: it is zero afterwards.
    fn set_digits(&mut self, value: &mut u32) {
        for digit in self.0.expose_secret_mut().iter_mut().rev() {
            *digit = b'0' + u8::try_from(*value % 10).unwrap_or(0);
            *value /= 10;
        }
    }

    /// Reads a PIN a person typed: six ASCII digits; spaces are ignored.
    ///
    /// # Errors
    /// [`Error::InvalidPin`] for anything else.
    pub fn parse(typed: &str) -> Result<Self, Error> {
        let mut digits = SecretBytes::<6>::zero();
        let mut count = 0usize;
        for c in typed.bytes().filter(|c| *c != b' ') {
            if !c.is_ascii_digit() {
                return Err(Error::InvalidPin);
            }
            *digits
                .expose_secret_mut()
                .get_mut(count)
                .ok_or(Error::InvalidPin)? = c;
            count += 1;
        }
        if count != 6 {
            return Err(Error::InvalidPin);
        }
        Ok(Self(digits))
    }

    /// The six ASCII digits, to show on a screen.
    #[must_use]
    pub const fn expose_secret(&self) -> &[u8; 6] {
        self.0.expose_secret()
    }

    /// Copies the digits into the PRS slot `prs`.
    fn prs_into(&self, prs: &mut Prs) -> Result<(), Error> {
        prs.set(self.0.expose_secret())
    }
}

/// Reads `bytes` as a little-endian number into `value`, in place.
fn read_le_in_place(bytes: &[u8; 4], value: &mut u32) {
    *value = 0;
    for byte in bytes.iter().rev() {
        *value = (*value << 8) | u32::from(*byte);
    }
}

impl ZeroizeOnDrop for Pin {}

impl PartialEq for Pin {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for Pin {}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin([redacted])")
    }
}

fn write_hello(nonce: &[u8; NONCE_LEN], id: DeviceId, out: &mut [u8]) -> Result<usize, Error> {
    let out = out
        .get_mut(..HELLO_LEN)
        .ok_or(Error::BufferTooSmall { needed: HELLO_LEN })?;
    let (version, rest) = out.split_at_mut(1);
    let (nonce_out, id_out) = rest.split_at_mut(NONCE_LEN);
    version.copy_from_slice(&[PIN_PROTOCOL_VERSION]);
    nonce_out.copy_from_slice(nonce);
    id_out.copy_from_slice(id.as_bytes());
    Ok(HELLO_LEN)
}

fn read_hello(message: &[u8]) -> Result<([u8; NONCE_LEN], DeviceId), Error> {
    match message.first() {
        Some(&PIN_PROTOCOL_VERSION) => {}
        Some(&found) => return Err(Error::UnknownVersion { found }),
        None => return Err(Error::MessageTooShort),
    }
    if message.len() != HELLO_LEN {
        return Err(Error::InvalidLength {
            expected: HELLO_LEN,
            found: message.len(),
        });
    }
    let fields = message.get(1..).ok_or(Error::MessageTooShort)?;
    let (nonce, id) = fields
        .split_first_chunk::<NONCE_LEN>()
        .ok_or(Error::MessageTooShort)?;
    Ok((*nonce, DeviceId::from_slice(id)?))
}

fn read_tag(bytes: &[u8]) -> Result<MacTag, Error> {
    Ok(MacTag(crate::wire::array_from_slice(bytes)?))
}

/// The XXpsk2 PSK and prologue from CPace's key and session id.
fn noise_for<'a, R: TryCryptoRng + ?Sized>(
    isk: &Isk,
    sid: &SessionId,
    role: Role,
    local: &LocalDevice<'a>,
    rng: &mut R,
) -> Result<HandshakeState<'a>, Error> {
    let binding: [u8; HASH_LEN] = crate::wire::array_from_slice(sid.as_bytes())?;
    let mut psk = Psk::zero();
    Prk::extract(sid.as_bytes(), isk.expose_secret()?)
        .expand(&[b"HoneyLink v1 PIN pairing PSK"], psk.expose_secret_mut())?;
    HandshakeState::new(
        Protocol::XxPsk2(psk),
        role,
        &Prologue::pairing(PairingMethod::Pin, &binding),
        local.identity.static_secret(),
        rng,
    )
}

enum ResponderState<'a> {
    AwaitHello,
    AwaitShare {
        ci: ChannelId,
        sid: SessionId,
        initiator: DeviceId,
    },
    AwaitTag {
        confirming: Confirming,
        sid: SessionId,
        initiator: DeviceId,
    },
    AwaitNoise3 {
        handshake: HandshakeState<'a>,
        initiator: DeviceId,
    },
    Over,
}

/// The side that shows the PIN. One run per PIN, begun by the first valid
/// hello; once it has begun, a new PIN must be shown for another.
///
/// **Tickets.** [`PinResponder::handle_hello`] returns the run's [`RunId`].
/// The host keeps it with the connection the hello came from and presents
/// it with every later message of that connection; a message presented
/// with another ticket (from any other connection, or none) is refused with
/// [`Error::WrongRun`] and leaves the run, the PIN and the guard untouched.
/// So a sender that is not on the run's connection (off-path) cannot
/// disturb it, however many bogus messages it sends. A message that comes
/// with the right ticket but fails (a wrong tag, a damaged Noise message)
/// ends the run: its sender is on the connection, and an on-path attacker
/// can end any run anyway by dropping or altering messages. The ticket is
/// only as strong as the host's separation of connections.
///
/// **The guard.** The responder holds the device's [`PinGuard`] by
/// exclusive borrow for its whole life, so every run is counted by the one
/// guard that outlives it (dropping the responder loses no count), and no
/// other responder can run on that guard meanwhile. A run counts as a
/// failure from the moment this side releases its confirmation tag (in
/// [`PinResponder::handle_share`]), which lets the initiator test its one
/// guess; only a verified initiator tag retracts it. Malformed messages, and
/// runs that end before the tag, cost nothing. **Persist
/// [`PinResponder::guard_state`] after every call and before sending what
/// the call wrote.**
///
/// A call out of turn, with another run's ticket or with an output buffer
/// that is too small is refused before anything changes.
///
/// **Known limit: the hello can be squatted.** The first hello that parses
/// claims the PIN's only run, before any guess is made, so anyone in range
/// can take every PIN shown (the genuine initiator then gets
/// [`Error::PinUsed`]) without touching the guard. This denies PIN pairing
/// while it lasts (as jamming the radio or the network would) but yields no
/// guess and no key; the person sees the failure and can pair by QR or NFC,
/// whose codes cannot be claimed without being seen.
pub struct PinResponder<'a> {
    local: LocalDevice<'a>,
    guard: &'a mut PinGuard,
    pin: Pin,
    shown_at: u64,
    state: ResponderState<'a>,
    /// The run's ticket, once a hello began it.
    run: Option<RunId>,
    /// The guard's count of the run, once this side's tag is released.
    ticket: Option<RunTicket>,
}

impl<'a> PinResponder<'a> {
    /// Draws a fresh PIN to show, valid [`PIN_VALIDITY_SECS`] from `now`,
    /// and holds `guard` until dropped.
    ///
    /// # Errors
    /// [`Error::LockedOut`] while the guard locks PIN pairing; [`Error::Rng`].
    pub fn new<R: TryCryptoRng + ?Sized>(
        local: LocalDevice<'a>,
        guard: &'a mut PinGuard,
        now: u64,
        rng: &mut R,
    ) -> Result<Self, Error> {
        if let Some(remaining) = guard.would_refuse(now) {
            return Err(Error::LockedOut { remaining });
        }
        Ok(Self {
            local,
            guard,
            pin: Pin::generate(rng)?,
            shown_at: now,
            state: ResponderState::AwaitHello,
            run: None,
            ticket: None,
        })
    }

    /// The PIN to show.
    #[must_use]
    pub const fn pin(&self) -> &Pin {
        &self.pin
    }

    /// The guard's state to persist ([`PinGuard::export`] at `now`; a run
    /// whose tag went out counts as a failure in it).
    #[must_use]
    pub fn guard_state(&self, now: u64) -> PinGuardState {
        self.guard.export(now)
    }

    /// Ends the run as a failure: the PIN is dead, and the guard counts the
    /// failure if this side's tag went out.
    fn die(&mut self, now: u64, error: Error) -> Error {
        self.state = ResponderState::Over;
        if let Some(ticket) = self.ticket.take() {
            self.guard.fail(ticket, now);
        }
        error
    }

    fn check_time(&mut self, now: u64) -> Result<(), Error> {
        if now < self.shown_at || now > self.shown_at.saturating_add(PIN_RUN_SECS) {
            return Err(self.die(now, Error::RunTimedOut));
        }
        Ok(())
    }

    /// The initiator's hello: begins the PIN's one run, answers with this
    /// side's hello and returns the run's ticket with its length. Costs no
    /// guess: the guard is not involved yet.
    ///
    /// # Errors
    /// [`Error::PinUsed`] if a run already began (in sequence or in
    /// parallel); [`Error::BufferTooSmall`]; message errors and
    /// [`Error::DeviceIdMismatch`] (a hello naming this device), after which
    /// nothing changes (garbage does not use up the PIN); [`Error::Rng`];
    /// [`Error::PinExpired`] after [`PIN_VALIDITY_SECS`], which ends the PIN
    /// (every later hello gets it too).
    pub fn handle_hello<R: TryCryptoRng + ?Sized>(
        &mut self,
        now: u64,
        hello: &[u8],
        out: &mut [u8],
        rng: &mut R,
    ) -> Result<(usize, RunId), Error> {
        if !matches!(self.state, ResponderState::AwaitHello) {
            // Over with no run: the PIN expired before any hello began one.
            return Err(if self.run.is_some() {
                Error::PinUsed
            } else {
                Error::PinExpired
            });
        }
        crate::wire::ensure_room(out, HELLO_LEN)?;
        if now < self.shown_at || now > self.shown_at.saturating_add(PIN_VALIDITY_SECS) {
            self.state = ResponderState::Over;
            return Err(Error::PinExpired);
        }
        let (nonce_i, initiator) = read_hello(hello)?;
        let own = self.local.identity.device_id();
        if initiator == own {
            return Err(Error::DeviceIdMismatch);
        }
        let mut nonce_r = [0u8; NONCE_LEN];
        fill_random(rng, &mut nonce_r)?;
        let run = RunId::random(rng)?;
        let ci = ChannelId::new(CPACE_PURPOSE, &initiator, &own)?;
        let len = write_hello(&nonce_r, own, out)?;
        self.run = Some(run);
        self.state = ResponderState::AwaitShare {
            ci,
            sid: SessionId::from_nonces(&nonce_i, &nonce_r),
            initiator,
        };
        Ok((len, run))
    }

    /// The initiator's CPace share, on run `run`: answers with this side's
    /// share and confirmation tag. The tag lets the initiator test its one
    /// guess, so the guard counts the run as a failure from here until the
    /// initiator's tag verifies; persist [`PinResponder::guard_state`] before
    /// sending the answer.
    ///
    /// # Errors
    /// [`Error::WrongRun`], [`Error::OutOfOrder`], [`Error::BufferTooSmall`]
    /// (nothing changes); [`Error::RunTimedOut`]; the share's errors
    /// (invalid, identity, reflected), which end the PIN at no cost to the
    /// guard (no tag was sent); [`Error::LockedOut`].
    pub fn handle_share<R: TryCryptoRng + ?Sized>(
        &mut self,
        now: u64,
        run: RunId,
        share: &[u8],
        out: &mut [u8],
        rng: &mut R,
    ) -> Result<usize, Error> {
        RunId::check(self.run, run)?;
        if !matches!(self.state, ResponderState::AwaitShare { .. }) {
            return Err(Error::OutOfOrder);
        }
        let out = out
            .get_mut(..SHARE_AND_TAG_LEN)
            .ok_or(Error::BufferTooSmall {
                needed: SHARE_AND_TAG_LEN,
            })?;
        self.check_time(now)?;
        let ResponderState::AwaitShare { ci, sid, initiator } =
            core::mem::replace(&mut self.state, ResponderState::Over)
        else {
            return Err(self.die(now, Error::OutOfOrder));
        };
        let mut prs = Prs::empty();
        let result = (|| {
            let peer = Share::from_slice(share)?;
            self.pin.prs_into(&mut prs)?;
            let (party, own) = Party::start(Role::Responder, &prs, &ci, &sid, b"", rng)?;
            Ok((own, party.receive(&peer, b"")?))
        })();
        drop(prs);
        let (own, confirming) = match result {
            Ok(done) => done,
            Err(error) => return Err(self.die(now, error)),
        };
        match self.guard.begin(now) {
            Ok(ticket) => self.ticket = Some(ticket),
            Err(error) => return Err(self.die(now, error)),
        }
        let (share_out, tag_out) = out.split_at_mut(SHARE_LEN);
        share_out.copy_from_slice(own.as_bytes());
        tag_out.copy_from_slice(&confirming.tag().0);
        self.state = ResponderState::AwaitTag {
            confirming,
            sid,
            initiator,
        };
        Ok(SHARE_AND_TAG_LEN)
    }

    /// The initiator's confirmation tag followed by Noise message 1, on run
    /// `run`: a verified tag is the run's success for the guard (the PIN
    /// matched; a later Noise failure, for instance from someone who relayed
    /// CPace and replaced Noise message 1, learns the responder's public
    /// static key, as XXpsk2 allows, but is no guess); answers with Noise
    /// message 2. Persist [`PinResponder::guard_state`] before sending.
    ///
    /// # Errors
    /// [`Error::WrongRun`], [`Error::OutOfOrder`], [`Error::BufferTooSmall`]
    /// (nothing changes); [`Error::CpaceConfirmationFailed`] for a wrong PIN
    /// (the PIN dies, the guard counts a failure); [`Error::RunTimedOut`]
    /// (counted too); the handshake's errors (the run ends, not counted).
    pub fn handle_tag<R: TryCryptoRng + ?Sized>(
        &mut self,
        now: u64,
        run: RunId,
        message: &[u8],
        out: &mut [u8],
        rng: &mut R,
    ) -> Result<usize, Error> {
        RunId::check(self.run, run)?;
        if !matches!(self.state, ResponderState::AwaitTag { .. }) {
            return Err(Error::OutOfOrder);
        }
        crate::wire::ensure_room(out, NOISE2_MAX_LEN)?;
        self.check_time(now)?;
        let ResponderState::AwaitTag {
            confirming,
            sid,
            initiator,
        } = core::mem::replace(&mut self.state, ResponderState::Over)
        else {
            return Err(self.die(now, Error::OutOfOrder));
        };
        let Some((tag, noise1)) = message.split_at_checked(TAG_LEN) else {
            return Err(self.die(now, Error::MessageTooShort));
        };
        let mut isk = Isk::empty();
        if let Err(error) = read_tag(tag).and_then(|tag| confirming.verify(&tag, &mut isk)) {
            return Err(self.die(now, error));
        }
        if let Some(ticket) = self.ticket.take() {
            self.guard.succeed(ticket);
        }
        let mut handshake = noise_for(&isk, &sid, Role::Responder, &self.local, rng)?;
        drop(isk);
        let len = run::respond(&mut handshake, &self.local, noise1, out)?;
        self.state = ResponderState::AwaitNoise3 {
            handshake,
            initiator,
        };
        Ok(len)
    }

    /// Noise message 3, on run `run`: the initiator's static key, verified;
    /// it must name the device id bound in CPace.
    ///
    /// # Errors
    /// [`Error::WrongRun`] and [`Error::OutOfOrder`] (nothing changes);
    /// [`Error::RunTimedOut`]; [`Error::DeviceIdMismatch`]; the handshake's
    /// errors. These end the run; the guard already counted it a success.
    pub fn handle_noise3(
        &mut self,
        now: u64,
        run: RunId,
        message3: &[u8],
    ) -> Result<(PendingPeer, HandshakeOutcome), Error> {
        RunId::check(self.run, run)?;
        if !matches!(self.state, ResponderState::AwaitNoise3 { .. }) {
            return Err(Error::OutOfOrder);
        }
        let ResponderState::AwaitNoise3 {
            handshake,
            initiator,
        } = core::mem::replace(&mut self.state, ResponderState::Over)
        else {
            return Err(Error::OutOfOrder);
        };
        if now < self.shown_at || now > self.shown_at.saturating_add(PIN_RUN_SECS) {
            return Err(Error::RunTimedOut);
        }
        let (peer, outcome) = run::finish_responder(handshake, message3, PairingMethod::Pin)?;
        if peer.id() != initiator {
            return Err(Error::DeviceIdMismatch);
        }
        Ok((peer, outcome))
    }
}

impl fmt::Debug for PinResponder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinResponder")
            .field("shown_at", &self.shown_at)
            .field("pin", &self.pin)
            .finish_non_exhaustive()
    }
}

enum InitiatorState<'a> {
    AwaitHello {
        pin: Pin,
        nonce_i: [u8; NONCE_LEN],
    },
    AwaitShareAndTag {
        party: Party,
        sid: SessionId,
        responder: DeviceId,
    },
    AwaitNoise2 {
        handshake: HandshakeState<'a>,
        responder: DeviceId,
    },
    Over,
}

/// The side where the PIN is typed. The PIN is dropped (and wiped) as soon
/// as this side's share is computed. After any failure, ask the user for a
/// new PIN from the other device, never to retype this one: each typed
/// attempt is one guess for whoever answered.
///
/// A call out of turn, or with an output buffer that is too small, is
/// refused before anything changes; every other error ends the run.
pub struct PinInitiator<'a> {
    local: LocalDevice<'a>,
    state: InitiatorState<'a>,
}

impl<'a> PinInitiator<'a> {
    /// Starts with the typed PIN; writes the hello into `out`.
    ///
    /// # Errors
    /// [`Error::Rng`]; [`Error::BufferTooSmall`].
    pub fn start<R: TryCryptoRng + ?Sized>(
        local: LocalDevice<'a>,
        pin: Pin,
        out: &mut [u8],
        rng: &mut R,
    ) -> Result<(Self, usize), Error> {
        let mut nonce_i = [0u8; NONCE_LEN];
        fill_random(rng, &mut nonce_i)?;
        let len = write_hello(&nonce_i, local.identity.device_id(), out)?;
        Ok((
            Self {
                local,
                state: InitiatorState::AwaitHello { pin, nonce_i },
            },
            len,
        ))
    }

    /// The responder's hello: answers with this side's CPace share.
    ///
    /// # Errors
    /// [`Error::OutOfOrder`], [`Error::BufferTooSmall`] (nothing changes);
    /// [`Error::DeviceIdMismatch`] if the responder claims this device's own
    /// id; message errors.
    pub fn handle_hello<R: TryCryptoRng + ?Sized>(
        &mut self,
        hello: &[u8],
        out: &mut [u8],
        rng: &mut R,
    ) -> Result<usize, Error> {
        if !matches!(self.state, InitiatorState::AwaitHello { .. }) {
            return Err(Error::OutOfOrder);
        }
        let out = out
            .get_mut(..SHARE_LEN)
            .ok_or(Error::BufferTooSmall { needed: SHARE_LEN })?;
        let InitiatorState::AwaitHello { pin, nonce_i } =
            core::mem::replace(&mut self.state, InitiatorState::Over)
        else {
            return Err(Error::OutOfOrder);
        };
        let (nonce_r, responder) = read_hello(hello)?;
        if responder == self.local.identity.device_id() {
            return Err(Error::DeviceIdMismatch);
        }
        let ci = ChannelId::new(CPACE_PURPOSE, &self.local.identity.device_id(), &responder)?;
        let sid = SessionId::from_nonces(&nonce_i, &nonce_r);
        let mut prs = Prs::empty();
        pin.prs_into(&mut prs)?;
        drop(pin);
        let (party, share) = Party::start(Role::Initiator, &prs, &ci, &sid, b"", rng)?;
        drop(prs);
        out.copy_from_slice(share.as_bytes());
        self.state = InitiatorState::AwaitShareAndTag {
            party,
            sid,
            responder,
        };
        Ok(SHARE_LEN)
    }

    /// The responder's share and tag: a wrong tag means the PINs differ, and
    /// the run ends before any static key is sent. Otherwise answers with this
    /// side's tag and Noise message 1 ([`TAG_AND_NOISE1_LEN`] bytes).
    ///
    /// # Errors
    /// [`Error::OutOfOrder`], [`Error::BufferTooSmall`] (nothing changes);
    /// [`Error::CpaceConfirmationFailed`] (wrong PIN); the share's errors.
    pub fn handle_share_and_tag<R: TryCryptoRng + ?Sized>(
        &mut self,
        message: &[u8],
        out: &mut [u8],
        rng: &mut R,
    ) -> Result<usize, Error> {
        if !matches!(self.state, InitiatorState::AwaitShareAndTag { .. }) {
            return Err(Error::OutOfOrder);
        }
        crate::wire::ensure_room(out, TAG_AND_NOISE1_LEN)?;
        let InitiatorState::AwaitShareAndTag {
            party,
            sid,
            responder,
        } = core::mem::replace(&mut self.state, InitiatorState::Over)
        else {
            return Err(Error::OutOfOrder);
        };
        if message.len() != SHARE_AND_TAG_LEN {
            return Err(Error::InvalidLength {
                expected: SHARE_AND_TAG_LEN,
                found: message.len(),
            });
        }
        let (share, tag) = message.split_at(SHARE_LEN);
        let confirming = party.receive(&Share::from_slice(share)?, b"")?;
        let own_tag = confirming.tag();
        let mut isk = Isk::empty();
        confirming.verify(&read_tag(tag)?, &mut isk)?;
        let (tag_out, noise_out) = out.split_at_mut(TAG_LEN);
        tag_out.copy_from_slice(&own_tag.0);
        let mut handshake = noise_for(&isk, &sid, Role::Initiator, &self.local, rng)?;
        drop(isk);
        let len = handshake.write_message(&[], noise_out)?;
        self.state = InitiatorState::AwaitNoise2 {
            handshake,
            responder,
        };
        Ok(TAG_LEN + len)
    }

    /// Noise message 2: checks that the responder names the device id bound
    /// in CPace before sending this side's static key, then writes message 3
    /// (at most [`crate::pairing::MAX_PAIRING_MESSAGE_LEN`] bytes).
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] and [`Error::BufferTooSmall`] (nothing changes:
    /// call again with a large enough buffer); [`Error::DeviceIdMismatch`];
    /// the handshake's errors.
    pub fn handle_noise2(
        &mut self,
        message2: &[u8],
        out: &mut [u8],
    ) -> Result<(usize, PendingPeer, HandshakeOutcome), Error> {
        if !matches!(self.state, InitiatorState::AwaitNoise2 { .. }) {
            return Err(Error::OutOfOrder);
        }
        crate::wire::ensure_room(out, MAX_PAIRING_MESSAGE_LEN)?;
        let InitiatorState::AwaitNoise2 {
            handshake,
            responder,
        } = core::mem::replace(&mut self.state, InitiatorState::Over)
        else {
            return Err(Error::OutOfOrder);
        };
        run::finish_initiator(
            handshake,
            &self.local,
            message2,
            PairingMethod::Pin,
            out,
            |peer| {
                if peer.id() == responder {
                    Ok(())
                } else {
                    Err(Error::DeviceIdMismatch)
                }
            },
        )
    }
}

impl fmt::Debug for PinInitiator<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinInitiator")
            .field("pin", &"[redacted]")
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The drawn number is read and turned into digits inside the caller's
    /// zeroizing slot, which ends at zero; the digits go into the PIN's
    /// zeroizing storage.
    #[test]
    fn a_drawn_pins_number_is_consumed_in_place() {
        let mut value = Zeroizing::new(0u32);
        read_le_in_place(&[0x40, 0xe2, 0x01, 0x00], &mut value);
        assert_eq!(*value, 123_456);
        let mut pin = Pin(SecretBytes::zero());
        pin.set_digits(&mut value);
        assert_eq!(pin.expose_secret(), b"123456");
        assert_eq!(*value, 0, "nothing of the number is left in the slot");
    }
}
