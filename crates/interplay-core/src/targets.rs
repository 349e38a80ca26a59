//! Targets ρ1: the checkerboard, Gaussian mixtures, rings, two moons, spirals and finite point
//! sets. All sampling is seeded and identical on native targets and in wasm.
//!
//! Rings, moons and spirals are built as Gaussian mixtures whose components are spaced along the
//! curves (closer than their width, so the density is smooth along the curve). That makes their
//! exact fields available too: every target has an exact b, s and ρ(t, x). A finite point set is
//! a mixture of point masses; a drawing is a tube of the same width along the strokes a user
//! draws.

use core::f64::consts::PI;

use crate::checker;
use crate::line::LineTarget;
use crate::mixture::{Component, Mixture, Sym2};
use crate::posterior::Posterior;
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
    /// The uniform distribution on a finite point set (a target a user loads).
    Points(Vec<P2>),
    /// A drawing: Gaussian tubes (the width of the curves above) centred on points spaced along
    /// the strokes a user drew (see [`drawn_points`]).
    Drawn(Vec<P2>),
    /// A target on the line ([`LineTarget`]) by its code, a name of [`LineTarget::NAMES`] or a
    /// drawing ([`LineTarget::parse`]), embedded as the plane's x-axis: its samples are [x, 0],
    /// and so are the base and noise of its interpolant ([`ExactTarget::base_normals`]). A field
    /// learned for it in the plane is then the line's field in its first coordinate (its second
    /// is zero), which is how the line's b and s are trained (docs/math.md §6.4).
    Line(String),
}

/// The most points of a drawing (its exact fields cost one Gaussian per point).
pub const DRAWN_MAX_POINTS: usize = 160;
/// A drawing is kept inside [−DRAWN_EXTENT, DRAWN_EXTENT]² (inside the views' window,
/// [`crate::density::VIEW_HALF`]).
pub const DRAWN_EXTENT: f64 = 4.75;

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
            Target::Drawn(_) => "drawn",
            Target::Line(_) => "line",
        }
    }

    /// Parses one of [`Target::NAMES`], or `line:CODE` for a target on the line.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "checkerboard" => Target::Checkerboard,
            "gmm" => Target::Gmm,
            "rings" => Target::Rings,
            "moons" => Target::Moons,
            "spirals" => Target::Spirals,
            _ => return s.strip_prefix("line:").and_then(|c| Self::line(c).ok()),
        })
    }

    /// The target on the line with code `code` ([`LineTarget::parse`]), or what is wrong.
    pub fn line(code: &str) -> Result<Self, String> {
        LineTarget::parse(code).map(|_| Target::Line(code.to_owned()))
    }

    /// `n` samples, reproducible for a given generator state.
    pub fn sample(&self, rng: &mut Rng, n: usize) -> Vec<P2> {
        match self {
            Target::Checkerboard => checker::sample(rng, n),
            Target::Line(_) => ExactTarget::new(self).sample(rng, n),
            other => other
                .mixture()
                .map(|m| m.sample(rng, n))
                .unwrap_or_default(),
        }
    }

    /// The mixture form of every target except the checkerboard and those on the line.
    pub fn mixture(&self) -> Option<Mixture> {
        let iso = |mean: P2| Component {
            weight: 1.0,
            mean,
            cov: Sym2::iso(CURVE_SD * CURVE_SD),
        };
        Some(match self {
            Target::Checkerboard | Target::Line(_) => return None,
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
            Target::Drawn(pts) => Mixture::new(pts.iter().copied().map(iso).collect()),
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

    /// log ρ1(x), where the target has a density (−∞ off a point set; for a target on the line,
    /// its density on the line at `x[0]`).
    pub fn log_density(&self, x: P2) -> f64 {
        match self {
            Target::Checkerboard => checker::log_density(x),
            Target::Line(_) => ExactTarget::new(self).log_density(x),
            other => other
                .mixture()
                .map_or(f64::NEG_INFINITY, |m| m.log_density(x)),
        }
    }
}

/// The tube centres of a drawing: each stroke (a polyline; a single point is a dot) clamped to
/// the drawing area and resampled every 0.3 along its length, the same spacing as the curves of
/// rings, moons and spirals. Stops at [`DRAWN_MAX_POINTS`]; the bool says whether it had to.
pub fn drawn_points(strokes: &[Vec<P2>]) -> (Vec<P2>, bool) {
    let clamp = |p: &P2| p.map(|v| v.clamp(-DRAWN_EXTENT, DRAWN_EXTENT));
    let strokes: Vec<Vec<P2>> = strokes
        .iter()
        .filter(|s| !s.is_empty() && s.iter().all(|p| p[0].is_finite() && p[1].is_finite()))
        .map(|s| s.iter().map(clamp).collect())
        .collect();
    let mut pts = along(&strokes);
    let cut = pts.len() > DRAWN_MAX_POINTS;
    pts.truncate(DRAWN_MAX_POINTS);
    (pts, cut)
}

/// Characters of the drawing code: URL-safe base 64.
const CODE_DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// Code levels per coordinate (two digits) over [−CODE_HALF, CODE_HALF]: a resolution of
/// 10/4095 ≈ 0.0024.
const CODE_LEVELS: f64 = 4095.0;
/// The coordinates a code covers: part of the code's format (links made today must decode the
/// same tomorrow), so it is not tied to the views' window.
const CODE_HALF: f64 = 5.0;

/// A drawing's points as a short URL-safe code: 4 characters per point.
pub fn encode_points(pts: &[P2]) -> String {
    let mut out = String::with_capacity(4 * pts.len());
    for p in pts {
        for v in p {
            let q = (((v.clamp(-CODE_HALF, CODE_HALF) + CODE_HALF) / (2.0 * CODE_HALF))
                * CODE_LEVELS)
                .round() as usize;
            out.push(char::from(CODE_DIGITS[q >> 6]));
            out.push(char::from(CODE_DIGITS[q & 63]));
        }
    }
    out
}

/// The points of a drawing code (see [`encode_points`]), or what is wrong with it.
pub fn decode_points(code: &str) -> Result<Vec<P2>, String> {
    let digits: Vec<usize> = code
        .chars()
        .map(|c| {
            u8::try_from(c)
                .ok()
                .and_then(|b| CODE_DIGITS.iter().position(|&d| d == b))
                .ok_or_else(|| format!("the drawing code has a character '{c}' it cannot contain"))
        })
        .collect::<Result<_, _>>()?;
    if digits.is_empty() {
        return Err("the drawing is empty".into());
    }
    if !digits.len().is_multiple_of(4) {
        return Err(format!(
            "the drawing code has {} characters, not a multiple of 4 (it was cut short?)",
            digits.len()
        ));
    }
    if digits.len() / 4 > DRAWN_MAX_POINTS {
        return Err(format!(
            "the drawing has {} points, more than {DRAWN_MAX_POINTS}",
            digits.len() / 4
        ));
    }
    let coord = |hi: usize, lo: usize| {
        ((hi << 6) | lo) as f64 / CODE_LEVELS * (2.0 * CODE_HALF) - CODE_HALF
    };
    Ok(digits
        .chunks(4)
        .map(|d| [coord(d[0], d[1]), coord(d[2], d[3])])
        .collect())
}

/// The drawing shown before a user draws: a heart, made of strokes like any drawing.
pub fn default_drawing() -> Vec<P2> {
    let heart: Vec<P2> = (0..=200)
        .map(|k| {
            let s = 2.0 * PI * k as f64 / 200.0;
            let x = 16.0 * libm::sin(s).powi(3);
            let y = 13.0 * libm::cos(s)
                - 5.0 * libm::cos(2.0 * s)
                - 2.0 * libm::cos(3.0 * s)
                - libm::cos(4.0 * s);
            [0.22 * x, 0.22 * y + 0.4]
        })
        .collect();
    drawn_points(&[heart]).0
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
        let start = out.len();
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
        // A closed curve (a ring, a heart) must not get its start twice: that would be a bright
        // bead where it closes.
        let closed = c.len() > 2
            && libm::hypot(c[0][0] - c[c.len() - 1][0], c[0][1] - c[c.len() - 1][1]) < 1e-9;
        if closed && out.len() > start + 1 {
            let (first, last) = (out[start], out[out.len() - 1]);
            if libm::hypot(last[0] - first[0], last[1] - first[1]) < 0.5 * CURVE_STEP {
                out.pop();
            }
        }
    }
    out
}

/// A target prepared for exact evaluation.
#[derive(Clone, Debug)]
pub enum ExactTarget {
    /// The checkerboard, with its closed-form posterior.
    Checkerboard,
    /// Any target given as a Gaussian mixture (including point sets).
    Mixture(Mixture),
    /// A target on the line, as the plane's x-axis ([`Target::Line`]).
    Line(LineTarget),
}

impl ExactTarget {
    /// Prepares a target.
    pub fn new(target: &Target) -> Self {
        if let Target::Line(code) = target {
            // Target::line checked the code; a hand-made bad one falls back to the default.
            return ExactTarget::Line(LineTarget::parse(code).unwrap_or_default());
        }
        match target.mixture() {
            None => ExactTarget::Checkerboard,
            Some(m) => ExactTarget::Mixture(m),
        }
    }

    /// `n` samples of ρ1.
    pub fn sample(&self, rng: &mut Rng, n: usize) -> Vec<P2> {
        match self {
            ExactTarget::Checkerboard => checker::sample(rng, n),
            ExactTarget::Mixture(m) => m.sample(rng, n),
            ExactTarget::Line(l) => l.sample(rng, n).into_iter().map(|x| [x, 0.0]).collect(),
        }
    }

    /// The mean E(x1), exactly (the checkerboard's is the origin by its symmetry).
    pub fn mean(&self) -> P2 {
        match self {
            ExactTarget::Checkerboard => [0.0, 0.0],
            ExactTarget::Mixture(m) => m.mean(),
            ExactTarget::Line(l) => [l.mean(), 0.0],
        }
    }

    /// The covariance Cov(x1) = (c00, c01, c11), exactly. The checkerboard's: each coordinate is
    /// uniform on [−4, 4] (variance 16/3), and the occupied squares' centres (±1, ±3) have
    /// E[c_x c_y] = 1, so c01 = 1.
    pub fn covariance(&self) -> [f64; 3] {
        match self {
            ExactTarget::Checkerboard => [16.0 / 3.0, 1.0, 16.0 / 3.0],
            ExactTarget::Mixture(m) => {
                let c = m.covariance();
                [c.a, c.b, c.c]
            }
            ExactTarget::Line(l) => [l.variance(), 0.0, 0.0],
        }
    }

    /// Whether the target lives on the line (the plane's x-axis).
    pub fn on_line(&self) -> bool {
        matches!(self, ExactTarget::Line(_))
    }

    /// `n` draws of the base N(0, I) (or of the noise z) in the target's space: the plane's, or
    /// the line's as [x, 0] (the same draws as [`Rng::normals`], their second coordinates
    /// zeroed, so a seed gives the same first coordinates either way).
    pub fn base_normals(&self, rng: &mut Rng, n: usize) -> Vec<P2> {
        let mut xs = rng.normals(n);
        if self.on_line() {
            xs.iter_mut().for_each(|x| x[1] = 0.0);
        }
        xs
    }

    /// One draw of [`ExactTarget::base_normals`].
    pub fn base_normal(&self, rng: &mut Rng) -> P2 {
        let x = rng.normal2();
        if self.on_line() { [x[0], 0.0] } else { x }
    }

    /// The posterior of x1 given x = β·x1 + σ·ξ (ξ ~ N(0, I), σ > 0), for any (β, σ): the
    /// schedule-free form of docs/math.md §8.4 (with β = 1 and σ = λ it is D(λ, x)).
    pub fn posterior(&self, x: P2, beta: f64, sigma: f64, want_cov: bool) -> Posterior {
        match self {
            ExactTarget::Checkerboard => {
                let mut p = checker::posterior(x, beta, sigma, want_cov);
                let s2 = sigma * sigma;
                p.score = [-(x[0] - beta * p.g1[0]) / s2, -(x[1] - beta * p.g1[1]) / s2];
                p
            }
            ExactTarget::Mixture(m) => m.at(beta, sigma * sigma).posterior(x, want_cov),
            ExactTarget::Line(l) => line_posterior(l, x, beta, sigma),
        }
    }

    /// log ρ1(x) (for a target on the line, its density on the line at `x[0]`).
    pub fn log_density(&self, x: P2) -> f64 {
        match self {
            ExactTarget::Checkerboard => checker::log_density(x),
            ExactTarget::Mixture(m) => m.log_density(x),
            ExactTarget::Line(l) => l.log_density(x[0]),
        }
    }
}

/// The posterior of a target on the line at a point of the plane, x = β·[x1, 0] + σ·ξ: the
/// line's posterior in the first coordinate; the second coordinate of x1 is 0 for certain, so
/// it contributes only its Gaussian factor N(`x[1]`; 0, σ²) to ρ and −`x[1]`/σ² to the score.
pub fn line_posterior(target: &LineTarget, x: P2, beta: f64, sigma: f64) -> Posterior {
    let p = target.posterior_at(beta, sigma, x[0]);
    let s2 = sigma * sigma;
    Posterior {
        g1: [p.g1, 0.0],
        score: [-(x[0] - beta * p.g1) / s2, -x[1] / s2],
        tr_cov: p.var,
        log_rho: p.log_rho - 0.5 * x[1] * x[1] / s2 - sigma.ln() - crate::special::HALF_LN_2PI,
    }
}

#[cfg(test)]
#[path = "targets_tests.rs"]
mod tests;
