//! A colour-blind-safe sequential palette (viridis anchors, linear in sRGB between them), and
//! density grids as pixels in it. Shared by the page and `interplay figure`.

/// The anchors of viridis at 0, 1/9, …, 1 (public-domain colour map).
const ANCHORS: [[u8; 3]; 10] = [
    [0x44, 0x01, 0x54],
    [0x48, 0x28, 0x78],
    [0x3e, 0x49, 0x89],
    [0x31, 0x68, 0x8e],
    [0x26, 0x82, 0x8e],
    [0x1f, 0x9e, 0x89],
    [0x35, 0xb7, 0x79],
    [0x6e, 0xce, 0x58],
    [0xb5, 0xde, 0x2b],
    [0xfd, 0xe7, 0x25],
];

/// The colour of v ∈ [0, 1] (clamped; NaN maps to 0).
pub fn color(v: f64) -> [u8; 3] {
    let v = if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
    let pos = v * (ANCHORS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(ANCHORS.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    [0, 1, 2].map(|c| (a[c] as f64 + f * (b[c] as f64 - a[c] as f64)).round() as u8)
}

/// CSS `linear-gradient` stops of the palette, for legends.
pub fn css_gradient() -> String {
    let stops: Vec<String> = ANCHORS
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "#{:02x}{:02x}{:02x} {:.1}%",
                c[0],
                c[1],
                c[2],
                100.0 * i as f64 / 9.0
            )
        })
        .collect();
    format!("linear-gradient(to right, {})", stops.join(", "))
}

/// How densities map to colours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// The density drawn in the top colour.
    pub max: f64,
}

impl Scale {
    /// A scale whose top is the largest value of `values` (at least 1e-12).
    pub fn fit(values: &[f64]) -> Self {
        Self {
            max: values
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(1e-12, f64::max),
        }
    }
    /// The palette position of a density: a square-root scale, which keeps the low-density tails
    /// visible without washing out the peaks.
    pub fn position(&self, rho: f64) -> f64 {
        (rho / self.max).max(0.0).sqrt()
    }
}

/// RGBA pixels (row-major, row 0 at the top) of a density grid.
pub fn density_rgba(values: &[f64], scale: Scale) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 4);
    for &v in values {
        let [r, g, b] = color(scale.position(v));
        out.extend_from_slice(&[r, g, b, 255]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_and_monotone_lightness() {
        assert_eq!(color(0.0), ANCHORS[0]);
        assert_eq!(color(1.0), ANCHORS[9]);
        assert_eq!(color(f64::NAN), ANCHORS[0]);
        assert_eq!(color(7.0), ANCHORS[9]);
        // Perceived lightness rises monotonically (a sequential palette).
        let lum = |c: [u8; 3]| 0.2126 * c[0] as f64 + 0.7152 * c[1] as f64 + 0.0722 * c[2] as f64;
        let mut prev = -1.0;
        for i in 0..=100 {
            let l = lum(color(i as f64 / 100.0));
            assert!(l >= prev - 0.5, "lightness drops at {i}");
            prev = l;
        }
        assert!(css_gradient().starts_with("linear-gradient(to right, #440154 0.0%"));
    }
}
