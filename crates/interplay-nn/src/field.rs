//! A learned field: trained networks plus the identities of docs/math.md §2 turn into b, s, g1 and
//! ∇·b at any (t, x), as device tensors.

use burn::tensor::{Device, Tensor, TensorData};
use interplay_core::{Schedule, ScheduleAt};

use crate::fused::FusedForward;
use crate::net::FieldNet;
use crate::objective::{Affine, Objective, Skip};

/// The fields at one time for a batch.
///
/// # Shapes
/// `b`, `s`: `[B, 2]`; `div_b`: `[B, 1]` when requested.
pub struct FieldOut {
    /// Velocity b(t, x).
    pub b: Tensor<2>,
    /// Score s(t, x).
    pub s: Tensor<2>,
    /// ∇·b(t, x), when asked for.
    pub div_b: Option<Tensor<2>>,
}

/// Trained networks under a schedule, on an inference (non-autodiff) device.
#[derive(Clone, Debug)]
pub struct LearnedField {
    /// What the networks learned.
    pub objective: Objective,
    /// The schedule the fields are evaluated under.
    pub schedule: Schedule,
    nets: Vec<FieldNet>,
    /// Each network's forward pass as the project's kernels, where the device runs them.
    fused: Vec<Option<FusedForward>>,
    device: Device,
}

/// A field that device samplers can integrate.
pub trait DeviceField {
    /// The device of the tensors.
    fn device(&self) -> Device;
    /// Schedule values at t.
    fn schedule_at(&self, t: f64) -> ScheduleAt;
    /// b, s (and ∇·b when `want_div`) at time t.
    fn eval(&self, t: f64, x: Tensor<2>, want_div: bool) -> FieldOut;
    /// b (and ∇·b when `want_div`) alone at time t, for the ODE and the likelihood; by default
    /// from [`DeviceField::eval`]. Fields whose b has a network of its own skip the score.
    fn velocity(&self, t: f64, x: Tensor<2>, want_div: bool) -> (Tensor<2>, Option<Tensor<2>>) {
        let out = self.eval(t, x, want_div);
        (out.b, out.div_b)
    }
    /// g1 = E[x1 | x_t = x] at time t (the Tweedie denoiser), default (x + σ²s)/β.
    fn posterior_mean(&self, t: f64, x: Tensor<2>) -> Tensor<2> {
        let st = self.schedule_at(t);
        let s = self.eval(t, x.clone(), false).s;
        (x + s * st.sigma2()) / st.beta
    }
}

impl LearnedField {
    /// Networks (already on `device`, without autodiff) for `objective` under `schedule`.
    pub fn new(
        objective: Objective,
        schedule: Schedule,
        nets: Vec<FieldNet>,
        device: Device,
    ) -> Self {
        let fused = nets.iter().map(|n| FusedForward::of(n, &device)).collect();
        Self {
            objective,
            schedule,
            nets,
            fused,
            device,
        }
    }

    /// The same networks under another schedule. Only the schedule-free objective gives the
    /// right fields for a schedule it was not trained with; the others must be retrained.
    pub fn with_schedule(&self, schedule: Schedule) -> Result<Self, String> {
        if self.objective.needs_schedule() && schedule != self.schedule {
            return Err(format!(
                "a {} model learned the fields of its own schedule; retrain it for a new α, β, γ \
                 (or train the schedule-free objective, which serves every schedule)",
                self.objective.name()
            ));
        }
        Ok(Self {
            schedule,
            ..self.clone()
        })
    }

    /// The networks.
    pub fn nets(&self) -> &[FieldNet] {
        &self.nets
    }

    /// The network's time input: `v` in every row of an `[n, 1]` column. It is uploaded, not
    /// filled on the device: a fill is an operation of the fused stream, and where the stream was
    /// cut just after it (which depends on how many steps a view took) it ran as a kernel of its
    /// own, compiled in the middle of an animation for a shape no warm-up had met.
    fn column(&self, v: f64, n: usize) -> Tensor<2> {
        Tensor::from_data(TensorData::new(vec![v as f32; n], [n, 1]), &self.device)
    }

    /// The schedule-free skip A·x + m on the device (a plain scale where it is one, as for
    /// checkpoints without the target's moments). A is symmetric 2 × 2, so A·x is written out
    /// elementwise: a matrix product this small is no work, but on a GPU burn would autotune
    /// one for every number of points a view asks for.
    fn skip(&self, skip: &Skip, x: Tensor<2>) -> Tensor<2> {
        if let Some(a) = skip.scalar() {
            return x * a;
        }
        let n = x.dims()[0];
        let [a00, a01, a11] = skip.a.map(|v| v as f32);
        let row = |v: [f32; 2]| {
            Tensor::<2>::from_data(TensorData::new(v.to_vec(), [1, 2]), &self.device).expand([n, 2])
        };
        let m = skip.m.map(|v| v as f32);
        // (A·x)ᵢ = a_ii·xᵢ + a01·x_j (j the other coordinate).
        let swapped = Tensor::cat(
            vec![x.clone().slice([0..n, 1..2]), x.clone().slice([0..n, 0..1])],
            1,
        );
        x * row([a00, a11]) + swapped * a01 + row(m)
    }

    /// Network `i` at (u, x), and its divergence in x when asked: the project's kernels on a
    /// GPU, burn's layers elsewhere.
    fn run(
        &self,
        i: usize,
        u: Tensor<2>,
        x: Tensor<2>,
        want_div: bool,
    ) -> (Tensor<2>, Option<Tensor<2>>) {
        if let Some(f) = &self.fused[i] {
            return f.eval(u, x, want_div);
        }
        if want_div {
            let (y, d) = self.nets[i].forward_div(u, x);
            (y, Some(d))
        } else {
            (self.nets[i].forward(u, x), None)
        }
    }
}

impl LearnedField {
    /// skip·x + scale·net_i(c_in·x), and its divergence 2·skip + scale·c_in·∇·net_i.
    fn run_affine(
        &self,
        i: usize,
        aff: Affine,
        u: Tensor<2>,
        x: Tensor<2>,
        want_div: bool,
    ) -> (Tensor<2>, Option<Tensor<2>>) {
        if aff.is_identity() {
            return self.run(i, u, x, want_div);
        }
        let (f, df) = self.run(i, u, x.clone() * aff.c_in, want_div);
        (
            x * aff.skip + f * aff.scale,
            df.map(|d| d * (aff.scale * aff.c_in) + 2.0 * aff.skip),
        )
    }
}

impl DeviceField for LearnedField {
    fn device(&self) -> Device {
        self.device.clone()
    }

    fn schedule_at(&self, t: f64) -> ScheduleAt {
        self.schedule.at(t)
    }

    fn eval(&self, t: f64, x: Tensor<2>, want_div: bool) -> FieldOut {
        let st = self.schedule.at(t);
        let n = x.dims()[0];
        let (s2, ssd) = (st.sigma2(), st.sigma_d_sigma());
        match &self.objective {
            Objective::VelocityScore { .. } => {
                let u = self.column(t, n);
                let [ab, as_] = self.objective.affines(&st);
                let (b, div_b) = self.run_affine(0, ab, u.clone(), x.clone(), want_div);
                let (s, _) = self.run_affine(1, as_, u, x, false);
                FieldOut { b, s, div_b }
            }
            Objective::VScore => {
                let u = self.column(t, n);
                let (v, dv) = self.run(0, u.clone(), x.clone(), want_div);
                let (s, ds) = self.run(1, u, x, want_div);
                let b = v - s.clone() * st.gamma_d_gamma;
                let div_b = dv.zip(ds).map(|(dv, ds)| dv - ds * st.gamma_d_gamma);
                FieldOut { b, s, div_b }
            }
            Objective::Denoiser => {
                let u = self.column(t, n);
                let (b, div_b) = self.run(0, u.clone(), x.clone(), want_div);
                // s = −η/γ (two-sided) or −η/α (no γ).
                let k = if self.schedule.has_gamma() {
                    st.gamma
                } else {
                    st.alpha
                };
                let s = self.run(1, u, x, false).0 / (-k);
                FieldOut { b, s, div_b }
            }
            Objective::ScheduleFree { .. } => {
                let at = self
                    .objective
                    .sf_at(s2.sqrt(), st.beta)
                    .expect("schedule-free");
                let (f, df) = self.run(0, self.column(at.u, n), x.clone() * at.c_in, want_div);
                let g1 = self.skip(&at.skip, x.clone()) + f * at.c_out;
                let s = (x - g1.clone() * st.beta) / (-s2);
                let b = g1 * st.d_beta - s.clone() * ssd;
                let div_b = df.map(|df| {
                    let dg1 = df * (at.c_out * at.c_in) + at.skip.trace();
                    let ds = (dg1.clone() * st.beta - 2.0) / s2;
                    dg1 * st.d_beta - ds * ssd
                });
                FieldOut { b, s, div_b }
            }
        }
    }

    fn velocity(&self, t: f64, x: Tensor<2>, want_div: bool) -> (Tensor<2>, Option<Tensor<2>>) {
        match &self.objective {
            // b is a network of its own: no need for the score network.
            Objective::VelocityScore { .. } | Objective::Denoiser => {
                let aff = self.objective.affine(0, &self.schedule.at(t));
                let u = self.column(t, x.dims()[0]);
                self.run_affine(0, aff, u, x, want_div)
            }
            _ => {
                let out = self.eval(t, x, want_div);
                (out.b, out.div_b)
            }
        }
    }

    fn posterior_mean(&self, t: f64, x: Tensor<2>) -> Tensor<2> {
        match &self.objective {
            Objective::ScheduleFree { .. } => {
                let st = self.schedule.at(t);
                let n = x.dims()[0];
                let at = self
                    .objective
                    .sf_at(st.sigma2().sqrt(), st.beta)
                    .expect("schedule-free");
                let (f, _) = self.run(0, self.column(at.u, n), x.clone() * at.c_in, false);
                self.skip(&at.skip, x) + f * at.c_out
            }
            _ => {
                let st = self.schedule.at(t);
                let s = self.eval(t, x.clone(), false).s;
                (x + s * st.sigma2()) / st.beta
            }
        }
    }
}
