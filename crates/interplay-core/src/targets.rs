//! Targets ρ1: the checkerboard, Gaussian mixtures, rings, two moons, spirals and finite point
//! sets. All sampling is seeded and identical on native targets and in wasm.
//!
//! Rings, moons and spirals are built as Gaussian mixtures whose components are spaced along the
//! curves (closer than their width, so the density is smooth along the curve). That makes their
//! exact fields available too: every target has an exact b, s and ρ(t, x). A finite point set is
//! a mixture of point masses (the target a user draws).

use core::f64::consts::PI;

use crate::checker;
use crate::mixture::{Component, Mixture, Sym2};
use crate::{P2, Rng};

/// A 2-D target distribution.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// The reference checkerboard (8 squares of side 2 in [−4, 4]²).
    Checkerboard,
    /// A fixed 4-component Gaussian mixture with different shapes.
    Gmm,
    /// Two concentric rings.
    Rings,
    /// Two interleaved half-moons.
    Moons,
    /// Two interleaved spirals.
    Spirals,
    /// The uniform distribution on a finite point set (a target a user draws or loads).
    Points(Vec<P2>),
}

/// Width of the Gaussian tube around the curves of rings, moons and spirals.
const CURVE_SD: f64 = 0.2;
/// Spacing of the components along a curve (below the width, so no visible beads).
const CURVE_STEP: f64 = 0.3;

impl Target {
    /// The names accepted by [`Target::from_name`] (points need a file, so are listed apart).
    pub const NAMES: [&'static str; 5] = ["checkerboard", "gmm", "rings", "moons", "spirals"];

    /// The stable short name (`points` for a point set).
    pub fn name(&self) -> &'static str {
        match self {
            Target::Checkerboard => "checkerboard",
            Target::Gmm => "gmm",
            Target::Rings => "rings",
            Target::Moons => "moons",
            Target::Spirals => "spirals",
            Target::Points(_) => "points",
        }
    }

    /// Parses one of [`Target::NAMES`].
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "checkerboard" => Target::Checkerboard,
            "gmm" => Target::Gmm,
            "rings" => Target::Rings,
            "moons" => Target::Moons,
            "spirals" => Target::Spirals,
            _ => return None,
        })
    }

    /// `n` samples, reproducible for a given generator state.
    pub fn sample(&self, rng: &mut Rng, n: usize) -> Vec<P2> {
        match self {
            Target::Checkerboard => checker::sample(rng, n),
            other => other
                .mixture()
                .map(|m| m.sample(rng, n))
                .unwrap_or_default(),
        }
    }

    /// The mixture form of every target except the checkerboard.
    pub fn mixture(&self) -> Option<Mixture> {
        let iso = |mean: P2| Component {
            weight: 1.0,
            mean,
            cov: Sym2::iso(CURVE_SD * CURVE_SD),
        };
        Some(match self {
            Target::Checkerboard => return None,
            Target::Gmm => Mixture::new(vec![
                comp(
                    0.3,
                    [-2.5, -2.0],
                    Sym2 {
                        a: 0.6,
                        b: 0.3,
                        c: 0.4,
                    },
                ),
                comp(
                    0.3,
                    [2.5, 2.2],
                    Sym2 {
                        a: 0.5,
                        b: -0.25,
                        c: 0.7,
                    },
                ),
                comp(0.2, [-2.0, 2.5], Sym2::iso(0.25)),
                comp(
                    0.2,
                    [2.5, -2.5],
                    Sym2 {
                        a: 0.8,
                        b: 0.0,
                        c: 0.15,
                    },
                ),
            ]),
            Target::Rings => {
                let circle = |r: f64| {
                    (0..=256)
                        .map(|k| polar(r, 2.0 * PI * k as f64 / 256.0))
                        .collect::<Vec<_>>()
                };
                Mixture::new(
                    along(&[circle(1.25), circle(3.25)])
                        .into_iter()
                        .map(iso)
                        .collect(),
                )
            }
            Target::Moons => {
                let arc = |c: P2, a0: f64| {
                    (0..=128)
                        .map(|k| {
                            let p = polar(2.0, a0 + PI * k as f64 / 128.0);
                            [c[0] + p[0], c[1] + p[1]]
                        })
                        .collect::<Vec<_>>()
                };
                let moons = [arc([-1.0, -0.5], 0.0), arc([1.0, 0.5], PI)];
                Mixture::new(along(&moons).into_iter().map(iso).collect())
            }
            Target::Spirals => {
                let spiral = |phase: f64| {
                    (0..=256)
                        .map(|k| {
                            let th = 0.6 + 3.0 * PI * k as f64 / 256.0;
                            polar(0.38 * th, th + phase)
                        })
                        .collect::<Vec<_>>()
                };
                Mixture::new(
                    along(&[spiral(0.0), spiral(PI)])
                        .into_iter()
                        .map(iso)
                        .collect(),
                )
            }
            Target::Points(pts) => Mixture::new(
                pts.iter()
                    .map(|&mean| Component {
                        weight: 1.0,
                        mean,
                        cov: Sym2::iso(0.0),
                    })
                    .collect(),
            ),
        })
    }

    /// log ρ1(x), where the target has a density (−∞ off a point set).
    pub fn log_density(&self, x: P2) -> f64 {
        match self {
            Target::Checkerboard => checker::log_density(x),
            other => other
                .mixture()
                .map_or(f64::NEG_INFINITY, |m| m.log_density(x)),
        }
    }
}

fn comp(weight: f64, mean: P2, cov: Sym2) -> Component {
    Component { weight, mean, cov }
}

fn polar(r: f64, th: f64) -> P2 {
    [r * libm::cos(th), r * libm::sin(th)]
}

/// Points every [`CURVE_STEP`] of arc length along polylines (so the density is uniform along
/// the whole length).
fn along(curves: &[Vec<P2>]) -> Vec<P2> {
    let mut out = Vec::new();
    for c in curves {
        let mut carry = 0.0;
        out.push(c[0]);
        for w in c.windows(2) {
            let (a, b) = (w[0], w[1]);
            let len = libm::hypot(b[0] - a[0], b[1] - a[1]);
            let mut s = CURVE_STEP - carry;
            while s <= len {
                let f = s / len;
                out.push([a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])]);
                s += CURVE_STEP;
            }
            carry = len - (s - CURVE_STEP);
        }
    }
    out
}
