//! Helpers for the verdict tests: record short sessions, read a command's output.

use std::process::{Output, Stdio};

use super::Env;

/// Record a session of `sh -c SCRIPT` with `reason`; returns its exit status.
pub fn record_one(env: &Env, reason: &str, script: &str) -> i32 {
    let out = env
        .cmd()
        .args(["shell", "-r", reason, "--", "sh", "-c", script])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    out.status.code().unwrap_or(-1)
}

pub fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn err(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every line of stdout that is JSON.
pub fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    text(out)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The bytes of a log without its last line (a clean cut before the end).
pub fn without_last_line(path: &std::path::Path) -> Vec<u8> {
    let data = std::fs::read(path).unwrap();
    let cut = data[..data.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    data[..cut].to_vec()
}

/// Copy a session file from elsewhere into `env`'s sessions dir, under its own name.
pub fn copy_in(env: &Env, from: &std::path::Path) {
    let to = env.dir().join("sessions").join(from.file_name().unwrap());
    std::fs::copy(from, to).unwrap();
}

/// The id of the session recorded last in `env` (by file time).
pub fn newest_id(env: &Env) -> String {
    let logs = env.logs();
    let p = logs.last().expect("a session was recorded");
    p.file_stem().unwrap().to_str().unwrap().to_string()
}
