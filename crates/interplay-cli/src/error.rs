//! CLI errors: a message for stderr and an exit code.

use std::fmt;

/// An error that ends the command.
#[derive(Debug)]
pub struct CliError {
    /// What went wrong, naming the flag, file or line.
    pub message: String,
    /// 2 for bad usage or input, 1 for failures while running.
    pub code: i32,
}

impl CliError {
    /// Bad flags or input.
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 2,
        }
    }
    /// A failure while running.
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 1,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
