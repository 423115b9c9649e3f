//! Does the core's secret comparison time depend on the data? A dudect-style
//! measurement (Reparaz, Balasch, Verbauwhede, "Dude, is my code constant
//! time?", DATE 2017) of the comparisons of tags, keys, ids, fingerprints,
//! PINs and the QR text checksum, and of the PIN pairing's tag check:
//!
//! ```sh
//! cargo bench -p honeylink-core --bench constant_time
//! HL_BENCH_QUICK=1 cargo bench -p honeylink-core --bench constant_time   # smoke run
//! HL_CT_SECONDS=20 cargo bench -p honeylink-core --bench constant_time   # longer
//! ```
//!
//! # Method (dudect's, written out here)
//!
//! For each operation, two classes of inputs (for a comparison: equal
//! inputs, and inputs that differ in one byte at a random position). Each
//! sample draws its class from a seeded RNG, prepares its inputs outside the
//! timed region, then times the operation with [`Instant`] (a cheap
//! comparison is timed [`INNER`] times in a row per sample, so that its few
//! nanoseconds stand above the clock's resolution). The first
//! [`WARMUP`] samples only fix the cropping thresholds and are dropped.
//!
//! Each later sample feeds, with Welford's online mean and variance:
//! - Welch's t-test on every sample;
//! - [`CROPS`] t-tests, the `i`-th on the samples below the
//!   `1 - 0.5^(10 (i + 1) / CROPS)` quantile of the warm-up samples (this
//!   drops the long tail of interrupts and preemptions, which hides a small
//!   difference);
//! - a second-order test, on the squared distance of each sample to its
//!   class's mean, once each class has [`ENOUGH`] samples (a difference in
//!   spread rather than in mean).
//!
//! The figure reported is the largest |t| over the tests that have at
//! least [`ENOUGH`] samples in each class. dudect's reading: |t| above 4.5
//! (the usual TVLA threshold) is suspect and above 10 a leak. A small |t| is
//! statistical evidence that this build on this machine shows no
//! difference, not a proof. The first row is a control that must leak: `==`
//! on 64-byte slices, which stops at the first differing byte. Rows whose
//! verdict says "outcome public" time success against failure: those paths
//! do different work by design (a failed tag check wipes the key slot and
//! ends the run; a good one goes on to Noise), and the peer learns the
//! outcome anyway; they are there for scale. The rows that ask the real
//! question compare inputs with the same outcome, or an equal and an unequal
//! input to a bare comparison.
//!
//! `HL_CT_SECONDS` (default 8) is the measuring time of one comparison; a
//! path that needs a fresh CPace run per sample gets five times as much.
//! `HL_BENCH_QUICK=1` runs each for 0.5 s (2.5 s) with a shorter warm-up;
//! `HL_BENCH_FILTER=text` runs only the rows whose name contains `text`.
//!
//! dudect-bencher (0.7) was not used: it brings clap 2 and with it `atty`
//! and `ansi_term`, which the workspace's advisory policy refuses
//! (unmaintained, unsound), it takes only `fn` pointers, and it prints its
//! own line per bench rather than a table.

#![allow(
    missing_docs,
    clippy::panic,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::indexing_slicing
)]

mod harness;

use std::hint::black_box;
use std::time::{Duration, Instant};

use harness::{env_u64, quantile, quick};
use honeylink_core::Error;
use honeylink_core::crypto::aead::{self, AeadKey};
use honeylink_core::crypto::hash::MacTag;
use honeylink_core::crypto::x25519::{StaticPublicKey, StaticSecret};
use honeylink_core::crypto::{SecretBytes, ct};
use honeylink_core::identity::{DeviceId, DeviceIdentity, DeviceName, Fingerprint};
use honeylink_core::noise::Role;
use honeylink_core::pairing::cpace::{ChannelId, Isk, Party, Prs, SessionId, Share};
use honeylink_core::pairing::{
    CPACE_PURPOSE, LocalDevice, PairingMethod, PendingPeer, Pin, PinGuard, PinInitiator,
    PinResponder,
};
use honeylink_core::testing::SeededRng;
use honeylink_core::trust::{Decision, TrustStore, decide};
use honeylink_core::wire::PayloadFlags;
use rand_core::TryRng;

/// Cheap comparisons are timed this many times in a row per sample.
const INNER: usize = 32;
/// Number of cropped t-tests (dudect's `DUDECT_NUMBER_PERCENTILES`).
const CROPS: usize = 100;
/// Samples per class a test needs before it counts (dudect's
/// `DUDECT_ENOUGH_MEASUREMENTS`).
const ENOUGH: f64 = 10_000.0;
/// The crop at the warm-up samples' median (`1 - 0.5^(10 * 10 / 100)`):
/// the per-class means printed are of the samples below it, as the full
/// means carry every preemption.
const MEDIAN_CROP: usize = 9;
/// Warm-up samples that fix the cropping thresholds.
const WARMUP: usize = 10_000;
const T0: u64 = 1_800_000_000;

// ---------------------------------------------------------------------------
// Statistics

/// Welch's t-test between class 0 and class 1, each class's mean and
/// variance kept online (Welford).
#[derive(Clone, Copy, Default)]
struct Welch {
    n: [f64; 2],
    mean: [f64; 2],
    m2: [f64; 2],
}

impl Welch {
    fn push(&mut self, class: usize, x: f64) {
        self.n[class] += 1.0;
        let delta = x - self.mean[class];
        self.mean[class] += delta / self.n[class];
        self.m2[class] += delta * (x - self.mean[class]);
    }

    /// `(mean0 - mean1) / sqrt(var0 / n0 + var1 / n1)`.
    fn t(&self) -> f64 {
        if self.n[0] < 2.0 || self.n[1] < 2.0 {
            return 0.0;
        }
        let var0 = self.m2[0] / (self.n[0] - 1.0);
        let var1 = self.m2[1] / (self.n[1] - 1.0);
        let se = (var0 / self.n[0] + var1 / self.n[1]).sqrt();
        let diff = self.mean[0] - self.mean[1];
        if se == 0.0 {
            // Both classes constant: equal means say nothing, different
            // ones are as clear a difference as there is.
            return if diff == 0.0 { 0.0 } else { f64::INFINITY };
        }
        diff / se
    }

    fn enough(&self, enough: f64) -> bool {
        self.n[0] >= enough && self.n[1] >= enough
    }
}

/// dudect's battery of tests over one operation's samples.
struct Dudect {
    enough: f64,
    thresholds: Vec<f64>,
    all: Welch,
    cropped: Vec<Welch>,
    second_order: Welch,
}

/// Where the largest |t| was found.
enum Which {
    All,
    Crop(usize),
    SecondOrder,
}

impl Dudect {
    /// Thresholds from the warm-up samples (both classes together): the
    /// `1 - 0.5^(10 (i + 1) / CROPS)` quantiles.
    fn new(mut warmup: Vec<f64>, enough: f64) -> Self {
        let thresholds = (0..CROPS)
            .map(|i| {
                let q = 1.0 - 0.5f64.powf(10.0 * (i + 1) as f64 / CROPS as f64);
                quantile(&mut warmup, q)
            })
            .collect();
        Self {
            enough,
            thresholds,
            all: Welch::default(),
            cropped: vec![Welch::default(); CROPS],
            second_order: Welch::default(),
        }
    }

    fn push(&mut self, class: usize, x: f64) {
        if self.all.enough(self.enough) {
            let centered = x - self.all.mean[class];
            self.second_order.push(class, centered * centered);
        }
        self.all.push(class, x);
        for (test, &threshold) in self.cropped.iter_mut().zip(&self.thresholds) {
            if x < threshold {
                test.push(class, x);
            }
        }
    }

    /// The largest |t| over the tests with enough samples, and where.
    fn max_t(&self) -> (f64, Which) {
        let mut best = (self.all.t(), Which::All);
        let others = self
            .cropped
            .iter()
            .enumerate()
            .map(|(i, test)| (test, Which::Crop(i)))
            .chain([(&self.second_order, Which::SecondOrder)]);
        for (test, which) in others {
            if test.enough(self.enough) && test.t().abs() > best.0.abs() {
                best = (test.t(), which);
            }
        }
        best
    }
}

// ---------------------------------------------------------------------------
// Inputs

/// Random bytes from the seeded RNG, drawn in blocks (one seeded-RNG call
/// costs a ChaCha20-Poly1305 seal).
struct Rand {
    rng: SeededRng,
    buf: [u8; 256],
    used: usize,
}

impl Rand {
    fn new(seed: u8) -> Self {
        Self {
            rng: SeededRng::new([seed; 32]),
            buf: [0; 256],
            used: 256,
        }
    }

    fn byte(&mut self) -> u8 {
        if self.used == self.buf.len() {
            self.rng.try_fill_bytes(&mut self.buf).unwrap();
            self.used = 0;
        }
        self.used += 1;
        self.buf[self.used - 1]
    }

    fn fill(&mut self, out: &mut [u8]) {
        for b in out {
            *b = self.byte();
        }
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        self.fill(&mut out);
        out
    }
}

/// One sample's class and random bytes, drawn before the sample whatever
/// its class: both classes consume the RNG alike and prepare their inputs
/// with the same code, so nothing but the inputs differs between them
/// (dudect's rule; a class that alone refilled the RNG's buffer before its
/// timing would show a difference that is the harness's own).
struct Draw {
    class: usize,
    bytes: [u8; 72],
}

impl Draw {
    fn new(rand: &mut Rand) -> Self {
        let class = usize::from(rand.byte() & 1);
        Self {
            class,
            bytes: rand.array(),
        }
    }

    /// A position below `n` (n <= 256; the slight bias does not matter).
    fn position(&self, n: usize) -> usize {
        usize::from(self.bytes[0]) % n
    }

    /// A nonzero byte to flip bits with.
    fn flip(&self) -> u8 {
        self.bytes[1].max(1)
    }

    /// 64 random bytes.
    fn block(&self) -> [u8; 64] {
        self.bytes[8..].try_into().unwrap()
    }
}

/// `fixed` with one byte changed at a random position.
fn one_byte_off<const N: usize>(fixed: &[u8; N], draw: &Draw) -> [u8; N] {
    let mut out = *fixed;
    out[draw.position(N)] ^= draw.flip();
    out
}

/// `fixed` for class 0, `other` for class 1: both computed before.
fn pick<T: Copy>(draw: &Draw, fixed: T, other: T) -> T {
    [fixed, other][draw.class]
}

/// Times `eq(a, b)` [`INNER`] times in a row; checks the answer outside.
fn time_eq<A, B>(a: &A, b: &B, expect: bool, eq: impl Fn(&A, &B) -> bool) -> f64 {
    let start = Instant::now();
    let mut last = false;
    for _ in 0..INNER {
        last = black_box(eq(black_box(a), black_box(b)));
    }
    let ns = start.elapsed().as_nanos() as f64;
    assert_eq!(last, expect);
    ns
}

/// One comparison of `N`-byte values built by `make`: class 0 compares the
/// fixed value with an equal copy, class 1 with a copy one byte off at a
/// random position.
fn equal_vs_one_byte_off<const N: usize, T>(
    fixed: [u8; N],
    make: impl Fn([u8; N]) -> T,
    eq: impl Fn(&T, &T) -> bool,
) -> impl FnMut(&Draw) -> f64 {
    let a = make(fixed);
    move |draw| {
        let b = make(pick(draw, fixed, one_byte_off(&fixed, draw)));
        time_eq(&a, &b, draw.class == 0, &eq)
    }
}

// ---------------------------------------------------------------------------
// The rows

/// What a row's two classes ask.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Do two inputs with the same outcome take the same time? (Or an
    /// equal and an unequal input to a comparison whose time must not tell.)
    Check,
    /// The control that must leak.
    Control,
    /// Success against failure: a difference is expected and harmless (the
    /// peer learns the outcome anyway); shown for scale.
    PublicOutcome,
}

struct Row<'a> {
    name: &'static str,
    kind: Kind,
    classes: &'static str,
    /// How many times the base budget: a row that needs a CPace run per
    /// sample is slower per sample.
    weight: u32,
    sample: Box<dyn FnMut(&Draw) -> f64 + 'a>,
}

impl<'a> Row<'a> {
    fn new(
        kind: Kind,
        name: &'static str,
        classes: &'static str,
        weight: u32,
        sample: impl FnMut(&Draw) -> f64 + 'a,
    ) -> Self {
        Self {
            name,
            kind,
            classes,
            weight,
            sample: Box::new(sample),
        }
    }
}

fn local<'a>(identity: &'a DeviceIdentity, name: &str) -> LocalDevice<'a> {
    LocalDevice {
        identity,
        name: DeviceName::new(name).unwrap(),
        flags: PayloadFlags::empty(),
    }
}

/// A PIN of six random digits; class 1 changes one digit at a random
/// position to another digit.
fn pin_row(rand: &mut Rand) -> impl FnMut(&Draw) -> f64 + use<> {
    let mut digits = [0u8; 6];
    for d in &mut digits {
        *d = b'0' + (rand.byte() % 10);
    }
    let parse = |d: &[u8; 6]| Pin::parse(std::str::from_utf8(d).unwrap()).unwrap();
    let a = parse(&digits);
    move |draw| {
        let mut off = digits;
        let at = draw.position(6);
        off[at] = b'0' + (off[at] - b'0' + 1 + draw.bytes[1] % 9) % 10;
        let b = parse(&pick(draw, digits, off));
        time_eq(&a, &b, draw.class == 0, |x, y| x == y)
    }
}

/// The trust decision for a stored peer presented with a key one byte off
/// its own (a valid key: the decision is `KeyChanged` for both classes):
/// class 0 off in the first byte, class 1 at a random position. (Its key
/// against another is a different decision, with a fingerprint computed
/// for it: a difference by design, and the outcome is public.)
fn decide_row(rand: &mut Rand) -> impl FnMut(&Draw) -> f64 + use<> {
    let id = DeviceId::from_bytes(rand.array());
    let key = *StaticSecret::from_bytes(SecretBytes::new(rand.array())).public_key();
    let mut store = TrustStore::<4>::new();
    store
        .add(
            PendingPeer::hazmat_new(id, DeviceName::new("Peer").unwrap(), key, PairingMethod::Qr)
                .confirm(0),
        )
        .unwrap();
    move |draw| {
        let presented = other_key(&key, pick(draw, 0, draw.position(32)), draw.flip());
        time_eq(&store, &presented, false, |s, k| {
            decide(s, &id, k) == Decision::Trusted
        })
    }
}

/// A valid static key that differs from `key` in byte `at` (bit 255 left
/// clear; if `flip` makes an invalid key, the next flips are tried).
fn other_key(key: &StaticPublicKey, at: usize, flip: u8) -> StaticPublicKey {
    let mask = if at == 31 { 0x3f } else { 0xff };
    (0..=255u8)
        .map(|k| flip.wrapping_add(k) & mask)
        .filter(|&f| f != 0)
        .find_map(|f| {
            let mut bytes = *key.as_bytes();
            bytes[at] ^= f;
            StaticPublicKey::from_bytes(&bytes).ok()
        })
        .unwrap()
}

/// `AeadKey::open_to` of a 64-byte record whose tag is wrong: class 0 in
/// its first byte, class 1 in a random byte (both fail; the outcome is the
/// same, only where the tags differ changes).
fn aead_row(rand: &mut Rand) -> impl FnMut(&Draw) -> f64 + use<> {
    let key = AeadKey::new(SecretBytes::new(rand.array()));
    let nonce: [u8; aead::NONCE_LEN] = rand.array();
    let mut record = [0u8; 64];
    rand.fill(&mut record);
    let tag = key.seal_in_place(&nonce, b"ad", &mut record).unwrap();
    move |draw| {
        let mut wrong = tag.0;
        wrong[pick(draw, 0, draw.position(wrong.len()))] ^= draw.flip();
        let wrong = aead::Tag(wrong);
        let mut out = [0u8; 64];
        let start = Instant::now();
        let result = black_box(key.open_to(&nonce, b"ad", &record, &mut out, black_box(&wrong)));
        let ns = start.elapsed().as_nanos() as f64;
        assert_eq!(result, Err(Error::Aead));
        ns
    }
}

/// Which wrong tag a class uses.
#[derive(Clone, Copy)]
enum TagClass {
    Right,
    WrongFirstByte,
    Random,
}

/// The tag of `draw`'s class.
fn tag_for(classes: [TagClass; 2], right: &[u8; 64], draw: &Draw) -> [u8; 64] {
    let mut first_off = *right;
    first_off[0] ^= draw.flip();
    let mut random = draw.block();
    if random == *right {
        random[0] ^= 1;
    }
    match classes[draw.class] {
        TagClass::Right => *right,
        TagClass::WrongFirstByte => first_off,
        TagClass::Random => random,
    }
}

/// `Confirming::verify` on the initiator's side of one CPace run. The run
/// is the same every sample (its RNG is reseeded), so its expected tag is
/// the responder's tag computed once; each sample makes a fresh
/// `Confirming` (verify consumes it) outside the timed region.
fn verify_row(classes: [TagClass; 2]) -> impl FnMut(&Draw) -> f64 {
    let prs = Prs::new(b"123456").unwrap();
    let ci = ChannelId::new(
        CPACE_PURPOSE,
        &DeviceId::from_bytes([1; 16]),
        &DeviceId::from_bytes([2; 16]),
    )
    .unwrap();
    let sid = SessionId::from_nonces(&[3; 32], &[4; 32]);
    let start_a = move |prs: &Prs, ci: &ChannelId, sid: &SessionId| -> (Party, Share) {
        Party::start(
            Role::Initiator,
            prs,
            ci,
            sid,
            b"",
            &mut SeededRng::new([5; 32]),
        )
        .unwrap()
    };
    let (_, ya) = start_a(&prs, &ci, &sid);
    let (b, yb) = Party::start(
        Role::Responder,
        &prs,
        &ci,
        &sid,
        b"",
        &mut SeededRng::new([6; 32]),
    )
    .unwrap();
    let right = b.receive(&ya, b"").unwrap().tag().0;
    move |draw| {
        let kind = classes[draw.class];
        let tag = MacTag(tag_for(classes, &right, draw));
        let confirming = start_a(&prs, &ci, &sid).0.receive(&yb, b"").unwrap();
        let mut isk = Isk::empty();
        let start = Instant::now();
        let result = black_box(black_box(confirming).verify(black_box(&tag), &mut isk));
        let ns = start.elapsed().as_nanos() as f64;
        assert_eq!(result.is_ok(), matches!(kind, TagClass::Right));
        ns
    }
}

/// The messages of one PIN run up to the initiator's tag, recorded once:
/// the responder's RNG is reseeded every sample, so replaying the
/// initiator's hello and share brings it to the same state, and the
/// recorded tag is right for it.
struct PinScript {
    hello: Vec<u8>,
    share: Vec<u8>,
    tag_and_noise1: Vec<u8>,
}

const RESPONDER_SEED: [u8; 32] = [7; 32];

fn pin_script(shower: &DeviceIdentity, typer: &DeviceIdentity) -> PinScript {
    let mut guard = PinGuard::new();
    let mut rrng = SeededRng::new(RESPONDER_SEED);
    let mut irng = SeededRng::new([8; 32]);
    let mut responder =
        PinResponder::new(local(shower, "Speaker"), &mut guard, T0, &mut rrng).unwrap();
    let pin = Pin::parse(std::str::from_utf8(responder.pin().expose_secret()).unwrap()).unwrap();
    let (mut a, mut b) = ([0u8; 512], [0u8; 512]);
    let (mut initiator, n) =
        PinInitiator::start(local(typer, "Phone"), pin, &mut a, &mut irng).unwrap();
    let hello = a[..n].to_vec();
    let (n, run) = responder
        .handle_hello(T0, &hello, &mut b, &mut rrng)
        .unwrap();
    let n = initiator.handle_hello(&b[..n], &mut a, &mut irng).unwrap();
    let share = a[..n].to_vec();
    let n = responder
        .handle_share(T0, run, &share, &mut b, &mut rrng)
        .unwrap();
    let n = initiator
        .handle_share_and_tag(&b[..n], &mut a, &mut irng)
        .unwrap();
    PinScript {
        hello,
        share,
        tag_and_noise1: a[..n].to_vec(),
    }
}

/// `PinResponder::handle_tag`, everything on its path included (the tag
/// check, the guard's bookkeeping, and on success the PSK derivation and
/// Noise message 2). Each sample replays the run up to the tag outside the
/// timed region.
fn handle_tag_row<'a>(
    shower: &'a DeviceIdentity,
    script: &'a PinScript,
    classes: [TagClass; 2],
) -> impl FnMut(&Draw) -> f64 + 'a {
    let right: [u8; 64] = script.tag_and_noise1[..64].try_into().unwrap();
    move |draw| {
        let kind = classes[draw.class];
        let mut message = script.tag_and_noise1.clone();
        message[..64].copy_from_slice(&tag_for(classes, &right, draw));
        let mut guard = PinGuard::new();
        let mut rrng = SeededRng::new(RESPONDER_SEED);
        let mut responder =
            PinResponder::new(local(shower, "Speaker"), &mut guard, T0, &mut rrng).unwrap();
        let mut out = [0u8; 512];
        let (_, run) = responder
            .handle_hello(T0, &script.hello, &mut out, &mut rrng)
            .unwrap();
        responder
            .handle_share(T0, run, &script.share, &mut out, &mut rrng)
            .unwrap();
        let start = Instant::now();
        let result =
            black_box(responder.handle_tag(T0, run, black_box(&message), &mut out, &mut rrng));
        let ns = start.elapsed().as_nanos() as f64;
        assert_eq!(result.is_ok(), matches!(kind, TagClass::Right));
        ns
    }
}

// ---------------------------------------------------------------------------
// The run

struct Settings {
    base: Duration,
    warmup: usize,
    enough: f64,
}

fn measure(row: &mut Row<'_>, settings: &Settings, rand: &mut Rand) -> (Dudect, Duration) {
    let began = Instant::now();
    let warmup = (0..settings.warmup)
        .map(|_| (row.sample)(&Draw::new(rand)))
        .collect();
    let mut dudect = Dudect::new(warmup, settings.enough);
    let budget = settings.base * row.weight;
    let start = Instant::now();
    while start.elapsed() < budget {
        for _ in 0..64 {
            let draw = Draw::new(rand);
            let x = (row.sample)(&draw);
            dudect.push(draw.class, x);
        }
    }
    (dudect, began.elapsed())
}

/// The mean of `class`'s samples below the warm-up median, or of all its
/// samples when none is below (a class far slower than the other).
fn typical(dudect: &Dudect, class: usize) -> f64 {
    let below = &dudect.cropped[MEDIAN_CROP];
    if below.n[class] > 0.0 {
        below.mean[class]
    } else {
        dudect.all.mean[class]
    }
}

fn verdict(t: f64, kind: Kind) -> &'static str {
    match (t.abs(), kind) {
        (t, Kind::Control) if t > 10.0 => "leak, as a control must",
        (_, Kind::Control) => "CONTROL NOT DETECTED: run longer",
        (t, Kind::PublicOutcome) if t > 4.5 => "differs (outcome public)",
        (t, _) if t > 10.0 => "LEAK (|t| > 10)",
        (t, _) if t > 4.5 => "suspect (|t| > 4.5)",
        _ => "no difference found",
    }
}

fn main() {
    let quick = quick();
    let settings = if quick {
        Settings {
            base: Duration::from_millis(500),
            warmup: 1_000,
            enough: 1_000.0,
        }
    } else {
        Settings {
            base: Duration::from_secs(env_u64("HL_CT_SECONDS", 8)),
            warmup: WARMUP,
            enough: ENOUGH,
        }
    };
    let filter = std::env::var("HL_BENCH_FILTER").ok();
    println!(
        "# constant_time: dudect (Welch's t, {CROPS} crops, second order), {} s per comparison, \
         {INNER} comparisons timed per sample, fast feature {}{}",
        settings.base.as_secs_f64(),
        if cfg!(feature = "fast") { "ON" } else { "off" },
        if quick { ", QUICK" } else { "" }
    );

    let mut rand = Rand::new(42);
    let shower = DeviceIdentity::generate(&mut SeededRng::new([9; 32])).unwrap();
    let typer = DeviceIdentity::generate(&mut SeededRng::new([10; 32])).unwrap();
    let script = pin_script(&shower, &typer);

    let control_fixed: [u8; 64] = rand.array();
    let mut rows = vec![
        Row::new(
            Kind::Control,
            "CONTROL: [u8; 64] == (early exit)",
            "equal | differ at byte 0",
            1,
            move |draw: &Draw| {
                let mut off = control_fixed;
                off[0] ^= draw.flip();
                let other = pick(draw, control_fixed, off);
                time_eq(&control_fixed, &other, draw.class == 0, |a, b| {
                    a[..] == b[..]
                })
            },
        ),
        Row::new(
            Kind::Check,
            "aead::Tag == (16 B Poly1305 tag)",
            "equal | 1 byte off, random pos",
            1,
            equal_vs_one_byte_off(rand.array::<16>(), aead::Tag, |a, b| a == b),
        ),
        Row::new(
            Kind::Check,
            "MacTag == (64 B HMAC-SHA512 tag)",
            "equal | 1 byte off, random pos",
            1,
            equal_vs_one_byte_off(rand.array::<64>(), MacTag, |a, b| a == b),
        ),
        Row::new(
            Kind::Check,
            "StaticPublicKey == (32 B, trust store)",
            "equal | 1 byte off, random pos",
            1,
            {
                let key = *StaticSecret::from_bytes(SecretBytes::new(rand.array())).public_key();
                move |draw: &Draw| {
                    let off = other_key(&key, draw.position(32), draw.flip());
                    time_eq(&key, &pick(draw, key, off), draw.class == 0, |a, b| a == b)
                }
            },
        ),
        Row::new(
            Kind::Check,
            "trust::decide, 1 stored peer, wrong key",
            "off at byte 0 | off at random byte",
            1,
            decide_row(&mut rand),
        ),
        Row::new(
            Kind::Check,
            "cpace::Share == (32 B)",
            "equal | 1 byte off, random pos",
            1,
            equal_vs_one_byte_off(
                rand.array::<32>(),
                |b| Share::from_slice(&b).unwrap(),
                |a, b| a == b,
            ),
        ),
        Row::new(
            Kind::Check,
            "DeviceId == (16 B)",
            "equal | 1 byte off, random pos",
            1,
            equal_vs_one_byte_off(rand.array::<16>(), DeviceId::from_bytes, |a, b| a == b),
        ),
        Row::new(
            Kind::Check,
            "Fingerprint == (20 B)",
            "equal | 1 byte off, random pos",
            1,
            equal_vs_one_byte_off(rand.array::<20>(), Fingerprint::from_bytes, |a, b| a == b),
        ),
        Row::new(
            Kind::Check,
            "Pin == (6 digits)",
            "equal | 1 digit off, random pos",
            1,
            pin_row(&mut rand),
        ),
        Row::new(
            Kind::Check,
            "ct::ct_eq, 4 B (QR text checksum)",
            "equal | 1 byte off, random pos",
            1,
            equal_vs_one_byte_off(rand.array::<4>(), |b| b, |a, b| ct::ct_eq(a, b)),
        ),
        Row::new(
            Kind::Check,
            "AeadKey::open_to, 64 B, wrong tag",
            "off at byte 0 | off at random byte",
            1,
            aead_row(&mut rand),
        ),
        Row::new(
            Kind::Check,
            "cpace Confirming::verify",
            "wrong at byte 0 | random tag",
            5,
            verify_row([TagClass::WrongFirstByte, TagClass::Random]),
        ),
        Row::new(
            Kind::PublicOutcome,
            "cpace Confirming::verify",
            "right tag | wrong at byte 0",
            5,
            verify_row([TagClass::Right, TagClass::WrongFirstByte]),
        ),
        Row::new(
            Kind::PublicOutcome,
            "cpace Confirming::verify",
            "right tag | random tag",
            5,
            verify_row([TagClass::Right, TagClass::Random]),
        ),
        Row::new(
            Kind::Check,
            "PinResponder::handle_tag",
            "wrong at byte 0 | random tag",
            5,
            handle_tag_row(
                &shower,
                &script,
                [TagClass::WrongFirstByte, TagClass::Random],
            ),
        ),
        Row::new(
            Kind::PublicOutcome,
            "PinResponder::handle_tag",
            "right tag | wrong at byte 0",
            5,
            handle_tag_row(
                &shower,
                &script,
                [TagClass::Right, TagClass::WrongFirstByte],
            ),
        ),
    ];

    println!(
        "\n{:<42} {:<34} {:>10} {:>9} {:>9} {:>10} {:>9} {:>7}  verdict",
        "operation", "class A | class B", "samples", "ns A", "ns B", "t (all)", "max |t|", "at"
    );
    let total = Instant::now();
    for row in &mut rows {
        if filter
            .as_ref()
            .is_some_and(|f| !row.name.contains(f.as_str()))
        {
            continue;
        }
        let (dudect, took) = measure(row, &settings, &mut rand);
        let (max_t, which) = dudect.max_t();
        let at = match which {
            Which::All => "all".to_string(),
            Which::Crop(i) => format!(
                "p{:.3}",
                1.0 - 0.5f64.powf(10.0 * (i + 1) as f64 / CROPS as f64)
            ),
            Which::SecondOrder => "2nd".to_string(),
        };
        let per = if row.weight == 1 { INNER as f64 } else { 1.0 };
        println!(
            "{:<42} {:<34} {:>10} {:>9.1} {:>9.1} {:>+10.2} {:>9.2} {:>7}  {} ({:.0} s)",
            row.name,
            row.classes,
            (dudect.all.n[0] + dudect.all.n[1]) as u64,
            typical(&dudect, 0) / per,
            typical(&dudect, 1) / per,
            dudect.all.t(),
            max_t.abs(),
            at,
            verdict(max_t, row.kind),
            took.as_secs_f64()
        );
    }
    println!(
        "\nns A / ns B: mean time of one operation per class, over the samples below the \
         warm-up median (a cheap comparison's sample divided by {INNER}); max |t| over the \
         tests with >= {} samples per class; run took {:.0} s",
        settings.enough,
        total.elapsed().as_secs_f64()
    );
}
