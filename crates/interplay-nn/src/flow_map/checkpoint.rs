//! The checkpoint of a flow map: the layout of [`crate::Checkpoint`] with its own prefix,
//! `"IPLYFMAP" | u32 version | u32 header length | header | u32 count | f32 × count | u32
//! FNV-1a`, so that a map is never read where a velocity model is expected (and the other way
//! round): each loader names what it was given.

use burn::tensor::Device;
use interplay_core::targets::ExactTarget;
use interplay_core::{ObjectiveKind, Target};
use serde::{Deserialize, Serialize};

use super::field::MapField;
use super::gauss::GaussMap;
use super::net::{MapNet, shapes};
use super::train::{Distill, MapTrainer};
use crate::NnError;
use crate::checkpoint::{frame, read_params_of, split, unframe};
use crate::spec::{ScheduleSpec, TargetSpec};
use crate::trainer::TrainConfig;

/// The first 8 bytes of a flow-map checkpoint.
pub const FLOW_MAP_MAGIC: &[u8; 8] = b"IPLYFMAP";
/// The format this build writes and reads.
pub const FLOW_MAP_FORMAT: u32 = 1;

/// What a flow-map checkpoint holds besides the numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapHeader {
    /// Always [`ObjectiveKind::FlowMap`]: the checkpoint's kind.
    pub objective: ObjectiveKind,
    /// How the map away from the diagonal was learned.
    pub distill: Distill,
    /// The schedule whose ODE the map solves.
    pub schedule: ScheduleSpec,
    /// The target.
    pub target: TargetSpec,
    /// The training settings (the architecture is `train.net`).
    pub train: TrainConfig,
    /// Optimisation steps taken.
    pub steps: u64,
}

/// A decoded flow-map checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct MapCheckpoint {
    /// The header.
    pub header: MapHeader,
    /// Per tensor (weight, bias, weight, …) the values.
    pub params: Vec<Vec<f32>>,
}

fn err(msg: impl Into<String>) -> NnError {
    NnError::Checkpoint(msg.into())
}

impl MapTrainer {
    /// The header of the run as it stands: its settings and the steps taken so far.
    pub fn header(&self) -> MapHeader {
        MapHeader {
            objective: ObjectiveKind::FlowMap,
            distill: self.distill,
            schedule: (&self.schedule).into(),
            target: (&self.target).into(),
            train: self.config.clone(),
            steps: self.steps(),
        }
    }

    /// A checkpoint of the run so far (its moving average where it keeps one; read
    /// asynchronously).
    pub async fn checkpoint(&self) -> Result<MapCheckpoint, NnError> {
        MapCheckpoint::of(self.header(), &self.model()).await
    }
}

impl MapCheckpoint {
    /// Collects a checkpoint of `net` under `header` (read asynchronously), so that no borrow of
    /// the trainer is held while the device is read.
    pub async fn of(header: MapHeader, net: &MapNet) -> Result<Self, NnError> {
        Ok(Self {
            header,
            params: read_params_of(&net.layers).await?,
        })
    }

    /// The bytes of this checkpoint.
    pub fn to_bytes(&self) -> Vec<u8> {
        frame(
            FLOW_MAP_MAGIC,
            FLOW_MAP_FORMAT,
            &self.header,
            self.params.iter().flatten(),
        )
    }

    /// Decodes and checks bytes; the error says what is wrong. Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, NnError> {
        let (header, values) =
            unframe(
                bytes,
                FLOW_MAP_MAGIC,
                FLOW_MAP_FORMAT,
                "this is not a flow-map checkpoint (it does not start with \"IPLYFMAP\")",
                |header: &MapHeader| {
                    if header.objective != ObjectiveKind::FlowMap {
                        return Err(err(format!(
                            "the checkpoint says it holds a {} model, not a flow map",
                            header.objective
                        )));
                    }
                    header.train.net.validate().map_err(|e| {
                        err(format!("the checkpoint's architecture is invalid: {e}"))
                    })?;
                    let want = shapes(&header.train.net)
                        .iter()
                        .map(|(i, o)| i * o + o)
                        .sum();
                    Ok((want, "its network has".to_owned()))
                },
            )?;
        let params = split(&mut values.into_iter(), &shapes(&header.train.net));
        Ok(Self { header, params })
    }

    /// The target.
    pub fn target(&self) -> Result<Target, NnError> {
        self.header.target.target().map_err(err)
    }

    /// The learned map on `device`.
    pub fn field(&self, device: &Device) -> Result<MapField, NnError> {
        let schedule = self.header.schedule.schedule().map_err(err)?;
        let gauss = GaussMap::new(schedule, &ExactTarget::new(&self.target()?));
        let net = MapNet::from_params(&self.header.train.net, &self.params, device).map_err(err)?;
        Ok(MapField::new(net, gauss, schedule, device.clone()))
    }

    /// A trainer that continues this run (the optimiser's moments start afresh).
    pub fn resume(&self, device: &Device) -> Result<MapTrainer, NnError> {
        MapTrainer::resume(
            self.header.train.clone(),
            self.header.distill,
            self.header.schedule.schedule().map_err(err)?,
            self.target()?,
            &self.params,
            self.header.steps,
            device,
        )
    }
}
