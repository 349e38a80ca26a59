//! Pixels: density grids to RGBA images. Pure functions, tested natively.

use interplay_core::density::{Grid, exact_density};
use interplay_core::fields::FieldAt;

use crate::palette;

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
        let [r, g, b] = palette::color(scale.position(v));
        out.extend_from_slice(&[r, g, b, 255]);
    }
    out
}

/// The exact ρ(t, ·) on `grid` and its scale.
pub fn exact_image(grid: &Grid, at: &FieldAt) -> (Vec<u8>, Scale) {
    let values = exact_density(grid, at);
    let scale = Scale::fit(&values);
    (density_rgba(&values, scale), scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use interplay_core::{ExactField, Schedule, Target};

    #[test]
    fn the_image_changes_with_t_and_shows_the_board_at_the_end() {
        let f = ExactField::new(Schedule::default(), &Target::Checkerboard);
        let grid = Grid::view(40);
        let (a, _) = exact_image(&grid, &f.at(0.1));
        let (b, _) = exact_image(&grid, &f.at(0.95));
        assert_eq!(a.len(), 40 * 40 * 4);
        assert_ne!(a, b);
        // At t = 0.95 a cell centre inside the square [0,2)² is bright; one in [0,2)×[−2,0) dark.
        let px = |img: &[u8], x: f64, y: f64| {
            let i = grid.index([x, y]).expect("inside");
            img[4 * i + 1]
        };
        assert!(
            px(&b, 1.0, 1.0) > 200 && px(&b, 1.0, -1.0) < 80,
            "{} {}",
            px(&b, 1.0, 1.0),
            px(&b, 1.0, -1.0)
        );
    }
}
