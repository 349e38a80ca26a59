//! Batch-posterior regression targets (docs/math.md §3.5): a lower-variance target with the
//! same minimiser as the plain one.
//!
//! With a Gaussian base, x = βx1 + σn (n ~ N(0, I)), and every field the objectives learn is
//! affine in g1(x) = E[x1 | x_t = x]. The plain target for g1 is the sample x1 that made x; its
//! variance is Var(x1) wherever x says little about x1 (small t), which is what keeps the
//! learned velocity inaccurate there. Replace it by the posterior mean of x1 under a reference
//! set S of m target samples that contains the sample that made x:
//!
//!   T(x) = Σ_j w_j x1_j,   w_j ∝ exp(−|x − βx1_j|²/(2σ²)),   j ∈ S.
//!
//! If S is m independent draws and x was made from a uniformly chosen member, w_j is exactly
//! P(that member is j | x, S), so E[T | x] = E[x1_I | x] = g1(x): the regression's minimiser is
//! unchanged (no bias, for any m), while at small t, where the weights are nearly uniform, the
//! target's variance falls by about m. Where σ/β is small only the own sample carries weight and
//! T is the plain target. The other members of row i's set are batch samples of other rows,
//! independent of row i's own, which is all the argument needs.
//!
//! Where σ/β is large the weights are nearly uniform and T is nearly the mean of the set, so
//! most of what noise is left is the other members' mean straying from E(x1). With E(x1) = μ
//! known exactly ([`Centre`]), the target subtracts that stray as a control variate:
//!
//!   T' = T − k·(mean of the other m − 1 members − μ),   k = (m − 1)/m · σ²/(σ² + β²σ_d²).
//!
//! The other members are independent of x, so the subtracted term has mean zero given x and the
//! minimiser is still g1 for any k that depends on (β, σ) alone. This k is the share of T that
//! follows a shift of the others for a Gaussian target of scale σ_d (the posterior mean of
//! N(μ, σ_d²) moves by σ²/(σ² + β²σ_d²) of a shift of μ): it removes nearly all of the remaining
//! noise at large σ/β (about 11× less variance at σ/β ≈ 9.5 for the checkerboard, docs/math.md
//! §3.5) and vanishes where x pins x1 down.

use interplay_core::P2;

use crate::lanes::F4;

/// The reference-set size `interplay train` and live training use: at batch 1024 it costs a few
/// per cent of a step and halves the velocity error (BENCHMARKS.md, "Batch-posterior targets").
pub const REFS: usize = 256;

/// What the control variate needs to know of the target: its exact mean and its scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Centre {
    /// E(x1), exactly (an estimate would bias the target by k times its error).
    pub mean: P2,
    /// σ_d, the target's per-coordinate standard deviation (only k depends on it).
    pub sigma_data: f64,
}

/// The target samples of one batch, as reference sets for each other's rows.
pub struct BatchPosterior<'a> {
    x1: &'a [P2],
    refs: usize,
    /// The samples' coordinates in f32, in the order of the batch and then its first `refs`
    /// again (so that every row's set is one run), in groups of four lanes: `xs[k][q]` holds
    /// samples 4q + k … 4q + k + 3, so that a set that starts at any row is whole groups.
    xs: [Vec<F4>; 4],
    ys: [Vec<F4>; 4],
    /// What the last group of a set adds to its logits: 0, or −∞ for the lanes past the set.
    past: F4,
    /// Scratch: a set's logits, by groups.
    logits: Vec<F4>,
    /// With the control variate: the target's centre and the prefix sums of `x1` (n + 1 rows).
    centre: Option<(Centre, Vec<P2>)>,
}

impl<'a> BatchPosterior<'a> {
    /// Reference sets of `refs` members (clamped to the batch) from the batch samples `x1`.
    pub fn new(x1: &'a [P2], refs: usize) -> Self {
        let refs = refs.clamp(1, x1.len().max(1));
        let groups = refs.div_ceil(4);
        let coord = |d: usize| -> [Vec<F4>; 4] {
            let mut v: Vec<f32> = x1
                .iter()
                .chain(&x1[..refs.min(x1.len())])
                .map(|p| p[d] as f32)
                .collect();
            v.resize(x1.len() + 4 * groups + 8, 0.0);
            [0, 1, 2, 3].map(|k| {
                (0..x1.len().div_ceil(4) + groups)
                    .map(|q| F4::new([0, 1, 2, 3].map(|i| v[4 * q + k + i])))
                    .collect()
            })
        };
        let last = refs - 4 * (groups - 1);
        Self {
            x1,
            refs,
            xs: coord(0),
            ys: coord(1),
            past: F4::new([0, 1, 2, 3].map(|i| if i < last { 0.0 } else { f32::NEG_INFINITY })),
            logits: vec![F4::splat(0.0); groups],
            centre: None,
        }
    }

    /// The same sets, with the control variate of the module's doc (sets of two or more).
    pub fn with_centre(mut self, centre: Centre) -> Self {
        if self.refs > 1 {
            let mut prefix = Vec::with_capacity(self.x1.len() + 1);
            let mut acc = [0.0, 0.0];
            prefix.push(acc);
            for p in self.x1 {
                acc = [acc[0] + p[0], acc[1] + p[1]];
                prefix.push(acc);
            }
            self.centre = Some((centre, prefix));
        }
        self
    }

    /// The mean of the other members of row `own`'s set (rows own + 1 … own + refs − 1,
    /// cyclically), from the prefix sums.
    fn others_mean(&self, prefix: &[P2], own: usize) -> P2 {
        let n = self.x1.len();
        let (a, b) = (own + 1, own + self.refs);
        let sum = |lo: usize, hi: usize| [0, 1].map(|d| prefix[hi][d] - prefix[lo][d]);
        let s = if b <= n {
            sum(a, b)
        } else if a >= n {
            sum(a - n, b - n)
        } else {
            let (p, q) = (sum(a, n), sum(0, b - n));
            [p[0] + q[0], p[1] + q[1]]
        };
        let m = (self.refs - 1) as f64;
        [s[0] / m, s[1] / m]
    }

    /// Members of each reference set.
    pub fn refs(&self) -> usize {
        self.refs
    }

    /// T(x) for a point `x = β·x1[own] + σ·n`: the posterior mean of x1 over row `own`'s set
    /// (its own sample and the next `refs − 1` of the batch, cyclically). Computed in f32, four
    /// members at a time: the weights to about 10⁻⁶, far below the targets' own noise.
    pub fn mean(&mut self, own: usize, x: P2, beta: f64, sigma: f64) -> P2 {
        // 1/(2σ²), finite where σ is 0 (only the own sample, at distance 0, then has weight).
        let inv = F4::splat((0.5 / (sigma * sigma)).min(f64::from(f32::MAX)) as f32);
        let (cx, cy, b) = (
            F4::splat(x[0] as f32),
            F4::splat(x[1] as f32),
            F4::splat(beta as f32),
        );
        let (q, k) = (own / 4, own % 4);
        let (xs, ys) = (&self.xs[k][q..], &self.ys[k][q..]);
        let groups = self.logits.len();
        let mut top = F4::splat(f32::NEG_INFINITY);
        for (g, l) in self.logits.iter_mut().enumerate() {
            let dx = cx.sub(b.mul(xs[g]));
            let dy = cy.sub(b.mul(ys[g]));
            *l = F4::splat(0.0).sub(dx.mul(dx).add(dy.mul(dy)).mul(inv));
            if g + 1 == groups {
                *l = l.add(self.past);
            }
            top = top.max(*l);
        }
        let top = F4::splat(top.lanes().into_iter().fold(f32::NEG_INFINITY, f32::max));
        // Below e^−40 a member's weight is lost in rounding anyway: it counts 0.
        let floor = F4::splat(-40.0);
        let (mut w, mut mx, mut my) = (F4::splat(0.0), F4::splat(0.0), F4::splat(0.0));
        for (g, l) in self.logits.iter().enumerate() {
            let d = l.sub(top);
            let e = d.where_gt(floor, d.exp_neg());
            w = w.add(e);
            mx = mx.add(e.mul(xs[g]));
            my = my.add(e.mul(ys[g]));
        }
        let w = w.sum();
        let t = [f64::from(mx.sum() / w), f64::from(my.sum() / w)];
        match &self.centre {
            None => t,
            Some((c, prefix)) => {
                let o = self.others_mean(prefix, own);
                let s2 = sigma * sigma;
                let sd2 = beta * beta * c.sigma_data * c.sigma_data;
                let k = (self.refs - 1) as f64 / self.refs as f64 * s2 / (s2 + sd2);
                [0, 1].map(|d| t[d] - k * (o[d] - c.mean[d]))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{BatchPosterior, Centre};
    use interplay_core::P2;

    #[test]
    fn others_mean_wraps_around_the_batch() {
        let x1: Vec<P2> = (0..7).map(|i| [i as f64, -2.0 * i as f64]).collect();
        let centre = Centre {
            mean: [0.0, 0.0],
            sigma_data: 1.0,
        };
        for refs in [2, 4, 7] {
            let p = BatchPosterior::new(&x1, refs).with_centre(centre);
            let prefix = &p.centre.as_ref().expect("centred").1;
            for own in 0..7 {
                let want: f64 =
                    (1..refs).map(|k| ((own + k) % 7) as f64).sum::<f64>() / (refs - 1) as f64;
                let got = p.others_mean(prefix, own);
                assert!((got[0] - want).abs() < 1e-12 && (got[1] + 2.0 * want).abs() < 1e-12);
            }
        }
        // A set of one has no others: no control variate.
        assert!(
            BatchPosterior::new(&x1, 1)
                .with_centre(centre)
                .centre
                .is_none()
        );
    }

    /// The posterior mean in f64, member by member, as the module's doc defines it.
    fn plain_mean(x1: &[P2], refs: usize, own: usize, x: P2, beta: f64, sigma: f64) -> P2 {
        let set: Vec<P2> = (0..refs).map(|j| x1[(own + j) % x1.len()]).collect();
        let logit = |p: &P2| {
            -((x[0] - beta * p[0]).powi(2) + (x[1] - beta * p[1]).powi(2)) / (2.0 * sigma * sigma)
        };
        let top = set.iter().map(logit).fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = set.iter().map(|p| (logit(p) - top).exp()).collect();
        let sum: f64 = w.iter().sum();
        [0, 1].map(|d| set.iter().zip(&w).map(|(p, w)| w * p[d]).sum::<f64>() / sum)
    }

    #[test]
    fn the_mean_is_the_weighted_mean_of_the_set() {
        // Sets that wrap around the batch, sizes that are not whole groups of four lanes, the
        // whole batch, one member; noise from nearly none (the own sample alone) to wide (nearly
        // the set's plain mean).
        let mut s = 7u64;
        let mut u = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let x1: Vec<P2> = (0..37)
            .map(|_| [4.0 * u() - 2.0, 4.0 * u() - 2.0])
            .collect();
        let mut worst = 0.0f64;
        for refs in [1, 3, 4, 9, 37] {
            let mut p = BatchPosterior::new(&x1, refs);
            for own in [0, 5, 30, 36] {
                for (beta, sigma) in [(1.0, 1e-6), (1.0, 0.05), (0.7, 0.3), (0.2, 2.0), (1.0, 9.0)]
                {
                    let x = [0, 1].map(|d| beta * x1[own][d] + sigma * (2.0 * u() - 1.0));
                    let (got, want) = (
                        p.mean(own, x, beta, sigma),
                        plain_mean(&x1, refs, own, x, beta, sigma),
                    );
                    for d in 0..2 {
                        worst = worst.max((got[d] - want[d]).abs());
                    }
                }
            }
        }
        // f32 coordinates (|x1| ≤ 2): a few ulps.
        assert!(worst < 2e-6, "worst difference {worst}");
        // σ = 0: the own sample, exactly as stored in f32.
        let mut p = BatchPosterior::new(&x1, 9);
        let got = p.mean(3, x1[3], 1.0, 0.0);
        assert_eq!(got, [0, 1].map(|d| f64::from(x1[3][d] as f32)));
    }
}
