//! `audit`, `metrics`, `doctor`, `rotate`, `destroy`: the device's records
//! and lifecycle, all through the device facade.

use honeylink_core::audit::RotationKind;
use honeylink_host::Error;
use honeylink_host::clock::{parse_rfc3339, unix_now};
use honeylink_host::device::Device;
use honeylink_host::home::Home;
use honeylink_host::keys::{Keychain, Location};
use serde_json::{Value, json};

use super::Ctx;
use super::ui::{time, who};

/// `--since`: an RFC 3339 time, or an age (`30m`, `12h`, `7d`, `90s`).
fn since(text: &str, now: u64) -> Result<u64, Error> {
    if let Some(t) = parse_rfc3339(text) {
        return Ok(t);
    }
    let bad = || {
        Error::Usage(format!(
            "--since takes an RFC 3339 time (2026-01-31T00:00:00Z) or an age (30m, 12h, 7d), not '{text}'"
        ))
    };
    // The unit is the last character, whatever its width in bytes.
    let mut chars = text.chars();
    let unit = chars.next_back().ok_or_else(bad)?;
    let n: u64 = chars.as_str().parse().map_err(|_| bad())?;
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(bad()),
    };
    Ok(now.saturating_sub(n.saturating_mul(secs)))
}

/// `honeylink audit show [--since ...]`.
pub(crate) fn audit_show(ctx: &Ctx, from: Option<&str>) -> Result<(), Error> {
    let device = ctx.open()?;
    let from = from
        .map(|t| since(t, unix_now().unwrap_or(0)))
        .transpose()?;
    let mut entries = Vec::new();
    let verified = device.audit_entries(|entry| {
        if from.is_none_or(|t| entry.time >= t) {
            entries.push(entry);
        }
    })?;
    ctx.ui.emit(&json!({
        "verified": true,
        "records": verified.records,
        "head_seq": verified.head.seq,
        "entries": entries
            .iter()
            .map(|e| json!({"seq": e.seq, "time": time(e.time), "event": e.name, "fields": e.fields}))
            .collect::<Vec<_>>(),
    }))?;
    for entry in &entries {
        let fields: Vec<String> = entry
            .fields
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect();
        ctx.ui.say(&format!(
            "{:>5}  {}  {:<22} {}",
            entry.seq,
            time(entry.time),
            entry.name,
            fields.join(" ")
        ))?;
    }
    ctx.ui.say(&format!(
        "{} records shown; the chain of {} verified.",
        entries.len(),
        verified.records
    ))
}

/// `honeylink audit verify`.
pub(crate) fn audit_verify(ctx: &Ctx) -> Result<(), Error> {
    let device = ctx.open()?;
    let verified = device.verify_audit()?;
    ctx.ui.emit(&json!({
        "verified": true,
        "records": verified.records,
        "first_seq": verified.first_seq,
        "head_seq": verified.head.seq,
        "beyond_kept_head": verified.beyond_kept_head,
        "interrupted_append": verified.interrupted_append,
    }))?;
    ctx.ui.say(&format!(
        "Audit chain verified: {} signed records (from {} to {}), ending at the kept head.",
        verified.records, verified.first_seq, verified.head.seq
    ))?;
    if verified.interrupted_append {
        ctx.ui.say(
            "The log ends in an incomplete line, an append a crash cut short before it was \
             committed; the next record written replaces it.",
        )?;
    }
    Ok(())
}

/// `honeylink metrics [--prometheus]`.
pub(crate) fn metrics(ctx: &Ctx, prometheus: bool) -> Result<(), Error> {
    let device = ctx.open()?;
    let metrics = device.metrics()?;
    if ctx.ui.json {
        return ctx.ui.emit(&metrics.to_json());
    }
    if prometheus {
        return ctx.ui.say(metrics.to_prometheus().trim_end());
    }
    ctx.ui.say(&summary(&metrics))
}

/// The non-zero counters, one per line, for people.
pub(crate) fn summary(metrics: &honeylink_host::metrics::Metrics) -> String {
    let mut lines = Vec::new();
    if let Value::Object(families) = metrics.to_json() {
        for (name, family) in families {
            let samples = family
                .get("samples")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for sample in samples {
                let value = sample.get("value").and_then(Value::as_u64).unwrap_or(0);
                if value == 0 {
                    continue;
                }
                let labels: Vec<String> = sample
                    .get("labels")
                    .and_then(Value::as_object)
                    .map(|l| {
                        l.iter()
                            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                            .collect()
                    })
                    .unwrap_or_default();
                lines.push(format!("{name}{{{}}} {value}", labels.join(",")));
            }
        }
    }
    if lines.is_empty() {
        "no events counted yet".to_owned()
    } else {
        lines.join("\n")
    }
}

/// `honeylink rotate [--emergency]`.
pub(crate) fn rotate(ctx: &Ctx, emergency: bool) -> Result<(), Error> {
    let mut device = ctx.open()?;
    let kind = if emergency {
        RotationKind::Emergency
    } else {
        RotationKind::Manual
    };
    ctx.ui.warn(&format!(
        "This replaces the keys of {} and unpairs every paired device; each must pair again.",
        who(device.name(), &device.info().device_id)
    ))?;
    ctx.ui.confirm("Rotate the keys now?", "the rotation")?;
    let report = device.rotate(kind, unix_now()?)?;
    ctx.ui.emit(&json!({
        "rotated": if emergency { "emergency" } else { "manual" },
        "old_fingerprint": report.old_fingerprint.to_string(),
        "new_fingerprint": report.new_fingerprint.to_string(),
        "unpaired": report.unpaired.iter().map(|r| r.id.to_string()).collect::<Vec<_>>(),
    }))?;
    ctx.ui.say(&format!(
        "Rotated{}.\n  old fingerprint  {}\n  new fingerprint  {}\n  unpaired         {}",
        if emergency { " (emergency)" } else { "" },
        report.old_fingerprint,
        report.new_fingerprint,
        if report.unpaired.is_empty() {
            "none".to_owned()
        } else {
            report
                .unpaired
                .iter()
                .map(|r| who(&r.name, &r.id))
                .collect::<Vec<_>>()
                .join(", ")
        }
    ))
}

/// `honeylink destroy`.
pub(crate) fn destroy(ctx: &Ctx) -> Result<(), Error> {
    let device = ctx.open()?;
    ctx.ui.warn(&format!(
        "This destroys the keys of {}, its paired devices and its audit log, for good.",
        who(device.name(), &device.info().device_id)
    ))?;
    ctx.ui
        .confirm("Destroy this device's keys?", "the destruction")?;
    let report = device.destroy(unix_now()?)?;
    ctx.ui.emit(&json!({
        "destroyed": report.fingerprint.map(|f| f.to_string()),
        "erased": report.erased.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "keychain_entries": report.keychain_entries.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "left": report.left.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
    }))?;
    ctx.ui.say(&format!(
        "Destroyed. {} files overwritten and deleted, {} keychain entries deleted.",
        report.erased.len(),
        report.keychain_entries.len()
    ))?;
    for path in &report.left {
        ctx.ui.say(&format!(
            "  left in place (not HoneyLink's): {}",
            path.display()
        ))?;
    }
    Ok(())
}

/// One check of `doctor`.
struct Check {
    name: &'static str,
    ok: bool,
    detail: String,
}

/// `honeylink doctor`.
pub(crate) fn doctor(ctx: &Ctx) -> Result<(), Error> {
    let mut checks = Vec::new();
    let mut first_error = None;
    let mut check = |name: &'static str, result: Result<String, Error>| match result {
        Ok(detail) => checks.push(Check {
            name,
            ok: true,
            detail,
        }),
        Err(e) => {
            checks.push(Check {
                name,
                ok: false,
                detail: e.to_string(),
            });
            first_error.get_or_insert(e);
        }
    };
    let home = Home::open(&ctx.root);
    let home_ok = home.is_ok();
    check(
        "home",
        home.map(|h| format!("{} (private to you)", h.root().display())),
    );
    let device = if home_ok {
        Device::open(&ctx.root)
    } else {
        Err(Error::Usage("no home".into()))
    };
    match device {
        Ok(device) => {
            let info = *device.info();
            check(
                "identity",
                Ok(format!(
                    "{}  fingerprint {}",
                    who(&info.name, &info.device_id),
                    info.fingerprint
                )),
            );
            check(
                "keys",
                Ok(match info.secrets {
                    Location::Keychain => "in the OS keychain".to_owned(),
                    Location::File => {
                        format!("in files under {}", device.home().keys_dir().display())
                    }
                }),
            );
            check(
                "keychain",
                Ok(match Keychain::connect(info.device_id) {
                    Ok(_) => "reachable".to_owned(),
                    Err(e) => format!("not reachable ({e})"),
                }),
            );
            check(
                "trusted peers",
                device.peers().map(|p| format!("{} entries parse", p.len())),
            );
            check(
                "audit chain",
                device.verify_audit().map(|v| {
                    format!(
                        "{} records verify, head at record {}",
                        v.records, v.head.seq
                    )
                }),
            );
            let now = unix_now();
            check(
                "clock",
                now.and_then(|now| {
                    if now + 300 < info.created {
                        Err(Error::Usage(format!(
                            "the clock reads {}, before this identity was created ({})",
                            time(now),
                            time(info.created)
                        )))
                    } else {
                        Ok(format!("{} (UTC)", time(now)))
                    }
                }),
            );
            let now = unix_now().unwrap_or(0);
            check(
                "PIN pairing",
                device
                    .pin_guard(now)
                    .map(|guard| match guard.locked_for(now) {
                        Some(left) => format!(
                            "locked until {} after repeated wrong PINs",
                            time(now + left)
                        ),
                        None => "not locked".to_owned(),
                    }),
            );
        }
        Err(e) => check("identity", Err(e)),
    }
    ctx.ui.emit(&json!({
        "ok": first_error.is_none(),
        "checks": checks
            .iter()
            .map(|c| json!({"check": c.name, "ok": c.ok, "detail": c.detail}))
            .collect::<Vec<_>>(),
    }))?;
    for c in &checks {
        ctx.ui.say(&format!(
            "{}  {:<14} {}",
            if c.ok { "ok  " } else { "FAIL" },
            c.name,
            c.detail
        ))?;
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
