//! `honeylink demo`: two simulated devices, a laptop and a phone, pair by QR
//! code in memory, open a session, and log it all in signed audit chains.
//! Every byte they exchange goes through `honeylink-core`; this file only
//! moves bytes between them and prints.

use std::io::Write;

use getrandom::SysRng;
use honeylink_core::audit::{Anchor, AuditWriter, ChainVerifier, Event, MAX_RECORD_LEN};
use honeylink_core::identity::{DeviceIdentity, DeviceName};
use honeylink_core::pairing::payload::{ExpiryClock, MAX_TEXT_LEN, PairingPayload};
use honeylink_core::pairing::{
    LocalDevice, MAX_PAIRING_MESSAGE_LEN, PairingMethod, ProximityInitiator, ProximityResponder,
};
use honeylink_core::session::{
    STREAM_OVERHEAD, SessionEnd, SessionInitiator, SessionResponder, StreamSession,
};
use honeylink_core::trust::TrustStore;
use honeylink_core::wire::PayloadFlags;

use honeylink_host::Error;
use honeylink_host::clock::unix_now as now;

/// The output stream, with write errors as the host's error.
struct Out<'a, W: Write>(&'a mut W);

impl<W: Write> Out<'_, W> {
    fn write_fmt(&mut self, args: std::fmt::Arguments<'_>) -> Result<(), Error> {
        self.0.write_fmt(args).map_err(Error::Output)
    }
}

/// The first `n` bytes of a buffer the core wrote `n` bytes into.
fn part(buffer: &[u8], n: usize) -> Result<&[u8], Error> {
    buffer.get(..n).ok_or(Error::Unexpected(
        "the core reports a length within the buffer",
    ))
}

fn part_mut(buffer: &mut [u8], n: usize) -> Result<&mut [u8], Error> {
    buffer.get_mut(..n).ok_or(Error::Unexpected(
        "the core reports a length within the buffer",
    ))
}

/// Runs the demo, writing its narration to `out`.
pub(crate) fn run(out: &mut impl Write) -> Result<(), Error> {
    let mut out = Out(out);
    let mut rng = SysRng;
    let t0 = now()?;
    let laptop = DeviceIdentity::generate(&mut rng)?;
    let phone = DeviceIdentity::generate(&mut rng)?;
    writeln!(
        out,
        "laptop {}  fingerprint {}",
        laptop.device_id(),
        laptop.fingerprint()
    )?;
    writeln!(
        out,
        "phone  {}  fingerprint {}",
        phone.device_id(),
        phone.fingerprint()
    )?;

    // Each device starts its audit chain.
    let mut record = [0u8; MAX_RECORD_LEN];
    let (mut laptop_log, n) =
        AuditWriter::genesis(laptop.signing_key(), laptop.device_id(), t0, &mut record)?;
    let mut laptop_records = vec![part(&record, n)?.to_vec()];

    // The laptop shows a QR code; the phone scans it.
    let laptop_local = LocalDevice {
        identity: &laptop,
        name: DeviceName::new("Laptop")?,
        flags: PayloadFlags::empty(),
    };
    let phone_local = LocalDevice {
        identity: &phone,
        name: DeviceName::new("Phone")?,
        flags: PayloadFlags::empty(),
    };
    let mut creator = ProximityResponder::new(
        laptop_local,
        PairingMethod::Qr,
        t0,
        300,
        ExpiryClock::WallClock,
        None,
        &mut rng,
    )?;
    let mut text = [0u8; MAX_TEXT_LEN];
    let text_len = creator.payload().encode_text(&mut text)?;
    let text = std::str::from_utf8(part(&text, text_len)?)
        .map_err(|_| Error::Unexpected("QR text is ASCII"))?;
    let version = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map(|code| code.version())
        .map_err(|_| Error::Unexpected("the QR text fits a QR code"))?;
    writeln!(
        out,
        "laptop shows a QR code ({text_len} characters, {version:?} at level M):"
    )?;
    writeln!(out, "  {text}")?;

    let scanned = PairingPayload::decode_text(text)?;
    let mut wire = [0u8; MAX_PAIRING_MESSAGE_LEN];
    let (mut scanner, n, warning) = ProximityInitiator::start(
        phone_local,
        PairingMethod::Qr,
        &scanned,
        Some(now()?),
        &mut wire,
        &mut rng,
    )?;
    if let Some(warning) = warning {
        writeln!(
            out,
            "phone: the code looks {} s past its expiry",
            warning.seconds_past
        )?;
    }
    let message1 = part(&wire, n)?.to_vec();
    let (n, run) = creator.handle_message1(now()?, &message1, &mut wire, &mut rng)?;
    let message2 = part(&wire, n)?.to_vec();
    let (n, laptop_seen, _) = scanner.handle_message2(&message2, &mut wire)?;
    writeln!(
        out,
        "phone: verified {} ({}), asks its user to confirm",
        laptop_seen.name(),
        laptop_seen.fingerprint()
    )?;
    let message3 = part(&wire, n)?.to_vec();
    let (phone_seen, _) = creator.handle_message3(now()?, run, &message3)?;
    writeln!(
        out,
        "laptop: {} ({}) scanned the code, asks its user to confirm",
        phone_seen.name(),
        phone_seen.fingerprint()
    )?;
    writeln!(
        out,
        "messages: {} + {} + {} bytes",
        message1.len(),
        message2.len(),
        message3.len()
    )?;

    // Both users confirm.
    let mut laptop_trust = TrustStore::<16>::new();
    let mut phone_trust = TrustStore::<16>::new();
    laptop_trust.add(phone_seen.confirm(now()?))?;
    phone_trust.add(laptop_seen.confirm(now()?))?;
    let n = laptop_log.append(
        laptop.signing_key(),
        now()?,
        Event::Paired {
            method: PairingMethod::Qr,
            peer: phone.device_id(),
            fingerprint: phone.fingerprint(),
        },
        &mut record,
    )?;
    laptop_records.push(part(&record, n)?.to_vec());

    // Later: a session between the paired devices (Noise XX), each side
    // checking the other against its trust store.
    let (phone_side, n) =
        SessionInitiator::start(&phone, PayloadFlags::empty(), &mut wire, &mut rng)?;
    let message1 = part(&wire, n)?.to_vec();
    let mut laptop_side = SessionResponder::new(&laptop, PayloadFlags::empty(), &mut rng)?;
    let n = laptop_side.respond(&message1, &mut wire)?;
    let message2 = part(&wire, n)?.to_vec();
    let mut phone_side = phone_side;
    let verdict = phone_side.read_message2(&phone_trust, &message2)?;
    writeln!(
        out,
        "phone: session with {}: {:?}",
        verdict.id, verdict.decision
    )?;
    let (n, _, phone_keys) = phone_side.write_message3(&mut wire)?;
    let message3 = part(&wire, n)?.to_vec();
    let laptop_keys = match laptop_side.read_message3(&laptop_trust, &message3)? {
        SessionEnd::Established(verdict, keys) => {
            writeln!(
                out,
                "laptop: session with {}: {:?}",
                verdict.id, verdict.decision
            )?;
            keys
        }
        SessionEnd::Refused(verdict) => {
            writeln!(
                out,
                "laptop: refused {}: {:?}",
                verdict.id, verdict.decision
            )?;
            return Err(Error::Unexpected("the paired phone is trusted"));
        }
    };
    let mut phone_session: StreamSession = StreamSession::new(phone_keys);
    let mut laptop_session: StreamSession = StreamSession::new(laptop_keys);
    let mut buffer = b"hello from the phone".to_vec();
    let plain_len = buffer.len();
    buffer.resize(plain_len + STREAM_OVERHEAD, 0);
    let sealed = phone_session.seal_in_place(&mut buffer, plain_len)?;
    let opened = laptop_session.open_in_place(part_mut(&mut buffer, sealed)?)?;
    writeln!(
        out,
        "laptop received over the session: {:?}",
        String::from_utf8_lossy(opened)
    )?;

    // The laptop's audit chain verifies against its signing key.
    let mut verifier = ChainVerifier::new(Anchor::SigningKey(laptop.verifying_key()), None);
    for signed in &laptop_records {
        verifier
            .push(signed)
            .map_err(|_| Error::Unexpected("the laptop's own chain verifies"))?;
    }
    let head = verifier
        .finish()
        .map_err(|_| Error::Unexpected("the laptop's own chain ends well"))?;
    writeln!(
        out,
        "laptop audit chain: {} signed records verified, head at {}",
        laptop_records.len(),
        head.seq
    )?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    #[test]
    fn the_demo_runs_and_pairs() {
        let mut out = Vec::new();
        super::run(&mut out).expect("the demo completes");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains("phone: session with"), "{text}");
        assert!(
            text.contains("phone: session with") && text.contains(": Trusted"),
            "{text}"
        );
        assert!(text.contains("laptop: session with"), "{text}");
        assert!(text.contains("  HL1:"), "{text}");
        assert!(text.contains("\"hello from the phone\""), "{text}");
        assert!(text.contains("2 signed records verified"), "{text}");
    }
}
