//! The syslog witness: RFC 5424 messages with structured data for the start of a session
//! (its genesis hash), its head at least every [`HEAD_EVERY`] and every [`HEAD_BYTES`] of
//! output while output flows, every participant event, and the end. Shipped off the host
//! by the organisation's log pipeline, they are what a rewritten or cut log is caught by.
//!
//! Sending never stalls the session: messages go through a bounded queue to a thread; what
//! cannot be queued or sent is counted, and the session records that it was missed.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crossbeam_channel::{Sender, TrySendError, bounded};

use crate::log::chain::{Hash, from_hex, to_hex};

/// The session's head is witnessed at least this often while output flows...
pub const HEAD_EVERY: Duration = Duration::from_secs(10);
/// ...and after this much output.
pub const HEAD_BYTES: u64 = 8 * 1024 * 1024;
/// Messages waiting to be sent; a syslog that is down loses messages, never time.
const QUEUE: usize = 256;
/// How long one connect or send may take before the message counts as missed.
const SEND_TIMEOUT: Duration = Duration::from_secs(1);
/// The structured-data id: breakglass under the documentation enterprise number of
/// RFC 5612 (32473), since the project has none of its own.
pub const SD_ID: &str = "breakglass@32473";
/// authpriv.notice: facility 10, severity 5.
const PRI: u8 = 10 * 8 + 5;

/// Where messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Unix(String),
    Udp(String),
    Tcp(String),
}

impl Target {
    /// `unix:/dev/log`, `udp://HOST:PORT` or `tcp://HOST:PORT`.
    pub fn parse(s: &str) -> Result<Target, String> {
        if let Some(p) = s.strip_prefix("unix:") {
            return Ok(Target::Unix(p.to_string()));
        }
        let (scheme, addr) = s
            .split_once("://")
            .ok_or_else(|| format!("`{s}` is not unix:PATH, udp://HOST:PORT or tcp://HOST:PORT"))?;
        if addr
            .rsplit_once(':')
            .is_none_or(|(_, p)| p.parse::<u16>().is_err())
        {
            return Err(format!("`{s}` needs a port: {scheme}://HOST:PORT"));
        }
        match scheme {
            "udp" => Ok(Target::Udp(addr.to_string())),
            "tcp" => Ok(Target::Tcp(addr.to_string())),
            _ => Err(format!(
                "unknown syslog transport `{scheme}`: use unix, udp or tcp"
            )),
        }
    }
}

/// Escape a structured-data parameter value (RFC 5424 6.3.3).
fn sd_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        if c.is_control() {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// One RFC 5424 message. `params` become the structured data; `text` the message.
pub fn format(host: &str, pid: u32, msgid: &str, params: &[(&str, String)], text: &str) -> String {
    let sd: String = params
        .iter()
        .map(|(k, v)| format!(" {k}=\"{}\"", sd_value(v)))
        .collect();
    let ts = crate::time::now_rfc3339();
    format!("<{PRI}>1 {ts} {host} breakglass {pid} {msgid} [{SD_ID}{sd}] {text}")
}

/// A witnessed point of a session, read back from a syslog line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub session: String,
    pub seq: u64,
    pub hash: Hash,
}

/// Read one syslog line (any format that keeps the structured data): the session, `seq`
/// and hash it witnesses, if it is one of ours.
pub fn parse_line(line: &str) -> Option<Seen> {
    let start = line.find(&format!("[{SD_ID}"))? + SD_ID.len() + 1;
    let mut params = std::collections::HashMap::new();
    let mut rest = &line[start..];
    loop {
        rest = rest.trim_start();
        if rest.starts_with(']') || rest.is_empty() {
            break;
        }
        let (name, after) = rest.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next()? {
                (_, '\\') => value.push(chars.next()?.1),
                (i, '"') => break i,
                (_, c) => value.push(c),
            }
        };
        params.insert(name.trim().to_string(), value);
        rest = &after[end + 1..];
    }
    let session = params.get("session")?.clone();
    if let Some(g) = params.get("genesis") {
        return Some(Seen {
            session,
            seq: 0,
            hash: from_hex(g)?,
        });
    }
    Some(Seen {
        session,
        seq: params.get("seq")?.parse().ok()?,
        hash: from_hex(params.get("head")?)?,
    })
}

/// Sends messages from its own thread.
#[derive(Clone)]
pub struct Syslog {
    tx: Sender<String>,
    missed: Arc<AtomicU64>,
    /// Messages queued, and messages the thread has dealt with (sent or missed).
    queued: Arc<AtomicU64>,
    done: Arc<AtomicU64>,
    host: String,
    pid: u32,
}

impl Syslog {
    /// Start the sender thread for `target`.
    pub fn start(target: Target, host: String) -> std::io::Result<Syslog> {
        let (tx, rx) = bounded::<String>(QUEUE);
        let missed = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicU64::new(0));
        let (m, d) = (Arc::clone(&missed), Arc::clone(&done));
        std::thread::Builder::new()
            .name("syslog".into())
            .spawn(move || {
                let mut conn = Conn::None;
                for msg in rx {
                    if conn.send(&target, &msg).is_err() {
                        conn = Conn::None;
                        m.fetch_add(1, Ordering::Relaxed);
                    }
                    d.fetch_add(1, Ordering::Release);
                }
            })?;
        Ok(Syslog {
            tx,
            missed,
            queued: Arc::new(AtomicU64::new(0)),
            done,
            host,
            pid: std::process::id(),
        })
    }

    /// Queue one message; never waits.
    pub fn send(&self, msgid: &str, params: &[(&str, String)], text: &str) {
        let msg = format(&self.host, self.pid, msgid, params, text);
        match self.tx.try_send(msg) {
            Ok(()) => {
                self.queued.fetch_add(1, Ordering::Release);
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.missed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Wait (at most `limit`) until every queued message was sent or given up on.
    pub fn flush(&self, limit: Duration) {
        let deadline = std::time::Instant::now() + limit;
        while self.done.load(Ordering::Acquire) < self.queued.load(Ordering::Acquire)
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Messages lost so far.
    pub fn missed(&self) -> u64 {
        self.missed.load(Ordering::Relaxed)
    }

    /// Witness the head: `seq` is that of the last record, `head` its hash.
    pub fn head(
        &self,
        session: &str,
        msgid: &str,
        seq: u64,
        head: &Hash,
        extra: &[(&str, String)],
        text: &str,
    ) {
        let mut params = vec![
            ("session", session.to_string()),
            ("seq", seq.to_string()),
            ("head", to_hex(head)),
        ];
        params.extend(extra.iter().cloned());
        self.send(msgid, &params, text);
    }
}

enum Conn {
    None,
    Unix(UnixDatagram),
    Udp(UdpSocket),
    Tcp(TcpStream),
}

impl Conn {
    fn send(&mut self, target: &Target, msg: &str) -> std::io::Result<()> {
        if matches!(self, Conn::None) {
            *self = match target {
                Target::Unix(p) => {
                    let s = UnixDatagram::unbound()?;
                    s.connect(p)?;
                    s.set_write_timeout(Some(SEND_TIMEOUT))?;
                    Conn::Unix(s)
                }
                Target::Udp(a) => {
                    let s = UdpSocket::bind("0.0.0.0:0")?;
                    s.connect(a)?;
                    Conn::Udp(s)
                }
                Target::Tcp(a) => {
                    let addr = a
                        .to_socket_addrs()?
                        .next()
                        .ok_or_else(|| std::io::Error::other("no address"))?;
                    let s = TcpStream::connect_timeout(&addr, SEND_TIMEOUT)?;
                    s.set_write_timeout(Some(SEND_TIMEOUT))?;
                    Conn::Tcp(s)
                }
            };
        }
        match self {
            Conn::Unix(s) => s.send(msg.as_bytes()).map(|_| ()),
            Conn::Udp(s) => s.send(msg.as_bytes()).map(|_| ()),
            // Octet counting (RFC 6587): the length, a space, the message.
            Conn::Tcp(s) => s.write_all(format!("{} {msg}", msg.len()).as_bytes()),
            Conn::None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            Target::parse("unix:/dev/log"),
            Ok(Target::Unix("/dev/log".into()))
        );
        assert_eq!(
            Target::parse("udp://10.0.0.1:514"),
            Ok(Target::Udp("10.0.0.1:514".into()))
        );
        assert_eq!(
            Target::parse("tcp://logs:6514"),
            Ok(Target::Tcp("logs:6514".into()))
        );
        assert!(Target::parse("tcp://logs").is_err());
        assert!(Target::parse("http://x:1").is_err());
        assert!(Target::parse("/dev/log").is_err());
    }

    #[test]
    fn messages_round_trip_through_their_structured_data() {
        let h = [7u8; 32];
        let params = [
            ("session", "abc".to_string()),
            ("seq", "41".to_string()),
            ("head", to_hex(&h)),
            ("reason", "a \"quoted\" ] \\ reason".to_string()),
        ];
        let m = format("bastion", 42, "head", &params, "session abc head");
        assert!(m.starts_with("<85>1 "), "{m}");
        assert!(
            m.contains(" bastion breakglass 42 head [breakglass@32473 session=\"abc\""),
            "{m}"
        );
        assert!(m.contains(r#"reason="a \"quoted\" \] \\ reason""#), "{m}");
        // As rsyslog writes it to a file: its own prefix, then the message.
        let seen = parse_line(&format!("2026-11-22T04:00:00Z host {m}")).unwrap();
        assert_eq!(
            seen,
            Seen {
                session: "abc".into(),
                seq: 41,
                hash: h
            }
        );
        let start = format(
            "b",
            1,
            "start",
            &[("session", "abc".into()), ("genesis", to_hex(&h))],
            "x",
        );
        assert_eq!(parse_line(&start).unwrap().seq, 0);
        assert_eq!(parse_line("an unrelated line"), None);
        assert_eq!(
            parse_line("[breakglass@32473 session=\"abc\" seq=\"x\"]"),
            None
        );
    }
}
