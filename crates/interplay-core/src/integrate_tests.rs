use super::*;
use crate::fields::{Chunked, Pointwise};
use crate::mixture::{Component, Mixture, Sym2};
use crate::schedule::{Path, Schedule};
use crate::targets::ExactTarget;
use crate::targets::Target;
use crate::{ExactField, checker};

const MU: P2 = [1.5, -0.5];
const C: f64 = 0.7;

fn gaussian_field(schedule: Schedule) -> ExactField {
    let m = Mixture::new(vec![Component {
        weight: 1.0,
        mean: MU,
        cov: Sym2::iso(C * C),
    }]);
    ExactField::from_parts(schedule, ExactTarget::Mixture(m))
}

fn base(n: usize, seed: u64) -> Vec<P2> {
    Rng::new(seed).normals(n)
}

/// Max error of X_1 against the closed form μ + c X_0.
fn endpoint_error(solver: OdeSolver, steps: usize) -> f64 {
    let f = gaussian_field(Schedule::default());
    let x0 = base(50, 1);
    let mut xs = x0.clone();
    let r = ode(&f, &mut xs, Span::new(0.0, 1.0, steps).unguarded(), solver);
    assert_eq!(r.t_end, 1.0);
    xs.iter()
        .zip(&x0)
        .flat_map(|(x, z)| [0, 1].map(|d| (x[d] - (MU[d] + C * z[d])).abs()))
        .fold(0.0, f64::max)
}

#[test]
fn gaussian_flow_is_exact_with_rk4() {
    assert!(endpoint_error(OdeSolver::Rk4, 200) < 1e-10);
}

#[test]
fn convergence_orders() {
    for (solver, order) in [
        (OdeSolver::Euler, 1.0),
        (OdeSolver::Heun, 2.0),
        (OdeSolver::Rk4, 4.0),
    ] {
        let (e1, e2) = (endpoint_error(solver, 20), endpoint_error(solver, 40));
        let observed = (e1 / e2).log2();
        assert!(
            (observed - order).abs() < 0.3,
            "{solver:?}: order {observed:.2} ({e1:.2e} → {e2:.2e})"
        );
    }
}

#[test]
fn backward_ode_inverts_forward() {
    let f = ExactField::new(Schedule::default(), &Target::Checkerboard);
    let x0 = base(200, 2);
    let mut xs = x0.clone();
    ode(&f, &mut xs, Span::new(0.0, 0.9, 200), OdeSolver::Rk4);
    ode(&f, &mut xs, Span::new(0.9, 0.0, 200), OdeSolver::Rk4);
    for (a, b) in xs.iter().zip(&x0) {
        assert!(
            (a[0] - b[0]).abs() < 1e-6 && (a[1] - b[1]).abs() < 1e-6,
            "{a:?} vs {b:?}"
        );
    }
}

fn in_support_fraction(xs: &[P2]) -> f64 {
    xs.iter().filter(|x| checker::in_support(**x)).count() as f64 / xs.len() as f64
}

#[test]
fn exact_ode_and_sde_reach_the_checkerboard_after_tweedie() {
    let n = 2000;
    for path in [Path::Linear, Path::OneSidedLinear] {
        let f = ExactField::new(Schedule::preset(path), &Target::Checkerboard);
        let mut xs = base(n, 3);
        let r = ode(&f, &mut xs, Span::new(0.0, 0.999, 400), OdeSolver::Rk4);
        assert_eq!(r.t_end, 0.999, "{path:?}: {r:?}");
        let before = in_support_fraction(&xs);
        tweedie(&f, &mut xs, r.t_end);
        let after = in_support_fraction(&xs);
        assert!(
            before > 0.95 && after >= 0.999,
            "{path:?} ODE: {before} → {after}"
        );

        let mut xs = base(n, 4);
        let r = sde(
            &f,
            &mut xs,
            Span::new(0.0, 0.999, 400),
            Eps::Constant(0.5),
            SdeSolver::EulerMaruyama,
            &mut Rng::new(5),
        );
        assert!(r.max_stability <= 2.0 + 1e-12, "{r:?}");
        let before = in_support_fraction(&xs);
        tweedie(&f, &mut xs, r.t_end);
        let after = in_support_fraction(&xs);
        assert!(
            before > 0.9 && after >= 0.998,
            "{path:?} SDE: {before} → {after} ({r:?})"
        );
    }
}

/// Two-sample χ² over an 8×8 grid of [−4, 4]² plus an "outside" bin.
fn chi2_two_sample(a: &[P2], b: &[P2]) -> (f64, usize) {
    let bin = |x: &P2| {
        if x[0].abs() >= 4.0 || x[1].abs() >= 4.0 {
            64
        } else {
            ((x[0] + 4.0) as usize) * 8 + (x[1] + 4.0) as usize
        }
    };
    let (mut ca, mut cb) = ([0.0; 65], [0.0; 65]);
    a.iter().for_each(|x| ca[bin(x)] += 1.0);
    b.iter().for_each(|x| cb[bin(x)] += 1.0);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (ka, kb) = ((nb / na).sqrt(), (na / nb).sqrt());
    let mut chi2 = 0.0;
    let mut dof = 0;
    for i in 0..65 {
        if ca[i] + cb[i] > 0.0 {
            chi2 += (ka * ca[i] - kb * cb[i]).powi(2) / (ca[i] + cb[i]);
            dof += 1;
        }
    }
    (chi2, dof - 1)
}

#[test]
fn sde_keeps_the_marginals_for_every_eps() {
    let f = ExactField::new(Schedule::default(), &Target::Checkerboard);
    let n = 8000;
    let mut r = Rng::new(6);
    for t in [0.25, 0.5, 0.75] {
        let st = f.schedule().at(t);
        let x1 = Target::Checkerboard.sample(&mut r, n);
        let direct: Vec<P2> = x1
            .iter()
            .map(|x1| st.xt(r.normal2(), *x1, r.normal2()))
            .collect();
        let mut ode_xs = base(n, 7);
        ode(&f, &mut ode_xs, Span::new(0.0, t, 100), OdeSolver::Rk4);
        let (c, dof) = chi2_two_sample(&ode_xs, &direct);
        // χ² with ~60 degrees of freedom: mean 60, sd 11; 120 is p < 1e-5.
        assert!(c < 120.0, "ODE at t={t}: χ² {c:.1} on {dof} dof");
        for eps in [0.5, 1.0] {
            let mut xs = base(n, 8);
            sde(
                &f,
                &mut xs,
                Span::new(0.0, t, 200),
                Eps::Constant(eps),
                SdeSolver::Heun,
                &mut r,
            );
            let (c, dof) = chi2_two_sample(&xs, &direct);
            assert!(c < 120.0, "SDE ε={eps} at t={t}: χ² {c:.1} on {dof} dof");
        }
    }
}

#[test]
fn backward_sde_returns_to_the_gaussian() {
    let f = ExactField::new(Schedule::default(), &Target::Checkerboard);
    let n = 6000;
    let mut xs = Target::Checkerboard.sample(&mut Rng::new(9), n);
    let r = sde(
        &f,
        &mut xs,
        Span::new(0.995, 0.0, 300),
        Eps::Constant(1.0),
        SdeSolver::EulerMaruyama,
        &mut Rng::new(10),
    );
    assert_eq!(r.t_end, 0.0, "{r:?}");
    let nf = n as f64;
    let mean = [0, 1].map(|d| xs.iter().map(|x| x[d]).sum::<f64>() / nf);
    let cov = |a: usize, b: usize| {
        xs.iter()
            .map(|x| (x[a] - mean[a]) * (x[b] - mean[b]))
            .sum::<f64>()
            / nf
    };
    let se = 4.0 / nf.sqrt();
    assert!(
        mean[0].abs() < 4.0 * se && mean[1].abs() < 4.0 * se,
        "{mean:?}"
    );
    assert!(
        (cov(0, 0) - 1.0).abs() < 0.08 && (cov(1, 1) - 1.0).abs() < 0.08 && cov(0, 1).abs() < 0.06,
        "{} {} {}",
        cov(0, 0),
        cov(1, 1),
        cov(0, 1)
    );
}

#[test]
fn stability_rule_lowers_eps_and_never_gives_nan() {
    // One-sided linear cannot reach t = 1 with constant ε (docs/math.md §4.3): ε must be lowered.
    let f = ExactField::new(
        Schedule::preset(Path::OneSidedLinear),
        &Target::Checkerboard,
    );
    let mut xs = base(500, 11);
    let r = sde(
        &f,
        &mut xs,
        Span::new(0.0, 0.999, 100),
        Eps::Constant(5.0),
        SdeSolver::EulerMaruyama,
        &mut Rng::new(12),
    );
    assert!(r.eps_lowered > 0 && r.max_stability <= 2.0 + 1e-9, "{r:?}");
    assert!(xs.iter().all(|x| x[0].is_finite() && x[1].is_finite()));
    // A steep schedule: the ODE stops where even ε = 0 would be unstable.
    let steep = Schedule {
        alpha_exp: 4.0,
        ..Schedule::preset(Path::OneSidedLinear)
    };
    let f = ExactField::new(steep, &Target::Checkerboard);
    let mut xs = base(100, 13);
    let r = ode(&f, &mut xs, Span::new(0.0, 0.9999, 20), OdeSolver::Euler);
    assert!(r.t_end < 0.9999 && r.max_stability <= 2.0, "{r:?}");
    assert!(xs.iter().all(|x| x[0].is_finite() && x[1].is_finite()));
}

#[test]
fn warped_grids_end_exactly_and_concentrate_near_one() {
    for span in [
        Span::new(0.0, 0.999, 50).warped(2.0),
        Span::new(0.999, 0.0, 50).warped(2.0),
    ] {
        assert_eq!(span.time(0), span.t0);
        assert_eq!(span.time(50), span.t1);
        let steps: Vec<f64> = (0..50)
            .map(|k| (span.time(k + 1) - span.time(k)).abs())
            .collect();
        assert!(steps.iter().all(|h| *h > 0.0));
        // The step next to t ≈ 1 is the smallest, by a factor ≈ 2K/1 = 100.
        let (near_one, far) = if span.t1 > span.t0 {
            (steps[49], steps[0])
        } else {
            (steps[0], steps[49])
        };
        assert!(far / near_one > 50.0, "{steps:?}");
    }
    // With the warp, 100 RK4 steps reach 1 − 1e-3 inside the stability rule; equal steps do not.
    let f = ExactField::new(Schedule::default(), &Target::Checkerboard);
    let mut xs = base(100, 14);
    let r = ode(
        &f,
        &mut xs.clone(),
        Span::new(0.0, 0.999, 100),
        OdeSolver::Rk4,
    );
    assert!(r.t_end < 0.999, "{r:?}");
    let r = ode(
        &f,
        &mut xs,
        Span::new(0.0, 0.999, 100).warped(2.0),
        OdeSolver::Rk4,
    );
    assert_eq!(r.t_end, 0.999, "{r:?}");
}

/// The largest coordinate difference between two clouds.
fn max_gap(a: &[P2], b: &[P2]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs()))
        .fold(0.0, f64::max)
}

#[test]
fn tabulated_batches_integrate_like_the_direct_field() {
    // 20k particles: every time of the run is tabulated except where σ is too small for it.
    let sched = Schedule::default();
    let field = ExactField::new(sched, &Target::Checkerboard);
    let x0 = crate::sampling::initial_particles(&sched, field.target(), 20_000, 3);
    let span = Span::new(0.0, 0.999, 40).warped(2.0);
    let (mut a, mut b) = (x0.clone(), x0.clone());
    ode(&field, &mut a, span, OdeSolver::Rk4);
    ode(&Pointwise(&field), &mut b, span, OdeSolver::Rk4);
    let err = max_gap(&a, &b);
    assert!(err < 1e-6, "ODE endpoints differ by {err:e}");
    // The SDE (b and s) with the same noise.
    let (mut a, mut b) = (x0.clone(), x0);
    let span = Span::new(0.0, 0.99, 40);
    let eps = Eps::Constant(0.5);
    sde(&field, &mut a, span, eps, SdeSolver::Heun, &mut Rng::new(4));
    sde(
        &Pointwise(&field),
        &mut b,
        span,
        eps,
        SdeSolver::Heun,
        &mut Rng::new(4),
    );
    let err = max_gap(&a, &b);
    assert!(err < 1e-6, "SDE endpoints differ by {err:e}");
    // Chunks of a larger batch are evaluated like the whole batch.
    let mut xs = Rng::new(5).normals(3000);
    let mut whole = vec![[0.0; 2]; 3000];
    Chunked::new(&field, 20_000).velocity(0.6, &xs, &mut whole);
    assert!(field.at_batch(0.6, 20_000).is_tabulated());
    for chunk in xs.chunks_mut(700) {
        let mut part = vec![[0.0; 2]; chunk.len()];
        Chunked::new(&field, 20_000).velocity(0.6, chunk, &mut part);
        chunk.copy_from_slice(&part);
    }
    assert_eq!(xs, whole);
}

#[test]
fn view_steps_are_small_near_both_ends_and_land_on_the_target() {
    let mut t = 0.0;
    let mut steps = Vec::new();
    while t != VIEW_T_END {
        let next = view_step(t, VIEW_T_END, 0.0);
        assert!(next > t && next - t <= VIEW_MAX_DT + 1e-15);
        steps.push((t, next - t));
        t = next;
    }
    assert!((steps[0].1 - 1e-3).abs() < 1e-15, "the first step is short");
    assert!(
        steps.iter().any(|s| s.1 > 0.99 * VIEW_MAX_DT),
        "mid-way steps are the largest"
    );
    for &(t, h) in &steps {
        assert!(
            h <= (0.5 * (1.0 - t - h)).max(5e-4) + 1e-15,
            "near 1 a step ends at least twice its length from 1: t = {t}, h = {h}"
        );
    }
    // About a hundred steps of 0.01 and a few finer ones at each end (not a thousand).
    assert!(steps.len() < 140, "{} steps from 0 to the end", steps.len());
    // Backwards from the end, and a target closer than a step is reached exactly.
    assert!(view_step(0.5, 0.2, 0.0) == 0.5 - VIEW_MAX_DT);
    assert_eq!(view_step(0.5, 0.503, 0.0), 0.503);
}
