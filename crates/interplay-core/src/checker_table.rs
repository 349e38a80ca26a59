//! The checkerboard posterior at one time, tabulated for large batches of points.
//!
//! At a fixed t the posterior factorises over the two coordinates (see `checker`). Group a
//! coordinate's 4 cells by parity, even (cells 0 and 2) and odd (1 and 3): a square is occupied
//! exactly when both its cells have the same parity. So three smooth functions of one coordinate
//! value x decide g1, and a fourth gives log ρ:
//!
//! ```text
//! L(x)  = ln(S_e(x)/S_o(x))      S_p: mass of the class-p cells (with the coordinate's scale)
//! μ_p(x) = E[x1 coordinate | x, class p]
//! ℓ(x)  = ln S_o(x)
//! g1_x  = μ_o(x) + w (μ_e(x) − μ_o(x)),   w = 1/(1 + exp(−L(x) − L(y)))   (same for y)
//! log ρ = ℓ(x) + ℓ(y) + ln(1 + exp(L(x) + L(y))) − ln 32
//! ```
//!
//! Their derivatives are closed-form, d ln S_p/dx = (β μ_p − x)/σ² and dμ_p/dx = β V_p/σ² (V_p the
//! class variance), so they are interpolated by cubic Hermite polynomials on equally spaced
//! nodes. Two scales set the spacing h:
//! - every function varies on the scale σ: h ≤ σ/32 bounds the error by (h/σ)⁴/384 times an
//!   O(1) fourth derivative in units of σ;
//! - within a class, the weight moves from one cell to the other (in the middle of the cell
//!   between them) as a logistic function of r = ln(m_a/m_b), whose slope is about 4β/σ²: sharp
//!   at late t. Nodes σ²/(100β) apart resolve it until the table has 4096 nodes; beyond that the
//!   cells where the switch would be interpolated badly (`switch_error`) are evaluated
//!   directly.
//!
//! Measured against the direct evaluation (`table_agrees_with_the_direct_posterior`): g1 to a few
//! 1e-8 σ and log ρ to a few 1e-10 relative, from t = 0 to σ = 10⁻³. The nodes span the board's
//! image [−4β, 4β] widened by 12σ; a point outside is evaluated directly (the same four
//! functions). Building a table costs about as much as a few points per node, so it pays when
//! many more points than nodes are evaluated at one time: particles and density grids.

use super::{CheckerAt, LN_32, coord};
use crate::{P2, par};

/// Node spacing in units of σ (at most).
const NODES_PER_SIGMA: f64 = 32.0;
/// Nodes per unit of σ²/β, the scale on which a class switches between its two cells, until
/// the table has [`SWITCH_NODES_CAP`] nodes.
const NODES_PER_SWITCH: f64 = 100.0;
/// The most nodes spent on resolving switches (beyond it, their cells are evaluated directly).
const SWITCH_NODES_CAP: f64 = 4096.0;
/// The tabulated interval extends this many σ beyond the board's image [−4β, 4β].
const MARGIN_SIGMAS: f64 = 12.0;
/// The most cells a table may have (far more than any σ > 0 the views reach needs: the table
/// only pays when it has fewer nodes than half the points it serves).
const MAX_CELLS: f64 = 1e7;

/// The four functions of one coordinate value (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Parity {
    /// L = ln(S_e/S_o).
    pub log_odds: f64,
    /// μ_e, the mean of the coordinate of x1 over the even cells.
    pub mean_even: f64,
    /// μ_o, the same over the odd cells.
    pub mean_odd: f64,
    /// ℓ = ln S_o, including the coordinate's normalisation.
    pub log_odd: f64,
}

/// Cells whose estimated interpolation error of g1 (see [`switch_error`]) exceeds this many σ are
/// evaluated directly.
const SHARP_TOL: f64 = 1e-8;

/// An estimate of the Hermite error of g1 over one cell caused by a class's switch between its
/// two cells, from the log weight ratio r = ln(m_a/m_b) at the cell's ends. The class mean is
/// the logistic function of r times the distance between the cells' means (at most 4, two cell
/// widths; the class log mass contains its integral); with Δr the change of r over the cell the cubic Hermite
/// error is Δr⁴/384 times the logistic's fourth derivative (at most 1/8, decaying like e^{−|r|}).
fn switch_error(r0: f64, r1: f64) -> f64 {
    let dr = (r1 - r0).abs();
    let nearest = if r0.signum() != r1.signum() {
        0.0
    } else {
        r0.abs().min(r1.abs())
    };
    4.0 * dr.powi(4) / (384.0 * 8.0) * (-nearest).exp()
}

/// The work of one node in points (for the threshold of spreading a build over threads).
const NODE_WORK: usize = 4;

/// One node: the four functions and their derivatives times the node spacing.
type Node = [f64; 8];

impl CheckerAt {
    /// The four functions of one coordinate value, their x-derivatives, and the log weight
    /// ratios of the two cells within each class, ln(m0/m2) and ln(m1/m3).
    fn parity_node(&self, x: f64) -> (Parity, [f64; 4], [f64; 2]) {
        let c = coord(x, self.beta, self.sigma, true, true);
        // ln S, mean and variance of the class made of cells a and b.
        let class = |a: usize, b: usize| {
            let top = c.lm[a].max(c.lm[b]);
            let (wa, wb) = ((c.lm[a] - top).exp(), (c.lm[b] - top).exp());
            let w = wa + wb;
            let mean = (wa * c.mean[a] + wb * c.mean[b]) / w;
            let (da, db) = (c.mean[a] - mean, c.mean[b] - mean);
            let var = (wa * (c.var[a] + da * da) + wb * (c.var[b] + db * db)) / w;
            (top + w.ln() + c.ln_scale, mean, var)
        };
        let (ln_even, mean_even, var_even) = class(0, 2);
        let (ln_odd, mean_odd, var_odd) = class(1, 3);
        let k = self.beta * self.inv_sigma * self.inv_sigma;
        let p = Parity {
            log_odds: ln_even - ln_odd,
            mean_even,
            mean_odd,
            log_odd: ln_odd,
        };
        let d_ln_odd = (self.beta * mean_odd - x) * self.inv_sigma * self.inv_sigma;
        (
            p,
            [
                k * (mean_even - mean_odd),
                k * var_even,
                k * var_odd,
                d_ln_odd,
            ],
            [c.lm[0] - c.lm[2], c.lm[1] - c.lm[3]],
        )
    }

    /// The four functions of one coordinate value, evaluated directly.
    pub fn parity(&self, x: f64) -> Parity {
        self.parity_node(x).0
    }
}

/// g1 and (when wanted) log ρ from the two coordinates' functions.
fn combine(px: &Parity, py: &Parity, want_log_rho: bool) -> (P2, f64) {
    let s = px.log_odds + py.log_odds;
    // w = 1/(1 + e^{−s}) and ln(1 + e^{s}) from one exponential of −|s|. Beyond |s| = 50
    // (e^{−50} ≈ 2e-22) it would change g1 by less than 1e-21, so for g1 alone it is skipped: on
    // the board at late t one class dominates both coordinates and |s| is large.
    let e = if s.abs() < 50.0 || want_log_rho {
        (-s.abs()).exp()
    } else {
        0.0
    };
    let w = if s > 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    };
    let g1 = [
        px.mean_odd + w * (px.mean_even - px.mean_odd),
        py.mean_odd + w * (py.mean_even - py.mean_odd),
    ];
    let log_rho = if want_log_rho {
        px.log_odd + py.log_odd + s.max(0.0) + e.ln_1p() - LN_32
    } else {
        f64::NAN
    };
    (g1, log_rho)
}

/// The checkerboard posterior at one (β, σ), tabulated over one coordinate.
#[derive(Clone)]
pub struct CheckerTable {
    at: CheckerAt,
    lo: f64,
    inv_h: f64,
    /// The last cell's index + 1: a point at `s ∈ [0, cells)` in node units is tabulated.
    cells: f64,
    nodes: Vec<Node>,
    /// Cells where a class switches between its two cells too sharply to interpolate.
    sharp: Vec<bool>,
}

impl std::fmt::Debug for CheckerTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckerTable")
            .field("at", &self.at)
            .field("lo", &self.lo)
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

impl CheckerTable {
    /// How many nodes a table at (β, σ) has (to decide whether it pays).
    /// `usize::MAX` where no table can be built (σ = 0: x_t is a point mass of the board).
    pub fn nodes_for(beta: f64, sigma: f64) -> usize {
        Self::layout(beta, sigma).map_or(usize::MAX, |l| l.2)
    }

    /// The first node, the spacing and the number of nodes at (β, σ). The nodes are symmetric
    /// about 0 (node i sits at −x of node count − 1 − i). `None` unless β ≥ 0 and σ > 0 are
    /// finite and the table is of a size that can be built: at σ = 0 the spacing is 0 and
    /// the count would be infinite.
    fn layout(beta: f64, sigma: f64) -> Option<(f64, f64, usize)> {
        if !(beta >= 0.0 && sigma > 0.0 && beta.is_finite() && sigma.is_finite()) {
            return None;
        }
        let span = 8.0 * beta + 2.0 * MARGIN_SIGMAS * sigma;
        let switch = sigma * sigma / (NODES_PER_SWITCH * beta);
        let h = (sigma / NODES_PER_SIGMA).min(switch.max(span / SWITCH_NODES_CAP));
        let cells = (span / h).ceil();
        if !(1.0..=MAX_CELLS).contains(&cells) {
            return None;
        }
        let count = cells as usize + 1;
        Some((-0.5 * span, span / (count - 1) as f64, count))
    }

    /// Tabulates the posterior of `at`. Returns `None` at σ = 0 (no table has a spacing there)
    /// or when a node is not finite (never seen for σ > 0); the direct evaluation then remains.
    ///
    /// Half the nodes are evaluated (over the machine's cores natively); the board's symmetry
    /// under x ↦ −x, which swaps cells k and 3 − k and so the two classes, gives the others:
    /// L(−x) = −L(x), μ_e(−x) = −μ_o(x), μ_o(−x) = −μ_e(x), ℓ(−x) = ℓ(x) + L(x).
    pub fn new(at: CheckerAt) -> Option<Self> {
        let (lo, h, count) = Self::layout(at.beta, at.sigma)?;
        let half = count.div_ceil(2);
        let xs: Vec<f64> = (0..half).map(|i| lo + i as f64 * h).collect();
        let mut nodes: Vec<Node> = vec![[0.0; 8]; count];
        let mut ratios = vec![[0.0; 2]; count];
        par::fill2(
            &xs,
            &mut nodes[..half],
            &mut ratios[..half],
            NODE_WORK,
            &|&x| {
                let (p, d, r) = at.parity_node(x);
                let node = [
                    p.log_odds,
                    d[0] * h,
                    p.mean_even,
                    d[1] * h,
                    p.mean_odd,
                    d[2] * h,
                    p.log_odd,
                    d[3] * h,
                ];
                (node, r)
            },
        );
        if !nodes[..half].iter().flatten().all(|v| v.is_finite()) {
            return None;
        }
        for j in half..count {
            let [l, dl, me, dme, mo, dmo, lo_, dlo] = nodes[count - 1 - j];
            // Values of the mirrored functions; derivatives pick up the sign of d(−x)/dx.
            nodes[j] = [-l, dl, -mo, dmo, -me, dme, lo_ + l, -(dlo + dl)];
            let [re, ro] = ratios[count - 1 - j];
            ratios[j] = [-ro, -re];
        }
        let sharp = ratios
            .windows(2)
            .map(|w| (0..2).any(|c| switch_error(w[0][c], w[1][c]) > SHARP_TOL * at.sigma))
            .collect();
        Some(Self {
            at,
            lo,
            inv_h: 1.0 / h,
            cells: (count - 1) as f64,
            nodes,
            sharp,
        })
    }

    /// The fraction of cells evaluated directly.
    pub fn sharp_fraction(&self) -> f64 {
        self.sharp.iter().filter(|s| **s).count() as f64 / self.sharp.len() as f64
    }

    /// The direct evaluator this table was built from.
    pub fn checker_at(&self) -> &CheckerAt {
        &self.at
    }

    /// The four functions at one coordinate value: interpolated inside the table, direct outside.
    pub fn parity(&self, x: f64) -> Parity {
        let s = (x - self.lo) * self.inv_h;
        if !(s >= 0.0 && s < self.cells) {
            return self.at.parity(x);
        }
        let i = s as usize;
        if self.sharp[i] {
            return self.at.parity(x);
        }
        let u = s - i as f64;
        let v = 1.0 - u;
        // Cubic Hermite basis on [0, 1].
        let h00 = (1.0 + 2.0 * u) * v * v;
        let h10 = u * v * v;
        let h01 = u * u * (3.0 - 2.0 * u);
        let h11 = -u * u * v;
        let (a, b) = (&self.nodes[i], &self.nodes[i + 1]);
        let f = |k: usize| h00 * a[k] + h10 * a[k + 1] + h01 * b[k] + h11 * b[k + 1];
        Parity {
            log_odds: f(0),
            mean_even: f(2),
            mean_odd: f(4),
            log_odd: f(6),
        }
    }

    /// g1 = E[x1 | x_t = x] and, when `want_log_rho`, log ρ(t, x) (NaN otherwise).
    pub fn g1_log_rho(&self, x: P2, want_log_rho: bool) -> (P2, f64) {
        combine(&self.parity(x[0]), &self.parity(x[1]), want_log_rho)
    }
}

impl CheckerAt {
    /// g1 and log ρ through the parity functions, evaluated directly (the table's reference).
    pub fn g1_log_rho_by_parity(&self, x: P2) -> (P2, f64) {
        combine(&self.parity(x[0]), &self.parity(x[1]), true)
    }
}
