//! Errors a caller must tell apart, each with the exit status it maps to.
//!
//! Anything else is an `anyhow::Error` and exits with the command's default status.

/// Refused: the session (or the policy) does not allow what was asked, and says why.
pub const EXIT_REFUSED: i32 = 1;
/// Usage errors: bad arguments, a missing reason without a terminal, a bad TTL or ticket.
pub const EXIT_USAGE: i32 = 2;
/// breakglass itself failed (data dir unwritable, bad config), as `env` and `timeout` do.
pub const EXIT_TOOL: i32 = 125;
/// The program to run exists but could not be executed.
pub const EXIT_CANNOT_EXEC: i32 = 126;
/// The program to run was not found.
pub const EXIT_NOT_FOUND: i32 = 127;

/// An error with a definite exit status.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    pub fn tool(message: impl Into<String>) -> Self {
        Failure {
            code: EXIT_TOOL,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Failure {
            code: EXIT_NOT_FOUND,
            message: message.into(),
        }
    }

    pub fn cannot_exec(message: impl Into<String>) -> Self {
        Failure {
            code: EXIT_CANNOT_EXEC,
            message: message.into(),
        }
    }
}

/// The exit status for an error: its own if it is a [`Failure`], else `default`.
pub fn exit_code(err: &anyhow::Error, default: i32) -> i32 {
    err.downcast_ref::<Failure>().map_or(default, |f| f.code)
}
