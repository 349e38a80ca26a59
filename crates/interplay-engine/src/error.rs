//! Why the engine refuses a request: one error type for every request, in words a reader can
//! act on.

/// Why a request was refused, in words a reader can act on.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// The request needs a training run and there is none.
    #[error("no training run: configure one or load a checkpoint first")]
    NoRun,
    /// The request is for a run of fields and the run is a flow map.
    #[error(
        "this engine trains a flow map, which has no velocity or score of its own to show here: ask for its jumps or its errors"
    )]
    MapRun,
    /// The request is for a flow map and the run is not one.
    #[error("this engine's run is not a flow map: configure one with the objective flow-map")]
    NotMap,
    /// A newer run replaced the one this request was working on.
    #[error("the training run was replaced")]
    Replaced,
    /// The request's settings or data are not usable; the message says why.
    #[error("{0}")]
    Refused(String),
}

impl EngineError {
    pub(crate) fn refused(e: impl std::fmt::Display) -> Self {
        Self::Refused(e.to_string())
    }
}

/// What a request resolves to.
pub type Outcome<T> = Result<T, EngineError>;
