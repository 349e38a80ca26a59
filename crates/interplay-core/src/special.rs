//! Special functions for the exact fields: the normal density and tails, the scaled complementary
//! error function and the Mills ratio, all in `f64` and stable far into the tails.

use core::f64::consts::{FRAC_1_SQRT_2, PI};

/// ½·log(2π).
pub const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;
/// √(π/2).
const SQRT_FRAC_PI_2: f64 = 1.253_314_137_315_500_3;
/// 1/√π.
const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;

/// The scaled complementary error function erfcx(y) = exp(y²)·erfc(y).
///
/// For 0 ≤ y < 8 it is a piecewise polynomial fitted to 40-digit values
/// (`scripts/gen_erfcx_table.py`, relative error ≈ 4e-16); beyond, the continued fraction
/// 1/√π · 1/(y + ½/(y + 1/(y + (3/2)/(y + …)))) with 12 levels, accurate to 1e-18 there.
/// Negative arguments use erfcx(−y) = 2exp(y²) − erfcx(y).
#[inline]
pub fn erfcx(y: f64) -> f64 {
    use crate::erfcx_table::{COEFFS, PIECES, Y_MAX};
    if y < 0.0 {
        return 2.0 * (y * y).exp() - erfcx(-y);
    }
    if y < Y_MAX {
        let pos = y * (PIECES as f64 / Y_MAX);
        let i = (pos as usize).min(PIECES - 1);
        let u = 2.0 * (pos - i as f64) - 1.0;
        let c = &COEFFS[i];
        c[0] + u * (c[1] + u * (c[2] + u * (c[3] + u * (c[4] + u * (c[5] + u * c[6])))))
    } else if y.is_nan() {
        y
    } else {
        let mut acc = y;
        for k in (1..=12).rev() {
            acc = y + (0.5 * k as f64) / acc;
        }
        FRAC_1_SQRT_PI / acc
    }
}

/// The Mills ratio R(u) = Q(u)/φ(u) = √(π/2)·erfcx(u/√2), for u ≥ 0 (any sign works).
#[inline]
pub fn mills(u: f64) -> f64 {
    SQRT_FRAC_PI_2 * erfcx(u * FRAC_1_SQRT_2)
}

/// log φ(u), the log of the standard normal density.
pub fn ln_phi(u: f64) -> f64 {
    -0.5 * u * u - HALF_LN_2PI
}

/// φ(u), the standard normal density.
pub fn phi(u: f64) -> f64 {
    (-0.5 * u * u).exp() / (2.0 * PI).sqrt()
}

/// Φ(u), the standard normal cdf, with full relative accuracy in the lower tail.
pub fn big_phi(u: f64) -> f64 {
    0.5 * libm::erfc(-u * FRAC_1_SQRT_2)
}

/// Q(u) = 1 − Φ(u), with full relative accuracy in the upper tail.
pub fn normal_sf(u: f64) -> f64 {
    0.5 * libm::erfc(u * FRAC_1_SQRT_2)
}

/// log Σ exp(vᵢ), stable; −∞ for an empty slice or all −∞.
pub fn log_sum_exp(v: &[f64]) -> f64 {
    let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfcx_matches_definition_and_asymptotics() {
        // Reference values of erfcx (mpmath, 30 digits).
        let cases = [
            (0.0, 1.0),
            (0.5, 0.615_690_344_192_925_9),
            (1.0, 0.427_583_576_155_807),
            (5.0, 0.110_704_637_733_068_6),
            (12.0, 0.046_854_221_014_893_76),
            (14.999_999_999, 0.037_529_606_390_997_008),
            (15.000_000_001, 0.037_529_606_386_014_523),
            (26.0, 0.021_683_584_850_562_907),
            (30.0, 0.018_795_888_861_416_75),
            (1e4, 5.641_895_807_268_084e-5),
        ];
        for (y, want) in cases {
            let got = erfcx(y);
            assert!(
                (got / want - 1.0).abs() < 1e-12,
                "erfcx({y}) = {got}, want {want}"
            );
        }
        // Negative arguments.
        assert!((erfcx(-1.0) - 5.008_980_080_762_283).abs() < 1e-12);
    }

    #[test]
    fn mills_ratio_is_tail_over_density() {
        for u in [0.0, 0.3, 1.0, 2.5, 6.0, 20.0] {
            let direct = normal_sf(u) / phi(u);
            assert!((mills(u) / direct - 1.0).abs() < 1e-12, "u = {u}");
        }
        // Deep tail: R(u) ≈ 1/u − 1/u³.
        let u = 1e6;
        assert!((mills(u) * u - 1.0).abs() < 1e-11);
    }

    #[test]
    fn cdf_and_lse() {
        assert!((big_phi(0.0) - 0.5).abs() < 1e-16);
        assert!((big_phi(1.0) - 0.841_344_746_068_542_9).abs() < 1e-15);
        assert!((big_phi(-10.0) / 7.619_853_024_160_527e-24 - 1.0).abs() < 1e-12);
        assert!((log_sum_exp(&[1000.0, 1000.0]) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert_eq!(log_sum_exp(&[]), f64::NEG_INFINITY);
    }
}
