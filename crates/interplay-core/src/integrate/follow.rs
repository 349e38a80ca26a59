//! Particles that follow a moving t on screen: the page's exact particles and the engine's
//! learned ones take the same steps towards the time shown (finer near both ends), arrive the
//! same way, and are shown denoised at the end of time. The moves themselves are the caller's
//! ([`super::view_move`] on host points or device tensors, whole or in chunks).

/// The largest time step of particles that follow a moving t on screen (see [`view_step`]).
pub const VIEW_MAX_DT: f64 = 0.01;
/// Particles on screen are integrated up to this time; at t = 1 they are shown denoised.
pub const VIEW_T_END: f64 = 1.0 - 2e-3;

/// The end of the next step from `t` towards `target` for particles that follow a moving t (the
/// page's exact and learned particles): at most [`VIEW_MAX_DT`], finer near t = 1 where the
/// fields sharpen (the step's end nearer 1 stays at least twice as far from 1 as the step is
/// long, and no step is below 5·10⁻⁴) and near the start `t_min`, where a rate may be infinite
/// (half the time since the start, plus 10⁻³). Lands exactly on `target`.
pub fn view_step(t: f64, target: f64, t_min: f64) -> f64 {
    // Forward, h ≤ (1 − (t + h))/2 ⇔ h ≤ (1 − t)/3; backward the end nearer 1 is t itself.
    let near_one = if target > t {
        (1.0 - t) / 3.0
    } else {
        0.5 * (1.0 - t)
    };
    let from_start = 0.5 * (t - t_min).max(0.0) + 1e-3;
    let h = VIEW_MAX_DT
        .min(near_one.max(5e-4))
        .min(from_start)
        .min((target - t).abs());
    if h == (target - t).abs() {
        target
    } else if target > t {
        t + h
    } else {
        t - h
    }
}

/// How one step of a cloud went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moved {
    /// Every particle reached the step's end.
    All,
    /// Some particles did before the caller's budget ran out: the same step goes on at the
    /// next call.
    Part,
    /// None did: the caller's budget ran out first. Nothing changed, and the next call
    /// starts the step afresh (towards the target it is then given).
    Nothing,
    /// The stability rule refused the step even at ε = 0: the particles stay where they are.
    Refused,
}

/// Where a cloud that follows t is in time: the time it has reached, the earliest time (the
/// schedule's start: 0 unless a rate is infinite there) and the step it is in the middle of.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Follow {
    /// The time reached.
    pub t: f64,
    /// The earliest time.
    pub t_min: f64,
    /// The end of a step some particles have not taken yet.
    pending: Option<f64>,
}

impl Follow {
    /// A cloud at `t` that may not go below `t_min`.
    pub fn new(t: f64, t_min: f64) -> Self {
        Self {
            t,
            t_min,
            pending: None,
        }
    }

    /// Where the cloud goes to show time `t`: t within [t_min, VIEW_T_END].
    pub fn target(&self, t: f64) -> f64 {
        t.clamp(self.t_min, VIEW_T_END)
    }

    /// Whether the cloud stands at `target`.
    pub fn at(&self, target: f64) -> bool {
        self.pending.is_none() && (self.t - target).abs() <= 1e-12
    }

    /// Whether particles shown at time `t` are drawn denoised (the Tweedie jump E[x1 | x_t]):
    /// at the end of time, once the cloud has arrived there, so they land on the target at t = 1.
    pub fn denoised(&self, t: f64) -> bool {
        t >= VIEW_T_END && self.t >= VIEW_T_END - 1e-9
    }

    /// Moves towards `target` (clamped by [`Follow::target`]) by at most `max_steps` whole
    /// steps of [`view_step`]: `step(t, next)` moves the particles from t to next and says how
    /// it went. A step left in part ([`Moved::Part`]) is finished first at the next call; a
    /// refused one stops the cloud where it is. Returns the whole steps taken and whether the
    /// cloud stands still now (at the target, or refused).
    pub fn advance(
        &mut self,
        target: f64,
        max_steps: u32,
        mut step: impl FnMut(f64, f64) -> Moved,
    ) -> (u32, bool) {
        let target = self.target(target);
        let mut taken = 0;
        while taken < max_steps {
            let next = match self.pending {
                Some(next) => next,
                None if self.at(target) => return (taken, true),
                None => view_step(self.t, target, self.t_min),
            };
            match step(self.t, next) {
                Moved::All => {
                    self.t = next;
                    self.pending = None;
                    taken += 1;
                }
                Moved::Part => {
                    self.pending = Some(next);
                    return (taken, false);
                }
                Moved::Nothing => return (taken, false),
                Moved::Refused => {
                    self.pending = None;
                    return (taken, true);
                }
            }
        }
        (taken, self.at(target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cloud_arrives_in_view_steps_and_resumes_a_step_left_in_part() {
        let mut f = Follow::new(0.0, 0.0);
        let mut ends = Vec::new();
        let (taken, still) = f.advance(0.05, 2, |_, next| {
            ends.push(next);
            Moved::All
        });
        assert_eq!((taken, still), (2, false));
        assert!(ends.windows(2).all(|w| w[0] < w[1]) && f.t == ends[1]);
        // A step cut short is taken again to the same end, then counted once.
        let before = f.t;
        let (taken, still) = f.advance(0.05, 10, |_, _| Moved::Part);
        assert_eq!((taken, still, f.t), (0, false, before));
        let mut resumed = None;
        let (_, still) = f.advance(0.05, u32::MAX, |t, next| {
            resumed.get_or_insert((t, next));
            Moved::All
        });
        assert!(still && f.at(0.05));
        assert_eq!(resumed.map(|r| r.0), Some(before));
        // Backward, and past the end of time: clamped to VIEW_T_END, then shown denoised.
        let (_, still) = f.advance(2.0, u32::MAX, |_, _| Moved::All);
        assert!(still && f.t == VIEW_T_END && f.denoised(1.0) && !f.denoised(0.99));
        // A refused step stops the cloud where it is.
        let (taken, still) = f.advance(0.5, u32::MAX, |_, _| Moved::Refused);
        assert_eq!((taken, still, f.t), (0, true, VIEW_T_END));
    }
}
