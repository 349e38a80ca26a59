//! The losses of a flow-map step ([`Distill`]: how the map away from the diagonal is learned)
//! and their gradient: the diagonal's and the distillation's losses over the batch's rows,
//! either at once or, natively on the CPU, in two halves on two threads.
//!
//! Each half holds half the diagonal's rows and half the distillation's, on its own copy of the
//! network (the same parameters as fresh leaves, so that each half has its own autodiff graph).
//! Each loss is a mean over its whole part, so each half's loss is its rows' sum over the part's
//! full count, and the two halves' gradients add up to the batch's: the same step as one thread
//! takes, up to the order of the sums. A step of the map uses one core otherwise (its layers are
//! too small for burn's products to spread over threads), so this halves the wall time a step
//! takes where two cores are free.

use burn::module::Param;
use burn::nn::Linear;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use core::ops::Range;
use interplay_core::P2;
use serde::{Deserialize, Serialize};

use super::net::MapNet;
use crate::objective::Skip;

/// How the map away from the diagonal is learned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Distill {
    /// ∂_t X̂_{s,t} against v̂_{t,t}(X̂_{s,t}) (the paper's most stable choice).
    #[default]
    Lagrangian,
    /// X̂_{s,t} against X̂_{u,t} ∘ X̂_{s,u}.
    Progressive,
    /// A reference that only a project with exact fields can run: X̂_{s,t} against the exact map
    /// X_{s,t} (`interplay_core::flow_map`), and the diagonal against the exact b. It shows
    /// what the network and the budget can reach when nothing is estimated.
    Exact,
}

impl Distill {
    /// Both, in the CLI's order.
    pub const ALL: [Distill; 3] = [Distill::Lagrangian, Distill::Progressive, Distill::Exact];
    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            Distill::Lagrangian => "lagrangian",
            Distill::Progressive => "progressive",
            Distill::Exact => "exact",
        }
    }
    /// Parses [`Distill::name`].
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.name() == s)
    }
}

/// The losses of one step, unread.
pub struct MapLosses {
    /// ½|v̂_{t,t} − b|² on the diagonal rows (its excess over the minimum is ½ the squared error).
    pub diagonal: Tensor<1>,
    /// The distillation residual, ½|·|² in velocity units.
    pub distill: Tensor<1>,
}

/// Below this many rows in a part, a step does not split (each half needs rows of both parts).
const MIN_SPLIT_ROWS: usize = 16;

/// Columns of one part of a batch, flattened row-major.
#[derive(Clone, Default)]
pub(super) struct Cols {
    pub(super) st: Vec<f32>,
    pub(super) x: Vec<f32>,
    /// Per row: a point (the diagonal's target, or G_{s,t}(x)), its derivative ∂_t G (the exact
    /// X_{s,t}(x) for [`Distill::Exact`]), and an affine map (a00, a01, a11, m0, m1) applied on
    /// the device to the map's end point.
    pub(super) p: Vec<f32>,
    pub(super) dp: Vec<f32>,
    pub(super) gap: Vec<f32>,
    pub(super) aff: Vec<f32>,
    /// The progressive teacher's midpoint: (s, u), G_{s,u}(x), u − s, and (u, t) (for the
    /// Lagrangian teacher, (t, t)).
    pub(super) su: Vec<f32>,
    pub(super) g_su: Vec<f32>,
    pub(super) gap_su: Vec<f32>,
    pub(super) ut: Vec<f32>,
    pub(super) gap_ut: Vec<f32>,
}

impl Cols {
    /// Its number of rows.
    fn len(&self) -> usize {
        self.st.len() / 2
    }

    /// Rows `r` of every column (a column this part does not use stays empty).
    fn rows(&self, r: Range<usize>) -> Cols {
        let take = |v: &Vec<f32>, w: usize| {
            if v.is_empty() {
                Vec::new()
            } else {
                v[r.start * w..r.end * w].to_vec()
            }
        };
        Cols {
            st: take(&self.st, 2),
            x: take(&self.x, 2),
            p: take(&self.p, 2),
            dp: take(&self.dp, 2),
            gap: take(&self.gap, 1),
            aff: take(&self.aff, 5),
            su: take(&self.su, 2),
            g_su: take(&self.g_su, 2),
            gap_su: take(&self.gap_su, 1),
            ut: take(&self.ut, 2),
            gap_ut: take(&self.gap_ut, 1),
        }
    }
}

pub(super) fn push2(v: &mut Vec<f32>, p: P2) {
    v.extend([p[0] as f32, p[1] as f32]);
}

pub(super) fn push_affine(v: &mut Vec<f32>, a: &Skip) {
    v.extend([a.a[0], a.a[1], a.a[2], a.m[0], a.m[1]].map(|x| x as f32));
}

/// Per-row affine maps (`aff`, `[n, 5]`: a00, a01, a11, m0, m1) applied to the rows of `y`.
fn apply_rows(aff: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
    let n = y.dims()[0];
    let c = |k: usize| aff.clone().slice([0..n, k..k + 1]);
    let (y0, y1) = (y.clone().slice([0..n, 0..1]), y.slice([0..n, 1..2]));
    let out0 = c(0) * y0.clone() + c(1) * y1.clone() + c(3);
    let out1 = c(1) * y0 + c(2) * y1 + c(4);
    Tensor::cat(vec![out0, out1], 1)
}

/// The gradient in `net`'s parameters of these rows' loss, and its two parts (off the graph):
/// the diagonal's and the distillation's ½|·|², each summed over the rows and divided by its
/// part's full count (`totals`: the diagonal's rows, the distillation's).
fn gradient(
    net: &MapNet,
    distill: Distill,
    diag: Cols,
    off: Cols,
    totals: (usize, usize),
    dev: &Device,
) -> (GradientsParams, MapLosses) {
    let t = |v: Vec<f32>, w: usize| {
        let rows = v.len() / w;
        Tensor::<2>::from_data(TensorData::new(v, [rows, w]), dev)
    };
    let half_mean = |r: Tensor<2>, total: usize| r.square().sum() * (0.5 / total as f64);
    let f = net.forward(t(diag.st, 2), t(diag.x, 2));
    let diagonal = half_mean(f - t(diag.p, 2), totals.0);
    let (st, x, g, gap) = (t(off.st, 2), t(off.x, 2), t(off.p, 2), t(off.gap, 1));
    let residual = match distill {
        Distill::Lagrangian => {
            let (f, df) = net.forward_dt(st, x);
            let x_hat = g + f.clone() * gap.clone();
            let dx_hat = t(off.dp, 2) + f + df * gap;
            let y = x_hat.detach();
            let teacher = apply_rows(t(off.aff, 5), y.clone()) + net.forward(t(off.ut, 2), y);
            dx_hat - teacher.detach()
        }
        Distill::Progressive => {
            let student = g + net.forward(st, x.clone()) * gap.clone();
            let gap_su = t(off.gap_su, 1);
            let mid = t(off.g_su, 2) + net.forward(t(off.su, 2), x) * gap_su;
            let mid = mid.detach();
            let end = apply_rows(t(off.aff, 5), mid.clone())
                + net.forward(t(off.ut, 2), mid) * t(off.gap_ut, 1);
            (student - end.detach()) / gap
        }
        Distill::Exact => {
            let student = g + net.forward(st, x) * gap.clone();
            (student - t(off.dp, 2)) / gap
        }
    };
    let residual = half_mean(residual, totals.1);
    let mut grads = (diagonal.clone() + residual.clone()).backward();
    let g = GradientsParams::from_module(&mut grads, net);
    let losses = MapLosses {
        diagonal: diagonal.inner(),
        distill: residual.inner(),
    };
    (g, losses)
}

/// `net`'s parameters as fresh leaves of the autodiff graph: the same values, their own ids.
fn replica(net: &MapNet) -> MapNet {
    let mut copy = net.clone();
    copy.layers = net
        .layers
        .iter()
        .map(|l| Linear {
            weight: Param::from_tensor(l.weight.val().detach()),
            bias: l
                .bias
                .as_ref()
                .map(|b| Param::from_tensor(b.val().detach())),
        })
        .collect();
    copy
}

/// The gradient of the batch's loss (`diag` and `off`, all its rows) in `net`'s parameters, and
/// the losses; in two halves on two threads when `parallel` and each part has the rows for it.
pub(super) fn gradients(
    net: &MapNet,
    distill: Distill,
    diag: Cols,
    off: Cols,
    dev: &Device,
    parallel: bool,
) -> (GradientsParams, MapLosses) {
    let totals = (diag.len(), off.len());
    if !parallel || totals.0 < MIN_SPLIT_ROWS || totals.1 < MIN_SPLIT_ROWS {
        return gradient(net, distill, diag, off, totals, dev);
    }
    let (hd, ho) = (totals.0 / 2, totals.1 / 2);
    let (d0, d1) = (diag.rows(0..hd), diag.rows(hd..totals.0));
    let (o0, o1) = (off.rows(0..ho), off.rows(ho..totals.1));
    let copy = replica(net);
    let ((mut ga, la), (mut gb, lb)) = crate::trainer::join(
        || gradient(net, distill, d0, o0, totals, dev),
        || gradient(&copy, distill, d1, o1, totals, dev),
    );
    // The replica's gradients under the network's own parameter ids, added to the first half's.
    let mut g = GradientsParams::new();
    for (mine, theirs) in net.layers.iter().zip(&copy.layers) {
        let sum2 = |a: Option<Tensor<2>>, b: Option<Tensor<2>>| {
            a.expect("every weight has a gradient") + b.expect("every weight has a gradient")
        };
        let w = sum2(ga.remove(mine.weight.id), gb.remove(theirs.weight.id));
        g.register(mine.weight.id, w);
        if let (Some(b), Some(c)) = (&mine.bias, &theirs.bias) {
            let sum: Tensor<1> = ga.remove::<1>(b.id).expect("every bias has a gradient")
                + gb.remove::<1>(c.id).expect("every bias has a gradient");
            g.register(b.id, sum);
        }
    }
    let losses = MapLosses {
        diagonal: la.diagonal + lb.diagonal,
        distill: la.distill + lb.distill,
    };
    (g, losses)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // the CPU backend reads synchronously
mod tests {
    use super::*;
    use crate::flow_map::MapTrainer;
    use crate::net::NetConfig;
    use crate::trainer::TrainConfig;
    use interplay_core::{ObjectiveKind, Schedule, Target};

    fn read(t: Tensor<2>) -> Vec<f32> {
        t.into_data().convert::<f32>().try_to_vec().expect("f32")
    }

    /// The largest difference of `a` and `b` over the largest magnitude of `a`.
    fn relative(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        let scale = a.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-12);
        a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs())) / scale
    }

    #[test]
    fn two_halves_on_two_threads_give_the_whole_batch_gradient() {
        for distill in [Distill::Lagrangian, Distill::Progressive, Distill::Exact] {
            let config = TrainConfig {
                objective: ObjectiveKind::FlowMap,
                batch: 96,
                net: NetConfig {
                    width: 16,
                    depth: 2,
                    fourier: 1,
                    spatial: 2,
                    ..NetConfig::default()
                },
                ..TrainConfig::default()
            };
            let device = Device::flex();
            let mut tr = MapTrainer::new(
                config,
                distill,
                Schedule::default(),
                Target::Checkerboard,
                &device,
            )
            .expect("trainer");
            let (diag, off) = tr.draw();
            assert!(diag.len() >= MIN_SPLIT_ROWS && off.len() >= MIN_SPLIT_ROWS);
            let dev = tr.device.clone();
            let (whole, lw) = gradients(&tr.net, distill, diag.clone(), off.clone(), &dev, false);
            let (halves, lh) = gradients(&tr.net, distill, diag, off, &dev, true);
            for (k, layer) in tr.net.layers.iter().enumerate() {
                let w = |g: &GradientsParams| read(g.get::<2>(layer.weight.id).expect("weight"));
                let d = relative(&w(&whole), &w(&halves));
                assert!(
                    d < 1e-5,
                    "{distill:?}, layer {k}: weight gradients apart by {d}"
                );
                let b = layer.bias.as_ref().expect("bias").id;
                let b = |g: &GradientsParams| read(g.get::<1>(b).expect("bias").unsqueeze());
                let d = relative(&b(&whole), &b(&halves));
                assert!(
                    d < 1e-5,
                    "{distill:?}, layer {k}: bias gradients apart by {d}"
                );
            }
            let one = |t: Tensor<1>| read(t.unsqueeze());
            for (a, b) in [(lw.diagonal, lh.diagonal), (lw.distill, lh.distill)] {
                let (a, b) = (one(a), one(b));
                assert!(
                    relative(&a, &b) < 1e-5,
                    "{distill:?}: losses {a:?} and {b:?}"
                );
            }
        }
    }
}
