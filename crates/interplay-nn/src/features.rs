//! The field network's input features, built from two matrix products.
//!
//! The features of (u, x) are the columns
//! `[x₁, x₂, u, sin(πku), cos(πku) for k = 1..=fourier, sin(ω_k x_d), cos(ω_k x_d) for
//! k = 0..spatial and d = 1, 2]` (the order the checkpoints use). Each column is one of three
//! functions (identity, sin, cos) of one angle `a = x₁·w₁ + x₂·w₂ + u·w_u`, where exactly one of
//! the three weights of a column is non-zero. So the whole `[B, inputs]` block is
//!
//! ```text
//! a     = x·W_x + u·w_u                        (W_x: [2, inputs], w_u: [1, inputs])
//! feats = m_id·a + m_sin·sin(a) + m_cos·cos(a)
//! ```
//!
//! with constant rows `w` and 0/1 masks `m` broadcast over the batch: two matrix products and
//! element-wise work that burn's fusion can fold into their epilogue on WebGPU, where building
//! the columns one by one and concatenating them cost a dispatch per column (BENCHMARKS.md,
//! "Where a WebGPU step's dispatches go"). The values are the same as computing each column on
//! its own: the products by zero and the sums with zero are exact in floating point (for
//! finite inputs).
//!
//! Their derivatives along x_d (the input tangents of the divergence) have the same form:
//! `e_d + s_d·cos(a) + c_d·sin(a)` with `e_d` one-hot at x_d's own column, `s_d = ω` at the
//! sine columns of x_d and `c_d = −ω` at its cosine columns.

use burn::tensor::{Device, Tensor, TensorData};
use core::f64::consts::PI;

/// Rows of the constant table, in order.
const W1: usize = 0;
const W2: usize = 1;
const WU: usize = 2;
const M_ID: usize = 3;
const M_SIN: usize = 4;
const M_COS: usize = 5;
const T1: usize = 6; // e₁, s₁, c₁
const T2: usize = 9; // e₂, s₂, c₂
const ROWS: usize = 12;

/// The angular frequency of spatial octave k: periods 8, 4, 2, 1, … in input units.
pub(crate) fn omega(k: usize) -> f64 {
    PI * (1u64 << k) as f64 / 4.0
}

/// The input layout of a field network: `fourier` time pairs and `spatial` position octaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Features {
    pub(crate) fourier: usize,
    pub(crate) spatial: usize,
}

/// What one feature column is.
#[derive(Clone, Copy)]
enum Column {
    /// The input itself: x₁, x₂ (d = 0, 1) or u (d = 2).
    Id(usize),
    /// sin(w·input d).
    Sin(usize, f64),
    /// cos(w·input d).
    Cos(usize, f64),
}

impl Features {
    /// Number of columns: x (2), u (1), 2·fourier time features and 4·spatial coordinate ones.
    pub(crate) fn len(self) -> usize {
        3 + 2 * self.fourier + 4 * self.spatial
    }

    /// The columns, in the checkpoints' order.
    fn columns(self) -> Vec<Column> {
        let mut cols = vec![Column::Id(0), Column::Id(1), Column::Id(2)];
        for k in 1..=self.fourier {
            let w = PI * k as f64;
            cols.extend([Column::Sin(2, w), Column::Cos(2, w)]);
        }
        for k in 0..self.spatial {
            let w = omega(k);
            for d in 0..2 {
                cols.extend([Column::Sin(d, w), Column::Cos(d, w)]);
            }
        }
        cols
    }

    /// The constant rows (weights, masks, tangent rows) as one `[ROWS, len]` table, row-major.
    fn table(self) -> Vec<f32> {
        let n = self.len();
        let mut t = vec![0.0f32; ROWS * n];
        let mut set = |row: usize, j: usize, v: f64| t[row * n + j] = v as f32;
        for (j, c) in self.columns().into_iter().enumerate() {
            let (d, w, mask) = match c {
                Column::Id(d) => (d, 1.0, M_ID),
                Column::Sin(d, w) => (d, w, M_SIN),
                Column::Cos(d, w) => (d, w, M_COS),
            };
            set([W1, W2, WU][d], j, w);
            set(mask, j, 1.0);
            if d < 2 {
                let tangent = [T1, T2][d];
                match c {
                    Column::Id(_) => set(tangent, j, 1.0),
                    Column::Sin(..) => set(tangent + 1, j, w),
                    Column::Cos(..) => set(tangent + 2, j, -w),
                }
            }
        }
        t
    }

    /// The features of `u` (`[B, 1]`) and `x` (`[B, 2]`), `[B, len]`, and, when asked, their
    /// derivatives along x₁ and x₂ (two `[B, len]`).
    /// The rows of the table that give the features themselves (`w₁, w₂, w_u, m_id, m_sin,
    /// m_cos`, [`Features::len`] numbers each): the fused step's kernels compute them per row.
    pub(crate) fn angle_rows(self) -> Vec<f32> {
        let mut t = self.table();
        t.truncate(T1 * self.len());
        t
    }

    pub(crate) fn of(
        self,
        u: Tensor<2>,
        x: Tensor<2>,
        tangents: bool,
    ) -> (Tensor<2>, Option<[Tensor<2>; 2]>) {
        let n = self.len();
        let device: Device = x.device();
        let table = self.table();
        // Rows uploaded on their own (a slice of one uploaded table would be a copy kernel
        // each on WebGPU); each is a `[1, n]` row broadcast over the batch.
        let rows = |r: std::ops::Range<usize>| {
            let data = table[r.start * n..r.end * n].to_vec();
            Tensor::<2>::from_data(TensorData::new(data, [r.len(), n]), &device)
        };
        let row = |r: usize| rows(r..r + 1);
        // The angles as two products with one non-zero term each (exact).
        let a = x.matmul(rows(W1..W2 + 1)) + u.matmul(row(WU));
        let (sin, cos) = (a.clone().sin(), a.clone().cos());
        let feats = a * row(M_ID) + sin.clone() * row(M_SIN) + cos.clone() * row(M_COS);
        if !tangents {
            return (feats, None);
        }
        let along = |t: usize| cos.clone() * row(t + 1) + sin.clone() * row(t + 2) + row(t);
        (feats, Some([along(T1), along(T2)]))
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // the CPU backend reads synchronously
mod tests {
    use super::*;

    fn read(t: Tensor<2>) -> Vec<f32> {
        t.into_data().convert::<f32>().try_to_vec().expect("f32")
    }

    /// The angle w·v as the tensors hold it (the product rounded to f32: at ω = 8π an angle's
    /// rounding is amplified 25-fold in the derivatives).
    fn angle(w: f64, v: f64) -> f64 {
        f64::from(w as f32 * v as f32)
    }

    /// Each column computed on its own, in f64 from the f32 angles, with its derivatives along
    /// x₁ and x₂.
    fn host(f: Features, u: f64, x: [f64; 2]) -> (Vec<f64>, [Vec<f64>; 2]) {
        let mut v = vec![x[0], x[1], u];
        let mut d = [vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 0.0]];
        for k in 1..=f.fourier {
            let a = angle(PI * k as f64, u);
            v.extend([a.sin(), a.cos()]);
            for dd in &mut d {
                dd.extend([0.0, 0.0]);
            }
        }
        for k in 0..f.spatial {
            let w = omega(k);
            for (c, &xc) in x.iter().enumerate() {
                let a = angle(w, xc);
                v.extend([a.sin(), a.cos()]);
                for (e, dd) in d.iter_mut().enumerate() {
                    if e == c {
                        dd.extend([w * a.cos(), -w * a.sin()]);
                    } else {
                        dd.extend([0.0, 0.0]);
                    }
                }
            }
        }
        (v, d)
    }

    #[test]
    fn features_and_tangents_match_each_column_computed_alone() {
        let device = Device::flex();
        for f in [
            Features {
                fourier: 3,
                spatial: 6,
            },
            Features {
                fourier: 0,
                spatial: 0,
            },
            Features {
                fourier: 2,
                spatial: 1,
            },
        ] {
            let pts: Vec<(f64, [f64; 2])> = (0..9)
                .map(|i| {
                    (
                        0.11 * i as f64,
                        [0.7 * i as f64 - 3.1, 2.3 - 0.45 * i as f64],
                    )
                })
                .collect();
            let u: Vec<f32> = pts.iter().map(|p| p.0 as f32).collect();
            let x: Vec<f32> = pts.iter().flat_map(|p| p.1.map(|v| v as f32)).collect();
            let u = Tensor::<2>::from_data(TensorData::new(u, [9, 1]), &device);
            let x = Tensor::<2>::from_data(TensorData::new(x, [9, 2]), &device);
            let (feats, tangents) = f.of(u.clone(), x.clone(), true);
            let [t1, t2] = tangents.expect("asked for");
            let (feats, t1, t2) = (read(feats), read(t1), read(t2));
            assert_eq!(read(f.of(u, x, false).0), feats, "with or without tangents");
            let n = f.len();
            assert_eq!(feats.len(), 9 * n);
            for (i, &(u, x)) in pts.iter().enumerate() {
                // The inputs are rounded to f32 first, as the tensors hold them.
                let (u, x) = (u as f32 as f64, x.map(|v| v as f32 as f64));
                let (v, [d1, d2]) = host(f, u, x);
                for j in 0..n {
                    let tol = 1e-5 * (1.0 + v[j].abs().max(d1[j].abs()).max(d2[j].abs()));
                    let at = i * n + j;
                    assert!(
                        (f64::from(feats[at]) - v[j]).abs() < tol,
                        "row {i} column {j}: {} vs {}",
                        feats[at],
                        v[j]
                    );
                    assert!(
                        (f64::from(t1[at]) - d1[j]).abs() < tol,
                        "∂/∂x₁ row {i} column {j}"
                    );
                    assert!(
                        (f64::from(t2[at]) - d2[j]).abs() < tol,
                        "∂/∂x₂ row {i} column {j}"
                    );
                }
            }
        }
    }
}
