//! The engine's requests for sampling without data: an energy known up to its normalisation
//! (the exact density of a target at a time `at`, so the truth is known), walkers annealed
//! towards it with Jarzynski weights, and the transport drift NETS learns so that the weights
//! stay even (`interplay_nn::nets`). The page's "no data" figure trains it in an engine of its
//! own and asks for the walkers with the drift or without it (b̂ = 0, annealing alone), at the
//! reader's ε. The run itself is `crate::nets_run`.

use std::cell::RefCell;

use interplay_core::Rng;
use interplay_core::annealing::{Energy, density_bins, exact_log_z};
use interplay_core::metrics::weighted_histogram_tv;
use interplay_core::spec::TargetSpec;
use interplay_nn::nets::{NetsTrainer, walk};
use interplay_nn::nets_checkpoint::{NetsCheckpoint, NetsHeader};

use crate::nets_run::{NetsRun, STEPS, config};
use crate::protocol::{NetsWalkers, TrainReport};
use crate::session::{EngineError, Outcome, Session, now_ms};

/// Annealing steps between two frames of the walkers' film.
const FRAME_EVERY: usize = 5;
/// The bins per side of the weighted histogram's TV against the exact density.
const TV_BINS: usize = 16;

/// The energy −log ρ(`at`, x) of `target`, or why not.
fn energy_of(target: &TargetSpec, at: f64) -> Outcome<Energy> {
    let target = target.target().map_err(EngineError::refused)?;
    Energy::of(&target, at).map_err(EngineError::refused)
}

/// Starts a fresh run for the energy of `target` at `at`; returns its generation.
pub(crate) async fn start(
    cell: &RefCell<Session>,
    target: &TargetSpec,
    at: f64,
    seed: u32,
) -> Outcome<u32> {
    let energy = energy_of(target, at)?;
    let device = cell.borrow().backend.device.clone();
    let seed = u64::from(seed);
    let trainer = NetsTrainer::new(energy.clone(), config(seed, 1.0), &device)
        .await
        .map_err(EngineError::refused)?;
    let run = NetsRun {
        trainer: Some(trainer),
        energy,
        target: target.clone(),
        at,
        seed,
    };
    Ok(cell.borrow_mut().replace_nets(run))
}

/// The transport as checkpoint bytes (`interplay sample-energy --model` reads them).
pub(crate) async fn checkpoint(cell: &RefCell<Session>) -> Outcome<Vec<u8>> {
    let (header, transport) = {
        let st = cell.borrow();
        let run = st.nets.as_ref().ok_or(EngineError::NoRun)?;
        let trainer = run.idle_trainer()?;
        (
            NetsHeader::of(trainer, run.target.clone(), run.at),
            trainer.transport(),
        )
    };
    let ck = NetsCheckpoint::of(header, &transport)
        .await
        .map_err(EngineError::refused)?;
    Ok(ck.to_bytes())
}

/// Trains the transport for about `ms` (at least one step).
pub(crate) async fn train_for(cell: &RefCell<Session>, ms: f64) -> Outcome<TrainReport> {
    let generation = cell.borrow().generation;
    let mut trainer = {
        let mut st = cell.borrow_mut();
        let run = st.nets.as_mut().ok_or(EngineError::NoRun)?;
        run.trainer
            .take()
            .ok_or_else(|| EngineError::refused("the transport is already training"))?
    };
    let t0 = now_ms();
    let mut done = 0u32;
    let mut result = Ok(0.0f32);
    while done == 0 || now_ms() - t0 < ms {
        let step = async {
            let loss = trainer.train_step().await?;
            interplay_nn::read_scalar(loss).await
        };
        match step.await {
            Ok(l) => result = Ok(l),
            Err(e) => {
                result = Err(EngineError::refused(e));
                break;
            }
        }
        done += 1;
    }
    let steps = trainer.steps();
    let mut st = cell.borrow_mut();
    let current = st.generation == generation;
    match st.nets.as_mut() {
        Some(run) if current => run.trainer = Some(trainer),
        _ => return Err(EngineError::Replaced),
    }
    let loss = result?;
    Ok(TrainReport {
        steps,
        done,
        ms: now_ms() - t0,
        losses: vec![("transport".into(), loss)],
        loss_b: Some(loss),
        loss_s: None,
        generation,
    })
}

/// The run's walkers from N(0, I) to τ = 1 at noise `eps`, with the learned drift or without
/// one, and what their weights say on the way.
pub(crate) async fn walkers(
    cell: &RefCell<Session>,
    drift: bool,
    eps: f64,
    seed: u32,
) -> Outcome<NetsWalkers> {
    if !(eps > 0.0 && eps <= 10.0) {
        return Err(EngineError::refused(format!(
            "ε = {eps}: the walkers need Langevin noise, 0 < ε ≤ 10"
        )));
    }
    let (energy, transport, steps, run_seed, generation, device) = {
        let st = cell.borrow();
        let run = st.nets.as_ref().ok_or(EngineError::NoRun)?;
        let trainer = run.idle_trainer()?;
        let transport = drift.then(|| trainer.transport());
        (
            run.energy.clone(),
            transport,
            trainer.steps(),
            run.seed,
            st.generation,
            st.backend.device.clone(),
        )
    };
    let cfg = config(run_seed, eps);
    let mut rng = Rng::new(u64::from(seed) ^ interplay_core::sampling::streams::NETS_SEED);
    // The film: every FRAME_EVERY steps, each walker's position and normalised weight.
    let (mut frames, mut frame_tau) = (Vec::new(), Vec::new());
    let (w, record) = walk(
        &energy,
        transport.as_ref(),
        &device,
        &cfg,
        &mut rng,
        |k, w| {
            if k % FRAME_EVERY == 0 || k == STEPS {
                frame_tau.push(w.tau);
                for (x, v) in w.x.iter().zip(w.weights()) {
                    frames.extend([x[0] as f32, x[1] as f32, v as f32]);
                }
            }
        },
    )
    .await
    .map_err(EngineError::refused)?;
    let weights = w.weights();
    let tv = weighted_histogram_tv(&w.x, &weights, &density_bins(energy.field(), TV_BINS));
    Ok(NetsWalkers {
        drift,
        eps,
        points: w
            .x
            .iter()
            .flat_map(|p| [p[0] as f32, p[1] as f32])
            .collect(),
        weights: weights.iter().map(|&v| v as f32).collect(),
        tau: record.iter().map(|s| s.tau).collect(),
        ess: record.iter().map(|s| s.ess).collect(),
        log_z: record.iter().map(|s| s.log_z).collect(),
        exact_log_z: exact_log_z(),
        tv,
        frame_tau,
        frames,
        generation,
        model_steps: steps,
    })
}
