//! The flow map X̂_{s,t}: a network that jumps from any time s to any later time t along the
//! probability-flow ODE in one evaluation, so that ρ0 is carried to ρ1 in one or a few steps
//! (Boffi, Albergo, Vanden-Eijnden: "Flow map matching", arXiv 2406.07507; "How to build a
//! consistency model: learning flow maps via self-distillation", arXiv 2505.18825).
//!
//! - [`gauss`]: the exact map of the target's Gaussian stand-in, under the learned one;
//! - [`net`]: the network F(s, t, x) and its t-derivative by forward tangents;
//! - [`train`]: the diagonal flow-matching loss plus Lagrangian or progressive self-distillation;
//!   `step`: the distillation rules, a step's losses and its gradient, in two halves on two
//!   threads natively;
//! - [`field`]: jumps, K-step sampling and the map's own velocity, on a device;
//! - [`checkpoint`]: the checkpoint of a map, with its own kind;
//! - [`eval`]: the map against the exact one (`interplay_core::flow_map`), cell by cell.

pub mod checkpoint;
pub mod eval;
pub mod field;
pub mod gauss;
pub mod net;
mod step;
pub mod train;

pub use checkpoint::{FLOW_MAP_MAGIC, MapCheckpoint, MapHeader};
pub use field::MapField;
pub use train::{Distill, MapLosses, MapTrainer};
