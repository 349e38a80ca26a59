//! What every end-to-end test of the `interplay` binary needs: running it, a scratch directory,
//! its error output.

#![allow(dead_code)] // each test binary uses its own part

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs `interplay` with `args`.
pub fn interplay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_interplay"))
        .args(args)
        .output()
        .expect("the interplay binary runs")
}

/// A path `name` in this test process's scratch directory.
pub fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("interplay-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// The error output.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
