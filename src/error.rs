//! Errors a caller must tell apart, each with the exit status it maps to.
//!
//! Anything else is an `anyhow::Error` and exits with the command's default status.

/// Every exit status breakglass gives of its own, with what it means, in one place (the
/// README and `--help` texts say the same). `shell` otherwise exits with its command's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done: `verify` VERIFIED, `grep` a line matched, `ship` everything is in the store.
    Success,
    /// The answer is no: `verify` TAMPERED, `grep` no line matched, `ship` some of it still
    /// waits, `watch` refused by the session.
    Negative,
    /// Usage errors: bad arguments, a missing reason without a terminal, a bad TTL or
    /// ticket; for the review commands also I/O errors and a bad config.
    Usage,
    /// `verify`: INTERRUPTED, no end record (killed, crashed, or still running).
    Interrupted,
    /// `verify`: UNVERIFIABLE, not a breakglass v1 file.
    Unverifiable,
    /// breakglass itself failed (data dir unwritable, bad config), as `env` and `timeout` do.
    Tool,
    /// The program to run exists but could not be executed.
    CannotExec,
    /// The program to run was not found.
    NotFound,
}

impl Exit {
    /// The status the process exits with.
    pub const fn code(self) -> i32 {
        match self {
            Exit::Success => 0,
            Exit::Negative => 1,
            Exit::Usage => 2,
            Exit::Interrupted => 3,
            Exit::Unverifiable => 4,
            Exit::Tool => 125,
            Exit::CannotExec => 126,
            Exit::NotFound => 127,
        }
    }
}

/// An error with a definite exit status.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: Exit,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: Exit::Usage,
            message: message.into(),
        }
    }

    pub fn tool(message: impl Into<String>) -> Self {
        Failure {
            code: Exit::Tool,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Failure {
            code: Exit::NotFound,
            message: message.into(),
        }
    }

    pub fn cannot_exec(message: impl Into<String>) -> Self {
        Failure {
            code: Exit::CannotExec,
            message: message.into(),
        }
    }
}

/// The exit status for an error: its own if it is a [`Failure`], else `default`.
pub fn exit_code(err: &anyhow::Error, default: Exit) -> i32 {
    err.downcast_ref::<Failure>()
        .map_or(default, |f| f.code)
        .code()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_codes() {
        let all = [
            Exit::Success,
            Exit::Negative,
            Exit::Usage,
            Exit::Interrupted,
            Exit::Unverifiable,
            Exit::Tool,
            Exit::CannotExec,
            Exit::NotFound,
        ];
        let codes: Vec<i32> = all.iter().map(|e| e.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 125, 126, 127]);
    }
}
