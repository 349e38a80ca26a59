//! How much work the learned views do on the engine's backend. The page asks for what the
//! reader set (the particles of the view) or for nothing (the quality panel, the ε explorer);
//! the engine sizes the work here, so a view answers in about the same time on the CPU backend
//! as on WebGPU, and no rule of the backends is kept in the page.

use interplay_nn::device::Backend;

/// The particle counts a cloud is padded to on WebGPU: the kernels of the model's particles are
/// compiled once per size (their vectorisation and tuning depend on the shape), so every count
/// the page allows maps to one of these few.
const CLOUD_SIZES: [usize; 7] = [256, 1024, 2048, 4096, 8192, 20_000, 50_000];

/// The work of each learned view on one backend.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Effort {
    /// The most learned particles shown.
    pub(crate) particles: usize,
    /// The most integration steps one request for the particles takes.
    pub(crate) particle_steps: u32,
    /// The quality panel's samples and integration steps.
    pub(crate) metrics: (u32, u32),
    /// The ε explorer's samples per noise level and integration steps.
    pub(crate) sweep: (u32, u32),
}

impl Effort {
    /// The work on `backend`: WebGPU moves ten times the particles of the CPU backend, whose
    /// sweep of 2000 samples already takes some 15 s in a browser.
    pub(crate) fn of(backend: &Backend) -> Self {
        if backend.kind == "webgpu" {
            Self {
                particles: 20_000,
                particle_steps: 10,
                metrics: (2000, 30),
                sweep: (4000, 100),
            }
        } else {
            Self {
                particles: 2000,
                particle_steps: 3,
                metrics: (600, 12),
                sweep: (2000, 60),
            }
        }
    }
}

/// How many particles the engine integrates to show `n`: `n` on the CPU (no padding work), the
/// next of [`CLOUD_SIZES`] on WebGPU.
pub(crate) fn cloud_size(backend: &Backend, n: usize) -> usize {
    if backend.kind != "webgpu" {
        return n;
    }
    CLOUD_SIZES.iter().copied().find(|&s| s >= n).unwrap_or(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_backend_does_less_and_pads_nothing() {
        let cpu = Backend::cpu(None);
        let e = Effort::of(&cpu);
        assert_eq!((e.particles, e.particle_steps), (2000, 3));
        assert_eq!(cloud_size(&cpu, 1500), 1500);
        assert!(CLOUD_SIZES.windows(2).all(|w| w[0] < w[1]));
    }
}
