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
    logits: Vec<f64>,
    /// With the control variate: the target's centre and the prefix sums of `x1` (n + 1 rows).
    centre: Option<(Centre, Vec<P2>)>,
}

impl<'a> BatchPosterior<'a> {
    /// Reference sets of `refs` members (clamped to the batch) from the batch samples `x1`.
    pub fn new(x1: &'a [P2], refs: usize) -> Self {
        let refs = refs.clamp(1, x1.len().max(1));
        Self {
            x1,
            refs,
            logits: vec![0.0; refs],
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
    /// (its own sample and the next `refs − 1` of the batch, cyclically).
    pub fn mean(&mut self, own: usize, x: P2, beta: f64, sigma: f64) -> P2 {
        let inv = 0.5 / (sigma * sigma).max(1e-300);
        // The set as two runs of the batch (the second where it wraps around), not an index
        // modulo n per member: the division cost more than the rest of the loop in wasm.
        let n = self.x1.len();
        let end = own + self.refs;
        let (head, tail) = if end <= n {
            (&self.x1[own..end], &self.x1[..0])
        } else {
            (&self.x1[own..], &self.x1[..end - n])
        };
        let members = || head.iter().chain(tail);
        let mut top = f64::NEG_INFINITY;
        for (l, p) in self.logits.iter_mut().zip(members()) {
            let (dx, dy) = (x[0] - beta * p[0], x[1] - beta * p[1]);
            *l = -(dx * dx + dy * dy) * inv;
            top = top.max(*l);
        }
        let (mut w, mut m) = (0.0, [0.0, 0.0]);
        for (l, p) in self.logits.iter().zip(members()) {
            let d = l - top;
            // Below e^−40 a member's weight is lost in rounding anyway.
            if d > -40.0 {
                let e = exp_neg(d);
                w += e;
                m[0] += e * p[0];
                m[1] += e * p[1];
            }
        }
        let t = [m[0] / w, m[1] / w];
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

/// e^x for x ∈ (−40, 0], to about 10⁻⁸ relative: x = n·ln 2 + r with |r| ≤ ½ln 2, a degree-7
/// Taylor series for e^r and the exponent bits for 2^n: no branches and no table, unlike
/// libm's `exp` (which wasm32 runs in software).
fn exp_neg(x: f64) -> f64 {
    const LN2: f64 = core::f64::consts::LN_2;
    let n = (x / LN2).round();
    let r = x - n * LN2;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    // n ∈ [−58, 0]: a normal power of two.
    p * f64::from_bits(((n as i64 + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::{BatchPosterior, Centre, exp_neg};
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

    #[test]
    fn exp_neg_matches_exp() {
        for k in 0..=40_000 {
            let x = -(k as f64) * 1e-3;
            let (a, b) = (exp_neg(x), x.exp());
            assert!((a - b).abs() <= 2e-8 * b, "x = {x}: {a} against {b}");
        }
    }
}
