//! The flow lines of a field learned on the line (a run on `Target::Line`): from the
//! space–time figure's starts (quantiles of ρ(t0)) through every fourth time of its grid, with
//! RK4 on the device. The page draws them over the exact lines while the line's b trains;
//! `interplay figure --view spacetime --model` draws them in print.

use interplay_core::integrate::{OdeSolver, Span};
use interplay_core::line::LineTarget;
use interplay_core::spacetime::{flow_span, flow_starts};

use crate::field::{DeviceField, LearnedField};
use crate::sampler::{ode, points_tensor};
use crate::{NnError, read_values};

/// The exact lines' grid steps per learned step: a learned field is smooth, and its lines are
/// drawn through the grid's every fourth time (the two grids' nodes coincide).
const COARSEN: usize = 4;

/// Learned flow lines: the times, and each line's positions at them (a line the stability rule
/// stopped is shorter).
#[derive(Clone, Debug, PartialEq)]
pub struct FlowLines {
    /// The times of the grid.
    pub times: Vec<f64>,
    /// Positions x per line, one per time reached.
    pub lines: Vec<Vec<f64>>,
}

impl FlowLines {
    /// The lines as (t, x) curves.
    pub fn curves(&self) -> Vec<Vec<(f64, f64)>> {
        self.lines
            .iter()
            .map(|l| self.times.iter().copied().zip(l.iter().copied()).collect())
            .collect()
    }
}

/// The flow lines of `field` (a model of `target` on the line, its second coordinate zero),
/// read back asynchronously.
pub async fn flow_lines(field: &LearnedField, target: &LineTarget) -> Result<FlowLines, NnError> {
    let grid = flow_span(&field.schedule);
    let times: Vec<f64> = (0..=grid.steps / COARSEN)
        .map(|k| grid.time(k * COARSEN))
        .collect();
    let starts: Vec<_> = flow_starts(&field.schedule, target)
        .into_iter()
        .map(|x| [x, 0.0])
        .collect();
    let mut x = points_tensor(&starts, &field.device());
    let mut cols = vec![x.clone()];
    for w in times.windows(2) {
        let (y, report) = ode(field, x, Span::new(w[0], w[1], 1), OdeSolver::Rk4);
        if report.steps == 0 {
            break;
        }
        x = y;
        cols.push(x.clone());
    }
    // [lines, 2·reached] row-major: keep each row's first coordinates.
    let reached = cols.len();
    let v = read_values(burn::tensor::Tensor::cat(cols, 1)).await?;
    let lines = (0..starts.len())
        .map(|row| {
            (0..reached)
                .map(|k| f64::from(v[row * 2 * reached + 2 * k]))
                .collect()
        })
        .collect();
    Ok(FlowLines { times, lines })
}
