//! What the engine sent of the learned model for the views to show: its particles at some
//! time and its density on a grid. The Eulerian view bins the particles or shows the density;
//! the Lagrangian views draw the particles.

use interplay_core::P2;

/// The learned model's particles at time `t`.
pub(crate) struct ModelPoints {
    pub(crate) t: f64,
    pub(crate) points: Vec<P2>,
}

/// The learned model's density ρ̂(t, ·) on an n×n grid of the window (row-major, top row first).
pub(crate) struct ModelDensity {
    pub(crate) t: f64,
    pub(crate) n: usize,
    pub(crate) values: Vec<f64>,
}

/// The latest of each, or nothing before the engine has sent any (or after a reset).
#[derive(Default)]
pub(crate) struct Learned {
    pub(crate) points: Option<ModelPoints>,
    pub(crate) density: Option<ModelDensity>,
}

impl Learned {
    /// Keeps the particles at `t` from the engine's flat [x0, y0, …].
    pub(crate) fn set_points(&mut self, t: f64, xy: &[f32]) {
        let points = xy
            .chunks_exact(2)
            .map(|c| [f64::from(c[0]), f64::from(c[1])])
            .collect();
        self.points = Some(ModelPoints { t, points });
    }

    /// Keeps the density at `t` on an n×n grid; refuses values that do not fill the grid.
    pub(crate) fn set_density(&mut self, t: f64, n: usize, values: &[f32]) -> Result<(), String> {
        if n == 0 || values.len() != n * n {
            return Err("the model density does not fit its grid".to_owned());
        }
        let values = values.iter().map(|v| f64::from(*v)).collect();
        self.density = Some(ModelDensity { t, n, values });
        Ok(())
    }

    /// Forgets both.
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }

    /// The particles, or none.
    pub(crate) fn points(&self) -> &[P2] {
        self.points.as_ref().map_or(&[], |m| m.points.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_density_must_fill_its_grid() {
        let mut l = Learned::default();
        assert!(l.set_density(0.5, 2, &[1.0; 3]).is_err());
        assert!(l.density.is_none());
        l.set_density(0.5, 2, &[1.0; 4]).expect("fits");
        l.set_points(0.25, &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(l.points(), &[[1.0, 2.0], [3.0, 4.0]]);
        l.clear();
        assert!(l.points().is_empty() && l.density.is_none());
    }
}
