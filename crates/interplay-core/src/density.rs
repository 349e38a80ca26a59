//! Density grids on a square window: histograms of points and the exact ρ(t, ·).
//!
//! Cells are stored row-major with row 0 at the **top** (largest y), so a grid maps directly onto
//! image pixels.

use crate::P2;
use crate::fields::FieldAt;

/// Half the side of the views' window [−VIEW_HALF, VIEW_HALF]²: what the heat map, the particles,
/// the arrows and a drawing cover.
pub const VIEW_HALF: f64 = 5.0;

/// An n×n grid of square cells over [lo, hi]².
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    /// Lower edge of the window (both axes).
    pub lo: f64,
    /// Upper edge of the window (both axes).
    pub hi: f64,
    /// Cells per side.
    pub n: usize,
}

impl Grid {
    /// The view window of the app, [−VIEW_HALF, VIEW_HALF]², with n cells per side.
    pub fn view(n: usize) -> Self {
        Self {
            lo: -VIEW_HALF,
            hi: VIEW_HALF,
            n,
        }
    }
    /// Side of one cell.
    pub fn cell(&self) -> f64 {
        (self.hi - self.lo) / self.n as f64
    }
    /// Centre of cell (row, col).
    pub fn center(&self, row: usize, col: usize) -> P2 {
        let h = self.cell();
        [
            self.lo + (col as f64 + 0.5) * h,
            self.hi - (row as f64 + 0.5) * h,
        ]
    }
    /// The flat index of the cell holding x, if x is inside the window.
    pub fn index(&self, x: P2) -> Option<usize> {
        let h = self.cell();
        let col = ((x[0] - self.lo) / h).floor();
        let row = ((self.hi - x[1]) / h).floor();
        let n = self.n as f64;
        ((0.0..n).contains(&col) && (0.0..n).contains(&row))
            .then(|| row as usize * self.n + col as usize)
    }
}

/// The histogram of `xs` as a density (count / (N·cell area)); points outside are dropped.
pub fn histogram(grid: &Grid, xs: &[P2]) -> Vec<f64> {
    let mut out = vec![0.0; grid.n * grid.n];
    let w = 1.0 / (xs.len().max(1) as f64 * grid.cell() * grid.cell());
    for x in xs {
        if let Some(i) = grid.index(*x) {
            out[i] += w;
        }
    }
    out
}

/// The exact ρ(t, ·) at the cell centres.
pub fn exact_density(grid: &Grid, at: &FieldAt) -> Vec<f64> {
    let mut out = Vec::with_capacity(grid.n * grid.n);
    for row in 0..grid.n {
        for col in 0..grid.n {
            out.push(at.log_rho(grid.center(row, col)).exp());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ExactField, Rng, Schedule, Target};

    #[test]
    fn histogram_converges_to_the_exact_density() {
        let f = ExactField::new(Schedule::default(), &Target::Checkerboard);
        let t = 0.6;
        let at = f.at(t);
        let mut r = Rng::new(1);
        let xs: Vec<P2> = Target::Checkerboard
            .sample(&mut r, 400_000)
            .into_iter()
            .map(|x1| at.st.xt(r.normal2(), x1, r.normal2()))
            .collect();
        let g = Grid::view(20);
        let (h, e) = (histogram(&g, &xs), exact_density(&g, &at));
        let area = g.cell() * g.cell();
        let l1: f64 = h.iter().zip(&e).map(|(a, b)| (a - b).abs() * area).sum();
        // Sampling noise plus the midpoint-rule error of ρ over a 0.5-wide cell.
        assert!(l1 < 0.04, "L1 {l1}");
        let mass: f64 = e.iter().sum::<f64>() * area;
        assert!((mass - 1.0).abs() < 0.02, "exact mass in the window {mass}");
    }

    #[test]
    fn grid_indexing_is_image_order() {
        let g = Grid::view(10);
        assert_eq!(g.index([-4.9, 4.9]), Some(0));
        assert_eq!(g.index([4.9, -4.9]), Some(99));
        assert_eq!(g.index([5.1, 0.0]), None);
        let c = g.center(0, 9);
        assert_eq!(g.index(c), Some(9));
    }

    /// No schedule and target panics or draws nothing at the ends of the slider: the mirror
    /// path at t = 0 (x_t = x1, σ = 0) once built a checkerboard table of infinite size.
    #[test]
    fn every_schedule_and_target_draws_at_both_ends() {
        use crate::schedule::{GammaFamily, Path};
        let g = Grid::view(64);
        let area = g.cell() * g.cell();
        for path in Path::ALL {
            for gamma in [
                GammaFamily::Brownian,
                GammaFamily::SinSquared,
                GammaFamily::Zero,
            ] {
                let s = Schedule {
                    gamma,
                    ..Schedule::preset(path)
                };
                if !s.validate().is_empty() {
                    continue;
                }
                for name in Target::NAMES {
                    let f = ExactField::new(s, &Target::from_name(name).expect("a named target"));
                    for t in [0.0, 1.0] {
                        // The raw time must not panic either (the table refuses σ = 0).
                        let _ = f.at_batch(t, 1 << 20).log_rho([0.5, -0.5]);
                        // The particles start at t_start with a finite velocity.
                        let v = f.at_batch(s.t_start(), 4096).velocity([0.5, -0.5]);
                        assert!(
                            v.iter().all(|c| c.is_finite()),
                            "{path:?} {gamma:?} {name}: {v:?}"
                        );
                        let tv = s.view_time(t);
                        let e = exact_density(&g, &f.at_batch(tv, g.n * g.n));
                        let mass: f64 = e.iter().sum::<f64>() * area;
                        assert!(
                            e.iter().all(|v| v.is_finite()) && mass > 0.5,
                            "{path:?} {gamma:?} {name} t = {t} (drawn at {tv}): mass {mass}"
                        );
                    }
                }
            }
        }
    }
}
