//! Checkpoints as bytes: a fixed prefix, a JSON header that says what the networks are, the
//! parameters as little-endian f32, and a checksum.
//!
//! ```text
//! "IPLYCKPT" | u32 format version | u32 header length | header (JSON) |
//! u32 parameter count | f32 × count | u32 FNV-1a checksum of everything before it
//! ```
//! Loading checks each part in turn and says which is wrong: not a checkpoint, another format
//! version, a truncated file, a malformed header, parameters that do not fit the architecture,
//! or a checksum mismatch. It never panics on any input.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::NnError;
use crate::field::LearnedField;
use crate::net::{FieldNet, NetConfig};
use crate::objective::Objective;
use crate::spec::{ScheduleSpec, TargetSpec};
use crate::trainer::TrainConfig;

/// The first 8 bytes of every checkpoint.
pub const MAGIC: &[u8; 8] = b"IPLYCKPT";
/// The format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// What a checkpoint holds besides the numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The objective (and its constants).
    pub objective: Objective,
    /// The architecture shared by every network.
    pub net: NetConfig,
    /// The schedule trained with.
    pub schedule: ScheduleSpec,
    /// The target trained on.
    pub target: TargetSpec,
    /// The training settings.
    pub train: TrainConfig,
    /// Optimisation steps taken.
    pub steps: u64,
    /// Number of networks (as the objective says).
    pub nets: usize,
}

/// A decoded checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The header.
    pub header: Header,
    /// Per network, per tensor (weight, bias, weight, …) the values.
    pub params: Vec<Vec<Vec<f32>>>,
}

pub(crate) fn fnv1a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

fn err(msg: impl Into<String>) -> NnError {
    NnError::Checkpoint(msg.into())
}

/// Reads the parameters of a network asynchronously (works on WebGPU).
pub async fn read_params(net: &FieldNet) -> Result<Vec<Vec<f32>>, NnError> {
    read_params_of(&net.layers).await
}

/// Reads the weights and biases of `layers` in order, asynchronously.
pub(crate) async fn read_params_of(layers: &[burn::nn::Linear]) -> Result<Vec<Vec<f32>>, NnError> {
    let mut out = Vec::with_capacity(2 * layers.len());
    for layer in layers {
        let w = layer
            .weight
            .val()
            .into_data_async()
            .await
            .map_err(|e| NnError::Read(format!("{e:?}")))?;
        out.push(
            w.try_to_vec::<f32>()
                .map_err(|e| NnError::Read(format!("{e:?}")))?,
        );
        let b = match &layer.bias {
            Some(b) => {
                let d = b
                    .val()
                    .into_data_async()
                    .await
                    .map_err(|e| NnError::Read(format!("{e:?}")))?;
                d.try_to_vec::<f32>()
                    .map_err(|e| NnError::Read(format!("{e:?}")))?
            }
            None => vec![0.0; layer.weight.val().dims()[1]],
        };
        out.push(b);
    }
    Ok(out)
}

impl Checkpoint {
    /// Collects a checkpoint of `nets` (read asynchronously).
    pub async fn of(header: Header, nets: &[FieldNet]) -> Result<Self, NnError> {
        let mut params = Vec::with_capacity(nets.len());
        for n in nets {
            params.push(read_params(n).await?);
        }
        Ok(Self { header, params })
    }

    /// The bytes of this checkpoint.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.header).unwrap_or_default();
        let count: usize = self.params.iter().flatten().map(Vec::len).sum();
        let mut out = Vec::with_capacity(24 + header.len() + 4 * count);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&(count as u32).to_le_bytes());
        for v in self.params.iter().flatten().flatten() {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let sum = fnv1a(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Decodes and checks bytes; the error says what is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, NnError> {
        let u32_at = |at: usize| -> Option<u32> {
            bytes
                .get(at..at + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(err(
                "this is not an Interplay checkpoint (it does not start with \"IPLYCKPT\")",
            ));
        }
        let version = u32_at(8)
            .ok_or_else(|| err("the checkpoint is truncated: it ends inside its prefix"))?;
        if version != FORMAT_VERSION {
            return Err(err(format!(
                "checkpoint format version {version} is not supported; this build reads version {FORMAT_VERSION}"
            )));
        }
        let hlen = u32_at(12)
            .ok_or_else(|| err("the checkpoint is truncated: it ends inside its prefix"))?
            as usize;
        let hbytes = bytes.get(16..16usize.saturating_add(hlen)).ok_or_else(|| {
            err(format!(
                "the checkpoint is truncated: its header needs {hlen} bytes, {} remain",
                bytes.len() - 16
            ))
        })?;
        let header: Header = serde_json::from_slice(hbytes)
            .map_err(|e| err(format!("the checkpoint header is malformed: {e}")))?;
        header
            .net
            .validate()
            .map_err(|e| err(format!("the checkpoint's architecture is invalid: {e}")))?;
        if header.nets != header.objective.nets().len() {
            return Err(err(format!(
                "the checkpoint holds {} networks but a {} model has {}",
                header.nets,
                header.objective.name(),
                header.objective.nets().len()
            )));
        }
        let at = 16 + hlen;
        let count = u32_at(at)
            .ok_or_else(|| err("the checkpoint is truncated: it ends after its header"))?
            as usize;
        let per_net = header.net.num_params();
        if count != per_net * header.nets {
            return Err(err(format!(
                "the checkpoint has {count} parameters, but {} {}-wide, {}-deep networks have {}",
                header.nets,
                header.net.width,
                header.net.depth,
                per_net * header.nets
            )));
        }
        let start = at + 4;
        let need = 4 * count + 4;
        let have = bytes.len().saturating_sub(start);
        if have < need {
            return Err(err(format!(
                "the checkpoint is truncated: its {count} parameters need {need} bytes, {have} remain"
            )));
        }
        if have > need {
            return Err(err(format!(
                "the checkpoint has {} unexpected bytes at the end",
                have - need
            )));
        }
        let end = start + 4 * count;
        let stored = u32_at(end).unwrap_or(0);
        if fnv1a(&bytes[..end]) != stored {
            return Err(err(
                "the checkpoint is corrupted (its checksum does not match)",
            ));
        }
        let mut floats = bytes[start..end]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let shapes = header.net.shapes();
        let params = (0..header.nets)
            .map(|_| {
                shapes
                    .iter()
                    .flat_map(|&(i, o)| [i * o, o])
                    .map(|len| floats.by_ref().take(len).collect())
                    .collect()
            })
            .collect();
        Ok(Self { header, params })
    }

    /// Fails unless the networks have the architecture `want`.
    pub fn expect_architecture(&self, want: &NetConfig) -> Result<(), NnError> {
        if &self.header.net != want {
            let h = &self.header.net;
            return Err(err(format!(
                "the checkpoint holds {}×{} {} networks with {} Fourier pairs; expected {}×{} {} with {}",
                h.depth,
                h.width,
                h.activation.name(),
                h.fourier,
                want.depth,
                want.width,
                want.activation.name(),
                want.fourier
            )));
        }
        Ok(())
    }

    /// The networks on `device`.
    pub fn nets(&self, device: &Device) -> Result<Vec<FieldNet>, NnError> {
        self.params
            .iter()
            .map(|p| self.header.net.from_params(p, device).map_err(err))
            .collect()
    }

    /// The learned field (under the schedule trained with) on `device`.
    pub fn field(&self, device: &Device) -> Result<LearnedField, NnError> {
        let schedule = self.header.schedule.schedule().map_err(err)?;
        Ok(LearnedField::new(
            self.header.objective.clone(),
            schedule,
            self.nets(device)?,
            device.clone(),
        ))
    }
}
