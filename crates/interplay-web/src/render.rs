//! Pixels: density grids to RGBA images (pure functions, tested natively), and the screen's
//! pixel ratio.

use interplay_core::density::{Grid, exact_density};
use interplay_core::fields::FieldAt;

pub use interplay_core::palette::{Scale, density_rgba};

/// The exact ρ(t, ·) on `grid` and its scale.
pub fn exact_image(grid: &Grid, at: &FieldAt) -> (Vec<u8>, Scale) {
    let values = exact_density(grid, at);
    let scale = Scale::fit(&values);
    (density_rgba(&values, scale), scale)
}

/// The device's pixel ratio, within [1, 3] (1 where there is no window): the canvases have that
/// many device pixels for each of their raster's.
pub fn pixel_ratio() -> f64 {
    web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .clamp(1.0, 3.0)
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
