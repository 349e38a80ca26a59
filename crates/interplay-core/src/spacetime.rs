//! The space–time figure of an interpolant on the line: the density ρ(t, x) over the whole
//! rectangle t ∈ [0, 1] (left to right), x in the views' window (bottom to top) — the Eulerian
//! picture at all times at once — with the flow lines of the probability-flow ODE over it (the
//! Lagrangian picture) and, when ε > 0, paths of the SDE. Pure: the page's viewer draws it, `interplay figure` writes it.

use crate::density::VIEW_HALF;
use crate::integrate::{self, Eps, OdeSolver, SdeSolver, Span, VIEW_T_END};
use crate::line::{LineField, LineTarget};
use crate::palette::{Scale, density_rgba};
use crate::sampling::streams;
use crate::{P2, Rng, Schedule};

/// Pixels of the figure.
pub const WIDTH: usize = 480;
/// Pixels of the figure.
pub const HEIGHT: usize = 240;
/// Density cells along t (each 3 pixels wide).
const NT: usize = 160;
/// Density cells along x (each 2 pixels high).
const NX: usize = 120;
/// Flow lines drawn.
pub const LINES: usize = 17;
/// SDE paths drawn when ε > 0.
pub const PATHS: usize = 10;
/// Steps of the flow lines over [t0, VIEW_T_END] (a grid finer near t = 1).
const STEPS: usize = 240;

/// The figure: the heat map's pixels and the curves in (t, x) coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct SpaceTime {
    /// WIDTH × HEIGHT RGBA pixels, row 0 at the top (x = VIEW_HALF).
    pub rgba: Vec<u8>,
    /// The top of the colour scale.
    pub max: f64,
    /// The ODE's flow lines from quantiles of ρ(t0), each a list of (t, x).
    pub lines: Vec<Vec<(f64, f64)>>,
    /// SDE paths (empty at ε = 0).
    pub paths: Vec<Vec<(f64, f64)>>,
}

/// `n` quantiles (k + ½)/n of ρ(t, ·), from its cdf on a fine grid.
fn quantiles(field: &LineField, t: f64, n: usize) -> Vec<f64> {
    let (lo, hi, m) = (-3.0 * VIEW_HALF, 3.0 * VIEW_HALF, 6000);
    let h = (hi - lo) / m as f64;
    let mut cdf = Vec::with_capacity(m + 1);
    let mut acc = 0.0;
    cdf.push(0.0);
    for i in 0..m {
        acc += h * field.rho(t, lo + (i as f64 + 0.5) * h);
        cdf.push(acc);
    }
    (0..n)
        .map(|k| {
            let q = (k as f64 + 0.5) / n as f64 * acc;
            let i = cdf.partition_point(|&c| c < q).clamp(1, m);
            let (a, b) = (cdf[i - 1], cdf[i]);
            let f = if b > a { (q - a) / (b - a) } else { 0.5 };
            lo + (i as f64 - 1.0 + f) * h
        })
        .collect()
}

/// The curves from `starts`: step by step over `span`, recording (t, x) after each step, and
/// ending a curve where the stability rule refuses a step (near t = 1 on a sharp target).
fn curves(
    starts: &[f64],
    span: Span,
    mut step: impl FnMut(&mut [P2], Span) -> usize,
) -> Vec<Vec<(f64, f64)>> {
    let mut xs: Vec<P2> = starts.iter().map(|&x| [x, 0.0]).collect();
    let mut out: Vec<Vec<(f64, f64)>> = starts.iter().map(|&x| vec![(span.t0, x)]).collect();
    for i in 0..span.steps {
        let (t, tn) = (span.time(i), span.time(i + 1));
        if step(&mut xs, Span::new(t, tn, 1)) == 0 {
            break;
        }
        for (c, x) in out.iter_mut().zip(&xs) {
            c.push((tn, x[0]));
        }
    }
    out
}

/// The time grid of the flow lines: [t0, VIEW_T_END] in 240 steps, finer near t = 1.
pub fn flow_span(schedule: &Schedule) -> Span {
    Span::new(schedule.t_start(), VIEW_T_END, STEPS).warped(2.0)
}

/// Where the flow lines start: the [`LINES`] quantiles (k + ½)/LINES of ρ(t0).
pub fn flow_starts(schedule: &Schedule, target: &LineTarget) -> Vec<f64> {
    let field = LineField::new(*schedule, target.clone());
    quantiles(&field, schedule.t_start(), LINES)
}

impl SpaceTime {
    /// The figure of `target` under `schedule`, with SDE paths of noise `eps` drawn with `seed`.
    pub fn new(schedule: Schedule, target: LineTarget, eps: f64, seed: u64) -> Self {
        let field = LineField::new(schedule, target);
        let mut values = vec![0.0; NT * NX];
        for col in 0..NT {
            let t = ((col as f64 + 0.5) / NT as f64).min(VIEW_T_END);
            for row in 0..NX {
                let x = VIEW_HALF - (row as f64 + 0.5) / NX as f64 * 2.0 * VIEW_HALF;
                values[row * NT + col] = field.rho(t, x);
            }
        }
        let scale = Scale::fit(&values);
        let cells = density_rgba(&values, scale);
        let mut rgba = vec![0u8; WIDTH * HEIGHT * 4];
        for py in 0..HEIGHT {
            for px in 0..WIDTH {
                let c = 4 * ((py * NX / HEIGHT) * NT + px * NT / WIDTH);
                let o = 4 * (py * WIDTH + px);
                rgba[o..o + 4].copy_from_slice(&cells[c..c + 4]);
            }
        }
        let t0 = schedule.t_start();
        let span = flow_span(&schedule);
        let lines = curves(&quantiles(&field, t0, LINES), span, |xs, s| {
            integrate::ode(&field, xs, s, OdeSolver::Rk4).steps
        });
        let paths = if eps > 0.0 {
            let mut rng = Rng::stream(seed, streams::SPACETIME_PATHS);
            let starts = quantiles(&field, t0, PATHS);
            curves(&starts, span, |xs, s| {
                integrate::sde(
                    &field,
                    xs,
                    s,
                    Eps::Constant(eps),
                    SdeSolver::EulerMaruyama,
                    &mut rng,
                )
                .steps
            })
        } else {
            Vec::new()
        };
        Self {
            rgba,
            max: scale.max,
            lines,
            paths,
        }
    }

    /// The pixel of (t, x).
    pub fn pixel(t: f64, x: f64) -> (f64, f64) {
        (
            t * WIDTH as f64,
            (VIEW_HALF - x) / (2.0 * VIEW_HALF) * HEIGHT as f64,
        )
    }
}

/// What a click at (t, x) shows: conditional paths t′ ↦ α(t′)x0 + β(t′)x1 + γ(t′)z of random
/// triples whose x_t falls within [`PICK_HALF_WIDTH`] of x, the marginal flow line through
/// (t, x), and the velocities there: the exact b(t, x) and the mean of the conditional
/// velocities α̇x0 + β̇x1 + γ̇z of the triples (b is their expectation given x_t = x).
#[derive(Clone, Debug, PartialEq)]
pub struct Pick {
    /// The point picked.
    pub t: f64,
    /// The point picked.
    pub x: f64,
    /// Conditional paths over [0, 1], each a list of (t, x).
    pub paths: Vec<Vec<(f64, f64)>>,
    /// The flow line of the ODE through (t, x), backward to t0 and forward to the end.
    pub flow: Vec<(f64, f64)>,
    /// b(t, x).
    pub b: f64,
    /// The mean conditional velocity of the triples kept.
    pub mean: f64,
    /// Triples kept.
    pub n: usize,
}

/// Half the width of the neighbourhood of x whose triples a pick keeps.
pub const PICK_HALF_WIDTH: f64 = 0.1;
/// Conditional paths a pick keeps.
pub const PICK_PATHS: usize = 40;

impl Pick {
    /// The pick at (t, x) of `target` under `schedule`, its triples drawn with `seed`.
    pub fn new(schedule: Schedule, target: LineTarget, t: f64, x: f64, seed: u64) -> Self {
        let t = t.clamp(schedule.t_start(), VIEW_T_END);
        let st = schedule.at(t);
        let mut rng = Rng::stream(seed, streams::SPACETIME_PICK);
        let (mut kept, mut velocities) = (Vec::new(), Vec::new());
        // Velocities of up to 50× more triples than paths drawn, for a steadier mean.
        let mut drawn = 0;
        while velocities.len() < 50 * PICK_PATHS && drawn < 2_000_000 {
            for y in target.sample(&mut rng, 4096) {
                let (x0, z) = (rng.normal(), rng.normal());
                if (st.alpha * x0 + st.beta * y + st.gamma * z - x).abs() <= PICK_HALF_WIDTH {
                    velocities.push(st.d_alpha * x0 + st.d_beta * y + st.d_gamma * z);
                    if kept.len() < PICK_PATHS {
                        kept.push((x0, y, z));
                    }
                }
            }
            drawn += 4096;
        }
        let grid = |i: usize| i as f64 / 100.0;
        let paths = kept
            .iter()
            .map(|&(x0, y, z)| {
                (0..=100)
                    .map(|i| {
                        let a = schedule.at(grid(i).min(VIEW_T_END));
                        (grid(i), a.alpha * x0 + a.beta * y + a.gamma * z)
                    })
                    .collect()
            })
            .collect();
        let field = LineField::new(schedule, target);
        let b = field.point(t, x).b;
        let n = velocities.len();
        let mean = velocities.iter().sum::<f64>() / n.max(1) as f64;
        let t0 = schedule.t_start();
        let ode = |to: f64| {
            let steps = ((to - t).abs() * STEPS as f64).ceil() as usize;
            curves(&[x], Span::new(t, to, steps.max(1)), |xs, s| {
                integrate::ode(&field, xs, s, OdeSolver::Rk4).steps
            })
            .remove(0)
        };
        let mut flow = ode(t0);
        flow.reverse();
        flow.extend(ode(VIEW_T_END).into_iter().skip(1));
        Self {
            t,
            x,
            paths,
            flow,
            b,
            mean,
            n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Path;

    #[test]
    fn the_figure_shows_the_gaussian_on_the_left_and_the_target_on_the_right() {
        let target = LineTarget::from_name("bars").expect("named");
        let f = SpaceTime::new(Schedule::preset(Path::Linear), target, 0.0, 1);
        assert_eq!(f.rgba.len(), WIDTH * HEIGHT * 4);
        // The green channel (the palette brightens with density) at (t, x).
        let g = |t: f64, x: f64| {
            let (px, py) = SpaceTime::pixel(t, x);
            f.rgba[4 * (py as usize * WIDTH + px as usize) + 1]
        };
        // At t ≈ 0 the Gaussian is brightest at 0; at t ≈ 1 the bars are bright, the gaps dark.
        assert!(
            g(0.01, 0.0) > g(0.01, 3.0),
            "{} {}",
            g(0.01, 0.0),
            g(0.01, 3.0)
        );
        assert!(
            g(0.99, 2.75) > 150 && g(0.99, 1.25) < 60,
            "{} {}",
            g(0.99, 2.75),
            g(0.99, 1.25)
        );
        // Every flow line runs to the end and lands on a bar; the lines never cross.
        assert_eq!(f.lines.len(), LINES);
        let gap = |x: f64| {
            [(-3.5, -2.5), (-1.0, 0.5), (2.0, 3.5)]
                .iter()
                .map(|&(a, b): &(f64, f64)| (a - x).max(x - b).max(0.0))
                .fold(f64::INFINITY, f64::min)
        };
        for w in f.lines.windows(2) {
            for (a, b) in w[0].iter().zip(&w[1]) {
                assert!(a.1 < b.1, "flow lines cross at t = {}", a.0);
            }
        }
        for l in &f.lines {
            let &(t, x) = l.last().expect("a point");
            assert!(t > 0.99 && gap(x) < 0.15, "ends at ({t}, {x})");
        }
        assert!(f.paths.is_empty());
        let noisy = SpaceTime::new(
            Schedule::preset(Path::Linear),
            LineTarget::from_name("bars").expect("named"),
            0.5,
            1,
        );
        assert_eq!(noisy.paths.len(), PATHS);
        assert_eq!(noisy.rgba, f.rgba, "ε moves the paths, not the density");
    }

    #[test]
    fn a_pick_shows_conditional_paths_through_it_whose_mean_velocity_is_b() {
        for (t, x) in [(0.5, 1.0), (0.3, -0.8), (0.8, 2.5)] {
            let target = LineTarget::from_name("gmm").expect("named");
            let p = Pick::new(Schedule::preset(Path::Linear), target, t, x, 4);
            assert_eq!(p.paths.len(), PICK_PATHS);
            assert!(p.n >= 50 * PICK_PATHS);
            // Every conditional path passes within the neighbourhood at t (grid times are
            // hundredths, so t = 0.5 is on the grid).
            let k = (t * 100.0).round() as usize;
            for path in &p.paths {
                assert!((path[k].1 - x).abs() <= PICK_HALF_WIDTH + 1e-9, "{path:?}");
            }
            // b is the conditional expectation: the mean of 2000 velocities is close (the
            // window adds a bias of order its width times ∂b).
            let se = 3.0 / (p.n as f64).sqrt();
            assert!(
                (p.mean - p.b).abs() < 4.0 * se + 0.05,
                "t={t} x={x}: {} vs {}",
                p.mean,
                p.b
            );
            // The flow line runs from t0 to the end through (t, x).
            assert_eq!(p.flow.first().map(|q| q.0), Some(0.0));
            assert!(p.flow.last().is_some_and(|q| q.0 > 0.99));
            let through = p
                .flow
                .iter()
                .find(|q| (q.0 - t).abs() < 1e-12)
                .expect("passes t");
            assert!((through.1 - x).abs() < 1e-12);
        }
    }
}
