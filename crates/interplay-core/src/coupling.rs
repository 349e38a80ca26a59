//! How a batch pairs its base samples x0 with its target samples x1: independently (the plain
//! interpolant), or by minibatch optimal transport, an exact assignment within blocks of the
//! batch that minimises Σ|x0 − x1|² (Kuhn–Munkres, from `pathfinding`). With OT the pairs are
//! dependent, so the learned velocity transports along straighter paths; the noise z stays
//! independent of both, which is what the score's identity s = −E[z | x_t]/γ needs.

use pathfinding::kuhn_munkres::kuhn_munkres_min;
use pathfinding::matrix::Matrix;

use crate::P2;

/// The pairing of x0 and x1 in a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Coupling {
    /// x0 and x1 drawn independently.
    #[default]
    Independent,
    /// Each block of [`OT_BLOCK`] rows paired by an exact assignment minimising Σ|x0 − x1|².
    Ot,
}

impl Coupling {
    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            Coupling::Independent => "independent",
            Coupling::Ot => "ot",
        }
    }
    /// Every coupling, in menu order.
    pub const ALL: [Coupling; 2] = [Coupling::Independent, Coupling::Ot];
    /// Parses [`Coupling::name`].
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// Rows per assignment: an exact assignment costs O(m³), so a batch is paired in blocks (128:
/// about a millisecond each natively, and most of the straightening of a full-batch plan).
pub const OT_BLOCK: usize = 128;

/// Squared distances are assigned as integers in units of 10⁻⁶.
const COST_SCALE: f64 = 1e6;

/// Reorders `x0` within each block of `block` rows so that row i's x0 and `x1[i]` form the
/// assignment of least total squared distance in that block.
pub fn ot_pair(x0: &mut [P2], x1: &[P2], block: usize) {
    let block = block.max(1);
    for (a, b) in x0.chunks_mut(block).zip(x1.chunks(block)) {
        let m = a.len().min(b.len());
        if m < 2 {
            continue;
        }
        // Rows are the targets, columns the base samples: row i takes column plan[i].
        let costs = Matrix::from_fn(m, m, |(i, j)| {
            let (dx, dy) = (b[i][0] - a[j][0], b[i][1] - a[j][1]);
            ((dx * dx + dy * dy) * COST_SCALE).round() as i64
        });
        let (_, plan) = kuhn_munkres_min(&costs);
        let taken: Vec<P2> = plan.iter().map(|&j| a[j]).collect();
        a[..m].copy_from_slice(&taken);
    }
}

/// Σ|x0 − x1|² over the rows.
pub fn transport_cost(x0: &[P2], x1: &[P2]) -> f64 {
    x0.iter()
        .zip(x1)
        .map(|(a, b)| (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rng;

    /// The least cost over every permutation (Heap's algorithm).
    fn brute_force(x0: &[P2], x1: &[P2]) -> f64 {
        let mut idx: Vec<usize> = (0..x0.len()).collect();
        let mut best = f64::INFINITY;
        let cost = |idx: &[usize]| {
            idx.iter()
                .enumerate()
                .map(|(i, &j)| (x0[j][0] - x1[i][0]).powi(2) + (x0[j][1] - x1[i][1]).powi(2))
                .sum::<f64>()
        };
        let n = idx.len();
        let mut c = vec![0; n];
        best = best.min(cost(&idx));
        let mut i = 0;
        while i < n {
            if c[i] < i {
                if i % 2 == 0 {
                    idx.swap(0, i);
                } else {
                    idx.swap(c[i], i);
                }
                best = best.min(cost(&idx));
                c[i] += 1;
                i = 0;
            } else {
                c[i] = 0;
                i += 1;
            }
        }
        best
    }

    #[test]
    fn the_assignment_is_the_brute_force_optimum_on_small_batches() {
        let mut rng = Rng::new(8);
        for n in 2..=7 {
            for _ in 0..5 {
                let x1: Vec<P2> = (0..n)
                    .map(|_| [4.0 * rng.uniform() - 2.0, 3.0 * rng.normal()])
                    .collect();
                let mut x0 = rng.normals(n);
                let mut sorted0 = x0.clone();
                ot_pair(&mut x0, &x1, OT_BLOCK);
                // A permutation of the same points, at the least cost.
                let mut after = x0.clone();
                let key = |p: &P2| (p[0].to_bits(), p[1].to_bits());
                sorted0.sort_by_key(key);
                after.sort_by_key(key);
                assert_eq!(after, sorted0);
                let (got, want) = (transport_cost(&x0, &x1), brute_force(&x0, &x1));
                assert!((got - want).abs() < 1e-4, "n = {n}: {got} against {want}");
            }
        }
    }

    #[test]
    fn blocks_are_paired_on_their_own_and_cost_less_than_independent_pairs() {
        let mut rng = Rng::new(3);
        let x1 = rng
            .normals(300)
            .into_iter()
            .map(|p| [p[0] + 3.0, 2.0 * p[1]])
            .collect::<Vec<_>>();
        let mut x0 = rng.normals(300);
        let before = transport_cost(&x0, &x1);
        let first_block: Vec<P2> = x0[..128].to_vec();
        ot_pair(&mut x0, &x1, OT_BLOCK);
        let after = transport_cost(&x0, &x1);
        // The mean shift (9 of the independent 15 per row) stays; the rest mostly goes.
        assert!(after < 0.75 * before, "{after} against {before}");
        // The first block holds the same points as before, reordered.
        let key = |p: &P2| (p[0].to_bits(), p[1].to_bits());
        let (mut a, mut b) = (first_block, x0[..128].to_vec());
        a.sort_by_key(key);
        b.sort_by_key(key);
        assert_eq!(a, b);
        assert_eq!(Coupling::from_name("ot"), Some(Coupling::Ot));
        assert_eq!(Coupling::from_name("sinkhorn"), None);
    }
}
