//! The Eulerian view: the heat map of ρ(t, ·), exact, from interpolant samples, from the
//! learned model's particles or from its density.

use interplay_core::ExactField;
use interplay_core::density::{Grid, exact_density, histogram};
use interplay_core::sampling::Draws;
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::keyed::Keyed;
use crate::learned::Learned;
use crate::panel::{GRID, Panel, upsample_to};
use crate::params::{Eulerian, Params};
use crate::render;

/// Direct interpolant samples for the "samples" Eulerian view.
const SAMPLES: usize = 60_000;
/// Bins per side of histograms (coarser than the grid, so a few thousand points read well).
const BINS: usize = 64;

/// The heat map's panel and what it keeps between frames.
pub(crate) struct EulerianView {
    panel: Panel,
    /// The draws (x0, x1, z) behind the interpolant samples, by [`Params::draws_key`] (pairing
    /// them by minibatch OT takes a while; the times then only recombine them).
    draws: Keyed<Draws>,
    /// The samples' heat map, by [`Params::samples_key`].
    samples: Keyed<Vec<f64>>,
}

impl EulerianView {
    pub(crate) fn new(canvas: HtmlCanvasElement) -> Result<Self, JsValue> {
        Ok(Self {
            panel: Panel::new(canvas, GRID, true)?,
            draws: Keyed::default(),
            samples: Keyed::default(),
        })
    }

    /// The canvas's internal width.
    pub(crate) fn width(&self) -> u32 {
        self.panel.canvas.width()
    }

    /// Draws the heat map; returns the density at the top of the colour scale, or NaN when the
    /// chosen source has nothing to show yet (a model not trained or loaded).
    pub(crate) fn draw(
        &mut self,
        params: &Params,
        field: &ExactField,
        learned: &Learned,
    ) -> Result<f64, JsValue> {
        let bins = Grid::view(BINS);
        let t = params.schedule().view_time(params.t);
        let values = match params.eulerian {
            Eulerian::Samples => {
                let draws = &mut self.draws;
                self.samples
                    .get_or_make(params.samples_key(t), || {
                        let d = draws.get_or_make(params.draws_key(), || {
                            Draws::new(field.target(), SAMPLES, params.seed, params.coupling)
                        });
                        let xs = d.at(&params.schedule(), t);
                        upsample(&histogram(&bins, &xs), BINS)
                    })
                    .clone()
            }
            Eulerian::Model => match &learned.points {
                Some(m) => upsample(&histogram(&bins, &m.points), BINS),
                None => return Ok(f64::NAN),
            },
            Eulerian::ModelDensity => match &learned.density {
                Some(d) => upsample(&d.values, d.n),
                None => return Ok(f64::NAN),
            },
            Eulerian::Exact => {
                let grid = Grid::view(GRID);
                exact_density(&grid, &field.at_batch(t, grid.n * grid.n))
            }
        };
        let scale = render::Scale::fit(&values);
        self.panel
            .put(&render::density_rgba(&values, scale), GRID)?;
        Ok(scale.max)
    }
}

/// A coarse n×n image (row-major) repeated to GRID×GRID pixels (nearest neighbour).
fn upsample(values: &[f64], n: usize) -> Vec<f64> {
    upsample_to(values, n, GRID)
}
