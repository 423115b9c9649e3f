//! `TrustStore::from_image`, the trust store's flash image: a store built
//! through the API (trusted peers, blocked devices and keys), its image,
//! and the fuzzer's edits; optionally re-authenticated with the right key,
//! so the decoder behind the MAC is reached too.
//!
//! Properties:
//! - The genuine image reads back as the same store and generation, and
//!   the MAC recomputed here matches the core's.
//! - An edited image that is not re-authenticated is always refused.
//! - Decode then encode gives the same bytes: whatever reads back writes
//!   the same image again (one encoding per store), within capacity and
//!   with no two records for one id or one key.

#![no_main]

use honeylink_core::trust::TrustStore;
use honeylink_fuzz::drive::image::{CAPACITY, ImageInput, build, image_key, mac};
use libfuzzer_sys::fuzz_target;

const MAC_LEN: usize = 64;

fuzz_target!(|input: ImageInput| {
    let key = image_key();
    let store = build(&input.ops);
    let mut image = vec![0u8; 4096];
    let n = store
        .to_image(&key, input.generation, &mut image)
        .expect("fits");
    image.truncate(n);
    let (body, tag) = image.split_at(n - MAC_LEN);
    assert_eq!(
        mac(body),
        tag,
        "the fuzzer's image MAC disagrees with the core's"
    );
    let (back, generation) = TrustStore::<CAPACITY>::from_image(&image, &key).expect("genuine");
    assert_eq!(generation, input.generation);
    assert_eq!(
        (back.peers(), back.blocks()),
        (store.peers(), store.blocks())
    );

    let mut edited = image.clone();
    for edit in input.edits.iter().take(4) {
        edit.apply(&mut edited, std::slice::from_ref(&image), None);
    }
    if input.remac && edited.len() >= MAC_LEN {
        let body = edited.len() - MAC_LEN;
        let tag = mac(&edited[..body]);
        edited[body..].copy_from_slice(&tag);
    }
    match TrustStore::<CAPACITY>::from_image(&edited, &key) {
        Ok((read, generation)) => {
            assert!(
                input.remac || edited == image,
                "an edited image was accepted without its MAC"
            );
            let mut again = vec![0u8; edited.len() + 64];
            let n = read.to_image(&key, generation, &mut again).expect("fits");
            assert_eq!(&again[..n], edited.as_slice(), "one encoding per store");
            let peers = read.peers();
            for (i, a) in peers.iter().enumerate() {
                assert!(
                    peers[i + 1..]
                        .iter()
                        .all(|b| a.id != b.id && a.key != b.key)
                );
            }
        }
        Err(_) => assert_ne!(edited, image, "the genuine image was refused"),
    }
});
