//! CPace (CPACE-RISTR255-SHA512): the draft's vectors from `vectors/cpace_*`,
//! run through the core's public API, and two-party runs with the attacks
//! the primitive layer must refuse.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod common;

use common::{Case, VectorFile, decode_hex};
use honeylink_core::Error;
use honeylink_core::crypto::hash::{MacTag, sha512};
use honeylink_core::identity::DeviceId;
use honeylink_core::noise::Role;
use honeylink_core::pairing::cpace::{
    self, ChannelId, Confirming, DSI, Isk, MAX_AD_LEN, MAX_CI_LEN, MAX_PRS_LEN, MAX_PURPOSE_LEN,
    MAX_SID_LEN, Party, Prs, S_IN_BYTES, SessionId, Share,
};
use honeylink_core::testing::{ScriptedRng, SeededRng};

fn string_utils() -> VectorFile {
    VectorFile::parse(
        "vectors/cpace_string_utils.json",
        include_str!("../../vectors/cpace_string_utils.json"),
    )
}

fn ristretto() -> VectorFile {
    VectorFile::parse(
        "vectors/cpace_ristretto255_sha512.json",
        include_str!("../../vectors/cpace_ristretto255_sha512.json"),
    )
}

fn key_confirmation() -> VectorFile {
    VectorFile::parse(
        "vectors/cpace_key_confirmation.json",
        include_str!("../../vectors/cpace_key_confirmation.json"),
    )
}

fn pin_inputs() -> VectorFile {
    VectorFile::parse(
        "vectors/cpace_pin_inputs.json",
        include_str!("../../vectors/cpace_pin_inputs.json"),
    )
}

/// Runs a writer into a buffer of exactly the needed size, after checking
/// that one byte less is refused with that size.
fn written(f: impl Fn(&mut [u8]) -> Result<usize, Error>) -> Vec<u8> {
    let mut big = vec![0u8; 4096];
    let n = f(&mut big).expect("writes");
    if n > 0 {
        let mut short = vec![0u8; n - 1];
        assert_eq!(f(&mut short), Err(Error::BufferTooSmall { needed: n }));
    }
    let mut exact = vec![0u8; n];
    assert_eq!(f(&mut exact).expect("writes"), n);
    assert_eq!(exact, big[..n]);
    exact
}

fn prs(case: &Case<'_>) -> Prs {
    Prs::new(&case.hex("prs")).unwrap_or_else(|e| panic!("{}: {e}", case.at("prs")))
}

fn ci(case: &Case<'_>) -> ChannelId {
    ChannelId::from_bytes(&case.hex("ci")).unwrap_or_else(|e| panic!("{}: {e}", case.at("ci")))
}

fn sid(case: &Case<'_>) -> SessionId {
    SessionId::from_bytes(&case.hex("sid")).unwrap_or_else(|e| panic!("{}: {e}", case.at("sid")))
}

/// Starts a party whose scalar is the given 32 random bytes, and checks
/// that exactly those bytes were drawn.
fn start_scripted(
    role: Role,
    prs: &Prs,
    ci: &ChannelId,
    sid: &SessionId,
    ad: &[u8],
    random: &[u8],
) -> (Party, Share) {
    let mut rng = ScriptedRng::new(random);
    let out = Party::start(role, prs, ci, sid, ad, &mut rng).expect("start");
    assert_eq!(rng.remaining(), 0, "the scalar takes exactly 32 bytes");
    out
}

// ---------------------------------------------------------------------------
// The draft's vectors

#[test]
fn draft_string_utilities() {
    let file = string_utils();
    let mut ran = std::collections::BTreeMap::<String, usize>::new();
    for case in file.cases() {
        match case.kind() {
            "prepend_len" => {
                let input = case.hex("input");
                case.check("output", &written(|o| cpace::prepend_len(&input, o)));
            }
            "lv_cat" => {
                let parts: Vec<Vec<u8>> = case.json["parts"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{}: not an array", case.at("parts")))
                    .iter()
                    .map(|p| decode_hex(p.as_str().unwrap()).unwrap())
                    .collect();
                let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
                case.check("output", &written(|o| cpace::lv_cat(&parts, o)));
            }
            "lexicographically_larger" => {
                let (a, b) = (case.hex("a"), case.hex("b"));
                assert_eq!(
                    cpace::lexicographically_larger(&a, &b),
                    case.bool("larger"),
                    "{}",
                    case.at("larger")
                );
            }
            "o_cat" => {
                let (a, b) = (case.hex("a"), case.hex("b"));
                case.check("output", &written(|o| cpace::o_cat(&a, &b, o)));
            }
            "transcript_ir" => {
                let (ya, ada, yb, adb) = (
                    case.hex("ya"),
                    case.hex("ada"),
                    case.hex("yb"),
                    case.hex("adb"),
                );
                case.check(
                    "output",
                    &written(|o| cpace::transcript_ir(&ya, &ada, &yb, &adb, o)),
                );
            }
            "transcript_oc" => {
                // HoneyLink's API has no symmetric mode; the draft's
                // definition o_cat(lv_cat(Ya, ADa), lv_cat(Yb, ADb)) runs
                // through the public o_cat and lv_cat.
                let (ya, ada, yb, adb) = (
                    case.hex("ya"),
                    case.hex("ada"),
                    case.hex("yb"),
                    case.hex("adb"),
                );
                let a = written(|o| cpace::lv_cat(&[&ya, &ada], o));
                let b = written(|o| cpace::lv_cat(&[&yb, &adb], o));
                case.check("output", &written(|o| cpace::o_cat(&a, &b, o)));
            }
            other => panic!("{}: unknown kind {other:?}", case.at("kind")),
        }
        *ran.entry(case.kind().to_owned()).or_default() += 1;
    }
    let expected = [
        ("lexicographically_larger", 6),
        ("lv_cat", 1),
        ("o_cat", 2),
        ("prepend_len", 4),
        ("transcript_ir", 2),
        ("transcript_oc", 2),
    ];
    let expected: std::collections::BTreeMap<String, usize> =
        expected.iter().map(|&(k, n)| (k.to_owned(), n)).collect();
    assert_eq!(ran, expected, "{}: cases run per kind", file.name);
}

#[test]
fn draft_generator() {
    let file = ristretto();
    let case = file.case("calculate_generator");
    assert_eq!(case.hex("dsi"), DSI, "{}", case.at("dsi"));
    assert_eq!(
        case.u64("s_in_bytes"),
        S_IN_BYTES as u64,
        "{}",
        case.at("s_in_bytes")
    );
    let (p, c, s) = (case.hex("prs"), case.hex("ci"), case.hex("sid"));
    let gen_str = written(|o| cpace::generator_string(DSI, &p, &c, &s, S_IN_BYTES, o));
    case.check("generator_string", &gen_str);
    // The zero padding sits after lv(DSI) || lv(PRS), behind its length.
    let zpad = case.u64("zpad_length") as usize;
    let at = 1 + DSI.len() + 1 + p.len();
    assert_eq!(usize::from(gen_str[at]), zpad, "{}", case.at("zpad_length"));
    assert!(gen_str[at + 1..=at + zpad].iter().all(|&b| b == 0));
    case.check("hash_result", &sha512(&[&gen_str]));
    let g = cpace::hazmat_generator(&prs(&case), &ci(&case), &sid(&case)).expect("generator");
    case.check("g", &g);
}

#[test]
fn draft_shares_isk_and_key_confirmation() {
    let file = ristretto();
    let a = file.case("message from A");
    let b = file.case("message from B");
    let isk_case = file.case("ISK initiator/responder");
    let kc_file = key_confirmation();
    let kc = kc_file.case("draft ristretto255 ISK_IR");
    assert_eq!(a.str("role"), "initiator");
    assert_eq!(b.str("role"), "responder");

    let (ad_a, ad_b) = (a.hex("ad"), b.hex("ad"));
    let (initiator, ya) = start_scripted(
        Role::Initiator,
        &prs(&a),
        &ci(&a),
        &sid(&a),
        &ad_a,
        &a.hex("scalar"),
    );
    a.check("share", ya.as_bytes());
    let (responder, yb) = start_scripted(
        Role::Responder,
        &prs(&b),
        &ci(&b),
        &sid(&b),
        &ad_b,
        &b.hex("scalar"),
    );
    b.check("share", yb.as_bytes());

    let transcript =
        written(|o| cpace::transcript_ir(ya.as_bytes(), &ad_a, yb.as_bytes(), &ad_b, o));
    isk_case.check("transcript_ir", &transcript);
    let sid_out = file.case("session id output");
    sid_out.check("sid_output_ir", &sha512(&[b"CPaceSidOutput", &transcript]));

    // Responder: receives Ya, answers with Yb and Tb.
    let responder = responder
        .receive(&ya, &ad_a)
        .expect("responder receives Ya");
    kc.check("Tb", &responder.tag().0);
    // Initiator: receives Yb and Tb, checks Tb, sends Ta.
    let initiator = initiator
        .receive(&yb, &ad_b)
        .expect("initiator receives Yb");
    kc.check("Ta", &initiator.tag().0);
    let ta = initiator.tag();
    let isk_a = verified(initiator, &responder.tag()).expect("Tb verifies");
    isk_case.check("ISK", isk_a.expose_secret().unwrap());
    kc.check("ISK", isk_a.expose_secret().unwrap());
    let isk_b = verified(responder, &ta).expect("Ta verifies");
    isk_case.check("ISK", isk_b.expose_secret().unwrap());
}

#[test]
fn draft_secret_point_and_scalar_mult_vfy() {
    let file = ristretto();
    let k = file.case("secret points K");
    k.check(
        "K",
        &cpace::hazmat_scalar_mult_vfy(&k.hex_array("ya"), &k.hex_array("Yb")),
    );
    k.check(
        "K",
        &cpace::hazmat_scalar_mult_vfy(&k.hex_array("yb"), &k.hex_array("Ya")),
    );

    let valid = file.case("scalar_mult valid");
    let out = cpace::hazmat_scalar_mult_vfy(&valid.hex_array("s"), &valid.hex_array("X"));
    valid.check("scalar_mult", &out);
    valid.check("scalar_mult_vfy", &out);

    let mut invalid = 0;
    for case in file.cases().filter(|c| c.kind() == "invalid_share") {
        // G.scalar_mult_vfy returns G.I ...
        case.check(
            "scalar_mult_vfy",
            &cpace::hazmat_scalar_mult_vfy(&case.hex_array("s"), &case.hex_array("share")),
        );
        // ... and a party that receives the share aborts, in either role.
        let expected = match case.str("error") {
            "CpaceShareInvalid" => Error::CpaceShareInvalid,
            "CpaceShareIdentity" => Error::CpaceShareIdentity,
            other => panic!("{}: unknown error {other}", case.at("error")),
        };
        let share = Share::from_bytes(case.hex_array("share"));
        for role in [Role::Initiator, Role::Responder] {
            let (party, _) = honest_start(role, b"123456", 1);
            assert_eq!(
                party.receive(&share, b"").map(|_| ()),
                Err(expected),
                "{} ({role:?})",
                case.at("share")
            );
        }
        invalid += 1;
    }
    assert_eq!(invalid, 2, "{}: both invalid-point cases", file.name);
}

#[test]
fn draft_cases_all_accounted_for() {
    // Every case of the ristretto255 file is run above, or (symmetric mode)
    // kept for reference only; a case added to the file must be placed.
    let file = ristretto();
    let names: Vec<&str> = file
        .cases()
        .map(|c| c.json["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "calculate_generator",
            "message from A",
            "message from B",
            "secret points K",
            "ISK initiator/responder",
            "ISK parallel execution",
            "session id output",
            "scalar_mult valid",
            "invalid Y_i1",
            "invalid Y_i2 (G.I)",
        ],
        "{}",
        file.name
    );
    // The symmetric-mode transcript is the draft's o_cat of the two lv_cats.
    let oc = file.case("ISK parallel execution");
    let a = written(|o| cpace::lv_cat(&[&oc.hex("Ya"), &oc.hex("ADa")], o));
    let b = written(|o| cpace::lv_cat(&[&oc.hex("Yb"), &oc.hex("ADb")], o));
    oc.check("transcript_oc", &written(|o| cpace::o_cat(&a, &b, o)));
}

#[test]
fn pin_shaped_inputs_match_independent_computation() {
    let file = pin_inputs();
    let mut ran = 0;
    for case in file.cases() {
        let ci_built = ChannelId::new(
            &case.hex("purpose"),
            &DeviceId::from_bytes(case.hex_array("initiator_id")),
            &DeviceId::from_bytes(case.hex_array("responder_id")),
        )
        .expect("purpose fits");
        case.check("ci", ci_built.as_bytes());
        let sid_built = SessionId::from_nonces(
            &case.hex_array("initiator_nonce"),
            &case.hex_array("responder_nonce"),
        );
        case.check("sid", sid_built.as_bytes());
        let p = prs(&case);
        let gen_str = written(|o| {
            cpace::generator_string(
                DSI,
                p.expose_secret(),
                ci_built.as_bytes(),
                sid_built.as_bytes(),
                S_IN_BYTES,
                o,
            )
        });
        case.check("generator_string", &gen_str);
        case.check(
            "g",
            &cpace::hazmat_generator(&p, &ci_built, &sid_built).unwrap(),
        );

        let (initiator, ya) = start_scripted(
            Role::Initiator,
            &p,
            &ci_built,
            &sid_built,
            b"",
            &case.hex("ya_random_bytes"),
        );
        let (responder, yb) = start_scripted(
            Role::Responder,
            &p,
            &ci_built,
            &sid_built,
            b"",
            &case.hex("yb_random_bytes"),
        );
        case.check("Ya", ya.as_bytes());
        case.check("Yb", yb.as_bytes());
        let responder = responder.receive(&ya, b"").unwrap();
        let initiator = initiator.receive(&yb, b"").unwrap();
        case.check("Tb", &responder.tag().0);
        case.check("Ta", &initiator.tag().0);
        let ta = initiator.tag();
        case.check(
            "ISK",
            verified(initiator, &responder.tag())
                .unwrap()
                .expose_secret()
                .unwrap(),
        );
        case.check(
            "ISK",
            verified(responder, &ta).unwrap().expose_secret().unwrap(),
        );
        ran += 1;
    }
    assert_eq!(ran, 2, "{}", file.name);
}

// ---------------------------------------------------------------------------
// Two parties in memory

const PURPOSE: &[u8] = b"HoneyLink PIN pairing (test)";

fn inputs(seed: u8) -> (ChannelId, SessionId) {
    let ci = ChannelId::new(
        PURPOSE,
        &DeviceId::from_bytes([0x11; 16]),
        &DeviceId::from_bytes([0x22; 16]),
    )
    .unwrap();
    (ci, SessionId::from_nonces(&[seed; 32], &[seed ^ 0xff; 32]))
}

fn honest_start(role: Role, pin: &[u8], seed: u8) -> (Party, Share) {
    let (ci, sid) = inputs(seed);
    let rng_seed = if role == Role::Initiator {
        [seed; 32]
    } else {
        [!seed; 32]
    };
    Party::start(
        role,
        &Prs::new(pin).unwrap(),
        &ci,
        &sid,
        b"",
        &mut SeededRng::new(rng_seed),
    )
    .unwrap()
}

/// A full run in the order: Ya; Yb with Tb; Ta.
fn run(pin_a: &[u8], pin_b: &[u8]) -> (Confirming, Confirming) {
    let (a, ya) = honest_start(Role::Initiator, pin_a, 5);
    let (b, yb) = honest_start(Role::Responder, pin_b, 5);
    let b = b
        .receive(&ya, b"")
        .expect("responder accepts an honest share");
    let a = a
        .receive(&yb, b"")
        .expect("initiator accepts an honest share");
    (a, b)
}

/// `Confirming::verify` into a fresh slot, returning the slot.
fn verified(confirming: Confirming, tag: &MacTag) -> Result<Isk, Error> {
    let mut isk = Isk::empty();
    confirming.verify(tag, &mut isk).map(|()| isk)
}

#[test]
fn same_pin_gives_same_isk_and_tags_verify() {
    let (a, b) = run(b"123456", b"123456");
    let (ta, tb) = (a.tag(), b.tag());
    assert_ne!(ta, tb, "the tags cover different messages");
    let isk_a: Isk = verified(a, &tb).expect("initiator accepts the responder's tag");
    let isk_b: Isk = verified(b, &ta).expect("responder accepts the initiator's tag");
    assert_eq!(
        isk_a.expose_secret().unwrap(),
        isk_b.expose_secret().unwrap()
    );
    assert_ne!(isk_a.expose_secret().unwrap(), &[0u8; 64]);
}

#[test]
fn different_pin_fails_confirmation_on_both_sides() {
    let (a, b) = run(b"123456", b"123457");
    let (ta, tb) = (a.tag(), b.tag());
    assert_eq!(
        verified(a, &tb).map(|_| ()),
        Err(Error::CpaceConfirmationFailed)
    );
    // An initiator that sends its tag without checking the responder's (an
    // attacker's guess) is refused by the responder too.
    assert_eq!(
        verified(b, &ta).map(|_| ()),
        Err(Error::CpaceConfirmationFailed)
    );
}

#[test]
fn any_other_input_or_a_flipped_tag_bit_fails_confirmation() {
    // Same PIN, different session id: the generators differ.
    let (a, ya) = honest_start(Role::Initiator, b"123456", 5);
    let (b, yb) = honest_start(Role::Responder, b"123456", 6);
    let b = b.receive(&ya, b"").unwrap();
    let a = a.receive(&yb, b"").unwrap();
    assert_eq!(
        verified(a, &b.tag()).map(|_| ()),
        Err(Error::CpaceConfirmationFailed)
    );

    for (byte, bit) in [(0, 0), (31, 7), (63, 7)] {
        let (a, b) = run(b"123456", b"123456");
        let (mut ta, mut tb): (MacTag, MacTag) = (a.tag(), b.tag());
        ta.0[byte] ^= 1 << bit;
        tb.0[byte] ^= 1 << bit;
        assert_eq!(
            verified(a, &tb).map(|_| ()),
            Err(Error::CpaceConfirmationFailed)
        );
        assert_eq!(
            verified(b, &ta).map(|_| ()),
            Err(Error::CpaceConfirmationFailed)
        );
    }
}

#[test]
fn reflected_share_is_refused() {
    for role in [Role::Initiator, Role::Responder] {
        let (party, own) = honest_start(role, b"123456", 7);
        assert_eq!(
            party.receive(&own, b"").map(|_| ()),
            Err(Error::CpaceShareReflected),
            "{role:?}"
        );
    }
}

#[test]
fn identity_and_invalid_encodings_are_refused() {
    let encodings: [([u8; 32], Error); 4] = [
        ([0; 32], Error::CpaceShareIdentity),
        // 1 is odd: a "negative" field element, never a canonical encoding.
        (
            {
                let mut b = [0; 32];
                b[0] = 1;
                b
            },
            Error::CpaceShareInvalid,
        ),
        // p = 2^255 - 19 and above are not reduced.
        (
            {
                let mut b = [0xff; 32];
                b[0] = 0xec;
                b[31] = 0x7f;
                b
            },
            Error::CpaceShareInvalid,
        ),
        ([0xff; 32], Error::CpaceShareInvalid),
    ];
    for (bytes, expected) in encodings {
        for role in [Role::Initiator, Role::Responder] {
            let (party, _) = honest_start(role, b"123456", 8);
            assert_eq!(
                party.receive(&Share::from_bytes(bytes), b"").map(|_| ()),
                Err(expected),
                "{bytes:02x?} ({role:?})"
            );
        }
    }
    assert_eq!(
        Share::from_slice(&[0; 31]),
        Err(Error::InvalidLength {
            expected: 32,
            found: 31
        })
    );
}

#[test]
fn scalar_is_sampled_as_the_draft_says() {
    // Bits 252-255 of the random bytes are cleared: the same share with and
    // without them.
    let (ci, sid) = inputs(9);
    let p = Prs::new(b"123456").unwrap();
    let mut random = [0x5au8; 32];
    random[31] = 0x0a;
    let (_, plain) = start_scripted(Role::Initiator, &p, &ci, &sid, b"", &random);
    random[31] = 0xfa;
    let (_, masked) = start_scripted(Role::Initiator, &p, &ci, &sid, b"", &random);
    assert_eq!(plain, masked);
    random[31] = 0x0b;
    let (_, other) = start_scripted(Role::Initiator, &p, &ci, &sid, b"", &random);
    assert_ne!(plain, other, "bit 248 is kept");
    // An RNG failure, and a zero scalar, are Error::Rng.
    let start = |bytes: &[u8]| {
        Party::start(
            Role::Initiator,
            &p,
            &ci,
            &sid,
            b"",
            &mut ScriptedRng::new(bytes),
        )
        .map(|_| ())
    };
    assert_eq!(start(&[1; 31]), Err(Error::Rng));
    let mut zero = [0u8; 32];
    zero[31] = 0xf0;
    assert_eq!(start(&zero), Err(Error::Rng));
}

#[test]
fn inputs_longer_than_their_capacity_are_refused() {
    assert!(Prs::new(&[b'1'; MAX_PRS_LEN]).is_ok());
    assert_eq!(
        Prs::new(&[b'1'; MAX_PRS_LEN + 1]).map(|_| ()),
        Err(Error::CpacePrsTooLong)
    );
    assert!(ChannelId::from_bytes(&[0; MAX_CI_LEN]).is_ok());
    assert_eq!(
        ChannelId::from_bytes(&[0; MAX_CI_LEN + 1]),
        Err(Error::CpaceChannelIdTooLong)
    );
    let (i, r) = (DeviceId::from_bytes([1; 16]), DeviceId::from_bytes([2; 16]));
    let longest = ChannelId::new(&[b'p'; MAX_PURPOSE_LEN], &i, &r).unwrap();
    assert_eq!(longest.as_bytes().len(), MAX_CI_LEN);
    assert_eq!(
        ChannelId::new(&[b'p'; MAX_PURPOSE_LEN + 1], &i, &r),
        Err(Error::CpaceChannelIdTooLong)
    );
    assert!(SessionId::from_bytes(&[0; MAX_SID_LEN]).is_ok());
    assert_eq!(
        SessionId::from_bytes(&[0; MAX_SID_LEN + 1]),
        Err(Error::CpaceSessionIdTooLong)
    );

    let (ci, sid) = inputs(10);
    let p = Prs::new(b"123456").unwrap();
    let mut rng = ScriptedRng::new(&[7; 32]);
    assert_eq!(
        Party::start(
            Role::Initiator,
            &p,
            &ci,
            &sid,
            &[0; MAX_AD_LEN + 1],
            &mut rng
        )
        .map(|_| ()),
        Err(Error::CpaceAssociatedDataTooLong)
    );
    assert_eq!(rng.remaining(), 32, "refused before drawing randomness");
    let (party, _) =
        Party::start(Role::Initiator, &p, &ci, &sid, &[0; MAX_AD_LEN], &mut rng).unwrap();
    let (_, peer) = honest_start(Role::Responder, b"123456", 10);
    assert_eq!(
        party.receive(&peer, &[0; MAX_AD_LEN + 1]).map(|_| ()),
        Err(Error::CpaceAssociatedDataTooLong)
    );
}

#[test]
fn secrets_are_redacted() {
    let mark = [0xabu8; 8];
    let p = Prs::new(&mark).unwrap();
    let (ci, sid) = inputs(11);
    let (party, share) = Party::start(
        Role::Initiator,
        &p,
        &ci,
        &sid,
        b"",
        &mut SeededRng::new([0xab; 32]),
    )
    .unwrap();
    let (_, peer) = honest_start(Role::Responder, &mark, 11);
    let shown_party = format!("{party:?}");
    assert!(
        shown_party.contains(&format!("{share:?}")),
        "the share is public: {shown_party}"
    );
    let confirming = party.receive(&peer, b"").unwrap();
    let g = cpace::hazmat_generator(&p, &ci, &sid).unwrap();
    let g_hex: String = g.iter().map(|b| format!("{b:02x}")).collect();
    for shown in [format!("{p:?}"), shown_party, format!("{confirming:?}")] {
        assert!(shown.contains("redacted"), "{shown}");
        assert!(!shown.contains("abab"), "{shown}");
        assert!(!shown.contains("171, 171"), "{shown}");
        assert!(!shown.contains(&g_hex), "{shown}");
    }
    let (a, b) = run(b"123456", b"123456");
    let isk = verified(a, &b.tag()).unwrap();
    let isk_hex: String = isk
        .expose_secret()
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let shown = format!("{isk:?}");
    assert_eq!(shown, "Isk([redacted])");
    assert!(!shown.contains(&isk_hex[..16]));
}
