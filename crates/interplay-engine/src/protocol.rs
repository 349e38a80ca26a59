//! The one contract between the page and the engine: a [`Request`] in, a [`Response`] out.
//!
//! The page's worker hands the engine `{ op, args }` exactly as the page sent it;
//! [`Request::parse`] reads it (an unknown op or a missing, mistyped or misspelt argument is
//! refused by name, before anything runs), and the engine's answer leaves as a `Response`.
//! Nothing between the two is an op name matched by hand.

use interplay_core::spec::TargetSpec;
use interplay_nn::quality::EpsBound;
use interplay_nn::spec::{LiveRun, RunConfig, ScheduleSpec};
use serde::{Deserialize, Serialize};

/// What the page asks of its engine.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Request {
    /// Start a fresh training run from the page's settings (the rest: `TrainConfig::live`).
    Configure {
        /// The page's settings.
        config: LiveRun,
    },
    /// Start a fresh training run from a full run configuration (`interplay train --config`).
    ConfigureRun {
        /// The run.
        config: RunConfig,
    },
    /// `steps` optimisation steps, then the last losses.
    Train {
        /// How many.
        steps: u32,
    },
    /// Train for about `ms` milliseconds (at least one step).
    TrainFor {
        /// The time budget.
        ms: f64,
    },
    /// The learned particles moved towards `t`.
    #[serde(rename_all = "camelCase")]
    Particles {
        /// Where the particles are going.
        t: f64,
        /// How many the reader set (the engine shows at most what its backend moves smoothly).
        n: u32,
        /// The SDE's noise level (0: the ODE).
        eps: f64,
        /// Their seed.
        seed: u32,
        /// The schedule the reader has set (a schedule-free model moves under it).
        schedule: ScheduleSpec,
        /// The most steps taken in this request (the engine takes at most its backend's).
        max_steps: u32,
    },
    /// The learned density on an `n × n` grid at `t`.
    Density {
        /// The time.
        t: f64,
        /// Grid cells per side.
        n: u32,
        /// RK4 steps back to t = 0.
        steps: u32,
        /// The schedule.
        schedule: ScheduleSpec,
    },
    /// The quality of the current model (its samples and steps sized for the backend).
    Metrics {
        /// The schedule.
        schedule: ScheduleSpec,
    },
    /// The ε explorer: samples at each noise level of `grid`, scored, and the SDE's KL bound
    /// (the samples per level and the steps sized for the backend).
    EpsSweep {
        /// The noise levels.
        grid: Vec<f64>,
        /// Their seed.
        seed: u32,
        /// The schedule.
        schedule: ScheduleSpec,
    },
    /// The learned flow lines of a run on the line.
    LineFlow {
        /// The schedule.
        schedule: ScheduleSpec,
    },
    /// Samples at t = 1.
    Sample {
        /// How many.
        n: u32,
        /// Integration steps.
        steps: u32,
        /// The SDE's noise level (0: the ODE with RK4).
        eps: f64,
        /// Their seed.
        seed: u32,
        /// The schedule.
        schedule: ScheduleSpec,
    },
    /// The current networks as checkpoint bytes.
    Checkpoint {},
    /// Continue training from checkpoint bytes.
    Load {
        /// The checkpoint.
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// The current run as `interplay train --config` reads it.
    RunConfig {},
    /// A flow map's `k` jumps (1, 2, 4 or 8) from `n` starts of ρ(0), beside the exact ODE.
    MapJumps {
        /// How many jumps.
        k: u32,
        /// How many starting points (the engine shows at most what its backend moves smoothly).
        n: u32,
        /// Their seed.
        seed: u32,
    },
    /// A flow map's error against the exact map on the (s, t) grid (one more row each time).
    MapErrors {},
    /// Sampling without data: a fresh run of the transport sampler for the energy
    /// −log ρ(`at`, x) of `target` (its exact density at time `at` of the linear path).
    NetsStart {
        /// The target whose density is the energy.
        target: TargetSpec,
        /// The time of the density, in (0, 1) (below 1 blurs the target).
        at: f64,
        /// The seed of the transport's weights and of its training walkers.
        seed: u32,
    },
    /// Sampling without data: train the transport for about `ms` milliseconds (at least one
    /// step).
    NetsTrain {
        /// The time budget.
        ms: f64,
    },
    /// Sampling without data: walkers from N(0, I) to the energy at noise `eps`, with the
    /// learned drift or without one (annealing alone), and their weights.
    NetsWalkers {
        /// With the learned drift (else b̂ = 0).
        drift: bool,
        /// The Langevin noise ε.
        eps: f64,
        /// The walkers' seed.
        seed: u32,
    },
    /// Training on several workers: the gradients of the next step's loss on rows `from..to` of
    /// its batch (a shard's share of the whole batch's loss), without stepping.
    Gradients {
        /// The shard's first row.
        from: u32,
        /// The row after its last.
        to: u32,
    },
    /// Training on several workers: rows `from..to` of the batch of step `step` (counted from
    /// 0, as `steps` counts), drawn now for that step's shard to find ready: what a worker does
    /// while it waits for the other shards' gradients.
    Draw {
        /// The step whose batch the rows are of.
        step: u64,
        /// The first row.
        from: u32,
        /// The row after the last.
        to: u32,
    },
    /// Training on several workers: one step with the sum of every shard's gradients (the same
    /// sum on every worker, so their networks stay the same), and the summed losses to report.
    Apply {
        /// The summed gradient (a Float32Array from the page).
        grads: Vec<f32>,
        /// The summed losses, one per network.
        losses: Vec<f32>,
    },
}

impl Request {
    /// The request `op` with its arguments `args` (JSON text), or why it is not one.
    pub fn parse(op: &str, args: &str) -> Result<Self, String> {
        // One object keyed by the op: serde's plainest enum form (no buffering of the fields
        // until the tag is found, so the least code in the download).
        let op = serde_json::to_string(op).map_err(|e| e.to_string())?;
        serde_json::from_str(&format!("{{{op}:{args}}}")).map_err(|e| e.to_string())
    }

    /// The request's op, as the page names it.
    pub fn op(&self) -> &'static str {
        match self {
            Self::Configure { .. } => "configure",
            Self::ConfigureRun { .. } => "configureRun",
            Self::Train { .. } => "train",
            Self::TrainFor { .. } => "trainFor",
            Self::Particles { .. } => "particles",
            Self::Density { .. } => "density",
            Self::Metrics { .. } => "metrics",
            Self::EpsSweep { .. } => "epsSweep",
            Self::LineFlow { .. } => "lineFlow",
            Self::Sample { .. } => "sample",
            Self::Checkpoint {} => "checkpoint",
            Self::Load { .. } => "load",
            Self::RunConfig {} => "runConfig",
            Self::MapJumps { .. } => "mapJumps",
            Self::MapErrors {} => "mapErrors",
            Self::NetsStart { .. } => "netsStart",
            Self::NetsTrain { .. } => "netsTrain",
            Self::NetsWalkers { .. } => "netsWalkers",
            Self::Gradients { .. } => "gradients",
            Self::Draw { .. } => "draw",
            Self::Apply { .. } => "apply",
        }
    }
}

/// What the engine answers, one variant per kind of request.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Response {
    /// A fresh run (`configure`, `configureRun`), or rows drawn ahead for one (`draw`): the
    /// run's generation.
    Started {
        /// The engine's generation of the new run.
        generation: u32,
    },
    /// A checkpoint loaded: the new generation, its steps and its run.
    Loaded {
        /// The engine's generation of the loaded run.
        generation: u32,
        /// The steps the checkpoint had trained.
        steps: u64,
        /// The run, as `runConfig` gives it.
        config: RunConfig,
        /// Its settings as the page sends them ([`RunConfig::settings`]): what the viewer
        /// adopts to show the run.
        settings: Box<LiveRun>,
    },
    /// Training done (`train`, `trainFor`).
    Trained(TrainReport),
    /// The learned particles.
    Particles(Particles),
    /// Densities on the grid, row-major, top row first.
    Density(Vec<f32>),
    /// The model's quality.
    Metrics(Quality),
    /// The ε explorer's scores.
    EpsSweep(Sweep),
    /// The flow lines on the line.
    LineFlow(LineFlow),
    /// Samples [x0, y0, x1, y1, …].
    Sample(Vec<f32>),
    /// Checkpoint bytes.
    Checkpoint(Vec<u8>),
    /// The run as JSON (`interplay train --config`).
    RunConfig(String),
    /// A flow map's jumps beside the exact ODE.
    MapJumps(MapJumps),
    /// A flow map's error grid.
    MapErrors(MapErrors),
    /// A shard's gradients.
    Gradients(ShardReport),
    /// Walkers of the transport sampler and their weights.
    NetsWalkers(NetsWalkers),
}

/// Walkers annealed to an energy, with their weights and what the weights say on the way.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetsWalkers {
    /// Whether the learned drift moved them (else annealing alone, b̂ = 0).
    pub drift: bool,
    /// Their Langevin noise ε.
    pub eps: f64,
    /// Where they end, [x0, y0, x1, …] (leaves as a typed array).
    #[serde(skip_serializing)]
    pub points: Vec<f32>,
    /// Their self-normalised weights at τ = 1, summing to 1 (leaves as a typed array).
    #[serde(skip_serializing)]
    pub weights: Vec<f32>,
    /// The annealing times of the record, 0 to 1.
    pub tau: Vec<f64>,
    /// The effective sample size over n, (Σw)²/(nΣw²), at each τ.
    pub ess: Vec<f64>,
    /// The estimate of log(Z_τ/Z₀), the log of the mean weight, at each τ (unbiased in Z, not
    /// in log Z).
    pub log_z: Vec<f64>,
    /// The exact log(Z₁/Z₀) = −log 2π.
    pub exact_log_z: f64,
    /// The weighted walkers' histogram TV to the exact density (16 × 16 bins of [−4, 4]² and
    /// one outside).
    pub tv: f64,
    /// The times of the film's frames, 0 to 1.
    pub frame_tau: Vec<f64>,
    /// The film: per frame of `frame_tau`, each walker's x, y and normalised weight (leaves
    /// as a typed array).
    #[serde(skip_serializing)]
    pub frames: Vec<f32>,
    /// The run's generation.
    pub generation: u32,
    /// The training step of the transport that moved them.
    pub model_steps: u64,
}

/// A shard's gradients and losses for the next step ([`Request::Gradients`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShardReport {
    /// Every network's gradient, flattened (sent to the page as a Float32Array).
    #[serde(skip)]
    pub grads: Vec<f32>,
    /// The shard's share of each network's loss.
    pub losses: Vec<f32>,
    /// The run's steps so far (the step these gradients are for is the next).
    pub steps: u64,
    /// The run's generation.
    pub generation: u32,
}

/// A flow map's K jumps and the exact ODE from the same starting points, at the same times.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapJumps {
    /// The number of jumps, K.
    pub k: u32,
    /// The number of starting points, n.
    pub n: u32,
    /// The K + 1 times the jumps go through, from the map's start to its end.
    pub times: Vec<f64>,
    /// The fraction of the points inside the target's support at the end: the map's, then the
    /// exact ODE's.
    pub in_squares: [f64; 2],
    /// Where the map takes the points: K + 1 blocks (one per time) of n points [x0, y0, x1, …]
    /// (leaves as a typed array).
    #[serde(skip_serializing)]
    pub learned: Vec<f32>,
    /// Where the exact ODE takes them, laid out the same way (leaves as a typed array).
    #[serde(skip_serializing)]
    pub exact: Vec<f32>,
    /// The run's generation.
    pub generation: u32,
    /// The training step of the map drawn.
    pub model_steps: u64,
}

/// A flow map against the exact one: cell by cell of the (s, t) grid solved so far.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapErrors {
    /// The grid's times (the cells are the pairs s < t of them).
    pub times: Vec<f64>,
    /// Each cell's start time.
    pub s: Vec<f64>,
    /// Each cell's end time.
    pub t: Vec<f64>,
    /// Each cell's E|X̂_{s,t}(x_s) − X_{s,t}(x_s)| over x_s ~ ρ(s).
    pub error: Vec<f64>,
    /// Each cell's E|X_{s,t}(x_s) − x_s|: how far the exact map moves the points.
    pub moved: Vec<f64>,
    /// The run's generation.
    pub generation: u32,
    /// The training step of the map measured.
    pub model_steps: u64,
}

/// What training reports: the steps of the run, those done now, the time they took, the last
/// losses by network, and the generation they belong to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrainReport {
    /// Steps trained in the run so far.
    pub steps: u64,
    /// Steps done by this request.
    pub done: u32,
    /// Milliseconds this request took.
    pub ms: f64,
    /// The last step's losses, by network name.
    pub losses: Vec<(String, f32)>,
    /// The velocity's loss among them (b, or v), if the objective has one.
    pub loss_b: Option<f32>,
    /// The score's loss among them (s, or the denoiser's η), if the objective has one.
    pub loss_s: Option<f32>,
    /// The run's generation.
    pub generation: u32,
}

/// The learned particles: where they are, how they got there, and which model moved them.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Particles {
    /// The time they reached.
    pub t: f64,
    /// The steps taken by this request.
    pub steps: u32,
    /// [x0, y0, x1, y1, …], as many points as asked for (leaves as a typed array).
    #[serde(skip_serializing)]
    pub points: Vec<f32>,
    /// The run's generation.
    pub generation: u32,
    /// The training step of the model that moved them.
    pub model_steps: u64,
}

/// The quality of a model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Quality {
    /// The fraction of samples in the target's support.
    pub in_support: f64,
    /// Sliced Wasserstein-2 to the target.
    pub sliced_w2: f64,
    /// Histogram total variation to the target.
    pub tv: f64,
    /// Energy distance to the target.
    pub energy: f64,
    /// Negative log-likelihood of target samples.
    pub nll: f64,
    /// ‖b̂ − b*‖/‖b*‖ in L²(ρ(t)) at `interplay_nn::quality::ERROR_TIMES`.
    pub b_error: Vec<f64>,
    /// Histogram TV of the same base samples after 1, 2, 4 and 8 Euler steps.
    pub few_step_tv: Vec<f64>,
    /// E∫|b̂|² dt − E|X1 − X0|² along the ODE paths (0 for straight ones).
    pub straightness: f64,
    /// E|X1 − X0|² of the learned flow's map.
    pub transport_cost: f64,
    /// Samples scored.
    pub n: usize,
}

/// What the ε explorer reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sweep {
    /// The noise levels.
    pub eps: Vec<f64>,
    /// Histogram TV at each.
    pub tv: Vec<f64>,
    /// The fraction in the support at each.
    pub in_support: Vec<f64>,
    /// The TV of as many exact target samples: the histogram's noise floor.
    pub tv_exact: f64,
    /// The grid's ε of the lowest TV.
    pub best_tv: f64,
    /// The bound's A, B, C and the end of its time integral.
    pub bound: EpsBound,
    /// √(A/C), the bound's minimiser (null when the score is exact).
    pub best_bound: Option<f64>,
    /// Samples per level.
    pub n: usize,
    /// Integration steps.
    pub steps: usize,
}

/// The learned flow lines of a run on the line.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineFlow {
    /// The times of every curve's positions (leaves as a typed array, like `lines`).
    #[serde(skip_serializing)]
    pub times: Vec<f32>,
    /// `count` curves of `times.len()` positions each (a curve the stability rule stopped ends
    /// in NaN).
    #[serde(skip_serializing)]
    pub lines: Vec<f32>,
    /// How many curves.
    pub count: u32,
    /// The relative L²(ρ(t)) error of the learned b at `error_times`.
    pub b_error: Vec<f64>,
    /// The times of `b_error` (`interplay_nn::quality::ERROR_TIMES`).
    pub error_times: Vec<f64>,
    /// The run's generation.
    pub generation: u32,
    /// The training step of the model drawn.
    pub model_steps: u64,
}
