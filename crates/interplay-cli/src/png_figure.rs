//! Figures as PNG: a laid-out [`Scene`] painted on an RGB canvas at 1:1, with anti-aliased
//! curves and the text in a bitmap font (the X11 fixed fonts of `embedded-graphics`, whose
//! ISO 8859-7 set has the Greek letters of the labels), so that no system font is needed. The
//! same layout as the SVG; only the typeface differs.

use embedded_graphics::mono_font::iso_8859_7::{FONT_6X13, FONT_7X13_BOLD};
use embedded_graphics::mono_font::{MonoFont, MonoTextStyle};
use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::text::{Alignment, Baseline, Text, TextStyleBuilder};

use crate::error::CliError;
use crate::scene::{Anchor, ColourBar, Panel, Scene, Shape, layout};

/// Text and frames.
const INK: [u8; 3] = [0x33, 0x33, 0x33];

/// RGB pixels as PNG bytes.
pub fn encode_png(rgb: &[u8], w: usize, h: usize) -> Result<Vec<u8>, CliError> {
    let fail = |e: png::EncodingError| CliError::failed(format!("cannot encode the PNG: {e}"));
    let mut bytes = Vec::new();
    let dims = |v: usize| u32::try_from(v).map_err(|_| CliError::usage("the figure is too large"));
    let mut encoder = png::Encoder::new(&mut bytes, dims(w)?, dims(h)?);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(rgb).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(bytes)
}

/// RGBA pixels as PNG bytes (the alpha dropped).
pub fn rgba_png(rgba: &[u8], w: usize, h: usize) -> Result<Vec<u8>, CliError> {
    let rgb: Vec<u8> = rgba
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    encode_png(&rgb, w, h)
}

/// The whole figure as PNG bytes: panels in rows of `columns`, an optional colour bar, a
/// caption (the layout of the SVG).
pub fn figure(
    panels: &[Panel],
    columns: usize,
    bar: Option<&ColourBar>,
    caption: &str,
) -> Result<Vec<u8>, CliError> {
    let scene = layout(panels, columns, bar, caption);
    let canvas = paint(&scene);
    encode_png(&canvas.rgb, canvas.w, canvas.h)
}

/// An RGB canvas.
pub struct Canvas {
    /// Width.
    pub w: usize,
    /// Height.
    pub h: usize,
    /// Pixels, row-major.
    pub rgb: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Self {
        Self {
            w,
            h,
            rgb: vec![255; w * h * 3],
        }
    }
    /// Blends `c` over pixel (x, y) with coverage `a` ∈ [0, 1].
    fn blend(&mut self, x: i64, y: i64, c: [u8; 3], a: f64) {
        if x < 0 || y < 0 || x as usize >= self.w || y as usize >= self.h || a <= 0.0 {
            return;
        }
        let i = 3 * (y as usize * self.w + x as usize);
        for (px, ck) in self.rgb[i..i + 3].iter_mut().zip(c) {
            let v = f64::from(*px) * (1.0 - a) + f64::from(ck) * a;
            *px = v.round().clamp(0.0, 255.0) as u8;
        }
    }
}

impl OriginDimensions for Canvas {
    fn size(&self) -> Size {
        Size::new(self.w as u32, self.h as u32)
    }
}

impl DrawTarget for Canvas {
    type Color = Rgb888;
    type Error = core::convert::Infallible;
    fn draw_iter<I: IntoIterator<Item = Pixel<Rgb888>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        for Pixel(p, c) in pixels {
            self.blend(i64::from(p.x), i64::from(p.y), [c.r(), c.g(), c.b()], 1.0);
        }
        Ok(())
    }
}

/// A CSS colour of the figures: `white`, `#rgb`, `#rrggbb` or `rgb(r,g,b)` (else dark grey).
pub fn parse_colour(s: &str) -> [u8; 3] {
    let hex = |h: &str| u8::from_str_radix(h, 16).ok();
    let parsed = match s.trim() {
        "white" => Some([255, 255, 255]),
        "black" => Some([0, 0, 0]),
        h if h.starts_with('#') && h.len() == 7 => {
            (|| Some([hex(&h[1..3])?, hex(&h[3..5])?, hex(&h[5..7])?]))()
        }
        h if h.starts_with('#') && h.len() == 4 => (|| {
            let d = |i: usize| hex(&h[i..=i]).map(|v| v * 17);
            Some([d(1)?, d(2)?, d(3)?])
        })(),
        r if r.starts_with("rgb(") && r.ends_with(')') => {
            let v: Vec<u8> = r[4..r.len() - 1]
                .split(',')
                .filter_map(|p| p.trim().parse().ok())
                .collect();
            (v.len() == 3).then(|| [v[0], v[1], v[2]])
        }
        _ => None,
    };
    parsed.unwrap_or(INK)
}

/// Strokes a polyline of `width` (anti-aliased by the distance of each pixel centre to the
/// curve), dashed 6 on 4 off along its length when asked, inside `clip`.
fn stroke(
    c: &mut Canvas,
    pts: &[(f64, f64)],
    colour: [u8; 3],
    width: f64,
    dashed: bool,
    clip: (f64, f64, f64, f64),
) {
    let half = 0.5 * width;
    let (cx0, cy0) = (clip.0.max(0.0), clip.1.max(0.0));
    let (cx1, cy1) = (
        (clip.0 + clip.2).min(c.w as f64),
        (clip.1 + clip.3).min(c.h as f64),
    );
    if pts.len() < 2 || cx1 <= cx0 || cy1 <= cy0 {
        return;
    }
    let (ox, oy) = (cx0.floor() as i64, cy0.floor() as i64);
    let (bw, bh) = (
        (cx1.ceil() as i64 - ox) as usize,
        (cy1.ceil() as i64 - oy) as usize,
    );
    let mut cover = vec![0.0f64; bw * bh];
    let mut along = 0.0;
    for seg in pts.windows(2) {
        let ((ax, ay), (bx, by)) = (seg[0], seg[1]);
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let len = len2.sqrt();
        let r = half + 1.0;
        let x_lo = ((ax.min(bx) - r).floor().max(cx0) as i64).max(ox);
        let x_hi = ((ax.max(bx) + r).ceil().min(cx1) as i64).min(ox + bw as i64);
        let y_lo = ((ay.min(by) - r).floor().max(cy0) as i64).max(oy);
        let y_hi = ((ay.max(by) + r).ceil().min(cy1) as i64).min(oy + bh as i64);
        for y in y_lo..y_hi {
            for x in x_lo..x_hi {
                let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
                let u = if len2 > 0.0 {
                    (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let d = (px - ax - u * dx).hypot(py - ay - u * dy);
                let mut a = (half + 0.5 - d).clamp(0.0, 1.0);
                if dashed && (along + u * len) % 10.0 >= 6.0 {
                    a = 0.0;
                }
                let k = (y - oy) as usize * bw + (x - ox) as usize;
                cover[k] = cover[k].max(a);
            }
        }
        along += len;
    }
    for (k, a) in cover.iter().enumerate() {
        c.blend(ox + (k % bw) as i64, oy + (k / bw) as i64, colour, *a);
    }
}

/// The characters of `s` the bitmap font has: true minus and dashes as '-', subscript digits
/// as digits (others become the font's '?').
fn printable(s: &str) -> String {
    s.chars()
        .map(|ch| match ch {
            '−' | '–' | '—' => '-',
            '₀'..='₉' => char::from(b'0' + (ch as u32 - '₀' as u32) as u8),
            other => other,
        })
        .collect()
}

fn font(size: f64) -> &'static MonoFont<'static> {
    if size > 12.5 {
        &FONT_7X13_BOLD
    } else {
        &FONT_6X13
    }
}

/// Draws text with its baseline through (x, y), anchored as asked, or read upwards.
fn text(c: &mut Canvas, at: (f64, f64), s: &str, anchor: Anchor, size: f64, vertical: bool) {
    let s = printable(s);
    let font = font(size);
    let style = MonoTextStyle::new(font, Rgb888::new(INK[0], INK[1], INK[2]));
    let align = match anchor {
        Anchor::Start => Alignment::Left,
        Anchor::Middle => Alignment::Center,
        Anchor::End => Alignment::Right,
    };
    let layout = TextStyleBuilder::new()
        .alignment(align)
        .baseline(Baseline::Alphabetic)
        .build();
    if !vertical {
        let p = Point::new(at.0.round() as i32, at.1.round() as i32);
        let _ = Text::with_text_style(&s, p, style, layout).draw(c);
        return;
    }
    // Upwards: draw on a strip, then turn it a quarter to the left about its baseline's middle.
    let n = s.chars().count();
    let (tw, th) = (
        n * font.character_size.width as usize + 2,
        font.character_size.height as usize,
    );
    let mut strip = Canvas::new(tw, th);
    let base = th as i32 - font.baseline as i32 - 1;
    let _ = Text::with_text_style(&s, Point::new(1, th as i32 - base), style, layout_left())
        .draw(&mut strip);
    let (x0, y0) = (
        at.0.round() as i64 - (th as i64 - base as i64),
        at.1.round() as i64 + tw as i64 / 2,
    );
    for j in 0..th {
        for i in 0..tw {
            let o = 3 * (j * tw + i);
            let px = [strip.rgb[o], strip.rgb[o + 1], strip.rgb[o + 2]];
            if px != [255, 255, 255] {
                c.blend(x0 + j as i64, y0 - i as i64, px, 1.0);
            }
        }
    }
}

fn layout_left() -> embedded_graphics::text::TextStyle {
    TextStyleBuilder::new()
        .alignment(Alignment::Left)
        .baseline(Baseline::Alphabetic)
        .build()
}

/// Paints `scene` on white.
pub fn paint(scene: &Scene<'_>) -> Canvas {
    let mut c = Canvas::new(scene.width.ceil() as usize, scene.height.ceil() as usize);
    let full = (0.0, 0.0, scene.width, scene.height);
    for shape in &scene.shapes {
        match shape {
            Shape::Image { at, rgba, pixels } => {
                let (x0, y0, w, h) = *at;
                let (pw, ph) = *pixels;
                for y in y0.round() as i64..(y0 + h).round() as i64 {
                    let sy = (((y as f64 + 0.5 - y0) / h * ph as f64) as usize).min(ph - 1);
                    for x in x0.round() as i64..(x0 + w).round() as i64 {
                        let sx = (((x as f64 + 0.5 - x0) / w * pw as f64) as usize).min(pw - 1);
                        let o = 4 * (sy * pw + sx);
                        let a = f64::from(rgba[o + 3]) / 255.0;
                        c.blend(x, y, [rgba[o], rgba[o + 1], rgba[o + 2]], a);
                    }
                }
            }
            Shape::Polyline {
                points,
                colour,
                width,
                dashed,
                clip,
            } => stroke(&mut c, points, parse_colour(colour), *width, *dashed, *clip),
            Shape::Frame { at: (x, y, w, h) } => {
                let (x1, y1) = (x + w, y + h);
                let ring = [(*x, *y), (x1, *y), (x1, y1), (*x, y1), (*x, *y)];
                stroke(&mut c, &ring, INK, 1.0, false, full);
            }
            Shape::Tick { a, b } => stroke(&mut c, &[*a, *b], INK, 1.0, false, full),
            Shape::Gradient {
                at: (x0, y0, w, h),
                stops,
            } => {
                for y in y0.round() as i64..(y0 + h).round() as i64 {
                    let o = 1.0 - (y as f64 + 0.5 - y0) / h;
                    let colour = gradient_at(stops, o);
                    for x in x0.round() as i64..(x0 + w).round() as i64 {
                        c.blend(x, y, colour, 1.0);
                    }
                }
            }
            Shape::Text {
                at,
                text: s,
                anchor,
                size,
                vertical,
            } => text(&mut c, *at, s, *anchor, *size, *vertical),
        }
    }
    c
}

/// The colour at offset `o` of linear stops.
fn gradient_at(stops: &[(f64, [u8; 3])], o: f64) -> [u8; 3] {
    let Some(first) = stops.first() else {
        return INK;
    };
    let mut prev = *first;
    for &(so, sc) in stops {
        if o <= so {
            let f = if so > prev.0 {
                (o - prev.0) / (so - prev.0)
            } else {
                1.0
            };
            let f = f.clamp(0.0, 1.0);
            return [0, 1, 2]
                .map(|k| (f64::from(prev.1[k]) * (1.0 - f) + f64::from(sc[k]) * f).round() as u8);
        }
        prev = (so, sc);
    }
    prev.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_and_gradients_interpolate() {
        assert_eq!(parse_colour("#ff40a0"), [255, 64, 160]);
        assert_eq!(parse_colour("#333"), [51, 51, 51]);
        assert_eq!(parse_colour("rgb(1, 2, 3)"), [1, 2, 3]);
        assert_eq!(parse_colour("white"), [255, 255, 255]);
        let stops = [(0.0, [0, 0, 0]), (1.0, [200, 100, 0])];
        assert_eq!(gradient_at(&stops, 0.5), [100, 50, 0]);
        assert_eq!(gradient_at(&stops, 2.0), [200, 100, 0]);
        assert_eq!(printable("−2.5 x₁ ρ"), "-2.5 x1 ρ");
    }

    #[test]
    fn a_stroke_covers_its_width_and_a_dashed_one_has_gaps() {
        let mut c = Canvas::new(40, 10);
        stroke(
            &mut c,
            &[(0.0, 5.0), (40.0, 5.0)],
            [0, 0, 0],
            2.0,
            false,
            (0.0, 0.0, 40.0, 10.0),
        );
        let dark = |c: &Canvas, x: usize, y: usize| c.rgb[3 * (y * 40 + x)] < 128;
        assert!((0..40).all(|x| dark(&c, x, 4) && dark(&c, x, 5)));
        assert!((0..40).all(|x| !dark(&c, x, 2) && !dark(&c, x, 7)));
        let mut d = Canvas::new(40, 10);
        stroke(
            &mut d,
            &[(0.0, 5.0), (40.0, 5.0)],
            [0, 0, 0],
            2.0,
            true,
            (0.0, 0.0, 40.0, 10.0),
        );
        let on = (0..40).filter(|&x| dark(&d, x, 5)).count();
        assert!((20..=28).contains(&on), "{on} of 40 pixels dashed on");
    }
}
