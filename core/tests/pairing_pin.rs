//! PIN pairing: CPace then XXpsk2, one guess per PIN, lockout. Each attack
//! test would fail if its defence were missing.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod common;

use common::*;
use honeylink_core::Error;
use honeylink_core::identity::DeviceIdentity;
use honeylink_core::pairing::{
    HELLO_LEN, LOCKOUT_FAILURES, LOCKOUT_SECS, LocalDevice, MAX_PAIRING_MESSAGE_LEN, PIN_RUN_SECS,
    PIN_VALIDITY_SECS, PairingMethod, Pin, PinGuard, PinInitiator, PinResponder, RunId,
};
use honeylink_core::testing::SeededRng;

fn typed(pin: &Pin) -> Pin {
    Pin::parse(std::str::from_utf8(pin.expose_secret()).unwrap()).unwrap()
}

const T0: u64 = 5_000;

/// Runs the whole exchange, the responder's clock at `now` and at `now + 1`
/// for Noise message 3; returns the first error on either side.
fn run(
    responder: &mut PinResponder<'_>,
    initiator_local: LocalDevice<'_>,
    typed_pin: Pin,
    now: u64,
    rng: &mut SeededRng,
) -> Result<(), Error> {
    run_with_clock(
        responder,
        initiator_local,
        typed_pin,
        [now, now, now, now + 1],
        rng,
    )
}

/// Runs the whole exchange with the responder's clock at `times` for its
/// hello, share, tag and Noise message 3; returns the first error on either
/// side.
fn run_with_clock(
    responder: &mut PinResponder<'_>,
    initiator_local: LocalDevice<'_>,
    typed_pin: Pin,
    times: [u64; 4],
    rng: &mut SeededRng,
) -> Result<(), Error> {
    let mut a = [0u8; 512];
    let mut b = [0u8; 512];
    let (mut initiator, n) = PinInitiator::start(initiator_local, typed_pin, &mut a, rng)?;
    let (n, ticket) = responder.handle_hello(times[0], &a[..n], &mut b, rng)?;
    let n = initiator.handle_hello(&b[..n], &mut a, rng)?;
    let n = responder.handle_share(times[1], ticket, &a[..n], &mut b, rng)?;
    let n = initiator.handle_share_and_tag(&b[..n], &mut a, rng)?;
    let n = responder.handle_tag(times[2], ticket, &a[..n], &mut b, rng)?;
    let (n, seen_by_initiator, _) = initiator.handle_noise2(&b[..n], &mut a)?;
    let (seen_by_responder, _) = responder.handle_noise3(times[3], ticket, &a[..n])?;
    assert_eq!(seen_by_initiator.method(), PairingMethod::Pin);
    assert_eq!(seen_by_responder.method(), PairingMethod::Pin);
    Ok(())
}

#[test]
fn pin_pairing_end_to_end() {
    let [shower, typer, _] = identities(0x51);
    let mut rng = SeededRng::new([1; 32]);
    let mut guard = PinGuard::new();
    let mut responder =
        PinResponder::new(local(&shower, "Speaker"), &mut guard, T0, &mut rng).unwrap();
    let pin = typed(responder.pin());
    let mut a = [0u8; 512];
    let mut b = [0u8; 512];
    let mut sizes = Vec::new();
    let (mut initiator, n) =
        PinInitiator::start(local(&typer, "Phone"), pin, &mut a, &mut rng).unwrap();
    sizes.push(n);
    let (n, ticket) = responder
        .handle_hello(T0 + 1, &a[..n], &mut b, &mut rng)
        .unwrap();
    sizes.push(n);
    let n = initiator.handle_hello(&b[..n], &mut a, &mut rng).unwrap();
    sizes.push(n);
    let n = responder
        .handle_share(T0 + 2, ticket, &a[..n], &mut b, &mut rng)
        .unwrap();
    sizes.push(n);
    let n = initiator
        .handle_share_and_tag(&b[..n], &mut a, &mut rng)
        .unwrap();
    sizes.push(n);
    let n = responder
        .handle_tag(T0 + 3, ticket, &a[..n], &mut b, &mut rng)
        .unwrap();
    sizes.push(n);
    // Item 7: a too-small buffer is refused and the run survives it.
    assert_eq!(
        initiator.handle_noise2(&b[..n], &mut [0u8; 16]).err(),
        Some(Error::BufferTooSmall {
            needed: MAX_PAIRING_MESSAGE_LEN
        })
    );
    let (n, speaker, init_keys) = initiator.handle_noise2(&b[..n], &mut a).unwrap();
    sizes.push(n);
    let (phone, resp_keys) = responder.handle_noise3(T0 + 4, ticket, &a[..n]).unwrap();
    println!("PIN pairing message sizes: {sizes:?}");
    println!(
        "size_of PinResponder = {}, PinInitiator = {}, PinGuard = {}",
        size_of::<PinResponder<'_>>(),
        size_of::<PinInitiator<'_>>(),
        size_of::<PinGuard>()
    );
    assert_eq!(speaker.id(), shower.device_id());
    assert_eq!(*speaker.key(), *shower.static_public_key());
    assert_eq!(phone.id(), typer.device_id());
    assert_eq!(*phone.key(), *typer.static_public_key());
    assert_eq!(init_keys.handshake_hash(), resp_keys.handshake_hash());
    drop(responder);
    assert_eq!(
        guard.export(T0 + 4).failure_ages,
        [None; 3],
        "a success leaves no failure"
    );
}

#[test]
fn pins_are_uniform_six_digit_strings() {
    let mut rng = SeededRng::new([2; 32]);
    let mut counts = [0u32; 10];
    for _ in 0..20_000 {
        let pin = Pin::generate(&mut rng).unwrap();
        let digits = pin.expose_secret();
        assert!(digits.iter().all(u8::is_ascii_digit));
        counts[usize::from(digits[0] - b'0')] += 1;
    }
    // Each leading digit about 2,000 times (a biased or constant PIN fails).
    assert!(
        counts.iter().all(|&c| (1_700..2_300).contains(&c)),
        "{counts:?}"
    );
    // Rejection sampling: a draw at or above 4,294,000,000 is redrawn.
    let mut rng = PinFirst::new(4_294_000_123, 3);
    let first_fallback = Pin::generate(&mut rng).unwrap();
    let mut plain = SeededRng::new([3; 32]);
    assert_eq!(
        first_fallback,
        Pin::generate(&mut plain).unwrap(),
        "the high draw was rejected"
    );
    // The bound is exact: 4,294,000,000 itself is redrawn, the value below
    // it is kept (as its last six digits).
    let mut script = Vec::new();
    script.extend_from_slice(&4_294_000_000u32.to_le_bytes());
    script.extend_from_slice(&4_293_999_999u32.to_le_bytes());
    let mut rng = honeylink_core::testing::ScriptedRng::new(&script);
    assert_eq!(Pin::generate(&mut rng).unwrap().expose_secret(), b"999999");
    let below = 4_293_999_999u32.to_le_bytes();
    let mut rng = honeylink_core::testing::ScriptedRng::new(&below);
    assert_eq!(Pin::generate(&mut rng).unwrap().expose_secret(), b"999999");
    assert_eq!(Pin::parse("12345").err(), Some(Error::InvalidPin));
    assert_eq!(Pin::parse("1234567").err(), Some(Error::InvalidPin));
    assert_eq!(Pin::parse("12a456").err(), Some(Error::InvalidPin));
    assert_eq!(
        Pin::parse("123 456").unwrap(),
        Pin::parse("123456").unwrap()
    );
    assert_eq!(
        format!("{:?}", Pin::parse("123456").unwrap()),
        "Pin([redacted])"
    );
}

#[test]
fn a_wrong_pin_fails_both_sides_before_any_static_key_and_ends_the_pin() {
    let [shower, typer, _] = identities(0x51);
    let mut rng = SeededRng::new([4; 32]);
    let mut guard = PinGuard::new();
    let mut responder = PinResponder::new(
        local(&shower, "Speaker"),
        &mut guard,
        T0,
        &mut PinFirst::new(111_111, 4),
    )
    .unwrap();
    let mut a = [0u8; 512];
    let mut b = [0u8; 512];
    let (mut initiator, n) = PinInitiator::start(
        local(&typer, "Phone"),
        Pin::parse("111112").unwrap(),
        &mut a,
        &mut rng,
    )
    .unwrap();
    let (n, ticket) = responder
        .handle_hello(T0, &a[..n], &mut b, &mut rng)
        .unwrap();
    let n = initiator.handle_hello(&b[..n], &mut a, &mut rng).unwrap();
    let n = responder
        .handle_share(T0, ticket, &a[..n], &mut b, &mut rng)
        .unwrap();
    // The initiator learns the PINs differ from the responder's tag, and
    // writes nothing: no tag, no Noise message, no static key.
    let mut out = [0u8; 512];
    assert_eq!(
        initiator.handle_share_and_tag(&b[..n], &mut out, &mut rng),
        Err(Error::CpaceConfirmationFailed)
    );
    assert!(out.iter().all(|&x| x == 0));
    // The responder, given any tag, refuses too; the PIN is dead.
    let forged = [0u8; 64 + 48];
    assert_eq!(
        responder.handle_tag(T0, ticket, &forged, &mut b, &mut rng),
        Err(Error::CpaceConfirmationFailed)
    );
    let (_, n) = PinInitiator::start(
        local(&typer, "Phone"),
        Pin::parse("111111").unwrap(),
        &mut a,
        &mut rng,
    )
    .unwrap();
    assert_eq!(
        responder.handle_hello(T0 + 1, &a[..n], &mut b, &mut rng),
        Err(Error::PinUsed)
    );
    assert_eq!(
        responder
            .guard_state(T0 + 1)
            .failure_ages
            .iter()
            .flatten()
            .count(),
        1
    );
}

#[test]
fn a_second_run_on_the_same_pin_is_refused_in_sequence_and_in_parallel() {
    let [shower, typer, stranger] = identities(0x51);
    let mut rng = SeededRng::new([5; 32]);
    let mut guard = PinGuard::new();
    let mut responder =
        PinResponder::new(local(&shower, "Speaker"), &mut guard, T0, &mut rng).unwrap();
    let pin = typed(responder.pin());
    let pin_again = typed(responder.pin());
    let mut a = [0u8; 512];
    let mut b = [0u8; 512];
    // Two initiators say hello; only the first message begins the run.
    let (_first, n1) =
        PinInitiator::start(local(&stranger, "Evil"), pin_again, &mut a, &mut rng).unwrap();
    responder
        .handle_hello(T0, &a[..n1], &mut b, &mut rng)
        .unwrap();
    let (_second, n2) = PinInitiator::start(local(&typer, "Phone"), pin, &mut a, &mut rng).unwrap();
    assert_eq!(
        responder.handle_hello(T0, &a[..n2], &mut b, &mut rng),
        Err(Error::PinUsed)
    );
    // In sequence: after a complete success the PIN is used up too.
    drop(responder);
    let mut responder =
        PinResponder::new(local(&shower, "Speaker"), &mut guard, T0, &mut rng).unwrap();
    let pin = typed(responder.pin());
    assert_eq!(
        run(
            &mut responder,
            local(&typer, "Phone"),
            pin,
            T0 + 1,
            &mut rng
        ),
        Ok(())
    );
    let (_, n) = PinInitiator::start(
        local(&typer, "Phone"),
        typed(responder.pin()),
        &mut a,
        &mut rng,
    )
    .unwrap();
    assert_eq!(
        responder.handle_hello(T0 + 2, &a[..n], &mut b, &mut rng),
        Err(Error::PinUsed)
    );
}

/// One failed run against a fresh PIN.
fn fail_once(
    guard: &mut PinGuard,
    shower: &DeviceIdentity,
    typer: &DeviceIdentity,
    now: u64,
    rng: &mut SeededRng,
) {
    let mut responder = PinResponder::new(
        local(shower, "Speaker"),
        guard,
        now,
        &mut PinFirst::new(1, 9),
    )
    .unwrap();
    let wrong = Pin::parse("000002").unwrap();
    assert_eq!(
        run(&mut responder, local(typer, "Phone"), wrong, now, rng),
        Err(Error::CpaceConfirmationFailed)
    );
}

#[test]
fn the_lockout_engages_lifts_on_time_and_survives_a_restart() {
    let [shower, typer, _] = identities(0x51);
    let mut rng = SeededRng::new([7; 32]);
    let mut guard = PinGuard::new();
    fail_once(&mut guard, &shower, &typer, T0, &mut rng);
    fail_once(&mut guard, &shower, &typer, T0 + 10, &mut rng);
    // The responder's tag already failed the run on the initiator's side; the
    // responder counts the failure when the next run begins.
    assert!(PinResponder::new(local(&shower, "S"), &mut guard, T0 + 20, &mut rng).is_ok());
    fail_once(&mut guard, &shower, &typer, T0 + 20, &mut rng);
    // Two failures recorded and a third run abandoned: no new PIN is shown
    // (the abandoned run counts), and the next run is refused, which records
    // the third failure and starts the lockout.
    assert!(matches!(
        PinResponder::new(local(&shower, "S"), &mut guard, T0 + 21, &mut rng).err(),
        Some(Error::LockedOut { .. })
    ));
    assert!(matches!(guard.begin(T0 + 21), Err(Error::LockedOut { .. })));
    assert!(matches!(
        PinResponder::new(local(&shower, "S"), &mut guard, T0 + 22, &mut rng).err(),
        Some(Error::LockedOut { .. })
    ));
    let remaining = guard.locked_for(T0 + 22).unwrap();
    assert!(
        remaining <= LOCKOUT_SECS && remaining > LOCKOUT_SECS - 5,
        "{remaining}"
    );

    // A restart on a clock since boot: the lockout restarts at the new now.
    let state = guard.export(T0 + 22);
    let mut restored = PinGuard::restore(&state, 3);
    assert_eq!(restored.locked_for(3), Some(state.lockout_remaining));
    assert!(
        PinResponder::new(
            local(&shower, "S"),
            &mut restored,
            3 + state.lockout_remaining - 1,
            &mut rng
        )
        .is_err()
    );
    assert!(
        PinResponder::new(
            local(&shower, "S"),
            &mut restored,
            3 + state.lockout_remaining,
            &mut rng
        )
        .is_ok()
    );
    // Restored failures still count: two failures, a restart, one more
    // failure locks.
    let mut two = PinGuard::new();
    for t in [100, 110] {
        let ticket = two.begin(t).unwrap();
        two.fail(ticket, t + 1);
    }
    let mut restarted = PinGuard::restore(&two.export(120), 7);
    assert_eq!(restarted.locked_for(7), None);
    let ticket = restarted.begin(8).unwrap();
    restarted.fail(ticket, 9);
    assert!(
        restarted.locked_for(9).is_some(),
        "the restored failures counted"
    );
    // And the original lifts on time.
    assert!(
        PinResponder::new(
            local(&shower, "S"),
            &mut guard,
            T0 + 22 + remaining,
            &mut rng
        )
        .is_ok()
    );
}

#[test]
fn a_run_abandoned_after_the_responders_tag_counts_as_a_failure() {
    let [shower, typer, _] = identities(0x51);
    let mut rng = SeededRng::new([8; 32]);
    let mut guard = PinGuard::new();
    for round in 0..3u64 {
        let now = T0 + round;
        let mut responder =
            PinResponder::new(local(&shower, "S"), &mut guard, now, &mut rng).unwrap();
        let mut a = [0u8; 512];
        let mut b = [0u8; 512];
        // The attacker guesses, gets the responder's tag (which tells it
        // whether the guess was right) and walks away.
        let (mut attacker, n) = PinInitiator::start(
            local(&typer, "P"),
            Pin::parse("424242").unwrap(),
            &mut a,
            &mut rng,
        )
        .unwrap();
        let (n, ticket) = responder
            .handle_hello(now, &a[..n], &mut b, &mut rng)
            .unwrap();
        let n = attacker.handle_hello(&b[..n], &mut a, &mut rng).unwrap();
        responder
            .handle_share(now, ticket, &a[..n], &mut b, &mut rng)
            .unwrap();
        // The state the host persists before sending the tag already counts
        // this run.
        let counted = usize::try_from(round).unwrap() + 1;
        let persisted = responder.guard_state(now);
        assert_eq!(persisted.failure_ages.iter().flatten().count(), counted);
        assert_eq!(persisted.lockout_remaining > 0, counted == 3);
    }
    // Three abandoned runs: the next is refused.
    assert!(matches!(
        guard.begin(T0 + 3).err(),
        Some(Error::LockedOut { .. })
    ));
}

#[test]
fn shares_that_are_reflected_identity_or_invalid_are_refused() {
    let [shower, typer, _] = identities(0x51);
    let mut rng = SeededRng::new([10; 32]);
    for (share, expected) in [
        ([0u8; 32], Error::CpaceShareIdentity),
        ([0xffu8; 32], Error::CpaceShareInvalid),
    ] {
        let mut guard = PinGuard::new();
        let mut responder =
            PinResponder::new(local(&shower, "S"), &mut guard, T0, &mut rng).unwrap();
        let mut a = [0u8; 512];
        let mut b = [0u8; 512];
        let (mut initiator, n) =
            PinInitiator::start(local(&typer, "P"), typed(responder.pin()), &mut a, &mut rng)
                .unwrap();
        let (n, ticket) = responder
            .handle_hello(T0, &a[..n], &mut b, &mut rng)
            .unwrap();
        initiator.handle_hello(&b[..n], &mut a, &mut rng).unwrap();
        assert_eq!(
            responder.handle_share(T0, ticket, &share, &mut b, &mut rng),
            Err(expected)
        );
        assert_eq!(
            responder.guard_state(T0).failure_ages,
            [None; 3],
            "no tag went out: no guess, no failure"
        );
    }
    // A responder that reflects the initiator's own share back.
    let mut guard = PinGuard::new();
    let mut responder = PinResponder::new(local(&shower, "S"), &mut guard, T0, &mut rng).unwrap();
    let mut a = [0u8; 512];
    let mut b = [0u8; 512];
    let (mut initiator, n) =
        PinInitiator::start(local(&typer, "P"), typed(responder.pin()), &mut a, &mut rng).unwrap();
    let (n, _) = responder
        .handle_hello(T0, &a[..n], &mut b, &mut rng)
        .unwrap();
    let n = initiator.handle_hello(&b[..n], &mut a, &mut rng).unwrap();
    let mut reflected = [0u8; 96];
    reflected[..32].copy_from_slice(&a[..n]);
    assert_eq!(
        initiator.handle_share_and_tag(&reflected, &mut b, &mut rng),
        Err(Error::CpaceShareReflected)
    );
}

#[test]
fn a_man_in_the_middle_relaying_with_a_guessed_pin_succeeds_only_when_right() {
    let [shower, typer, mitm] = identities(0x51);
    for (guess, right) in [(123_456u32, true), (123_457, false)] {
        let mut rng = SeededRng::new([11; 32]);
        let mut guard_b = PinGuard::new();
        let mut guard_m = PinGuard::new();
        // B shows 123456; A types what B shows.
        let mut b_side = PinResponder::new(
            local(&shower, "Speaker"),
            &mut guard_b,
            T0,
            &mut PinFirst::new(123_456, 1),
        )
        .unwrap();
        let a_pin = typed(b_side.pin());
        // M poses as B toward A (showing its guess) and as A toward B.
        let mut m_toward_a = PinResponder::new(
            local(&mitm, "Speaker"),
            &mut guard_m,
            T0,
            &mut PinFirst::new(guess, 2),
        )
        .unwrap();
        let m_pin = typed(m_toward_a.pin());
        let with_a = run(&mut m_toward_a, local(&typer, "Phone"), a_pin, T0, &mut rng);
        let with_b = run(&mut b_side, local(&mitm, "Phone"), m_pin, T0, &mut rng);
        assert_eq!(with_a.is_ok(), right, "guess {guess}: {with_a:?}");
        assert_eq!(with_b.is_ok(), right, "guess {guess}: {with_b:?}");
    }
}

#[test]
fn pin_lockout_state_round_trips_through_postcard() {
    let mut guard = PinGuard::new();
    let ticket = guard.begin(100).unwrap();
    guard.fail(ticket, 101);
    let state = guard.export(150);
    let mut buffer = [0u8; 64];
    let bytes = postcard::to_slice(&state, &mut buffer).unwrap();
    let back: honeylink_core::pairing::PinGuardState = postcard::from_bytes(bytes).unwrap();
    assert_eq!(back, state);
    assert_eq!(back.failure_ages[2], Some(50));
}

/// A man in the middle who relays CPace but swaps the initiator's id in the
/// hello (to pair under its own name) makes both sides' channel identifiers
/// differ: the initiator refuses the responder's tag. A relay that changes
/// nothing just connects the two real devices.
#[test]
fn a_relaying_man_in_the_middle_cannot_splice_ids() {
    let [shower, typer, mitm] = identities(0x51);
    let mut rng = SeededRng::new([12; 32]);
    let mut guard = PinGuard::new();
    let mut b_side =
        PinResponder::new(local(&shower, "Speaker"), &mut guard, T0, &mut rng).unwrap();
    let mut a = [0u8; 512];
    let (mut a_side2, n) = PinInitiator::start(
        local(&typer, "Phone"),
        typed(b_side.pin()),
        &mut a,
        &mut rng,
    )
    .unwrap();
    let mut spliced = a[..n].to_vec();
    spliced[33..49].copy_from_slice(mitm.device_id().as_bytes());
    let mut b = [0u8; 512];
    let (n, ticket) = b_side.handle_hello(T0, &spliced, &mut b, &mut rng).unwrap();
    let n = a_side2.handle_hello(&b[..n], &mut a, &mut rng).unwrap();
    let n = b_side
        .handle_share(T0, ticket, &a[..n], &mut b, &mut rng)
        .unwrap();
    assert_eq!(
        a_side2.handle_share_and_tag(&b[..n], &mut a, &mut rng),
        Err(Error::CpaceConfirmationFailed)
    );

    // A faithful relay: the two real devices pair with each other.
    drop(b_side);
    let mut guard = PinGuard::new();
    let mut b_side =
        PinResponder::new(local(&shower, "Speaker"), &mut guard, T0, &mut rng).unwrap();
    let pin = typed(b_side.pin());
    let mut relayed_a = [0u8; 512];
    let mut relayed_b = [0u8; 512];
    let (mut a_side, n) =
        PinInitiator::start(local(&typer, "Phone"), pin, &mut relayed_a, &mut rng).unwrap();
    let (n, ticket) = b_side
        .handle_hello(T0, &relayed_a[..n], &mut relayed_b, &mut rng)
        .unwrap();
    let n = a_side
        .handle_hello(&relayed_b[..n], &mut relayed_a, &mut rng)
        .unwrap();
    let n = b_side
        .handle_share(T0, ticket, &relayed_a[..n], &mut relayed_b, &mut rng)
        .unwrap();
    let n = a_side
        .handle_share_and_tag(&relayed_b[..n], &mut relayed_a, &mut rng)
        .unwrap();
    let n = b_side
        .handle_tag(T0, ticket, &relayed_a[..n], &mut relayed_b, &mut rng)
        .unwrap();
    let (n, seen_by_a, _) = a_side
        .handle_noise2(&relayed_b[..n], &mut relayed_a)
        .unwrap();
    let (seen_by_b, _) = b_side.handle_noise3(T0, ticket, &relayed_a[..n]).unwrap();
    assert_eq!(seen_by_a.id(), shower.device_id());
    assert_eq!(seen_by_b.id(), typer.device_id());
}

/// A PIN is valid to the last second of `PIN_VALIDITY_SECS`, and not a
/// second longer; an expired PIN costs no guess, and a clock set back before
/// the PIN was shown counts as expired.
#[test]
fn an_expired_pin_is_refused_costs_no_guess_and_a_clock_set_back_is_refused() {
    let [shower, typer, _] = identities(0x51);
    let mut rng = SeededRng::new([13; 32]);
    let mut guard = PinGuard::new();
    let mut responder =
        PinResponder::new(local(&shower, "Speaker"), &mut guard, T0, &mut rng).unwrap();
    let pin = typed(responder.pin());
    assert_eq!(
        run(
            &mut responder,
            local(&typer, "Phone"),
            pin,
            T0 + PIN_VALIDITY_SECS + 1,
            &mut rng
        ),
        Err(Error::PinExpired)
    );
    assert_eq!(
        responder.guard_state(T0 + 40).failure_ages,
        [None; 3],
        "an expired PIN is no run"
    );
    drop(responder);
    let mut responder =
        PinResponder::new(local(&shower, "Speaker"), &mut guard, T0, &mut rng).unwrap();
    let pin = typed(responder.pin());
    assert_eq!(
        run(
            &mut responder,
            local(&typer, "Phone"),
            pin,
            T0 + PIN_VALIDITY_SECS,
            &mut rng
        ),
        Ok(())
    );
    drop(responder);
    let mut responder =
        PinResponder::new(local(&shower, "Speaker"), &mut guard, T0, &mut rng).unwrap();
    let pin = typed(responder.pin());
    assert_eq!(
        run(
            &mut responder,
            local(&typer, "Phone"),
            pin,
            T0 - 1,
            &mut rng
        ),
        Err(Error::PinExpired)
    );
    assert_eq!(
        responder.guard_state(T0).failure_ages,
        [None; 3],
        "a PIN refused for a clock set back is no run either"
    );
}

/// Drives one honest exchange up to the responder's tag; returns the
/// initiator, its tag-and-Noise-1 message and the run's ticket.
fn up_to_the_tag<'a>(
    responder: &mut PinResponder<'_>,
    typer: &'a DeviceIdentity,
    now: u64,
    rng: &mut SeededRng,
) -> (PinInitiator<'a>, Vec<u8>, RunId) {
    let mut a = [0u8; 512];
    let mut b = [0u8; 512];
    let (mut initiator, n) =
        PinInitiator::start(local(typer, "Phone"), typed(responder.pin()), &mut a, rng).unwrap();
    let (n, ticket) = responder.handle_hello(now, &a[..n], &mut b, rng).unwrap();
    let n = initiator.handle_hello(&b[..n], &mut a, rng).unwrap();
    let n = responder
        .handle_share(now, ticket, &a[..n], &mut b, rng)
        .unwrap();
    let n = initiator
        .handle_share_and_tag(&b[..n], &mut a, rng)
        .unwrap();
    (initiator, a[..n].to_vec(), ticket)
}

/// Item 1: messages from another connection (another run's ticket) leave
/// the run, the PIN and the guard untouched, at every step, even after both
/// genuine sides proved the PIN.
#[test]
fn messages_from_another_connection_cannot_disturb_a_pin_run() {
    let [shower, typer, stranger] = identities(0x51);
    let mut rng = SeededRng::new([14; 32]);
    // A ticket from another responder: what a host holds for another
    // connection.
    let mut other_guard = PinGuard::new();
    let mut other =
        PinResponder::new(local(&stranger, "Other"), &mut other_guard, T0, &mut rng).unwrap();
    let mut scratch = [0u8; 512];
    let (_, n) = PinInitiator::start(
        local(&typer, "P"),
        typed(other.pin()),
        &mut scratch,
        &mut rng,
    )
    .unwrap();
    let hello = scratch[..n].to_vec();
    let (_, foreign) = other
        .handle_hello(T0, &hello, &mut scratch, &mut rng)
        .unwrap();

    let mut guard = PinGuard::new();
    let mut responder =
        PinResponder::new(local(&shower, "Speaker"), &mut guard, T0, &mut rng).unwrap();
    let mut a = [0u8; 512];
    let mut b = [0u8; 512];
    let (mut initiator, n) = PinInitiator::start(
        local(&typer, "Phone"),
        typed(responder.pin()),
        &mut a,
        &mut rng,
    )
    .unwrap();
    let (n, ticket) = responder
        .handle_hello(T0, &a[..n], &mut b, &mut rng)
        .unwrap();
    assert_ne!(ticket, foreign);
    let n = initiator.handle_hello(&b[..n], &mut a, &mut rng).unwrap();
    // A bogus share (a valid point, the basepoint) from elsewhere.
    let basepoint = [
        0xe2, 0xf2, 0xae, 0x0a, 0x6a, 0xbc, 0x4e, 0x71, 0xa8, 0x84, 0xa9, 0x61, 0xc5, 0x00, 0x51,
        0x5f, 0x58, 0xe3, 0x0b, 0x6a, 0xa5, 0x82, 0xdd, 0x8d, 0xb6, 0xa6, 0x59, 0x45, 0xe0, 0x8d,
        0x2d, 0x76,
    ];
    assert_eq!(
        responder.handle_share(T0, foreign, &basepoint, &mut b, &mut rng),
        Err(Error::WrongRun)
    );
    let n = responder
        .handle_share(T0, ticket, &a[..n], &mut b, &mut rng)
        .unwrap();
    let n = initiator
        .handle_share_and_tag(&b[..n], &mut a, &mut rng)
        .unwrap();
    // Both sides have now proved the PIN to... the initiator. A forged tag
    // from elsewhere is refused and not charged.
    assert_eq!(
        responder.handle_tag(T0, foreign, &[0u8; 112], &mut b, &mut rng),
        Err(Error::WrongRun)
    );
    assert_eq!(
        responder
            .guard_state(T0)
            .failure_ages
            .iter()
            .flatten()
            .count(),
        1,
        "only the genuine run's pending count"
    );
    let n = responder
        .handle_tag(T0, ticket, &a[..n], &mut b, &mut rng)
        .unwrap();
    // Both sides proved the PIN; garbage as message 3 from elsewhere.
    assert_eq!(
        responder.handle_noise3(T0, foreign, &[0u8; 100]).err(),
        Some(Error::WrongRun)
    );
    let (n, _, _) = initiator.handle_noise2(&b[..n], &mut a).unwrap();
    let (peer, _) = responder.handle_noise3(T0 + 1, ticket, &a[..n]).unwrap();
    assert_eq!(peer.id(), typer.device_id());
    assert_eq!(responder.guard_state(T0 + 1).failure_ages, [None; 3]);
}

/// Item 1, the other half: on the run's own connection a wrong tag ends the
/// run and is charged (the sender is on-path, and a wrong tag is a wrong
/// guess).
#[test]
fn a_wrong_tag_on_the_runs_own_connection_ends_it_and_counts() {
    let [shower, typer, _] = identities(0x51);
    let mut rng = SeededRng::new([15; 32]);
    let mut guard = PinGuard::new();
    let mut responder =
        PinResponder::new(local(&shower, "Speaker"), &mut guard, T0, &mut rng).unwrap();
    let (_initiator, mut message, ticket) = up_to_the_tag(&mut responder, &typer, T0, &mut rng);
    message[0] ^= 1;
    let mut b = [0u8; 512];
    assert_eq!(
        responder.handle_tag(T0, ticket, &message, &mut b, &mut rng),
        Err(Error::CpaceConfirmationFailed)
    );
    message[0] ^= 1;
    assert_eq!(
        responder.handle_tag(T0, ticket, &message, &mut b, &mut rng),
        Err(Error::OutOfOrder),
        "the run is over"
    );
    drop(responder);
    assert_eq!(guard.export(T0).failure_ages.iter().flatten().count(), 1);
}

/// Item 4: garbage costs no guess. Malformed hellos neither use the PIN up
/// nor count against the guard, so three of them lock nothing; a run counts
/// only once the responder's tag goes out.
#[test]
fn garbage_hellos_cost_no_guess_and_do_not_lock_pin_pairing() {
    let [shower, typer, _] = identities(0x51);
    let mut rng = SeededRng::new([16; 32]);
    let mut guard = PinGuard::new();
    for i in 0..LOCKOUT_FAILURES as u64 {
        let mut responder =
            PinResponder::new(local(&shower, "S"), &mut guard, T0 + i, &mut rng).unwrap();
        let mut b = [0u8; 512];
        assert_eq!(
            responder.handle_hello(T0 + i, &[1, 2, 3], &mut b, &mut rng),
            Err(Error::InvalidLength {
                expected: HELLO_LEN,
                found: 3
            })
        );
        assert_eq!(
            responder.handle_hello(T0 + i, &[9; HELLO_LEN], &mut b, &mut rng),
            Err(Error::UnknownVersion { found: 9 })
        );
        assert_eq!(responder.guard_state(T0 + i).failure_ages, [None; 3]);
        // A hello alone (no share answered) costs nothing either.
        let mut a = [0u8; 512];
        let (_, n) =
            PinInitiator::start(local(&typer, "P"), typed(responder.pin()), &mut a, &mut rng)
                .unwrap();
        responder
            .handle_hello(T0 + i, &a[..n], &mut b, &mut rng)
            .unwrap();
        assert_eq!(responder.guard_state(T0 + i).failure_ages, [None; 3]);
    }
    // Nothing locked: a new PIN is shown, and after garbage it still pairs.
    let mut responder =
        PinResponder::new(local(&shower, "S"), &mut guard, T0 + 5, &mut rng).unwrap();
    let mut b = [0u8; 512];
    assert!(
        responder
            .handle_hello(T0 + 5, &[0xff; 3], &mut b, &mut rng)
            .is_err()
    );
    let pin = typed(responder.pin());
    assert_eq!(
        run(
            &mut responder,
            local(&typer, "Phone"),
            pin,
            T0 + 5,
            &mut rng
        ),
        Ok(())
    );
}

/// A PIN that expired before any hello began its run tells every later
/// hello that it expired (`PinExpired`), even one whose clock reads inside
/// the validity again: the PIN ended, and no run began, so `PinUsed` would
/// be wrong (found by the `pin_calls` fuzz target against the documented
/// errors of `handle_hello`).
#[test]
fn every_hello_after_the_pin_expired_is_told_it_expired() {
    let [shower, typer, _] = identities(0x51);
    let mut rng = SeededRng::new([14; 32]);
    let mut guard = PinGuard::new();
    let mut responder =
        PinResponder::new(local(&shower, "Speaker"), &mut guard, T0, &mut rng).unwrap();
    for now in [
        T0 + PIN_VALIDITY_SECS + 1,
        T0 + PIN_VALIDITY_SECS + 2,
        T0 + 1,
    ] {
        let pin = typed(responder.pin());
        assert_eq!(
            run(&mut responder, local(&typer, "Phone"), pin, now, &mut rng),
            Err(Error::PinExpired),
            "at {now}"
        );
    }
    assert_eq!(responder.guard_state(T0 + 40).failure_ages, [None; 3]);
}

/// One honest run with the responder's clock at `times` for its hello,
/// share, tag and Noise message 3; returns the first error, and the guard's
/// failure count afterwards.
fn run_at(times: [u64; 4], seed: u8) -> (Result<(), Error>, usize) {
    let [shower, typer, _] = identities(0x51);
    let mut rng = SeededRng::new([seed; 32]);
    let mut guard = PinGuard::new();
    let mut responder =
        PinResponder::new(local(&shower, "Speaker"), &mut guard, T0, &mut rng).unwrap();
    let pin = typed(responder.pin());
    let result = run_with_clock(&mut responder, local(&typer, "Phone"), pin, times, &mut rng);
    drop(responder);
    let failures = guard.export(times[3]).failure_ages.iter().flatten().count();
    (result, failures)
}

/// The whole run must finish within `PIN_RUN_SECS` of the PIN being shown,
/// by the responder's clock, at each of its three later steps: the last
/// second is in, the next one out, and a clock set back before the PIN was
/// shown is out too. A timeout once the tag went out counts as a failure.
#[test]
fn the_run_deadline_is_exact_at_every_step() {
    let last = T0 + PIN_RUN_SECS;
    for step in 1..4 {
        let at = |t: u64| {
            let mut times = [T0; 4];
            for time in times.iter_mut().skip(step) {
                *time = t;
            }
            times
        };
        let seed = 0x60 + step as u8;
        assert_eq!(
            run_at(at(last), seed),
            (Ok(()), 0),
            "step {step} at the deadline"
        );
        // Only a timeout between the responder's tag and the initiator's
        // counts: before, no guess was possible; after, the initiator's tag
        // proved the PIN.
        let counted = usize::from(step == 2);
        assert_eq!(
            run_at(at(last + 1), seed),
            (Err(Error::RunTimedOut), counted),
            "step {step} a second late"
        );
        assert_eq!(
            run_at(at(T0 - 1), seed),
            (Err(Error::RunTimedOut), counted),
            "step {step} with the clock set back"
        );
    }
}

/// Each message has the length its constant documents (the buffers and
/// length checks are sized by them), and the constants their documented
/// values: a hello is the version, a 32-byte nonce and a 16-byte device id;
/// the share and tag a 32-byte share and a 64-byte tag; the tag and Noise
/// message 1 a 64-byte tag, a 32-byte ephemeral key and a 16-byte AEAD tag.
#[test]
fn pin_messages_have_their_documented_lengths() {
    use honeylink_core::pairing::{SHARE_AND_TAG_LEN, TAG_AND_NOISE1_LEN};
    assert_eq!(
        (HELLO_LEN, SHARE_AND_TAG_LEN, TAG_AND_NOISE1_LEN),
        (1 + 32 + 16, 32 + 64, 64 + 32 + 16)
    );
    let [shower, typer, _] = identities(0x51);
    let mut rng = SeededRng::new([0x70; 32]);
    let mut guard = PinGuard::new();
    let mut responder =
        PinResponder::new(local(&shower, "Speaker"), &mut guard, T0, &mut rng).unwrap();
    let mut a = [0u8; 512];
    let mut b = [0u8; 512];
    let (mut initiator, n) = PinInitiator::start(
        local(&typer, "Phone"),
        typed(responder.pin()),
        &mut a,
        &mut rng,
    )
    .unwrap();
    assert_eq!(n, HELLO_LEN);
    let (n, ticket) = responder
        .handle_hello(T0, &a[..n], &mut b, &mut rng)
        .unwrap();
    assert_eq!(n, HELLO_LEN);
    let n = initiator.handle_hello(&b[..n], &mut a, &mut rng).unwrap();
    let n = responder
        .handle_share(T0, ticket, &a[..n], &mut b, &mut rng)
        .unwrap();
    assert_eq!(n, SHARE_AND_TAG_LEN);
    let share_and_tag = b[..n].to_vec();
    // One byte short of the room the answer needs: refused, run kept.
    assert_eq!(
        initiator.handle_share_and_tag(&share_and_tag, &mut a[..TAG_AND_NOISE1_LEN - 1], &mut rng),
        Err(Error::BufferTooSmall {
            needed: TAG_AND_NOISE1_LEN
        })
    );
    let n = initiator
        .handle_share_and_tag(&share_and_tag, &mut a[..TAG_AND_NOISE1_LEN], &mut rng)
        .unwrap();
    assert_eq!(n, TAG_AND_NOISE1_LEN);
    let n = responder
        .handle_tag(T0, ticket, &a[..n], &mut b, &mut rng)
        .unwrap();
    let (n, _, _) = initiator.handle_noise2(&b[..n], &mut a).unwrap();
    responder.handle_noise3(T0, ticket, &a[..n]).unwrap();
}

/// PINs compare by value (in constant time), and neither side's `Debug`
/// shows the PIN.
#[test]
fn pins_compare_by_value_and_no_debug_shows_one() {
    let pin = Pin::parse("123456").unwrap();
    assert_eq!(pin, Pin::parse("123456").unwrap());
    for other in ["123457", "023456", "654321"] {
        assert_ne!(pin, Pin::parse(other).unwrap(), "{other}");
    }
    let [shower, typer, _] = identities(0x51);
    let mut rng = SeededRng::new([0x71; 32]);
    let mut guard = PinGuard::new();
    let responder = PinResponder::new(local(&shower, "Speaker"), &mut guard, T0, &mut rng).unwrap();
    let digits = std::str::from_utf8(responder.pin().expose_secret())
        .unwrap()
        .to_owned();
    let shown = format!("{responder:?}");
    assert_eq!(
        shown,
        format!("PinResponder {{ shown_at: {T0}, pin: Pin([redacted]), .. }}")
    );
    assert!(!shown.contains(&digits), "{shown}");
    let mut a = [0u8; 512];
    let (initiator, _) = PinInitiator::start(
        local(&typer, "Phone"),
        typed(responder.pin()),
        &mut a,
        &mut rng,
    )
    .unwrap();
    assert_eq!(
        format!("{initiator:?}"),
        r#"PinInitiator { pin: "[redacted]", .. }"#
    );
}
