//! The doorplate QR code: the page URL (`{base}/d/{id}`) as an SVG of squares.
//!
//! The symbol comes from the `qrcode` crate (error correction level M, which survives a
//! scuffed or dirty plate); the SVG is written here, one `<rect>` per horizontal run of
//! dark modules on a white background with the 4-module quiet zone of ISO/IEC 18004, in
//! module units (`viewBox`), so it scales to any print size without blur.

use qrcode::{Color, EcLevel, QrCode};

use crate::service::ServiceError;

/// Quiet zone around the symbol, modules (ISO/IEC 18004: at least 4).
pub const QUIET_ZONE_MODULES: usize = 4;

/// The SVG of a QR code holding `text`.
///
/// ```
/// let svg = civmap_server::service::doorplate_qr::qr_svg("https://civmap.example/d/12").unwrap();
/// assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>\n"));
/// assert!(svg.contains("<rect "));
/// ```
pub fn qr_svg(text: &str) -> Result<String, ServiceError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| ServiceError::invalid("url", format!("cannot encode {text:?}: {e}")))?;
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 2 * QUIET_ZONE_MODULES;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" width=\"{px}\" height=\"{px}\" shape-rendering=\"crispEdges\">\n\
         <title>{title}</title>\n\
         <rect x=\"0\" y=\"0\" width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\n",
        px = side * 8,
        title = escape_xml(text),
    );
    for y in 0..width {
        let row = &colors[y * width..(y + 1) * width];
        let mut x = 0;
        while x < width {
            if row[x] == Color::Dark {
                let start = x;
                while x < width && row[x] == Color::Dark {
                    x += 1;
                }
                svg.push_str(&format!(
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"1\"/>\n",
                    start + QUIET_ZONE_MODULES,
                    y + QUIET_ZONE_MODULES,
                    x - start
                ));
            } else {
                x += 1;
            }
        }
    }
    svg.push_str("</svg>\n");
    Ok(svg)
}

/// Text escaped for XML character data and attribute values.
pub fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
