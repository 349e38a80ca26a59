//! The reader-facing settings of live training (the page's Train button) that the viewer's
//! parameters and the training engine share: the defaults of the learning-rate and batch
//! controls. The rest of the live settings (warm-up, decay, weight average, features) belong to
//! `interplay_nn::TrainConfig::live`; all were chosen with `interplay bench --time-to-quality`
//! (BENCHMARKS.md, "Time to quality").

/// Adam's initial learning rate (before warm-up and decay), for both objectives.
pub const LR: f64 = 0.02;

/// Triples (t, x0, x1, z) per step.
pub const BATCH: usize = 1024;
