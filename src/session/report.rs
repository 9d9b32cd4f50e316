//! What the owner reads before and after a session: the banner and the summary.

use crate::log::chain::to_hex;
use crate::log::vocab::Cause;
use crate::safe;

use super::{Outcome, Plan, term};

/// The label that starts breakglass's own lines: reverse red on a terminal.
fn label() -> &'static str {
    if term::is_tty(2) {
        "\x1b[1;41;97m breakglass \x1b[0m"
    } else {
        "[breakglass]"
    }
}

/// Whom the session is on the host as: the fire id until the time limit, or the user's
/// own ssh credentials.
fn identity(plan: &Plan, fire: Option<&crate::fireid::session::Fire>) -> String {
    if let Some(f) = fire {
        let until = crate::time::local_hm(f.until());
        return format!(
            "  on {} as {} until {until} (fire id certificate {}, key id {})\n",
            safe::text(&plan.host),
            f.target.user(),
            f.binding.serial,
            f.binding.key_id
        );
    }
    if plan.command.first().is_some_and(|c| c == "ssh") {
        return format!(
            "  on {} with your own ssh credentials (no fire_id for this host in the policy)\n",
            plan.host
        );
    }
    String::new()
}

pub fn banner(plan: &Plan, id: &str, fire: Option<&crate::fireid::session::Fire>) -> String {
    let ticket = plan
        .ticket
        .as_deref()
        .map(|t| format!("  ticket: {}", safe::text(t)))
        .unwrap_or_default();
    format!(
        "{label} RECORDING session {id} on {host} ({cmd})\n\
         \x20 reason: {reason}{ticket}  time limit: {ttl} (ends at {ends})\n\
         \x20 every keystroke and all output are recorded; watch it: breakglass watch {id}\n{who}{op}",
        label = label(),
        host = safe::text(&plan.host),
        cmd = match fire {
            Some(_) => crate::fireid::ssh::SSH_PROGRAM.to_string(),
            None => safe::text(&plan.command.join(" ")).into_owned(),
        },
        who = identity(plan, fire),
        reason = safe::text(&plan.reason),
        ttl = crate::time::clock::short(plan.ttl),
        ends = crate::time::clock::hhmm(
            crate::time::clock::after(jiff::Timestamp::now(), plan.ttl),
            &crate::time::clock::local()
        ),
        op = if plan.require_operator {
            format!(
                "  an operator must join (breakglass watch {id} --operate) before your input is sent; keys typed while none is there are dropped\n"
            )
        } else {
            String::new()
        },
    )
}

/// Why a session whose log could not be written was ended, and what its record holds: a
/// record is written before what it holds is shown or sent, and a failed write leaves only
/// whole lines, so the log holds everything up to the failure; whether it is closed by an
/// end record decides its verdict.
fn log_failure(e: &str, o: &Outcome) -> String {
    let file = o.file.display();
    let state = if o.ended_in_log {
        format!(
            "the record up to that point is complete: {file} holds everything shown and typed until then and ends with an end record (cause `error`), so `breakglass verify {}` can prove it",
            o.id
        )
    } else {
        format!(
            "the record up to that point is complete but not closed: {file} holds everything shown and typed until then, but its end record could not be written, so `breakglass verify {}` says INTERRUPTED",
            o.id
        )
    };
    format!(
        "breakglass: the session was ended because its log could not be written ({e}).\n\x20 {state}.\n"
    )
}

/// The lines printed after a session.
pub fn summary(o: &Outcome) -> String {
    let status = match o.cause {
        Cause::Exit => format!("exit {}", o.exit_code),
        Cause::Signal => format!("killed by signal (exit {})", o.exit_code),
        Cause::Ttl => format!("ended by its time limit (exit {})", o.exit_code),
        Cause::Killed => format!("ended by request (exit {})", o.exit_code),
        Cause::Hangup => format!("ended: the terminal went away (exit {})", o.exit_code),
        Cause::Error => format!("ended by an error (exit {})", o.exit_code),
    };
    let mut s = format!(
        "{} session {} ended: {status} after {}\n\
         \x20 {} records, head {}\n\
         \x20 verify: breakglass verify {}\n",
        label(),
        o.id,
        crate::time::elapsed(o.duration),
        o.records,
        to_hex(&o.head),
        o.id,
    );
    if let Some(e) = &o.log_error {
        s = format!("{}{s}", log_failure(e, o));
    }
    s
}
