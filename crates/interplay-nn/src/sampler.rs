//! Samplers for learned fields on the device: the same step rules, time grids and stability
//! rule as `interplay_core::integrate` (checked against it in the tests), with particles kept
//! as device tensors. Brownian increments come from the host RNG, so a seed gives the same paths
//! on every backend.

use burn::tensor::{Device, Tensor, TensorData};
use interplay_core::integrate::{
    Cloud, Eps, Flow, NoisyFlow, OdeSolver, Report, SdeSolver, Span, stepper,
};
use interplay_core::likelihood::back_span;
use interplay_core::sampling::{Method, Recipe, streams};
use interplay_core::schedule::ScheduleAt;
use interplay_core::{P2, Rng};

use crate::field::DeviceField;

/// Points as a `[n, 2]` f32 tensor.
pub fn points_tensor(points: &[P2], device: &Device) -> Tensor<2> {
    let flat: Vec<f32> = points
        .iter()
        .flat_map(|p| [p[0] as f32, p[1] as f32])
        .collect();
    Tensor::from_data(TensorData::new(flat, [points.len(), 2]), device)
}

fn normals(rng: &mut Rng, n: usize, scale: f64, device: &Device) -> Tensor<2> {
    let flat: Vec<f32> = (0..n)
        .flat_map(|_| rng.normal2().map(|v| (scale * v) as f32))
        .collect();
    Tensor::from_data(TensorData::new(flat, [n, 2]), device)
}

/// Particles on the device, as the core stepper sees them.
struct OnDevice(Tensor<2>);

impl Cloud for OnDevice {
    fn step(&self, h: f64, ks: &[(f64, &Self)], noise: Option<&Self>) -> Self {
        let sum = ks
            .iter()
            .map(|(w, k)| {
                if *w == 1.0 {
                    k.0.clone()
                } else {
                    k.0.clone() * *w
                }
            })
            .reduce(|a, b| a + b);
        let y = match sum {
            Some(sum) => self.0.clone() + sum * h,
            None => self.0.clone(),
        };
        OnDevice(match noise {
            Some(n) => y + n.0.clone(),
            None => y,
        })
    }
}

/// A learned field as a core [`Flow`] over device particles.
struct DeviceFlow<'a, F: ?Sized>(&'a F);

impl<F: DeviceField + ?Sized> Flow for DeviceFlow<'_, F> {
    type X = OnDevice;
    fn schedule_at(&self, t: f64) -> ScheduleAt {
        self.0.schedule_at(t)
    }
    fn velocity(&self, t: f64, x: &OnDevice) -> OnDevice {
        OnDevice(self.0.velocity(t, x.0.clone(), false).0)
    }
}

impl<F: DeviceField + ?Sized> NoisyFlow for DeviceFlow<'_, F> {
    fn drift(&self, t: f64, x: &OnDevice, sign: f64, e: f64) -> OnDevice {
        let f = self.0.eval(t, x.0.clone(), false);
        OnDevice(f.b * sign + f.s * e)
    }
    fn noise(&self, like: &OnDevice, amp: f64, rng: &mut Rng) -> OnDevice {
        OnDevice(normals(rng, like.0.dims()[0], amp, &self.0.device()))
    }
}

/// Integrates dX = b dt over `span` with the core stepper's rule; returns the particles and
/// what the stepper did.
pub fn ode<F: DeviceField + ?Sized>(
    field: &F,
    x: Tensor<2>,
    span: Span,
    solver: OdeSolver,
) -> (Tensor<2>, Report) {
    let (x, report) = stepper::ode(&DeviceFlow(field), OnDevice(x), span, solver);
    (x.0, report)
}

/// Integrates dX = (b ± ε s) dt + √(2ε) dW over `span` (forward: b + εs; backward: b − εs) with
/// the core stepper's rule.
pub fn sde<F: DeviceField + ?Sized>(
    field: &F,
    x: Tensor<2>,
    span: Span,
    eps: Eps,
    solver: SdeSolver,
    rng: &mut Rng,
) -> (Tensor<2>, Report) {
    let (x, report) = stepper::sde(&DeviceFlow(field), OnDevice(x), span, eps, solver, rng);
    (x.0, report)
}

/// One step of the views' follow-t rule ([`stepper::view_move`]) for learned particles.
pub fn view_move<F: DeviceField + ?Sized>(
    field: &F,
    x: Tensor<2>,
    t: f64,
    next: f64,
    eps: f64,
    rng: &mut Rng,
) -> (Tensor<2>, bool) {
    let (x, moved) = stepper::view_move(&DeviceFlow(field), OnDevice(x), t, next, eps, rng);
    (x.0, moved)
}

/// Runs a sampling recipe of `interplay_core::sampling` on the device. Dopri5 is adaptive and
/// runs on the host only: a recipe asking for it is refused (never silently run as RK4).
pub fn run_recipe<F: DeviceField + ?Sized>(
    field: &F,
    x: Tensor<2>,
    recipe: &Recipe,
    seed: u64,
) -> Result<(Tensor<2>, Report), crate::NnError> {
    let t0 = interplay_core::schedule::start_time(&field.schedule_at(0.0));
    let span = Span::new(t0, 1.0 - recipe.delta, recipe.steps).warped(recipe.warp);
    let (x, report) = match recipe.method {
        Method::Ode(solver) => ode(field, x, span, solver),
        Method::Dopri5(_) => {
            return Err(crate::NnError::Config(
                "Dopri5 integrates the exact fields only; a model samples with Euler, Heun or \
                 RK4 (or Euler–Maruyama or Heun for the SDE)"
                    .into(),
            ));
        }
        Method::Sde(solver, eps) => {
            let mut rng = Rng::stream(seed, streams::BROWNIAN);
            sde(field, x, span, eps, solver, &mut rng)
        }
    };
    let x = if recipe.denoise {
        field.posterior_mean(report.t_end, x)
    } else {
        x
    };
    Ok((x, report))
}

/// Device particles carried with ℓ = ∫ ∇·b dt (`[B, 2]` and `[B, 1]`), as core's
/// `likelihood::Carried` is on the host.
struct Carried(OnDevice, OnDevice);

impl Cloud for Carried {
    fn step(&self, h: f64, ks: &[(f64, &Self)], noise: Option<&Self>) -> Self {
        let xs: Vec<(f64, &OnDevice)> = ks.iter().map(|(w, k)| (*w, &k.0)).collect();
        let ells: Vec<(f64, &OnDevice)> = ks.iter().map(|(w, k)| (*w, &k.1)).collect();
        Carried(
            self.0.step(h, &xs, noise.map(|n| &n.0)),
            self.1.step(h, &ells, noise.map(|n| &n.1)),
        )
    }
}

/// A learned field as the flow of (X, ℓ): velocity (b, ∇·b), the divergence exact.
struct WithDivergence<'a, F: ?Sized>(&'a F);

impl<F: DeviceField + ?Sized> Flow for WithDivergence<'_, F> {
    type X = Carried;
    fn schedule_at(&self, t: f64) -> ScheduleAt {
        self.0.schedule_at(t)
    }
    fn velocity(&self, t: f64, c: &Carried) -> Carried {
        let n = c.0.0.dims()[0];
        let (b, div) = self.0.velocity(t, c.0.0.clone(), true);
        let div = div.unwrap_or_else(|| Tensor::zeros([n, 1], &self.0.device()));
        Carried(OnDevice(b), OnDevice(div))
    }
}

/// The flow from t_end back to t = 0 for each row of `x`: the one stepper's RK4 on (X, ℓ) over
/// core's likelihood grid, with the exact divergence of the learned velocity. Returns (X_0, ℓ)
/// with log ρ̂(t_end, x) = log ρ(0, X_0) + ℓ (the base density is the caller's: see
/// [`ode_log_likelihood`]).
///
/// # Shapes
/// `x`: `[B, 2]` → (`[B, 2]`, `[B, 1]`).
pub fn ode_flow_back<F: DeviceField + ?Sized>(
    field: &F,
    x: Tensor<2>,
    t_end: f64,
    steps: usize,
) -> (Tensor<2>, Tensor<2>) {
    let n = x.dims()[0];
    let ell = Tensor::<2>::zeros([n, 1], &field.device());
    let start = Carried(OnDevice(x), OnDevice(ell));
    let (end, _) = stepper::ode(
        &WithDivergence(field),
        start,
        back_span(t_end, steps),
        OdeSolver::Rk4,
    );
    (end.0.0, end.1.0)
}

/// log ρ̂(t_end, x) for each row of `x`, read back: [`ode_flow_back`], then `log_rho0(X_0) + ℓ`
/// on the host, as `interplay_core::likelihood::ode_log_likelihood` (whose `log_rho0` gives the
/// base of each path: N(0, I), or the target for the mirror path).
pub async fn ode_log_likelihood<F: DeviceField + ?Sized>(
    field: &F,
    x: Tensor<2>,
    t_end: f64,
    steps: usize,
    log_rho0: impl Fn(P2) -> f64,
) -> Result<Vec<f64>, crate::NnError> {
    let (x0, ell) = ode_flow_back(field, x, t_end, steps);
    let x0 = crate::read_points(x0).await?;
    let ell = crate::read_values(ell).await?;
    Ok(x0
        .iter()
        .zip(ell)
        .map(|(p, l)| log_rho0(*p) + f64::from(l))
        .collect())
}
