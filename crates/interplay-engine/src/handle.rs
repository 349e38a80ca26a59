//! Answers a request of the page on a [`Session`]: the one place that maps each [`Request`] to
//! what the session and its views do. No borrow of the session is held across an `await`.

use std::cell::RefCell;
use std::rc::Rc;

use interplay_nn::checkpoint::{Checkpoint, Header};
use interplay_nn::flow_map::MapCheckpoint;
use interplay_nn::spec::RunConfig;

use crate::protocol::{Request, Response, TrainReport};
use crate::session::{EngineError, Losses, Outcome, Session, now_ms};

/// The most steps `trainFor` queues between waits for the device.
const SYNC_EVERY: u32 = 8;
/// The most steps one `trainFor` takes, whatever its budget.
const MAX_STEPS_PER_REQUEST: u32 = 10_000;

/// Answers one request of the page.
pub async fn handle(session: Rc<RefCell<Session>>, request: Request) -> Outcome<Response> {
    let cell = &*session;
    match request {
        Request::Configure { config } => {
            let generation = cell.borrow_mut().start(RunConfig::live(&config))?;
            Ok(Response::Started { generation })
        }
        Request::ConfigureRun { config } => {
            let generation = cell.borrow_mut().start(config)?;
            Ok(Response::Started { generation })
        }
        Request::Train { steps } => {
            let t0 = now_ms();
            let stepped = cell.borrow_mut().steps_of(steps, None)?;
            let (total, generation) = (stepped.steps, stepped.generation);
            let losses = stepped.read().await?;
            Ok(Response::Trained(report(
                total,
                steps,
                now_ms() - t0,
                losses,
                generation,
            )))
        }
        Request::TrainFor { ms } => train_for(cell, ms).await.map(Response::Trained),
        Request::Particles {
            t,
            n,
            eps,
            seed,
            schedule,
            max_steps,
        } => crate::views::particles(cell, t, n, eps, seed, &schedule, max_steps)
            .await
            .map(Response::Particles),
        Request::Density {
            t,
            n,
            steps,
            schedule,
        } => crate::views::density(cell, t, n, steps, &schedule)
            .await
            .map(Response::Density),
        Request::Metrics { schedule } => crate::views::metrics(cell, &schedule)
            .await
            .map(Response::Metrics),
        Request::EpsSweep {
            grid,
            seed,
            schedule,
        } => crate::eps_sweep::eps_sweep(cell, grid, seed, &schedule)
            .await
            .map(Response::EpsSweep),
        Request::LineFlow { schedule } => crate::line_flow::line_flow(cell, &schedule)
            .await
            .map(Response::LineFlow),
        Request::Sample {
            n,
            steps,
            eps,
            seed,
            schedule,
        } => crate::views::sample(cell, n, steps, eps, seed, &schedule)
            .await
            .map(Response::Sample),
        Request::Checkpoint {} if cell.borrow().nets.is_some() => crate::nets::checkpoint(cell)
            .await
            .map(Response::Checkpoint),
        Request::Checkpoint {} if cell.borrow().map.is_some() => {
            let (header, net) = {
                let st = cell.borrow();
                let tr = &st.map.as_ref().ok_or(EngineError::NoRun)?.trainer;
                (tr.header(), tr.model())
            };
            let ck = MapCheckpoint::of(header, &net)
                .await
                .map_err(EngineError::refused)?;
            Ok(Response::Checkpoint(ck.to_bytes()))
        }
        Request::Checkpoint {} => {
            let (header, nets) = {
                let st = cell.borrow();
                let tr = st.trainer()?;
                (Header::of(tr), tr.model())
            };
            let ck = Checkpoint::of(header, &nets)
                .await
                .map_err(EngineError::refused)?;
            Ok(Response::Checkpoint(ck.to_bytes()))
        }
        Request::Load { bytes } => cell.borrow_mut().load(&bytes),
        Request::MapJumps { k, n, seed } => crate::flow_map::jumps(cell, k, n, seed)
            .await
            .map(Response::MapJumps),
        Request::MapErrors {} => crate::flow_map::errors(cell).await.map(Response::MapErrors),
        Request::NetsStart { target, at, seed } => crate::nets::start(cell, &target, at, seed)
            .await
            .map(|generation| Response::Started { generation }),
        Request::NetsTrain { ms } => crate::nets::train_for(cell, ms)
            .await
            .map(Response::Trained),
        Request::NetsWalkers { drift, eps, seed } => crate::nets::walkers(cell, drift, eps, seed)
            .await
            .map(Response::NetsWalkers),
        Request::Gradients { from, to } => crate::shards::gradients(cell, from, to)
            .await
            .map(Response::Gradients),
        Request::Draw { step, from, to } => crate::shards::draw(cell, step, from, to),
        Request::Apply { grads, losses } => {
            crate::shards::apply(cell, &grads, losses).map(Response::Trained)
        }
        Request::RunConfig {} => {
            let rc = cell.borrow().run_config()?;
            serde_json::to_string_pretty(&rc)
                .map(Response::RunConfig)
                .map_err(EngineError::refused)
        }
    }
}

/// Trains for about `budget_ms` milliseconds (at least one step), then reports like `train`.
/// It waits for the device (a read of the last loss) after the first step and then after as
/// many steps as fit in the rest of the budget (at most `SYNC_EVERY`), so that on WebGPU the
/// time measured is the time trained and no backlog of unread steps builds up. A run replaced
/// while it trains stops it with [`EngineError::Replaced`].
async fn train_for(cell: &RefCell<Session>, budget_ms: f64) -> Outcome<TrainReport> {
    let t0 = now_ms();
    let mut done = 0u32;
    let generation = cell.borrow().generation;
    loop {
        let elapsed = now_ms() - t0;
        let k = if done == 0 {
            1
        } else {
            let per_step = (elapsed / f64::from(done)).max(0.1);
            ((budget_ms - elapsed) / per_step)
                .floor()
                .clamp(1.0, f64::from(SYNC_EVERY)) as u32
        };
        let stepped = cell.borrow_mut().steps_of(k, Some(generation))?;
        done += k;
        let total = stepped.steps;
        let losses = stepped.read().await?;
        if now_ms() - t0 >= budget_ms || done >= MAX_STEPS_PER_REQUEST {
            return Ok(report(total, done, now_ms() - t0, losses, generation));
        }
    }
}

/// What training reports: `done` steps of the run's `steps` in `ms`, with the last losses.
fn report(steps: u64, done: u32, ms: f64, losses: Losses, generation: u32) -> TrainReport {
    TrainReport {
        steps,
        done,
        ms,
        losses: losses.named,
        loss_b: losses.b,
        loss_s: losses.s,
        generation,
    }
}
