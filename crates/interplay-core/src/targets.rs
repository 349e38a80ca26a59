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
    /// The uniform distribution on a finite point set (a target a user loads).
    Points(Vec<P2>),
    /// A drawing: Gaussian tubes (the width of the curves above) centred on points spaced along
    /// the strokes a user drew (see [`drawn_points`]).
    Drawn(Vec<P2>),
}

/// The most points of a drawing (its exact fields cost one Gaussian per point).
pub const DRAWN_MAX_POINTS: usize = 160;
/// A drawing is kept inside [−DRAWN_EXTENT, DRAWN_EXTENT]² (the views show [−5, 5]²).
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
/// Code levels per coordinate (two digits) over [−5, 5]: a resolution of 10/4095 ≈ 0.0024.
const CODE_LEVELS: f64 = 4095.0;

/// A drawing's points as a short URL-safe code: 4 characters per point.
pub fn encode_points(pts: &[P2]) -> String {
    let mut out = String::with_capacity(4 * pts.len());
    for p in pts {
        for v in p {
            let q = (((v.clamp(-5.0, 5.0) + 5.0) / 10.0) * CODE_LEVELS).round() as usize;
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
    let coord = |hi: usize, lo: usize| ((hi << 6) | lo) as f64 / CODE_LEVELS * 10.0 - 5.0;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawing_codes_round_trip_and_bad_codes_say_why() {
        let mut r = Rng::new(8);
        let pts: Vec<P2> = (0..DRAWN_MAX_POINTS)
            .map(|_| [r.uniform() * 10.0 - 5.0, r.uniform() * 10.0 - 5.0])
            .collect();
        let code = encode_points(&pts);
        assert_eq!(code.len(), 4 * pts.len());
        let back = decode_points(&code).expect("decodes");
        for (a, b) in pts.iter().zip(&back) {
            assert!((a[0] - b[0]).abs() <= 1.3e-3 && (a[1] - b[1]).abs() <= 1.3e-3);
        }
        // Decoding then encoding is exact.
        assert_eq!(encode_points(&back), code);
        for (bad, says) in [
            ("", "empty"),
            ("AAA", "multiple of 4"),
            ("AA A", "character ' '"),
            ("AAé_", "character 'é'"),
        ] {
            let e = decode_points(bad).expect_err(bad);
            assert!(e.contains(says), "{bad:?}: {e}");
        }
        let long = "AAAA".repeat(DRAWN_MAX_POINTS + 1);
        assert!(
            decode_points(&long)
                .expect_err("long")
                .contains("more than")
        );
    }

    #[test]
    fn strokes_become_evenly_spaced_points_inside_the_view() {
        // A 3-unit stroke and a dot; a stroke running off the view is clamped to it.
        let (pts, cut) = drawn_points(&[
            vec![[0.0, 0.0], [3.0, 0.0]],
            vec![[1.0, 1.0]],
            vec![[4.0, 4.0], [9.0, 4.0]],
            vec![],
            vec![[f64::NAN, 0.0]],
        ]);
        assert!(!cut);
        // 10 or 11 points on the first stroke (rounding at its end), 1 dot, 3 on the clamped one.
        assert!((14..=15).contains(&pts.len()), "{}", pts.len());
        assert!(
            pts.iter()
                .all(|p| p[0].abs() <= DRAWN_EXTENT && p[1].abs() <= DRAWN_EXTENT)
        );
        let (many, cut) = drawn_points(&vec![
            vec![[-4.0, 0.0], [4.0, 0.0], [4.0, 4.0], [-4.0, 4.0]];
            3
        ]);
        assert!(cut && many.len() == DRAWN_MAX_POINTS);
        let heart = default_drawing();
        assert!(
            heart.len() > 40 && heart.len() < DRAWN_MAX_POINTS,
            "{}",
            heart.len()
        );
        let t = Target::Drawn(heart);
        assert_eq!(t.name(), "drawn");
        let xs = t.sample(&mut Rng::new(1), 1000);
        // Closed curves do not repeat their start (no bright bead where they close).
        // (The inner ring: 7.85 long, so its 27th point would sit 0.05 before the start.)
        let ring = along(&[(0..=256)
            .map(|k| polar(1.25, 2.0 * PI * k as f64 / 256.0))
            .collect()]);
        let gap = |a: P2, b: P2| libm::hypot(a[0] - b[0], a[1] - b[1]);
        assert!(
            gap(ring[0], ring[ring.len() - 1]) > 0.5 * CURVE_STEP,
            "{}",
            ring.len()
        );
        assert!(xs.iter().all(|x| x[0].abs() < 6.0 && x[1].abs() < 6.0));
    }
}
