//! The host's TCP wire decoder, as a listener runs it on an incoming
//! stream: `decode_preamble`, then for each frame `decode_frame_len` on its
//! prefix and `decode_frame` on its body. The first input byte chooses the
//! reader's frame limit (the full 2-byte range or a smaller one, as
//! pairing connections set); the rest is the stream.
//!
//! Properties:
//! - A refusal is the documented variant: `BadPreamble`, `FrameTooLarge`
//!   (only for a length over the limit, before the body is read),
//!   `BadFrame` naming the peer. Never a panic, and nothing is allocated
//!   beyond the announced, accepted length.
//! - A preamble that decodes is the writer's (`encode_preamble`) for its
//!   exchange, byte for byte.
//! - A frame that decodes re-encodes (`encode_frame`, what the writer
//!   sends) to the same bytes, prefix included; for a refusal whose reason
//!   carries no detail, to the same prefix, kind and reason with the
//!   detail written as zero, which decodes to the same frame.

#![no_main]

use std::net::SocketAddr;

use honeylink_host::Error;
use honeylink_host::transport::{
    Frame, LENGTH_PREFIX_LEN, MAX_FRAME_LEN, PREAMBLE_LEN, Refusal, decode_frame, decode_frame_len,
    decode_preamble, encode_frame, encode_preamble,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let peer: SocketAddr = "192.0.2.7:7300".parse().expect("an address");
    let Some((&limit, stream)) = data.split_first() else {
        return;
    };
    let max_frame = if limit & 1 == 0 {
        MAX_FRAME_LEN
    } else {
        usize::from(limit >> 1) * 16
    };
    let Some((preamble, mut rest)) = stream.split_first_chunk::<PREAMBLE_LEN>() else {
        return;
    };
    match decode_preamble(*preamble, peer) {
        Ok(exchange) => assert_eq!(&encode_preamble(exchange), preamble),
        Err(Error::BadPreamble { peer: p, .. }) => return assert_eq!(p, peer),
        Err(e) => panic!("unexpected preamble error {e:?}"),
    }
    while let Some((prefix, after)) = rest.split_first_chunk::<LENGTH_PREFIX_LEN>() {
        let announced = usize::from(u16::from_be_bytes(*prefix));
        let len = match decode_frame_len(*prefix, max_frame, peer) {
            Ok(len) => len,
            Err(Error::FrameTooLarge { len, max }) => {
                assert_eq!((len, max), (announced, max_frame));
                assert!(len > max);
                return;
            }
            Err(Error::BadFrame { peer: p, .. }) => {
                assert_eq!((p, announced), (peer, 0));
                return;
            }
            Err(e) => panic!("unexpected length error {e:?}"),
        };
        assert!(len == announced && (1..=max_frame).contains(&len));
        // The peer closing mid-frame is the socket's matter, not the decoder's.
        let Some(body) = after.get(..len) else {
            return;
        };
        rest = &after[len..];
        let frame = match decode_frame(body, peer) {
            Ok(frame) => frame,
            Err(Error::BadFrame { peer: p, .. }) => return assert_eq!(p, peer),
            Err(e) => panic!("unexpected frame error {e:?}"),
        };
        let wire = encode_frame(&frame).expect("a decoded frame fits a frame");
        assert_eq!(
            decode_frame(&wire[LENGTH_PREFIX_LEN..], peer).ok().as_ref(),
            Some(&frame)
        );
        let whole =
            &data[data.len() - rest.len() - len - LENGTH_PREFIX_LEN..][..len + LENGTH_PREFIX_LEN];
        match &frame {
            Frame::Refused(refusal) if !matches!(refusal, Refusal::LockedOut { .. }) => {
                assert_eq!(wire.len(), whole.len());
                assert_eq!(
                    wire[..LENGTH_PREFIX_LEN + 2],
                    whole[..LENGTH_PREFIX_LEN + 2]
                );
                assert!(wire[LENGTH_PREFIX_LEN + 2..].iter().all(|&b| b == 0));
            }
            _ => assert_eq!(wire.as_slice(), whole),
        }
    }
});
