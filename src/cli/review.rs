//! The review commands' flags and help: `export`, `show` and `grep`.

use std::path::PathBuf;

use clap::Args;

use super::values;

pub(super) const EXPORT_HELP: &str = "\
SESSION is a unique id prefix, `last`, or a path to a .jsonl file.

Formats:
  asciicast  asciicast v2 for asciinema and asciinema-player: output, input (masked input
             left out), resizes and markers, with their times. Bytes that are not UTF-8
             are replaced by U+FFFD, and a warning says how many.
  text       the transcript a person reads: output played through a terminal emulator,
             so overwritten text reads as it was last shown, with no escape codes.
             What full-screen programs (vim, less, top) show on the alternate screen is
             not part of it; `replay` shows those.
  keys       what was typed, one line per Enter (Ctrl-C and Ctrl-D end a line too): the
             time of its Enter into the session, who typed it, the line. Backspace is
             applied; control keys and arrows are named (^U, <TAB>, <Up>); masked input
             reads [redacted N bytes].
  timeline   Markdown for a postmortem: who, host, reason, ticket, start, end, how it
             ended, the verdict and head hash, then commands, markers, joins, takes and
             the end, each with its time (what `show` prints).
  json       every record decoded, one object per line: seq, t (microseconds), k and the
             kind's fields; payloads as `text`, `base64` or `redacted` (a byte count).

The session is verified first. A TAMPERED or UNVERIFIABLE log is still exported (as far
as its records can be read), with a warning on stderr naming the verdict.

Examples:
  breakglass export last --format asciicast -o incident.cast && asciinema play incident.cast
  breakglass export k3f9 --format text | less
  breakglass export k3f9 --format keys
  breakglass export k3f9 --format timeline -o INC-4411-timeline.md
  breakglass export k3f9 --format json | jq 'select(.k == \"m\")'";

pub(super) const SHOW_HELP: &str = "\
The same Markdown as `export --format timeline`: a table of who, host, reason, ticket,
start, end, duration, how it ended, the verdict and the head, then every command typed,
marker, join, leave, refusal, take, return, extension (\"ops extended the session to 15:02
(+30m)\", the end in local time) and the end, with times into the session.
Masked input is counted in the table (sealed or dropped) and shown in place as
[sealed N bytes]; masking a password exchange does not explain is flagged in bold.

Examples:
  breakglass show last
  breakglass show k3f9 > INC-4411-timeline.md";

pub(super) const GREP_HELP: &str = "\
Typed input is searched line by line as typed (backspace applied, per person); masked
input is never matched. Output is searched as plain text lines (escape codes removed).
Each match prints the session id, the time into the session when the line was complete
(its Enter, or the output's newline), who typed it (`output` for output) and the line;
`breakglass replay ID --at MM:SS` opens the session there.

--since takes a date (RFC 3339, e.g. 2026-03-01T00:00:00Z) or a duration (2h, 7d) meaning
sessions started within that long ago.

Exit status: 0 if a line matched, 1 if none did, 2 on errors (as grep).

Examples:
  breakglass grep 'systemctl (stop|restart)'
  breakglass grep -i 'drop table' --input --since 7d
  breakglass grep 'No space left' k3f9 --output
  breakglass grep passwd --user alice --host prod-db1 --json | jq .session";

/// A format of `breakglass export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// asciicast v2, for asciinema and asciinema-player
    Asciicast,
    /// The transcript: output rendered as a terminal showed it, no escape codes
    Text,
    /// What was typed, line by line, with time and who
    Keys,
    /// Markdown timeline for a postmortem (what `show` prints)
    Timeline,
    /// Every record decoded, one JSON object per line
    Json,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The session (id prefix, `last`) or a .jsonl file
    #[arg(value_name = "SESSION|FILE")]
    pub session: String,

    /// What to export
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub format: ExportFormat,

    /// Write to FILE instead of stdout (created 0600; an existing file is refused)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Replace FILE if it exists
    #[arg(long, requires = "output")]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The session (id prefix, `last`) or a .jsonl file
    #[arg(value_name = "SESSION|FILE")]
    pub session: String,
}

#[derive(Debug, Clone, Args)]
pub struct GrepArgs {
    /// A regular expression (Rust regex syntax)
    pub pattern: String,

    /// Sessions to search (id prefix, `last`, or .jsonl files); default: all in the data dir
    #[arg(value_name = "SESSION|FILE")]
    pub sessions: Vec<String>,

    /// Only sessions of this user
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,

    /// Only sessions on this host
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,

    /// Only sessions started since a date (RFC 3339) or within a duration (2h, 7d)
    #[arg(long, value_name = "WHEN", value_parser = values::since)]
    pub since: Option<jiff::Timestamp>,

    /// Search only typed input
    #[arg(long, conflicts_with = "output")]
    pub input: bool,

    /// Search only output
    #[arg(long)]
    pub output: bool,

    /// Match case-insensitively
    #[arg(short = 'i', long)]
    pub ignore_case: bool,

    /// One JSON object per match, for scripts
    #[arg(long)]
    pub json: bool,
}
