//! `Record::decode`, one signed audit record read back from storage.
//!
//! Properties:
//! - A decoded record's hash is the SHA-512 of the input.
//! - Decode then encode gives the same body: writing the decoded record's
//!   sequence number, time, previous hash and event again (with the
//!   fuzzer's signing key, through `AuditWriter`) reproduces the input's
//!   body byte for byte, except the 32 signer bytes (the writer signs as
//!   its own key); and the rewritten record decodes to the same fields.
//!   Genesis and key-rotation records, which name the signing key in their
//!   event too, are checked by `audit_chain` instead.

#![no_main]

use honeylink_core::audit::{AuditWriter, ChainHead, Event, MAX_RECORD_LEN, Record};
use honeylink_core::crypto::hash::sha512;
use honeylink_fuzz::drive::chain::signing_key;
use libfuzzer_sys::fuzz_target;

const SIGNATURE_LEN: usize = 64;

/// Bytes of a postcard varint.
fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

fuzz_target!(|data: &[u8]| {
    let Ok(record) = Record::decode(data) else {
        return;
    };
    assert_eq!(record.hash, sha512(&[data]));
    if record.seq == 0
        || matches!(
            record.event,
            Event::Genesis { .. } | Event::SigningKeyRotation { .. }
        )
    {
        return;
    }
    let key = signing_key(0, 0);
    let head = ChainHead {
        seq: record.seq - 1,
        hash: record.prev_hash,
    };
    let mut writer = AuditWriter::resume(head, key.verifying_key())
        .expect("a decoded record's predecessor is below 2^64 - 1");
    let mut out = [0u8; MAX_RECORD_LEN];
    let written = writer.append(&key, record.time, record.event, &mut out);
    // The writer stops before record 2^64 - 1 (it could not number the
    // next one), so a decoded record at that number is the one thing it
    // refuses to rewrite, with NonceExhausted; a chain never reaches it.
    if record.seq == u64::MAX {
        assert_eq!(written, Err(honeylink_core::Error::NonceExhausted));
        return;
    }
    let n = written.expect("a decoded record fits");
    assert_eq!(n, data.len(), "the rewritten record has another length");
    let again = Record::decode(&out[..n]).expect("the writer's record decodes");
    assert_eq!(
        (again.seq, again.time, again.prev_hash, again.event),
        (record.seq, record.time, record.prev_hash, record.event)
    );
    let signer_at = 8 + 1 + varint_len(record.seq) + varint_len(record.time) + 64;
    let body = n - SIGNATURE_LEN;
    assert_eq!(out[..signer_at], data[..signer_at]);
    assert_eq!(
        &out[signer_at..signer_at + 32],
        key.verifying_key().as_bytes()
    );
    assert_eq!(&data[signer_at..signer_at + 32], &record.signer);
    assert_eq!(
        out[signer_at + 32..body],
        data[signer_at + 32..body],
        "one encoding per record body"
    );
});
