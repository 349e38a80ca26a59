//! Loading trained models and choosing the device for the native commands.

use std::path::Path;

use clap::ValueEnum;
use interplay_nn::device::{self, Backend, Preference};
use interplay_nn::{Checkpoint, LearnedField};

use crate::error::CliError;

/// `--device`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DeviceArg {
    /// The CPU backend.
    Cpu,
    /// A GPU through wgpu (needs the `wgpu` build feature).
    Wgpu,
}

/// Sets up the device, saying once which one is used (on stderr).
pub fn backend(arg: DeviceArg) -> Result<Backend, CliError> {
    let pref = match arg {
        DeviceArg::Cpu => Preference::Cpu,
        DeviceArg::Wgpu => Preference::Gpu,
    };
    let b = pollster::block_on(device::init(pref));
    if arg == DeviceArg::Wgpu && b.kind != "webgpu" {
        return Err(CliError::usage(format!(
            "--device wgpu: {}",
            b.notice.unwrap_or_default()
        )));
    }
    eprintln!("device: {} ({})", b.kind, b.adapter);
    Ok(b)
}

/// The first 8 bytes of the file at `path` (a checkpoint's kind), if it has them.
pub fn kind_of(path: &Path) -> Option<[u8; 8]> {
    use std::io::Read;
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .ok()
        .map(|()| head)
}

/// Reads and checks a checkpoint file of a field model (velocity and score, denoiser or
/// schedule-free); errors name the flag and the problem, and a checkpoint of another kind by
/// its kind.
pub fn load(path: &Path, flag: &str) -> Result<Checkpoint, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::usage(format!("{flag} {}: cannot read it: {e}", path.display())))?;
    let other = match bytes.get(..8) {
        Some(m) if m == interplay_nn::flow_map::FLOW_MAP_MAGIC => Some(
            "a flow map (interplay train --objective flow-map), which has no velocity or score \
             field to use here: sample it with interplay sample --model FILE --steps K, or hold \
             it against the exact map with interplay error --model FILE",
        ),
        Some(m) if m == interplay_nn::nets_checkpoint::NETS_MAGIC => Some(
            "a transport learned by NETS (interplay train --objective nets), which samples an \
             energy: interplay sample-energy --model FILE",
        ),
        Some(m) if m == interplay_nn::multi_train::MULTI_MAGIC => Some(
            "a multimarginal model, which samples along a path on the triangle: interplay \
             sample --model FILE --alphas …",
        ),
        _ => None,
    };
    if let Some(what) = other {
        return Err(CliError::usage(format!(
            "{flag} {}: this checkpoint holds {what}",
            path.display()
        )));
    }
    Checkpoint::from_bytes(&bytes)
        .map_err(|e| CliError::usage(format!("{flag} {}: {e}", path.display())))
}

/// The model's field under the schedule the user asked for: schedule-free models take any
/// schedule; the others keep their own (with a note when the flags asked for another).
pub fn field(
    ck: &Checkpoint,
    asked: interplay_core::Schedule,
    backend: &Backend,
) -> Result<LearnedField, CliError> {
    let field = ck
        .field(&backend.device)
        .map_err(|e| CliError::usage(e.to_string()))?;
    if !ck.header.objective.needs_schedule() {
        return field.with_schedule(asked).map_err(CliError::usage);
    }
    if asked != field.schedule {
        eprintln!(
            "note: this {} model learned the fields of its own schedule ({} + {}); the schedule \
             flags are ignored (train with --objective schedule-free to move α, β, γ freely)",
            ck.header.objective.name(),
            ck.header.schedule.path.name(),
            ck.header.schedule.gamma.name()
        );
    }
    Ok(field)
}

/// A model opened for evaluation: the checkpoint behind `--model`, its field on `device` under
/// the asked schedule ([`field`]) and the target it was trained on.
pub struct Opened {
    /// The checkpoint.
    pub ck: Checkpoint,
    /// Its field.
    pub field: LearnedField,
    /// Its target.
    pub target: interplay_core::Target,
}

/// Loads `--model`, sets up `device` and prepares the field and the target.
pub fn open(
    path: &Path,
    device: DeviceArg,
    asked: interplay_core::Schedule,
) -> Result<Opened, CliError> {
    let ck = load(path, "--model")?;
    let backend = backend(device)?;
    let field = field(&ck, asked, &backend)?;
    let target = ck
        .header
        .target
        .target()
        .map_err(|e| CliError::usage(format!("--model: {e}")))?;
    Ok(Opened { ck, field, target })
}
