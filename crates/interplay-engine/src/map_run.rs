//! A flow map's run in the engine: its trainer, and the exact side of its views (the exact ODE
//! from the jumps' starts, the rows of the error grid), solved once and kept with the run, since
//! they never change while the map trains. The views themselves are in `crate::flow_map`.

use interplay_core::{ExactField, P2};
use interplay_nn::flow_map::MapTrainer;
use interplay_nn::flow_map::field::END;

/// Start times of the error grid's rows: the grid is these and the map's end.
const GRID_ROWS: usize = 8;

/// One row of the error grid: points of ρ(s) and where the exact map takes them at each later
/// time of the grid.
pub(crate) struct ExactRow {
    pub(crate) s: f64,
    pub(crate) xs: Vec<P2>,
    pub(crate) ends: Vec<Vec<P2>>,
    /// Per end, E|X_{s,t}(x_s) − x_s|: how far the exact map moves the points.
    pub(crate) moved: Vec<f64>,
}

/// The exact ODE from `n` starts (`seed`) through the times of every K the page offers.
pub(crate) struct ExactPaths {
    pub(crate) key: (u32, u32),
    /// The times, increasing, the start first.
    pub(crate) times: Vec<f64>,
    /// Per time, the points.
    pub(crate) at: Vec<Vec<P2>>,
}

/// A flow map's run: its trainer, and the exact side of its views, solved once.
pub(crate) struct MapRun {
    pub(crate) trainer: MapTrainer,
    pub(crate) exact: ExactField,
    pub(crate) rows: Vec<ExactRow>,
    pub(crate) paths: Option<ExactPaths>,
}

impl MapRun {
    pub(crate) fn new(trainer: MapTrainer) -> Self {
        let exact = ExactField::new(trainer.schedule, &trainer.target);
        Self {
            trainer,
            exact,
            rows: Vec::new(),
            paths: None,
        }
    }

    /// The error grid's times: the map's start, `GRID_ROWS - 1` equal steps, its end.
    pub(crate) fn grid(&self) -> Vec<f64> {
        let (a, b) = (self.trainer.schedule.t_start(), END);
        (0..=GRID_ROWS)
            .map(|i| a + (b - a) * i as f64 / GRID_ROWS as f64)
            .collect()
    }
}
