//! Print-ready SVG figures: raster panels (a density heat map, particles) embedded as PNG, with
//! vector curves over them, axes with tick labels, a title per panel, a colour bar and a caption.
//! Text stays text (no fonts embedded): a reader's viewer draws it in its sans-serif font.

use std::fmt::Write;

use base64::Engine;

/// A curve in data coordinates: (stroke colour, width, points).
pub type Curve = (&'static str, f64, Vec<(f64, f64)>);

/// A curve colour drawn dashed: a colour followed by " dashed".
pub const DASHED_PINK: &str = "#ff40a0 dashed";

/// One panel: a raster over the data rectangle `x` × `y`, with curves over it.
pub struct Panel {
    /// PNG bytes of the raster (row 0 at the top, i.e. at `y.1`).
    pub png: Vec<u8>,
    /// The panel's size in the figure's units (pixels at 1:1).
    pub size: (f64, f64),
    /// The data range along the horizontal axis.
    pub x: (f64, f64),
    /// The data range along the vertical axis.
    pub y: (f64, f64),
    /// Axis labels (horizontal, vertical).
    pub labels: (String, String),
    /// The title above the panel (may be empty).
    pub title: String,
    /// Curves in data coordinates: (colour, width, points).
    pub curves: Vec<Curve>,
}

/// A colour bar: CSS gradient stops from 0 to 1 and the value at the top.
pub struct ColourBar {
    /// (offset in [0, 1], CSS colour) from the bottom (0) to the top.
    pub stops: Vec<(f64, String)>,
    /// The value at the top of the bar.
    pub max: f64,
    /// What the bar measures.
    pub label: String,
}

const LEFT: f64 = 56.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 44.0;
const GAP: f64 = 28.0;
const BAR: f64 = 14.0;
/// A generous mean advance of a 12 px sans-serif character, for wrapping the caption.
const CHAR_W: f64 = 6.6;
/// Caption line spacing.
const LINE_H: f64 = 15.0;

/// Words of `text` in lines of at most `max` characters (a longer word gets a line of its own).
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= max => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

/// About five round tick values over [lo, hi].
pub fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let raw = (hi - lo) / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.replace('-', "−")
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The whole figure: panels in rows of `columns` (each with its own axes), an optional colour
/// bar at the right, a caption below.
pub fn figure(panels: &[Panel], columns: usize, bar: Option<&ColourBar>, caption: &str) -> String {
    let columns = columns.clamp(1, panels.len().max(1));
    let rows = panels.len().div_ceil(columns);
    let pw = panels.iter().map(|p| p.size.0).fold(0.0, f64::max);
    let ph = panels.iter().map(|p| p.size.1).fold(0.0, f64::max);
    let mut width = LEFT + columns as f64 * (pw + GAP + LEFT) - LEFT;
    if bar.is_some() {
        width += BAR + 64.0;
    }
    let lines = wrap(caption, ((width - LEFT - 8.0) / CHAR_W).max(20.0) as usize);
    let caption_h = if lines.is_empty() {
        0.0
    } else {
        LINE_H * lines.len() as f64 + 8.0
    };
    let row_h = TOP + ph + BOTTOM;
    let height = rows as f64 * row_h + caption_h;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r#"<rect width="{width}" height="{height}" fill="white"/>"#
    );
    for (k, p) in panels.iter().enumerate() {
        let (w, h) = p.size;
        let x0 = LEFT + (k % columns) as f64 * (pw + GAP + LEFT);
        let y0 = TOP + (k / columns) as f64 * row_h;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&p.png);
        let _ = writeln!(
            s,
            r#"<image x="{x0}" y="{y0}" width="{w}" height="{h}" preserveAspectRatio="none" image-rendering="pixelated" href="data:image/png;base64,{b64}"/>"#
        );
        let px = |x: f64| x0 + (x - p.x.0) / (p.x.1 - p.x.0) * w;
        let py = |y: f64| y0 + (p.y.1 - y) / (p.y.1 - p.y.0) * h;
        let _ = writeln!(s, r#"<g clip-path="url(#clip{k})">"#);
        for (colour, lw, pts) in &p.curves {
            let list: Vec<String> = pts
                .iter()
                .map(|&(x, y)| format!("{:.2},{:.2}", px(x), py(y)))
                .collect();
            let (colour, dash) = colour
                .strip_suffix(" dashed")
                .map_or((*colour, ""), |c| (c, r#" stroke-dasharray="6 4""#));
            let _ = writeln!(
                s,
                r#"<polyline fill="none" stroke="{colour}" stroke-width="{lw}"{dash} points="{}"/>"#,
                list.join(" ")
            );
        }
        let _ = writeln!(s, "</g>");
        let _ = writeln!(
            s,
            r#"<clipPath id="clip{k}"><rect x="{x0}" y="{y0}" width="{w}" height="{h}"/></clipPath>"#
        );
        let _ = writeln!(
            s,
            r##"<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#333"/>"##
        );
        for t in ticks(p.x.0, p.x.1) {
            let x = px(t);
            let _ = writeln!(
                s,
                r##"<line x1="{x:.2}" y1="{:.2}" x2="{x:.2}" y2="{:.2}" stroke="#333"/><text x="{x:.2}" y="{:.2}" text-anchor="middle">{}</text>"##,
                y0 + h,
                y0 + h + 5.0,
                y0 + h + 18.0,
                num(t)
            );
        }
        for t in ticks(p.y.0, p.y.1) {
            let y = py(t);
            let _ = writeln!(
                s,
                r##"<line x1="{:.2}" y1="{y:.2}" x2="{x0:.2}" y2="{y:.2}" stroke="#333"/><text x="{:.2}" y="{:.2}" text-anchor="end">{}</text>"##,
                x0 - 5.0,
                x0 - 8.0,
                y + 4.0,
                num(t)
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.2}" y="{:.2}" text-anchor="middle">{}</text>"#,
            x0 + w / 2.0,
            y0 + h + 36.0,
            esc(&p.labels.0)
        );
        let _ = writeln!(
            s,
            r#"<text transform="translate({:.2},{:.2}) rotate(-90)" text-anchor="middle">{}</text>"#,
            x0 - 38.0,
            y0 + h / 2.0,
            esc(&p.labels.1)
        );
        if !p.title.is_empty() {
            let _ = writeln!(
                s,
                r#"<text x="{:.2}" y="{:.2}" text-anchor="middle" font-size="13">{}</text>"#,
                x0 + w / 2.0,
                y0 - 10.0,
                esc(&p.title)
            );
        }
    }
    let x0 = LEFT + columns as f64 * (pw + GAP + LEFT) - LEFT;
    if let Some(bar) = bar {
        let _ = writeln!(
            s,
            r#"<linearGradient id="bar" x1="0" y1="1" x2="0" y2="0">"#
        );
        for (o, c) in &bar.stops {
            let _ = writeln!(s, r#"<stop offset="{o:.3}" stop-color="{c}"/>"#);
        }
        let _ = writeln!(s, "</linearGradient>");
        let _ = writeln!(
            s,
            r##"<rect x="{x0}" y="{TOP}" width="{BAR}" height="{ph}" fill="url(#bar)" stroke="#333"/>"##
        );
        for (v, y) in [(0.0, TOP + ph), (bar.max, TOP)] {
            let _ = writeln!(
                s,
                r#"<text x="{:.2}" y="{:.2}">{}</text>"#,
                x0 + BAR + 4.0,
                y + 4.0,
                num(v)
            );
        }
        let _ = writeln!(
            s,
            r#"<text transform="translate({:.2},{:.2}) rotate(-90)" text-anchor="middle">{}</text>"#,
            x0 + BAR + 30.0,
            TOP + ph / 2.0,
            esc(&bar.label)
        );
    }
    for (k, line) in lines.iter().enumerate() {
        let _ = writeln!(
            s,
            r#"<text x="{LEFT}" y="{:.2}" font-size="12">{}</text>"#,
            rows as f64 * row_h + 14.0 + LINE_H * k as f64,
            esc(line)
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_inside() {
        assert_eq!(
            ticks(0.0, 1.0),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        assert_eq!(ticks(-5.0, 5.0), vec![-4.0, -2.0, 0.0, 2.0, 4.0]);
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(-2.5), "−2.5");
    }

    #[test]
    fn captions_wrap_at_word_boundaries() {
        assert_eq!(wrap("", 10), Vec::<String>::new());
        assert_eq!(
            wrap("ρ at t = 0.5 and particles", 12),
            vec!["ρ at t = 0.5", "and", "particles"]
        );
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            vec!["averyveryverylongword", "x"]
        );
    }
}
