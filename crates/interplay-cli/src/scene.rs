//! The layout of a figure, shared by its two writers: raster panels (a density heat map,
//! particles) with curves over them, axes with tick labels, a title per panel, a colour bar and
//! a caption, as a list of positioned shapes in pixels at 1:1. `svg.rs` writes them as SVG (text
//! as text), `png_figure.rs` paints them (text in a bitmap font).

/// A curve in data coordinates: (stroke colour, width, points).
pub type Curve = (&'static str, f64, Vec<(f64, f64)>);

/// A curve colour drawn dashed: a colour followed by " dashed".
pub const DASHED_PINK: &str = "#ff40a0 dashed";

/// One panel: a raster over the data rectangle `x` × `y`, with curves over it.
pub struct Panel {
    /// RGBA pixels of the raster (row 0 at the top, i.e. at `y.1`).
    pub rgba: Vec<u8>,
    /// The raster's pixels (width, height).
    pub pixels: (usize, usize),
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

/// A colour bar: colour stops from 0 to 1 and the value at the top.
pub struct ColourBar {
    /// (offset in [0, 1], RGB) from the bottom (0) to the top.
    pub stops: Vec<(f64, [u8; 3])>,
    /// The value at the top of the bar.
    pub max: f64,
    /// What the bar measures.
    pub label: String,
}

/// Where a text's anchor point is along the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// At its start.
    Start,
    /// At its middle.
    Middle,
    /// At its end.
    End,
}

/// A shape of the figure, in pixels from the top left.
pub enum Shape<'a> {
    /// A raster stretched over a rectangle.
    Image {
        /// Rectangle (x, y, w, h).
        at: (f64, f64, f64, f64),
        /// RGBA pixels.
        rgba: &'a [u8],
        /// The raster's pixels.
        pixels: (usize, usize),
    },
    /// A curve, clipped to a rectangle.
    Polyline {
        /// Points.
        points: Vec<(f64, f64)>,
        /// Stroke colour.
        colour: &'static str,
        /// Stroke width.
        width: f64,
        /// Dashed (6 on, 4 off).
        dashed: bool,
        /// Clip rectangle (x, y, w, h).
        clip: (f64, f64, f64, f64),
    },
    /// An outline in dark grey.
    Frame {
        /// Rectangle (x, y, w, h).
        at: (f64, f64, f64, f64),
    },
    /// A tick mark in dark grey.
    Tick {
        /// From.
        a: (f64, f64),
        /// To.
        b: (f64, f64),
    },
    /// A vertical gradient, bottom (offset 0) to top (offset 1).
    Gradient {
        /// Rectangle (x, y, w, h).
        at: (f64, f64, f64, f64),
        /// Stops.
        stops: &'a [(f64, [u8; 3])],
    },
    /// Text on a baseline through (x, y), or read upwards when `vertical` (then (x, y) is the
    /// middle of its baseline).
    Text {
        /// Anchor point.
        at: (f64, f64),
        /// The text.
        text: String,
        /// Where the anchor is.
        anchor: Anchor,
        /// Font size (12 or 13).
        size: f64,
        /// Read upwards.
        vertical: bool,
    },
}

/// A laid-out figure.
pub struct Scene<'a> {
    /// Width in pixels.
    pub width: f64,
    /// Height in pixels.
    pub height: f64,
    /// Shapes in painting order (over a white background).
    pub shapes: Vec<Shape<'a>>,
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

/// A tick label: at most three decimals, a true minus sign.
pub fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.replace('-', "−")
    }
}

fn text(at: (f64, f64), text: &str, anchor: Anchor, size: f64, vertical: bool) -> Shape<'static> {
    Shape::Text {
        at,
        text: text.to_owned(),
        anchor,
        size,
        vertical,
    }
}

/// The whole figure: panels in rows of `columns` (each with its own axes), an optional colour
/// bar at the right, a caption below.
pub fn layout<'a>(
    panels: &'a [Panel],
    columns: usize,
    bar: Option<&'a ColourBar>,
    caption: &str,
) -> Scene<'a> {
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
    let mut shapes = Vec::new();
    for (k, p) in panels.iter().enumerate() {
        let (w, h) = p.size;
        let x0 = LEFT + (k % columns) as f64 * (pw + GAP + LEFT);
        let y0 = TOP + (k / columns) as f64 * row_h;
        shapes.push(Shape::Image {
            at: (x0, y0, w, h),
            rgba: &p.rgba,
            pixels: p.pixels,
        });
        let px = |x: f64| x0 + (x - p.x.0) / (p.x.1 - p.x.0) * w;
        let py = |y: f64| y0 + (p.y.1 - y) / (p.y.1 - p.y.0) * h;
        for (colour, lw, pts) in &p.curves {
            let (colour, dashed) = colour
                .strip_suffix(" dashed")
                .map_or((*colour, false), |c| (c, true));
            shapes.push(Shape::Polyline {
                points: pts.iter().map(|&(x, y)| (px(x), py(y))).collect(),
                colour,
                width: *lw,
                dashed,
                clip: (x0, y0, w, h),
            });
        }
        shapes.push(Shape::Frame { at: (x0, y0, w, h) });
        for t in ticks(p.x.0, p.x.1) {
            let x = px(t);
            shapes.push(Shape::Tick {
                a: (x, y0 + h),
                b: (x, y0 + h + 5.0),
            });
            shapes.push(text(
                (x, y0 + h + 18.0),
                &num(t),
                Anchor::Middle,
                12.0,
                false,
            ));
        }
        for t in ticks(p.y.0, p.y.1) {
            let y = py(t);
            shapes.push(Shape::Tick {
                a: (x0 - 5.0, y),
                b: (x0, y),
            });
            shapes.push(text((x0 - 8.0, y + 4.0), &num(t), Anchor::End, 12.0, false));
        }
        shapes.push(text(
            (x0 + w / 2.0, y0 + h + 36.0),
            &p.labels.0,
            Anchor::Middle,
            12.0,
            false,
        ));
        shapes.push(text(
            (x0 - 38.0, y0 + h / 2.0),
            &p.labels.1,
            Anchor::Middle,
            12.0,
            true,
        ));
        if !p.title.is_empty() {
            shapes.push(text(
                (x0 + w / 2.0, y0 - 10.0),
                &p.title,
                Anchor::Middle,
                13.0,
                false,
            ));
        }
    }
    let x0 = LEFT + columns as f64 * (pw + GAP + LEFT) - LEFT;
    if let Some(bar) = bar {
        shapes.push(Shape::Gradient {
            at: (x0, TOP, BAR, ph),
            stops: &bar.stops,
        });
        shapes.push(Shape::Frame {
            at: (x0, TOP, BAR, ph),
        });
        for (v, y) in [(0.0, TOP + ph), (bar.max, TOP)] {
            shapes.push(text(
                (x0 + BAR + 4.0, y + 4.0),
                &num(v),
                Anchor::Start,
                12.0,
                false,
            ));
        }
        shapes.push(text(
            (x0 + BAR + 30.0, TOP + ph / 2.0),
            &bar.label,
            Anchor::Middle,
            12.0,
            true,
        ));
    }
    for (k, line) in lines.iter().enumerate() {
        shapes.push(text(
            (LEFT, rows as f64 * row_h + 14.0 + LINE_H * k as f64),
            line,
            Anchor::Start,
            12.0,
            false,
        ));
    }
    Scene {
        width,
        height,
        shapes,
    }
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
