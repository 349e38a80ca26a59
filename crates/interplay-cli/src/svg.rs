//! Print-ready SVG figures from a laid-out [`Scene`]: the rasters embedded as PNG, curves,
//! axes and the colour bar as vectors. Text stays text (no fonts embedded): a reader's viewer
//! draws it in its sans-serif font.

use std::fmt::Write;

use base64::Engine;

use crate::error::CliError;
use crate::png_figure::rgba_png;
use crate::scene::{Anchor, ColourBar, Panel, Scene, Shape, layout};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The whole figure as SVG: panels in rows of `columns`, an optional colour bar, a caption.
pub fn figure(
    panels: &[Panel],
    columns: usize,
    bar: Option<&ColourBar>,
    caption: &str,
) -> Result<String, CliError> {
    write(&layout(panels, columns, bar, caption))
}

/// A scene as SVG.
pub fn write(scene: &Scene<'_>) -> Result<String, CliError> {
    let (width, height) = (scene.width, scene.height);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r#"<rect width="{width}" height="{height}" fill="white"/>"#
    );
    let (mut clips, mut gradients) = (0, 0);
    for shape in &scene.shapes {
        match shape {
            Shape::Image { at, rgba, pixels } => {
                let (x, y, w, h) = at;
                let png = rgba_png(rgba, pixels.0, pixels.1)?;
                let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
                let _ = writeln!(
                    s,
                    r#"<image x="{x}" y="{y}" width="{w}" height="{h}" preserveAspectRatio="none" image-rendering="pixelated" href="data:image/png;base64,{b64}"/>"#
                );
            }
            Shape::Polyline {
                points,
                colour,
                width,
                dashed,
                clip,
            } => {
                let (x, y, w, h) = clip;
                clips += 1;
                let list: Vec<String> = points
                    .iter()
                    .map(|&(x, y)| format!("{x:.2},{y:.2}"))
                    .collect();
                let dash = if *dashed {
                    r#" stroke-dasharray="6 4""#
                } else {
                    ""
                };
                let _ = writeln!(
                    s,
                    r#"<clipPath id="clip{clips}"><rect x="{x}" y="{y}" width="{w}" height="{h}"/></clipPath><polyline clip-path="url(#clip{clips})" fill="none" stroke="{colour}" stroke-width="{width}"{dash} points="{}"/>"#,
                    list.join(" ")
                );
            }
            Shape::Frame { at: (x, y, w, h) } => {
                let _ = writeln!(
                    s,
                    r##"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="none" stroke="#333"/>"##
                );
            }
            Shape::Tick { a, b } => {
                let _ = writeln!(
                    s,
                    r##"<line x1="{:.2}" y1="{:.2}" x2="{:.2}" y2="{:.2}" stroke="#333"/>"##,
                    a.0, a.1, b.0, b.1
                );
            }
            Shape::Gradient {
                at: (x, y, w, h),
                stops,
            } => {
                gradients += 1;
                let _ = writeln!(
                    s,
                    r#"<linearGradient id="bar{gradients}" x1="0" y1="1" x2="0" y2="0">"#
                );
                for (o, [r, g, b]) in stops.iter() {
                    let _ = writeln!(
                        s,
                        r#"<stop offset="{o:.3}" stop-color="rgb({r},{g},{b})"/>"#
                    );
                }
                let _ = writeln!(s, "</linearGradient>");
                let _ = writeln!(
                    s,
                    r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="url(#bar{gradients})"/>"#
                );
            }
            Shape::Text {
                at: (x, y),
                text,
                anchor,
                size,
                vertical,
            } => {
                let anchor = match anchor {
                    Anchor::Start => "",
                    Anchor::Middle => r#" text-anchor="middle""#,
                    Anchor::End => r#" text-anchor="end""#,
                };
                let size = if *size == 12.0 {
                    String::new()
                } else {
                    format!(r#" font-size="{size}""#)
                };
                let place = if *vertical {
                    format!(r#"transform="translate({x:.2},{y:.2}) rotate(-90)""#)
                } else {
                    format!(r#"x="{x:.2}" y="{y:.2}""#)
                };
                let _ = writeln!(s, r#"<text {place}{anchor}{size}>{}</text>"#, esc(text));
            }
        }
    }
    s.push_str("</svg>\n");
    Ok(s)
}
