//! What `interplay figure` draws from: the exact fields, or a trained model (`--model CKPT`).
//! Both give the density ρ(t, ·) on the view's grid and particles carried from ρ(0) by the
//! probability-flow ODE (RK4) to each column's time.
//!
//! A model's density is its own: log ρ̂(t, x) = log ρ(0, X_0) + ∫ ∇·b̂ along the model's flow
//! line back from (t, x), with the network's exact divergence (as the page's model density), on
//! a coarser grid than the panel ([`MODEL_GRID`]) and resampled bilinearly to it.

use interplay_core::density::{Grid, exact_density};
use interplay_core::integrate::{OdeSolver, Span, ode, tweedie};
use interplay_core::likelihood::log_rho0;
use interplay_core::sampling::initial_particles;
use interplay_core::{ExactField, ExactTarget, P2, Schedule};
use interplay_nn::sampler::{self, points_tensor};
use interplay_nn::{DeviceField, LearnedField};

use crate::error::CliError;

/// Grid points per side where a model's density is computed.
pub const MODEL_GRID: usize = 96;
/// RK4 steps of a model's likelihood flow from t = 1 back to 0 (fewer for earlier times).
pub const MODEL_LIKELIHOOD_STEPS: usize = 32;
/// Each segment's time grid shrinks towards its end like the samplers' (docs/math.md §4.3).
const WARP: f64 = 2.0;
/// Where particles stop before the Tweedie jump, and where a model's density at t = 1 is taken.
pub const T_END: f64 = 1.0 - 1e-3;

/// The fields a figure is drawn from.
// One per figure, never stored in bulk: the model's variant may be the larger.
#[allow(clippy::large_enum_variant)]
pub enum Source {
    /// The exact fields of the target.
    Exact(ExactField),
    /// A trained model, with the target its header names (for ρ(0) of the mirror path).
    Model {
        /// The learned field under the schedule in use.
        field: LearnedField,
        /// The target it was trained on.
        target: ExactTarget,
        /// What it is, for the caption ("schedule-free model trained 3000 steps").
        what: String,
    },
}

impl Source {
    /// The schedule of the drawn fields.
    pub fn schedule(&self) -> Schedule {
        match self {
            Source::Exact(f) => *f.schedule(),
            Source::Model { field, .. } => field.schedule,
        }
    }

    /// "Exact" or the model's description, for the caption.
    pub fn describe(&self) -> String {
        match self {
            Source::Exact(_) => "Exact".into(),
            Source::Model { what, .. } => format!("Learned ({what})"),
        }
    }

    fn target(&self) -> &ExactTarget {
        match self {
            Source::Exact(f) => f.target(),
            Source::Model { target, .. } => target,
        }
    }

    /// The density ρ(t, ·) on `size`² cells of the view (row-major, top row first): the target's
    /// own density at t = 1 for the exact fields, the model's likelihood at 1 − 10⁻³ for a model.
    pub fn density(&self, t: f64, size: usize) -> Result<Vec<f64>, CliError> {
        let grid = Grid::view(size);
        match self {
            Source::Exact(field) if t >= 1.0 => {
                let target = field.target();
                Ok((0..size * size)
                    .map(|k| target.log_density(grid.center(k / size, k % size)).exp())
                    .collect())
            }
            Source::Exact(field) => Ok(exact_density(&grid, &field.at_batch(t, size * size))),
            Source::Model { field, target, .. } => {
                let n = MODEL_GRID.min(size);
                let coarse = Grid::view(n);
                let pts: Vec<P2> = (0..n * n).map(|k| coarse.center(k / n, k % n)).collect();
                let log0 = log_rho0(&field.schedule, target);
                let t = t.min(T_END);
                let values: Vec<f64> = if t <= 0.0 {
                    pts.iter().map(|p| log0(*p).exp()).collect()
                } else {
                    let steps = ((t * MODEL_LIKELIHOOD_STEPS as f64).ceil() as usize).max(4);
                    let x = points_tensor(&pts, &DeviceField::device(field));
                    pollster::block_on(sampler::ode_log_likelihood(field, x, t, steps, log0))
                        .map_err(|e| CliError::failed(e.to_string()))?
                        .into_iter()
                        .map(f64::exp)
                        .collect()
                };
                if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
                    return Err(CliError::failed(format!(
                        "the model's density at t = {t} is not finite at grid point {bad}: its \
                         flow blew up"
                    )));
                }
                Ok(resample(&values, n, size))
            }
        }
    }

    /// Particles from ρ(0) carried to each of `times` (increasing) with RK4 at `per_unit` steps
    /// per unit of time; at t = 1 they take the Tweedie jump from 1 − 10⁻³. Returns where they
    /// started and where they are at each time.
    pub fn particles(
        &self,
        times: &[f64],
        n: usize,
        per_unit: usize,
        seed: u64,
    ) -> Result<(Vec<P2>, Vec<Vec<P2>>), CliError> {
        let schedule = self.schedule();
        let start = initial_particles(&schedule, self.target(), n, seed);
        let xs = start.clone();
        let t0 = schedule.t_start();
        let segments = |t: f64, to: f64| ((to - t) * per_unit as f64).ceil().max(1.0) as usize;
        let unstable = |at: f64| {
            CliError::failed(format!(
                "the ODE is unstable past t = {at:.4} with {per_unit} steps per unit time; \
                 raise --steps"
            ))
        };
        let mut out = Vec::new();
        match self {
            Source::Exact(field) => {
                let (mut xs, mut t) = (xs, t0);
                for &want in times {
                    let to = want.clamp(t0, T_END);
                    if to > t {
                        let span = Span::new(t, to, segments(t, to)).warped(WARP);
                        let report = ode(field, &mut xs, span, OdeSolver::Rk4);
                        if report.t_end < to {
                            return Err(unstable(report.t_end));
                        }
                        t = to;
                    }
                    let mut shown = xs.clone();
                    if want >= T_END {
                        tweedie(field, &mut shown, t);
                    }
                    out.push(shown);
                }
            }
            Source::Model { field, .. } => {
                let (mut x, mut t) = (points_tensor(&xs, &DeviceField::device(field)), t0);
                for &want in times {
                    let to = want.clamp(t0, T_END);
                    if to > t {
                        let span = Span::new(t, to, segments(t, to)).warped(WARP);
                        let (moved, report) = sampler::ode(field, x, span, OdeSolver::Rk4);
                        if report.t_end < to {
                            return Err(unstable(report.t_end));
                        }
                        (x, t) = (moved, to);
                    }
                    let shown = if want >= T_END {
                        field.posterior_mean(t, x.clone())
                    } else {
                        x.clone()
                    };
                    let shown = pollster::block_on(interplay_nn::read_points(shown))
                        .map_err(|e| CliError::failed(e.to_string()))?;
                    if shown
                        .iter()
                        .any(|p| !(p[0].is_finite() && p[1].is_finite()))
                    {
                        return Err(unstable(t));
                    }
                    out.push(shown);
                }
            }
        }
        Ok((start, out))
    }
}

/// Values on an n×n grid of the view resampled to m×m (bilinear between cell centres, clamped
/// at the edges).
pub fn resample(values: &[f64], n: usize, m: usize) -> Vec<f64> {
    if n == m {
        return values.to_vec();
    }
    let at = |r: usize, c: usize| values[r.min(n - 1) * n + c.min(n - 1)];
    let coord = |i: usize| {
        let u = ((i as f64 + 0.5) * n as f64 / m as f64 - 0.5).clamp(0.0, (n - 1) as f64);
        let k = u.floor() as usize;
        (k, u - k as f64)
    };
    let mut out = Vec::with_capacity(m * m);
    for i in 0..m {
        let (r, fr) = coord(i);
        for j in 0..m {
            let (c, fc) = coord(j);
            let top = at(r, c) * (1.0 - fc) + at(r, c + 1) * fc;
            let bottom = at(r + 1, c) * (1.0 - fc) + at(r + 1, c + 1) * fc;
            out.push(top * (1.0 - fr) + bottom * fr);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use interplay_core::Target;
    use interplay_nn::Checkpoint;
    use interplay_nn::device::Backend;

    /// The shipped checkpoint, under its own schedule (linear + Brownian).
    fn shipped() -> Source {
        let bytes = include_bytes!("../../../assets/checkerboard.ckpt");
        let ck = Checkpoint::from_bytes(bytes).expect("the shipped checkpoint decodes");
        let backend = Backend::cpu(None);
        let field = ck.field(&backend.device).expect("its networks load");
        Source::Model {
            field,
            target: ExactTarget::new(&Target::Checkerboard),
            what: "shipped".into(),
        }
    }

    #[test]
    fn a_models_density_is_a_density_and_lands_on_the_board() {
        let source = shipped();
        // Fine enough that cells straddling the squares' edges do not bias the sums.
        let n = 48;
        let cell = Grid::view(n).cell();
        let board = ExactTarget::new(&Target::Checkerboard);
        for t in [0.5, 1.0] {
            let rho = source.density(t, n).expect("finite");
            let mass: f64 = rho.iter().sum::<f64>() * cell * cell;
            // The view holds nearly all of ρ(t) (its tails past ±5 are tiny).
            assert!((mass - 1.0).abs() < 0.05, "t = {t}: mass {mass}");
            if t == 1.0 {
                let grid = Grid::view(n);
                let inside: f64 = (0..n * n)
                    .filter(|k| board.log_density(grid.center(k / n, k % n)).is_finite())
                    .map(|k| rho[k] * cell * cell)
                    .sum();
                assert!(inside > 0.9, "mass on the squares {inside}");
            }
        }
    }

    #[test]
    fn a_models_particles_reach_the_squares() {
        let source = shipped();
        let board = ExactTarget::new(&Target::Checkerboard);
        let (start, clouds) = source.particles(&[0.0, 1.0], 400, 100, 1).expect("stable");
        assert_eq!(clouds.len(), 2);
        // t = 0 is where they start (through the device's f32).
        for (p, q) in clouds[0].iter().zip(&start) {
            assert!((p[0] - q[0]).abs() < 1e-6 && (p[1] - q[1]).abs() < 1e-6);
        }
        let inside = clouds[1]
            .iter()
            .filter(|p| board.log_density(**p).is_finite())
            .count();
        assert!(inside > 360, "{inside} of 400 on the squares");
    }

    #[test]
    fn resampling_keeps_a_linear_ramp_and_the_grid_itself() {
        let n = 4;
        let ramp: Vec<f64> = (0..n * n).map(|k| (k % n) as f64).collect();
        assert_eq!(resample(&ramp, n, n), ramp);
        let fine = resample(&ramp, n, 8);
        // Inside the outer half-cells the ramp is linear in the column: 0.5 per fine cell.
        for row in fine.chunks(8) {
            for w in row[1..7].windows(2) {
                assert!((w[1] - w[0] - 0.5).abs() < 1e-12, "{row:?}");
            }
            assert_eq!(row[0], 0.0);
            assert_eq!(row[7], 3.0);
        }
    }
}
