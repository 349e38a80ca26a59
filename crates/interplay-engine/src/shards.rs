//! Training on several workers (data parallel): each worker's engine holds the same run, takes
//! the gradients of its shard of each step's batch ([`Request::Gradients`]), and applies the sum
//! of every shard's ([`Request::Apply`]). The page's worker sums them and hands every engine the
//! same sum, so the networks stay the same on every worker without being sent; the batch's rows
//! do not depend on how many workers draw them, so K workers train the model one would.
//!
//! [`Request::Gradients`]: crate::protocol::Request::Gradients
//! [`Request::Apply`]: crate::protocol::Request::Apply

use std::cell::RefCell;

use interplay_nn::Trainer;

use crate::protocol::{Response, ShardReport, TrainReport};
use crate::session::{EngineError, Losses, Outcome, Session, now_ms};

/// Rows `from..to` of a batch of `batch`, or why they are not a shard of it.
fn rows(batch: usize, from: u32, to: u32) -> Outcome<std::ops::Range<usize>> {
    let (a, b) = (from as usize, to as usize);
    if a >= b || b > batch {
        return Err(EngineError::refused(format!(
            "rows {from}..{to} are not a shard of a batch of {batch} rows"
        )));
    }
    Ok(a..b)
}

/// The gradients of the next step on rows `from..to` of its batch, read from the device.
pub(crate) async fn gradients(cell: &RefCell<Session>, from: u32, to: u32) -> Outcome<ShardReport> {
    let (g, steps, generation) = {
        let mut st = cell.borrow_mut();
        let generation = st.generation;
        let tr = st.trainer_mut()?;
        let rows = rows(tr.config.batch, from, to)?;
        (
            tr.shard_gradients(rows).map_err(EngineError::refused)?,
            tr.steps(),
            generation,
        )
    };
    let read = |e: interplay_nn::NnError| EngineError::refused(e);
    Ok(ShardReport {
        grads: interplay_nn::read_floats(g.grads).await.map_err(read)?,
        losses: interplay_nn::read_floats(g.losses).await.map_err(read)?,
        steps,
        generation,
    })
}

/// Rows `from..to` of step `step`'s batch drawn ahead ([`interplay_nn::Trainer::draw_ahead`]);
/// answers the run's generation.
pub(crate) fn draw(cell: &RefCell<Session>, step: u64, from: u32, to: u32) -> Outcome<Response> {
    let mut st = cell.borrow_mut();
    let generation = st.generation;
    let tr = st.trainer_mut()?;
    let rows = rows(tr.config.batch, from, to)?;
    tr.draw_ahead(step, rows).map_err(EngineError::refused)?;
    Ok(Response::Started { generation })
}

/// One step with the summed gradient `grads`; reports like `train`, with the summed `losses`.
pub(crate) fn apply(
    cell: &RefCell<Session>,
    grads: &[f32],
    losses: Vec<f32>,
) -> Outcome<TrainReport> {
    let t0 = now_ms();
    let mut st = cell.borrow_mut();
    let generation = st.generation;
    let tr = st.trainer_mut()?;
    tr.apply(grads).map_err(EngineError::refused)?;
    let losses = named(tr, losses);
    Ok(TrainReport {
        steps: tr.steps(),
        done: 1,
        ms: now_ms() - t0,
        losses: losses.named,
        loss_b: losses.b,
        loss_s: losses.s,
        generation,
    })
}

/// Losses by network name, and the velocity's and the score's among them.
fn named(tr: &Trainer, values: Vec<f32>) -> Losses {
    let names = tr.objective.nets().iter().map(|s| (*s).to_owned());
    Losses::of(
        names.zip(values).collect(),
        tr.objective.velocity_score_nets(),
    )
}
