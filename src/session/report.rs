//! What the owner reads before and after a session: the banner and the summary.

use std::time::Duration;

use crate::log::chain::to_hex;

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
        let until = jiff::Timestamp::from_second(f.until() as i64)
            .map(|t| {
                t.to_zoned(jiff::tz::TimeZone::system())
                    .strftime("%H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        return format!(
            "  on {} as {} until {until} (fire id certificate {}, key id {})\n",
            plan.host,
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
        .map(|t| format!("  ticket: {t}"))
        .unwrap_or_default();
    format!(
        "{label} RECORDING session {id} on {host} ({cmd})\n\
         \x20 reason: {reason}{ticket}  time limit: {ttl}\n\
         \x20 every keystroke and all output are recorded; watch it: breakglass watch {id}\n{who}{op}",
        label = label(),
        host = plan.host,
        cmd = match fire {
            Some(_) => crate::fireid::ssh::SSH_PROGRAM.to_string(),
            None => plan.command.join(" "),
        },
        who = identity(plan, fire),
        reason = plan.reason,
        ttl = humantime::format_duration(plan.ttl),
        op = if plan.require_operator {
            "  an operator must watch before your input is sent\n"
        } else {
            ""
        },
    )
}

/// The lines printed after a session.
pub fn summary(o: &Outcome) -> String {
    let status = match o.cause.as_str() {
        "exit" => format!("exit {}", o.exit_code),
        "signal" => format!("killed by signal (exit {})", o.exit_code),
        "ttl" => format!("ended by its time limit (exit {})", o.exit_code),
        "killed" => format!("ended by request (exit {})", o.exit_code),
        "hangup" => format!("ended: the terminal went away (exit {})", o.exit_code),
        _ => format!("ended by an error (exit {})", o.exit_code),
    };
    let mut s = format!(
        "{} session {} ended: {status} after {}\n\
         \x20 {} records, head {}\n\
         \x20 verify: breakglass verify {}\n",
        label(),
        o.id,
        humantime::format_duration(Duration::from_secs(o.duration.as_secs().max(1))),
        o.records,
        to_hex(&o.head),
        o.id,
    );
    if let Some(e) = &o.log_error {
        s = format!(
            "breakglass: the session was ended because its log could not be written ({e}); no recording, no session.\n\
             \x20 the log {} holds everything recorded until then.\n{s}",
            o.file.display()
        );
    }
    s
}
