//! The line's b and s learned by the plane's trainer: a target on the line is the plane's
//! x-axis (its samples, base and noise have a zero second coordinate), so a small network
//! trained on it learns the line's exact field in its first output and zero in its second.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{cpu, now, read2};
use interplay_core::ObjectiveKind;
use interplay_core::line::{LineField, LineTarget};
use interplay_core::spacetime::SpaceTime;
use interplay_core::{ExactField, ExactTarget, Rng, Schedule, Target};
use interplay_nn::DeviceField;
use interplay_nn::NetConfig;
use interplay_nn::batch::{TimeDraw, draw_batch};
use interplay_nn::line_flow::flow_lines;
use interplay_nn::objective::Objective;
use interplay_nn::quality::field_errors;
use interplay_nn::sampler::points_tensor;
use interplay_nn::trainer::{TrainConfig, Trainer};

fn line_config() -> TrainConfig {
    let mut cfg = TrainConfig::live(ObjectiveKind::VelocityScore);
    cfg.net = NetConfig::line();
    cfg.batch = 256;
    cfg.seed = 2;
    cfg
}

/// The mean |x̂ − x| of the learned flow lines from the exact ones of the space–time figure, over
/// the lines and the learned grid's times.
fn line_gap(field: &interplay_nn::LearnedField, schedule: &Schedule) -> f64 {
    let target = LineTarget::from_name("gmm").expect("named");
    let learned = now(flow_lines(field, &target)).expect("lines");
    let exact = SpaceTime::new(*schedule, target, 0.0, 1);
    assert_eq!(learned.lines.len(), exact.lines.len());
    let (mut sum, mut n) = (0.0, 0);
    for (l, e) in learned.curves().iter().zip(&exact.lines) {
        assert_eq!(l.len(), learned.times.len(), "no learned line stops early");
        for (k, &(t, x)) in l.iter().enumerate() {
            let Some(&(te, xe)) = e.get(4 * k) else { break };
            assert!((t - te).abs() < 1e-12, "the grids' times coincide");
            sum += (x - xe).abs();
            n += 1;
        }
    }
    sum / f64::from(n)
}

#[test]
fn a_batch_on_the_line_has_no_second_coordinate() {
    let target = ExactTarget::new(&Target::Line("bars".into()));
    let schedule = Schedule::default();
    for kind in [ObjectiveKind::VelocityScore, ObjectiveKind::ScheduleFree] {
        let obj = Objective::of(kind, &target).expect("known");
        let b = draw_batch(
            &obj,
            &schedule,
            &target,
            64,
            TimeDraw::uniform(1e-3),
            16,
            &mut Rng::new(1),
        );
        for (col, values, width) in &b.cols {
            if *width == 2 {
                assert!(
                    values.chunks(2).all(|p| p[1] == 0.0),
                    "{kind}: column {col:?}"
                );
            }
        }
    }
}

#[test]
fn the_learned_line_field_converges_onto_the_exact_one() {
    let schedule = Schedule::default();
    let target = Target::Line("gmm".into());
    let mut tr = Trainer::new(line_config(), schedule, target.clone(), &cpu()).expect("trainer");
    let exact = ExactField::new(schedule, &target);
    let times = [0.1, 0.5, 0.9];
    let before = now(field_errors(&tr.field(), &exact, &times, 2000, 5)).expect("errors");
    let lines_before = line_gap(&tr.field(), &schedule);
    for _ in 0..600 {
        tr.step();
    }
    let after = now(field_errors(&tr.field(), &exact, &times, 2000, 5)).expect("errors");
    eprintln!("before {before:?}\nafter {after:?}");
    for (b, a) in before.iter().zip(&after) {
        assert!(a.b < 0.5 * b.b, "t = {}: {} then {}", a.t, b.b, a.b);
    }
    assert!(after[1].b < 0.1 && after[2].b < 0.15, "{after:?}");
    // The learned flow lines (what the space–time view draws) follow the exact ones.
    let lines_after = line_gap(&tr.field(), &schedule);
    eprintln!("line gap {lines_before} then {lines_after}");
    assert!(
        lines_after < 0.1 && lines_before > 3.0 * lines_after,
        "{lines_before} then {lines_after}"
    );
    // On the axis the second output is (nearly) zero, and the first is the line's b where
    // ρ(0.5) has mass.
    let line = LineField::new(schedule, LineTarget::from_name("gmm").expect("named"));
    let xs: Vec<_> = (0..41).map(|i| [-4.0 + 0.2 * f64::from(i), 0.0]).collect();
    let field = tr.field();
    let b = read2(field.velocity(0.5, points_tensor(&xs, &cpu()), false).0);
    let scale = xs
        .iter()
        .map(|x| line.point(0.5, x[0]).b.abs())
        .fold(0.0, f64::max);
    for (x, b) in xs.iter().zip(&b) {
        assert!(b[1].abs() < 0.05 * scale, "x {x:?}: {b:?}");
        if line.rho(0.5, x[0]) < 0.03 {
            continue;
        }
        assert!(
            (b[0] - line.point(0.5, x[0]).b).abs() < 0.25 * scale,
            "x {x:?}: {b:?}"
        );
    }
}
