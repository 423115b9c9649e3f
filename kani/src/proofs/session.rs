//! Transport sessions: the datagram replay window against a plain model,
//! nonces that never repeat and stop at the end instead of wrapping, and
//! stream rekeying in step on both sides.

use honeylink_core::Error;
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::aead::AeadKey;
use honeylink_core::noise::{CipherState, TAG_LEN};
use honeylink_core::session::{DatagramSession, ReplayWindow, StreamSession};

#[cfg(not(kani))]
use super::kani;
use super::{check, choose, choose_index, exhaust};

/// Longest operation sequence the replay-window harness runs.
const MAX_OPS: usize = 16;

/// The replay window accepts exactly what a plain model accepts, over
/// sequences of 8 to 16 counters: a counter is accepted if it was never
/// accepted before and is not older than the window (`SIZE` = 1,024
/// counters up to the highest accepted one, as documented); an older one is
/// `TooOld`, a repeated one `Replayed`. A refused counter leaves the window's
/// state byte for byte as it was; `highest` and `lowest_acceptable` follow
/// the model after every step.
///
/// Counters are drawn around the highest so far: the next ones, the edge of
/// the window, recent ones, exact repeats, jumps across blocks and whole
/// laps of the ring, anything, and the last values of `u64`.
#[cfg_attr(kani, kani::proof, kani::unwind(18))]
#[cfg_attr(not(kani), test)]
fn replay_window_matches_a_set_model() {
    const SIZE: u64 = ReplayWindow::SIZE;
    check(|| {
        let mut window = ReplayWindow::new();
        let mut seen = [0u64; MAX_OPS];
        let mut seen_len = 0usize;
        let mut highest: Option<u64> = None;
        let ops = 8 + choose_index(MAX_OPS - 7);
        for _ in 0..ops {
            let base = highest.unwrap_or(0);
            let counter = match choose(7) {
                0 => base.saturating_add(choose(3)),
                1 => base.saturating_sub(SIZE - 2 + choose(4)),
                2 => base.saturating_sub(choose(70)),
                3 if seen_len > 0 => seen[choose_index(seen_len)],
                4 => base.saturating_add(64 * (1 + choose(20)) + choose(3)),
                6 => u64::MAX - choose(3),
                _ => kani::any(),
            };
            let too_old = highest.is_some_and(|h| counter <= h && h - counter >= SIZE);
            let replayed = seen[..seen_len].contains(&counter);
            let before = window.hazmat_bytes();
            let result = window.hazmat_accept(counter);
            if too_old {
                assert_eq!(result, Err(Error::TooOld), "{counter} under {highest:?}");
            } else if replayed {
                assert_eq!(result, Err(Error::Replayed), "{counter}");
            } else {
                assert_eq!(result, Ok(()), "{counter} under {highest:?}");
                seen[seen_len] = counter;
                seen_len += 1;
                highest = Some(highest.map_or(counter, |h| h.max(counter)));
            }
            if result.is_err() {
                assert_eq!(
                    window.hazmat_bytes(),
                    before,
                    "a refusal changed the window"
                );
            }
            assert_eq!(window.highest(), highest);
            assert_eq!(
                window.lowest_acceptable(),
                highest.map_or(0, |h| h.saturating_sub(SIZE - 1))
            );
        }
    });
}

/// Steps the nonce harness takes at most.
const NONCE_STEPS: u64 = 6;

/// A cipher state's nonce (and a datagram session's send counter) never
/// repeats and refuses at its end instead of wrapping: started anywhere
/// (mostly within 6 of `u64::MAX`), each encryption uses the current
/// nonce (a receiver at the same nonce opens it) and moves it up by one;
/// at `u64::MAX` (Noise's reserved nonce) encrypting and decrypting are
/// `NonceExhausted` and nothing changes: not the nonce, not the buffer.
#[cfg_attr(kani, kani::proof, kani::unwind(8))]
#[cfg_attr(not(kani), test)]
fn nonces_never_repeat_and_stop_at_the_end() {
    const KEY: [u8; 32] = [0x24; 32];
    check(|| {
        let near: bool = kani::any();
        let distance: u64 = if near {
            choose(NONCE_STEPS)
        } else {
            kani::any()
        };
        let start = u64::MAX - distance;
        let steps = distance.min(NONCE_STEPS - 1) + 1;
        if choose(2) == 0 {
            let mut sender = CipherState::hazmat_with_nonce(SecretBytes::new(KEY), start);
            let mut receiver = CipherState::hazmat_with_nonce(SecretBytes::new(KEY), start);
            for step in 0..=steps {
                let nonce = sender.nonce();
                let fill = step as u8;
                let mut buffer = [fill; 4 + TAG_LEN];
                match sender.encrypt_in_place(b"ad", &mut buffer, 4) {
                    Ok(n) => {
                        assert!(nonce < u64::MAX);
                        assert_eq!(sender.nonce(), nonce + 1);
                        assert_eq!(receiver.decrypt_in_place(b"ad", &mut buffer[..n]), Ok(4));
                        assert_eq!(buffer[..4], [fill; 4]);
                    }
                    Err(error) => {
                        assert_eq!(error, Error::NonceExhausted);
                        assert_eq!((nonce, sender.nonce()), (u64::MAX, u64::MAX));
                        assert_eq!(buffer, [fill; 4 + TAG_LEN], "a refusal wrote");
                        assert_eq!(
                            receiver.decrypt_in_place(b"ad", &mut buffer),
                            Err(Error::NonceExhausted)
                        );
                        assert_eq!(receiver.nonce(), u64::MAX);
                    }
                }
            }
            if distance < NONCE_STEPS {
                assert_eq!(sender.nonce(), u64::MAX, "the end was reached");
            }
        } else {
            let fresh = || CipherState::new(SecretBytes::new(KEY));
            let mut session = DatagramSession::<1024>::from_cipher_states(fresh(), fresh())
                .expect("unused")
                .hazmat_with_send_counter(AeadKey::new(SecretBytes::new(KEY)), start);
            for _ in 0..=steps {
                let counter = session.send_counter();
                let mut record = [0u8; 8 + 2 + TAG_LEN];
                match session.seal_in_place(&mut record, 2) {
                    Ok(n) => {
                        assert_eq!(n, record.len());
                        assert!(counter < u64::MAX);
                        assert_eq!(record[..8], counter.to_be_bytes());
                        assert_eq!(session.send_counter(), counter + 1);
                    }
                    Err(error) => {
                        assert_eq!(error, Error::NonceExhausted);
                        assert_eq!((counter, session.send_counter()), (u64::MAX, u64::MAX));
                        assert_eq!(record, [0; 8 + 2 + TAG_LEN], "a refusal wrote");
                    }
                }
            }
            if distance < NONCE_STEPS {
                assert_eq!(session.send_counter(), u64::MAX, "the end was reached");
            }
            // A received record claiming the reserved counter is refused
            // before any cryptography, and changes nothing.
            let before = session.hazmat_state_digest();
            let mut claimed = [0xff; 8 + 2 + TAG_LEN];
            assert_eq!(
                session.open_in_place(&mut claimed).map(|(c, _)| c),
                Err(Error::NonceExhausted)
            );
            assert_eq!(session.hazmat_state_digest(), before);
        }
    });
}

/// Records per key in the stream harness (the const generic `REKEY`).
const REKEY: u64 = 3;
/// Records the stream harness sends, in both directions together.
const STREAM_STEPS: u8 = 9;

/// The plaintext of record `n` in a direction.
fn plaintext(key: [u8; 32], n: u64) -> [u8; 3] {
    [key[0], n as u8, 0x5a]
}

/// Record `n` of a direction, as the model says it must be: the plaintext
/// under nonce `n` and the direction's first key with `REKEY` applied
/// `n / REKEY` times.
fn model_record(key: [u8; 32], n: u64) -> [u8; 3 + TAG_LEN] {
    let plaintext = plaintext(key, n);
    let mut epoch_key = CipherState::new(SecretBytes::new(key));
    for _ in 0..n / REKEY {
        epoch_key.rekey();
    }
    let mut state =
        CipherState::hazmat_with_nonce(SecretBytes::new(epoch_key.hazmat_key_bytes()), n);
    let mut record = [0u8; 3 + TAG_LEN];
    record[..3].copy_from_slice(&plaintext);
    state
        .encrypt_in_place(&[], &mut record, 3)
        .expect("far from the end");
    record
}

/// Stream sessions rekey in step: over every sequence of 9 records, each
/// sent either way and some first sent tampered, every record is exactly
/// the model's (key `REKEY^(n / 3)(k)`, nonce `n`), opens on the other side
/// to its plaintext, and both sides count the same; a tampered record is
/// `Aead` and leaves the receiver's whole state (keys included) unchanged.
///
/// Here: exhaustive over the 3^9 = 19,683 sequences.
#[cfg_attr(kani, kani::proof, kani::unwind(10))]
#[cfg_attr(not(kani), test)]
fn stream_rekey_stays_in_step() {
    const A_TO_B: [u8; 32] = [0xab; 32];
    const B_TO_A: [u8; 32] = [0xba; 32];
    // The model's records, computed once: record n of each direction.
    let expected: [[[u8; 3 + TAG_LEN]; STREAM_STEPS as usize]; 2] =
        [A_TO_B, B_TO_A].map(|key| core::array::from_fn(|n| model_record(key, n as u64)));
    exhaust(1, || {
        let state = |key| CipherState::new(SecretBytes::new(key));
        let mut a = StreamSession::<REKEY>::from_cipher_states(state(A_TO_B), state(B_TO_A));
        let mut b = StreamSession::<REKEY>::from_cipher_states(state(B_TO_A), state(A_TO_B));
        for step in 0..STREAM_STEPS {
            let action = choose(3);
            let (sender, receiver, key, direction) = if action == 1 {
                (&mut b, &mut a, B_TO_A, 1)
            } else {
                (&mut a, &mut b, A_TO_B, 0)
            };
            let n = sender.sent();
            let plaintext = plaintext(key, n);
            let mut record = [0u8; 3 + TAG_LEN];
            record[..3].copy_from_slice(&plaintext);
            let len = sender.seal_in_place(&mut record, 3).expect("sealed");
            assert_eq!(len, record.len());
            assert_eq!(record, expected[direction][n as usize], "record {n}");
            if action == 2 {
                let mut tampered = record;
                tampered[usize::from(step) % record.len()] ^= 0x01;
                let before = receiver.hazmat_state_digest();
                assert_eq!(
                    receiver.open_in_place(&mut tampered).map(|p| p.len()),
                    Err(Error::Aead)
                );
                assert_eq!(receiver.hazmat_state_digest(), before);
            }
            let opened = receiver.open_in_place(&mut record).expect("in step");
            assert_eq!(opened, plaintext);
            assert_eq!(receiver.received(), sender.sent());
        }
    });
}
