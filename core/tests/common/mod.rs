//! Helpers shared by the core's integration tests: reading vector files with
//! errors that name the file, the case and the field.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used
)]

use serde_json::Value;

/// A loaded vector file and its name, for messages.
pub struct VectorFile {
    pub name: &'static str,
    pub json: Value,
}

impl VectorFile {
    pub fn parse(name: &'static str, text: &str) -> Self {
        let json = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
        Self { name, json }
    }

    pub fn cases(&self) -> impl Iterator<Item = Case<'_>> {
        self.json["cases"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no `cases` array", self.name))
            .iter()
            .map(move |json| Case {
                file: self.name,
                json,
            })
    }

    pub fn case(&self, name: &str) -> Case<'_> {
        self.cases()
            .find(|c| c.name() == name)
            .unwrap_or_else(|| panic!("{}: no case named {name:?}", self.name))
    }
}

/// One case of a vector file.
pub struct Case<'a> {
    pub file: &'static str,
    pub json: &'a Value,
}

impl Case<'_> {
    pub fn name(&self) -> &str {
        self.json["name"].as_str().unwrap_or("<unnamed>")
    }

    pub fn kind(&self) -> &str {
        self.json["kind"].as_str().unwrap_or("")
    }

    /// Where a failure is: `file, case "name", field "field"`.
    pub fn at(&self, field: &str) -> String {
        format!("{}, case {:?}, field {field:?}", self.file, self.name())
    }

    pub fn str(&self, field: &str) -> &str {
        self.json[field]
            .as_str()
            .unwrap_or_else(|| panic!("{}: missing or not a string", self.at(field)))
    }

    pub fn u64(&self, field: &str) -> u64 {
        self.json[field]
            .as_u64()
            .unwrap_or_else(|| panic!("{}: missing or not a number", self.at(field)))
    }

    pub fn bool(&self, field: &str) -> bool {
        self.json[field].as_bool().unwrap_or(false)
    }

    pub fn hex(&self, field: &str) -> Vec<u8> {
        decode_hex(self.str(field)).unwrap_or_else(|e| panic!("{}: {e}", self.at(field)))
    }

    pub fn hex_array<const N: usize>(&self, field: &str) -> [u8; N] {
        let bytes = self.hex(field);
        bytes
            .as_slice()
            .try_into()
            .unwrap_or_else(|_| panic!("{}: {} bytes, expected {N}", self.at(field), bytes.len()))
    }

    /// Asserts that `actual` equals the hex field, naming the field on failure.
    pub fn check(&self, field: &str, actual: &[u8]) {
        let expected = self.hex(field);
        assert!(
            expected == actual,
            "{}: mismatch\n  expected {}\n  actual   {}",
            self.at(field),
            encode_hex(&expected),
            encode_hex(actual)
        );
    }
}

pub fn decode_hex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!("odd hex length {}", text.len()));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&text[i..i + 2], 16).map_err(|e| format!("bad hex at {i}: {e}"))
        })
        .collect()
}

pub fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------
// Devices and runs shared by the protocol tests.

use honeylink_core::identity::{DeviceIdentity, DeviceName};
use honeylink_core::noise::{HandshakeOutcome, HandshakeState, Prologue, Protocol, Role};
use honeylink_core::pairing::LocalDevice;
use honeylink_core::testing::SeededRng;
use honeylink_core::wire::PayloadFlags;
use rand_core::{TryCryptoRng, TryRng};

/// `N` device identities drawn from a seeded RNG.
pub fn identities<const N: usize>(seed: u8) -> [DeviceIdentity; N] {
    let mut rng = SeededRng::new([seed; 32]);
    std::array::from_fn(|_| DeviceIdentity::generate(&mut rng).expect("seeded RNG"))
}

/// A device as it presents itself in pairing: its identity, a name, no flags.
pub fn local<'a>(identity: &'a DeviceIdentity, name: &str) -> LocalDevice<'a> {
    LocalDevice {
        identity,
        name: DeviceName::new(name).expect("a valid test name"),
        flags: PayloadFlags::empty(),
    }
}

/// An RNG whose first 4-byte draw makes `Pin::generate` produce `pin`; every
/// other draw comes from a seeded RNG.
pub struct PinFirst {
    pin: Option<u32>,
    inner: SeededRng,
}

impl PinFirst {
    pub fn new(pin: u32, seed: u8) -> Self {
        Self {
            pin: Some(pin),
            inner: SeededRng::new([seed; 32]),
        }
    }
}

impl TryRng for PinFirst {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        self.inner.try_next_u32()
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.inner.try_next_u64()
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        match self.pin.take() {
            Some(pin) if dst.len() == 4 => {
                dst.copy_from_slice(&pin.to_le_bytes());
                Ok(())
            }
            other => {
                self.pin = other;
                self.inner.try_fill_bytes(dst)
            }
        }
    }
}

impl TryCryptoRng for PinFirst {}

/// A complete Noise XX session handshake between two fixed static keys
/// derived from `seed`; returns the initiator's and the responder's outcome.
pub fn xx_outcomes(seed: u8) -> (HandshakeOutcome, HandshakeOutcome) {
    use honeylink_core::crypto::SecretBytes;
    use honeylink_core::crypto::x25519::StaticSecret;
    let a = StaticSecret::from_bytes(SecretBytes::new([seed; 32]));
    let b = StaticSecret::from_bytes(SecretBytes::new([seed ^ 0xff; 32]));
    let mut rng = SeededRng::new([seed; 32]);
    let p = Prologue::session();
    let mut init = HandshakeState::new(Protocol::Xx, Role::Initiator, &p, &a, &mut rng).unwrap();
    let mut resp = HandshakeState::new(Protocol::Xx, Role::Responder, &p, &b, &mut rng).unwrap();
    complete_handshake(&mut init, &mut resp);
    (init.finish().unwrap(), resp.finish().unwrap())
}

/// Runs the three messages of an XX or XXpsk2 handshake with empty payloads.
pub fn complete_handshake<'a>(init: &mut HandshakeState<'a>, resp: &mut HandshakeState<'a>) {
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 256];
    for i in 0..3 {
        let (w, r) = if i % 2 == 0 {
            (&mut *init, &mut *resp)
        } else {
            (&mut *resp, &mut *init)
        };
        let n = w.write_message(b"", &mut wire).unwrap();
        r.read_message(&wire[..n], &mut payload).unwrap();
    }
}
