//! The mathematics of stochastic interpolants, for Interplay.
//!
//! x_t = α(t)·x0 + β(t)·x1 + γ(t)·z with x0 ~ N(0, I₂), x1 ~ ρ1 (a 2-D target) and z ~ N(0, I₂).
//! This crate holds everything that is exact: schedules, targets and their samplers, the exact
//! velocity b, score s and density ρ(t, x) for a Gaussian base, ODE and SDE integrators, density
//! grids and sample-quality metrics, and the pixels of the views (palette, particle rasters) that
//! the page and `interplay figure` share. It has no dependency on burn or on the web, so it is
//! fast to test and the browser viewer reuses it for every exact view. Notation follows
//! the reference implementation `interflow`.

/// A point of the plane.
pub type P2 = [f64; 2];

pub mod annealing;
pub mod checker;
pub mod coupling;
pub mod density;
pub mod dopri;
mod erfcx_table;
pub mod fields;
pub mod flow_map;
pub mod integrate;
pub mod likelihood;
pub mod line;
pub mod live;
pub mod metrics;
pub mod mixture;
pub mod multi_exact;
pub mod multimarginal;
#[cfg(feature = "serde")]
mod names;
pub mod objective_kind;
pub mod palette;
mod par;
pub mod pick;
pub mod posterior;
pub mod raster;
pub mod rng;
pub mod sampling;
pub mod schedule;
pub mod spacetime;
#[cfg(feature = "serde")]
pub mod spec;
pub mod special;
pub mod targets;

pub use fields::{ExactField, FieldAt};
pub use objective_kind::ObjectiveKind;
pub use posterior::Posterior;
pub use rng::Rng;
pub use schedule::{GammaFamily, Path, Schedule, ScheduleAt, ScheduleIssue};
pub use targets::{ExactTarget, Target};
