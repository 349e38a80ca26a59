//! The triangle of three marginals in the page: its parameters' text forms, and the scene the
//! viewer draws from them: direct samples of x(α) = α0·x0 + α1·x1 + α2·x2 (N(0, I), the
//! target and a second target) as a heat map at any α, and, where the exact fields exist
//! (`interplay_core::multi_exact`), particles carried along a path α(s) by b = Σ_k α̇_k g_k.

use interplay_core::density::{Grid, histogram};
use interplay_core::multi_exact::MultiExact;
use interplay_core::multimarginal::{Alpha, TrianglePath, path_velocity};
use interplay_core::sampling::streams;
use interplay_core::targets::ExactTarget;
use interplay_core::{P2, Rng, Target};
use serde_json::Value;

/// The most knots of a path on the triangle.
pub const MIX_PATH_MAX: usize = 12;

/// α to three decimals, α0 taking the rounding so that the weights still sum to 1.
pub fn quantise(a: Alpha) -> Alpha {
    let r = |x: f64| (x * 1000.0).round() / 1000.0;
    let a1 = r(a[1]);
    // Both may round up on a tie (0.0005, 0.9995): keep the sum at 1.
    let a2 = r(a[2]).min(1.0 - a1);
    // `+ 0.0` turns a −0 into 0, so links never read "-0".
    [r(1.0 - a1 - a2).max(0.0) + 0.0, a1, a2]
}

/// `a0,a1,a2` (three decimals, no trailing zeros).
pub fn encode_alpha(a: Alpha) -> String {
    a.map(|x| format!("{}", (x * 1000.0).round() / 1000.0))
        .join(",")
}

/// The knots of a path as `a;b;…` (empty: no path).
pub fn encode_mix_path(knots: &[Alpha]) -> String {
    knots
        .iter()
        .map(|a| encode_alpha(*a))
        .collect::<Vec<_>>()
        .join(";")
}

/// A point of the triangle from `a0,a1,a2` (or an array of three numbers): weights ≥ 0 summing
/// to 1 (to within 0.002, then rescaled), kept to three decimals.
pub(crate) fn alpha(key: &str, v: &Value) -> Result<Alpha, String> {
    let bad = || {
        format!(
            "{key} must be three weights a0,a1,a2 (of N(0, I), the target and the second \
             target), each ≥ 0 and summing to 1; got {v}"
        )
    };
    let nums: Vec<f64> = match v {
        Value::String(s) => s
            .split(',')
            .map(|x| x.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?,
        Value::Array(a) => a
            .iter()
            .map(Value::as_f64)
            .collect::<Option<_>>()
            .ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    let a: Alpha = nums.try_into().map_err(|_| bad())?;
    let sum: f64 = a.iter().sum();
    if a.iter().any(|x| !x.is_finite() || *x < 0.0) || (sum - 1.0).abs() > 2e-3 {
        return Err(bad());
    }
    Ok(quantise(a.map(|x| x / sum)))
}

pub(crate) fn mix_path(key: &str, v: &Value) -> Result<Vec<Alpha>, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("{key} must be points a0,a1,a2 separated by ';', got {v}"))?;
    if s.trim().is_empty() {
        return Ok(Vec::new());
    }
    let knots = s
        .split(';')
        .map(|p| alpha(key, &Value::String(p.to_owned())))
        .collect::<Result<Vec<_>, _>>()?;
    if !(2..=MIX_PATH_MAX).contains(&knots.len()) {
        return Err(format!(
            "{key} needs 2 to {MIX_PATH_MAX} points of the triangle, got {}",
            knots.len()
        ));
    }
    Ok(knots)
}

/// Direct samples behind the heat map.
pub const MIX_SAMPLES: usize = 40_000;
/// Particles carried along a path.
pub const FLOW_PARTICLES: usize = 400;
/// RK4 steps along a whole path (at least: each leg takes the same number).
pub const FLOW_STEPS: usize = 40;
/// Knots are kept this far from the vertices (barycentrically), where one target's Gaussian
/// part vanishes and its posterior is a point.
const VERTEX_GAP: f64 = 1e-3;

/// The draws of x0, x1 and x2 for one pair of targets and seed, and their exact fields.
pub struct MixScene {
    draws: [Vec<P2>; 3],
    exact: Option<MultiExact>,
    names: (String, String),
}

impl MixScene {
    /// The scene of N(0, I), `first` and `second` for `seed`.
    pub fn new(first: &Target, second: &Target, seed: u64) -> Self {
        let n = MIX_SAMPLES;
        let x0 = Rng::stream(seed, streams::X0).normals(n);
        let x1 = ExactTarget::new(first).sample(&mut Rng::stream(seed, streams::X1), n);
        let x2 = ExactTarget::new(second).sample(&mut Rng::stream(seed, streams::Z), n);
        Self {
            draws: [x0, x1, x2],
            exact: MultiExact::new(first, second),
            names: (first.name().into(), second.name().into()),
        }
    }

    /// Whether the flow along a path can be drawn (the exact fields exist).
    pub fn has_flow(&self) -> bool {
        self.exact.is_some()
    }

    /// The first `n` samples of x(α).
    pub fn samples(&self, alpha: Alpha, n: usize) -> Vec<P2> {
        let [x0, x1, x2] = &self.draws;
        (0..n.min(x0.len()))
            .map(|i| {
                [0, 1].map(|d| alpha[0] * x0[i][d] + alpha[1] * x1[i][d] + alpha[2] * x2[i][d])
            })
            .collect()
    }

    /// The samples' histogram at α on a `bins`-per-side grid of the view.
    pub fn density(&self, alpha: Alpha, bins: usize) -> Vec<f64> {
        histogram(&Grid::view(bins), &self.samples(alpha, MIX_SAMPLES))
    }

    /// The particles along `path`: [`FLOW_STEPS`] + 1 frames of [`FLOW_PARTICLES`] positions,
    /// starting from samples of ρ(α(0)); an error says why there is no flow.
    pub fn flow(&self, path: &TrianglePath) -> Result<Vec<Vec<P2>>, String> {
        let mut run = self.flow_start(path)?;
        let steps = run.total();
        self.flow_advance(&mut run, steps);
        Ok(run.frames)
    }

    /// A flow along `path` not yet carried (see [`MixScene::flow_advance`]), or why there is
    /// none.
    pub fn flow_start(&self, path: &TrianglePath) -> Result<FlowRun, String> {
        if self.exact.is_none() {
            return Err(format!(
                "the flow needs the exact fields, and {} with {} has none here (they exist for two \
                 Gaussian mixtures, or any target with rings, moons, spirals or a drawing): choose \
                 rings, moons or spirals as the second target",
                self.names.0, self.names.1
            ));
        }
        let inward = |a: Alpha| a.map(|x| (1.0 - 3.0 * VERTEX_GAP) * x + VERTEX_GAP);
        let path = TrianglePath::new(path.knots().iter().map(|a| inward(*a)).collect())?;
        let start = self.samples(path.at(0.0).0, FLOW_PARTICLES);
        Ok(FlowRun {
            per_leg: FLOW_STEPS.div_ceil(path.legs()),
            path,
            frames: vec![start],
        })
    }

    /// Up to `steps` more RK4 steps of `run` (so a page can carry it a little per frame). Each
    /// leg takes the same number of steps, so no step straddles a corner of the path, where α̇
    /// jumps.
    pub fn flow_advance(&self, run: &mut FlowRun, steps: usize) {
        let Some(exact) = &self.exact else { return };
        let per = run.per_leg;
        // α̇ from `on_leg` is per unit s; a step covers 1/(legs·per) of s.
        let h = 1.0 / (run.path.legs() * per) as f64;
        let add = |ys: &[P2], k: &[P2], f: f64| -> Vec<P2> {
            ys.iter()
                .zip(k)
                .map(|(y, v)| [y[0] + f * v[0], y[1] + f * v[1]])
                .collect()
        };
        for _ in 0..steps {
            let i = run.frames.len() - 1;
            if i >= run.total() {
                break;
            }
            let (leg, j) = (i / per, i % per);
            let b = |f: f64, ys: &[P2]| -> Vec<P2> {
                let (a, ad) = run.path.on_leg(leg, f);
                let at = exact.at(a);
                ys.iter().map(|y| path_velocity(&at.eval(*y), ad)).collect()
            };
            let xs = &run.frames[i];
            let (f0, fh, f1) = (
                j as f64 / per as f64,
                (j as f64 + 0.5) / per as f64,
                (j + 1) as f64 / per as f64,
            );
            let k1 = b(f0, xs);
            let k2 = b(fh, &add(xs, &k1, 0.5 * h));
            let k3 = b(fh, &add(xs, &k2, 0.5 * h));
            let k4 = b(f1, &add(xs, &k3, h));
            let ys: Vec<P2> = xs
                .iter()
                .enumerate()
                .map(|(n, x)| {
                    [0, 1].map(|d| {
                        x[d] + h / 6.0 * (k1[n][d] + 2.0 * k2[n][d] + 2.0 * k3[n][d] + k4[n][d])
                    })
                })
                .collect();
            run.frames.push(ys);
        }
    }
}

/// Particles being carried along a path: the frames so far.
pub struct FlowRun {
    path: TrianglePath,
    per_leg: usize,
    frames: Vec<Vec<P2>>,
}

impl FlowRun {
    /// The steps of the whole path: [`FLOW_STEPS`] or a little more, the same number per leg.
    pub fn total(&self) -> usize {
        self.per_leg * self.path.legs()
    }

    /// The share of the steps taken, in [0, 1].
    pub fn progress(&self) -> f64 {
        (self.frames.len() - 1) as f64 / self.total() as f64
    }

    /// The frames so far (all [`FlowRun::total`] + 1 when done).
    pub fn frames(&self) -> &[Vec<P2>] {
        &self.frames
    }
}

#[cfg(test)]
#[path = "mix_tests.rs"]
mod tests;
