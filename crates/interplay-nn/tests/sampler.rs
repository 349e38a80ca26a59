//! The device samplers follow the same step rules as interplay-core: on the exact field (read
//! back to the host on the CPU backend) they agree with the core integrators.
#![allow(clippy::disallowed_methods)]

mod common;

use burn::tensor::{Device, Tensor};
use common::{cpu, read2};
use interplay_core::integrate::{self, Eps, OdeSolver, SdeSolver, Span};
use interplay_core::likelihood::{log_standard_normal, ode_log_likelihood};
use interplay_core::{ExactField, P2, Rng, Schedule, ScheduleAt, Target};
use interplay_nn::field::{DeviceField, FieldOut};
use interplay_nn::sampler::{self, points_tensor};

/// The exact field as a device field (evaluated on the host; CPU backend only).
struct Exact(ExactField);

impl DeviceField for Exact {
    fn device(&self) -> Device {
        cpu()
    }
    fn schedule_at(&self, t: f64) -> ScheduleAt {
        self.0.schedule().at(t)
    }
    fn eval(&self, t: f64, x: Tensor<2>, want_div: bool) -> FieldOut {
        let xs = read2(x);
        let at = self.0.at(t);
        let (mut b, mut s, mut d) = (vec![], vec![], vec![]);
        for x in &xs {
            let (bb, dd) = at.velocity_div(*x);
            b.push(bb);
            s.push(at.score(*x));
            d.push([dd, 0.0]);
        }
        let div = want_div.then(|| points_tensor(&d, &cpu()).slice([0..xs.len(), 0..1]));
        FieldOut {
            b: points_tensor(&b, &cpu()),
            s: points_tensor(&s, &cpu()),
            div_b: div,
        }
    }
}

fn max_diff(a: &[P2], b: &[P2]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs()))
        .fold(0.0, f64::max)
}

#[test]
fn device_ode_and_sde_match_core() {
    let exact = ExactField::new(Schedule::default(), &Target::Checkerboard);
    let dev = Exact(exact.clone());
    let x0: Vec<P2> = Rng::new(1).normals(200);
    for solver in [OdeSolver::Euler, OdeSolver::Heun, OdeSolver::Rk4] {
        let span = Span::new(0.0, 0.99, 40).warped(2.0);
        let mut host = x0.clone();
        let rh = integrate::ode(&exact, &mut host, span, solver);
        let (x, rd) = sampler::ode(&dev, points_tensor(&x0, &cpu()), span, solver);
        assert_eq!(rh, rd, "{solver:?}: same steps and stability numbers");
        let d = max_diff(&read2(x), &host);
        assert!(d < 2e-4, "{solver:?}: device vs core {d:.2e}");
    }
    for solver in [SdeSolver::EulerMaruyama, SdeSolver::Heun] {
        let span = Span::new(0.0, 0.99, 60).warped(2.0);
        let mut host = x0.clone();
        let rh = integrate::sde(
            &exact,
            &mut host,
            span,
            Eps::Constant(0.7),
            solver,
            &mut Rng::new(4),
        );
        let (x, rd) = sampler::sde(
            &dev,
            points_tensor(&x0, &cpu()),
            span,
            Eps::Constant(0.7),
            solver,
            &mut Rng::new(4),
        );
        assert_eq!(rh.steps, rd.steps);
        assert_eq!(rh.eps_lowered, rd.eps_lowered);
        let d = max_diff(&read2(x), &host);
        assert!(d < 1e-3, "{solver:?}: device vs core {d:.2e}");
    }
}

#[test]
fn the_views_follow_t_alike_on_the_host_and_the_device() {
    // The page's exact particles (host) and learned particles (engine, device) share one step
    // rule: following t from the start to 0.6 and back to 0.3, with and without noise, they take
    // the same steps to the same places.
    let exact = ExactField::new(Schedule::default(), &Target::Checkerboard);
    let dev = Exact(exact.clone());
    let x0: Vec<P2> = Rng::new(3).normals(100);
    for eps in [0.0, 0.5] {
        let (mut host, mut x) = (x0.clone(), points_tensor(&x0, &cpu()));
        let (mut rh, mut rd) = (Rng::new(9), Rng::new(9));
        let mut t: f64 = 0.0;
        let mut steps = 0;
        for target in [0.6_f64, 0.3] {
            while (t - target).abs() > 1e-12 {
                let next = integrate::view_step(t, target, 0.0);
                let (h, moved_h) =
                    integrate::view_move(&integrate::Host(&exact), host, t, next, eps, &mut rh);
                let (d, moved_d) = sampler::view_move(&dev, x, t, next, eps, &mut rd);
                assert!(
                    moved_h && moved_d,
                    "ε = {eps}: a step at t = {t} was refused"
                );
                (host, x, t) = (h, d, next);
                steps += 1;
            }
        }
        assert!(steps > 80, "ε = {eps}: {steps} steps for a sweep of 0.9");
        let d = max_diff(&read2(x), &host);
        assert!(d < 1e-3, "ε = {eps}: device vs host {d:.2e}");
        assert!(host.iter().all(|p| p[0].is_finite() && p[1].is_finite()));
    }
}

#[test]
fn device_likelihood_matches_core() {
    let exact = ExactField::new(Schedule::default(), &Target::Checkerboard);
    let xs = Target::Checkerboard.sample(&mut Rng::new(2), 50);
    let host = ode_log_likelihood(&exact, &xs, 0.9, 100, log_standard_normal);
    let dev = pollster::block_on(sampler::ode_log_likelihood(
        &Exact(exact),
        points_tensor(&xs, &cpu()),
        0.9,
        100,
        log_standard_normal,
    ))
    .expect("read");
    for (a, b) in dev.iter().zip(&host) {
        assert!((a - b).abs() < 1e-3, "{a} vs {b}");
    }
}

/// A field that does not move anything (b = 0, ∇·b = 0): its density at any t is ρ(0).
struct Still(Schedule);

impl DeviceField for Still {
    fn device(&self) -> Device {
        cpu()
    }
    fn schedule_at(&self, t: f64) -> ScheduleAt {
        self.0.at(t)
    }
    fn eval(&self, _t: f64, x: Tensor<2>, want_div: bool) -> FieldOut {
        let n = x.dims()[0];
        FieldOut {
            b: x.zeros_like(),
            s: x.zeros_like(),
            div_b: want_div.then(|| Tensor::zeros([n, 1], &cpu())),
        }
    }
}

#[test]
fn device_likelihood_on_the_mirror_path_starts_from_the_target() {
    // The mirror path carries the data to itself: ρ(0) is the target, not N(0, I). The device
    // likelihood used N(0, I) for every path. Under a field that moves nothing, log ρ̂(t, x) is
    // log ρ(0, x): the target's density on the mirror path, the Gaussian's on the others.
    let target = interplay_core::ExactTarget::new(&Target::Gmm);
    let xs = Target::Gmm.sample(&mut Rng::new(4), 40);
    let mirror = |x: P2| target.log_density(x);
    let cases: [(interplay_core::Path, &dyn Fn(P2) -> f64); 2] = [
        (interplay_core::Path::Mirror, &mirror),
        (interplay_core::Path::Linear, &log_standard_normal),
    ];
    for (path, want) in cases {
        let schedule = Schedule {
            path,
            ..Schedule::default()
        };
        let log_rho0 = interplay_core::likelihood::log_rho0(&schedule, &target);
        let dev = pollster::block_on(sampler::ode_log_likelihood(
            &Still(schedule),
            points_tensor(&xs, &cpu()),
            0.7,
            10,
            &log_rho0,
        ))
        .expect("read");
        for (x, l) in xs.iter().zip(&dev) {
            assert!(
                (l - want(*x)).abs() < 1e-4,
                "{path:?}: {l} vs {} at {x:?}",
                want(*x)
            );
        }
    }
    // The two bases differ here, so the mirror case would fail with N(0, I).
    let off = xs
        .iter()
        .filter(|x| (target.log_density(**x) - log_standard_normal(**x)).abs() > 0.1)
        .count();
    assert!(off > xs.len() / 2, "{off} of {}", xs.len());
}

#[test]
fn a_recipe_asking_for_dopri5_is_refused_on_the_device_not_run_as_rk4() {
    use interplay_core::sampling::{Method, Recipe};
    let exact = ExactField::new(Schedule::default(), &Target::Checkerboard);
    let x0 = points_tensor(&[[0.0, 0.0]], &cpu());
    let recipe = Recipe {
        method: Method::Dopri5(Default::default()),
        ..Recipe::default()
    };
    let r = sampler::run_recipe(&Exact(exact.clone()), x0.clone(), &recipe, 1);
    assert!(r.is_err_and(|e| {
        e.to_string()
            .contains("Dopri5 integrates the exact fields only")
    }));
    let rk4 = Recipe {
        method: Method::Ode(OdeSolver::Rk4),
        steps: 20,
        ..Recipe::default()
    };
    assert!(sampler::run_recipe(&Exact(exact), x0, &rk4, 1).is_ok());
}
