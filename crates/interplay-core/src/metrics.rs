//! Sample-quality metrics against a target: in-support fraction, sliced Wasserstein-2,
//! histogram total variation, energy distance, and a kernel-density negative log-likelihood.
//!
//! All are deterministic for a given seed. Reference samples of the target come from their own
//! RNG stream, so a metric never depends on how the evaluated samples were produced.

use core::f64::consts::PI;

use crate::targets::ExactTarget;
use crate::{P2, Rng, checker};

/// The TV histogram: 16×16 bins over [−4, 4]² plus one bin for everything outside.
pub const TV_BINS: usize = 16;
/// The finer TV histogram of [`Metrics::tv_fine`]: 32×32 bins over [−4, 4]² (20 000 exact
/// checkerboard samples score ≈ 0.06 on it from noise alone).
pub const TV_FINE_BINS: usize = 32;
const TV_LO: f64 = -4.0;
const TV_HI: f64 = 4.0;

/// The metrics of one sample set.
#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    /// Number of samples evaluated.
    pub n: usize,
    /// Samples that were NaN or infinite (counted as outside the support, left out elsewhere).
    pub non_finite: usize,
    /// Fraction of samples inside the target's support (see [`in_support`]).
    pub in_support: f64,
    /// The same fraction for exact target samples (1 for the checkerboard; ≈ 0.99 for mixtures).
    pub in_support_reference: f64,
    /// Sliced Wasserstein-2 distance to target samples (64 directions).
    pub sliced_w2: f64,
    /// Total variation between the 16×16 histogram on [−4, 4]² (plus an outside bin) and the
    /// target's exact bin masses.
    pub tv: f64,
    /// The same on 32×32 bins ([`TV_FINE_BINS`]): sharper edges are needed to score well.
    pub tv_fine: f64,
    /// Energy distance to target samples (on subsamples of at most 1500 points).
    pub energy: f64,
    /// −E_{y∼ρ1} log p̂(y), with p̂ a Gaussian KDE of the samples (bandwidth [`KDE_BANDWIDTH`]).
    /// At least the target's entropy (log 32 = 3.466 for the checkerboard), plus smoothing bias.
    pub nll_kde: f64,
    /// Sample mean.
    pub mean: P2,
    /// Sample covariance [var x, cov xy, var y].
    pub cov: [f64; 3],
}

/// Whether x is in the support of the target. Checkerboard: exactly the 8 squares. Mixtures:
/// within Mahalanobis distance 3 of a component (98.9 % of its mass), or within 0.15 of a point
/// mass.
pub fn in_support(target: &ExactTarget, x: P2) -> bool {
    match target {
        ExactTarget::Checkerboard => checker::in_support(x),
        ExactTarget::Mixture(m) => m.components().iter().any(|c| {
            let d = [x[0] - c.mean[0], x[1] - c.mean[1]];
            let det = c.cov.a * c.cov.c - c.cov.b * c.cov.b;
            if det > 0.0 {
                (c.cov.c * d[0] * d[0] - 2.0 * c.cov.b * d[0] * d[1] + c.cov.a * d[1] * d[1]) / det
                    <= 9.0
            } else {
                d[0] * d[0] + d[1] * d[1] <= 0.15 * 0.15
            }
        }),
        // On the line where the density is positive.
        ExactTarget::Line(l) => x[1].abs() <= 0.15 && l.log_density(x[0]).is_finite(),
    }
}

fn tv_bin(x: P2, bins: usize) -> usize {
    let h = (TV_HI - TV_LO) / bins as f64;
    let (i, j) = (((x[0] - TV_LO) / h).floor(), ((x[1] - TV_LO) / h).floor());
    let n = bins as f64;
    if (0.0..n).contains(&i) && (0.0..n).contains(&j) {
        i as usize * bins + j as usize
    } else {
        bins * bins
    }
}

/// The target's exact mass in each TV bin (the last entry is the mass outside [−4, 4]²).
pub fn tv_reference(target: &ExactTarget) -> Vec<f64> {
    tv_reference_bins(target, TV_BINS)
}

/// [`tv_reference`] on `bins`×`bins` bins.
pub fn tv_reference_bins(target: &ExactTarget, bins: usize) -> Vec<f64> {
    let h = (TV_HI - TV_LO) / bins as f64;
    let mut out = vec![0.0; bins * bins + 1];
    for i in 0..bins {
        for j in 0..bins {
            let (x0, y0) = (TV_LO + i as f64 * h, TV_LO + j as f64 * h);
            out[i * bins + j] = match target {
                ExactTarget::Checkerboard => checker::box_mass((x0, x0 + h), (y0, y0 + h)),
                ExactTarget::Mixture(_) => {
                    // Midpoint rule on 8×8 sub-cells.
                    let s = h / 8.0;
                    let mut acc = 0.0;
                    for a in 0..8 {
                        for b in 0..8 {
                            let x = [x0 + (a as f64 + 0.5) * s, y0 + (b as f64 + 0.5) * s];
                            acc += target.log_density(x).exp();
                        }
                    }
                    acc * s * s
                }
                // All the mass lies on y = 0: midpoint rule along x in the bins holding it.
                ExactTarget::Line(l) if (y0..y0 + h).contains(&0.0) => {
                    let s = h / 64.0;
                    (0..64)
                        .map(|a| l.log_density(x0 + (a as f64 + 0.5) * s).exp())
                        .sum::<f64>()
                        * s
                }
                ExactTarget::Line(_) => 0.0,
            };
        }
    }
    if let ExactTarget::Mixture(m) = target
        && m.components()
            .iter()
            .any(|c| c.cov.a * c.cov.c - c.cov.b * c.cov.b <= 0.0)
    {
        // Point masses have no density: use their exact bin counts.
        out.iter_mut().for_each(|v| *v = 0.0);
        for c in m.components() {
            out[tv_bin(c.mean, bins)] += c.weight;
        }
    }
    let inside: f64 = out[..bins * bins].iter().sum();
    out[bins * bins] = (1.0 - inside).max(0.0);
    out
}

/// Total variation between the samples' histogram and reference bin masses (from
/// [`tv_reference`] or [`tv_reference_bins`], whose length gives the bins).
pub fn histogram_tv(xs: &[P2], reference: &[f64]) -> f64 {
    let bins = ((reference.len().max(1) - 1) as f64).sqrt().round() as usize;
    let mut counts = vec![0.0; reference.len()];
    for x in xs {
        counts[tv_bin(*x, bins)] += 1.0;
    }
    let n = xs.len().max(1) as f64;
    0.5 * counts
        .iter()
        .zip(reference)
        .map(|(c, r)| (c / n - r).abs())
        .sum::<f64>()
}

/// The mass of a density in each TV bin of `bins` × `bins` (midpoint rule on 4 × 4 sub-cells;
/// the last entry is the mass outside [−4, 4]²).
pub fn reference_of(density: impl Fn(P2) -> f64, bins: usize) -> Vec<f64> {
    let h = (TV_HI - TV_LO) / bins as f64;
    let s = h / 4.0;
    let mut out = vec![0.0; bins * bins + 1];
    for i in 0..bins {
        for j in 0..bins {
            let (x0, y0) = (TV_LO + i as f64 * h, TV_LO + j as f64 * h);
            let mut acc = 0.0;
            for a in 0..4 {
                for b in 0..4 {
                    acc += density([x0 + (a as f64 + 0.5) * s, y0 + (b as f64 + 0.5) * s]);
                }
            }
            out[i * bins + j] = acc * s * s;
        }
    }
    let inside: f64 = out[..bins * bins].iter().sum();
    out[bins * bins] = (1.0 - inside).max(0.0);
    out
}

/// [`histogram_tv`] of weighted samples (`weights` summing to 1).
pub fn weighted_histogram_tv(xs: &[P2], weights: &[f64], reference: &[f64]) -> f64 {
    let bins = ((reference.len().max(1) - 1) as f64).sqrt().round() as usize;
    let mut mass = vec![0.0; reference.len()];
    for (x, w) in xs.iter().zip(weights) {
        mass[tv_bin(*x, bins)] += w;
    }
    0.5 * mass
        .iter()
        .zip(reference)
        .map(|(m, r)| (m - r).abs())
        .sum::<f64>()
}

/// The effective sample size of weights over their number, (Σw)²/(n·Σw²) ∈ (0, 1].
pub fn ess(weights: &[f64]) -> f64 {
    let (s1, s2) = weights
        .iter()
        .fold((0.0, 0.0), |(a, b), &w| (a + w, b + w * w));
    s1 * s1 / (weights.len().max(1) as f64 * s2)
}

/// `n` points drawn from the weighted points by systematic resampling (one uniform offset, `n`
/// evenly spaced draws through the cumulative weights): an unweighted sample of the weighted
/// distribution, for the metrics that take plain samples. Weights need not be normalised.
pub fn resample(xs: &[P2], weights: &[f64], n: usize, rng: &mut Rng) -> Vec<P2> {
    let total: f64 = weights.iter().sum();
    if xs.is_empty() || total.is_nan() || total <= 0.0 {
        return Vec::new();
    }
    let step = total / n as f64;
    let mut u = rng.uniform() * step;
    let (mut i, mut acc) = (0, weights[0]);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        while acc < u && i + 1 < xs.len() {
            i += 1;
            acc += weights[i];
        }
        out.push(xs[i]);
        u += step;
    }
    out
}

/// Sliced Wasserstein-2 over `k` equally spaced directions (with a seeded offset).
pub fn sliced_w2(a: &[P2], b: &[P2], k: usize, rng: &mut Rng) -> f64 {
    if a.is_empty() || b.is_empty() {
        return f64::NAN;
    }
    let m = a.len().min(b.len());
    let offset = rng.uniform() * PI / k as f64;
    let mut total = 0.0;
    for d in 0..k {
        let th = offset + PI * d as f64 / k as f64;
        let (c, s) = (th.cos(), th.sin());
        let proj = |xs: &[P2]| {
            let mut p: Vec<f64> = xs.iter().map(|x| c * x[0] + s * x[1]).collect();
            p.sort_by(f64::total_cmp);
            p
        };
        let (pa, pb) = (proj(a), proj(b));
        let q = |p: &[f64], u: f64| p[((u * p.len() as f64) as usize).min(p.len() - 1)];
        let mut acc = 0.0;
        for i in 0..m {
            let u = (i as f64 + 0.5) / m as f64;
            acc += (q(&pa, u) - q(&pb, u)).powi(2);
        }
        total += acc / m as f64;
    }
    (total / k as f64).sqrt()
}

fn dist(a: P2, b: P2) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Energy distance 2E|X−Y| − E|X−X′| − E|Y−Y′| (V-statistics).
pub fn energy_distance(a: &[P2], b: &[P2]) -> f64 {
    let mean_dist = |p: &[P2], q: &[P2]| {
        p.iter()
            .map(|x| q.iter().map(|y| dist(*x, *y)).sum::<f64>())
            .sum::<f64>()
            / (p.len() * q.len()) as f64
    };
    2.0 * mean_dist(a, b) - mean_dist(a, a) - mean_dist(b, b)
}

/// The KDE bandwidth of [`kde_nll`], in plot units: fixed, because rule-of-thumb bandwidths
/// over-smooth the sharp, multi-modal targets (Scott's rule gives ≈ 0.6 for the checkerboard).
pub const KDE_BANDWIDTH: f64 = 0.15;

/// −mean log p̂(y) over `ys`, with p̂ the Gaussian KDE of `xs` with bandwidth [`KDE_BANDWIDTH`].
pub fn kde_nll(xs: &[P2], ys: &[P2]) -> f64 {
    let n = xs.len() as f64;
    let h = [KDE_BANDWIDTH; 2];
    let ln_norm = -(2.0 * PI * h[0] * h[1]).ln() - n.ln();
    let mut total = 0.0;
    let mut l = vec![0.0; xs.len()];
    for y in ys {
        for (li, x) in l.iter_mut().zip(xs) {
            let (u, v) = ((y[0] - x[0]) / h[0], (y[1] - x[1]) / h[1]);
            *li = -0.5 * (u * u + v * v);
        }
        total += ln_norm + crate::special::log_sum_exp(&l);
    }
    -total / ys.len() as f64
}

/// Mean and covariance [var x, cov xy, var y].
pub fn moments(xs: &[P2]) -> (P2, [f64; 3]) {
    let n = xs.len().max(1) as f64;
    let m = [0, 1].map(|d| xs.iter().map(|x| x[d]).sum::<f64>() / n);
    let c = |a: usize, b: usize| {
        xs.iter()
            .map(|x| (x[a] - m[a]) * (x[b] - m[b]))
            .sum::<f64>()
            / n
    };
    (m, [c(0, 0), c(0, 1), c(1, 1)])
}

/// Evenly spaced subsample of at most `k` points (deterministic).
fn thin(xs: &[P2], k: usize) -> Vec<P2> {
    if xs.len() <= k {
        return xs.to_vec();
    }
    (0..k).map(|i| xs[i * xs.len() / k]).collect()
}

/// All metrics of `xs` against `target`, deterministic for `seed`.
pub fn evaluate(target: &ExactTarget, xs: &[P2], seed: u64) -> Metrics {
    let finite: Vec<P2> = xs
        .iter()
        .copied()
        .filter(|x| x[0].is_finite() && x[1].is_finite())
        .collect();
    let n_ref = finite.len().clamp(2000, 20_000);
    let reference = target.sample(
        &mut Rng::stream(seed, crate::sampling::streams::METRIC_REFERENCE),
        n_ref,
    );
    let frac = |p: &[P2]| {
        p.iter().filter(|x| in_support(target, **x)).count() as f64 / p.len().max(1) as f64
    };
    let (mean, cov) = moments(&finite);
    Metrics {
        n: xs.len(),
        non_finite: xs.len() - finite.len(),
        in_support: frac(&finite) * finite.len() as f64 / xs.len().max(1) as f64,
        in_support_reference: frac(&reference),
        sliced_w2: sliced_w2(
            &finite,
            &reference,
            64,
            &mut Rng::stream(seed, crate::sampling::streams::SLICED_DIRECTIONS),
        ),
        tv: histogram_tv(&finite, &tv_reference(target)),
        tv_fine: histogram_tv(&finite, &tv_reference_bins(target, TV_FINE_BINS)),
        energy: energy_distance(&thin(&finite, 1500), &thin(&reference, 1500)),
        nll_kde: kde_nll(&thin(&finite, 4000), &thin(&reference, 2000)),
        mean,
        cov,
    }
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
