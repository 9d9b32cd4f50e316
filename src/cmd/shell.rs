//! `breakglass shell`: decide what to run and under which rules, then run it recorded.

use std::io::{BufRead, Write};
use std::time::Duration;

use anyhow::Result;

use crate::cli::ShellArgs;
use crate::config::Config;
use crate::error::Failure;
use crate::live::acl::{Acl, parse_list};
use crate::session::{self, Plan, term};
use crate::store::Store;
use crate::suggest;

/// Times a missing reason or ticket is asked for before giving up.
const ASK_ATTEMPTS: usize = 3;

/// Ask on the terminal for a value that must not be empty.
fn ask(question: &str) -> Option<String> {
    let stdin = std::io::stdin();
    for _ in 0..ASK_ATTEMPTS {
        eprint!("{question}");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim();
        if !line.is_empty() {
            return Some(line.to_string());
        }
    }
    None
}

/// The argv to run: `-- COMMAND`, the host's configured command, `ssh HOST`, or `$SHELL`.
pub fn command_for(args: &ShellArgs, cfg: &Config) -> Vec<String> {
    if !args.command.is_empty() {
        return args.command.clone();
    }
    match &args.host {
        Some(h) => cfg
            .hosts
            .get(h)
            .and_then(|c| c.command.clone())
            .unwrap_or_else(|| vec!["ssh".into(), h.clone()]),
        None => vec![
            std::env::var("SHELL")
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "/bin/sh".into()),
        ],
    }
}

/// The time limit: `--ttl`, else the config's default; never above the maximum.
pub fn ttl_for(arg: Option<Duration>, cfg: &Config) -> Result<Duration, Failure> {
    let ttl = arg.unwrap_or(cfg.default_ttl);
    if ttl > cfg.max_ttl {
        return Err(Failure::usage(format!(
            "--ttl {} is longer than the maximum of {} (max_ttl in {}); ask for a shorter one",
            humantime::format_duration(ttl),
            humantime::format_duration(cfg.max_ttl),
            cfg.source()
        )));
    }
    Ok(ttl)
}

/// A host that is not in the config and does not resolve, close to one that is: a typo,
/// said before anything is recorded.
fn check_host(args: &ShellArgs, cfg: &Config) -> Result<(), Failure> {
    let Some(host) = args.host.as_deref() else {
        return Ok(());
    };
    if !args.command.is_empty() || cfg.hosts.contains_key(host) {
        return Ok(());
    }
    match suggest::closest(host, cfg.hosts.keys()) {
        Some(near) if !suggest::resolves(host) => Err(Failure::usage(format!(
            "host `{}` is not in {} and does not resolve: did you mean {}? (for an ssh alias, run `breakglass shell -r REASON -- ssh {}`)",
            crate::safe::text(host),
            cfg.source(),
            crate::safe::text(near),
            crate::safe::text(host)
        ))),
        _ => Ok(()),
    }
}

/// Check a ticket against the config's rules.
pub fn check_ticket(
    ticket: Option<String>,
    cfg: &Config,
    interactive: bool,
) -> Result<Option<String>, Failure> {
    let ticket = match ticket {
        Some(t) => Some(t),
        None if cfg.require_ticket && interactive => ask_ticket(cfg),
        None => None,
    };
    let ticket = ticket
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if cfg.require_ticket && ticket.is_none() {
        return Err(Failure::usage(format!(
            "a ticket is required (require_ticket in {}): pass -t/--ticket ID",
            cfg.source()
        )));
    }
    if let (Some(t), Some((text, whole))) = (&ticket, &cfg.ticket_pattern)
        && !whole.is_match(t)
    {
        return Err(Failure::usage(format!(
            "ticket `{t}` does not match the pattern `{text}` required by {}",
            cfg.source()
        )));
    }
    Ok(ticket)
}

/// Ask for a ticket until one matches the config's pattern (at most [`ASK_ATTEMPTS`]
/// times); what was typed last is returned, for the caller to judge and refuse.
fn ask_ticket(cfg: &Config) -> Option<String> {
    let mut typed = None;
    for _ in 0..ASK_ATTEMPTS {
        let t = ask("Ticket or incident id (required): ")?;
        match &cfg.ticket_pattern {
            Some((text, whole)) if !whole.is_match(&t) => eprintln!(
                "ticket `{}` does not match the pattern `{text}`; type it again",
                crate::safe::text(&t)
            ),
            _ => return Some(t),
        }
        typed = Some(t);
    }
    typed
}

/// Longest reason kept: a sentence or a paragraph, not a document; it goes in line 0.
pub const MAX_REASON: usize = 4096;
/// Longest ticket id.
pub const MAX_TICKET: usize = 256;
/// Longest host label (a DNS name is at most 253 bytes).
pub const MAX_HOST: usize = 255;
/// Most bytes of command and arguments; with the fields above, line 0 stays far below the
/// format's 1 MiB line limit even with every byte escaped.
pub const MAX_COMMAND: usize = 64 * 1024;

fn check_lengths(
    reason: &str,
    ticket: Option<&str>,
    host: &str,
    command: &[String],
) -> Result<(), Failure> {
    let too_long = |what: &str, max: usize| {
        Err(Failure::usage(format!(
            "{what} is too long (at most {max} bytes)"
        )))
    };
    if reason.len() > MAX_REASON {
        return too_long("the reason", MAX_REASON);
    }
    if ticket.is_some_and(|t| t.len() > MAX_TICKET) {
        return too_long("the ticket", MAX_TICKET);
    }
    if host.len() > MAX_HOST {
        return too_long("the host", MAX_HOST);
    }
    if command.iter().map(|a| a.len() + 1).sum::<usize>() > MAX_COMMAND {
        return too_long("the command", MAX_COMMAND);
    }
    Ok(())
}

pub fn run(args: &ShellArgs, cfg: &Config, store_dir: std::path::PathBuf) -> Result<i32> {
    let interactive = term::is_tty(0);
    let reason = match &args.reason {
        Some(r) if !r.trim().is_empty() => r.trim().to_string(),
        Some(_) => return Err(Failure::usage("--reason is empty: say why you need access").into()),
        None if interactive => {
            ask("Reason for this emergency access (recorded): ").ok_or_else(|| {
                Failure::usage(
                    "a reason is required: pass -r/--reason \"INC-4411 replication lag\"",
                )
            })?
        }
        None => {
            return Err(Failure::usage(
                "a reason is required and stdin is not a terminal to ask on: pass -r/--reason TEXT",
            )
            .into());
        }
    };
    check_host(args, cfg)?;
    let ticket = check_ticket(args.ticket.clone(), cfg, interactive)?;
    let ttl = ttl_for(args.ttl, cfg)?;
    let fire = args
        .host
        .as_deref()
        .and_then(|h| crate::fireid::target(cfg, h));
    if fire.is_some() && !args.command.is_empty() {
        return Err(Failure::usage(
            "a fire id host runs a terminal only: drop `-- COMMAND` and type it in the session",
        )
        .into());
    }
    // A fire id host runs breakglass's own ssh by its absolute path (set once the
    // session's files exist), never one found on the user's PATH.
    let command = match &fire {
        Some(_) => vec![crate::fireid::ssh::SSH_PROGRAM.to_string()],
        None => command_for(args, cfg),
    };
    let host = args.host.clone().unwrap_or_else(session::hostname);
    check_lengths(&reason, ticket.as_deref(), &host, &command)?;
    let store = Store::prepare(store_dir)?;
    let mut acl = Acl {
        owner_uid: nix::unistd::getuid().as_raw(),
        watchers: cfg.watchers.clone(),
        operators: cfg.operators.clone(),
    };
    acl.watchers
        .extend(args.watchers.as_deref().map(parse_list).unwrap_or_default());
    acl.operators.extend(
        args.operators
            .as_deref()
            .map(parse_list)
            .unwrap_or_default(),
    );
    let host_requires = args
        .host
        .as_ref()
        .and_then(|h| cfg.hosts.get(h))
        .is_some_and(|h| h.require_operator);
    let plan = Plan {
        store,
        host,
        command,
        reason,
        ticket,
        ttl,
        grace: cfg.grace,
        max_ttl: cfg.max_ttl,
        extend_requires_operator: cfg.extend_requires_operator,
        secret_prompt: (!args.record_secrets).then(|| cfg.secret_prompt.clone()),
        seal: check_seal(args, cfg)?,
        acl,
        require_operator: args.require_operator || cfg.require_operator || host_requires,
        syslog: cfg.syslog.clone(),
        owner_takes_back: !cfg.operator_drives_alone
            && !args
                .host
                .as_ref()
                .and_then(|h| cfg.hosts.get(h))
                .is_some_and(|h| h.operator_drives_alone),
        escape: cfg
            .escape_key
            .as_deref()
            .and_then(crate::live::keys::parse_escape)
            .unwrap_or(crate::live::keys::DEFAULT_ESCAPE),
        status_line: cfg.status_line && !args.no_status_line,
        fire,
    };
    tell_detached(&plan.store);
    let shipping = crate::ship::before_session(cfg, &plan.store)?;
    let outcome = session::run(plan)?;
    // The terminal may be gone (the session was detached and not attached again): what
    // cannot be printed is not worth dying for.
    let mut err = std::io::stderr();
    let _ = write!(err, "{}", session::summary(&outcome));
    let url = cfg
        .store
        .as_ref()
        .map(|s| crate::safe::text(&s.url).into_owned());
    if let Some(line) = crate::ship::after_session(shipping, url) {
        let _ = write!(err, "{line}");
    }
    Ok(outcome.exit_code)
}

/// Say so when the user has a session whose terminal went away: they may want that one.
fn tell_detached(store: &Store) {
    // Asked as the user (installed, the session admits its owner, not the service).
    let mine = crate::mode::as_real_user(|| {
        crate::live::client::detached_sessions(store, &session::login_name())
    })
    .unwrap_or_default();
    for (id, w) in mine {
        let short = id.get(..4).unwrap_or(&id);
        eprintln!(
            "breakglass: you have a detached session {id} ({}, {}): breakglass attach {short}",
            crate::safe::text(&w.host),
            crate::safe::text(&w.reason)
        );
    }
}

/// The keys masked input is sealed to, after the policy's `require_seal`: with it, a
/// session without `seal_to` or with `--record-secrets` is refused before it starts.
fn check_seal(args: &ShellArgs, cfg: &Config) -> Result<Option<crate::seal::Sealer>, Failure> {
    if cfg.require_seal && cfg.seal_to.is_none() {
        return Err(Failure::tool(format!(
            "{} sets require_seal but no seal_to: add the auditors' age keys, \
             seal_to = [\"age1...\"] (from age-keygen -y)",
            cfg.source()
        )));
    }
    if cfg.require_seal && args.record_secrets {
        return Err(Failure::usage(format!(
            "--record-secrets is refused: {} requires masked input to be sealed (require_seal)",
            cfg.source()
        )));
    }
    Ok(cfg.seal_to.clone())
}
