//! Transport records: seal then open, in memory, at 64 B, 1 KiB, 16 KiB and
//! 65,519 B (the largest stream plaintext), measured in the same run against
//! raw ChaCha20-Poly1305 in place on the same buffer, and against snow's and
//! clatter's transports:
//!
//! ```sh
//! cargo bench -p honeylink-core --bench transport
//! RUSTFLAGS="-C target-cpu=native" cargo bench -p honeylink-core --bench transport
//! ```
//!
//! Every candidate's plaintext starts on a 64-byte boundary (see `Aligned`).
//! Ratios are throughput ratios against raw (above 1 is faster). A datagram
//! record carries 8 bytes more than a stream record, so its largest plaintext
//! is 65,511 B: in the last row it runs that size, and its ratio is per byte.

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

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use clatter::Handshaker;
use harness::{Candidate, banner, compare};
use honeylink_core::crypto::SecretBytes;
use honeylink_core::crypto::x25519::StaticSecret;
use honeylink_core::noise::{HandshakeOutcome, HandshakeState, Prologue, Protocol, Role};
use honeylink_core::session::{
    DATAGRAM_OVERHEAD, DEFAULT_EPOCH_LEN, DatagramSession, MAX_RECORD_LEN, STREAM_REKEY_INTERVAL,
    StreamSession,
};
use honeylink_core::testing::SeededRng;

const NAME: &str = "Noise_XX_25519_ChaChaPoly_SHA512";
const SIZES: [usize; 4] = [64, 1024, 16 * 1024, 65_519];

/// A buffer of `len` bytes whose byte `text_at` sits on a 64-byte boundary,
/// so every candidate encrypts equally aligned plaintext (the datagram
/// record's plaintext starts after its 8-byte header; a 32-byte vector load
/// that straddles a cache line costs more, and a caller that cares lays its
/// buffer out this way).
struct Aligned {
    storage: Vec<u8>,
    start: usize,
    len: usize,
}

impl Aligned {
    fn new(len: usize, text_at: usize) -> Self {
        let storage = vec![0xa5u8; len + 64];
        let address = storage.as_ptr() as usize + text_at;
        let start = (64 - address % 64) % 64;
        Self {
            storage,
            start,
            len,
        }
    }
    fn get(&mut self) -> &mut [u8] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

fn ours_outcomes() -> (HandshakeOutcome, HandshakeOutcome) {
    let a = StaticSecret::from_bytes(SecretBytes::new([1; 32]));
    let b = StaticSecret::from_bytes(SecretBytes::new([2; 32]));
    let mut rng = SeededRng::new([3; 32]);
    let p = Prologue::session();
    let mut init = HandshakeState::new(Protocol::Xx, Role::Initiator, &p, &a, &mut rng).unwrap();
    let mut resp = HandshakeState::new(Protocol::Xx, Role::Responder, &p, &b, &mut rng).unwrap();
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 64];
    for i in 0..3 {
        let (w, r) = if i % 2 == 0 {
            (&mut init, &mut resp)
        } else {
            (&mut resp, &mut init)
        };
        let n = w.write_message(&[], &mut wire).unwrap();
        r.read_message(&wire[..n], &mut payload).unwrap();
    }
    (init.finish().unwrap(), resp.finish().unwrap())
}

fn snow_pair() -> (snow::TransportState, snow::TransportState) {
    let params: snow::params::NoiseParams = NAME.parse().unwrap();
    let mut init = snow::Builder::new(params.clone())
        .local_private_key(&[1; 32])
        .unwrap()
        .build_initiator()
        .unwrap();
    let mut resp = snow::Builder::new(params)
        .local_private_key(&[2; 32])
        .unwrap()
        .build_responder()
        .unwrap();
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 64];
    for i in 0..3 {
        let (w, r) = if i % 2 == 0 {
            (&mut init, &mut resp)
        } else {
            (&mut resp, &mut init)
        };
        let n = w.write_message(&[], &mut wire).unwrap();
        r.read_message(&wire[..n], &mut payload).unwrap();
    }
    (
        init.into_transport_mode().unwrap(),
        resp.into_transport_mode().unwrap(),
    )
}

type ClatterXx = clatter::NqHandshake<
    clatter::crypto::dh::X25519,
    clatter::crypto::cipher::ChaChaPoly,
    clatter::crypto::hash::Sha512,
>;
type ClatterTransport = clatter::transportstate::TransportState<
    clatter::crypto::cipher::ChaChaPoly,
    clatter::crypto::hash::Sha512,
>;

fn clatter_pair() -> (ClatterTransport, ClatterTransport) {
    use clatter::bytearray::ByteArray;
    use clatter::traits::Dh;
    let keys = |b: u8| {
        let secret = clatter::bytearray::SensitiveByteArray::from_slice(&[b; 32]);
        let public = clatter::crypto::dh::X25519::pubkey(&secret);
        clatter::KeyPair { public, secret }
    };
    let pattern = clatter::handshakepattern::noise_xx();
    let mut init =
        ClatterXx::new(pattern.clone(), &[], true, Some(keys(1)), None, None, None).unwrap();
    let mut resp = ClatterXx::new(pattern, &[], false, Some(keys(2)), None, None, None).unwrap();
    let mut wire = [0u8; 256];
    let mut payload = [0u8; 64];
    for i in 0..3 {
        let n;
        if i % 2 == 0 {
            n = init.write_message(&[], &mut wire).unwrap();
            resp.read_message(&wire[..n], &mut payload).unwrap();
        } else {
            n = resp.write_message(&[], &mut wire).unwrap();
            init.read_message(&wire[..n], &mut payload).unwrap();
        }
    }
    (init.finalize().unwrap(), resp.finalize().unwrap())
}

fn main() {
    banner("transport", cfg!(feature = "fast"));
    for size in SIZES {
        let key = chacha20poly1305::ChaCha20Poly1305::new(&[7u8; 32].into());
        let mut raw_buf = Aligned::new(size + 16, 0);
        let mut raw_n = 0u64;

        let (i, r) = ours_outcomes();
        let (mut s_send, mut s_recv) = (
            StreamSession::<STREAM_REKEY_INTERVAL>::new(i),
            StreamSession::<STREAM_REKEY_INTERVAL>::new(r),
        );
        let mut stream_buf = Aligned::new(MAX_RECORD_LEN, 0);

        let (i, r) = ours_outcomes();
        let (mut d_send, mut d_recv) = (
            DatagramSession::<DEFAULT_EPOCH_LEN>::new(i),
            DatagramSession::<DEFAULT_EPOCH_LEN>::new(r),
        );
        let d_size = size.min(MAX_RECORD_LEN - DATAGRAM_OVERHEAD);
        let mut dgram_buf = Aligned::new(
            MAX_RECORD_LEN,
            DatagramSession::<DEFAULT_EPOCH_LEN>::HEADER_LEN,
        );

        let (mut sn_send, mut sn_recv) = snow_pair();
        let mut plain = Aligned::new(size, 0);
        let mut sn_wire = Aligned::new(MAX_RECORD_LEN, 0);
        let mut sn_out = Aligned::new(MAX_RECORD_LEN, 0);

        let (mut c_send, mut c_recv) = clatter_pair();
        let mut c_buf = Aligned::new(MAX_RECORD_LEN, 0);

        compare(
            &format!("seal + open, {size} B plaintext"),
            &mut [
                Candidate::with_bytes("raw chacha20poly1305 in place", size, || {
                    let mut nonce = [0u8; 12];
                    nonce[4..].copy_from_slice(&raw_n.to_le_bytes());
                    raw_n += 1;
                    let raw_buf = raw_buf.get();
                    let (text, tag_out) = raw_buf.split_at_mut(size);
                    let tag = key
                        .encrypt_inout_detached(&nonce.into(), &[], text.into())
                        .unwrap();
                    tag_out.copy_from_slice(&tag);
                    let tag: [u8; 16] = (&*tag_out).try_into().unwrap();
                    key.decrypt_inout_detached(&nonce.into(), &[], text.into(), (&tag).into())
                        .unwrap();
                    black_box(&raw_buf);
                }),
                Candidate::with_bytes("ours: StreamSession", size, || {
                    let stream_buf = stream_buf.get();
                    let n = s_send.seal_in_place(stream_buf, size).unwrap();
                    black_box(s_recv.open_in_place(&mut stream_buf[..n]).unwrap());
                }),
                Candidate::with_bytes(
                    format!("ours: DatagramSession ({d_size} B)"),
                    d_size,
                    || {
                        let dgram_buf = dgram_buf.get();
                        let n = d_send.seal_in_place(dgram_buf, d_size).unwrap();
                        black_box(d_recv.open_in_place(&mut dgram_buf[..n]).unwrap());
                    },
                ),
                Candidate::with_bytes("snow 0.10 (copies in and out)", size, || {
                    let sn_wire = sn_wire.get();
                    let n = sn_send.write_message(plain.get(), sn_wire).unwrap();
                    black_box(sn_recv.read_message(&sn_wire[..n], sn_out.get()).unwrap());
                }),
                Candidate::with_bytes("clatter 2.3 (in place)", size, || {
                    let c_buf = c_buf.get();
                    let n = c_send.send_in_place(c_buf, size).unwrap();
                    black_box(c_recv.receive_in_place(c_buf, n).unwrap());
                }),
            ],
        );
    }
}
