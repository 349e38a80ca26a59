//! The Lagrangian picture in pixels: particles as dots over fading trails (flow lines), and the
//! arrow field. Pure functions over buffers, shared by the page and `interplay figure`.

use crate::P2;
use crate::density::Grid;

/// Background of the particle views.
pub const BACKGROUND: [f32; 3] = [20.0, 20.0, 30.0];

/// Okabe–Ito colours (colour-blind safe; black replaced by light grey on the dark background).
pub const OKABE_ITO: [[u8; 3]; 8] = [
    [0xe6, 0x9f, 0x00],
    [0x56, 0xb4, 0xe9],
    [0x00, 0x9e, 0x73],
    [0xf0, 0xe4, 0x42],
    [0x00, 0x72, 0xb2],
    [0xd5, 0x5e, 0x00],
    [0xcc, 0x79, 0xa7],
    [0xdd, 0xdd, 0xdd],
];

/// A particle's colour from where it started: the angle sector of its starting point, so one
/// sees which part of the Gaussian goes where.
pub fn start_color(start: P2) -> [u8; 3] {
    let a = start[1].atan2(start[0]) + core::f64::consts::PI;
    let k = ((a / (2.0 * core::f64::consts::PI)) * 8.0).floor() as usize;
    OKABE_ITO[k.min(7)]
}

/// An RGB image of the view window with persistent, fading trails.
#[derive(Clone, Debug)]
pub struct TrailImage {
    /// Width in pixels.
    pub w: usize,
    /// Height in pixels.
    pub h: usize,
    buf: Vec<f32>,
}

impl TrailImage {
    /// A blank image.
    pub fn new(w: usize, h: usize) -> Self {
        let mut buf = Vec::with_capacity(w * h * 3);
        for _ in 0..w * h {
            buf.extend_from_slice(&BACKGROUND);
        }
        Self { w, h, buf }
    }

    /// Clears the trails.
    pub fn clear(&mut self) {
        for px in self.buf.chunks_exact_mut(3) {
            px.copy_from_slice(&BACKGROUND);
        }
    }

    /// Fades everything towards the background by `keep` (0: clear, 1: keep the trails).
    pub fn fade(&mut self, keep: f32) {
        for px in self.buf.chunks_exact_mut(3) {
            for c in 0..3 {
                px[c] = BACKGROUND[c] + (px[c] - BACKGROUND[c]) * keep;
            }
        }
    }

    /// The pixel of a point of the window [−5, 5]², if inside.
    pub fn pixel(&self, x: P2) -> Option<(usize, usize)> {
        let grid = Grid::view(1);
        let fx = (x[0] - grid.lo) / (grid.hi - grid.lo) * self.w as f64;
        let fy = (grid.hi - x[1]) / (grid.hi - grid.lo) * self.h as f64;
        (fx >= 0.0 && fy >= 0.0 && fx < self.w as f64 && fy < self.h as f64)
            .then_some((fx as usize, fy as usize))
    }

    /// Draws each point as a `size`×`size` dot in its colour.
    pub fn plot(&mut self, points: &[P2], colors: &[[u8; 3]], size: usize) {
        for (p, c) in points.iter().zip(colors) {
            let Some((px, py)) = self.pixel(*p) else {
                continue;
            };
            for dy in 0..size {
                for dx in 0..size {
                    let (x, y) = (px + dx, py + dy);
                    if x < self.w && y < self.h {
                        let i = 3 * (y * self.w + x);
                        self.buf[i..i + 3].copy_from_slice(&[
                            c[0] as f32,
                            c[1] as f32,
                            c[2] as f32,
                        ]);
                    }
                }
            }
        }
    }

    /// RGBA bytes.
    pub fn rgba(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.w * self.h * 4);
        for px in self.buf.chunks_exact(3) {
            out.extend_from_slice(&[px[0] as u8, px[1] as u8, px[2] as u8, 255]);
        }
        out
    }
}

/// Arrows of a vector field on an n×n grid of the window: (tail, head) in plot units, scaled so
/// the 90th-percentile arrow spans 0.9 of a cell.
pub fn arrows(n: usize, f: impl Fn(P2) -> P2) -> Vec<(P2, P2)> {
    let grid = Grid::view(n);
    let cell = grid.cell();
    let mut items = Vec::with_capacity(n * n);
    for row in 0..n {
        for col in 0..n {
            let p = grid.center(row, col);
            let v = f(p);
            if v[0].is_finite() && v[1].is_finite() {
                items.push((p, v));
            }
        }
    }
    let mut mags: Vec<f64> = items.iter().map(|(_, v)| v[0].hypot(v[1])).collect();
    mags.sort_by(f64::total_cmp);
    let ref_mag = mags
        .get(mags.len() * 9 / 10)
        .copied()
        .unwrap_or(1.0)
        .max(1e-9);
    let k = 0.9 * cell / ref_mag;
    items
        .into_iter()
        .map(|(p, v)| {
            // Cap long arrows at 1.5 cells so the picture stays readable.
            let (mut dx, mut dy) = (k * v[0], k * v[1]);
            let len = dx.hypot(dy);
            if len > 1.5 * cell {
                dx *= 1.5 * cell / len;
                dy *= 1.5 * cell / len;
            }
            (p, [p[0] + dx, p[1] + dy])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_trails_and_arrows() {
        let mut img = TrailImage::new(100, 100);
        let bg = img.rgba();
        img.plot(&[[0.0, 0.0], [9.0, 9.0]], &[[255, 0, 0], [0, 255, 0]], 2);
        let a = img.rgba();
        assert_ne!(a, bg);
        let i = 4 * (50 * 100 + 50);
        assert_eq!(&a[i..i + 3], &[255, 0, 0]);
        img.fade(0.5);
        let b = img.rgba();
        assert!(b[i] < 255 && b[i] > BACKGROUND[0] as u8);
        img.fade(0.0);
        assert_eq!(img.rgba(), bg);
        assert_eq!(start_color([1.0, 0.1]), OKABE_ITO[4]);
        let ar = arrows(5, |p| [-p[0], -p[1]]);
        assert_eq!(ar.len(), 25);
        // Arrows point inwards.
        for (tail, head) in ar {
            assert!(head[0].hypot(head[1]) <= tail[0].hypot(tail[1]) + 1e-12);
        }
    }
}
