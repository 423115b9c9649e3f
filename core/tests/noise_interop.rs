//! Interoperability with the `snow` crate: our initiator with snow's
//! responder and snow's initiator with our responder, for XX and XXpsk2, with
//! payloads in every message; byte-identical messages and handshake hashes
//! when both sides use the same fixed keys; then transport both ways.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::x25519::StaticSecret;
use honeylink_core::noise::{HandshakeState, Prologue, Protocol, Role};
use honeylink_core::pairing::PairingMethod;
use honeylink_core::testing::ScriptedRng;

const INIT_STATIC: [u8; 32] = [0x11; 32];
const RESP_STATIC: [u8; 32] = [0x22; 32];
const INIT_EPHEMERAL: [u8; 32] = [0x33; 32];
const RESP_EPHEMERAL: [u8; 32] = [0x44; 32];
const PSK: [u8; 32] = [0x55; 32];
const PAYLOADS: [&[u8]; 3] = [b"first payload", b"second, from the responder", b"third"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Pattern {
    Xx,
    XxPsk2,
}

impl Pattern {
    fn ours(self) -> Protocol {
        match self {
            Self::Xx => Protocol::Xx,
            Self::XxPsk2 => Protocol::XxPsk2(SecretBytes::new(PSK)),
        }
    }

    fn prologue(self) -> Prologue {
        match self {
            Self::Xx => Prologue::session(),
            Self::XxPsk2 => Prologue::pairing(PairingMethod::Qr, &[0xb1; 64]),
        }
    }

    fn snow(self, role: Role) -> snow::HandshakeState {
        let name = self.ours().name();
        let (s, e) = match role {
            Role::Initiator => (INIT_STATIC, INIT_EPHEMERAL),
            Role::Responder => (RESP_STATIC, RESP_EPHEMERAL),
        };
        let prologue = self.prologue();
        let mut builder = snow::Builder::new(name.parse().expect("snow knows the name"))
            .local_private_key(&s)
            .unwrap()
            .prologue(prologue.as_bytes())
            .unwrap()
            .fixed_ephemeral_key_for_testing_only(&e);
        if self == Self::XxPsk2 {
            builder = builder.psk(2, &PSK).unwrap();
        }
        match role {
            Role::Initiator => builder.build_initiator().unwrap(),
            Role::Responder => builder.build_responder().unwrap(),
        }
    }
}

/// One side of a handshake: ours or snow's, behind one interface.
#[allow(
    clippy::large_enum_variant,
    reason = "a test helper; boxing ours would hide its size"
)]
enum Side<'a> {
    Ours(HandshakeState<'a>),
    Snow(Box<snow::HandshakeState>),
}

impl Side<'_> {
    fn write(&mut self, payload: &[u8], out: &mut [u8]) -> usize {
        match self {
            Side::Ours(h) => h.write_message(payload, out).expect("ours writes"),
            Side::Snow(h) => h.write_message(payload, out).expect("snow writes"),
        }
    }

    fn read(&mut self, message: &[u8], out: &mut [u8]) -> usize {
        match self {
            Side::Ours(h) => h.read_message(message, out).expect("ours reads"),
            Side::Snow(h) => h.read_message(message, out).expect("snow reads"),
        }
    }

    fn hash(&self) -> Vec<u8> {
        match self {
            Side::Ours(h) => h.handshake_hash().to_vec(),
            Side::Snow(h) => h.get_handshake_hash().to_vec(),
        }
    }
}

fn ours<'a>(pattern: Pattern, role: Role, s: &'a StaticSecret) -> HandshakeState<'a> {
    let e = match role {
        Role::Initiator => INIT_EPHEMERAL,
        Role::Responder => RESP_EPHEMERAL,
    };
    HandshakeState::new(
        pattern.ours(),
        role,
        &pattern.prologue(),
        s,
        &mut ScriptedRng::new(&e),
    )
    .expect("scripted ephemeral")
}

/// Runs a handshake; returns the three messages and the final hash.
fn run<'a>(initiator: &mut Side<'a>, responder: &mut Side<'a>) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut messages = Vec::new();
    let mut wire = [0u8; 512];
    let mut payload = [0u8; 512];
    for (i, sent) in PAYLOADS.iter().enumerate() {
        let (writer, reader) = if i % 2 == 0 {
            (&mut *initiator, &mut *responder)
        } else {
            (&mut *responder, &mut *initiator)
        };
        let len = writer.write(sent, &mut wire);
        let got = reader.read(&wire[..len], &mut payload);
        assert_eq!(&payload[..got], *sent, "payload of message {}", i + 1);
        messages.push(wire[..len].to_vec());
    }
    assert_eq!(initiator.hash(), responder.hash(), "handshake hashes agree");
    (messages, initiator.hash())
}

fn check_pattern(pattern: Pattern) {
    let init_static = StaticSecret::from_bytes(SecretBytes::new(INIT_STATIC));
    let resp_static = StaticSecret::from_bytes(SecretBytes::new(RESP_STATIC));

    // Reference: ours against ours.
    let (reference, reference_hash) = run(
        &mut Side::Ours(ours(pattern, Role::Initiator, &init_static)),
        &mut Side::Ours(ours(pattern, Role::Responder, &resp_static)),
    );
    // snow against snow gives the same bytes.
    let (snow_only, snow_hash) = run(
        &mut Side::Snow(Box::new(pattern.snow(Role::Initiator))),
        &mut Side::Snow(Box::new(pattern.snow(Role::Responder))),
    );
    assert_eq!(
        reference, snow_only,
        "{pattern:?}: snow and ours write identical messages"
    );
    assert_eq!(
        reference_hash, snow_hash,
        "{pattern:?}: identical handshake hashes"
    );

    // Our initiator with snow's responder, then transport both ways.
    let mut initiator = Side::Ours(ours(pattern, Role::Initiator, &init_static));
    let mut responder = Side::Snow(Box::new(pattern.snow(Role::Responder)));
    let (messages, hash) = run(&mut initiator, &mut responder);
    assert_eq!(messages, reference, "{pattern:?}: ours -> snow bytes");
    assert_eq!(hash, reference_hash);
    let (Side::Ours(ours_state), Side::Snow(snow_state)) = (initiator, responder) else {
        unreachable!()
    };
    transport(ours_state, *snow_state, pattern);

    // snow's initiator with our responder.
    let mut initiator = Side::Snow(Box::new(pattern.snow(Role::Initiator)));
    let mut responder = Side::Ours(ours(pattern, Role::Responder, &resp_static));
    let (messages, hash) = run(&mut initiator, &mut responder);
    assert_eq!(messages, reference, "{pattern:?}: snow -> ours bytes");
    assert_eq!(hash, reference_hash);
    let (Side::Snow(snow_state), Side::Ours(ours_state)) = (initiator, responder) else {
        unreachable!()
    };
    transport(ours_state, *snow_state, pattern);
}

/// A transport message each way between our split cipher states and snow's
/// transport mode.
fn transport(ours: HandshakeState<'_>, snow: snow::HandshakeState, pattern: Pattern) {
    let (mut send, mut receive) = ours.finish().expect("finished").into_cipher_states();
    let mut snow = snow.into_transport_mode().expect("finished");
    let mut wire = [0u8; 256];
    let mut plain = [0u8; 256];
    for round in 0..3 {
        let message = format!("{pattern:?} ours to snow, round {round}");
        let len = send.encrypt_to(&[], message.as_bytes(), &mut wire).unwrap();
        let got = snow
            .read_message(&wire[..len], &mut plain)
            .expect("snow decrypts ours");
        assert_eq!(&plain[..got], message.as_bytes());

        let message = format!("{pattern:?} snow to ours, round {round}");
        let len = snow.write_message(message.as_bytes(), &mut wire).unwrap();
        let got = receive
            .decrypt_to(&[], &wire[..len], &mut plain)
            .expect("ours decrypts snow");
        assert_eq!(&plain[..got], message.as_bytes());
    }
}

#[test]
fn xx_interoperates_with_snow() {
    check_pattern(Pattern::Xx);
}

#[test]
fn xxpsk2_interoperates_with_snow() {
    check_pattern(Pattern::XxPsk2);
}

/// A snow DH that announces its public keys with bit 255 set: the same keys
/// in a non-canonical spelling (X25519 masks that bit, so every DH result is
/// unchanged and only our canonical check can tell).
struct HighBitDh {
    inner: Box<dyn snow::types::Dh>,
    public: [u8; 32],
    low_order: bool,
}

/// The canonical u-coordinate of a point of order 8 on Curve25519.
const ORDER_8: [u8; 32] = [
    0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b,
    0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57,
];

impl HighBitDh {
    fn refresh(&mut self) {
        if self.low_order {
            self.public = ORDER_8;
        } else {
            self.public.copy_from_slice(self.inner.pubkey());
            self.public[31] |= 0x80;
        }
    }
}

impl snow::types::Dh for HighBitDh {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn pub_len(&self) -> usize {
        32
    }
    fn priv_len(&self) -> usize {
        32
    }
    fn set(&mut self, privkey: &[u8]) {
        self.inner.set(privkey);
        self.refresh();
    }
    fn generate(&mut self, rng: &mut dyn snow::types::Random) -> Result<(), snow::Error> {
        self.inner.generate(rng)?;
        self.refresh();
        Ok(())
    }
    fn pubkey(&self) -> &[u8] {
        &self.public
    }
    fn privkey(&self) -> &[u8] {
        self.inner.privkey()
    }
    fn dh(&self, pubkey: &[u8], out: &mut [u8]) -> Result<(), snow::Error> {
        self.inner.dh(pubkey, out)
    }
}

/// Resolves DH objects that misstate their keys. With `low_order`, only the
/// first one resolved (snow's static key) announces a point of order 8.
struct HighBitResolver {
    low_order: bool,
    resolved: std::sync::atomic::AtomicUsize,
}

impl snow::resolvers::CryptoResolver for HighBitResolver {
    fn resolve_rng(&self) -> Option<Box<dyn snow::types::Random>> {
        snow::resolvers::DefaultResolver.resolve_rng()
    }
    fn resolve_dh(&self, choice: &snow::params::DHChoice) -> Option<Box<dyn snow::types::Dh>> {
        let inner = snow::resolvers::DefaultResolver.resolve_dh(choice)?;
        let first = self
            .resolved
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            == 0;
        Some(Box::new(HighBitDh {
            inner,
            public: [0; 32],
            low_order: self.low_order && first,
        }))
    }
    fn resolve_hash(
        &self,
        choice: &snow::params::HashChoice,
    ) -> Option<Box<dyn snow::types::Hash>> {
        snow::resolvers::DefaultResolver.resolve_hash(choice)
    }
    fn resolve_cipher(
        &self,
        choice: &snow::params::CipherChoice,
    ) -> Option<Box<dyn snow::types::Cipher>> {
        snow::resolvers::DefaultResolver.resolve_cipher(choice)
    }
}

fn high_bit_snow(role: Role) -> snow::HandshakeState {
    misstating_snow(role, false)
}

fn misstating_snow(role: Role, low_order: bool) -> snow::HandshakeState {
    let s = match role {
        Role::Initiator => INIT_STATIC,
        Role::Responder => RESP_STATIC,
    };
    let prologue = Prologue::session();
    let builder = snow::Builder::with_resolver(
        Protocol::Xx.name().parse().unwrap(),
        Box::new(HighBitResolver {
            low_order,
            resolved: std::sync::atomic::AtomicUsize::new(0),
        }),
    )
    .local_private_key(&s)
    .unwrap()
    .prologue(prologue.as_bytes())
    .unwrap();
    match role {
        Role::Initiator => builder.build_initiator().unwrap(),
        Role::Responder => builder.build_responder().unwrap(),
    }
}

/// A peer presenting its static key with bit 255 set is refused with
/// `NonCanonicalKey`, in both roles, although every DH would agree.
#[test]
fn non_canonical_static_key_is_refused_in_both_roles() {
    use honeylink_core::Error;
    use honeylink_core::noise::Next;
    let init_static = StaticSecret::from_bytes(SecretBytes::new(INIT_STATIC));
    let resp_static = StaticSecret::from_bytes(SecretBytes::new(RESP_STATIC));
    let mut wire = [0u8; 512];
    let mut payload = [0u8; 512];

    // Our initiator, the high-bit responder: refused reading message 2.
    let mut ours_init = ours(Pattern::Xx, Role::Initiator, &init_static);
    let mut theirs = high_bit_snow(Role::Responder);
    let n = ours_init.write_message(b"", &mut wire).unwrap();
    theirs.read_message(&wire[..n], &mut payload).unwrap();
    let n = theirs.write_message(b"", &mut wire).unwrap();
    assert_eq!(
        ours_init.read_message(&wire[..n], &mut payload),
        Err(Error::NonCanonicalKey)
    );
    assert_eq!(ours_init.next(), Next::Failed);
    assert!(ours_init.remote_static().is_none());

    // The high-bit initiator, our responder: refused reading message 3.
    let mut theirs = high_bit_snow(Role::Initiator);
    let mut ours_resp = ours(Pattern::Xx, Role::Responder, &resp_static);
    let n = theirs.write_message(b"", &mut wire).unwrap();
    ours_resp.read_message(&wire[..n], &mut payload).unwrap();
    let n = ours_resp.write_message(b"", &mut wire).unwrap();
    theirs.read_message(&wire[..n], &mut payload).unwrap();
    let n = theirs.write_message(b"", &mut wire).unwrap();
    assert_eq!(
        ours_resp.read_message(&wire[..n], &mut payload),
        Err(Error::NonCanonicalKey)
    );
    assert!(ours_resp.remote_static().is_none());
}

/// A peer presenting a static key of small order is refused with
/// `LowOrderKey` before any Diffie-Hellman with it.
#[test]
fn low_order_static_key_is_refused() {
    use honeylink_core::Error;
    let init_static = StaticSecret::from_bytes(SecretBytes::new(INIT_STATIC));
    let mut wire = [0u8; 512];
    let mut payload = [0u8; 512];
    let mut ours_init = ours(Pattern::Xx, Role::Initiator, &init_static);
    let mut theirs = misstating_snow(Role::Responder, true);
    let n = ours_init.write_message(b"", &mut wire).unwrap();
    theirs.read_message(&wire[..n], &mut payload).unwrap();
    let n = theirs.write_message(b"", &mut wire).unwrap();
    assert_eq!(
        ours_init.read_message(&wire[..n], &mut payload),
        Err(Error::LowOrderKey)
    );
    assert!(ours_init.remote_static().is_none());
}
