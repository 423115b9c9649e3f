//! Transport sessions: attacks, rekeying and hygiene. Each attack test would
//! fail if its defence were missing.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod common;

use honeylink_core::Error;
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::aead::AeadKey;
use honeylink_core::noise::CipherState;
use honeylink_core::session::{DatagramSession, ReplayWindow, StreamSession};

fn stream_pair<const R: u64>(seed: u8) -> (StreamSession<R>, StreamSession<R>) {
    let (a, b) = common::xx_outcomes(seed);
    (StreamSession::new(a), StreamSession::new(b))
}

fn datagram_pair<const L: u64>(seed: u8) -> (DatagramSession<L>, DatagramSession<L>) {
    let (a, b) = common::xx_outcomes(seed);
    (DatagramSession::new(a), DatagramSession::new(b))
}

fn stream_seal<const R: u64>(s: &mut StreamSession<R>, text: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; text.len() + 16];
    buf[..text.len()].copy_from_slice(text);
    let n = s.seal_in_place(&mut buf, text.len()).unwrap();
    buf.truncate(n);
    buf
}

fn dgram_seal<const L: u64>(s: &mut DatagramSession<L>, text: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; text.len() + 24];
    buf[8..8 + text.len()].copy_from_slice(text);
    let n = s.seal_in_place(&mut buf, text.len()).unwrap();
    buf.truncate(n);
    buf
}

fn dgram_open<const L: u64>(
    s: &mut DatagramSession<L>,
    record: &[u8],
) -> Result<(u64, Vec<u8>), Error> {
    let mut copy = record.to_vec();
    s.open_in_place(&mut copy).map(|(c, t)| (c, t.to_vec()))
}

/// A session whose whole state has a digest, for the "changes nothing"
/// checks.
trait StateDigest {
    fn state_digest(&self) -> [u8; 64];
}

impl<const R: u64> StateDigest for StreamSession<R> {
    fn state_digest(&self) -> [u8; 64] {
        self.hazmat_state_digest()
    }
}

impl<const L: u64> StateDigest for DatagramSession<L> {
    fn state_digest(&self) -> [u8; 64] {
        self.hazmat_state_digest()
    }
}

/// `attempt` on `session` fails with `expected` and leaves the session's
/// state exactly as it was; `what` names the case in a failure.
#[track_caller]
fn refused_unchanged<S: StateDigest, T>(
    session: &mut S,
    expected: Error,
    what: &str,
    attempt: impl FnOnce(&mut S) -> Result<T, Error>,
) {
    let before = session.state_digest();
    assert_eq!(attempt(session).err(), Some(expected), "{what}");
    assert_eq!(session.state_digest(), before, "{what}: the state changed");
}

// ---------- stream mode ----------

#[test]
fn stream_round_trip_and_wrong_direction() {
    let (mut a, mut b) = stream_pair::<{ 1 << 16 }>(1);
    let record = stream_seal(&mut a, b"hello");
    let mut copy = record.clone();
    // The sender's own receive key is the other direction's: it fails.
    assert_eq!(a.open_in_place(&mut copy).err(), Some(Error::Aead));
    let mut copy = record.clone();
    assert_eq!(b.open_in_place(&mut copy).unwrap(), b"hello");
    let reply = stream_seal(&mut b, b"hi");
    let mut copy = reply.clone();
    assert_eq!(a.open_in_place(&mut copy).unwrap(), b"hi");
}

#[test]
fn stream_flipped_bit_fails_and_changes_nothing() {
    let (mut a, mut b) = stream_pair::<{ 1 << 16 }>(2);
    let record = stream_seal(&mut a, b"some record of forty bytes, or about so");
    for bit in 0..record.len() * 8 {
        let mut flipped = record.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        refused_unchanged(&mut b, Error::Aead, &format!("bit {bit}"), |b| {
            b.open_in_place(&mut flipped).map(|_| ())
        });
    }
    let mut copy = record.clone();
    assert!(
        b.open_in_place(&mut copy).is_ok(),
        "the genuine record still opens"
    );
    let mut short = vec![0u8; 15];
    assert_eq!(
        b.open_in_place(&mut short).err(),
        Some(Error::RecordTooShort)
    );
}

#[test]
fn stream_rekeys_in_step_over_several_intervals() {
    const R: u64 = 4;
    let (mut a, mut b) = stream_pair::<R>(3);
    let (mut plain_a, _) = stream_pair::<{ u64::MAX }>(3);
    for i in 0..(5 * R) {
        let text = format!("record {i}");
        let record = stream_seal(&mut a, text.as_bytes());
        let unrekeyed = stream_seal(&mut plain_a, text.as_bytes());
        // Same key before the first rekey, different after: the rekey is real.
        assert_eq!(record == unrekeyed, i < R, "record {i}");
        let mut copy = record.clone();
        assert_eq!(
            b.open_in_place(&mut copy).unwrap(),
            text.as_bytes(),
            "record {i}"
        );
        let back = stream_seal(&mut b, text.as_bytes());
        let mut copy = back.clone();
        assert_eq!(
            a.open_in_place(&mut copy).unwrap(),
            text.as_bytes(),
            "reply {i}"
        );
    }
    // A receiver that rekeys on a different schedule falls out of step.
    let (mut a, _) = stream_pair::<4>(4);
    let (_, mut b8) = stream_pair::<8>(4);
    let results: Vec<bool> = (0..6)
        .map(|_| {
            let mut r = stream_seal(&mut a, b"x");
            b8.open_in_place(&mut r).is_ok()
        })
        .collect();
    assert_eq!(results, [true, true, true, true, false, false]);
}

#[test]
fn stream_refuses_to_seal_at_the_end_of_the_counter() {
    let key = || SecretBytes::new([7; 32]);
    let mut s = StreamSession::<{ 1 << 16 }>::from_cipher_states(
        CipherState::hazmat_with_nonce(key(), u64::MAX - 1),
        CipherState::hazmat_with_nonce(key(), u64::MAX - 1),
    );
    let mut buf = [0u8; 32];
    assert_eq!(
        s.seal_in_place(&mut buf, 4),
        Ok(20),
        "nonce 2^64 - 2 is the last"
    );
    assert_eq!(s.sent(), u64::MAX);
    assert_eq!(s.seal_in_place(&mut buf, 4), Err(Error::NonceExhausted));
    assert_eq!(s.sent(), u64::MAX, "never wraps");
    let mut record = [0u8; 20];
    assert_eq!(s.open_in_place(&mut record).err(), Some(Error::Aead));
}

// ---------- datagram mode ----------

type Small = DatagramSession<1024>;

#[test]
fn datagram_replay_and_reordering() {
    let (mut a, mut b) = datagram_pair::<1024>(5);
    let records: Vec<Vec<u8>> = (0..10)
        .map(|i| dgram_seal(&mut a, format!("r{i}").as_bytes()))
        .collect();
    for &i in &[3usize, 0, 9, 1, 2, 8, 4, 7, 6, 5] {
        let (counter, text) = dgram_open(&mut b, &records[i]).unwrap();
        assert_eq!((counter, text), (i as u64, format!("r{i}").into_bytes()));
        refused_unchanged(&mut b, Error::Replayed, &format!("{i}"), |b| {
            dgram_open(b, &records[i])
        });
    }
}

/// The digest the "rejected record changes nothing" checks compare must see
/// every change an accepted record makes, or those checks would prove
/// nothing: a new highest counter, one bit below it, the first record.
#[test]
fn the_state_digest_sees_every_accepted_record() {
    let (mut a, mut b) = datagram_pair::<1024>(8);
    let records: Vec<Vec<u8>> = (0..3).map(|_| dgram_seal(&mut a, b"r")).collect();
    let mut digests = vec![b.hazmat_state_digest()];
    for i in [2usize, 0, 1] {
        dgram_open(&mut b, &records[i]).unwrap();
        digests.push(b.hazmat_state_digest());
    }
    for (i, pair) in digests.windows(2).enumerate() {
        assert_ne!(
            pair[0], pair[1],
            "accepting record {i} left the digest as it was"
        );
    }
}

/// The window alone, as the Kani and fuzz models drive it: each counter
/// once, the old ones refused, and its `Debug` shows where it stands.
#[test]
fn the_window_accepts_each_counter_once_and_shows_its_highest() {
    let mut w = ReplayWindow::new();
    assert_eq!(
        format!("{w:?}"),
        format!("ReplayWindow {{ highest: None, bitmap: {:?} }}", [0u64; 17])
    );
    let before = w.hazmat_bytes();
    assert_eq!(w.hazmat_accept(7), Ok(()));
    assert_ne!(w.hazmat_bytes(), before);
    let before = w.hazmat_bytes();
    assert_eq!(w.hazmat_accept(7), Err(Error::Replayed));
    assert_eq!(w.hazmat_bytes(), before);
    // Counters below the highest change one bitmap bit only; the bytes
    // must show each of them wherever it sits.
    for counter in [300, 200, 20] {
        let before = w.hazmat_bytes();
        assert_eq!(w.hazmat_accept(counter), Ok(()));
        assert_ne!(w.hazmat_bytes(), before, "{counter}");
    }
    assert_eq!(w.hazmat_accept(7 + 2000), Ok(()));
    assert_eq!(w.hazmat_accept(7), Err(Error::TooOld));
    assert_eq!(w.highest(), Some(2007));
    assert!(format!("{w:?}").starts_with("ReplayWindow { highest: Some(2007), bitmap: ["));
}

#[test]
fn datagram_too_old_and_forged_records() {
    let (mut a, mut b) = datagram_pair::<4096>(6);
    let first = dgram_seal(&mut a, b"old");
    let mut last = Vec::new();
    for _ in 0..1100 {
        last = dgram_seal(&mut a, b"new");
    }
    dgram_open(&mut b, &last).unwrap();
    assert_eq!(dgram_open(&mut b, &first).err(), Some(Error::TooOld));

    // A forged record (bad tag) at a fresh counter is rejected and does not
    // move the window: the genuine record with that counter still opens.
    let genuine = dgram_seal(&mut a, b"genuine");
    let mut forged = genuine.clone();
    *forged.last_mut().unwrap() ^= 1;
    refused_unchanged(&mut b, Error::Aead, "a forged record", |b| {
        dgram_open(b, &forged)
    });
    assert!(dgram_open(&mut b, &genuine).is_ok());

    // A forged record far ahead cannot push the window forward either.
    let mut ahead = genuine.clone();
    ahead[..8].copy_from_slice(&(b.window().highest().unwrap() + 900).to_be_bytes());
    assert_eq!(dgram_open(&mut b, &ahead).err(), Some(Error::Aead));
    assert_eq!(b.window().highest(), Some(1101));
}

#[test]
fn datagram_every_bit_flip_is_rejected() {
    let (mut a, mut b) = datagram_pair::<1024>(7);
    let record = dgram_seal(&mut a, b"flip me");
    for bit in 0..record.len() * 8 {
        let mut flipped = record.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        let before = b.hazmat_state_digest();
        assert!(dgram_open(&mut b, &flipped).is_err(), "bit {bit}");
        assert_eq!(b.hazmat_state_digest(), before, "bit {bit}");
    }
    // The wrong direction's key.
    let mut own = record.clone();
    assert_eq!(a.open_in_place(&mut own).err(), Some(Error::Aead));
    assert!(dgram_open(&mut b, &record).is_ok());
}

#[test]
fn datagram_reordering_across_an_epoch_boundary_and_previous_key_lifetime() {
    let (mut a, mut b): (Small, Small) = datagram_pair(8);
    // Counters 0..=1200 span epochs 0 and 1 (L = 1024).
    let records: Vec<Vec<u8>> = (0..=1200)
        .map(|i| dgram_seal(&mut a, &(i as u32).to_be_bytes()))
        .collect();
    for r in &records[..1000] {
        dgram_open(&mut b, r).unwrap();
    }
    // Jump into epoch 1, then deliver late epoch-0 records.
    dgram_open(&mut b, &records[1030]).unwrap();
    assert_eq!(b.receive_epoch(), 1);
    assert!(b.holds_previous_key());
    for i in (1000..1024).rev() {
        assert_eq!(
            dgram_open(&mut b, &records[i]).unwrap().0,
            i as u64,
            "late record {i}"
        );
    }
    for r in &records[1024..1030] {
        dgram_open(&mut b, r).unwrap();
    }
    // Move the window just past epoch 0's last counter still coverable:
    // highest 1200 covers counters from 177, still epoch 0.
    for r in &records[1031..=1200] {
        dgram_open(&mut b, r).unwrap();
    }
    assert!(b.holds_previous_key(), "window still reaches epoch 0");
    // Send until the window leaves epoch 0 (lowest acceptable >= 1024).
    let mut more = Vec::new();
    for _ in 1201..=2047 {
        more.push(dgram_seal(&mut a, b"m"));
    }
    // Keep an epoch-0 record that was never delivered? All were; use a
    // replay of counter 500, which is now too old.
    for r in &more {
        dgram_open(&mut b, r).unwrap();
    }
    assert_eq!(b.window().highest(), Some(2047));
    assert!(
        !b.holds_previous_key(),
        "previous key dropped once the window left its epoch"
    );
    assert_eq!(
        dgram_open(&mut b, &records[1023]).err(),
        Some(Error::TooOld)
    );
}

#[test]
fn datagram_late_record_in_previous_epoch_accepted_then_refused() {
    let (mut a, mut b): (Small, Small) = datagram_pair(9);
    let records: Vec<Vec<u8>> = (0..2048)
        .map(|i| dgram_seal(&mut a, &(i as u32).to_be_bytes()))
        .collect();
    // Deliver all but counter 1020 (epoch 0) up to 1500 (epoch 1).
    for (i, r) in records.iter().enumerate().take(1501) {
        if i != 1020 {
            dgram_open(&mut b, r).unwrap();
        }
    }
    // Window covers 477..=1500: 1020 is in the previous epoch and accepted.
    let mut late = records[1020].clone();
    let late_copy = late.clone();
    assert_eq!(b.open_in_place(&mut late).unwrap().0, 1020);
    // Replay it later, after the window has left epoch 0: refused.
    for r in &records[1501..2048] {
        dgram_open(&mut b, r).unwrap();
    }
    assert!(!b.holds_previous_key());
    assert_eq!(dgram_open(&mut b, &late_copy).err(), Some(Error::TooOld));

    // The same late record when the window has already left its epoch,
    // never delivered before: refused as too old.
    let (mut a2, mut b2): (Small, Small) = datagram_pair(9);
    let records2: Vec<Vec<u8>> = (0..2048)
        .map(|i| dgram_seal(&mut a2, &(i as u32).to_be_bytes()))
        .collect();
    for (i, r) in records2.iter().enumerate() {
        if i != 1020 {
            dgram_open(&mut b2, r).unwrap();
        }
    }
    assert_eq!(
        dgram_open(&mut b2, &records2[1020]).err(),
        Some(Error::TooOld)
    );
}

#[test]
fn datagram_forged_counter_far_ahead_is_refused_without_work() {
    let (mut a, mut b) = datagram_pair::<1024>(10);
    let genuine = dgram_seal(&mut a, b"x");
    for counter in [2 * 1024, 1 << 40, u64::MAX - 1] {
        let mut forged = genuine.clone();
        forged[..8].copy_from_slice(&counter.to_be_bytes());
        // If the receiver walked REKEY once per epoch to get there, 2^54
        // steps would never finish; it refuses at once.
        refused_unchanged(&mut b, Error::TooFarAhead, &format!("{counter}"), |b| {
            dgram_open(b, &forged)
        });
    }
    let mut reserved = genuine.clone();
    reserved[..8].copy_from_slice(&u64::MAX.to_be_bytes());
    assert_eq!(
        dgram_open(&mut b, &reserved).err(),
        Some(Error::NonceExhausted)
    );
    assert!(dgram_open(&mut b, &genuine).is_ok());
}

#[test]
fn datagram_rekeys_by_epoch_without_signalling() {
    let (mut a, mut b) = datagram_pair::<1024>(11);
    let (mut unrekeyed, _) = datagram_pair::<{ u64::MAX }>(11);
    for i in 0..3000u64 {
        let r = dgram_seal(&mut a, b"payload");
        let plain = dgram_seal(&mut unrekeyed, b"payload");
        assert_eq!(r == plain, i < 1024, "record {i}");
        if i % 3 != 0 {
            dgram_open(&mut b, &r).unwrap();
        }
    }
    assert_eq!(b.receive_epoch(), 2);
}

#[test]
fn datagram_refuses_to_seal_at_the_end_of_the_counter() {
    let (a, _) = datagram_pair::<1024>(12);
    let mut a = a.hazmat_with_send_counter(AeadKey::new(SecretBytes::new([3; 32])), u64::MAX - 1);
    let mut buf = [0u8; 64];
    assert_eq!(a.seal_in_place(&mut buf, 8), Ok(32));
    assert_eq!(&buf[..8], &(u64::MAX - 1).to_be_bytes());
    assert_eq!(a.send_counter(), u64::MAX);
    assert_eq!(a.seal_in_place(&mut buf, 8), Err(Error::NonceExhausted));
    assert_eq!(a.send_counter(), u64::MAX, "never wraps");
}

#[test]
fn sessions_fit_the_memory_budget_and_print_no_keys() {
    let stream = size_of::<StreamSession>();
    let datagram = size_of::<DatagramSession>();
    println!("size_of::<StreamSession>() = {stream} bytes");
    println!("size_of::<DatagramSession>() = {datagram} bytes");
    println!(
        "size_of::<ReplayWindow>() = {} bytes",
        size_of::<ReplayWindow>()
    );
    assert!(
        stream <= 384 && datagram <= 384,
        "budget 384: {stream}, {datagram}"
    );
    const { assert!(ReplayWindow::SIZE >= 1024) };
    let (a, b) = common::xx_outcomes(13);
    let s = StreamSession::<16>::new(a);
    let d = DatagramSession::<1024>::new(b);
    for shown in [format!("{s:?}"), format!("{d:?}")] {
        assert!(shown.contains("[redacted]"), "{shown}");
    }
}

/// A forged record in the next epoch makes the receiver derive the next key
/// into a temporary; the tag fails and nothing is committed: keys, epoch and
/// window are exactly as before, and the genuine record still opens.
#[test]
fn datagram_forged_record_in_the_next_epoch_commits_nothing() {
    let (mut a, mut b) = datagram_pair::<1024>(14);
    let records: Vec<Vec<u8>> = (0..1030).map(|_| dgram_seal(&mut a, b"x")).collect();
    for r in &records[..1000] {
        dgram_open(&mut b, r).unwrap();
    }
    let mut forged = records[1025].clone();
    *forged.last_mut().unwrap() ^= 0x40;
    refused_unchanged(&mut b, Error::Aead, "keys, epoch and window", |b| {
        dgram_open(b, &forged)
    });
    assert_eq!(b.receive_epoch(), 0);
    assert!(!b.holds_previous_key());
    assert!(dgram_open(&mut b, &records[1025]).is_ok());
    assert_eq!(b.receive_epoch(), 1);
}

/// Used cipher states cannot start a datagram session: their counters would
/// restart at zero and reuse nonces.
#[test]
fn datagram_session_refuses_used_cipher_states() {
    let key = || SecretBytes::new([5; 32]);
    assert_eq!(
        DatagramSession::<1024>::from_cipher_states(
            CipherState::hazmat_with_nonce(key(), 1),
            CipherState::hazmat_with_nonce(key(), 0)
        )
        .err(),
        Some(Error::OutOfOrder)
    );
    assert!(
        DatagramSession::<1024>::from_cipher_states(
            CipherState::new(key()),
            CipherState::new(key())
        )
        .is_ok()
    );
}

// ---------- record size limits ----------

/// Every record size limit is exact, in both modes and both directions: the
/// largest record (`MAX_RECORD_LEN` bytes) seals and opens, one byte more is
/// refused with `MessageTooLong` and changes nothing; the shortest record
/// (an empty plaintext) opens, one byte less is `RecordTooShort`.
#[test]
fn record_size_limits_are_exact_in_both_modes() {
    use honeylink_core::session::{DATAGRAM_OVERHEAD, MAX_RECORD_LEN, STREAM_OVERHEAD};

    let (mut a, mut b) = stream_pair::<1024>(21);
    let largest = MAX_RECORD_LEN - STREAM_OVERHEAD;
    let mut buf = vec![0x5a; MAX_RECORD_LEN + 64];
    refused_unchanged(&mut a, Error::MessageTooLong, "stream seal", |a| {
        a.seal_in_place(&mut buf, largest + 1)
    });
    assert_eq!(a.sent(), 0);
    let n = a.seal_in_place(&mut buf, largest).unwrap();
    assert_eq!(n, MAX_RECORD_LEN);
    assert_eq!(a.sent(), 1);
    let mut too_long = buf[..n].to_vec();
    too_long.push(0);
    refused_unchanged(&mut b, Error::MessageTooLong, "stream open", |b| {
        b.open_in_place(&mut too_long).map(|_| ())
    });
    assert_eq!(b.open_in_place(&mut buf[..n]).unwrap().len(), largest);
    assert_eq!(b.received(), 1);
    let mut empty = stream_seal(&mut a, b"");
    assert_eq!(empty.len(), STREAM_OVERHEAD);
    refused_unchanged(&mut b, Error::RecordTooShort, "stream short", |b| {
        b.open_in_place(&mut empty[..STREAM_OVERHEAD - 1])
            .map(|_| ())
    });
    assert_eq!(b.open_in_place(&mut empty).unwrap().len(), 0);
    assert_eq!(b.received(), 2);

    let (mut a, mut b) = datagram_pair::<1024>(22);
    let largest = MAX_RECORD_LEN - DATAGRAM_OVERHEAD;
    let mut buf = vec![0x5a; MAX_RECORD_LEN + 64];
    refused_unchanged(&mut a, Error::MessageTooLong, "datagram seal", |a| {
        a.seal_in_place(&mut buf, largest + 1)
    });
    let n = a.seal_in_place(&mut buf, largest).unwrap();
    assert_eq!(n, MAX_RECORD_LEN);
    let mut too_long = buf[..n].to_vec();
    too_long.push(0);
    refused_unchanged(&mut b, Error::MessageTooLong, "datagram open", |b| {
        dgram_open(b, &too_long)
    });
    let (counter, text) = b.open_in_place(&mut buf[..n]).unwrap();
    assert_eq!((counter, text.len()), (0, largest));
    let empty = dgram_seal(&mut a, b"");
    assert_eq!(empty.len(), DATAGRAM_OVERHEAD);
    refused_unchanged(&mut b, Error::RecordTooShort, "datagram short", |b| {
        dgram_open(b, &empty[..DATAGRAM_OVERHEAD - 1])
    });
    assert_eq!(dgram_open(&mut b, &empty), Ok((1, Vec::new())));
}

/// The stream digest, like the datagram one, sees every record sealed or
/// opened (or the "changes nothing" checks above would prove nothing), and
/// the counters report what went through.
#[test]
fn the_stream_state_digest_and_counters_see_every_record() {
    let (mut a, mut b) = stream_pair::<1024>(23);
    let mut sent = vec![a.hazmat_state_digest()];
    let mut opened = vec![b.hazmat_state_digest()];
    for i in 0..3u64 {
        let mut record = stream_seal(&mut a, b"r");
        sent.push(a.hazmat_state_digest());
        assert_eq!(a.sent(), i + 1);
        b.open_in_place(&mut record).unwrap();
        opened.push(b.hazmat_state_digest());
        assert_eq!(b.received(), i + 1);
    }
    for digests in [&sent, &opened] {
        for pair in digests.windows(2) {
            assert_ne!(pair[0], pair[1], "a record left the digest as it was");
        }
    }
    // The two directions hold different keys, so the two ends' digests
    // differ too (each side sends with the other's receiving key).
    assert_ne!(a.hazmat_state_digest(), b.hazmat_state_digest());
}

/// The documented defaults: 65,536 records per key in both modes, and they
/// are what a session without a type parameter uses; records of at most
/// 65,535 bytes (Noise's limit), with a 16-byte tag and, in datagram mode,
/// an 8-byte counter.
#[test]
fn the_documented_defaults_are_the_defaults() {
    use honeylink_core::session::{
        DATAGRAM_OVERHEAD, DEFAULT_EPOCH_LEN, MAX_RECORD_LEN, STREAM_OVERHEAD,
        STREAM_REKEY_INTERVAL,
    };
    // Compiles only if the default parameters are these values.
    fn stream_default(s: StreamSession) -> StreamSession<65_536> {
        s
    }
    fn datagram_default(s: DatagramSession) -> DatagramSession<65_536> {
        s
    }
    assert_eq!(STREAM_REKEY_INTERVAL, 65_536);
    assert_eq!(DEFAULT_EPOCH_LEN, 65_536);
    assert_eq!(
        (MAX_RECORD_LEN, STREAM_OVERHEAD, DATAGRAM_OVERHEAD),
        (65_535, 16, 24)
    );
    let (a, b) = common::xx_outcomes(24);
    let _ = stream_default(StreamSession::new(a));
    let _ = datagram_default(DatagramSession::new(b));
}

/// The testing view of a cipher state's key is its key, and follows a
/// rekey (the state digests above are built on it).
#[test]
fn the_hazmat_key_view_is_the_key() {
    let bytes = [0x3c; 32];
    let mut state = CipherState::new(SecretBytes::new(bytes));
    assert_eq!(state.hazmat_key_bytes(), bytes);
    state.rekey();
    let rekeyed = state.hazmat_key_bytes();
    assert_ne!(rekeyed, bytes);
    assert_ne!(rekeyed, [0; 32]);
    assert_ne!(rekeyed, [1; 32]);
    assert_eq!(
        CipherState::new(SecretBytes::new([7; 32])).hazmat_key_bytes(),
        [7; 32]
    );
}
