//! Conditional paths against the marginal flow in the plane: what a click at x in the
//! Lagrangian view at time t shows (docs/math.md §2: b = E[ẋ_t | x_t = x]).
//!
//! Random triples (x0, x1, z) whose interpolant x_t = α(t)x0 + β(t)x1 + γ(t)z falls within
//! [`RADIUS`] of x each trace a conditional path s ↦ α(s)x0 + β(s)x1 + γ(s)z over [0, 1]
//! (straight for the linear path without γ, schedule-shaped otherwise), and each has a
//! conditional velocity α̇x0 + β̇x1 + γ̇z at t. Their paths cross each other; the marginal flow
//! line of the ODE through (t, x) does not cross any other. The exact velocity b(t, x) is the
//! expectation of the conditional velocities given x_t = x, so their mean over the small disc
//! is b up to the disc's width and the sampling noise: the picture of why regressing on
//! conditional velocities learns b.

use crate::fields::ExactField;
use crate::integrate::{self, OdeSolver, Span, VIEW_T_END};
use crate::sampling::streams;
use crate::{P2, Rng};

/// Radius of the disc around x whose triples a pick keeps.
pub const RADIUS: f64 = 0.25;
/// Conditional paths a pick draws.
pub const PATHS: usize = 30;
/// Triples whose velocities are averaged (or as many as [`MAX_DRAWS`] draws find).
pub const VELOCITIES: usize = 3000;
/// Most triples drawn for one pick.
pub const MAX_DRAWS: usize = 2_000_000;
/// Points per conditional path and RK4 steps per unit time of the flow line.
const STEPS: usize = 100;

/// A pick at (t, x) in the plane.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanePick {
    /// The time of the pick (clamped into the views' range).
    pub t: f64,
    /// The point picked.
    pub x: P2,
    /// Conditional paths over [0, 1], 101 points each (t = 0, 0.01, …, 1).
    pub paths: Vec<Vec<P2>>,
    /// The flow line of the exact ODE through (t, x), from the start of the flow to its end.
    pub flow: Vec<P2>,
    /// The exact velocity b(t, x).
    pub b: P2,
    /// The mean conditional velocity of the triples kept.
    pub mean: P2,
    /// Triples kept.
    pub n: usize,
    /// Triples drawn.
    pub drawn: usize,
}

impl PlanePick {
    /// The pick at (t, x) for `field`, its triples drawn with `seed`.
    pub fn new(field: &ExactField, t: f64, x: P2, seed: u64) -> Self {
        let schedule = *field.schedule();
        let t = t.clamp(schedule.t_start(), VIEW_T_END);
        let st = schedule.at(t);
        let mut rng = Rng::stream(seed, streams::PLANE_PICK);
        let (mut kept, mut sum, mut n, mut drawn) = (Vec::new(), [0.0, 0.0], 0, 0);
        while n < VELOCITIES && drawn < MAX_DRAWS {
            for x1 in field.target().sample(&mut rng, 4096) {
                let (x0, z) = (rng.normal2(), rng.normal2());
                let xt = st.xt(x0, x1, z);
                if n < VELOCITIES && (xt[0] - x[0]).hypot(xt[1] - x[1]) <= RADIUS {
                    let v = st.dxt(x0, x1, z);
                    sum = [sum[0] + v[0], sum[1] + v[1]];
                    n += 1;
                    if kept.len() < PATHS {
                        kept.push((x0, x1, z));
                    }
                }
            }
            drawn += 4096;
        }
        let at = |s: f64| schedule.at(s.clamp(schedule.t_start(), VIEW_T_END));
        let paths = kept
            .iter()
            .map(|&(x0, x1, z)| {
                (0..=STEPS)
                    .map(|i| at(i as f64 / STEPS as f64).xt(x0, x1, z))
                    .collect()
            })
            .collect();
        let mut flow = flow_line(field, x, t, schedule.t_start());
        flow.reverse();
        flow.extend(flow_line(field, x, t, VIEW_T_END).into_iter().skip(1));
        let mean = if n > 0 {
            [sum[0] / n as f64, sum[1] / n as f64]
        } else {
            [f64::NAN, f64::NAN]
        };
        Self {
            t,
            x,
            paths,
            flow,
            b: field.at(t).velocity(x),
            mean,
            n,
            drawn,
        }
    }

    /// Where each conditional path is at time `s`.
    pub fn at(&self, s: f64) -> Vec<P2> {
        let k = (s.clamp(0.0, 1.0) * STEPS as f64).round() as usize;
        self.paths.iter().map(|p| p[k.min(p.len() - 1)]).collect()
    }
}

/// The exact ODE's path from (t, x) to `to` (either direction), one point per RK4 step; it ends
/// early where the stability rule stops the flow.
fn flow_line(field: &ExactField, x: P2, t: f64, to: f64) -> Vec<P2> {
    let steps = (((to - t).abs() * STEPS as f64).ceil() as usize).max(1);
    let span = Span::new(t, to, steps).warped(2.0);
    let mut out = vec![x];
    let mut xs = [x];
    for i in 0..steps {
        let (a, b) = (span.time(i), span.time(i + 1));
        if integrate::ode(field, &mut xs, Span::new(a, b, 1), OdeSolver::Rk4).steps == 0 {
            break;
        }
        out.push(xs[0]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Path, Schedule};
    use crate::targets::{ExactTarget, Target};

    fn field(path: Path) -> ExactField {
        ExactField::from_parts(
            Schedule::preset(path),
            ExactTarget::new(&Target::Checkerboard),
        )
    }

    #[test]
    fn the_paths_pass_through_the_disc_and_their_mean_velocity_is_b() {
        for (path, t, x) in [
            (Path::Linear, 0.5, [0.5, 0.5]),
            (Path::Trig, 0.3, [-1.0, 0.4]),
            (Path::Linear, 0.8, [1.5, 1.5]),
        ] {
            let f = field(path);
            let p = PlanePick::new(&f, t, x, 3);
            assert_eq!(p.paths.len(), PATHS);
            assert_eq!(p.n, VELOCITIES, "{path:?} t = {t}");
            // Every path is inside the disc at the pick's time.
            for q in p.at(t) {
                assert!((q[0] - x[0]).hypot(q[1] - x[1]) <= RADIUS + 0.05, "{q:?}");
            }
            // b is the conditional expectation: the disc's mean velocity is b within the
            // disc's width (b varies across it) and the noise of 3000 triples.
            let err = (p.mean[0] - p.b[0]).hypot(p.mean[1] - p.b[1]);
            assert!(
                err < 0.15 * (1.0 + p.b[0].hypot(p.b[1])),
                "{path:?} t = {t}: mean {:?} b {:?}",
                p.mean,
                p.b
            );
        }
    }

    #[test]
    fn the_flow_line_runs_through_the_point_along_b() {
        let f = field(Path::Linear);
        let (t, x) = (0.5, [0.5, 0.5]);
        let p = PlanePick::new(&f, t, x, 1);
        let k = p
            .flow
            .iter()
            .position(|q| *q == x)
            .expect("the point is on its flow line");
        assert!(k > 10 && p.flow.len() - k > 10, "both directions");
        // The step after the point follows b.
        let next = p.flow[k + 1];
        let (d, b) = ([next[0] - x[0], next[1] - x[1]], p.b);
        let cos = (d[0] * b[0] + d[1] * b[1]) / (d[0].hypot(d[1]) * b[0].hypot(b[1]));
        assert!(cos > 0.99, "{cos}");
        // The flow line ends on the board, as every particle of the exact flow does.
        let end = *p.flow.last().expect("non-empty");
        assert!(f.target().log_density(end).is_finite(), "{end:?}");
    }

    #[test]
    fn where_there_is_no_mass_there_are_no_paths() {
        let f = field(Path::Linear);
        // Far outside the board at t = 1 − 2·10⁻³: nothing comes near.
        let p = PlanePick::new(&f, 1.0, [4.8, 4.8], 1);
        assert_eq!((p.n, p.paths.len()), (0, 0));
        assert!(p.mean[0].is_nan());
        assert_eq!(p.drawn, MAX_DRAWS.div_ceil(4096) * 4096);
    }
}
