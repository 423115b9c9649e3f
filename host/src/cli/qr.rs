//! The pairing code as a QR code: in the terminal with Unicode half blocks,
//! and as PNG or SVG files (pure-Rust encoders).
//!
//! The terminal form draws two module rows per text row and sets both
//! colours explicitly (black modules on a white ground, with the standard
//! four-module quiet zone), so it reads the same on dark and light terminal
//! themes. With `NO_COLOR` set it draws light modules as blocks instead,
//! which scanners read on the dark backgrounds most terminals have.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use honeylink_host::Error;
use qrcode::{Color, EcLevel, QrCode};

/// Modules of light margin around the code (the QR standard's minimum).
const QUIET_ZONE: usize = 4;
/// Pixels per module in the PNG.
const PNG_SCALE: usize = 8;

/// The code for `text` at error-correction level M.
pub(crate) fn encode(text: &str) -> Result<QrCode, Error> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|_| Error::Unexpected("the pairing text fits a QR code"))
}

/// The code's version number (1 to 40).
pub(crate) fn version_number(code: &QrCode) -> i16 {
    match code.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
    }
}

/// Whether the module at (`x`, `y`) of the quiet-zoned square is dark.
fn dark(code: &QrCode, colors: &[Color], x: usize, y: usize) -> bool {
    let width = code.width();
    let (Some(x), Some(y)) = (x.checked_sub(QUIET_ZONE), y.checked_sub(QUIET_ZONE)) else {
        return false;
    };
    if x >= width || y >= width {
        return false;
    }
    colors.get(y * width + x) == Some(&Color::Dark)
}

/// The code as lines of Unicode half blocks.
pub(crate) fn terminal(code: &QrCode) -> String {
    let colors = code.to_colors();
    let side = code.width() + 2 * QUIET_ZONE;
    let plain = std::env::var_os("NO_COLOR").is_some();
    let mut out = String::new();
    for row in (0..side).step_by(2) {
        if !plain {
            // Black foreground on a bright white background.
            out.push_str("\x1b[30;107m");
        }
        for x in 0..side {
            let top = dark(code, &colors, x, row);
            let bottom = row + 1 < side && dark(code, &colors, x, row + 1);
            // Without colours, light modules are drawn (for dark themes).
            let (top, bottom) = if plain {
                (!top, !bottom)
            } else {
                (top, bottom)
            };
            let bottom = bottom && row + 1 < side;
            out.push(match (top, bottom) {
                (false, false) => ' ',
                (true, false) => '▀',
                (false, true) => '▄',
                (true, true) => '█',
            });
        }
        if !plain {
            out.push_str("\x1b[0m");
        }
        out.push('\n');
    }
    out
}

/// Creates `path` readable only by its owner (the code carries a one-time
/// secret until it is used or expires) and writes `bytes`. Only a new file:
/// an existing file (whose mode would stay) or a symbolic link (which would
/// be followed) is refused with [`Error::OutputExists`].
pub(crate) fn write_private_output(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::OutputExists {
                    path: path.to_owned(),
                }
            } else {
                Error::io("create", path, e)
            }
        })?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .map_err(|e| Error::io("write", path, e))
}

/// Writes the code as an SVG image.
pub(crate) fn write_svg(code: &QrCode, path: &Path) -> Result<(), Error> {
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    write_private_output(path, svg.as_bytes())
}

/// The code as 8-bit grey pixels, `PNG_SCALE` per module, quiet zone
/// included; returns the side in pixels.
fn pixels(code: &QrCode) -> (usize, Vec<u8>) {
    let colors = code.to_colors();
    let modules = code.width() + 2 * QUIET_ZONE;
    let side = modules * PNG_SCALE;
    let mut image = vec![255u8; side * side];
    for (i, pixel) in image.iter_mut().enumerate() {
        let (y, x) = (i / side / PNG_SCALE, i % side / PNG_SCALE);
        if dark(code, &colors, x, y) {
            *pixel = 0;
        }
    }
    (side, image)
}

/// Writes the code as a PNG image.
pub(crate) fn write_png(code: &QrCode, path: &Path) -> Result<(), Error> {
    let (side, image) = pixels(code);
    let side = u32::try_from(side).map_err(|_| Error::Unexpected("a QR image is small"))?;
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let png_error = |e: png::EncodingError| Error::io("encode", path, std::io::Error::other(e));
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&image).map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    write_private_output(path, &bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn the_terminal_code_has_a_quiet_zone_and_half_blocks() {
        let code = encode("HL1:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567").unwrap();
        let text = terminal(&code);
        let lines: Vec<&str> = text.lines().collect();
        let side = code.width() + 2 * QUIET_ZONE;
        assert_eq!(lines.len(), side.div_ceil(2));
        // The first two rows are quiet: only spaces between the colour codes.
        let first = lines[0].trim_start_matches("\x1b[30;107m");
        assert!(first.starts_with(&" ".repeat(side)), "{first:?}");
        assert!(text.contains('█') && text.contains('▀'));
    }

    #[test]
    fn png_pixels_follow_the_modules() {
        let code = encode("HL1:ABC").unwrap();
        let (side, image) = pixels(&code);
        assert_eq!(image.len(), side * side);
        // The quiet zone is white; the finder pattern's corner is black.
        assert_eq!(image[0], 255);
        let corner = QUIET_ZONE * PNG_SCALE;
        assert_eq!(image[corner * side + corner], 0);
    }
}
