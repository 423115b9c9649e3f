//! NFC tap-to-pair (spec 4.3): the binary pairing payload as an NFC Forum
//! NDEF message with one record of our own external type.
//!
//! The record is generated fresh for every pairing (a new secret, a new
//! expiry): an accessory's firmware rewrites its tag or emulates one (card
//! emulation) for each pairing. A static printed tag is not supported:
//! whoever read it once could pair forever, since nothing on it would ever
//! expire or be used up.
//!
//! Encoding writes one short record (`MB`, `ME`, `SR`, TNF external).
//! Parsing accepts what readers hand over: short and long records, records
//! with IDs, several records (ours is found among them); it refuses chunked
//! records, a message that does not start with `MB` or end with `ME`, and
//! every length that points past the end.

use crate::Error;

/// Our NFC Forum external type (TNF 0x04), as NFC Forum RTD rules spell it:
/// a domain we own, a colon, a type.
pub const RECORD_TYPE: &[u8] = b"honeylink.dev:pair";

const MB: u8 = 0x80;
const ME: u8 = 0x40;
const CF: u8 = 0x20;
const SR: u8 = 0x10;
const IL: u8 = 0x08;
const TNF_MASK: u8 = 0x07;
const TNF_EMPTY: u8 = 0x00;
const TNF_EXTERNAL: u8 = 0x04;
const TNF_UNCHANGED: u8 = 0x06;
const TNF_RESERVED: u8 = 0x07;

/// Total length of the NDEF message [`encode`] writes for a payload of
/// `payload_len` bytes: header, type length, payload length (1 byte, or 4
/// beyond 255), type, payload.
#[must_use]
pub const fn encoded_len(payload_len: usize) -> usize {
    let long = payload_len > 255;
    3 + if long { 3 } else { 0 } + RECORD_TYPE.len() + payload_len
}

/// Writes an NDEF message holding one HoneyLink record with `payload` (the
/// binary pairing payload); returns its length.
///
/// # Errors
/// [`Error::BufferTooSmall`].
pub fn encode(payload: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let needed = encoded_len(payload.len());
    let out = out
        .get_mut(..needed)
        .ok_or(Error::BufferTooSmall { needed })?;
    let short = payload.len() <= 255;
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        if let Some(slot) = out.get_mut(at..at + bytes.len()) {
            slot.copy_from_slice(bytes);
        }
        at += bytes.len();
    };
    put(&[MB | ME | if short { SR } else { 0 } | TNF_EXTERNAL]);
    put(&[u8::try_from(RECORD_TYPE.len()).unwrap_or(u8::MAX)]);
    if short {
        put(&[u8::try_from(payload.len()).unwrap_or(u8::MAX)]);
    } else {
        put(&u32::try_from(payload.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes());
    }
    put(RECORD_TYPE);
    put(payload);
    Ok(needed)
}

/// One parsed NDEF record, borrowed from the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct NdefRecord<'a> {
    tnf: u8,
    record_type: &'a [u8],
    id: Option<&'a [u8]>,
    payload: &'a [u8],
}

/// Splits `bytes` at `n`, or reports a length pointing past the end.
fn take(bytes: &[u8], n: usize) -> Result<(&[u8], &[u8]), Error> {
    bytes.split_at_checked(n).ok_or(Error::NdefTruncated)
}

fn take_byte(bytes: &[u8]) -> Result<(u8, &[u8]), Error> {
    let (first, rest) = bytes.split_first().ok_or(Error::NdefTruncated)?;
    Ok((*first, rest))
}

/// Parses a whole NDEF message and returns the payload of its one HoneyLink
/// record.
///
/// # Errors
/// [`Error::NdefTruncated`] for any length past the end;
/// [`Error::NdefChunked`] for a chunked record; [`Error::NdefFraming`] for
/// missing `MB`/`ME` flags, an empty record with lengths, a reserved TNF, or
/// bytes after the `ME` record; [`Error::NdefNoRecord`] if no record is ours;
/// [`Error::NdefDuplicate`] if two are.
pub fn find_payload(message: &[u8]) -> Result<&[u8], Error> {
    let mut rest = message;
    let mut found = None;
    let mut first = true;
    loop {
        let (record, tail, last) = parse_record(rest, first)?;
        first = false;
        // NFC Forum external type names compare case-insensitively.
        if record.tnf == TNF_EXTERNAL && record.record_type.eq_ignore_ascii_case(RECORD_TYPE) {
            if found.is_some() {
                return Err(Error::NdefDuplicate);
            }
            found = Some(record.payload);
        }
        rest = tail;
        if last {
            break;
        }
    }
    if !rest.is_empty() {
        return Err(Error::NdefFraming);
    }
    found.ok_or(Error::NdefNoRecord)
}

/// Parses one record; returns it, the bytes after it, and whether it carried
/// `ME`.
fn parse_record(bytes: &[u8], first: bool) -> Result<(NdefRecord<'_>, &[u8], bool), Error> {
    let (header, rest) = take_byte(bytes)?;
    if header & CF != 0 {
        return Err(Error::NdefChunked);
    }
    if (header & MB != 0) != first {
        return Err(Error::NdefFraming);
    }
    let tnf = header & TNF_MASK;
    if tnf == TNF_UNCHANGED || tnf == TNF_RESERVED {
        return Err(Error::NdefFraming);
    }
    let (type_len, rest) = take_byte(rest)?;
    let (payload_len, rest) = if header & SR != 0 {
        let (len, rest) = take_byte(rest)?;
        (usize::from(len), rest)
    } else {
        let (len, rest) = take(rest, 4)?;
        let mut be = [0u8; 4];
        be.copy_from_slice(len);
        (
            usize::try_from(u32::from_be_bytes(be)).map_err(|_| Error::NdefTruncated)?,
            rest,
        )
    };
    let (id_len, rest) = if header & IL != 0 {
        let (len, rest) = take_byte(rest)?;
        (Some(usize::from(len)), rest)
    } else {
        (None, rest)
    };
    let (record_type, rest) = take(rest, usize::from(type_len))?;
    let (id, rest) = match id_len {
        Some(len) => {
            let (id, rest) = take(rest, len)?;
            (Some(id), rest)
        }
        None => (None, rest),
    };
    let (payload, rest) = take(rest, payload_len)?;
    if tnf == TNF_EMPTY
        && (type_len != 0 || payload_len != 0 || id.is_some_and(|id| !id.is_empty()))
    {
        return Err(Error::NdefFraming);
    }
    Ok((
        NdefRecord {
            tnf,
            record_type,
            id,
            payload,
        },
        rest,
        header & ME != 0,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    fn record(header: u8, record_type: &[u8], id: Option<&[u8]>, payload: &[u8]) -> Vec<u8> {
        let header = if id.is_some() { header | IL } else { header };
        let mut out = std::vec![header, record_type.len() as u8];
        if header & SR != 0 {
            out.push(payload.len() as u8);
        } else {
            out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        }
        if let Some(id) = id {
            out.push(id.len() as u8);
        }
        out.extend_from_slice(record_type);
        if let Some(id) = id {
            out.extend_from_slice(id);
        }
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn round_trip_short_and_long() {
        for len in [0usize, 1, 200, 255, 256, 400] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut out = std::vec![0u8; encoded_len(len)];
            assert_eq!(encode(&payload, &mut out), Ok(out.len()));
            assert_eq!(find_payload(&out), Ok(payload.as_slice()), "{len}");
            assert_eq!(out[0] & SR != 0, len <= 255);
        }
    }

    #[test]
    fn finds_our_record_among_others_with_ids_and_long_form() {
        let uri = record(MB | SR | 0x01, b"U", None, b"\x04honeylink.dev");
        let ours = record(TNF_EXTERNAL, RECORD_TYPE, Some(b"id-7"), b"PAYLOAD");
        let text = record(ME | SR | 0x01, b"T", Some(b""), b"\x02enhi");
        let message = [uri, ours, text].concat();
        assert_eq!(find_payload(&message), Ok(&b"PAYLOAD"[..]));
    }

    #[test]
    fn malformed_messages_get_specific_errors() {
        let ours = record(MB | ME | SR | TNF_EXTERNAL, RECORD_TYPE, None, b"P");
        // Every truncation.
        for cut in 0..ours.len() {
            assert_eq!(
                find_payload(&ours[..cut]),
                Err(Error::NdefTruncated),
                "cut {cut}"
            );
        }
        // Trailing bytes after ME.
        let mut extra = ours.clone();
        extra.push(0);
        assert_eq!(find_payload(&extra), Err(Error::NdefFraming));
        // Chunked.
        let chunked = record(MB | ME | SR | CF | TNF_EXTERNAL, RECORD_TYPE, None, b"P");
        assert_eq!(find_payload(&chunked), Err(Error::NdefChunked));
        // Missing MB, then a second MB.
        let no_mb = record(ME | SR | TNF_EXTERNAL, RECORD_TYPE, None, b"P");
        assert_eq!(find_payload(&no_mb), Err(Error::NdefFraming));
        let first = record(MB | SR | 0x01, b"U", None, b"x");
        let second_mb = record(MB | ME | SR | 0x01, b"U", None, b"x");
        assert_eq!(
            find_payload(&[first.clone(), second_mb].concat()),
            Err(Error::NdefFraming)
        );
        // No ME at all: runs off the end.
        let no_me = record(MB | SR | TNF_EXTERNAL, RECORD_TYPE, None, b"P");
        assert_eq!(find_payload(&no_me), Err(Error::NdefTruncated));
        // No record of ours, or two.
        let other = record(MB | ME | SR | TNF_EXTERNAL, b"example.com:x", None, b"P");
        assert_eq!(find_payload(&other), Err(Error::NdefNoRecord));
        let a = record(MB | SR | TNF_EXTERNAL, RECORD_TYPE, None, b"A");
        let b = record(ME | SR | TNF_EXTERNAL, RECORD_TYPE, None, b"B");
        assert_eq!(find_payload(&[a, b].concat()), Err(Error::NdefDuplicate));
        // Reserved TNF, and an empty record with a payload.
        let reserved = record(MB | ME | SR | TNF_RESERVED, b"", None, b"");
        assert_eq!(find_payload(&reserved), Err(Error::NdefFraming));
        let empty = record(MB | ME | SR | TNF_EMPTY, b"", None, b"x");
        assert_eq!(find_payload(&empty), Err(Error::NdefFraming));
        // A long-form length that points far past the end.
        let mut huge = std::vec![MB | ME | TNF_EXTERNAL, RECORD_TYPE.len() as u8];
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        huge.extend_from_slice(RECORD_TYPE);
        assert_eq!(find_payload(&huge), Err(Error::NdefTruncated));
        assert_eq!(find_payload(&[]), Err(Error::NdefTruncated));
    }

    /// An empty record (TNF 0) beside ours is accepted only when it is
    /// truly empty: no type, no payload, and no ID or an empty one.
    #[test]
    fn empty_records_are_accepted_only_when_truly_empty() {
        let ours = record(ME | SR | TNF_EXTERNAL, RECORD_TYPE, None, b"P");
        /// Type, ID and payload of the empty record, and the verdict.
        type Case = (
            &'static [u8],
            Option<&'static [u8]>,
            &'static [u8],
            Result<&'static [u8], Error>,
        );
        let cases: [Case; 5] = [
            (b"", None, b"", Ok(b"P")),
            (b"", Some(b""), b"", Ok(b"P")),
            (b"", Some(b"x"), b"", Err(Error::NdefFraming)),
            (b"T", None, b"", Err(Error::NdefFraming)),
            (b"", None, b"x", Err(Error::NdefFraming)),
        ];
        for (record_type, id, payload, expected) in cases {
            let empty = record(MB | SR | TNF_EMPTY, record_type, id, payload);
            assert_eq!(
                find_payload(&[empty, ours.clone()].concat()),
                expected,
                "{record_type:?} {id:?} {payload:?}"
            );
        }
    }
}
