//! A recorded interactive session in a private tmux server, for tests that need one.

use super::tmux::Tmux;
use super::{Env, bin, pane_env};

/// A tmux server whose `main` pane runs `bash` recorded by `breakglass shell -r reason`,
/// started and showing its banner; None where tmux is missing (see [`Tmux::start`]).
pub fn recorded_bash(env: &Env, reason: &str) -> Option<Tmux> {
    let t = Tmux::start(env.tmp.path(), &pane_env(env))?;
    t.send(&format!(
        "{} shell -r '{reason}' -- bash --norc --noprofile",
        bin().display()
    ));
    t.wait_for("the banner", |t| t.screen().contains("RECORDING session"));
    Some(t)
}
