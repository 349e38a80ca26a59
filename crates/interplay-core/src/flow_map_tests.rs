use super::*;
use crate::density::{Grid, exact_density, histogram};
use crate::sampling::interpolant_samples;
use crate::{ExactField, ExactTarget, Schedule, Target};

fn field(target: Target) -> ExactField {
    ExactField::from_parts(Schedule::default(), ExactTarget::new(&target))
}

fn max_gap(a: &[P2], b: &[P2]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs()))
        .fold(0.0, f64::max)
}

/// Points of ρ(s): interpolant samples at s.
fn at_time(f: &ExactField, s: f64, n: usize, seed: u64) -> Vec<P2> {
    interpolant_samples(f.schedule(), f.target(), s, n, seed)
}

fn mapped(f: &ExactField, xs: &[P2], s: f64, t: f64) -> Vec<P2> {
    let mut ys = xs.to_vec();
    exact_flow_map(f, &mut ys, s, t).expect("the exact map");
    ys
}

#[test]
fn the_map_is_a_semigroup_and_runs_back() {
    for target in [Target::Gmm, Target::Checkerboard] {
        let f = field(target.clone());
        let x = at_time(&f, 0.1, 300, 3);
        let whole = mapped(&f, &x, 0.1, 0.8);
        let halves = mapped(&f, &mapped(&f, &x, 0.1, 0.45), 0.45, 0.8);
        let gap = max_gap(&whole, &halves);
        assert!(
            gap < 1e-6,
            "{target:?}: X(0.45, 0.8) ∘ X(0.1, 0.45) is off by {gap}"
        );
        let back = mapped(&f, &whole, 0.8, 0.1);
        let gap = max_gap(&back, &x);
        assert!(
            gap < 1e-6,
            "{target:?}: X(0.8, 0.1) ∘ X(0.1, 0.8) is off by {gap}"
        );
    }
}

#[test]
fn the_maps_tangent_at_s_is_the_velocity() {
    let f = field(Target::Checkerboard);
    let h = 1e-6;
    for s in [0.0, 0.3, 0.7, 0.95] {
        let x = at_time(&f, s, 200, 5);
        let y = mapped(&f, &x, s, s + h);
        let mut b = vec![[0.0; 2]; x.len()];
        f.velocity(s, &x, &mut b);
        for ((x, y), b) in x.iter().zip(&y).zip(&b) {
            for k in 0..2 {
                let tangent = (y[k] - x[k]) / h;
                assert!(
                    (tangent - b[k]).abs() <= 1e-3 * (1.0 + b[k].abs()),
                    "s = {s}: (X(s, s+h) − x)/h = {tangent}, b = {}",
                    b[k]
                );
            }
        }
    }
}

/// Total variation between the points' histogram and ρ(t) on the cells of `grid` (the mass
/// outside the window counted as a difference).
fn tv_to_density(f: &ExactField, xs: &[P2], t: f64, grid: &Grid) -> f64 {
    let area = grid.cell() * grid.cell();
    let hist = histogram(grid, xs);
    let rho = exact_density(grid, &f.at(t));
    let inside: f64 = rho.iter().sum::<f64>() * area;
    let counted: f64 = hist.iter().sum::<f64>() * area;
    let gaps: f64 = hist
        .iter()
        .zip(&rho)
        .map(|(h, r)| (h - r).abs())
        .sum::<f64>()
        * area;
    0.5 * (gaps + (1.0 - inside).abs() + (1.0 - counted).abs())
}

#[test]
fn the_map_pushes_rho_s_forward_to_rho_t() {
    let f = field(Target::Checkerboard);
    let grid = Grid::view(20);
    let n = 16_000;
    for (s, t) in [(0.0, 0.6), (0.5, 0.95)] {
        let pushed = mapped(&f, &at_time(&f, s, n, 7), s, t);
        // The histogram of as many direct samples of ρ(t): the noise a perfect map would show.
        let noise = tv_to_density(&f, &at_time(&f, t, n, 8), t, &grid);
        let tv = tv_to_density(&f, &pushed, t, &grid);
        assert!(
            tv < noise + 0.02,
            "X({s}, {t}) of ρ({s}): TV {tv} to ρ({t}), against {noise} for direct samples"
        );
    }
    // To t = 1 with the Tweedie jump: the Gaussian lands in the squares.
    let ones = mapped(&f, &at_time(&f, 0.0, 4000, 9), 0.0, 1.0);
    let inside = ones
        .iter()
        .filter(|x| crate::checker::in_support(**x))
        .count();
    assert!(
        inside as f64 / 4000.0 > 0.99,
        "{inside} of 4000 in the squares"
    );
}

#[test]
fn a_row_of_times_from_one_solve_is_the_maps_one_by_one_and_bad_times_are_refused() {
    let f = field(Target::Rings);
    let x = at_time(&f, 0.2, 100, 11);
    let ts = [0.2, 0.5, 0.9, 1.0];
    let row = exact_flow_map_at(&f, &x, 0.2, &ts).expect("a row");
    for (t, ys) in ts.iter().zip(&row) {
        // The row's solve takes other steps than one solve to t: both within RK4's error.
        let gap = max_gap(ys, &mapped(&f, &x, 0.2, *t));
        assert!(gap < 1e-6, "t = {t}: {gap}");
    }
    assert_eq!(max_gap(&row[0], &x), 0.0, "X(s, s) is the identity");
    let e = exact_flow_map_at(&f, &x, 0.5, &[0.6, 0.4]).expect_err("decreasing");
    assert!(e.contains("must increase"), "{e}");
    let mut y = x.clone();
    let e = exact_flow_map(&f, &mut y, 0.2, 1.5).expect_err("past 1");
    assert!(e.contains("t must be in [0, 1]"), "{e}");
    assert_eq!(y, x, "a refused map leaves the points alone");
}
