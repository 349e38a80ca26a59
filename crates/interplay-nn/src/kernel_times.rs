//! Where a GPU's time goes, kernel by kernel (built with the `wgpu` feature).
//!
//! While a [`KernelTimer`] lives, every kernel the GPU runtime launches, in any operation, is
//! bracketed by a timing window: timestamp queries written by the device where the adapter has
//! them (WebGPU's `timestamp-query`, Vulkan's), else the host's clock around a blocking submit.
//! The windows are kept unread, so the kernels still run back to back, and are read once the
//! work being measured is over ([`KernelTimer::finish`]). A window closes the compute pass it is
//! in, so a timed step costs more submits than an untimed one: the times are each kernel's own,
//! not the step's wall-clock.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use cubecl::logging::{
    Duration, LaunchObservation, LaunchObserver, ProfileDuration, TimingMethod, TimingRequest,
};

/// The windows of the launches seen so far: unread, or read (by the runtime, when its own
/// profiling logger takes them).
#[derive(Default)]
struct Windows {
    unread: Mutex<Vec<(&'static str, ProfileDuration)>>,
    read: Mutex<Vec<(&'static str, Duration, TimingMethod)>>,
}

impl LaunchObserver for Windows {
    fn launched(&self, _kernel: &'static str) {}

    fn timing(&self) -> TimingRequest {
        TimingRequest::Deferred
    }

    fn profiled(&self, kernel: &'static str, profile: ProfileDuration) {
        lock(&self.unread).push((kernel, profile));
    }

    fn timed(&self, kernel: &'static str, duration: Duration, method: TimingMethod) {
        lock(&self.read).push((kernel, duration, method));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Times every kernel launched while it lives (one at a time in a process: a second replaces
/// the first until it is finished).
#[must_use = "the timing stops when the timer is dropped"]
pub struct KernelTimer {
    windows: Arc<Windows>,
    watching: LaunchObservation,
}

/// One kernel's share of the timed work.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelTime {
    /// The kernel's name, without its module path and type parameters.
    pub kernel: String,
    /// Its launches.
    pub launches: usize,
    /// The time in its windows, summed (seconds).
    pub seconds: f64,
}

/// What a [`KernelTimer`] measured, the kernels with the most time first.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelTimes {
    /// Each kernel's launches and time.
    pub kernels: Vec<KernelTime>,
    /// Whether every window was read from the device's timestamps (else some are the host's
    /// clock around a blocking submit, which includes the submit).
    pub device_clock: bool,
    /// Launches whose window carried no measurement.
    pub untimed: usize,
}

impl KernelTimes {
    /// The time in every window (seconds).
    pub fn total_seconds(&self) -> f64 {
        self.kernels.iter().map(|k| k.seconds).sum()
    }
    /// Every kernel's launches.
    pub fn launches(&self) -> usize {
        self.kernels.iter().map(|k| k.launches).sum()
    }
}

/// `a::b::Kernel<F, …>` → `Kernel` (names as the runtime's own profile prints them).
fn short(name: &str) -> String {
    let plain = name.split('<').next().unwrap_or(name);
    plain
        .rsplit("::")
        .next()
        .unwrap_or(plain)
        .trim()
        .to_string()
}

impl KernelTimer {
    /// Starts timing every launch.
    pub fn start() -> Self {
        let windows = Arc::new(Windows::default());
        let watching = LaunchObservation::new(windows.clone());
        Self { windows, watching }
    }

    /// Stops timing and reads every window. Call it after the timed work has been read back
    /// (its last kernel launched): launches that are still queued are not in it.
    pub async fn finish(self) -> KernelTimes {
        let Self { windows, watching } = self;
        drop(watching);
        let unread = std::mem::take(&mut *lock(&windows.unread));
        let mut read = std::mem::take(&mut *lock(&windows.read));
        let mut untimed = 0;
        for (kernel, profile) in unread {
            let method = profile.timing_method();
            match profile.resolve().await {
                Some(ticks) => read.push((kernel, ticks.duration(), method)),
                None => untimed += 1,
            }
        }
        let device_clock = read.iter().all(|r| r.2 == TimingMethod::Device);
        let mut by_name: BTreeMap<String, KernelTime> = BTreeMap::new();
        for (kernel, duration, _) in read {
            let name = short(kernel);
            let k = by_name.entry(name.clone()).or_insert(KernelTime {
                kernel: name,
                launches: 0,
                seconds: 0.0,
            });
            k.launches += 1;
            k.seconds += duration.as_secs_f64();
        }
        let mut kernels: Vec<KernelTime> = by_name.into_values().collect();
        kernels.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
        KernelTimes {
            kernels,
            device_clock,
            untimed,
        }
    }
}
