//! Four f32 lanes: WebAssembly's SIMD where the engine is built with it, plain arrays elsewhere
//! (which the native build's optimiser vectorises). Every operation is the same IEEE operation
//! lane by lane on both, so a kernel written with [`F4`] gives the same bits in the browser and
//! natively. Only what the batch posterior's kernel needs.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub struct F4(v128);

    impl F4 {
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            Self(f32x4_splat(v))
        }
        #[inline(always)]
        pub fn new([a, b, c, d]: [f32; 4]) -> Self {
            Self(f32x4(a, b, c, d))
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            Self(f32x4_add(self.0, o.0))
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            Self(f32x4_sub(self.0, o.0))
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            Self(f32x4_mul(self.0, o.0))
        }
        /// The larger of each pair (neither is NaN where it is used).
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            Self(f32x4_pmax(self.0, o.0))
        }
        /// Rounded to the nearest whole number, ties to even.
        #[inline(always)]
        pub fn round(self) -> Self {
            Self(f32x4_nearest(self.0))
        }
        /// 2^n for whole n ∈ [−126, 127].
        #[inline(always)]
        pub fn pow2(self) -> Self {
            Self(i32x4_shl(
                i32x4_add(i32x4_trunc_sat_f32x4(self.0), i32x4_splat(127)),
                23,
            ))
        }
        /// Each lane where `self > o`, else 0.
        #[inline(always)]
        pub fn where_gt(self, o: Self, v: Self) -> Self {
            Self(v128_and(f32x4_gt(self.0, o.0), v.0))
        }
        pub fn lanes(self) -> [f32; 4] {
            [
                f32x4_extract_lane::<0>(self.0),
                f32x4_extract_lane::<1>(self.0),
                f32x4_extract_lane::<2>(self.0),
                f32x4_extract_lane::<3>(self.0),
            ]
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    #[derive(Clone, Copy)]
    pub struct F4([f32; 4]);

    impl F4 {
        #[inline(always)]
        fn zip(self, o: Self, f: impl Fn(f32, f32) -> f32) -> Self {
            Self([0, 1, 2, 3].map(|i| f(self.0[i], o.0[i])))
        }
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            Self([v; 4])
        }
        #[inline(always)]
        pub fn new(v: [f32; 4]) -> Self {
            Self(v)
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            self.zip(o, |a, b| a + b)
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            self.zip(o, |a, b| a - b)
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            self.zip(o, |a, b| a * b)
        }
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            self.zip(o, |a, b| if a < b { b } else { a })
        }
        #[inline(always)]
        pub fn round(self) -> Self {
            Self(self.0.map(f32::round_ties_even))
        }
        #[inline(always)]
        pub fn pow2(self) -> Self {
            Self(
                self.0
                    .map(|n| f32::from_bits(((n as i32 + 127) as u32) << 23)),
            )
        }
        #[inline(always)]
        pub fn where_gt(self, o: Self, v: Self) -> Self {
            Self([0, 1, 2, 3].map(|i| if self.0[i] > o.0[i] { v.0[i] } else { 0.0 }))
        }
        pub fn lanes(self) -> [f32; 4] {
            self.0
        }
    }
}

pub use imp::F4;

impl F4 {
    /// e^x for x ∈ (−87, 0], to a few f32 ulps: x = n·ln 2 + r with |r| ≤ ½ln 2, a degree-6
    /// Taylor series for e^r and the exponent bits for 2^n (ln 2 in two parts, so that n·ln 2
    /// is exact to f32 precision). No branches, no table: four at once.
    #[inline(always)]
    pub fn exp_neg(self) -> Self {
        let n = self.mul(F4::splat(core::f32::consts::LOG2_E)).round();
        let r = self
            .sub(n.mul(F4::splat(0.693_359_4)))
            .sub(n.mul(F4::splat(-2.121_944_4e-4)));
        let mut p = F4::splat(1.0 / 720.0);
        for c in [1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
            p = p.mul(r).add(F4::splat(c));
        }
        p.mul(n.pow2())
    }

    /// The four lanes' sum, in a fixed order.
    pub fn sum(self) -> f32 {
        let [a, b, c, d] = self.lanes();
        (a + b) + (c + d)
    }
}

#[cfg(test)]
mod tests {
    use super::F4;

    #[test]
    fn exp_neg_matches_exp() {
        for k in 0..=87_000 {
            let x = -(k as f32) * 1e-3;
            let got = F4::splat(x).exp_neg().lanes();
            let want = f64::from(x).exp();
            for g in got {
                assert!(
                    (f64::from(g) - want).abs() <= 4e-7 * want,
                    "x = {x}: {g} against {want}"
                );
            }
        }
    }
}
