//! Writes the seed corpora, `seeds/<target>/<name>`, from valid exchanges
//! run through honeylink-core itself: real encodings for the decoders, and
//! for the state-machine targets structured inputs describing honest runs
//! and a few chosen alterations (each checked to read back as written).
//!
//!     cd fuzz && cargo run --example seeds            # rewrites seeds/
//!     cd fuzz && cargo run --example seeds -- DIR     # writes DIR/<target>/
//!
//! Everything is deterministic (seeded RNGs, fixed identities), so running it
//! again gives the same files.

use std::fs;
use std::path::{Path, PathBuf};

#[path = "seeds/host.rs"]
mod host;

use honeylink_core::audit::MAX_RECORD_LEN;
use honeylink_core::noise::{Mode, PairingMethod};
use honeylink_core::pairing::ndef;
use honeylink_core::pairing::payload::{
    ExpiryClock, MAX_BINARY_LEN, MAX_TEXT_LEN, PairingPayload, TransportHint,
};
use honeylink_core::wire::{HandshakePayload, base32};
use honeylink_fuzz::drive::chain::{ChainEdit, ChainEvent, ChainInput, write};
use honeylink_fuzz::drive::image::{ImageInput, StoreOp};
use honeylink_fuzz::drive::noise::HandshakeInput;
use honeylink_fuzz::drive::pin::PinInput;
use honeylink_fuzz::drive::proximity::ProximityInput;
use honeylink_fuzz::drive::session::{SessionInput, Trust};
use honeylink_fuzz::drive::transport::{DatagramInput, DatagramStep, StreamInput, StreamStep};
use honeylink_fuzz::seed::to_bytes;
use honeylink_fuzz::tamper::{Edit, Tamper};
use honeylink_fuzz::{identities, local, rng};

#[path = "seeds/calls.rs"]
mod calls;

struct Out {
    root: PathBuf,
    count: usize,
}

impl Out {
    fn put(&mut self, target: &str, name: &str, bytes: &[u8]) {
        let dir = self.root.join(target);
        fs::create_dir_all(&dir).expect("create the seed directory");
        fs::write(dir.join(name), bytes).expect("write a seed");
        self.count += 1;
    }
}

/// One alteration of each kind, aimed at alterable message `message`.
fn tampers(message: u8) -> Vec<(&'static str, Vec<Tamper>)> {
    let t = |edit| vec![Tamper { message, edit }];
    vec![
        ("flip", t(Edit::FlipBit { at: 40, bit: 3 })),
        ("truncate", t(Edit::Truncate { len: 31 })),
        ("append", t(Edit::Append { bytes: vec![0] })),
        ("splice", t(Edit::SpliceOther)),
        ("replay", t(Edit::Replay { earlier: 0 })),
    ]
}

fn noise(out: &mut Out) {
    for target in ["noise_xx", "noise_xxpsk2"] {
        let honest = HandshakeInput {
            seed: 1,
            mismatch: false,
            payloads: [Vec::new(), b"responder".to_vec(), b"initiator".to_vec()],
            tampers: Vec::new(),
        };
        out.put(target, "honest", &to_bytes(&honest));
        let mismatch = HandshakeInput {
            mismatch: true,
            ..honest.clone()
        };
        out.put(target, "mismatch", &to_bytes(&mismatch));
        for message in 0..3u8 {
            for (name, tampers) in tampers(message) {
                let input = HandshakeInput {
                    tampers,
                    ..honest.clone()
                };
                out.put(
                    target,
                    &format!("m{}-{name}", message + 1),
                    &to_bytes(&input),
                );
            }
        }
    }
}

fn session(out: &mut Out) {
    let trusts = [
        Trust::Trusted,
        Trust::Unknown,
        Trust::BlockedDevice,
        Trust::BlockedKey,
        Trust::KeyChanged,
        Trust::IdentityMismatch,
    ];
    for (target, alterable) in [("session_responder", 2u8), ("session_initiator", 1)] {
        for (i, trust) in trusts.iter().enumerate() {
            for (side, input) in [
                ("initiator", (*trust, Trust::Trusted)),
                ("responder", (Trust::Trusted, *trust)),
            ] {
                let input = SessionInput {
                    seed: 2,
                    initiator_trust: input.0,
                    responder_trust: input.1,
                    tampers: Vec::new(),
                };
                out.put(target, &format!("{side}-trust-{i}"), &to_bytes(&input));
            }
        }
        for message in 0..alterable {
            for (name, tampers) in tampers(message) {
                let input = SessionInput {
                    seed: 2,
                    initiator_trust: Trust::Trusted,
                    responder_trust: Trust::Trusted,
                    tampers,
                };
                out.put(target, &format!("a{message}-{name}"), &to_bytes(&input));
            }
        }
    }
}

fn pin(out: &mut Out) {
    for (target, alterable) in [("pin_responder", 4u8), ("pin_initiator", 3)] {
        let honest = PinInput {
            seed: 3,
            wrong_pin: false,
            delay: 5,
            tampers: Vec::new(),
        };
        out.put(target, "honest", &to_bytes(&honest));
        let wrong = PinInput {
            wrong_pin: true,
            ..honest.clone()
        };
        out.put(target, "wrong-pin", &to_bytes(&wrong));
        let late = PinInput {
            delay: 31,
            ..honest.clone()
        };
        out.put(target, "late", &to_bytes(&late));
        for message in 0..alterable {
            for (name, tampers) in tampers(message) {
                let input = PinInput {
                    tampers,
                    ..honest.clone()
                };
                out.put(target, &format!("a{message}-{name}"), &to_bytes(&input));
            }
        }
    }
}

fn proximity(out: &mut Out) {
    for target in ["proximity_responder", "proximity_initiator"] {
        for nfc in [false, true] {
            let kind = if nfc { "nfc" } else { "qr" };
            let honest = ProximityInput {
                seed: 4,
                nfc,
                wall_clock: nfc,
                validity: 120,
                delay: 3,
                hint: u8::from(nfc) * 3 + 1,
                tampers: Vec::new(),
            };
            out.put(target, &format!("{kind}-honest"), &to_bytes(&honest));
            let expired = ProximityInput {
                validity: 10,
                delay: 6,
                ..honest.clone()
            };
            out.put(target, &format!("{kind}-expired"), &to_bytes(&expired));
            for message in 0..2u8 {
                for (name, tampers) in tampers(message) {
                    let input = ProximityInput {
                        tampers,
                        ..honest.clone()
                    };
                    out.put(
                        target,
                        &format!("{kind}-a{message}-{name}"),
                        &to_bytes(&input),
                    );
                }
            }
        }
    }
}

fn transport(out: &mut Out) {
    let send = |text: &[u8], edit| StreamStep::Send {
        plaintext: text.to_vec(),
        edit,
    };
    let honest = StreamInput {
        seed: 5,
        steps: (0..6).map(|i| send(&[i; 8], None)).collect(),
    };
    out.put("stream_record", "in-order-rekey", &to_bytes(&honest));
    let attacks = StreamInput {
        seed: 5,
        steps: vec![
            send(b"one", None),
            send(b"two", Some(Edit::FlipBit { at: 1, bit: 0 })),
            send(b"three", Some(Edit::Truncate { len: 4 })),
            StreamStep::Replay { which: 0 },
            StreamStep::Lose,
            StreamStep::Inject { bytes: vec![0; 20] },
            send(b"four", None),
        ],
    };
    out.put("stream_record", "attacks", &to_bytes(&attacks));

    let dsend = |text: &[u8], edit| DatagramStep::Send {
        plaintext: text.to_vec(),
        edit,
    };
    let honest = DatagramInput {
        seed: 6,
        start_before_epoch: 2,
        steps: (0..6).map(|i| dsend(&[i; 8], None)).collect(),
    };
    out.put("datagram_record", "across-epoch", &to_bytes(&honest));
    let reorder = DatagramInput {
        seed: 6,
        start_before_epoch: 1,
        steps: vec![
            DatagramStep::Hold {
                plaintext: b"late".to_vec(),
            },
            dsend(b"early", None),
            dsend(b"next-epoch", None),
            DatagramStep::Release {
                which: 0,
                edit: None,
            },
            DatagramStep::Release {
                which: 1,
                edit: None,
            },
            dsend(b"flipped", Some(Edit::FlipBit { at: 3, bit: 7 })),
            DatagramStep::Inject { bytes: vec![0; 24] },
        ],
    };
    out.put("datagram_record", "reorder-replay", &to_bytes(&reorder));
    let jump = DatagramInput {
        seed: 6,
        start_before_epoch: 0,
        steps: vec![
            dsend(b"first", None),
            DatagramStep::Lose { count: 1030 },
            dsend(b"two-epochs-on", None),
            DatagramStep::Lose { count: 1 },
            dsend(b"after", None),
        ],
    };
    out.put("datagram_record", "loss-across-epochs", &to_bytes(&jump));
}

fn chain(out: &mut Out) {
    use ChainEvent::*;
    let events = vec![
        KeyGenerated,
        Paired,
        Rotate,
        SessionRefused,
        PairingFailed,
        RefusalsSummarized,
    ];
    let edits = [
        (
            "flip",
            ChainEdit::Bytes {
                record: 3,
                edit: Edit::FlipBit { at: 20, bit: 1 },
            },
        ),
        (
            "splice",
            ChainEdit::Bytes {
                record: 1,
                edit: Edit::SpliceOther,
            },
        ),
        (
            "replay",
            ChainEdit::Bytes {
                record: 4,
                edit: Edit::Replay { earlier: 1 },
            },
        ),
        ("drop-last", ChainEdit::Drop { record: 6 }),
        ("drop-middle", ChainEdit::Drop { record: 2 }),
        ("duplicate", ChainEdit::Duplicate { record: 2 }),
        ("swap", ChainEdit::Swap { a: 2, b: 3 }),
        ("insert", ChainEdit::Insert { at: 3, record: 3 }),
    ];
    for (name, edit) in edits {
        for hash_anchor in [false, true] {
            let input = ChainInput {
                seed: 7,
                hash_anchor,
                events: events.clone(),
                edit: edit.clone(),
            };
            let anchor = if hash_anchor { "hash" } else { "key" };
            out.put(
                "audit_chain",
                &format!("{name}-{anchor}"),
                &to_bytes(&input),
            );
        }
    }
    // Records of a chain signed by the key `audit_record` rewrites with.
    let (records, _, _) = write(0, &events);
    for (i, record) in records.iter().enumerate() {
        assert!(record.len() <= MAX_RECORD_LEN);
        out.put("audit_record", &format!("record-{i}"), record);
    }
}

fn image(out: &mut Out) {
    let ops = vec![
        StoreOp::Trust { who: 0, name: 0 },
        StoreOp::Trust { who: 2, name: 1 },
        StoreOp::BlockDevice { who: 1 },
        StoreOp::BlockKey { who: 2 },
    ];
    let edits: [(&str, bool, Vec<Edit>); 6] = [
        ("genuine", false, vec![]),
        ("flip", false, vec![Edit::FlipBit { at: 30, bit: 0 }]),
        ("flip-remac", true, vec![Edit::FlipBit { at: 30, bit: 0 }]),
        (
            "truncate-remac",
            true,
            vec![Edit::Remove { at: 20, len: 1 }],
        ),
        (
            "version-remac",
            true,
            vec![Edit::Overwrite {
                at: 8,
                bytes: vec![2],
            }],
        ),
        (
            "long-varint-remac",
            true,
            vec![Edit::Overwrite {
                at: 9,
                bytes: vec![0x80, 0],
            }],
        ),
    ];
    for (name, remac, edits) in edits {
        let input = ImageInput {
            ops: ops.clone(),
            generation: 42,
            remac,
            edits,
        };
        out.put("trust_image", name, &to_bytes(&input));
    }
    let empty = ImageInput {
        ops: Vec::new(),
        generation: 0,
        remac: false,
        edits: Vec::new(),
    };
    out.put("trust_image", "empty", &to_bytes(&empty));
}

fn payloads(out: &mut Out) {
    let ids = identities();
    for (i, (mode, name)) in [
        (Mode::Session, None),
        (Mode::Pairing(PairingMethod::Qr), Some(local(0).name)),
        (Mode::Pairing(PairingMethod::Pin), Some(local(1).name)),
    ]
    .into_iter()
    .enumerate()
    {
        let payload = match name {
            None => HandshakePayload::session(ids[1].device_id(), local(1).flags),
            Some(name) => HandshakePayload::pairing(ids[0].device_id(), local(0).flags, name),
        };
        let mut buf = [0u8; HandshakePayload::MAX_LEN];
        let n = payload.encode(&mut buf).expect("fits");
        assert_eq!(HandshakePayload::decode(&buf[..n], mode), Ok(payload));
        out.put("handshake_payload", &format!("payload-{i}"), &buf[..n]);
    }

    let hints = [
        None,
        Some(TransportHint::Socket(
            "192.0.2.7:4433".parse().expect("address"),
        )),
        Some(TransportHint::Socket(
            "[2001:db8::1]:4433".parse().expect("address"),
        )),
        Some(TransportHint::Ble([1, 2, 3, 4, 5, 6])),
    ];
    for (i, hint) in hints.into_iter().enumerate() {
        let clock = if i % 2 == 0 {
            ExpiryClock::WallClock
        } else {
            ExpiryClock::CreatorClock
        };
        let me = local(i % 2);
        let payload = PairingPayload::generate(
            me.identity.device_id(),
            me.name,
            *me.identity.static_public_key(),
            1_700_000_000 + i as u64,
            300,
            clock,
            hint,
            &mut rng(8, i as u8),
        )
        .expect("valid");
        let mut binary = [0u8; MAX_BINARY_LEN];
        let b = payload.encode_binary(&mut binary).expect("fits");
        out.put(
            "pairing_payload_binary",
            &format!("payload-{i}"),
            &binary[..b],
        );
        let mut text = [0u8; MAX_TEXT_LEN];
        let t = payload.encode_text(&mut text).expect("fits");
        out.put("pairing_payload_text", &format!("payload-{i}"), &text[..t]);
        let mut message = vec![0u8; ndef::encoded_len(b)];
        ndef::encode(&binary[..b], &mut message).expect("fits");
        out.put("ndef_message", &format!("payload-{i}"), &message);
    }
    // A payload long enough for NDEF's long form.
    let long = [0x5a; 300];
    let mut message = vec![0u8; ndef::encoded_len(long.len())];
    ndef::encode(&long, &mut message).expect("fits");
    out.put("ndef_message", "long-record", &message);
}

fn text(out: &mut Out) {
    let ids = identities();
    for (i, id) in ids.iter().enumerate() {
        let fingerprint = id.fingerprint().to_string();
        out.put(
            "fingerprint_text",
            &format!("fingerprint-{i}"),
            fingerprint.as_bytes(),
        );
        let typed = fingerprint.replace('-', " ").to_lowercase();
        out.put("fingerprint_text", &format!("typed-{i}"), typed.as_bytes());
        let device_id = id.device_id().to_string();
        out.put(
            "device_id_text",
            &format!("device-id-{i}"),
            device_id.as_bytes(),
        );
        let upper = device_id.to_uppercase();
        out.put("device_id_text", &format!("upper-{i}"), upper.as_bytes());
        let name = local(i).name;
        out.put(
            "device_name",
            &format!("name-{i}"),
            name.as_str().as_bytes(),
        );
        let mut encoded = vec![0u8; base32::encoded_len(32)];
        base32::encode(id.static_public_key().as_bytes(), &mut encoded).expect("sized");
        out.put("base32", &format!("key-{i}"), &encoded);
    }
    out.put("device_name", "unicode", "Küche 🔑".as_bytes());
    out.put("device_name", "too-long", &[b'x'; 33]);
    let mut encoded = vec![0u8; base32::encoded_len(6)];
    base32::encode(b"foobar", &mut encoded).expect("sized");
    out.put("base32", "foobar", &encoded);
}

fn main() {
    let root = std::env::args_os().nth(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds"),
        PathBuf::from,
    );
    let mut out = Out { root, count: 0 };
    noise(&mut out);
    session(&mut out);
    pin(&mut out);
    proximity(&mut out);
    transport(&mut out);
    chain(&mut out);
    image(&mut out);
    payloads(&mut out);
    text(&mut out);
    host::seeds(&mut out);
    calls::write(&mut out);
    println!("wrote {} seeds under {}", out.count, out.root.display());
}
