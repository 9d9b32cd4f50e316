//! The command line: the clap structs and help texts (the review commands' in
//! `cli/review.rs`), and flag values parsed by clap (`cli/values.rs`).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

pub mod review;
pub mod values;

use review::{EXPORT_HELP, GREP_HELP, SHOW_HELP};
pub use review::{ExportArgs, ExportFormat, GrepArgs, ShowArgs};

const AFTER_HELP: &str = "\
Examples:
  breakglass shell prod-db1 -r \"INC-4411 replication lag\" -t INC-4411
  breakglass shell -r \"trying it out\"            # your own shell on this machine
  breakglass ls
  breakglass verify last
  breakglass verify --all
  breakglass watch
  breakglass show last                        # the timeline of the newest session
  breakglass grep 'rm -rf' --since 7d         # what was typed or shown, across sessions

Data dir: --dir, else $BREAKGLASS_DIR, else `dir` in the config, else ~/.local/share/breakglass.
Config:   --config, else $BREAKGLASS_CONFIG, else ~/.config/breakglass/config.toml, else
          /etc/breakglass/config.toml.
Installed (setuid to a service user): the policy only, PREFIX/etc/breakglass/config.toml
          (/etc/breakglass/ for /usr and /usr/local); see docs/SECURITY.md.";

/// Recorded, tamper-evident emergency shell access to production.
///
/// Every keystroke and every byte of output goes into a hash-chained log that cannot be
/// edited unseen; `verify` proves a log intact.
#[derive(Debug, Parser)]
#[command(name = "breakglass", version, about, long_about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Data dir holding sessions/, ledger.jsonl and live/
    #[arg(long, global = true, env = "BREAKGLASS_DIR", value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Config file (TOML)
    #[arg(long, global = true, env = "BREAKGLASS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every
    /// bastion that ships there (ls, verify, show, export, grep, replay)
    #[arg(long, global = true, value_name = "URL")]
    pub store: Option<String>,

    /// Review from the store of the config's [store] instead of the data dir
    #[arg(long, global = true, conflicts_with = "store")]
    pub from_store: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open a recorded shell on HOST (through ssh), or on this machine
    #[command(after_help = SHELL_HELP)]
    Shell(ShellArgs),
    /// List the sessions in the data dir, newest first
    Ls(LsArgs),
    /// Ship to the store what has not reached it yet (sessions and the ledger)
    #[command(after_help = SHIP_HELP)]
    Ship(ShipArgs),
    /// Prove sessions intact: VERIFIED, INTERRUPTED, TAMPERED or UNVERIFIABLE
    #[command(after_help = VERIFY_HELP)]
    Verify(VerifyArgs),
    /// Replay a session in the terminal: pause, step, seek, search (verifies first)
    #[command(after_help = REPLAY_HELP)]
    Replay(ReplayArgs),
    /// Watch a live session: its screen now, then live; take the keyboard if allowed
    #[command(after_help = WATCH_HELP)]
    Watch(WatchArgs),
    /// Take up your own session again after its terminal went away (a dropped connection)
    #[command(after_help = ATTACH_HELP)]
    Attach(AttachArgs),
    /// Add a marker to a live session (shown to everyone, recorded in the log)
    Mark(MarkArgs),
    /// Move a live session's time limit later (its owner or an operator; up to max_ttl)
    #[command(after_help = crate::cmd::extend::EXTEND_HELP)]
    Extend(ExtendArgs),
    /// Export a session: asciicast, text transcript, keys typed, timeline, or JSON records
    #[command(after_help = EXPORT_HELP)]
    Export(ExportArgs),
    /// Print a session's timeline: who, why, verdict, then commands and events in order
    #[command(after_help = SHOW_HELP)]
    Show(ShowArgs),
    /// Search what was typed and what was shown, across sessions
    #[command(after_help = GREP_HELP)]
    Grep(GrepArgs),
    /// Set up installed mode (root, once; safe to run again): data dir, ledger, keys
    #[command(after_help = INIT_HELP)]
    Init(InitArgs),
    /// Open a session's sealed input (masked input kept encrypted) with an auditor's age key
    #[command(after_help = crate::cmd::reveal::REVEAL_HELP)]
    Reveal(crate::cmd::reveal::RevealArgs),
    /// Fire id certificate authority: make it (root, once) or print its public key
    #[command(after_help = CA_HELP)]
    Ca(CaArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell)
    Completions(CompletionsArgs),
    /// Print the manual page (roff), e.g. `breakglass man | man -l -`
    Man,
}

const SHELL_HELP: &str = "\
The command run in the PTY: COMMAND if given after --; else the host's `command` from the
config ([hosts.NAME]); else `ssh HOST`; without HOST, your $SHELL on this machine.

A host with `fire_id` in the policy (installed mode) is reached as that remote user with a
certificate breakglass issues for this session alone: its own ssh runs as the service
user, you never hold the key, and it is destroyed when the session ends. Such a host
opens a terminal only (no `-- COMMAND`); the banner says as whom and until when.

Exit status: the command's own (128+N if a signal ended it); 2 for usage errors (no reason
without a terminal, bad --ttl, ticket not matching the pattern); 127 if the command is not
found; 125 if breakglass itself failed (data dir, config, or the log could not be written).

Examples:
  breakglass shell prod-db1 -r \"INC-4411 replication lag\" -t INC-4411 --ttl 30m
  breakglass shell -r \"rotate certs\" -- sudo -i
  breakglass shell -r \"check disk\" -- df -h";

const VERIFY_HELP: &str = "\
SESSION is a unique id prefix, `last`, or a path to a .jsonl file.

Exit status: 0 VERIFIED, 1 TAMPERED, 2 usage or I/O error, 3 INTERRUPTED (no end record:
killed, crashed, or still running), 4 UNVERIFIABLE (not a breakglass v1 file). With several
files, the worst: TAMPERED, UNVERIFIABLE, error, INTERRUPTED, VERIFIED.

A session in the data dir is also checked against the ledger. The chain alone cannot catch
a log rewritten consistently from some point on, or cut cleanly before its end; only a
witness kept elsewhere can (the head printed at the end of the session, for one).

Signatures: where the data dir has a signing key, sessions and ledger lines are signed.
verify checks them against the public key (--pubkey FILE, else signing.pub beside the
config, else the data dir's keys/signing.pub) and says `signed by KEY up to seq N`. A bad
signature, one by another key, or a missing one where a key is known is TAMPERED.";

const WATCH_HELP: &str = "\
Keys while watching: Ctrl-] then t take the keyboard, r return it, d detach, k end the
session (y to confirm), m add a marker (text, then Enter), ? help, h past notices (h again
for older). Ctrl-] twice sends one Ctrl-] when you hold the keyboard. Your keys reach the
session only while you hold it.

The session is drawn from an emulator of its own size; the bottom row is the status row
(state, notices, what of the session is on view), so a terminal one row taller than the
session shows all of it; a smaller one follows the cursor.

Who may: the session's owner, root, and the users or @groups in `watchers` may watch;
root and `operators` may also take the keyboard and end the session. Every join, leave,
take, return, refusal and end is recorded in the session's log.

Examples:
  breakglass watch                     # the only live session, or a list to pick from
  breakglass watch k3f9 --operate      # attach and take the keyboard at once
  breakglass watch k3f9 --save k3f9.witness.jsonl
  breakglass verify k3f9 --witness k3f9.witness.jsonl";

const REPLAY_HELP: &str = "\
Keys: space pause/play; . next frame and , previous frame (paused); left/right seek 5 s,
shift+left/right or < > 30 s, through pauses of any length; g go to a time (12:30);
[ ] previous/next marker, participant event or typed Enter; / search output and typed
input (a regex), n N next/previous match; + - speed; i who typed what; s hide/show the
status line; ? help; Esc close; q quit.

A terminal smaller than the session (or than the session plus the status line) shows the
part around the session's cursor, and the status line says which rows and columns.

The session is verified first: a TAMPERED one is refused unless --force, and then a warning
stays on screen. When stdout is not a terminal, the raw output is written without timing.

Examples:
  breakglass replay last
  breakglass replay k3f9 --speed 4 --idle-limit 1
  breakglass replay k3f9 --at 12:30          # from there, paused
  breakglass replay k3f9 --follow            # a live session as it grows
  breakglass replay k3f9 | less -R           # the output, for a pager";

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The session (id prefix, `last`, or a file)
    pub session: String,

    /// Playback speed
    #[arg(long, default_value_t = 1.0, value_name = "X", value_parser = values::speed)]
    pub speed: f64,

    /// Longer pauses than this many seconds are shortened to it
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    pub idle_limit: f64,

    /// Start at this time into the session (12:30, 90, 2m), paused
    #[arg(long, value_name = "TIME", value_parser = values::at)]
    pub at: Option<u64>,

    /// Keep playing a live session's log as it grows, verifying as it goes
    #[arg(long)]
    pub follow: bool,

    /// Replay even a TAMPERED session (a warning stays on screen)
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The live session (id prefix or `last`); without it, the only live one
    pub session: Option<String>,

    /// Take the keyboard as soon as you attach (operators only)
    #[arg(long)]
    pub operate: bool,

    /// Keep a byte-identical copy of the session's log, from its first line, as a witness
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,

    /// The escape key (default ctrl-], or `escape_key` in the config)
    #[arg(long, value_name = "KEY", value_parser = values::escape)]
    pub escape: Option<values::EscapeKey>,
}

const ATTACH_HELP: &str = "\
When the terminal of a session goes away (your ssh connection to the bastion dropped, the
window was closed), the session is not ended: it is held for the config's `grace` (5 min by
default), its command runs on and its output is recorded. Log in again and attach: this
terminal shows the screen as it is now and becomes the session's, at this terminal's size.
Only you may attach to your session, only while it is detached; `breakglass ls` says which
are (`detached until 14:37`). The attach and the detach are recorded. When this terminal goes
too, the session is held again. At the end you get the session's summary and exit status.

Examples:
  breakglass attach                   # your one detached session
  breakglass attach 7f3a";

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Your detached session (id prefix or `last`); without it, your only detached one
    pub session: Option<String>,
}

#[derive(Debug, Args)]
pub struct MarkArgs {
    /// The live session (id prefix or `last`)
    pub session: String,

    /// The marker text
    #[arg(required = true, num_args = 1..)]
    pub text: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExtendArgs {
    /// The live session (id, id prefix or `last`)
    pub session: String,

    /// How much longer, e.g. 30m or 1h30m (parsed as shell --ttl)
    #[arg(value_parser = crate::time::parse_ttl)]
    pub duration: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct ShellArgs {
    /// Host to open a shell on (a name from the config, or anything ssh accepts)
    pub host: Option<String>,

    /// Why you need access (recorded; asked for when not given and stdin is a terminal)
    #[arg(short, long, value_name = "TEXT")]
    pub reason: Option<String>,

    /// Ticket or incident id (the config may require one and a pattern for it)
    #[arg(short, long, value_name = "ID")]
    pub ticket: Option<String>,

    /// Time limit, e.g. 30m or 1h30m: whole seconds, at least 1s (default and maximum from
    /// the config: 1h and 8h)
    #[arg(long, value_name = "DURATION", value_parser = values::ttl)]
    pub ttl: Option<Duration>,

    /// Also record what is typed at password prompts (masked by default; refused when the
    /// config sets require_seal)
    #[arg(long)]
    pub record_secrets: bool,

    /// Users or @groups who may watch, besides you and root (adds to config `watchers`)
    #[arg(long, value_name = "LIST")]
    pub watchers: Option<String>,

    /// Users or @groups who may take the keyboard and end the session (adds to `operators`)
    #[arg(long, value_name = "LIST")]
    pub operators: Option<String>,

    /// Send your input only while an operator watches (joined with `watch --operate`); keys
    /// typed while none does are dropped (also per host in the config)
    #[arg(long)]
    pub require_operator: bool,

    /// Give the last row of your terminal back to the session: breakglass's notices go to
    /// the title instead (also `status_line = false` in the config)
    #[arg(long)]
    pub no_status_line: bool,

    /// Command to run instead of ssh or your shell
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Extra help for `ship`.
const SHIP_HELP: &str = "\
Sessions are shipped while they run, by a thread beside the session, to the S3 store of
[store] in the config. What the store did not take (it was down, or breakglass was killed)
waits on disk and ships on the next session's start, or now with this command.

Exit status: 0 when everything is in the store, 1 when some of it still waits.";

#[derive(Debug, Args)]
pub struct ShipArgs {
    /// How long to keep trying a store that does not answer, e.g. 30s, 5m
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub wait: String,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// One JSON object per line, for jq
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// Sessions (id prefix or `last`) or .jsonl files
    #[arg(value_name = "SESSION|FILE")]
    pub sessions: Vec<String>,

    /// Every session in the data dir, and the ledger (its head is printed): a missing,
    /// replaced or unlisted session file is reported. A data dir that does not exist is an
    /// error (exit 2); one with no session says `no sessions` (exit 0)
    #[arg(long)]
    pub all: bool,

    /// One JSON object per session, for scripts
    #[arg(long)]
    pub json: bool,

    /// A witness copy (from `watch --save`): the log must hold every line of it unchanged
    #[arg(long, value_name = "FILE")]
    pub witness: Option<PathBuf>,

    /// The public key to check signatures with (a copy of `signing.pub` kept elsewhere);
    /// default: `signing.pub` beside the config in use, else the data dir's keys/signing.pub
    #[arg(long, value_name = "FILE")]
    pub pubkey: Option<PathBuf>,

    /// Syslog lines the sessions sent (config `syslog`), RFC 5424 with structured data:
    /// every head they name must be in the log unchanged. A session the file holds no line
    /// for is said to; a file with none at all is an error (exit 2)
    #[arg(long, value_name = "FILE")]
    pub syslog: Option<PathBuf>,
}

const INIT_HELP: &str = "\
Run by root from the installed binary (setuid to the service user, e.g. `breakglass`),
after writing the policy (PREFIX/etc/breakglass/config.toml; /etc/breakglass/config.toml
for /usr and /usr/local). It makes, from the policy:
  DIR/               0755 service user          (DIR: `dir`, default /var/lib/breakglass)
  DIR/sessions/      2750 service:review_group  session files 0640
  DIR/ledger.jsonl   0640 service:review_group
  DIR/live/          0755 service user          live sockets
  DIR/keys/          0700 service user          signing.key 0600
  signing.pub        0644 root, beside the policy
Running it again fixes owners and modes and keeps the key.

Examples:
  sudo breakglass init
  sudo breakglass init --adopt /srv/breakglass-shared   # sessions of an old shared dir";

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Copy the ledger and sessions of an old (group-shared) data dir into the fresh one
    #[arg(long, value_name = "DIR")]
    pub adopt: Option<PathBuf>,
}

const CA_HELP: &str = "\
Hosts with `fire_id` in the policy are reached with a certificate that breakglass signs
for each session with this CA; production hosts trust its public key (TrustedUserCAKeys).
`ca init` makes the key pair once: the private key in the data dir's keys/ (the service
user's, 0600), the public key as ca.pub beside the policy. Run again, it keeps the key
and repairs owners and modes.

Examples:
  sudo breakglass ca init
  breakglass ca pubkey | ssh root@prod-db1 'cat > /etc/ssh/breakglass_ca.pub'";

#[derive(Debug, Args)]
pub struct CaArgs {
    #[command(subcommand)]
    pub action: CaAction,
}

#[derive(Debug, Subcommand)]
pub enum CaAction {
    /// Make the CA key pair (root, from the installed binary; safe to run again)
    Init,
    /// Print the CA public key, one line, as sshd's TrustedUserCAKeys reads it
    Pubkey,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print completions for
    pub shell: clap_complete::Shell,
}
