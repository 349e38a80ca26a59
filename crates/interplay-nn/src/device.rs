//! Choosing the device at run time: WebGPU when a hardware adapter exists, otherwise the CPU
//! backend, with the reason in words.

use burn::tensor::Device;

/// What the caller asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preference {
    /// WebGPU on a hardware adapter; the CPU backend otherwise (including software adapters such
    /// as SwiftShader, where the CPU backend trains faster: BENCHMARKS.md). The page's `auto` no
    /// longer uses this rule: its worker times both backends and takes the faster.
    Auto,
    /// The CPU backend (flex).
    Cpu,
    /// WebGPU / wgpu whatever the adapter (for tests and the curious).
    Gpu,
}

impl Preference {
    /// Parses `auto`, `cpu`, or `webgpu`/`wgpu`/`gpu`.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "auto" => Preference::Auto,
            "cpu" => Preference::Cpu,
            "webgpu" | "wgpu" | "gpu" => Preference::Gpu,
            _ => return None,
        })
    }
}

/// The chosen device and what it is.
#[derive(Clone, Debug)]
pub struct Backend {
    /// The device to train on (without autodiff).
    pub device: Device,
    /// "webgpu" or "cpu".
    pub kind: &'static str,
    /// The adapter's name ("CPU" for the CPU backend).
    pub adapter: String,
    /// Why this backend was chosen when it is not the one asked for, in words.
    pub notice: Option<String>,
    /// Technical detail for the log (the adapter's description or the error).
    pub detail: String,
}

impl Backend {
    /// The CPU backend.
    pub fn cpu(notice: Option<String>) -> Self {
        Self {
            device: Device::flex(),
            kind: "cpu",
            adapter: "CPU".into(),
            notice,
            detail: String::new(),
        }
    }
}

/// Sets up the device once. Never fails: without a usable GPU it returns the CPU backend and
/// says why in `notice`.
pub async fn init(pref: Preference) -> Backend {
    if pref == Preference::Cpu {
        return Backend::cpu(None);
    }
    gpu(pref).await
}

#[cfg(feature = "wgpu")]
async fn gpu(pref: Preference) -> Backend {
    use burn::tensor::wgpu::wgpu;
    match Device::wgpu_options().init_with_setup_async().await {
        Ok((device, setup)) => {
            let info = setup.adapter.get_info();
            let name = if info.name.is_empty() {
                format!("{:?} adapter", info.backend)
            } else {
                info.name.clone()
            };
            let detail = format!("{info:?}");
            let software = info.device_type == wgpu::DeviceType::Cpu;
            if software && pref == Preference::Auto {
                let mut b = Backend::cpu(Some(format!(
                    "The WebGPU adapter \"{name}\" is a software renderer, so training runs on the \
                     CPU backend, which is faster there."
                )));
                b.detail = detail;
                return b;
            }
            Backend {
                device,
                kind: "webgpu",
                adapter: name,
                notice: None,
                detail,
            }
        }
        Err(e) => {
            let mut b = Backend::cpu(Some(
                "This browser offers no WebGPU adapter, so training runs on the CPU backend."
                    .into(),
            ));
            b.detail = e.to_string();
            b
        }
    }
}

#[cfg(not(feature = "wgpu"))]
async fn gpu(pref: Preference) -> Backend {
    let why = if pref == Preference::Gpu {
        "This build has no GPU support (the `wgpu` feature is off); training runs on the CPU backend."
    } else {
        "Training runs on the CPU backend (this build has no GPU support)."
    };
    Backend::cpu(Some(why.into()))
}
