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
use serde::de::DeserializeOwned;
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

impl Header {
    /// The header of a training run as it stands: its settings and the steps taken so far.
    pub fn of(trainer: &crate::Trainer) -> Self {
        Self {
            objective: trainer.objective.clone(),
            net: trainer.config.net.clone(),
            schedule: (&trainer.schedule).into(),
            target: (&trainer.target).into(),
            train: trainer.config.clone(),
            steps: trainer.steps(),
            nets: trainer.objective.nets().len(),
        }
    }
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

/// The framing every checkpoint kind shares around its header and numbers:
/// `magic | u32 version | u32 header length | header (JSON) | u32 count | f32 × count |
/// u32 FNV-1a of everything before it`.
pub(crate) fn frame<'a>(
    magic: &[u8; 8],
    version: u32,
    header: &impl Serialize,
    values: impl IntoIterator<Item = &'a f32>,
) -> Vec<u8> {
    let header = serde_json::to_vec(header).unwrap_or_default();
    let mut numbers = Vec::new();
    for v in values {
        numbers.extend_from_slice(&v.to_le_bytes());
    }
    let mut out = Vec::with_capacity(24 + header.len() + numbers.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&((numbers.len() / 4) as u32).to_le_bytes());
    out.extend_from_slice(&numbers);
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// Reads the framing of [`frame`], checking each part in turn: the prefix (`not_ours` if it is
/// not `magic`), the version, the header (decoded, then `check`ed: it says why the header is
/// wrong, or how many numbers it needs and a phrase for the message if the count differs, e.g.
/// "its network has"), the count, the length and the checksum. Never panics.
pub(crate) fn unframe<H: DeserializeOwned>(
    bytes: &[u8],
    magic: &[u8; 8],
    version: u32,
    not_ours: &str,
    check: impl FnOnce(&H) -> Result<(usize, String), NnError>,
) -> Result<(H, Vec<f32>), NnError> {
    let u32_at = |at: usize| -> Option<u32> {
        bytes
            .get(at..at.checked_add(4)?)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if bytes.get(..8) != Some(&magic[..]) {
        return Err(err(not_ours));
    }
    let in_prefix = || err("the checkpoint is truncated: it ends inside its prefix");
    let found = u32_at(8).ok_or_else(in_prefix)?;
    if found != version {
        return Err(err(format!(
            "checkpoint format version {found} is not supported; this build reads version {version}"
        )));
    }
    let hlen = u32_at(12).ok_or_else(in_prefix)? as usize;
    let hbytes = bytes.get(16..16usize.saturating_add(hlen)).ok_or_else(|| {
        err(format!(
            "the checkpoint is truncated: its header needs {hlen} bytes, {} remain",
            bytes.len() - 16
        ))
    })?;
    let header: H = serde_json::from_slice(hbytes)
        .map_err(|e| err(format!("the checkpoint header is malformed: {e}")))?;
    let (want, what) = check(&header)?;
    let at = 16 + hlen;
    let count = u32_at(at)
        .ok_or_else(|| err("the checkpoint is truncated: it ends after its header"))?
        as usize;
    if count != want {
        return Err(err(format!(
            "the checkpoint has {count} parameters, but {what} {want}"
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
    if fnv1a(&bytes[..end]) != u32_at(end).unwrap_or(0) {
        return Err(err(
            "the checkpoint is corrupted (its checksum does not match)",
        ));
    }
    let values = bytes[start..end]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Ok((header, values))
}

/// Cuts `values` into the weight and bias of each layer of `shapes` ((inputs, outputs) each).
pub(crate) fn split(
    values: &mut impl Iterator<Item = f32>,
    shapes: &[(usize, usize)],
) -> Vec<Vec<f32>> {
    shapes
        .iter()
        .flat_map(|&(i, o)| [i * o, o])
        .map(|len| values.by_ref().take(len).collect())
        .collect()
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
        frame(
            MAGIC,
            FORMAT_VERSION,
            &self.header,
            self.params.iter().flatten().flatten(),
        )
    }

    /// Decodes and checks bytes; the error says what is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, NnError> {
        let (header, values) = unframe(
            bytes,
            MAGIC,
            FORMAT_VERSION,
            "this is not an Interplay checkpoint (it does not start with \"IPLYCKPT\")",
            |header: &Header| {
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
                Ok((
                    header.net.num_params() * header.nets,
                    format!(
                        "{} {}-wide, {}-deep networks have",
                        header.nets, header.net.width, header.net.depth
                    ),
                ))
            },
        )?;
        let shapes = header.net.shapes();
        let mut values = values.into_iter();
        let params = (0..header.nets)
            .map(|_| split(&mut values, &shapes))
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
